//! A new file under a random name, never overwriting one: the event log
//! (`events.XXXXXX`) and a game's own savegame (`savegame.XXXXXX`, the
//! original's naming) are both made this way.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Characters of the random name suffix.
const NAME_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// How many names to try before giving up on collisions.
pub(crate) const NAME_ATTEMPTS: u32 = 32;

/// Creates `prefix` + 6 random characters in `dir` (`create_new`, so an
/// existing file is never touched) and returns it with its name.
pub fn create_unique(dir: &Path, prefix: &str) -> io::Result<(File, String)> {
    let mut seed = random_seed();
    let mut last_err = io::Error::other("no file name tried");
    for _ in 0..NAME_ATTEMPTS {
        let name = random_name(prefix, &mut seed);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(&name))
        {
            Ok(file) => return Ok((file, name)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = e,
            Err(e) => return Err(e),
        }
    }
    Err(last_err)
}

/// `prefix` + 6 characters of `NAME_CHARS`, advancing `seed`.
pub(crate) fn random_name(prefix: &str, seed: &mut u64) -> String {
    let mut name = String::with_capacity(prefix.len() + 6);
    name.push_str(prefix);
    for _ in 0..6 {
        *seed = xorshift(*seed);
        let pick = usize::try_from(*seed % NAME_CHARS.len() as u64).unwrap_or(0);
        name.push(char::from(NAME_CHARS.get(pick).copied().unwrap_or(b'x')));
    }
    name
}

/// Time, pid and a per-process counter mixed: names need not be
/// unpredictable (`create_new` handles collisions), only rarely equal.
pub(crate) fn random_seed() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (nanos ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix_and_never_replace_a_file() {
        let dir = std::env::temp_dir().join(format!("ggzdmod-unique-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (_, a) = create_unique(&dir, "savegame.").unwrap();
        let (_, b) = create_unique(&dir, "savegame.").unwrap();
        assert!(a.starts_with("savegame.") && a.len() == "savegame.".len() + 6);
        assert_ne!(a, b);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
