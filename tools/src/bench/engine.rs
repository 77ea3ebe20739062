//! The event loop that drives every simulated client.
//!
//! One `mio::Poll`, nonblocking sockets, edge-triggered readiness. A
//! client goes through connect, greeting, login and (optionally) room
//! entry using the project's XML decoder, then switches to the line
//! scanner of [`super::scan`] for the hot path. Reads go into one shared
//! 64 KiB buffer; a client keeps bytes only for an incomplete element, and
//! its output only while the socket is full, both bounded.
//!
//! A client may instead be a game channel ([`Engine::open_channel`]): it
//! sends its `CHANNEL` session at once, waits for the server's
//! `</SESSION>`, and from then on reads TicTacToe's DIO packets with
//! [`super::dio`].
//!
//! With [`Engine::use_tls`], player connections send `<TLS_START/>` after
//! their header and go on inside TLS (rustls, any certificate accepted:
//! the generator measures, it does not authenticate); game channels stay
//! plain, as the protocol has it.
//!
//! With [`Engine::use_web`], every client (game channels too) connects to
//! ggzd's `[web]` listener instead and speaks through WebSocket frames
//! ([`super::ws`]): the lobby XML in text messages, a channel's game bytes
//! in binary ones. The rest of the engine sees the same byte stream.
//!
//! Scenarios open clients, run turns of the loop, and react to the
//! [`Note`]s each turn produces. Chat deliveries are frequent, so they are
//! not notes: they are tallied in place into [`ChatTally`].

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use ggzd::proto::decoder::{Decoder, Event, Limits};
use ggzd::proto::element::Element;
use ggzd::proto::escape::escape;
use ggzd::proto::request::LoginKind;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::clock::monotonic_ns;
use super::dio::{self, Packet};
use super::histogram::Histogram;
use super::scan::{self, Line};
use super::ws::{self, WsLink};

/// Bytes asked for per read.
const READ_CHUNK: usize = 64 * 1024;
/// Most bytes kept for an incomplete element before the server has sent
/// the end of it (a large MOTD or list during setup).
const MAX_CARRY_SETUP: usize = 1024 * 1024;
/// Most bytes kept for an incomplete line once in the room.
const MAX_CARRY_ROOM: usize = 64 * 1024;
/// Most bytes a game channel may receive before the server's `</SESSION>`
/// (a greeting is a few hundred).
const MAX_CARRY_CHANNEL: usize = 16 * 1024;
/// Most bytes kept for an incomplete DIO packet (the largest possible).
const MAX_CARRY_GAME: usize = 64 * 1024;
/// Most bytes of output waiting for a full socket to drain.
const MAX_OUTPUT: usize = 1024 * 1024;
/// Readiness events handled per poll.
const EVENTS: usize = 4096;

/// The client header sent after the greeting (docs/client-server.md §4).
const HEADER: &str = "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n";
/// What ends the server's side of a game channel's XML session (docs/client-server.md §14).
const CHANNEL_END: &[u8] = b"</SESSION>\n";

/// An index into the engine's clients; stable for a client's life, reused
/// after it.
pub type ClientId = usize;

/// How a simulated client logs in and what it does next.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub kind: LoginKind,
    pub password: Option<String>,
    /// Room to enter after logging in; `None` stays in no room.
    pub room: Option<u32>,
}

/// Something a scenario should know about, produced by a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// `RESULT login ok`, this long after the connect started.
    LoggedIn { id: ClientId, latency_ns: u64 },
    /// The login was answered with another code; the client is closed.
    LoginRefused { id: ClientId, code: String },
    /// `RESULT enter ok`.
    Entered { id: ClientId },
    /// The room entry was refused; the client is closed.
    EnterRefused { id: ClientId, code: String },
    /// The client's own chat came back to it (the server's echo).
    Echo { id: ClientId },
    /// A chat was refused (`RESULT chat` with a code other than ok).
    ChatRefused { id: ClientId },
    /// The client is gone, for the reason given.
    Closed { id: ClientId, why: Closed },
    /// A `RESULT` of a table request; `refused` holds the code unless ok.
    TableResult {
        id: ClientId,
        action: TableAction,
        refused: Option<String>,
    },
    /// `<JOIN TABLE='n'/>`: the client sits at table n.
    Seated { id: ClientId, table: u32 },
    /// `<LEAVE/>`: the client is no longer at a table.
    LeftTable { id: ClientId },
    /// A game channel read the server's `</SESSION>`: the server has it
    /// ready for the player's next launch or join.
    ChannelReady { id: ClientId },
    /// A game packet the generator acts on arrived on a channel.
    Game { id: ClientId, event: GameEvent },
    /// A whole lockstep frame (docs/lockstep.md §2) arrived on a channel
    /// opened with [`Engine::open_framed_channel`].
    Frame {
        id: ClientId,
        kind: u8,
        body: Vec<u8>,
    },
    /// `<MATCHED/>`: a matchmaking round reserved this seat.
    Matched { id: ClientId, table: u32, seat: u32 },
}

/// The table requests whose results are notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAction {
    Launch,
    Join,
    Leave,
    /// MATCH (docs/matchmaking.md §4).
    Match,
}

/// What a game server said on a channel, as far as the generator cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameEvent {
    /// REQ_MOVE: the server waits for this player's move.
    MoveRequested,
    /// RSP_MOVE with a status other than 0.
    MoveRefused(i8),
    /// MSG_GAMEOVER.
    GameOver,
}

/// Why a client was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// The connect failed (refused, unreachable, ...).
    ConnectFailed(String),
    /// The server answered `</SESSION>` (after our own, or of its own).
    SessionEnded,
    /// The server closed or reset the connection.
    Disconnected(String),
    /// The server's output could not be decoded, or it reported an XML
    /// error in ours.
    Protocol(String),
    /// The server said it is full.
    ServerFull,
    /// A bound of the generator was hit (output or input buffer).
    Overflow(&'static str),
}

impl Closed {
    /// A short label for counting close reasons in reports.
    pub fn label(&self) -> String {
        match self {
            Closed::ConnectFailed(e) => format!("connect failed: {e}"),
            Closed::SessionEnded => "session ended".into(),
            Closed::Disconnected(e) => format!("disconnected: {e}"),
            Closed::Protocol(e) => format!("protocol: {e}"),
            Closed::ServerFull => "server full".into(),
            Closed::Overflow(what) => format!("generator limit: {what}"),
        }
    }
}

/// Chat deliveries, tallied as they are read, split into phases by the
/// time the message was sent.
#[derive(Debug, Default)]
pub struct ChatTally {
    /// Phase start times (ns, ascending) and their latency histograms; a
    /// message counts in the last phase that started at or before its
    /// send time. Messages sent before the first phase are not counted.
    pub phases: Vec<(u64, Histogram)>,
    /// CHAT elements whose text was not a benchmark stamp.
    pub foreign: u64,
}

impl ChatTally {
    /// Starts a new phase at `start_ns`.
    pub fn begin_phase(&mut self, start_ns: u64) {
        self.phases.push((start_ns, Histogram::default()));
    }

    fn record(&mut self, sent_ns: u64, now_ns: u64) {
        let phase = self
            .phases
            .iter_mut()
            .rev()
            .find(|(start, _)| *start <= sent_ns);
        if let Some((_, h)) = phase {
            h.record(now_ns.saturating_sub(sent_ns));
        }
    }

    /// Deliveries counted in all phases.
    pub fn delivered(&self) -> u64 {
        self.phases.iter().map(|(_, h)| h.count()).sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
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
enum Role {
    Player,
    Channel,
}

struct Client {
    stream: TcpStream,
    stage: Stage,
    role: Role,
    plan: Plan,
    /// Used until the client is ready; dropped then to keep clients small.
    decoder: Option<Decoder>,
    /// Received bytes of an incomplete element or line.
    carry: Vec<u8>,
    /// Output the socket has not taken yet (plaintext once in TLS).
    out: Vec<u8>,
    connect_ns: u64,
    /// Start TLS after the greeting.
    wants_tls: bool,
    /// `<TLS_START/>` is queued: switch once it has left.
    switch_pending: bool,
    tls: Option<Box<rustls::ClientConnection>>,
    /// Over WebSocket (`--web`).
    ws: Option<Box<WsLink>>,
    /// A game channel carrying lockstep frames instead of DIO packets.
    framed: bool,
}

/// Counters of the whole run, for reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct Traffic {
    pub bytes_read: u64,
    pub reads: u64,
    pub pings_answered: u64,
    /// Monotonic time of the last read that returned bytes.
    pub last_read_ns: u64,
}

/// The event loop; see the module docs.
pub struct Engine {
    poll: Poll,
    events: Events,
    server: SocketAddr,
    clients: Vec<Option<Client>>,
    free: Vec<ClientId>,
    live: usize,
    scratch: Vec<u8>,
    /// The readiness of one poll, kept to reuse its allocation.
    ready: Vec<Readiness>,
    pub tally: ChatTally,
    pub traffic: Traffic,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// The `[web]` listener every client connects to, when set.
    web: Option<SocketAddr>,
    /// Payload unwrapped from WebSocket frames, reused between reads.
    ws_buf: Vec<u8>,
    /// Several targets: where each connection goes (`spread.rs`).
    spread: Option<super::spread::Spread>,
}

/// One readiness event, copied out of `events` so handlers may borrow the
/// engine.
#[derive(Debug, Clone, Copy)]
struct Readiness {
    id: ClientId,
    readable: bool,
    writable: bool,
    /// The peer's end or an error came with the event.
    hung_up: bool,
    /// An error came with the event (for a connect: it failed).
    failed: bool,
}

/// What processing input asked the engine to do with the client.
enum After {
    Keep,
    Close(Closed),
}

impl Engine {
    pub fn new(server: SocketAddr) -> io::Result<Engine> {
        Ok(Engine {
            poll: Poll::new()?,
            events: Events::with_capacity(EVENTS),
            server,
            clients: Vec::new(),
            free: Vec::new(),
            live: 0,
            scratch: vec![0; READ_CHUNK],
            ready: Vec::new(),
            tally: ChatTally::default(),
            traffic: Traffic::default(),
            tls: None,
            web: None,
            ws_buf: Vec::new(),
            spread: None,
        })
    }

    /// Connections opened from now on go to `targets`: players round
    /// robin, channels to their player's target.
    pub fn spread_over(&mut self, targets: super::spread::Targets) {
        self.spread = Some(super::spread::Spread::new(targets));
    }

    /// Clients opened from now on connect to ggzd's `[web]` listener at
    /// `addr` and speak WebSocket (plain `ws://`).
    pub fn use_web(&mut self, addr: SocketAddr) -> io::Result<()> {
        if self.tls.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "TLS_START does not exist over WebSocket: --tls and --web exclude each other",
            ));
        }
        self.web = Some(addr);
        Ok(())
    }

    /// Player connections opened from now on start TLS after the greeting
    /// (the server must offer it). Any certificate is accepted.
    pub fn use_tls(&mut self) -> io::Result<()> {
        let config = crate::ggz::tls::client_config(&crate::ggz::tls::Trust::Insecure)
            .map_err(io::Error::other)?;
        self.tls = config;
        Ok(())
    }

    /// Clients open now.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Starts connecting a client that will follow `plan`. A connect that
    /// fails at once is reported as a [`Note::Closed`] by the next turn.
    pub fn open(&mut self, plan: Plan, notes: &mut Vec<Note>) -> ClientId {
        self.connect(plan, Role::Player, Vec::new(), notes)
    }

    /// Starts connecting a game channel for the player `name` (docs/client-server.md §14).
    /// Its session goes out as soon as the connection stands, without
    /// waiting for the greeting; [`Note::ChannelReady`] follows the
    /// server's `</SESSION>`, and then [`Note::Game`]s.
    pub fn open_channel(&mut self, name: &str, notes: &mut Vec<Note>) -> ClientId {
        let request = format!("{HEADER}<CHANNEL ID='{}'/>\n</SESSION>\n", escape(name));
        let plan = Plan {
            name: name.to_owned(),
            kind: LoginKind::Guest,
            password: None,
            room: None,
        };
        self.connect(plan, Role::Channel, request.into_bytes(), notes)
    }

    /// As [`Engine::open_channel`], for a game whose channel carries
    /// lockstep frames: [`Note::Frame`]s follow instead of [`Note::Game`]s.
    pub fn open_framed_channel(&mut self, name: &str, notes: &mut Vec<Note>) -> ClientId {
        let id = self.open_channel(name, notes);
        if let Some(client) = self.clients.get_mut(id).and_then(Option::as_mut) {
            client.framed = true;
        }
        id
    }

    fn connect(&mut self, plan: Plan, role: Role, out: Vec<u8>, notes: &mut Vec<Note>) -> ClientId {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.clients.push(None);
                self.clients.len() - 1
            }
        };
        let started = monotonic_ns();
        let to = match (&mut self.spread, self.web) {
            (_, Some(web)) => web,
            (Some(spread), None) if role == Role::Player => spread.player(&plan.name),
            (Some(spread), None) => spread.channel(&plan.name),
            (None, None) => self.server,
        };
        let registered = TcpStream::connect(to).and_then(|mut stream| {
            self.poll.registry().register(
                &mut stream,
                Token(id),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(stream)
        });
        match registered {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                if let Some(slot) = self.clients.get_mut(id) {
                    *slot = Some(Client {
                        stream,
                        stage: Stage::Connecting,
                        role,
                        plan,
                        decoder: (role == Role::Player).then(|| Decoder::new(Limits::CLIENT)),
                        carry: Vec::new(),
                        out,
                        connect_ns: started,
                        wants_tls: role == Role::Player && self.tls.is_some(),
                        switch_pending: false,
                        tls: None,
                        ws: self.web.map(|addr| Box::new(WsLink::new(addr))),
                        framed: false,
                    });
                    self.live += 1;
                }
            }
            Err(e) => {
                self.free.push(id);
                notes.push(Note::Closed {
                    id,
                    why: Closed::ConnectFailed(e.to_string()),
                });
            }
        }
        id
    }

    /// The plan a client follows (its name, ...).
    pub fn plan(&self, id: ClientId) -> Option<&Plan> {
        self.client(id).map(|c| &c.plan)
    }

    fn client(&self, id: ClientId) -> Option<&Client> {
        self.clients.get(id).and_then(Option::as_ref)
    }

    /// Sends a room chat carrying the send time and the sender's id.
    /// Returns false if the client is gone or its output is full.
    pub fn send_chat(&mut self, id: ClientId, notes: &mut Vec<Note>) -> bool {
        let text = scan::stamp(monotonic_ns(), id);
        let xml = format!("<CHAT TYPE='normal'>{text}</CHAT>\n");
        self.send(id, xml.as_bytes(), notes)
    }

    /// Queues bytes for a client and writes what the socket takes.
    pub fn send(&mut self, id: ClientId, bytes: &[u8], notes: &mut Vec<Note>) -> bool {
        let Some(client) = self.clients.get_mut(id).and_then(Option::as_mut) else {
            return false;
        };
        if client.out.len() + client.ws.as_ref().map_or(0, |w| w.wire.len()) + bytes.len()
            > MAX_OUTPUT
        {
            self.close(id, Closed::Overflow("output queue"), notes);
            return false;
        }
        client.out.extend_from_slice(bytes);
        if let Err(why) = flush(client) {
            self.close(id, why, notes);
            return false;
        }
        true
    }

    /// Ends a session the polite way: `</SESSION>`, then wait for the
    /// server's `</SESSION>` ([`Note::Closed`] with `SessionEnded`).
    pub fn leave(&mut self, id: ClientId, notes: &mut Vec<Note>) {
        if self.send(id, b"</SESSION>\n", notes)
            && let Some(client) = self.clients.get_mut(id).and_then(Option::as_mut)
        {
            client.stage = Stage::Leaving;
        }
    }

    /// Ends a session at once: `</SESSION>` (not on a game channel, where
    /// it would be garbage to the game), then an abortive close (RST), so
    /// that thousands of short sessions leave no TIME_WAIT sockets holding
    /// ephemeral ports. No note follows.
    ///
    /// Closing a socket takes it out of the poll set (the generator never
    /// forks, so no other descriptor keeps it there): no `deregister`.
    pub fn hang_up(&mut self, id: ClientId) {
        let Some(slot) = self.clients.get_mut(id) else {
            return;
        };
        let Some(mut client) = slot.take() else {
            return;
        };
        if client.role == Role::Player {
            match client.tls.as_mut() {
                None if client.ws.is_some() => {
                    let mut framed = Vec::new();
                    ws::frame(&mut framed, false, b"</SESSION>\n");
                    let _ = (&client.stream).write(&framed);
                }
                Some(tls) => {
                    let _ = tls.writer().write(b"</SESSION>\n");
                    let _ = tls.write_tls(&mut client.stream);
                }
                None => {
                    let _ = (&client.stream).write(b"</SESSION>\n");
                }
            }
        }
        let _ = nix::sys::socket::setsockopt(
            &client.stream.as_fd(),
            nix::sys::socket::sockopt::Linger,
            &libc::linger {
                l_onoff: 1,
                l_linger: 0,
            },
        );
        drop(client);
        self.free.push(id);
        self.live = self.live.saturating_sub(1);
    }

    fn close(&mut self, id: ClientId, why: Closed, notes: &mut Vec<Note>) {
        let Some(slot) = self.clients.get_mut(id) else {
            return;
        };
        if slot.take().is_some() {
            self.free.push(id);
            self.live = self.live.saturating_sub(1);
            notes.push(Note::Closed { id, why });
        }
    }

    /// Waits up to `timeout` for readiness and handles it; notes go to
    /// `notes` (which is not cleared).
    pub fn turn(&mut self, timeout: Option<Duration>, notes: &mut Vec<Note>) -> io::Result<()> {
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            if e.kind() == ErrorKind::Interrupted {
                return Ok(());
            }
            return Err(e);
        }
        self.ready.clear();
        self.ready.extend(self.events.iter().map(|e| Readiness {
            id: e.token().0,
            readable: e.is_readable() || e.is_read_closed() || e.is_error(),
            writable: e.is_writable() || e.is_error(),
            hung_up: e.is_read_closed() || e.is_error(),
            failed: e.is_error(),
        }));
        let ready = std::mem::take(&mut self.ready);
        for r in &ready {
            if r.writable {
                self.on_writable(r.id, r.failed, notes);
            }
            if r.readable {
                self.on_readable(r.id, r.hung_up, r.failed, notes);
            }
        }
        self.ready = ready;
        Ok(())
    }

    fn on_writable(&mut self, id: ClientId, failed: bool, notes: &mut Vec<Note>) {
        let Some(client) = self.clients.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        if client.stage == Stage::Connecting
            && let Err(why) = connected(client, failed)
        {
            return self.close(id, why, notes);
        }
        if let Err(why) = flush(client) {
            self.close(id, why, notes);
        }
    }

    fn on_readable(&mut self, id: ClientId, hung_up: bool, failed: bool, notes: &mut Vec<Note>) {
        loop {
            let Some(client) = self.clients.get_mut(id).and_then(Option::as_mut) else {
                return;
            };
            if client.stage == Stage::Connecting
                && let Err(why) = connected(client, failed)
            {
                return self.close(id, why, notes);
            }
            let n = match read_some(client, &mut self.scratch) {
                Ok(0) => {
                    let why = if client.stage == Stage::Leaving {
                        Closed::SessionEnded
                    } else {
                        Closed::Disconnected("connection closed by server".into())
                    };
                    return self.close(id, why, notes);
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return self.close(id, Closed::Disconnected(e.to_string()), notes),
            };
            let now = monotonic_ns();
            self.traffic.bytes_read += n as u64;
            self.traffic.reads += 1;
            self.traffic.last_read_ns = now;
            let mut fresh = self.scratch.get(..n).unwrap_or_default();
            let mut payload = std::mem::take(&mut self.ws_buf);
            payload.clear();
            if let Some(ws) = client.ws.as_mut() {
                match ws.unwrap(fresh, &mut payload) {
                    Ok(seen) if seen.closed => {
                        let why = if client.stage == Stage::Leaving {
                            Closed::SessionEnded
                        } else {
                            Closed::Disconnected("WebSocket closed by server".into())
                        };
                        self.ws_buf = payload;
                        return self.close(id, why, notes);
                    }
                    Ok(_) => fresh = &payload,
                    Err(why) => {
                        self.ws_buf = payload;
                        return self.close(id, Closed::Protocol(why), notes);
                    }
                }
            }
            let mut ctx = Context {
                id,
                now,
                notes,
                tally: &mut self.tally,
                traffic: &mut self.traffic,
            };
            let after = if client.carry.is_empty() {
                let (used, after) = take_input(client, fresh, &mut ctx);
                client
                    .carry
                    .extend_from_slice(fresh.get(used..).unwrap_or_default());
                after
            } else {
                let mut held = std::mem::take(&mut client.carry);
                held.extend_from_slice(fresh);
                let (used, after) = take_input(client, &held, &mut ctx);
                held.drain(..used.min(held.len()));
                client.carry = held;
                after
            };
            let after = match after {
                After::Keep => check_carry(client),
                close => close,
            };
            let after = match after {
                After::Keep => match flush(client) {
                    Ok(()) => After::Keep,
                    Err(why) => After::Close(why),
                },
                close => close,
            };
            let after = match after {
                After::Keep if client.switch_pending => start_tls(client, self.tls.as_ref()),
                keep_or_close => keep_or_close,
            };
            if payload.capacity() <= READ_CHUNK * 2 {
                self.ws_buf = payload;
            }
            if let After::Close(why) = after {
                return self.close(id, why, notes);
            }
            if client.tls.is_some() {
                // Decrypted bytes come in records, not as the socket has
                // them: only a read that would block says it is empty.
                continue;
            }
            // A short read emptied the socket: with edge-triggered
            // readiness the next arrival raises a new event, so the extra
            // read that would only say "would block" is skipped. An end
            // reported with the data raises none: read on to it.
            if n < self.scratch.len() && !hung_up {
                return;
            }
        }
    }
}

/// Shared state that input handling writes to.
struct Context<'a> {
    id: ClientId,
    now: u64,
    notes: &'a mut Vec<Note>,
    tally: &'a mut ChatTally,
    traffic: &'a mut Traffic,
}

/// A connecting client got its first readiness event: epoll reports a
/// nonblocking connect's end that way, with an error flag if it failed.
/// Moves the client on to its first stage.
fn connected(client: &mut Client, failed: bool) -> Result<(), Closed> {
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
fn read_some(client: &mut Client, buf: &mut [u8]) -> io::Result<usize> {
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
fn start_tls(client: &mut Client, config: Option<&Arc<rustls::ClientConfig>>) -> After {
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
fn flush_tls(client: &mut Client) -> Result<(), Closed> {
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
fn flush(client: &mut Client) -> Result<(), Closed> {
    if client.stage == Stage::Connecting {
        return Ok(());
    }
    if client.tls.is_some() {
        return flush_tls(client);
    }
    if client.ws.is_some() {
        return flush_ws(client);
    }
    let mut written = 0;
    let result = loop {
        let rest = client.out.get(written..).unwrap_or_default();
        if rest.is_empty() {
            break Ok(());
        }
        match client.stream.write(rest) {
            Ok(0) => break Err(Closed::Disconnected("server stopped reading".into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break Err(Closed::Disconnected(e.to_string())),
        }
    };
    client.out.drain(..written.min(client.out.len()));
    if client.out.is_empty() && client.out.capacity() > 4096 {
        client.out = Vec::new();
    }
    result
}

/// Frames queued output once the WebSocket is open (binary on a game
/// channel past its session, text otherwise) and writes the frames.
fn flush_ws(client: &mut Client) -> Result<(), Closed> {
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
    let mut written = 0;
    let result = loop {
        let rest = ws.wire.get(written..).unwrap_or_default();
        if rest.is_empty() {
            break Ok(());
        }
        match client.stream.write(rest) {
            Ok(0) => break Err(Closed::Disconnected("server stopped reading".into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break Err(Closed::Disconnected(e.to_string())),
        }
    };
    ws.wire.drain(..written.min(ws.wire.len()));
    if ws.wire.is_empty() && ws.wire.capacity() > 4096 {
        ws.wire = Vec::new();
    }
    result
}

fn check_carry(client: &mut Client) -> After {
    let limit = match client.stage {
        Stage::Ready | Stage::Leaving => MAX_CARRY_ROOM,
        Stage::ChannelOpening => MAX_CARRY_CHANNEL,
        Stage::Game => MAX_CARRY_GAME,
        Stage::Connecting | Stage::Greeting | Stage::LoggingIn | Stage::Entering => MAX_CARRY_SETUP,
    };
    if client.carry.len() > limit {
        return After::Close(Closed::Overflow("incomplete input"));
    }
    if client.carry.is_empty() && client.carry.capacity() > 4096 {
        client.carry = Vec::new();
    }
    After::Keep
}

/// Handles as much of `input` as forms complete elements (setup) or lines
/// (in the room). Returns the bytes used.
fn take_input(client: &mut Client, input: &[u8], ctx: &mut Context<'_>) -> (usize, After) {
    let mut pos = 0;
    if client.stage == Stage::ChannelOpening {
        let Some(end) = find(input, CHANNEL_END) else {
            return (0, After::Keep);
        };
        pos = end + CHANNEL_END.len();
        client.stage = Stage::Game;
        ctx.notes.push(Note::ChannelReady { id: ctx.id });
    }
    if client.stage == Stage::Game && client.framed {
        let (used, after) = scan_frames(input.get(pos..).unwrap_or_default(), ctx);
        return (pos + used, after);
    }
    if client.stage == Stage::Game {
        let (used, after) = scan_packets(input.get(pos..).unwrap_or_default(), ctx);
        return (pos + used, after);
    }
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        if client.decoder.is_none() {
            let (used, after) = scan_lines(client, rest, ctx);
            return (pos + used, after);
        }
        let Some(decoder) = client.decoder.as_mut() else {
            return (pos, After::Keep);
        };
        let progress = match decoder.feed(rest) {
            Ok(p) => p,
            Err(e) => return (pos, After::Close(Closed::Protocol(e.to_string()))),
        };
        pos += progress.consumed;
        match progress.event {
            Some(Event::Element(element)) => {
                if let After::Close(why) = on_setup_element(client, &element, ctx) {
                    return (pos, After::Close(why));
                }
            }
            Some(Event::SessionEnd) => return (pos, After::Close(Closed::SessionEnded)),
            Some(Event::SessionStart) => {}
            None if progress.consumed == 0 => return (pos, After::Keep),
            None => {}
        }
    }
}

/// One decoded message during setup.
fn on_setup_element(client: &mut Client, e: &Element, ctx: &mut Context<'_>) -> After {
    if e.is("PING") {
        client.out.extend_from_slice(b"<PONG/>\n");
        ctx.traffic.pings_answered += 1;
        return After::Keep;
    }
    let result_of = |action: &str| {
        e.is("RESULT")
            && e.attr("ACTION")
                .is_some_and(|a| a.eq_ignore_ascii_case(action))
    };
    let code = || e.attr("CODE").unwrap_or_default().to_owned();
    match client.stage {
        Stage::Greeting if e.is("SERVER") => {
            if e.attr("STATUS") == Some("full") {
                return After::Close(Closed::ServerFull);
            }
            client.out.extend_from_slice(HEADER.as_bytes());
            if client.wants_tls {
                if e.attr("TLS_SUPPORT") != Some("yes") {
                    return After::Close(Closed::Protocol("the server does not offer TLS".into()));
                }
                // Nothing after it: the handshake's first byte follows.
                client.out.extend_from_slice(b"<TLS_START/>");
                client.switch_pending = true;
            } else {
                client
                    .out
                    .extend_from_slice(login_xml(&client.plan).as_bytes());
            }
            client.stage = Stage::LoggingIn;
        }
        Stage::LoggingIn if result_of("login") => {
            if code() != "ok" {
                ctx.notes.push(Note::LoginRefused {
                    id: ctx.id,
                    code: code(),
                });
                return After::Close(Closed::SessionEnded);
            }
            ctx.notes.push(Note::LoggedIn {
                id: ctx.id,
                latency_ns: ctx.now.saturating_sub(client.connect_ns),
            });
            match client.plan.room {
                Some(room) => {
                    client
                        .out
                        .extend_from_slice(format!("<ENTER ROOM='{room}'/>\n").as_bytes());
                    client.stage = Stage::Entering;
                }
                None => become_ready(client),
            }
        }
        Stage::Entering if result_of("enter") => {
            if code() != "ok" {
                ctx.notes.push(Note::EnterRefused {
                    id: ctx.id,
                    code: code(),
                });
                return After::Close(Closed::SessionEnded);
            }
            ctx.notes.push(Note::Entered { id: ctx.id });
            become_ready(client);
        }
        _ if result_of("protocol") => {
            return After::Close(Closed::Protocol(format!("server said {}", code())));
        }
        _ => {}
    }
    After::Keep
}

fn become_ready(client: &mut Client) {
    client.stage = Stage::Ready;
    client.decoder = None;
}

fn login_xml(plan: &Plan) -> String {
    let mut xml = format!(
        "<LOGIN TYPE='{}'>\n<NAME>{}</NAME>\n",
        plan.kind.as_str(),
        escape(&plan.name)
    );
    if let Some(p) = &plan.password {
        xml.push_str(&format!("<PASSWORD>{}</PASSWORD>\n", escape(p)));
    }
    xml.push_str("</LOGIN>\n");
    xml
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Complete DIO packets of `input`: notes for the ones the generator acts
/// on. Returns the bytes used.
fn scan_packets(input: &[u8], ctx: &mut Context<'_>) -> (usize, After) {
    let mut pos = 0;
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let (len, opcode, first) = match dio::next_packet(rest) {
            Packet::Incomplete => return (pos, After::Keep),
            Packet::Malformed => {
                return (
                    pos,
                    After::Close(Closed::Protocol("a DIO packet too short".into())),
                );
            }
            Packet::Complete { len, opcode, first } => (len, opcode, first),
        };
        pos += len;
        let event = match opcode {
            dio::op::REQ_MOVE => Some(GameEvent::MoveRequested),
            dio::op::MSG_GAMEOVER => Some(GameEvent::GameOver),
            dio::op::RSP_MOVE => match first.map(|b| b as i8) {
                Some(0) => None,
                Some(status) => Some(GameEvent::MoveRefused(status)),
                None => Some(GameEvent::MoveRefused(0)),
            },
            _ => None,
        };
        if let Some(event) = event {
            ctx.notes.push(Note::Game { id: ctx.id, event });
        }
    }
}

/// Complete lockstep frames of `input` (docs/lockstep.md §2), each a note.
/// Returns the bytes used.
fn scan_frames(input: &[u8], ctx: &mut Context<'_>) -> (usize, After) {
    let mut pos = 0;
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let Some(len) = rest
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(|b| u32::from_be_bytes(b) as usize)
        else {
            return (pos, After::Keep);
        };
        if len == 0 || len > MAX_CARRY_GAME {
            return (
                pos,
                After::Close(Closed::Protocol(format!("lockstep frame of {len} bytes"))),
            );
        }
        let Some(frame) = rest.get(4..4 + len) else {
            return (pos, After::Keep);
        };
        let (kind, body) = frame.split_first().unwrap_or((&0, &[]));
        ctx.notes.push(Note::Frame {
            id: ctx.id,
            kind: *kind,
            body: body.to_vec(),
        });
        pos += 4 + len;
    }
}

/// The hot path: complete lines of `input`. Returns the bytes used.
fn scan_lines(client: &mut Client, input: &[u8], ctx: &mut Context<'_>) -> (usize, After) {
    let mut pos = 0;
    while let Some(len) = scan::find_newline(input.get(pos..).unwrap_or_default()) {
        let line = input.get(pos..pos + len).unwrap_or_default();
        pos += len + 1;
        match scan::classify(line) {
            Line::Other => {}
            Line::Chat(text) => match scan::parse_stamp(text) {
                Some((sent, sender)) => {
                    ctx.tally.record(sent, ctx.now);
                    if sender == ctx.id {
                        ctx.notes.push(Note::Echo { id: ctx.id });
                    }
                }
                None => ctx.tally.foreign += 1,
            },
            Line::ChatResult(true) => {}
            Line::ChatResult(false) => ctx.notes.push(Note::ChatRefused { id: ctx.id }),
            Line::Result { action, code } => {
                let action = match action {
                    b"launch" => TableAction::Launch,
                    b"join" => TableAction::Join,
                    b"leave" => TableAction::Leave,
                    b"match" => TableAction::Match,
                    _ => continue,
                };
                let refused = (code != b"ok").then(|| String::from_utf8_lossy(code).into_owned());
                ctx.notes.push(Note::TableResult {
                    id: ctx.id,
                    action,
                    refused,
                });
            }
            Line::Join { table } => ctx.notes.push(Note::Seated { id: ctx.id, table }),
            Line::Leave => ctx.notes.push(Note::LeftTable { id: ctx.id }),
            Line::Matched { table, seat } => ctx.notes.push(Note::Matched {
                id: ctx.id,
                table,
                seat,
            }),
            Line::Ping => {
                client.out.extend_from_slice(b"<PONG/>\n");
                ctx.traffic.pings_answered += 1;
            }
            Line::SessionEnd => return (pos, After::Close(Closed::SessionEnded)),
            Line::ProtocolError => {
                return (
                    pos,
                    After::Close(Closed::Protocol(String::from_utf8_lossy(line).into_owned())),
                );
            }
        }
    }
    (pos, After::Keep)
}
