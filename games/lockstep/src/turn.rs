//! The stale-move check: a move quotes the state version it was made
//! against, and only the current version (or a bounded window ahead of it)
//! is accepted. In lockstep the version is the open turn number; a game
//! with an event log would quote its log's sequence number the same way
//! (docs/lockstep.md §4).

/// How a quoted version compares with the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The version is current, or within the window ahead of it: accept.
    Accept,
    /// The version is older than the current one: the move was made
    /// against a state that no longer exists. Refuse; never apply late.
    Stale {
        /// The current version.
        current: u32,
    },
    /// The version is beyond the window: refuse (bounds what is buffered).
    Future {
        /// The last version accepted now.
        last: u32,
    },
}

/// Checks `quoted` against `current`, accepting up to `ahead` versions
/// beyond it.
pub fn check(current: u32, ahead: u32, quoted: u32) -> Check {
    let last = current.saturating_add(ahead);
    if quoted < current {
        Check::Stale { current }
    } else if quoted > last {
        Check::Future { last }
    } else {
        Check::Accept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_current_and_future() {
        assert_eq!(check(5, 2, 4), Check::Stale { current: 5 });
        assert_eq!(check(5, 2, 5), Check::Accept);
        assert_eq!(check(5, 2, 7), Check::Accept);
        assert_eq!(check(5, 2, 8), Check::Future { last: 7 });
        assert_eq!(check(u32::MAX, 9, u32::MAX), Check::Accept);
    }
}
