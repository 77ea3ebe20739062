//! Character-level checks shared by every token: UTF-8, the characters
//! XML forbids, entity and character references, names.

use quick_xml::escape::{EscapeError, resolve_xml_entity, unescape_with};

use super::DecodeError;

/// The bytes of a complete token as text. Of several problems the first
/// by position is reported, so a token refused early by [`text_prefix`]
/// gets the same error as when it arrives whole.
pub(super) fn utf8(bytes: &[u8]) -> Result<&str, DecodeError> {
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
pub(super) fn text_prefix(bytes: &[u8]) -> Result<(), DecodeError> {
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

pub(super) fn unescape(raw: &str) -> Result<std::borrow::Cow<'_, str>, DecodeError> {
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

pub(super) fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// XML name check, simplified: ASCII follows the XML rules, any non-ASCII
/// character is accepted (the protocol only uses ASCII names anyway).
pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start_ok = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii();
    start_ok(first) && chars.all(|c| start_ok(c) || c.is_ascii_digit() || c == '-' || c == '.')
}
