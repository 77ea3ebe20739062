//! The read side of a client connection: plain and TLS reads, the
//! decoder, and a peer that finished sending.

use std::io::{self, Read};
use std::time::Instant;

use super::Server;
use super::conn::{TlsRead, Transport};
use crate::proto::decoder::Event;

impl Server {
    /// Reads whatever the socket has and feeds it through the decoder.
    /// `hung_up`: the peer's end (or an error) was reported with the data,
    /// so reading goes on until the socket says so.
    pub(super) fn read(&mut self, slot: u32, hung_up: bool, now: Instant) {
        loop {
            let Some(conn) = self.io.conn_mut(slot) else {
                return;
            };
            if conn.reading_stopped || conn.closing.is_some() || conn.eof {
                return;
            }
            let id = conn.id;
            if conn.is_web() {
                return self.read_web(slot, now);
            }
            if conn.is_tls() {
                return self.read_tls(slot, now);
            }
            // Before a connection is known to be a player it may be a game
            // channel, whose bytes after `</SESSION>` belong to the game:
            // peek, and take only what the decoder used.
            let exact = self.zone.wants_exact_reads(id);
            let read = if exact {
                conn.peek(&mut self.scratch)
            } else {
                conn.stream.read(&mut self.scratch)
            };
            match read {
                Ok(0) => {
                    self.peer_finished(slot, now);
                    return;
                }
                Ok(n) => {
                    if !self.process_input(slot, n, exact, now) {
                        return;
                    }
                    if self.io.conn_mut(slot).is_some_and(|c| c.is_tls()) {
                        // Just switched: the ClientHello may be waiting.
                        continue;
                    }
                    // A short read emptied the socket. Readiness is
                    // edge-triggered, so bytes that arrive later raise a
                    // new event: the read that would only say "would
                    // block" is one syscall per message saved. An end
                    // already reported raises no new event: read on to it.
                    if n < self.scratch.len() && !hung_up {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.drop_connection(id, now);
                    return;
                }
            }
        }
    }

    /// Reads a TLS connection until its socket is empty: decrypted bytes go
    /// through the decoder like plain ones; handshake records to send make
    /// the connection dirty. A TLS failure costs only this connection.
    pub(super) fn read_tls(&mut self, slot: u32, now: Instant) {
        loop {
            let Some(conn) = self.io.conn_mut(slot) else {
                return;
            };
            if conn.reading_stopped || conn.closing.is_some() {
                return;
            }
            let id = conn.id;
            let step = conn.read_tls(&mut self.scratch);
            let wants_write = conn.tls_wants_write();
            if wants_write {
                self.io.mark_dirty(id);
            }
            match step {
                TlsRead::Data(n) => {
                    if !self.process_input(slot, n, false, now) {
                        return;
                    }
                }
                TlsRead::Again => return,
                TlsRead::Closed => {
                    self.drop_connection(id, now);
                    return;
                }
                TlsRead::Failed(why) => {
                    log::info!(target: "connections", "TLS failed: {why}");
                    self.drop_connection(id, now);
                    return;
                }
            }
        }
    }

    /// Decodes `n` fresh bytes from the scratch buffer. Returns whether the
    /// caller may read on.
    pub(super) fn process_input(
        &mut self,
        slot: u32,
        n: usize,
        peeked: bool,
        now: Instant,
    ) -> bool {
        let Some(conn) = self.io.conn_mut(slot) else {
            return false;
        };
        let id = conn.id;
        let fresh = self.scratch.get(..n).unwrap_or_default();
        let held = conn.inbuf.len();
        let mut buffer = std::mem::take(&mut conn.inbuf);
        buffer.extend_from_slice(fresh);
        let mut pos = 0;
        let mut ended_at = None;
        let mut switched_at = None;
        loop {
            let Some(conn) = self.io.conn_mut(slot) else {
                return false;
            };
            if conn.id != id || conn.closing.is_some() || conn.reading_stopped {
                break;
            }
            let progress = match conn.decoder.feed(buffer.get(pos..).unwrap_or_default()) {
                Ok(p) => p,
                Err(error) => {
                    self.zone.on_decode_error(id, &error, now, &mut self.io);
                    return false;
                }
            };
            pos += progress.consumed;
            let ended = matches!(progress.event, Some(Event::SessionEnd));
            if let Some(serial) = progress
                .event
                .as_ref()
                .and_then(|event| self.zone.table_to_catch_up(id, event))
            {
                self.catch_up_table(serial, now);
            }
            match progress.event {
                Some(event) => self.zone.on_event(id, event, now, &mut self.io),
                None if progress.consumed == 0 => break,
                None => {}
            }
            if let Some(conn) = self.io.conn_mut(slot)
                && conn.id == id
                && let Transport::Switching(_) = conn.transport
            {
                // TLS_START: the next byte is the ClientHello's.
                switched_at = Some(pos);
                break;
            }
            if ended {
                // Clients end every element with a newline; the original
                // swallowed it with its buffered reads, and game servers
                // must not see it as the first byte of their protocol.
                let trailing = buffer
                    .get(pos..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|b| matches!(b, b'\n' | b'\r' | b' ' | b'\t'))
                    .count();
                ended_at = Some(pos + trailing);
                break;
            }
        }
        let Some(conn) = self.io.conn_mut(slot) else {
            return false;
        };
        if conn.id != id {
            return false;
        }
        if peeked {
            // Take from the socket exactly the bytes the decoder used (or,
            // short of `</SESSION>`, everything peeked).
            let take = match ended_at.or(switched_at) {
                Some(end) => end.saturating_sub(held),
                None => n,
            };
            if conn.discard(take, &mut self.scratch).is_err() {
                self.drop_connection(id, now);
                return false;
            }
        }
        if ended_at.is_some() {
            return false;
        }
        if switched_at.is_some() {
            let rest = buffer.get(pos..).unwrap_or_default();
            // The zone switches only fresh connections, which are read
            // with peeks: the TLS bytes are still in the socket.
            if !peeked && !rest.is_empty() {
                log::warn!("TLS_START on a connection read ahead; dropping it");
                self.drop_connection(id, now);
                return false;
            }
            let Some(conn) = self.io.conn_mut(slot) else {
                return false;
            };
            conn.inbuf = Vec::new();
            if let Transport::Switching(tls) =
                std::mem::replace(&mut conn.transport, Transport::Plain)
            {
                conn.transport = Transport::Tls(tls);
            }
            // Read on: the ClientHello may already be there.
            return true;
        }
        buffer.drain(..pos.min(buffer.len()));
        if buffer.len() > 1024 || buffer.capacity() <= 4096 {
            conn.inbuf = buffer;
        } else {
            // Keep idle connections small.
            conn.inbuf = buffer.as_slice().to_vec();
        }
        conn.closing.is_none() && !conn.reading_stopped
    }

    /// The peer shut down its sending side (or closed). Answers already
    /// due, or pending in a worker, still go out before the close.
    pub(super) fn peer_finished(&mut self, slot: u32, now: Instant) {
        let Some(conn) = self.io.conn_mut(slot) else {
            return;
        };
        conn.eof = true;
        let id = conn.id;
        if !self.zone.peer_finished(id, now, &mut self.io) {
            self.drop_connection(id, now);
        }
    }
}
