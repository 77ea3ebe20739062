//! `[matchmaking]`: server-wide settings of the matchmaking queues
//! (docs/matchmaking.md §10). The queues themselves are in room files.

use serde::Deserialize;

/// The most game servers kept started per kind of queue table: each one
/// is an idle process and a descriptor of ggzd's.
pub const MAX_PRESPAWN: u32 = 64;

/// `[matchmaking]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchmakingConfig {
    /// Game servers kept started, connected and not yet launched for the
    /// tables of each room's queues; 0 starts every one on demand.
    pub prespawn: u32,
}

impl MatchmakingConfig {
    /// Semantic checks: the dotted key and what is wrong.
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.prespawn > MAX_PRESPAWN {
            return Err((
                "matchmaking.prespawn",
                format!("must be at most {MAX_PRESPAWN}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_bounded() {
        assert_eq!(MatchmakingConfig::default().prespawn, 0);
        let most = MatchmakingConfig {
            prespawn: MAX_PRESPAWN,
        };
        assert!(most.check().is_ok());
        let over = MatchmakingConfig {
            prespawn: MAX_PRESPAWN + 1,
        };
        assert_eq!(over.check().unwrap_err().0, "matchmaking.prespawn");
    }

    #[test]
    fn a_reload_applies_a_new_count_at_once() {
        let running = crate::config::Config::default();
        let mut new = crate::config::Config::default();
        new.matchmaking.prespawn = 8;
        let plan = crate::config::reload::plan(&running, &mut new);
        assert!(plan.needs_restart.is_empty());
        assert_eq!(plan.changed, vec!["matchmaking"]);
        assert_eq!(new.matchmaking.prespawn, 8);
    }
}
