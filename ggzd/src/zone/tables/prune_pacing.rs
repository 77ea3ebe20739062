//! How often a game's savegame directory is pruned.
//!
//! Pruning reads the whole directory, so doing it at every table end cost a
//! busy server several percent of its CPU. Retention is a bound on disk
//! use, not an exact count at every instant: at most one prune per game
//! per interval, and a table end inside the interval schedules one prune
//! at its end, so the last files are never left unpruned.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The interval of the played games' retention (docs/replays.md §3).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(5);
/// The interval of a game directory's retention. Shorter: pruned event
/// logs become the spares the next tables' logs take
/// (docs/event-log.md §1), and at hundreds of games a second a 5 s
/// interval let the spares run out between two prunes, so a third of the
/// logs were created anew (BENCHMARKS.md, session 9). The directory read
/// once a second is a small price next to that.
pub const SAVEGAME_PRUNE_INTERVAL: Duration = Duration::from_secs(1);

/// What to do about a table end that saved a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prune {
    /// Prune now.
    Now,
    /// Set a timer for this instant, then call [`PrunePacing::due`].
    At(Instant),
    /// A prune is already scheduled.
    Scheduled,
}

#[derive(Debug)]
pub struct PrunePacing {
    interval: Duration,
    /// Per game: the last prune, and whether a later one is scheduled.
    games: HashMap<usize, (Instant, bool)>,
}

impl Default for PrunePacing {
    fn default() -> Self {
        PrunePacing::every(PRUNE_INTERVAL)
    }
}

impl PrunePacing {
    pub fn every(interval: Duration) -> PrunePacing {
        PrunePacing {
            interval,
            games: HashMap::new(),
        }
    }

    pub fn table_ended(&mut self, game: usize, now: Instant) -> Prune {
        match self.games.get_mut(&game) {
            Some((_, true)) => Prune::Scheduled,
            Some((last, scheduled)) if now < *last + self.interval => {
                *scheduled = true;
                Prune::At(*last + self.interval)
            }
            _ => {
                self.games.insert(game, (now, false));
                Prune::Now
            }
        }
    }

    /// The scheduled prune's timer fired: prune now.
    pub fn due(&mut self, game: usize, now: Instant) {
        self.games.insert(game, (now, false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_prune_per_interval_and_a_late_one_for_ends_inside_it() {
        let t0 = Instant::now();
        let mut pacing = PrunePacing::default();
        assert_eq!(pacing.table_ended(1, t0), Prune::Now);
        let later = t0 + PRUNE_INTERVAL;
        assert_eq!(
            pacing.table_ended(1, t0 + Duration::from_secs(1)),
            Prune::At(later)
        );
        assert_eq!(
            pacing.table_ended(1, t0 + Duration::from_secs(2)),
            Prune::Scheduled
        );
        // Another game is paced on its own.
        assert_eq!(pacing.table_ended(2, t0), Prune::Now);
        pacing.due(1, later);
        assert_eq!(
            pacing.table_ended(1, later + Duration::from_secs(1)),
            Prune::At(later + PRUNE_INTERVAL)
        );
        assert_eq!(pacing.table_ended(2, t0 + PRUNE_INTERVAL * 3), Prune::Now);
    }

    #[test]
    fn the_interval_is_the_pacings_own() {
        let t0 = Instant::now();
        let mut pacing = PrunePacing::every(SAVEGAME_PRUNE_INTERVAL);
        assert_eq!(pacing.table_ended(1, t0), Prune::Now);
        assert_eq!(
            pacing.table_ended(1, t0 + SAVEGAME_PRUNE_INTERVAL / 2),
            Prune::At(t0 + SAVEGAME_PRUNE_INTERVAL)
        );
    }
}
