//! `[logging]`: where log lines go, which types, and how detailed.

use std::path::PathBuf;

use serde::Deserialize;

/// `[logging]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// Where log lines go.
    pub destination: LogDestination,
    /// Log file for `destination = "file"`; absolute after [`load`].
    pub file: Option<PathBuf>,
    /// Which typed messages to log; untyped errors and notices always are.
    pub types: Vec<LogType>,
    /// Syslog facility for `destination = "syslog"`.
    pub facility: SyslogFacility,
    /// Most verbose level written.
    pub level: LogLevel,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            destination: LogDestination::Stderr,
            file: None,
            types: vec![
                LogType::Notices,
                LogType::Connections,
                LogType::Security,
                LogType::Admin,
            ],
            facility: SyslogFacility::Local0,
            level: LogLevel::Info,
        }
    }
}

impl LoggingConfig {
    /// Whether messages of `kind` are to be logged (`all` enables every
    /// type).
    pub fn enabled(&self, kind: LogType) -> bool {
        self.types.iter().any(|&t| t == kind || t == LogType::All)
    }
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogDestination {
    /// Standard error (with `<N>` priority prefixes under systemd).
    #[default]
    Stderr,
    /// The system log, with `logging.facility`.
    Syslog,
    /// The file `logging.file`.
    File,
}

/// Log message types (docs/config-and-data.md §2.6); names are case-insensitive in
/// the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum LogType {
    /// Every type below.
    All,
    /// General notices (startup, shutdown, reloads).
    Notices,
    /// Connects, logins, logouts.
    Connections,
    /// Failed logins, refused or dropped clients, bad input.
    Security,
    /// Periodic status summaries.
    Update,
    /// Table launches, game ends, game-server trouble.
    Tables,
    /// Administrative actions (kick, gag, permission changes).
    Admin,
}

impl LogType {
    /// Every type with its configuration name.
    pub const NAMES: [(&'static str, LogType); 7] = [
        ("all", LogType::All),
        ("notices", LogType::Notices),
        ("connections", LogType::Connections),
        ("security", LogType::Security),
        ("update", LogType::Update),
        ("tables", LogType::Tables),
        ("admin", LogType::Admin),
    ];

    /// Parses a type name, ignoring case (also used for `--log`).
    pub fn parse(name: &str) -> Option<LogType> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .map(|&(_, t)| t)
    }

    /// The lower-case configuration name.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|&&(_, t)| t == self)
            .map_or("all", |&(n, _)| n)
    }
}

impl TryFrom<String> for LogType {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        LogType::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = LogType::NAMES.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown log type `{name}`, expected one of {}",
                names.join(", ")
            )
        })
    }
}

/// Syslog facilities accepted for `logging.facility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogFacility {
    /// `kern`
    Kern,
    /// `user`
    User,
    /// `mail`
    Mail,
    /// `daemon`
    Daemon,
    /// `auth`
    Auth,
    /// `syslog`
    Syslog,
    /// `lpr`
    Lpr,
    /// `news`
    News,
    /// `uucp`
    Uucp,
    /// `cron`
    Cron,
    /// `authpriv`
    AuthPriv,
    /// `ftp`
    Ftp,
    /// `local0`
    #[default]
    Local0,
    /// `local1`
    Local1,
    /// `local2`
    Local2,
    /// `local3`
    Local3,
    /// `local4`
    Local4,
    /// `local5`
    Local5,
    /// `local6`
    Local6,
    /// `local7`
    Local7,
}

/// `logging.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// Normal operation messages.
    #[default]
    Info,
    /// Diagnostic detail.
    Debug,
    /// Everything, including protocol traces.
    Trace,
}

impl LogLevel {
    /// The matching `log` crate filter.
    pub fn to_level_filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Off => log::LevelFilter::Off,
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Trace => log::LevelFilter::Trace,
        }
    }
}
