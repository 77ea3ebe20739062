//! The terminal while an interactive session runs.
//!
//! The line editor switches the terminal into raw mode only while it
//! reads a line, and puts back the mode it found when the line is done.
//! Between two lines (while the session handles the last one and draws
//! what the server answers) the terminal would be in the user's cooked
//! mode, where the kernel's line discipline, not the editor, sees a
//! Ctrl-C: with a controlling terminal it becomes a SIGINT (which the
//! session catches), but without one (a pty handed over by a test, a
//! terminal program that does not make it the controlling terminal) the
//! byte is simply thrown away together with everything typed before it,
//! and the client never logs out. So for the whole session the terminal
//! is kept in a mode where keys stay bytes: the editor finds them when it
//! reads the next line, whatever moment they were typed at. The settings
//! found at start are put back when the session ends, however it ends.

use std::io;
use std::os::fd::RawFd;

/// The settings of the terminal between two lines: no line discipline
/// acting on keys (no signals from Ctrl-C/Ctrl-Z/Ctrl-\, no line editing,
/// no echo, no CR to NL, no flow control), so each key waits, unchanged,
/// for the line editor: the same input settings the editor uses while it
/// reads. Output processing is left alone: lines printed between two
/// prompts still end the way the user's terminal expects.
pub fn keys_mode(found: &libc::termios) -> libc::termios {
    let mut mode = *found;
    mode.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
    mode.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
    // VMIN/VTIME stay as found: nobody reads in this mode (the editor
    // sets its own when it reads), and on some systems they share their
    // slots with VEOF/VEOL, which the editor takes its key bindings from.
    mode
}

/// Holds the terminal in [`keys_mode`] and puts back the settings it
/// found when dropped: the session can end (server gone, signal) while
/// the line editor has the terminal in raw mode on its thread.
pub struct TerminalRestore {
    fd: RawFd,
    saved: Option<libc::termios>,
}

impl TerminalRestore {
    /// Takes over stdin's terminal, if stdin is one.
    pub fn take() -> TerminalRestore {
        TerminalRestore::take_fd(libc::STDIN_FILENO)
    }

    fn take_fd(fd: RawFd) -> TerminalRestore {
        let saved = get(fd).ok();
        if let Some(found) = &saved {
            // A terminal that refuses the mode still works: Ctrl-C at the
            // prompt is then only as reliable as the kernel makes it.
            let _ = set(fd, &keys_mode(found));
        }
        TerminalRestore { fd, saved }
    }
}

impl Drop for TerminalRestore {
    fn drop(&mut self) {
        if let Some(termios) = &self.saved {
            let _ = set(self.fd, termios);
            if self.fd == libc::STDIN_FILENO {
                // Bracketed paste off, as the editor leaves it between lines.
                let mut out = io::stdout();
                let _ = io::Write::write_all(&mut out, b"\x1b[?2004l");
                let _ = io::Write::flush(&mut out);
            }
        }
    }
}

fn get(fd: RawFd) -> io::Result<libc::termios> {
    // SAFETY: termios is plain data that tcgetattr fills completely on
    // success; it is only used then.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer; a bad fd or one that is no terminal fails.
    if unsafe { libc::tcgetattr(fd, &mut termios) } == 0 {
        Ok(termios)
    } else {
        Err(io::Error::last_os_error())
    }
}

fn set(fd: RawFd, termios: &libc::termios) -> io::Result<()> {
    // TCSANOW, not TCSAFLUSH: keys already typed must survive the switch.
    // SAFETY: a valid pointer to settings read with tcgetattr.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, termios) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    //! The line editor's life on a real pty: raw mode while it reads a
    //! line, the mode it found between lines, while another thread draws
    //! what the server sent. A Ctrl-C typed in between must still reach
    //! the editor when it reads the next line.

    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::thread;

    use super::*;

    fn pty() -> (File, File) {
        let (mut controller, mut terminal) = (0, 0);
        // SAFETY: openpty fills both fds; null name/termios/winsize are
        // allowed (the terminal starts in the kernel's cooked mode).
        let rc = unsafe {
            libc::openpty(
                &mut controller,
                &mut terminal,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", io::Error::last_os_error());
        // SAFETY: both fds are fresh and owned by nobody else.
        unsafe { (File::from_raw_fd(controller), File::from_raw_fd(terminal)) }
    }

    /// What the editor sets while it reads a line (as rustyline does).
    fn editor_raw(found: &libc::termios) -> libc::termios {
        let mut raw = *found;
        raw.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
        raw.c_lflag &= !(libc::ECHO | libc::ICANON | libc::IEXTEN | libc::ISIG);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        raw
    }

    /// Reads one side of the pty until `end`.
    fn read_until(terminal: &mut File, end: u8) -> Vec<u8> {
        let mut got = Vec::new();
        while !got.contains(&end) {
            let mut poll = libc::pollfd {
                fd: terminal.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // Only a bound against hanging forever on a broken kernel.
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut poll, 1, 20_000) };
            assert_eq!(ready, 1, "no key arrived; got {got:?}");
            let mut buf = [0u8; 64];
            let n = terminal.read(&mut buf).unwrap();
            assert!(n > 0, "terminal closed; got {got:?}");
            got.extend_from_slice(&buf[..n]);
        }
        got
    }

    /// A line read by the editor; then, while the editor is between two
    /// lines and another thread draws the answer, Ctrl-C and a key; returns
    /// what the editor reads when it starts on the next line.
    fn ctrl_c_between_lines(controller: &mut File, terminal: &mut File) -> Vec<u8> {
        let fd = terminal.as_raw_fd();
        // The editor saves what it finds and goes raw for the line...
        let found = get(fd).unwrap();
        set(fd, &editor_raw(&found)).unwrap();
        controller.write_all(b"5\r").unwrap();
        assert_eq!(read_until(terminal, b'\r'), b"5\r");
        // ...and puts back what it found when Enter ends it.
        set(fd, &found).unwrap();
        let mut drawer = terminal.try_clone().unwrap();
        let draw = thread::spawn(move || {
            for _ in 0..20 {
                drawer.write_all(b" 4 | X | 6\n---+---+---\n").unwrap();
            }
        });
        controller.write_all(b"\x03").unwrap();
        controller.write_all(b"x").unwrap();
        draw.join().unwrap();
        if found.c_lflag & libc::ECHO != 0 {
            // The line discipline takes keys on a kernel thread of its
            // own; its echo of the last one shows that it took both in
            // this mode, not in the editor's next one.
            read_until(controller, b'x');
        }
        // The next line.
        set(fd, &editor_raw(&found)).unwrap();
        let next = read_until(terminal, b'x');
        set(fd, &found).unwrap();
        next
    }

    #[test]
    fn without_keys_mode_ctrl_c_between_lines_is_lost() {
        // The race behind the flaky Ctrl-C test: the kernel's cooked mode
        // eats the key when no process has this pty as its terminal.
        let (mut controller, mut terminal) = pty();
        assert_eq!(ctrl_c_between_lines(&mut controller, &mut terminal), b"x");
    }

    #[test]
    fn in_keys_mode_ctrl_c_between_lines_reaches_the_editor() {
        let (mut controller, mut terminal) = pty();
        let fd = terminal.as_raw_fd();
        let found = get(fd).unwrap();
        let held = TerminalRestore::take_fd(fd);
        assert_eq!(
            ctrl_c_between_lines(&mut controller, &mut terminal),
            b"\x03x"
        );
        drop(held);
        let back = get(fd).unwrap();
        assert_eq!(back.c_lflag, found.c_lflag, "the found mode is put back");
        assert_ne!(back.c_lflag & libc::ISIG, 0);
    }

    #[test]
    fn keys_mode_stops_only_the_line_discipline() {
        // SAFETY: plain data; zero is a valid termios value.
        let mut found: libc::termios = unsafe { std::mem::zeroed() };
        found.c_lflag = libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN | libc::ECHOE;
        found.c_iflag = libc::ICRNL | libc::IXON | libc::IUTF8;
        found.c_oflag = libc::OPOST | libc::ONLCR;
        found.c_cc[libc::VINTR] = 3;
        let keys = keys_mode(&found);
        assert_eq!(keys.c_lflag, libc::ECHOE);
        assert_eq!(keys.c_iflag, libc::IUTF8, "Enter stays CR, ^S a key");
        assert_eq!(keys.c_oflag, found.c_oflag, "output still ends lines");
        assert_eq!(keys.c_cc, found.c_cc, "the editor's bindings unchanged");
    }
}
