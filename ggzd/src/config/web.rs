//! `[web]`: the optional HTTP listener that carries the lobby over
//! WebSocket (docs/websocket.md).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Largest message or frame a WebSocket client may send: a lobby message
/// is one XML element, and the decoder's own bounds are far below this.
pub const MAX_MESSAGE_LIMIT: usize = 64 * 1024;

/// `[web]`. Off unless `listen` is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Address and port of the HTTP/WebSocket listener; port 0 lets the
    /// kernel choose.
    pub listen: Option<SocketAddr>,
    /// Origins a browser page may open the WebSocket from, e.g.
    /// `"https://games.example.org"`; `"*"` allows any. Empty: only pages
    /// served from the same host and port (Origin matches Host).
    pub allowed_origins: Vec<String>,
    /// Largest message (after reassembling fragments) a client may send.
    pub max_message_size: usize,
    /// Largest single frame a client may send.
    pub max_frame_size: usize,
    /// Seconds between pings to an idle WebSocket client; 0 = never.
    pub ping_interval: u32,
    /// The web client's files (`index.html` and the files beside it);
    /// `None`: the client built into the binary. Read at startup and on
    /// SIGHUP.
    pub static_dir: Option<PathBuf>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            listen: None,
            allowed_origins: Vec::new(),
            max_message_size: 16 * 1024,
            max_frame_size: 16 * 1024,
            ping_interval: 30,
            static_dir: None,
        }
    }
}

impl WebConfig {
    /// [`WebConfig::ping_interval`] as a duration; `None` = never.
    pub fn ping_interval(&self) -> Option<Duration> {
        (self.ping_interval > 0).then(|| Duration::from_secs(u64::from(self.ping_interval)))
    }

    pub(super) fn resolve_paths(&mut self, base: &Path) {
        if let Some(dir) = &mut self.static_dir {
            *dir = super::normalize(&base.join(&*dir));
        }
    }

    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        let size = |v: usize| (256..=MAX_MESSAGE_LIMIT).contains(&v);
        if !size(self.max_message_size) {
            return Err((
                "web.max_message_size",
                format!("must be from 256 to {MAX_MESSAGE_LIMIT}"),
            ));
        }
        if !size(self.max_frame_size) || self.max_frame_size > self.max_message_size {
            return Err((
                "web.max_frame_size",
                "must be from 256 to web.max_message_size".into(),
            ));
        }
        if self
            .static_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(("web.static_dir", "must name a directory".into()));
        }
        for origin in &self.allowed_origins {
            let ok = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && !origin.ends_with('/'));
            if !ok {
                return Err((
                    "web.allowed_origins",
                    format!("{origin:?}: an origin is \"*\" or scheme://host[:port], no path"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_valid() {
        let w = WebConfig::default();
        assert_eq!(w.listen, None);
        assert_eq!(w.check(), Ok(()));
        assert_eq!(w.ping_interval(), Some(Duration::from_secs(30)));
    }

    #[test]
    fn bounds_and_origins_are_checked() {
        let w = WebConfig {
            max_message_size: MAX_MESSAGE_LIMIT + 1,
            ..WebConfig::default()
        };
        assert_eq!(w.check().map_err(|e| e.0), Err("web.max_message_size"));
        let w = WebConfig {
            max_frame_size: 32 * 1024,
            ..WebConfig::default()
        };
        assert_eq!(w.check().map_err(|e| e.0), Err("web.max_frame_size"));
        let w = WebConfig {
            allowed_origins: vec!["example.org".into()],
            ..WebConfig::default()
        };
        assert_eq!(w.check().map_err(|e| e.0), Err("web.allowed_origins"));
        let w = WebConfig {
            allowed_origins: vec!["*".into(), "https://example.org:8443".into()],
            ping_interval: 0,
            ..WebConfig::default()
        };
        assert_eq!(w.check(), Ok(()));
        assert_eq!(w.ping_interval(), None);
    }
}
