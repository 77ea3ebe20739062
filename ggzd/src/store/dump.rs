//! Everything a store holds, as plain rows: what `ggzduedit
//! copy-to-postgres` reads from SQLite and writes into PostgreSQL.

use super::{BanRecord, PlayedSummary, SavedGame, SavedSeat, StatsRecord, UserRecord};

/// One played game with its log and seal as stored (docs/replays.md §2):
/// copied as is, so the seal still holds under the copied zone secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayedRecord {
    /// The row, seats included.
    pub summary: PlayedSummary,
    /// The event log bytes.
    pub log: Vec<u8>,
    /// The HMAC-SHA256 seal.
    pub seal: Vec<u8>,
}

/// One `matches` row with its `matchplayers` rows (handle, player type) in
/// their order.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRecord {
    /// Match id.
    pub id: i64,
    /// Unix time of the report.
    pub date: i64,
    /// Game name.
    pub game: String,
    /// Stats key of the single winner, or empty.
    pub winner: String,
    /// Savegame the report closed, or empty.
    pub savegame: String,
    /// (stats key, player type) per participant.
    pub players: Vec<(String, String)>,
}

/// The whole content of a store, each list in its insertion order (which
/// breaks ranking ties and orders savegames, so it is kept on copying).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dump {
    /// Accounts, with their ids.
    pub users: Vec<UserRecord>,
    /// (handle, game, row) per stats row, rankings included.
    pub stats: Vec<(String, String, StatsRecord)>,
    /// Match history.
    pub matches: Vec<MatchRecord>,
    /// Saved games (their `seats` empty: see `savegame_seats`).
    pub savegames: Vec<SavedGame>,
    /// (table key, seat) of every recorded seat, also of tables not saved.
    pub savegame_seats: Vec<(String, SavedSeat)>,
    /// Bans.
    pub bans: Vec<BanRecord>,
    /// (name, bytes) of the zone secrets (the replay seal's key).
    pub zone_secrets: Vec<(String, Vec<u8>)>,
    /// Played games, by id.
    pub played: Vec<PlayedRecord>,
}

impl Dump {
    /// "N users, N stats rows, ..." for the copy command's report.
    pub fn summary(&self) -> String {
        format!(
            "{} users, {} stats rows, {} matches, {} savegames ({} seats), {} bans, {} played games",
            self.users.len(),
            self.stats.len(),
            self.matches.len(),
            self.savegames.len(),
            self.savegame_seats.len(),
            self.bans.len(),
            self.played.len()
        )
    }
}
