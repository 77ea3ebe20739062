//! When turns are due (docs/lockstep.md §3.4): on a fixed grid, one turn
//! length apart, counted from the start or the last resume.

use std::time::{Duration, Instant};

/// When the turn after one due at `due` and closed at `now` is due: the
/// first slot of the grid (`due` + k·`turn`, k ≥ 1) after `now`.
///
/// A turn that closes a little late does not push the following ones
/// back, so a table keeps the pace its turn length sets and the phase of
/// its own start (tables started at different moments stay apart instead
/// of drifting into step). One that closes more than a turn late skips
/// the slots it missed: turns never come quicker than one per turn length,
/// even after a wait. A zero turn length has no grid: the next turn is due
/// at once.
pub fn next_slot(due: Instant, turn: Duration, now: Instant) -> Instant {
    let late = now.saturating_duration_since(due).as_nanos();
    let Some(missed) = late.checked_div(turn.as_nanos()) else {
        return now;
    };
    u32::try_from(missed.saturating_add(1))
        .ok()
        .and_then(|k| turn.checked_mul(k))
        .and_then(|d| due.checked_add(d))
        // Only reachable after a wait of billions of turns.
        .unwrap_or(now + turn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_slot_keeps_the_grid_and_skips_missed_slots() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let turn = ms(50);
        // Closed on time or a little late: one turn after the last due.
        assert_eq!(next_slot(t0, turn, t0), t0 + ms(50));
        assert_eq!(next_slot(t0, turn, t0 + ms(20)), t0 + ms(50));
        assert_eq!(next_slot(t0, turn, t0 + ms(49)), t0 + ms(50));
        // Closed a whole turn late or more: the slots missed are skipped,
        // never two turns in one slot.
        assert_eq!(next_slot(t0, turn, t0 + ms(50)), t0 + ms(100));
        assert_eq!(next_slot(t0, turn, t0 + ms(70)), t0 + ms(100));
        assert_eq!(next_slot(t0, turn, t0 + ms(170)), t0 + ms(200));
        // A clock read before the deadline (never in the relay) still
        // gives the next slot.
        assert_eq!(next_slot(t0 + ms(10), turn, t0), t0 + ms(60));
        assert_eq!(next_slot(t0, Duration::ZERO, t0 + ms(5)), t0 + ms(5));
    }
}
