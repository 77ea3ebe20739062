//! Socket activation of the `[web]` listener: a passed socket named `web`
//! (`FileDescriptorName=web` in conf/ggzd-web.socket, `$LISTEN_FDNAMES`)
//! becomes the web listener, beside or without the protocol's own.

#[path = "support/ws_client.rs"]
mod support;

use std::net::TcpListener;
use std::os::fd::AsRawFd;

use ggzd_e2e::*;
use support::*;

#[test]
fn both_listeners_come_from_the_service_manager_by_name() {
    let main = TcpListener::bind("127.0.0.1:0").unwrap();
    let web = TcpListener::bind("127.0.0.1:0").unwrap();
    let web_addr_bound = web.local_addr().unwrap();
    let server = TestServer::start_with(ServerOptions {
        listen_fd: Some(main.as_raw_fd()),
        web_listen_fd: Some(web.as_raw_fd()),
        // Ignored in favour of the passed socket.
        extra_config: "[web]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Default::default()
    });
    assert_eq!(server.addr, main.local_addr().unwrap());
    assert_eq!(
        web_addr(&server),
        web_addr_bound,
        "ggzd serves where systemd bound"
    );
    assert!(
        server
            .log()
            .contains("web: using the listening socket passed by the service manager")
    );
    let mut browser = ws_connect(web_addr_bound).expect("WebSocket on the passed socket");
    browser.login_guest("webby", None);
    // The protocol listener serves too.
    let mut kim = server.guest("kim");
    enter(&mut kim, 0);
    drop((main, web));
}

#[test]
fn a_web_socket_alone_is_enough_without_web_listen() {
    let web = TcpListener::bind("127.0.0.1:0").unwrap();
    let bound = web.local_addr().unwrap();
    let server = TestServer::start_with(ServerOptions {
        web_listen_fd: Some(web.as_raw_fd()),
        ..Default::default()
    });
    // The protocol listener bound its own port (0 in the test config).
    assert_ne!(server.addr, bound);
    assert_eq!(web_addr(&server), bound);
    let mut browser = ws_connect(bound).expect("WebSocket on the passed socket");
    browser.login_guest("solo", None);
    drop(web);
}
