//! Membership: which nodes are alive, by the registry's heartbeats, and
//! which links this node should dial. The registry (PostgreSQL) is read
//! every heartbeat and whenever its doorbell rings; a node whose heartbeat
//! is older than `dead_after` is dead, and so is a node whose row vanished
//! (another node noticed first) or that came back with a new incarnation
//! (it restarted). Between two nodes there is one link, and the node with
//! the lower name dials it.

use std::collections::BTreeMap;
use std::time::Duration;

/// One row of the registry, with its heartbeat's age as the database's
/// clock measures it (so the nodes' clocks need not agree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub name: String,
    pub incarnation: u64,
    pub address: String,
    pub age: Duration,
}

/// What the IO shell must do after a registry reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open the link to this node.
    Dial { node: String, address: String },
    /// This incarnation of the node is dead: its players leave, its link
    /// goes, and (`forget`) its registry row and name claims are deleted.
    Dead {
        node: String,
        incarnation: u64,
        forget: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    None,
    Dialing,
    Up,
}

#[derive(Debug, Clone)]
struct Known {
    incarnation: u64,
    address: String,
    link: Link,
}

#[derive(Debug)]
pub struct Membership {
    me: String,
    dead_after: Duration,
    nodes: BTreeMap<String, Known>,
}

impl Membership {
    pub fn new(me: &str, dead_after: Duration) -> Membership {
        Membership {
            me: me.to_string(),
            dead_after,
            nodes: BTreeMap::new(),
        }
    }

    pub fn me(&self) -> &str {
        &self.me
    }

    /// Live nodes other than this one.
    pub fn peers(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    /// A fresh reading of the whole registry.
    pub fn observe(&mut self, rows: &[NodeRow]) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut seen = Vec::new();
        for row in rows.iter().filter(|r| r.name != self.me) {
            if row.age > self.dead_after {
                // Stale row: its node died. Whoever notices deletes it.
                self.nodes.remove(&row.name);
                actions.push(Action::Dead {
                    node: row.name.clone(),
                    incarnation: row.incarnation,
                    forget: true,
                });
                continue;
            }
            seen.push(row.name.as_str());
            let known = self.nodes.get(&row.name).cloned();
            let link = match known {
                // Incarnations grow (start times): this reading predates a
                // HELLO from the node's newer self.
                Some(k) if row.incarnation < k.incarnation => continue,
                Some(k) if k.incarnation != row.incarnation => {
                    // It restarted faster than `dead_after`: its old self
                    // is gone with everything it had.
                    actions.push(Action::Dead {
                        node: row.name.clone(),
                        incarnation: k.incarnation,
                        forget: false,
                    });
                    Link::None
                }
                Some(k) => k.link,
                None => Link::None,
            };
            self.nodes.insert(
                row.name.clone(),
                Known {
                    incarnation: row.incarnation,
                    address: row.address.clone(),
                    link,
                },
            );
        }
        let vanished: Vec<(String, u64)> = self
            .nodes
            .iter()
            .filter(|(name, _)| !seen.contains(&name.as_str()))
            .map(|(name, k)| (name.clone(), k.incarnation))
            .collect();
        for (node, incarnation) in vanished {
            self.nodes.remove(&node);
            actions.push(Action::Dead {
                node,
                incarnation,
                forget: false,
            });
        }
        for (name, known) in &mut self.nodes {
            if *name > self.me && known.link == Link::None {
                known.link = Link::Dialing;
                actions.push(Action::Dial {
                    node: name.clone(),
                    address: known.address.clone(),
                });
            }
        }
        actions
    }

    /// The link address `node` advertises in the registry, when known.
    pub fn address_of(&self, node: &str) -> Option<&str> {
        self.nodes
            .get(node)
            .map(|k| k.address.as_str())
            .filter(|a| !a.is_empty())
    }

    /// A link said HELLO as `node`. False when it must be dropped: it is
    /// this node's own name. A node the registry has not shown yet, or
    /// shows with an older incarnation, is taken at its word until the
    /// next reading.
    pub fn link_up(&mut self, node: &str, incarnation: u64) -> bool {
        if node == self.me {
            return false;
        }
        let entry = self.nodes.entry(node.to_string()).or_insert(Known {
            incarnation,
            address: String::new(),
            link: Link::None,
        });
        entry.incarnation = incarnation;
        entry.link = Link::Up;
        true
    }

    /// The link to `node` is gone; the next reading dials again (if this
    /// node is the one that dials).
    pub fn link_down(&mut self, node: &str) {
        if let Some(k) = self.nodes.get_mut(node) {
            k.link = Link::None;
        }
    }

    /// A dial that never said HELLO failed.
    pub fn dial_failed(&mut self, node: &str) {
        if let Some(k) = self.nodes.get_mut(node)
            && k.link == Link::Dialing
        {
            k.link = Link::None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, inc: u64, age: u64) -> NodeRow {
        NodeRow {
            name: name.into(),
            incarnation: inc,
            address: format!("127.0.0.1:{}", 7000 + inc),
            age: Duration::from_secs(age),
        }
    }

    fn dials(actions: &[Action]) -> Vec<&str> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Dial { node, .. } => Some(node.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_lower_name_dials_once() {
        let mut m = Membership::new("b", Duration::from_secs(10));
        let rows = [row("a", 1, 0), row("b", 2, 0), row("c", 3, 0)];
        let first = m.observe(&rows);
        assert_eq!(dials(&first), ["c"], "a dials b; b dials c");
        assert!(dials(&m.observe(&rows)).is_empty(), "already dialing");
        m.dial_failed("c");
        assert_eq!(dials(&m.observe(&rows)), ["c"]);
        assert!(m.link_up("c", 3));
        m.link_down("c");
        assert_eq!(
            dials(&m.observe(&rows)),
            ["c"],
            "a lost link is dialed again"
        );
        assert!(!m.link_up("b", 9), "a link claiming to be us");
        assert_eq!(m.peers().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(m.address_of("a"), Some("127.0.0.1:7001"));
        assert_eq!(m.address_of("z"), None);
    }

    #[test]
    fn a_silent_node_is_dead_and_forgotten_by_whoever_notices() {
        let mut m = Membership::new("a", Duration::from_secs(10));
        m.observe(&[row("b", 2, 1)]);
        let actions = m.observe(&[row("b", 2, 11)]);
        assert_eq!(
            actions,
            [Action::Dead {
                node: "b".into(),
                incarnation: 2,
                forget: true
            }]
        );
        assert_eq!(m.peers().count(), 0);
    }

    #[test]
    fn a_vanished_row_or_a_new_incarnation_ends_the_old_node() {
        let mut m = Membership::new("a", Duration::from_secs(10));
        m.observe(&[row("b", 2, 0), row("c", 3, 0)]);
        let actions = m.observe(&[row("b", 2, 0)]);
        assert_eq!(
            actions,
            [Action::Dead {
                node: "c".into(),
                incarnation: 3,
                forget: false
            }]
        );
        m.link_up("b", 2);
        let actions = m.observe(&[row("b", 5, 0)]);
        assert_eq!(
            actions[0],
            Action::Dead {
                node: "b".into(),
                incarnation: 2,
                forget: false
            }
        );
        assert_eq!(dials(&actions), ["b"], "the new incarnation is dialed");
    }

    #[test]
    fn a_reading_older_than_a_hello_changes_nothing() {
        let mut m = Membership::new("a", Duration::from_secs(10));
        m.observe(&[row("b", 2, 0)]);
        m.link_up("b", 4);
        assert!(m.observe(&[row("b", 2, 0)]).is_empty());
        assert!(m.observe(&[row("b", 4, 0)]).is_empty());
    }
}
