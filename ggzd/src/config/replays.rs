//! `[replays]`: played games kept with their event logs (docs/replays.md).

use serde::Deserialize;

/// The largest event log ggzd reads: 64 MiB. A log is read whole on a
/// worker and stored in one database row.
pub const MAX_LOG_BYTES: u64 = 64 * 1024 * 1024;

/// `[replays]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplaysConfig {
    /// Played games kept (newest first); 0 = no count limit.
    pub keep: u64,
    /// Days a played game is kept; 0 = no age limit.
    pub max_age: u32,
    /// A log larger than this is not stored.
    pub max_log_bytes: u64,
}

impl Default for ReplaysConfig {
    fn default() -> Self {
        ReplaysConfig {
            keep: 10_000,
            max_age: 90,
            max_log_bytes: 256 * 1024,
        }
    }
}

impl ReplaysConfig {
    /// Semantic checks: the dotted key and what is wrong.
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.max_log_bytes == 0 || self.max_log_bytes > MAX_LOG_BYTES {
            return Err((
                "replays.max_log_bytes",
                format!("must be between 1 and {MAX_LOG_BYTES}"),
            ));
        }
        Ok(())
    }

    /// The retention limits at Unix time `now`, removing at most `batch`
    /// games at once.
    pub fn retention(&self, now: i64, batch: u64) -> crate::store::Retention {
        crate::store::Retention {
            keep: self.keep,
            ended_before: (self.max_age > 0)
                .then(|| now.saturating_sub(i64::from(self.max_age) * 86_400)),
            batch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let c = ReplaysConfig::default();
        assert!(c.check().is_ok());
        let r = c.retention(100 * 86_400, 50);
        assert_eq!(r.keep, 10_000);
        assert_eq!(r.ended_before, Some(10 * 86_400));
        assert_eq!(r.batch, 50);
        let no_age = ReplaysConfig {
            max_age: 0,
            ..c.clone()
        };
        assert_eq!(no_age.retention(5, 1).ended_before, None);
        for bad in [0, MAX_LOG_BYTES + 1] {
            let c = ReplaysConfig {
                max_log_bytes: bad,
                ..ReplaysConfig::default()
            };
            assert_eq!(c.check().unwrap_err().0, "replays.max_log_bytes");
        }
    }

    #[test]
    fn the_section_is_read_and_a_reload_applies_it() {
        let running = crate::config::Config::default();
        let mut new = crate::config::Config::default();
        new.replays.keep = 2;
        let plan = crate::config::reload::plan(&running, &mut new);
        assert!(plan.needs_restart.is_empty());
        assert_eq!(plan.changed, vec!["replays"]);
        assert_eq!(new.replays.keep, 2);
    }
}
