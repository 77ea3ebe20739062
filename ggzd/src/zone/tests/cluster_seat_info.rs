//! INFO of a seat held by a player of another node (docs/cluster.md §8):
//! the player's node sends the real name (and the address, only for a
//! game that allows peers) once the JOIN is granted; the table's node
//! shows them in INFO as it shows its own players'.

use super::cluster_support::remote_table;
use super::*;
use crate::cluster::tables::SeatKind;
use crate::cluster::{LinkMsg, Outbound, PlayerInfo};

fn cy_info(realname: &str, host: &str) -> LinkMsg {
    LinkMsg::SeatInfo {
        player: "Cy".into(),
        realname: realname.into(),
        host: host.into(),
    }
}

/// cy of node b asks for the free seat 1 of ann's table here; returns the
/// token.
fn cy_granted(w: &mut World) -> [u8; 16] {
    let cy = LinkMsg::Player(PlayerInfo {
        name: "Cy".into(),
        room: Some("ttt".into()),
        guest: false,
        perms: perms::REGISTERED,
        lag: 1,
        at_table: false,
        table: -1,
        stats: None,
    });
    w.hear_from("b", cy);
    w.sink.cluster.clear();
    let ask = LinkMsg::JoinRequest {
        req: 1,
        player: "Cy".into(),
        room: "ttt".into(),
        id: 1,
        spectator: false,
        seat: None,
    };
    w.hear_from("b", ask);
    match w.sink.cluster.pop() {
        Some(Outbound::To(_, LinkMsg::JoinAnswer { code: 0, token, .. })) => token,
        other => panic!("{other:?}"),
    }
}

fn info(w: &mut World, conn: ConnId) -> String {
    w.send(conn, "<INFO/>");
    w.sink.take(conn).concat()
}

#[test]
fn the_tables_node_shows_what_the_players_node_said() {
    let mut w = super::rejoin::world();
    w.zone.enable_cluster("a", 7);
    let (ann, bob, _) = w.playing();
    w.send(bob, "<LEAVE FORCE='true'/>");
    let token = cy_granted(&mut w);
    // From another node than the token's: not believed.
    w.hear_from("c", cy_info("Mallory", "6.6.6.6"));
    w.hear_from("b", cy_info("Cy C. <x>", "10.1.2.3"));
    let seated = w
        .zone
        .cluster_relay_arrived(&token, &|node| node == "b", w.now, &mut w.sink);
    assert!(seated.is_some());
    let out = info(&mut w, ann);
    assert!(
        out.contains("<PLAYERINFO SEAT='1' REALNAME='Cy C. &lt;x&gt;' PHOTO='' HOST=''/>"),
        "no host for a game without peers: {out}"
    );
    w.zone.games[0].desc.allow_peers = true;
    let out = info(&mut w, ann);
    assert!(
        out.contains("<PLAYERINFO SEAT='1' REALNAME='Cy C. &lt;x&gt;' PHOTO='' HOST='10.1.2.3'/>"),
        "{out}"
    );
    // Said again after the relay came (the two race): the seat has it.
    w.hear_from("b", cy_info("Cy", ""));
    assert!(info(&mut w, ann).contains("REALNAME='Cy' PHOTO='' HOST=''"));
}

#[test]
fn the_players_node_sends_the_real_name_once_the_join_is_granted() {
    let mut w = World::standard();
    w.zone.enable_cluster("b", 9);
    let kim = w.connect();
    w.send(
        kim,
        "<LOGIN TYPE='normal'><NAME>kim</NAME><PASSWORD>x</PASSWORD></LOGIN>",
    );
    w.finish_login(LoginOutcome::Accepted(Box::new(Account {
        user_id: 3,
        permissions: perms::REGISTERED,
        real_name: "Kim K.".into(),
        ..Default::default()
    })));
    w.send(kim, "<ENTER ROOM='1'/>");
    let table = remote_table(
        "chat",
        2,
        1,
        &[(SeatKind::Player, Some("ann")), (SeatKind::Open, None)],
    );
    w.hear_from("a", LinkMsg::Table(table));
    // Only the JOIN goes to a before the grant (the helper checks it).
    w.seated_at_remote_table(kim, "kim", 1, "a", [9; 16]);
    let said: Vec<_> = w
        .sink
        .cluster
        .iter()
        .filter(|o| matches!(o, Outbound::To(n, LinkMsg::SeatInfo { .. }) if n == "a"))
        .collect();
    assert_eq!(
        said,
        [&Outbound::To(
            "a".into(),
            LinkMsg::SeatInfo {
                player: "kim".into(),
                realname: "Kim K.".into(),
                host: String::new(),
            }
        )]
    );
}
