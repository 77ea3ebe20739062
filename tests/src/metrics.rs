//! The `[metrics]` endpoint (docs/control.md) as the tests read it: the
//! address a server logged, one scrape, one sample of it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use crate::{TIMEOUT, TestServer};

/// The address of `server`'s `/metrics`, from its log.
pub fn metrics_addr(server: &TestServer) -> SocketAddr {
    let line = server
        .wait_for_log("metrics on http://", TIMEOUT)
        .expect("metrics address logged");
    line.rsplit("http://")
        .next()
        .and_then(|a| a.trim().strip_suffix("/metrics"))
        .and_then(|a| a.parse().ok())
        .expect("metrics address")
}

/// One `GET /metrics`: the whole response, which must be a 200.
pub fn scrape(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to metrics");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    response
}

/// The value of a sample line, e.g. `ggzd_rooms` or
/// `ggzd_logins_total{kind="guest",outcome="ok"}`.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}
