//! A login's statistics read against a game result's write, when their
//! answers come back in either order (zone/stats_order.rs,
//! docs/cluster.md §8): the player never keeps the statistics from
//! before the game.

use super::rejoin::world;
use super::*;
use crate::cluster::{LinkMsg, Outbound, PlayerInfo};
use crate::store::StatsRecord;
use ggzdmod::wire::ToServer;

fn wins(n: u32) -> StatsRecord {
    StatsRecord {
        wins: n,
        ..Default::default()
    }
}

/// The jobs of one kind submitted so far, taken out of the recorder.
fn take_jobs(w: &mut World, pick: fn(&Job) -> bool) -> Vec<Job> {
    let (mine, rest) = std::mem::take(&mut w.sink.jobs).into_iter().partition(pick);
    w.sink.jobs = rest;
    mine
}

fn is_report(job: &Job) -> bool {
    matches!(job, Job::GameReport(_))
}

fn is_login(job: &Job) -> bool {
    matches!(job, Job::Login { .. })
}

fn is_reload(job: &Job) -> bool {
    matches!(job, Job::ReloadStats { .. })
}

/// bob logs in (registered) and his login job is at the workers.
fn bob_logs_in(w: &mut World) -> ConnId {
    let conn = w.connect();
    w.send(
        conn,
        "<LOGIN TYPE='normal'><NAME>bob</NAME><PASSWORD>x</PASSWORD></LOGIN>",
    );
    assert_eq!(take_jobs(w, is_login).len(), 1);
    conn
}

fn accept(w: &mut World, conn: ConnId, stats: StatsRecord) {
    let account = Account {
        user_id: 2,
        permissions: perms::REGISTERED,
        stats: vec![("TicTacToe".into(), stats)],
        ..Default::default()
    };
    w.zone.on_login_done(
        conn,
        LoginOutcome::Accepted(Box::new(account)),
        w.now,
        &mut w.sink,
    );
}

fn report() -> ToServer {
    let rec = |name: &str, result| ggzdmod::wire::ReportRecord {
        name: name.into(),
        kind: crate::proto::types::SeatKind::Player,
        team: 0,
        result,
        score: 0,
    };
    ToServer::Report(vec![
        rec("ann", ggzdmod::wire::GameResult::Loss),
        rec("bob", ggzdmod::wire::GameResult::Win),
    ])
}

/// The game ends, bob leaves at once and logs in again, and the workers
/// answer the login before or after the report.
fn relog_after_gameover(w: &mut World) -> (ConnId, TableSerial) {
    let (_, bob, serial) = w.playing();
    w.game(serial, report());
    assert_eq!(take_jobs(w, is_report).len(), 1);
    w.zone.disconnected(bob, w.now, &mut w.sink);
    (bob_logs_in(w), serial)
}

#[test]
fn a_login_that_read_before_the_result_is_read_again() {
    let mut w = world();
    let (bob, serial) = relog_after_gameover(&mut w);
    // The report commits and comes back while the login still runs on
    // the other worker, having read the old row.
    let rows = vec![("ann".to_string(), wins(0)), ("bob".to_string(), wins(1))];
    w.zone
        .on_report_done(serial, "TicTacToe".into(), rows, w.now, &mut w.sink);
    accept(&mut w, bob, wins(0));
    let reloads = take_jobs(&mut w, is_reload);
    let [Job::ReloadStats { handle, game }] = reloads.as_slice() else {
        panic!("one read again, not {reloads:?}");
    };
    assert_eq!((handle.as_str(), game.as_str()), ("bob", "TicTacToe"));
    w.send(bob, "<ENTER ROOM='1'/>");
    w.sink.take(bob);
    w.zone
        .on_stats_reloaded("bob", "TicTacToe", Some(wins(1)), &mut w.sink);
    let told = w.sink.take(bob).concat();
    assert!(
        told.contains("ACTION='stats'") && told.contains("ID='bob'") && told.contains("WINS='1'"),
        "{told}"
    );
    w.send(bob, "<LIST TYPE='player'/>");
    let list = w.sink.take(bob).concat();
    assert!(list.contains("WINS='1'"), "{list}");
}

#[test]
fn a_login_answered_before_the_result_gets_it_from_the_report() {
    let mut w = world();
    let (bob, serial) = relog_after_gameover(&mut w);
    accept(&mut w, bob, wins(0));
    w.send(bob, "<ENTER ROOM='1'/>");
    w.sink.take(bob);
    let rows = vec![("bob".to_string(), wins(1))];
    w.zone
        .on_report_done(serial, "TicTacToe".into(), rows, w.now, &mut w.sink);
    assert!(
        take_jobs(&mut w, is_reload).is_empty(),
        "nothing to read again"
    );
    w.send(bob, "<LIST TYPE='player'/>");
    assert!(w.sink.take(bob).concat().contains("WINS='1'"));
}

#[test]
fn a_login_submitted_after_the_result_came_back_is_believed() {
    let mut w = world();
    let (_, bob, serial) = w.playing();
    w.game(serial, report());
    take_jobs(&mut w, is_report);
    w.zone.disconnected(bob, w.now, &mut w.sink);
    let rows = vec![("bob".to_string(), wins(1))];
    w.zone
        .on_report_done(serial, "TicTacToe".into(), rows, w.now, &mut w.sink);
    let bob = bob_logs_in(&mut w);
    accept(&mut w, bob, wins(1));
    assert!(take_jobs(&mut w, is_reload).is_empty());
}

#[test]
fn a_read_again_that_raced_another_result_is_read_once_more() {
    let mut w = world();
    let (bob, serial) = relog_after_gameover(&mut w);
    w.zone.on_report_done(
        serial,
        "TicTacToe".into(),
        vec![("bob".to_string(), wins(1))],
        w.now,
        &mut w.sink,
    );
    accept(&mut w, bob, wins(0));
    assert_eq!(take_jobs(&mut w, is_reload).len(), 1);
    // Another node's table stores a result for bob before the read is
    // back: no second read now, the first one's answer is not shown.
    w.zone.enable_cluster("b", 9);
    let news = LinkMsg::StatsChanged {
        player: "Bob".into(),
        game: "TicTacToe".into(),
    };
    w.zone.on_cluster_msg("a", news, w.now, &mut w.sink);
    assert!(
        take_jobs(&mut w, is_reload).is_empty(),
        "one read at a time"
    );
    w.zone
        .on_stats_reloaded("bob", "TicTacToe", Some(wins(1)), &mut w.sink);
    assert_eq!(take_jobs(&mut w, is_reload).len(), 1, "read once more");
    w.zone
        .on_stats_reloaded("bob", "TicTacToe", Some(wins(2)), &mut w.sink);
    assert!(take_jobs(&mut w, is_reload).is_empty());
    w.send(bob, "<ENTER ROOM='1'/>");
    w.sink.take(bob);
    w.send(bob, "<LIST TYPE='player'/>");
    assert!(w.sink.take(bob).concat().contains("WINS='2'"));
}

#[test]
fn another_nodes_result_during_a_login_is_read_again_after_it() {
    let mut w = world();
    w.zone.enable_cluster("b", 9);
    let bob = bob_logs_in(&mut w);
    let news = LinkMsg::StatsChanged {
        player: "bob".into(),
        game: "TicTacToe".into(),
    };
    w.zone.on_cluster_msg("a", news, w.now, &mut w.sink);
    assert!(take_jobs(&mut w, is_reload).is_empty(), "not logged in yet");
    accept(&mut w, bob, wins(0));
    assert_eq!(take_jobs(&mut w, is_reload).len(), 1);
}

#[test]
fn a_result_of_a_table_here_for_a_player_of_no_node_here_goes_to_every_node() {
    let mut w = world();
    w.zone.enable_cluster("a", 7);
    let (_, bob, serial) = w.playing();
    w.game(serial, report());
    take_jobs(&mut w, is_report);
    // bob leaves; carol plays on another node and is in its room.
    w.zone.disconnected(bob, w.now, &mut w.sink);
    let carol = LinkMsg::Player(PlayerInfo {
        name: "carol".into(),
        room: Some("ttt".into()),
        guest: false,
        perms: perms::REGISTERED,
        lag: 1,
        at_table: false,
        table: -1,
        stats: None,
    });
    w.zone.on_cluster_msg("c", carol, w.now, &mut w.sink);
    w.sink.cluster.clear();
    let rows = vec![("bob".to_string(), wins(1))];
    w.zone
        .on_report_done(serial, "TicTacToe".into(), rows, w.now, &mut w.sink);
    let told: Vec<_> = w
        .sink
        .cluster
        .iter()
        .filter(|o| matches!(o, Outbound::All(LinkMsg::StatsChanged { .. })))
        .collect();
    assert_eq!(told.len(), 1, "{:?}", w.sink.cluster);
}

#[test]
fn rankings_at_a_table_of_another_node_are_the_rooms_games() {
    use super::cluster_support::remote_table;
    use crate::cluster::tables::SeatKind;
    let mut w = world();
    w.zone.enable_cluster("b", 9);
    let kim = w.guest_in("kim", 1);
    let table = remote_table(
        "ttt",
        5,
        1,
        &[(SeatKind::Player, Some("ann")), (SeatKind::Open, None)],
    );
    w.hear_from("a", LinkMsg::Table(table));
    w.seated_at_remote_table(kim, "kim", 11, "a", [1; 16]);
    w.sink.jobs.clear();
    w.send(kim, "<RANKINGS/>");
    let asked: Vec<_> = take_jobs(&mut w, |j| matches!(j, Job::Rankings { .. }));
    let [Job::Rankings { game, .. }] = asked.as_slice() else {
        panic!("one rankings job, not {asked:?}");
    };
    assert_eq!(game, "TicTacToe");
}
