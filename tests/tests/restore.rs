//! RESTORE end to end (docs/replays.md, docs/event-log.md §4): a
//! TicTacToe game server killed mid-game leaves an unfinished event log,
//! which ggzd stores; RESTORE relaunches the table from it with the same
//! players in reserved seats, and they finish the game. A stored log
//! edited in the database is refused: corrupt (its chain broken) or forged
//! (its chain recomputed, so only the seal notices).

use std::time::{Duration, Instant};

use ggzd_e2e::dio::*;
use ggzd_e2e::game_procs::kill_the_game_server;
use ggzd_e2e::*;

#[path = "support/played_db.rs"]
mod played_db;
use played_db::*;

/// A room offering a game with the trunk launch layout, which carries the
/// savegame: "TicTacToe (trunk)". Returns (room, game).
fn trunk_room(client: &mut Client) -> (i32, i32) {
    client.send("<LIST TYPE='room' FULL='true'/>").unwrap();
    let list = client
        .recv_until(TIMEOUT, |e| {
            (e.is("LIST") && e.attr("TYPE") == Some("room"))
                || (e.is("RESULT") && e.child("LIST").is_some())
        })
        .unwrap();
    let list = if list.is("RESULT") {
        list.child("LIST").unwrap().clone()
    } else {
        list
    };
    let room = list
        .children_named("ROOM")
        .find(|r| r.attr("NAME").is_some_and(|n| n.contains("(trunk)")))
        .expect("the trunk TicTacToe room")
        .clone();
    (
        room.attr("ID").unwrap().parse().unwrap(),
        room.attr("GAME").unwrap().parse().unwrap(),
    )
}

/// A guest in `room` with the `replays` extension.
fn player(server: &TestServer, name: &str, room: i32) -> Client {
    let mut c = server.guest_in_room(name, room);
    c.send("<EXTENSIONS NAMES='replays'/>").unwrap();
    c.recv_until(TIMEOUT, |e| e.is("EXTENSIONS")).unwrap();
    c
}

fn launch_two_open(client: &mut Client, game: i32) -> String {
    client
        .send(&format!(
            "<LAUNCH>\n<TABLE GAME='{game}' SEATS='2'>\n<DESC>ttt</DESC>\n\
             <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n"
        ))
        .unwrap();
    assert_eq!(result_code(client, "launch"), "ok");
    let join = client.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
    join.attr("TABLE").unwrap().to_string()
}

fn join(client: &mut Client, table: &str) {
    client
        .send(&format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"))
        .unwrap();
    assert_eq!(result_code(client, "join"), "ok");
    client.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
}

/// Kills the one game server of the test's ggzd; both players are told
/// the table ended.
fn kill_game_server(server: &TestServer, players: [&mut Client; 2]) {
    kill_the_game_server(server);
    for p in players {
        let leave = p.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
        assert_eq!(leave.attr("REASON"), Some("gameerror"));
    }
}

/// The newest played game of `client` with this status, once ggzd has
/// stored it (recording runs on a worker after the table ends).
fn played(client: &mut Client, status: &str) -> Element {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        client.send("<LIST TYPE='played'/>").unwrap();
        let result = client.expect_result("list", TIMEOUT).unwrap();
        assert_eq!(result.attr("CODE"), Some("ok"), "{result:?}");
        let found = result.child("LIST").and_then(|l| {
            l.children_named("PLAYED")
                .find(|p| p.attr("STATUS") == Some(status))
                .cloned()
        });
        if let Some(p) = found {
            return p;
        }
        assert!(Instant::now() < deadline, "no {status} game was stored");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn restore(client: &mut Client, id: &str) -> Element {
    client.send(&format!("<RESTORE ID='{id}'/>")).unwrap();
    client.expect_result("restore", TIMEOUT).unwrap()
}

/// Plays `moves` starting with `first`, each accepted and shown to the
/// other seat.
fn play_from(dios: &mut [&mut Dio; 2], first: usize, moves: &[i32]) {
    for (n, square) in moves.iter().enumerate() {
        let seat = (first + n) % 2;
        dios[seat].until(|m| *m == Msg::ReqMove);
        dios[seat].send_move(*square);
        assert_eq!(
            dios[seat].until(|m| matches!(m, Msg::RspMove(_))),
            Msg::RspMove(0)
        );
        let shown = dios[1 - seat].until(|m| matches!(m, Msg::Move { .. }));
        assert_eq!(
            shown,
            Msg::Move {
                player: seat as i32,
                square: *square
            }
        );
    }
}

/// alice and bob start a game, play `moves`, and its server is killed.
/// Returns the id of the stored unfinished game.
fn a_killed_game(
    server: &TestServer,
    alice: &mut Client,
    bob: &mut Client,
    game: i32,
    game_name: &str,
) -> String {
    let mut alice_dio = Dio::open(server, "alice");
    let table = launch_two_open(alice, game);
    let mut bob_dio = Dio::open(server, "bob");
    join(bob, &table);
    play_from(&mut [&mut alice_dio, &mut bob_dio], 0, &[0, 3, 1]);
    kill_game_server(server, [alice, bob]);
    let p = played(alice, "unfinished");
    assert_eq!(p.attr("GAME"), Some(game_name), "{p:?}");
    let seats: Vec<(Option<&str>, Option<&str>)> = p
        .children_named("SEAT")
        .map(|s| (s.attr("NAME"), s.attr("RESULT")))
        .collect();
    assert_eq!(
        seats,
        [(Some("alice"), Some("none")), (Some("bob"), Some("none"))]
    );
    p.attr("ID").unwrap().to_owned()
}

#[test]
fn a_crashed_table_is_restored_from_its_log_and_finished() {
    let server = TestServer::start();
    let mut lobby = server.guest("lou");
    let (room, game) = trunk_room(&mut lobby);
    crash_restore_finish(&server, room, game, "TicTacToe (trunk)");
}

/// The classic room's TicTacToe gets the legacy launch message, which has
/// no savegame field: ggzd hands the savegame over in the environment.
#[test]
fn a_crashed_table_of_the_classic_room_is_restored_too() {
    let server = TestServer::start();
    crash_restore_finish(&server, 1, 0, "TicTacToe");
}

fn crash_restore_finish(server: &TestServer, room: i32, game: i32, game_name: &str) {
    let mut alice = player(server, "alice", room);
    let mut bob = player(server, "bob", room);
    let id = a_killed_game(server, &mut alice, &mut bob, game, game_name);

    // alice asks; both players are told where their seats wait.
    let result = restore(&mut alice, &id);
    assert_eq!(result.attr("CODE"), Some("ok"), "{result:?}");
    let table = result.attr("TABLE").unwrap().to_owned();
    for (p, seat) in [(&mut alice, "0"), (&mut bob, "1")] {
        let restored = p.recv_until(TIMEOUT, |e| e.is("RESTORED")).unwrap();
        assert_eq!(restored.attr("ROOM"), Some(room.to_string().as_str()));
        assert_eq!(restored.attr("TABLE"), Some(table.as_str()));
        assert_eq!(restored.attr("SEAT"), Some(seat));
    }
    // Both JOIN, as after MATCHED; bob is to move on the restored board.
    let mut alice_dio = Dio::open(server, "alice");
    join(&mut alice, &table);
    let mut bob_dio = Dio::open(server, "bob");
    join(&mut bob, &table);
    let sync = bob_dio.until(|m| matches!(m, Msg::Sync { .. }));
    let Msg::Sync { turn, cells } = sync else {
        unreachable!()
    };
    assert_eq!(turn, 1);
    assert_eq!(&cells[..4], [0, 0, -1, 1], "the moves before the crash");
    // bob blocks the top row; alice wins on the diagonal.
    play_from(&mut [&mut alice_dio, &mut bob_dio], 1, &[2, 4, 5]);
    alice_dio.until(|m| *m == Msg::ReqMove);
    alice_dio.send_move(8);
    assert_eq!(alice_dio.until_game_over(), Msg::GameOver(0));
    assert_eq!(bob_dio.until_game_over(), Msg::GameOver(0));
    // The restored game is stored finished, with the whole story.
    let p = played(&mut alice, "finished");
    let results: Vec<Option<&str>> = p.children_named("SEAT").map(|s| s.attr("RESULT")).collect();
    assert_eq!(results, [Some("win"), Some("loss")]);
    // seat, seat, start, 3 moves; the new log: seat, seat, 4 moves, over.
    assert_eq!(p.attr("EVENTS"), Some("13"), "{p:?}");
}

#[test]
fn corrupt_and_forged_logs_are_refused_with_a_reason() {
    if store::on_postgres() {
        // The test edits the SQLite file; the seal itself is tested on
        // both backends in the store's tests.
        return;
    }
    let server = TestServer::start();
    let mut lobby = server.guest("lou");
    let (room, game) = trunk_room(&mut lobby);
    let mut alice = player(&server, "alice", room);
    let mut bob = player(&server, "bob", room);
    let id = a_killed_game(&server, &mut alice, &mut bob, game, "TicTacToe (trunk)");
    let original = stored_log(&server, &id);

    // Corrupt: alice's second move now says cell 2; the chain breaks.
    set_stored_log(&server, &id, &corrupted(&original));
    assert_refused_as_corrupt(&restore(&mut alice, &id));

    // Forged: the same change with every check recomputed. The log is
    // well formed; only the seal tells.
    set_stored_log(&server, &id, &forged(&original));
    assert_refused_as_forged(&restore(&mut alice, &id));

    // The untouched log restores.
    set_stored_log(&server, &id, &original);
    assert_eq!(restore(&mut alice, &id).attr("CODE"), Some("ok"));
    // Someone who did not play it may not.
    let mut eve = player(&server, "eve", room);
    let result = restore(&mut eve, &id);
    assert_eq!(result.attr("CODE"), Some("no permission"), "{result:?}");
}
