//! The event log: an append-only, chained record of what happened at a
//! table, for replays and for restoring a game (docs/event-log.md).
//!
//! A game appends typed events — a short kind name and opaque bytes — to an
//! [`EventLog`]. Each event gets the next sequence number and the time; the
//! file is written line by line as the game goes, so it survives a crash of
//! the game server up to the last event. [`Game::start_event_log`] creates
//! one in the table's working directory and reports it to ggzd as the
//! table's savegame, which is how ggzd learns where to find it.
//!
//! [`parse`] reads a log back, checking everything: the first line, the
//! chain check that ends every line (a changed, removed or truncated line
//! breaks it), sequence numbers without gaps, and a caller's bound on the
//! number of events.
//!
//! The sequence number of the last event is the table's *state version*
//! ([`EventLog::version`]): a move that quotes an older version was made
//! against a state that no longer exists and is refused ([`check_version`]).
//!
//! # Restoring a game
//!
//! A game that supports restore reads the savegame ggzd hands it
//! ([`Game::savegame`], trunk launch layout only) with [`load`], replays
//! the events through its own rules, refusing the launch if any is illegal,
//! and then continues in a new log that starts with the restored events
//! ([`Game::restore_event_log`]). docs/event-log.md §4 has the whole recipe.
//!
//! [`Game::start_event_log`]: crate::Game::start_event_log
//! [`Game::restore_event_log`]: crate::Game::restore_event_log
//! [`Game::savegame`]: crate::Game::savegame

use std::fmt;

use sha2::{Digest, Sha256};

mod parse;
mod stale;
mod writer;

pub use parse::{is_event_log, load, parse};
pub use stale::{Freshness, check_version};
pub use writer::EventLog;

/// The first bytes of every log file: the format and its version. The
/// first line is this, a space and the game's name.
pub const MAGIC: &str = "ggz-event-log 1";

/// Prefix of a log file's name; six random `[A-Za-z0-9]` follow.
pub const FILE_PREFIX: &str = "events.";

/// Most bytes of one event's data.
///
/// Large enough for a lockstep master packet of 32 players with 60,000
/// command bytes each (docs/lockstep.md §1), small enough that one line
/// stays a bounded allocation.
pub const MAX_EVENT_DATA: usize = 2 << 20;

/// Longest kind name.
pub const MAX_KIND_LEN: usize = 32;

/// Longest game name (in bytes, before escaping), as on the ggzdmod wire.
pub const MAX_GAME_LEN: usize = 256;

/// Bytes of the chain check (printed as twice as many hex digits).
pub const CHECK_BYTES: usize = 8;

/// Default bound on the events a writer accepts ([`EventLog::set_limits`]).
pub const DEFAULT_MAX_EVENTS: u64 = 1_000_000;

/// Default bound on a log file's size in bytes ([`EventLog::set_limits`]).
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// One event of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Sequence number: 1 for the first event, then one more each.
    pub seq: u64,
    /// When it was appended, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// What happened, a name of the game's choosing (`[a-z][a-z0-9_-]*`,
    /// at most [`MAX_KIND_LEN`] bytes).
    pub kind: String,
    /// The event's bytes, meaningful to the game only.
    pub data: Vec<u8>,
}

/// A log read back by [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLog {
    /// The game name of the first line.
    pub game: String,
    /// The events, in order; `events[i].seq == i + 1`.
    pub events: Vec<Event>,
    /// The log has its end line: the game closed it
    /// ([`EventLog::finish`]). Without it the game server stopped (or
    /// crashed) while the log was open; every event up to there is intact.
    pub complete: bool,
}

/// Why bytes are not a usable event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogError {
    /// The first line is not `ggz-event-log 1 <game>`: some other file.
    NotALog,
    /// More events than the caller allows, or a file above the size bound.
    TooLarge,
    /// A line breaks the grammar or the chain. `line` counts from 1 (the
    /// first line).
    Corrupt {
        /// The offending line.
        line: usize,
        /// What is wrong with it.
        why: String,
    },
    /// Reading the file failed.
    Io(String),
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::NotALog => write!(f, "not an event log (no \"{MAGIC}\" line)"),
            LogError::TooLarge => f.write_str("the event log is too large"),
            LogError::Corrupt { line, why } => write!(f, "line {line}: {why}"),
            LogError::Io(e) => write!(f, "cannot read the event log: {e}"),
        }
    }
}

impl std::error::Error for LogError {}

/// The chain value before the first event: bound to the first line, so
/// the game name cannot be changed either.
fn chain_start(header: &str) -> [u8; CHECK_BYTES] {
    truncate(Sha256::digest(header.as_bytes()).as_slice())
}

/// The check of a line: over the previous check's bytes and this line's
/// text up to (not including) the space before its check.
fn chain_next(prev: &[u8; CHECK_BYTES], text: &str) -> [u8; CHECK_BYTES] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(text.as_bytes());
    truncate(h.finalize().as_slice())
}

fn truncate(digest: &[u8]) -> [u8; CHECK_BYTES] {
    let mut out = [0u8; CHECK_BYTES];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = *d;
    }
    out
}

/// The first line for `game` (without its `\n`): printable ASCII other
/// than space and `%` as is, every other byte as `%XX`.
fn header_line(game: &str) -> String {
    let mut line = String::with_capacity(MAGIC.len() + 1 + game.len());
    line.push_str(MAGIC);
    line.push(' ');
    for b in game.bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            line.push(char::from(b));
        } else {
            line.push('%');
            push_hex_upper(&mut line, b);
        }
    }
    line
}

fn push_hex_upper(s: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for nibble in [b >> 4, b & 0x0f] {
        let d = DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
        s.push(char::from(d));
    }
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            let d = DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
            s.push(char::from(d));
        }
    }
    s
}

/// Whether `kind` is a valid kind name.
pub fn valid_kind(kind: &str) -> bool {
    let mut bytes = kind.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    first_ok
        && kind.len() <= MAX_KIND_LEN
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests;
