//! `ggzd-bench` against the real ggzd (and, for `tables`, the real
//! `ggzd-tictactoe`): the scenarios run to the end and report real
//! figures. No timing is asserted; benchmarks live in BENCHMARKS.md.

use ggzd_e2e::bench_json::{assert_reported, field, number, run_bench};
use ggzd_e2e::*;

#[test]
fn tables_scenario_plays_tictactoe_to_the_end() {
    let server = TestServer::start();
    // Room 1 of the repository's rooms is Tic-Tac-Toe; game 0 TicTacToe.
    let json = bench(
        &server,
        &[
            "tables", "--pairs", "2", "--room", "1", "--games", "12", "--secs", "30",
        ],
    );
    assert_eq!(field(&json, "scenario"), "\"tables\"");
    assert_eq!(field(&json, "failed"), "false", "{json}");
    assert_eq!(number(&json, "games"), 12.0, "{json}");
    assert_eq!(field(&json, "failures"), "\"none\"");
    assert!(number(&json, "games_per_s") > 0.0, "{json}");
    assert_reported(
        &json,
        &[
            "launch_to_ready_p50_ms",
            "launch_to_ready_p99_ms",
            "game_p50_ms",
            "tables_generator_cpu_s",
            "tables_server_cpu_s",
            "tables_game_servers_cpu_s",
        ],
    );
    assert!(
        number(&json, "launch_to_ready_p99_ms") >= number(&json, "launch_to_ready_p50_ms"),
        "{json}"
    );
    // The players left and every table ended: the room is empty again.
    let mut c = server.guest("watcher");
    enter(&mut c, 1);
    c.send("<LIST TYPE='table'/>").unwrap();
    let list = c.expect_result("list", TIMEOUT).unwrap();
    let tables = list.child("LIST").expect("a table list");
    assert!(tables.child("TABLE").is_none(), "{tables:?}");
}

#[test]
fn logins_scenario_logs_guests_in() {
    let server = TestServer::start();
    let json = bench(
        &server,
        &["logins", "--count", "200", "--concurrency", "10"],
    );
    assert_eq!(field(&json, "failed"), "false", "{json}");
    assert_eq!(number(&json, "logins_ok"), 200.0, "{json}");
    assert!(number(&json, "logins_per_s") > 0.0, "{json}");
    assert!(number(&json, "logins_server_cpu_s") >= 0.0, "{json}");
}

#[test]
fn storm_scenario_logs_the_legit_client_in_during_a_storm() {
    let server = TestServer::start();
    let json = bench(
        &server,
        &[
            "storm",
            "--connections",
            "20",
            "--addresses",
            "4",
            "--legit",
            "3",
            "--secs",
            "1",
        ],
    );
    assert_eq!(field(&json, "failed"), "false", "{json}");
    assert_eq!(number(&json, "legit_ok"), 3.0, "{json}");
    // How many wrong passwords get answered in one second depends on the
    // machine's load; that the storm was answered at all is what counts.
    assert!(number(&json, "wrong_password_answers") >= 1.0, "{json}");
    assert!(number(&json, "rss_after_kib") > 0.0, "{json}");
}

#[test]
fn nonreaders_scenario_reports_kernel_memory_and_drops() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[limits]\nchat_rate = 0\n".into(),
        ..ServerOptions::default()
    });
    let json = bench(&server, &["nonreaders", "--clients", "5", "--chats", "200"]);
    assert_eq!(field(&json, "failed"), "false", "{json}");
    assert!(number(&json, "nonreaders_dropped") <= 5.0, "{json}");
    assert!(number(&json, "tcp_mem_peak_kib") >= 0.0, "{json}");
}

#[test]
fn logins_spread_round_robin_over_several_targets() {
    let a = TestServer::start();
    let b = TestServer::start();
    let (a_addr, b_addr) = (a.addr.to_string(), b.addr.to_string());
    let json = run_bench(&[
        "-s",
        &a_addr,
        "-s",
        &b_addr,
        "--json",
        "--timeout",
        "60",
        "logins",
        "--count",
        "40",
        "--concurrency",
        "4",
    ]);
    assert_eq!(number(&json, "logins_ok"), 40.0, "{json}");
    assert_eq!(
        field(&json, "targets"),
        format!("\"{}=20 {}=20\"", a.addr, b.addr),
        "{json}"
    );
    assert!(a.wait_for_log("logged in", TIMEOUT).is_some());
    assert!(b.wait_for_log("logged in", TIMEOUT).is_some());
    // Comma separated is the same; a remote target is still refused.
    let refused = std::process::Command::new(bin("ggzd-bench"))
        .args(["-s", &format!("{},10.0.0.1:5688", a.addr)])
        .args(["logins", "--count", "1"])
        .output()
        .expect("run ggzd-bench");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("loopback"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
