//! TicTacToe's events in the table's event log (docs/event-log.md §6):
//! their bytes, and the replay of a log through the rules, which is how a
//! restored table gets its board back (docs/event-log.md §4).

use std::fmt;

use ggzdmod::eventlog::Event;
use ggzdmod::{SeatInfo, SeatKind};

use crate::board::{Board, Mark, Outcome, SQUARES};

/// A player or bot took a seat: seat byte, then the name.
pub const SEAT: &str = "seat";
/// A game starts on an empty board, seat 0 to move.
pub const START: &str = "start";
/// A move: seat byte, cell byte (`row * 3 + col`).
pub const MOVE: &str = "move";
/// The game ended: the winner's seat byte, or [`DRAW`].
pub const OVER: &str = "over";
/// The `over` byte of a draw.
pub const DRAW: u8 = 2;

/// Most events a restored log may hold: a game has nine moves, but seats
/// may change hands many times.
pub const MAX_EVENTS: usize = 10_000;

/// The data of a `seat` event.
pub fn seat_data(mark: Mark, name: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(1 + name.len());
    data.push(seat_byte(mark));
    data.extend_from_slice(name.as_bytes());
    data
}

/// The data of a `move` event.
pub fn move_data(mark: Mark, square: usize) -> Vec<u8> {
    vec![seat_byte(mark), u8::try_from(square).unwrap_or(u8::MAX)]
}

/// The data of an `over` event.
pub fn over_data(outcome: Outcome) -> Vec<u8> {
    match outcome {
        Outcome::Win(mark) => vec![seat_byte(mark)],
        Outcome::Draw => vec![DRAW],
    }
}

fn seat_byte(mark: Mark) -> u8 {
    match mark {
        Mark::Seat0 => 0,
        Mark::Seat1 => 1,
    }
}

/// Why a log cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The offending event's sequence number, 0 for the log as a whole.
    pub seq: u64,
    /// What is wrong.
    pub why: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seq == 0 {
            f.write_str(&self.why)
        } else {
            write!(f, "event {}: {}", self.seq, self.why)
        }
    }
}

/// The game a log describes, after its last event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The board.
    pub board: Board,
    /// Seat to move next (meaningless once `outcome` is set).
    pub turn: Mark,
    /// How the game ended, if it did.
    pub outcome: Option<Outcome>,
    /// The last name seen in each seat.
    pub names: [Option<String>; 2],
}

/// Replays `events` through the rules: seats 0 and 1 only, one `start`
/// before any move, moves in turn on free cells, nothing after the end but
/// seat changes, and an `over` that says what the board says.
pub fn replay(events: &[Event]) -> Result<Replayed, Refused> {
    let mut names: [Option<String>; 2] = [None, None];
    let mut board = Board::new();
    let mut turn = Mark::Seat0;
    let mut started = false;
    let mut over = false;
    for event in events {
        let refuse = |why: String| Refused {
            seq: event.seq,
            why,
        };
        match event.kind.as_str() {
            SEAT => {
                let (&seat, name) = event
                    .data
                    .split_first()
                    .ok_or_else(|| refuse("a seat event without a seat".to_owned()))?;
                let mark = Mark::from_seat(usize::from(seat))
                    .ok_or_else(|| refuse(format!("seat {seat}: TicTacToe has seats 0 and 1")))?;
                let name = std::str::from_utf8(name)
                    .map_err(|_| refuse("a seat name that is not UTF-8".to_owned()))?;
                if let Some(slot) = names.get_mut(mark.seat()) {
                    *slot = Some(name.to_owned());
                }
            }
            START => {
                if started {
                    return Err(refuse("a second start in one game's log".to_owned()));
                }
                if !event.data.is_empty() {
                    return Err(refuse("a start event with data".to_owned()));
                }
                started = true;
            }
            MOVE => {
                if !started {
                    return Err(refuse("a move before the game started".to_owned()));
                }
                if over || board.outcome().is_some() {
                    return Err(refuse("a move after the game ended".to_owned()));
                }
                let [seat, cell] = event.data[..] else {
                    return Err(refuse(format!(
                        "a move of {} bytes (seat, cell)",
                        event.data.len()
                    )));
                };
                let mark = Mark::from_seat(usize::from(seat))
                    .ok_or_else(|| refuse(format!("a move by seat {seat}")))?;
                if mark != turn {
                    return Err(refuse(format!(
                        "seat {seat} moved out of turn (seat {} was to move)",
                        turn.seat()
                    )));
                }
                let square = usize::from(cell);
                if square >= SQUARES {
                    return Err(refuse(format!("cell {cell} is off the board")));
                }
                board
                    .place(square, mark)
                    .map_err(|_| refuse(format!("cell {cell} is already taken")))?;
                if board.outcome().is_none() {
                    turn = mark.opponent();
                }
            }
            OVER => {
                if over {
                    return Err(refuse("a second end of the game".to_owned()));
                }
                let claimed = match event.data[..] {
                    [DRAW] => Outcome::Draw,
                    [seat] => Outcome::Win(
                        Mark::from_seat(usize::from(seat))
                            .ok_or_else(|| refuse(format!("a win for seat {seat}")))?,
                    ),
                    _ => return Err(refuse("an end event without one result byte".to_owned())),
                };
                if board.outcome() != Some(claimed) {
                    return Err(refuse(format!(
                        "the log says {claimed:?}, the board says {:?}",
                        board.outcome()
                    )));
                }
                over = true;
            }
            other => return Err(refuse(format!("unknown event kind {other:?}"))),
        }
    }
    if !started {
        return Err(Refused {
            seq: 0,
            why: "the log holds no started game".to_owned(),
        });
    }
    if board.outcome().is_some() && !over {
        // The server died between the last move and its end event: the
        // board tells how it ended.
        over = true;
    }
    Ok(Replayed {
        board,
        turn,
        outcome: over.then(|| board.outcome()).flatten(),
        names,
    })
}

/// Checks the restored game against the table ggzd launched: two seats,
/// and every seat reserved for a player reserved for the player the log
/// last saw there (bots stay bots, whatever their name).
pub fn check_seats(replayed: &Replayed, seats: &[SeatInfo]) -> Result<(), Refused> {
    let refuse = |why: String| Refused { seq: 0, why };
    if seats.len() != 2 {
        return Err(refuse(format!(
            "the table has {} seats, TicTacToe has 2",
            seats.len()
        )));
    }
    for (num, (seat, logged)) in seats.iter().zip(&replayed.names).enumerate() {
        if seat.kind != SeatKind::Reserved {
            continue;
        }
        let reserved = seat.name.as_deref().unwrap_or_default();
        let fits = logged
            .as_deref()
            .is_some_and(|name| name.eq_ignore_ascii_case(reserved));
        if !fits {
            return Err(refuse(format!(
                "seat {num} is reserved for {reserved:?}, the log has {:?} there",
                logged.as_deref().unwrap_or("nobody")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, kind: &str, data: &[u8]) -> Event {
        Event {
            seq,
            time_ms: 1_000 + seq,
            kind: kind.to_owned(),
            data: data.to_vec(),
        }
    }

    /// seat alice, seat bob, start, then the moves (alternating from seat 0).
    fn game(moves: &[u8]) -> Vec<Event> {
        let mut events = vec![
            ev(1, SEAT, &seat_data(Mark::Seat0, "alice")),
            ev(2, SEAT, &seat_data(Mark::Seat1, "bob")),
            ev(3, START, b""),
        ];
        for (i, cell) in moves.iter().enumerate() {
            let seat = (i % 2) as u8;
            events.push(ev(events.len() as u64 + 1, MOVE, &[seat, *cell]));
        }
        events
    }

    fn refused(events: &[Event]) -> Refused {
        replay(events).expect_err("the log must be refused")
    }

    #[test]
    fn a_game_in_progress_replays() {
        let r = replay(&game(&[4, 0, 8])).unwrap();
        assert_eq!(r.board.get(4), Some(Mark::Seat0));
        assert_eq!(r.board.get(0), Some(Mark::Seat1));
        assert_eq!(r.board.get(8), Some(Mark::Seat0));
        assert_eq!(r.turn, Mark::Seat1);
        assert_eq!(r.outcome, None);
        assert_eq!(r.names, [Some("alice".into()), Some("bob".into())]);
    }

    #[test]
    fn finished_games_replay_with_or_without_their_end_event() {
        let mut events = game(&[0, 3, 1, 4, 2]);
        let r = replay(&events).unwrap();
        assert_eq!(r.outcome, Some(Outcome::Win(Mark::Seat0)));
        events.push(ev(9, OVER, &over_data(Outcome::Win(Mark::Seat0))));
        assert_eq!(
            replay(&events).unwrap().outcome,
            Some(Outcome::Win(Mark::Seat0))
        );
        // A seat changing hands after the end is fine.
        events.push(ev(10, SEAT, &seat_data(Mark::Seat1, "carol")));
        assert_eq!(replay(&events).unwrap().names[1].as_deref(), Some("carol"));
        // A draw.
        let mut draw = game(&[0, 4, 8, 1, 7, 6, 2, 5, 3]);
        draw.push(ev(13, OVER, &[DRAW]));
        assert_eq!(replay(&draw).unwrap().outcome, Some(Outcome::Draw));
    }

    #[test]
    fn illegal_logs_are_refused() {
        // A move onto a taken cell.
        let r = refused(&game(&[4, 4]));
        assert_eq!(r.seq, 5);
        assert!(r.why.contains("taken"), "{r}");
        // Out of turn: seat 0 twice.
        let mut events = game(&[4]);
        events.push(ev(5, MOVE, &[0, 0]));
        assert!(refused(&events).why.contains("out of turn"));
        // Off the board, a third seat, short data.
        for data in [&[1u8, 9][..], &[2, 0], &[1]] {
            let mut events = game(&[4]);
            events.push(ev(5, MOVE, data));
            assert_eq!(refused(&events).seq, 5, "{data:?}");
        }
        // A move after the win.
        assert!(
            refused(&game(&[0, 3, 1, 4, 2, 5]))
                .why
                .contains("after the game ended")
        );
        // A false result.
        let mut events = game(&[0, 3, 1, 4, 2]);
        events.push(ev(9, OVER, &[1]));
        assert!(refused(&events).why.contains("board says"));
        let mut events = game(&[4]);
        events.push(ev(5, OVER, &[DRAW]));
        assert_eq!(refused(&events).seq, 5);
        // Moves without a start, a second start, an unknown kind, a
        // seat that does not exist, nothing at all.
        let events = vec![ev(1, MOVE, &[0, 4])];
        assert!(refused(&events).why.contains("before the game started"));
        let mut events = game(&[]);
        events.push(ev(4, START, b""));
        assert!(refused(&events).why.contains("second start"));
        let mut events = game(&[]);
        events.push(ev(4, "turn", b""));
        assert!(refused(&events).why.contains("unknown event kind"));
        let events = vec![ev(1, SEAT, &[5, b'x'])];
        assert!(refused(&events).why.contains("seat 5"));
        assert_eq!(refused(&[]).seq, 0);
        let events = vec![ev(1, SEAT, &[0, 0xff])];
        assert!(refused(&events).why.contains("UTF-8"));
    }

    #[test]
    fn seats_must_fit_the_table() {
        let r = replay(&game(&[4])).unwrap();
        let reserved = |name: &str| SeatInfo {
            kind: SeatKind::Reserved,
            name: Some(name.to_owned()),
        };
        let bot = SeatInfo {
            kind: SeatKind::Bot,
            name: Some("AI".to_owned()),
        };
        assert!(check_seats(&r, &[reserved("alice"), reserved("BOB")]).is_ok());
        assert!(check_seats(&r, &[reserved("alice"), bot.clone()]).is_ok());
        let e = check_seats(&r, &[reserved("mallory"), reserved("bob")]).unwrap_err();
        assert!(e.why.contains("mallory"), "{e}");
        assert!(check_seats(&r, &[reserved("alice")]).is_err());
        assert!(check_seats(&r, &[bot.clone(), bot.clone(), bot]).is_err());
    }
}
