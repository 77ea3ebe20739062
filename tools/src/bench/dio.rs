//! The game side of the `tables` scenario: TicTacToe's DIO packets
//! (docs/tictactoe.md §1.3, §2.3), read only as far as the benchmark needs.
//!
//! A DIO packet is a big-endian `u16` length that counts itself, then the
//! payload, which starts with a big-endian `i32` opcode. The generator
//! looks at the opcode (and, for RSP_MOVE, the status byte after it) and
//! skips the rest.

/// Server opcodes the generator acts on (docs/tictactoe.md §2.3).
pub mod op {
    /// MSG_GAMEOVER: `i8 winner`.
    pub const MSG_GAMEOVER: i32 = 3;
    /// REQ_MOVE: the server asks the receiver for its move.
    pub const REQ_MOVE: i32 = 4;
    /// RSP_MOVE: `i8 status`, 0 when the move was accepted.
    pub const RSP_MOVE: i32 = 5;
}

/// Smallest packet with an opcode: the length field and an `i32`.
const MIN_PACKET: usize = 6;

/// What the front of a byte stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    /// Not a whole packet yet.
    Incomplete,
    /// A length field too small to hold an opcode: not TicTacToe.
    Malformed,
    /// A whole packet of `len` bytes (length field included).
    Complete {
        len: usize,
        opcode: i32,
        /// The first payload byte after the opcode, if any (RSP_MOVE's
        /// status, MSG_GAMEOVER's winner).
        first: Option<u8>,
    },
}

/// Reads the packet at the front of `input`.
pub fn next_packet(input: &[u8]) -> Packet {
    let Some(&[hi, lo]) = input.get(..2) else {
        return Packet::Incomplete;
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len < MIN_PACKET {
        return Packet::Malformed;
    }
    let Some(packet) = input.get(..len) else {
        return Packet::Incomplete;
    };
    let opcode = match packet.get(2..6) {
        Some(&[a, b, c, d]) => i32::from_be_bytes([a, b, c, d]),
        _ => return Packet::Malformed,
    };
    Packet::Complete {
        len,
        opcode,
        first: packet.get(6).copied(),
    }
}

/// SND_MOVE for `square` (client opcode 0, `i32 square`): 10 bytes.
pub fn send_move(square: i32) -> [u8; 10] {
    let [a, b, c, d] = square.to_be_bytes();
    [0, 10, 0, 0, 0, 0, a, b, c, d]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_packets_only() {
        // REQ_MOVE, then RSP_MOVE(0), then half of a MSG_GAMEOVER.
        let stream = [
            0, 6, 0, 0, 0, 4, //
            0, 7, 0, 0, 0, 5, 0, //
            0, 7, 0, 0,
        ];
        assert_eq!(
            next_packet(&stream),
            Packet::Complete {
                len: 6,
                opcode: op::REQ_MOVE,
                first: None
            }
        );
        assert_eq!(
            next_packet(&stream[6..]),
            Packet::Complete {
                len: 7,
                opcode: op::RSP_MOVE,
                first: Some(0)
            }
        );
        assert_eq!(next_packet(&stream[13..]), Packet::Incomplete);
        assert_eq!(next_packet(&stream[16..]), Packet::Incomplete);
        assert_eq!(next_packet(&[]), Packet::Incomplete);
    }

    #[test]
    fn negative_status_and_trailing_bytes() {
        // RSP_MOVE(-2) with two bytes of slack inside the packet.
        let packet = [0, 9, 0, 0, 0, 5, 0xfe, 1, 2, 0, 6];
        assert_eq!(
            next_packet(&packet),
            Packet::Complete {
                len: 9,
                opcode: op::RSP_MOVE,
                first: Some(0xfe)
            }
        );
    }

    #[test]
    fn refuses_lengths_without_an_opcode() {
        assert_eq!(next_packet(&[0, 2, 0, 0, 0, 0]), Packet::Malformed);
        assert_eq!(next_packet(&[0, 5, 0, 0, 0]), Packet::Malformed);
        assert_eq!(next_packet(&[0, 0]), Packet::Malformed);
    }

    #[test]
    fn move_packets() {
        assert_eq!(send_move(4), [0, 10, 0, 0, 0, 0, 0, 0, 0, 4]);
        assert_eq!(
            next_packet(&send_move(8)),
            Packet::Complete {
                len: 10,
                opcode: 0,
                first: Some(0)
            }
        );
    }
}
