//! Other pushes: CHAT, JOIN, LEAVE, PING/PONG, INFO, RANKINGS.

use super::views::{PlayerInfoView, RankingView};
use super::write::{attr, attr_bool, attr_num, close_line, end_empty, open};
use crate::proto::escape::escape;
use crate::proto::types::LeaveReason;

/// A chat message as relayed (docs/client-server.md §10). `text: None` writes the
/// self-closing form used for beeps; `Some("")` writes `<CHAT …></CHAT>`.
pub fn chat(kind: &str, from: &str, text: Option<&str>) -> String {
    let mut out = String::new();
    open(&mut out, "CHAT");
    attr(&mut out, "TYPE", kind);
    attr(&mut out, "FROM", from);
    match text {
        Some(text) => {
            out.push('>');
            out.push_str(&escape(text));
            close_line(&mut out, "CHAT");
        }
        None => end_empty(&mut out),
    }
    out
}

/// `<JOIN TABLE='n' SPECTATOR='true|false'/>`
pub fn join(table: i32, spectator: bool) -> String {
    let mut out = String::new();
    open(&mut out, "JOIN");
    attr_num(&mut out, "TABLE", table);
    attr_bool(&mut out, "SPECTATOR", spectator);
    end_empty(&mut out);
    out
}

/// `<LEAVE REASON='…'[ PLAYER='…']/>`
pub fn leave(reason: LeaveReason, player: Option<&str>) -> String {
    let mut out = String::new();
    open(&mut out, "LEAVE");
    attr(&mut out, "REASON", reason.as_str());
    if let Some(player) = player {
        attr(&mut out, "PLAYER", player);
    }
    end_empty(&mut out);
    out
}

/// `<PING/>` (ggzd never adds an ID).
pub fn ping() -> String {
    "<PING/>\n".to_owned()
}

/// `<PONG ID='…'/>`, or `<PONG/>` when the PING had no ID.
pub fn pong(id: Option<&str>) -> String {
    let mut out = String::new();
    open(&mut out, "PONG");
    if let Some(id) = id {
        attr(&mut out, "ID", id);
    }
    end_empty(&mut out);
    out
}

/// `INFO` reply (not wrapped in RESULT).
pub fn info(entries: &[PlayerInfoView<'_>]) -> String {
    let mut out = String::from("<INFO>\n");
    for e in entries {
        open(&mut out, "PLAYERINFO");
        attr_num(&mut out, "SEAT", e.seat);
        attr(&mut out, "REALNAME", e.realname);
        attr(&mut out, "PHOTO", e.photo);
        attr(&mut out, "HOST", e.host);
        end_empty(&mut out);
    }
    close_line(&mut out, "INFO");
    out
}

/// `RANKINGS` reply (not wrapped in RESULT).
pub fn rankings(entries: &[RankingView<'_>]) -> String {
    let mut out = String::from("<RANKINGS>\n");
    for e in entries {
        open(&mut out, "RANKING");
        attr_num(&mut out, "POSITION", e.position);
        attr(&mut out, "PLAYER", e.player);
        attr_num(&mut out, "SCORE", e.score);
        end_empty(&mut out);
    }
    close_line(&mut out, "RANKINGS");
    out
}
