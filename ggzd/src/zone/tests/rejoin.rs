//! Abandoned seats held for a grace period, and REJOIN
//! (docs/client-server.md §11.7, docs/extensions.md §3).

use std::path::Path;

use ggzdmod::wire::{GameState, ToGame, ToServer};

use super::*;
use crate::proto::types::SeatKind;

const GRACE: Duration = Duration::from_secs(90);

fn tictactoe() -> GameDesc {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../games/tictactoe.toml");
    let (game, _) = crate::games::load_game_file(
        &path,
        Path::new("/nonexistent"),
        ggzdmod::wire::LaunchLayout::Legacy,
    )
    .expect("the shipped TicTacToe description loads");
    game
}

fn world_with(settings: Settings) -> World {
    let now = Instant::now();
    let mut ttt = room("ttt", "TicTacToe");
    ttt.game = Some("TicTacToe".into());
    ttt.max_tables = 10;
    World {
        zone: Zone::new(
            settings,
            vec![tictactoe()],
            vec![room("entry", "Lobby"), ttt, room("other", "Other")],
            Motd::from_text("hello"),
            now,
        ),
        sink: Recorder::default(),
        now,
        next_slot: 0,
    }
}

fn playable() -> Settings {
    Settings {
        max_tables: 10,
        ..settings()
    }
}

pub(super) fn world() -> World {
    world_with(playable())
}

impl World {
    fn channel(&mut self, name: &str) -> ConnId {
        let c = self.connect();
        self.send(c, &format!("<CHANNEL ID='{name}'/></SESSION>"));
        c
    }

    pub(super) fn game(&mut self, serial: TableSerial, message: ToServer) {
        self.zone.on_table_event(
            serial,
            TableEvent::Message(message),
            self.now,
            &mut self.sink,
        );
    }

    /// ann launches a two-seat table in room 1 with `seats`; the game
    /// server becomes ready; returns ann and the table's serial.
    fn launch(&mut self, seats: &str) -> (ConnId, TableSerial) {
        let ann = self.guest_in("ann", 1);
        self.channel("ann");
        self.send(
            ann,
            &format!("<LAUNCH><TABLE GAME='0' SEATS='2'>{seats}</TABLE></LAUNCH>"),
        );
        let serial = match self.sink.spawned.last() {
            Some(s) => s.0,
            None => panic!("no table: {:?}", self.sink.take(ann)),
        };
        self.game(serial, ToServer::State(GameState::Waiting));
        (ann, serial)
    }

    /// ann and bob playing at table 1 of room 1.
    pub(super) fn playing(&mut self) -> (ConnId, ConnId, TableSerial) {
        let (ann, serial) = self.launch("<SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='open'/>");
        let bob = self.guest_in("bob", 1);
        self.channel("bob");
        self.send(bob, "<JOIN TABLE='1' SPECTATOR='false'/>");
        assert!(
            self.sink
                .take(bob)
                .concat()
                .contains("ACTION='join' CODE='ok'")
        );
        self.game(serial, ToServer::State(GameState::Playing));
        self.sink.sent.clear();
        self.sink.to_tables.clear();
        (ann, bob, serial)
    }

    fn seat(&self, num: usize) -> (SeatKind, Option<String>) {
        let seat = &self.zone.table(1, 1).expect("table 1").seats[num];
        (seat.kind, seat.name.clone())
    }

    fn grace_timers(&self) -> Vec<(Instant, TimerKey)> {
        self.sink
            .timers
            .iter()
            .filter(|(_, k)| matches!(k.kind, TimerKind::SeatGrace(..)))
            .copied()
            .collect()
    }

    fn fire_grace(&mut self) {
        for (at, key) in self.grace_timers() {
            self.zone.on_timer(key, at, at, &mut self.sink);
        }
    }

    fn login_with_rejoin(&mut self, name: &str) -> ConnId {
        let conn = self.connect();
        self.send(conn, "<EXTENSIONS NAMES='rejoin'/>");
        self.send(
            conn,
            &format!("<LOGIN TYPE='guest'><NAME>{name}</NAME></LOGIN>"),
        );
        self.finish_login(LoginOutcome::GuestChecked { registered: false });
        conn
    }
}

fn game_got(w: &World, num: u32, kind: SeatKind, name: &str) -> bool {
    w.sink.to_tables.iter().any(|(_, m, _)| {
        *m == ToGame::Seat {
            num,
            kind,
            name: name.into(),
        }
    })
}

#[test]
fn a_dropped_player_leaves_a_held_seat_the_room_sees_as_abandoned() {
    let mut w = world();
    let (ann, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    assert_eq!(w.seat(1), (SeatKind::Abandoned, Some("bob".into())));
    // The game server hears of it exactly as of a leave mid-game.
    assert!(game_got(&w, 1, SeatKind::Abandoned, "bob"));
    let seen = w.sink.take(ann).concat();
    let leave = seen.find("ACTION='leave'").expect("a leave update");
    let held = seen
        .find("<SEAT NUM='1' TYPE='abandoned'>bob</SEAT>")
        .expect("the seat shown abandoned with the name");
    assert!(leave < held, "{seen}");
    let timers = w.grace_timers();
    assert_eq!(timers.len(), 1);
    assert_eq!(timers[0].0, w.now + GRACE);
}

#[test]
fn the_same_name_logging_back_in_is_told_and_takes_the_seat_back() {
    let mut w = world();
    let (ann, bob, serial) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    w.game(serial, ToServer::State(GameState::Waiting));
    let bob = w.login_with_rejoin("bob");
    let out = w.sink.take(bob).concat();
    assert!(
        out.contains("<REJOIN ROOM='1' TABLE='1' SEAT='1'/>"),
        "{out}"
    );
    w.send(bob, "<ENTER ROOM='1'/>");
    w.channel("bob");
    w.sink.to_tables.clear();
    w.send(bob, "<JOIN TABLE='1'/>");
    assert!(w.sink.take(bob).concat().contains("CODE='ok'"));
    assert_eq!(w.seat(1), (SeatKind::Player, Some("bob".into())));
    assert!(game_got(&w, 1, SeatKind::Player, "bob"));
    assert!(w.sink.take(ann).concat().contains("ACTION='join'"));
    // The old grace timer is stale now: firing it changes nothing.
    w.fire_grace();
    assert_eq!(w.seat(1), (SeatKind::Player, Some("bob".into())));
}

#[test]
fn nobody_else_may_take_or_change_the_held_seat() {
    let mut w = world();
    let (ann, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    let eve = w.guest_in("eve", 1);
    w.channel("eve");
    w.send(eve, "<JOIN TABLE='1' SPECTATOR='false'/>");
    assert!(
        w.sink
            .take(eve)
            .concat()
            .contains("ACTION='join' CODE='table full'")
    );
    w.channel("eve");
    w.send(eve, "<JOIN TABLE='1' SEAT='1'/>");
    assert!(w.sink.take(eve).concat().contains("CODE='table full'"));
    // Not even the table's owner may make it open or a bot meanwhile.
    w.sink.take(ann);
    w.send(
        ann,
        "<UPDATE TYPE='table' ACTION='seat'><TABLE ID='1'><SEAT NUM='1' TYPE='bot'/></TABLE></UPDATE>",
    );
    assert!(w.sink.take(ann).concat().contains("CODE='bad options'"));
    assert_eq!(w.seat(1), (SeatKind::Abandoned, Some("bob".into())));
}

#[test]
fn after_the_grace_the_seat_opens_and_anyone_may_sit() {
    let mut w = world();
    let (ann, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    w.sink.take(ann);
    w.fire_grace();
    assert_eq!(w.seat(1), (SeatKind::Open, None));
    assert!(game_got(&w, 1, SeatKind::Open, ""));
    assert!(w.sink.take(ann).concat().contains(
        "ACTION='seat' ROOM='1'>\n<TABLE ID='1' SEATS='2'>\n<SEAT NUM='1' TYPE='open'/>"
    ));
    // bob is told nothing any more, and eve may sit.
    let bob = w.login_with_rejoin("bob");
    assert!(!w.sink.take(bob).concat().contains("REJOIN"));
    let eve = w.guest_in("eve", 1);
    w.channel("eve");
    w.send(eve, "<JOIN TABLE='1'/>");
    assert!(w.sink.take(eve).concat().contains("CODE='ok'"));
}

#[test]
fn a_client_that_never_asked_gets_no_rejoin_but_may_join_its_seat() {
    let mut w = world();
    let (_, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    let bob = w.guest("bob");
    assert!(w.sink.sent.iter().all(|(_, m)| !m.contains("REJOIN")));
    w.send(bob, "<ENTER ROOM='1'/>");
    w.channel("bob");
    w.send(bob, "<JOIN TABLE='1' SPECTATOR='false'/>");
    assert!(w.sink.take(bob).concat().contains("CODE='ok'"));
    assert_eq!(w.seat(1), (SeatKind::Player, Some("bob".into())));
}

#[test]
fn asking_for_rejoin_after_login_still_tells_of_the_seat() {
    let mut w = world();
    let (_, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    let bob = w.guest("bob");
    w.send(bob, "<EXTENSIONS NAMES='rejoin'/>");
    let out = w.sink.take(bob).concat();
    assert!(
        out.contains("<REJOIN ROOM='1' TABLE='1' SEAT='1'/>"),
        "{out}"
    );
    // Asking again does not repeat it.
    w.send(bob, "<EXTENSIONS NAMES='rejoin'/>");
    assert!(!w.sink.take(bob).concat().contains("REJOIN"));
}

#[test]
fn a_table_whose_only_human_dropped_waits_for_the_grace() {
    let mut w = world();
    let (ann, serial) =
        w.launch("<SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='bot'>Alfred</SEAT>");
    w.game(serial, ToServer::State(GameState::Playing));
    w.zone.disconnected(ann, w.now, &mut w.sink);
    assert!(w.sink.ended.is_empty(), "held, not ended");
    assert_eq!(w.seat(0), (SeatKind::Abandoned, Some("ann".into())));
    w.fire_grace();
    assert_eq!(w.sink.ended, vec![serial]);
}

#[test]
fn a_leave_before_the_game_runs_opens_the_seat_at_once() {
    let mut w = world();
    let (ann, bob, serial) = w.playing();
    let _ = ann;
    // The game is over and waits for a rematch: not mid-game.
    w.game(serial, ToServer::State(GameState::Waiting));
    w.zone.disconnected(bob, w.now, &mut w.sink);
    assert_eq!(w.seat(1), (SeatKind::Open, None));
    assert!(w.grace_timers().is_empty());
}

#[test]
fn grace_zero_opens_the_seat_at_once_after_telling_the_game() {
    let mut w = world_with(Settings {
        rejoin: crate::config::rejoin::RejoinConfig { grace: 0 },
        ..playable()
    });
    let (_, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    assert_eq!(w.seat(1), (SeatKind::Open, None));
    let kinds: Vec<SeatKind> = w
        .sink
        .to_tables
        .iter()
        .filter_map(|(_, m, _)| match m {
            ToGame::Seat { num: 1, kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, vec![SeatKind::Abandoned, SeatKind::Open]);
}

#[test]
fn sitting_down_at_another_table_gives_the_held_seat_up() {
    let mut w = world();
    let (ann, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    let bob = w.guest_in("bob", 1);
    w.channel("bob");
    w.send(
        bob,
        "<LAUNCH><TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='open'/></TABLE></LAUNCH>",
    );
    let second = w.sink.spawned.last().expect("a second table").0;
    w.sink.take(ann);
    w.game(second, ToServer::State(GameState::Waiting));
    assert_eq!(w.seat(1), (SeatKind::Open, None));
    assert!(
        w.sink
            .take(ann)
            .concat()
            .contains("<SEAT NUM='1' TYPE='open'/>")
    );
}

#[test]
fn a_guest_name_taken_by_a_new_guest_is_the_holder() {
    // Guests are known by name only: whoever holds the name holds the seat.
    let mut w = world();
    let (_, bob, _) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    let other = w.login_with_rejoin("BOB");
    assert!(w.sink.take(other).concat().contains("<REJOIN"));
}

#[test]
fn a_closed_game_channel_leaves_the_seat_held_and_tells_its_player() {
    let mut w = world();
    let (ann, serial) = w.launch("<SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='open'/>");
    let bob = w.login_with_rejoin("bob");
    w.send(bob, "<ENTER ROOM='1'/>");
    let first = w.channel("bob");
    w.send(bob, "<JOIN TABLE='1'/>");
    w.game(serial, ToServer::State(GameState::Playing));
    w.sink.sent.clear();
    // The browser's game channel ends; its lobby connection stays.
    w.zone
        .on_table_event(serial, TableEvent::ChannelClosed(first), w.now, &mut w.sink);
    assert_eq!(w.seat(1), (SeatKind::Abandoned, Some("bob".into())));
    let told = w.sink.take(bob).concat();
    let leave = told.find("<LEAVE REASON='normal'/>").expect("a LEAVE");
    let rejoin = told
        .find("<REJOIN ROOM='1' TABLE='1' SEAT='1'/>")
        .expect("a REJOIN");
    assert!(leave < rejoin, "{told}");
    assert!(w.sink.take(ann).concat().contains("TYPE='abandoned'>bob<"));
    // bob sits down again with a new channel; the old one's end, should
    // it be reported again, is no longer his.
    w.channel("bob");
    w.send(bob, "<JOIN TABLE='1'/>");
    assert_eq!(w.seat(1), (SeatKind::Player, Some("bob".into())));
    w.zone
        .on_table_event(serial, TableEvent::ChannelClosed(first), w.now, &mut w.sink);
    assert_eq!(w.seat(1), (SeatKind::Player, Some("bob".into())));
}

fn report() -> ToServer {
    let rec = |name: &str, result| ggzdmod::wire::ReportRecord {
        name: name.into(),
        kind: SeatKind::Player,
        team: 0,
        result,
        score: 0,
    };
    ToServer::Report(vec![
        rec("ann", ggzdmod::wire::GameResult::Win),
        rec("bob", ggzdmod::wire::GameResult::Loss),
    ])
}

#[test]
fn a_result_ends_the_holds_of_the_game_it_ends() {
    // Players see the game end as soon as ggzd does, and may be gone
    // before ggzd has read the result: their seats open with it.
    let mut w = world();
    let (ann, bob, serial) = w.playing();
    w.zone.disconnected(bob, w.now, &mut w.sink);
    w.zone.disconnected(ann, w.now, &mut w.sink);
    assert!(w.sink.ended.is_empty());
    w.game(serial, report());
    assert_eq!(w.sink.ended, vec![serial], "nobody left, nothing held");
}

#[test]
fn after_a_result_a_leave_is_not_mid_game_until_the_next_state() {
    let mut w = world();
    let (_, bob, serial) = w.playing();
    w.game(serial, report());
    // Still "playing" as far as ggzd has read, but the game is over.
    w.zone.disconnected(bob, w.now, &mut w.sink);
    assert_eq!(w.seat(1), (SeatKind::Open, None));
    assert!(w.grace_timers().is_empty());
    // A state report means games may run again.
    let carl = w.guest_in("carl", 1);
    w.channel("carl");
    w.send(carl, "<JOIN TABLE='1'/>");
    w.game(serial, ToServer::State(GameState::Playing));
    w.zone.disconnected(carl, w.now, &mut w.sink);
    assert_eq!(w.seat(1), (SeatKind::Abandoned, Some("carl".into())));
}

#[test]
fn a_forced_leave_holds_nothing() {
    let mut w = world();
    let (_, bob, _) = w.playing();
    w.send(bob, "<LEAVE FORCE='true'/>");
    assert!(
        w.sink
            .take(bob)
            .concat()
            .contains("ACTION='leave' CODE='ok'")
    );
    assert_eq!(w.seat(1), (SeatKind::Open, None));
    assert!(w.grace_timers().is_empty());
}

#[test]
fn the_table_to_catch_up_with_before_a_seat_request_is_the_players_own() {
    let mut w = world();
    let (ann, bob, serial) = w.playing();
    assert_eq!(w.zone.place_serial(ann), Some(serial));
    assert_eq!(w.zone.place_serial(bob), Some(serial));
    // Only a seat request waits for the table; a chat line does not.
    let element = |name: &str| {
        crate::proto::decoder::Event::Element(crate::proto::element::Element::new(name))
    };
    let (leave, reseat, chat) = (element("LEAVE"), element("RESEAT"), element("CHAT"));
    assert_eq!(w.zone.table_to_catch_up(bob, &leave), Some(serial));
    assert_eq!(w.zone.table_to_catch_up(bob, &reseat), Some(serial));
    assert_eq!(w.zone.table_to_catch_up(bob, &chat), None);
    // Someone in the room but at no table: nothing to catch up with.
    let cy = w.guest_in("cy", 1);
    assert_eq!(w.zone.place_serial(cy), None);
    // After leaving the game that ended, neither is.
    w.game(serial, ToServer::State(GameState::Waiting));
    w.send(bob, "<LEAVE FORCE='false'/>");
    assert_eq!(w.zone.place_serial(bob), None);
}
