//! The SQLite backend of the store: the embedded default.
//!
//! One [`SqliteStore`] wraps one SQLite connection. Each worker thread opens
//! its own on the same file, and `ggzduedit` may write the file while ggzd
//! runs. That is why the database runs in WAL mode with a busy timeout,
//! every read-modify-write runs in a short `BEGIN IMMEDIATE` transaction,
//! and every writing method returns only after its transaction has
//! committed (a registration or a stats update is acknowledged to a client
//! only once it is durable).

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::types::truncate_utf8;
use super::{
    BOT_PERMISSIONS, BUSY_TIMEOUT, BanRecord, CreateOutcome, DB_FILE, ImportedUser, MAX_INFO_BYTES,
    ReportWrite, SavedGame, SavedSeat, StatsRecord, StoreError, Updated, UserRecord, report,
    schema,
};

#[derive(Debug)]
pub struct SqliteStore {
    pub(super) conn: Connection,
}

pub(super) const USER_COLUMNS: &str =
    "id, handle, password, name, email, lastlogin, firstlogin, permissions, confirmed";

pub(super) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: row.get(0)?,
        handle: row.get(1)?,
        password: row.get(2)?,
        real_name: row.get(3)?,
        email: row.get(4)?,
        last_login: row.get(5)?,
        first_login: row.get(6)?,
        permissions: row.get(7)?,
        confirmed: row.get(8)?,
    })
}

const STATS_COLUMNS: &str = "wins, losses, ties, forfeits, rating, ranking, highscore";

/// Reads [`STATS_COLUMNS`] starting at column `at`.
pub(super) fn stats_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<StatsRecord> {
    Ok(StatsRecord {
        wins: row.get(at)?,
        losses: row.get(at + 1)?,
        ties: row.get(at + 2)?,
        forfeits: row.get(at + 3)?,
        rating: row.get(at + 4)?,
        ranking: row.get(at + 5)?,
        highscore: row.get(at + 6)?,
    })
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/ggzd.sqlite`. A missing data
    /// directory is created with mode 0700.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(io_err(data_dir))?;
        SqliteStore::open_file(&data_dir.join(DB_FILE))
    }

    /// Opens (creating if needed, mode 0600) the database file at `path`,
    /// switches it to WAL mode and migrates its schema.
    pub fn open_file(path: &Path) -> Result<SqliteStore, StoreError> {
        // Create the file ourselves so it gets mode 0600; SQLite would use
        // 0644. Its -wal and -shm files inherit the database file's mode.
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err(path)(e)),
        }
        let conn = Connection::open(path)?;
        SqliteStore::init(conn, true)
    }

    /// A private in-memory database (tests, tools); not shared with anyone.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::init(Connection::open_in_memory()?, false)
    }

    fn init(mut conn: Connection, wal: bool) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if wal {
            let mode = switch_to_wal(&conn)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Corrupt(format!(
                    "cannot switch to WAL journal mode (got '{mode}')"
                )));
            }
        }
        // FULL: a commit that returned survives a power cut, which is what
        // acknowledging a registration to a client promises.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Without the query planner stability guarantee, SQLite recompiles
        // a cached statement whenever a parameter it could have planned on
        // is rebound (the ban check's `expires > ?3`, for one): a full
        // parse on every login. Our plans never depend on values.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore { conn })
    }
}

/// Sets WAL mode. While another connection is switching a new database's
/// journal mode at the same moment, SQLite answers SQLITE_BUSY at once
/// rather than through the busy handler, so first opens that race (ggzd
/// and ggzduedit on a fresh data directory) retry here, for as long as
/// the busy timeout would have waited.
fn switch_to_wal(conn: &Connection) -> Result<String, StoreError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return Ok(other?),
        }
    }
}

impl SqliteStore {
    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// The account with this canonical handle.
    pub fn user(&self, canonical: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE handle = ?1"),
                [canonical],
                user_from_row,
            )
            .optional()?)
    }

    /// Whether an account with this canonical handle exists.
    pub fn user_exists(&self, canonical: &str) -> Result<bool, StoreError> {
        // Every guest login asks this: keep the compiled statement.
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE handle = ?1")?;
        Ok(stmt.exists([canonical])?)
    }

    /// Sets the last-login time of an account.
    pub fn record_login(&self, user_id: i64, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET lastlogin = ?2 WHERE id = ?1",
            params![user_id, now],
        )?;
        Ok(())
    }

    /// Replaces an account's stored password with `stored`, which must
    /// already be a stored form (hash) — this method does not hash.
    pub fn set_password(&self, user_id: i64, stored: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET password = ?2 WHERE id = ?1",
            params![user_id, stored],
        )?;
        Ok(())
    }

    /// Sets an account's permission word; `false` if there is no such account.
    pub fn set_permissions(&self, canonical: &str, perms: u32) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE users SET permissions = ?2 WHERE handle = ?1",
            params![canonical, perms],
        )?;
        Ok(n > 0)
    }

    /// Creates the account of a named bot unless it exists (docs/config-and-data.md
    /// §8.3): permissions [`BOT_PERMISSIONS`] and an empty password, so
    /// nobody can log in with it. An existing account is left untouched.
    pub fn ensure_bot_account(&mut self, canonical: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO users
                 (handle, password, name, email, lastlogin, firstlogin, permissions, confirmed)
             VALUES (?1, '', '', '', ?2, ?2, ?3, 1)
             ON CONFLICT (handle) DO NOTHING",
            params![canonical, now, BOT_PERMISSIONS],
        )?;
        Ok(())
    }

    /// All stats rows of a player, by game name.
    pub fn stats_for_player(
        &self,
        canonical: &str,
    ) -> Result<Vec<(String, StatsRecord)>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT game, {STATS_COLUMNS} FROM stats WHERE handle = ?1 ORDER BY game"
        ))?;
        let rows = stmt.query_map([canonical], |row| {
            Ok((row.get(0)?, stats_from_row(row, 1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A player's stats for one game; the defaults if there is no row.
    pub fn player_stats(&self, handle: &str, game: &str) -> Result<StatsRecord, StoreError> {
        Ok(read_stats(&self.conn, handle, game)?.unwrap_or_default())
    }

    /// Accounts ordered by id; with a pattern, only handles matching it as
    /// an SQLite GLOB (`*`, `?`, `[...]`, case-sensitive on the canonical
    /// handle).
    pub fn list_users(&self, pattern: Option<&str>) -> Result<Vec<UserRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE ?1 IS NULL OR handle GLOB ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([pattern], user_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
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
        self.conn.execute(
            "INSERT INTO bans (name, address, expires, reason, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, address, expires, reason, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The reason of a ban in force on this name or this address, if any.
    pub fn active_ban(
        &self,
        name: &str,
        address: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT reason FROM bans
             WHERE (name = ?1 OR (address IS NOT NULL AND address = ?2))
               AND (expires IS NULL OR expires > ?3)
             ORDER BY id LIMIT 1",
        )?;
        let mut rows = stmt.query(params![name, address, now])?;
        match rows.next()? {
            Some(row) => Ok(Some(row.get(0)?)),
            None => Ok(None),
        }
    }

    /// Lifts every ban on a name; returns how many there were.
    pub fn remove_bans(&self, name: &str) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM bans WHERE name = ?1", params![name])?)
    }

    /// All bans: (id, name, address, expires, reason, created).
    pub fn list_bans(&self) -> Result<Vec<BanRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, address, expires, reason, created FROM bans ORDER BY id")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes an account and its stats rows; `false` if there was none.
    /// Match history keeps the handle.
    pub fn delete_user(&mut self, canonical: &str) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute("DELETE FROM users WHERE handle = ?1", [canonical])?;
        if n == 0 {
            return Ok(false);
        }
        tx.execute("DELETE FROM stats WHERE handle = ?1", [canonical])?;
        tx.commit()?;
        Ok(true)
    }

    /// See `Store::apply_game_reports`.
    pub fn apply_game_reports(
        &mut self,
        reports: &[ReportWrite<'_>],
        rank_now: &mut dyn FnMut(&str, &'static str) -> bool,
    ) -> Result<Vec<Result<Updated, StoreError>>, StoreError> {
        let mut tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = Vec::with_capacity(reports.len());
        for r in reports {
            let sp = tx.savepoint()?;
            match write_report(&sp, r) {
                Ok(w) => {
                    sp.commit()?;
                    written.push(Ok(w));
                }
                Err(e) => {
                    // Rolls back to the savepoint; if even that fails the
                    // transaction is lost and so is the whole batch.
                    sp.finish()?;
                    written.push(Err(e));
                }
            }
        }
        for (game, key) in report::games_to_rank(reports, &written) {
            if rank_now(game, key) {
                renumber(&tx, game, key)?;
            }
        }
        let out = report::answers(reports, written, |key, game| read_stats(&tx, key, game))?;
        tx.commit()?;
        Ok(out)
    }

    /// See `Store::rank_games`.
    pub fn rank_games(&mut self, games: &[(String, &'static str)]) -> Result<(), StoreError> {
        report::check_ranking_keys(games)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (game, key) in games {
            renumber(&tx, game, key)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The top `limit` ranked rows of a game: (position, handle, high score),
    /// position ascending; unranked rows (ranking 0) are left out.
    pub fn rankings(
        &self,
        game: &str,
        limit: usize,
    ) -> Result<Vec<(u32, String, i64)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(
            "SELECT ranking, handle, highscore FROM stats
             WHERE game = ?1 AND ranking <> 0
             ORDER BY ranking, rowid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![game, limit], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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
        self.conn.execute(
            "INSERT INTO savegames (date, game, owner, savegame, tablekey)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (game, owner) DO UPDATE SET
                 date = excluded.date, savegame = excluded.savegame,
                 tablekey = excluded.tablekey",
            params![now, game, owner, savegame, table_key],
        )?;
        Ok(())
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
        self.conn.execute(
            "INSERT INTO savegameplayers (tablekey, seat, handle, seattype)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tablekey, seat) DO UPDATE SET
                 handle = excluded.handle, seattype = excluded.seattype",
            params![table_key, seat, handle, seat_type],
        )?;
        Ok(())
    }

    /// Forgets the recorded seats of a table that has no savegame.
    pub fn clear_table_seats(&mut self, table_key: &str) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM savegameplayers WHERE tablekey = ?1
             AND NOT EXISTS (SELECT 1 FROM savegames WHERE tablekey = ?1)",
            [table_key],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes and returns every saved game of `game` with its seats, oldest
    /// first, for restoration at startup.
    pub fn take_savegames(&mut self, game: &str) -> Result<Vec<SavedGame>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut games: Vec<SavedGame> = {
            let mut stmt = tx.prepare(
                "SELECT date, game, owner, savegame, tablekey FROM savegames
                 WHERE game = ?1 ORDER BY date, rowid",
            )?;
            let rows = stmt.query_map([game], |row| {
                Ok(SavedGame {
                    date: row.get(0)?,
                    game: row.get(1)?,
                    owner: row.get(2)?,
                    savegame: row.get(3)?,
                    table_key: row.get(4)?,
                    seats: Vec::new(),
                })
            })?;
            rows.collect::<Result<_, _>>()?
        };
        {
            let mut seats = tx.prepare(
                "SELECT seat, seattype, handle FROM savegameplayers
                 WHERE tablekey = ?1 ORDER BY seat",
            )?;
            for g in &mut games {
                let rows = seats.query_map([&g.table_key], |row| {
                    Ok(SavedSeat {
                        seat: row.get(0)?,
                        seat_type: row.get(1)?,
                        handle: row.get(2)?,
                    })
                })?;
                g.seats = rows.collect::<Result<_, _>>()?;
            }
        }
        tx.execute(
            "DELETE FROM savegameplayers
             WHERE tablekey IN (SELECT tablekey FROM savegames WHERE game = ?1)",
            [game],
        )?;
        tx.execute("DELETE FROM savegames WHERE game = ?1", [game])?;
        tx.commit()?;
        Ok(games)
    }
}

/// Writes one report inside the caller's transaction (see
/// `Store::apply_game_report`).
fn write_report(conn: &Connection, r: &ReportWrite<'_>) -> Result<report::Written, StoreError> {
    let (game, flags, participants, savegame, now) =
        (r.game, r.flags, r.participants, r.savegame, r.now);
    if !savegame.is_empty() {
        close_savegame(conn, game, savegame)?;
    }
    if !flags.any() {
        return Ok(None);
    }

    let keys = report::stats_keys(participants);
    let rows = report::rows_after(flags, participants, &keys, |key| {
        read_stats(conn, key, game)
    })?;
    let winner = report::single_winner(participants, &keys);
    conn.execute(
        "INSERT INTO matches (date, game, winner, savegame) VALUES (?1, ?2, ?3, ?4)",
        params![now, game, winner, savegame],
    )?;
    let match_id = conn.last_insert_rowid();
    {
        let mut add_player = conn
            .prepare("INSERT INTO matchplayers (match, handle, playertype) VALUES (?1, ?2, ?3)")?;
        let mut upsert = conn.prepare_cached(
            "INSERT INTO stats (handle, game, wins, losses, ties, forfeits, rating, highscore)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (handle, game) DO UPDATE SET
                     wins = excluded.wins, losses = excluded.losses,
                     ties = excluded.ties, forfeits = excluded.forfeits,
                     rating = excluded.rating, highscore = excluded.highscore",
        )?;
        for ((p, key), row) in participants.iter().zip(&keys).zip(&rows) {
            add_player.execute(params![match_id, key, p.player_type()])?;
            if key.is_empty() {
                continue;
            }
            upsert.execute(params![
                key,
                game,
                row.wins,
                row.losses,
                row.ties,
                row.forfeits,
                row.rating,
                row.highscore
            ])?;
        }
    }

    Ok(Some((keys, rows)))
}

/// Numbers a game's rows 1, 2, ... by `key` descending. Positions are
/// 1-based; equal keys keep insertion (rowid) order. Only rows whose
/// position changes are written: a report moves a few players, and
/// rewriting every row of the game cost each report (and each commit) as
/// many row writes as the game has players.
fn renumber(conn: &Connection, game: &str, key: &str) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "UPDATE stats SET ranking = r.pos
                 FROM (SELECT rowid AS rid,
                              row_number() OVER (ORDER BY {key} DESC, rowid) AS pos
                       FROM stats WHERE game = ?1) AS r
                 WHERE stats.rowid = r.rid AND stats.ranking <> r.pos"
    ))?
    .execute([game])?;
    Ok(())
}

fn read_stats(
    conn: &Connection,
    handle: &str,
    game: &str,
) -> Result<Option<StatsRecord>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {STATS_COLUMNS} FROM stats WHERE handle = ?1 AND game = ?2"
        ))?
        .query_row([handle, game], |row| stats_from_row(row, 0))
        .optional()?)
}

/// Deletes the saved game(s) named `savegame` of `game` and their seats:
/// the final report of a saved game closes it.
fn close_savegame(conn: &Connection, game: &str, savegame: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM savegameplayers WHERE tablekey IN
             (SELECT tablekey FROM savegames WHERE game = ?1 AND savegame = ?2)",
        [game, savegame],
    )?;
    conn.execute(
        "DELETE FROM savegames WHERE game = ?1 AND savegame = ?2",
        [game, savegame],
    )?;
    Ok(())
}

/// Account administration (used by `ggzduedit`). Every method is one short
/// statement or transaction, so it is safe while ggzd runs.
impl SqliteStore {
    /// Sets an account's real name (truncated to 32 bytes); `false` if there
    /// is no such account.
    pub fn set_real_name(&self, canonical: &str, real_name: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE users SET name = ?2 WHERE handle = ?1",
            params![canonical, truncate_utf8(real_name, MAX_INFO_BYTES)],
        )?;
        Ok(n > 0)
    }

    /// Sets an account's email address (truncated to 32 bytes); `false` if
    /// there is no such account.
    pub fn set_email(&self, canonical: &str, email: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE users SET email = ?2 WHERE handle = ?1",
            params![canonical, truncate_utf8(email, MAX_INFO_BYTES)],
        )?;
        Ok(n > 0)
    }

    /// Marks an account confirmed or unconfirmed (docs/config-and-data.md §7.3);
    /// `false` if there is no such account.
    pub fn set_confirmed(&self, canonical: &str, confirmed: bool) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE users SET confirmed = ?2 WHERE handle = ?1",
            params![canonical, confirmed],
        )?;
        Ok(n > 0)
    }

    /// Deletes a player's stats rows, for one game or for all, so the
    /// player is back to the defaults; returns how many rows went. The
    /// remaining ranked rows of each affected game are renumbered 1, 2, ...
    /// in their previous order, so the ranking has no gap.
    pub fn reset_stats(&mut self, handle: &str, game: Option<&str>) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let games: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT game FROM stats WHERE handle = ?1 AND (?2 IS NULL OR game = ?2)",
            )?;
            let rows = stmt.query_map(params![handle, game], |row| row.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let removed = tx.execute(
            "DELETE FROM stats WHERE handle = ?1 AND (?2 IS NULL OR game = ?2)",
            params![handle, game],
        )?;
        for game in &games {
            tx.execute(
                "UPDATE stats SET ranking = r.pos
                 FROM (SELECT rowid AS rid,
                              row_number() OVER (ORDER BY ranking, rowid) AS pos
                       FROM stats WHERE game = ?1 AND ranking <> 0) AS r
                 WHERE stats.rowid = r.rid",
                [game],
            )?;
        }
        tx.commit()?;
        Ok(removed)
    }

    /// Creates an account taken over from an original ggzd database,
    /// keeping its login times. Like [`SqliteStore::create_user`] it never
    /// replaces an existing account and deletes stats rows left under the
    /// handle. Returns after commit.
    pub fn import_user(&mut self, user: &ImportedUser<'_>) -> Result<CreateOutcome, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO users
                 (handle, password, name, email, lastlogin, firstlogin, permissions, confirmed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (handle) DO NOTHING",
            params![
                user.handle,
                user.password,
                truncate_utf8(user.real_name, MAX_INFO_BYTES),
                truncate_utf8(user.email, MAX_INFO_BYTES),
                user.last_login,
                user.first_login,
                user.permissions,
                user.confirmed,
            ],
        )?;
        if inserted == 0 {
            return Ok(CreateOutcome::AlreadyExists);
        }
        let id = tx.last_insert_rowid();
        tx.execute("DELETE FROM stats WHERE handle = ?1", [user.handle])?;
        tx.commit()?;
        Ok(CreateOutcome::Created(id))
    }
}
