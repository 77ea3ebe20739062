//! The enumerations of the wire: launch layouts, seat kinds, game states
//! and results, with their wire numbers.

use std::fmt;
use std::str::FromStr;

/// Which variant of `MSG_GAME_LAUNCH` the game server expects (docs/ggzdmod.md §4.1).
///
/// The encoder needs to be told. A decoder that is not told can use
/// [`crate::detect::decode_detecting`], which tells the two apart by which
/// reading is valid and ends where the bytes end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LaunchLayout {
    /// GGZ 0.99.x ("trunk"): the launch message carries a savegame string
    /// after the game name.
    #[default]
    Trunk,
    /// GGZ 0.0.14: no savegame string.
    Legacy,
}

impl LaunchLayout {
    /// The name used in configuration and in the
    /// [`ENV_LAUNCH_LAYOUT`](crate::ENV_LAUNCH_LAYOUT) variable.
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchLayout::Trunk => "trunk",
            LaunchLayout::Legacy => "legacy",
        }
    }
}

impl fmt::Display for LaunchLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when a launch layout name is not recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLayout(pub String);

impl fmt::Display for UnknownLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown launch layout {:?} (expected \"trunk\" or \"legacy\")",
            self.0
        )
    }
}

impl std::error::Error for UnknownLayout {}

impl FromStr for LaunchLayout {
    type Err = UnknownLayout;

    /// Accepts `trunk`/`0.99` and `legacy`/`0.0.14`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trunk" | "0.99" => Ok(LaunchLayout::Trunk),
            "legacy" | "0.0.14" => Ok(LaunchLayout::Legacy),
            _ => Err(UnknownLayout(s.to_owned())),
        }
    }
}

/// Seat types (docs/ggzdmod.md §5.3), shared with the client protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeatKind {
    /// No seat (0).
    None,
    /// Open seat, anyone may join (1).
    Open,
    /// Seat played by the game's AI (2).
    Bot,
    /// Seat occupied by a human player connected to the game (3).
    Player,
    /// Seat held for a named player (4).
    Reserved,
    /// Seat left by a player during a game (5).
    Abandoned,
}

impl SeatKind {
    /// The wire value.
    pub fn to_wire(self) -> i32 {
        match self {
            SeatKind::None => 0,
            SeatKind::Open => 1,
            SeatKind::Bot => 2,
            SeatKind::Player => 3,
            SeatKind::Reserved => 4,
            SeatKind::Abandoned => 5,
        }
    }

    /// Parses a wire value; `None` for values outside the table.
    pub fn from_wire(v: i32) -> Option<SeatKind> {
        Some(match v {
            0 => SeatKind::None,
            1 => SeatKind::Open,
            2 => SeatKind::Bot,
            3 => SeatKind::Player,
            4 => SeatKind::Reserved,
            5 => SeatKind::Abandoned,
            _ => return None,
        })
    }

    /// The name used for this seat type in the XML client protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            SeatKind::None => "none",
            SeatKind::Open => "open",
            SeatKind::Bot => "bot",
            SeatKind::Player => "player",
            SeatKind::Reserved => "reserved",
            SeatKind::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for SeatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A seat type name that is not in the table (docs/ggzdmod.md §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownSeatKind;

impl fmt::Display for UnknownSeatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown seat type")
    }
}

impl std::error::Error for UnknownSeatKind {}

impl FromStr for SeatKind {
    type Err = UnknownSeatKind;

    /// Parses the XML name, ignoring case as GGZ servers and clients do.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        (0..=5)
            .filter_map(SeatKind::from_wire)
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownSeatKind)
    }
}

/// Game server states (docs/ggzdmod.md §5.1), the byte carried by `REQ_GAME_STATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GameState {
    /// Started, launch not yet processed (0). Never requested on the wire.
    Created,
    /// Ready, waiting for players (1).
    Waiting,
    /// Game in progress (2).
    Playing,
    /// Finished; ggzd tears the table down (3).
    Done,
}

impl GameState {
    /// The wire value.
    pub fn to_wire(self) -> u8 {
        match self {
            GameState::Created => 0,
            GameState::Waiting => 1,
            GameState::Playing => 2,
            GameState::Done => 3,
        }
    }

    /// Parses a wire value; `None` for values outside the table.
    pub fn from_wire(v: u8) -> Option<GameState> {
        Some(match v {
            0 => GameState::Created,
            1 => GameState::Waiting,
            2 => GameState::Playing,
            3 => GameState::Done,
            _ => return None,
        })
    }
}

/// Per-player result in a game report (docs/ggzdmod.md §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GameResult {
    /// Won (0).
    Win,
    /// Lost (1).
    Loss,
    /// Tied (2).
    Tie,
    /// Forfeited (3).
    Forfeit,
    /// Did not take part (4).
    None,
}

impl GameResult {
    /// The wire value.
    pub fn to_wire(self) -> i32 {
        match self {
            GameResult::Win => 0,
            GameResult::Loss => 1,
            GameResult::Tie => 2,
            GameResult::Forfeit => 3,
            GameResult::None => 4,
        }
    }

    /// Parses a wire value; `None` for values outside the table.
    pub fn from_wire(v: i32) -> Option<GameResult> {
        Some(match v {
            0 => GameResult::Win,
            1 => GameResult::Loss,
            2 => GameResult::Tie,
            3 => GameResult::Forfeit,
            4 => GameResult::None,
            _ => return None,
        })
    }
}
