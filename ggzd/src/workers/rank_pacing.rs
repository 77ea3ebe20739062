//! How often a game's rankings are renumbered (docs/config-and-data.md
//! §10.7).
//!
//! Renumbering sorts every stats row of the game, and a busy rated queue
//! stores hundreds of report batches a second: ranking after each cost
//! the server more CPU than the reports themselves, for a position nobody
//! needs to the millisecond. So a game is renumbered at once when it was
//! not renumbered within the interval, and otherwise *owes* one renumbering,
//! due when the interval is over. Ratings and records are written by every
//! report as before; only the positions may be up to one interval old.
//!
//! Shared by the workers behind a mutex. Pure: every call takes `now`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A game's rankings are renumbered at most once per interval (and at once
/// after a quiet one).
pub const RANK_INTERVAL: Duration = Duration::from_secs(1);

/// Games paced at once, at most. Games come from the configuration, so
/// this is never reached in practice; past it, a game is ranked at once
/// (unpaced) rather than remembered.
const MAX_GAMES: usize = 1024;

/// A game and its ranking order (`StatsFlags::ranking_key`).
pub type RankedGame = (String, &'static str);

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The last renumbering (or the last attempt at one).
    last: Instant,
    /// A report came after `last`, within the interval: renumber at
    /// `last + interval`.
    owed: bool,
}

#[derive(Debug)]
pub struct RankPacing {
    interval: Duration,
    games: HashMap<RankedGame, Entry>,
    /// Report batches being stored: each may leave a game owed, which the
    /// worker waiting for jobs must come back for.
    batches: usize,
}

impl Default for RankPacing {
    fn default() -> Self {
        RankPacing::new(RANK_INTERVAL)
    }
}

impl RankPacing {
    pub fn new(interval: Duration) -> RankPacing {
        RankPacing {
            interval,
            games: HashMap::new(),
            batches: 0,
        }
    }

    /// A report of `game` was written: renumber it now (true, and it
    /// counts as renumbered at `now`), or later (false, it is owed).
    pub fn decide(&mut self, game: &str, key: &'static str, now: Instant) -> bool {
        let interval = self.interval;
        let id = (game.to_owned(), key);
        if let Some(entry) = self.games.get_mut(&id) {
            if now < entry.last + interval {
                entry.owed = true;
                return false;
            }
            *entry = Entry {
                last: now,
                owed: false,
            };
            return true;
        }
        if self.games.len() >= MAX_GAMES {
            self.forget_quiet(now);
        }
        if self.games.len() < MAX_GAMES {
            self.games.insert(
                id,
                Entry {
                    last: now,
                    owed: false,
                },
            );
        }
        true
    }

    /// The owed games whose time has come, each marked renumbered at `now`.
    pub fn take_due(&mut self, now: Instant) -> Vec<RankedGame> {
        let interval = self.interval;
        let mut due = Vec::new();
        for (id, entry) in &mut self.games {
            if entry.owed && entry.last + interval <= now {
                *entry = Entry {
                    last: now,
                    owed: false,
                };
                due.push(id.clone());
            }
        }
        due.sort_unstable();
        due
    }

    /// Renumbering `games` failed (or the batch that was to do it): they
    /// are owed again, retried after another interval (or by the next
    /// report after it).
    pub fn owe_again(&mut self, games: &[RankedGame], now: Instant) {
        for id in games {
            self.games.insert(
                id.clone(),
                Entry {
                    last: now,
                    owed: true,
                },
            );
        }
    }

    /// When the earliest owed renumbering is due.
    pub fn next_due(&self) -> Option<Instant> {
        let interval = self.interval;
        self.games
            .values()
            .filter(|e| e.owed)
            .map(|e| e.last + interval)
            .min()
    }

    /// When the worker waiting for jobs must wake up, at the latest: the
    /// next due renumbering, and, while report batches are being stored
    /// (which may owe one it cannot see yet), one interval from now.
    pub fn wake_at(&self, now: Instant) -> Option<Instant> {
        let busy = (self.batches > 0).then(|| now + self.interval);
        match (self.next_due(), busy) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A worker took a batch of reports (called while it still holds the
    /// job queue, so the next waiter sees it).
    pub fn batch_started(&mut self) {
        self.batches = self.batches.saturating_add(1);
    }

    pub fn batch_ended(&mut self) {
        self.batches = self.batches.saturating_sub(1);
    }

    /// Drops entries that mean nothing any more: not owed and older than
    /// the interval, which is what an absent entry means.
    fn forget_quiet(&mut self, now: Instant) {
        let interval = self.interval;
        self.games.retain(|_, e| e.owed || now < e.last + interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = RANK_INTERVAL;

    #[test]
    fn the_first_report_ranks_at_once() {
        let mut p = RankPacing::default();
        assert!(p.decide("Chess", "rating", Instant::now()));
        assert_eq!(p.next_due(), None);
    }

    #[test]
    fn a_report_within_the_interval_is_owed_until_last_plus_interval() {
        let t0 = Instant::now();
        let mut p = RankPacing::default();
        assert!(p.decide("Chess", "rating", t0));
        assert!(!p.decide("Chess", "rating", t0 + SEC / 2));
        assert_eq!(p.next_due(), Some(t0 + SEC));
        assert!(p.take_due(t0 + SEC / 2).is_empty(), "not due yet");
    }

    #[test]
    fn several_owed_reports_give_one_due_entry_taken_once() {
        let t0 = Instant::now();
        let mut p = RankPacing::default();
        assert!(p.decide("Chess", "rating", t0));
        for ms in [10, 20, 500, 900] {
            assert!(!p.decide("Chess", "rating", t0 + Duration::from_millis(ms)));
        }
        let at = t0 + SEC;
        assert_eq!(p.take_due(at), vec![("Chess".to_owned(), "rating")]);
        assert!(p.take_due(at + SEC).is_empty(), "taken once");
        assert_eq!(p.next_due(), None);
        // Taking it counts as a renumbering: a report right after is owed.
        assert!(!p.decide("Chess", "rating", at + SEC / 2));
        assert_eq!(p.next_due(), Some(at + SEC));
    }

    #[test]
    fn quiet_again_ranks_at_once() {
        let t0 = Instant::now();
        let mut p = RankPacing::default();
        assert!(p.decide("Chess", "rating", t0));
        assert!(p.decide("Chess", "rating", t0 + SEC));
        // An owed renumbering nobody took yet is done by the next report
        // after its time, and is no longer owed.
        assert!(!p.decide("Chess", "rating", t0 + SEC + SEC / 2));
        assert!(p.decide("Chess", "rating", t0 + SEC * 3));
        assert_eq!(p.next_due(), None);
    }

    #[test]
    fn games_and_orders_are_paced_apart() {
        let t0 = Instant::now();
        let mut p = RankPacing::default();
        assert!(p.decide("Chess", "rating", t0));
        assert!(p.decide("Go", "rating", t0));
        assert!(p.decide("Chess", "highscore", t0));
        assert!(!p.decide("Go", "rating", t0 + SEC / 4));
        assert_eq!(p.take_due(t0 + SEC), vec![("Go".to_owned(), "rating")]);
    }

    #[test]
    fn a_failed_renumbering_is_owed_again() {
        let t0 = Instant::now();
        let mut p = RankPacing::default();
        assert!(p.decide("Chess", "rating", t0));
        assert!(!p.decide("Chess", "rating", t0 + SEC / 2));
        let due = p.take_due(t0 + SEC);
        p.owe_again(&due, t0 + SEC);
        assert_eq!(p.next_due(), Some(t0 + SEC * 2));
        assert_eq!(p.take_due(t0 + SEC * 2), due);
    }

    #[test]
    fn the_waiter_wakes_for_owed_ranks_and_while_batches_run() {
        let t0 = Instant::now();
        let mut p = RankPacing::default();
        assert_eq!(p.wake_at(t0), None, "nothing to wake for");
        p.batch_started();
        assert_eq!(p.wake_at(t0), Some(t0 + SEC));
        assert!(p.decide("Chess", "rating", t0));
        assert!(!p.decide("Chess", "rating", t0 + SEC / 4));
        p.batch_ended();
        assert_eq!(p.wake_at(t0 + SEC / 2), Some(t0 + SEC));
        p.take_due(t0 + SEC);
        assert_eq!(p.wake_at(t0 + SEC), None);
    }

    #[test]
    fn the_games_remembered_are_bounded() {
        let t0 = Instant::now();
        let mut p = RankPacing::default();
        for i in 0..MAX_GAMES + 10 {
            assert!(p.decide(&format!("g{i}"), "rating", t0));
        }
        assert_eq!(p.games.len(), MAX_GAMES);
        // Quiet entries make room again.
        assert!(p.decide("late", "rating", t0 + SEC));
        assert_eq!(p.games.len(), 1);
    }
}
