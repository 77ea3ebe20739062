//! The TicTacToe message catalogue (docs/tictactoe.md §2.3, §2.4, §3).
//!
//! Server messages are encoded to complete DIO packets; client packets are
//! parsed strictly enough that garbage is recognised as garbage, while
//! trailing bytes inside a packet are ignored as every original reader
//! does.

use std::fmt;

use ggzdmod::SeatKind;

use crate::board::{Mark, Outcome, SQUARES};
use crate::dio::{PacketWriter, PayloadReader};

/// Longest packet a client may send. The largest client message is
/// SND_MOVE (10 bytes); the slack tolerates trailing bytes without letting
/// anyone make us buffer much.
pub const MAX_CLIENT_PACKET: usize = 64;

/// Longest name put on the wire: every C client reads names into a 17-byte
/// buffer (docs/tictactoe.md §1.2).
pub const MAX_NAME_LEN: usize = 16;

/// Which generation of the protocol the clients speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Variant {
    /// GGZ 0.0.14, protocol version `5` (the default).
    #[default]
    Classic,
    /// GGZ trunk (0.99.x), protocol version `dio/5+dev`: MSG_SEAT and
    /// MSG_PLAYERS are gone because clients learn the seats from the GGZ
    /// core client; everything else is unchanged.
    Dev,
}

impl Variant {
    /// The protocol version string clients must advertise.
    pub fn protocol_version(self) -> &'static str {
        match self {
            Variant::Classic => "5",
            Variant::Dev => "dio/5+dev",
        }
    }

    /// Whether MSG_SEAT and MSG_PLAYERS exist in this variant.
    pub fn announces_seats(self) -> bool {
        self == Variant::Classic
    }
}

/// Server-to-client opcodes.
pub mod op {
    /// MSG_SEAT.
    pub const MSG_SEAT: i32 = 0;
    /// MSG_PLAYERS.
    pub const MSG_PLAYERS: i32 = 1;
    /// MSG_MOVE.
    pub const MSG_MOVE: i32 = 2;
    /// MSG_GAMEOVER.
    pub const MSG_GAMEOVER: i32 = 3;
    /// REQ_MOVE.
    pub const REQ_MOVE: i32 = 4;
    /// RSP_MOVE.
    pub const RSP_MOVE: i32 = 5;
    /// SND_SYNC.
    pub const SND_SYNC: i32 = 6;
    /// Client SND_MOVE.
    pub const SND_MOVE: i32 = 0;
    /// Client REQ_SYNC.
    pub const REQ_SYNC: i32 = 1;
}

/// The answer to a SND_MOVE (RSP_MOVE status, docs/tictactoe.md §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoveStatus {
    /// Accepted (0).
    Ok,
    /// The table is not playing (-1).
    ErrState,
    /// Not the sender's turn (-2).
    ErrTurn,
    /// Square outside 0..8 (-3).
    ErrBound,
    /// Square already taken (-4).
    ErrFull,
}

impl MoveStatus {
    /// The wire value.
    pub fn to_wire(self) -> i8 {
        match self {
            MoveStatus::Ok => 0,
            MoveStatus::ErrState => -1,
            MoveStatus::ErrTurn => -2,
            MoveStatus::ErrBound => -3,
            MoveStatus::ErrFull => -4,
        }
    }

    /// Whether the server asks the sender to move again (bound and full
    /// errors only).
    pub fn asks_again(self) -> bool {
        matches!(self, MoveStatus::ErrBound | MoveStatus::ErrFull)
    }
}

/// One seat as listed in MSG_PLAYERS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerEntry {
    /// Seat type.
    pub kind: SeatKind,
    /// Name; sent for every type except OPEN.
    pub name: String,
}

/// Messages from the server to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMsg {
    /// MSG_SEAT: the receiving player's seat.
    Seat(Mark),
    /// MSG_PLAYERS: seat 0 then seat 1.
    Players([PlayerEntry; 2]),
    /// MSG_MOVE: `player` marked `square`.
    Move {
        /// The seat that moved.
        player: Mark,
        /// The square, 0..8.
        square: usize,
    },
    /// MSG_GAMEOVER.
    GameOver(Outcome),
    /// REQ_MOVE: your turn.
    ReqMove,
    /// RSP_MOVE: the answer to your SND_MOVE.
    RspMove(MoveStatus),
    /// SND_SYNC: whose turn (`None` before the first game started) and the
    /// cells.
    Sync {
        /// Seat on turn.
        turn: Option<Mark>,
        /// Cells as on the wire: -1 empty, 0/1 seat.
        cells: [i8; SQUARES],
    },
}

impl ServerMsg {
    /// The complete DIO packet.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ServerMsg::Seat(mark) => {
                let mut w = PacketWriter::with_opcode(op::MSG_SEAT);
                w.put_i32(i32::from(mark.to_wire()));
                w.finish()
            }
            ServerMsg::Players(entries) => {
                let mut w = PacketWriter::with_opcode(op::MSG_PLAYERS);
                for entry in entries {
                    w.put_i32(entry.kind.to_wire());
                    if entry.kind != SeatKind::Open {
                        w.put_str(&wire_name(&entry.name));
                    }
                }
                w.finish()
            }
            ServerMsg::Move { player, square } => {
                let mut w = PacketWriter::with_opcode(op::MSG_MOVE);
                w.put_i32(i32::from(player.to_wire()));
                w.put_i32(i32::try_from(*square).unwrap_or(-1));
                w.finish()
            }
            ServerMsg::GameOver(outcome) => {
                let mut w = PacketWriter::with_opcode(op::MSG_GAMEOVER);
                w.put_i8(match outcome {
                    Outcome::Win(mark) => mark.to_wire(),
                    Outcome::Draw => 2,
                });
                w.finish()
            }
            ServerMsg::ReqMove => PacketWriter::with_opcode(op::REQ_MOVE).finish(),
            ServerMsg::RspMove(status) => {
                let mut w = PacketWriter::with_opcode(op::RSP_MOVE);
                w.put_i8(status.to_wire());
                w.finish()
            }
            ServerMsg::Sync { turn, cells } => {
                let mut w = PacketWriter::with_opcode(op::SND_SYNC);
                w.put_i8(turn.map_or(-1, Mark::to_wire));
                for cell in cells {
                    w.put_i8(*cell);
                }
                w.finish()
            }
        }
    }
}

impl ServerMsg {
    /// Parses one packet payload as a client reads it (for the terminal
    /// client and tests). Unlike the C readers, which pad a short packet
    /// with zeroes, a truncated message or an out-of-range value is an
    /// error: a client acting on padding would show a board that is not
    /// the server's.
    pub fn parse(payload: &[u8]) -> Result<ServerMsg, ParseError> {
        let mut r = PayloadReader::new(payload);
        let opcode = r.i32().ok_or(ParseError::Truncated(-1))?;
        let bad = ParseError::Truncated(opcode);
        let mark = |v: i32| Mark::from_seat(usize::try_from(v).ok()?);
        let msg = match opcode {
            op::MSG_SEAT => ServerMsg::Seat(r.i32().and_then(mark).ok_or(bad)?),
            op::MSG_PLAYERS => {
                let mut entry = || -> Option<PlayerEntry> {
                    let kind = SeatKind::from_wire(r.i32()?)?;
                    let name = if kind == SeatKind::Open {
                        String::new()
                    } else {
                        String::from_utf8_lossy(r.bytes_str()?).into_owned()
                    };
                    Some(PlayerEntry { kind, name })
                };
                let first = entry().ok_or(bad)?;
                let second = entry().ok_or(bad)?;
                ServerMsg::Players([first, second])
            }
            op::MSG_MOVE => {
                let player = r.i32().and_then(mark).ok_or(bad)?;
                let square = r
                    .i32()
                    .and_then(|q| usize::try_from(q).ok())
                    .filter(|q| *q < SQUARES)
                    .ok_or(bad)?;
                ServerMsg::Move { player, square }
            }
            op::MSG_GAMEOVER => ServerMsg::GameOver(match r.i8().ok_or(bad)? {
                0 => Outcome::Win(Mark::Seat0),
                1 => Outcome::Win(Mark::Seat1),
                2 => Outcome::Draw,
                _ => return Err(bad),
            }),
            op::REQ_MOVE => ServerMsg::ReqMove,
            op::RSP_MOVE => ServerMsg::RspMove(match r.i8().ok_or(bad)? {
                0 => MoveStatus::Ok,
                -1 => MoveStatus::ErrState,
                -2 => MoveStatus::ErrTurn,
                -3 => MoveStatus::ErrBound,
                -4 => MoveStatus::ErrFull,
                _ => return Err(bad),
            }),
            op::SND_SYNC => {
                let turn = match r.i8().ok_or(bad)? {
                    -1 => None,
                    t => Some(mark(i32::from(t)).ok_or(bad)?),
                };
                let mut cells = [-1i8; SQUARES];
                for cell in &mut cells {
                    *cell = r.i8().filter(|c| (-1..=1).contains(c)).ok_or(bad)?;
                }
                ServerMsg::Sync { turn, cells }
            }
            other => return Err(ParseError::UnknownOpcode(other)),
        };
        Ok(msg)
    }
}

/// A name as it may go on the wire: at most [`MAX_NAME_LEN`] bytes, cut at
/// a character boundary so UTF-8 readers (the Java client) stay happy.
pub fn wire_name(name: &str) -> String {
    let mut end = name.len().min(MAX_NAME_LEN);
    while !name.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    name.get(..end).unwrap_or_default().to_owned()
}

/// Messages from a client to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientMsg {
    /// SND_MOVE with the square as sent (validated later, so that an
    /// out-of-range square gets its proper RSP_MOVE).
    Move(i32),
    /// REQ_SYNC.
    ReqSync,
}

/// A client packet that is not a TicTacToe message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// An opcode that does not exist in protocol version 5.
    UnknownOpcode(i32),
    /// The packet ends before the message's fields.
    Truncated(i32),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownOpcode(op) => write!(f, "unknown opcode {op}"),
            ParseError::Truncated(op) => write!(f, "message with opcode {op} is truncated"),
        }
    }
}

impl std::error::Error for ParseError {}

impl ClientMsg {
    /// Parses one packet payload (the packet decoder guarantees the opcode
    /// is there; a shorter payload is reported as truncated anyway).
    pub fn parse(payload: &[u8]) -> Result<ClientMsg, ParseError> {
        let mut r = PayloadReader::new(payload);
        let opcode = r.i32().ok_or(ParseError::Truncated(-1))?;
        match opcode {
            op::SND_MOVE => r
                .i32()
                .map(ClientMsg::Move)
                .ok_or(ParseError::Truncated(opcode)),
            op::REQ_SYNC => Ok(ClientMsg::ReqSync),
            other => Err(ParseError::UnknownOpcode(other)),
        }
    }

    /// The complete DIO packet, as a client sends it (for tests and tools).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ClientMsg::Move(square) => {
                let mut w = PacketWriter::with_opcode(op::SND_MOVE);
                w.put_i32(*square);
                w.finish()
            }
            ClientMsg::ReqSync => PacketWriter::with_opcode(op::REQ_SYNC).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Board;

    fn player(name: &str) -> PlayerEntry {
        PlayerEntry {
            kind: SeatKind::Player,
            name: name.into(),
        }
    }

    fn open() -> PlayerEntry {
        PlayerEntry {
            kind: SeatKind::Open,
            name: String::new(),
        }
    }

    /// Parses "00 18 | 00 00 00 01 ..." as written in docs/tictactoe.md §5.
    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .filter(|t| *t != "|")
            .map(|t| u8::from_str_radix(t, 16).unwrap())
            .collect()
    }

    #[test]
    fn server_messages_parse_back() {
        let messages = [
            ServerMsg::Seat(Mark::Seat1),
            ServerMsg::Players([player("alice"), open()]),
            ServerMsg::Players([
                PlayerEntry {
                    kind: SeatKind::Bot,
                    name: "Tarantula".into(),
                },
                PlayerEntry {
                    kind: SeatKind::Abandoned,
                    name: "bob".into(),
                },
            ]),
            ServerMsg::Move {
                player: Mark::Seat0,
                square: 8,
            },
            ServerMsg::GameOver(Outcome::Draw),
            ServerMsg::GameOver(Outcome::Win(Mark::Seat1)),
            ServerMsg::ReqMove,
            ServerMsg::RspMove(MoveStatus::ErrFull),
            ServerMsg::Sync {
                turn: None,
                cells: [-1; SQUARES],
            },
            ServerMsg::Sync {
                turn: Some(Mark::Seat1),
                cells: [0, 1, -1, -1, 0, -1, -1, -1, 1],
            },
        ];
        for msg in messages {
            let packet = msg.encode();
            assert_eq!(ServerMsg::parse(&packet[2..]), Ok(msg));
        }
    }

    #[test]
    fn server_garbage_is_refused() {
        // Unknown opcode, truncated fields, out-of-range values.
        assert_eq!(
            ServerMsg::parse(&hex("00 00 00 07")),
            Err(ParseError::UnknownOpcode(7))
        );
        assert_eq!(
            ServerMsg::parse(&hex("00 00")),
            Err(ParseError::Truncated(-1))
        );
        assert_eq!(
            ServerMsg::parse(&hex("00 00 00 02 00 00 00 00 00 00 00 09")),
            Err(ParseError::Truncated(2))
        );
        assert_eq!(
            ServerMsg::parse(&hex("00 00 00 00 00 00 00 02")),
            Err(ParseError::Truncated(0))
        );
        assert_eq!(
            ServerMsg::parse(&hex("00 00 00 03 05")),
            Err(ParseError::Truncated(3))
        );
        assert_eq!(
            ServerMsg::parse(&hex("00 00 00 01 00 00 00 03 00 00 00 09 61")),
            Err(ParseError::Truncated(1))
        );
        assert_eq!(
            ServerMsg::parse(&hex("00 00 00 06 00 00 00")),
            Err(ParseError::Truncated(6))
        );
    }

    #[test]
    fn players_and_seat_match_section_7() {
        let alice_alone = ServerMsg::Players([player("alice"), open()]).encode();
        assert_eq!(
            alice_alone,
            hex("00 18 | 00 00 00 01 | 00 00 00 03 | 00 00 00 06 61 6c 69 63 65 00 | 00 00 00 01")
        );
        assert_eq!(alice_alone.len(), 24);
        assert_eq!(
            ServerMsg::Seat(Mark::Seat0).encode(),
            hex("00 0a | 00 00 00 00 | 00 00 00 00")
        );
        let both = ServerMsg::Players([player("alice"), player("bob")]).encode();
        assert_eq!(
            both,
            hex(
                "00 20 | 00 00 00 01 | 00 00 00 03 | 00 00 00 06 61 6c 69 63 65 00
                       | 00 00 00 03 | 00 00 00 04 62 6f 62 00"
            )
        );
        assert_eq!(
            ServerMsg::Seat(Mark::Seat1).encode(),
            hex("00 0a | 00 00 00 00 | 00 00 00 01")
        );
    }

    #[test]
    fn moves_and_answers_match_section_7() {
        assert_eq!(ServerMsg::ReqMove.encode(), hex("00 06 | 00 00 00 04"));
        assert_eq!(
            ClientMsg::parse(&hex("00 00 00 00 | 00 00 00 04")),
            Ok(ClientMsg::Move(4))
        );
        assert_eq!(
            ClientMsg::Move(4).encode(),
            hex("00 0a | 00 00 00 00 | 00 00 00 04")
        );
        assert_eq!(
            ServerMsg::RspMove(MoveStatus::Ok).encode(),
            hex("00 07 | 00 00 00 05 | 00")
        );
        assert_eq!(
            ServerMsg::Move {
                player: Mark::Seat0,
                square: 4
            }
            .encode(),
            hex("00 0e | 00 00 00 02 | 00 00 00 00 | 00 00 00 04")
        );
        assert_eq!(
            ServerMsg::RspMove(MoveStatus::ErrFull).encode(),
            hex("00 07 | 00 00 00 05 | fc")
        );
        assert_eq!(
            ServerMsg::Move {
                player: Mark::Seat1,
                square: 0
            }
            .encode(),
            hex("00 0e 00 00 00 02 00 00 00 01 00 00 00 00")
        );
    }

    #[test]
    fn status_codes_follow_section_2_4() {
        let all = [
            (MoveStatus::Ok, 0, false),
            (MoveStatus::ErrState, -1, false),
            (MoveStatus::ErrTurn, -2, false),
            (MoveStatus::ErrBound, -3, true),
            (MoveStatus::ErrFull, -4, true),
        ];
        for (status, wire, again) in all {
            assert_eq!(status.to_wire(), wire);
            assert_eq!(status.asks_again(), again);
            assert_eq!(ServerMsg::RspMove(status).encode().len(), 7);
        }
    }

    #[test]
    fn sync_and_gameover_match_section_7() {
        let mut b = Board::new();
        b.place(4, Mark::Seat0).unwrap();
        b.place(0, Mark::Seat1).unwrap();
        let sync = ServerMsg::Sync {
            turn: Some(Mark::Seat0),
            cells: b.to_wire(),
        };
        assert_eq!(
            sync.encode(),
            hex("00 10 | 00 00 00 06 | 00 | 01 ff ff ff 00 ff ff ff ff")
        );
        assert_eq!(ClientMsg::ReqSync.encode(), hex("00 06 00 00 00 01"));
        assert_eq!(
            ClientMsg::parse(&hex("00 00 00 01")),
            Ok(ClientMsg::ReqSync)
        );
        let fresh = ServerMsg::Sync {
            turn: None,
            cells: Board::new().to_wire(),
        };
        assert_eq!(
            fresh.encode(),
            hex("00 10 00 00 00 06 ff ff ff ff ff ff ff ff ff ff")
        );
        let over = |o| ServerMsg::GameOver(o).encode();
        assert_eq!(
            over(Outcome::Win(Mark::Seat0)),
            hex("00 07 | 00 00 00 03 | 00")
        );
        assert_eq!(
            over(Outcome::Win(Mark::Seat1)),
            hex("00 07 | 00 00 00 03 | 01")
        );
        assert_eq!(over(Outcome::Draw), hex("00 07 | 00 00 00 03 | 02"));
    }

    #[test]
    fn players_carry_names_for_every_type_but_open() {
        let entries = [
            PlayerEntry {
                kind: SeatKind::Abandoned,
                name: "al".into(),
            },
            PlayerEntry {
                kind: SeatKind::Bot,
                name: "Tarantula".into(),
            },
        ];
        let bytes = ServerMsg::Players(entries).encode();
        let mut r = PayloadReader::new(bytes.get(2..).unwrap());
        assert_eq!(r.i32(), Some(op::MSG_PLAYERS));
        assert_eq!(r.i32(), Some(5));
        assert_eq!(r.bytes_str(), Some(&b"al"[..]));
        assert_eq!(r.i32(), Some(2));
        assert_eq!(r.bytes_str(), Some(&b"Tarantula"[..]));
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn names_are_cut_to_sixteen_bytes_on_char_boundaries() {
        assert_eq!(wire_name("abcdefghijklmnopqrst"), "abcdefghijklmnop");
        // 15 ASCII bytes then a two-byte character: cut before it.
        assert_eq!(wire_name("abcdefghijklmnoé"), "abcdefghijklmno");
        assert_eq!(wire_name("bob"), "bob");
    }

    #[test]
    fn client_garbage_is_recognised() {
        assert_eq!(
            ClientMsg::parse(&hex("00 00 00 07")),
            Err(ParseError::UnknownOpcode(7))
        );
        assert_eq!(
            ClientMsg::parse(&hex("00 00 00 00 00 00")),
            Err(ParseError::Truncated(op::SND_MOVE))
        );
        assert_eq!(ClientMsg::parse(&[0, 0]), Err(ParseError::Truncated(-1)));
        // Trailing bytes inside a packet are ignored, as the C reader does.
        assert_eq!(
            ClientMsg::parse(&hex("00 00 00 00 00 00 00 02 ff ff")),
            Ok(ClientMsg::Move(2))
        );
        assert_eq!(
            ClientMsg::parse(&hex("00 00 00 00 ff ff ff ff")),
            Ok(ClientMsg::Move(-1))
        );
    }
}
