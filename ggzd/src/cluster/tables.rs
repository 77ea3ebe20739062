//! The tables of other nodes (docs/cluster.md §8): a table lives on the
//! node that launched it, which sends its whole state on every change; this
//! file keeps the books of what each node has, gives each remote table the
//! id this node shows it under, and turns a new state into the changes a
//! local table would have announced. Pure: the zone turns the changes into
//! `UPDATE TYPE='table'` lines.
//!
//! Ids: a table's id is unique in its room only on its own node. Instead of
//! coordinating ids through the registry, each node shows a remote table
//! under an id of its own, allocated above the room's `max_tables` (the
//! local tables' range), so local ids stay exactly what a single node uses
//! and two nodes' tables never collide. The same table may carry different
//! ids on different nodes; clients only ever see the ids of their own node.

use std::collections::{BTreeSet, HashMap, HashSet};

pub use ggzdmod::wire::SeatKind;

/// Most seats a table may have on the link (the zone's `MAX_SEATS`).
pub const MAX_TABLE_SEATS: usize = 32;
/// Most spectator slots on the link (the zone's `MAX_SPECTATORS`).
pub const MAX_TABLE_SPECTATORS: usize = 64;
/// Longest description on the link (the zone's `MAX_DESC`).
pub const MAX_TABLE_DESC: usize = 512;
/// Most tables one node may have in this node's view: a node sending more
/// is not believed for the excess (a bound, not a policy).
pub const MAX_TABLES_PER_NODE: usize = 4096;

/// One seat as the link carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatState {
    pub kind: SeatKind,
    pub name: Option<String>,
}

/// A table's whole state as its node sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableState {
    /// The room's key (the same on every node).
    pub room: String,
    /// The id on its own node.
    pub id: u32,
    /// Table state number (-1..=4, docs/client-server.md).
    pub status: i8,
    pub desc: String,
    pub seats: Vec<SeatState>,
    /// Spectator slots; `None` is a free slot.
    pub spectators: Vec<Option<String>>,
}

/// One remote table: its node, the id shown here, its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTable {
    pub node: String,
    pub shown: u32,
    pub state: TableState,
}

/// What changed, in the terms of a local table's UPDATEs. `shown` is the id
/// this node shows; `room` the room key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableChange {
    /// A new table: the whole of it.
    Add {
        room: String,
        shown: u32,
    },
    /// The table went; `seats` is its last seat count.
    Delete {
        room: String,
        shown: u32,
        seats: u32,
    },
    /// The seat count changed: the whole table again.
    Resize {
        room: String,
        shown: u32,
    },
    Status {
        room: String,
        shown: u32,
        status: i8,
        seats: u32,
    },
    Desc {
        room: String,
        shown: u32,
    },
    /// A player took seat `num` (`name`).
    SeatJoin {
        room: String,
        shown: u32,
        num: u32,
        name: String,
    },
    /// The player `name` left seat `num`.
    SeatLeave {
        room: String,
        shown: u32,
        num: u32,
        name: String,
    },
    /// Seat `num` became what the table now says (open, bot, reserved).
    Seat {
        room: String,
        shown: u32,
        num: u32,
    },
    SpectatorJoin {
        room: String,
        shown: u32,
        num: u32,
        name: String,
    },
    SpectatorLeave {
        room: String,
        shown: u32,
        num: u32,
        name: String,
    },
}

type Key = (String, String, u32);

/// The tables of every other node.
#[derive(Debug, Default)]
pub struct RemoteTables {
    /// By (node, room key, id on its node).
    tables: HashMap<Key, RemoteTable>,
    /// Ids shown here, per room key.
    shown: HashMap<String, BTreeSet<u32>>,
    /// By (room key, shown id): the key above.
    by_shown: HashMap<(String, u32), Key>,
    /// Tables of a node not yet confirmed by the snapshot under way.
    unconfirmed: HashMap<String, HashSet<(String, u32)>>,
    per_node: HashMap<String, usize>,
}

impl RemoteTables {
    /// The table shown as `shown` in the room `room`.
    pub fn get(&self, room: &str, shown: u32) -> Option<&RemoteTable> {
        self.by_shown
            .get(&(room.to_string(), shown))
            .and_then(|key| self.tables.get(key))
    }

    /// The id shown here for table `id` of `node` in room `room` (what a
    /// client of this node must be told of that table).
    pub fn shown_of(&self, node: &str, room: &str, id: u32) -> Option<u32> {
        self.tables
            .get(&(node.to_string(), room.to_string(), id))
            .map(|t| t.shown)
    }

    /// The remote tables of a room, by shown id.
    pub fn in_room<'a>(&'a self, room: &'a str) -> impl Iterator<Item = &'a RemoteTable> + 'a {
        self.shown
            .get(room)
            .into_iter()
            .flatten()
            .filter_map(move |shown| self.get(room, *shown))
    }

    pub fn len(&self) -> usize {
        self.tables.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// A seat held (abandoned) for the player `canonical` at a remote
    /// table: (room key, shown id, seat). The lowest such, should there be
    /// several, so every login names the same one.
    pub fn held_for(&self, canonical: &str) -> Option<(&str, u32, u32)> {
        self.tables
            .values()
            .filter_map(|t| {
                let num = t.state.seats.iter().position(|s| {
                    s.kind == SeatKind::Abandoned
                        && s.name
                            .as_deref()
                            .is_some_and(|n| crate::config::canonical_name(n) == canonical)
                })?;
                Some((t.state.room.as_str(), t.shown, num as u32))
            })
            .min()
    }

    /// Whether `id` is shown for a remote table of the room.
    pub fn is_shown(&self, room: &str, id: u32) -> bool {
        self.shown.get(room).is_some_and(|s| s.contains(&id))
    }

    /// A node's snapshot starts: its tables not listed again by
    /// [`RemoteTables::end_snapshot`] go then.
    pub fn begin_snapshot(&mut self, node: &str) {
        let mine: HashSet<(String, u32)> = self
            .tables
            .keys()
            .filter(|(n, _, _)| n == node)
            .map(|(_, room, id)| (room.clone(), *id))
            .collect();
        self.unconfirmed.insert(node.to_string(), mine);
    }

    /// The snapshot is complete: tables it did not list are deleted.
    pub fn end_snapshot(&mut self, node: &str) -> Vec<TableChange> {
        let stale = self.unconfirmed.remove(node).unwrap_or_default();
        stale
            .into_iter()
            .filter_map(|(room, id)| self.remove(node, &room, id))
            .collect()
    }

    /// A table's new state from `node`. `first_id` is the lowest id this
    /// node may show it under in its room (above the local tables' range).
    /// Returns what a local client must be told.
    pub fn upsert(&mut self, node: &str, state: TableState, first_id: u32) -> Vec<TableChange> {
        let key = (node.to_string(), state.room.clone(), state.id);
        if let Some(set) = self.unconfirmed.get_mut(node) {
            set.remove(&(state.room.clone(), state.id));
        }
        if let Some(old) = self.tables.get_mut(&key) {
            let changes = diff(old.shown, &old.state, &state);
            old.state = state;
            return changes;
        }
        let count = self.per_node.entry(node.to_string()).or_insert(0);
        if *count >= MAX_TABLES_PER_NODE {
            return Vec::new();
        }
        *count += 1;
        let room = state.room.clone();
        let used = self.shown.entry(room.clone()).or_default();
        let mut shown = first_id.max(1);
        for id in used.range(shown..) {
            if *id != shown {
                break;
            }
            shown = shown.saturating_add(1);
        }
        used.insert(shown);
        self.by_shown.insert((room.clone(), shown), key.clone());
        self.tables.insert(
            key,
            RemoteTable {
                node: node.to_string(),
                shown,
                state,
            },
        );
        vec![TableChange::Add { room, shown }]
    }

    /// One table of `node` ended.
    pub fn remove(&mut self, node: &str, room: &str, id: u32) -> Option<TableChange> {
        let key = (node.to_string(), room.to_string(), id);
        let gone = self.tables.remove(&key)?;
        if let Some(count) = self.per_node.get_mut(node) {
            *count = count.saturating_sub(1);
        }
        if let Some(set) = self.shown.get_mut(room) {
            set.remove(&gone.shown);
            if set.is_empty() {
                self.shown.remove(room);
            }
        }
        self.by_shown.remove(&(room.to_string(), gone.shown));
        if let Some(set) = self.unconfirmed.get_mut(node) {
            set.remove(&(room.to_string(), id));
        }
        Some(TableChange::Delete {
            room: room.to_string(),
            shown: gone.shown,
            seats: gone.state.seats.len() as u32,
        })
    }

    /// Every table of `node` (it died or restarted), deleted; also the
    /// players of this node who sat at or watched them, for the zone to
    /// tell (names as the table listed them).
    pub fn remove_node(&mut self, node: &str) -> (Vec<TableChange>, Vec<String>) {
        self.unconfirmed.remove(node);
        let keys: Vec<Key> = self
            .tables
            .keys()
            .filter(|(n, _, _)| n == node)
            .cloned()
            .collect();
        let mut people = Vec::new();
        let mut changes = Vec::new();
        for (n, room, id) in keys {
            if let Some(t) = self.tables.get(&(n.clone(), room.clone(), id)) {
                people.extend(t.state.seats.iter().filter_map(|s| {
                    (s.kind == SeatKind::Player)
                        .then(|| s.name.clone())
                        .flatten()
                }));
                people.extend(t.state.spectators.iter().flatten().cloned());
            }
            changes.extend(self.remove(&n, &room, id));
        }
        self.per_node.remove(node);
        (changes, people)
    }
}

/// The changes from `old` to `new` of one table shown as `shown`, in the
/// order a local table would announce them.
pub fn diff(shown: u32, old: &TableState, new: &TableState) -> Vec<TableChange> {
    let room = new.room.clone();
    let mut out = Vec::new();
    if old.seats.len() != new.seats.len() {
        out.push(TableChange::Resize {
            room: room.clone(),
            shown,
        });
    } else {
        for (num, (was, now)) in old.seats.iter().zip(&new.seats).enumerate() {
            if was == now {
                continue;
            }
            let num = num as u32;
            let was_player = was.kind == SeatKind::Player;
            if was_player {
                out.push(TableChange::SeatLeave {
                    room: room.clone(),
                    shown,
                    num,
                    name: was.name.clone().unwrap_or_default(),
                });
            }
            match now.kind {
                SeatKind::Player => out.push(TableChange::SeatJoin {
                    room: room.clone(),
                    shown,
                    num,
                    name: now.name.clone().unwrap_or_default(),
                }),
                // A local leave mid-game abandons the seat and says only
                // "leave"; an opened seat after a leave needs no more.
                SeatKind::Abandoned | SeatKind::Open if was_player => {}
                _ => out.push(TableChange::Seat {
                    room: room.clone(),
                    shown,
                    num,
                }),
            }
        }
    }
    let slots = old.spectators.len().max(new.spectators.len());
    for num in 0..slots {
        let was = old.spectators.get(num).cloned().flatten();
        let now = new.spectators.get(num).cloned().flatten();
        if was == now {
            continue;
        }
        if let Some(name) = was {
            out.push(TableChange::SpectatorLeave {
                room: room.clone(),
                shown,
                num: num as u32,
                name,
            });
        }
        if let Some(name) = now {
            out.push(TableChange::SpectatorJoin {
                room: room.clone(),
                shown,
                num: num as u32,
                name,
            });
        }
    }
    if old.desc != new.desc {
        out.push(TableChange::Desc {
            room: room.clone(),
            shown,
        });
    }
    if old.status != new.status {
        out.push(TableChange::Status {
            room,
            shown,
            status: new.status,
            seats: new.seats.len() as u32,
        });
    }
    out
}

// ----- the game channel's relay connection ------------------------------

/// The first bytes of a relay connection on the link listener. As a link
/// frame's length they would be far past `MAX_FRAME`, so a relay can never
/// be taken for a link, nor a link for a relay.
pub const RELAY_MAGIC: [u8; 4] = *b"GGZR";
/// The whole header: the magic, then the 16-byte token.
pub const RELAY_HEADER: usize = 20;

/// The header a relay connection starts with.
pub fn relay_header(token: &[u8; 16]) -> [u8; RELAY_HEADER] {
    let mut out = [0u8; RELAY_HEADER];
    out[..4].copy_from_slice(&RELAY_MAGIC);
    out[4..].copy_from_slice(token);
    out
}

/// What the first bytes of an accepted connection say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    /// Not a relay: a node link.
    Link,
    /// A relay, its header not complete yet.
    More,
    /// A relay presenting this token.
    Relay([u8; 16]),
}

/// Reads the header from the bytes peeked so far (never more than
/// [`RELAY_HEADER`] are looked at).
pub fn parse_header(peeked: &[u8]) -> Header {
    let n = peeked.len().min(4);
    if peeked[..n] != RELAY_MAGIC[..n] {
        return Header::Link;
    }
    match peeked.get(4..RELAY_HEADER) {
        Some(token) => {
            let mut t = [0u8; 16];
            t.copy_from_slice(token);
            Header::Relay(t)
        }
        None => Header::More,
    }
}

// ----- JOINs forwarded to a table's node --------------------------------

/// Most JOINs awaiting their answer, over all links.
pub const MAX_PENDING_JOINS: usize = 1024;

/// One forwarded JOIN, as the asking node keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJoin<C> {
    /// Who asked (a connection of this node).
    pub player: C,
    pub node: String,
    pub room: String,
    /// The id shown on this node.
    pub shown: u32,
    pub spectator: bool,
    pub deadline: std::time::Instant,
}

/// The forwarded JOINs of this node: at most one per player, at most
/// [`MAX_PENDING_JOINS`] in all; each ends with its answer, its deadline
/// or its link.
#[derive(Debug)]
pub struct PendingJoins<C> {
    next: u32,
    by_req: HashMap<u32, PendingJoin<C>>,
}

impl<C> Default for PendingJoins<C> {
    fn default() -> Self {
        PendingJoins {
            next: 1,
            by_req: HashMap::new(),
        }
    }
}

impl<C: Copy + PartialEq> PendingJoins<C> {
    /// Registers a JOIN; `None` when the player has one under way or the
    /// bound is reached.
    pub fn add(&mut self, join: PendingJoin<C>) -> Option<u32> {
        if self.by_req.len() >= MAX_PENDING_JOINS || self.has(join.player) {
            return None;
        }
        let req = self.next;
        self.next = self.next.wrapping_add(1).max(1);
        self.by_req.insert(req, join);
        Some(req)
    }

    pub fn has(&self, player: C) -> bool {
        self.by_req.values().any(|p| p.player == player)
    }

    /// The answer to `req` came from `node` (an answer from another node
    /// is not believed).
    pub fn answer(&mut self, node: &str, req: u32) -> Option<PendingJoin<C>> {
        if self.by_req.get(&req)?.node != node {
            return None;
        }
        self.by_req.remove(&req)
    }

    /// JOINs whose deadline passed, or (with `node`) every JOIN to it.
    pub fn take_expired(
        &mut self,
        now: std::time::Instant,
        node: Option<&str>,
    ) -> Vec<PendingJoin<C>> {
        let reqs: Vec<u32> = self
            .by_req
            .iter()
            .filter(|(_, p)| node.map_or(p.deadline <= now, |n| p.node == n))
            .map(|(req, _)| *req)
            .collect();
        reqs.into_iter()
            .filter_map(|req| self.by_req.remove(&req))
            .collect()
    }

    /// The player is gone: its JOIN is forgotten.
    pub fn forget(&mut self, player: C) {
        self.by_req.retain(|_, p| p.player != player);
    }

    pub fn len(&self) -> usize {
        self.by_req.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_req.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(kind: SeatKind, name: Option<&str>) -> SeatState {
        SeatState {
            kind,
            name: name.map(str::to_string),
        }
    }

    fn table(room: &str, id: u32) -> TableState {
        TableState {
            room: room.into(),
            id,
            status: 1,
            desc: "d".into(),
            seats: vec![
                seat(SeatKind::Player, Some("ann")),
                seat(SeatKind::Open, None),
            ],
            spectators: Vec::new(),
        }
    }

    #[test]
    fn remote_tables_get_ids_above_the_local_range_that_never_collide() {
        let mut v = RemoteTables::default();
        let a = v.upsert("a", table("ttt", 1), 11);
        let b = v.upsert("b", table("ttt", 1), 11);
        let c = v.upsert("a", table("other", 1), 11);
        assert_eq!(
            a,
            vec![TableChange::Add {
                room: "ttt".into(),
                shown: 11
            }]
        );
        assert_eq!(
            b,
            vec![TableChange::Add {
                room: "ttt".into(),
                shown: 12
            }]
        );
        assert_eq!(
            c,
            vec![TableChange::Add {
                room: "other".into(),
                shown: 11
            }]
        );
        assert_eq!(v.get("ttt", 12).map(|t| t.node.as_str()), Some("b"));
        // A node's own id reads as the id shown here.
        assert_eq!(v.shown_of("b", "ttt", 1), Some(12));
        assert_eq!(v.shown_of("a", "other", 1), Some(11));
        assert_eq!(v.shown_of("b", "ttt", 2), None);
        assert!(v.is_shown("ttt", 11) && !v.is_shown("ttt", 13));
        // A freed id is given again.
        v.remove("a", "ttt", 1);
        let again = v.upsert("c", table("ttt", 4), 11);
        assert_eq!(
            again,
            vec![TableChange::Add {
                room: "ttt".into(),
                shown: 11
            }]
        );
        let ids: Vec<u32> = v.in_room("ttt").map(|t| t.shown).collect();
        assert_eq!(ids, vec![11, 12]);
    }

    #[test]
    fn a_held_seat_is_found_by_canonical_name_lowest_first() {
        let mut v = RemoteTables::default();
        assert_eq!(v.held_for("ann"), None);
        let mut held = table("ttt", 3);
        held.seats[1] = seat(SeatKind::Abandoned, Some("Ann"));
        v.upsert("b", held.clone(), 11);
        v.upsert("a", table("ttt", 1), 11);
        held.id = 9;
        v.upsert("c", held, 11);
        // Only seats held (not seats taken) count; the lowest id wins.
        assert_eq!(v.held_for("ann"), Some(("ttt", 11, 1)));
        assert_eq!(v.held_for("bob"), None);
    }

    #[test]
    fn the_same_state_again_changes_nothing() {
        let mut v = RemoteTables::default();
        v.upsert("a", table("ttt", 1), 1);
        assert!(v.upsert("a", table("ttt", 1), 1).is_empty());
    }

    #[test]
    fn seat_changes_read_as_a_local_table_would_announce_them() {
        let old = table("ttt", 1);
        let mut new = old.clone();
        new.seats[1] = seat(SeatKind::Player, Some("bob"));
        new.status = 2;
        assert_eq!(
            diff(5, &old, &new),
            vec![
                TableChange::SeatJoin {
                    room: "ttt".into(),
                    shown: 5,
                    num: 1,
                    name: "bob".into()
                },
                TableChange::Status {
                    room: "ttt".into(),
                    shown: 5,
                    status: 2,
                    seats: 2
                },
            ]
        );
        // ann leaves mid-game: abandoned, announced as a leave only.
        let mut left = new.clone();
        left.seats[0] = seat(SeatKind::Abandoned, Some("ann"));
        assert_eq!(
            diff(5, &new, &left),
            vec![TableChange::SeatLeave {
                room: "ttt".into(),
                shown: 5,
                num: 0,
                name: "ann".into()
            }]
        );
        // The hold lapses: the seat opens.
        let mut open = left.clone();
        open.seats[0] = seat(SeatKind::Open, None);
        assert_eq!(
            diff(5, &left, &open),
            vec![TableChange::Seat {
                room: "ttt".into(),
                shown: 5,
                num: 0
            }]
        );
        // A bot takes it; the description changes; the seat count changes.
        let mut bot = open.clone();
        bot.seats[0] = seat(SeatKind::Bot, Some("AI"));
        bot.desc = "new".into();
        assert_eq!(diff(5, &open, &bot).len(), 2);
        let mut grown = bot.clone();
        grown.seats.push(seat(SeatKind::Open, None));
        assert_eq!(
            diff(5, &bot, &grown),
            vec![TableChange::Resize {
                room: "ttt".into(),
                shown: 5
            }]
        );
    }

    #[test]
    fn spectators_join_and_leave_by_slot() {
        let old = table("ttt", 1);
        let mut new = old.clone();
        new.spectators = vec![None, Some("cy".into())];
        assert_eq!(
            diff(3, &old, &new),
            vec![TableChange::SpectatorJoin {
                room: "ttt".into(),
                shown: 3,
                num: 1,
                name: "cy".into()
            }]
        );
        assert_eq!(
            diff(3, &new, &old),
            vec![TableChange::SpectatorLeave {
                room: "ttt".into(),
                shown: 3,
                num: 1,
                name: "cy".into()
            }]
        );
    }

    #[test]
    fn a_snapshot_replaces_a_nodes_tables() {
        let mut v = RemoteTables::default();
        v.upsert("a", table("ttt", 1), 1);
        v.upsert("a", table("ttt", 2), 1);
        v.upsert("b", table("ttt", 1), 1);
        v.begin_snapshot("a");
        assert!(v.upsert("a", table("ttt", 2), 1).is_empty());
        let gone = v.end_snapshot("a");
        assert_eq!(
            gone,
            vec![TableChange::Delete {
                room: "ttt".into(),
                shown: 1,
                seats: 2
            }]
        );
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn a_dead_node_takes_its_tables_and_names_who_was_there() {
        let mut v = RemoteTables::default();
        let mut t = table("ttt", 1);
        t.spectators = vec![Some("cy".into())];
        v.upsert("a", t, 1);
        v.upsert("b", table("ttt", 1), 1);
        let (changes, people) = v.remove_node("a");
        assert_eq!(changes.len(), 1);
        assert_eq!(people, vec!["ann".to_string(), "cy".to_string()]);
        assert_eq!(v.len(), 1);
        assert!(v.get("ttt", 1).is_none());
        assert!(v.get("ttt", 2).is_some());
    }

    #[test]
    fn a_node_cannot_flood_the_view() {
        let mut v = RemoteTables::default();
        for id in 0..(MAX_TABLES_PER_NODE as u32 + 5) {
            v.upsert("a", table("ttt", id), 1);
        }
        assert_eq!(v.len(), MAX_TABLES_PER_NODE);
        v.upsert("b", table("ttt", 1), 1);
        assert_eq!(v.len(), MAX_TABLES_PER_NODE + 1);
    }
    #[test]
    fn the_relay_header_is_read_exactly_and_never_taken_for_a_link() {
        let token = [9u8; 16];
        let h = relay_header(&token);
        assert_eq!(parse_header(&h), Header::Relay(token));
        assert_eq!(parse_header(&h[..3]), Header::More);
        assert_eq!(parse_header(&h[..19]), Header::More);
        assert_eq!(parse_header(&[]), Header::More);
        // A link starts with a frame length of at most 64 KiB.
        assert_eq!(parse_header(&[0, 0, 0, 9, 1]), Header::Link);
        assert_eq!(parse_header(b"GGZX"), Header::Link);
        assert!(u32::from_be_bytes(RELAY_MAGIC) as usize > crate::cluster::codec::MAX_FRAME);
    }

    #[test]
    fn forwarded_joins_are_one_per_player_bounded_and_end_by_answer_deadline_or_link() {
        let now = std::time::Instant::now();
        let join = |player: u32, node: &str, secs: u64| PendingJoin {
            player,
            node: node.to_string(),
            room: "ttt".into(),
            shown: 11,
            spectator: false,
            deadline: now + std::time::Duration::from_secs(secs),
        };
        let mut p = PendingJoins::default();
        let r1 = p.add(join(1, "a", 10)).unwrap();
        assert!(p.add(join(1, "a", 10)).is_none(), "one per player");
        let r2 = p.add(join(2, "b", 1)).unwrap();
        let _r3 = p.add(join(3, "a", 10)).unwrap();
        assert!(p.answer("b", r1).is_none(), "only its node answers");
        assert_eq!(p.answer("a", r1).map(|j| j.player), Some(1));
        assert!(p.answer("a", r1).is_none(), "answered once");
        let late = p.take_expired(now + std::time::Duration::from_secs(2), None);
        assert_eq!(late.iter().map(|j| j.player).collect::<Vec<_>>(), vec![2]);
        assert!(p.answer("b", r2).is_none());
        let lost = p.take_expired(now, Some("a"));
        assert_eq!(lost.len(), 1);
        assert!(p.is_empty());
        for n in 0..MAX_PENDING_JOINS as u32 {
            assert!(p.add(join(100 + n, "a", 10)).is_some());
        }
        assert!(p.add(join(7, "a", 10)).is_none(), "bounded");
        p.forget(100);
        assert_eq!(p.len(), MAX_PENDING_JOINS - 1);
    }
}
