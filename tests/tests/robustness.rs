//! Bad input hurts only its sender; limits hold; signals behave.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ggzd_e2e::*;

/// Sends raw bytes after the client header, expects the given RESULT
/// protocol code, and the connection closed.
fn assert_rejected(server: &TestServer, payload: &[u8], code: &str) {
    let mut c = server.connect();
    c.send_raw(payload).unwrap();
    let result = c
        .expect_result("protocol", TIMEOUT)
        .unwrap_or_else(|e| panic!("no RESULT protocol for {payload:?}: {e}"));
    assert_eq!(result.attr("CODE"), Some(code), "{payload:?}");
    assert!(
        c.wait_closed(TIMEOUT).unwrap(),
        "still open after {payload:?}"
    );
}

#[test]
fn every_kind_of_bad_input_costs_only_its_sender() {
    let server = TestServer::start();
    let mut bystander = server.guest_in_room("bystander", 0);

    assert_rejected(&server, b"<CHAT TYPE='normal'>oops</BOOM>", "bad xml");
    assert_rejected(&server, b"<CHAT TYPE=normal>unquoted</CHAT>", "bad xml");
    assert_rejected(&server, b"<LOGIN TYPE='guest'><NAME>x</LOGIN>", "bad xml");
    assert_rejected(&server, b"<!DOCTYPE x [<!ENTITY a 'b'>]>", "bad xml");
    assert_rejected(&server, b"<CHAT>&xxe;</CHAT>", "bad xml");
    assert_rejected(&server, b"<CHAT>caf\xc3\x28</CHAT>", "bad xml");
    assert_rejected(&server, b"<A><B><C><D><E><F><G><H><I>", "bad xml");
    let big_text = format!("<CHAT>{}</CHAT>", "x".repeat(64 * 1024));
    assert_rejected(&server, big_text.as_bytes(), "bad options");
    let big_tag = format!("<CHAT TYPE='{}'>", "x".repeat(64 * 1024));
    assert_rejected(&server, big_tag.as_bytes(), "bad options");
    let loose = "x".repeat(2048);
    assert_rejected(&server, loose.as_bytes(), "bad options");

    // Unknown elements are ignored, and the connection carries on.
    let mut c = server.connect();
    c.send("<FROBNICATE LEVEL='9'/>").unwrap();
    assert_eq!(
        c.login(LoginKind::Guest, "kim", None, None).unwrap().code,
        "ok"
    );

    // The bystander noticed nothing and still works.
    assert_eq!(
        request(&mut bystander, "<CHAT>still fine</CHAT>", "chat"),
        "ok"
    );
}

#[test]
fn silent_connections_are_closed_after_the_login_timeout() {
    // Two seconds, so that a logged-in player's own login has time to
    // finish on a loaded machine.
    let server = TestServer::start_with(ServerOptions {
        network: "login_timeout = 2\n".into(),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 0);
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    assert!(String::from_utf8_lossy(&all).ends_with("</SESSION>\n"));
    assert!(started.elapsed() >= Duration::from_millis(1900));
    // A logged-in player is not affected.
    assert_eq!(request(&mut kim, "<CHAT>here</CHAT>", "chat"), "ok");
}

#[test]
fn a_full_server_says_so_and_closes() {
    let server = TestServer::start_with(ServerOptions {
        network: "max_clients = 2\n".into(),
        ..Default::default()
    });
    let _a = server.connect();
    let _b = server.connect();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let text = String::from_utf8(all).unwrap();
    assert!(text.starts_with("<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n"));
    assert!(text.contains("STATUS='full'/>"), "{text}");
}

#[test]
fn a_client_that_does_not_read_is_dropped() {
    let server = TestServer::start_with(ServerOptions {
        network: "output_queue_limit = 4096\n".into(),
        extra_config: "[limits]\nchat_rate = 0\n".into(),
        ..Default::default()
    });
    let mut talker = server.guest_in_room("talker", 0);
    let mut sleeper = server.guest_in_room("sleeper", 0);
    // A small receive window makes the kernel's buffer fill quickly.
    let _ =
        nix::sys::socket::setsockopt(sleeper.stream(), nix::sys::socket::sockopt::RcvBuf, &4096);
    let text = "z".repeat(500);
    // Private chat: the talker gets only short RESULTs back, so it keeps up
    // while the sleeper's queue grows.
    let chat = format!("<CHAT TYPE='private' TO='sleeper'>{text}</CHAT>\n").repeat(50);
    let deadline = Instant::now() + Duration::from_secs(30);
    // Keep talking (and reading our replies) until the sleeper is gone.
    let is_sleeper_gone = |e: &Element| {
        e.is("UPDATE")
            && e.attr("ACTION") == Some("delete")
            && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("sleeper")
    };
    let mut gone = None;
    while gone.is_none() {
        assert!(Instant::now() < deadline, "sleeper was never dropped");
        talker.send(&chat).unwrap();
        while let Ok(Some(e)) = talker.recv(Duration::from_millis(1)) {
            if is_sleeper_gone(&e) {
                gone = Some(e);
            }
        }
    }
    assert_eq!(gone.unwrap().attr("TOROOM"), Some("-1"));
    // The log line is read from ggzd's stderr by another thread: wait for
    // it rather than count what has arrived so far.
    assert!(server.wait_for_log("does not read", TIMEOUT).is_some());
    // The talker is still served. Private chats still in flight when the
    // sleeper went are answered `usr lookup`; a PING round trip collects
    // those answers first.
    talker.send("<PING ID='sync'/>\n").unwrap();
    talker
        .recv_until(TIMEOUT, |e| e.is("PONG") && e.attr("ID") == Some("sync"))
        .unwrap();
    while talker.recv(Duration::ZERO).ok().flatten().is_some() {}
    assert_eq!(request(&mut talker, "<CHAT>after</CHAT>", "chat"), "ok");
    drop(sleeper.logout());
}

#[test]
fn bursts_of_concurrent_connects_are_all_served() {
    let server = TestServer::start_with(ServerOptions {
        network: "max_clients = 2000\nmax_clients_per_ip = 0\n".into(),
        ..Default::default()
    });
    let streams: Vec<TcpStream> = (0..600)
        .map(|_| TcpStream::connect(server.addr).expect("connect"))
        .collect();
    for mut stream in streams {
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut buf = [0u8; 40];
        stream.read_exact(&mut buf).expect("greeting");
        assert!(buf.starts_with(b"<?xml version='1.0'"));
    }
}

#[test]
fn sigterm_ends_every_session_and_exits_cleanly() {
    let mut server = TestServer::start();
    let mut kim = server.guest_in_room("kim", 0);
    let mut bob = server.guest("bob");
    let mut fresh = server.connect();
    server.signal(libc::SIGTERM);
    for c in [&mut kim, &mut bob, &mut fresh] {
        assert!(c.wait_closed(TIMEOUT).unwrap());
        assert!(c.session_ended(), "every client gets </SESSION>");
    }
    let status = server.wait_exit(TIMEOUT).expect("ggzd exits");
    assert!(status.success(), "{status:?}");
}

#[test]
fn sigint_also_shuts_down() {
    let mut server = TestServer::start();
    let mut kim = server.guest("kim");
    server.signal(libc::SIGINT);
    assert!(kim.wait_closed(TIMEOUT).unwrap());
    assert!(kim.session_ended());
    assert!(server.wait_exit(TIMEOUT).expect("exit").success());
}

#[test]
fn sighup_reloads_rooms_games_and_motd_without_dropping_anyone() {
    let tmp = TempDir::new("reload");
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&rooms).unwrap();
    std::fs::write(rooms.join("entry.toml"), "name = \"Lobby\"\n").unwrap();
    std::fs::write(rooms.join("old.toml"), "name = \"Old\"\n").unwrap();
    let server = TestServer::start_with(ServerOptions {
        rooms_dir: Some(rooms.clone()),
        motd: Some("first motd\n".into()),
        ..Default::default()
    });
    let mut lobby = server.guest_in_room("lobby", 0);
    let mut resident = server.guest_in_room("resident", 1);

    std::fs::remove_file(rooms.join("old.toml")).unwrap();
    std::fs::write(rooms.join("new.toml"), "name = \"New\"\n").unwrap();
    std::fs::write(server.dir.path().join("conf/ggzd.motd"), "second motd\n").unwrap();
    server.signal(libc::SIGHUP);

    let close = lobby
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("close")
        })
        .unwrap();
    assert_eq!(close.child("ROOM").unwrap().attr("ID"), Some("1"));
    let add = lobby
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("add") && e.attr("TYPE") == Some("room")
        })
        .unwrap();
    let new_room = add.child("ROOM").unwrap();
    assert_eq!(new_room.attr("NAME"), Some("New"));
    assert_eq!(new_room.attr("ID"), Some("2"));

    // The resident stays, but nobody may enter the closing room.
    assert_eq!(
        request(&mut resident, "<CHAT>still here</CHAT>", "chat"),
        "ok"
    );
    assert_eq!(
        request(&mut lobby, "<ENTER ROOM='1'/>", "enter"),
        "bad options"
    );
    lobby.send("<LIST TYPE='room'/>").unwrap();
    let list = lobby.expect_result("list", TIMEOUT).unwrap();
    let names: Vec<_> = list
        .child("LIST")
        .unwrap()
        .children_named("ROOM")
        .map(|r| r.attr("NAME").unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["Lobby", "New"]);

    // When the resident leaves, the old room is deleted.
    enter(&mut resident, 2);
    let delete = lobby
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("TYPE") == Some("room") && e.attr("ACTION") == Some("delete")
        })
        .unwrap();
    assert_eq!(delete.child("ROOM").unwrap().attr("ID"), Some("1"));

    lobby.send("<MOTD/>").unwrap();
    let motd = lobby.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    assert_eq!(motd.text, "\nsecond motd\n");
}

#[test]
fn check_config_names_file_line_and_key() {
    let tmp = TempDir::new("check");
    let path = tmp.path().join("bad.toml");
    std::fs::write(
        &path,
        "[server]\nname = \"ok\"\n\n[network]\nport = \"many\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(bin("ggzd"))
        .arg("--check-config")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:5"), "{err}");
    assert!(err.contains("network.port"), "{err}");

    let good = std::process::Command::new(bin("ggzd"))
        .arg("--check-config")
        .arg("-f")
        .arg(repo_dir().join("conf/ggzd.toml"))
        .output()
        .unwrap();
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}

#[test]
fn version_and_specs() {
    let out = std::process::Command::new(bin("ggzd"))
        .arg("-V")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(ggzd::VERSION));
    let specs = std::process::Command::new(bin("ggzd"))
        .arg("--specs")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&specs.stdout).contains("protocol version: 10"));
}

#[test]
fn raw_socket_split_into_single_bytes_still_logs_in() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    for b in b"<?xml version='1.0'?><SESSION><LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>" {
        stream.write_all(&[*b]).unwrap();
    }
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while !text.contains("CODE='ok'") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}
