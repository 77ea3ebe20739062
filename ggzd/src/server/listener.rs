//! The listening socket, bound with a backlog large enough for bursts of
//! concurrent connects (the original's backlog of 0 made the kernel reset
//! them).

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    AddressFamily, Backlog, SockFlag, SockType, SockaddrIn, SockaddrIn6, bind as bind_socket,
    listen, setsockopt, socket, sockopt,
};

pub fn bind(addr: SocketAddr, backlog: i32) -> io::Result<mio::net::TcpListener> {
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    match addr {
        SocketAddr::V4(v4) => bind_socket(fd.as_raw_fd(), &SockaddrIn::from(v4))?,
        SocketAddr::V6(v6) => bind_socket(fd.as_raw_fd(), &SockaddrIn6::from(v6))?,
    }
    let backlog = Backlog::new(backlog).map_err(io::Error::from)?;
    listen(&fd, backlog)?;
    Ok(mio::net::TcpListener::from_std(
        std::net::TcpListener::from(fd),
    ))
}

/// Caps the kernel's send buffer of a client socket. Left to autotuning, a
/// client that never reads ties up to 4 MiB of kernel memory before our
/// own output queue even starts to fill. Linux doubles the value asked for
/// (the extra half is its bookkeeping).
pub fn bound_send_buffer(stream: &mio::net::TcpStream, bytes: usize) {
    if bytes == 0 {
        return;
    }
    if let Err(e) = setsockopt(stream, sockopt::SndBuf, &bytes) {
        log::debug!("cannot set SO_SNDBUF: {e}");
    }
}
