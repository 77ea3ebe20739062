//! The two systemd interfaces a service needs, written out rather than
//! pulled in: `sd_notify` (a datagram to `$NOTIFY_SOCKET`) and socket
//! activation (`$LISTEN_FDS` descriptors from fd 3 on, named by
//! `$LISTEN_FDNAMES`).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// The first descriptor systemd passes.
const SD_LISTEN_FDS_START: RawFd = 3;

/// Variables that describe our own service and must not reach children.
pub const SERVICE_ENV: [&str; 6] = [
    "NOTIFY_SOCKET",
    "LISTEN_FDS",
    "LISTEN_PID",
    "LISTEN_FDNAMES",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
];

/// Sends state changes to the service manager.
pub struct Notifier {
    socket: UnixDatagram,
    addr: SocketAddr,
}

impl Notifier {
    /// `None` unless started with `$NOTIFY_SOCKET` (i.e. `Type=notify`).
    pub fn from_env() -> Option<Notifier> {
        let path = std::env::var_os("NOTIFY_SOCKET")?;
        let path = path.to_str()?;
        let addr = match path.strip_prefix('@') {
            Some(abstract_name) => SocketAddr::from_abstract_name(abstract_name.as_bytes()).ok()?,
            None => SocketAddr::from_pathname(path).ok()?,
        };
        let socket = UnixDatagram::unbound().ok()?;
        // A notification must never hold up the event loop.
        socket.set_nonblocking(true).ok()?;
        Some(Notifier { socket, addr })
    }

    pub fn notify(&self, state: &str) {
        if let Err(e) = self.socket.send_to_addr(state.as_bytes(), &self.addr) {
            log::warn!("cannot notify the service manager: {e}");
        }
    }

    pub fn ready(&self) {
        self.notify("READY=1\nSTATUS=Accepting connections");
    }

    /// Reload started; `READY=1` must follow when it is done.
    pub fn reloading(&self) {
        self.notify(&format!("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
    }

    pub fn stopping(&self) {
        self.notify("STOPPING=1");
    }

    pub fn watchdog(&self) {
        self.notify("WATCHDOG=1");
    }
}

/// How often to ping the watchdog: half of `$WATCHDOG_USEC`, when it is
/// meant for this process.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Listening sockets passed by socket activation, if they are for us.
pub fn listen_fds() -> io::Result<Vec<OwnedFd>> {
    let Some(count) = std::env::var("LISTEN_FDS").ok() else {
        return Ok(Vec::new());
    };
    if let Ok(pid) = std::env::var("LISTEN_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return Ok(Vec::new());
    }
    let count: RawFd = count
        .parse()
        .map_err(|_| io::Error::other(format!("LISTEN_FDS={count:?} is not a number")))?;
    let fds = (SD_LISTEN_FDS_START..SD_LISTEN_FDS_START.saturating_add(count))
        .filter(|fd| {
            // SAFETY: F_GETFD only asks whether the descriptor is open.
            unsafe { libc::fcntl(*fd, libc::F_GETFD) >= 0 }
        })
        // SAFETY: systemd handed these descriptors to us, open and unowned
        // by anything else in this process.
        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .collect();
    Ok(fds)
}

/// The name (`FileDescriptorName=`) of the socket that becomes the `[web]`
/// listener; any other passed socket is the protocol listener.
pub const WEB_FD_NAME: &str = "web";

/// Listening sockets passed by socket activation, sorted by use.
#[derive(Debug, Default)]
pub struct Activated {
    /// For the GGZ protocol listener.
    pub main: Option<OwnedFd>,
    /// For the `[web]` listener.
    pub web: Option<OwnedFd>,
}

impl Activated {
    /// Takes `$LISTEN_FDS` and `$LISTEN_FDNAMES` from the environment.
    pub fn from_env() -> io::Result<Activated> {
        let fds = listen_fds()?;
        let names = std::env::var("LISTEN_FDNAMES").ok();
        Ok(Activated::sort(fds, names.as_deref()))
    }

    /// The first socket named [`WEB_FD_NAME`] is the web listener; the
    /// first other one (unnamed: without `$LISTEN_FDNAMES` every socket
    /// is the protocol's, as before names existed) is the protocol
    /// listener. Sockets beyond those are closed.
    fn sort(fds: Vec<OwnedFd>, names: Option<&str>) -> Activated {
        let mut names = names.map(|n| n.split(':')).into_iter().flatten();
        let mut sorted = Activated::default();
        for fd in fds {
            let is_web = names.next() == Some(WEB_FD_NAME);
            let slot = if is_web {
                &mut sorted.web
            } else {
                &mut sorted.main
            };
            if slot.is_none() {
                *slot = Some(fd);
            } else {
                log::warn!("ignoring an extra listening socket passed by the service manager");
            }
        }
        sorted
    }
}

fn monotonic_usec() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1_000)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fds(n: usize) -> Vec<OwnedFd> {
        (0..n)
            .map(|_| OwnedFd::from(std::fs::File::open("/dev/null").unwrap()))
            .collect()
    }

    fn raw(fd: &Option<OwnedFd>) -> Option<RawFd> {
        use std::os::fd::AsRawFd;
        fd.as_ref().map(|f| f.as_raw_fd())
    }

    #[test]
    fn passed_sockets_are_sorted_by_name() {
        use std::os::fd::AsRawFd;
        let given = fds(2);
        let (a, b) = (given[0].as_raw_fd(), given[1].as_raw_fd());
        let s = Activated::sort(given, Some("ggzd.socket:web"));
        assert_eq!((raw(&s.main), raw(&s.web)), (Some(a), Some(b)));

        let given = fds(2);
        let (a, b) = (given[0].as_raw_fd(), given[1].as_raw_fd());
        let s = Activated::sort(given, Some("web:ggzd.socket"));
        assert_eq!((raw(&s.main), raw(&s.web)), (Some(b), Some(a)));

        // Only the web socket: the protocol listener binds its own.
        let s = Activated::sort(fds(1), Some("web"));
        assert!(s.main.is_none() && s.web.is_some());

        // No names: the first socket is the protocol's, as it always was.
        let given = fds(2);
        let a = given[0].as_raw_fd();
        let s = Activated::sort(given, None);
        assert_eq!((raw(&s.main), raw(&s.web)), (Some(a), None));

        // Fewer names than sockets: the unnamed ones are not web.
        let s = Activated::sort(fds(2), Some("web"));
        assert!(s.main.is_some() && s.web.is_some());
        assert!(Activated::sort(Vec::new(), Some("web")).web.is_none());
    }

    #[test]
    fn notifications_arrive_as_datagrams() {
        let dir = std::env::temp_dir().join(format!("ggzd-notify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let receiver = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier {
            socket: UnixDatagram::unbound().unwrap(),
            addr: SocketAddr::from_pathname(&path).unwrap(),
        };
        notifier.reloading();
        notifier.ready();
        let mut buf = [0u8; 256];
        let n = receiver.recv(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(text.starts_with("RELOADING=1\nMONOTONIC_USEC="), "{text}");
        let n = receiver.recv(&mut buf).unwrap();
        assert!(
            std::str::from_utf8(&buf[..n])
                .unwrap()
                .starts_with("READY=1")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
