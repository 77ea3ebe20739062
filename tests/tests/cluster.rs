//! Three ggzd nodes on one throwaway PostgreSQL act as one zone
//! (docs/cluster.md): players see each other across nodes and chat, a
//! name is logged in on one node at a time, a node killed with SIGKILL
//! takes only its own players with it, and a restarted node rejoins.
//! Every wait is generous and nothing asserts on time.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use ggzd_e2e::*;

#[path = "support/cluster.rs"]
mod support;
use support::*;

#[test]
fn players_on_different_nodes_share_rooms_chat_and_names() {
    let url = database();
    let [a, b, c] = zone(&url);
    let mut alice = a.guest_in_room("alice", 0);
    let mut bob = b.guest_in_room("bob", 0);
    // Each sees the other as a player of the room, as a local one.
    wait_players(&mut alice, &["alice", "bob"]);
    wait_players(&mut bob, &["alice", "bob"]);
    assert_eq!(room_count(&mut alice, "0").as_deref(), Some("2"));

    // A third player arriving on c is announced to both with UPDATE.
    let mut carl = c.guest_in_room("carl", 0);
    for client in [&mut alice, &mut bob] {
        client
            .recv_until(SLOW, |e| {
                e.is("UPDATE")
                    && e.attr("ACTION") == Some("add")
                    && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("carl")
            })
            .expect("UPDATE player add for carl");
    }
    wait_players(&mut carl, &["alice", "bob", "carl"]);

    // Room chat crosses nodes.
    assert_eq!(
        request(
            &mut alice,
            "<CHAT TYPE='normal'>hello &amp; welcome</CHAT>",
            "chat"
        ),
        "ok"
    );
    assert_eq!(chat_from(&mut bob, "normal", "alice"), "hello & welcome");
    assert_eq!(chat_from(&mut carl, "normal", "alice"), "hello & welcome");

    // Private chat and beeps reach their one recipient on another node.
    assert_eq!(
        request(
            &mut bob,
            "<CHAT TYPE='private' TO='carl'>psst</CHAT>",
            "chat"
        ),
        "ok"
    );
    assert_eq!(chat_from(&mut carl, "private", "bob"), "psst");
    assert_eq!(
        request(&mut carl, "<CHAT TYPE='beep' TO='Alice'/>", "chat"),
        "ok"
    );
    chat_from(&mut alice, "beep", "carl");
    assert_eq!(
        request(
            &mut carl,
            "<CHAT TYPE='private' TO='nobody'>?</CHAT>",
            "chat"
        ),
        "usr lookup"
    );

    // An account registered through a logs in on c; an admin made with
    // ggzduedit on the shared database announces from c to everyone.
    assert_eq!(
        login(&a, LoginKind::First, "dora", Some("pw")),
        "ok",
        "registration on a"
    );
    let mut dora = registered(&c, "dora");
    add_account(&a, "boss", "pw", Some("admin"));
    let mut boss = registered(&c, "boss");
    enter(&mut boss, 0);
    assert_eq!(
        request(
            &mut boss,
            "<CHAT TYPE='announce'>maintenance</CHAT>",
            "chat"
        ),
        "ok"
    );
    assert_eq!(chat_from(&mut alice, "announce", "boss"), "maintenance");
    assert_eq!(chat_from(&mut bob, "announce", "boss"), "maintenance");

    // One name, one node: dora (registered, on c) and bob (a guest, on
    // b) are refused elsewhere, as a duplicate login on one node is.
    assert_eq!(
        login(&b, LoginKind::Normal, "dora", Some("pw")),
        "already logged in"
    );
    assert_eq!(
        login(&a, LoginKind::Guest, "bob", None),
        "already logged in"
    );
    // Once dora logs out, her name is free on every node.
    dora.logout().unwrap();
    let _dora = registered(&b, "dora");

    // Garbage on c's link port costs that connection only.
    let line = c
        .wait_for_log("listening for node links on ", TIMEOUT)
        .unwrap();
    let port: std::net::SocketAddr = line
        .rsplit("listening for node links on ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .expect("the link address in the log");
    let mut junk = std::net::TcpStream::connect(port).unwrap();
    junk.write_all(b"\x00\x00\x00\x05GET / HTTP/1.0\r\n\r\n")
        .unwrap();
    assert!(
        c.wait_for_log("link dropped", SLOW).is_some(),
        "{}",
        c.log()
    );
    assert_eq!(
        request(&mut alice, "<CHAT>still one zone</CHAT>", "chat"),
        "ok"
    );
    assert_eq!(chat_from(&mut carl, "normal", "alice"), "still one zone");
}

#[test]
fn a_killed_node_takes_only_its_players_and_a_restarted_one_rejoins() {
    let url = database();
    let [a, b, c] = zone(&url);
    let mut alice = a.guest_in_room("alice", 0);
    let _bob = b.guest_in_room("bob", 0);
    let mut carl = c.guest_in_room("carl", 0);
    wait_players(&mut alice, &["alice", "bob", "carl"]);
    wait_players(&mut carl, &["alice", "bob", "carl"]);

    b.signal(libc::SIGKILL);
    for client in [&mut alice, &mut carl] {
        client
            .recv_until(SLOW, |e| {
                e.is("UPDATE")
                    && e.attr("ACTION") == Some("delete")
                    && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("bob")
            })
            .expect("UPDATE player delete for bob");
    }
    wait_players(&mut alice, &["alice", "carl"]);
    wait_players(&mut carl, &["alice", "carl"]);
    // Nothing else was affected: a and c still chat.
    assert_eq!(request(&mut carl, "<CHAT>still here</CHAT>", "chat"), "ok");
    assert_eq!(chat_from(&mut alice, "normal", "carl"), "still here");
    // bob's name was freed with his node (by whichever node noticed
    // first: a login may come a moment before that commit).
    let deadline = Instant::now() + SLOW;
    let mut bob_again = loop {
        let mut client = a.connect();
        let code = client
            .login(LoginKind::Guest, "bob", None, None)
            .unwrap()
            .code;
        if code == "ok" {
            client.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
            enter(&mut client, 0);
            break client;
        }
        assert!(Instant::now() < deadline, "bob still refused: {code}");
        std::thread::sleep(Duration::from_millis(200));
    };
    wait_players(&mut carl, &["alice", "bob", "carl"]);
    bob_again.logout().unwrap();
    wait_players(&mut carl, &["alice", "carl"]);
    drop(b);

    // b comes back (a new life of the same node) and is one zone again.
    let b = node(&url, "b");
    wait_links(&b, &["a", "c"]);
    let mut bea = b.guest_in_room("bea", 0);
    wait_players(&mut bea, &["alice", "bea", "carl"]);
    wait_players(&mut alice, &["alice", "bea", "carl"]);
    // c too sees bea once its link to the new b is up (chat sent before
    // that waits in b's outbox for c, docs/cluster.md §3).
    wait_players(&mut carl, &["alice", "bea", "carl"]);
    assert_eq!(request(&mut bea, "<CHAT>back again</CHAT>", "chat"), "ok");
    assert_eq!(chat_from(&mut alice, "normal", "bea"), "back again");
    assert_eq!(chat_from(&mut carl, "normal", "bea"), "back again");
}

#[test]
fn a_cluster_without_postgres_is_refused_by_check_config() {
    let dir = TempDir::new("clustercheck");
    let path = dir.path().join("ggzd.toml");
    std::fs::write(&path, "[cluster]\nnode = \"a\"\n").unwrap();
    let out = Command::new(bin("ggzd"))
        .arg("--check-config")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("cluster.node") && said.contains("postgres"),
        "{said}"
    );
}
