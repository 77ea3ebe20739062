//! A browser's game channel relayed to another node's table ends while
//! its lobby stays (docs/cluster.md §8, "Rejoining"): the player leaves
//! the table there (its node holds the seat mid-game), is told LEAVE,
//! and gets REJOIN once that node shows the seat held.

use super::*;
use crate::cluster::tables::{SeatKind, SeatState, TableState};
use crate::cluster::{LinkMsg, Outbound};

fn hear(w: &mut World, node: &str, msg: LinkMsg) {
    w.zone.on_cluster_msg(node, msg, w.now, &mut w.sink);
}

fn table(seats: &[(SeatKind, Option<&str>)]) -> TableState {
    TableState {
        room: "chat".into(),
        id: 3,
        status: 2,
        desc: "far".into(),
        seats: seats
            .iter()
            .map(|(kind, name)| SeatState {
                kind: *kind,
                name: name.map(str::to_string),
            })
            .collect(),
        spectators: Vec::new(),
    }
}

/// kim (with the rejoin extension) sits at table 3 of node b, shown as 1
/// here; returns kim and her relayed channel's id.
fn kim_at_bs_table(w: &mut World) -> (ConnId, ConnId) {
    w.zone.enable_cluster("a", 7);
    let kim = w.guest_in("kim", 1);
    w.send(kim, "<EXTENSIONS NAMES='rejoin'/>");
    hear(
        w,
        "b",
        LinkMsg::Table(table(&[
            (SeatKind::Player, Some("ann")),
            (SeatKind::Open, None),
        ])),
    );
    let channel = w.connect();
    w.send(channel, "<CHANNEL ID='kim'/></SESSION>");
    w.send(kim, "<JOIN TABLE='1' SPECTATOR='false'/>");
    let req = w
        .sink
        .cluster
        .iter()
        .find_map(|o| match o {
            Outbound::To(_, LinkMsg::JoinRequest { req, .. }) => Some(*req),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no forwarded JOIN: {:?}", w.sink.take(kim)));
    let answer = LinkMsg::JoinAnswer {
        req,
        code: 0,
        token: [5; 16],
    };
    hear(w, "b", answer);
    assert!(
        w.sink
            .take(kim)
            .concat()
            .contains("ACTION='join' CODE='ok'")
    );
    let seated = table(&[
        (SeatKind::Player, Some("ann")),
        (SeatKind::Player, Some("kim")),
    ]);
    hear(w, "b", LinkMsg::Table(seated));
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
    hear(&mut w, "b", LinkMsg::Table(before));
    assert!(!w.sink.take(kim).concat().contains("REJOIN"));
    // b holds the seat: the notice, under this node's ids, once.
    let held = table(&[
        (SeatKind::Player, Some("ann")),
        (SeatKind::Abandoned, Some("kim")),
    ]);
    hear(&mut w, "b", LinkMsg::Table(held.clone()));
    let told = w.sink.take(kim).concat();
    assert!(
        told.contains("<REJOIN ROOM='1' TABLE='1' SEAT='1'/>"),
        "{told}"
    );
    let mut again = held;
    again.desc = "still far".into();
    hear(&mut w, "b", LinkMsg::Table(again));
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
    hear(&mut w, "b", LinkMsg::Table(open));
    // kim's name on a held seat later (a new game) is not this wait's.
    let held = table(&[
        (SeatKind::Player, Some("ann")),
        (SeatKind::Abandoned, Some("kim")),
    ]);
    hear(&mut w, "b", LinkMsg::Table(held));
    assert!(!w.sink.take(kim).concat().contains("REJOIN"));
}
