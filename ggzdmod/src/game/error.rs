//! Errors of the game side.

use std::fmt;

use crate::ENV_GGZMODE;
use std::io;

use nix::errno::Errno;

use crate::wire::GameState;
use crate::wire::WireError;

/// Errors of the game side.
#[derive(Debug)]
pub enum Error {
    /// `GGZMODE` is not `true`: the program was not started by ggzd.
    NotUnderGgz,
    /// `GGZSOCKET` or `GGZDMOD_LAUNCH_LAYOUT` holds something unusable, or
    /// the descriptor is not an open socket.
    BadEnvironment(String),
    /// [`Game::connect`](super::Game::connect) was already called in this process.
    AlreadyConnected,
    /// A socket call failed.
    Io(io::Error),
    /// ggzd sent a malformed message, or a request could not be encoded.
    Wire(WireError),
    /// ggzd sent a well-formed message that makes no sense in the current
    /// situation (e.g. a seat number outside the table). The control
    /// connection cannot be trusted any more.
    Protocol(String),
    /// The request needs the launch message, which has not arrived yet.
    NotLaunched,
    /// The game cannot request this state (only Waiting, Playing and Done
    /// can be requested).
    InvalidState(GameState),
    /// A seat or spectator number outside the table, or a bad count.
    InvalidArgument(String),
    /// The control connection is closed or broken.
    Closed,
    /// The event log could not be created or written (docs/event-log.md).
    EventLog(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotUnderGgz => write!(f, "not started by ggzd ({ENV_GGZMODE} is not \"true\")"),
            Error::BadEnvironment(s) => write!(f, "bad environment: {s}"),
            Error::AlreadyConnected => f.write_str("already connected to ggzd"),
            Error::Io(e) => write!(f, "control socket: {e}"),
            Error::Wire(e) => write!(f, "ggzdmod protocol error: {e}"),
            Error::Protocol(s) => write!(f, "ggzdmod protocol error: {s}"),
            Error::NotLaunched => f.write_str("game not launched yet"),
            Error::InvalidState(s) => write!(f, "cannot request game state {s:?}"),
            Error::InvalidArgument(s) => write!(f, "invalid argument: {s}"),
            Error::Closed => f.write_str("control connection closed"),
            Error::EventLog(s) => write!(f, "event log: {s}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Wire(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Wire(e)
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        Error::Io(e.into())
    }
}
