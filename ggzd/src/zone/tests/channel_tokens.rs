//! `channel-token` (docs/extensions.md §2): single-use tokens instead of
//! the address binding of game channels.

use super::*;
use crate::zone::channel_token::LIFETIME;

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

/// The TOKEN of every CHANNELTOKEN in `out`.
fn tokens(out: &[String]) -> Vec<String> {
    out.iter()
        .filter_map(|m| m.strip_prefix("<CHANNELTOKEN TOKEN='"))
        .filter_map(|m| m.strip_suffix("'/>\n"))
        .map(str::to_owned)
        .collect()
}

/// A guest who asked for `channel-token` before LOGIN; returns the
/// connection and the token the login brought.
fn token_guest(w: &mut World, name: &str) -> (ConnId, String) {
    let conn = w.connect();
    w.send(conn, "<EXTENSIONS NAMES='channel-token'/>");
    w.sink.take(conn);
    w.send(
        conn,
        &format!("<LOGIN TYPE='guest'><NAME>{name}</NAME></LOGIN>"),
    );
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    let out = w.sink.take(conn);
    assert!(out[0].contains("CODE='ok'"), "{out:?}");
    let got = tokens(&out);
    assert_eq!(got.len(), 1, "one token after login: {out:?}");
    assert!(
        out.iter().position(|m| m.starts_with("<MOTD"))
            < out.iter().position(|m| m.starts_with("<CHANNELTOKEN")),
        "the token follows the login's answer and MOTD"
    );
    let token = got.into_iter().next().unwrap_or_default();
    assert_eq!(token.len(), 32);
    (conn, token)
}

#[test]
fn a_token_lets_a_channel_in_from_another_address_once() {
    let mut w = World::standard();
    let (kim, token) = token_guest(&mut w, "kim");
    let browser = connect_from(&mut w, [10, 0, 0, 7]);
    w.send(
        browser,
        &format!("<CHANNEL ID='kim' TOKEN='{token}'/></SESSION>"),
    );
    assert_eq!(w.sink.take(browser), vec!["</SESSION>\n"]);
    assert_eq!(prepared(&w, kim), Some(browser));
    // Used up: the player is sent the next one.
    let next = tokens(&w.sink.take(kim));
    assert_eq!(next.len(), 1);
    assert_ne!(next[0], token);

    // The same token again is refused, even from the player's own address.
    w.sink.dead_channels.push(browser);
    let again = w.connect();
    w.send(
        again,
        &format!("<CHANNEL ID='kim' TOKEN='{token}'/></SESSION>"),
    );
    assert!(w.sink.take(again).is_empty());
    assert!(w.sink.closed.contains(&(again, Close::Now)));
    assert_eq!(prepared(&w, kim), Some(browser));
    assert!(
        tokens(&w.sink.take(kim)).is_empty(),
        "a refusal issues none"
    );

    // The fresh one works.
    let third = connect_from(&mut w, [10, 0, 0, 8]);
    w.send(
        third,
        &format!("<CHANNEL ID='kim' TOKEN='{}'/></SESSION>", next[0]),
    );
    assert_eq!(w.sink.take(third), vec!["</SESSION>\n"]);
    assert_eq!(prepared(&w, kim), Some(third));
}

#[test]
fn a_wrong_token_is_refused_and_leaves_the_right_one_valid() {
    let mut w = World::standard();
    let (kim, token) = token_guest(&mut w, "kim");
    let wrong = w.connect();
    w.send(
        wrong,
        &format!("<CHANNEL ID='kim' TOKEN='{}'/></SESSION>", "0".repeat(32)),
    );
    assert!(w.sink.closed.contains(&(wrong, Close::Now)));
    assert_eq!(prepared(&w, kim), None);
    // Another player's token does not open kim's channel either.
    let (_bo, bo_token) = token_guest(&mut w, "bo");
    let crossed = w.connect();
    w.send(
        crossed,
        &format!("<CHANNEL ID='kim' TOKEN='{bo_token}'/></SESSION>"),
    );
    assert!(w.sink.closed.contains(&(crossed, Close::Now)));
    let right = connect_from(&mut w, [10, 0, 0, 9]);
    w.send(
        right,
        &format!("<CHANNEL ID='kim' TOKEN='{token}'/></SESSION>"),
    );
    assert_eq!(prepared(&w, kim), Some(right));
}

#[test]
fn a_lapsed_token_is_refused_and_replaced() {
    let mut w = World::standard();
    let (kim, token) = token_guest(&mut w, "kim");
    let (at, key) = *w
        .sink
        .timers
        .iter()
        .find(|(_, k)| k.kind == TimerKind::ChannelToken && k.conn == kim)
        .expect("a lapse timer");
    assert_eq!(at, w.now + LIFETIME);
    w.now = at;
    // The CHANNEL arrives just as it lapses, before the timer ran.
    let late = connect_from(&mut w, [10, 0, 0, 7]);
    w.send(
        late,
        &format!("<CHANNEL ID='kim' TOKEN='{token}'/></SESSION>"),
    );
    assert!(w.sink.closed.contains(&(late, Close::Now)));
    w.zone.on_timer(key, at, w.now, &mut w.sink);
    let fresh = tokens(&w.sink.take(kim));
    assert_eq!(fresh.len(), 1);
    assert_ne!(fresh[0], token);
    // A stale timer (the token was replaced since) sends nothing.
    w.zone.on_timer(key, at, w.now, &mut w.sink);
    assert!(w.sink.take(kim).is_empty());
}

#[test]
fn a_channel_without_a_token_still_needs_the_players_address() {
    let mut w = World::standard();
    let (kim, _token) = token_guest(&mut w, "kim");
    let other = connect_from(&mut w, [10, 0, 0, 7]);
    w.send(other, "<CHANNEL ID='kim'/></SESSION>");
    assert!(w.sink.closed.contains(&(other, Close::Now)));
    let same = w.connect();
    w.send(same, "<CHANNEL ID='kim'/></SESSION>");
    assert_eq!(prepared(&w, kim), Some(same));
}

#[test]
fn clients_that_never_asked_get_no_token_and_cannot_use_one() {
    let mut w = World::standard();
    let kim = w.connect();
    w.send(kim, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    let out = w.sink.take(kim);
    assert!(tokens(&out).is_empty(), "{out:?}");
    assert!(!out.iter().any(|m| m.contains("CHANNELTOKEN")));
    assert!(
        !w.sink
            .timers
            .iter()
            .any(|(_, k)| k.kind == TimerKind::ChannelToken)
    );
    let guess = w.connect();
    w.send(
        guess,
        &format!("<CHANNEL ID='kim' TOKEN='{}'/></SESSION>", "a".repeat(32)),
    );
    assert!(w.sink.closed.contains(&(guess, Close::Now)));
    assert_eq!(prepared(&w, kim), None);
}

#[test]
fn logging_out_drops_the_token() {
    let mut w = World::standard();
    let (kim, token) = token_guest(&mut w, "kim");
    w.zone.disconnected(kim, w.now, &mut w.sink);
    // A new kim is a new player: the old token means nothing to it.
    let (_kim2, token2) = token_guest(&mut w, "kim");
    assert_ne!(token, token2);
    let stale = w.connect();
    w.send(
        stale,
        &format!("<CHANNEL ID='kim' TOKEN='{token}'/></SESSION>"),
    );
    assert!(w.sink.closed.contains(&(stale, Close::Now)));
}
