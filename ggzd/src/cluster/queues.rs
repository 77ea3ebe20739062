//! Matchmaking queues across nodes (docs/cluster.md §8): who runs which
//! queue, the tickets this node forwards for its players to the queue's
//! runner, and the tickets of other nodes' players this node runs. Pure
//! books; the zone (`zone/cluster_queue.rs`) acts on what they say, and
//! the advisory locks that decide who runs a queue are the event loop's
//! (`server/cluster_lock.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::zone::effects::ConnId;

/// Generation of the stand-in connection ids of other nodes' tickets:
/// never one of a real connection (the server's generations count up from
/// zero per slot), and never `NO_CONN`'s.
pub const REMOTE_GENERATION: u32 = u32::MAX - 1;
/// Most tickets of other nodes' players this node runs at once (one
/// stand-in per remote player; the matchmaker bounds tickets per queue).
pub const MAX_REMOTE_PLAYERS: usize = 65_536;
/// Most queues one node announces (the frame's count is bounded by it).
pub const MAX_QUEUES: usize = 256;

/// Who runs a queue, as this node knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner<'a> {
    /// This node holds its lock.
    Me,
    Node(&'a str),
    /// Nobody yet: tickets wait here until a runner appears.
    Unknown,
}

/// A local player's ticket for a queue another node runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Forwarded {
    pub conn: ConnId,
    pub name: String,
    pub rating: f64,
}

/// A remote player whose tickets this node runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTicketHolder {
    pub node: String,
    pub canonical: String,
    pub name: String,
}

#[derive(Debug, Default)]
pub struct QueueBook {
    /// Queues whose lock this node holds.
    mine: HashSet<String>,
    /// Queue → the other node that announced it runs it.
    runners: HashMap<String, String>,
    /// (queue, canonical) → a local player's ticket for a queue this node
    /// does not run. The player's own node is the truth about its tickets:
    /// they are sent again to whichever node runs the queue next.
    forwarded: BTreeMap<(String, String), Forwarded>,
    /// Stand-in connections of remote players in this node's matchmaker.
    remote: HashMap<ConnId, RemoteTicketHolder>,
    by_player: HashMap<(String, String), ConnId>,
    next_slot: u32,
}

impl QueueBook {
    pub fn runner(&self, queue: &str) -> Runner<'_> {
        if self.mine.contains(queue) {
            return Runner::Me;
        }
        match self.runners.get(queue) {
            Some(node) => Runner::Node(node),
            None => Runner::Unknown,
        }
    }

    /// The queues this node runs, sorted (what it announces).
    pub fn mine(&self) -> Vec<String> {
        let mut out: Vec<String> = self.mine.iter().cloned().collect();
        out.sort();
        out
    }

    /// The lock thread's latest word: the queues this node runs now.
    /// Returns the queues gained and lost.
    pub fn set_mine(&mut self, now: &[String]) -> (Vec<String>, Vec<String>) {
        let now: HashSet<String> = now.iter().cloned().collect();
        let mut gained: Vec<String> = now.difference(&self.mine).cloned().collect();
        let mut lost: Vec<String> = self.mine.difference(&now).cloned().collect();
        gained.sort();
        lost.sort();
        for q in &gained {
            self.runners.remove(q);
        }
        self.mine = now;
        (gained, lost)
    }

    /// `node` says it runs exactly `queues`. Returns the queues whose
    /// runner is new, for which this node's tickets must be sent to it.
    pub fn set_runner(&mut self, node: &str, queues: &[String]) -> Vec<String> {
        self.runners.retain(|q, n| n != node || queues.contains(q));
        let mut fresh = Vec::new();
        for q in queues.iter().take(MAX_QUEUES) {
            if self.mine.contains(q) {
                // Two runners can only be a moment's overlap while a lock
                // changes hands; this node's own lock decides for it.
                continue;
            }
            if self.runners.get(q).map(String::as_str) != Some(node) {
                self.runners.insert(q.clone(), node.to_string());
            }
            fresh.push(q.clone());
        }
        fresh
    }

    /// `node` is gone (dead, or restarted): it runs nothing now, and its
    /// players' tickets here end. Returns their stand-in connections.
    pub fn node_gone(&mut self, node: &str) -> Vec<ConnId> {
        self.runners.retain(|_, n| n != node);
        let gone: Vec<ConnId> = self
            .remote
            .iter()
            .filter(|(_, h)| h.node == node)
            .map(|(c, _)| *c)
            .collect();
        for conn in &gone {
            if let Some(h) = self.remote.remove(conn) {
                self.by_player.remove(&(h.node, h.canonical));
            }
        }
        gone
    }

    // ----- this node's players' tickets for queues run elsewhere -------

    /// Keeps a local player's ticket (a second one for the same queue
    /// replaces the first).
    pub fn forward(&mut self, queue: &str, canonical: &str, ticket: Forwarded) {
        self.forwarded
            .insert((queue.to_string(), canonical.to_string()), ticket);
    }

    /// How many queues a local player holds forwarded tickets in.
    pub fn forwarded_count(&self, conn: ConnId) -> usize {
        self.forwarded.values().filter(|t| t.conn == conn).count()
    }

    pub fn is_forwarded(&self, queue: &str, conn: ConnId) -> bool {
        self.forwarded
            .iter()
            .any(|((q, _), t)| q == queue && t.conn == conn)
    }

    /// Ends a local player's forwarded tickets, in `queue` or every queue;
    /// returns the queues they were in.
    pub fn unforward(&mut self, conn: ConnId, queue: Option<&str>) -> Vec<String> {
        let ended: Vec<(String, String)> = self
            .forwarded
            .iter()
            .filter(|((q, _), t)| t.conn == conn && queue.is_none_or(|w| w == q))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &ended {
            self.forwarded.remove(k);
        }
        ended.into_iter().map(|(q, _)| q).collect()
    }

    /// The forwarded tickets of one queue, by canonical name.
    pub fn forwarded_in<'a>(
        &'a self,
        queue: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Forwarded)> + 'a {
        self.forwarded
            .iter()
            .filter(move |((q, _), _)| q == queue)
            .map(|((_, c), t)| (c.as_str(), t))
    }

    /// Takes the forwarded tickets of a queue this node now runs itself.
    pub fn take_forwarded(&mut self, queue: &str) -> Vec<(String, Forwarded)> {
        let keys: Vec<(String, String)> = self
            .forwarded
            .keys()
            .filter(|(q, _)| q == queue)
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|k| self.forwarded.remove(&k).map(|t| (k.1, t)))
            .collect()
    }

    /// A match took a forwarded ticket: it ends here.
    pub fn matched(&mut self, queue: &str, canonical: &str) -> Option<Forwarded> {
        self.forwarded
            .remove(&(queue.to_string(), canonical.to_string()))
    }

    // ----- other nodes' players' tickets this node runs ----------------

    /// The stand-in connection of a remote player, made on first use;
    /// `None` past [`MAX_REMOTE_PLAYERS`].
    pub fn remote_conn(&mut self, node: &str, canonical: &str, name: &str) -> Option<ConnId> {
        let key = (node.to_string(), canonical.to_string());
        if let Some(conn) = self.by_player.get(&key) {
            return Some(*conn);
        }
        if self.remote.len() >= MAX_REMOTE_PLAYERS {
            return None;
        }
        let conn = loop {
            self.next_slot = self.next_slot.wrapping_add(1);
            let conn = ConnId {
                slot: self.next_slot,
                generation: REMOTE_GENERATION,
            };
            if !self.remote.contains_key(&conn) {
                break conn;
            }
        };
        self.remote.insert(
            conn,
            RemoteTicketHolder {
                node: node.to_string(),
                canonical: canonical.to_string(),
                name: name.to_string(),
            },
        );
        self.by_player.insert(key, conn);
        Some(conn)
    }

    /// The stand-in of a remote player, if it has one.
    pub fn remote_conn_of(&self, node: &str, canonical: &str) -> Option<ConnId> {
        self.by_player
            .get(&(node.to_string(), canonical.to_string()))
            .copied()
    }

    /// Who a stand-in connection stands for.
    pub fn holder(&self, conn: ConnId) -> Option<&RemoteTicketHolder> {
        self.remote.get(&conn)
    }

    /// A remote player logged out: its stand-in goes.
    pub fn drop_remote(&mut self, node: &str, canonical: &str) -> Option<ConnId> {
        let conn = self
            .by_player
            .remove(&(node.to_string(), canonical.to_string()))?;
        self.remote.remove(&conn);
        Some(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(slot: u32) -> ConnId {
        ConnId {
            slot,
            generation: 0,
        }
    }

    fn ticket(slot: u32, name: &str) -> Forwarded {
        Forwarded {
            conn: conn(slot),
            name: name.into(),
            rating: 1500.0,
        }
    }

    #[test]
    fn the_lock_decides_and_announcements_name_the_others() {
        let mut b = QueueBook::default();
        assert_eq!(b.runner("ttt"), Runner::Unknown);
        assert_eq!(
            b.set_runner("a", &["ttt".into(), "go".into()]),
            ["ttt", "go"]
        );
        assert_eq!(b.runner("ttt"), Runner::Node("a"));
        // Said again: still to be sent (a link rebuilt may have lost them).
        assert_eq!(b.set_runner("a", &["ttt".into()]), ["ttt"]);
        assert_eq!(b.runner("go"), Runner::Unknown, "a no longer runs go");
        let (gained, lost) = b.set_mine(&["ttt".into()]);
        assert_eq!((gained, lost), (vec!["ttt".to_string()], vec![]));
        assert_eq!(b.runner("ttt"), Runner::Me);
        assert!(
            b.set_runner("c", &["ttt".into()]).is_empty(),
            "our lock wins"
        );
        let (_, lost) = b.set_mine(&[]);
        assert_eq!(lost, ["ttt"]);
        assert_eq!(b.mine(), Vec::<String>::new());
    }

    #[test]
    fn forwarded_tickets_wait_for_a_runner_and_end_with_the_player() {
        let mut b = QueueBook::default();
        b.forward("ttt", "ann", ticket(1, "Ann"));
        b.forward("go", "ann", ticket(1, "Ann"));
        b.forward("ttt", "bo", ticket(2, "Bo"));
        assert_eq!(b.forwarded_count(conn(1)), 2);
        assert!(b.is_forwarded("ttt", conn(2)));
        let names: Vec<&str> = b.forwarded_in("ttt").map(|(c, _)| c).collect();
        assert_eq!(names, ["ann", "bo"]);
        assert_eq!(b.unforward(conn(1), Some("go")), ["go"]);
        assert_eq!(b.matched("ttt", "bo").map(|t| t.name), Some("Bo".into()));
        let taken = b.take_forwarded("ttt");
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0, "ann");
        assert_eq!(b.forwarded_count(conn(1)), 0);
        assert!(b.unforward(conn(1), None).is_empty());
    }

    #[test]
    fn remote_players_get_one_stand_in_each_until_they_or_their_node_go() {
        let mut b = QueueBook::default();
        let x = b.remote_conn("b", "x", "X").unwrap();
        assert_eq!(b.remote_conn("b", "x", "X"), Some(x));
        let y = b.remote_conn("c", "y", "Y").unwrap();
        assert_ne!(x, y);
        assert_eq!(x.generation, REMOTE_GENERATION);
        assert_eq!(b.holder(y).map(|h| h.node.as_str()), Some("c"));
        assert_eq!(b.remote_conn_of("b", "x"), Some(x));
        b.set_runner("b", &["ttt".into()]);
        assert_eq!(b.node_gone("b"), [x]);
        assert_eq!(b.runner("ttt"), Runner::Unknown);
        assert!(b.holder(x).is_none());
        assert_eq!(b.drop_remote("c", "y"), Some(y));
        assert!(b.holder(y).is_none());
    }
}
