//! Database schema and its migrations.
//!
//! The schema version lives in `PRAGMA user_version`. Each entry of
//! [`MIGRATIONS`] takes the database from version `i` to `i + 1`; they run
//! in order inside one `BEGIN IMMEDIATE` transaction, so concurrent openers
//! (several ggzd workers, ggzduedit) never migrate twice and a failed
//! migration leaves the file as it was. Never edit a released step: append
//! a new one.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Version 1: users, stats, matches, savegames and bans.
///
/// Column names follow the original schema (docs/config-and-data.md §9.1, §10)
/// where it had them, so importers and readers can map one to one. Times
/// are Unix seconds. Savegame tables use one `tablekey` text column for the
/// original's (tableid, stamp) pair.
const V1: &str = "
CREATE TABLE users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    handle      TEXT    NOT NULL UNIQUE,
    password    TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    lastlogin   INTEGER NOT NULL DEFAULT 0,
    permissions INTEGER NOT NULL DEFAULT 7,
    firstlogin  INTEGER NOT NULL DEFAULT 0,
    confirmed   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE stats (
    handle    TEXT    NOT NULL,
    game      TEXT    NOT NULL,
    wins      INTEGER NOT NULL DEFAULT 0,
    losses    INTEGER NOT NULL DEFAULT 0,
    ties      INTEGER NOT NULL DEFAULT 0,
    forfeits  INTEGER NOT NULL DEFAULT 0,
    rating    REAL    NOT NULL DEFAULT 1500,
    ranking   INTEGER NOT NULL DEFAULT 0,
    highscore INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (handle, game)
);
CREATE INDEX stats_game_ranking ON stats (game, ranking);

CREATE TABLE matches (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    date     INTEGER NOT NULL,
    game     TEXT    NOT NULL,
    winner   TEXT    NOT NULL DEFAULT '',
    savegame TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE matchplayers (
    match      INTEGER NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    handle     TEXT    NOT NULL,
    playertype TEXT    NOT NULL
);
CREATE INDEX matchplayers_match ON matchplayers (match);
CREATE INDEX matchplayers_handle ON matchplayers (handle);

CREATE TABLE savegames (
    date     INTEGER NOT NULL,
    game     TEXT    NOT NULL,
    owner    TEXT    NOT NULL,
    savegame TEXT    NOT NULL,
    tablekey TEXT    NOT NULL,
    UNIQUE (game, owner)
);

CREATE TABLE savegameplayers (
    tablekey TEXT    NOT NULL,
    seat     INTEGER NOT NULL,
    handle   TEXT    NOT NULL DEFAULT '',
    seattype TEXT    NOT NULL,
    PRIMARY KEY (tablekey, seat)
);

CREATE TABLE bans (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT    NOT NULL,
    address TEXT,
    expires INTEGER,
    reason  TEXT    NOT NULL DEFAULT '',
    created INTEGER NOT NULL
);
CREATE INDEX bans_name ON bans (name);
";

/// Version 2: played games kept for replays and restore (docs/replays.md):
/// one row per game with its sealed event log, its seats (`handle` is the
/// canonical name, for listing a player's games), and the zone secrets
/// (the replay seal's key, shared by every ggzd on the database).
const V2: &str = "
CREATE TABLE zone_secrets (
    name   TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);

CREATE TABLE played_games (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    game   TEXT    NOT NULL,
    ended  INTEGER NOT NULL,
    status TEXT    NOT NULL,
    events INTEGER NOT NULL,
    log    BLOB    NOT NULL,
    seal   BLOB    NOT NULL
);
CREATE INDEX played_games_ended ON played_games (ended);

CREATE TABLE played_seats (
    played   INTEGER NOT NULL REFERENCES played_games (id) ON DELETE CASCADE,
    seat     INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    handle   TEXT    NOT NULL,
    seattype TEXT    NOT NULL,
    result   TEXT    NOT NULL,
    PRIMARY KEY (played, seat)
);
CREATE INDEX played_seats_handle ON played_seats (handle, played);
";

/// Migration steps; step `i` upgrades version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`].
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    // Cheap check first: an up-to-date database needs no write lock.
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read under the lock: another connection may have migrated meanwhile.
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    let Ok(start) = usize::try_from(found) else {
        return Err(StoreError::Corrupt(format!(
            "negative schema version {found}"
        )));
    };
    for (i, step) in MIGRATIONS.iter().enumerate().skip(start) {
        tx.execute_batch(step)?;
        log::info!("database schema migrated to version {}", i + 1);
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}
