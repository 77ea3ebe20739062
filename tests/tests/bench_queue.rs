//! `ggzd-bench queue` against the real ggzd and `ggzd-tictactoe`, with
//! registered players whose ratings are seeded as `write-config` seeds
//! them, in a rated queue: the scenario runs to the end and reports the
//! rating gaps of the pairs it saw matched, and they agree with the
//! server's own `ggzd_match_rating_gap` histogram. No timing is asserted.

use std::path::Path;

use ggzd::auth::HashParams;
use ggzd_e2e::bench_json::number;
use ggzd_e2e::metrics::{metrics_addr, sample, scrape};
use ggzd_e2e::*;
use ggzd_tools::bench::{ratings, seed, setup};

const PLAYERS: usize = 20;

/// The lobby and a rated TicTacToe room (room 1) with `write-config`'s
/// rated queue, its game description in `games/`.
fn write_layout(dir: &Path) {
    let rooms = dir.join("rooms");
    let games = dir.join("games");
    std::fs::create_dir_all(&rooms).unwrap();
    std::fs::create_dir_all(&games).unwrap();
    std::fs::write(
        rooms.join("entry.toml"),
        "name = \"Lobby\"\nmax_tables = 0\n",
    )
    .unwrap();
    // Write-config's own files, so the test runs what the bench runs.
    let bench = dir.join("bench");
    setup::write(&setup::SetupOptions {
        dir: bench.clone(),
        source: repo_dir(),
        room_capacity: 100,
        max_clients: 100,
        rated_players: 0,
        rating_seed: 1,
        hash: cheap(),
    })
    .unwrap();
    std::fs::copy(
        bench.join("rooms/tables-rated.toml"),
        rooms.join("rated.toml"),
    )
    .unwrap();
    std::fs::copy(
        bench.join("games/tictactoe-rated.toml"),
        games.join("tictactoe-rated.toml"),
    )
    .unwrap();
}

/// The harness's `[auth]` costs.
fn cheap() -> HashParams {
    HashParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    }
}

/// The bucket of a Prometheus histogram that holds its `rank`-th smallest
/// value (from 1): (the bucket below's bound, the bucket's bound).
fn bucket_of(text: &str, name: &str, rank: f64) -> (f64, f64) {
    let mut below = f64::NEG_INFINITY;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(&format!("{name}_bucket{{le=\"")) else {
            continue;
        };
        let (le, value) = rest.split_once("\"} ").unwrap();
        let le: f64 = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().unwrap()
        };
        if value.trim().parse::<f64>().unwrap() >= rank {
            return (below, le);
        }
        below = le;
    }
    panic!("no bucket holds rank {rank} in\n{text}");
}

#[test]
fn queue_scenario_reports_the_rating_gaps_the_server_saw() {
    let tmp = TempDir::new("bench-queue");
    write_layout(tmp.path());
    // The accounts go into an SQLite database, as write-config's do.
    let data = tmp.path().join("data");
    let names: Vec<String> = (0..PLAYERS).map(|i| format!("p{i:05}")).collect();
    seed::write(
        &data,
        &seed::Accounts {
            names: &names,
            password: setup::ACCOUNT_PASSWORD,
            game: setup::RATED_GAME,
            seed: 1,
            hash: cheap(),
        },
    )
    .unwrap();
    let server = TestServer::start_with(ServerOptions {
        rooms_dir: Some(tmp.path().join("rooms")),
        data_dir: Some(data),
        extra_config: format!(
            "[database]\nbackend = \"sqlite\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n\
             [extra_dirs]\ngames = [\"{}\"]\n",
            tmp.path().join("games").display()
        ),
        ..Default::default()
    });
    let addr = metrics_addr(&server);
    let json = bench(
        &server,
        &[
            "queue",
            "--players",
            &PLAYERS.to_string(),
            "--room",
            "1",
            "--rate",
            "40",
            "--secs",
            "2",
        ],
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["failed"], false, "{json}");
    assert_eq!(value["players_are"], "registered", "{json}");
    let pairs = number(&json, "rating_gap_pairs");
    assert!(pairs >= 1.0, "{json}");
    let (p50, p99, max) = (
        number(&json, "rating_gap_p50"),
        number(&json, "rating_gap_p99"),
        number(&json, "rating_gap_max"),
    );
    assert!(p50 <= p99 && p99 <= max, "{json}");
    // Seeded over ±3 SD: no gap can be wider.
    assert!(max <= 6.0 * ratings::SD + 100.0, "{json}");
    // The ratings were really spread, and moved as games were rated.
    assert!(number(&json, "ratings_start_sd") > 50.0, "{json}");
    assert!(number(&json, "ratings_start_mean") > 1300.0, "{json}");

    // The server's histogram: every table it matched, the bench's pairs
    // and those matched by a round just before the run's end, whose
    // MATCHED came after the bench had stopped waiting. The bench's gaps are the
    // server's within a point (it sees ratings rounded), so its k-th
    // smallest lies between the server's k-th and (k + extra)-th.
    let text = scrape(addr);
    let server = sample(&text, "ggzd_match_rating_gap_count");
    let extra = server - pairs;
    assert!((0.0..=4.0).contains(&extra), "{json}\n{text}");
    // One node: a player's partner goes unseen only in such a late
    // match.
    assert!(
        number(&json, "rating_gap_unpaired") <= 2.0 * extra,
        "{json}\n{text}"
    );
    for (q, bench_q) in [(0.5, p50), (0.99, p99)] {
        let rank = (q * pairs).ceil().max(1.0);
        let (lo, _) = bucket_of(&text, "ggzd_match_rating_gap", rank);
        let (_, hi) = bucket_of(&text, "ggzd_match_rating_gap", rank + extra);
        assert!(
            bench_q >= lo - 1.0 && bench_q <= hi + 1.0,
            "q{q}: bench {bench_q}, server ({lo}, {hi}]\n{json}\n{text}"
        );
    }
}
