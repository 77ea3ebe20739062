//! Rejoin after a disconnect (docs/client-server.md §11.7,
//! docs/extensions.md §3), through the real ggzd and `ggzd-tictactoe`: a
//! player whose client dies mid-game finds the seat held, gets it back by
//! logging in again, and the board comes back over the new game channel.

use ggzd_e2e::dio::*;
use ggzd_e2e::tables::launch_open_table;
use ggzd_e2e::*;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;

fn server(grace: u32) -> TestServer {
    TestServer::start_with(ServerOptions {
        extra_config: format!("[rejoin]\ngrace = {grace}\n"),
        ..Default::default()
    })
}

/// alice (seat 0) and bob (seat 1) at a fresh table, both with their game
/// channels; returns the table id.
fn table_for_two(server: &TestServer, alice: &mut Client, bob: &mut Client) -> (String, Dio, Dio) {
    let alice_dio = Dio::open(server, "alice");
    let table = launch_open_table(alice, "rejoin");
    let bob_dio = Dio::open(server, "bob");
    assert_eq!(
        request(bob, &format!("<JOIN TABLE='{table}'/>"), "join"),
        "ok"
    );
    playing(alice);
    (table, alice_dio, bob_dio)
}

/// Waits until ggzd has the table playing (status 2): only then is a
/// seat left "mid-game".
fn playing(client: &mut Client) {
    client
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE")
                && e.attr("ACTION") == Some("status")
                && e.child("TABLE").and_then(|t| t.attr("STATUS")) == Some("2")
        })
        .expect("the table plays");
}

/// The next `UPDATE TYPE='table' ACTION='seat'` showing seat `num` of
/// kind `kind`; returns the seat's text (the name).
fn seat_update(client: &mut Client, num: &str, kind: &str) -> String {
    table_update(client, "seat", num, kind)
}

/// The next `UPDATE TYPE='table'` of this action showing seat `num` of
/// kind `kind`; returns the seat's text (the name).
fn table_update(client: &mut Client, action: &str, num: &str, kind: &str) -> String {
    let update = client
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE")
                && e.attr("ACTION") == Some(action)
                && e.child("TABLE")
                    .and_then(|t| t.child("SEAT"))
                    .is_some_and(|s| s.attr("NUM") == Some(num) && s.attr("TYPE") == Some(kind))
        })
        .unwrap_or_else(|e| panic!("no seat {num} {kind} update: {e}"));
    update
        .child("TABLE")
        .and_then(|t| t.child("SEAT"))
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Logs in as a guest that asked for `rejoin` first; returns the client
/// and the REJOIN it was sent, if any, before its MOTD.
fn rejoining_guest(server: &TestServer, name: &str) -> (Client, Option<Element>) {
    let mut client = server.connect();
    client.send("<EXTENSIONS NAMES='rejoin'/>").unwrap();
    let on = client.recv_until(TIMEOUT, |e| e.is("EXTENSIONS")).unwrap();
    assert_eq!(on.attr("NAMES"), Some("rejoin"));
    assert_eq!(
        client
            .login(LoginKind::Guest, name, None, None)
            .unwrap()
            .code,
        "ok"
    );
    client.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    // REJOIN, if any, follows the MOTD at once; a PING answered proves
    // nothing else was pending.
    client.send("<PING ID='x'/>").unwrap();
    let mut rejoin = None;
    loop {
        let e = client.recv(TIMEOUT).unwrap().expect("a message");
        if e.is("REJOIN") {
            rejoin = Some(e);
        } else if e.is("PONG") {
            return (client, rejoin);
        }
    }
}

#[test]
fn a_killed_client_logs_back_in_takes_its_seat_and_finishes_the_game() {
    let server = server(600);
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    let (table, mut alice_dio, mut bob_dio) = table_for_two(&server, &mut alice, &mut bob);
    // carol watches the table.
    let mut carol = server.guest_in_room("carol", ROOM);
    let mut carol_dio = Dio::open(&server, "carol");
    carol
        .send(&format!("<JOIN TABLE='{table}' SPECTATOR='true'/>"))
        .unwrap();
    assert_eq!(result_code(&mut carol, "join"), "ok");
    play(&mut [&mut alice_dio, &mut bob_dio], &[4, 0]);

    // bob's client dies: both its connections go at once.
    drop(bob);
    drop(bob_dio);
    assert_eq!(seat_update(&mut carol, "1", "abandoned"), "bob");
    // Only the 0.0.14 protocol tells the game's clients about seats
    // (docs/tictactoe.md §3); a trunk server leaves it to the room.
    if ttt_server::sends_seats() {
        let held = carol_dio.until(|m| matches!(m, Msg::Players(p) if p[1].0 == 5));
        assert_eq!(
            held,
            Msg::Players(vec![(3, "alice".into()), (5, "bob".into())])
        );
    }

    // eve may not take the seat, whichever way she asks.
    let mut eve = server.guest_in_room("eve", ROOM);
    let _eve_dio = Dio::open(&server, "eve");
    let join = format!("<JOIN TABLE='{table}' SPECTATOR='false'/>");
    assert_eq!(request(&mut eve, &join, "join"), "table full");
    let _eve_dio = Dio::open(&server, "eve");
    let join = format!("<JOIN TABLE='{table}' SEAT='1'/>");
    assert_eq!(request(&mut eve, &join, "join"), "table full");

    // bob logs back in and is told where his seat is.
    let (mut bob, rejoin) = rejoining_guest(&server, "bob");
    let rejoin = rejoin.expect("a REJOIN after login");
    assert_eq!(rejoin.attr("ROOM"), Some("1"));
    assert_eq!(rejoin.attr("TABLE"), Some(table.as_str()));
    assert_eq!(rejoin.attr("SEAT"), Some("1"));
    enter(&mut bob, ROOM);
    let mut bob_dio = Dio::open(&server, "bob");
    assert_eq!(
        request(&mut bob, &format!("<JOIN TABLE='{table}'/>"), "join"),
        "ok"
    );
    if ttt_server::sends_seats() {
        assert_eq!(bob_dio.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(1));
    }
    let Msg::Sync { cells, .. } = bob_dio.until(|m| matches!(m, Msg::Sync { .. })) else {
        unreachable!()
    };
    assert_eq!((cells[4], cells[0]), (0, 1), "the board came back");
    // The spectator sees him back: in the game where it says seats, in
    // the room always.
    if ttt_server::sends_seats() {
        let back = carol_dio.until(|m| matches!(m, Msg::Players(p) if p[1].0 == 3));
        assert_eq!(
            back,
            Msg::Players(vec![(3, "alice".into()), (3, "bob".into())])
        );
    }
    assert_eq!(table_update(&mut carol, "join", "1", "player"), "bob");

    // And they play it out: alice completes the middle column.
    play(&mut [&mut alice_dio, &mut bob_dio], &[1, 8, 7]);
    assert_eq!(bob_dio.until_game_over(), Msg::GameOver(0));
    assert_eq!(carol_dio.until_game_over(), Msg::GameOver(0));
}

#[test]
fn after_the_grace_the_seat_opens_and_nobody_is_told_to_rejoin() {
    let server = server(1);
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    let (table, mut alice_dio, mut bob_dio) = table_for_two(&server, &mut alice, &mut bob);
    play(&mut [&mut alice_dio, &mut bob_dio], &[4]);
    drop(bob);
    drop(bob_dio);
    assert_eq!(seat_update(&mut alice, "1", "abandoned"), "bob");
    // Polled, never timed: the open seat arrives when the grace is over.
    assert_eq!(seat_update(&mut alice, "1", "open"), "");
    let (_bob, rejoin) = rejoining_guest(&server, "bob");
    assert!(rejoin.is_none(), "the seat is not held any more");
    // Anyone may sit now, and the game goes on where it stopped.
    let mut dan = server.guest_in_room("dan", ROOM);
    let mut dan_dio = Dio::open(&server, "dan");
    assert_eq!(
        request(&mut dan, &format!("<JOIN TABLE='{table}'/>"), "join"),
        "ok"
    );
    let Msg::Sync { cells, .. } = dan_dio.until(|m| matches!(m, Msg::Sync { .. })) else {
        unreachable!()
    };
    assert_eq!(cells[4], 0);
}

#[test]
fn an_original_client_gets_no_rejoin_but_may_join_its_abandoned_seat() {
    let server = server(600);
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    let (table, mut alice_dio, mut bob_dio) = table_for_two(&server, &mut alice, &mut bob);
    play(&mut [&mut alice_dio, &mut bob_dio], &[4, 0]);
    drop(bob);
    drop(bob_dio);
    assert_eq!(seat_update(&mut alice, "1", "abandoned"), "bob");

    // Only protocol-10 elements, as ggzcore sends them.
    let mut bob = server.guest("bob");
    enter(&mut bob, ROOM);
    bob.send("<LIST TYPE='table' FULL='false'/>").unwrap();
    let list = bob.expect_result("list", TIMEOUT).unwrap();
    let seat = list
        .child("LIST")
        .and_then(|l| l.children_named("TABLE").next())
        .and_then(|t| t.children_named("SEAT").nth(1))
        .cloned()
        .expect("seat 1 in the table list");
    assert_eq!(seat.attr("TYPE"), Some("abandoned"));
    assert_eq!(seat.text, "bob");
    let mut bob_dio = Dio::open(&server, "bob");
    assert_eq!(
        request(
            &mut bob,
            &format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"),
            "join"
        ),
        "ok"
    );
    let Msg::Sync { cells, .. } = bob_dio.until(|m| matches!(m, Msg::Sync { .. })) else {
        unreachable!()
    };
    assert_eq!((cells[4], cells[0]), (0, 1));
    // Nothing it did not ask for ever reached it.
    bob.send("<PING ID='end'/>").unwrap();
    loop {
        let e = bob.recv(TIMEOUT).unwrap().expect("a message");
        assert!(!e.is("REJOIN") && !e.is("EXTENSIONS"), "{e:?}");
        if e.is("PONG") {
            break;
        }
    }
}

#[test]
fn ggz_takes_its_held_seat_back_by_itself_and_plays_on() {
    use ggzd_e2e::ggz_script::{ggz_ended_ok, spawn_ggz_script};
    let server = server(600);
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    let (_, mut alice_dio, mut bob_dio) = table_for_two(&server, &mut alice, &mut bob);
    play(&mut [&mut alice_dio, &mut bob_dio], &[4, 0]);
    drop(bob);
    drop(bob_dio);
    assert_eq!(seat_update(&mut alice, "1", "abandoned"), "bob");

    // bob comes back with `ggz`, whose script only plays: entering the
    // room, the channel and the JOIN come from the REJOIN. Its squares
    // count from 1.
    let ggz = spawn_ggz_script(
        server.addr,
        "bob",
        "20",
        b"/wait your turn\n/move 9\n/result\n",
    );
    if ttt_server::sends_seats() {
        alice_dio.until(|m| matches!(m, Msg::Players(p) if p[1] == (3, "bob".into())));
    } else {
        assert_eq!(table_update(&mut alice, "join", "1", "player"), "bob");
        // The move asked of alice before bob left is void: a trunk server
        // asks again once both seats are back (the 0.0.14 wait above
        // skipped it).
        alice_dio.until(|m| *m == Msg::ReqMove);
    }
    alice_dio.moves_accepted(&[1, 7]);
    let stdout = ggz_ended_ok(ggz);
    assert!(stdout.contains("taking it back"), "{stdout}");
    // A trunk server sends no MSG_SEAT: ggz then knows its mark from the
    // table, silently.
    if ttt_server::sends_seats() {
        assert!(stdout.contains("you play O"), "{stdout}");
    }
    assert!(
        stdout.contains("result: game over: X (alice) wins - you lost"),
        "{stdout}"
    );
}

#[test]
fn a_browser_game_channel_that_closes_leaves_the_seat_held() {
    use ggzd_e2e::web_channel::{web_addr, ws_game_channel};
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[web]\nlisten = \"127.0.0.1:0\"\n[rejoin]\ngrace = 600\n".into(),
        ..Default::default()
    });
    let web = web_addr(&server);
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut alice_dio = Dio::open(&server, "alice");
    alice
        .send(
            "<LAUNCH><TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/>\
             <SEAT NUM='1' TYPE='open'/></TABLE></LAUNCH>",
        )
        .unwrap();
    assert_eq!(result_code(&mut alice, "launch"), "ok");
    let (mut bob, _) = rejoining_guest(&server, "bob");
    enter(&mut bob, ROOM);

    // bob's game channel is a WebSocket, relayed by ggzd.
    let mut channel = ws_game_channel(web, "bob", TIMEOUT);
    assert_eq!(request(&mut bob, "<JOIN TABLE='1'/>", "join"), "ok");
    alice_dio.until(|m| *m == Msg::ReqMove);
    playing(&mut alice);

    // The browser drops its game channel; its lobby connection stays.
    channel.close(None).unwrap();
    drop(channel);
    bob.recv_until(TIMEOUT, |e| e.is("LEAVE")).expect("a LEAVE");
    let rejoin = bob
        .recv_until(TIMEOUT, |e| e.is("REJOIN"))
        .expect("a REJOIN");
    assert_eq!(rejoin.attr("SEAT"), Some("1"));
    assert_eq!(seat_update(&mut alice, "1", "abandoned"), "bob");

    // It takes the seat back with a new channel.
    let mut bob_dio = Dio::open(&server, "bob");
    assert_eq!(request(&mut bob, "<JOIN TABLE='1'/>", "join"), "ok");
    if ttt_server::sends_seats() {
        assert_eq!(bob_dio.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(1));
    } else {
        bob_dio.until(|m| matches!(m, Msg::Sync { .. }));
    }
}
