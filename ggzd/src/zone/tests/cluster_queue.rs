//! Matchmaking across nodes in the zone (docs/cluster.md §9): the runner
//! matches a remote ticket with a local one and tells the remote node;
//! a node that does not run the queue forwards, re-sends to a new runner,
//! and tells its player when the runner says MATCHED.

use ggzdmod::wire::{GameState, ToServer};

use super::cluster_support::remote_guest;
use super::matchmaking::{fire_due, the_table_reserved_for, world};
use super::*;
use crate::cluster::{LinkMsg, Outbound};
use crate::matchmaking::desc::tests::queue;

fn remote(name: &str, room: &str) -> LinkMsg {
    LinkMsg::Player(remote_guest(name, Some(room)))
}

fn ticket(name: &str) -> LinkMsg {
    LinkMsg::Ticket {
        queue: "ttt".into(),
        name: name.into(),
        // A new player's rating, as its node reads it from the stats.
        rating_milli: 1_500_000,
    }
}

fn node() -> World {
    let mut w = world(queue("ttt", 2, 2));
    w.zone.enable_cluster("a", 7);
    w
}

#[test]
fn the_runner_matches_a_remote_ticket_and_tells_its_node() {
    let mut w = node();
    w.zone
        .cluster_queues_held(vec!["ttt".into()], w.now, &mut w.sink);
    assert!(
        w.sink
            .cluster
            .contains(&Outbound::All(LinkMsg::QueueRunner {
                queues: vec!["ttt".into()]
            }))
    );
    let ann = w.guest_in("ann", 1);
    w.hear_from("b", remote("Bob", "play"));
    // A ticket of a player the runner does not know is ignored.
    w.hear_from("b", ticket("Nobody"));
    w.hear_from("b", ticket("Bob"));
    w.send(ann, "<MATCH QUEUE='ttt'/>");
    w.sink.take(ann);
    w.now += Duration::from_secs(5);
    fire_due(&mut w);

    let serial = the_table_reserved_for(&w, &["Bob", "ann"]);
    w.sink.cluster.clear();
    w.game(serial, ToServer::State(GameState::Waiting));
    assert!(w.sink.take(ann).concat().contains("<MATCHED QUEUE='ttt'"));
    let told: Vec<&Outbound> = w
        .sink
        .cluster
        .iter()
        .filter(|o| matches!(o, Outbound::To(_, LinkMsg::Matched { .. })))
        .collect();
    // The table's state goes out first, so b knows the table MATCHED names.
    let table_at = w
        .sink
        .cluster
        .iter()
        .position(|o| matches!(o, Outbound::All(LinkMsg::Table(t)) if t.room == "play"));
    let matched_at = w
        .sink
        .cluster
        .iter()
        .position(|o| matches!(o, Outbound::To(_, LinkMsg::Matched { .. })));
    assert!(
        matches!((table_at, matched_at), (Some(t), Some(m)) if t < m),
        "{:?}",
        w.sink.cluster
    );
    let [
        Outbound::To(
            node,
            LinkMsg::Matched {
                name, room, seat, ..
            },
        ),
    ] = told.as_slice()
    else {
        panic!("{:?}", w.sink.cluster);
    };
    assert_eq!(
        (node.as_str(), name.as_str(), room.as_str(), *seat),
        ("b", "Bob", "play", 0)
    );
}

#[test]
fn a_ticket_is_forwarded_kept_and_sent_again_to_a_new_runner() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    // Nobody runs the queue yet: the ticket waits here.
    w.send(kim, "<MATCH QUEUE='ttt'/>");
    assert!(w.sink.take(kim).concat().contains("CODE='ok'"));
    let sent = |w: &World, to: &str| {
        w.sink
            .cluster
            .iter()
            .filter(|o| matches!(o, Outbound::To(n, LinkMsg::Ticket { name, .. }) if n == to && name == "kim"))
            .count()
    };
    assert_eq!(sent(&w, "b"), 0);
    w.runner_of_ttt_is("b");
    assert_eq!(sent(&w, "b"), 1);
    // b dies; c takes over and hears of kim's ticket too.
    w.zone.on_cluster_node_gone("b", w.now, &mut w.sink);
    w.runner_of_ttt_is("c");
    assert_eq!(sent(&w, "c"), 1);
    // c's table 3 is shown here as 11 (above the room's 10 local ids); a
    // local table 3 would be another one.
    w.hear_from("c", matched_table(3, "kim"));
    w.sink.take(kim);
    // c's MATCHED reaches kim as a local match would, with this node's id.
    w.hear_from("c", matched_msg(3, "kim"));
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("<MATCHED QUEUE='ttt' ROOM='1' TABLE='11' SEAT='1'/>")
            && out.contains("TYPE='private'")
            && out.contains("table 11 in room Play")
            && !out.contains("table 3"),
        "{out}"
    );
    // JOIN of that id is the cross-node JOIN of c's table 3, and the
    // seat reserved for kim counts as free for her.
    w.channel_for("kim");
    w.sink.cluster.clear();
    w.send(kim, "<JOIN TABLE='11'/>");
    let answer = w.sink.take(kim).concat();
    assert!(
        w.sink.cluster.iter().any(|o| matches!(
            o,
            Outbound::To(n, LinkMsg::JoinRequest { player, room, id: 3, .. })
                if n == "c" && player == "kim" && room == "play"
        )),
        "{:?} {:?}",
        w.sink.cluster,
        answer
    );
    // The match took the ticket: a later runner hears nothing of it.
    w.runner_of_ttt_is("d");
    assert_eq!(sent(&w, "d"), 0);
}

/// A table of runner `c` in room `play`, its seat 1 reserved for `name`.
fn matched_table(id: u32, name: &str) -> LinkMsg {
    use crate::cluster::tables::{SeatKind, SeatState, TableState};
    LinkMsg::Table(TableState {
        room: "play".into(),
        id,
        status: 1,
        desc: "Play now: ttt".into(),
        seats: vec![
            SeatState {
                kind: SeatKind::Reserved,
                name: Some("other".into()),
            },
            SeatState {
                kind: SeatKind::Reserved,
                name: Some(name.into()),
            },
        ],
        spectators: Vec::new(),
    })
}

fn matched_msg(id: i32, name: &str) -> LinkMsg {
    LinkMsg::Matched {
        queue: "ttt".into(),
        name: name.into(),
        room: "play".into(),
        table: id,
        seat: 1,
    }
}

#[test]
fn a_matched_naming_a_table_this_node_does_not_know_is_dropped() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    w.runner_of_ttt_is("c");
    w.send(kim, "<MATCH QUEUE='ttt'/>");
    w.sink.take(kim);
    // Another node's table of that number is not c's.
    w.hear_from("d", matched_table(3, "kim"));
    w.sink.take(kim);
    w.hear_from("c", matched_msg(3, "kim"));
    let out = w.sink.take(kim).concat();
    assert!(
        !out.contains("MATCHED") && !out.contains("is yours"),
        "{out}"
    );
    // The ticket ended with the match all the same: nothing to re-send.
    w.zone.on_cluster_node_gone("c", w.now, &mut w.sink);
    w.sink.cluster.clear();
    w.runner_of_ttt_is("e");
    assert!(w.sink.cluster.is_empty(), "{:?}", w.sink.cluster);
}

#[test]
fn a_ticket_the_runner_refuses_ends_here_and_its_player_is_told() {
    let mut w = node();
    w.runner_of_ttt_is("c");
    let kim = w.guest_in("kim", 1);
    w.send(kim, "<MATCH QUEUE='ttt'/>");
    w.sink.take(kim);
    let refusal = LinkMsg::TicketCancel {
        queue: Some("ttt".into()),
        name: "kim".into(),
    };
    w.hear_from("c", refusal.clone());
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("TYPE='private'") && out.contains("did not take your ticket"),
        "{out}"
    );
    // Told once: the ticket is gone, a second refusal says nothing.
    w.hear_from("c", refusal);
    assert!(w.sink.take(kim).concat().is_empty());
}

#[test]
fn a_cancel_or_leaving_the_room_ends_a_forwarded_ticket_at_the_runner() {
    let mut w = node();
    w.runner_of_ttt_is("b");
    let kim = w.guest_in("kim", 1);
    w.send(kim, "<MATCH QUEUE='ttt'/>");
    w.send(kim, "<MATCH_CANCEL QUEUE='ttt'/>");
    let cancelled = |w: &World| {
        w.sink
            .cluster
            .iter()
            .filter(|o| matches!(o, Outbound::To(n, LinkMsg::TicketCancel { .. }) if n == "b"))
            .count()
    };
    assert_eq!(cancelled(&w), 1);
    w.send(kim, "<MATCH QUEUE='ttt'/>");
    w.send(kim, "<ENTER ROOM='0'/>");
    assert_eq!(cancelled(&w), 2);
    // Becoming the runner itself: a forwarded ticket joins the local
    // queue (none is left here now).
    w.zone
        .cluster_queues_held(vec!["ttt".into()], w.now, &mut w.sink);
    w.send(kim, "<LIST TYPE='queue'/>");
    assert!(w.sink.take(kim).concat().contains("WAITING='0'"));
}

#[test]
fn a_remote_player_left_out_of_a_snapshot_takes_its_ticket_along() {
    let mut w = node();
    w.zone
        .cluster_queues_held(vec!["ttt".into()], w.now, &mut w.sink);
    let ann = w.guest_in("ann", 1);
    w.hear_from("b", remote("Bob", "play"));
    w.hear_from("b", ticket("Bob"));
    let waiting = |w: &mut World| {
        w.send(ann, "<LIST TYPE='queue'/>");
        let out = w.sink.take(ann).concat();
        out.split("WAITING='")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .map(str::to_string)
    };
    assert_eq!(waiting(&mut w).as_deref(), Some("1"));
    // b's link is rebuilt and its snapshot no longer lists Bob.
    w.zone.on_cluster_hello("b");
    w.hear_from("b", LinkMsg::SnapshotEnd);
    assert_eq!(waiting(&mut w).as_deref(), Some("0"));
}
