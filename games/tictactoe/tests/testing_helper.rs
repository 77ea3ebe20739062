//! A whole game against the real `ggzd-tictactoe` binary, driven through
//! `ggzdmod::testing` the way a game author would write it (the harness
//! in `table.rs` predates that helper and covers much more).

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use ggzdmod::testing::GameProcess;
use ggzdmod::{GameResult, GameState, LaunchLayout, LaunchSeat, ReportRecord, SeatKind, ToServer};
use tictactoe::board::{Mark, Outcome};
use tictactoe::dio::PacketDecoder;
use tictactoe::protocol::{ClientMsg, ServerMsg};

/// A player's connection and the DIO packets not read yet.
struct Player {
    stream: TcpStream,
    decoder: PacketDecoder,
}

impl Player {
    fn new(stream: TcpStream) -> Player {
        Player {
            stream,
            decoder: PacketDecoder::new(1024),
        }
    }

    /// Reads messages until one `wanted` accepts (the socket's read
    /// timeout, set by the helper, ends a wait for nothing).
    fn until(&mut self, wanted: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
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

    fn play(&mut self, square: i32) {
        self.until(|m| *m == ServerMsg::ReqMove);
        self.stream
            .write_all(&ClientMsg::Move(square).encode())
            .unwrap();
    }
}

#[test]
fn three_in_a_row_wins_and_is_reported() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ggzd-tictactoe"));
    command.arg("--no-savegame");
    let mut game = GameProcess::spawn(command, LaunchLayout::Legacy).unwrap();
    game.launch("tictactoe", vec![LaunchSeat::Open, LaunchSeat::Open])
        .unwrap();
    game.expect_state(GameState::Waiting).unwrap();
    let mut ann = Player::new(game.join(0, "ann").unwrap());
    let mut ben = Player::new(game.join(1, "ben").unwrap());
    game.expect_state(GameState::Playing).unwrap();
    assert_eq!(
        ann.until(|m| matches!(m, ServerMsg::Seat(_))),
        ServerMsg::Seat(Mark::Seat0)
    );
    for (ann_square, ben_square) in [(0, 3), (1, 4)] {
        ann.play(ann_square);
        ben.play(ben_square);
    }
    ann.play(2);
    let over = |m: &ServerMsg| matches!(m, ServerMsg::GameOver(_));
    assert_eq!(
        ann.until(over),
        ServerMsg::GameOver(Outcome::Win(Mark::Seat0))
    );
    assert_eq!(
        ben.until(over),
        ServerMsg::GameOver(Outcome::Win(Mark::Seat0))
    );
    let record = |name: &str, team, result| ReportRecord {
        name: name.into(),
        kind: SeatKind::Player,
        team,
        result,
        score: 0,
    };
    assert_eq!(
        game.expect(|m| matches!(m, ToServer::Report(_))).unwrap(),
        ToServer::Report(vec![
            record("ann", 0, GameResult::Win),
            record("ben", 1, GameResult::Loss),
        ])
    );
}
