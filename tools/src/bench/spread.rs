//! Several targets (`-s` given more than once: the nodes of one zone):
//! player connections go round robin across them, and a player's game
//! channel goes to the node that player logged in on (a channel is only
//! accepted by the node holding its player). Counts per target are shared
//! by every engine of a run, for the report's `targets` row.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The targets of a run and how many player connections each received.
#[derive(Debug, Clone)]
pub struct Targets {
    servers: Vec<SocketAddr>,
    counts: Arc<Vec<AtomicU64>>,
}

impl Targets {
    /// `servers` must not be empty (the caller resolved at least one).
    pub fn new(servers: Vec<SocketAddr>) -> Targets {
        let counts = Arc::new(servers.iter().map(|_| AtomicU64::new(0)).collect());
        Targets { servers, counts }
    }

    pub fn servers(&self) -> &[SocketAddr] {
        &self.servers
    }

    /// `addr=connections` per target, space separated: the report's
    /// `targets` row.
    pub fn summary(&self) -> String {
        self.servers
            .iter()
            .zip(self.counts.iter())
            .map(|(s, n)| format!("{s}={}", n.load(Ordering::Relaxed)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One engine's choice of target per connection.
#[derive(Debug)]
pub struct Spread {
    targets: Targets,
    next: usize,
    /// Which target each player name was sent to, for its channels.
    by_name: HashMap<String, usize>,
}

impl Spread {
    pub fn new(targets: Targets) -> Spread {
        Spread {
            targets,
            next: 0,
            by_name: HashMap::new(),
        }
    }

    /// The target for a new player connection named `name`.
    pub fn player(&mut self, name: &str) -> SocketAddr {
        let n = self.targets.servers.len().max(1);
        let i = self.next % n;
        self.next = self.next.wrapping_add(1);
        if let Some(count) = self.targets.counts.get(i) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.by_name.insert(name.to_owned(), i);
        self.at(i)
    }

    /// The index of the target `name` was sent to, if it was.
    pub fn node_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The target for a game channel of `name`: where it logged in, or
    /// the first target for a name never seen.
    pub fn channel(&self, name: &str) -> SocketAddr {
        self.at(self.by_name.get(name).copied().unwrap_or(0))
    }

    fn at(&self, i: usize) -> SocketAddr {
        self.targets
            .servers
            .get(i)
            .or(self.targets.servers.first())
            .copied()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5688)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn players_go_round_robin_and_channels_follow_their_player() {
        let targets = Targets::new(vec![addr(1), addr(2), addr(3)]);
        let mut a = Spread::new(targets.clone());
        let got: Vec<u16> = ["p0", "p1", "p2", "p3"]
            .iter()
            .map(|n| a.player(n).port())
            .collect();
        assert_eq!(got, [1, 2, 3, 1]);
        assert_eq!(a.channel("p1").port(), 2);
        assert_eq!(a.channel("p3").port(), 1);
        assert_eq!(a.channel("stranger").port(), 1);
        assert_eq!(a.node_of("p1"), Some(1));
        assert_eq!(a.node_of("stranger"), None);
        // A second engine of the same run counts into the same figures.
        let mut b = Spread::new(targets.clone());
        b.player("q");
        assert_eq!(
            targets.summary(),
            "127.0.0.1:1=3 127.0.0.1:2=1 127.0.0.1:3=1"
        );
    }

    #[test]
    fn one_target_takes_everything() {
        let targets = Targets::new(vec![addr(7)]);
        let mut s = Spread::new(targets.clone());
        assert_eq!(s.player("a"), addr(7));
        assert_eq!(s.player("b"), addr(7));
        assert_eq!(s.channel("a"), addr(7));
        assert_eq!(targets.summary(), "127.0.0.1:7=2");
    }
}
