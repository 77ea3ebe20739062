//! Tables: launching game servers, seats and spectators, what game servers
//! ask for, and the end of a table (docs/client-server.md §11, §12.2;
//! docs/ggzdmod.md §6-§8).
//!
//! A table lives in one room. Its game server is a child process the event
//! loop starts and talks to; the zone only decides, through the sink, what
//! to send it.

pub(crate) mod abandoned;
mod game_requests;
mod guard;
pub(super) mod info;
mod launch;
pub(crate) mod prune_pacing;
mod restore;
mod results;
mod seats;
mod update;

use super::Zone;
use super::effects::{ConnId, Sink, TableSerial, msg};
use super::perms::{self, Perm};
use crate::proto::reply::{SeatView, TableView};
use crate::proto::request::TableRequest;
use crate::proto::types::{LeaveReason, SeatKind, TableStatus};

pub(crate) use guard::escape_log;
#[cfg(test)]
pub(crate) use restore::Restorable;
pub(crate) use restore::{RestoreDone, RestoreJob, Restores, run_restore_job};
pub(in crate::zone) use results::check_records;
use std::time::Instant;

use guard::GameGuard;

/// Most seats a table may have.
pub const MAX_SEATS: usize = 32;
/// Most spectator slots a table may grow to.
pub const MAX_SPECTATORS: usize = 64;
/// Longest table description kept, in bytes.
pub const MAX_DESC: usize = 512;

#[derive(Debug, Clone)]
pub(crate) struct Seat {
    pub kind: SeatKind,
    /// Player, reservation, abandoned player or named bot.
    pub name: Option<String>,
    /// The connection of the player in a `Player` seat.
    pub occupant: Option<ConnId>,
}

#[derive(Debug, Clone)]
pub(crate) struct Spectator {
    pub name: String,
    pub conn: ConnId,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub serial: TableSerial,
    pub id: u32,
    pub game: usize,
    pub owner: String,
    pub status: TableStatus,
    pub desc: String,
    pub seats: Vec<Seat>,
    pub spectators: Vec<Option<Spectator>>,
    /// Launched by this connection and not yet WAITING.
    pub launcher: Option<ConnId>,
    /// Game reports whose commit we still wait for: the table's end waits
    /// for them, so stats updates reach clients before the table goes.
    pub reports_pending: u32,
    pub end_deferred: Option<LeaveReason>,
    pub savegame: String,
    /// The game server must report WAITING by then, or the table ends.
    pub launch_deadline: Instant,
    /// What its game server may still make ggzd do.
    pub guard: GameGuard,
    /// Abandoned seats still held for their players.
    pub holds: abandoned::Holds,
}

impl Table {
    fn humans(&self) -> usize {
        self.seats.iter().filter(|s| s.occupant.is_some()).count()
    }

    fn announced(&self) -> bool {
        self.status != TableStatus::Created
    }

    pub fn view(&self) -> TableView<'_> {
        TableView {
            id: self.id as i32,
            game: self.game as i32,
            status: self.status.as_i32(),
            desc: &self.desc,
            seats: self
                .seats
                .iter()
                .enumerate()
                .map(|(num, seat)| seat_view(num, seat))
                .collect(),
            spectators: self
                .spectators
                .iter()
                .enumerate()
                .filter_map(|(num, s)| s.as_ref().map(|s| (num as u32, s.name.as_str())))
                .collect(),
        }
    }

    pub(crate) fn seat_count(&self) -> u32 {
        self.seats.len() as u32
    }
}

fn seat_view(num: usize, seat: &Seat) -> SeatView<'_> {
    SeatView {
        num: num as u32,
        kind: seat.kind,
        name: seat.name.as_deref(),
    }
}

/// Who may change a table: its launcher, or anyone with `edit_tables`.
fn may_edit(table: &Table, name: &str, player_perms: u32) -> bool {
    table.owner.eq_ignore_ascii_case(name) || perms::has(player_perms, Perm::EditTables)
}

impl Zone {
    pub(crate) fn table(&self, room: u32, id: u32) -> Option<&Table> {
        self.room(room).and_then(|r| r.tables.get(&id))
    }

    pub(crate) fn table_mut(&mut self, room: u32, id: u32) -> Option<&mut Table> {
        self.rooms
            .get_mut(room as usize)
            .and_then(Option::as_mut)
            .and_then(|r| r.tables.get_mut(&id))
    }

    pub(crate) fn table_by_serial(&self, serial: TableSerial) -> Option<(u32, u32)> {
        self.table_index.get(&serial).copied()
    }

    /// The table whose game server's messages already sent must be handled
    /// before `event` from `conn`: a LEAVE or RESEAT of a player at a table
    /// (docs/client-server.md §11.7). The game server reports a game
    /// before it tells the players the game is over, so a player who
    /// leaves on that news finds the result counted.
    pub fn table_to_catch_up(
        &self,
        conn: ConnId,
        event: &crate::proto::decoder::Event,
    ) -> Option<TableSerial> {
        let crate::proto::decoder::Event::Element(element) = event else {
            return None;
        };
        if !matches!(element.name.as_str(), "LEAVE" | "RESEAT") {
            return None;
        }
        self.place_serial(conn)
    }

    /// The game server of the table where `conn` sits or watches.
    pub fn place_serial(&self, conn: ConnId) -> Option<TableSerial> {
        let player = self.player(conn)?;
        let table = self.table(player.room?, player.place?.table)?;
        Some(table.serial)
    }

    fn total_tables(&self) -> usize {
        self.table_index.len()
    }

    pub(crate) fn broadcast_table_room(&self, room: u32, text: String, sink: &mut dyn Sink) {
        self.cluster_table_touched(room);
        self.broadcast_room(room, &msg(text), None, sink);
    }
}

/// The fields of an UPDATE request.
pub(crate) struct TableUpdate {
    pub kind: Option<String>,
    pub action: Option<String>,
    pub room: Option<i64>,
    pub table: Option<TableRequest>,
}
