//! Lobby requests: what `LIST` asks for and the kinds of `CHAT`.

/// `LIST TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    Game,
    Room,
    Player,
    Table,
    /// Matchmaking queues (docs/matchmaking.md §4).
    Queue,
    /// Played games (docs/replays.md §4.1): `PLAYER`, `MAX` as given.
    Played {
        player: Option<String>,
        max: Option<i64>,
    },
    /// No TYPE: `<RESULT ACTION='list' CODE='bad options'/>`.
    Missing,
    /// Unrecognised TYPE: `<RESULT ACTION='protocol' CODE='bad options'/>`.
    Unknown(String),
}

/// `CHAT TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatKind {
    /// `normal`, also used when TYPE is missing.
    Normal,
    Announce,
    Beep,
    /// The "personal" chat; called `private` on the wire.
    Private,
    Table,
    /// Any other TYPE, verbatim. The original treats it like `normal` but
    /// relays it with `TYPE=''`.
    Other(String),
}

impl ChatKind {
    /// Wire spelling; for [`ChatKind::Other`] the received text.
    pub fn as_str(&self) -> &str {
        match self {
            ChatKind::Normal => "normal",
            ChatKind::Announce => "announce",
            ChatKind::Beep => "beep",
            ChatKind::Private => "private",
            ChatKind::Table => "table",
            ChatKind::Other(s) => s,
        }
    }
}
