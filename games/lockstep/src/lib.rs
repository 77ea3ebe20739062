//! A generic lockstep relay game server for ggzd (docs/lockstep.md).
//!
//! Clients of a deterministic game send one command packet per turn; the
//! relay gathers them into a master packet per turn and broadcasts it, and
//! every client runs the same engine. Clients report state hashes, which
//! the relay compares: a difference halts the game. The relay never looks
//! inside commands, so one executable serves any such game; the game
//! description passes the table's settings as arguments.
//!
//! * [`wire`] — the channel's frames, one decoder and one writer;
//! * [`config`] — the settings, from the command line;
//! * [`relay`] — the rules, a sans-IO state machine with time passed in;
//! * [`driver`] — ggzdmod events and sockets in, relay effects out;
//! * [`demo`] — "Race to 100", the deterministic demo game and its client.

#![cfg_attr(not(test), warn(clippy::indexing_slicing))]

pub mod config;
pub mod demo;
pub mod driver;
pub mod relay;
pub mod wire;
