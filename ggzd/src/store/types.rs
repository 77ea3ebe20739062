//! The records the store reads and writes, shared by both backends.

use super::rating;

/// Bytes kept of a real name or an email address (docs/config-and-data.md §9.1).
pub const MAX_INFO_BYTES: usize = 32;

/// Permission word of a newly registered account (docs/config-and-data.md §8.3).
pub const REGISTERED_PERMISSIONS: u32 = 0x007;

/// Permission word of a named-bot account created from a game description.
pub const BOT_PERMISSIONS: u32 = 0x027;

/// A registered account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Database id.
    pub id: i64,
    /// Canonical handle.
    pub handle: String,
    /// Stored password form (see [`crate::auth`]); empty = no login possible.
    pub password: String,
    /// Real name, at most 32 bytes.
    pub real_name: String,
    /// Email address, at most 32 bytes.
    pub email: String,
    /// Unix time of the last successful login (or of creation).
    pub last_login: i64,
    /// Unix time the account was created.
    pub first_login: i64,
    /// Permission word (docs/config-and-data.md §8.1).
    pub permissions: u32,
    /// Whether the account is confirmed (docs/config-and-data.md §7.3).
    pub confirmed: bool,
}

/// A new account for [`Store::create_user`](super::Store::create_user).
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    /// Canonical handle.
    pub handle: &'a str,
    /// Already-hashed password (see [`crate::auth::hash_password`]).
    pub password: &'a str,
    /// Email address; truncated to 32 bytes.
    pub email: &'a str,
    /// Real name; truncated to 32 bytes.
    pub real_name: &'a str,
    /// Permission word.
    pub permissions: u32,
    /// Whether the account starts confirmed.
    pub confirmed: bool,
    /// Creation time (Unix seconds); also the first last-login time.
    pub now: i64,
}

/// Result of [`Store::create_user`](super::Store::create_user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The account was created with this id.
    Created(i64),
    /// An account with that handle exists; nothing was written.
    AlreadyExists,
}

/// One player's statistics for one game. A player without a row has
/// [`StatsRecord::default`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatsRecord {
    /// Games won.
    pub wins: u32,
    /// Games lost.
    pub losses: u32,
    /// Games tied.
    pub ties: u32,
    /// Games forfeited.
    pub forfeits: u32,
    /// Rating; shown as [`rating::display`].
    pub rating: f64,
    /// 1-based position in the game's ranking; 0 = unranked.
    pub ranking: u32,
    /// Best reported score.
    pub highscore: i64,
}

impl Default for StatsRecord {
    fn default() -> Self {
        StatsRecord {
            wins: 0,
            losses: 0,
            ties: 0,
            forfeits: 0,
            rating: rating::DEFAULT_RATING,
            ranking: 0,
            highscore: 0,
        }
    }
}

/// Which statistics a game keeps (its description's Records, Ratings and
/// Highscores flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsFlags {
    /// Count wins, losses, ties and forfeits.
    pub records: bool,
    /// Update ratings.
    pub ratings: bool,
    /// Keep high scores.
    pub highscores: bool,
}

impl StatsFlags {
    /// Whether the game keeps any statistics at all.
    pub fn any(self) -> bool {
        self.records || self.ratings || self.highscores
    }

    /// The ranking order for this game (docs/config-and-data.md §10.5); a fixed SQL
    /// expression, sorted descending.
    pub(crate) fn ranking_key(self) -> &'static str {
        if self.highscores {
            "highscore"
        } else if self.ratings {
            "rating"
        } else {
            "wins - losses"
        }
    }
}

/// Kind of a seat in a game report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantKind {
    /// A human player (registered or guest).
    Player,
    /// A bot.
    Bot,
    /// A seat its player left during the game.
    Abandoned,
}

/// A participant's result in a game report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameResult {
    /// Won.
    Win,
    /// Lost.
    Loss,
    /// Tied.
    Tie,
    /// Forfeited.
    Forfeit,
    /// No result (did not take part).
    None,
}

/// One participant of a game report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Canonical handle for players; the reported name for bots and
    /// abandoned seats.
    pub name: String,
    /// Seat kind.
    pub seat_type: ParticipantKind,
    /// Team number; negative = no team.
    pub team: i32,
    /// Result.
    pub result: GameResult,
    /// Score (for high scores).
    pub score: i64,
    /// Whether the player is logged in with a registered account.
    pub registered: bool,
}

#[cfg(test)]
impl Participant {
    /// A registered player without a team or score (tests' reports).
    pub(crate) fn registered_player(name: &str, result: GameResult) -> Participant {
        Participant {
            name: name.to_owned(),
            seat_type: ParticipantKind::Player,
            team: -1,
            result,
            score: 0,
            registered: true,
        }
    }
}

impl Participant {
    /// The `matchplayers.playertype` value.
    pub(crate) fn player_type(&self) -> &'static str {
        match (self.seat_type, self.registered) {
            (ParticipantKind::Player, true) => "registered",
            (ParticipantKind::Player, false) => "guest",
            (ParticipantKind::Bot, _) => "bot",
            (ParticipantKind::Abandoned, _) => "",
        }
    }
}

/// One ban: (id, name, address, expires, reason, created).
pub type BanRecord = (i64, String, Option<String>, Option<i64>, String, i64);

/// A saved game waiting to be restored (docs/config-and-data.md §10.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedGame {
    /// When it was saved (Unix seconds).
    pub date: i64,
    /// Game name.
    pub game: String,
    /// Owner (canonical handle) of the table.
    pub owner: String,
    /// Savegame name reported by the game server.
    pub savegame: String,
    /// The table's pseudo-unique key.
    pub table_key: String,
    /// Seats recorded for that table, ordered by seat number.
    pub seats: Vec<SavedSeat>,
}

/// One seat of a saved table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSeat {
    /// Seat number.
    pub seat: u32,
    /// Seat type name (`open`, `bot`, `reserved`, `player`, ...).
    pub seat_type: String,
    /// Occupant or reservation name; empty for open seats.
    pub handle: String,
}

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
pub(crate) fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// An account taken over from an original ggzd database, for
/// [`Store::import_user`](super::Store::import_user): unlike [`NewUser`] it keeps its own login times.
#[derive(Debug, Clone, Copy)]
pub struct ImportedUser<'a> {
    /// Canonical handle.
    pub handle: &'a str,
    /// Stored password form (a `{legacy-...}` value, see [`crate::auth`]).
    pub password: &'a str,
    /// Email address; truncated to 32 bytes.
    pub email: &'a str,
    /// Real name; truncated to 32 bytes.
    pub real_name: &'a str,
    /// Permission word.
    pub permissions: u32,
    /// Whether the account is confirmed.
    pub confirmed: bool,
    /// Creation time (Unix seconds).
    pub first_login: i64,
    /// Last successful login (Unix seconds).
    pub last_login: i64,
}
