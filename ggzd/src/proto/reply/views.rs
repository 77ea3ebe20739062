//! The typed views the zone hands to the writers.

use crate::numlist::NumberList;
use crate::proto::types::{PlayerKind, SeatKind};

/// A game type, as listed by `LIST TYPE='game'` (docs/client-server.md §8.1).
#[derive(Debug, Clone)]
pub struct GameView<'a> {
    pub id: i32,
    pub name: &'a str,
    pub version: &'a str,
    pub engine: &'a str,
    pub protocol_version: &'a str,
    pub players: &'a NumberList,
    pub bots: &'a NumberList,
    pub spectators: bool,
    pub peers: bool,
    /// `(name, class)` pairs, already in the order to send (sorted by name).
    pub named_bots: &'a [(String, String)],
    pub author: &'a str,
    pub homepage: &'a str,
    pub description: &'a str,
}

/// A room, as listed by `LIST TYPE='room'` (docs/client-server.md §8.2).
#[derive(Debug, Clone)]
pub struct RoomView<'a> {
    pub id: i32,
    pub name: &'a str,
    pub refname: &'a str,
    /// Game type id, -1 for chat-only rooms.
    pub game: i32,
    pub players: u32,
    pub description: &'a str,
}

/// The statistics a player "has" for a room's game (docs/client-server.md §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsView {
    /// `(wins, losses, ties, forfeits)` when the game keeps records.
    pub records: Option<(u32, u32, u32, u32)>,
    /// When the game keeps ratings (already rounded).
    pub rating: Option<i64>,
    /// When the game keeps high scores.
    pub highscore: Option<i64>,
}

/// A player entry (docs/client-server.md §8.3).
#[derive(Debug, Clone)]
pub struct PlayerView<'a> {
    pub name: &'a str,
    pub kind: PlayerKind,
    /// Table id, -1 if none.
    pub table: i32,
    pub perms: u32,
    /// Lag class 1..=5.
    pub lag: u8,
    /// `None` for players without stats (guests, `no_stats`).
    pub stats: Option<StatsView>,
}

/// One seat of a table.
#[derive(Debug, Clone, Copy)]
pub struct SeatView<'a> {
    pub num: u32,
    pub kind: SeatKind,
    /// Player, reservation or bot name. `None` (or empty) writes a
    /// self-closing SEAT.
    pub name: Option<&'a str>,
}

/// A table (docs/client-server.md §8.4).
#[derive(Debug, Clone)]
pub struct TableView<'a> {
    pub id: i32,
    pub game: i32,
    /// Table state number, -1..=4.
    pub status: i32,
    pub desc: &'a str,
    /// All seats, in order 0..SEATS-1.
    pub seats: Vec<SeatView<'a>>,
    /// Occupied spectator slots: `(slot, name)`.
    pub spectators: Vec<(u32, &'a str)>,
}

/// One `PLAYERINFO` line (docs/client-server.md §11.6).
#[derive(Debug, Clone, Copy)]
pub struct PlayerInfoView<'a> {
    pub seat: u32,
    pub realname: &'a str,
    pub photo: &'a str,
    pub host: &'a str,
}

/// One `RANKING` line (docs/client-server.md §11.6).
#[derive(Debug, Clone, Copy)]
pub struct RankingView<'a> {
    pub position: u32,
    pub player: &'a str,
    pub score: i64,
}
