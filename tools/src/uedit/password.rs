//! Where a new password comes from: the first line of standard input
//! (`--password-stdin`, for scripts) or a prompt on the controlling
//! terminal with echo switched off, asked twice.

use std::fs::File;
use std::io::BufRead;

use super::error::UeditError;
use crate::secret::{HiddenRead, open_tty, read_first_line, read_hidden_line};

/// Longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = crate::secret::MAX_SECRET_BYTES;

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
        let line = read_first_line(&mut self.input)
            .map_err(UeditError::io("cannot read the password from stdin"))?
            .ok_or_else(|| {
                UeditError::BadInput(
                    "no password on stdin (--password-stdin reads its first line)".into(),
                )
            })?;
        let password = String::from_utf8(line)
            .map_err(|_| UeditError::BadInput("the password is not valid UTF-8".into()))?;
        check_password(&password)?;
        Ok(password)
    }
}

/// Asks on the controlling terminal (`/dev/tty`), twice, without echo.
pub struct TerminalPrompt;

impl PasswordSource for TerminalPrompt {
    fn new_password(&mut self, handle: &str) -> Result<String, UeditError> {
        let mut tty = open_tty().map_err(|_| {
            UeditError::Usage(
                "no terminal to ask for the password on; pipe it in with --password-stdin".into(),
            )
        })?;
        let first = read_password_from_tty(&mut tty, &format!("New password for {handle}: "))?;
        check_password(&first)?;
        let second = read_password_from_tty(&mut tty, "Retype the new password: ")?;
        if first != second {
            return Err(UeditError::BadInput("the passwords differ".into()));
        }
        Ok(first)
    }
}

fn read_password_from_tty(tty: &mut File, prompt: &str) -> Result<String, UeditError> {
    match read_hidden_line(tty, prompt)
        .map_err(UeditError::io("cannot read the password from the terminal"))?
    {
        HiddenRead::Interrupted => Err(UeditError::Interrupted),
        HiddenRead::Line(line) => String::from_utf8(line)
            .map_err(|_| UeditError::BadInput("the password is not valid UTF-8".into())),
    }
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
