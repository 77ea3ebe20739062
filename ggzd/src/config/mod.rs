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
pub mod extra_dirs;
mod game_servers;
pub mod i18n;
pub mod keyfile;
pub mod rejoin;
pub mod reload;
pub mod tables;
pub mod tls;
mod tomlsrc;
pub mod web;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use dirscan::DescError;
pub use game_servers::GameServersConfig;
pub use i18n::Translated;
pub use tomlsrc::KeyLines;

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
    /// Where the configuration came from; `None` for embedded defaults.
    #[serde(skip)]
    origin: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq)]
struct Origin {
    file: PathBuf,
    lines: KeyLines,
}

/// `[server]`: how the server presents itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Sent as `SERVER NAME` in the greeting.
    pub name: String,
    /// MOTD `%a`.
    pub admin_name: String,
    /// MOTD `%e`.
    pub admin_email: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            name: "An Unconfigured GGZ Server".into(),
            admin_name: "<unconfigured>".into(),
            admin_email: "<unconfigured>".into(),
        }
    }
}

/// `[network]`: listening socket and per-connection bounds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Address to bind; the default is loopback so that an unconfigured
    /// server is not reachable from the network.
    pub interface: IpAddr,
    /// TCP port; 0 lets the kernel choose (useful for tests).
    pub port: u16,
    /// Queue length of not-yet-accepted connections (`listen(2)`).
    pub listen_backlog: u32,
    /// Simultaneous connections of all kinds; 0 = unlimited.
    pub max_clients: u32,
    /// Simultaneous connections from one address; 0 = unlimited.
    pub max_clients_per_ip: u32,
    /// Seconds from connect to a successful login.
    pub login_timeout: u32,
    /// Bytes queued for one client before it is dropped as a slow reader.
    pub output_queue_limit: usize,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            interface: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 5688,
            listen_backlog: 1024,
            max_clients: 500,
            max_clients_per_ip: 32,
            login_timeout: 60,
            output_queue_limit: 262_144,
        }
    }
}

impl NetworkConfig {
    /// [`NetworkConfig::login_timeout`] as a duration.
    pub fn login_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.login_timeout))
    }
}

/// `[directories]`. After [`load`] all of these are absolute (relative
/// values in a file resolve against the file's directory).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoriesConfig {
    /// Database, pid file, `gamedata/<Game Name>/` working directories.
    pub data_dir: PathBuf,
    /// Base for a relative MOTD file name.
    pub conf_dir: PathBuf,
    /// Game server executables; a relative executable path resolves here.
    pub game_dir: PathBuf,
    /// Game description files (`*.toml`, `*.dsc`).
    pub games_dir: PathBuf,
    /// Room files (`*.toml`, `*.room`).
    pub rooms_dir: PathBuf,
}

impl Default for DirectoriesConfig {
    fn default() -> Self {
        // From where the executable runs (a checkout or an installation),
        // never from where it was built: see `paths`.
        let paths = crate::paths::Paths::current();
        Self {
            data_dir: paths.data_dir.clone(),
            conf_dir: paths.conf_dir.clone(),
            game_dir: paths.game_dir.clone(),
            games_dir: paths.games_dir.clone(),
            rooms_dir: paths.rooms_dir.clone(),
        }
    }
}

/// `[files]`: MOTD sources.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// MOTD template, relative to `conf_dir` unless absolute.
    pub motd: String,
    /// Per-language MOTD templates, e.g. `de = "ggzd.motd.de"`.
    pub motd_translations: BTreeMap<String, String>,
    /// URL sent as `MOTD URL`; empty = none.
    pub web_motd: String,
    /// Per-language variants of `web_motd`.
    pub web_motd_translations: BTreeMap<String, String>,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            motd: "ggzd.motd".into(),
            motd_translations: BTreeMap::new(),
            web_motd: String::new(),
            web_motd_translations: BTreeMap::new(),
        }
    }
}

impl FilesConfig {
    /// The web MOTD URL with its translations, for lookup by language.
    pub fn web_motd_translated(&self) -> Translated {
        let mut text = Translated::new(self.web_motd.clone());
        for (lang, url) in &self.web_motd_translations {
            text.insert(lang.clone(), url.clone());
        }
        text
    }
}

/// `[games]`: which description and room files to load.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GamesConfig {
    /// Game file base names in ID order; empty = every file, sorted.
    pub game_list: Vec<String>,
    /// Base names skipped when `game_list` is empty.
    pub ignored_games: Vec<String>,
    /// Room file base names loaded after `entry`, in ID order; empty = all.
    pub room_list: Vec<String>,
    /// Base names skipped when `room_list` is empty.
    pub ignored_rooms: Vec<String>,
}

/// `[policy]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// `registration`: who may create accounts.
    pub registration: RegistrationPolicy,
    /// `[policy.username]`
    pub username: UsernamePolicy,
}

/// Who may create accounts and log in as guest (docs/config-and-data.md §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationPolicy {
    /// Guests and registration allowed; new accounts log in at once.
    #[default]
    Open,
    /// New accounts are created unconfirmed and cannot log in until
    /// confirmed externally (reply `usr lookup`).
    Confirm,
    /// Behaves like `open`.
    ConfirmLater,
    /// No guests, no registration (`wrong login type`).
    Closed,
}

/// `[policy.username]`: which names are acceptable (docs/config-and-data.md §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsernamePolicy {
    /// Maximum length in bytes, 1..=16.
    pub max_length: usize,
    /// `false`: printable ASCII 33..126 except `%`, `&`, `\`. `true`: any
    /// character except controls, whitespace, invisible formatting
    /// characters, `%`, `&`, `\`.
    pub unicode: bool,
    /// Names refused regardless of case.
    pub reserved: Vec<String>,
}

impl Default for UsernamePolicy {
    fn default() -> Self {
        Self {
            max_length: MAX_USERNAME_LENGTH,
            unicode: false,
            reserved: vec!["<none>".into()],
        }
    }
}

/// `[timing]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimingConfig {
    /// Seconds between a PONG and the next PING; 0 = never ping.
    pub ping_frequency: u32,
    /// Seconds from login to the first PING.
    pub first_ping_delay: u32,
    /// Lag-class thresholds in milliseconds, strictly ascending.
    pub lag_classes: [u32; 4],
    /// Seconds between room-occupancy updates; 0 = never.
    pub room_update_frequency: u32,
    /// Seconds a game server may take to report that it is ready
    /// (WAITING) after its launch; after that the launch fails.
    pub launch_timeout: u32,
}

impl Default for TimingConfig {
    fn default() -> Self {
        Self {
            ping_frequency: 10,
            first_ping_delay: 5,
            lag_classes: [500, 1000, 2000, 5000],
            room_update_frequency: 60,
            launch_timeout: 30,
        }
    }
}

impl TimingConfig {
    /// Interval between PINGs, `None` if pinging is off.
    pub fn ping_interval(&self) -> Option<Duration> {
        (self.ping_frequency > 0).then(|| Duration::from_secs(u64::from(self.ping_frequency)))
    }

    /// Interval between room updates, `None` if they are off.
    pub fn room_update_interval(&self) -> Option<Duration> {
        (self.room_update_frequency > 0)
            .then(|| Duration::from_secs(u64::from(self.room_update_frequency)))
    }
}

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Tables server-wide; 0 = unlimited.
    pub max_tables: u32,
    /// Chat messages a player may send in a burst (token-bucket size).
    pub chat_burst: u32,
    /// Chat messages per second a player may sustain; 0 = no limit.
    pub chat_rate: f64,
    /// Longest chat message in bytes, advertised as `CHATLEN`.
    pub chat_max_length: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_tables: 150,
            chat_burst: 10,
            chat_rate: 2.0,
            chat_max_length: 512,
        }
    }
}

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

/// `[workers]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkersConfig {
    /// Worker threads for password hashing and SQLite; 0 = one per CPU.
    pub threads: u32,
}

impl WorkersConfig {
    /// The number of threads to start (resolving 0 to the CPU count).
    pub fn effective_threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n as usize,
        }
    }
}

/// `[auth]`: argon2id parameters for new password hashes. Defaults are
/// the OWASP minimum recommendation (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Memory per hash in KiB (at least 8 x parallelism).
    pub argon2_memory_kib: u32,
    /// Passes over the memory.
    pub argon2_iterations: u32,
    /// Lanes.
    pub argon2_parallelism: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
        }
    }
}

/// A configuration problem, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as named by the caller; `None` for embedded defaults.
    pub file: Option<PathBuf>,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// Dotted key such as `network.port`, if the problem has one.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    not_found: bool,
}

impl ConfigError {
    /// True if the file does not exist (the caller may then choose to run
    /// on defaults, as the original did).
    pub fn is_not_found(&self) -> bool {
        self.not_found
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "key '{key}': ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Loads the configuration: `None` gives the embedded defaults, otherwise
/// the file is read, parsed, its relative paths resolved against its
/// directory, and validated.
///
/// When a file is given and it does not set `directories.conf_dir`, the
/// file's own directory is used, since the MOTD normally sits beside it.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let file_error = |message: String, not_found: bool| ConfigError {
        file: Some(path.to_path_buf()),
        line: None,
        key: None,
        message,
        not_found,
    };
    if let Err(e) = std::fs::metadata(path) {
        let missing = e.kind() == std::io::ErrorKind::NotFound;
        return Err(file_error(format!("cannot read: {e}"), missing));
    }
    let bytes =
        keyfile::read_bounded(path, MAX_CONFIG_SIZE).map_err(|msg| file_error(msg, false))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = 1 + e
            .as_bytes()
            .get(..valid)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        ConfigError {
            line: Some(line),
            ..file_error("file is not valid UTF-8".into(), false)
        }
    })?;
    let (mut config, lines) = tomlsrc::parse::<Config>(&text).map_err(|e| ConfigError {
        file: Some(path.to_path_buf()),
        line: e.line,
        key: e.key,
        message: e.message,
        not_found: false,
    })?;
    let absolute = std::path::absolute(path).map_err(|e| file_error(e.to_string(), false))?;
    let base = normalize(absolute.parent().unwrap_or(Path::new("/")));
    if lines.line_of("directories.conf_dir").is_none() {
        config.directories.conf_dir = base.clone();
    }
    config.resolve_paths(&base);
    config.origin = Some(Origin {
        file: path.to_path_buf(),
        lines,
    });
    config.validate()?;
    Ok(config)
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

    fn resolve_paths(&mut self, base: &Path) {
        let d = &mut self.directories;
        for dir in [
            &mut d.data_dir,
            &mut d.conf_dir,
            &mut d.game_dir,
            &mut d.games_dir,
            &mut d.rooms_dir,
        ] {
            *dir = normalize(&base.join(&*dir));
        }
        if let Some(file) = &mut self.logging.file {
            *file = normalize(&base.join(&*file));
        }
        self.tls.resolve_paths(base);
        self.extra_dirs.resolve_paths(base);
        self.web.resolve_paths(base);
    }

    /// Semantic checks that the types alone cannot express. The error
    /// names the offending key and, if the value came from a file, the
    /// file and line.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check().map_err(|(key, message)| ConfigError {
            file: self.source_file().map(Path::to_path_buf),
            line: self.line_of(key),
            key: Some(key.to_owned()),
            message,
            not_found: false,
        })
    }

    fn check(&self) -> Result<(), (&'static str, String)> {
        fn ensure(
            ok: bool,
            key: &'static str,
            message: impl Into<String>,
        ) -> Result<(), (&'static str, String)> {
            if ok {
                Ok(())
            } else {
                Err((key, message.into()))
            }
        }
        self.tls.check()?;
        self.web.check()?;
        self.web.check_tls(&self.tls)?;
        self.extra_dirs.check()?;
        self.tables.check()?;
        self.control.check()?;
        self.database.check()?;
        self.cluster.check()?;
        ensure(
            !self.cluster.enabled() || self.database.backend == database::Backend::Postgres,
            "cluster.node",
            "a cluster needs [database] backend = \"postgres\": every node shares its store",
        )?;
        let net = &self.network;
        ensure(
            net.listen_backlog >= 1,
            "network.listen_backlog",
            "must be at least 1",
        )?;
        ensure(
            net.login_timeout >= 1,
            "network.login_timeout",
            "must be at least 1 second",
        )?;
        ensure(
            net.output_queue_limit >= 4096,
            "network.output_queue_limit",
            "must be at least 4096 bytes",
        )?;

        for (key, map) in [
            ("files.motd_translations", &self.files.motd_translations),
            (
                "files.web_motd_translations",
                &self.files.web_motd_translations,
            ),
        ] {
            for lang in map.keys() {
                ensure(
                    is_language_tag(lang),
                    key,
                    format!("`{lang}` is not a language tag such as `de` or `pt_BR`"),
                )?;
            }
        }

        for (key, names) in [
            ("games.game_list", &self.games.game_list),
            ("games.ignored_games", &self.games.ignored_games),
            ("games.room_list", &self.games.room_list),
            ("games.ignored_rooms", &self.games.ignored_rooms),
        ] {
            for name in names {
                ensure(
                    is_base_name(name),
                    key,
                    format!("`{name}` is not a file base name (no `/`, no leading `.`)"),
                )?;
            }
        }

        let user = &self.policy.username;
        ensure(
            (1..=MAX_USERNAME_LENGTH).contains(&user.max_length),
            "policy.username.max_length",
            format!("must be between 1 and {MAX_USERNAME_LENGTH}"),
        )?;

        let lag = &self.timing.lag_classes;
        ensure(
            lag.first().is_some_and(|&l| l > 0)
                && lag.windows(2).all(|w| matches!(w, [a, b] if a < b)),
            "timing.lag_classes",
            "thresholds must be positive and strictly ascending",
        )?;

        let lim = &self.limits;
        ensure(
            lim.chat_rate.is_finite() && (0.0..=1000.0).contains(&lim.chat_rate),
            "limits.chat_rate",
            "must be between 0 (no limit) and 1000 messages per second",
        )?;
        ensure(
            lim.chat_rate == 0.0 || lim.chat_burst >= 1,
            "limits.chat_burst",
            "must be at least 1 while chat_rate is set",
        )?;
        ensure(
            (1..=65_536).contains(&lim.chat_max_length),
            "limits.chat_max_length",
            "must be between 1 and 65536 bytes",
        )?;

        ensure(
            self.logging.destination != LogDestination::File
                || self
                    .logging
                    .file
                    .as_ref()
                    .is_some_and(|f| !f.as_os_str().is_empty()),
            "logging.file",
            "must be set when logging.destination = \"file\"",
        )?;

        ensure(
            self.workers.threads <= 256,
            "workers.threads",
            "must be at most 256",
        )?;

        self.abuse.check()?;

        let auth = &self.auth;
        ensure(
            auth.argon2_iterations >= 1,
            "auth.argon2_iterations",
            "must be at least 1",
        )?;
        ensure(
            (1..=255).contains(&auth.argon2_parallelism),
            "auth.argon2_parallelism",
            "must be between 1 and 255",
        )?;
        ensure(
            auth.argon2_memory_kib >= 8 * auth.argon2_parallelism
                && auth.argon2_memory_kib <= 4 * 1024 * 1024,
            "auth.argon2_memory_kib",
            "must be at least 8 x argon2_parallelism and at most 4194304 (4 GiB)",
        )?;
        self.chat_backlog.check()?;
        self.rejoin.check()?;
        Ok(())
    }
}

/// A name usable as a file base name in `games_dir` / `rooms_dir`.
fn is_base_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

pub(crate) fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Lexical normalisation: drops `.` components and resolves `..` against
/// the preceding component, without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let can_pop = matches!(out.components().next_back(), Some(Component::Normal(_)));
                if can_pop {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Why a username is refused; see [`UsernameError::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameError {
    /// Longer than the policy allows.
    TooLong,
    /// Empty, reserved, or containing a forbidden character.
    Bad,
}

impl UsernameError {
    /// The protocol `RESULT CODE` for this error.
    pub fn code(self) -> &'static str {
        match self {
            UsernameError::TooLong => "too long",
            UsernameError::Bad => "bad username",
        }
    }
}

impl fmt::Display for UsernameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for UsernameError {}

/// Checks a login name against the policy (docs/config-and-data.md §7.1). Length
/// (in bytes) is checked first, as in the original, so an over-long name
/// is `too long` even if it also has bad characters.
pub fn check_username(policy: &UsernamePolicy, name: &str) -> Result<(), UsernameError> {
    if name.len() > policy.max_length.min(MAX_USERNAME_LENGTH) {
        return Err(UsernameError::TooLong);
    }
    if name.is_empty() {
        return Err(UsernameError::Bad);
    }
    let allowed = if policy.unicode {
        name.chars().all(unicode_name_char)
    } else {
        name.bytes()
            .all(|b| (33..=126).contains(&b) && !matches!(b, b'%' | b'&' | b'\\'))
    };
    if !allowed {
        return Err(UsernameError::Bad);
    }
    let canonical = canonical_name(name);
    if policy
        .reserved
        .iter()
        .any(|reserved| canonical_name(reserved) == canonical)
    {
        return Err(UsernameError::Bad);
    }
    Ok(())
}

/// Characters allowed in a Unicode username. Beyond the specified rule
/// (no controls, space, `%`, `&`, `\`) all whitespace and the common
/// invisible formatting characters are refused too, since they allow names
/// that look identical to someone else's.
fn unicode_name_char(c: char) -> bool {
    !c.is_control()
        && !c.is_whitespace()
        && !matches!(c, '%' | '&' | '\\')
        && !matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFF}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// The canonical (database / uniqueness) form of a name: ASCII lower-casing
/// for ASCII names, full Unicode lower-casing otherwise.
pub fn canonical_name(name: &str) -> String {
    if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        name.to_lowercase()
    }
}

#[cfg(test)]
pub(crate) mod tests;
