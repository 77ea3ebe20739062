//! DIO packet framing (docs/tictactoe.md §1.2, §1.3).
//!
//! Every TicTacToe message travels in one packet: a big-endian `u16`
//! length that counts the whole packet including those two bytes, then the
//! payload built from easysock primitives (`i32` big-endian, `i8` as one
//! byte, strings as `i32` length including a NUL, the bytes and the NUL).
//!
//! [`PacketWriter`] builds one packet, [`PacketDecoder`] splits a byte
//! stream from a client into packets with a hard size limit, and
//! [`PayloadReader`] reads the primitives back out of one packet.

use std::fmt;

/// Size of the length field that starts every packet.
pub const HEADER_LEN: usize = 2;

/// Size of the opcode every TicTacToe payload starts with.
pub const OPCODE_LEN: usize = 4;

/// The largest packet the framing can express.
pub const MAX_PACKET_LEN: usize = u16::MAX as usize;

/// Why a client's byte stream was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DioError {
    /// The length field announces a packet too short to hold an opcode.
    TooShort(usize),
    /// The length field announces more than the receiver accepts.
    TooLong {
        /// Announced packet length.
        announced: usize,
        /// The receiver's limit.
        limit: usize,
    },
}

impl fmt::Display for DioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DioError::TooShort(len) => write!(f, "DIO packet of {len} bytes has no opcode"),
            DioError::TooLong { announced, limit } => {
                write!(
                    f,
                    "DIO packet of {announced} bytes exceeds the limit of {limit}"
                )
            }
        }
    }
}

impl std::error::Error for DioError {}

/// Builds the payload of one packet and frames it.
#[derive(Debug, Default, Clone)]
pub struct PacketWriter {
    payload: Vec<u8>,
}

impl PacketWriter {
    /// A packet whose payload starts with `opcode`, as every TicTacToe
    /// message does.
    pub fn with_opcode(opcode: i32) -> PacketWriter {
        let mut w = PacketWriter::default();
        w.put_i32(opcode);
        w
    }

    /// Appends an easysock int.
    pub fn put_i32(&mut self, v: i32) -> &mut Self {
        self.payload.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends an easysock char (one byte, signed on the client side).
    pub fn put_i8(&mut self, v: i8) -> &mut Self {
        self.payload.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends an easysock string. The text is cut at an interior NUL,
    /// because C readers would stop there anyway and the rest of the packet
    /// would then be misread.
    pub fn put_str(&mut self, s: &str) -> &mut Self {
        let bytes = s.as_bytes();
        let text = bytes.split(|b| *b == 0).next().unwrap_or_default();
        // Our strings are player names of at most 16 bytes, so the length
        // always fits; saturate rather than wrap if a caller misbehaves.
        let len = i32::try_from(text.len().saturating_add(1)).unwrap_or(i32::MAX);
        self.put_i32(len);
        self.payload.extend_from_slice(text);
        self.payload.push(0);
        self
    }

    /// The framed packet: length (including itself) and payload. Payloads
    /// that would not fit the 16-bit length are cut to fit; TicTacToe
    /// packets are all below 60 bytes, so this never happens in practice.
    pub fn finish(&self) -> Vec<u8> {
        let max_payload = MAX_PACKET_LEN - HEADER_LEN;
        let payload = self.payload.get(..max_payload).unwrap_or(&self.payload);
        let total = u16::try_from(payload.len() + HEADER_LEN).unwrap_or(u16::MAX);
        let mut out = Vec::with_capacity(usize::from(total));
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }
}

/// Splits a client's byte stream into packets.
///
/// The buffer never holds more than one incomplete packet of at most
/// `limit` bytes plus the bytes of one read, because an over-long length
/// field is rejected as soon as its two bytes are in.
#[derive(Debug, Clone)]
pub struct PacketDecoder {
    buf: Vec<u8>,
    limit: usize,
}

impl PacketDecoder {
    /// A decoder accepting packets of up to `limit` bytes (length field
    /// included). Limits above [`MAX_PACKET_LEN`] make no difference.
    pub fn new(limit: usize) -> PacketDecoder {
        PacketDecoder {
            buf: Vec::new(),
            limit,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a packet.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next complete packet's payload (without the length field),
    /// `Ok(None)` if more bytes are needed.
    ///
    /// Packets too short to hold an opcode are errors even though the C
    /// reader would pad them with zeroes: no client sends them, and
    /// guessing an opcode from padding would act on garbage.
    pub fn next_packet(&mut self) -> Result<Option<Vec<u8>>, DioError> {
        let (Some(&hi), Some(&lo)) = (self.buf.first(), self.buf.get(1)) else {
            return Ok(None);
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < HEADER_LEN + OPCODE_LEN {
            return Err(DioError::TooShort(len));
        }
        if len > self.limit {
            return Err(DioError::TooLong {
                announced: len,
                limit: self.limit,
            });
        }
        let Some(payload) = self.buf.get(HEADER_LEN..len) else {
            return Ok(None);
        };
        let payload = payload.to_vec();
        self.buf.drain(..len);
        Ok(Some(payload))
    }
}

/// Reads easysock primitives from one packet's payload. Every read checks
/// the remaining length; nothing is ever read past the end.
#[derive(Debug, Clone)]
pub struct PayloadReader<'a> {
    rest: &'a [u8],
}

impl<'a> PayloadReader<'a> {
    /// A reader over one payload.
    pub fn new(payload: &'a [u8]) -> PayloadReader<'a> {
        PayloadReader { rest: payload }
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.rest.split_first_chunk::<N>()?;
        self.rest = tail;
        Some(*head)
    }

    /// Reads an easysock int.
    pub fn i32(&mut self) -> Option<i32> {
        self.take::<4>().map(i32::from_be_bytes)
    }

    /// Reads an easysock char.
    pub fn i8(&mut self) -> Option<i8> {
        self.take::<1>().map(i8::from_be_bytes)
    }

    /// Reads an easysock string: the length must count a final NUL that is
    /// really there. Bytes are returned without the NUL.
    pub fn bytes_str(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.i32()?).ok()?;
        if len == 0 || len > self.rest.len() {
            return None;
        }
        let (text, tail) = self.rest.split_at(len);
        let (nul, text) = text.split_last()?;
        if *nul != 0 {
            return None;
        }
        self.rest = tail;
        Some(text)
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_follow_easysock() {
        let mut w = PacketWriter::default();
        w.put_str("bob");
        assert_eq!(w.finish(), [0, 10, 0, 0, 0, 4, b'b', b'o', b'b', 0]);
        let mut w = PacketWriter::default();
        w.put_str("");
        assert_eq!(w.finish(), [0, 7, 0, 0, 0, 1, 0]);
        let mut w = PacketWriter::default();
        w.put_str("a\0b");
        assert_eq!(w.finish(), [0, 8, 0, 0, 0, 2, b'a', 0]);
    }

    #[test]
    fn negative_char_is_one_signed_byte() {
        let mut w = PacketWriter::with_opcode(5);
        w.put_i8(-4);
        assert_eq!(w.finish(), [0x00, 0x07, 0, 0, 0, 5, 0xfc]);
    }

    #[test]
    fn decoder_handles_split_and_joined_packets() {
        let mut d = PacketDecoder::new(64);
        let two = [0, 6, 0, 0, 0, 1, 0, 10, 0, 0, 0, 0, 0, 0, 0, 4];
        // Byte by byte: nothing until a packet is complete.
        for (i, b) in two.iter().enumerate() {
            d.push(&[*b]);
            let got = d.next_packet().unwrap();
            match i {
                5 => assert_eq!(got.unwrap(), [0, 0, 0, 1]),
                15 => assert_eq!(got.unwrap(), [0, 0, 0, 0, 0, 0, 0, 4]),
                _ => assert!(got.is_none(), "byte {i}"),
            }
        }
        assert_eq!(d.buffered(), 0);
        // All at once.
        d.push(&two);
        assert_eq!(d.next_packet().unwrap().unwrap(), [0, 0, 0, 1]);
        assert_eq!(d.next_packet().unwrap().unwrap(), [0, 0, 0, 0, 0, 0, 0, 4]);
        assert_eq!(d.next_packet().unwrap(), None);
    }

    #[test]
    fn decoder_rejects_bad_lengths_before_buffering() {
        let mut d = PacketDecoder::new(64);
        d.push(&[0xff, 0xff]);
        assert_eq!(
            d.next_packet(),
            Err(DioError::TooLong {
                announced: 65535,
                limit: 64
            })
        );
        for len in 0..6u8 {
            let mut d = PacketDecoder::new(64);
            d.push(&[0, len, 0, 0, 0, 0]);
            assert_eq!(d.next_packet(), Err(DioError::TooShort(len.into())));
        }
    }

    #[test]
    fn reader_never_reads_past_the_end() {
        let mut r = PayloadReader::new(&[0, 0, 0, 7, 0xff]);
        assert_eq!(r.i32(), Some(7));
        assert_eq!(r.i8(), Some(-1));
        assert_eq!(r.i8(), None);
        assert_eq!(r.i32(), None);
        let mut r = PayloadReader::new(&[0, 0, 0, 3, b'a', b'b', 0, 9]);
        assert_eq!(r.bytes_str(), Some(&b"ab"[..]));
        assert_eq!(r.remaining(), 1);
        // Length beyond the packet, zero length, missing NUL.
        assert_eq!(PayloadReader::new(&[0, 0, 0, 9, b'a', 0]).bytes_str(), None);
        assert_eq!(PayloadReader::new(&[0, 0, 0, 0]).bytes_str(), None);
        assert_eq!(PayloadReader::new(&[0, 0, 0, 1, b'a']).bytes_str(), None);
        assert_eq!(
            PayloadReader::new(&[0xff, 0xff, 0xff, 0xff]).bytes_str(),
            None
        );
    }
}
