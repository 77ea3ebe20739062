//! INFO about the players at a table, and the audience of table chat.

use crate::proto::reply as r;
use crate::proto::types::SeatKind;
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Sink, msg};

impl Zone {
    // ----- INFO and RANKINGS ----------------------------------------------

    pub(crate) fn on_info(&self, conn: ConnId, seat: Option<i64>, sink: &mut dyn Sink) {
        if self.cluster_info_out(conn, seat, sink) {
            return;
        }
        let Some((room, place)) = self.player(conn).and_then(|p| p.room.zip(p.place)) else {
            return;
        };
        let Some(rows) = self.info_rows(room, place.table, seat) else {
            return;
        };
        sink.send(conn, &msg(info_text(&rows)));
    }

    /// One (seat, realname, host) per seat of the table that holds a
    /// player (only `seat` when named). Players of other nodes have no
    /// connection here: their node said them with the JOIN
    /// (`cluster_seat_info.rs`).
    pub(crate) fn info_rows(
        &self,
        room: u32,
        id: u32,
        seat: Option<i64>,
    ) -> Option<Vec<(u32, String, String)>> {
        let table = self.table(room, id)?;
        let peers = self
            .games
            .get(table.game)
            .is_some_and(|g| g.desc.allow_peers);
        let mut rows = Vec::new();
        for (num, s) in table.seats.iter().enumerate() {
            if seat.is_some_and(|want| want != num as i64) || s.kind != SeatKind::Player {
                continue;
            }
            let Some(occupant) = s.occupant else {
                continue;
            };
            let remote = self.guest_details(occupant);
            let realname = self
                .player(occupant)
                .map(|p| p.real_name.clone())
                .or_else(|| remote.map(|d| d.realname.clone()))
                .unwrap_or_default();
            let host = if peers {
                self.session(occupant)
                    .map(|s| s.peer.to_string())
                    .or_else(|| remote.map(|d| d.host.clone()))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            rows.push((num as u32, realname, host));
        }
        Some(rows)
    }

    /// Everyone seated or watching at the player's table, for table chat.
    pub(crate) fn table_audience(&self, conn: ConnId) -> Option<Vec<ConnId>> {
        let (room, place) = self.player(conn).and_then(|p| p.room.zip(p.place))?;
        let table = self.table(room, place.table)?;
        let mut audience: Vec<ConnId> = table.seats.iter().filter_map(|s| s.occupant).collect();
        audience.extend(table.spectators.iter().flatten().map(|s| s.conn));
        // Players of other nodes hear it through their node.
        audience.retain(|c| self.player(*c).is_some());
        Some(audience)
    }
}

/// The INFO answer for rows of [`Zone::info_rows`].
pub(crate) fn info_text(rows: &[(u32, String, String)]) -> String {
    let views: Vec<r::PlayerInfoView> = rows
        .iter()
        .map(|(seat, realname, host)| r::PlayerInfoView {
            seat: *seat,
            realname,
            photo: "",
            host,
        })
        .collect();
    r::info(&views)
}
