//! `mixed`: chat latency in a busy room with and without a storm of
//! registered logins, measured side by side in one run.
//!
//! A room of `clients` guests chats at a fixed rate for `phase` seconds
//! (the baseline), then for another `phase` seconds while
//! `storm_concurrency` registered logins run back to back (password
//! checks on the server's worker threads, sessions on its event loop).
//! Each chat counts in the phase in which it was sent.

use std::io;
use std::time::Duration;

use super::chat::{Sender, SenderNote, account, send_due};
use super::clock::{monotonic_ns, ns_from_secs, secs};
use super::crowd::{self, Target};
use super::engine::Plan;
use super::logins::{self, Logins, Storm};
use super::procfs::CpuSample;
use super::report::Report;

#[derive(Debug, Clone)]
pub struct MixedOptions {
    pub clients: usize,
    pub senders: usize,
    /// Chats per second per sender.
    pub rate: f64,
    pub room: u32,
    /// Seconds of each phase.
    pub phase_s: f64,
    pub storm_concurrency: usize,
    /// Registered accounts the storm cycles through.
    pub accounts: usize,
    pub password: String,
    pub prefix: String,
    pub account_prefix: String,
    pub concurrency: usize,
}

pub fn run(target: &Target, o: &MixedOptions) -> io::Result<Report> {
    if o.senders > o.clients || o.senders == 0 || o.rate <= 0.0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--senders must be between 1 and --clients, and --rate positive",
        ));
    }
    target.probe()?;
    let server = target.process.as_ref();
    let mut r = Report::new("mixed");
    r.count("clients", o.clients as u64);
    r.count("senders", o.senders as u64);
    r.real("rate_per_sender", o.rate, 1);
    r.real("phase_s", o.phase_s, 1);
    r.count("storm_concurrency", o.storm_concurrency as u64);
    let mut engine = target.plain_engine()?;
    let names = logins::account_names(&o.account_prefix, o.accounts.max(o.storm_concurrency + 1));
    r.count("accounts", names.len() as u64);
    logins::register(
        &mut engine,
        target,
        &names,
        &o.password,
        o.storm_concurrency,
    )?;
    let crowd = crowd::gather(&mut engine, target, o.clients, o.concurrency, |i| {
        Plan::guest(format!("{}{i:05}", o.prefix), Some(o.room))
    })?;
    crowd::settle(
        &mut engine,
        target,
        Duration::from_millis(500),
        Duration::from_secs(60),
    )?;
    let receivers = crowd.ready.len() as u64;
    r.count("receivers", receivers);
    r.real(
        "offered_deliveries_per_s",
        o.rate * o.senders as f64 * receivers as f64,
        0,
    );

    let period = (1e9 / o.rate) as u64;
    let start = monotonic_ns();
    let phase_ns = ns_from_secs(o.phase_s);
    let storm_start = start + phase_ns;
    let end = storm_start + phase_ns;
    let mut senders: Vec<Sender> = crowd
        .ready
        .iter()
        .take(o.senders)
        .enumerate()
        .map(|(i, &id)| Sender {
            id,
            sent: 0,
            in_flight: 0,
            due_ns: start + period * i as u64 / o.senders as u64,
            alive: true,
        })
        .collect();
    let mut storm = Storm::new(
        Logins::Accounts {
            names,
            password: o.password.clone(),
        },
        o.storm_concurrency,
    );
    engine.tally.begin_phase(start);
    let mut storm_begun = false;
    let mut notes = Vec::new();
    let window = 64;
    let mut held = 0;
    let mut lost = 0u64;
    let mut refused = 0u64;
    let cpu0 = CpuSample::take(server);
    let mut cpu1 = cpu0;
    loop {
        let now = monotonic_ns();
        if now >= end {
            break;
        }
        if !storm_begun && now >= storm_start {
            storm_begun = true;
            engine.tally.begin_phase(storm_start);
            cpu1 = CpuSample::take(server);
        }
        held += send_due(
            &mut engine,
            &mut senders,
            usize::MAX,
            window,
            Some(period),
            now,
            &mut notes,
        );
        if storm_begun {
            storm.fill(&mut engine, u64::MAX, &mut notes);
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
            .filter(|s| s.alive)
            .map(|s| s.due_ns)
            .min()
            .unwrap_or(end)
            .min(end)
            .min(if storm_begun { end } else { storm_start });
        let wait = Duration::from_nanos(next_due.saturating_sub(now)).min(left);
        engine.turn(Some(wait), &mut notes)?;
        for note in notes.drain(..) {
            if storm.on_note(&mut engine, &note) {
                continue;
            }
            match account(&mut senders, &note) {
                SenderNote::Refused => refused += 1,
                SenderNote::Lost => lost += 1,
                SenderNote::Echoed | SenderNote::Other => {}
            }
        }
    }
    let cpu2 = CpuSample::take(server);
    let storm_logins = storm.ok;
    // Let the chats of the last moment arrive.
    crowd::settle(
        &mut engine,
        target,
        Duration::from_millis(500),
        Duration::from_secs(10),
    )?;
    let sent: u64 = senders.iter().map(|s| s.sent as u64).sum();
    r.count("chats_sent", sent);
    r.count("chats_refused", refused);
    r.count("sends_held_by_window", held);
    r.count("clients_lost", lost);
    let expected = sent.saturating_sub(refused) * receivers;
    let delivered = engine.tally.delivered();
    r.count("deliveries", delivered);
    r.count("deliveries_lost", expected.saturating_sub(delivered));
    if let Some((_, h)) = engine.tally.phases.first() {
        r.latency("baseline_latency", h);
    }
    if let Some((_, h)) = engine.tally.phases.get(1) {
        r.latency("storm_latency", h);
    }
    r.count("storm_logins_ok", storm_logins);
    r.real("storm_logins_per_s", storm_logins as f64 / o.phase_s, 1);
    r.text("storm_failures", crowd::describe(&storm.failures));
    r.latency("storm_login", &storm.latency);
    let (g, s) = cpu1.since(&cpu0);
    r.cpu("baseline", secs(storm_start - start), g, s);
    let (g, s) = cpu2.since(&cpu1);
    r.cpu("storm", secs(end - storm_start), g, s);
    if expected > delivered {
        r.fail(format!("{} deliveries lost", expected - delivered));
    }
    Ok(r)
}
