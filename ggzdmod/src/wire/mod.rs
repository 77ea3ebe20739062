//! Sans-IO codec for the ggzdmod control wire.
//!
//! Messages are typed in both directions: [`ToGame`] is what ggzd sends to a
//! game server, [`ToServer`] what a game server sends to ggzd. Encoding
//! appends the exact wire bytes to a `Vec<u8>`; decoding looks at a byte
//! slice and either returns one message with the number of bytes it used, or
//! says how many more bytes it needs. Nothing here touches a socket.
//!
//! # File descriptors
//!
//! [`ToGame::Seat`] with kind [`SeatKind::Player`] and
//! [`ToGame::SpectatorSeat`] with a non-empty name are followed on the wire
//! by a passed file descriptor. The descriptor is always the *last* element
//! of its message, so the codec never handles it: the encoder appends the
//! bytes that come before it and returns [`Trailer::Fd`], and the decoder
//! returns [`Decoded::Message`] with `fd_follows: true`. The caller then
//! sends or receives the descriptor with [`crate::fdpass`], which moves it
//! together with its own one-byte `0x00` payload in a separate
//! `sendmsg`/`recvmsg`.
//!
//! # Validation policy
//!
//! * Strings: the length word includes the trailing NUL; a length of 0 or
//!   above [`MAX_STRING_LEN`], a missing trailing NUL, or a NUL inside the
//!   string is a [`WireError`]. The original C readers would silently
//!   truncate at an inner NUL; no well-behaved peer sends one, so it is
//!   treated as corruption.
//! * Text that is not valid UTF-8 is decoded **lossily** (invalid sequences
//!   become U+FFFD) rather than rejected: C game servers may log in a
//!   legacy 8-bit charset, and failing a whole table over a log line would be
//!   out of proportion. A name that was mangled this way simply will not
//!   match any player.
//! * Counts (seats, spectator slots, report records) are bounded by
//!   [`MAX_SEATS`] and [`MAX_SPECTATORS`]; a whole message is bounded by
//!   [`MAX_MESSAGE_LEN`] (enforced by the readers that buffer input).
//! * Values the peer may legitimately get wrong without breaking the framing
//!   are passed through so the receiver can apply the original's policy:
//!   an unknown game state in `REQ_GAME_STATE` decodes to
//!   [`ToServer::InvalidState`] (ggzd must still acknowledge it), and a
//!   report record with an out-of-range seat type or result decodes to
//!   [`ToServer::InvalidReport`] (ggzd drops the report but keeps the table).

use std::fmt;

/// Largest accepted string length word, which counts the trailing NUL.
///
/// This is the default allocation limit of the original readers; longer
/// strings are never produced by the encoder and are rejected when decoded.
pub const MAX_STRING_LEN: usize = 32768;

/// Largest number of player seats accepted in a launch message or report.
pub const MAX_SEATS: usize = 256;

/// Largest number of spectator slots accepted (at launch, or as a slot index
/// plus one when slots grow on demand).
pub const MAX_SPECTATORS: usize = 1024;

/// Largest single message a reader will buffer before giving up.
///
/// Individual fields are bounded separately, but a launch or report made of
/// many maximal strings could still reach megabytes; no real message comes
/// anywhere near this.
pub const MAX_MESSAGE_LEN: usize = 1 << 20;

mod decode;
mod encode;
mod kinds;
#[cfg(test)]
mod tests;

pub use kinds::{GameResult, GameState, LaunchLayout, SeatKind, UnknownLayout, UnknownSeatKind};

/// One record of `MSG_GAME_REPORT` (docs/ggzdmod.md §5.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportRecord {
    /// Player name; bots as the game names them ("AI" when unnamed).
    pub name: String,
    /// Seat type; ggzd only accepts Player, Bot and Abandoned.
    pub kind: SeatKind,
    /// Team number; negative means "no team".
    pub team: i32,
    /// The player's result.
    pub result: GameResult,
    /// Score for high-score tables; 0 when the game has none.
    pub score: i32,
}

/// One seat as announced in `MSG_GAME_LAUNCH`.
///
/// Only these three kinds may appear at launch; the game rejects others.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LaunchSeat {
    /// An open seat.
    Open,
    /// A bot; the string is its name, `""` for an unnamed bot.
    Bot(String),
    /// A seat reserved for the named player.
    Reserved(String),
}

/// Messages from ggzd to a game server (docs/ggzdmod.md §3.2, §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ToGame {
    /// `MSG_GAME_LAUNCH` (0): sent once, right after the process starts.
    Launch {
        /// Internal game name (base name of the `.dsc` file).
        game: String,
        /// Savegame to restore from. Only the [`LaunchLayout::Trunk`] layout
        /// carries it; `None` and `Some("")` both mean "new game" and are
        /// encoded as the empty string.
        savegame: Option<String>,
        /// Seats in seat order.
        seats: Vec<LaunchSeat>,
        /// Number of spectator slots (ggzd always sends 0).
        spectators: u32,
    },
    /// `MSG_GAME_SEAT` (1); followed by an fd iff `kind` is Player.
    Seat {
        /// Seat index.
        num: u32,
        /// New seat type.
        kind: SeatKind,
        /// Occupant name, `""` for none.
        name: String,
    },
    /// `MSG_GAME_SPECTATOR_SEAT` (2); followed by an fd iff `name` is
    /// non-empty.
    SpectatorSeat {
        /// Spectator slot index.
        num: u32,
        /// Spectator name, `""` when the slot becomes empty.
        name: String,
    },
    /// `MSG_GAME_RESEAT` (3): an occupant moves; no fd, the game keeps the
    /// existing connection.
    Reseat {
        /// Index the occupant leaves.
        old: u32,
        /// Whether `old` is a spectator slot.
        was_spectator: bool,
        /// Index the occupant moves to.
        new: u32,
        /// Whether `new` is a spectator slot.
        is_spectator: bool,
    },
    /// `RSP_GAME_STATE` (4): acknowledges one `REQ_GAME_STATE`.
    StateAck,
}

/// Messages from a game server to ggzd (docs/ggzdmod.md §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ToServer {
    /// `MSG_LOG` (0): a line for ggzd's log.
    Log(String),
    /// `REQ_GAME_STATE` (1) with a known state value.
    State(GameState),
    /// `REQ_GAME_STATE` (1) with a byte outside the state table. ggzd must
    /// acknowledge it like any other state request and then fail the table.
    InvalidState(u8),
    /// `REQ_NUM_SEATS` (2).
    NumSeats(i32),
    /// `REQ_BOOT` (3): boot the named player or spectator.
    Boot(String),
    /// `REQ_BOT` (4): put a bot into the given seat.
    Bot(i32),
    /// `REQ_OPEN` (5): open the given seat.
    Open(i32),
    /// `MSG_GAME_REPORT` (6).
    Report(Vec<ReportRecord>),
    /// `MSG_GAME_REPORT` (6) that was framed correctly but has a record with
    /// a seat type or result outside the tables. ggzd drops such a report.
    InvalidReport {
        /// Index of the first bad record.
        record: usize,
        /// Which field was bad: `"type"` or `"result"`.
        field: &'static str,
        /// The value found.
        value: i32,
    },
    /// `MSG_SAVEGAME_REPORT` (7).
    SavegameReport(String),
}

/// What follows the encoded bytes of a message on the wire.
#[must_use = "a message may need a file descriptor sent after its bytes"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trailer {
    /// The message is complete.
    Nothing,
    /// A file descriptor must be sent next, with its own `sendmsg`
    /// (see [`crate::fdpass::send_fd`]).
    Fd,
}

/// Result of a decode attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<M> {
    /// The buffer ends inside a message. At least this many more bytes are
    /// needed before the decoder can make progress. The count never reaches
    /// past the end of the current message, so reading exactly this many
    /// bytes is always safe even when a passed fd follows the message.
    NeedMore(usize),
    /// One complete message.
    Message {
        /// The message.
        msg: M,
        /// Bytes of the buffer it occupied.
        consumed: usize,
        /// Whether a passed file descriptor (with its dummy byte) follows on
        /// the wire; it must be read with [`crate::fdpass::recv_fd`] before
        /// anything else.
        fd_follows: bool,
    },
}

/// A malformed or unencodable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// An opcode outside the table for this direction.
    UnknownOpcode(i32),
    /// A string length word of 0 or above [`MAX_STRING_LEN`].
    BadStringLength(i32),
    /// A string whose last byte is not NUL.
    MissingNul,
    /// A string with a NUL byte before its end (also refused when encoding,
    /// since a C peer would cut the string there).
    InteriorNul,
    /// A string too long to encode (byte length without the NUL).
    StringTooLong(usize),
    /// A count or index outside its bound.
    BadCount {
        /// What was counted.
        what: &'static str,
        /// The value found.
        value: i64,
    },
    /// Launch seats plus spectators add up to zero.
    EmptyLaunch,
    /// A seat type outside the table, or one not allowed at this place.
    BadSeatKind(i32),
    /// A savegame was given for the legacy launch layout, which has no field
    /// for it.
    SavegameInLegacyLayout,
    /// A message grew beyond [`MAX_MESSAGE_LEN`].
    MessageTooLong,
    /// A file descriptor was supplied for a message that does not carry one,
    /// or was missing for one that does.
    FdMismatch,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::UnknownOpcode(op) => write!(f, "unknown opcode {op}"),
            WireError::BadStringLength(l) => write!(f, "bad string length {l}"),
            WireError::MissingNul => f.write_str("string not NUL-terminated"),
            WireError::InteriorNul => f.write_str("string contains a NUL byte"),
            WireError::StringTooLong(l) => write!(f, "string of {l} bytes is too long"),
            WireError::BadCount { what, value } => write!(f, "bad {what}: {value}"),
            WireError::EmptyLaunch => f.write_str("launch without seats or spectators"),
            WireError::BadSeatKind(k) => write!(f, "bad seat type {k}"),
            WireError::SavegameInLegacyLayout => {
                f.write_str("savegame cannot be sent with the legacy launch layout")
            }
            WireError::MessageTooLong => write!(f, "message longer than {MAX_MESSAGE_LEN} bytes"),
            WireError::FdMismatch => f.write_str("file descriptor does not match message"),
        }
    }
}

impl std::error::Error for WireError {}
