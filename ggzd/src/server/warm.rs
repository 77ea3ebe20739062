//! The event loop's side of the warm pool (`crate::prespawn`): starting
//! game servers ahead of their tables, handing one to a launch, and
//! stopping those no longer wanted (reload, shutdown) or that died while
//! waiting. A warm game server is an ordinary one that has not been sent
//! its launch message yet: same process setup (`tables.rs`), counted as
//! live by containment, stopped like any other.

use std::os::fd::AsRawFd;
use std::time::Instant;

use ggzdmod::server::ServerChannel;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, recv};
use nix::unistd::Pid;

use super::tables::{Exec, GameProcesses};
use crate::prespawn::{Refills, WarmKey};
use crate::zone::SpawnSpec;

/// A game server started and connected, waiting for its launch message.
pub struct Warm {
    pub pid: Pid,
    pub channel: ServerChannel,
}

impl Warm {
    /// Whether the game server closed its end (it exited, or is exiting):
    /// such a one must not get a table. What it may have sent meanwhile
    /// (log lines) stays queued for the table that takes it.
    fn hung_up(&self) -> bool {
        let mut byte = [0u8; 1];
        match recv(
            self.channel.as_raw_fd(),
            &mut byte,
            MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(0) => true,
            Ok(_) | Err(Errno::EAGAIN) | Err(Errno::EINTR) => false,
            Err(_) => true,
        }
    }
}

impl GameProcesses {
    /// Keeps `each` game servers warm for every key (startup, reload,
    /// shutdown with none). Those warm already are stopped: after a
    /// reload the program behind a path may be another.
    pub fn set_warm(&mut self, keys: Vec<WarmKey>, each: usize, now: Instant) {
        for w in self.warm.retarget(keys, each) {
            self.retire_warm(w, now);
        }
    }

    /// When the next warm game server is due to be started.
    pub fn warm_due(&self, now: Instant) -> Option<Instant> {
        match self.burst.refills(now) {
            Refills::Now => self.warm.due(now, true),
            Refills::Paced => self.warm.due(now, false),
            Refills::HeldUntil(until) => self.warm.due(until, false),
        }
    }

    /// Starts the warm game servers that are due now, if any: a few at
    /// most a turn, none while a launch burst is being answered.
    pub fn refill_warm(&mut self, now: Instant) {
        let (quiet, most) = match self.burst.refills(now) {
            Refills::Now => (true, self.warm.quiet_budget(now)),
            Refills::Paced => (false, crate::prespawn::REFILL_CATCH_UP as usize),
            Refills::HeldUntil(_) => return,
        };
        for _ in 0..most {
            let Some(key) = self.warm.next_to_spawn(now, quiet) else {
                break;
            };
            self.start_warm(key, now);
        }
    }

    fn start_warm(&mut self, key: WarmKey, now: Instant) {
        if !key.cwd.is_dir() {
            // Not yet there (made with the first savegame): a process
            // started elsewhere would not serve a launch, which needs it.
            self.warm.failed(&key, now);
            return;
        }
        let exec = Exec {
            argv: &key.argv,
            cwd: Some(&key.cwd),
            layout: key.layout,
            limits: &key.limits,
            savegame_env: None,
        };
        match self.start_process(&exec) {
            Ok((pid, channel)) => {
                log::debug!(target: "tables", "game server {pid} started ahead of its table");
                if let Some(w) = self.warm.add(&key, Warm { pid, channel }) {
                    self.retire_warm(w, now);
                }
            }
            Err(e) => {
                log::warn!(target: "tables", "cannot start a game server ahead of its table: {e}");
                self.warm.failed(&key, now);
            }
        }
    }

    /// A warm game server for this launch, if one is waiting and alive.
    /// (The caller checked that the launch's working directory exists.)
    pub(super) fn take_warm(&mut self, spec: &SpawnSpec) -> Option<Warm> {
        loop {
            let w = self.warm.take(spec)?;
            if !w.hung_up() {
                return Some(w);
            }
            self.retire_warm(w, Instant::now());
        }
    }

    fn retire_warm(&mut self, w: Warm, now: Instant) {
        let Warm { pid, mut channel } = w;
        // What it said while waiting (its start-up log lines) is read
        // first, so the close is a plain end of file to it, not a reset;
        // then it sees the end of ggzd and may go by itself.
        let _ = channel.read_ready();
        drop(channel);
        self.retire(pid, false, now);
    }

    /// `pid` was reaped: if it was a warm game server, it is forgotten,
    /// whatever it left behind is stopped, and its kind is paused before
    /// the next start. Returns whether it was one.
    pub(super) fn warm_exited(&mut self, pid: Pid) -> bool {
        let Some((key, w)) = self.warm.remove(|w| w.pid == pid) else {
            return false;
        };
        let now = Instant::now();
        log::warn!(target: "tables", "game server {pid} exited before it had a table");
        drop(w.channel);
        self.retire(pid, true, now);
        self.warm.failed(&key, now);
        true
    }
}

impl super::Server {
    /// Sets the warm pool from the queues and `[matchmaking] prespawn`
    /// (startup and after each reload).
    pub(super) fn retarget_warm(&mut self, now: Instant) {
        let each = self.config.matchmaking.prespawn as usize;
        let keys = if each > 0 && !self.shutting_down {
            self.zone.prespawn_keys()
        } else {
            Vec::new()
        };
        self.io.games.set_warm(keys, each, now);
    }
}
