//! CHANNEL: a second connection of a player becomes the raw game channel
//! its next table receives (docs/client-server.md §14), bound to that
//! player (docs/game-servers.md, "Game channels").
//!
//! The original wire carries no proof of who sent a CHANNEL, only a name.
//! So a channel is accepted only from the address the named player logged
//! in from, unless it presents the player's single-use token
//! (`channel-token`, docs/extensions.md §2, `channel_token.rs`), which
//! replaces the address check. A channel with a token that is wrong, used
//! or lapsed is refused, whatever its address. A prepared channel that is
//! still open is never displaced: the first one wins and a later one is
//! refused. A prepared channel whose client already closed it (a client
//! that gave up on a launch and opens a fresh channel for the next one) is
//! replaced.

use std::time::Instant;

use super::effects::{Close, ConnId, Sink, msg};
use super::session::State;
use super::{Zone, r};
use crate::proto::types::ResultCode;

impl Zone {
    pub(super) fn on_channel(
        &mut self,
        conn: ConnId,
        id: Option<String>,
        token: Option<String>,
        sink: &mut dyn Sink,
    ) {
        let Some(session) = self.session_mut(conn) else {
            return;
        };
        if !matches!(session.state, State::Fresh) {
            return;
        }
        match id {
            Some(id) if !id.is_empty() => {
                session.state = State::Channel {
                    id: Some(id),
                    token,
                }
            }
            _ => sink.send(conn, &msg(r::result("channel", ResultCode::BadOptions))),
        }
    }

    /// The second connection of a player ends its XML session and becomes
    /// the raw game channel the player's next table will receive.
    pub(super) fn complete_channel(
        &mut self,
        conn: ConnId,
        id: Option<String>,
        token: Option<String>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let owner = id
            .as_deref()
            .map(crate::config::canonical_name)
            .and_then(|canonical| self.names.get(&canonical).copied());
        let Some(owner) = owner else {
            // Nobody to give it to: close it rather than keep it forever.
            sink.close(conn, Close::Now);
            self.disconnected(conn, now, sink);
            return;
        };
        let name = id.unwrap_or_default();
        match token {
            Some(token) => {
                if !self.use_channel_token(owner, &token, now, sink) {
                    self.refuse_channel(conn, &name, "its token is not valid", now, sink);
                    return;
                }
            }
            None => {
                let from = self.session(conn).map(|s| s.peer);
                let home = self.session(owner).map(|s| s.peer);
                if from.is_none() || from != home {
                    self.refuse_channel(conn, &name, "it comes from another address", now, sink);
                    return;
                }
            }
        }
        let previous = self.player(owner).and_then(|p| p.channel);
        if let Some(previous) = previous {
            if sink.channel_alive(previous) {
                self.refuse_channel(conn, &name, "a prepared one is still open", now, sink);
                return;
            }
            log::debug!(target: "connections", "{name}: a closed game channel is replaced");
            sink.close(previous, Close::Now);
            self.disconnected(previous, now, sink);
        }
        if let Some(p) = self.player_mut(owner) {
            p.channel = Some(conn);
        }
        if let Some(session) = self.session_mut(conn) {
            session.state = State::Handed { owner };
        }
        self.leave_prelogin(conn);
        sink.send(conn, &msg(r::session_end()));
        sink.stop_reading(conn);
    }

    fn refuse_channel(
        &mut self,
        conn: ConnId,
        name: &str,
        why: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let from = self
            .session(conn)
            .map(|s| s.peer.to_string())
            .unwrap_or_default();
        let name = crate::zone::tables::escape_log(name, 64);
        log::warn!(target: "security", "game channel for {name} from {from} refused: {why}");
        sink.close(conn, Close::Now);
        self.disconnected(conn, now, sink);
    }
}
