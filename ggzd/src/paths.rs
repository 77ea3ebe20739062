//! Where ggzd and its tools look for their files when the configuration
//! does not say: derived at run time from the location of the running
//! executable, never from the tree the binary was built in.
//!
//! Two layouts are recognised (the rule is documented in ggzd(8) FILES and
//! the README):
//!
//! * **Checkout**: the executable sits below `<root>/target/` (e.g.
//!   `target/debug/ggzd`, `target/release/deps/...`) and `<root>` holds
//!   `Cargo.toml` and `rooms/`. Data, rooms, games and the MOTD come from
//!   the checkout; game servers from the executable's own directory; there
//!   is no default configuration file.
//! * **Installed** under a PREFIX: the executable is `PREFIX/bin/<exe>` or
//!   `PREFIX/sbin/<exe>`. An executable anywhere else counts as installed
//!   under `/usr`. The configuration directory is `/etc/ggzd` when PREFIX
//!   is `/usr` (or `/`), else `PREFIX/etc/ggzd`; state lives in
//!   `/var/lib/ggzd`, respectively `PREFIX/var/lib/ggzd`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::config::{self, Config, ConfigError};

/// How the running executable was found to be laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Run from a source checkout rooted at `root`.
    Checkout { root: PathBuf },
    /// Installed under `prefix`.
    Installed { prefix: PathBuf },
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layout::Checkout { root } => write!(f, "source checkout {}", root.display()),
            Layout::Installed { prefix } => write!(f, "installed under {}", prefix.display()),
        }
    }
}

/// The default locations for one layout. `[directories]` in a
/// configuration file overrides each of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub layout: Layout,
    /// Read when no `-f` is given, if it exists; `None` in a checkout.
    pub config_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub conf_dir: PathBuf,
    pub game_dir: PathBuf,
    pub games_dir: PathBuf,
    pub rooms_dir: PathBuf,
}

impl Paths {
    /// The defaults of the running executable (computed once).
    pub fn current() -> &'static Paths {
        static PATHS: OnceLock<Paths> = OnceLock::new();
        PATHS.get_or_init(|| match std::env::current_exe() {
            Ok(exe) => Paths::for_exe(&config::normalize(&exe), |root| {
                root.join("Cargo.toml").is_file() && root.join("rooms").is_dir()
            }),
            // No /proc: nothing to go by but the conventional system paths.
            Err(_) => Paths::installed(Path::new("/usr")),
        })
    }

    /// The layout of an executable at `exe`; `is_checkout` tells whether a
    /// directory is the root of a source checkout.
    pub fn for_exe(exe: &Path, is_checkout: impl Fn(&Path) -> bool) -> Paths {
        let Some(dir) = exe.parent() else {
            return Paths::installed(Path::new("/usr"));
        };
        // target/<profile>/, target/<profile>/deps/, target/<triple>/<profile>/
        for target in dir.ancestors().take(4) {
            if target.file_name().is_some_and(|n| n == "target")
                && let Some(root) = target.parent()
                && is_checkout(root)
            {
                let bin_dir = match dir.file_name() {
                    Some(n) if n == "deps" || n == "examples" => dir.parent().unwrap_or(dir),
                    _ => dir,
                };
                return Paths::checkout(root, bin_dir);
            }
        }
        match (dir.file_name(), dir.parent()) {
            (Some(n), Some(prefix)) if n == "bin" || n == "sbin" => Paths::installed(prefix),
            _ => Paths::installed(Path::new("/usr")),
        }
    }

    /// A checkout at `root` whose binaries are in `bin_dir`.
    pub fn checkout(root: &Path, bin_dir: &Path) -> Paths {
        Paths {
            layout: Layout::Checkout {
                root: root.to_path_buf(),
            },
            config_file: None,
            data_dir: root.join("data"),
            conf_dir: root.join("conf"),
            game_dir: bin_dir.to_path_buf(),
            games_dir: root.join("games"),
            rooms_dir: root.join("rooms"),
        }
    }

    /// An installation under `prefix`.
    pub fn installed(prefix: &Path) -> Paths {
        let system = prefix == Path::new("/usr") || prefix == Path::new("/");
        let (etc, var) = if system {
            (PathBuf::from("/etc"), PathBuf::from("/var"))
        } else {
            (prefix.join("etc"), prefix.join("var"))
        };
        let share = prefix.join("share/ggzd");
        Paths {
            layout: Layout::Installed {
                prefix: prefix.to_path_buf(),
            },
            config_file: Some(etc.join("ggzd/ggzd.toml")),
            data_dir: var.join("lib/ggzd"),
            conf_dir: etc.join("ggzd"),
            game_dir: prefix.join("lib/ggzd"),
            games_dir: share.join("games"),
            rooms_dir: share.join("rooms"),
        }
    }

    /// Text for the end of `--help`.
    pub fn help_text(&self) -> String {
        let config = match &self.config_file {
            Some(file) => format!("{} (if it exists)", file.display()),
            None => "none (embedded defaults)".into(),
        };
        format!(
            "Default paths ({}), each overridden by [directories] in the configuration:\n  \
             configuration  {config}\n  data_dir       {}\n  conf_dir       {}\n  \
             game_dir       {}\n  games_dir      {}\n  rooms_dir      {}\n\
             ggzd -s shows the paths in effect.",
            self.layout,
            self.data_dir.display(),
            self.conf_dir.display(),
            self.game_dir.display(),
            self.games_dir.display(),
            self.rooms_dir.display(),
        )
    }
}

/// Where a loaded configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// Named on the command line.
    Given(PathBuf),
    /// The layout's default file.
    Default(PathBuf),
    /// No file: embedded defaults.
    Embedded,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Given(p) => write!(f, "{}", p.display()),
            ConfigSource::Default(p) => write!(f, "{} (default)", p.display()),
            ConfigSource::Embedded => f.write_str("embedded defaults"),
        }
    }
}

/// Where browsers reach ggzd when it runs without any config file.
pub const EMBEDDED_WEB_LISTEN: &str = "127.0.0.1:5689";

/// The configuration without a file: [`Config::default`], plus the web
/// listener on [`EMBEDDED_WEB_LISTEN`], so that a checkout's `ggzd -F`
/// serves the web client too. A file that does not set `web.listen`
/// keeps the web listener off.
pub fn embedded_config() -> Config {
    let mut config = Config::default();
    config.web.listen = EMBEDDED_WEB_LISTEN.parse().ok();
    config
}

/// Loads the configuration named on the command line, else the layout's
/// default file if there is one, else the embedded defaults.
pub fn load_config(given: Option<&Path>) -> Result<(Config, ConfigSource), ConfigError> {
    if let Some(path) = given {
        return Ok((config::load(Some(path))?, ConfigSource::Given(path.into())));
    }
    match &Paths::current().config_file {
        Some(file) => match config::load(Some(file)) {
            Ok(config) => Ok((config, ConfigSource::Default(file.clone()))),
            Err(e) if e.is_not_found() => Ok((embedded_config(), ConfigSource::Embedded)),
            Err(e) => Err(e),
        },
        None => Ok((embedded_config(), ConfigSource::Embedded)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout_at(root: &'static str) -> impl Fn(&Path) -> bool {
        move |dir| dir == Path::new(root)
    }

    #[test]
    fn a_binary_below_target_of_a_checkout_uses_the_checkout() {
        for exe in [
            "/src/ggzd/target/debug/ggzd",
            "/src/ggzd/target/release/ggzduedit",
            "/src/ggzd/target/x86_64-unknown-linux-gnu/release/ggzd",
        ] {
            let paths = Paths::for_exe(Path::new(exe), checkout_at("/src/ggzd"));
            assert_eq!(
                paths.layout,
                Layout::Checkout {
                    root: "/src/ggzd".into()
                },
                "{exe}"
            );
            assert_eq!(paths.config_file, None);
            assert_eq!(paths.rooms_dir, Path::new("/src/ggzd/rooms"));
            assert_eq!(paths.data_dir, Path::new("/src/ggzd/data"));
            assert_eq!(Some(paths.game_dir.as_path()), Path::new(exe).parent());
        }
        // Test binaries live in deps/; game servers one level up.
        let paths = Paths::for_exe(
            Path::new("/src/ggzd/target/debug/deps/ggzd-0123"),
            checkout_at("/src/ggzd"),
        );
        assert_eq!(paths.game_dir, Path::new("/src/ggzd/target/debug"));
    }

    #[test]
    fn load_config_names_where_the_configuration_came_from() {
        // Unit tests run from target/*/deps of the checkout: no default file.
        let (config, source) = load_config(None).unwrap();
        assert_eq!(source, ConfigSource::Embedded);
        assert_eq!(config, embedded_config());
        assert_eq!(
            config.web.listen.map(|a| a.to_string()).as_deref(),
            Some(EMBEDDED_WEB_LISTEN)
        );
        let dir = crate::config::tests::temp_dir("paths-given");
        let file = dir.join("ggzd.toml");
        std::fs::write(&file, "[server]\nname = \"Given\"\n").unwrap();
        let (config, source) = load_config(Some(&file)).unwrap();
        assert_eq!(source, ConfigSource::Given(file.clone()));
        assert_eq!(config.server.name, "Given");
        assert_eq!(config.web.listen, None, "a file switches the web on itself");
        assert!(load_config(Some(&dir.join("missing.toml"))).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_target_dir_that_is_no_checkout_is_not_one() {
        let paths = Paths::for_exe(Path::new("/opt/target/bin/ggzd"), |_| false);
        assert_eq!(
            paths.layout,
            Layout::Installed {
                prefix: "/opt/target".into()
            }
        );
    }

    #[test]
    fn usr_follows_the_fhs() {
        for exe in ["/usr/bin/ggzd", "/usr/sbin/ggzd", "/somewhere/ggzd"] {
            let paths = Paths::for_exe(Path::new(exe), |_| false);
            assert_eq!(
                paths.config_file.as_deref(),
                Some(Path::new("/etc/ggzd/ggzd.toml"))
            );
            assert_eq!(paths.conf_dir, Path::new("/etc/ggzd"));
            assert_eq!(paths.data_dir, Path::new("/var/lib/ggzd"));
            assert_eq!(paths.game_dir, Path::new("/usr/lib/ggzd"));
            assert_eq!(paths.games_dir, Path::new("/usr/share/ggzd/games"));
            assert_eq!(paths.rooms_dir, Path::new("/usr/share/ggzd/rooms"));
        }
    }

    #[test]
    fn other_prefixes_keep_everything_below_them() {
        let paths = Paths::for_exe(Path::new("/usr/local/bin/ggzd"), |_| false);
        assert_eq!(
            paths.config_file.as_deref(),
            Some(Path::new("/usr/local/etc/ggzd/ggzd.toml"))
        );
        assert_eq!(paths.data_dir, Path::new("/usr/local/var/lib/ggzd"));
        assert_eq!(paths.game_dir, Path::new("/usr/local/lib/ggzd"));
        assert_eq!(paths.rooms_dir, Path::new("/usr/local/share/ggzd/rooms"));
        let help = paths.help_text();
        assert!(help.contains("installed under /usr/local"), "{help}");
        assert!(help.contains("/usr/local/var/lib/ggzd"), "{help}");
    }
}
