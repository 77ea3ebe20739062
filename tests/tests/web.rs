//! The `[web]` listener: the lobby protocol over WebSocket, next to plain
//! TCP clients, and the bounds that cost only the offending connection.

#[path = "support/ws_client.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ggzd_e2e::{ServerOptions, TestServer};
use support::{
    WsClient, close_channel, launch_and_relay, web_addr, ws_connect, ws_connect_with_origin,
};

const TIMEOUT: Duration = Duration::from_secs(30);

fn web_server() -> (TestServer, SocketAddr) {
    web_server_with("", "")
}

/// The MOTD of every test server here: larger than any limit on what a
/// client may send, so the login's answers need a frame larger than that.
fn long_motd() -> String {
    (0..60)
        .map(|i| format!("Line {i} of a long message of the day, on %h.\n"))
        .collect()
}

fn web_server_with(network: &str, web: &str) -> (TestServer, SocketAddr) {
    let server = TestServer::start_with(ServerOptions {
        extra_config: format!(
            "[web]\nlisten = \"127.0.0.1:0\"\nmax_message_size = 1024\n\
             max_frame_size = 1024\nallowed_origins = [\"http://good.example\"]\n{web}\n"
        ),
        network: network.into(),
        motd: Some(long_motd()),
        ..ServerOptions::default()
    });
    let addr = web_addr(&server);
    (server, addr)
}

/// A guest login, split across frames mid-element as a stream may be.
fn guest(addr: SocketAddr, name: &str) -> WsClient<TcpStream> {
    let mut c = ws_connect(addr).expect("WebSocket handshake");
    c.wait_for("<SERVER");
    c.send("<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<LOGIN TYPE='gu");
    c.send(&format!("est'>\n<NAME>{name}</NAME>\n</LOGIN>\n"));
    let login = c.wait_for("<RESULT ACTION='login' CODE='");
    let code = c.wait_for("'");
    assert_eq!(code, "ok'", "login of {name}: {login}");
    let motd = c.wait_for("</MOTD>");
    assert!(motd.contains("Line 59 of a long message"), "{motd}");
    c
}

/// Sends raw bytes on a fresh TCP connection and returns the answer's
/// head (or whatever came before the server closed).
fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    stream.write_all(request).expect("write");
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => break,
            Ok(_) => answer.push(byte[0]),
        }
    }
    (stream, String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn lobby_over_websocket_chats_with_a_tcp_client() {
    let (server, addr) = web_server();
    let mut web = guest(addr, "webby");
    web.send("<ENTER ROOM='0'/>\n");
    web.wait_for("<RESULT ACTION='enter' CODE='ok'");
    let mut kim = server.guest_in_room("kim", 0);

    web.send("<CHAT TYPE='normal'>hello from a browser &amp; co</CHAT>\n");
    let chat = kim
        .recv_until(TIMEOUT, |e| e.is("CHAT"))
        .expect("chat from the web client");
    assert_eq!(chat.attr("FROM"), Some("webby"));
    assert_eq!(chat.text, "hello from a browser & co");

    kim.send("<CHAT TYPE='private' TO='webby'>hi back</CHAT>")
        .expect("send chat");
    let got = web.wait_for("hi back</CHAT>");
    assert!(got.contains("<CHAT TYPE='private' FROM='kim'>"), "{got}");

    // The session ends the protocol's way, and the socket follows.
    web.send("</SESSION>\n");
    web.wait_for("</SESSION>");
    assert!(web.closed_by_server());
}

#[test]
fn bad_or_oversized_frames_cost_only_their_connection() {
    let (server, addr) = web_server();
    let mut good = guest(addr, "steady");
    good.send("<ENTER ROOM='0'/>\n");
    good.wait_for("<RESULT ACTION='enter' CODE='ok'");
    let mut kim = server.guest_in_room("kim", 0);

    // Larger than max_message_size.
    let mut big = guest(addr, "big");
    big.send(&format!("<CHAT TYPE='normal'>{}</CHAT>", "x".repeat(2000)));
    assert!(big.closed_by_server(), "oversized message must close");

    // An unmasked client frame, after a correct handshake.
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let (mut raw, answer) = raw_exchange(addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    raw.write_all(b"\x81\x05hello").expect("write frame");
    let mut rest = Vec::new();
    let _ = raw.read_to_end(&mut rest);

    // Everyone else carries on.
    good.send("<CHAT TYPE='normal'>still here</CHAT>\n");
    let chat = kim.recv_until(TIMEOUT, |e| e.is("CHAT")).expect("chat");
    assert_eq!(chat.text, "still here");
    assert!(
        server
            .wait_for_log("web: dropping a WebSocket", TIMEOUT)
            .is_some()
    );
}

#[test]
fn origins_and_paths_are_checked() {
    let (_server, addr) = web_server();
    let upgrade = |origin: &str| {
        format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        )
    };
    let (_, answer) = raw_exchange(addr, upgrade("http://evil.example").as_bytes());
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
    let (_, answer) = raw_exchange(addr, upgrade("http://good.example").as_bytes());
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    let (_, answer) = raw_exchange(addr, b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 404 "), "{answer}");
    let (_, answer) = raw_exchange(addr, b"<?xml version='1.0'?><SESSION>\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");

    let refused = ws_connect_with_origin(addr, "http://evil.example");
    assert!(refused.is_err(), "a foreign page is refused");
    let mut allowed = ws_connect_with_origin(addr, "http://good.example").expect("allowed");
    allowed.wait_for("<SERVER");
}

#[test]
fn websockets_count_against_the_per_ip_limit_and_hear_pings_and_shutdown() {
    let (server, addr) = web_server_with("max_clients_per_ip = 1", "ping_interval = 1");
    let kim = server.guest("kim");
    assert!(
        ws_connect(addr).is_err(),
        "the second connection from 127.0.0.1 is refused"
    );
    drop(kim);
    let deadline = Instant::now() + TIMEOUT;
    let mut web = loop {
        // The server notices kim's close in its own time.
        if let Ok(c) = ws_connect(addr) {
            break c;
        }
        assert!(Instant::now() < deadline, "the slot never came free");
        std::thread::sleep(Duration::from_millis(50));
    };
    web.wait_for("<SERVER");
    assert!(web.pinged(), "the server pings an open WebSocket");

    server.signal(libc::SIGTERM);
    web.wait_for("</SESSION>");
    assert!(web.closed_by_server());
}

#[test]
fn a_websocket_that_does_not_read_is_dropped() {
    let (server, addr) = web_server_with("output_queue_limit = 4096", "[limits]\nchat_rate = 0");
    let mut talker = server.guest_in_room("talker", 0);
    let mut sleeper = guest(addr, "sleeper");
    sleeper.send("<ENTER ROOM='0'/>\n");
    sleeper.wait_for("<RESULT ACTION='enter' CODE='ok'");
    // A small receive window makes the kernel's buffer fill quickly.
    let _ = nix::sys::socket::setsockopt(
        sleeper.ws.get_ref(),
        nix::sys::socket::sockopt::RcvBuf,
        &4096,
    );
    let text = "z".repeat(500);
    let chat = format!("<CHAT TYPE='private' TO='sleeper'>{text}</CHAT>\n").repeat(50);
    let deadline = Instant::now() + TIMEOUT;
    let mut gone = false;
    while !gone {
        assert!(Instant::now() < deadline, "the sleeper was never dropped");
        talker.send(&chat).expect("talk");
        while let Ok(Some(e)) = talker.recv(Duration::from_millis(1)) {
            gone |= e.is("UPDATE")
                && e.attr("ACTION") == Some("delete")
                && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("sleeper");
        }
    }
    // Logged by ggzd on its stderr, read by another thread: wait for it.
    assert!(server.wait_for_log("does not read", TIMEOUT).is_some());
    // The talker is still served.
    talker.send("<PING ID='sync'/>\n").expect("ping");
    talker
        .recv_until(TIMEOUT, |e| e.is("PONG") && e.attr("ID") == Some("sync"))
        .expect("pong after the sleeper went");
}

#[test]
fn a_game_channel_over_websocket_reaches_the_game_server() {
    let tmp = ggzd_e2e::TempDir::new("webgame");
    let games = tmp.path().join("games");
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&games).expect("games dir");
    std::fs::create_dir_all(&rooms).expect("rooms dir");
    std::fs::write(
        games.join("testgame.toml"),
        "name = \"TestGame\"\nversion = \"1\"\n\
         [launch]\nexecutable = [\"ggzd-test-game\", \"play\"]\n\
         [protocol]\nengine = \"Test\"\nversion = \"1\"\n\
         [table]\nplayers = \"2\"\nspectators = true\nleave = true\n",
    )
    .expect("game");
    std::fs::write(rooms.join("entry.toml"), "name = \"Lobby\"\n").expect("room");
    std::fs::write(
        rooms.join("play.toml"),
        "name = \"Play\"\ngame = \"TestGame\"\nmax_tables = 3\n",
    )
    .expect("room");
    let server = TestServer::start_with(ServerOptions {
        games_dir: Some(games),
        rooms_dir: Some(rooms),
        extra_config: "[web]\nlisten = \"127.0.0.1:0\"\n".into(),
        motd: Some(long_motd()),
        ..ServerOptions::default()
    });
    let addr = web_addr(&server);

    let mut lobby = guest(addr, "webby");
    lobby.send("<ENTER ROOM='1'/>\n");
    lobby.wait_for("<RESULT ACTION='enter' CODE='ok'");

    // The channel: the same handshake as over TCP, then binary messages.
    let mut game = ws_connect(addr).expect("channel handshake");
    game.wait_for("<SERVER");
    game.send(
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<CHANNEL ID='webby' />\n</SESSION>\n",
    );
    game.wait_for("</SESSION>");

    launch_and_relay(&mut lobby, &mut game, "web table", "webby");
    // The browser leaves: the relay ends, and the game server hears it.
    close_channel(&server, &mut game);
}
