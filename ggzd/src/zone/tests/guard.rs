//! The abuse limits as the zone applies them: backoff, bans, the fair
//! login queue, connections not logged in per address, half-closed
//! clients, bans reaching players online.

use super::*;
use crate::abuse::throttle::ThrottleLimits;

fn limited(limits: crate::abuse::Limits) -> World {
    let mut s = settings();
    s.abuse = limits;
    World::new(s, vec![room("entry", "Lobby")])
}

fn limits() -> crate::abuse::Limits {
    crate::abuse::Limits {
        ipv6_prefix: 64,
        max_prelogin_per_ip: 0,
        login_queue_limit: 100,
        login_slots: 1,
        throttle: ThrottleLimits {
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
            ban_failures: 3,
            ban_time: Duration::from_secs(60),
        },
    }
}

impl World {
    fn connect_from(&mut self, ip: &str) -> (ConnId, bool) {
        let conn = ConnId {
            slot: self.next_slot,
            generation: 0,
        };
        self.next_slot += 1;
        let ok = self
            .zone
            .connected(conn, ip.parse().unwrap(), self.now, &mut self.sink);
        self.sink.take(conn);
        (conn, ok)
    }

    fn login(&mut self, conn: ConnId, name: &str) {
        self.send(
            conn,
            &format!("<LOGIN TYPE='normal'><NAME>{name}</NAME><PASSWORD>x</PASSWORD></LOGIN>"),
        );
    }

    /// Connections whose login jobs were submitted, oldest first.
    fn submitted(&mut self) -> Vec<ConnId> {
        std::mem::take(&mut self.sink.jobs)
            .into_iter()
            .filter_map(|j| match j {
                Job::Login { conn, .. } => Some(conn),
                _ => None,
            })
            .collect()
    }

    fn done(&mut self, conn: ConnId, outcome: LoginOutcome) {
        self.zone
            .on_login_done(conn, outcome, self.now, &mut self.sink);
    }

    fn delay_timer(&self, conn: ConnId) -> Option<Instant> {
        self.sink
            .timers
            .iter()
            .rev()
            .find(|(_, k)| k.conn == conn && k.kind == TimerKind::LoginDelay)
            .map(|(at, _)| *at)
    }

    fn fire(&mut self, conn: ConnId, kind: TimerKind, at: Instant) {
        self.now = at;
        self.zone
            .on_timer(TimerKey { conn, kind }, at, at, &mut self.sink);
    }

    fn closed(&self, conn: ConnId) -> bool {
        self.sink.closed.iter().any(|(c, _)| *c == conn)
    }
}

#[test]
fn a_wrong_password_delays_the_next_attempt_by_a_timer() {
    let mut w = limited(limits());
    let (a, _) = w.connect_from("192.0.2.1");
    w.login(a, "ann");
    assert_eq!(w.submitted(), vec![a]);
    w.done(a, LoginOutcome::WrongPassword);
    assert_eq!(
        w.sink.take(a),
        vec!["<RESULT ACTION='login' CODE='usr lookup'/>\n"]
    );
    w.login(a, "ann");
    assert!(w.submitted().is_empty(), "held back, not hashed");
    let at = w.delay_timer(a).expect("a backoff timer");
    assert_eq!(at, w.now + Duration::from_millis(250));
    // A stale deadline does nothing.
    w.fire(a, TimerKind::LoginDelay, at - Duration::from_millis(1));
    assert!(w.submitted().is_empty());
    w.fire(a, TimerKind::LoginDelay, at);
    assert_eq!(w.submitted(), vec![a]);
    w.done(a, LoginOutcome::Accepted(Box::default()));
    assert!(w.sink.take(a)[0].contains("CODE='ok'"));
}

#[test]
fn enough_failures_ban_the_address_and_close_it() {
    let mut w = limited(crate::abuse::Limits {
        throttle: ThrottleLimits {
            backoff_base: Duration::ZERO,
            ..limits().throttle
        },
        ..limits()
    });
    let mut conns = Vec::new();
    for _ in 0..3 {
        let (c, _) = w.connect_from("192.0.2.1");
        w.login(c, "ann");
        conns.push(c);
    }
    for (i, c) in conns.iter().enumerate() {
        assert_eq!(w.submitted(), vec![*c]);
        w.done(*c, LoginOutcome::WrongPassword);
        assert_eq!(w.closed(*c), i == 2, "the third failure earns the ban");
    }
    let (d, _) = w.connect_from("192.0.2.1");
    w.login(d, "bob");
    assert!(w.submitted().is_empty());
    assert_eq!(
        w.sink.take(d),
        vec!["<RESULT ACTION='login' CODE='usr lookup'/>\n"]
    );
    assert!(w.closed(d));
    // Other addresses are not affected; the ban ends.
    let (e, _) = w.connect_from("192.0.2.2");
    w.login(e, "bob");
    assert_eq!(w.submitted(), vec![e]);
    w.now += Duration::from_secs(60);
    let (f, _) = w.connect_from("192.0.2.1");
    w.send(f, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    w.done(e, LoginOutcome::Accepted(Box::default()));
    assert_eq!(w.submitted(), vec![f]);
}

#[test]
fn logins_take_turns_by_address() {
    let mut w = limited(limits());
    let storm: Vec<ConnId> = (0..4)
        .map(|_| {
            let (c, _) = w.connect_from("192.0.2.1");
            w.login(c, "ann");
            c
        })
        .collect();
    let (legit, _) = w.connect_from("192.0.2.9");
    w.login(legit, "bob");
    assert_eq!(w.submitted(), vec![storm[0]], "one worker slot");
    w.done(storm[0], LoginOutcome::Refused(ResultCode::UserNotFound));
    assert_eq!(w.submitted(), vec![legit], "the other address goes next");
}

#[test]
fn a_full_login_queue_refuses_at_once() {
    let mut w = limited(crate::abuse::Limits {
        login_queue_limit: 1,
        ..limits()
    });
    let conns: Vec<ConnId> = (1..=3)
        .map(|n| {
            let (c, _) = w.connect_from(&format!("192.0.2.{n}"));
            w.login(c, "ann");
            c
        })
        .collect();
    assert_eq!(w.submitted(), vec![conns[0]]);
    assert!(w.sink.take(conns[1]).is_empty(), "queued");
    assert_eq!(
        w.sink.take(conns[2]),
        vec!["<RESULT ACTION='login' CODE='usr lookup'/>\n"]
    );
    // It may try again later.
    assert!(!w.closed(conns[2]));
}

#[test]
fn a_client_that_leaves_still_counts_its_failure_and_frees_its_place() {
    let mut w = limited(limits());
    let (a, _) = w.connect_from("192.0.2.1");
    w.login(a, "ann");
    let (b, _) = w.connect_from("192.0.2.2");
    w.login(b, "bob");
    assert_eq!(w.submitted(), vec![a]);
    w.zone.disconnected(a, w.now, &mut w.sink);
    w.zone.disconnected(b, w.now, &mut w.sink);
    w.done(a, LoginOutcome::WrongPassword);
    assert!(w.submitted().is_empty(), "b left the queue");
    let (c, _) = w.connect_from("192.0.2.1");
    w.login(c, "carl");
    assert!(w.submitted().is_empty(), "192.0.2.1 failed: backoff");
    assert!(w.delay_timer(c).is_some());
}

#[test]
fn connections_not_logged_in_are_limited_per_address() {
    let mut w = limited(crate::abuse::Limits {
        max_prelogin_per_ip: 2,
        login_slots: 8,
        ..limits()
    });
    let (a, ok_a) = w.connect_from("2001:db8::1");
    let (_, ok_b) = w.connect_from("2001:db8::2");
    let (_, ok_c) = w.connect_from("2001:db8::3");
    let (_, ok_other) = w.connect_from("2001:db8:0:1::1");
    assert_eq!((ok_a, ok_b, ok_c, ok_other), (true, true, false, true));
    // A login frees the place.
    w.send(a, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    w.done(a, LoginOutcome::GuestChecked { registered: false });
    let (_, ok_d) = w.connect_from("2001:db8::4");
    assert!(ok_d);
    let (_, ok_e) = w.connect_from("2001:db8::5");
    assert!(!ok_e);
}

#[test]
fn a_half_closed_client_gets_its_pending_login_answer() {
    let mut w = limited(limits());
    let (a, _) = w.connect_from("192.0.2.1");
    w.send(a, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    assert!(w.zone.peer_finished(a, w.now, &mut w.sink));
    assert!(!w.closed(a), "the answer is still to come");
    w.done(a, LoginOutcome::GuestChecked { registered: false });
    let out = w.sink.take(a);
    assert!(out[0].contains("CODE='ok'"), "{out:?}");
    assert!(w.sink.closed.contains(&(a, Close::AfterFlush)));
    assert_eq!(w.zone.player_count(), 0);
    // Nothing pending: closed once what is queued is out.
    let (b, _) = w.connect_from("192.0.2.1");
    assert!(w.zone.peer_finished(b, w.now, &mut w.sink));
    assert!(w.sink.closed.contains(&(b, Close::AfterFlush)));
}

#[test]
fn a_ban_found_on_reload_removes_the_player() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let lee = w.guest_in("lee", 0);
    w.zone.refresh_permissions(&mut w.sink);
    let Some(Job::RefreshPermissions { players }) = w.sink.jobs.pop() else {
        panic!("a refresh job");
    };
    assert_eq!(players.len(), 2, "guests are checked for bans too");
    w.zone.on_permissions_refreshed(
        vec![Refreshed {
            conn: kim,
            perms: None,
            ban: Some("spam".into()),
        }],
        w.now,
        &mut w.sink,
    );
    assert!(w.closed(kim));
    let to_kim = w.sink.take(kim);
    assert!(
        to_kim.iter().any(|m| m.contains("banned: spam")),
        "{to_kim:?}"
    );
    assert!(w.zone.player(lee).is_some());
    assert!(w.zone.player(kim).is_none());
}
