//! CHAT (client-server.md §10): room, announce, beep, private and table
//! chat, the length limit, gagging, and a per-player rate limit so one
//! client cannot flood a room.

use std::time::Instant;

use super::effects::{ConnId, Sink, msg};
use super::perms::{self, Perm};
use super::session::Player;
use super::{CHAT_LENGTH, Zone};
use crate::proto::reply as r;
use crate::proto::request::ChatKind;
use crate::proto::types::ResultCode;

/// The chat rate limit: a token bucket per player.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChatLimits {
    /// Messages a player may send in a burst.
    pub burst: f32,
    /// Messages per second a player may sustain; 0 switches the limit off.
    pub rate: f32,
    /// Longest text accepted, in bytes.
    pub max_length: usize,
}

impl Default for ChatLimits {
    fn default() -> Self {
        ChatLimits {
            burst: 10.0,
            rate: 2.0,
            max_length: CHAT_LENGTH,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ChatBucket {
    tokens: f32,
    refilled_at: Instant,
}

impl ChatBucket {
    pub fn new(limits: &ChatLimits, now: Instant) -> Self {
        ChatBucket {
            tokens: limits.burst,
            refilled_at: now,
        }
    }

    /// Takes one token if there is one. The bucket refills lazily, so an
    /// idle player costs no timer.
    pub fn take(&mut self, limits: &ChatLimits, now: Instant) -> bool {
        if limits.rate <= 0.0 {
            return true;
        }
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f32();
        self.tokens = (self.tokens + elapsed * limits.rate).min(limits.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Zone {
    pub(crate) fn on_chat(
        &mut self,
        conn: ConnId,
        kind: ChatKind,
        to: Option<String>,
        text: String,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let code = self.chat(conn, kind, to, &text, now, sink);
        if code != ResultCode::Ok {
            self.reply(conn, "chat", code, sink);
        }
    }

    /// Routes one chat. Answers `ok` itself (before the echo reaches the
    /// sender, as clients expect); any other code is answered by the caller.
    fn chat(
        &mut self,
        conn: ConnId,
        kind: ChatKind,
        to: Option<String>,
        text: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> ResultCode {
        let limits = self.settings.chat;
        let Some(sender) = self.player(conn) else {
            return ResultCode::NotLoggedIn;
        };
        if matches!(kind, ChatKind::Table) && sender.place.is_none() {
            return ResultCode::NoTable;
        }
        let Some(room) = sender.room else {
            return ResultCode::NotInRoom;
        };
        if matches!(kind, ChatKind::Announce) && !perms::has(sender.perms, Perm::ChatAnnounce) {
            return ResultCode::NoPermission;
        }
        if text.len() > limits.max_length {
            return ResultCode::BadOptions;
        }
        let target = match kind {
            ChatKind::Beep | ChatKind::Private => {
                let Some(to) = to.filter(|t| !t.is_empty()) else {
                    return ResultCode::BadOptions;
                };
                let canonical = crate::config::canonical_name(&to);
                let Some(target) = self.names.get(&canonical).copied() else {
                    return ResultCode::UsrLookup;
                };
                let Some(receiver) = self.player(target) else {
                    return ResultCode::UsrLookup;
                };
                if blocked_at_table(sender, receiver) {
                    return ResultCode::AtTable;
                }
                Some(target)
            }
            _ => None,
        };
        let gagged = sender.gagged;
        let from = sender.name.clone();
        let Some(sender) = self.player_mut(conn) else {
            return ResultCode::NotLoggedIn;
        };
        if !sender.chat.take(&limits, now) {
            log::info!(target: "security", "{from}: chat rate limit");
            return ResultCode::BadOptions;
        }
        self.reply(conn, "chat", ResultCode::Ok, sink);

        match (kind, target) {
            (ChatKind::Beep, Some(target)) => {
                if !gagged || self.gag_passes(conn, target) {
                    sink.send(target, &msg(r::chat("beep", &from, None)));
                }
            }
            (ChatKind::Private, Some(target)) => {
                if !gagged || self.gag_passes(conn, target) {
                    sink.send(target, &msg(r::chat("private", &from, Some(text))));
                }
            }
            (ChatKind::Table, _) => {
                // Gagging does not reach table chat, as in the original.
                let line = msg(r::chat("table", &from, Some(text)));
                for member in self.table_audience(conn).unwrap_or_default() {
                    sink.send(member, &line);
                }
            }
            (ChatKind::Announce, _) => {
                let line = msg(r::chat("announce", &from, Some(text)));
                if gagged {
                    sink.send(conn, &line);
                } else {
                    self.broadcast_rooms(&line, sink);
                }
            }
            _ => {
                let line = msg(r::chat("normal", &from, Some(text)));
                if gagged {
                    sink.send(conn, &line);
                } else {
                    self.broadcast_room(room, &line, None, sink);
                }
            }
        }
        ResultCode::Ok
    }

    /// A gagged player's private words still reach hosts and admins.
    fn gag_passes(&self, sender: ConnId, target: ConnId) -> bool {
        target == sender || self.player(target).is_some_and(|p| perms::is_host(p.perms))
    }
}

/// Private chat and beeps are blocked when either side is at a table,
/// unless one of them may message across tables.
fn blocked_at_table(sender: &Player, receiver: &Player) -> bool {
    let privileged = perms::has(sender.perms, Perm::EditPrivmsg)
        || perms::has(receiver.perms, Perm::EditPrivmsg);
    !privileged && (sender.place.is_some() || receiver.place.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_a_burst_then_the_sustained_rate() {
        let limits = ChatLimits {
            burst: 3.0,
            rate: 2.0,
            max_length: 512,
        };
        let t0 = Instant::now();
        let mut bucket = ChatBucket::new(&limits, t0);
        assert!((0..3).all(|_| bucket.take(&limits, t0)));
        assert!(!bucket.take(&limits, t0));
        assert!(bucket.take(&limits, t0 + Duration::from_millis(500)));
        assert!(!bucket.take(&limits, t0 + Duration::from_millis(600)));
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(100);
        assert!((0..3).all(|_| bucket.take(&limits, later)));
        assert!(!bucket.take(&limits, later));
    }

    #[test]
    fn zero_rate_switches_the_limit_off() {
        let limits = ChatLimits {
            burst: 1.0,
            rate: 0.0,
            max_length: 512,
        };
        let t0 = Instant::now();
        let mut bucket = ChatBucket::new(&limits, t0);
        assert!((0..1000).all(|_| bucket.take(&limits, t0)));
    }
}
