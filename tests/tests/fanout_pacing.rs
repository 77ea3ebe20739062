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
