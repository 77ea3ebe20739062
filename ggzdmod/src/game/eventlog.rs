//! The table's event log as part of [`Game`]: created in the working
//! directory, reported to ggzd as the table's savegame, replaced on a
//! rematch (docs/event-log.md §3).

use std::path::PathBuf;

use super::{Error, Game};
use crate::eventlog::{Event, EventLog, LogError, ParsedLog, load};
use crate::wire::ToServer;

/// Largest savegame file [`Game::read_savegame_log`] reads.
pub const MAX_SAVEGAME_BYTES: u64 = 64 << 20;

impl Game {
    /// Where new event logs are created: the working directory (ggzd
    /// starts a game server in `gamedata/<Game Name>/`) unless changed.
    pub fn set_event_log_dir(&mut self, dir: impl Into<PathBuf>) {
        self.event_log_dir = dir.into();
    }

    /// Declares that this game restores savegames (call it before the
    /// launch). On a launch that carries a savegame the library then does
    /// not report WAITING on its own: the game reads and replays the log
    /// ([`Game::read_savegame_log`]) and reports
    /// [`GameState::Waiting`](crate::GameState::Waiting) with
    /// [`Game::set_state`] once it worked, or refuses it by logging why and
    /// exiting, which ggzd sees as a failed launch. Launches without a
    /// savegame are not affected.
    pub fn set_restores_savegames(&mut self, restores: bool) {
        self.restores = restores;
    }

    /// Whether this launch is a restore the game must confirm: it restores
    /// savegames and the launch carried one.
    pub fn restore_pending(&self) -> bool {
        self.restores
            && self.launched
            && self.state == crate::GameState::Created
            && self.savegame.as_deref().is_some_and(|s| !s.is_empty())
    }

    /// Starts a new event log for the game about to be played and reports
    /// it to ggzd as the table's savegame (`MSG_SAVEGAME_REPORT`). A log
    /// still open (the previous game of a rematch) is finished first: one
    /// log per game played.
    pub fn start_event_log(&mut self) -> Result<&mut EventLog, Error> {
        self.open_event_log(&[])
    }

    /// Like [`Game::start_event_log`], for a restored game: the new log
    /// starts with `events` (as read from the savegame and replayed), then
    /// goes on.
    pub fn restore_event_log(&mut self, events: &[Event]) -> Result<&mut EventLog, Error> {
        self.open_event_log(events)
    }

    fn open_event_log(&mut self, events: &[Event]) -> Result<&mut EventLog, Error> {
        if !self.launched {
            return Err(Error::NotLaunched);
        }
        self.finish_event_log()?;
        let log = EventLog::create_from(&self.event_log_dir, &self.game_name, events)
            .map_err(|e| Error::EventLog(format!("cannot create the event log: {e}")))?;
        // The log exists either way; a report that cannot be sent means the
        // control connection is gone, which ends the game anyway.
        let sent = self.send_msg(&ToServer::SavegameReport(log.file_name().to_owned()));
        let log = self.event_log.insert(log);
        sent?;
        Ok(log)
    }

    /// Appends an event to the open log and returns its sequence number
    /// (the new state version).
    pub fn record(&mut self, kind: &str, data: &[u8]) -> Result<u64, Error> {
        let log = self
            .event_log
            .as_mut()
            .ok_or_else(|| Error::EventLog("no event log is open".to_owned()))?;
        log.append(kind, data)
            .map_err(|e| Error::EventLog(format!("event not recorded: {e}")))
    }

    /// The open event log, if any.
    pub fn event_log(&self) -> Option<&EventLog> {
        self.event_log.as_ref()
    }

    /// The open event log, to append to directly.
    pub fn event_log_mut(&mut self) -> Option<&mut EventLog> {
        self.event_log.as_mut()
    }

    /// Writes the open log's end line (the game is over) and closes it.
    /// Does nothing when no log is open.
    pub fn finish_event_log(&mut self) -> Result<(), Error> {
        match self.event_log.take() {
            Some(mut log) => log
                .finish()
                .map_err(|e| Error::EventLog(format!("cannot finish the event log: {e}"))),
            None => Ok(()),
        }
    }

    /// Closes the open log without its end line, as if the game server
    /// had stopped there: for a log that can no longer be kept whole (a
    /// write failed, a bound was reached). Nothing more is recorded until
    /// the next [`Game::start_event_log`].
    pub fn abandon_event_log(&mut self) {
        self.event_log = None;
    }

    /// Reads the savegame ggzd launched the table with, as an event log
    /// (relative names are in the working directory). `Ok(None)`: no
    /// savegame, a fresh game. The log is checked (docs/event-log.md §2)
    /// and must be for this game; replaying its events is the game's job.
    pub fn read_savegame_log(&self, max_events: usize) -> Result<Option<ParsedLog>, LogError> {
        let Some(name) = self.savegame.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let parsed = load(
            self.event_log_dir.join(name),
            MAX_SAVEGAME_BYTES,
            max_events,
        )?;
        if parsed.game != self.game_name {
            return Err(LogError::Corrupt {
                line: 1,
                why: format!(
                    "the log is for the game {:?}, this table plays {:?}",
                    parsed.game, self.game_name
                ),
            });
        }
        Ok(Some(parsed))
    }
}
