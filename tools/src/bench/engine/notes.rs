//! What the engine tells scenarios: plans, notes, close reasons, the chat
//! tally and traffic counters.

use ggzd::proto::request::LoginKind;

use super::super::histogram::Histogram;
use super::ClientId;

/// How a simulated client logs in and what it does next.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub kind: LoginKind,
    pub password: Option<String>,
    /// Room to enter after logging in; `None` stays in no room.
    pub room: Option<u32>,
}

impl Plan {
    /// A guest named `name`, entering `room` after logging in.
    pub fn guest(name: String, room: Option<u32>) -> Plan {
        Plan {
            name,
            kind: LoginKind::Guest,
            password: None,
            room,
        }
    }
}

/// Something a scenario should know about, produced by a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// `RESULT login ok`, this long after the connect started.
    LoggedIn { id: ClientId, latency_ns: u64 },
    /// The login was answered with another code; the client is closed.
    LoginRefused { id: ClientId, code: String },
    /// `RESULT enter ok`.
    Entered { id: ClientId },
    /// The room entry was refused; the client is closed.
    EnterRefused { id: ClientId, code: String },
    /// The client's own chat came back to it (the server's echo).
    Echo { id: ClientId },
    /// A chat was refused (`RESULT chat` with a code other than ok).
    ChatRefused { id: ClientId },
    /// The client is gone, for the reason given.
    Closed { id: ClientId, why: Closed },
    /// A `RESULT` of a table request; `refused` holds the code unless ok.
    TableResult {
        id: ClientId,
        action: TableAction,
        refused: Option<String>,
    },
    /// `<JOIN TABLE='n'/>`: the client sits at table n.
    Seated { id: ClientId, table: u32 },
    /// `<LEAVE/>`: the client is no longer at a table.
    LeftTable { id: ClientId },
    /// A game channel read the server's `</SESSION>`: the server has it
    /// ready for the player's next launch or join.
    ChannelReady { id: ClientId },
    /// A game packet the generator acts on arrived on a channel.
    Game { id: ClientId, event: GameEvent },
    /// A whole lockstep frame (docs/lockstep.md §2) arrived on a channel
    /// opened with [`Engine::open_framed_channel`].
    Frame {
        id: ClientId,
        kind: u8,
        body: Vec<u8>,
        /// When the read that completed it returned (`monotonic_ns`): a
        /// frame's arrival, not when the scenario got round to it.
        at: u64,
    },
    /// A table update or list showed `name` in a seat of `table` (the id
    /// this client's server gives it: with several nodes, a table of
    /// another node has an id of each node's own, docs/cluster.md).
    TableSeat {
        id: ClientId,
        table: u32,
        name: String,
    },
    /// `<MATCHED/>`: a matchmaking round reserved this seat.
    Matched { id: ClientId, table: u32, seat: u32 },
    /// A player list or update showed this client's own rating in its
    /// room's game (other players' ratings are not reported).
    OwnRating { id: ClientId, rating: i64 },
}

/// The table requests whose results are notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAction {
    Launch,
    Join,
    Leave,
    /// MATCH (docs/matchmaking.md §4).
    Match,
}

/// What a game server said on a channel, as far as the generator cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameEvent {
    /// REQ_MOVE: the server waits for this player's move.
    MoveRequested,
    /// RSP_MOVE with a status other than 0.
    MoveRefused(i8),
    /// MSG_GAMEOVER.
    GameOver,
}

/// Why a client was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// The connect failed (refused, unreachable, ...).
    ConnectFailed(String),
    /// The server answered `</SESSION>` (after our own, or of its own).
    SessionEnded,
    /// The server closed or reset the connection.
    Disconnected(String),
    /// The server's output could not be decoded, or it reported an XML
    /// error in ours.
    Protocol(String),
    /// The server said it is full.
    ServerFull,
    /// A bound of the generator was hit (output or input buffer).
    Overflow(&'static str),
}

impl Closed {
    /// A short label for counting close reasons in reports.
    pub fn label(&self) -> String {
        match self {
            Closed::ConnectFailed(e) => format!("connect failed: {e}"),
            Closed::SessionEnded => "session ended".into(),
            Closed::Disconnected(e) => format!("disconnected: {e}"),
            Closed::Protocol(e) => format!("protocol: {e}"),
            Closed::ServerFull => "server full".into(),
            Closed::Overflow(what) => format!("generator limit: {what}"),
        }
    }
}

/// Chat deliveries, tallied as they are read, split into phases by the
/// time the message was sent.
#[derive(Debug, Default)]
pub struct ChatTally {
    /// Phase start times (ns, ascending) and their latency histograms; a
    /// message counts in the last phase that started at or before its
    /// send time. Messages sent before the first phase are not counted.
    pub phases: Vec<(u64, Histogram)>,
    /// CHAT elements whose text was not a benchmark stamp.
    pub foreign: u64,
    /// With several targets, each phase's latencies again, split by
    /// whether sender and receiver were on the same node (`same`) or on
    /// two (`cross`): the cluster's own cost is the difference.
    pub split: Vec<NodeSplit>,
}

/// One phase's latencies by where sender and receiver were connected.
#[derive(Debug, Default)]
pub struct NodeSplit {
    pub same: Histogram,
    pub cross: Histogram,
}

/// Whether a delivery crossed nodes; `Unknown` with one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Unknown,
    SameNode,
    CrossNode,
}

impl Route {
    /// The route from the sender's target to the receiver's; `None` is a
    /// client whose target is not known (one target, or a channel).
    pub fn between(sender: Option<u16>, receiver: Option<u16>) -> Route {
        match (sender, receiver) {
            (Some(a), Some(b)) if a == b => Route::SameNode,
            (Some(_), Some(_)) => Route::CrossNode,
            _ => Route::Unknown,
        }
    }
}

impl ChatTally {
    /// Starts a new phase at `start_ns`.
    pub fn begin_phase(&mut self, start_ns: u64) {
        self.phases.push((start_ns, Histogram::default()));
        self.split.push(NodeSplit::default());
    }

    pub(super) fn record(&mut self, sent_ns: u64, now_ns: u64, route: Route) {
        let Some(i) = self.phases.iter().rposition(|(start, _)| *start <= sent_ns) else {
            return;
        };
        let latency = now_ns.saturating_sub(sent_ns);
        if let Some((_, h)) = self.phases.get_mut(i) {
            h.record(latency);
        }
        let split = self.split.get_mut(i);
        match (route, split) {
            (Route::SameNode, Some(s)) => s.same.record(latency),
            (Route::CrossNode, Some(s)) => s.cross.record(latency),
            _ => {}
        }
    }

    /// Deliveries counted in all phases.
    pub fn delivered(&self) -> u64 {
        self.phases.iter().map(|(_, h)| h.count()).sum()
    }
}

/// Counters of the whole run, for reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct Traffic {
    pub bytes_read: u64,
    pub reads: u64,
    pub pings_answered: u64,
    /// Monotonic time of the last read that returned bytes.
    pub last_read_ns: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_split_by_node_within_their_phase() {
        let mut t = ChatTally::default();
        t.record(5, 10, Route::CrossNode); // before any phase: not counted
        t.begin_phase(100);
        t.record(100, 1_100, Route::SameNode);
        t.record(150, 3_150, Route::CrossNode);
        t.record(160, 4_160, Route::Unknown);
        t.begin_phase(200);
        t.record(250, 9_250, Route::CrossNode);
        assert_eq!(t.delivered(), 4);
        assert_eq!(t.phases[0].1.count(), 3);
        assert_eq!(t.split[0].same.count(), 1);
        assert_eq!(t.split[0].cross.count(), 1);
        assert_eq!(t.split[0].cross.max(), 3_000);
        assert_eq!(t.split[1].cross.count(), 1);
        assert_eq!(t.split[1].same.count(), 0);
    }

    #[test]
    fn a_route_needs_both_ends_known() {
        assert_eq!(Route::between(Some(1), Some(1)), Route::SameNode);
        assert_eq!(Route::between(Some(0), Some(2)), Route::CrossNode);
        assert_eq!(Route::between(None, Some(2)), Route::Unknown);
        assert_eq!(Route::between(Some(0), None), Route::Unknown);
    }
}
