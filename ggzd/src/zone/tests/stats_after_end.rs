//! A game report whose commit comes back after its table has ended (the
//! players left at the game's end and emptied it): the players still see
//! their new statistics, in their own room (docs/config-and-data.md
//! §10.2).

use ggzdmod::wire::{GameResult, ReportRecord, ToServer};

use super::rejoin::world;
use super::*;
use crate::proto::types::{LeaveReason, SeatKind};
use crate::store::StatsRecord;

#[test]
fn stats_committed_after_the_table_ended_still_reach_the_room() {
    let mut w = world();
    let (ann, bob, serial) = w.playing();
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
            rec("ann", GameResult::Win),
            rec("bob", GameResult::Loss),
        ]),
    );
    assert!(w.sink.jobs.iter().any(|j| matches!(j, Job::GameReport(_))));
    // The table goes before the store answers.
    w.zone
        .end_table(serial, LeaveReason::GameOver, w.now, &mut w.sink);
    w.sink.sent.clear();
    let won = StatsRecord {
        wins: 1,
        ..Default::default()
    };
    w.zone.on_report_done(
        serial,
        "TicTacToe".into(),
        vec![("ann".into(), won)],
        w.now,
        &mut w.sink,
    );
    for player in [ann, bob] {
        let seen = w.sink.take(player).concat();
        assert!(
            seen.contains("<UPDATE TYPE='player' ACTION='stats' ROOM='1'>")
                && seen.contains("<PLAYER ID='ann'"),
            "{seen}"
        );
    }
}
