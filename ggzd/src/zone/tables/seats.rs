//! JOIN, LEAVE and RESEAT: players and spectators taking and leaving
//! seats, and the prepared game channels that go with them
//! (docs/client-server.md §11, §12.2).

use std::time::Instant;

use ggzdmod::wire::ToGame;

use super::{MAX_SPECTATORS, Seat, Spectator, Table};
use crate::proto::reply::{self as r, SeatView};
use crate::proto::request::ReseatAction;
use crate::proto::types::{LeaveReason, ResultCode, SeatKind, TableStatus};
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Sink, TableSerial, msg};
use crate::zone::perms::{self, Perm};
use crate::zone::session::Place;

impl Zone {
    // ----- JOIN ----------------------------------------------------------

    pub(crate) fn on_join(
        &mut self,
        conn: ConnId,
        table: i64,
        spectator: bool,
        seat: Option<i64>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let result = self.join(conn, table, spectator, seat, now, sink);
        if let Err(code) = result {
            self.reply(conn, "join", code, sink);
        }
    }

    pub(super) fn join(
        &mut self,
        conn: ConnId,
        table_id: i64,
        spectator: bool,
        seat: Option<i64>,
        now: Instant,
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
        if self.table(room, id).is_none()
            && let Some(result) = self.remote_join(conn, room, id, spectator, seat, now, sink)
        {
            return result;
        }
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
            self.seat_player(conn, room, id, seat, false, now, sink)
        }
    }

    /// A failed join attempt still uses up the prepared channel, as
    /// clients expect; we close it rather than leak it.
    pub(crate) fn consume_channel(&mut self, conn: ConnId, sink: &mut dyn Sink) {
        if let Some(channel) = self.player_mut(conn).and_then(|p| p.channel.take()) {
            sink.close(channel, crate::zone::Close::Now);
            self.release_channel_session(channel);
        }
    }

    /// The channel's session ends here; its socket goes to a game server
    /// or is closed by the sink.
    pub(crate) fn release_channel_session(&mut self, channel: ConnId) {
        if let Some(slot) = self.sessions.get_mut(channel.slot as usize)
            && slot.as_ref().is_some_and(|s| s.id == channel)
            && let Some(session) = slot.take()
        {
            self.connections = self.connections.saturating_sub(1);
            if let Some(count) = self.per_ip.get_mut(&session.key) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.per_ip.remove(&session.key);
                }
            }
        }
    }

    /// Sends the player's prepared game channel to the game server with
    /// `msg`; the channel's session ends here.
    pub(super) fn hand_over_channel(
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
        self.track_channel(serial, channel, conn);
        sink.table_send(serial, msg, Some(channel));
        Ok(())
    }

    pub(crate) fn choose_seat(
        table: &Table,
        name: &str,
        requested: Option<i64>,
    ) -> Result<usize, ResultCode> {
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
    #[allow(clippy::too_many_arguments)]
    pub(super) fn seat_player(
        &mut self,
        conn: ConnId,
        room: u32,
        id: u32,
        requested: Option<i64>,
        auto: bool,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Result<(), ResultCode> {
        let (name, canonical) = self
            .player(conn)
            .map(|p| (p.name.clone(), p.canonical.clone()))
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
        self.forget_hold(room, id, num as u32);
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
        self.cluster_player_changed(conn, sink);
        log::info!(target: "tables", "{name} sits at table {id} seat {num} in room {room}");
        self.broadcast_table_room(room, update, sink);
        if !auto {
            self.reply(conn, "join", ResultCode::Ok, sink);
        }
        sink.send(conn, &msg(r::join(id as i32, false)));
        self.release_holds_elsewhere(&canonical, room, id, now, sink);
        Ok(())
    }

    pub(super) fn seat_spectator(
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
        self.cluster_player_changed(conn, sink);
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
        if self.remote_leave(conn, true, sink) {
            return;
        }
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
        // FORCE says the player means to go: nothing is held for it.
        self.vacate(conn, room, place, !force, now, sink);
        self.reply(conn, "leave", ResultCode::Ok, sink);
        sink.send(conn, &msg(r::leave(LeaveReason::Normal, None)));
        self.kill_if_empty(room, place.table, now, sink);
    }

    /// Takes the player out of their seat or slot and tells the game and
    /// the room. With `keep_seat`, leaving a running game abandons the
    /// seat, which its player can take back for a while (§11.7 of
    /// docs/client-server.md); boots and forced leaves open it.
    pub(super) fn vacate(
        &mut self,
        conn: ConnId,
        room: u32,
        place: Place,
        keep_seat: bool,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(name) = self.player(conn).map(|p| p.name.clone()) else {
            return;
        };
        if let Some(p) = self.player_mut(conn) {
            p.place = None;
        }
        self.cluster_player_changed(conn, sink);
        let Some(table) = self.table_mut(room, place.table) else {
            return;
        };
        let serial = table.serial;
        let index = place.index as usize;
        let abandon = !place.spectator && keep_seat && super::abandoned::mid_game(table);
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
        if abandon {
            self.hold_seat(room, place.table, place.index, &name, now, sink);
        }
    }

    pub(crate) fn kill_if_empty(&mut self, room: u32, id: u32, now: Instant, sink: &mut dyn Sink) {
        let Some(table) = self.table(room, id) else {
            return;
        };
        let kill = self
            .games
            .get(table.game)
            .is_none_or(|g| g.desc.kill_when_empty);
        let held = table.seats.iter().any(|s| s.kind == SeatKind::Abandoned);
        if kill && table.humans() == 0 && !held && table.announced() {
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
        if self.remote_leave(conn, false, sink) {
            return;
        }
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
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let code = match self.reseat(conn, action, seat, now, sink) {
            Ok(()) => ResultCode::Ok,
            Err(code) => code,
        };
        self.reply(conn, "reseat", code, sink);
    }

    pub(super) fn reseat(
        &mut self,
        conn: ConnId,
        action: Option<ReseatAction>,
        seat: Option<i64>,
        now: Instant,
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
        // Standing up mid-game keeps the seat for a while, as leaving does;
        // a move to another seat gives the old one up.
        let abandon = !place.spectator && to_spectator && super::abandoned::mid_game(table);
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
                *seat = if abandon {
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
        if abandon {
            self.hold_seat(room, place.table, place.index, &name, now, sink);
        }
        if !to_spectator {
            self.forget_hold(room, place.table, target as u32);
        }
        self.broadcast_table_room(room, new_update, sink);
        Ok(())
    }
}
