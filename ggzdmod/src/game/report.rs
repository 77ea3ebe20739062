//! Game reports, built the way libggzdmod builds them.

use crate::wire::GameResult;
use crate::wire::ReportRecord;
use crate::wire::SeatKind;

use super::DEFAULT_BOT_NAME;
use super::Error;
use super::SeatInfo;

/// A per-seat outcome for [`Game::report_results`](super::Game::report_results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatResult {
    /// The result.
    pub result: GameResult,
    /// Score for high scores (0 if the game keeps none).
    pub score: i32,
    /// Team number; `None` puts the player in a team of their own (the
    /// record index is sent, as libggzdmod does).
    pub team: Option<i32>,
}

impl SeatResult {
    /// A result with score 0 and no team.
    pub fn new(result: GameResult) -> SeatResult {
        SeatResult {
            result,
            score: 0,
            team: None,
        }
    }
}

/// Builds the records of a game report the way libggzdmod does: one per
/// seat that is Player, Bot or Abandoned, in seat order; unnamed bots are
/// called "AI"; a seat without a team gets the record index as team.
///
/// `results` is indexed by seat number and must cover every seat.
pub fn build_report(
    seats: &[SeatInfo],
    results: &[SeatResult],
) -> Result<Vec<ReportRecord>, Error> {
    if results.len() != seats.len() {
        return Err(Error::InvalidArgument(format!(
            "{} results for {} seats",
            results.len(),
            seats.len()
        )));
    }
    let mut records = Vec::new();
    for (seat, res) in seats.iter().zip(results) {
        if !matches!(
            seat.kind,
            SeatKind::Player | SeatKind::Bot | SeatKind::Abandoned
        ) {
            continue;
        }
        let name = match (&seat.name, seat.kind) {
            (Some(n), _) => n.clone(),
            (None, SeatKind::Bot) => DEFAULT_BOT_NAME.to_owned(),
            (None, _) => String::new(),
        };
        let index = i32::try_from(records.len()).unwrap_or(i32::MAX);
        records.push(ReportRecord {
            name,
            kind: seat.kind,
            team: res.team.unwrap_or(index),
            result: res.result,
            score: res.score,
        });
    }
    Ok(records)
}
