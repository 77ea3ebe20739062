//! A whole game against the real `ggzd-tictactoe` binary, driven through
//! `ggzdmod::testing` the way a game author would write it (the harness
//! in `table.rs` predates that helper and covers much more).

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use ggzdmod::testing::GameProcess;
use ggzdmod::{GameResult, GameState, LaunchLayout, LaunchSeat, ReportRecord, SeatKind, ToServer};
use tictactoe::board::{Mark, Outcome};
use tictactoe::protocol::ServerMsg;

mod support;
use support::Player;

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
