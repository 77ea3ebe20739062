//! JOIN and LEAVE across nodes (docs/cluster.md §8). A player of this node
//! joins a table of another node: the JOIN goes over the link, that node
//! runs its own seat rules and answers with a one-time token; this node
//! then relays the player's prepared game channel to it
//! (`server/cluster_channel.rs`). The other way round, a player of
//! another node sits at a table of this node under a stand-in occupant id
//! (no connection of this node has it), and its game channel arrives as a
//! relay connection presenting the token.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ggzdmod::wire::ToGame;

use super::Zone;
use super::effects::{ConnId, Sink, TableSerial, msg};
use super::perms::{self, Perm};
use super::session::Place;
use super::tables::{MAX_SPECTATORS, Seat, Spectator};
use crate::cluster::tables::{PendingJoin, PendingJoins, SeatKind};
use crate::cluster::{LinkMsg, Outbound};
use crate::config::canonical_name;
use crate::proto::reply::{self as r, SeatView};
use crate::proto::types::{LeaveReason, ResultCode, TableStatus};

/// How long a forwarded JOIN waits for its answer.
const JOIN_WAIT: Duration = Duration::from_secs(15);
/// How long a token waits for its relay connection.
const GRANT_TTL: Duration = Duration::from_secs(30);
/// Most tokens waiting at once.
const MAX_GRANTS: usize = 1024;
/// Most players of other nodes seated or watching here.
const MAX_GUESTS: usize = 4096;
/// The stand-in occupant ids' slot: no connection has it.
const GUEST_SLOT: u32 = u32::MAX - 1;

/// A seat promised to a player of another node, until its relay arrives.
pub(super) struct Grant {
    pub(super) node: String,
    pub(super) name: String,
    room: u32,
    id: u32,
    spectator: bool,
    seat: Option<i64>,
    pub(super) expires: Instant,
    /// What the player's node said of the player for INFO (SEAT_INFO).
    pub(super) details: super::cluster_seat_info::SeatDetails,
}

/// A player of another node at a table of this node.
pub(super) struct Guest {
    pub(super) node: String,
    pub(super) name: String,
    pub(super) room: u32,
    pub(super) id: u32,
    pub(super) spectator: bool,
    pub(super) index: u32,
    /// Real name and host for INFO (`cluster_seat_info.rs`).
    pub(super) details: super::cluster_seat_info::SeatDetails,
}

/// A player of this node at a table of another node.
pub(super) struct Away {
    pub(super) node: String,
    pub(super) room: String,
    pub(super) origin: u32,
    pub(super) shown: u32,
    /// The game channel relayed there (as a connection id): a browser's
    /// channel that ends is a leave (`cluster_rejoin.rs`).
    pub(super) channel: ConnId,
}

#[derive(Default)]
pub(crate) struct ClusterSeats {
    pending: PendingJoins<ConnId>,
    pub(super) grants: HashMap<[u8; 16], Grant>,
    pub(super) guests: HashMap<ConnId, Guest>,
    next_guest: u32,
    pub(super) away: HashMap<ConnId, Away>,
    /// Players whose browser channel to another node's table ended, until
    /// that table shows whether their seat is held (`cluster_rejoin.rs`).
    pub(super) rejoin_due: HashMap<ConnId, super::cluster_rejoin::RejoinDue>,
}

fn code_of(n: i8) -> ResultCode {
    [
        ResultCode::Ok,
        ResultCode::BadOptions,
        ResultCode::TableFull,
        ResultCode::NoTable,
        ResultCode::AtTable,
        ResultCode::NoPermission,
        ResultCode::InTransit,
        ResultCode::NoChannel,
    ]
    .into_iter()
    .find(|c| c.as_i32() == i32::from(n))
    .unwrap_or(ResultCode::JoinFail)
}

impl Zone {
    // ----- the asking node ------------------------------------------------

    /// A JOIN of a table shown here for another node. `None` when no node
    /// has it (the caller answers `no table`); otherwise the JOIN is
    /// refused at once (`Some(Err)`, the prepared channel used up as for a
    /// local refusal) or forwarded, its answer to come.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn remote_join(
        &mut self,
        conn: ConnId,
        room_id: u32,
        shown: u32,
        spectator: bool,
        seat: Option<i64>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Option<Result<(), ResultCode>> {
        let c = self.cluster.as_ref()?;
        let room = self.room(room_id)?;
        let table = c.tables.remote.get(&room.desc.key, shown)?;
        let name = self.player(conn).map(|p| p.name.clone())?;
        let mine = |n: &Option<String>| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&name));
        let status = TableStatus::from_i32(i32::from(table.state.status));
        let free = table.state.seats.iter().any(|s| {
            s.kind == SeatKind::Open
                || (matches!(s.kind, SeatKind::Reserved | SeatKind::Abandoned) && mine(&s.name))
        });
        let refused = if matches!(
            status,
            None | Some(TableStatus::Done | TableStatus::Error | TableStatus::Created)
        ) {
            Some(ResultCode::BadOptions)
        } else if !spectator && seat.is_none() && !free {
            Some(ResultCode::TableFull)
        } else {
            None
        };
        let join = PendingJoin {
            player: conn,
            node: table.node.clone(),
            room: table.state.room.clone(),
            shown,
            spectator,
            deadline: now + JOIN_WAIT,
        };
        let request = LinkMsg::JoinRequest {
            req: 0,
            player: name,
            room: table.state.room.clone(),
            id: table.state.id,
            spectator,
            seat: seat.and_then(|s| u32::try_from(s).ok()),
        };
        if let Some(code) = refused {
            self.consume_channel(conn, sink);
            return Some(Err(code));
        }
        if seat.is_some_and(|s| u32::try_from(s).is_err()) {
            self.consume_channel(conn, sink);
            return Some(Err(ResultCode::BadOptions));
        }
        let c = self.cluster.as_mut()?;
        if c.seats.pending.has(conn) {
            return Some(Err(ResultCode::InTransit));
        }
        let node = join.node.clone();
        let Some(req) = c.seats.pending.add(join) else {
            self.consume_channel(conn, sink);
            return Some(Err(ResultCode::JoinFail));
        };
        let LinkMsg::JoinRequest {
            player,
            room,
            id,
            spectator,
            seat,
            ..
        } = request
        else {
            return None;
        };
        sink.cluster(Outbound::To(
            node,
            LinkMsg::JoinRequest {
                req,
                player,
                room,
                id,
                spectator,
                seat,
            },
        ));
        Some(Ok(()))
    }

    /// The answer to a forwarded JOIN.
    fn on_join_answer(
        &mut self,
        node: &str,
        req: u32,
        code: i8,
        token: [u8; 16],
        sink: &mut dyn Sink,
    ) {
        let Some(join) = self
            .cluster
            .as_mut()
            .and_then(|c| c.seats.pending.answer(node, req))
        else {
            return;
        };
        let conn = join.player;
        if self.player(conn).is_none() {
            return;
        }
        let code = code_of(code);
        if code != ResultCode::Ok {
            self.consume_channel(conn, sink);
            return self.reply(conn, "join", code, sink);
        }
        let Some(channel) = self.player_mut(conn).and_then(|p| p.channel.take()) else {
            return self.reply(conn, "join", ResultCode::NoChannel, sink);
        };
        self.release_channel_session(channel);
        sink.cluster(Outbound::Relay {
            channel,
            node: node.to_string(),
            token,
        });
        self.send_seat_info(conn, node, &join.room, sink);
        if let Some(p) = self.player_mut(conn) {
            p.place = Some(Place {
                table: join.shown,
                spectator: join.spectator,
                index: 0,
            });
        }
        if let Some(c) = self.cluster.as_mut() {
            c.seats.away.insert(
                conn,
                Away {
                    node: node.to_string(),
                    room: join.room.clone(),
                    origin: 0,
                    shown: join.shown,
                    channel,
                },
            );
        }
        // The table's id on its node, for LEAVE.
        let origin = self.cluster.as_ref().and_then(|c| {
            c.tables
                .remote
                .get(&join.room, join.shown)
                .map(|t| t.state.id)
        });
        if let (Some(origin), Some(c)) = (origin, self.cluster.as_mut())
            && let Some(away) = c.seats.away.get_mut(&conn)
        {
            away.origin = origin;
        }
        log::info!(target: "tables", "a player joins table {} of {node} across nodes", join.shown);
        self.reply(conn, "join", ResultCode::Ok, sink);
        sink.send(conn, &msg(r::join(join.shown as i32, join.spectator)));
        self.cluster_player_changed(conn, sink);
    }

    /// LEAVE of a player at another node's table: `false` when the player
    /// is not at one.
    pub(crate) fn remote_leave(&mut self, conn: ConnId, tell: bool, sink: &mut dyn Sink) -> bool {
        let Some(c) = self.cluster.as_mut() else {
            return false;
        };
        c.seats.pending.forget(conn);
        let Some(away) = c.seats.away.remove(&conn) else {
            return false;
        };
        let Some(player) = self.player_mut(conn) else {
            return true;
        };
        player.place = None;
        let name = player.name.clone();
        sink.cluster(Outbound::To(
            away.node,
            LinkMsg::LeaveTable {
                player: name,
                room: away.room,
                id: away.origin,
            },
        ));
        if tell {
            self.reply(conn, "leave", ResultCode::Ok, sink);
            sink.send(conn, &msg(r::leave(LeaveReason::Normal, None)));
            self.cluster_player_changed(conn, sink);
        }
        true
    }

    /// A remote table was deleted: players of this node at it are told,
    /// as a local table's end tells them (with a notice when its node
    /// died). Their relayed channels end with the table's node.
    pub(crate) fn remote_table_ended(
        &mut self,
        room: &str,
        shown: u32,
        node_died: bool,
        sink: &mut dyn Sink,
    ) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        let gone: Vec<(ConnId, String)> = c
            .seats
            .away
            .iter()
            .filter(|(_, a)| a.room == room && a.shown == shown)
            .map(|(conn, a)| (*conn, a.node.clone()))
            .collect();
        for (conn, node) in gone {
            if let Some(c) = self.cluster.as_mut() {
                c.seats.away.remove(&conn);
            }
            if let Some(p) = self.player_mut(conn) {
                p.place = None;
            } else {
                continue;
            }
            let reason = if node_died {
                let text =
                    format!("The server of your table ({node}) is gone; the table has ended.");
                sink.send(conn, &msg(r::chat("private", "", Some(&text))));
                LeaveReason::GameError
            } else {
                LeaveReason::GameOver
            };
            // As a local table's end: RESULT leave, then LEAVE.
            self.reply(conn, "leave", ResultCode::Ok, sink);
            sink.send(conn, &msg(r::leave(reason, None)));
            self.cluster_player_changed(conn, sink);
        }
    }

    /// Forwarded JOINs past their deadline, or (with `node`) to a node
    /// whose link is down: refused with `join fail`. Tokens past their
    /// time go.
    pub fn cluster_seats_sweep(&mut self, now: Instant, node: Option<&str>, sink: &mut dyn Sink) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        if node.is_none() {
            c.seats.grants.retain(|_, g| g.expires > now);
        }
        if c.seats.pending.is_empty() {
            return;
        }
        for join in c.seats.pending.take_expired(now, node) {
            if self.player(join.player).is_some() {
                self.consume_channel(join.player, sink);
                self.reply(join.player, "join", ResultCode::JoinFail, sink);
            }
        }
    }

    // ----- the table's node -----------------------------------------------

    /// A JOIN from `node` for a table of this node.
    #[allow(clippy::too_many_arguments)]
    fn on_join_request(
        &mut self,
        node: &str,
        req: u32,
        name: String,
        room: &str,
        id: u32,
        spectator: bool,
        seat: Option<u32>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let seat = seat.map(i64::from);
        let checked = self
            .room_by_key(room)
            .ok_or(ResultCode::NoTable)
            .and_then(|room_id| {
                self.guest_seat(node, &name, room_id, id, spectator, seat)
                    .map(|_| room_id)
            });
        let mut token = [0u8; 16];
        let code = match checked {
            Ok(room_id) => {
                let full = self
                    .cluster
                    .as_ref()
                    .is_none_or(|c| c.seats.grants.len() >= MAX_GRANTS);
                if full || crate::random::fill(&mut token).is_err() {
                    ResultCode::JoinFail
                } else {
                    if let Some(c) = self.cluster.as_mut() {
                        c.seats.grants.insert(
                            token,
                            Grant {
                                node: node.to_string(),
                                name,
                                room: room_id,
                                id,
                                spectator,
                                seat,
                                expires: now + GRANT_TTL,
                                details: Default::default(),
                            },
                        );
                    }
                    ResultCode::Ok
                }
            }
            Err(code) => code,
        };
        sink.cluster(Outbound::To(
            node.to_string(),
            LinkMsg::JoinAnswer {
                req,
                code: code.as_i32() as i8,
                token,
            },
        ));
    }

    /// The seat rules for a player of `node`, as for a local player: the
    /// seat (or spectator slot) it would get.
    fn guest_seat(
        &self,
        node: &str,
        name: &str,
        room: u32,
        id: u32,
        spectator: bool,
        seat: Option<i64>,
    ) -> Result<usize, ResultCode> {
        let c = self.cluster.as_ref().ok_or(ResultCode::JoinFail)?;
        // The player is known from the view, as the node's own.
        let known = c
            .view
            .get(&canonical_name(name))
            .filter(|p| p.node == node)
            .ok_or(ResultCode::NotLoggedIn)?;
        if !perms::has(known.info.perms, Perm::JoinTable) {
            return Err(ResultCode::NoPermission);
        }
        if c.seats.guests.len() >= MAX_GUESTS {
            return Err(ResultCode::JoinFail);
        }
        let table = self.table(room, id).ok_or(ResultCode::NoTable)?;
        if matches!(
            table.status,
            TableStatus::Done | TableStatus::Error | TableStatus::Created
        ) {
            return Err(ResultCode::BadOptions);
        }
        let here = |n: Option<&str>| n.is_some_and(|n| n.eq_ignore_ascii_case(name));
        let seated = table
            .seats
            .iter()
            .any(|s| s.kind == SeatKind::Player && here(s.name.as_deref()))
            || table
                .spectators
                .iter()
                .flatten()
                .any(|s| here(Some(&s.name)));
        if seated {
            return Err(ResultCode::AtTable);
        }
        if spectator {
            let allowed = self
                .games
                .get(table.game)
                .is_some_and(|g| g.desc.allow_spectators);
            let slot = table
                .spectators
                .iter()
                .position(Option::is_none)
                .or_else(|| {
                    (table.spectators.len() < MAX_SPECTATORS).then_some(table.spectators.len())
                });
            return slot.filter(|_| allowed).ok_or(ResultCode::TableFull);
        }
        Self::choose_seat(table, name, seat)
    }

    /// The node a token was granted to.
    pub fn cluster_grant_node(&self, token: &[u8; 16]) -> Option<String> {
        let c = self.cluster.as_ref()?;
        c.seats.grants.get(token).map(|g| g.node.clone())
    }

    /// A relay connection presented `token`; `vouch` says whether its
    /// address is the named node's. Seats the player and returns what the
    /// game server gets with the connection, or `None` (the connection is
    /// closed).
    pub fn cluster_relay_arrived(
        &mut self,
        token: &[u8; 16],
        vouch: &dyn Fn(&str) -> bool,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Option<(TableSerial, ToGame)> {
        let c = self.cluster.as_mut()?;
        let grant = c.seats.grants.remove(token)?;
        if grant.expires <= now || !vouch(&grant.node) {
            log::warn!(target: "tables", "a relay connection for {} was refused", grant.name);
            return None;
        }
        let Ok(num) = self.guest_seat(
            &grant.node,
            &grant.name,
            grant.room,
            grant.id,
            grant.spectator,
            grant.seat,
        ) else {
            // Taken meanwhile: the player's node must not think it sits.
            self.tell_seat_lost(&grant.node, &grant.name, grant.room, grant.id, 3, sink);
            return None;
        };
        let c = self.cluster.as_mut()?;
        c.seats.next_guest = c.seats.next_guest.wrapping_add(1);
        let stand_in = ConnId {
            slot: GUEST_SLOT,
            generation: c.seats.next_guest,
        };
        let (room, id, name) = (grant.room, grant.id, grant.name.clone());
        let table = self.table_mut(room, id)?;
        let serial = table.serial;
        let (update, to_game) = if grant.spectator {
            if table.spectators.len() <= num {
                table.spectators.resize(num + 1, None);
            }
            if let Some(slot) = table.spectators.get_mut(num) {
                *slot = Some(Spectator {
                    name: name.clone(),
                    conn: stand_in,
                });
            }
            let slots = table.spectators.len() as u32;
            (
                r::update_table_join_spectator(room as i32, id as i32, slots, num as u32, &name),
                ToGame::SpectatorSeat {
                    num: num as u32,
                    name: name.clone(),
                },
            )
        } else {
            if let Some(seat) = table.seats.get_mut(num) {
                *seat = Seat {
                    kind: SeatKind::Player,
                    name: Some(name.clone()),
                    occupant: Some(stand_in),
                };
            }
            let seats = table.seat_count();
            (
                r::update_table_join_seat(
                    room as i32,
                    id as i32,
                    seats,
                    &SeatView {
                        num: num as u32,
                        kind: SeatKind::Player,
                        name: Some(&name),
                    },
                ),
                ToGame::Seat {
                    num: num as u32,
                    kind: SeatKind::Player,
                    name: name.clone(),
                },
            )
        };
        if !grant.spectator {
            self.forget_hold(room, id, num as u32);
        }
        if let Some(c) = self.cluster.as_mut() {
            c.seats.guests.insert(
                stand_in,
                Guest {
                    node: grant.node.clone(),
                    name: name.clone(),
                    room,
                    id,
                    spectator: grant.spectator,
                    index: num as u32,
                    details: grant.details,
                },
            );
        }
        log::info!(target: "tables", "{name} of {} sits at table {id} in room {room} across nodes", grant.node);
        self.broadcast_table_room(room, update, sink);
        Some((serial, to_game))
    }

    /// A player of `node` left a table of this node.
    fn on_leave_table(
        &mut self,
        node: &str,
        name: &str,
        room: &str,
        id: u32,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(room_id) = self.room_by_key(room) else {
            return;
        };
        let Some(stand_in) = self.cluster.as_ref().and_then(|c| {
            c.seats
                .guests
                .iter()
                .find(|(_, g)| {
                    g.node == node
                        && g.room == room_id
                        && g.id == id
                        && g.name.eq_ignore_ascii_case(name)
                })
                .map(|(conn, _)| *conn)
        }) else {
            return;
        };
        self.guest_vacate(stand_in, true, now, sink);
    }

    /// The stand-in of the player `name` of another node at this table.
    pub(crate) fn guest_at(&self, room: u32, id: u32, name: &str) -> Option<ConnId> {
        let c = self.cluster.as_ref()?;
        c.seats
            .guests
            .iter()
            .find(|(_, g)| g.room == room && g.id == id && g.name.eq_ignore_ascii_case(name))
            .map(|(conn, _)| *conn)
    }

    /// Boots a player of another node (its table's owner or game server
    /// asked): the seat opens and its node is told. `false` when
    /// `stand_in` is no such player.
    pub(crate) fn boot_guest(
        &mut self,
        stand_in: ConnId,
        by: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> bool {
        let Some((node, name, room, id)) = self.cluster.as_ref().and_then(|c| {
            let g = c.seats.guests.get(&stand_in)?;
            Some((g.node.clone(), g.name.clone(), g.room, g.id))
        }) else {
            return false;
        };
        log::info!(target: "tables", "{by} boots {name} of {node} from table {id}");
        self.guest_vacate(stand_in, false, now, sink);
        self.tell_seat_lost(&node, &name, room, id, 1, sink);
        true
    }

    fn tell_seat_lost(
        &self,
        node: &str,
        name: &str,
        room: u32,
        id: u32,
        reason: u8,
        sink: &mut dyn Sink,
    ) {
        if let Some(room) = self.room(room) {
            sink.cluster(Outbound::To(
                node.to_string(),
                LinkMsg::SeatLost {
                    player: name.to_string(),
                    room: room.desc.key.clone(),
                    id,
                    reason,
                },
            ));
        }
    }

    /// The table's node says a player of this node lost its seat.
    fn on_seat_lost(
        &mut self,
        node: &str,
        name: &str,
        room: &str,
        id: u32,
        reason: u8,
        sink: &mut dyn Sink,
    ) {
        let Some(&conn) = self.names.get(&canonical_name(name)) else {
            return;
        };
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        let matches = c
            .seats
            .away
            .get(&conn)
            .is_some_and(|a| a.node == node && a.room == room && a.origin == id);
        if !matches {
            return;
        }
        c.seats.away.remove(&conn);
        if let Some(p) = self.player_mut(conn) {
            p.place = None;
        }
        let reason = match reason {
            0 => LeaveReason::Normal,
            1 => LeaveReason::Boot,
            2 => LeaveReason::GameOver,
            _ => LeaveReason::GameError,
        };
        self.reply(conn, "leave", ResultCode::Ok, sink);
        sink.send(conn, &msg(r::leave(reason, None)));
        self.cluster_player_changed(conn, sink);
    }

    /// Every player of a dead node leaves the tables of this node (a seat
    /// in a running game is held, as for a local player who dropped).
    pub(crate) fn guests_node_gone(&mut self, node: &str, now: Instant, sink: &mut dyn Sink) {
        let stand_ins: Vec<ConnId> = self
            .cluster
            .as_ref()
            .map(|c| {
                c.seats
                    .guests
                    .iter()
                    .filter(|(_, g)| g.node == node)
                    .map(|(conn, _)| *conn)
                    .collect()
            })
            .unwrap_or_default();
        for stand_in in stand_ins {
            self.guest_vacate(stand_in, true, now, sink);
        }
    }

    /// A table of this node ended: its guests go with it.
    pub(crate) fn guests_table_gone(&mut self, room: u32, id: u32) {
        if let Some(c) = self.cluster.as_mut() {
            c.seats
                .guests
                .retain(|_, g| !(g.room == room && g.id == id));
        }
    }

    /// A guest leaves its seat or slot, as `vacate` does for a local
    /// player (with `keep_seat`, a seat left mid-game is held).
    fn guest_vacate(
        &mut self,
        stand_in: ConnId,
        keep_seat: bool,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(guest) = self
            .cluster
            .as_mut()
            .and_then(|c| c.seats.guests.remove(&stand_in))
        else {
            return;
        };
        let (room, id, index) = (guest.room, guest.id, guest.index);
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let serial = table.serial;
        let mut abandon = false;
        let update = if guest.spectator {
            let Some(slot) = table
                .spectators
                .get_mut(index as usize)
                .filter(|s| s.as_ref().is_some_and(|s| s.conn == stand_in))
            else {
                return;
            };
            *slot = None;
            sink.table_send(
                serial,
                ToGame::SpectatorSeat {
                    num: index,
                    name: String::new(),
                },
                None,
            );
            r::update_table_leave_spectator(
                room as i32,
                id as i32,
                table.spectators.len() as u32,
                index,
                &guest.name,
            )
        } else {
            abandon = keep_seat && super::tables::abandoned::mid_game(table);
            let Some(seat) = table
                .seats
                .get_mut(index as usize)
                .filter(|s| s.occupant == Some(stand_in))
            else {
                return;
            };
            let kind = if abandon {
                SeatKind::Abandoned
            } else {
                SeatKind::Open
            };
            let seat_name = abandon.then(|| guest.name.clone());
            *seat = Seat {
                kind,
                name: seat_name.clone(),
                occupant: None,
            };
            sink.table_send(
                serial,
                ToGame::Seat {
                    num: index,
                    kind,
                    name: seat_name.unwrap_or_default(),
                },
                None,
            );
            r::update_table_leave_seat(
                room as i32,
                id as i32,
                table.seat_count(),
                &SeatView {
                    num: index,
                    kind: SeatKind::Player,
                    name: Some(&guest.name),
                },
            )
        };
        log::info!(target: "tables", "{} of {} leaves table {id} in room {room}", guest.name, guest.node);
        self.broadcast_table_room(room, update, sink);
        if abandon {
            self.hold_seat(room, id, index, &guest.name, now, sink);
        }
        self.kill_if_empty(room, id, now, sink);
    }

    /// The seat frames of a link.
    pub(crate) fn on_cluster_seat_msg(
        &mut self,
        node: &str,
        m: LinkMsg,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        match m {
            LinkMsg::JoinRequest {
                req,
                player,
                room,
                id,
                spectator,
                seat,
            } => self.on_join_request(node, req, player, &room, id, spectator, seat, now, sink),
            LinkMsg::JoinAnswer { req, code, token } => {
                self.on_join_answer(node, req, code, token, sink)
            }
            LinkMsg::LeaveTable { player, room, id } => {
                self.on_leave_table(node, &player, &room, id, now, sink)
            }
            LinkMsg::SeatLost {
                player,
                room,
                id,
                reason,
            } => self.on_seat_lost(node, &player, &room, id, reason, sink),
            LinkMsg::SeatInfo {
                player,
                realname,
                host,
            } => self.on_seat_info(node, &player, realname, host),
            _ => {}
        }
    }
}
