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

use std::fmt;

use quick_xml::escape::{EscapeError, resolve_xml_entity, unescape_with};
use quick_xml::events::attributes::Attributes;
use quick_xml::parser::{ElementParser, Parser};

use super::element::Element;

/// Bounds applied while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest single token (tag, text run, comment, CDATA section), raw
    /// bytes. Also bounds how much incomplete input is ever waited for.
    pub max_token: usize,
    /// Largest message (a direct child of SESSION with everything in it),
    /// raw bytes.
    pub max_element: usize,
    /// Deepest nesting below SESSION; a message itself is depth 1.
    pub max_depth: usize,
    /// Most attributes on one element.
    pub max_attrs: usize,
    /// Most child elements of one element.
    pub max_children: usize,
    /// Largest decoded text of one element.
    pub max_text: usize,
    /// Most raw bytes of consecutive non-tag input (text, comments,
    /// processing instructions) outside any message; docs/client-server.md §1 flood guard.
    pub max_loose_text: usize,
}

impl Limits {
    /// For input from clients: generous for every legal request, small
    /// enough that thousands of connections stay cheap.
    pub const SERVER: Limits = Limits {
        max_token: 8 * 1024,
        max_element: 32 * 1024,
        max_depth: 6,
        max_attrs: 16,
        // Far above any legal request, so that e.g. a LAUNCH with too many
        // SEATs reaches the zone and is answered `bad options` rather than
        // as a protocol error; `max_element` bounds the memory anyway.
        max_children: 1024,
        max_text: 4 * 1024,
        max_loose_text: 512,
    };

    /// For input from a server (our client tools): large lists and MOTDs.
    pub const CLIENT: Limits = Limits {
        max_token: 1024 * 1024,
        max_element: 8 * 1024 * 1024,
        max_depth: 16,
        max_attrs: 64,
        max_children: 100_000,
        max_text: 1024 * 1024,
        max_loose_text: 64 * 1024,
    };
}

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

    fn start_tag(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        let limit = self.limits.max_token;
        let window = rest.get(1..rest.len().min(limit)).unwrap_or_default();
        let mut parser = ElementParser::default();
        let Some(gt) = parser.feed(window) else {
            return if rest.len() >= limit {
                Err(DecodeError::TooLarge("tag"))
            } else {
                Ok(Step::NeedMore)
            };
        };
        // `gt` indexes the window, which starts after `<`.
        let end = gt + 2;
        let inner = rest.get(1..gt + 1).unwrap_or_default();
        let (inner, self_closing) = match inner.strip_suffix(b"/") {
            Some(i) => (i, true),
            None => (inner, false),
        };
        let inner = utf8(inner)?;
        let name_len = inner.bytes().position(is_xml_space).unwrap_or(inner.len());
        let name = inner.get(..name_len).unwrap_or_default();
        if !is_name(name) {
            return Err(DecodeError::Malformed("bad element name"));
        }
        let attrs = self.attributes(inner, name_len)?;
        let element = Element {
            name: name.to_ascii_uppercase(),
            attrs,
            text: String::new(),
            children: Vec::new(),
        };

        match self.state {
            State::Prolog => {
                if element.name != SESSION {
                    return Err(DecodeError::Malformed("root element is not SESSION"));
                }
                self.loose_run = 0;
                self.state = if self_closing {
                    State::PendingEnd
                } else {
                    State::Session
                };
                return Ok(Step::Took(end, Some(Event::SessionStart)));
            }
            State::Session => {}
            // feed() never steps in the other states.
            State::PendingEnd | State::Ended | State::Failed(_) => return Ok(Step::NeedMore),
        }

        match self.stack.last() {
            None => {
                self.element_bytes = 0;
                self.loose_run = 0;
            }
            Some(parent) => {
                if self.stack.len() >= self.limits.max_depth {
                    return Err(DecodeError::TooDeep);
                }
                if parent.children.len() >= self.limits.max_children {
                    return Err(DecodeError::TooLarge("child elements"));
                }
            }
        }
        if self.limits.max_depth == 0 {
            return Err(DecodeError::TooDeep);
        }
        self.account_message(end)?;
        if self_closing {
            Ok(Step::Took(end, self.close(element)))
        } else {
            self.stack.push(element);
            Ok(Step::Took(end, None))
        }
    }

    fn attributes(
        &self,
        inner: &str,
        name_len: usize,
    ) -> Result<Vec<(String, String)>, DecodeError> {
        let mut attrs: Vec<(String, String)> = Vec::new();
        for attr in Attributes::new(inner, name_len) {
            let attr = attr.map_err(|_| DecodeError::Malformed("bad attribute syntax"))?;
            let key = attr.key.as_ref();
            if !is_name(key) {
                return Err(DecodeError::Malformed("bad attribute name"));
            }
            if attrs.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(DecodeError::Malformed("duplicate attribute"));
            }
            if attrs.len() >= self.limits.max_attrs {
                return Err(DecodeError::TooLarge("attributes"));
            }
            let value = unescape(&attr.value)?.into_owned();
            attrs.push((key.to_ascii_uppercase(), value));
        }
        Ok(attrs)
    }

    fn end_tag(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        let limit = self.limits.max_token;
        let Some(end) = Self::delimited(rest, 2, b">", limit, DecodeError::TooLarge("tag"))? else {
            return Ok(Step::NeedMore);
        };
        let name = utf8(rest.get(2..end - 1).unwrap_or_default())?;
        let name = name.trim_end_matches(|c: char| c.is_ascii() && is_xml_space(c as u8));
        if !is_name(name) {
            return Err(DecodeError::Malformed("bad end tag"));
        }
        if self.state != State::Session {
            return Err(DecodeError::Malformed("end tag outside SESSION"));
        }
        let Some(open) = self.stack.pop() else {
            if name.eq_ignore_ascii_case(SESSION) {
                self.state = State::Ended;
                return Ok(Step::Took(end, Some(Event::SessionEnd)));
            }
            return Err(DecodeError::Malformed("end tag without start tag"));
        };
        if !open.name.eq_ignore_ascii_case(name) {
            return Err(DecodeError::Malformed("mismatched end tag"));
        }
        self.account_message(end)?;
        Ok(Step::Took(end, self.close(open)))
    }

    /// Attaches a finished element to its parent, or reports it when it is
    /// a whole message.
    fn close(&mut self, element: Element) -> Option<Event> {
        match self.stack.last_mut() {
            Some(parent) => {
                parent.children.push(element);
                None
            }
            None => {
                self.loose_run = 0;
                // Give back the stack's memory: idle connections are many.
                self.stack = Vec::new();
                Some(Event::Element(element))
            }
        }
    }
}

impl Progress {
    fn idle() -> Self {
        Progress {
            consumed: 0,
            event: None,
        }
    }
}

/// The bytes of a complete token as text. Of several problems the first
/// by position is reported, so a token refused early by [`text_prefix`]
/// gets the same error as when it arrives whole.
fn utf8(bytes: &[u8]) -> Result<&str, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            xml_chars(text)?;
            Ok(text)
        }
        Err(e) => {
            valid_prefix(bytes, e.valid_up_to())?;
            Err(DecodeError::BadUtf8)
        }
    }
}

/// Checks the start of a token still incomplete: like [`utf8`], except
/// that a UTF-8 sequence cut off at the end may still be completed.
fn text_prefix(bytes: &[u8]) -> Result<(), DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => xml_chars(text),
        Err(e) => {
            valid_prefix(bytes, e.valid_up_to())?;
            match e.error_len() {
                Some(_) => Err(DecodeError::BadUtf8),
                None => Ok(()),
            }
        }
    }
}

fn valid_prefix(bytes: &[u8], valid_up_to: usize) -> Result<(), DecodeError> {
    let valid = bytes.get(..valid_up_to).unwrap_or_default();
    xml_chars(std::str::from_utf8(valid).unwrap_or_default())
}

/// Refuses the characters XML 1.0 allows nowhere: C0 controls other than
/// tab, LF and CR, and U+FFFE/U+FFFF (surrogates cannot be in a `str`).
/// Whatever a client sends may be relayed to other clients (chat, table
/// descriptions), and an expat-based client drops its connection on the
/// first such character, so one would cost everybody who reads it.
fn xml_chars(text: &str) -> Result<(), DecodeError> {
    let control = text
        .bytes()
        .any(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'));
    if control || text.contains(['\u{FFFE}', '\u{FFFF}']) {
        return Err(DecodeError::Malformed("character not allowed in XML"));
    }
    Ok(())
}

fn unescape(raw: &str) -> Result<std::borrow::Cow<'_, str>, DecodeError> {
    // resolve_xml_entity rather than the crate default: the default grows
    // to all HTML5 names if any crate in the build enables `escape-html`.
    let text = unescape_with(raw, resolve_xml_entity).map_err(|e| match e {
        EscapeError::UnrecognizedEntity(..)
        | EscapeError::UnterminatedEntity(_)
        | EscapeError::InvalidCharRef(_)
        | EscapeError::TooManyNestedEntities => DecodeError::Entity,
    })?;
    // Character references may name the same forbidden characters.
    if let std::borrow::Cow::Owned(decoded) = &text {
        xml_chars(decoded).map_err(|_| DecodeError::Entity)?;
    }
    Ok(text)
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// XML name check, simplified: ASCII follows the XML rules, any non-ASCII
/// character is accepted (the protocol only uses ASCII names anyway).
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start_ok = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii();
    start_ok(first) && chars.all(|c| start_ok(c) || c.is_ascii_digit() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` as if it arrived in the given chunks; returns all
    /// events, the final error if any, and the total bytes consumed.
    fn run_chunks(
        limits: Limits,
        input: &[u8],
        cuts: &[usize],
    ) -> (Vec<Event>, Option<DecodeError>, usize) {
        let mut dec = Decoder::new(limits);
        let mut buf: Vec<u8> = Vec::new();
        let mut events = Vec::new();
        let mut total = 0;
        let mut start = 0;
        let mut bounds: Vec<usize> = cuts.to_vec();
        bounds.push(input.len());
        for &cut in &bounds {
            buf.extend_from_slice(&input[start..cut]);
            start = cut;
            loop {
                match dec.feed(&buf) {
                    Ok(p) => {
                        assert!(p.consumed <= buf.len());
                        buf.drain(..p.consumed);
                        total += p.consumed;
                        let done = p.consumed == 0 && p.event.is_none();
                        if let Some(e) = p.event {
                            events.push(e);
                        }
                        if done {
                            break;
                        }
                    }
                    // Bytes consumed before an error are not reported,
                    // so totals are meaningless then.
                    Err(e) => return (events, Some(e), 0),
                }
            }
        }
        (events, None, total)
    }

    fn run(input: &[u8]) -> (Vec<Event>, Option<DecodeError>, usize) {
        run_chunks(Limits::SERVER, input, &[])
    }

    fn elements(events: &[Event]) -> Vec<&Element> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Element(el) => Some(el),
                _ => None,
            })
            .collect()
    }

    /// Client lines like those of docs/client-server.md §18, one session each,
    /// plus the Java client's style (double quotes, indentation).
    const TRANSCRIPTS: &[&str] = &[
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <LANGUAGE>en_GB.UTF-8</LANGUAGE>\n\
         <LOGIN TYPE='guest'>\n<NAME>kim</NAME>\n</LOGIN>\n\
         <LIST TYPE='game' FULL='false'/>\n\
         <LIST TYPE='room' FULL='true'/>\n\
         <ENTER ROOM='1'/>\n\
         <LIST TYPE='player'/>\n\
         <LIST TYPE='table'/>\n\
         <PONG/>\n",
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <CHAT TYPE='normal'>hi all &amp; good luck</CHAT>\n\
         <CHAT TYPE='private' TO='bob'>fancy a game?</CHAT>\n\
         <CHAT TYPE='beep' TO='nobody'/>\n\
         <CHAT TYPE='announce'>maintenance at 22:00</CHAT>\n",
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <CHANNEL ID='bob' />\n</SESSION>\nGAMEBYTES",
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>quick one</DESC>\n\
         <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='reserved'>kim</SEAT>\n\
         </TABLE>\n</LAUNCH>\n\
         <JOIN TABLE='1' SPECTATOR='false'/>\n",
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <LOGIN TYPE='guest'>\n<NAME>Bob</NAME>\n</LOGIN>\n\
         <LOGIN TYPE='normal'>\n<NAME>bob</NAME>\n<PASSWORD>nope</PASSWORD>\n</LOGIN>\n\
         <LOGIN TYPE='first'>\n<NAME>bob</NAME>\n<PASSWORD>x1y2z3</PASSWORD>\n\
         <EMAIL>b@example.org</EMAIL>\n</LOGIN>\n\
         <LIST TYPE='room'/>\n\
         <LEAVE FORCE='false' SPECTATOR='false'/>\n\
         <CHAT TYPE='normal'>oops</CHAT TYPE>\n",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<session>\r\n  \
         <login type=\"normal\">\r\n    <name>al&apos;ice</name>\r\n    \
         <password><![CDATA[p<w]]]]><![CDATA[>d]]></password>\r\n  </login>\r\n  \
         <!-- a comment -->\r\n  <chat to=\"a>b\" type='private'>&#x263A;&#65;</chat>\r\n\
         </session>",
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <CHAT TYPE='normal'>x</CHAT>\n<!DOCTYPE x>",
    ];

    #[test]
    fn transcripts_split_anywhere_give_identical_results() {
        for t in TRANSCRIPTS {
            let input = t.as_bytes();
            let whole = run(input);
            for cut in 0..=input.len() {
                assert_eq!(
                    run_chunks(Limits::SERVER, input, &[cut]),
                    whole,
                    "cut {cut}"
                );
            }
            let every: Vec<usize> = (1..input.len()).collect();
            assert_eq!(run_chunks(Limits::SERVER, input, &every), whole);
        }
    }

    #[test]
    fn transcripts_random_multi_splits() {
        // Deterministic LCG: no extra dependencies, reproducible failures.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |bound: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % bound.max(1)
        };
        for t in TRANSCRIPTS {
            let input = t.as_bytes();
            let whole = run(input);
            for _ in 0..200 {
                let mut cuts: Vec<usize> = (0..next(12)).map(|_| next(input.len())).collect();
                cuts.sort_unstable();
                assert_eq!(
                    run_chunks(Limits::SERVER, input, &cuts),
                    whole,
                    "cuts {cuts:?}"
                );
            }
        }
    }

    #[test]
    fn guest_login_transcript() {
        let (events, err, total) = run(TRANSCRIPTS[0].as_bytes());
        assert_eq!(err, None);
        assert_eq!(events.first(), Some(&Event::SessionStart));
        let els = elements(&events);
        let names: Vec<&str> = els.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "LANGUAGE", "LOGIN", "LIST", "LIST", "ENTER", "LIST", "LIST", "PONG"
            ]
        );
        assert_eq!(els[0].text, "en_GB.UTF-8");
        let login = els[1];
        assert_eq!(login.attr("TYPE"), Some("guest"));
        assert_eq!(login.child("NAME").unwrap().text, "kim");
        assert_eq!(login.text, "\n\n");
        assert_eq!(
            els[3].attrs,
            [
                ("TYPE".into(), "room".into()),
                ("FULL".into(), "true".into())
            ]
        );
        // The final newline is held: there is no '<' after it yet.
        assert_eq!(total, TRANSCRIPTS[0].len() - 1);
    }

    #[test]
    fn channel_stops_exactly_after_session_end() {
        let input = TRANSCRIPTS[2].as_bytes();
        let (events, err, total) = run(input);
        assert_eq!(err, None);
        assert_eq!(events.last(), Some(&Event::SessionEnd));
        let els = elements(&events);
        assert_eq!(els.len(), 1);
        assert_eq!(els[0].attr("ID"), Some("bob"));
        assert_eq!(&input[total..], b"\nGAMEBYTES");

        let mut dec = Decoder::new(Limits::SERVER);
        let mut off = 0;
        loop {
            let p = dec.feed(&input[off..]).unwrap();
            off += p.consumed;
            if p.event == Some(Event::SessionEnd) {
                break;
            }
        }
        assert!(dec.session_ended());
        assert_eq!(dec.feed(&input[off..]).unwrap(), Progress::idle());
    }

    #[test]
    fn event_reported_without_lookahead() {
        let mut dec = Decoder::new(Limits::SERVER);
        let head = b"<?xml version='1.0'?><SESSION>";
        let p = dec.feed(head).unwrap();
        assert_eq!(p.consumed, head.len());
        assert_eq!(p.event, Some(Event::SessionStart));
        let msg = b"<TLS_START/>\x16\x03\x01garbage";
        let p = dec.feed(msg).unwrap();
        assert_eq!(p.consumed, 12);
        assert!(matches!(p.event, Some(Event::Element(ref e)) if e.name == "TLS_START"));
        assert!(!dec.is_mid_element());
    }

    #[test]
    fn java_style_and_escapes() {
        let (events, err, _) = run(TRANSCRIPTS[5].as_bytes());
        assert_eq!(err, None);
        assert_eq!(events.last(), Some(&Event::SessionEnd));
        let els = elements(&events);
        assert_eq!(els.len(), 2);
        assert_eq!(els[0].name, "LOGIN");
        assert_eq!(els[0].attr("type"), Some("normal"));
        assert_eq!(els[0].child("NAME").unwrap().text, "al'ice");
        assert_eq!(els[0].child("PASSWORD").unwrap().text, "p<w]]>d");
        assert_eq!(els[1].attr("TO"), Some("a>b"));
        assert_eq!(els[1].text, "\u{263A}A");
    }

    #[test]
    fn malformed_transcript() {
        let (events, err, _) = run(TRANSCRIPTS[4].as_bytes());
        assert_eq!(elements(&events).len(), 5);
        let err = err.unwrap();
        assert!(matches!(err, DecodeError::Malformed(_)));
        assert_eq!(err.code(), "bad xml");
    }

    #[test]
    fn spec_18_6_malformed_example_is_well_formed() {
        // The original reference's "malformed XML" illustration `</CHAT\n>>` is in fact
        // a valid end tag followed by a `>` character between messages,
        // which XML allows and the protocol ignores.
        let (events, err, _) = session("<CHAT TYPE='normal'>oops</CHAT\n>>\n<PONG/>");
        assert_eq!(err, None);
        let els = elements(&events);
        assert_eq!(els.len(), 2);
        assert_eq!(els[0].text, "oops");
    }

    #[test]
    fn doctype_rejected() {
        let (events, err, _) = run(TRANSCRIPTS[6].as_bytes());
        assert_eq!(elements(&events).len(), 1);
        assert_eq!(err, Some(DecodeError::Doctype));
        let (_, err, _) =
            run(b"<?xml version='1.0'?><!DOCTYPE SESSION [<!ENTITY a 'b'>]><SESSION>");
        assert_eq!(err, Some(DecodeError::Doctype));
    }

    fn session(body: &str) -> (Vec<Event>, Option<DecodeError>, usize) {
        run(format!("<SESSION>{body}").as_bytes())
    }

    #[test]
    fn errors() {
        let cases: &[(&str, DecodeError)] = &[
            ("<A>&foo;</A>", DecodeError::Entity),
            ("<A B='&nbsp;'/>", DecodeError::Entity),
            ("<A>&#0;</A>", DecodeError::Entity),
            ("<A>a & b</A>", DecodeError::Entity),
            (
                "<A B='1' b='2'/>",
                DecodeError::Malformed("duplicate attribute"),
            ),
            (
                "<A B='1' B='2'/>",
                DecodeError::Malformed("bad attribute syntax"),
            ),
            ("<A B/>", DecodeError::Malformed("bad attribute syntax")),
            ("<A B=1/>", DecodeError::Malformed("bad attribute syntax")),
            ("<A></B>", DecodeError::Malformed("mismatched end tag")),
            ("</A>", DecodeError::Malformed("end tag without start tag")),
            ("<1A/>", DecodeError::Malformed("bad element name")),
            ("< A/>", DecodeError::Malformed("bad element name")),
            ("<A><B></A>", DecodeError::Malformed("mismatched end tag")),
            (
                "<A></SESSION>",
                DecodeError::Malformed("mismatched end tag"),
            ),
            (
                "<!ELEMENT x ANY>",
                DecodeError::Malformed("unexpected markup declaration"),
            ),
            (
                "<![CDATX[",
                DecodeError::Malformed("unexpected markup declaration"),
            ),
        ];
        for (body, want) in cases {
            let (_, err, _) = session(body);
            assert_eq!(err.as_ref(), Some(want), "{body}");
        }
        let (_, err, _) = run(b"<CHAT>x</CHAT>");
        assert_eq!(
            err,
            Some(DecodeError::Malformed("root element is not SESSION"))
        );
        let (_, err, _) = run(b"hello<SESSION>");
        assert_eq!(err, Some(DecodeError::Malformed("text before SESSION")));
        // Without waiting for a `<` that may never come.
        let mut dec = Decoder::new(Limits::SERVER);
        assert_eq!(
            dec.feed(b"GET / HTTP/1.1\r\n").err(),
            Some(DecodeError::Malformed("text before SESSION"))
        );
        let mut dec = Decoder::new(Limits::SERVER);
        assert!(dec.feed(b"\n  ").is_ok());
        assert!(dec.feed(b"\n x").is_err());
        let (_, err, _) = run(b"</SESSION>");
        assert_eq!(err, Some(DecodeError::Malformed("end tag outside SESSION")));
        let (_, err, _) = run(b"<SESSION><A>\xff</A>");
        assert_eq!(err, Some(DecodeError::BadUtf8));
        let (_, err, _) = run(b"<SESSION><A B='\xc3'/>");
        assert_eq!(err, Some(DecodeError::BadUtf8));
        let (_, err, _) = run(b"<SESSION>\xfe<A/>");
        assert_eq!(err, Some(DecodeError::BadUtf8));
    }

    #[test]
    fn characters_xml_forbids_are_refused_wherever_they_are() {
        let bad = DecodeError::Malformed("character not allowed in XML");
        for body in [
            "<A>a\0b</A>",
            "<A>\x1b[2J</A>",
            "<A B='x\x01'/>",
            "\x0c<A/>",
            "<A><![CDATA[\x08]]></A>",
            "<!--\x00--><A/>",
            "<?pi \x07?><A/>",
            "<A>\u{FFFF}</A>",
            "<A B='\u{FFFE}'/>",
        ] {
            assert_eq!(session(body).1, Some(bad.clone()), "{body:?}");
        }
        for body in ["<A>&#1;</A>", "<A B='&#x1F;'/>", "<A>&#xFFFE;</A>"] {
            assert_eq!(session(body).1, Some(DecodeError::Entity), "{body:?}");
        }
        // Refused before the text token is complete, with the error the
        // whole token gets (the first problem by position).
        let mut dec = Decoder::new(Limits::SERVER);
        dec.feed(b"<SESSION><TLS_START/>").unwrap();
        assert_eq!(dec.feed(b"\x16\x03\x01\x00\xc4"), Err(bad.clone()));
        let mut dec = Decoder::new(Limits::SERVER);
        dec.feed(b"<SESSION>").unwrap();
        assert_eq!(dec.feed(b"<A>ok \xe2\x82").unwrap().consumed, 3);
        assert_eq!(dec.feed(b"ok \xe2\x82\xff"), Err(DecodeError::BadUtf8));
        assert_eq!(
            run(b"<SESSION><A>\xff\x01</A>").1,
            Some(DecodeError::BadUtf8)
        );
        assert_eq!(run(b"<SESSION><A>\x01\xff</A>").1, Some(bad.clone()));
        // Tab, LF, CR and every other character stay allowed.
        let (events, err, _) = session("<A B='\t\r\n'>\t\r\n\u{7f}\u{85}&#9;&#xA;\u{FFFD}</A>");
        assert_eq!(err, None);
        assert_eq!(elements(&events)[0].text, "\t\r\n\u{7f}\u{85}\t\n\u{FFFD}");
    }

    #[test]
    fn errors_are_sticky() {
        let mut dec = Decoder::new(Limits::SERVER);
        let p = dec.feed(b"<SESSION><A></B>").unwrap();
        assert_eq!(p.event, Some(Event::SessionStart));
        let e = dec.feed(b"<A></B>").unwrap_err();
        assert_eq!(e, DecodeError::Malformed("mismatched end tag"));
        assert_eq!(dec.feed(b"<A/>").unwrap_err(), e);
    }

    #[test]
    fn limits() {
        let deep = "<A>".repeat(6) + &"</A>".repeat(6);
        let (events, err, _) = session(&deep);
        assert_eq!(err, None);
        assert_eq!(elements(&events).len(), 1);
        let (_, err, _) = session(&("<A>".repeat(7) + &"</A>".repeat(7)));
        assert_eq!(err, Some(DecodeError::TooDeep));
        assert_eq!(DecodeError::TooDeep.code(), "bad xml");

        let attrs: String = (0..17).map(|i| format!(" A{i}='x'")).collect();
        let (_, err, _) = session(&format!("<A{attrs}/>"));
        assert_eq!(err, Some(DecodeError::TooLarge("attributes")));

        let kids = "<B/>".repeat(1025);
        let (_, err, _) = session(&format!("<A>{kids}</A>"));
        assert_eq!(err, Some(DecodeError::TooLarge("child elements")));
        let (_, err, _) = session(&format!("<A>{}</A>", "<B/>".repeat(1024)));
        assert_eq!(err, None);

        let text = "x".repeat(4097);
        let (_, err, _) = session(&format!("<A>{text}</A>"));
        assert_eq!(err, Some(DecodeError::TooLarge("element text")));
        assert_eq!(DecodeError::TooLarge("x").code(), "bad options");
        let (_, err, _) = session(&format!(
            "<A>{}<![CDATA[{}]]></A>",
            "x".repeat(4000),
            "y".repeat(97)
        ));
        assert_eq!(err, Some(DecodeError::TooLarge("element text")));
        let (_, err, _) = session(&format!("<A>{}</A>", "x".repeat(4096)));
        assert_eq!(err, None);

        // Many text chunks separated by children: whole message bound.
        let body = format!("<B>{}</B>", "y".repeat(4000)).repeat(9);
        let (_, err, _) = session(&format!("<A>{body}</A>"));
        assert_eq!(err, Some(DecodeError::TooLarge("message")));

        let tag = format!("<A B='{}'/>", "z".repeat(9000));
        let (_, err, _) = session(&tag);
        assert_eq!(err, Some(DecodeError::TooLarge("tag")));
        // Same when the tag is still incomplete.
        let (_, err, _) = session(&tag[..8500]);
        assert_eq!(err, Some(DecodeError::TooLarge("tag")));
        let (_, err, _) = session(&format!("<A>{}", "w".repeat(8193)));
        assert_eq!(err, Some(DecodeError::TooLarge("token")));
        let (_, err, _) = session(&format!("<A><!--{}", "-".repeat(9000)));
        assert_eq!(err, Some(DecodeError::TooLarge("token")));
    }

    #[test]
    fn loose_text_flood_guard() {
        let (_, err, total) = session(&" ".repeat(512));
        assert_eq!(err, None);
        assert_eq!(total, "<SESSION>".len());
        let (_, err, _) = session(&" ".repeat(513));
        assert_eq!(err, Some(DecodeError::TooLarge("text between messages")));
        let (_, err, _) = session(&(" ".repeat(300) + "<!--x-->" + &" ".repeat(300) + "<A/>"));
        assert_eq!(err, Some(DecodeError::TooLarge("text between messages")));
        // A message in between resets the run.
        let body = " ".repeat(300) + "<A/>" + &" ".repeat(300) + "<A/>";
        let (events, err, _) = session(&body);
        assert_eq!(err, None);
        assert_eq!(elements(&events).len(), 2);
        let (_, err, _) = session(&format!("{}<A/>", "junk".repeat(200)));
        assert_eq!(err, Some(DecodeError::TooLarge("text between messages")));
    }

    #[test]
    fn pending_bytes_bounded_whatever_the_split() {
        // A slow drip of text that never ends is refused once it exceeds
        // the bound, never buffered without limit.
        let input = format!("<SESSION><A>{}", "q".repeat(20_000));
        let cuts: Vec<usize> = (1..input.len()).step_by(7).collect();
        let (_, err, _) = run_chunks(Limits::SERVER, input.as_bytes(), &cuts);
        assert_eq!(err, Some(DecodeError::TooLarge("token")));
    }

    #[test]
    fn self_closing_session_and_prolog_bits() {
        let mut dec = Decoder::new(Limits::SERVER);
        let input = b"\xEF\xBB\xBF<?xml version='1.0'?>\n<!-- hi -->\n<SESSION/>tail";
        let p = dec.feed(input).unwrap();
        assert_eq!(p.event, Some(Event::SessionStart));
        assert_eq!(&input[p.consumed..], b"tail");
        assert!(!dec.session_ended());
        let p = dec.feed(b"tail").unwrap();
        assert_eq!(
            p,
            Progress {
                consumed: 0,
                event: Some(Event::SessionEnd)
            }
        );
        assert!(dec.session_ended());
        assert_eq!(dec.feed(b"tail").unwrap(), Progress::idle());
    }

    #[test]
    fn attribute_quirks() {
        let (events, err, _) = session("<A B=\"it's\" C='say \"hi\"' D = 'x&amp;lt;y' E='a\tb'/>");
        assert_eq!(err, None);
        let a = elements(&events)[0];
        assert_eq!(a.attr("B"), Some("it's"));
        assert_eq!(a.attr("C"), Some("say \"hi\""));
        assert_eq!(a.attr("D"), Some("x&lt;y"));
        assert_eq!(a.attr("E"), Some("a\tb"));
        // Missing whitespace between attributes: tolerated (quick-xml's
        // attribute reader is lenient here; nothing is ambiguous).
        let (events, err, _) = session("<A B='1'C='2'/>");
        assert_eq!(err, None);
        assert_eq!(elements(&events)[0].attr("C"), Some("2"));
        // Unescaped '<' in a value (ggzcore does not escape CHAT TO): tolerated.
        let (events, err, _) = session("<CHAT TO='a<b'>x</CHAT>");
        assert_eq!(err, None);
        assert_eq!(elements(&events)[0].attr("TO"), Some("a<b"));
    }

    #[test]
    fn mid_element_state() {
        let mut dec = Decoder::new(Limits::SERVER);
        dec.feed(b"<SESSION>").unwrap();
        assert!(dec.in_session());
        let p = dec.feed(b"<LOGIN><NAME>x").unwrap();
        assert_eq!(p.consumed, 13);
        assert!(dec.is_mid_element());
        let p = dec.feed(b"x</NAME></LOGIN >").unwrap();
        assert_eq!(p.consumed, 17);
        assert!(!dec.is_mid_element());
        let Some(Event::Element(e)) = p.event else {
            panic!("no element")
        };
        assert_eq!(e.child("NAME").unwrap().text, "x");
    }
}
