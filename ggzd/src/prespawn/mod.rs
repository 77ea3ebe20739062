//! Game servers started ahead of their tables (docs/matchmaking.md §10):
//! the bookkeeping of the warm pool, sans-IO.
//!
//! Why: a matched player is told MATCHED only once the table's game
//! server reported WAITING, and a round launches its whole burst of
//! tables at once. Started on demand, each of them pays exec, dynamic
//! loading and its own start-up inside the players' time in queue, all
//! of them at the same moment. A process started earlier, connected and
//! waiting for its launch message (which is what gives it its seats),
//! only has to read that message and answer.
//!
//! The pool holds processes by [`WarmKey`]: what a launch would start
//! (program, arguments, working directory, launch layout, limits). Any
//! process of the right key may serve any table of that key, since
//! nothing table-specific reaches a game server before the launch
//! message. A launch burst must not share its moment with the refills
//! that replace it: the event loop starts processes between its turns,
//! one `posix_spawn` (which waits for the exec) after another, and each
//! new process's start-up takes CPU the launched game servers need to
//! answer. So while a launched game server is still to answer ([`Burst`]),
//! refills wait; once every launch has answered they run at once, a few a
//! turn ([`Pool::quiet_budget`]). A stream of launches that never falls quiet
//! does not starve the pool: after [`BURST_GRACE`] refills go on at a pace
//! of one per [`REFILL_GAP`], catching up on at most [`REFILL_CATCH_UP`]
//! after a long turn. Before, one spawn a turn under any load let the
//! refill rate fall with the turns' length: under a steady stream of
//! matches the pool drained, each launch then started its own process
//! inside the loop, the turns grew longer still, and whole benchmark runs
//! stayed with slow launches (BENCHMARKS.md, session 9). A key whose
//! processes fail to start or die while waiting is paused, with a
//! doubling backoff, so a broken game description cannot make ggzd spawn
//! in a loop.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ggzdmod::LaunchLayout;

use crate::game_limits::GameLimits;
use crate::zone::SpawnSpec;

/// The pace of refill spawns: one per gap on average.
pub const REFILL_GAP: Duration = Duration::from_millis(1);
/// Most paced refill spawns in one turn of the event loop, those the gaps
/// of a long turn (or an idle spell) allowed.
pub const REFILL_CATCH_UP: u32 = 4;
/// Refill spawns in a quiet turn that follows a short one: each waits for
/// its exec, and a short turn keeps the next round's timer and the
/// players' messages on time. The loop turns again at once while more are
/// wanted.
pub const QUIET_A_TURN: usize = 2;
/// After a longer turn, a quiet turn may start this many per millisecond
/// since the last one, up to [`QUIET_MOST`]: with a fixed count the refill
/// rate fell with the turns' length, and a loaded loop drained the pool.
pub const QUIET_PER_MS: u32 = 2;
pub const QUIET_MOST: usize = 16;
/// How long a launch burst may hold refills back: longer than a burst of
/// hundreds of tables takes to answer, short enough that launches that
/// never fall quiet still see the pool refilled.
pub const BURST_GRACE: Duration = Duration::from_millis(20);

/// Launched game servers that have not answered yet, and since when there
/// have been any: what decides whether refills may run.
#[derive(Debug, Default)]
pub struct Burst {
    unanswered: usize,
    since: Option<Instant>,
}

/// What refills may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refills {
    /// No launch is waiting for its answer: unpaced.
    Now,
    /// A burst has lasted past [`BURST_GRACE`]: paced.
    Paced,
    /// A burst is being answered: nothing before then.
    HeldUntil(Instant),
}

impl Burst {
    /// A game server was sent its launch message.
    pub fn launched(&mut self, now: Instant) {
        if self.unanswered == 0 {
            self.since = Some(now);
        }
        self.unanswered += 1;
    }

    /// A launched game server answered, or went without answering.
    pub fn answered(&mut self) {
        self.unanswered = self.unanswered.saturating_sub(1);
        if self.unanswered == 0 {
            self.since = None;
        }
    }

    pub fn refills(&self, now: Instant) -> Refills {
        match self.since {
            None => Refills::Now,
            Some(since) if now >= since + BURST_GRACE => Refills::Paced,
            Some(since) => Refills::HeldUntil(since + BURST_GRACE),
        }
    }
}
/// Most processes kept warm in all, whatever the configuration says: each
/// is a descriptor of ggzd's and an idle process.
pub const MAX_WARM: usize = 256;
/// The first pause after a failure, doubled on each failure in a row.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What makes two game server processes interchangeable before launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarmKey {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub layout: LaunchLayout,
    pub limits: GameLimits,
}

impl WarmKey {
    /// Whether a process of this key can serve `spec`. Never for a
    /// savegame passed in the environment (a legacy restore): a process
    /// already running has read its environment.
    pub fn serves(&self, spec: &SpawnSpec) -> bool {
        spec.savegame_env.is_none()
            && self.layout == spec.layout
            && self.limits == spec.limits
            && self.cwd == spec.cwd
            && self.argv == spec.argv
    }
}

struct Kind<H> {
    key: WarmKey,
    want: usize,
    idle: VecDeque<H>,
    /// No spawns for this key before then (after a failure).
    paused_until: Option<Instant>,
    /// The next pause after a failure.
    backoff: Duration,
}

/// The warm processes, by key. `H` is the event loop's handle of one
/// process (its pid and control socket); the pool never looks inside.
pub struct Pool<H> {
    kinds: Vec<Kind<H>>,
    /// The last quiet refill turn, for [`Pool::quiet_budget`].
    last_quiet_turn: Option<Instant>,
    /// The pace clock: the next refill spawn may happen then. Never
    /// more than [`REFILL_CATCH_UP`] gaps behind the present when a spawn
    /// moves it on, so idle time is not saved up into a large burst.
    next_refill: Option<Instant>,
}

impl<H> Default for Pool<H> {
    fn default() -> Self {
        Pool {
            kinds: Vec::new(),
            last_quiet_turn: None,
            next_refill: None,
        }
    }
}

impl<H> Pool<H> {
    /// Sets what to keep warm: `each` processes of every key (duplicates
    /// count once), within [`MAX_WARM`] in all. Every idle process is
    /// returned to be stopped, whether or not its key stays: after a
    /// reload the program behind the same path may have changed.
    pub fn retarget(&mut self, keys: Vec<WarmKey>, each: usize) -> Vec<H> {
        let old = self.drain();
        let mut budget = MAX_WARM;
        self.kinds.clear();
        for key in keys {
            if self.kinds.iter().any(|k| k.key == key) {
                continue;
            }
            let want = each.min(budget);
            if want == 0 {
                break;
            }
            budget -= want;
            self.kinds.push(Kind {
                key,
                want,
                idle: VecDeque::new(),
                paused_until: None,
                backoff: FIRST_BACKOFF,
            });
        }
        self.next_refill = None;
        old
    }

    /// Every idle process, taken out (shutdown, reload); what is wanted
    /// stays, so refills follow unless the targets change too.
    pub fn drain(&mut self) -> Vec<H> {
        self.kinds
            .iter_mut()
            .flat_map(|k| std::mem::take(&mut k.idle))
            .collect()
    }

    /// A warm process that can serve `spec`, the longest waiting first.
    pub fn take(&mut self, spec: &SpawnSpec) -> Option<H> {
        let kind = self.kinds.iter_mut().find(|k| k.key.serves(spec))?;
        let h = kind.idle.pop_front()?;
        // One served: whatever failed before works now.
        kind.backoff = FIRST_BACKOFF;
        Some(h)
    }

    /// When the next refill spawn is due (`now` or later), if one is
    /// wanted at all; `quiet`: no launch is under way, so no pace.
    pub fn due(&self, now: Instant, quiet: bool) -> Option<Instant> {
        let ready = self
            .kinds
            .iter()
            .filter(|k| k.idle.len() < k.want)
            .map(|k| k.paused_until.map_or(now, |t| t.max(now)))
            .min()?;
        if quiet {
            return Some(ready);
        }
        Some(self.next_refill.map_or(ready, |t| t.max(ready)))
    }

    /// How many refills a quiet turn may start now: [`QUIET_A_TURN`]
    /// after a short turn, more after a long one.
    pub fn quiet_budget(&mut self, now: Instant) -> usize {
        let since = self
            .last_quiet_turn
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        self.last_quiet_turn = Some(now);
        let by_time = since.as_millis() as usize * QUIET_PER_MS as usize;
        by_time.clamp(QUIET_A_TURN, QUIET_MOST)
    }

    /// The key to start one process for now, if a refill is due. `quiet`
    /// (no launch under way): whatever the pace; else the pace clock must
    /// have come, and moves one [`REFILL_GAP`] on. The largest deficit
    /// goes first, the first key among equals.
    pub fn next_to_spawn(&mut self, now: Instant, quiet: bool) -> Option<WarmKey> {
        if !quiet && self.next_refill.is_some_and(|t| t > now) {
            return None;
        }
        let kind = self
            .kinds
            .iter()
            .filter(|k| k.idle.len() < k.want && k.paused_until.is_none_or(|t| t <= now))
            // The first of the largest deficits: min_by_key keeps the
            // first of equals, max_by_key the last.
            .min_by_key(|k| std::cmp::Reverse(k.want - k.idle.len()))?;
        let key = kind.key.clone();
        if !quiet {
            let earliest = now
                .checked_sub(REFILL_GAP * (REFILL_CATCH_UP - 1))
                .unwrap_or(now);
            let clock = self.next_refill.map_or(earliest, |t| t.max(earliest));
            self.next_refill = Some(clock + REFILL_GAP);
        }
        Some(key)
    }

    /// A process started for `key`. Returned when the pool has no room
    /// for it (its key went, or is full): stop it.
    pub fn add(&mut self, key: &WarmKey, h: H) -> Option<H> {
        match self
            .kinds
            .iter_mut()
            .find(|k| k.key == *key && k.idle.len() < k.want)
        {
            Some(kind) => {
                kind.idle.push_back(h);
                None
            }
            None => Some(h),
        }
    }

    /// Starting a process for `key` failed, or one died while waiting:
    /// no spawns for that key for a while.
    pub fn failed(&mut self, key: &WarmKey, now: Instant) {
        if let Some(kind) = self.kinds.iter_mut().find(|k| k.key == *key) {
            kind.paused_until = Some(now + kind.backoff);
            kind.backoff = (kind.backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Takes out the idle process `is` picks (one that died), with its key.
    pub fn remove(&mut self, is: impl Fn(&H) -> bool) -> Option<(WarmKey, H)> {
        for kind in &mut self.kinds {
            if let Some(at) = kind.idle.iter().position(&is) {
                let h = kind.idle.remove(at)?;
                return Some((kind.key.clone(), h));
            }
        }
        None
    }

    pub fn iter(&self) -> impl Iterator<Item = &H> {
        self.kinds.iter().flat_map(|k| k.idle.iter())
    }

    pub fn len(&self) -> usize {
        self.kinds.iter().map(|k| k.idle.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
