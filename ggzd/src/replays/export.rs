//! A played game as one JSON document (docs/replays.md §5), the same
//! bytes whichever way an operator asks: `ggzduedit export-game` on the
//! database, or `ggzd-ctl export-game` through a running server's control
//! socket (docs/control.md), which builds it on a worker.

use serde::Serialize;

use crate::store::{Replay, SeatResult};

#[derive(Debug, Serialize)]
struct Player<'a> {
    seat: u32,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    result: &'static str,
}

#[derive(Debug, Serialize)]
struct Event<'a> {
    seq: u64,
    /// Unix milliseconds.
    time: u64,
    kind: &'a str,
    /// Lower-case hex.
    data: String,
}

#[derive(Debug, Serialize)]
struct Game<'a> {
    id: i64,
    game: &'a str,
    /// Unix seconds.
    date: i64,
    date_utc: String,
    status: &'static str,
    players: Vec<Player<'a>>,
    result: String,
    /// The log has its end line (the game closed it).
    complete: bool,
    events: Vec<Event<'a>>,
}

/// `2024-05-01 12:00:00 UTC`; `never` for 0 (the original's "no login
/// yet"). A time outside years -9999..=9999 is shown as its number of
/// seconds.
pub fn utc(unix: i64) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    if unix == 0 {
        return "never".to_owned();
    }
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// "alice won", "alice and bob tied", or "no result".
fn result_text(replay: &Replay) -> String {
    let seats = &replay.summary.seats;
    let named = |want: SeatResult| -> Vec<&str> {
        seats
            .iter()
            .filter(|s| s.result == want)
            .map(|s| s.name.as_str())
            .collect()
    };
    let (winners, tied) = (named(SeatResult::Win), named(SeatResult::Tie));
    if !winners.is_empty() {
        format!("{} won", winners.join(" and "))
    } else if !tied.is_empty() {
        format!("{} tied", tied.join(" and "))
    } else {
        "no result".to_owned()
    }
}

fn document(replay: &Replay) -> Game<'_> {
    let s = &replay.summary;
    Game {
        id: s.id,
        game: &s.game,
        date: s.ended,
        date_utc: utc(s.ended),
        status: s.status.as_str(),
        players: s
            .seats
            .iter()
            .map(|p| Player {
                seat: p.seat,
                name: &p.name,
                kind: p.kind.as_str(),
                result: p.result.as_str(),
            })
            .collect(),
        result: result_text(replay),
        complete: replay.log.complete,
        events: replay
            .log
            .events
            .iter()
            .map(|e| Event {
                seq: e.seq,
                time: e.time_ms,
                kind: &e.kind,
                data: hex(&e.data),
            })
            .collect(),
    }
}

/// The document of a verified played game: pretty-printed JSON ending in
/// a newline.
pub fn to_json(replay: &Replay) -> Result<String, serde_json::Error> {
    let mut json = serde_json::to_string_pretty(&document(replay))?;
    json.push('\n');
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_times() {
        assert_eq!(utc(0), "never");
        assert_eq!(utc(1), "1970-01-01 00:00:01 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc(i64::MAX), format!("@{}", i64::MAX));
    }
}
