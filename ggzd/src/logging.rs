//! Logging through the `log` crate to stderr, a file or syslog.
//!
//! Records logged with one of the original's log types as their target
//! (`connections`, `security`, `update`, `tables`, `admin`, `notices`) are
//! written only when that type is enabled; every other record follows the
//! level alone. Under systemd (`JOURNAL_STREAM` set) stderr lines carry
//! `<N>` priority prefixes, which journald turns into priorities; on a
//! terminal they carry a UTC timestamp.
//!
//! The setup can be replaced while running (SIGHUP): [`prepare`] opens the
//! new output without touching the running one, [`install`] swaps it in.
//! Level and types are atomics, so checking whether a record is wanted
//! takes no lock.
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
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::config::{LogDestination, LoggingConfig, SyslogFacility};

/// The typed log targets.
pub const LOG_TYPES: [&str; 6] = [
    "notices",
    "connections",
    "security",
    "update",
    "tables",
    "admin",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stderr,
    File(PathBuf),
    Syslog { facility: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSetup {
    pub destination: Destination,
    /// Enabled log types (lower case); `all` enables every one.
    pub types: Vec<String>,
    pub level: LevelFilter,
}

/// What the configuration's `[logging]` and the command line make of the
/// log: `foreground` is `-F`, `extra_types` the types of `-l`. A daemon
/// has no stderr, so there, unless journald reads it, lines go to syslog.
pub fn setup_for(
    log: &LoggingConfig,
    foreground: bool,
    extra_types: &[String],
) -> Result<LogSetup, String> {
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let syslog = || Destination::Syslog {
        facility: facility_name(log.facility),
    };
    let destination = match log.destination {
        LogDestination::Stderr if !foreground && !journald => syslog(),
        LogDestination::Stderr => Destination::Stderr,
        LogDestination::File => Destination::File(
            log.file
                .clone()
                .ok_or("logging.destination is \"file\" but logging.file is not set")?,
        ),
        LogDestination::Syslog => syslog(),
    };
    let mut types: Vec<String> = log.types.iter().map(|t| t.name().to_string()).collect();
    types.extend(extra_types.iter().cloned());
    parse_types(&types)?;
    Ok(LogSetup {
        destination,
        types,
        level: log.level.to_level_filter(),
    })
}

fn facility_name(facility: SyslogFacility) -> String {
    format!("{facility:?}").to_ascii_lowercase()
}

enum Output {
    /// `timestamps`: stderr is a terminal, where nothing else dates lines.
    Stderr {
        journald: bool,
        timestamps: bool,
    },
    File(File),
    Syslog(Box<syslog::Logger<syslog::LoggerBackend, syslog::Formatter3164>>),
}

/// A log setup whose output is open, ready to replace the running one.
/// Opening happens first so that a setup that cannot work changes nothing.
pub struct Prepared {
    setup: LogSetup,
    types: u8,
    output: Output,
}

struct Logger {
    /// A `LevelFilter` as `usize`.
    level: AtomicUsize,
    /// Bit `i` set: `LOG_TYPES[i]` is enabled.
    types: AtomicU8,
    output: Mutex<Output>,
    /// What the output was opened from, for reopening it.
    setup: Mutex<LogSetup>,
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

fn type_bits(types: &[&str]) -> u8 {
    LOG_TYPES
        .iter()
        .enumerate()
        .filter(|(_, t)| types.contains(t))
        .fold(0, |bits, (i, _)| bits | (1 << i))
}

/// Opens the output `setup` names: the file (appending, created if
/// missing) or the syslog socket. Does not touch the running logger.
pub fn prepare(setup: &LogSetup) -> Result<Prepared, String> {
    let types = type_bits(&parse_types(&setup.types)?);
    let output = match &setup.destination {
        Destination::Stderr => Output::Stderr {
            journald: std::env::var_os("JOURNAL_STREAM").is_some(),
            // SAFETY: isatty only inspects the descriptor.
            timestamps: unsafe { libc::isatty(libc::STDERR_FILENO) } == 1,
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
            let logger = syslog::unix(formatter).map_err(|e| {
                format!(
                    "cannot reach syslog at /dev/log ({e}). Without a syslog daemon, run \
                     ggzd in the foreground (-F, logging to standard error), or log to a \
                     file: logging.destination = \"file\" and logging.file in the configuration"
                )
            })?;
            Output::Syslog(Box::new(logger))
        }
    };
    Ok(Prepared {
        setup: setup.clone(),
        types,
        output,
    })
}

pub fn init(setup: &LogSetup) -> Result<(), String> {
    let prepared = prepare(setup)?;
    let logger = Logger {
        level: AtomicUsize::new(prepared.setup.level as usize),
        types: AtomicU8::new(prepared.types),
        output: Mutex::new(prepared.output),
        setup: Mutex::new(prepared.setup),
    };
    let logger: &'static Logger = Box::leak(Box::new(logger));
    log::set_logger(logger).map_err(|e| e.to_string())?;
    let _ = LOGGER.set(logger);
    log::set_max_level(setup.level.max(LevelFilter::Info));
    Ok(())
}

/// Makes a prepared setup the running one. Lines already gathered by the
/// calling thread go to the old output first; the old file is closed.
pub fn install(prepared: Prepared) {
    let Some(logger) = LOGGER.get() else {
        return;
    };
    flush_batch();
    let Prepared {
        setup,
        types,
        output,
    } = prepared;
    let level = setup.level;
    if let Ok(mut current) = logger.output.lock() {
        if let Output::File(file) = &mut *current {
            let _ = file.flush();
        }
        *current = output;
    }
    logger.level.store(level as usize, Ordering::Relaxed);
    logger.types.store(types, Ordering::Relaxed);
    if let Ok(mut current) = logger.setup.lock() {
        *current = setup;
    }
    log::set_max_level(level.max(LevelFilter::Info));
}

/// The setup the running logger was opened from.
pub fn current_setup() -> Option<LogSetup> {
    LOGGER.get()?.setup.lock().ok().map(|s| s.clone())
}

/// Opens the running setup's output again: after logrotate renamed the
/// file, new lines go to a new file of the old name. On failure the old
/// output stays and the error is returned.
pub fn reopen() -> Result<(), String> {
    let Some(setup) = current_setup() else {
        return Ok(());
    };
    install(prepare(&setup)?);
    Ok(())
}

/// Records of this workspace's crates (`ggzd`, `ggzdmod`, `ggzd_*`).
fn ours(target: &str) -> bool {
    target.starts_with("ggzd")
}

fn level_from(value: usize) -> LevelFilter {
    LevelFilter::iter()
        .find(|l| *l as usize == value)
        .unwrap_or(LevelFilter::Info)
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
        let bits = self.types.load(Ordering::Relaxed);
        LOG_TYPES
            .iter()
            .position(|t| *t == target)
            .map(|i| bits & (1 << i) != 0)
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        match self.typed(metadata.target()) {
            Some(enabled) => enabled,
            None => {
                let level = level_from(self.level.load(Ordering::Relaxed));
                // Libraries' own debug lines (mio's registrations) would
                // drown ours; they get warnings and notices only.
                let cap = if ours(metadata.target()) {
                    level
                } else {
                    level.min(LevelFilter::Info)
                };
                metadata.level() <= cap
            }
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
                // journald dates entries itself and reads the prefix.
                Output::Stderr { journald: true, .. } => {
                    format!("<{}>{text}\n", priority(record.level()))
                }
                Output::Stderr {
                    timestamps: true, ..
                } => format!("{} ggzd: {text}\n", utc_timestamp()),
                Output::Stderr { .. } => format!("ggzd: {text}\n"),
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
    fn type_bits_follow_the_names() {
        assert_eq!(type_bits(&[]), 0);
        assert_eq!(type_bits(&["notices"]), 1);
        assert_eq!(type_bits(&["admin", "connections"]), 0b10_0010);
        assert_eq!(type_bits(&LOG_TYPES), 0b11_1111);
        assert!(ours("ggzd::server") && ours("ggzdmod::daemon"));
        assert!(!ours("mio::poll"));
        for level in LevelFilter::iter() {
            assert_eq!(level_from(level as usize), level);
        }
    }

    #[test]
    fn setups_from_the_configuration() {
        let mut log = LoggingConfig::default();
        let daemon = setup_for(&log, false, &[]).unwrap();
        if std::env::var_os("JOURNAL_STREAM").is_none() {
            assert!(matches!(daemon.destination, Destination::Syslog { .. }));
        }
        let fg = setup_for(&log, true, &["tables".into()]).unwrap();
        assert_eq!(fg.destination, Destination::Stderr);
        assert!(fg.types.contains(&"tables".to_string()));
        assert!(setup_for(&log, true, &["bogus".into()]).is_err());
        log.destination = LogDestination::File;
        assert!(setup_for(&log, true, &[]).is_err());
        log.file = Some("/tmp/x.log".into());
        assert_eq!(
            setup_for(&log, false, &[]).unwrap().destination,
            Destination::File("/tmp/x.log".into())
        );
    }

    #[test]
    fn a_file_setup_is_opened_when_prepared() {
        let dir = std::env::temp_dir().join(format!("ggzd-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let setup = |name: &str| LogSetup {
            destination: Destination::File(dir.join(name)),
            types: vec![],
            level: LevelFilter::Info,
        };
        assert!(prepare(&setup("a.log")).is_ok());
        assert!(dir.join("a.log").exists());
        let err = prepare(&setup("missing/b.log")).err().unwrap();
        assert!(err.contains("missing/b.log"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
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
