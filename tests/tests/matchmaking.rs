//! Matchmaking queues end to end (docs/matchmaking.md), with the real
//! TicTacToe server: strangers matched into one table who then play, a
//! lone player and a bot, a no-show, a cancel, a queue added by SIGHUP,
//! and an original-style client that learns its table from a private
//! message and the room's UPDATE.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use ggzd_e2e::metrics::{metrics_addr, sample, scrape};
use ggzd_e2e::*;

/// Room 1 holds the queue; game 0 is TicTacToe.
const ROOM: i32 = 1;

/// The Tic-Tac-Toe room with one queue; `queue` adds keys to it.
fn write_rooms(dir: &Path, queue: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("entry.toml"), "name = \"Lobby\"\nmax_tables = 0\n").unwrap();
    let mut room = String::from("name = \"Tic-Tac-Toe\"\ngame = \"TicTacToe\"\n");
    if let Some(keys) = queue {
        room.push_str(&format!(
            "[[queue]]\nname = \"ttt\"\nmin_players = 2\nmax_players = 2\ninterval = 0.2\n{keys}\n"
        ));
    }
    std::fs::write(dir.join("ttt.toml"), room).unwrap();
}

fn server_with_queue(tag: &str, queue: Option<&str>) -> (TestServer, TempDir) {
    let tmp = TempDir::new(tag);
    let rooms = tmp.path().join("rooms");
    write_rooms(&rooms, queue);
    let server = TestServer::start_with(ServerOptions {
        rooms_dir: Some(rooms),
        ..Default::default()
    });
    (server, tmp)
}

/// A TicTacToe game channel, reading just enough of the DIO packets
/// (docs/tictactoe.md §2.3) to play.
struct Dio(TcpStream);

#[derive(Debug, PartialEq)]
enum Packet {
    ReqMove,
    RspMove(i8),
    GameOver(i8),
    Other(i32),
}

impl Dio {
    fn next(&mut self) -> Packet {
        let mut len = [0u8; 2];
        self.0.read_exact(&mut len).unwrap();
        let mut payload = vec![0u8; (u16::from_be_bytes(len) as usize).saturating_sub(2)];
        self.0.read_exact(&mut payload).unwrap();
        let opcode = i32::from_be_bytes(payload[..4].try_into().unwrap());
        match opcode {
            3 => Packet::GameOver(payload[4] as i8),
            4 => Packet::ReqMove,
            5 => Packet::RspMove(payload[4] as i8),
            other => Packet::Other(other),
        }
    }

    fn until(&mut self, pred: impl Fn(&Packet) -> bool) -> Packet {
        loop {
            let p = self.next();
            if pred(&p) {
                return p;
            }
        }
    }

    fn send_move(&mut self, square: i32) {
        let mut packet = vec![0, 10, 0, 0, 0, 0];
        packet.extend_from_slice(&square.to_be_bytes());
        self.0.write_all(&packet).unwrap();
    }

    /// Makes one accepted move, trying squares from `from` on.
    fn move_from(&mut self, from: &mut i32) {
        loop {
            self.until(|p| *p == Packet::ReqMove);
            let square = *from;
            *from += 1;
            self.send_move(square);
            if self.until(|p| matches!(p, Packet::RspMove(_))) == Packet::RspMove(0) {
                return;
            }
        }
    }
}

fn queue_list(client: &mut Client) -> Vec<Element> {
    client.send("<LIST TYPE='queue'/>").unwrap();
    let list = client.expect_result("list", TIMEOUT).unwrap();
    assert_eq!(list.attr("CODE"), Some("ok"));
    let list = list.child("LIST").unwrap();
    assert_eq!(list.attr("TYPE"), Some("queue"));
    list.children_named("QUEUE").cloned().collect()
}

fn matched(client: &mut Client) -> Element {
    client
        .recv_until(TIMEOUT, |e| e.is("MATCHED"))
        .unwrap_or_else(|e| panic!("no MATCHED: {e}"))
}

/// Opens the game channel and takes the seat MATCHED named.
fn sit(server: &TestServer, client: &mut Client, name: &str, m: &Element) -> Dio {
    let dio = Dio(open_game_channel(server, name));
    let table = m.attr("TABLE").unwrap();
    let seat = m.attr("SEAT").unwrap();
    let code = request(
        client,
        &format!("<JOIN TABLE='{table}' SEAT='{seat}'/>"),
        "join",
    );
    assert_eq!(code, "ok", "{name} joins table {table}");
    dio
}

#[test]
fn two_strangers_are_matched_into_one_table_and_play() {
    let (server, _tmp) = server_with_queue("mm-pair", Some(""));
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    alice.send("<EXTENSIONS NAMES='matchmaking'/>").unwrap();
    let ext = alice.recv_until(TIMEOUT, |e| e.is("EXTENSIONS")).unwrap();
    assert_eq!(ext.attr("NAMES"), Some("matchmaking"));

    let queues = queue_list(&mut alice);
    assert_eq!(queues.len(), 1);
    let q = &queues[0];
    assert_eq!(
        [
            q.attr("NAME"),
            q.attr("GAME"),
            q.attr("ROOM"),
            q.attr("MIN"),
            q.attr("MAX")
        ],
        [Some("ttt"), Some("0"), Some("1"), Some("2"), Some("2")]
    );
    assert_eq!(q.attr("WAITING"), Some("0"));

    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(queue_list(&mut bob)[0].attr("WAITING"), Some("1"));
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let (ma, mb) = (matched(&mut alice), matched(&mut bob));
    assert_eq!(ma.attr("QUEUE"), Some("ttt"));
    assert_eq!(ma.attr("ROOM"), Some("1"));
    assert_eq!(ma.attr("TABLE"), mb.attr("TABLE"));
    assert_ne!(ma.attr("SEAT"), mb.attr("SEAT"));

    let mut da = sit(&server, &mut alice, "alice", &ma);
    let mut db = sit(&server, &mut bob, "bob", &mb);
    // Alice ticketed first, so she has seat 0 and moves first: 0, 1, 2
    // wins against 3, 4.
    assert_eq!(ma.attr("SEAT"), Some("0"));
    let (mut a, mut b) = (0, 3);
    for _ in 0..2 {
        da.move_from(&mut a);
        db.move_from(&mut b);
    }
    da.move_from(&mut a);
    assert_eq!(
        da.until(|p| matches!(p, Packet::GameOver(_))),
        Packet::GameOver(0)
    );
    assert_eq!(
        db.until(|p| matches!(p, Packet::GameOver(_))),
        Packet::GameOver(0)
    );
    // Both may queue again once they left the finished table.
    for c in [&mut alice, &mut bob] {
        assert_eq!(request(c, "<LEAVE/>", "leave"), "ok");
        assert_eq!(request(c, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    }
    matched(&mut alice);
}

#[test]
fn a_lone_player_gets_a_bot_after_enough_rounds() {
    let (server, _tmp) = server_with_queue("mm-bot", Some("bots_after = 2"));
    let mut alice = server.guest_in_room("alice", ROOM);
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let m = matched(&mut alice);
    let table = m.attr("TABLE").unwrap().to_string();
    // The room saw the table with a bot in the other seat.
    alice.send("<LIST TYPE='table'/>").unwrap();
    let list = alice.expect_result("list", TIMEOUT).unwrap();
    let t = list
        .child("LIST")
        .unwrap()
        .children_named("TABLE")
        .find(|t| t.attr("ID") == Some(&table))
        .cloned()
        .unwrap();
    let kinds: Vec<&str> = t
        .children_named("SEAT")
        .map(|s| s.attr("TYPE").unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["reserved", "bot"]);
    let mut dio = sit(&server, &mut alice, "alice", &m);
    let mut from = 0;
    // Play squares in order until the game ends, whoever wins.
    loop {
        match dio.next() {
            Packet::ReqMove => {
                dio.send_move(from);
                from += 1;
            }
            Packet::GameOver(_) => break,
            _ => {}
        }
        assert!(from < 30, "the game never ended");
    }
}

#[test]
fn a_no_show_costs_only_that_match() {
    let (server, _tmp) = server_with_queue("mm-noshow", Some("no_show = 1.0\ncooldown = 600"));
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let ma = matched(&mut alice);
    matched(&mut bob);
    let _dio = sit(&server, &mut alice, "alice", &ma);
    // Bob never sits: the table ends and alice is back at the head.
    let leave = alice.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("gameover"));
    server
        .wait_for_log("bob did not take the seat", TIMEOUT)
        .unwrap();
    assert_eq!(
        request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"),
        "join fail"
    );
    let mut carol = server.guest_in_room("carol", ROOM);
    assert_eq!(request(&mut carol, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let (ma, mc) = (matched(&mut alice), matched(&mut carol));
    assert_eq!(ma.attr("TABLE"), mc.attr("TABLE"));
    // The requeued ticket keeps its age: alice is seated first.
    assert_eq!(ma.attr("SEAT"), Some("0"));
}

#[test]
fn a_cancelled_ticket_leaves_the_queue() {
    let (server, _tmp) = server_with_queue("mm-cancel", Some(""));
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(queue_list(&mut alice)[0].attr("WAITING"), Some("1"));
    assert_eq!(
        request(&mut alice, "<MATCH_CANCEL QUEUE='ttt'/>", "match_cancel"),
        "ok"
    );
    assert_eq!(queue_list(&mut alice)[0].attr("WAITING"), Some("0"));
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(queue_list(&mut bob)[0].attr("WAITING"), Some("1"));
    // Leaving the room ends a ticket too.
    enter(&mut bob, 0);
    assert_eq!(queue_list(&mut bob)[0].attr("WAITING"), Some("0"));
    // Refusals: unknown queue, not in the queue's room.
    assert_eq!(
        request(&mut alice, "<MATCH QUEUE='nope'/>", "match"),
        "bad options"
    );
    assert_eq!(
        request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"),
        "not in room"
    );
    assert_eq!(
        request(&mut bob, "<MATCH_CANCEL QUEUE='nope'/>", "match_cancel"),
        "bad options"
    );
}

#[test]
fn a_queue_added_by_sighup_is_offered_without_reopening_the_room() {
    let (server, tmp) = server_with_queue("mm-reload", None);
    let mut alice = server.guest_in_room("alice", ROOM);
    assert!(queue_list(&mut alice).is_empty());
    assert_eq!(
        request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"),
        "bad options"
    );
    write_rooms(&tmp.path().join("rooms"), Some("bots_after = 1"));
    let before = server.count_log("reload done");
    server.signal(libc::SIGHUP);
    let deadline = std::time::Instant::now() + TIMEOUT;
    while server.count_log("reload done") <= before {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let queues = queue_list(&mut alice);
    assert_eq!(queues.len(), 1);
    // Still in the same room, which stayed open.
    assert_eq!(queues[0].attr("ROOM"), Some("1"));
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    matched(&mut alice);
    assert_eq!(server.count_log("room 1 closing"), 0, "{}", server.log());
}

#[test]
fn an_original_client_joins_the_table_it_was_told_about() {
    let (server, _tmp) = server_with_queue("mm-original", Some(""));
    // Only protocol-10 elements plus MATCH: no EXTENSIONS.
    let mut old = server.guest_in_room("oldie", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    assert_eq!(request(&mut old, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let chat = old
        .recv_until(TIMEOUT, |e| {
            e.is("CHAT") && e.attr("TYPE") == Some("private")
        })
        .unwrap();
    let text = chat.text.clone();
    let table: String = text
        .split("table ")
        .nth(1)
        .unwrap_or_else(|| panic!("no table in {text:?}"))
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // The room's UPDATE shows that table with a seat reserved for us.
    let update = old
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("TYPE") == Some("table") && e.attr("ACTION") == Some("add")
        })
        .unwrap();
    let t = update.child("TABLE").unwrap();
    assert_eq!(t.attr("ID"), Some(table.as_str()));
    assert!(
        t.children_named("SEAT")
            .any(|s| s.attr("TYPE") == Some("reserved") && s.text == "oldie"),
        "{update:?}"
    );
    // JOIN by table alone picks the reserved seat.
    let _dio = open_game_channel(&server, "oldie");
    assert_eq!(
        request(&mut old, &format!("<JOIN TABLE='{table}'/>"), "join"),
        "ok"
    );
    let join = old.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
    assert_eq!(join.attr("TABLE"), Some(table.as_str()));
}

/// Runs `ggz --script` as `name` with `script`; returns its output after
/// it exits successfully.
fn ggz(server: &TestServer, name: &str, script: &str) -> std::process::Child {
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin("ggz"))
        .args(["--script", "--timeout", "30", "--name", name])
        .arg(format!("127.0.0.1:{}", server.addr.port()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ggz");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
    }
    child
}

#[test]
fn ggz_play_is_matched_and_sits_down_at_once() {
    let (server, _tmp) = server_with_queue("mm-ggz", Some(""));
    let script =
        "/enter 1\n/play ttt\n/wait you are playing at table\n/autoplay\n/result\n/leave\n";
    let runs = [ggz(&server, "alice", script), ggz(&server, "bob", script)];
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("waiting in queue ttt"), "{stdout}");
        assert!(stdout.contains("matched in queue ttt: table 1"), "{stdout}");
        assert!(stdout.contains("result: game over"), "{stdout}");
    }
}

#[test]
fn bench_queue_scenario_reports_matches_and_time_in_queue() {
    let (server, _tmp) = server_with_queue("mm-bench", Some(""));
    let out = bench(
        &server,
        &[
            "queue",
            "--guests",
            "--room",
            "1",
            "--queue",
            "ttt",
            "--players",
            "6",
            "--rate",
            "20",
            "--secs",
            "1.5",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(report["matches"].as_u64().unwrap_or(0) >= 1, "{out}");
    assert!(report["time_in_queue_p99_ms"].is_number(), "{out}");
    assert_eq!(report["failures"], "none", "{out}");
    assert_eq!(report["failed"], false, "{out}");
    // Guests' ratings are not shown: no gap is reported (the rated run is
    // tests/tests/bench_queue.rs).
    assert_eq!(report["players_are"], "guests", "{out}");
    assert!(report["rating_gap_p50"].is_null(), "{out}");
}

#[test]
fn metrics_show_queue_sizes_matches_and_waits() {
    let tmp = TempDir::new("mm-metrics");
    let rooms = tmp.path().join("rooms");
    write_rooms(&rooms, Some(""));
    let server = TestServer::start_with(ServerOptions {
        rooms_dir: Some(rooms),
        extra_config: "[metrics]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Default::default()
    });
    let addr = metrics_addr(&server);
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let text = scrape(addr);
    assert_eq!(sample(&text, "ggzd_queue_waiting{queue=\"ttt\"}"), 1.0);
    assert_eq!(sample(&text, "ggzd_matches_total"), 0.0);
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    matched(&mut alice);
    matched(&mut bob);
    let text = scrape(addr);
    assert_eq!(sample(&text, "ggzd_queue_waiting{queue=\"ttt\"}"), 0.0);
    assert_eq!(sample(&text, "ggzd_matches_total"), 1.0);
    assert_eq!(sample(&text, "ggzd_queue_wait_seconds_count"), 2.0);
    assert_eq!(sample(&text, "ggzd_match_rating_gap_count"), 1.0);
}
