//! Running `ggzd-bench --json` from the tests and reading the one flat JSON
//! object it reports. The tests read a few keys, so a `find` is all the
//! parsing they need.

use std::process::Command;

use crate::{TestServer, bin};

/// The raw value of `key` in the report: a number, `true`/`false`, or a
/// string with its quotes.
pub fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let needle = format!("\"{key}\":");
    let start = json
        .find(&needle)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + needle.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    &rest[..end]
}

/// The value of `key` in the report, which must be a number.
pub fn number(json: &str, key: &str) -> f64 {
    field(json, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {json}"))
}

/// Checks that the report gives each of `keys` as a number of zero or
/// more (figures whose size depends on the machine).
pub fn assert_reported(json: &str, keys: &[&str]) {
    for key in keys {
        assert!(number(json, key) >= 0.0, "{key}: {json}");
    }
}

/// Runs `ggzd-bench` with exactly `args`; returns its standard output after
/// checking that it exited successfully.
pub fn run_bench(args: &[&str]) -> String {
    let output = Command::new(bin("ggzd-bench"))
        .args(args)
        .output()
        .expect("run ggzd-bench");
    let json = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{json}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    json
}

/// Runs `ggzd-bench --json` with `scenario` over every node of `nodes`
/// (their addresses and pids, comma separated); returns the report.
pub fn bench_nodes(nodes: &[TestServer], scenario: &[&str]) -> String {
    let servers: Vec<String> = nodes.iter().map(|n| n.addr.to_string()).collect();
    let pids: Vec<String> = nodes.iter().map(|n| n.pid().to_string()).collect();
    let (servers, pids) = (servers.join(","), pids.join(","));
    let mut args = vec!["-s", &servers, "--pid", &pids, "--json", "--timeout", "120"];
    args.extend_from_slice(scenario);
    run_bench(&args)
}
