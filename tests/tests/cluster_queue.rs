//! Three nodes on one throwaway PostgreSQL (docs/cluster.md): a remote
//! player's table and statistics in room lists, and matchmaking queues run
//! by one node at a time across the zone (docs/matchmaking.md §8).
//! Every wait is generous and nothing asserts on time.

use ggzd_e2e::dio::*;
use ggzd_e2e::tables::{join_as_player, launch_open_table};
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

/// The id under which `client`'s node lists the table described `desc`.
fn shown_table(client: &mut Client, desc: &str) -> String {
    let deadline = std::time::Instant::now() + SLOW;
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
        assert!(std::time::Instant::now() < deadline, "no table {desc}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_remote_players_table_and_stats_show_in_room_lists() {
    let url = database();
    let [a, b, _c] = zone(&url);
    let mut alice = a.registered_in_room("alice", ROOM);
    let mut amy = a.registered_in_room("amy", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    wait_players(&mut bob, &["alice", "amy", "bob"]);
    wait_listed(&mut bob, "alice", |e| {
        attr_of(e, "TABLE").as_deref() == Some("-1") && attr_of(e, "WINS").as_deref() == Some("0")
    });

    let mut alice_dio = Dio::open(&a, "alice");
    let table = launch_open_table(&mut alice, "across");
    // Seated on a: b lists alice at that table, under the id b shows it
    // by (docs/cluster.md §8: each node numbers other nodes' tables).
    let shown = shown_table(&mut bob, "across");
    wait_listed(&mut bob, "alice", |e| {
        attr_of(e, "TABLE").as_deref() == Some(shown.as_str())
    });
    let mut amy_dio = Dio::open(&a, "amy");
    join_as_player(&mut amy, &table);
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
    assert_eq!(alice_dio.until_game_over(), Msg::GameOver(0));
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

/// The MATCHED `client` receives, checked against the private line for
/// original clients that comes with it (the same table and seat).
fn matched(client: &mut Client) -> Element {
    let m = client
        .recv_until(SLOW, |e| e.is("MATCHED"))
        .unwrap_or_else(|e| panic!("no MATCHED: {e}"));
    let line = client
        .recv_until(SLOW, |e| e.is("CHAT") && e.attr("TYPE") == Some("private"))
        .unwrap();
    let told = format!(
        "table {} in room Tic-Tac-Toe is yours, seat {}.",
        m.attr("TABLE").unwrap_or("?"),
        m.attr("SEAT").unwrap_or("?")
    );
    assert!(line.text.contains(&told), "{} / {told}", line.text);
    m
}

/// The index (in `nodes`) of the node that runs queue `ttt`, once one
/// says so `n` times in all.
fn runner(nodes: &[&TestServer], skip: Option<usize>) -> usize {
    let deadline = std::time::Instant::now() + SLOW;
    loop {
        for (i, node) in nodes.iter().enumerate() {
            if Some(i) != skip && node.count_log("this node runs queue ttt now") > 0 {
                return i;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nobody runs queue ttt"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The index (in `nodes`) of the node that runs queue `ttt`, and those
/// of the other two.
fn runner_and_the_others(nodes: &[&TestServer]) -> (usize, Vec<usize>) {
    let run = runner(nodes, None);
    (run, (0..3).filter(|i| *i != run).collect())
}

/// Once `watcher`, `xena` and `yuri` all list the three of them, xena and
/// yuri queue for `ttt`; returns the MATCHED each is told.
fn both_queue_once_all_see_all(
    watcher: &mut Client,
    xena: &mut Client,
    yuri: &mut Client,
) -> (Element, Element) {
    let all = ["watcher", "xena", "yuri"];
    for client in [&mut *watcher, &mut *xena, &mut *yuri] {
        wait_players(client, &all);
    }
    assert_eq!(request(xena, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(request(yuri, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    (matched(xena), matched(yuri))
}

/// The table ids `LIST table` shows in the client's room.
fn tables(client: &mut Client) -> Vec<String> {
    client.send("<LIST TYPE='table'/>").unwrap();
    let list = client.expect_result("list", TIMEOUT).unwrap();
    list.child("LIST")
        .map(|l| {
            l.children_named("TABLE")
                .filter_map(|t| t.attr("ID").map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn players_on_two_nodes_are_matched_by_the_queues_runner_who_can_be_replaced() {
    let url = database();
    let tmp = TempDir::new("cluster-queue");
    let [a, b, c] = queue_zone(&url, &tmp);
    let nodes = [&a, &b, &c];
    let (run, others) = runner_and_the_others(&nodes);
    let (x, y) = (nodes[others[0]], nodes[others[1]]);

    // Two players on the two nodes that do not run the queue.
    let mut xena = x.guest_in_room("xena", ROOM);
    let mut yuri = y.guest_in_room("yuri", ROOM);
    let mut watcher = nodes[run].guest_in_room("watcher", ROOM);
    let (mx, my) = both_queue_once_all_see_all(&mut watcher, &mut xena, &mut yuri);
    assert_eq!(mx.attr("QUEUE"), Some("ttt"));
    assert_eq!(mx.attr("ROOM"), Some("1"));
    assert_ne!(mx.attr("SEAT"), my.attr("SEAT"));
    // The table is the runner's; each player is told the id its own node
    // shows it under.
    for (client, m) in [(&mut xena, &mx), (&mut yuri, &my)] {
        let table = m.attr("TABLE").unwrap().to_string();
        let listed = tables(client);
        assert!(
            listed.contains(&table),
            "{table} not in {listed:?}\n{}\n{}\n{}",
            x.log(),
            y.log(),
            nodes[run].log()
        );
    }
    assert_eq!(tables(&mut watcher).len(), 1);

    // xena queues again; then the runner dies. Another node takes the
    // queue over, xena's node hands it her ticket, and yuri's new one
    // makes the pair.
    assert_eq!(request(&mut xena, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    drop(watcher);
    nodes[run].signal(libc::SIGKILL);
    let next = runner(&nodes, Some(run));
    assert!(others.contains(&next));
    assert_eq!(request(&mut yuri, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let (mx, my) = (matched(&mut xena), matched(&mut yuri));
    assert_ne!(mx.attr("SEAT"), my.attr("SEAT"));
    for i in others {
        assert_eq!(nodes[i].count_log("panicked"), 0, "{}", nodes[i].log());
    }
}

/// A JOIN of the table `m` (a MATCHED) names; `with_seat` as our clients
/// send it, otherwise as an original client reading the private line
/// would (the seat reserved for the name is taken).
fn join_matched(client: &mut Client, m: &Element, with_seat: bool) {
    let table = m.attr("TABLE").unwrap();
    let xml = if with_seat {
        format!(
            "<JOIN TABLE='{table}' SEAT='{}' SPECTATOR='false'/>",
            m.attr("SEAT").unwrap()
        )
    } else {
        format!("<JOIN TABLE='{table}' SPECTATOR='false'/>")
    };
    assert_eq!(request(client, &xml, "join"), "ok");
    let join = client.recv_until(SLOW, |e| e.is("JOIN")).unwrap();
    assert_eq!(join.attr("TABLE"), Some(table));
}

#[test]
fn players_matched_on_two_other_nodes_join_and_play_their_table() {
    let url = database();
    let tmp = TempDir::new("cluster-queue-play");
    let [a, b, c] = queue_zone(&url, &tmp);
    let nodes = [&a, &b, &c];
    let (run, others) = runner_and_the_others(&nodes);
    let (x, y) = (nodes[others[0]], nodes[others[1]]);

    let mut xena = x.registered_in_room("xena", ROOM);
    let mut yuri = y.registered_in_room("yuri", ROOM);
    let mut watcher = nodes[run].guest_in_room("watcher", ROOM);
    let (mx, my) = both_queue_once_all_see_all(&mut watcher, &mut xena, &mut yuri);

    // Each opens its channel on its own node and JOINs the id it was told.
    let mut xena_dio = Dio::open(x, "xena");
    let mut yuri_dio = Dio::open(y, "yuri");
    join_matched(&mut xena, &mx, true);
    join_matched(&mut yuri, &my, false);
    let seat = |m: &Element| m.attr("SEAT").unwrap().parse::<i32>().unwrap();
    assert_eq!(
        xena_dio.until(|m| matches!(m, Msg::Seat(_))),
        Msg::Seat(seat(&mx))
    );
    assert_eq!(
        yuri_dio.until(|m| matches!(m, Msg::Seat(_))),
        Msg::Seat(seat(&my))
    );

    // Seat 0 wins on the rising diagonal: 4, 2, 6 against 0, 1.
    let (first, second) = if seat(&mx) == 0 {
        (&mut xena_dio, &mut yuri_dio)
    } else {
        (&mut yuri_dio, &mut xena_dio)
    };
    play(&mut [&mut *first, &mut *second], &[4, 0, 2, 1, 6]);
    assert_eq!(first.until_game_over(), Msg::GameOver(0));
    assert_eq!(second.until_game_over(), Msg::GameOver(0));

    // The runner stored the result and told their own nodes
    // (STATS_CHANGED, docs/cluster.md §8), which reloaded it and sent it
    // on in PLAYER: the runner's room lists both with it. (Logging them in
    // again instead raced the result's write with the login's read.)
    let (winner, loser) = if seat(&mx) == 0 {
        ("xena", "yuri")
    } else {
        ("yuri", "xena")
    };
    wait_listed(&mut watcher, winner, |e| {
        attr_of(e, "WINS").as_deref() == Some("1")
    });
    wait_listed(&mut watcher, loser, |e| {
        attr_of(e, "LOSSES").as_deref() == Some("1")
    });
    for node in nodes {
        assert_eq!(node.count_log("panicked"), 0, "{}", node.log());
    }
}
