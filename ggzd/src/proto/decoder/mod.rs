//! Incremental, bounded reader for one direction of a GGZ XML stream.
//!
//! A connection direction is a single XML document that never ends until
//! `</SESSION>`: root `SESSION`, one message per child. The decoder turns
//! bytes into [`Event`]s, one message subtree at a time.
//!
//! Design notes:
//! * The caller owns the byte buffer. [`Decoder::feed`] looks only at
//!   *complete* tokens at the front of the slice it is given and reports how
//!   many bytes it consumed; an incomplete token is left for the caller to
//!   keep and present again with more bytes appended. So an idle decoder
//!   holds no buffer at all, and the caller can stop at an exact byte
//!   boundary (after `</SESSION>` on a game channel, after `<TLS_START/>`).
//! * Token boundaries are found here (quote-aware via quick-xml's
//!   `ElementParser`); attribute syntax and entity/character references are
//!   handled by quick-xml. Only the five predefined entities and numeric
//!   references exist: there is no DTD support at all, so nothing can
//!   expand.
//! * Every limit is checked against token lengths, never against how the
//!   bytes happened to be split, so results do not depend on TCP segment
//!   boundaries.
//!
//! Files: the tokenizer and its accounting are here; `limits.rs` holds the
//! bounds, `event.rs` what a feed produces and the errors, `tags.rs` the
//! start/end tags that build elements, and `chars.rs` the character and
//! entity checks shared by every token.

mod chars;
mod event;
mod limits;
mod tags;
#[cfg(test)]
mod tests;

pub use event::{DecodeError, Event, Progress};
pub use limits::Limits;

use super::element::Element;
use chars::{is_xml_space, text_prefix, unescape, utf8};

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Before `<SESSION>`.
    Prolog,
    /// Inside SESSION.
    Session,
    /// `<SESSION/>` was seen: the end event is still to be reported.
    PendingEnd,
    /// After `</SESSION>`.
    Ended,
    Failed(DecodeError),
}

enum Step {
    /// The front of the input is an incomplete token.
    NeedMore,
    /// A token of this many bytes was consumed.
    Took(usize, Option<Event>),
}

const SESSION: &str = "SESSION";
const BOM: &[u8] = b"\xEF\xBB\xBF";
const CDATA_OPEN: &[u8] = b"<![CDATA[";
const COMMENT_OPEN: &[u8] = b"<!--";

/// Incremental decoder; see the module docs.
#[derive(Debug, Clone)]
pub struct Decoder {
    limits: Limits,
    state: State,
    /// Open elements of the current message, outermost first. Empty (and
    /// unallocated) between messages.
    stack: Vec<Element>,
    /// Raw bytes consumed so far for the current message.
    element_bytes: usize,
    /// Raw bytes of consecutive non-tag input outside messages.
    loose_run: usize,
    /// Whether anything has been consumed yet (a BOM is only legal first).
    started: bool,
}

impl Decoder {
    /// A decoder at the very beginning of a stream.
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            state: State::Prolog,
            stack: Vec::new(),
            element_bytes: 0,
            loose_run: 0,
            started: false,
        }
    }

    /// Consumes complete tokens from the front of `input`, returns bytes
    /// consumed and at most one event.
    ///
    /// Call repeatedly with the unconsumed rest (plus any newly received
    /// bytes appended); `consumed == 0 && event.is_none()` means "need more
    /// bytes". An event is returned as soon as the token completing it has
    /// been consumed, without looking at anything after it. After
    /// `SessionEnd` nothing more is consumed. After an error, every further
    /// call returns the same error.
    pub fn feed(&mut self, input: &[u8]) -> Result<Progress, DecodeError> {
        match &self.state {
            State::Ended => return Ok(Progress::idle()),
            State::Failed(e) => return Err(e.clone()),
            State::PendingEnd => {
                self.state = State::Ended;
                return Ok(Progress {
                    consumed: 0,
                    event: Some(Event::SessionEnd),
                });
            }
            State::Prolog | State::Session => {}
        }
        let mut consumed = 0;
        loop {
            let rest = input.get(consumed..).unwrap_or_default();
            if rest.is_empty() {
                return Ok(Progress {
                    consumed,
                    event: None,
                });
            }
            match self.step(rest) {
                Ok(Step::NeedMore) => {
                    return Ok(Progress {
                        consumed,
                        event: None,
                    });
                }
                Ok(Step::Took(n, event)) => {
                    consumed += n;
                    self.started = true;
                    if event.is_some() {
                        return Ok(Progress { consumed, event });
                    }
                }
                Err(e) => {
                    self.state = State::Failed(e.clone());
                    self.stack = Vec::new();
                    return Err(e);
                }
            }
        }
    }

    /// Whether a message has been started but not finished.
    pub fn is_mid_element(&self) -> bool {
        !self.stack.is_empty()
    }

    /// Whether `<SESSION>` has been seen (and the session not yet ended).
    pub fn in_session(&self) -> bool {
        matches!(self.state, State::Session | State::PendingEnd)
    }

    /// Whether `</SESSION>` (or `<SESSION/>`) has been reported.
    pub fn session_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn step(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        if !self.started && self.state == State::Prolog {
            if rest.starts_with(BOM) {
                return Ok(Step::Took(BOM.len(), None));
            }
            if BOM.starts_with(rest) {
                return Ok(Step::NeedMore);
            }
        }
        if rest.first() != Some(&b'<') {
            return self.text(rest);
        }
        match rest.get(1) {
            None => Ok(Step::NeedMore),
            Some(b'?') => self.processing_instruction(rest),
            Some(b'!') => self.markup_declaration(rest),
            Some(b'/') => self.end_tag(rest),
            Some(_) => self.start_tag(rest),
        }
    }

    /// Bytes of loose (outside-message) input still allowed in this run.
    fn loose_left(&self) -> usize {
        self.limits.max_loose_text.saturating_sub(self.loose_run)
    }

    /// Longest non-tag token acceptable here.
    fn non_tag_limit(&self) -> usize {
        if self.stack.is_empty() {
            self.limits.max_token.min(self.loose_left())
        } else {
            self.limits.max_token
        }
    }

    /// Accounts a consumed non-tag token.
    fn account_non_tag(&mut self, len: usize) -> Result<(), DecodeError> {
        if self.stack.is_empty() {
            self.loose_run = self.loose_run.saturating_add(len);
            if self.loose_run > self.limits.max_loose_text {
                return Err(DecodeError::TooLarge("text between messages"));
            }
            Ok(())
        } else {
            self.account_message(len)
        }
    }

    fn account_message(&mut self, len: usize) -> Result<(), DecodeError> {
        self.element_bytes = self.element_bytes.saturating_add(len);
        if self.element_bytes > self.limits.max_element {
            return Err(DecodeError::TooLarge("message"));
        }
        Ok(())
    }

    fn append_text(&mut self, text: &str) -> Result<(), DecodeError> {
        if let Some(top) = self.stack.last_mut() {
            if top.text.len().saturating_add(text.len()) > self.limits.max_text {
                return Err(DecodeError::TooLarge("element text"));
            }
            top.text.push_str(text);
        }
        Ok(())
    }

    fn text(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        let limit = self.non_tag_limit();
        // A text token of exactly `limit` bytes is fine, so look one further.
        let window = rest.get(..limit.saturating_add(1)).unwrap_or(rest);
        if self.state == State::Prolog {
            // Not XML (an HTTP request, a TLS hello, a line of text): say
            // so now rather than when the `<` that never comes arrives.
            let upto = window
                .iter()
                .position(|&b| b == b'<')
                .unwrap_or(window.len());
            if !window.iter().take(upto).all(|&b| is_xml_space(b)) {
                return Err(DecodeError::Malformed("text before SESSION"));
            }
        }
        let Some(len) = window.iter().position(|&b| b == b'<') else {
            // Refuse at once what can never become text instead of waiting
            // for the end of the token: a TLS handshake sent after a refused
            // TLS_START would otherwise sit here until the login timeout.
            text_prefix(window)?;
            return if rest.len() > limit {
                Err(self.too_long_non_tag())
            } else {
                Ok(Step::NeedMore)
            };
        };
        let raw = utf8(rest.get(..len).unwrap_or_default())?;
        match self.state {
            State::Prolog => {
                if !raw.bytes().all(is_xml_space) {
                    return Err(DecodeError::Malformed("text before SESSION"));
                }
            }
            _ => {
                let text = unescape(raw)?;
                if !self.stack.is_empty() {
                    self.append_text(&text)?;
                }
            }
        }
        self.account_non_tag(len)?;
        Ok(Step::Took(len, None))
    }

    fn too_long_non_tag(&self) -> DecodeError {
        if self.stack.is_empty() {
            DecodeError::TooLarge("text between messages")
        } else {
            DecodeError::TooLarge("token")
        }
    }

    /// Finds the end (exclusive) of a token closed by `close`, searching
    /// from `from`, within `limit` bytes.
    fn delimited(
        rest: &[u8],
        from: usize,
        close: &[u8],
        limit: usize,
        too_long: DecodeError,
    ) -> Result<Option<usize>, DecodeError> {
        let window = rest.get(..limit).unwrap_or(rest);
        let found = window
            .get(from..)
            .and_then(|w| w.windows(close.len()).position(|c| c == close));
        match found {
            Some(pos) => Ok(Some(from + pos + close.len())),
            None if rest.len() >= limit => Err(too_long),
            None => Ok(None),
        }
    }

    fn processing_instruction(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        let limit = self.non_tag_limit();
        let too_long = self.too_long_non_tag();
        let Some(end) = Self::delimited(rest, 2, b"?>", limit, too_long)? else {
            return Ok(Step::NeedMore);
        };
        utf8(rest.get(..end).unwrap_or_default())?;
        self.account_non_tag(end)?;
        Ok(Step::Took(end, None))
    }

    fn markup_declaration(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        let limit = self.non_tag_limit();
        let too_long = self.too_long_non_tag();
        if rest.starts_with(COMMENT_OPEN) {
            let Some(end) = Self::delimited(rest, COMMENT_OPEN.len(), b"-->", limit, too_long)?
            else {
                return Ok(Step::NeedMore);
            };
            utf8(rest.get(..end).unwrap_or_default())?;
            self.account_non_tag(end)?;
            return Ok(Step::Took(end, None));
        }
        if rest.starts_with(CDATA_OPEN) {
            if self.state == State::Prolog {
                return Err(DecodeError::Malformed("CDATA before SESSION"));
            }
            let Some(end) = Self::delimited(rest, CDATA_OPEN.len(), b"]]>", limit, too_long)?
            else {
                return Ok(Step::NeedMore);
            };
            let content = rest
                .get(CDATA_OPEN.len()..end.saturating_sub(3))
                .unwrap_or_default();
            let content = utf8(content)?;
            self.append_text(content)?;
            self.account_non_tag(end)?;
            return Ok(Step::Took(end, None));
        }
        if COMMENT_OPEN.starts_with(rest) || CDATA_OPEN.starts_with(rest) {
            return Ok(Step::NeedMore);
        }
        match rest.get(2) {
            Some(b'D' | b'd') => Err(DecodeError::Doctype),
            _ => Err(DecodeError::Malformed("unexpected markup declaration")),
        }
    }
}
