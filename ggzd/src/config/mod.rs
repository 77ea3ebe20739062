//! The daemon's configuration: a TOML file (every key documented in
//! `conf/ggzd.toml`), embedded defaults, semantic validation, and the
//! username policy that the configuration controls.
//!
//! Errors name the file, line and key, e.g.
//! `conf/ggzd.toml:12: key 'network.port': invalid type: string "x", expected u16`.
//! Unknown keys are errors so that typos do not silently fall back to
//! defaults.

pub mod abuse;
pub mod chat_backlog;
pub mod cluster;
pub mod control;
pub mod database;
pub(crate) mod dirscan;
mod error;
pub mod extra_dirs;
pub mod fanout;
mod game_servers;
pub mod i18n;
pub mod keyfile;
mod load;
mod logging;
pub mod matchmaking;
pub mod rejoin;
pub mod reload;
pub mod replays;
mod sections;
pub mod tables;
pub mod tls;
mod tomlsrc;
mod username;
mod validate;
pub mod web;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use dirscan::DescError;
pub use error::ConfigError;
pub use game_servers::GameServersConfig;
pub use i18n::Translated;
pub use load::load;
pub(crate) use load::normalize;
pub use logging::{LogDestination, LogLevel, LogType, LoggingConfig, SyslogFacility};
pub use sections::{
    AuthConfig, DirectoriesConfig, FilesConfig, GamesConfig, LimitsConfig, NetworkConfig,
    PolicyConfig, RegistrationPolicy, ServerConfig, TimingConfig, UsernamePolicy, WorkersConfig,
};
pub use tomlsrc::KeyLines;
pub use username::{UsernameError, canonical_name, check_username};
pub(crate) use validate::is_language_tag;

/// Configuration files larger than this are refused (a real one is a few
/// KiB; the bound protects against pointing `-f` at the wrong file).
pub const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

/// Longest username the protocol and the user database allow, in bytes.
pub const MAX_USERNAME_LENGTH: usize = 16;

/// The whole configuration. Every section and key is optional; missing ones
/// take the embedded defaults ([`Config::default`]).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[server]`
    pub server: ServerConfig,
    /// `[network]`
    pub network: NetworkConfig,
    /// `[directories]`
    pub directories: DirectoriesConfig,
    /// `[files]`
    pub files: FilesConfig,
    /// `[games]`
    pub games: GamesConfig,
    /// `[policy]`
    pub policy: PolicyConfig,
    /// `[timing]`
    pub timing: TimingConfig,
    /// `[limits]`
    pub limits: LimitsConfig,
    /// `[logging]`
    pub logging: LoggingConfig,
    /// `[workers]`
    pub workers: WorkersConfig,
    /// `[auth]`
    pub auth: AuthConfig,
    /// `[abuse]`
    pub abuse: abuse::AbuseConfig,
    /// `[tls]`
    pub tls: tls::TlsConfig,
    /// `[game_servers]`
    pub game_servers: GameServersConfig,
    /// `[tables]`
    pub tables: tables::TablesConfig,
    /// `[extra_dirs]`
    pub extra_dirs: extra_dirs::ExtraDirsConfig,
    /// `[chat_backlog]`
    pub chat_backlog: chat_backlog::ChatBacklogConfig,
    /// `[control]`
    pub control: control::ControlConfig,
    /// `[metrics]`
    pub metrics: control::MetricsConfig,
    /// `[web]`
    pub web: web::WebConfig,
    /// `[database]`
    pub database: database::DatabaseConfig,
    /// `[rejoin]`
    pub rejoin: rejoin::RejoinConfig,
    /// `[cluster]`
    pub cluster: cluster::ClusterConfig,
    /// `[replays]`
    pub replays: replays::ReplaysConfig,
    /// `[matchmaking]`
    pub matchmaking: matchmaking::MatchmakingConfig,
    /// `[fanout]`
    pub fanout: fanout::FanoutConfig,
    /// Where the configuration came from; `None` for embedded defaults.
    #[serde(skip)]
    origin: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq)]
struct Origin {
    file: PathBuf,
    lines: KeyLines,
}

impl Config {
    /// The file this configuration was loaded from, if any.
    pub fn source_file(&self) -> Option<&Path> {
        self.origin.as_ref().map(|o| o.file.as_path())
    }

    /// The line of the file where `key` (dotted) was set, if it was.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.origin.as_ref()?.lines.line_of(key)
    }
}

#[cfg(test)]
pub(crate) mod tests;
