//! A nonblocking socket with bounded input and output buffers, driven by
//! the session's `mio::Poll`.

use std::io::{self, ErrorKind, Read, Write};

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
        })
    }

    /// Reads what is there, up to a budget.
    pub fn read_available(&mut self) -> io::Result<ReadOutcome> {
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
        while !self.unsent.is_empty() {
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
        let want = !self.unsent.is_empty();
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
        self.unsent.is_empty()
    }

    /// Removes the socket from the poll (before dropping it).
    pub fn deregister(&mut self, registry: &Registry) {
        // Failing to deregister a socket about to be closed changes nothing.
        let _ = registry.deregister(&mut self.stream);
    }
}
