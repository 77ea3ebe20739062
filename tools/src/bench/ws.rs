//! The generator's WebSocket client framing (`--web`): the upgrade
//! request, masked data frames out, and the server's frames unwrapped into
//! the byte stream the rest of the engine reads as if it came over TCP.
//!
//! Written out rather than taken from tungstenite, since the hot path
//! (chat fan-out to thousands of clients) must stay a few comparisons per
//! frame with no allocation: the generator must not become what is
//! measured. Frames go out with the all-zero masking key, which RFC 6455
//! allows a client to pick; the server unmasks them all the same.

use std::net::SocketAddr;

/// Most bytes kept of an incomplete answer head or frame. ggzd frames at
/// most about 16 KiB of lobby output, more only for one large message.
const MAX_CARRY: usize = 1024 * 1024;

/// A data message sent by a client: masked, with the zero key.
pub fn frame(out: &mut Vec<u8>, binary: bool, payload: &[u8]) {
    out.push(0x80 | if binary { 0x2 } else { 0x1 });
    push_len(out, payload.len(), 0x80);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
}

fn push_len(out: &mut Vec<u8>, len: usize, mask_bit: u8) {
    match len {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
}

/// One client's WebSocket state.
#[derive(Debug)]
pub struct WsLink {
    /// The 101 answer has not come yet.
    handshaking: bool,
    /// An incomplete answer head or frame.
    carry: Vec<u8>,
    /// Framed output (and the upgrade request) the socket has not taken.
    pub wire: Vec<u8>,
}

/// What one batch of received bytes held, besides payload.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unwrapped {
    /// The 101 answer completed in this batch: queued output may go.
    pub opened: bool,
    /// The server sent a close frame.
    pub closed: bool,
}

impl WsLink {
    /// Queues the upgrade request for the server at `host`.
    pub fn new(host: SocketAddr) -> WsLink {
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: Z2d6ZC1iZW5jaC1rZXkhIQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        WsLink {
            handshaking: true,
            carry: Vec::new(),
            wire: request.into_bytes(),
        }
    }

    pub fn open(&self) -> bool {
        !self.handshaking
    }

    /// Appends the payloads of the data frames in `raw` to `out`; a ping is
    /// answered in `wire`. An error says why the connection is unusable.
    pub fn unwrap(&mut self, raw: &[u8], out: &mut Vec<u8>) -> Result<Unwrapped, String> {
        let mut seen = Unwrapped::default();
        let held = std::mem::take(&mut self.carry);
        let joined;
        let mut input: &[u8] = if held.is_empty() {
            raw
        } else {
            joined = [held.as_slice(), raw].concat();
            &joined
        };
        if self.handshaking {
            let Some(end) = input.windows(4).position(|w| w == b"\r\n\r\n") else {
                return self.keep(input, seen);
            };
            if !input.starts_with(b"HTTP/1.1 101 ") {
                let line = input.split(|b| *b == b'\r').next().unwrap_or_default();
                return Err(format!(
                    "upgrade refused: {}",
                    String::from_utf8_lossy(line)
                ));
            }
            self.handshaking = false;
            seen.opened = true;
            input = input.get(end + 4..).unwrap_or_default();
        }
        loop {
            match parse(input) {
                Frame::Incomplete => return self.keep(input, seen),
                Frame::Complete {
                    opcode,
                    payload,
                    len,
                } => {
                    match opcode {
                        0x0..=0x2 => out.extend_from_slice(payload),
                        0x8 => {
                            seen.closed = true;
                            return Ok(seen);
                        }
                        0x9 => {
                            self.wire.push(0x8a);
                            push_len(&mut self.wire, payload.len(), 0x80);
                            self.wire.extend_from_slice(&[0, 0, 0, 0]);
                            self.wire.extend_from_slice(payload);
                        }
                        0xa => {}
                        other => return Err(format!("frame with opcode {other}")),
                    }
                    input = input.get(len..).unwrap_or_default();
                }
                Frame::Bad(why) => return Err(why.into()),
            }
        }
    }

    fn keep(&mut self, rest: &[u8], seen: Unwrapped) -> Result<Unwrapped, String> {
        if rest.len() > MAX_CARRY {
            return Err("a frame over the generator's limit".into());
        }
        self.carry.extend_from_slice(rest);
        if self.carry.is_empty() && self.carry.capacity() > 4096 {
            self.carry = Vec::new();
        }
        Ok(seen)
    }
}

enum Frame<'a> {
    Incomplete,
    Complete {
        opcode: u8,
        payload: &'a [u8],
        /// Header and payload.
        len: usize,
    },
    Bad(&'static str),
}

/// One server frame at the front of `input`.
fn parse(input: &[u8]) -> Frame<'_> {
    let (Some(&b0), Some(&b1)) = (input.first(), input.get(1)) else {
        return Frame::Incomplete;
    };
    if b1 & 0x80 != 0 {
        return Frame::Bad("a masked frame from the server");
    }
    let (len, header) = match b1 & 0x7f {
        126 => match input.get(2..4) {
            Some(b) => (usize::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Frame::Incomplete,
        },
        127 => match input.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            Some(b) => (u64::from_be_bytes(b) as usize, 10),
            None => return Frame::Incomplete,
        },
        n => (usize::from(n), 2),
    };
    if len > MAX_CARRY {
        return Frame::Bad("a frame over the generator's limit");
    }
    match input.get(header..header + len) {
        Some(payload) => Frame::Complete {
            opcode: b0 & 0x0f,
            payload,
            len: header + len,
        },
        None => Frame::Incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        push_len(&mut out, payload.len(), 0);
        out.extend_from_slice(payload);
        out
    }

    fn link() -> WsLink {
        WsLink::new("127.0.0.1:5689".parse().unwrap())
    }

    #[test]
    fn upgrade_then_frames_split_anywhere() {
        let mut ws = link();
        assert!(
            ws.wire
                .starts_with(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:5689\r\n")
        );
        let mut bytes = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec();
        bytes.extend(server_frame(0x1, b"<SESSION>"));
        bytes.extend(server_frame(0x1, &[b'x'; 300]));
        bytes.extend(server_frame(0x2, b"\x00\x01"));
        let mut out = Vec::new();
        let mut opened = false;
        for chunk in bytes.chunks(7) {
            opened |= ws.unwrap(chunk, &mut out).unwrap().opened;
        }
        assert!(opened && ws.open());
        let mut want = b"<SESSION>".to_vec();
        want.extend_from_slice(&[b'x'; 300]);
        want.extend_from_slice(b"\x00\x01");
        assert_eq!(out, want);
    }

    #[test]
    fn pings_are_answered_and_close_is_reported() {
        let mut ws = link();
        ws.wire.clear();
        let mut out = Vec::new();
        ws.unwrap(b"HTTP/1.1 101 OK\r\n\r\n", &mut out).unwrap();
        ws.unwrap(&server_frame(0x9, b"hi"), &mut out).unwrap();
        assert_eq!(ws.wire, b"\x8a\x82\0\0\0\0hi");
        let seen = ws.unwrap(&server_frame(0x8, &[]), &mut out).unwrap();
        assert!(seen.closed);
        assert!(out.is_empty());
    }

    #[test]
    fn refusals_and_bad_frames_are_errors() {
        let mut out = Vec::new();
        let err = link()
            .unwrap(b"HTTP/1.1 403 Forbidden\r\n\r\n", &mut out)
            .unwrap_err();
        assert!(err.contains("403"), "{err}");
        let mut ws = link();
        ws.unwrap(b"HTTP/1.1 101 OK\r\n\r\n", &mut out).unwrap();
        assert!(ws.unwrap(b"\x81\x81\0\0\0\0x", &mut out).is_err(), "masked");
    }

    #[test]
    fn client_frames_are_masked_with_lengths() {
        let mut out = Vec::new();
        frame(&mut out, false, b"<PONG/>");
        assert_eq!(out, b"\x81\x87\0\0\0\0<PONG/>");
        let mut out = Vec::new();
        frame(&mut out, true, &[7; 200]);
        assert_eq!(&out[..8], b"\x82\xfe\x00\xc8\0\0\0\0");
        assert_eq!(out.len(), 8 + 200);
    }
}
