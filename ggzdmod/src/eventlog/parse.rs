//! The reader: bytes → [`ParsedLog`], checking the grammar and the chain of
//! docs/event-log.md §2 line by line.

use std::io::Read;
use std::path::Path;

use super::{
    CHECK_BYTES, Event, LogError, MAGIC, MAX_EVENT_DATA, MAX_GAME_LEN, ParsedLog, chain_next,
    chain_start, valid_kind,
};

/// Whether `first_bytes` (the start of a file, at least the length of
/// [`MAGIC`] plus one) begin like an event log.
pub fn is_event_log(first_bytes: &[u8]) -> bool {
    first_bytes
        .strip_prefix(MAGIC.as_bytes())
        .is_some_and(|rest| rest.first() == Some(&b' '))
}

/// Reads a whole log, refusing it at the first thing wrong: a first line
/// that is not `ggz-event-log 1 <game>` ([`LogError::NotALog`]); a line
/// that breaks the grammar, the chain or the numbering, or a last line
/// without its `\n` ([`LogError::Corrupt`]); more than `max_events` events
/// ([`LogError::TooLarge`]).
pub fn parse(bytes: &[u8], max_events: usize) -> Result<ParsedLog, LogError> {
    if !is_event_log(bytes) {
        return Err(LogError::NotALog);
    }
    let mut lines = bytes.split(|b| *b == b'\n').enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(LogError::NotALog);
    };
    let corrupt = |line: usize, why: String| LogError::Corrupt { line, why };
    if lines.clone().next().is_none() {
        return Err(corrupt(1, "truncated line (no end of line)".to_owned()));
    }
    let header = ascii_line(header).map_err(|why| corrupt(1, why))?;
    let game = decode_game(header.get(MAGIC.len() + 1..).unwrap_or_default())
        .map_err(|why| corrupt(1, why))?;
    let mut chain = chain_start(header);
    let mut events: Vec<Event> = Vec::new();
    let mut complete = false;
    while let Some((index, raw)) = lines.next() {
        let line = index.saturating_add(1);
        let is_last = lines.clone().next().is_none();
        if is_last {
            // The text after the last `\n`: empty for a whole file.
            if raw.is_empty() {
                break;
            }
            return Err(corrupt(line, "truncated line (no end of line)".to_owned()));
        }
        if complete {
            return Err(corrupt(line, "a line after the end line".to_owned()));
        }
        let text = ascii_line(raw).map_err(|why| corrupt(line, why))?;
        let (body, check) = split_check(text).map_err(|why| corrupt(line, why))?;
        let last_seq = events.last().map_or(0, |e| e.seq);
        if let Some(count) = body.strip_prefix("end ") {
            let count =
                decimal(count).ok_or_else(|| corrupt(line, "bad event count".to_owned()))?;
            if count != last_seq {
                return Err(corrupt(
                    line,
                    format!("the end line counts {count} events, the log has {last_seq}"),
                ));
            }
            complete = true;
        } else {
            let event = event_fields(body).map_err(|why| corrupt(line, why))?;
            if event.seq != last_seq.saturating_add(1) {
                return Err(corrupt(
                    line,
                    format!("sequence number {} after {last_seq}", event.seq),
                ));
            }
            if events.len() >= max_events {
                return Err(LogError::TooLarge);
            }
            events.push(event);
        }
        let expected = chain_next(&chain, body);
        if check != expected {
            return Err(corrupt(
                line,
                "the chain check does not match (a line was changed, removed or added)".to_owned(),
            ));
        }
        chain = expected;
    }
    Ok(ParsedLog {
        game,
        events,
        complete,
    })
}

/// Reads and parses the log at `path`, refusing a file over `max_bytes`
/// without reading more than that.
pub fn load(
    path: impl AsRef<Path>,
    max_bytes: u64,
    max_events: usize,
) -> Result<ParsedLog, LogError> {
    let file = std::fs::File::open(path.as_ref()).map_err(|e| LogError::Io(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| LogError::Io(e.to_string()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_bytes {
        return Err(LogError::TooLarge);
    }
    parse(&bytes, max_events)
}

/// The line as text, if it is printable ASCII only.
fn ascii_line(raw: &[u8]) -> Result<&str, String> {
    if let Some(bad) = raw.iter().find(|b| !(b' '..=b'~').contains(*b)) {
        return Err(format!("byte 0x{bad:02x} outside printable ASCII"));
    }
    std::str::from_utf8(raw).map_err(|_| "not ASCII".to_owned())
}

/// Splits `<body> <check>` and decodes the check.
fn split_check(text: &str) -> Result<(&str, [u8; CHECK_BYTES]), String> {
    let (body, check) = text
        .rsplit_once(' ')
        .ok_or_else(|| "no chain check".to_owned())?;
    let bytes = unhex(check).ok_or_else(|| "bad hex in the chain check".to_owned())?;
    let check: [u8; CHECK_BYTES] = bytes
        .try_into()
        .map_err(|_| "the chain check is not 16 hex digits".to_owned())?;
    Ok((body, check))
}

/// `<seq> <time> <kind> <data>` → an event.
fn event_fields(body: &str) -> Result<Event, String> {
    let mut fields = body.split(' ');
    let (Some(seq), Some(time), Some(kind), Some(data), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err("not an event line (seq, time, kind, data, check)".to_owned());
    };
    let seq = decimal(seq).ok_or_else(|| format!("bad sequence number {seq:?}"))?;
    let time_ms = decimal(time).ok_or_else(|| format!("bad time {time:?}"))?;
    if !valid_kind(kind) {
        return Err(format!("bad event kind {kind:?}"));
    }
    let data = if data == "-" {
        Vec::new()
    } else if data.len() > MAX_EVENT_DATA.saturating_mul(2) {
        return Err(format!("event data over {MAX_EVENT_DATA} bytes"));
    } else {
        unhex(data).ok_or_else(|| "bad hex in the event data".to_owned())?
    };
    Ok(Event {
        seq,
        time_ms,
        kind: kind.to_owned(),
        data,
    })
}

/// A decimal number in its one spelling: digits, no sign, no leading zero.
fn decimal(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical { s.parse().ok() } else { None }
}

/// Lower-case hex only (one spelling per log), at least one byte.
fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((digit(*hi)? << 4) | digit(*lo)?),
            _ => None,
        })
        .collect()
}

/// The game name of the first line: printable ASCII with `%XX` escapes.
fn decode_game(s: &str) -> Result<String, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hex_digit = |b: Option<u8>| match b {
                    Some(d @ b'0'..=b'9') => Some(d - b'0'),
                    Some(d @ b'A'..=b'F') => Some(d - b'A' + 10),
                    _ => None,
                };
                let (Some(hi), Some(lo)) = (hex_digit(bytes.next()), hex_digit(bytes.next()))
                else {
                    return Err("bad %XX escape in the game name".to_owned());
                };
                out.push((hi << 4) | lo);
            }
            b' ' => return Err("a space in the game name".to_owned()),
            b => out.push(b),
        }
    }
    if out.is_empty() || out.len() > MAX_GAME_LEN {
        return Err(format!("game name of {} bytes", out.len()));
    }
    String::from_utf8(out).map_err(|_| "the game name is not UTF-8".to_owned())
}
