//! The savegame log of docs/tictactoe.md §2.9.
//!
//! A text file with one line per event, created in the working directory
//! (ggzd starts game servers in `gamedata/<Game Name>/`) on the first event
//! worth logging, named `savegame.` plus six random characters. Its name is
//! reported to ggzd once. No client ever sees it; a community web site of
//! the original parsed it to render games, which is why the format is kept.
//!
//! Writing is best effort: when the file cannot be created or written the
//! game goes on without it.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::board::Mark;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A player sat down.
    Join(Mark, String),
    /// A player left (or was replaced).
    Leave(Mark, String),
    /// A fresh game starts: the board size, then the start time.
    Start,
    /// A game resumes after a rejoin.
    Continue,
    /// A move, as row and column.
    Move(Mark, usize),
    /// The game ended with this seat winning.
    Winner(Mark),
    /// The game ended in a draw.
    Tie,
}

impl Entry {
    /// The text lines of this entry, given the current unix time.
    fn lines(&self, now: u64) -> Vec<String> {
        // Seats are 1-based in this format: player1 = seat 0.
        let who = |m: &Mark| format!("player{}", m.seat() + 1);
        match self {
            Entry::Join(m, name) => vec![format!("{} join {name}", who(m))],
            Entry::Leave(m, name) => vec![format!("{} leave {name}", who(m))],
            Entry::Start => vec![
                "players options 3 3".to_owned(),
                format!("players start {now}"),
            ],
            Entry::Continue => vec![format!("players continue {now}")],
            Entry::Move(m, sq) => vec![format!("{} move {} {}", who(m), sq / 3, sq % 3)],
            Entry::Winner(m) => vec![format!("{} winner {now}", who(m))],
            Entry::Tie => vec![format!("players tie {now}")],
        }
    }
}

/// What [`Savegame::record`] did, so the caller can tell ggzd and log.
#[derive(Debug)]
pub enum Recorded {
    /// Nothing new to tell.
    Quiet,
    /// The file was just created under this base name: report it to ggzd.
    Created(String),
    /// Creating or writing failed; savegames are off from now on.
    Failed(io::Error),
}

#[derive(Debug)]
enum State {
    Off,
    NotYetCreated(PathBuf),
    Open(File),
}

/// The savegame log of one table.
#[derive(Debug)]
pub struct Savegame {
    state: State,
}

impl Savegame {
    /// No savegame is written.
    pub fn disabled() -> Savegame {
        Savegame { state: State::Off }
    }

    /// A savegame created in `dir` on the first entry.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Savegame {
        Savegame {
            state: State::NotYetCreated(dir.into()),
        }
    }

    /// Appends an entry, creating the file first if needed.
    pub fn record(&mut self, entry: &Entry) -> Recorded {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut created = None;
        if let State::NotYetCreated(dir) = &self.state {
            match ggzdmod::unique_file::create_unique(dir, "savegame.") {
                Ok((file, name)) => {
                    self.state = State::Open(file);
                    created = Some(name);
                }
                Err(e) => {
                    self.state = State::Off;
                    return Recorded::Failed(e);
                }
            }
        }
        let State::Open(file) = &mut self.state else {
            return Recorded::Quiet;
        };
        let mut text = String::new();
        for line in entry.lines(now) {
            text.push_str(&line);
            text.push('\n');
        }
        // One write per entry, flushed at once, so the file is useful even
        // if ggzd kills the process right after.
        if let Err(e) = file.write_all(text.as_bytes()).and_then(|()| file.flush()) {
            self.state = State::Off;
            return Recorded::Failed(e);
        }
        created.map_or(Recorded::Quiet, Recorded::Created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_the_original_format() {
        let now = 1_169_000_000;
        assert_eq!(
            Entry::Join(Mark::Seat0, "alice".into()).lines(now),
            ["player1 join alice"]
        );
        assert_eq!(
            Entry::Leave(Mark::Seat1, "bob".into()).lines(now),
            ["player2 leave bob"]
        );
        assert_eq!(
            Entry::Start.lines(now),
            ["players options 3 3", "players start 1169000000"]
        );
        assert_eq!(Entry::Continue.lines(now), ["players continue 1169000000"]);
        assert_eq!(Entry::Move(Mark::Seat0, 4).lines(now), ["player1 move 1 1"]);
        assert_eq!(Entry::Move(Mark::Seat1, 0).lines(now), ["player2 move 0 0"]);
        assert_eq!(Entry::Move(Mark::Seat1, 5).lines(now), ["player2 move 1 2"]);
        assert_eq!(
            Entry::Winner(Mark::Seat0).lines(now),
            ["player1 winner 1169000000"]
        );
        assert_eq!(Entry::Tie.lines(now), ["players tie 1169000000"]);
    }

    #[test]
    fn file_is_created_once_and_appended() {
        let dir = std::env::temp_dir().join(format!("ttt-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut save = Savegame::in_dir(&dir);
        let Recorded::Created(name) = save.record(&Entry::Join(Mark::Seat0, "al".into())) else {
            panic!("first entry creates the file");
        };
        assert!(name.starts_with("savegame.") && name.len() == 15, "{name}");
        assert!(matches!(
            save.record(&Entry::Move(Mark::Seat0, 8)),
            Recorded::Quiet
        ));
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        assert_eq!(text, "player1 join al\nplayer1 move 2 2\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unwritable_directory_turns_savegames_off() {
        let mut save = Savegame::in_dir("/nonexistent/ttt-savegame-test");
        assert!(matches!(save.record(&Entry::Start), Recorded::Failed(_)));
        assert!(matches!(save.record(&Entry::Start), Recorded::Quiet));
        assert!(matches!(
            Savegame::disabled().record(&Entry::Tie),
            Recorded::Quiet
        ));
    }
}
