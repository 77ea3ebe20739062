//! INFO of seats held by players of other nodes (docs/cluster.md §8,
//! "Table chat and INFO"): the table's node has no connection of theirs,
//! so the player's own node sends what it knows once the JOIN is granted
//! (SEAT_INFO, as it starts relaying the channel): the real name, and the
//! address only when the table's game allows peers, as INFO shows it
//! locally (docs/client-server.md §11.6). The table's node keeps them
//! with the token, then with the seated player (the relay connection and
//! the link race), and nowhere else.

use super::Zone;
use super::effects::{ConnId, Sink};
use super::login::truncate_utf8;
use crate::cluster::{LinkMsg, Outbound};

/// The link's short strings hold at most this many bytes.
const SHORT_MAX: usize = 256;

/// A remote player's real name and host, for INFO.
#[derive(Debug, Default, Clone)]
pub(crate) struct SeatDetails {
    pub(crate) realname: String,
    pub(crate) host: String,
}

impl Zone {
    /// A forwarded JOIN was granted: tells `node` the player's real name,
    /// and its address if the game of room `room` (a key) allows peers.
    pub(crate) fn send_seat_info(&self, conn: ConnId, node: &str, room: &str, sink: &mut dyn Sink) {
        let Some(player) = self.player(conn) else {
            return;
        };
        let peers = self
            .room_by_key(room)
            .and_then(|id| self.room(id))
            .and_then(|r| r.game)
            .and_then(|g| self.games.get(g))
            .is_some_and(|g| g.desc.allow_peers);
        let host = if peers {
            self.session(conn)
                .map(|s| s.peer.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        sink.cluster(Outbound::To(
            node.to_string(),
            LinkMsg::SeatInfo {
                player: player.name.clone(),
                realname: truncate_utf8(&player.real_name, SHORT_MAX).to_string(),
                host: truncate_utf8(&host, SHORT_MAX).to_string(),
            },
        ));
    }

    /// SEAT_INFO from `node`: kept with that player's token, or with the
    /// seated player if the relay came first; otherwise dropped.
    pub(crate) fn on_seat_info(
        &mut self,
        node: &str,
        player: &str,
        realname: String,
        host: String,
    ) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        let grant = c
            .seats
            .grants
            .values_mut()
            .filter(|g| g.node == node && g.name.eq_ignore_ascii_case(player))
            .max_by_key(|g| g.expires);
        let details = SeatDetails { realname, host };
        if let Some(grant) = grant {
            grant.details = details;
        } else if let Some(guest) = c
            .seats
            .guests
            .values_mut()
            .find(|g| g.node == node && g.name.eq_ignore_ascii_case(player))
        {
            guest.details = details;
        }
    }

    /// The real name and host of the player of another node whose
    /// stand-in is `occupant`, if it is one.
    pub(crate) fn guest_details(&self, occupant: ConnId) -> Option<&SeatDetails> {
        let c = self.cluster.as_ref()?;
        c.seats.guests.get(&occupant).map(|g| &g.details)
    }
}
