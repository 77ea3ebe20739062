//! RESTORE of the `replays` extension: a played game started again from
//! its event log (docs/replays.md, docs/event-log.md §4).
//!
//! The request is checked here, on the event loop; loading and verifying
//! the stored game (its log's chain, then its seal) and writing the log to
//! `gamedata/<Game>/restore.XXXXXX` run on a worker ([`run_restore_job`]).
//! Back on the loop, a table is launched in the requester's room with the
//! log as the launch message's savegame: the game's players get reserved
//! seats, bots stay bots. The game server replays the log and reports
//! WAITING, or refuses it and never does (a failed launch). The requester
//! then gets `RESULT ACTION='restore'` (with the table, or why not), and
//! every player of the game who asked for `replays` gets `RESTORED`.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::Seat;
use crate::config::canonical_name;
use crate::proto::reply as r;
use crate::proto::restore as wire;
use crate::proto::types::{LeaveReason, ResultCode, SeatKind};
use crate::store::Store;
use crate::store::replays::{PlayedSeat, PlayedSeatKind, ReplayError};
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Job, Sink, TableSerial, msg};
use crate::zone::perms::{self, Perm};

/// Prefix of the savegame files RESTORE writes; six random characters
/// follow.
pub const FILE_PREFIX: &str = "restore.";

/// Characters of the random part of a file name.
const NAME_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// What a worker does for one RESTORE.
#[derive(Debug)]
pub struct RestoreJob {
    pub conn: ConnId,
    /// The requester's canonical name: they must have played the game…
    pub canonical: String,
    /// … unless they are an admin.
    pub admin: bool,
    pub id: i64,
    /// The names the room's game goes by (description and internal).
    pub games: Vec<String>,
    pub room: u32,
    /// The game's working directory, where the log is written.
    pub dir: PathBuf,
}

/// A RESTORE back from the worker.
#[derive(Debug)]
pub struct RestoreDone {
    pub conn: ConnId,
    pub canonical: String,
    pub id: i64,
    pub room: u32,
    pub outcome: Result<Restorable, (ResultCode, String)>,
}

/// A verified played game, its log written for the game server.
#[derive(Debug)]
pub struct Restorable {
    /// The savegame's file name in the game's working directory.
    pub file: String,
    /// The game's seats, in seat order.
    pub seats: Vec<PlayedSeat>,
}

/// RESTOREs in flight: at the workers, or launched and not ready yet.
#[derive(Debug, Default)]
pub(crate) struct Restores {
    /// Connections with a RESTORE at the workers (one each).
    asking: HashSet<ConnId>,
    /// Restored tables not ready yet.
    launched: HashMap<TableSerial, Pending>,
}

#[derive(Debug)]
struct Pending {
    requester: ConnId,
    canonical: String,
    played: i64,
    /// (seat, player name) of every reserved seat.
    reserved: Vec<(u32, String)>,
}

impl Zone {
    /// `<RESTORE ID='n'/>` (docs/replays.md). Without the `replays`
    /// extension the element is unknown, as on the original server.
    pub(crate) fn on_restore(
        &mut self,
        conn: ConnId,
        id: Option<i64>,
        _now: std::time::Instant,
        sink: &mut dyn Sink,
    ) {
        if !self.session(conn).is_some_and(|s| s.ext.replays) {
            log::debug!("ignoring RESTORE without the replays extension");
            return;
        }
        match self.restore_job(conn, id) {
            Ok(job) => {
                self.restores.asking.insert(conn);
                sink.submit(Job::Restore(Box::new(job)));
            }
            Err((code, reason)) => refuse(conn, code, &reason, sink),
        }
    }

    fn restore_job(
        &self,
        conn: ConnId,
        id: Option<i64>,
    ) -> Result<RestoreJob, (ResultCode, String)> {
        let id = id.ok_or((ResultCode::BadOptions, "unknown id".to_owned()))?;
        let player = self
            .player(conn)
            .ok_or((ResultCode::NotLoggedIn, "not logged in".to_owned()))?;
        if self.restores.asking.contains(&conn) {
            return Err((ResultCode::InTransit, "busy".to_owned()));
        }
        if !perms::has(player.perms, Perm::LaunchTable) {
            return Err((
                ResultCode::NoPermission,
                "no permission to launch tables".to_owned(),
            ));
        }
        let room_id = player
            .room
            .ok_or((ResultCode::NotInRoom, "not in a room".to_owned()))?;
        let game = self
            .room(room_id)
            .and_then(|room| room.game)
            .and_then(|g| self.games.get(g))
            .map(|g| &g.desc)
            .ok_or((ResultCode::NotInRoom, "this room has no game".to_owned()))?;
        let name = game.name.get(None).to_owned();
        Ok(RestoreJob {
            conn,
            canonical: player.canonical.clone(),
            admin: perms::is_admin(player.perms),
            id,
            games: vec![name.clone(), game.internal_name.clone()],
            room: room_id,
            dir: self.settings.gamedata_dir.join(&name),
        })
    }

    /// The worker loaded (or refused) the game: launch its table.
    pub(crate) fn on_restore_done(
        &mut self,
        done: RestoreDone,
        now: std::time::Instant,
        sink: &mut dyn Sink,
    ) {
        self.restores.asking.remove(&done.conn);
        if self
            .player(done.conn)
            .is_none_or(|p| p.canonical != done.canonical)
        {
            return;
        }
        let restorable = match &done.outcome {
            Ok(r) => r,
            Err((code, reason)) => return refuse(done.conn, *code, reason, sink),
        };
        match self.launch_restored(&done, restorable, now, sink) {
            Ok(()) => {}
            Err((code, reason)) => refuse(done.conn, code, &reason, sink),
        }
    }

    fn launch_restored(
        &mut self,
        done: &RestoreDone,
        restorable: &Restorable,
        now: std::time::Instant,
        sink: &mut dyn Sink,
    ) -> Result<(), (ResultCode, String)> {
        let game = self
            .room(done.room)
            .and_then(|room| room.game)
            .and_then(|g| self.games.get(g))
            .map(|g| &g.desc)
            .ok_or((
                ResultCode::NotInRoom,
                "the room no longer offers the game".to_owned(),
            ))?;
        let count = restorable
            .seats
            .iter()
            .map(|s| s.seat as usize + 1)
            .max()
            .unwrap_or(0);
        if count == 0 || count > super::MAX_SEATS || !game.players_allowed.contains(count as u32) {
            return Err((
                ResultCode::BadOptions,
                format!("a table of {count} seats does not fit the game"),
            ));
        }
        let mut seats = vec![
            Seat {
                kind: SeatKind::Open,
                name: None,
                occupant: None,
            };
            count
        ];
        let mut reserved = Vec::new();
        for s in &restorable.seats {
            let Some(seat) = seats.get_mut(s.seat as usize) else {
                continue;
            };
            *seat = match s.kind {
                PlayedSeatKind::Bot => Seat {
                    kind: SeatKind::Bot,
                    // A named bot of the game keeps its name; any other
                    // bot is the game's default one.
                    name: game
                        .named_bots
                        .iter()
                        .any(|(bot, _)| *bot == s.name)
                        .then(|| s.name.clone()),
                    occupant: None,
                },
                PlayedSeatKind::Player | PlayedSeatKind::Guest => {
                    reserved.push((s.seat, s.name.clone()));
                    Seat {
                        kind: SeatKind::Reserved,
                        name: Some(s.name.clone()),
                        occupant: None,
                    }
                }
            };
        }
        let owner = self
            .player(done.conn)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let desc = format!("Restored game {}", done.id);
        let (serial, table) = self
            .start_table_with_savegame(
                done.room,
                seats,
                owner,
                desc,
                None,
                Some(restorable.file.clone()),
                now,
                sink,
            )
            .map_err(|code| (code, "no table could be launched".to_owned()))?;
        log::info!(
            target: "tables",
            "restoring played game {} as table {table} in room {}",
            done.id,
            done.room
        );
        self.restores.launched.insert(
            serial,
            Pending {
                requester: done.conn,
                canonical: done.canonical.clone(),
                played: done.id,
                reserved,
            },
        );
        Ok(())
    }

    /// A table is ready: if RESTORE launched it, tell the requester and
    /// the game's players. Returns false for any other table.
    ///
    /// A game server that restored its game reported its new log before
    /// WAITING (docs/event-log.md §4). One that reports WAITING first did
    /// not read the savegame (a game server that does not restore, such
    /// as one built on the original library): it would start a fresh game
    /// at the reserved seats, so the table ends and the restore fails.
    pub(super) fn restored_table_ready(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        now: std::time::Instant,
        sink: &mut dyn Sink,
    ) -> bool {
        let Some(p) = self.restores.launched.remove(&serial) else {
            return false;
        };
        let restored = self.table(room, id).is_some_and(|t| !t.savegame.is_empty());
        if !restored {
            log::info!(
                target: "tables",
                "table {id} in room {room} was ready without reading its savegame: \
                 the restore of played game {} fails",
                p.played
            );
            if self
                .player(p.requester)
                .is_some_and(|pl| pl.canonical == p.canonical)
            {
                refuse(
                    p.requester,
                    ResultCode::LaunchFail,
                    "the game server does not restore savegames",
                    sink,
                );
            }
            self.end_table(serial, LeaveReason::GameError, now, sink);
            return true;
        }
        log::info!(target: "tables", "table {id} in room {room} restored played game {}", p.played);
        if self
            .player(p.requester)
            .is_some_and(|pl| pl.canonical == p.canonical)
        {
            sink.send(p.requester, &msg(wire::result_ok(id)));
        }
        let room_name = self
            .room(room)
            .map(|r| r.desc.name.get(None).to_owned())
            .unwrap_or_default();
        for (seat, name) in &p.reserved {
            let Some(&conn) = self.names.get(&canonical_name(name)) else {
                continue;
            };
            if self.session(conn).is_some_and(|s| s.ext.replays) {
                sink.send(conn, &msg(wire::restored(room, id, *seat)));
            } else {
                // Original clients know nothing of RESTORED: a private
                // line and the room's table UPDATE tell them the same.
                let text = format!(
                    "Your game {} was restored: table {id} in room {room_name}, seat {seat}. \
                     Join table {id} to play.",
                    p.played
                );
                sink.send(
                    conn,
                    &msg(r::chat("private", &self.settings.admin_name, Some(&text))),
                );
            }
        }
        true
    }

    /// A table ends: a restored one that never became ready was a failed
    /// launch, most likely a log its game server refused.
    pub(super) fn restored_table_ended(
        &mut self,
        serial: TableSerial,
        announced: bool,
        sink: &mut dyn Sink,
    ) {
        let Some(p) = self.restores.launched.remove(&serial) else {
            return;
        };
        if announced {
            return;
        }
        log::info!(target: "tables", "the restore of played game {} failed to launch", p.played);
        if self
            .player(p.requester)
            .is_some_and(|pl| pl.canonical == p.canonical)
        {
            refuse(
                p.requester,
                ResultCode::LaunchFail,
                "the game server refused the event log or could not start (see the server log)",
                sink,
            );
        }
    }
}

fn refuse(conn: ConnId, code: ResultCode, reason: &str, sink: &mut dyn Sink) {
    sink.send(conn, &msg(wire::result_refused(code, reason)));
}

/// On a worker: loads and verifies the played game, checks it may be
/// restored by this player in this room, and writes its log for the game
/// server.
pub(crate) fn run_restore_job(store: &mut Store, job: RestoreJob) -> RestoreDone {
    let outcome = restorable(store, &job);
    if let Err((_, why)) = &outcome {
        log::info!(target: "tables", "RESTORE of played game {} refused: {why}", job.id);
    }
    RestoreDone {
        conn: job.conn,
        canonical: job.canonical,
        id: job.id,
        room: job.room,
        outcome,
    }
}

fn restorable(store: &Store, job: &RestoreJob) -> Result<Restorable, (ResultCode, String)> {
    let replay = store.load_replay(job.id).map_err(|e| match e {
        ReplayError::UnknownId => (ResultCode::BadOptions, "unknown id".to_owned()),
        ReplayError::Corrupt(why) => (
            ResultCode::BadOptions,
            format!("the event log is corrupt: {why}"),
        ),
        ReplayError::Forged => (ResultCode::BadOptions, "the event log is forged".to_owned()),
        ReplayError::Store(e) => {
            log::error!(target: "tables", "cannot load played game {}: {e}", job.id);
            (ResultCode::BadOptions, "database error".to_owned())
        }
    })?;
    let summary = replay.summary;
    if !job.games.contains(&summary.game) {
        return Err((
            ResultCode::NotInRoom,
            format!("this room does not offer {}", summary.game),
        ));
    }
    let played = summary
        .seats
        .iter()
        .any(|s| s.kind != PlayedSeatKind::Bot && canonical_name(&s.name) == job.canonical);
    if !played && !job.admin {
        return Err((
            ResultCode::NoPermission,
            "only its players or an admin may restore a game".to_owned(),
        ));
    }
    let file = write_savegame(&job.dir, &replay.raw).map_err(|e| {
        log::error!(target: "tables", "cannot write a restore savegame in {}: {e}", job.dir.display());
        (ResultCode::LaunchFail, "cannot write the savegame".to_owned())
    })?;
    Ok(Restorable {
        file,
        seats: summary.seats,
    })
}

/// Writes `bytes` to a new `restore.XXXXXX` in `dir`; returns its name.
fn write_savegame(dir: &Path, bytes: &[u8]) -> io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let mut last = io::Error::other("no file name tried");
    for _ in 0..16 {
        let mut random = [0u8; 6];
        crate::random::fill(&mut random)?;
        let mut name = String::from(FILE_PREFIX);
        for b in random {
            let i = usize::from(b) % NAME_CHARS.len();
            name.push(char::from(NAME_CHARS.get(i).copied().unwrap_or(b'x')));
        }
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(&name))
        {
            Ok(mut file) => {
                file.write_all(bytes)?;
                return Ok(name);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn savegames_are_new_files() {
        let dir = std::env::temp_dir().join(format!("ggzd-restore-{}", std::process::id()));
        let a = write_savegame(&dir, b"ggz-event-log 1 G\n").unwrap();
        let b = write_savegame(&dir, b"x").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(FILE_PREFIX) && a.len() == FILE_PREFIX.len() + 6);
        assert_eq!(std::fs::read(dir.join(&a)).unwrap(), b"ggz-event-log 1 G\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
