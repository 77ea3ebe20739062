//! Running under systemd: `Type=notify` notifications and socket
//! activation.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use ggzd_e2e::*;

fn next_notification(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = socket.recv(&mut buf).expect("a notification");
    String::from_utf8_lossy(&buf[..n]).into_owned()
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
