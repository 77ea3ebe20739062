//! TicTacToe game server for ggzd, speaking the original GGZ TicTacToe
//! protocol (docs/tictactoe.md §2) so GGZ 0.0.14 clients can play against it.
//!
//! One process runs one table. ggzd starts it with the control socket on
//! fd 3 (see the `ggzdmod` crate) and hands over each player's and
//! spectator's TCP connection; on those connections only the DIO-framed
//! TicTacToe messages flow.
//!
//! Modules, one concern each:
//!
//! * [`dio`] — DIO packet framing and easysock primitives;
//! * [`protocol`] — the message catalogue and the two protocol variants;
//! * [`board`] — board, rules, win and draw detection;
//! * [`ai`] — the bots;
//! * [`savegame`] — the optional text savegame of the original format;
//! * [`replay`] — the event log's events, and replaying a log on restore;
//! * [`table`] — what the game needs from ggzd and the sockets;
//! * [`game`] — the state machine;
//! * [`driver`] — turns ggzdmod events into state machine calls.

#![cfg_attr(not(test), warn(clippy::indexing_slicing))]

pub mod ai;
pub mod board;
pub mod dio;
pub mod driver;
pub mod game;
pub mod protocol;
pub mod replay;
pub mod savegame;
pub mod table;
