//! One client connection: its socket and transport (plain, or TLS after
//! `TLS_START`), the bytes of a partly received element, and its bounded
//! output queue.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::AsRawFd;

use mio::net::TcpStream;

use crate::proto::decoder::{Decoder, Limits};
use crate::zone::{Close, ConnId, Msg};

/// Most slices handed to one writev.
const MAX_IOVECS: usize = 64;
/// Queue slots a drained connection keeps (16 bytes each): a busy room
/// queues a few lines per member per turn, and allocating and growing
/// every member's queue again each turn showed in profiles of chat
/// fan-out. A queue grown past this by a burst is freed when drained, so
/// idle connections stay small.
const KEPT_SLOTS: usize = 16;

pub struct Conn {
    pub id: ConnId,
    pub stream: TcpStream,
    pub decoder: Decoder,
    /// Bytes of an incomplete token. Empty (and unallocated) between
    /// messages, so idle connections cost little.
    pub inbuf: Vec<u8>,
    pub outq: VecDeque<Msg>,
    /// How many lines at the front of `outq` were found shared with other
    /// queues (`holds_own_line`), so a queue held across many turns is not
    /// scanned again from its start each turn.
    shared_checked: usize,
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
    /// The peer sent its end of stream: nothing more to read.
    pub eof: bool,
    pub transport: Transport,
}

/// How the XML stream travels. A connection starts plain; `TLS_START`
/// switches it for good (handshaking until rustls says otherwise).
pub enum Transport {
    Plain,
    /// Just switched: plain input past `<TLS_START/>` must not reach the
    /// decoder. Cleared by the reader once it stopped there.
    Switching(Box<rustls::ServerConnection>),
    Tls(Box<rustls::ServerConnection>),
    /// Accepted on the `[web]` listener: an HTTP head, then WebSocket
    /// frames (`server/web.rs`).
    Web(Box<super::web::WebConn>),
}

/// One step of reading a TLS connection.
pub enum TlsRead {
    /// Decrypted bytes at the front of the buffer.
    Data(usize),
    /// The socket is empty for now.
    Again,
    /// The peer closed (with or without close_notify).
    Closed,
    /// The TLS layer failed; the text says why.
    Failed(String),
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
            shared_checked: 0,
            out_offset: 0,
            out_bytes: 0,
            closing: None,
            reading_stopped: false,
            dirty: false,
            write_blocked: false,
            eof: false,
            transport: Transport::Plain,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.transport, Transport::Switching(_) | Transport::Tls(_))
    }

    pub fn is_web(&self) -> bool {
        matches!(self.transport, Transport::Web(_))
    }

    /// True when rustls holds records to send (handshake messages, alerts).
    pub fn tls_wants_write(&self) -> bool {
        match &self.transport {
            Transport::Plain => false,
            Transport::Web(web) => web.wants_write(),
            Transport::Switching(tls) | Transport::Tls(tls) => tls.wants_write(),
        }
    }

    /// Reads from a TLS connection: first what is already decrypted, then
    /// more from the socket. Never blocks.
    pub fn read_tls(&mut self, buf: &mut [u8]) -> TlsRead {
        let stream = &mut self.stream;
        let tls = match &mut self.transport {
            Transport::Plain | Transport::Web(_) => {
                return TlsRead::Failed("not a TLS connection".into());
            }
            Transport::Switching(tls) | Transport::Tls(tls) => tls,
        };
        loop {
            match tls.reader().read(buf) {
                Ok(0) => return TlsRead::Closed,
                Ok(n) => return TlsRead::Data(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return TlsRead::Closed,
                Err(e) => return TlsRead::Failed(e.to_string()),
            }
            match tls.read_tls(stream) {
                Ok(0) => return TlsRead::Closed,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return TlsRead::Again,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return TlsRead::Failed(e.to_string()),
            }
            if let Err(e) = tls.process_new_packets() {
                // The alert rustls prepared tells the peer why; best effort.
                let _ = tls.write_tls(stream);
                return TlsRead::Failed(e.to_string());
            }
        }
    }

    /// Queues TLS's close_notify and tries to send it; a peer that does not
    /// read it loses nothing it could still use.
    pub fn close_notify(&mut self) {
        if self.is_web() {
            return self.close_web();
        }
        let stream = &mut self.stream;
        if let Transport::Switching(tls) | Transport::Tls(tls) = &mut self.transport {
            tls.send_close_notify();
            while tls.wants_write() {
                match tls.write_tls(stream) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
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

    /// Whether a queued line is this client's alone (an answer, a private
    /// line): nothing else holds it. A line fanned out to several clients
    /// is shared by their queues. Such a queue is written at once even
    /// while a fan-out is paced (`pacing.rs`).
    pub fn holds_own_line(&mut self) -> bool {
        let from = self.shared_checked.min(self.outq.len());
        if self
            .outq
            .iter()
            .skip(from)
            .any(|m| std::rc::Rc::strong_count(m) == 1)
        {
            return true;
        }
        self.shared_checked = self.outq.len();
        false
    }

    pub fn flush(&mut self) -> Flush {
        if self.is_web() {
            return self.flush_web();
        }
        if self.is_tls() {
            return self.flush_tls();
        }
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
        self.drained();
        Flush::Drained
    }

    /// Encrypts queued messages in batches (many messages per record, so
    /// a chat line costs no record of its own) and writes the records.
    /// rustls is given more only once it has written the last batch.
    fn flush_tls(&mut self) -> Flush {
        loop {
            let stream = &mut self.stream;
            let Some(tls) = (match &mut self.transport {
                Transport::Plain | Transport::Web(_) => None,
                Transport::Switching(tls) | Transport::Tls(tls) => Some(tls),
            }) else {
                return Flush::Failed;
            };
            if tls.wants_write() {
                match tls.write_tls(stream) {
                    Ok(0) => return Flush::Failed,
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.write_blocked = true;
                        return Flush::Blocked;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => return Flush::Failed,
                }
            }
            if self.outq.is_empty() {
                break;
            }
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let mut count = 0;
            let mut batch = 0;
            for (i, m) in self.outq.iter().take(MAX_IOVECS).enumerate() {
                let bytes: &[u8] = if i == 0 {
                    m.get(self.out_offset..).unwrap_or_default()
                } else {
                    m
                };
                let bytes = bytes
                    .get(..bytes.len().min(super::tls::BUFFER_LIMIT / 2 - batch))
                    .unwrap_or_default();
                if let Some(slot) = slices.get_mut(i) {
                    *slot = IoSlice::new(bytes);
                    count = i + 1;
                }
                batch += bytes.len();
                if batch >= super::tls::BUFFER_LIMIT / 2 {
                    break;
                }
            }
            let tls = match &mut self.transport {
                Transport::Plain | Transport::Web(_) => return Flush::Failed,
                Transport::Switching(tls) | Transport::Tls(tls) => tls,
            };
            match tls
                .writer()
                .write_vectored(slices.get(..count).unwrap_or_default())
            {
                // rustls is full: during the handshake it keeps plaintext
                // until the handshake ends, and the reader marks the
                // connection dirty once there is something to write.
                Ok(0) => return Flush::Blocked,
                Ok(n) => self.consume(n),
                Err(_) => return Flush::Failed,
            }
        }
        self.drained();
        Flush::Drained
    }

    /// Everything queued was written: the queue keeps a small allocation
    /// for the next turn, a large one is given back.
    pub(super) fn drained(&mut self) {
        self.shared_checked = 0;
        if self.outq.capacity() > KEPT_SLOTS {
            self.outq = VecDeque::new();
        } else {
            self.outq.clear();
        }
    }

    pub(super) fn consume(&mut self, mut written: usize) {
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
                self.shared_checked = self.shared_checked.saturating_sub(1);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Conn, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let id = ConnId {
            slot: 0,
            generation: 0,
        };
        (Conn::new(id, TcpStream::from_std(server)), client)
    }

    #[test]
    fn a_queue_holds_its_own_line_only_when_no_other_queue_shares_it() {
        let (mut conn, _client) = pair();
        let (mut other, _other_client) = pair();
        let shared: Msg = crate::zone::msg("<UPDATE/>\n".to_string());
        assert!(conn.enqueue(&shared, 1 << 20) && other.enqueue(&shared, 1 << 20));
        drop(shared);
        // A fan-out line: both queues hold it.
        assert!(!conn.holds_own_line());
        // An answer to this client alone.
        assert!(conn.enqueue(&crate::zone::msg("<RESULT/>\n".to_string()), 1 << 20));
        assert!(conn.holds_own_line());
        assert!(!other.holds_own_line());
    }

    #[test]
    fn a_drained_queue_keeps_a_small_allocation_and_frees_a_large_one() {
        let (mut conn, mut client) = pair();
        let line: Msg = crate::zone::msg("<CHAT/>\n".to_string());
        for _ in 0..3 {
            assert!(conn.enqueue(&line, 1 << 20));
        }
        assert!(matches!(conn.flush(), Flush::Drained));
        assert_eq!(conn.out_bytes, 0);
        let kept = conn.outq.capacity();
        assert!(kept > 0 && kept <= KEPT_SLOTS);
        for _ in 0..100 {
            assert!(conn.enqueue(&line, 1 << 20));
        }
        assert!(matches!(conn.flush(), Flush::Drained));
        assert_eq!(conn.outq.capacity(), 0);
        let mut got = vec![0; 103 * line.len()];
        client.read_exact(&mut got).unwrap();
        assert!(got.chunks(line.len()).all(|c| c == &line[..]));
    }
}
