//! The queue of password jobs waiting for a worker. Jobs are taken round
//! robin over address groups, so one address with five hundred attempts
//! queued delays another address's login by at most one job per worker;
//! groups that failed recently ("suspect") are served only when no clean
//! group waits. The queue is bounded in total: a job that does not fit is
//! refused at once.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Which lane a group waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Clean,
    Suspect,
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

    /// Queues `item` for `key`; gives it back when the queue is full. A
    /// group keeps the lane it entered with until it empties.
    pub fn push(&mut self, key: K, item: T, lane: Lane) -> Result<(), T> {
        if self.len >= self.limit {
            return Err(item);
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
        Ok(())
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
        if group.items.is_empty() {
            let lane = group.lane;
            self.groups.remove(&key);
            let order = match lane {
                Lane::Clean => &mut self.clean,
                Lane::Suspect => &mut self.suspect,
            };
            order.retain(|k| *k != key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut FairQueue<u8, u32>) -> Vec<(u8, u32)> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn groups_take_turns() {
        let mut q = FairQueue::new(100);
        for i in 0..4 {
            q.push(1, i, Lane::Clean).unwrap();
        }
        q.push(2, 10, Lane::Clean).unwrap();
        q.push(3, 20, Lane::Clean).unwrap();
        q.push(2, 11, Lane::Clean).unwrap();
        assert_eq!(q.len(), 7);
        assert_eq!(
            drain(&mut q),
            vec![(1, 0), (2, 10), (3, 20), (1, 1), (2, 11), (1, 2), (1, 3)]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn a_newcomer_waits_at_most_one_turn_per_group() {
        let mut q = FairQueue::new(1000);
        for i in 0..500 {
            q.push(1, i, Lane::Clean).unwrap();
        }
        q.pop();
        q.push(9, 999, Lane::Clean).unwrap();
        assert_eq!(q.pop(), Some((1, 1)));
        assert_eq!(q.pop(), Some((9, 999)));
    }

    #[test]
    fn clean_groups_go_before_suspect_ones() {
        let mut q = FairQueue::new(100);
        q.push(1, 0, Lane::Suspect).unwrap();
        q.push(1, 1, Lane::Suspect).unwrap();
        q.push(2, 10, Lane::Clean).unwrap();
        assert_eq!(q.pop(), Some((2, 10)));
        q.push(3, 20, Lane::Clean).unwrap();
        assert_eq!(drain(&mut q), vec![(3, 20), (1, 0), (1, 1)]);
    }

    #[test]
    fn a_demoted_group_waits_behind_clean_ones() {
        let mut q = FairQueue::new(100);
        q.push(1, 0, Lane::Clean).unwrap();
        q.push(1, 1, Lane::Clean).unwrap();
        q.push(2, 10, Lane::Clean).unwrap();
        q.push(3, 20, Lane::Suspect).unwrap();
        q.demote(1);
        q.demote(1);
        q.demote(9);
        assert_eq!(drain(&mut q), vec![(2, 10), (3, 20), (1, 0), (1, 1)]);
    }

    #[test]
    fn the_queue_is_bounded() {
        let mut q = FairQueue::new(2);
        q.push(1, 0, Lane::Clean).unwrap();
        q.push(2, 1, Lane::Clean).unwrap();
        assert_eq!(q.push(3, 2, Lane::Clean), Err(2));
        q.pop();
        assert_eq!(q.push(3, 2, Lane::Clean), Ok(()));
    }

    #[test]
    fn removed_items_leave_no_trace() {
        let mut q = FairQueue::new(3);
        q.push(1, 0, Lane::Clean).unwrap();
        q.push(1, 1, Lane::Clean).unwrap();
        q.push(2, 10, Lane::Suspect).unwrap();
        q.remove(1, |i| *i == 0);
        assert_eq!(q.len(), 2);
        q.remove(2, |_| true);
        q.remove(7, |_| true);
        assert_eq!(q.len(), 1);
        q.push(4, 40, Lane::Clean).unwrap();
        q.push(5, 50, Lane::Clean).unwrap();
        assert_eq!(drain(&mut q), vec![(1, 1), (4, 40), (5, 50)]);
    }
}
