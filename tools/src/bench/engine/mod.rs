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

mod client;
mod input;
mod notes;

use std::io::{self, ErrorKind, Write};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use ggzd::proto::decoder::{Decoder, Limits};
use ggzd::proto::escape::escape;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::clock::monotonic_ns;
use super::scan;
use super::ws::{self, WsLink};
use client::{Client, Role, Stage, connected, flush, read_some, start_tls};
use input::{check_carry, take_input};
pub use notes::{ChatTally, Closed, GameEvent, NodeSplit, Note, Plan, Route, TableAction, Traffic};

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
    /// Each player connection's target index (`NO_NODE` when unknown), by
    /// client id, to tell cross-node chat deliveries from same-node ones.
    node_of: Vec<u16>,
}

/// `node_of` for a client whose target is not known.
const NO_NODE: u16 = u16::MAX;

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
            node_of: Vec::new(),
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
        let plan = Plan::guest(name.to_owned(), None);
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
        let node = match (&self.spread, role) {
            (Some(spread), Role::Player) if self.web.is_none() => spread.node_of(&plan.name),
            _ => None,
        };
        if self.node_of.len() <= id {
            self.node_of.resize(id + 1, NO_NODE);
        }
        if let Some(slot) = self.node_of.get_mut(id) {
            *slot = node.and_then(|n| u16::try_from(n).ok()).unwrap_or(NO_NODE);
        }
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
                        table_in_view: None,
                        update_seats: false,
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

    /// The index of the target (`-s`) a player connection went to, when
    /// there are several.
    pub fn node_of(&self, id: ClientId) -> Option<u16> {
        self.node_of.get(id).copied().filter(|&n| n != NO_NODE)
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
                node_of: &self.node_of,
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
    node_of: &'a [u16],
}

impl Context<'_> {
    /// The target a client was sent to, when there are several.
    fn node_of(&self, id: ClientId) -> Option<u16> {
        self.node_of.get(id).copied().filter(|&n| n != NO_NODE)
    }
}
