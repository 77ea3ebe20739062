//! The zone: players, rooms, chat and the rules between them, as plain
//! state. It takes typed requests from connections and finished jobs from
//! the workers, and answers with effects through a [`Sink`]. It holds no
//! sockets and never blocks, so every rule is testable without a network.

mod admin;
mod channel;
mod channel_token;
pub mod chat;
pub mod cluster;
mod cluster_queue;
mod cluster_rejoin;
mod cluster_seat_info;
mod cluster_seats;
mod cluster_stats;
mod cluster_table_talk;
mod cluster_tables;
pub mod effects;
pub(crate) mod extensions;
pub mod flood;
mod guard;
mod lag;
mod login;
mod matchmaking;
mod prespawn;
pub use login::unix_now;
pub mod operator;
pub mod perms;
mod reconfigure;
pub mod replays;
mod rooms;
mod session;
mod stats_order;
pub(crate) mod tables;
pub(crate) use tables::{RestoreDone, RestoreJob, run_restore_job};
mod tls;
pub use tls::{PLAIN_PASSWORD_REFUSED, TlsPolicy};

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub use effects::{
    Account, Close, ConnId, GameReportJob, Job, JobDone, LoginJob, LoginOutcome, Moderator, Msg,
    NO_CONN, OnlineCheck, Refreshed, Sink, SpawnSpec, TableEvent, TableSerial, TimerKey, TimerKind,
    msg,
};
use session::{Session, State};

use crate::config::UsernamePolicy;
use crate::games::GameDesc;
use crate::motd::{Motd, MotdContext};
use crate::proto::decoder::{DecodeError, Event};
use crate::proto::reply as r;
use crate::proto::request::{Request, parse_request};
use crate::proto::types::ResultCode;
use crate::rooms::RoomDesc;

/// Run-time settings the zone needs, taken from the config once.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server_name: String,
    pub admin_name: String,
    pub admin_email: String,
    pub web_motd: String,
    pub port: u16,
    pub hostname: String,
    pub os: String,
    pub cpu: String,
    pub registration: Registration,
    pub username: UsernamePolicy,
    pub login_timeout: Duration,
    /// `None` disables PING.
    pub ping_frequency: Option<Duration>,
    pub first_ping_delay: Duration,
    pub lag_classes: [Duration; 4],
    /// `None` disables periodic room occupancy updates.
    pub room_update_frequency: Option<Duration>,
    /// 0 = unlimited.
    pub max_clients: usize,
    /// 0 = unlimited.
    pub max_clients_per_ip: usize,
    pub max_tables: usize,
    pub chat: chat::ChatLimits,
    /// Parent of each game's working directory (`<data_dir>/gamedata`).
    pub gamedata_dir: std::path::PathBuf,
    /// How long a game server may take to report WAITING.
    pub launch_timeout: Duration,
    pub tls: TlsPolicy,
    /// Report caps and savegame retention.
    pub tables: crate::config::tables::TablesConfig,
    /// Per-address and failed-login limits (docs/abuse-limits.md).
    pub abuse: crate::abuse::Limits,
    /// How long a seat left mid-game is held (docs/client-server.md §11.7).
    pub rejoin: crate::config::rejoin::RejoinConfig,
    /// Played games: retention and the bound of a REPLAY answer.
    pub replays: replays::ReplaySettings,
}

/// The registration policy, reduced to what the zone acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Guests and registrations allowed; new accounts log in at once.
    Open,
    /// New accounts are created unconfirmed and cannot log in until an
    /// admin confirms them.
    Confirm,
    /// No guests, no registrations.
    Closed,
}

/// The advertised and enforced chat length.
pub const CHAT_LENGTH: usize = 512;

pub(crate) struct GameEntry {
    pub desc: GameDesc,
    /// Removed from the description files by a reload: kept so ids stay
    /// stable, but no longer listed.
    pub retired: bool,
}

pub struct Zone {
    settings: Settings,
    games: Vec<GameEntry>,
    rooms: Vec<Option<rooms::Room>>,
    sessions: Vec<Option<Session>>,
    /// Logged-in players by canonical name.
    names: HashMap<String, ConnId>,
    /// Connections per address group (`Session::key`).
    per_ip: HashMap<IpAddr, usize>,
    /// Connections not logged in, per address group.
    prelogin: HashMap<IpAddr, usize>,
    throttle: crate::abuse::throttle::Throttle,
    /// Login jobs waiting for a worker.
    login_queue: crate::abuse::fairq::FairQueue<IpAddr, ConnId>,
    /// Login jobs at the workers: whose address and account they count for.
    logins_running: HashMap<ConnId, guard::Running>,
    /// Logins refused for a full queue since `queue_full_logged`.
    queue_refusals: u64,
    queue_full_logged: Option<Instant>,
    connections: usize,
    motd: Motd,
    started: Instant,
    tables_active: usize,
    /// Where each live table is: (room, table id).
    table_index: HashMap<TableSerial, (u32, u32)>,
    next_table_serial: TableSerial,
    metrics: crate::metrics::ZoneMetrics,
    /// Matchmaking queues, tickets and matches waiting for players.
    matchmaker: crate::matchmaking::Matchmaker,
    /// Tables launched by RESTORE, until they are ready or gone.
    restores: tables::Restores,
    savegame_prunes: tables::prune_pacing::PrunePacing,
    /// Remote players and name claims, when this zone is a cluster node.
    cluster: Option<Box<cluster::ZoneCluster>>,
    /// Played games: pacing of their pruning, what each table recorded,
    /// requests at the workers (zone/replays.rs).
    replays: replays::ReplayState,
    /// The order of statistics reads and writes at the workers.
    stats_order: stats_order::StatsOrder,
}

impl Zone {
    pub fn new(
        settings: Settings,
        games: Vec<GameDesc>,
        rooms: Vec<RoomDesc>,
        motd: Motd,
        now: Instant,
    ) -> Zone {
        let throttle = crate::abuse::throttle::Throttle::new(settings.abuse.throttle);
        let login_queue = crate::abuse::fairq::FairQueue::new(settings.abuse.login_queue_limit);
        let mut zone = Zone {
            settings,
            games: games
                .into_iter()
                .map(|desc| GameEntry {
                    desc,
                    retired: false,
                })
                .collect(),
            rooms: Vec::new(),
            sessions: Vec::new(),
            names: HashMap::new(),
            per_ip: HashMap::new(),
            prelogin: HashMap::new(),
            throttle,
            login_queue,
            logins_running: HashMap::new(),
            queue_refusals: 0,
            queue_full_logged: None,
            connections: 0,
            motd,
            started: now,
            tables_active: 0,
            table_index: HashMap::new(),
            next_table_serial: 0,
            metrics: crate::metrics::ZoneMetrics::default(),
            matchmaker: crate::matchmaking::Matchmaker::default(),
            restores: tables::Restores::default(),
            savegame_prunes: tables::prune_pacing::PrunePacing::every(
                tables::prune_pacing::SAVEGAME_PRUNE_INTERVAL,
            ),
            cluster: None,
            replays: Default::default(),
            stats_order: Default::default(),
        };
        for desc in rooms {
            zone.add_room(desc, now);
        }
        zone.refresh_queues();
        zone
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn connection_count(&self) -> usize {
        self.connections
    }

    /// Whether the connection may still turn out to be a game channel, whose
    /// bytes after `</SESSION>` must stay in the socket for the game server.
    pub fn wants_exact_reads(&self, conn: ConnId) -> bool {
        self.session(conn)
            .is_some_and(|s| matches!(s.state, State::Fresh | State::Channel { .. }))
    }

    pub fn player_count(&self) -> usize {
        self.names.len()
    }

    /// A new connection was accepted. Returns false when it was refused
    /// (the zone asked the sink to close it).
    pub fn connected(
        &mut self,
        conn: ConnId,
        peer: IpAddr,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> bool {
        let key = crate::abuse::group(peer, self.settings.abuse.ipv6_prefix);
        let per_ip = self.per_ip.get(&key).copied().unwrap_or(0);
        let full = (self.settings.max_clients != 0
            && self.connections >= self.settings.max_clients)
            || (self.settings.max_clients_per_ip != 0
                && per_ip >= self.settings.max_clients_per_ip);
        if full || !self.admits_prelogin(key) {
            log::info!(target: "connections", "refusing {peer}: server full");
            sink.send(conn, &msg(r::greeting_full(&self.settings.server_name)));
            sink.close(conn, Close::AfterFlush);
            return false;
        }
        let slot = conn.slot as usize;
        if self.sessions.len() <= slot {
            self.sessions.resize_with(slot + 1, || None);
        }
        if let Some(entry) = self.sessions.get_mut(slot) {
            *entry = Some(Session {
                id: conn,
                peer,
                key,
                prelogin: true,
                half_closed: false,
                lang: None,
                state: State::Fresh,
                tls: false,
                ext: extensions::Extensions::default(),
            });
        }
        self.connections += 1;
        *self.per_ip.entry(key).or_insert(0) += 1;
        *self.prelogin.entry(key).or_insert(0) += 1;
        log::info!(target: "connections", "connection from {peer}");
        sink.send(
            conn,
            &msg(r::greeting(
                &self.settings.server_name,
                self.settings.tls.offered,
                self.settings.chat.max_length as u32,
            )),
        );
        sink.timer(
            now + self.settings.login_timeout,
            TimerKey {
                conn,
                kind: TimerKind::LoginTimeout,
            },
        );
        true
    }

    /// The connection is gone, for whatever reason. Cleans up everything it
    /// owned and tells its room. Safe to call more than once.
    pub fn disconnected(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        // Leave the table first, as a normal leave, while the player still
        // exists for the table's bookkeeping.
        if self
            .player(conn)
            .is_some_and(|p| p.place.is_some() || p.launching.is_some())
        {
            self.leave_table_on_logout(conn, now, sink);
        }
        self.leave_prelogin(conn);
        self.forget_queued_login(conn);
        let Some(session) = self.take_session(conn) else {
            return;
        };
        self.connections = self.connections.saturating_sub(1);
        if let Some(count) = self.per_ip.get_mut(&session.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_ip.remove(&session.key);
            }
        }
        match session.state {
            State::Player(player) => {
                log::info!(target: "connections", "{} logged out", player.name);
                self.names.remove(&player.canonical);
                self.cluster_player_gone(conn, &player, sink);
                if let Some(room) = player.room {
                    self.leave_room(conn, &player, room, None, now, sink);
                }
                if let Some(channel) = player.channel {
                    sink.close(channel, Close::Now);
                    // The channel belongs to nobody now.
                    self.disconnected(channel, now, sink);
                }
            }
            State::Handed { owner } => {
                if let Some(p) = self.player_mut(owner)
                    && p.channel == Some(conn)
                {
                    p.channel = None;
                }
            }
            State::Fresh | State::LoggingIn(_) | State::Channel { .. } => {}
        }
    }

    /// One decoded event from a connection.
    pub fn on_event(&mut self, conn: ConnId, event: Event, now: Instant, sink: &mut dyn Sink) {
        match event {
            Event::SessionStart => {}
            Event::SessionEnd => self.on_session_end(conn, now, sink),
            Event::Element(element) => {
                let request = parse_request(&element);
                self.on_request(conn, request, now, sink);
            }
        }
    }

    /// The client sent bytes that are not acceptable XML: it alone pays.
    pub fn on_decode_error(
        &mut self,
        conn: ConnId,
        error: &DecodeError,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(session) = self.session(conn) else {
            return;
        };
        log::info!(target: "security", "bad input from {}: {error}", session.peer);
        sink.send(
            conn,
            &msg(r::result(
                "protocol",
                error.code().parse().unwrap_or(ResultCode::BadXml),
            )),
        );
        sink.close(conn, Close::AfterFlush);
        self.disconnected(conn, now, sink);
    }

    fn on_session_end(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let Some(session) = self.session(conn) else {
            return;
        };
        if let State::Channel { id, token } = &session.state {
            let (id, token) = (id.clone(), token.clone());
            self.complete_channel(conn, id, token, now, sink);
            return;
        }
        sink.send(conn, &msg(r::session_end()));
        sink.close(conn, Close::AfterFlush);
        self.disconnected(conn, now, sink);
    }

    pub fn on_request(
        &mut self,
        conn: ConnId,
        request: Request,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(session) = self.session(conn) else {
            return;
        };
        let logged_in = matches!(session.state, State::Player(_));
        let is_channel = matches!(session.state, State::Channel { .. } | State::Handed { .. });
        match request {
            Request::Ping { id } => sink.send(conn, &msg(r::pong(id.as_deref()))),
            Request::Language(lang) => {
                if let Some(s) = self.session_mut(conn) {
                    s.lang = Some(lang).filter(|l| !l.is_empty() && l.len() <= 64);
                }
            }
            Request::Unknown(name) => {
                log::debug!("ignoring unknown element {name}");
            }
            _ if is_channel => {}
            Request::Extensions { names } => self.on_extensions(conn, &names, now, sink),
            Request::Misplaced(name) => {
                log::debug!("misplaced element {name}");
                sink.send(conn, &msg(r::result("protocol", ResultCode::BadOptions)));
            }
            Request::Login(login) => {
                if !self.refuse_plain_password(conn, &login, sink) {
                    self.on_login_counted(conn, login, now, sink);
                }
            }
            Request::Channel { id, token } => {
                if !self.refuse_channel_over_tls(conn, sink) {
                    self.on_channel(conn, id, token, sink);
                }
            }
            Request::TlsStart => self.on_tls_start(conn, sink),
            Request::Pong { .. } if !logged_in => {
                sink.send(conn, &msg(r::result("pong", ResultCode::NotLoggedIn)));
            }
            other if !logged_in => {
                sink.send(
                    conn,
                    &msg(r::result(other.action_name(), ResultCode::NotLoggedIn)),
                );
            }
            Request::Pong { .. } => self.on_pong(conn, now, sink),
            Request::Motd => self.send_motd(conn, sink),
            Request::List { kind, full } => self.on_list(conn, kind, full, now, sink),
            Request::Enter { room } => self.on_enter(conn, room, now, sink),
            Request::Chat { kind, to, text } => self.on_chat(conn, kind, to, text, now, sink),
            Request::Launch { table } => self.on_launch(conn, table, now, sink),
            Request::Join {
                table,
                spectator,
                seat,
            } => self.on_join(conn, table, spectator, seat, now, sink),
            Request::Leave { force, .. } => self.on_leave(conn, force, now, sink),
            Request::Reseat { action, seat } => self.on_reseat(conn, action, seat, now, sink),
            Request::Update {
                kind,
                action,
                room,
                table,
            } => self.on_table_update(
                conn,
                tables::TableUpdate {
                    kind,
                    action,
                    room,
                    table,
                },
                now,
                sink,
            ),
            Request::Info { seat } => self.on_info(conn, seat, sink),
            Request::Rankings => self.on_rankings(conn, sink),
            Request::Admin {
                action,
                player,
                reason,
            } => self.on_admin(conn, action, player, reason, now, sink),
            Request::AdminPerm {
                player,
                perm,
                value,
            } => self.on_admin_perm(conn, player, perm, value, sink),
            Request::Match { queue } => self.on_match(conn, queue, now, sink),
            Request::MatchCancel { queue } => self.on_match_cancel(conn, queue, sink),
            Request::Restore { id } => self.on_restore(conn, id, now, sink),
            Request::Replay { id, from } => self.on_replay(conn, id, from, sink),
        }
    }

    /// A timer set through the sink fired. `deadline` is the instant it was
    /// set for, which tells a live timer from a superseded one.
    pub fn on_timer(
        &mut self,
        key: TimerKey,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        match key.kind {
            TimerKind::LoginTimeout => {
                let expired = self.session(key.conn).is_some_and(|s| {
                    matches!(
                        s.state,
                        State::Fresh | State::LoggingIn(_) | State::Channel { .. }
                    )
                });
                if expired {
                    log::info!(target: "connections", "login timeout");
                    sink.send(key.conn, &msg(r::session_end()));
                    sink.close(key.conn, Close::AfterFlush);
                    self.disconnected(key.conn, now, sink);
                }
            }
            TimerKind::Ping => self.on_ping_timer(key.conn, deadline, now, sink),
            TimerKind::Lag => self.on_lag_timer(key.conn, deadline, now, sink),
            TimerKind::RoomUpdate => self.on_room_update_timer(key.conn, deadline, now, sink),
            TimerKind::LaunchTimeout => self.on_launch_timeout(key.conn, now, sink),
            TimerKind::TableSync(serial) => self.on_table_sync(serial, now, sink),
            TimerKind::PruneSavegames(game) => {
                self.savegame_prunes.due(game, now);
                self.prune_savegames(game, sink);
            }
            TimerKind::ChatRelease => self.on_chat_timer(key.conn, deadline, now, sink),
            TimerKind::ChannelToken => self.on_channel_token_timer(key.conn, deadline, now, sink),
            TimerKind::LoginDelay => self.on_login_delay(key.conn, deadline, now, sink),
            TimerKind::MatchRound(queue) => self.on_match_round(queue, deadline, now, sink),
            TimerKind::MatchDeadline(serial) => {
                self.on_match_deadline(serial, deadline, now, sink);
            }
            TimerKind::PrunePlayed => self.on_prune_played_timer(now, sink),
            TimerKind::SeatGrace(serial, seat) => {
                self.on_seat_grace(serial, seat, deadline, now, sink)
            }
        }
    }

    /// Server shutdown: every client is told the session is over.
    pub fn shutdown(&mut self, now: Instant, sink: &mut dyn Sink) {
        self.end_all_tables(now, sink);
        let ids: Vec<ConnId> = self.sessions.iter().flatten().map(|s| s.id).collect();
        let end = msg(r::session_end());
        for conn in ids {
            let handed = self
                .session(conn)
                .is_some_and(|s| matches!(s.state, State::Handed { .. }));
            if !handed {
                sink.send(conn, &end);
            }
            sink.close(conn, Close::AfterFlush);
        }
        for conn in self
            .sessions
            .iter()
            .flatten()
            .map(|s| s.id)
            .collect::<Vec<_>>()
        {
            self.disconnected(conn, now, sink);
        }
    }

    pub(crate) fn reply(&self, conn: ConnId, action: &str, code: ResultCode, sink: &mut dyn Sink) {
        sink.send(conn, &msg(r::result(action, code)));
    }

    pub(crate) fn send_motd(&self, conn: ConnId, sink: &mut dyn Sink) {
        let lang = self.session(conn).and_then(|s| s.lang.as_deref());
        let s = &self.settings;
        let context = MotdContext {
            admin_name: &s.admin_name,
            admin_email: &s.admin_email,
            hostname: &s.hostname,
            port: s.port,
            os: &s.os,
            cpu: &s.cpu,
            version: crate::VERSION,
            uptime: self.started.elapsed(),
            connections: self.connections,
            tables: self.tables_active,
        };
        let text = self.motd.render(lang, &context);
        sink.send(conn, &msg(r::motd(&text, &s.web_motd)));
    }

    /// Replaces the MOTD, rooms and games after SIGHUP, keeping everyone
    /// connected.
    pub fn reload(
        &mut self,
        games: Vec<GameDesc>,
        rooms: Vec<RoomDesc>,
        motd: Motd,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        self.motd = motd;
        self.reload_games(games);
        self.reload_rooms(rooms, now, sink);
        self.refresh_queues();
        self.refresh_permissions(sink);
    }

    fn reload_games(&mut self, games: Vec<GameDesc>) {
        for entry in &mut self.games {
            entry.retired = true;
        }
        for desc in games {
            match self
                .games
                .iter_mut()
                .find(|e| e.desc.internal_name == desc.internal_name)
            {
                Some(entry) => {
                    entry.desc = desc;
                    entry.retired = false;
                }
                None => self.games.push(GameEntry {
                    desc,
                    retired: false,
                }),
            }
        }
    }

    pub(crate) fn game_by_name(&self, name: &str) -> Option<usize> {
        self.games
            .iter()
            .position(|e| !e.retired && e.desc.name.get(None) == name)
    }

    // Session lookups, checked against the generation so that a stale id
    // never reaches a newer connection in the same slot.

    pub(crate) fn session(&self, conn: ConnId) -> Option<&Session> {
        self.sessions
            .get(conn.slot as usize)
            .and_then(Option::as_ref)
            .filter(|s| s.id == conn)
    }

    pub(crate) fn session_mut(&mut self, conn: ConnId) -> Option<&mut Session> {
        self.sessions
            .get_mut(conn.slot as usize)
            .and_then(Option::as_mut)
            .filter(|s| s.id == conn)
    }

    fn take_session(&mut self, conn: ConnId) -> Option<Session> {
        let entry = self.sessions.get_mut(conn.slot as usize)?;
        if entry.as_ref().is_some_and(|s| s.id == conn) {
            entry.take()
        } else {
            None
        }
    }

    pub(crate) fn player(&self, conn: ConnId) -> Option<&session::Player> {
        self.session(conn).and_then(Session::player)
    }

    pub(crate) fn player_mut(&mut self, conn: ConnId) -> Option<&mut session::Player> {
        self.session_mut(conn).and_then(Session::player_mut)
    }
}
