//! `ggzd-bench`, a load generator for ggzd.
//!
//! One thread drives every simulated client through a single `mio::Poll`
//! with nonblocking sockets, so that on a small machine the server, not the
//! generator, is what runs out of CPU. Each scenario reports the
//! generator's own CPU time beside the server's, so a reader can tell which
//! of the two was the bottleneck.
//!
//! Modules, one concern each:
//! * [`target`]: which addresses may be loaded (loopback unless told).
//! * [`clock`]: monotonic nanoseconds, the timestamps carried in chat.
//! * [`histogram`]: bounded-memory latency percentiles.
//! * [`procfs`]: the server's RSS, CPU time and context switches; the
//!   generator's own CPU time.
//! * [`scan`]: the hot-path reader of server output (one element a line).
//! * [`dio`]: the reader of TicTacToe's DIO packets on game channels.
//! * [`ws`]: WebSocket framing for `--web` (the `[web]` listener).
//! * [`engine`]: the event loop and the per-client protocol state machine,
//!   for players and for game channels.
//! * [`crowd`]: filling a room with bounded concurrency, settling, leaving.
//! * [`idle`], [`chat`], [`logins`], [`mixed`], [`tables`], [`queue`],
//!   [`wakeups`], [`lockstep`]: the scenarios; [`storm`] and [`nonreaders`] for the abuse limits.
//! * [`report`]: table and JSON output.
//! * [`setup`]: writes a server configuration suited to load tests;
//!   [`seed`] puts its rated accounts in the database, with ratings from
//!   [`ratings`].

pub mod chat;
pub mod clock;
pub mod crowd;
pub mod dio;
pub mod engine;
pub mod gaps;
pub mod histogram;
pub mod idle;
pub mod lockstep;
pub mod logins;
pub mod mixed;
pub mod nonreaders;
pub mod procfs;
pub mod queue;
pub mod ratings;
pub mod report;
pub mod scan;
pub mod seed;
pub mod setup;
pub mod spread;
pub mod storm;
pub mod tables;
pub mod target;
pub mod wakeups;
pub mod ws;
