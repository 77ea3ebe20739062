//! Played games in the zone (docs/replays.md): what is recorded when, the
//! pacing of retention, and the `replays` extension's requests.

use ggzdmod::wire::{GameResult, ReportRecord, ToServer};

use super::rejoin::world;
use super::*;
use crate::proto::types::{LeaveReason, SeatKind};
use crate::replays::{ReplaysDone, ReplaysJob, SeatSpec};
use crate::store::{PlayedStatus, SeatResult};

fn record_jobs(w: &mut World) -> Vec<crate::replays::RecordJob> {
    let jobs = std::mem::take(&mut w.sink.jobs);
    let (mine, rest): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .partition(|j| matches!(j, Job::Replays(ReplaysJob::Record(_))));
    w.sink.jobs = rest;
    mine.into_iter()
        .filter_map(|j| match j {
            Job::Replays(ReplaysJob::Record(r)) => Some(*r),
            _ => None,
        })
        .collect()
}

fn report(w: &mut World, serial: TableSerial) {
    let rec = |name: &str, result| ReportRecord {
        name: name.into(),
        kind: SeatKind::Player,
        team: -1,
        result,
        score: 0,
    };
    w.game(
        serial,
        ToServer::Report(vec![
            rec("ann", GameResult::Loss),
            rec("bob", GameResult::Win),
        ]),
    );
}

#[test]
fn a_reported_log_is_recorded_once_as_finished() {
    let mut w = world();
    let (_, _, serial) = w.playing();
    // No savegame yet: nothing to record.
    report(&mut w, serial);
    assert!(record_jobs(&mut w).is_empty());
    w.game(serial, ToServer::SavegameReport("events.abc123".into()));
    report(&mut w, serial);
    let jobs = record_jobs(&mut w);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.savegame, "events.abc123");
    assert_eq!(job.status, PlayedStatus::Finished);
    assert_eq!(job.game, "TicTacToe");
    assert!(job.dir.ends_with("TicTacToe"));
    assert_eq!(
        job.seats,
        [
            SeatSpec {
                seat: 0,
                name: "ann".into(),
                bot: false,
                result: SeatResult::Loss
            },
            SeatSpec {
                seat: 1,
                name: "bob".into(),
                bot: false,
                result: SeatResult::Win
            },
        ]
    );
    // The same log again, or the table's end: not recorded twice.
    report(&mut w, serial);
    w.zone
        .end_table(serial, LeaveReason::GameOver, w.now, &mut w.sink);
    assert!(record_jobs(&mut w).is_empty());
}

#[test]
fn a_table_ending_without_a_report_leaves_an_unfinished_game() {
    let mut w = world();
    let (_, _, serial) = w.playing();
    w.game(serial, ToServer::SavegameReport("events.first1".into()));
    report(&mut w, serial);
    assert_eq!(record_jobs(&mut w).len(), 1);
    // A rematch's log, then the game server dies.
    w.game(serial, ToServer::SavegameReport("events.second".into()));
    w.zone
        .end_table(serial, LeaveReason::GameError, w.now, &mut w.sink);
    let jobs = record_jobs(&mut w);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].savegame, "events.second");
    assert_eq!(jobs[0].status, PlayedStatus::Unfinished);
    assert!(jobs[0].seats.iter().all(|s| s.result == SeatResult::None));
}

#[test]
fn pruning_follows_stored_games_paced() {
    let mut w = world();
    let prunes = |w: &mut World| {
        let n = w
            .sink
            .jobs
            .iter()
            .filter(|j| matches!(j, Job::Replays(ReplaysJob::Prune(_))))
            .count();
        w.sink.jobs.clear();
        n
    };
    let stored = ReplaysDone::Recorded { stored: true };
    w.zone.on_replays_done(stored, w.now, &mut w.sink);
    assert_eq!(prunes(&mut w), 1);
    // Inside the interval: one timer, then nothing more until it fires.
    for _ in 0..3 {
        let stored = ReplaysDone::Recorded { stored: true };
        w.zone.on_replays_done(stored, w.now, &mut w.sink);
    }
    assert_eq!(prunes(&mut w), 0);
    let timers: Vec<_> = w
        .sink
        .timers
        .iter()
        .filter(|(_, k)| k.kind == TimerKind::PrunePlayed)
        .copied()
        .collect();
    assert_eq!(timers.len(), 1);
    let (at, key) = timers[0];
    w.zone.on_timer(key, at, at, &mut w.sink);
    assert_eq!(prunes(&mut w), 1);
    // A game not stored prunes nothing.
    let later = at + Duration::from_secs(60);
    let none = ReplaysDone::Recorded { stored: false };
    w.zone.on_replays_done(none, later, &mut w.sink);
    assert_eq!(prunes(&mut w), 0);
}

#[test]
fn list_and_replay_need_the_extension_and_go_one_at_a_time() {
    let mut w = world();
    let ann = w.guest_in("ann", 1);
    w.send(ann, "<LIST TYPE='played'/>");
    w.send(ann, "<REPLAY ID='1'/>");
    assert_eq!(
        w.sink.take(ann),
        ["<RESULT ACTION='protocol' CODE='bad options'/>\n"]
    );
    assert!(w.sink.jobs.is_empty());
    w.send(ann, "<EXTENSIONS NAMES='replays'/>");
    assert_eq!(w.sink.take(ann), ["<EXTENSIONS NAMES='replays'/>\n"]);
    w.send(ann, "<LIST TYPE='played' MAX='500'/>");
    match w.sink.jobs.pop() {
        Some(Job::Replays(ReplaysJob::List { conn, player, max })) => {
            assert_eq!((conn, player.as_str(), max), (ann, "ann", 100));
        }
        other => panic!("{other:?}"),
    }
    // One request at the workers per client.
    w.send(ann, "<REPLAY ID='3'/>");
    assert_eq!(
        w.sink.take(ann),
        ["<RESULT ACTION='replay' CODE='in transit' REASON='busy'/>\n"]
    );
    let answer = ReplaysDone::Answer {
        conn: ann,
        text: "<RESULT ACTION='list' CODE='ok'/>\n".into(),
    };
    w.zone.on_replays_done(answer, w.now, &mut w.sink);
    assert_eq!(w.sink.take(ann), ["<RESULT ACTION='list' CODE='ok'/>\n"]);
    w.send(ann, "<REPLAY ID='3' FROM='4'/>");
    match w.sink.jobs.pop() {
        Some(Job::Replays(ReplaysJob::Load {
            conn,
            id,
            from,
            max_bytes,
        })) => assert_eq!((conn, id, from, max_bytes), (ann, 3, 4, 128 * 1024)),
        other => panic!("{other:?}"),
    }
    w.send(ann, "<REPLAY ID='x'/>");
    assert_eq!(
        w.sink.take(ann),
        ["<RESULT ACTION='replay' CODE='bad options' REASON='unknown id'/>\n"]
    );
}
