//! `ggzduedit export-game`: one played game, verified (docs/replays.md
//! §2), as a JSON document with its whole event log.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use ggzd::store::{Replay, ReplayError, SeatResult, Store};

use super::error::UeditError;

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
        date_utc: super::timefmt::utc(s.ended),
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

/// Writes played game `id` as JSON to `file`, or to `out`.
pub fn export_game(
    store: &Store,
    id: i64,
    file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), UeditError> {
    let replay = store.load_replay(id).map_err(|e| match e {
        ReplayError::UnknownId => UeditError::NotFound(format!("no played game {id}")),
        ReplayError::Store(e) => e.into(),
        refused => UeditError::Database(format!("played game {id}: {refused}")),
    })?;
    let mut json = serde_json::to_string_pretty(&document(&replay))
        .map_err(|e| UeditError::Io("JSON".into(), e.into()))?;
    json.push('\n');
    match file {
        Some(path) => {
            std::fs::write(path, &json).map_err(UeditError::io(path.display().to_string()))?;
            writeln!(
                out,
                "exported played game {id} ({} events) to {}",
                replay.log.events.len(),
                path.display()
            )
            .map_err(UeditError::io("output"))
        }
        None => out
            .write_all(json.as_bytes())
            .map_err(UeditError::io("output")),
    }
}
