//! The operator's entry points (docs/control.md): the views, moderation
//! through the ADMIN code path, announcements, and the metrics the zone
//! counts.

use super::*;
use crate::control::{self, Facts, Outcome, ReloadState};
use crate::metrics::LoginKindLabel;
use crate::zone::operator::{Moderated, Moderation};

fn facts() -> Facts {
    Facts {
        uptime: Duration::from_secs(7),
        control_connections: 1,
        worker_queue: 0,
        reload: ReloadState::Never,
    }
}

fn ask(w: &mut World, request: &str, ticket: u64) -> Outcome {
    let request = control::request::parse(request.as_bytes()).expect("valid request");
    control::handle(request, ticket, &mut w.zone, &facts(), w.now, &mut w.sink)
}

#[test]
fn the_census_counts_connections_by_kind() {
    let mut w = World::standard();
    let _kim = w.guest_in("kim", 0);
    let _fresh = w.connect();
    let census = w.zone.census();
    assert_eq!(census.connections.players, 1);
    assert_eq!(census.connections.fresh, 1);
    assert_eq!(census.rooms, 2);
    assert_eq!(census.tables_total, 0);
    let Outcome::Reply(status) = ask(&mut w, r#"{"cmd":"status"}"#, 1) else {
        panic!("status is answered at once");
    };
    assert_eq!(status["players"], 1);
    assert_eq!(status["connections"]["total"], 2);
    assert_eq!(status["uptime_secs"], 7);
    assert_eq!(status["reload"]["state"], "idle");
}

#[test]
fn who_lists_players_by_name_with_room_and_gag() {
    let mut w = World::standard();
    let _zed = w.guest("zed");
    let _amy = w.guest_in("Amy", 1);
    let who = w.zone.who();
    assert_eq!(who.len(), 2);
    assert_eq!(who[0].name, "Amy");
    assert_eq!(who[0].room, Some((1, "Chat".to_string())));
    assert_eq!(who[0].kind, "guest");
    assert_eq!(who[1].room, None);
    assert!(!who[1].gagged);
}

#[test]
fn the_operator_gags_and_kicks_anyone_through_the_admin_path() {
    let mut w = World::standard();
    let troll = w.guest_in("troll", 0);
    let dave = w.guest_in("dave", 0);
    w.sink.take(dave);
    assert_eq!(
        w.zone
            .operator_moderate(1, "TROLL", Moderation::Gag, w.now, &mut w.sink),
        Moderated::Done
    );
    assert!(w.zone.who().iter().any(|p| p.name == "troll" && p.gagged));
    w.send(troll, "<CHAT TYPE='normal'>buy gold</CHAT>");
    assert!(
        w.sink.take(dave).is_empty(),
        "a gagged player's chat reaches no one else"
    );

    let outcome = ask(
        &mut w,
        r#"{"cmd":"kick","player":"troll","reason":"bye"}"#,
        2,
    );
    assert_eq!(outcome, Outcome::Reply(control::reply::ok()));
    let out = w.sink.take(troll).join("");
    assert!(
        out.contains("TYPE='private'") && out.contains("bye"),
        "{out}"
    );
    assert!(w.sink.closed.contains(&(troll, Close::AfterFlush)));
    assert!(w.zone.player(troll).is_none());

    let Outcome::Reply(reply) = ask(&mut w, r#"{"cmd":"gag","player":"troll"}"#, 3) else {
        panic!("answered at once");
    };
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["error"], "troll is not logged in");
}

#[test]
fn a_ban_waits_for_its_commit_and_carries_the_ticket() {
    let mut w = World::standard();
    let troll = w.guest_in("troll", 0);
    w.sink.jobs.clear();
    assert_eq!(
        ask(&mut w, r#"{"cmd":"ban","player":"troll"}"#, 42),
        Outcome::AwaitBan
    );
    let Some(Job::Ban { admin, address, .. }) = w.sink.jobs.pop() else {
        panic!("a ban job");
    };
    assert_eq!(admin, Moderator::Operator(42));
    assert_eq!(address.as_deref(), Some("127.0.0.1"));
    assert!(w.sink.closed.contains(&(troll, Close::AfterFlush)));

    // Offline: by name alone.
    assert_eq!(
        ask(&mut w, r#"{"cmd":"ban","player":"ghost"}"#, 43),
        Outcome::AwaitBan
    );
    let Some(Job::Ban {
        admin,
        name,
        address,
        ..
    }) = w.sink.jobs.pop()
    else {
        panic!("a ban job");
    };
    assert_eq!(
        (admin, name.as_str(), address),
        (Moderator::Operator(43), "ghost", None)
    );
    assert_eq!(control::ban_done(false)["ok"], false);
}

#[test]
fn an_announcement_reaches_players_in_and_out_of_rooms() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let lee = w.guest("lee");
    w.sink.take(kim);
    w.sink.take(lee);
    let Outcome::Reply(reply) = ask(&mut w, r#"{"cmd":"announce","text":"hi all"}"#, 1) else {
        panic!("answered at once");
    };
    assert_eq!(reply["recipients"], 2);
    for conn in [kim, lee] {
        let out = w.sink.take(conn).join("");
        assert!(
            out.contains("TYPE='announce'") && out.contains("hi all"),
            "{out}"
        );
    }
    let Outcome::Reply(reply) = ask(&mut w, r#"{"cmd":"announce","text":""}"#, 2) else {
        panic!("answered at once");
    };
    assert_eq!(reply["ok"], false);
    assert_eq!(ask(&mut w, r#"{"cmd":"reload"}"#, 3), Outcome::Reload);
}

#[test]
fn logins_and_chats_are_counted() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let late = w.connect();
    w.send(late, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    assert_eq!(w.zone.metrics().logins(LoginKindLabel::Guest, true), 1);
    assert_eq!(w.zone.metrics().logins(LoginKindLabel::Guest, false), 0);
    // The workers are asked first; the name is taken when they answer.
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    assert_eq!(w.zone.metrics().logins(LoginKindLabel::Guest, false), 1);
    assert_eq!(
        w.zone.metrics().login_latency.count(),
        2,
        "both answers timed"
    );
    w.send(late, "<LOGIN TYPE='guest'><NAME>b@d name</NAME></LOGIN>");
    assert_eq!(w.zone.metrics().logins(LoginKindLabel::Guest, false), 2);
    w.send(kim, "<CHAT TYPE='normal'>hello</CHAT>");
    assert_eq!(w.zone.metrics().chats(), 1);
}

#[test]
fn an_export_is_built_by_a_worker_and_answered_with_its_ticket() {
    let mut w = World::standard();
    let outcome = ask(&mut w, r#"{"cmd":"export-game","id":17}"#, 9);
    assert_eq!(outcome, Outcome::AwaitJob);
    let Some(Job::Replays(crate::replays::ReplaysJob::Export { ticket, id })) = w.sink.jobs.pop()
    else {
        panic!("no export job: {:?}", w.sink.jobs);
    };
    assert_eq!((ticket, id), (9, 17));
}
