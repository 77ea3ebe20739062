//! A browser's game channel to another node's table that ends while its
//! lobby connection stays (docs/cluster.md §8, "Rejoining"): as for a
//! local table (`tables/abandoned.rs`), the player leaves the table, the
//! table's node holds the seat if a game is running, and the client gets
//! `LEAVE` and then, once the table's node shows the seat held, the
//! `REJOIN` notice (docs/extensions.md §3).

use super::Zone;
use super::effects::{ConnId, Sink, msg};
use crate::proto::reply as r;
use crate::proto::types::{LeaveReason, SeatKind};

/// Most players waiting for the notice at once (each entry is one
/// player of this node; more than there can be at remote tables is a
/// bug, and the oldest are simply not told).
const MAX_DUE: usize = 4096;

/// A player whose seat at another node's table may be held.
pub(crate) struct RejoinDue {
    node: String,
    room: String,
    origin: u32,
    canonical: String,
}

impl Zone {
    /// The WebSocket relay reports that `channel` ended; if it was relayed
    /// to another node's table, its player leaves that table as a player
    /// whose channel closed (the seat is held there mid-game).
    pub(crate) fn remote_channel_closed(&mut self, channel: ConnId, sink: &mut dyn Sink) {
        let Some(c) = self.cluster.as_ref() else {
            return;
        };
        let Some((conn, due)) = c.seats.away.iter().find_map(|(conn, away)| {
            (away.channel == channel)
                .then(|| (*conn, (away.node.clone(), away.room.clone(), away.origin)))
        }) else {
            return;
        };
        let Some(canonical) = self.player(conn).map(|p| p.canonical.clone()) else {
            return;
        };
        if !self.remote_leave(conn, false, sink) {
            return;
        }
        log::info!(target: "tables", "a game channel to a table of {} closed", due.0);
        sink.send(conn, &msg(r::leave(LeaveReason::Normal, None)));
        self.cluster_player_changed(conn, sink);
        let wants = self.session(conn).is_some_and(|s| s.ext.rejoin);
        if let Some(c) = self.cluster.as_mut()
            && wants
            && c.seats.rejoin_due.len() < MAX_DUE
        {
            let (node, room, origin) = due;
            c.seats.rejoin_due.insert(
                conn,
                RejoinDue {
                    node,
                    room,
                    origin,
                    canonical,
                },
            );
        }
    }

    /// A table state from `node` arrived: players waiting to learn whether
    /// their seat there is held get `REJOIN` once it shows it held, and
    /// stop waiting once it shows the seat otherwise (or the table, or
    /// the player, is gone, or sits elsewhere).
    pub(crate) fn rejoin_notices(&mut self, node: &str, sink: &mut dyn Sink) {
        let Some(c) = self.cluster.as_ref() else {
            return;
        };
        if c.seats.rejoin_due.is_empty() {
            return;
        }
        let mut settled = Vec::new();
        for (conn, due) in c.seats.rejoin_due.iter().filter(|(_, d)| d.node == node) {
            let gone = self.player(*conn).is_none_or(|p| p.place.is_some());
            let shown = c.tables.remote.shown_of(node, &due.room, due.origin);
            let table = shown.and_then(|s| c.tables.remote.get(&due.room, s));
            let Some(table) = table.filter(|_| !gone) else {
                settled.push((*conn, None));
                continue;
            };
            let seat = table.state.seats.iter().position(|s| {
                s.name
                    .as_deref()
                    .is_some_and(|n| crate::config::canonical_name(n) == due.canonical)
            });
            match seat.and_then(|n| table.state.seats.get(n).map(|s| (n, s.kind))) {
                // Not yet: the state was sent before the leave arrived.
                Some((_, SeatKind::Player)) => {}
                Some((num, SeatKind::Abandoned)) => {
                    let room = self.room_by_key(&due.room);
                    settled.push((*conn, room.map(|room| (room, table.shown, num as u32))));
                }
                _ => settled.push((*conn, None)),
            }
        }
        for (conn, notice) in settled {
            if let Some(c) = self.cluster.as_mut() {
                c.seats.rejoin_due.remove(&conn);
            }
            if let Some((room, shown, seat)) = notice {
                let text = crate::proto::ext_reply::rejoin(room, shown, seat);
                sink.send(conn, &msg(text));
            }
        }
    }
}
