//! SIGHUP re-reads `ggzd.toml`: what can change live changes for clients
//! that stay connected, a broken file changes nothing, the log file is
//! reopened (logrotate), and keys that need a restart are named.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ggzd_e2e::*;

fn config_path(server: &TestServer) -> PathBuf {
    server.dir.path().join("ggzd.toml")
}

/// Rewrites the server's config file: each `(from, to)` replaced once.
fn edit_config(server: &TestServer, edits: &[(&str, &str)]) {
    let path = config_path(server);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} not in\n{text}");
        text = text.replacen(from, to, 1);
    }
    std::fs::write(&path, text).unwrap();
}

/// Sends SIGHUP and waits until the server logged `needle` once more than
/// before.
fn reload_and_wait(server: &TestServer, needle: &str) {
    let before = server.count_log(needle);
    server.signal(libc::SIGHUP);
    let deadline = std::time::Instant::now() + TIMEOUT;
    while server.count_log(needle) <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "no {needle:?} after SIGHUP:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn chat(client: &mut Client, text: &str) -> String {
    request(
        client,
        &format!("<CHAT TYPE='normal'>{text}</CHAT>"),
        "chat",
    )
}

/// The line of the config file holding `needle`.
fn line_of(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    1 + text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in {}", path.display()))
}

const LIVE: &str = "[server]\nname = \"First Zone\"\n\
    [files]\nmotd = \"ggzd.motd\"\n\
    [policy]\nregistration = \"open\"\n\
    [limits]\nchat_burst = 100\nchat_rate = 100.0\nchat_max_length = 512\n\
    [chat_backlog]\nlines = 32\n";

#[test]
fn limits_policy_chat_rate_and_motd_file_change_for_a_connected_client() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: LIVE.into(),
        motd: Some("first motd\n".into()),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 0);
    let long = "x".repeat(100);
    assert_eq!(chat(&mut kim, &long), "ok");
    for i in 0..5 {
        assert_eq!(chat(&mut kim, &format!("line {i}")), "ok");
    }

    std::fs::write(server.dir.path().join("conf/other.motd"), "second motd\n").unwrap();
    edit_config(
        &server,
        &[
            ("name = \"First Zone\"", "name = \"Second Zone\""),
            ("motd = \"ggzd.motd\"", "motd = \"other.motd\""),
            ("registration = \"open\"", "registration = \"closed\""),
            ("chat_burst = 100", "chat_burst = 2"),
            ("chat_rate = 100.0", "chat_rate = 0.1"),
            ("chat_max_length = 512", "chat_max_length = 50"),
            ("lines = 32", "lines = 0"),
        ],
    );
    reload_and_wait(&server, "reload done");
    assert!(
        server.count_log("configuration changed in: server, files, policy, limits") == 1,
        "{}",
        server.log()
    );

    // The limit: kim's 100 bytes are now too long.
    assert_eq!(chat(&mut kim, &long), "bad options");
    // The chat rate: a burst of 2 and no backlog; a sixth line in a row
    // is refused at once.
    kim.send(
        &(0..5)
            .map(|i| format!("<CHAT TYPE='normal'>again {i}</CHAT>\n"))
            .collect::<String>(),
    )
    .unwrap();
    let codes: Vec<String> = (0..5).map(|_| result_code(&mut kim, "chat")).collect();
    assert!(codes.iter().any(|c| c == "bad options"), "{codes:?}");
    // The MOTD file.
    kim.send("<MOTD/>").unwrap();
    let motd = kim.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    assert_eq!(motd.text, "\nsecond motd\n");
    // The policy and the name, for a newcomer.
    let mut bob = server.connect();
    assert_eq!(bob.server().attr("NAME"), Some("Second Zone"));
    let reply = bob.login(LoginKind::Guest, "bob", None, None).unwrap();
    assert_eq!(reply.code, "wrong login type");
    // kim stayed connected all along.
    kim.send("<PING/>").unwrap();
    kim.recv_until(TIMEOUT, |e| e.is("PONG")).unwrap();
}

#[test]
fn a_new_lag_class_applies_to_the_next_pong() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[timing]\nping_frequency = 1\nfirst_ping_delay = 1\n\
                       lag_classes = [5000, 6000, 7000, 8000]\n"
            .into(),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 0);
    let pong_slowly = |kim: &mut Client| {
        kim.recv_until(TIMEOUT, |e| e.is("PING")).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        kim.send("<PONG/>").unwrap();
    };
    pong_slowly(&mut kim);
    edit_config(
        &server,
        &[(
            "lag_classes = [5000, 6000, 7000, 8000]",
            "lag_classes = [100, 150, 200, 60000]",
        )],
    );
    reload_and_wait(&server, "reload done");
    pong_slowly(&mut kim);
    // The class rises while the PONG is awaited (2 at 100 ms, 3 at 150,
    // 4 at 200): under the old thresholds it would have stayed 1.
    let mut classes = Vec::new();
    while classes.last().map(String::as_str) != Some("4") {
        let update = kim
            .recv_until(TIMEOUT, |e| {
                e.is("UPDATE")
                    && e.attr("TYPE") == Some("player")
                    && e.attr("ACTION") == Some("lag")
            })
            .unwrap_or_else(|e| panic!("{e}; classes so far {classes:?}"));
        let player = update.child("PLAYER").unwrap();
        assert_eq!(player.attr("ID"), Some("kim"));
        classes.push(player.attr("LAG").unwrap_or_default().to_owned());
    }
    assert!(classes.iter().all(|c| c != "1" && c != "5"), "{classes:?}");
}

#[test]
fn a_broken_config_changes_nothing_and_names_file_line_and_key() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: LIVE.into(),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 0);
    let long = "x".repeat(100);
    let path = config_path(&server);

    // A type error, with a valid change in the same file.
    edit_config(
        &server,
        &[
            ("chat_max_length = 512", "chat_max_length = 50"),
            ("chat_burst = 100", "chat_burst = \"lots\""),
        ],
    );
    reload_and_wait(&server, "reload refused");
    let line = server.wait_for_log("reload refused", TIMEOUT).unwrap();
    let at = format!("{}:{}", path.display(), line_of(&path, "chat_burst"));
    assert!(line.contains(&at), "{line}");
    assert!(line.contains("limits.chat_burst"), "{line}");
    assert_eq!(chat(&mut kim, &long), "ok", "the old limit stays");

    // A value out of range.
    edit_config(
        &server,
        &[
            ("chat_burst = \"lots\"", "chat_burst = 100"),
            ("lines = 32", "lines = 32\n[workers]\nthreads = 100000"),
        ],
    );
    reload_and_wait(&server, "reload refused");
    assert_eq!(server.count_log("workers.threads"), 1, "{}", server.log());
    assert_eq!(chat(&mut kim, &long), "ok", "the old limit stays");
    assert_eq!(server.count_log("reload done"), 0);

    // Fixed: now it applies.
    edit_config(&server, &[("[workers]\nthreads = 100000", "")]);
    reload_and_wait(&server, "reload done");
    assert_eq!(chat(&mut kim, &long), "bad options");
}

#[test]
fn the_log_file_is_reopened_after_logrotate_renamed_it() {
    let tmp = TempDir::new("logrotate");
    let log = tmp.path().join("ggzd.log");
    let rotated = tmp.path().join("ggzd.log.1");
    let server = TestServer::start_with(ServerOptions {
        log_file: Some((log.clone(), "\"connections\"".into())),
        ..Default::default()
    });
    let _kim = server.guest("kim");
    wait_for_file_line(&log, "kim logged in", TIMEOUT).expect("kim in the log");
    std::fs::rename(&log, &rotated).unwrap();
    // Until the SIGHUP, lines still go to the renamed file.
    let _bob = server.guest("bob");
    wait_for_file_line(&rotated, "bob logged in", TIMEOUT).expect("bob in the old file");
    server.signal(libc::SIGHUP);
    wait_for_file_line(&log, "reload done", TIMEOUT).expect("a new file after SIGHUP");
    let _carl = server.guest("carl");
    wait_for_file_line(&log, "carl logged in", TIMEOUT).expect("carl in the new file");

    let old = std::fs::read_to_string(&rotated).unwrap();
    let new = std::fs::read_to_string(&log).unwrap();
    for name in ["kim", "bob", "carl"] {
        let needle = format!("{name} logged in");
        assert_eq!(
            old.matches(&needle).count() + new.matches(&needle).count(),
            1,
            "{needle} exactly once:\n--- old\n{old}--- new\n{new}"
        );
    }
    assert!(new.contains("carl logged in") && !new.contains("kim logged in"));
}

#[test]
fn a_new_listen_address_is_logged_as_needing_a_restart_the_rest_applies() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: LIVE.into(),
        ..Default::default()
    });
    let mut kim = server.guest("kim");
    let path = config_path(&server);
    edit_config(
        &server,
        &[
            ("interface = \"127.0.0.1\"", "interface = \"127.0.0.2\""),
            ("name = \"First Zone\"", "name = \"Second Zone\""),
        ],
    );
    reload_and_wait(&server, "reload done");
    let warning = server
        .wait_for_log("key 'network.interface' changed", TIMEOUT)
        .unwrap();
    assert!(warning.contains("only after a restart"), "{warning}");
    let at = format!("{}:{}:", path.display(), line_of(&path, "interface"));
    assert!(warning.contains(&at), "{warning}");
    // Still on the old address, with the new name.
    let bob = Client::connect(server.addr, TIMEOUT).unwrap();
    assert_eq!(bob.server().attr("NAME"), Some("Second Zone"));
    kim.send("<PING/>").unwrap();
    kim.recv_until(TIMEOUT, |e| e.is("PONG")).unwrap();
}

#[test]
fn check_config_lists_a_room_naming_an_unknown_game_and_a_missing_motd() {
    let tmp = TempDir::new("check-warn");
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&rooms).unwrap();
    std::fs::copy(
        repo_dir().join("rooms/entry.toml"),
        rooms.join("entry.toml"),
    )
    .unwrap();
    std::fs::write(
        rooms.join("chess.toml"),
        "name = \"Chess\"\ngame = \"Chess Deluxe\"\n",
    )
    .unwrap();
    let config = tmp.path().join("ggzd.toml");
    std::fs::write(
        &config,
        format!(
            "[directories]\ndata_dir = \"data\"\nrooms_dir = \"{}\"\ngames_dir = \"{}\"\n\
             [files]\nmotd = \"missing.motd\"\n",
            rooms.display(),
            repo_dir().join("games").display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(bin("ggzd"))
        .arg("--check-config")
        .arg("-F")
        .arg("-f")
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "warnings exit 0: {err}");
    assert!(
        err.lines().any(|l| l.contains("warning")
            && l.contains("chess.toml")
            && l.contains("Chess Deluxe")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("warning") && l.contains("missing.motd")),
        "{err}"
    );
    assert!(stdout.contains("configuration OK"), "{stdout}");
    assert!(!tmp.path().join("data").exists(), "nothing is created");

    // Without an entry room the server would not start: an error.
    std::fs::remove_file(rooms.join("entry.toml")).unwrap();
    let out = std::process::Command::new(bin("ggzd"))
        .arg("--check-config")
        .arg("-F")
        .arg("-f")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error"), "{err}");
}

#[test]
fn the_log_level_changes_live() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[logging]\nlevel = \"info\"\n".into(),
        ..Default::default()
    });
    let _kim = server.guest_in_room("kim", 0);
    assert_eq!(
        server.count_log("kim entered room"),
        0,
        "no debug lines yet"
    );
    edit_config(&server, &[("level = \"info\"", "level = \"debug\"")]);
    reload_and_wait(&server, "reload done");
    let _bob = server.guest_in_room("bob", 0);
    server
        .wait_for_log("debug: bob entered room 0", TIMEOUT)
        .unwrap_or_else(|| panic!("no debug line after the reload:\n{}", server.log()));
}

/// A self-signed pair for localhost: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

fn tls_offered(server: &TestServer) -> Option<String> {
    let client = server.connect();
    client.server().attr("TLS_SUPPORT").map(str::to_owned)
}

#[test]
fn tls_switched_on_by_a_reload_and_a_bad_pair_keeps_the_old_state() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: LIVE.into(),
        ..Default::default()
    });
    let certs = server.dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    assert_eq!(tls_offered(&server).as_deref(), Some("no"));

    // Named in the file, but not there yet: TLS stays off, the rest applies.
    let tls_section = format!(
        "[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        certs.join("cert.pem").display(),
        certs.join("key.pem").display()
    );
    edit_config(
        &server,
        &[
            ("lines = 32", &format!("lines = 32\n{tls_section}")),
            ("name = \"First Zone\"", "name = \"Second Zone\""),
        ],
    );
    reload_and_wait(&server, "reload done");
    assert_eq!(
        server.count_log("TLS reload failed, keeping the old certificate"),
        1
    );
    let client = server.connect();
    assert_eq!(client.server().attr("NAME"), Some("Second Zone"));
    assert_eq!(client.server().attr("TLS_SUPPORT"), Some("no"));

    // The files appear: the next reload offers TLS.
    let (cert, key) = self_signed();
    std::fs::write(certs.join("cert.pem"), cert).unwrap();
    std::fs::write(certs.join("key.pem"), key).unwrap();
    reload_and_wait(&server, "TLS certificate and key reloaded");
    server.wait_for_log("reload done", TIMEOUT).unwrap();
    let deadline = std::time::Instant::now() + TIMEOUT;
    while tls_offered(&server).as_deref() != Some("yes") {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }

    // Taken out of the file again: no longer offered.
    edit_config(&server, &[(tls_section.as_str(), "")]);
    reload_and_wait(&server, "TLS is no longer offered");
    let deadline = std::time::Instant::now() + TIMEOUT;
    while tls_offered(&server).as_deref() != Some("no") {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn command_line_log_types_keep_applying_after_a_reload() {
    // The harness starts ggzd with `-l all`; the file enables no types.
    let rooms = TempDir::new("reload-rooms");
    std::fs::copy(
        repo_dir().join("rooms/entry.toml"),
        rooms.path().join("entry.toml"),
    )
    .unwrap();
    let server = TestServer::start_with(ServerOptions {
        rooms_dir: Some(rooms.path().to_path_buf()),
        extra_config: "[logging]\ntypes = []\n".into(),
        ..Default::default()
    });
    std::fs::write(rooms.path().join("extra.toml"), "name = \"Extra\"\n").unwrap();
    edit_config(&server, &[("types = []", "types = []\nlevel = \"info\"")]);
    reload_and_wait(&server, "reload done");
    // `update` is enabled by -l only.
    server
        .wait_for_log("update: room 1 added", TIMEOUT)
        .unwrap_or_else(|| panic!("-l all lost on reload:\n{}", server.log()));
}
