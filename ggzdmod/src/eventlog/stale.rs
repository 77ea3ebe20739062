//! The stale-move helper: a move quotes the state version it was made
//! against, and a version older than the current one is refused, never
//! applied late (docs/event-log.md §5).
//!
//! With an [`EventLog`](super::EventLog) the version is its last sequence
//! number ([`EventLog::check_move`](super::EventLog::check_move)); a game
//! with rounds or turns can use its own counter the same way, with a window
//! of versions it accepts ahead of the current one.

/// How a quoted version compares with the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The version is current, or within the window ahead of it: accept.
    Accept,
    /// The version is older than the current one: the move was made
    /// against a state that no longer exists. Refuse it.
    Stale {
        /// The current version, for the refusal sent back.
        current: u64,
    },
    /// The version is beyond the window ahead: refuse (this bounds what a
    /// game must hold for later).
    Future {
        /// The last version accepted now.
        last: u64,
    },
}

impl Freshness {
    /// Whether the move may be applied.
    pub fn is_accept(self) -> bool {
        self == Freshness::Accept
    }
}

/// Checks `quoted` against `current`, accepting up to `ahead` versions
/// beyond it (0: only the current version).
pub fn check_version(current: u64, ahead: u64, quoted: u64) -> Freshness {
    let last = current.saturating_add(ahead);
    if quoted < current {
        Freshness::Stale { current }
    } else if quoted > last {
        Freshness::Future { last }
    } else {
        Freshness::Accept
    }
}
