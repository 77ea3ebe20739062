//! The seat table as a game server sees it.

use std::net::TcpStream;

use crate::wire::SeatKind;

/// Contents of a seat, without its socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatInfo {
    /// Seat type.
    pub kind: SeatKind,
    /// Occupant name (player, reserved-for, bot or abandoning player).
    pub name: Option<String>,
}

/// One player seat.
#[derive(Debug)]
pub struct Seat {
    pub(super) kind: SeatKind,
    pub(super) name: Option<String>,
    pub(super) stream: Option<TcpStream>,
    /// The peer closed and that was reported; stop watching the socket.
    pub(super) hung_up: bool,
}

impl Seat {
    pub(super) fn empty(kind: SeatKind) -> Seat {
        Seat {
            kind,
            name: None,
            stream: None,
            hung_up: false,
        }
    }

    /// Seat type.
    pub fn kind(&self) -> SeatKind {
        self.kind
    }

    /// Occupant name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The player's socket; present exactly when the kind is Player.
    pub fn stream(&self) -> Option<&TcpStream> {
        self.stream.as_ref()
    }

    /// Kind and name, without the socket.
    pub fn info(&self) -> SeatInfo {
        SeatInfo {
            kind: self.kind,
            name: self.name.clone(),
        }
    }
}

/// One occupied spectator slot.
#[derive(Debug)]
pub struct Spectator {
    pub(super) name: String,
    pub(super) stream: TcpStream,
    /// The peer closed and that was reported; stop watching the socket.
    pub(super) hung_up: bool,
}

impl Spectator {
    /// Spectator name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The spectator's socket.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

/// A player seat or a spectator slot, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// Player seat.
    Seat(usize),
    /// Spectator slot.
    Spectator(usize),
}
