//! Text for people and scripts: one line per event, in words that a
//! script can wait for (`/wait`). Server-supplied text is cleaned of
//! control characters so nothing the server sends can drive the terminal.

use tictactoe::board::{Mark, Outcome};
use tictactoe::protocol::MoveStatus;

use super::tictactoe::{GameEvent, TicTacToeView, symbol};
use super::zone::{ListKind, Table, Zone, ZoneEvent};

/// Replaces control characters (escape sequences, bells, line breaks)
/// with spaces or visible stand-ins.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

fn room_name(zone: &Zone, id: i32) -> String {
    zone.rooms
        .get(&id)
        .map_or_else(|| format!("room {id}"), |r| clean(&r.name))
}

fn game_name(zone: &Zone, id: i32) -> String {
    zone.games
        .get(&id)
        .map_or_else(|| format!("game {id}"), |g| clean(&g.name))
}

fn status_word(status: i32) -> &'static str {
    match status {
        0 => "starting",
        1 => "waiting",
        2 => "playing",
        3 => "over",
        _ => "failed",
    }
}

/// One table as a line: `table 3 TicTacToe waiting: alice, bot Tarantula | watching: carol`.
pub fn table_line(zone: &Zone, id: i32, table: &Table) -> String {
    let seats: Vec<String> = table
        .seats
        .iter()
        .map(|s| match (s.kind.as_str(), s.name.as_str()) {
            ("player", name) => clean(name),
            ("open", _) => "open".into(),
            (kind, "") => kind.to_owned(),
            (kind, name) => format!("{kind} {}", clean(name)),
        })
        .collect();
    let mut line = format!(
        "table {id} {} {}: {}",
        game_name(zone, table.game),
        status_word(table.status),
        seats.join(", ")
    );
    if !table.spectators.is_empty() {
        let watching: Vec<String> = table.spectators.values().map(|n| clean(n)).collect();
        line.push_str(&format!(" | watching: {}", watching.join(", ")));
    }
    if !table.desc.is_empty() {
        line.push_str(&format!(" | {}", clean(&table.desc)));
    }
    line
}

/// The lines of a list the user asked for.
pub fn list_lines(zone: &Zone, kind: ListKind) -> Vec<String> {
    match kind {
        ListKind::Games => zone
            .games
            .iter()
            .map(|(id, g)| {
                format!(
                    "game {id} {} {} ({} {}), players {}{}",
                    clean(&g.name),
                    clean(&g.version),
                    clean(&g.engine),
                    clean(&g.engine_version),
                    clean(&g.players),
                    if g.bots.is_empty() {
                        String::new()
                    } else {
                        let bots: Vec<String> = g
                            .bots
                            .iter()
                            .map(|(n, c)| format!("{} ({})", clean(n), clean(c)))
                            .collect();
                        format!(", bots {}", bots.join(", "))
                    }
                )
            })
            .collect(),
        ListKind::Rooms => zone
            .rooms
            .iter()
            .map(|(id, r)| {
                let game = if r.game < 0 {
                    "chat".to_owned()
                } else {
                    game_name(zone, r.game)
                };
                let here = if zone.room == Some(*id) { " (you)" } else { "" };
                format!(
                    "room {id} {}: {game}, {} players{here}",
                    clean(&r.name),
                    r.players
                )
            })
            .collect(),
        ListKind::Players => zone
            .players
            .values()
            .map(|p| {
                let mut line = format!("player {} {}", clean(&p.name), clean(&p.kind));
                if p.table >= 0 {
                    line.push_str(&format!(" at table {}", p.table));
                }
                if p.lag > 1 {
                    line.push_str(&format!(" lag {}", p.lag));
                }
                for (k, v) in &p.stats {
                    line.push_str(&format!(" {}={}", k.to_lowercase(), clean(v)));
                }
                line
            })
            .collect(),
        ListKind::Queues => {
            if zone.queues.is_empty() {
                vec!["no queues".into()]
            } else {
                zone.queues
                    .iter()
                    .map(|q| {
                        format!(
                            "queue {} in {}: {}-{} players, {} waiting, about {} s",
                            clean(&q.name),
                            room_name(zone, q.room),
                            q.min,
                            q.max,
                            q.waiting,
                            q.wait
                        )
                    })
                    .collect()
            }
        }
        ListKind::Tables => {
            if zone.tables.is_empty() {
                vec!["no tables".into()]
            } else {
                zone.tables
                    .iter()
                    .map(|(id, t)| table_line(zone, *id, t))
                    .collect()
            }
        }
    }
}

/// The line for a zone event, if it is shown by itself (results, lists
/// and pings are the session's business).
pub fn zone_event_line(zone: &Zone, event: &ZoneEvent) -> Option<String> {
    Some(match event {
        ZoneEvent::Result { .. } | ZoneEvent::Listed(_) | ZoneEvent::Ping(_) => return None,
        ZoneEvent::Motd(_) => return None,
        ZoneEvent::Chat { kind, from, text } => {
            let (from, text) = (clean(from), clean(text));
            match kind.as_str() {
                "private" => format!("private {from}: {text}"),
                "beep" => format!("beep from {from}"),
                "announce" => format!("announce {from}: {text}"),
                "table" => format!("table-chat {from}: {text}"),
                _ => format!("chat {from}: {text}"),
            }
        }
        ZoneEvent::Arrived { name } => format!("{} arrived", clean(name)),
        ZoneEvent::Departed { name, to } if *to < 0 => format!("{} logged out", clean(name)),
        ZoneEvent::Departed { name, to } => {
            format!("{} went to {}", clean(name), room_name(zone, *to))
        }
        ZoneEvent::Lag { name, class } => format!("{} lag {class}", clean(name)),
        ZoneEvent::Stats { name } => {
            let stats = zone.player(name).map_or_else(String::new, |p| {
                p.stats
                    .iter()
                    .map(|(k, v)| format!(" {}={}", k.to_lowercase(), clean(v)))
                    .collect()
            });
            format!("stats {}{stats}", clean(name))
        }
        ZoneEvent::Perms { name, kind } => format!("{} is now {}", clean(name), clean(kind)),
        ZoneEvent::TableAdded(id) => match zone.tables.get(id) {
            Some(t) => format!("new {}", table_line(zone, *id, t)),
            None => format!("new table {id}"),
        },
        ZoneEvent::TableGone(id) => format!("table {id} closed"),
        ZoneEvent::TableStatus(id) => {
            let status = zone.tables.get(id).map_or(-1, |t| t.status);
            format!("table {id} {}", status_word(status))
        }
        ZoneEvent::TableDesc(id) => {
            let desc = zone
                .tables
                .get(id)
                .map(|t| clean(&t.desc))
                .unwrap_or_default();
            format!("table {id} description: {desc}")
        }
        ZoneEvent::SeatTaken { table, seat, name } => {
            format!(
                "{} sat down at table {table} seat {}",
                clean(name),
                seat + 1
            )
        }
        ZoneEvent::SeatLeft { table, seat, name } => {
            format!("{} left table {table} seat {}", clean(name), seat + 1)
        }
        ZoneEvent::Spectator {
            table,
            name,
            joined: true,
        } => format!("{} is watching table {table}", clean(name)),
        ZoneEvent::Spectator { table, name, .. } => {
            format!("{} stopped watching table {table}", clean(name))
        }
        ZoneEvent::SeatsChanged(id) => match zone.tables.get(id) {
            Some(t) => format!("seats changed: {}", table_line(zone, *id, t)),
            None => format!("table {id} seats changed"),
        },
        ZoneEvent::RoomPlayers(id) => {
            let n = zone.rooms.get(id).map_or(0, |r| r.players);
            format!("{} has {n} players", room_name(zone, *id))
        }
        ZoneEvent::RoomAdded(id) => format!("new room {id} {}", room_name(zone, *id)),
        ZoneEvent::RoomClosing(id) => format!("{} is closing", room_name(zone, *id)),
        ZoneEvent::RoomGone(id) => format!("room {id} removed"),
        ZoneEvent::Joined { table, spectator } => {
            let how = if *spectator { "watching" } else { "playing at" };
            format!("you are {how} table {table}")
        }
        ZoneEvent::Left { reason, by } => match (reason.as_str(), by) {
            ("boot", Some(by)) => format!("you were booted from the table by {}", clean(by)),
            ("gameover", _) => "you left the table: the game is over".into(),
            ("gameerror", _) => "you left the table: the game server failed".into(),
            (reason, _) => format!("you left the table ({})", clean(reason)),
        },
        ZoneEvent::Extensions(_) => return None,
        ZoneEvent::Matched {
            queue,
            room,
            table,
            seat,
        } => format!(
            "matched in queue {}: table {table} in {}, seat {seat}",
            clean(queue),
            room_name(zone, *room)
        ),
        ZoneEvent::Info(lines) | ZoneEvent::Rankings(lines) => lines
            .iter()
            .map(|l| clean(l))
            .collect::<Vec<_>>()
            .join("; "),
    })
}

fn mark_name(view: &TicTacToeView, mark: Mark) -> String {
    let who = view
        .name_of(mark)
        .map(clean)
        .unwrap_or_else(|| "nobody".into());
    format!("{} ({who})", symbol(mark))
}

/// The line for a game event, if any.
pub fn game_event_line(view: &TicTacToeView, event: &GameEvent) -> Option<String> {
    Some(match event {
        GameEvent::Players => format!(
            "players: {} vs {}",
            mark_name(view, Mark::Seat0),
            mark_name(view, Mark::Seat1)
        ),
        GameEvent::YouAre(mark) => format!("you play {}", symbol(*mark)),
        GameEvent::Synced => return None,
        GameEvent::YourTurn => "your turn: type 1-9".into(),
        GameEvent::Moved { by, square } => {
            if view.me == Some(*by) {
                format!("you played {}", square + 1)
            } else {
                format!("{} played {}", mark_name(view, *by), square + 1)
            }
        }
        GameEvent::Refused(status) => format!(
            "move refused: {}",
            match status {
                MoveStatus::ErrState => "the game is not running",
                MoveStatus::ErrTurn => "not your turn",
                MoveStatus::ErrBound => "no such square",
                MoveStatus::ErrFull => "square taken",
                MoveStatus::Ok => "ok",
            }
        ),
        GameEvent::Over(outcome) => result_line(view, *outcome),
        GameEvent::NewGame => "a new game starts".into(),
    })
}

/// `game over: X (alice) wins - you won` and the like.
pub fn result_line(view: &TicTacToeView, outcome: Outcome) -> String {
    match outcome {
        Outcome::Draw => "game over: draw".into(),
        Outcome::Win(mark) => {
            let personal = match view.me {
                Some(me) if !view.is_spectator() && me == mark => " - you won",
                Some(_) if !view.is_spectator() => " - you lost",
                _ => "",
            };
            format!("game over: {} wins{personal}", mark_name(view, mark))
        }
    }
}

/// The board, for a script: `board X.O|.X.|...`.
pub fn board_compact(view: &TicTacToeView) -> String {
    let rows: Vec<String> = view
        .cells
        .chunks(3)
        .map(|row| {
            row.iter()
                .map(|c| c.map_or('.', symbol))
                .collect::<String>()
        })
        .collect();
    format!("board {}", rows.join("|"))
}

/// The board, for a person: free squares show their number.
pub fn board_drawing(view: &TicTacToeView) -> Vec<String> {
    let mut lines = Vec::new();
    for (r, row) in view.cells.chunks(3).enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| match cell {
                Some(mark) => symbol(*mark).to_string(),
                None => (r * 3 + c + 1).to_string(),
            })
            .collect();
        lines.push(format!("  {}", cells.join(" | ")));
        if r < 2 {
            lines.push(" ---+---+---".into());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ggz::zone::{Seat, Table};

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        assert_eq!(clean("hi\x1b[2Jthere\x07\nnext"), "hi?[2Jthere? next");
        let zone = Zone::default();
        let line = zone_event_line(
            &zone,
            &ZoneEvent::Chat {
                kind: "normal".into(),
                from: "ev\x1bil".into(),
                text: "\x1b]0;owned\x07".into(),
            },
        )
        .unwrap();
        assert!(!line.contains('\x1b') && !line.contains('\x07'), "{line:?}");
    }

    #[test]
    fn tables_and_boards_read_well() {
        let mut zone = Zone::default();
        let table = Table {
            game: 0,
            status: 1,
            seats: vec![
                Seat {
                    kind: "player".into(),
                    name: "alice".into(),
                },
                Seat {
                    kind: "bot".into(),
                    name: "Alfred".into(),
                },
            ],
            spectators: [(0, "carol".to_string())].into(),
            desc: String::new(),
        };
        zone.tables.insert(4, table.clone());
        assert_eq!(
            table_line(&zone, 4, &table),
            "table 4 game 0 waiting: alice, bot Alfred | watching: carol"
        );
        let mut view = TicTacToeView::new(false);
        view.cells[0] = Some(Mark::Seat0);
        view.cells[4] = Some(Mark::Seat1);
        assert_eq!(board_compact(&view), "board X..|.O.|...");
        assert_eq!(
            board_drawing(&view),
            [
                "  X | 2 | 3",
                " ---+---+---",
                "  4 | O | 6",
                " ---+---+---",
                "  7 | 8 | 9"
            ]
        );
        view.me = Some(Mark::Seat1);
        assert_eq!(
            result_line(&view, Outcome::Win(Mark::Seat1)),
            "game over: O (nobody) wins - you won"
        );
    }
}
