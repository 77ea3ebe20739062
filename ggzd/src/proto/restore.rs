//! `RESTORE` of the `replays` extension (docs/replays.md, docs/event-log.md
//! §4): the request, its answer and the notice to the restored game's
//! players. Kept apart so that the element is one small file.

use super::element::Element;
use super::reply::{attr, attr_num, end_empty, result_open};
use super::request::Request;
use super::types::{ResultCode, parse_int};

/// `<RESTORE ID='17'/>` → [`Request::Restore`]; a missing or unreadable
/// `ID` is `None` (answered `bad options`).
pub fn parse(e: &Element) -> Request {
    Request::Restore {
        id: e.attr("ID").and_then(parse_int),
    }
}

/// `<RESULT ACTION='restore' CODE='ok' TABLE='t'/>`: the restored table
/// is ready.
pub fn result_ok(table: u32) -> String {
    let mut out = String::new();
    result_open(&mut out, "restore", ResultCode::Ok);
    attr_num(&mut out, "TABLE", table);
    end_empty(&mut out);
    out
}

/// `<RESULT ACTION='restore' CODE='…' REASON='…'/>`: refused.
pub fn result_refused(code: ResultCode, reason: &str) -> String {
    let mut out = String::new();
    result_open(&mut out, "restore", code);
    attr(&mut out, "REASON", reason);
    end_empty(&mut out);
    out
}

/// `<RESTORED ROOM='r' TABLE='t' SEAT='s'/>`: a seat of a restored game is
/// reserved for this player; the client JOINs it as after MATCHED.
pub fn restored(room: u32, table: u32, seat: u32) -> String {
    super::ext_reply::seat_notice("RESTORED", room, table, seat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::request::tests::parse as request;

    #[test]
    fn the_request_and_its_answers() {
        assert_eq!(
            request("<RESTORE ID='17'/>"),
            Request::Restore { id: Some(17) }
        );
        assert_eq!(request("<RESTORE/>"), Request::Restore { id: None });
        assert_eq!(request("<RESTORE ID='x'/>"), Request::Restore { id: None });
        assert_eq!(Request::Restore { id: None }.action_name(), "restore");
        assert_eq!(
            result_ok(3),
            "<RESULT ACTION='restore' CODE='ok' TABLE='3'/>\n"
        );
        assert_eq!(
            result_refused(ResultCode::BadOptions, "the event log is forged"),
            "<RESULT ACTION='restore' CODE='bad options' REASON='the event log is forged'/>\n"
        );
        assert_eq!(
            result_refused(ResultCode::BadOptions, "a 'quote' & <more>"),
            "<RESULT ACTION='restore' CODE='bad options' REASON='a &apos;quote&apos; &amp; &lt;more&gt;'/>\n"
        );
        assert_eq!(
            restored(1, 2, 0),
            "<RESTORED ROOM='1' TABLE='2' SEAT='0'/>\n"
        );
    }
}
