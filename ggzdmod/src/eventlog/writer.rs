//! The writer: one file, one line per event, each written whole and at once
//! (or, when buffered, several whole lines at once).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{
    CHECK_BYTES, DEFAULT_MAX_BYTES, DEFAULT_MAX_EVENTS, Event, FILE_PREFIX, Freshness,
    MAX_EVENT_DATA, MAX_GAME_LEN, chain_next, chain_start, check_version, header_line, hex,
    valid_kind,
};

/// An open event log being written.
///
/// Every [`append`](EventLog::append) writes one whole line with a single
/// `write` on an unbuffered file, so the file on disk is always the log up
/// to the last event (or, if the process dies inside that one write, up to
/// a truncated last line, which [`parse`](super::parse) reports as corrupt
/// rather than misreading). Nothing is synced to disk: the log must
/// survive the game server, not the machine.
///
/// A game that appends many small events (a lockstep relay: one per turn)
/// may trade that for fewer writes with [`set_buffer`](EventLog::set_buffer):
/// whole lines are then held in memory and written together, and a game
/// server that dies loses the lines it held (docs/event-log.md §3.1).
#[derive(Debug)]
pub struct EventLog {
    file: File,
    path: PathBuf,
    name: String,
    game: String,
    chain: [u8; CHECK_BYTES],
    seq: u64,
    bytes: u64,
    max_events: u64,
    max_bytes: u64,
    finished: bool,
    /// A write failed: what is on disk is unknown, so nothing more is
    /// appended.
    broken: bool,
    /// Whole lines not written yet (empty when unbuffered).
    held: Vec<u8>,
    /// When the oldest held line was appended.
    held_since: Option<Instant>,
    /// Held bytes that make [`append`](EventLog::append) write; 0:
    /// unbuffered.
    buffer_bytes: usize,
    /// Held lines older than this are written by the next append.
    buffer_age: Duration,
}

impl EventLog {
    /// Creates `events.XXXXXX` in `dir` (never overwriting a file) and
    /// writes its first line for `game`. The file is a spare ggzd's
    /// retention set aside when one can be claimed ([`crate::spare`]), and
    /// stays held against reuse while this log is open.
    pub fn create(dir: impl AsRef<Path>, game: &str) -> io::Result<EventLog> {
        if game.is_empty() || game.len() > MAX_GAME_LEN {
            return Err(invalid(format!(
                "game name of {} bytes (1..{MAX_GAME_LEN})",
                game.len()
            )));
        }
        let (file, name) = crate::spare::claim_or_create(dir.as_ref(), FILE_PREFIX)?;
        let header = header_line(game);
        let mut log = EventLog {
            file,
            path: dir.as_ref().join(&name),
            name,
            game: game.to_owned(),
            chain: chain_start(&header),
            seq: 0,
            bytes: 0,
            max_events: DEFAULT_MAX_EVENTS,
            max_bytes: DEFAULT_MAX_BYTES,
            finished: false,
            broken: false,
            held: Vec::new(),
            held_since: None,
            buffer_bytes: 0,
            buffer_age: Duration::ZERO,
        };
        log.write_line(&header, true)?;
        Ok(log)
    }

    /// Creates a new log (as [`create`](EventLog::create)) that starts with
    /// `events`, copied with their kinds, data and times: the log of a
    /// restored game, which then goes on from where the old one stopped.
    /// The events must be numbered 1, 2, 3… (as [`parse`](super::parse)
    /// returns them).
    pub fn create_from(
        dir: impl AsRef<Path>,
        game: &str,
        events: &[Event],
    ) -> io::Result<EventLog> {
        let mut log = EventLog::create(dir, game)?;
        for event in events {
            if event.seq != log.seq.saturating_add(1) {
                return Err(invalid(format!(
                    "restored event {} out of sequence after {}",
                    event.seq, log.seq
                )));
            }
            log.append_at(&event.kind, &event.data, event.time_ms)?;
        }
        Ok(log)
    }

    /// Bounds this log: appending more than `max_events` events, or growing
    /// the file past `max_bytes`, fails with `FileTooLarge` (the defaults
    /// are [`DEFAULT_MAX_EVENTS`] and [`DEFAULT_MAX_BYTES`]).
    pub fn set_limits(&mut self, max_events: u64, max_bytes: u64) {
        self.max_events = max_events;
        self.max_bytes = max_bytes;
    }

    /// Holds appended lines in memory and writes them together, with one
    /// `write`, once they reach `bytes` or the oldest is `max_age` old (as
    /// seen by the next append), and on [`flush`](EventLog::flush),
    /// [`finish`](EventLog::finish) and drop. `bytes == 0` writes every
    /// line at once again (the default). Lines are only ever written
    /// whole, so a game server that dies leaves a log cut at a line
    /// boundary, missing at most the lines it held (docs/event-log.md
    /// §3.1). The header line is always written at once.
    pub fn set_buffer(&mut self, bytes: usize, max_age: Duration) -> io::Result<()> {
        self.buffer_bytes = bytes;
        self.buffer_age = max_age;
        if bytes == 0 {
            return self.flush();
        }
        Ok(())
    }

    /// Writes the lines held by [`set_buffer`](EventLog::set_buffer) now.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        if self.broken {
            return Err(io::Error::other("an earlier write to the event log failed"));
        }
        self.held_since = None;
        let result = self.file.write_all(&self.held);
        self.held.clear();
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// Bytes appended but not written yet.
    pub fn held_bytes(&self) -> usize {
        self.held.len()
    }

    /// Appends one event with the current time and returns its sequence
    /// number, the new [`version`](EventLog::version). Unbuffered (the
    /// default), the line is on disk (in the kernel's hands) when this
    /// returns; see [`set_buffer`](EventLog::set_buffer) otherwise.
    ///
    /// Fails without writing for an invalid kind (`[a-z][a-z0-9_-]*`, at
    /// most 32 bytes), data over [`MAX_EVENT_DATA`], a finished log or one
    /// past its limits; after a failed write the log refuses every further
    /// event.
    pub fn append(&mut self, kind: &str, data: &[u8]) -> io::Result<u64> {
        self.append_at(kind, data, now_ms())
    }

    fn append_at(&mut self, kind: &str, data: &[u8], time_ms: u64) -> io::Result<u64> {
        if !valid_kind(kind) {
            return Err(invalid(format!("invalid event kind {kind:?}")));
        }
        if data.len() > MAX_EVENT_DATA {
            return Err(invalid(format!(
                "event data of {} bytes (at most {MAX_EVENT_DATA})",
                data.len()
            )));
        }
        if self.finished {
            return Err(invalid("the event log is finished".to_owned()));
        }
        if self.seq >= self.max_events {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "the event log holds its limit of {} events",
                    self.max_events
                ),
            ));
        }
        let seq = self.seq.saturating_add(1);
        let data_hex = if data.is_empty() {
            "-".to_owned()
        } else {
            hex(data)
        };
        let text = format!("{seq} {time_ms} {kind} {data_hex}");
        let check = chain_next(&self.chain, &text);
        self.write_line(&format!("{text} {}", hex(&check)), true)?;
        self.chain = check;
        self.seq = seq;
        Ok(seq)
    }

    /// Writes the end line: the game is over and nothing follows. A log
    /// without it reads back as [`complete`](super::ParsedLog::complete)
    /// `false`. Finishing twice does nothing.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        let text = format!("end {}", self.seq);
        let check = chain_next(&self.chain, &text);
        // Beyond the byte bound if need be: a few dozen bytes that tell
        // the reader the game closed the log. Written with what is held.
        self.buffer_bytes = 0;
        self.write_line(&format!("{text} {}", hex(&check)), false)?;
        self.chain = check;
        self.finished = true;
        Ok(())
    }

    /// The file's name (no directory): what is reported to ggzd.
    pub fn file_name(&self) -> &str {
        &self.name
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The game name of the first line.
    pub fn game(&self) -> &str {
        &self.game
    }

    /// The state version: the sequence number of the last event (0 before
    /// the first).
    pub fn version(&self) -> u64 {
        self.seq
    }

    /// Whether the end line has been written.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Checks a move that quotes state version `quoted` against this log:
    /// only the current version is accepted ([`check_version`] with no
    /// window ahead).
    pub fn check_move(&self, quoted: u64) -> Freshness {
        check_version(self.seq, 0, quoted)
    }

    fn write_line(&mut self, text: &str, bounded: bool) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::other("an earlier write to the event log failed"));
        }
        let len = u64::try_from(text.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        if bounded && self.bytes.saturating_add(len) > self.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("the event log would pass {} bytes", self.max_bytes),
            ));
        }
        self.held.extend_from_slice(text.as_bytes());
        self.held.push(b'\n');
        self.bytes = self.bytes.saturating_add(len);
        if self.held.len() >= self.buffer_bytes {
            return self.flush();
        }
        let now = Instant::now();
        let since = *self.held_since.get_or_insert(now);
        if now.saturating_duration_since(since) >= self.buffer_age {
            return self.flush();
        }
        Ok(())
    }
}

impl Drop for EventLog {
    /// A log dropped while open (the game server is ending without
    /// finishing it) still gets every line appended so far.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
