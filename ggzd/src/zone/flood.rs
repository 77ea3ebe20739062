//! Chat flood control that slows a flooder down instead of dropping its
//! lines (docs/chat-flood.md). Pure: no clock, no sockets; the caller
//! passes `now` in, delivers what comes out, and sets a timer for
//! [`ChatFlow::next_release`].
//!
//! A token bucket per player admits lines at once while it has tokens.
//! Lines beyond it wait in a bounded backlog (counted in lines and bytes)
//! and are released in order as the bucket refills. Once a line is
//! waiting, every later line waits behind it, even if a token is free
//! then, so a player's lines and their answers never overtake each other.
//! Only a line that finds the backlog full is refused, or its sender
//! disconnected, as configured. A refusal also waits its turn, as a
//! counter behind the last waiting line, so answers stay in order.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What to do with a line that finds the backlog full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Answer it with `RESULT chat` `bad options` (in its turn) and drop it.
    #[default]
    Refuse,
    /// Disconnect the sender.
    Disconnect,
}

/// The limits of one player's chat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloodLimits {
    /// Lines a player may send in a burst.
    pub burst: f64,
    /// Lines per second a player may sustain; 0 switches the limit off.
    pub rate: f64,
    /// Most lines waiting; 0 refuses every line beyond the burst at once.
    pub backlog_lines: usize,
    /// Most bytes of text waiting.
    pub backlog_bytes: usize,
    /// What a line beyond the backlog costs.
    pub overflow: Overflow,
}

impl Default for FloodLimits {
    fn default() -> Self {
        FloodLimits {
            burst: 10.0,
            rate: 2.0,
            backlog_lines: 32,
            backlog_bytes: 16 * 1024,
            overflow: Overflow::Refuse,
        }
    }
}

/// What became of a line offered to [`ChatFlow::admit`].
#[derive(Debug, PartialEq, Eq)]
pub enum Admission<T> {
    /// Deliver it now.
    Now(T),
    /// It waits in the backlog; see [`ChatFlow::next_release`].
    Held,
    /// Refuse it now (nothing is waiting, so its answer is in order).
    RefuseNow,
    /// Refused; the refusal waits behind the lines before it.
    RefuseLater,
    /// The sender keeps flooding past the backlog: disconnect it.
    Disconnect,
}

/// What [`ChatFlow::release`] lets go, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Released<T> {
    /// Deliver this line now.
    Line(T),
    /// Answer this many refused lines now.
    Refused(u32),
}

#[derive(Debug, Clone)]
enum Held<T> {
    Line { item: T, bytes: usize },
    Refused(u32),
}

/// A slack added to release times so that the bucket has surely refilled
/// a whole token when the timer fires, despite rounding.
const RELEASE_SLACK: Duration = Duration::from_millis(1);

/// One player's bucket and backlog.
#[derive(Debug, Clone)]
pub struct ChatFlow<T> {
    tokens: f64,
    refilled_at: Instant,
    queue: VecDeque<Held<T>>,
    held_lines: usize,
    held_bytes: usize,
    /// The release timer that is live, if any (older ones are ignored).
    pub release_due: Option<Instant>,
}

impl<T> ChatFlow<T> {
    /// A full bucket, nothing waiting.
    pub fn new(limits: &FloodLimits, now: Instant) -> Self {
        ChatFlow {
            tokens: limits.burst,
            refilled_at: now,
            queue: VecDeque::new(),
            held_lines: 0,
            held_bytes: 0,
            release_due: None,
        }
    }

    /// Lines waiting.
    pub fn held_lines(&self) -> usize {
        self.held_lines
    }

    /// Bytes waiting.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Refills lazily, so an idle player costs no timer.
    fn refill(&mut self, limits: &FloodLimits, now: Instant) {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * limits.rate).min(limits.burst);
        self.refilled_at = now;
    }

    /// Offers a line of `bytes` bytes.
    pub fn admit(
        &mut self,
        limits: &FloodLimits,
        now: Instant,
        item: T,
        bytes: usize,
    ) -> Admission<T> {
        if limits.rate <= 0.0 {
            return Admission::Now(item);
        }
        self.refill(limits, now);
        if self.queue.is_empty() && self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Admission::Now(item);
        }
        let fits = self.held_lines < limits.backlog_lines
            && self.held_bytes.saturating_add(bytes) <= limits.backlog_bytes;
        if fits {
            self.queue.push_back(Held::Line { item, bytes });
            self.held_lines += 1;
            self.held_bytes += bytes;
            return Admission::Held;
        }
        if limits.overflow == Overflow::Disconnect {
            return Admission::Disconnect;
        }
        // Consecutive refusals share one counter, so the queue is at most
        // about twice the backlog however long the flood goes on.
        match self.queue.back_mut() {
            None => Admission::RefuseNow,
            Some(Held::Refused(n)) => {
                *n = n.saturating_add(1);
                Admission::RefuseLater
            }
            Some(Held::Line { .. }) => {
                self.queue.push_back(Held::Refused(1));
                Admission::RefuseLater
            }
        }
    }

    /// Lets go of what may go at `now`: waiting lines while there are
    /// tokens, and the refusals between them.
    pub fn release(&mut self, limits: &FloodLimits, now: Instant) -> Vec<Released<T>> {
        self.refill(limits, now);
        let mut out = Vec::new();
        loop {
            match self.queue.front() {
                Some(Held::Refused(_)) => {
                    if let Some(Held::Refused(n)) = self.queue.pop_front() {
                        out.push(Released::Refused(n));
                    }
                }
                Some(Held::Line { .. }) if self.tokens >= 1.0 || limits.rate <= 0.0 => {
                    if let Some(Held::Line { item, bytes }) = self.queue.pop_front() {
                        self.tokens = (self.tokens - 1.0).max(0.0);
                        self.held_lines = self.held_lines.saturating_sub(1);
                        self.held_bytes = self.held_bytes.saturating_sub(bytes);
                        out.push(Released::Line(item));
                    }
                }
                _ => return out,
            }
        }
    }

    /// When the next waiting line may go, if one waits.
    pub fn next_release(&self, limits: &FloodLimits) -> Option<Instant> {
        if self.queue.is_empty() {
            return None;
        }
        let missing = (1.0 - self.tokens).max(0.0);
        let wait = if limits.rate > 0.0 {
            Duration::from_secs_f64(missing / limits.rate)
        } else {
            Duration::ZERO
        };
        Some(self.refilled_at + wait + RELEASE_SLACK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(burst: f64, rate: f64, lines: usize, bytes: usize) -> FloodLimits {
        FloodLimits {
            burst,
            rate,
            backlog_lines: lines,
            backlog_bytes: bytes,
            overflow: Overflow::Refuse,
        }
    }

    fn lines(released: Vec<Released<u32>>) -> Vec<u32> {
        released
            .into_iter()
            .map(|r| match r {
                Released::Line(n) => n,
                Released::Refused(n) => 1000 + n,
            })
            .collect()
    }

    #[test]
    fn a_burst_goes_at_once_and_the_rest_waits_in_order() {
        let l = limits(3.0, 2.0, 10, 1000);
        let t0 = Instant::now();
        let mut flow = ChatFlow::new(&l, t0);
        for n in 0..3 {
            assert_eq!(flow.admit(&l, t0, n, 5), Admission::Now(n));
        }
        for n in 3..6 {
            assert_eq!(flow.admit(&l, t0, n, 5), Admission::Held);
        }
        assert_eq!((flow.held_lines(), flow.held_bytes()), (3, 15));
        // One token every half second; the timer asks for the first one.
        let due = flow.next_release(&l).unwrap();
        assert!(due > t0 + Duration::from_millis(499));
        assert!(due < t0 + Duration::from_millis(510));
        assert!(flow.release(&l, t0 + Duration::from_millis(100)).is_empty());
        assert_eq!(lines(flow.release(&l, due)), [3]);
        // A second later, two more.
        let later = due + Duration::from_secs(1);
        assert_eq!(lines(flow.release(&l, later)), [4, 5]);
        assert_eq!(flow.next_release(&l), None);
        assert_eq!((flow.held_lines(), flow.held_bytes()), (0, 0));
    }

    #[test]
    fn a_line_never_overtakes_a_waiting_one() {
        let l = limits(1.0, 1.0, 10, 1000);
        let t0 = Instant::now();
        let mut flow = ChatFlow::new(&l, t0);
        assert_eq!(flow.admit(&l, t0, 0, 1), Admission::Now(0));
        assert_eq!(flow.admit(&l, t0, 1, 1), Admission::Held);
        // A token is back, but line 1 is first in line.
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(flow.admit(&l, t1, 2, 1), Admission::Held);
        assert_eq!(lines(flow.release(&l, t1)), [1]);
        assert_eq!(lines(flow.release(&l, t1 + Duration::from_secs(1))), [2]);
    }

    #[test]
    fn the_backlog_is_bounded_in_lines_and_bytes() {
        let l = limits(1.0, 1.0, 2, 10);
        let t0 = Instant::now();
        let mut flow = ChatFlow::new(&l, t0);
        assert_eq!(flow.admit(&l, t0, 0, 4), Admission::Now(0));
        assert_eq!(flow.admit(&l, t0, 1, 4), Admission::Held);
        // 4 + 7 bytes would pass the byte bound.
        assert_eq!(flow.admit(&l, t0, 2, 7), Admission::RefuseLater);
        assert_eq!(flow.admit(&l, t0, 3, 6), Admission::Held);
        // Two lines wait: full.
        assert_eq!(flow.admit(&l, t0, 4, 1), Admission::RefuseLater);
        assert_eq!(flow.admit(&l, t0, 5, 1), Admission::RefuseLater);
        // The answers come in the order the lines were sent: 1, refusal of
        // 2, then 3, then both refusals of 4 and 5.
        let t1 = t0 + Duration::from_millis(1001);
        assert_eq!(lines(flow.release(&l, t1)), [1, 1001]);
        let t2 = t1 + Duration::from_millis(1001);
        assert_eq!(lines(flow.release(&l, t2)), [3, 1002]);
        assert_eq!(flow.next_release(&l), None);
    }

    #[test]
    fn no_backlog_refuses_at_once_and_disconnect_is_optional() {
        let t0 = Instant::now();
        let l = limits(1.0, 1.0, 0, 0);
        let mut flow = ChatFlow::new(&l, t0);
        assert_eq!(flow.admit(&l, t0, 0, 1), Admission::Now(0));
        assert_eq!(flow.admit(&l, t0, 1, 1), Admission::RefuseNow);
        let l = FloodLimits {
            overflow: Overflow::Disconnect,
            ..limits(1.0, 1.0, 1, 100)
        };
        let mut flow = ChatFlow::new(&l, t0);
        assert_eq!(flow.admit(&l, t0, 0, 1), Admission::Now(0));
        assert_eq!(flow.admit(&l, t0, 1, 1), Admission::Held);
        assert_eq!(flow.admit(&l, t0, 2, 1), Admission::Disconnect);
    }

    #[test]
    fn a_long_flood_costs_bounded_memory() {
        let l = limits(1.0, 1.0, 3, 1000);
        let t0 = Instant::now();
        let mut flow = ChatFlow::new(&l, t0);
        for n in 0..100_000 {
            flow.admit(&l, t0, n, 1);
        }
        assert!(flow.queue.len() <= 2 * l.backlog_lines + 1);
        let mut released = Vec::new();
        for s in 1..=3 {
            let at = t0 + Duration::from_millis(1001 * s);
            released.extend(lines(flow.release(&l, at)));
        }
        assert_eq!(released, [1, 2, 3, 1000 + 99_996]);
    }

    #[test]
    fn a_pause_refills_only_up_to_the_burst_and_zero_rate_is_off() {
        let l = limits(3.0, 2.0, 0, 0);
        let t0 = Instant::now();
        let mut flow = ChatFlow::new(&l, t0);
        let later = t0 + Duration::from_secs(100);
        for n in 0..3 {
            assert_eq!(flow.admit(&l, later, n, 1), Admission::Now(n));
        }
        assert_eq!(flow.admit(&l, later, 3, 1), Admission::RefuseNow);
        let off = limits(1.0, 0.0, 0, 0);
        let mut flow = ChatFlow::new(&off, t0);
        assert!((0..1000).all(|n| flow.admit(&off, t0, n, 1) == Admission::Now(n)));
    }
}
