//! RESTORE in the zone (docs/replays.md, docs/event-log.md §4): the
//! request's checks, the worker's answer, the launched table with the log
//! as its savegame, RESULT and RESTORED when it is ready, and a launch the
//! game server refuses.

use ggzdmod::wire::{GameState, LaunchLayout, LaunchSeat, ToGame, ToServer};

use super::*;
use crate::store::replays::{PlayedSeat, PlayedSeatKind, SeatResult};
use crate::zone::tables::Restorable;

fn tictactoe(layout: LaunchLayout) -> crate::games::GameDesc {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../games/tictactoe.toml"
    ));
    let mut desc = crate::games::load_game_file(&path, std::path::Path::new("/g"), layout)
        .expect("the shipped TicTacToe description")
        .0;
    desc.launch_layout = layout;
    desc
}

/// The lobby and a TicTacToe room (1).
fn world(layout: LaunchLayout) -> World {
    let mut play = room("play", "Play");
    play.game = Some("TicTacToe".into());
    play.max_tables = 10;
    let now = Instant::now();
    World {
        zone: Zone::new(
            settings(),
            vec![tictactoe(layout)],
            vec![room("entry", "Lobby"), play],
            Motd::from_text("hello"),
            now,
        ),
        sink: Recorder::default(),
        now,
        next_slot: 0,
    }
}

fn with_replays(w: &mut World, name: &str) -> ConnId {
    let conn = w.guest_in(name, 1);
    w.send(conn, "<EXTENSIONS NAMES='replays'/>");
    w.sink.take(conn);
    conn
}

fn reply(w: &mut World, conn: ConnId) -> String {
    w.sink.take(conn).concat()
}

fn take_job(w: &mut World) -> RestoreJob {
    match w.sink.jobs.pop() {
        Some(Job::Restore(job)) => *job,
        other => panic!("expected a restore job, got {other:?}"),
    }
}

fn seat(seat: u32, name: &str, kind: PlayedSeatKind) -> PlayedSeat {
    PlayedSeat {
        seat,
        name: name.into(),
        kind,
        result: SeatResult::None,
    }
}

fn done(job: &RestoreJob, outcome: Result<Restorable, (ResultCode, String)>) -> RestoreDone {
    RestoreDone {
        conn: job.conn,
        canonical: job.canonical.clone(),
        id: job.id,
        room: job.room,
        outcome,
    }
}

/// Guest ann asks to restore game `id` (ann against the bot), and the
/// store answers with a verified log in `restore.AbC123`.
fn ann_restores_against_the_bot(layout: LaunchLayout, id: u32) -> (World, ConnId) {
    let mut w = world(layout);
    let ann = with_replays(&mut w, "ann");
    w.send(ann, &format!("<RESTORE ID='{id}'/>"));
    let job = take_job(&mut w);
    let restorable = Restorable {
        file: "restore.AbC123".into(),
        seats: vec![
            seat(0, "ann", PlayedSeatKind::Guest),
            seat(1, "AI", PlayedSeatKind::Bot),
        ],
    };
    w.zone
        .on_restore_done(done(&job, Ok(restorable)), w.now, &mut w.sink);
    (w, ann)
}

#[test]
fn restore_needs_the_extension_and_an_id() {
    let mut w = world(LaunchLayout::Trunk);
    let plain = w.guest_in("lou", 1);
    w.send(plain, "<RESTORE ID='3'/>");
    assert!(
        w.sink.take(plain).is_empty(),
        "unknown without the extension"
    );
    assert!(w.sink.jobs.is_empty());

    let ann = with_replays(&mut w, "ann");
    w.send(ann, "<RESTORE/>");
    assert_eq!(
        reply(&mut w, ann),
        "<RESULT ACTION='restore' CODE='bad options' REASON='unknown id'/>\n"
    );
    w.send(ann, "<RESTORE ID='3'/>");
    let job = take_job(&mut w);
    assert_eq!((job.id, job.room, job.admin), (3, 1, false));
    assert_eq!(job.canonical, "ann");
    assert!(job.games.contains(&"TicTacToe".to_owned()));
    assert_eq!(job.dir, PathBuf::from("/nonexistent/gamedata/TicTacToe"));
    // One at a time.
    w.send(ann, "<RESTORE ID='3'/>");
    assert_eq!(
        reply(&mut w, ann),
        "<RESULT ACTION='restore' CODE='in transit' REASON='busy'/>\n"
    );
    // The worker's refusal goes back as it is.
    w.zone.on_restore_done(
        done(
            &job,
            Err((ResultCode::BadOptions, "the event log is forged".into())),
        ),
        w.now,
        &mut w.sink,
    );
    assert_eq!(
        reply(&mut w, ann),
        "<RESULT ACTION='restore' CODE='bad options' REASON='the event log is forged'/>\n"
    );
    assert!(w.sink.spawned.is_empty());
}

#[test]
fn a_legacy_layout_game_gets_the_savegame_in_its_environment() {
    let (w, _) = ann_restores_against_the_bot(LaunchLayout::Legacy, 3);
    let (_, spec) = &w.sink.spawned[0];
    let ToGame::Launch { savegame, .. } = &spec.launch else {
        panic!("{:?}", spec.launch);
    };
    assert_eq!(*savegame, None, "the legacy message has no savegame");
    assert_eq!(spec.savegame_env.as_deref(), Some("restore.AbC123"));
}

#[test]
fn a_restored_table_reserves_the_seats_and_tells_the_players() {
    let mut w = world(LaunchLayout::Trunk);
    let ann = with_replays(&mut w, "ann");
    let bob = w.guest_in("bob", 0); // an original client, elsewhere
    w.send(ann, "<RESTORE ID='7'/>");
    let job = take_job(&mut w);
    let restorable = Restorable {
        file: "restore.AbC123".into(),
        seats: vec![
            seat(0, "ann", PlayedSeatKind::Guest),
            seat(1, "bob", PlayedSeatKind::Player),
        ],
    };
    w.zone
        .on_restore_done(done(&job, Ok(restorable)), w.now, &mut w.sink);
    let [(serial, spec)] = w.sink.spawned.as_slice() else {
        panic!("one table");
    };
    let serial = *serial;
    let ToGame::Launch {
        savegame, seats, ..
    } = &spec.launch
    else {
        panic!("{:?}", spec.launch);
    };
    assert_eq!(savegame.as_deref(), Some("restore.AbC123"));
    assert_eq!(
        seats,
        &[
            LaunchSeat::Reserved("ann".into()),
            LaunchSeat::Reserved("bob".into())
        ]
    );
    assert!(w.sink.take(ann).is_empty(), "nothing until it is ready");
    // The game server restored: it reports its new log, then WAITING.
    for m in [
        ToServer::SavegameReport("events.XyZ789".into()),
        ToServer::State(GameState::Waiting),
    ] {
        w.zone
            .on_table_event(serial, TableEvent::Message(m), w.now, &mut w.sink);
    }
    let out = reply(&mut w, ann);
    assert!(
        out.contains("<RESULT ACTION='restore' CODE='ok' TABLE='1'/>"),
        "{out}"
    );
    assert!(
        out.contains("<RESTORED ROOM='1' TABLE='1' SEAT='0'/>"),
        "{out}"
    );
    let out = reply(&mut w, bob);
    assert!(!out.contains("RESTORED"), "{out}");
    assert!(out.contains("<CHAT TYPE='private' FROM='Pat'>"), "{out}");
    assert!(out.contains("seat 1"), "{out}");
}

#[test]
fn a_launch_the_game_server_refuses_is_a_clear_failure() {
    let (mut w, ann) = ann_restores_against_the_bot(LaunchLayout::Trunk, 7);
    let (serial, spec) = w.sink.spawned[0].clone();
    let ToGame::Launch { seats, .. } = &spec.launch else {
        panic!();
    };
    assert_eq!(
        seats,
        &[
            LaunchSeat::Reserved("ann".into()),
            LaunchSeat::Bot(String::new())
        ],
        "bots stay bots"
    );
    // DONE before WAITING: the game server refused the log.
    w.zone.on_table_event(
        serial,
        TableEvent::Message(ToServer::State(GameState::Done)),
        w.now,
        &mut w.sink,
    );
    let out = reply(&mut w, ann);
    assert!(
        out.contains("<RESULT ACTION='restore' CODE='launch fail' REASON='the game server refused the event log"),
        "{out}"
    );
    assert_eq!(w.sink.ended, vec![serial]);
}

#[test]
fn seats_that_do_not_fit_the_game_are_refused() {
    let mut w = world(LaunchLayout::Trunk);
    let ann = with_replays(&mut w, "ann");
    w.send(ann, "<RESTORE ID='7'/>");
    let job = take_job(&mut w);
    let restorable = Restorable {
        file: "restore.AbC123".into(),
        seats: vec![seat(4, "ann", PlayedSeatKind::Guest)],
    };
    w.zone
        .on_restore_done(done(&job, Ok(restorable)), w.now, &mut w.sink);
    let out = reply(&mut w, ann);
    assert!(
        out.contains("CODE='bad options'") && out.contains("5 seats"),
        "{out}"
    );
    assert!(w.sink.spawned.is_empty());
}

#[test]
fn a_game_server_that_ignores_the_savegame_fails_the_restore() {
    let (mut w, ann) = ann_restores_against_the_bot(LaunchLayout::Trunk, 7);
    let serial = w.sink.spawned[0].0;
    // WAITING at once, no new log: it started a fresh game.
    w.zone.on_table_event(
        serial,
        TableEvent::Message(ToServer::State(GameState::Waiting)),
        w.now,
        &mut w.sink,
    );
    let out = reply(&mut w, ann);
    assert!(
        out.contains("CODE='launch fail' REASON='the game server does not restore savegames'"),
        "{out}"
    );
    assert!(!out.contains("RESTORED"), "{out}");
    assert_eq!(w.sink.ended, vec![serial]);
}
