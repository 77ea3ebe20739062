//! New settings applied to a running zone (SIGHUP).

use super::*;

#[test]
fn a_lower_chat_limit_applies_to_a_player_already_online() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let line = format!("<CHAT TYPE='normal'>{}</CHAT>", "x".repeat(100));
    w.send(kim, &line);
    assert!(!w.sink.take(kim).iter().any(|m| m.contains("bad options")));
    let mut s = settings();
    s.chat.max_length = 50;
    w.zone.apply_settings(s, w.now, &mut w.sink);
    w.send(kim, &line);
    assert_eq!(
        w.sink.take(kim),
        vec!["<RESULT ACTION='chat' CODE='bad options'/>\n"]
    );
}

#[test]
fn the_port_and_game_directories_stay_as_started() {
    let mut w = World::standard();
    let mut s = settings();
    s.port = 1;
    s.gamedata_dir = "/elsewhere".into();
    s.registration = Registration::Closed;
    w.zone.apply_settings(s, w.now, &mut w.sink);
    assert_eq!(w.zone.settings().port, 5688);
    assert_eq!(w.zone.settings().gamedata_dir, settings().gamedata_dir);
    assert_eq!(w.zone.settings().registration, Registration::Closed);
}

#[test]
fn pings_come_sooner_when_the_interval_shrinks_and_start_when_switched_on() {
    let mut off = settings();
    off.ping_frequency = None;
    off.room_update_frequency = None;
    let mut w = World::new(off.clone(), vec![room("entry", "Lobby")]);
    let kim = w.guest("kim");
    assert!(w.sink.timers.iter().all(|(_, k)| k.kind != TimerKind::Ping));

    // Switched on: a first ping after the first delay, room updates too.
    let mut on = settings();
    on.ping_frequency = Some(Duration::from_secs(60));
    on.first_ping_delay = Duration::from_secs(2);
    w.zone.apply_settings(on.clone(), w.now, &mut w.sink);
    let ping_at = |w: &World| {
        w.sink
            .timers
            .iter()
            .filter(|(_, k)| k.conn == kim && k.kind == TimerKind::Ping)
            .map(|(at, _)| *at)
            .collect::<Vec<_>>()
    };
    assert_eq!(ping_at(&w), vec![w.now + Duration::from_secs(2)]);
    assert!(
        w.sink
            .timers
            .iter()
            .any(|(_, k)| k.conn == kim && k.kind == TimerKind::RoomUpdate)
    );

    // The ping goes out, the PONG schedules the next one a minute later.
    w.now += Duration::from_secs(2);
    w.zone.on_timer(
        TimerKey {
            conn: kim,
            kind: TimerKind::Ping,
        },
        w.now,
        w.now,
        &mut w.sink,
    );
    assert!(w.sink.take(kim).iter().any(|m| m.starts_with("<PING")));
    w.send(kim, "<PONG/>");
    let next = w.now + Duration::from_secs(60);
    assert_eq!(ping_at(&w).last(), Some(&next));

    // A shorter interval brings it forward; the old timer is ignored.
    let mut fast = on;
    fast.ping_frequency = Some(Duration::from_secs(5));
    w.zone.apply_settings(fast, w.now, &mut w.sink);
    let sooner = w.now + Duration::from_secs(5);
    assert_eq!(ping_at(&w).last(), Some(&sooner));
    w.zone.on_timer(
        TimerKey {
            conn: kim,
            kind: TimerKind::Ping,
        },
        next,
        next,
        &mut w.sink,
    );
    assert!(w.sink.take(kim).is_empty(), "the superseded timer is stale");
}
