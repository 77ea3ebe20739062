//! `GGZD_E2E_TTT_SERVER=/path/to/ggzd.tictactoe`: run the tests against
//! another TicTacToe game server, typically the original C one built on
//! the original libggzdmod, instead of our `ggzd-tictactoe`.
//!
//! Every server started with the repository's games (no `games_dir` of its
//! own) then gets a copy of `games/` in which `tictactoe.toml` launches
//! that executable. Its launch layout is left to ggzd's detection (the
//! libggzdmod it links, docs/launch-layout.md); a trunk-era server
//! (`libggzdmod.so.7`) also gets the trunk protocol version `dio/5+dev`,
//! a 0.0.14-era one keeps `5` (docs/tictactoe.md §3).

use std::path::{Path, PathBuf};

use ggzd::games::layout::{self, LaunchLayout};

const VAR: &str = "GGZD_E2E_TTT_SERVER";

/// The replacement game server, if the variable names one.
pub fn replacement() -> Option<PathBuf> {
    std::env::var_os(VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The launch layout the TicTacToe server in play speaks: ours takes
/// legacy from `games/tictactoe.toml`, a replacement what it links.
pub fn layout() -> LaunchLayout {
    match replacement() {
        Some(path) => layout::detect(&path, LaunchLayout::Trunk).0,
        None => LaunchLayout::Legacy,
    }
}

/// Whether the server in play sends `MSG_SEAT` and `MSG_PLAYERS` over
/// the game channel: the 0.0.14 protocol does, trunk's `dio/5+dev`
/// leaves seats and names to the GGZ core client.
pub fn sends_seats() -> bool {
    layout() == LaunchLayout::Legacy
}

/// With a replacement set, writes the games directory for it under
/// `dir` and returns it.
pub fn games_dir(repo_games: &Path, dir: &Path) -> Option<PathBuf> {
    let exec = replacement()?;
    assert!(exec.is_file(), "{VAR}={} is not a file", exec.display());
    let games = dir.join("games");
    std::fs::create_dir_all(&games).expect("games dir");
    let entries = std::fs::read_dir(repo_games).expect("read games/");
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file() {
            std::fs::copy(&path, games.join(entry.file_name())).expect("copy a game file");
        }
    }
    let original =
        std::fs::read_to_string(repo_games.join("tictactoe.toml")).expect("games/tictactoe.toml");
    let version = if layout() == LaunchLayout::Trunk {
        "dio/5+dev"
    } else {
        "5"
    };
    let mut replaced = (0, 0, 0);
    let toml: Vec<String> = original
        .lines()
        .filter_map(|line| match line.trim() {
            l if l.starts_with("executable =") => {
                replaced.0 += 1;
                Some(format!("executable = [{:?}]", exec.display().to_string()))
            }
            l if l.starts_with("layout =") => {
                replaced.1 += 1;
                None
            }
            l if l.starts_with("version = \"5\"") => {
                replaced.2 += 1;
                Some(format!("version = \"{version}\""))
            }
            _ => Some(line.to_string()),
        })
        .collect();
    assert_eq!(
        replaced,
        (1, 1, 1),
        "games/tictactoe.toml changed shape: update tests/src/ttt_server.rs"
    );
    std::fs::write(games.join("tictactoe.toml"), toml.join("\n") + "\n")
        .expect("write tictactoe.toml");
    Some(games)
}
