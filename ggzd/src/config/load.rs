//! Reading the file: size bound, UTF-8, TOML with key lines, relative
//! paths resolved against the file's directory.

use std::path::{Component, Path, PathBuf};

use super::{Config, ConfigError, MAX_CONFIG_SIZE, Origin, keyfile, tomlsrc};

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
