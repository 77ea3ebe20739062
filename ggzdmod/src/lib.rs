//! The ggzdmod wire: how the GGZ server (ggzd) and a game server talk over
//! the control socket (fd 3), and an API for game authors.
//!
//! ggzd starts one game server process per table and keeps one end of a
//! Unix stream socket pair; the game server finds the other end on
//! descriptor [`GGZSOCKET_FD`]. Over it flow small binary messages
//! (big-endian ints, length-prefixed NUL-terminated strings) and, when a
//! player joins, the player's own TCP connection as a passed descriptor.
//! The format is that of the original libggzdmod, so game servers built
//! against it work with our ggzd and game servers built with this crate
//! work with the original ggzd.
//!
//! The crate has four parts, usable separately:
//!
//! * [`wire`] — the sans-IO codec: typed messages in both directions
//!   ([`ToGame`], [`ToServer`]), exact encoding and incremental decoding,
//!   both launch layouts ([`LaunchLayout`]); [`detect`] tells the two
//!   layouts apart when nobody says which one comes.
//! * [`fdpass`] — sending and receiving one descriptor per `sendmsg` with
//!   `SCM_RIGHTS`.
//! * [`server`] — ggzd's end: [`ServerChannel`], a non-blocking queue and
//!   decoder for one game server's control socket.
//! * [`game`] — the game author's end: [`Game`], which connects, keeps the
//!   seat table, turns traffic into [`Event`]s and sends requests.
//!
//! * [`eventlog`] — the append-only event log a game keeps for replays
//!   and restore, its reader, and the stale-move helper
//!   (docs/event-log.md); [`Game::start_event_log`] reports it to ggzd.
//!
//! * [`testing`] — a game server binary driven as
//!   ggzd would drive it, for the game's own tests.
//!
//! A minimal game server is in `examples/guess.rs`, with its description
//! (`examples/games/guess.toml`) and room (`examples/rooms/guess.room`); its tests, in
//! `tests/guess.rs`, show how to test a game server with [`testing`].
//!
//! # Environment
//!
//! ggzd starts a game server with [`ENV_GGZMODE`]`=true` and
//! [`ENV_GGZSOCKET`]`=3`. Our ggzd also sets [`ENV_LAUNCH_LAYOUT`] to
//! `trunk` or `legacy`, the launch message layout it sends. The original
//! ggzd does not; then [`GameOptions::layout`] applies if the game insists
//! on one, and otherwise the launch message is read both ways and the
//! reading that fits is kept ([`detect`], docs/launch-layout.md).

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::indexing_slicing))]

use std::os::fd::RawFd;

pub mod detect;
pub mod eventlog;
pub mod fdpass;
pub mod game;
pub mod server;
pub mod spare;
pub mod testing;
pub mod unique_file;
pub mod wire;

pub use game::{
    Error, Event, Game, GameOptions, Place, Seat, SeatInfo, SeatResult, Spectator, build_report,
};
pub use server::{ChannelError, ReadEnd, ReadOutcome, ServerChannel, control_socketpair};
pub use wire::{
    Decoded, GameResult, GameState, LaunchLayout, LaunchSeat, ReportRecord, SeatKind, ToGame,
    ToServer, Trailer, WireError,
};

/// The descriptor number of the control socket in a game server process.
pub const GGZSOCKET_FD: RawFd = 3;

/// Environment variable that is `true` when a program runs under ggzd.
pub const ENV_GGZMODE: &str = "GGZMODE";

/// Environment variable holding the control socket's descriptor number
/// (default [`GGZSOCKET_FD`]).
pub const ENV_GGZSOCKET: &str = "GGZSOCKET";

/// Environment variable through which our ggzd hands a savegame to a game
/// server launched with the legacy layout, whose launch message has no
/// savegame field (a RESTORE; docs/event-log.md §8). The crate takes it as
/// [`Game::savegame`] when the launch message carries none.
pub const ENV_SAVEGAME: &str = "GGZDMOD_SAVEGAME";

/// Environment variable through which our ggzd tells a game server which
/// launch layout it sends: `trunk` (0.99.x, with savegame) or `legacy`
/// (0.0.14). Also accepted: `0.99`, `0.0.14`; case does not matter.
pub const ENV_LAUNCH_LAYOUT: &str = "GGZDMOD_LAUNCH_LAYOUT";
