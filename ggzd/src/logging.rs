//! Logging through the `log` crate to stderr, a file or syslog.
//!
//! Records logged with one of the original's log types as their target
//! (`connections`, `security`, `update`, `tables`, `admin`, `notices`) are
//! written only when that type is enabled; every other record follows the
//! level alone. Under systemd (`JOURNAL_STREAM` set) stderr lines carry
//! `<N>` priority prefixes, which journald turns into priorities.
//!
//! The event loop logs several lines per turn (a guest login alone is
//! three), so on its thread lines to stderr or a file are gathered during
//! a turn and written with one `write` when the turn ends
//! ([`batch_this_thread`], [`flush_batch`]); other threads write each line
//! at once.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// The typed log targets.
pub const LOG_TYPES: [&str; 6] = [
    "notices",
    "connections",
    "security",
    "update",
    "tables",
    "admin",
];

#[derive(Debug, Clone)]
pub enum Destination {
    Stderr,
    File(PathBuf),
    Syslog { facility: String },
}

#[derive(Debug, Clone)]
pub struct LogSetup {
    pub destination: Destination,
    /// Enabled log types (lower case); `all` enables every one.
    pub types: Vec<String>,
    pub level: LevelFilter,
}

enum Output {
    Stderr { journald: bool },
    File(File),
    Syslog(Box<syslog::Logger<syslog::LoggerBackend, syslog::Formatter3164>>),
}

struct Logger {
    level: LevelFilter,
    types: Vec<&'static str>,
    output: Mutex<Output>,
}

/// The installed logger, for [`flush_batch`].
static LOGGER: OnceLock<&'static Logger> = OnceLock::new();

/// A batch of a turn's lines is written early once it holds this much.
const BATCH_LIMIT: usize = 64 * 1024;

thread_local! {
    /// Lines this thread logged and has not written yet; `None` on threads
    /// that write every line at once.
    static BATCH: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// From now on, lines this thread logs to stderr or a file wait for
/// [`flush_batch`]. For the event loop, which calls it once per turn.
pub fn batch_this_thread() {
    BATCH.with(|b| {
        let mut batch = b.borrow_mut();
        if batch.is_none() {
            *batch = Some(Vec::new());
        }
    });
}

/// Writes the lines this thread gathered, with one write.
pub fn flush_batch() {
    let pending = BATCH.with(|b| match b.borrow_mut().as_mut() {
        Some(batch) if !batch.is_empty() => Some(std::mem::take(batch)),
        _ => None,
    });
    if let (Some(bytes), Some(logger)) = (pending, LOGGER.get()) {
        logger.write_out(&bytes);
    }
}

/// Returns an error text when the log type list names an unknown type.
pub fn parse_types(types: &[String]) -> Result<Vec<&'static str>, String> {
    let mut enabled = Vec::new();
    for t in types {
        let t = t.trim().to_ascii_lowercase();
        if t.is_empty() {
            continue;
        }
        if t == "all" {
            return Ok(LOG_TYPES.to_vec());
        }
        match LOG_TYPES.iter().find(|known| **known == t) {
            Some(known) => enabled.push(*known),
            None => {
                return Err(format!(
                    "unknown log type {t:?} (known: all, {})",
                    LOG_TYPES.join(", ")
                ));
            }
        }
    }
    Ok(enabled)
}

pub fn init(setup: &LogSetup) -> Result<(), String> {
    let types = parse_types(&setup.types)?;
    let output = match &setup.destination {
        Destination::Stderr => Output::Stderr {
            journald: std::env::var_os("JOURNAL_STREAM").is_some(),
        },
        Destination::File(path) => OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(Output::File)
            .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?,
        Destination::Syslog { facility } => {
            let facility = facility
                .parse::<syslog::Facility>()
                .map_err(|_| format!("unknown syslog facility {facility:?}"))?;
            let formatter = syslog::Formatter3164 {
                facility,
                hostname: None,
                process: "ggzd".into(),
                pid: std::process::id(),
            };
            let logger =
                syslog::unix(formatter).map_err(|e| format!("cannot reach syslog: {e}"))?;
            Output::Syslog(Box::new(logger))
        }
    };
    let logger = Logger {
        level: setup.level,
        types,
        output: Mutex::new(output),
    };
    let logger: &'static Logger = Box::leak(Box::new(logger));
    log::set_logger(logger).map_err(|e| e.to_string())?;
    let _ = LOGGER.set(logger);
    log::set_max_level(setup.level.max(LevelFilter::Info));
    Ok(())
}

impl Logger {
    /// Writes whole lines to stderr or the file.
    fn write_out(&self, bytes: &[u8]) {
        let Ok(mut output) = self.output.lock() else {
            return;
        };
        match &mut *output {
            Output::Stderr { .. } => {
                let _ = std::io::stderr().write_all(bytes);
            }
            Output::File(file) => {
                let _ = file.write_all(bytes);
            }
            Output::Syslog(_) => {}
        }
    }

    fn typed(&self, target: &str) -> Option<bool> {
        LOG_TYPES
            .iter()
            .find(|t| **t == target)
            .map(|t| self.types.contains(t))
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        match self.typed(metadata.target()) {
            Some(enabled) => enabled,
            None => metadata.level() <= self.level,
        }
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let tag = match self.typed(record.target()) {
            Some(_) => record.target(),
            None => level_name(record.level()),
        };
        // Whole lines only: stderr is unbuffered, and pieces of concurrent
        // lines must not interleave.
        let text = format!("{tag}: {}", record.args());
        let line = {
            let Ok(mut output) = self.output.lock() else {
                return;
            };
            match &mut *output {
                Output::Stderr { journald: true } => {
                    format!("<{}>{text}\n", priority(record.level()))
                }
                Output::Stderr { journald: false } => format!("ggzd: {text}\n"),
                Output::File(_) => {
                    format!("{} ggzd[{}] {text}\n", utc_timestamp(), std::process::id())
                }
                Output::Syslog(logger) => {
                    let _ = match record.level() {
                        Level::Error => logger.err(text),
                        Level::Warn => logger.warning(text),
                        Level::Info => logger.info(text),
                        Level::Debug | Level::Trace => logger.debug(text),
                    };
                    return;
                }
            }
        };
        let full = BATCH.with(|b| match b.borrow_mut().as_mut() {
            Some(batch) => {
                batch.extend_from_slice(line.as_bytes());
                (batch.len() >= BATCH_LIMIT).then(|| std::mem::take(batch))
            }
            None => Some(line.into_bytes()),
        });
        if let Some(bytes) = full {
            self.write_out(&bytes);
        }
    }

    fn flush(&self) {
        flush_batch();
        if let Ok(mut output) = self.output.lock()
            && let Output::File(file) = &mut *output
        {
            let _ = file.flush();
        }
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warning",
        Level::Info => "notice",
        Level::Debug => "debug",
        Level::Trace => "trace",
    }
}

/// syslog priorities, as journald reads them from `<N>` prefixes.
fn priority(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the current time in UTC.
fn utc_timestamp() -> String {
    utc_format(time::OffsetDateTime::now_utc())
}

fn utc_format(t: time::OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // Formatting a UTC time with this description cannot fail: every
    // component exists and the year has four digits until 9999.
    t.format(FORMAT).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_log_types() {
        assert_eq!(
            parse_types(&["Connections".into(), "admin".into()]).unwrap(),
            vec!["connections", "admin"]
        );
        assert_eq!(parse_types(&["ALL".into()]).unwrap().len(), 6);
        assert!(parse_types(&["bogus".into()]).is_err());
    }

    #[test]
    fn timestamps_are_utc_iso_8601() {
        let at = |secs| utc_format(time::OffsetDateTime::from_unix_timestamp(secs).unwrap());
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(19_723 * 86_400 + 3_661), "2024-01-01T01:01:01Z");
        assert_eq!(at(20_781 * 86_400 + 86_399), "2026-11-24T23:59:59Z");
        assert_eq!(utc_timestamp().len(), "1970-01-01T00:00:00Z".len());
    }
}
