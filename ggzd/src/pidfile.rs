//! `<data_dir>/ggzd.pid`: one ggzd per data directory.
//!
//! The file is held with an exclusive `flock` for as long as ggzd runs, so
//! whether another ggzd owns the directory is the kernel's answer, not a
//! guess from a number in a file: a file left by a crash is unlocked and
//! simply taken over, whatever process its old pid now belongs to. The
//! descriptor is close-on-exec, so game servers never inherit the lock.
//! The pid inside serves `ggzduedit` (SIGHUP) and the error message.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// The pid file's name inside the data directory.
pub const PID_FILE: &str = "ggzd.pid";

/// A locked pid file; the lock goes with the process (or [`PidFile::remove`]).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    file: Flock<File>,
}

impl PidFile {
    /// Takes the lock of `data_dir`'s pid file and writes our pid into it;
    /// fails with a message naming the holder's pid when another process
    /// has it.
    pub fn lock(data_dir: &Path) -> io::Result<PidFile> {
        let path = data_dir.join(PID_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let holder =
                    read_pid(&mut file).map_or_else(String::new, |pid| format!(" (pid {pid})"));
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "another ggzd{holder} runs on the data directory {}: {} is locked",
                        data_dir.display(),
                        path.display()
                    ),
                ));
            }
            Err((_, errno)) => {
                return Err(io::Error::other(format!(
                    "cannot lock {}: {errno}",
                    path.display()
                )));
            }
        };
        let mut pid_file = PidFile { path, file };
        pid_file.write_pid()?;
        Ok(pid_file)
    }

    /// Writes the current pid (again: daemonizing changes it).
    pub fn write_pid(&mut self) -> io::Result<()> {
        let file: &mut File = &mut self.file;
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(format!("{}\n", std::process::id()).as_bytes())
    }

    /// Removes the file on a clean exit; the lock ends with the descriptor.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The pid written in the file, if it holds one.
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::temp_dir;

    #[test]
    fn a_stale_file_is_taken_over() {
        let dir = temp_dir("pidfile-stale");
        // The pid of a live process that is not a ggzd: our own parent.
        let stale = std::os::unix::process::parent_id();
        std::fs::write(dir.join(PID_FILE), format!("{stale}\n")).unwrap();
        let pid_file = PidFile::lock(&dir).unwrap();
        let text = std::fs::read_to_string(dir.join(PID_FILE)).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        pid_file.remove();
        assert!(!dir.join(PID_FILE).exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_held_lock_refuses_a_second_owner_until_released() {
        let dir = temp_dir("pidfile-held");
        let first = PidFile::lock(&dir).unwrap();
        let err = PidFile::lock(&dir).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("another ggzd (pid {})", std::process::id())),
            "{message}"
        );
        assert!(message.contains("is locked"), "{message}");
        drop(first);
        let again = PidFile::lock(&dir).unwrap();
        again.remove();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_symlink_is_not_followed() {
        let dir = temp_dir("pidfile-link");
        let target = dir.join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.join(PID_FILE)).unwrap();
        assert!(PidFile::lock(&dir).is_err());
        assert!(!target.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
