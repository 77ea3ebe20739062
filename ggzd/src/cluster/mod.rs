//! Several ggzd nodes on one PostgreSQL acting as one zone
//! (docs/cluster.md). The pure core: the node-link wire (`codec`), who is
//! alive and who dials whom (`membership`), and the players of other nodes
//! (`view`), the tables of other nodes (`tables`). The sockets, the registry thread and its doorbell are the
//! event loop's (`server/cluster*.rs`); the zone shows the view to players
//! (`zone/cluster.rs`).

pub mod codec;
pub mod membership;
pub mod outbox;
pub mod queues;
pub mod tables;
pub mod view;

pub use codec::{LinkMsg, PlayerInfo};

/// What the zone asks to send to other nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// To every node.
    All(LinkMsg),
    /// To the node named.
    To(String, LinkMsg),
    /// Relay the prepared game channel `channel` (a client connection of
    /// this node) to a table of `node`, presenting `token`
    /// (docs/cluster.md §8).
    Relay {
        channel: crate::zone::ConnId,
        node: String,
        token: [u8; 16],
    },
}
