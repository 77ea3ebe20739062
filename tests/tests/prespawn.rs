//! Game servers started ahead of their tables (`[matchmaking] prespawn`,
//! docs/matchmaking.md §10): a match served by a warm game server, which
//! the pool then replaces; a warm one that dies is replaced too; reload
//! and shutdown leave no process and no descriptor behind. With
//! `GGZD_E2E_TTT_SERVER` the warm game servers are the original C ones.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use ggzd_e2e::dio::{self, Dio, Msg};
use ggzd_e2e::metrics::{metrics_addr, sample, scrape};
use ggzd_e2e::*;

/// Room 1 holds the queue; game 0 is TicTacToe.
const ROOM: i32 = 1;

fn write_rooms(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("entry.toml"), "name = \"Lobby\"\nmax_tables = 0\n").unwrap();
    std::fs::write(
        dir.join("ttt.toml"),
        "name = \"Tic-Tac-Toe\"\ngame = \"TicTacToe\"\n\
         [[queue]]\nname = \"ttt\"\nmin_players = 2\nmax_players = 2\ninterval = 0.2\n",
    )
    .unwrap();
}

/// A server whose queue keeps `prespawn` game servers warm; debug lines
/// say which table got which game server.
fn server(tag: &str, prespawn: u32) -> (TestServer, TempDir) {
    let tmp = TempDir::new(tag);
    let rooms = tmp.path().join("rooms");
    write_rooms(&rooms);
    let server = TestServer::start_with(ServerOptions {
        rooms_dir: Some(rooms),
        extra_config: format!(
            "[matchmaking]\nprespawn = {prespawn}\n[logging]\nlevel = \"debug\"\n\
             [metrics]\nlisten = \"127.0.0.1:0\"\n"
        ),
        ..Default::default()
    });
    (server, tmp)
}

/// `ggzd_game_server_starts_total`: started ahead, and at launch.
fn starts(server: &TestServer) -> (f64, f64) {
    let text = scrape(metrics_addr(server));
    let of = |when: &str| {
        sample(
            &text,
            &format!("ggzd_game_server_starts_total{{when=\"{when}\"}}"),
        )
    };
    (of("ahead"), of("at_launch"))
}

/// ggzd's live children (game servers), zombies left out.
fn children(pid: i32) -> HashSet<i32> {
    let mut out = HashSet::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in text
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
        {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next();
            if state.is_some_and(|s| s != "Z") {
                out.insert(child);
            }
        }
    }
    out
}

fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    state.is_some_and(|s| s != "Z")
}

/// Waits until `pred` holds, or fails with the server's log.
fn wait_until(server: &TestServer, what: &str, mut pred: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !pred() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pids of the game servers started ahead of their tables so far.
fn warm_pids(server: &TestServer) -> Vec<i32> {
    server
        .log()
        .lines()
        .filter(|l| l.contains("started ahead of its table"))
        .filter_map(|l| {
            l.split("game server ")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

fn matched(client: &mut Client) -> Element {
    client
        .recv_until(TIMEOUT, |e| e.is("MATCHED"))
        .unwrap_or_else(|e| panic!("no MATCHED: {e}"))
}

#[test]
fn a_match_is_served_by_a_warm_game_server_which_is_then_replaced() {
    let (server, _tmp) = server("pre-match", 2);
    wait_until(&server, "two warm game servers", || {
        warm_pids(&server).len() == 2
    });
    let warm: HashSet<i32> = warm_pids(&server).into_iter().collect();
    assert_eq!(children(server.pid()), warm);

    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    let (ma, mb) = (matched(&mut alice), matched(&mut bob));
    let table = ma.attr("TABLE").unwrap().to_string();
    let line = server
        .wait_for_log("(prestarted)", TIMEOUT)
        .unwrap_or_else(|| panic!("no prestarted table\n{}", server.log()));
    let pid: i32 = line
        .rsplit("game server pid ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {line}"));
    assert!(warm.contains(&pid), "{pid} not among {warm:?}");
    // The metrics tell a sysadmin the pool served it.
    assert_eq!(starts(&server), (1.0, 0.0));

    // The pool is refilled: one more started ahead, two waiting again
    // beside the one that plays.
    wait_until(&server, "the refill", || warm_pids(&server).len() == 3);
    wait_until(&server, "three game servers", || {
        children(server.pid()).len() == 3
    });

    // The warm game server plays the whole game.
    let mut da = Dio::open(&server, "alice");
    let mut db = Dio::open(&server, "bob");
    for (client, m) in [(&mut alice, &ma), (&mut bob, &mb)] {
        let seat = m.attr("SEAT").unwrap();
        let join = format!("<JOIN TABLE='{table}' SEAT='{seat}'/>");
        assert_eq!(request(client, &join, "join"), "ok");
    }
    assert_eq!(ma.attr("SEAT"), Some("0"));
    dio::play(&mut [&mut da, &mut db], &[0, 3, 1, 4, 2]);
    assert_eq!(
        da.until(|m| matches!(m, Msg::GameOver(_))),
        Msg::GameOver(0)
    );
    assert_eq!(
        db.until(|m| matches!(m, Msg::GameOver(_))),
        Msg::GameOver(0)
    );
    for c in [&mut alice, &mut bob] {
        assert_eq!(request(c, "<LEAVE/>", "leave"), "ok");
    }
    // Its process goes with its table; the two warm ones stay.
    wait_until(&server, "the played game server's end", || !alive(pid));
    wait_until(&server, "two warm game servers left", || {
        children(server.pid()).len() == 2
    });
}

#[test]
fn a_warm_game_server_that_dies_is_replaced() {
    let (server, _tmp) = server("pre-death", 1);
    wait_until(&server, "a warm game server", || {
        warm_pids(&server).len() == 1
    });
    let first = warm_pids(&server)[0];
    // SAFETY: kill on a child of our own ggzd.
    unsafe {
        libc::kill(first, libc::SIGKILL);
    }
    server
        .wait_for_log(
            &format!("game server {first} exited before it had a table"),
            TIMEOUT,
        )
        .unwrap_or_else(|| panic!("death not noticed\n{}", server.log()));
    // Replaced after a pause.
    wait_until(&server, "a new warm game server", || {
        warm_pids(&server).len() == 2
    });
    wait_until(&server, "one child", || {
        children(server.pid()) == HashSet::from([warm_pids(&server)[1]])
    });
    // And it serves a match.
    let mut alice = server.guest_in_room("alice", ROOM);
    let mut bob = server.guest_in_room("bob", ROOM);
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    matched(&mut alice);
    matched(&mut bob);
}

#[test]
fn reload_and_shutdown_leave_no_game_server_and_no_descriptor_behind() {
    let (mut server, _tmp) = server("pre-reload", 3);
    wait_until(&server, "three warm game servers", || {
        warm_pids(&server).len() == 3 && children(server.pid()).len() == 3
    });
    let first: Vec<i32> = warm_pids(&server);
    let fds = server.fd_count();

    // A reload replaces every warm game server (the program may be new).
    let before = server.count_log("reload done");
    server.signal(libc::SIGHUP);
    wait_until(&server, "the reload", || {
        server.count_log("reload done") > before
    });
    wait_until(&server, "three new warm game servers", || {
        warm_pids(&server).len() == 6 && children(server.pid()).len() == 3
    });
    for pid in &first {
        wait_until(&server, "the old warm game servers' end", || !alive(*pid));
    }
    let second: HashSet<i32> = warm_pids(&server)[3..].iter().copied().collect();
    assert_eq!(children(server.pid()), second);
    assert_eq!(server.fd_count(), fds, "descriptors after the reload");

    // Shutdown stops them all, and ggzd exits.
    server.signal(libc::SIGTERM);
    let status = server.wait_exit(TIMEOUT).expect("ggzd exits");
    assert!(status.success(), "{status:?}\n{}", server.log());
    for pid in second {
        assert!(!alive(pid), "game server {pid} survived the shutdown");
    }
}

#[test]
fn without_prespawn_no_game_server_runs_before_a_table() {
    let (server, _tmp) = server("pre-off", 0);
    let mut alice = server.guest_in_room("alice", ROOM);
    // Give a pool that should not exist the time to show up.
    assert_eq!(request(&mut alice, "<LIST TYPE='queue'/>", "list"), "ok");
    std::thread::sleep(Duration::from_millis(300));
    assert!(children(server.pid()).is_empty());
    assert!(warm_pids(&server).is_empty());
    // A table then starts its own game server.
    let mut bob = server.guest_in_room("bob", ROOM);
    assert_eq!(request(&mut alice, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    assert_eq!(request(&mut bob, "<MATCH QUEUE='ttt'/>", "match"), "ok");
    matched(&mut alice);
    assert_eq!(starts(&server), (0.0, 1.0));
}
