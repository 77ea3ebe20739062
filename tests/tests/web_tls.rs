//! wss: the `[web]` listener over TLS (`[web] tls = true`, the `[tls]`
//! pair): the lobby and a relayed game channel inside TLS, the page over
//! https, plain WebSocket refused, and a certificate reloaded on SIGHUP
//! serving new connections. Certificates come from a test CA made with rcgen; the
//! client is tungstenite over rustls (test code only).

#[path = "support/ws_client.rs"]
mod support;
#[path = "support/test_ca.rs"]
mod test_ca;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use ggzd_e2e::*;
use support::*;
use test_ca::{Ca, install};

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

const GAME: &str = "name = \"TestGame\"\nversion = \"1\"\n\
     [launch]\nexecutable = [\"ggzd-test-game\", \"play\"]\n\
     [protocol]\nengine = \"Test\"\nversion = \"1\"\n\
     [table]\nplayers = \"2\"\nspectators = true\nleave = true\n";
const PLAY: &str = "name = \"Play\"\ngame = \"TestGame\"\nmax_tables = 3\n";

fn wss_server(ca: &Ca) -> (TestServer, TempDir, TempDir) {
    let certs = TempDir::new("wss");
    install(certs.path(), &ca.server(false));
    let (server, dirs) = start_with_one_game(
        "wss",
        "testgame.toml",
        GAME,
        PLAY,
        &format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\n[web]\nlisten = \"127.0.0.1:0\"\ntls = true\n",
            certs.path().join("cert.pem").display(),
            certs.path().join("key.pem").display()
        ),
    );
    (server, dirs, certs)
}

/// A wss client trusting `config`'s roots, from `from`.
fn wss_connect(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    from: [u8; 4],
) -> Result<WsClient<Tls>, tungstenite::Error> {
    let sock = connect_from(from.into(), addr);
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let tls = rustls::ClientConnection::new(Arc::clone(config), name).unwrap();
    let client = WsClient::handshake(&format!("wss://{addr}/ws"), Tls::new(tls, sock))?;
    client
        .ws
        .get_ref()
        .sock
        .set_read_timeout(Some(POLL))
        .unwrap();
    Ok(client)
}

#[test]
fn lobby_and_game_channel_over_wss() {
    let ca = Ca::new("wss test CA");
    let (server, _dirs, _certs) = wss_server(&ca);
    let addr = web_addr(&server);
    assert!(
        server.log().contains(&format!("wss://{addr}/ws")),
        "the log names the wss URL"
    );
    let trust = ca.client();
    let mut lobby = wss_connect(addr, &trust, [127, 0, 0, 1]).expect("wss handshake");
    lobby.login_guest("secure", Some("channel-token"));
    let token = lobby.next_token();
    lobby.send("<ENTER ROOM='1'/>\n");
    lobby.wait_for("<RESULT ACTION='enter' CODE='ok'");

    // A TCP player in the same room hears the wss player's chat.
    let mut kim = server.guest_in_room("kim", 1);
    lobby.send("<CHAT TYPE='normal'>over wss</CHAT>\n");
    let chat = kim.recv_until(TIMEOUT, |e| e.is("CHAT")).expect("chat");
    assert_eq!(chat.text, "over wss");

    // The game channel: wss too, relayed to the game server.
    let mut game = wss_connect(addr, &trust, [127, 0, 0, 2]).expect("channel handshake");
    game.wait_for("<SERVER");
    game.send(&format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <CHANNEL ID='secure' TOKEN='{token}'/>\n</SESSION>\n"
    ));
    game.wait_for("</SESSION>");
    launch_and_relay(&mut lobby, &mut game, "wss table", "secure");
    close_channel(&server, &mut game);
}

#[test]
fn plain_websocket_is_refused_and_a_reloaded_certificate_serves_new_connections() {
    let ca = Ca::new("first CA");
    let (server, _dirs, certs) = wss_server(&ca);
    let addr = web_addr(&server);
    assert!(ws_connect(addr).is_err(), "no plain ws on a wss listener");
    assert!(server.wait_for_log("web: TLS failed", TIMEOUT).is_some());

    let mut old = wss_connect(addr, &ca.client(), [127, 0, 0, 1]).expect("first pair");
    old.login_guest("early", None);

    let second = Ca::new("second CA");
    install(certs.path(), &second.server(false));
    server.signal(libc::SIGHUP);
    assert!(
        server
            .wait_for_log("TLS certificate and key reloaded", TIMEOUT)
            .is_some()
    );
    let mut new = wss_connect(addr, &second.client(), [127, 0, 0, 1]).expect("new pair");
    new.login_guest("late", None);
    assert!(
        wss_connect(addr, &ca.client(), [127, 0, 0, 1]).is_err(),
        "the old pair is gone for new connections"
    );
    // The connection made before the reload carries on.
    old.send("<PING ID='still'/>\n");
    old.wait_for("<PONG ID='still'");

    // The web client's page comes over https on the same listener.
    let sock = connect_from([127, 0, 0, 1].into(), addr);
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let tls = rustls::ClientConnection::new(second.client(), name).unwrap();
    let mut https = Tls::new(tls, sock);
    https
        .write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    let mut page = Vec::new();
    let _ = https.read_to_end(&mut page);
    let page = String::from_utf8_lossy(&page);
    assert!(page.starts_with("HTTP/1.1 200 "), "{page}");
    assert!(page.contains("<html"), "{page}");
}
