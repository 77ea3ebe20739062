//! The web client's files on the `[web]` listener, fetched with plain
//! HTTP over a std `TcpStream`: embedded in ggzd, or from `static_dir`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ggzd_e2e::{ServerOptions, TempDir, TestServer};

const TIMEOUT: Duration = Duration::from_secs(30);

fn server_with(web: &str) -> (TestServer, SocketAddr) {
    let server = TestServer::start_with(ServerOptions {
        extra_config: format!("[web]\nlisten = \"127.0.0.1:0\"\n{web}\n"),
        ..ServerOptions::default()
    });
    let line = server
        .wait_for_log("web: the web client at http://", TIMEOUT)
        .expect("web client line");
    let addr = line
        .rsplit("http://")
        .next()
        .and_then(|a| a.trim().trim_end_matches('/').parse().ok())
        .expect("web address");
    (server, addr)
}

/// One request; the whole answer (the server closes after it), split
/// into the head and the body.
fn fetch(addr: SocketAddr, request: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read to the close");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let body = answer.split_off(split + 4);
    (String::from_utf8(answer).expect("ASCII head"), body)
}

fn get(addr: SocketAddr, path: &str) -> (String, Vec<u8>) {
    fetch(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(": ")?;
        n.eq_ignore_ascii_case(name).then_some(v)
    })
}

fn repo_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../web")
        .join(name);
    std::fs::read(path).expect("web/ file")
}

#[test]
fn the_embedded_client_is_served_beside_the_websocket() {
    let (server, addr) = server_with("");
    let (head, body) = get(addr, "/");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(
        header(&head, "Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        body == repo_file("index.html"),
        "index.html differs from web/ (is target/debug/ggzd stale?)"
    );
    let csp = header(&head, "Content-Security-Policy").expect("CSP");
    assert!(csp.contains("default-src 'self'") && csp.contains("connect-src 'self' ws: wss:"));
    assert_eq!(header(&head, "X-Content-Type-Options"), Some("nosniff"));

    let (head, body) = get(addr, "/app.js");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(
        header(&head, "Content-Type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(
        body == repo_file("app.js"),
        "app.js differs from web/ (is target/debug/ggzd stale?)"
    );
    assert_eq!(
        header(&head, "Content-Length"),
        Some(body.len().to_string().as_str())
    );

    // Revalidation, HEAD, and what is not there.
    let etag = header(&head, "ETag").expect("ETag").to_string();
    let (head, body) = fetch(
        addr,
        &format!("GET /app.js HTTP/1.1\r\nHost: {addr}\r\nIf-None-Match: {etag}\r\n\r\n"),
    );
    assert!(head.starts_with("HTTP/1.1 304 "), "{head}");
    assert!(body.is_empty());
    let (head, body) = fetch(
        addr,
        &format!("HEAD /style.css HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    );
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(body.is_empty());
    for path in ["/nothing.js", "/../Cargo.toml", "/web/index.html"] {
        let (head, _) = get(addr, path);
        assert!(head.starts_with("HTTP/1.1 404 "), "{path}: {head}");
    }
    let (head, _) = fetch(addr, &format!("DELETE / HTTP/1.1\r\nHost: {addr}\r\n\r\n"));
    assert!(head.starts_with("HTTP/1.1 405 "), "{head}");

    // The lobby still answers beside the files.
    let mut kim = server.guest_in_room("kim", 0);
    kim.send("<CHAT TYPE='normal'>still here</CHAT>")
        .expect("chat");
    let chat = kim.recv_until(TIMEOUT, |e| e.is("CHAT")).expect("chat");
    assert_eq!(chat.text, "still here");
}

#[test]
fn a_static_dir_replaces_the_embedded_client() {
    let temp = TempDir::new("web-static");
    let dir = temp.path();
    std::fs::write(dir.join("index.html"), "<!doctype html><p>our own</p>").expect("index");
    std::fs::write(dir.join("extra.css"), "p{}").expect("css");
    let (_server, addr) = server_with(&format!("static_dir = \"{}\"", dir.display()));
    let (head, body) = get(addr, "/");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body, b"<!doctype html><p>our own</p>");
    let (head, body) = get(addr, "/extra.css");
    assert_eq!(
        header(&head, "Content-Type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(body, b"p{}");
    let (head, _) = get(addr, "/app.js");
    assert!(head.starts_with("HTTP/1.1 404 "), "{head}");
}
