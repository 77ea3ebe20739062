//! `idle`: N guests join one room and stay. Measures the time to join
//! them all, the server's memory per connection, and how often the server
//! wakes up while they idle.

use std::io;
use std::time::Duration;

use super::clock::{monotonic_ns, ns_from_secs, secs};
use super::crowd::{self, Target};
use super::engine::{Note, Plan};
use super::procfs::{self, CpuSample};
use super::report::Report;

#[derive(Debug, Clone)]
pub struct IdleOptions {
    pub clients: usize,
    pub room: u32,
    /// Seconds to keep everyone connected after the room has settled.
    pub hold_s: f64,
    /// Connections not yet in the room at a time.
    pub concurrency: usize,
    /// Name prefix; client i is `{prefix}{i:05}`.
    pub prefix: String,
    /// Every client starts TLS after the greeting.
    pub tls: bool,
}

pub fn run(target: &Target, o: &IdleOptions) -> io::Result<Report> {
    target.probe()?;
    let server = target.process.as_ref();
    let mut r = Report::new("idle");
    r.count("clients", o.clients as u64);
    r.count("room", u64::from(o.room));
    let rss_before = server.map(|p| p.rss_kib()).transpose()?;
    let kernel_before = procfs::kernel_tcp_mem_kib();
    let slab_before = procfs::kernel_slab_kib();
    r.text("transport", target.transport(o.tls));
    let mut engine = target.engine(o.tls)?;
    let cpu0 = CpuSample::take(server);
    let crowd = crowd::gather(&mut engine, target, o.clients, o.concurrency, |i| {
        Plan::guest(format!("{}{i:05}", o.prefix), Some(o.room))
    })?;
    let cpu_joined = CpuSample::take(server);
    let (settle_time, _) = crowd::settle(
        &mut engine,
        target,
        Duration::from_secs(1),
        Duration::from_secs(120),
    )?;
    let cpu1 = CpuSample::take(server);
    let joined = crowd.ready.len() as u64;
    r.count("joined", joined);
    r.text("failures", crowd::describe(&crowd.failures));
    r.real("join_all_s", secs(crowd.elapsed_ns), 3);
    r.real("joins_per_s", joined as f64 / secs(crowd.elapsed_ns), 0);
    r.latency("login", &crowd.login_latency);
    r.real("settle_s", settle_time.as_secs_f64(), 3);
    r.real(
        "bytes_read_mib",
        engine.traffic.bytes_read as f64 / 1048576.0,
        1,
    );
    let (generator, server_cpu) = cpu_joined.since(&cpu0);
    r.cpu("join", secs(crowd.elapsed_ns), generator, server_cpu);
    let (generator, server_cpu) = cpu1.since(&cpu_joined);
    r.cpu("settle", settle_time.as_secs_f64(), generator, server_cpu);

    let rss_joined = server.map(|p| p.rss_kib()).transpose()?;
    let switches0 = server.map(|p| p.switches()).transpose()?;
    let hold_started = monotonic_ns();
    let hold_end = hold_started.saturating_add(ns_from_secs(o.hold_s));
    let cpu2 = CpuSample::take(server);
    let mut notes = Vec::new();
    let mut dropped = 0u64;
    loop {
        let now = monotonic_ns();
        if now >= hold_end {
            break;
        }
        let Some(left) = target.left() else {
            r.fail("the run timed out during the hold");
            break;
        };
        engine.turn(
            Some(Duration::from_nanos(hold_end - now).min(left)),
            &mut notes,
        )?;
        for note in notes.drain(..) {
            if let Note::Closed { .. } = note {
                dropped += 1;
            }
        }
    }
    let hold_s = secs(monotonic_ns().saturating_sub(hold_started));
    let cpu3 = CpuSample::take(server);
    let switches = match (server.map(|p| p.switches()).transpose()?, switches0) {
        (Some(after), Some(before)) => Some(after.since(&before)),
        _ => None,
    };
    let rss_held = server.map(|p| p.rss_kib()).transpose()?;
    let kernel_held = procfs::kernel_tcp_mem_kib();
    let slab_held = procfs::kernel_slab_kib();
    r.real("hold_s", hold_s, 1);
    r.count("dropped_during_hold", dropped);
    if dropped > 0 {
        r.fail(format!(
            "{dropped} clients were disconnected during the hold"
        ));
    }
    r.count("pings_answered", engine.traffic.pings_answered);
    let (generator, server_cpu) = cpu3.since(&cpu2);
    r.cpu("hold", hold_s, generator, server_cpu);
    if let Some(s) = switches {
        r.count("hold_server_main_voluntary_switches", s.main_voluntary);
        r.count("hold_server_main_involuntary_switches", s.main_involuntary);
        r.count(
            "hold_server_all_threads_switches",
            s.all_voluntary + s.all_involuntary,
        );
        if hold_s > 0.0 {
            r.real(
                "hold_server_main_wakeups_per_s",
                s.main_voluntary as f64 / hold_s,
                1,
            );
        }
    }
    r.maybe_count("server_rss_before_kib", rss_before);
    r.maybe_count("server_rss_joined_kib", rss_joined);
    r.maybe_count("server_rss_end_of_hold_kib", rss_held);
    if let (Some(before), Some(held)) = (rss_before, rss_held)
        && joined > 0
    {
        let per = held.saturating_sub(before) as f64 * 1024.0 / joined as f64;
        r.real("server_rss_per_connection_bytes", per, 0);
    }
    if let (Some(before), Some(held)) = (kernel_before, kernel_held)
        && joined > 0
    {
        r.real(
            "kernel_tcp_mem_per_connection_bytes",
            held.saturating_sub(before) as f64 * 1024.0 / joined as f64,
            0,
        );
    }
    if let (Some(before), Some(held)) = (slab_before, slab_held)
        && joined > 0
    {
        r.real(
            "kernel_slab_per_connection_bytes",
            held.saturating_sub(before) as f64 * 1024.0 / joined as f64,
            0,
        );
    }

    let ids: Vec<_> = crowd.ready.clone();
    let departure = crowd::leave_all(
        &mut engine,
        &ids,
        o.concurrency,
        target,
        Duration::from_secs(120),
    )?;
    r.count("left_cleanly", departure.ended as u64);
    r.text("leave_failures", crowd::describe(&departure.other));
    r.real("leave_all_s", departure.elapsed.as_secs_f64(), 3);
    let rss_after = server.map(|p| p.rss_kib()).transpose()?;
    r.maybe_count("server_rss_after_leave_kib", rss_after);
    if (departure.ended as u64) < joined {
        r.fail(format!(
            "{} clients did not get the server's </SESSION>",
            joined - departure.ended as u64
        ));
    }
    Ok(r)
}
