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

/// Spares are named by their slot, a number below this. ggzd's retention
/// fills the lowest free slots (`savegame_files.rs`), and a claimer tries
/// to rename slots it picks ([`slots_to_try`]), so a claim never lists the
/// directory: reading a directory of a thousand names cost each game more
/// than creating its file had.
pub const SPARE_SLOTS: usize = 2048;

/// Slots tried by one claim. An empty slot costs one failed rename (a path
/// lookup), so a claim stays cheap when the spares are few or gone.
const TRIES: usize = 16;

/// The slots one claim tries, in order: the four lowest (where a few
/// spares are), from a random one of them; then one random slot in each
/// doubling range up to all of them (where many are, and where claimers
/// racing for the same spares spread out); then random slots anywhere.
/// The tries must reach the top slots: claims take the low slots first,
/// so between two prunes the spares left are the high ones. Tries that
/// stopped at half the slots made a third of all claims fail at 300
/// games a second (BENCHMARKS.md, session 9).
fn slots_to_try(seed: &mut u64) -> Vec<usize> {
    let mut slots = Vec::with_capacity(TRIES);
    *seed = crate::unique_file::xorshift(*seed);
    let start = usize::try_from(*seed % 4).unwrap_or(0);
    slots.extend((0..4).map(|i| (start + i) % 4));
    let mut range = 8;
    while slots.len() < TRIES {
        *seed = crate::unique_file::xorshift(*seed);
        slots.push(usize::try_from(*seed % range as u64).unwrap_or(0));
        range = (range * 2).min(SPARE_SLOTS);
    }
    slots
}

/// The name of spare slot `slot`.
pub fn slot_name(slot: usize) -> String {
    slot.to_string()
}

/// The slot a name in the spare directory stands for, if it is one.
pub fn slot_of(name: &str) -> Option<usize> {
    if name.is_empty() || name.len() > 4 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse()
        .ok()
        .filter(|&slot| slot < SPARE_SLOTS && slot_name(slot) == name)
}

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
    let mut seed = random_seed();
    for slot in slots_to_try(&mut seed) {
        match claim_one(&spare_dir, &slot_name(slot), dir, prefix, &mut seed) {
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
