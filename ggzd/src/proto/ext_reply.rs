//! Server messages of the protocol-10 extensions (docs/extensions.md).
//!
//! Kept apart from [`super::reply`], which writes only what the original
//! server sends: everything here goes only to a client that asked for it.

use super::reply::{attr, attr_num, end_empty, list_close, list_open, open};

/// `<EXTENSIONS NAMES='…'/>`: the extensions switched on for this session
/// (docs/extensions.md §1).
pub fn extensions(names: &[&str]) -> String {
    let mut out = String::new();
    open(&mut out, "EXTENSIONS");
    attr(&mut out, "NAMES", &names.join(" "));
    end_empty(&mut out);
    out
}

/// A refused LOGIN with the reason, for a client that uses extensions:
/// `<RESULT ACTION='login' CODE='…' REASON='…'/>`, or for a registration
/// the original's open/close form (docs/postgresql.md §5).
pub fn login_refused_with_reason(
    code: super::types::ResultCode,
    first: bool,
    reason: &str,
) -> String {
    let mut out = String::new();
    super::reply::result_open(&mut out, "login", code);
    attr(&mut out, "REASON", reason);
    if first {
        super::reply::end_start_line(&mut out);
        super::reply::close_line(&mut out, "RESULT");
    } else {
        end_empty(&mut out);
    }
    out
}

/// `<CHANNELTOKEN TOKEN='…'/>`: the single-use token for the next game
/// channel (docs/extensions.md §2).
pub fn channel_token(token: &str) -> String {
    let mut out = String::new();
    open(&mut out, "CHANNELTOKEN");
    attr(&mut out, "TOKEN", token);
    end_empty(&mut out);
    out
}

/// One queue in `LIST TYPE='queue'` (docs/matchmaking.md §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView<'a> {
    pub name: &'a str,
    pub game: i32,
    pub room: i32,
    pub min: u32,
    pub max: u32,
    pub waiting: usize,
    /// Recent mean time in queue, whole seconds rounded up.
    pub wait: u64,
}

/// The answer to `LIST TYPE='queue'`.
pub fn list_queues(queues: &[QueueView<'_>]) -> String {
    let mut out = String::new();
    list_open(&mut out, "queue", None);
    for q in queues {
        open(&mut out, "QUEUE");
        attr(&mut out, "NAME", q.name);
        attr_num(&mut out, "GAME", q.game);
        attr_num(&mut out, "ROOM", q.room);
        attr_num(&mut out, "MIN", q.min);
        attr_num(&mut out, "MAX", q.max);
        attr_num(&mut out, "WAITING", q.waiting);
        attr_num(&mut out, "WAIT", q.wait);
        end_empty(&mut out);
    }
    list_close(&mut out);
    out
}

/// `<MATCHED …/>`: the table and seat a round reserved for this player
/// (docs/matchmaking.md §4).
pub fn matched(queue: &str, room: i32, table: i32, seat: u32) -> String {
    let mut out = String::new();
    open(&mut out, "MATCHED");
    attr(&mut out, "QUEUE", queue);
    attr_num(&mut out, "ROOM", room);
    attr_num(&mut out, "TABLE", table);
    attr_num(&mut out, "SEAT", seat);
    end_empty(&mut out);
    out
}

/// `<REJOIN ROOM='r' TABLE='t' SEAT='s'/>`: a seat is held for this
/// player at that table (docs/extensions.md §3).
pub fn rejoin(room: u32, table: u32, seat: u32) -> String {
    seat_notice("REJOIN", room, table, seat)
}

/// `<TAG ROOM='r' TABLE='t' SEAT='s'/>`: a seat held for this player, which
/// our clients take with JOIN (REJOIN, RESTORED).
pub(super) fn seat_notice(tag: &str, room: u32, table: u32, seat: u32) -> String {
    let mut out = String::new();
    open(&mut out, tag);
    attr_num(&mut out, "ROOM", room);
    attr_num(&mut out, "TABLE", table);
    attr_num(&mut out, "SEAT", seat);
    end_empty(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_refusal_carries_its_reason() {
        use crate::proto::types::ResultCode;
        assert_eq!(
            login_refused_with_reason(ResultCode::UsrLookup, false, "database unavailable"),
            "<RESULT ACTION='login' CODE='usr lookup' REASON='database unavailable'/>\n"
        );
        assert_eq!(
            login_refused_with_reason(ResultCode::UsrLookup, true, "x"),
            "<RESULT ACTION='login' CODE='usr lookup' REASON='x'>\n</RESULT>\n"
        );
    }

    #[test]
    fn queue_list_and_matched() {
        let q = QueueView {
            name: "ttt",
            game: 0,
            room: 1,
            min: 2,
            max: 2,
            waiting: 3,
            wait: 1,
        };
        assert_eq!(
            list_queues(&[q]),
            "<RESULT ACTION='list' CODE='ok'>\n<LIST TYPE='queue'>\n\
             <QUEUE NAME='ttt' GAME='0' ROOM='1' MIN='2' MAX='2' WAITING='3' WAIT='1'/>\n\
             </LIST>\n</RESULT>\n"
        );
        assert_eq!(
            matched("ttt", 1, 4, 0),
            "<MATCHED QUEUE='ttt' ROOM='1' TABLE='4' SEAT='0'/>\n"
        );
    }

    #[test]
    fn extensions_lists_names_space_separated() {
        assert_eq!(
            extensions(&["rejoin", "channel-token"]),
            "<EXTENSIONS NAMES='rejoin channel-token'/>\n"
        );
        assert_eq!(extensions(&[]), "<EXTENSIONS NAMES=''/>\n");
    }

    #[test]
    fn channel_token_element() {
        assert_eq!(channel_token("00ff"), "<CHANNELTOKEN TOKEN='00ff'/>\n");
    }

    #[test]
    fn rejoin_names_room_table_and_seat() {
        assert_eq!(rejoin(1, 3, 0), "<REJOIN ROOM='1' TABLE='3' SEAT='0'/>\n");
    }
}
