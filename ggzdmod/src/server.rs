//! ggzd's end of a game server's control socket.
//!
//! [`ServerChannel`] is a non-blocking, policy-free transport: it queues
//! [`ToGame`] messages (with the descriptors they pass), writes them when the
//! socket is writable, and decodes [`ToServer`] messages when it is
//! readable. What to *do* with a message (acknowledge a state request, fail
//! the table, ...) is the daemon's business. Process creation is too; this
//! module only offers [`control_socketpair`] to create the socket.
//!
//! # Use with mio
//!
//! Register the raw descriptor ([`AsRawFd::as_raw_fd`]) with
//! `mio::unix::SourceFd`, interest `READABLE`, adding `WRITABLE` while
//! [`ServerChannel::wants_write`] is true. mio is edge-triggered, so:
//!
//! * on a readable event call [`ServerChannel::read_ready`] and, if it ends
//!   with [`ReadEnd::Budget`], call it again later (e.g. at the end of the
//!   loop iteration) — no new event will come for data already waiting;
//! * after [`ServerChannel::send`], call [`ServerChannel::flush`] right away;
//!   if it returns `false`, wait for a writable event and flush again.
//!
//! # Ordering
//!
//! Bytes and descriptors leave in exactly the order they were queued. Each
//! descriptor goes in its own `sendmsg` carrying one `0x00` byte, after the
//! bytes of the message it belongs to have been fully written, as the C
//! readers on the other side require. A queued descriptor is closed once it
//! has been sent (or when the channel is dropped).

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::sys::socket::{AddressFamily, MsgFlags, SockFlag, SockType, recv, send, socketpair};

use crate::fdpass;
use crate::wire::{Decoded, LaunchLayout, MAX_MESSAGE_LEN, ToGame, ToServer, WireError};

/// Bytes queued towards the game beyond which [`ServerChannel::send`]
/// refuses more: a game that does not read its control socket is stuck.
pub const MAX_QUEUED_BYTES: usize = 1 << 20;

/// Descriptors queued towards the game beyond which
/// [`ServerChannel::send`] refuses more.
pub const MAX_QUEUED_FDS: usize = 64;

/// Bytes read per [`ServerChannel::read_ready`] call before it yields, so one
/// chatty game cannot monopolise the daemon's event loop.
pub const READ_BUDGET: usize = 256 * 1024;

#[cfg(any(target_os = "linux", target_os = "android"))]
const NOSIGNAL: MsgFlags = MsgFlags::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NOSIGNAL: MsgFlags = MsgFlags::empty();

/// Creates the control socket pair for a new game server: a connected
/// `AF_UNIX` stream pair, both ends close-on-exec.
///
/// Returns `(daemon_end, child_end)`. The daemon wraps its end in a
/// [`ServerChannel`]. In the child, `dup2(child_end, GGZSOCKET_FD)` clears
/// close-on-exec on the copy at fd 3, which is the only one that should
/// survive `exec`; the parent closes `child_end` after forking.
pub fn control_socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(io::Error::from)
}

/// Errors of a [`ServerChannel`].
#[derive(Debug)]
pub enum ChannelError {
    /// The game sent a malformed message, or a message could not be encoded.
    Wire(WireError),
    /// A socket call failed.
    Io(io::Error),
    /// The outgoing queue is full ([`MAX_QUEUED_BYTES`] or
    /// [`MAX_QUEUED_FDS`]): the game is not reading.
    QueueFull,
    /// The channel failed or was closed earlier and is no longer usable.
    Closed,
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelError::Wire(e) => write!(f, "ggzdmod protocol error: {e}"),
            ChannelError::Io(e) => write!(f, "control socket error: {e}"),
            ChannelError::QueueFull => f.write_str("game server is not reading its control socket"),
            ChannelError::Closed => f.write_str("control channel closed"),
        }
    }
}

impl std::error::Error for ChannelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChannelError::Wire(e) => Some(e),
            ChannelError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<WireError> for ChannelError {
    fn from(e: WireError) -> Self {
        ChannelError::Wire(e)
    }
}

impl From<io::Error> for ChannelError {
    fn from(e: io::Error) -> Self {
        ChannelError::Io(e)
    }
}

/// How a [`ServerChannel::read_ready`] call ended.
#[derive(Debug)]
pub enum ReadEnd {
    /// Everything available was read; wait for the next readable event.
    WouldBlock,
    /// The read budget ran out with data possibly still waiting; call
    /// `read_ready` again soon without waiting for an event.
    Budget,
    /// The game closed its end (or exited). A partial message left in the
    /// buffer is discarded. The channel is finished.
    Eof,
    /// The game sent garbage or the socket failed. The channel is finished;
    /// ggzd fails the table (docs/ggzdmod.md §6.9).
    Error(ChannelError),
}

/// Messages decoded by one [`ServerChannel::read_ready`] call and how it
/// ended.
///
/// Messages that arrived before an error or end of file are still
/// delivered, in order, so that e.g. a report sent just before a crash is
/// not lost.
#[derive(Debug)]
pub struct ReadOutcome {
    /// Decoded messages, in arrival order.
    pub messages: Vec<ToServer>,
    /// Why reading stopped.
    pub end: ReadEnd,
}

enum OutItem {
    Bytes { buf: Vec<u8>, sent: usize },
    Fd(OwnedFd),
}

/// ggzd's side of one game server's control socket. See the
/// [module documentation](self) for how to drive it.
pub struct ServerChannel {
    sock: OwnedFd,
    layout: LaunchLayout,
    out: VecDeque<OutItem>,
    out_bytes: usize,
    out_fds: usize,
    inbuf: Vec<u8>,
    dead: bool,
    /// Writing failed (the game went away); what it sent before going can
    /// still be read.
    write_dead: bool,
}

impl fmt::Debug for ServerChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerChannel")
            .field("fd", &self.sock.as_raw_fd())
            .field("layout", &self.layout)
            .field("queued_bytes", &self.out_bytes)
            .field("queued_fds", &self.out_fds)
            .field("buffered_input", &self.inbuf.len())
            .field("dead", &self.dead)
            .field("write_dead", &self.write_dead)
            .finish()
    }
}

impl ServerChannel {
    /// Wraps the daemon's end of a control socket, making it non-blocking
    /// and close-on-exec. `layout` is the launch layout this game server
    /// expects (from its game description).
    pub fn new(sock: OwnedFd, layout: LaunchLayout) -> io::Result<ServerChannel> {
        let flags = fcntl(&sock, FcntlArg::F_GETFL).map_err(io::Error::from)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(&sock, FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;
        fcntl(&sock, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
        Ok(ServerChannel {
            sock,
            layout,
            out: VecDeque::new(),
            out_bytes: 0,
            out_fds: 0,
            inbuf: Vec::new(),
            dead: false,
            write_dead: false,
        })
    }

    /// The launch layout this channel encodes `MSG_GAME_LAUNCH` with.
    pub fn layout(&self) -> LaunchLayout {
        self.layout
    }

    /// Queues a message, with the descriptor it passes if it carries one
    /// (a player's or spectator's game channel socket).
    ///
    /// `fd` must be `Some` exactly when [`ToGame::carries_fd`] is true.
    /// The channel owns the descriptor from now on and closes it once it is
    /// sent, which is what the original did with its own copy.
    ///
    /// The descriptor is switched to blocking mode before it is queued:
    /// `O_NONBLOCK` belongs to the open socket, not to the descriptor, so a
    /// socket that the daemon's event loop made non-blocking would otherwise
    /// reach the game non-blocking, and game servers written against
    /// libggzdmod read their players with blocking calls.
    ///
    /// Nothing is written yet; call [`flush`](Self::flush). On error nothing
    /// is queued (and `fd`, if any, is closed).
    pub fn send(&mut self, msg: &ToGame, fd: Option<OwnedFd>) -> Result<(), ChannelError> {
        if self.dead {
            return Err(ChannelError::Closed);
        }
        if msg.carries_fd() != fd.is_some() {
            return Err(WireError::FdMismatch.into());
        }
        let mut bytes = Vec::new();
        let _trailer = msg.encode(self.layout, &mut bytes)?;
        let fd_count = usize::from(fd.is_some());
        if self.out_bytes.saturating_add(bytes.len()) > MAX_QUEUED_BYTES
            || self.out_fds.saturating_add(fd_count) > MAX_QUEUED_FDS
        {
            return Err(ChannelError::QueueFull);
        }
        if let Some(fd) = &fd {
            set_blocking(fd)?;
        }
        self.out_bytes = self.out_bytes.saturating_add(bytes.len());
        match self.out.back_mut() {
            // Appending to a partly sent buffer is fine: `sent` counts from
            // its start.
            Some(OutItem::Bytes { buf, .. }) => buf.extend_from_slice(&bytes),
            _ => self.out.push_back(OutItem::Bytes {
                buf: bytes,
                sent: 0,
            }),
        }
        if let Some(fd) = fd {
            self.out_fds = self.out_fds.saturating_add(1);
            self.out.push_back(OutItem::Fd(fd));
        }
        Ok(())
    }

    /// Whether queued output is waiting for the socket to become writable.
    pub fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    /// Writes as much queued output as the socket takes without blocking.
    ///
    /// Returns `Ok(true)` when the queue is empty, `Ok(false)` when the
    /// socket is full (wait for writability). An error (e.g. `EPIPE` after
    /// the game exited) finishes the channel.
    pub fn flush(&mut self) -> Result<bool, ChannelError> {
        if self.dead || self.write_dead {
            return Err(ChannelError::Closed);
        }
        match self.flush_inner() {
            Ok(done) => Ok(done),
            Err(e) => {
                // Only the writing side is finished: a game that exited
                // right after its last messages (a report, DONE) left them
                // readable, and they still count.
                self.write_dead = true;
                Err(e)
            }
        }
    }

    fn flush_inner(&mut self) -> Result<bool, ChannelError> {
        let raw = self.sock.as_raw_fd();
        while let Some(item) = self.out.front_mut() {
            match item {
                OutItem::Bytes { buf, sent } => {
                    let Some(rest) = buf.get(*sent..) else {
                        self.out.pop_front();
                        continue;
                    };
                    if rest.is_empty() {
                        self.out.pop_front();
                        continue;
                    }
                    match send(raw, rest, MsgFlags::MSG_DONTWAIT | NOSIGNAL) {
                        Ok(n) => {
                            *sent = sent.saturating_add(n);
                            self.out_bytes = self.out_bytes.saturating_sub(n);
                        }
                        Err(Errno::EINTR) => {}
                        Err(Errno::EAGAIN) => return Ok(false),
                        Err(e) => return Err(io::Error::from(e).into()),
                    }
                }
                OutItem::Fd(fd) => match fdpass::try_send_fd(self.sock.as_fd(), fd.as_fd()) {
                    Ok(()) => {
                        // Dropping the item closes our copy of the socket.
                        self.out.pop_front();
                        self.out_fds = self.out_fds.saturating_sub(1);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) => return Err(e.into()),
                },
            }
        }
        Ok(true)
    }

    /// Reads and decodes what the game has sent, until the socket would
    /// block, the read budget is used up, the game closes, or an error.
    ///
    /// Input is buffered only up to one incomplete message of at most
    /// [`MAX_MESSAGE_LEN`] bytes. After [`ReadEnd::Eof`] or
    /// [`ReadEnd::Error`] the channel is finished and further calls return
    /// [`ReadEnd::Error`] with [`ChannelError::Closed`].
    pub fn read_ready(&mut self) -> ReadOutcome {
        let mut messages = Vec::new();
        if self.dead {
            return ReadOutcome {
                messages,
                end: ReadEnd::Error(ChannelError::Closed),
            };
        }
        let end = self.read_inner(&mut messages);
        if matches!(end, ReadEnd::Eof | ReadEnd::Error(_)) {
            self.dead = true;
            self.inbuf = Vec::new();
        }
        ReadOutcome { messages, end }
    }

    fn read_inner(&mut self, messages: &mut Vec<ToServer>) -> ReadEnd {
        let mut chunk = [0u8; 16 * 1024];
        let mut budget = READ_BUDGET;
        loop {
            if budget == 0 {
                return ReadEnd::Budget;
            }
            let want = chunk.len().min(budget);
            let Some(dst) = chunk.get_mut(..want) else {
                return ReadEnd::Budget;
            };
            let n = match recv(self.sock.as_raw_fd(), dst, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => return ReadEnd::Eof,
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return ReadEnd::WouldBlock,
                Err(e) => return ReadEnd::Error(io::Error::from(e).into()),
            };
            budget = budget.saturating_sub(n);
            self.inbuf
                .extend_from_slice(dst.get(..n).unwrap_or_default());
            if let Err(e) = self.decode_buffered(messages) {
                return ReadEnd::Error(e.into());
            }
        }
    }

    fn decode_buffered(&mut self, messages: &mut Vec<ToServer>) -> Result<(), WireError> {
        let mut start = 0;
        let result = loop {
            let rest = self.inbuf.get(start..).unwrap_or_default();
            if rest.is_empty() {
                break Ok(());
            }
            match ToServer::decode(rest) {
                Ok(Decoded::Message { msg, consumed, .. }) => {
                    messages.push(msg);
                    start = start.saturating_add(consumed);
                }
                Ok(Decoded::NeedMore(_)) => {
                    break if rest.len() > MAX_MESSAGE_LEN {
                        Err(WireError::MessageTooLong)
                    } else {
                        Ok(())
                    };
                }
                Err(e) => break Err(e),
            }
        };
        self.inbuf.drain(..start.min(self.inbuf.len()));
        result
    }
}

fn set_blocking(fd: &OwnedFd) -> io::Result<()> {
    let flags = fcntl(fd, FcntlArg::F_GETFL).map_err(io::Error::from)?;
    let flags = OFlag::from_bits_truncate(flags);
    if flags.contains(OFlag::O_NONBLOCK) {
        fcntl(fd, FcntlArg::F_SETFL(flags - OFlag::O_NONBLOCK)).map_err(io::Error::from)?;
    }
    Ok(())
}

impl AsFd for ServerChannel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl AsRawFd for ServerChannel {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{GameState, LaunchSeat, SeatKind};
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    fn pair(layout: LaunchLayout) -> (ServerChannel, UnixStream) {
        let (d, c) = control_socketpair().unwrap();
        (ServerChannel::new(d, layout).unwrap(), UnixStream::from(c))
    }

    #[test]
    fn launch_then_seat_with_fd_in_order() {
        let (mut ch, mut game) = pair(LaunchLayout::Legacy);
        ch.send(
            &ToGame::Launch {
                game: "g".into(),
                savegame: None,
                seats: vec![LaunchSeat::Open],
                spectators: 0,
            },
            None,
        )
        .unwrap();
        let (p1, p2) = UnixStream::pair().unwrap();
        p2.set_nonblocking(true).unwrap();
        ch.send(
            &ToGame::Seat {
                num: 0,
                kind: SeatKind::Player,
                name: "bob".into(),
            },
            Some(p2.into()),
        )
        .unwrap();
        ch.send(&ToGame::StateAck, None).unwrap();
        assert!(ch.wants_write());
        assert!(ch.flush().unwrap());
        assert!(!ch.wants_write());

        let launch = [
            0, 0, 0, 0, 0, 0, 0, 2, b'g', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
        ];
        let mut buf = vec![0; launch.len()];
        game.read_exact(&mut buf).unwrap();
        assert_eq!(buf, launch);
        let mut seat = [0; 20];
        game.read_exact(&mut seat).unwrap();
        assert_eq!(&seat[..4], &[0, 0, 0, 1]);
        let fd = fdpass::recv_fd(game.as_fd()).unwrap();
        let flags = OFlag::from_bits_truncate(fcntl(&fd, FcntlArg::F_GETFL).unwrap());
        assert!(
            !flags.contains(OFlag::O_NONBLOCK),
            "passed socket made blocking"
        );
        let mut ack = [0; 4];
        game.read_exact(&mut ack).unwrap();
        assert_eq!(ack, [0, 0, 0, 4]);
        drop(p1);
    }

    #[test]
    fn fd_mismatch_is_refused() {
        let (mut ch, _game) = pair(LaunchLayout::Trunk);
        let seat = ToGame::Seat {
            num: 0,
            kind: SeatKind::Player,
            name: "bob".into(),
        };
        assert!(matches!(
            ch.send(&seat, None),
            Err(ChannelError::Wire(WireError::FdMismatch))
        ));
        let (_a, b) = UnixStream::pair().unwrap();
        assert!(matches!(
            ch.send(&ToGame::StateAck, Some(b.into())),
            Err(ChannelError::Wire(WireError::FdMismatch))
        ));
        assert!(!ch.wants_write());
    }

    #[test]
    fn reads_split_and_batched_messages() {
        let (mut ch, mut game) = pair(LaunchLayout::Trunk);
        let mut bytes = Vec::new();
        ToServer::Log("hello".into()).encode(&mut bytes).unwrap();
        ToServer::State(GameState::Waiting)
            .encode(&mut bytes)
            .unwrap();
        game.write_all(&bytes[..7]).unwrap();
        let out = ch.read_ready();
        assert!(out.messages.is_empty());
        assert!(matches!(out.end, ReadEnd::WouldBlock));
        game.write_all(&bytes[7..]).unwrap();
        let out = ch.read_ready();
        assert_eq!(
            out.messages,
            vec![
                ToServer::Log("hello".into()),
                ToServer::State(GameState::Waiting)
            ]
        );
        assert!(matches!(out.end, ReadEnd::WouldBlock));
        drop(game);
        assert!(matches!(ch.read_ready().end, ReadEnd::Eof));
        assert!(matches!(
            ch.read_ready().end,
            ReadEnd::Error(ChannelError::Closed)
        ));
    }

    #[test]
    fn garbage_is_an_error_after_good_messages() {
        let (mut ch, mut game) = pair(LaunchLayout::Trunk);
        let mut bytes = Vec::new();
        ToServer::Bot(1).encode(&mut bytes).unwrap();
        bytes.extend_from_slice(&[0, 0, 0, 99, 1, 2, 3]);
        game.write_all(&bytes).unwrap();
        let out = ch.read_ready();
        assert_eq!(out.messages, vec![ToServer::Bot(1)]);
        assert!(matches!(
            out.end,
            ReadEnd::Error(ChannelError::Wire(WireError::UnknownOpcode(99)))
        ));
        assert!(matches!(ch.flush(), Err(ChannelError::Closed)));
    }

    #[test]
    fn queue_is_bounded_and_flush_is_partial() {
        let (mut ch, mut game) = pair(LaunchLayout::Trunk);
        let name = "n".repeat(30_000);
        let msg = ToGame::Seat {
            num: 0,
            kind: SeatKind::Bot,
            name,
        };
        let mut sent = 0;
        loop {
            match ch.send(&msg, None) {
                Ok(()) => sent += 1,
                Err(ChannelError::QueueFull) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(sent > 10);
        // The socket buffer is much smaller than the queue.
        assert!(!ch.flush().unwrap());
        // Drain from the game side until everything arrived.
        let total = sent * (4 + 4 + 4 + 4 + 30_001);
        let mut got = 0;
        let mut buf = vec![0; 65536];
        game.set_nonblocking(true).unwrap();
        while got < total {
            match game.read(&mut buf) {
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ch.flush().unwrap();
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, total);
        assert!(ch.flush().unwrap());
    }

    #[test]
    fn oversized_incomplete_message_is_refused() {
        let (mut ch, game) = pair(LaunchLayout::Trunk);
        // A report of 256 records with maximal names exceeds MAX_MESSAGE_LEN.
        let mut head = Vec::new();
        head.extend_from_slice(&[0, 0, 0, 6, 0, 0, 1, 0]);
        let rec_name_len: i32 = 32768;
        let writer = std::thread::spawn(move || {
            let mut game = game;
            let mut rec = Vec::new();
            rec.extend_from_slice(&rec_name_len.to_be_bytes());
            rec.extend(std::iter::repeat_n(b'a', 32767));
            rec.push(0);
            rec.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            let _ = game.write_all(&head);
            for _ in 0..40 {
                if game.write_all(&rec).is_err() {
                    break;
                }
            }
        });
        let end = loop {
            let out = ch.read_ready();
            match out.end {
                ReadEnd::WouldBlock | ReadEnd::Budget => {
                    std::thread::sleep(std::time::Duration::from_millis(1))
                }
                other => break other,
            }
        };
        assert!(matches!(
            end,
            ReadEnd::Error(ChannelError::Wire(WireError::MessageTooLong))
        ));
        drop(ch);
        writer.join().unwrap();
    }
}
