//! Typed client requests (docs/client-server.md §17), parsed from decoded [`Element`]s.
//!
//! Parsing is total: whatever arrives becomes some [`Request`], and odd
//! input becomes a variant or field value that the server can answer the
//! way the spec says (a missing integer becomes `-1` or `None`, an unknown
//! keyword becomes an `Unknown`/`Other`/`None` value, a misplaced child
//! becomes [`Request::Misplaced`]).

use super::element::Element;
use super::types::{parse_bool, parse_int};

/// `LOGIN TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginKind {
    /// A registered account (`normal`).
    Normal,
    /// Anonymous (`guest`).
    Guest,
    /// Registration (`first`).
    First,
}

impl LoginKind {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginKind::Normal => "normal",
            LoginKind::Guest => "guest",
            LoginKind::First => "first",
        }
    }
}

/// A `LOGIN` request with its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    /// `None`: a TYPE that is none of the three (answer `bad options`).
    /// A missing TYPE means guest.
    pub kind: Option<LoginKind>,
    /// `NAME` text; `None` if absent or empty.
    pub name: Option<String>,
    /// `PASSWORD` text; `None` if absent or empty (an empty element carries
    /// no character data, so the original sees no password at all).
    pub password: Option<String>,
    /// `EMAIL` text; `None` if absent or empty.
    pub email: Option<String>,
}

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

/// `RESEAT ACTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReseatAction {
    Sit,
    Stand,
    Move,
}

/// A `TABLE` child of `LAUNCH` or `UPDATE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableRequest {
    pub id: Option<i64>,
    pub game: Option<i64>,
    pub seats: Option<i64>,
    /// `DESC` text when a DESC child is present (possibly empty).
    pub desc: Option<String>,
    /// The `SEAT` children in document order.
    pub seats_given: Vec<SeatRequest>,
}

/// A `SEAT` child of a requested `TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRequest {
    pub num: Option<i64>,
    /// `TYPE`, lower-cased; empty when missing.
    pub kind: String,
    /// Text (a bot or player name); `None` when empty.
    pub name: Option<String>,
}

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

/// Where each child-only element may appear.
fn allowed_parents(name: &str) -> Option<&'static [&'static str]> {
    const LOGIN: &[&str] = &["LOGIN"];
    const TABLE_PARENTS: &[&str] = &["LAUNCH", "UPDATE"];
    const TABLE: &[&str] = &["TABLE"];
    const ADMIN: &[&str] = &["ADMIN"];
    let upper = name.to_ascii_uppercase();
    match upper.as_str() {
        "NAME" | "PASSWORD" | "EMAIL" => Some(LOGIN),
        "TABLE" => Some(TABLE_PARENTS),
        "SEAT" | "DESC" => Some(TABLE),
        "REASON" => Some(ADMIN),
        _ => None,
    }
}

/// A child-only element whose parent is not one it may appear in (the
/// message element itself counts as having no parent).
fn misplaced(root: &Element) -> Option<&str> {
    if allowed_parents(&root.name).is_some() {
        return Some(&root.name);
    }
    // Explicit stack rather than recursion: depth is bounded by the
    // decoder, but hand-built elements need not be.
    let mut todo: Vec<&Element> = vec![root];
    while let Some(parent) = todo.pop() {
        for child in &parent.children {
            let wrong_parent = allowed_parents(&child.name)
                .is_some_and(|parents| !parents.iter().any(|p| parent.is(p)));
            if wrong_parent {
                return Some(&child.name);
            }
        }
        todo.extend(parent.children.iter().rev());
    }
    None
}

fn attr_string(e: &Element, name: &str) -> Option<String> {
    e.attr(name).map(str::to_owned)
}

fn attr_lower(e: &Element, name: &str) -> Option<String> {
    e.attr(name).map(str::to_ascii_lowercase)
}

fn attr_int(e: &Element, name: &str) -> Option<i64> {
    e.attr(name).and_then(parse_int)
}

fn attr_bool(e: &Element, name: &str) -> bool {
    e.attr(name).and_then(parse_bool).unwrap_or(false)
}

fn child_text(e: &Element, name: &str) -> Option<String> {
    e.child(name)
        .map(|c| c.text.as_str())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn keyword(e: &Element, name: &str) -> Option<String> {
    attr_lower(e, name)
}

fn parse_table(e: &Element) -> TableRequest {
    TableRequest {
        id: attr_int(e, "ID"),
        game: attr_int(e, "GAME"),
        seats: attr_int(e, "SEATS"),
        desc: e.child("DESC").map(|d| d.text.clone()),
        seats_given: e
            .children_named("SEAT")
            .map(|s| SeatRequest {
                num: attr_int(s, "NUM"),
                kind: attr_lower(s, "TYPE").unwrap_or_default(),
                name: Some(s.text.clone()).filter(|t| !t.is_empty()),
            })
            .collect(),
    }
}

/// Turns one message into a request. Never fails.
pub fn parse_request(e: &Element) -> Request {
    if let Some(name) = misplaced(e) {
        return Request::Misplaced(name.to_ascii_uppercase());
    }
    let name = e.name.to_ascii_uppercase();
    match name.as_str() {
        "LANGUAGE" => Request::Language(e.text.clone()),
        "LOGIN" => Request::Login(LoginRequest {
            kind: match keyword(e, "TYPE").as_deref() {
                None | Some("guest") => Some(LoginKind::Guest),
                Some("normal") => Some(LoginKind::Normal),
                Some("first") => Some(LoginKind::First),
                Some(_) => None,
            },
            name: child_text(e, "NAME"),
            password: child_text(e, "PASSWORD"),
            email: child_text(e, "EMAIL"),
        }),
        "CHANNEL" => Request::Channel {
            id: attr_string(e, "ID"),
            token: attr_string(e, "TOKEN"),
        },
        "TLS_START" => Request::TlsStart,
        "PING" => Request::Ping {
            id: attr_string(e, "ID"),
        },
        "PONG" => Request::Pong {
            id: attr_string(e, "ID"),
        },
        "MOTD" => Request::Motd,
        "LIST" => Request::List {
            kind: match e.attr("TYPE") {
                None => ListKind::Missing,
                Some(t) if t.eq_ignore_ascii_case("game") => ListKind::Game,
                Some(t) if t.eq_ignore_ascii_case("room") => ListKind::Room,
                Some(t) if t.eq_ignore_ascii_case("player") => ListKind::Player,
                Some(t) if t.eq_ignore_ascii_case("table") => ListKind::Table,
                Some(t) if t.eq_ignore_ascii_case("queue") => ListKind::Queue,
                Some(t) if t.eq_ignore_ascii_case("played") => ListKind::Played {
                    player: attr_string(e, "PLAYER"),
                    max: attr_int(e, "MAX"),
                },
                Some(t) => ListKind::Unknown(t.to_owned()),
            },
            full: attr_bool(e, "FULL"),
        },
        "ENTER" => Request::Enter {
            room: attr_int(e, "ROOM").unwrap_or(-1),
        },
        "CHAT" => Request::Chat {
            kind: match e.attr("TYPE") {
                None => ChatKind::Normal,
                Some(t) if t.eq_ignore_ascii_case("normal") => ChatKind::Normal,
                Some(t) if t.eq_ignore_ascii_case("announce") => ChatKind::Announce,
                Some(t) if t.eq_ignore_ascii_case("beep") => ChatKind::Beep,
                Some(t) if t.eq_ignore_ascii_case("private") => ChatKind::Private,
                Some(t) if t.eq_ignore_ascii_case("table") => ChatKind::Table,
                Some(t) => ChatKind::Other(t.to_owned()),
            },
            to: attr_string(e, "TO"),
            text: e.text.clone(),
        },
        "LAUNCH" => Request::Launch {
            table: e.child("TABLE").map(parse_table),
        },
        "JOIN" => Request::Join {
            table: attr_int(e, "TABLE").unwrap_or(-1),
            spectator: attr_bool(e, "SPECTATOR"),
            seat: attr_int(e, "SEAT"),
        },
        "LEAVE" => Request::Leave {
            force: attr_bool(e, "FORCE"),
            spectator: attr_bool(e, "SPECTATOR"),
        },
        "RESEAT" => Request::Reseat {
            action: match keyword(e, "ACTION").as_deref() {
                Some("sit") => Some(ReseatAction::Sit),
                Some("stand") => Some(ReseatAction::Stand),
                Some("move") => Some(ReseatAction::Move),
                _ => None,
            },
            seat: attr_int(e, "SEAT"),
        },
        "UPDATE" => Request::Update {
            kind: keyword(e, "TYPE"),
            action: keyword(e, "ACTION"),
            room: attr_int(e, "ROOM"),
            table: e.child("TABLE").map(parse_table),
        },
        "INFO" => Request::Info {
            seat: attr_int(e, "SEAT"),
        },
        "RANKINGS" => Request::Rankings,
        "ADMIN" => Request::Admin {
            action: keyword(e, "ACTION"),
            player: attr_string(e, "PLAYER"),
            reason: child_text(e, "REASON"),
        },
        "ADMINPERM" => Request::AdminPerm {
            player: attr_string(e, "PLAYER"),
            perm: keyword(e, "PERM"),
            value: attr_bool(e, "VALUE"),
        },
        "EXTENSIONS" => Request::Extensions {
            names: extension_names(e.attr("NAMES").unwrap_or("")),
        },
        "MATCH" => Request::Match {
            queue: attr_string(e, "QUEUE"),
        },
        "MATCH_CANCEL" => Request::MatchCancel {
            queue: attr_string(e, "QUEUE"),
        },
        "RESTORE" => super::restore::parse(e),
        "REPLAY" => Request::Replay {
            id: attr_int(e, "ID"),
            from: attr_int(e, "FROM"),
        },
        _ => Request::Unknown(name),
    }
}

/// More names than any server knows; the rest are dropped unread.
pub const MAX_EXTENSION_NAMES: usize = 16;
/// Longer names cannot be ones ggzd knows; they are dropped.
pub const MAX_EXTENSION_NAME_LEN: usize = 32;

fn extension_names(list: &str) -> Vec<String> {
    list.split_ascii_whitespace()
        .filter(|n| n.len() <= MAX_EXTENSION_NAME_LEN)
        .take(MAX_EXTENSION_NAMES)
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::decoder::{Decoder, Event, Limits};

    /// Decodes one message written as XML text.
    fn parse(xml: &str) -> Request {
        let mut dec = Decoder::new(Limits::SERVER);
        let input = format!("<SESSION>{xml}");
        let mut off = 0;
        loop {
            let p = dec.feed(&input.as_bytes()[off..]).unwrap();
            off += p.consumed;
            match p.event {
                Some(Event::Element(e)) => return parse_request(&e),
                Some(_) => {}
                None => panic!("incomplete: {xml}"),
            }
        }
    }

    #[test]
    fn login() {
        let r = parse(
            "<LOGIN TYPE='normal'>\n<NAME>alice</NAME>\n<PASSWORD>secret</PASSWORD>\n</LOGIN>",
        );
        assert_eq!(
            r,
            Request::Login(LoginRequest {
                kind: Some(LoginKind::Normal),
                name: Some("alice".into()),
                password: Some("secret".into()),
                email: None,
            })
        );
        let Request::Login(l) = parse("<login><name>kim</name><password></password></login>")
        else {
            panic!()
        };
        assert_eq!(l.kind, Some(LoginKind::Guest));
        assert_eq!(l.name.as_deref(), Some("kim"));
        assert_eq!(l.password, None);
        let Request::Login(l) = parse(
            "<LOGIN TYPE='FIRST'><NAME>bob</NAME><PASSWORD>x1y2z3</PASSWORD>\
             <EMAIL>b@example.org</EMAIL></LOGIN>",
        ) else {
            panic!()
        };
        assert_eq!(l.kind, Some(LoginKind::First));
        assert_eq!(l.email.as_deref(), Some("b@example.org"));
        let Request::Login(l) = parse("<LOGIN TYPE='root'><NAME>x</NAME></LOGIN>") else {
            panic!()
        };
        assert_eq!(l.kind, None);
        let Request::Login(l) = parse("<LOGIN TYPE='guest'><NAME></NAME></LOGIN>") else {
            panic!()
        };
        assert_eq!(l.name, None);
        // Name text is verbatim, not trimmed.
        let Request::Login(l) = parse("<LOGIN><NAME> a </NAME></LOGIN>") else {
            panic!()
        };
        assert_eq!(l.name.as_deref(), Some(" a "));
    }

    #[test]
    fn misplaced_children() {
        for xml in [
            "<NAME>x</NAME>",
            "<password>x</password>",
            "<EMAIL/>",
            "<TABLE/>",
            "<SEAT/>",
            "<DESC/>",
            "<REASON>x</REASON>",
        ] {
            assert!(matches!(parse(xml), Request::Misplaced(_)), "{xml}");
        }
        assert_eq!(
            parse("<CHAT><NAME>x</NAME></CHAT>"),
            Request::Misplaced("NAME".into())
        );
        assert_eq!(
            parse("<LAUNCH><SEAT NUM='0' TYPE='open'/></LAUNCH>"),
            Request::Misplaced("SEAT".into())
        );
        assert_eq!(
            parse("<JOIN TABLE='1'><TABLE/></JOIN>"),
            Request::Misplaced("TABLE".into())
        );
        assert_eq!(
            parse("<LOGIN><FOO><name>x</name></FOO></LOGIN>"),
            Request::Misplaced("NAME".into())
        );
        assert_eq!(
            parse("<ADMIN ACTION='kick' PLAYER='x'><TABLE><REASON>r</REASON></TABLE></ADMIN>"),
            Request::Misplaced("TABLE".into())
        );
        // Unknown children are simply ignored.
        assert!(matches!(
            parse("<LOGIN><FOO/><NAME>x</NAME></LOGIN>"),
            Request::Login(_)
        ));
        assert_eq!(
            parse("<FROBNICATE/>"),
            Request::Unknown("FROBNICATE".into())
        );
    }

    #[test]
    fn launch_spec_example() {
        let r = parse(
            "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>quick one</DESC>\n\
             <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='Reserved'>kim</SEAT>\n\
             </TABLE>\n</LAUNCH>",
        );
        assert_eq!(
            r,
            Request::Launch {
                table: Some(TableRequest {
                    id: None,
                    game: Some(0),
                    seats: Some(2),
                    desc: Some("quick one".into()),
                    seats_given: vec![
                        SeatRequest {
                            num: Some(0),
                            kind: "open".into(),
                            name: None
                        },
                        SeatRequest {
                            num: Some(1),
                            kind: "reserved".into(),
                            name: Some("kim".into())
                        },
                    ],
                })
            }
        );
        assert_eq!(parse("<LAUNCH/>"), Request::Launch { table: None });
    }

    #[test]
    fn simple_requests() {
        assert_eq!(
            parse("<LANGUAGE>de_DE.UTF-8</LANGUAGE>"),
            Request::Language("de_DE.UTF-8".into())
        );
        assert_eq!(
            parse("<CHANNEL ID='alice' />"),
            Request::Channel {
                id: Some("alice".into()),
                token: None,
            }
        );
        assert_eq!(
            parse("<CHANNEL ID='bo' TOKEN='0a1b'/>"),
            Request::Channel {
                id: Some("bo".into()),
                token: Some("0a1b".into()),
            }
        );
        assert_eq!(
            parse("<CHANNEL/>"),
            Request::Channel {
                id: None,
                token: None
            }
        );
        assert_eq!(parse("<TLS_START/>"), Request::TlsStart);
        assert_eq!(
            parse("<PING ID='x'/>"),
            Request::Ping {
                id: Some("x".into())
            }
        );
        assert_eq!(parse("<PONG/>"), Request::Pong { id: None });
        assert_eq!(parse("<MOTD/>"), Request::Motd);
        assert_eq!(parse("<RANKINGS/>"), Request::Rankings);
        assert_eq!(parse("<INFO SEAT='1'/>"), Request::Info { seat: Some(1) });
        assert_eq!(parse("<INFO/>"), Request::Info { seat: None });
    }

    #[test]
    fn lists() {
        assert_eq!(
            parse("<LIST TYPE='game' FULL='false'/>"),
            Request::List {
                kind: ListKind::Game,
                full: false
            }
        );
        assert_eq!(
            parse("<LIST TYPE='ROOM' FULL='TRUE'/>"),
            Request::List {
                kind: ListKind::Room,
                full: true
            }
        );
        assert_eq!(
            parse("<LIST TYPE='player' FULL='maybe'/>"),
            Request::List {
                kind: ListKind::Player,
                full: false
            }
        );
        assert_eq!(
            parse("<LIST/>"),
            Request::List {
                kind: ListKind::Missing,
                full: false
            }
        );
        assert_eq!(
            parse("<LIST TYPE='chairs'/>"),
            Request::List {
                kind: ListKind::Unknown("chairs".into()),
                full: false
            }
        );
    }

    #[test]
    fn enter_join_leave_reseat() {
        assert_eq!(parse("<ENTER ROOM='1'/>"), Request::Enter { room: 1 });
        assert_eq!(parse("<ENTER ROOM='0x2'/>"), Request::Enter { room: 2 });
        assert_eq!(parse("<ENTER/>"), Request::Enter { room: -1 });
        assert_eq!(parse("<ENTER ROOM='x'/>"), Request::Enter { room: -1 });
        assert_eq!(
            parse("<JOIN TABLE='4' SPECTATOR='true'/>"),
            Request::Join {
                table: 4,
                spectator: true,
                seat: None
            }
        );
        assert_eq!(
            parse("<JOIN SEAT='1'/>"),
            Request::Join {
                table: -1,
                spectator: false,
                seat: Some(1)
            }
        );
        assert_eq!(
            parse("<LEAVE FORCE='true' SPECTATOR='false'/>"),
            Request::Leave {
                force: true,
                spectator: false
            }
        );
        assert_eq!(
            parse("<RESEAT ACTION='Move' SEAT='2'/>"),
            Request::Reseat {
                action: Some(ReseatAction::Move),
                seat: Some(2)
            }
        );
        assert_eq!(
            parse("<RESEAT ACTION='dance'/>"),
            Request::Reseat {
                action: None,
                seat: None
            }
        );
        assert_eq!(
            parse("<RESEAT ACTION='sit'/>"),
            Request::Reseat {
                action: Some(ReseatAction::Sit),
                seat: None
            }
        );
        assert_eq!(
            parse("<RESEAT ACTION='stand'/>"),
            Request::Reseat {
                action: Some(ReseatAction::Stand),
                seat: None
            }
        );
    }

    #[test]
    fn chats() {
        assert_eq!(
            parse("<CHAT TYPE='normal'>hi all &amp; good luck</CHAT>"),
            Request::Chat {
                kind: ChatKind::Normal,
                to: None,
                text: "hi all & good luck".into()
            }
        );
        assert_eq!(
            parse("<CHAT TYPE='beep' TO='nobody'/>"),
            Request::Chat {
                kind: ChatKind::Beep,
                to: Some("nobody".into()),
                text: String::new()
            }
        );
        assert_eq!(
            parse("<CHAT>x</CHAT>"),
            Request::Chat {
                kind: ChatKind::Normal,
                to: None,
                text: "x".into()
            }
        );
        let Request::Chat { kind, .. } = parse("<CHAT TYPE='PRIVATE' TO='bob'>x</CHAT>") else {
            panic!()
        };
        assert_eq!(kind, ChatKind::Private);
        let Request::Chat { kind, .. } = parse("<CHAT TYPE='table'>gg</CHAT>") else {
            panic!()
        };
        assert_eq!(kind, ChatKind::Table);
        let Request::Chat { kind, .. } = parse("<CHAT TYPE='announce'>m</CHAT>") else {
            panic!()
        };
        assert_eq!(kind, ChatKind::Announce);
        let Request::Chat { kind, .. } = parse("<CHAT TYPE='shout'>m</CHAT>") else {
            panic!()
        };
        assert_eq!(kind, ChatKind::Other("shout".into()));
        assert_eq!(kind.as_str(), "shout");
    }

    #[test]
    fn updates() {
        let r = parse(
            "<UPDATE TYPE='table' ACTION='desc' ROOM='1'>\n<TABLE ID='4'>\n\
             <DESC>now with house rules</DESC>\n</TABLE>\n</UPDATE>",
        );
        assert_eq!(
            r,
            Request::Update {
                kind: Some("table".into()),
                action: Some("desc".into()),
                room: Some(1),
                table: Some(TableRequest {
                    id: Some(4),
                    desc: Some("now with house rules".into()),
                    ..TableRequest::default()
                })
            }
        );
        let Request::Update { table, action, .. } = parse(
            "<UPDATE TYPE='Table' ACTION='BOOT' ROOM='1'>\n<TABLE ID='4' SEATS='1'>\n\
             <SEAT NUM='0' TYPE='player'>mallory</SEAT>\n</TABLE>\n</UPDATE>",
        ) else {
            panic!()
        };
        assert_eq!(action.as_deref(), Some("boot"));
        let table = table.unwrap();
        assert_eq!(table.seats_given[0].name.as_deref(), Some("mallory"));
        assert_eq!(table.seats_given[0].kind, "player");
        assert_eq!(
            parse("<UPDATE/>"),
            Request::Update {
                kind: None,
                action: None,
                room: None,
                table: None
            }
        );
        let Request::Update { table, .. } = parse(
            "<UPDATE TYPE='table' ACTION='desc'><TABLE ID='1'><DESC></DESC></TABLE></UPDATE>",
        ) else {
            panic!()
        };
        assert_eq!(table.unwrap().desc.as_deref(), Some(""));
    }

    #[test]
    fn admin() {
        assert_eq!(
            parse("<ADMIN ACTION='kick' PLAYER='troll'>\n<REASON>spamming</REASON>\n</ADMIN>"),
            Request::Admin {
                action: Some("kick".into()),
                player: Some("troll".into()),
                reason: Some("spamming".into())
            }
        );
        assert_eq!(
            parse("<ADMIN ACTION='GAG' PLAYER='troll'/>"),
            Request::Admin {
                action: Some("gag".into()),
                player: Some("troll".into()),
                reason: None
            }
        );
        assert_eq!(
            parse("<ADMINPERM PLAYER='dave' PERM='edit_tables' VALUE='true'/>"),
            Request::AdminPerm {
                player: Some("dave".into()),
                perm: Some("edit_tables".into()),
                value: true
            }
        );
        assert_eq!(
            parse("<ADMINPERM/>"),
            Request::AdminPerm {
                player: None,
                perm: None,
                value: false
            }
        );
    }

    #[test]
    fn extensions_are_split_lowered_and_bounded() {
        assert_eq!(
            parse("<EXTENSIONS NAMES=' Rejoin  channel-token '/>"),
            Request::Extensions {
                names: vec!["rejoin".into(), "channel-token".into()]
            }
        );
        assert_eq!(
            parse("<EXTENSIONS/>"),
            Request::Extensions { names: vec![] }
        );
        let many = vec!["x"; 40].join(" ");
        let long = "y".repeat(MAX_EXTENSION_NAME_LEN + 1);
        match parse(&format!("<EXTENSIONS NAMES='{long} {many}'/>")) {
            Request::Extensions { names } => {
                assert_eq!(names.len(), MAX_EXTENSION_NAMES);
                assert!(names.iter().all(|n| n == "x"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn matchmaking_requests() {
        assert_eq!(
            parse("<MATCH QUEUE='ttt'/>"),
            Request::Match {
                queue: Some("ttt".into())
            }
        );
        assert_eq!(
            parse("<MATCH_CANCEL/>"),
            Request::MatchCancel { queue: None }
        );
        assert_eq!(
            parse("<LIST TYPE='played' PLAYER='Bob' MAX='5'/>"),
            Request::List {
                kind: ListKind::Played {
                    player: Some("Bob".into()),
                    max: Some(5)
                },
                full: false
            }
        );
        assert_eq!(
            parse("<REPLAY ID='17'/>"),
            Request::Replay {
                id: Some(17),
                from: None
            }
        );
        assert_eq!(
            parse("<LIST TYPE='Queue'/>"),
            Request::List {
                kind: ListKind::Queue,
                full: false
            }
        );
        assert_eq!(parse("<MATCH/>").action_name(), "match");
        assert_eq!(parse("<MATCH_CANCEL/>").action_name(), "match_cancel");
    }

    #[test]
    fn action_names() {
        assert_eq!(parse("<LIST TYPE='room'/>").action_name(), "list");
        assert_eq!(parse("<ADMINPERM/>").action_name(), "admin");
        assert_eq!(parse("<PONG/>").action_name(), "pong");
        assert_eq!(parse("<RANKINGS/>").action_name(), "rankings");
        assert_eq!(parse("<TLS_START/>").action_name(), "tls_start");
        assert_eq!(parse("<NAME/>").action_name(), "protocol");
    }
}
