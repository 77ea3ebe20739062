//! INFO about the players at a table, and the audience of table chat.

use crate::proto::reply as r;
use crate::proto::types::SeatKind;
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Sink, msg};

impl Zone {
    // ----- INFO and RANKINGS ----------------------------------------------

    pub(crate) fn on_info(&self, conn: ConnId, seat: Option<i64>, sink: &mut dyn Sink) {
        let Some((room, place)) = self.player(conn).and_then(|p| p.room.zip(p.place)) else {
            return;
        };
        let Some(table) = self.table(room, place.table) else {
            return;
        };
        let peers = self
            .games
            .get(table.game)
            .is_some_and(|g| g.desc.allow_peers);
        let mut hosts = Vec::new();
        for (num, s) in table.seats.iter().enumerate() {
            if seat.is_some_and(|want| want != num as i64) || s.kind != SeatKind::Player {
                continue;
            }
            let Some(occupant) = s.occupant else {
                continue;
            };
            let realname = self
                .player(occupant)
                .map(|p| p.real_name.clone())
                .unwrap_or_default();
            let host = if peers {
                self.session(occupant)
                    .map(|s| s.peer.to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            hosts.push((num as u32, realname, host));
        }
        let views: Vec<r::PlayerInfoView> = hosts
            .iter()
            .map(|(seat, realname, host)| r::PlayerInfoView {
                seat: *seat,
                realname,
                photo: "",
                host,
            })
            .collect();
        sink.send(conn, &msg(r::info(&views)));
    }

    /// Everyone seated or watching at the player's table, for table chat.
    pub(crate) fn table_audience(&self, conn: ConnId) -> Option<Vec<ConnId>> {
        let (room, place) = self.player(conn).and_then(|p| p.room.zip(p.place))?;
        let table = self.table(room, place.table)?;
        let mut audience: Vec<ConnId> = table.seats.iter().filter_map(|s| s.occupant).collect();
        audience.extend(table.spectators.iter().flatten().map(|s| s.conn));
        Some(audience)
    }
}
