//! The web client's "Games played" list and replay view (`web/replay.js`,
//! `web/replay-view.js`; the `replays` extension, docs/replays.md) in real
//! headless Chromium: a recorded TicTacToe game stepped through move by
//! move, by pointer and by keyboard. Screenshots go to
//! `target/test-output/browser/`.

use ggzd_e2e::ServerOptions;
use ggzd_e2e::browser::{WebServer, keys};
use ggzd_e2e::web_page::{GameView, Page, best_move};
use serde_json::json;

fn server() -> WebServer {
    WebServer::start_with(
        "",
        ServerOptions {
            extra_config: "[timing]\nroom_update_frequency = 1\n".into(),
            ..ServerOptions::default()
        },
    )
}

/// The replay board as "XO.|...|..." rows.
fn replay_rows(page: &Page) -> String {
    let cells = page
        .b
        .exec(
            "return Array.from(document.querySelectorAll('#replay-board .cell'))\
               .sort((a, b) => Number(a.dataset.cell) - Number(b.dataset.cell))\
               .map(c => c.textContent.trim() || '.').join('');",
            &[],
        )
        .as_str()
        .unwrap_or_default()
        .to_string();
    cells
        .as_bytes()
        .chunks(3)
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect::<Vec<_>>()
        .join("|")
}

fn wait_step(page: &Page, step: &str) {
    page.b
        .wait_text("#replay-step", &format!("to read {step}"), |t| t == step);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A REPLAY element as docs/replays.md describes it: seat events, the
/// start, `moves` as (seat, cell), and the end.
fn replay_xml(id: u32, names: [&str; 2], moves: &[(u8, u8)], over: u8) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&apos;")
    };
    let mut events = Vec::new();
    for (seat, name) in names.iter().enumerate() {
        let mut data = vec![seat as u8];
        data.extend_from_slice(name.as_bytes());
        events.push(("seat", hex(&data)));
    }
    events.push(("start", String::new()));
    for (seat, cell) in moves {
        events.push(("move", hex(&[*seat, *cell])));
    }
    events.push(("over", hex(&[over])));
    let mut xml = format!("<REPLAY ID='{id}' GAME='TicTacToe' STATUS='finished'>");
    for (seat, name) in names.iter().enumerate() {
        let result = match (over, seat) {
            (2, _) => "tie",
            (w, s) if usize::from(w) == s => "win",
            _ => "loss",
        };
        xml.push_str(&format!(
            "<SEAT NUM='{seat}' NAME='{}' TYPE='guest' RESULT='{result}'/>",
            esc(name)
        ));
    }
    for (i, (kind, data)) in events.iter().enumerate() {
        xml.push_str(&format!(
            "<EVENT SEQ='{}' TIME='{}' KIND='{kind}' DATA='{data}'/>",
            i + 1,
            1_764_913_200_000u64 + i as u64
        ));
    }
    xml.push_str("</REPLAY>");
    xml
}

/// The boards after each move of `moves`, as rows.
fn boards(moves: &[(u8, u8)]) -> Vec<String> {
    let mut board = ['.'; 9];
    let mut out = vec![rows(&board)];
    for (seat, cell) in moves {
        board[usize::from(*cell)] = if *seat == 0 { 'X' } else { 'O' };
        out.push(rows(&board));
    }
    out
}

fn rows(board: &[char; 9]) -> String {
    board
        .chunks(3)
        .map(|r| r.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("|")
}

#[test]
fn the_replay_view_steps_through_a_recorded_game_by_pointer_and_keyboard() {
    // The view alone, fed a REPLAY as the server would send it: the page's
    // own modules parse and show it, the person steps with the controls.
    let web = server();
    let mut page = Page::open("replay-view", &web.url());
    page.login_guest("viewer");
    let moves = [
        (0, 4),
        (1, 0),
        (0, 2),
        (1, 6),
        (0, 3),
        (1, 5),
        (0, 7),
        (1, 1),
        (0, 8),
    ];
    // A name with markup in it: shown as text, never parsed.
    let xml = replay_xml(17, ["alice", "<b>bo&b</b>"], &moves, 2);
    page.b.exec(
        "return Promise.all([import('/replay.js'), import('/replay-view.js')]).then(([R, RV]) => {\
           const doc = new DOMParser().parseFromString(arguments[0], 'application/xml');\
           RV.view.show(R.parseReplay(doc.documentElement), document.querySelector('#played-button'));\
           return true; });",
        &[json!(xml)],
    );
    page.b.wait_element("#replay:not([hidden])");
    let n = moves.len();
    wait_step(&page, &format!("0/{n}"));
    let players = page
        .b
        .text_of("#replay-players")
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(players.contains("<b>bo&b</b>"), "{players}");
    assert_eq!(
        page.b
            .exec("return document.querySelectorAll('#replay b').length;", &[]),
        json!(0),
        "server text became markup"
    );
    assert_eq!(
        page.b.exec(
            "return document.querySelector('#replay-prev').disabled;",
            &[]
        ),
        json!(true)
    );
    let expected = boards(&moves);
    assert_eq!(replay_rows(&page), expected[0]);

    // Every move with the pointer.
    for (k, board) in expected.iter().enumerate().skip(1) {
        page.b.click("#replay-next");
        wait_step(&page, &format!("{k}/{n}"));
        assert_eq!(&replay_rows(&page), board, "after move {k}");
    }
    assert_eq!(
        page.b.exec(
            "return document.querySelector('#replay-next').disabled;",
            &[]
        ),
        json!(true)
    );
    let note = page
        .b
        .text_of("#replay-note")
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(note.contains("draw"), "{note}");
    page.b.screenshot_at("#replay", "replay-view");

    // And back with the keyboard: arrows, Home, End; focus stays inside.
    page.b.type_keys("#replay-prev", "\u{E012}"); // ArrowLeft
    wait_step(&page, &format!("{}/{n}", n - 1));
    assert_eq!(replay_rows(&page), expected[n - 1]);
    page.b.type_keys("#replay-prev", "\u{E011}"); // Home
    wait_step(&page, &format!("0/{n}"));
    assert_eq!(
        page.b.exec(
            "return document.querySelector('#replay').contains(document.activeElement);",
            &[]
        ),
        json!(true),
        "the focus left the replay at the first move"
    );
    page.b.type_keys("#replay-next", "\u{E010}"); // End
    wait_step(&page, &format!("{n}/{n}"));
    page.b.type_keys("#replay-close", keys::ENTER);
    page.b.wait_element("#replay[hidden]");
    assert_eq!(
        page.b.exec(
            "return document.activeElement && document.activeElement.id;",
            &[]
        ),
        json!("played-button"),
        "focus goes back to where the replay was opened"
    );
}

/// The TicTacToe room of the repository's `rooms/`.
const TTT_ROOM: &str = "Tic-Tac-Toe";

#[test]
fn a_game_played_in_the_browser_is_replayed_move_by_move() {
    let web = server();
    let mut page = Page::open("replay-e2e", &web.url());
    page.login_guest("carla");
    page.enter_room(TTT_ROOM);
    page.launch("carla vs Alfred", &[("open", ""), ("bot", "Alfred")]);
    page.wait_game("seat X", |g| g.seat == "X");
    // Perfect play, remembering our own squares in order.
    let mine = std::cell::RefCell::new(Vec::new());
    page.play_to_end(|g| {
        let sq = best_move(&g.board, 'X');
        mine.borrow_mut().push(sq);
        sq
    });
    let end = page.wait_game("the end", GameView::over);
    let mine = mine.into_inner();
    let n = end.board.iter().filter(|c| **c != '.').count();

    // The list of games played names this one, newest first. It is
    // recorded by a worker after the game's report: ask until it shows.
    page.wait_played_listed("the game in #played");
    let b = &page.b;
    let first = b.texts_of("#played li[data-played-id]").unwrap_or_default();
    assert!(
        first.first().is_some_and(|t| t.contains("TicTacToe")
            && t.contains("carla")
            && t.contains("Alfred")),
        "{first:?}"
    );
    b.screenshot_at("#played", "played-list");
    // Opened with the keyboard.
    b.type_keys("#played li[data-played-id] .replay-game", keys::ENTER);
    b.wait_element("#replay:not([hidden])");
    wait_step(&page, &format!("0/{n}"));
    assert_eq!(replay_rows(&page), "...|...|...");

    // Every move: one more mark, X and O in turn, X's squares the ones we
    // clicked, and the last step is the board the game ended on.
    let mut before = ['.'; 9];
    for k in 1..=n {
        b.click("#replay-next");
        wait_step(&page, &format!("{k}/{n}"));
        let rows = replay_rows(&page);
        let now: Vec<char> = rows.chars().filter(|c| *c != '|').collect();
        let changed: Vec<usize> = (0..9).filter(|i| now[*i] != before[*i]).collect();
        assert_eq!(changed.len(), 1, "step {k}: {rows}");
        let mark = if k % 2 == 1 { 'X' } else { 'O' };
        assert_eq!(now[changed[0]], mark, "step {k}: {rows}");
        assert_eq!(before[changed[0]], '.', "step {k}: {rows}");
        if mark == 'X' {
            assert_eq!(Some(&changed[0]), mine.get(k / 2), "step {k}: {rows}");
        }
        before.copy_from_slice(&now);
    }
    assert_eq!(before, end.board, "the last step is the final board");
    let note = b
        .text_of("#replay-note")
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_lowercase();
    assert!(note.contains("win") || note.contains("draw"), "{note}");
    b.screenshot_at("#replay", "replay-of-a-played-game");
    b.click("#replay-close");
    b.wait_element("#replay[hidden]");
}
