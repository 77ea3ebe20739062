//! One server-side WebSocket over our own buffers: tungstenite's framing
//! (`WebSocketContext`) reads from bytes the event loop already took off
//! the socket and writes into a buffer the event loop drains. The pipe
//! between them never blocks, so no byte is lost to a `WouldBlock` in the
//! middle of a frame.

use std::io::{self, Read, Write};

use tungstenite::Message;
use tungstenite::error::Error;
use tungstenite::protocol::{Role, WebSocketConfig, WebSocketContext};

use crate::config::web::WebConfig;

/// tungstenite's read buffer, kept for the connection's life. Small: an
/// idle browser should cost little (a lobby message is far smaller; a
/// larger one grows it while it is read).
const READ_BUFFER: usize = 1024;
/// Output buffer capacity kept once everything was written: enough for
/// the frames of ordinary traffic, and a burst's large frames are not
/// held by idle connections afterwards.
const KEEP_OUTPUT: usize = 1024;

#[derive(Default)]
struct Pipe {
    input: Vec<u8>,
    read_pos: usize,
    output: Vec<u8>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.input.get(self.read_pos..).unwrap_or_default();
        if rest.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.read_pos += n;
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What one batch of input held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Input {
    /// Payloads of complete data messages, in order.
    pub messages: Vec<Vec<u8>>,
    /// The peer closed (its close frame is answered in the output).
    pub closed: bool,
}

pub struct WsConn {
    ctx: WebSocketContext,
    pipe: Pipe,
    /// Bytes of `output` already written to the socket.
    out_pos: usize,
}

impl WsConn {
    pub fn new(config: &WebConfig) -> WsConn {
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0)
            // The pipe never blocks, so tungstenite's buffer is empty
            // between calls; what we send is bounded by the output queue
            // and the batch size of server/web.rs, not by the limits on
            // what clients send.
            .max_write_buffer_size(usize::MAX)
            .max_message_size(Some(config.max_message_size))
            .max_frame_size(Some(config.max_frame_size));
        WsConn {
            ctx: WebSocketContext::new(Role::Server, Some(ws_config)),
            pipe: Pipe::default(),
            out_pos: 0,
        }
    }

    /// Takes bytes read from the socket. An error (a bad or oversized
    /// frame) says why this connection must end; tungstenite has then
    /// queued a close frame in the output where the protocol asks for one.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Input, String> {
        self.pipe.input.extend_from_slice(bytes);
        let mut input = Input::default();
        let result = loop {
            match self.ctx.read(&mut self.pipe) {
                Ok(Message::Text(text)) => input.messages.push(text.as_bytes().to_vec()),
                Ok(Message::Binary(data)) => input.messages.push(data.to_vec()),
                Ok(Message::Close(_)) => input.closed = true,
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
                Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(Error::ConnectionClosed | Error::AlreadyClosed) => {
                    input.closed = true;
                    break Ok(());
                }
                Err(e) => break Err(e.to_string()),
            }
        };
        // tungstenite has copied everything it read into its own buffer.
        self.pipe.input.clear();
        self.pipe.read_pos = 0;
        if self.pipe.input.capacity() > READ_BUFFER {
            self.pipe.input = Vec::new();
        }
        // Pongs and the answer to a close frame.
        let _ = self.ctx.flush(&mut self.pipe);
        result.map(|()| input)
    }

    /// Frames `payload` as one message: text when it is UTF-8 (the lobby's
    /// XML always is), else binary.
    pub fn send(&mut self, payload: &[u8]) -> Result<(), String> {
        self.send_parts(&[payload])
    }

    /// Frames `parts`, joined, as one message: text when every part is
    /// UTF-8 (whole lobby messages are), else binary.
    pub fn send_parts(&mut self, parts: &[&[u8]]) -> Result<(), String> {
        let text = parts.iter().all(|p| std::str::from_utf8(p).is_ok());
        self.frame(parts, text)
    }

    /// Frames `payload` as one binary message (a game channel's bytes).
    pub fn send_binary(&mut self, payload: &[u8]) -> Result<(), String> {
        self.frame(&[payload], false)
    }

    /// Writes one unmasked data frame straight into the output. A server's
    /// frame is a header and the payload; going through tungstenite would
    /// copy it once more and leave its buffer as large as the largest
    /// frame for the connection's life. tungstenite still decides whether
    /// data may go (not after a close was sent or received), and writes
    /// every control frame.
    fn frame(&mut self, parts: &[&[u8]], text: bool) -> Result<(), String> {
        if !self.ctx.can_write() {
            return Err("the WebSocket is closing".into());
        }
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let out = &mut self.pipe.output;
        out.reserve(len + 10);
        out.push(0x80 | if text { 0x1 } else { 0x2 });
        match len {
            n if n < 126 => out.push(n as u8),
            n if n <= usize::from(u16::MAX) => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        for part in parts {
            out.extend_from_slice(part);
        }
        Ok(())
    }

    pub fn ping(&mut self) -> Result<(), String> {
        self.write(Message::Ping(Default::default()))
    }

    /// Starts the close handshake (no-op once closing).
    pub fn close(&mut self) {
        let _ = self.ctx.close(&mut self.pipe, None);
        let _ = self.ctx.flush(&mut self.pipe);
    }

    fn write(&mut self, msg: Message) -> Result<(), String> {
        self.ctx
            .write(&mut self.pipe, msg)
            .and_then(|()| self.ctx.flush(&mut self.pipe))
            .map_err(|e| e.to_string())
    }

    /// Bytes that go out before any frame: the HTTP answer.
    pub fn queue_raw(&mut self, bytes: &[u8]) {
        self.pipe.output.extend_from_slice(bytes);
    }

    /// Framed bytes not yet written to the socket.
    pub fn pending(&self) -> &[u8] {
        self.pipe.output.get(self.out_pos..).unwrap_or_default()
    }

    /// `n` bytes of [`WsConn::pending`] were written.
    pub fn written(&mut self, n: usize) {
        self.out_pos += n;
        if self.out_pos >= self.pipe.output.len() {
            self.out_pos = 0;
            self.pipe.output.clear();
            if self.pipe.output.capacity() > KEEP_OUTPUT {
                self.pipe.output = Vec::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame.
    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        super::super::client_frame(fin, opcode, payload, [1, 2, 3, 4])
    }

    fn small() -> WebConfig {
        WebConfig {
            max_message_size: 1024,
            max_frame_size: 512,
            ..WebConfig::default()
        }
    }

    #[test]
    fn text_split_anywhere_and_fragmented() {
        let mut ws = WsConn::new(&small());
        let mut bytes = frame(false, 0x1, b"<SESSION>");
        bytes.extend(frame(true, 0x0, b"<PING/>"));
        bytes.extend(frame(true, 0x1, b"<PONG/>"));
        let mut got = Vec::new();
        for chunk in bytes.chunks(3) {
            got.extend(ws.feed(chunk).unwrap().messages);
        }
        assert_eq!(got, vec![b"<SESSION><PING/>".to_vec(), b"<PONG/>".to_vec()]);
        assert!(ws.pending().is_empty());
    }

    #[test]
    fn ping_is_answered_and_close_handshake_completes() {
        let mut ws = WsConn::new(&small());
        let input = ws.feed(&frame(true, 0x9, b"hi")).unwrap();
        assert!(input.messages.is_empty() && !input.closed);
        assert_eq!(ws.pending(), b"\x8a\x02hi");
        let n = ws.pending().len();
        ws.written(n);
        let input = ws.feed(&frame(true, 0x8, &[0x03, 0xe8])).unwrap();
        assert!(input.closed);
        assert_eq!(ws.pending(), b"\x88\x02\x03\xe8", "the close is echoed");
        assert!(ws.send(b"<x/>").is_err(), "nothing after close");
    }

    #[test]
    fn server_close_then_peer_answers() {
        let mut ws = WsConn::new(&small());
        ws.close();
        assert_eq!(ws.pending().first(), Some(&0x88));
        ws.written(ws.pending().len());
        let input = ws.feed(&frame(true, 0x8, &[])).unwrap();
        assert!(input.closed);
    }

    #[test]
    fn outgoing_messages_are_not_bound_by_incoming_limits() {
        let mut ws = WsConn::new(&small());
        ws.send(&[b'a'; 40_000]).unwrap();
        assert_eq!(ws.pending().len(), 40_000 + 4);
        ws.written(4);
        ws.send_binary(&[b'b'; 70_000]).unwrap();
        assert_eq!(
            &ws.pending()[40_000..40_010],
            b"\x82\x7f\0\0\0\0\0\x01\x11\x70"
        );
    }

    #[test]
    fn outgoing_text_and_binary_fallback() {
        let mut ws = WsConn::new(&small());
        ws.send(b"<PING/>").unwrap();
        ws.send(&[0xff]).unwrap();
        ws.send_parts(&[b"<A/>", b"<B/>"]).unwrap();
        assert_eq!(ws.pending(), b"\x81\x07<PING/>\x82\x01\xff\x81\x08<A/><B/>");
    }

    #[test]
    fn bad_and_oversized_frames_fail() {
        let mut ws = WsConn::new(&small());
        assert!(ws.feed(&frame(true, 0x1, &[b'a'; 600])).is_err());
        let mut ws = WsConn::new(&small());
        let mut bytes = frame(false, 0x1, &[b'a'; 500]);
        bytes.extend(frame(false, 0x0, &[b'a'; 500]));
        bytes.extend(frame(true, 0x0, &[b'a'; 500]));
        assert!(ws.feed(&bytes).is_err(), "message limit across fragments");
        let mut ws = WsConn::new(&small());
        // Unmasked client frame.
        assert!(ws.feed(b"\x81\x01a").is_err());
        let mut ws = WsConn::new(&small());
        assert!(
            ws.feed(&frame(true, 0x1, &[0xc3, 0x28])).is_err(),
            "bad UTF-8"
        );
        let mut ws = WsConn::new(&small());
        assert!(ws.feed(&frame(true, 0x3, b"x")).is_err(), "reserved opcode");
    }
}
