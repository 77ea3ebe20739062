//! Game channels bound to their player (docs/game-servers.md).

use super::*;

fn connect_from(w: &mut World, ip: [u8; 4]) -> ConnId {
    let conn = ConnId {
        slot: w.next_slot,
        generation: 0,
    };
    w.next_slot += 1;
    w.zone
        .connected(conn, IpAddr::V4(Ipv4Addr::from(ip)), w.now, &mut w.sink);
    w.sink.take(conn);
    conn
}

fn prepared(w: &World, player: ConnId) -> Option<ConnId> {
    w.zone.player(player).and_then(|p| p.channel)
}

#[test]
fn a_channel_from_another_address_is_refused() {
    let mut w = World::standard();
    let kim = w.guest("kim");
    let attacker = connect_from(&mut w, [127, 0, 0, 2]);
    w.send(attacker, "<CHANNEL ID='kim'/></SESSION>");
    assert!(
        w.sink.take(attacker).is_empty(),
        "no answer to a refused channel"
    );
    assert!(w.sink.closed.contains(&(attacker, Close::Now)));
    assert!(w.sink.stopped.is_empty());
    assert_eq!(prepared(&w, kim), None);
}

#[test]
fn the_first_prepared_channel_wins_while_it_is_open() {
    let mut w = World::standard();
    let kim = w.guest("kim");
    let first = w.connect();
    w.send(first, "<CHANNEL ID='kim'/></SESSION>");
    assert_eq!(prepared(&w, kim), Some(first));
    let second = w.connect();
    w.send(second, "<CHANNEL ID='kim'/></SESSION>");
    assert!(w.sink.closed.contains(&(second, Close::Now)));
    assert!(!w.sink.closed.iter().any(|(c, _)| *c == first));
    assert_eq!(prepared(&w, kim), Some(first));
}

#[test]
fn a_prepared_channel_its_client_closed_is_replaced() {
    let mut w = World::standard();
    let kim = w.guest("kim");
    let first = w.connect();
    w.send(first, "<CHANNEL ID='kim'/></SESSION>");
    w.sink.dead_channels.push(first);
    let second = w.connect();
    w.send(second, "<CHANNEL ID='kim'/></SESSION>");
    assert_eq!(w.sink.take(second), vec!["</SESSION>\n"]);
    assert!(w.sink.closed.contains(&(first, Close::Now)));
    assert_eq!(prepared(&w, kim), Some(second));
}
