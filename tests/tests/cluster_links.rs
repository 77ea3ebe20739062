//! A node link rebuilt under chat (docs/cluster.md §3): lines sent while
//! the link to a live node is down wait in its outbox and follow the new
//! link's snapshot. Nothing asserts on time.

use std::io::Write;

use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;
use support::*;

#[test]
fn chat_sent_while_a_link_is_down_arrives_after_it_is_rebuilt() {
    let url = database();
    let [a, b, _c] = zone(&url);
    let mut alice = a.guest_in_room("alice", 0);
    let mut bob = b.guest_in_room("bob", 0);
    wait_players(&mut alice, &["alice", "bob"]);
    wait_players(&mut bob, &["alice", "bob"]);

    // b is frozen (for less than dead_after), and a's link to it is taken
    // over by a second link claiming to be b — from b's own address, so a
    // believes it — which then closes: a has no link to b, and cannot
    // make one until b runs again.
    let b_incarnation = incarnation(&url, "b");
    b.signal(libc::SIGSTOP);
    let downs = a.count_log("cluster: link to b is down");
    let mut fake = std::net::TcpStream::connect(link_addr(&a)).unwrap();
    fake.write_all(&hello_frame("b", b_incarnation)).unwrap();
    wait_log_count(&a, "cluster: link to b is down", downs + 1);
    drop(fake);
    wait_log_count(&a, "cluster: link to b is down", downs + 2);

    assert_eq!(
        request(&mut alice, "<CHAT>while you were away</CHAT>", "chat"),
        "ok"
    );
    assert_eq!(
        request(
            &mut alice,
            "<CHAT TYPE='private' TO='bob'>held for you</CHAT>",
            "chat"
        ),
        "ok"
    );
    b.signal(libc::SIGCONT);

    assert_eq!(
        chat_from(&mut bob, "normal", "alice"),
        "while you were away"
    );
    assert_eq!(chat_from(&mut bob, "private", "alice"), "held for you");
    // The log is read from a pipe and may lag behind what bob heard.
    assert!(
        a.wait_for_log("chat frame(s) held for b follow its snapshot", SLOW)
            .is_some(),
        "{}",
        a.log()
    );
    assert_eq!(a.count_log("cluster: node b is dead"), 0, "{}", a.log());
    // The zone is whole again, both ways.
    wait_players(&mut bob, &["alice", "bob"]);
    assert_eq!(request(&mut bob, "<CHAT>back</CHAT>", "chat"), "ok");
    assert_eq!(chat_from(&mut alice, "normal", "bob"), "back");
}
