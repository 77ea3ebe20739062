//! What a SIGHUP does with a re-read configuration: the command line's
//! values are put over it again, keys that only take effect at startup
//! keep their running values (and are reported), and the sections that
//! changed are named for the log. Pure: the caller reads the file and
//! applies the result.

use super::Config;

/// What the command line set over the configuration file. Applied at
/// startup and again after every reload, so `-p` keeps winning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `-p`
    pub port: Option<u16>,
    /// `-F`: stderr is ours to log to.
    pub foreground: bool,
    /// `-l`: log types added to `logging.types`.
    pub log_types: Vec<String>,
}

impl Overrides {
    pub fn apply(&self, config: &mut Config) {
        if let Some(port) = self.port {
            config.network.port = port;
        }
    }
}

/// Keys read once at startup: the listening socket, the data directory
/// (database, pid file, game working directories) and the worker threads
/// with their hashing parameters, the store backend. Changing them needs
/// a restart.
pub const RESTART_KEYS: [&str; 14] = [
    "network.interface",
    "network.port",
    "network.listen_backlog",
    "directories.data_dir",
    "workers.threads",
    "auth.argon2_memory_kib",
    "auth.argon2_iterations",
    "auth.argon2_parallelism",
    "web.listen",
    "web.tls",
    "control",
    "metrics",
    "database",
    "cluster",
];

/// The outcome of comparing the running configuration with a new one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReloadPlan {
    /// Keys of [`RESTART_KEYS`] whose value differs: they keep the
    /// running value until a restart.
    pub needs_restart: Vec<&'static str>,
    /// Sections (`[limits]`, ...) with a changed key that applies now.
    pub changed: Vec<&'static str>,
}

/// Compares `running` with `new` (both with the command line applied) and
/// gives `new` the running values of the keys that need a restart, so
/// that it describes what the server will actually do.
pub fn plan(running: &Config, new: &mut Config) -> ReloadPlan {
    let mut needs_restart = Vec::new();
    let mut keep = |key: &'static str, differs: bool| {
        if differs {
            needs_restart.push(key);
        }
    };
    {
        let (old, new) = (&running.network, &mut new.network);
        keep("network.interface", old.interface != new.interface);
        keep("network.port", old.port != new.port);
        keep(
            "network.listen_backlog",
            old.listen_backlog != new.listen_backlog,
        );
        new.interface = old.interface;
        new.port = old.port;
        new.listen_backlog = old.listen_backlog;
    }
    keep(
        "directories.data_dir",
        running.directories.data_dir != new.directories.data_dir,
    );
    new.directories.data_dir = running.directories.data_dir.clone();
    keep("workers.threads", running.workers != new.workers);
    new.workers = running.workers.clone();
    {
        let (old, new) = (&running.auth, &mut new.auth);
        keep(
            "auth.argon2_memory_kib",
            old.argon2_memory_kib != new.argon2_memory_kib,
        );
        keep(
            "auth.argon2_iterations",
            old.argon2_iterations != new.argon2_iterations,
        );
        keep(
            "auth.argon2_parallelism",
            old.argon2_parallelism != new.argon2_parallelism,
        );
        *new = old.clone();
    }
    keep("web.listen", running.web.listen != new.web.listen);
    new.web.listen = running.web.listen;
    // The listener's scheme: its clients' URLs say ws or wss.
    keep("web.tls", running.web.tls != new.web.tls);
    new.web.tls = running.web.tls;
    // The control socket and the metrics endpoint are opened at startup.
    keep("control", running.control != new.control);
    new.control = running.control.clone();
    keep("metrics", running.metrics != new.metrics);
    new.metrics = running.metrics.clone();
    // Every worker holds a connection to the store opened at startup.
    keep("database", running.database != new.database);
    new.database = running.database.clone();
    // The node's name, links and registry thread live from startup on.
    keep("cluster", running.cluster != new.cluster);
    new.cluster = running.cluster.clone();
    ReloadPlan {
        needs_restart,
        changed: changed_sections(running, new),
    }
}

/// Sections whose values differ, by name.
pub fn changed_sections(a: &Config, b: &Config) -> Vec<&'static str> {
    sections(a, b)
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(name, _)| name)
        .collect()
}

/// Every section with whether it is the same in both. A section missing
/// here would change silently: a test checks the list against the
/// sections of conf/ggzd.toml.
fn sections(a: &Config, b: &Config) -> Vec<(&'static str, bool)> {
    vec![
        ("server", a.server == b.server),
        ("network", a.network == b.network),
        ("directories", a.directories == b.directories),
        ("files", a.files == b.files),
        ("games", a.games == b.games),
        ("policy", a.policy == b.policy),
        ("timing", a.timing == b.timing),
        ("limits", a.limits == b.limits),
        ("logging", a.logging == b.logging),
        ("workers", a.workers == b.workers),
        ("auth", a.auth == b.auth),
        ("tables", a.tables == b.tables),
        ("game_servers", a.game_servers == b.game_servers),
        ("tls", a.tls == b.tls),
        ("abuse", a.abuse == b.abuse),
        ("extra_dirs", a.extra_dirs == b.extra_dirs),
        ("web", a.web == b.web),
        ("control", a.control == b.control),
        ("metrics", a.metrics == b.metrics),
        ("chat_backlog", a.chat_backlog == b.chat_backlog),
        ("database", a.database == b.database),
        ("rejoin", a.rejoin == b.rejoin),
        ("cluster", a.cluster == b.cluster),
        ("replays", a.replays == b.replays),
        ("matchmaking", a.matchmaking == b.matchmaking),
        ("fanout", a.fanout == b.fanout),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn live_keys_change_restart_keys_keep_their_value() {
        let running = Config::default();
        let mut new = Config::default();
        new.limits.chat_rate = 9.0;
        new.policy.registration = crate::config::RegistrationPolicy::Closed;
        new.network.interface = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        new.network.port = 9999;
        new.workers.threads = 7;
        new.network.max_clients = 3;
        let plan = plan(&running, &mut new);
        assert_eq!(
            plan.needs_restart,
            vec!["network.interface", "network.port", "workers.threads"]
        );
        assert_eq!(plan.changed, vec!["network", "policy", "limits"]);
        assert_eq!(new.network.interface, running.network.interface);
        assert_eq!(new.network.port, running.network.port);
        assert_eq!(new.workers, running.workers);
        assert_eq!(new.network.max_clients, 3);
        assert_eq!(new.limits.chat_rate, 9.0);
    }

    #[test]
    fn nothing_changed_nothing_reported() {
        let running = Config::default();
        let mut new = Config::default();
        assert_eq!(plan(&running, &mut new), ReloadPlan::default());
    }

    #[test]
    fn every_restart_key_is_reported_by_its_name() {
        let running = Config::default();
        let mut new = Config::default();
        new.network.interface = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        new.network.port = 1;
        new.network.listen_backlog = 5;
        new.directories.data_dir = "/elsewhere".into();
        new.workers.threads = 2;
        new.auth.argon2_memory_kib = 1 << 16;
        new.auth.argon2_iterations = 3;
        new.auth.argon2_parallelism = 2;
        new.web.listen = Some("127.0.0.1:1".parse().unwrap());
        new.web.tls = true;
        new.control.max_connections = 5;
        new.metrics.listen = Some("127.0.0.1:2".parse().unwrap());
        new.database.backend = crate::config::database::Backend::Postgres;
        new.cluster.node = "a".into();
        let plan = plan(&running, &mut new);
        assert_eq!(plan.needs_restart, RESTART_KEYS.to_vec());
        assert!(plan.changed.is_empty(), "{:?}", plan.changed);
        assert_eq!(new, running);
    }

    #[test]
    fn every_section_of_the_example_config_is_compared() {
        let example = include_str!("../../../conf/ggzd.toml");
        let known: Vec<&str> = sections(&Config::default(), &Config::default())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        for line in example.lines() {
            let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
                continue;
            };
            let top = name.split('.').next().unwrap_or(name);
            assert!(known.contains(&top), "[{top}] is not compared on reload");
        }
    }

    #[test]
    fn the_command_line_port_wins_again() {
        let overrides = Overrides {
            port: Some(4000),
            ..Overrides::default()
        };
        let mut config = Config::default();
        config.network.port = 1234;
        overrides.apply(&mut config);
        assert_eq!(config.network.port, 4000);
    }
}
