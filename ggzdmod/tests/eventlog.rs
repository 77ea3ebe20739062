//! The event log through [`Game`]: created in the game's directory,
//! reported to ggzd as the savegame, replaced on a rematch, and read back
//! from the savegame of a restore launch.

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ggzdmod::eventlog::{self, EventLog, LogError};
use ggzdmod::{
    Event, Game, GameOptions, GameState, LaunchLayout, LaunchSeat, ReadEnd, ServerChannel, ToGame,
    ToServer, control_socketpair,
};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ggzdmod-evtest-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn expect_msgs(ch: &mut ServerChannel, n: usize) -> Vec<ToServer> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < n {
        assert!(Instant::now() < deadline, "timed out; got {got:?}");
        let out = ch.read_ready();
        got.extend(out.messages);
        match out.end {
            ReadEnd::WouldBlock | ReadEnd::Budget => {
                let mut fds = [nix::poll::PollFd::new(
                    ch.as_fd(),
                    nix::poll::PollFlags::POLLIN,
                )];
                let _ = nix::poll::poll(&mut fds, 100u16);
            }
            other => panic!("channel ended: {other:?} after {got:?}"),
        }
    }
    got
}

fn launch(game_name: &str, savegame: Option<&str>, dir: &PathBuf) -> (ServerChannel, Game) {
    let (d, c) = control_socketpair().unwrap();
    let mut ch = ServerChannel::new(d, LaunchLayout::Trunk).unwrap();
    let mut game = Game::from_fd(c, GameOptions::with_layout(LaunchLayout::Trunk)).unwrap();
    game.set_event_log_dir(dir);
    expect_msgs(&mut ch, 1);
    ch.send(
        &ToGame::Launch {
            game: game_name.into(),
            savegame: savegame.map(str::to_owned),
            seats: vec![LaunchSeat::Open, LaunchSeat::Open],
            spectators: 0,
        },
        None,
    )
    .unwrap();
    assert!(ch.flush().unwrap());
    assert!(matches!(game.next_event().unwrap(), Event::Launch));
    assert_eq!(
        expect_msgs(&mut ch, 1),
        [ToServer::State(GameState::Waiting)]
    );
    (ch, game)
}

#[test]
fn a_log_per_game_reported_as_the_savegame() {
    let dir = temp_dir("report");
    let (mut ch, mut game) = launch("TicTacToe", None, &dir);
    assert!(game.read_savegame_log(10).unwrap().is_none());
    assert!(game.record("move", &[0, 4]).is_err(), "no log open yet");

    let first = game.start_event_log().unwrap().file_name().to_owned();
    assert_eq!(
        expect_msgs(&mut ch, 1),
        [ToServer::SavegameReport(first.clone())]
    );
    assert_eq!(game.record("start", b"").unwrap(), 1);
    assert_eq!(game.record("move", &[0, 4]).unwrap(), 2);
    assert_eq!(game.event_log().unwrap().version(), 2);

    // A rematch: the old log is finished, a new one reported.
    let second = game.start_event_log().unwrap().file_name().to_owned();
    assert_ne!(first, second);
    assert_eq!(
        expect_msgs(&mut ch, 1),
        [ToServer::SavegameReport(second.clone())]
    );
    let old = eventlog::load(dir.join(&first), 1 << 20, 10).unwrap();
    assert!(old.complete);
    assert_eq!(old.game, "TicTacToe");
    assert_eq!(old.events.len(), 2);
    assert_eq!(game.record("start", b"").unwrap(), 1);
    game.finish_event_log().unwrap();
    assert!(game.event_log().is_none());
    let new = eventlog::load(dir.join(&second), 1 << 20, 10).unwrap();
    assert!(new.complete && new.events.len() == 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_restore_launch_reads_the_savegame_and_goes_on() {
    let dir = temp_dir("restore");
    let mut old = EventLog::create(&dir, "TicTacToe").unwrap();
    old.append("start", b"").unwrap();
    old.append("move", &[0, 4]).unwrap();
    let name = old.file_name().to_owned();
    drop(old);

    let (mut ch, mut game) = launch("TicTacToe", Some(&name), &dir);
    let parsed = game.read_savegame_log(10).unwrap().unwrap();
    assert_eq!(parsed.events.len(), 2);
    assert!(!parsed.complete);
    let log = game.restore_event_log(&parsed.events).unwrap();
    assert_eq!(log.version(), 2);
    let new_name = log.file_name().to_owned();
    assert_eq!(
        expect_msgs(&mut ch, 1),
        [ToServer::SavegameReport(new_name.clone())]
    );
    assert_eq!(game.record("move", &[1, 0]).unwrap(), 3);
    let reread = eventlog::load(dir.join(&new_name), 1 << 20, 10).unwrap();
    assert_eq!(reread.events[..2], parsed.events[..]);

    // Too many events for the game's bound.
    assert_eq!(game.read_savegame_log(1), Err(LogError::TooLarge));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_savegame_of_another_game_or_no_log_is_refused() {
    let dir = temp_dir("refuse");
    let other = EventLog::create(&dir, "Chess").unwrap();
    let name = other.file_name().to_owned();
    drop(other);
    let (_ch, game) = launch("TicTacToe", Some(&name), &dir);
    let err = game.read_savegame_log(10).unwrap_err();
    assert!(err.to_string().contains("Chess"), "{err}");

    std::fs::write(dir.join("savegame.abcdef"), "player1 join al\n").unwrap();
    let (_ch, game) = launch("TicTacToe", Some("savegame.abcdef"), &dir);
    assert_eq!(game.read_savegame_log(10), Err(LogError::NotALog));
    let (_ch, game) = launch("TicTacToe", Some("missing"), &dir);
    assert!(matches!(game.read_savegame_log(10), Err(LogError::Io(_))));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_game_that_restores_confirms_the_launch_itself() {
    let dir = temp_dir("confirm");
    let old = EventLog::create(&dir, "TicTacToe").unwrap();
    let name = old.file_name().to_owned();
    drop(old);
    let (d, c) = control_socketpair().unwrap();
    let mut ch = ServerChannel::new(d, LaunchLayout::Trunk).unwrap();
    let mut game = Game::from_fd(c, GameOptions::with_layout(LaunchLayout::Trunk)).unwrap();
    game.set_event_log_dir(&dir);
    game.set_restores_savegames(true);
    expect_msgs(&mut ch, 1);
    ch.send(
        &ToGame::Launch {
            game: "TicTacToe".into(),
            savegame: Some(name),
            seats: vec![LaunchSeat::Open, LaunchSeat::Open],
            spectators: 0,
        },
        None,
    )
    .unwrap();
    assert!(ch.flush().unwrap());
    assert!(matches!(game.next_event().unwrap(), Event::Launch));
    assert!(game.restore_pending());
    assert_eq!(game.state(), GameState::Created);
    // Nothing went to ggzd yet: the restore is not confirmed.
    game.log("replaying");
    assert_eq!(expect_msgs(&mut ch, 1), [ToServer::Log("replaying".into())]);
    let parsed = game.read_savegame_log(10).unwrap().unwrap();
    let new_name = game
        .restore_event_log(&parsed.events)
        .unwrap()
        .file_name()
        .to_owned();
    game.set_state(GameState::Waiting).unwrap();
    assert!(!game.restore_pending());
    assert_eq!(
        expect_msgs(&mut ch, 2),
        [
            ToServer::SavegameReport(new_name),
            ToServer::State(GameState::Waiting)
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
