//! Played games kept for replays and restore (docs/replays.md): the game,
//! its seats with their results, and the table's event log, sealed.
//!
//! The log bytes are stored as the game server wrote them, with an
//! HMAC-SHA256 seal over the row (id, game, end, status, seats, log) keyed
//! by a zone secret that lives in the database itself: generated once by
//! whichever ggzd or ggzduedit needs it first, then shared by every node
//! on the same database. A row edited outside ggzd — a log rewritten with
//! a valid chain, a seat renamed — then no longer matches its seal.
//!
//! [`Store::load_replay`] tells three failures apart: the log's envelope
//! does not parse ("corrupt: …", damage), it parses but the seal does not
//! match ("forged", deliberate), or there is no such game. The store reads
//! only the envelope (`ggzdmod::eventlog`), never a game's moves.
//!
//! Both backends implement the row access (`sqlite_replays.rs`,
//! `pg/replays.rs`); sealing, verifying and parsing are here, once.

use std::fmt;

use ggzdmod::eventlog::{self, LogError, ParsedLog};
use hmac::{KeyInit, Mac};

use super::{Store, StoreError};

/// Bytes of the zone secret.
pub const SECRET_BYTES: usize = 32;

/// Events a stored log may hold when it is loaded (a log of
/// `[replays] max_log_bytes` has far fewer: every line is longer than
/// eight bytes).
pub const MAX_REPLAY_EVENTS: usize = 1 << 20;

/// The `name` of the seal key's row in `zone_secrets`.
pub(crate) const SEAL_SECRET: &str = "replay-seal";

/// How a stored game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayedStatus {
    /// The game server reported a result.
    Finished,
    /// The table ended without a report (its game server crashed or was
    /// stopped): restorable from its log.
    Unfinished,
}

impl PlayedStatus {
    /// The wire and database word.
    pub fn as_str(self) -> &'static str {
        match self {
            PlayedStatus::Finished => "finished",
            PlayedStatus::Unfinished => "unfinished",
        }
    }

    /// From the database word.
    pub fn parse(s: &str) -> Option<PlayedStatus> {
        match s {
            "finished" => Some(PlayedStatus::Finished),
            "unfinished" => Some(PlayedStatus::Unfinished),
            _ => None,
        }
    }
}

/// Who sat in a seat of a played game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayedSeatKind {
    /// A registered player.
    Player,
    /// A guest.
    Guest,
    /// A bot.
    Bot,
}

impl PlayedSeatKind {
    /// The wire and database word.
    pub fn as_str(self) -> &'static str {
        match self {
            PlayedSeatKind::Player => "player",
            PlayedSeatKind::Guest => "guest",
            PlayedSeatKind::Bot => "bot",
        }
    }

    /// From the database word.
    pub fn parse(s: &str) -> Option<PlayedSeatKind> {
        match s {
            "player" => Some(PlayedSeatKind::Player),
            "guest" => Some(PlayedSeatKind::Guest),
            "bot" => Some(PlayedSeatKind::Bot),
            _ => None,
        }
    }
}

/// A seat's result in a played game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatResult {
    /// Won.
    Win,
    /// Lost.
    Loss,
    /// Tied.
    Tie,
    /// Forfeited.
    Forfeit,
    /// No result (unfinished games, or none reported).
    None,
}

impl SeatResult {
    /// The wire and database word.
    pub fn as_str(self) -> &'static str {
        match self {
            SeatResult::Win => "win",
            SeatResult::Loss => "loss",
            SeatResult::Tie => "tie",
            SeatResult::Forfeit => "forfeit",
            SeatResult::None => "none",
        }
    }

    /// From the database word.
    pub fn parse(s: &str) -> Option<SeatResult> {
        match s {
            "win" => Some(SeatResult::Win),
            "loss" => Some(SeatResult::Loss),
            "tie" => Some(SeatResult::Tie),
            "forfeit" => Some(SeatResult::Forfeit),
            "none" => Some(SeatResult::None),
            _ => None,
        }
    }
}

/// One seat of a played game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayedSeat {
    /// Seat number at the table.
    pub seat: u32,
    /// The name as players saw it (a player's handle, a bot's name). The
    /// store also keeps its canonical form, to list a player's games.
    pub name: String,
    /// Player, guest or bot.
    pub kind: PlayedSeatKind,
    /// The seat's result.
    pub result: SeatResult,
}

/// A game to record, for [`Store::record_played`].
#[derive(Debug, Clone, Copy)]
pub struct NewPlayed<'a> {
    /// The game's name (its description's).
    pub game: &'a str,
    /// When the table's game ended (Unix seconds).
    pub ended: i64,
    /// Finished (reported) or unfinished.
    pub status: PlayedStatus,
    /// Events in the log (the recorder parsed its envelope).
    pub events: u64,
    /// The seats, in seat order.
    pub seats: &'a [PlayedSeat],
    /// The event log as the game server wrote it.
    pub log: &'a [u8],
}

/// A played game as listed (no log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayedSummary {
    /// The game's id (ascending with recording order).
    pub id: i64,
    /// The game's name.
    pub game: String,
    /// When it ended (Unix seconds).
    pub ended: i64,
    /// Finished or unfinished.
    pub status: PlayedStatus,
    /// Events in its log.
    pub events: u64,
    /// Its seats, in seat order.
    pub seats: Vec<PlayedSeat>,
}

/// A stored game with its log and seal, as read (before verification).
pub(crate) type StoredPlayed = super::dump::PlayedRecord;

/// The zone secrets and played games of a store, for copying.
pub(crate) type PlayedDump = (Vec<(String, Vec<u8>)>, Vec<StoredPlayed>);

/// A verified played game, for a replay, a restore or an export.
#[derive(Debug, Clone)]
pub struct Replay {
    /// Its row.
    pub summary: PlayedSummary,
    /// The parsed log.
    pub log: ParsedLog,
    /// The log bytes (what a restore hands the game server).
    pub raw: Vec<u8>,
}

/// Why a played game cannot be loaded.
#[derive(Debug)]
pub enum ReplayError {
    /// No game with that id (never stored, or pruned).
    UnknownId,
    /// The stored log does not parse: damage, not a forgery.
    Corrupt(String),
    /// The row parses but does not match its seal: it was changed outside
    /// ggzd.
    Forged,
    /// The database failed.
    Store(StoreError),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::UnknownId => f.write_str("unknown id"),
            ReplayError::Corrupt(why) => write!(f, "corrupt: {why}"),
            ReplayError::Forged => f.write_str("forged"),
            ReplayError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReplayError {}

impl From<StoreError> for ReplayError {
    fn from(e: StoreError) -> Self {
        ReplayError::Store(e)
    }
}

/// Retention of played games (`[replays] keep` and `max_age`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Keep at most this many games (newest); 0 = no count limit.
    pub keep: u64,
    /// Remove games that ended before this Unix time; `None` = no age limit.
    pub ended_before: Option<i64>,
    /// Remove at most this many in one call, so one prune never holds the
    /// database's write lock for long; the next prune goes on.
    pub batch: u64,
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Feeds `bytes` with its length first, so field boundaries are part of
/// what is sealed ("ab"+"c" never seals like "a"+"bc").
fn feed(mac: &mut HmacSha256, bytes: &[u8]) {
    mac.update(&(bytes.len() as u64).to_be_bytes());
    mac.update(bytes);
}

fn sealer(secret: &[u8], id: i64, new: &NewPlayed<'_>) -> Result<HmacSha256, StoreError> {
    let mut mac = HmacSha256::new_from_slice(secret)
        .map_err(|e| StoreError::Corrupt(format!("zone secret: {e}")))?;
    mac.update(b"ggzd played game 1\0");
    mac.update(&id.to_be_bytes());
    feed(&mut mac, new.game.as_bytes());
    mac.update(&new.ended.to_be_bytes());
    feed(&mut mac, new.status.as_str().as_bytes());
    mac.update(&new.events.to_be_bytes());
    mac.update(&(new.seats.len() as u64).to_be_bytes());
    for s in new.seats {
        mac.update(&s.seat.to_be_bytes());
        feed(&mut mac, s.name.as_bytes());
        feed(&mut mac, s.kind.as_str().as_bytes());
        feed(&mut mac, s.result.as_str().as_bytes());
    }
    feed(&mut mac, new.log);
    Ok(mac)
}

/// The seal of row `id` holding `new`.
pub(crate) fn seal(secret: &[u8], id: i64, new: &NewPlayed<'_>) -> Result<Vec<u8>, StoreError> {
    Ok(sealer(secret, id, new)?.finalize().into_bytes().to_vec())
}

/// Whether `stored` matches its seal (compared in constant time).
fn seal_matches(secret: &[u8], stored: &StoredPlayed) -> Result<bool, StoreError> {
    let s = &stored.summary;
    let new = NewPlayed {
        game: &s.game,
        ended: s.ended,
        status: s.status,
        events: s.events,
        seats: &s.seats,
        log: &stored.log,
    };
    Ok(sealer(secret, s.id, &new)?
        .verify_slice(&stored.seal)
        .is_ok())
}

/// A fresh zone secret from the kernel's CSPRNG.
pub(crate) fn new_secret() -> Result<[u8; SECRET_BYTES], StoreError> {
    let mut secret = [0u8; SECRET_BYTES];
    crate::random::fill(&mut secret)
        .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    Ok(secret)
}

/// A database word that must be one of ours.
pub(crate) fn word<T>(parse: fn(&str) -> Option<T>, s: &str, what: &str) -> Result<T, StoreError> {
    parse(s).ok_or_else(|| StoreError::Corrupt(format!("played game {what} '{s}'")))
}

/// Parses the envelope of a stored log, refusing a log of another game.
fn parse_stored(stored: &StoredPlayed) -> Result<ParsedLog, ReplayError> {
    let parsed = eventlog::parse(&stored.log, MAX_REPLAY_EVENTS).map_err(|e| match e {
        LogError::NotALog => ReplayError::Corrupt("not an event log".into()),
        other => ReplayError::Corrupt(other.to_string()),
    })?;
    Ok(parsed)
}

macro_rules! each_backend {
    ($self:ident, $s:ident => $call:expr) => {
        match &$self.backend {
            super::Backend::Sqlite($s) => $call,
            super::Backend::Postgres($s) => $call,
        }
    };
    (mut $self:ident, $s:ident => $call:expr) => {
        match &mut $self.backend {
            super::Backend::Sqlite($s) => $call,
            super::Backend::Postgres($s) => $call,
        }
    };
}

impl Store {
    /// Stores a played game with its sealed log; returns its id, after
    /// commit. The seats' names are listed under their canonical form.
    pub fn record_played(&mut self, new: &NewPlayed<'_>) -> Result<i64, StoreError> {
        each_backend!(mut self, s => s.record_played(new))
    }

    /// Played games newest first, at most `max`: those with a seat of
    /// `player` (any name form), or all with `None`.
    pub fn list_played(
        &self,
        player: Option<&str>,
        max: usize,
    ) -> Result<Vec<PlayedSummary>, StoreError> {
        let handle = player.map(crate::config::canonical_name);
        each_backend!(self, s => s.list_played(handle.as_deref(), max))
    }

    /// A played game with its log, verified: "corrupt: …" when the log
    /// does not parse, "forged" when it does not match its seal.
    pub fn load_replay(&self, id: i64) -> Result<Replay, ReplayError> {
        let Some(stored) = each_backend!(self, s => s.played(id))? else {
            return Err(ReplayError::UnknownId);
        };
        // Damage first: a log that does not parse is reported as corrupt
        // even though its seal cannot match either.
        let log = parse_stored(&stored)?;
        let secret = each_backend!(self, s => s.zone_secret(SEAL_SECRET))?;
        if !seal_matches(&secret, &stored)? {
            return Err(ReplayError::Forged);
        }
        Ok(Replay {
            summary: stored.summary,
            log,
            raw: stored.log,
        })
    }

    /// Removes played games beyond the retention limits, oldest first, at
    /// most `retention.batch`; returns how many went.
    pub fn prune_played(&mut self, retention: &Retention) -> Result<u64, StoreError> {
        if retention.keep == 0 && retention.ended_before.is_none() {
            return Ok(0);
        }
        each_backend!(mut self, s => s.prune_played(retention))
    }

    /// How many played games are stored.
    pub fn played_count(&self) -> Result<u64, StoreError> {
        each_backend!(self, s => s.played_count())
    }

    /// The replay seal's key (tests: made once, then shared).
    #[cfg(test)]
    pub(crate) fn zone_secret_for_tests(&self) -> [u8; SECRET_BYTES] {
        each_backend!(self, s => s.zone_secret(SEAL_SECRET)).unwrap_or_default()
    }
}
