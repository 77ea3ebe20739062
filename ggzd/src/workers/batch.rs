//! Group commit of game results: a worker that takes a game report also
//! takes the reports queued right behind it and stores them all in one
//! transaction (`Store::apply_game_reports`), so a burst of finished games
//! costs one sync to disk instead of one each (docs/config-and-data.md
//! §10.7). Every report is still answered on its own, after the commit.

use std::sync::Mutex;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use super::rank_pacing::{RankPacing, RankedGame};
use crate::outage::{Deferred, Outage};
use crate::store::{MAX_BATCH, ReportWrite, Store, StoreError, Updated};
use crate::zone::{GameReportJob, Job, JobDone};

/// What a worker took from the queue in one turn.
pub(super) enum Taken {
    One(Job),
    /// Reports to store together, then the job that ended the batch (if
    /// any), to run right after them. The reports stay in the boxes they
    /// came in, which an outage hands on to `Deferred::Report` as they are.
    #[allow(clippy::vec_box)]
    Reports(Vec<Box<GameReportJob>>, Option<Job>),
}

/// `first`, and when it is a report, the reports queued behind it (up to
/// `MAX_BATCH`), never waiting. The batch ends at the first other job,
/// which is kept to run after the batch: nothing is run ahead of a job
/// queued before it, so a savegame or a statistics read queued between
/// two reports sees the same store as without batching.
pub(super) fn take(first: Job, rx: &Receiver<Job>) -> Taken {
    let Job::GameReport(report) = first else {
        return Taken::One(first);
    };
    let mut reports = vec![report];
    while reports.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(Job::GameReport(report)) => reports.push(report),
            Ok(other) => return Taken::Reports(reports, Some(other)),
            Err(_) => break,
        }
    }
    Taken::Reports(reports, None)
}

/// Stores `reports` in one transaction and gives each its result, in
/// order. A report the store refuses fails alone; when the batch as a
/// whole fails (its commit, or the database went away), every report of
/// it fails, or waits for the database like any report during an outage.
/// With `pacing` (the workers' shared one, and the time now), each game is
/// renumbered only when the pacing says so, else at once.
#[allow(clippy::vec_box)]
pub(super) fn store_reports(
    store: &mut Store,
    reports: Vec<Box<GameReportJob>>,
    outage: &Outage,
    pacing: Option<(&Mutex<RankPacing>, Instant)>,
) -> Vec<JobDone> {
    // The games this batch was to renumber: owed again if it fails.
    let mut ranking: Vec<RankedGame> = Vec::new();
    let mut rank_now = |game: &str, key: &'static str| match pacing {
        Some((p, now)) => {
            let yes = super::lock(p).decide(game, key, now);
            if yes {
                ranking.push((game.to_owned(), key));
            }
            yes
        }
        None => true,
    };
    let batch = {
        let writes: Vec<ReportWrite<'_>> = reports
            .iter()
            .map(|r| ReportWrite {
                game: &r.game,
                flags: r.flags,
                participants: &r.participants,
                savegame: &r.savegame,
                now: r.now,
            })
            .collect();
        store.apply_game_reports(&writes, &mut rank_now)
    };
    if batch.is_err()
        && let Some((p, now)) = pacing
    {
        super::lock(p).owe_again(&ranking, now);
    }
    let (mut results, failed) = match batch {
        Ok(results) => (results.into_iter(), None),
        Err(e) => {
            if !e.is_unavailable() {
                log::error!(target: "tables", "cannot store {} game report(s): {e}", reports.len());
            }
            (Vec::new().into_iter(), Some(e.is_unavailable()))
        }
    };
    reports
        .into_iter()
        .map(|report| {
            let result = match failed {
                Some(unavailable) => Err(unavailable),
                None => match results.next() {
                    Some(Ok(updated)) => Ok(updated),
                    Some(Err(e)) => {
                        report_error(&report.game, &e);
                        Err(e.is_unavailable())
                    }
                    None => Err(false),
                },
            };
            answer(report, result, outage)
        })
        .collect()
}

fn report_error(game: &str, e: &StoreError) {
    if !e.is_unavailable() {
        log::error!(target: "tables", "cannot store a {game} report: {e}");
    }
}

/// The result of one report: its updated rows, or (failed) none, after
/// holding it for later when the store is away.
fn answer(report: Box<GameReportJob>, result: Result<Updated, bool>, outage: &Outage) -> JobDone {
    let (table, game) = (report.table, report.game.clone());
    let updated = match result {
        Ok(updated) => updated,
        Err(true) if outage.health.is_some() => {
            let what = format!("a {game} report");
            super::defer(outage, Deferred::Report(report), &what);
            Vec::new()
        }
        Err(unavailable) => {
            if unavailable {
                log::error!(target: "tables", "database unavailable: a {game} report is lost");
            }
            Vec::new()
        }
    };
    JobDone::GameReport {
        table,
        game,
        updated,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::mpsc;

    use super::*;
    use crate::store::{GameResult, Participant, StatsFlags};

    /// A rated TicTacToe report: `winner` beat `loser`.
    pub(in crate::workers) fn report(table: u64, winner: &str, loser: &str) -> Job {
        let p = Participant::registered_player;
        Job::GameReport(Box::new(GameReportJob {
            table,
            game: "TicTacToe".to_owned(),
            flags: StatsFlags {
                records: true,
                ratings: true,
                highscores: false,
            },
            participants: vec![p(winner, GameResult::Win), p(loser, GameResult::Loss)],
            savegame: String::new(),
            now: 1,
        }))
    }

    #[test]
    fn a_batch_takes_queued_reports_and_stops_at_another_job() {
        let (tx, rx) = mpsc::channel();
        tx.send(report(2, "a", "b")).unwrap();
        tx.send(Job::PruneSavegames {
            dir: std::path::PathBuf::new(),
            keep: 1,
            max_age_days: 0,
            protect: Vec::new(),
        })
        .unwrap();
        tx.send(report(3, "a", "b")).unwrap();
        let Taken::Reports(reports, after) = take(report(1, "a", "b"), &rx) else {
            panic!("a report starts a batch");
        };
        let tables: Vec<u64> = reports.iter().map(|r| r.table).collect();
        assert_eq!(tables, [1, 2]);
        assert!(matches!(after, Some(Job::PruneSavegames { .. })));
        // The report behind the other job waits for the next turn.
        assert!(matches!(rx.try_recv(), Ok(Job::GameReport(r)) if r.table == 3));
    }

    #[test]
    fn a_batch_is_bounded() {
        let (tx, rx) = mpsc::channel();
        for t in 0..(MAX_BATCH as u64 + 5) {
            tx.send(report(t + 2, "a", "b")).unwrap();
        }
        let Taken::Reports(reports, after) = take(report(1, "a", "b"), &rx) else {
            panic!("a report starts a batch");
        };
        assert_eq!(reports.len(), MAX_BATCH);
        assert!(after.is_none());
        assert_eq!(rx.try_iter().count(), 5 + 1);
    }

    #[test]
    fn other_jobs_are_not_batched() {
        let (tx, rx) = mpsc::channel();
        tx.send(report(1, "a", "b")).unwrap();
        let taken = take(
            Job::EnsureBotAccounts {
                names: Vec::new(),
                now: 1,
            },
            &rx,
        );
        assert!(matches!(taken, Taken::One(Job::EnsureBotAccounts { .. })));
    }

    #[test]
    fn each_report_of_a_batch_gets_its_result() {
        let mut store = Store::open_in_memory().unwrap();
        let (tx, rx) = mpsc::channel();
        tx.send(report(2, "a", "c")).unwrap();
        tx.send(report(3, "b", "a")).unwrap();
        let Taken::Reports(reports, None) = take(report(1, "a", "b"), &rx) else {
            panic!("three reports make one batch");
        };
        let done = store_reports(&mut store, reports, &Outage::new(None), None);
        let tables: Vec<u64> = done
            .iter()
            .map(|d| match d {
                JobDone::GameReport { table, updated, .. } => {
                    assert_eq!(updated.len(), 2);
                    *table
                }
                _ => panic!("a report is answered as a report"),
            })
            .collect();
        assert_eq!(tables, [1, 2, 3]);
        let a = store.player_stats("a", "TicTacToe").unwrap();
        assert_eq!((a.wins, a.losses), (2, 1));
    }
}
