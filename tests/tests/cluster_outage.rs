//! PostgreSQL goes away for about ten seconds under a zone of three nodes
//! (docs/cluster.md §6): room and private chat go on across nodes, every
//! node refuses a registration with the clean `usr lookup`, no node takes
//! another for dead; when the server is back, registration and login work
//! again on every node, and a node runs the matchmaking queue again, with
//! no restart of any node.
//!
//! This stops the whole throwaway cluster of the test process, so it is
//! the only test of this binary.

use std::time::{Duration, Instant};

use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;
use support::*;

fn pg() -> &'static ggzd_pgtest::Cluster {
    ggzd_pgtest::cluster().unwrap_or_else(|e| panic!("throwaway PostgreSQL: {e}"))
}

/// `from` says `text` in room 0 and every one of `to` hears it.
fn room_chat(from: &mut Client, sender: &str, to: &mut [&mut Client], text: &str) {
    assert_eq!(
        request(from, &format!("<CHAT TYPE='normal'>{text}</CHAT>"), "chat"),
        "ok"
    );
    for client in to.iter_mut() {
        assert_eq!(chat_from(client, "normal", sender), text);
    }
}

fn private(from: &mut Client, sender: &str, to: &mut Client, recipient: &str, text: &str) {
    assert_eq!(
        request(
            from,
            &format!("<CHAT TYPE='private' TO='{recipient}'>{text}</CHAT>"),
            "chat"
        ),
        "ok"
    );
    assert_eq!(chat_from(to, "private", sender), text);
}

#[test]
fn three_nodes_chat_through_a_postgres_outage_and_all_recovers_without_restarts() {
    let url = pg().fresh_database("clusteroutage").unwrap();
    let [a, b, c] = zone(&url);
    assert_eq!(login(&a, LoginKind::First, "dora", Some("pw")), "ok");
    let mut alice = a.guest_in_room("alice", 0);
    let mut bob = b.guest_in_room("bob", 0);
    let mut carl = c.guest_in_room("carl", 0);
    for client in [&mut alice, &mut bob, &mut carl] {
        wait_players(client, &["alice", "bob", "carl"]);
    }
    room_chat(&mut alice, "alice", &mut [&mut bob, &mut carl], "before");

    pg().stop().unwrap();
    let stopped = Instant::now();

    // Requests that need the store get the clean answer on every node.
    for (node, name) in [(&a, "erin"), (&b, "finn"), (&c, "gus")] {
        assert_eq!(
            login(node, LoginKind::First, name, Some("pw")),
            "usr lookup",
            "registration during the outage\n{}",
            node.log()
        );
        assert_eq!(
            login(node, LoginKind::Normal, "dora", Some("pw")),
            "usr lookup"
        );
    }

    // About ten seconds down: room and private chat go on across nodes.
    let mut n = 0;
    while n < 3 || stopped.elapsed() < Duration::from_secs(10) {
        n += 1;
        room_chat(
            &mut bob,
            "bob",
            &mut [&mut alice, &mut carl],
            &format!("during {n}"),
        );
        private(&mut carl, "carl", &mut alice, "alice", &format!("psst {n}"));
        private(&mut alice, "alice", &mut bob, "Bob", &format!("hi {n}"));
        std::thread::sleep(Duration::from_millis(500));
    }
    for (node, name) in [(&a, "erin"), (&b, "finn"), (&c, "gus")] {
        assert_eq!(
            login(node, LoginKind::First, name, Some("pw")),
            "usr lookup"
        );
    }

    pg().restart().unwrap();

    // Recovery needs no restart of any node: each registers again...
    for (node, name) in [(&a, "erin"), (&b, "finn"), (&c, "gus")] {
        let deadline = Instant::now() + SLOW;
        loop {
            let code = login(node, LoginKind::First, name, Some("pw"));
            if code == "ok" {
                break;
            }
            assert_eq!(code, "usr lookup");
            assert!(Instant::now() < deadline, "still {code}\n{}", node.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // ...and a registered user logs in on every node, one after another.
    for node in [&a, &b, &c] {
        let mut dora = registered(node, "dora");
        dora.logout().unwrap();
    }
    // Nobody was taken for dead: every player is still in every list,
    // and the zone still chats.
    for client in [&mut alice, &mut bob, &mut carl] {
        wait_players(client, &["alice", "bob", "carl"]);
    }
    room_chat(&mut carl, "carl", &mut [&mut alice, &mut bob], "after");

    // The matchmaking queue's lock went with the outage and was taken
    // again after it: two players on two nodes are matched once more.
    let nodes = [&a, &b, &c];
    assert!(
        nodes
            .iter()
            .any(|n| n.count_log("no longer runs queue tictactoe") > 0),
        "nobody lost the queue's lock"
    );
    let mut xena = a.guest_in_room("xena", 1);
    let mut yuri = c.guest_in_room("yuri", 1);
    wait_players(&mut xena, &["xena", "yuri"]);
    for client in [&mut xena, &mut yuri] {
        assert_eq!(request(client, "<MATCH QUEUE='tictactoe'/>", "match"), "ok");
    }
    let tables: Vec<String> = [&mut xena, &mut yuri]
        .into_iter()
        .map(|client| {
            let m = client
                .recv_until(SLOW, |e| e.is("MATCHED"))
                .unwrap_or_else(|e| panic!("no MATCHED after the outage: {e}"));
            m.attr("TABLE").unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(tables[0], tables[1]);
    for (node, others) in [(&a, ["b", "c"]), (&b, ["a", "c"]), (&c, ["a", "b"])] {
        for other in others {
            assert_eq!(
                node.count_log(&format!("cluster: node {other} is dead")),
                0,
                "{}",
                node.log()
            );
        }
        assert_eq!(node.count_log("panicked"), 0, "{}", node.log());
    }
}
