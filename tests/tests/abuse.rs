//! The abuse limits end to end (docs/abuse-limits.md): a wrong-password
//! storm does not keep a legitimate login out, enough failures earn a
//! temporary ban that ends, connections not logged in are limited per
//! address, bytes that cannot be XML are answered at once, `ggzduedit ban`
//! removes a player who is online, and a half-closed client still gets
//! its answers. Other hosts are played by 127.0.0.x source addresses.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ggzd::client::{Client, bound_stream};
use ggzd::proto::request::LoginKind;
use ggzd_e2e::*;

fn host(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

fn server_with(abuse: &str) -> TestServer {
    TestServer::start_with(ServerOptions {
        extra_config: format!("[abuse]\n{abuse}\n"),
        ..ServerOptions::default()
    })
}

fn connect_from(server: &TestServer, n: u8) -> Client {
    Client::connect_from(host(n), server.addr, TIMEOUT).expect("connect")
}

fn register(server: &TestServer, name: &str, password: &str) {
    let mut c = connect_from(server, 1);
    let reply = c
        .login(LoginKind::First, name, Some(password), None)
        .unwrap();
    assert_eq!(reply.code, "ok", "registering {name}");
    c.logout().unwrap();
    assert!(c.wait_closed(TIMEOUT).unwrap());
}

fn login_code(server: &TestServer, from: u8, name: &str, password: &str) -> String {
    let mut c = connect_from(server, from);
    c.login(LoginKind::Normal, name, Some(password), None)
        .unwrap()
        .code
}

#[test]
fn a_legit_login_succeeds_during_a_wrong_password_storm() {
    let server = server_with("login_ban_failures = 0\nmax_prelogin_per_ip = 0");
    register(&server, "victim", "secret1");
    register(&server, "carol", "secret2");
    // 60 connections from six addresses, each sending a wrong password.
    let mut storm = Vec::new();
    for i in 0..60u8 {
        let mut c = connect_from(&server, 10 + i % 6);
        c.send("<LOGIN TYPE='normal'><NAME>victim</NAME><PASSWORD>guess</PASSWORD></LOGIN>\n")
            .unwrap();
        storm.push(c);
    }
    let mut carol = connect_from(&server, 2);
    let reply = carol
        .login(LoginKind::Normal, "carol", Some("secret2"), None)
        .unwrap();
    assert_eq!(reply.code, "ok");
    // The storm is answered too: with failures, never with a login.
    for c in storm.iter_mut().take(6) {
        assert_eq!(result_code(c, "login"), "usr lookup");
    }
}

#[test]
fn failures_earn_a_temporary_ban_that_ends() {
    let server = server_with(
        "login_backoff_ms = 10\nlogin_backoff_max = 1\nlogin_ban_failures = 3\nlogin_ban_time = 2",
    );
    register(&server, "carol", "secret2");
    let mut c = connect_from(&server, 3);
    for _ in 0..3 {
        let code = c
            .login(LoginKind::Normal, "carol", Some("wrong"), None)
            .unwrap()
            .code;
        assert_eq!(code, "usr lookup");
    }
    assert!(
        c.wait_closed(TIMEOUT).unwrap(),
        "the banned connection is closed"
    );
    assert!(
        server
            .wait_for_log("banned for 2 s after 3 failed logins", TIMEOUT)
            .is_some(),
        "the ban is logged"
    );
    // The right password does not help from there, meanwhile; it does
    // from elsewhere.
    let started = Instant::now();
    let refused = login_code(&server, 3, "carol", "secret2");
    assert_eq!(login_code(&server, 4, "carol", "secret2"), "ok");
    if started.elapsed() < Duration::from_millis(1500) {
        assert_eq!(refused, "usr lookup");
    }
    // And the ban ends.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if login_code(&server, 3, "carol", "secret2") == "ok" {
            break;
        }
        assert!(Instant::now() < deadline, "the ban did not end");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn connections_not_logged_in_are_limited_per_address() {
    let server = server_with("max_prelogin_per_ip = 2");
    let status = |c: &Client| c.server().attr("STATUS").unwrap_or_default().to_owned();
    let mut first = connect_from(&server, 5);
    let second = connect_from(&server, 5);
    assert_eq!(status(&first), "ok");
    assert_eq!(status(&second), "ok");
    let third = connect_from(&server, 5);
    assert_eq!(status(&third), "full");
    // Another address is not affected.
    assert_eq!(status(&connect_from(&server, 6)), "ok");
    // A login frees the place.
    let reply = first.login(LoginKind::Guest, "kim", None, None).unwrap();
    assert_eq!(reply.code, "ok");
    assert_eq!(status(&connect_from(&server, 5)), "ok");
    drop(second);
}

#[test]
fn bytes_that_cannot_be_xml_are_answered_at_once() {
    let server = TestServer::start_with(ServerOptions {
        network: "login_timeout = 60".into(),
        ..ServerOptions::default()
    });
    let mut stream = bound_stream(host(7), server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("bad xml") {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("no answer within 20 s (login timeout 60 s): {e}"),
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains("<RESULT ACTION='protocol' CODE='bad xml'/>"),
        "{text}"
    );
}

#[test]
fn ggzduedit_ban_removes_a_player_who_is_online() {
    let server = TestServer::start();
    let mut mallory = server.guest_in_room("mallory", 0);
    let mut kim = server.guest_in_room("kim", 0);
    let out = Command::new(bin("ggzduedit"))
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["ban", "mallory", "--reason", "spam"])
        .stdin(Stdio::null())
        .output()
        .expect("run ggzduedit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("removes them if online"));
    let note = mallory
        .recv_until(TIMEOUT, |e| e.is("CHAT"))
        .expect("the reason, as a private chat");
    assert!(note.text.contains("banned: spam"), "{note:?}");
    assert!(mallory.wait_closed(TIMEOUT).unwrap(), "mallory is removed");
    // Others stay.
    assert_eq!(request(&mut kim, "<LIST TYPE='room'/>", "list"), "ok");
    assert!(server.wait_for_log("mallory is banned", TIMEOUT).is_some());
}

#[test]
fn a_half_closed_client_still_gets_its_answers() {
    let server = TestServer::start();
    let mut c = connect_from(&server, 8);
    c.send("<LOGIN TYPE='guest'><NAME>lee</NAME></LOGIN>\n<MOTD/>\n")
        .unwrap();
    c.shutdown_write().unwrap();
    assert_eq!(result_code(&mut c, "login"), "ok");
    c.recv_until(TIMEOUT, |e| e.is("MOTD")).expect("the MOTD");
    assert!(c.wait_closed(TIMEOUT).unwrap(), "closed once answered");
    // A player's queued answers too.
    let mut p = connect_from(&server, 8);
    assert_eq!(
        p.login(LoginKind::Guest, "ann", None, None).unwrap().code,
        "ok"
    );
    p.send("<LIST TYPE='room'/>\n").unwrap();
    p.stream().shutdown(Shutdown::Write).unwrap();
    assert_eq!(result_code(&mut p, "list"), "ok");
    assert!(p.wait_closed(TIMEOUT).unwrap());
}
