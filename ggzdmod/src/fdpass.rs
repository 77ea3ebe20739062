//! Passing file descriptors over the control socket (docs/ggzdmod.md §2, type `fd`).
//!
//! A descriptor travels in a `sendmsg` of its own: exactly one data byte
//! `0x00` and one `SOL_SOCKET`/`SCM_RIGHTS` control message holding one
//! `int`. The receiver reads it with a one-byte `recvmsg`. The data byte
//! matters: on a Unix stream socket the descriptor is attached to that byte,
//! and a plain `read` that swallows it discards the descriptor, which is why
//! readers of this wire read the preceding fields with exact lengths and
//! never let a larger read run into the dummy byte.
//!
//! # Blocking
//!
//! [`send_fd`] and [`recv_fd`] follow the socket's own mode: on a blocking
//! socket they wait; on a non-blocking one they fail with
//! [`io::ErrorKind::WouldBlock`]. [`try_recv_fd`] never waits, whatever the
//! mode, and reports "nothing yet" as `Ok(None)`. `EINTR` is retried
//! internally in all of them. Sending uses `MSG_NOSIGNAL` so a closed peer
//! yields `EPIPE` rather than `SIGPIPE`.
//!
//! Received descriptors are close-on-exec, so a game server that starts
//! helper processes does not leak players' sockets into them.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The data byte that carries a passed descriptor.
pub const FD_DUMMY_BYTE: u8 = 0;

/// Room for this many descriptors in the receive buffer. Only one is
/// accepted, but a misbehaving peer may send more; giving them room lets us
/// take ownership of every one (and close them) instead of having the
/// kernel truncate the control data.
const RECV_FD_ROOM: usize = 8;

#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: libc::c_int = 0;

#[cfg(any(target_os = "linux", target_os = "android"))]
const RECV_FLAGS: libc::c_int = libc::MSG_CMSG_CLOEXEC;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const RECV_FLAGS: libc::c_int = 0;

fn int_size() -> usize {
    mem::size_of::<libc::c_int>()
}

fn cmsg_space(bytes: usize) -> usize {
    let b = libc::c_uint::try_from(bytes).unwrap_or(libc::c_uint::MAX);
    // SAFETY: CMSG_SPACE is pure arithmetic.
    usize::try_from(unsafe { libc::CMSG_SPACE(b) }).unwrap_or(usize::MAX)
}

fn cmsg_len(bytes: usize) -> usize {
    let b = libc::c_uint::try_from(bytes).unwrap_or(libc::c_uint::MAX);
    // SAFETY: CMSG_LEN is pure arithmetic.
    usize::try_from(unsafe { libc::CMSG_LEN(b) }).unwrap_or(usize::MAX)
}

/// Sends `fd` over `sock` as one `sendmsg` with the dummy byte and a single
/// `SCM_RIGHTS` message.
///
/// The caller keeps its own copy of `fd`; close it after a successful send
/// if it is no longer needed (ggzd does so for players' sockets).
pub fn send_fd(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> io::Result<()> {
    send_fd_flags(sock, fd, 0)
}

/// Like [`send_fd`] but never waits: fails with
/// [`io::ErrorKind::WouldBlock`] when the socket buffer is full.
pub fn try_send_fd(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> io::Result<()> {
    send_fd_flags(sock, fd, libc::MSG_DONTWAIT)
}

fn send_fd_flags(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>, flags: libc::c_int) -> io::Result<()> {
    let mut byte = [FD_DUMMY_BYTE];
    // A u64 array keeps the control buffer aligned for cmsghdr.
    let mut cbuf = [0u64; 4];
    let space = cmsg_space(int_size());
    if space > mem::size_of_val(&cbuf) {
        return Err(io::Error::other("control buffer too small"));
    }
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    // The field's integer type differs between libcs.
    msg.msg_controllen = space as _;
    // SAFETY: msg points at a control buffer of `space` bytes, which
    // CMSG_SPACE says is enough for one header plus one int, so
    // CMSG_FIRSTHDR is non-null and its data area can hold the descriptor.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null() {
            return Err(io::Error::other("no room for control message"));
        }
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = cmsg_len(int_size()) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd.as_raw_fd());
    }
    loop {
        // SAFETY: msg and everything it points to live until the call ends.
        let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, SEND_FLAGS | flags) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // With one byte there is no partial send: either it went with the
        // descriptor or nothing went.
        return if n == 1 {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "sendmsg sent no data byte",
            ))
        };
    }
}

/// Receives one passed descriptor from `sock`: reads exactly one byte with
/// `recvmsg` and takes the descriptor attached to it.
///
/// Fails with [`io::ErrorKind::UnexpectedEof`] when the peer has closed the
/// socket, and with [`io::ErrorKind::InvalidData`] when the byte came
/// without exactly one descriptor in a correctly sized `SCM_RIGHTS`
/// message (any descriptors that did arrive are closed).
pub fn recv_fd(sock: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    match recv_fd_flags(sock, 0)? {
        Some(fd) => Ok(fd),
        None => Err(io::ErrorKind::WouldBlock.into()),
    }
}

/// Like [`recv_fd`] but never waits: `Ok(None)` when the byte has not
/// arrived yet.
pub fn try_recv_fd(sock: BorrowedFd<'_>) -> io::Result<Option<OwnedFd>> {
    recv_fd_flags(sock, libc::MSG_DONTWAIT)
}

fn recv_fd_flags(sock: BorrowedFd<'_>, flags: libc::c_int) -> io::Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut cbuf = [0u64; 16];
    let room = cmsg_space(int_size().saturating_mul(RECV_FD_ROOM));
    let controllen = room.min(mem::size_of_val(&cbuf));
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    let n = loop {
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = controllen as _;
        msg.msg_flags = 0;
        // SAFETY: msg points at live buffers of the stated sizes.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, RECV_FLAGS | flags) };
        if n >= 0 {
            break n;
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock if flags & libc::MSG_DONTWAIT != 0 => return Ok(None),
            _ => return Err(e),
        }
    };

    // Take ownership of every descriptor that arrived before judging the
    // message, so that whatever we reject gets closed on return.
    let mut fds: Vec<OwnedFd> = Vec::new();
    let mut first_ok = false;
    // SAFETY: the kernel filled msg_control with msg_controllen bytes of
    // well-formed cmsghdrs; CMSG_FIRSTHDR/CMSG_NXTHDR stay inside them.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        let mut first = true;
        while !cmsg.is_null() {
            let level = (*cmsg).cmsg_level;
            let kind = (*cmsg).cmsg_type;
            // cmsg_len is size_t on glibc but socklen_t on musl.
            #[allow(clippy::useless_conversion)]
            let len = usize::try_from((*cmsg).cmsg_len).unwrap_or(0);
            if level == libc::SOL_SOCKET && kind == libc::SCM_RIGHTS {
                let data = len.saturating_sub(cmsg_len(0));
                let count = data / int_size();
                let p = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                for i in 0..count {
                    let raw = std::ptr::read_unaligned(p.add(i));
                    if raw >= 0 {
                        fds.push(OwnedFd::from_raw_fd(raw));
                    }
                }
                if first && len == cmsg_len(int_size()) && count == 1 {
                    first_ok = true;
                }
            }
            first = false;
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }

    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "control socket closed while waiting for a passed descriptor",
        ));
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "passed descriptor: control data truncated",
        ));
    }
    if !first_ok || fds.len() != 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "expected one passed descriptor, got {} (first control message {})",
                fds.len(),
                if first_ok {
                    "well-formed"
                } else {
                    "missing or malformed"
                }
            ),
        ));
    }
    let Some(fd) = fds.pop() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "passed descriptor missing",
        ));
    };
    set_cloexec_fallback(&fd)?;
    Ok(Some(fd))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_cloexec_fallback(_fd: &OwnedFd) -> io::Result<()> {
    // MSG_CMSG_CLOEXEC already did it atomically.
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_cloexec_fallback(fd: &OwnedFd) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
        .map(|_| ())
        .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    fn cloexec(fd: &OwnedFd) -> bool {
        use nix::fcntl::{FcntlArg, FdFlag, fcntl};
        let bits = fcntl(fd, FcntlArg::F_GETFD).unwrap();
        FdFlag::from_bits_truncate(bits).contains(FdFlag::FD_CLOEXEC)
    }

    #[test]
    fn round_trip_real_socketpair() {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut p1, p2) = UnixStream::pair().unwrap();
        send_fd(a.as_fd(), p2.as_fd()).unwrap();
        drop(p2);
        let got = recv_fd(b.as_fd()).unwrap();
        assert!(cloexec(&got));
        let mut got = UnixStream::from(got);
        p1.write_all(b"ping").unwrap();
        let mut buf = [0; 4];
        got.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
    }

    #[test]
    fn fd_follows_data_in_order() {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let (_p1, p2) = UnixStream::pair().unwrap();
        a.write_all(&[1, 2, 3]).unwrap();
        send_fd(a.as_fd(), p2.as_fd()).unwrap();
        a.write_all(&[4]).unwrap();
        let mut head = [0; 3];
        b.read_exact(&mut head).unwrap();
        assert_eq!(head, [1, 2, 3]);
        recv_fd(b.as_fd()).unwrap();
        let mut tail = [0; 1];
        b.read_exact(&mut tail).unwrap();
        assert_eq!(tail, [4]);
    }

    #[test]
    fn try_recv_without_data_is_none() {
        let (_a, b) = UnixStream::pair().unwrap();
        assert!(try_recv_fd(b.as_fd()).unwrap().is_none());
    }

    #[test]
    fn byte_without_fd_is_invalid() {
        let (mut a, b) = UnixStream::pair().unwrap();
        a.write_all(&[0]).unwrap();
        let e = recv_fd(b.as_fd()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn two_fds_are_refused_and_closed() {
        use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
        let (a, b) = UnixStream::pair().unwrap();
        let (_p1, p2) = UnixStream::pair().unwrap();
        let fds = [p2.as_raw_fd(), p2.as_raw_fd()];
        let iov = [io::IoSlice::new(&[0])];
        sendmsg::<()>(
            a.as_raw_fd(),
            &iov,
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        )
        .unwrap();
        let e = recv_fd(b.as_fd()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn eof_is_reported() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(a);
        let e = recv_fd(b.as_fd()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let e = try_recv_fd(b.as_fd()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn send_to_closed_peer_is_epipe_not_signal() {
        let (a, b) = UnixStream::pair().unwrap();
        let (_p1, p2) = UnixStream::pair().unwrap();
        drop(b);
        let e = send_fd(a.as_fd(), p2.as_fd()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }
}
