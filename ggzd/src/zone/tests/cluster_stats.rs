//! Statistics across nodes (docs/cluster.md §8): the table's node tells a
//! remote player's node that a stored report named the player; that node
//! reads the statistics again on a worker and shows them as for a game of
//! its own.

use super::cluster_support::remote_guest;
use super::rejoin::world;
use super::*;
use crate::cluster::{LinkMsg, Outbound, PlayerInfo};
use crate::store::StatsRecord;

fn remote_bob(room: &str) -> LinkMsg {
    LinkMsg::Player(PlayerInfo {
        guest: false,
        at_table: true,
        table: 1,
        ..remote_guest("Bob", Some(room))
    })
}

fn wins(n: u32) -> StatsRecord {
    StatsRecord {
        wins: n,
        ..Default::default()
    }
}

#[test]
fn the_table_node_tells_each_remote_players_node_and_nobody_else() {
    let mut w = world();
    w.zone.enable_cluster("a", 7);
    w.hear_from("b", remote_bob("ttt"));
    w.sink.cluster.clear();
    // Bob (of b), a bot, and a name nobody has: only b hears, once.
    let updated = vec![
        ("Bob".to_string(), wins(1)),
        ("0|AI".to_string(), wins(0)),
        ("ghost".to_string(), wins(3)),
    ];
    w.zone.on_late_report("TicTacToe", updated, &mut w.sink);
    assert_eq!(
        w.sink.cluster,
        vec![Outbound::To(
            "b".into(),
            LinkMsg::StatsChanged {
                player: "Bob".into(),
                game: "TicTacToe".into(),
            }
        )]
    );
}

#[test]
fn the_players_node_reads_the_stats_again_and_shows_them() {
    let mut w = world();
    w.zone.enable_cluster("b", 9);
    let bob = registered(&mut w, "Bob", perms::REGISTERED);
    w.send(bob, "<ENTER ROOM='1'/>");
    let kim = w.guest_in("kim", 1);
    w.sink.take(bob);
    w.sink.take(kim);
    w.sink.jobs.clear();
    w.sink.cluster.clear();

    // Garbage-safe: a player not logged in here, a game this node does
    // not have: nothing is read.
    for (player, game) in [("ghost", "TicTacToe"), ("bob", "Chess"), ("kim", "x")] {
        let news = LinkMsg::StatsChanged {
            player: player.into(),
            game: game.into(),
        };
        w.hear_from("a", news);
    }
    assert!(w.sink.jobs.is_empty());

    // The report's key may be spelled as seated on the other node.
    let news = LinkMsg::StatsChanged {
        player: "bob".into(),
        game: "TicTacToe".into(),
    };
    w.hear_from("a", news);
    let Some(Job::ReloadStats { handle, game }) = w.sink.jobs.pop() else {
        panic!("a stats job, not {:?}", w.sink.jobs);
    };
    assert_eq!((handle.as_str(), game.as_str()), ("bob", "TicTacToe"));
    assert!(
        w.sink.cluster.is_empty(),
        "nothing is shown before the read"
    );

    // The worker's answer: the room sees the new stats, and so does every
    // other node through PLAYER.
    w.zone
        .on_late_report("TicTacToe", vec![(handle, wins(1))], &mut w.sink);
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='stats'") && out.contains("ID='Bob'") && out.contains("WINS='1'"),
        "{out}"
    );
    let sent = w.sink.cluster.iter().find_map(|o| match o {
        Outbound::All(LinkMsg::Player(info)) => Some(info.clone()),
        _ => None,
    });
    let stats = sent.and_then(|info| info.stats).and_then(|s| s.records);
    assert_eq!(stats, Some((1, 0, 0, 0)));
}
