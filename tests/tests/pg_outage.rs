//! PostgreSQL goes away for about ten seconds under a running ggzd
//! (docs/postgresql.md §5): chat goes on, a game in progress is played to
//! the end, a registration gets a clean `usr lookup`, a guest still gets
//! in; when the server is back, registration and registered logins work
//! again and the game's result is stored, with no restart of ggzd.
//!
//! This stops the whole throwaway cluster of the test process, so it is
//! the only test of this binary.

use std::time::{Duration, Instant};

use ggzd_e2e::dio::*;
use ggzd_e2e::metrics::{metrics_addr, scrape};
use ggzd_e2e::tables::{join_as_player, launch_open_table};
use ggzd_e2e::*;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;

fn cluster() -> &'static ggzd_pgtest::Cluster {
    ggzd_pgtest::cluster().unwrap_or_else(|e| panic!("throwaway PostgreSQL: {e}"))
}

fn login_code(server: &TestServer, kind: LoginKind, name: &str, password: &str) -> String {
    let mut c = server.connect();
    c.login(kind, name, Some(password), None).unwrap().code
}

/// `from` says `text` in the room and `to` hears it.
fn chat(from: &mut Client, to: &mut Client, text: &str) {
    assert_eq!(
        request(from, &format!("<CHAT TYPE='normal'>{text}</CHAT>"), "chat"),
        "ok"
    );
    let heard = to
        .recv_until(TIMEOUT, |e| e.is("CHAT") && e.text.trim() == text)
        .unwrap_or_else(|e| panic!("no chat line {text:?}: {e}"));
    assert!(heard.is("CHAT"));
}

#[test]
fn chat_and_games_go_on_while_postgres_is_down_and_all_recovers() {
    let url = cluster().fresh_database("pgoutage").unwrap();
    let server = TestServer::start_with(ServerOptions {
        extra_config: format!(
            "[database]\nbackend = \"postgres\"\nurl = \"{url}\"\n\
             [metrics]\nlisten = \"127.0.0.1:0\"\n"
        ),
        ..ServerOptions::default()
    });
    let metrics = metrics_addr(&server);
    assert!(scrape(metrics).contains("\nggzd_store_up 1\n"));
    let mut alice = server.registered_in_room("alice", ROOM);
    let mut bob = server.registered_in_room("bob", ROOM);
    assert_eq!(login_code(&server, LoginKind::First, "carol", "pw"), "ok");

    // A TicTacToe game under way.
    let mut alice_dio = Dio::open(&server, "alice");
    let table = launch_open_table(&mut alice, "outage");
    let mut bob_dio = Dio::open(&server, "bob");
    join_as_player(&mut bob, &table);
    bob_dio.until(|m| matches!(m, Msg::Seat(_)));
    play(&mut [&mut alice_dio, &mut bob_dio], &[4, 0]);
    chat(&mut alice, &mut bob, "before");

    cluster().stop().unwrap();
    let stopped = Instant::now();

    // Requests that need the store get a clean answer.
    assert_eq!(
        login_code(&server, LoginKind::First, "dave", "pw"),
        "usr lookup"
    );
    assert_eq!(
        login_code(&server, LoginKind::Normal, "carol", "pw"),
        "usr lookup"
    );
    assert!(
        server.wait_for_log("store unavailable", TIMEOUT).is_some(),
        "{}",
        server.log()
    );
    let during = scrape(metrics);
    assert!(during.contains("\nggzd_store_up 0\n"), "{during}");
    assert!(
        during.contains("\nggzd_store_outages_total 1\n"),
        "{during}"
    );
    // Chat goes on.
    chat(&mut bob, &mut alice, "during");
    // A guest gets in, but not under a name seen registered.
    let mut guest = server.guest_in_room("visitor", ROOM);
    assert_eq!(
        login_code(&server, LoginKind::Guest, "carol", ""),
        "wrong login type"
    );
    chat(&mut guest, &mut alice, "a guest talks");
    // The game is played to the end; its result waits for the store.
    play(&mut [&mut alice_dio, &mut bob_dio], &[2, 1, 6]);
    assert_eq!(alice_dio.until_game_over(), Msg::GameOver(0));
    assert_eq!(bob_dio.until_game_over(), Msg::GameOver(0));
    assert!(
        server
            .wait_for_log("will be stored when it is back", TIMEOUT)
            .is_some(),
        "{}",
        server.log()
    );

    // About ten seconds down, chatting now and then.
    let mut n = 0;
    while stopped.elapsed() < Duration::from_secs(10) {
        n += 1;
        chat(&mut alice, &mut bob, &format!("still here {n}"));
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        login_code(&server, LoginKind::First, "dave", "pw"),
        "usr lookup"
    );

    cluster().restart().unwrap();

    // Recovery needs no restart of ggzd: a registration works again.
    let deadline = Instant::now() + TIMEOUT * 3;
    loop {
        let code = login_code(&server, LoginKind::First, "dave", "pw");
        if code == "ok" {
            break;
        }
        assert_eq!(code, "usr lookup");
        assert!(Instant::now() < deadline, "still {code}\n{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(login_code(&server, LoginKind::Normal, "carol", "pw"), "ok");
    assert_eq!(login_code(&server, LoginKind::Normal, "dave", "pw"), "ok");
    assert!(
        server
            .wait_for_log("store available again", TIMEOUT)
            .is_some(),
        "{}",
        server.log()
    );
    // The result held during the outage is written, and alice's win shows.
    assert!(
        server
            .wait_for_log("report held during the outage", TIMEOUT)
            .is_some(),
        "{}",
        server.log()
    );
    let win = bob
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE")
                && e.attr("ACTION") == Some("stats")
                && e.child("PLAYER")
                    .is_some_and(|p| p.attr("ID") == Some("alice") && p.attr("WINS") == Some("1"))
        })
        .unwrap_or_else(|e| panic!("no stats update for alice: {e}\n{}", server.log()));
    assert!(win.is("UPDATE"));
    chat(&mut alice, &mut bob, "after");
    let after = scrape(metrics);
    assert!(after.contains("\nggzd_store_up 1\n"), "{after}");
    assert!(
        after.contains("\nggzd_store_deferred_writes 0\n"),
        "{after}"
    );
    assert!(server.count_log("panicked") == 0, "{}", server.log());
}
