//! What a game server is told.

use std::net::TcpStream;

use crate::wire::SeatKind;

use super::Place;
use super::SeatInfo;

/// Something that happened, returned by [`Game::next_event`](super::Game::next_event) or passed to
/// the [`Game::run`](super::Game::run) handler.
#[derive(Debug)]
pub enum Event {
    /// The launch message was processed: the seat table, game name and
    /// savegame are available, and the library has already moved the game
    /// to [`GameState::Waiting`](crate::wire::GameState::Waiting) and told ggzd.
    Launch,
    /// ggzd acknowledged one state request (`RSP_GAME_STATE`).
    StateAck,
    /// ggzd changed a seat. A player joining shows as `new.kind` Player
    /// (socket at [`Game::seat_stream`](super::Game::seat_stream)); a player leaving as `old.kind`
    /// Player.
    SeatChange {
        /// Seat number.
        seat: usize,
        /// What the seat held before.
        old: SeatInfo,
        /// What it holds now.
        new: SeatInfo,
        /// The previous occupant's socket, if the seat was Player. It is
        /// closed when dropped.
        old_stream: Option<TcpStream>,
    },
    /// A spectator arrived in a slot (socket at [`Game::spectator_stream`](super::Game::spectator_stream)).
    SpectatorJoin {
        /// Slot number.
        spectator: usize,
        /// Spectator name.
        name: String,
    },
    /// A spectator left a slot.
    SpectatorLeave {
        /// Slot number.
        spectator: usize,
        /// Spectator name.
        name: String,
        /// The spectator's socket, closed when dropped.
        stream: TcpStream,
    },
    /// An occupant moved, keeping their connection.
    Reseat {
        /// Where they were.
        from: Place,
        /// Where they are now.
        to: Place,
        /// Their name.
        name: String,
    },
    /// The player in this seat has data to read, or has closed the
    /// connection. The close is reported once, when nothing else is left to
    /// read (a read then returns 0 or an error); after that the socket is no
    /// longer watched. ggzd's seat change for the leaver follows separately.
    PlayerData {
        /// Seat number.
        seat: usize,
    },
    /// The spectator in this slot has data to read, or has closed the
    /// connection (reported once, as for [`Event::PlayerData`]).
    SpectatorData {
        /// Slot number.
        spectator: usize,
    },
    /// ggzd closed the control socket; the game should end.
    ControlClosed,
}

impl Event {
    /// Whether this is a seat change where a player arrived.
    pub fn is_player_join(&self) -> bool {
        matches!(self, Event::SeatChange { old, new, .. }
            if old.kind != SeatKind::Player && new.kind == SeatKind::Player)
    }

    /// Whether this is a seat change where a player went away.
    pub fn is_player_leave(&self) -> bool {
        matches!(self, Event::SeatChange { old, new, .. }
            if old.kind == SeatKind::Player && new.kind != SeatKind::Player)
    }
}
