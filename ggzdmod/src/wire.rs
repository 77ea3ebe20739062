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
use std::str::FromStr;

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

/// Which variant of `MSG_GAME_LAUNCH` the game server expects (docs/ggzdmod.md §4.1).
///
/// The encoder needs to be told. A decoder that is not told can use
/// [`crate::detect::decode_detecting`], which tells the two apart by which
/// reading is valid and ends where the bytes end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LaunchLayout {
    /// GGZ 0.99.x ("trunk"): the launch message carries a savegame string
    /// after the game name.
    #[default]
    Trunk,
    /// GGZ 0.0.14: no savegame string.
    Legacy,
}

impl LaunchLayout {
    /// The name used in configuration and in the
    /// [`ENV_LAUNCH_LAYOUT`](crate::ENV_LAUNCH_LAYOUT) variable.
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchLayout::Trunk => "trunk",
            LaunchLayout::Legacy => "legacy",
        }
    }
}

impl fmt::Display for LaunchLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when a launch layout name is not recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLayout(pub String);

impl fmt::Display for UnknownLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown launch layout {:?} (expected \"trunk\" or \"legacy\")",
            self.0
        )
    }
}

impl std::error::Error for UnknownLayout {}

impl FromStr for LaunchLayout {
    type Err = UnknownLayout;

    /// Accepts `trunk`/`0.99` and `legacy`/`0.0.14`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trunk" | "0.99" => Ok(LaunchLayout::Trunk),
            "legacy" | "0.0.14" => Ok(LaunchLayout::Legacy),
            _ => Err(UnknownLayout(s.to_owned())),
        }
    }
}

/// Seat types (docs/ggzdmod.md §5.3), shared with the client protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeatKind {
    /// No seat (0).
    None,
    /// Open seat, anyone may join (1).
    Open,
    /// Seat played by the game's AI (2).
    Bot,
    /// Seat occupied by a human player connected to the game (3).
    Player,
    /// Seat held for a named player (4).
    Reserved,
    /// Seat left by a player during a game (5).
    Abandoned,
}

impl SeatKind {
    /// The wire value.
    pub fn to_wire(self) -> i32 {
        match self {
            SeatKind::None => 0,
            SeatKind::Open => 1,
            SeatKind::Bot => 2,
            SeatKind::Player => 3,
            SeatKind::Reserved => 4,
            SeatKind::Abandoned => 5,
        }
    }

    /// Parses a wire value; `None` for values outside the table.
    pub fn from_wire(v: i32) -> Option<SeatKind> {
        Some(match v {
            0 => SeatKind::None,
            1 => SeatKind::Open,
            2 => SeatKind::Bot,
            3 => SeatKind::Player,
            4 => SeatKind::Reserved,
            5 => SeatKind::Abandoned,
            _ => return None,
        })
    }

    /// The name used for this seat type in the XML client protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            SeatKind::None => "none",
            SeatKind::Open => "open",
            SeatKind::Bot => "bot",
            SeatKind::Player => "player",
            SeatKind::Reserved => "reserved",
            SeatKind::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for SeatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A seat type name that is not in the table (docs/ggzdmod.md §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownSeatKind;

impl fmt::Display for UnknownSeatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown seat type")
    }
}

impl std::error::Error for UnknownSeatKind {}

impl FromStr for SeatKind {
    type Err = UnknownSeatKind;

    /// Parses the XML name, ignoring case as GGZ servers and clients do.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        (0..=5)
            .filter_map(SeatKind::from_wire)
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownSeatKind)
    }
}

/// Game server states (docs/ggzdmod.md §5.1), the byte carried by `REQ_GAME_STATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GameState {
    /// Started, launch not yet processed (0). Never requested on the wire.
    Created,
    /// Ready, waiting for players (1).
    Waiting,
    /// Game in progress (2).
    Playing,
    /// Finished; ggzd tears the table down (3).
    Done,
}

impl GameState {
    /// The wire value.
    pub fn to_wire(self) -> u8 {
        match self {
            GameState::Created => 0,
            GameState::Waiting => 1,
            GameState::Playing => 2,
            GameState::Done => 3,
        }
    }

    /// Parses a wire value; `None` for values outside the table.
    pub fn from_wire(v: u8) -> Option<GameState> {
        Some(match v {
            0 => GameState::Created,
            1 => GameState::Waiting,
            2 => GameState::Playing,
            3 => GameState::Done,
            _ => return None,
        })
    }
}

/// Per-player result in a game report (docs/ggzdmod.md §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GameResult {
    /// Won (0).
    Win,
    /// Lost (1).
    Loss,
    /// Tied (2).
    Tie,
    /// Forfeited (3).
    Forfeit,
    /// Did not take part (4).
    None,
}

impl GameResult {
    /// The wire value.
    pub fn to_wire(self) -> i32 {
        match self {
            GameResult::Win => 0,
            GameResult::Loss => 1,
            GameResult::Tie => 2,
            GameResult::Forfeit => 3,
            GameResult::None => 4,
        }
    }

    /// Parses a wire value; `None` for values outside the table.
    pub fn from_wire(v: i32) -> Option<GameResult> {
        Some(match v {
            0 => GameResult::Win,
            1 => GameResult::Loss,
            2 => GameResult::Tie,
            3 => GameResult::Forfeit,
            4 => GameResult::None,
            _ => return None,
        })
    }
}

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

// ---------------------------------------------------------------------------
// Encoding

fn put_int(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_count(out: &mut Vec<u8>, what: &'static str, v: usize, max: usize) -> Result<(), WireError> {
    match i32::try_from(v) {
        Ok(i) if v <= max => {
            put_int(out, i);
            Ok(())
        }
        _ => Err(WireError::BadCount {
            what,
            value: i64::try_from(v).unwrap_or(i64::MAX),
        }),
    }
}

fn put_index(out: &mut Vec<u8>, what: &'static str, v: u32) -> Result<(), WireError> {
    match i32::try_from(v) {
        Ok(i) => {
            put_int(out, i);
            Ok(())
        }
        Err(_) => Err(WireError::BadCount {
            what,
            value: i64::from(v),
        }),
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) -> Result<(), WireError> {
    if s.as_bytes().contains(&0) {
        return Err(WireError::InteriorNul);
    }
    let len = s.len().saturating_add(1);
    if len > MAX_STRING_LEN {
        return Err(WireError::StringTooLong(s.len()));
    }
    // MAX_STRING_LEN fits an i32, so this cannot fail after the check above.
    let word = i32::try_from(len).map_err(|_| WireError::StringTooLong(s.len()))?;
    put_int(out, word);
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    Ok(())
}

impl ToGame {
    /// The wire opcode of this message.
    pub fn opcode(&self) -> i32 {
        match self {
            ToGame::Launch { .. } => 0,
            ToGame::Seat { .. } => 1,
            ToGame::SpectatorSeat { .. } => 2,
            ToGame::Reseat { .. } => 3,
            ToGame::StateAck => 4,
        }
    }

    /// Whether a passed file descriptor follows this message on the wire.
    pub fn carries_fd(&self) -> bool {
        match self {
            ToGame::Seat { kind, .. } => *kind == SeatKind::Player,
            ToGame::SpectatorSeat { name, .. } => !name.is_empty(),
            _ => false,
        }
    }

    /// Appends the wire bytes of this message to `out`.
    ///
    /// If a file descriptor belongs to the message, the bytes written are the
    /// ones that precede it and [`Trailer::Fd`] is returned; the descriptor
    /// must be sent right after them with its own `sendmsg`. On error,
    /// `out` is left as it was.
    pub fn encode(&self, layout: LaunchLayout, out: &mut Vec<u8>) -> Result<Trailer, WireError> {
        let start = out.len();
        let r = self.encode_inner(layout, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_inner(&self, layout: LaunchLayout, out: &mut Vec<u8>) -> Result<Trailer, WireError> {
        put_int(out, self.opcode());
        match self {
            ToGame::Launch {
                game,
                savegame,
                seats,
                spectators,
            } => {
                put_string(out, game)?;
                let save = savegame.as_deref().unwrap_or("");
                match layout {
                    LaunchLayout::Trunk => put_string(out, save)?,
                    LaunchLayout::Legacy if save.is_empty() => {}
                    LaunchLayout::Legacy => return Err(WireError::SavegameInLegacyLayout),
                }
                put_count(out, "seat count", seats.len(), MAX_SEATS)?;
                let specs = usize::try_from(*spectators).unwrap_or(usize::MAX);
                put_count(out, "spectator count", specs, MAX_SPECTATORS)?;
                if seats.is_empty() && specs == 0 {
                    return Err(WireError::EmptyLaunch);
                }
                for seat in seats {
                    match seat {
                        LaunchSeat::Open => put_int(out, SeatKind::Open.to_wire()),
                        LaunchSeat::Bot(name) => {
                            put_int(out, SeatKind::Bot.to_wire());
                            put_string(out, name)?;
                        }
                        LaunchSeat::Reserved(name) => {
                            put_int(out, SeatKind::Reserved.to_wire());
                            put_string(out, name)?;
                        }
                    }
                }
            }
            ToGame::Seat { num, kind, name } => {
                put_index(out, "seat number", *num)?;
                put_int(out, kind.to_wire());
                put_string(out, name)?;
            }
            ToGame::SpectatorSeat { num, name } => {
                put_index(out, "spectator number", *num)?;
                put_string(out, name)?;
            }
            ToGame::Reseat {
                old,
                was_spectator,
                new,
                is_spectator,
            } => {
                put_index(out, "seat number", *old)?;
                put_int(out, i32::from(*was_spectator));
                put_index(out, "seat number", *new)?;
                put_int(out, i32::from(*is_spectator));
            }
            ToGame::StateAck => {}
        }
        Ok(if self.carries_fd() {
            Trailer::Fd
        } else {
            Trailer::Nothing
        })
    }

    /// Decodes one message from the start of `buf`.
    ///
    /// Never looks beyond the message. When the result says `fd_follows`,
    /// the next thing on the socket is the passed descriptor's dummy byte.
    pub fn decode(buf: &[u8], layout: LaunchLayout) -> Result<Decoded<ToGame>, WireError> {
        let mut r = Reader { buf, pos: 0 };
        match decode_to_game(&mut r, layout) {
            Ok(msg) => Ok(Decoded::Message {
                fd_follows: msg.carries_fd(),
                msg,
                consumed: r.pos,
            }),
            Err(Stop::Need(n)) => Ok(Decoded::NeedMore(n)),
            Err(Stop::Bad(e)) => Err(e),
        }
    }
}

impl ToServer {
    /// The wire opcode of this message.
    pub fn opcode(&self) -> i32 {
        match self {
            ToServer::Log(_) => 0,
            ToServer::State(_) | ToServer::InvalidState(_) => 1,
            ToServer::NumSeats(_) => 2,
            ToServer::Boot(_) => 3,
            ToServer::Bot(_) => 4,
            ToServer::Open(_) => 5,
            ToServer::Report(_) | ToServer::InvalidReport { .. } => 6,
            ToServer::SavegameReport(_) => 7,
        }
    }

    /// Appends the wire bytes of this message to `out`. These messages
    /// never carry a file descriptor. On error, `out` is left as it was.
    ///
    /// [`ToServer::InvalidReport`] cannot be encoded (it only describes a
    /// received report) and yields [`WireError::BadSeatKind`] or a
    /// [`WireError::BadCount`] naming the bad field.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let start = out.len();
        let r = self.encode_inner(out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_inner(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_int(out, self.opcode());
        match self {
            ToServer::Log(s) | ToServer::Boot(s) | ToServer::SavegameReport(s) => {
                put_string(out, s)?
            }
            ToServer::State(st) => out.push(st.to_wire()),
            ToServer::InvalidState(b) => out.push(*b),
            ToServer::NumSeats(n) | ToServer::Bot(n) | ToServer::Open(n) => put_int(out, *n),
            ToServer::Report(records) => {
                put_count(out, "report record count", records.len(), MAX_SEATS)?;
                for rec in records {
                    put_string(out, &rec.name)?;
                    put_int(out, rec.kind.to_wire());
                    put_int(out, rec.team);
                    put_int(out, rec.result.to_wire());
                    put_int(out, rec.score);
                }
            }
            ToServer::InvalidReport { field, value, .. } => {
                return Err(if *field == "type" {
                    WireError::BadSeatKind(*value)
                } else {
                    WireError::BadCount {
                        what: "game result",
                        value: i64::from(*value),
                    }
                });
            }
        }
        Ok(())
    }

    /// Decodes one message from the start of `buf`. No message in this
    /// direction carries a file descriptor, so the result's `fd_follows` is
    /// always false.
    pub fn decode(buf: &[u8]) -> Result<Decoded<ToServer>, WireError> {
        let mut r = Reader { buf, pos: 0 };
        match decode_to_server(&mut r) {
            Ok(msg) => Ok(Decoded::Message {
                msg,
                consumed: r.pos,
                fd_follows: false,
            }),
            Err(Stop::Need(n)) => Ok(Decoded::NeedMore(n)),
            Err(Stop::Bad(e)) => Err(e),
        }
    }
}

// ---------------------------------------------------------------------------
// Decoding

/// Why a decode stopped early.
enum Stop {
    Need(usize),
    Bad(WireError),
}

impl From<WireError> for Stop {
    fn from(e: WireError) -> Self {
        Stop::Bad(e)
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.pos.saturating_add(n);
        match self.buf.get(self.pos..end) {
            Some(s) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(Stop::Need(end.saturating_sub(self.buf.len()))),
        }
    }

    fn int(&mut self) -> Result<i32, Stop> {
        let b = self.take(4)?;
        let arr: [u8; 4] = b.try_into().map_err(|_| Stop::Need(4))?;
        Ok(i32::from_be_bytes(arr))
    }

    fn byte(&mut self) -> Result<u8, Stop> {
        match self.take(1)?.first() {
            Some(b) => Ok(*b),
            None => Err(Stop::Need(1)),
        }
    }

    fn bool(&mut self) -> Result<bool, Stop> {
        // C readers treat any non-zero int as true.
        Ok(self.int()? != 0)
    }

    /// A non-negative int no larger than `max`.
    fn bounded(&mut self, what: &'static str, max: usize) -> Result<u32, Stop> {
        let v = self.int()?;
        match u32::try_from(v) {
            Ok(u) if usize::try_from(u).is_ok_and(|x| x <= max) => Ok(u),
            _ => Err(Stop::Bad(WireError::BadCount {
                what,
                value: i64::from(v),
            })),
        }
    }

    /// A non-negative int (seat or slot index).
    fn index(&mut self, what: &'static str) -> Result<u32, Stop> {
        let v = self.int()?;
        u32::try_from(v).map_err(|_| {
            Stop::Bad(WireError::BadCount {
                what,
                value: i64::from(v),
            })
        })
    }

    fn string(&mut self) -> Result<String, Stop> {
        let word = self.int()?;
        // Validate the length before waiting for the bytes, so an absurd
        // length fails at once instead of asking for gigabytes.
        let len = match usize::try_from(word) {
            Ok(l) if (1..=MAX_STRING_LEN).contains(&l) => l,
            _ => return Err(Stop::Bad(WireError::BadStringLength(word))),
        };
        let bytes = self.take(len)?;
        let Some((&last, text)) = bytes.split_last() else {
            return Err(Stop::Bad(WireError::BadStringLength(word)));
        };
        if last != 0 {
            return Err(Stop::Bad(WireError::MissingNul));
        }
        if text.contains(&0) {
            return Err(Stop::Bad(WireError::InteriorNul));
        }
        Ok(String::from_utf8_lossy(text).into_owned())
    }
}

fn decode_to_game(r: &mut Reader<'_>, layout: LaunchLayout) -> Result<ToGame, Stop> {
    let op = r.int()?;
    Ok(match op {
        0 => {
            let game = r.string()?;
            let savegame = match layout {
                LaunchLayout::Trunk => Some(r.string()?).filter(|s| !s.is_empty()),
                LaunchLayout::Legacy => None,
            };
            let nseats = r.bounded("seat count", MAX_SEATS)?;
            let spectators = r.bounded("spectator count", MAX_SPECTATORS)?;
            if nseats == 0 && spectators == 0 {
                return Err(Stop::Bad(WireError::EmptyLaunch));
            }
            // Bounded by MAX_SEATS above, so the allocation is small.
            let mut seats = Vec::with_capacity(usize::try_from(nseats).unwrap_or(0));
            for _ in 0..nseats {
                let kind = r.int()?;
                seats.push(match SeatKind::from_wire(kind) {
                    Some(SeatKind::Open) => LaunchSeat::Open,
                    Some(SeatKind::Bot) => LaunchSeat::Bot(r.string()?),
                    Some(SeatKind::Reserved) => LaunchSeat::Reserved(r.string()?),
                    _ => return Err(Stop::Bad(WireError::BadSeatKind(kind))),
                });
            }
            ToGame::Launch {
                game,
                savegame,
                seats,
                spectators,
            }
        }
        1 => {
            let num = r.index("seat number")?;
            let raw = r.int()?;
            let kind = SeatKind::from_wire(raw).ok_or(WireError::BadSeatKind(raw))?;
            let name = r.string()?;
            ToGame::Seat { num, kind, name }
        }
        2 => {
            let num = r.index("spectator number")?;
            let name = r.string()?;
            ToGame::SpectatorSeat { num, name }
        }
        3 => {
            let old = r.index("seat number")?;
            let was_spectator = r.bool()?;
            let new = r.index("seat number")?;
            let is_spectator = r.bool()?;
            ToGame::Reseat {
                old,
                was_spectator,
                new,
                is_spectator,
            }
        }
        4 => ToGame::StateAck,
        _ => return Err(Stop::Bad(WireError::UnknownOpcode(op))),
    })
}

fn decode_to_server(r: &mut Reader<'_>) -> Result<ToServer, Stop> {
    let op = r.int()?;
    Ok(match op {
        0 => ToServer::Log(r.string()?),
        1 => {
            let b = r.byte()?;
            match GameState::from_wire(b) {
                Some(st) => ToServer::State(st),
                None => ToServer::InvalidState(b),
            }
        }
        2 => ToServer::NumSeats(r.int()?),
        3 => ToServer::Boot(r.string()?),
        4 => ToServer::Bot(r.int()?),
        5 => ToServer::Open(r.int()?),
        6 => {
            let n = r.bounded("report record count", MAX_SEATS)?;
            let mut records = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let mut invalid = None;
            for i in 0..usize::try_from(n).unwrap_or(0) {
                let name = r.string()?;
                let kind = r.int()?;
                let team = r.int()?;
                let result = r.int()?;
                let score = r.int()?;
                // Keep reading after a bad value so the whole frame is
                // consumed and the stream stays in step.
                match (SeatKind::from_wire(kind), GameResult::from_wire(result)) {
                    (Some(kind), Some(result)) => records.push(ReportRecord {
                        name,
                        kind,
                        team,
                        result,
                        score,
                    }),
                    (None, _) => {
                        invalid.get_or_insert((i, "type", kind));
                    }
                    (_, None) => {
                        invalid.get_or_insert((i, "result", result));
                    }
                }
            }
            match invalid {
                None => ToServer::Report(records),
                Some((record, field, value)) => ToServer::InvalidReport {
                    record,
                    field,
                    value,
                },
            }
        }
        7 => ToServer::SavegameReport(r.string()?),
        _ => return Err(Stop::Bad(WireError::UnknownOpcode(op))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_game(m: &ToGame, layout: LaunchLayout) -> (Vec<u8>, Trailer) {
        let mut out = Vec::new();
        let t = m.encode(layout, &mut out).unwrap();
        (out, t)
    }

    fn enc_server(m: &ToServer) -> Vec<u8> {
        let mut out = Vec::new();
        m.encode(&mut out).unwrap();
        out
    }

    /// Checks encoding against the expected bytes, decoding them back, and
    /// that every strict prefix asks for more (with a hint that stays inside
    /// the message).
    fn check_game(m: ToGame, layout: LaunchLayout, bytes: &[u8]) {
        let (out, trailer) = enc_game(&m, layout);
        assert_eq!(out, bytes, "encoding of {m:?}");
        assert_eq!(trailer == Trailer::Fd, m.carries_fd());
        let mut with_extra = bytes.to_vec();
        with_extra.extend_from_slice(&[0, 0, 0, 4]);
        match ToGame::decode(&with_extra, layout).unwrap() {
            Decoded::Message {
                msg,
                consumed,
                fd_follows,
            } => {
                assert_eq!(msg, m);
                assert_eq!(consumed, bytes.len());
                assert_eq!(fd_follows, m.carries_fd());
            }
            other => panic!("expected message, got {other:?}"),
        }
        for cut in 0..bytes.len() {
            match ToGame::decode(&bytes[..cut], layout).unwrap() {
                Decoded::NeedMore(n) => {
                    assert!(n >= 1 && cut + n <= bytes.len(), "cut {cut} hint {n}")
                }
                other => panic!("prefix {cut} decoded to {other:?}"),
            }
        }
    }

    fn check_server(m: ToServer, bytes: &[u8]) {
        assert_eq!(enc_server(&m), bytes, "encoding of {m:?}");
        let mut with_extra = bytes.to_vec();
        with_extra.extend_from_slice(&[0, 0, 0, 0]);
        match ToServer::decode(&with_extra).unwrap() {
            Decoded::Message {
                msg,
                consumed,
                fd_follows,
            } => {
                assert_eq!(msg, m);
                assert_eq!(consumed, bytes.len());
                assert!(!fd_follows);
            }
            other => panic!("expected message, got {other:?}"),
        }
        for cut in 0..bytes.len() {
            match ToServer::decode(&bytes[..cut]).unwrap() {
                Decoded::NeedMore(n) => {
                    assert!(n >= 1 && cut + n <= bytes.len(), "cut {cut} hint {n}")
                }
                other => panic!("prefix {cut} decoded to {other:?}"),
            }
        }
    }

    // Byte vectors below are written by hand from the spec tables.

    #[rustfmt::skip]
    const FOURINLINE_TRUNK: &[u8] = &[
        0, 0, 0, 0,
        0, 0, 0, 0x0b, b'f', b'o', b'u', b'r', b'i', b'n', b'l', b'i', b'n', b'e', 0,
        0, 0, 0, 1, 0,
        0, 0, 0, 2,
        0, 0, 0, 0,
        0, 0, 0, 1,
        0, 0, 0, 2,
        0, 0, 0, 1, 0,
    ];

    fn fourinline() -> ToGame {
        ToGame::Launch {
            game: "fourinline".into(),
            savegame: None,
            seats: vec![LaunchSeat::Open, LaunchSeat::Bot(String::new())],
            spectators: 0,
        }
    }

    #[test]
    fn launch_trunk_spec_example() {
        check_game(fourinline(), LaunchLayout::Trunk, FOURINLINE_TRUNK);
    }

    #[test]
    fn launch_legacy_two_seats_open_and_bot() {
        #[rustfmt::skip]
        let bytes = [
            0, 0, 0, 0,
            0, 0, 0, 0x0b, b'f', b'o', b'u', b'r', b'i', b'n', b'l', b'i', b'n', b'e', 0,
            0, 0, 0, 2,
            0, 0, 0, 0,
            0, 0, 0, 1,
            0, 0, 0, 2,
            0, 0, 0, 1, 0,
        ];
        check_game(fourinline(), LaunchLayout::Legacy, &bytes);
    }

    #[test]
    fn launch_trunk_with_savegame_and_reserved() {
        #[rustfmt::skip]
        let bytes = [
            0, 0, 0, 0,
            0, 0, 0, 4, b't', b't', b't', 0,
            0, 0, 0, 3, b's', b'1', 0,
            0, 0, 0, 3,
            0, 0, 0, 0,
            0, 0, 0, 4, 0, 0, 0, 4, b'b', b'o', b'b', 0,
            0, 0, 0, 2, 0, 0, 0, 4, b'H', b'A', b'L', 0,
            0, 0, 0, 1,
        ];
        check_game(
            ToGame::Launch {
                game: "ttt".into(),
                savegame: Some("s1".into()),
                seats: vec![
                    LaunchSeat::Reserved("bob".into()),
                    LaunchSeat::Bot("HAL".into()),
                    LaunchSeat::Open,
                ],
                spectators: 0,
            },
            LaunchLayout::Trunk,
            &bytes,
        );
    }

    #[test]
    fn launch_savegame_legacy_is_refused() {
        let m = ToGame::Launch {
            game: "x".into(),
            savegame: Some("save".into()),
            seats: vec![LaunchSeat::Open],
            spectators: 0,
        };
        let mut out = vec![9];
        assert_eq!(
            m.encode(LaunchLayout::Legacy, &mut out),
            Err(WireError::SavegameInLegacyLayout)
        );
        assert_eq!(out, [9], "failed encode leaves the buffer alone");
    }

    #[test]
    fn launch_savegame_empty_string_is_none() {
        let m = ToGame::Launch {
            game: "x".into(),
            savegame: Some(String::new()),
            seats: vec![LaunchSeat::Open],
            spectators: 0,
        };
        let (bytes, _) = enc_game(&m, LaunchLayout::Legacy);
        let (trunk, _) = enc_game(&m, LaunchLayout::Trunk);
        match ToGame::decode(&trunk, LaunchLayout::Trunk).unwrap() {
            Decoded::Message {
                msg: ToGame::Launch { savegame, .. },
                ..
            } => assert_eq!(savegame, None),
            other => panic!("{other:?}"),
        }
        assert_eq!(trunk.len(), bytes.len() + 5);
    }

    #[test]
    fn launch_rejects_bad_seat_kinds_and_counts() {
        // PLAYER (3) is not allowed in a launch.
        let bytes = [
            0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3,
        ];
        assert_eq!(
            ToGame::decode(&bytes, LaunchLayout::Legacy),
            Err(WireError::BadSeatKind(3))
        );
        // No seats, no spectators.
        let bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            ToGame::decode(&bytes, LaunchLayout::Legacy),
            Err(WireError::EmptyLaunch)
        );
        // Negative and huge seat counts fail before any seat is read.
        let bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            ToGame::decode(&bytes, LaunchLayout::Legacy),
            Err(WireError::BadCount { value: -1, .. })
        ));
        let bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1];
        assert!(matches!(
            ToGame::decode(&bytes, LaunchLayout::Legacy),
            Err(WireError::BadCount { value: 257, .. })
        ));
        let m = ToGame::Launch {
            game: "x".into(),
            savegame: None,
            seats: vec![LaunchSeat::Open; MAX_SEATS + 1],
            spectators: 0,
        };
        assert!(matches!(
            m.encode(LaunchLayout::Trunk, &mut Vec::new()),
            Err(WireError::BadCount { .. })
        ));
    }

    #[test]
    fn seat_player_spec_example() {
        #[rustfmt::skip]
        let bytes = [
            0, 0, 0, 1,
            0, 0, 0, 0,
            0, 0, 0, 3,
            0, 0, 0, 4, b'b', b'o', b'b', 0,
        ];
        check_game(
            ToGame::Seat {
                num: 0,
                kind: SeatKind::Player,
                name: "bob".into(),
            },
            LaunchLayout::Trunk,
            &bytes,
        );
    }

    #[test]
    fn seat_open_and_abandoned() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0];
        check_game(
            ToGame::Seat {
                num: 2,
                kind: SeatKind::Open,
                name: String::new(),
            },
            LaunchLayout::Legacy,
            &bytes,
        );
        let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 2, b'x', 0];
        check_game(
            ToGame::Seat {
                num: 1,
                kind: SeatKind::Abandoned,
                name: "x".into(),
            },
            LaunchLayout::Trunk,
            &bytes,
        );
        let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 1, 0];
        assert_eq!(
            ToGame::decode(&bytes, LaunchLayout::Trunk),
            Err(WireError::BadSeatKind(9))
        );
        let bytes = [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe];
        assert!(matches!(
            ToGame::decode(&bytes, LaunchLayout::Trunk),
            Err(WireError::BadCount { value: -2, .. })
        ));
    }

    #[test]
    fn spectator_seat_join_and_leave() {
        let bytes = [0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, b'e', b'v', b'e', 0];
        check_game(
            ToGame::SpectatorSeat {
                num: 3,
                name: "eve".into(),
            },
            LaunchLayout::Trunk,
            &bytes,
        );
        let bytes = [0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0];
        check_game(
            ToGame::SpectatorSeat {
                num: 3,
                name: String::new(),
            },
            LaunchLayout::Trunk,
            &bytes,
        );
    }

    #[test]
    fn reseat_and_ack() {
        #[rustfmt::skip]
        let bytes = [
            0, 0, 0, 3,
            0, 0, 0, 1,
            0, 0, 0, 1,
            0, 0, 0, 0,
            0, 0, 0, 0,
        ];
        check_game(
            ToGame::Reseat {
                old: 1,
                was_spectator: true,
                new: 0,
                is_spectator: false,
            },
            LaunchLayout::Trunk,
            &bytes,
        );
        check_game(ToGame::StateAck, LaunchLayout::Legacy, &[0, 0, 0, 4]);
    }

    #[test]
    fn to_game_unknown_opcodes() {
        for op in [5i32, -1, 0x7fff_ffff, 6] {
            assert_eq!(
                ToGame::decode(&op.to_be_bytes(), LaunchLayout::Trunk),
                Err(WireError::UnknownOpcode(op))
            );
        }
    }

    #[test]
    fn log_and_state_spec_examples() {
        check_server(
            ToServer::Log("hi".into()),
            &[0, 0, 0, 0, 0, 0, 0, 3, b'h', b'i', 0],
        );
        check_server(ToServer::Log(String::new()), &[0, 0, 0, 0, 0, 0, 0, 1, 0]);
        check_server(ToServer::State(GameState::Waiting), &[0, 0, 0, 1, 1]);
        check_server(ToServer::State(GameState::Playing), &[0, 0, 0, 1, 2]);
        check_server(ToServer::State(GameState::Done), &[0, 0, 0, 1, 3]);
        check_server(ToServer::State(GameState::Created), &[0, 0, 0, 1, 0]);
        check_server(ToServer::InvalidState(0xff), &[0, 0, 0, 1, 0xff]);
    }

    #[test]
    fn int_requests() {
        check_server(ToServer::NumSeats(5), &[0, 0, 0, 2, 0, 0, 0, 5]);
        check_server(
            ToServer::NumSeats(-1),
            &[0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff],
        );
        check_server(ToServer::Bot(1), &[0, 0, 0, 4, 0, 0, 0, 1]);
        check_server(ToServer::Open(258), &[0, 0, 0, 5, 0, 0, 1, 2]);
    }

    #[test]
    fn string_requests() {
        check_server(
            ToServer::Boot("bob".into()),
            &[0, 0, 0, 3, 0, 0, 0, 4, b'b', b'o', b'b', 0],
        );
        check_server(
            ToServer::SavegameReport("a/b".into()),
            &[0, 0, 0, 7, 0, 0, 0, 4, b'a', b'/', b'b', 0],
        );
    }

    #[test]
    fn report_spec_example() {
        #[rustfmt::skip]
        let bytes = [
            0, 0, 0, 6, 0, 0, 0, 2,
            0, 0, 0, 4, b'b', b'o', b'b', 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 3, b'A', b'I', 0,       0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
        ];
        check_server(
            ToServer::Report(vec![
                ReportRecord {
                    name: "bob".into(),
                    kind: SeatKind::Player,
                    team: 0,
                    result: GameResult::Win,
                    score: 0,
                },
                ReportRecord {
                    name: "AI".into(),
                    kind: SeatKind::Bot,
                    team: 1,
                    result: GameResult::Loss,
                    score: 0,
                },
            ]),
            &bytes,
        );
        check_server(ToServer::Report(vec![]), &[0, 0, 0, 6, 0, 0, 0, 0]);
    }

    #[test]
    fn report_with_bad_values_is_consumed_whole() {
        #[rustfmt::skip]
        let bytes = [
            0, 0, 0, 6, 0, 0, 0, 2,
            0, 0, 0, 2, b'a', 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0,
            0, 0, 0, 2, b'b', 0, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
            0, 0, 0, 4,
        ];
        match ToServer::decode(&bytes).unwrap() {
            Decoded::Message { msg, consumed, .. } => {
                assert_eq!(consumed, bytes.len() - 4);
                assert_eq!(
                    msg,
                    ToServer::InvalidReport {
                        record: 0,
                        field: "result",
                        value: 7
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        let too_many = [0, 0, 0, 6, 0, 0, 1, 1];
        assert!(matches!(
            ToServer::decode(&too_many),
            Err(WireError::BadCount { value: 257, .. })
        ));
    }

    #[test]
    fn malformed_strings() {
        // Length 0.
        assert_eq!(
            ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 0]),
            Err(WireError::BadStringLength(0))
        );
        // Negative length.
        assert_eq!(
            ToServer::decode(&[0, 0, 0, 3, 0x80, 0, 0, 0]),
            Err(WireError::BadStringLength(i32::MIN))
        );
        // 32769 is one past the limit; rejected before the bytes arrive.
        assert_eq!(
            ToServer::decode(&[0, 0, 0, 0, 0, 0, 0x80, 0x01]),
            Err(WireError::BadStringLength(32769))
        );
        // 32768 is allowed: we are just told to wait for it.
        assert_eq!(
            ToServer::decode(&[0, 0, 0, 0, 0, 0, 0x80, 0x00]).unwrap(),
            Decoded::NeedMore(32768)
        );
        // Missing NUL.
        assert_eq!(
            ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']),
            Err(WireError::MissingNul)
        );
        // NUL inside.
        assert_eq!(
            ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 3, b'a', 0, 0]),
            Err(WireError::InteriorNul)
        );
        // Invalid UTF-8 is replaced, not refused.
        match ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 3, b'a', 0xe9, 0]).unwrap() {
            Decoded::Message {
                msg: ToServer::Log(s),
                ..
            } => assert_eq!(s, "a\u{fffd}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unencodable_strings() {
        let long = "x".repeat(MAX_STRING_LEN);
        assert_eq!(
            ToServer::Log(long).encode(&mut Vec::new()),
            Err(WireError::StringTooLong(MAX_STRING_LEN))
        );
        let fits = "x".repeat(MAX_STRING_LEN - 1);
        let bytes = enc_server(&ToServer::Log(fits.clone()));
        assert_eq!(bytes.len(), 8 + MAX_STRING_LEN);
        assert!(matches!(
            ToServer::decode(&bytes).unwrap(),
            Decoded::Message { msg: ToServer::Log(s), .. } if s == fits
        ));
        assert_eq!(
            ToServer::Boot("a\0b".into()).encode(&mut Vec::new()),
            Err(WireError::InteriorNul)
        );
        let r = ToServer::InvalidReport {
            record: 0,
            field: "type",
            value: 9,
        };
        assert!(r.encode(&mut Vec::new()).is_err());
    }

    #[test]
    fn to_server_unknown_opcodes() {
        for op in [8i32, -1, 100, i32::MIN] {
            assert_eq!(
                ToServer::decode(&op.to_be_bytes()),
                Err(WireError::UnknownOpcode(op))
            );
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap deterministic generator: decode many pseudo-random buffers
        // and make sure nothing panics and hints are sane.
        let mut x: u32 = 0x1234_5678;
        for _ in 0..20_000 {
            let mut buf = Vec::new();
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let len = (x % 40) as usize;
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // Keep bytes small often, so opcodes and lengths are
                // plausible and deep paths get exercised.
                buf.push(if x.is_multiple_of(3) {
                    (x >> 8) as u8
                } else {
                    (x % 6) as u8
                });
            }
            for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
                if let Ok(Decoded::Message { consumed, .. }) = ToGame::decode(&buf, layout) {
                    assert!(consumed <= buf.len());
                }
            }
            if let Ok(Decoded::Message { consumed, .. }) = ToServer::decode(&buf) {
                assert!(consumed <= buf.len());
            }
        }
    }

    #[test]
    fn enum_tables() {
        for v in 0..6 {
            assert_eq!(SeatKind::from_wire(v).unwrap().to_wire(), v);
        }
        assert_eq!(SeatKind::from_wire(6), None);
        assert_eq!(SeatKind::from_wire(-1), None);
        for v in 0..4 {
            assert_eq!(GameState::from_wire(v).unwrap().to_wire(), v);
        }
        assert_eq!(GameState::from_wire(4), None);
        for v in 0..5 {
            assert_eq!(GameResult::from_wire(v).unwrap().to_wire(), v);
        }
        assert_eq!(GameResult::from_wire(5), None);
        assert_eq!(SeatKind::Abandoned.as_str(), "abandoned");
        assert_eq!("Legacy".parse(), Ok(LaunchLayout::Legacy));
        assert_eq!("0.99".parse(), Ok(LaunchLayout::Trunk));
        assert!("x".parse::<LaunchLayout>().is_err());
    }
}
