//! Matchmaking across nodes in the zone (docs/cluster.md §9): the runner
//! matches a remote ticket with a local one and tells the remote node;
//! a node that does not run the queue forwards, re-sends to a new runner,
//! and tells its player when the runner says MATCHED.

use ggzdmod::wire::{GameState, LaunchSeat, ToGame, ToServer};

use super::matchmaking::{fire_due, world};
use super::*;
use crate::cluster::{LinkMsg, Outbound, PlayerInfo};
use crate::matchmaking::desc::tests::queue;

fn remote(name: &str, room: &str) -> LinkMsg {
    LinkMsg::Player(PlayerInfo {
        name: name.into(),
        room: Some(room.into()),
        guest: true,
        perms: perms::GUEST,
        lag: 1,
        at_table: false,
        table: -1,
        stats: None,
    })
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
    w.zone
        .on_cluster_msg("b", remote("Bob", "play"), w.now, &mut w.sink);
    // A ticket of a player the runner does not know is ignored.
    w.zone
        .on_cluster_msg("b", ticket("Nobody"), w.now, &mut w.sink);
    w.zone
        .on_cluster_msg("b", ticket("Bob"), w.now, &mut w.sink);
    w.send(ann, "<MATCH QUEUE='ttt'/>");
    w.sink.take(ann);
    w.now += Duration::from_secs(5);
    fire_due(&mut w);

    let [(serial, spec)] = w.sink.spawned.as_slice() else {
        panic!("one table: {:?}", w.sink.spawned.len());
    };
    let serial = *serial;
    let ToGame::Launch { seats, .. } = &spec.launch else {
        panic!("{:?}", spec.launch);
    };
    assert_eq!(
        seats,
        &[
            LaunchSeat::Reserved("Bob".into()),
            LaunchSeat::Reserved("ann".into())
        ]
    );
    w.sink.cluster.clear();
    w.zone.on_table_event(
        serial,
        TableEvent::Message(ToServer::State(GameState::Waiting)),
        w.now,
        &mut w.sink,
    );
    assert!(w.sink.take(ann).concat().contains("<MATCHED QUEUE='ttt'"));
    let told: Vec<&Outbound> = w
        .sink
        .cluster
        .iter()
        .filter(|o| matches!(o, Outbound::To(_, LinkMsg::Matched { .. })))
        .collect();
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
    w.zone.on_cluster_msg(
        "b",
        LinkMsg::QueueRunner {
            queues: vec!["ttt".into()],
        },
        w.now,
        &mut w.sink,
    );
    assert_eq!(sent(&w, "b"), 1);
    // b dies; c takes over and hears of kim's ticket too.
    w.zone.on_cluster_node_gone("b", w.now, &mut w.sink);
    w.zone.on_cluster_msg(
        "c",
        LinkMsg::QueueRunner {
            queues: vec!["ttt".into()],
        },
        w.now,
        &mut w.sink,
    );
    assert_eq!(sent(&w, "c"), 1);
    // c's MATCHED reaches kim as a local match would.
    w.zone.on_cluster_msg(
        "c",
        LinkMsg::Matched {
            queue: "ttt".into(),
            name: "kim".into(),
            room: "play".into(),
            table: 9,
            seat: 1,
        },
        w.now,
        &mut w.sink,
    );
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("<MATCHED QUEUE='ttt' ROOM='1' TABLE='9' SEAT='1'/>")
            && out.contains("TYPE='private'")
            && out.contains("table 9"),
        "{out}"
    );
    // The match took the ticket: a later runner hears nothing of it.
    w.zone.on_cluster_msg(
        "d",
        LinkMsg::QueueRunner {
            queues: vec!["ttt".into()],
        },
        w.now,
        &mut w.sink,
    );
    assert_eq!(sent(&w, "d"), 0);
}

#[test]
fn a_cancel_or_leaving_the_room_ends_a_forwarded_ticket_at_the_runner() {
    let mut w = node();
    w.zone.on_cluster_msg(
        "b",
        LinkMsg::QueueRunner {
            queues: vec!["ttt".into()],
        },
        w.now,
        &mut w.sink,
    );
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
    w.zone
        .on_cluster_msg("b", remote("Bob", "play"), w.now, &mut w.sink);
    w.zone
        .on_cluster_msg("b", ticket("Bob"), w.now, &mut w.sink);
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
    w.zone
        .on_cluster_msg("b", LinkMsg::SnapshotEnd, w.now, &mut w.sink);
    assert_eq!(waiting(&mut w).as_deref(), Some("0"));
}
