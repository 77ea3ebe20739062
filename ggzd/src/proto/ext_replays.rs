//! The elements of the `replays` extension (docs/replays.md §4): the
//! answers to `LIST TYPE='played'` and `REPLAY`, sent only to clients
//! that asked for the extension.

use super::reply::{
    attr, attr_num, close_line, end_empty, end_start_line, list_close, list_open, open, result_open,
};
use super::types::ResultCode;
use crate::store::{PlayedSeat, PlayedSummary, Replay};

fn push_attrs(out: &mut String, g: &PlayedSummary) {
    attr_num(out, "ID", g.id);
    attr(out, "GAME", &g.game);
    attr_num(out, "END", g.ended);
    attr(out, "STATUS", g.status.as_str());
    attr_num(out, "EVENTS", g.events);
}

fn push_seats(out: &mut String, seats: &[PlayedSeat]) {
    for s in seats {
        open(out, "SEAT");
        attr_num(out, "NUM", s.seat);
        attr(out, "NAME", &s.name);
        attr(out, "TYPE", s.kind.as_str());
        attr(out, "RESULT", s.result.as_str());
        end_empty(out);
    }
}

/// The answer to `LIST TYPE='played'`, newest first.
pub fn list_played(games: &[PlayedSummary]) -> String {
    let mut out = String::new();
    list_open(&mut out, "played", None);
    for g in games {
        open(&mut out, "PLAYED");
        push_attrs(&mut out, g);
        end_start_line(&mut out);
        push_seats(&mut out, &g.seats);
        close_line(&mut out, "PLAYED");
    }
    list_close(&mut out);
    out
}

/// `<RESULT ACTION='…' CODE='…' REASON='…'/>`: a refusal that says why.
pub fn refused(action: &str, code: ResultCode, reason: &str) -> String {
    let mut out = String::new();
    result_open(&mut out, action, code);
    attr(&mut out, "REASON", reason);
    end_empty(&mut out);
    out
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            s.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

/// What a page of a replay needs after its events: NEXT goes in the start
/// tag, so the page is built as head + events + tail.
const TAIL: &str = "</REPLAY>\n";

/// One page of a replay: events from sequence number `from` on while the
/// whole answer stays within `max_bytes`, with `NEXT` naming the first
/// event left out. `None` when not even the first of them fits.
pub fn replay_page(replay: &Replay, from: u64, max_bytes: usize) -> Option<String> {
    let events = replay.log.events.iter().skip_while(|e| e.seq < from);
    let mut body = String::new();
    let mut next = None;
    // Room for the head, whose NEXT attribute is not known yet.
    let mut head = String::new();
    open(&mut head, "REPLAY");
    push_attrs(&mut head, &replay.summary);
    attr_num(&mut head, "NEXT", u64::MAX);
    end_start_line(&mut head);
    push_seats(&mut head, &replay.summary.seats);
    let budget = max_bytes.saturating_sub(head.len() + TAIL.len());
    for e in events {
        let mut line = String::new();
        open(&mut line, "EVENT");
        attr_num(&mut line, "SEQ", e.seq);
        attr_num(&mut line, "TIME", e.time_ms);
        attr(&mut line, "KIND", &e.kind);
        attr(&mut line, "DATA", &hex(&e.data));
        end_empty(&mut line);
        if body.len() + line.len() > budget {
            if body.is_empty() {
                return None;
            }
            next = Some(e.seq);
            break;
        }
        body.push_str(&line);
    }
    let mut out = String::with_capacity(head.len() + body.len() + TAIL.len());
    open(&mut out, "REPLAY");
    push_attrs(&mut out, &replay.summary);
    if let Some(next) = next {
        attr_num(&mut out, "NEXT", next);
    }
    end_start_line(&mut out);
    push_seats(&mut out, &replay.summary.seats);
    out.push_str(&body);
    out.push_str(TAIL);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{PlayedSeatKind, PlayedStatus, SeatResult};
    use ggzdmod::eventlog::{Event, ParsedLog};

    fn summary() -> PlayedSummary {
        PlayedSummary {
            id: 17,
            game: "Tic<Tac>Toe".into(),
            ended: 1000,
            status: PlayedStatus::Finished,
            events: 3,
            seats: vec![PlayedSeat {
                seat: 0,
                name: "o'neil".into(),
                kind: PlayedSeatKind::Guest,
                result: SeatResult::Win,
            }],
        }
    }

    fn replay(events: u64) -> Replay {
        Replay {
            summary: summary(),
            log: ParsedLog {
                game: "TicTacToe".into(),
                events: (1..=events)
                    .map(|seq| Event {
                        seq,
                        time_ms: 5000 + seq,
                        kind: "move".into(),
                        data: vec![0, seq as u8, 0xff],
                    })
                    .collect(),
                complete: true,
            },
            raw: Vec::new(),
        }
    }

    #[test]
    fn list_is_escaped_newest_first_as_given() {
        assert_eq!(
            list_played(&[summary()]),
            "<RESULT ACTION='list' CODE='ok'>\n<LIST TYPE='played'>\n\
             <PLAYED ID='17' GAME='Tic&lt;Tac&gt;Toe' END='1000' STATUS='finished' EVENTS='3'>\n\
             <SEAT NUM='0' NAME='o&apos;neil' TYPE='guest' RESULT='win'/>\n\
             </PLAYED>\n</LIST>\n</RESULT>\n"
        );
        assert_eq!(
            refused("replay", ResultCode::BadOptions, "unknown id"),
            "<RESULT ACTION='replay' CODE='bad options' REASON='unknown id'/>\n"
        );
    }

    #[test]
    fn a_replay_fits_one_page_or_comes_in_pages() {
        let whole = replay_page(&replay(2), 1, 10_000).unwrap();
        assert_eq!(
            whole,
            "<REPLAY ID='17' GAME='Tic&lt;Tac&gt;Toe' END='1000' STATUS='finished' EVENTS='3'>\n\
             <SEAT NUM='0' NAME='o&apos;neil' TYPE='guest' RESULT='win'/>\n\
             <EVENT SEQ='1' TIME='5001' KIND='move' DATA='0001ff'/>\n\
             <EVENT SEQ='2' TIME='5002' KIND='move' DATA='0002ff'/>\n\
             </REPLAY>\n"
        );
        // Pages stay within the bound and together hold every event once.
        let long = replay(100);
        let mut from = 1;
        let mut seen = 0;
        let mut pages = 0;
        loop {
            let page = replay_page(&long, from, 600).unwrap();
            assert!(page.len() <= 600, "{}", page.len());
            seen += page.matches("<EVENT ").count();
            pages += 1;
            match page.split("NEXT='").nth(1) {
                Some(rest) => from = rest.split('\'').next().unwrap().parse().unwrap(),
                None => break,
            }
        }
        assert_eq!(seen, 100);
        assert!(pages > 5);
        assert_eq!(replay_page(&long, 1, 100), None);
        // Past the end: an empty page.
        assert_eq!(
            replay_page(&long, 101, 600)
                .unwrap()
                .matches("<EVENT ")
                .count(),
            0
        );
    }
}
