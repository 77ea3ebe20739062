//! `ggzd-bench` over the three nodes of one zone (docs/cluster.md,
//! BENCHMARKS.md "Cluster"): a chat scenario spread over the nodes tells
//! same-node deliveries from cross-node ones, and reports each node's
//! CPU. No timing is asserted.

use std::process::Command;

use ggzd_e2e::bench_json::{assert_reported, bench_nodes, field, number};
use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;
use support::*;

#[test]
fn chat_over_three_nodes_splits_cross_node_deliveries() {
    let url = database();
    let nodes = zone(&url);
    // 12 players round robin: 4 per node. Every line reaches the 4 on its
    // sender's node and the 8 on the other two.
    let json = bench_nodes(
        &nodes,
        &[
            "chat",
            "--clients",
            "12",
            "--senders",
            "3",
            "--messages",
            "5",
            "--window",
            "2",
            "--room",
            "0",
            "--concurrency",
            "12",
        ],
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
    assert_reported(
        &json,
        &[
            "chat_node1_cpu_s",
            "chat_node2_cpu_s",
            "chat_node3_cpu_s",
            "chat_nodes_cpu_s",
        ],
    );
    let targets = field(&json, "targets");
    for node in &nodes {
        assert!(targets.contains(&format!("{}=4", node.addr)), "{targets}");
    }
}

#[test]
fn tables_across_nodes_relay_every_game_channel() {
    let url = database();
    let nodes = zone(&url);
    // Room 1 of the repository's rooms is Tic-Tac-Toe. Each pair's
    // launcher is on one node and its joiner on the next, so the joiner's
    // node relays its channel to the table's node (docs/cluster.md §8).
    let json = bench_nodes(
        &nodes,
        &[
            "tables",
            "--pairs",
            "3",
            "--room",
            "1",
            "--games",
            "6",
            "--secs",
            "60",
            "--cross-node",
        ],
    );
    assert_eq!(field(&json, "placement"), "\"cross-node\"", "{json}");
    assert_eq!(number(&json, "games"), 6.0, "{json}");
    assert_eq!(field(&json, "failures"), "\"none\"", "{json}");
    assert_reported(&json, &["tables_nodes_cpu_s", "tables_game_servers_cpu_s"]);
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
