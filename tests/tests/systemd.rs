//! Running under systemd: `Type=notify` notifications and socket
//! activation.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use ggzd_e2e::*;

/// The next notification, skipping the periodic live-count STATUS= lines
/// (tested in control.rs).
fn next_notification(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    loop {
        let n = socket.recv(&mut buf).expect("a notification");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if !text.starts_with("STATUS=") {
            return text;
        }
    }
}

#[test]
fn notifies_ready_reloading_stopping_and_watchdog() {
    let tmp = TempDir::new("notify");
    let path = tmp.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut server = TestServer::start_with(ServerOptions {
        env: vec![
            ("NOTIFY_SOCKET".into(), path.display().to_string()),
            ("WATCHDOG_USEC".into(), "400000".into()),
        ],
        ..Default::default()
    });
    let ready = next_notification(&socket);
    assert!(ready.starts_with("READY=1"), "{ready}");
    // The server answers once READY was sent.
    let _kim = server.guest("kim");

    // The watchdog is fed every 200 ms.
    let mut seen = next_notification(&socket);
    while seen != "WATCHDOG=1" {
        seen = next_notification(&socket);
    }

    server.signal(libc::SIGHUP);
    let mut reloading = next_notification(&socket);
    while reloading == "WATCHDOG=1" {
        reloading = next_notification(&socket);
    }
    let mut lines = reloading.lines();
    assert_eq!(lines.next(), Some("RELOADING=1"));
    let usec: u64 = lines
        .next()
        .and_then(|l| l.strip_prefix("MONOTONIC_USEC="))
        .and_then(|v| v.parse().ok())
        .expect("MONOTONIC_USEC");
    assert!(usec > 0);
    let mut after = next_notification(&socket);
    while after == "WATCHDOG=1" {
        after = next_notification(&socket);
    }
    assert!(after.starts_with("READY=1"), "{after}");

    server.signal(libc::SIGTERM);
    let mut stopping = next_notification(&socket);
    while stopping == "WATCHDOG=1" {
        stopping = next_notification(&socket);
    }
    assert_eq!(stopping, "STOPPING=1");
    assert!(server.wait_exit(TIMEOUT).expect("exit").success());
}

#[test]
fn uses_a_listening_socket_passed_by_socket_activation() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = TestServer::start_with(ServerOptions {
        listen_fd: Some(listener.as_raw_fd()),
        ..Default::default()
    });
    assert_eq!(server.addr, addr, "ggzd listens where systemd bound");
    assert!(server.log().contains("passed by the service manager"));
    // Connections queued on the socket are served.
    let mut kim = server.guest_in_room("kim", 0);
    assert_eq!(request(&mut kim, "<CHAT>activated</CHAT>", "chat"), "ok");
    drop(listener);
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn under_journald_log_lines_carry_priorities() {
    let server = TestServer::start_with(ServerOptions {
        env: vec![("JOURNAL_STREAM".into(), "8:12345".into())],
        ..Default::default()
    });
    let _kim = server.guest("kim");
    let line = server.wait_for_log("kim logged in", TIMEOUT).unwrap();
    assert!(line.starts_with("<6>connections: "), "{line}");
    assert!(
        server.log().lines().all(|l| l.starts_with('<')),
        "{}",
        server.log()
    );
}

/// Kills the daemon named in a pid file when the test ends.
struct PidFileGuard(std::path::PathBuf);

impl Drop for PidFileGuard {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
        {
            // SAFETY: signalling the daemon this test started.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

#[test]
fn without_foreground_it_daemonizes_and_writes_a_pid_file() {
    let tmp = TempDir::new("daemon");
    let data = tmp.path().join("data");
    let log = tmp.path().join("ggzd.log");
    let config = tmp.path().join("ggzd.toml");
    std::fs::write(
        &config,
        format!(
            "[network]\ninterface = \"127.0.0.1\"\nport = 0\n\
             [directories]\ndata_dir = \"{}\"\nconf_dir = \"{}\"\n\
             [logging]\ndestination = \"file\"\nfile = \"{}\"\n",
            data.display(),
            tmp.path().display(),
            log.display()
        ),
    )
    .unwrap();
    let pid_file = data.join("ggzd.pid");
    let _guard = PidFileGuard(pid_file.clone());
    let status = std::process::Command::new(bin("ggzd"))
        .arg("-f")
        .arg(&config)
        .env_remove("JOURNAL_STREAM")
        .env_remove("NOTIFY_SOCKET")
        .status()
        .unwrap();
    assert!(status.success(), "the starting process exits at once");
    let line = wait_for_file_line(&log, "listening on ", TIMEOUT).expect("daemon started");
    let addr = line
        .rsplit("listening on ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: probing our daemon with signal 0.
    assert_eq!(unsafe { libc::kill(pid, 0) }, 0, "the daemon runs");
    let mut client = Client::connect(addr.parse().unwrap(), TIMEOUT).unwrap();
    assert_eq!(
        client
            .login(LoginKind::Guest, "kim", None, None)
            .unwrap()
            .code,
        "ok"
    );
    // A second daemon on the same data directory refuses to start.
    let second = std::process::Command::new(bin("ggzd"))
        .arg("-f")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("another ggzd"));
    // SAFETY: stopping our daemon.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    assert!(client.wait_closed(TIMEOUT).unwrap());
}
