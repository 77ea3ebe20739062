//! Game server processes: started with the control socket on fd 3
//! (`spawn.rs`; fork/exec for games with resource limits), the
//! ggzdmod channel to each, and reaping. A game server is untrusted: it
//! gets fds 0-2 and 3 only, runs in its own process group under the
//! resource limits of its game description, and whatever it does wrong
//! ends its table alone. When a table ends, everything it started goes
//! (see `contain`).

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ggzdmod::server::{ReadEnd, ServerChannel, control_socketpair};
use ggzdmod::wire::ToGame;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::contain::{self, Seeds};
use super::spawn;
use crate::zone::{SpawnSpec, TableEvent, TableSerial};

/// Tokens of control sockets start here, far above connection tokens.
pub const TABLE_BASE: usize = usize::MAX / 2;
/// Read budgets spent by one [`GameProcesses::catch_up`]: a game server
/// that keeps writing cannot hold a player's request back for long.
const CATCH_UP_READS: usize = 4;
/// How long a stopped game server gets between SIGINT and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(2);
/// After SIGKILL, how often the table's processes are looked for again
/// (something may have forked during the sweep), and how many times.
const RECHECK: Duration = Duration::from_secs(1);
const MAX_ROUNDS: u8 = 10;

/// Makes ggzd the reaper of every orphan in its subtree, so what a game
/// server leaves behind comes back to ggzd instead of init.
pub fn become_subreaper() {
    // SAFETY: prctl with integer arguments only.
    let done = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if done != 0 {
        log::warn!(target: "tables", "cannot become a child subreaper: {}", std::io::Error::last_os_error());
    } else {
        contain::set_subreaper();
    }
}

/// What to start: a table's game server, or a warm one (`warm.rs`).
pub(super) struct Exec<'a> {
    pub argv: &'a [String],
    /// The working directory, if it exists.
    pub cwd: Option<&'a std::path::Path>,
    pub layout: ggzdmod::LaunchLayout,
    pub limits: &'a crate::game_limits::GameLimits,
    /// A savegame the launch message cannot carry (legacy layout).
    pub savegame_env: Option<&'a str>,
}

/// The processes of an ended table, being stopped.
struct Dying {
    leader: Pid,
    /// The leader itself was reaped already.
    reaped: bool,
    /// Found by the last sweep, with their start times.
    found: Vec<(i32, u64)>,
    /// SIGINT went to everything found.
    interrupted: bool,
    /// When everything left gets SIGKILL (again).
    deadline: Instant,
    rounds: u8,
    /// The leader was just reaped: look whether anything is left, so a
    /// table that went cleanly is forgotten without waiting for the
    /// deadline.
    probe: bool,
}

struct GameProcess {
    serial: TableSerial,
    channel: ServerChannel,
    pid: Pid,
    /// Reaped already (it exited before its table ended): nothing to stop.
    reaped: bool,
    /// Sent its launch message and has not said anything since: counted
    /// in `GameProcesses::burst`.
    unanswered: bool,
}

#[derive(Default)]
pub struct GameProcesses {
    /// Indexed by token - TABLE_BASE.
    slots: Vec<Option<GameProcess>>,
    free: Vec<usize>,
    by_serial: HashMap<TableSerial, usize>,
    /// Ended tables whose processes may still be alive.
    dying: Vec<Dying>,
    /// Game servers started ahead of their tables (`warm.rs`).
    pub(super) warm: crate::prespawn::Pool<super::warm::Warm>,
    /// Game servers that took a table, by whether they were started ahead
    /// of it (for `ggzd_game_server_starts_total`: a pool too small shows).
    pub starts: crate::metrics::GameServerStarts,
    /// Launched game servers that have not answered yet: warm refills
    /// keep out of such a burst (`crate::prespawn::Burst`).
    pub(super) burst: crate::prespawn::Burst,
    /// Events for the zone, collected while the zone is busy.
    pub events: Vec<(TableSerial, TableEvent)>,
}

impl GameProcesses {
    pub fn spawn(&mut self, registry: &Registry, serial: TableSerial, spec: SpawnSpec) {
        match self.start(registry, serial, spec) {
            Ok(()) => {}
            Err(reason) => self.events.push((serial, TableEvent::Failed(reason))),
        }
    }

    fn start(
        &mut self,
        registry: &Registry,
        serial: TableSerial,
        spec: SpawnSpec,
    ) -> Result<(), String> {
        let cwd = spec.cwd.is_dir().then_some(spec.cwd.as_path());
        let warm = cwd.and_then(|_| self.take_warm(&spec));
        let prestarted = warm.is_some();
        if prestarted {
            self.starts.prestarted += 1;
        } else {
            self.starts.on_demand += 1;
        }
        let (pid, mut channel) = match warm {
            Some(w) => (w.pid, w.channel),
            None => self.start_process(&Exec {
                argv: &spec.argv,
                cwd,
                layout: spec.layout,
                limits: &spec.limits,
                savegame_env: spec.savegame_env.as_deref(),
            })?,
        };
        if let Err(e) = channel.send(&spec.launch, None) {
            self.stop(pid);
            return Err(format!("launch message: {e}"));
        }
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let token = Token(TABLE_BASE + index);
        let raw = channel.as_raw_fd();
        if let Err(e) = registry.register(
            &mut SourceFd(&raw),
            token,
            Interest::READABLE | Interest::WRITABLE,
        ) {
            self.free.push(index);
            self.stop(pid);
            return Err(format!("cannot watch the control socket: {e}"));
        }
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = Some(GameProcess {
                serial,
                channel,
                pid,
                reaped: false,
                unanswered: true,
            });
            self.burst.launched(Instant::now());
        }
        self.by_serial.insert(serial, index);
        log::debug!(target: "tables", "table {serial}: game server pid {pid}{}", if prestarted { " (prestarted)" } else { "" });
        self.flush(serial);
        Ok(())
    }

    /// Starts a game server process with the control socket on its fd 3
    /// (the launch message is not sent yet).
    pub(super) fn start_process(&mut self, exec: &Exec) -> Result<(Pid, ServerChannel), String> {
        let Some((program, args)) = exec.argv.split_first() else {
            return Err("the game description has no executable".into());
        };
        let (ours, theirs) =
            control_socketpair().map_err(|e| format!("cannot make a control socket: {e}"))?;
        let pid = if spawn::usable(exec.limits) {
            let mut set = vec![
                (ggzdmod::ENV_GGZMODE, "true".to_string()),
                (ggzdmod::ENV_GGZSOCKET, ggzdmod::GGZSOCKET_FD.to_string()),
                (ggzdmod::ENV_LAUNCH_LAYOUT, exec.layout.as_str().to_string()),
            ];
            let mut remove: Vec<&str> = crate::systemd::SERVICE_ENV
                .iter()
                .chain(crate::config::database::PASSWORD_ENV.iter())
                .copied()
                .collect();
            match exec.savegame_env {
                Some(savegame) => set.push((ggzdmod::ENV_SAVEGAME, savegame.to_string())),
                None => remove.push(ggzdmod::ENV_SAVEGAME),
            }
            spawn::spawn(&spawn::Request {
                argv: exec.argv,
                set: &set,
                remove: &remove,
                cwd: exec.cwd,
                control: theirs.as_raw_fd(),
            })
        } else {
            fork_exec(program, args, exec, theirs.as_raw_fd())
        }
        .map_err(|e| format!("cannot start {program}: {e}"))?;
        drop(theirs);
        match ServerChannel::new(ours, exec.layout) {
            Ok(channel) => Ok((pid, channel)),
            Err(e) => {
                self.stop(pid);
                Err(format!("control socket: {e}"))
            }
        }
    }

    pub fn send(&mut self, serial: TableSerial, msg: &ToGame, fd: Option<OwnedFd>) {
        let Some(process) = self.process_mut(serial) else {
            return;
        };
        if let Err(e) = process.channel.send(msg, fd) {
            self.fail(serial, format!("cannot send to the game server: {e}"));
            return;
        }
        self.flush(serial);
    }

    fn flush(&mut self, serial: TableSerial) {
        let Some(process) = self.process_mut(serial) else {
            return;
        };
        if let Err(e) = process.channel.flush() {
            self.fail(serial, format!("control socket: {e}"));
        }
    }

    /// A write failed, typically because the game server already exited:
    /// what it sent before going (a report, DONE) still counts, so read
    /// that first.
    fn fail(&mut self, serial: TableSerial, reason: String) {
        while self.read(serial) {}
        self.events.push((serial, TableEvent::Failed(reason)));
    }

    fn process_mut(&mut self, serial: TableSerial) -> Option<&mut GameProcess> {
        let index = *self.by_serial.get(&serial)?;
        self.slots.get_mut(index).and_then(Option::as_mut)
    }

    /// A readiness event on a control socket. Returns true when data may
    /// still be waiting (read budget used up) and this should run again.
    pub fn on_ready(&mut self, token: Token, readable: bool, writable: bool) -> bool {
        let Some(index) = token.0.checked_sub(TABLE_BASE) else {
            return false;
        };
        let Some(process) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            return false;
        };
        let serial = process.serial;
        if writable {
            self.flush(serial);
        }
        if readable { self.read(serial) } else { false }
    }

    /// Reads, outside of a readiness event, what the game server of
    /// `serial` has sent so far, a few budgets at most. Returns its token
    /// when more is left, to be read in the next turn (it may get no new
    /// readiness event for what is already there).
    pub fn catch_up(&mut self, serial: TableSerial) -> Option<Token> {
        for _ in 0..CATCH_UP_READS {
            if !self.read(serial) {
                return None;
            }
        }
        self.by_serial
            .get(&serial)
            .map(|index| Token(TABLE_BASE + index))
    }

    /// Reads what the game server sent. Messages come before any failure
    /// they preceded, so a report sent just before a crash still counts.
    pub fn read(&mut self, serial: TableSerial) -> bool {
        let Some(process) = self.process_mut(serial) else {
            return false;
        };
        let outcome = process.channel.read_ready();
        if process.unanswered && !outcome.messages.is_empty() {
            process.unanswered = false;
            self.burst.answered();
        }
        for message in outcome.messages {
            self.events.push((serial, TableEvent::Message(message)));
        }
        match outcome.end {
            ReadEnd::WouldBlock => false,
            ReadEnd::Budget => true,
            ReadEnd::Eof => {
                self.events.push((
                    serial,
                    TableEvent::Failed("the game server closed its control socket".into()),
                ));
                false
            }
            ReadEnd::Error(e) => {
                self.events.push((
                    serial,
                    TableEvent::Failed(format!("bad data from the game server: {e}")),
                ));
                false
            }
        }
    }

    /// Forgets the control socket and stops the process (SIGINT to its
    /// group, SIGKILL after a grace period).
    pub fn end(
        &mut self,
        registry: &Registry,
        serial: TableSerial,
        now: Instant,
    ) -> Option<Instant> {
        let index = self.by_serial.remove(&serial)?;
        let process = self.slots.get_mut(index).and_then(Option::take)?;
        self.free.push(index);
        if process.unanswered {
            self.burst.answered();
        }
        let raw = process.channel.as_raw_fd();
        let _ = registry.deregister(&mut SourceFd(&raw));
        drop(process.channel);
        Some(self.retire(process.pid, process.reaped, now))
    }

    /// Stops a game server whose control socket is closed already: SIGINT
    /// to its group, SIGKILL after a grace period, and what it left is
    /// found by the sweeps. Returns the SIGKILL deadline.
    pub(super) fn retire(&mut self, pid: Pid, reaped: bool, now: Instant) -> Instant {
        // The group goes at once, whatever state its leader is in; what
        // left the group is found by the next sweep.
        let _ = killpg(pid, Signal::SIGINT);
        let deadline = now + KILL_GRACE;
        self.dying.push(Dying {
            leader: pid,
            reaped,
            found: Vec::new(),
            interrupted: false,
            deadline,
            rounds: 0,
            probe: false,
        });
        deadline
    }

    pub(super) fn stop(&mut self, pid: Pid) {
        let _ = killpg(pid, Signal::SIGKILL);
        self.dying.push(Dying {
            leader: pid,
            reaped: false,
            found: Vec::new(),
            interrupted: true,
            deadline: Instant::now(),
            rounds: 0,
            probe: false,
        });
    }

    /// Whether a sweep is due: a table ended this turn, or a deadline
    /// passed.
    pub fn sweep_due(&self, now: Instant) -> bool {
        self.dying
            .iter()
            .any(|d| !d.interrupted || d.probe || d.deadline <= now)
    }

    /// Signals the processes of ended tables: SIGINT to those just ended,
    /// SIGKILL to those past their grace period, with one scan of `/proc`
    /// for all of them. Returns when to sweep again.
    pub fn sweep(&mut self, now: Instant) -> Option<Instant> {
        if !self.sweep_due(now) {
            return self.dying.iter().map(|d| d.deadline).min();
        }
        // Warm game servers are live too: their own tables are to come.
        let live: HashSet<i32> = self
            .slots
            .iter()
            .flatten()
            .filter(|p| !p.reaped)
            .map(|p| p.pid.as_raw())
            .chain(self.warm.iter().map(|w| w.pid.as_raw()))
            .collect();
        let reaper = std::process::id() as i32;
        let procs = contain::scan_for(reaper, &live);
        self.dying.retain_mut(|d| {
            let signal = if !d.interrupted {
                Signal::SIGINT
            } else if d.deadline <= now {
                Signal::SIGKILL
            } else if std::mem::take(&mut d.probe) {
                // Leader gone before its deadline: done if nothing is left.
                let seeds = Seeds {
                    leader: d.leader.as_raw(),
                    known: &d.found,
                    reaper,
                    live: &live,
                };
                return !(d.reaped && contain::select(&procs, &seeds).is_empty());
            } else {
                return true;
            };
            if d.reaped && live.contains(&d.leader.as_raw()) {
                // The leader's pid went to a new game server: its group is
                // no longer this table's.
                return false;
            }
            let seeds = Seeds {
                leader: d.leader.as_raw(),
                known: &d.found,
                reaper,
                live: &live,
            };
            let found = contain::select(&procs, &seeds);
            let _ = killpg(d.leader, signal);
            for p in &found {
                let _ = kill(Pid::from_raw(p.pid), signal);
            }
            if !found.is_empty() {
                log::debug!(target: "tables", "game server {}: {signal:?} to {} processes", d.leader, found.len());
            }
            d.found = found.iter().map(|p| (p.pid, p.start)).collect();
            if !d.interrupted {
                d.interrupted = true;
                // Nothing left at all: nothing to wait for.
                return !(d.reaped && d.found.is_empty());
            }
            if d.found.is_empty() && d.reaped {
                return false;
            }
            d.rounds += 1;
            if d.rounds > MAX_ROUNDS {
                log::warn!(target: "tables", "game server {}: {} processes survive SIGKILL", d.leader, d.found.len());
                return false;
            }
            d.deadline = now + RECHECK;
            true
        });
        self.dying.iter().map(|d| d.deadline).min()
    }

    /// Reaps every exited child. A live table whose process died is failed
    /// after its last messages are read.
    pub fn reap(&mut self) {
        loop {
            let status = waitpid(None, Some(WaitPidFlag::WNOHANG));
            let pid = match status {
                Ok(WaitStatus::Exited(pid, code)) => {
                    log::debug!(target: "tables", "game server {pid} exited with status {code}");
                    pid
                }
                Ok(WaitStatus::Signaled(pid, signal, _)) => {
                    log::debug!(target: "tables", "game server {pid} ended by {signal}");
                    pid
                }
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => continue,
            };
            if let Some(d) = self.dying.iter_mut().find(|d| d.leader == pid && !d.reaped) {
                d.reaped = true;
                d.probe = d.interrupted;
                continue;
            }
            if self.warm_exited(pid) {
                continue;
            }
            let serial = self
                .slots
                .iter_mut()
                .flatten()
                .find(|p| p.pid == pid)
                .map(|p| {
                    p.reaped = true;
                    p.serial
                });
            if let Some(serial) = serial {
                while self.read(serial) {}
                self.events.push((
                    serial,
                    TableEvent::Failed(format!("game server {pid} exited")),
                ));
            }
        }
    }

    pub fn live(&self) -> usize {
        self.by_serial.len()
    }

    pub fn dying(&self) -> usize {
        self.dying.len()
    }

    /// At exit: nobody is left behind.
    pub fn kill_all_and_wait(&mut self) {
        let warm: Vec<Pid> = self.warm.drain().into_iter().map(|w| w.pid).collect();
        let pids: Vec<Pid> = self
            .slots
            .iter()
            .flatten()
            .filter(|p| !p.reaped)
            .map(|p| p.pid)
            .chain(self.dying.iter().filter(|d| !d.reaped).map(|d| d.leader))
            .chain(warm)
            .collect();
        let reaper = std::process::id() as i32;
        let nobody = HashSet::new();
        let procs = contain::scan_for(reaper, &nobody);
        for pid in &pids {
            let _ = killpg(*pid, Signal::SIGKILL);
            let seeds = Seeds {
                leader: pid.as_raw(),
                known: &[],
                reaper,
                live: &nobody,
            };
            for p in contain::select(&procs, &seeds) {
                let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
            }
        }
        for pid in pids {
            let _ = waitpid(pid, None);
        }
        self.dying.clear();
    }
}

/// The resource limits of a game description as `setrlimit` arguments,
/// computed before the fork (nothing is allocated after it).
/// The fork path: for games with resource limits, which only the child
/// itself can set between fork and exec (`spawn.rs` says why it is not
/// the default).
fn fork_exec(program: &str, args: &[String], exec: &Exec, child_fd: RawFd) -> std::io::Result<Pid> {
    let limits = rlimits(exec.limits);
    let mut command = Command::new(program);
    command
        .args(args)
        .env(ggzdmod::ENV_GGZMODE, "true")
        .env(ggzdmod::ENV_GGZSOCKET, ggzdmod::GGZSOCKET_FD.to_string())
        .env(ggzdmod::ENV_LAUNCH_LAYOUT, exec.layout.as_str())
        .stdin(Stdio::null())
        .process_group(0);
    for name in crate::systemd::SERVICE_ENV {
        command.env_remove(name);
    }
    match exec.savegame_env {
        Some(savegame) => command.env(ggzdmod::ENV_SAVEGAME, savegame),
        None => command.env_remove(ggzdmod::ENV_SAVEGAME),
    };
    // A game server never gets the database password.
    for name in crate::config::database::PASSWORD_ENV {
        command.env_remove(name);
    }
    if let Some(cwd) = exec.cwd {
        command.current_dir(cwd);
    }
    // SAFETY: between fork and exec only async-signal-safe calls:
    // dup2, fcntl, close_range, signal and setrlimit.
    unsafe {
        command.pre_exec(move || {
            if child_fd == ggzdmod::GGZSOCKET_FD {
                // Already fd 3: only close-on-exec must go.
                if libc::fcntl(child_fd, libc::F_SETFD, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(child_fd, ggzdmod::GGZSOCKET_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Nothing but 0-2 and 3 crosses into the game server, not
            // even descriptors ggzd itself inherited without
            // close-on-exec. (Failure on old kernels is harmless: our
            // own descriptors are all close-on-exec.)
            libc::syscall(libc::SYS_close_range, 4u32, u32::MAX, 0u32);
            // Game servers expect EPIPE, not death, when a player
            // vanishes: the original's children inherited SIG_IGN.
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            for (resource, value) in limits.iter().flatten() {
                let limit = libc::rlimit {
                    rlim_cur: *value,
                    rlim_max: *value,
                };
                if libc::setrlimit(*resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let child = command.spawn()?;
    let pid = Pid::from_raw(child.id() as i32);
    // Reaped through SIGCHLD with waitpid, not through `child`.
    drop(child);
    Ok(pid)
}

fn rlimits(
    limits: &crate::game_limits::GameLimits,
) -> [Option<(libc::__rlimit_resource_t, libc::rlim_t)>; 4] {
    [
        limits.processes.map(|v| (libc::RLIMIT_NPROC, v)),
        limits.address_space.map(|v| (libc::RLIMIT_AS, v)),
        limits.cpu_seconds.map(|v| (libc::RLIMIT_CPU, v)),
        limits.open_files.map(|v| (libc::RLIMIT_NOFILE, v)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggzdmod::wire::{GameState, ToServer};

    /// A table slot whose "game server" is the test, at the other end.
    fn one_table(serial: TableSerial) -> (GameProcesses, OwnedFd) {
        let (ours, theirs) = control_socketpair().unwrap();
        let channel = ServerChannel::new(ours, ggzdmod::LaunchLayout::Legacy).unwrap();
        let mut games = GameProcesses::default();
        games.slots.push(Some(GameProcess {
            serial,
            channel,
            pid: Pid::from_raw(0),
            // Nothing to stop when the test drops it.
            reaped: true,
            unanswered: true,
        }));
        games.by_serial.insert(serial, 0);
        (games, theirs)
    }

    fn game_server_sends(fd: &OwnedFd, msg: &ToServer) {
        let mut bytes = Vec::new();
        msg.encode(&mut bytes).unwrap();
        let sent =
            nix::sys::socket::send(fd.as_raw_fd(), &bytes, nix::sys::socket::MsgFlags::empty());
        assert_eq!(sent.unwrap(), bytes.len());
    }

    #[test]
    fn a_catch_up_reads_what_the_game_server_already_sent() {
        let (mut games, game_server) = one_table(7);
        game_server_sends(&game_server, &ToServer::State(GameState::Playing));
        game_server_sends(&game_server, &ToServer::Report(Vec::new()));
        // Everything there is read, with no readiness event: nothing left.
        assert_eq!(games.catch_up(7), None);
        let got: Vec<String> = games
            .events
            .iter()
            .map(|(serial, e)| format!("{serial} {e:?}"))
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("7 Message(State(Playing))"), "{got:?}");
        assert!(got[1].starts_with("7 Message(Report("), "{got:?}");
        // The first answer also ends the launch burst.
        assert_eq!(
            games.burst.refills(Instant::now()),
            crate::prespawn::Refills::Now
        );
        // An unknown table: nothing to read.
        assert_eq!(games.catch_up(8), None);
    }
}
