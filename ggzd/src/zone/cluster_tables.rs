//! Tables across nodes (docs/cluster.md §8): this node's tables go to the
//! other nodes as whole states (in the snapshot, then whenever one changed),
//! and the other nodes' tables are shown here in `LIST TYPE='table'` and by
//! the same `UPDATE TYPE='table'` lines a local table sends. Without a
//! cluster nothing here runs.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use super::Zone;
use super::effects::{Sink, msg};
use crate::cluster::tables::{
    RemoteTable, RemoteTables, SeatKind, SeatState, TableChange, TableState,
};
use crate::cluster::{LinkMsg, Outbound};
use crate::config::canonical_name;
use crate::proto::reply::{self as r, SeatView, TableView};
use crate::proto::types::TableStatus;

/// The zone's side of tables across nodes.
#[derive(Default)]
pub(crate) struct ClusterTables {
    pub remote: RemoteTables,
    /// What the other nodes were last told of each local table, by room
    /// and id.
    sent: HashMap<u32, HashMap<u32, TableState>>,
    /// Rooms whose tables changed since the last [`Zone::cluster_sync_tables`].
    /// Marked from `&self` paths (room broadcasts), hence the cell.
    dirty: RefCell<HashSet<u32>>,
}

impl Zone {
    /// A table of `room` was announced to the room: other nodes hear of
    /// it at the end of the turn.
    pub(crate) fn cluster_table_touched(&self, room: u32) {
        if let Some(c) = self.cluster.as_ref() {
            c.tables.dirty.borrow_mut().insert(room);
        }
    }

    /// Once per loop turn: every local table that changed since the last
    /// call goes to the other nodes, whole; a table that ended goes as
    /// TABLE_GONE.
    pub fn cluster_sync_tables(&mut self, sink: &mut dyn Sink) {
        let Some(c) = self.cluster.as_ref() else {
            return;
        };
        let rooms: Vec<u32> = c.tables.dirty.borrow_mut().drain().collect();
        if rooms.is_empty() {
            return;
        }
        let mut out = Vec::new();
        let mut now_sent = Vec::new();
        let mut gone = Vec::new();
        let none = HashMap::new();
        for room_id in rooms {
            let sent = c.tables.sent.get(&room_id).unwrap_or(&none);
            let Some(room) = self.room(room_id) else {
                gone.extend(sent.keys().map(|id| (room_id, *id)));
                out.extend(sent.values().map(|old| LinkMsg::TableGone {
                    room: old.room.clone(),
                    id: old.id,
                }));
                continue;
            };
            let announced = |t: &&super::tables::Table| t.status != TableStatus::Created;
            for (id, old) in sent {
                if room.tables.get(id).filter(announced).is_none() {
                    out.push(LinkMsg::TableGone {
                        room: old.room.clone(),
                        id: old.id,
                    });
                    gone.push((room_id, *id));
                }
            }
            // Compared in place: only a table that changed is copied.
            for t in room.tables.values().filter(announced) {
                if sent.get(&t.id).is_none_or(|old| !same(old, t)) {
                    let state = local_state(&room.desc.key, t);
                    out.push(LinkMsg::Table(state.clone()));
                    now_sent.push((room_id, state));
                }
            }
        }
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        for (room, id) in &gone {
            if let Some(sent) = c.tables.sent.get_mut(room) {
                sent.remove(id);
                if sent.is_empty() {
                    c.tables.sent.remove(room);
                }
            }
        }
        for (room, state) in now_sent {
            c.tables
                .sent
                .entry(room)
                .or_default()
                .insert(state.id, state);
        }
        for (room, id) in gone {
            self.guests_table_gone(room, id);
        }
        for m in out {
            sink.cluster(Outbound::All(m));
        }
    }

    /// This node's tables, for the snapshot a new link starts with.
    pub(crate) fn cluster_table_snapshot(&self) -> Vec<LinkMsg> {
        self.rooms
            .iter()
            .flatten()
            .flat_map(|room| {
                room.tables
                    .values()
                    .filter(|t| t.status != TableStatus::Created)
                    .map(|t| LinkMsg::Table(local_state(&room.desc.key, t)))
            })
            .collect()
    }

    /// A node's snapshot begins: its tables not in it go at its end.
    pub(crate) fn cluster_tables_begin(&mut self, node: &str) {
        if let Some(c) = self.cluster.as_mut() {
            c.tables.remote.begin_snapshot(node);
        }
    }

    /// A node's snapshot ended: its tables it did not list are deleted.
    pub(crate) fn cluster_tables_end(&mut self, node: &str, sink: &mut dyn Sink) {
        let changes = self
            .cluster
            .as_mut()
            .map(|c| c.tables.remote.end_snapshot(node))
            .unwrap_or_default();
        self.show_table_changes(changes, sink);
    }

    /// A table state or its end from `node`.
    pub(crate) fn on_cluster_table(&mut self, node: &str, m: LinkMsg, sink: &mut dyn Sink) {
        let changes = match m {
            LinkMsg::Table(state) => {
                // A room this node does not have cannot show it.
                let Some(first) = self
                    .room_by_key(&state.room)
                    .and_then(|id| self.room(id))
                    .map(|room| room.desc.max_tables.saturating_add(1))
                else {
                    return;
                };
                match self.cluster.as_mut() {
                    Some(c) => c.tables.remote.upsert(node, state, first),
                    None => return,
                }
            }
            LinkMsg::TableGone { room, id } => self
                .cluster
                .as_mut()
                .and_then(|c| c.tables.remote.remove(node, &room, id))
                .into_iter()
                .collect(),
            _ => return,
        };
        self.show_table_changes(changes, sink);
        self.rejoin_notices(node, sink);
    }

    /// A node died: its tables go from every room here, the players of
    /// this node at them are told the table ended, and its players leave
    /// the tables of this node.
    pub(crate) fn cluster_tables_node_gone(
        &mut self,
        node: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some((changes, _)) = self
            .cluster
            .as_mut()
            .map(|c| c.tables.remote.remove_node(node))
        else {
            return;
        };
        if !changes.is_empty() {
            log::info!(target: "tables", "node {node} is gone with {} table(s)", changes.len());
        }
        self.show_table_changes_of(changes, true, sink);
        self.guests_node_gone(node, now, sink);
    }

    /// Remote tables of a room, for `LIST TYPE='table'`.
    pub(crate) fn remote_table_views(&self, room_id: u32) -> Vec<TableView<'_>> {
        let (Some(c), Some(room)) = (self.cluster.as_ref(), self.room(room_id)) else {
            return Vec::new();
        };
        let game = room.game.map_or(-1, |g| g as i32);
        c.tables
            .remote
            .in_room(&room.desc.key)
            .map(|t| remote_view(t, game))
            .collect()
    }

    /// Who sits at or watches which table of a room (local and remote
    /// tables, ids as shown here), by canonical name: what room lists
    /// show for players of other nodes.
    pub(crate) fn seated_in_room(&self, room_id: u32) -> HashMap<String, u32> {
        let mut out = HashMap::new();
        let (Some(c), Some(room)) = (self.cluster.as_ref(), self.room(room_id)) else {
            return out;
        };
        for t in room.tables.values() {
            let seated = t.seats.iter().filter(|s| s.kind == SeatKind::Player);
            for name in seated.filter_map(|s| s.name.as_deref()) {
                out.insert(canonical_name(name), t.id);
            }
            for s in t.spectators.iter().flatten() {
                out.insert(canonical_name(&s.name), t.id);
            }
        }
        for t in c.tables.remote.in_room(&room.desc.key) {
            let seated = t.state.seats.iter().filter(|s| s.kind == SeatKind::Player);
            for name in seated.filter_map(|s| s.name.as_deref()) {
                out.insert(canonical_name(name), t.shown);
            }
            for name in t.state.spectators.iter().flatten() {
                out.insert(canonical_name(name), t.shown);
            }
        }
        out
    }

    /// Whether a remote table is shown as `id` in the room (local launches
    /// never take such an id).
    pub(crate) fn remote_table_shown(&self, room_key: &str, id: u32) -> bool {
        self.cluster
            .as_ref()
            .is_some_and(|c| c.tables.remote.is_shown(room_key, id))
    }

    fn show_table_changes(&mut self, changes: Vec<TableChange>, sink: &mut dyn Sink) {
        self.show_table_changes_of(changes, false, sink);
    }

    /// `node_died`: the tables deleted went with their node.
    fn show_table_changes_of(
        &mut self,
        changes: Vec<TableChange>,
        node_died: bool,
        sink: &mut dyn Sink,
    ) {
        for change in changes {
            if let TableChange::Delete { room, shown, .. } = &change {
                self.remote_table_ended(room, *shown, node_died, sink);
            }
            if let Some((room_id, text)) = self.table_change_text(&change) {
                self.broadcast_room(room_id, &msg(text), None, sink);
            }
        }
    }

    /// The UPDATE a local client gets for one change of a remote table.
    fn table_change_text(&self, change: &TableChange) -> Option<(u32, String)> {
        let (room_key, shown) = match change {
            TableChange::Add { room, shown }
            | TableChange::Delete { room, shown, .. }
            | TableChange::Resize { room, shown }
            | TableChange::Status { room, shown, .. }
            | TableChange::Desc { room, shown }
            | TableChange::SeatJoin { room, shown, .. }
            | TableChange::SeatLeave { room, shown, .. }
            | TableChange::Seat { room, shown, .. }
            | TableChange::SpectatorJoin { room, shown, .. }
            | TableChange::SpectatorLeave { room, shown, .. } => (room, *shown),
        };
        let room_id = self.room_by_key(room_key)?;
        let rid = room_id as i32;
        let sid = shown as i32;
        if let TableChange::Delete { seats, .. } = change {
            return Some((room_id, r::update_table_delete(rid, sid, *seats)));
        }
        let c = self.cluster.as_ref()?;
        let t = c.tables.remote.get(room_key, shown)?;
        let game = self.room(room_id)?.game.map_or(-1, |g| g as i32);
        let seats = t.state.seats.len() as u32;
        let slots = t.state.spectators.len() as u32;
        let player_seat = |num: u32, name: &'_ str| -> String {
            let view = SeatView {
                num,
                kind: crate::cluster::tables::SeatKind::Player,
                name: Some(name),
            };
            match change {
                TableChange::SeatJoin { .. } => r::update_table_join_seat(rid, sid, seats, &view),
                _ => r::update_table_leave_seat(rid, sid, seats, &view),
            }
        };
        let text = match change {
            TableChange::Add { .. } => r::update_table_add(rid, &remote_view(t, game)),
            TableChange::Resize { .. } => r::update_table_resize(rid, &remote_view(t, game)),
            TableChange::Status { status, seats, .. } => {
                r::update_table_status(rid, sid, i32::from(*status), *seats)
            }
            TableChange::Desc { .. } => r::update_table_desc(rid, sid, &t.state.desc),
            TableChange::SeatJoin { num, name, .. } | TableChange::SeatLeave { num, name, .. } => {
                player_seat(*num, name)
            }
            TableChange::Seat { num, .. } => {
                let seat = t.state.seats.get(*num as usize)?;
                r::update_table_seat(
                    rid,
                    sid,
                    seats,
                    &SeatView {
                        num: *num,
                        kind: seat.kind,
                        name: seat.name.as_deref(),
                    },
                )
            }
            TableChange::SpectatorJoin { num, name, .. } => {
                r::update_table_join_spectator(rid, sid, slots, *num, name)
            }
            TableChange::SpectatorLeave { num, name, .. } => {
                r::update_table_leave_spectator(rid, sid, slots, *num, name)
            }
            TableChange::Delete { .. } => return None,
        };
        Some((room_id, text))
    }
}

/// Whether `t` is still what `sent` says (no copy made).
fn same(sent: &TableState, t: &super::tables::Table) -> bool {
    sent.status == t.status.as_i32() as i8
        && sent.desc == t.desc
        && sent.seats.len() == t.seats.len()
        && sent
            .seats
            .iter()
            .zip(&t.seats)
            .all(|(a, b)| a.kind == b.kind && a.name == b.name)
        && sent.spectators.len() == t.spectators.len()
        && sent
            .spectators
            .iter()
            .zip(&t.spectators)
            .all(|(a, b)| a.as_deref() == b.as_ref().map(|s| s.name.as_str()))
}

/// A local table as the link carries it.
fn local_state(room_key: &str, t: &super::tables::Table) -> TableState {
    TableState {
        room: room_key.to_string(),
        id: t.id,
        status: t.status.as_i32() as i8,
        desc: t.desc.clone(),
        seats: t
            .seats
            .iter()
            .map(|s| SeatState {
                kind: s.kind,
                name: s.name.clone(),
            })
            .collect(),
        spectators: t
            .spectators
            .iter()
            .map(|s| s.as_ref().map(|s| s.name.clone()))
            .collect(),
    }
}

/// A remote table as room lists show it, under its id on this node.
fn remote_view(t: &RemoteTable, game: i32) -> TableView<'_> {
    TableView {
        id: t.shown as i32,
        game,
        status: i32::from(t.state.status),
        desc: &t.state.desc,
        seats: t
            .state
            .seats
            .iter()
            .enumerate()
            .map(|(num, s)| SeatView {
                num: num as u32,
                kind: s.kind,
                name: s.name.as_deref(),
            })
            .collect(),
        spectators: t
            .state
            .spectators
            .iter()
            .enumerate()
            .filter_map(|(num, s)| s.as_deref().map(|n| (num as u32, n)))
            .collect(),
    }
}
