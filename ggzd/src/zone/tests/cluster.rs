//! The zone as a cluster node: remote players in rooms and lists, chat
//! across nodes, name claims, dead nodes (docs/cluster.md).

use super::cluster_support::{remote_guest, standard_node as node};
use super::*;
use crate::cluster::{LinkMsg, Outbound};

fn remote(name: &str, room: Option<&str>) -> LinkMsg {
    LinkMsg::Player(remote_guest(name, room))
}

#[test]
fn a_remote_player_is_listed_counted_and_announced_like_a_local_one() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    w.hear_from("b", remote("Bob", None));
    assert!(w.sink.take(kim).is_empty(), "not in a room yet");
    w.hear_from("b", remote("Bob", Some("chat")));
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='add'") && out.contains("ID='Bob'") && out.contains("FROMROOM='-1'"),
        "{out}"
    );
    w.send(kim, "<LIST TYPE='player'/>");
    let list = w.sink.take(kim).concat();
    assert!(
        list.contains("ID='kim'") && list.contains("ID='Bob'"),
        "{list}"
    );
    w.send(kim, "<LIST TYPE='room'/>");
    let rooms = w.sink.take(kim).concat();
    assert!(
        rooms.contains("ID='1'") && rooms.contains("PLAYERS='2'"),
        "{rooms}"
    );

    // Moving to the lobby is a delete here, naming where it went.
    w.hear_from("b", remote("Bob", Some("entry")));
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='delete'") && out.contains("TOROOM='0'"),
        "{out}"
    );
    w.hear_from("b", remote("Bob", Some("chat")));
    w.sink.take(kim);
    // A new lag class is shown as a local player's is.
    let mut slow = remote("Bob", Some("chat"));
    if let LinkMsg::Player(p) = &mut slow {
        p.lag = 4;
    }
    w.hear_from("b", slow);
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='lag'") && out.contains("LAG='4'"),
        "{out}"
    );
    // A logout from another node than Bob's changes nothing.
    w.hear_from("c", LinkMsg::Gone { name: "bob".into() });
    assert!(w.sink.take(kim).is_empty());
    w.hear_from("b", LinkMsg::Gone { name: "bob".into() });
    assert!(w.sink.take(kim).concat().contains("ACTION='delete'"));
    assert_eq!(w.zone.remote_player_count(), 0);
}

#[test]
fn local_players_are_told_to_the_other_nodes() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    let said: Vec<Outbound> = std::mem::take(&mut w.sink.cluster);
    let rooms: Vec<Option<String>> = said
        .iter()
        .map(|o| match o {
            Outbound::All(LinkMsg::Player(p)) => p.room.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(rooms, [None, Some("chat".to_string())]);
    let snapshot = w.zone.cluster_snapshot();
    assert_eq!(snapshot.len(), 2);
    assert_eq!(snapshot.last(), Some(&LinkMsg::SnapshotEnd));

    w.send(kim, "</SESSION>");
    assert!(
        w.sink
            .cluster
            .contains(&Outbound::All(LinkMsg::Gone { name: "kim".into() }))
    );
}

#[test]
fn chat_crosses_nodes_both_ways() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    let lee = w.guest_in("lee", 0);
    w.hear_from("b", remote("Bob", Some("chat")));
    w.sink.take(kim);
    w.sink.cluster.clear();

    w.send(kim, "<CHAT TYPE='normal'>hi</CHAT>");
    assert_eq!(
        w.sink.cluster,
        [Outbound::All(LinkMsg::RoomChat {
            room: "chat".into(),
            from: "kim".into(),
            text: "hi".into()
        })]
    );
    w.sink.cluster.clear();
    w.send(kim, "<CHAT TYPE='private' TO='BOB'>psst</CHAT>");
    assert!(w.sink.take(kim)[0].contains("CODE='ok'"));
    assert_eq!(
        w.sink.cluster,
        [Outbound::To(
            "b".into(),
            LinkMsg::Private {
                from: "kim".into(),
                to: "Bob".into(),
                text: Some("psst".into())
            }
        )]
    );

    w.hear_from(
        "b",
        LinkMsg::RoomChat {
            room: "chat".into(),
            from: "Bob".into(),
            text: "yo".into(),
        },
    );
    assert!(w.sink.take(kim).concat().contains("FROM='Bob'"));
    assert!(w.sink.take(lee).is_empty(), "another room");
    w.hear_from(
        "b",
        LinkMsg::Private {
            from: "Bob".into(),
            to: "lee".into(),
            text: None,
        },
    );
    assert!(w.sink.take(lee).concat().contains("TYPE='beep'"));
    w.hear_from(
        "c",
        LinkMsg::Announce {
            from: "boss".into(),
            text: "hear ye".into(),
        },
    );
    assert!(w.sink.take(kim).concat().contains("hear ye"));
    assert!(w.sink.take(lee).concat().contains("hear ye"));
}

#[test]
fn a_dead_node_and_a_stale_snapshot_take_their_players_away() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    w.hear_from("b", remote("Bob", Some("chat")));
    w.hear_from("b", remote("Ben", Some("chat")));
    w.hear_from("c", remote("Cid", Some("chat")));
    w.sink.take(kim);

    // b says HELLO again and lists only Ben: Bob is gone.
    w.zone.on_cluster_hello("b");
    w.hear_from("b", remote("Ben", Some("chat")));
    assert!(w.sink.take(kim).is_empty(), "Ben did not move");
    w.hear_from("b", LinkMsg::SnapshotEnd);
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ID='Bob'") && !out.contains("ID='Ben'"),
        "{out}"
    );

    w.zone.on_cluster_node_gone("b", w.now, &mut w.sink);
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ID='Ben'") && out.contains("ACTION='delete'"),
        "{out}"
    );
    assert_eq!(w.zone.remote_player_count(), 1, "Cid of c stays");
}

#[test]
fn a_name_held_on_another_node_is_refused_and_claims_are_kept_or_freed() {
    let mut w = node();
    w.hear_from("b", remote("Bob", None));
    let conn = w.connect();
    w.send(conn, "<LOGIN TYPE='guest'><NAME>bob</NAME></LOGIN>");
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    assert!(w.sink.take(conn)[0].contains("CODE='already logged in'"));
    // Nothing was kept: the refused login's claim goes back.
    assert!(matches!(
        w.sink.jobs.last(),
        Some(Job::ReleaseName { canonical, node, .. }) if canonical == "bob" && node == "a"
    ));

    w.sink.jobs.clear();
    let kim = w.connect();
    w.send(kim, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    let token = match w.sink.jobs.last() {
        Some(Job::Login { login, .. }) => login.claim.clone().expect("a claim").token,
        other => panic!("{other:?}"),
    };
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    assert!(w.sink.take(kim)[0].contains("CODE='ok'"));
    assert!(w.sink.jobs.is_empty(), "the claim is held");
    w.send(kim, "</SESSION>");
    assert!(matches!(
        w.sink.jobs.last(),
        Some(Job::ReleaseName { canonical, token: t, .. }) if canonical == "kim" && *t == token
    ));
}

#[test]
fn without_a_cluster_nothing_leaves_the_node() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 1);
    w.send(kim, "<CHAT TYPE='normal'>hi</CHAT>");
    w.send(kim, "</SESSION>");
    assert!(w.sink.cluster.is_empty());
    assert!(
        !w.sink
            .jobs
            .iter()
            .any(|j| matches!(j, Job::ReleaseName { .. }))
    );
}
