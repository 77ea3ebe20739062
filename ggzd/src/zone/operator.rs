//! The operator's view of the zone and the actions the control socket asks
//! for (docs/control.md). Moderation goes through the same code as ADMIN
//! from a host (`admin.rs`); only the permission checks differ: the
//! operator may act on anyone.

use std::time::Instant;

use super::effects::{Job, Moderator, Sink, msg};
use super::perms;
use super::session::State;
use super::{Zone, unix_now};
use crate::metrics::{ConnectionCounts, ZoneMetrics};
use crate::proto::reply as r;
use crate::proto::types::ResultCode;

/// One logged-in player, for `who`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerInfo {
    pub name: String,
    /// guest, normal, host, admin or bot.
    pub kind: &'static str,
    pub address: String,
    pub room: Option<(u32, String)>,
    pub table: Option<u32>,
    pub lag: u8,
    pub gagged: bool,
}

/// One seat of a table, for `tables`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatInfo {
    /// player, open, bot, reserved, abandoned (lower-case seat kind).
    pub kind: String,
    pub name: Option<String>,
}

/// One live table, for `tables`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub room: u32,
    pub room_name: String,
    pub id: u32,
    pub game: String,
    pub status: String,
    pub owner: String,
    pub description: String,
    pub seats: Vec<SeatInfo>,
    pub spectators: Vec<String>,
}

/// Counts for `status`, the STATUS= line and the metrics gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    pub connections: ConnectionCounts,
    pub rooms: usize,
    /// Live tables by (untranslated) game name, for every listed game.
    pub tables: Vec<(String, usize)>,
    pub tables_total: usize,
    /// LOGINs waiting in the fair queue for a free worker.
    pub login_queue: usize,
}

/// The moderation verbs of the control socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    Kick { reason: String },
    Gag,
    Ungag,
    Ban { reason: String },
}

/// How a moderation request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderated {
    Done,
    /// A ban was handed to the workers; `JobDone::Banned` carries the
    /// ticket back.
    BanPending,
    /// Refused with this code (`usr lookup`: not online).
    Refused(ResultCode),
}

impl Zone {
    /// Numbers the zone keeps for the metrics endpoint.
    pub fn metrics(&self) -> &ZoneMetrics {
        &self.metrics
    }

    pub fn uptime(&self, now: Instant) -> std::time::Duration {
        now.saturating_duration_since(self.started)
    }

    /// Untranslated game names by game id (retired ones included).
    pub fn game_names(&self) -> Vec<String> {
        self.games
            .iter()
            .map(|g| g.desc.name.get(None).to_string())
            .collect()
    }

    pub fn census(&self) -> Census {
        let mut connections = ConnectionCounts::default();
        for session in self.sessions.iter().flatten() {
            match session.state {
                State::Fresh => connections.fresh += 1,
                State::LoggingIn(_) => connections.logging_in += 1,
                State::Player(_) => connections.players += 1,
                State::Channel { .. } | State::Handed { .. } => connections.channels += 1,
            }
        }
        let mut tables: Vec<(String, usize)> = self
            .games
            .iter()
            .filter(|g| !g.retired)
            .map(|g| (g.desc.name.get(None).to_string(), 0))
            .collect();
        for &(room, id) in self.table_index.values() {
            let Some(table) = self.table(room, id) else {
                continue;
            };
            let Some(name) = self.games.get(table.game).map(|g| g.desc.name.get(None)) else {
                continue;
            };
            match tables.iter_mut().find(|(n, _)| n == name) {
                Some((_, count)) => *count += 1,
                None => tables.push((name.to_string(), 1)),
            }
        }
        Census {
            connections,
            rooms: self.rooms.iter().flatten().count(),
            tables,
            tables_total: self.table_index.len(),
            login_queue: self.login_queue.len(),
        }
    }

    /// Logged-in players, by name.
    pub fn who(&self) -> Vec<PlayerInfo> {
        let mut players: Vec<PlayerInfo> = self
            .names
            .values()
            .filter_map(|conn| {
                let session = self.session(*conn)?;
                let p = session.player()?;
                let room = p.room.and_then(|id| {
                    let room = self.rooms.get(id as usize)?.as_ref()?;
                    Some((id, room.desc.name.get(None).to_string()))
                });
                Some(PlayerInfo {
                    name: p.name.clone(),
                    kind: perms::player_kind(p.guest, p.perms).as_str(),
                    address: session.peer.to_string(),
                    room,
                    table: p.table(),
                    lag: p.lag,
                    gagged: p.gagged,
                })
            })
            .collect();
        players.sort_by(|a, b| a.name.cmp(&b.name));
        players
    }

    /// Live tables, by room and id.
    pub fn table_list(&self) -> Vec<TableInfo> {
        let mut list = Vec::new();
        for room in self.rooms.iter().flatten() {
            for table in room.tables.values() {
                list.push(TableInfo {
                    room: room.id,
                    room_name: room.desc.name.get(None).to_string(),
                    id: table.id,
                    game: self
                        .games
                        .get(table.game)
                        .map(|g| g.desc.name.get(None).to_string())
                        .unwrap_or_default(),
                    status: format!("{:?}", table.status).to_ascii_lowercase(),
                    owner: table.owner.clone(),
                    description: table.desc.clone(),
                    seats: table
                        .seats
                        .iter()
                        .map(|s| SeatInfo {
                            kind: format!("{:?}", s.kind).to_ascii_lowercase(),
                            name: s.name.clone(),
                        })
                        .collect(),
                    spectators: table
                        .spectators
                        .iter()
                        .flatten()
                        .map(|s| s.name.clone())
                        .collect(),
                });
            }
        }
        list
    }

    /// Gag, ungag, kick or ban for the operator. `ticket` comes back with
    /// a ban's commit. A ban of a player who is not online is kept by name
    /// alone, as `ggzduedit ban` does.
    pub fn operator_moderate(
        &mut self,
        ticket: u64,
        target_name: &str,
        action: Moderation,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Moderated {
        let canonical = crate::config::canonical_name(target_name);
        let target = self
            .names
            .get(&canonical)
            .copied()
            .filter(|c| self.player(*c).is_some());
        let operator = self.settings.admin_name.clone();
        let (verb, reason) = match action {
            Moderation::Kick { reason } => ("kick", Some(reason)),
            Moderation::Gag => ("gag", None),
            Moderation::Ungag => ("ungag", None),
            Moderation::Ban { reason } => ("ban", Some(reason)),
        };
        let Some(target) = target else {
            if verb != "ban" || canonical.is_empty() {
                return Moderated::Refused(ResultCode::UsrLookup);
            }
            let reason = reason.unwrap_or_default();
            log::info!(target: "admin", "the operator bans {target_name} (offline): {reason}");
            sink.submit(Job::Ban {
                admin: Moderator::Operator(ticket),
                name: canonical,
                address: None,
                reason: format!("{reason} (by the operator)"),
                now: unix_now(),
            });
            return Moderated::BanPending;
        };
        log::info!(target: "admin", "the operator asks: {verb} {target_name}");
        match self.moderate(
            Moderator::Operator(ticket),
            &operator,
            verb,
            (target, target_name),
            reason,
            now,
            sink,
        ) {
            None => Moderated::BanPending,
            Some(ResultCode::Ok) => Moderated::Done,
            Some(code) => Moderated::Refused(code),
        }
    }

    /// An announcement from the operator to every logged-in player,
    /// wherever they are. Returns how many got it.
    pub fn operator_announce(&mut self, text: &str, sink: &mut dyn Sink) -> usize {
        let line = msg(r::chat("announce", &self.settings.admin_name, Some(text)));
        log::info!(target: "admin", "the operator announces: {text}");
        let mut count = 0;
        for conn in self.names.values() {
            sink.send(*conn, &line);
            count += 1;
        }
        self.metrics.chat("announce");
        count
    }
}
