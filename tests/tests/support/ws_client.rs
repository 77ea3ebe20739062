//! A browser-like WebSocket client for the e2e tests of the `[web]`
//! listener, over any stream (plain TCP, rustls for wss), and a TCP
//! connect from a chosen loopback address. Included with `#[path]` by the
//! test files that need it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use ggzd_e2e::TIMEOUT;
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

/// Read timeout once connected: the waits poll with it.
pub const POLL: Duration = Duration::from_millis(200);

pub use ggzd_e2e::web_channel::web_addr;

/// A blocking TCP connection to `to` whose source address is `from` (any
/// 127/8 address reaches a server on 127.0.0.1 on Linux).
pub fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};
    let (IpAddr::V4(from), SocketAddr::V4(to)) = (from, to) else {
        panic!("IPv4 only");
    };
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .expect("socket");
    bind(
        fd.as_raw_fd(),
        &SockaddrIn::from(std::net::SocketAddrV4::new(from, 0)),
    )
    .expect("bind the source address");
    connect(fd.as_raw_fd(), &SockaddrIn::from(to)).expect("connect");
    TcpStream::from(fd)
}

fn quiet(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ))
}

/// Everything received, as one text; binary messages apart.
pub struct WsClient<S: Read + Write> {
    pub ws: WebSocket<S>,
    pub seen: String,
    pub binary: Vec<u8>,
    /// Where the next `wait_for` starts looking.
    cursor: usize,
}

impl<S: Read + Write> WsClient<S> {
    /// The WebSocket handshake over `stream` (whose reads should time out
    /// generously; set [`POLL`] afterwards, the waits below poll).
    pub fn handshake(url: &str, stream: S) -> Result<WsClient<S>, tungstenite::Error> {
        Self::handshake_with_origin(url, None, stream)
    }

    /// [`WsClient::handshake`] with the `Origin` header a browser page on
    /// `origin` would send.
    pub fn handshake_with_origin(
        url: &str,
        origin: Option<&str>,
        stream: S,
    ) -> Result<WsClient<S>, tungstenite::Error> {
        let mut request = url.into_client_request()?;
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("Origin", origin.parse().expect("header value"));
        }
        let (ws, _) = tungstenite::client(request, stream).map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => e,
            tungstenite::HandshakeError::Interrupted(_) => {
                tungstenite::Error::Io(std::io::ErrorKind::WouldBlock.into())
            }
        })?;
        Ok(WsClient {
            ws,
            seen: String::new(),
            binary: Vec::new(),
            cursor: 0,
        })
    }

    pub fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).expect("send frame");
    }

    fn read_one(&mut self) -> Result<(), tungstenite::Error> {
        match self.ws.read() {
            Ok(Message::Text(t)) => self.seen.push_str(&t),
            Ok(Message::Binary(b)) => self.binary.extend_from_slice(&b),
            Ok(_) => {}
            Err(e) if quiet(&e) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Reads until `needle` shows up past the cursor; returns the text up
    /// to and including it.
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(at) = self.seen.get(self.cursor..).and_then(|s| s.find(needle)) {
                let end = self.cursor + at + needle.len();
                let text = self.seen[self.cursor..end].to_string();
                self.cursor = end;
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in {:?}",
                &self.seen[self.cursor..]
            );
            if let Err(e) = self.read_one() {
                panic!("connection ended waiting for {needle:?}: {e}");
            }
        }
    }

    /// The next `<CHANNELTOKEN TOKEN='…'/>`'s token.
    pub fn next_token(&mut self) -> String {
        self.wait_for("<CHANNELTOKEN TOKEN='");
        let rest = self.wait_for("'");
        rest.trim_end_matches('\'').to_string()
    }

    /// Waits until binary bytes received contain `needle`.
    pub fn wait_binary(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let text = String::from_utf8_lossy(&self.binary).into_owned();
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < deadline, "no {needle:?} in {text:?}");
            if let Err(e) = self.read_one() {
                panic!("connection ended waiting for {needle:?}: {e} after {text:?}");
            }
        }
    }

    /// Waits for a ping from the server (tungstenite answers it).
    pub fn pinged(&mut self) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(Message::Ping(_)) => return true,
                Ok(Message::Text(t)) => self.seen.push_str(&t),
                Ok(Message::Binary(b)) => self.binary.extend_from_slice(&b),
                Ok(_) => {}
                Err(e) if quiet(&e) => {}
                Err(_) => return false,
            }
        }
        false
    }

    /// Waits for the server to end the connection; true if it did.
    pub fn closed_by_server(&mut self) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if self.read_one().is_err() {
                return true;
            }
        }
        false
    }

    /// The greeting, then a guest LOGIN; waits for the MOTD after it.
    pub fn login_guest(&mut self, name: &str, extensions: Option<&str>) {
        self.wait_for("<SERVER");
        self.send("<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n");
        if let Some(names) = extensions {
            self.send(&format!("<EXTENSIONS NAMES='{names}'/>\n"));
            self.wait_for("<EXTENSIONS ");
        }
        self.send(&format!(
            "<LOGIN TYPE='guest'>\n<NAME>{name}</NAME>\n</LOGIN>\n"
        ));
        let login = self.wait_for("<RESULT ACTION='login' CODE='");
        let code = self.wait_for("'");
        assert_eq!(code, "ok'", "login of {name}: {login}");
        self.wait_for("</MOTD>");
    }
}

/// A plain `ws://` client from 127.0.0.1.
pub fn ws_connect(addr: SocketAddr) -> Result<WsClient<TcpStream>, tungstenite::Error> {
    ws_connect_from(IpAddr::from([127, 0, 0, 1]), addr)
}

/// A plain `ws://` client from 127.0.0.1, as a page on `origin` opens it.
pub fn ws_connect_with_origin(
    addr: SocketAddr,
    origin: &str,
) -> Result<WsClient<TcpStream>, tungstenite::Error> {
    ws_connect_as(IpAddr::from([127, 0, 0, 1]), addr, Some(origin))
}

/// A plain `ws://` client from the loopback address `from`.
pub fn ws_connect_from(
    from: IpAddr,
    addr: SocketAddr,
) -> Result<WsClient<TcpStream>, tungstenite::Error> {
    ws_connect_as(from, addr, None)
}

fn ws_connect_as(
    from: IpAddr,
    addr: SocketAddr,
    origin: Option<&str>,
) -> Result<WsClient<TcpStream>, tungstenite::Error> {
    let stream = connect_from(from, addr);
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let client = WsClient::handshake_with_origin(&format!("ws://{addr}/ws"), origin, stream)?;
    client
        .ws
        .get_ref()
        .set_read_timeout(Some(POLL))
        .expect("timeout");
    Ok(client)
}

/// `lobby` (in room 1 of a server whose game 0 is the test game) launches
/// a two-seat table described `desc`; `game`, `player`'s channel, opened
/// before, is relayed to the game server: it hears that `player` sits in
/// seat 0, and the game server answers its `cwd`.
pub fn launch_and_relay<S: Read + Write, T: Read + Write>(
    lobby: &mut WsClient<S>,
    game: &mut WsClient<T>,
    desc: &str,
    player: &str,
) {
    lobby.send(&format!(
        "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>{desc}</DESC>\n\
         <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n"
    ));
    lobby.wait_for("<RESULT ACTION='launch' CODE='ok'");
    game.wait_binary(&format!("seat 0 player {player}"));
    game.ws
        .send(Message::binary(b"cwd\n".to_vec()))
        .expect("game bytes");
    game.wait_binary("cwd ");
}

/// The browser closes its channel `game`: the relay ends, and ggzd says so.
pub fn close_channel<T: Read + Write>(server: &ggzd_e2e::TestServer, game: &mut WsClient<T>) {
    game.ws.close(None).expect("close");
    assert!(
        server
            .wait_for_log("game channel relay ends", TIMEOUT)
            .is_some()
    );
}
