//! A browser player at a table of another node whose game channel (a
//! WebSocket on its own node, relayed to the table's node) closes
//! mid-game (docs/cluster.md §8, "Rejoining"): the seat is held there as
//! for a dropped TCP client, the player hears LEAVE and REJOIN, and takes
//! the seat back, also after logging in again on the table's node. Two
//! nodes on one throwaway PostgreSQL; every wait is generous and nothing
//! asserts on time.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ggzd_e2e::dio::*;
use ggzd_e2e::*;
use tungstenite::Message;
use tungstenite::client::IntoClientRequest;

#[path = "support/cluster.rs"]
mod support;
use support::*;

/// Room 1 is the repository's Tic-Tac-Toe room; game 0 is TicTacToe.
const ROOM: i32 = 1;

type Channel = tungstenite::WebSocket<TcpStream>;

/// The seats of the table described `desc` in `LIST table`, as (type,
/// name), and its id.
fn table_seats(client: &mut Client, desc: &str) -> Option<(String, Vec<(String, String)>)> {
    client.send("<LIST TYPE='table'/>").unwrap();
    let result = client.expect_result("list", TIMEOUT).unwrap();
    let list = result.child("LIST")?;
    let table = list
        .children_named("TABLE")
        .find(|t| t.child("DESC").is_some_and(|d| d.text == desc))?;
    let seats = table
        .children_named("SEAT")
        .map(|s| (s.attr("TYPE").unwrap_or("").to_string(), s.text.clone()))
        .collect();
    Some((table.attr("ID")?.to_string(), seats))
}

/// Asks `LIST table` until the table's seats satisfy `ok`; returns its id.
fn wait_seats(client: &mut Client, what: &str, ok: impl Fn(&[(String, String)]) -> bool) -> String {
    let deadline = Instant::now() + SLOW;
    loop {
        let got = table_seats(client, "held");
        if let Some((id, seats)) = &got
            && ok(seats)
        {
            return id.clone();
        }
        assert!(Instant::now() < deadline, "{what}: {got:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn has(seats: &[(String, String)], kind: &str, name: &str) -> bool {
    seats.iter().any(|(k, n)| k == kind && n == name)
}

/// A browser's game channel for `name` on the WebSocket listener `web`.
fn web_channel(web: SocketAddr, name: &str) -> Channel {
    let stream = TcpStream::connect(web).unwrap();
    stream.set_read_timeout(Some(SLOW)).unwrap();
    let upgrade = format!("ws://{web}/ws").into_client_request().unwrap();
    let (mut channel, _) = tungstenite::client(upgrade, stream).expect("handshake");
    channel
        .send(Message::text(format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<CHANNEL ID='{name}' />\n</SESSION>\n"
        )))
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("</SESSION>") {
        if let Message::Text(t) = channel.read().expect("channel answer") {
            seen.push_str(&t);
        }
    }
    channel
}

/// Reads game bytes from the browser's channel until `packet` came.
fn until_packet(channel: &mut Channel, packet: &[u8]) {
    let mut bytes: Vec<u8> = Vec::new();
    while !bytes.windows(packet.len()).any(|w| w == packet) {
        match channel.read().expect("game bytes over the relay") {
            Message::Binary(b) => bytes.extend_from_slice(&b),
            Message::Close(_) => panic!("the channel closed: {bytes:?}"),
            _ => {}
        }
    }
}

/// REQ_MOVE of the TicTacToe protocol (docs/tictactoe.md).
const REQ_MOVE: [u8; 6] = [0, 6, 0, 0, 0, 4];

fn join(client: &mut Client, table: &str) {
    client
        .send(&format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"))
        .unwrap();
    assert_eq!(result_code(client, "join"), "ok");
}

/// The REJOIN notice `client` gets, as (room, table, seat).
fn rejoin_notice(client: &mut Client) -> (String, String, String) {
    let e = client
        .recv_until(SLOW, |e| e.is("REJOIN"))
        .unwrap_or_else(|e| panic!("no REJOIN: {e}"));
    let attr = |a: &str| e.attr(a).unwrap_or_default().to_string();
    (attr("ROOM"), attr("TABLE"), attr("SEAT"))
}

#[test]
fn a_browser_channel_closed_mid_game_holds_the_seat_on_the_tables_node() {
    let url = database();
    let [a, b] = pair_with(&url, "[web]\nlisten = \"127.0.0.1:0\"\n");
    let web: SocketAddr = b
        .wait_for_log("WebSocket clients at ws://", TIMEOUT)
        .and_then(|line| {
            line.rsplit("ws://")
                .next()
                .and_then(|a| a.trim().trim_end_matches("/ws").parse().ok())
        })
        .expect("web address");
    let mut ann = a.guest_in_room("ann", ROOM);
    let mut bob = b.guest_in_room("bob", ROOM);
    bob.send("<EXTENSIONS NAMES='rejoin'/>").unwrap();
    bob.recv_until(TIMEOUT, |e| e.is("EXTENSIONS")).unwrap();
    let mut ann_dio = Dio::open(&a, "ann");
    ann.send(
        "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>held</DESC>\n\
         <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n",
    )
    .unwrap();
    assert_eq!(result_code(&mut ann, "launch"), "ok");
    ann_dio.until(|m| matches!(m, Msg::Seat(_)));
    let on_b = wait_seats(&mut bob, "ann's table on b", |s| has(s, "player", "ann"));

    // bob plays from a browser on b: ann moves, then bob.
    let mut channel = web_channel(web, "bob");
    join(&mut bob, &on_b);
    ann_dio.until(|m| *m == Msg::ReqMove);
    ann_dio.send_move(4);
    until_packet(&mut channel, &REQ_MOVE);
    let mut packet = vec![0u8, 10, 0, 0, 0, 0];
    packet.extend_from_slice(&0i32.to_be_bytes());
    channel.send(Message::binary(packet)).expect("send a move");
    assert_eq!(
        ann_dio.until(|m| matches!(m, Msg::Move { .. })),
        Msg::Move {
            player: 1,
            square: 0
        }
    );

    // The tab's socket drops mid-game; bob's lobby stays.
    channel.close(None).expect("close");
    drop(channel);
    let left = bob
        .recv_until(SLOW, |e| e.is("LEAVE"))
        .unwrap_or_else(|e| panic!("no LEAVE: {e}\n{}", b.log()));
    assert_eq!(left.attr("REASON"), Some("normal"));
    // a holds the seat for him, and b tells him so under its own ids.
    wait_seats(&mut ann, "bob's seat held on a", |s| {
        has(s, "abandoned", "bob")
    });
    assert_eq!(
        rejoin_notice(&mut bob),
        (ROOM.to_string(), on_b.clone(), "1".to_string())
    );

    // He takes it back from b with a new browser channel.
    let mut channel = web_channel(web, "bob");
    join(&mut bob, &on_b);
    wait_seats(&mut ann, "bob seated again", |s| has(s, "player", "bob"));
    ann_dio.until(|m| *m == Msg::ReqMove);
    ann_dio.send_move(8);
    until_packet(&mut channel, &REQ_MOVE);

    // Then the whole tab goes: lobby and channel. He logs in again on a,
    // the table's node, and gets the seat there.
    drop(channel);
    drop(bob);
    wait_seats(&mut ann, "bob's seat held again", |s| {
        has(s, "abandoned", "bob")
    });
    let deadline = Instant::now() + SLOW;
    let mut bob = loop {
        let mut client = a.connect();
        client.send("<EXTENSIONS NAMES='rejoin'/>").unwrap();
        let code = client
            .login(LoginKind::Guest, "bob", None, None)
            .unwrap()
            .code;
        if code == "ok" {
            break client;
        }
        assert!(Instant::now() < deadline, "bob still refused: {code}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let (room, table, seat) = rejoin_notice(&mut bob);
    assert_eq!((room.as_str(), seat.as_str()), ("1", "1"));
    enter(&mut bob, ROOM);
    let mut bob_dio = Dio::open(&a, "bob");
    join(&mut bob, &table);
    let Msg::Sync { cells, .. } = bob_dio.until(|m| matches!(m, Msg::Sync { .. })) else {
        unreachable!()
    };
    assert_eq!(
        (cells[4], cells[0], cells[8]),
        (0, 1, 0),
        "the board came back"
    );
}
