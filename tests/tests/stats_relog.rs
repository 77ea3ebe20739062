//! A player who logs in again right after GAMEOVER is shown the game's
//! statistics (docs/cluster.md §8, "Statistics"): the login's read of the
//! statistics may run on one worker while the result's write runs on
//! another, and a read that may have missed the write is read again.
//! On one node (the store the suite runs on) and across three nodes.
//! Nothing asserts on time; every wait is generous.

use std::time::{Duration, Instant};

use ggzd_e2e::dio::*;
use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;
const PATIENCE: Duration = Duration::from_secs(60);

/// A registered login, retried while the name's former session is still
/// being closed.
fn relog(server: &TestServer, name: &str) -> Client {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut c = server.connect();
        let code = c
            .login(LoginKind::Normal, name, Some("pw"), None)
            .unwrap()
            .code;
        if code == "ok" {
            c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
            return c;
        }
        assert_eq!(code, "already logged in", "login of {name}");
        assert!(Instant::now() < deadline, "{name} still refused");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn register_in_room(server: &TestServer, name: &str) -> Client {
    let mut c = server.connect();
    let reply = c.login(LoginKind::First, name, Some("pw"), None).unwrap();
    assert_eq!(reply.code, "ok", "registration of {name}");
    c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    enter(&mut c, ROOM);
    c
}

/// `attr` of `name`'s entry in `LIST player`.
fn listed(client: &mut Client, name: &str, attr: &str) -> Option<String> {
    client.send("<LIST TYPE='player'/>").unwrap();
    let result = client.expect_result("list", TIMEOUT).unwrap();
    result
        .child("LIST")?
        .children_named("PLAYER")
        .find(|p| p.attr("ID") == Some(name))?
        .attr(attr)
        .map(str::to_string)
}

/// Asks `LIST player` until `name` shows `attr` = `want`. Before the fix
/// a login that read before the write kept the old value for good.
fn wait_listed(client: &mut Client, name: &str, attr: &str, want: &str, log: &dyn Fn() -> String) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = listed(client, name, attr);
        if got.as_deref() == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} listed with {attr}={got:?}, not {want}\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `host` launches a two-seat table; `guest` joins it through `guest_node`
/// (the same node, or another); they play until seat 0 wins. Returns the
/// winner's name and the loser's.
fn play_one_game(
    host_node: &TestServer,
    host: &mut Client,
    host_name: &str,
    guest_node: &TestServer,
    guest: &mut Client,
    guest_name: &str,
    table_desc: &str,
) -> (String, String) {
    let mut host_dio = Dio::open(host_node, host_name);
    host.send(&format!(
        "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>{table_desc}</DESC>\n\
         <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n"
    ))
    .unwrap();
    assert_eq!(result_code(host, "launch"), "ok");
    let mut guest_dio = Dio::open(guest_node, guest_name);
    let id = table_id(guest, table_desc);
    assert_eq!(
        request(
            guest,
            &format!("<JOIN TABLE='{id}' SPECTATOR='false'/>"),
            "join"
        ),
        "ok"
    );
    // Seat 0 moves first (docs/tictactoe.md): whoever has it wins.
    let host_seat = host_dio.until(|m| matches!(m, Msg::Seat(_)));
    let guest_seat = guest_dio.until(|m| matches!(m, Msg::Seat(_)));
    let (mut seats, names) = if host_seat == Msg::Seat(0) {
        ([&mut host_dio, &mut guest_dio], (host_name, guest_name))
    } else {
        assert_eq!(guest_seat, Msg::Seat(0));
        ([&mut guest_dio, &mut host_dio], (guest_name, host_name))
    };
    play(&mut seats, &[4, 0, 2, 1, 6]);
    for dio in seats {
        assert_eq!(dio.until_game_over(), Msg::GameOver(0));
    }
    (names.0.to_string(), names.1.to_string())
}

/// The id `client`'s node shows the table described `desc` under.
fn table_id(client: &mut Client, desc: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        client.send("<LIST TYPE='table'/>").unwrap();
        let result = client.expect_result("list", TIMEOUT).unwrap();
        let id = result.child("LIST").and_then(|l| {
            l.children_named("TABLE")
                .find(|t| t.child("DESC").is_some_and(|d| d.text == desc))
                .and_then(|t| t.attr("ID").map(str::to_string))
        });
        if let Some(id) = id {
            return id;
        }
        assert!(Instant::now() < deadline, "no table {desc}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_player_logged_in_again_right_after_gameover_sees_the_result_on_one_node() {
    let server = TestServer::start();
    let mut ann = register_in_room(&server, "ann");
    let mut bob = register_in_room(&server, "bob");
    let (winner, loser) =
        play_one_game(&server, &mut ann, "ann", &server, &mut bob, "bob", "relog");
    // Both leave at GAMEOVER and come back at once.
    ann.logout().unwrap();
    bob.logout().unwrap();
    let mut ann = relog(&server, "ann");
    let mut bob = relog(&server, "bob");
    enter(&mut ann, ROOM);
    enter(&mut bob, ROOM);
    let log = || server.log();
    wait_listed(&mut bob, &winner, "WINS", "1", &log);
    wait_listed(&mut ann, &loser, "LOSSES", "1", &log);
}

#[test]
fn a_player_of_another_node_logged_in_again_right_after_gameover_sees_the_result() {
    let url = support::database();
    let [a, b, c] = support::zone(&url);
    let mut ann = register_in_room(&a, "ann");
    let mut bob = register_in_room(&b, "bob");
    support::wait_players(&mut ann, &["ann", "bob"]);
    let (winner, loser) = play_one_game(&a, &mut ann, "ann", &b, &mut bob, "bob", "across");
    // bob leaves b at GAMEOVER and comes back at once on c, ann on a.
    bob.logout().unwrap();
    ann.logout().unwrap();
    let mut bob = relog(&c, "bob");
    let mut ann = relog(&a, "ann");
    enter(&mut bob, ROOM);
    enter(&mut ann, ROOM);
    let log = || format!("a:\n{}\nb:\n{}\nc:\n{}", a.log(), b.log(), c.log());
    // Each node shows what the player's own node read (PLAYER): c
    // read bob's, a read ann's, and each shows the other's too.
    wait_listed(&mut bob, &winner, "WINS", "1", &log);
    wait_listed(&mut bob, &loser, "LOSSES", "1", &log);
    wait_listed(&mut ann, &winner, "WINS", "1", &log);
    wait_listed(&mut ann, &loser, "LOSSES", "1", &log);
}
