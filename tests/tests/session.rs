//! Greeting, login of every kind with every error code, MOTD, and the
//! requests that need a login.

use std::io::{Read, Write};
use std::net::TcpStream;

use ggzd_e2e::*;

#[test]
fn greeting_is_sent_exactly_as_the_spec_gives_it() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let expected = format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
         <SERVER ID='GGZ-{}' NAME='An Unconfigured GGZ Server' VERSION='10' STATUS='ok' TLS_SUPPORT='no'>\n\
         <OPTIONS CHATLEN='512'/>\n</SERVER>\n",
        ggzd::VERSION
    );
    let mut got = vec![0u8; expected.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(String::from_utf8(got).unwrap(), expected);
}

#[test]
fn guest_login_gets_ok_then_the_motd() {
    let server = TestServer::start_with(ServerOptions {
        motd: Some("line one %p\n# not a comment\n".into()),
        ..Default::default()
    });
    let mut client = server.connect();
    let reply = client.login(LoginKind::Guest, "kim", None, None).unwrap();
    assert_eq!(reply.code, "ok");
    let motd = client.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    assert_eq!(motd.attr("PRIORITY"), Some("normal"));
    assert_eq!(
        motd.text,
        format!("\nline one {}\n# not a comment\n", server.addr.port())
    );
    // And again on request.
    client.send("<MOTD/>").unwrap();
    let again = client.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    assert_eq!(again.text, motd.text);
}

#[test]
fn motd_text_with_cdata_terminator_stays_well_formed() {
    let server = TestServer::start_with(ServerOptions {
        motd: Some("a ]]> b & <c>\n".into()),
        ..Default::default()
    });
    let mut client = server.guest("kim");
    client.send("<MOTD/>").unwrap();
    let motd = client.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    assert_eq!(motd.text, "\na ]]> b & <c>\n");
}

#[test]
fn requests_before_login_get_not_logged_in() {
    let server = TestServer::start();
    let mut client = server.connect();
    for (xml, action) in [
        ("<LIST TYPE='room'/>", "list"),
        ("<ENTER ROOM='0'/>", "enter"),
        ("<CHAT TYPE='normal'>hi</CHAT>", "chat"),
        ("<MOTD/>", "motd"),
        ("<JOIN TABLE='1' SPECTATOR='false'/>", "join"),
        (
            "<ADMINPERM PLAYER='x' PERM='join_table' VALUE='true'/>",
            "admin",
        ),
        ("<PONG/>", "pong"),
    ] {
        assert_eq!(request(&mut client, xml, action), "not logged in", "{xml}");
    }
    // PING works before login.
    client.send("<PING ID='abc'/>").unwrap();
    let pong = client.recv_until(TIMEOUT, |e| e.is("PONG")).unwrap();
    assert_eq!(pong.attr("ID"), Some("abc"));
}

#[test]
fn login_errors_have_the_spec_codes() {
    let server = TestServer::start();
    let mut c = server.connect();
    // No NAME.
    assert_eq!(
        request(&mut c, "<LOGIN TYPE='guest'></LOGIN>", "login"),
        "bad options"
    );
    // Unknown TYPE.
    assert_eq!(
        request(
            &mut c,
            "<LOGIN TYPE='wizard'><NAME>x</NAME></LOGIN>",
            "login"
        ),
        "bad options"
    );
    // Normal login without a password.
    assert_eq!(
        request(
            &mut c,
            "<LOGIN TYPE='normal'><NAME>x</NAME></LOGIN>",
            "login"
        ),
        "bad options"
    );
    assert_eq!(
        c.login(LoginKind::Guest, "abcdefghijklmnopq", None, None)
            .unwrap()
            .code,
        "too long"
    );
    for bad in ["a b", "50%", "a&b", "back\\slash", "<none>", "tab\tname"] {
        assert_eq!(
            c.login(LoginKind::Guest, bad, None, None).unwrap().code,
            "bad username",
            "{bad:?}"
        );
    }
    assert_eq!(
        c.login(LoginKind::Normal, "nobody", Some("pw"), None)
            .unwrap()
            .code,
        "user not found"
    );
    // After all those failures the same connection may still log in.
    assert_eq!(
        c.login(LoginKind::Guest, "kim", None, None).unwrap().code,
        "ok"
    );
    assert_eq!(
        c.login(LoginKind::Guest, "kim2", None, None).unwrap().code,
        "already logged in"
    );
}

#[test]
fn names_are_unique_case_insensitively() {
    let server = TestServer::start();
    let _kim = server.guest("Kim");
    let mut other = server.connect();
    assert_eq!(
        other
            .login(LoginKind::Guest, "kIM", None, None)
            .unwrap()
            .code,
        "already logged in"
    );
}

#[test]
fn registration_then_normal_login() {
    let server = TestServer::start();
    let mut c = server.connect();
    let reply = c
        .login(
            LoginKind::First,
            "alice",
            Some("secret"),
            Some("a@example.org"),
        )
        .unwrap();
    assert_eq!(reply.code, "ok");
    assert_eq!(reply.password.as_deref(), Some("secret"));
    c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    c.logout().unwrap();

    let mut again = server.connect();
    assert_eq!(
        again
            .login(LoginKind::First, "Alice", Some("other"), None)
            .unwrap()
            .code,
        "username already taken"
    );
    let mut wrong = server.connect();
    assert_eq!(
        wrong
            .login(LoginKind::Normal, "alice", Some("nope"), None)
            .unwrap()
            .code,
        "usr lookup"
    );
    let mut guest = server.connect();
    assert_eq!(
        guest
            .login(LoginKind::Guest, "ALICE", None, None)
            .unwrap()
            .code,
        "wrong login type"
    );
    let mut right = server.connect();
    assert_eq!(
        right
            .login(LoginKind::Normal, "alice", Some("secret"), None)
            .unwrap()
            .code,
        "ok"
    );
}

#[test]
fn registration_without_password_gets_a_generated_one() {
    let server = TestServer::start();
    let mut c = server.connect();
    let reply = c.login(LoginKind::First, "bob", None, None).unwrap();
    assert_eq!(reply.code, "ok");
    let password = reply.password.expect("generated password echoed");
    assert!(password.len() >= 8, "{password:?}");
    c.logout().unwrap();
    let mut again = server.connect();
    assert_eq!(
        again
            .login(LoginKind::Normal, "bob", Some(&password), None)
            .unwrap()
            .code,
        "ok"
    );
}

#[test]
fn registration_policy_closed_refuses_guests_and_registrations() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[policy]\nregistration = \"closed\"\n".into(),
        ..Default::default()
    });
    let mut c = server.connect();
    assert_eq!(
        c.login(LoginKind::Guest, "kim", None, None).unwrap().code,
        "wrong login type"
    );
    assert_eq!(
        c.login(LoginKind::First, "kim", Some("pw"), None)
            .unwrap()
            .code,
        "wrong login type"
    );
}

#[test]
fn registration_policy_confirm_creates_unconfirmed_accounts() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[policy]\nregistration = \"confirm\"\n".into(),
        ..Default::default()
    });
    let mut c = server.connect();
    assert_eq!(
        c.login(LoginKind::First, "newbie", Some("pw"), None)
            .unwrap()
            .code,
        "usr lookup"
    );
    let mut again = server.connect();
    assert_eq!(
        again
            .login(LoginKind::First, "newbie", Some("pw"), None)
            .unwrap()
            .code,
        "username already taken"
    );
    assert_eq!(
        again
            .login(LoginKind::Normal, "newbie", Some("pw"), None)
            .unwrap()
            .code,
        "usr lookup"
    );
}

#[test]
fn logout_is_answered_with_session_end() {
    let server = TestServer::start();
    let mut c = server.guest("kim");
    c.logout().unwrap();
    assert!(c.wait_closed(TIMEOUT).unwrap());
    assert!(c.session_ended());
    // The name is free again.
    let _again = server.guest("kim");
}

#[test]
fn raw_client_may_send_header_and_login_in_one_write() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
        .write_all(
            b"<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<LOGIN TYPE='guest'>\n<NAME>kim</NAME>\n</LOGIN>\n",
        )
        .unwrap();
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while !text.contains("</MOTD>") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {text}");
        text.push_str(std::str::from_utf8(&buf[..n]).unwrap());
    }
    assert!(
        text.contains(
            "<RESULT ACTION='login' CODE='ok'/>\n<MOTD PRIORITY='normal' URL=''><![CDATA["
        )
    );
}

#[test]
fn username_policy_from_the_config() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[policy.username]\nmax_length = 8\nreserved = [\"<none>\", \"root\"]\n"
            .into(),
        ..Default::default()
    });
    let mut c = server.connect();
    assert_eq!(
        c.login(LoginKind::Guest, "ninechars", None, None)
            .unwrap()
            .code,
        "too long"
    );
    assert_eq!(
        c.login(LoginKind::Guest, "ROOT", None, None).unwrap().code,
        "bad username"
    );
    assert_eq!(
        c.login(LoginKind::Guest, "eight888", None, None)
            .unwrap()
            .code,
        "ok"
    );
}
