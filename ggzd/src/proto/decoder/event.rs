//! What the decoder hands back: events, progress and the final errors.

use std::fmt;

use super::Element;

/// What a call to [`Decoder::feed`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The `<SESSION>` start tag.
    SessionStart,
    /// One complete message: a direct child of SESSION with its subtree.
    Element(Element),
    /// The `</SESSION>` end tag; nothing after it is consumed.
    SessionEnd,
}

/// Result of one [`Decoder::feed`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Bytes consumed from the front of the input.
    pub consumed: usize,
    /// At most one event.
    pub event: Option<Event>,
}

/// Why the stream cannot be decoded. Every error is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not well-formed XML (or not a GGZ session); the text says what.
    Malformed(&'static str),
    /// A document type declaration: refused outright, never processed.
    Doctype,
    /// An unknown entity, or a bad entity or character reference.
    Entity,
    /// Bytes that are not UTF-8.
    BadUtf8,
    /// Elements nested deeper than [`Limits::max_depth`].
    TooDeep,
    /// Some size or count limit was exceeded; the text says which.
    TooLarge(&'static str),
}

impl DecodeError {
    /// The `RESULT` code the server answers with (`ACTION='protocol'`)
    /// before it disconnects: `bad options` for size limits, matching the
    /// flood guard of docs/client-server.md §1, and `bad xml` for everything else.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::TooLarge(_) => "bad options",
            _ => "bad xml",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Malformed(what) => write!(f, "malformed XML: {what}"),
            DecodeError::Doctype => f.write_str("document type declarations are not allowed"),
            DecodeError::Entity => f.write_str("unknown or invalid entity reference"),
            DecodeError::BadUtf8 => f.write_str("invalid UTF-8"),
            DecodeError::TooDeep => f.write_str("elements nested too deeply"),
            DecodeError::TooLarge(what) => write!(f, "too large: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl Progress {
    pub(super) fn idle() -> Self {
        Progress {
            consumed: 0,
            event: None,
        }
    }
}
