//! Tables across nodes (docs/cluster.md §8): a table lives on the node
//! that launched it and is listed on every node, announced there with the
//! same `UPDATE TYPE='table'` lines as a local one; a JOIN of a remote
//! table that is full or does not exist is refused as a local one is; a
//! node killed with SIGKILL takes only its own tables with it. Three nodes
//! on one throwaway PostgreSQL; every wait is generous and nothing asserts
//! on time.

use std::time::{Duration, Instant};

use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;
use support::*;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;

/// Launches a two-seat TicTacToe table with `second` as seat 1; returns
/// its id on the launcher's node.
fn launch(client: &mut Client, second: &str) -> String {
    client
        .send(&format!(
            "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>across</DESC>\n<SEAT NUM='0' TYPE='open'/>\n{second}\n</TABLE>\n</LAUNCH>\n"
        ))
        .unwrap();
    assert_eq!(result_code(client, "launch"), "ok");
    let join = client.recv_until(SLOW, |e| e.is("JOIN")).unwrap();
    join.attr("TABLE").unwrap().to_string()
}

/// Each table of `LIST table` as (id, description, [(seat type, name)]).
type Listed = (String, String, Vec<(String, String)>);

fn tables(client: &mut Client) -> Vec<Listed> {
    client.send("<LIST TYPE='table'/>").unwrap();
    let result = client.expect_result("list", TIMEOUT).unwrap();
    let mut out: Vec<Listed> = result
        .child("LIST")
        .map(|l| {
            l.children_named("TABLE")
                .map(|t| {
                    (
                        t.attr("ID").unwrap_or_default().to_string(),
                        t.child("DESC").map(|d| d.text.clone()).unwrap_or_default(),
                        t.children_named("SEAT")
                            .map(|s| (s.attr("TYPE").unwrap_or("").to_string(), s.text.clone()))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Asks `LIST table` until `check` accepts it; returns that list.
fn wait_tables(client: &mut Client, what: &str, check: impl Fn(&[Listed]) -> bool) -> Vec<Listed> {
    let deadline = Instant::now() + SLOW;
    loop {
        let got = tables(client);
        if check(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "{what}: tables {got:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn seated(list: &[Listed], desc: &str, name: &str) -> Option<String> {
    list.iter()
        .find(|(_, d, seats)| {
            d == desc && seats.iter().any(|(kind, n)| kind == "player" && n == name)
        })
        .map(|(id, _, _)| id.clone())
}

#[test]
fn tables_are_listed_on_every_node_and_die_with_theirs() {
    let url = database();
    let [a, b, c] = zone(&url);
    let mut bob = b.guest_in_room("bob", ROOM);
    let mut carl = c.guest_in_room("carl", ROOM);
    wait_players(&mut bob, &["bob", "carl"]);

    // ann launches on a, against the bot: the table is full.
    let mut ann = a.guest_in_room("ann", ROOM);
    let _ann_game = open_game_channel(&a, "ann");
    let local_id = launch(&mut ann, "<SEAT NUM='1' TYPE='bot'/>");
    assert_eq!(local_id, "1", "a node's own ids are as on a single node");

    // b and c are told as of a local table, and list it.
    for client in [&mut bob, &mut carl] {
        client
            .recv_until(SLOW, |e| {
                e.is("UPDATE") && e.attr("TYPE") == Some("table") && e.attr("ACTION") == Some("add")
            })
            .expect("UPDATE table add on another node");
    }
    let on_b = wait_tables(&mut bob, "ann's table on b", |l| {
        seated(l, "across", "ann").is_some()
    });
    let remote_id = seated(&on_b, "across", "ann").unwrap();
    assert_ne!(remote_id, local_id, "shown above the room's local id range");
    let on_c = wait_tables(&mut carl, "ann's table on c", |l| {
        seated(l, "across", "ann").is_some()
    });
    assert!(
        on_c.iter()
            .any(|(_, d, s)| d == "across" && s.get(1).is_some_and(|s| s.0 == "bot")),
        "{on_c:?}"
    );

    // bob launches a table of his own on b: a has it too, under its own id.
    let _bob_game = open_game_channel(&b, "bob");
    let bob_table = launch(&mut bob, "<SEAT NUM='1' TYPE='open'/>");
    assert_eq!(bob_table, "1", "b's own first table, beside a's");
    wait_tables(&mut ann, "bob's table on a", |l| {
        seated(l, "across", "bob").is_some() && seated(l, "across", "ann").is_some()
    });

    // A JOIN of a remote table that is full, or of one no node has, is
    // refused as a local one is.
    let _carl_game = open_game_channel(&c, "carl");
    assert_eq!(
        request(
            &mut carl,
            &format!(
                "<JOIN TABLE='{}' SPECTATOR='false'/>",
                seated(&on_c, "across", "ann").unwrap()
            ),
            "join"
        ),
        "table full"
    );
    let _carl_game = open_game_channel(&c, "carl");
    assert_eq!(
        request(&mut carl, "<JOIN TABLE='77' SPECTATOR='false'/>", "join"),
        "no table"
    );

    // kill -9 a: its table leaves b's and c's lists; bob's stays.
    a.signal(libc::SIGKILL);
    for client in [&mut bob, &mut carl] {
        client
            .recv_until(SLOW, |e| {
                e.is("UPDATE")
                    && e.attr("TYPE") == Some("table")
                    && e.attr("ACTION") == Some("delete")
            })
            .expect("UPDATE table delete of the dead node's table");
    }
    let left = wait_tables(&mut carl, "only bob's table on c", |l| {
        l.len() == 1 && seated(l, "across", "bob").is_some()
    });
    assert_eq!(left.len(), 1);
    let left = tables(&mut bob);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].0, bob_table);
    // Nothing else broke: b and c still chat.
    assert_eq!(request(&mut carl, "<CHAT>still here</CHAT>", "chat"), "ok");
    assert_eq!(chat_from(&mut bob, "normal", "carl"), "still here");
}
