//! `ggzd --check-config`: everything the server would refuse to start on
//! (errors, exit status 2) and everything it would warn about at startup
//! (listed; exit status 0), without binding, writing or starting anything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::reload::Overrides;
use crate::config::{Config, keyfile};
use crate::games::GameDesc;
use crate::logging::{self, Destination};
use crate::motd::MAX_MOTD_SIZE;
use crate::rooms::RoomDesc;

/// What a check found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The server would not start.
    pub errors: Vec<String>,
    /// The server would start and log these.
    pub warnings: Vec<String>,
    pub games: usize,
    pub rooms: usize,
}

/// Prints the report and gives the exit status.
pub fn run(config: &Config, overrides: &Overrides) -> ExitCode {
    let report = check(config, overrides);
    for error in &report.errors {
        eprintln!("ggzd: error: {error}");
    }
    for warning in &report.warnings {
        eprintln!("ggzd: warning: {warning}");
    }
    if !report.errors.is_empty() {
        return ExitCode::from(2);
    }
    println!(
        "configuration OK: {} game(s), {} room(s), {} warning(s)",
        report.games,
        report.rooms,
        report.warnings.len()
    );
    ExitCode::SUCCESS
}

/// Checks a loaded configuration (the file itself already parsed and
/// validated) and the files it names.
pub fn check(config: &Config, overrides: &Overrides) -> Report {
    let mut report = Report::default();
    if let Err(e) = config.validate() {
        report.errors.push(e.to_string());
    }
    check_logging(config, overrides, &mut report);
    // A pair that cannot be used stops the server at startup.
    if let Some((cert, key)) = config.tls.files()
        && let Err(e) = crate::server::tls::load_server_config(&cert, &key)
    {
        report.errors.push(format!("tls: {e}"));
    }
    // So do web client files that cannot be served.
    if config.web.listen.is_some()
        && let Err(e) = crate::web::static_files::Site::load(config.web.static_dir.as_deref())
    {
        report.errors.push(e);
    }
    // The password file is read at startup; the server is not contacted
    // here (--check-config writes and connects nowhere).
    if let Err(e) = config.database.target(&config.directories.data_dir) {
        report.errors.push(e);
    }
    let games_dirs: Vec<&Path> = std::iter::once(config.directories.games_dir.as_path())
        .chain(config.extra_dirs.games.iter().map(PathBuf::as_path))
        .collect();
    let extra_rooms: Vec<&Path> = config
        .extra_dirs
        .rooms
        .iter()
        .map(PathBuf::as_path)
        .collect();
    let (games, warnings) = crate::games::load_games_in(
        &games_dirs,
        &config.directories.game_dir,
        &config.games.game_list,
        &config.games.ignored_games,
        config.game_servers.default_layout,
    );
    report.warnings.extend(warnings);
    report.games = games.len();
    match crate::rooms::load_rooms_in(
        &config.directories.rooms_dir,
        &extra_rooms,
        &config.games.room_list,
        &config.games.ignored_rooms,
    ) {
        Ok((rooms, warnings)) => {
            report.warnings.extend(warnings);
            report.warnings.extend(unknown_games(&rooms, &games));
            report.rooms = rooms.len();
        }
        Err(e) => report.errors.push(e.to_string()),
    }
    let dirs = &config.directories;
    let files = &config.files;
    let motds = std::iter::once(&files.motd).chain(files.motd_translations.values());
    for file in motds.filter(|f| !f.is_empty()) {
        let path = dirs.conf_dir.join(file);
        if let Err(e) = keyfile::read_bounded(&path, MAX_MOTD_SIZE) {
            report.warnings.push(format!(
                "MOTD file {}: {e}; the server would send an empty MOTD",
                path.display()
            ));
        }
    }
    if nix::unistd::geteuid().is_root() {
        report
            .warnings
            .push("running as root; run ggzd as a dedicated user instead".into());
    }
    report
}

/// Rooms whose game is not among the loaded games become chat rooms.
fn unknown_games(rooms: &[RoomDesc], games: &[GameDesc]) -> Vec<String> {
    rooms
        .iter()
        .filter_map(|room| {
            let name = room.game.as_deref()?;
            let known = games.iter().any(|g| g.name.get(None) == name);
            (!known).then(|| {
                format!(
                    "{}: room {}: game type {name:?} is not loaded; it becomes a chat room",
                    room.source.display(),
                    room.key
                )
            })
        })
        .collect()
}

fn check_logging(config: &Config, overrides: &Overrides, report: &mut Report) {
    let setup =
        match logging::setup_for(&config.logging, overrides.foreground, &overrides.log_types) {
            Ok(setup) => setup,
            Err(e) => {
                report.errors.push(e);
                return;
            }
        };
    match &setup.destination {
        Destination::File(path) => {
            if let Err(e) = writable(path) {
                report
                    .errors
                    .push(format!("cannot open log file {}: {e}", path.display()));
            }
        }
        // Connecting writes nothing; without -F this is where a daemon
        // would log (unless journald reads its stderr).
        Destination::Syslog { .. } => {
            if let Err(e) = logging::prepare(&setup) {
                report.warnings.push(e);
            }
        }
        Destination::Stderr => {}
    }
}

/// Whether the log file could be opened for appending, creating nothing:
/// an existing file must be writable, a new one needs its directory.
fn writable(path: &Path) -> Result<(), String> {
    use nix::unistd::{AccessFlags, access};
    if path.exists() {
        return access(path, AccessFlags::W_OK).map_err(|e| e.desc().to_owned());
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    access(dir, AccessFlags::W_OK | AccessFlags::X_OK)
        .map_err(|e| format!("directory {}: {}", dir.display(), e.desc()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::i18n::Translated;
    use crate::rooms::EntryRestriction;

    fn room(key: &str, game: Option<&str>) -> RoomDesc {
        RoomDesc {
            key: key.into(),
            name: Translated::new(key),
            description: Translated::new(""),
            game: game.map(str::to_owned),
            max_players: 10,
            max_tables: 0,
            restriction: EntryRestriction::None,
            executable_args: Vec::new(),
            source: format!("/rooms/{key}.toml").into(),
            queues: Vec::new(),
        }
    }

    #[test]
    fn a_room_naming_an_unknown_game_is_a_warning() {
        let rooms = [room("entry", None), room("chess", Some("Chess"))];
        let warnings = unknown_games(&rooms, &[]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("/rooms/chess.toml: room chess"),
            "{warnings:?}"
        );
        assert!(
            warnings[0].contains("\"Chess\" is not loaded"),
            "{warnings:?}"
        );
    }

    #[test]
    fn log_files_are_checked_without_creating_them() {
        let dir = std::env::temp_dir().join(format!("ggzd-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(writable(&dir.join("new.log")), Ok(()));
        assert!(!dir.join("new.log").exists());
        assert!(writable(&dir.join("no/such/dir.log")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
