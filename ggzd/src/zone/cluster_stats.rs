//! Statistics across nodes (docs/cluster.md §8): a table's node writes its
//! results to the shared database, and each remote player's own node reads
//! that player's new statistics back, so its room (and, through its PLAYER
//! frame, every other node) shows them right after the game rather than
//! at the player's next login.

use super::Zone;
use super::effects::{Job, Sink};
use crate::cluster::{LinkMsg, Outbound};
use crate::config::canonical_name;

impl Zone {
    /// A stored report named `handle`, who is not logged in here: if a
    /// player of another node has that name, that node reads the new
    /// statistics.
    pub(crate) fn cluster_stats_changed(&self, handle: &str, game: &str, sink: &mut dyn Sink) {
        let Some(player) = self
            .cluster
            .as_ref()
            .and_then(|c| c.view.get(&canonical_name(handle)))
        else {
            return;
        };
        sink.cluster(Outbound::To(
            player.node.clone(),
            LinkMsg::StatsChanged {
                player: handle.to_string(),
                game: game.to_string(),
            },
        ));
    }

    /// Whether a player of another node is logged in with a registered
    /// account (for the played game's record).
    pub(crate) fn remote_registered(&self, canonical: &str) -> bool {
        self.cluster
            .as_ref()
            .and_then(|c| c.view.get(canonical))
            .is_some_and(|p| !p.info.guest)
    }

    /// Another node stored a report naming `player`: if it is logged in
    /// here and `game` is one of ours, its statistics are read again on a
    /// worker, then shown as for a late report (`on_late_report`).
    pub(crate) fn on_cluster_stats_changed(
        &self,
        node: &str,
        player: &str,
        game: &str,
        sink: &mut dyn Sink,
    ) {
        if !self.names.contains_key(&canonical_name(player)) {
            return;
        }
        if !self.games.iter().any(|g| g.desc.name.get(None) == game) {
            log::warn!(target: "cluster", "{node} names a game {} that this node does not have", super::tables::escape_log(game, 64));
            return;
        }
        sink.submit(Job::ReloadStats {
            handle: player.to_string(),
            game: game.to_string(),
        });
    }
}
