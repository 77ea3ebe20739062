//! Table chat, INFO and the REJOIN notice across nodes (docs/cluster.md
//! §8). The table's node is the hub of its table chat: a player of another
//! node sends its line there, and the table's node hands every line to its
//! own players at the table and to each node with players at it, which
//! hands it to them. INFO of a player at another node's table is answered
//! by that node. A seat held at another node's table is found in this
//! node's view of that table, so the login notice needs no frame.

use std::collections::BTreeSet;

use super::Zone;
use super::effects::{ConnId, Sink, msg};
use super::tables::info::info_text;
use crate::cluster::codec::InfoRow;
use crate::cluster::{LinkMsg, Outbound};
use crate::config::canonical_name;
use crate::proto::ext_reply;
use crate::proto::reply as r;

impl Zone {
    // ----- table chat -----------------------------------------------------

    /// Table chat of a player of this node at another node's table: it
    /// goes to that node, which hands it out (to the sender too). `false`
    /// when the player is not at such a table.
    pub(crate) fn cluster_table_chat_out(
        &self,
        conn: ConnId,
        from: &str,
        text: &str,
        sink: &mut dyn Sink,
    ) -> bool {
        let Some(away) = self.cluster.as_ref().and_then(|c| c.seats.away.get(&conn)) else {
            return false;
        };
        sink.cluster(Outbound::To(
            away.node.clone(),
            LinkMsg::TableChat {
                room: away.room.clone(),
                id: away.origin,
                from: from.to_string(),
                text: text.to_string(),
                to_table: true,
            },
        ));
        true
    }

    /// Table chat at a table of this node: each node with players at it
    /// gets it once.
    pub(crate) fn cluster_table_chat_fanout(
        &self,
        room: u32,
        id: u32,
        from: &str,
        text: &str,
        sink: &mut dyn Sink,
    ) {
        let Some(c) = self.cluster.as_ref() else {
            return;
        };
        let Some(key) = self.room(room).map(|r| r.desc.key.clone()) else {
            return;
        };
        let nodes: BTreeSet<&str> = c
            .seats
            .guests
            .values()
            .filter(|g| g.room == room && g.id == id)
            .map(|g| g.node.as_str())
            .collect();
        for node in nodes {
            sink.cluster(Outbound::To(
                node.to_string(),
                LinkMsg::TableChat {
                    room: key.clone(),
                    id,
                    from: from.to_string(),
                    text: text.to_string(),
                    to_table: false,
                },
            ));
        }
    }

    /// A TableChat frame from `node`.
    #[allow(clippy::too_many_arguments)]
    fn on_table_chat(
        &mut self,
        node: &str,
        room: &str,
        id: u32,
        from: &str,
        text: &str,
        to_table: bool,
        sink: &mut dyn Sink,
    ) {
        // The sender's node checked the length; a node that did not is
        // not believed.
        if text.len() > self.settings.chat.max_length {
            return;
        }
        let line = msg(r::chat("table", from, Some(text)));
        let audience: Vec<ConnId> = if to_table {
            let Some(room_id) = self.room_by_key(room) else {
                return;
            };
            // Only from a player of that node who is at this table.
            let at_table = self.guest_at(room_id, id, from).is_some_and(|g| {
                self.cluster
                    .as_ref()
                    .and_then(|c| c.seats.guests.get(&g))
                    .is_some_and(|g| g.node == node)
            });
            if !at_table {
                return;
            }
            self.cluster_table_chat_fanout(room_id, id, from, text, sink);
            self.table_members(room_id, id)
        } else {
            let Some(c) = self.cluster.as_ref() else {
                return;
            };
            c.seats
                .away
                .iter()
                .filter(|(_, a)| a.node == node && a.room == room && a.origin == id)
                .map(|(conn, _)| *conn)
                .collect()
        };
        for &member in &audience {
            sink.send(member, &line);
        }
        self.metrics.chat_delivered(audience.len());
    }

    /// The connections of this node seated at or watching a local table.
    fn table_members(&self, room: u32, id: u32) -> Vec<ConnId> {
        let Some(table) = self.table(room, id) else {
            return Vec::new();
        };
        table
            .seats
            .iter()
            .filter_map(|s| s.occupant)
            .chain(table.spectators.iter().flatten().map(|s| s.conn))
            .filter(|c| self.player(*c).is_some())
            .collect()
    }

    // ----- INFO -----------------------------------------------------------

    /// INFO of a player of this node at another node's table: asked of
    /// that node. `false` when the player is not at such a table.
    pub(crate) fn cluster_info_out(
        &self,
        conn: ConnId,
        seat: Option<i64>,
        sink: &mut dyn Sink,
    ) -> bool {
        let Some(away) = self.cluster.as_ref().and_then(|c| c.seats.away.get(&conn)) else {
            return false;
        };
        let Some(player) = self.player(conn) else {
            return false;
        };
        // A seat number no table has: nothing matches, as locally.
        let seat = match seat {
            None => None,
            Some(s) => match u32::try_from(s) {
                Ok(s) => Some(s),
                Err(_) => {
                    sink.send(conn, &msg(info_text(&[])));
                    return true;
                }
            },
        };
        sink.cluster(Outbound::To(
            away.node.clone(),
            LinkMsg::InfoRequest {
                player: player.name.clone(),
                room: away.room.clone(),
                id: away.origin,
                seat,
            },
        ));
        true
    }

    fn on_info_request(
        &self,
        node: &str,
        player: String,
        room: String,
        id: u32,
        seat: Option<u32>,
        sink: &mut dyn Sink,
    ) {
        let Some(room_id) = self.room_by_key(&room) else {
            return;
        };
        let asker_here = self.guest_at(room_id, id, &player).is_some_and(|g| {
            self.cluster
                .as_ref()
                .and_then(|c| c.seats.guests.get(&g))
                .is_some_and(|g| g.node == node)
        });
        if !asker_here {
            return;
        }
        let Some(rows) = self.info_rows(room_id, id, seat.map(i64::from)) else {
            return;
        };
        let rows = rows
            .into_iter()
            .map(|(seat, realname, host)| InfoRow {
                seat,
                realname,
                host,
            })
            .collect();
        sink.cluster(Outbound::To(
            node.to_string(),
            LinkMsg::InfoAnswer {
                player,
                room,
                id,
                rows,
            },
        ));
    }

    fn on_info_answer(
        &self,
        node: &str,
        player: &str,
        room: &str,
        id: u32,
        rows: Vec<InfoRow>,
        sink: &mut dyn Sink,
    ) {
        let Some(&conn) = self.names.get(&canonical_name(player)) else {
            return;
        };
        let still_there = self.cluster.as_ref().is_some_and(|c| {
            c.seats
                .away
                .get(&conn)
                .is_some_and(|a| a.node == node && a.room == room && a.origin == id)
        });
        if !still_there {
            return;
        }
        let rows: Vec<(u32, String, String)> = rows
            .into_iter()
            .map(|r| (r.seat, r.realname, r.host))
            .collect();
        sink.send(conn, &msg(info_text(&rows)));
    }

    // ----- REJOIN ---------------------------------------------------------

    /// `<REJOIN>` for a seat held for the player at another node's table,
    /// under the ids this node shows (docs/extensions.md §3). `false` when
    /// there is none.
    pub(crate) fn send_remote_rejoin(
        &self,
        conn: ConnId,
        canonical: &str,
        sink: &mut dyn Sink,
    ) -> bool {
        let Some(c) = self.cluster.as_ref() else {
            return false;
        };
        let Some((room, shown, seat)) = c.tables.remote.held_for(canonical) else {
            return false;
        };
        let Some(room) = self.room_by_key(room) else {
            return false;
        };
        sink.send(conn, &msg(ext_reply::rejoin(room, shown, seat)));
        true
    }

    /// The table-talk frames of a link.
    pub(crate) fn on_cluster_table_talk(&mut self, node: &str, m: LinkMsg, sink: &mut dyn Sink) {
        match m {
            LinkMsg::TableChat {
                room,
                id,
                from,
                text,
                to_table,
            } => self.on_table_chat(node, &room, id, &from, &text, to_table, sink),
            LinkMsg::InfoRequest {
                player,
                room,
                id,
                seat,
            } => self.on_info_request(node, player, room, id, seat, sink),
            LinkMsg::InfoAnswer {
                player,
                room,
                id,
                rows,
            } => self.on_info_answer(node, &player, &room, id, rows, sink),
            _ => {}
        }
    }
}
