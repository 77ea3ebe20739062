//! One client connection: its socket, the bytes of a partly received
//! element, and its bounded output queue.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::os::fd::AsRawFd;

use mio::net::TcpStream;

use crate::proto::decoder::{Decoder, Limits};
use crate::zone::{Close, ConnId, Msg};

/// Most slices handed to one writev.
const MAX_IOVECS: usize = 64;

pub struct Conn {
    pub id: ConnId,
    pub stream: TcpStream,
    pub decoder: Decoder,
    /// Bytes of an incomplete token. Empty (and unallocated) between
    /// messages, so idle connections cost little.
    pub inbuf: Vec<u8>,
    pub outq: VecDeque<Msg>,
    /// Bytes of the front message already written.
    pub out_offset: usize,
    pub out_bytes: usize,
    pub closing: Option<Close>,
    /// A game channel after its `</SESSION>`: the rest of its bytes belong
    /// to the game server.
    pub reading_stopped: bool,
    pub dirty: bool,
    /// The socket took no more at the last write; writing again before it
    /// reports writable again only costs a syscall.
    pub write_blocked: bool,
    /// When its login went to the workers, for the latency histogram.
    pub login_started: Option<std::time::Instant>,
}

pub enum Flush {
    /// Everything queued was written.
    Drained,
    /// The socket is full; wait for it to become writable.
    Blocked,
    /// The peer is gone.
    Failed,
}

impl Conn {
    pub fn new(id: ConnId, stream: TcpStream) -> Conn {
        Conn {
            id,
            stream,
            decoder: Decoder::new(Limits::SERVER),
            inbuf: Vec::new(),
            outq: VecDeque::new(),
            out_offset: 0,
            out_bytes: 0,
            closing: None,
            reading_stopped: false,
            dirty: false,
            write_blocked: false,
            login_started: None,
        }
    }

    /// Queues a message. Returns false when the queue would exceed `limit`:
    /// the client is not reading and must be dropped.
    pub fn enqueue(&mut self, msg: &Msg, limit: usize) -> bool {
        if self.out_bytes + msg.len() > limit {
            return false;
        }
        self.out_bytes += msg.len();
        self.outq.push_back(msg.clone());
        true
    }

    pub fn flush(&mut self) -> Flush {
        while !self.outq.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let mut count = 0;
            for (i, m) in self.outq.iter().take(MAX_IOVECS).enumerate() {
                let bytes: &[u8] = if i == 0 {
                    m.get(self.out_offset..).unwrap_or_default()
                } else {
                    m
                };
                if let Some(slot) = slices.get_mut(i) {
                    *slot = IoSlice::new(bytes);
                    count = i + 1;
                }
            }
            match self
                .stream
                .write_vectored(slices.get(..count).unwrap_or_default())
            {
                Ok(0) => return Flush::Failed,
                Ok(written) => self.consume(written),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocked = true;
                    return Flush::Blocked;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Flush::Failed,
            }
        }
        self.outq = VecDeque::new();
        Flush::Drained
    }

    fn consume(&mut self, mut written: usize) {
        self.out_bytes = self.out_bytes.saturating_sub(written);
        while written > 0 {
            let Some(front) = self.outq.front() else {
                break;
            };
            let left = front.len() - self.out_offset;
            if written >= left {
                written -= left;
                self.out_offset = 0;
                self.outq.pop_front();
            } else {
                self.out_offset += written;
                written = 0;
            }
        }
    }

    /// Reads without removing the bytes from the socket.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        recv(self.stream.as_raw_fd(), buf, libc::MSG_PEEK)
    }

    /// Whether the peer closed or reset the connection, asked without
    /// waiting; `None` if the kernel would not say.
    pub fn peer_hung_up(&self) -> Option<bool> {
        let mut fd = libc::pollfd {
            fd: self.stream.as_raw_fd(),
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call; zero
        // timeout, so this never blocks.
        let n = unsafe { libc::poll(&mut fd, 1, 0) };
        if n < 0 {
            return None;
        }
        Some(fd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0)
    }

    /// Removes `count` bytes already seen through `peek`.
    pub fn discard(&self, mut count: usize, scratch: &mut [u8]) -> io::Result<()> {
        while count > 0 {
            let want = count.min(scratch.len());
            let buf = scratch.get_mut(..want).unwrap_or_default();
            match recv(self.stream.as_raw_fd(), buf, 0) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => count = count.saturating_sub(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn recv(fd: i32, buf: &mut [u8], flags: i32) -> io::Result<usize> {
    // SAFETY: buf is a valid, writable region of buf.len() bytes for the
    // whole call, and fd is a socket this connection owns.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
