//! The game's event log (docs/event-log.md §6) and restoring a game from
//! one (§4): what the state machine records, and how a restore launch
//! gets its board back.

use ggzdmod::SeatInfo;

use super::{SEATS, TicTacToe};
use crate::board::Mark;
use crate::replay;
use crate::table::Table;

impl TicTacToe {
    /// A new game starts: a new log, the players, then `start`.
    pub(super) fn begin_event_log(&mut self, t: &mut dyn Table) {
        if !self.event_log {
            return;
        }
        if let Err(e) = t.start_event_log(&[]) {
            t.log(&format!("no event log for this game: {e}"));
            return;
        }
        for mark in Mark::BOTH {
            let name = t.seat(mark.seat()).and_then(|s| s.name).unwrap_or_default();
            self.record(t, replay::SEAT, &replay::seat_data(mark, &name));
        }
        self.record(t, replay::START, &[]);
    }

    /// A player or bot took a seat during a game.
    pub(super) fn record_seat(&mut self, t: &mut dyn Table, mark: Mark, name: &str) {
        if self.turn.is_some() && !self.finished {
            self.record(t, replay::SEAT, &replay::seat_data(mark, name));
        }
    }

    /// Appends one event; a log that fails is written to ggzd's log and
    /// the game goes on without it.
    pub(super) fn record(&mut self, t: &mut dyn Table, kind: &str, data: &[u8]) {
        if !self.event_log {
            return;
        }
        if let Err(e) = t.record_event(kind, data) {
            t.log(&format!("event log: {e}"));
        }
    }

    /// The game is over: the log gets its end line.
    pub(super) fn end_event_log(&mut self, t: &mut dyn Table) {
        if self.event_log
            && let Err(e) = t.finish_event_log()
        {
            t.log(&format!("event log: {e}"));
        }
    }

    /// Restores the game of the launch's savegame: reads and checks the
    /// log, replays it through the rules, checks it against the seats
    /// ggzd reserved, and continues it in a new log. Nothing is sent to
    /// anyone; players get the board when they join.
    pub(super) fn restore(&mut self, t: &mut dyn Table) -> Result<(), String> {
        let log = t
            .savegame_log(replay::MAX_EVENTS)?
            .ok_or_else(|| "the launch has no savegame".to_owned())?;
        let replayed = replay::replay(&log.events).map_err(|e| e.to_string())?;
        let seats: Vec<SeatInfo> = (0..t.num_seats()).filter_map(|i| t.seat(i)).collect();
        if seats.len() != SEATS {
            return Err(format!(
                "the table has {} seats, TicTacToe has 2",
                seats.len()
            ));
        }
        replay::check_seats(&replayed, &seats).map_err(|e| e.to_string())?;
        self.board = replayed.board;
        self.turn = Some(replayed.turn);
        self.finished = replayed.outcome.is_some();
        // The game goes on where it stopped, in a new log that starts with
        // the old events; restoring always writes one, so the restored
        // table can be restored again.
        t.start_event_log(&log.events)?;
        if self.finished {
            self.end_event_log(t);
        }
        t.log(&format!(
            "restored a game of {} events: board {}, {}",
            log.events.len(),
            self.board,
            if self.finished {
                "finished".to_owned()
            } else {
                format!("seat {} to move", replayed.turn.seat())
            }
        ));
        Ok(())
    }
}
