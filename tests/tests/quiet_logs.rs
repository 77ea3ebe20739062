//! A normal game and a normal logout, logged at the most verbose level
//! with every log type: nothing that looks like an error, and no `Debug`
//! dumps of internal values.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ggzd_e2e::*;

#[test]
fn a_game_against_the_bot_and_a_logout_log_nothing_alarming() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[logging]\nlevel = \"trace\"\n".into(),
        ..Default::default()
    });
    let mut ggz = Command::new(bin("ggz"))
        .args(["--script", "--timeout", "20", "--name", "alice"])
        .arg(server.addr.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ggz");
    {
        use std::io::Write;
        let mut stdin = ggz.stdin.take().expect("stdin");
        stdin
            .write_all(b"/enter 1\n/launch bot\n/autoplay\n/quit\n")
            .expect("script");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while ggz.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = ggz.kill();
            let _ = ggz.wait();
            panic!("ggz did not finish:\n{}", server.log());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The game's own "game over" line may race with the table's end (the
    // client sees the result first and leaves), so it is not waited for.
    for needle in ["game report", "alice logged out", "ends (", "game server "] {
        server
            .wait_for_log(needle, TIMEOUT)
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{}", server.log()));
    }
    // The reaping of the game server comes last.
    let reaped = Instant::now() + TIMEOUT;
    while server.count_log("exited with status") + server.count_log("ended by") == 0 {
        assert!(Instant::now() < reaped, "not reaped:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    for line in log.lines() {
        // The test machine may run us as root; that warning is honest.
        if line.contains("running as root") {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        for alarming in [
            "error", "warning", "fail", "err(", "ok(", "some(", "{ ", "(\"",
        ] {
            assert!(
                !lower.contains(alarming),
                "{alarming:?} in {line:?}; the whole log:\n{log}"
            );
        }
    }
}
