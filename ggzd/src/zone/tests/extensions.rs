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
    assert_eq!(
        w.sink.take(kim).concat(),
        "<EXTENSIONS NAMES='channel-token matchmaking'/>\n"
    );
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
