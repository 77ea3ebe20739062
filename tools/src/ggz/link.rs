//! A nonblocking socket with bounded input and output buffers, driven by
//! the session's `mio::Poll`; plain, or TLS once [`Link::start_tls`] ran.

use std::io::{self, ErrorKind, Read, Write};
use std::sync::Arc;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

/// Bytes asked for per read.
const READ_CHUNK: usize = 16 * 1024;

/// Most bytes read in one readiness event before others get a turn.
const READ_BUDGET: usize = 256 * 1024;

/// Most unsent bytes kept; the client writes little, so reaching this
/// means the server stopped reading.
pub const MAX_UNSENT: usize = 1024 * 1024;

/// What a read turn found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReadOutcome {
    /// Bytes that arrived.
    pub bytes: Vec<u8>,
    /// The peer closed its side (or reset the connection).
    pub closed: bool,
}

/// A registered socket and the bytes waiting to go out.
#[derive(Debug)]
pub struct Link {
    stream: TcpStream,
    token: Token,
    unsent: Vec<u8>,
    /// Whether WRITABLE is part of the registration.
    wants_write: bool,
    /// After `TLS_START`: `unsent` is plaintext for rustls.
    tls: Option<Box<rustls::ClientConnection>>,
}

impl Link {
    /// Makes `stream` nonblocking and registers it for reading.
    pub fn register(
        stream: std::net::TcpStream,
        registry: &Registry,
        token: Token,
    ) -> io::Result<Link> {
        stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(stream);
        registry.register(&mut stream, token, Interest::READABLE)?;
        Ok(Link {
            stream,
            token,
            unsent: Vec::new(),
            wants_write: false,
            tls: None,
        })
    }

    /// Starts a TLS client handshake on the socket; everything sent from
    /// now on is encrypted. What was queued before (the `TLS_START`
    /// itself) must have left in plain.
    pub fn start_tls(
        &mut self,
        registry: &Registry,
        config: Arc<rustls::ClientConfig>,
        name: rustls::pki_types::ServerName<'static>,
    ) -> io::Result<()> {
        if !self.unsent.is_empty() {
            return Err(io::Error::other("TLS_START did not leave in one piece"));
        }
        let tls = rustls::ClientConnection::new(config, name).map_err(io::Error::other)?;
        self.tls = Some(Box::new(tls));
        self.flush(registry)
    }

    /// Whether the connection is inside TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// TLS has records to send (handshake, alerts): call [`Link::flush`].
    pub fn needs_flush(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Reads and decrypts what is there, up to a budget. A handshake
    /// failure (a certificate not trusted, say) is an error that says why.
    fn read_tls(&mut self) -> io::Result<ReadOutcome> {
        let mut outcome = ReadOutcome::default();
        let Some(tls) = self.tls.as_mut() else {
            return Ok(outcome);
        };
        let mut chunk = [0u8; READ_CHUNK];
        while outcome.bytes.len() < READ_BUDGET {
            loop {
                match tls.reader().read(&mut chunk) {
                    Ok(0) => {
                        outcome.closed = true;
                        return Ok(outcome);
                    }
                    Ok(n) => outcome
                        .bytes
                        .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                        outcome.closed = true;
                        return Ok(outcome);
                    }
                    Err(e) => return Err(e),
                }
            }
            match tls.read_tls(&mut self.stream) {
                Ok(0) => {
                    outcome.closed = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                    ) =>
                {
                    outcome.closed = true;
                    break;
                }
                Err(e) => return Err(e),
            }
            if let Err(e) = tls.process_new_packets() {
                // Tell the server why, best effort.
                let _ = tls.write_tls(&mut self.stream);
                return Err(io::Error::other(format!("TLS: {e}")));
            }
        }
        // Plaintext decrypted by the last packets.
        while let Ok(n) = tls.reader().read(&mut chunk) {
            if n == 0 {
                outcome.closed = true;
                break;
            }
            outcome
                .bytes
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        Ok(outcome)
    }

    /// Reads what is there, up to a budget.
    pub fn read_available(&mut self) -> io::Result<ReadOutcome> {
        if self.tls.is_some() {
            return self.read_tls();
        }
        let mut outcome = ReadOutcome::default();
        let mut chunk = [0u8; READ_CHUNK];
        while outcome.bytes.len() < READ_BUDGET {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    outcome.closed = true;
                    break;
                }
                Ok(n) => outcome
                    .bytes
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                    ) =>
                {
                    outcome.closed = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(outcome)
    }

    /// Queues `bytes` and writes as much as the socket takes now.
    pub fn send(&mut self, registry: &Registry, bytes: &[u8]) -> io::Result<()> {
        if self.unsent.len() + bytes.len() > MAX_UNSENT {
            return Err(io::Error::other("the server is not reading what we send"));
        }
        self.unsent.extend_from_slice(bytes);
        self.flush(registry)
    }

    /// Writes queued bytes; asks for WRITABLE while some remain.
    pub fn flush(&mut self, registry: &Registry) -> io::Result<()> {
        if let Some(tls) = self.tls.as_mut() {
            loop {
                if tls.wants_write() {
                    match tls.write_tls(&mut self.stream) {
                        Ok(0) => return Err(io::Error::from(ErrorKind::WriteZero)),
                        Ok(_) => continue,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                }
                if self.unsent.is_empty() {
                    break;
                }
                match tls.writer().write(&self.unsent) {
                    // rustls holds plaintext until the handshake is done.
                    Ok(0) => break,
                    Ok(n) => {
                        self.unsent.drain(..n.min(self.unsent.len()));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        while self.tls.is_none() && !self.unsent.is_empty() {
            match self.stream.write(&self.unsent) {
                Ok(0) => return Err(io::Error::from(ErrorKind::WriteZero)),
                Ok(n) => {
                    self.unsent.drain(..n.min(self.unsent.len()));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let want = !self.unsent.is_empty() || self.needs_flush();
        if want != self.wants_write {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(&mut self.stream, self.token, interest)?;
            self.wants_write = want;
        }
        Ok(())
    }

    /// Whether everything queued has been written.
    pub fn all_sent(&self) -> bool {
        self.unsent.is_empty() && !self.needs_flush()
    }

    /// Removes the socket from the poll (before dropping it).
    pub fn deregister(&mut self, registry: &Registry) {
        // Failing to deregister a socket about to be closed changes nothing.
        let _ = registry.deregister(&mut self.stream);
    }
}
