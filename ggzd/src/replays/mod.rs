//! Played games on the worker threads (docs/replays.md): recording a
//! table's event log, pruning by retention, and building the answers to
//! `LIST TYPE='played'` and `REPLAY`. The zone decides (zone/replays.rs);
//! everything that reads a file or the database happens here.

pub mod export;
pub mod record;

use std::path::PathBuf;

use crate::proto::ext_replays;
use crate::proto::types::ResultCode;
use crate::store::replays::MAX_REPLAY_EVENTS;
use crate::store::{
    NewPlayed, PlayedSeat, PlayedSeatKind, PlayedStatus, ReplayError, Retention, SeatResult, Store,
};
use crate::zone::ConnId;
use record::Found;

/// One seat of a game to record, as the zone saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatSpec {
    pub seat: u32,
    pub name: String,
    pub bot: bool,
    pub result: SeatResult,
}

/// A table's game to record.
#[derive(Debug, Clone)]
pub struct RecordJob {
    /// The game's working directory.
    pub dir: PathBuf,
    /// The savegame name the game server reported.
    pub savegame: String,
    /// The game's name (its description's), the record's key.
    pub game: String,
    /// The name the game server was launched with, which the log names.
    pub internal_name: String,
    pub ended: i64,
    pub status: PlayedStatus,
    pub seats: Vec<SeatSpec>,
    pub max_log_bytes: u64,
}

/// Work for a worker.
#[derive(Debug)]
pub enum ReplaysJob {
    Record(Box<RecordJob>),
    Prune(Retention),
    /// `LIST TYPE='played'` for `conn`.
    List {
        conn: ConnId,
        player: String,
        max: usize,
    },
    /// One page of `REPLAY` for `conn`, at most `max_bytes`.
    Load {
        conn: ConnId,
        id: i64,
        from: u64,
        max_bytes: usize,
    },
    /// `export-game` of the control socket, answered to `ticket`.
    Export {
        ticket: u64,
        id: i64,
    },
}

/// What came of it.
#[derive(Debug)]
pub enum ReplaysDone {
    /// A record job ended (stored or not): retention may be due.
    Recorded {
        stored: bool,
    },
    Pruned,
    /// The answer for this client.
    Answer {
        conn: ConnId,
        text: String,
    },
    /// The control socket's answer to `ticket` (docs/control.md).
    Exported {
        ticket: u64,
        reply: serde_json::Value,
    },
}

pub fn run(store: &mut Store, job: ReplaysJob) -> ReplaysDone {
    match job {
        ReplaysJob::Record(job) => ReplaysDone::Recorded {
            stored: record(store, &job),
        },
        ReplaysJob::Prune(retention) => {
            match store.prune_played(&retention) {
                Ok(0) => {}
                Ok(n) => log::debug!(target: "tables", "{n} played games pruned"),
                Err(e) => log::error!(target: "tables", "cannot prune played games: {e}"),
            }
            ReplaysDone::Pruned
        }
        ReplaysJob::List { conn, player, max } => {
            let text = match store.list_played(Some(&player), max) {
                Ok(games) => ext_replays::list_played(&games),
                Err(e) => {
                    log::error!("cannot list played games: {e}");
                    ext_replays::refused("list", ResultCode::BadOptions, "database error")
                }
            };
            ReplaysDone::Answer { conn, text }
        }
        ReplaysJob::Load {
            conn,
            id,
            from,
            max_bytes,
        } => ReplaysDone::Answer {
            conn,
            text: replay_answer(store, id, from, max_bytes),
        },
        ReplaysJob::Export { ticket, id } => ReplaysDone::Exported {
            ticket,
            reply: export_reply(store, id),
        },
    }
}

/// The largest export sent through the control socket. Its replies are
/// one line each, and a connection is dropped once 8 MiB wait for it
/// (docs/control.md): the document, escaped into a JSON string, must stay
/// well below that. ggzduedit exports any size from the database.
pub const MAX_CONTROL_EXPORT: usize = 2 * 1024 * 1024;

fn export_reply(store: &Store, id: i64) -> serde_json::Value {
    let error = |text: String| serde_json::json!({ "ok": false, "error": text });
    let replay = match store.load_replay(id) {
        Ok(replay) => replay,
        Err(ReplayError::UnknownId) => return error(format!("no played game {id}")),
        Err(ReplayError::Store(e)) => {
            log::error!("cannot load played game {id}: {e}");
            return error("database error".to_owned());
        }
        Err(refused) => return error(format!("played game {id}: {refused}")),
    };
    match export::to_json(&replay) {
        Ok(json) if json.len() <= MAX_CONTROL_EXPORT => serde_json::json!({
            "ok": true,
            "events": replay.log.events.len(),
            "json": json,
        }),
        Ok(json) => error(format!(
            "played game {id} is too large for the control socket ({} bytes); \
             use ggzduedit export-game",
            json.len()
        )),
        Err(e) => error(format!("played game {id}: {e}")),
    }
}

fn replay_answer(store: &Store, id: i64, from: u64, max_bytes: usize) -> String {
    let refuse = |code, reason: &str| ext_replays::refused("replay", code, reason);
    match store.load_replay(id) {
        Ok(replay) => ext_replays::replay_page(&replay, from, max_bytes).unwrap_or_else(|| {
            refuse(
                ResultCode::TooLong,
                &format!("event {from} is too large to send"),
            )
        }),
        Err(ReplayError::UnknownId) => refuse(ResultCode::BadOptions, "unknown id"),
        Err(ReplayError::Corrupt(why)) => refuse(
            ResultCode::BadOptions,
            &format!("the event log is corrupt: {why}"),
        ),
        Err(ReplayError::Forged) => refuse(ResultCode::BadOptions, "the event log is forged"),
        Err(ReplayError::Store(e)) => {
            log::error!("cannot load played game {id}: {e}");
            refuse(ResultCode::BadOptions, "database error")
        }
    }
}

/// Reads, checks and stores one table's log; `true` if a game was stored.
fn record(store: &mut Store, job: &RecordJob) -> bool {
    let unfinished = job.status == PlayedStatus::Unfinished;
    let found = match record::read(&job.dir, &job.savegame, job.max_log_bytes) {
        Ok(Found::Log { bytes, .. }) => {
            record::check(bytes, &job.internal_name, unfinished, MAX_REPLAY_EVENTS)
        }
        Ok(other) => other,
        Err(e) => Found::Refused(format!("cannot read savegame {}: {e}", job.savegame)),
    };
    let (bytes, events) = match found {
        Found::NotALog => return false,
        Found::Refused(why) => {
            log::warn!(target: "tables", "{} game not recorded for replays: {why}", job.game);
            return false;
        }
        Found::Log { bytes, events } => (bytes, events),
    };
    let seats: Vec<PlayedSeat> = job
        .seats
        .iter()
        .map(|s| PlayedSeat {
            seat: s.seat,
            name: s.name.clone(),
            kind: if s.bot {
                PlayedSeatKind::Bot
            } else if store
                .user_exists(&crate::config::canonical_name(&s.name))
                .unwrap_or(false)
            {
                PlayedSeatKind::Player
            } else {
                PlayedSeatKind::Guest
            },
            result: s.result,
        })
        .collect();
    let new = NewPlayed {
        game: &job.game,
        ended: job.ended,
        status: job.status,
        events,
        seats: &seats,
        log: &bytes,
    };
    match store.record_played(&new) {
        Ok(id) => {
            log::info!(target: "tables", "{} game recorded as played game {id} ({}, {events} events)", job.game, job.status.as_str());
            true
        }
        Err(e) => {
            log::error!(target: "tables", "cannot record a {} game: {e}", job.game);
            false
        }
    }
}
