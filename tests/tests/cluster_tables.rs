//! Tables across nodes (docs/cluster.md §8): a table lives on the node
//! that launched it and is listed on every node, announced there with the
//! same `UPDATE TYPE='table'` lines as a local one; a JOIN of a remote
//! table that is full or does not exist is refused as a local one is; a
//! node killed with SIGKILL takes only its own tables with it. Three nodes
//! on one throwaway PostgreSQL; every wait is generous and nothing asserts
//! on time.

use std::time::{Duration, Instant};

use ggzd_e2e::dio::*;
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

/// The id under which `client`'s node lists the table "across" that seats
/// `name`, once it does.
fn table_seating(client: &mut Client, name: &str) -> String {
    let list = wait_tables(client, &format!("{name}'s table"), |l| {
        seated(l, "across", name).is_some()
    });
    seated(&list, "across", name).unwrap()
}

/// `name` (logged in as `client` on `server`) launches a table with seat 1
/// open, over a game channel opened first; the game server seats them at 0.
fn launch_with_channel(server: &TestServer, client: &mut Client, name: &str) -> Dio {
    let mut dio = Dio::open(server, name);
    launch(client, "<SEAT NUM='1' TYPE='open'/>");
    assert_eq!(dio.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(0));
    dio
}

/// ann (`ann_client`, on node `a`) launches a table with seat 1 open, and
/// bob (`bob_client`, on node `b`) joins it from his node, each over a game
/// channel opened on their own node. Returns the table's id on b and the
/// channels of ann and bob.
fn bob_joins_anns_table(
    a: &TestServer,
    ann_client: &mut Client,
    b: &TestServer,
    bob_client: &mut Client,
) -> (String, Dio, Dio) {
    let ann = launch_with_channel(a, ann_client, "ann");
    let table = table_seating(bob_client, "ann");
    let bob = join_with_channel(b, bob_client, "bob", &table, false);
    (table, ann, bob)
}

/// As [`bob_joins_anns_table`]; bob is at seat 1 and each has moved once
/// (ann to the middle, bob to the corner 0).
fn two_moves_into_a_game_across_nodes(
    a: &TestServer,
    ann_client: &mut Client,
    b: &TestServer,
    bob_client: &mut Client,
) -> (String, Dio, Dio) {
    let (table, mut ann, mut bob) = bob_joins_anns_table(a, ann_client, b, bob_client);
    assert_eq!(bob.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(1));
    play(&mut [&mut ann, &mut bob], &[4, 0]);
    (table, ann, bob)
}

/// Asks `LIST table` until seat `seat` of a table shows abandoned (held
/// for its player).
fn wait_seat_held(client: &mut Client, seat: usize, what: &str) {
    wait_tables(client, what, |l| {
        l.iter()
            .any(|(_, _, seats)| seats.get(seat).is_some_and(|s| s.0 == "abandoned"))
    });
}

/// `name` (logged in as `client` on `server`) opens a game channel there
/// and joins `table`; returns the channel.
fn join_with_channel(
    server: &TestServer,
    client: &mut Client,
    name: &str,
    table: &str,
    spectator: bool,
) -> Dio {
    let dio = Dio::open(server, name);
    join(client, table, spectator);
    dio
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
    let remote_id = table_seating(&mut bob, "ann");
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

fn join(client: &mut Client, table: &str, spectator: bool) {
    client
        .send(&format!("<JOIN TABLE='{table}' SPECTATOR='{spectator}'/>"))
        .unwrap();
    assert_eq!(result_code(client, "join"), "ok");
    let join = client.recv_until(SLOW, |e| e.is("JOIN")).unwrap();
    assert_eq!(join.attr("TABLE"), Some(table));
}

fn leave(client: &mut Client) -> String {
    client
        .send("<LEAVE FORCE='false' SPECTATOR='false'/>")
        .unwrap();
    assert_eq!(result_code(client, "leave"), "ok");
    let leave = client.recv_until(SLOW, |e| e.is("LEAVE")).unwrap();
    leave.attr("REASON").unwrap_or_default().to_string()
}

#[test]
fn a_player_of_another_node_joins_plays_and_is_watched_across_nodes() {
    let url = database();
    let [a, b, c] = zone(&url);
    let mut ann = a.registered_in_room("ann", ROOM);
    let mut bob = b.registered_in_room("bob", ROOM);
    let mut cy = c.guest_in_room("cy", ROOM);
    wait_players(&mut cy, &["ann", "bob", "cy"]);

    // bob, on b, joins ann's table on a with his channel opened on b.
    let (_, mut ann_dio, mut bob_dio) = bob_joins_anns_table(&a, &mut ann, &b, &mut bob);
    assert_eq!(
        bob_dio.until(|m| matches!(m, Msg::Players(_))),
        Msg::Players(vec![(3, "ann".into()), (3, "bob".into())])
    );
    assert_eq!(bob_dio.until(|m| matches!(m, Msg::Seat(_))), Msg::Seat(1));

    // cy, on c, sees both seated and watches: the game's traffic reaches
    // a spectator whose channel is relayed too.
    let on_c = wait_tables(&mut cy, "ann and bob at the table on c", |l| {
        seated(l, "across", "ann").is_some() && seated(l, "across", "bob").is_some()
    });
    let shown_on_c = seated(&on_c, "across", "bob").unwrap();
    // Room lists of c show where the players of a and b sit.
    cy.send("<LIST TYPE='player'/>").unwrap();
    let list = cy.expect_result("list", TIMEOUT).unwrap();
    let at: Vec<(String, String)> = list
        .child("LIST")
        .unwrap()
        .children_named("PLAYER")
        .map(|p| {
            (
                p.attr("ID").unwrap_or("").to_string(),
                p.attr("TABLE").unwrap_or("").to_string(),
            )
        })
        .filter(|(id, _)| id != "cy")
        .collect();
    assert!(
        at.iter().all(|(_, t)| *t == shown_on_c) && at.len() == 2,
        "{at:?}"
    );
    let mut cy_dio = join_with_channel(&c, &mut cy, "cy", &shown_on_c, true);

    // ann wins on the rising diagonal: 4, 2, 6 against 0, 1.
    play(&mut [&mut ann_dio, &mut bob_dio], &[4, 0, 2, 1, 6]);
    assert_eq!(ann_dio.until_game_over(), Msg::GameOver(0));
    assert_eq!(bob_dio.until_game_over(), Msg::GameOver(0));
    assert_eq!(
        cy_dio.until(|m| matches!(m, Msg::Move { square: 6, .. })),
        Msg::Move {
            player: 0,
            square: 6
        }
    );

    // a has stored the result once ann, at a, sees her new statistics.
    ann.recv_until(SLOW, |e| {
        e.is("UPDATE")
            && e.attr("ACTION") == Some("stats")
            && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("ann")
    })
    .expect("UPDATE stats for ann on a");

    // a stored bob's loss and told b, which read it again: bob's own node
    // shows it at once, and c hears it from b (no login needed).
    let bob_lost = |e: &ggzd_e2e::Element| {
        e.is("UPDATE")
            && e.attr("ACTION") == Some("stats")
            && e.child("PLAYER").is_some_and(|p| {
                p.attr("ID") == Some("bob")
                    && (p.attr("WINS"), p.attr("LOSSES")) == (Some("0"), Some("1"))
            })
    };
    bob.recv_until(SLOW, bob_lost)
        .expect("UPDATE stats for bob on b");
    cy.recv_until(SLOW, bob_lost)
        .expect("UPDATE stats for bob on c");

    // Everyone leaves; the table goes from c's list.
    assert_eq!(leave(&mut cy), "normal");
    assert_eq!(leave(&mut bob), "normal");
    leave(&mut ann);
    wait_tables(&mut cy, "the table gone from c", |l| l.is_empty());
}

#[test]
fn a_killed_table_node_ends_the_game_for_players_of_other_nodes() {
    let url = database();
    let [a, b, c] = zone(&url);
    let mut ann = a.guest_in_room("ann", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    let mut cy = c.guest_in_room("cy", ROOM);
    // Mid-game.
    let (_, _ann_dio, mut bob_dio) = two_moves_into_a_game_across_nodes(&a, &mut ann, &b, &mut bob);

    a.signal(libc::SIGKILL);
    // bob is told the table ended, and his relayed channel closes.
    let notice = bob
        .recv_until(SLOW, |e| e.is("CHAT") && e.attr("TYPE") == Some("private"))
        .expect("a notice that the table's server is gone");
    assert!(notice.text.contains("gone"), "{}", notice.text);
    let left = bob.recv_until(SLOW, |e| e.is("LEAVE")).unwrap();
    assert_eq!(left.attr("REASON"), Some("gameerror"));
    bob_dio.stream.set_read_timeout(Some(SLOW)).unwrap();
    let mut rest = Vec::new();
    use std::io::Read;
    let _ = bob_dio.stream.read_to_end(&mut rest);
    // The table leaves b's and c's lists; b and c go on.
    wait_tables(&mut bob, "the table gone from b", |l| l.is_empty());
    wait_tables(&mut cy, "the table gone from c", |l| l.is_empty());
    assert_eq!(request(&mut cy, "<CHAT>still here</CHAT>", "chat"), "ok");
    assert_eq!(chat_from(&mut bob, "normal", "cy"), "still here");
    // bob is at no table any more: he may launch one of his own.
    let _g = open_game_channel(&b, "bob");
    launch(&mut bob, "<SEAT NUM='1' TYPE='open'/>");
}

#[test]
fn a_dropped_player_logs_in_on_another_node_and_takes_the_held_seat_back() {
    let url = database();
    let [a, b, _c] = zone(&url);
    let mut ann = a.guest_in_room("ann", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    let (table, ann_dio, mut bob_dio) =
        two_moves_into_a_game_across_nodes(&a, &mut ann, &b, &mut bob);

    // ann's client dies mid-game: her seat on a is held for her.
    drop(ann);
    drop(ann_dio);
    wait_seat_held(&mut bob, 0, "ann's seat held");
    // She logs in again on b (once a has freed her name) and joins.
    let mut ann = guest_once_free(&b, "ann");
    enter(&mut ann, ROOM);
    let mut ann_dio = join_with_channel(&b, &mut ann, "ann", &table, false);
    let Msg::Sync { cells, .. } = ann_dio.until(|m| matches!(m, Msg::Sync { .. })) else {
        unreachable!()
    };
    assert_eq!((cells[4], cells[0]), (0, 1), "the board came back");
    // They play it out, both from b: ann completes the middle column.
    play(&mut [&mut ann_dio, &mut bob_dio], &[1, 8, 7]);
    assert_eq!(bob_dio.until_game_over(), Msg::GameOver(0));
}

/// Waits for the lobby UPDATE saying `name` now watches a table.
fn spectator_joined(client: &mut Client, name: &str) {
    client
        .recv_until(SLOW, |e| {
            e.is("UPDATE")
                && e.attr("ACTION") == Some("join")
                && e.child("TABLE")
                    .and_then(|t| t.child("SPECTATOR"))
                    .is_some_and(|s| s.text == name)
        })
        .unwrap_or_else(|e| panic!("no UPDATE of {name} watching: {e}"));
}

/// The seats of the INFO answer to `request`.
fn info_seats(client: &mut Client, request: &str) -> Vec<String> {
    client.send(request).unwrap();
    let info = client.recv_until(SLOW, |e| e.is("INFO")).unwrap();
    info.children_named("PLAYERINFO")
        .filter_map(|p| p.attr("SEAT").map(str::to_string))
        .collect()
}

#[test]
fn table_chat_and_info_reach_the_table_across_nodes() {
    let url = database();
    let [a, b, c] = zone(&url);
    let mut ann = a.guest_in_room("ann", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    let mut cy = c.guest_in_room("cy", ROOM);
    let mut dan = c.guest_in_room("dan", ROOM);

    // bob (on b) sits at ann's table on a; cy (on c) watches it.
    let _channels = bob_joins_anns_table(&a, &mut ann, &b, &mut bob);
    let on_c = table_seating(&mut cy, "bob");
    let _cy_dio = join_with_channel(&c, &mut cy, "cy", &on_c, true);
    spectator_joined(&mut ann, "cy");

    // A line of bob's reaches the table's node and everyone at the
    // table, on every node, bob included (as a local table chat does).
    assert_eq!(
        request(&mut bob, "<CHAT TYPE='table'>from b</CHAT>", "chat"),
        "ok"
    );
    for client in [&mut ann, &mut cy, &mut bob] {
        assert_eq!(chat_from(client, "table", "bob"), "from b");
    }
    // The table's own player and the watcher on c are heard the same way.
    assert_eq!(
        request(&mut ann, "<CHAT TYPE='table'>from a</CHAT>", "chat"),
        "ok"
    );
    for client in [&mut ann, &mut bob, &mut cy] {
        assert_eq!(chat_from(client, "table", "ann"), "from a");
    }
    assert_eq!(
        request(&mut cy, "<CHAT TYPE='table'>from c</CHAT>", "chat"),
        "ok"
    );
    for client in [&mut ann, &mut bob, &mut cy] {
        assert_eq!(chat_from(client, "table", "cy"), "from c");
    }
    // Someone at no table is refused as on a single node.
    assert_eq!(
        request(&mut dan, "<CHAT TYPE='table'>nope</CHAT>", "chat"),
        "no table"
    );

    // INFO at another node's table lists the seats the table's node knows.
    assert_eq!(info_seats(&mut bob, "<INFO/>"), vec!["0", "1"]);
    assert_eq!(info_seats(&mut bob, "<INFO SEAT='1'/>"), vec!["1"]);
}

#[test]
fn ggz_takes_a_seat_held_on_another_node_back_by_itself() {
    use ggzd_e2e::ggz_script::{ggz_ended_ok, spawn_ggz_script};
    let url = database();
    let [a, b, c] = zone(&url);
    let mut ann = a.guest_in_room("ann", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    let mut cy = c.guest_in_room("cy", ROOM);
    let (_, mut ann_dio, bob_dio) = two_moves_into_a_game_across_nodes(&a, &mut ann, &b, &mut bob);

    // bob's client dies mid-game: a holds his seat, and c sees it held.
    drop(bob);
    drop(bob_dio);
    wait_seat_held(&mut cy, 1, "bob's seat held, seen on c");

    // bob comes back with `ggz` on c, whose script only plays: the room,
    // the channel and the JOIN come from the REJOIN that c sends. Until b
    // has freed his name the login is refused: ggz is started again.
    let deadline = Instant::now() + SLOW;
    let ggz = 'started: loop {
        let mut ggz = spawn_ggz_script(c.addr, "bob", "60", b"/wait your turn\n/move 9\n/result\n");
        loop {
            let back = ann.recv_until(Duration::from_secs(1), |e| {
                e.is("UPDATE")
                    && e.attr("ACTION") == Some("join")
                    && e.child("TABLE")
                        .and_then(|t| t.child("SEAT"))
                        .is_some_and(|s| s.attr("NUM") == Some("1") && s.text == "bob")
            });
            if back.is_ok() {
                break 'started ggz;
            }
            if ggz.try_wait().ok().flatten().is_some() {
                let out = ggz.wait_with_output().expect("ggz ends");
                assert!(
                    Instant::now() < deadline,
                    "ggz never got back: {}",
                    String::from_utf8_lossy(&out.stdout)
                );
                std::thread::sleep(Duration::from_millis(300));
                break;
            }
        }
    };
    if ggzd_e2e::ttt_server::sends_seats() {
        // The game server has bob back before ann moves.
        ann_dio.until(|m| matches!(m, Msg::Players(p) if p[1] == (3, "bob".into())));
    } else {
        // A trunk server asks again once both seats are back.
        ann_dio.until(|m| *m == Msg::ReqMove);
    }
    ann_dio.moves_accepted(&[1, 7]);
    let stdout = ggz_ended_ok(ggz);
    assert!(stdout.contains("taking it back"), "{stdout}");
    assert!(
        stdout.contains("result: game over: X (ann) wins - you lost"),
        "{stdout}"
    );
}

/// Resumes a stopped node however the test ends.
struct Resume<'a>(&'a TestServer);

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        self.0.signal(libc::SIGCONT);
    }
}

#[test]
fn a_join_the_frozen_table_node_never_answers_fails_after_its_deadline() {
    let url = database();
    let [a, b] = slow_to_die_pair(&url);
    let mut ann = a.guest_in_room("ann", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    let _ann_game = open_game_channel(&a, "ann");
    launch(&mut ann, "<SEAT NUM='1' TYPE='open'/>");
    let table = table_seating(&mut bob, "ann");

    // a is frozen (not dead: b still has its link and its heartbeat is
    // young enough). bob's JOIN is forwarded and never answered.
    a.signal(libc::SIGSTOP);
    let resume = Resume(&a);
    let _bob_game = open_game_channel(&b, "bob");
    bob.send(&format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"))
        .unwrap();
    let result = bob
        .expect_result("join", SLOW)
        .expect("a RESULT join once the wait is over");
    assert_eq!(result.attr("CODE"), Some("join fail"));
    // b went on meanwhile.
    assert_eq!(request(&mut bob, "<CHAT>still here</CHAT>", "chat"), "ok");

    // a runs again: its late answer to the old JOIN is ignored, and a new
    // JOIN seats bob.
    drop(resume);
    let _bob_game = open_game_channel(&b, "bob");
    join(&mut bob, &table, false);
    wait_tables(&mut ann, "bob seated at ann's table", |l| {
        seated(l, "across", "bob").is_some()
    });
}

#[test]
fn a_browser_game_channel_is_relayed_to_the_tables_node() {
    use ggzd_e2e::web_channel::{web_addr, ws_game_channel};
    let url = database();
    let [a, b] = pair_with(&url, "[web]\nlisten = \"127.0.0.1:0\"\n");
    let web = web_addr(&b);
    let mut ann = a.guest_in_room("ann", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    let mut ann_dio = launch_with_channel(&a, &mut ann, "ann");
    let table = table_seating(&mut bob, "ann");

    // bob's game channel is a WebSocket on b; the table is on a.
    let mut channel = ws_game_channel(web, "bob", SLOW);
    join(&mut bob, &table, false);

    // ann moves; the game server's bytes reach the browser on b, up to
    // its own turn.
    ann_dio.until(|m| *m == Msg::ReqMove);
    ann_dio.send_move(4);
    assert_eq!(
        ann_dio.until(|m| matches!(m, Msg::RspMove(_))),
        Msg::RspMove(0)
    );
    let req_move = [0u8, 6, 0, 0, 0, 4];
    let mut bytes: Vec<u8> = Vec::new();
    while !bytes.windows(req_move.len()).any(|w| w == req_move) {
        match channel.read().expect("game bytes over the relay") {
            tungstenite::Message::Binary(b) => bytes.extend_from_slice(&b),
            tungstenite::Message::Close(_) => panic!("the channel closed: {bytes:?}"),
            _ => {}
        }
    }
    // The browser's move reaches the game server on a.
    let mut packet = vec![0u8, 10, 0, 0, 0, 0];
    packet.extend_from_slice(&0i32.to_be_bytes());
    channel
        .send(tungstenite::Message::binary(packet))
        .expect("send a move");
    assert_eq!(
        ann_dio.until(|m| matches!(m, Msg::Move { .. })),
        Msg::Move {
            player: 1,
            square: 0
        }
    );
}
