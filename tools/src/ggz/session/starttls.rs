//! `TLS_START` on the server connection (docs/tls.md): when the greeting
//! offers TLS, the session header and `<TLS_START/>` go out plain and the
//! handshake starts right after them on the same socket.

use super::super::tls::{self, Trust};
use super::{HEADER, Session};

impl Session {
    /// Starts TLS if the server offers it and the user did not say no.
    /// Returns whether the session header has been sent (it goes before
    /// `TLS_START`), or `None` when the connection was lost.
    pub(super) fn start_tls_if_offered(&mut self, offered: bool) -> Option<bool> {
        if !offered || self.options.tls == Trust::Off {
            if !offered && matches!(self.options.tls, Trust::CaFile(_) | Trust::Insecure) {
                self.say("note: the server does not offer TLS; the connection is not encrypted");
            }
            return Some(false);
        }
        let config = match tls::client_config(&self.options.tls) {
            Ok(Some(config)) => config,
            Ok(None) => return Some(false),
            Err(e) => {
                self.lost_main(&format!("cannot start TLS: {e}"));
                return None;
            }
        };
        let name = match tls::server_name(&self.options.address.host) {
            Ok(name) => name,
            Err(e) => {
                self.lost_main(&format!("cannot start TLS: {e}"));
                return None;
            }
        };
        let link = self.main.as_mut()?;
        let registry = self.poll.registry();
        // No newline after the element: the handshake's first byte follows
        // the `/>` directly.
        let started = link
            .send(registry, format!("{HEADER}<TLS_START/>").as_bytes())
            .and_then(|()| link.start_tls(registry, config, name));
        if let Err(e) = started {
            self.lost_main(&format!("cannot start TLS: {e}"));
            return None;
        }
        self.say("starting TLS");
        Some(true)
    }
}
