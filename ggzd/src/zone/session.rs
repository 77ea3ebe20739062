//! Per-connection state inside the zone.

use std::net::IpAddr;
use std::time::Instant;

use super::chat::ChatBucket;
use super::effects::{ConnId, LoginJob};
use crate::proto::request::LoginKind;
use crate::store::StatsRecord;

pub(crate) struct Session {
    pub id: ConnId,
    pub peer: IpAddr,
    /// `peer` as per-address limits count it (IPv6 cut to its prefix).
    pub key: IpAddr,
    /// Counted among its address's connections that are not logged in.
    pub prelogin: bool,
    /// The client shut down its sending side; the connection closes once
    /// the answers still pending (a login) are out.
    pub half_closed: bool,
    /// From LANGUAGE; picks translated names and the MOTD file.
    pub lang: Option<String>,
    pub state: State,
    /// Sent `TLS_START` (the event loop switched it, or dropped it).
    pub tls: bool,
    /// The protocol extensions this client asked for (docs/extensions.md).
    pub ext: super::extensions::Extensions,
}

pub(crate) enum State {
    /// Connected; no LOGIN or CHANNEL yet (or a LOGIN failed).
    Fresh,
    /// A LOGIN waits for the worker threads.
    LoggingIn(Box<PendingLogin>),
    Player(Box<Player>),
    /// Sent CHANNEL; becomes a game channel at its `</SESSION>`.
    Channel {
        id: Option<String>,
        /// `TOKEN`, for a player using `channel-token`.
        token: Option<String>,
    },
    /// A prepared game channel, owned by the player it names, waiting to be
    /// handed to a game server.
    Handed {
        owner: ConnId,
    },
}

pub(crate) struct PendingLogin {
    pub kind: LoginKind,
    pub name: String,
    pub canonical: String,
    /// A registration's password, echoed in the reply.
    pub echo_password: Option<String>,
    /// The job, while it waits for backoff or for a worker.
    pub job: Option<LoginJob>,
    /// The backoff deadline the job waits for.
    pub delay_until: Option<Instant>,
    /// When the LOGIN arrived, for the login latency metric.
    pub received: Instant,
}

pub(crate) struct Player {
    /// As typed at login; shown to everyone.
    pub name: String,
    /// Lower-cased; the key for uniqueness and the database.
    pub canonical: String,
    pub guest: bool,
    pub perms: u32,
    pub real_name: String,
    pub room: Option<u32>,
    /// Where the player sits or watches, at a table of their room.
    pub place: Option<Place>,
    /// A table this player launched that has not reported WAITING yet.
    pub launching: Option<u32>,
    pub lag: u8,
    /// When the outstanding PING was sent.
    pub ping_sent: Option<Instant>,
    /// Deadlines of this player's live timers; a timer that fires with
    /// another deadline is stale and ignored.
    pub ping_due: Option<Instant>,
    pub lag_due: Option<Instant>,
    pub room_update_due: Option<Instant>,
    /// Room occupancy changes after this instant are still to be pushed.
    pub rooms_reported_at: Instant,
    pub stats: Vec<(String, StatsRecord)>,
    pub chat: ChatBucket,
    pub gagged: bool,
    /// A prepared game channel connection.
    pub channel: Option<ConnId>,
    /// The outstanding `channel-token`, for a client that asked for them.
    pub channel_token: Option<super::channel_token::ChannelToken>,
}

/// A seat or spectator slot at a table of the player's room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    pub table: u32,
    pub spectator: bool,
    pub index: u32,
}

impl Player {
    /// The table shown in player lists: where they are, or what they are
    /// launching.
    pub fn table(&self) -> Option<u32> {
        self.place.map(|p| p.table).or(self.launching)
    }

    pub fn stats_for(&self, game: &str) -> StatsRecord {
        self.stats
            .iter()
            .find(|(g, _)| g == game)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }
}

impl Session {
    pub fn player(&self) -> Option<&Player> {
        match &self.state {
            State::Player(p) => Some(p),
            _ => None,
        }
    }

    pub fn player_mut(&mut self) -> Option<&mut Player> {
        match &mut self.state {
            State::Player(p) => Some(p),
            _ => None,
        }
    }
}
