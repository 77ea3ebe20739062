//! The control socket's core (docs/control.md): a local operator sends one
//! JSON request per line and gets one JSON reply per line. This module
//! turns a request into zone calls and a reply; it holds no socket. The
//! event loop (`server/control.rs`) owns the Unix socket and carries out
//! what [`Outcome`] asks for.

pub mod reply;
pub mod request;

use std::time::{Duration, Instant};

use crate::proto::types::ResultCode;
use crate::replays::ReplaysJob;
use crate::zone::operator::{Moderated, Moderation};
use crate::zone::{Job, Sink, Zone};
use request::Request;

/// Reason given to a kicked player when the operator gives none.
pub const DEFAULT_KICK_REASON: &str = "Disconnected by the server operator";

/// The last SIGHUP-style reload, for `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadState {
    Never,
    Running,
    Done {
        ok: bool,
        ago_secs: u64,
        error: Option<String>,
    },
}

/// What the event loop knows that the zone does not.
#[derive(Debug, Clone)]
pub struct Facts {
    pub uptime: Duration,
    pub control_connections: usize,
    pub worker_queue: usize,
    pub reload: ReloadState,
}

/// What the event loop does with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Answer now.
    Reply(serde_json::Value),
    /// A ban waits for its commit; `JobDone::Banned` brings the ticket.
    AwaitBan,
    /// A worker builds the answer (an export); `ReplaysDone::Exported`
    /// brings it with the ticket.
    AwaitJob,
    /// Start a reload (or join the one running); answer when it is done.
    Reload,
}

/// Applies one request. `ticket` names it for an answer that comes later.
pub fn handle(
    request: Request,
    ticket: u64,
    zone: &mut Zone,
    facts: &Facts,
    now: Instant,
    sink: &mut dyn Sink,
) -> Outcome {
    let moderation = match request {
        Request::Status => return Outcome::Reply(reply::status(&zone.census(), facts)),
        Request::Who => return Outcome::Reply(reply::who(&zone.who())),
        Request::Tables => return Outcome::Reply(reply::tables(&zone.table_list())),
        Request::Reload => {
            log::info!(target: "admin", "the operator asks for a reload");
            return Outcome::Reload;
        }
        Request::ExportGame { id } => {
            // The database and the JSON are a worker's (docs/control.md).
            sink.submit(Job::Replays(ReplaysJob::Export { ticket, id }));
            return Outcome::AwaitJob;
        }
        Request::Announce { text } => {
            if text.is_empty() || text.len() > zone.settings().chat.max_length {
                return Outcome::Reply(reply::error("the text must be 1 to chat.max_length bytes"));
            }
            let count = zone.operator_announce(&text, sink);
            return Outcome::Reply(serde_json::json!({ "ok": true, "recipients": count }));
        }
        Request::Kick { player, reason } => (
            player,
            Moderation::Kick {
                reason: reason
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| DEFAULT_KICK_REASON.into()),
            },
        ),
        Request::Gag { player } => (player, Moderation::Gag),
        Request::Ungag { player } => (player, Moderation::Ungag),
        Request::Ban { player, reason } => (
            player,
            Moderation::Ban {
                reason: reason.unwrap_or_default(),
            },
        ),
    };
    let (player, action) = moderation;
    match zone.operator_moderate(ticket, &player, action, now, sink) {
        Moderated::Done => Outcome::Reply(reply::ok()),
        Moderated::BanPending => Outcome::AwaitBan,
        Moderated::Refused(ResultCode::UsrLookup) => {
            Outcome::Reply(reply::error(&format!("{player} is not logged in")))
        }
        Moderated::Refused(code) => Outcome::Reply(reply::error(code.as_str())),
    }
}

/// The answer to a ban once the database has it (or not).
pub fn ban_done(stored: bool) -> serde_json::Value {
    if stored {
        reply::ok()
    } else {
        reply::error("the ban could not be stored")
    }
}

/// The answer to a reload once it is over.
pub fn reload_done(result: &Result<(), String>) -> serde_json::Value {
    match result {
        Ok(()) => reply::ok(),
        Err(e) => reply::error(&format!("reload failed, the old set is kept: {e}")),
    }
}
