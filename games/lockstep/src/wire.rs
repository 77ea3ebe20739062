//! The lockstep game channel: length-prefixed typed frames (docs/lockstep.md §2).
//!
//! One decoder and one writer per direction. Every frame is a big-endian
//! `u32` length (the bytes that follow it), a type byte and a body. The
//! length is checked against a limit before anything is buffered, so a
//! peer can never make us hold more than one frame.

use std::fmt;

/// Version byte sent in [`FromRelay::Welcome`]. Version 2 carries the
/// master packet's timing data in microseconds (docs/lockstep.md §6.1).
pub const PROTOCOL_VERSION: u8 = 2;

/// Seat byte meaning "no seat" (a spectator) in [`FromRelay::Welcome`].
pub const SPECTATOR_SEAT: u8 = 0xFF;

/// Bytes of the length prefix.
pub const LEN_BYTES: usize = 4;

/// Longest name carried in a SEATS frame (ggzd's names are shorter).
pub const MAX_NAME: usize = 64;

/// Longest ERROR text.
pub const MAX_ERROR_TEXT: usize = 200;

/// Why a frame could not be read. Any of these ends the connection that
/// sent it (docs/lockstep.md §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The length prefix is 0 or above the limit.
    BadLength(u32),
    /// A type byte nobody defined.
    UnknownType(u8),
    /// The body is shorter than its type needs, or has bytes left over.
    BadBody(u8),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BadLength(n) => write!(f, "frame length {n} out of range"),
            WireError::UnknownType(t) => write!(f, "unknown frame type 0x{t:02x}"),
            WireError::BadBody(t) => write!(f, "malformed body of frame type 0x{t:02x}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Frame types from a client to the relay.
pub mod client_type {
    /// Setup bytes, setup phase only.
    pub const SETUP: u8 = 0x01;
    /// Ready or not ready, setup phase only.
    pub const READY: u8 = 0x02;
    /// One turn's command packet.
    pub const COMMAND: u8 = 0x03;
    /// The state hash after a turn.
    pub const HASH: u8 = 0x04;
    /// The game's end as this client computed it.
    pub const OUTCOME: u8 = 0x05;
}

/// Frame types from the relay to a client.
pub mod relay_type {
    /// First frame on every connection.
    pub const WELCOME: u8 = 0x81;
    /// Who sits where.
    pub const SEATS: u8 = 0x82;
    /// The whole setup state.
    pub const SETUP_STATE: u8 = 0x83;
    /// The running phase begins.
    pub const START: u8 = 0x84;
    /// One closed turn.
    pub const MASTER: u8 = 0x85;
    /// End of a catch-up.
    pub const CAUGHT_UP: u8 = 0x86;
    /// The game waits for laggards.
    pub const PAUSED: u8 = 0x87;
    /// The game goes on.
    pub const RESUMED: u8 = 0x88;
    /// Hashes differed: the game is halted.
    pub const DESYNC: u8 = 0x89;
    /// Every player agreed on the outcome.
    pub const GAME_OVER: u8 = 0x8A;
    /// A refusal.
    pub const ERROR: u8 = 0x8F;
}

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToRelay {
    /// Opaque setup bytes.
    Setup(Vec<u8>),
    /// Commit (or withdraw) "ready".
    Ready(bool),
    /// The command packet for a turn (may be empty).
    Command {
        /// Turn the commands are for.
        turn: u32,
        /// Opaque command bytes.
        body: Vec<u8>,
    },
    /// State hash after applying turn `turn`.
    Hash {
        /// Turn the hash follows.
        turn: u32,
        /// Hash bytes.
        hash: Vec<u8>,
    },
    /// The game ended after turn `turn` with these per-seat results
    /// (ggzdmod's result codes: 0 win, 1 loss, 2 tie, 3 forfeit, 4 none).
    Outcome {
        /// Last turn of the game.
        turn: u32,
        /// One result per seat.
        results: Vec<u8>,
    },
}

/// Seat status in [`FromRelay::Seats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatStatus {
    /// Nobody.
    Empty = 0,
    /// Connected, not ready (setup) or playing (running).
    Present = 1,
    /// Connected and ready (setup phase).
    Ready = 2,
    /// The seat's player left mid-game; the seat waits for them.
    Absent = 3,
}

impl SeatStatus {
    fn from_byte(b: u8) -> Option<SeatStatus> {
        Some(match b {
            0 => SeatStatus::Empty,
            1 => SeatStatus::Present,
            2 => SeatStatus::Ready,
            3 => SeatStatus::Absent,
            _ => return None,
        })
    }
}

/// Game phase in [`FromRelay::Welcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Seats open, setup messages accepted.
    Setup = 0,
    /// Turns run.
    Running = 1,
    /// Halted by a desync, or over.
    Over = 2,
}

/// Refusal codes of [`FromRelay::Error`] (docs/lockstep.md §3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Undecodable frame; the connection is closed after this.
    BadFrame = 1,
    /// The frame does not belong to this phase.
    WrongPhase = 2,
    /// A command for a turn that is already closed.
    StaleTurn = 3,
    /// A command or hash for a turn too far ahead.
    FutureTurn = 4,
    /// A second command for the same turn.
    Duplicate = 5,
    /// A command or setup message over its byte limit.
    TooLarge = 6,
    /// A hash of the wrong length, or results of the wrong count.
    BadValue = 7,
    /// The command log overflowed: no catch-up is possible.
    LogOverflow = 8,
    /// The seat belongs to another player (or seats are locked).
    SeatLocked = 9,
    /// Spectators only watch.
    Spectator = 10,
    /// The setup state is full.
    SetupFull = 11,
    /// The player held the game up past the lag timeout and is removed.
    Dropped = 12,
}

impl ErrorCode {
    /// Parses a code byte.
    pub fn from_byte(b: u8) -> Option<ErrorCode> {
        use ErrorCode::*;
        Some(match b {
            1 => BadFrame,
            2 => WrongPhase,
            3 => StaleTurn,
            4 => FutureTurn,
            5 => Duplicate,
            6 => TooLarge,
            7 => BadValue,
            8 => LogOverflow,
            9 => SeatLocked,
            10 => Spectator,
            11 => SetupFull,
            12 => Dropped,
            _ => return None,
        })
    }
}

/// One seat's commands in a master packet; `None` when the seat was absent.
pub type SeatCommands = Option<Vec<u8>>;

/// What the relay sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromRelay {
    /// First frame on a connection.
    Welcome {
        /// [`PROTOCOL_VERSION`].
        version: u8,
        /// The receiver's seat, or [`SPECTATOR_SEAT`].
        seat: u8,
        /// Seats at the table.
        seats: u8,
        /// Fewest players to start.
        min_players: u8,
        /// Turn length.
        turn_ms: u32,
        /// Command bytes per turn per player.
        max_command: u32,
        /// Hash length in bytes.
        hash_len: u8,
        /// Turns a client may lag before the game pauses.
        max_lag: u16,
        /// Current phase.
        phase: Phase,
    },
    /// Every seat's status and name.
    Seats(Vec<(SeatStatus, String)>),
    /// All setup messages so far, in order, with the seat that sent each.
    SetupState(Vec<(u8, Vec<u8>)>),
    /// The running phase begins; turn 0 is the first.
    Start {
        /// Seats taking part (bit n = seat n).
        players: u32,
    },
    /// One closed turn.
    Master {
        /// Turn number.
        turn: u32,
        /// Microseconds from the start to the turn's close.
        elapsed_us: u64,
        /// Per seat, in seat order.
        commands: Vec<SeatCommands>,
    },
    /// The catch-up is complete; live turns follow, from `next_turn`.
    CaughtUp {
        /// The turn now open.
        next_turn: u32,
    },
    /// The game waits for these seats.
    Paused(Vec<u8>),
    /// The game goes on.
    Resumed,
    /// Hashes of `turn` differed; these seats diverged. The game is over.
    Desync {
        /// The turn whose hashes differed.
        turn: u32,
        /// Diverging seats.
        seats: Vec<u8>,
    },
    /// The agreed outcome.
    GameOver {
        /// Last turn.
        turn: u32,
        /// One result per seat.
        results: Vec<u8>,
    },
    /// A refusal.
    Error {
        /// What was refused.
        code: ErrorCode,
        /// The turn concerned (0 if none).
        turn: u32,
        /// Human-readable detail.
        text: String,
    },
}

/// Splits frames off a byte stream. Holds at most one incomplete frame.
#[derive(Debug)]
pub struct Splitter {
    buf: Vec<u8>,
    max_frame: u32,
    failed: bool,
}

impl Splitter {
    /// A splitter refusing frames longer than `max_frame` (type + body).
    pub fn new(max_frame: u32) -> Splitter {
        Splitter {
            buf: Vec::new(),
            max_frame,
            failed: false,
        }
    }

    /// How many bytes may be read without going past the current frame:
    /// a reader that asks this never buffers beyond one frame.
    pub fn wants(&self) -> usize {
        let Some(head) = self.buf.get(..LEN_BYTES) else {
            return LEN_BYTES - self.buf.len();
        };
        let len = be_u32(head);
        if len == 0 || len > self.max_frame {
            return 0;
        }
        (len as usize + LEN_BYTES).saturating_sub(self.buf.len())
    }

    /// Appends bytes read from the peer (at most [`Splitter::wants`]).
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame as (type, body), if one is complete.
    pub fn next_frame(&mut self) -> Result<Option<(u8, Vec<u8>)>, WireError> {
        if self.failed {
            return Ok(None);
        }
        let Some(head) = self.buf.get(..LEN_BYTES) else {
            return Ok(None);
        };
        let len = be_u32(head);
        if len == 0 || len > self.max_frame {
            self.failed = true;
            return Err(WireError::BadLength(len));
        }
        let end = LEN_BYTES + len as usize;
        if self.buf.len() < end {
            return Ok(None);
        }
        let frame: Vec<u8> = self.buf.drain(..end).skip(LEN_BYTES).collect();
        let Some((&kind, body)) = frame.split_first() else {
            return Err(WireError::BadLength(0));
        };
        Ok(Some((kind, body.to_vec())))
    }
}

/// A big-endian `u32` from the first four bytes (0 if fewer).
fn be_u32(bytes: &[u8]) -> u32 {
    bytes
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes)
}

/// A cursor over a frame body; every read is checked.
struct Body<'a> {
    bytes: &'a [u8],
    kind: u8,
}

impl<'a> Body<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.bytes.len() < n {
            return Err(WireError::BadBody(self.kind));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(<[u8; 2]>::try_from(b).map_or(0, u16::from_be_bytes))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(be_u32(self.take(4)?))
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        let b = self.take(8)?;
        Ok(<[u8; 8]>::try_from(b).map_or(0, u64::from_be_bytes))
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }

    fn end(&self) -> Result<(), WireError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError::BadBody(self.kind))
        }
    }
}

/// Decodes a client frame.
pub fn decode_to_relay(kind: u8, body: &[u8]) -> Result<ToRelay, WireError> {
    use client_type::*;
    let mut b = Body { bytes: body, kind };
    let msg = match kind {
        SETUP => ToRelay::Setup(b.rest().to_vec()),
        READY => {
            let r = b.u8()?;
            if r > 1 {
                return Err(WireError::BadBody(kind));
            }
            ToRelay::Ready(r == 1)
        }
        COMMAND => ToRelay::Command {
            turn: b.u32()?,
            body: b.rest().to_vec(),
        },
        HASH => ToRelay::Hash {
            turn: b.u32()?,
            hash: b.rest().to_vec(),
        },
        OUTCOME => ToRelay::Outcome {
            turn: b.u32()?,
            results: b.rest().to_vec(),
        },
        other => return Err(WireError::UnknownType(other)),
    };
    b.end()?;
    Ok(msg)
}

/// Decodes a relay frame (for clients).
pub fn decode_from_relay(kind: u8, body: &[u8]) -> Result<FromRelay, WireError> {
    use relay_type::*;
    let mut b = Body { bytes: body, kind };
    let bad = WireError::BadBody(kind);
    let msg = match kind {
        WELCOME => FromRelay::Welcome {
            version: b.u8()?,
            seat: b.u8()?,
            seats: b.u8()?,
            min_players: b.u8()?,
            turn_ms: b.u32()?,
            max_command: b.u32()?,
            hash_len: b.u8()?,
            max_lag: b.u16()?,
            phase: match b.u8()? {
                0 => Phase::Setup,
                1 => Phase::Running,
                2 => Phase::Over,
                _ => return Err(bad),
            },
        },
        SEATS => {
            let n = b.u8()?;
            let mut seats = Vec::with_capacity(usize::from(n));
            for _ in 0..n {
                let status = SeatStatus::from_byte(b.u8()?).ok_or(bad.clone())?;
                let len = b.u8()?;
                let name = String::from_utf8_lossy(b.take(usize::from(len))?).into_owned();
                seats.push((status, name));
            }
            FromRelay::Seats(seats)
        }
        SETUP_STATE => {
            let n = b.u16()?;
            let mut entries = Vec::new();
            for _ in 0..n {
                let seat = b.u8()?;
                let len = b.u16()?;
                entries.push((seat, b.take(usize::from(len))?.to_vec()));
            }
            FromRelay::SetupState(entries)
        }
        START => FromRelay::Start { players: b.u32()? },
        MASTER => {
            let turn = b.u32()?;
            let elapsed_us = b.u64()?;
            let n = b.u8()?;
            let mut commands = Vec::with_capacity(usize::from(n));
            for _ in 0..n {
                let present = b.u8()?;
                let len = b.u16()?;
                let bytes = b.take(usize::from(len))?;
                commands.push(match present {
                    0 if len == 0 => None,
                    1 => Some(bytes.to_vec()),
                    _ => return Err(bad),
                });
            }
            FromRelay::Master {
                turn,
                elapsed_us,
                commands,
            }
        }
        CAUGHT_UP => FromRelay::CaughtUp {
            next_turn: b.u32()?,
        },
        PAUSED => FromRelay::Paused(b.rest().to_vec()),
        RESUMED => FromRelay::Resumed,
        DESYNC => FromRelay::Desync {
            turn: b.u32()?,
            seats: b.rest().to_vec(),
        },
        GAME_OVER => FromRelay::GameOver {
            turn: b.u32()?,
            results: b.rest().to_vec(),
        },
        ERROR => FromRelay::Error {
            code: ErrorCode::from_byte(b.u8()?).ok_or(bad)?,
            turn: b.u32()?,
            text: String::from_utf8_lossy(b.rest()).into_owned(),
        },
        other => return Err(WireError::UnknownType(other)),
    };
    b.end()?;
    Ok(msg)
}

/// Builds one frame: reserves the length, lets `fill` write type and body,
/// then patches the length in.
fn frame(kind: u8, fill: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    append_frame(&mut out, kind, fill);
    out
}

/// Appends one frame to `out`: its length, filled in once the body is.
fn append_frame(out: &mut Vec<u8>, kind: u8, fill: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0, 0, 0, 0, kind]);
    fill(out);
    let len = u32::try_from(out.len() - at - LEN_BYTES).unwrap_or(u32::MAX);
    if let Some(field) = out.get_mut(at..at + LEN_BYTES) {
        field.copy_from_slice(&len.to_be_bytes());
    }
}

/// Encodes a client frame. Callers keep bodies within the relay's limits.
pub fn encode_to_relay(msg: &ToRelay) -> Vec<u8> {
    let mut out = Vec::new();
    append_to_relay(msg, &mut out);
    out
}

/// Encodes a client frame at the end of `out`, so that several frames go
/// out in one write from one buffer.
pub fn append_to_relay(msg: &ToRelay, out: &mut Vec<u8>) {
    use client_type::*;
    match msg {
        ToRelay::Setup(bytes) => append_frame(out, SETUP, |o| o.extend_from_slice(bytes)),
        ToRelay::Ready(r) => append_frame(out, READY, |o| o.push(u8::from(*r))),
        ToRelay::Command { turn, body } => append_frame(out, COMMAND, |o| {
            o.extend_from_slice(&turn.to_be_bytes());
            o.extend_from_slice(body);
        }),
        ToRelay::Hash { turn, hash } => append_frame(out, HASH, |o| {
            o.extend_from_slice(&turn.to_be_bytes());
            o.extend_from_slice(hash);
        }),
        ToRelay::Outcome { turn, results } => append_frame(out, OUTCOME, |o| {
            o.extend_from_slice(&turn.to_be_bytes());
            o.extend_from_slice(results);
        }),
    }
}

fn clip(bytes: &[u8], max: usize) -> &[u8] {
    bytes.get(..max).unwrap_or(bytes)
}

/// Encodes a relay frame. Counts beyond a field's width are cut, which the
/// relay never produces (its limits are below them).
pub fn encode_from_relay(msg: &FromRelay) -> Vec<u8> {
    use relay_type::*;
    match msg {
        FromRelay::Welcome {
            version,
            seat,
            seats,
            min_players,
            turn_ms,
            max_command,
            hash_len,
            max_lag,
            phase,
        } => frame(WELCOME, |o| {
            o.extend_from_slice(&[*version, *seat, *seats, *min_players]);
            o.extend_from_slice(&turn_ms.to_be_bytes());
            o.extend_from_slice(&max_command.to_be_bytes());
            o.push(*hash_len);
            o.extend_from_slice(&max_lag.to_be_bytes());
            o.push(*phase as u8);
        }),
        FromRelay::Seats(seats) => frame(SEATS, |o| {
            let seats = seats.get(..255).unwrap_or(seats);
            o.push(seats.len() as u8);
            for (status, name) in seats {
                let name = clip(name.as_bytes(), MAX_NAME);
                o.push(*status as u8);
                o.push(name.len() as u8);
                o.extend_from_slice(name);
            }
        }),
        FromRelay::SetupState(entries) => frame(SETUP_STATE, |o| {
            let entries = entries.get(..usize::from(u16::MAX)).unwrap_or(entries);
            o.extend_from_slice(&(entries.len() as u16).to_be_bytes());
            for (seat, bytes) in entries {
                let bytes = clip(bytes, usize::from(u16::MAX));
                o.push(*seat);
                o.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
                o.extend_from_slice(bytes);
            }
        }),
        FromRelay::Start { players } => {
            frame(START, |o| o.extend_from_slice(&players.to_be_bytes()))
        }
        FromRelay::Master {
            turn,
            elapsed_us,
            commands,
        } => frame(MASTER, |o| {
            o.extend_from_slice(&turn.to_be_bytes());
            o.extend_from_slice(&elapsed_us.to_be_bytes());
            let commands = commands.get(..255).unwrap_or(commands);
            o.push(commands.len() as u8);
            for c in commands {
                match c {
                    None => o.extend_from_slice(&[0, 0, 0]),
                    Some(bytes) => {
                        let bytes = clip(bytes, usize::from(u16::MAX));
                        o.push(1);
                        o.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
                        o.extend_from_slice(bytes);
                    }
                }
            }
        }),
        FromRelay::CaughtUp { next_turn } => {
            frame(CAUGHT_UP, |o| o.extend_from_slice(&next_turn.to_be_bytes()))
        }
        FromRelay::Paused(seats) => frame(PAUSED, |o| o.extend_from_slice(seats)),
        FromRelay::Resumed => frame(RESUMED, |_| {}),
        FromRelay::Desync { turn, seats } => frame(DESYNC, |o| {
            o.extend_from_slice(&turn.to_be_bytes());
            o.extend_from_slice(seats);
        }),
        FromRelay::GameOver { turn, results } => frame(GAME_OVER, |o| {
            o.extend_from_slice(&turn.to_be_bytes());
            o.extend_from_slice(results);
        }),
        FromRelay::Error { code, turn, text } => frame(ERROR, |o| {
            o.push(*code as u8);
            o.extend_from_slice(&turn.to_be_bytes());
            let mut end = text.len().min(MAX_ERROR_TEXT);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            o.extend_from_slice(text.get(..end).unwrap_or_default().as_bytes());
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip_relay(msg: FromRelay) {
        let bytes = encode_from_relay(&msg);
        let mut s = Splitter::new(1 << 20);
        // Byte by byte: the splitter never needs more than it asks for.
        for b in &bytes {
            assert!(s.wants() >= 1);
            s.push(std::slice::from_ref(b));
        }
        let (kind, body) = s.next_frame().unwrap().unwrap();
        assert_eq!(decode_from_relay(kind, &body).unwrap(), msg);
        assert_eq!(s.next_frame().unwrap(), None);
    }

    #[test]
    fn relay_frames_round_trip() {
        round_trip_relay(FromRelay::Welcome {
            version: PROTOCOL_VERSION,
            seat: SPECTATOR_SEAT,
            seats: 2,
            min_players: 2,
            turn_ms: 50,
            max_command: 256,
            hash_len: 8,
            max_lag: 10,
            phase: Phase::Running,
        });
        round_trip_relay(FromRelay::Seats(vec![
            (SeatStatus::Present, "ann".into()),
            (SeatStatus::Empty, String::new()),
        ]));
        round_trip_relay(FromRelay::SetupState(vec![
            (0, b"seed=1".to_vec()),
            (1, vec![]),
        ]));
        round_trip_relay(FromRelay::Start { players: 3 });
        round_trip_relay(FromRelay::Master {
            turn: 7,
            elapsed_us: 350_123,
            commands: vec![Some(vec![1, 2]), None, Some(vec![])],
        });
        round_trip_relay(FromRelay::CaughtUp { next_turn: 9 });
        round_trip_relay(FromRelay::Paused(vec![1]));
        round_trip_relay(FromRelay::Resumed);
        round_trip_relay(FromRelay::Desync {
            turn: 3,
            seats: vec![0, 1],
        });
        round_trip_relay(FromRelay::GameOver {
            turn: 40,
            results: vec![0, 1],
        });
        round_trip_relay(FromRelay::Error {
            code: ErrorCode::StaleTurn,
            turn: 4,
            text: "turn 4 is closed".into(),
        });
    }

    #[test]
    fn client_frames_round_trip() {
        for msg in [
            ToRelay::Setup(b"x".to_vec()),
            ToRelay::Ready(true),
            ToRelay::Command {
                turn: 1,
                body: vec![9; 10],
            },
            ToRelay::Hash {
                turn: 2,
                hash: vec![1; 8],
            },
            ToRelay::Outcome {
                turn: 3,
                results: vec![0, 1],
            },
        ] {
            let bytes = encode_to_relay(&msg);
            let mut s = Splitter::new(64);
            s.push(&bytes);
            let (kind, body) = s.next_frame().unwrap().unwrap();
            assert_eq!(decode_to_relay(kind, &body).unwrap(), msg);
        }
    }

    #[test]
    fn frames_appended_to_one_buffer_split_back_in_order() {
        let hash = ToRelay::Hash {
            turn: 4,
            hash: vec![7; 8],
        };
        let command = ToRelay::Command {
            turn: 6,
            body: vec![1],
        };
        let mut out = b"left".to_vec();
        append_to_relay(&hash, &mut out);
        append_to_relay(&command, &mut out);
        let framed = out.split_off(4);
        assert_eq!(out, b"left");
        assert_eq!(
            framed,
            [encode_to_relay(&hash), encode_to_relay(&command)].concat()
        );
        let mut s = Splitter::new(64);
        s.push(&framed);
        for msg in [hash, command] {
            let (kind, body) = s.next_frame().unwrap().unwrap();
            assert_eq!(decode_to_relay(kind, &body).unwrap(), msg);
        }
        assert_eq!(s.next_frame().unwrap(), None);
    }

    #[test]
    fn garbage_is_refused_early() {
        let mut s = Splitter::new(64);
        s.push(&[0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(s.wants(), 0, "no more reading once the length is bad");
        assert_eq!(s.next_frame(), Err(WireError::BadLength(u32::MAX)));
        assert_eq!(s.next_frame(), Ok(None));
        assert_eq!(
            decode_to_relay(0x77, &[]),
            Err(WireError::UnknownType(0x77))
        );
        assert_eq!(
            decode_to_relay(client_type::READY, &[2]),
            Err(WireError::BadBody(client_type::READY))
        );
        assert_eq!(
            decode_to_relay(client_type::COMMAND, &[0, 0]),
            Err(WireError::BadBody(client_type::COMMAND))
        );
        // An absent seat (present 0) that claims command bytes.
        let absent_with_bytes = [[0, 0, 0, 1].as_slice(), &[0; 8], &[1, 0, 0, 5]].concat();
        assert!(decode_from_relay(relay_type::MASTER, &absent_with_bytes).is_err());
    }

    #[test]
    fn master_timing_is_a_u64_of_microseconds_after_the_turn() {
        // Past u32::MAX µs (71 minutes): the field is 8 bytes wide.
        let msg = FromRelay::Master {
            turn: 0x0102_0304,
            elapsed_us: 0x0000_0001_0000_0002,
            commands: vec![Some(vec![7]), None],
        };
        let bytes = encode_from_relay(&msg);
        let expected: [&[u8]; 6] = [
            &[0, 0, 0, 21, relay_type::MASTER],
            &[1, 2, 3, 4],
            &[0, 0, 0, 1, 0, 0, 0, 2],
            &[2],
            &[1, 0, 1, 7],
            &[0, 0, 0],
        ];
        assert_eq!(bytes, expected.concat());
        round_trip_relay(msg);
        round_trip_relay(FromRelay::Master {
            turn: u32::MAX,
            elapsed_us: u64::MAX,
            commands: vec![],
        });
    }

    #[test]
    fn a_master_body_of_the_wrong_size_is_refused() {
        let body = &encode_from_relay(&FromRelay::Master {
            turn: 3,
            elapsed_us: 200_000,
            commands: vec![Some(vec![1, 2]), None],
        })[LEN_BYTES + 1..];
        assert!(decode_from_relay(relay_type::MASTER, body).is_ok());
        for cut in 0..body.len() {
            assert_eq!(
                decode_from_relay(relay_type::MASTER, &body[..cut]),
                Err(WireError::BadBody(relay_type::MASTER)),
                "cut at {cut}"
            );
        }
        let longer = [body, &[0]].concat();
        assert_eq!(
            decode_from_relay(relay_type::MASTER, &longer),
            Err(WireError::BadBody(relay_type::MASTER))
        );
    }
}
