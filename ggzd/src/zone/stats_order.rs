//! The order of a player's statistics reads and writes (docs/cluster.md
//! §8, "Statistics"). Reads (a login, a reload) and writes (a game
//! report) run on different worker threads, so their answers may come
//! back in another order than the database saw them: a login that read
//! before a report's commit may finish after it, and would show the old
//! statistics until the next game.
//!
//! The rule kept here, pure: every completed change of a player's
//! statistics for a game (a report written here, or another node's
//! STATS_CHANGED) bumps a sequence number. A job that reads (or returns
//! what it wrote) remembers the number when it was submitted; anything
//! completed before that is in what it reads, because an answer only
//! comes back after its commit. If a change of the same player and game
//! completed after the submission, the job's rows may be older than the
//! database: they are not shown, and the statistics are read again.
//!
//! Only players with a job in flight are remembered, so the memory is
//! bounded by the jobs the workers hold.

use std::collections::{HashMap, VecDeque};

use super::effects::{ConnId, TableSerial};

#[derive(Debug, Default)]
pub(crate) struct StatsOrder {
    /// Bumped by every completed change.
    seq: u64,
    /// Players with at least one job in flight, by canonical name.
    names: HashMap<String, NameOrder>,
    /// Logins at the workers: whose statistics they read, and from when.
    logins: HashMap<ConnId, (String, u64)>,
    /// Reports at the workers per table, oldest first: from when, and the
    /// players each may write.
    writes: HashMap<TableSerial, VecDeque<(u64, Vec<String>)>>,
}

#[derive(Debug, Default)]
struct NameOrder {
    /// Jobs in flight that read or write this player's statistics.
    jobs: u32,
    /// Per game, the last change completed while a job was in flight.
    changed: Vec<(String, u64)>,
    /// Per game, the reload in flight and when it was submitted.
    reloading: Vec<(String, u64)>,
}

impl NameOrder {
    fn changed_after(&self, game: &str, ticket: u64) -> bool {
        self.changed
            .iter()
            .any(|(g, seq)| g == game && *seq > ticket)
    }
}

impl StatsOrder {
    fn begin(&mut self, name: &str) {
        self.names.entry(name.to_string()).or_default().jobs += 1;
    }

    fn end(&mut self, name: &str) {
        if let Some(order) = self.names.get_mut(name) {
            order.jobs = order.jobs.saturating_sub(1);
            if order.jobs == 0 {
                self.names.remove(name);
            }
        }
    }

    /// A change of `name`'s statistics for `game` completed: jobs in
    /// flight for that player submitted before now may have missed it.
    pub(crate) fn changed(&mut self, name: &str, game: &str) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(order) = self.names.get_mut(name) {
            match order.changed.iter_mut().find(|(g, _)| g == game) {
                Some((_, at)) => *at = seq,
                None => order.changed.push((game.to_string(), seq)),
            }
        }
    }

    /// A login job reading `name`'s statistics was submitted.
    pub(crate) fn login_begun(&mut self, conn: ConnId, name: &str) {
        if let Some((old, _)) = self.logins.remove(&conn) {
            self.end(&old);
        }
        self.begin(name);
        self.logins.insert(conn, (name.to_string(), self.seq));
    }

    /// A login job came back: the player's name and the games whose
    /// statistics changed after it was submitted (read them again).
    pub(crate) fn login_done(&mut self, conn: ConnId) -> Option<(String, Vec<String>)> {
        let (name, ticket) = self.logins.remove(&conn)?;
        let stale = self
            .names
            .get(&name)
            .map(|o| {
                o.changed
                    .iter()
                    .filter(|(_, seq)| *seq > ticket)
                    .map(|(g, _)| g.clone())
                    .collect()
            })
            .unwrap_or_default();
        self.end(&name);
        Some((name, stale))
    }

    /// A reload of `name`'s statistics for `game` is wanted: true when it
    /// is to be submitted now, false when one is in flight already (its
    /// answer will be found stale and read again if needed).
    pub(crate) fn reload_begun(&mut self, name: &str, game: &str) -> bool {
        let seq = self.seq;
        let order = self.names.entry(name.to_string()).or_default();
        if order.reloading.iter().any(|(g, _)| g == game) {
            return false;
        }
        order.reloading.push((game.to_string(), seq));
        order.jobs += 1;
        true
    }

    /// A reload came back: whether its rows may be shown (no change of
    /// the same player and game completed since it was submitted). A
    /// reload not known here is taken as stale.
    pub(crate) fn reload_done(&mut self, name: &str, game: &str) -> bool {
        let Some(order) = self.names.get_mut(name) else {
            return false;
        };
        let Some(at) = order.reloading.iter().position(|(g, _)| g == game) else {
            return false;
        };
        let (_, ticket) = order.reloading.swap_remove(at);
        let fresh = !order.changed_after(game, ticket);
        self.end(name);
        fresh
    }

    /// A report of table `serial` naming these players was submitted.
    pub(crate) fn write_begun(&mut self, serial: TableSerial, names: Vec<String>) {
        for name in &names {
            self.begin(name);
        }
        self.writes
            .entry(serial)
            .or_default()
            .push_back((self.seq, names));
    }

    /// A report of table `serial` for `game` came back with rows for
    /// `written`: for each, whether its rows may be shown. Then the write
    /// counts as a change of each of them.
    ///
    /// Two reports of one table in flight may finish in either order; the
    /// older one's submission is used for both, which at worst reads once
    /// more than needed.
    pub(crate) fn write_done(
        &mut self,
        serial: TableSerial,
        game: &str,
        written: &[String],
    ) -> Vec<bool> {
        let (ticket, names) = match self.writes.get_mut(&serial) {
            Some(queue) => {
                let front = queue.pop_front();
                if queue.is_empty() {
                    self.writes.remove(&serial);
                }
                front.unwrap_or_default()
            }
            None => (0, Vec::new()),
        };
        let fresh = written
            .iter()
            .map(|name| {
                !self
                    .names
                    .get(name)
                    .is_some_and(|o| o.changed_after(game, ticket))
            })
            .collect();
        // One change for the whole report: it committed at one moment.
        self.seq += 1;
        let seq = self.seq;
        for name in written {
            if let Some(order) = self.names.get_mut(name) {
                match order.changed.iter_mut().find(|(g, _)| g == game) {
                    Some((_, at)) => *at = seq,
                    None => order.changed.push((game.to_string(), seq)),
                }
            }
        }
        for name in &names {
            self.end(name);
        }
        fresh
    }

    /// Players remembered (for tests: nothing is kept once no job is in
    /// flight).
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.names.len() + self.logins.len() + self.writes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: ConnId = ConnId {
        slot: 1,
        generation: 1,
    };

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_login_that_read_before_a_reports_commit_reads_again() {
        let mut order = StatsOrder::default();
        order.write_begun(7, names(&["alice", "bob"]));
        order.login_begun(C1, "alice");
        // The report commits and comes back while the login is running.
        assert_eq!(
            order.write_done(7, "TicTacToe", &names(&["alice", "bob"])),
            vec![true, true]
        );
        let (name, stale) = order.login_done(C1).unwrap_or_default();
        assert_eq!((name.as_str(), stale), ("alice", names(&["TicTacToe"])));
        assert_eq!(order.remembered(), 0);
    }

    #[test]
    fn a_login_submitted_after_the_report_came_back_is_fresh() {
        let mut order = StatsOrder::default();
        order.write_begun(7, names(&["alice"]));
        order.write_done(7, "TicTacToe", &names(&["alice"]));
        order.login_begun(C1, "alice");
        assert_eq!(
            order.login_done(C1),
            Some(("alice".to_string(), Vec::new()))
        );
        // A report still in flight when the login ends is shown when it
        // comes back: the player is logged in by then.
        order.write_begun(8, names(&["alice"]));
        order.login_begun(C1, "alice");
        assert_eq!(
            order.login_done(C1),
            Some(("alice".to_string(), Vec::new()))
        );
        assert_eq!(order.write_done(8, "TicTacToe", &names(&["alice"])), [true]);
        assert_eq!(order.remembered(), 0);
    }

    #[test]
    fn another_nodes_change_during_a_login_reads_again_only_that_game() {
        let mut order = StatsOrder::default();
        order.login_begun(C1, "bob");
        order.changed("bob", "Chess");
        order.changed("carol", "TicTacToe");
        assert_eq!(
            order.login_done(C1),
            Some(("bob".to_string(), names(&["Chess"])))
        );
        assert_eq!(order.remembered(), 0);
    }

    #[test]
    fn reports_of_one_player_that_finish_out_of_order_are_read_again() {
        let mut order = StatsOrder::default();
        order.write_begun(1, names(&["alice"]));
        order.write_begun(2, names(&["alice"]));
        // The second table's report comes back first: nothing completed
        // since it was submitted, its rows are shown.
        assert_eq!(order.write_done(2, "TicTacToe", &names(&["alice"])), [true]);
        // The first one's rows may be older than what is shown now.
        assert_eq!(
            order.write_done(1, "TicTacToe", &names(&["alice"])),
            [false]
        );
        assert_eq!(order.remembered(), 0);
    }

    #[test]
    fn one_reload_at_a_time_and_a_stale_one_is_told() {
        let mut order = StatsOrder::default();
        assert!(order.reload_begun("bob", "TicTacToe"));
        assert!(!order.reload_begun("bob", "TicTacToe"));
        assert!(order.reload_begun("bob", "Chess"));
        order.changed("bob", "TicTacToe");
        assert!(!order.reload_done("bob", "TicTacToe"));
        assert!(order.reload_done("bob", "Chess"));
        // Unknown answers are not believed.
        assert!(!order.reload_done("bob", "Chess"));
        assert_eq!(order.remembered(), 0);
        // Once no reload is in flight, the next one goes.
        assert!(order.reload_begun("bob", "TicTacToe"));
        assert!(order.reload_done("bob", "TicTacToe"));
    }

    #[test]
    fn changes_of_players_without_jobs_are_not_kept() {
        let mut order = StatsOrder::default();
        for n in 0..1000 {
            order.changed(&format!("p{n}"), "TicTacToe");
        }
        assert_eq!(order.remembered(), 0);
        // An unknown report's answer is counted as submitted long ago.
        assert_eq!(order.write_done(99, "TicTacToe", &names(&["x"])), [true]);
        assert_eq!(order.remembered(), 0);
    }
}
