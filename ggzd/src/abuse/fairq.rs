//! The queue of password jobs waiting for a worker. Jobs are taken round
//! robin over address groups, so one address with five hundred attempts
//! queued delays another address's login by at most one job per worker.
//! Groups that failed recently, or have several attempts waiting at once
//! (people log in one at a time), are "suspect" and served only when no
//! clean group waits. The queue is bounded in total; when it is full, the
//! largest group gives up its newest job to a smaller group's newcomer,
//! so a storm cannot lock others out by filling it.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Which lane a group waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Clean,
    Suspect,
}

/// A group with this many jobs waiting becomes suspect.
const CROWDED: usize = 2;

/// What became of a pushed item.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed<K, T> {
    Queued,
    /// Queued, and this item of a larger group was dropped to make room.
    Evicted(K, T),
    /// Not queued: the queue is full and the item's group is the largest.
    Refused(T),
}

struct Group<T> {
    lane: Lane,
    items: VecDeque<T>,
}

pub struct FairQueue<K, T> {
    groups: HashMap<K, Group<T>>,
    /// Groups with items, in serving order, per lane.
    clean: VecDeque<K>,
    suspect: VecDeque<K>,
    len: usize,
    limit: usize,
}

impl<K: Hash + Eq + Copy, T> FairQueue<K, T> {
    pub fn new(limit: usize) -> FairQueue<K, T> {
        FairQueue {
            groups: HashMap::new(),
            clean: VecDeque::new(),
            suspect: VecDeque::new(),
            len: 0,
            limit,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `item` for `key`. A group keeps the lane it entered with
    /// until it empties, except that a crowded or demoted group goes to
    /// the suspect lane.
    pub fn push(&mut self, key: K, item: T, lane: Lane) -> Pushed<K, T> {
        let mut evicted = None;
        if self.len >= self.limit {
            let own = self.groups.get(&key).map_or(0, |g| g.items.len());
            let largest = self
                .groups
                .iter()
                .filter(|(k, _)| **k != key)
                .max_by_key(|(_, g)| g.items.len())
                .map(|(k, g)| (*k, g.items.len()));
            match largest {
                Some((big, len)) if len > own + 1 => {
                    let dropped = self.groups.get_mut(&big).and_then(|g| g.items.pop_back());
                    if let Some(dropped) = dropped {
                        self.len -= 1;
                        self.forget_if_empty(big);
                        evicted = Some((big, dropped));
                    }
                }
                _ => {}
            }
            if evicted.is_none() {
                return Pushed::Refused(item);
            }
        }
        match self.groups.get_mut(&key) {
            Some(group) => group.items.push_back(item),
            None => {
                self.groups.insert(
                    key,
                    Group {
                        lane,
                        items: VecDeque::from([item]),
                    },
                );
                match lane {
                    Lane::Clean => self.clean.push_back(key),
                    Lane::Suspect => self.suspect.push_back(key),
                }
            }
        }
        self.len += 1;
        if self
            .groups
            .get(&key)
            .is_some_and(|g| g.items.len() >= CROWDED)
        {
            self.demote(key);
        }
        match evicted {
            Some((k, t)) => Pushed::Evicted(k, t),
            None => Pushed::Queued,
        }
    }

    fn forget_if_empty(&mut self, key: K) {
        let Some(group) = self.groups.get(&key) else {
            return;
        };
        if !group.items.is_empty() {
            return;
        }
        let lane = group.lane;
        self.groups.remove(&key);
        let order = match lane {
            Lane::Clean => &mut self.clean,
            Lane::Suspect => &mut self.suspect,
        };
        order.retain(|k| *k != key);
    }

    /// The next item: the front group of the clean lane, else of the
    /// suspect lane; the group then goes to the back of its lane.
    pub fn pop(&mut self) -> Option<(K, T)> {
        let key = match self.clean.pop_front() {
            Some(key) => key,
            None => self.suspect.pop_front()?,
        };
        let group = self.groups.get_mut(&key)?;
        let item = group.items.pop_front();
        if group.items.is_empty() {
            self.groups.remove(&key);
        } else {
            match group.lane {
                Lane::Clean => self.clean.push_back(key),
                Lane::Suspect => self.suspect.push_back(key),
            }
        }
        let item = item?;
        self.len -= 1;
        Some((key, item))
    }

    /// Moves `key`'s waiting items behind every clean group (it just
    /// failed a login).
    pub fn demote(&mut self, key: K) {
        let Some(group) = self.groups.get_mut(&key) else {
            return;
        };
        if group.lane == Lane::Suspect {
            return;
        }
        group.lane = Lane::Suspect;
        self.clean.retain(|k| *k != key);
        self.suspect.push_back(key);
    }

    /// Takes out every item of `key` that `matches` (a client that left).
    pub fn remove(&mut self, key: K, mut matches: impl FnMut(&T) -> bool) {
        let Some(group) = self.groups.get_mut(&key) else {
            return;
        };
        let before = group.items.len();
        group.items.retain(|item| !matches(item));
        self.len -= before - group.items.len();
        self.forget_if_empty(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut FairQueue<u8, u32>) -> Vec<(u8, u32)> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    fn push(q: &mut FairQueue<u8, u32>, key: u8, item: u32, lane: Lane) {
        assert_eq!(q.push(key, item, lane), Pushed::Queued);
    }

    #[test]
    fn groups_take_turns() {
        let mut q = FairQueue::new(100);
        push(&mut q, 1, 0, Lane::Suspect);
        push(&mut q, 1, 1, Lane::Suspect);
        push(&mut q, 2, 10, Lane::Suspect);
        push(&mut q, 3, 20, Lane::Suspect);
        push(&mut q, 2, 11, Lane::Suspect);
        push(&mut q, 1, 2, Lane::Suspect);
        assert_eq!(q.len(), 6);
        assert_eq!(
            drain(&mut q),
            vec![(1, 0), (2, 10), (3, 20), (1, 1), (2, 11), (1, 2)]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn a_newcomer_waits_at_most_one_turn_per_group() {
        let mut q = FairQueue::new(1000);
        for i in 0..500 {
            push(&mut q, 1, i, Lane::Clean);
        }
        q.pop();
        push(&mut q, 9, 999, Lane::Suspect);
        assert_eq!(q.pop(), Some((1, 1)));
        assert_eq!(q.pop(), Some((9, 999)));
    }

    #[test]
    fn clean_groups_go_before_suspect_ones() {
        let mut q = FairQueue::new(100);
        push(&mut q, 1, 0, Lane::Suspect);
        push(&mut q, 4, 0, Lane::Suspect);
        push(&mut q, 2, 10, Lane::Clean);
        assert_eq!(q.pop(), Some((2, 10)));
        push(&mut q, 3, 20, Lane::Clean);
        assert_eq!(drain(&mut q), vec![(3, 20), (1, 0), (4, 0)]);
    }

    #[test]
    fn a_crowded_group_becomes_suspect() {
        let mut q = FairQueue::new(100);
        push(&mut q, 1, 0, Lane::Clean);
        push(&mut q, 1, 1, Lane::Clean);
        push(&mut q, 2, 10, Lane::Clean);
        assert_eq!(drain(&mut q), vec![(2, 10), (1, 0), (1, 1)]);
    }

    #[test]
    fn a_demoted_group_waits_behind_clean_ones() {
        let mut q = FairQueue::new(100);
        push(&mut q, 1, 0, Lane::Clean);
        push(&mut q, 2, 10, Lane::Clean);
        push(&mut q, 3, 20, Lane::Suspect);
        q.demote(1);
        q.demote(1);
        q.demote(9);
        assert_eq!(drain(&mut q), vec![(2, 10), (3, 20), (1, 0)]);
    }

    #[test]
    fn a_full_queue_takes_room_from_the_largest_group() {
        let mut q = FairQueue::new(4);
        for i in 0..3 {
            push(&mut q, 1, i, Lane::Clean);
        }
        push(&mut q, 2, 10, Lane::Clean);
        // Full: the newcomer of a small group pushes out the largest
        // group's newest job.
        assert_eq!(q.push(3, 20, Lane::Clean), Pushed::Evicted(1, 2));
        // Equal shares now: the next one is refused.
        assert_eq!(q.push(2, 11, Lane::Clean), Pushed::Refused(11));
        assert_eq!(q.push(1, 3, Lane::Clean), Pushed::Refused(3));
        assert_eq!(q.len(), 4);
        q.pop();
        push(&mut q, 4, 40, Lane::Clean);
    }

    #[test]
    fn removed_items_leave_no_trace() {
        let mut q = FairQueue::new(3);
        push(&mut q, 1, 0, Lane::Suspect);
        push(&mut q, 1, 1, Lane::Suspect);
        push(&mut q, 2, 10, Lane::Suspect);
        q.remove(1, |i| *i == 0);
        assert_eq!(q.len(), 2);
        q.remove(2, |_| true);
        q.remove(7, |_| true);
        assert_eq!(q.len(), 1);
        push(&mut q, 4, 40, Lane::Suspect);
        push(&mut q, 5, 50, Lane::Suspect);
        assert_eq!(drain(&mut q), vec![(1, 1), (4, 40), (5, 50)]);
    }
}
