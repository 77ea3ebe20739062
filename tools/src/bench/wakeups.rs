//! `wakeups`: how often the server wakes up over a period, from its
//! context switches (`/proc/PID/status` and every thread's). With no
//! clients an event-driven server should hardly wake at all.

use std::io;
use std::time::Duration;

use super::procfs::{CpuSample, Process};
use super::report::Report;

pub fn run(process: &Process, period_s: f64) -> io::Result<Report> {
    let mut r = Report::new("wakeups");
    r.count("pid", u64::from(process.pid()));
    let before = process.switches()?;
    let cpu0 = CpuSample::take(Some(process));
    std::thread::sleep(Duration::from_secs_f64(period_s.max(0.0)));
    let delta = process.switches()?.since(&before);
    let cpu1 = CpuSample::take(Some(process));
    r.real("period_s", period_s, 1);
    r.count("main_voluntary_switches", delta.main_voluntary);
    r.count("main_involuntary_switches", delta.main_involuntary);
    r.count("all_threads_voluntary_switches", delta.all_voluntary);
    r.count("all_threads_involuntary_switches", delta.all_involuntary);
    let (_, server) = cpu1.since(&cpu0);
    r.maybe_real("server_cpu_s", server, 3);
    Ok(r)
}
