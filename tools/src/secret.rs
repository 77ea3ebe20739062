//! Reading a secret (a password) without showing it: from a prompt on
//! the controlling terminal with echo off, or as the first line of a
//! stream for scripts. Shared by `ggzduedit` and the `ggz` client.
//!
//! Not `rpassword`: it reads an unbounded line, and a Ctrl-C at its
//! prompt kills the process with the terminal's settings still changed
//! (its issue #109, PR #134 open). Here the line is bounded and a signal
//! restores the terminal and comes back as [`HiddenRead::Interrupted`],
//! which `ggz` turns into its exit status 130.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};

/// Longest secret accepted, in bytes; far beyond anything a person types,
/// it only stops a runaway pipe.
pub const MAX_SECRET_BYTES: usize = 4096;

/// What a hidden prompt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HiddenRead {
    /// The typed line, without its end.
    Line(Vec<u8>),
    /// Ctrl-C (or SIGTERM/SIGHUP) arrived while waiting.
    Interrupted,
}

/// The controlling terminal, for prompting even when stdin is a pipe.
pub fn open_tty() -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open("/dev/tty")
}

/// The first line of `input` without its end (`\n` or `\r\n`); `None` when
/// the input is empty. Reads at most [`MAX_SECRET_BYTES`] + 2 bytes, so a
/// longer line comes back longer than the limit for the caller to refuse.
pub fn read_first_line(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let limit = u64::try_from(MAX_SECRET_BYTES + 2).unwrap_or(u64::MAX);
    input.take(limit).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    Ok(Some(strip_line_end(&line).to_vec()))
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Set by the signal handler while a hidden prompt is active.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn note_interrupt(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Signals that would otherwise kill the process with echo still off.
const CAUGHT_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// While alive: the terminal does not echo, and the signals in
/// [`CAUGHT_SIGNALS`] interrupt the read instead of killing the process.
/// Dropping it restores both.
struct HiddenInput {
    fd: libc::c_int,
    saved_termios: libc::termios,
    saved_actions: Vec<(libc::c_int, libc::sigaction)>,
}

impl HiddenInput {
    fn start(tty: &File) -> io::Result<HiddenInput> {
        let fd = tty.as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it completely on
        // success and we only use it then.
        let mut saved_termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is open for the lifetime of `tty`; the pointer is valid.
        if unsafe { libc::tcgetattr(fd, &mut saved_termios) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut guard = HiddenInput {
            fd,
            saved_termios,
            saved_actions: Vec::new(),
        };
        INTERRUPTED.store(false, Ordering::SeqCst);
        for signal in CAUGHT_SIGNALS {
            // SAFETY: sigaction is plain data; zeroed is a valid empty mask
            // and flags, and the handler only stores to an atomic, which is
            // async-signal-safe. No SA_RESTART, so a blocked read returns
            // EINTR.
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = note_interrupt as extern "C" fn(libc::c_int) as usize;
            // SAFETY: as above; `old` is written by sigaction on success.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: both pointers are valid for the call.
            if unsafe { libc::sigaction(signal, &action, &mut old) } != 0 {
                return Err(io::Error::last_os_error());
            }
            guard.saved_actions.push((signal, old));
        }
        let mut quiet = saved_termios;
        quiet.c_lflag &= !libc::ECHO;
        // Still echo the newline, so the next output starts on a new line.
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: fd is a valid terminal; `quiet` is a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(guard)
    }
}

impl Drop for HiddenInput {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `start` on the same fd,
        // which the caller keeps open for the guard's lifetime.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSAFLUSH, &self.saved_termios);
        }
        for (signal, old) in self.saved_actions.drain(..) {
            // SAFETY: reinstalls the action sigaction returned earlier.
            unsafe {
                libc::sigaction(signal, &old, std::ptr::null_mut());
            }
        }
    }
}

/// Writes `prompt` to the terminal and reads one line with echo off. Bytes
/// beyond [`MAX_SECRET_BYTES`] are dropped.
pub fn read_hidden_line(tty: &mut File, prompt: &str) -> io::Result<HiddenRead> {
    tty.write_all(prompt.as_bytes())?;
    tty.flush()?;
    let guard = HiddenInput::start(tty)?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let outcome = loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            break Ok(HiddenRead::Interrupted);
        }
        match tty.read(&mut byte) {
            Ok(0) => break Ok(HiddenRead::Line(Vec::new())),
            Ok(_) if byte[0] == b'\n' => break Ok(HiddenRead::Line(Vec::new())),
            Ok(_) if line.len() > MAX_SECRET_BYTES => {}
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    drop(guard);
    match outcome? {
        HiddenRead::Interrupted => {
            // The prompt's line was left open; end it before any message.
            let _ = tty.write_all(b"\n");
            Ok(HiddenRead::Interrupted)
        }
        HiddenRead::Line(_) => Ok(HiddenRead::Line(strip_line_end(&line).to_vec())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(input: &[u8]) -> Option<Vec<u8>> {
        read_first_line(&mut &input[..]).unwrap()
    }

    #[test]
    fn first_line_without_its_end() {
        assert_eq!(first(b"secret\n").unwrap(), b"secret");
        assert_eq!(first(b"secret\r\nmore\n").unwrap(), b"secret");
        assert_eq!(first(b"no newline").unwrap(), b"no newline");
        assert_eq!(first(b"\n").unwrap(), b"");
        assert_eq!(first(b""), None);
        let long = vec![b'x'; MAX_SECRET_BYTES * 2];
        assert_eq!(first(&long).unwrap().len(), MAX_SECRET_BYTES + 2);
    }
}
