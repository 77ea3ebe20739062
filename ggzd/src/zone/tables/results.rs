//! Game reports, savegames, rankings, and the end of a table.

use std::time::Instant;

use ggzdmod::wire::{GameResult, ReportRecord};

use super::guard::{REPORT_NAME_MAX, REPORT_RATE};
use super::{Seat, escape_log};

use super::prune_pacing::Prune;
use crate::config::canonical_name;
use crate::proto::reply::{self as r, SeatView};
use crate::proto::types::{LeaveReason, ResultCode, SeatKind, TableStatus};
use crate::store::{GameResult as StoreResult, Participant, ParticipantKind, StatsFlags};
use crate::zone::Zone;
use crate::zone::effects::{
    ConnId, GameReportJob, Job, Sink, TableSerial, TimerKey, TimerKind, msg,
};

impl Zone {
    pub(super) fn on_game_report(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        records: Vec<ReportRecord>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let burst = self.settings.tables.max_reports as f32;
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        // A table may play many games (rematches), each reported, but it
        // cannot grow the database faster than this.
        if !table.guard.reports.take(burst, REPORT_RATE, now) {
            if !std::mem::replace(&mut table.guard.reports_refused, true) {
                log::warn!(target: "tables", "table {id} in room {room}: report limit reached, reports are ignored for a while");
            }
            return;
        }
        table.guard.reports_refused = false;
        self.record_reported_game(room, id, &records, sink);
        let Some(table) = self.table(room, id) else {
            return;
        };
        let Some(game) = self.games.get(table.game).map(|g| &g.desc) else {
            return;
        };
        if !(game.records || game.ratings || game.highscores) {
            return;
        }
        if records.len() > table.seats.len() {
            log::warn!(target: "tables", "table {id} in room {room}: report of {} records for {} seats ignored", records.len(), table.seats.len());
            return;
        }
        let checked: Vec<(&ReportRecord, String)> = check_records(&table.seats, &records)
            .into_iter()
            .map(|(rec, name, _)| (rec, name))
            .collect();
        if checked.len() < records.len() {
            let names: Vec<String> = records
                .iter()
                .filter(|rec| !checked.iter().any(|(r, _)| std::ptr::eq(*r, *rec)))
                .map(|rec| escape_log(&rec.name, REPORT_NAME_MAX))
                .collect();
            log::warn!(target: "tables", "table {id} in room {room}: report records naming no seat of the table ignored: {}", names.join(", "));
        }
        if checked.is_empty() {
            return;
        }
        let participants = checked
            .iter()
            .filter_map(|(rec, name)| {
                let kind = match rec.kind {
                    SeatKind::Player => ParticipantKind::Player,
                    SeatKind::Bot => ParticipantKind::Bot,
                    SeatKind::Abandoned => ParticipantKind::Abandoned,
                    _ => return None,
                };
                let canonical = canonical_name(name);
                let registered = kind == ParticipantKind::Player
                    && match self.names.get(&canonical) {
                        Some(c) => self.player(*c).is_some_and(|p| !p.guest),
                        None => self.remote_registered(&canonical),
                    };
                Some(Participant {
                    name: name.clone(),
                    seat_type: kind,
                    team: rec.team,
                    result: match rec.result {
                        GameResult::Win => StoreResult::Win,
                        GameResult::Loss => StoreResult::Loss,
                        GameResult::Tie => StoreResult::Tie,
                        GameResult::Forfeit => StoreResult::Forfeit,
                        GameResult::None => StoreResult::None,
                    },
                    score: i64::from(rec.score),
                    registered,
                })
            })
            .collect();
        let job = GameReportJob {
            table: serial,
            game: game.name.get(None).to_string(),
            flags: StatsFlags {
                records: game.records,
                ratings: game.ratings,
                highscores: game.highscores,
            },
            participants,
            savegame: table.savegame.clone(),
            now: crate::zone::unix_now(),
        };
        if let Some(table) = self.table_mut(room, id) {
            table.reports_pending += 1;
        }
        let written = job
            .participants
            .iter()
            .filter(|p| p.seat_type != ParticipantKind::Bot)
            .map(|p| canonical_name(&p.name))
            .collect();
        self.stats_order.write_begun(serial, written);
        sink.submit(Job::GameReport(Box::new(job)));
    }

    pub(super) fn on_savegame(
        &mut self,
        room: u32,
        id: u32,
        savegame: String,
        sink: &mut dyn Sink,
    ) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        table.savegame = savegame.clone();
        let owner = crate::config::canonical_name(&table.owner);
        let table_key = format!("{}:{}", table.serial, std::process::id());
        let game = self
            .table(room, id)
            .and_then(|t| self.games.get(t.game))
            .map(|g| g.desc.name.get(None).to_string())
            .unwrap_or_default();
        sink.submit(Job::Savegame {
            game,
            owner,
            savegame,
            table_key,
            now: crate::zone::unix_now(),
        });
    }

    /// A report was committed: refresh the players' statistics and tell the
    /// table's room; then finish a table that was waiting for it.
    pub fn on_report_done(
        &mut self,
        serial: TableSerial,
        game: String,
        updated: Vec<(String, crate::store::StatsRecord)>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let room = self.table_by_serial(serial).map(|(room, _)| room);
        let written: Vec<String> = updated.iter().map(|(h, _)| canonical_name(h)).collect();
        let fresh = self.stats_order.write_done(serial, &game, &written);
        // Rows that may be older than what a faster job showed meanwhile
        // are read again rather than shown (zone/stats_order.rs).
        let (shown, stale): (Vec<_>, Vec<_>) = updated
            .into_iter()
            .zip(fresh)
            .partition(|(_, fresh)| *fresh);
        self.refresh_stats(
            room,
            false,
            &game,
            shown.into_iter().map(|(row, _)| row).collect(),
            sink,
        );
        for ((handle, _), _) in stale {
            let canonical = canonical_name(&handle);
            if self.names.contains_key(&canonical) {
                self.reload_stats(&canonical, &game, sink);
            } else {
                self.cluster_stats_changed(&handle, &game, true, sink);
            }
        }
        let Some((room, id)) = self.table_by_serial(serial) else {
            return;
        };
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        table.reports_pending = table.reports_pending.saturating_sub(1);
        if table.reports_pending == 0
            && let Some(reason) = table.end_deferred.take()
        {
            self.end_table(serial, reason, now, sink);
        }
    }

    /// A report held while the store was away has been written: the
    /// players' statistics change as for any report; the table, if it
    /// still exists, was told long ago.
    pub fn on_late_report(
        &mut self,
        game: &str,
        updated: Vec<(String, crate::store::StatsRecord)>,
        sink: &mut dyn Sink,
    ) {
        let names: Vec<String> = updated.iter().map(|(h, _)| canonical_name(h)).collect();
        for name in &names {
            self.stats_order.changed(name, game);
        }
        self.refresh_stats(None, true, game, updated, sink);
        // Its submission is long past: a read that came back before it may
        // have shown newer rows than these, so they are read once more.
        for name in names {
            if self.names.contains_key(&name) {
                self.reload_stats(&name, game, sink);
            }
        }
    }

    /// Rows read again (`Job::ReloadStats`), shown as for a late report.
    pub(crate) fn show_late_stats(
        &mut self,
        game: &str,
        updated: Vec<(String, crate::store::StatsRecord)>,
        sink: &mut dyn Sink,
    ) {
        self.refresh_stats(None, true, game, updated, sink);
    }

    /// New statistics rows of online players; the players in `room` (the
    /// table's), or for a `late` report or a table that has ended (`room`
    /// unknown) the player's own room, see the change.
    fn refresh_stats(
        &mut self,
        room: Option<u32>,
        late: bool,
        game: &str,
        updated: Vec<(String, crate::store::StatsRecord)>,
        sink: &mut dyn Sink,
    ) {
        for (handle, stats) in updated {
            let Some(conn) = self.names.get(&canonical_name(&handle)).copied() else {
                self.cluster_stats_changed(&handle, game, !late, sink);
                continue;
            };
            let Some(player) = self.player_mut(conn) else {
                continue;
            };
            match player.stats.iter_mut().find(|(g, _)| *g == *game) {
                Some((_, s)) => *s = stats,
                None => player.stats.push((game.to_owned(), stats)),
            }
            // A late report has no table room left to tell: the player's
            // own room sees the change. Nor has a report whose table ended
            // while it was being stored: players who leave at the game's
            // end empty the table before the commit comes back.
            let player_room = player.room;
            let shown = match room {
                Some(room) if !late => Some(room).filter(|_| player_room == Some(room)),
                _ => player_room,
            };
            if let (Some(room), Some(player)) = (shown, self.player(conn)) {
                let view = self.player_view(player, room);
                let update = r::update_player_stats(room as i32, &player.name, view.stats.as_ref());
                self.broadcast_room(room, &msg(update), None, sink);
            }
            self.cluster_player_changed(conn, sink);
        }
    }

    // ----- the end of a table ---------------------------------------------

    /// Removes the table: the game server is stopped, everyone at it is
    /// told, and the room sees it go.
    pub(crate) fn end_table(
        &mut self,
        serial: TableSerial,
        reason: LeaveReason,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some((room, id)) = self.table_index.remove(&serial) else {
            return;
        };
        let Some(mut table) = self
            .rooms
            .get_mut(room as usize)
            .and_then(Option::as_mut)
            .and_then(|r| r.tables.remove(&id))
        else {
            return;
        };
        sink.end_table(serial);
        self.restored_table_ended(serial, table.announced(), sink);
        self.record_unfinished_game(&table, sink);
        if !table.savegame.is_empty() {
            self.pace_savegame_prune(table.game, now, sink);
        }
        log::info!(target: "tables", "table {id} in room {room} ends ({})", reason.as_str());
        let announced = table.announced();
        self.metrics
            .table_ended(table.game, crate::metrics::table_outcome(announced, reason));
        if let Some(launcher) = table.launcher.take()
            && let Some(p) = self.player_mut(launcher)
            && p.launching == Some(id)
        {
            p.launching = None;
            self.reply(launcher, "launch", ResultCode::LaunchFail, sink);
            self.cluster_player_changed(launcher, sink);
        }
        if announced && reason == LeaveReason::GameOver {
            let status = r::update_table_status(
                room as i32,
                id as i32,
                TableStatus::Done.as_i32(),
                table.seat_count(),
            );
            self.broadcast_table_room(room, status, sink);
        }
        let seats = table.seat_count();
        let mut gone = Vec::new();
        for (num, seat) in table.seats.iter().enumerate() {
            if let (Some(conn), Some(name)) = (seat.occupant, seat.name.as_deref()) {
                let update = r::update_table_leave_seat(
                    room as i32,
                    id as i32,
                    seats,
                    &SeatView {
                        num: num as u32,
                        kind: SeatKind::Player,
                        name: Some(name),
                    },
                );
                self.broadcast_table_room(room, update, sink);
                gone.push(conn);
            }
        }
        let slots = table.spectators.len() as u32;
        for (num, spectator) in table.spectators.iter().enumerate() {
            if let Some(s) = spectator {
                let update = r::update_table_leave_spectator(
                    room as i32,
                    id as i32,
                    slots,
                    num as u32,
                    &s.name,
                );
                self.broadcast_table_room(room, update, sink);
                gone.push(s.conn);
            }
        }
        if announced {
            let delete = r::update_table_delete(room as i32, id as i32, seats);
            self.broadcast_table_room(room, delete, sink);
        }
        for conn in gone {
            let Some(p) = self.player_mut(conn) else {
                continue;
            };
            if p.place.is_some_and(|place| place.table == id) {
                p.place = None;
                self.reply(conn, "leave", ResultCode::Ok, sink);
                sink.send(conn, &msg(r::leave(reason, None)));
                self.cluster_player_changed(conn, sink);
            }
        }
        self.tables_active = self.table_index.len();
    }

    fn pace_savegame_prune(&mut self, game: usize, now: Instant, sink: &mut dyn Sink) {
        match self.savegame_prunes.table_ended(game, now) {
            Prune::Now => self.prune_savegames(game, sink),
            Prune::At(at) => sink.timer(
                at,
                TimerKey {
                    conn: ConnId {
                        slot: u32::MAX,
                        generation: u32::MAX,
                    },
                    kind: TimerKind::PruneSavegames(game),
                },
            ),
            Prune::Scheduled => {}
        }
    }

    /// After a table that saved its game ends: old savegame files of the
    /// game go (on a worker), except those of tables still running.
    pub(crate) fn prune_savegames(&self, game: usize, sink: &mut dyn Sink) {
        let Some(name) = self
            .games
            .get(game)
            .map(|g| g.desc.name.get(None).to_string())
        else {
            return;
        };
        let protect: Vec<String> = self
            .rooms
            .iter()
            .flatten()
            .flat_map(|r| r.tables.values())
            .filter(|t| t.game == game && !t.savegame.is_empty())
            .map(|t| t.savegame.clone())
            .collect();
        sink.submit(Job::PruneSavegames {
            dir: self.settings.gamedata_dir.join(name),
            keep: self.settings.tables.savegame_keep,
            max_age_days: self.settings.tables.savegame_max_age,
            protect,
        });
    }

    pub(crate) fn on_rankings(&self, conn: ConnId, sink: &mut dyn Sink) {
        let Some((room, place)) = self.player(conn).and_then(|p| p.room.zip(p.place)) else {
            return;
        };
        // A table of another node plays its room's game (docs/cluster.md
        // §8): the rankings are the shared database's either way.
        let game = match self.table(room, place.table) {
            Some(t) => Some(t.game),
            None => self.room(room).and_then(|r| r.game),
        };
        let Some(game) = game
            .and_then(|g| self.games.get(g))
            .map(|g| g.desc.name.get(None).to_string())
        else {
            return;
        };
        sink.submit(Job::Rankings { conn, game });
    }

    pub fn on_rankings_done(
        &self,
        conn: ConnId,
        rows: Vec<(u32, String, i64)>,
        sink: &mut dyn Sink,
    ) {
        if self.player(conn).is_none() {
            return;
        }
        let views: Vec<r::RankingView> = rows
            .iter()
            .map(|(position, player, score)| r::RankingView {
                position: *position,
                player,
                score: *score,
            })
            .collect();
        sink.send(conn, &msg(r::rankings(&views)));
    }

    /// Stops every game server at shutdown.
    pub(crate) fn end_all_tables(&mut self, now: Instant, sink: &mut dyn Sink) {
        let serials: Vec<TableSerial> = self.table_index.keys().copied().collect();
        for serial in serials {
            self.end_table(serial, LeaveReason::GameOver, now, sink);
        }
    }
}

/// Keeps the records of a report that name a seat of the table: a player
/// (seated or abandoned) by name, a named bot by name, an anonymous bot as
/// "AI". Each seat counts once. Returns each kept record with the name to
/// book it under (the seat's, so a record cannot pick another spelling)
/// and the seat's number.
pub(in crate::zone) fn check_records<'a>(
    seats: &[Seat],
    records: &'a [ReportRecord],
) -> Vec<(&'a ReportRecord, String, usize)> {
    let mut used = vec![false; seats.len()];
    let mut kept = Vec::new();
    for rec in records {
        if rec.name.len() > REPORT_NAME_MAX {
            continue;
        }
        let found = seats.iter().enumerate().find(|(num, seat)| {
            if used.get(*num).copied().unwrap_or(true) {
                return false;
            }
            let same_name = seat
                .name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&rec.name));
            match rec.kind {
                SeatKind::Player | SeatKind::Abandoned => {
                    matches!(seat.kind, SeatKind::Player | SeatKind::Abandoned) && same_name
                }
                SeatKind::Bot => seat.kind == SeatKind::Bot && (same_name || seat.name.is_none()),
                _ => false,
            }
        });
        if let Some((num, seat)) = found {
            if let Some(u) = used.get_mut(num) {
                *u = true;
            }
            kept.push((rec, seat.name.clone().unwrap_or_else(|| "AI".into()), num));
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(kind: SeatKind, name: Option<&str>) -> Seat {
        Seat {
            kind,
            name: name.map(str::to_string),
            occupant: None,
        }
    }

    fn rec(kind: SeatKind, name: &str) -> ReportRecord {
        ReportRecord {
            name: name.into(),
            kind,
            team: -1,
            result: GameResult::Win,
            score: 0,
        }
    }

    #[test]
    fn only_records_naming_a_seat_count() {
        let seats = vec![
            seat(SeatKind::Player, Some("Alice")),
            seat(SeatKind::Abandoned, Some("bob")),
            seat(SeatKind::Bot, None),
            seat(SeatKind::Bot, Some("Tarantula")),
            seat(SeatKind::Reserved, Some("carol")),
        ];
        let records = vec![
            rec(SeatKind::Player, "alice"),
            rec(SeatKind::Player, "alice"),
            rec(SeatKind::Player, "mallory"),
            rec(SeatKind::Abandoned, "BOB"),
            rec(SeatKind::Bot, "alice-the-bot"),
            rec(SeatKind::Bot, "Tarantula"),
            rec(SeatKind::Player, "carol"),
            rec(SeatKind::Player, &"x".repeat(10_000)),
        ];
        let kept: Vec<String> = check_records(&seats, &records)
            .into_iter()
            .map(|(_, name, _)| name)
            .collect();
        assert_eq!(kept, vec!["Alice", "bob", "AI", "Tarantula"]);
    }
}
