//! The pid file is held with a lock: a file left behind by a crash never
//! stops a start, whatever process its pid now belongs to, and a second
//! ggzd on the same data directory is refused with a clear message.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ggzd_e2e::*;

#[test]
fn a_stale_pid_file_naming_a_live_process_does_not_block_a_start() {
    let data = TempDir::new("pid-stale");
    // The pid of a live process that is not a ggzd: this test.
    std::fs::write(
        data.path().join("ggzd.pid"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let server = TestServer::start_with(ServerOptions {
        data_dir: Some(data.path().to_path_buf()),
        ..ServerOptions::default()
    });
    let written = std::fs::read_to_string(data.path().join("ggzd.pid")).unwrap();
    assert_eq!(written, format!("{}\n", server.pid()));
    let _guest = server.guest("stale");
}

#[test]
fn a_second_ggzd_on_the_same_data_is_refused() {
    let server = TestServer::start();
    let mut second = Command::new(bin("ggzd"))
        .arg("-F")
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env_remove("LISTEN_FDS")
        .env_remove("NOTIFY_SOCKET")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = status.expect("the second ggzd kept running");
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("another ggzd (pid {}) runs", server.pid())),
        "{stderr}"
    );
    // The first one is untouched.
    let _guest = server.guest("first");
    assert_eq!(
        std::fs::read_to_string(server.dir.path().join("data/ggzd.pid")).unwrap(),
        format!("{}\n", server.pid())
    );
}
