//! Writes that waited for the store: game results and savegame records
//! that arrived while PostgreSQL was away, written by the first worker
//! that finds it back. Bounded: past the cap, the newest is dropped with
//! an error line (the game was played; its statistics are lost).

use std::collections::VecDeque;

use crate::zone::GameReportJob;

/// One write held back.
#[derive(Debug)]
pub enum Deferred {
    Report(Box<GameReportJob>),
    Savegame {
        game: String,
        owner: String,
        savegame: String,
        table_key: String,
        now: i64,
    },
}

/// A bounded FIFO of [`Deferred`] writes.
#[derive(Debug)]
pub struct DeferredWrites {
    queue: VecDeque<Deferred>,
    cap: usize,
    dropped: u64,
}

impl DeferredWrites {
    pub fn new(cap: usize) -> DeferredWrites {
        DeferredWrites {
            queue: VecDeque::new(),
            cap,
            dropped: 0,
        }
    }

    /// Holds `write`; gives it back when the queue is full (counted).
    pub fn push(&mut self, write: Deferred) -> Result<(), Deferred> {
        if self.queue.len() >= self.cap {
            self.dropped += 1;
            return Err(write);
        }
        self.queue.push_back(write);
        Ok(())
    }

    /// The oldest write, to try now.
    pub fn pop(&mut self) -> Option<Deferred> {
        self.queue.pop_front()
    }

    /// A write just popped that failed because the store is away again:
    /// first in line for the next try (never beyond the cap: it was in the
    /// queue a moment ago, unless another worker filled its place).
    pub fn put_back(&mut self, write: Deferred) -> Result<(), Deferred> {
        if self.queue.len() >= self.cap {
            self.dropped += 1;
            return Err(write);
        }
        self.queue.push_front(write);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Writes dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn save(n: i64) -> Deferred {
        Deferred::Savegame {
            game: "g".into(),
            owner: "o".into(),
            savegame: format!("s{n}"),
            table_key: "k".into(),
            now: n,
        }
    }

    fn stamp(d: &Deferred) -> i64 {
        match d {
            Deferred::Savegame { now, .. } => *now,
            Deferred::Report(r) => r.now,
        }
    }

    #[test]
    fn keeps_order_and_refuses_past_the_cap() {
        let mut q = DeferredWrites::new(2);
        assert!(q.push(save(1)).is_ok());
        assert!(q.push(save(2)).is_ok());
        let refused = q.push(save(3)).unwrap_err();
        assert_eq!(stamp(&refused), 3);
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.len(), 2);
        let first = q.pop().unwrap();
        assert_eq!(stamp(&first), 1);
        assert!(q.put_back(first).is_ok());
        assert_eq!(stamp(&q.pop().unwrap()), 1);
        assert_eq!(stamp(&q.pop().unwrap()), 2);
        assert!(q.pop().is_none());
        assert!(q.is_empty());
    }
}
