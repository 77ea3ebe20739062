//! TicTacToe through the real ggzd: players log in, launch and join over
//! XML, get their game channels handed to `ggzd-tictactoe`, and play over
//! them in the original DIO protocol, as a GGZ 0.0.14 client would.

use std::time::Duration;

use ggzd_e2e::dio::*;
use ggzd_e2e::game_procs::kill_the_game_server;
use ggzd_e2e::*;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;

fn registered_in_room(server: &TestServer, name: &str) -> Client {
    let mut c = server.connect();
    assert_eq!(
        c.login(LoginKind::First, name, Some("pw"), None)
            .unwrap()
            .code,
        "ok"
    );
    enter(&mut c, ROOM);
    c
}

fn launch(client: &mut Client, second_seat: &str) -> String {
    client
        .send(&format!(
            "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>ttt</DESC>\n<SEAT NUM='0' TYPE='open'/>\n{second_seat}\n</TABLE>\n</LAUNCH>\n"
        ))
        .unwrap();
    assert_eq!(result_code(client, "launch"), "ok");
    let join = client.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
    join.attr("TABLE").unwrap().to_string()
}

fn join(client: &mut Client, table: &str, spectator: bool) {
    client
        .send(&format!("<JOIN TABLE='{table}' SPECTATOR='{spectator}'/>"))
        .unwrap();
    assert_eq!(result_code(client, "join"), "ok");
    client.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
}

/// Plays `moves` alternately starting with seat 0. The mover learns of an
/// accepted move from RSP_MOVE 0 only; the opponent gets MSG_MOVE.
fn stats_of(client: &mut Client, name: &str) -> Element {
    let update = client
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE")
                && e.attr("ACTION") == Some("stats")
                && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some(name)
        })
        .unwrap();
    update.child("PLAYER").unwrap().clone()
}

fn expect_gameover(client: &mut Client, reason: &str) {
    assert_eq!(result_code(client, "leave"), "ok");
    let leave = client.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some(reason));
}

/// A finished table stays until its players leave: leave it.
fn leave_table(client: &mut Client) {
    client
        .send("<LEAVE FORCE='false' SPECTATOR='false'/>")
        .unwrap();
    assert_eq!(result_code(client, "leave"), "ok");
    let leave = client.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("normal"));
}

/// Waits for the room's news that a table was removed.
fn table_deleted(client: &mut Client) {
    client
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("TYPE") == Some("table") && e.attr("ACTION") == Some("delete")
        })
        .unwrap();
}

/// The tables of the client's room.
fn tables(client: &mut Client) -> Vec<Element> {
    client.send("<LIST TYPE='table'/>").unwrap();
    let list = client.expect_result("list", TIMEOUT).unwrap();
    list.child("LIST")
        .unwrap()
        .children_named("TABLE")
        .cloned()
        .collect()
}

#[test]
fn two_players_play_tictactoe_to_a_win() {
    let server = TestServer::start();
    let mut alice = registered_in_room(&server, "alice");
    let mut bob = registered_in_room(&server, "bob");
    let mut alice_dio = Dio::open(&server, "alice");
    let table = launch(&mut alice, "<SEAT NUM='1' TYPE='open'/>");
    assert_eq!(alice_dio.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(0));

    let mut bob_dio = Dio::open(&server, "bob");
    join(&mut bob, &table, false);
    let players = bob_dio.until(|m| matches!(m, Msg::Players(_)));
    assert_eq!(
        players,
        Msg::Players(vec![(3, "alice".into()), (3, "bob".into())])
    );
    assert_eq!(bob_dio.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(1));

    // Out of turn, out of bounds, taken: the spec'd refusals.
    alice_dio.until(|m| *m == Msg::ReqMove);
    bob_dio.send_move(4);
    assert_eq!(
        bob_dio.until(|m| matches!(m, Msg::RspMove(_))),
        Msg::RspMove(-2)
    );
    alice_dio.send_move(9);
    assert_eq!(alice_dio.next_msg(), Msg::RspMove(-3));
    assert_eq!(
        alice_dio.next_msg(),
        Msg::ReqMove,
        "asked again after a bad square"
    );
    alice_dio.send_move(4);
    assert_eq!(alice_dio.next_msg(), Msg::RspMove(0));
    bob_dio.until(|m| *m == Msg::ReqMove);
    bob_dio.send_move(4);
    assert_eq!(
        bob_dio.until(|m| matches!(m, Msg::RspMove(_))),
        Msg::RspMove(-4)
    );
    bob_dio.until(|m| *m == Msg::ReqMove);
    bob_dio.send_move(0);
    assert_eq!(
        bob_dio.until(|m| matches!(m, Msg::RspMove(_))),
        Msg::RspMove(0)
    );
    // Alice: 4, 2, 6 on the rising diagonal; bob: 0, 1.
    alice_dio.until(|m| *m == Msg::ReqMove);
    alice_dio.send_move(2);
    bob_dio.until(|m| *m == Msg::ReqMove);
    bob_dio.send_move(1);
    alice_dio.until(|m| *m == Msg::ReqMove);
    alice_dio.send_move(6);
    assert_eq!(alice_dio.until_game_over(), Msg::GameOver(0));
    assert_eq!(bob_dio.until_game_over(), Msg::GameOver(0));

    let a = stats_of(&mut alice, "alice");
    assert_eq!((a.attr("WINS"), a.attr("LOSSES")), (Some("1"), Some("0")));
    assert!(a.attr("RATING").is_none(), "TicTacToe keeps records only");
    let b = stats_of(&mut alice, "bob");
    assert_eq!((b.attr("WINS"), b.attr("LOSSES")), (Some("0"), Some("1")));
    leave_table(&mut alice);
    leave_table(&mut bob);

    // Stored for good.
    alice.logout().unwrap();
    let mut again = server.connect();
    again
        .login(LoginKind::Normal, "alice", Some("pw"), None)
        .unwrap();
    enter(&mut again, ROOM);
    again.send("<LIST TYPE='player'/>").unwrap();
    let list = again.expect_result("list", TIMEOUT).unwrap();
    let me = list
        .child("LIST")
        .unwrap()
        .children_named("PLAYER")
        .find(|p| p.attr("ID") == Some("alice"))
        .unwrap()
        .clone();
    assert_eq!(me.attr("WINS"), Some("1"));
}

#[test]
fn two_players_play_tictactoe_to_a_draw() {
    let server = TestServer::start();
    let mut alice = registered_in_room(&server, "alice");
    let mut bob = registered_in_room(&server, "bob");
    let mut alice_dio = Dio::open(&server, "alice");
    let table = launch(&mut alice, "<SEAT NUM='1' TYPE='open'/>");
    let mut bob_dio = Dio::open(&server, "bob");
    join(&mut bob, &table, false);
    play(
        &mut [&mut alice_dio, &mut bob_dio],
        &[0, 1, 2, 4, 3, 5, 7, 6, 8],
    );
    assert_eq!(alice_dio.until_game_over(), Msg::GameOver(2));
    let a = stats_of(&mut bob, "alice");
    assert_eq!(a.attr("TIES"), Some("1"));
    let b = stats_of(&mut bob, "bob");
    assert_eq!(b.attr("TIES"), Some("1"));
    leave_table(&mut alice);
    // The last player leaving ends the table.
    bob.send("<LEAVE FORCE='false' SPECTATOR='false'/>")
        .unwrap();
    assert_eq!(result_code(&mut bob, "leave"), "ok");
    table_deleted(&mut bob);
}

#[test]
fn the_final_board_reaches_both_players_and_a_second_game_follows() {
    let server = TestServer::start();
    let mut alice = registered_in_room(&server, "alice");
    let mut bob = registered_in_room(&server, "bob");
    let mut alice_dio = Dio::open(&server, "alice");
    let table = launch(&mut alice, "<SEAT NUM='1' TYPE='open'/>");
    let mut bob_dio = Dio::open(&server, "bob");
    join(&mut bob, &table, false);
    // alice wins on the top row; her last move is the one bob must see.
    play(&mut [&mut alice_dio, &mut bob_dio], &[0, 3, 1, 4]);
    alice_dio.until(|m| *m == Msg::ReqMove);
    alice_dio.send_move(2);
    assert_eq!(alice_dio.next_msg(), Msg::RspMove(0));
    assert_eq!(alice_dio.next_msg(), Msg::GameOver(0));
    assert_eq!(
        bob_dio.next_msg(),
        Msg::Move {
            player: 0,
            square: 2
        }
    );
    assert_eq!(bob_dio.next_msg(), Msg::GameOver(0));

    // Both have read GAMEOVER and the table is still there: the game
    // server answers, and the room hears that the table went WAITING (its
    // state change may reach ggzd after the clients read GAMEOVER).
    let waiting = alice
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE")
                && e.attr("ACTION") == Some("status")
                && e.child("TABLE").and_then(|t| t.attr("STATUS")) == Some("1")
        })
        .unwrap();
    assert!(waiting.child("TABLE").is_some());
    let listed = tables(&mut alice);
    assert_eq!(listed.len(), 1, "the finished table stays");
    assert_eq!(listed[0].attr("STATUS"), Some("1"), "WAITING");
    bob_dio.request_sync();
    assert_eq!(
        bob_dio.next_msg(),
        Msg::Sync {
            turn: 0,
            cells: vec![0, 0, 0, 1, 1, -1, -1, -1, -1]
        }
    );
    // A move now is refused with -1 (ERR_STATE), and nothing follows it.
    bob_dio.send_move(8);
    assert_eq!(bob_dio.next_msg(), Msg::RspMove(-1));
    bob_dio.request_sync();
    assert!(matches!(bob_dio.next_msg(), Msg::Sync { .. }));

    // bob leaves and sits down again: a fresh game on a cleared board.
    leave_table(&mut bob);
    assert!(matches!(
        alice_dio.until(|m| matches!(m, Msg::Players(_))),
        Msg::Players(_)
    ));
    let mut bob_dio = Dio::open(&server, "bob");
    join(&mut bob, &table, false);
    let fresh = Msg::Sync {
        turn: 0,
        cells: vec![-1; 9],
    };
    assert_eq!(bob_dio.until(|m| matches!(m, Msg::Sync { .. })), fresh);
    assert_eq!(alice_dio.until(|m| matches!(m, Msg::Sync { .. })), fresh);
    // Second game: bob wins this time (alice plays 0, 1, 8; bob 3, 4, 5).
    play(&mut [&mut alice_dio, &mut bob_dio], &[0, 3, 1, 4, 8]);
    bob_dio.until(|m| *m == Msg::ReqMove);
    bob_dio.send_move(5);
    assert_eq!(bob_dio.next_msg(), Msg::RspMove(0));
    assert_eq!(bob_dio.next_msg(), Msg::GameOver(1));
    assert_eq!(
        alice_dio.next_msg(),
        Msg::Move {
            player: 1,
            square: 5
        }
    );
    assert_eq!(alice_dio.next_msg(), Msg::GameOver(1));
    // Each game was reported once: one win each.
    // Each game was reported once: one win and one loss each. (The two
    // reports may commit in either order, so wait for the sum.)
    let one_each = |e: &Element, who: &str| {
        e.is("UPDATE")
            && e.attr("ACTION") == Some("stats")
            && e.child("PLAYER").is_some_and(|p| {
                p.attr("ID") == Some(who)
                    && p.attr("WINS") == Some("1")
                    && p.attr("LOSSES") == Some("1")
            })
    };
    alice.recv_until(TIMEOUT, |e| one_each(e, "bob")).unwrap();
    bob.recv_until(TIMEOUT, |e| one_each(e, "alice")).unwrap();

    // Both leave; the table is gone.
    leave_table(&mut alice);
    leave_table(&mut bob);
    table_deleted(&mut alice);
    assert!(tables(&mut alice).is_empty());
    alice.send("<LIST TYPE='player'/>").unwrap();
    let list = alice.expect_result("list", TIMEOUT).unwrap();
    for p in list.child("LIST").unwrap().children_named("PLAYER") {
        assert_eq!((p.attr("WINS"), p.attr("LOSSES")), (Some("1"), Some("1")));
    }
}

#[test]
fn the_hard_bot_does_not_lose() {
    let server = TestServer::start();
    let mut kim = server.guest_in_room("kim", ROOM);
    let mut dio = Dio::open(&server, "kim");
    launch(&mut kim, "<SEAT NUM='1' TYPE='bot'>Tarantula</SEAT>");
    let mut board = [false; 9];
    let mut last = 0;
    for _ in 0..200 {
        match dio.next_msg() {
            Msg::ReqMove => {
                last = board.iter().position(|taken| !taken).unwrap();
                dio.send_move(last as i32);
            }
            Msg::RspMove(0) => board[last] = true,
            Msg::Move { square, .. } => board[square as usize] = true,
            Msg::GameOver(winner) => {
                assert_ne!(winner, 0, "kim must not beat the hard bot");
                leave_table(&mut kim);
                // kim was its only human: the table ends.
                table_deleted(&mut kim);
                return;
            }
            _ => {}
        }
    }
    panic!("no game over after 200 messages");
}

#[test]
fn a_spectator_gets_a_sync_and_sees_the_moves() {
    let server = TestServer::start();
    let mut kim = server.guest_in_room("kim", ROOM);
    let mut kim_dio = Dio::open(&server, "kim");
    let table = launch(&mut kim, "<SEAT NUM='1' TYPE='bot'>Alfred</SEAT>");
    kim_dio.until(|m| *m == Msg::ReqMove);
    kim_dio.send_move(4);
    kim_dio.until(|m| matches!(m, Msg::RspMove(0)));
    let mut carol = server.guest_in_room("carol", ROOM);
    let mut carol_dio = Dio::open(&server, "carol");
    join(&mut carol, &table, true);
    let sync = carol_dio.until(|m| matches!(m, Msg::Sync { .. }));
    let Msg::Sync { cells, .. } = sync else {
        unreachable!()
    };
    assert_eq!(cells[4], 0, "kim's mark is on the centre");
    carol_dio.request_sync();
    assert!(matches!(
        carol_dio.until(|m| matches!(m, Msg::Sync { .. })),
        Msg::Sync { .. }
    ));
}

#[test]
fn a_player_leaves_and_rejoins_a_running_game() {
    let server = TestServer::start();
    let mut alice = registered_in_room(&server, "alice");
    let mut bob = registered_in_room(&server, "bob");
    let mut alice_dio = Dio::open(&server, "alice");
    let table = launch(&mut alice, "<SEAT NUM='1' TYPE='open'/>");
    let mut bob_dio = Dio::open(&server, "bob");
    join(&mut bob, &table, false);
    play(&mut [&mut alice_dio, &mut bob_dio], &[4, 0]);

    bob.send("<LEAVE FORCE='false' SPECTATOR='false'/>")
        .unwrap();
    assert_eq!(result_code(&mut bob, "leave"), "ok");
    // Alice is told the seat is empty now (abandoned).
    let players = alice_dio.until(|m| matches!(m, Msg::Players(_)));
    let Msg::Players(list) = players else {
        unreachable!()
    };
    assert_ne!(list[1].0, 3, "seat 1 is no longer a player: {list:?}");

    let mut bob_dio = Dio::open(&server, "bob");
    join(&mut bob, &table, false);
    assert_eq!(bob_dio.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(1));
    let sync = bob_dio.until(|m| matches!(m, Msg::Sync { .. }));
    let Msg::Sync { cells, .. } = sync else {
        unreachable!()
    };
    assert_eq!((cells[4], cells[0]), (0, 1), "the board survived the leave");
}

#[test]
fn killing_the_game_server_mid_game_ends_the_table_with_gameerror() {
    let server = TestServer::start();
    let mut kim = server.guest_in_room("kim", ROOM);
    let mut dio = Dio::open(&server, "kim");
    launch(&mut kim, "<SEAT NUM='1' TYPE='bot'>Alfred</SEAT>");
    dio.until(|m| *m == Msg::ReqMove);
    kill_the_game_server(&server);
    expect_gameover(&mut kim, "gameerror");
    kim.send("<LIST TYPE='table'/>").unwrap();
    let list = kim.expect_result("list", TIMEOUT).unwrap();
    assert!(list.child("LIST").unwrap().child("TABLE").is_none());
    // And the next table works.
    let mut dio = Dio::open(&server, "kim");
    launch(&mut kim, "<SEAT NUM='1' TYPE='bot'>Alfred</SEAT>");
    assert!(matches!(dio.until(|m| *m == Msg::ReqMove), Msg::ReqMove));
    std::thread::sleep(Duration::from_millis(50));
}

#[test]
fn the_trunk_variant_plays_in_its_own_room() {
    let server = TestServer::start();
    let mut kim = server.guest("kim");
    // Room 2 is "Tic-Tac-Toe (trunk)", game 1 the dio/5+dev description.
    enter(&mut kim, 2);
    kim.send("<LIST TYPE='game'/>").unwrap();
    let list = kim.expect_result("list", TIMEOUT).unwrap();
    let dev = list
        .child("LIST")
        .unwrap()
        .children_named("GAME")
        .nth(1)
        .unwrap()
        .clone();
    assert_eq!(
        dev.child("PROTOCOL").unwrap().attr("VERSION"),
        Some("dio/5+dev")
    );
    let mut dio = Dio::open(&server, "kim");
    kim.send(
        "<LAUNCH><TABLE GAME='1' SEATS='2'><SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='bot'/></TABLE></LAUNCH>",
    )
    .unwrap();
    assert_eq!(result_code(&mut kim, "launch"), "ok");
    dio.until(|m| *m == Msg::ReqMove);
    dio.send_move(4);
    assert_eq!(dio.until(|m| matches!(m, Msg::RspMove(_))), Msg::RspMove(0));
}
