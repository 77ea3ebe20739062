//! What the kernel knows about the server process (from `/proc/PID`) and
//! about the generator itself (`getrusage`).

use std::fs;
use std::io;
use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::unistd::{SysconfVar, sysconf};

/// A running process observed through `/proc/PID`.
#[derive(Debug, Clone, Copy)]
pub struct Process {
    pid: u32,
}

/// Context switches of every thread of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Switches {
    /// Of the main thread (ggzd's event loop) only.
    pub main_voluntary: u64,
    pub main_involuntary: u64,
    /// Summed over all threads (event loop and workers).
    pub all_voluntary: u64,
    pub all_involuntary: u64,
}

impl Switches {
    pub fn since(&self, before: &Switches) -> Switches {
        Switches {
            main_voluntary: self.main_voluntary.saturating_sub(before.main_voluntary),
            main_involuntary: self
                .main_involuntary
                .saturating_sub(before.main_involuntary),
            all_voluntary: self.all_voluntary.saturating_sub(before.all_voluntary),
            all_involuntary: self.all_involuntary.saturating_sub(before.all_involuntary),
        }
    }
}

fn status_field(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn clock_ticks_per_sec() -> u64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(t)) if t > 0 => t as u64,
        _ => 100,
    }
}

impl Process {
    /// Checks that the process exists.
    pub fn open(pid: u32) -> io::Result<Process> {
        fs::metadata(format!("/proc/{pid}")).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("no process {pid} (is ggzd running?): {e}"),
            )
        })?;
        Ok(Process { pid })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn status(&self) -> io::Result<String> {
        fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| io::Error::new(e.kind(), format!("process {} is gone: {e}", self.pid)))
    }

    /// Resident set size (VmRSS) in KiB.
    pub fn rss_kib(&self) -> io::Result<u64> {
        status_field(&self.status()?, "VmRSS")
            .ok_or_else(|| io::Error::other("no VmRSS in /proc/PID/status"))
    }

    /// User plus system CPU time of all threads.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        // utime (field 14) and stime (15).
        self.stat_ticks(14, 15)
    }

    /// User plus system CPU time of the child processes the server has
    /// reaped (for ggzd: its game servers, once they ended).
    pub fn children_cpu_time(&self) -> io::Result<Duration> {
        // cutime (field 16) and cstime (17).
        self.stat_ticks(16, 17)
    }

    /// The sum of two clock-tick fields of `/proc/PID/stat`, numbered as
    /// in proc(5).
    fn stat_ticks(&self, first: usize, second: usize) -> io::Result<Duration> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .map_err(|e| io::Error::new(e.kind(), format!("process {} is gone: {e}", self.pid)))?;
        // The command name may contain spaces and parentheses: the fields
        // that follow start after the last ')'. There, field 3 (state) is
        // first, so field n is at offset n - 3.
        let after = stat
            .rfind(')')
            .and_then(|i| stat.get(i + 1..))
            .unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        let tick = |n: usize| -> io::Result<u64> {
            fields
                .get(n.wrapping_sub(3))
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| io::Error::other("unexpected /proc/PID/stat format"))
        };
        let ticks = tick(first)? + tick(second)?;
        let per_sec = clock_ticks_per_sec();
        Ok(Duration::from_nanos(
            ticks.saturating_mul(1_000_000_000) / per_sec,
        ))
    }

    /// Context switches so far, of the main thread and of all threads.
    pub fn switches(&self) -> io::Result<Switches> {
        let main = self.status()?;
        let mut s = Switches {
            main_voluntary: status_field(&main, "voluntary_ctxt_switches").unwrap_or(0),
            main_involuntary: status_field(&main, "nonvoluntary_ctxt_switches").unwrap_or(0),
            ..Switches::default()
        };
        for task in fs::read_dir(format!("/proc/{}/task", self.pid))?.flatten() {
            // A thread may exit between listing and reading.
            if let Ok(status) = fs::read_to_string(task.path().join("status")) {
                s.all_voluntary += status_field(&status, "voluntary_ctxt_switches").unwrap_or(0);
                s.all_involuntary +=
                    status_field(&status, "nonvoluntary_ctxt_switches").unwrap_or(0);
            }
        }
        Ok(s)
    }
}

/// CPU time (user plus system) this process has used so far.
pub fn own_cpu_time() -> Duration {
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(u) => {
            let tv = |t: nix::sys::time::TimeVal| {
                Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or(0))
                    + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or(0))
            };
            tv(u.user_time()) + tv(u.system_time())
        }
        Err(_) => Duration::ZERO,
    }
}

/// Kernel memory used by TCP buffers machine-wide (`/proc/net/sockstat`,
/// `TCP: ... mem PAGES`), in KiB. Socket buffers are not part of any
/// process's RSS; this shows what the connections cost the kernel (both
/// ends of every loopback connection).
pub fn kernel_tcp_mem_kib() -> Option<u64> {
    let sockstat = fs::read_to_string("/proc/net/sockstat").ok()?;
    let line = sockstat.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == "mem" {
            let pages: u64 = words.next()?.parse().ok()?;
            let page_kib = match sysconf(SysconfVar::PAGE_SIZE) {
                Ok(Some(p)) if p > 0 => p as u64 / 1024,
                _ => 4,
            };
            return Some(pages * page_kib);
        }
    }
    None
}

/// Kernel slab memory machine-wide (`/proc/meminfo`, `Slab:`), in KiB:
/// socket structures, epoll entries, file objects and the like. Noisy, as
/// anything on the machine may allocate, but thousands of connections
/// stand out.
pub fn kernel_slab_kib() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    status_field(&meminfo, "Slab")
}

/// CPU time all processors have spent busy so far, machine-wide (the
/// first line of `/proc/stat`: everything but idle and I/O wait).
pub fn machine_busy_time() -> Option<Duration> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    busy_ticks(stat.lines().next()?).map(|ticks| {
        Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / clock_ticks_per_sec())
    })
}

/// Busy ticks of a `/proc/stat` "cpu" line: user, nice, system, irq,
/// softirq and steal (guest time is already part of user).
fn busy_ticks(line: &str) -> Option<u64> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = fields.map_while(|f| f.parse().ok()).collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    (v.len() >= 4).then(|| at(0) + at(1) + at(2) + at(5) + at(6) + at(7))
}

/// A sample of both processes' CPU clocks, to report a phase's CPU use.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    pub generator: Duration,
    pub server: Option<Duration>,
    /// The whole machine's busy time, to show load from elsewhere.
    pub machine: Option<Duration>,
}

impl CpuSample {
    pub fn take(server: Option<&Process>) -> CpuSample {
        CpuSample {
            generator: own_cpu_time(),
            server: server.and_then(|p| p.cpu_time().ok()),
            machine: machine_busy_time(),
        }
    }

    /// Busy CPU seconds of the whole machine since `before`.
    pub fn machine_since(&self, before: &CpuSample) -> Option<f64> {
        match (self.machine, before.machine) {
            (Some(a), Some(b)) => Some(a.saturating_sub(b).as_secs_f64()),
            _ => None,
        }
    }

    /// CPU seconds used since `before`: (generator, server).
    pub fn since(&self, before: &CpuSample) -> (f64, Option<f64>) {
        let generator = self
            .generator
            .saturating_sub(before.generator)
            .as_secs_f64();
        let server = match (self.server, before.server) {
            (Some(a), Some(b)) => Some(a.saturating_sub(b).as_secs_f64()),
            _ => None,
        };
        (generator, server)
    }
}

/// The CPU clocks of every node of a zone (`--pid` once per node), for
/// a phase's CPU per node.
#[derive(Debug, Clone)]
pub struct NodesSample(Vec<Option<Duration>>);

impl NodesSample {
    pub fn take(nodes: &[Process]) -> NodesSample {
        NodesSample(nodes.iter().map(|p| p.cpu_time().ok()).collect())
    }

    /// CPU seconds each node used since `before`, in `--pid` order.
    pub fn since(&self, before: &NodesSample) -> Vec<Option<f64>> {
        self.0
            .iter()
            .zip(before.0.iter())
            .map(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => Some(a.saturating_sub(*b).as_secs_f64()),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_process() {
        let me = Process::open(std::process::id()).unwrap();
        assert!(me.rss_kib().unwrap() > 0);
        let _ = me.cpu_time().unwrap();
        let _ = me.children_cpu_time().unwrap();
        let s = me.switches().unwrap();
        assert!(s.all_voluntary >= s.main_voluntary);
        assert!(Process::open(u32::MAX).is_err());
    }

    #[test]
    fn samples_every_node() {
        let me = Process::open(std::process::id()).unwrap();
        let before = NodesSample::take(&[me, me]);
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let used = NodesSample::take(&[me, me]).since(&before);
        assert_eq!(used.len(), 2);
        assert!(used.iter().all(|u| u.is_some_and(|s| s >= 0.0)));
        let gone = NodesSample(vec![None]).since(&NodesSample(vec![Some(Duration::ZERO)]));
        assert_eq!(gone, vec![None]);
    }

    #[test]
    fn counts_busy_ticks() {
        assert_eq!(
            busy_ticks("cpu  100 2 30 5000 7 1 4 3 0 0"),
            Some(100 + 2 + 30 + 1 + 4 + 3)
        );
        assert_eq!(busy_ticks("cpu0 1 2 3 4"), None);
        assert_eq!(busy_ticks("cpu 1 2"), None);
        assert!(machine_busy_time().is_some());
    }

    #[test]
    fn parses_status_fields() {
        let status = "Name:\tggzd\nVmRSS:\t   1234 kB\nvoluntary_ctxt_switches:\t7\n";
        assert_eq!(status_field(status, "VmRSS"), Some(1234));
        assert_eq!(status_field(status, "voluntary_ctxt_switches"), Some(7));
        assert_eq!(status_field(status, "VmHWM"), None);
    }
}
