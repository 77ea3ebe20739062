//! `lockstep`: M tables of P players of the lockstep relay
//! (`ggzd-lockstep`, docs/lockstep.md) running turns at once.
//!
//! **Setup.** Every table is launched and filled. Tables start spread over
//! one turn length, as tables opened by people at independent moments
//! would: once every player is seated, table t's players send their READY
//! when the clock reaches t/M of a turn (modulo the turn length). The
//! relay's turns are due on a grid
//! from its start (docs/lockstep.md §3.4), so each table keeps that phase,
//! and the M tables' turns fall evenly over the turn instead of in the
//! bursts the setup's batches would give them.
//!
//! **Play.** The players are real lockstep clients with a command delay
//! of D turns (`--command-delay`, default 2): at `CAUGHT_UP` each sends
//! its commands for the first D turns; when the master packet of turn n
//! arrives it sends, in one write, its hash of turn n and its command for
//! turn n + D. Frames are real and so are hashes: each player folds every
//! master packet it receives into an FNV-1a hash (its "state"), so the
//! players agree and the relay compares real values.
//!
//! **Measured** (issue 13's "master-packet latency from the last command
//! to broadcast"): a master packet cannot be broadcast before its turn is
//! due, so its latency runs from the later of (its turn's last command
//! being sent, its turn being due) to each player receiving it. That is
//! the transit of the last command if it came late, and otherwise the
//! relay's wake-up at the deadline, its work and the packet's transit.
//! Due times are the relay's own, not a guess: turn 0 is due one turn
//! length after the start, and turn n + 1 at the first slot of the grid
//! after turn n closed, which the master packet's timing data
//! (microseconds from the start to the close, docs/lockstep.md §3.5) gives
//! exactly, since slots are whole microseconds apart.
//!
//! The start, in the generator's clock (`CLOCK_MONOTONIC`, shared with the
//! relay), is estimated as `hi`: the earliest of `CAUGHT_UP`'s arrival and
//! every master packet's arrival less its timing data. Each of those is the
//! start plus one packet's transit (and under a microsecond of rounding),
//! so `hi` is the start plus the table's smallest transit. `master_*`
//! counts from `hi + due`: it understates the true latency by at most that
//! smallest transit (one loopback hop and the reader's wake-up), and never
//! overstates it. `master_upper_*` counts from `lo + due`, where `lo` is
//! when the table's last READY was sent (the relay cannot have started
//! earlier): it never understates, and overstates by up to
//! `start_window_*` (hi − lo per table), which is mostly how long the relay
//! took to read its READY. A table that paused (its grid then starts again
//! at a moment the clients cannot see) is measured no further
//! (`turns_unmeasured`).
//!
//! Also reported: turns delivered per second (master packets, counted
//! once per table), the CPU of the game servers per table (from `/proc`,
//! over the measured window), and how many tables share the busiest
//! millisecond of the turn.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fs;
use std::io;
use std::ops::Range;
use std::time::Duration;

use lockstep::relay::COMMAND_WINDOW;
use lockstep::wire::{
    FromRelay, PROTOCOL_VERSION, ToRelay, append_to_relay, decode_from_relay, encode_to_relay,
};

use super::clock::{monotonic_ns, ns_from_secs, secs};
use super::crowd::{self, Failures, Target};
use super::engine::{ClientId, Engine, Note, TableAction};
use super::histogram::Histogram;
use super::procfs::{CpuSample, Process};
use super::report::Report;

#[derive(Debug, Clone)]
pub struct LockstepOptions {
    /// Tables running at once.
    pub tables: usize,
    /// Players per table (the game's --min-players must allow them).
    pub players: usize,
    /// The lockstep room.
    pub room: u32,
    /// The lockstep game's type id.
    pub game: u32,
    /// Seconds measured once every table runs.
    pub secs: f64,
    /// Name prefix (names are PREFIX + 5 digits).
    pub prefix: String,
    /// Turns ahead a player sends its command for (at least 1; at most
    /// one more than the relay's window allows).
    pub command_delay: u32,
    /// Seconds played, unmeasured, between setup and the measured window.
    pub warmup: f64,
}

const MS: u64 = 1_000_000;
const US: u64 = 1_000;

/// FNV-1a, folded over every master packet a player received.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fold(hash: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(hash, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
}

#[derive(Debug)]
struct Seat {
    player: ClientId,
    name: String,
    channel: Option<ClientId>,
    channel_ready: bool,
    joined: bool,
    /// The player's state: every master packet so far, hashed.
    hash: u64,
}

/// A turn not yet received by every player.
#[derive(Debug)]
struct Turn {
    turn: u32,
    /// When its last command was sent (0: the bench sent none).
    sent: u64,
    /// When it was due, in ns from the relay's start (known once its
    /// master packet first arrived).
    due: Option<u64>,
    /// Players that received its master packet.
    received: usize,
}

#[derive(Debug)]
struct Table {
    seats: Vec<Seat>,
    table: Option<u32>,
    launched: bool,
    running: bool,
    turn_ms: u64,
    /// Turns ahead of the open one the relay keeps commands for.
    window: u32,
    hash_len: usize,
    max_command: usize,
    turns: VecDeque<Turn>,
    /// The first turn whose master packet has not arrived, and when it is
    /// due in µs from the start (docs/lockstep.md §3.4).
    next_due: (u32, u64),
    /// Bounds of the relay's start in the generator's clock (see the
    /// module docs).
    start_lo: u64,
    start_hi: u64,
    /// False once the table paused: its due times are unknown from then.
    grid_known: bool,
    /// When the first seat last received a master packet: the table's
    /// turn phase.
    last_master: Option<u64>,
    failed: bool,
}

impl Table {
    /// The entry of `turn`, added if missing.
    fn turn_mut(&mut self, turn: u32) -> Option<&mut Turn> {
        let at = self.turns.partition_point(|t| t.turn < turn);
        if self.turns.get(at).is_none_or(|t| t.turn != turn) {
            self.turns.insert(
                at,
                Turn {
                    turn,
                    sent: 0,
                    due: None,
                    received: 0,
                },
            );
        }
        self.turns.get_mut(at)
    }

    /// When `turn` was due, in ns from the start: the grid advanced by the
    /// timing data of the master packets before it. `closed_us` is this
    /// turn's own timing data, which fixes when the next one is due.
    fn due_of(&mut self, turn: u32, closed_us: u64) -> Option<u64> {
        let (next, due_us) = self.next_due;
        if turn != next {
            return None;
        }
        let tick = self.turn_ms.saturating_mul(MS / US).max(1);
        // The first slot after the close: slots are whole microseconds
        // apart, so the close's whole microseconds decide it exactly.
        let slots = closed_us.saturating_sub(due_us) / tick + 1;
        self.next_due = (
            turn.saturating_add(1),
            due_us.saturating_add(slots.saturating_mul(tick)),
        );
        Some(due_us.saturating_mul(US))
    }
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Player(usize, usize),
    Channel(usize, usize),
}

/// One player's receipt of a master packet, measured.
#[derive(Debug, Clone, Copy)]
struct Sample {
    table: usize,
    arrival: u64,
    sent: u64,
    /// Due, in ns from the relay's start.
    due: u64,
}

#[derive(Debug, Default)]
struct Run {
    game: u32,
    command_delay: u32,
    tables: Vec<Table>,
    owner: Vec<Option<Who>>,
    /// (table, channel): READYs held until every table is filled.
    welcomed: Vec<(usize, ClientId)>,
    /// (when, table, channel): READYs held to spread the tables' starts.
    readies: BinaryHeap<Reverse<(u64, usize, ClientId)>>,
    samples: Vec<Sample>,
    turns: u64,
    unmeasured: u64,
    pauses: u64,
    measuring: bool,
    sending: bool,
    failures: Failures,
    /// Frames going out in one write (kept for its allocation).
    out: Vec<u8>,
}

impl Run {
    fn own(&mut self, id: ClientId, who: Who) {
        if self.owner.len() <= id {
            self.owner.resize(id + 1, None);
        }
        if let Some(slot) = self.owner.get_mut(id) {
            *slot = Some(who);
        }
    }

    fn fail(&mut self, t: usize, what: String) {
        crowd::count_failure(&mut self.failures, what);
        if let Some(table) = self.tables.get_mut(t) {
            table.failed = true;
        }
        self.maybe_schedule_readies();
    }

    fn start(&mut self, engine: &mut Engine, t: usize, notes: &mut Vec<Note>) {
        let names: Vec<String> = self
            .tables
            .get(t)
            .map(|tb| tb.seats.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default();
        for (s, name) in names.iter().enumerate() {
            let ch = engine.open_framed_channel(name, notes);
            self.own(ch, Who::Channel(t, s));
            if let Some(seat) = self.tables.get_mut(t).and_then(|tb| tb.seats.get_mut(s)) {
                seat.channel = Some(ch);
            }
        }
    }

    fn on_note(&mut self, engine: &mut Engine, note: Note, notes: &mut Vec<Note>) {
        let id = match &note {
            Note::TableResult { id, .. }
            | Note::Seated { id, .. }
            | Note::ChannelReady { id }
            | Note::Frame { id, .. }
            | Note::Closed { id, .. } => *id,
            _ => return,
        };
        let Some(who) = self.owner.get(id).copied().flatten() else {
            return;
        };
        // A frame counts from when it was read, not from when this loop
        // got to it behind the rest of the batch.
        let now = match &note {
            Note::Frame { at, .. } => *at,
            _ => monotonic_ns(),
        };
        match (note, who) {
            (Note::ChannelReady { .. }, Who::Channel(t, s)) => {
                let Some(table) = self.tables.get_mut(t) else {
                    return;
                };
                if let Some(seat) = table.seats.get_mut(s) {
                    seat.channel_ready = true;
                }
                if s == 0 {
                    let n = table.seats.len();
                    let mut launch =
                        format!("<LAUNCH>\n<TABLE GAME='{}' SEATS='{n}'>\n", self.game);
                    for i in 0..n {
                        launch.push_str(&format!("<SEAT NUM='{i}' TYPE='open'/>\n"));
                    }
                    launch.push_str("</TABLE>\n</LAUNCH>\n");
                    if let Some(seat) = table.seats.first() {
                        let player = seat.player;
                        engine.send(player, launch.as_bytes(), notes);
                    }
                } else {
                    self.try_join(engine, t, notes);
                }
            }
            (
                Note::TableResult {
                    action, refused, ..
                },
                Who::Player(t, _),
            ) => match (action, refused) {
                (TableAction::Launch, None) => {
                    if let Some(table) = self.tables.get_mut(t) {
                        table.launched = true;
                    }
                    self.try_join(engine, t, notes);
                }
                (_, None) => {}
                (action, Some(code)) => self.fail(t, format!("{action:?} refused: {code}")),
            },
            (Note::Seated { table: n, .. }, Who::Player(t, 0)) => {
                if let Some(table) = self.tables.get_mut(t) {
                    table.table = Some(n);
                }
                self.try_join(engine, t, notes);
            }
            (Note::Frame { kind, body, .. }, Who::Channel(t, s)) => {
                match decode_from_relay(kind, &body) {
                    Ok(msg) => self.on_frame(engine, (t, s, id), msg, &body, now, notes),
                    Err(e) => self.fail(t, format!("bad frame: {e}")),
                }
            }
            (Note::Closed { why, .. }, Who::Channel(t, _) | Who::Player(t, _)) if self.sending => {
                self.fail(t, format!("closed: {}", why.label()));
            }
            _ => {}
        }
    }

    /// A frame from the relay to seat `s` of table `t` on channel `id`;
    /// `body` is the frame as received, `now` when it was read.
    fn on_frame(
        &mut self,
        engine: &mut Engine,
        (t, s, id): (usize, usize, ClientId),
        msg: FromRelay,
        body: &[u8],
        now: u64,
        notes: &mut Vec<Note>,
    ) {
        let Some(table) = self.tables.get_mut(t) else {
            return;
        };
        match msg {
            FromRelay::Welcome {
                version,
                turn_ms,
                max_lag,
                hash_len,
                max_command,
                ..
            } => {
                if version != PROTOCOL_VERSION {
                    self.fail(t, format!("the relay speaks protocol version {version}"));
                    return;
                }
                table.turn_ms = u64::from(turn_ms);
                table.window = u32::from(max_lag).min(COMMAND_WINDOW);
                table.hash_len = usize::from(hash_len);
                table.max_command = usize::try_from(max_command).unwrap_or(usize::MAX);
                table.next_due = (0, table.turn_ms.saturating_mul(MS / US));
                self.welcomed.push((t, id));
                self.maybe_schedule_readies();
            }
            FromRelay::CaughtUp { next_turn } => {
                table.running = true;
                table.start_hi = table.start_hi.min(now);
                if self.sending {
                    let delay = self.command_delay.clamp(1, table.window + 1);
                    let turns = next_turn..next_turn.saturating_add(delay);
                    self.out.clear();
                    commands(table.max_command, turns.clone(), &mut self.out);
                    send_out(engine, table, (id, &self.out, turns), notes);
                }
            }
            FromRelay::Master {
                turn, elapsed_us, ..
            } => {
                let players = table.seats.len();
                let since_start = elapsed_us.saturating_mul(US);
                table.start_hi = table.start_hi.min(now.saturating_sub(since_start));
                let due = table.due_of(turn, elapsed_us);
                let grid_known = table.grid_known;
                let Some(entry) = table.turn_mut(turn) else {
                    return;
                };
                entry.due = entry.due.or(due);
                entry.received += 1;
                let (sent, due, done) = (entry.sent, entry.due, entry.received >= players);
                if self.measuring {
                    match due.filter(|_| grid_known) {
                        Some(due) => self.samples.push(Sample {
                            table: t,
                            arrival: now,
                            sent,
                            due,
                        }),
                        None => self.unmeasured += 1,
                    }
                }
                if done {
                    let upto = table.turns.partition_point(|e| e.turn <= turn);
                    table.turns.drain(..upto);
                }
                if s == 0 {
                    table.last_master = Some(now);
                    if self.measuring {
                        self.turns += 1;
                    }
                }
                // The player applies the turn, reports its state, and
                // plays the turn its command delay puts it at.
                let Some(seat) = table.seats.get_mut(s) else {
                    return;
                };
                seat.hash = fold(seat.hash, body);
                let hash = seat.hash.to_be_bytes();
                self.out.clear();
                let report = ToRelay::Hash {
                    turn,
                    hash: hash.iter().copied().cycle().take(table.hash_len).collect(),
                };
                append_to_relay(&report, &mut self.out);
                let mut turns = 0..0;
                if self.sending {
                    let delay = self.command_delay.clamp(1, table.window + 1);
                    let next = turn.saturating_add(delay);
                    turns = next..next.saturating_add(1);
                    commands(table.max_command, turns.clone(), &mut self.out);
                }
                send_out(engine, table, (id, &self.out, turns), notes);
            }
            FromRelay::Error { code, text, .. } => {
                self.fail(t, format!("relay refused: {code:?} {text}"));
            }
            FromRelay::Desync { .. } => self.fail(t, "desync".into()),
            FromRelay::Paused(_) => {
                table.grid_known = false;
                if s == 0 {
                    self.pauses += 1;
                }
            }
            _ => {}
        }
    }

    fn try_join(&mut self, engine: &mut Engine, t: usize, notes: &mut Vec<Note>) {
        let Some(table) = self.tables.get_mut(t) else {
            return;
        };
        let (true, Some(n)) = (table.launched, table.table) else {
            return;
        };
        for seat in table.seats.iter_mut().skip(1) {
            if seat.channel_ready && !seat.joined {
                seat.joined = true;
                engine.send(
                    seat.player,
                    format!("<JOIN TABLE='{n}' SPECTATOR='false'/>\n").as_bytes(),
                    notes,
                );
            }
        }
    }

    /// Schedules the held READYs once every player of the tables still
    /// going has been welcomed.
    fn maybe_schedule_readies(&mut self) {
        let seats: usize = self
            .tables
            .iter()
            .filter(|t| !t.failed)
            .map(|t| t.seats.len())
            .sum();
        if !self.welcomed.is_empty() && self.welcomed.len() >= seats {
            self.schedule_readies(monotonic_ns());
        }
    }

    /// Every player is seated: each table's READYs are due when its phase
    /// of the turn next comes round, at least one turn from now. The
    /// relays then start while nothing else happens, so the window in
    /// which each start lies (between the READY's send and what its
    /// packets say) stays narrow.
    fn schedule_readies(&mut self, now: u64) {
        let tables = self.tables.len().max(1) as u64;
        for (t, id) in std::mem::take(&mut self.welcomed) {
            let Some(table) = self.tables.get(t) else {
                continue;
            };
            let tick = (table.turn_ms * MS).max(1);
            let phase = (t as u64).saturating_mul(tick) / tables;
            let wait = (phase + tick - now % tick) % tick;
            self.readies.push(Reverse((now + tick + wait, t, id)));
        }
    }

    /// Sends the READYs whose time has come.
    fn send_due(&mut self, engine: &mut Engine, notes: &mut Vec<Note>) {
        let ready = encode_to_relay(&ToRelay::Ready(true));
        loop {
            let now = monotonic_ns();
            let Some(&Reverse((when, t, id))) = self.readies.peek() else {
                return;
            };
            if when > now {
                return;
            }
            self.readies.pop();
            // Taken before the write: the relay cannot start earlier.
            if let Some(table) = self.tables.get_mut(t) {
                table.start_lo = table.start_lo.max(now);
            }
            engine.send(id, &ready, notes);
        }
    }

    fn next_due(&self) -> Option<u64> {
        self.readies.peek().map(|r| r.0.0)
    }
}

/// Appends the commands for `turns` to `out` (each body one step, within
/// the table's limit).
fn commands(max_command: usize, turns: Range<u32>, out: &mut Vec<u8>) {
    for turn in turns {
        let cmd = ToRelay::Command {
            turn,
            body: vec![1; max_command.min(1)],
        };
        append_to_relay(&cmd, out);
    }
}

/// Writes `out`, which holds the commands for `turns`, to channel `id`,
/// and notes when they were sent: the latest command of a turn is its
/// last.
fn send_out(
    engine: &mut Engine,
    table: &mut Table,
    (id, out, turns): (ClientId, &[u8], Range<u32>),
    notes: &mut Vec<Note>,
) {
    let at = monotonic_ns();
    engine.send(id, out, notes);
    for turn in turns {
        if let Some(entry) = table.turn_mut(turn) {
            entry.sent = entry.sent.max(at);
        }
    }
}

/// How many tables share the busiest millisecond of the turn: each table's
/// phase is when its last master packet arrived, modulo its turn length.
/// Spread evenly, 500 tables at 50 ms turns give 10 per millisecond; a
/// much larger figure means turns come in bursts.
fn busiest_phase(tables: &[Table]) -> u64 {
    let mut counts: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    for t in tables.iter().filter(|t| t.running && !t.failed) {
        if let Some(at) = t.last_master {
            let ms = at / MS;
            *counts.entry(ms % t.turn_ms.max(1)).or_default() += 1;
        }
    }
    counts.values().copied().max().unwrap_or(0)
}

/// What [`latencies`] finds.
#[derive(Debug, Default)]
struct Latencies {
    /// From the start estimated as `hi` (understates by at most the
    /// table's smallest transit): `master_*`.
    estimate: Histogram,
    /// From the start's lower bound `lo` (never understates):
    /// `master_upper_*`.
    upper: Histogram,
    /// hi − lo per running table: `start_window_*`.
    window: Histogram,
}

/// The latencies of the samples, counted from the start's estimate and
/// from its lower bound, and the width of each running table's window for
/// its start.
fn latencies(samples: &[Sample], tables: &[Table]) -> Latencies {
    let mut l = Latencies::default();
    for s in samples {
        let Some(t) = tables.get(s.table) else {
            continue;
        };
        let lo = t.start_lo;
        // No packet can arrive before the READY it follows was sent.
        let hi = t.start_hi.max(lo);
        let from = |start: u64| {
            s.arrival
                .saturating_sub(s.sent.max(start.saturating_add(s.due)))
        };
        l.estimate.record(from(hi));
        l.upper.record(from(lo));
    }
    for t in tables.iter().filter(|t| t.running && !t.failed) {
        l.window.record(t.start_hi.max(t.start_lo) - t.start_lo);
    }
    l
}

/// CPU time of the server's children (the running game servers), from
/// `/proc/PID/task/*/children`.
fn children_cpu(server: &Process) -> Option<Duration> {
    let tasks = fs::read_dir(format!("/proc/{}/task", server.pid())).ok()?;
    let mut total = Duration::ZERO;
    for task in tasks.flatten() {
        let Ok(list) = fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        for pid in list
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
        {
            if let Ok(cpu) = Process::open(pid).and_then(|p| p.cpu_time()) {
                total += cpu;
            }
        }
    }
    Some(total)
}

pub fn run(target: &Target, o: &LockstepOptions) -> io::Result<Report> {
    target.probe()?;
    let server = target.process.as_ref();
    let mut r = Report::new("lockstep");
    let tables = o.tables.max(1);
    let players = o.players.max(1);
    r.count("tables", tables as u64);
    r.count("players", players as u64);
    r.count("command_delay", u64::from(o.command_delay.max(1)));
    let mut engine = target.plain_engine()?;
    let total = tables * players;
    let crowd = crowd::guests_in_room(
        &mut engine,
        target,
        total,
        total.min(200),
        &o.prefix,
        o.room,
    )?;
    let mut run = Run {
        game: o.game,
        command_delay: o.command_delay.max(1),
        sending: true,
        ..Run::default()
    };
    for (t, group) in crowd.ready.chunks_exact(players).enumerate() {
        let seats = group
            .iter()
            .map(|&player| Seat {
                player,
                name: engine
                    .plan(player)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                channel: None,
                channel_ready: false,
                joined: false,
                hash: FNV_OFFSET,
            })
            .collect();
        run.tables.push(Table {
            seats,
            table: None,
            launched: false,
            running: false,
            turn_ms: 50,
            window: 0,
            hash_len: 8,
            max_command: 1,
            turns: VecDeque::new(),
            next_due: (0, 50_000),
            start_lo: 0,
            start_hi: u64::MAX,
            grid_known: true,
            last_master: None,
            failed: false,
        });
        for (s, &player) in group.iter().enumerate() {
            run.own(player, Who::Player(t, s));
        }
    }

    let mut notes = Vec::new();
    let setup_started = monotonic_ns();
    for t in 0..run.tables.len() {
        run.start(&mut engine, t, &mut notes);
    }
    let pump = |run: &mut Run, engine: &mut Engine, notes: &mut Vec<Note>| -> io::Result<bool> {
        let Some(left) = target.left() else {
            return Ok(false);
        };
        let now = monotonic_ns();
        let wait = run
            .next_due()
            .map_or(Duration::from_millis(100), |d| {
                Duration::from_nanos(d.saturating_sub(now))
            })
            .min(Duration::from_millis(100))
            .min(left);
        engine.turn(Some(wait), notes)?;
        loop {
            let batch = std::mem::take(notes);
            if batch.is_empty() {
                break;
            }
            for note in batch {
                run.on_note(engine, note, notes);
            }
        }
        run.send_due(engine, notes);
        Ok(true)
    };
    // Setup: every table launched, filled and running.
    while run.tables.iter().any(|t| !t.running && !t.failed) {
        if !pump(&mut run, &mut engine, &mut notes)? {
            r.fail("the run timed out (--timeout) before every table ran");
            break;
        }
    }
    r.real(
        "setup_s",
        secs(monotonic_ns().saturating_sub(setup_started)),
        3,
    );
    let running = run.tables.iter().filter(|t| t.running).count();
    r.count("tables_running", running as u64);

    // Warm-up: turns run, nothing is counted.
    let warm_end = monotonic_ns().saturating_add(ns_from_secs(o.warmup.max(0.0)));
    while monotonic_ns() < warm_end {
        if !pump(&mut run, &mut engine, &mut notes)? {
            r.fail("the run timed out (--timeout) while warming up");
            break;
        }
    }
    r.real("warmup_s", o.warmup.max(0.0), 1);

    // The measured window.
    run.measuring = true;
    let cpu0 = CpuSample::take(server);
    let games0 = server.and_then(children_cpu);
    let started = monotonic_ns();
    let end = started.saturating_add(ns_from_secs(o.secs));
    while monotonic_ns() < end {
        if !pump(&mut run, &mut engine, &mut notes)? {
            r.fail("the run timed out (--timeout) while measuring");
            break;
        }
    }
    let elapsed = monotonic_ns().saturating_sub(started);
    let cpu1 = CpuSample::take(server);
    let games1 = server.and_then(children_cpu);
    run.measuring = false;
    run.sending = false;

    let wall = secs(elapsed);
    r.count("turns", run.turns);
    r.real("turns_per_s", run.turns as f64 / wall, 1);
    r.real(
        "turns_per_s_per_table",
        run.turns as f64 / wall / running.max(1) as f64,
        2,
    );
    let l = latencies(&run.samples, &run.tables);
    r.latency("master", &l.estimate);
    r.latency("master_upper", &l.upper);
    r.latency("start_window", &l.window);
    r.count("turns_unmeasured", run.unmeasured);
    let (generator, server_cpu) = cpu1.since(&cpu0);
    r.cpu("lockstep", wall, generator, server_cpu);
    let games = match (games0, games1) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
        _ => None,
    };
    r.maybe_real("lockstep_game_servers_cpu_s", games, 3);
    r.maybe_real(
        "cpu_per_table_pct",
        games.map(|g| 100.0 * g / wall / running.max(1) as f64),
        3,
    );
    r.machine_cpu("lockstep", cpu1.machine_since(&cpu0));
    r.count("tables_in_busiest_ms", busiest_phase(&run.tables));
    r.text("failures", crowd::describe(&run.failures));
    r.count("pauses", run.pauses);
    if !run.failures.is_empty() {
        r.fail(format!("tables failed: {}", crowd::describe(&run.failures)));
    }
    if run.turns == 0 {
        r.fail("no turn was played");
    }

    // Players leave; their tables end with them.
    let mut ids: Vec<ClientId> = run
        .tables
        .iter()
        .flat_map(|t| t.seats.iter().filter_map(|s| s.channel))
        .collect();
    for id in ids.drain(..) {
        engine.hang_up(id);
    }
    crowd::leave_and_report(
        &mut engine,
        &crowd.ready,
        crowd.ready.len().min(200),
        target,
        Duration::from_secs(20),
        &mut r,
    )?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(turn_ms: u64) -> Table {
        Table {
            seats: Vec::new(),
            table: None,
            launched: false,
            running: true,
            turn_ms,
            window: 16,
            hash_len: 8,
            max_command: 16,
            turns: VecDeque::new(),
            next_due: (0, turn_ms * 1000),
            start_lo: 0,
            start_hi: u64::MAX,
            grid_known: true,
            last_master: None,
            failed: false,
        }
    }

    #[test]
    fn due_times_follow_the_relays_grid_from_the_timing_data() {
        let mut t = table(50);
        // On time (the relay woke 300 µs late).
        assert_eq!(t.due_of(0, 50_300), Some(50 * MS));
        assert_eq!(t.due_of(1, 100_000), Some(100 * MS));
        // Closed 30 ms late: the next slot is unchanged.
        assert_eq!(t.due_of(2, 180_000), Some(150 * MS));
        assert_eq!(t.due_of(3, 200_000), Some(200 * MS));
        // Closed 70 ms late (at 320): the slot at 300 is skipped.
        assert_eq!(t.due_of(4, 320_000), Some(250 * MS));
        // One microsecond short of a whole turn late keeps the next slot;
        // a whole turn late skips it, as the relay's grid does.
        assert_eq!(t.due_of(5, 399_999), Some(350 * MS));
        assert_eq!(t.due_of(6, 450_000), Some(400 * MS));
        assert_eq!(t.next_due, (7, 500_000));
        // Only in turn order: another turn's packet says nothing new.
        assert_eq!(t.due_of(6, 450_000), None);
        assert_eq!(t.due_of(9, 999_000), None);
        assert_eq!(t.next_due, (7, 500_000));
    }

    fn sample(sent: u64, arrival: u64) -> Sample {
        Sample {
            table: 0,
            arrival,
            sent,
            due: 50 * MS,
        }
    }

    #[test]
    fn latency_counts_from_the_later_of_last_command_and_due() {
        // The last READY went out at 1,000 ms; the packets put the start
        // at 1,000.5 ms at the latest.
        let mut t = table(50);
        t.start_lo = 1_000 * MS;
        t.start_hi = 1_000 * MS + MS / 2;
        let tables = [t];
        // Commands in early: from the due time, 1,050.5 ms after the
        // clock's zero by the estimate (1,050 by the lower bound).
        let l = latencies(&[sample(1_010 * MS, 1_051 * MS)], &tables);
        assert_eq!((l.estimate.max(), l.upper.max()), (MS / 2, MS));
        assert_eq!(l.window.max(), MS / 2);
        // A command sent after the due time: from its send, either way.
        let l = latencies(&[sample(1_060 * MS, 1_062 * MS)], &tables);
        assert_eq!((l.estimate.max(), l.upper.max()), (2 * MS, 2 * MS));
    }

    #[test]
    fn the_start_estimate_is_the_start_plus_the_smallest_transit() {
        // The relay started at 1,000 ms (unknown to the bench) and closed
        // turns 0 and 1 at 50.2 and 100.05 ms; the packets took 0.3 and
        // 0.1 ms to arrive. Their timing data in µs puts the start at
        // 1,000.1 ms: off by the smaller transit only.
        let start = 1_000 * MS;
        let mut t = table(50);
        t.start_lo = start - 2 * MS;
        for (elapsed_us, transit) in [(50_200u64, 300 * US), (100_050, 100 * US)] {
            let arrival = start + elapsed_us * US + transit;
            t.start_hi = t.start_hi.min(arrival - elapsed_us * US);
        }
        assert_eq!(t.start_hi, start + 100 * US);
        // Turn 1, due at 100 ms, arrived 150 µs after it: counted as
        // 50 µs (understated by the smallest transit, 100 µs); from the
        // READY's send it would be 2.15 ms.
        let arrival = start + 100 * MS + 150 * US;
        let tables = [t];
        let l = latencies(
            &[Sample {
                table: 0,
                arrival,
                sent: 0,
                due: 100 * MS,
            }],
            &tables,
        );
        assert_eq!(l.estimate.max(), 50 * US);
        assert_eq!(l.upper.max(), 2 * MS + 150 * US);
        assert_eq!(l.window.max(), 2 * MS + 100 * US);
    }

    #[test]
    fn the_hash_is_the_same_for_the_same_packets() {
        let a = fold(fold(FNV_OFFSET, b"turn 0"), b"turn 1");
        let b = fold(fold(FNV_OFFSET, b"turn 0"), b"turn 1");
        assert_eq!(a, b);
        assert_ne!(a, fold(fold(FNV_OFFSET, b"turn 1"), b"turn 0"));
    }
}
