//! Statistics across nodes (docs/cluster.md §8): a table's node writes its
//! results to the shared database, and each remote player's own node reads
//! that player's new statistics back, so its room (and, through its PLAYER
//! frame, every other node) shows them right after the game rather than
//! at the player's next login. Reads that may have missed a write, on one
//! node as on several, are read again (`stats_order.rs`).

use super::Zone;
use super::effects::{ConnId, Job, Sink};
use crate::cluster::{LinkMsg, Outbound};
use crate::config::canonical_name;
use crate::store::StatsRecord;

impl Zone {
    /// A stored report named `handle`, who is not logged in here: if a
    /// player of another node has that name, that node reads the new
    /// statistics. For a report just stored (`live`, not one held during
    /// an outage), every node hears it, whether or not its table is still
    /// here: the player may be logging in again anywhere, and a login
    /// that read before the write must learn of it (`stats_order.rs`).
    pub(crate) fn cluster_stats_changed(
        &self,
        handle: &str,
        game: &str,
        live: bool,
        sink: &mut dyn Sink,
    ) {
        let Some(cluster) = self.cluster.as_ref() else {
            return;
        };
        let msg = LinkMsg::StatsChanged {
            player: handle.to_string(),
            game: game.to_string(),
        };
        if live {
            sink.cluster(Outbound::All(msg));
        } else if let Some(player) = cluster.view.get(&canonical_name(handle)) {
            sink.cluster(Outbound::To(player.node.clone(), msg));
        }
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
    /// worker, then shown (`on_stats_reloaded`). If its login is running
    /// here, that login will read them again when it ends.
    pub(crate) fn on_cluster_stats_changed(
        &mut self,
        node: &str,
        player: &str,
        game: &str,
        sink: &mut dyn Sink,
    ) {
        if !self.games.iter().any(|g| g.desc.name.get(None) == game) {
            if self.names.contains_key(&canonical_name(player)) {
                log::warn!(target: "cluster", "{node} names a game {} that this node does not have", super::tables::escape_log(game, 64));
            }
            return;
        }
        let canonical = canonical_name(player);
        self.stats_order.changed(&canonical, game);
        if self.names.contains_key(&canonical) {
            self.reload_stats(&canonical, game, sink);
        }
    }

    /// Reads a logged-in player's statistics for `game` again, unless a
    /// read is already at the workers (whose answer is checked).
    pub(crate) fn reload_stats(&mut self, canonical: &str, game: &str, sink: &mut dyn Sink) {
        if self.stats_order.reload_begun(canonical, game) {
            sink.submit(Job::ReloadStats {
                handle: canonical.to_string(),
                game: game.to_string(),
            });
        }
    }

    /// A login ended: the games whose statistics changed while it read
    /// them are read again if the login succeeded.
    pub(crate) fn reread_stale_login(
        &mut self,
        conn: ConnId,
        canonical: &str,
        games: Vec<String>,
        sink: &mut dyn Sink,
    ) {
        if self.names.get(canonical) != Some(&conn) {
            return;
        }
        for game in games {
            log::debug!(target: "tables", "{canonical} logged in while a {game} result was stored: reading again");
            self.reload_stats(canonical, &game, sink);
        }
    }

    /// A reload came back: shown if nothing changed meanwhile, read again
    /// if something did, as for a late report otherwise.
    pub fn on_stats_reloaded(
        &mut self,
        handle: &str,
        game: &str,
        stats: Option<StatsRecord>,
        sink: &mut dyn Sink,
    ) {
        let canonical = canonical_name(handle);
        let fresh = self.stats_order.reload_done(&canonical, game);
        if !self.names.contains_key(&canonical) {
            return;
        }
        let Some(stats) = stats else {
            return;
        };
        if fresh {
            self.show_late_stats(game, vec![(handle.to_string(), stats)], sink);
        } else {
            self.reload_stats(&canonical, game, sink);
        }
    }
}
