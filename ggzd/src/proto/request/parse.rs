//! Element → [`Request`]: the only place request elements are read.

use super::extensions::extension_names;
use super::{
    ChatKind, ListKind, LoginKind, LoginRequest, Request, ReseatAction, SeatRequest, TableRequest,
};
use crate::proto::element::Element;
use crate::proto::types::{parse_bool, parse_int};

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
        "RESTORE" => crate::proto::restore::parse(e),
        "REPLAY" => Request::Replay {
            id: attr_int(e, "ID"),
            from: attr_int(e, "FROM"),
        },
        _ => Request::Unknown(name),
    }
}
