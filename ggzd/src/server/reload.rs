//! SIGHUP, off the event loop: the helper thread re-reads `ggzd.toml`,
//! puts the command line over it again, opens the log output anew (which
//! also follows a log file that logrotate renamed), loads rooms, games
//! and the MOTD and the TLS certificate, and hands the lot to the event
//! loop in one piece.
//!
//! Anything wrong (a config error, a log file that cannot be opened, no
//! entry room) and nothing changes: the old configuration stays whole,
//! only the log output is reopened, and the error says where.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::config::reload::{Overrides, ReloadPlan, plan};
use crate::games::GameDesc;
use crate::logging;
use crate::motd::Motd;
use crate::rooms::RoomDesc;
use crate::workers::ReloadPaths;
use crate::zone::Settings;

/// Where the configuration comes from, for every reload.
#[derive(Debug, Clone)]
pub struct ReloadSource {
    /// `-f`; `None`: the layout's default file if there is one, else the
    /// embedded defaults, looked up again on every reload as at startup.
    pub config_file: Option<PathBuf>,
    pub overrides: Overrides,
}

/// A reload that succeeded on the helper thread, ready to apply.
pub struct Outcome {
    /// The new running configuration (restart-only keys keep their
    /// running values).
    pub config: Config,
    pub plan: ReloadPlan,
    pub settings: Settings,
    pub games: Vec<GameDesc>,
    pub rooms: Vec<RoomDesc>,
    pub motd: Motd,
    pub tls: TlsMaterial,
    /// The web client's files as the new `web.static_dir` names them;
    /// an error keeps the running ones.
    pub site: Result<Arc<crate::web::static_files::Site>, String>,
}

/// The TLS certificate and key the new configuration names.
pub enum TlsMaterial {
    /// `[tls]` names none: TLS is not offered.
    Off,
    Loaded(Arc<rustls::ServerConfig>),
    /// The pair cannot be used: the running one stays (docs/tls.md), the
    /// rest of the reload applies.
    Failed(String),
}

/// The helper thread's work. `running` is the configuration in force,
/// `port` the port actually bound. On `Err` nothing was changed but the
/// log output reopened, and the error was logged.
pub fn reload(source: &ReloadSource, running: &Config, port: u16) -> Result<Box<Outcome>, String> {
    let result = prepare(source, running, port);
    if let Err(e) = &result {
        if let Err(reopen) = logging::reopen() {
            log::error!("cannot reopen the log: {reopen}");
        }
        log::error!("reload refused, nothing changed: {e}");
    }
    result
}

fn prepare(source: &ReloadSource, running: &Config, port: u16) -> Result<Box<Outcome>, String> {
    let (mut config, _) =
        crate::paths::load_config(source.config_file.as_deref()).map_err(|e| e.to_string())?;
    source.overrides.apply(&mut config);
    let plan = plan(running, &mut config);
    let setup = logging::setup_for(
        &config.logging,
        source.overrides.foreground,
        &source.overrides.log_types,
    )
    .map_err(|e| at_key(&config, "logging", &e))?;
    let output = logging::prepare(&setup).map_err(|e| at_key(&config, "logging", &e))?;
    let loaded =
        super::load_descriptions(&ReloadPaths::from_config(&config)).map_err(|e| e.to_string())?;
    let tls = match config.tls.files() {
        None => TlsMaterial::Off,
        Some((cert, key)) => match super::tls::load_server_config(&cert, &key) {
            Ok(pair) => TlsMaterial::Loaded(pair),
            Err(e) => TlsMaterial::Failed(e),
        },
    };
    let site = crate::web::static_files::Site::load(config.web.static_dir.as_deref()).map(Arc::new);
    let settings = crate::startup::settings(&config, port);
    // Last, once nothing can fail any more: from here on lines go to the
    // new output.
    logging::install(output);
    Ok(Box::new(Outcome {
        config,
        plan,
        settings,
        games: loaded.games,
        rooms: loaded.rooms,
        motd: loaded.motd,
        tls,
        site,
    }))
}

/// An error of a whole section, placed like the config's own errors.
fn at_key(config: &Config, section: &str, message: &str) -> String {
    let line = [
        format!("{section}.file"),
        format!("{section}.destination"),
        section.to_owned(),
    ]
    .iter()
    .find_map(|key| config.line_of(key).map(|line| (key.clone(), line)));
    match (config.source_file(), line) {
        (Some(file), Some((key, line))) => {
            format!("{}:{line}: key '{key}': {message}", file.display())
        }
        (Some(file), None) => format!("{}: {message}", file.display()),
        (None, _) => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_output_error_is_placed_at_the_logging_key() {
        let dir = std::env::temp_dir().join(format!("ggzd-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ggzd.toml");
        std::fs::write(
            &file,
            "[server]\nname = \"x\"\n[logging]\ndestination = \"file\"\nfile = \"no/dir/x.log\"\n",
        )
        .unwrap();
        let config = crate::config::load(Some(&file)).unwrap();
        let text = at_key(&config, "logging", "cannot open");
        assert_eq!(
            text,
            format!("{}:5: key 'logging.file': cannot open", file.display())
        );
        assert_eq!(at_key(&Config::default(), "logging", "why"), "why");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_broken_file_is_refused_and_names_its_line() {
        let dir = std::env::temp_dir().join(format!("ggzd-reload-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ggzd.toml");
        std::fs::write(&file, "[limits]\nchat_rate = \"fast\"\n").unwrap();
        let source = ReloadSource {
            config_file: Some(file.clone()),
            overrides: Overrides::default(),
        };
        let err = prepare(&source, &Config::default(), 5688).err().unwrap();
        assert!(err.contains("ggzd.toml:2"), "{err}");
        assert!(err.contains("limits.chat_rate"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
