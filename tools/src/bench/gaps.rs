//! The `queue` scenario's rating gaps: the two players MATCHED to one
//! table, each with the rating its ticket carried, give one gap.
//!
//! A ticket's rating is the player's rating when it sent MATCH, as the
//! server last showed it (docs/client-server.md §8.3: rounded to a whole
//! point, so a gap is within one point of the server's exact one). A
//! table is known by its id on the player's node: with several nodes the
//! two players of a match may see different ids (docs/cluster.md §8), and
//! such a match stays unpaired rather than paired wrongly.

use std::collections::HashMap;

use super::histogram::Histogram;

/// Where a matched seat is: the player's node (if known) and the table id
/// that node gave.
pub type TableKey = (Option<u16>, u32);

#[derive(Debug, Default)]
pub struct Gaps {
    /// The first matched player of each table, with its ticket's rating.
    /// At most one entry per player: it goes when the pair is complete or
    /// the player leaves the table.
    open: HashMap<TableKey, (usize, i64)>,
    /// Gaps of complete pairs, in rating points.
    pub gaps: Histogram,
    /// Matched players whose partner was not seen (another node, or a
    /// ticket without a known rating).
    pub unpaired: u64,
}

impl Gaps {
    /// `player`, whose ticket carried `rating`, was matched to `table`.
    pub fn matched(&mut self, table: TableKey, player: usize, rating: Option<i64>) {
        let Some(rating) = rating else {
            self.unpaired += 1;
            return;
        };
        match self.open.remove(&table) {
            Some((_, other)) => self.gaps.record(rating.abs_diff(other)),
            None => {
                self.open.insert(table, (player, rating));
            }
        }
    }

    /// `player` left `table`: a partner that never showed will not now.
    pub fn left(&mut self, table: TableKey, player: usize) {
        if self.open.get(&table).is_some_and(|(p, _)| *p == player) {
            self.open.remove(&table);
            self.unpaired += 1;
        }
    }

    /// The run is over: players still waiting for a partner count as
    /// unpaired.
    pub fn finish(&mut self) {
        self.unpaired += self.open.len() as u64;
        self.open.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_by_table_and_node() {
        let mut g = Gaps::default();
        g.matched((None, 3), 0, Some(1500));
        g.matched((None, 4), 1, Some(1400));
        g.matched((None, 3), 2, Some(1620));
        g.matched((None, 4), 3, Some(1410));
        assert_eq!(g.gaps.count(), 2);
        assert_eq!(g.gaps.max(), 120);
        assert_eq!(g.gaps.quantile(0.0), Some(10));
        // The same id on two nodes is two tables.
        g.matched((Some(0), 5), 4, Some(1000));
        g.matched((Some(1), 5), 5, Some(2000));
        assert_eq!(g.gaps.count(), 2);
        // A table id used again after its players left starts afresh.
        g.left((Some(0), 5), 4);
        g.left((Some(1), 5), 7);
        g.matched((Some(0), 5), 6, Some(1900));
        g.matched((Some(0), 5), 7, Some(1950));
        assert_eq!(g.gaps.count(), 3);
        assert_eq!(g.gaps.max(), 120);
        g.matched((None, 9), 8, None);
        g.finish();
        // Player 4 (left alone), player 8 (no rating), player 5 (at the end).
        assert_eq!(g.unpaired, 3);
    }
}
