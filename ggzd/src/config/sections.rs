//! The core sections of the configuration file and their defaults.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{MAX_USERNAME_LENGTH, Translated};

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
