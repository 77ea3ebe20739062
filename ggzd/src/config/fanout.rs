//! `[fanout]`: how often output to many clients at once is written
//! (`server/pacing.rs`).

use std::time::Duration;

use serde::Deserialize;

/// The longest pacing interval that may be configured. Lines wait up to
/// this long, so it must stay well below what a person would notice.
pub const MAX_PACING_MS: u32 = 100;

/// `[fanout]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FanoutConfig {
    /// Milliseconds between two writes that each reach `min_clients` or
    /// more connections; 0 writes every loop turn.
    pub pacing_ms: u32,
    /// How many connections with output make a turn's write a fan-out.
    pub min_clients: u32,
}

impl Default for FanoutConfig {
    fn default() -> Self {
        FanoutConfig {
            pacing_ms: 0,
            min_clients: 64,
        }
    }
}

impl FanoutConfig {
    /// Semantic checks: the dotted key and what is wrong.
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.pacing_ms > MAX_PACING_MS {
            return Err((
                "fanout.pacing_ms",
                format!("must be at most {MAX_PACING_MS}"),
            ));
        }
        if self.min_clients == 0 {
            return Err(("fanout.min_clients", "must be at least 1".into()));
        }
        Ok(())
    }

    pub fn pacing(&self) -> Duration {
        Duration::from_millis(u64::from(self.pacing_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_writes_every_turn_and_bounds_are_checked() {
        let c = FanoutConfig::default();
        assert_eq!(c.pacing(), Duration::ZERO);
        assert!(c.check().is_ok());
        let long = FanoutConfig {
            pacing_ms: MAX_PACING_MS + 1,
            ..FanoutConfig::default()
        };
        assert_eq!(long.check().unwrap_err().0, "fanout.pacing_ms");
        let none = FanoutConfig {
            min_clients: 0,
            ..FanoutConfig::default()
        };
        assert_eq!(none.check().unwrap_err().0, "fanout.min_clients");
    }

    #[test]
    fn a_reload_applies_new_pacing_at_once() {
        let running = crate::config::Config::default();
        let mut new = crate::config::Config::default();
        new.fanout.pacing_ms = 5;
        let plan = crate::config::reload::plan(&running, &mut new);
        assert!(plan.needs_restart.is_empty());
        assert_eq!(plan.changed, vec!["fanout"]);
        assert_eq!(new.fanout.pacing(), Duration::from_millis(5));
    }
}
