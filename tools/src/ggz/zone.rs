//! What the client knows of the server: game types, rooms, the players
//! and tables of the current room, and where the user sits. Every server
//! message goes through [`Zone::apply`], which updates that picture and
//! says what happened in terms a person can be shown.

use std::collections::BTreeMap;

use ggzd::proto::element::Element;

/// Most entries kept in any one collection; a server that sends more is
/// not believed beyond this, so memory stays bounded.
pub const MAX_ENTRIES: usize = 100_000;

/// A game type (`LIST game`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GameType {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Protocol engine, which picks the client-side game.
    pub engine: String,
    /// Protocol version.
    pub engine_version: String,
    /// Allowed seat counts, as a number list (`2`, `2..4`, `2,4`).
    pub players: String,
    /// Named bots: (name, class).
    pub bots: Vec<(String, String)>,
    /// Whether spectators are allowed.
    pub spectators: bool,
}

/// A room (`LIST room`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Room {
    /// Name.
    pub name: String,
    /// Game type id, -1 for chat rooms.
    pub game: i32,
    /// Occupancy.
    pub players: u32,
    /// Scheduled for removal.
    pub closing: bool,
}

/// A player in the current room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Player {
    /// Name as the server writes it.
    pub name: String,
    /// guest, normal, host, admin or bot.
    pub kind: String,
    /// Table id, -1 when at none.
    pub table: i32,
    /// Lag class 1-5.
    pub lag: u32,
    /// Stats attributes (WINS, LOSSES, TIES, FORFEITS, RATING, HIGHSCORE).
    pub stats: Vec<(String, String)>,
}

/// One seat of a table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seat {
    /// open, bot, player, reserved, abandoned or none.
    pub kind: String,
    /// The occupant or reservation, if named.
    pub name: String,
}

/// A table in the current room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Game type id.
    pub game: i32,
    /// -1 error, 0 created, 1 waiting, 2 playing, 3 done.
    pub status: i32,
    /// Seats in order.
    pub seats: Vec<Seat>,
    /// Spectator slot -> name.
    pub spectators: BTreeMap<u32, String>,
    /// Description.
    pub desc: String,
}

/// Which list a `LIST` reply carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Game types.
    Games,
    /// Rooms.
    Rooms,
    /// Players of the room.
    Players,
    /// Tables of the room.
    Tables,
    /// Matchmaking queues (docs/matchmaking.md §4).
    Queues,
}

/// A matchmaking queue (`LIST TYPE='queue'`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    /// Its name, for `MATCH`.
    pub name: String,
    /// The room it belongs to.
    pub room: i32,
    /// Seats of a matched table.
    pub min: u32,
    /// Seats of a matched table.
    pub max: u32,
    /// Tickets waiting.
    pub waiting: u32,
    /// Recent mean time in queue, seconds.
    pub wait: u32,
}

/// Something that happened, as told by one server message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneEvent {
    /// `RESULT` of a request (after any list it carried was applied).
    Result {
        /// ACTION, lower case.
        action: String,
        /// CODE.
        code: String,
    },
    /// A list was received and applied.
    Listed(ListKind),
    /// Message of the day text.
    Motd(String),
    /// The server probes the lag; answer with PONG (echoing the id).
    Ping(Option<String>),
    /// Chat of any kind (`normal`, `announce`, `beep`, `private`, `table`).
    Chat {
        /// Chat type.
        kind: String,
        /// Sender.
        from: String,
        /// Text (empty for beeps).
        text: String,
    },
    /// Someone entered the room.
    Arrived {
        /// Who.
        name: String,
    },
    /// Someone left the room (or logged out: `to` is -1).
    Departed {
        /// Who.
        name: String,
        /// Their new room.
        to: i32,
    },
    /// A lag class changed.
    Lag {
        /// Who.
        name: String,
        /// Class 1-5.
        class: u32,
    },
    /// Someone's stats changed.
    Stats {
        /// Who.
        name: String,
    },
    /// Someone's permissions changed.
    Perms {
        /// Who.
        name: String,
        /// Their player type now.
        kind: String,
    },
    /// A table appeared.
    TableAdded(i32),
    /// A table is gone.
    TableGone(i32),
    /// A table's state changed.
    TableStatus(i32),
    /// A table's description changed.
    TableDesc(i32),
    /// A player sat down.
    SeatTaken {
        /// Table.
        table: i32,
        /// Seat number.
        seat: usize,
        /// Who.
        name: String,
    },
    /// A player left a seat.
    SeatLeft {
        /// Table.
        table: i32,
        /// Seat number.
        seat: usize,
        /// Who.
        name: String,
    },
    /// A spectator arrived (`joined`) or left.
    Spectator {
        /// Table.
        table: i32,
        /// Who.
        name: String,
        /// Arrived rather than left.
        joined: bool,
    },
    /// A seat became open, a bot or a reservation, or a table was resized.
    SeatsChanged(i32),
    /// A room's occupancy changed.
    RoomPlayers(i32),
    /// A room was added.
    RoomAdded(i32),
    /// A room will close when empty.
    RoomClosing(i32),
    /// A room was removed.
    RoomGone(i32),
    /// You are at a table now.
    Joined {
        /// Table.
        table: i32,
        /// As a spectator.
        spectator: bool,
    },
    /// You are no longer at a table.
    Left {
        /// normal, boot, gameover or gameerror.
        reason: String,
        /// Who booted you.
        by: Option<String>,
    },
    /// Player info lines (`INFO`).
    Info(Vec<String>),
    /// Rankings lines (`RANKINGS`).
    Rankings(Vec<String>),
    /// The server's answer to EXTENSIONS: the names switched on.
    Extensions(Vec<String>),
    /// A matchmaking round reserved this seat for the user.
    Matched {
        /// Queue name.
        queue: String,
        /// Room, table and seat.
        room: i32,
        table: i32,
        seat: i32,
    },
}

/// The client's picture of the server.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    /// Game types by id.
    pub games: BTreeMap<i32, GameType>,
    /// Rooms by id.
    pub rooms: BTreeMap<i32, Room>,
    /// The room the user is in.
    pub room: Option<i32>,
    /// Players of that room, by lower-case name.
    pub players: BTreeMap<String, Player>,
    /// Tables of that room by id.
    pub tables: BTreeMap<i32, Table>,
    /// The user's table and whether as a spectator.
    pub at_table: Option<(i32, bool)>,
    /// Matchmaking queues on the server.
    pub queues: Vec<Queue>,
}

fn int(e: &Element, name: &str) -> Option<i32> {
    e.attr(name).and_then(|v| v.trim().parse().ok())
}

fn text_attr(e: &Element, name: &str) -> String {
    e.attr(name).unwrap_or_default().to_owned()
}

/// Inserts unless the map is full (an existing key is always updated).
fn bounded_insert<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: V) {
    if map.len() < MAX_ENTRIES || map.contains_key(&key) {
        map.insert(key, value);
    }
}

const STAT_ATTRS: [&str; 6] = ["WINS", "LOSSES", "TIES", "FORFEITS", "RATING", "HIGHSCORE"];

fn player_of(e: &Element) -> Player {
    Player {
        name: text_attr(e, "ID"),
        kind: text_attr(e, "TYPE"),
        table: int(e, "TABLE").unwrap_or(-1),
        lag: int(e, "LAG")
            .and_then(|l| u32::try_from(l).ok())
            .unwrap_or(1),
        stats: stats_of(e),
    }
}

fn stats_of(e: &Element) -> Vec<(String, String)> {
    STAT_ATTRS
        .iter()
        .filter_map(|a| e.attr(a).map(|v| ((*a).to_owned(), v.to_owned())))
        .collect()
}

fn seat_of(e: &Element) -> Seat {
    Seat {
        kind: text_attr(e, "TYPE"),
        name: e.text.clone(),
    }
}

/// Most seats believed per table; real games have a handful.
const MAX_SEATS: usize = 1024;

fn seat_index(e: &Element) -> Option<usize> {
    int(e, "NUM")
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n < MAX_SEATS)
}

fn table_of(e: &Element) -> Table {
    let count = int(e, "SEATS")
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(MAX_SEATS);
    let mut seats = vec![Seat::default(); count];
    for s in e.children_named("SEAT") {
        if let Some(slot) = seat_index(s).and_then(|n| seats.get_mut(n)) {
            *slot = seat_of(s);
        }
    }
    let spectators = e
        .children_named("SPECTATOR")
        .filter_map(|s| Some((u32::try_from(int(s, "NUM")?).ok()?, s.text.clone())))
        .collect();
    Table {
        game: int(e, "GAME").unwrap_or(-1),
        status: int(e, "STATUS").unwrap_or(0),
        seats,
        spectators,
        desc: e.child("DESC").map(|d| d.text.clone()).unwrap_or_default(),
    }
}

fn game_of(e: &Element) -> GameType {
    let protocol = e.child("PROTOCOL");
    let allow = e.child("ALLOW");
    GameType {
        name: text_attr(e, "NAME"),
        version: text_attr(e, "VERSION"),
        engine: protocol.map(|p| text_attr(p, "ENGINE")).unwrap_or_default(),
        engine_version: protocol
            .map(|p| text_attr(p, "VERSION"))
            .unwrap_or_default(),
        players: allow.map(|a| text_attr(a, "PLAYERS")).unwrap_or_default(),
        bots: e
            .children_named("BOT")
            .map(|b| (text_attr(b, "NAME"), text_attr(b, "CLASS")))
            .collect(),
        spectators: allow.and_then(|a| a.attr("SPECTATORS")) == Some("true"),
    }
}

fn room_of(e: &Element) -> Room {
    Room {
        name: text_attr(e, "NAME"),
        game: int(e, "GAME").unwrap_or(-1),
        players: int(e, "PLAYERS")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        closing: false,
    }
}

impl Zone {
    /// The room's game type, if the user is in a game room.
    pub fn room_game(&self) -> Option<(i32, &GameType)> {
        let id = self.rooms.get(&self.room?)?.game;
        self.games.get(&id).map(|g| (id, g))
    }

    /// A room by number or (case-insensitive) name.
    pub fn find_room(&self, key: &str) -> Option<i32> {
        if let Ok(id) = key.parse::<i32>() {
            return Some(id);
        }
        self.rooms
            .iter()
            .find(|(_, r)| r.name.eq_ignore_ascii_case(key))
            .map(|(id, _)| *id)
    }

    /// A player of the room by case-insensitive name.
    pub fn player(&self, name: &str) -> Option<&Player> {
        self.players.get(&name.to_lowercase())
    }

    /// The seat `name` holds at `table`, if any.
    pub fn seat_of(&self, table: i32, name: &str) -> Option<usize> {
        self.tables.get(&table)?.seats.iter().position(|s| {
            matches!(s.kind.as_str(), "player" | "reserved" | "abandoned")
                && s.name.eq_ignore_ascii_case(name)
        })
    }

    /// A table where `name` can sit down: one holding a seat for them
    /// first, else the lowest-numbered one with an open seat.
    pub fn joinable_table(&self, name: &str) -> Option<i32> {
        let waiting = |t: &&Table| t.status == 0 || t.status == 1 || t.status == 2;
        let held = self
            .tables
            .iter()
            .filter(|(_, t)| waiting(t))
            .find(|(_, t)| {
                t.seats.iter().any(|s| {
                    matches!(s.kind.as_str(), "reserved" | "abandoned")
                        && s.name.eq_ignore_ascii_case(name)
                })
            });
        held.or_else(|| {
            self.tables
                .iter()
                .filter(|(_, t)| waiting(t))
                .find(|(_, t)| t.seats.iter().any(|s| s.kind == "open"))
        })
        .map(|(id, _)| *id)
    }

    /// Applies one server message; returns what it meant.
    pub fn apply(&mut self, e: &Element) -> Vec<ZoneEvent> {
        match e.name.as_str() {
            "RESULT" => self.apply_result(e),
            "MOTD" => vec![ZoneEvent::Motd(e.text.clone())],
            "PING" => vec![ZoneEvent::Ping(e.attr("ID").map(str::to_owned))],
            "CHAT" => vec![ZoneEvent::Chat {
                kind: text_attr(e, "TYPE"),
                from: text_attr(e, "FROM"),
                text: e.text.clone(),
            }],
            "UPDATE" => self.apply_update(e),
            "JOIN" => {
                let table = int(e, "TABLE").unwrap_or(-1);
                let spectator = e.attr("SPECTATOR") == Some("true");
                self.at_table = Some((table, spectator));
                vec![ZoneEvent::Joined { table, spectator }]
            }
            "LEAVE" => {
                self.at_table = None;
                vec![ZoneEvent::Left {
                    reason: text_attr(e, "REASON"),
                    by: e.attr("PLAYER").map(str::to_owned),
                }]
            }
            "INFO" => vec![ZoneEvent::Info(
                e.children_named("PLAYERINFO")
                    .map(|p| {
                        format!(
                            "seat {}: {} {}",
                            text_attr(p, "SEAT"),
                            text_attr(p, "REALNAME"),
                            text_attr(p, "HOST")
                        )
                    })
                    .collect(),
            )],
            "RANKINGS" => vec![ZoneEvent::Rankings(
                e.children_named("RANKING")
                    .map(|r| {
                        format!(
                            "{}. {} {}",
                            text_attr(r, "POSITION"),
                            text_attr(r, "PLAYER"),
                            text_attr(r, "SCORE")
                        )
                    })
                    .collect(),
            )],
            "EXTENSIONS" => vec![ZoneEvent::Extensions(
                text_attr(e, "NAMES")
                    .split_whitespace()
                    .take(16)
                    .map(str::to_owned)
                    .collect(),
            )],
            "MATCHED" => vec![ZoneEvent::Matched {
                queue: text_attr(e, "QUEUE"),
                room: int(e, "ROOM").unwrap_or(-1),
                table: int(e, "TABLE").unwrap_or(-1),
                seat: int(e, "SEAT").unwrap_or(-1),
            }],
            _ => Vec::new(),
        }
    }

    /// The queue `/play` means without a name: the first of this room.
    pub fn room_queue(&self) -> Option<&Queue> {
        let room = self.room?;
        self.queues.iter().find(|q| q.room == room)
    }

    fn apply_result(&mut self, e: &Element) -> Vec<ZoneEvent> {
        let action = text_attr(e, "ACTION").to_ascii_lowercase();
        let code = text_attr(e, "CODE");
        let mut events = Vec::new();
        if code == "ok"
            && let Some(list) = e.child("LIST")
            && let Some(kind) = self.apply_list(list)
        {
            events.push(ZoneEvent::Listed(kind));
        }
        events.insert(0, ZoneEvent::Result { action, code });
        events
    }

    fn apply_list(&mut self, list: &Element) -> Option<ListKind> {
        let items = list.children.iter().take(MAX_ENTRIES);
        match list.attr("TYPE")? {
            "game" => {
                self.games = items
                    .filter(|g| g.is("GAME"))
                    .filter_map(|g| Some((int(g, "ID")?, game_of(g))))
                    .collect();
                Some(ListKind::Games)
            }
            "room" => {
                self.rooms = items
                    .filter(|r| r.is("ROOM"))
                    .filter_map(|r| Some((int(r, "ID")?, room_of(r))))
                    .collect();
                Some(ListKind::Rooms)
            }
            "player" => {
                self.players = items
                    .filter(|p| p.is("PLAYER"))
                    .map(player_of)
                    .map(|p| (p.name.to_lowercase(), p))
                    .collect();
                Some(ListKind::Players)
            }
            "table" => {
                self.tables = items
                    .filter(|t| t.is("TABLE"))
                    .filter_map(|t| Some((int(t, "ID")?, table_of(t))))
                    .collect();
                Some(ListKind::Tables)
            }
            "queue" => {
                self.queues = items
                    .filter(|q| q.is("QUEUE"))
                    .map(|q| Queue {
                        name: text_attr(q, "NAME"),
                        room: int(q, "ROOM").unwrap_or(-1),
                        min: int(q, "MIN").unwrap_or(0).max(0) as u32,
                        max: int(q, "MAX").unwrap_or(0).max(0) as u32,
                        waiting: int(q, "WAITING").unwrap_or(0).max(0) as u32,
                        wait: int(q, "WAIT").unwrap_or(0).max(0) as u32,
                    })
                    .collect();
                Some(ListKind::Queues)
            }
            _ => None,
        }
    }

    fn apply_update(&mut self, e: &Element) -> Vec<ZoneEvent> {
        let action = e.attr("ACTION").unwrap_or_default();
        match e.attr("TYPE").unwrap_or_default() {
            "player" => e
                .child("PLAYER")
                .map(|p| self.apply_player_update(action, p))
                .into_iter()
                .collect(),
            "table" => e
                .child("TABLE")
                .map(|t| self.apply_table_update(action, t))
                .unwrap_or_default(),
            "room" => e
                .child("ROOM")
                .and_then(|r| self.apply_room_update(action, r))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    fn apply_player_update(&mut self, action: &str, p: &Element) -> ZoneEvent {
        let name = text_attr(p, "ID");
        let key = name.to_lowercase();
        match action {
            "add" => {
                bounded_insert(&mut self.players, key, player_of(p));
                ZoneEvent::Arrived { name }
            }
            "delete" => {
                self.players.remove(&key);
                let to = p.attr("TOROOM").and_then(|v| v.parse().ok()).unwrap_or(-1);
                ZoneEvent::Departed { name, to }
            }
            "lag" => {
                let class = int(p, "LAG")
                    .and_then(|l| u32::try_from(l).ok())
                    .unwrap_or(1);
                if let Some(known) = self.players.get_mut(&key) {
                    known.lag = class;
                }
                ZoneEvent::Lag { name, class }
            }
            "stats" => {
                if let Some(known) = self.players.get_mut(&key) {
                    known.stats = stats_of(p);
                }
                ZoneEvent::Stats { name }
            }
            _ => {
                let kind = text_attr(p, "TYPE");
                if let Some(known) = self.players.get_mut(&key) {
                    known.kind.clone_from(&kind);
                }
                ZoneEvent::Perms { name, kind }
            }
        }
    }

    fn set_player_table(&mut self, name: &str, table: i32) {
        if let Some(p) = self.players.get_mut(&name.to_lowercase()) {
            p.table = table;
        }
    }

    fn apply_table_update(&mut self, action: &str, t: &Element) -> Vec<ZoneEvent> {
        let Some(id) = int(t, "ID") else {
            return Vec::new();
        };
        match action {
            "add" | "resize" => {
                let table = table_of(t);
                bounded_insert(&mut self.tables, id, table);
                vec![if action == "add" {
                    ZoneEvent::TableAdded(id)
                } else {
                    ZoneEvent::SeatsChanged(id)
                }]
            }
            "delete" => {
                self.tables.remove(&id);
                vec![ZoneEvent::TableGone(id)]
            }
            "status" => {
                if let Some(table) = self.tables.get_mut(&id) {
                    table.status = int(t, "STATUS").unwrap_or(table.status);
                }
                vec![ZoneEvent::TableStatus(id)]
            }
            "desc" => {
                if let Some(table) = self.tables.get_mut(&id) {
                    table.desc = t.child("DESC").map(|d| d.text.clone()).unwrap_or_default();
                }
                vec![ZoneEvent::TableDesc(id)]
            }
            "join" | "leave" | "seat" => self.apply_seat_changes(action, id, t),
            _ => Vec::new(),
        }
    }

    fn apply_seat_changes(&mut self, action: &str, id: i32, t: &Element) -> Vec<ZoneEvent> {
        let mut events = Vec::new();
        for s in t.children_named("SEAT") {
            let Some(num) = seat_index(s) else { continue };
            let name = s.text.clone();
            if let Some(table) = self.tables.get_mut(&id) {
                if table.seats.len() <= num {
                    table.seats.resize(num + 1, Seat::default());
                }
                if let Some(seat) = table.seats.get_mut(num) {
                    *seat = match action {
                        "leave" => Seat {
                            kind: "open".into(),
                            name: String::new(),
                        },
                        _ => seat_of(s),
                    };
                }
            }
            match action {
                "join" => {
                    self.set_player_table(&name, id);
                    events.push(ZoneEvent::SeatTaken {
                        table: id,
                        seat: num,
                        name,
                    });
                }
                "leave" => {
                    self.set_player_table(&name, -1);
                    events.push(ZoneEvent::SeatLeft {
                        table: id,
                        seat: num,
                        name,
                    });
                }
                _ => events.push(ZoneEvent::SeatsChanged(id)),
            }
        }
        for s in t.children_named("SPECTATOR") {
            let joined = action == "join";
            let name = s.text.clone();
            if let (Some(table), Some(num)) = (
                self.tables.get_mut(&id),
                int(s, "NUM").and_then(|n| u32::try_from(n).ok()),
            ) {
                if joined {
                    bounded_insert(&mut table.spectators, num, name.clone());
                } else {
                    table.spectators.remove(&num);
                }
            }
            self.set_player_table(&name, if joined { id } else { -1 });
            events.push(ZoneEvent::Spectator {
                table: id,
                name,
                joined,
            });
        }
        events
    }

    fn apply_room_update(&mut self, action: &str, r: &Element) -> Option<ZoneEvent> {
        let id = int(r, "ID")?;
        Some(match action {
            "players" => {
                if let Some(room) = self.rooms.get_mut(&id) {
                    room.players = int(r, "PLAYERS")
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(room.players);
                }
                ZoneEvent::RoomPlayers(id)
            }
            "add" => {
                bounded_insert(&mut self.rooms, id, room_of(r));
                ZoneEvent::RoomAdded(id)
            }
            "close" => {
                if let Some(room) = self.rooms.get_mut(&id) {
                    room.closing = true;
                }
                ZoneEvent::RoomClosing(id)
            }
            "delete" => {
                self.rooms.remove(&id);
                ZoneEvent::RoomGone(id)
            }
            _ => return None,
        })
    }

    /// Forgets the old room's players and tables after entering `room`.
    pub fn entered(&mut self, room: i32) {
        self.room = Some(room);
        self.players.clear();
        self.tables.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggzd::proto::decoder::{Decoder, Event, Limits};

    /// Decodes server XML into elements.
    fn elements(xml: &str) -> Vec<Element> {
        let mut decoder = Decoder::new(Limits::CLIENT);
        let input = format!("<SESSION>{xml}");
        let mut rest = input.as_bytes();
        let mut out = Vec::new();
        loop {
            let progress = decoder.feed(rest).unwrap();
            rest = &rest[progress.consumed..];
            match progress.event {
                Some(Event::Element(e)) => out.push(e),
                Some(_) => {}
                None if progress.consumed == 0 => return out,
                None => {}
            }
        }
    }

    fn apply_all(zone: &mut Zone, xml: &str) -> Vec<ZoneEvent> {
        elements(xml).iter().flat_map(|e| zone.apply(e)).collect()
    }

    #[test]
    fn lists_fill_the_picture() {
        let mut zone = Zone::default();
        let events = apply_all(
            &mut zone,
            "<RESULT ACTION='list' CODE='ok'><LIST TYPE='game'>\
             <GAME ID='0' NAME='TicTacToe' VERSION='1'><PROTOCOL ENGINE='TicTacToe' VERSION='5'/>\
             <ALLOW PLAYERS='2' BOTS='1' SPECTATORS='true' PEERS='false'/><BOT NAME='Alfred' CLASS='easy'/></GAME>\
             </LIST></RESULT>\
             <RESULT ACTION='list' CODE='ok'><LIST TYPE='room'>\
             <ROOM ID='0' NAME='Lobby' GAME='-1' PLAYERS='3'></ROOM>\
             <ROOM ID='1' NAME='Tic-Tac-Toe' GAME='0' PLAYERS='2'></ROOM></LIST></RESULT>",
        );
        assert_eq!(
            events,
            [
                ZoneEvent::Result {
                    action: "list".into(),
                    code: "ok".into()
                },
                ZoneEvent::Listed(ListKind::Games),
                ZoneEvent::Result {
                    action: "list".into(),
                    code: "ok".into()
                },
                ZoneEvent::Listed(ListKind::Rooms),
            ]
        );
        assert_eq!(zone.find_room("tic-tac-toe"), Some(1));
        assert_eq!(zone.find_room("7"), Some(7));
        assert_eq!(zone.find_room("nowhere"), None);
        zone.entered(1);
        let (id, game) = zone.room_game().unwrap();
        assert_eq!(
            (id, game.engine.as_str(), game.engine_version.as_str()),
            (0, "TicTacToe", "5")
        );
        assert_eq!(game.bots, [("Alfred".to_string(), "easy".to_string())]);
        assert!(game.spectators);
    }

    #[test]
    fn table_updates_track_seats_and_spectators() {
        let mut zone = Zone::default();
        zone.entered(1);
        apply_all(
            &mut zone,
            "<RESULT ACTION='list' CODE='ok'><LIST TYPE='player' ROOM='1'>\
             <PLAYER ID='Bob' TYPE='guest' TABLE='-1' PERMS='0x0' LAG='1'/></LIST></RESULT>\
             <UPDATE TYPE='table' ACTION='add' ROOM='1'><TABLE ID='3' GAME='0' STATUS='1' SEATS='2'>\
             <DESC>hi</DESC><SEAT NUM='0' TYPE='player'>alice</SEAT><SEAT NUM='1' TYPE='reserved'>bob</SEAT>\
             </TABLE></UPDATE>",
        );
        assert_eq!(zone.joinable_table("BOB"), Some(3));
        assert_eq!(zone.joinable_table("carol"), None);
        assert_eq!(zone.seat_of(3, "Alice"), Some(0));
        let events = apply_all(
            &mut zone,
            "<UPDATE TYPE='table' ACTION='join' ROOM='1'><TABLE ID='3' SEATS='2'>\
             <SEAT NUM='1' TYPE='player'>bob</SEAT></TABLE></UPDATE>\
             <UPDATE TYPE='table' ACTION='join' ROOM='1'><TABLE ID='3' SPECTATORS='1'>\
             <SPECTATOR NUM='0'>carol</SPECTATOR></TABLE></UPDATE>\
             <UPDATE TYPE='table' ACTION='status' ROOM='1'><TABLE ID='3' STATUS='2' SEATS='2'/></UPDATE>\
             <UPDATE TYPE='table' ACTION='leave' ROOM='1'><TABLE ID='3' SEATS='2'>\
             <SEAT NUM='0' TYPE='player'>alice</SEAT></TABLE></UPDATE>",
        );
        assert_eq!(
            events,
            [
                ZoneEvent::SeatTaken {
                    table: 3,
                    seat: 1,
                    name: "bob".into()
                },
                ZoneEvent::Spectator {
                    table: 3,
                    name: "carol".into(),
                    joined: true
                },
                ZoneEvent::TableStatus(3),
                ZoneEvent::SeatLeft {
                    table: 3,
                    seat: 0,
                    name: "alice".into()
                },
            ]
        );
        let table = &zone.tables[&3];
        assert_eq!(table.status, 2);
        assert_eq!(table.seats[0].kind, "open");
        assert_eq!(table.spectators.get(&0).map(String::as_str), Some("carol"));
        assert_eq!(zone.player("bob").map(|p| p.table), Some(3));
        apply_all(
            &mut zone,
            "<UPDATE TYPE='table' ACTION='delete' ROOM='1'><TABLE ID='3' STATUS='-1' SEATS='2'/></UPDATE>",
        );
        assert!(zone.tables.is_empty());
    }

    #[test]
    fn players_chat_and_personal_messages() {
        let mut zone = Zone::default();
        zone.entered(1);
        let events = apply_all(
            &mut zone,
            "<UPDATE TYPE='player' ACTION='add' ROOM='1' FROMROOM='0'>\
             <PLAYER ID='dave' TYPE='normal' TABLE='-1' PERMS='0x7' LAG='1' WINS='4' RATING='1531'/></UPDATE>\
             <UPDATE TYPE='player' ACTION='lag' ROOM='1'><PLAYER ID='dave' LAG='3'/></UPDATE>\
             <UPDATE TYPE='player' ACTION='perms' ROOM='1'><PLAYER ID='dave' TYPE='host' PERMS='0x187'/></UPDATE>\
             <CHAT TYPE='private' FROM='dave'>psst</CHAT><PING/>\
             <JOIN TABLE='4' SPECTATOR='true'/><LEAVE REASON='boot' PLAYER='dave'/>\
             <UPDATE TYPE='player' ACTION='delete' ROOM='1' TOROOM='-1'><PLAYER ID='dave'/></UPDATE>\
             <UPDATE TYPE='room' ACTION='players'><ROOM ID='1' PLAYERS='9'/></UPDATE>",
        );
        assert_eq!(events.len(), 9, "{events:?}");
        assert_eq!(
            events[0],
            ZoneEvent::Arrived {
                name: "dave".into()
            }
        );
        assert_eq!(
            events[3],
            ZoneEvent::Chat {
                kind: "private".into(),
                from: "dave".into(),
                text: "psst".into()
            }
        );
        assert_eq!(events[4], ZoneEvent::Ping(None));
        assert_eq!(
            events[5],
            ZoneEvent::Joined {
                table: 4,
                spectator: true
            }
        );
        assert_eq!(zone.at_table, None);
        assert_eq!(
            events[7],
            ZoneEvent::Departed {
                name: "dave".into(),
                to: -1
            }
        );
        assert!(zone.player("dave").is_none());
    }

    #[test]
    fn nonsense_is_ignored_not_believed() {
        let mut zone = Zone::default();
        let events = apply_all(
            &mut zone,
            "<UPDATE TYPE='table' ACTION='add'><TABLE ID='x' SEATS='-4'/></UPDATE>\
             <UPDATE TYPE='table' ACTION='add'><TABLE ID='2' SEATS='99999999'>\
             <SEAT NUM='5000000' TYPE='player'>z</SEAT></TABLE></UPDATE>\
             <UPDATE TYPE='table' ACTION='join'><TABLE ID='2'><SEAT NUM='-1' TYPE='player'>z</SEAT></TABLE></UPDATE>\
             <UPDATE/><RESULT/><LIST TYPE='room'/><WHATEVER/>",
        );
        assert_eq!(zone.tables[&2].seats.len(), MAX_SEATS);
        assert_eq!(events.len(), 2, "{events:?}");
    }
}
