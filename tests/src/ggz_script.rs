//! The `ggz` client run with `--script` by the tests: the script goes to its
//! standard input, and its output is read once it ends.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use crate::bin;

/// Starts `ggz --script` as `name` against `server`, giving up after
/// `timeout` seconds, and writes `script` to it.
pub fn spawn_ggz_script(server: SocketAddr, name: &str, timeout: &str, script: &[u8]) -> Child {
    let mut ggz = Command::new(bin("ggz"))
        .args(["--script", "--timeout", timeout, "--name", name])
        .arg(server.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ggz");
    let mut stdin = ggz.stdin.take().expect("stdin");
    stdin.write_all(script).expect("script");
    ggz
}

/// Waits for `ggz` to end, checks it exited with status 0, and returns what
/// it wrote to its standard output.
pub fn ggz_ended_ok(ggz: Child) -> String {
    let out = ggz.wait_with_output().expect("ggz ends");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    stdout
}
