//! The metrics endpoint's IO: a TCP listener (loopback by default), a few
//! connections, each read up to one bounded request head, answered once
//! and closed. The request is understood by `crate::metrics::http`; the
//! body is rendered by the caller. A scraper that stalls loses its slot to
//! the next one.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use crate::metrics::http::{self, Head};

/// Scrapes served at once.
const SLOTS: usize = 4;

struct Scrape {
    stream: TcpStream,
    head: Vec<u8>,
    out: Vec<u8>,
    answered: bool,
    /// Order of arrival, to evict the oldest when full.
    serial: u64,
}

pub struct MetricsEndpoint {
    listener: TcpListener,
    base: usize,
    slots: Vec<Option<Scrape>>,
    serial: u64,
}

impl MetricsEndpoint {
    /// Tokens `base..=base + SLOTS` become its own.
    pub fn bind(addr: SocketAddr, base: usize, registry: &Registry) -> io::Result<MetricsEndpoint> {
        let mut listener = TcpListener::bind(addr)?;
        registry.register(&mut listener, Token(base), Interest::READABLE)?;
        let mut slots = Vec::new();
        slots.resize_with(SLOTS, || None);
        Ok(MetricsEndpoint {
            listener,
            base,
            slots,
            serial: 0,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn owns(&self, token: Token) -> bool {
        token.0 >= self.base && token.0 <= self.base + SLOTS
    }

    /// A readiness event. `render` builds the body when a complete
    /// `GET /metrics` arrived.
    pub fn on_ready(
        &mut self,
        registry: &Registry,
        token: Token,
        render: &mut dyn FnMut() -> String,
    ) {
        if token.0 == self.base {
            self.accept(registry, render);
        } else {
            self.serve(token.0 - self.base - 1, registry, render);
        }
    }

    fn accept(&mut self, registry: &Registry, render: &mut dyn FnMut() -> String) {
        loop {
            let (mut stream, _) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            let slot = match self.slots.iter().position(Option::is_none) {
                Some(slot) => slot,
                None => {
                    let oldest = self
                        .slots
                        .iter()
                        .enumerate()
                        .filter_map(|(i, s)| s.as_ref().map(|s| (s.serial, i)))
                        .min()
                        .map_or(0, |(_, i)| i);
                    self.drop_slot(oldest, registry);
                    oldest
                }
            };
            if registry
                .register(
                    &mut stream,
                    Token(self.base + 1 + slot),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_err()
            {
                continue;
            }
            self.serial += 1;
            if let Some(entry) = self.slots.get_mut(slot) {
                *entry = Some(Scrape {
                    stream,
                    head: Vec::new(),
                    out: Vec::new(),
                    answered: false,
                    serial: self.serial,
                });
            }
            self.serve(slot, registry, render);
        }
    }

    fn serve(&mut self, slot: usize, registry: &Registry, render: &mut dyn FnMut() -> String) {
        let Some(scrape) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let mut gone = false;
        let mut buf = [0u8; 2048];
        while !scrape.answered {
            match scrape.stream.read(&mut buf) {
                Ok(0) => {
                    gone = true;
                    break;
                }
                Ok(n) => {
                    let room = http::MAX_HEAD.saturating_sub(scrape.head.len());
                    scrape
                        .head
                        .extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
                    let head = http::parse(&scrape.head);
                    if head != Head::Incomplete {
                        let body = match head {
                            Head::Metrics { .. } => render(),
                            _ => String::new(),
                        };
                        scrape.out = http::response(head, &body);
                        scrape.answered = true;
                        scrape.head = Vec::new();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    gone = true;
                    break;
                }
            }
        }
        while scrape.answered && !scrape.out.is_empty() && !gone {
            match scrape.stream.write(&scrape.out) {
                Ok(0) => gone = true,
                Ok(n) => {
                    scrape.out.drain(..n.min(scrape.out.len()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => gone = true,
            }
        }
        if gone || (scrape.answered && scrape.out.is_empty()) {
            self.drop_slot(slot, registry);
        }
    }

    fn drop_slot(&mut self, slot: usize, registry: &Registry) {
        if let Some(mut scrape) = self.slots.get_mut(slot).and_then(Option::take) {
            let _ = registry.deregister(&mut scrape.stream);
        }
    }
}
