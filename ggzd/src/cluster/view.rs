//! The remote view: the players logged in on other nodes, by canonical
//! name, with the room each is in. The zone shows them in room lists and
//! counts and routes chat to their nodes; this file only keeps the books
//! and says who moved where.

use std::collections::{HashMap, HashSet};

use super::codec::PlayerInfo;

/// One player of another node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePlayer {
    pub node: String,
    pub canonical: String,
    pub info: PlayerInfo,
}

/// A remote player's room changed (either side may be no room).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub canonical: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Default)]
pub struct RemoteView {
    players: HashMap<String, RemotePlayer>,
    /// Remote players per room key.
    rooms: HashMap<String, usize>,
    /// Players of a node not yet confirmed by the snapshot under way.
    unconfirmed: HashMap<String, HashSet<String>>,
}

impl RemoteView {
    pub fn get(&self, canonical: &str) -> Option<&RemotePlayer> {
        self.players.get(canonical)
    }

    pub fn len(&self) -> usize {
        self.players.len()
    }

    pub fn is_empty(&self) -> bool {
        self.players.is_empty()
    }

    /// Remote players in the room with this key.
    pub fn count_in(&self, room: &str) -> usize {
        self.rooms.get(room).copied().unwrap_or(0)
    }

    /// Remote players in the room with this key, in no particular order.
    pub fn in_room<'a>(&'a self, room: &'a str) -> impl Iterator<Item = &'a RemotePlayer> + 'a {
        self.players
            .values()
            .filter(move |p| p.info.room.as_deref() == Some(room))
    }

    /// A player logged in or changed on `node`. A name that was another
    /// node's moves to this one: the newest word wins (the registry's
    /// claims keep a name on one node; a stale entry is a logout still in
    /// flight). Returns the room change, if any.
    pub fn upsert(&mut self, node: &str, canonical: String, info: PlayerInfo) -> Option<Moved> {
        if let Some(set) = self.unconfirmed.get_mut(node) {
            set.remove(&canonical);
        }
        let to = info.room.clone();
        let from = match self.players.get(&canonical) {
            Some(old) => {
                if old.node != node
                    && let Some(set) = self.unconfirmed.get_mut(&old.node)
                {
                    set.remove(&canonical);
                }
                old.info.room.clone()
            }
            None => None,
        };
        if let Some(room) = &from {
            self.uncount(room);
        }
        if let Some(room) = &to {
            *self.rooms.entry(room.clone()).or_insert(0) += 1;
        }
        self.players.insert(
            canonical.clone(),
            RemotePlayer {
                node: node.to_string(),
                canonical: canonical.clone(),
                info,
            },
        );
        (from != to).then_some(Moved {
            canonical,
            from,
            to,
        })
    }

    /// A player of `node` logged out. A name now held by another node is
    /// left alone.
    pub fn remove(&mut self, node: &str, canonical: &str) -> Option<RemotePlayer> {
        if self.players.get(canonical)?.node != node {
            return None;
        }
        let gone = self.players.remove(canonical)?;
        if let Some(room) = &gone.info.room {
            self.uncount(room);
        }
        if let Some(set) = self.unconfirmed.get_mut(node) {
            set.remove(canonical);
        }
        Some(gone)
    }

    /// Every player of `node` (it died, or restarted): removed and returned.
    pub fn remove_node(&mut self, node: &str) -> Vec<RemotePlayer> {
        self.unconfirmed.remove(node);
        let names: Vec<String> = self
            .players
            .values()
            .filter(|p| p.node == node)
            .map(|p| p.canonical.clone())
            .collect();
        names
            .iter()
            .filter_map(|name| self.remove(node, name))
            .collect()
    }

    /// A node said HELLO: what we know of it stands until its snapshot
    /// ends, then whatever it did not repeat is gone.
    pub fn begin_snapshot(&mut self, node: &str) {
        let known = self
            .players
            .values()
            .filter(|p| p.node == node)
            .map(|p| p.canonical.clone())
            .collect();
        self.unconfirmed.insert(node.to_string(), known);
    }

    /// The snapshot of `node` is complete: its players it did not list are
    /// removed and returned.
    pub fn end_snapshot(&mut self, node: &str) -> Vec<RemotePlayer> {
        let stale = self.unconfirmed.remove(node).unwrap_or_default();
        stale
            .iter()
            .filter_map(|name| self.remove(node, name))
            .collect()
    }

    fn uncount(&mut self, room: &str) {
        if let Some(n) = self.rooms.get_mut(room) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.rooms.remove(room);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, room: Option<&str>) -> PlayerInfo {
        PlayerInfo {
            name: name.into(),
            room: room.map(str::to_string),
            guest: true,
            perms: 0,
            lag: 1,
            at_table: false,
            table: -1,
            stats: None,
        }
    }

    #[test]
    fn moves_are_reported_and_rooms_counted() {
        let mut v = RemoteView::default();
        assert_eq!(v.upsert("b", "x".into(), info("X", None)), None);
        let moved = v.upsert("b", "x".into(), info("X", Some("lobby"))).unwrap();
        assert_eq!((moved.from, moved.to), (None, Some("lobby".into())));
        v.upsert("c", "y".into(), info("Y", Some("lobby")));
        assert_eq!(v.count_in("lobby"), 2);
        assert_eq!(v.in_room("lobby").count(), 2);
        // The same room again is no move.
        assert_eq!(v.upsert("b", "x".into(), info("X", Some("lobby"))), None);
        let moved = v.upsert("b", "x".into(), info("X", Some("ttt"))).unwrap();
        assert_eq!(moved.from.as_deref(), Some("lobby"));
        assert_eq!((v.count_in("lobby"), v.count_in("ttt")), (1, 1));
        assert_eq!(
            v.remove("b", "x").unwrap().info.room.as_deref(),
            Some("ttt")
        );
        assert_eq!(v.count_in("ttt"), 0);
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn a_name_taken_over_by_another_node_ignores_the_old_logout() {
        let mut v = RemoteView::default();
        v.upsert("b", "x".into(), info("X", Some("lobby")));
        v.upsert("c", "x".into(), info("X", Some("lobby")));
        assert_eq!(v.remove("b", "x"), None);
        assert_eq!(v.get("x").unwrap().node, "c");
        assert_eq!(v.count_in("lobby"), 1);
    }

    #[test]
    fn a_dead_node_takes_only_its_own_players() {
        let mut v = RemoteView::default();
        v.upsert("b", "x".into(), info("X", Some("lobby")));
        v.upsert("b", "z".into(), info("Z", None));
        v.upsert("c", "y".into(), info("Y", Some("lobby")));
        let mut gone: Vec<String> = v
            .remove_node("b")
            .into_iter()
            .map(|p| p.canonical)
            .collect();
        gone.sort();
        assert_eq!(gone, ["x", "z"]);
        assert_eq!(v.count_in("lobby"), 1);
        assert!(v.get("y").is_some());
    }

    #[test]
    fn a_snapshot_keeps_the_repeated_and_drops_the_rest() {
        let mut v = RemoteView::default();
        v.upsert("b", "x".into(), info("X", Some("lobby")));
        v.upsert("b", "z".into(), info("Z", Some("lobby")));
        v.begin_snapshot("b");
        v.upsert("b", "x".into(), info("X", Some("lobby")));
        v.upsert("b", "w".into(), info("W", None));
        let stale: Vec<String> = v
            .end_snapshot("b")
            .into_iter()
            .map(|p| p.canonical)
            .collect();
        assert_eq!(stale, ["z"]);
        assert!(v.get("x").is_some() && v.get("w").is_some());
        assert_eq!(v.count_in("lobby"), 1);
        assert!(v.end_snapshot("b").is_empty());
    }
}
