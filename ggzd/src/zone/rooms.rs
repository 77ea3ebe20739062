//! Rooms: entering and leaving, LIST requests, and rooms added, closed and
//! deleted by a reload.

use std::time::Instant;

use super::effects::{ConnId, Sink, msg};
use super::perms::{self, Perm};
use super::session::Player;
use super::{GameEntry, Zone};
use crate::proto::reply::{self as r, GameView, PlayerView, RoomView, StatsView};
use crate::proto::request::ListKind;
use crate::proto::types::ResultCode;
use crate::rooms::{EntryRestriction, RoomDesc};

pub(crate) struct Room {
    pub id: u32,
    pub desc: RoomDesc,
    /// Game type id; `None` for a chat-only room.
    pub game: Option<usize>,
    /// In order of arrival.
    pub players: Vec<ConnId>,
    /// Removed by a reload but still occupied: no one may enter, and it is
    /// deleted when the last player leaves.
    pub closing: bool,
    /// Last change of occupancy, for the periodic room updates.
    pub changed_at: Instant,
    /// Tables by id (1..=max_tables).
    pub tables: std::collections::BTreeMap<u32, super::tables::Table>,
}

impl Zone {
    pub(crate) fn add_room(&mut self, desc: RoomDesc, now: Instant) -> u32 {
        let id = self.rooms.len() as u32;
        let game = desc.game.as_deref().and_then(|name| {
            let found = self.game_by_name(name);
            if found.is_none() {
                log::warn!(
                    "room {}: game type {name:?} is not loaded; it becomes a chat room",
                    desc.key
                );
            }
            found
        });
        self.rooms.push(Some(Room {
            id,
            desc,
            game,
            players: Vec::new(),
            closing: false,
            changed_at: now,
            tables: std::collections::BTreeMap::new(),
        }));
        id
    }

    pub(crate) fn room(&self, id: u32) -> Option<&Room> {
        self.rooms.get(id as usize).and_then(Option::as_ref)
    }

    fn room_mut(&mut self, id: u32) -> Option<&mut Room> {
        self.rooms.get_mut(id as usize).and_then(Option::as_mut)
    }

    fn room_game(&self, room: u32) -> Option<&GameEntry> {
        self.room(room)
            .and_then(|r| r.game)
            .and_then(|g| self.games.get(g))
    }

    /// Sends `update` to everyone in the room, except `skip`; returns how
    /// many it reached.
    pub(crate) fn broadcast_room(
        &self,
        room: u32,
        update: &super::Msg,
        skip: Option<ConnId>,
        sink: &mut dyn Sink,
    ) -> usize {
        let mut reached = 0;
        if let Some(room) = self.room(room) {
            for &conn in room.players.iter().filter(|c| Some(**c) != skip) {
                sink.send(conn, update);
                reached += 1;
            }
        }
        reached
    }

    /// Sends `update` to every player in any room; returns how many it
    /// reached.
    pub(crate) fn broadcast_rooms(&self, update: &super::Msg, sink: &mut dyn Sink) -> usize {
        let mut reached = 0;
        for room in self.rooms.iter().flatten() {
            for &conn in &room.players {
                sink.send(conn, update);
                reached += 1;
            }
        }
        reached
    }

    pub(crate) fn stats_view(
        &self,
        player: &Player,
        game: Option<&GameEntry>,
    ) -> Option<StatsView> {
        let game = &game?.desc;
        if perms::has(player.perms, Perm::NoStats)
            || !(game.records || game.ratings || game.highscores)
        {
            return None;
        }
        let stats = player.stats_for(game.name.get(None));
        Some(StatsView {
            records: game
                .records
                .then_some((stats.wins, stats.losses, stats.ties, stats.forfeits)),
            rating: game.ratings.then(|| (stats.rating + 0.5).floor() as i64),
            highscore: game.highscores.then_some(stats.highscore),
        })
    }

    pub(crate) fn player_view<'a>(&self, player: &'a Player, room: u32) -> PlayerView<'a> {
        PlayerView {
            name: &player.name,
            kind: perms::player_kind(player.guest, player.perms),
            table: player.table().map_or(-1, |t| t as i32),
            perms: player.perms,
            lag: player.lag,
            stats: self.stats_view(player, self.room_game(room)),
        }
    }

    pub(crate) fn on_enter(
        &mut self,
        conn: ConnId,
        room_id: i64,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(player) = self.player(conn) else {
            return;
        };
        let code = if player.table().is_some() {
            ResultCode::AtTable
        } else {
            match u32::try_from(room_id).ok().and_then(|id| self.room(id)) {
                None => ResultCode::BadOptions,
                Some(room) if room.closing => ResultCode::BadOptions,
                Some(room) if player.room == Some(room.id) => ResultCode::Ok,
                Some(room) if !may_enter(room.desc.restriction, player.perms) => {
                    ResultCode::NoPermission
                }
                Some(room) if self.room_count(room) >= room.desc.max_players as usize => {
                    ResultCode::RoomFull
                }
                Some(room) => {
                    let (from, to) = (player.room, room.id);
                    self.move_player(conn, from, to, now, sink);
                    ResultCode::Ok
                }
            }
        };
        self.reply(conn, "enter", code, sink);
    }

    fn move_player(
        &mut self,
        conn: ConnId,
        from: Option<u32>,
        to: u32,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(mut player) = self.take_player_for_move(conn) else {
            return;
        };
        if let Some(from) = from {
            self.leave_room(conn, &player, from, Some(to), now, sink);
        }
        player.room = Some(to);
        if let Some(room) = self.room_mut(to) {
            room.players.push(conn);
            room.changed_at = now;
        }
        let update = msg(r::update_player_add(
            to as i32,
            from.map_or(-1, |f| f as i32),
            &self.player_view(&player, to),
        ));
        self.broadcast_room(to, &update, Some(conn), sink);
        log::debug!("{} entered room {to}", player.name);
        self.restore_player(conn, player);
        self.cluster_player_changed(conn, sink);
    }

    // Moving a player needs the player and the rooms at once; taking the
    // player out of its session for the move keeps the borrows simple.
    fn take_player_for_move(&mut self, conn: ConnId) -> Option<Box<Player>> {
        let session = self.session_mut(conn)?;
        match std::mem::replace(&mut session.state, super::session::State::Fresh) {
            super::session::State::Player(p) => Some(p),
            other => {
                session.state = other;
                None
            }
        }
    }

    fn restore_player(&mut self, conn: ConnId, player: Box<Player>) {
        if let Some(session) = self.session_mut(conn) {
            session.state = super::session::State::Player(player);
        }
    }

    /// Takes the player out of a room and tells the others. A closing room
    /// that becomes empty is deleted.
    pub(crate) fn leave_room(
        &mut self,
        conn: ConnId,
        player: &Player,
        room_id: u32,
        to: Option<u32>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        // A ticket is bound to the room it was asked from.
        self.matchmaker.cancel(conn, None);
        self.cluster_cancel_tickets(conn, &player.name, None, sink);
        let Some(room) = self.room_mut(room_id) else {
            return;
        };
        room.players.retain(|c| *c != conn);
        room.changed_at = now;
        let empty_and_closing = room.closing && room.players.is_empty();
        let update = msg(r::update_player_delete(
            room_id as i32,
            to.map_or(-1, |t| t as i32),
            &player.name,
        ));
        self.broadcast_room(room_id, &update, Some(conn), sink);
        if empty_and_closing && room_id != 0 {
            self.delete_room(room_id, sink);
        }
    }

    fn delete_room(&mut self, room_id: u32, sink: &mut dyn Sink) {
        if let Some(slot) = self.rooms.get_mut(room_id as usize) {
            *slot = None;
        }
        log::info!(target: "update", "room {room_id} deleted");
        self.broadcast_rooms(&msg(r::update_room_delete(room_id as i32)), sink);
    }

    pub(crate) fn on_list(
        &mut self,
        conn: ConnId,
        kind: ListKind,
        full: bool,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(player) = self.player(conn) else {
            return;
        };
        let lang = self.session(conn).and_then(|s| s.lang.as_deref());
        let reply = match kind {
            ListKind::Missing => r::result("list", ResultCode::BadOptions),
            ListKind::Unknown(_) => r::result("protocol", ResultCode::BadOptions),
            ListKind::Game => {
                let views: Vec<GameView> = self
                    .games
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| !e.retired)
                    .map(|(id, e)| game_view(id, e, lang))
                    .collect();
                r::list_games(&views, full)
            }
            ListKind::Room => {
                let views: Vec<RoomView> = self
                    .rooms
                    .iter()
                    .flatten()
                    .filter(|room| !room.closing)
                    .map(|room| self.room_view(room, lang))
                    .collect();
                let reply = r::list_rooms(&views, full);
                if let Some(p) = self.player_mut(conn) {
                    p.rooms_reported_at = now;
                }
                self.schedule_room_update(conn, now, sink);
                reply
            }
            ListKind::Player => match player.room {
                None => r::result("list", ResultCode::NotInRoom),
                Some(room_id) => {
                    let players: Vec<&Player> = self
                        .room(room_id)
                        .map(|room| {
                            room.players
                                .iter()
                                .filter_map(|c| self.player(*c))
                                .collect()
                        })
                        .unwrap_or_default();
                    let mut views: Vec<PlayerView> = players
                        .into_iter()
                        .map(|p| self.player_view(p, room_id))
                        .collect();
                    views.extend(self.remote_views(room_id));
                    r::list_players(room_id as i32, &views)
                }
            },
            ListKind::Table => match player.room {
                None => r::result("list", ResultCode::NotInRoom),
                Some(room_id) => {
                    let mut views: Vec<_> = self
                        .room(room_id)
                        .map(|room| room.tables.values().map(|t| t.view()).collect())
                        .unwrap_or_default();
                    views.extend(self.remote_table_views(room_id));
                    r::list_tables(room_id as i32, &views)
                }
            },
            ListKind::Queue => self.list_queues(),
            ListKind::Played { player, max } => {
                self.on_list_played(conn, player, max, sink);
                return;
            }
        };
        sink.send(conn, &msg(reply));
    }

    fn room_view<'a>(&'a self, room: &'a Room, lang: Option<&str>) -> RoomView<'a> {
        RoomView {
            id: room.id as i32,
            name: room.desc.name.get(lang),
            refname: room.desc.name.get(None),
            game: room.game.map_or(-1, |g| g as i32),
            players: self.room_count(room) as u32,
            description: room.desc.description.get(lang),
        }
    }

    /// Applies a reloaded set of room files. Unchanged rooms stay as they
    /// are; a changed or removed room is closed (deleted at once when
    /// empty) and a changed one comes back under a fresh id, as the
    /// original's dynamic rooms do. The entry room is updated in place.
    pub(crate) fn reload_rooms(&mut self, descs: Vec<RoomDesc>, now: Instant, sink: &mut dyn Sink) {
        let mut added = Vec::new();
        for desc in &descs {
            let existing = self
                .rooms
                .iter()
                .flatten()
                .find(|room| !room.closing && room.desc.key == desc.key)
                .map(|room| (room.id, room.desc == *desc, room.desc.same_but_queues(desc)));
            match existing {
                Some((_, true, _)) => {}
                Some((id, false, true)) => {
                    // Only the queues changed: the room stays open.
                    if let Some(room) = self.room_mut(id) {
                        room.desc.queues = desc.queues.clone();
                    }
                }
                Some((0, false, false)) => {
                    let game = desc.game.as_deref().and_then(|n| self.game_by_name(n));
                    if let Some(room) = self.room_mut(0) {
                        room.desc = desc.clone();
                        room.game = game;
                    }
                }
                Some((id, false, false)) => {
                    self.close_room(id, sink);
                    added.push(desc.clone());
                }
                None => added.push(desc.clone()),
            }
        }
        let removed: Vec<u32> = self
            .rooms
            .iter()
            .flatten()
            .filter(|room| room.id != 0 && !room.closing)
            .filter(|room| !descs.iter().any(|d| d.key == room.desc.key))
            .map(|room| room.id)
            .collect();
        for id in removed {
            self.close_room(id, sink);
        }
        for desc in added {
            let id = self.add_room(desc, now);
            log::info!(target: "update", "room {id} added");
            if let Some(room) = self.room(id) {
                let view = self.room_view(room, None);
                let update = msg(r::update_room_add(&view));
                self.broadcast_rooms(&update, sink);
            }
        }
    }

    fn close_room(&mut self, id: u32, sink: &mut dyn Sink) {
        let Some(room) = self.room_mut(id) else {
            return;
        };
        if room.players.is_empty() {
            self.delete_room(id, sink);
        } else {
            room.closing = true;
            log::info!(target: "update", "room {id} closing; deleted when empty");
            self.broadcast_rooms(&msg(r::update_room_close(id as i32)), sink);
        }
    }
}

/// The intended entry rules, not the original's mask-as-index bug.
fn may_enter(restriction: EntryRestriction, player_perms: u32) -> bool {
    match restriction {
        EntryRestriction::None => true,
        EntryRestriction::Registered => perms::has(player_perms, Perm::RoomsLogin),
        EntryRestriction::Admin => perms::has(player_perms, Perm::RoomsAdmin),
    }
}

fn game_view<'a>(id: usize, entry: &'a GameEntry, lang: Option<&str>) -> GameView<'a> {
    let g = &entry.desc;
    GameView {
        id: id as i32,
        name: g.name.get(lang),
        version: &g.version,
        engine: &g.engine,
        protocol_version: &g.protocol_version,
        players: &g.players_allowed,
        bots: &g.bots_allowed,
        spectators: g.allow_spectators,
        peers: g.allow_peers,
        named_bots: &g.named_bots,
        author: &g.author,
        homepage: &g.homepage,
        description: g.description.get(lang),
    }
}
