//! `ggzduedit export-game`: one played game, verified (docs/replays.md
//! §2), as a JSON document with its whole event log (the document is
//! ggzd's `replays::export`, shared with `ggzd-ctl export-game`).

use std::io::Write;
use std::path::Path;

use ggzd::replays::export::to_json;
use ggzd::store::{ReplayError, Store};

use super::error::UeditError;

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
    let json = to_json(&replay).map_err(|e| UeditError::Io("JSON".into(), e.into()))?;
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
