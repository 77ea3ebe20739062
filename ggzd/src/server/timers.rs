//! A timer queue for the event loop. Cancelling is lazy: an entry that is
//! no longer wanted stays queued and is recognised as stale when it fires.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::zone::{ConnId, TimerKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timer {
    Zone(TimerKey),
    /// A closing connection that has not drained its queue by now is cut.
    CloseDeadline(ConnId),
    /// Accepting paused after running out of descriptors.
    ResumeAccept,
    /// Shutdown gives clients this long to read their `</SESSION>`.
    ShutdownDeadline,
    /// Stopped game servers that ignored SIGINT get SIGKILL.
    KillOverdue,
    /// Time to tell the service manager's watchdog we are alive.
    Watchdog,
    /// Time to refresh the service manager's STATUS= line.
    Status,
    /// Time to ping the WebSocket clients.
    WebPing,
}

#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64, Timer)>>,
    seq: u64,
}

impl Timers {
    pub fn add(&mut self, at: Instant, timer: Timer) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, timer)));
    }

    /// How long poll may sleep: until the next deadline, or for ever.
    pub fn timeout(&self, now: Instant) -> Option<Duration> {
        self.heap
            .peek()
            .map(|Reverse((at, _, _))| at.saturating_duration_since(now))
    }

    /// The next timer due at `now`, with the deadline it was set for.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => {
                self.heap.pop().map(|Reverse((at, _, timer))| (at, timer))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_deadline_order_and_only_when_due() {
        let mut timers = Timers::default();
        let t0 = Instant::now();
        timers.add(t0 + Duration::from_secs(2), Timer::ShutdownDeadline);
        timers.add(t0 + Duration::from_secs(1), Timer::ResumeAccept);
        assert_eq!(timers.timeout(t0), Some(Duration::from_secs(1)));
        assert!(timers.pop_due(t0).is_none());
        let (_, first) = timers.pop_due(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(first, Timer::ResumeAccept);
        let (_, second) = timers.pop_due(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(second, Timer::ShutdownDeadline);
        assert_eq!(timers.timeout(t0), None);
    }
}
