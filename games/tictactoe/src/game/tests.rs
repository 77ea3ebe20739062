//! State machine tests against a recording fake table. Byte sequences are
//! compared with the encoder, whose bytes are pinned to docs/tictactoe.md §5 in
//! `protocol.rs`.

use std::collections::HashMap;

use super::*;
use crate::board::SQUARES;
use ggzdmod::eventlog::{Event, ParsedLog};

#[derive(Debug, Clone, PartialEq)]
enum Rec {
    Sent(Place, Vec<u8>),
    State(GameState),
    Report(Vec<GameResult>),
    Boot(String),
    Disconnect(Place),
    Savegame(String),
}

/// One event as the fake table keeps it: kind and data.
type Logged = (String, Vec<u8>);

struct FakeTable {
    seats: Vec<SeatInfo>,
    state: GameState,
    recs: Vec<Rec>,
    logs: Vec<String>,
    /// Places whose writes fail with this error.
    broken: HashMap<Place, io::ErrorKind>,
    /// Every event log started: its events, and whether it was finished.
    event_logs: Vec<(Vec<Logged>, bool)>,
    /// A restore launch's savegame (`None`: an ordinary launch).
    restore: Option<Result<Option<ParsedLog>, String>>,
}

impl FakeTable {
    fn new(seats: Vec<SeatInfo>) -> FakeTable {
        FakeTable {
            seats,
            // ggzdmod reports WAITING by itself after the launch.
            state: GameState::Waiting,
            recs: Vec::new(),
            logs: Vec::new(),
            broken: HashMap::new(),
            event_logs: Vec::new(),
            restore: None,
        }
    }

    /// The events of the log open now (or last).
    fn events(&self) -> Vec<(String, Vec<u8>)> {
        self.event_logs
            .last()
            .map(|l| l.0.clone())
            .unwrap_or_default()
    }

    fn take(&mut self) -> Vec<Rec> {
        std::mem::take(&mut self.recs)
    }
}

impl Table for FakeTable {
    fn num_seats(&self) -> usize {
        self.seats.len()
    }
    fn seat(&self, seat: usize) -> Option<SeatInfo> {
        self.seats.get(seat).cloned()
    }
    fn state(&self) -> GameState {
        self.state
    }
    fn set_state(&mut self, state: GameState) {
        if state != self.state {
            self.state = state;
            self.recs.push(Rec::State(state));
        }
    }
    fn send(&mut self, to: Place, packet: &[u8]) -> io::Result<()> {
        if let Some(kind) = self.broken.get(&to) {
            return Err((*kind).into());
        }
        self.recs.push(Rec::Sent(to, packet.to_vec()));
        Ok(())
    }
    fn report(&mut self, results: &[SeatResult]) {
        self.recs
            .push(Rec::Report(results.iter().map(|r| r.result).collect()));
    }
    fn report_savegame(&mut self, name: &str) {
        self.recs.push(Rec::Savegame(name.to_owned()));
    }
    fn log(&mut self, msg: &str) {
        self.logs.push(msg.to_owned());
    }
    fn start_event_log(&mut self, restored: &[Event]) -> Result<(), String> {
        let events = restored
            .iter()
            .map(|e| (e.kind.clone(), e.data.clone()))
            .collect();
        if let Some(last) = self.event_logs.last_mut() {
            last.1 = true;
        }
        self.event_logs.push((events, false));
        Ok(())
    }
    fn record_event(&mut self, kind: &str, data: &[u8]) -> Result<(), String> {
        match self.event_logs.last_mut() {
            Some((events, false)) => {
                events.push((kind.to_owned(), data.to_vec()));
                Ok(())
            }
            _ => Err("no event log is open".to_owned()),
        }
    }
    fn finish_event_log(&mut self) -> Result<(), String> {
        if let Some(last) = self.event_logs.last_mut() {
            last.1 = true;
        }
        Ok(())
    }
    fn restore_pending(&self) -> bool {
        self.restore.is_some() && self.state == GameState::Created
    }
    fn savegame_log(&mut self, _max_events: usize) -> Result<Option<ParsedLog>, String> {
        self.restore.clone().unwrap_or(Ok(None))
    }
    fn boot(&mut self, name: &str) {
        self.recs.push(Rec::Boot(name.to_owned()));
    }
    fn disconnect(&mut self, place: Place) {
        self.recs.push(Rec::Disconnect(place));
    }
}

fn info(kind: SeatKind, name: &str) -> SeatInfo {
    SeatInfo {
        kind,
        name: (!name.is_empty()).then(|| name.to_owned()),
    }
}

fn open() -> SeatInfo {
    info(SeatKind::Open, "")
}

const S0: Place = Place::Seat(0);
const S1: Place = Place::Seat(1);
const SPEC0: Place = Place::Spectator(0);

fn sent(place: Place, msg: ServerMsg) -> Rec {
    Rec::Sent(place, msg.encode())
}

fn players(a: (SeatKind, &str), b: (SeatKind, &str)) -> ServerMsg {
    let e = |(kind, name): (SeatKind, &str)| PlayerEntry {
        kind,
        name: name.to_owned(),
    };
    ServerMsg::Players([e(a), e(b)])
}

fn mv(player: Mark, square: usize) -> ServerMsg {
    ServerMsg::Move { player, square }
}

fn rsp(status: MoveStatus) -> ServerMsg {
    ServerMsg::RspMove(status)
}

/// A launched game with the given seats and no savegame.
fn launched(variant: Variant, seats: Vec<SeatInfo>) -> (TicTacToe, FakeTable) {
    let mut g = TicTacToe::new(variant, Savegame::disabled());
    let mut t = FakeTable::new(seats);
    g.on_launch(&mut t);
    (g, t)
}

/// Seats a player the way ggzdmod reports it.
fn join(g: &mut TicTacToe, t: &mut FakeTable, seat: usize, name: &str) {
    let old = t.seats[seat].clone();
    let new = info(SeatKind::Player, name);
    t.seats[seat] = new.clone();
    g.on_seat_change(t, seat, &old, &new);
}

/// A player leaves; ggzd keeps the seat ABANDONED mid-game: while
/// PLAYING, or while another seat is already held.
fn leave(g: &mut TicTacToe, t: &mut FakeTable, seat: usize) {
    let old = t.seats[seat].clone();
    let held = t.seats.iter().any(|s| s.kind == SeatKind::Abandoned);
    let new = if t.state == GameState::Playing || held {
        info(SeatKind::Abandoned, old.name.as_deref().unwrap_or(""))
    } else {
        open()
    };
    t.seats[seat] = new.clone();
    g.on_seat_change(t, seat, &old, &new);
}

/// ggzd stops holding an abandoned seat: it becomes open.
fn grace_over(g: &mut TicTacToe, t: &mut FakeTable, seat: usize) {
    let old = t.seats[seat].clone();
    assert_eq!(old.kind, SeatKind::Abandoned);
    t.seats[seat] = open();
    g.on_seat_change(t, seat, &old, &open());
}

fn send_move(g: &mut TicTacToe, t: &mut FakeTable, place: Place, square: i32) {
    g.on_data(t, place, &ClientMsg::Move(square).encode());
}

/// Two players seated, alice on 0, bob on 1, and the opening traffic
/// discarded.
fn two_players(variant: Variant) -> (TicTacToe, FakeTable) {
    let (mut g, mut t) = launched(variant, vec![open(), open()]);
    join(&mut g, &mut t, 0, "alice");
    join(&mut g, &mut t, 1, "bob");
    t.take();
    (g, t)
}

#[test]
fn the_worked_example_of_section_7() {
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), open()]);
    assert!(t.take().is_empty(), "nothing happens before anyone sits");

    join(&mut g, &mut t, 0, "alice");
    assert_eq!(
        t.take(),
        [
            sent(
                S0,
                players((SeatKind::Player, "alice"), (SeatKind::Open, ""))
            ),
            sent(S0, ServerMsg::Seat(Mark::Seat0)),
        ]
    );

    join(&mut g, &mut t, 1, "bob");
    let both = players((SeatKind::Player, "alice"), (SeatKind::Player, "bob"));
    assert_eq!(
        t.take(),
        [
            sent(S0, both.clone()),
            sent(S1, both),
            sent(S1, ServerMsg::Seat(Mark::Seat1)),
            Rec::State(GameState::Playing),
            sent(S0, ServerMsg::ReqMove),
        ]
    );

    send_move(&mut g, &mut t, S0, 4);
    assert_eq!(
        t.take(),
        [
            sent(S0, rsp(MoveStatus::Ok)),
            sent(S1, mv(Mark::Seat0, 4)),
            sent(S1, ServerMsg::ReqMove),
        ]
    );

    send_move(&mut g, &mut t, S1, 4);
    assert_eq!(
        t.take(),
        [
            sent(S1, rsp(MoveStatus::ErrFull)),
            sent(S1, ServerMsg::ReqMove),
        ]
    );

    send_move(&mut g, &mut t, S1, 0);
    assert_eq!(
        t.take(),
        [
            sent(S1, rsp(MoveStatus::Ok)),
            sent(S0, mv(Mark::Seat1, 0)),
            sent(S0, ServerMsg::ReqMove),
        ]
    );

    g.on_data(&mut t, S0, &ClientMsg::ReqSync.encode());
    let mut cells = [-1; SQUARES];
    cells[0] = 1;
    cells[4] = 0;
    assert_eq!(
        t.take(),
        [sent(
            S0,
            ServerMsg::Sync {
                turn: Some(Mark::Seat0),
                cells
            }
        )]
    );

    // alice 1, bob 3, alice 7: the column 1-4-7 wins.
    send_move(&mut g, &mut t, S0, 1);
    send_move(&mut g, &mut t, S1, 3);
    t.take();
    send_move(&mut g, &mut t, S0, 7);
    let over = ServerMsg::GameOver(Outcome::Win(Mark::Seat0));
    assert_eq!(
        t.take(),
        [
            sent(S0, rsp(MoveStatus::Ok)),
            sent(S1, mv(Mark::Seat0, 7)),
            Rec::Report(vec![GameResult::Win, GameResult::Loss]),
            sent(S0, over.clone()),
            sent(S1, over),
            Rec::State(GameState::Waiting),
        ]
    );
    assert!(g.is_finished());
}

#[test]
fn a_draw_is_reported_as_a_tie_for_both() {
    let (mut g, mut t) = two_players(Variant::Classic);
    // X O X / X O O / O X X
    let seq = [0, 1, 2, 4, 3, 5, 7, 6, 8];
    for (i, sq) in seq.iter().enumerate() {
        let place = if i % 2 == 0 { S0 } else { S1 };
        send_move(&mut g, &mut t, place, *sq);
    }
    let recs = t.take();
    let tail = &recs[recs.len() - 4..];
    let draw = ServerMsg::GameOver(Outcome::Draw);
    assert_eq!(
        tail,
        [
            Rec::Report(vec![GameResult::Tie, GameResult::Tie]),
            sent(S0, draw.clone()),
            sent(S1, draw),
            Rec::State(GameState::Waiting),
        ]
    );
}

#[test]
fn invalid_moves_are_checked_in_spec_order() {
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), open()]);
    join(&mut g, &mut t, 0, "alice");
    t.take();
    // Not playing yet: -1 beats every other problem, and nothing follows.
    send_move(&mut g, &mut t, S0, 99);
    assert_eq!(t.take(), [sent(S0, rsp(MoveStatus::ErrState))]);

    join(&mut g, &mut t, 1, "bob");
    t.take();
    // Wrong turn (with a bad square too): -2, nothing follows.
    send_move(&mut g, &mut t, S1, 99);
    assert_eq!(t.take(), [sent(S1, rsp(MoveStatus::ErrTurn))]);
    // Out of bounds on both sides: -3 and asked again.
    for bad in [-1, 9, i32::MAX] {
        send_move(&mut g, &mut t, S0, bad);
        assert_eq!(
            t.take(),
            [
                sent(S0, rsp(MoveStatus::ErrBound)),
                sent(S0, ServerMsg::ReqMove)
            ]
        );
    }
    send_move(&mut g, &mut t, S0, 8);
    t.take();
    send_move(&mut g, &mut t, S1, 8);
    assert_eq!(
        t.take(),
        [
            sent(S1, rsp(MoveStatus::ErrFull)),
            sent(S1, ServerMsg::ReqMove)
        ]
    );
    assert_eq!(g.board().moves_made(), 1);
    assert_eq!(g.turn(), Some(Mark::Seat1));
}

#[test]
fn spectators_watch_and_may_sync_but_not_move() {
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), open()]);
    g.on_spectator_join(&mut t, 0, "eve");
    assert_eq!(
        t.take(),
        [
            sent(SPEC0, players((SeatKind::Open, ""), (SeatKind::Open, ""))),
            sent(
                SPEC0,
                ServerMsg::Sync {
                    turn: None,
                    cells: [-1; SQUARES]
                }
            ),
        ]
    );
    join(&mut g, &mut t, 0, "alice");
    join(&mut g, &mut t, 1, "bob");
    let recs = t.take();
    assert!(recs.contains(&sent(
        SPEC0,
        players((SeatKind::Player, "alice"), (SeatKind::Player, "bob"))
    )));
    assert!(
        !recs.iter().any(
            |r| matches!(r, Rec::Sent(SPEC0, b) if *b == ServerMsg::Seat(Mark::Seat0).encode())
        )
    );

    send_move(&mut g, &mut t, S0, 4);
    assert_eq!(
        t.take(),
        [
            sent(S0, rsp(MoveStatus::Ok)),
            sent(S1, mv(Mark::Seat0, 4)),
            sent(SPEC0, mv(Mark::Seat0, 4)),
            sent(S1, ServerMsg::ReqMove),
        ]
    );
    // A spectator's move is ignored without an answer; a sync is answered.
    send_move(&mut g, &mut t, SPEC0, 0);
    assert!(t.take().is_empty());
    assert_eq!(g.board().moves_made(), 1);
    g.on_data(&mut t, SPEC0, &ClientMsg::ReqSync.encode());
    let mut cells = [-1; SQUARES];
    cells[4] = 0;
    assert_eq!(
        t.take(),
        [sent(
            SPEC0,
            ServerMsg::Sync {
                turn: Some(Mark::Seat1),
                cells
            }
        )]
    );
    // Spectators get the game over too.
    for (place, sq) in [(S1, 0), (S0, 1), (S1, 3), (S0, 7)] {
        send_move(&mut g, &mut t, place, sq);
    }
    let recs = t.take();
    assert!(recs.contains(&sent(SPEC0, ServerMsg::GameOver(Outcome::Win(Mark::Seat0)))));
}

#[test]
fn leaving_pauses_and_rejoining_resumes() {
    let (mut g, mut t) = two_players(Variant::Classic);
    send_move(&mut g, &mut t, S0, 4);
    t.take();
    // bob leaves while it is his turn.
    leave(&mut g, &mut t, 1);
    assert_eq!(
        t.take(),
        [
            sent(
                S0,
                players((SeatKind::Player, "alice"), (SeatKind::Abandoned, "bob"))
            ),
            Rec::State(GameState::Waiting),
        ]
    );
    // Moves while paused are refused with -1.
    send_move(&mut g, &mut t, S0, 0);
    assert_eq!(t.take(), [sent(S0, rsp(MoveStatus::ErrState))]);

    join(&mut g, &mut t, 1, "bob");
    let both = players((SeatKind::Player, "alice"), (SeatKind::Player, "bob"));
    let mut cells = [-1; SQUARES];
    cells[4] = 0;
    assert_eq!(
        t.take(),
        [
            sent(S0, both.clone()),
            sent(S1, both),
            sent(S1, ServerMsg::Seat(Mark::Seat1)),
            sent(
                S1,
                ServerMsg::Sync {
                    turn: Some(Mark::Seat1),
                    cells
                }
            ),
            Rec::State(GameState::Playing),
            sent(S1, ServerMsg::ReqMove),
        ]
    );
    send_move(&mut g, &mut t, S1, 0);
    assert_eq!(t.take()[0], sent(S1, rsp(MoveStatus::Ok)));
}

#[test]
fn table_ends_when_the_last_human_leaves() {
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), open()]);
    join(&mut g, &mut t, 0, "alice");
    t.take();
    leave(&mut g, &mut t, 0);
    assert_eq!(t.take(), [Rec::State(GameState::Done)]);

    // Both players abandon a running game: the table waits while ggzd
    // holds their seats, and is done, without a report, once both open.
    let (mut g, mut t) = two_players(Variant::Classic);
    leave(&mut g, &mut t, 0);
    leave(&mut g, &mut t, 1);
    assert_eq!(t.state, GameState::Waiting);
    grace_over(&mut g, &mut t, 0);
    assert_eq!(t.state, GameState::Waiting);
    grace_over(&mut g, &mut t, 1);
    let recs = t.take();
    assert_eq!(recs.last(), Some(&Rec::State(GameState::Done)));
    assert!(!recs.iter().any(|r| matches!(r, Rec::Report(_))));

    // A remaining spectator keeps the table alive until it leaves.
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), open()]);
    join(&mut g, &mut t, 0, "alice");
    g.on_spectator_join(&mut t, 0, "eve");
    leave(&mut g, &mut t, 0);
    assert_eq!(t.state, GameState::Waiting);
    g.on_spectator_leave(&mut t, 0);
    assert_eq!(t.state, GameState::Done);
}

#[test]
fn bot_in_seat_1_answers_at_once() {
    let bot = info(SeatKind::Bot, "Tarantula");
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), bot]);
    assert!(t.take().is_empty());
    join(&mut g, &mut t, 0, "alice");
    assert_eq!(
        t.take(),
        [
            sent(
                S0,
                players((SeatKind::Player, "alice"), (SeatKind::Bot, "Tarantula"))
            ),
            sent(S0, ServerMsg::Seat(Mark::Seat0)),
            Rec::State(GameState::Playing),
            sent(S0, ServerMsg::ReqMove),
        ]
    );
    send_move(&mut g, &mut t, S0, 0);
    // The hard bot answers a corner with the centre.
    assert_eq!(
        t.take(),
        [
            sent(S0, rsp(MoveStatus::Ok)),
            sent(S0, mv(Mark::Seat1, 4)),
            sent(S0, ServerMsg::ReqMove),
        ]
    );
}

#[test]
fn against_a_bot_a_dropped_player_finds_the_board_on_return() {
    let bot = info(SeatKind::Bot, "Tarantula");
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), bot]);
    join(&mut g, &mut t, 0, "alice");
    send_move(&mut g, &mut t, S0, 0);
    t.take();
    // alice's connection drops: ggzd holds her seat, so the table waits
    // instead of ending.
    leave(&mut g, &mut t, 0);
    assert_eq!(t.state, GameState::Waiting);
    join(&mut g, &mut t, 0, "alice");
    let mut cells = [-1; SQUARES];
    cells[0] = 0;
    cells[4] = 1;
    let recs = t.take();
    assert!(recs.contains(&sent(
        S0,
        ServerMsg::Sync {
            turn: Some(Mark::Seat0),
            cells
        }
    )));
    assert_eq!(t.state, GameState::Playing);
    // She drops again and does not come back: the table ends once ggzd
    // opens her seat.
    leave(&mut g, &mut t, 0);
    grace_over(&mut g, &mut t, 0);
    assert_eq!(t.state, GameState::Done);
}

#[test]
fn bot_in_seat_0_opens_as_soon_as_the_table_starts() {
    let bot = info(SeatKind::Bot, "AI");
    let (mut g, mut t) = launched(Variant::Classic, vec![bot, open()]);
    join(&mut g, &mut t, 1, "bob");
    assert_eq!(
        t.take(),
        [
            sent(
                S1,
                players((SeatKind::Bot, "AI"), (SeatKind::Player, "bob"))
            ),
            sent(S1, ServerMsg::Seat(Mark::Seat1)),
            Rec::State(GameState::Playing),
            sent(S1, mv(Mark::Seat0, 4)),
            sent(S1, ServerMsg::ReqMove),
        ]
    );
}

#[test]
fn beating_the_easy_bot_reports_its_loss() {
    // Easy bot as seat 1: 0, (4), 8, (1), 7, (6 blocks), 5? The easy bot
    // takes the centre, then the lowest free square, and loses to the
    // double threat this line sets up.
    let bot = info(SeatKind::Bot, "Alfred");
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), bot]);
    join(&mut g, &mut t, 0, "alice");
    // Find a winning line against the easy bot by trying all lines.
    fn wins(board: Board) -> Option<Vec<usize>> {
        for sq in board.free_squares() {
            let mut b = board;
            b.place(sq, Mark::Seat0).unwrap();
            if b.winner() == Some(Mark::Seat0) {
                return Some(vec![sq]);
            }
            if b.outcome().is_some() {
                continue;
            }
            let reply = BotClass::Easy.choose(&b, Mark::Seat1).unwrap();
            b.place(reply, Mark::Seat1).unwrap();
            if b.outcome().is_some() {
                continue;
            }
            if let Some(mut rest) = wins(b) {
                rest.insert(0, sq);
                return Some(rest);
            }
        }
        None
    }
    let line = wins(Board::new()).expect("the easy bot is beatable");
    t.take();
    for sq in line {
        send_move(&mut g, &mut t, S0, sq as i32);
    }
    let recs = t.take();
    assert!(recs.contains(&Rec::Report(vec![GameResult::Win, GameResult::Loss])));
    assert_eq!(recs.last(), Some(&Rec::State(GameState::Waiting)));
}

#[test]
fn two_bots_play_out_at_launch() {
    let bot = info(SeatKind::Bot, "AI");
    let (g, mut t) = launched(Variant::Classic, vec![bot.clone(), bot]);
    assert!(g.is_finished());
    let recs = t.take();
    assert_eq!(
        recs,
        [
            Rec::State(GameState::Playing),
            Rec::Report(vec![GameResult::Tie, GameResult::Tie]),
            Rec::State(GameState::Done),
        ]
    );
}

#[test]
fn wrong_seat_count_ends_the_table() {
    let (_, mut t) = launched(Variant::Classic, vec![open(), open(), open()]);
    assert_eq!(t.take(), [Rec::State(GameState::Done)]);
}

#[test]
fn garbage_costs_the_sender_its_seat() {
    let cases: [&[u8]; 4] = [
        &[0, 6, 0, 0, 0, 7],          // unknown opcode
        &[0, 8, 0, 0, 0, 0, 0, 0],    // SND_MOVE without its square
        &[0, 3, 1, 2, 3],             // packet too short for an opcode
        &[0xff, 0xff, 0, 0, 0, 0, 0], // far more than any client message
    ];
    for bytes in cases {
        let (mut g, mut t) = two_players(Variant::Classic);
        g.on_data(&mut t, S1, bytes);
        assert_eq!(
            t.take(),
            [Rec::Disconnect(S1), Rec::Boot("bob".into())],
            "{bytes:?}"
        );
        // Nothing more is read from or sent to the dropped client.
        send_move(&mut g, &mut t, S1, 4);
        send_move(&mut g, &mut t, S0, 4);
        assert_eq!(
            t.take(),
            [sent(S0, rsp(MoveStatus::Ok))],
            "bob gets neither MSG_MOVE nor REQ_MOVE"
        );
        // ggzd boots him (seat OPEN); alice waits, moves are refused.
        leave(&mut g, &mut t, 1);
        assert_eq!(t.state, GameState::Waiting);
        assert!(t.logs.iter().any(|l| l.contains("dropping seat 1 (bob)")));
    }
}

#[test]
fn good_packets_before_garbage_are_still_handled() {
    let (mut g, mut t) = two_players(Variant::Classic);
    let mut bytes = ClientMsg::Move(4).encode();
    bytes.extend_from_slice(&[0, 6, 0, 0, 0, 9]);
    g.on_data(&mut t, S0, &bytes);
    let recs = t.take();
    assert_eq!(recs[0], sent(S0, rsp(MoveStatus::Ok)));
    assert!(recs.ends_with(&[Rec::Disconnect(S0), Rec::Boot("alice".into())]));
}

#[test]
fn a_spectator_sending_garbage_is_booted_by_name() {
    let (mut g, mut t) = two_players(Variant::Classic);
    g.on_spectator_join(&mut t, 0, "eve");
    t.take();
    g.on_data(&mut t, SPEC0, &[0, 6, 0, 0, 0, 2]);
    assert_eq!(t.take(), [Rec::Disconnect(SPEC0), Rec::Boot("eve".into())]);
}

#[test]
fn a_client_that_stops_reading_is_dropped_but_a_closed_one_is_not_booted() {
    let (mut g, mut t) = two_players(Variant::Classic);
    t.broken.insert(S1, io::ErrorKind::WouldBlock);
    send_move(&mut g, &mut t, S0, 4);
    assert_eq!(
        t.take(),
        [
            sent(S0, rsp(MoveStatus::Ok)),
            Rec::Disconnect(S1),
            Rec::Boot("bob".into())
        ]
    );

    let (mut g, mut t) = two_players(Variant::Classic);
    t.broken.insert(S1, io::ErrorKind::BrokenPipe);
    send_move(&mut g, &mut t, S0, 4);
    assert_eq!(t.take(), [sent(S0, rsp(MoveStatus::Ok))]);
    // A hang-up is only noted; ggzd's seat change decides.
    let (mut g, mut t) = two_players(Variant::Classic);
    g.on_hangup(&mut t, S1);
    send_move(&mut g, &mut t, S0, 4);
    assert_eq!(t.take(), [sent(S0, rsp(MoveStatus::Ok))]);
    assert!(
        t.logs
            .iter()
            .any(|l| l.contains("closed the game connection"))
    );
}

#[test]
fn packets_split_across_reads_are_reassembled() {
    let (mut g, mut t) = two_players(Variant::Classic);
    let bytes = ClientMsg::Move(4).encode();
    for b in &bytes {
        g.on_data(&mut t, S0, std::slice::from_ref(b));
    }
    assert_eq!(t.take()[0], sent(S0, rsp(MoveStatus::Ok)));
}

#[test]
fn dev_variant_sends_no_seat_or_player_list() {
    let (mut g, mut t) = launched(Variant::Dev, vec![open(), open()]);
    g.on_spectator_join(&mut t, 0, "eve");
    join(&mut g, &mut t, 0, "alice");
    join(&mut g, &mut t, 1, "bob");
    assert_eq!(
        t.take(),
        [
            sent(
                SPEC0,
                ServerMsg::Sync {
                    turn: None,
                    cells: [-1; SQUARES]
                }
            ),
            Rec::State(GameState::Playing),
            sent(S0, ServerMsg::ReqMove),
        ]
    );
    send_move(&mut g, &mut t, S0, 4);
    leave(&mut g, &mut t, 0);
    join(&mut g, &mut t, 0, "alice");
    let mut cells = [-1; SQUARES];
    cells[4] = 0;
    let recs = t.take();
    // The returning player still gets the board.
    assert!(recs.contains(&sent(
        S0,
        ServerMsg::Sync {
            turn: Some(Mark::Seat1),
            cells
        }
    )));
    assert!(
        !recs
            .iter()
            .any(|r| matches!(r, Rec::Sent(_, b) if b[5] == 0 || b[5] == 1))
    );
}

#[test]
fn reseat_moves_the_connection() {
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), open()]);
    g.on_spectator_join(&mut t, 0, "bob");
    join(&mut g, &mut t, 0, "alice");
    t.take();
    // bob sits down from the spectator slot (ggzdmod updated the table).
    t.seats[1] = info(SeatKind::Player, "bob");
    g.on_reseat(&mut t, SPEC0, S1, "bob");
    let recs = t.take();
    assert!(recs.contains(&sent(S1, ServerMsg::Seat(Mark::Seat1))));
    assert!(recs.contains(&Rec::State(GameState::Playing)));
    // His connection now answers as seat 1.
    send_move(&mut g, &mut t, S0, 4);
    send_move(&mut g, &mut t, S1, 0);
    assert_eq!(g.board().moves_made(), 2);
    // And standing up again makes him a spectator with a fresh board view.
    t.seats[1] = info(SeatKind::Abandoned, "bob");
    t.take();
    g.on_reseat(&mut t, S1, SPEC0, "bob");
    let recs = t.take();
    assert!(recs.contains(&Rec::State(GameState::Waiting)));
    assert!(matches!(recs.last(), Some(Rec::Sent(SPEC0, b)) if b[5] == 6));
}

#[test]
fn savegame_follows_the_game() {
    let dir = std::env::temp_dir().join(format!("ttt-game-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = TicTacToe::new(Variant::Classic, Savegame::in_dir(&dir));
    let mut t = FakeTable::new(vec![open(), open()]);
    g.on_launch(&mut t);
    join(&mut g, &mut t, 0, "alice");
    assert!(
        !t.take().iter().any(|r| matches!(r, Rec::Savegame(_))),
        "the text savegame is not reported: the event log is"
    );
    let name = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("savegame."))
        .expect("the text savegame is written");
    join(&mut g, &mut t, 1, "bob");
    for (place, sq) in [(S0, 4), (S1, 0), (S0, 1), (S1, 3), (S0, 7)] {
        send_move(&mut g, &mut t, place, sq);
    }
    let text = std::fs::read_to_string(dir.join(&name)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "player1 join alice",
            "player2 join bob",
            "players options 3 3",
            lines[3]
        ]
    );
    assert!(lines[3].starts_with("players start "));
    assert_eq!(
        lines[4..9],
        [
            "player1 move 1 1",
            "player2 move 0 0",
            "player1 move 0 1",
            "player2 move 1 0",
            "player1 move 2 1"
        ]
    );
    assert!(lines[9].starts_with("player1 winner "));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// alice (seat 0) wins on the column 1-4-7; returns what the last move sent.
fn alice_wins(g: &mut TicTacToe, t: &mut FakeTable) -> Vec<Rec> {
    for (place, sq) in [(S0, 4), (S1, 0), (S0, 1), (S1, 3)] {
        send_move(g, t, place, sq);
    }
    t.take();
    send_move(g, t, S0, 7);
    t.take()
}

fn reports(recs: &[Rec]) -> usize {
    recs.iter().filter(|r| matches!(r, Rec::Report(_))).count()
}

#[test]
fn the_finished_board_stays_and_later_moves_are_refused() {
    let (mut g, mut t) = two_players(Variant::Classic);
    let recs = alice_wins(&mut g, &mut t);
    assert_eq!(reports(&recs), 1);
    assert_eq!(t.state, GameState::Waiting);
    let final_board = *g.board();
    // Moves after game over: -1 and nothing else, no second report.
    send_move(&mut g, &mut t, S1, 8);
    send_move(&mut g, &mut t, S0, 8);
    assert_eq!(
        t.take(),
        [
            sent(S1, rsp(MoveStatus::ErrState)),
            sent(S0, rsp(MoveStatus::ErrState))
        ]
    );
    // A sync shows the finished board.
    g.on_data(&mut t, S1, &ClientMsg::ReqSync.encode());
    assert_eq!(
        t.take(),
        [sent(
            S1,
            ServerMsg::Sync {
                turn: Some(Mark::Seat0),
                cells: final_board.to_wire()
            }
        )]
    );
    assert_eq!(*g.board(), final_board);
}

#[test]
fn a_watcher_arriving_after_game_over_learns_the_result() {
    let (mut g, mut t) = two_players(Variant::Classic);
    alice_wins(&mut g, &mut t);
    g.on_spectator_join(&mut t, 0, "eve");
    let recs = t.take();
    assert_eq!(
        recs.last(),
        Some(&sent(SPEC0, ServerMsg::GameOver(Outcome::Win(Mark::Seat0))))
    );
    assert!(recs.contains(&sent(
        SPEC0,
        ServerMsg::Sync {
            turn: Some(Mark::Seat0),
            cells: g.board().to_wire()
        }
    )));
}

#[test]
fn the_finished_table_ends_when_both_players_have_left() {
    let (mut g, mut t) = two_players(Variant::Classic);
    alice_wins(&mut g, &mut t);
    leave(&mut g, &mut t, 1);
    assert_eq!(
        t.take(),
        [sent(
            S0,
            players((SeatKind::Player, "alice"), (SeatKind::Open, ""))
        )]
    );
    assert_eq!(t.state, GameState::Waiting);
    leave(&mut g, &mut t, 0);
    assert_eq!(t.take(), [Rec::State(GameState::Done)]);
}

#[test]
fn a_seat_left_and_filled_again_starts_a_fresh_game() {
    let (mut g, mut t) = two_players(Variant::Classic);
    alice_wins(&mut g, &mut t);
    leave(&mut g, &mut t, 1);
    t.take();
    join(&mut g, &mut t, 1, "carol");
    let both = players((SeatKind::Player, "alice"), (SeatKind::Player, "carol"));
    let fresh = ServerMsg::Sync {
        turn: Some(Mark::Seat0),
        cells: [-1; SQUARES],
    };
    assert_eq!(
        t.take(),
        [
            sent(S0, both.clone()),
            sent(S1, both),
            sent(S1, ServerMsg::Seat(Mark::Seat1)),
            sent(S0, fresh.clone()),
            sent(S1, fresh),
            Rec::State(GameState::Playing),
            sent(S0, ServerMsg::ReqMove),
        ]
    );
    assert!(!g.is_finished());
    assert_eq!(g.board().moves_made(), 0);
    // The second game is played and reported on its own.
    let recs = alice_wins(&mut g, &mut t);
    assert_eq!(reports(&recs), 1);
    assert_eq!(t.state, GameState::Waiting);
}

#[test]
fn dev_variant_rematch_sends_only_known_messages() {
    let (mut g, mut t) = two_players(Variant::Dev);
    alice_wins(&mut g, &mut t);
    leave(&mut g, &mut t, 0);
    join(&mut g, &mut t, 0, "alice");
    for rec in t.take() {
        if let Rec::Sent(_, bytes) = rec {
            // Opcode (big-endian i32 after the length): sync, move request.
            assert!(bytes[5] == 6 || bytes[5] == 4, "unexpected {bytes:?}");
        }
    }
    assert_eq!(t.state, GameState::Playing);
}

#[test]
fn against_a_bot_standing_up_and_sitting_down_again_is_a_rematch() {
    let bot = info(SeatKind::Bot, "Tarantula");
    let (mut g, mut t) = launched(Variant::Classic, vec![bot, open()]);
    join(&mut g, &mut t, 1, "alice");
    // Play until the game ends, always the lowest free square.
    while !g.is_finished() {
        let sq = g.board().free_squares().next().unwrap();
        send_move(&mut g, &mut t, S1, sq as i32);
    }
    assert_eq!(reports(&t.take()), 1);
    assert_eq!(t.state, GameState::Waiting);
    // alice stands up (ggzd opened the seat): she still watches, so the
    // table stays.
    t.seats[1] = open();
    g.on_reseat(&mut t, S1, SPEC0, "alice");
    assert_eq!(t.state, GameState::Waiting);
    t.take();
    // And sits down again: the bot (seat 0) opens a fresh game at once.
    t.seats[1] = info(SeatKind::Player, "alice");
    g.on_reseat(&mut t, SPEC0, S1, "alice");
    let recs = t.take();
    assert!(recs.contains(&Rec::State(GameState::Playing)));
    assert_eq!(g.board().moves_made(), 1);
    assert_eq!(recs.last(), Some(&sent(S1, ServerMsg::ReqMove)));
    // Leaving mid-game holds the seat a while; once ggzd opens it, the
    // table ends.
    leave(&mut g, &mut t, 1);
    assert_eq!(t.state, GameState::Waiting);
    grace_over(&mut g, &mut t, 1);
    assert_eq!(t.state, GameState::Done);
}

#[test]
fn a_bot_filling_the_left_seat_also_starts_a_fresh_game() {
    let (mut g, mut t) = two_players(Variant::Classic);
    alice_wins(&mut g, &mut t);
    leave(&mut g, &mut t, 1);
    // The table owner puts a bot in the open seat (no join event for a
    // player: ggzdmod reports a seat change to BOT).
    let old = t.seats[1].clone();
    let bot = info(SeatKind::Bot, "Alfred");
    t.seats[1] = bot.clone();
    t.take();
    g.on_seat_change(&mut t, 1, &old, &bot);
    let recs = t.take();
    assert!(recs.contains(&sent(
        S0,
        ServerMsg::Sync {
            turn: Some(Mark::Seat0),
            cells: [-1; SQUARES]
        }
    )));
    assert!(recs.contains(&Rec::State(GameState::Playing)));
    assert_eq!(recs.last(), Some(&sent(S0, ServerMsg::ReqMove)));
}

#[test]
fn a_watcher_coming_and_going_after_game_over_changes_nothing() {
    let (mut g, mut t) = two_players(Variant::Classic);
    alice_wins(&mut g, &mut t);
    let board = *g.board();
    g.on_spectator_join(&mut t, 0, "eve");
    g.on_spectator_leave(&mut t, 0);
    assert_eq!(t.state, GameState::Waiting);
    assert_eq!(*g.board(), board);
    assert!(g.is_finished());
}

// ----- the event log and restore (docs/event-log.md §4, §6) -----------------

fn kinds(events: &[(String, Vec<u8>)]) -> Vec<&str> {
    events.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn every_move_is_an_event() {
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), open()]);
    join(&mut g, &mut t, 0, "alice");
    assert!(t.event_logs.is_empty(), "the log starts with the game");
    join(&mut g, &mut t, 1, "bob");
    assert_eq!(t.event_logs.len(), 1);
    for (place, sq) in [(S0, 4), (S1, 0), (S0, 1), (S1, 3), (S0, 7)] {
        send_move(&mut g, &mut t, place, sq);
    }
    let (events, finished) = t.event_logs[0].clone();
    assert!(finished);
    assert_eq!(
        events,
        [
            ("seat".to_owned(), b"\x00alice".to_vec()),
            ("seat".to_owned(), b"\x01bob".to_vec()),
            ("start".to_owned(), vec![]),
            ("move".to_owned(), vec![0, 4]),
            ("move".to_owned(), vec![1, 0]),
            ("move".to_owned(), vec![0, 1]),
            ("move".to_owned(), vec![1, 3]),
            ("move".to_owned(), vec![0, 7]),
            ("over".to_owned(), vec![0]),
        ]
    );
    // The log replays to the same board.
    let numbered: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(i, (kind, data))| Event {
            seq: i as u64 + 1,
            time_ms: 0,
            kind: kind.clone(),
            data: data.clone(),
        })
        .collect();
    let replayed = crate::replay::replay(&numbered).unwrap();
    assert_eq!(replayed.board, *g.board());

    // A rematch: bob leaves, carol sits down, a new log.
    leave(&mut g, &mut t, 1);
    join(&mut g, &mut t, 1, "carol");
    assert_eq!(t.event_logs.len(), 2);
    assert_eq!(kinds(&t.events()), ["seat", "seat", "start"]);
    assert_eq!(t.events()[1].1, b"\x01carol");
}

#[test]
fn bots_and_replaced_players_are_seat_events() {
    let (mut g, mut t) = launched(Variant::Classic, vec![open(), info(SeatKind::Bot, "AI")]);
    join(&mut g, &mut t, 0, "alice");
    assert_eq!(kinds(&t.events()), ["seat", "seat", "start"]);
    assert_eq!(t.events()[1].1, b"\x01AI");
    send_move(&mut g, &mut t, S0, 4);
    // alice drops mid-game and comes back to her held seat.
    let old = t.seats[0].clone();
    let held = info(SeatKind::Abandoned, "alice");
    t.seats[0] = held.clone();
    g.on_seat_change(&mut t, 0, &old, &held);
    join(&mut g, &mut t, 0, "alice");
    let events = t.events();
    assert_eq!(
        kinds(&events),
        ["seat", "seat", "start", "move", "move", "seat"]
    );
    assert_eq!(events[5].1, b"\x00alice");
}

#[test]
fn no_event_log_without_savegames() {
    let mut g = TicTacToe::new(Variant::Classic, Savegame::disabled()).without_event_log();
    let mut t = FakeTable::new(vec![open(), open()]);
    g.on_launch(&mut t);
    join(&mut g, &mut t, 0, "alice");
    join(&mut g, &mut t, 1, "bob");
    send_move(&mut g, &mut t, S0, 4);
    assert!(t.event_logs.is_empty());
}

fn logged(events: &[(&str, &[u8])]) -> ParsedLog {
    ParsedLog {
        game: "TicTacToe".to_owned(),
        events: events
            .iter()
            .enumerate()
            .map(|(i, (kind, data))| Event {
                seq: i as u64 + 1,
                time_ms: 1_000,
                kind: (*kind).to_owned(),
                data: data.to_vec(),
            })
            .collect(),
        complete: false,
    }
}

/// A restore launch: seats reserved for alice and bob, the game not yet
/// confirmed (ggzdmod waits for the game).
fn restore_launch(log: Result<Option<ParsedLog>, String>) -> (TicTacToe, FakeTable) {
    let mut g = TicTacToe::new(Variant::Classic, Savegame::disabled());
    let mut t = FakeTable::new(vec![
        info(SeatKind::Reserved, "alice"),
        info(SeatKind::Reserved, "bob"),
    ]);
    t.state = GameState::Created;
    t.restore = Some(log);
    g.on_launch(&mut t);
    (g, t)
}

const HALF_GAME: &[(&str, &[u8])] = &[
    ("seat", b"\x00alice"),
    ("seat", b"\x01bob"),
    ("start", b""),
    ("move", &[0, 4]),
    ("move", &[1, 0]),
    ("move", &[0, 8]),
];

#[test]
fn a_restored_game_goes_on_where_it_stopped() {
    let (mut g, mut t) = restore_launch(Ok(Some(logged(HALF_GAME))));
    assert_eq!(g.refused(), None);
    assert_eq!(
        t.take(),
        [Rec::State(GameState::Waiting)],
        "the launch is confirmed"
    );
    assert_eq!(g.board().get(4), Some(Mark::Seat0));
    assert_eq!(g.board().get(0), Some(Mark::Seat1));
    assert_eq!(g.turn(), Some(Mark::Seat1));
    // The new log starts with the restored events.
    assert_eq!(t.event_logs.len(), 1);
    assert_eq!(t.events().len(), HALF_GAME.len());
    // Both players take their reserved seats: bob, on turn, is asked to move.
    join(&mut g, &mut t, 0, "alice");
    join(&mut g, &mut t, 1, "bob");
    let recs = t.take();
    assert!(recs.contains(&Rec::State(GameState::Playing)));
    assert!(recs.contains(&sent(S1, ServerMsg::ReqMove)));
    let sync = ServerMsg::Sync {
        turn: Some(Mark::Seat1),
        cells: g.board().to_wire(),
    };
    assert!(
        recs.contains(&sent(S1, sync)),
        "bob gets the restored board"
    );
    // The game finishes as any other; bob wins on the first column.
    send_move(&mut g, &mut t, S1, 3);
    send_move(&mut g, &mut t, S0, 2);
    send_move(&mut g, &mut t, S1, 6);
    assert!(g.is_finished());
    let events = t.events();
    assert_eq!(
        kinds(&events[6..]),
        ["seat", "seat", "move", "move", "move", "over"]
    );
    assert_eq!(events.last().unwrap().1, [1]);
    assert!(t.event_logs[0].1, "finished");
}

#[test]
fn illegal_or_unfitting_logs_fail_the_launch() {
    let mut taken = HALF_GAME.to_vec();
    taken.push(("move", &[1, 4]));
    let mallory: Vec<(&str, &[u8])> = [("seat", &b"\x00mallory"[..])]
        .into_iter()
        .chain(HALF_GAME[1..].iter().copied())
        .collect();
    let cases: Vec<(Result<Option<ParsedLog>, String>, &str)> = vec![
        (Ok(Some(logged(&taken))), "already taken"),
        (Ok(Some(logged(&mallory))), "reserved for \"alice\""),
        (Ok(Some(logged(&HALF_GAME[..2]))), "no started game"),
        (
            Err("line 3: the chain check does not match".into()),
            "chain",
        ),
    ];
    for (log, why) in cases {
        let (g, mut t) = restore_launch(log);
        assert!(
            g.refused().is_some_and(|r| r.contains(why)),
            "{:?}",
            g.refused()
        );
        assert_eq!(t.take(), [Rec::State(GameState::Done)], "never WAITING");
        assert!(t.logs.iter().any(|l| l.contains("refusing to restore")));
        assert!(t.event_logs.is_empty());
    }
}

#[test]
fn a_finished_game_restores_finished() {
    let mut log = HALF_GAME.to_vec();
    log.extend_from_slice(&[
        ("move", &[1, 3]),
        ("move", &[0, 2]),
        ("move", &[1, 6]),
        ("over", &[1]),
    ]);
    let (mut g, mut t) = restore_launch(Ok(Some(logged(&log))));
    assert!(g.is_finished());
    assert!(t.event_logs[0].1, "its log is closed at once");
    // The first to come back gets the final board.
    join(&mut g, &mut t, 0, "alice");
    let board = ServerMsg::Sync {
        turn: g.turn(),
        cells: g.board().to_wire(),
    };
    assert!(t.take().contains(&sent(S0, board)));
    assert_eq!(t.state, GameState::Waiting);
    // Both seats filled again: a fresh game, as after any seat left and
    // refilled (docs/tictactoe-rematch.md), in a new log.
    join(&mut g, &mut t, 1, "bob");
    assert_eq!(t.state, GameState::Playing);
    assert!(!g.is_finished());
    assert_eq!(t.event_logs.len(), 2);
    assert_eq!(kinds(&t.events()), ["seat", "seat", "start"]);
}
