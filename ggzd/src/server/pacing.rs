//! When the clients' queues are written. Writing costs one `writev` per
//! connection with output, whatever that output is, and on loopback or a
//! LAN the kernel's per-segment work (the sender's TCP stack, the
//! receiver's, its wake-up) is most of a chat fan-out's cost: a room of
//! 1,000 whose chats arrive one per turn costs 1,000 `writev`s per line.
//! A turn that would write to many connections (`min_fanout` or more)
//! therefore writes at most once per `interval`; lines that arrive in the
//! meantime wait for that write and share its `writev`s. A turn with
//! output for a few connections (answers, private lines) writes at once,
//! unless a paced write is already due, which it then joins. So a lone
//! chat goes out at once, and a busy room's lines wait at most
//! `interval`. While a fan-out is held, a queue that holds a line for its
//! client alone (an answer, a private line) is still written at once,
//! with the shared lines queued before it (`flushing.rs`): pacing delays
//! only what many clients get alike. Bounds are unchanged: a queue about to pass
//! `output_queue_limit` is written early (`Sink::send`).
//!
//! Pure: the loop asks [`Pacer::decide`] at the end of each turn and
//! sleeps no later than [`Pacer::deadline`].

use std::time::{Duration, Instant};

/// Whether the end of a turn writes the queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    Now,
    /// Hold them; a turn at or after this instant writes them.
    Hold(Instant),
}

#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    min_fanout: usize,
    /// When the last large write happened.
    last: Option<Instant>,
    /// A write held until then.
    held: Option<Instant>,
}

impl Pacer {
    /// `interval` zero: every turn writes (no pacing).
    pub fn new(interval: Duration, min_fanout: usize) -> Pacer {
        Pacer {
            interval,
            min_fanout: min_fanout.max(1),
            last: None,
            held: None,
        }
    }

    /// At the end of a turn with `dirty` connections to write.
    pub fn decide(&mut self, dirty: usize, now: Instant) -> Pace {
        if let Some(until) = self.held {
            if now < until {
                return Pace::Hold(until);
            }
            self.held = None;
            self.last = Some(now);
            return Pace::Now;
        }
        if self.interval.is_zero() || dirty < self.min_fanout {
            return Pace::Now;
        }
        match self.last.map(|last| last + self.interval) {
            Some(next) if now < next => {
                self.held = Some(next);
                Pace::Hold(next)
            }
            _ => {
                self.last = Some(now);
                Pace::Now
            }
        }
    }

    /// The held write's time, for the loop's poll timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.held
    }

    /// A reload's settings. A write held now stays due when it was;
    /// with pacing off it goes at the next turn.
    pub fn reconfigure(&mut self, interval: Duration, min_fanout: usize) {
        self.interval = interval;
        self.min_fanout = min_fanout.max(1);
        if interval.is_zero() {
            self.held = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_lone_fanout_goes_at_once_and_the_next_within_the_interval_waits() {
        let t0 = Instant::now();
        let mut p = Pacer::new(5 * MS, 10);
        assert_eq!(p.decide(100, t0), Pace::Now);
        assert_eq!(p.deadline(), None);
        // A second room-wide line 2 ms later waits for the interval.
        assert_eq!(p.decide(100, t0 + 2 * MS), Pace::Hold(t0 + 5 * MS));
        assert_eq!(p.deadline(), Some(t0 + 5 * MS));
        // A third joins the same write.
        assert_eq!(p.decide(100, t0 + 4 * MS), Pace::Hold(t0 + 5 * MS));
        // Due: written, and the next interval counts from now.
        assert_eq!(p.decide(100, t0 + 5 * MS), Pace::Now);
        assert_eq!(p.deadline(), None);
        assert_eq!(p.decide(100, t0 + 7 * MS), Pace::Hold(t0 + 10 * MS));
        // Long after the last write, a fan-out goes at once again.
        assert_eq!(p.decide(100, t0 + 10 * MS), Pace::Now);
        assert_eq!(p.decide(100, t0 + 30 * MS), Pace::Now);
    }

    #[test]
    fn small_writes_go_at_once_unless_a_paced_write_is_held() {
        let t0 = Instant::now();
        let mut p = Pacer::new(5 * MS, 10);
        assert_eq!(p.decide(3, t0), Pace::Now);
        assert_eq!(p.decide(3, t0 + MS), Pace::Now);
        assert_eq!(p.decide(10, t0 + MS), Pace::Now);
        assert_eq!(p.decide(2, t0 + 2 * MS), Pace::Now);
        assert_eq!(p.decide(12, t0 + 3 * MS), Pace::Hold(t0 + 6 * MS));
        // An answer to one client waits with the held fan-out.
        assert_eq!(p.decide(13, t0 + 4 * MS), Pace::Hold(t0 + 6 * MS));
        assert_eq!(p.decide(13, t0 + 6 * MS), Pace::Now);
    }

    #[test]
    fn zero_interval_never_holds() {
        let t0 = Instant::now();
        let mut p = Pacer::new(Duration::ZERO, 1);
        for i in 0..5 {
            assert_eq!(p.decide(10_000, t0 + i * MS / 10), Pace::Now);
        }
        assert_eq!(p.deadline(), None);
    }

    #[test]
    fn turning_pacing_off_releases_a_held_write() {
        let t0 = Instant::now();
        let mut p = Pacer::new(50 * MS, 1);
        assert_eq!(p.decide(5, t0), Pace::Now);
        assert_eq!(p.decide(5, t0 + MS), Pace::Hold(t0 + 50 * MS));
        p.reconfigure(20 * MS, 1);
        assert_eq!(p.deadline(), Some(t0 + 50 * MS));
        p.reconfigure(Duration::ZERO, 1);
        assert_eq!(p.deadline(), None);
        assert_eq!(p.decide(5, t0 + 2 * MS), Pace::Now);
    }
}
