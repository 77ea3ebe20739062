//! What a game report does to the stats rows, apart from any database: both
//! backends read the rows, hand them here, and write them back, so records,
//! ratings and high scores follow one rule (docs/config-and-data.md §10.2-§10.6).

use super::rating;
use super::{GameResult, Participant, ParticipantKind, StatsFlags, StatsRecord};

/// One game report to store (see `Store::apply_game_reports`).
#[derive(Debug, Clone, Copy)]
pub struct ReportWrite<'a> {
    pub game: &'a str,
    pub flags: StatsFlags,
    pub participants: &'a [Participant],
    /// The savegame the report closes, or empty.
    pub savegame: &'a str,
    pub now: i64,
}

/// What a stored report changed: each participant's stats key and updated
/// row, in participant order.
pub type Updated = Vec<(String, StatsRecord)>;

/// A report written but not yet ranked: its stats keys and rows as the
/// report left them, or `None` for a game that keeps no statistics.
pub(crate) type Written = Option<(Vec<String>, Vec<StatsRecord>)>;

/// The games a batch may rank again, each once with its ranking order:
/// renumbering sorts every row of the game, so it runs after the batch's
/// last report rather than after each, and only when the caller's pacing
/// says so (docs/config-and-data.md §10.7).
pub(crate) fn games_to_rank<'a, E>(
    reports: &[ReportWrite<'a>],
    written: &[Result<Written, E>],
) -> Vec<(&'a str, &'static str)> {
    let mut games: Vec<(&str, &'static str)> = reports
        .iter()
        .zip(written)
        .filter(|(_, w)| matches!(w, Ok(Some(_))))
        .map(|(r, _)| (r.game, r.flags.ranking_key()))
        .collect();
    games.sort_unstable();
    games.dedup();
    games
}

/// Each report's answer once the batch's games are ranked: its rows as the
/// report computed them (a later report of the batch may have moved the
/// player on), with the stored position, read by `stored(key, game)`: the
/// batch's own renumbering, or, when the game's renumbering was put off,
/// the last one (at most one pacing interval old, docs/config-and-data.md
/// §10.7).
pub(crate) fn answers(
    reports: &[ReportWrite<'_>],
    written: Vec<Result<Written, super::StoreError>>,
    mut stored: impl FnMut(&str, &str) -> Result<Option<StatsRecord>, super::StoreError>,
) -> Result<Vec<Result<Updated, super::StoreError>>, super::StoreError> {
    let mut out = Vec::with_capacity(written.len());
    for (w, r) in written.into_iter().zip(reports) {
        out.push(match w {
            Err(e) => Err(e),
            Ok(None) => Ok(Vec::new()),
            Ok(Some((keys, rows))) => {
                let mut updated = Vec::with_capacity(keys.len());
                for (key, mut row) in keys.into_iter().zip(rows) {
                    if !key.is_empty()
                        && let Some(now) = stored(&key, r.game)?
                    {
                        row.ranking = now.ranking;
                    }
                    updated.push((key, row));
                }
                Ok(updated)
            }
        });
    }
    Ok(out)
}

/// The orders `StatsFlags::ranking_key` gives: the only expressions a
/// renumbering may sort by (they are pasted into its SQL).
const RANKING_KEYS: [&str; 3] = ["highscore", "rating", "wins - losses"];

/// Refuses a ranking order that is not one of [`RANKING_KEYS`].
pub(crate) fn check_ranking_keys(
    games: &[(String, &'static str)],
) -> Result<(), super::StoreError> {
    match games.iter().find(|(_, key)| !RANKING_KEYS.contains(key)) {
        Some((game, key)) => Err(super::StoreError::Corrupt(format!(
            "no such ranking order for {game}: {key}"
        ))),
        None => Ok(()),
    }
}

/// At most this many reports go into one transaction, so one batch holds
/// the write lock (SQLite) or its game locks (PostgreSQL) only briefly.
pub const MAX_BATCH: usize = 64;

/// The one result of a batch of one.
pub(crate) fn only(
    mut results: Vec<Result<Updated, super::StoreError>>,
) -> Result<Updated, super::StoreError> {
    results.pop().unwrap_or_else(|| {
        Err(super::StoreError::Corrupt(
            "a report batch gave no result".into(),
        ))
    })
}

/// The stats key of each participant, in participant order. A bot named
/// `AI` is keyed `<index>|AI` (its 0-based position), so several anonymous
/// bots keep separate rows; everyone else goes by their name.
pub(crate) fn stats_keys(participants: &[Participant]) -> Vec<String> {
    participants
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.seat_type == ParticipantKind::Bot && p.name == "AI" {
                format!("{i}|AI")
            } else {
                p.name.clone()
            }
        })
        .collect()
}

/// Each participant's row after the report: its stored row (`stored(key)`,
/// a fresh one if none) with the results applied.
pub(crate) fn rows_after(
    flags: StatsFlags,
    participants: &[Participant],
    keys: &[String],
    mut stored: impl FnMut(&str) -> Result<Option<StatsRecord>, super::StoreError>,
) -> Result<Vec<StatsRecord>, super::StoreError> {
    let mut rows = Vec::with_capacity(keys.len());
    for key in keys {
        rows.push(stored(key)?.unwrap_or_default());
    }
    apply_results(flags, participants, &mut rows);
    Ok(rows)
}

/// Applies the results to `rows` (one per participant, same order) as the
/// game's flags say.
pub(crate) fn apply_results(
    flags: StatsFlags,
    participants: &[Participant],
    rows: &mut [StatsRecord],
) {
    if flags.records {
        for (row, p) in rows.iter_mut().zip(participants) {
            let counter = match p.result {
                GameResult::Win => &mut row.wins,
                GameResult::Loss => &mut row.losses,
                GameResult::Tie => &mut row.ties,
                GameResult::Forfeit => &mut row.forfeits,
                GameResult::None => continue,
            };
            *counter = counter.saturating_add(1);
        }
    }
    if flags.ratings {
        let rated: Vec<rating::Rated> = rows
            .iter()
            .zip(participants)
            .map(|(row, p)| rating::Rated {
                rating: row.rating,
                team: p.team,
                result: p.result,
            })
            .collect();
        for (row, new) in rows.iter_mut().zip(rating::rate(&rated)) {
            if new.is_finite() {
                row.rating = new;
            }
        }
    }
    if flags.highscores {
        for (row, p) in rows.iter_mut().zip(participants) {
            row.highscore = row.highscore.max(p.score);
        }
    }
}

/// The key of the one winner, or empty when nobody or several won.
pub(crate) fn single_winner<'a>(participants: &[Participant], keys: &'a [String]) -> &'a str {
    let mut winners = participants
        .iter()
        .zip(keys)
        .filter(|(p, _)| p.result == GameResult::Win);
    match (winners.next(), winners.next()) {
        (Some((_, key)), None) => key.as_str(),
        _ => "",
    }
}
