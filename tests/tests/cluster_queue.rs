//! Three nodes on one throwaway PostgreSQL (docs/cluster.md): a remote
//! player's table and statistics in room lists, and matchmaking queues run
//! by one node at a time across the zone (docs/matchmaking.md §8).
//! Every wait is generous and nothing asserts on time.

use ggzd_e2e::dio::*;
use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;
use support::*;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;

/// The `PLAYER` entry `LIST player` gives for `name`, as its attributes.
fn listed(client: &mut Client, name: &str) -> Option<Vec<(String, String)>> {
    client.send("<LIST TYPE='player'/>").unwrap();
    let result = client.expect_result("list", TIMEOUT).unwrap();
    let list = result.child("LIST")?;
    let player = list
        .children_named("PLAYER")
        .find(|p| p.attr("ID") == Some(name))?;
    Some(
        ["TABLE", "WINS", "LOSSES", "RATING"]
            .iter()
            .filter_map(|a| Some((a.to_string(), player.attr(a)?.to_string())))
            .collect(),
    )
}

fn attr_of(entry: &[(String, String)], name: &str) -> Option<String> {
    entry
        .iter()
        .find(|(a, _)| a == name)
        .map(|(_, v)| v.clone())
}

/// Asks `LIST player` until `name`'s entry satisfies `ok`.
fn wait_listed(client: &mut Client, name: &str, ok: impl Fn(&[(String, String)]) -> bool) {
    let deadline = std::time::Instant::now() + SLOW;
    loop {
        let entry = listed(client, name);
        if entry.as_deref().is_some_and(&ok) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} listed as {entry:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn registered_in_room(server: &TestServer, name: &str) -> Client {
    let mut c = server.connect();
    let reply = c.login(LoginKind::First, name, Some("pw"), None).unwrap();
    assert_eq!(reply.code, "ok", "registration of {name}");
    c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    enter(&mut c, ROOM);
    c
}

#[test]
fn a_remote_players_table_and_stats_show_in_room_lists() {
    let url = database();
    let [a, b, _c] = zone(&url);
    let mut alice = registered_in_room(&a, "alice");
    let mut amy = registered_in_room(&a, "amy");
    let mut bob = b.guest_in_room("bob", ROOM);
    wait_players(&mut bob, &["alice", "amy", "bob"]);
    wait_listed(&mut bob, "alice", |e| {
        attr_of(e, "TABLE").as_deref() == Some("-1") && attr_of(e, "WINS").as_deref() == Some("0")
    });

    let mut alice_dio = Dio::open(&a, "alice");
    alice
        .send(
            "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>across</DESC>\n\
             <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n",
        )
        .unwrap();
    assert_eq!(result_code(&mut alice, "launch"), "ok");
    let table = alice
        .recv_until(TIMEOUT, |e| e.is("JOIN"))
        .unwrap()
        .attr("TABLE")
        .unwrap()
        .to_string();
    // Seated on a: b lists alice at her table.
    wait_listed(&mut bob, "alice", |e| {
        attr_of(e, "TABLE").as_deref() == Some(table.as_str())
    });
    let mut amy_dio = Dio::open(&a, "amy");
    assert_eq!(
        request(
            &mut amy,
            &format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"),
            "join"
        ),
        "ok"
    );
    amy_dio.until(|m| matches!(m, Msg::Seat(_)));
    // Private chat to a player seated on another node follows the local rule.
    assert_eq!(
        request(
            &mut bob,
            "<CHAT TYPE='private' TO='alice'>hi</CHAT>",
            "chat"
        ),
        "at table"
    );
    play(&mut [&mut alice_dio, &mut amy_dio], &[4, 0, 2, 1, 6]);
    assert_eq!(
        alice_dio.until(|m| matches!(m, Msg::GameOver(_))),
        Msg::GameOver(0)
    );
    // The win reaches b's room as an UPDATE and in the list.
    bob.recv_until(SLOW, |e| {
        e.is("UPDATE")
            && e.attr("ACTION") == Some("stats")
            && e.child("PLAYER")
                .is_some_and(|p| p.attr("ID") == Some("alice") && p.attr("WINS") == Some("1"))
    })
    .unwrap_or_else(|e| panic!("no stats update for alice on b: {e}\n{}", a.log()));
    wait_listed(&mut bob, "amy", |e| {
        attr_of(e, "LOSSES").as_deref() == Some("1")
    });
}
