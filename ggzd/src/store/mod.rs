//! The user and statistics database, on one of two backends: SQLite (the
//! embedded default, one file in the data directory) or PostgreSQL.
//!
//! [`Store`] is the one interface the rest of ggzd and `ggzduedit` use; it
//! hands each call to the backend it was opened on, and both give every
//! method the same meaning (the shared tests in `store/tests.rs` run on
//! each). The event loop never calls it: each worker thread holds its own
//! `Store`. Every writing method returns only after its transaction has
//! committed (a registration or a stats update is acknowledged to a
//! client only once it is durable).
//!
//! Handles passed in are canonical (lower-cased, see docs/config-and-data.md §7.1);
//! the store compares them byte for byte. Schema: `store/schema.rs`
//! (SQLite), `store/pg/schema.rs` (PostgreSQL) and docs/config-and-data.md §9-§10.

pub mod dump;
pub mod pg;
pub mod rating;
pub mod replays;
mod replays_sqlite;
mod report;
mod schema;
pub mod sqlite;
mod sqlite_copy;
mod types;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use dump::{Dump, MatchRecord};
pub use pg::{PgStore, PgTarget};
pub use replays::{
    NewPlayed, PlayedSeat, PlayedSeatKind, PlayedStatus, PlayedSummary, Replay, ReplayError,
    Retention, SeatResult,
};
pub use report::{MAX_BATCH, ReportWrite, Updated};
pub use schema::SCHEMA_VERSION;
pub use sqlite::SqliteStore;
pub use types::{
    BOT_PERMISSIONS, BanRecord, CreateOutcome, GameResult, ImportedUser, MAX_INFO_BYTES, NewUser,
    Participant, ParticipantKind, REGISTERED_PERMISSIONS, SavedGame, SavedSeat, StatsFlags,
    StatsRecord, UserRecord,
};

/// File name of the SQLite database inside the data directory.
pub const DB_FILE: &str = "ggzd.sqlite";

/// How long an SQLite statement waits for another connection's lock
/// before failing with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A database failure.
#[derive(Debug)]
pub enum StoreError {
    /// Creating the data directory or database file failed.
    Io {
        /// The directory or file concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// SQLite reported an error (including "database is locked" after the
    /// busy timeout).
    Sqlite(rusqlite::Error),
    /// PostgreSQL refused a statement, or the connection broke during it.
    Postgres(postgres::Error),
    /// The PostgreSQL server cannot be reached now; a later request tries
    /// again (store/pg/health.rs).
    Unavailable(String),
    /// The database settings are unusable (a malformed URL).
    Config(String),
    /// A copy into a database that already holds data.
    NotEmpty(String),
    /// The database was written by a newer ggzd with a schema this build
    /// does not know; refusing to touch it.
    TooNew {
        /// Schema version found in the database.
        found: i64,
        /// Newest schema version this build knows.
        known: i64,
    },
    /// The database holds something this build cannot make sense of.
    Corrupt(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            StoreError::Sqlite(e) => write!(f, "database error: {e}"),
            StoreError::Postgres(e) => write!(f, "database error: {e}"),
            StoreError::Unavailable(what) => write!(f, "database unavailable: {what}"),
            StoreError::Config(what) => write!(f, "database settings: {what}"),
            StoreError::NotEmpty(what) => write!(f, "refusing to copy: {what}"),
            StoreError::TooNew { found, known } => write!(
                f,
                "database schema version {found} is newer than this ggzd knows ({known}); \
                 upgrade ggzd or use a matching database"
            ),
            StoreError::Corrupt(what) => write!(f, "database is damaged: {what}"),
        }
    }
}

impl StoreError {
    /// The database could not be reached, so nothing of the request was
    /// done: trying it again later is safe.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            StoreError::Sqlite(e) => Some(e),
            StoreError::Postgres(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Postgres(e)
    }
}

/// Which database to open (`[database]` in ggzd.toml).
#[derive(Debug, Clone)]
pub enum StoreTarget {
    /// `<data_dir>/ggzd.sqlite`.
    Sqlite {
        /// The data directory.
        data_dir: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres(Box<PgTarget>),
}

impl StoreTarget {
    /// The target for logs and messages, never with a password.
    pub fn shown(&self) -> String {
        match self {
            StoreTarget::Sqlite { data_dir } => data_dir.join(DB_FILE).display().to_string(),
            StoreTarget::Postgres(t) => t.shown().to_owned(),
        }
    }
}

/// An open database.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(Box<PgStore>),
}

/// Calls the same method on whichever backend is open.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match &$self.backend {
            Backend::Sqlite($s) => $call,
            Backend::Postgres($s) => $call,
        }
    };
    (mut $self:ident, $s:ident => $call:expr) => {
        match &mut $self.backend {
            Backend::Sqlite($s) => $call,
            Backend::Postgres($s) => $call,
        }
    };
}

impl Store {
    /// Opens the database `target` names (creating an SQLite file, or
    /// migrating a PostgreSQL schema, as needed).
    pub fn connect(target: &StoreTarget) -> Result<Store, StoreError> {
        match target {
            StoreTarget::Sqlite { data_dir } => Store::open(data_dir),
            StoreTarget::Postgres(t) => Ok(Store {
                backend: Backend::Postgres(Box::new(PgStore::open(t)?)),
            }),
        }
    }

    /// Opens (creating if needed) `<data_dir>/ggzd.sqlite`. A missing data
    /// directory is created with mode 0700.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Ok(Store::from(SqliteStore::open(data_dir)?))
    }

    /// Opens (creating if needed, mode 0600) the SQLite file at `path`.
    pub fn open_file(path: &Path) -> Result<Store, StoreError> {
        Ok(Store::from(SqliteStore::open_file(path)?))
    }

    /// A private in-memory SQLite database (tests, tools).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Ok(Store::from(SqliteStore::open_in_memory()?))
    }

    /// Shares `health` with this store's connection attempts (PostgreSQL;
    /// an SQLite file has no server to lose).
    pub fn watch_health(&mut self, health: &std::sync::Arc<pg::Health>) {
        if let Backend::Postgres(s) = &mut self.backend {
            s.watch_health(std::sync::Arc::clone(health));
        }
    }

    /// Reconnects if the connection is gone and an attempt is due (an
    /// idle worker watching for the server's return).
    pub fn probe(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(s) => s.probe(),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        each!(self, s => s.schema_version())
    }

    /// The account with this canonical handle.
    pub fn user(&self, canonical: &str) -> Result<Option<UserRecord>, StoreError> {
        each!(self, s => s.user(canonical))
    }

    /// Whether an account with this canonical handle exists.
    pub fn user_exists(&self, canonical: &str) -> Result<bool, StoreError> {
        each!(self, s => s.user_exists(canonical))
    }

    /// Creates an account. Real name and email are truncated to 32 bytes.
    /// Stats rows left under that handle (e.g. by a guest who used the name)
    /// are deleted, so the new account starts clean. Returns after commit.
    pub fn create_user(&mut self, new: &NewUser<'_>) -> Result<CreateOutcome, StoreError> {
        // A new account is an import whose first and last login are now.
        self.import_user(&ImportedUser {
            handle: new.handle,
            password: new.password,
            email: new.email,
            real_name: new.real_name,
            permissions: new.permissions,
            confirmed: new.confirmed,
            first_login: new.now,
            last_login: new.now,
        })
    }

    /// Creates an account taken over from an original ggzd database,
    /// keeping its login times. Like [`Store::create_user`] it never
    /// replaces an existing account and deletes stats rows left under the
    /// handle. Returns after commit.
    pub fn import_user(&mut self, user: &ImportedUser<'_>) -> Result<CreateOutcome, StoreError> {
        each!(mut self, s => s.import_user(user))
    }

    /// Sets the last-login time of an account.
    pub fn record_login(&self, user_id: i64, now: i64) -> Result<(), StoreError> {
        each!(self, s => s.record_login(user_id, now))
    }

    /// Replaces an account's stored password with `stored`, which must
    /// already be a stored form (hash) — this method does not hash.
    pub fn set_password(&self, user_id: i64, stored: &str) -> Result<(), StoreError> {
        each!(self, s => s.set_password(user_id, stored))
    }

    /// Sets an account's permission word; `false` if there is no such account.
    pub fn set_permissions(&self, canonical: &str, perms: u32) -> Result<bool, StoreError> {
        each!(self, s => s.set_permissions(canonical, perms))
    }

    /// Creates the account of a named bot unless it exists (docs/config-and-data.md
    /// §8.3): permissions [`BOT_PERMISSIONS`] and an empty password, so
    /// nobody can log in with it. An existing account is left untouched.
    pub fn ensure_bot_account(&mut self, canonical: &str, now: i64) -> Result<(), StoreError> {
        each!(mut self, s => s.ensure_bot_account(canonical, now))
    }

    /// All stats rows of a player, by game name (byte order).
    pub fn stats_for_player(
        &self,
        canonical: &str,
    ) -> Result<Vec<(String, StatsRecord)>, StoreError> {
        each!(self, s => s.stats_for_player(canonical))
    }

    /// A player's stats for one game; the defaults if there is no row.
    pub fn player_stats(&self, handle: &str, game: &str) -> Result<StatsRecord, StoreError> {
        each!(self, s => s.player_stats(handle, game))
    }

    /// Accounts ordered by id; with a pattern, only handles matching it as
    /// a GLOB (`*`, `?`, `[...]`, case-sensitive on the canonical handle).
    pub fn list_users(&self, pattern: Option<&str>) -> Result<Vec<UserRecord>, StoreError> {
        each!(self, s => s.list_users(pattern))
    }

    /// Bans a name (canonical) and, optionally, an address, until `expires`
    /// (Unix seconds; `None` = for good).
    pub fn add_ban(
        &self,
        name: &str,
        address: Option<&str>,
        expires: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        each!(self, s => s.add_ban(name, address, expires, reason, now))
    }

    /// The reason of a ban in force on this name or this address, if any.
    pub fn active_ban(
        &self,
        name: &str,
        address: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        each!(self, s => s.active_ban(name, address, now))
    }

    /// Lifts every ban on a name; returns how many there were.
    pub fn remove_bans(&self, name: &str) -> Result<usize, StoreError> {
        each!(self, s => s.remove_bans(name))
    }

    /// All bans: (id, name, address, expires, reason, created).
    pub fn list_bans(&self) -> Result<Vec<BanRecord>, StoreError> {
        each!(self, s => s.list_bans())
    }

    /// Deletes an account and its stats rows; `false` if there was none.
    /// Match history keeps the handle.
    pub fn delete_user(&mut self, canonical: &str) -> Result<bool, StoreError> {
        each!(mut self, s => s.delete_user(canonical))
    }

    /// Records a game report (docs/config-and-data.md §10.2-§10.6) in one
    /// transaction: applies records, ratings and high scores as `flags`
    /// say, logs a `matches` row with one `matchplayers` row per
    /// participant, writes the stats rows back, closes the savegame
    /// `savegame` of this game (if not empty), and recomputes the game's
    /// rankings (always: only the workers pace them). Returns after commit,
    /// with each participant's stats key and updated row, in participant
    /// order.
    ///
    /// A bot named `AI` is keyed `<index>|AI` (its 0-based position in
    /// `participants`); every other participant by its name. A participant
    /// with an empty name gets no stats row. A game without any flag writes
    /// no statistics and returns an empty list.
    pub fn apply_game_report(
        &mut self,
        game: &str,
        flags: StatsFlags,
        participants: &[Participant],
        savegame: &str,
        now: i64,
    ) -> Result<Updated, StoreError> {
        let one = ReportWrite {
            game,
            flags,
            participants,
            savegame,
            now,
        };
        report::only(self.apply_game_reports(&[one], &mut |_, _| true)?)
    }

    /// Records several game reports as `apply_game_report` does each, in
    /// one transaction (one commit, so one sync to disk, for the lot) with
    /// a savepoint per report: a report the store refuses is rolled back
    /// alone and answered with its error, in its place of the result list,
    /// while the others are stored. The outer error means nothing of the
    /// batch was stored (the commit failed, or the database went away).
    ///
    /// Each game the batch wrote is renumbered once, after its last report,
    /// if `rank_now(game, ranking order)` says so; otherwise its positions
    /// stay as the last renumbering left them, also in the rows returned,
    /// until [`Store::rank_games`] (docs/config-and-data.md §10.7).
    pub fn apply_game_reports(
        &mut self,
        reports: &[ReportWrite<'_>],
        rank_now: &mut dyn FnMut(&str, &'static str) -> bool,
    ) -> Result<Vec<Result<Updated, StoreError>>, StoreError> {
        each!(mut self, s => s.apply_game_reports(reports, rank_now))
    }

    /// Renumbers the rankings of each (game, ranking order) in one
    /// transaction: the renumberings `apply_game_reports` put off. An
    /// order that is not one `StatsFlags` gives is refused.
    pub fn rank_games(&mut self, games: &[(String, &'static str)]) -> Result<(), StoreError> {
        each!(mut self, s => s.rank_games(games))
    }

    /// The top `limit` ranked rows of a game: (position, handle, high score),
    /// position ascending; unranked rows (ranking 0) are left out.
    pub fn rankings(
        &self,
        game: &str,
        limit: usize,
    ) -> Result<Vec<(u32, String, i64)>, StoreError> {
        each!(self, s => s.rankings(game, limit))
    }

    /// Records a savegame report (MSG_SAVEGAME_REPORT): replaces any saved
    /// game of the same (game, owner).
    pub fn record_savegame(
        &mut self,
        game: &str,
        owner: &str,
        savegame: &str,
        table_key: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        each!(mut self, s => s.record_savegame(game, owner, savegame, table_key, now))
    }

    /// Records (or replaces) the type and occupant of one seat of a table,
    /// for restoring it from a savegame later.
    pub fn set_savegame_seat(
        &self,
        table_key: &str,
        seat: u32,
        seat_type: &str,
        handle: &str,
    ) -> Result<(), StoreError> {
        each!(self, s => s.set_savegame_seat(table_key, seat, seat_type, handle))
    }

    /// Forgets the recorded seats of a table that has no savegame.
    pub fn clear_table_seats(&mut self, table_key: &str) -> Result<(), StoreError> {
        each!(mut self, s => s.clear_table_seats(table_key))
    }

    /// Removes and returns every saved game of `game` with its seats, oldest
    /// first, for restoration at startup.
    pub fn take_savegames(&mut self, game: &str) -> Result<Vec<SavedGame>, StoreError> {
        each!(mut self, s => s.take_savegames(game))
    }

    /// Sets an account's real name (truncated to 32 bytes); `false` if there
    /// is no such account.
    pub fn set_real_name(&self, canonical: &str, real_name: &str) -> Result<bool, StoreError> {
        each!(self, s => s.set_real_name(canonical, real_name))
    }

    /// Sets an account's email address (truncated to 32 bytes); `false` if
    /// there is no such account.
    pub fn set_email(&self, canonical: &str, email: &str) -> Result<bool, StoreError> {
        each!(self, s => s.set_email(canonical, email))
    }

    /// Marks an account confirmed or unconfirmed (docs/config-and-data.md §7.3);
    /// `false` if there is no such account.
    pub fn set_confirmed(&self, canonical: &str, confirmed: bool) -> Result<bool, StoreError> {
        each!(self, s => s.set_confirmed(canonical, confirmed))
    }

    /// Deletes a player's stats rows, for one game or for all, so the
    /// player is back to the defaults; returns how many rows went. The
    /// remaining ranked rows of each affected game are renumbered 1, 2, ...
    /// in their previous order, so the ranking has no gap.
    pub fn reset_stats(&mut self, handle: &str, game: Option<&str>) -> Result<usize, StoreError> {
        each!(mut self, s => s.reset_stats(handle, game))
    }

    /// Claims a name for a login on a cluster node (docs/cluster.md §4).
    /// Without PostgreSQL there is no cluster, and every claim holds.
    pub fn claim_name(
        &self,
        name: &str,
        claim: &crate::zone::cluster::NameClaim,
    ) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Postgres(s) => s.claim_name(name, &claim.node, claim.incarnation, claim.token),
            Backend::Sqlite(_) => Ok(true),
        }
    }

    /// Frees a name claimed by `claim_name`.
    pub fn release_name(&self, name: &str, node: &str, token: i64) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Postgres(s) => s.release_name(name, node, token),
            Backend::Sqlite(_) => Ok(()),
        }
    }

    /// Everything in the database, in insertion order.
    pub fn dump(&mut self) -> Result<Dump, StoreError> {
        each!(mut self, s => s.dump())
    }

    /// Fills an empty PostgreSQL database with `dump`, keeping ids and
    /// order (`ggzduedit copy-to-postgres`). Only PostgreSQL is a target.
    pub fn load(&mut self, dump: &Dump) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Postgres(s) => s.load(dump),
            Backend::Sqlite(_) => Err(StoreError::Config(
                "copying into an SQLite database is not supported".into(),
            )),
        }
    }

    /// The SQLite connection (tests of that backend's own behaviour).
    #[cfg(test)]
    pub(crate) fn sqlite_conn(&mut self) -> &mut rusqlite::Connection {
        match &mut self.backend {
            Backend::Sqlite(s) => &mut s.conn,
            Backend::Postgres(_) => unreachable!("not an SQLite store"),
        }
    }

    /// Runs raw SQL (tests shared by both backends).
    #[cfg(test)]
    pub(crate) fn raw_exec(&self, sql: &str) -> Result<(), StoreError> {
        each!(self, s => s.raw_exec(sql))
    }

    /// The first column of every row of a raw query, which must be text.
    /// Write `rowid` for insertion order: PostgreSQL's tables call it `seq`.
    #[cfg(test)]
    pub(crate) fn raw_strings(&self, sql: &str) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.raw_strings(sql),
            Backend::Postgres(s) => s.raw_strings(&sql.replace("rowid", "seq")),
        }
    }
}

impl From<SqliteStore> for Store {
    fn from(s: SqliteStore) -> Store {
        Store {
            backend: Backend::Sqlite(s),
        }
    }
}

impl From<PgStore> for Store {
    fn from(s: PgStore) -> Store {
        Store {
            backend: Backend::Postgres(Box::new(s)),
        }
    }
}

#[cfg(test)]
mod tests;
