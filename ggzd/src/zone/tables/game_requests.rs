//! What game servers send and ask for: state changes, seat counts, boots,
//! bots, open seats (docs/ggzdmod.md §6-§8).

use std::time::Instant;

use ggzdmod::wire::{GameState, ToGame, ToServer};

use super::guard::{LOG_BURST, LOG_MAX, LOG_RATE, ROOM_BURST, ROOM_RATE, ROOM_SYNC};
use super::{MAX_SEATS, Seat, escape_log, seat_view};
use crate::proto::reply as r;
use crate::proto::types::{LeaveReason, SeatKind, TableStatus};
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Sink, TableEvent, TableSerial, TimerKey, TimerKind, msg};

impl Zone {
    // ----- events from game servers -------------------------------------

    pub fn on_table_event(
        &mut self,
        serial: TableSerial,
        event: TableEvent,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some((room, id)) = self.table_by_serial(serial) else {
            // A browser's channel relayed to another node's table has no
            // table here (docs/cluster.md §8).
            if let TableEvent::ChannelClosed(channel) = event {
                self.remote_channel_closed(channel, sink);
            }
            return;
        };
        match event {
            TableEvent::Failed(reason) => {
                if self
                    .table(room, id)
                    .is_some_and(|t| t.end_deferred.is_some())
                {
                    // Finished (DONE) and waiting for its report to commit:
                    // the process going away now is the normal end.
                    log::debug!(target: "tables", "table {id} in room {room}: {reason} after DONE");
                    return;
                }
                log::warn!(target: "tables", "table {id} in room {room} failed: {reason}");
                self.end_table(serial, LeaveReason::GameError, now, sink);
            }
            TableEvent::Message(message) => {
                self.on_game_message(serial, room, id, message, now, sink)
            }
            TableEvent::ChannelClosed(channel) => {
                self.on_channel_closed(room, id, channel, now, sink)
            }
        }
    }

    pub(super) fn on_game_message(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        message: ToServer,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        // The opcode only: texts and names are bounded and escaped where
        // they are used, and a whole report could be megabytes.
        // A log line is written by on_game_log, as the game wrote it.
        if !matches!(message, ToServer::Log(_)) {
            let (opcode, what) = (message.opcode(), message_name(&message));
            log::debug!(target: "tables", "table {id}: game message {opcode} ({what})");
        }
        match message {
            ToServer::Log(text) => self.on_game_log(room, id, &text, now),
            ToServer::State(state) => {
                sink.table_send(serial, ToGame::StateAck, None);
                self.game_state_seen(room, id);
                self.on_game_state(serial, room, id, state, now, sink);
            }
            ToServer::InvalidState(value) => {
                sink.table_send(serial, ToGame::StateAck, None);
                log::warn!(target: "tables", "table {id}: invalid game state {value}");
                self.end_table(serial, LeaveReason::GameError, now, sink);
            }
            ToServer::NumSeats(n) => self.on_resize_request(serial, room, id, n, now, sink),
            ToServer::Boot(name) => self.on_game_boot(serial, room, id, &name, now, sink),
            ToServer::Bot(seat) => {
                self.on_game_seat_kind(serial, room, id, seat, SeatKind::Bot, now, sink)
            }
            ToServer::Open(seat) => {
                self.on_game_seat_kind(serial, room, id, seat, SeatKind::Open, now, sink)
            }
            ToServer::Report(records) => {
                self.on_game_report(serial, room, id, records, now, sink);
                self.game_over(room, id, now, sink);
            }
            ToServer::InvalidReport {
                record,
                field,
                value,
            } => {
                log::warn!(target: "tables", "table {id}: report dropped, record {record} has {field} {value}");
            }
            ToServer::SavegameReport(savegame) => self.on_savegame(room, id, savegame, sink),
        }
    }

    pub(super) fn on_game_state(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        state: GameState,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let previous = table.status;
        match state {
            GameState::Created => {
                self.end_table(serial, LeaveReason::GameError, now, sink);
            }
            GameState::Waiting if previous == TableStatus::Created => {
                table.status = TableStatus::Waiting;
                self.table_ready(room, id, now, sink);
            }
            GameState::Waiting | GameState::Playing => {
                let status = if state == GameState::Waiting {
                    TableStatus::Waiting
                } else {
                    TableStatus::Playing
                };
                if previous == TableStatus::Created {
                    // Ready straight into play: announce it first.
                    table.status = TableStatus::Waiting;
                    self.table_ready(room, id, now, sink);
                }
                let Some(table) = self.table_mut(room, id) else {
                    return;
                };
                if table.status != status {
                    table.status = status;
                    let text = r::update_table_status(
                        room as i32,
                        id as i32,
                        status.as_i32(),
                        table.seat_count(),
                    );
                    self.game_broadcast(room, id, text, now, sink);
                }
            }
            GameState::Done => {
                if previous == TableStatus::Created {
                    // Done before ever being ready: a failed launch (e.g.
                    // the exec failure path of C game servers).
                    self.end_table(serial, LeaveReason::GameError, now, sink);
                } else if table.reports_pending > 0 {
                    table.end_deferred = Some(LeaveReason::GameOver);
                } else {
                    self.end_table(serial, LeaveReason::GameOver, now, sink);
                }
            }
        }
    }

    // ----- requests from game servers -----------------------------------

    pub(super) fn on_resize_request(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        n: i32,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        if n <= 0 {
            log::info!(target: "tables", "table {id}: ignoring a request for {n} seats");
            return;
        }
        let n = n as usize;
        if n > MAX_SEATS {
            log::warn!(target: "tables", "table {id}: {n} seats is out of range");
            self.end_table(serial, LeaveReason::GameError, now, sink);
            return;
        }
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let removed: Vec<ConnId> = table
            .seats
            .iter()
            .skip(n)
            .filter_map(|s| s.occupant)
            .collect();
        table.seats.resize(
            n,
            Seat {
                kind: SeatKind::Open,
                name: None,
                occupant: None,
            },
        );
        let update = r::update_table_resize(room as i32, &table.view());
        for conn in removed {
            if self.boot_guest(conn, "[server]", now, sink) {
                continue;
            }
            if let Some(p) = self.player_mut(conn) {
                p.place = None;
            }
            self.cluster_player_changed(conn, sink);
            sink.send(conn, &msg(r::leave(LeaveReason::Boot, Some("[server]"))));
            self.cluster_player_changed(conn, sink);
        }
        self.game_broadcast(room, id, update, now, sink);
    }

    pub(super) fn on_game_boot(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        name: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        if name.is_empty() || name.len() > 16 {
            return;
        }
        let Some(table) = self.table(room, id) else {
            return;
        };
        let target = table
            .seats
            .iter()
            .filter(|s| s.kind == SeatKind::Player)
            .find(|s| {
                s.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|s| s.occupant)
            .or_else(|| {
                table
                    .spectators
                    .iter()
                    .flatten()
                    .find(|s| s.name.eq_ignore_ascii_case(name))
                    .map(|s| s.conn)
            });
        let Some(target) = target else {
            return;
        };
        if self.boot_guest(target, "[server]", now, sink) {
            return;
        }
        let Some(place) = self.player(target).and_then(|p| p.place) else {
            return;
        };
        log::info!(target: "tables", "table {id}: the game server boots {name}");
        self.vacate(target, room, place, false, now, sink);
        sink.send(target, &msg(r::leave(LeaveReason::Boot, Some("[server]"))));
        let _ = serial;
        self.kill_if_empty(room, id, now, sink);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_game_seat_kind(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        seat: i32,
        kind: SeatKind,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let Some(current) = usize::try_from(seat).ok().and_then(|n| table.seats.get(n)) else {
            log::warn!(target: "tables", "table {id}: seat {seat} is out of range");
            self.end_table(serial, LeaveReason::GameError, now, sink);
            return;
        };
        let acceptable = match kind {
            SeatKind::Bot => current.kind == SeatKind::Open,
            _ => matches!(current.kind, SeatKind::Bot | SeatKind::Reserved),
        };
        if !acceptable {
            return;
        }
        let num = seat as usize;
        sink.table_send(
            serial,
            ToGame::Seat {
                num: num as u32,
                kind,
                name: String::new(),
            },
            None,
        );
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let seats = table.seat_count();
        let Some(slot) = table.seats.get_mut(num) else {
            return;
        };
        *slot = Seat {
            kind,
            name: None,
            occupant: None,
        };
        let update = r::update_table_seat(room as i32, id as i32, seats, &seat_view(num, slot));
        self.game_broadcast(room, id, update, now, sink);
    }

    /// A room update caused by the game server: sent at once while the
    /// table's budget lasts; beyond it, the change is held back and the
    /// room gets the whole table once per `ROOM_SYNC`, so a game cannot
    /// turn a flood of tiny requests into a flood to everyone in the room.
    fn game_broadcast(
        &mut self,
        room: u32,
        id: u32,
        text: String,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        if !table.guard.room_stale && table.guard.room.take(ROOM_BURST, ROOM_RATE, now) {
            self.broadcast_table_room(room, text, sink);
            return;
        }
        if !table.guard.room_stale {
            table.guard.room_stale = true;
            log::info!(target: "tables", "table {id} in room {room}: game requests coalesced");
            let key = TimerKey {
                conn: ConnId {
                    slot: u32::MAX,
                    generation: u32::MAX,
                },
                kind: TimerKind::TableSync(table.serial),
            };
            sink.timer(now + ROOM_SYNC, key);
        }
    }

    /// Shows the room the whole table after held-back changes.
    pub(crate) fn on_table_sync(&mut self, serial: TableSerial, now: Instant, sink: &mut dyn Sink) {
        let Some((room, id)) = self.table_by_serial(serial) else {
            return;
        };
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        if !table.guard.room_stale {
            return;
        }
        table.guard.room_stale = false;
        // The refresh itself spends from the budget, so a steady flood
        // yields about one refresh per second.
        let _ = table.guard.room.take(ROOM_BURST, ROOM_RATE, now);
        if table.announced() {
            let update = r::update_table_resize(room as i32, &table.view());
            self.broadcast_table_room(room, update, sink);
        }
    }

    /// MSG_LOG: rate-limited, and never able to forge a log line.
    fn on_game_log(&mut self, room: u32, id: u32, text: &str, now: Instant) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let guard = &mut table.guard;
        if !guard.log.take(LOG_BURST, LOG_RATE, now) {
            guard.log_dropped += 1;
            return;
        }
        let dropped = std::mem::take(&mut guard.log_dropped);
        let text = escape_log(text, LOG_MAX);
        if dropped > 0 {
            log::info!(target: "tables", "table {id} in room {room}: game says ({dropped} lines dropped before) {text}");
        } else {
            log::info!(target: "tables", "table {id} in room {room}: game says {text}");
        }
    }

    /// Gives a seat a new kind (not a player) and shows the room.
    pub(super) fn set_seat(
        &mut self,
        room: u32,
        id: u32,
        num: usize,
        kind: SeatKind,
        name: Option<String>,
        sink: &mut dyn Sink,
    ) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let seats = table.seat_count();
        let Some(seat) = table.seats.get_mut(num) else {
            return;
        };
        *seat = Seat {
            kind,
            name,
            occupant: None,
        };
        let update = r::update_table_seat(room as i32, id as i32, seats, &seat_view(num, seat));
        self.broadcast_table_room(room, update, sink);
    }
}

/// What a game server's message asks for, in a word or two: a readable
/// debug line that stays short whatever the message carries.
fn message_name(message: &ToServer) -> &'static str {
    match message {
        ToServer::Log(_) => "log",
        ToServer::State(ggzdmod::wire::GameState::Created) => "state created",
        ToServer::State(ggzdmod::wire::GameState::Waiting) => "state waiting",
        ToServer::State(ggzdmod::wire::GameState::Playing) => "state playing",
        ToServer::State(ggzdmod::wire::GameState::Done) => "state done",
        ToServer::InvalidState(_) => "invalid state",
        ToServer::NumSeats(_) => "seat count",
        ToServer::Boot(_) => "boot",
        ToServer::Bot(_) => "bot",
        ToServer::Open(_) => "open seat",
        ToServer::Report(_) => "game report",
        ToServer::InvalidReport { .. } => "invalid game report",
        ToServer::SavegameReport(_) => "savegame",
    }
}
