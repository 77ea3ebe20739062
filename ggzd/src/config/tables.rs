//! `[tables]`: what one table's game server may leave behind
//! (docs/game-servers.md).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TablesConfig {
    /// Game reports one table may file at once; then one per 10 seconds.
    pub max_reports: u32,
    /// Savegame files kept per game (newest first); 0 = no count limit.
    pub savegame_keep: u32,
    /// Days a savegame file is kept; 0 = no age limit.
    pub savegame_max_age: u32,
}

impl Default for TablesConfig {
    fn default() -> Self {
        Self {
            max_reports: 64,
            savegame_keep: 100,
            savegame_max_age: 90,
        }
    }
}

impl TablesConfig {
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.max_reports == 0 {
            return Err(("tables.max_reports", "must be at least 1".into()));
        }
        Ok(())
    }
}
