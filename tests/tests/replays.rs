//! Played games (docs/replays.md) through the real ggzd and the real
//! TicTacToe server: a game is recorded from its event log, listed with
//! `LIST TYPE='played'`, replayed with `REPLAY` event by event, shown by
//! the real `ggz` (`/games-played`, `/replay`), exported by `ggzduedit`,
//! and old games go by retention. Runs on PostgreSQL too
//! (`GGZD_TEST_STORE=postgres`).

use std::process::Command;
use std::time::{Duration, Instant};

use ggzd_e2e::dio::*;
use ggzd_e2e::ggz_script::{ggz_ended_ok, spawn_ggz_script};
use ggzd_e2e::*;

#[path = "support/played_db.rs"]
mod played_db;
use played_db::*;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;
/// Recording and pruning happen on workers after the game: poll this long.
const SETTLE: Duration = Duration::from_secs(60);

fn with_replays(mut c: Client) -> Client {
    c.send("<EXTENSIONS NAMES='replays'/>").unwrap();
    let ext = c.recv_until(TIMEOUT, |e| e.is("EXTENSIONS")).unwrap();
    assert_eq!(ext.attr("NAMES"), Some("replays"));
    c
}

fn registered(server: &TestServer, name: &str) -> Client {
    let mut c = server.connect();
    let reply = c.login(LoginKind::First, name, Some("pw"), None).unwrap();
    assert_eq!(reply.code, "ok");
    let mut c = with_replays(c);
    enter(&mut c, ROOM);
    c
}

fn guest(server: &TestServer, name: &str) -> Client {
    let mut c = with_replays(server.guest(name));
    enter(&mut c, ROOM);
    c
}

/// The PLAYED elements of `LIST TYPE='played'` (of `player`, or mine).
fn played(c: &mut Client, player: Option<&str>) -> Vec<Element> {
    let who = player.map_or_else(String::new, |p| format!(" PLAYER='{p}'"));
    c.send(&format!("<LIST TYPE='played'{who}/>")).unwrap();
    let result = c.expect_result("list", TIMEOUT).unwrap();
    assert_eq!(result.attr("CODE"), Some("ok"), "{result:?}");
    let list = result.child("LIST").expect("a LIST");
    assert_eq!(list.attr("TYPE"), Some("played"));
    list.children_named("PLAYED").cloned().collect()
}

/// Polls the list until `done` holds.
fn played_until(
    c: &mut Client,
    player: Option<&str>,
    done: impl Fn(&[Element]) -> bool,
) -> Vec<Element> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let games = played(c, player);
        if done(&games) {
            return games;
        }
        assert!(
            Instant::now() < deadline,
            "played games never settled: {games:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn seats(game: &Element) -> Vec<(String, String, String, String)> {
    game.children_named("SEAT")
        .map(|s| {
            let a = |n| s.attr(n).unwrap_or_default().to_owned();
            (a("NUM"), a("NAME"), a("TYPE"), a("RESULT"))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (kind, data hex) of every event of a replay, fetched page by page.
fn replay(c: &mut Client, id: &str) -> (Element, Vec<(u64, String, String)>) {
    let mut events = Vec::new();
    let mut from = 1;
    loop {
        c.send(&format!("<REPLAY ID='{id}' FROM='{from}'/>"))
            .unwrap();
        let page = c
            .recv_until(TIMEOUT, |e| e.is("REPLAY") || e.is("RESULT"))
            .unwrap();
        assert!(page.is("REPLAY"), "refused: {page:?}");
        for e in page.children_named("EVENT") {
            let a = |n| e.attr(n).unwrap_or_default().to_owned();
            events.push((a("SEQ").parse().unwrap(), a("KIND"), a("DATA")));
        }
        match page.attr("NEXT") {
            Some(next) => from = next.parse().unwrap(),
            None => return (page, events),
        }
    }
}

/// alice (registered, X) beats bob (guest, O) on the top row.
const MOVES: [(u8, u8); 5] = [(0, 0), (1, 3), (0, 1), (1, 4), (0, 2)];

fn play_a_game(server: &TestServer) -> (Client, Client) {
    let mut alice = registered(server, "alice");
    let mut bob = guest(server, "bob");
    let mut alice_dio = Dio::open(server, "alice");
    alice
        .send(
            "<LAUNCH><TABLE GAME='0' SEATS='2'><DESC>replayed</DESC>\
             <SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='open'/></TABLE></LAUNCH>",
        )
        .unwrap();
    assert_eq!(result_code(&mut alice, "launch"), "ok");
    let table = alice.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
    let table = table.attr("TABLE").unwrap().to_owned();
    let mut bob_dio = Dio::open(server, "bob");
    bob.send(&format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"))
        .unwrap();
    assert_eq!(result_code(&mut bob, "join"), "ok");
    let squares: Vec<i32> = MOVES.iter().map(|(_, c)| i32::from(*c)).collect();
    play(&mut [&mut alice_dio, &mut bob_dio], &squares[..4]);
    alice_dio.until(|m| *m == Msg::ReqMove);
    alice_dio.send_move(squares[4]);
    assert_eq!(alice_dio.until_game_over(), Msg::GameOver(0));
    assert_eq!(bob_dio.until_game_over(), Msg::GameOver(0));
    (alice, bob)
}

#[test]
fn a_tictactoe_game_is_listed_replayed_shown_by_ggz_and_exported() {
    let server = TestServer::start();
    let (mut alice, mut bob) = play_a_game(&server);

    // Listed for both players, with seats, types and results.
    let games = played_until(&mut alice, None, |g| !g.is_empty());
    assert_eq!(games.len(), 1);
    let game = &games[0];
    assert_eq!(game.attr("GAME"), Some("TicTacToe"));
    assert_eq!(game.attr("STATUS"), Some("finished"));
    let expected_seats = vec![
        ("0".into(), "alice".into(), "player".into(), "win".into()),
        ("1".into(), "bob".into(), "guest".into(), "loss".into()),
    ];
    assert_eq!(seats(game), expected_seats);
    let id = game.attr("ID").unwrap().to_owned();
    assert_eq!(played(&mut bob, None), games);
    assert_eq!(played(&mut bob, Some("ALICE")), games);
    assert!(played(&mut bob, Some("nobody")).is_empty());

    // The replay: every move in order, as the game logged it.
    let (head, events) = replay(&mut bob, &id);
    assert_eq!(head.attr("GAME"), Some("TicTacToe"));
    assert_eq!(seats(&head), expected_seats);
    assert_eq!(
        head.attr("EVENTS").map(str::to_owned),
        Some(events.len().to_string())
    );
    let seqs: Vec<u64> = events.iter().map(|e| e.0).collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    let moves: Vec<String> = events
        .iter()
        .filter(|e| e.1 == "move")
        .map(|e| e.2.clone())
        .collect();
    let expected_moves: Vec<String> = MOVES.iter().map(|(s, c)| hex(&[*s, *c])).collect();
    assert_eq!(moves, expected_moves);
    let kinds: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert!(
        kinds.contains(&"seat") && kinds.contains(&"start"),
        "{kinds:?}"
    );
    assert_eq!(
        events.iter().find(|e| e.1 == "over").map(|e| e.2.as_str()),
        Some("00")
    );
    // Unknown ids are refused with a reason.
    bob.send("<REPLAY ID='999999'/>").unwrap();
    let refused = bob.expect_result("replay", TIMEOUT).unwrap();
    assert_eq!(refused.attr("REASON"), Some("unknown id"));

    // The real ggz shows the list and the game move by move.
    let stdout = ggz_ended_ok(spawn_ggz_script(
        server.addr,
        "carol",
        "20",
        format!("/games-played alice\n/replay {id}\n/quit\n").as_bytes(),
    ));
    for line in [
        "played games of alice:".to_owned(),
        format!("#{id} TicTacToe finished"),
        "alice (player, win) vs bob (guest, loss)".to_owned(),
        format!("replay #{id}: TicTacToe (finished)"),
        "move 1: alice (X) takes square 1".to_owned(),
        "move 2: bob (O) takes square 4".to_owned(),
        "move 5: alice (X) takes square 3".to_owned(),
        "       X X X".to_owned(),
        "game over: alice (X) wins".to_owned(),
        format!("end of replay #{id}"),
    ] {
        assert!(
            stdout.lines().any(|l| l.contains(&line)),
            "no {line:?} in:\n{stdout}"
        );
    }

    // ggzduedit exports it as JSON, on whichever backend the server uses.
    let file = server.dir.path().join("game.json");
    let output = Command::new(bin("ggzduedit"))
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["export-game", &id, "--out"])
        .arg(&file)
        .output()
        .expect("run ggzduedit");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("the export")).expect("JSON");
    assert_eq!(json["id"].to_string(), id);
    assert_eq!(json["game"], "TicTacToe");
    assert_eq!(json["status"], "finished");
    assert_eq!(json["result"], "alice won");
    assert!(json["date"].as_i64().is_some_and(|d| d > 0));
    assert_eq!(json["players"][0]["name"], "alice");
    assert_eq!(json["players"][1]["type"], "guest");
    assert_eq!(json["players"][1]["result"], "loss");
    let exported = json["events"].as_array().expect("events");
    assert_eq!(exported.len(), events.len());
    for (j, (seq, kind, data)) in exported.iter().zip(&events) {
        assert_eq!(j["seq"].as_u64(), Some(*seq));
        assert_eq!(j["kind"], kind.as_str());
        assert_eq!(j["data"], data.as_str());
        assert!(j["time"].as_u64().is_some_and(|t| t > 0));
    }
    // ggzd-ctl asks the running server for the same document, byte for byte.
    let by_ctl = server.dir.path().join("game-ctl.json");
    let output = ctl_export(&server, &id, Some(&by_ctl));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "exported played game {id} ({} events) to {}\n",
            events.len(),
            by_ctl.display()
        )
    );
    assert_eq!(
        std::fs::read(&by_ctl).unwrap(),
        std::fs::read(&file).unwrap()
    );
    let to_stdout = ctl_export(&server, &id, None);
    assert_eq!(to_stdout.stdout, std::fs::read(&file).unwrap());
    let missing = ctl_export(&server, "999999", None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no played game 999999"));
    // An unknown id: exit status 2.
    let missing = Command::new(bin("ggzduedit"))
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["export-game", "999999"])
        .output()
        .expect("run ggzduedit");
    assert_eq!(missing.status.code(), Some(2));
}

/// `ggzduedit export-game id` on the server's database.
fn export_game(server: &TestServer, id: &str) -> std::process::Output {
    Command::new(bin("ggzduedit"))
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["export-game", id])
        .output()
        .expect("run ggzduedit")
}

/// `ggzd-ctl export-game id [--out file]` through the server's control
/// socket.
fn ctl_export(
    server: &TestServer,
    id: &str,
    out: Option<&std::path::Path>,
) -> std::process::Output {
    let mut ctl = Command::new(bin("ggzd-ctl"));
    ctl.arg("-s")
        .arg(server.dir.path().join("data").join("ggzd.ctl"))
        .args(["export-game", id]);
    if let Some(out) = out {
        ctl.arg("--out").arg(out);
    }
    ctl.output().expect("run ggzd-ctl")
}

/// The refusal of `REPLAY ID=id`.
fn replay_refused(c: &mut Client, id: &str) -> Element {
    c.send(&format!("<REPLAY ID='{id}'/>")).unwrap();
    let answer = c
        .recv_until(TIMEOUT, |e| e.is("REPLAY") || e.is("RESULT"))
        .unwrap();
    assert!(answer.is("RESULT"), "replayed anyway: {answer:?}");
    assert_eq!(answer.attr("ACTION"), Some("replay"));
    answer
}

/// Both exports refuse played game `id`, naming why with `words`:
/// ggzduedit with status 4, ggzd-ctl with status 2, neither writing JSON.
fn exports_refused(server: &TestServer, id: &str, words: &str) {
    for (output, status) in [
        (export_game(server, id), 4),
        (ctl_export(server, id, None), 2),
    ] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(status), "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn a_corrupt_or_forged_game_is_refused_for_replay_and_both_exports() {
    if store::on_postgres() {
        // The test edits the SQLite file (support/played_db.rs).
        return;
    }
    let server = TestServer::start();
    let (mut alice, mut bob) = play_a_game(&server);
    let games = played_until(&mut alice, None, |g| !g.is_empty());
    let id = games[0].attr("ID").unwrap().to_owned();
    let original = stored_log(&server, &id);
    let (_, events) = replay(&mut bob, &id);

    // Corrupt: alice's second move now says square 3; the chain breaks.
    set_stored_log(&server, &id, &corrupted(&original));
    assert_refused_as_corrupt(&replay_refused(&mut bob, &id));
    exports_refused(&server, &id, "corrupt: line ");

    // Forged: the same change with every check recomputed; the seal tells.
    set_stored_log(&server, &id, &forged(&original));
    assert_refused_as_forged(&replay_refused(&mut alice, &id));
    exports_refused(&server, &id, "forged");

    // Put back, it replays as before.
    set_stored_log(&server, &id, &original);
    assert_eq!(replay(&mut bob, &id).1, events);
}

#[test]
fn retention_keeps_only_the_newest_games() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[replays]\nkeep = 2\n".into(),
        ..Default::default()
    });
    // Three games at one table against the bot, through ggz.
    play_games(
        &server,
        "dora",
        "/enter 1\n/launch bot\n/autoplay\n/again\n/autoplay\n/again\n/autoplay\n/leave\n/quit\n",
        3,
    );
    // Three were recorded; the oldest goes.
    server
        .wait_for_log("recorded as played game 3", SETTLE)
        .unwrap_or_else(|| panic!("third game not recorded:\n{}", server.log()));
    let mut viewer = guest(&server, "viewer");
    let games = played_until(&mut viewer, Some("dora"), |g| g.len() == 2);
    let ids: Vec<&str> = games.iter().filter_map(|g| g.attr("ID")).collect();
    assert_eq!(ids, ["3", "2"]);
    viewer.send("<REPLAY ID='1'/>").unwrap();
    let refused = viewer.expect_result("replay", TIMEOUT).unwrap();
    assert_eq!(refused.attr("REASON"), Some("unknown id"));
}

/// (name, inode, modified) of the entries of `dir`.
fn entries(dir: &std::path::Path) -> Vec<(String, u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let meta = e.metadata().ok()?;
                    let name = e.file_name().into_string().ok()?;
                    Some((name, meta.ino(), meta.modified().ok()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `name` runs `script` in ggz and sees `games` games end.
fn play_games(server: &TestServer, name: &str, script: &str, games: usize) {
    let out = ggz_ended_ok(spawn_ggz_script(server.addr, name, "30", script.as_bytes()));
    assert_eq!(out.matches("result: game over").count(), games, "{out}");
}

#[test]
fn pruned_logs_become_spares_and_a_reused_one_records_only_its_own_game() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[tables]\nsavegame_keep = 1\n".into(),
        ..Default::default()
    });
    let games = server.dir.path().join("data/gamedata/TicTacToe");
    let spares = games.join(".spare");
    // One table, three games: three logs; when the table ends the two
    // older ones are pruned into the spares.
    play_games(
        &server,
        "erin",
        "/enter 1\n/launch bot\n/autoplay\n/again\n/autoplay\n/again\n/autoplay\n/leave\n/quit\n",
        3,
    );
    server
        .wait_for_log("kept as spares", SETTLE)
        .unwrap_or_else(|| panic!("no spares made:\n{}", server.log()));
    let spare_inodes: Vec<u64> = entries(&spares).iter().map(|e| e.1).collect();
    assert_eq!(spare_inodes.len(), 2, "{:?}", entries(&spares));
    // In the lowest slots, where a claimer looks first (docs/event-log.md
    // §1, "Spare files").
    let mut slots: Vec<String> = entries(&spares).into_iter().map(|e| e.0).collect();
    slots.sort();
    assert_eq!(slots, ["0", "1"]);
    server
        .wait_for_log("recorded as played game 3", SETTLE)
        .unwrap_or_else(|| panic!("third game not recorded:\n{}", server.log()));

    // A new table's log takes one of them.
    play_games(
        &server,
        "erin",
        "/enter 1\n/launch bot\n/autoplay\n/leave\n/quit\n",
        1,
    );
    server
        .wait_for_log("recorded as played game 4", SETTLE)
        .unwrap_or_else(|| panic!("fourth game not recorded:\n{}", server.log()));
    let newest = entries(&games)
        .into_iter()
        .filter(|(name, _, _)| name.starts_with("events."))
        .max_by_key(|e| e.2)
        .expect("the fourth game's log");
    assert!(
        spare_inodes.contains(&newest.1),
        "the fourth log {newest:?} is not one of the spares {spare_inodes:?}"
    );

    // Its replay is one whole game from an empty file: no earlier game's
    // events survive the reuse.
    let mut viewer = guest(&server, "viewer");
    played_until(&mut viewer, Some("erin"), |g| {
        g.iter().any(|p| p.attr("ID") == Some("4"))
    });
    let (_, events) = replay(&mut viewer, "4");
    let seqs: Vec<u64> = events.iter().map(|e| e.0).collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    let kinds: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "start").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"over"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "over").count(),
        1,
        "{kinds:?}"
    );
}
