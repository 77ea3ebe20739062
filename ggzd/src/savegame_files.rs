//! Retention of savegame files in a game's working directory
//! (`<data_dir>/gamedata/<Name>`; docs/game-servers.md, "Savegames").
//! Runs on a worker thread after a table that reported a savegame ends.
//! Only regular files directly in that directory are considered, never
//! subdirectories or symlinks, and never a file a live table reported.
//!
//! A pruned event log is emptied and moved into `.spare/` rather than
//! deleted, up to [`SPARE_MAX`] of them, for the next table's log to take
//! again (`ggzdmod::spare`): creating and deleting one inode per game was
//! the main cost of short games on ext4 without a journal. An event log
//! some process still holds (its game server, or a reader) is left for a
//! later prune.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

use ggzdmod::eventlog::FILE_PREFIX;
use ggzdmod::spare::{SPARE_DIR, SPARE_SLOTS, slot_name, slot_of};

/// Most spare event logs kept in a game's `.spare/`: one per slot, each
/// named by its number (`ggzdmod::spare`). Prunes are paced to one per
/// game every few seconds (`zone/tables/prune_pacing.rs`), so the spares
/// must last the games of one interval: 2048 covers 400 games/s for 5 s.
/// Spares are empty, so the bound costs inodes, not blocks.
pub const SPARE_MAX: usize = SPARE_SLOTS;

/// What one prune did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Files deleted.
    pub removed: usize,
    /// Event logs moved into `.spare/`.
    pub spared: usize,
    /// Event logs left because some process still holds them.
    pub busy: usize,
}

/// Whether a pruned file may become a spare: only event logs, which the
/// crate's log writer claims again; other savegames (the original's
/// `savegame.*`, C games' own files) are deleted as before.
fn is_event_log_name(name: &str) -> bool {
    name.starts_with(FILE_PREFIX)
}

/// The free slots of the spare directory during one prune, lowest last.
#[derive(Debug)]
struct SpareRoom {
    free: Vec<usize>,
}

impl SpareRoom {
    /// `used`: the slots taken already (`None`: no usable directory).
    fn new(used: Option<&[bool]>) -> SpareRoom {
        let free = used.map_or_else(Vec::new, |used| {
            (0..SPARE_MAX)
                .rev()
                .filter(|&slot| !used.get(slot).copied().unwrap_or(false))
                .collect()
        });
        SpareRoom { free }
    }

    /// The slot the pruned `name` goes to, if it becomes a spare.
    fn take(&mut self, name: &str) -> Option<usize> {
        if !is_event_log_name(name) {
            return None;
        }
        self.free.pop()
    }
}

/// Which files go: beyond the `keep` newest (0 = no count limit), or older
/// than `max_age` (`None` = no age limit). `files` are (name, modified).
pub fn choose(
    mut files: Vec<(String, SystemTime)>,
    keep: usize,
    max_age: Option<Duration>,
    now: SystemTime,
    protect: &[String],
) -> Vec<String> {
    files.retain(|(name, _)| !protect.iter().any(|p| p == name));
    // Newest first; ties broken by name so the choice is stable.
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    files
        .into_iter()
        .enumerate()
        .filter(|(rank, (_, modified))| {
            let too_many = keep != 0 && *rank >= keep;
            let too_old = max_age.is_some_and(|age| {
                now.duration_since(*modified)
                    .is_ok_and(|elapsed| elapsed > age)
            });
            too_many || too_old
        })
        .map(|(_, (name, _))| name)
        .collect()
}

/// Applies the retention to `dir`. `protect` holds reported savegame
/// names of live tables (only their last path component matters).
pub fn prune(dir: &Path, keep: u32, max_age_days: u32, protect: &[String]) -> Pruned {
    let mut done = Pruned::default();
    if keep == 0 && max_age_days == 0 {
        return done;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return done;
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let (Some(name), true) = (
            entry.file_name().to_str().map(str::to_string),
            meta.is_file(),
        ) else {
            continue;
        };
        files.push((name, meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
    }
    let protect: Vec<String> = protect
        .iter()
        .filter_map(|p| Path::new(p).file_name()?.to_str().map(str::to_string))
        .collect();
    let max_age = (max_age_days > 0).then(|| Duration::from_secs(u64::from(max_age_days) * 86_400));
    let doomed = choose(files, keep as usize, max_age, SystemTime::now(), &protect);
    let spare_dir = if doomed.iter().any(|n| is_event_log_name(n)) {
        open_spare_dir(dir)
    } else {
        None
    };
    let mut room = SpareRoom::new(spare_dir.as_ref().map(|(_, used)| used.as_slice()));
    for name in doomed {
        let path = dir.join(&name);
        if is_event_log_name(&name) {
            let log = match claim_doomed(&path) {
                Doomed::Busy => {
                    done.busy += 1;
                    continue;
                }
                Doomed::Free(log) => log,
            };
            if let (Some(log), Some((spare, _))) = (&log, &spare_dir)
                && let Some(slot) = room.take(&name)
                && to_spares(log, &path, spare, &slot_name(slot))
            {
                done.spared += 1;
                continue;
            }
        }
        match std::fs::remove_file(&path) {
            Ok(()) => done.removed += 1,
            Err(e) => {
                log::warn!(target: "tables", "cannot remove old savegame {}: {e}", path.display())
            }
        }
    }
    if done.removed + done.spared > 0 {
        log::info!(
            target: "tables",
            "{}: {} old savegame files removed, {} kept as spares",
            dir.display(),
            done.removed,
            done.spared
        );
    }
    if done.busy > 0 {
        log::debug!(
            target: "tables",
            "{}: {} old event logs still open, left for a later prune",
            dir.display(),
            done.busy
        );
    }
    done
}

/// The spare directory of `dir` (made, mode 0700, when missing) and which
/// of its slots are taken. `None` when `.spare` is anything but a real
/// directory: a symlink is never followed.
fn open_spare_dir(dir: &Path) -> Option<(File, Vec<bool>)> {
    let path = dir.join(SPARE_DIR);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Err(e) = std::fs::DirBuilder::new().mode(0o700).create(&path)
                && e.kind() != std::io::ErrorKind::AlreadyExists
            {
                log::warn!(target: "tables", "cannot make {}: {e}", path.display());
                return None;
            }
        }
        Err(_) => return None,
    }
    let fd = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(&path)
        .ok()?;
    let mut used = vec![false; SPARE_MAX];
    for entry in std::fs::read_dir(&path).ok()?.flatten() {
        if let Some(slot) = entry.file_name().to_str().and_then(slot_of)
            && let Some(taken) = used.get_mut(slot)
        {
            *taken = true;
        }
    }
    Some((fd, used))
}

enum Doomed {
    /// A process holds the log (`ggzdmod::spare::hold`): leave it.
    Busy,
    /// Nobody holds it: the open file, locked exclusively (`None`: it
    /// could not be opened as a regular file, so it is only deleted).
    Free(Option<File>),
}

/// Opens a pruned event log and takes its exclusive lock without waiting.
fn claim_doomed(path: &Path) -> Doomed {
    // O_NOFOLLOW | O_NONBLOCK: the name was a regular file when listed; if
    // it has become anything else, it is only deleted as before.
    let Ok(file) = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    else {
        return Doomed::Free(None);
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Doomed::Free(None);
    }
    match file.try_lock() {
        Ok(()) => Doomed::Free(Some(file)),
        Err(TryLockError::WouldBlock) => Doomed::Busy,
        // No flock on this file system: spares are unguarded, so none are
        // made (a live log could otherwise be handed to a second table).
        Err(TryLockError::Error(_)) => Doomed::Free(None),
    }
}

/// Empties the locked `log` and moves it into the spare directory as
/// `slot`. False: it stays where it was (and is deleted instead).
fn to_spares(log: &File, path: &Path, spare: &File, slot: &str) -> bool {
    // Emptied here so that spares hold no blocks, only inodes.
    if log.set_len(0).is_err() {
        return false;
    }
    match nix::fcntl::renameat(nix::fcntl::AT_FDCWD, path, spare, slot) {
        Ok(()) => true,
        Err(e) => {
            log::warn!(target: "tables", "cannot move {} to the spares: {e}", path.display());
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prune that deleted `n` files and set none aside.
    fn removed_only(removed: usize) -> Pruned {
        Pruned {
            removed,
            spared: 0,
            busy: 0,
        }
    }

    #[test]
    fn keeps_the_newest_and_the_young_and_the_protected() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |secs_ago: u64| now - Duration::from_secs(secs_ago);
        let files = vec![
            ("a".to_string(), at(10)),
            ("b".to_string(), at(20)),
            ("c".to_string(), at(30)),
            ("d".to_string(), at(40)),
            ("old".to_string(), at(500_000)),
        ];
        let mut gone = choose(files.clone(), 2, None, now, &["c".to_string()]);
        gone.sort();
        assert_eq!(gone, vec!["d", "old"]);
        let gone = choose(files.clone(), 0, Some(Duration::from_secs(100)), now, &[]);
        assert_eq!(gone, vec!["old"]);
        assert!(choose(files, 0, None, now, &[]).is_empty());
    }

    #[test]
    fn prunes_only_plain_files_of_the_directory() {
        let dir = std::env::temp_dir().join(format!("ggzd-savegames-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
        for name in ["s1", "s2", "s3"] {
            std::fs::write(dir.join(name), name).expect("write");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::write(dir.join("sub/inner"), "x").expect("write");
        let done = prune(&dir, 1, 0, &["gamedata/x/s1".to_string()]);
        assert_eq!(done, removed_only(1));
        assert!(dir.join("s1").exists() && dir.join("s3").exists());
        assert!(!dir.join("s2").exists());
        assert!(dir.join("sub/inner").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A fresh directory, removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let dir =
                std::env::temp_dir().join(format!("ggzd-spares-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("mkdir");
            TempDir(dir)
        }

        /// Writes `names` oldest first (distinct modification times).
        fn files(&self, names: &[&str]) {
            for name in names {
                std::fs::write(self.0.join(name), format!("{name}\n")).expect("write");
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        fn names(&self, sub: &str) -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(self.0.join(sub))
                .map(|rd| {
                    rd.flatten()
                        .filter_map(|e| e.file_name().into_string().ok())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn only_event_logs_become_spares_while_there_is_room() {
        // Every slot taken but 5 and 9: those go, the lowest first.
        let used: Vec<bool> = (0..SPARE_MAX).map(|slot| slot != 5 && slot != 9).collect();
        let mut room = SpareRoom::new(Some(&used));
        assert_eq!(room.take("savegame.abcdef"), None);
        assert_eq!(room.take("events.aaaaaa"), Some(5));
        assert_eq!(room.take("events.bbbbbb"), Some(9));
        assert_eq!(room.take("events.cccccc"), None, "the bound is reached");
        let mut none = SpareRoom::new(None);
        assert_eq!(none.take("events.aaaaaa"), None, "no spare directory");
    }

    #[test]
    fn pruned_event_logs_are_emptied_into_the_spares() {
        let d = TempDir::new("recycle");
        d.files(&[
            "events.old001",
            "savegame.old002",
            "events.old003",
            "events.new004",
        ]);
        let done = prune(&d.0, 1, 0, &[]);
        assert_eq!(
            done,
            Pruned {
                removed: 1,
                spared: 2,
                busy: 0
            }
        );
        assert_eq!(d.names(""), vec![".spare", "events.new004"]);
        // In the lowest slots, where claimers look first.
        assert_eq!(d.names(SPARE_DIR), vec!["0", "1"]);
        let spare = d.0.join(SPARE_DIR).join("0");
        assert_eq!(std::fs::metadata(&spare).expect("spare").len(), 0);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(d.0.join(SPARE_DIR))
                .expect("dir")
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o700);
        // The spare directory and its files are never savegames.
        assert_eq!(prune(&d.0, 1, 0, &[]), Pruned::default());
        assert_eq!(d.names(SPARE_DIR).len(), 2);
    }

    #[test]
    fn beyond_the_bound_event_logs_are_deleted() {
        let d = TempDir::new("bound");
        std::fs::create_dir(d.0.join(SPARE_DIR)).expect("mkdir");
        for i in 0..SPARE_MAX - 1 {
            std::fs::write(d.0.join(SPARE_DIR).join(slot_name(i + 1)), "").expect("w");
        }
        d.files(&["events.old001", "events.old002", "events.new003"]);
        let done = prune(&d.0, 1, 0, &[]);
        assert_eq!(
            done,
            Pruned {
                removed: 1,
                spared: 1,
                busy: 0
            }
        );
        assert_eq!(d.names(SPARE_DIR).len(), SPARE_MAX);
    }

    #[test]
    fn a_symlinked_spare_directory_is_never_followed() {
        let d = TempDir::new("symlink");
        let elsewhere = TempDir::new("symlink-target");
        std::os::unix::fs::symlink(&elsewhere.0, d.0.join(SPARE_DIR)).expect("symlink");
        d.files(&["events.old001", "events.new002"]);
        let done = prune(&d.0, 1, 0, &[]);
        assert_eq!(done, removed_only(1));
        assert!(elsewhere.names("").is_empty());
        assert_eq!(d.names(""), vec![".spare", "events.new002"]);
    }

    #[test]
    fn a_log_still_held_is_left_alone() {
        let d = TempDir::new("held");
        d.files(&["events.old001", "events.new002"]);
        let writer = std::fs::File::open(d.0.join("events.old001")).expect("open");
        ggzdmod::spare::hold(&writer);
        let done = prune(&d.0, 1, 0, &[]);
        assert_eq!(
            done,
            Pruned {
                removed: 0,
                spared: 0,
                busy: 1
            }
        );
        assert_eq!(
            std::fs::read(d.0.join("events.old001")).expect("read"),
            b"events.old001\n"
        );
        drop(writer);
        assert_eq!(prune(&d.0, 1, 0, &[]).spared, 1, "taken once it is let go");
    }
}
