//! Tests of the example game server (`examples/guess.rs`), written the way
//! a game author tests a game server: the built binary is started by
//! `ggzdmod::testing`, which plays ggzd's part.

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;

use ggzdmod::testing::GameProcess;
use ggzdmod::{GameResult, GameState, LaunchLayout, LaunchSeat, ReportRecord, SeatKind, ToServer};

/// The example binary; `cargo test -p ggzdmod` builds it beside the tests.
fn guess(secret: i32) -> Command {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/guess");
    assert!(
        path.exists(),
        "{} is missing: run `cargo test -p ggzdmod` (it builds the examples)",
        path.display()
    );
    let mut command = Command::new(path);
    command.env("GUESS_SECRET", secret.to_string());
    // The event log goes to the working directory, as under ggzd.
    command.current_dir(workdir());
    command
}

fn workdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ggzdmod-guess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut s = String::new();
    r.read_line(&mut s).unwrap();
    s.trim_end().to_owned()
}

fn record(name: &str, kind: SeatKind, team: i32, result: GameResult) -> ReportRecord {
    ReportRecord {
        name: name.into(),
        kind,
        team,
        result,
        score: 0,
    }
}

#[test]
fn two_players_closest_wins_and_the_game_exits() {
    for layout in [LaunchLayout::Legacy, LaunchLayout::Trunk] {
        let mut game = GameProcess::spawn(guess(42), layout).unwrap();
        game.launch("guess", vec![LaunchSeat::Open, LaunchSeat::Open])
            .unwrap();
        game.expect_state(GameState::Waiting).unwrap();
        let mut ann = BufReader::new(game.join(0, "ann").unwrap());
        let mut ben = BufReader::new(game.join(1, "ben").unwrap());
        game.expect_state(GameState::Playing).unwrap();
        for p in [&mut ann, &mut ben] {
            assert_eq!(line(p), "welcome");
            assert_eq!(line(p), "guess 1-100 v1");
        }
        ann.get_mut().write_all(b"40\n").unwrap();
        ben.get_mut().write_all(b"60\n").unwrap();
        assert_eq!(line(&mut ann), "secret 42: win");
        assert_eq!(line(&mut ben), "secret 42: loss");
        assert_eq!(
            game.expect(|m| matches!(m, ToServer::Report(_))).unwrap(),
            ToServer::Report(vec![
                record("ann", SeatKind::Player, 0, GameResult::Win),
                record("ben", SeatKind::Player, 1, GameResult::Loss),
            ])
        );
        game.expect_state(GameState::Done).unwrap();
        // The example returns from its loop at DONE and exits by itself.
        assert!(game.wait_exit().unwrap().success());
    }
}

#[test]
fn a_bot_guesses_fifty_and_equal_distance_ties() {
    let mut game = GameProcess::spawn(guess(45), LaunchLayout::Trunk).unwrap();
    game.launch(
        "guess",
        vec![LaunchSeat::Open, LaunchSeat::Bot("AI".into())],
    )
    .unwrap();
    game.expect_state(GameState::Waiting).unwrap();
    let mut ann = BufReader::new(game.join(0, "ann").unwrap());
    game.expect_state(GameState::Playing).unwrap();
    assert_eq!(line(&mut ann), "welcome");
    assert_eq!(line(&mut ann), "guess 1-100 v1");
    ann.get_mut().write_all(b"40\n").unwrap();
    assert_eq!(line(&mut ann), "secret 45: tie");
    let ToServer::Report(records) = game.expect(|m| matches!(m, ToServer::Report(_))).unwrap()
    else {
        unreachable!()
    };
    let results: Vec<GameResult> = records.iter().map(|r| r.result).collect();
    assert_eq!(results, [GameResult::Tie, GameResult::Tie]);
    assert_eq!(records[1].kind, SeatKind::Bot);
    game.expect_state(GameState::Done).unwrap();
}

#[test]
fn a_player_who_leaves_during_the_game_hands_the_win_to_the_others() {
    let mut game = GameProcess::spawn(guess(42), LaunchLayout::Legacy).unwrap();
    game.launch("guess", vec![LaunchSeat::Open, LaunchSeat::Open])
        .unwrap();
    game.expect_state(GameState::Waiting).unwrap();
    let ann = game.join(0, "ann").unwrap();
    let mut ben = BufReader::new(game.join(1, "ben").unwrap());
    game.expect_state(GameState::Playing).unwrap();
    drop(ann);
    game.leave(0).unwrap();
    assert_eq!(line(&mut ben), "welcome");
    assert_eq!(line(&mut ben), "guess 1-100 v1");
    assert_eq!(line(&mut ben), "secret 42: win");
    let ToServer::Report(records) = game.expect(|m| matches!(m, ToServer::Report(_))).unwrap()
    else {
        unreachable!()
    };
    // The leaver's seat is open by now, and a report names only who sits
    // at the table: the forfeit reaches nobody.
    assert_eq!(
        records,
        [record("ben", SeatKind::Player, 0, GameResult::Win)]
    );
    game.expect_state(GameState::Done).unwrap();
}

#[test]
fn a_guess_against_a_stale_version_is_refused_and_the_log_tells_the_game() {
    let mut game = GameProcess::spawn(guess(42), LaunchLayout::Trunk).unwrap();
    game.launch("guess", vec![LaunchSeat::Open, LaunchSeat::Open])
        .unwrap();
    game.expect_state(GameState::Waiting).unwrap();
    let mut ann = BufReader::new(game.join(0, "ann").unwrap());
    let mut ben = BufReader::new(game.join(1, "ben").unwrap());
    game.expect_state(GameState::Playing).unwrap();
    let ToServer::SavegameReport(log_name) = game
        .expect(|m| matches!(m, ToServer::SavegameReport(_)))
        .unwrap()
    else {
        unreachable!()
    };
    for p in [&mut ann, &mut ben] {
        assert_eq!(line(p), "welcome");
        assert_eq!(line(p), "guess 1-100 v1");
    }
    // ann guesses against version 1: accepted, the state is now v2.
    ann.get_mut().write_all(b"40 v1\n").unwrap();
    // ben's guess was made against v1 too: stale, guess again.
    ben.get_mut().write_all(b"41 v1\n").unwrap();
    assert_eq!(line(&mut ben), "stale v2");
    ben.get_mut().write_all(b"60 v2\n").unwrap();
    assert_eq!(line(&mut ann), "secret 42: win");
    assert_eq!(line(&mut ben), "secret 42: loss");
    game.expect_state(GameState::Done).unwrap();
    assert!(game.wait_exit().unwrap().success());

    let log = ggzdmod::eventlog::load(workdir().join(&log_name), 1 << 20, 100).unwrap();
    assert!(log.complete);
    assert_eq!(log.game, "guess");
    let kinds: Vec<&str> = log.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["start", "guess", "guess", "over"]);
    assert_eq!(log.events[1].data, [0, 0, 0, 0, 40]);
    assert_eq!(log.events[2].data, [1, 0, 0, 0, 60]);
    assert_eq!(log.events[3].data, [0, 1], "win, loss");
    let _ = std::fs::remove_file(workdir().join(&log_name));
}
