//! Finding every process that belongs to an ended table, so none survives
//! it (docs/game-servers.md, "Containment").
//!
//! A game server runs in its own process group, but its children may leave
//! that group (setsid, setpgid) and may outlive it. ggzd is a child
//! subreaper, so whatever a game server leaves behind is reparented to ggzd
//! rather than to init, and everything a table may leave lives in ggzd's
//! own process subtree. When a table ends, one walk of that subtree (once
//! per event-loop turn, however many tables ended in it; the subtrees of
//! live game servers are not entered; the whole of `/proc` only if ggzd
//! could not become a subreaper) selects:
//! the game server itself, every process of its group or session, every
//! unknown child of ggzd (an orphan: ggzd starts nothing but game servers),
//! the processes found for it before, and all their descendants. The scan
//! is repeated at the SIGKILL deadline, so what was forked meanwhile is
//! caught too. Start times guard against a recycled pid.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once ggzd is a child subreaper: then [`scan_subtree`] sees all.
static SUBREAPER: AtomicBool = AtomicBool::new(false);

pub fn set_subreaper() {
    SUBREAPER.store(true, Ordering::Relaxed);
}

/// The processes containment must look at: ggzd's subtree, without live
/// game servers and their insides, when ggzd is a subreaper; otherwise
/// every process.
pub fn scan_for(reaper: i32, live: &HashSet<i32>) -> Vec<ProcInfo> {
    if SUBREAPER.load(Ordering::Relaxed) {
        scan_subtree(reaper, live)
    } else {
        scan()
    }
}

/// Processes a subtree may hold before the walk gives up on the rest: a
/// fork bomb in a game server must not stall the event loop for long.
const MAX_SUBTREE: usize = 65_536;

/// The pids listed as children of any thread of `pid`. Needs
/// `/proc/PID/task/TID/children` (CONFIG_PROC_CHILDREN, on in every
/// distribution kernel).
fn children_of(pid: i32, out: &mut Vec<i32>) {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return;
    };
    for task in tasks.flatten() {
        let mut path = task.path();
        path.push("children");
        if let Ok(text) = std::fs::read_to_string(&path) {
            out.extend(
                text.split_ascii_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
}

/// `root`'s descendants (not `root` itself), leaving out `skip` and
/// everything under them. `select` never takes a live game server nor
/// descends into one, so not even their `stat` is read: with many tables
/// running, those reads were most of a sweep's cost.
pub fn scan_subtree(root: i32, skip: &HashSet<i32>) -> Vec<ProcInfo> {
    let mut procs = Vec::new();
    let mut todo = Vec::new();
    children_of(root, &mut todo);
    let mut seen = HashSet::new();
    while let Some(pid) = todo.pop() {
        if procs.len() >= MAX_SUBTREE || skip.contains(&pid) || !seen.insert(pid) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            && let Some(info) = parse_stat(&text)
        {
            procs.push(info);
            children_of(pid, &mut todo);
        }
    }
    procs
}

/// One line of `/proc/<pid>/stat`, reduced to what containment needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// Exited, waiting to be reaped: nothing left to stop.
    pub zombie: bool,
    /// Clock ticks after boot: with the pid, names one process for good.
    pub start: u64,
}

/// Parses `/proc/<pid>/stat`. The command name is in parentheses and may
/// itself contain spaces and parentheses, so fields are counted from the
/// last `)`.
pub fn parse_stat(text: &str) -> Option<ProcInfo> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text.get(..open)?.trim().parse().ok()?;
    let mut fields = text.get(close + 1..)?.split_whitespace();
    let zombie = fields.next()? == "Z";
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    // Fields 7 to 21 (tty .. itrealvalue) come before starttime (22).
    let start = fields.nth(15)?.parse().ok()?;
    Some(ProcInfo {
        pid,
        ppid,
        pgrp,
        session,
        zombie,
        start,
    })
}

/// Every process of the system, as far as `/proc` lets us see it. Cost:
/// one directory read and one small file per process.
pub fn scan() -> Vec<ProcInfo> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut procs = Vec::new();
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        // A process may be gone by now: skip it.
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            && let Some(info) = parse_stat(&text)
        {
            procs.push(info);
        }
    }
    procs
}

/// What belongs to one ended table.
pub struct Seeds<'a> {
    /// The game server, its process group and its session share this id.
    pub leader: i32,
    /// Processes found for the table before, with their start times.
    pub known: &'a [(i32, u64)],
    /// ggzd's own pid: its children that are not `live` are orphans.
    pub reaper: i32,
    /// Game servers of tables still running: never touched.
    pub live: &'a HashSet<i32>,
}

/// Selects the table's processes and all their descendants, never ggzd
/// itself nor a live game server or anything under one.
pub fn select(procs: &[ProcInfo], seeds: &Seeds<'_>) -> Vec<ProcInfo> {
    let mut children: HashMap<i32, Vec<&ProcInfo>> = HashMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p);
    }
    let known: HashMap<i32, u64> = seeds.known.iter().copied().collect();
    let mut todo: Vec<&ProcInfo> = procs
        .iter()
        .filter(|p| {
            p.pid == seeds.leader
                || p.pgrp == seeds.leader
                || p.session == seeds.leader
                || known.get(&p.pid) == Some(&p.start)
                || p.ppid == seeds.reaper
        })
        .collect();
    let mut chosen: HashMap<i32, ProcInfo> = HashMap::new();
    while let Some(p) = todo.pop() {
        if p.pid == seeds.reaper || seeds.live.contains(&p.pid) || p.pid <= 1 || p.zombie {
            continue;
        }
        if chosen.insert(p.pid, *p).is_some() {
            continue;
        }
        if let Some(kids) = children.get(&p.pid) {
            todo.extend(kids.iter().copied());
        }
    }
    let mut out: Vec<ProcInfo> = chosen.into_values().collect();
    out.sort_by_key(|p| p.pid);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, ppid: i32, pgrp: i32, session: i32) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            pgrp,
            session,
            zombie: false,
            start: pid as u64 * 10,
        }
    }

    #[test]
    fn parses_stat_with_odd_command_names() {
        let line =
            "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        let info = parse_stat(line).expect("parses");
        assert_eq!(
            info,
            ProcInfo {
                pid: 4242,
                ppid: 17,
                pgrp: 4242,
                session: 4242,
                zombie: false,
                start: 987654
            }
        );
        assert_eq!(parse_stat("12 (x) S 1 2"), None);
        assert_eq!(parse_stat(""), None);
    }

    #[test]
    fn the_subtree_walk_finds_a_grandchild_and_skips_inside_live_ones() {
        let me = std::process::id() as i32;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .spawn()
            .expect("sh starts");
        let sh = child.id() as i32;
        let mut grandchild = None;
        for _ in 0..200 {
            grandchild = scan_subtree(me, &HashSet::new())
                .into_iter()
                .find(|p| p.ppid == sh)
                .map(|p| p.pid);
            if grandchild.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let skip: HashSet<i32> = [sh].into_iter().collect();
        let skipped = scan_subtree(me, &skip);
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(sh),
            nix::sys::signal::Signal::SIGKILL,
        );
        if let Some(g) = grandchild {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(g),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = child.wait();
        assert!(grandchild.is_some(), "sleep under sh found");
        assert!(
            skipped.iter().all(|p| p.pid != sh && p.ppid != sh),
            "the skipped one is neither listed nor entered"
        );
    }

    #[test]
    fn reads_our_own_stat() {
        let text = std::fs::read_to_string("/proc/self/stat").expect("readable");
        let info = parse_stat(&text).expect("parses");
        assert_eq!(info.pid, std::process::id() as i32);
    }

    #[test]
    fn selects_group_setsid_descendants_and_orphans_but_not_live_tables() {
        let reaper = 100;
        let procs = vec![
            p(1, 0, 1, 1),
            p(reaper, 1, reaper, reaper),
            // The ended table: leader 200, a child in its group, a
            // grandchild that called setsid, and its child.
            p(200, reaper, 200, 200),
            p(201, 200, 200, 200),
            p(202, 201, 202, 202),
            p(203, 202, 202, 202),
            // An orphan of some game server, reparented to ggzd, in a
            // session of its own.
            p(300, reaper, 300, 300),
            // A live table and its child.
            p(400, reaper, 400, 400),
            p(401, 400, 400, 400),
            // Unrelated.
            p(500, 1, 500, 500),
        ];
        let live: HashSet<i32> = [400].into_iter().collect();
        let seeds = Seeds {
            leader: 200,
            known: &[],
            reaper,
            live: &live,
        };
        let pids: Vec<i32> = select(&procs, &seeds).iter().map(|p| p.pid).collect();
        assert_eq!(pids, vec![200, 201, 202, 203, 300]);
    }

    #[test]
    fn known_processes_count_only_with_their_start_time() {
        let procs = vec![
            p(100, 1, 100, 100),
            p(600, 1, 600, 600),
            p(601, 1, 601, 601),
        ];
        let live = HashSet::new();
        // 600 is the same process as before; 601's pid was recycled.
        let known = [(600, 6000), (601, 1)];
        let seeds = Seeds {
            leader: 200,
            known: &known,
            reaper: 100,
            live: &live,
        };
        let pids: Vec<i32> = select(&procs, &seeds).iter().map(|p| p.pid).collect();
        assert_eq!(pids, vec![600]);
    }
}
