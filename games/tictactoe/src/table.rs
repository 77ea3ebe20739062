//! What the game logic needs from its surroundings: the seat table, the
//! players' connections and the requests to ggzd.
//!
//! The state machine in [`crate::game`] only talks to a [`Table`], so it can
//! be driven by ggzdmod's [`Game`] in the real server and by a recording
//! fake in unit tests.

use std::io::{self, Write};
use std::net::Shutdown;

use ggzdmod::eventlog::{Event, ParsedLog};
use ggzdmod::{Game, GameState, Place, SeatInfo, SeatResult};

/// The table as the game logic sees it.
pub trait Table {
    /// Number of player seats.
    fn num_seats(&self) -> usize;
    /// Kind and name of a seat.
    fn seat(&self, seat: usize) -> Option<SeatInfo>;
    /// The game state as last requested.
    fn state(&self) -> GameState;
    /// Requests a state change from ggzd; failures are logged, not fatal
    /// (a broken control connection ends the event loop anyway).
    fn set_state(&mut self, state: GameState);
    /// Writes one complete packet to a player or spectator.
    fn send(&mut self, to: Place, packet: &[u8]) -> io::Result<()>;
    /// Sends the game report, one result per seat in seat order.
    fn report(&mut self, results: &[SeatResult]);
    /// Tells ggzd the savegame's file name.
    fn report_savegame(&mut self, name: &str);
    /// Starts the event log of a new game, or of a restored one that goes
    /// on from `restored`, and reports it to ggzd (docs/event-log.md §3).
    fn start_event_log(&mut self, restored: &[Event]) -> Result<(), String>;
    /// Appends one event to the open event log.
    fn record_event(&mut self, kind: &str, data: &[u8]) -> Result<(), String>;
    /// Writes the open event log's end line.
    fn finish_event_log(&mut self) -> Result<(), String>;
    /// This launch restores a game and waits for the game to confirm it
    /// (docs/event-log.md §4).
    fn restore_pending(&self) -> bool;
    /// The event log the table was launched with, read and checked.
    fn savegame_log(&mut self, max_events: usize) -> Result<Option<ParsedLog>, String>;
    /// A line for ggzd's log.
    fn log(&mut self, msg: &str);
    /// Asks ggzd to remove the named player or spectator from the table.
    fn boot(&mut self, name: &str);
    /// Closes our side of a connection so the client notices at once and
    /// nothing more is read from it.
    fn disconnect(&mut self, place: Place);
}

impl Table for Game {
    fn num_seats(&self) -> usize {
        Game::num_seats(self)
    }

    fn seat(&self, seat: usize) -> Option<SeatInfo> {
        Game::seat(self, seat).map(ggzdmod::Seat::info)
    }

    fn state(&self) -> GameState {
        Game::state(self)
    }

    fn set_state(&mut self, state: GameState) {
        if let Err(e) = Game::set_state(self, state) {
            Game::log(
                self,
                &format!("cannot change the game state to {state:?}: {e}"),
            );
        }
    }

    fn send(&mut self, to: Place, packet: &[u8]) -> io::Result<()> {
        let mut stream = stream(self, to).ok_or(io::ErrorKind::NotConnected)?;
        // One write per packet so packets are never interleaved
        // (docs/tictactoe.md §1.3).
        stream.write_all(packet)
    }

    fn report(&mut self, results: &[SeatResult]) {
        if let Err(e) = self.report_results(results) {
            Game::log(self, &format!("game report not sent: {e}"));
        }
    }

    fn report_savegame(&mut self, name: &str) {
        if let Err(e) = Game::report_savegame(self, name) {
            Game::log(self, &format!("savegame report not sent: {e}"));
        }
    }

    fn start_event_log(&mut self, restored: &[Event]) -> Result<(), String> {
        let started = if restored.is_empty() {
            Game::start_event_log(self).map(|_| ())
        } else {
            Game::restore_event_log(self, restored).map(|_| ())
        };
        started.map_err(|e| e.to_string())
    }

    fn record_event(&mut self, kind: &str, data: &[u8]) -> Result<(), String> {
        Game::record(self, kind, data)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn finish_event_log(&mut self) -> Result<(), String> {
        Game::finish_event_log(self).map_err(|e| e.to_string())
    }

    fn restore_pending(&self) -> bool {
        Game::restore_pending(self)
    }

    fn savegame_log(&mut self, max_events: usize) -> Result<Option<ParsedLog>, String> {
        self.read_savegame_log(max_events).map_err(|e| {
            format!(
                "the savegame {:?}: {e}",
                self.savegame().unwrap_or_default()
            )
        })
    }

    fn log(&mut self, msg: &str) {
        Game::log(self, msg);
    }

    fn boot(&mut self, name: &str) {
        if let Err(e) = self.request_boot(name) {
            Game::log(self, &format!("cannot ask ggzd to boot {name}: {e}"));
        }
    }

    fn disconnect(&mut self, place: Place) {
        if let Some(s) = stream(self, place) {
            // The socket may already be gone on the peer's side; either way
            // there is nothing more to do with it.
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn stream(game: &Game, place: Place) -> Option<&std::net::TcpStream> {
    match place {
        Place::Seat(i) => game.seat_stream(i),
        Place::Spectator(i) => game.spectator_stream(i),
    }
}
