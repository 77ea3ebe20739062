//! `[cluster]`: this node's name and node-link address, when several ggzd
//! nodes on one PostgreSQL act as one zone (docs/cluster.md).

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

/// Longest node name, in bytes: it travels in every HELLO and is a key in
/// the registry.
pub const MAX_NODE_NAME: usize = 64;

/// `[cluster]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// This node's name; empty (the default) runs no cluster at all.
    pub node: String,
    /// Where the node links are accepted, e.g. `127.0.0.1:7000`.
    pub listen: String,
    /// The address other nodes dial; empty = the bound `listen` address.
    pub advertise: String,
    /// Seconds between two heartbeats in the registry.
    pub heartbeat: u32,
    /// Seconds without a heartbeat after which a node counts as dead.
    pub dead_after: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            node: String::new(),
            listen: "127.0.0.1:0".into(),
            advertise: String::new(),
            heartbeat: 2,
            dead_after: 10,
        }
    }
}

impl ClusterConfig {
    /// Whether this ggzd is a node of a cluster.
    pub fn enabled(&self) -> bool {
        !self.node.is_empty()
    }

    /// Semantic checks: the dotted key and what is wrong. That a cluster
    /// needs PostgreSQL is checked by the caller, which sees `[database]`.
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if !self.enabled() {
            return Ok(());
        }
        if self.node.len() > MAX_NODE_NAME
            || !self
                .node
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err((
                "cluster.node",
                format!("must be 1 to {MAX_NODE_NAME} letters, digits, '-', '_' or '.'"),
            ));
        }
        if self.listen.parse::<SocketAddr>().is_err() {
            return Err((
                "cluster.listen",
                "must be an address and port, e.g. \"127.0.0.1:7000\"".into(),
            ));
        }
        if !self.advertise.is_empty() && self.advertise.parse::<SocketAddr>().is_err() {
            return Err((
                "cluster.advertise",
                "must be an address and port, e.g. \"192.0.2.7:7000\"".into(),
            ));
        }
        if self.heartbeat == 0 || self.heartbeat > 3600 {
            return Err(("cluster.heartbeat", "must be 1 to 3600 seconds".into()));
        }
        if self.dead_after <= self.heartbeat || self.dead_after > 86_400 {
            return Err((
                "cluster.dead_after",
                "must be more than cluster.heartbeat and at most 86400 seconds".into(),
            ));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.parse().ok()
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(u64::from(self.heartbeat))
    }

    pub fn dead_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.dead_after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> ClusterConfig {
        ClusterConfig {
            node: name.into(),
            ..ClusterConfig::default()
        }
    }

    #[test]
    fn off_by_default_and_a_plain_node_passes() {
        let c = ClusterConfig::default();
        assert!(!c.enabled());
        assert!(c.check().is_ok());
        assert!(node("node-a.1").check().is_ok());
        assert_eq!(node("a").heartbeat(), Duration::from_secs(2));
        assert_eq!(node("a").dead_after(), Duration::from_secs(10));
    }

    #[test]
    fn bad_values_name_their_key() {
        assert_eq!(node("a b").check().unwrap_err().0, "cluster.node");
        assert_eq!(
            node(&"x".repeat(MAX_NODE_NAME + 1)).check().unwrap_err().0,
            "cluster.node"
        );
        let mut c = node("a");
        c.listen = "nowhere".into();
        assert_eq!(c.check().unwrap_err().0, "cluster.listen");
        let mut c = node("a");
        c.advertise = "also nowhere".into();
        assert_eq!(c.check().unwrap_err().0, "cluster.advertise");
        let mut c = node("a");
        c.heartbeat = 0;
        assert_eq!(c.check().unwrap_err().0, "cluster.heartbeat");
        let mut c = node("a");
        c.dead_after = 2;
        assert_eq!(c.check().unwrap_err().0, "cluster.dead_after");
    }
}
