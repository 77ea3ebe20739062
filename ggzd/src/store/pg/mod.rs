//! The PostgreSQL backend of the store.
//!
//! One [`PgStore`] holds at most one connection, opened on first use and
//! again on the first job after it broke: if the server goes away, the
//! jobs that need it fail with [`StoreError::Postgres`] (the zone answers
//! them like any store error) and the next job reconnects, with no restart.
//! The blocking `postgres` client fits the worker threads: each client
//! drives its connection on a current-thread runtime inside its own calls,
//! so no thread and no async code reach ggzd's event loop.
//!
//! SQLite serialises writers with `BEGIN IMMEDIATE`; here every
//! read-modify-write of one game's stats or savegames takes a transaction
//! advisory lock on that game instead, so concurrent reports (from several
//! workers, or later several nodes) never lose an update and rankings stay
//! consistent. Account creation is one `INSERT ... ON CONFLICT` and needs
//! none.

mod accounts;
mod copy;
mod games;
pub mod health;
mod replays;
pub mod schema;
pub mod target;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use postgres::types::FromSql;
use postgres::{Client, NoTls, Row, Statement};

pub use health::Health;
pub use target::PgTarget;

use super::StoreError;

/// First key of every advisory lock ggzd takes (an arbitrary constant), so
/// its locks never collide with another application's on the same server.
pub(crate) const LOCK_NAMESPACE: i32 = 0x6767_7A64;

/// Second keys, per purpose, of the advisory locks on one game.
const LOCK_REPORTS: i32 = 1;
const LOCK_SAVEGAMES: i32 = 2;

/// One live connection and the statements prepared on it.
struct Conn {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
}

impl Conn {
    /// A statement prepared once per connection: for the queries every
    /// login runs, which would otherwise cost a parse round trip each.
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(stmt) = self.prepared.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql)?;
        self.prepared.insert(sql, stmt.clone());
        Ok(stmt)
    }
}

/// The store on a PostgreSQL database.
pub struct PgStore {
    target: PgTarget,
    /// `None` until first use and after the connection broke. A `RefCell`
    /// because the store's reading methods take `&self`, as SQLite's do;
    /// a store belongs to one thread at a time.
    conn: RefCell<Option<Conn>>,
    /// Shared with the other workers' stores: while the server is away,
    /// connections are attempted by one worker at a time, with backoff.
    health: Option<Arc<Health>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects and migrates the schema now, so a wrong URL or a database
    /// from a newer ggzd is reported at once.
    pub fn open(target: &PgTarget) -> Result<PgStore, StoreError> {
        let store = PgStore {
            target: target.clone(),
            conn: RefCell::new(None),
            health: None,
        };
        store.with(|_| Ok(()))?;
        Ok(store)
    }

    /// From now on, connection attempts go through `health` (ggzd's
    /// workers share one; tools connect directly).
    pub fn watch_health(&mut self, health: Arc<Health>) {
        self.health = Some(health);
    }

    /// One round trip to the server, connecting first if an attempt is
    /// due: an idle worker noticing the server is back.
    pub fn probe(&self) -> Result<(), StoreError> {
        self.with(|c| Ok(c.client.batch_execute("SELECT 1")?))
    }

    /// A new connection, through the shared gate: while the server is
    /// known to be away, this fails at once unless this caller's attempt
    /// is due.
    fn reconnect(&self) -> Result<Conn, StoreError> {
        let Some(health) = &self.health else {
            return self.connect();
        };
        let probe = match health.gate(Instant::now()) {
            health::Gate::Go => false,
            health::Gate::Probe => true,
            health::Gate::FailFast { down_for } => {
                return Err(StoreError::Unavailable(format!(
                    "{} unreachable for {} s",
                    self.target.shown(),
                    down_for.as_secs()
                )));
            }
        };
        match self.connect() {
            Ok(conn) => {
                health.connected(Instant::now());
                Ok(conn)
            }
            Err(e) => {
                health.connect_failed(Instant::now(), probe, &e);
                Err(e)
            }
        }
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        let mut client = self.target.config.connect(NoTls).map_err(|e| {
            StoreError::Unavailable(format!("cannot connect to {}: {e}", self.target.shown()))
        })?;
        schema::migrate(&mut client)?;
        Ok(Conn {
            client,
            prepared: HashMap::new(),
        })
    }

    /// Runs `f` on the connection, opening it first if needed. An error
    /// that is not the server refusing a statement (a broken socket, a
    /// timeout, the server shutting down) drops the connection, so the
    /// next call starts afresh.
    fn with<T>(
        &self,
        mut f: impl FnMut(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut slot = self
            .conn
            .try_borrow_mut()
            .map_err(|_| StoreError::Corrupt("store used re-entrantly".into()))?;
        let (mut conn, reused) = match slot.take() {
            Some(conn) if !conn.client.is_closed() => (conn, true),
            _ => (self.reconnect()?, false),
        };
        let mut result = f(&mut conn);
        if reused && is_broken(&result, &conn) {
            // A connection that sat idle while the server restarted or
            // went away fails on first use, before the server saw
            // anything of `f` (or in the middle of a transaction the
            // server then rolled back): one more try on a new connection
            // either works or finds the server away. (Only a COMMIT whose
            // answer was lost with the socket could be applied twice; the
            // window is one round trip at the moment the server dies.)
            log::info!(
                "the database connection to {} was closed; connecting again",
                self.target.shown()
            );
            conn = self.reconnect()?;
            result = f(&mut conn);
        }
        if !is_broken(&result, &conn)
            && let Some(health) = &self.health
        {
            // The server answered: whatever failed before, it is back.
            health.connected(Instant::now());
        }
        if is_broken(&result, &conn) {
            log::warn!(
                "lost the database connection to {}; reconnecting on the next request",
                self.target.shown()
            );
        } else {
            *slot = Some(conn);
        }
        result
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.with(|c| schema::version(&mut c.client))
    }

    /// Runs raw SQL (tests: the same checks as on SQLite).
    #[cfg(test)]
    pub(crate) fn raw_exec(&self, sql: &str) -> Result<(), StoreError> {
        self.with(|c| Ok(c.client.batch_execute(sql)?))
    }

    /// The first column of every row of a raw query, as text (tests).
    #[cfg(test)]
    pub(crate) fn raw_strings(&self, sql: &str) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            c.client
                .query(sql, &[])?
                .iter()
                .map(|r| col::<String>(r, 0))
                .collect()
        })
    }
}

/// An error that is not the server refusing a statement (a broken socket,
/// a timeout, the server shutting down): the connection is useless.
fn is_broken<T>(result: &Result<T, StoreError>, conn: &Conn) -> bool {
    match result {
        Err(StoreError::Postgres(e)) => e.as_db_error().is_none() || conn.client.is_closed(),
        _ => false,
    }
}

/// Column `i` of `row`, or [`StoreError::Corrupt`] when it does not hold a
/// `T` (never a panic on what the database holds).
pub(crate) fn col<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

/// A counter column (BIGINT) as the `u32` the records use.
pub(crate) fn col_u32(row: &Row, i: usize) -> Result<u32, StoreError> {
    let v: i64 = col(row, i)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("column {i}: {v} out of range")))
}
