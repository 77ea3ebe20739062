//! `[fanout] pacing_ms` (server/pacing.rs): a room's lines that are
//! written together still reach every member, in order, and a write held
//! for the interval goes out with nothing else happening on the server.

use std::time::Duration;

use ggzd_e2e::*;

#[test]
fn paced_room_chat_reaches_every_member_in_order() {
    // min_clients = 2: every line to this room of four is a fan-out, so
    // all but the first of a quick run of lines wait for a paced write.
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[limits]\nchat_rate = 0\n\n[fanout]\npacing_ms = 40\nmin_clients = 2\n"
            .into(),
        ..Default::default()
    });
    let mut members: Vec<_> = (0..4)
        .map(|i| server.guest_in_room(&format!("m{i}"), 0))
        .collect();
    for i in 0..10 {
        members[0]
            .send(&format!("<CHAT TYPE='normal'>line {i}</CHAT>"))
            .unwrap();
        // Apart, so that they arrive in different turns of the loop.
        std::thread::sleep(Duration::from_millis(5));
    }
    // The last lines are written at the pacing deadline alone: nobody
    // sends anything more.
    for m in members.iter_mut() {
        for i in 0..10 {
            let chat = m.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
            assert_eq!(chat.attr("FROM"), Some("m0"));
            assert_eq!(chat.text, format!("line {i}"));
        }
    }
}

#[test]
fn a_private_line_written_during_a_held_fanout_comes_after_the_held_lines() {
    // The longest interval: after the first room line, the next one is
    // held for 100 ms, and a private line for one member comes while it
    // is held. That member's queue is then written without waiting for
    // the interval (server/pacing.rs), and what it receives must still be
    // in order: the held room line before the private one. (When it
    // arrives is not asserted: tests never assert on time.)
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[limits]\nchat_rate = 0\n\n[fanout]\npacing_ms = 100\nmin_clients = 2\n"
            .into(),
        ..Default::default()
    });
    let mut members: Vec<_> = (0..4)
        .map(|i| server.guest_in_room(&format!("p{i}"), 0))
        .collect();
    for line in ["first", "held"] {
        members[0]
            .send(&format!("<CHAT TYPE='normal'>{line}</CHAT>"))
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    members[1]
        .send("<CHAT TYPE='private' TO='p2'>just for you</CHAT>")
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let chat = members[2].recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
        seen.push((chat.attr("TYPE").map(str::to_owned), chat.text));
    }
    assert_eq!(
        seen,
        [
            (Some("normal".to_owned()), "first".to_owned()),
            (Some("normal".to_owned()), "held".to_owned()),
            (Some("private".to_owned()), "just for you".to_owned()),
        ]
    );
    for m in [0, 1, 3] {
        for line in ["first", "held"] {
            let chat = members[m].recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
            assert_eq!(chat.text, line);
        }
    }
}
