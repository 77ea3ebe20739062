//! Tables across nodes as the zone sees them (docs/cluster.md §8): remote
//! tables listed and announced like local ones, a JOIN forwarded and its
//! answer turned into a relayed channel, LEAVE sent on, the end of a
//! remote table or of its node told to the players at it.

use super::cluster_support::{remote_guest, standard_node as node};
use super::*;
use crate::cluster::tables::{SeatKind, TableState};
use crate::cluster::{LinkMsg, Outbound};

fn remote_table(id: u32, seats: &[(SeatKind, Option<&str>)]) -> TableState {
    super::cluster_support::remote_table("chat", id, 1, seats)
}

fn relay_of(out: &[Outbound]) -> Option<(ConnId, String, [u8; 16])> {
    out.iter().find_map(|o| match o {
        Outbound::Relay {
            channel,
            node,
            token,
        } => Some((*channel, node.clone(), *token)),
        _ => None,
    })
}

#[test]
fn a_remote_table_is_listed_announced_joined_and_left() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    let ann = [(SeatKind::Player, Some("ann")), (SeatKind::Open, None)];
    w.hear_from("b", LinkMsg::Table(remote_table(1, &ann)));
    let add = w.sink.take(kim).concat();
    assert!(
        add.contains("ACTION='add'") && add.contains("ID='1'") && add.contains(">ann<"),
        "{add}"
    );
    // The same state again says nothing; a description change says it.
    w.hear_from("b", LinkMsg::Table(remote_table(1, &ann)));
    assert!(w.sink.take(kim).is_empty());
    let mut renamed = remote_table(1, &ann);
    renamed.desc = "near".into();
    w.hear_from("b", LinkMsg::Table(renamed.clone()));
    assert!(w.sink.take(kim).concat().contains("ACTION='desc'"));
    w.send(kim, "<LIST TYPE='table'/>");
    assert!(w.sink.take(kim).concat().contains("<DESC>near</DESC>"));

    // kim's JOIN goes to b, with kim's name and b's id for the table.
    let channel = w.channel_for("kim");
    w.sink.cluster.clear();
    w.send(kim, "<JOIN TABLE='1' SPECTATOR='false'/>");
    assert!(w.sink.take(kim).is_empty(), "the answer comes from b");
    let req = match w.sink.cluster.as_slice() {
        [
            Outbound::To(
                to,
                LinkMsg::JoinRequest {
                    req,
                    player,
                    room,
                    id: 1,
                    spectator: false,
                    seat: None,
                },
            ),
        ] if to == "b" && player == "kim" && room == "chat" => *req,
        other => panic!("{other:?}"),
    };
    // A second JOIN meanwhile is refused; an answer from c is not b's.
    w.send(kim, "<JOIN TABLE='1' SPECTATOR='false'/>");
    assert!(w.sink.take(kim).concat().contains("CODE='in transit'"));
    w.hear_from(
        "c",
        LinkMsg::JoinAnswer {
            req,
            code: 0,
            token: [1; 16],
        },
    );
    assert!(w.sink.take(kim).is_empty());
    w.sink.cluster.clear();
    w.hear_from(
        "b",
        LinkMsg::JoinAnswer {
            req,
            code: 0,
            token: [5; 16],
        },
    );
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='join' CODE='ok'") && out.contains("<JOIN TABLE='1'"),
        "{out}"
    );
    assert_eq!(
        relay_of(&w.sink.cluster),
        Some((channel, "b".to_string(), [5; 16]))
    );
    // kim is at a table now: no second JOIN; LEAVE is answered and sent on.
    w.send(kim, "<JOIN TABLE='1' SPECTATOR='false'/>");
    assert!(w.sink.take(kim).concat().contains("CODE='at table'"));
    w.sink.cluster.clear();
    w.send(kim, "<LEAVE FORCE='false' SPECTATOR='false'/>");
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='leave' CODE='ok'") && out.contains("REASON='normal'"),
        "{out}"
    );
    assert!(w.sink.cluster.contains(&Outbound::To(
        "b".into(),
        LinkMsg::LeaveTable {
            player: "kim".into(),
            room: "chat".into(),
            id: 1,
        }
    )));
    w.hear_from(
        "b",
        LinkMsg::TableGone {
            room: "chat".into(),
            id: 1,
        },
    );
    assert!(w.sink.take(kim).concat().contains("ACTION='delete'"));
}

#[test]
fn refusals_deadlines_and_a_dead_node() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    let full = [(SeatKind::Player, Some("ann")), (SeatKind::Bot, Some("AI"))];
    w.hear_from("b", LinkMsg::Table(remote_table(1, &full)));
    let open = [(SeatKind::Player, Some("ann")), (SeatKind::Open, None)];
    w.hear_from("b", LinkMsg::Table(remote_table(2, &open)));
    w.sink.take(kim);
    // Full here already: refused at once, the channel used up.
    let channel = w.channel_for("kim");
    w.send(kim, "<JOIN TABLE='1' SPECTATOR='false'/>");
    assert!(w.sink.take(kim).concat().contains("CODE='table full'"));
    assert!(w.sink.closed.contains(&(channel, Close::Now)));
    // Refused by b: its code reaches kim.
    w.channel_for("kim");
    w.sink.cluster.clear();
    w.send(kim, "<JOIN TABLE='2' SPECTATOR='false'/>");
    let Some(Outbound::To(_, LinkMsg::JoinRequest { req, .. })) = w.sink.cluster.pop() else {
        panic!("no JOIN_REQUEST");
    };
    w.hear_from(
        "b",
        LinkMsg::JoinAnswer {
            req,
            code: ResultCode::TableFull.as_i32() as i8,
            token: [0; 16],
        },
    );
    assert!(w.sink.take(kim).concat().contains("CODE='table full'"));
    // No answer in time: join fail.
    w.channel_for("kim");
    w.send(kim, "<JOIN TABLE='2' SPECTATOR='false'/>");
    w.zone
        .cluster_seats_sweep(w.now + Duration::from_secs(60), None, &mut w.sink);
    assert!(w.sink.take(kim).concat().contains("CODE='join fail'"));
    // The link to b is lost: join fail at once.
    w.channel_for("kim");
    w.send(kim, "<JOIN TABLE='2' SPECTATOR='false'/>");
    w.zone.cluster_seats_sweep(w.now, Some("b"), &mut w.sink);
    assert!(w.sink.take(kim).concat().contains("CODE='join fail'"));

    // Seated, then b dies: told, left, the tables deleted.
    w.seated_at_remote_table(kim, "kim", 2, "b", [3; 16]);
    w.zone.on_cluster_node_gone("b", w.now, &mut w.sink);
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("TYPE='private'")
            && out.contains("is gone")
            && out.contains("REASON='gameerror'")
            && out.matches("ACTION='delete'").count() == 2,
        "{out}"
    );
    w.send(kim, "<LIST TYPE='table'/>");
    assert!(!w.sink.take(kim).concat().contains("<TABLE "));
}

#[test]
fn a_join_from_another_node_gets_a_token_only_for_a_seat_it_may_take() {
    let mut w = node();
    // No such table here.
    w.hear_from("b", LinkMsg::Player(remote_guest("bob", Some("chat"))));
    w.sink.cluster.clear();
    w.hear_from(
        "b",
        LinkMsg::JoinRequest {
            req: 9,
            player: "bob".into(),
            room: "chat".into(),
            id: 4,
            spectator: false,
            seat: None,
        },
    );
    assert_eq!(
        w.sink.cluster,
        vec![Outbound::To(
            "b".into(),
            LinkMsg::JoinAnswer {
                req: 9,
                code: ResultCode::NoTable.as_i32() as i8,
                token: [0; 16],
            }
        )]
    );
    // A token nobody was granted seats nobody.
    let refused = w
        .zone
        .cluster_relay_arrived(&[8; 16], &|_| true, w.now, &mut w.sink);
    assert!(refused.is_none());
}

#[test]
fn a_player_booted_by_the_tables_node_is_told() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    let open = [(SeatKind::Player, Some("ann")), (SeatKind::Open, None)];
    w.hear_from("b", LinkMsg::Table(remote_table(6, &open)));
    w.seated_at_remote_table(kim, "kim", 1, "b", [2; 16]);
    // Another node's word, or another table's, changes nothing.
    let lost = |id| LinkMsg::SeatLost {
        player: "KIM".into(),
        room: "chat".into(),
        id,
        reason: 1,
    };
    w.hear_from("c", lost(6));
    w.hear_from("b", lost(7));
    assert!(w.sink.take(kim).is_empty());
    w.hear_from("b", lost(6));
    let out = w.sink.take(kim).concat();
    assert!(
        out.contains("ACTION='leave' CODE='ok'") && out.contains("REASON='boot'"),
        "{out}"
    );
    // At no table now: a LEAVE is a plain one, not sent to b.
    w.sink.cluster.clear();
    w.send(kim, "<LEAVE FORCE='false' SPECTATOR='false'/>");
    assert!(
        !w.sink
            .cluster
            .iter()
            .any(|o| matches!(o, Outbound::To(_, LinkMsg::LeaveTable { .. })))
    );
}

fn tables_said(out: &[Outbound]) -> Vec<TableState> {
    out.iter()
        .filter_map(|o| match o {
            Outbound::All(LinkMsg::Table(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_tables_node_sends_its_tables_and_seats_players_of_other_nodes() {
    use ggzdmod::wire::ToGame;
    let mut w = super::rejoin::world();
    w.zone.enable_cluster("a", 7);
    let (_ann, _bob, serial) = w.playing();
    w.sink.cluster.clear();
    w.zone.cluster_sync_tables(&mut w.sink);
    let said = tables_said(&w.sink.cluster);
    assert_eq!(said.len(), 1, "{:?}", w.sink.cluster);
    assert_eq!(
        (said[0].room.as_str(), said[0].id, said[0].status),
        ("ttt", 1, 2)
    );
    let names: Vec<Option<&str>> = said[0].seats.iter().map(|s| s.name.as_deref()).collect();
    assert_eq!(names, [Some("ann"), Some("bob")]);
    // Nothing changed: nothing is sent.
    w.sink.cluster.clear();
    w.zone.cluster_sync_tables(&mut w.sink);
    assert!(w.sink.cluster.is_empty());
    assert_eq!(
        w.zone.cluster_snapshot().len(),
        4,
        "2 players, the table, the end"
    );

    // cy of node b watches: a token, then its relay seats it.
    w.hear_from("b", LinkMsg::Player(remote_guest("cy", Some("ttt"))));
    let ask = |spectator| LinkMsg::JoinRequest {
        req: 4,
        player: "cy".into(),
        room: "ttt".into(),
        id: 1,
        spectator,
        seat: None,
    };
    w.sink.cluster.clear();
    w.hear_from("b", ask(false));
    assert!(matches!(
        w.sink.cluster.as_slice(),
        [Outbound::To(_, LinkMsg::JoinAnswer { code: -4, .. })]
    ));
    w.sink.cluster.clear();
    w.hear_from("b", ask(true));
    let token = match w.sink.cluster.as_slice() {
        [
            Outbound::To(
                to,
                LinkMsg::JoinAnswer {
                    req: 4,
                    code: 0,
                    token,
                },
            ),
        ] if to == "b" => *token,
        other => panic!("{other:?}"),
    };
    // From another address than b's: refused, and the token is spent.
    assert!(
        w.zone
            .cluster_relay_arrived(&token, &|_| false, w.now, &mut w.sink)
            .is_none()
    );
    w.sink.cluster.clear();
    w.hear_from("b", ask(true));
    let Some(Outbound::To(_, LinkMsg::JoinAnswer { token, .. })) = w.sink.cluster.pop() else {
        panic!("no answer");
    };
    let seated = w
        .zone
        .cluster_relay_arrived(&token, &|node| node == "b", w.now, &mut w.sink);
    assert_eq!(
        seated,
        Some((
            serial,
            ToGame::SpectatorSeat {
                num: 0,
                name: "cy".into()
            }
        ))
    );
    // Used once only.
    assert!(
        w.zone
            .cluster_relay_arrived(&token, &|_| true, w.now, &mut w.sink)
            .is_none()
    );
    w.sink.cluster.clear();
    w.zone.cluster_sync_tables(&mut w.sink);
    let said = tables_said(&w.sink.cluster);
    assert_eq!(said[0].spectators, [Some("cy".to_string())]);

    // b dies: cy leaves the table here.
    w.sink.to_tables.clear();
    w.zone.on_cluster_node_gone("b", w.now, &mut w.sink);
    assert!(w.sink.to_tables.iter().any(|(s, m, _)| *s == serial
        && *m
            == ToGame::SpectatorSeat {
                num: 0,
                name: String::new()
            }));
    w.sink.cluster.clear();
    w.zone.cluster_sync_tables(&mut w.sink);
    assert_eq!(tables_said(&w.sink.cluster)[0].spectators, [None]);
}

#[test]
fn table_chat_and_info_of_a_player_at_a_remote_table_go_through_its_node() {
    let mut w = node();
    let kim = w.guest_in("kim", 1);
    let ann = [(SeatKind::Player, Some("ann")), (SeatKind::Open, None)];
    w.hear_from("b", LinkMsg::Table(remote_table(4, &ann)));
    w.seated_at_remote_table(kim, "kim", 1, "b", [5; 16]);
    w.sink.cluster.clear();

    // kim's table chat is answered here and goes to b, not to anyone here.
    w.send(kim, "<CHAT TYPE='table'>hi</CHAT>");
    let out = w.sink.take(kim).concat();
    assert!(out.contains("CODE='ok'") && !out.contains("<CHAT"), "{out}");
    assert_eq!(
        w.sink.cluster,
        vec![Outbound::To(
            "b".into(),
            LinkMsg::TableChat {
                room: "chat".into(),
                id: 4,
                from: "kim".into(),
                text: "hi".into(),
                to_table: true,
            }
        )]
    );
    // b hands lines of its table out; another node cannot speak for it.
    let line = |text: &str| LinkMsg::TableChat {
        room: "chat".into(),
        id: 4,
        from: "ann".into(),
        text: text.into(),
        to_table: false,
    };
    w.hear_from("c", line("forged"));
    assert!(w.sink.take(kim).is_empty());
    w.hear_from("b", line("hello"));
    assert!(w.sink.take(kim).concat().contains(">hello</CHAT>"));

    // INFO is asked of b and its answer shown to kim.
    w.sink.cluster.clear();
    w.send(kim, "<INFO/>");
    assert!(w.sink.take(kim).is_empty());
    assert_eq!(
        w.sink.cluster,
        vec![Outbound::To(
            "b".into(),
            LinkMsg::InfoRequest {
                player: "kim".into(),
                room: "chat".into(),
                id: 4,
                seat: None,
            }
        )]
    );
    w.hear_from(
        "b",
        LinkMsg::InfoAnswer {
            player: "kim".into(),
            room: "chat".into(),
            id: 4,
            rows: vec![crate::cluster::codec::InfoRow {
                seat: 0,
                realname: "Ann A.".into(),
                host: String::new(),
            }],
        },
    );
    let out = w.sink.take(kim).concat();
    assert!(out.contains("SEAT='0'") && out.contains("Ann A."), "{out}");
}
