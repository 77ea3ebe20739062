//! Failures of `ggzduedit` and the exit code each one maps to.

use std::fmt;
use std::io;

use ggzd::config::ConfigError;
use ggzd::store::StoreError;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: bad command line (unknown option, conflicting options).
pub const EXIT_USAGE: u8 = 1;
/// Exit code: the named user (or the file to import) does not exist.
pub const EXIT_NOT_FOUND: u8 = 2;
/// Exit code: the user to add exists already.
pub const EXIT_EXISTS: u8 = 3;
/// Exit code: the database could not be opened, read or written.
pub const EXIT_DATABASE: u8 = 4;
/// Exit code: input refused (username policy, empty or mismatching
/// password, over-long real name, rows rejected by an import).
pub const EXIT_BAD_INPUT: u8 = 5;
/// Exit code: the configuration file is missing or invalid.
pub const EXIT_CONFIG: u8 = 6;
/// Exit code: reading the password or writing the output failed.
pub const EXIT_IO: u8 = 7;
/// Exit code: interrupted (Ctrl-C) at the password prompt.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why a command failed.
#[derive(Debug)]
pub enum UeditError {
    /// The command line makes no sense (beyond what the parser checks).
    Usage(String),
    /// No such user (or no such file to import).
    NotFound(String),
    /// A user of that name exists already.
    AlreadyExists(String),
    /// The database failed.
    Database(String),
    /// Input refused by a policy or a check.
    BadInput(String),
    /// The configuration could not be loaded.
    Config(ConfigError),
    /// Terminal or stream I/O failed.
    Io(String, io::Error),
    /// The user pressed Ctrl-C at the password prompt.
    Interrupted,
}

impl UeditError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            UeditError::Usage(_) => EXIT_USAGE,
            UeditError::NotFound(_) => EXIT_NOT_FOUND,
            UeditError::AlreadyExists(_) => EXIT_EXISTS,
            UeditError::Database(_) => EXIT_DATABASE,
            UeditError::BadInput(_) => EXIT_BAD_INPUT,
            UeditError::Config(_) => EXIT_CONFIG,
            UeditError::Io(..) => EXIT_IO,
            UeditError::Interrupted => EXIT_INTERRUPTED,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> UeditError {
        let what = what.into();
        move |e| UeditError::Io(what, e)
    }
}

impl fmt::Display for UeditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UeditError::Usage(m)
            | UeditError::NotFound(m)
            | UeditError::AlreadyExists(m)
            | UeditError::Database(m)
            | UeditError::BadInput(m) => f.write_str(m),
            UeditError::Config(e) => write!(f, "configuration: {e}"),
            UeditError::Io(what, e) => write!(f, "{what}: {e}"),
            UeditError::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for UeditError {}

impl From<StoreError> for UeditError {
    fn from(e: StoreError) -> Self {
        UeditError::Database(e.to_string())
    }
}

impl From<ConfigError> for UeditError {
    fn from(e: ConfigError) -> Self {
        UeditError::Config(e)
    }
}

/// Writing the report failed. A closed pipe (`ggzduedit list | head`) is
/// not worth a message; [`crate::uedit::run`] exits quietly for it.
impl From<io::Error> for UeditError {
    fn from(e: io::Error) -> Self {
        UeditError::Io("cannot write the output".into(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_own_exit_code() {
        let errors = [
            UeditError::Usage(String::new()),
            UeditError::NotFound(String::new()),
            UeditError::AlreadyExists(String::new()),
            UeditError::Database(String::new()),
            UeditError::BadInput(String::new()),
            UeditError::Config(
                ggzd::config::load(Some(std::path::Path::new("/nonexistent/ggzd.toml")))
                    .unwrap_err(),
            ),
            UeditError::Io(String::new(), io::Error::other("x")),
            UeditError::Interrupted,
        ];
        let mut codes: Vec<u8> = errors.iter().map(UeditError::exit_code).collect();
        codes.push(EXIT_OK);
        let count = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), count, "exit codes must be distinct");
    }
}
