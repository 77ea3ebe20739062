//! `[game_servers]`: how game server executables are treated.

use serde::Deserialize;

use crate::games::LaunchLayout;

/// `[game_servers]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GameServersConfig {
    /// Launch layout for a game whose description names none and whose
    /// executable links no libggzdmod we know (static, a script, our own
    /// Rust game servers, which tell the layouts apart themselves).
    #[serde(deserialize_with = "crate::games::layout::deserialize")]
    pub default_layout: LaunchLayout,
}

impl Default for GameServersConfig {
    fn default() -> Self {
        Self {
            default_layout: LaunchLayout::Trunk,
        }
    }
}
