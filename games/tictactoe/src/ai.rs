//! Bots (docs/tictactoe.md §2.6).
//!
//! Two classes, chosen by the bot's name as the game description's
//! `NamedBots` does: `Alfred` is easy, `Tarantula` and unnamed bots (`AI`)
//! are hard.
//!
//! The original's pattern AI loses a couple of lines as seat 1 and its two
//! classes play almost alike. Here "hard" searches the whole game tree and
//! never loses; "easy" plays the obvious one-move tactics only (win if it
//! can, otherwise block) and falls for forks. Over every possible opponent
//! line, easy loses 1 of 94 games as seat 0 and 15 of 505 as seat 1; hard
//! loses none (82 wins / 10 draws, 368 / 153). Both are deterministic, so a
//! game against a bot can be replayed exactly.

use crate::board::{Board, LINES, Mark};

/// Name of the easy named bot in the shipped game description.
pub const EASY_BOT_NAME: &str = "Alfred";

/// Name of the hard named bot in the shipped game description.
pub const HARD_BOT_NAME: &str = "Tarantula";

/// How well a bot plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BotClass {
    /// Wins and blocks when it sees a line of two, otherwise takes the
    /// centre or the lowest free square. Beatable with a fork.
    Easy,
    /// Perfect play: never loses.
    Hard,
}

impl BotClass {
    /// The class of a bot seat from its name. ggzd treats names case
    /// insensitively, so this does too. Unknown names and the unnamed `AI`
    /// play hard, as docs/tictactoe.md §2.6 says unnamed bots do.
    pub fn from_name(name: Option<&str>) -> BotClass {
        match name {
            Some(n) if n.eq_ignore_ascii_case(EASY_BOT_NAME) => BotClass::Easy,
            _ => BotClass::Hard,
        }
    }

    /// Picks the square to mark for `me`, or `None` on a full board.
    pub fn choose(self, board: &Board, me: Mark) -> Option<usize> {
        match self {
            BotClass::Easy => easy_move(board, me),
            BotClass::Hard => hard_move(board, me),
        }
    }
}

/// Tie-break order among equally good squares: centre, corners, edges.
const PREFERENCE: [usize; 9] = [4, 0, 2, 6, 8, 1, 3, 5, 7];

/// A free square that completes a line of `mark`, lowest first.
fn completing_square(board: &Board, mark: Mark) -> Option<usize> {
    LINES.iter().find_map(|line| {
        let own = line
            .iter()
            .filter(|&&sq| board.get(sq) == Some(mark))
            .count();
        let free: Vec<usize> = line
            .iter()
            .copied()
            .filter(|&sq| board.is_free(sq))
            .collect();
        match (own, free.as_slice()) {
            (2, [sq]) => Some(*sq),
            _ => None,
        }
    })
}

fn easy_move(board: &Board, me: Mark) -> Option<usize> {
    completing_square(board, me)
        .or_else(|| completing_square(board, me.opponent()))
        .or_else(|| board.is_free(4).then_some(4))
        .or_else(|| board.free_squares().next())
}

fn hard_move(board: &Board, me: Mark) -> Option<usize> {
    if board.moves_made() == 0 {
        // Every first move draws with best play; the centre leaves the
        // opponent the most ways to go wrong. Skipping the search here
        // also keeps the first move instant.
        return Some(4);
    }
    let mut best: Option<(i32, usize)> = None;
    for sq in PREFERENCE {
        let mut next = *board;
        if next.place(sq, me).is_err() {
            continue;
        }
        let score = -negamax(&next, me.opponent());
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, sq));
        }
    }
    best.map(|(_, sq)| sq)
}

/// The value of `board` for the side to move (`to_move`): positive when it
/// wins, more so the sooner; negative when it loses, less so the later; 0
/// for a draw. Preferring quick wins and slow losses makes the bot finish
/// games instead of toying with the opponent.
fn negamax(board: &Board, to_move: Mark) -> i32 {
    // Nine squares bound the depth; the remaining free squares measure how
    // soon the game ended.
    let free = i32::try_from(board.free_squares().count()).unwrap_or(0);
    if board.winner().is_some() {
        // The previous mover completed a line.
        return -(1 + free);
    }
    if free == 0 {
        return 0;
    }
    let mut best = i32::MIN;
    for sq in board.free_squares() {
        let mut next = *board;
        if next.place(sq, to_move).is_ok() {
            best = best.max(-negamax(&next, to_move.opponent()));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Outcome;

    #[test]
    fn class_from_name() {
        assert_eq!(BotClass::from_name(Some("Alfred")), BotClass::Easy);
        assert_eq!(BotClass::from_name(Some("alfred")), BotClass::Easy);
        assert_eq!(BotClass::from_name(Some("Tarantula")), BotClass::Hard);
        assert_eq!(BotClass::from_name(Some("AI")), BotClass::Hard);
        assert_eq!(BotClass::from_name(None), BotClass::Hard);
    }

    /// Plays every possible opponent line against `class` sitting in
    /// `bot_seat`; returns (bot wins, draws, bot losses) and one losing
    /// line, if any.
    fn exhaust(class: BotClass, bot_seat: Mark) -> (u32, u32, u32, Option<Vec<usize>>) {
        fn walk(
            class: BotClass,
            bot: Mark,
            board: Board,
            to_move: Mark,
            line: &mut Vec<usize>,
            tally: &mut (u32, u32, u32, Option<Vec<usize>>),
        ) {
            match board.outcome() {
                Some(Outcome::Win(m)) if m == bot => return tally.0 += 1,
                Some(Outcome::Draw) => return tally.1 += 1,
                Some(Outcome::Win(_)) => {
                    tally.2 += 1;
                    tally.3.get_or_insert_with(|| line.clone());
                    return;
                }
                None => {}
            }
            let squares: Vec<usize> = if to_move == bot {
                vec![class.choose(&board, bot).unwrap()]
            } else {
                board.free_squares().collect()
            };
            for sq in squares {
                let mut next = board;
                next.place(sq, to_move).unwrap();
                line.push(sq);
                walk(class, bot, next, to_move.opponent(), line, tally);
                line.pop();
            }
        }
        let mut tally = (0, 0, 0, None);
        walk(
            class,
            bot_seat,
            Board::new(),
            Mark::Seat0,
            &mut Vec::new(),
            &mut tally,
        );
        tally
    }

    #[test]
    fn hard_never_loses_against_any_line() {
        for seat in Mark::BOTH {
            let (wins, draws, losses, line) = exhaust(BotClass::Hard, seat);
            assert_eq!(losses, 0, "hard bot as {seat:?} loses {line:?}");
            assert!(
                wins > 0 && draws > 0,
                "{seat:?}: {wins} wins, {draws} draws"
            );
        }
    }

    #[test]
    fn easy_can_be_beaten() {
        let losses: u32 = Mark::BOTH
            .iter()
            .map(|&seat| exhaust(BotClass::Easy, seat).2)
            .sum();
        assert!(losses > 0, "the easy bot never loses");
        // A classic fork: the opponent takes two corners around the easy
        // bot's centre and edge. Bot is seat 1 here.
        let (_, _, _, line) = exhaust(BotClass::Easy, Mark::Seat1);
        assert!(line.is_some());
    }

    #[test]
    fn both_classes_win_and_block_when_they_can() {
        let mut b = Board::new();
        // Bot (seat 1) has 0 and 1; opponent has 3 and 4 (threatens 5).
        for (sq, m) in [
            (3, Mark::Seat0),
            (0, Mark::Seat1),
            (4, Mark::Seat0),
            (1, Mark::Seat1),
        ] {
            b.place(sq, m).unwrap();
        }
        b.place(8, Mark::Seat0).unwrap();
        for class in [BotClass::Easy, BotClass::Hard] {
            assert_eq!(class.choose(&b, Mark::Seat1), Some(2), "{class:?} wins");
        }
        let mut b = Board::new();
        b.place(0, Mark::Seat0).unwrap();
        b.place(4, Mark::Seat1).unwrap();
        b.place(1, Mark::Seat0).unwrap();
        for class in [BotClass::Easy, BotClass::Hard] {
            assert_eq!(class.choose(&b, Mark::Seat1), Some(2), "{class:?} blocks");
        }
    }

    #[test]
    fn full_board_has_no_move() {
        let mut b = Board::new();
        for (i, sq) in [0, 1, 2, 4, 3, 5, 7, 6, 8].iter().enumerate() {
            let m = if i % 2 == 0 { Mark::Seat0 } else { Mark::Seat1 };
            b.place(*sq, m).unwrap();
        }
        assert_eq!(BotClass::Hard.choose(&b, Mark::Seat0), None);
        assert_eq!(BotClass::Easy.choose(&b, Mark::Seat0), None);
    }
}
