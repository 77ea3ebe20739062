//! Raw mode: playing a game this client knows nothing about. What the user
//! types goes to the game server as bytes, and what the game server sends
//! is shown as text. Sans-IO: lines in, bytes out; bytes in, lines out.
//!
//! One escape syntax serves both directions, so a line shown can be typed
//! back: printable ASCII stands for itself, `\\` is a backslash, `\n`,
//! `\r`, `\t` and `\0` are those bytes, `\xHH` is any byte. A typed line
//! is sent followed by a newline unless it ends in `\c`; a shown line
//! that ends in `\c` arrived without a newline (yet).

use std::fmt::Write as _;

/// Longest line shown at once; a game server sending more without a
/// newline is shown in pieces of this size.
pub const MAX_SHOWN: usize = 4096;

/// Why a typed line cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscapeError {
    /// A backslash ends the line.
    Dangling,
    /// `\x` is not followed by two hex digits.
    BadHex,
    /// An escape this syntax does not have.
    Unknown(char),
    /// `\c` somewhere else than at the end.
    MisplacedC,
}

impl std::fmt::Display for EscapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EscapeError::Dangling => f.write_str("a lone backslash ends the line (type \\\\)"),
            EscapeError::BadHex => f.write_str("\\x needs two hex digits, e.g. \\x05"),
            EscapeError::Unknown(c) => write!(f, "unknown escape \\{c}"),
            EscapeError::MisplacedC => f.write_str("\\c (no newline) may only end the line"),
        }
    }
}

/// The bytes a typed line stands for, newline included unless the line
/// ends in `\c`.
pub fn encode_line(line: &str) -> Result<Vec<u8>, EscapeError> {
    let mut out = Vec::with_capacity(line.len() + 1);
    let mut newline = true;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            None => return Err(EscapeError::Dangling),
            Some('\\') => out.push(b'\\'),
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('x') => {
                let hi = chars.next().and_then(|c| c.to_digit(16));
                let lo = chars.next().and_then(|c| c.to_digit(16));
                match (hi, lo) {
                    // Two hex digits are below 256.
                    (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                    _ => return Err(EscapeError::BadHex),
                }
            }
            Some('c') if chars.peek().is_none() => newline = false,
            Some('c') => return Err(EscapeError::MisplacedC),
            Some(other) => return Err(EscapeError::Unknown(other)),
        }
    }
    if newline {
        out.push(b'\n');
    }
    Ok(out)
}

/// Shows one byte in the escape syntax.
fn show_byte(out: &mut String, b: u8) {
    match b {
        b'\\' => out.push_str("\\\\"),
        b'\r' => out.push_str("\\r"),
        b'\t' => out.push_str("\\t"),
        0 => out.push_str("\\0"),
        0x20..=0x7e => out.push(char::from(b)),
        _ => {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Bytes from the game server as lines of text. Lines end where the game
/// server wrote a newline; what came without one is shown at the end of
/// each read (ending in `\c`), so binary protocols show up at once.
#[derive(Debug, Default, Clone)]
pub struct RawView {
    /// Shown text of a line whose newline has not come.
    partial: String,
    /// How many bytes `partial` stands for.
    partial_bytes: usize,
}

impl RawView {
    /// A view with nothing received.
    pub fn new() -> RawView {
        RawView::default()
    }

    /// The lines to show for one read of the game channel.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                lines.push(std::mem::take(&mut self.partial));
                self.partial_bytes = 0;
                continue;
            }
            show_byte(&mut self.partial, b);
            self.partial_bytes += 1;
            if self.partial_bytes >= MAX_SHOWN {
                lines.push(format!("{}\\c", std::mem::take(&mut self.partial)));
                self.partial_bytes = 0;
            }
        }
        if !self.partial.is_empty() {
            // Shown now, not kept: the rest of the line may never come.
            lines.push(format!("{}\\c", std::mem::take(&mut self.partial)));
            self.partial_bytes = 0;
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_become_bytes() {
        assert_eq!(encode_line("42").unwrap(), b"42\n");
        assert_eq!(encode_line("").unwrap(), b"\n");
        assert_eq!(
            encode_line("\\x00\\x00\\x00\\x05\\c").unwrap(),
            [0, 0, 0, 5]
        );
        assert_eq!(
            encode_line("a\\\\b\\t\\0\\r\\n\\c").unwrap(),
            b"a\\b\t\0\r\n"
        );
        assert_eq!(encode_line("\\xfF").unwrap(), [0xff, b'\n']);
        assert_eq!(encode_line("é").unwrap(), "é\n".as_bytes());
    }

    #[test]
    fn bad_escapes_are_refused() {
        assert_eq!(encode_line("x\\"), Err(EscapeError::Dangling));
        assert_eq!(encode_line("\\x5"), Err(EscapeError::BadHex));
        assert_eq!(encode_line("\\xg0"), Err(EscapeError::BadHex));
        assert_eq!(encode_line("\\q"), Err(EscapeError::Unknown('q')));
        assert_eq!(encode_line("\\cx"), Err(EscapeError::MisplacedC));
    }

    #[test]
    fn received_bytes_become_lines() {
        let mut v = RawView::new();
        assert_eq!(v.push(b"guess 1-100\nwel"), ["guess 1-100", "wel\\c"]);
        assert_eq!(v.push(b"come\n"), ["come"]);
        assert_eq!(
            v.push(&[0, 0, 0, 5, 0xff, b'\\']),
            ["\\0\\0\\0\\x05\\xff\\\\\\c"]
        );
        assert_eq!(v.push(b"\n\n"), ["", ""]);
        assert!(v.push(b"").is_empty());
    }

    #[test]
    fn shown_text_types_back_to_the_same_bytes() {
        let bytes: Vec<u8> = (0..=255u8).filter(|b| *b != b'\n').collect();
        let mut v = RawView::new();
        let shown = v.push(&bytes);
        assert_eq!(shown.len(), 1);
        assert_eq!(encode_line(&shown[0]).unwrap(), bytes);
    }

    #[test]
    fn long_lines_are_shown_in_pieces() {
        let mut v = RawView::new();
        let lines = v.push(&vec![b'a'; MAX_SHOWN * 2 + 1]);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.ends_with("\\c")));
    }
}
