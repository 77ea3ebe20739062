//! Semantic checks that the types alone cannot express.

use std::path::Path;

use super::{Config, ConfigError, LogDestination, MAX_USERNAME_LENGTH};

impl Config {
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
            !self.cluster.enabled() || self.database.backend == super::database::Backend::Postgres,
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
        self.fanout.check()?;
        self.replays.check()?;
        self.matchmaking.check()?;
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
