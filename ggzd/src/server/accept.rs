//! Taking new connections off the listener, and pausing it when accept
//! fails (out of descriptors) or the server shuts down.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use super::conn::Transport;
use super::timers::Timer;
use super::{ACCEPT_PAUSE, Server, listener, web};

impl Server {
    pub(super) fn accept(&mut self, now: Instant) {
        while self.listening {
            match self.listener.accept() {
                Ok((stream, addr)) => self.add_connection(stream, addr, now, None),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Out of descriptors, most likely: pause instead of
                    // spinning on a listener that stays readable.
                    log::warn!("accept failed: {e}; pausing");
                    self.stop_listening();
                    self.io.timers.add(now + ACCEPT_PAUSE, Timer::ResumeAccept);
                    break;
                }
            }
        }
    }

    pub(super) fn add_connection(
        &mut self,
        stream: mio::net::TcpStream,
        addr: SocketAddr,
        now: Instant,
        web: Option<web::WebConn>,
    ) {
        let _ = stream.set_nodelay(true);
        listener::bound_send_buffer(&stream, self.io.send_buffer);
        let Some(id) = self.io.insert(stream, addr) else {
            return;
        };
        if let Some(web) = web
            && let Some(conn) = self.io.conn_mut_by_id(id)
        {
            conn.transport = Transport::Web(Box::new(web));
        }
        if !self.zone.connected(id, addr.ip(), now, &mut self.io) {
            log::debug!("connection from {addr} refused");
        }
    }

    pub(super) fn stop_listening(&mut self) {
        if self.listening {
            let _ = self.io.poll.registry().deregister(&mut self.listener);
            self.listening = false;
        }
        if self.shutting_down
            && let Some(mut web) = self.web_listener.take()
        {
            let _ = self.io.poll.registry().deregister(&mut web);
        }
    }
}
