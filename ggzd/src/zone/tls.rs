//! `TLS_START` as the zone sees it (docs/tls.md): whether a connection may
//! switch, and the logins and channels a connection's transport rules out.
//! The switch itself is the event loop's (`Sink::start_tls`).

use super::Zone;
use super::effects::{Close, ConnId, Sink, msg};
use super::session::State;
use crate::proto::reply as r;
use crate::proto::request::{LoginKind, LoginRequest};
use crate::proto::types::ResultCode;

/// What the configuration says about TLS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TlsPolicy {
    /// A certificate is configured: the greeting says `TLS_SUPPORT='yes'`.
    pub offered: bool,
    /// `normal` and `first` logins need a connection that started TLS.
    pub login_requires_tls: bool,
}

/// The answer to a password login on a plain connection when TLS is
/// required: this kind of login is not accepted here.
pub const PLAIN_PASSWORD_REFUSED: ResultCode = ResultCode::WrongLoginType;

impl Zone {
    /// `TLS_START`: only a fresh connection (no LOGIN, no CHANNEL yet)
    /// switches, and only once. Otherwise nothing is answered (the request
    /// has no reply); a client that starts its handshake anyway sends bytes
    /// that are not XML, and the decoder ends that one connection.
    pub(crate) fn on_tls_start(&mut self, conn: ConnId, sink: &mut dyn Sink) {
        let offered = self.settings.tls.offered;
        let Some(session) = self.session_mut(conn) else {
            return;
        };
        if !offered {
            log::info!(target: "security", "TLS_START refused: TLS is not offered");
            return;
        }
        if session.tls || !matches!(session.state, State::Fresh) {
            log::info!(target: "security", "TLS_START refused: only before LOGIN, once");
            return;
        }
        session.tls = true;
        sink.start_tls(conn);
    }

    /// With `login_requires_tls`, answers a password login on a plain
    /// connection and returns true. The connection stays open: it may
    /// still start TLS, or log in as a guest.
    pub(crate) fn refuse_plain_password(
        &self,
        conn: ConnId,
        login: &LoginRequest,
        sink: &mut dyn Sink,
    ) -> bool {
        let plain = self.session(conn).is_some_and(|s| !s.tls);
        let first = matches!(login.kind, Some(LoginKind::First));
        let with_password = first || matches!(login.kind, Some(LoginKind::Normal));
        if !(self.settings.tls.login_requires_tls && plain && with_password) {
            return false;
        }
        log::info!(target: "security", "password login without TLS refused");
        let text = if first {
            r::result_login_first_fail(PLAIN_PASSWORD_REFUSED)
        } else {
            r::result("login", PLAIN_PASSWORD_REFUSED)
        };
        sink.send(conn, &msg(text));
        true
    }

    /// A game channel is handed to a game server as a plain socket, so a
    /// connection inside TLS cannot become one: it is closed.
    pub(crate) fn refuse_channel_over_tls(&self, conn: ConnId, sink: &mut dyn Sink) -> bool {
        if !self.session(conn).is_some_and(|s| s.tls) {
            return false;
        }
        log::info!(target: "security", "CHANNEL inside TLS refused");
        sink.send(conn, &msg(r::result("channel", ResultCode::BadOptions)));
        sink.close(conn, Close::AfterFlush);
        true
    }
}
