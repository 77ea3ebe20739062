//! poll(2) over the control socket and the players' sockets, with the
//! kernel's `revents` as they are.
//!
//! nix's `PollFd::revents()` drops bits it does not know, `POLLRDHUP`
//! among them, so a peer's end of file looked like nothing at all; hence
//! the raw `libc::pollfd` here. With `POLLRDHUP` a socket that only has
//! data waiting reports exactly `POLLIN`, and the probe for an end of
//! file (`Game::check_readable`) is needed only when more is reported.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use libc::{c_short, pollfd};

/// What a player's or spectator's socket is watched for: data, and (on
/// Linux) the peer shutting down its side.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) const WATCH_PEER: c_short = libc::POLLIN | libc::POLLRDHUP;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) const WATCH_PEER: c_short = libc::POLLIN;

/// What the control socket is watched for.
pub(super) const WATCH_CONTROL: c_short = libc::POLLIN;

/// An entry of the poll set.
pub(super) fn entry(fd: RawFd, events: c_short) -> pollfd {
    pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// Whether a peer socket's `revents` say "bytes are waiting" and nothing
/// else: no end of file, hang-up or error, so reading it will find data
/// and no probe is needed. Where `POLLRDHUP` is not watched, an end of
/// file also reports plain `POLLIN`, so the answer is always "probe".
pub(super) fn only_data(revents: c_short) -> bool {
    WATCH_PEER != libc::POLLIN && revents == libc::POLLIN
}

/// Waits until one of `fds` is ready or `timeout` has passed (`None`: no
/// limit). Returns how many entries have `revents` set; 0 on timeout.
pub(super) fn wait(fds: &mut [pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let n = libc::nfds_t::try_from(fds.len())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let ready = raw_wait(fds, n, timeout);
    if ready < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(ready).unwrap_or(0))
}

/// With a timer of nanoseconds: a game that waits for a deadline (a
/// turn) wakes at it, not up to a millisecond later, and never early, so
/// one deadline costs one wake-up.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn raw_wait(fds: &mut [pollfd], n: libc::nfds_t, timeout: Option<Duration>) -> libc::c_int {
    let ts = timeout.map(|t| {
        // SAFETY: timespec is plain old data; all zeroes is a valid value
        // (and fills any padding some targets have).
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        ts.tv_sec = libc::time_t::try_from(t.as_secs()).unwrap_or(libc::time_t::MAX);
        // Below 10^9, so it fits tv_nsec's type on every target (i32 on
        // some, i64 on others).
        ts.tv_nsec = t.subsec_nanos() as _;
        ts
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `fds` is a valid, exclusively borrowed array of `n` pollfd
    // entries for the duration of the call; `ts_ptr` is null or points to
    // a timespec that outlives the call; a null signal mask leaves the
    // thread's mask as it is (ppoll then behaves like poll).
    unsafe { libc::ppoll(fds.as_mut_ptr(), n, ts_ptr, std::ptr::null()) }
}

/// Whole milliseconds, rounded up so that the wait never ends before the
/// deadline.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn raw_wait(fds: &mut [pollfd], n: libc::nfds_t, timeout: Option<Duration>) -> libc::c_int {
    let ms = timeout.map_or(-1, |t| {
        libc::c_int::try_from(t.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX)
    });
    // SAFETY: `fds` is a valid, exclusively borrowed array of `n` pollfd
    // entries for the duration of the call.
    unsafe { libc::poll(fds.as_mut_ptr(), n, ms) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    #[test]
    fn data_end_of_file_and_timeout_are_told_apart() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut fds = [entry(b.as_raw_fd(), WATCH_PEER)];
        let t0 = Instant::now();
        assert_eq!(wait(&mut fds, Some(Duration::from_millis(3))).unwrap(), 0);
        assert!(t0.elapsed() >= Duration::from_millis(3), "never early");
        a.write_all(b"x").unwrap();
        assert_eq!(wait(&mut fds, None).unwrap(), 1);
        assert_eq!(fds[0].revents, libc::POLLIN);
        assert!(only_data(fds[0].revents) || WATCH_PEER == libc::POLLIN);
        // Data followed by the peer's end: more than plain POLLIN, so the
        // caller probes.
        drop(a);
        fds[0].revents = 0;
        assert_eq!(wait(&mut fds, Some(Duration::ZERO)).unwrap(), 1);
        assert!(fds[0].revents & libc::POLLIN != 0);
        assert!(!only_data(fds[0].revents));
    }
}
