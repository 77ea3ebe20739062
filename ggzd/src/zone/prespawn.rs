//! Which game servers are worth starting ahead of their tables
//! (docs/matchmaking.md §10): those of the rooms that offer queues, where
//! a round launches a burst of tables at once and every player of them
//! waits for their game servers.

use super::Zone;
use crate::prespawn::WarmKey;

impl Zone {
    /// One key per kind of table the queues launch (rooms with the same
    /// game and arguments share one).
    pub fn prespawn_keys(&self) -> Vec<WarmKey> {
        let mut keys: Vec<WarmKey> = Vec::new();
        for q in &self.matchmaker.queues {
            if let Some(key) = self.spawn_base(q.room)
                && !keys.contains(&key)
            {
                keys.push(key);
            }
        }
        keys
    }
}
