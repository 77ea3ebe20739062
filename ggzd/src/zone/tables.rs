//! Tables: launching game servers, seats and spectators, what game servers
//! ask for, and the end of a table (client-server.md §11, §12.2;
//! ggzdmod.md §6-§8).
//!
//! A table lives in one room. Its game server is a child process the event
//! loop starts and talks to; the zone only decides, through the sink, what
//! to send it.

use std::time::Instant;

use ggzdmod::wire::{GameResult, GameState, LaunchSeat, ReportRecord, ToGame, ToServer};

use super::Zone;
use super::effects::{
    ConnId, GameReportJob, Job, Sink, SpawnSpec, TableEvent, TableSerial, TimerKey, TimerKind, msg,
};
use super::perms::{self, Perm};
use super::session::Place;
use crate::proto::reply::{self as r, SeatView, TableView};
use crate::proto::request::{ReseatAction, TableRequest};
use crate::proto::types::{LeaveReason, ResultCode, SeatKind, TableStatus};
use crate::store::{GameResult as StoreResult, Participant, ParticipantKind, StatsFlags};

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

    fn seat_count(&self) -> u32 {
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

    fn table_mut(&mut self, room: u32, id: u32) -> Option<&mut Table> {
        self.rooms
            .get_mut(room as usize)
            .and_then(Option::as_mut)
            .and_then(|r| r.tables.get_mut(&id))
    }

    fn table_by_serial(&self, serial: TableSerial) -> Option<(u32, u32)> {
        self.table_index.get(&serial).copied()
    }

    fn total_tables(&self) -> usize {
        self.table_index.len()
    }

    fn broadcast_table_room(&self, room: u32, text: String, sink: &mut dyn Sink) {
        self.broadcast_room(room, &msg(text), None, sink);
    }

    // ----- LAUNCH --------------------------------------------------------

    pub(crate) fn on_launch(
        &mut self,
        conn: ConnId,
        request: Option<TableRequest>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let code = self.launch(conn, request, now, sink);
        if let Err(code) = code {
            self.reply(conn, "launch", code, sink);
        }
    }

    fn launch(
        &mut self,
        conn: ConnId,
        request: Option<TableRequest>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        let player = self.player(conn).ok_or(ResultCode::NotLoggedIn)?;
        let request = request.ok_or(ResultCode::BadOptions)?;
        if !perms::has(player.perms, Perm::LaunchTable) {
            return Err(ResultCode::NoPermission);
        }
        let room_id = player.room.ok_or(ResultCode::NotInRoom)?;
        if player.table().is_some() {
            return Err(ResultCode::LaunchFail);
        }
        let room = self.room(room_id).ok_or(ResultCode::NotInRoom)?;
        let game_id = room.game.ok_or(ResultCode::NotInRoom)?;
        if request.game != Some(game_id as i64) {
            return Err(ResultCode::NotInRoom);
        }
        if player.channel.is_none() && !perms::has(player.perms, Perm::RoomsAdmin) {
            return Err(ResultCode::NoChannel);
        }
        let game = &self.games.get(game_id).ok_or(ResultCode::NotInRoom)?.desc;
        let seats = validate_launch_seats(&request, game)?;
        let max_room = room.desc.max_tables as usize;
        let max_server = self.settings.max_tables;
        if room.tables.len() >= max_room || (max_server != 0 && self.total_tables() >= max_server) {
            return Err(ResultCode::RoomFull);
        }
        let id = (1..=room.desc.max_tables)
            .find(|id| !room.tables.contains_key(id))
            .ok_or(ResultCode::RoomFull)?;
        let launch_seats: Vec<LaunchSeat> = seats
            .iter()
            .map(|s| match s.kind {
                SeatKind::Bot => LaunchSeat::Bot(s.name.clone().unwrap_or_default()),
                SeatKind::Reserved => LaunchSeat::Reserved(s.name.clone().unwrap_or_default()),
                _ => LaunchSeat::Open,
            })
            .collect();
        let mut argv = game.exec.clone();
        argv.extend(room.desc.executable_args.iter().cloned());
        let game_name = game.name.get(None).to_string();
        let spec = SpawnSpec {
            argv,
            cwd: self.settings.gamedata_dir.join(&game_name),
            layout: match game.launch_layout {
                crate::games::LaunchLayout::Trunk => ggzdmod::wire::LaunchLayout::Trunk,
                crate::games::LaunchLayout::Legacy => ggzdmod::wire::LaunchLayout::Legacy,
            },
            launch: ToGame::Launch {
                game: game.internal_name.clone(),
                savegame: None,
                seats: launch_seats,
                spectators: 0,
            },
        };
        let owner = player.name.clone();
        let desc = super::login::truncate_utf8(request.desc.as_deref().unwrap_or(""), MAX_DESC)
            .to_string();
        self.next_table_serial += 1;
        let serial = self.next_table_serial;
        let table = Table {
            serial,
            id,
            game: game_id,
            owner: owner.clone(),
            status: TableStatus::Created,
            desc,
            seats,
            spectators: Vec::new(),
            launcher: Some(conn),
            reports_pending: 0,
            end_deferred: None,
            savegame: String::new(),
        };
        if let Some(room) = self
            .rooms
            .get_mut(room_id as usize)
            .and_then(Option::as_mut)
        {
            room.tables.insert(id, table);
        }
        self.table_index.insert(serial, (room_id, id));
        if let Some(p) = self.player_mut(conn) {
            p.launching = Some(id);
        }
        log::info!(target: "tables", "{owner} launches {game_name} table {id} in room {room_id}");
        sink.spawn_table(serial, spec);
        sink.timer(
            now + self.settings.launch_timeout,
            TimerKey {
                conn,
                kind: TimerKind::LaunchTimeout,
            },
        );
        Ok(())
    }

    pub(crate) fn on_launch_timeout(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let Some((room, id)) = self.player(conn).and_then(|p| p.room.zip(p.launching)) else {
            return;
        };
        let Some(serial) = self
            .table(room, id)
            .filter(|t| t.status == TableStatus::Created)
            .map(|t| t.serial)
        else {
            return;
        };
        log::warn!(target: "tables", "table {id} in room {room}: game server never became ready");
        self.end_table(serial, LeaveReason::GameError, now, sink);
    }

    // ----- events from game servers -------------------------------------

    pub fn on_table_event(
        &mut self,
        serial: TableSerial,
        event: TableEvent,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some((room, id)) = self.table_by_serial(serial) else {
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
        }
    }

    fn on_game_message(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        message: ToServer,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        log::debug!(target: "tables", "table {id}: game says {message:?}");
        match message {
            ToServer::Log(text) => {
                log::debug!(target: "tables", "table {id} in room {room}: {text}");
            }
            ToServer::State(state) => {
                sink.table_send(serial, ToGame::StateAck, None);
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
            ToServer::Report(records) => self.on_game_report(serial, room, id, records, sink),
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

    fn on_game_state(
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
                    self.broadcast_table_room(room, text, sink);
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

    /// The game server reached WAITING for the first time: announce the
    /// table and seat its launcher.
    fn table_ready(&mut self, room: u32, id: u32, now: Instant, sink: &mut dyn Sink) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let launcher = table.launcher.take();
        let serial = table.serial;
        let add = r::update_table_add(room as i32, &table.view());
        self.broadcast_table_room(room, add, sink);
        let Some(launcher) =
            launcher.filter(|c| self.player(*c).is_some_and(|p| p.launching == Some(id)))
        else {
            // The launcher left meanwhile: nobody to play.
            self.end_table(serial, LeaveReason::GameOver, now, sink);
            return;
        };
        if let Some(p) = self.player_mut(launcher) {
            p.launching = None;
        }
        log::info!(target: "tables", "table {id} in room {room} is ready");
        self.reply(launcher, "launch", ResultCode::Ok, sink);
        if let Err(code) = self.seat_player(launcher, room, id, None, true, sink) {
            self.reply(launcher, "join", code, sink);
        }
    }

    // ----- JOIN ----------------------------------------------------------

    pub(crate) fn on_join(
        &mut self,
        conn: ConnId,
        table: i64,
        spectator: bool,
        seat: Option<i64>,
        sink: &mut dyn Sink,
    ) {
        let result = self.join(conn, table, spectator, seat, sink);
        if let Err(code) = result {
            self.reply(conn, "join", code, sink);
        }
    }

    fn join(
        &mut self,
        conn: ConnId,
        table_id: i64,
        spectator: bool,
        seat: Option<i64>,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        let player = self.player(conn).ok_or(ResultCode::NotLoggedIn)?;
        if player.table().is_some() {
            return Err(ResultCode::AtTable);
        }
        if !perms::has(player.perms, Perm::JoinTable) {
            return Err(ResultCode::NoPermission);
        }
        if player.channel.is_none() {
            return Err(ResultCode::NoChannel);
        }
        let room = player.room.ok_or(ResultCode::NotInRoom)?;
        let id = u32::try_from(table_id).map_err(|_| ResultCode::NoTable)?;
        let table = self.table(room, id).ok_or(ResultCode::NoTable)?;
        if matches!(
            table.status,
            TableStatus::Done | TableStatus::Error | TableStatus::Created
        ) {
            self.consume_channel(conn, sink);
            return Err(ResultCode::BadOptions);
        }
        if spectator {
            self.seat_spectator(conn, room, id, sink)
        } else {
            self.seat_player(conn, room, id, seat, false, sink)
        }
    }

    /// A failed join attempt still uses up the prepared channel, as
    /// clients expect; we close it rather than leak it.
    fn consume_channel(&mut self, conn: ConnId, sink: &mut dyn Sink) {
        if let Some(channel) = self.player_mut(conn).and_then(|p| p.channel.take()) {
            sink.close(channel, super::Close::Now);
            self.release_channel_session(channel);
        }
    }

    /// The channel's session ends here; its socket goes to a game server
    /// or is closed by the sink.
    fn release_channel_session(&mut self, channel: ConnId) {
        if let Some(slot) = self.sessions.get_mut(channel.slot as usize)
            && slot.as_ref().is_some_and(|s| s.id == channel)
        {
            if let Some(session) = slot.take() {
                self.connections = self.connections.saturating_sub(1);
                if let Some(count) = self.per_ip.get_mut(&session.key) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        self.per_ip.remove(&session.key);
                    }
                }
            }
        }
    }

    /// Sends the player's prepared game channel to the game server with
    /// `msg`; the channel's session ends here.
    fn hand_over_channel(
        &mut self,
        conn: ConnId,
        serial: TableSerial,
        msg: ToGame,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        let channel = self
            .player_mut(conn)
            .and_then(|p| p.channel.take())
            .ok_or(ResultCode::NoChannel)?;
        self.release_channel_session(channel);
        sink.table_send(serial, msg, Some(channel));
        Ok(())
    }

    fn choose_seat(table: &Table, name: &str, requested: Option<i64>) -> Result<usize, ResultCode> {
        let is_mine = |s: &Seat| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        };
        if let Some(abandoned) = table
            .seats
            .iter()
            .position(|s| s.kind == SeatKind::Abandoned && is_mine(s))
        {
            return Ok(abandoned);
        }
        if let Some(requested) = requested {
            let num = usize::try_from(requested).map_err(|_| ResultCode::BadOptions)?;
            let seat = table.seats.get(num).ok_or(ResultCode::BadOptions)?;
            let free = seat.kind == SeatKind::Open
                || (matches!(seat.kind, SeatKind::Reserved | SeatKind::Abandoned) && is_mine(seat));
            return if free {
                Ok(num)
            } else {
                Err(ResultCode::TableFull)
            };
        }
        if let Some(reserved) = table
            .seats
            .iter()
            .position(|s| s.kind == SeatKind::Reserved && is_mine(s))
        {
            return Ok(reserved);
        }
        table
            .seats
            .iter()
            .position(|s| s.kind == SeatKind::Open)
            .ok_or(ResultCode::TableFull)
    }

    /// Seats a player with their prepared channel. `auto` is the launcher's
    /// automatic join, which gets no RESULT join.
    fn seat_player(
        &mut self,
        conn: ConnId,
        room: u32,
        id: u32,
        requested: Option<i64>,
        auto: bool,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        let name = self
            .player(conn)
            .map(|p| p.name.clone())
            .ok_or(ResultCode::NotLoggedIn)?;
        let table = self.table(room, id).ok_or(ResultCode::NoTable)?;
        let num = match Self::choose_seat(table, &name, requested) {
            Ok(num) => num,
            Err(code) => {
                self.consume_channel(conn, sink);
                return Err(code);
            }
        };
        let serial = table.serial;
        self.hand_over_channel(
            conn,
            serial,
            ToGame::Seat {
                num: num as u32,
                kind: SeatKind::Player,
                name: name.clone(),
            },
            sink,
        )?;
        let Some(table) = self.table_mut(room, id) else {
            return Err(ResultCode::NoTable);
        };
        if let Some(seat) = table.seats.get_mut(num) {
            *seat = Seat {
                kind: SeatKind::Player,
                name: Some(name.clone()),
                occupant: Some(conn),
            };
        }
        let seats = table.seat_count();
        let update = r::update_table_join_seat(
            room as i32,
            id as i32,
            seats,
            &SeatView {
                num: num as u32,
                kind: SeatKind::Player,
                name: Some(&name),
            },
        );
        if let Some(p) = self.player_mut(conn) {
            p.place = Some(Place {
                table: id,
                spectator: false,
                index: num as u32,
            });
        }
        log::info!(target: "tables", "{name} sits at table {id} seat {num} in room {room}");
        self.broadcast_table_room(room, update, sink);
        if !auto {
            self.reply(conn, "join", ResultCode::Ok, sink);
        }
        sink.send(conn, &msg(r::join(id as i32, false)));
        Ok(())
    }

    fn seat_spectator(
        &mut self,
        conn: ConnId,
        room: u32,
        id: u32,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        let name = self
            .player(conn)
            .map(|p| p.name.clone())
            .ok_or(ResultCode::NotLoggedIn)?;
        let allowed = self
            .table(room, id)
            .and_then(|t| self.games.get(t.game))
            .is_some_and(|g| g.desc.allow_spectators);
        let table = self.table(room, id).ok_or(ResultCode::NoTable)?;
        let slot = table
            .spectators
            .iter()
            .position(Option::is_none)
            .or_else(|| {
                (table.spectators.len() < MAX_SPECTATORS).then_some(table.spectators.len())
            });
        let Some(slot) = slot.filter(|_| allowed) else {
            self.consume_channel(conn, sink);
            return Err(ResultCode::TableFull);
        };
        let serial = table.serial;
        self.hand_over_channel(
            conn,
            serial,
            ToGame::SpectatorSeat {
                num: slot as u32,
                name: name.clone(),
            },
            sink,
        )?;
        let Some(table) = self.table_mut(room, id) else {
            return Err(ResultCode::NoTable);
        };
        if table.spectators.len() <= slot {
            table.spectators.resize(slot + 1, None);
        }
        if let Some(entry) = table.spectators.get_mut(slot) {
            *entry = Some(Spectator {
                name: name.clone(),
                conn,
            });
        }
        let slots = table.spectators.len() as u32;
        let update =
            r::update_table_join_spectator(room as i32, id as i32, slots, slot as u32, &name);
        if let Some(p) = self.player_mut(conn) {
            p.place = Some(Place {
                table: id,
                spectator: true,
                index: slot as u32,
            });
        }
        self.broadcast_table_room(room, update, sink);
        self.reply(conn, "join", ResultCode::Ok, sink);
        sink.send(conn, &msg(r::join(id as i32, true)));
        Ok(())
    }

    // ----- LEAVE ---------------------------------------------------------

    pub(crate) fn on_leave(
        &mut self,
        conn: ConnId,
        force: bool,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(player) = self.player(conn) else {
            return;
        };
        if player.launching.is_some() {
            return self.reply(conn, "leave", ResultCode::InTransit, sink);
        }
        let (Some(room), Some(place)) = (player.room, player.place) else {
            self.reply(conn, "leave", ResultCode::Ok, sink);
            sink.send(conn, &msg(r::leave(LeaveReason::Normal, None)));
            return;
        };
        let Some(table) = self.table(room, place.table) else {
            self.reply(conn, "leave", ResultCode::Ok, sink);
            sink.send(conn, &msg(r::leave(LeaveReason::Normal, None)));
            return;
        };
        let allow_leave = self
            .games
            .get(table.game)
            .is_some_and(|g| g.desc.allow_leave);
        // Decided by the actual seat, not the client's SPECTATOR hint.
        if !place.spectator && table.status == TableStatus::Playing && !allow_leave {
            if force {
                let serial = table.serial;
                log::info!(target: "tables", "table {} killed by a forced leave", place.table);
                self.end_table(serial, LeaveReason::GameOver, now, sink);
            } else {
                self.reply(conn, "leave", ResultCode::LeaveForbidden, sink);
            }
            return;
        }
        self.vacate(conn, room, place, true, now, sink);
        self.reply(conn, "leave", ResultCode::Ok, sink);
        sink.send(conn, &msg(r::leave(LeaveReason::Normal, None)));
        self.kill_if_empty(room, place.table, now, sink);
    }

    /// Takes the player out of their seat or slot and tells the game and
    /// the room. A voluntary leave from a running game abandons the seat,
    /// which its player can take back later.
    fn vacate(
        &mut self,
        conn: ConnId,
        room: u32,
        place: Place,
        voluntary: bool,
        _now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(name) = self.player(conn).map(|p| p.name.clone()) else {
            return;
        };
        if let Some(p) = self.player_mut(conn) {
            p.place = None;
        }
        let Some(table) = self.table_mut(room, place.table) else {
            return;
        };
        let serial = table.serial;
        let index = place.index as usize;
        let update = if place.spectator {
            if let Some(slot) = table.spectators.get_mut(index) {
                *slot = None;
            }
            sink.table_send(
                serial,
                ToGame::SpectatorSeat {
                    num: place.index,
                    name: String::new(),
                },
                None,
            );
            r::update_table_leave_spectator(
                room as i32,
                place.table as i32,
                table.spectators.len() as u32,
                place.index,
                &name,
            )
        } else {
            let abandon = voluntary && table.status == TableStatus::Playing;
            let (kind, seat_name) = if abandon {
                (SeatKind::Abandoned, Some(name.clone()))
            } else {
                (SeatKind::Open, None)
            };
            if let Some(seat) = table.seats.get_mut(index) {
                *seat = Seat {
                    kind,
                    name: seat_name.clone(),
                    occupant: None,
                };
            }
            sink.table_send(
                serial,
                ToGame::Seat {
                    num: place.index,
                    kind,
                    name: seat_name.unwrap_or_default(),
                },
                None,
            );
            r::update_table_leave_seat(
                room as i32,
                place.table as i32,
                table.seat_count(),
                &SeatView {
                    num: place.index,
                    kind: SeatKind::Player,
                    name: Some(&name),
                },
            )
        };
        log::info!(target: "tables", "{name} leaves table {} in room {room}", place.table);
        self.broadcast_table_room(room, update, sink);
    }

    fn kill_if_empty(&mut self, room: u32, id: u32, now: Instant, sink: &mut dyn Sink) {
        let Some(table) = self.table(room, id) else {
            return;
        };
        let kill = self
            .games
            .get(table.game)
            .is_none_or(|g| g.desc.kill_when_empty);
        if kill && table.humans() == 0 && table.announced() {
            let serial = table.serial;
            log::info!(target: "tables", "table {id} in room {room} is empty");
            self.end_table(serial, LeaveReason::GameOver, now, sink);
        }
    }

    /// A player at a table disconnected: leave as if asked (the seat is
    /// abandoned in a running game, so they can come back).
    pub(crate) fn leave_table_on_logout(
        &mut self,
        conn: ConnId,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some((room, launching, place)) =
            self.player(conn).map(|p| (p.room, p.launching, p.place))
        else {
            return;
        };
        if let (Some(room), Some(id)) = (room, launching)
            && let Some(table) = self.table_mut(room, id)
        {
            table.launcher = None;
        }
        let (Some(room), Some(place)) = (room, place) else {
            return;
        };
        self.vacate(conn, room, place, true, now, sink);
        self.kill_if_empty(room, place.table, now, sink);
    }

    // ----- RESEAT --------------------------------------------------------

    pub(crate) fn on_reseat(
        &mut self,
        conn: ConnId,
        action: Option<ReseatAction>,
        seat: Option<i64>,
        sink: &mut dyn Sink,
    ) {
        let code = match self.reseat(conn, action, seat, sink) {
            Ok(()) => ResultCode::Ok,
            Err(code) => code,
        };
        self.reply(conn, "reseat", code, sink);
    }

    fn reseat(
        &mut self,
        conn: ConnId,
        action: Option<ReseatAction>,
        seat: Option<i64>,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        let action = action.ok_or(ResultCode::BadOptions)?;
        let player = self.player(conn).ok_or(ResultCode::NotLoggedIn)?;
        let (room, place) = player
            .room
            .zip(player.place)
            .ok_or(ResultCode::BadOptions)?;
        let name = player.name.clone();
        let table = self.table(room, place.table).ok_or(ResultCode::NoTable)?;
        let allow_leave = self
            .games
            .get(table.game)
            .is_some_and(|g| g.desc.allow_leave);
        if !allow_leave {
            return Err(ResultCode::LeaveForbidden);
        }
        let (to_spectator, target) = match action {
            ReseatAction::Stand if !place.spectator && seat.is_none() => {
                let slot = table
                    .spectators
                    .iter()
                    .position(Option::is_none)
                    .or_else(|| {
                        (table.spectators.len() < MAX_SPECTATORS).then_some(table.spectators.len())
                    })
                    .ok_or(ResultCode::TableFull)?;
                (true, slot)
            }
            ReseatAction::Sit if place.spectator => (false, Self::choose_seat(table, &name, seat)?),
            ReseatAction::Move if !place.spectator => {
                let requested = seat.ok_or(ResultCode::BadOptions)?;
                let num = Self::choose_seat(table, &name, Some(requested))?;
                if num == place.index as usize {
                    return Err(ResultCode::BadOptions);
                }
                (false, num)
            }
            _ => return Err(ResultCode::BadOptions),
        };
        let serial = table.serial;
        sink.table_send(
            serial,
            ToGame::Reseat {
                old: place.index,
                was_spectator: place.spectator,
                new: target as u32,
                is_spectator: to_spectator,
            },
            None,
        );
        let Some(table) = self.table_mut(room, place.table) else {
            return Err(ResultCode::NoTable);
        };
        let playing = table.status == TableStatus::Playing;
        let old_update = if place.spectator {
            if let Some(slot) = table.spectators.get_mut(place.index as usize) {
                *slot = None;
            }
            r::update_table_leave_spectator(
                room as i32,
                place.table as i32,
                table.spectators.len() as u32,
                place.index,
                &name,
            )
        } else {
            if let Some(seat) = table.seats.get_mut(place.index as usize) {
                *seat = if playing {
                    Seat {
                        kind: SeatKind::Abandoned,
                        name: Some(name.clone()),
                        occupant: None,
                    }
                } else {
                    Seat {
                        kind: SeatKind::Open,
                        name: None,
                        occupant: None,
                    }
                };
            }
            r::update_table_leave_seat(
                room as i32,
                place.table as i32,
                table.seat_count(),
                &SeatView {
                    num: place.index,
                    kind: SeatKind::Player,
                    name: Some(&name),
                },
            )
        };
        let new_update = if to_spectator {
            if table.spectators.len() <= target {
                table.spectators.resize(target + 1, None);
            }
            if let Some(slot) = table.spectators.get_mut(target) {
                *slot = Some(Spectator {
                    name: name.clone(),
                    conn,
                });
            }
            r::update_table_join_spectator(
                room as i32,
                place.table as i32,
                table.spectators.len() as u32,
                target as u32,
                &name,
            )
        } else {
            if let Some(seat) = table.seats.get_mut(target) {
                *seat = Seat {
                    kind: SeatKind::Player,
                    name: Some(name.clone()),
                    occupant: Some(conn),
                };
            }
            r::update_table_join_seat(
                room as i32,
                place.table as i32,
                table.seat_count(),
                &SeatView {
                    num: target as u32,
                    kind: SeatKind::Player,
                    name: Some(&name),
                },
            )
        };
        if let Some(p) = self.player_mut(conn) {
            p.place = Some(Place {
                table: place.table,
                spectator: to_spectator,
                index: target as u32,
            });
        }
        self.broadcast_table_room(room, old_update, sink);
        self.broadcast_table_room(room, new_update, sink);
        Ok(())
    }

    // ----- UPDATE table desc/seat/boot ------------------------------------

    pub(crate) fn on_table_update(
        &mut self,
        conn: ConnId,
        update: TableUpdate,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let TableUpdate {
            kind,
            action,
            room,
            table,
        } = update;
        let code = match self.table_update(conn, kind, action, room, table, now, sink) {
            Ok(()) => ResultCode::Ok,
            Err(code) => code,
        };
        self.reply(conn, "update", code, sink);
    }

    #[allow(clippy::too_many_arguments)]
    fn table_update(
        &mut self,
        conn: ConnId,
        kind: Option<String>,
        action: Option<String>,
        room: Option<i64>,
        request: Option<TableRequest>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        if !kind.is_some_and(|k| k.eq_ignore_ascii_case("table")) {
            return Err(ResultCode::BadOptions);
        }
        let player = self.player(conn).ok_or(ResultCode::NotLoggedIn)?;
        let (name, player_perms) = (player.name.clone(), player.perms);
        let room = match room {
            Some(r) => u32::try_from(r).map_err(|_| ResultCode::BadOptions)?,
            None => player.room.ok_or(ResultCode::NotInRoom)?,
        };
        let request = request.ok_or(ResultCode::BadOptions)?;
        let id = request
            .id
            .and_then(|i| u32::try_from(i).ok())
            .ok_or(ResultCode::NoTable)?;
        let table = self.table(room, id).ok_or(ResultCode::NoTable)?;
        if !may_edit(table, &name, player_perms) {
            return Err(ResultCode::NoPermission);
        }
        let game = self
            .games
            .get(table.game)
            .map(|g| &g.desc)
            .ok_or(ResultCode::NoTable)?;
        let action = action.unwrap_or_default().to_ascii_lowercase();
        match action.as_str() {
            "desc" => {
                let desc =
                    super::login::truncate_utf8(request.desc.as_deref().unwrap_or(""), MAX_DESC)
                        .to_string();
                let update = r::update_table_desc(room as i32, id as i32, &desc);
                if let Some(table) = self.table_mut(room, id) {
                    table.desc = desc;
                }
                self.broadcast_table_room(room, update, sink);
                Ok(())
            }
            "seat" => {
                if !game.allow_leave {
                    return Err(ResultCode::LeaveForbidden);
                }
                let bots_allowed = game.bots_allowed;
                let seat_req = request.seats_given.first().ok_or(ResultCode::BadOptions)?;
                let num = seat_req
                    .num
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n < table.seats.len())
                    .ok_or(ResultCode::BadOptions)?;
                let new_kind: SeatKind =
                    seat_req.kind.parse().map_err(|_| ResultCode::BadOptions)?;
                let current = table.seats.get(num).ok_or(ResultCode::BadOptions)?;
                if current.kind == SeatKind::Player {
                    // Never replace a seated player this way.
                    return Err(ResultCode::BadOptions);
                }
                let name = match new_kind {
                    SeatKind::Open => None,
                    SeatKind::Bot => {
                        let bots = table
                            .seats
                            .iter()
                            .filter(|s| s.kind == SeatKind::Bot)
                            .count() as u32;
                        if current.kind != SeatKind::Bot && !bots_allowed.contains(bots + 1) {
                            return Err(ResultCode::BadOptions);
                        }
                        seat_req.name.clone()
                    }
                    SeatKind::Reserved => {
                        Some(seat_req.name.clone().ok_or(ResultCode::BadOptions)?)
                    }
                    _ => return Err(ResultCode::BadOptions),
                };
                let serial = table.serial;
                let announced = table.announced();
                if announced {
                    sink.table_send(
                        serial,
                        ToGame::Seat {
                            num: num as u32,
                            kind: new_kind,
                            name: name.clone().unwrap_or_default(),
                        },
                        None,
                    );
                }
                self.set_seat(room, id, num, new_kind, name, sink);
                Ok(())
            }
            "boot" => {
                if !game.allow_leave {
                    return Err(ResultCode::LeaveForbidden);
                }
                let target_name = request
                    .seats_given
                    .first()
                    .and_then(|s| s.name.clone())
                    .ok_or(ResultCode::BadOptions)?;
                let target = self
                    .names
                    .get(&crate::config::canonical_name(&target_name))
                    .copied()
                    .ok_or(ResultCode::BadOptions)?;
                let place = self
                    .player(target)
                    .filter(|p| p.room == Some(room))
                    .and_then(|p| p.place)
                    .filter(|p| p.table == id)
                    .ok_or(ResultCode::BadOptions)?;
                log::info!(target: "tables", "{name} boots {target_name} from table {id}");
                self.vacate(target, room, place, false, now, sink);
                self.reply(target, "leave", ResultCode::Ok, sink);
                sink.send(target, &msg(r::leave(LeaveReason::Boot, Some(&name))));
                self.kill_if_empty(room, id, now, sink);
                Ok(())
            }
            _ => Err(ResultCode::BadOptions),
        }
    }

    // ----- requests from game servers -----------------------------------

    fn on_resize_request(
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
            if let Some(p) = self.player_mut(conn) {
                p.place = None;
            }
            sink.send(conn, &msg(r::leave(LeaveReason::Boot, Some("[server]"))));
        }
        self.broadcast_table_room(room, update, sink);
    }

    fn on_game_boot(
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
    fn on_game_seat_kind(
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
        self.set_seat(room, id, num, kind, None, sink);
    }

    /// Gives a seat a new kind (not a player) and shows the room.
    fn set_seat(
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

    fn on_game_report(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        records: Vec<ReportRecord>,
        sink: &mut dyn Sink,
    ) {
        let Some(table) = self.table(room, id) else {
            return;
        };
        let Some(game) = self.games.get(table.game).map(|g| &g.desc) else {
            return;
        };
        if !(game.records || game.ratings || game.highscores) {
            return;
        }
        let participants = records
            .iter()
            .filter_map(|rec| {
                let kind = match rec.kind {
                    SeatKind::Player => ParticipantKind::Player,
                    SeatKind::Bot => ParticipantKind::Bot,
                    SeatKind::Abandoned => ParticipantKind::Abandoned,
                    _ => return None,
                };
                let registered = kind == ParticipantKind::Player
                    && self
                        .names
                        .get(&crate::config::canonical_name(&rec.name))
                        .and_then(|c| self.player(*c))
                        .is_some_and(|p| !p.guest);
                Some(Participant {
                    name: rec.name.clone(),
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
            now: super::unix_now(),
        };
        if let Some(table) = self.table_mut(room, id) {
            table.reports_pending += 1;
        }
        sink.submit(Job::GameReport(Box::new(job)));
    }

    fn on_savegame(&mut self, room: u32, id: u32, savegame: String, sink: &mut dyn Sink) {
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
            now: super::unix_now(),
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
        for (handle, stats) in updated {
            let Some(conn) = self.names.get(&handle).copied() else {
                continue;
            };
            let Some(player) = self.player_mut(conn) else {
                continue;
            };
            match player.stats.iter_mut().find(|(g, _)| *g == game) {
                Some((_, s)) => *s = stats,
                None => player.stats.push((game.clone(), stats)),
            }
            let player_room = player.room;
            if room.is_some() && player_room == room {
                if let (Some(room), Some(player)) = (room, self.player(conn)) {
                    let view = self.player_view(player, room);
                    let update =
                        r::update_player_stats(room as i32, &player.name, view.stats.as_ref());
                    self.broadcast_room(room, &msg(update), None, sink);
                }
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

    // ----- the end of a table ---------------------------------------------

    /// Removes the table: the game server is stopped, everyone at it is
    /// told, and the room sees it go.
    pub(crate) fn end_table(
        &mut self,
        serial: TableSerial,
        reason: LeaveReason,
        _now: Instant,
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
        log::info!(target: "tables", "table {id} in room {room} ends ({})", reason.as_str());
        let announced = table.announced();
        if let Some(launcher) = table.launcher.take() {
            if let Some(p) = self.player_mut(launcher)
                && p.launching == Some(id)
            {
                p.launching = None;
                self.reply(launcher, "launch", ResultCode::LaunchFail, sink);
            }
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
            }
        }
        self.tables_active = self.table_index.len();
    }

    // ----- INFO and RANKINGS ----------------------------------------------

    pub(crate) fn on_info(&self, conn: ConnId, seat: Option<i64>, sink: &mut dyn Sink) {
        let Some((room, place)) = self.player(conn).and_then(|p| p.room.zip(p.place)) else {
            return;
        };
        let Some(table) = self.table(room, place.table) else {
            return;
        };
        let peers = self
            .games
            .get(table.game)
            .is_some_and(|g| g.desc.allow_peers);
        let mut hosts = Vec::new();
        for (num, s) in table.seats.iter().enumerate() {
            if seat.is_some_and(|want| want != num as i64) || s.kind != SeatKind::Player {
                continue;
            }
            let Some(occupant) = s.occupant else {
                continue;
            };
            let realname = self
                .player(occupant)
                .map(|p| p.real_name.clone())
                .unwrap_or_default();
            let host = if peers {
                self.session(occupant)
                    .map(|s| s.peer.to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            hosts.push((num as u32, realname, host));
        }
        let views: Vec<r::PlayerInfoView> = hosts
            .iter()
            .map(|(seat, realname, host)| r::PlayerInfoView {
                seat: *seat,
                realname,
                photo: "",
                host,
            })
            .collect();
        sink.send(conn, &msg(r::info(&views)));
    }

    pub(crate) fn on_rankings(&self, conn: ConnId, sink: &mut dyn Sink) {
        let Some((room, place)) = self.player(conn).and_then(|p| p.room.zip(p.place)) else {
            return;
        };
        let Some(game) = self
            .table(room, place.table)
            .and_then(|t| self.games.get(t.game))
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

    /// Everyone seated or watching at the player's table, for table chat.
    pub(crate) fn table_audience(&self, conn: ConnId) -> Option<Vec<ConnId>> {
        let (room, place) = self.player(conn).and_then(|p| p.room.zip(p.place))?;
        let table = self.table(room, place.table)?;
        let mut audience: Vec<ConnId> = table.seats.iter().filter_map(|s| s.occupant).collect();
        audience.extend(table.spectators.iter().flatten().map(|s| s.conn));
        Some(audience)
    }

    /// Stops every game server at shutdown.
    pub(crate) fn end_all_tables(&mut self, now: Instant, sink: &mut dyn Sink) {
        let serials: Vec<TableSerial> = self.table_index.keys().copied().collect();
        for serial in serials {
            self.end_table(serial, LeaveReason::GameOver, now, sink);
        }
    }
}

/// The fields of an UPDATE request.
pub(crate) struct TableUpdate {
    pub kind: Option<String>,
    pub action: Option<String>,
    pub room: Option<i64>,
    pub table: Option<TableRequest>,
}

/// Checks the seats of a LAUNCH against the game description.
fn validate_launch_seats(
    request: &TableRequest,
    game: &crate::games::GameDesc,
) -> Result<Vec<Seat>, ResultCode> {
    let count = request
        .seats
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| (1..=MAX_SEATS).contains(n))
        .ok_or(ResultCode::BadOptions)?;
    if !game.players_allowed.contains(count as u32) {
        return Err(ResultCode::BadOptions);
    }
    let mut seats: Vec<Option<Seat>> = vec![None; count];
    for given in &request.seats_given {
        let num = given
            .num
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n < count)
            .ok_or(ResultCode::BadOptions)?;
        let kind: SeatKind = given.kind.parse().map_err(|_| ResultCode::BadOptions)?;
        let seat = match kind {
            SeatKind::Open => Seat {
                kind,
                name: None,
                occupant: None,
            },
            SeatKind::Bot => {
                if let Some(name) = &given.name
                    && !game.named_bots.iter().any(|(bot, _)| bot == name)
                {
                    return Err(ResultCode::BadOptions);
                }
                Seat {
                    kind,
                    name: given.name.clone(),
                    occupant: None,
                }
            }
            SeatKind::Reserved => Seat {
                kind,
                name: Some(given.name.clone().ok_or(ResultCode::BadOptions)?),
                occupant: None,
            },
            _ => return Err(ResultCode::BadOptions),
        };
        let slot = seats.get_mut(num).ok_or(ResultCode::BadOptions)?;
        if slot.is_some() {
            return Err(ResultCode::BadOptions);
        }
        *slot = Some(seat);
    }
    let seats: Vec<Seat> = seats
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or(ResultCode::BadOptions)?;
    let bots = seats.iter().filter(|s| s.kind == SeatKind::Bot).count() as u32;
    if bots > 0 && !game.bots_allowed.contains(bots) {
        return Err(ResultCode::BadOptions);
    }
    if bots as usize == seats.len() {
        // A table of bots only would have nobody to play for.
        return Err(ResultCode::BadOptions);
    }
    Ok(seats)
}
