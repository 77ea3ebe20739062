//! Chat flood control over TCP: lines beyond the burst are delayed and
//! delivered, in order, and answered once each; only a client flooding
//! past its backlog is refused or disconnected (docs/chat-flood.md).

use std::time::Duration;

use ggzd_e2e::*;

/// Sends `n` room chats in one write, numbered from `first`.
fn burst(client: &mut Client, first: usize, n: usize) {
    let lines: String = (first..first + n)
        .map(|i| format!("<CHAT TYPE='normal'>line {i:02}</CHAT>\n"))
        .collect();
    client.send(&lines).unwrap();
}

/// The next `RESULT`, whatever its action.
fn next_result(client: &mut Client) -> Element {
    client.recv_until(TIMEOUT, |e| e.is("RESULT")).unwrap()
}

fn server_with(config: &str) -> TestServer {
    TestServer::start_with(ServerOptions {
        extra_config: config.into(),
        ..Default::default()
    })
}

#[test]
fn a_burst_of_thirty_lines_all_arrives_in_order_the_excess_later() {
    // Burst 10, then 5 lines a second: the 20 lines beyond the burst wait
    // and go out over about four seconds.
    let server = server_with("[limits]\nchat_burst = 10\nchat_rate = 5.0\n");
    let mut kim = server.guest_in_room("kim", 0);
    let mut bob = server.guest_in_room("bob", 0);
    burst(&mut kim, 0, 30);
    // A request that is not chat, sent right behind the burst, is answered
    // at once: its answer overtakes those of the waiting lines, which come
    // only when the timer releases them.
    kim.send("<LIST TYPE='room'/>").unwrap();
    let mut order = Vec::new();
    while order.iter().filter(|a| *a == "chat").count() < 30 {
        let result = next_result(&mut kim);
        assert_eq!(
            result.attr("CODE"),
            Some("ok"),
            "every line is delivered: {result:?}"
        );
        order.push(result.attr("ACTION").unwrap_or_default().to_owned());
    }
    let list_at = order.iter().position(|a| a == "list");
    assert_eq!(list_at, Some(10), "{order:?}");
    // bob got all thirty, in the order sent.
    let mut seen = Vec::new();
    while seen.len() < 30 {
        let chat = bob.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
        assert_eq!(chat.attr("FROM"), Some("kim"));
        seen.push(chat.text);
    }
    let expected: Vec<String> = (0..30).map(|i| format!("line {i:02}")).collect();
    assert_eq!(seen, expected);
}

#[test]
fn flooding_past_the_backlog_is_refused_in_turn() {
    let server =
        server_with("[limits]\nchat_burst = 10\nchat_rate = 10.0\n[chat_backlog]\nlines = 5\n");
    let mut kim = server.guest_in_room("kim", 0);
    burst(&mut kim, 0, 20);
    let codes: Vec<String> = (0..20)
        .map(|_| {
            let r = kim.expect_result("chat", TIMEOUT).unwrap();
            r.attr("CODE").unwrap_or_default().to_owned()
        })
        .collect();
    // 10 at once, 5 after waiting, then the 5 that found the backlog full.
    let mut expected = vec!["ok"; 15];
    expected.extend(["bad options"; 5]);
    assert_eq!(codes, expected);
    // The flood is over: the bucket refills and kim chats normally again.
    let ok = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        request(&mut kim, "<CHAT>calm now</CHAT>", "chat") == "ok"
    });
    assert!(ok, "chat works again after the flood");
}

#[test]
fn flooding_past_the_backlog_can_cost_the_connection() {
    let server = server_with(
        "[limits]\nchat_burst = 5\nchat_rate = 1.0\n\
         [chat_backlog]\nlines = 5\noverflow = \"disconnect\"\n",
    );
    let mut kim = server.guest_in_room("kim", 0);
    let mut bob = server.guest_in_room("bob", 0);
    burst(&mut kim, 0, 12);
    assert!(kim.wait_closed(TIMEOUT).unwrap(), "the flooder is gone");
    // The room hears of kim leaving; bob is fine and can still chat.
    bob.recv_until(TIMEOUT, |e| {
        e.is("UPDATE")
            && e.attr("ACTION") == Some("delete")
            && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("kim")
    })
    .unwrap();
    assert_eq!(request(&mut bob, "<CHAT>still here</CHAT>", "chat"), "ok");
}
