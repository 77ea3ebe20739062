//! Which `MSG_GAME_LAUNCH` layout a game server gets (docs/launch-layout.md):
//! the description's own key if it has one, else what the executable's
//! libggzdmod implies, else the configured default.

use std::path::Path;

use std::fmt;

use serde::Deserialize;

use super::elf::{self, Probe};

/// The layout type is the wire crate's own, so the daemon and game servers
/// can never disagree on what a name means.
pub use ggzdmod::wire::LaunchLayout;

/// Reads a `[game_servers] default_layout` value with the same names the
/// descriptions and `GGZDMOD_LAUNCH_LAYOUT` accept.
pub fn deserialize<'de, D>(deserializer: D) -> Result<LaunchLayout, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// [`deserialize`] for an optional key (a description's `launch.layout`).
pub fn deserialize_optional<'de, D>(deserializer: D) -> Result<Option<LaunchLayout>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    deserialize(deserializer).map(Some)
}

/// Why a game got its layout; logged at load so an operator can see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutSource {
    /// The description says (`LaunchMessage` / `launch.layout`).
    Key,
    /// The executable needs this library.
    Library(String),
    /// Nothing to go by; `game_servers.default_layout` applies.
    Default,
}

impl fmt::Display for LayoutSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutSource::Key => f.write_str("set by the description"),
            LayoutSource::Library(lib) => write!(f, "the executable links {lib}"),
            LayoutSource::Default => f.write_str("game_servers.default_layout"),
        }
    }
}

/// The layout a library soname implies, if it is a libggzdmod we know.
///
/// libggzdmod's soname went to 7 in the release that follows the launch
/// message change (0.0.14 and older ship 6 and below); the C++ wrapper
/// libggzdmod++ went to 2 at the same time.
pub fn layout_of_soname(soname: &str) -> Option<LaunchLayout> {
    let (number, trunk_from) = if let Some(rest) = soname.strip_prefix("libggzdmod++.so.") {
        (rest, 2)
    } else if let Some(rest) = soname.strip_prefix("libggzdmod.so.") {
        (rest, 7)
    } else {
        return None;
    };
    // The major number is what the soname carries; ignore any minor parts.
    let major: u32 = number.split('.').next()?.parse().ok()?;
    Some(if major >= trunk_from {
        LaunchLayout::Trunk
    } else {
        LaunchLayout::Legacy
    })
}

/// Detects the layout from the executable at `exec` (read, never run).
/// The first libggzdmod among its `DT_NEEDED` entries decides.
pub fn detect(exec: &Path, default: LaunchLayout) -> (LaunchLayout, LayoutSource) {
    if let Probe::Needed(libs) = elf::probe_path(exec) {
        for lib in libs {
            if let Some(layout) = layout_of_soname(&lib) {
                return (layout, LayoutSource::Library(lib));
            }
        }
    }
    (default, LayoutSource::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::temp_dir;

    #[test]
    fn sonames() {
        for (soname, layout) in [
            ("libggzdmod.so.7", Some(LaunchLayout::Trunk)),
            ("libggzdmod.so.8", Some(LaunchLayout::Trunk)),
            ("libggzdmod.so.6", Some(LaunchLayout::Legacy)),
            ("libggzdmod.so.5", Some(LaunchLayout::Legacy)),
            ("libggzdmod.so.7.0.0", Some(LaunchLayout::Trunk)),
            ("libggzdmod++.so.2", Some(LaunchLayout::Trunk)),
            ("libggzdmod++.so.1", Some(LaunchLayout::Legacy)),
            ("libggzdmod.so", None),
            ("libggzdmod.so.x", None),
            ("libggz.so.2", None),
            ("libc.so.6", None),
        ] {
            assert_eq!(layout_of_soname(soname), layout, "{soname}");
        }
    }

    #[test]
    fn detection_reads_the_executable() {
        let dir = temp_dir("layout-detect");
        let cases: [(&str, Vec<u8>, LaunchLayout, LayoutSource); 4] = [
            (
                "trunk",
                elf::tests::image(
                    &["libggz.so.5", "libggzdmod.so.7", "libc.so.6"],
                    true,
                    false,
                ),
                LaunchLayout::Trunk,
                LayoutSource::Library("libggzdmod.so.7".into()),
            ),
            (
                "legacy",
                elf::tests::image(&["libggzdmod.so.6", "libc.so.6"], false, false),
                LaunchLayout::Legacy,
                LayoutSource::Library("libggzdmod.so.6".into()),
            ),
            (
                "rust",
                elf::tests::image(&["libc.so.6"], true, false),
                LaunchLayout::Legacy,
                LayoutSource::Default,
            ),
            (
                "script",
                b"#!/usr/bin/python3\n".to_vec(),
                LaunchLayout::Legacy,
                LayoutSource::Default,
            ),
        ];
        for (name, bytes, layout, source) in cases {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(
                detect(&path, LaunchLayout::Legacy),
                (layout, source),
                "{name}"
            );
        }
        assert_eq!(
            detect(&dir.join("missing"), LaunchLayout::Trunk),
            (LaunchLayout::Trunk, LayoutSource::Default)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
