//! One control request: a JSON object on one line (docs/control.md).

use serde::Deserialize;

/// Longest request line accepted, newline included. A request is a verb,
/// a name and a reason or announcement: far below this.
pub const MAX_LINE: usize = 4096;

/// What the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "cmd", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    Status,
    Who,
    Tables,
    Kick {
        player: String,
        #[serde(default)]
        reason: Option<String>,
    },
    Gag {
        player: String,
    },
    Ungag {
        player: String,
    },
    Ban {
        player: String,
        #[serde(default)]
        reason: Option<String>,
    },
    Announce {
        text: String,
    },
    Reload,
    /// A played game as ggzduedit's JSON (docs/replays.md §5).
    #[serde(rename = "export-game")]
    ExportGame {
        id: i64,
    },
}

impl Request {
    /// The verb, for logs.
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Who => "who",
            Request::Tables => "tables",
            Request::Kick { .. } => "kick",
            Request::Gag { .. } => "gag",
            Request::Ungag { .. } => "ungag",
            Request::Ban { .. } => "ban",
            Request::Announce { .. } => "announce",
            Request::Reload => "reload",
            Request::ExportGame { .. } => "export-game",
        }
    }
}

/// Parses one line (without its newline). The error is meant for the
/// operator's eyes.
pub fn parse(line: &[u8]) -> Result<Request, String> {
    let text = std::str::from_utf8(line).map_err(|_| "request is not UTF-8".to_string())?;
    serde_json::from_str(text.trim()).map_err(|e| format!("bad request: {e}"))
}

/// Splits a byte stream into request lines, holding at most [`MAX_LINE`]
/// bytes of an unfinished one.
#[derive(Debug, Default)]
pub struct Lines {
    partial: Vec<u8>,
}

/// A line longer than [`MAX_LINE`].
#[derive(Debug, PartialEq, Eq)]
pub struct TooLong;

impl Lines {
    /// Takes fresh bytes; calls `each` with every complete line.
    pub fn feed(&mut self, bytes: &[u8], mut each: impl FnMut(&[u8])) -> Result<(), TooLong> {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            let (head, tail) = rest.split_at(end);
            if self.partial.len() + head.len() >= MAX_LINE {
                return Err(TooLong);
            }
            if self.partial.is_empty() {
                each(head);
            } else {
                self.partial.extend_from_slice(head);
                each(&self.partial);
                self.partial.clear();
            }
            rest = tail.get(1..).unwrap_or_default();
        }
        if self.partial.len() + rest.len() >= MAX_LINE {
            return Err(TooLong);
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_verb() {
        assert_eq!(parse(br#"{"cmd":"status"}"#), Ok(Request::Status));
        assert_eq!(
            parse(br#" {"cmd":"kick","player":"kim","reason":"spam"} "#),
            Ok(Request::Kick {
                player: "kim".into(),
                reason: Some("spam".into())
            })
        );
        assert_eq!(
            parse(br#"{"cmd":"ban","player":"kim"}"#),
            Ok(Request::Ban {
                player: "kim".into(),
                reason: None
            })
        );
        assert_eq!(
            parse(br#"{"cmd":"announce","text":"hi"}"#),
            Ok(Request::Announce { text: "hi".into() })
        );
        assert_eq!(parse(br#"{"cmd":"reload"}"#), Ok(Request::Reload));
        assert_eq!(
            parse(br#"{"cmd":"export-game","id":17}"#),
            Ok(Request::ExportGame { id: 17 })
        );
    }

    #[test]
    fn refuses_odd_requests() {
        assert!(parse(b"status").is_err());
        assert!(parse(br#"{"cmd":"launch"}"#).is_err());
        assert!(parse(br#"{"cmd":"gag"}"#).is_err());
        assert!(parse(br#"{"cmd":"export-game","id":"x"}"#).is_err());
        assert!(parse(b"\xff").is_err());
    }

    #[test]
    fn splits_lines_across_reads() {
        let mut lines = Lines::default();
        let mut seen = Vec::new();
        lines
            .feed(b"{\"cmd\":\"st", |l| seen.push(l.to_vec()))
            .unwrap();
        lines
            .feed(b"atus\"}\n{\"cmd\":\"who\"}\n", |l| seen.push(l.to_vec()))
            .unwrap();
        assert_eq!(
            seen,
            vec![
                b"{\"cmd\":\"status\"}".to_vec(),
                b"{\"cmd\":\"who\"}".to_vec()
            ]
        );
    }

    #[test]
    fn bounds_a_line() {
        let mut lines = Lines::default();
        let big = vec![b'x'; MAX_LINE];
        assert_eq!(lines.feed(&big, |_| {}), Err(TooLong));
        let mut lines = Lines::default();
        let mut big = vec![b'x'; MAX_LINE];
        big.push(b'\n');
        assert_eq!(lines.feed(&big, |_| {}), Err(TooLong));
    }
}
