//! `[rejoin]`: how long a seat left mid-game is held for its player
//! (docs/client-server.md §11.7).

use std::time::Duration;

use serde::Deserialize;

/// The longest grace that may be configured: a day. A held seat blocks a
/// table's seat for others, so it must end some time.
pub const MAX_GRACE: u32 = 86_400;

/// `[rejoin]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RejoinConfig {
    /// Seconds an abandoned seat is held for its player; 0 opens it at once.
    pub grace: u32,
}

impl Default for RejoinConfig {
    fn default() -> Self {
        RejoinConfig { grace: 90 }
    }
}

impl RejoinConfig {
    /// Semantic checks: the dotted key and what is wrong.
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.grace > MAX_GRACE {
            return Err(("rejoin.grace", format!("must be at most {MAX_GRACE}")));
        }
        Ok(())
    }

    pub fn grace(&self) -> Duration {
        Duration::from_secs(u64::from(self.grace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_ninety_seconds_and_a_day_is_the_most() {
        let c = RejoinConfig::default();
        assert_eq!(c.grace(), Duration::from_secs(90));
        assert!(c.check().is_ok());
        assert!(RejoinConfig { grace: MAX_GRACE }.check().is_ok());
        assert_eq!(
            RejoinConfig {
                grace: MAX_GRACE + 1
            }
            .check()
            .unwrap_err()
            .0,
            "rejoin.grace"
        );
    }

    #[test]
    fn a_reload_applies_a_new_grace_at_once() {
        let running = crate::config::Config::default();
        let mut new = crate::config::Config::default();
        new.rejoin.grace = 5;
        let plan = crate::config::reload::plan(&running, &mut new);
        assert!(plan.needs_restart.is_empty());
        assert_eq!(plan.changed, vec!["rejoin"]);
        assert_eq!(new.rejoin.grace, 5);
    }
}
