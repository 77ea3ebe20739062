//! The daemon side ([`ServerChannel`]) against the game side ([`Game`]) over
//! a real socket pair, with real passed descriptors. The example game
//! server as a child process is tested in `guess.rs`.

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use ggzdmod::{
    ChannelError, Event, Game, GameOptions, GameResult, GameState, LaunchLayout, LaunchSeat, Place,
    ReadEnd, ReportRecord, SeatKind, SeatResult, ServerChannel, ToGame, ToServer, WireError,
    control_socketpair,
};

fn setup(layout: LaunchLayout) -> (ServerChannel, Game) {
    let (d, c) = control_socketpair().unwrap();
    let ch = ServerChannel::new(d, layout).unwrap();
    let game = Game::from_fd(c, GameOptions::with_layout(layout)).unwrap();
    (ch, game)
}

/// Reads from the daemon side until `n` messages arrived (or a timeout).
fn expect_msgs(ch: &mut ServerChannel, n: usize) -> Vec<ToServer> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < n {
        assert!(Instant::now() < deadline, "timed out; got {got:?}");
        let out = ch.read_ready();
        got.extend(out.messages);
        match out.end {
            ReadEnd::WouldBlock | ReadEnd::Budget => {
                if got.len() < n {
                    let mut fds = [nix::poll::PollFd::new(
                        ch.as_fd(),
                        nix::poll::PollFlags::POLLIN,
                    )];
                    let _ = nix::poll::poll(&mut fds, 100u16);
                }
            }
            // A game that exits right after its last message.
            ReadEnd::Eof if got.len() >= n => break,
            other => panic!("channel ended: {other:?} after {got:?}"),
        }
    }
    assert_eq!(got.len(), n, "{got:?}");
    got
}

fn send(ch: &mut ServerChannel, msg: ToGame, fd: Option<OwnedFd>) {
    ch.send(&msg, fd).unwrap();
    assert!(ch.flush().unwrap());
}

fn player_pair() -> (UnixStream, OwnedFd) {
    let (client, server) = UnixStream::pair().unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (client, server.into())
}

#[test]
fn legacy_session_end_to_end() {
    let (mut ch, mut game) = setup(LaunchLayout::Legacy);
    // The game announces itself before anything else.
    assert!(matches!(&expect_msgs(&mut ch, 1)[0], ToServer::Log(s) if s.contains("connected")));

    send(
        &mut ch,
        ToGame::Launch {
            game: "guess".into(),
            savegame: None,
            seats: vec![LaunchSeat::Open, LaunchSeat::Bot(String::new())],
            spectators: 0,
        },
        None,
    );
    assert!(matches!(game.next_event().unwrap(), Event::Launch));
    assert_eq!(game.game_name(), "guess");
    assert_eq!(game.savegame(), None);
    assert_eq!(game.state(), GameState::Waiting);
    assert_eq!(game.num_seats(), 2);
    assert_eq!(game.seat(0).unwrap().kind(), SeatKind::Open);
    assert_eq!(game.seat(1).unwrap().kind(), SeatKind::Bot);
    assert_eq!(game.seat(1).unwrap().name(), Some("AI"));

    // CREATED -> WAITING is requested by the library itself.
    assert_eq!(
        expect_msgs(&mut ch, 1),
        vec![ToServer::State(GameState::Waiting)]
    );
    send(&mut ch, ToGame::StateAck, None);
    assert!(matches!(game.next_event().unwrap(), Event::StateAck));

    // A player joins with a real socket.
    let (mut bob, bob_fd) = player_pair();
    send(
        &mut ch,
        ToGame::Seat {
            num: 0,
            kind: SeatKind::Player,
            name: "bob".into(),
        },
        Some(bob_fd),
    );
    let ev = game.next_event().unwrap();
    assert!(ev.is_player_join(), "{ev:?}");
    match ev {
        Event::SeatChange { seat, old, new, .. } => {
            assert_eq!(seat, 0);
            assert_eq!(old.kind, SeatKind::Open);
            assert_eq!(new.kind, SeatKind::Player);
            assert_eq!(new.name.as_deref(), Some("bob"));
        }
        other => panic!("{other:?}"),
    }

    // Data from the player is signalled, and the socket works both ways.
    bob.write_all(b"hi\n").unwrap();
    assert!(matches!(
        game.next_event().unwrap(),
        Event::PlayerData { seat: 0 }
    ));
    let mut buf = [0u8; 3];
    game.seat_stream(0).unwrap().read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi\n");
    game.seat_stream(0).unwrap().write_all(b"yo").unwrap();
    let mut buf = [0u8; 2];
    bob.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"yo");

    // A spectator appears in slot 2 (slots grow on demand) ...
    let (mut eve, eve_fd) = player_pair();
    send(
        &mut ch,
        ToGame::SpectatorSeat {
            num: 2,
            name: "eve".into(),
        },
        Some(eve_fd),
    );
    assert!(matches!(
        game.next_event().unwrap(),
        Event::SpectatorJoin { spectator: 2, ref name } if name == "eve"
    ));
    assert_eq!(game.spectator_slots(), 3);
    eve.write_all(b"!").unwrap();
    assert!(matches!(
        game.next_event().unwrap(),
        Event::SpectatorData { spectator: 2 }
    ));
    let mut one = [0u8; 1];
    game.spectator_stream(2)
        .unwrap()
        .read_exact(&mut one)
        .unwrap();

    // ... the bot seat is opened, and she sits down there.
    send(
        &mut ch,
        ToGame::Seat {
            num: 1,
            kind: SeatKind::Open,
            name: String::new(),
        },
        None,
    );
    assert!(matches!(
        game.next_event().unwrap(),
        Event::SeatChange { seat: 1, .. }
    ));
    send(
        &mut ch,
        ToGame::Reseat {
            old: 2,
            was_spectator: true,
            new: 1,
            is_spectator: false,
        },
        None,
    );
    match game.next_event().unwrap() {
        Event::Reseat { from, to, name } => {
            assert_eq!(from, Place::Spectator(2));
            assert_eq!(to, Place::Seat(1));
            assert_eq!(name, "eve");
        }
        other => panic!("{other:?}"),
    }
    assert!(game.spectator(2).is_none());
    assert_eq!(game.seat(1).unwrap().name(), Some("eve"));
    game.seat_stream(1).unwrap().write_all(b"x").unwrap();
    eve.read_exact(&mut one).unwrap();
    assert_eq!(&one, b"x");

    game.set_state(GameState::Playing).unwrap();
    assert_eq!(
        expect_msgs(&mut ch, 1),
        vec![ToServer::State(GameState::Playing)]
    );

    // Bob leaves mid-game: ggzd marks him abandoned; his socket is handed
    // back in the event and closed when dropped.
    send(
        &mut ch,
        ToGame::Seat {
            num: 0,
            kind: SeatKind::Abandoned,
            name: "bob".into(),
        },
        None,
    );
    let ev = game.next_event().unwrap();
    assert!(ev.is_player_leave());
    match ev {
        Event::SeatChange { old_stream, .. } => drop(old_stream.unwrap()),
        other => panic!("{other:?}"),
    }
    let mut rest = Vec::new();
    assert_eq!(
        bob.read_to_end(&mut rest).unwrap(),
        0,
        "bob's socket closed"
    );

    // Report round trip, built libggzdmod-style from per-seat results.
    game.report_results(&[
        SeatResult::new(GameResult::Forfeit),
        SeatResult {
            result: GameResult::Win,
            score: 10,
            team: None,
        },
    ])
    .unwrap();
    game.report_savegame("save/1").unwrap();
    game.request_bot(0).unwrap();
    game.request_boot("eve").unwrap();
    game.log("bye");
    game.set_state(GameState::Done).unwrap();
    assert_eq!(
        expect_msgs(&mut ch, 6),
        vec![
            ToServer::Report(vec![
                ReportRecord {
                    name: "bob".into(),
                    kind: SeatKind::Abandoned,
                    team: 0,
                    result: GameResult::Forfeit,
                    score: 0,
                },
                ReportRecord {
                    name: "eve".into(),
                    kind: SeatKind::Player,
                    team: 1,
                    result: GameResult::Win,
                    score: 10,
                },
            ]),
            ToServer::SavegameReport("save/1".into()),
            ToServer::Bot(0),
            ToServer::Boot("eve".into()),
            ToServer::Log("bye".into()),
            ToServer::State(GameState::Done),
        ]
    );

    // Garbage from "ggzd" is an error value for the game, never a panic,
    // and the connection is finished afterwards.
    nix::unistd::write(ch.as_fd(), &[0, 0, 0, 42]).unwrap();
    assert!(matches!(
        game.next_event(),
        Err(ggzdmod::Error::Wire(WireError::UnknownOpcode(42)))
    ));
    assert!(matches!(game.next_event(), Err(ggzdmod::Error::Closed)));
}

#[test]
fn trunk_launch_with_savegame_and_close() {
    let (mut ch, mut game) = setup(LaunchLayout::Trunk);
    expect_msgs(&mut ch, 1);
    send(
        &mut ch,
        ToGame::Launch {
            game: "chess".into(),
            savegame: Some("/var/ggz/chess/save1".into()),
            seats: vec![LaunchSeat::Reserved("carol".into()), LaunchSeat::Open],
            spectators: 1,
        },
        None,
    );
    assert!(matches!(game.next_event().unwrap(), Event::Launch));
    assert_eq!(game.savegame(), Some("/var/ggz/chess/save1"));
    assert_eq!(game.seat(0).unwrap().kind(), SeatKind::Reserved);
    assert_eq!(game.seat(0).unwrap().name(), Some("carol"));
    assert_eq!(game.spectator_slots(), 1);
    assert_eq!(
        expect_msgs(&mut ch, 1),
        vec![ToServer::State(GameState::Waiting)]
    );

    // A player data event for a hung-up player is reported once only.
    let (carol, carol_fd) = player_pair();
    send(
        &mut ch,
        ToGame::Seat {
            num: 0,
            kind: SeatKind::Player,
            name: "carol".into(),
        },
        Some(carol_fd),
    );
    assert!(game.next_event().unwrap().is_player_join());
    drop(carol);
    assert!(matches!(
        game.next_event().unwrap(),
        Event::PlayerData { seat: 0 }
    ));
    let mut buf = [0u8; 4];
    assert_eq!(game.seat_stream(0).unwrap().read(&mut buf).unwrap(), 0);
    assert!(
        game.next_event_timeout(Some(Duration::from_millis(50)))
            .unwrap()
            .is_none(),
        "no repeated data events after hang-up"
    );

    // ggzd going away ends the game's event stream.
    drop(ch);
    assert!(matches!(game.next_event().unwrap(), Event::ControlClosed));
    assert!(matches!(game.next_event(), Err(ggzdmod::Error::Closed)));
}

#[test]
fn mismatched_layout_is_an_error_not_a_panic() {
    // ggzd sends the 0.99 layout to a game expecting 0.0.14.
    let (d, c) = control_socketpair().unwrap();
    let mut ch = ServerChannel::new(d, LaunchLayout::Trunk).unwrap();
    let mut game = Game::from_fd(c, GameOptions::with_layout(LaunchLayout::Legacy)).unwrap();
    send(
        &mut ch,
        ToGame::Launch {
            game: "fourinline".into(),
            savegame: None,
            seats: vec![LaunchSeat::Open, LaunchSeat::Bot(String::new())],
            spectators: 0,
        },
        None,
    );
    assert!(matches!(
        game.next_event(),
        Err(ggzdmod::Error::Wire(WireError::BadSeatKind(_)))
    ));
}

#[test]
fn a_game_that_is_not_told_reads_either_layout() {
    let shapes = [
        vec![LaunchSeat::Open],
        vec![LaunchSeat::Reserved("bob".into())],
        vec![LaunchSeat::Bot("Tarantula".into()), LaunchSeat::Open],
        vec![LaunchSeat::Open, LaunchSeat::Bot(String::new())],
    ];
    for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
        for seats in &shapes {
            let (d, c) = control_socketpair().unwrap();
            let mut ch = ServerChannel::new(d, layout).unwrap();
            let mut game = Game::from_fd(c, GameOptions::default()).unwrap();
            assert_eq!(game.layout(), None);
            let joins = seats
                .iter()
                .position(|s| !matches!(s, LaunchSeat::Bot(_)))
                .unwrap();
            send(
                &mut ch,
                ToGame::Launch {
                    game: "fourinline".into(),
                    savegame: None,
                    seats: seats.clone(),
                    spectators: 0,
                },
                None,
            );
            // The join is on the wire before the game reads anything: the
            // detection must not eat into it (its passed descriptor would
            // be lost).
            let (_bob, bob_fd) = player_pair();
            send(
                &mut ch,
                ToGame::Seat {
                    num: u32::try_from(joins).unwrap(),
                    kind: SeatKind::Player,
                    name: "bob".into(),
                },
                Some(bob_fd),
            );
            let what = format!("{layout} {seats:?}");
            assert!(
                matches!(game.next_event().unwrap(), Event::Launch),
                "{what}"
            );
            assert_eq!(game.layout(), Some(layout), "{what}");
            assert_eq!(game.num_seats(), seats.len(), "{what}");
            let ev = game.next_event().unwrap();
            assert!(ev.is_player_join(), "{what}: {ev:?}");
            assert!(game.seat_stream(joins).is_some(), "{what}");
        }
    }
}

#[test]
fn messages_before_launch_are_refused() {
    let (mut ch, mut game) = setup(LaunchLayout::Trunk);
    send(&mut ch, ToGame::StateAck, None);
    assert!(matches!(
        game.next_event(),
        Err(ggzdmod::Error::Protocol(_))
    ));
    assert!(matches!(
        game.set_state(GameState::Playing),
        Err(ggzdmod::Error::NotLaunched)
    ));
}

#[test]
fn garbage_from_game_is_an_error_for_the_daemon() {
    let (d, c) = control_socketpair().unwrap();
    let mut ch = ServerChannel::new(d, LaunchLayout::Trunk).unwrap();
    let mut game = UnixStream::from(c);
    // A good state request, then a string with an absurd length.
    game.write_all(&[0, 0, 0, 1, 2, 0, 0, 0, 3, 0x7f, 0xff, 0xff, 0xff])
        .unwrap();
    let out = ch.read_ready();
    assert_eq!(out.messages, vec![ToServer::State(GameState::Playing)]);
    assert!(matches!(
        out.end,
        ReadEnd::Error(ChannelError::Wire(WireError::BadStringLength(0x7fff_ffff)))
    ));
}

fn launched(seats: usize) -> (ServerChannel, Game) {
    let (mut ch, mut game) = setup(LaunchLayout::Trunk);
    send(
        &mut ch,
        ToGame::Launch {
            game: "g".into(),
            savegame: None,
            seats: vec![LaunchSeat::Open; seats],
            spectators: 0,
        },
        None,
    );
    assert!(matches!(game.next_event().unwrap(), Event::Launch));
    expect_msgs(&mut ch, 2);
    (ch, game)
}

fn join(ch: &mut ServerChannel, game: &mut Game, num: u32, name: &str) -> UnixStream {
    let (client, fd) = player_pair();
    send(
        ch,
        ToGame::Seat {
            num,
            kind: SeatKind::Player,
            name: name.into(),
        },
        Some(fd),
    );
    assert!(game.next_event().unwrap().is_player_join());
    client
}

#[test]
fn reseat_rules_follow_the_game_state() {
    let (mut ch, mut game) = launched(2);
    let mut ann = join(&mut ch, &mut game, 0, "ann");

    // Standing up while WAITING leaves an open seat.
    send(
        &mut ch,
        ToGame::Reseat {
            old: 0,
            was_spectator: false,
            new: 4,
            is_spectator: true,
        },
        None,
    );
    assert!(matches!(game.next_event().unwrap(), Event::Reseat { .. }));
    assert_eq!(game.seat(0).unwrap().kind(), SeatKind::Open);
    assert_eq!(game.seat(0).unwrap().name(), None);
    assert_eq!(game.spectator(4).unwrap().name(), "ann");
    assert_eq!(game.spectator_slots(), 5);

    // Sitting back down, then moving seats while PLAYING abandons the seat.
    send(
        &mut ch,
        ToGame::Reseat {
            old: 4,
            was_spectator: true,
            new: 0,
            is_spectator: false,
        },
        None,
    );
    assert!(matches!(game.next_event().unwrap(), Event::Reseat { .. }));
    game.set_state(GameState::Playing).unwrap();
    send(
        &mut ch,
        ToGame::Reseat {
            old: 0,
            was_spectator: false,
            new: 1,
            is_spectator: false,
        },
        None,
    );
    assert!(matches!(game.next_event().unwrap(), Event::Reseat { .. }));
    assert_eq!(game.seat(0).unwrap().kind(), SeatKind::Abandoned);
    assert_eq!(game.seat(0).unwrap().name(), Some("ann"));
    assert_eq!(game.seat(1).unwrap().kind(), SeatKind::Player);
    // Still the same connection.
    game.seat_stream(1).unwrap().write_all(b"k").unwrap();
    let mut b = [0u8; 1];
    ann.read_exact(&mut b).unwrap();

    // Moving from an empty seat is a protocol error.
    send(
        &mut ch,
        ToGame::Reseat {
            old: 0,
            was_spectator: false,
            new: 1,
            is_spectator: false,
        },
        None,
    );
    assert!(matches!(
        game.next_event(),
        Err(ggzdmod::Error::Protocol(_))
    ));
}

#[test]
fn spectators_replace_and_leave() {
    let (mut ch, mut game) = launched(1);
    let (_a, a_fd) = player_pair();
    send(
        &mut ch,
        ToGame::SpectatorSeat {
            num: 0,
            name: "a".into(),
        },
        Some(a_fd),
    );
    assert!(matches!(
        game.next_event().unwrap(),
        Event::SpectatorJoin { spectator: 0, .. }
    ));
    // Another spectator arriving in an occupied slot displaces the first:
    // one leave (with the old socket) and one join.
    let (_b, b_fd) = player_pair();
    send(
        &mut ch,
        ToGame::SpectatorSeat {
            num: 0,
            name: "b".into(),
        },
        Some(b_fd),
    );
    assert!(matches!(
        game.next_event().unwrap(),
        Event::SpectatorLeave { spectator: 0, ref name, .. } if name == "a"
    ));
    assert!(matches!(
        game.next_event().unwrap(),
        Event::SpectatorJoin { spectator: 0, ref name } if name == "b"
    ));
    send(
        &mut ch,
        ToGame::SpectatorSeat {
            num: 0,
            name: String::new(),
        },
        None,
    );
    assert!(matches!(
        game.next_event().unwrap(),
        Event::SpectatorLeave { spectator: 0, ref name, .. } if name == "b"
    ));
    assert_eq!(game.spectators().count(), 0);

    // A seat number outside the table is a protocol error.
    send(
        &mut ch,
        ToGame::Seat {
            num: 7,
            kind: SeatKind::Bot,
            name: String::new(),
        },
        None,
    );
    assert!(matches!(
        game.next_event(),
        Err(ggzdmod::Error::Protocol(_))
    ));
}

#[test]
fn resizing_changes_the_local_table() {
    let (mut ch, mut game) = launched(2);
    let _ann = join(&mut ch, &mut game, 1, "ann");
    game.request_num_seats(4).unwrap();
    assert_eq!(game.num_seats(), 4);
    assert_eq!(game.seat(3).unwrap().kind(), SeatKind::Open);
    game.request_num_seats(1).unwrap();
    assert_eq!(game.num_seats(), 1);
    assert!(game.request_num_seats(0).is_err());
    assert!(game.request_bot(1).is_err());
    game.request_open(0).unwrap();
    assert_eq!(
        expect_msgs(&mut ch, 3),
        vec![
            ToServer::NumSeats(4),
            ToServer::NumSeats(1),
            ToServer::Open(0)
        ]
    );
    // CREATED can never be requested.
    assert!(matches!(
        game.set_state(GameState::Created),
        Err(ggzdmod::Error::InvalidState(GameState::Created))
    ));
}
