//! The relay: the rules of a lockstep table as a sans-IO state machine
//! (docs/lockstep.md §3). Seat changes, decoded frames and the clock go in;
//! [`Out`] effects come out. Time is always passed in, so pauses, drops
//! and turn pacing are unit-tested without sleeping.
//!
//! Master packets are encoded once, when their turn closes, and the same
//! bytes are broadcast, kept for catch-ups, and are what an event log would
//! append (one event per turn).

use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

use ggzdmod::{GameResult, GameState, Place};

use crate::config::Config;
use crate::wire::{
    ErrorCode, FromRelay, PROTOCOL_VERSION, Phase, SPECTATOR_SEAT, SeatStatus, ToRelay,
    encode_from_relay,
};
use ggzdmod::eventlog::{Freshness, check_version};

/// Longest setup message.
pub const MAX_SETUP_MESSAGE: usize = 1024;
/// Most setup messages kept.
pub const MAX_SETUP_MESSAGES: usize = 64;
/// Turns whose hashes are kept for comparison.
pub const HASH_WINDOW: usize = 256;
/// Most turns ahead of the open one a command may be sent for (fewer if
/// `--max-lag-turns` is smaller): bounds what is buffered per player.
pub const COMMAND_WINDOW: u32 = 16;

/// An effect for the IO shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Queue these bytes (whole frames) to a player or spectator.
    Send(Place, Rc<[u8]>),
    /// Close this connection once its queued bytes are written.
    Close(Place),
    /// Ask ggzd to remove this player from the table.
    Boot(String),
    /// Ask ggzd for this game state.
    State(GameState),
    /// Send the game report: one result per seat.
    Report(Vec<GameResult>),
    /// A line for ggzd's log.
    Log(String),
    /// An event for the table's event log (docs/event-log.md §7): the
    /// kind, and the frame as sent on the wire.
    Record(&'static str, Rc<[u8]>),
}

/// Event kind of the log's first event: one byte, the [`PROTOCOL_VERSION`]
/// its master packets are laid out in, so that a reader can tell a log it
/// cannot decode (docs/event-log.md §7).
pub const EVENT_VERSION: &str = "version";
/// Event kind of the setup state the game started with.
pub const EVENT_SETUP: &str = "setup";
/// Event kind of one master packet.
pub const EVENT_TURN: &str = "turn";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Setup,
    Running,
    Over,
}

#[derive(Debug, Default)]
struct SeatState {
    /// Who is connected here now (`None`: nobody).
    name: Option<String>,
    /// The player the seat belongs to once the game runs.
    owner: Option<String>,
    ready: bool,
    /// Commands received for the open turn and a few ahead, by turn.
    pending: VecDeque<(u32, Vec<u8>)>,
    /// The next turn this player's hash is expected for (acknowledges all
    /// before it).
    acked_next: u32,
    /// Since when this player holds the game up.
    lag_since: Option<Instant>,
    outcome: Option<(u32, Vec<u8>)>,
}

impl SeatState {
    fn playing(&self) -> bool {
        self.name.is_some() && self.owner.is_some()
    }
}

/// One lockstep table.
#[derive(Debug)]
pub struct Relay {
    cfg: Config,
    stage: Stage,
    seats: Vec<SeatState>,
    spectators: BTreeSet<usize>,
    setup: Vec<(u8, Vec<u8>)>,
    setup_bytes: usize,
    started: Option<Instant>,
    /// The turn collecting commands.
    open: u32,
    /// When the open turn may close.
    due: Option<Instant>,
    /// Seats the game waits for, while paused.
    paused: Option<Vec<u8>>,
    log: Vec<Rc<[u8]>>,
    log_bytes: usize,
    log_overflow: bool,
    /// Per turn, each seat's reported hash.
    hashes: VecDeque<(u32, Vec<Option<Vec<u8>>>)>,
    /// DESYNC or GAME_OVER, for whoever arrives afterwards.
    last_word: Option<Rc<[u8]>>,
    out: Vec<Out>,
}

fn rc(msg: &FromRelay) -> Rc<[u8]> {
    Rc::from(encode_from_relay(msg))
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn seat_byte(seat: usize) -> u8 {
    u8::try_from(seat).unwrap_or(u8::MAX)
}

impl Relay {
    /// A table of `seats` seats.
    pub fn new(cfg: Config, seats: usize) -> Relay {
        let seats = seats.min(crate::config::MAX_PLAYERS);
        Relay {
            cfg,
            stage: Stage::Setup,
            seats: (0..seats).map(|_| SeatState::default()).collect(),
            spectators: BTreeSet::new(),
            setup: Vec::new(),
            setup_bytes: 0,
            started: None,
            open: 0,
            due: None,
            paused: None,
            log: Vec::new(),
            log_bytes: 0,
            log_overflow: false,
            hashes: VecDeque::new(),
            last_word: None,
            out: Vec::new(),
        }
    }

    /// Takes the effects produced so far.
    pub fn drain(&mut self) -> Vec<Out> {
        std::mem::take(&mut self.out)
    }

    /// Moves the effects produced so far to the end of `into`, keeping
    /// both vectors' memory for the next turn.
    pub fn drain_into(&mut self, into: &mut Vec<Out>) {
        into.append(&mut self.out);
    }

    /// The turn collecting commands.
    pub fn open_turn(&self) -> u32 {
        self.open
    }

    /// Whether turns are running.
    pub fn running(&self) -> bool {
        self.stage == Stage::Running
    }

    /// Whether the game is paused for laggards.
    pub fn paused(&self) -> bool {
        self.paused.is_some()
    }

    /// Master packets kept for catch-ups (encoded frames, turn order).
    pub fn master_log(&self) -> &[Rc<[u8]>] {
        &self.log
    }

    /// When [`Relay::tick`] should be called next.
    pub fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        if self.stage != Stage::Running {
            return None;
        }
        let due = self.due?;
        if due > now {
            // A turn still missing a command closes when that command
            // arrives, which wakes the shell anyway: a timer at the
            // deadline would be a wake-up per turn that does nothing. Until
            // then only the pause threshold needs the clock.
            if self.paused.is_none() && !self.all_commands_in() {
                return Some(due + self.cfg.turn * self.cfg.max_lag_turns);
            }
            return Some(due);
        }
        if self.paused.is_none() && self.closable() {
            // Every command came in before the deadline, as a client with
            // a command delay sends them, but the clock passed the
            // deadline only after they were applied (their frames carry
            // the time of their read): the turn closes now. Without this
            // the relay would sleep until the pause threshold.
            return Some(now);
        }
        // Past due, the turn waits for commands, which wake us anyway;
        // time matters again when the wait becomes a pause, and while
        // paused, when the first laggard is to be dropped.
        let next = if self.paused.is_some() {
            self.seats
                .iter()
                .filter_map(|s| s.lag_since)
                .min()
                .map(|t| t + self.cfg.lag_timeout)
        } else {
            Some(due + self.cfg.turn * self.cfg.max_lag_turns)
        };
        // Never a busy loop, whatever rounding did.
        Some(next.map_or(now, |n| n.max(now)) + Duration::from_millis(1))
    }

    // ---- recipients ----

    fn send(&mut self, to: Place, bytes: Rc<[u8]>) {
        self.out.push(Out::Send(to, bytes));
    }

    fn broadcast(&mut self, bytes: &Rc<[u8]>) {
        for (i, s) in self.seats.iter().enumerate() {
            if s.name.is_some() {
                self.out.push(Out::Send(Place::Seat(i), bytes.clone()));
            }
        }
        for &i in &self.spectators {
            self.out.push(Out::Send(Place::Spectator(i), bytes.clone()));
        }
    }

    fn error(&mut self, to: Place, code: ErrorCode, turn: u32, text: String) {
        let frame = rc(&FromRelay::Error { code, turn, text });
        self.send(to, frame);
    }

    fn seats_frame(&self) -> Rc<[u8]> {
        let seats = self
            .seats
            .iter()
            .map(|s| {
                let status = match (self.stage, &s.name, &s.owner) {
                    (Stage::Setup, Some(_), _) if s.ready => SeatStatus::Ready,
                    (_, Some(_), _) => SeatStatus::Present,
                    (Stage::Setup, None, _) | (_, None, None) => SeatStatus::Empty,
                    (_, None, Some(_)) => SeatStatus::Absent,
                };
                let name = s
                    .name
                    .clone()
                    .or_else(|| s.owner.clone())
                    .unwrap_or_default();
                (status, name)
            })
            .collect();
        rc(&FromRelay::Seats(seats))
    }

    fn welcome(&self, seat: u8) -> Rc<[u8]> {
        rc(&FromRelay::Welcome {
            version: PROTOCOL_VERSION,
            seat,
            seats: seat_byte(self.seats.len()),
            min_players: seat_byte(self.cfg.min_players),
            turn_ms: u32::try_from(self.cfg.turn.as_millis()).unwrap_or(u32::MAX),
            max_command: u32::try_from(self.cfg.max_command).unwrap_or(u32::MAX),
            hash_len: seat_byte(self.cfg.hash_len),
            max_lag: u16::try_from(self.cfg.max_lag_turns).unwrap_or(u16::MAX),
            phase: match self.stage {
                Stage::Setup => Phase::Setup,
                Stage::Running => Phase::Running,
                Stage::Over => Phase::Over,
            },
        })
    }

    fn start_frame(&self) -> Rc<[u8]> {
        let players = self
            .seats
            .iter()
            .enumerate()
            .filter(|(_, s)| s.owner.is_some())
            .fold(0u32, |m, (i, _)| m | (1u32 << i.min(31)));
        rc(&FromRelay::Start { players })
    }

    /// Everything a newcomer needs: the setup state and, once running,
    /// every master packet so far. `false` if the log overflowed.
    fn catch_up(&mut self, to: Place) -> bool {
        let setup = rc(&FromRelay::SetupState(self.setup.clone()));
        self.send(to, setup);
        if self.stage == Stage::Setup {
            return true;
        }
        if self.log_overflow {
            self.error(
                to,
                ErrorCode::LogOverflow,
                self.open,
                format!(
                    "the command log passed its bound of {} bytes: no catch-up",
                    self.cfg.log_bytes
                ),
            );
            return false;
        }
        let start = self.start_frame();
        self.send(to, start);
        let log = self.log.clone();
        for frame in log {
            self.send(to, frame);
        }
        let done = rc(&FromRelay::CaughtUp {
            next_turn: self.open,
        });
        self.send(to, done);
        if let Some(word) = self.last_word.clone() {
            self.send(to, word);
        }
        true
    }

    // ---- seats ----

    /// A player sat down in `seat` (ggzd's seat change).
    pub fn seat_joined(&mut self, seat: usize, name: &str, now: Instant) {
        let Some(s) = self.seats.get(seat) else {
            return;
        };
        let place = Place::Seat(seat);
        if self.stage != Stage::Setup {
            let rejoin = s.owner.as_deref().is_some_and(|o| same_name(o, name));
            if !rejoin {
                // Seats are locked while the game runs; only a seat's own
                // player may come back to it.
                let text = match &s.owner {
                    Some(o) => format!("seat {seat} belongs to {o}"),
                    None => "seats are locked while the game runs".to_owned(),
                };
                self.error(place, ErrorCode::SeatLocked, self.open, text);
                self.out.push(Out::Close(place));
                self.out.push(Out::Boot(name.to_owned()));
                return;
            }
        }
        let welcome = self.welcome(seat_byte(seat));
        if let Some(s) = self.seats.get_mut(seat) {
            s.name = Some(name.to_owned());
            s.ready = false;
            s.pending.clear();
            s.lag_since = None;
            // A rejoiner may hash the last turn it replayed.
            s.acked_next = self.open.saturating_sub(1);
            s.outcome = None;
        }
        self.send(place, welcome);
        if !self.catch_up(place) {
            self.out.push(Out::Log(format!(
                "lockstep: {name} cannot rejoin seat {seat}: the command log overflowed"
            )));
            self.drop_player(seat, now);
            return;
        }
        if self.stage == Stage::Running {
            self.out.push(Out::Log(format!(
                "lockstep: {name} rejoined seat {seat} at turn {}",
                self.open
            )));
        }
        let seats = self.seats_frame();
        self.broadcast(&seats);
        self.advance(now);
    }

    /// The player in `seat` went away (left, booted, or their connection
    /// closed). Harmless if already gone.
    pub fn seat_left(&mut self, seat: usize, now: Instant) {
        let Some(s) = self.seats.get_mut(seat) else {
            return;
        };
        if s.name.take().is_none() {
            return;
        }
        s.ready = false;
        s.pending.clear();
        s.lag_since = None;
        s.outcome = None;
        let seats = self.seats_frame();
        self.broadcast(&seats);
        if self.stage == Stage::Running {
            self.check_outcomes();
            self.advance(now);
        }
    }

    /// A spectator arrived.
    pub fn spectator_joined(&mut self, slot: usize) {
        let place = Place::Spectator(slot);
        self.spectators.insert(slot);
        let welcome = self.welcome(SPECTATOR_SEAT);
        self.send(place, welcome);
        // Without a log a spectator still watches the live turns.
        self.catch_up(place);
        let seats = self.seats_frame();
        self.send(place, seats);
    }

    /// A spectator left.
    pub fn spectator_left(&mut self, slot: usize) {
        self.spectators.remove(&slot);
    }

    /// Removes a player: closed, booted, absent from now on.
    fn drop_player(&mut self, seat: usize, now: Instant) {
        let Some(name) = self.seats.get(seat).and_then(|s| s.name.clone()) else {
            return;
        };
        self.out.push(Out::Close(Place::Seat(seat)));
        self.out.push(Out::Boot(name));
        self.seat_left(seat, now);
    }

    /// A player's channel closed: without it they cannot play, so the seat
    /// is given up in ggzd too (booted); the same player may take it back.
    pub fn channel_closed(&mut self, seat: usize, now: Instant) {
        if self.seats.get(seat).is_some_and(|s| s.name.is_some()) {
            self.out.push(Out::Log(format!(
                "lockstep: the channel of seat {seat} closed"
            )));
            self.drop_player(seat, now);
        }
    }

    /// Bytes from `place` that are not a frame at all: the connection goes
    /// (and a player counts as having left), nothing else is touched.
    pub fn garbage(&mut self, place: Place, why: &str, now: Instant) {
        self.error(place, ErrorCode::BadFrame, self.open, why.to_owned());
        self.out
            .push(Out::Log(format!("lockstep: {place:?} sent garbage: {why}")));
        match place {
            Place::Seat(seat) => self.drop_player(seat, now),
            Place::Spectator(_) => self.out.push(Out::Close(place)),
        }
    }

    // ---- frames ----

    /// One decoded frame from a player or spectator.
    pub fn frame(&mut self, from: Place, msg: ToRelay, now: Instant) {
        if self.stage == Stage::Over {
            return;
        }
        let seat = match from {
            Place::Seat(seat) if self.seats.get(seat).is_some_and(|s| s.name.is_some()) => seat,
            Place::Seat(_) => return,
            Place::Spectator(_) => {
                self.error(
                    from,
                    ErrorCode::Spectator,
                    self.open,
                    "spectators only watch".into(),
                );
                return;
            }
        };
        match msg {
            ToRelay::Setup(bytes) => self.on_setup(seat, bytes, now),
            ToRelay::Ready(ready) => self.on_ready(seat, ready, now),
            ToRelay::Command { turn, body } => self.on_command(seat, turn, body, now),
            ToRelay::Hash { turn, hash } => self.on_hash(seat, turn, hash),
            ToRelay::Outcome { turn, results } => self.on_outcome(seat, turn, results),
        }
        self.advance(now);
    }

    fn wrong_phase(&mut self, seat: usize, what: &str) {
        let text = format!(
            "{what} is not accepted {}",
            if self.stage == Stage::Setup {
                "before the game starts"
            } else {
                "once the game runs"
            }
        );
        self.error(Place::Seat(seat), ErrorCode::WrongPhase, self.open, text);
    }

    fn on_setup(&mut self, seat: usize, bytes: Vec<u8>, _now: Instant) {
        let place = Place::Seat(seat);
        if self.stage != Stage::Setup {
            return self.wrong_phase(seat, "SETUP");
        }
        if bytes.len() > MAX_SETUP_MESSAGE {
            let text = format!(
                "setup message of {} bytes, limit {MAX_SETUP_MESSAGE}",
                bytes.len()
            );
            return self.error(place, ErrorCode::TooLarge, 0, text);
        }
        if self.setup.len() >= MAX_SETUP_MESSAGES {
            let text = format!("the setup state holds {MAX_SETUP_MESSAGES} messages already");
            return self.error(place, ErrorCode::SetupFull, 0, text);
        }
        self.setup_bytes += bytes.len();
        self.setup.push((seat_byte(seat), bytes));
        // A change of the setup withdraws every "ready": players commit to
        // the setup they have seen.
        for s in &mut self.seats {
            s.ready = false;
        }
        let state = rc(&FromRelay::SetupState(self.setup.clone()));
        self.broadcast(&state);
        let seats = self.seats_frame();
        self.broadcast(&seats);
    }

    fn on_ready(&mut self, seat: usize, ready: bool, now: Instant) {
        if self.stage != Stage::Setup {
            return self.wrong_phase(seat, "READY");
        }
        if let Some(s) = self.seats.get_mut(seat) {
            s.ready = ready;
        }
        let seats = self.seats_frame();
        self.broadcast(&seats);
        self.maybe_start(now);
    }

    fn maybe_start(&mut self, now: Instant) {
        let seated = self.seats.iter().filter(|s| s.name.is_some()).count();
        let all_ready = self.seats.iter().all(|s| s.name.is_none() || s.ready);
        if seated < self.cfg.min_players || seated > self.cfg.max_players || !all_ready {
            return;
        }
        for s in &mut self.seats {
            s.owner = s.name.clone();
            s.acked_next = 0;
        }
        self.stage = Stage::Running;
        self.started = Some(now);
        self.open = 0;
        self.due = Some(now + self.cfg.turn);
        self.out.push(Out::State(GameState::Playing));
        self.out
            .push(Out::Record(EVENT_VERSION, Rc::from([PROTOCOL_VERSION])));
        let setup = rc(&FromRelay::SetupState(self.setup.clone()));
        self.out.push(Out::Record(EVENT_SETUP, setup));
        self.out.push(Out::Log(format!(
            "lockstep: the game starts with {seated} players"
        )));
        let start = self.start_frame();
        self.broadcast(&start);
        // As after a catch-up: live turns follow from here.
        let caught_up = rc(&FromRelay::CaughtUp { next_turn: 0 });
        self.broadcast(&caught_up);
        let seats = self.seats_frame();
        self.broadcast(&seats);
    }

    fn on_command(&mut self, seat: usize, turn: u32, body: Vec<u8>, _now: Instant) {
        let place = Place::Seat(seat);
        if self.stage != Stage::Running {
            return self.wrong_phase(seat, "COMMAND");
        }
        if body.len() > self.cfg.max_command {
            let text = format!(
                "command of {} bytes, limit {}",
                body.len(),
                self.cfg.max_command
            );
            return self.error(place, ErrorCode::TooLarge, turn, text);
        }
        let ahead = self.cfg.max_lag_turns.min(COMMAND_WINDOW);
        // The stale-move helper of the event log, with the open turn as the
        // state version (docs/event-log.md §5).
        match check_version(u64::from(self.open), u64::from(ahead), u64::from(turn)) {
            Freshness::Accept => {}
            Freshness::Stale { current } => {
                let text = format!("turn {turn} is closed; turn {current} is open");
                return self.error(place, ErrorCode::StaleTurn, turn, text);
            }
            Freshness::Future { last } => {
                let text = format!("turn {turn} is too far ahead; the last accepted now is {last}");
                return self.error(place, ErrorCode::FutureTurn, turn, text);
            }
        }
        let Some(s) = self.seats.get_mut(seat) else {
            return;
        };
        if s.owner.is_none() {
            return;
        }
        let at = s.pending.partition_point(|(t, _)| *t < turn);
        if s.pending.get(at).is_some_and(|(t, _)| *t == turn) {
            let text = format!("a command for turn {turn} was already received");
            return self.error(place, ErrorCode::Duplicate, turn, text);
        }
        s.pending.insert(at, (turn, body));
    }

    fn on_hash(&mut self, seat: usize, turn: u32, hash: Vec<u8>) {
        let place = Place::Seat(seat);
        if self.stage != Stage::Running {
            return self.wrong_phase(seat, "HASH");
        }
        if hash.len() != self.cfg.hash_len {
            let text = format!(
                "hash of {} bytes, expected {}",
                hash.len(),
                self.cfg.hash_len
            );
            return self.error(place, ErrorCode::BadValue, turn, text);
        }
        if turn >= self.open {
            let text = format!("turn {turn} has not been played yet");
            return self.error(place, ErrorCode::FutureTurn, turn, text);
        }
        let Some(s) = self.seats.get_mut(seat) else {
            return;
        };
        if s.owner.is_none() {
            return;
        }
        if turn < s.acked_next {
            let text = format!("a hash for turn {turn} or later was already received");
            return self.error(place, ErrorCode::StaleTurn, turn, text);
        }
        s.acked_next = turn + 1;
        let n = self.seats.len();
        let at = self.hashes.partition_point(|(t, _)| *t < turn);
        let entry = match self.hashes.get_mut(at) {
            Some((t, e)) if *t == turn => e,
            _ => {
                if at == 0 && self.hashes.len() >= HASH_WINDOW {
                    // Older than every turn still compared.
                    return;
                }
                self.hashes.insert(at, (turn, vec![None; n]));
                if self.hashes.len() > HASH_WINDOW {
                    self.hashes.pop_front();
                }
                let Some((_, e)) = self.hashes.iter_mut().find(|(t, _)| *t == turn) else {
                    return;
                };
                e
            }
        };
        if let Some(slot) = entry.get_mut(seat) {
            *slot = Some(hash);
        }
        let reported: Vec<(usize, &Vec<u8>)> = entry
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (i, h)))
            .collect();
        if reported
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.1 == b.1))
        {
            return;
        }
        let diverging = minority(&reported);
        self.desync(turn, diverging);
    }

    fn on_outcome(&mut self, seat: usize, turn: u32, results: Vec<u8>) {
        let place = Place::Seat(seat);
        if self.stage != Stage::Running {
            return self.wrong_phase(seat, "OUTCOME");
        }
        if results.len() != self.seats.len()
            || results
                .iter()
                .any(|r| GameResult::from_wire(i32::from(*r)).is_none())
        {
            let text = format!(
                "an outcome needs one result (0..=4) for each of {} seats",
                self.seats.len()
            );
            return self.error(place, ErrorCode::BadValue, turn, text);
        }
        if let Some(s) = self.seats.get_mut(seat) {
            s.outcome = Some((turn, results));
        }
        self.check_outcomes();
    }

    /// The game ends when every connected player reported the same outcome;
    /// different outcomes are a desync like different hashes.
    fn check_outcomes(&mut self) {
        if self.stage != Stage::Running {
            return;
        }
        type Report<'a> = (usize, Option<&'a (u32, Vec<u8>)>);
        let reports: Vec<Report> = self
            .seats
            .iter()
            .enumerate()
            .filter(|(_, s)| s.playing())
            .map(|(i, s)| (i, s.outcome.as_ref()))
            .collect();
        let given: Vec<(usize, &(u32, Vec<u8>))> = reports
            .iter()
            .filter_map(|(i, o)| o.map(|o| (*i, o)))
            .collect();
        if given.windows(2).any(|w| matches!(w, [a, b] if a.1 != b.1)) {
            let turn = given.iter().map(|(_, o)| o.0).min().unwrap_or(self.open);
            let diverging = minority(&given);
            return self.desync(turn, diverging);
        }
        if given.is_empty() || given.len() < reports.len() {
            return;
        }
        let Some((_, (turn, results))) = given.first().map(|(i, o)| (*i, (*o).clone())) else {
            return;
        };
        let frame = rc(&FromRelay::GameOver {
            turn,
            results: results.clone(),
        });
        self.finish(frame);
        self.out
            .push(Out::Log(format!("lockstep: game over after turn {turn}")));
        self.out.push(Out::Report(
            results
                .iter()
                .map(|r| GameResult::from_wire(i32::from(*r)).unwrap_or(GameResult::None))
                .collect(),
        ));
        self.out.push(Out::State(GameState::Done));
    }

    fn desync(&mut self, turn: u32, seats: Vec<u8>) {
        let list: Vec<String> = seats.iter().map(u8::to_string).collect();
        let frame = rc(&FromRelay::Desync { turn, seats });
        self.finish(frame);
        self.out.push(Out::Log(format!(
            "lockstep: desync at turn {turn}: seats {} diverged; the game is halted",
            list.join(", ")
        )));
        // Nobody won a game that went out of sync: every result is "none",
        // so records and ratings stay as they were (docs/lockstep.md §3.6).
        self.out
            .push(Out::Report(vec![GameResult::None; self.seats.len()]));
        self.out.push(Out::State(GameState::Done));
    }

    fn finish(&mut self, frame: Rc<[u8]>) {
        self.stage = Stage::Over;
        self.due = None;
        self.broadcast(&frame);
        self.last_word = Some(frame);
    }

    // ---- the clock ----

    /// Lets time pass: closes due turns, pauses, resumes, drops laggards.
    pub fn tick(&mut self, now: Instant) {
        self.advance(now);
    }

    fn advance(&mut self, now: Instant) {
        while self.stage == Stage::Running {
            self.check_lag(now);
            if self.paused.is_some() || !self.close_turn(now) {
                break;
            }
        }
    }

    /// Closes the open turn if it is due and every connected player's
    /// command is in. Absent players' commands are empty.
    fn close_turn(&mut self, now: Instant) -> bool {
        let Some(due) = self.due else {
            return false;
        };
        if now < due || !self.seats.iter().any(SeatState::playing) {
            return false;
        }
        if !self.all_commands_in() {
            return false;
        }
        let open = self.open;
        let commands = self
            .seats
            .iter_mut()
            .map(|s| {
                if s.playing() {
                    s.pending.pop_front().map(|(_, body)| body)
                } else {
                    None
                }
            })
            .collect();
        // Microseconds, so that a client can place the relay's start in
        // its own clock to within one packet's transit (docs/lockstep.md
        // §3.5); `now` is past the turn's due time, so this is never less
        // than N + 1 turn lengths.
        let elapsed = self
            .started
            .map_or(0, |t| now.saturating_duration_since(t).as_micros());
        let frame = rc(&FromRelay::Master {
            turn: open,
            elapsed_us: u64::try_from(elapsed).unwrap_or(u64::MAX),
            commands,
        });
        self.broadcast(&frame);
        self.out.push(Out::Record(EVENT_TURN, Rc::clone(&frame)));
        self.keep(frame);
        self.open = open.saturating_add(1);
        self.due = Some(grid::next_slot(due, self.cfg.turn, now));
        true
    }

    /// Whether the open turn closes once it is due: someone plays, and
    /// every player's command is in.
    fn closable(&self) -> bool {
        self.seats.iter().any(SeatState::playing) && self.all_commands_in()
    }

    /// Whether every connected player's command for the open turn is in.
    fn all_commands_in(&self) -> bool {
        let open = self.open;
        self.seats
            .iter()
            .filter(|s| s.playing())
            .all(|s| s.pending.front().is_some_and(|(t, _)| *t == open))
    }

    /// Appends a master packet to the bounded log; past the bound the log
    /// is given up (catch-ups are refused from then on).
    fn keep(&mut self, frame: Rc<[u8]>) {
        if self.log_overflow {
            return;
        }
        if self.log_bytes + frame.len() > self.cfg.log_bytes {
            self.log_overflow = true;
            self.log = Vec::new();
            self.out.push(Out::Log(format!(
                "lockstep: the command log passed {} bytes at turn {}: rejoins are refused from now on",
                self.cfg.log_bytes, self.open
            )));
            return;
        }
        self.log_bytes += frame.len();
        self.log.push(frame);
    }

    /// Who holds the game up: a connected player whose command for a due
    /// turn has been missing for `max_lag_turns` turn lengths, or whose
    /// hashes are more than `max_lag_turns` turns behind.
    fn check_lag(&mut self, now: Instant) {
        let (open, cfg_turn, max_lag) = (self.open, self.cfg.turn, self.cfg.max_lag_turns);
        let waited = self
            .due
            .map_or(Duration::ZERO, |d| now.saturating_duration_since(d));
        let mut laggards = Vec::new();
        for (i, s) in self.seats.iter_mut().enumerate() {
            if !s.playing() {
                continue;
            }
            let missing = s.pending.front().is_none_or(|(t, _)| *t != open);
            let slow_command = missing && waited >= cfg_turn * max_lag;
            let behind = open.saturating_sub(s.acked_next) > max_lag;
            if slow_command || behind {
                laggards.push(seat_byte(i));
                s.lag_since.get_or_insert(now);
            } else {
                s.lag_since = None;
            }
        }
        let timeout = self.cfg.lag_timeout;
        let dropped: Vec<usize> = self
            .seats
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.lag_since
                    .is_some_and(|t| now.saturating_duration_since(t) >= timeout)
            })
            .map(|(i, _)| i)
            .collect();
        for seat in dropped {
            let name = self
                .seats
                .get(seat)
                .and_then(|s| s.name.clone())
                .unwrap_or_default();
            self.out.push(Out::Log(format!(
                "lockstep: {name} (seat {seat}) held the game up too long and is dropped"
            )));
            let text = format!("you held the game up for {} ms", timeout.as_millis());
            self.error(Place::Seat(seat), ErrorCode::Dropped, self.open, text);
            self.drop_player(seat, now);
            laggards.retain(|s| usize::from(*s) != seat);
            if self.stage != Stage::Running {
                return;
            }
        }
        match (&self.paused, laggards.is_empty()) {
            (None, true) => {}
            (Some(_), true) => {
                self.paused = None;
                let frame = rc(&FromRelay::Resumed);
                self.broadcast(&frame);
                // The turn that waited is not closed at once: everyone gets
                // a full turn after the pause, and the grid of due times
                // starts again from there (docs/lockstep.md §3.8).
                self.due = Some(now + cfg_turn);
            }
            (Some(p), false) if *p == laggards => {}
            (_, false) => {
                let frame = rc(&FromRelay::Paused(laggards.clone()));
                self.paused = Some(laggards);
                self.broadcast(&frame);
            }
        }
    }
}

/// The seats outside the largest group of equal values; all of them if no
/// group is the largest alone.
fn minority<T: PartialEq>(reports: &[(usize, T)]) -> Vec<u8> {
    let counts: Vec<usize> = reports
        .iter()
        .map(|(_, v)| reports.iter().filter(|(_, w)| w == v).count())
        .collect();
    let best = counts.iter().copied().max().unwrap_or(0);
    let leaders: Vec<&T> = reports
        .iter()
        .zip(&counts)
        .filter(|(_, c)| **c == best)
        .map(|((_, v), _)| v)
        .collect();
    let unique = leaders.windows(2).all(|w| matches!(w, [a, b] if a == b));
    reports
        .iter()
        .filter(|(_, v)| !unique || leaders.first().is_none_or(|l| *l != v))
        .map(|(i, _)| seat_byte(*i))
        .collect()
}

mod grid;

#[cfg(test)]
mod tests;
