//! The event loop's side of the `[web]` listener: reading a browser's
//! HTTP head, then its WebSocket frames, and writing queued lobby output
//! as text frames. The parsing and framing are in `crate::web`; the zone
//! sees an ordinary client connection (docs/websocket.md).

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::config::web::WebConfig;
use crate::web::http::{self, Head, Route};
use crate::web::static_files::Site;
use crate::web::ws::{Input, WsConn};
use crate::zone::{Close, Sink};

use super::Server;
use super::conn::{Conn, Flush, Transport};
use super::timers::Timer;
use super::wss;

/// Lobby output framed at once: whole queued messages are joined into one
/// text frame until it holds at least this much.
const FRAME_BATCH: usize = 16 * 1024;

pub struct WebConn {
    /// The request head so far; `None` once the WebSocket is open.
    head: Option<Vec<u8>>,
    pub ws: WsConn,
    /// wss: the TLS session under everything (`wss.rs`).
    pub tls: Option<Box<rustls::ServerConnection>>,
}

impl WebConn {
    pub fn new(config: &WebConfig, tls: Option<Box<rustls::ServerConnection>>) -> WebConn {
        WebConn {
            head: Some(Vec::new()),
            ws: WsConn::new(config),
            tls,
        }
    }

    /// Whether bytes wait for the socket: frames, or TLS records.
    pub fn wants_write(&self) -> bool {
        !self.ws.pending().is_empty() || super::wss::wants_write(self.tls.as_deref())
    }
}

impl Conn {
    /// Writes framed bytes, then frames more of the queue once those are
    /// out: besides the queue, a connection holds at most one batch.
    pub(super) fn flush_web(&mut self) -> Flush {
        loop {
            let Transport::Web(web) = &mut self.transport else {
                return Flush::Failed;
            };
            while !web.ws.pending().is_empty() {
                match wss::write(&mut self.stream, web.tls.as_deref_mut(), web.ws.pending()) {
                    Ok(0) => return Flush::Failed,
                    Ok(n) => web.ws.written(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.write_blocked = true;
                        return Flush::Blocked;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Flush::Failed,
                }
            }
            if let Some(tls) = web.tls.as_deref_mut() {
                match wss::flush(&mut self.stream, tls) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.write_blocked = true;
                        return Flush::Blocked;
                    }
                    Err(_) => return Flush::Failed,
                }
            }
            // Before the upgrade (or after a refusal) lobby output waits;
            // a refused connection is closing and drops it.
            if web.head.is_some() || self.outq.is_empty() {
                if self.closing.is_some() || self.outq.is_empty() {
                    // Also gives back a burst's queue capacity.
                    self.outq = VecDeque::new();
                    self.out_bytes = 0;
                }
                return Flush::Drained;
            }
            // Whole messages only (out_offset stays 0), so every frame is
            // complete UTF-8 and a browser may parse frame by frame.
            let mut batch: Vec<&[u8]> = Vec::new();
            let mut len = 0;
            for m in &self.outq {
                if !batch.is_empty() && len + m.len() > FRAME_BATCH {
                    break;
                }
                batch.push(m);
                len += m.len();
            }
            if web.ws.send_parts(&batch).is_err() {
                return Flush::Failed;
            }
            self.consume(len);
        }
    }

    /// Starts the close handshake and writes it if the socket takes it.
    pub(super) fn close_web(&mut self) {
        if let Transport::Web(web) = &mut self.transport {
            if web.head.is_none() {
                web.ws.close();
            }
            let _ = wss::write(&mut self.stream, web.tls.as_deref_mut(), web.ws.pending());
            wss::close_notify(&mut self.stream, web.tls.as_deref_mut());
        }
    }
}

impl Server {
    pub(super) fn accept_web(&mut self, now: Instant) {
        while let Some(listener) = &self.web_listener {
            match listener.accept() {
                Ok((stream, addr)) => {
                    // The same bound as a plain client's: a browser that
                    // stops reading must fill our output queue (and be
                    // dropped), not megabytes of kernel buffer first.
                    super::listener::bound_send_buffer(&stream, self.io.send_buffer);
                    self.add_web_connection(stream, addr, now)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::warn!("web: accept failed: {e}");
                    break;
                }
            }
        }
    }

    /// A connection to the `[web]` listener; with `[web] tls` its TLS
    /// session starts with the `[tls]` pair in force now.
    fn add_web_connection(&mut self, stream: mio::net::TcpStream, addr: SocketAddr, now: Instant) {
        let tls = match (self.io.web.tls, &self.io.tls) {
            (false, _) => None,
            (true, Some(config)) => match super::tls::accept(config) {
                Ok(session) => Some(session),
                Err(e) => {
                    log::error!("web: cannot start TLS: {e}");
                    return;
                }
            },
            (true, None) => {
                // A reload took the pair away; plain text is not a fallback.
                log::error!("web: wss without a certificate: refusing {addr}");
                return;
            }
        };
        let web = super::web::WebConn::new(&self.io.web, tls);
        self.add_connection(stream, addr, now, Some(web));
    }

    /// Reads a `[web]` connection until its socket is empty. Whatever goes
    /// wrong (a bad head, a bad frame) costs only this connection.
    pub(super) fn read_web(&mut self, slot: u32, now: Instant) {
        let config = Arc::clone(&self.io.web);
        let site = Arc::clone(&self.io.site);
        loop {
            let Some(conn) = self.io.conn_mut(slot) else {
                return;
            };
            if conn.reading_stopped || conn.closing.is_some() || conn.eof {
                return;
            }
            let id = conn.id;
            let Transport::Web(web) = &mut conn.transport else {
                return;
            };
            let read = wss::read(&mut conn.stream, web.tls.as_deref_mut(), &mut self.scratch);
            if web.wants_write() {
                // TLS handshake records.
                self.io.mark_dirty(id);
            }
            let n = match read {
                Ok(0) => return self.peer_finished(slot, now),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if e.kind() == io::ErrorKind::InvalidData {
                        log::info!(target: "connections", "web: TLS failed: {e}");
                    }
                    return self.drop_connection(id, now);
                }
            };
            let Some(conn) = self.io.conn_mut(slot) else {
                return;
            };
            let fresh = self.scratch.get(..n).unwrap_or_default();
            let addr = conn.stream.peer_addr().ok();
            let Transport::Web(web) = &mut conn.transport else {
                return;
            };
            let step = step(web, fresh, &config, &site);
            let wants_write = web.wants_write();
            if wants_write {
                self.io.mark_dirty(id);
            }
            let input = match step {
                Step::More => continue,
                Step::Served => {
                    self.io.close(id, Close::AfterFlush);
                    return;
                }
                Step::Refused(status) => {
                    log::info!(target: "connections", "web: refused {addr:?}: {status:?}");
                    self.io.close(id, Close::AfterFlush);
                    return;
                }
                Step::Failed(why) => {
                    log::info!(target: "connections", "web: dropping a WebSocket: {why}");
                    self.io.close(id, Close::AfterFlush);
                    return;
                }
                Step::Input(input) => input,
            };
            for message in input.messages {
                let Some(dst) = self.scratch.get_mut(..message.len()) else {
                    self.io.close(id, Close::Now);
                    return;
                };
                dst.copy_from_slice(&message);
                if !self.process_input(slot, message.len(), false, now) {
                    return;
                }
            }
            if input.closed {
                // The echo of the close frame goes out, then the socket.
                self.io.close(id, Close::AfterFlush);
                return;
            }
        }
    }

    /// Pings every open WebSocket, so that dead peers and idle proxies
    /// show up, then arms the next round.
    pub(super) fn ping_web(&mut self, now: Instant) {
        let Some(interval) = self.io.web.ping_interval() else {
            return;
        };
        let mut pinged = Vec::new();
        for conn in self.io.conns.iter_mut().flatten() {
            if let Transport::Web(web) = &mut conn.transport
                && web.head.is_none()
                && conn.closing.is_none()
                // One that has not taken the last frames needs no ping,
                // and must not pile them up.
                && !web.wants_write()
                && web.ws.ping().is_ok()
            {
                pinged.push(conn.id);
            }
        }
        for id in pinged {
            self.io.mark_dirty(id);
        }
        self.io.timers.add(now + interval, Timer::WebPing);
    }
}

enum Step {
    /// The request head is not complete yet.
    More,
    /// A file (or its error status) was answered; the connection closes.
    Served,
    Refused(http::Status),
    Failed(String),
    Input(Input),
}

/// Fresh bytes of a `[web]` connection: the head until it is complete
/// (answered with 101 or an error status), then WebSocket frames.
fn step(web: &mut WebConn, fresh: &[u8], config: &WebConfig, site: &Site) -> Step {
    let mut after_head = Vec::new();
    let frames = match &mut web.head {
        Some(head) => {
            head.extend_from_slice(fresh);
            let route = match http::parse(head) {
                Ok(Head::Partial) => return Step::More,
                Ok(Head::Complete(request, len)) => {
                    after_head = head.split_off(len.min(head.len()));
                    match http::route(&request, config) {
                        Route::File => {
                            // Small files from memory; the answer waits
                            // in the framing buffer like a refusal does.
                            web.ws.queue_raw(&site.answer(&request));
                            return Step::Served;
                        }
                        route => route,
                    }
                }
                Err(status) => Route::Refuse(status),
            };
            match route {
                Route::Lobby { accept } => {
                    web.ws.queue_raw(&http::switching(&accept));
                    web.head = None;
                    after_head.as_slice()
                }
                Route::Refuse(status) => {
                    web.ws.queue_raw(&http::refusal(status));
                    return Step::Refused(status);
                }
                Route::File => return Step::Served,
            }
        }
        None => fresh,
    };
    match web.ws.feed(frames) {
        Ok(input) => Step::Input(input),
        Err(why) => Step::Failed(why),
    }
}
