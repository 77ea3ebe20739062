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
