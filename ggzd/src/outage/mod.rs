//! What the workers share to ride out a PostgreSQL outage
//! (docs/postgresql.md §5): the store's reachability
//! (`store/pg/health.rs`), game results waiting to be written
//! (`deferred.rs`), registered names seen (`names.rs`), and the answer a
//! job gets when the job queue is full (`refuse.rs`).

pub mod deferred;
pub mod names;
pub mod refuse;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::store::pg::Health;

pub use deferred::{Deferred, DeferredWrites};

pub use names::KnownNames;

/// Game results and savegames held while the store is away.
pub const MAX_DEFERRED: usize = 1024;
/// Longest a PostgreSQL store goes unchecked while no job needs it.
pub const IDLE_CHECK: Duration = Duration::from_secs(15);
/// Registered names remembered for guest logins during an outage.
pub const MAX_KNOWN_NAMES: usize = 100_000;

/// Shared by every worker thread.
#[derive(Debug)]
pub struct Outage {
    /// `None` on SQLite, which has no server to lose.
    pub health: Option<Arc<Health>>,
    deferred: Mutex<DeferredWrites>,
    names: Mutex<KnownNames>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every method behind these locks leaves a consistent state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Outage {
    pub fn new(health: Option<Arc<Health>>) -> Outage {
        Outage {
            health,
            deferred: Mutex::new(DeferredWrites::new(MAX_DEFERRED)),
            names: Mutex::new(KnownNames::new(MAX_KNOWN_NAMES)),
        }
    }

    /// True unless the store is known to be away.
    pub fn store_up(&self) -> bool {
        self.health.as_ref().is_none_or(|h| h.is_up())
    }

    /// How long an idle worker sleeps before it looks at the server:
    /// while the store is away, until the next attempt is due; while it
    /// is up, [`IDLE_CHECK`], so an outage shows on `/metrics` even when
    /// nobody needs the store. `None` on SQLite (sleep until a job comes).
    pub fn idle_wait(&self, now: Instant) -> Option<Duration> {
        let health = self.health.as_ref()?;
        Some(health.idle_wait(now).unwrap_or(IDLE_CHECK))
    }

    pub fn deferred(&self) -> MutexGuard<'_, DeferredWrites> {
        lock(&self.deferred)
    }

    pub fn names(&self) -> MutexGuard<'_, KnownNames> {
        lock(&self.names)
    }

    /// For `/metrics`: (store up, outages so far, writes waiting).
    pub fn gauges(&self) -> crate::metrics::StoreGauges {
        // One guard, taken and dropped in its own statement: a second
        // `deferred()` in the same expression would wait on the first.
        let (deferred, deferred_dropped) = {
            let queue = self.deferred();
            (queue.len(), queue.dropped())
        };
        crate::metrics::StoreGauges {
            watched: self.health.is_some(),
            up: self.store_up(),
            outages: self.health.as_ref().map_or(0, |h| h.outages()),
            deferred,
            deferred_dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_read_the_queue_without_waiting_on_themselves() {
        let outage = Outage::new(Some(Arc::new(Health::new("db"))));
        let save = Deferred::Savegame {
            game: "g".into(),
            owner: "o".into(),
            savegame: "s".into(),
            table_key: "k".into(),
            now: 0,
        };
        assert!(outage.deferred().push(save).is_ok());
        let g = outage.gauges();
        assert!(g.watched && g.up);
        assert_eq!((g.deferred, g.deferred_dropped, g.outages), (1, 0, 0));
        assert!(!Outage::new(None).gauges().watched);
        assert_eq!(Outage::new(None).idle_wait(Instant::now()), None);
        assert_eq!(outage.idle_wait(Instant::now()), Some(IDLE_CHECK));
    }
}
