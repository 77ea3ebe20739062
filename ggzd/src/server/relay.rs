//! Game channels over WebSocket in the event loop: a game server cannot
//! take a WebSocket, so it gets one end of a socketpair, exactly as it
//! gets a TCP channel, and the loop relays between the other end and the
//! browser's binary messages (`crate::web::relay`, bounded both ways).

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream as StdUnixStream;

use mio::net::{TcpStream, UnixStream};
use mio::{Interest, Token};

use crate::web::relay::Relay;
use crate::zone::{ConnId, TableEvent, TableSerial};

use super::Io;
use super::conn::Transport;

/// Relay tokens: two per relay (the browser's socket, then the game
/// server's end), between the connections' and the tables' tokens.
pub const RELAY_BASE: usize = usize::MAX / 4;

/// Bytes moved per read.
const CHUNK: usize = 16 * 1024;

pub struct RelayConn {
    client: TcpStream,
    /// wss: the browser's TLS session, carried over from its connection.
    tls: Option<Box<rustls::ServerConnection>>,
    game: UnixStream,
    relay: Relay,
    /// The table, and the id the channel had as a connection: when the
    /// browser's side ends, the zone learns whose channel it was.
    table: TableSerial,
    channel: ConnId,
}

impl Io {
    /// Takes a prepared WebSocket game channel out of the connection slab
    /// and starts relaying it; returns the game server's end.
    pub(super) fn take_web_channel(&mut self, id: ConnId, table: TableSerial) -> Option<OwnedFd> {
        let mut conn = self.detach(id)?;
        // The channel's own `</SESSION>` goes before any game byte.
        if !matches!(conn.flush(), super::conn::Flush::Drained) {
            log::warn!("web: a game channel still had unsent bytes at its hand-off");
        }
        let Transport::Web(web) = conn.transport else {
            return None;
        };
        let (ours, theirs) = match StdUnixStream::pair() {
            Ok(pair) => pair,
            Err(e) => {
                log::error!("web: cannot make a socketpair for a game channel: {e}");
                return None;
            }
        };
        if let Err(e) = ours.set_nonblocking(true) {
            log::error!("web: cannot make a socketpair non-blocking: {e}");
            return None;
        }
        let limit = self.web.max_message_size * 2;
        let mut relay = RelayConn {
            client: conn.stream,
            tls: web.tls,
            game: UnixStream::from_std(ours),
            relay: Relay::new(web.ws, limit),
            table,
            channel: id,
        };
        let index = match self.relays.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.relays.push(None);
                self.relays.len() - 1
            }
        };
        let registry = self.poll.registry();
        let token = RELAY_BASE + 2 * index;
        let both = Interest::READABLE | Interest::WRITABLE;
        if registry
            .register(&mut relay.client, Token(token), both)
            .and_then(|()| registry.register(&mut relay.game, Token(token + 1), both))
            .is_err()
        {
            log::error!("web: cannot watch a relayed game channel");
            return None;
        }
        if let Some(slot) = self.relays.get_mut(index) {
            *slot = Some(relay);
        }
        // Bytes may already wait on either side.
        self.pump_relay(Token(token));
        Some(OwnedFd::from(theirs))
    }

    /// Moves what both sides allow until neither moves; ends the relay
    /// when one side is done and the other has what it was owed.
    pub(super) fn pump_relay(&mut self, token: Token) {
        let index = (token.0 - RELAY_BASE) / 2;
        let Some(r) = self.relays.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        let mut buf = [0u8; CHUNK];
        // A side whose socket was found empty is not read again in this
        // pump: readiness is edge-triggered, so bytes that arrive later
        // raise a new event (two syscalls fewer per message relayed).
        let (mut client_empty, mut game_empty) = (false, false);
        let ended = loop {
            let mut moved = false;
            let room = r.relay.client_room().min(CHUNK);
            if room > 0 && !client_empty {
                let got = super::wss::read(
                    &mut r.client,
                    r.tls.as_deref_mut(),
                    buf.get_mut(..room).unwrap_or_default(),
                );
                match step(got) {
                    Step::Got(0) => break Some(("the browser closed".to_string(), true)),
                    Step::Got(n) => {
                        if let Err(e) = r.relay.from_client(buf.get(..n).unwrap_or_default()) {
                            break Some((e, true));
                        }
                        moved = true;
                    }
                    Step::Again => client_empty = true,
                    Step::Failed(e) => break Some((e, true)),
                }
            }
            if !r.relay.game_output().is_empty() {
                match write(&mut r.game, r.relay.game_output()) {
                    Step::Got(n) => {
                        r.relay.game_written(n);
                        moved |= n > 0;
                    }
                    Step::Again => {}
                    // The game server's end is closed: what it wrote
                    // before (the last GAME_OVER) is still read below
                    // and reaches the browser before the close.
                    Step::Failed(e) => {
                        log::debug!(target: "connections", "web: a game server took no more input: {e}");
                        r.relay.game_unwritable();
                        moved = true;
                    }
                }
            }
            let room = r.relay.game_room().min(CHUNK);
            if room > 0 && !game_empty {
                match read(&mut r.game, buf.get_mut(..room).unwrap_or_default()) {
                    Step::Got(0) => {
                        r.relay.game_finished();
                        moved = true;
                    }
                    Step::Got(n) => {
                        if let Err(e) = r.relay.from_game(buf.get(..n).unwrap_or_default()) {
                            break Some((e, false));
                        }
                        moved = true;
                    }
                    Step::Again => game_empty = true,
                    // A unix socket reports ECONNRESET only once its data
                    // is read (the game closed with our input unread):
                    // an end like EOF, the browser still gets the rest.
                    Step::Failed(e) => {
                        log::debug!(target: "connections", "web: a game server's end failed: {e}");
                        r.relay.game_unwritable();
                        r.relay.game_finished();
                        moved = true;
                    }
                }
            }
            if !r.relay.client_output().is_empty() {
                let put =
                    super::wss::write(&mut r.client, r.tls.as_deref_mut(), r.relay.client_output());
                match step(put) {
                    Step::Got(0) => break Some(("wrote nothing".to_string(), true)),
                    Step::Got(n) => {
                        r.relay.client_written(n);
                        moved |= n > 0;
                    }
                    Step::Again => {}
                    Step::Failed(e) => break Some((e, true)),
                }
            }
            if let Some(tls) = r.tls.as_deref_mut()
                && let Err(e) = super::wss::flush(&mut r.client, tls)
                && e.kind() != io::ErrorKind::WouldBlock
            {
                break Some((e.to_string(), true));
            }
            if r.relay.finished() {
                break Some((
                    "both sides are done".to_string(),
                    r.relay.closed_by_client(),
                ));
            }
            if !moved {
                break None;
            }
        };
        if let Some((why, by_browser)) = ended {
            log::info!(target: "connections", "web: game channel relay ends: {why}");
            if let Some(mut r) = self.relays.get_mut(index).and_then(Option::take) {
                super::wss::close_notify(&mut r.client, r.tls.as_deref_mut());
                let registry = self.poll.registry();
                let _ = registry.deregister(&mut r.client);
                let _ = registry.deregister(&mut r.game);
                // The player is gone from the game; the zone decides
                // what that means for the seat (a held seat mid-game).
                if by_browser {
                    self.games
                        .events
                        .push((r.table, TableEvent::ChannelClosed(r.channel)));
                }
            }
        }
    }
}

enum Step {
    Got(usize),
    Again,
    Failed(String),
}

fn read(stream: &mut impl Read, buf: &mut [u8]) -> Step {
    loop {
        return match stream.read(buf) {
            Ok(n) => Step::Got(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Step::Again,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Step::Failed(e.to_string()),
        };
    }
}

/// The browser's side, whose calls (`wss.rs`) retry nothing themselves:
/// an interruption is retried by the pump's next round.
fn step(result: io::Result<usize>) -> Step {
    match result {
        Ok(n) => Step::Got(n),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Step::Again,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Step::Again,
        Err(e) => Step::Failed(e.to_string()),
    }
}

fn write(stream: &mut impl Write, bytes: &[u8]) -> Step {
    loop {
        return match stream.write(bytes) {
            Ok(0) => Step::Failed("wrote nothing".into()),
            Ok(n) => Step::Got(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Step::Again,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Step::Failed(e.to_string()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The premise of the pump's game-side error handling: a game server
    /// that exits with our input unread makes our writes fail and our
    /// reads end in an error, but only after what it wrote before.
    #[test]
    fn a_game_end_closed_with_unread_input_still_yields_its_last_words() {
        let (ours, game) = StdUnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut ours = ours;
        let mut game = game;
        assert!(matches!(write(&mut ours, b"input"), Step::Got(5)));
        game.write_all(b"GAME_OVER").unwrap();
        drop(game);
        assert!(matches!(write(&mut ours, b"more"), Step::Failed(_)));
        let mut relay = Relay::with_config(&crate::config::web::WebConfig::default());
        let mut buf = [0u8; 64];
        loop {
            match read(&mut ours, &mut buf) {
                Step::Got(0) => {
                    relay.game_finished();
                    break;
                }
                Step::Got(n) => relay.from_game(&buf[..n]).unwrap(),
                Step::Again => panic!("a closed peer never leaves us waiting"),
                Step::Failed(_) => {
                    relay.game_unwritable();
                    relay.game_finished();
                    break;
                }
            }
        }
        assert_eq!(relay.client_output(), b"\x82\x09GAME_OVER\x88\x00");
    }
}
