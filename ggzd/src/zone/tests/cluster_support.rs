//! What the zone's cluster tests share: this world as node `a` of a zone,
//! the word of another node, a player of another node, and a JOIN of
//! another node's table carried to its seat (docs/cluster.md).

use super::*;
use crate::cluster::tables::{SeatKind, SeatState, TableState};
use crate::cluster::{LinkMsg, Outbound, PlayerInfo};

/// Another node's table as its TABLE frame describes it: table `id` of
/// that node, in `room`, with `status` and these seats.
pub(super) fn remote_table(
    room: &str,
    id: u32,
    status: i8,
    seats: &[(SeatKind, Option<&str>)],
) -> TableState {
    TableState {
        room: room.into(),
        id,
        status,
        desc: "far".into(),
        seats: seats
            .iter()
            .map(|(kind, name)| SeatState {
                kind: *kind,
                name: name.map(str::to_string),
            })
            .collect(),
        spectators: Vec::new(),
    }
}

/// The standard world, as node `a` (incarnation 7) of a zone.
pub(super) fn standard_node() -> World {
    let mut w = World::standard();
    w.zone.enable_cluster("a", 7);
    w
}

/// A guest of another node, in `room` or in none, at no table and with no
/// statistics: what a PLAYER of another node says at the least. Tests that
/// need more override fields of it.
pub(super) fn remote_guest(name: &str, room: Option<&str>) -> PlayerInfo {
    PlayerInfo {
        name: name.into(),
        room: room.map(str::to_string),
        guest: true,
        perms: perms::GUEST,
        lag: 1,
        at_table: false,
        table: -1,
        stats: None,
    }
}

impl World {
    /// `msg` arrives over the link from `node`.
    pub(super) fn hear_from(&mut self, node: &str, msg: LinkMsg) {
        self.zone
            .on_cluster_msg(node, msg, self.now, &mut self.sink);
    }

    /// `node` says it runs queue `ttt` now.
    pub(super) fn runner_of_ttt_is(&mut self, node: &str) {
        self.hear_from(
            node,
            LinkMsg::QueueRunner {
                queues: vec!["ttt".into()],
            },
        );
    }

    /// Opens the game channel of player `name`; what it is told is dropped.
    pub(super) fn channel_for(&mut self, name: &str) -> ConnId {
        let channel = self.connect();
        self.send(channel, &format!("<CHANNEL ID='{name}'/></SESSION>"));
        self.sink.take(channel);
        channel
    }

    /// `conn` (player `name`) takes a seat at the table this node shows as
    /// `shown_id`, which lives on `node`: its channel opens, its JOIN goes
    /// to `node` as the only link message, and `node` answers it with
    /// `token`. Returns the channel and what `conn` was told.
    pub(super) fn seated_at_remote_table(
        &mut self,
        conn: ConnId,
        name: &str,
        shown_id: u32,
        node: &str,
        token: [u8; 16],
    ) -> (ConnId, String) {
        let channel = self.channel_for(name);
        self.sink.cluster.clear();
        self.send(
            conn,
            &format!("<JOIN TABLE='{shown_id}' SPECTATOR='false'/>"),
        );
        let req = match self.sink.cluster.as_slice() {
            [Outbound::To(to, LinkMsg::JoinRequest { req, .. })] if to == node => *req,
            other => panic!("no lone JOIN_REQUEST to {node}: {other:?}"),
        };
        self.hear_from(
            node,
            LinkMsg::JoinAnswer {
                req,
                code: 0,
                token,
            },
        );
        (channel, self.sink.take(conn).concat())
    }
}
