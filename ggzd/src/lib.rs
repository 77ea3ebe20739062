//! ggzd: the GGZ Gaming Zone server.
//!
//! See ARCHITECTURE.md at the repository root for the codemap.

pub mod abuse;
pub mod auth;
pub mod check_config;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod completions;
pub mod config;
pub mod control;
pub mod game_limits;
pub mod games;
pub mod logging;
pub mod matchmaking;
pub mod metrics;
pub mod motd;
pub mod numlist;
pub mod outage;
pub mod paths;
pub mod pidfile;
pub mod prespawn;
pub mod proto;
pub mod random;
pub mod replays;
pub mod rooms;
pub mod savegame_files;
pub mod server;
pub mod startup;
pub mod store;
pub mod systemd;
pub mod web;
pub mod workers;
pub mod zone;

/// Package version, sent as `GGZ-<version>` in the greeting's SERVER ID.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Client/server protocol version; ggzcore refuses anything but 10.
pub const PROTOCOL_VERSION: u32 = 10;
