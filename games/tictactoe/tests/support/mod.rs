//! A player of the real `ggzd-tictactoe` binary, shared by the test files.

use std::io::{Read, Write};
use std::net::TcpStream;

use tictactoe::dio::PacketDecoder;
use tictactoe::protocol::{ClientMsg, MoveStatus, ServerMsg};

/// A player's connection and the DIO packets not read yet.
pub struct Player {
    stream: TcpStream,
    decoder: PacketDecoder,
}

impl Player {
    pub fn new(stream: TcpStream) -> Player {
        Player {
            stream,
            decoder: PacketDecoder::new(1024),
        }
    }

    /// Reads messages until one `wanted` accepts (the socket's read
    /// timeout, set by the helper, ends a wait for nothing).
    pub fn until(&mut self, wanted: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            while let Some(payload) = self.decoder.next_packet().unwrap() {
                let msg = ServerMsg::parse(&payload).unwrap();
                if wanted(&msg) {
                    return msg;
                }
            }
            let mut buf = [0u8; 256];
            let n = self.stream.read(&mut buf).unwrap();
            assert!(n > 0, "the game server closed the connection");
            self.decoder.push(&buf[..n]);
        }
    }

    /// Waits for the move request and moves to `square`.
    pub fn play(&mut self, square: i32) {
        self.until(|m| *m == ServerMsg::ReqMove);
        self.stream
            .write_all(&ClientMsg::Move(square).encode())
            .unwrap();
    }

    /// Like [`Player::play`], and the move must be accepted.
    #[allow(dead_code)] // not every test file checks the answer
    pub fn play_accepted(&mut self, square: i32) {
        self.play(square);
        assert_eq!(
            self.until(|m| matches!(m, ServerMsg::RspMove(_))),
            ServerMsg::RspMove(MoveStatus::Ok)
        );
    }
}
