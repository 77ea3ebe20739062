//! The core of a game channel over WebSocket (docs/websocket.md): bytes
//! between a game server's end of a socketpair and a WebSocket's binary
//! messages, bounded both ways. `server/relay.rs` does the IO.
//!
//! Backpressure is by room: the event loop reads from a side at most as
//! many bytes as the other side's buffer has room for, so neither buffer
//! ever exceeds its limit however slow the reader on the far side.

use crate::config::web::WebConfig;

use super::ws::WsConn;

pub struct Relay {
    ws: WsConn,
    /// Payload bytes from the client, not yet written to the game server.
    to_game: Vec<u8>,
    to_game_pos: usize,
    limit: usize,
    client_closed: bool,
    game_closed: bool,
    /// The game server's end refused a write (it closed): what the
    /// client sends is dropped, but what the game wrote before is still
    /// read and relayed.
    game_deaf: bool,
}

impl Relay {
    /// `limit`: bytes each direction may hold.
    pub fn new(ws: WsConn, limit: usize) -> Relay {
        Relay {
            ws,
            to_game: Vec::new(),
            to_game_pos: 0,
            limit,
            client_closed: false,
            game_closed: false,
            game_deaf: false,
        }
    }

    /// A relay for a fresh WebSocket with `[web]`'s frame limits.
    pub fn with_config(config: &WebConfig) -> Relay {
        Relay::new(WsConn::new(config), config.max_message_size * 2)
    }

    /// How many bytes the event loop may read from the client's socket
    /// now. Frame headers make payloads smaller than the raw bytes, so
    /// reading this much never overfills the game's buffer.
    pub fn client_room(&self) -> usize {
        if self.client_closed {
            return 0;
        }
        self.limit
            .saturating_sub(self.to_game.len() - self.to_game_pos)
    }

    /// How many bytes the event loop may read from the game server now.
    pub fn game_room(&self) -> usize {
        if self.game_closed || self.client_closed {
            return 0;
        }
        // A frame's header is at most 10 bytes (a server frame is not
        // masked).
        self.limit
            .saturating_sub(self.ws.pending().len())
            .saturating_sub(10)
    }

    /// Raw bytes read from the client's socket (at most `client_room`).
    pub fn from_client(&mut self, bytes: &[u8]) -> Result<(), String> {
        let input = self.ws.feed(bytes)?;
        for message in input.messages {
            if self.game_deaf {
                continue;
            }
            if self.to_game.len() - self.to_game_pos + message.len() > self.limit {
                return Err("the client sent past the relay's room".into());
            }
            self.to_game.extend_from_slice(&message);
        }
        if input.closed {
            self.client_closed = true;
        }
        Ok(())
    }

    /// Bytes read from the game server (at most `game_room`): one binary
    /// message.
    pub fn from_game(&mut self, bytes: &[u8]) -> Result<(), String> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.ws.pending().len() + bytes.len() > self.limit {
            return Err("the game server sent past the relay's room".into());
        }
        self.ws.send_binary(bytes)
    }

    /// The game server closed its end: the client hears a close once
    /// what the game sent before has been written.
    pub fn game_finished(&mut self) {
        if !self.game_closed {
            self.game_closed = true;
            self.ws.close();
        }
    }

    /// A write to the game server failed (its end is closed, typically
    /// with our unread input, which makes writes fail with EPIPE and
    /// reads end in ECONNRESET after the data). The game's last words
    /// (a GAME_OVER) may still wait in the socket: the relay keeps
    /// reading them and only drops what was owed to the game.
    pub fn game_unwritable(&mut self) {
        self.game_deaf = true;
        self.to_game = Vec::new();
        self.to_game_pos = 0;
    }

    /// Bytes for the game server's socket.
    pub fn game_output(&self) -> &[u8] {
        self.to_game.get(self.to_game_pos..).unwrap_or_default()
    }

    pub fn game_written(&mut self, n: usize) {
        self.to_game_pos += n;
        if self.to_game_pos >= self.to_game.len() {
            self.to_game = Vec::new();
            self.to_game_pos = 0;
        }
    }

    /// Bytes for the client's socket.
    pub fn client_output(&self) -> &[u8] {
        self.ws.pending()
    }

    pub fn client_written(&mut self, n: usize) {
        self.ws.written(n);
    }

    /// Both sides are done and everything owed was written: drop both.
    /// The browser closed the channel before the game server did.
    pub fn closed_by_client(&self) -> bool {
        self.client_closed && !self.game_closed
    }

    pub fn finished(&self) -> bool {
        let client_done = self.client_closed && self.game_output().is_empty();
        (client_done || self.game_closed) && self.client_output().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        super::super::client_frame(fin, opcode, payload, [9, 8, 7, 6])
    }

    fn relay(limit: usize) -> Relay {
        let config = WebConfig {
            max_message_size: 1024,
            max_frame_size: 1024,
            ..WebConfig::default()
        };
        Relay::new(WsConn::new(&config), limit)
    }

    #[test]
    fn bytes_cross_both_ways_whatever_the_fragmentation() {
        let mut r = relay(4096);
        let mut bytes = frame(false, 0x2, &[0, 0, 0, 7]);
        bytes.extend(frame(true, 0x0, &[1, 2]));
        for chunk in bytes.chunks(1) {
            r.from_client(chunk).unwrap();
        }
        assert_eq!(r.game_output(), &[0, 0, 0, 7, 1, 2]);
        r.game_written(6);
        assert!(r.game_output().is_empty());
        r.from_game(&[0, 0, 0, 3]).unwrap();
        assert_eq!(r.client_output(), &[0x82, 4, 0, 0, 0, 3]);
    }

    #[test]
    fn a_slow_game_server_stops_reading_from_the_client() {
        let mut r = relay(300);
        assert_eq!(r.client_room(), 300);
        r.from_client(&frame(true, 0x2, &[5; 200])).unwrap();
        assert_eq!(r.client_room(), 100);
        r.from_client(&frame(true, 0x2, &[6; 100])).unwrap();
        assert_eq!(r.client_room(), 0, "the event loop reads nothing more");
        assert!(r.from_client(&frame(true, 0x2, &[7])).is_err());
        r.game_written(250);
        assert_eq!(r.client_room(), 250);
    }

    #[test]
    fn a_slow_client_stops_reading_from_the_game_server() {
        let mut r = relay(300);
        let room = r.game_room();
        assert_eq!(room, 290);
        r.from_game(&vec![1; room]).unwrap();
        assert_eq!(r.game_room(), 0);
        assert!(r.from_game(&[1; 20]).is_err());
        let n = r.client_output().len();
        r.client_written(n);
        assert_eq!(r.game_room(), 290);
    }

    #[test]
    fn close_handshake_either_side() {
        let mut r = relay(4096);
        r.from_client(&frame(true, 0x2, b"last")).unwrap();
        r.from_client(&frame(true, 0x8, &[0x03, 0xe8])).unwrap();
        assert_eq!(r.client_room(), 0);
        assert!(!r.finished(), "the game still gets its bytes");
        r.game_written(4);
        assert_eq!(
            r.client_output(),
            b"\x88\x02\x03\xe8",
            "the close is echoed"
        );
        assert!(!r.finished(), "not before the echo is written");
        r.client_written(4);
        assert!(r.finished());
        assert!(r.closed_by_client(), "the browser left first");

        let mut r = relay(4096);
        r.from_game(b"bye").unwrap();
        r.game_finished();
        assert_eq!(r.game_room(), 0);
        assert!(!r.finished());
        assert_eq!(r.client_output(), b"\x82\x03bye\x88\x00");
        r.client_written(7);
        assert!(r.finished());
        assert!(!r.closed_by_client(), "the game server ended it");
    }

    #[test]
    fn a_game_that_closed_with_unread_input_still_has_its_last_words_relayed() {
        let mut r = relay(4096);
        // The browser's next input arrives as the game server exits.
        r.from_client(&frame(true, 0x2, b"input")).unwrap();
        assert_eq!(r.game_output(), b"input");
        // Writing it fails (EPIPE): the input is dropped, not the relay.
        r.game_unwritable();
        assert!(r.game_output().is_empty());
        assert!(!r.finished());
        assert!(r.game_room() > 0, "what the game wrote is still read");
        r.from_client(&frame(true, 0x2, b"more")).unwrap();
        assert!(r.game_output().is_empty(), "nobody reads it any more");
        r.from_game(b"over").unwrap();
        // Then EOF, or ECONNRESET after the data: the same end.
        r.game_finished();
        assert_eq!(r.client_output(), b"\x82\x04over\x88\x00");
        assert!(!r.finished(), "not before the last frame is written");
        r.client_written(8);
        assert!(r.finished());
        assert!(!r.closed_by_client());
    }
}
