//! Played games and replays as `ggz` shows them (docs/replays.md §4):
//! the `LIST TYPE='played'` answer as lines, and a replay gathered page
//! by page, then shown move by move: a TicTacToe board after each move
//! (event kinds of docs/event-log.md), for other games each event's kind
//! and size. Sans-IO; every text from the server is neutralised.

use ggzd::proto::Element;

use super::render::clean;

/// Events kept of one replay; a longer one is shown up to here.
pub const MAX_EVENTS: usize = 100_000;

fn attr<'a>(e: &'a Element, name: &str) -> &'a str {
    e.attr(name).unwrap_or_default()
}

fn when(unix: &str) -> String {
    unix.parse::<i64>()
        .map(crate::uedit::timefmt::utc)
        .unwrap_or_else(|_| clean(unix))
}

fn seat_line(s: &Element) -> String {
    format!(
        "{} ({}, {})",
        clean(attr(s, "NAME")),
        clean(attr(s, "TYPE")),
        clean(attr(s, "RESULT"))
    )
}

/// `/games-played`: one line per game of the LIST, newest first.
pub fn played_lines(player: &str, list: &Element) -> Vec<String> {
    let games: Vec<&Element> = list.children_named("PLAYED").collect();
    if games.is_empty() {
        return vec![format!("no played games of {}", clean(player))];
    }
    let mut lines = vec![format!("played games of {}:", clean(player))];
    for g in games {
        let seats: Vec<String> = g.children_named("SEAT").map(seat_line).collect();
        lines.push(format!(
            "  #{} {} {} {} {} events: {}",
            clean(attr(g, "ID")),
            clean(attr(g, "GAME")),
            clean(attr(g, "STATUS")),
            when(attr(g, "END")),
            clean(attr(g, "EVENTS")),
            seats.join(" vs ")
        ));
    }
    lines
}

/// One event of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayEvent {
    pub seq: u64,
    pub kind: String,
    pub data: Vec<u8>,
}

/// A replay being fetched, page by page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub id: String,
    pub game: String,
    pub status: String,
    pub end: String,
    pub seats: Vec<String>,
    pub events: Vec<ReplayEvent>,
    /// Events left out for [`MAX_EVENTS`].
    pub dropped: bool,
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

impl Replay {
    /// A replay from its first page.
    pub fn new(page: &Element) -> Replay {
        Replay {
            id: attr(page, "ID").to_owned(),
            game: attr(page, "GAME").to_owned(),
            status: attr(page, "STATUS").to_owned(),
            end: attr(page, "END").to_owned(),
            seats: page.children_named("SEAT").map(seat_line).collect(),
            events: Vec::new(),
            dropped: false,
        }
    }

    /// Adds a page's events; returns the FROM of the next page, if any.
    pub fn add_page(&mut self, page: &Element) -> Option<u64> {
        for e in page.children_named("EVENT") {
            if self.events.len() >= MAX_EVENTS {
                self.dropped = true;
                return None;
            }
            let (Some(seq), Some(data)) = (
                e.attr("SEQ").and_then(|s| s.parse().ok()),
                unhex(attr(e, "DATA")),
            ) else {
                continue;
            };
            self.events.push(ReplayEvent {
                seq,
                kind: attr(e, "KIND").to_owned(),
                data,
            });
        }
        let next = page.attr("NEXT").and_then(|n| n.parse::<u64>().ok())?;
        // A page must move forward, or the fetch would never end.
        (next > self.events.last().map_or(0, |e| e.seq)).then_some(next)
    }

    /// The whole replay as lines.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "replay #{}: {} ({}), ended {}, {} events",
            clean(&self.id),
            clean(&self.game),
            clean(&self.status),
            when(&self.end),
            self.events.len()
        )];
        for (num, seat) in self.seats.iter().enumerate() {
            lines.push(format!("  seat {num}: {seat}"));
        }
        if self.game == "TicTacToe" {
            tictactoe_lines(&self.events, &mut lines);
        } else {
            for e in &self.events {
                lines.push(format!(
                    "  {}. {} ({} bytes)",
                    e.seq,
                    clean(&e.kind),
                    e.data.len()
                ));
            }
        }
        if self.dropped {
            lines.push(format!("  (only the first {MAX_EVENTS} events are shown)"));
        }
        lines.push(format!("end of replay #{}", clean(&self.id)));
        lines
    }
}

const MARKS: [char; 2] = ['X', 'O'];

/// TicTacToe's events (docs/event-log.md): `seat` [seat] ++ name, `start`,
/// `move` [seat, cell], `over` [winner] or [2] for a draw.
fn tictactoe_lines(events: &[ReplayEvent], lines: &mut Vec<String>) {
    let mut names = [String::from("X"), String::from("O")];
    let mut board = ['.'; 9];
    let mut moves = 0;
    for e in events {
        match (e.kind.as_str(), e.data.as_slice()) {
            ("seat", [seat @ 0..=1, name @ ..]) => {
                let name = clean(&String::from_utf8_lossy(name));
                lines.push(format!(
                    "  {}. {name} sits in seat {seat} ({})",
                    e.seq,
                    MARKS[usize::from(*seat)]
                ));
                names[usize::from(*seat)] = name;
            }
            ("start", _) => {
                board = ['.'; 9];
                moves = 0;
                lines.push(format!("  {}. the game starts", e.seq));
            }
            ("move", [seat @ 0..=1, cell @ 0..=8]) => {
                moves += 1;
                let mark = MARKS[usize::from(*seat)];
                board[usize::from(*cell)] = mark;
                lines.push(format!(
                    "  {}. move {moves}: {} ({mark}) takes square {}",
                    e.seq,
                    names[usize::from(*seat)],
                    cell + 1
                ));
                for row in board.chunks(3) {
                    let row: Vec<String> = row.iter().map(char::to_string).collect();
                    lines.push(format!("       {}", row.join(" ")));
                }
            }
            ("over", [2]) => lines.push(format!("  {}. game over: a draw", e.seq)),
            ("over", [seat @ 0..=1]) => lines.push(format!(
                "  {}. game over: {} ({}) wins",
                e.seq,
                names[usize::from(*seat)],
                MARKS[usize::from(*seat)]
            )),
            _ => lines.push(format!(
                "  {}. {} ({} bytes)",
                e.seq,
                clean(&e.kind),
                e.data.len()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggzd::proto::{Decoder, Event, Limits};

    fn element(xml: &str) -> Element {
        let mut d = Decoder::new(Limits::CLIENT);
        let doc = format!("<SESSION>{xml}");
        let mut rest = doc.as_bytes();
        loop {
            let p = d.feed(rest).unwrap();
            rest = &rest[p.consumed..];
            if let Some(Event::Element(e)) = p.event {
                return e;
            }
        }
    }

    #[test]
    fn played_games_are_one_line_each() {
        let list = element(
            "<LIST TYPE='played'><PLAYED ID='3' GAME='TicTacToe' END='0' STATUS='finished' EVENTS='9'>\
             <SEAT NUM='0' NAME='alice' TYPE='player' RESULT='win'/>\
             <SEAT NUM='1' NAME='bob' TYPE='guest' RESULT='loss'/></PLAYED></LIST>",
        );
        let lines = played_lines("alice", &list);
        assert_eq!(lines[0], "played games of alice:");
        assert!(
            lines[1]
                .starts_with("  #3 TicTacToe finished never 9 events: alice (player, win) vs b")
        );
        let empty = element("<LIST TYPE='played'></LIST>");
        assert_eq!(played_lines("bob", &empty), ["no played games of bob"]);
    }

    #[test]
    fn a_tictactoe_replay_shows_the_board_after_each_move() {
        let mut replay = Replay::new(&element(
            "<REPLAY ID='3' GAME='TicTacToe' STATUS='finished' END='0' EVENTS='5' NEXT='4'>\
             <SEAT NUM='0' NAME='alice' TYPE='player' RESULT='win'/>\
             <EVENT SEQ='1' TIME='1' KIND='seat' DATA='00616c696365'/>\
             <EVENT SEQ='2' TIME='1' KIND='seat' DATA='01626f62'/>\
             <EVENT SEQ='3' TIME='1' KIND='start' DATA=''/></REPLAY>",
        ));
        let first = element(
            "<REPLAY ID='3' GAME='TicTacToe' STATUS='finished' END='0' EVENTS='5' NEXT='4'>\
             <EVENT SEQ='1' TIME='1' KIND='seat' DATA='00616c696365'/>\
             <EVENT SEQ='2' TIME='1' KIND='seat' DATA='01626f62'/>\
             <EVENT SEQ='3' TIME='1' KIND='start' DATA=''/></REPLAY>",
        );
        assert_eq!(replay.add_page(&first), Some(4));
        let second = element(
            "<REPLAY ID='3' GAME='TicTacToe' STATUS='finished' END='0' EVENTS='5'>\
             <EVENT SEQ='4' TIME='2' KIND='move' DATA='0004'/>\
             <EVENT SEQ='5' TIME='3' KIND='over' DATA='00'/></REPLAY>",
        );
        assert_eq!(replay.add_page(&second), None);
        let lines = replay.lines();
        assert_eq!(lines[1], "  seat 0: alice (player, win)");
        assert!(lines.contains(&"  4. move 1: alice (X) takes square 5".to_owned()));
        assert!(lines.contains(&"       . X .".to_owned()));
        assert!(lines.contains(&"  5. game over: alice (X) wins".to_owned()));
        assert_eq!(lines.last().unwrap(), "end of replay #3");
    }

    #[test]
    fn other_games_show_kinds_and_sizes_and_pages_must_advance() {
        let page = element(
            "<REPLAY ID='9' GAME='Race' STATUS='unfinished' END='0' EVENTS='1' NEXT='1'>\
             <EVENT SEQ='1' TIME='1' KIND='turn' DATA='0102'/></REPLAY>",
        );
        let mut replay = Replay::new(&page);
        assert_eq!(replay.add_page(&page), None);
        assert!(replay.lines().contains(&"  1. turn (2 bytes)".to_owned()));
    }
}
