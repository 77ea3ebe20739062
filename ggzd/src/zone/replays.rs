//! Played games in the zone (docs/replays.md): deciding what to record
//! when a table reports or ends, pacing retention, and the `replays`
//! extension's requests. Files and the database are the workers'
//! (`crate::replays`); this side only submits jobs and relays answers.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use ggzdmod::wire::{GameResult, ReportRecord};

use super::Zone;
use super::effects::{ConnId, Job, Sink, TableSerial, TimerKey, TimerKind, msg};
use super::tables::prune_pacing::{Prune, PrunePacing};
use crate::config::replays::ReplaysConfig;
use crate::proto::ext_replays;
use crate::proto::reply as r;
use crate::proto::types::{ResultCode, SeatKind};
use crate::replays::{RecordJob, ReplaysDone, ReplaysJob, SeatSpec};
use crate::store::{PlayedStatus, SeatResult};

/// `MAX` of `LIST TYPE='played'` when absent or below 1.
pub const LIST_DEFAULT: usize = 20;
/// The most games one LIST answers.
pub const LIST_MAX: usize = 100;
/// Replays requests at the workers at once, from all clients: beyond,
/// clients are told to try again, so logins never queue behind replays.
pub const MAX_ASKING: usize = 32;
/// Played games one prune removes at most.
pub const PRUNE_BATCH: u64 = 1000;
/// A name longer than this is no player's (any spelling): nothing to list.
const MAX_NAME_BYTES: usize = 4 * crate::config::MAX_USERNAME_LENGTH;

/// What the zone needs of `[replays]` and of the network settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySettings {
    pub config: ReplaysConfig,
    /// The most bytes one REPLAY answer may take: half of a client's
    /// output queue, so a page never gets its reader dropped.
    pub answer_bytes: usize,
}

impl Default for ReplaySettings {
    fn default() -> Self {
        ReplaySettings {
            config: ReplaysConfig::default(),
            answer_bytes: 128 * 1024,
        }
    }
}

impl ReplaySettings {
    pub fn new(config: &crate::config::Config) -> ReplaySettings {
        ReplaySettings {
            config: config.replays.clone(),
            answer_bytes: config.network.output_queue_limit / 2,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct ReplayState {
    /// One pacing key for all played games (they share one table).
    prunes: PrunePacing,
    /// Per live table, the savegame (log) already recorded as finished.
    recorded: HashMap<TableSerial, String>,
    /// Clients with a request at the workers.
    asking: HashSet<ConnId>,
}

/// The one key of [`ReplayState::prunes`].
const PRUNE_KEY: usize = 0;

fn seat_result(result: GameResult) -> SeatResult {
    match result {
        GameResult::Win => SeatResult::Win,
        GameResult::Loss => SeatResult::Loss,
        GameResult::Tie => SeatResult::Tie,
        GameResult::Forfeit => SeatResult::Forfeit,
        GameResult::None => SeatResult::None,
    }
}

impl Zone {
    /// A game report arrived: the table's current log, if it is one, is a
    /// finished game (the worker reads it and decides).
    pub(super) fn record_reported_game(
        &mut self,
        room: u32,
        id: u32,
        records: &[ReportRecord],
        sink: &mut dyn Sink,
    ) {
        let Some(table) = self.table(room, id) else {
            return;
        };
        if table.savegame.is_empty()
            || self.replays.recorded.get(&table.serial) == Some(&table.savegame)
        {
            return;
        }
        let mut results = vec![SeatResult::None; table.seats.len()];
        for (rec, _, num) in super::tables::check_records(&table.seats, records) {
            if let Some(r) = results.get_mut(num) {
                *r = seat_result(rec.result);
            }
        }
        let (serial, savegame) = (table.serial, table.savegame.clone());
        if let Some(job) = self.record_job(table, PlayedStatus::Finished, &results) {
            self.replays.recorded.insert(serial, savegame);
            sink.submit(Job::Replays(ReplaysJob::Record(Box::new(job))));
        }
    }

    /// A table ended: a log not recorded as finished is an unfinished game
    /// (its game server crashed or was stopped), the kind RESTORE starts
    /// again.
    pub(super) fn record_unfinished_game(
        &mut self,
        table: &super::tables::Table,
        sink: &mut dyn Sink,
    ) {
        let recorded = self.replays.recorded.remove(&table.serial);
        if table.savegame.is_empty() || recorded.as_ref() == Some(&table.savegame) {
            return;
        }
        let results = vec![SeatResult::None; table.seats.len()];
        if let Some(job) = self.record_job(table, PlayedStatus::Unfinished, &results) {
            sink.submit(Job::Replays(ReplaysJob::Record(Box::new(job))));
        }
    }

    fn record_job(
        &self,
        table: &super::tables::Table,
        status: PlayedStatus,
        results: &[SeatResult],
    ) -> Option<RecordJob> {
        let game = &self.games.get(table.game)?.desc;
        let name = game.name.get(None).to_string();
        let seats = table
            .seats
            .iter()
            .enumerate()
            .filter_map(|(num, seat)| {
                let bot = match seat.kind {
                    SeatKind::Player | SeatKind::Abandoned => false,
                    SeatKind::Bot => true,
                    _ => return None,
                };
                let name = match (&seat.name, bot) {
                    (Some(n), _) => n.clone(),
                    (None, true) => "AI".to_owned(),
                    (None, false) => return None,
                };
                Some(SeatSpec {
                    seat: num as u32,
                    name,
                    bot,
                    result: results.get(num).copied().unwrap_or(SeatResult::None),
                })
            })
            .collect();
        Some(RecordJob {
            dir: self.settings.gamedata_dir.join(&name),
            savegame: table.savegame.clone(),
            game: name,
            internal_name: game.internal_name.clone(),
            ended: super::unix_now(),
            status,
            seats,
            max_log_bytes: self.settings.replays.config.max_log_bytes,
        })
    }

    /// A played-games job came back from a worker.
    pub fn on_replays_done(&mut self, done: ReplaysDone, now: Instant, sink: &mut dyn Sink) {
        match done {
            ReplaysDone::Recorded { stored: true } => self.pace_played_prune(now, sink),
            ReplaysDone::Recorded { stored: false } | ReplaysDone::Pruned => {}
            ReplaysDone::Answer { conn, text } => {
                self.replays.asking.remove(&conn);
                if self.player(conn).is_some() {
                    sink.send(conn, &msg(text));
                }
            }
            // The control socket's: the event loop answers it before the
            // zone sees results (server/worker_results.rs).
            ReplaysDone::Exported { .. } => {}
        }
    }

    /// After a game was stored; the same pacing as savegame pruning
    /// (zone/tables/prune_pacing.rs). Pruning is submitted only after the
    /// insert came back, so it always sees the new row.
    fn pace_played_prune(&mut self, now: Instant, sink: &mut dyn Sink) {
        match self.replays.prunes.table_ended(PRUNE_KEY, now) {
            Prune::Now => self.prune_played(sink),
            Prune::At(at) => sink.timer(
                at,
                TimerKey {
                    conn: super::effects::NO_CONN,
                    kind: TimerKind::PrunePlayed,
                },
            ),
            Prune::Scheduled => {}
        }
    }

    pub(super) fn on_prune_played_timer(&mut self, now: Instant, sink: &mut dyn Sink) {
        self.replays.prunes.due(PRUNE_KEY, now);
        self.prune_played(sink);
    }

    fn prune_played(&self, sink: &mut dyn Sink) {
        let retention = self
            .settings
            .replays
            .config
            .retention(super::unix_now(), PRUNE_BATCH);
        if retention.keep > 0 || retention.ended_before.is_some() {
            sink.submit(Job::Replays(ReplaysJob::Prune(retention)));
        }
    }

    /// Whether `conn` may have one more request at the workers; answers
    /// the refusal itself when not.
    fn admit_asking(&mut self, conn: ConnId, action: &str, sink: &mut dyn Sink) -> bool {
        if self.replays.asking.contains(&conn) || self.replays.asking.len() >= MAX_ASKING {
            let busy = ext_replays::refused(action, ResultCode::InTransit, "busy");
            sink.send(conn, &msg(busy));
            return false;
        }
        self.replays.asking.insert(conn);
        true
    }

    fn wants_replays(&self, conn: ConnId) -> bool {
        self.session(conn).is_some_and(|s| s.ext.replays)
    }

    /// `LIST TYPE='played'` (docs/replays.md §4.1).
    pub(super) fn on_list_played(
        &mut self,
        conn: ConnId,
        player: Option<String>,
        max: Option<i64>,
        sink: &mut dyn Sink,
    ) {
        if !self.wants_replays(conn) {
            // As an unknown TYPE, for a client that did not ask.
            sink.send(conn, &msg(r::result("protocol", ResultCode::BadOptions)));
            return;
        }
        let Some(me) = self.player(conn) else {
            return;
        };
        let player = player.unwrap_or_else(|| me.name.clone());
        let max = match max {
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(LIST_MAX).min(LIST_MAX),
            _ => LIST_DEFAULT,
        };
        if player.len() > MAX_NAME_BYTES {
            sink.send(conn, &msg(ext_replays::list_played(&[])));
            return;
        }
        if self.admit_asking(conn, "list", sink) {
            sink.submit(Job::Replays(ReplaysJob::List { conn, player, max }));
        }
    }

    /// `REPLAY ID='n' FROM='seq'` (docs/replays.md §4.2).
    pub(super) fn on_replay(
        &mut self,
        conn: ConnId,
        id: Option<i64>,
        from: Option<i64>,
        sink: &mut dyn Sink,
    ) {
        if !self.wants_replays(conn) {
            log::debug!("ignoring REPLAY from a client without the replays extension");
            return;
        }
        let Some(id) = id.filter(|id| *id >= 1) else {
            let unknown = ext_replays::refused("replay", ResultCode::BadOptions, "unknown id");
            sink.send(conn, &msg(unknown));
            return;
        };
        let from = from.and_then(|f| u64::try_from(f).ok()).unwrap_or(1).max(1);
        if self.admit_asking(conn, "replay", sink) {
            sink.submit(Job::Replays(ReplaysJob::Load {
                conn,
                id,
                from,
                max_bytes: self.settings.replays.answer_bytes,
            }));
        }
    }
}
