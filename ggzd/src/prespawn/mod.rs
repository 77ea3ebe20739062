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
//! message. Refills are paced ([`REFILL_GAP`]) so that they do not land
//! in the same instant as the burst they replace, and a key whose
//! processes fail to start or die while waiting is paused, with a
//! doubling backoff, so a broken game description cannot make ggzd spawn
//! in a loop.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ggzdmod::LaunchLayout;

use crate::game_limits::GameLimits;
use crate::zone::SpawnSpec;

/// Least time between two refill spawns.
pub const REFILL_GAP: Duration = Duration::from_millis(1);
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
    /// The next refill spawn may happen then.
    next_refill: Option<Instant>,
}

impl<H> Default for Pool<H> {
    fn default() -> Self {
        Pool {
            kinds: Vec::new(),
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
    /// wanted at all.
    pub fn due(&self, now: Instant) -> Option<Instant> {
        let ready = self
            .kinds
            .iter()
            .filter(|k| k.idle.len() < k.want)
            .map(|k| k.paused_until.map_or(now, |t| t.max(now)))
            .min()?;
        Some(self.next_refill.map_or(ready, |t| t.max(ready)))
    }

    /// The key to start one process for now, if a refill is due; the next
    /// one is then due [`REFILL_GAP`] later at the earliest. The largest
    /// deficit goes first, the first key among equals.
    pub fn next_to_spawn(&mut self, now: Instant) -> Option<WarmKey> {
        if self.next_refill.is_some_and(|t| t > now) {
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
        self.next_refill = Some(now + REFILL_GAP);
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
