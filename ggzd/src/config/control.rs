//! `[control]` and `[metrics]`: the operator's control socket and the
//! Prometheus endpoint (docs/control.md).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// The Unix socket; relative to `directories.data_dir`. Empty: no
    /// control socket.
    pub socket: PathBuf,
    /// Permission bits of the socket: 0o600 (owner only) or 0o660 (owner
    /// and `group`).
    pub mode: u32,
    /// Group that owns the socket; empty keeps the server's own group.
    pub group: String,
    /// Control connections open at once; more wait in the kernel's queue.
    pub max_connections: u32,
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            socket: PathBuf::from("ggzd.ctl"),
            mode: 0o600,
            group: String::new(),
            max_connections: 4,
        }
    }
}

impl ControlConfig {
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.mode != 0o600 && self.mode != 0o660 {
            return Err((
                "control.mode",
                "must be 0o600 (owner only) or 0o660 (owner and group)".into(),
            ));
        }
        if !(1..=64).contains(&self.max_connections) {
            return Err(("control.max_connections", "must be 1 to 64".into()));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of the `GET /metrics` endpoint, e.g. `127.0.0.1:9188`; not
    /// set: no endpoint.
    pub listen: Option<SocketAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owner_or_group_modes_pass() {
        let mut config = ControlConfig::default();
        assert!(config.check().is_ok());
        config.mode = 0o660;
        assert!(config.check().is_ok());
        config.mode = 0o666;
        assert_eq!(config.check().map_err(|e| e.0), Err("control.mode"));
        config.mode = 0o600;
        config.max_connections = 0;
        assert_eq!(
            config.check().map_err(|e| e.0),
            Err("control.max_connections")
        );
    }

    #[test]
    fn the_sections_parse_from_toml() {
        let config: crate::config::Config = toml::from_str(
            "[control]\nsocket = \"/run/ggzd/ctl\"\nmode = 0o660\n\
             [metrics]\nlisten = \"127.0.0.1:9188\"\n",
        )
        .unwrap();
        assert_eq!(config.control.socket, PathBuf::from("/run/ggzd/ctl"));
        assert_eq!(config.control.mode, 0o660);
        assert_eq!(
            config.metrics.listen,
            Some("127.0.0.1:9188".parse().unwrap())
        );
        assert_eq!(crate::config::Config::default().metrics.listen, None);
    }
}
