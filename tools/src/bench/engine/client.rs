//! One simulated client: its stage and socket, connect completion, and
//! the transport (plain, TLS after TLS_START, WebSocket frames) it reads
//! and writes through.

use std::io::{self, ErrorKind, Read, Write};
use std::sync::Arc;

use ggzd::proto::decoder::Decoder;
use mio::net::TcpStream;

use super::super::ws::{self, WsLink};
use super::input::login_xml;
use super::{After, Closed, Plan};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Connecting,
    Greeting,
    LoggingIn,
    Entering,
    /// Logged in (and in the room, if one was planned): the line scanner
    /// reads from here on.
    Ready,
    /// `</SESSION>` sent; waiting for the server's.
    Leaving,
    /// A game channel: its session is sent, the server's `</SESSION>` is
    /// awaited.
    ChannelOpening,
    /// A game channel handed over: DIO packets from the game server.
    Game,
}

/// Whether a client is a player's main connection or its game channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Player,
    Channel,
}

pub(super) struct Client {
    pub(super) stream: TcpStream,
    pub(super) stage: Stage,
    pub(super) role: Role,
    pub(super) plan: Plan,
    /// Used until the client is ready; dropped then to keep clients small.
    pub(super) decoder: Option<Decoder>,
    /// Received bytes of an incomplete element or line.
    pub(super) carry: Vec<u8>,
    /// Output the socket has not taken yet (plaintext once in TLS).
    pub(super) out: Vec<u8>,
    pub(super) connect_ns: u64,
    /// Start TLS after the greeting.
    pub(super) wants_tls: bool,
    /// `<TLS_START/>` is queued: switch once it has left.
    pub(super) switch_pending: bool,
    pub(super) tls: Option<Box<rustls::ClientConnection>>,
    /// Over WebSocket (`--web`).
    pub(super) ws: Option<Box<WsLink>>,
    /// A game channel carrying lockstep frames instead of DIO packets.
    pub(super) framed: bool,
    /// The table whose lines are being read (its `<TABLE ID=...>` came
    /// last), for the seats that follow.
    pub(super) table_in_view: Option<u32>,
    /// The table update being read seats players (`add`, `join`), rather
    /// than naming one who left (`leave`) or something else.
    pub(super) update_seats: bool,
}

/// A connecting client got its first readiness event: epoll reports a
/// nonblocking connect's end that way, with an error flag if it failed.
/// Moves the client on to its first stage.
pub(super) fn connected(client: &mut Client, failed: bool) -> Result<(), Closed> {
    if failed {
        let why = match client.stream.take_error() {
            Ok(Some(e)) | Err(e) => e.to_string(),
            Ok(None) => "connection failed".into(),
        };
        return Err(Closed::ConnectFailed(why));
    }
    client.stage = match client.role {
        Role::Player => Stage::Greeting,
        Role::Channel => Stage::ChannelOpening,
    };
    Ok(())
}

/// Reads plain bytes, or decrypted ones once in TLS (driving the
/// handshake as records arrive).
pub(super) fn read_some(client: &mut Client, buf: &mut [u8]) -> io::Result<usize> {
    let Some(tls) = client.tls.as_mut() else {
        return client.stream.read(buf);
    };
    loop {
        match tls.reader().read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(0),
            Err(e) => return Err(e),
        }
        if tls.read_tls(&mut client.stream)? == 0 {
            return Ok(0);
        }
        tls.process_new_packets().map_err(io::Error::other)?;
        // Handshake answers; what the socket does not take now goes out
        // at the next writable event.
        while tls.wants_write() {
            match tls.write_tls(&mut client.stream) {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
    }
}

/// `<TLS_START/>` has been queued: once it is out, the handshake starts
/// and the login goes in TLS.
pub(super) fn start_tls(client: &mut Client, config: Option<&Arc<rustls::ClientConfig>>) -> After {
    client.switch_pending = false;
    if !client.out.is_empty() {
        return After::Close(Closed::Overflow("TLS_START not sent in one piece"));
    }
    let Some(config) = config else {
        return After::Close(Closed::Protocol("no TLS settings".into()));
    };
    let name = rustls::pki_types::ServerName::IpAddress(
        client
            .stream
            .peer_addr()
            .map(|a| a.ip())
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]))
            .into(),
    );
    match rustls::ClientConnection::new(Arc::clone(config), name) {
        Ok(tls) => client.tls = Some(Box::new(tls)),
        Err(e) => return After::Close(Closed::Protocol(e.to_string())),
    }
    client
        .out
        .extend_from_slice(login_xml(&client.plan).as_bytes());
    match flush(client) {
        Ok(()) => After::Keep,
        Err(why) => After::Close(why),
    }
}

/// Writes TLS records: queued plaintext is encrypted first.
pub(super) fn flush_tls(client: &mut Client) -> Result<(), Closed> {
    let Some(tls) = client.tls.as_mut() else {
        return Ok(());
    };
    let broken = |e: io::Error| Closed::Disconnected(e.to_string());
    loop {
        if !client.out.is_empty() {
            let n = tls.writer().write(&client.out).map_err(broken)?;
            client.out.drain(..n.min(client.out.len()));
        }
        if !tls.wants_write() {
            return Ok(());
        }
        match tls.write_tls(&mut client.stream) {
            Ok(0) => return Err(Closed::Disconnected("server stopped reading".into())),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(broken(e)),
        }
    }
}

/// Writes queued output until done or the socket is full.
pub(super) fn flush(client: &mut Client) -> Result<(), Closed> {
    if client.stage == Stage::Connecting {
        return Ok(());
    }
    if client.tls.is_some() {
        return flush_tls(client);
    }
    if client.ws.is_some() {
        return flush_ws(client);
    }
    write_queued(&mut client.stream, &mut client.out)
}

/// Frames queued output once the WebSocket is open (binary on a game
/// channel past its session, text otherwise) and writes the frames.
pub(super) fn flush_ws(client: &mut Client) -> Result<(), Closed> {
    let Some(ws) = client.ws.as_mut() else {
        return Ok(());
    };
    if ws.open() && !client.out.is_empty() {
        ws::frame(&mut ws.wire, client.stage == Stage::Game, &client.out);
        client.out.clear();
        if client.out.capacity() > 4096 {
            client.out = Vec::new();
        }
    }
    write_queued(&mut client.stream, &mut ws.wire)
}

/// Writes `queue` until it is empty or the socket is full, keeping what
/// is left; an emptied large queue gives its memory back.
fn write_queued(stream: &mut TcpStream, queue: &mut Vec<u8>) -> Result<(), Closed> {
    let mut written = 0;
    let result = loop {
        let rest = queue.get(written..).unwrap_or_default();
        if rest.is_empty() {
            break Ok(());
        }
        match stream.write(rest) {
            Ok(0) => break Err(Closed::Disconnected("server stopped reading".into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break Err(Closed::Disconnected(e.to_string())),
        }
    };
    queue.drain(..written.min(queue.len()));
    if queue.is_empty() && queue.capacity() > 4096 {
        *queue = Vec::new();
    }
    result
}
