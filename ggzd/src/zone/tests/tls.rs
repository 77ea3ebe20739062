//! `TLS_START` and the TLS login policy, with the recording sink.

use super::*;

fn world(tls: TlsPolicy) -> World {
    World::new(Settings { tls, ..settings() }, vec![room("entry", "Lobby")])
}

const OFFERED: TlsPolicy = TlsPolicy {
    offered: true,
    login_requires_tls: false,
};
const REQUIRED: TlsPolicy = TlsPolicy {
    offered: true,
    login_requires_tls: true,
};

#[test]
fn greeting_offers_tls_when_configured() {
    for (policy, offer) in [(TlsPolicy::default(), "'no'"), (OFFERED, "'yes'")] {
        let mut w = world(policy);
        let conn = ConnId {
            slot: 0,
            generation: 0,
        };
        w.zone
            .connected(conn, IpAddr::V4(Ipv4Addr::LOCALHOST), w.now, &mut w.sink);
        let greeting = w.sink.take(conn).concat();
        assert!(
            greeting.contains(&format!("TLS_SUPPORT={offer}")),
            "{greeting}"
        );
    }
}

#[test]
fn tls_start_switches_a_fresh_connection_once() {
    let mut w = world(OFFERED);
    let conn = w.connect();
    w.send(conn, "<TLS_START/>");
    assert_eq!(w.sink.tls_started, vec![conn]);
    assert!(w.sink.take(conn).is_empty(), "TLS_START has no reply");
    w.send(conn, "<TLS_START/>");
    assert_eq!(w.sink.tls_started, vec![conn]);
}

#[test]
fn tls_start_without_tls_or_after_login_is_ignored() {
    let mut w = world(TlsPolicy::default());
    let conn = w.connect();
    w.send(conn, "<TLS_START/>");
    assert!(w.sink.tls_started.is_empty());
    assert!(w.sink.take(conn).is_empty());
    assert!(w.sink.closed.is_empty());

    let mut w = world(OFFERED);
    let kim = w.guest("kim");
    w.send(kim, "<TLS_START/>");
    assert!(w.sink.tls_started.is_empty());
}

#[test]
fn password_logins_need_tls_when_required() {
    let mut w = world(REQUIRED);
    let conn = w.connect();
    w.send(
        conn,
        "<LOGIN TYPE='normal'><NAME>kim</NAME><PASSWORD>pw</PASSWORD></LOGIN>",
    );
    assert_eq!(
        w.sink.take(conn),
        vec!["<RESULT ACTION='login' CODE='wrong login type'/>\n"]
    );
    assert!(w.sink.jobs.is_empty());
    w.send(
        conn,
        "<LOGIN TYPE='first'><NAME>kim</NAME><EMAIL>k@example.org</EMAIL></LOGIN>",
    );
    let out = w.sink.take(conn).concat();
    assert!(out.contains("CODE='wrong login type'"), "{out}");
    assert!(w.sink.jobs.is_empty());

    // The same connection may start TLS and then log in.
    w.send(conn, "<TLS_START/>");
    w.send(
        conn,
        "<LOGIN TYPE='normal'><NAME>kim</NAME><PASSWORD>pw</PASSWORD></LOGIN>",
    );
    assert_eq!(w.sink.jobs.len(), 1, "the login went to the workers");

    // Guests carry no password.
    let guest = w.connect();
    w.send(guest, "<LOGIN TYPE='guest'><NAME>lee</NAME></LOGIN>");
    assert_eq!(w.sink.jobs.len(), 2);
}

#[test]
fn password_logins_are_fine_without_the_requirement() {
    let mut w = world(OFFERED);
    let conn = w.connect();
    w.send(
        conn,
        "<LOGIN TYPE='normal'><NAME>kim</NAME><PASSWORD>pw</PASSWORD></LOGIN>",
    );
    assert_eq!(w.sink.jobs.len(), 1);
}

#[test]
fn no_game_channel_inside_tls() {
    let mut w = world(OFFERED);
    let conn = w.connect();
    w.send(conn, "<TLS_START/><CHANNEL ID='kim'/>");
    let out = w.sink.take(conn).concat();
    assert!(out.contains("ACTION='channel' CODE='bad options'"), "{out}");
    assert!(w.sink.closed.contains(&(conn, Close::AfterFlush)));
}
