//! What the zone asks of the world: messages to send, connections to close,
//! timers to set and jobs for the worker threads. The zone never touches a
//! socket, a clock or the database itself; the event loop implements
//! [`Sink`], and tests implement it with a recorder.

use std::net::IpAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use ggzdmod::wire::{LaunchLayout, ToGame, ToServer};

use crate::proto::request::LoginKind;
use crate::proto::types::ResultCode;
use crate::store::StatsRecord;

/// A serialised message. It is built once and shared by every recipient.
pub type Msg = Rc<[u8]>;

pub fn msg(text: String) -> Msg {
    Rc::from(text.into_bytes().into_boxed_slice())
}

/// Identifies one connection for its whole life: the slot is reused after
/// the connection closes, the generation is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId {
    pub slot: u32,
    pub generation: u32,
}

/// Who asked for a moderation action: a host or admin over the protocol,
/// or the operator on the control socket, whose request is known by a
/// ticket number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderator {
    Player(ConnId),
    Operator(u64),
}

/// How a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// Stop reading, deliver what is queued, then close.
    AfterFlush,
    /// Close at once, dropping whatever is queued.
    Now,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// The connection has not completed a login in time.
    LoginTimeout,
    /// Time to send the next PING.
    Ping,
    /// A PING is still unanswered: the lag class may have to rise.
    Lag,
    /// The table this player launched has not reported WAITING in time.
    LaunchTimeout,
    /// Time to push room occupancy changes to this player.
    RoomUpdate,
    /// A login held back by failed-login backoff may go ahead.
    LoginDelay,
    /// Show the room a table whose game-caused updates were held back
    /// (set with no connection: `ConnId` of all ones).
    TableSync(TableSerial),
    /// The next line of this player's chat backlog may go.
    ChatRelease,
    /// This player's channel token lapses unused (docs/extensions.md §2).
    ChannelToken,
    /// A matchmaking queue's next round (by queue id; no connection).
    MatchRound(u32),
    /// Matched players must have taken their seats at this table by now
    /// (no connection).
    MatchDeadline(TableSerial),
    /// Prune this game's savegames (paced: zone/tables/prune_pacing.rs;
    /// set with no connection, like `TableSync`).
    PruneSavegames(usize),
    /// The grace of an abandoned seat (table, seat) ends (set with no
    /// connection, as `TableSync`).
    SeatGrace(TableSerial, u32),
    /// Prune played games (paced like savegames; no connection).
    PrunePlayed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerKey {
    pub conn: ConnId,
    pub kind: TimerKind,
}

/// The connection of timers that belong to no connection.
pub const NO_CONN: ConnId = ConnId {
    slot: u32::MAX,
    generation: u32::MAX,
};

/// Work that must not run on the event loop: password hashing and SQLite.
#[derive(Debug)]
pub enum Job {
    Login {
        conn: ConnId,
        login: LoginJob,
    },
    /// Make sure each named bot of the game descriptions has an account.
    EnsureBotAccounts {
        names: Vec<String>,
        now: i64,
    },
    /// Store a game server's result report.
    GameReport(Box<GameReportJob>),
    /// Remember a table's savegame.
    Savegame {
        game: String,
        owner: String,
        savegame: String,
        table_key: String,
        now: i64,
    },
    /// Apply savegame retention to a game's working directory.
    PruneSavegames {
        dir: PathBuf,
        keep: u32,
        max_age_days: u32,
        /// Savegames of tables still running.
        protect: Vec<String>,
    },
    /// Read again one player's stored statistics for a game: a table of
    /// another node stored a report naming this node's player
    /// (docs/cluster.md §8), or an earlier read may have missed a write
    /// (`zone/stats_order.rs`).
    ReloadStats {
        handle: String,
        game: String,
    },
    /// The top of a game's rankings, for RANKINGS.
    Rankings {
        conn: ConnId,
        game: String,
    },
    /// Store a changed permission word (ADMINPERM).
    SetPermissions {
        admin: ConnId,
        target: ConnId,
        canonical: String,
        perms: u32,
    },
    /// Re-read the stored permissions and bans of these online players
    /// (after an admin tool changed them).
    RefreshPermissions {
        players: Vec<OnlineCheck>,
    },
    /// Free a name's claim in the cluster registry (logout, or a login
    /// that did not complete).
    ReleaseName {
        canonical: String,
        node: String,
        token: i64,
    },
    /// Claim again the names of players logged in here (this node had
    /// been taken for dead and its claims deleted).
    ClaimNames {
        claims: Vec<(String, super::cluster::NameClaim)>,
    },
    /// Keep a ban (ADMIN ban, or the operator's); the admin is answered
    /// after the commit.
    Ban {
        admin: Moderator,
        name: String,
        address: Option<String>,
        reason: String,
        now: i64,
    },
    /// Load and verify a played game for RESTORE and write its log where
    /// the game server will read it (`zone/tables/restore.rs`).
    Restore(Box<crate::zone::RestoreJob>),
    /// Played games: record, prune, list, replay (docs/replays.md).
    Replays(crate::replays::ReplaysJob),
}

#[derive(Debug)]
pub struct GameReportJob {
    pub table: TableSerial,
    /// Untranslated game name, the statistics key.
    pub game: String,
    pub flags: crate::store::StatsFlags,
    pub participants: Vec<crate::store::Participant>,
    pub savegame: String,
    pub now: i64,
}

/// Identifies one table for its whole life, across rooms.
pub type TableSerial = u64;

/// How to start a game server.
#[derive(Debug, Clone)]
pub struct SpawnSpec {
    /// argv; argv[0] is an absolute path (no PATH search).
    pub argv: Vec<String>,
    /// Working directory: the game's data directory.
    pub cwd: PathBuf,
    pub layout: LaunchLayout,
    /// MSG_GAME_LAUNCH, queued before the child even runs.
    pub launch: ToGame,
    /// Applied in the child before exec.
    pub limits: crate::game_limits::GameLimits,
    /// A savegame the launch message's layout cannot carry (legacy): the
    /// game server finds it in `GGZDMOD_SAVEGAME` (docs/event-log.md §8).
    pub savegame_env: Option<String>,
}

/// What a game server did, as the event loop saw it.
#[derive(Debug)]
pub enum TableEvent {
    Message(ToServer),
    /// It could not be started, broke the protocol, or went away.
    Failed(String),
    /// The browser side of a game channel relayed to this table ended
    /// (the id the channel had as a connection): its player has gone from
    /// the game, though its lobby connection may remain.
    ChannelClosed(ConnId),
}

#[derive(Debug)]
pub struct LoginJob {
    pub kind: LoginKind,
    /// The canonical (lower-cased) name, the database key.
    pub canonical: String,
    pub password: Option<String>,
    pub email: String,
    /// Registration leaves new accounts unconfirmed, and unconfirmed
    /// accounts cannot log in.
    pub confirm_required: bool,
    /// The client's address, for bans.
    pub address: String,
    pub now: i64,
    /// In a cluster: the name's claim this login must take in the
    /// registry (docs/cluster.md §4).
    pub claim: Option<super::cluster::NameClaim>,
}

/// A finished job, handed back to the zone on the event loop.
#[derive(Debug)]
pub enum JobDone {
    Login {
        conn: ConnId,
        outcome: LoginOutcome,
    },
    /// A game report was committed; these rows are the new statistics.
    GameReport {
        table: TableSerial,
        game: String,
        updated: Vec<(String, StatsRecord)>,
    },
    /// A report held while the store was away has been committed since
    /// (its table has long been answered with a `GameReport` of no rows).
    LateReport {
        game: String,
        updated: Vec<(String, StatsRecord)>,
    },
    Rankings {
        conn: ConnId,
        rows: Vec<(u32, String, i64)>,
    },
    /// A player's statistics read again (`Job::ReloadStats`): another
    /// node's table stored a report naming them, or a read raced a write
    /// (`zone/stats_order.rs`). `None`: the read failed.
    StatsReloaded {
        handle: String,
        game: String,
        stats: Option<StatsRecord>,
    },
    /// A ban was stored (or not).
    Banned {
        admin: Moderator,
        stored: bool,
    },
    /// Current stored permission words and bans of online players.
    Permissions(Vec<Refreshed>),
    PermissionsStored {
        admin: ConnId,
        target: ConnId,
        perms: u32,
        stored: bool,
    },
    /// A RESTORE's played game, loaded and written out (or refused).
    Restore(Box<crate::zone::RestoreDone>),
    /// A played-games job ended (docs/replays.md).
    Replays(crate::replays::ReplaysDone),
    Nothing,
}

#[derive(Debug)]
pub enum LoginOutcome {
    /// A guest name was looked up in the user database.
    GuestChecked { registered: bool },
    /// A registered player (normal login or fresh registration) may log in.
    Accepted(Box<Account>),
    /// The login is refused with this code.
    Refused(ResultCode),
    /// The account exists and the password is wrong (answered as
    /// `usr lookup`, and counted by the failed-login throttle).
    WrongPassword,
    /// The store cannot be reached (PostgreSQL away): `usr lookup`, with
    /// a reason for clients that use extensions (docs/postgresql.md §5).
    StoreUnavailable,
}

/// An online player whose stored permissions and bans are read again.
#[derive(Debug)]
pub struct OnlineCheck {
    pub conn: ConnId,
    pub canonical: String,
    /// The client's address, for bans by address.
    pub address: String,
    /// Guests have no stored permissions, but may be banned.
    pub guest: bool,
}

/// What the database says now about one online player.
#[derive(Debug)]
pub struct Refreshed {
    pub conn: ConnId,
    /// `None` for guests and vanished accounts.
    pub perms: Option<u32>,
    /// The reason of a ban in force.
    pub ban: Option<String>,
}

#[derive(Debug, Default)]
pub struct Account {
    pub user_id: i64,
    pub permissions: u32,
    pub real_name: String,
    /// A registration without a password got this one.
    pub generated_password: Option<String>,
    /// Statistics per game (untranslated game name).
    pub stats: Vec<(String, StatsRecord)>,
}

/// The effects interface the event loop provides to the zone.
pub trait Sink {
    fn send(&mut self, to: ConnId, msg: &Msg);
    fn close(&mut self, conn: ConnId, how: Close);
    /// `TLS_START`: the connection's plain bytes end after that element;
    /// what follows is a TLS handshake (server side), then the same XML.
    fn start_tls(&mut self, conn: ConnId);
    /// The connection became a game channel: read nothing more from it.
    fn stop_reading(&mut self, conn: ConnId);
    fn submit(&mut self, job: Job);
    fn timer(&mut self, at: Instant, key: TimerKey);
    /// Starts a game server; its events come back as [`TableEvent`]s.
    fn spawn_table(&mut self, table: TableSerial, spec: SpawnSpec);
    /// Sends a message to a game server. With `channel`, that prepared
    /// game channel's socket travels with the message and the connection
    /// leaves the event loop.
    fn table_send(&mut self, table: TableSerial, msg: ToGame, channel: Option<ConnId>);
    /// Stops a game server and forgets its control socket.
    fn end_table(&mut self, table: TableSerial);
    /// Bytes queued for a connection and not yet handed to the kernel.
    fn backlog(&self, conn: ConnId) -> usize;
    /// A message for other nodes of the cluster (never called without one).
    fn cluster(&mut self, _out: crate::cluster::Outbound) {}
    /// Whether a prepared game channel's peer still holds its end open
    /// (has not hung up).
    fn channel_alive(&self, _conn: ConnId) -> bool {
        true
    }
}

/// Where a connection comes from, for per-address limits and INFO.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub addr: IpAddr,
}
