//! `chat`: fan-out in one room. N clients join; S of them send M chats
//! each, stamped with the send time; every client (senders included, who
//! get the server's echo) parses each CHAT and records its latency.
//!
//! Without `--rate` each sender keeps `window` chats in flight (sent, echo
//! not yet back), which finds the throughput the server sustains without
//! letting its output queues grow past the point where it drops slow
//! readers. With `--rate` each sender sends on a fixed schedule (still
//! never more than `window` in flight), for latency at a chosen load.

use std::io;
use std::time::Duration;

use super::clock::{monotonic_ns, secs};
use super::crowd::{self, Target};
use super::engine::{ClientId, Engine, Note, Plan};
use super::procfs::{CpuSample, NodesSample};
use super::report::Report;

#[derive(Debug, Clone)]
pub struct ChatOptions {
    pub clients: usize,
    pub senders: usize,
    pub messages: usize,
    pub room: u32,
    /// Chats per second per sender; `None` = as fast as the window allows.
    pub rate: Option<f64>,
    /// Most chats of one sender in flight.
    pub window: usize,
    pub concurrency: usize,
    pub prefix: String,
    /// Every client starts TLS after the greeting.
    pub tls: bool,
}

/// One sender's progress.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    pub id: ClientId,
    pub sent: usize,
    pub in_flight: usize,
    /// When the next chat is due (rate mode).
    pub due_ns: u64,
    pub alive: bool,
}

/// What a note meant for the senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SenderNote {
    /// A chat was echoed; its sender has one fewer in flight.
    Echoed,
    /// A chat was refused (and counts as answered).
    Refused,
    /// A client's connection closed.
    Lost,
    /// Nothing about chats.
    Other,
}

/// Books a note against the sender it concerns.
pub(crate) fn account(senders: &mut [Sender], note: &Note) -> SenderNote {
    let (id, meaning) = match *note {
        Note::Echo { id } => (id, SenderNote::Echoed),
        Note::ChatRefused { id } => (id, SenderNote::Refused),
        Note::Closed { id, .. } => (id, SenderNote::Lost),
        _ => return SenderNote::Other,
    };
    if let Some(s) = senders.iter_mut().find(|s| s.id == id) {
        match meaning {
            SenderNote::Lost => s.alive = false,
            _ => s.in_flight = s.in_flight.saturating_sub(1),
        }
    }
    meaning
}

/// Sends what is due for every sender; returns chats that were due but
/// held back by the window.
pub(crate) fn send_due(
    engine: &mut Engine,
    senders: &mut [Sender],
    limit: usize,
    window: usize,
    period_ns: Option<u64>,
    now: u64,
    notes: &mut Vec<Note>,
) -> u64 {
    let mut held = 0;
    for s in senders.iter_mut().filter(|s| s.alive) {
        loop {
            if s.sent >= limit {
                break;
            }
            if period_ns.is_some() && s.due_ns > now {
                break;
            }
            if s.in_flight >= window {
                if period_ns.is_some() {
                    held += 1;
                }
                break;
            }
            if !engine.send_chat(s.id, notes) {
                s.alive = false;
                break;
            }
            s.sent += 1;
            s.in_flight += 1;
            if let Some(period) = period_ns {
                s.due_ns = s.due_ns.saturating_add(period);
            }
        }
    }
    held
}

pub fn run(target: &Target, o: &ChatOptions) -> io::Result<Report> {
    if o.senders > o.clients || o.senders == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--senders must be between 1 and --clients",
        ));
    }
    target.probe()?;
    let server = target.process.as_ref();
    let mut r = Report::new("chat");
    r.count("clients", o.clients as u64);
    r.count("senders", o.senders as u64);
    r.count("messages_per_sender", o.messages as u64);
    r.maybe_real("rate_per_sender", o.rate, 1);
    r.count("window", o.window as u64);
    r.text("transport", target.transport(o.tls));
    let mut engine = target.engine(o.tls)?;
    let crowd = crowd::gather(&mut engine, target, o.clients, o.concurrency, |i| {
        Plan::guest(format!("{}{i:05}", o.prefix), Some(o.room))
    })?;
    r.real("join_all_s", secs(crowd.elapsed_ns), 3);
    crowd::settle(
        &mut engine,
        target,
        Duration::from_millis(500),
        Duration::from_secs(60),
    )?;
    let receivers = crowd.ready.len() as u64;
    r.count("receivers", receivers);

    let period_ns = o.rate.filter(|r| *r > 0.0).map(|r| (1e9 / r) as u64);
    let start = monotonic_ns();
    let mut senders: Vec<Sender> = crowd
        .ready
        .iter()
        .take(o.senders)
        .enumerate()
        .map(|(i, &id)| Sender {
            id,
            sent: 0,
            in_flight: 0,
            due_ns: start + period_ns.map_or(0, |p| p * i as u64 / o.senders as u64),
            alive: true,
        })
        .collect();
    engine.tally.begin_phase(start);
    let cpu0 = CpuSample::take(server);
    let nodes0 = NodesSample::take(&target.nodes);
    let mut notes = Vec::new();
    let mut held_back = 0u64;
    let mut refused = 0u64;
    let mut lost_clients = 0u64;
    let mut last_progress = start;
    let mut delivered_seen = 0;
    let stall_ns = 3_000_000_000u64;
    loop {
        let now = monotonic_ns();
        held_back += send_due(
            &mut engine,
            &mut senders,
            o.messages,
            o.window,
            period_ns,
            now,
            &mut notes,
        );
        let all_sent = senders.iter().all(|s| !s.alive || s.sent >= o.messages);
        let expected = (o.senders * o.messages) as u64 * receivers;
        let delivered = engine.tally.delivered();
        if delivered != delivered_seen {
            delivered_seen = delivered;
            last_progress = now;
        }
        if all_sent && delivered >= expected {
            break;
        }
        if now.saturating_sub(last_progress) > stall_ns {
            r.fail("no chat arrived for 3 s: stopped waiting");
            break;
        }
        if engine.live() == 0 {
            r.fail("the server closed every connection (is ggzd still running?)");
            break;
        }
        let Some(left) = target.left() else {
            r.fail("the run timed out (--timeout)");
            break;
        };
        let next_due = senders
            .iter()
            .filter(|s| s.alive && s.sent < o.messages && s.in_flight < o.window)
            .map(|s| s.due_ns)
            .min();
        let wait = match (period_ns, next_due) {
            (Some(_), Some(due)) => Duration::from_nanos(due.saturating_sub(now)),
            _ => Duration::from_millis(100),
        };
        engine.turn(Some(wait.min(left)), &mut notes)?;
        for note in notes.drain(..) {
            match account(&mut senders, &note) {
                SenderNote::Refused => refused += 1,
                SenderNote::Lost => lost_clients += 1,
                SenderNote::Echoed | SenderNote::Other => {}
            }
        }
    }
    let cpu1 = CpuSample::take(server);
    let nodes1 = NodesSample::take(&target.nodes);
    let sent: u64 = senders.iter().map(|s| s.sent as u64).sum();
    let delivered = engine.tally.delivered();
    let expected = sent.saturating_sub(refused) * receivers;
    let elapsed = last_progress.saturating_sub(start);
    r.count("chats_sent", sent);
    r.count("chats_refused", refused);
    r.count("deliveries_expected", expected);
    r.count("deliveries", delivered);
    r.count("deliveries_lost", expected.saturating_sub(delivered));
    r.count("clients_lost", lost_clients);
    if lost_clients > 0 {
        r.fail(format!("{lost_clients} clients were disconnected"));
    }
    r.real("elapsed_s", secs(elapsed), 3);
    r.real("deliveries_per_s", delivered as f64 / secs(elapsed), 0);
    r.real("chats_per_s", sent as f64 / secs(elapsed), 0);
    if period_ns.is_some() {
        r.real(
            "offered_deliveries_per_s",
            o.rate.unwrap_or(0.0) * o.senders as f64 * receivers as f64,
            0,
        );
        r.count("sends_held_by_window", held_back);
    }
    if let Some((_, h)) = engine.tally.phases.first() {
        r.latency("latency", h);
    }
    if target.targets.servers().len() > 1
        && let Some(split) = engine.tally.split.first()
    {
        // Sender and receiver on one node, or the line crossed a node
        // link (docs/cluster.md §3) to reach the receiver.
        r.count("deliveries_same_node", split.same.count());
        r.latency("latency_same_node", &split.same);
        r.count("deliveries_cross_node", split.cross.count());
        r.latency("latency_cross_node", &split.cross);
    }
    r.count("foreign_chats", engine.tally.foreign);
    let (generator, server_cpu) = cpu1.since(&cpu0);
    r.cpu("chat", secs(elapsed), generator, server_cpu);
    r.nodes_cpu("chat", &nodes1.since(&nodes0));
    if expected > delivered {
        r.fail(format!("{} deliveries lost", expected - delivered));
    }
    Ok(r)
}
