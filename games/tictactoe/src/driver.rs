//! Glue between ggzdmod's event loop and the state machine: prepares new
//! sockets, reads client data, and forwards every event.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

use ggzdmod::{Event, Game, Place};

use crate::game::TicTacToe;
use crate::table::Table;

/// How long a write to a client may block before the client counts as not
/// reading. Everything runs in one thread, so a stuck client would freeze
/// the whole table; TicTacToe packets are tiny, so a healthy client never
/// comes near this.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Safety net for reads, which only happen after poll said "readable" and
/// so should never wait at all.
pub const READ_TIMEOUT: Duration = Duration::from_secs(1);

/// Bytes read per readiness event. Client messages are 6 or 10 bytes;
/// more simply waits for the next event.
pub const READ_CHUNK: usize = 512;

/// Runs the table until the game is DONE or ggzd goes away.
pub fn run(game: &mut Game, ttt: &mut TicTacToe) -> Result<(), ggzdmod::Error> {
    game.run(|game, event| handle_event(ttt, game, event))
}

/// Handles one ggzdmod event.
pub fn handle_event(ttt: &mut TicTacToe, game: &mut Game, event: Event) {
    match event {
        Event::Launch => ttt.on_launch(game),
        Event::SeatChange {
            seat,
            old,
            new,
            old_stream,
        } => {
            // The previous occupant's socket closes at the end of this arm,
            // after the state machine forgot about it.
            let _closing = old_stream;
            if let Some(stream) = game.seat_stream(seat) {
                prepare(stream);
            }
            ttt.on_seat_change(game, seat, &old, &new);
        }
        Event::SpectatorJoin { spectator, name } => {
            if let Some(stream) = game.spectator_stream(spectator) {
                prepare(stream);
            }
            ttt.on_spectator_join(game, spectator, &name);
        }
        Event::SpectatorLeave {
            spectator, stream, ..
        } => {
            let _closing = stream;
            ttt.on_spectator_leave(game, spectator);
        }
        Event::Reseat { from, to, name } => ttt.on_reseat(game, from, to, &name),
        Event::PlayerData { seat } => read_client(ttt, game, Place::Seat(seat)),
        Event::SpectatorData { spectator } => read_client(ttt, game, Place::Spectator(spectator)),
        Event::StateAck => {}
        Event::ControlClosed => game.log("ggzd closed the control connection"),
    }
}

/// Socket options for a newly handed-over client connection.
fn prepare(stream: &TcpStream) {
    // Small packets go out at once; without this a REQ_MOVE following an
    // RSP_MOVE could wait for the client's delayed ACK.
    let results = [
        stream.set_nodelay(true),
        stream.set_write_timeout(Some(WRITE_TIMEOUT)),
        stream.set_read_timeout(Some(READ_TIMEOUT)),
    ];
    for r in results {
        if let Err(e) = r {
            log::debug!("tictactoe: socket option not set: {e}");
        }
    }
}

/// Reads once from a client that ggzdmod reported readable (reading at
/// least once is what keeps the event from repeating).
fn read_client(ttt: &mut TicTacToe, game: &mut Game, place: Place) {
    let stream = match place {
        Place::Seat(i) => game.seat_stream(i),
        Place::Spectator(i) => game.spectator_stream(i),
    };
    let Some(mut stream) = stream else {
        return;
    };
    let mut buf = [0u8; READ_CHUNK];
    match stream.read(&mut buf) {
        Ok(0) => ttt.on_hangup(game, place),
        Ok(n) => ttt.on_data(game, place, buf.get(..n).unwrap_or_default()),
        Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::WouldBlock) => {}
        Err(e) => {
            Table::log(game, &format!("reading from {place:?} failed: {e}"));
            ttt.on_hangup(game, place);
        }
    }
}
