//! An owed renumbering is done by the idle worker once it is due, with no
//! job to wake it. The workers read a test clock here, frozen until the
//! test moves it on, so what is owed and when does not hang on the
//! machine's speed.

use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::batch::tests::report;
use super::rank_pacing::RankPacing;
use super::{Shared, lock, work};
use crate::auth::HashParams;
use crate::outage::Outage;
use crate::store::Store;
use crate::zone::{Job, JobDone};

static NOW: Mutex<Option<Instant>> = Mutex::new(None);

fn test_clock() -> Instant {
    lock(&NOW).unwrap_or_else(Instant::now)
}

const GENEROUS: Duration = Duration::from_secs(30);

/// The ranking of `handle` in one report's answer.
fn answered_ranking(done: &JobDone, handle: &str) -> u32 {
    let JobDone::GameReport { updated, .. } = done else {
        panic!("a report is answered as a report");
    };
    updated
        .iter()
        .find(|(key, _)| key == handle)
        .map(|(_, row)| row.ranking)
        .expect("the player's row")
}

#[test]
fn an_idle_worker_renumbers_an_owed_game_without_another_job() {
    let dir = std::env::temp_dir().join(format!("ggzd-rank-owed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir).unwrap();
    let reader = Store::open(&dir).unwrap();
    let poll = mio::Poll::new().unwrap();
    let waker = Arc::new(mio::Waker::new(poll.registry(), mio::Token(0)).unwrap());
    let t0 = Instant::now();
    *lock(&NOW) = Some(t0);
    let interval = Duration::from_millis(50);

    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let (done_tx, done_rx) = mpsc::channel::<JobDone>();
    let shared = Shared {
        done: done_tx,
        waker,
        wake_pending: Arc::new(AtomicBool::new(false)),
        outage: Arc::new(Outage::new(None)),
        ranks: Arc::new(Mutex::new(RankPacing::new(interval))),
        clock: test_clock,
    };
    let job_rx = Mutex::new(job_rx);
    let worker = std::thread::spawn(move || {
        work(store, HashParams::default(), &job_rx, &shared);
    });

    // The first report of a quiet game is ranked at once.
    job_tx.send(report(1, "a", "b")).unwrap();
    let first = done_rx.recv_timeout(GENEROUS).unwrap();
    assert_eq!(answered_ranking(&first, "a"), 1);
    // The second, in the same instant, is owed: ratings move, positions
    // do not (the answer carries the stored one).
    job_tx.send(report(2, "b", "a")).unwrap();
    job_tx.send(report(3, "b", "a")).unwrap();
    for _ in 0..2 {
        let done = done_rx.recv_timeout(GENEROUS).unwrap();
        assert_eq!(answered_ranking(&done, "b"), 2);
    }
    let (a, b) = (
        reader.player_stats("a", "TicTacToe").unwrap(),
        reader.player_stats("b", "TicTacToe").unwrap(),
    );
    assert!(b.rating > a.rating);
    assert_eq!((a.ranking, b.ranking), (1, 2));

    // Time moves past the interval; no job is sent.
    *lock(&NOW) = Some(t0 + interval);
    let deadline = Instant::now() + GENEROUS;
    let order = loop {
        let order: Vec<String> = reader
            .rankings("TicTacToe", 10)
            .unwrap()
            .into_iter()
            .map(|(_, h, _)| h)
            .collect();
        if order[0] == "b" || Instant::now() > deadline {
            break order;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(order, ["b", "a"], "the owed renumbering was done");

    drop(job_tx);
    worker.join().unwrap();
    assert!(done_rx.try_recv().is_err(), "nothing else was answered");
    let _ = std::fs::remove_dir_all(&dir);
}
