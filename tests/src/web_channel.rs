//! A game channel as a browser opens it: a WebSocket to the `[web]`
//! listener, then the channel handshake (docs/client-server.md).

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

use crate::{TIMEOUT, TestServer};

/// The address `server` logged for its `[web]` listener.
pub fn web_addr(server: &TestServer) -> SocketAddr {
    let line = server
        .wait_for_log("WebSocket clients at ws", TIMEOUT)
        .expect("web listener line");
    line.rsplit("://")
        .next()
        .and_then(|a| a.trim().trim_end_matches("/ws").parse().ok())
        .expect("web address")
}

/// Player `name`'s game channel over a WebSocket to `web`, read with
/// `read_timeout`, once the server has closed the handshake with
/// `</SESSION>`.
pub fn ws_game_channel(
    web: SocketAddr,
    name: &str,
    read_timeout: Duration,
) -> WebSocket<TcpStream> {
    let stream = TcpStream::connect(web).expect("connect to the web listener");
    stream
        .set_read_timeout(Some(read_timeout))
        .expect("read timeout");
    let upgrade = format!("ws://{web}/ws")
        .into_client_request()
        .expect("an upgrade request");
    let (mut channel, _) = tungstenite::client(upgrade, stream).expect("handshake");
    channel
        .send(Message::text(format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<CHANNEL ID='{name}' />\n</SESSION>\n"
        )))
        .expect("send the channel handshake");
    let mut seen = String::new();
    while !seen.contains("</SESSION>") {
        if let Message::Text(t) = channel.read().expect("channel answer") {
            seen.push_str(&t);
        }
    }
    channel
}
