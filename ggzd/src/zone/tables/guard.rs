//! Bounds on what one game server can make ggzd do: its log lines, its
//! room-visible requests, its reports (docs/game-servers.md, "Rate limits"
//! and "Reports").

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// MSG_LOG lines a game server may send at once, then per second.
pub const LOG_BURST: f32 = 20.0;
pub const LOG_RATE: f32 = 2.0;
/// Longest MSG_LOG text logged, in bytes (the rest is cut).
pub const LOG_MAX: usize = 512;

/// Room broadcasts a game server's requests (seat count, bot, open, state)
/// may cause at once, then per second. Beyond that the changes still
/// apply, and the room gets one full table refresh per `ROOM_SYNC`.
pub const ROOM_BURST: f32 = 16.0;
pub const ROOM_RATE: f32 = 4.0;
pub const ROOM_SYNC: Duration = Duration::from_secs(1);

/// Longest player or bot name a report record may carry; longer ones
/// cannot name a seat.
pub const REPORT_NAME_MAX: usize = 64;
/// Reports per second a table earns back once it has used its
/// `tables.max_reports`: one every 10 seconds.
pub const REPORT_RATE: f32 = 0.1;

/// A token bucket refilled lazily, so an idle table costs no timer.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    tokens: f32,
    at: Instant,
}

impl Bucket {
    pub fn full(burst: f32, now: Instant) -> Bucket {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    pub fn take(&mut self, burst: f32, rate: f32, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f32();
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Per-table accounting of what its game server asked for.
#[derive(Debug, Clone)]
pub(crate) struct GameGuard {
    pub log: Bucket,
    /// Log lines dropped since the last one logged.
    pub log_dropped: u64,
    pub room: Bucket,
    /// The room has not seen the table's latest state: a refresh is due.
    pub room_stale: bool,
    /// Reports this table may still file (`tables.max_reports` at once).
    pub reports: Bucket,
    /// A refused report was logged since the last accepted one.
    pub reports_refused: bool,
}

impl GameGuard {
    pub fn new(max_reports: u32, now: Instant) -> GameGuard {
        GameGuard {
            log: Bucket::full(LOG_BURST, now),
            log_dropped: 0,
            room: Bucket::full(ROOM_BURST, now),
            room_stale: false,
            reports: Bucket::full(max_reports as f32, now),
            reports_refused: false,
        }
    }
}

/// Text from a game server or a client, made safe for one log line:
/// control characters (newlines included) are escaped, so no line can be
/// forged, and the text is cut to `max` bytes.
pub(crate) fn escape_log(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max) + 8);
    for c in text.chars() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_forge_lines() {
        assert_eq!(
            escape_log("hi\nFAKE: admin logged in\r\x1b[2J", 100),
            "hi\\u{a}FAKE: admin logged in\\u{d}\\u{1b}[2J"
        );
        assert_eq!(escape_log("abcdef", 3), "abc…");
        assert_eq!(escape_log("ünï", 100), "ünï");
    }

    #[test]
    fn bucket_refills_to_its_burst() {
        let t0 = Instant::now();
        let mut b = Bucket::full(2.0, t0);
        assert!(b.take(2.0, 1.0, t0));
        assert!(b.take(2.0, 1.0, t0));
        assert!(!b.take(2.0, 1.0, t0));
        assert!(b.take(2.0, 1.0, t0 + Duration::from_secs(1)));
        let later = t0 + Duration::from_secs(100);
        assert!(b.take(2.0, 1.0, later) && b.take(2.0, 1.0, later));
        assert!(!b.take(2.0, 1.0, later));
    }
}
