//! `[tls]`: the certificate the server offers with `TLS_START`, and
//! whether a password may cross a connection without it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `[tls]`. TLS is offered (`TLS_SUPPORT='yes'` in the greeting) when both
/// `cert` and `key` are set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first. Relative to the config file.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1), unencrypted.
    pub key: Option<PathBuf>,
    /// Refuse `normal` and `first` logins (they carry a password) on a
    /// connection that has not started TLS.
    pub login_requires_tls: bool,
}

impl TlsConfig {
    /// True when the server offers TLS.
    pub fn enabled(&self) -> bool {
        self.cert.is_some() && self.key.is_some()
    }

    /// The certificate and key paths, when TLS is offered.
    pub fn files(&self) -> Option<(PathBuf, PathBuf)> {
        Some((self.cert.clone()?, self.key.clone()?))
    }

    pub(super) fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.cert, &mut self.key].into_iter().flatten() {
            *path = super::normalize(&base.join(&*path));
        }
    }

    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        let empty = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.as_os_str().is_empty());
        if empty(&self.cert) {
            return Err(("tls.cert", "must name a file".into()));
        }
        if empty(&self.key) {
            return Err(("tls.key", "must name a file".into()));
        }
        match (&self.cert, &self.key) {
            (Some(_), None) => Err(("tls.key", "must be set when tls.cert is".into())),
            (None, Some(_)) => Err(("tls.cert", "must be set when tls.key is".into())),
            (None, None) if self.login_requires_tls => Err((
                "tls.login_requires_tls",
                "needs tls.cert and tls.key: without TLS nobody could log in with a password"
                    .into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default() {
        let t = TlsConfig::default();
        assert!(!t.enabled());
        assert_eq!(t.check(), Ok(()));
    }

    #[test]
    fn cert_and_key_go_together() {
        let t = TlsConfig {
            cert: Some("a.pem".into()),
            ..TlsConfig::default()
        };
        assert_eq!(t.check().map_err(|e| e.0), Err("tls.key"));
        let t = TlsConfig {
            key: Some("k.pem".into()),
            ..TlsConfig::default()
        };
        assert_eq!(t.check().map_err(|e| e.0), Err("tls.cert"));
        let t = TlsConfig {
            login_requires_tls: true,
            ..TlsConfig::default()
        };
        assert_eq!(t.check().map_err(|e| e.0), Err("tls.login_requires_tls"));
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let mut t = TlsConfig {
            cert: Some("certs/server.pem".into()),
            key: Some("/etc/ggzd/key.pem".into()),
            login_requires_tls: true,
        };
        t.resolve_paths(Path::new("/srv/ggzd"));
        assert_eq!(t.check(), Ok(()));
        assert!(t.enabled());
        assert_eq!(
            t.files(),
            Some((
                PathBuf::from("/srv/ggzd/certs/server.pem"),
                PathBuf::from("/etc/ggzd/key.pem")
            ))
        );
    }
}
