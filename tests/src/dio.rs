//! A TicTacToe game channel as a GGZ 0.0.14 client speaks it: DIO packets
//! (docs/tictactoe.md §2.3), for the tests that play through ggzd.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::{TestServer, open_game_channel};

/// What the TicTacToe server sends (docs/tictactoe.md §2.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Seat(i32),
    Players(Vec<(i32, String)>),
    Move { player: i32, square: i32 },
    GameOver(i8),
    ReqMove,
    RspMove(i8),
    Sync { turn: i8, cells: Vec<i8> },
}

pub struct Dio {
    pub stream: TcpStream,
}

impl Dio {
    pub fn open(server: &TestServer, name: &str) -> Dio {
        Dio {
            stream: open_game_channel(server, name),
        }
    }

    pub fn send_move(&mut self, square: i32) {
        let mut packet = vec![0, 10, 0, 0, 0, 0];
        packet.extend_from_slice(&square.to_be_bytes());
        self.stream.write_all(&packet).unwrap();
    }

    pub fn request_sync(&mut self) {
        self.stream.write_all(&[0, 6, 0, 0, 0, 1]).unwrap();
    }

    pub fn next_msg(&mut self) -> Msg {
        let mut len = [0u8; 2];
        self.stream.read_exact(&mut len).unwrap();
        let len = u16::from_be_bytes(len) as usize;
        assert!(len >= 6, "packet length {len}");
        let mut payload = vec![0u8; len - 2];
        self.stream.read_exact(&mut payload).unwrap();
        parse(&payload)
    }

    /// Skips messages until one matches.
    pub fn until(&mut self, mut pred: impl FnMut(&Msg) -> bool) -> Msg {
        loop {
            let msg = self.next_msg();
            if pred(&msg) {
                return msg;
            }
        }
    }

    /// Reads up to the game's end: `Msg::GameOver(winner)`.
    pub fn until_game_over(&mut self) -> Msg {
        self.until(|m| matches!(m, Msg::GameOver(_)))
    }

    /// Waits to be asked for a move, moves to each of `squares` in turn,
    /// and checks each move is accepted (for a game whose other seat is
    /// not a `Dio`).
    pub fn moves_accepted(&mut self, squares: &[i32]) {
        for square in squares {
            self.until(|m| *m == Msg::ReqMove);
            self.send_move(*square);
            assert_eq!(
                self.until(|m| matches!(m, Msg::RspMove(_))),
                Msg::RspMove(0)
            );
        }
    }
}

fn parse(payload: &[u8]) -> Msg {
    let mut at = 0;
    let i32_at = |at: &mut usize| {
        let v = i32::from_be_bytes(payload[*at..*at + 4].try_into().unwrap());
        *at += 4;
        v
    };
    let opcode = i32_at(&mut at);
    match opcode {
        0 => Msg::Seat(i32_at(&mut at)),
        1 => {
            let mut players = Vec::new();
            for _ in 0..2 {
                let kind = i32_at(&mut at);
                let name = if kind != 1 {
                    let len = i32_at(&mut at) as usize;
                    let text = String::from_utf8_lossy(&payload[at..at + len - 1]).into_owned();
                    at += len;
                    text
                } else {
                    String::new()
                };
                players.push((kind, name));
            }
            Msg::Players(players)
        }
        2 => {
            let player = i32_at(&mut at);
            Msg::Move {
                player,
                square: i32_at(&mut at),
            }
        }
        3 => Msg::GameOver(payload[4] as i8),
        4 => Msg::ReqMove,
        5 => Msg::RspMove(payload[4] as i8),
        6 => Msg::Sync {
            turn: payload[4] as i8,
            cells: payload[5..14].iter().map(|b| *b as i8).collect(),
        },
        other => panic!("unknown TicTacToe opcode {other}"),
    }
}

/// Plays `moves` in turn, seat 0 first, checking each is accepted and
/// shown to the other seat.
pub fn play(seats: &mut [&mut Dio; 2], moves: &[i32]) {
    for (n, square) in moves.iter().enumerate() {
        let seat = n % 2;
        seats[seat].until(|m| *m == Msg::ReqMove);
        seats[seat].send_move(*square);
        assert_eq!(
            seats[seat].until(|m| matches!(m, Msg::RspMove(_))),
            Msg::RspMove(0)
        );
        let shown = seats[1 - seat].until(|m| matches!(m, Msg::Move { .. }));
        assert_eq!(
            shown,
            Msg::Move {
                player: seat as i32,
                square: *square
            }
        );
    }
}
