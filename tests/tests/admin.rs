//! Moderation over TCP: an admin made with ggzduedit gags, kicks, bans and
//! changes permissions; bans survive a restart.

use std::process::Command;

use ggzd_e2e::*;

fn login(server: &TestServer, name: &str) -> Client {
    let mut c = server.connect();
    assert_eq!(
        c.login(LoginKind::Normal, name, Some("pw"), None)
            .unwrap()
            .code,
        "ok"
    );
    c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    c
}

#[test]
fn an_admin_moderates_over_the_protocol() {
    let server = TestServer::start();
    add_account(&server, "boss", "pw", Some("admin"));
    add_account(&server, "dave", "pw", Some("registered"));
    let mut boss = login(&server, "boss");
    enter(&mut boss, 0);
    let mut dave = login(&server, "dave");
    enter(&mut dave, 0);
    let mut troll = server.guest_in_room("troll", 0);

    // Announce, which needs chat_announce.
    assert_eq!(
        request(&mut boss, "<CHAT TYPE='announce'>hello all</CHAT>", "chat"),
        "ok"
    );
    let line = troll.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
    assert_eq!(line.attr("TYPE"), Some("announce"));

    // Gag: the troll's chat reaches no one else.
    assert_eq!(
        request(&mut dave, "<ADMIN ACTION='gag' PLAYER='troll'/>", "admin"),
        "no permission"
    );
    assert_eq!(
        request(&mut boss, "<ADMIN ACTION='gag' PLAYER='troll'/>", "admin"),
        "ok"
    );
    assert_eq!(request(&mut troll, "<CHAT>buy gold</CHAT>", "chat"), "ok");
    assert_eq!(request(&mut dave, "<CHAT>clean</CHAT>", "chat"), "ok");
    let seen = dave
        .recv_until(TIMEOUT, |e| {
            e.is("CHAT") && e.attr("TYPE") == Some("normal")
        })
        .unwrap();
    assert_eq!(seen.text, "clean", "the gagged line never arrived");

    // ADMINPERM: dave becomes a host, and the room sees it.
    assert_eq!(
        request(
            &mut boss,
            "<ADMINPERM PLAYER='dave' PERM='edit_tables' VALUE='true'/>",
            "admin"
        ),
        "ok"
    );
    let update = troll
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("perms")
        })
        .unwrap();
    let p = update.child("PLAYER").unwrap();
    assert_eq!(
        (p.attr("ID"), p.attr("TYPE"), p.attr("PERMS")),
        (Some("dave"), Some("host"), Some("0x00000087"))
    );

    // Kick: the reason arrives, then the connection is cut.
    assert_eq!(
        request(&mut boss, "<ADMIN ACTION='kick' PLAYER='troll'/>", "admin"),
        "bad options"
    );
    assert_eq!(
        request(
            &mut boss,
            "<ADMIN ACTION='kick' PLAYER='troll'><REASON>spam</REASON></ADMIN>",
            "admin"
        ),
        "ok"
    );
    let reason = troll
        .recv_until(TIMEOUT, |e| {
            e.is("CHAT") && e.attr("TYPE") == Some("private")
        })
        .unwrap();
    assert_eq!(
        (reason.attr("TYPE"), reason.text.as_str()),
        (Some("private"), "spam")
    );
    assert!(troll.wait_closed(TIMEOUT).unwrap());
    assert!(!troll.session_ended(), "a kick sends no </SESSION>");
}

#[test]
fn bans_outlive_a_restart() {
    let tmp = TempDir::new("ban");
    let data = tmp.path().join("data");
    let options = ServerOptions {
        data_dir: Some(data.clone()),
        ..Default::default()
    };
    let mut server = TestServer::start_with(options.clone());
    add_account(&server, "boss", "pw", Some("admin"));
    let mut boss = login(&server, "boss");
    enter(&mut boss, 0);
    let mut troll = server.guest_in_room("troll", 0);
    assert_eq!(
        request(
            &mut boss,
            "<ADMIN ACTION='ban' PLAYER='troll'><REASON>again</REASON></ADMIN>",
            "admin"
        ),
        "ok"
    );
    assert!(troll.wait_closed(TIMEOUT).unwrap());
    // Same name again: refused.
    let mut again = server.connect();
    assert_eq!(
        again
            .login(LoginKind::Guest, "troll", None, None)
            .unwrap()
            .code,
        "usr lookup"
    );
    // Restart on the same database.
    drop(boss);
    drop(again);
    server.signal(libc::SIGTERM);
    server.wait_exit(TIMEOUT).expect("clean exit");
    let restarted = TestServer::start_with(options);
    let mut c = restarted.connect();
    assert_eq!(
        c.login(LoginKind::Guest, "troll", None, None).unwrap().code,
        "usr lookup"
    );
    assert_eq!(
        c.login(LoginKind::Guest, "friend", None, None)
            .unwrap()
            .code,
        "usr lookup",
        "same address is banned too"
    );
}

#[test]
fn permission_changes_by_the_tool_reach_online_players_at_once() {
    let server = TestServer::start();
    add_account(&server, "dave", "pw", Some("registered"));
    let mut dave = login(&server, "dave");
    enter(&mut dave, 0);
    let mut watcher = server.guest_in_room("watcher", 0);
    let out = Command::new(bin("ggzduedit"))
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["perms", "dave", "--role", "host"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The tool finds the running ggzd by its pid file and has it re-read
    // permissions: no manual reload needed.
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("ggzd (pid {})", server.pid())),
        "{said}"
    );
    let update = watcher
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("perms")
        })
        .unwrap();
    let p = update.child("PLAYER").unwrap();
    assert_eq!(
        (p.attr("ID"), p.attr("TYPE"), p.attr("PERMS")),
        (Some("dave"), Some("host"), Some("0x00000187"))
    );
    // And the new rights work at once: hosts may gag.
    assert_eq!(
        request(&mut dave, "<ADMIN ACTION='gag' PLAYER='watcher'/>", "admin"),
        "ok"
    );
}

#[test]
fn bans_made_with_the_tool_refuse_logins_until_lifted() {
    let server = TestServer::start();
    let tool = |args: &[&str]| {
        Command::new(bin("ggzduedit"))
            .arg("-f")
            .arg(server.dir.path().join("ggzd.toml"))
            .args(args)
            .output()
            .unwrap()
    };
    // The database exists once the server started.
    let out = tool(&["ban", "Mallory", "--hours", "2", "--reason", "cheating"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(tool(&["bans"]).stdout).unwrap();
    assert!(
        list.contains("mallory") && list.contains("cheating") && list.contains(" UTC\t"),
        "{list}"
    );
    let mut c = server.connect();
    assert_eq!(
        c.login(LoginKind::Guest, "mallory", None, None)
            .unwrap()
            .code,
        "usr lookup"
    );
    assert_eq!(
        c.login(LoginKind::Guest, "alice", None, None).unwrap().code,
        "ok"
    );
    assert!(tool(&["unban", "mallory"]).status.success());
    assert_eq!(
        tool(&["unban", "mallory"]).status.code(),
        Some(2),
        "nothing left to lift"
    );
    let mut d = server.connect();
    assert_eq!(
        d.login(LoginKind::Guest, "mallory", None, None)
            .unwrap()
            .code,
        "ok"
    );
}
