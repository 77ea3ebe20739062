//! The hot-path reader of server output.
//!
//! Once a simulated client is in its room, the server sends it a stream of
//! chat, player updates and pings; at a million deliveries a second a full
//! XML parse of each would make the generator the bottleneck. ggzd writes
//! every element, and every start and end tag of a multi-line element, on
//! its own line (docs/client-server.md §1), so this module splits the stream at newlines and
//! looks only at the lines the benchmarks measure: `CHAT` (with the
//! timestamp the generator put in its text), `RESULT`s, `PING`,
//! `</SESSION>`, and for the `tables` scenario `JOIN` and `LEAVE`.
//! Everything else is skipped unparsed. The setup phase (greeting, login,
//! room entry) uses the project's full XML decoder.

/// What one line of server output means to the load generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// `<CHAT ...>text</CHAT>`: the raw text between the tags.
    Chat(&'a [u8]),
    /// `<RESULT ACTION='chat' CODE='...'/>`; true for `ok`.
    ChatResult(bool),
    /// `<PING/>`: must be answered with `<PONG/>`.
    Ping,
    /// `</SESSION>`: the server ended the session.
    SessionEnd,
    /// `<RESULT ACTION='protocol' ...>`: the server refused our XML.
    ProtocolError,
    /// Any other one-line `<RESULT ACTION='...' CODE='...'/>`.
    Result { action: &'a [u8], code: &'a [u8] },
    /// `<JOIN TABLE='n' .../>`: the client now sits at table n.
    Join { table: u32 },
    /// `<LEAVE .../>`: the client is no longer at a table.
    Leave,
    /// `<MATCHED QUEUE='q' ROOM='r' TABLE='t' SEAT='s'/>`: a matchmaking
    /// round reserved seat s of table t (docs/matchmaking.md §4).
    Matched { table: u32, seat: u32 },
    /// `<UPDATE TYPE='table' ACTION='a' ...>`: `seated` when the seats in
    /// it are players sitting (`add`, `join`); a `leave` names the player
    /// who left with the same `TYPE='player'` seat, and must not be read
    /// as one sitting there.
    TableUpdate { seated: bool },
    /// `<TABLE ID='n' ...`: the start of a table in an update or a list;
    /// the seats that follow are that table's.
    TableStart { table: u32 },
    /// `<SEAT NUM='k' TYPE='player'>name</SEAT>`: a player in a seat of
    /// the table last started.
    SeatPlayer { name: &'a [u8] },
    /// `<PLAYER ID='name' ... RATING='r' .../>` in a player list or update
    /// of a room whose game keeps ratings (docs/client-server.md §8.3).
    PlayerRating { name: &'a [u8], rating: i64 },
    /// Anything else (updates, lists, ...).
    Other,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const NEWLINES: u64 = ONES * b'\n' as u64;

/// Position of the first `\n` in `hay`, eight bytes at a time.
pub fn find_newline(hay: &[u8]) -> Option<usize> {
    let mut chunks = hay.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ NEWLINES;
        // A zero byte in x is a newline in the input.
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| offset + i)
}

/// Classifies one line (without its newline).
pub fn classify(line: &[u8]) -> Line<'_> {
    if let Some(rest) = line.strip_prefix(b"<CHAT ") {
        // Attribute values are escaped, so the first '>' ends the start tag.
        let Some(gt) = rest.iter().position(|&b| b == b'>') else {
            return Line::Other;
        };
        let after = rest.get(gt + 1..).unwrap_or_default();
        if rest.get(gt.wrapping_sub(1)) == Some(&b'/') {
            return Line::Chat(b"");
        }
        return match after.strip_suffix(b"</CHAT>") {
            Some(text) => Line::Chat(text),
            None => Line::Other,
        };
    }
    if let Some(rest) = line.strip_prefix(b"<RESULT ACTION='chat' CODE='") {
        return Line::ChatResult(rest.starts_with(b"ok'"));
    }
    if line.starts_with(b"<RESULT ACTION='protocol'") {
        return Line::ProtocolError;
    }
    if let Some(rest) = line.strip_prefix(b"<RESULT ACTION='") {
        return match quoted(rest).and_then(|(action, after)| {
            let code = after.strip_prefix(b" CODE='")?;
            Some((action, quoted(code)?.0))
        }) {
            Some((action, code)) => Line::Result { action, code },
            None => Line::Other,
        };
    }
    if let Some(rest) = line.strip_prefix(b"<JOIN TABLE='") {
        return match quoted(rest).and_then(|(table, _)| parse_decimal(table)) {
            Some(table) => match u32::try_from(table) {
                Ok(table) => Line::Join { table },
                Err(_) => Line::Other,
            },
            None => Line::Other,
        };
    }
    if let Some(rest) = line.strip_prefix(b"<MATCHED ") {
        let number = |name: &[u8]| {
            let at = find(rest, name)? + name.len();
            let (value, _) = quoted(rest.get(at..)?)?;
            u32::try_from(parse_decimal(value)?).ok()
        };
        return match (number(b" TABLE='"), number(b" SEAT='")) {
            (Some(table), Some(seat)) => Line::Matched { table, seat },
            _ => Line::Other,
        };
    }
    if let Some(rest) = line.strip_prefix(b"<UPDATE TYPE='table' ACTION='") {
        return match quoted(rest) {
            Some((action, _)) => Line::TableUpdate {
                seated: action == b"add" || action == b"join",
            },
            None => Line::Other,
        };
    }
    if let Some(rest) = line.strip_prefix(b"<TABLE ID='") {
        return match quoted(rest).and_then(|(table, _)| parse_decimal(table)) {
            Some(table) => match u32::try_from(table) {
                Ok(table) => Line::TableStart { table },
                Err(_) => Line::Other,
            },
            None => Line::Other,
        };
    }
    if let Some(rest) = line.strip_prefix(b"<SEAT NUM='") {
        let name = quoted(rest)
            .and_then(|(_, after)| after.strip_prefix(b" TYPE='player'>"))
            .and_then(|after| after.strip_suffix(b"</SEAT>"));
        return name.map_or(Line::Other, |name| Line::SeatPlayer { name });
    }
    if let Some(rest) = line.strip_prefix(b"<PLAYER ID='") {
        let Some((name, after)) = quoted(rest) else {
            return Line::Other;
        };
        let rating = find(after, b" RATING='")
            .and_then(|at| after.get(at + b" RATING='".len()..))
            .and_then(quoted)
            .and_then(|(value, _)| parse_signed(value));
        return rating.map_or(Line::Other, |rating| Line::PlayerRating { name, rating });
    }
    if line.starts_with(b"<LEAVE ") || line.starts_with(b"<LEAVE/") {
        return Line::Leave;
    }
    if line == b"<PING/>" || line.starts_with(b"<PING ") {
        return Line::Ping;
    }
    if line == b"</SESSION>" {
        return Line::SessionEnd;
    }
    Line::Other
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The text up to the next `'`, and what follows that quote.
fn quoted(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = text.iter().position(|&b| b == b'\'')?;
    Some((text.get(..end)?, text.get(end + 1..)?))
}

/// A benchmark chat text: `{send time in ns} {sender id}`.
pub fn stamp(sent_ns: u64, sender: usize) -> String {
    format!("{sent_ns} {sender}")
}

/// Reads a text written by [`stamp`]; `None` for any other text.
pub fn parse_stamp(text: &[u8]) -> Option<(u64, usize)> {
    let space = text.iter().position(|&b| b == b' ')?;
    let sent = parse_decimal(text.get(..space)?)?;
    let sender = parse_decimal(text.get(space + 1..)?)?;
    Some((sent, usize::try_from(sender).ok()?))
}

fn parse_signed(text: &[u8]) -> Option<i64> {
    match text.strip_prefix(b"-") {
        Some(digits) => i64::try_from(parse_decimal(digits)?).ok().map(|v| -v),
        None => i64::try_from(parse_decimal(text)?).ok(),
    }
}

fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_search_matches_naive() {
        let mut data = vec![b'x'; 100];
        assert_eq!(find_newline(&data), None);
        for pos in [0, 1, 7, 8, 9, 63, 64, 98, 99] {
            data.fill(b'x');
            data[pos] = b'\n';
            assert_eq!(find_newline(&data), Some(pos));
            data[99] = b'\n';
            assert_eq!(find_newline(&data), Some(pos));
        }
        assert_eq!(find_newline(b""), None);
        assert_eq!(find_newline(b"\x80\x8a\x0a"), Some(2));
        assert_eq!(find_newline(&[0x8a; 16]), None);
        assert_eq!(find_newline(&[0x0b, 0x09, 0x8a, 0x0a, 0, 0, 0, 0]), Some(3));
    }

    #[test]
    fn classifies_server_lines() {
        assert_eq!(
            classify(b"<CHAT TYPE='normal' FROM='b00001'>123 4</CHAT>"),
            Line::Chat(b"123 4")
        );
        assert_eq!(
            classify(b"<CHAT TYPE='beep' FROM='b00001'/>"),
            Line::Chat(b"")
        );
        assert_eq!(
            classify(b"<RESULT ACTION='chat' CODE='ok'/>"),
            Line::ChatResult(true)
        );
        assert_eq!(
            classify(b"<RESULT ACTION='chat' CODE='bad options'/>"),
            Line::ChatResult(false)
        );
        assert_eq!(
            classify(b"<RESULT ACTION='protocol' CODE='bad xml'/>"),
            Line::ProtocolError
        );
        assert_eq!(classify(b"<PING/>"), Line::Ping);
        assert_eq!(classify(b"</SESSION>"), Line::SessionEnd);
        assert_eq!(
            classify(b"<UPDATE TYPE='player' ACTION='add' ROOM='1' FROMROOM='-1'>"),
            Line::Other
        );
        assert_eq!(classify(b"<CHAT TYPE='normal' FROM='x'>multi"), Line::Other);
    }

    #[test]
    fn classifies_table_lines() {
        assert_eq!(
            classify(b"<RESULT ACTION='launch' CODE='ok'/>"),
            Line::Result {
                action: b"launch",
                code: b"ok"
            }
        );
        assert_eq!(
            classify(b"<RESULT ACTION='join' CODE='no channel'/>"),
            Line::Result {
                action: b"join",
                code: b"no channel"
            }
        );
        assert_eq!(classify(b"<RESULT ACTION='join'"), Line::Other);
        assert_eq!(
            classify(b"<JOIN TABLE='42' SPECTATOR='false'/>"),
            Line::Join { table: 42 }
        );
        assert_eq!(
            classify(b"<JOIN TABLE='x' SPECTATOR='false'/>"),
            Line::Other
        );
        assert_eq!(classify(b"<JOIN TABLE='99999999999'/>"), Line::Other);
        assert_eq!(classify(b"<LEAVE REASON='gameover'/>"), Line::Leave);
        assert_eq!(
            classify(b"<TABLE ID='1001' GAME='0' STATUS='1' SEATS='2'>"),
            Line::TableStart { table: 1001 }
        );
        assert_eq!(
            classify(b"<TABLE ID='7' SEATS='2'>"),
            Line::TableStart { table: 7 }
        );
        assert_eq!(classify(b"<TABLE ID='x'>"), Line::Other);
        assert_eq!(
            classify(b"<UPDATE TYPE='table' ACTION='join' ROOM='1'>"),
            Line::TableUpdate { seated: true }
        );
        assert_eq!(
            classify(b"<UPDATE TYPE='table' ACTION='add' ROOM='1'>"),
            Line::TableUpdate { seated: true }
        );
        assert_eq!(
            classify(b"<UPDATE TYPE='table' ACTION='leave' ROOM='1'>"),
            Line::TableUpdate { seated: false }
        );
        assert_eq!(
            classify(b"<UPDATE TYPE='table' ACTION='delete' ROOM='1'>"),
            Line::TableUpdate { seated: false }
        );
        assert_eq!(
            classify(b"<SEAT NUM='0' TYPE='player'>t00001</SEAT>"),
            Line::SeatPlayer { name: b"t00001" }
        );
        assert_eq!(classify(b"<SEAT NUM='1' TYPE='open'/>"), Line::Other);
        assert_eq!(
            classify(b"<SEAT NUM='1' TYPE='reserved'>kim</SEAT>"),
            Line::Other
        );
        assert_eq!(classify(b"<SEAT NUM='0' TYPE='player'>cut"), Line::Other);
        assert_eq!(classify(b"<LEAVES/>"), Line::Other);
    }

    #[test]
    fn classifies_player_ratings() {
        assert_eq!(
            classify(
                b"<PLAYER ID='p00001' WINS='5' LOSSES='2' TIES='0' FORFEITS='0' RATING='1545'/>"
            ),
            Line::PlayerRating {
                name: b"p00001",
                rating: 1545
            }
        );
        assert_eq!(
            classify(
                b"<PLAYER ID='x' TYPE='normal' TABLE='-1' PERMS='0x00000007' LAG='1' RATING='-3'/>"
            ),
            Line::PlayerRating {
                name: b"x",
                rating: -3
            }
        );
        // No rating (a guest, a game without ratings), or a broken one.
        assert_eq!(classify(b"<PLAYER ID='kim'/>"), Line::Other);
        assert_eq!(
            classify(b"<PLAYER ID='kim' WINS='1' LOSSES='0' TIES='0' FORFEITS='0'/>"),
            Line::Other
        );
        assert_eq!(classify(b"<PLAYER ID='kim' RATING='15x'/>"), Line::Other);
        assert_eq!(classify(b"<PLAYER ID='kim"), Line::Other);
    }

    #[test]
    fn stamps_round_trip() {
        let text = stamp(1_234_567_890_123, 42);
        assert_eq!(parse_stamp(text.as_bytes()), Some((1_234_567_890_123, 42)));
        assert_eq!(parse_stamp(b"hello world"), None);
        assert_eq!(parse_stamp(b"12"), None);
        assert_eq!(parse_stamp(b"99999999999999999999 1"), None);
    }
}
