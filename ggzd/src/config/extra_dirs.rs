//! `[extra_dirs]`: further directories of game descriptions and rooms,
//! loaded after `directories.games_dir` / `rooms_dir`, so a game kept
//! outside the server's own directories (a game author's work tree) loads
//! beside the installed ones.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// More directories than anyone lists; bounds the scans of a reload.
pub const MAX_EXTRA_DIRS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtraDirsConfig {
    /// Game description directories, searched after `games_dir`.
    pub games: Vec<PathBuf>,
    /// Room directories, searched after `rooms_dir` (no lobby needed).
    pub rooms: Vec<PathBuf>,
}

impl ExtraDirsConfig {
    pub(super) fn resolve_paths(&mut self, base: &Path) {
        for dir in self.games.iter_mut().chain(self.rooms.iter_mut()) {
            *dir = super::normalize(&base.join(&*dir));
        }
    }

    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        for (key, dirs) in [
            ("extra_dirs.games", &self.games),
            ("extra_dirs.rooms", &self.rooms),
        ] {
            if dirs.len() > MAX_EXTRA_DIRS {
                return Err((key, format!("at most {MAX_EXTRA_DIRS} directories")));
            }
            if dirs.iter().any(|d| d.as_os_str().is_empty()) {
                return Err((key, "an entry is empty".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dirs_resolve_against_the_config_file() {
        let mut c = ExtraDirsConfig {
            games: vec!["../mygame".into(), "/abs".into()],
            rooms: vec!["rooms".into()],
        };
        c.resolve_paths(Path::new("/etc/ggzd"));
        assert_eq!(
            c.games,
            [PathBuf::from("/etc/mygame"), PathBuf::from("/abs")]
        );
        assert_eq!(c.rooms, [PathBuf::from("/etc/ggzd/rooms")]);
        assert!(c.check().is_ok());
        c.rooms.push(PathBuf::new());
        assert_eq!(c.check().unwrap_err().0, "extra_dirs.rooms");
        c.rooms.clear();
        c.games = vec!["/x".into(); MAX_EXTRA_DIRS + 1];
        assert_eq!(c.check().unwrap_err().0, "extra_dirs.games");
    }
}
