//! Matchmaking queues across the nodes of a cluster (docs/cluster.md §9):
//! each queue is run by the one node holding its advisory lock. A player
//! of another node has its ticket forwarded there (its own node keeps it
//! as the truth and sends it again to a new runner); the runner plays the
//! rounds over every ticket, launches the table on itself with the
//! matched names reserved, and tells each remote player's node, which
//! tells its client exactly as a local match would. Without `[cluster]`
//! this node runs every queue and nothing here acts.

use std::time::Instant;

use super::Zone;
use super::effects::{ConnId, NO_CONN, Sink, TimerKey, TimerKind, msg};
use super::perms::{self, Perm};
use crate::cluster::queues::{Forwarded, Runner};
use crate::cluster::{LinkMsg, Outbound};
use crate::config::canonical_name;
use crate::matchmaking::MAX_TICKETS_PER_PLAYER;
use crate::proto::ext_reply;
use crate::proto::reply as r;
use crate::proto::types::ResultCode;

impl Zone {
    /// Whether this node runs `queue` (always, without a cluster).
    pub(crate) fn runs_queue(&self, queue: &str) -> bool {
        self.cluster
            .as_ref()
            .is_none_or(|c| c.queues.runner(queue) == Runner::Me)
    }

    /// The names of the queues offered here (the locks the node tries).
    pub fn queue_names(&self) -> Vec<String> {
        self.matchmaker
            .queues
            .iter()
            .map(|q| q.desc.name.clone())
            .collect()
    }

    /// MATCH for a queue another node runs (or nobody yet): the ticket is
    /// kept here and forwarded. `None` when the local path applies.
    pub(super) fn cluster_match(
        &mut self,
        conn: ConnId,
        queue: &str,
        sink: &mut dyn Sink,
    ) -> Option<ResultCode> {
        if self.runs_queue(queue) {
            return None;
        }
        let q = self.matchmaker.by_name(queue)?;
        let c = self.cluster.as_ref()?;
        let player = self.player(conn)?;
        let code = if !perms::has(player.perms, Perm::JoinTable) {
            ResultCode::NoPermission
        } else if player.room != Some(q.room) {
            ResultCode::NotInRoom
        } else if player.table().is_some() {
            ResultCode::AtTable
        } else if c.queues.is_forwarded(queue, conn) {
            ResultCode::Ok
        } else if c.queues.forwarded_count(conn) >= MAX_TICKETS_PER_PLAYER {
            ResultCode::RoomFull
        } else {
            let rating = match self.games.get(q.game) {
                Some(g) if q.desc.rated => player.stats_for(g.desc.name.get(None)).rating,
                _ => 0.0,
            };
            let ticket = Forwarded {
                conn,
                name: player.name.clone(),
                rating,
            };
            let canonical = player.canonical.clone();
            let c = self.cluster.as_mut()?;
            if let Runner::Node(node) = c.queues.runner(queue) {
                sink.cluster(Outbound::To(node.to_string(), ticket_msg(queue, &ticket)));
            }
            c.queues.forward(queue, &canonical, ticket);
            ResultCode::Ok
        };
        Some(code)
    }

    /// A local player's forwarded tickets end (cancel, leaving the room,
    /// logout): their runners hear of it.
    pub(crate) fn cluster_cancel_tickets(
        &mut self,
        conn: ConnId,
        name: &str,
        queue: Option<&str>,
        sink: &mut dyn Sink,
    ) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        for q in c.queues.unforward(conn, queue) {
            if let Runner::Node(node) = c.queues.runner(&q) {
                sink.cluster(Outbound::To(
                    node.to_string(),
                    LinkMsg::TicketCancel {
                        queue: Some(q.clone()),
                        name: name.to_string(),
                    },
                ));
            }
        }
    }

    /// The queue locks this node holds changed: tickets forwarded for a
    /// queue it now runs join its matchmaker; those of a queue it lost go
    /// back to waiting for a runner; the other nodes hear what it runs.
    pub fn cluster_queues_held(&mut self, held: Vec<String>, now: Instant, sink: &mut dyn Sink) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        let (gained, lost) = c.queues.set_mine(&held);
        if gained.is_empty() && lost.is_empty() {
            return;
        }
        for q in &gained {
            log::info!(target: "tables", "cluster: this node runs queue {q} now");
            let waiting = self
                .cluster
                .as_mut()
                .map(|c| c.queues.take_forwarded(q))
                .unwrap_or_default();
            for (canonical, t) in waiting {
                if self.player(t.conn).is_none_or(|p| p.canonical != canonical) {
                    continue;
                }
                self.enqueue_ticket(q, t.conn, &t.name, &canonical, t.rating, now, sink);
            }
        }
        for q in &lost {
            log::warn!(target: "tables", "cluster: this node no longer runs queue {q}");
            let tickets = self
                .matchmaker
                .by_name(q)
                .map(|queue| queue.tickets.clone())
                .unwrap_or_default();
            for t in tickets {
                self.matchmaker.cancel(t.conn, Some(q));
                let local = self
                    .player(t.conn)
                    .is_some_and(|p| p.canonical == t.canonical);
                if let (true, Some(c)) = (local, self.cluster.as_mut()) {
                    c.queues.forward(
                        q,
                        &t.canonical,
                        Forwarded {
                            conn: t.conn,
                            name: t.name.clone(),
                            rating: t.rating,
                        },
                    );
                }
            }
        }
        if let Some(c) = self.cluster.as_ref() {
            sink.cluster(Outbound::All(LinkMsg::QueueRunner {
                queues: c.queues.mine(),
            }));
        }
    }

    /// What a new link hears before SNAPSHOT_END: the queues run here
    /// (nothing in a zone without queues).
    pub(crate) fn queue_runner_msg(&self) -> Option<LinkMsg> {
        if self.matchmaker.queues.is_empty() {
            return None;
        }
        let c = self.cluster.as_ref()?;
        Some(LinkMsg::QueueRunner {
            queues: c.queues.mine(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn enqueue_ticket(
        &mut self,
        queue: &str,
        conn: ConnId,
        name: &str,
        canonical: &str,
        rating: f64,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> bool {
        match self
            .matchmaker
            .enqueue(queue, conn, name, canonical, rating, now)
        {
            Ok((id, timer)) => {
                if let Some(at) = timer {
                    sink.timer(
                        at,
                        TimerKey {
                            conn: NO_CONN,
                            kind: TimerKind::MatchRound(id),
                        },
                    );
                }
                true
            }
            Err(refusal) => {
                log::info!(target: "tables", "queue {queue}: {name}'s ticket is refused ({refusal:?})");
                false
            }
        }
    }

    /// Matchmaking's frames from node `node`.
    pub(crate) fn on_cluster_queue_msg(
        &mut self,
        node: &str,
        link_msg: LinkMsg,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        match link_msg {
            LinkMsg::QueueRunner { queues } => {
                let Some(c) = self.cluster.as_mut() else {
                    return;
                };
                for q in c.queues.set_runner(node, &queues) {
                    for (_, t) in c.queues.forwarded_in(&q) {
                        sink.cluster(Outbound::To(node.to_string(), ticket_msg(&q, t)));
                    }
                }
            }
            LinkMsg::Ticket {
                queue,
                name,
                rating_milli,
            } => self.on_remote_ticket(node, &queue, &name, rating_milli, now, sink),
            LinkMsg::TicketCancel { queue, name } => {
                let canonical = canonical_name(&name);
                let Some(c) = self.cluster.as_mut() else {
                    return;
                };
                // From a player's node: its ticket here ends. From a
                // runner: it refused the ticket of a player of ours.
                if let Some(conn) = c.queues.remote_conn_of(node, &canonical) {
                    self.matchmaker.cancel(conn, queue.as_deref());
                }
                if let Some(&conn) = self.names.get(&canonical)
                    && let Some(c) = self.cluster.as_mut()
                {
                    c.queues.unforward(conn, queue.as_deref());
                }
            }
            LinkMsg::Matched {
                queue,
                name,
                room,
                table,
                seat,
            } => self.on_remote_matched(&queue, &name, &room, table, seat, sink),
            _ => {}
        }
    }

    fn on_remote_ticket(
        &mut self,
        node: &str,
        queue: &str,
        name: &str,
        rating_milli: i64,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let canonical = canonical_name(name);
        let known = self
            .cluster
            .as_ref()
            .is_some_and(|c| c.view.get(&canonical).is_some_and(|p| p.node == node));
        if !known || !self.runs_queue(queue) {
            // The player's node sends it again to whoever runs the queue.
            log::debug!("cluster: a ticket of {name} from {node} for {queue} is not for this node");
            return;
        }
        let Some(conn) = self
            .cluster
            .as_mut()
            .and_then(|c| c.queues.remote_conn(node, &canonical, name))
        else {
            return;
        };
        let rating = rating_milli as f64 / 1000.0;
        if !self.enqueue_ticket(queue, conn, name, &canonical, rating, now, sink) {
            sink.cluster(Outbound::To(
                node.to_string(),
                LinkMsg::TicketCancel {
                    queue: Some(queue.to_string()),
                    name: name.to_string(),
                },
            ));
        }
    }

    fn on_remote_matched(
        &mut self,
        queue: &str,
        name: &str,
        room: &str,
        table: i32,
        seat: u32,
        sink: &mut dyn Sink,
    ) {
        let canonical = canonical_name(name);
        if let Some(c) = self.cluster.as_mut() {
            c.queues.matched(queue, &canonical);
        }
        let Some(&conn) = self.names.get(&canonical) else {
            return;
        };
        let Some(room_id) = self.room_by_key(room) else {
            return;
        };
        let room_name = self
            .room(room_id)
            .map(|r| r.desc.name.get(None).to_owned())
            .unwrap_or_default();
        log::info!(target: "tables", "{name} is matched by another node: table {table}, seat {seat}");
        sink.send(
            conn,
            &msg(ext_reply::matched(queue, room_id as i32, table, seat)),
        );
        let text = matched_text(queue, table, &room_name, seat);
        sink.send(
            conn,
            &msg(r::chat("private", &self.settings.admin_name, Some(&text))),
        );
    }

    /// Whether the stand-in `conn` is a remote player in room `room` who
    /// may be matched now (not at a table).
    pub(crate) fn remote_ticket_ready(&self, conn: ConnId, room: u32, free: bool) -> bool {
        let (Some(c), Some(key)) = (
            self.cluster.as_ref(),
            self.room(room).map(|r| r.desc.key.as_str()),
        ) else {
            return false;
        };
        let Some(holder) = c.queues.holder(conn) else {
            return false;
        };
        c.view.get(&holder.canonical).is_some_and(|p| {
            p.node == holder.node
                && p.info.room.as_deref() == Some(key)
                && (!free || !p.info.at_table)
        })
    }

    /// A match's table is ready and `conn` stands for a remote player:
    /// its node tells it. False when `conn` is no stand-in.
    pub(crate) fn cluster_tell_matched(
        &self,
        conn: ConnId,
        queue: &str,
        room: u32,
        table: u32,
        seat: u32,
        sink: &mut dyn Sink,
    ) -> bool {
        let (Some(c), Some(key)) = (
            self.cluster.as_ref(),
            self.room(room).map(|r| r.desc.key.clone()),
        ) else {
            return false;
        };
        let Some(holder) = c.queues.holder(conn) else {
            return false;
        };
        sink.cluster(Outbound::To(
            holder.node.clone(),
            LinkMsg::Matched {
                queue: queue.to_string(),
                name: holder.name.clone(),
                room: key,
                table: table as i32,
                seat,
            },
        ));
        true
    }

    /// A remote player logged out: its tickets here end.
    pub(crate) fn cluster_queue_player_gone(&mut self, node: &str, canonical: &str) {
        if let Some(conn) = self
            .cluster
            .as_mut()
            .and_then(|c| c.queues.drop_remote(node, canonical))
        {
            self.matchmaker.cancel(conn, None);
        }
    }

    /// A node is gone: the queues it ran wait for a new runner, and the
    /// tickets of its players here end.
    pub(crate) fn cluster_queue_node_gone(&mut self, node: &str) {
        let gone = self
            .cluster
            .as_mut()
            .map(|c| c.queues.node_gone(node))
            .unwrap_or_default();
        for conn in gone {
            self.matchmaker.cancel(conn, None);
        }
    }
}

fn ticket_msg(queue: &str, t: &Forwarded) -> LinkMsg {
    LinkMsg::Ticket {
        queue: queue.to_string(),
        name: t.name.clone(),
        rating_milli: (t.rating * 1000.0).round() as i64,
    }
}

/// The private line that tells an original client its table.
pub(crate) fn matched_text(queue: &str, table: i32, room_name: &str, seat: u32) -> String {
    format!(
        "Play now ({queue}): table {table} in room {room_name} is yours, seat {seat}. \
         Join table {table} to play."
    )
}
