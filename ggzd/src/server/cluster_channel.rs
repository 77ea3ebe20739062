//! Game channels relayed to a table of another node (docs/cluster.md §8).
//! The client opens its channel on this node as always; once the table's
//! node has granted the JOIN, this node dials that node's link listener,
//! sends a fixed 20-byte header with the one-time token, and then moves
//! bytes both ways between the client's socket and that connection. The
//! table's node reads exactly the header and hands the socket to its game
//! server, which sees an ordinary socket. Buffers are bounded each way: a
//! side is not read while the other side's buffer is full (backpressure
//! down to TCP). Either side closing ends both. A browser's channel is
//! first unwrapped by the WebSocket relay (`relay.rs`) into a socketpair,
//! whose end is relayed here like a TCP channel.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixStream as StdUnixStream;

use mio::net::{TcpStream, UnixStream};
use mio::{Interest, Registry, Token};

use super::Io;
use crate::cluster::tables::relay_header;
use crate::zone::ConnId;

/// Relayed channels' tokens: two per relay (the client, then the table's
/// node), after the node links' tokens.
pub const CHANNEL_BASE: usize = super::cluster::CLUSTER_BASE + 4096;
/// Most channels relayed at once.
pub const MAX_RELAYED: usize = 4096;
/// Bytes held per direction of one relay.
const CAP: usize = 64 * 1024;

pub fn owns(token: Token) -> bool {
    (CHANNEL_BASE..CHANNEL_BASE + 2 * MAX_RELAYED).contains(&token.0)
}

/// The serial given to a browser channel relayed to another node: no
/// table of this node has it, so its end concerns no table here.
const NO_TABLE: crate::zone::TableSerial = crate::zone::TableSerial::MAX;

/// The client's side of a relay: its TCP channel, or the socketpair end
/// of a browser's channel.
enum ClientSide {
    Tcp(TcpStream),
    Web(UnixStream),
}

impl Read for ClientSide {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ClientSide::Tcp(s) => s.read(buf),
            ClientSide::Web(s) => s.read(buf),
        }
    }
}

impl Write for ClientSide {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ClientSide::Tcp(s) => s.write(buf),
            ClientSide::Web(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            ClientSide::Tcp(s) => s.flush(),
            ClientSide::Web(s) => s.flush(),
        }
    }
}

impl mio::event::Source for ClientSide {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            ClientSide::Tcp(s) => s.register(r, t, i),
            ClientSide::Web(s) => s.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            ClientSide::Tcp(s) => s.reregister(r, t, i),
            ClientSide::Web(s) => s.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            ClientSide::Tcp(s) => s.deregister(r),
            ClientSide::Web(s) => s.deregister(r),
        }
    }
}

struct ChannelRelay {
    client: ClientSide,
    table: TcpStream,
    /// The table's node, whose death ends the relay.
    node: String,
    /// Client → table node (starts with the header).
    up: Vec<u8>,
    /// Table node → client.
    down: Vec<u8>,
    client_done: bool,
    table_done: bool,
    /// Writing to the table's node failed: the client's bytes are
    /// dropped, the table's still go to the client until its end.
    up_broken: bool,
}

#[derive(Default)]
pub struct Channels {
    relays: Vec<Option<ChannelRelay>>,
}

impl Io {
    /// Starts relaying the prepared channel `channel` to `node`, which
    /// granted `token`. On any failure the client's channel is closed,
    /// which its game client reads as the end of the game.
    pub(super) fn start_channel_relay(&mut self, channel: ConnId, node: &str, token: [u8; 16]) {
        let web = self.conn(channel).is_some_and(|c| c.is_web());
        let client = if web {
            // The WebSocket relay gives the game's bytes unframed on a
            // socketpair end, as it would give a local game server.
            let Some(fd) = self.take_web_channel(channel, NO_TABLE) else {
                return;
            };
            let end = StdUnixStream::from(fd);
            if let Err(e) = end.set_nonblocking(true) {
                log::error!("cannot make a relayed web channel non-blocking: {e}");
                return;
            }
            ClientSide::Web(UnixStream::from_std(end))
        } else {
            let Some(mut conn) = self.detach(channel) else {
                return;
            };
            if !matches!(conn.flush(), super::conn::Flush::Drained) {
                log::warn!("a game channel still had unsent bytes at its relay");
            }
            ClientSide::Tcp(conn.stream)
        };
        let address = self
            .cluster
            .as_ref()
            .and_then(|c| c.address_of(node))
            .and_then(|a| a.parse::<SocketAddr>().ok());
        let Some(address) = address else {
            log::warn!(target: "connections", "no address for {node}; a relayed channel is closed");
            return;
        };
        let table = match TcpStream::connect(address) {
            Ok(stream) => stream,
            Err(e) => {
                log::warn!(target: "connections", "cannot reach {node} for a game channel: {e}");
                return;
            }
        };
        let Some(cluster) = self.cluster.as_mut() else {
            return;
        };
        let relays = &mut cluster.channels.relays;
        let index = match relays.iter().position(Option::is_none) {
            Some(i) => i,
            None if relays.len() < MAX_RELAYED => {
                relays.push(None);
                relays.len() - 1
            }
            None => {
                log::warn!(target: "connections", "too many relayed game channels; one is closed");
                return;
            }
        };
        let mut relay = ChannelRelay {
            client,
            table,
            node: node.to_string(),
            up: relay_header(&token).to_vec(),
            down: Vec::new(),
            client_done: false,
            table_done: false,
            up_broken: false,
        };
        let _ = relay.table.set_nodelay(true);
        let registry = self.poll.registry();
        let token = CHANNEL_BASE + 2 * index;
        let both = Interest::READABLE | Interest::WRITABLE;
        if registry
            .register(&mut relay.client, Token(token), both)
            .and_then(|()| registry.register(&mut relay.table, Token(token + 1), both))
            .is_err()
        {
            log::error!("cannot watch a relayed game channel");
            return;
        }
        if let Some(slot) = relays.get_mut(index) {
            *slot = Some(relay);
        }
        log::info!(target: "connections", "a game channel is relayed to {node}");
        self.pump_channel_relay(Token(token));
    }

    /// Moves what both sides allow until nothing moves; ends the relay
    /// when a side is done and what it sent has gone on.
    pub(super) fn pump_channel_relay(&mut self, token: Token) {
        let index = (token.0 - CHANNEL_BASE) / 2;
        let Some(r) = self
            .cluster
            .as_mut()
            .and_then(|c| c.channels.relays.get_mut(index))
            .and_then(Option::as_mut)
        else {
            return;
        };
        let mut buf = [0u8; 16 * 1024];
        let failed = loop {
            let mut moved = false;
            match carry(
                &mut r.client,
                &mut r.up,
                &mut r.table,
                &mut buf,
                r.client_done,
            ) {
                Ok((m, done)) => {
                    moved |= m;
                    r.client_done |= done;
                }
                // The table's node cannot take more (its game server
                // closed, maybe with our bytes unread, so it reset): what
                // it sent before, often the GAMEOVER, may still wait to
                // be read, so only this direction stops here; the relay
                // ends with the table side's end of stream.
                Err(e) => {
                    if !r.up_broken {
                        log::debug!(target: "connections", "a relayed channel's table side refused bytes: {e}");
                    }
                    r.up_broken = true;
                    r.client_done = true;
                    r.up.clear();
                }
            }
            match carry(
                &mut r.table,
                &mut r.down,
                &mut r.client,
                &mut buf,
                r.table_done,
            ) {
                Ok((m, done)) => {
                    moved |= m;
                    r.table_done |= done;
                }
                Err(e) => break Some(e),
            }
            let client_ended = r.client_done && r.up.is_empty() && !r.up_broken;
            if client_ended || (r.table_done && r.down.is_empty()) {
                break Some("a side closed".to_string());
            }
            if !moved {
                break None;
            }
        };
        if let Some(why) = failed {
            self.end_channel_relay(index, &why);
        }
    }

    fn end_channel_relay(&mut self, index: usize, why: &str) {
        let Some(mut r) = self
            .cluster
            .as_mut()
            .and_then(|c| c.channels.relays.get_mut(index))
            .and_then(Option::take)
        else {
            return;
        };
        log::info!(target: "connections", "a game channel relayed to {} ends: {why}", r.node);
        let registry = self.poll.registry();
        let _ = registry.deregister(&mut r.client);
        let _ = registry.deregister(&mut r.table);
    }

    /// The node died: its relayed channels end (the sockets close).
    pub(super) fn end_channel_relays_of(&mut self, node: &str) {
        let ends: Vec<usize> = self
            .cluster
            .as_ref()
            .map(|c| {
                c.channels
                    .relays
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.as_ref().is_some_and(|r| r.node == node))
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        for index in ends {
            self.end_channel_relay(index, "its node is gone");
        }
    }
}

/// One direction: reads `from` while `held` has room (and `from` is not
/// done), writes `held` to `to`. Returns whether bytes moved and whether
/// `from` reached its end.
fn carry(
    from: &mut impl Read,
    held: &mut Vec<u8>,
    to: &mut impl Write,
    buf: &mut [u8],
    done: bool,
) -> Result<(bool, bool), String> {
    let mut moved = false;
    let mut ended = false;
    if !done && held.len() < CAP {
        let room = (CAP - held.len()).min(buf.len());
        match from.read(buf.get_mut(..room).unwrap_or_default()) {
            Ok(0) => ended = true,
            Ok(n) => {
                held.extend_from_slice(buf.get(..n).unwrap_or_default());
                moved = true;
            }
            Err(e) if again(&e) => {}
            // A reset ends this side as its end of stream would: bytes
            // held from it still go on instead of vanishing with the
            // relay (a game's last frames).
            Err(_) => ended = true,
        }
    }
    if !held.is_empty() {
        match to.write(held) {
            Ok(0) => return Err("wrote nothing".into()),
            Ok(n) => {
                held.drain(..n);
                moved = true;
            }
            Err(e) if again(&e) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok((moved, ended))
}

/// Not an error: try later (a dial still connecting says `NotConnected`).
fn again(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted | io::ErrorKind::NotConnected
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A socket's reads, scripted.
    struct Script(VecDeque<io::Result<Vec<u8>>>);

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.pop_front() {
                Some(Ok(bytes)) => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    Ok(n)
                }
                Some(Err(e)) => Err(e),
                None => Err(io::ErrorKind::WouldBlock.into()),
            }
        }
    }

    /// A socket that takes nothing now.
    struct Blocked;

    impl Write for Blocked {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::WouldBlock.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_reset_after_the_last_frames_still_delivers_them() {
        let mut from = Script(VecDeque::from([
            Ok(b"GAMEOVER".to_vec()),
            Err(io::ErrorKind::ConnectionReset.into()),
        ]));
        let mut held = Vec::new();
        let mut to = Vec::new();
        let mut buf = [0u8; 64];
        assert_eq!(
            carry(&mut from, &mut held, &mut to, &mut buf, false),
            Ok((true, false))
        );
        assert_eq!(
            carry(&mut from, &mut held, &mut to, &mut buf, false),
            Ok((false, true))
        );
        assert_eq!(to, b"GAMEOVER");
        assert!(held.is_empty());
    }

    #[test]
    fn bytes_held_at_a_reset_are_kept_for_a_later_write() {
        let mut from = Script(VecDeque::from([
            Ok(b"last".to_vec()),
            Err(io::ErrorKind::ConnectionReset.into()),
        ]));
        let mut held = Vec::new();
        let mut buf = [0u8; 64];
        let _ = carry(&mut from, &mut held, &mut Blocked, &mut buf, false);
        assert_eq!(
            carry(&mut from, &mut held, &mut Blocked, &mut buf, false),
            Ok((false, true))
        );
        assert_eq!(held, b"last");
        let mut to = Vec::new();
        assert_eq!(
            carry(&mut from, &mut held, &mut to, &mut buf, true),
            Ok((true, false))
        );
        assert_eq!(to, b"last");
    }

    #[test]
    fn a_side_that_refuses_writes_is_an_error_for_its_direction() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut from = Script(VecDeque::from([Ok(b"move".to_vec())]));
        let mut held = Vec::new();
        let mut buf = [0u8; 64];
        assert!(carry(&mut from, &mut held, &mut Broken, &mut buf, false).is_err());
    }
}
