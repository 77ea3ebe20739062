//! Whether the PostgreSQL server can be reached, shared by every worker's
//! store (docs/postgresql.md §5).
//!
//! Without it, each job would try to connect while the server is away:
//! a login storm would become a connection storm against a recovering
//! server, and every job would pay a connection attempt. Instead, the
//! first failed connection marks the store *down*; from then on jobs fail
//! at once, and one worker at a time tries again, with a growing pause
//! between attempts (a jobless worker tries too, so recovery is noticed
//! and logged even when nobody asks). The first success marks it *up*.
//!
//! [`Backoff`] is the pure core, with time passed in; [`Health`] puts it
//! behind a mutex and writes the two log lines operators look for.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Pause after the first failed attempt; doubled after each further one.
pub const FIRST_RETRY: Duration = Duration::from_millis(250);
/// Longest pause between two attempts while the server is away.
pub const MAX_RETRY: Duration = Duration::from_secs(4);

/// What a job about to connect should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The store is up (as far as anyone knows): connect.
    Go,
    /// The store is down and an attempt is due: this caller makes it and
    /// must report the outcome (`connected` or `connect_failed`).
    Probe,
    /// The store is down: fail now, without touching the network.
    FailFast {
        /// How long it has been down.
        down_for: Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Up,
    Down {
        since: Instant,
        retry: Duration,
        next: Instant,
        /// A caller holds the `Probe` ticket.
        probing: bool,
    },
}

/// The state machine of the store's reachability.
#[derive(Debug)]
pub struct Backoff {
    state: State,
    outages: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            state: State::Up,
            outages: 0,
        }
    }
}

impl Backoff {
    pub fn is_up(&self) -> bool {
        self.state == State::Up
    }

    /// Outages so far (transitions from up to down).
    pub fn outages(&self) -> u64 {
        self.outages
    }

    /// Asked before every connection attempt.
    pub fn gate(&mut self, now: Instant) -> Gate {
        match &mut self.state {
            State::Up => Gate::Go,
            State::Down {
                since,
                next,
                probing,
                ..
            } => {
                if !*probing && now >= *next {
                    *probing = true;
                    Gate::Probe
                } else {
                    Gate::FailFast {
                        down_for: now.saturating_duration_since(*since),
                    }
                }
            }
        }
    }

    /// A connection attempt failed. `probe`: it was made with the `Probe`
    /// ticket. True when the store just went down.
    pub fn connect_failed(&mut self, now: Instant, probe: bool) -> bool {
        match &mut self.state {
            State::Up => {
                self.outages += 1;
                self.state = State::Down {
                    since: now,
                    retry: FIRST_RETRY,
                    next: now + FIRST_RETRY,
                    probing: false,
                };
                true
            }
            State::Down {
                retry,
                next,
                probing,
                ..
            } => {
                // Attempts that raced the first failure change nothing.
                if probe {
                    *retry = (*retry * 2).min(MAX_RETRY);
                    *next = now + *retry;
                    *probing = false;
                }
                false
            }
        }
    }

    /// A connection was opened: the store is up. How long it was down,
    /// when this ends an outage.
    pub fn connected(&mut self, now: Instant) -> Option<Duration> {
        match std::mem::replace(&mut self.state, State::Up) {
            State::Up => None,
            State::Down { since, .. } => Some(now.saturating_duration_since(since)),
        }
    }

    /// While down: how long an idle worker may sleep before it should ask
    /// the gate again. `None` while up (sleep until a job comes).
    pub fn idle_wait(&self, now: Instant) -> Option<Duration> {
        match &self.state {
            State::Up => None,
            State::Down { next, probing, .. } => Some(if *probing {
                MAX_RETRY
            } else {
                next.saturating_duration_since(now)
            }),
        }
    }
}

/// [`Backoff`] shared by the workers, with the log lines of its
/// transitions.
#[derive(Debug)]
pub struct Health {
    core: Mutex<Backoff>,
    /// The database as logs show it (no password).
    shown: String,
}

impl Health {
    pub fn new(shown: &str) -> Health {
        Health {
            core: Mutex::new(Backoff::default()),
            shown: shown.to_owned(),
        }
    }

    fn core(&self) -> std::sync::MutexGuard<'_, Backoff> {
        // A worker that panicked holding the lock left a consistent state
        // (every method is a few assignments).
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn gate(&self, now: Instant) -> Gate {
        self.core().gate(now)
    }

    pub fn connect_failed(&self, now: Instant, probe: bool, why: &dyn std::fmt::Display) {
        if self.core().connect_failed(now, probe) {
            log::error!(
                "store unavailable: {why}; requests that need the database are refused \
                 until it is back (ggzd keeps trying)"
            );
        } else {
            log::debug!("store still unavailable: {why}");
        }
    }

    pub fn connected(&self, now: Instant) {
        if let Some(down) = self.core().connected(now) {
            log::warn!(
                "store available again: reconnected to {} after {:.1} s",
                self.shown,
                down.as_secs_f64()
            );
        }
    }

    pub fn is_up(&self) -> bool {
        self.core().is_up()
    }

    pub fn outages(&self) -> u64 {
        self.core().outages()
    }

    pub fn idle_wait(&self, now: Instant) -> Option<Duration> {
        self.core().idle_wait(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_until_a_connection_fails() {
        let t = Instant::now();
        let mut b = Backoff::default();
        assert_eq!(b.gate(t), Gate::Go);
        assert_eq!(b.idle_wait(t), None);
        assert!(b.connect_failed(t, false));
        assert!(!b.is_up());
        assert_eq!(b.outages(), 1);
    }

    #[test]
    fn down_fails_fast_and_hands_out_one_probe_at_a_time() {
        let t = Instant::now();
        let mut b = Backoff::default();
        b.connect_failed(t, false);
        assert_eq!(
            b.gate(t + Duration::from_millis(10)),
            Gate::FailFast {
                down_for: Duration::from_millis(10)
            }
        );
        let due = t + FIRST_RETRY;
        assert_eq!(b.idle_wait(t), Some(FIRST_RETRY));
        assert_eq!(b.gate(due), Gate::Probe);
        assert!(matches!(b.gate(due), Gate::FailFast { .. }));
        assert_eq!(b.idle_wait(due), Some(MAX_RETRY));
    }

    #[test]
    fn failed_probes_double_the_pause_up_to_the_cap() {
        let mut now = Instant::now();
        let mut b = Backoff::default();
        b.connect_failed(now, false);
        let mut pauses = Vec::new();
        for _ in 0..8 {
            let wait = b.idle_wait(now).unwrap();
            now += wait;
            assert_eq!(b.gate(now), Gate::Probe);
            assert!(!b.connect_failed(now, true));
            pauses.push(b.idle_wait(now).unwrap());
        }
        assert_eq!(pauses[0], FIRST_RETRY * 2);
        assert_eq!(pauses[1], FIRST_RETRY * 4);
        assert_eq!(*pauses.last().unwrap(), MAX_RETRY);
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(b.outages(), 1);
    }

    #[test]
    fn racing_failures_do_not_push_the_next_attempt_back() {
        let t = Instant::now();
        let mut b = Backoff::default();
        b.connect_failed(t, false);
        assert!(!b.connect_failed(t + Duration::from_millis(100), false));
        assert_eq!(b.gate(t + FIRST_RETRY), Gate::Probe);
    }

    #[test]
    fn a_connection_ends_the_outage_and_says_how_long_it_was() {
        let t = Instant::now();
        let mut b = Backoff::default();
        assert_eq!(b.connected(t), None);
        b.connect_failed(t, false);
        let back = t + Duration::from_secs(10);
        assert_eq!(b.gate(back), Gate::Probe);
        assert_eq!(b.connected(back), Some(Duration::from_secs(10)));
        assert!(b.is_up());
        assert_eq!(b.gate(back), Gate::Go);
        b.connect_failed(back, false);
        assert_eq!(b.outages(), 2);
    }
}
