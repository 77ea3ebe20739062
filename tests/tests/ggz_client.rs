//! The `ggz` terminal client, run as a program in script mode against a
//! real ggzd with the real TicTacToe game server.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ggzd_e2e::*;

/// A running `ggz`, killed if the test ends before it does.
struct Ggz {
    child: Option<Child>,
    output: Option<thread::JoinHandle<String>>,
}

/// What a finished run printed and how it exited.
struct Run {
    stdout: String,
    code: Option<i32>,
}

impl Run {
    fn has(&self, needle: &str) -> bool {
        self.stdout.lines().any(|l| l.contains(needle))
    }

    fn assert_has(&self, needle: &str) {
        assert!(
            self.has(needle),
            "no line with {needle:?} in:\n{}",
            self.stdout
        );
    }
}

fn addr(server: &TestServer) -> String {
    server.addr.to_string()
}

impl Ggz {
    /// Starts `ggz ARGS` with `script` on stdin (then closed unless
    /// `keep_stdin`).
    fn start(
        args: &[&str],
        env: &[(&str, &str)],
        script: &str,
        keep_stdin: bool,
    ) -> (Ggz, Option<std::process::ChildStdin>) {
        let mut command = Command::new(bin("ggz"));
        command.arg("--script");
        if !args.contains(&"--timeout") {
            command.args(["--timeout", "20"]);
        }
        command
            .args(args)
            .env_remove("GGZ_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start ggz");
        let mut stdin = child.stdin.take().expect("stdin");
        // The client may end (refused login, bad server) before it reads
        // its script; a closed pipe is then expected.
        let _ = stdin.write_all(script.as_bytes());
        let stdin = if keep_stdin { Some(stdin) } else { None };
        let mut stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let output = thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            let mut errors = String::new();
            let _ = stderr.read_to_string(&mut errors);
            // Whatever went wrong, the client must not have panicked.
            assert!(!errors.contains("panicked"), "ggz panicked: {errors}");
            text
        });
        (
            Ggz {
                child: Some(child),
                output: Some(output),
            },
            stdin,
        )
    }

    fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Waits for the exit (killing it after a minute) and collects stdout.
    fn finish(mut self) -> Run {
        let mut child = self.child.take().expect("child");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout = self
            .output
            .take()
            .expect("reader")
            .join()
            .expect("reader thread");
        Run {
            stdout,
            code: status.and_then(|s| s.code()),
        }
    }
}

impl Drop for Ggz {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a whole script to its end.
fn run(args: &[&str], env: &[(&str, &str)], script: &str) -> Run {
    Ggz::start(args, env, script, false).0.finish()
}

#[test]
fn guest_lists_enters_chats_and_plays_the_bot_to_the_end() {
    let server = TestServer::start();
    let a = addr(&server);
    let out = run(
        &["--name", "alice", &a],
        &[],
        "/rooms\n/games\n/enter Tic-Tac-Toe\n/who\nhello room\n/launch bot:Tarantula\n/autoplay\n/board\n/tables\n/quit\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    out.assert_has("connected to ");
    out.assert_has("logged in as alice (guest)");
    out.assert_has("motd: Welcome to");
    out.assert_has("room 1 Tic-Tac-Toe: TicTacToe");
    out.assert_has("game 0 TicTacToe");
    out.assert_has("you are in room 1 Tic-Tac-Toe");
    out.assert_has("player alice guest");
    out.assert_has("chat alice: hello room");
    out.assert_has("new table 1 TicTacToe waiting: open, bot Tarantula");
    out.assert_has("players: X (alice) vs O (Tarantula)");
    out.assert_has("you play X");
    out.assert_has("you played 1");
    // The hard bot never loses: a draw or a loss, and the board shows it.
    let result = out
        .stdout
        .lines()
        .find(|l| l.starts_with("result: game over: "))
        .unwrap_or_else(|| panic!("no result in:\n{}", out.stdout));
    assert!(
        result.contains("draw") || result.contains("O (Tarantula) wins - you lost"),
        "{result}"
    );
    let boards: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("board "))
        .collect();
    assert!(boards.len() >= 5, "{}", out.stdout);
    assert!(
        boards
            .last()
            .is_some_and(|b| b.contains('X') && b.contains('O'))
    );
}

#[test]
fn two_players_chat_play_and_a_spectator_watches() {
    let server = TestServer::start();
    let a = addr(&server);
    let (alice, _) = Ggz::start(
        &["--name", "alice", &a],
        &[],
        "/enter 1\n/launch reserved:bob\n/wait carol is watching table 1\n\
         /move 1\n/move 2\n/move 3\n/result\n/board\n/leave\n\
         /wait private bob: well played\n/wait beep from bob\n",
        false,
    );
    let (bob, _) = Ggz::start(
        &["--name", "bob", &a],
        &[],
        "/enter 1\n/wait reserved bob\n/join\n/table good luck\n\
         /move 4\n/move 5\n/result\n/leave\n/wait alice left table 1\n\
         /msg alice well played\n/beep alice\n",
        false,
    );
    let (carol, _) = Ggz::start(
        &["--name", "carol", &a],
        &[],
        "/enter 1\n/wait table 1\n/watch 1\n/result\n",
        false,
    );
    let (alice, bob, carol) = (alice.finish(), bob.finish(), carol.finish());
    for out in [&alice, &bob, &carol] {
        assert_eq!(
            out.code,
            Some(0),
            "alice:\n{}\nbob:\n{}\ncarol:\n{}",
            alice.stdout,
            bob.stdout,
            carol.stdout
        );
    }
    alice.assert_has("you play X");
    alice.assert_has("table-chat bob: good luck");
    alice.assert_has("result: game over: X (alice) wins - you won");
    alice.assert_has("private bob: well played");
    bob.assert_has("you play O");
    bob.assert_has("X (alice) played 3");
    bob.assert_has("board XXX|OO.|...");
    bob.assert_has("result: game over: X (alice) wins - you lost");
    // The finished table stayed until each player left it.
    assert!(!alice.has("you left the table: the game is over"));
    alice.assert_has("you left the table (normal)");
    bob.assert_has("you left the table (normal)");
    carol.assert_has("you are watching table 1");
    carol.assert_has("result: game over: X (alice) wins");
    carol.assert_has("board XXX|OO.|...");
}

#[test]
fn again_plays_a_second_game_against_the_bot_at_the_same_table() {
    let server = TestServer::start();
    let out = run(
        &["--name", "fay", &addr(&server)],
        &[],
        "/enter 1\n/launch bot:Alfred\n/autoplay\n/board\n/again\n/autoplay\n\
         /leave\n/wait table 1 closed\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    // The table is still there after the first game for /again, which
    // starts a second game on a cleared board; it ends too.
    out.assert_has("you sat down again");
    out.assert_has("a new game starts");
    out.assert_has("board ...|...|...");
    let results = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("result: game over: "))
        .count();
    assert_eq!(results, 2, "{}", out.stdout);
    out.assert_has("you left the table (normal)");
}

#[test]
fn again_between_two_players_starts_the_next_game_for_both() {
    let server = TestServer::start();
    let a = addr(&server);
    let (alice, _) = Ggz::start(
        &["--name", "alice", &a],
        &[],
        "/enter 1\n/launch reserved:bob\n/move 1\n/move 2\n/move 3\n/result\n\
         /wait a new game starts\n/move 7\n/move 8\n/move 9\n/result\n/leave\n",
        false,
    );
    let (bob, _) = Ggz::start(
        &["--name", "bob", &a],
        &[],
        "/enter 1\n/wait reserved bob\n/join\n/move 4\n/move 5\n/result\n/again\n\
         /move 4\n/move 5\n/result\n/leave\n",
        false,
    );
    let (alice, bob) = (alice.finish(), bob.finish());
    for out in [&alice, &bob] {
        assert_eq!(
            out.code,
            Some(0),
            "alice:\n{}\nbob:\n{}",
            alice.stdout,
            bob.stdout
        );
    }
    for out in [&alice, &bob] {
        out.assert_has("a new game starts");
        out.assert_has("board ...|...|...");
        let results = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("result: game over: X (alice) wins"))
            .count();
        assert_eq!(results, 2, "{}", out.stdout);
    }
    alice.assert_has("board ...|OO.|XXX");
    bob.assert_has("you sat down again");
}

#[test]
fn trunk_protocol_room_learns_the_seat_from_the_table() {
    let server = TestServer::start();
    let out = run(
        &["--name", "dave", &addr(&server)],
        &[],
        "/enter 2\n/launch bot\n/autoplay\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    out.assert_has("you played 1");
    out.assert_has("O (bot) played");
    out.assert_has("result: game over: ");
}

#[test]
fn registration_login_and_refused_logins() {
    let server = TestServer::start();
    let a = addr(&server);
    // New account, password from the environment.
    let out = run(
        &["--register", &format!("erin@{a}")],
        &[("GGZ_PASSWORD", "s3cret")],
        "/quit\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    out.assert_has("logged in as erin (new account)");
    // Registered login, password from stdin.
    let out = run(
        &["--password-stdin", &format!("erin@{a}")],
        &[],
        "s3cret\n/rooms\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    out.assert_has("logged in as erin (registered)");
    out.assert_has("room 0 ");
    // Wrong password: a clean refusal with its own exit code.
    let out = run(
        &[&format!("erin@{a}")],
        &[("GGZ_PASSWORD", "wrong")],
        "/rooms\n",
    );
    assert_eq!(out.code, Some(4), "{}", out.stdout);
    out.assert_has("error: login refused: ");
    // A guest may not take a registered name.
    let out = run(&["--guest", &format!("erin@{a}")], &[], "/rooms\n");
    assert_eq!(out.code, Some(4), "{}", out.stdout);
    // Registration without a password: the server makes one up.
    let out = run(&["--register", &format!("fred@{a}")], &[], "");
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    out.assert_has("your password is ");
}

#[test]
fn script_failures_have_exit_codes() {
    let server = TestServer::start();
    let a = addr(&server);
    let out = run(
        &["--name", "gina", &a],
        &[],
        "/rooms\n/frobnicate\n/rooms\n",
    );
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    out.assert_has("unknown command /frobnicate");
    let out = run(&["--name", "gina", &a], &[], "/enter 99\n/rooms\n");
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    out.assert_has("error: enter: ");
    let out = run(&["--name", "gina", &a], &[], "/enter 0\n/launch bot\n");
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    out.assert_has("error: enter a game room first");
    let out = run(&["--name", "gina", &a], &[], "/enter 1\n/move 5\n");
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    out.assert_has("error: you are not at a table");
    // An occupied square is refused by the server's game, not guessed.
    let out = run(
        &["--name", "gina", &a],
        &[],
        "/enter 1\n/launch bot\n/move 5\n/wait played\n/move auto\n/move 5\n",
    );
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    out.assert_has("error: square 5 is taken");
    let out = run(
        &["--name", "gina", "--timeout", "1", &a],
        &[],
        "/wait something that never comes\n",
    );
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    let out = run(&["--name", "x y z", &a], &[], "");
    assert_eq!(out.code, Some(4), "{}", out.stdout);
    let out = run(&["nobody@:"], &[], "");
    assert_eq!(out.code, Some(2), "{}", out.stdout);
}

#[test]
fn games_without_a_terminal_frontend_are_played_raw() {
    let tmp = TempDir::new("ggz-games");
    let (games, rooms) = (tmp.path().join("games"), tmp.path().join("rooms"));
    std::fs::create_dir_all(&games).unwrap();
    std::fs::create_dir_all(&rooms).unwrap();
    std::fs::write(
        games.join("other.toml"),
        "name = \"Other\"\nversion = \"1\"\n[launch]\nexecutable = [\"ggzd-test-game\"]\n\
         [protocol]\nengine = \"Other\"\nversion = \"1\"\n[table]\nplayers = \"1\"\n",
    )
    .unwrap();
    std::fs::write(rooms.join("entry.toml"), "name = \"Lobby\"\n").unwrap();
    std::fs::write(
        rooms.join("other.toml"),
        "name = \"Other room\"\ngame = \"Other\"\n",
    )
    .unwrap();
    let server = TestServer::start_with(ServerOptions {
        games_dir: Some(games),
        rooms_dir: Some(rooms),
        ..Default::default()
    });
    // The test game answers an unknown line with `unknown LINE`; the
    // escapes arrive as the bytes they stand for.
    let out = run(
        &["--name", "kim", &addr(&server)],
        &[],
        "/enter Other room\n/launch\n/wait game: playing\n\
         hello\\x21\n/wait game: unknown hello!\nwin\n/wait left the table\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    out.assert_has("you are in room 1 Other room");
    out.assert_has("game: seat 0 player kim");
    out.assert_has("game: unknown hello!");
}

#[test]
fn server_gone_or_never_there() {
    // Nothing listens on a port we bound and closed.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = run(&[&format!("127.0.0.1:{port}")], &[], "/rooms\n");
    assert_eq!(out.code, Some(3), "{}", out.stdout);
    out.assert_has("error: cannot connect to 127.0.0.1:");

    let mut server = TestServer::start();
    let (client, stdin) = Ggz::start(&["--name", "hank", &addr(&server)], &[], "/enter 1\n", true);
    server
        .wait_for_log("hank", TIMEOUT)
        .expect("hank logged in");
    server.signal(libc::SIGKILL);
    server.wait_exit(TIMEOUT);
    let out = client.finish();
    drop(stdin);
    assert_eq!(out.code, Some(3), "{}", out.stdout);
    out.assert_has("error: the server closed the connection");
}

/// A fake server: greets, then sends `junk`.
fn junk_server(junk: &'static [u8]) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = s.write_all(
            b"<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
              <SERVER ID='fake' NAME='Fake' VERSION='10' STATUS='ok'>\n</SERVER>\n",
        );
        let _ = s.write_all(junk);
        thread::sleep(Duration::from_millis(300));
    });
    (addr, handle)
}

#[test]
fn garbage_from_a_server_is_a_clean_error() {
    for junk in [
        &b"<RESULT ACTION='login' CODE='ok'/><oops></nope>"[..],
        b"<RESULT ACTION='login' CODE='ok'/>\xff\xfe<x/>",
        b"<RESULT ACTION='login' CODE='ok'/><LIST TYPE='room'><ROOM ID='x' PLAYERS='-5'/></LIST><UPDATE TYPE='table' ACTION='join'><TABLE ID='1'><SEAT NUM='99999999999'/></TABLE></UPDATE><!DOCTYPE x>",
    ] {
        let (a, fake) = junk_server(junk);
        let out = run(&["--name", "ivy", &a], &[], "/rooms\n");
        fake.join().unwrap();
        assert_eq!(out.code, Some(3), "{}", out.stdout);
        assert!(out.has("error: "), "{}", out.stdout);
    }
}

#[test]
fn interrupt_logs_out_cleanly() {
    let server = TestServer::start();
    let (client, stdin) = Ggz::start(&["--name", "jill", &addr(&server)], &[], "/enter 1\n", true);
    server
        .wait_for_log("jill", TIMEOUT)
        .expect("jill logged in");
    let pid = client.pid();
    // The client is waiting for more input; Ctrl-C ends the session.
    thread::sleep(Duration::from_millis(200));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = client.finish();
    drop(stdin);
    assert_eq!(out.code, Some(130), "{}", out.stdout);
    out.assert_has("interrupted; logging out");
    // The server saw a proper logout, and jill can log in again at once.
    let mut c = server.guest("jill");
    c.logout().unwrap();
}

#[test]
fn leave_a_table_and_announce_as_an_admin() {
    let server = TestServer::start();
    let a = addr(&server);
    let status = Command::new(bin("ggzduedit"))
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["add", "root", "--role", "admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().expect("stdin").write_all(b"toor\n")?;
            child.wait()
        })
        .expect("ggzduedit");
    assert!(status.success());
    let (listener, _) = Ggz::start(
        &["--name", "lou", &a],
        &[],
        "/enter 1\n/launch\n/tables\n/leave\n/wait you left the table\n/wait table 1 closed\n\
         /tables\n/wait announce root: maintenance at noon\n",
        false,
    );
    let admin = run(
        &["--password-stdin", &format!("root@{a}")],
        &[],
        "toor\n/enter 1\n/wait lou\n/announce maintenance at noon\n",
    );
    assert_eq!(admin.code, Some(0), "{}", admin.stdout);
    let out = listener.finish();
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    out.assert_has("table 1 TicTacToe waiting: lou, open");
    out.assert_has("you left the table (normal)");
    out.assert_has("no tables");
    out.assert_has("announce root: maintenance at noon");
    // A guest may not announce.
    let out = run(&["--name", "mo", &a], &[], "/enter 1\n/announce hi all\n");
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    out.assert_has("error: chat: no permission");
}

/// A pseudo-terminal pair: (controller, the terminal's side as a File).
fn pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let (mut controller, mut terminal) = (0, 0);
    // SAFETY: openpty fills both fds; null name/termios/winsize are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both fds are fresh and owned by nobody else.
    unsafe {
        (
            std::fs::File::from_raw_fd(controller),
            std::fs::File::from_raw_fd(terminal),
        )
    }
}

/// `ggz` as a guest `name`, interactive on a fresh pty that is not its
/// controlling terminal (so a Ctrl-C reaches it only as a key); the pty's
/// controller side and the process.
fn ggz_on_a_pty(server: &TestServer, name: &str) -> (std::fs::File, std::process::Child) {
    let (controller, terminal) = pty();
    let child = Command::new(bin("ggz"))
        .args(["--name", name, &addr(server)])
        .env_remove("GGZ_PASSWORD")
        .stdin(terminal.try_clone().unwrap())
        .stdout(terminal.try_clone().unwrap())
        .stderr(terminal)
        .spawn()
        .expect("start ggz");
    (controller, child)
}

/// Reads from the controller until `needle` shows up (or panics).
fn read_until(controller: &mut std::fs::File, seen: &mut String, needle: &str) {
    use std::os::fd::AsRawFd;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains(needle) {
        assert!(Instant::now() < deadline, "no {needle:?} in:\n{seen}");
        let mut poll = libc::pollfd {
            fd: controller.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut poll, 1, 100) } <= 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        match controller.read(&mut buf) {
            Ok(0) | Err(_) => panic!("terminal closed before {needle:?}:\n{seen}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
}

#[test]
fn interactive_on_a_terminal_completes_plays_and_leaves_on_ctrl_c() {
    let server = TestServer::start();
    let (mut controller, mut child) = ggz_on_a_pty(&server, "nia");
    let mut seen = String::new();
    read_until(&mut controller, &mut seen, "type /help for commands");
    // Tab completes the command name.
    controller.write_all(b"/ent\t 1\r").unwrap();
    read_until(&mut controller, &mut seen, "you are in room 1 Tic-Tac-Toe");
    controller.write_all(b"/launch bot\r").unwrap();
    read_until(&mut controller, &mut seen, "your turn: type 1-9");
    // On your turn a lone digit is a move; the board is drawn.
    controller.write_all(b"5\r").unwrap();
    read_until(&mut controller, &mut seen, "you played 5");
    read_until(&mut controller, &mut seen, "4 | X | 6");
    controller.write_all(b"\x03").unwrap();
    read_until(&mut controller, &mut seen, "interrupted; logging out");
    assert_eq!(exit_after_ctrl_c(&mut child, &seen), Some(130), "{seen}");
    assert!(!seen.contains("panicked"), "{seen}");
    // The session ended properly: the name is free again at once.
    let mut c = server.guest("nia");
    c.logout().unwrap();
}

/// Waits for `ggz` to exit after Ctrl-C; the code it exited with.
fn exit_after_ctrl_c(child: &mut std::process::Child, seen: &str) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ggz did not exit after Ctrl-C:\n{seen}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_typed_with_the_line_before_it_still_logs_out() {
    // Enter and Ctrl-C in one read of the terminal: the line editor must
    // keep the key that came after the line it returned.
    let server = TestServer::start();
    let (mut controller, mut child) = ggz_on_a_pty(&server, "nils");
    let mut seen = String::new();
    read_until(&mut controller, &mut seen, "type /help for commands");
    controller.write_all(b"/enter 1\r\x03").unwrap();
    read_until(&mut controller, &mut seen, "interrupted; logging out");
    assert_eq!(exit_after_ctrl_c(&mut child, &seen), Some(130), "{seen}");
    let mut c = server.guest("nils");
    c.logout().unwrap();
}

#[test]
fn raw_flag_shows_tictactoe_packets_as_escaped_bytes() {
    let server = TestServer::start();
    // MSG_PLAYERS carries the seats' names inside binary DIO fields: the
    // name as bytes, the big-endian ints around it escaped.
    let out = run(
        &["--raw", "--name", "rita", &addr(&server)],
        &[],
        "/enter 1\n/launch bot\n/wait \\0\\0\\0\\x05rita\\0\n/move 5\n",
    );
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    out.assert_has("error: this table is in raw mode");
}
