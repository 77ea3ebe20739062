//! The relay's rules with a fake clock: every pause, drop and turn is
//! decided by the instants passed in.

use super::*;
use crate::demo::DemoClient;
use crate::wire::{Splitter, decode_from_relay};

fn cfg() -> Config {
    Config {
        min_players: 2,
        max_players: 2,
        turn: Duration::from_millis(50),
        max_command: 8,
        hash_len: 8,
        max_lag_turns: 2,
        lag_timeout: Duration::from_millis(1000),
        log_bytes: 1 << 20,
    }
}

/// Decodes every frame sent to `place`.
fn to(outs: &[Out], place: Place) -> Vec<FromRelay> {
    let mut s = Splitter::new(1 << 24);
    for o in outs {
        if let Out::Send(p, bytes) = o
            && *p == place
        {
            s.push(bytes);
        }
    }
    let mut msgs = Vec::new();
    while let Some((k, b)) = s.next_frame().unwrap() {
        msgs.push(decode_from_relay(k, &b).unwrap());
    }
    msgs
}

struct T {
    relay: Relay,
    now: Instant,
    outs: Vec<Out>,
}

impl T {
    fn new(cfg: Config, seats: usize) -> T {
        T {
            relay: Relay::new(cfg, seats),
            now: Instant::now(),
            outs: Vec::new(),
        }
    }

    fn take(&mut self) -> Vec<Out> {
        self.outs.extend(self.relay.drain());
        std::mem::take(&mut self.outs)
    }

    fn frame(&mut self, seat: usize, msg: ToRelay) {
        self.relay.frame(Place::Seat(seat), msg, self.now);
    }

    fn cmd(&mut self, seat: usize, turn: u32, step: u8) {
        self.frame(
            seat,
            ToRelay::Command {
                turn,
                body: vec![step],
            },
        );
    }

    fn wait(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
        self.relay.tick(self.now);
    }

    /// Two players seated and ready: the game runs.
    fn started() -> T {
        let mut t = T::new(cfg(), 2);
        t.relay.seat_joined(0, "ann", t.now);
        t.relay.seat_joined(1, "bob", t.now);
        t.frame(0, ToRelay::Setup(b"seed".to_vec()));
        t.frame(0, ToRelay::Ready(true));
        t.frame(1, ToRelay::Ready(true));
        assert!(t.relay.running());
        t
    }
}

fn errors(msgs: &[FromRelay]) -> Vec<ErrorCode> {
    msgs.iter()
        .filter_map(|m| match m {
            FromRelay::Error { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

fn masters(msgs: &[FromRelay]) -> Vec<u32> {
    msgs.iter()
        .filter_map(|m| match m {
            FromRelay::Master { turn, .. } => Some(*turn),
            _ => None,
        })
        .collect()
}

#[test]
fn setup_is_broadcast_and_ready_starts_the_game() {
    let mut t = T::new(cfg(), 2);
    t.relay.seat_joined(0, "ann", t.now);
    t.frame(0, ToRelay::Setup(b"map=1".to_vec()));
    t.frame(0, ToRelay::Ready(true));
    assert!(!t.relay.running(), "one player is below the minimum");
    t.take();
    // The late joiner gets the whole setup state.
    t.relay.seat_joined(1, "bob", t.now);
    let bob = to(&t.take(), Place::Seat(1));
    assert!(bob.contains(&FromRelay::SetupState(vec![(0, b"map=1".to_vec())])));
    // A setup change withdraws every "ready" (ann's here).
    t.frame(1, ToRelay::Setup(b"speed=2".to_vec()));
    t.frame(1, ToRelay::Ready(true));
    assert!(!t.relay.running());
    t.frame(0, ToRelay::Ready(true));
    assert!(t.relay.running());
    let outs = t.take();
    assert!(outs.contains(&Out::State(GameState::Playing)));
    let ann = to(&outs, Place::Seat(0));
    assert!(ann.contains(&FromRelay::Start { players: 3 }));
    assert!(ann.contains(&FromRelay::CaughtUp { next_turn: 0 }));
}

#[test]
fn a_turn_closes_when_due_and_complete() {
    let mut t = T::started();
    t.take();
    t.cmd(0, 0, 1);
    t.cmd(1, 0, 2);
    assert!(
        masters(&to(&t.take(), Place::Seat(0))).is_empty(),
        "not due yet"
    );
    assert_eq!(
        t.relay.next_wakeup(t.now),
        Some(t.now + Duration::from_millis(50))
    );
    t.wait(50);
    // Closed at once when due and complete. The next turn is due later,
    // but without its commands only the pause threshold needs a timer
    // (the last command wakes the relay); once they are in, its deadline.
    assert_eq!(
        t.relay.next_wakeup(t.now),
        Some(t.now + Duration::from_millis(50 + 2 * 50))
    );
    let msgs = to(&t.take(), Place::Seat(1));
    assert_eq!(
        msgs,
        vec![FromRelay::Master {
            turn: 0,
            elapsed_us: 50_000,
            commands: vec![Some(vec![1]), Some(vec![2])],
        }]
    );
    // Commands ahead are kept; the turn after closes a turn later.
    t.cmd(0, 1, 1);
    t.cmd(0, 2, 1);
    t.cmd(1, 1, 1);
    assert_eq!(
        t.relay.next_wakeup(t.now),
        Some(t.now + Duration::from_millis(50))
    );
    t.wait(50);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![1]);
    assert_eq!(t.relay.open_turn(), 2);
}

fn hash(t: &mut T, seat: usize, turn: u32) {
    let hash = ToRelay::Hash {
        turn,
        hash: vec![0; 8],
    };
    t.frame(seat, hash);
}

#[test]
fn turns_keep_the_grid_of_the_start_when_a_command_is_late() {
    let mut t = T::started();
    let start = t.now;
    let ms = Duration::from_millis;
    // Turn 0 closes 20 ms late: turn 1 is still due at 100 ms, not 120.
    t.wait(70);
    t.cmd(0, 0, 1);
    t.cmd(1, 0, 1);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![0]);
    t.cmd(0, 1, 1);
    t.cmd(1, 1, 1);
    assert_eq!(t.relay.next_wakeup(t.now), Some(start + ms(100)));
    t.wait(30);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![1]);
    // Turn 2 closes 70 ms late (at 220 ms): the slot at 200 ms is gone, so
    // turn 3 is due at the next one, 250 ms; never two turns in one slot.
    for seat in 0..2 {
        hash(&mut t, seat, 1);
    }
    t.wait(120);
    t.cmd(0, 2, 1);
    t.cmd(1, 2, 1);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![2]);
    t.cmd(0, 3, 1);
    t.cmd(1, 3, 1);
    assert_eq!(t.relay.next_wakeup(t.now), Some(start + ms(250)));
    assert!(masters(&to(&t.take(), Place::Seat(0))).is_empty());
    t.wait(30);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![3]);
}

#[test]
fn commands_sent_ahead_close_every_turn_on_its_slot() {
    // Clients with a command delay of two turns: at the start each sends
    // its commands for turns 0 and 1, then on master n its hash of turn n
    // and its command for turn n + 2, one ahead of the open turn. No turn
    // waits for a command: each closes by the clock at its slot, one turn
    // length apart from the start, and the timing data says so.
    let mut t = T::started();
    let start = t.now;
    t.take();
    for seat in 0..2 {
        t.cmd(seat, 0, 1);
        t.cmd(seat, 1, 2);
    }
    for n in 0..20u32 {
        let offset = 50 * (u64::from(n) + 1);
        let due = start + Duration::from_millis(offset);
        assert_eq!(t.relay.next_wakeup(t.now), Some(due), "turn {n}");
        t.now = due;
        t.relay.tick(t.now);
        let msgs = to(&t.take(), Place::Seat(1));
        assert_eq!(errors(&msgs), vec![]);
        match msgs.as_slice() {
            [
                FromRelay::Master {
                    turn, elapsed_us, ..
                },
            ] => {
                assert_eq!((*turn, *elapsed_us), (n, offset * 1000));
            }
            other => panic!("turn {n}: {other:?}"),
        }
        for seat in 0..2 {
            hash(&mut t, seat, n);
            t.cmd(seat, n + 2, 1);
        }
    }
    assert!(!t.relay.paused());
}

/// Every master packet's (turn, timing data) in `msgs`.
fn timings(msgs: &[FromRelay]) -> Vec<(u32, u64)> {
    msgs.iter()
        .filter_map(|m| match m {
            FromRelay::Master {
                turn, elapsed_us, ..
            } => Some((*turn, *elapsed_us)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_timing_data_is_the_close_in_microseconds_never_before_the_due_time() {
    let mut t = T::started();
    let start = t.now;
    let us = Duration::from_micros;
    t.take();
    let mut seen = Vec::new();
    // Turn 0: the relay wakes 1,234 µs after the deadline.
    t.cmd(0, 0, 1);
    t.cmd(1, 0, 1);
    t.now = start + us(51_234);
    t.relay.tick(t.now);
    seen.extend(timings(&to(&t.take(), Place::Seat(0))));
    // Turn 1: the last command comes 7,089 µs after the deadline and
    // closes the turn as it is read.
    for seat in 0..2 {
        hash(&mut t, seat, 0);
    }
    t.cmd(0, 1, 1);
    t.now = start + us(107_089);
    t.cmd(1, 1, 1);
    seen.extend(timings(&to(&t.take(), Place::Seat(0))));
    // Turn 2 waits for bob past the pause threshold (due at 150 ms, paused
    // from 250 ms); his command at 260.5 ms resumes the game, and the turn
    // is due a whole turn later, at 310.5 ms.
    for seat in 0..2 {
        hash(&mut t, seat, 1);
    }
    t.cmd(0, 2, 1);
    t.now = start + us(250_000);
    t.relay.tick(t.now);
    assert!(t.relay.paused());
    t.now = start + us(260_500);
    t.cmd(1, 2, 1);
    assert!(!t.relay.paused());
    t.now = start + us(310_500);
    t.relay.tick(t.now);
    seen.extend(timings(&to(&t.take(), Place::Seat(0))));
    assert_eq!(seen, vec![(0, 51_234), (1, 107_089), (2, 310_500)]);
    for (turn, elapsed_us) in seen {
        assert!(
            elapsed_us >= (u64::from(turn) + 1) * 50 * 1000,
            "turn {turn}"
        );
    }
}

#[test]
fn a_turn_whose_commands_came_just_before_its_deadline_closes_at_once() {
    // The last command is read (and stamped) just before the deadline;
    // the shell asks for its next wake-up just after it. The turn must
    // close at once, not at the pause threshold (turn × max-lag later),
    // which is what a bench with a command delay saw as 5 s stalls.
    let mut t = T::started();
    let start = t.now;
    t.take();
    t.cmd(0, 0, 1);
    t.now = start + Duration::from_micros(49_990);
    t.cmd(1, 0, 1);
    assert!(masters(&to(&t.take(), Place::Seat(0))).is_empty());
    let late = start + Duration::from_micros(50_010);
    assert_eq!(t.relay.next_wakeup(late), Some(late));
    t.now = late;
    t.relay.tick(late);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![0]);
    // With nobody present no turn closes, so that is no reason to wake.
    t.relay.seat_left(0, late);
    t.relay.seat_left(1, late);
    let later = late + Duration::from_millis(60);
    assert!(t.relay.next_wakeup(later).is_some_and(|w| w > later));
}

#[test]
fn a_command_is_kept_up_to_the_window_ahead_of_the_open_turn() {
    // The window is --max-lag-turns (2 here) turns past the open turn.
    let mut t = T::started();
    t.take();
    t.cmd(0, 2, 3);
    t.cmd(0, 3, 3);
    assert_eq!(
        errors(&to(&t.take(), Place::Seat(0))),
        vec![ErrorCode::FutureTurn]
    );
    // Turn 2's command waits in the relay until turn 2 is open and due.
    for turn in 0..2 {
        t.cmd(0, turn, 1);
        t.cmd(1, turn, 1);
        t.wait(50);
    }
    t.cmd(1, 2, 1);
    t.wait(50);
    let msgs = to(&t.take(), Place::Seat(0));
    assert_eq!(masters(&msgs), vec![0, 1, 2]);
    assert!(msgs.contains(&FromRelay::Master {
        turn: 2,
        elapsed_us: 150_000,
        commands: vec![Some(vec![3]), Some(vec![1])],
    }));
}

#[test]
fn stale_future_duplicate_and_oversized_commands_are_refused() {
    let mut t = T::started();
    t.cmd(0, 0, 1);
    t.cmd(1, 0, 1);
    t.wait(50);
    t.take();
    t.cmd(0, 0, 1); // closed
    t.cmd(0, 9, 1); // beyond open + max_lag_turns
    t.cmd(0, 1, 1);
    t.cmd(0, 1, 2); // second for the same turn
    t.frame(
        0,
        ToRelay::Command {
            turn: 1,
            body: vec![0; 9],
        },
    );
    t.frame(1, ToRelay::Setup(vec![])); // wrong phase
    let outs = t.take();
    assert_eq!(
        errors(&to(&outs, Place::Seat(0))),
        vec![
            ErrorCode::StaleTurn,
            ErrorCode::FutureTurn,
            ErrorCode::Duplicate,
            ErrorCode::TooLarge
        ]
    );
    assert_eq!(
        errors(&to(&outs, Place::Seat(1))),
        vec![ErrorCode::WrongPhase]
    );
    // The refused ones were not applied: turn 1 carries the first command.
    t.cmd(1, 1, 3);
    t.wait(50);
    let msgs = to(&t.take(), Place::Seat(1));
    assert!(msgs.contains(&FromRelay::Master {
        turn: 1,
        elapsed_us: 100_000,
        commands: vec![Some(vec![1]), Some(vec![3])],
    }));
}

#[test]
fn different_hashes_halt_the_game_naming_the_seats() {
    let mut t = T::new(cfg(), 3);
    let mut c = cfg();
    c.max_players = 3;
    t.relay = Relay::new(c, 3);
    for (i, n) in ["a", "b", "c"].iter().enumerate() {
        t.relay.seat_joined(i, n, t.now);
    }
    for i in 0..3 {
        t.frame(i, ToRelay::Ready(true));
    }
    for i in 0..3 {
        t.cmd(i, 0, 1);
    }
    t.wait(50);
    t.take();
    let h = |b: u8| ToRelay::Hash {
        turn: 0,
        hash: vec![b; 8],
    };
    t.frame(0, h(1));
    t.frame(1, h(2));
    let outs = t.take();
    // Seats 0 and 1 disagree and neither is a majority: both named.
    assert!(to(&outs, Place::Seat(2)).contains(&FromRelay::Desync {
        turn: 0,
        seats: vec![0, 1]
    }));
    assert!(outs.contains(&Out::Report(vec![GameResult::None; 3])));
    assert!(outs.contains(&Out::State(GameState::Done)));
    // Halted: nothing more happens.
    t.cmd(0, 1, 1);
    t.wait(500);
    assert!(t.take().is_empty());
}

#[test]
fn the_minority_diverges() {
    assert_eq!(minority(&[(0, 1), (1, 2), (2, 1)]), vec![1]);
    assert_eq!(minority(&[(0, 1), (1, 2)]), vec![0, 1]);
}

#[test]
fn a_laggard_pauses_the_game_then_is_dropped() {
    let mut t = T::started();
    t.cmd(0, 0, 1);
    t.wait(50);
    // Bob's command for turn 0 is missing: the turn waits, and after
    // max_lag_turns turn lengths the game is paused for him; that is the
    // next time the relay needs to look.
    assert_eq!(
        t.relay.next_wakeup(t.now),
        Some(t.now + Duration::from_millis(101))
    );
    t.wait(60);
    t.wait(50);
    let outs = t.take();
    assert!(to(&outs, Place::Seat(0)).contains(&FromRelay::Paused(vec![1])));
    assert!(t.relay.paused());
    // He catches up: resumed, and the turn closes a full turn later.
    t.cmd(1, 0, 1);
    let outs = t.take();
    assert!(to(&outs, Place::Seat(0)).contains(&FromRelay::Resumed));
    assert!(masters(&to(&outs, Place::Seat(0))).is_empty());
    t.wait(50);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![0]);

    // Now he stops altogether: paused, then dropped after the timeout.
    t.cmd(0, 1, 1);
    t.wait(200);
    assert!(t.relay.paused());
    t.take();
    t.wait(1000);
    let outs = t.take();
    assert!(outs.contains(&Out::Boot("bob".into())));
    assert!(outs.contains(&Out::Close(Place::Seat(1))));
    assert!(errors(&to(&outs, Place::Seat(1))).contains(&ErrorCode::Dropped));
    let ann = to(&outs, Place::Seat(0));
    assert!(ann.contains(&FromRelay::Resumed));
    assert!(ann.contains(&FromRelay::Seats(vec![
        (SeatStatus::Present, "ann".into()),
        (SeatStatus::Absent, "bob".into())
    ])));
    // The game goes on without him: his commands are absent.
    t.wait(50);
    let ann = to(&t.take(), Place::Seat(0));
    assert!(ann.contains(&FromRelay::Master {
        turn: 1,
        elapsed_us: 1_460_000,
        commands: vec![Some(vec![1]), None],
    }));
}

#[test]
fn hashes_that_fall_behind_pause_the_game() {
    let mut t = T::started();
    for turn in 0..4 {
        t.cmd(0, turn, 1);
        t.cmd(1, turn, 1);
        t.frame(
            0,
            ToRelay::Hash {
                turn: turn.saturating_sub(1),
                hash: vec![0; 8],
            },
        );
        t.wait(50);
    }
    // Ann hashes; bob never does: after max_lag_turns behind, paused.
    assert!(t.relay.paused());
    assert!(to(&t.take(), Place::Seat(0)).contains(&FromRelay::Paused(vec![1])));
}

/// Hands everything sent so far to the clients and their answers back.
fn deliver(t: &mut T, clients: &mut [DemoClient]) {
    let outs = t.take();
    for (i, c) in clients.iter_mut().enumerate() {
        for msg in to(&outs, Place::Seat(i)) {
            for reply in c.on_frame(&msg).unwrap() {
                t.relay.frame(Place::Seat(i), reply, t.now);
            }
        }
    }
}

/// Plays `turns` turns of the demo between the clients through the relay.
fn play(t: &mut T, clients: &mut [DemoClient], turns: u32) {
    for _ in 0..turns {
        deliver(t, clients);
        for (i, c) in clients.iter().enumerate() {
            if let Some(cmd) = c.command(2) {
                t.relay.frame(Place::Seat(i), cmd, t.now);
            }
        }
        t.wait(50);
    }
    deliver(t, clients);
}

#[test]
fn a_player_who_left_rejoins_with_catch_up_and_matching_hashes() {
    let mut t = T::new(cfg(), 2);
    let mut clients = [DemoClient::new(), DemoClient::new()];
    t.relay.seat_joined(0, "ann", t.now);
    t.relay.seat_joined(1, "bob", t.now);
    t.frame(0, ToRelay::Ready(true));
    t.frame(1, ToRelay::Ready(true));
    play(&mut t, &mut clients, 5);
    t.relay.seat_left(1, t.now);
    play(&mut t, &mut clients[..1], 5);
    // Someone else may not take the seat.
    t.relay.seat_joined(1, "eve", t.now);
    let outs = t.take();
    assert!(outs.contains(&Out::Boot("eve".into())));
    assert_eq!(
        errors(&to(&outs, Place::Seat(1))),
        vec![ErrorCode::SeatLocked]
    );
    // Bob comes back: setup, start, every master packet, caught up.
    let mut bob = DemoClient::new();
    t.relay.seat_joined(1, "BOB", t.now);
    let outs = t.take();
    let msgs = to(&outs, Place::Seat(1));
    assert_eq!(masters(&msgs), (0..t.relay.open_turn()).collect::<Vec<_>>());
    let mut replies = Vec::new();
    for m in &msgs {
        replies.extend(bob.on_frame(m).unwrap());
    }
    assert_eq!(
        bob.race.as_ref().unwrap().hash(),
        clients[0].race.as_ref().unwrap().hash()
    );
    for r in replies {
        t.relay.frame(Place::Seat(1), r, t.now);
    }
    clients[1] = bob;
    play(&mut t, &mut clients, 5);
    let outs = t.take();
    assert!(
        !outs.iter().any(|o| matches!(o, Out::Report(_))),
        "no desync"
    );
    assert!(errors(&to(&outs, Place::Seat(1))).is_empty());
}

#[test]
fn a_spectator_catches_up_and_cannot_play() {
    let mut t = T::started();
    for turn in 0..3 {
        t.cmd(0, turn, 1);
        t.cmd(1, turn, 1);
        t.wait(50);
    }
    t.take();
    t.relay.spectator_joined(0);
    t.relay.frame(
        Place::Spectator(0),
        ToRelay::Command {
            turn: 3,
            body: vec![],
        },
        t.now,
    );
    let msgs = to(&t.take(), Place::Spectator(0));
    assert!(matches!(
        msgs[0],
        FromRelay::Welcome {
            seat: SPECTATOR_SEAT,
            ..
        }
    ));
    assert_eq!(masters(&msgs), vec![0, 1, 2]);
    assert!(msgs.contains(&FromRelay::CaughtUp { next_turn: 3 }));
    assert_eq!(errors(&msgs), vec![ErrorCode::Spectator]);
}

#[test]
fn past_the_log_bound_a_rejoin_is_refused() {
    let mut c = cfg();
    c.log_bytes = 40; // two master packets
    let mut t = T::new(c, 2);
    t.relay.seat_joined(0, "ann", t.now);
    t.relay.seat_joined(1, "bob", t.now);
    t.frame(0, ToRelay::Ready(true));
    t.frame(1, ToRelay::Ready(true));
    for turn in 0..3 {
        t.cmd(0, turn, 1);
        t.cmd(1, turn, 1);
        t.wait(50);
    }
    assert!(t.relay.master_log().is_empty(), "given up past the bound");
    t.relay.seat_left(1, t.now);
    t.take();
    t.relay.seat_joined(1, "bob", t.now);
    let outs = t.take();
    assert_eq!(
        errors(&to(&outs, Place::Seat(1))),
        vec![ErrorCode::LogOverflow]
    );
    assert!(outs.contains(&Out::Boot("bob".into())));
}

#[test]
fn agreed_outcomes_end_the_game_and_different_ones_desync() {
    let mut t = T::started();
    t.cmd(0, 0, 1);
    t.cmd(1, 0, 1);
    t.wait(50);
    t.take();
    let outcome = |r: Vec<u8>| ToRelay::Outcome {
        turn: 0,
        results: r,
    };
    t.frame(0, outcome(vec![0, 1]));
    assert!(!t.take().iter().any(|o| matches!(o, Out::Report(_))));
    t.frame(1, outcome(vec![0, 1]));
    let outs = t.take();
    assert!(outs.contains(&Out::Report(vec![GameResult::Win, GameResult::Loss])));
    assert!(to(&outs, Place::Seat(0)).contains(&FromRelay::GameOver {
        turn: 0,
        results: vec![0, 1]
    }));

    let mut t = T::started();
    t.frame(0, outcome(vec![0, 1]));
    t.frame(1, outcome(vec![1, 0]));
    let outs = t.take();
    assert!(outs.contains(&Out::Report(vec![GameResult::None; 2])));
    t.frame(1, outcome(vec![9]));
    assert!(t.take().is_empty(), "over: nothing more is answered");
}

#[test]
fn a_bad_frame_costs_only_its_sender() {
    let mut t = T::started();
    t.take();
    t.relay
        .garbage(Place::Seat(1), "frame length 0 out of range", t.now);
    let outs = t.take();
    assert_eq!(
        errors(&to(&outs, Place::Seat(1))),
        vec![ErrorCode::BadFrame]
    );
    assert!(outs.contains(&Out::Boot("bob".into())));
    assert!(!outs.contains(&Out::Close(Place::Seat(0))));
    // Ann plays on alone.
    t.cmd(0, 0, 1);
    t.wait(50);
    assert_eq!(masters(&to(&t.take(), Place::Seat(0))), vec![0]);
}

#[test]
fn the_version_the_setup_and_every_master_packet_are_events() {
    let mut t = T::new(cfg(), 2);
    t.relay.seat_joined(0, "ann", t.now);
    t.relay.seat_joined(1, "bob", t.now);
    t.frame(0, ToRelay::Setup(b"seed".to_vec()));
    t.frame(0, ToRelay::Ready(true));
    t.frame(1, ToRelay::Ready(true));
    let outs = t.take();
    let records: Vec<&Out> = outs
        .iter()
        .filter(|o| matches!(o, Out::Record(..)))
        .collect();
    let setup = rc(&FromRelay::SetupState(vec![(0, b"seed".to_vec())]));
    let version = Rc::from([PROTOCOL_VERSION]);
    assert_eq!(
        records,
        [
            &Out::Record(EVENT_VERSION, version),
            &Out::Record(EVENT_SETUP, setup)
        ]
    );
    for turn in 0..3 {
        t.cmd(0, turn, 1);
        t.cmd(1, turn, 2);
        t.wait(50);
    }
    let outs = t.take();
    // Each turn event is the master packet exactly as sent to the players.
    let sent: Vec<Rc<[u8]>> = outs
        .iter()
        .filter_map(|o| match o {
            Out::Send(Place::Seat(0), bytes)
                if bytes.get(4) == Some(&crate::wire::relay_type::MASTER) =>
            {
                Some(Rc::clone(bytes))
            }
            _ => None,
        })
        .collect();
    let turns: Vec<Rc<[u8]>> = outs
        .iter()
        .filter_map(|o| match o {
            Out::Record(kind, bytes) if *kind == EVENT_TURN => Some(Rc::clone(bytes)),
            _ => None,
        })
        .collect();
    assert_eq!(turns.len(), 3);
    assert_eq!(turns, sent);
}
