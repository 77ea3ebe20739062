//! `ConfigError`: a configuration problem with its file, line and key.

use std::fmt;
use std::path::{Path, PathBuf};

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
    pub(super) not_found: bool,
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
        write_located(
            f,
            self.file.as_deref(),
            self.line,
            self.key.as_deref(),
            &self.message,
        )
    }
}

/// `file:line: key 'k': message`, leaving out what is not known (without a
/// file, the line is left out too). Shared with `DescError`.
pub(super) fn write_located(
    f: &mut fmt::Formatter<'_>,
    file: Option<&Path>,
    line: Option<usize>,
    key: Option<&str>,
    message: &str,
) -> fmt::Result {
    if let Some(file) = file {
        write!(f, "{}", file.display())?;
        if let Some(line) = line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
    }
    if let Some(key) = key {
        write!(f, "key '{key}': ")?;
    }
    f.write_str(message)
}

impl std::error::Error for ConfigError {}
