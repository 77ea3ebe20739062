//! A browser's game channel relayed to another node's table ends while
//! its lobby stays (docs/cluster.md §8, "Rejoining"): the player leaves
//! the table there (its node holds the seat mid-game), is told LEAVE,
//! and gets REJOIN once that node shows the seat held.

use super::cluster_support::remote_table;
use super::*;
use crate::cluster::tables::{SeatKind, TableState};
use crate::cluster::{LinkMsg, Outbound};

fn table(seats: &[(SeatKind, Option<&str>)]) -> TableState {
    remote_table("chat", 3, 2, seats)
}

/// kim (with the rejoin extension) sits at table 3 of node b, shown as 1
/// here; returns kim and her relayed channel's id.
fn kim_at_bs_table(w: &mut World) -> (ConnId, ConnId) {
    w.zone.enable_cluster("a", 7);
    let kim = w.guest_in("kim", 1);
    w.send(kim, "<EXTENSIONS NAMES='rejoin'/>");
    w.hear_from(
        "b",
        LinkMsg::Table(table(&[
            (SeatKind::Player, Some("ann")),
            (SeatKind::Open, None),
        ])),
    );
    let (channel, told) = w.seated_at_remote_table(kim, "kim", 1, "b", [5; 16]);
    assert!(told.contains("ACTION='join' CODE='ok'"));
    let seated = table(&[
        (SeatKind::Player, Some("ann")),
        (SeatKind::Player, Some("kim")),
    ]);
    w.hear_from("b", LinkMsg::Table(seated));
    w.sink.take(kim);
    w.sink.cluster.clear();
    (kim, channel)
}

fn closed(w: &mut World, channel: ConnId) {
    w.zone.on_table_event(
        TableSerial::MAX,
        TableEvent::ChannelClosed(channel),
        w.now,
        &mut w.sink,
    );
}

#[test]
fn a_closed_browser_channel_leaves_the_remote_table_and_rejoin_follows_the_hold() {
    let mut w = World::standard();
    let (kim, channel) = kim_at_bs_table(&mut w);
    // Another connection's end is nobody's seat.
    closed(
        &mut w,
        ConnId {
            slot: 999,
            generation: 0,
        },
    );
    assert!(w.sink.cluster.is_empty());
    closed(&mut w, channel);
    assert!(w.sink.cluster.contains(&Outbound::To(
        "b".into(),
        LinkMsg::LeaveTable {
            player: "kim".into(),
            room: "chat".into(),
            id: 3,
        }
    )));
    let told = w.sink.take(kim).concat();
    assert!(told.contains("<LEAVE REASON='normal'/>"), "{told}");
    assert!(
        !told.contains("REJOIN"),
        "b has not held the seat yet: {told}"
    );
    // A state b sent before it read the leave says nothing yet.
    let before = table(&[
        (SeatKind::Player, Some("ann")),
        (SeatKind::Player, Some("kim")),
    ]);
    w.hear_from("b", LinkMsg::Table(before));
    assert!(!w.sink.take(kim).concat().contains("REJOIN"));
    // b holds the seat: the notice, under this node's ids, once.
    let held = table(&[
        (SeatKind::Player, Some("ann")),
        (SeatKind::Abandoned, Some("kim")),
    ]);
    w.hear_from("b", LinkMsg::Table(held.clone()));
    let told = w.sink.take(kim).concat();
    assert!(
        told.contains("<REJOIN ROOM='1' TABLE='1' SEAT='1'/>"),
        "{told}"
    );
    let mut again = held;
    again.desc = "still far".into();
    w.hear_from("b", LinkMsg::Table(again));
    assert!(!w.sink.take(kim).concat().contains("REJOIN"));
    // The same channel ending again is nothing now.
    w.sink.cluster.clear();
    closed(&mut w, channel);
    assert!(w.sink.cluster.is_empty());
}

#[test]
fn a_seat_not_held_there_ends_the_wait_without_a_notice() {
    let mut w = World::standard();
    let (kim, channel) = kim_at_bs_table(&mut w);
    closed(&mut w, channel);
    w.sink.take(kim);
    let open = table(&[(SeatKind::Player, Some("ann")), (SeatKind::Open, None)]);
    w.hear_from("b", LinkMsg::Table(open));
    // kim's name on a held seat later (a new game) is not this wait's.
    let held = table(&[
        (SeatKind::Player, Some("ann")),
        (SeatKind::Abandoned, Some("kim")),
    ]);
    w.hear_from("b", LinkMsg::Table(held));
    assert!(!w.sink.take(kim).concat().contains("REJOIN"));
}
