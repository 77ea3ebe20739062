//! Where a new password comes from: the first line of standard input
//! (`--password-stdin`, for scripts) or a prompt on the controlling
//! terminal with echo switched off, asked twice.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::UeditError;

/// Longest password accepted, in bytes; far beyond anything a person types,
/// it only stops a runaway pipe.
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// Supplies the new password for an account.
pub trait PasswordSource {
    /// The new password for `handle`; never empty.
    fn new_password(&mut self, handle: &str) -> Result<String, UeditError>;
}

/// Refuses passwords no one could log in with.
pub fn check_password(password: &str) -> Result<(), UeditError> {
    if password.is_empty() {
        return Err(UeditError::BadInput("the password is empty".into()));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(UeditError::BadInput(format!(
            "the password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Reads the password as the first line of a stream (normally stdin); the
/// line end (`\n` or `\r\n`) is not part of it, everything else is.
pub struct LineReader<R> {
    input: R,
}

impl<R: BufRead> LineReader<R> {
    /// Reads from `input`.
    pub fn new(input: R) -> LineReader<R> {
        LineReader { input }
    }
}

impl<R: BufRead> PasswordSource for LineReader<R> {
    fn new_password(&mut self, _handle: &str) -> Result<String, UeditError> {
        let mut line = Vec::new();
        let limit = u64::try_from(MAX_PASSWORD_BYTES + 2).unwrap_or(u64::MAX);
        (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(UeditError::io("cannot read the password from stdin"))?;
        if line.is_empty() {
            return Err(UeditError::BadInput(
                "no password on stdin (--password-stdin reads its first line)".into(),
            ));
        }
        let line = strip_line_end(&line);
        let password = String::from_utf8(line.to_vec())
            .map_err(|_| UeditError::BadInput("the password is not valid UTF-8".into()))?;
        check_password(&password)?;
        Ok(password)
    }
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Asks on the controlling terminal (`/dev/tty`), twice, without echo.
pub struct TerminalPrompt;

impl PasswordSource for TerminalPrompt {
    fn new_password(&mut self, handle: &str) -> Result<String, UeditError> {
        let mut tty = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|_| {
                UeditError::Usage(
                    "no terminal to ask for the password on; pipe it in with --password-stdin"
                        .into(),
                )
            })?;
        let first = read_hidden_line(&mut tty, &format!("New password for {handle}: "))?;
        check_password(&first)?;
        let second = read_hidden_line(&mut tty, "Retype the new password: ")?;
        if first != second {
            return Err(UeditError::BadInput("the passwords differ".into()));
        }
        Ok(first)
    }
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

fn read_hidden_line(tty: &mut File, prompt: &str) -> Result<String, UeditError> {
    let io_err = UeditError::io("cannot read the password from the terminal");
    tty.write_all(prompt.as_bytes())
        .and_then(|()| tty.flush())
        .map_err(UeditError::io("cannot write to the terminal"))?;
    let guard = HiddenInput::start(tty).map_err(UeditError::io("cannot switch off echo"))?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let outcome = loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            break Err(UeditError::Interrupted);
        }
        match tty.read(&mut byte) {
            Ok(0) => break Ok(()),
            Ok(_) if byte[0] == b'\n' => break Ok(()),
            Ok(_) if line.len() > MAX_PASSWORD_BYTES => {}
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(io_err(e)),
        }
    };
    drop(guard);
    if matches!(outcome, Err(UeditError::Interrupted)) {
        // The prompt's line was left open; end it before the message.
        let _ = tty.write_all(b"\n");
    }
    outcome?;
    String::from_utf8(strip_line_end(&line).to_vec())
        .map_err(|_| UeditError::BadInput("the password is not valid UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(input: &[u8]) -> Result<String, UeditError> {
        LineReader::new(input).new_password("alice")
    }

    #[test]
    fn reads_the_first_line_without_its_end() {
        assert_eq!(from(b"secret\n").unwrap(), "secret");
        assert_eq!(from(b"secret\r\nmore\n").unwrap(), "secret");
        assert_eq!(from(b"no newline").unwrap(), "no newline");
        assert_eq!(from(b" spaced out \n").unwrap(), " spaced out ");
        assert_eq!(from("pässwörd\n".as_bytes()).unwrap(), "pässwörd");
    }

    #[test]
    fn refuses_unusable_input() {
        assert!(matches!(from(b""), Err(UeditError::BadInput(_))));
        assert!(matches!(from(b"\n"), Err(UeditError::BadInput(_))));
        assert!(matches!(from(b"\xff\xfe\n"), Err(UeditError::BadInput(_))));
        let long = vec![b'x'; MAX_PASSWORD_BYTES + 10];
        assert!(matches!(from(&long), Err(UeditError::BadInput(_))));
        let max = vec![b'x'; MAX_PASSWORD_BYTES];
        assert_eq!(from(&max).unwrap().len(), MAX_PASSWORD_BYTES);
    }
}
