//! The example game server a game author starts from (ggzdmod's
//! `examples/guess.rs`), loaded beside the shipped games from its own
//! directories (`[extra_dirs]`, as ggzdmod(3) tells an author), and played
//! by hand through `ggz` in raw mode.

use std::io::Write;
use std::process::{Command, Stdio};

use ggzd_e2e::*;

/// Runs `ggz --script` against the server and returns (exit code, stdout).
fn ggz(server: &TestServer, name: &str, script: &str) -> (Option<i32>, String) {
    let mut child = Command::new(bin("ggz"))
        .args(["--script", "--timeout", "20", "--name", name])
        .arg(server.addr.to_string())
        .env_remove("GGZ_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ggz");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
    }
    // ggz ends on its own: the script's end logs out, and every step has
    // a timeout.
    let out = child.wait_with_output().expect("ggz output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "ggz panicked: {stderr}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The shipped games and rooms plus the example's, through `[extra_dirs]`
/// as an author would load a game kept outside the server's directories.
fn with_guess() -> ServerOptions {
    let examples = repo_dir().join("ggzdmod/examples");
    let exe = bin_dir().join("examples/guess");
    assert!(
        exe.exists(),
        "{} is missing: build the examples first (cargo build --workspace --bins --examples)",
        exe.display()
    );
    ServerOptions {
        extra_config: format!(
            "[extra_dirs]\ngames = [\"{}\"]\nrooms = [\"{}\"]\n",
            examples.join("games").display(),
            examples.join("rooms").display()
        ),
        env: vec![("GUESS_SECRET".into(), "42".into())],
        ..Default::default()
    }
}

#[test]
fn guess_example_is_played_by_hand_in_raw_mode() {
    let server = TestServer::start_with(with_guess());
    let (code, out) = ggz(
        &server,
        "ann",
        "/enter Guess\n/launch bot\n/wait game: guess 1-100\n\
         # a typed line goes to the game server as bytes, newline included\n\
         4\\x32\n/wait game: secret 42: win\n/wait left the table\n",
    );
    assert_eq!(code, Some(0), "{out}");
    for line in [
        "Guess waiting: open, bot",
        "game: welcome",
        "game: secret 42: win",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
}

#[test]
fn guess_example_with_two_players_ties_or_wins() {
    let server = TestServer::start_with(with_guess());
    // Two people at one table: each waits for the start, guesses, and
    // sees the same secret; equal distance is a tie.
    let first = std::thread::scope(|s| {
        let ann = s.spawn(|| {
            ggz(
                &server,
                "ann",
                "/enter Guess\n/launch reserved:bob\n/wait game: guess 1-100\n40\n/wait game: secret 42\n",
            )
        });
        let bob = ggz(
            &server,
            "bob",
            "/enter Guess\n/wait reserved bob\n/join\n/wait game: guess 1-100\n44\n/wait game: secret 42\n",
        );
        (ann.join().expect("ann"), bob)
    });
    let ((code_a, out_a), (code_b, out_b)) = first;
    assert_eq!(code_a, Some(0), "{out_a}");
    assert_eq!(code_b, Some(0), "{out_b}");
    assert!(out_a.contains("game: secret 42: tie"), "{out_a}");
    assert!(out_b.contains("game: secret 42: tie"), "{out_b}");
}
