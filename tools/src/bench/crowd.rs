//! Filling a room: many clients connect and log in with a bounded number
//! in flight, then the generator waits for the server's burst of player
//! updates to die down. Shared by the scenarios that need a crowd.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ggzd::client::Client;

use super::clock::{monotonic_ns, ns_from_secs};
use super::engine::{ClientId, Closed, Engine, Note, Plan};
use super::histogram::Histogram;
use super::procfs::Process;
use super::report::Report;
use super::spread::Targets;

/// Where the load goes and how long a run may take.
#[derive(Debug, Clone)]
pub struct Target {
    /// The first target; scenarios with blocking helper clients (storm,
    /// nonreaders) use only this one.
    pub server: SocketAddr,
    /// Every target (`-s` more than once), engines spread their
    /// connections over them.
    pub targets: Targets,
    /// The server process, for its memory and CPU figures.
    pub process: Option<Process>,
    /// Every node's process (`--pid` once per node, the first is
    /// `process`), for CPU per node.
    pub nodes: Vec<Process>,
    /// The run's deadline (monotonic ns): every phase stops by then.
    pub deadline_ns: u64,
    /// ggzd's `[web]` listener: scenarios that support it (idle, chat,
    /// tables) connect their clients there, over WebSocket.
    pub web: Option<SocketAddr>,
}

impl Target {
    /// A target whose run must finish within `timeout_s` seconds.
    pub fn new(server: SocketAddr, process: Option<Process>, timeout_s: f64) -> Target {
        Target {
            server,
            targets: Targets::new(vec![server]),
            nodes: process.into_iter().collect(),
            process,
            deadline_ns: monotonic_ns().saturating_add(ns_from_secs(timeout_s)),
            web: None,
        }
    }

    /// The same run, spread over `servers` (the first is `server`).
    pub fn with_targets(self, servers: Vec<SocketAddr>) -> Target {
        let server = servers.first().copied().unwrap_or(self.server);
        Target {
            server,
            targets: Targets::new(servers),
            ..self
        }
    }

    /// The processes of every node (the first is already `process`).
    pub fn with_nodes(self, nodes: Vec<Process>) -> Target {
        Target {
            process: nodes.first().copied().or(self.process),
            nodes,
            ..self
        }
    }

    /// An engine over plain TCP for this run's targets.
    pub fn plain_engine(&self) -> io::Result<Engine> {
        let mut engine = Engine::new(self.server)?;
        if self.targets.servers().len() > 1 {
            engine.spread_over(self.targets.clone());
        }
        Ok(engine)
    }

    /// The same target, with its clients over WebSocket to `web`.
    pub fn with_web(self, web: Option<SocketAddr>) -> Target {
        Target { web, ..self }
    }

    /// An engine for this target: over WebSocket when `web` is set, else
    /// plain TCP (or TLS after the greeting with `tls`).
    pub fn engine(&self, tls: bool) -> io::Result<Engine> {
        let mut engine = self.plain_engine()?;
        if tls {
            engine.use_tls()?;
        }
        if let Some(web) = self.web {
            engine.use_web(web)?;
        }
        Ok(engine)
    }

    /// The transport a report names.
    pub fn transport(&self, tls: bool) -> &'static str {
        match (self.web.is_some(), tls) {
            (true, _) => "websocket",
            (false, true) => "tls",
            (false, false) => "plain",
        }
    }

    /// Checks, with the project's blocking client, that a GGZ server
    /// answers at the address, for a clear error before any load starts.
    pub fn probe(&self) -> io::Result<()> {
        for &server in self.targets.servers() {
            let client = Client::connect(server, Duration::from_secs(5)).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("no GGZ server at {server} ({e}); is ggzd running?"),
                )
            })?;
            let version = client.server().attr("VERSION").unwrap_or_default();
            if version != "10" {
                return Err(io::Error::other(format!(
                    "{server} speaks protocol version {version:?}, not 10"
                )));
            }
        }
        Ok(())
    }

    /// Time left until the deadline; `None` once it has passed.
    pub fn left(&self) -> Option<Duration> {
        let now = monotonic_ns();
        (now < self.deadline_ns).then(|| Duration::from_nanos(self.deadline_ns - now))
    }
}

/// Counts of failures by reason, for reports.
pub type Failures = BTreeMap<String, u64>;

pub fn count_failure(failures: &mut Failures, what: String) {
    *failures.entry(what).or_insert(0) += 1;
}

/// The clients that made it, and what it took.
#[derive(Debug, Default)]
pub struct Crowd {
    /// Clients logged in (and in the room, if one was planned).
    pub ready: Vec<ClientId>,
    pub failures: Failures,
    /// From the first connect to the last client ready.
    pub elapsed_ns: u64,
    /// Connect to `RESULT login ok`, per client.
    pub login_latency: Histogram,
}

/// Opens `count` clients following `plan(i)`, at most `concurrency` not
/// yet ready at a time, and waits for all to be ready (in their room when
/// the plan has one). Gives up when too many fail, or at the deadline.
pub fn gather(
    engine: &mut Engine,
    target: &Target,
    count: usize,
    concurrency: usize,
    mut plan: impl FnMut(usize) -> Plan,
) -> io::Result<Crowd> {
    let mut crowd = Crowd::default();
    let mut notes = Vec::new();
    let mut next = 0;
    let mut in_flight = 0usize;
    let mut entering: Vec<bool> = Vec::new();
    let mut is_ready: Vec<bool> = Vec::new();
    let tolerated = count / 100 + 10;
    let started = monotonic_ns();
    let mut failed = 0usize;
    while crowd.ready.len() + failed < count {
        while next < count && in_flight < concurrency.max(1) {
            let p = plan(next);
            let wants_room = p.room.is_some();
            let id = engine.open(p, &mut notes);
            grow(&mut entering, id);
            grow(&mut is_ready, id);
            if let Some(e) = entering.get_mut(id) {
                *e = wants_room;
            }
            in_flight += 1;
            next += 1;
        }
        let Some(left) = target.left() else {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{} of {count} clients ready when the run timed out (--timeout)",
                    crowd.ready.len()
                ),
            ));
        };
        engine.turn(Some(left.min(Duration::from_millis(100))), &mut notes)?;
        for note in notes.drain(..) {
            match note {
                Note::LoggedIn { id, latency_ns } => {
                    crowd.login_latency.record(latency_ns);
                    if !entering.get(id).copied().unwrap_or(false) {
                        mark_ready(&mut crowd, &mut is_ready, id);
                        in_flight = in_flight.saturating_sub(1);
                    }
                }
                Note::Entered { id } => {
                    mark_ready(&mut crowd, &mut is_ready, id);
                    in_flight = in_flight.saturating_sub(1);
                }
                Note::LoginRefused { code, .. } => {
                    count_failure(&mut crowd.failures, format!("login refused: {code}"));
                }
                Note::EnterRefused { code, .. } => {
                    count_failure(&mut crowd.failures, format!("enter refused: {code}"));
                }
                Note::Closed { id, why } => {
                    failed += 1;
                    if is_ready.get(id).copied().unwrap_or(false) {
                        crowd.ready.retain(|r| *r != id);
                        if let Some(r) = is_ready.get_mut(id) {
                            *r = false;
                        }
                        count_failure(&mut crowd.failures, format!("dropped: {}", why.label()));
                    } else {
                        in_flight = in_flight.saturating_sub(1);
                        if !matches!(why, Closed::SessionEnded) {
                            count_failure(&mut crowd.failures, why.label());
                        }
                    }
                }
                Note::Echo { .. }
                | Note::ChatRefused { .. }
                | Note::TableResult { .. }
                | Note::Seated { .. }
                | Note::LeftTable { .. }
                | Note::ChannelReady { .. }
                | Note::Game { .. }
                | Note::Frame { .. }
                | Note::TableSeat { .. }
                | Note::Matched { .. }
                | Note::OwnRating { .. } => {}
            }
        }
        if failed > tolerated {
            return Err(io::Error::other(format!(
                "giving up: {failed} clients failed ({})",
                describe(&crowd.failures)
            )));
        }
    }
    crowd.elapsed_ns = monotonic_ns().saturating_sub(started);
    Ok(crowd)
}

fn grow(v: &mut Vec<bool>, id: ClientId) {
    if v.len() <= id {
        v.resize(id + 1, false);
    }
    if let Some(x) = v.get_mut(id) {
        *x = false;
    }
}

fn mark_ready(crowd: &mut Crowd, is_ready: &mut [bool], id: ClientId) {
    if let Some(r) = is_ready.get_mut(id) {
        *r = true;
    }
    crowd.ready.push(id);
}

/// "3 x reason, 1 x other" for messages.
pub fn describe(failures: &Failures) -> String {
    if failures.is_empty() {
        return "none".into();
    }
    failures
        .iter()
        .map(|(what, n)| format!("{n} x {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs turns until a window of `quiet` passes in which the clients
/// received next to nothing (at most 16 bytes per live client: the odd
/// `<PING/>`, which idle clients keep getting), at most `limit` (and never
/// past the deadline). Returns how long it took, and the notes seen
/// meanwhile (closes, mostly).
pub fn settle(
    engine: &mut Engine,
    target: &Target,
    quiet: Duration,
    limit: Duration,
) -> io::Result<(Duration, Vec<Note>)> {
    let started = monotonic_ns();
    let quiet_ns = quiet.as_nanos() as u64;
    let limit_ns = limit.as_nanos() as u64;
    let mut notes = Vec::new();
    let mut window_start = started;
    let mut window_bytes = engine.traffic.bytes_read;
    loop {
        let now = monotonic_ns();
        if now.saturating_sub(started) >= limit_ns {
            break;
        }
        if now.saturating_sub(window_start) >= quiet_ns {
            let read = engine.traffic.bytes_read - window_bytes;
            if read <= 16 * engine.live() as u64 {
                break;
            }
            window_start = now;
            window_bytes = engine.traffic.bytes_read;
        }
        let Some(left) = target.left() else {
            break;
        };
        let wait =
            Duration::from_nanos((window_start + quiet_ns).saturating_sub(now).max(1_000_000));
        engine.turn(Some(wait.min(left)), &mut notes)?;
    }
    Ok((
        Duration::from_nanos(monotonic_ns().saturating_sub(started)),
        notes,
    ))
}

/// How a crowd left.
#[derive(Debug, Default, Clone)]
pub struct Departure {
    /// Clients the server answered with `</SESSION>`.
    pub ended: usize,
    /// Clients that ended otherwise (e.g. dropped by the server).
    pub other: Failures,
    pub elapsed: Duration,
}

/// Sends `</SESSION>` for every client, at most `concurrency` unanswered
/// at a time, and waits (up to `limit`) for the server to answer each.
pub fn leave_all(
    engine: &mut Engine,
    ids: &[ClientId],
    concurrency: usize,
    target: &Target,
    limit: Duration,
) -> io::Result<Departure> {
    let started = monotonic_ns();
    let mut notes = Vec::new();
    let mut departure = Departure::default();
    let mut next = 0;
    let mut pending = 0usize;
    let limit_ns = limit.as_nanos() as u64;
    loop {
        while next < ids.len() && pending < concurrency.max(1) {
            if let Some(&id) = ids.get(next) {
                engine.leave(id, &mut notes);
            }
            next += 1;
            pending += 1;
        }
        for note in notes.drain(..) {
            if let Note::Closed { why, .. } = note {
                pending = pending.saturating_sub(1);
                if why == Closed::SessionEnded {
                    departure.ended += 1;
                } else {
                    count_failure(&mut departure.other, why.label());
                }
            }
        }
        let elapsed = monotonic_ns().saturating_sub(started);
        // Done when every client asked has ended (others may stay open).
        let answered = engine.live() == 0 || pending == 0;
        if (answered && next >= ids.len()) || elapsed >= limit_ns {
            break;
        }
        let Some(left) = target.left() else {
            break;
        };
        engine.turn(
            Some(
                left.min(Duration::from_nanos(limit_ns - elapsed))
                    .min(Duration::from_millis(100)),
            ),
            &mut notes,
        )?;
    }
    departure.elapsed = Duration::from_nanos(monotonic_ns().saturating_sub(started));
    Ok(departure)
}

/// `count` guests named `PREFIXnnnnn` gathered into `room` (an error
/// unless every one got in), then the room's burst of player updates
/// left to pass before anything is measured.
pub fn guests_in_room(
    engine: &mut Engine,
    target: &Target,
    count: usize,
    concurrency: usize,
    prefix: &str,
    room: u32,
) -> io::Result<Crowd> {
    let crowd = gather(engine, target, count, concurrency, |i| {
        Plan::guest(format!("{prefix}{i:05}"), Some(room))
    })?;
    if crowd.ready.len() < count {
        return Err(io::Error::other(format!(
            "only {} of {count} players got into room {room} ({})",
            crowd.ready.len(),
            describe(&crowd.failures)
        )));
    }
    settle(
        engine,
        target,
        Duration::from_millis(100),
        Duration::from_secs(2),
    )?;
    Ok(crowd)
}

/// [`leave_all`], with clients that ended otherwise as a warning in `r`.
pub fn leave_and_report(
    engine: &mut Engine,
    ids: &[ClientId],
    concurrency: usize,
    target: &Target,
    limit: Duration,
    r: &mut Report,
) -> io::Result<()> {
    let departure = leave_all(engine, ids, concurrency, target, limit)?;
    if !departure.other.is_empty() {
        r.warn(format!("players leaving: {}", describe(&departure.other)));
    }
    Ok(())
}
