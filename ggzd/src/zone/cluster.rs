//! The zone as one node of a cluster (docs/cluster.md): players of other
//! nodes appear in room lists, counts and `UPDATE player` exactly as local
//! ones do; room chat, announcements, private chat and beeps reach them
//! through their nodes; a login claims its name in the registry, so a
//! name is logged in on one node at a time. Everything here is a no-op
//! when `[cluster] node` is empty: the single-node paths are unchanged.

use std::collections::HashMap;
use std::time::Instant;

use super::Zone;
use super::effects::{ConnId, Sink, msg};
use super::perms::{self, Perm};
use super::session::Player;
use crate::cluster::view::{Moved, RemotePlayer, RemoteView};
use crate::cluster::{LinkMsg, Outbound, PlayerInfo};
use crate::config::canonical_name;
use crate::proto::reply::{self as r, PlayerView};

/// A login's hold on its name in `cluster_logins`: released only by the
/// same token, so a late release never frees a newer login's claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameClaim {
    pub node: String,
    pub incarnation: u64,
    pub token: i64,
}

/// The zone's cluster state.
pub(crate) struct ZoneCluster {
    pub node: String,
    pub incarnation: u64,
    pub view: RemoteView,
    next_token: i64,
    /// Claims of logins under way, by connection.
    pending: HashMap<ConnId, (String, i64)>,
    /// Claims of logged-in players, by canonical name.
    held: HashMap<String, i64>,
    /// Tables across nodes (`zone/cluster_tables.rs`).
    pub tables: super::cluster_tables::ClusterTables,
    /// JOIN and LEAVE across nodes (`zone/cluster_seats.rs`).
    pub seats: super::cluster_seats::ClusterSeats,
    /// Who runs which matchmaking queue, and the tickets across nodes
    /// (`zone/cluster_queue.rs`).
    pub queues: crate::cluster::queues::QueueBook,
}

impl Zone {
    /// Makes this zone a node of a cluster. Called once, before serving.
    pub fn enable_cluster(&mut self, node: &str, incarnation: u64) {
        self.cluster = Some(Box::new(ZoneCluster {
            node: node.to_string(),
            incarnation,
            view: RemoteView::default(),
            next_token: 1,
            pending: HashMap::new(),
            held: HashMap::new(),
            tables: Default::default(),
            seats: Default::default(),
            queues: Default::default(),
        }));
    }

    /// Players on other nodes (0 without a cluster).
    pub fn remote_player_count(&self) -> usize {
        self.cluster.as_ref().map_or(0, |c| c.view.len())
    }

    /// Local and remote players in a room.
    pub(crate) fn room_count(&self, room: &super::rooms::Room) -> usize {
        room.players.len()
            + self
                .cluster
                .as_ref()
                .map_or(0, |c| c.view.count_in(&room.desc.key))
    }

    /// Whether the name is logged in on another node, as far as this node
    /// knows (the registry's claim decides).
    pub(crate) fn remote_has(&self, canonical: &str) -> bool {
        self.cluster
            .as_ref()
            .is_some_and(|c| c.view.get(canonical).is_some())
    }

    /// The claim a new login job must take, when in a cluster.
    pub(crate) fn new_claim(&mut self, conn: ConnId, canonical: &str) -> Option<NameClaim> {
        let c = self.cluster.as_mut()?;
        let token = c.next_token;
        c.next_token += 1;
        c.pending.insert(conn, (canonical.to_string(), token));
        Some(NameClaim {
            node: c.node.clone(),
            incarnation: c.incarnation,
            token,
        })
    }

    /// A login job came back: a claim it took is kept if the player is now
    /// logged in, and released otherwise (refused, or the client left).
    pub(crate) fn settle_claim(&mut self, conn: ConnId, claimed: bool, sink: &mut dyn Sink) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        let Some((canonical, token)) = c.pending.remove(&conn) else {
            return;
        };
        if !claimed {
            return;
        }
        if self.names.get(&canonical) == Some(&conn) {
            c.held.insert(canonical, token);
        } else {
            sink.submit(super::Job::ReleaseName {
                canonical,
                node: c.node.clone(),
                token,
            });
        }
    }

    /// This node had been taken for dead, and its claims deleted: the names
    /// of its players are claimed again (a name taken meanwhile elsewhere
    /// is logged by the worker).
    pub fn cluster_reclaim(&mut self, sink: &mut dyn Sink) {
        let Some(c) = self.cluster.as_ref() else {
            return;
        };
        let claims: Vec<(String, NameClaim)> = c
            .held
            .iter()
            .map(|(name, token)| {
                (
                    name.clone(),
                    NameClaim {
                        node: c.node.clone(),
                        incarnation: c.incarnation,
                        token: *token,
                    },
                )
            })
            .collect();
        if !claims.is_empty() {
            sink.submit(super::Job::ClaimNames { claims });
        }
    }

    /// A player of this node logged in, moved or changed: other nodes
    /// hear of it.
    pub(crate) fn cluster_player_changed(&self, conn: ConnId, sink: &mut dyn Sink) {
        if self.cluster.is_none() {
            return;
        }
        if let Some(info) = self.player(conn).map(|p| self.player_info(p)) {
            sink.cluster(Outbound::All(LinkMsg::Player(info)));
        }
    }

    /// A player of this node logged out: other nodes hear of it, and its
    /// name's claim goes.
    pub(crate) fn cluster_player_gone(
        &mut self,
        conn: ConnId,
        player: &Player,
        sink: &mut dyn Sink,
    ) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        c.pending.remove(&conn);
        sink.cluster(Outbound::All(LinkMsg::Gone {
            name: player.name.clone(),
        }));
        if let Some(token) = c.held.remove(&player.canonical) {
            sink.submit(super::Job::ReleaseName {
                canonical: player.canonical.clone(),
                node: c.node.clone(),
                token,
            });
        }
    }

    fn player_info(&self, p: &Player) -> PlayerInfo {
        PlayerInfo {
            name: p.name.clone(),
            room: p
                .room
                .and_then(|id| self.room(id))
                .map(|room| room.desc.key.clone()),
            guest: p.guest,
            perms: p.perms,
            lag: p.lag,
            at_table: p.table().is_some(),
            table: p.table().map_or(-1, |t| t as i32),
            stats: p.room.and_then(|room| self.player_view(p, room).stats),
        }
    }

    /// What a new link hears after HELLO: every local player.
    pub fn cluster_snapshot(&self) -> Vec<LinkMsg> {
        let mut out: Vec<LinkMsg> = self
            .names
            .values()
            .filter_map(|conn| self.player(*conn))
            .map(|p| LinkMsg::Player(self.player_info(p)))
            .collect();
        out.extend(self.cluster_table_snapshot());
        out.extend(self.queue_runner_msg());
        out.push(LinkMsg::SnapshotEnd);
        out
    }

    /// The views of the remote players of a room, for `LIST player`.
    pub(crate) fn remote_views(&self, room: u32) -> Vec<PlayerView<'_>> {
        let (Some(c), Some(room)) = (self.cluster.as_ref(), self.room(room)) else {
            return Vec::new();
        };
        // Where each sits, from the tables' own states (ids as shown here).
        let seated = self.seated_in_room(room.id);
        c.view
            .in_room(&room.desc.key)
            .map(|p| {
                let mut view = remote_view(p);
                view.table = seated.get(&p.canonical).map_or(-1, |id| *id as i32);
                view
            })
            .collect()
    }

    /// Room chat or an announcement of a local player, for other nodes.
    pub(crate) fn cluster_chat(
        &self,
        room: Option<u32>,
        from: &str,
        text: &str,
        sink: &mut dyn Sink,
    ) {
        if self.cluster.is_none() {
            return;
        }
        let msg = match room {
            Some(id) => match self.room(id) {
                Some(room) => LinkMsg::RoomChat {
                    room: room.desc.key.clone(),
                    from: from.to_string(),
                    text: text.to_string(),
                },
                None => return,
            },
            None => LinkMsg::Announce {
                from: from.to_string(),
                text: text.to_string(),
            },
        };
        sink.cluster(Outbound::All(msg));
    }

    /// A private line or beep to a player of another node, with the same
    /// checks as a local one. `None` when no other node has that name.
    pub(crate) fn cluster_private(
        &self,
        sender: &Player,
        canonical: &str,
        text: Option<&str>,
        sink: &mut dyn Sink,
    ) -> Option<Result<(), crate::proto::types::ResultCode>> {
        let target = self.cluster.as_ref()?.view.get(canonical)?;
        let privileged = perms::has(sender.perms, Perm::EditPrivmsg)
            || perms::has(target.info.perms, Perm::EditPrivmsg);
        if !privileged && (sender.place.is_some() || target.info.at_table) {
            return Some(Err(crate::proto::types::ResultCode::AtTable));
        }
        if !sender.gagged || perms::is_host(target.info.perms) {
            sink.cluster(Outbound::To(
                target.node.clone(),
                LinkMsg::Private {
                    from: sender.name.clone(),
                    to: target.info.name.clone(),
                    text: text.map(str::to_string),
                },
            ));
        }
        Some(Ok(()))
    }

    /// A link said HELLO as `node`: its snapshot follows.
    pub fn on_cluster_hello(&mut self, node: &str) {
        if let Some(c) = self.cluster.as_mut() {
            c.view.begin_snapshot(node);
        }
        self.cluster_tables_begin(node);
    }

    /// A message from the node `node`.
    pub fn on_cluster_msg(
        &mut self,
        node: &str,
        link_msg: LinkMsg,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        if self.cluster.is_none() {
            return;
        }
        match link_msg {
            LinkMsg::Hello { .. } => {}
            LinkMsg::Player(info) => {
                let canonical = canonical_name(&info.name);
                if self.names.contains_key(&canonical) {
                    // The registry's claim keeps a name on one node; this
                    // is a login elsewhere racing a logout here.
                    log::warn!(target: "connections", "{node} reports {} who is logged in here", info.name);
                    return;
                }
                let name = info.name.clone();
                let (lag, stats) = (info.lag, info.stats);
                let Some(c) = self.cluster.as_mut() else {
                    return;
                };
                let old = c.view.get(&canonical).map(|p| (p.info.lag, p.info.stats));
                match c.view.upsert(node, canonical, info) {
                    Some(moved) => self.show_move(&name, moved, now, sink),
                    None => {
                        if old.is_some_and(|(old, _)| old != lag) {
                            self.show_lag(&name, lag, sink);
                        }
                        if old.is_some_and(|(_, old)| old != stats) {
                            self.show_stats(&name, stats, sink);
                        }
                    }
                }
            }
            LinkMsg::SnapshotEnd => {
                let stale = self
                    .cluster
                    .as_mut()
                    .map(|c| c.view.end_snapshot(node))
                    .unwrap_or_default();
                self.show_gone(stale, now, sink);
                self.cluster_tables_end(node, sink);
            }
            m @ (LinkMsg::Table(_) | LinkMsg::TableGone { .. }) => {
                self.on_cluster_table(node, m, sink);
            }
            LinkMsg::StatsChanged { player, game } => {
                self.on_cluster_stats_changed(node, &player, &game, sink)
            }
            m @ (LinkMsg::JoinRequest { .. }
            | LinkMsg::JoinAnswer { .. }
            | LinkMsg::LeaveTable { .. }
            | LinkMsg::SeatInfo { .. }
            | LinkMsg::SeatLost { .. }) => self.on_cluster_seat_msg(node, m, now, sink),
            m @ (LinkMsg::TableChat { .. }
            | LinkMsg::InfoRequest { .. }
            | LinkMsg::InfoAnswer { .. }) => self.on_cluster_table_talk(node, m, sink),
            LinkMsg::Gone { name } => {
                let canonical = canonical_name(&name);
                let gone = self
                    .cluster
                    .as_mut()
                    .and_then(|c| c.view.remove(node, &canonical));
                self.show_gone(gone.into_iter().collect(), now, sink);
            }
            LinkMsg::RoomChat { room, from, text } => {
                if let Some(id) = self.room_by_key(&room) {
                    let line = msg(r::chat("normal", &from, Some(&text)));
                    let reached = self.broadcast_room(id, &line, None, sink);
                    self.metrics.chat_delivered(reached);
                }
            }
            LinkMsg::Announce { from, text } => {
                let line = msg(r::chat("announce", &from, Some(&text)));
                let reached = self.broadcast_rooms(&line, sink);
                self.metrics.chat_delivered(reached);
            }
            LinkMsg::Private { from, to, text } => {
                let kind = if text.is_some() { "private" } else { "beep" };
                if let Some(&target) = self.names.get(&canonical_name(&to)) {
                    sink.send(target, &msg(r::chat(kind, &from, text.as_deref())));
                    self.metrics.chat_delivered(1);
                }
            }
            queue_msg @ (LinkMsg::QueueRunner { .. }
            | LinkMsg::Ticket { .. }
            | LinkMsg::TicketCancel { .. }
            | LinkMsg::Matched { .. }) => self.on_cluster_queue_msg(node, queue_msg, now, sink),
        }
    }

    /// A node died (or restarted, or its link's snapshot is being
    /// replaced): its players leave every room here.
    pub fn on_cluster_node_gone(&mut self, node: &str, now: Instant, sink: &mut dyn Sink) {
        self.cluster_queue_node_gone(node);
        let gone = self
            .cluster
            .as_mut()
            .map(|c| c.view.remove_node(node))
            .unwrap_or_default();
        if !gone.is_empty() {
            log::info!(target: "connections", "node {node} is gone with {} player(s)", gone.len());
        }
        self.show_gone(gone, now, sink);
        self.cluster_tables_node_gone(node, now, sink);
    }

    pub(crate) fn room_by_key(&self, key: &str) -> Option<u32> {
        self.rooms
            .iter()
            .flatten()
            .find(|room| !room.closing && room.desc.key == key)
            .map(|room| room.id)
    }

    fn show_move(&mut self, name: &str, moved: Moved, now: Instant, sink: &mut dyn Sink) {
        let from = moved.from.as_deref().and_then(|k| self.room_by_key(k));
        let to = moved.to.as_deref().and_then(|k| self.room_by_key(k));
        if let Some(from) = from {
            let update = msg(r::update_player_delete(
                from as i32,
                to.map_or(-1, |t| t as i32),
                name,
            ));
            self.broadcast_room(from, &update, None, sink);
            self.touch_room(from, now);
        }
        if let Some(to) = to {
            let table = self.seated_in_room(to).get(&moved.canonical).copied();
            let view = self
                .cluster
                .as_ref()
                .and_then(|c| c.view.get(&moved.canonical))
                .map(|p| {
                    let mut view = remote_view(p);
                    view.table = table.map_or(-1, |id| id as i32);
                    r::update_player_add(to as i32, from.map_or(-1, |f| f as i32), &view)
                });
            if let Some(update) = view {
                self.broadcast_room(to, &msg(update), None, sink);
            }
            self.touch_room(to, now);
        }
    }

    fn show_lag(&mut self, name: &str, lag: u8, sink: &mut dyn Sink) {
        let room = self
            .cluster
            .as_ref()
            .and_then(|c| c.view.get(&canonical_name(name)))
            .and_then(|p| p.info.room.clone())
            .and_then(|key| self.room_by_key(&key));
        if let Some(id) = room {
            let update = msg(r::update_player_lag(id as i32, name, lag));
            self.broadcast_room(id, &update, None, sink);
        }
    }

    fn show_stats(&mut self, name: &str, stats: Option<r::StatsView>, sink: &mut dyn Sink) {
        if let Some(id) = self.remote_room(name) {
            let update = msg(r::update_player_stats(id as i32, name, stats.as_ref()));
            self.broadcast_room(id, &update, None, sink);
        }
    }

    /// The local room a remote player is in.
    fn remote_room(&self, name: &str) -> Option<u32> {
        self.cluster
            .as_ref()
            .and_then(|c| c.view.get(&canonical_name(name)))
            .and_then(|p| p.info.room.clone())
            .and_then(|key| self.room_by_key(&key))
    }

    fn show_gone(&mut self, gone: Vec<RemotePlayer>, now: Instant, sink: &mut dyn Sink) {
        for player in gone {
            // Logged out, left out of a snapshot, or its node died: its
            // tickets here end with it.
            self.cluster_queue_player_gone(&player.node, &player.canonical);
            if let Some(id) = player
                .info
                .room
                .as_deref()
                .and_then(|k| self.room_by_key(k))
            {
                let update = msg(r::update_player_delete(id as i32, -1, &player.info.name));
                self.broadcast_room(id, &update, None, sink);
                self.touch_room(id, now);
            }
        }
    }

    fn touch_room(&mut self, id: u32, now: Instant) {
        if let Some(room) = self.rooms.get_mut(id as usize).and_then(Option::as_mut) {
            room.changed_at = now;
        }
    }
}

/// A remote player as room lists show it: its statistics for the room's
/// game as its own node last said (docs/cluster.md §3, PLAYER), at no
/// table: its node numbers tables its own way, so callers put in this
/// node's id for the table it sits at (`seated_in_room`, docs/cluster.md §8).
fn remote_view(p: &RemotePlayer) -> PlayerView<'_> {
    PlayerView {
        name: &p.info.name,
        kind: perms::player_kind(p.info.guest, p.info.perms),
        table: -1,
        perms: p.info.perms,
        lag: p.info.lag,
        stats: p.info.stats,
    }
}
