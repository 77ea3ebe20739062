//! Reading a table's event log for the record (docs/replays.md §1), on a
//! worker: a plain file of the game's working directory, never more than
//! the configured bound, and only its envelope is checked.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ggzdmod::eventlog::{self, LogError};

/// What a table's savegame turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// Not an event log (another kind of savegame): not a replay.
    NotALog,
    /// An event log that cannot be recorded, and why.
    Refused(String),
    /// The log to store, and its number of events.
    Log { bytes: Vec<u8>, events: u64 },
}

/// Whether a savegame name is one file of the game's directory: no path,
/// no hidden file, nothing the game server could aim elsewhere with.
pub fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255
}

/// Reads the savegame `name` in `dir`, at most `max_bytes`. A symbolic
/// link is refused (`O_NOFOLLOW`), as is anything but a regular file.
pub fn read(dir: &Path, name: &str, max_bytes: u64) -> io::Result<Found> {
    if !plain_file_name(name) {
        return Ok(Found::Refused(format!(
            "savegame name '{}' is not a plain file name",
            name.escape_debug()
        )));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(dir.join(name))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Found::Refused(format!(
            "savegame {name} is not a regular file"
        )));
    }
    still_there(&file, &meta, &dir.join(name))?;
    let mut head = [0u8; 64];
    let n = read_some(&file, &mut head)?;
    if !eventlog::is_event_log(head.get(..n).unwrap_or_default()) {
        return Ok(Found::NotALog);
    }
    let mut bytes = head.get(..n).unwrap_or_default().to_vec();
    (&file)
        .take(max_bytes.saturating_add(1).saturating_sub(n as u64))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Ok(Found::Refused(format!(
            "event log {name} is larger than replays.max_log_bytes ({max_bytes})"
        )));
    }
    Ok(Found::Log { bytes, events: 0 })
}

/// Holds `file` against the retention while it is read (a shared lock,
/// as its writer's; docs/event-log.md §1), then checks that the name still
/// leads to it: a log moved to the spares between the open and the lock
/// may already be another table's, and reads as gone.
fn still_there(file: &File, meta: &std::fs::Metadata, path: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let gone = || io::Error::new(io::ErrorKind::NotFound, "pruned while being read");
    match file.try_lock_shared() {
        Ok(()) => {}
        // The retention holds it right now: it is on its way out.
        Err(std::fs::TryLockError::WouldBlock) => return Err(gone()),
        // No flock here: the retention makes no spares then.
        Err(std::fs::TryLockError::Error(_)) => return Ok(()),
    }
    let now = std::fs::symlink_metadata(path).map_err(|_| gone())?;
    if now.dev() != meta.dev() || now.ino() != meta.ino() {
        return Err(gone());
    }
    Ok(())
}

fn read_some(mut file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Checks the envelope of `bytes`, the log of a table of `internal_name`.
/// For an unfinished game (its game server died) an incomplete last line
/// is dropped first: everything before it was flushed whole. An
/// unfinished log without events is not worth keeping.
pub fn check(
    mut bytes: Vec<u8>,
    internal_name: &str,
    unfinished: bool,
    max_events: usize,
) -> Found {
    if unfinished && bytes.last() != Some(&b'\n') {
        let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(keep);
    }
    match eventlog::parse(&bytes, max_events) {
        Ok(log) if log.game != internal_name => Found::Refused(format!(
            "event log of game '{}' at a table of '{internal_name}'",
            log.game.escape_debug()
        )),
        Ok(log) if unfinished && log.events.is_empty() => Found::NotALog,
        Ok(log) => Found::Log {
            events: log.events.len() as u64,
            bytes,
        },
        Err(LogError::NotALog) => Found::NotALog,
        Err(e) => Found::Refused(format!("event log refused: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("ggzd-replays-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn write_log(d: &Path, moves: u8, finish: bool) -> (String, Vec<u8>) {
        let mut w = eventlog::EventLog::create(d, "TicTacToe").unwrap();
        w.append("start", b"").unwrap();
        for m in 0..moves {
            w.append("move", &[m % 2, m]).unwrap();
        }
        if finish {
            w.finish().unwrap();
        }
        let name = w.file_name().to_owned();
        drop(w);
        let bytes = std::fs::read(d.join(&name)).unwrap();
        (name, bytes)
    }

    #[test]
    fn a_log_is_read_and_checked() {
        let d = dir("read");
        let (name, bytes) = write_log(&d.0, 3, true);
        let Found::Log { bytes: read, .. } = read(&d.0, &name, 1 << 20).unwrap() else {
            panic!("not read");
        };
        assert_eq!(read, bytes);
        assert_eq!(
            check(read, "TicTacToe", false, 100),
            Found::Log { bytes, events: 4 }
        );
    }

    #[test]
    fn other_files_names_and_sizes_are_not_recorded() {
        let d = dir("other");
        std::fs::write(d.0.join("ttt.save"), "TicTacToe savegame\n").unwrap();
        assert_eq!(read(&d.0, "ttt.save", 1000).unwrap(), Found::NotALog);
        for bad in ["", "../x", ".hidden", "a/b"] {
            assert!(
                matches!(read(&d.0, bad, 1000).unwrap(), Found::Refused(_)),
                "{bad}"
            );
        }
        let (name, _) = write_log(&d.0, 50, true);
        assert!(matches!(read(&d.0, &name, 100).unwrap(), Found::Refused(_)));
        std::os::unix::fs::symlink(d.0.join(&name), d.0.join("link")).unwrap();
        assert!(read(&d.0, "link", 1 << 20).is_err());
        assert!(read(&d.0, "missing", 1 << 20).is_err());
    }

    #[test]
    fn a_log_being_pruned_reads_as_gone_and_a_written_one_reads() {
        let d = dir("locks");
        let mut live = eventlog::EventLog::create(&d.0, "TicTacToe").unwrap();
        live.append("start", b"").unwrap();
        // The writer's shared lock does not keep a reader out.
        assert!(matches!(
            read(&d.0, live.file_name(), 1 << 20).unwrap(),
            Found::Log { .. }
        ));
        let (name, _) = write_log(&d.0, 1, true);
        let pruning = File::open(d.0.join(&name)).unwrap();
        pruning.try_lock().unwrap();
        let err = read(&d.0, &name, 1 << 20).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn an_unfinished_log_loses_only_its_broken_last_line() {
        let d = dir("unfinished");
        let (_, bytes) = write_log(&d.0, 4, false);
        let mut cut = bytes.clone();
        cut.truncate(bytes.len() - 5);
        // A finished game's broken log is refused; an unfinished one is
        // kept up to its last whole line.
        assert!(matches!(
            check(cut.clone(), "TicTacToe", false, 100),
            Found::Refused(_)
        ));
        let Found::Log { events, .. } = check(cut, "TicTacToe", true, 100) else {
            panic!("not kept");
        };
        assert_eq!(events, 4);
        assert!(matches!(
            check(bytes, "Reversi", false, 100),
            Found::Refused(_)
        ));
        let (_, empty) = {
            let w = eventlog::EventLog::create(&d.0, "TicTacToe").unwrap();
            let name = w.file_name().to_owned();
            drop(w);
            (name.clone(), std::fs::read(d.0.join(name)).unwrap())
        };
        assert_eq!(check(empty, "TicTacToe", true, 100), Found::NotALog);
    }
}
