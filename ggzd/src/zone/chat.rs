//! CHAT (docs/client-server.md §10): room, announce, beep, private and table
//! chat, the length limit, gagging, and flood control: a player's lines
//! beyond the rate limit wait and go out later, in order (`flood`,
//! docs/chat-flood.md).

use std::time::Instant;

use super::effects::{Close, ConnId, Sink, TimerKey, TimerKind, msg};
use super::flood::{Admission, ChatFlow, FloodLimits, Overflow, Released};
use super::perms::{self, Perm};
use super::session::Player;
use super::{CHAT_LENGTH, Zone};
use crate::proto::reply as r;
use crate::proto::request::ChatKind;
use crate::proto::types::ResultCode;

/// The chat limits: length, and the token bucket with its backlog.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChatLimits {
    /// Messages a player may send in a burst.
    pub burst: f32,
    /// Messages per second a player may sustain; 0 switches the limit off.
    pub rate: f32,
    /// Longest text accepted, in bytes.
    pub max_length: usize,
    /// Most lines waiting per player beyond the burst.
    pub backlog_lines: usize,
    /// Most bytes of text waiting per player.
    pub backlog_bytes: usize,
    /// What a line beyond the backlog costs its sender.
    pub overflow: Overflow,
}

impl Default for ChatLimits {
    fn default() -> Self {
        let flood = FloodLimits::default();
        ChatLimits {
            burst: flood.burst as f32,
            rate: flood.rate as f32,
            max_length: CHAT_LENGTH,
            backlog_lines: flood.backlog_lines,
            backlog_bytes: flood.backlog_bytes,
            overflow: flood.overflow,
        }
    }
}

impl ChatLimits {
    fn flood(&self) -> FloodLimits {
        FloodLimits {
            burst: f64::from(self.burst),
            rate: f64::from(self.rate),
            backlog_lines: self.backlog_lines,
            backlog_bytes: self.backlog_bytes,
            overflow: self.overflow,
        }
    }
}

/// A CHAT request as it waits in the backlog: checked only when it goes,
/// so that it meets the world as it is then (the target may have left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeldChat {
    kind: ChatKind,
    to: Option<String>,
    text: String,
}

/// One player's bucket and backlog.
#[derive(Debug, Clone)]
pub(crate) struct ChatBucket(ChatFlow<HeldChat>);

impl ChatBucket {
    pub fn new(limits: &ChatLimits, now: Instant) -> Self {
        ChatBucket(ChatFlow::new(&limits.flood(), now))
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
        let limits = self.settings.chat.flood();
        let Some(sender) = self.player_mut(conn) else {
            self.reply(conn, "chat", ResultCode::NotLoggedIn, sink);
            return;
        };
        let bytes = text.len() + to.as_ref().map_or(0, String::len);
        let held = HeldChat { kind, to, text };
        let flow = &mut sender.chat.0;
        let admission = flow.admit(&limits, now, held, bytes);
        let name = sender.name.clone();
        match admission {
            Admission::Now(chat) => self.deliver(conn, chat, sink),
            Admission::Held => self.arm_chat_timer(conn, sink),
            Admission::RefuseLater => {}
            Admission::RefuseNow => {
                log::info!(target: "security", "{name}: chat flood, line refused");
                self.reply(conn, "chat", ResultCode::BadOptions, sink);
            }
            Admission::Disconnect => {
                log::info!(target: "security", "{name}: chat flood past the backlog, disconnected");
                self.reply(conn, "chat", ResultCode::BadOptions, sink);
                sink.send(conn, &msg(r::session_end()));
                sink.close(conn, Close::AfterFlush);
                self.disconnected(conn, now, sink);
            }
        }
    }

    /// The release timer of a player's chat backlog fired.
    pub(crate) fn on_chat_timer(
        &mut self,
        conn: ConnId,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let limits = self.settings.chat.flood();
        let Some(sender) = self.player_mut(conn) else {
            return;
        };
        let flow = &mut sender.chat.0;
        if flow.release_due != Some(deadline) {
            return;
        }
        flow.release_due = None;
        let released = flow.release(&limits, now);
        let name = sender.name.clone();
        for item in released {
            match item {
                Released::Line(chat) => self.deliver(conn, chat, sink),
                Released::Refused(n) => {
                    log::info!(target: "security", "{name}: chat flood, {n} line(s) refused");
                    for _ in 0..n {
                        self.reply(conn, "chat", ResultCode::BadOptions, sink);
                    }
                }
            }
        }
        self.arm_chat_timer(conn, sink);
    }

    /// Sets the release timer for the first waiting line, unless one is
    /// already set.
    fn arm_chat_timer(&mut self, conn: ConnId, sink: &mut dyn Sink) {
        let limits = self.settings.chat.flood();
        let Some(sender) = self.player_mut(conn) else {
            return;
        };
        let flow = &mut sender.chat.0;
        if flow.release_due.is_some() {
            return;
        }
        if let Some(at) = flow.next_release(&limits) {
            flow.release_due = Some(at);
            sink.timer(
                at,
                TimerKey {
                    conn,
                    kind: TimerKind::ChatRelease,
                },
            );
        }
    }

    /// Routes one line that may go now and answers it: `ok` before the
    /// echo reaches the sender, as clients expect, or the error.
    fn deliver(&mut self, conn: ConnId, chat: HeldChat, sink: &mut dyn Sink) {
        let HeldChat { kind, to, text } = chat;
        let code = self.route(conn, kind, to, &text, sink);
        if code != ResultCode::Ok {
            self.reply(conn, "chat", code, sink);
        }
    }

    /// Routes one chat. Answers `ok` itself; any other code is answered by
    /// the caller.
    fn route(
        &mut self,
        conn: ConnId,
        kind: ChatKind,
        to: Option<String>,
        text: &str,
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
                    // Not here: maybe on another node of the cluster.
                    let text = matches!(kind, ChatKind::Private).then_some(text);
                    return match self.cluster_private(sender, &canonical, text, sink) {
                        None => ResultCode::UsrLookup,
                        Some(Err(code)) => code,
                        Some(Ok(())) => {
                            self.reply(conn, "chat", ResultCode::Ok, sink);
                            self.metrics.chat(kind.as_str());
                            ResultCode::Ok
                        }
                    };
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
        self.reply(conn, "chat", ResultCode::Ok, sink);
        self.metrics.chat(kind.as_str());

        let recipients = match (kind, target) {
            (ChatKind::Beep, Some(target)) => {
                if !gagged || self.gag_passes(conn, target) {
                    sink.send(target, &msg(r::chat("beep", &from, None)));
                    1
                } else {
                    0
                }
            }
            (ChatKind::Private, Some(target)) => {
                if !gagged || self.gag_passes(conn, target) {
                    sink.send(target, &msg(r::chat("private", &from, Some(text))));
                    1
                } else {
                    0
                }
            }
            (ChatKind::Table, _) if self.cluster_table_chat_out(conn, &from, text, sink) => 0,
            (ChatKind::Table, _) => {
                // Gagging does not reach table chat, as in the original.
                let line = msg(r::chat("table", &from, Some(text)));
                let audience = self.table_audience(conn).unwrap_or_default();
                for &member in &audience {
                    sink.send(member, &line);
                }
                if let Some(place) = self.player(conn).and_then(|p| p.place) {
                    self.cluster_table_chat_fanout(room, place.table, &from, text, sink);
                }
                audience.len()
            }
            (ChatKind::Announce, _) => {
                let line = msg(r::chat("announce", &from, Some(text)));
                if gagged {
                    sink.send(conn, &line);
                    1
                } else {
                    self.cluster_chat(None, &from, text, sink);
                    self.broadcast_rooms(&line, sink)
                }
            }
            _ => {
                let line = msg(r::chat("normal", &from, Some(text)));
                if gagged {
                    sink.send(conn, &line);
                    1
                } else {
                    self.cluster_chat(Some(room), &from, text, sink);
                    self.broadcast_room(room, &line, None, sink)
                }
            }
        };
        self.metrics.chat_delivered(recipients);
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

    #[test]
    fn limits_carry_over_to_the_flow() {
        let limits = ChatLimits {
            burst: 3.0,
            rate: 0.5,
            max_length: 512,
            backlog_lines: 7,
            backlog_bytes: 99,
            overflow: Overflow::Disconnect,
        };
        let flood = limits.flood();
        assert_eq!((flood.burst, flood.rate), (3.0, 0.5));
        assert_eq!((flood.backlog_lines, flood.backlog_bytes), (7, 99));
        assert_eq!(flood.overflow, Overflow::Disconnect);
    }
}
