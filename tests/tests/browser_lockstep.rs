//! The lockstep demo "Race to 100" (docs/lockstep.md §5) in real headless
//! Chromium against a real ggzd and the real `ggzd-lockstep` relay: two
//! browsers play a race to its end, and a player who reloads the page
//! mid-race comes back through the rejoin extension, replays the master
//! packets and keeps hashing in step. The web client's engine
//! (`web/lockstep.js`) is checked against the Rust one turn by turn.
//! Screenshots go to `target/test-output/browser/`.

use std::io::{Read, Write};
use std::net::TcpStream;

use ggzd_e2e::browser::{BROWSER_TIMEOUT, Browser, WebServer, keys};
use ggzd_e2e::web_page::Page;
use ggzd_e2e::{
    Client, LoginKind, ServerOptions, TempDir, enter, open_game_channel, repo_dir, result_code,
};
use lockstep::demo::{DemoClient, Race};
use lockstep::wire::{
    FromRelay, Phase, Splitter, ToRelay, decode_from_relay, encode_from_relay, encode_to_relay,
};
use serde_json::{Value, json};

/// The room of `rooms/turn-race.toml`.
const ROOM: &str = "Race to 100";

fn server() -> WebServer {
    WebServer::start_with(
        "",
        ServerOptions {
            extra_config: "[timing]\nroom_update_frequency = 1\n".into(),
            ..ServerOptions::default()
        },
    )
}

/// The repository's race and its room (room 1), with `settings` of the
/// relay changed (docs/lockstep.md §1), e.g. `[("--turn-ms", "300")]`.
fn tuned_server(tag: &str, settings: &[(&str, &str)]) -> (WebServer, TempDir) {
    let tmp = TempDir::new(tag);
    let games = tmp.path().join("games");
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&games).expect("games dir");
    std::fs::create_dir_all(&rooms).expect("rooms dir");
    let desc = std::fs::read_to_string(repo_dir().join("games/turn-race.toml"))
        .expect("games/turn-race.toml");
    let mut tuned = desc.clone();
    for (arg, value) in settings {
        let at = tuned
            .find(&format!("\"{arg}\", \""))
            .unwrap_or_else(|| panic!("no {arg} in games/turn-race.toml"));
        let start = at + arg.len() + 5;
        let end = start + tuned[start..].find('"').unwrap_or(0);
        tuned.replace_range(start..end, value);
    }
    std::fs::write(games.join("turn-race.toml"), tuned).expect("description");
    for room in ["entry.toml", "turn-race.toml"] {
        std::fs::copy(repo_dir().join("rooms").join(room), rooms.join(room)).expect("room");
    }
    let web = WebServer::start_with(
        "",
        ServerOptions {
            games_dir: Some(games),
            rooms_dir: Some(rooms),
            extra_config: "[timing]\nroom_update_frequency = 1\n".into(),
            ..ServerOptions::default()
        },
    );
    (web, tmp)
}

/// What `#lockstep` and the contract's game lines show at one moment.
#[derive(Debug, Clone)]
struct RaceView {
    phase: String,
    turn: u64,
    counters: Vec<u64>,
    hash: String,
    result: String,
    status: String,
    caught_up: Option<(u64, String)>,
    /// `#lockstep[data-confirmed]`: "false" when the page settled on its
    /// own engine's outcome because the relay's GAME_OVER never came.
    confirmed: String,
}

const READ: &str = "const ls = document.querySelector('#lockstep');\
    if (!ls || ls.hidden) return null;\
    const t = (s) => { const e = document.querySelector(s); return e ? e.textContent.trim() : ''; };\
    return { phase: ls.dataset.phase, turn: Number(ls.dataset.turn || 0),\
      counters: Array.from(document.querySelectorAll('#ls-seats li[data-seat] .ls-counter'))\
        .map(e => Number(e.textContent)),\
      hash: t('#ls-hash'), result: t('#game-result'), status: t('#game-status'),\
      cuTurn: ls.dataset.caughtUpTurn === undefined ? null : Number(ls.dataset.caughtUpTurn),\
      cuHash: ls.dataset.caughtUpHash || null, confirmed: ls.dataset.confirmed || '' };";

fn race_view(page: &Page) -> Option<RaceView> {
    let v = page.b.try_exec(READ, &[]).ok()?;
    if v.is_null() {
        return None;
    }
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(RaceView {
        phase: s("phase"),
        turn: v.get("turn").and_then(Value::as_u64).unwrap_or(0),
        counters: v
            .get("counters")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default(),
        hash: s("hash"),
        result: s("result"),
        status: s("status"),
        caught_up: v
            .get("cuTurn")
            .and_then(Value::as_u64)
            .zip(v.get("cuHash").and_then(Value::as_str).map(str::to_string)),
        confirmed: s("confirmed"),
    })
}

fn wait_race(page: &Page, what: &str, pred: impl Fn(&RaceView) -> bool) -> RaceView {
    page.b
        .wait_for(what, |_| Ok(race_view(page).filter(|v| pred(v))))
}

/// The hash `page` lists in `#ls-hashes` for `turn`, if it still lists it.
fn listed_hash(page: &Page, turn: u64) -> Option<String> {
    page.b
        .text_of(&format!("#ls-hashes li[data-turn=\"{turn}\"]"))
        .ok()
        .flatten()
        .and_then(|t| t.rsplit(": ").next().map(str::to_string))
}

/// Both players in the room, a table launched by `host` with a seat kept
/// for `guest`, and both at it in the setup phase.
fn seat_two(host: &mut Page, host_name: &str, guest: &mut Page, guest_name: &str) {
    host.login_guest(host_name);
    guest.login_guest(guest_name);
    host.enter_room(ROOM);
    guest.enter_room(ROOM);
    host.launch(
        &format!("{host_name} races {guest_name}"),
        &[("open", ""), ("reserved", guest_name)],
    );
    let table = guest.wait_table(
        &format!("with a seat reserved for {guest_name}"),
        &format!("seats.some(s => s.kind === 'reserved' && s.name === '{guest_name}')"),
    );
    guest.join_table(&table, false);
    for page in [&*host, &*guest] {
        wait_race(page, "the setup phase with both seats taken", |v| {
            v.phase == "setup" && v.counters.len() == 2
        });
        page.b.wait_text("#ls-seats", "to list both players", |t| {
            t.contains(host_name) && t.contains(guest_name)
        });
    }
}

/// Picks `step` by clicking its button, as a pointer user would.
fn click_step(page: &Page, step: u8) {
    let css = format!("#ls-steps .ls-step[data-step=\"{step}\"]");
    page.b.click(&css);
    page.b.wait_script(
        &format!("step {step} pressed"),
        "const e = document.querySelector(arguments[0]); \
         return e && e.getAttribute('aria-pressed') === 'true';",
        &[json!(css)],
    );
}

/// Picks `step` with its digit key, from the focused step button.
fn key_step(page: &Page, step: u8) {
    let css = format!("#ls-steps .ls-step[data-step=\"{step}\"]");
    page.b.type_keys(&css, &step.to_string());
    page.b.wait_script(
        &format!("step {step} pressed by key"),
        "const e = document.querySelector(arguments[0]); \
         return e && e.getAttribute('aria-pressed') === 'true';",
        &[json!(css)],
    );
}

/// Both finished with the same counters and hash; returns (host, guest).
fn both_finished(host: &Page, guest: &Page) -> (RaceView, RaceView) {
    let a = wait_race(host, "the end of the race", |v| v.phase == "over");
    let b = wait_race(guest, "the end of the race", |v| v.phase == "over");
    assert_eq!(a.counters, b.counters, "both engines end in the same state");
    assert_eq!(a.hash, b.hash, "both engines end with the same hash");
    assert_eq!(a.turn, b.turn);
    // Each page heard the relay's own GAME_OVER (a lost last frame once
    // hid behind the page's fallback).
    assert_ne!(a.confirmed, "false", "the host's GAME_OVER was lost");
    assert_ne!(b.confirmed, "false", "the guest's GAME_OVER was lost");
    let best = a.counters.iter().copied().max().unwrap_or(0);
    assert!(best >= 100, "nobody reached 100: {:?}", a.counters);
    let (ra, rb) = (a.result.to_lowercase(), b.result.to_lowercase());
    let consistent = (ra.contains("win") && rb.contains("lose"))
        || (ra.contains("lose") && rb.contains("win"))
        || (ra.contains("draw") && rb.contains("draw"));
    assert!(consistent, "results {ra:?} and {rb:?}");
    // The winner's page is the one with the higher counter.
    let host_ahead = a.counters[0] > a.counters[1];
    if a.counters[0] != a.counters[1] {
        assert_eq!(
            ra.contains("win"),
            host_ahead,
            "{ra:?} with {:?}",
            a.counters
        );
    }
    (a, b)
}

#[test]
fn the_js_engine_matches_the_rust_engine() {
    let web = server();
    let b = Browser::start("ls-engine");
    b.goto(&web.url());
    // Odd command bytes (0, 4, 255: a step of 0), absent seats and a
    // three-seat table, beside ordinary steps.
    let setup: Vec<(u8, &str)> = vec![(0, "seed"), (1, "caf\u{e9} \u{1F3C1}"), (0, "")];
    let steps: Vec<Vec<Option<u8>>> = (0u32..90)
        .map(|t| {
            vec![
                Some([1, 2, 3, 0, 4, 255][(t % 6) as usize]),
                if t % 7 == 3 {
                    None
                } else {
                    Some((t % 3) as u8 + 1)
                },
                Some(3),
            ]
        })
        .collect();
    let mut race = Race::new(
        3,
        &setup
            .iter()
            .map(|(s, t)| (*s, t.as_bytes().to_vec()))
            .collect::<Vec<_>>(),
    );
    let mut expected = Vec::new();
    for (t, row) in steps.iter().enumerate() {
        let commands: Vec<Option<Vec<u8>>> = row.iter().map(|c| c.map(|b| vec![b])).collect();
        race.apply(t as u32, &commands).expect("in order");
        expected.push(
            race.hash()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
    }
    let js = b.exec(
        "return import('/lockstep.js').then(m => m.scriptedHashes(3, arguments[0], arguments[1]));",
        &[json!(setup), json!(steps)],
    );
    let got: Vec<String> = js
        .get("hashes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(got.len(), expected.len(), "{js}");
    for (t, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "hash after turn {t}");
    }
    let counters: Vec<u64> = js["counters"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let rust: Vec<u64> = race.counters().iter().map(|c| u64::from(*c)).collect();
    assert_eq!(counters, rust);
    let (turn, results) = race.outcome().expect("someone reached 100");
    assert_eq!(js["outcome"]["turn"], json!(turn));
    assert_eq!(js["outcome"]["results"], json!(results));
}

#[test]
fn the_web_client_reads_version_2_and_refuses_version_1() {
    // docs/lockstep.md §6.1: the MASTER timing field is a u64 of
    // microseconds; a relay or a recorded log of version 1 is refused
    // with a reason instead of being misread.
    let web = server();
    let b = Browser::start("ls-version");
    b.goto(&web.url());
    let master = |turn, elapsed_us| {
        encode_from_relay(&FromRelay::Master {
            turn,
            elapsed_us,
            commands: vec![Some(vec![3]), Some(vec![1])],
        })
    };
    // Past 2^32: both halves of the field count.
    let big = master(7, 5_000_000_123);
    let welcome_v1 = encode_from_relay(&FromRelay::Welcome {
        version: 1,
        seat: 0,
        seats: 2,
        min_players: 2,
        turn_ms: 50,
        max_command: 16,
        hash_len: 8,
        max_lag: 10,
        phase: Phase::Setup,
    });
    let js = b.exec(
        "return import('/lockstep.js').then(L => {\
           const [f] = new L.Splitter().feed(Uint8Array.from(arguments[0]));\
           const m = L.decode(f.type, f.body);\
           let refused = '';\
           try { new L.RaceClient().feed(Uint8Array.from(arguments[1])); }\
           catch (e) { refused = e.message; }\
           return { turn: m.turn, elapsedUs: m.elapsedUs, commands: m.commands.map(c => Array.from(c)), refused };\
         });",
        &[json!(big), json!(welcome_v1)],
    );
    assert_eq!(js["turn"], json!(7), "{js}");
    assert_eq!(js["elapsedUs"], json!(5_000_000_123u64), "{js}");
    assert_eq!(js["commands"], json!([[3], [1]]), "{js}");
    let refused = js["refused"].as_str().unwrap_or_default();
    assert!(refused.contains("version 1"), "{js}");

    // The replay view: a log with its `version` event replays turn by
    // turn; one without (version 1, whose MASTER is 4 bytes shorter) is
    // refused as a whole.
    let setup = encode_from_relay(&FromRelay::SetupState(vec![(0, b"seed".to_vec())]));
    let turns: Vec<Vec<u8>> = (0..3)
        .map(|t| master(t, 50_000 * (u64::from(t) + 1)))
        .collect();
    let v1_turns: Vec<Vec<u8>> = (0..3u32)
        .map(|t| {
            let mut f = vec![0, 0, 0, 18, 0x85];
            f.extend_from_slice(&t.to_be_bytes());
            f.extend_from_slice(&(50 * (t + 1)).to_be_bytes());
            f.extend_from_slice(&[2, 1, 0, 1, 3, 1, 0, 1, 1]);
            f
        })
        .collect();
    let log = |version: Option<u8>, turns: &[Vec<u8>]| {
        let mut events = Vec::new();
        if let Some(v) = version {
            events.push(json!({ "kind": "version", "data": [v] }));
        }
        events.push(json!({ "kind": "setup", "data": setup }));
        for t in turns {
            events.push(json!({ "kind": "turn", "data": t }));
        }
        json!({ "seats": [{ "num": 0, "name": "ann" }, { "num": 1, "name": "ben" }], "events": events })
    };
    let js = b.exec(
        "const logs = Array.from(arguments);\
         return import('/replay.js').then(R => logs.map(r => {\
           r.events.forEach(e => { e.data = Uint8Array.from(e.data); });\
           const out = R.raceFrames(r);\
           return { frames: out.frames.length, last: out.frames[out.frames.length - 1].note, names: out.names };\
         }));",
        &[log(Some(2), &turns), log(None, &v1_turns), log(Some(1), &turns)],
    );
    assert_eq!(js[0]["frames"], json!(4), "{js}");
    assert!(
        js[0]["last"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Turn 2"),
        "{js}"
    );
    for refused in [&js[1], &js[2]] {
        assert_eq!(refused["frames"], json!(1), "{js}");
        let note = refused["last"].as_str().unwrap_or_default();
        assert!(note.contains("protocol version 1"), "{js}");
        assert_eq!(refused["names"], json!(["ann", "ben"]), "{js}");
    }
}

#[test]
fn two_browsers_race_to_100_through_ggzd() {
    let web = server();
    let mut ann = Page::open("ls-ann", &web.url());
    let mut ben = Page::open("ls-ben", &web.url());
    seat_two(&mut ann, "ann", &mut ben, "ben");

    // A setup message seeds the race; both see it.
    ann.b.fill("#ls-setup-input", "seed by ann");
    ann.b.click("#ls-setup-send");
    for page in [&ann, &ben] {
        page.b
            .wait_text("#ls-setup-list", "to show ann's setup", |t| {
                t.contains("seed by ann")
            });
    }
    // Ann uses the pointer, Ben the keyboard alone.
    click_step(&ann, 3);
    key_step(&ben, 2);
    ann.b.click("#ls-ready");
    ben.b.type_keys("#ls-ready", keys::ENTER);
    for page in [&ann, &ben] {
        wait_race(page, "the race to run", |v| {
            v.phase != "setup" && v.turn > 0 && !v.hash.is_empty()
        });
    }
    ben.b.screenshot_at("#game", "lockstep-racing");

    let (a, b) = both_finished(&ann, &ben);
    // Steps 3 against 2 from the first turn: ann's counter leads.
    assert!(a.counters[0] > a.counters[1], "{:?}", a.counters);
    assert!(a.result.to_lowercase().contains("win"), "{}", a.result);
    assert!(b.result.to_lowercase().contains("lose"), "{}", b.result);
    assert_eq!(a.status, "Game over");
    ann.b.screenshot_at("#game", "lockstep-finished");
    // The table has ended; the result stays until the player goes back.
    ann.b.wait_element("#ls-back:not([hidden])");
    ann.b.type_keys("#ls-back", keys::ENTER);
    ann.b.wait_view("lobby");

    // The relay's event log replays the race turn by turn in the replay
    // view (docs/event-log.md §7), ending where the game ended.
    ann.wait_played_listed("the race in #played");
    let b = &ann.b;
    b.click("#played li[data-played-id] .replay-game");
    b.wait_element("#replay[data-kind=\"race\"]:not([hidden])");
    // `turn` is the next turn: that many turns were played.
    let n = a.turn;
    b.wait_text("#replay-step", "to start at 0", |t| t == format!("0/{n}"));
    b.click("#replay-next");
    b.wait_text("#replay-step", "to step", |t| t == format!("1/{n}"));
    b.type_keys("#replay-next", "\u{E010}"); // End
    b.wait_text("#replay-step", "to reach the end", |t| {
        t == format!("{n}/{n}")
    });
    let end: Vec<u64> = b
        .texts_of("#replay-race li[data-seat] .ls-counter")
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect();
    assert_eq!(end, a.counters, "the replay ends where the race ended");
    let note = b.text_of("#replay-note").ok().flatten().unwrap_or_default();
    assert!(note.contains("ann wins"), "{note}");
    b.screenshot_at("#replay", "lockstep-replay");
}

#[test]
fn a_reload_mid_race_catches_up_and_keeps_the_hash_matching() {
    // 300 ms turns: holding still (step 0) the race lasts about a minute
    // of bonuses, time enough for a reload on a busy machine.
    let (web, _tmp) = tuned_server("ls-reload", &[("--turn-ms", "300")]);
    let mut cleo = Page::open("ls-cleo", &web.url());
    let mut dan = Page::open("ls-dan", &web.url());
    seat_two(&mut cleo, "cleo", &mut dan, "dan");
    click_step(&cleo, 0);
    click_step(&dan, 0);
    cleo.b.click("#ls-ready");
    dan.b.click("#ls-ready");
    let before = wait_race(&dan, "a few turns", |v| v.phase == "running" && v.turn >= 5);

    dan.b.exec("window.beforeReload = true; return true;", &[]);
    dan.b.refresh();
    assert_eq!(
        dan.b.exec("return window.beforeReload === true;", &[]),
        json!(false),
        "the page did not reload"
    );
    // Logged in again, back at the table, the log replayed to the present.
    dan.b.wait_view("game");
    let back = wait_race(&dan, "the catch-up", |v| {
        v.phase == "running" && v.caught_up.is_some() && v.turn > before.turn
    });
    // The step picked before the reload still holds.
    dan.b
        .wait_element("#ls-steps .ls-step[data-step=\"0\"][aria-pressed=\"true\"]");
    let (turn, hash) = back.caught_up.clone().unwrap_or_default();
    // `turn` is the last replayed turn; `before.turn` the next one to play.
    assert!(
        turn + 1 >= before.turn,
        "caught up at {turn}, had applied up to {}",
        before.turn - 1
    );
    // The hash dan's page computed from the replay is the one cleo's page
    // computed live for the same turn.
    let live = cleo
        .b
        .wait_for(&format!("cleo's hash of turn {turn}"), |_| {
            Ok(listed_hash(&cleo, turn))
        });
    assert_eq!(hash, live, "replayed hash of turn {turn}");
    dan.b.screenshot_at("#game", "lockstep-rejoined");

    // The race goes on with both, and the relay sees no desync: both end
    // it in the same state.
    let resumed = wait_race(&dan, "live turns after the catch-up", |v| v.turn > turn + 3);
    assert_eq!(resumed.phase, "running", "{}", resumed.status);
    click_step(&cleo, 3);
    click_step(&dan, 1);
    let (c, d) = both_finished(&cleo, &dan);
    assert!(!c.result.to_lowercase().contains("desync"));
    assert!(!d.result.to_lowercase().contains("desync"));
}

/// A scripted player over TCP (lobby and game channel), running the Rust
/// demo engine: it can stop sending commands and corrupt its hashes.
struct Scripted {
    _lobby: Client,
    stream: TcpStream,
    splitter: Splitter,
    demo: DemoClient,
}

impl Scripted {
    fn join(web: &WebServer, name: &str, table: &str) -> Scripted {
        let mut lobby = web.server.connect();
        let login = lobby
            .login(LoginKind::Guest, name, None, None)
            .expect("login");
        assert_eq!(login.code, "ok");
        enter(&mut lobby, 1);
        let stream = open_game_channel(&web.server, name);
        stream
            .set_read_timeout(Some(BROWSER_TIMEOUT))
            .expect("timeout");
        lobby
            .send(&format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"))
            .expect("join");
        assert_eq!(result_code(&mut lobby, "join"), "ok");
        Scripted {
            _lobby: lobby,
            stream,
            splitter: Splitter::new(1 << 24),
            demo: DemoClient::new(),
        }
    }

    fn send(&mut self, msg: &ToRelay) {
        self.stream.write_all(&encode_to_relay(msg)).expect("send");
    }

    /// The next frame, with the engine's answers (hashes) sent back.
    fn next(&mut self) -> FromRelay {
        loop {
            if let Some((kind, body)) = self.splitter.next_frame().expect("frame") {
                let msg = decode_from_relay(kind, &body).expect("decode");
                for reply in self.demo.on_frame(&msg).expect("engine") {
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

    fn until(&mut self, pred: impl Fn(&FromRelay) -> bool) -> FromRelay {
        loop {
            let msg = self.next();
            if pred(&msg) {
                return msg;
            }
        }
    }

    /// Plays one turn stepping `step`; returns its number.
    fn turn(&mut self, step: u8) {
        let cmd = self.demo.command(step).expect("a command is due");
        let ToRelay::Command { turn, .. } = cmd else {
            unreachable!()
        };
        self.send(&cmd);
        self.until(|m| matches!(m, FromRelay::Master { turn: t, .. } if *t == turn));
    }
}

#[test]
fn a_player_and_a_spectator_see_the_pause_and_the_desync_halt() {
    // Short turns, a pause after 4 turns of waiting, no drop while the
    // test looks at the pause.
    let (web, _tmp) = tuned_server(
        "ls-desync",
        &[
            ("--turn-ms", "100"),
            ("--max-lag-turns", "4"),
            ("--lag-timeout-ms", "600000"),
        ],
    );
    let mut eva = Page::open("ls-eva", &web.url());
    eva.login_guest("eva");
    eva.enter_room(ROOM);
    eva.launch("eva races rob", &[("open", ""), ("reserved", "rob")]);
    let table = eva.b.wait_script(
        "eva's table",
        "const li = document.querySelector('#tables li.mine'); return li ? li.dataset.tableId : null;",
        &[],
    );
    let mut rob = Scripted::join(&web, "rob", table.as_str().unwrap_or_default());
    rob.until(|m| matches!(m, FromRelay::Welcome { seat: 1, .. }));
    rob.send(&ToRelay::Ready(true));
    click_step(&eva, 1);
    eva.b.click("#ls-ready");
    rob.until(|m| matches!(m, FromRelay::CaughtUp { next_turn: 0 }));
    for _ in 0..3 {
        rob.turn(1);
    }

    // Rob holds the game up: the page says who it waits for.
    let paused = rob.until(|m| matches!(m, FromRelay::Paused(_)));
    assert_eq!(paused, FromRelay::Paused(vec![1]));
    eva.b.wait_text("#ls-message", "to show the pause", |t| {
        t.contains("Paused") && t.contains("rob")
    });
    eva.b.wait_element("#lockstep[data-paused=\"true\"]");
    assert!(
        eva.b
            .text_of("#game-status")
            .ok()
            .flatten()
            .is_some_and(|t| t.contains("waiting for rob")),
        "the status line names rob"
    );
    eva.b.screenshot_at("#game", "lockstep-paused");
    let held = race_view(&eva).map(|v| v.turn).unwrap_or(0);

    // A spectator comes in mid-game: the same catch-up, the same hash,
    // and nothing to press.
    let mut fay = Page::open("ls-fay", &web.url());
    fay.login_guest("fay");
    fay.enter_room(ROOM);
    fay.join_table(table.as_str().unwrap_or_default(), true);
    let seen = wait_race(&fay, "the spectator's catch-up", |v| v.caught_up.is_some());
    let (turn, hash) = seen.caught_up.clone().unwrap_or_default();
    assert_eq!(
        listed_hash(&eva, turn),
        Some(hash),
        "spectator's hash of turn {turn}"
    );
    assert_eq!(
        fay.b.text_of("#my-seat").ok().flatten().as_deref(),
        Some("spectator")
    );
    assert_eq!(
        fay.b.exec(
            "return ['#ls-steps', '#ls-setup', '#ls-ready'].every(s => { \
               const e = document.querySelector(s); return !e || e.offsetParent === null; });",
            &[]
        ),
        json!(true),
        "a spectator sees no controls"
    );

    // Rob catches up: the game resumes.
    let pending = rob.demo.command(1).expect("a command is due");
    rob.send(&pending);
    rob.until(|m| *m == FromRelay::Resumed);
    let on = wait_race(&eva, "the race resumed", |v| {
        v.turn > held && !v.status.contains("Paused")
    });
    eva.b.wait_element("#lockstep[data-paused=\"false\"]");

    // Rob's engine goes wrong: the relay halts the game and the page says
    // so, naming the turn.
    let from = rob.demo.race.as_ref().map(Race::turn).unwrap_or(0);
    rob.demo.corrupt_from = Some(from);
    // The command for `from` went out during the pause.
    let mut sent = Some(from);
    let desync = loop {
        if let Some(ToRelay::Command { turn, body }) = rob.demo.command(1)
            && sent != Some(turn)
        {
            rob.send(&ToRelay::Command { turn, body });
            sent = Some(turn);
        }
        match rob.next() {
            FromRelay::Desync { turn, seats } => break (turn, seats),
            FromRelay::GameOver { .. } => panic!("the race ended before the desync"),
            _ => {}
        }
    };
    assert_eq!(desync.0, from);
    let halted = wait_race(&eva, "the desync halt", |v| v.phase == "desync");
    assert!(halted.turn >= on.turn);
    let result = eva.b.wait_text("#game-result", "to explain the halt", |t| {
        t.contains("Desync")
    });
    assert!(result.contains(&format!("turn {}", desync.0)), "{result}");
    assert!(result.contains("rob") && result.contains("eva"), "{result}");
    assert_eq!(halted.status, "Halted");
    eva.b.screenshot_at("#game", "lockstep-desync");
    let watched = wait_race(&fay, "the spectator sees the halt", |v| v.phase == "desync");
    assert!(watched.result.contains("Desync"), "{}", watched.result);
    // The relay ends the table; the halt stays on screen.
    eva.b.wait_element("#ls-back:not([hidden])");
    assert_eq!(race_view(&eva).map(|v| v.phase).as_deref(), Some("desync"));
}
