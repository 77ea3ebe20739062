//! `ggzd-bench --web`: the idle, chat and tables scenarios over the
//! `[web]` listener (WebSocket lobby connections, TicTacToe game channels
//! through the relay) run to the end and report real figures. No timing
//! is asserted; benchmarks live in BENCHMARKS.md.

#[path = "support/ws_client.rs"]
mod support;

use ggzd_e2e::bench_json::number;
use ggzd_e2e::*;

fn web_server() -> (TestServer, String) {
    let server = TestServer::start_with(ServerOptions {
        network: "max_clients_per_ip = 0\n".into(),
        extra_config: "[abuse]\nmax_prelogin_per_ip = 0\n[limits]\nchat_rate = 0\n\
                       [web]\nlisten = \"127.0.0.1:0\"\n"
            .into(),
        ..Default::default()
    });
    let web = support::web_addr(&server).to_string();
    (server, web)
}

#[test]
fn idle_and_chat_run_over_websocket() {
    let (server, web) = web_server();
    let json = bench(
        &server,
        &[
            "idle",
            "--clients",
            "40",
            "--room",
            "0",
            "--hold",
            "0.5",
            "--web",
            &web,
        ],
    );
    assert!(json.contains("\"transport\":\"websocket\""), "{json}");
    assert!(json.contains("\"failed\":false"), "{json}");
    assert_eq!(number(&json, "joined"), 40.0, "{json}");

    let json = bench(
        &server,
        &[
            "chat",
            "--clients",
            "30",
            "--senders",
            "3",
            "--messages",
            "5",
            "--room",
            "0",
            "--web",
            &web,
        ],
    );
    assert!(json.contains("\"transport\":\"websocket\""), "{json}");
    assert!(json.contains("\"failed\":false"), "{json}");
    assert_eq!(number(&json, "receivers"), 30.0, "{json}");
    // Every chat reached every receiver in the room.
    assert_eq!(number(&json, "deliveries"), 3.0 * 5.0 * 30.0, "{json}");
}

#[test]
fn tables_play_tictactoe_over_websocket_channels() {
    let (server, web) = web_server();
    // Room 1 of the repository's rooms is Tic-Tac-Toe; game 0 TicTacToe.
    let json = bench(
        &server,
        &[
            "tables", "--pairs", "2", "--room", "1", "--games", "6", "--secs", "30", "--web", &web,
        ],
    );
    assert!(json.contains("\"transport\":\"websocket\""), "{json}");
    assert!(json.contains("\"failed\":false"), "{json}");
    assert_eq!(number(&json, "games"), 6.0, "{json}");
    assert!(number(&json, "server_cpu_ms_per_game") >= 0.0, "{json}");
    // The bench may be gone before ggzd has seen its channels close.
    assert!(
        server
            .wait_for_log("game channel relay ends", TIMEOUT)
            .is_some(),
        "the channels went through the WebSocket relay"
    );
}
