//! PostgreSQL schema and its migrations.
//!
//! The same tables and columns as the SQLite schema (`store/schema.rs`,
//! docs/config-and-data.md §9-§10), in PostgreSQL types. The version lives
//! in the one-row table `ggzd_schema`. Each entry of [`MIGRATIONS`] takes
//! the database from version `i` to `i + 1`; they run in order in one
//! transaction under an advisory lock, so concurrent openers (several
//! workers, ggzduedit, later several nodes) never migrate twice and a
//! failed migration leaves the database as it was. Never edit a released
//! step: append a new one.

use postgres::Client;

use super::{LOCK_NAMESPACE, col};
use crate::store::StoreError;

/// Version 1: users, stats, matches, savegames and bans.
///
/// Where SQLite relies on `rowid` for insertion order (ranking ties,
/// savegame order, match players), a `seq` column does that job here.
/// Integers are `BIGINT` throughout, as SQLite's are 64-bit.
const V1: &str = "
CREATE TABLE users (
    id          BIGSERIAL PRIMARY KEY,
    handle      TEXT    NOT NULL UNIQUE,
    password    TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    lastlogin   BIGINT  NOT NULL DEFAULT 0,
    permissions BIGINT  NOT NULL DEFAULT 7,
    firstlogin  BIGINT  NOT NULL DEFAULT 0,
    confirmed   BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE stats (
    seq       BIGSERIAL NOT NULL,
    handle    TEXT    NOT NULL,
    game      TEXT    NOT NULL,
    wins      BIGINT  NOT NULL DEFAULT 0,
    losses    BIGINT  NOT NULL DEFAULT 0,
    ties      BIGINT  NOT NULL DEFAULT 0,
    forfeits  BIGINT  NOT NULL DEFAULT 0,
    rating    DOUBLE PRECISION NOT NULL DEFAULT 1500,
    ranking   BIGINT  NOT NULL DEFAULT 0,
    highscore BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (handle, game)
);
CREATE INDEX stats_game_ranking ON stats (game, ranking);

CREATE TABLE matches (
    id       BIGSERIAL PRIMARY KEY,
    date     BIGINT NOT NULL,
    game     TEXT   NOT NULL,
    winner   TEXT   NOT NULL DEFAULT '',
    savegame TEXT   NOT NULL DEFAULT ''
);

CREATE TABLE matchplayers (
    seq        BIGSERIAL NOT NULL,
    match      BIGINT NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    handle     TEXT   NOT NULL,
    playertype TEXT   NOT NULL
);
CREATE INDEX matchplayers_match ON matchplayers (match);
CREATE INDEX matchplayers_handle ON matchplayers (handle);

CREATE TABLE savegames (
    seq      BIGSERIAL NOT NULL,
    date     BIGINT NOT NULL,
    game     TEXT   NOT NULL,
    owner    TEXT   NOT NULL,
    savegame TEXT   NOT NULL,
    tablekey TEXT   NOT NULL,
    UNIQUE (game, owner)
);

CREATE TABLE savegameplayers (
    tablekey TEXT   NOT NULL,
    seat     BIGINT NOT NULL,
    handle   TEXT   NOT NULL DEFAULT '',
    seattype TEXT   NOT NULL,
    PRIMARY KEY (tablekey, seat)
);

CREATE TABLE bans (
    id      BIGSERIAL PRIMARY KEY,
    name    TEXT   NOT NULL,
    address TEXT,
    expires BIGINT,
    reason  TEXT   NOT NULL DEFAULT '',
    created BIGINT NOT NULL
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
    secret BYTEA NOT NULL
);

CREATE TABLE played_games (
    id     BIGSERIAL PRIMARY KEY,
    game   TEXT    NOT NULL,
    ended  BIGINT  NOT NULL,
    status TEXT    NOT NULL,
    events BIGINT  NOT NULL,
    log    BYTEA   NOT NULL,
    seal   BYTEA   NOT NULL
);
CREATE INDEX played_games_ended ON played_games (ended);

CREATE TABLE played_seats (
    played   BIGINT  NOT NULL REFERENCES played_games (id) ON DELETE CASCADE,
    seat     BIGINT  NOT NULL,
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

/// Advisory lock key (with [`LOCK_NAMESPACE`]) held while migrating.
const LOCK_SCHEMA: i32 = 0;

/// The schema version of the database; 0 before the first migration.
pub(super) fn version(client: &mut Client) -> Result<i64, StoreError> {
    let exists = client.query_one("SELECT to_regclass('ggzd_schema') IS NOT NULL", &[])?;
    if !col::<bool>(&exists, 0)? {
        return Ok(0);
    }
    match client.query_opt("SELECT version FROM ggzd_schema", &[])? {
        Some(row) => col::<i64>(&row, 0),
        None => Ok(0),
    }
}

/// Brings the database up to [`SCHEMA_VERSION`].
pub(super) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    // Cheap check first: an up-to-date database needs no lock.
    if version(client)? == SCHEMA_VERSION {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_NAMESPACE, &LOCK_SCHEMA],
    )?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS ggzd_schema (version BIGINT NOT NULL)")?;
    // Re-read under the lock: another connection may have migrated meanwhile.
    let found = match tx.query_opt("SELECT version FROM ggzd_schema", &[])? {
        Some(row) => col::<i64>(&row, 0)?,
        None => {
            tx.execute("INSERT INTO ggzd_schema (version) VALUES (0)", &[])?;
            0
        }
    };
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
        tx.batch_execute(step)?;
        log::info!("database schema migrated to version {}", i + 1);
    }
    tx.execute("UPDATE ggzd_schema SET version = $1", &[&SCHEMA_VERSION])?;
    tx.commit()?;
    Ok(())
}
