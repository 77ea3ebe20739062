//! `ggz`, a terminal client for GGZ servers (protocol 10): log in, chat,
//! launch and join tables, and play TicTacToe over the game channel as an
//! original client would. Interactive with line editing on a terminal, or
//! scripted from stdin with plain output lines and exit codes.
//!
//! Modules, one concern each:
//! * [`address`]: the `[user@]host[:port]` argument.
//! * [`command`]: parsing a line of input.
//! * [`zone`]: the client's picture of rooms, players and tables, kept
//!   current from server messages.
//! * [`tictactoe`]: the TicTacToe board as a player sees it.
//! * [`raw`]: raw mode for any game: typed bytes out, shown bytes in.
//! * [`lockstep`]: "Race to 100" at a lockstep relay table.
//! * [`render`]: events as lines of text.
//! * [`input`], [`output`]: the keyboard (or script) and the screen.
//! * [`terminal`]: the terminal's mode while a session runs.
//! * [`link`]: a nonblocking socket with bounded buffers.
//! * [`tls`]: which certificates the client trusts.
//! * [`session`]: the event loop tying them together.

pub mod address;
pub mod command;
pub mod input;
pub mod link;
pub mod lockstep;
pub mod output;
pub mod raw;
pub mod render;
pub mod replay;
pub mod session;
pub mod terminal;
pub mod tictactoe;
pub mod tls;
pub mod zone;
