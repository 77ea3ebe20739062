//! The lockstep demo "Race to 100" (docs/lockstep.md §5) in real headless
//! Chromium against a real ggzd and the real `ggzd-lockstep` relay: two
//! browsers play a race to its end, and a player who reloads the page
//! mid-race comes back through the rejoin extension, replays the master
//! packets and keeps hashing in step. The web client's engine
//! (`web/lockstep.js`) is checked against the Rust one turn by turn.
//! Screenshots go to `target/test-output/browser/`.

use ggzd_e2e::browser::{Browser, WebServer, keys};
use ggzd_e2e::web_page::Page;
use ggzd_e2e::{ServerOptions, TempDir, repo_dir};
use lockstep::demo::Race;
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

/// The repository's race and its room, with turns of `turn_ms`: a reload
/// takes a while on a loaded machine, and the race must not end meanwhile.
fn slow_server(tag: &str, turn_ms: u32) -> (WebServer, TempDir) {
    let tmp = TempDir::new(tag);
    let games = tmp.path().join("games");
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&games).expect("games dir");
    std::fs::create_dir_all(&rooms).expect("rooms dir");
    let desc = std::fs::read_to_string(repo_dir().join("games/turn-race.toml"))
        .expect("games/turn-race.toml");
    let slow = desc.replace(
        "\"--turn-ms\", \"100\"",
        &format!("\"--turn-ms\", \"{turn_ms}\""),
    );
    assert_ne!(slow, desc, "the description's --turn-ms moved");
    std::fs::write(games.join("turn-race.toml"), slow).expect("description");
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
}

const READ: &str = "const ls = document.querySelector('#lockstep');\
    if (!ls || ls.hidden) return null;\
    const t = (s) => { const e = document.querySelector(s); return e ? e.textContent.trim() : ''; };\
    return { phase: ls.dataset.phase, turn: Number(ls.dataset.turn || 0),\
      counters: Array.from(document.querySelectorAll('#ls-seats li[data-seat] .ls-counter'))\
        .map(e => Number(e.textContent)),\
      hash: t('#ls-hash'), result: t('#game-result'), status: t('#game-status'),\
      cuTurn: ls.dataset.caughtUpTurn === undefined ? null : Number(ls.dataset.caughtUpTurn),\
      cuHash: ls.dataset.caughtUpHash || null };";

fn race_view(page: &Page) -> Option<RaceView> {
    let v = page.b.try_exec(READ, &[]).ok()?;
    if v.is_null() {
        return None;
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
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
        assert_eq!(ra.contains("win"), host_ahead, "{ra:?} with {:?}", a.counters);
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
                if t % 7 == 3 { None } else { Some((t % 3) as u8 + 1) },
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
fn two_browsers_race_to_100_through_ggzd() {
    let web = server();
    let mut ann = Page::open("ls-ann", &web.url());
    let mut ben = Page::open("ls-ben", &web.url());
    seat_two(&mut ann, "ann", &mut ben, "ben");

    // A setup message seeds the race; both see it.
    ann.b.fill("#ls-setup-input", "seed by ann");
    ann.b.click("#ls-setup-send");
    for page in [&ann, &ben] {
        page.b.wait_text("#ls-setup-list", "to show ann's setup", |t| {
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
}

#[test]
fn a_reload_mid_race_catches_up_and_keeps_the_hash_matching() {
    // 300 ms turns: holding still (step 0) the race lasts about a minute
    // of bonuses, time enough for a reload on a busy machine.
    let (web, _tmp) = slow_server("ls-reload", 300);
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
    dan.b.wait_element("#ls-steps .ls-step[data-step=\"0\"][aria-pressed=\"true\"]");
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
        .wait_for(&format!("cleo's hash of turn {turn}"), |_| Ok(listed_hash(&cleo, turn)));
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
