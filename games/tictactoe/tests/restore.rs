//! Restore through the real `ggzd-tictactoe` binary (docs/event-log.md
//! §4, §6): a game is played half way and its server killed; a new server
//! launched with the event log as its savegame goes on from there. A log
//! with an illegal move fails the launch.

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ggzdmod::eventlog::{self, EventLog};
use ggzdmod::testing::GameProcess;
use ggzdmod::{GameState, LaunchLayout, LaunchSeat, ToGame, ToServer};
use tictactoe::board::{Mark, Outcome};
use tictactoe::protocol::ServerMsg;

mod support;
use support::Player;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ttt-restore-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn server(dir: &Path) -> GameProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ggzd-tictactoe"));
    command.current_dir(dir);
    GameProcess::spawn(command, LaunchLayout::Trunk).unwrap()
}

fn restore_launch(game: &mut GameProcess, savegame: &str) {
    game.send(
        &ToGame::Launch {
            game: "TicTacToe".into(),
            savegame: Some(savegame.to_owned()),
            seats: vec![
                LaunchSeat::Reserved("ann".into()),
                LaunchSeat::Reserved("ben".into()),
            ],
            spectators: 0,
        },
        None,
    )
    .unwrap();
}

fn reported(game: &mut GameProcess) -> String {
    match game
        .expect(|m| matches!(m, ToServer::SavegameReport(_)))
        .unwrap()
    {
        ToServer::SavegameReport(name) => name,
        _ => unreachable!(),
    }
}

#[test]
fn a_killed_game_is_restored_and_finished() {
    let dir = temp_dir("killed");
    let mut first = server(&dir);
    first
        .launch("TicTacToe", vec![LaunchSeat::Open, LaunchSeat::Open])
        .unwrap();
    first.expect_state(GameState::Waiting).unwrap();
    let mut ann = Player::new(first.join(0, "ann").unwrap());
    let mut ben = Player::new(first.join(1, "ben").unwrap());
    first.expect_state(GameState::Playing).unwrap();
    let log_name = reported(&mut first);
    assert!(log_name.starts_with("events."));
    ann.play_accepted(0);
    ben.play_accepted(3);
    ann.play_accepted(1);
    // ann's move is in the log once ben hears of it.
    ben.until(|m| matches!(m, ServerMsg::Move { .. }));
    drop(first); // killed mid-game
    drop((ann, ben));

    let log = eventlog::load(dir.join(&log_name), 1 << 20, 100).unwrap();
    assert!(!log.complete, "the server died with the log open");
    let kinds: Vec<&str> = log.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["seat", "seat", "start", "move", "move", "move"]);

    let mut second = server(&dir);
    restore_launch(&mut second, &log_name);
    let new_name = reported(&mut second);
    assert_ne!(new_name, log_name);
    second.expect_state(GameState::Waiting).unwrap();
    let mut ann = Player::new(second.join(0, "ann").unwrap());
    let mut ben = Player::new(second.join(1, "ben").unwrap());
    second.expect_state(GameState::Playing).unwrap();
    // ben is on turn with the restored board; he blocks, ann wins anyway.
    let sync = ben.until(|m| matches!(m, ServerMsg::Sync { .. }));
    let ServerMsg::Sync { turn, cells } = sync else {
        unreachable!()
    };
    assert_eq!(turn, Some(Mark::Seat1));
    assert_eq!(&cells[..4], [0, 0, -1, 1]);
    ben.play_accepted(2);
    ann.play_accepted(4);
    ben.play_accepted(5);
    ann.play_accepted(8);
    let over = |m: &ServerMsg| matches!(m, ServerMsg::GameOver(_));
    assert_eq!(
        ben.until(over),
        ServerMsg::GameOver(Outcome::Win(Mark::Seat0))
    );
    second.expect(|m| matches!(m, ToServer::Report(_))).unwrap();
    let log = eventlog::load(dir.join(&new_name), 1 << 20, 100).unwrap();
    assert!(log.complete);
    let kinds: Vec<&str> = log.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "seat", "seat", "start", "move", "move", "move", // restored
            "seat", "seat", "move", "move", "move", "move", "over"
        ]
    );
    drop(second);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_illegal_log_fails_the_launch() {
    let dir = temp_dir("illegal");
    let mut log = EventLog::create(&dir, "TicTacToe").unwrap();
    log.append("seat", b"\x00ann").unwrap();
    log.append("seat", b"\x01ben").unwrap();
    log.append("start", b"").unwrap();
    log.append("move", &[0, 4]).unwrap();
    log.append("move", &[1, 4]).unwrap(); // the centre is taken
    let name = log.file_name().to_owned();
    drop(log);

    let mut game = server(&dir);
    restore_launch(&mut game, &name);
    let why = game
        .expect(|m| matches!(m, ToServer::Log(l) if l.contains("refusing to restore")))
        .unwrap();
    assert!(
        matches!(&why, ToServer::Log(l) if l.contains("event 5") && l.contains("taken")),
        "{why:?}"
    );
    // Never WAITING: DONE straight away, and a failed exit.
    assert_eq!(
        game.expect(|m| matches!(m, ToServer::State(_))).unwrap(),
        ToServer::State(GameState::Done)
    );
    let _ = game.channel();
    assert!(!game.wait_exit().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corrupt_log_fails_the_launch() {
    let dir = temp_dir("corrupt");
    let mut log = EventLog::create(&dir, "TicTacToe").unwrap();
    log.append("seat", b"\x00ann").unwrap();
    log.append("start", b"").unwrap();
    let name = log.file_name().to_owned();
    drop(log);
    let path = dir.join(&name);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("00616e6e", "00616e6f", 1)).unwrap();

    let mut game = server(&dir);
    restore_launch(&mut game, &name);
    let why = game
        .expect(|m| matches!(m, ToServer::Log(l) if l.contains("refusing to restore")))
        .unwrap();
    assert!(
        matches!(&why, ToServer::Log(l) if l.contains("chain")),
        "{why:?}"
    );
    assert_eq!(
        game.expect(|m| matches!(m, ToServer::State(_))).unwrap(),
        ToServer::State(GameState::Done)
    );
    assert!(!game.wait_exit().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}
