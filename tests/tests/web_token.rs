//! `channel-token` end to end (docs/extensions.md §2): a browser's game
//! channel from another address gets in with its token, a used token is
//! refused, and an original-style TCP client never sees a token.

#[path = "support/ws_client.rs"]
mod support;

use std::net::IpAddr;

use ggzd_e2e::*;
use support::*;

const GAME: &str = "name = \"TestGame\"\nversion = \"1\"\n\
     [launch]\nexecutable = [\"ggzd-test-game\", \"play\"]\n\
     [protocol]\nengine = \"Test\"\nversion = \"1\"\n\
     [table]\nplayers = \"2\"\nspectators = true\nleave = true\n";
const PLAY: &str = "name = \"Play\"\ngame = \"TestGame\"\nmax_tables = 3\n";

fn channel_session(name: &str, token: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <CHANNEL ID='{name}' TOKEN='{token}'/>\n</SESSION>\n"
    )
}

#[test]
fn a_token_admits_a_channel_from_another_address_once() {
    let (server, _dirs) = start_with_one_game(
        "webtoken",
        "testgame.toml",
        GAME,
        PLAY,
        "[web]\nlisten = \"127.0.0.1:0\"\n",
    );
    let addr = web_addr(&server);
    let mut lobby = ws_connect(addr).expect("lobby handshake");
    lobby.login_guest("webby", Some("channel-token"));
    let token = lobby.next_token();
    assert_eq!(token.len(), 32, "{token}");
    lobby.send("<ENTER ROOM='1'/>\n");
    lobby.wait_for("<RESULT ACTION='enter' CODE='ok'");

    // Another address than the lobby's: only the token can bind it.
    let other: IpAddr = [127, 0, 0, 2].into();
    let mut game = ws_connect_from(other, addr).expect("channel handshake");
    game.wait_for("<SERVER");
    game.send(&channel_session("webby", &token));
    game.wait_for("</SESSION>");
    // Used: the lobby is sent the next token.
    let next = lobby.next_token();
    assert_ne!(next, token);

    // The same token again is refused, from any address.
    let mut reused = ws_connect_from([127, 0, 0, 3].into(), addr).expect("handshake");
    reused.wait_for("<SERVER");
    reused.send(&channel_session("webby", &token));
    assert!(reused.closed_by_server(), "a used token is refused");
    assert!(
        server
            .wait_for_log("its token is not valid", TIMEOUT)
            .is_some()
    );

    // The channel admitted by the token reaches the game server.
    launch_and_relay(&mut lobby, &mut game, "token table", "webby");
}

#[test]
fn without_a_token_another_address_is_still_refused() {
    let (server, _dirs) = start_with_one_game(
        "webnotoken",
        "testgame.toml",
        GAME,
        PLAY,
        "[web]\nlisten = \"127.0.0.1:0\"\n",
    );
    let addr = web_addr(&server);
    let mut lobby = ws_connect(addr).expect("lobby handshake");
    lobby.login_guest("webby", Some("channel-token"));
    let _token = lobby.next_token();
    let mut game = ws_connect_from([127, 0, 0, 2].into(), addr).expect("handshake");
    game.wait_for("<SERVER");
    game.send(
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<CHANNEL ID='webby'/>\n</SESSION>\n",
    );
    assert!(game.closed_by_server());
    assert!(
        server
            .wait_for_log("it comes from another address", TIMEOUT)
            .is_some()
    );
}

#[test]
fn an_original_tcp_client_never_receives_a_token() {
    let server = TestServer::start();
    let mut kim = server.guest("kim");
    kim.send("<LIST TYPE='room'/>").expect("list");
    let mut seen = Vec::new();
    kim.recv_until(TIMEOUT, |e| {
        seen.push(e.name.clone());
        e.is("RESULT") && e.attr("ACTION") == Some("list")
    })
    .expect("list answer");
    // Its game channel works the original way, by address.
    let _channel = open_game_channel(&server, "kim");
    kim.send("<PING ID='sync'/>").expect("ping");
    kim.recv_until(TIMEOUT, |e| {
        seen.push(e.name.clone());
        e.is("PONG")
    })
    .expect("pong");
    assert!(
        !seen.iter().any(|n| n == "CHANNELTOKEN"),
        "an original client saw {seen:?}"
    );
}
