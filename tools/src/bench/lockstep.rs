//! `lockstep`: M tables of P players of the lockstep relay
//! (`ggzd-lockstep`, docs/lockstep.md) running turns at once.
//!
//! Every table is launched and filled, each player sends READY, and the
//! game runs: a player answers each master packet with a hash, and sends
//! its command for the next turn one turn length after the master packet
//! arrived, as a client that plays in time does. The relay closes a turn
//! when it is due and every command is in, so with this pacing it closes
//! as soon as the last command arrives.
//!
//! Reported: turns delivered per second (master packets, counted once per
//! table), the master-packet latency from the last command of a turn being
//! sent to each player receiving that turn's master packet (measured at
//! the clients: two loopback hops and the relay's work), and the CPU of
//! the game servers per table (from `/proc`, over the measured window).

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::time::Duration;

use lockstep::wire::{FromRelay, ToRelay, decode_from_relay, encode_to_relay};

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
}

/// Hash every bench client reports: they run no engine, so they agree.
const HASH: [u8; 8] = [0; 8];

#[derive(Debug)]
struct Seat {
    player: ClientId,
    name: String,
    channel: Option<ClientId>,
    channel_ready: bool,
    joined: bool,
}

#[derive(Debug)]
struct Table {
    seats: Vec<Seat>,
    table: Option<u32>,
    launched: bool,
    running: bool,
    turn_ms: u64,
    /// Per turn not yet received by every player: (turn, when its last
    /// command was sent, players that received its master packet).
    sent: VecDeque<(u32, u64, usize)>,
    /// When the first seat last received a master packet: the table's
    /// turn phase.
    last_master: Option<u64>,
    failed: bool,
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Player(usize, usize),
    Channel(usize, usize),
}

#[derive(Debug, Default)]
struct Run {
    game: u32,
    tables: Vec<Table>,
    owner: Vec<Option<Who>>,
    /// (when, table, seat, turn): commands to send, in time order (all
    /// wait the same turn length, so arrival order is time order).
    due: VecDeque<(u64, usize, usize, u32)>,
    latency: Histogram,
    turns: u64,
    pauses: u64,
    measuring: bool,
    sending: bool,
    failures: Failures,
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
                    Ok(msg) => self.on_frame(engine, t, s, id, msg, now, notes),
                    Err(e) => self.fail(t, format!("bad frame: {e}")),
                }
            }
            (Note::Closed { why, .. }, Who::Channel(t, _) | Who::Player(t, _)) if self.sending => {
                self.fail(t, format!("closed: {}", why.label()));
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_frame(
        &mut self,
        engine: &mut Engine,
        t: usize,
        s: usize,
        id: ClientId,
        msg: FromRelay,
        now: u64,
        notes: &mut Vec<Note>,
    ) {
        let Some(table) = self.tables.get_mut(t) else {
            return;
        };
        match msg {
            FromRelay::Welcome { turn_ms, .. } => {
                table.turn_ms = u64::from(turn_ms);
                engine.send(id, &encode_to_relay(&ToRelay::Ready(true)), notes);
            }
            FromRelay::CaughtUp { next_turn } => {
                table.running = true;
                if self.sending {
                    let when = now + table.turn_ms * 1_000_000;
                    self.due.push_back((when, t, s, next_turn));
                }
            }
            FromRelay::Master { turn, .. } => {
                let players = table.seats.len();
                if let Some(pos) = table.sent.iter().position(|(n, _, _)| *n == turn)
                    && let Some(entry) = table.sent.get_mut(pos)
                {
                    if self.measuring {
                        self.latency.record(now.saturating_sub(entry.1));
                    }
                    entry.2 += 1;
                    if entry.2 >= players {
                        table.sent.drain(..=pos);
                    }
                }
                if s == 0 {
                    table.last_master = Some(now);
                    if self.measuring {
                        self.turns += 1;
                    }
                }
                let hash = ToRelay::Hash {
                    turn,
                    hash: HASH.to_vec(),
                };
                engine.send(id, &encode_to_relay(&hash), notes);
                if self.sending {
                    let when = now + table.turn_ms * 1_000_000;
                    self.due.push_back((when, t, s, turn + 1));
                }
            }
            FromRelay::Error { code, text, .. } => {
                self.fail(t, format!("relay refused: {code:?} {text}"));
            }
            FromRelay::Desync { .. } => self.fail(t, "desync".into()),
            FromRelay::Paused(_) if s == 0 => self.pauses += 1,
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

    /// Sends the commands whose time has come.
    fn send_due(&mut self, engine: &mut Engine, notes: &mut Vec<Note>) {
        let now = monotonic_ns();
        while let Some(&(when, t, s, turn)) = self.due.front() {
            if when > now {
                break;
            }
            self.due.pop_front();
            let Some(table) = self.tables.get_mut(t) else {
                continue;
            };
            let Some(ch) = table.seats.get(s).and_then(|seat| seat.channel) else {
                continue;
            };
            let cmd = ToRelay::Command {
                turn,
                body: vec![1],
            };
            let sent = monotonic_ns();
            engine.send(ch, &encode_to_relay(&cmd), notes);
            // The latency of a turn runs from its last command.
            match table.sent.iter_mut().find(|(n, _, _)| *n == turn) {
                Some(entry) => entry.1 = sent,
                None => table.sent.push_back((turn, sent, 0)),
            }
        }
    }

    fn next_due(&self) -> Option<u64> {
        self.due.front().map(|d| d.0)
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
            let ms = at / 1_000_000;
            *counts.entry(ms % t.turn_ms.max(1)).or_default() += 1;
        }
    }
    counts.values().copied().max().unwrap_or(0)
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
            })
            .collect();
        run.tables.push(Table {
            seats,
            table: None,
            launched: false,
            running: false,
            turn_ms: 50,
            sent: VecDeque::new(),
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
    run.due.clear();

    let wall = secs(elapsed);
    r.count("turns", run.turns);
    r.real("turns_per_s", run.turns as f64 / wall, 1);
    r.real(
        "turns_per_s_per_table",
        run.turns as f64 / wall / running.max(1) as f64,
        2,
    );
    r.latency("master", &run.latency);
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
