//! Spare files: event logs that ggzd's savegame retention set aside in
//! `<game dir>/.spare/` instead of deleting them, taken again by the next
//! table's log (docs/event-log.md §1). On a busy ext4 file system without
//! a journal, allocating an inode scans past every recently freed one, and
//! one log created and one deleted per game made that the largest cost of
//! a short game; renaming an existing inode allocates nothing.
//!
//! # Who may touch a log file
//!
//! `flock` keeps the parties apart, on the file itself:
//! - its writer (the game server) holds a shared lock as long as the log
//!   is open ([`hold`]);
//! - a reader in ggzd takes a shared lock too, then checks that the name
//!   still leads to the file it opened;
//! - the retention takes an exclusive lock, without waiting, before it
//!   moves or removes a log, and leaves the log alone when it cannot: a
//!   game server or a reader still has it;
//! - a claimer also takes the exclusive lock before it empties a spare,
//!   so a file some process still holds is never reused.
//!
//! On a file system without `flock` the locks are skipped and the names
//! alone decide, as before spares existed.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::unique_file::{NAME_ATTEMPTS, create_unique, random_name, random_seed};

/// The spare directory's name inside a game's working directory.
pub const SPARE_DIR: &str = ".spare";

/// Most spares looked at by one claim: a claim must stay cheap however many
/// spares there are, and a few tries are enough when others race for the
/// same ones.
const LOOK_AT: usize = 8;

/// A new, empty file `prefix` + 6 random characters in `dir`: a spare of
/// `dir/.spare` when one can be claimed, else a newly created file. The
/// file is held ([`hold`]) while it is open.
pub fn claim_or_create(dir: &Path, prefix: &str) -> io::Result<(File, String)> {
    let (file, name) = match claim(dir, prefix) {
        Some(found) => found,
        None => create_unique(dir, prefix)?,
    };
    hold(&file);
    Ok((file, name))
}

/// Marks `file` as in use for as long as it stays open, so that ggzd's
/// retention neither reuses nor removes it (a shared `flock`; it also turns
/// a claimer's exclusive lock into a shared one).
pub fn hold(file: &File) {
    // Best effort: without flock support the log still works, unguarded.
    let _ = file.try_lock_shared();
}

/// Takes a spare of `dir/.spare`, renamed to a fresh `prefix` + 6 random
/// characters in `dir`, emptied and open for writing. `None`: no spare
/// could be taken, and the caller creates a file as usual.
pub fn claim(dir: &Path, prefix: &str) -> Option<(File, String)> {
    let spare_path = dir.join(SPARE_DIR);
    // O_NOFOLLOW: a symlink named .spare is not our spare directory, and
    // every rename goes through this descriptor, never the path again.
    let spare_dir = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(&spare_path)
        .ok()?;
    let mut names: Vec<String> = std::fs::read_dir(&spare_path)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .take(LOOK_AT)
        .collect();
    if names.is_empty() {
        return None;
    }
    let mut seed = random_seed();
    // Claimers starting together see the same listing; starting at
    // different entries spreads them.
    let start = usize::try_from(seed % names.len() as u64).unwrap_or(0);
    names.rotate_left(start);
    for candidate in &names {
        match claim_one(&spare_dir, candidate, dir, prefix, &mut seed) {
            Claim::Got(file, name) => return Some((file, name)),
            Claim::Next => {}
            Claim::GiveUp => return None,
        }
    }
    None
}

enum Claim {
    Got(File, String),
    /// This spare is gone or unusable: try the next one.
    Next,
    /// Renaming does not work here: create instead.
    GiveUp,
}

/// Moves `candidate` out of the spare directory under a new name. The
/// rename is atomic and refuses to replace a file (`RENAME_NOREPLACE`):
/// when two claimers race for one spare, exactly one rename succeeds and
/// the other finds the name gone (`ENOENT`), so two game servers never
/// share a file; and a claimed name can never clobber another table's log.
fn claim_one(spare_dir: &File, candidate: &str, dir: &Path, prefix: &str, seed: &mut u64) -> Claim {
    for _ in 0..NAME_ATTEMPTS {
        let name = random_name(prefix, seed);
        match rename_noreplace(spare_dir, candidate, &dir.join(&name)) {
            Ok(()) => return take(dir, name),
            Err(nix::errno::Errno::ENOENT) => return Claim::Next,
            Err(nix::errno::Errno::EEXIST) => {}
            Err(_) => return Claim::GiveUp,
        }
    }
    Claim::GiveUp
}

/// Opens the just claimed `name` in `dir`, makes sure it is a regular file
/// nobody holds, and empties it. Whatever fails, the name is removed again
/// (it is ours, and no one else uses it).
fn take(dir: &Path, name: String) -> Claim {
    let path = dir.join(&name);
    // O_NOFOLLOW: a symlink put among the spares is never followed.
    // O_NONBLOCK: opening a FIFO must not hang; it changes nothing for
    // the regular file that is the only thing accepted.
    let opened = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path);
    let usable = opened.and_then(|file| {
        if !file.metadata()?.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(io::Error::other("still in use")),
            // No flock here: nothing to check against.
            Err(TryLockError::Error(_)) => {}
        }
        // Emptied only under the lock: a holder found above keeps its bytes.
        file.set_len(0)?;
        Ok(file)
    });
    match usable {
        Ok(file) => Claim::Got(file, name),
        Err(_) => {
            let _ = std::fs::remove_file(&path);
            Claim::Next
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn rename_noreplace(from_dir: &File, from: &str, to: &Path) -> nix::Result<()> {
    nix::fcntl::renameat2(
        from_dir,
        from,
        nix::fcntl::AT_FDCWD,
        to,
        nix::fcntl::RenameFlags::RENAME_NOREPLACE,
    )
}

/// Without `renameat2` there is no rename that refuses to replace:
/// spares are never claimed.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn rename_noreplace(_from_dir: &File, _from: &str, _to: &Path) -> nix::Result<()> {
    Err(nix::errno::Errno::ENOSYS)
}

#[cfg(test)]
mod tests;
