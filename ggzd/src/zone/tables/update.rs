//! UPDATE of a table by a client: description, seat kinds, boots.

use std::time::Instant;

use ggzdmod::wire::ToGame;

use super::{MAX_DESC, TableUpdate, may_edit};
use crate::proto::reply as r;
use crate::proto::request::TableRequest;
use crate::proto::types::{LeaveReason, ResultCode, SeatKind};
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Sink, msg};

impl Zone {
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
    pub(super) fn table_update(
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
                let desc = crate::zone::login::truncate_utf8(
                    request.desc.as_deref().unwrap_or(""),
                    MAX_DESC,
                )
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
                if matches!(current.kind, SeatKind::Player | SeatKind::Abandoned) {
                    // Never replace a seated player this way, nor one whose
                    // seat is held while they reconnect (§11.7).
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
                if let Some(guest) = self.guest_at(room, id, &target_name) {
                    self.boot_guest(guest, &name, now, sink);
                    return Ok(());
                }
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
}
