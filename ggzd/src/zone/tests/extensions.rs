//! `EXTENSIONS`, the opt-in for protocol-10 extensions.

use super::*;

fn world() -> World {
    World::new(settings(), vec![room("entry", "Lobby")])
}

#[test]
fn extensions_answer_lists_what_is_on_before_and_after_login() {
    let mut w = world();
    let conn = w.connect();
    w.sink.take(conn);
    w.send(conn, "<EXTENSIONS NAMES='rejoin warp'/>");
    assert_eq!(w.sink.take(conn).concat(), "<EXTENSIONS NAMES='rejoin'/>\n");
    let kim = w.guest("kim");
    w.sink.take(kim);
    w.send(kim, "<EXTENSIONS NAMES='matchmaking channel-token'/>");
    let out = w.sink.take(kim);
    assert_eq!(
        out.first().map(String::as_str),
        Some("<EXTENSIONS NAMES='channel-token matchmaking'/>\n")
    );
    // channel-token asked for after login: the first token follows.
    assert!(out.get(1).is_some_and(|m| m.starts_with("<CHANNELTOKEN ")));
    let ext = w.zone.session(kim).map(|s| s.ext).unwrap_or_default();
    assert!(ext.channel_token && ext.matchmaking && !ext.rejoin);
}

#[test]
fn a_session_that_never_asks_has_every_extension_off() {
    let mut w = world();
    let kim = w.guest("kim");
    let ext = w.zone.session(kim).map(|s| s.ext);
    assert_eq!(ext, Some(crate::zone::extensions::Extensions::default()));
}
