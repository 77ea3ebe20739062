//! The lockstep relay (`ggzd-lockstep`, docs/lockstep.md) through the real
//! ggzd: players launch and join over XML, their game channels are handed
//! to the relay, and scripted clients play "Race to 100" with the demo
//! engine. One test thread drives every client turn by turn, so nothing
//! depends on timing: a turn closes only once each player's command is in.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

use ggzd_e2e::*;
use lockstep::demo::DemoClient;
use lockstep::wire::{
    ErrorCode, FromRelay, SPECTATOR_SEAT, SeatStatus, Splitter, ToRelay, decode_from_relay,
    encode_to_relay,
};

const ROOM: i32 = 1;

fn description(turn_ms: u32, lag_turns: u32, lag_timeout_ms: u32) -> String {
    format!(
        "name = \"Race to 100\"\n\
         [launch]\n\
         executable = [\"ggzd-lockstep\", \"--turn-ms\", \"{turn_ms}\", \"--max-command-bytes\", \"16\",\n\
           \"--hash-bytes\", \"8\", \"--max-lag-turns\", \"{lag_turns}\", \"--lag-timeout-ms\", \"{lag_timeout_ms}\"]\n\
         [protocol]\nengine = \"Lockstep\"\nversion = \"2\"\n\
         [table]\nplayers = \"2\"\nspectators = true\nleave = true\n\
         [statistics]\nrecords = true\n"
    )
}

fn server(tag: &str, turn_ms: u32, lag_turns: u32, lag_timeout_ms: u32) -> (TestServer, TempDir) {
    start_with_one_game(
        tag,
        "race.toml",
        &description(turn_ms, lag_turns, lag_timeout_ms),
        "name = \"Play\"\ngame = \"Race to 100\"\n",
        "",
    )
}

/// One client's game channel, running the demo engine.
struct Player {
    stream: TcpStream,
    splitter: Splitter,
    demo: DemoClient,
}

impl Player {
    fn open(server: &TestServer, name: &str) -> Player {
        Player {
            stream: open_game_channel(server, name),
            splitter: Splitter::new(1 << 24),
            demo: DemoClient::new(),
        }
    }

    fn send(&mut self, msg: &ToRelay) {
        self.stream.write_all(&encode_to_relay(msg)).unwrap();
    }

    /// Next frame, with the demo's answers (hashes, outcome) sent back.
    fn next(&mut self) -> FromRelay {
        loop {
            if let Some((kind, body)) = self.splitter.next_frame().unwrap() {
                let msg = decode_from_relay(kind, &body).unwrap();
                for reply in self.demo.on_frame(&msg).unwrap() {
                    self.send(&reply);
                }
                return msg;
            }
            let mut buf = [0u8; 4096];
            let n = self.stream.read(&mut buf).expect("read from the relay");
            assert!(n > 0, "the relay closed the channel");
            self.splitter.push(&buf[..n]);
        }
    }

    fn until(&mut self, mut pred: impl FnMut(&FromRelay) -> bool) -> FromRelay {
        loop {
            let msg = self.next();
            if pred(&msg) {
                return msg;
            }
        }
    }

    fn error(&mut self) -> (ErrorCode, String) {
        match self.until(|m| matches!(m, FromRelay::Error { .. })) {
            FromRelay::Error { code, text, .. } => (code, text),
            _ => unreachable!(),
        }
    }

    /// Sends the command for the next turn.
    fn command(&mut self, step: u8) {
        let cmd = self.demo.command(step).expect("a command is due");
        self.send(&cmd);
    }

    /// Waits until the next turn has been applied; returns its number.
    fn await_turn(&mut self) -> u32 {
        let turn = self.demo.race.as_ref().expect("started").turn();
        self.until(|m| matches!(m, FromRelay::Master { turn: t, .. } if *t == turn));
        turn
    }

    fn hash(&self) -> [u8; 8] {
        self.demo.race.as_ref().expect("started").hash()
    }

    /// Reads until the relay closes the channel.
    fn expect_closed(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return,
                Err(e) => panic!("channel not closed: {e}"),
            }
        }
    }
}

fn registered(server: &TestServer, name: &str) -> Client {
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

fn launch(client: &mut Client) -> String {
    client
        .send(
            "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>race</DESC>\n<SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n",
        )
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

/// Two players at one table, both ready: the game has started.
struct Table {
    ann: Client,
    bob: Client,
    ann_ch: Player,
    bob_ch: Player,
    table: String,
}

fn started(server: &TestServer) -> Table {
    let mut ann = registered(server, "ann");
    let mut bob = registered(server, "bob");
    let mut ann_ch = Player::open(server, "ann");
    let table = launch(&mut ann);
    ann_ch.until(|m| matches!(m, FromRelay::Welcome { seat: 0, .. }));
    let mut bob_ch = Player::open(server, "bob");
    join(&mut bob, &table, false);
    bob_ch.until(|m| matches!(m, FromRelay::Welcome { seat: 1, .. }));
    ann_ch.send(&ToRelay::Setup(b"seed=7".to_vec()));
    // Bob sees ann's setup before committing to it.
    bob_ch.until(|m| matches!(m, FromRelay::SetupState(s) if !s.is_empty()));
    ann_ch.send(&ToRelay::Ready(true));
    bob_ch.send(&ToRelay::Ready(true));
    for p in [&mut ann_ch, &mut bob_ch] {
        p.until(|m| matches!(m, FromRelay::CaughtUp { next_turn: 0 }));
    }
    Table {
        ann,
        bob,
        ann_ch,
        bob_ch,
        table,
    }
}

/// Plays `n` turns with both players; ann steps `a`, bob `b`.
fn turns(t: &mut Table, n: u32, a: u8, b: u8) {
    for _ in 0..n {
        t.ann_ch.command(a);
        t.bob_ch.command(b);
        let ta = t.ann_ch.await_turn();
        let tb = t.bob_ch.await_turn();
        assert_eq!(ta, tb);
        assert_eq!(t.ann_ch.hash(), t.bob_ch.hash());
    }
}

/// Plays until both see GAME_OVER; returns the results.
fn play_out(t: &mut Table, a: u8, b: u8) -> Vec<u8> {
    loop {
        if t.ann_ch.demo.race.as_ref().unwrap().outcome().is_some() {
            break;
        }
        turns(t, 1, a, b);
    }
    let over = |m: &FromRelay| matches!(m, FromRelay::GameOver { .. });
    let FromRelay::GameOver { results, .. } = t.ann_ch.until(over) else {
        unreachable!()
    };
    let FromRelay::GameOver { results: seen, .. } = t.bob_ch.until(over) else {
        unreachable!()
    };
    assert_eq!(results, seen);
    results
}

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

#[test]
fn two_players_race_to_a_win_and_the_record_counts() {
    let (server, _tmp) = server("ls-full", 20, 50, 30_000);
    let mut t = started(&server);
    let results = play_out(&mut t, 3, 1);
    assert_eq!(results, vec![0, 1], "ann steps 3 a turn, bob 1");
    let a = stats_of(&mut t.bob, "ann");
    assert_eq!((a.attr("WINS"), a.attr("LOSSES")), (Some("1"), Some("0")));
    let b = stats_of(&mut t.bob, "bob");
    assert_eq!((b.attr("WINS"), b.attr("LOSSES")), (Some("0"), Some("1")));
    // The table ends with the game.
    let leave = t.ann.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("gameover"));
}

#[test]
fn a_forced_desync_halts_the_game_and_changes_no_record() {
    let (server, _tmp) = server("ls-desync", 20, 50, 30_000);
    let mut t = started(&server);
    turns(&mut t, 3, 2, 2);
    // From turn 3 on bob's client reports a wrong hash.
    t.bob_ch.demo.corrupt_from = Some(3);
    let desync = |m: &FromRelay| matches!(m, FromRelay::Desync { .. });
    t.ann_ch.command(2);
    t.bob_ch.command(2);
    // Bob applies turn 3 and sends his (wrong) hash of it.
    assert_eq!(t.bob_ch.await_turn(), 3);
    let seen = t.ann_ch.until(desync);
    assert_eq!(
        seen,
        FromRelay::Desync {
            turn: 3,
            seats: vec![0, 1]
        },
        "two players: neither is the majority, both are named"
    );
    assert_eq!(t.bob_ch.until(desync), seen);
    // The report says "none" for both: counted as played, nothing won.
    for name in ["ann", "bob"] {
        let s = stats_of(&mut t.ann, name);
        assert_eq!(
            (s.attr("WINS"), s.attr("LOSSES"), s.attr("TIES")),
            (Some("0"), Some("0"), Some("0")),
            "{name}"
        );
    }
    let leave = t.bob.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("gameover"));
    assert!(server.wait_for_log("desync at turn 3", TIMEOUT).is_some());
}

#[test]
fn a_lagging_player_pauses_the_game_then_is_dropped() {
    let (server, _tmp) = server("ls-lag", 20, 3, 1500);
    let mut t = started(&server);
    turns(&mut t, 2, 1, 1);
    // Bob stops sending commands; ann's turn waits for him.
    t.ann_ch.command(1);
    assert_eq!(
        t.ann_ch.until(|m| matches!(m, FromRelay::Paused(_))),
        FromRelay::Paused(vec![1])
    );
    let (code, text) = t.bob_ch.error();
    assert_eq!(code, ErrorCode::Dropped, "{text}");
    t.bob_ch.expect_closed();
    let leave = t.bob.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("boot"));
    // Ann sees him absent, the game resumes, and goes on without him.
    t.ann_ch.until(|m| {
        matches!(m, FromRelay::Seats(s) if s.get(1) == Some(&(SeatStatus::Absent, "bob".into())))
    });
    t.ann_ch.until(|m| *m == FromRelay::Resumed);
    let FromRelay::Master { commands, .. } =
        t.ann_ch.until(|m| matches!(m, FromRelay::Master { .. }))
    else {
        unreachable!()
    };
    assert_eq!(commands, vec![Some(vec![1]), None]);
}

#[test]
fn a_player_who_left_rejoins_catches_up_and_hashes_match() {
    let (server, _tmp) = server("ls-rejoin", 20, 50, 30_000);
    let mut t = started(&server);
    turns(&mut t, 4, 1, 1);
    // Bob leaves mid-game: ggzd keeps the seat for him (abandoned).
    t.bob
        .send("<LEAVE FORCE='false' SPECTATOR='false'/>")
        .unwrap();
    assert_eq!(result_code(&mut t.bob, "leave"), "ok");
    t.ann_ch.until(|m| {
        matches!(m, FromRelay::Seats(s) if s.get(1) == Some(&(SeatStatus::Absent, "bob".into())))
    });
    // Ann plays on alone.
    for _ in 0..5 {
        t.ann_ch.command(1);
        t.ann_ch.await_turn();
    }
    // Someone else cannot take bob's seat.
    let mut eve = registered(&server, "eve");
    eve.send(&format!("<JOIN TABLE='{}' SPECTATOR='false'/>", t.table))
        .unwrap();
    assert_ne!(result_code(&mut eve, "join"), "ok");

    // Bob comes back: setup, start, all nine turns, caught up, same hash.
    let mut bob_ch = Player::open(&server, "bob");
    join(&mut t.bob, &t.table, false);
    let mut replayed = Vec::new();
    let caught = bob_ch.until(|m| {
        if let FromRelay::Master { turn, .. } = m {
            replayed.push(*turn);
        }
        matches!(m, FromRelay::CaughtUp { .. })
    });
    assert_eq!(caught, FromRelay::CaughtUp { next_turn: 9 });
    assert_eq!(replayed, (0..9).collect::<Vec<_>>());
    assert_eq!(bob_ch.hash(), t.ann_ch.hash());
    t.bob_ch = bob_ch;
    // The relay compared his hash of turn 8 with ann's; the game plays
    // on to an agreed end (a mismatch would have halted it).
    let results = play_out(&mut t, 1, 3);
    assert_eq!(results.len(), 2);
    assert!(
        server
            .wait_for_log("bob rejoined seat 1 at turn 9", TIMEOUT)
            .is_some()
    );
}

#[test]
fn a_spectator_catches_up_mid_game_and_cannot_play() {
    let (server, _tmp) = server("ls-spectate", 20, 50, 30_000);
    let mut t = started(&server);
    turns(&mut t, 6, 2, 1);
    let mut carol = registered(&server, "carol");
    let mut carol_ch = Player::open(&server, "carol");
    join(&mut carol, &t.table, true);
    assert!(matches!(
        carol_ch.next(),
        FromRelay::Welcome {
            seat: SPECTATOR_SEAT,
            ..
        }
    ));
    carol_ch.until(|m| *m == FromRelay::CaughtUp { next_turn: 6 });
    assert_eq!(carol_ch.hash(), t.ann_ch.hash());
    carol_ch.send(&ToRelay::Command {
        turn: 6,
        body: vec![3],
    });
    assert_eq!(carol_ch.error().0, ErrorCode::Spectator);
    // She follows the live turns too.
    turns(&mut t, 2, 2, 1);
    carol_ch.until(|m| matches!(m, FromRelay::Master { turn: 7, .. }));
    assert_eq!(carol_ch.hash(), t.ann_ch.hash());
}

#[test]
fn stale_and_oversized_commands_are_refused_and_not_applied() {
    let (server, _tmp) = server("ls-refuse", 20, 50, 30_000);
    let mut t = started(&server);
    turns(&mut t, 2, 1, 1);
    t.ann_ch.send(&ToRelay::Command {
        turn: 0,
        body: vec![3],
    });
    let (code, text) = t.ann_ch.error();
    assert_eq!(code, ErrorCode::StaleTurn, "{text}");
    t.ann_ch.send(&ToRelay::Command {
        turn: 2,
        body: vec![3; 17],
    });
    let (code, text) = t.ann_ch.error();
    assert_eq!(code, ErrorCode::TooLarge, "{text}");
    // Neither counted: turn 2 carries the commands sent now.
    turns(&mut t, 1, 2, 3);
    assert_eq!(t.ann_ch.demo.race.as_ref().unwrap().turn(), 3);
    turns(&mut t, 1, 1, 1);
}

#[test]
fn garbage_from_one_player_costs_only_that_player() {
    let (server, _tmp) = server("ls-garbage", 20, 50, 30_000);
    let mut t = started(&server);
    turns(&mut t, 2, 1, 1);
    t.bob_ch.stream.write_all(&[0xFF; 16]).unwrap();
    assert_eq!(t.bob_ch.error().0, ErrorCode::BadFrame);
    t.bob_ch.expect_closed();
    let leave = t.bob.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("boot"));
    // Ann plays on; bob's seat is absent in every turn.
    for _ in 0..3 {
        t.ann_ch.command(2);
        t.ann_ch.await_turn();
    }
    // The lobby is unharmed for both.
    t.bob.send("<LIST TYPE='table'/>").unwrap();
    t.bob.expect_result("list", TIMEOUT).unwrap();
    t.ann.send("<LIST TYPE='table'/>").unwrap();
    t.ann.expect_result("list", TIMEOUT).unwrap();
}

/// Runs `ggz --script` against the server and returns (exit code, stdout).
fn ggz(server: &TestServer, name: &str, script: &str) -> (Option<i32>, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin("ggz"))
        .args(["--script", "--timeout", "30", "--name", name])
        .arg(server.addr.to_string())
        .env_remove("GGZ_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ggz");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
    }
    let out = child.wait_with_output().expect("ggz output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "ggz panicked: {stderr}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn two_ggz_clients_race_to_the_end() {
    let (server, _tmp) = server("ls-ggz", 20, 50, 30_000);
    let (ann, bob) = std::thread::scope(|s| {
        let ann = s.spawn(|| {
            ggz(
                &server,
                "ann",
                "/enter Play\n/launch reserved:bob\n/wait bob here\n3\nready\n/wait game over\n",
            )
        });
        let bob = ggz(
            &server,
            "bob",
            "/enter Play\n/wait reserved bob\n/join\n/wait lockstep: seat 1\nready\n/wait game over\n",
        );
        (ann.join().expect("ann"), bob)
    });
    let ((code_a, out_a), (code_b, out_b)) = (ann, bob);
    assert_eq!(code_a, Some(0), "{out_a}");
    assert_eq!(code_b, Some(0), "{out_b}");
    // Ann steps 3 a turn, bob the default 1.
    for out in [&out_a, &out_b] {
        assert!(out.contains("the race starts"), "{out}");
        assert!(out.contains(": ann wins;"), "{out}");
    }
}

#[test]
fn the_bench_scenario_runs_tables_and_reports_turns() {
    // Long lag limits: a slow machine may not keep the bench's pace.
    let (server, _tmp) = server("ls-bench", 50, 1000, 60_000);
    let json = bench(
        &server,
        &[
            "lockstep", "--tables", "3", "--room", "1", "--game", "0", "--secs", "1",
        ],
    );
    let value: serde_json::Value = serde_json::from_str(json.trim()).expect("bench JSON");
    assert_eq!(value["scenario"], "lockstep", "{json}");
    assert_eq!(value["failed"], false, "{json}");
    assert_eq!(value["tables_running"], 3, "{json}");
    assert!(value["turns"].as_u64().is_some_and(|t| t > 0), "{json}");
    for key in [
        "turns_per_s",
        "master_p50_ms",
        "master_p99_ms",
        "cpu_per_table_pct",
    ] {
        assert!(value[key].is_number(), "no {key} in {json}");
    }
}
