//! A remote player's statistics and at-table flag (docs/cluster.md §3, PLAYER):
//! shown in `LIST player` and `UPDATE player stats` as a local player's,
//! and a local player's changes told to the other nodes.

use super::cluster_support::{remote_guest, standard_node as node};
use crate::cluster::codec::PlayerStats;
use crate::cluster::{LinkMsg, Outbound, PlayerInfo};

/// Bob, registered on node b, at b's table `table` (none if negative).
fn seated(table: i32, wins: u32) -> LinkMsg {
    LinkMsg::Player(PlayerInfo {
        guest: false,
        at_table: table >= 0,
        table,
        stats: Some(PlayerStats {
            records: Some((wins, 2, 0, 0)),
            rating: Some(1510),
            highscore: None,
        }),
        ..remote_guest("Bob", Some("chat"))
    })
}

#[test]
fn a_remote_players_table_and_stats_are_listed_and_updated() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    w.hear_from("b", seated(4, 1));
    w.sink.take(kim);
    w.send(kim, "<LIST TYPE='player'/>");
    let list = w.sink.take(kim).concat();
    let bob = list
        .lines()
        .find(|l| l.contains("ID='Bob'"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        bob.contains("WINS='1'") && bob.contains("RATING='1510'"),
        "{bob}"
    );
    // Table 4 is b's own numbering: without a table of b's known here that
    // seats Bob, no id of this node's is shown (docs/cluster.md §8).
    assert!(bob.contains("TABLE='-1'"), "{bob}");
    // New stats after a game: the room hears it as for a local player.
    w.hear_from("b", seated(-1, 2));
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='stats'") && out.contains("WINS='2'"),
        "{out}"
    );
    // The same again is no news.
    w.hear_from("b", seated(-1, 2));
    assert!(w.sink.take(kim).is_empty());
}

#[test]
fn private_chat_to_a_remote_player_follows_its_table() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    w.hear_from("b", seated(3, 0));
    w.sink.take(kim);
    w.send(kim, "<CHAT TYPE='private' TO='Bob'>hi</CHAT>");
    assert!(w.sink.take(kim).concat().contains("CODE='at table'"));
    // Bob stood up: his node says so, and the rule follows.
    w.hear_from("b", seated(-1, 0));
    w.sink.cluster.clear();
    w.send(kim, "<CHAT TYPE='private' TO='Bob'>hi</CHAT>");
    assert!(w.sink.take(kim).concat().contains("CODE='ok'"));
    assert!(matches!(
        w.sink.cluster.as_slice(),
        [Outbound::To(node, LinkMsg::Private { .. })] if node == "b"
    ));
}
