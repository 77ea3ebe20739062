//! The 3x3 board, its rules and the end-of-game check (docs/tictactoe.md §2.2).
//!
//! Squares are numbered 0..8 row by row (`3 * row + col`). Seat 0 always
//! moves first; after each move the win check runs before the draw check.

use std::fmt;

/// Number of squares.
pub const SQUARES: usize = 9;

/// The eight lines of three: rows, columns, diagonals.
pub const LINES: [[usize; 3]; 8] = [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
    [0, 3, 6],
    [1, 4, 7],
    [2, 5, 8],
    [0, 4, 8],
    [2, 4, 6],
];

/// One of the two player seats; its mark on the board is its seat number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    /// Seat 0, which moves first.
    Seat0,
    /// Seat 1.
    Seat1,
}

impl Mark {
    /// Both marks, in seat order.
    pub const BOTH: [Mark; 2] = [Mark::Seat0, Mark::Seat1];

    /// The mark of a seat number, if it is 0 or 1.
    pub fn from_seat(seat: usize) -> Option<Mark> {
        match seat {
            0 => Some(Mark::Seat0),
            1 => Some(Mark::Seat1),
            _ => None,
        }
    }

    /// The seat number (also the cell value on the wire).
    pub fn seat(self) -> usize {
        match self {
            Mark::Seat0 => 0,
            Mark::Seat1 => 1,
        }
    }

    /// The other seat.
    pub fn opponent(self) -> Mark {
        match self {
            Mark::Seat0 => Mark::Seat1,
            Mark::Seat1 => Mark::Seat0,
        }
    }

    /// The wire value (`i8` 0 or 1).
    pub fn to_wire(self) -> i8 {
        match self {
            Mark::Seat0 => 0,
            Mark::Seat1 => 1,
        }
    }
}

/// How a finished game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// This seat has three in a row.
    Win(Mark),
    /// The board is full without a line.
    Draw,
}

/// Why a move is not allowed by the board (the turn and table checks are
/// the state machine's business).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveError {
    /// The square number is outside 0..8.
    OutOfBounds,
    /// The square is already marked.
    Occupied,
}

/// The board: nine cells, each empty or marked by a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Board {
    cells: [Option<Mark>; SQUARES],
}

impl Board {
    /// An empty board.
    pub fn new() -> Board {
        Board::default()
    }

    /// The mark on a square; `None` when empty or outside the board.
    pub fn get(&self, square: usize) -> Option<Mark> {
        self.cells.get(square).copied().flatten()
    }

    /// Whether `square` is on the board and empty.
    pub fn is_free(&self, square: usize) -> bool {
        matches!(self.cells.get(square), Some(None))
    }

    /// Empty squares in ascending order.
    pub fn free_squares(&self) -> impl Iterator<Item = usize> + '_ {
        (0..SQUARES).filter(|&sq| self.is_free(sq))
    }

    /// Number of marks on the board (the number of moves made).
    pub fn moves_made(&self) -> usize {
        self.cells.iter().flatten().count()
    }

    /// Checks a move given as the client sends it (any `i32`), bounds
    /// first, as the original does.
    pub fn check(&self, square: i32) -> Result<usize, MoveError> {
        let square = usize::try_from(square)
            .ok()
            .filter(|&sq| sq < SQUARES)
            .ok_or(MoveError::OutOfBounds)?;
        if self.is_free(square) {
            Ok(square)
        } else {
            Err(MoveError::Occupied)
        }
    }

    /// Marks a square after [`Board::check`].
    pub fn place(&mut self, square: usize, mark: Mark) -> Result<(), MoveError> {
        match self.cells.get_mut(square) {
            Some(cell @ None) => {
                *cell = Some(mark);
                Ok(())
            }
            Some(Some(_)) => Err(MoveError::Occupied),
            None => Err(MoveError::OutOfBounds),
        }
    }

    /// The owner of a complete line, if any.
    pub fn winner(&self) -> Option<Mark> {
        LINES.iter().find_map(|line| {
            let [a, b, c] = line.map(|sq| self.get(sq));
            match (a, b, c) {
                (Some(x), Some(y), Some(z)) if x == y && y == z => Some(x),
                _ => None,
            }
        })
    }

    /// The result if the game is over: a line wins even on the ninth move;
    /// only a full board without a line is a draw.
    pub fn outcome(&self) -> Option<Outcome> {
        if let Some(mark) = self.winner() {
            Some(Outcome::Win(mark))
        } else if self.moves_made() == SQUARES {
            Some(Outcome::Draw)
        } else {
            None
        }
    }

    /// The cells as sent in SND_SYNC: -1 empty, else the seat number.
    pub fn to_wire(&self) -> [i8; SQUARES] {
        self.cells.map(|c| c.map_or(-1, Mark::to_wire))
    }
}

impl fmt::Display for Board {
    /// Three rows of `X` (seat 0), `O` (seat 1) and `.`, for logs and test
    /// failures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, cell) in self.cells.iter().enumerate() {
            let c = match cell {
                Some(Mark::Seat0) => 'X',
                Some(Mark::Seat1) => 'O',
                None => '.',
            };
            write!(f, "{c}")?;
            if i % 3 == 2 && i < SQUARES - 1 {
                write!(f, "/")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board_with(marks: &[(usize, Mark)]) -> Board {
        let mut b = Board::new();
        for &(sq, m) in marks {
            b.place(sq, m).unwrap();
        }
        b
    }

    #[test]
    fn every_line_wins_for_either_seat() {
        for line in LINES {
            for mark in Mark::BOTH {
                let b = board_with(&line.map(|sq| (sq, mark)));
                assert_eq!(b.winner(), Some(mark), "{line:?}");
                assert_eq!(b.outcome(), Some(Outcome::Win(mark)));
            }
        }
    }

    #[test]
    fn two_in_a_line_or_mixed_lines_do_not_win() {
        for line in LINES {
            let [a, b, c] = line;
            let two = board_with(&[(a, Mark::Seat0), (b, Mark::Seat0)]);
            assert_eq!(two.outcome(), None);
            let mixed = board_with(&[(a, Mark::Seat0), (b, Mark::Seat0), (c, Mark::Seat1)]);
            assert_eq!(mixed.winner(), None, "{line:?}");
        }
    }

    #[test]
    fn full_board_without_line_is_a_draw() {
        // X O X / X O O / O X X
        let seq = [0, 1, 2, 4, 3, 5, 7, 6, 8];
        let mut b = Board::new();
        for (i, sq) in seq.iter().enumerate() {
            assert_eq!(b.outcome(), None);
            let mark = if i % 2 == 0 { Mark::Seat0 } else { Mark::Seat1 };
            b.place(*sq, mark).unwrap();
        }
        assert_eq!(b.to_string(), "XOX/XOO/OXX");
        assert_eq!(b.outcome(), Some(Outcome::Draw));
    }

    #[test]
    fn win_on_the_ninth_move_is_a_win_not_a_draw() {
        // X O X / O X O / O X X : the last X (square 8) completes 0-4-8.
        let b = board_with(&[
            (0, Mark::Seat0),
            (1, Mark::Seat1),
            (2, Mark::Seat0),
            (3, Mark::Seat1),
            (4, Mark::Seat0),
            (5, Mark::Seat1),
            (7, Mark::Seat0),
            (6, Mark::Seat1),
            (8, Mark::Seat0),
        ]);
        assert_eq!(b.moves_made(), 9);
        assert_eq!(b.outcome(), Some(Outcome::Win(Mark::Seat0)));
    }

    #[test]
    fn move_checks_bounds_before_occupancy() {
        let b = board_with(&[(4, Mark::Seat0)]);
        assert_eq!(b.check(4), Err(MoveError::Occupied));
        assert_eq!(b.check(0), Ok(0));
        assert_eq!(b.check(8), Ok(8));
        for bad in [-1, 9, i32::MIN, i32::MAX] {
            assert_eq!(b.check(bad), Err(MoveError::OutOfBounds));
        }
    }

    #[test]
    fn wire_cells_match_the_sync_example() {
        // docs/tictactoe.md §5 (the sync): square 0 = seat 1, square 4 = seat 0.
        let b = board_with(&[(4, Mark::Seat0), (0, Mark::Seat1)]);
        assert_eq!(b.to_wire(), [1, -1, -1, -1, 0, -1, -1, -1, -1]);
        assert_eq!(b.free_squares().collect::<Vec<_>>(), [1, 2, 3, 5, 6, 7, 8]);
    }
}
