//! The control socket's IO (docs/control.md): a Unix listener in the data
//! directory, a few connections, bounded lines in and bounded replies out.
//! What a request means is decided in `crate::control`; this file moves
//! bytes. Requests on one connection are answered in order: while one
//! waits (a ban's commit, a reload), the next lines wait behind it.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use mio::net::{UnixListener, UnixStream};
use mio::{Interest, Registry, Token};

use crate::control::request::Lines;

/// Lines a connection may have waiting behind an unanswered request.
const MAX_HELD: usize = 16;
/// Reply bytes a connection may have unread before it is dropped.
const MAX_OUT: usize = 8 << 20;

struct CtlConn {
    stream: UnixStream,
    lines: Lines,
    held: VecDeque<Vec<u8>>,
    out: Vec<u8>,
    /// The request being answered later.
    waiting: Option<u64>,
    /// Close once `out` is written.
    closing: bool,
}

pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    base: usize,
    conns: Vec<Option<CtlConn>>,
    next_ticket: u64,
}

impl ControlSocket {
    /// Binds the socket (replacing a stale one that nobody answers on)
    /// with the given mode and group. Tokens `base..=base + max` become its own.
    pub fn bind(
        path: &Path,
        mode: u32,
        group: &str,
        max: usize,
        base: usize,
        registry: &Registry,
    ) -> io::Result<ControlSocket> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            use std::os::unix::fs::FileTypeExt;
            if !meta.file_type().is_socket() {
                return Err(io::Error::other(format!(
                    "{} exists and is not a socket",
                    path.display()
                )));
            }
            // Two servers with different data directories may still be
            // pointed at one socket path: never take a live one over.
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(io::Error::other(format!(
                    "another server answers on {}",
                    path.display()
                )));
            }
            std::fs::remove_file(path)?;
        }
        // Created owner-only, widened after the group is set: no moment
        // where others could connect.
        let old_mask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
        let bound = UnixListener::bind(path);
        nix::sys::stat::umask(old_mask);
        let mut listener = bound?;
        if !group.is_empty() {
            let gid = nix::unistd::Group::from_name(group)
                .map_err(io::Error::from)?
                .ok_or_else(|| io::Error::other(format!("no group {group:?}")))?
                .gid;
            nix::unistd::chown(path, None, Some(gid)).map_err(io::Error::from)?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o660))?;
        registry.register(&mut listener, Token(base), Interest::READABLE)?;
        let mut conns = Vec::new();
        conns.resize_with(max, || None);
        Ok(ControlSocket {
            listener,
            path: path.to_path_buf(),
            base,
            conns,
            next_ticket: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn owns(&self, token: Token) -> bool {
        token.0 >= self.base && token.0 <= self.base + self.conns.len()
    }

    pub fn connections(&self) -> usize {
        self.conns.iter().flatten().count()
    }

    /// A readiness event on one of our tokens.
    pub fn on_ready(&mut self, registry: &Registry, token: Token, writable: bool) {
        if token.0 == self.base {
            self.accept(registry);
            return;
        }
        let slot = token.0 - self.base - 1;
        self.read(slot);
        if writable {
            self.flush(slot, registry);
        }
        self.finish(slot, registry);
    }

    fn accept(&mut self, registry: &Registry) {
        loop {
            let Some(slot) = self.conns.iter().position(Option::is_none) else {
                // Full: the rest wait in the listen queue until one closes.
                return;
            };
            match self.listener.accept() {
                Ok((mut stream, _)) => {
                    let token = Token(self.base + 1 + slot);
                    if registry
                        .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                        .is_err()
                    {
                        continue;
                    }
                    if let Some(entry) = self.conns.get_mut(slot) {
                        *entry = Some(CtlConn {
                            stream,
                            lines: Lines::default(),
                            held: VecDeque::new(),
                            out: Vec::new(),
                            waiting: None,
                            closing: false,
                        });
                    }
                    // Bytes may already be there.
                    self.read(slot);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    fn read(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let mut buf = [0u8; 4096];
        while !conn.closing {
            match conn.stream.read(&mut buf) {
                Ok(0) => {
                    // The operator may half-close after the last request;
                    // answer what came, then close.
                    conn.closing = true;
                }
                Ok(n) => {
                    let held = &mut conn.held;
                    let fed = conn.lines.feed(buf.get(..n).unwrap_or_default(), |line| {
                        if !line.iter().all(u8::is_ascii_whitespace) {
                            held.push_back(line.to_vec());
                        }
                    });
                    if fed.is_err() || held.len() > MAX_HELD {
                        conn.held.clear();
                        conn.out.extend_from_slice(&crate::control::reply::line(
                            &crate::control::reply::error("request too long or too many"),
                        ));
                        conn.closing = true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    conn.held.clear();
                    conn.out.clear();
                    conn.closing = true;
                }
            }
        }
    }

    /// The next request to carry out: a line from a connection that is not
    /// waiting for an earlier answer. Gives it a ticket.
    pub fn next_request(&mut self) -> Option<(u64, Vec<u8>)> {
        let conn = self
            .conns
            .iter_mut()
            .flatten()
            .find(|c| c.waiting.is_none() && !c.held.is_empty())?;
        let line = conn.held.pop_front()?;
        self.next_ticket += 1;
        conn.waiting = Some(self.next_ticket);
        Some((self.next_ticket, line))
    }

    /// Queues the answer to `ticket`; a ticket whose connection went away
    /// is ignored.
    pub fn answer(&mut self, ticket: u64, reply: &serde_json::Value) {
        if let Some(conn) = self
            .conns
            .iter_mut()
            .flatten()
            .find(|c| c.waiting == Some(ticket))
        {
            conn.waiting = None;
            conn.out
                .extend_from_slice(&crate::control::reply::line(reply));
            if conn.out.len() > MAX_OUT {
                conn.out.clear();
                conn.held.clear();
                conn.closing = true;
            }
        }
    }

    /// Writes what is queued and closes what is finished.
    pub fn settle(&mut self, registry: &Registry) {
        for slot in 0..self.conns.len() {
            self.flush(slot, registry);
            self.finish(slot, registry);
        }
    }

    fn flush(&mut self, slot: usize, _registry: &Registry) {
        let Some(conn) = self.conns.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        while !conn.out.is_empty() {
            match conn.stream.write(&conn.out) {
                Ok(0) => break,
                Ok(n) => {
                    conn.out.drain(..n.min(conn.out.len()));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    conn.out.clear();
                    conn.held.clear();
                    conn.waiting = None;
                    conn.closing = true;
                }
            }
        }
    }

    fn finish(&mut self, slot: usize, registry: &Registry) {
        let Some(entry) = self.conns.get_mut(slot) else {
            return;
        };
        let done = entry.as_ref().is_some_and(|c| {
            c.closing && c.out.is_empty() && c.held.is_empty() && c.waiting.is_none()
        });
        if done && let Some(mut conn) = entry.take() {
            let _ = registry.deregister(&mut conn.stream);
            // A slot is free: take a connection that waited for one.
            self.accept(registry);
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
