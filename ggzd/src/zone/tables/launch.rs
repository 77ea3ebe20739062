//! LAUNCH: checking the request, starting the game server, the launch
//! timeout, and seating the launcher once the table is ready
//! (docs/client-server.md §11).

use std::time::Instant;

use ggzdmod::wire::{LaunchSeat, ToGame};

use super::guard::GameGuard;
use super::{MAX_DESC, MAX_SEATS, Seat, Table};
use crate::prespawn::WarmKey;
use crate::proto::reply as r;
use crate::proto::request::TableRequest;
use crate::proto::types::{LeaveReason, ResultCode, SeatKind, TableStatus};
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Sink, SpawnSpec, TableSerial, TimerKey, TimerKind};
use crate::zone::perms::{self, Perm};

impl Zone {
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

    pub(super) fn launch(
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
        let owner = player.name.clone();
        let desc =
            crate::zone::login::truncate_utf8(request.desc.as_deref().unwrap_or(""), MAX_DESC)
                .to_string();
        let (_, id) = self.start_table(room_id, seats, owner, desc, Some(conn), now, sink)?;
        if let Some(p) = self.player_mut(conn) {
            p.launching = Some(id);
        }
        self.cluster_player_changed(conn, sink);
        Ok(())
    }

    /// Starts a game server for a new table in `room_id` with these
    /// seats: a player's LAUNCH (`launcher`), or a matchmaking round
    /// (none; docs/matchmaking.md). Returns its serial and id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_table(
        &mut self,
        room_id: u32,
        seats: Vec<Seat>,
        owner: String,
        desc: String,
        launcher: Option<ConnId>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Result<(TableSerial, u32), ResultCode> {
        self.start_table_with_savegame(room_id, seats, owner, desc, launcher, None, now, sink)
    }

    /// [`Zone::start_table`] with the savegame of the launch message
    /// (trunk layout only): a RESTORE (docs/event-log.md §4).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_table_with_savegame(
        &mut self,
        room_id: u32,
        seats: Vec<Seat>,
        owner: String,
        desc: String,
        launcher: Option<ConnId>,
        savegame: Option<String>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Result<(TableSerial, u32), ResultCode> {
        let room = self.room(room_id).ok_or(ResultCode::NotInRoom)?;
        let game_id = room.game.ok_or(ResultCode::NotInRoom)?;
        let game = &self.games.get(game_id).ok_or(ResultCode::NotInRoom)?.desc;
        let max_room = room.desc.max_tables as usize;
        let max_server = self.settings.max_tables;
        if room.tables.len() >= max_room || (max_server != 0 && self.total_tables() >= max_server) {
            return Err(ResultCode::RoomFull);
        }
        let id = (1..=room.desc.max_tables)
            .find(|id| {
                !room.tables.contains_key(id) && !self.remote_table_shown(&room.desc.key, *id)
            })
            .ok_or(ResultCode::RoomFull)?;
        let launch_seats: Vec<LaunchSeat> = seats
            .iter()
            .map(|s| match s.kind {
                SeatKind::Bot => LaunchSeat::Bot(s.name.clone().unwrap_or_default()),
                SeatKind::Reserved => LaunchSeat::Reserved(s.name.clone().unwrap_or_default()),
                _ => LaunchSeat::Open,
            })
            .collect();
        let base = self.spawn_base(room_id).ok_or(ResultCode::NotInRoom)?;
        let game_name = game.name.get(None).to_string();
        // The legacy launch message has no savegame field: the name goes
        // in the environment instead (docs/event-log.md §8).
        let (savegame, savegame_env) = match game.launch_layout {
            ggzdmod::LaunchLayout::Trunk => (savegame, None),
            ggzdmod::LaunchLayout::Legacy => (None, savegame),
        };
        let spec = SpawnSpec {
            argv: base.argv,
            cwd: base.cwd,
            layout: base.layout,
            launch: ToGame::Launch {
                game: game.internal_name.clone(),
                savegame,
                seats: launch_seats,
                spectators: 0,
            },
            limits: base.limits,
            savegame_env,
        };
        self.next_table_serial += 1;
        let serial = self.next_table_serial;
        log::info!(target: "tables", "{owner} launches {game_name} table {id} in room {room_id}");
        let table = Table {
            serial,
            id,
            game: game_id,
            owner,
            status: TableStatus::Created,
            desc,
            seats,
            spectators: Vec::new(),
            launcher,
            reports_pending: 0,
            end_deferred: None,
            savegame: String::new(),
            launch_deadline: now + self.settings.launch_timeout,
            guard: GameGuard::new(self.settings.tables.max_reports, now),
            holds: Default::default(),
        };
        if let Some(room) = self
            .rooms
            .get_mut(room_id as usize)
            .and_then(Option::as_mut)
        {
            room.tables.insert(id, table);
        }
        self.table_index.insert(serial, (room_id, id));
        self.metrics.table_launched(game_id);
        sink.spawn_table(serial, spec);
        sink.timer(
            now + self.settings.launch_timeout,
            TimerKey {
                conn: launcher.unwrap_or(crate::zone::effects::NO_CONN),
                kind: TimerKind::LaunchTimeout,
            },
        );
        Ok((serial, id))
    }

    /// What a table of this room's game starts: the game's executable
    /// with the room's arguments, in the game's data directory. Also the
    /// key of the game servers kept warm for the room (`crate::prespawn`).
    pub(crate) fn spawn_base(&self, room_id: u32) -> Option<WarmKey> {
        let room = self.room(room_id)?;
        let game = &self.games.get(room.game?)?.desc;
        let mut argv = game.exec.clone();
        argv.extend(room.desc.executable_args.iter().cloned());
        Some(WarmKey {
            argv,
            cwd: self.settings.gamedata_dir.join(game.name.get(None)),
            layout: game.launch_layout,
            limits: game.limits,
        })
    }

    /// A launch timer fired. The timer is set on the launcher's
    /// connection, but the deadline belongs to the table: every table
    /// still not ready past its deadline ends, whether or not its launcher
    /// is still there.
    pub(crate) fn on_launch_timeout(&mut self, _conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let overdue: Vec<(TableSerial, u32, u32)> = self
            .rooms
            .iter()
            .enumerate()
            .filter_map(|(room, r)| r.as_ref().map(|r| (room as u32, r)))
            .flat_map(|(room, r)| {
                r.tables
                    .values()
                    .filter(|t| t.status == TableStatus::Created && t.launch_deadline <= now)
                    .map(move |t| (t.serial, room, t.id))
            })
            .collect();
        for (serial, room, id) in overdue {
            log::warn!(target: "tables", "table {id} in room {room}: game server never became ready");
            self.end_table(serial, LeaveReason::GameError, now, sink);
        }
    }

    /// The game server reached WAITING for the first time: announce the
    /// table and seat its launcher.
    pub(super) fn table_ready(&mut self, room: u32, id: u32, now: Instant, sink: &mut dyn Sink) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let launcher = table.launcher.take();
        let serial = table.serial;
        let deadline = table.launch_deadline;
        let add = r::update_table_add(room as i32, &table.view());
        if let Some(launched_at) = deadline.checked_sub(self.settings.launch_timeout) {
            self.metrics
                .launch_latency
                .observe(now.saturating_duration_since(launched_at));
        }
        self.broadcast_table_room(room, add, sink);
        let Some(launcher) =
            launcher.filter(|c| self.player(*c).is_some_and(|p| p.launching == Some(id)))
        else {
            if self.matched_table_ready(serial, room, id, now, sink)
                || self.restored_table_ready(serial, room, id, now, sink)
            {
                return;
            }
            // The launcher left meanwhile: nobody to play.
            self.end_table(serial, LeaveReason::GameOver, now, sink);
            return;
        };
        if let Some(p) = self.player_mut(launcher) {
            p.launching = None;
        }
        log::info!(target: "tables", "table {id} in room {room} is ready");
        self.reply(launcher, "launch", ResultCode::Ok, sink);
        if let Err(code) = self.seat_player(launcher, room, id, None, true, now, sink) {
            self.reply(launcher, "join", code, sink);
        }
    }
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
