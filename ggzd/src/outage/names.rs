//! Registered names this ggzd has seen (logins, registrations, guest
//! lookups that found an account), so that while the store is away a
//! guest cannot take a name known to be registered. Bounded: the oldest
//! entries are forgotten first. A registered name never seen since ggzd
//! started is not protected during an outage (docs/postgresql.md §5).

use std::collections::{HashSet, VecDeque};

#[derive(Debug)]
pub struct KnownNames {
    set: HashSet<String>,
    order: VecDeque<String>,
    cap: usize,
}

impl KnownNames {
    pub fn new(cap: usize) -> KnownNames {
        KnownNames {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// Remembers a canonical name as registered.
    pub fn insert(&mut self, canonical: &str) {
        if self.cap == 0 || self.set.contains(canonical) {
            return;
        }
        while self.order.len() >= self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(canonical.to_owned());
        self.order.push_back(canonical.to_owned());
    }

    pub fn contains(&self, canonical: &str) -> bool {
        self.set.contains(canonical)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_up_to_the_cap_forgetting_the_oldest() {
        let mut n = KnownNames::new(2);
        n.insert("alice");
        n.insert("bob");
        n.insert("alice");
        assert_eq!(n.len(), 2);
        n.insert("carol");
        assert!(!n.contains("alice"));
        assert!(n.contains("bob") && n.contains("carol"));
        let mut none = KnownNames::new(0);
        none.insert("x");
        assert!(none.is_empty());
    }
}
