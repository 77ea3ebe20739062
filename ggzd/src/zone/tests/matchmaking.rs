//! Matchmaking in the zone (docs/matchmaking.md): requests, rounds on
//! their timers, the launched table, MATCHED, no-shows.

use ggzdmod::wire::{GameState, LaunchSeat, ToGame, ToServer};

use super::*;
use crate::matchmaking::desc::tests::queue;

fn tictactoe() -> crate::games::GameDesc {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../games/tictactoe.toml"
    ));
    crate::games::load_game_file(
        &path,
        std::path::Path::new("/g"),
        crate::games::LaunchLayout::Trunk,
    )
    .expect("the shipped TicTacToe description")
    .0
}

/// The lobby and a TicTacToe room (1) with queue `q`.
pub(super) fn world(q: crate::matchmaking::QueueDesc) -> World {
    let mut play = room("play", "Play");
    play.game = Some("TicTacToe".into());
    play.max_tables = 10;
    play.queues = vec![q];
    let now = Instant::now();
    World {
        zone: Zone::new(
            settings(),
            vec![tictactoe()],
            vec![room("entry", "Lobby"), play],
            Motd::from_text("hello"),
            now,
        ),
        sink: Recorder::default(),
        now,
        next_slot: 0,
    }
}

/// Fires every matchmaking timer that is due by `w.now`.
/// Guests ann and bob enter room 1 and ask for queue `ttt`; a second
/// later its round is due and runs.
fn ann_and_bob_queue_for_a_round(w: &mut World) -> (ConnId, ConnId) {
    let a = w.guest_in("ann", 1);
    let b = w.guest_in("bob", 1);
    w.send(a, "<MATCH QUEUE='ttt'/>");
    w.send(b, "<MATCH QUEUE='ttt'/>");
    w.now += Duration::from_secs(1);
    fire_due(w);
    (a, b)
}

/// The one table launched so far, after checking that its seats are
/// reserved for `names`, in that order.
pub(super) fn the_table_reserved_for(w: &World, names: &[&str]) -> TableSerial {
    let [(serial, spec)] = w.sink.spawned.as_slice() else {
        panic!("one table: {:?}", w.sink.spawned.len());
    };
    let ToGame::Launch { seats, .. } = &spec.launch else {
        panic!("{:?}", spec.launch);
    };
    let reserved: Vec<LaunchSeat> = names
        .iter()
        .map(|n| LaunchSeat::Reserved((*n).into()))
        .collect();
    assert_eq!(seats, &reserved);
    *serial
}

pub(super) fn fire_due(w: &mut World) {
    let due: Vec<(Instant, TimerKey)> = w
        .sink
        .timers
        .iter()
        .filter(|(at, k)| {
            *at <= w.now
                && matches!(
                    k.kind,
                    TimerKind::MatchRound(_) | TimerKind::MatchDeadline(_)
                )
        })
        .copied()
        .collect();
    w.sink.timers.retain(|t| !due.contains(t));
    for (at, key) in due {
        w.zone.on_timer(key, at, w.now, &mut w.sink);
    }
}

fn reply(w: &mut World, conn: ConnId) -> String {
    w.sink.take(conn).concat()
}

#[test]
fn match_requests_are_checked() {
    let mut w = world(queue("ttt", 2, 2));
    let lobby = w.guest_in("lou", 0);
    w.send(lobby, "<MATCH QUEUE='ttt'/>");
    assert_eq!(
        reply(&mut w, lobby),
        "<RESULT ACTION='match' CODE='not in room'/>\n"
    );
    let kim = w.guest_in("kim", 1);
    w.sink.take(lobby);
    w.send(kim, "<MATCH QUEUE='nope'/>");
    assert_eq!(
        reply(&mut w, kim),
        "<RESULT ACTION='match' CODE='bad options'/>\n"
    );
    w.send(kim, "<MATCH/>");
    assert_eq!(
        reply(&mut w, kim),
        "<RESULT ACTION='match' CODE='bad options'/>\n"
    );
    w.send(kim, "<MATCH QUEUE='ttt'/>");
    assert_eq!(reply(&mut w, kim), "<RESULT ACTION='match' CODE='ok'/>\n");
    // One round timer for the queue, however many tickets.
    w.send(kim, "<MATCH QUEUE='ttt'/>");
    assert_eq!(reply(&mut w, kim), "<RESULT ACTION='match' CODE='ok'/>\n");
    let rounds = w
        .sink
        .timers
        .iter()
        .filter(|(_, k)| matches!(k.kind, TimerKind::MatchRound(_)))
        .count();
    assert_eq!(rounds, 1);
    w.send(kim, "<LIST TYPE='queue'/>");
    assert!(reply(&mut w, kim).contains("WAITING='1'"));
    w.send(kim, "<MATCH_CANCEL QUEUE='ttt'/>");
    assert_eq!(
        reply(&mut w, kim),
        "<RESULT ACTION='match_cancel' CODE='ok'/>\n"
    );
    w.send(kim, "<LIST TYPE='queue'/>");
    assert!(reply(&mut w, kim).contains("WAITING='0'"));
    // Before login: the usual refusal.
    let fresh = w.connect();
    w.send(fresh, "<MATCH QUEUE='ttt'/>");
    assert_eq!(
        reply(&mut w, fresh),
        "<RESULT ACTION='match' CODE='not logged in'/>\n"
    );
}

#[test]
fn a_round_launches_a_table_with_reserved_seats_and_tells_the_players() {
    let mut w = world(queue("ttt", 2, 2));
    let a = w.guest_in("ann", 1);
    let b = w.guest_in("bob", 1);
    w.send(a, "<MATCH QUEUE='ttt'/>");
    w.send(b, "<MATCH QUEUE='ttt'/>");
    w.sink.take(a);
    w.sink.take(b);
    fire_due(&mut w);
    assert!(w.sink.spawned.is_empty(), "no round before its interval");
    w.now += Duration::from_secs(1);
    fire_due(&mut w);
    let serial = the_table_reserved_for(&w, &["ann", "bob"]);
    // Nothing until the game server is ready; then the room's UPDATE, and
    // MATCHED plus a private line for each.
    assert!(w.sink.take(a).is_empty());
    w.zone.on_table_event(
        serial,
        TableEvent::Message(ToServer::State(GameState::Waiting)),
        w.now,
        &mut w.sink,
    );
    let out = reply(&mut w, a);
    assert!(out.contains("<UPDATE TYPE='table' ACTION='add'"), "{out}");
    assert!(
        out.contains(">ann</SEAT>") && out.contains("TYPE='reserved'"),
        "{out}"
    );
    assert!(
        out.contains("<MATCHED QUEUE='ttt' ROOM='1' TABLE='1' SEAT='0'/>"),
        "{out}"
    );
    assert!(out.contains("<CHAT TYPE='private' FROM='Pat'>"), "{out}");
    assert!(reply(&mut w, b).contains("SEAT='1'/>"));
    // While the seat waits, a second MATCH is refused.
    w.send(a, "<MATCH QUEUE='ttt'/>");
    assert_eq!(
        reply(&mut w, a),
        "<RESULT ACTION='match' CODE='in transit'/>\n"
    );
}

#[test]
fn no_shows_end_the_table_and_cool_down() {
    let mut q = queue("ttt", 2, 2);
    q.no_show = Duration::from_secs(5);
    q.cooldown = Duration::from_secs(60);
    let mut w = world(q);
    let (a, b) = ann_and_bob_queue_for_a_round(&mut w);
    let serial = w.sink.spawned[0].0;
    w.zone.on_table_event(
        serial,
        TableEvent::Message(ToServer::State(GameState::Waiting)),
        w.now,
        &mut w.sink,
    );
    w.sink.take(a);
    w.sink.take(b);
    // Nobody sits; the deadline passes.
    w.now += Duration::from_secs(5);
    fire_due(&mut w);
    assert_eq!(w.sink.ended, vec![serial]);
    w.send(a, "<MATCH QUEUE='ttt'/>");
    assert!(reply(&mut w, a).contains("CODE='join fail'"));
    w.now += Duration::from_secs(61);
    w.send(a, "<MATCH QUEUE='ttt'/>");
    assert!(reply(&mut w, a).contains("CODE='ok'"));
}

#[test]
fn leaving_the_room_ends_tickets_and_a_reload_keeps_them() {
    let mut w = world(queue("ttt", 2, 2));
    let a = w.guest_in("ann", 1);
    let b = w.guest_in("bob", 1);
    w.send(a, "<MATCH QUEUE='ttt'/>");
    w.send(b, "<MATCH QUEUE='ttt'/>");
    w.send(b, "<ENTER ROOM='0'/>");
    w.sink.take(b);
    w.send(a, "<LIST TYPE='queue'/>");
    assert!(reply(&mut w, a).contains("WAITING='1'"));
    // Only the queue changed: the room stays, and so does the ticket.
    let mut play = room("play", "Play");
    play.game = Some("TicTacToe".into());
    play.max_tables = 10;
    let mut q = queue("ttt", 2, 2);
    q.interval = Duration::from_secs(3);
    play.queues = vec![q];
    let (now, games) = (w.now, vec![tictactoe()]);
    w.zone.reload(
        games,
        vec![room("entry", "Lobby"), play],
        Motd::from_text("hello"),
        now,
        &mut w.sink,
    );
    let out = reply(&mut w, a);
    assert!(!out.contains("ACTION='close'"), "{out}");
    w.send(a, "<LIST TYPE='queue'/>");
    assert!(reply(&mut w, a).contains("ROOM='1' MIN='2' MAX='2' WAITING='1'"));
}

#[test]
fn the_prespawn_key_of_a_queue_room_serves_its_rounds_tables() {
    let mut w = world(queue("ttt", 2, 2));
    let keys = w.zone.prespawn_keys();
    let [key] = keys.as_slice() else {
        panic!("one kind of table: {keys:?}");
    };
    // The lobby offers no queue, so nothing is kept warm for it.
    assert!(key.argv[0].ends_with("ggzd-tictactoe"), "{key:?}");
    ann_and_bob_queue_for_a_round(&mut w);
    let [(_, spec)] = w.sink.spawned.as_slice() else {
        panic!("one table: {:?}", w.sink.spawned.len());
    };
    assert!(key.serves(spec), "{key:?} vs {spec:?}");
}
