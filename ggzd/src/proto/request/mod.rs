//! Typed client requests (docs/client-server.md §17), parsed from decoded [`Element`]s.
//!
//! Parsing is total: whatever arrives becomes some [`Request`], and odd
//! input becomes a variant or field value that the server can answer the
//! way the spec says (a missing integer becomes `-1` or `None`, an unknown
//! keyword becomes an `Unknown`/`Other`/`None` value, a misplaced child
//! becomes [`Request::Misplaced`]).
//!
//! Files: the request types by area (`session.rs` for LOGIN,
//! `rooms.rs` for LIST and CHAT, `tables.rs` for the table requests,
//! `extensions.rs` for EXTENSIONS), the [`Request`] enum here, and
//! `parse.rs`, which turns an element into one.

mod extensions;
mod parse;
mod rooms;
mod session;
mod tables;
#[cfg(test)]
pub(crate) mod tests;

pub use extensions::{MAX_EXTENSION_NAME_LEN, MAX_EXTENSION_NAMES};
pub use parse::parse_request;
pub use rooms::{ChatKind, ListKind};
pub use session::{LoginKind, LoginRequest};
pub use tables::{ReseatAction, SeatRequest, TableRequest};

/// One client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Language(String),
    Login(LoginRequest),
    Channel {
        id: Option<String>,
        /// `TOKEN`: the `channel-token` extension (docs/extensions.md §2).
        token: Option<String>,
    },
    TlsStart,
    Ping {
        id: Option<String>,
    },
    Pong {
        id: Option<String>,
    },
    Motd,
    List {
        kind: ListKind,
        /// `FULL`, default false.
        full: bool,
    },
    Enter {
        /// `ROOM`; missing or unparsable is -1.
        room: i64,
    },
    Chat {
        kind: ChatKind,
        to: Option<String>,
        text: String,
    },
    Launch {
        table: Option<TableRequest>,
    },
    Join {
        /// `TABLE`; missing or unparsable is -1.
        table: i64,
        spectator: bool,
        seat: Option<i64>,
    },
    Leave {
        force: bool,
        spectator: bool,
    },
    Reseat {
        /// `None` for a missing or unknown ACTION.
        action: Option<ReseatAction>,
        seat: Option<i64>,
    },
    Update {
        /// `TYPE`, lower-cased.
        kind: Option<String>,
        /// `ACTION`, lower-cased.
        action: Option<String>,
        room: Option<i64>,
        table: Option<TableRequest>,
    },
    Info {
        seat: Option<i64>,
    },
    Rankings,
    Admin {
        /// `ACTION`, lower-cased.
        action: Option<String>,
        player: Option<String>,
        /// `REASON` child text; `None` if absent or empty.
        reason: Option<String>,
    },
    AdminPerm {
        player: Option<String>,
        /// `PERM`, lower-cased.
        perm: Option<String>,
        /// `VALUE`, default false.
        value: bool,
    },
    /// `EXTENSIONS`: the extensions a client asks for (docs/extensions.md),
    /// from the space-separated `NAMES`, lower-cased, at most
    /// [`MAX_EXTENSION_NAMES`] of at most [`MAX_EXTENSION_NAME_LEN`] bytes.
    Extensions {
        names: Vec<String>,
    },
    /// `MATCH QUEUE='name'`: ask to be matched (docs/matchmaking.md §4).
    Match {
        queue: Option<String>,
    },
    /// `MATCH_CANCEL QUEUE='name'`: end that ticket.
    MatchCancel {
        queue: Option<String>,
    },
    /// `RESTORE ID='n'` of the `replays` extension: relaunch a played
    /// game from its event log (docs/replays.md; `proto/restore.rs`).
    Restore {
        id: Option<i64>,
    },
    /// `REPLAY ID='n' FROM='seq'`: one page of a played game
    /// (docs/replays.md §4.2).
    Replay {
        id: Option<i64>,
        from: Option<i64>,
    },
    /// A child-only element (NAME, PASSWORD, EMAIL, TABLE, SEAT, DESC,
    /// REASON) at the top level, or a known child in the wrong parent
    /// anywhere in the message: answered
    /// `<RESULT ACTION='protocol' CODE='bad options'/>`. Holds the name of
    /// the misplaced element.
    Misplaced(String),
    /// Unknown element: silently ignored. Holds its name.
    Unknown(String),
}

impl Request {
    /// The lower-case ACTION used when answering this request with
    /// `not logged in` (docs/client-server.md §2): the element name lower-cased, `admin`
    /// for ADMINPERM. `protocol` for [`Request::Misplaced`] and `unknown`
    /// for [`Request::Unknown`], which never get that answer.
    pub fn action_name(&self) -> &'static str {
        match self {
            Request::Language(_) => "language",
            Request::Login(_) => "login",
            Request::Channel { .. } => "channel",
            Request::TlsStart => "tls_start",
            Request::Ping { .. } => "ping",
            Request::Pong { .. } => "pong",
            Request::Motd => "motd",
            Request::List { .. } => "list",
            Request::Enter { .. } => "enter",
            Request::Chat { .. } => "chat",
            Request::Launch { .. } => "launch",
            Request::Join { .. } => "join",
            Request::Leave { .. } => "leave",
            Request::Reseat { .. } => "reseat",
            Request::Update { .. } => "update",
            Request::Info { .. } => "info",
            Request::Rankings => "rankings",
            Request::Admin { .. } | Request::AdminPerm { .. } => "admin",
            Request::Extensions { .. } => "extensions",
            Request::Match { .. } => "match",
            Request::MatchCancel { .. } => "match_cancel",
            Request::Restore { .. } => "restore",
            Request::Replay { .. } => "replay",
            Request::Misplaced(_) => "protocol",
            Request::Unknown(_) => "unknown",
        }
    }
}
