//! `ggzd-bench` over the three nodes of one zone (docs/cluster.md,
//! BENCHMARKS.md "Cluster"): a chat scenario spread over the nodes tells
//! same-node deliveries from cross-node ones, and reports each node's
//! CPU. No timing is asserted.

use std::process::Command;

use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;
use support::*;

/// The raw value of `key` in the report's flat JSON object.
fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let needle = format!("\"{key}\":");
    let start = json
        .find(&needle)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + needle.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    &rest[..end]
}

fn number(json: &str, key: &str) -> f64 {
    field(json, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {json}"))
}

#[test]
fn chat_over_three_nodes_splits_cross_node_deliveries() {
    let url = database();
    let nodes = zone(&url);
    let servers: Vec<String> = nodes.iter().map(|n| n.addr.to_string()).collect();
    let pids: Vec<String> = nodes.iter().map(|n| n.pid().to_string()).collect();
    // 12 players round robin: 4 per node. Every line reaches the 4 on its
    // sender's node and the 8 on the other two.
    let output = Command::new(bin("ggzd-bench"))
        .args(["-s", &servers.join(",")])
        .args(["--pid", &pids.join(",")])
        .args(["--json", "--timeout", "120"])
        .args([
            "chat",
            "--clients",
            "12",
            "--senders",
            "3",
            "--messages",
            "5",
        ])
        .args(["--window", "2", "--room", "0", "--concurrency", "12"])
        .output()
        .expect("run ggzd-bench");
    let json = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{json}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(field(&json, "failed"), "false", "{json}");
    assert_eq!(number(&json, "deliveries"), 180.0, "{json}");
    assert_eq!(number(&json, "deliveries_lost"), 0.0, "{json}");
    assert_eq!(number(&json, "deliveries_same_node"), 60.0, "{json}");
    assert_eq!(number(&json, "deliveries_cross_node"), 120.0, "{json}");
    assert!(
        number(&json, "latency_cross_node_p99_ms") >= number(&json, "latency_cross_node_p50_ms"),
        "{json}"
    );
    for key in [
        "chat_node1_cpu_s",
        "chat_node2_cpu_s",
        "chat_node3_cpu_s",
        "chat_nodes_cpu_s",
    ] {
        assert!(number(&json, key) >= 0.0, "{key}: {json}");
    }
    let targets = field(&json, "targets");
    for s in &servers {
        assert!(targets.contains(&format!("{s}=4")), "{targets}");
    }
}

#[test]
fn tables_across_nodes_relay_every_game_channel() {
    let url = database();
    let nodes = zone(&url);
    let servers: Vec<String> = nodes.iter().map(|n| n.addr.to_string()).collect();
    let pids: Vec<String> = nodes.iter().map(|n| n.pid().to_string()).collect();
    // Room 1 of the repository's rooms is Tic-Tac-Toe. Each pair's
    // launcher is on one node and its joiner on the next, so the joiner's
    // node relays its channel to the table's node (docs/cluster.md §8).
    let output = Command::new(bin("ggzd-bench"))
        .args(["-s", &servers.join(",")])
        .args(["--pid", &pids.join(",")])
        .args(["--json", "--timeout", "120"])
        .args(["tables", "--pairs", "3", "--room", "1", "--games", "6"])
        .args(["--secs", "60", "--cross-node"])
        .output()
        .expect("run ggzd-bench");
    let json = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{json}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(field(&json, "placement"), "\"cross-node\"", "{json}");
    assert_eq!(number(&json, "games"), 6.0, "{json}");
    assert_eq!(field(&json, "failures"), "\"none\"", "{json}");
    for key in ["tables_nodes_cpu_s", "tables_game_servers_cpu_s"] {
        assert!(number(&json, key) >= 0.0, "{key}: {json}");
    }
    // Every node relayed its joiners' channels to the other nodes'
    // tables: none was played on one node alone.
    for node in &nodes {
        assert!(
            node.count_log("a game channel is relayed to") > 0,
            "{}",
            node.log()
        );
    }
}

#[test]
fn cross_node_tables_need_several_nodes() {
    let server = TestServer::start();
    let output = Command::new(bin("ggzd-bench"))
        .args(["-s", &server.addr.to_string(), "--timeout", "60"])
        .args(["tables", "--pairs", "1", "--room", "1", "--cross-node"])
        .output()
        .expect("run ggzd-bench");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--cross-node needs"), "{stderr}");
}
