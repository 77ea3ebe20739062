//! The operator's interfaces against a live server: `ggzd-ctl` over the
//! control socket (every subcommand, text and `--json`), the Prometheus
//! endpoint scraped with a plain TCP client, and the systemd STATUS= line.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Command, Output};

use ggzd_e2e::metrics::{metrics_addr, sample, scrape};
use ggzd_e2e::*;
use serde_json::Value;

fn socket(server: &TestServer) -> PathBuf {
    server.dir.path().join("data").join("ggzd.ctl")
}

fn ctl(server: &TestServer, args: &[&str]) -> Output {
    Command::new(bin("ggzd-ctl"))
        .arg("-s")
        .arg(socket(server))
        .args(args)
        .output()
        .expect("run ggzd-ctl")
}

/// Runs `ggzd-ctl --json ARGS` and parses its reply.
fn ctl_json(server: &TestServer, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ctl(server, &all);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text:?}; stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), value)
}

fn ctl_text(server: &TestServer, args: &[&str]) -> String {
    let out = ctl(server, args);
    assert!(
        out.status.success(),
        "ggzd-ctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn status_who_and_tables_describe_the_server() {
    let server = TestServer::start();
    let mode = std::fs::metadata(socket(&server))
        .expect("control socket exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "owner only by default");
    let _kim = server.guest_in_room("kim", 0);
    let _lee = server.guest("lee");

    let (code, status) = ctl_json(&server, &["status"]);
    assert_eq!(code, 0);
    assert_eq!(status["ok"], true);
    assert_eq!(status["players"], 2);
    assert_eq!(status["connections"]["players"], 2);
    assert_eq!(status["tables"], 0);
    assert!(status["rooms"].as_u64().unwrap() >= 2);
    assert_eq!(status["tables_by_game"]["TicTacToe"], 0);
    assert_eq!(status["reload"]["state"], "idle");
    assert!(status["worker_queue"].is_u64());
    assert_eq!(status["login_queue"], 0);

    let (_, who) = ctl_json(&server, &["who"]);
    let players = who["players"].as_array().unwrap();
    let names: Vec<&str> = players
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kim", "lee"]);
    assert_eq!(players[0]["kind"], "guest");
    assert_eq!(players[0]["room"], 0);
    assert_eq!(players[0]["address"], "127.0.0.1");
    assert_eq!(players[1]["room"], Value::Null);

    let (_, tables) = ctl_json(&server, &["tables"]);
    assert_eq!(tables["tables"], serde_json::json!([]));

    let text = ctl_text(&server, &["status"]);
    assert!(text.contains("players:      2"), "{text}");
    let text = ctl_text(&server, &["who"]);
    assert!(
        text.contains("kim") && text.ends_with("2 player(s)\n"),
        "{text}"
    );
    let text = ctl_text(&server, &["tables"]);
    assert_eq!(text, "0 table(s)\n");
}

#[test]
fn kick_gag_and_ban_reach_the_player() {
    let server = TestServer::start();
    let mut troll = server.guest_in_room("troll", 0);
    let mut dave = server.guest_in_room("dave", 0);

    // Gag: the troll's chat reaches no one else.
    let (code, reply) = ctl_json(&server, &["gag", "troll"]);
    assert_eq!((code, &reply["ok"]), (0, &Value::Bool(true)), "{reply}");
    let (_, who) = ctl_json(&server, &["who"]);
    assert_eq!(who["players"][1]["gagged"], true, "{who}");
    assert_eq!(request(&mut troll, "<CHAT>buy gold</CHAT>", "chat"), "ok");
    assert_eq!(request(&mut dave, "<CHAT>clean</CHAT>", "chat"), "ok");
    let seen = dave
        .recv_until(TIMEOUT, |e| {
            e.is("CHAT") && e.attr("TYPE") == Some("normal")
        })
        .unwrap();
    assert_eq!(seen.text, "clean", "the gagged line never arrived");
    assert!(ctl_text(&server, &["ungag", "troll"]).contains("ungagged troll"));

    // Kick: the reason arrives as a private message, then the cut.
    let out = ctl(&server, &["kick", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "no such player");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not logged in"));
    assert!(ctl_text(&server, &["kick", "troll", "go", "away"]).contains("kicked troll"));
    let reason = troll
        .recv_until(TIMEOUT, |e| {
            e.is("CHAT") && e.attr("TYPE") == Some("private")
        })
        .unwrap();
    assert_eq!(reason.text, "go away");
    assert!(troll.wait_closed(TIMEOUT).unwrap());

    // Ban: cut at once, and the name stays refused.
    let mut troll = server.guest_in_room("troll", 0);
    let (code, reply) = ctl_json(&server, &["ban", "troll", "again"]);
    assert_eq!((code, &reply["ok"]), (0, &Value::Bool(true)), "{reply}");
    assert!(troll.wait_closed(TIMEOUT).unwrap());
    let mut again = server.connect();
    assert_eq!(
        again
            .login(LoginKind::Guest, "troll", None, None)
            .unwrap()
            .code,
        "usr lookup"
    );
    // A name that is not online is banned by name alone.
    let (code, _) = ctl_json(&server, &["ban", "absent"]);
    assert_eq!(code, 0);
    let mut absent = server.connect();
    assert_eq!(
        absent
            .login(LoginKind::Guest, "absent", None, None)
            .unwrap()
            .code,
        "usr lookup"
    );
}

#[test]
fn announce_reaches_everyone_and_reload_rereads_the_motd() {
    let server = TestServer::start_with(ServerOptions {
        motd: Some("first motd\n".into()),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 0);
    let mut lee = server.guest("lee");
    let (code, reply) = ctl_json(&server, &["announce", "maintenance", "at", "noon"]);
    assert_eq!(code, 0);
    assert_eq!(reply["recipients"], 2);
    for client in [&mut kim, &mut lee] {
        let line = client
            .recv_until(TIMEOUT, |e| {
                e.is("CHAT") && e.attr("TYPE") == Some("announce")
            })
            .unwrap();
        assert_eq!(line.text, "maintenance at noon");
    }

    std::fs::write(
        server.dir.path().join("conf").join("ggzd.motd"),
        "second motd\n",
    )
    .unwrap();
    assert_eq!(ctl_text(&server, &["reload"]), "reloaded\n");
    kim.send("<MOTD/>").unwrap();
    let motd = kim.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    assert!(motd.text.contains("second motd"), "{}", motd.text);
    let (_, status) = ctl_json(&server, &["status"]);
    assert_eq!(status["reload"]["last"], "ok", "{status}");
}

#[test]
fn odd_control_requests_get_an_error_and_cost_nothing_else() {
    use std::io::BufRead;
    let server = TestServer::start();
    let mut stream = std::os::unix::net::UnixStream::connect(socket(&server)).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
        .write_all(b"nonsense\n{\"cmd\":\"launch\"}\n{\"cmd\":\"status\"}\n")
        .unwrap();
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    for expect_ok in [false, false, true] {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let reply: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(reply["ok"], expect_ok, "{line}");
    }
    // A line past the bound ends that connection, and only that one.
    stream.write_all(&vec![b'x'; 8192]).unwrap();
    let mut rest = String::new();
    let _ = reader.read_line(&mut rest);
    assert!(rest.contains("\"ok\":false"), "{rest}");
    let _kim = server.guest("kim");
    let (code, _) = ctl_json(&server, &["status"]);
    assert_eq!(code, 0);
}

#[test]
fn metrics_count_logins_chats_and_tables() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[metrics]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Default::default()
    });
    let addr = metrics_addr(&server);

    let before = scrape(addr);
    let guests_ok = "ggzd_logins_total{kind=\"guest\",outcome=\"ok\"}";
    let chats = "ggzd_chat_messages_total{type=\"normal\"}";
    let launched = "ggzd_tables_launched_total{game=\"TicTacToe\"}";
    assert_eq!(sample(&before, guests_ok), 0.0);
    assert_eq!(sample(&before, "ggzd_connections{kind=\"player\"}"), 0.0);

    let mut kim = server.guest_in_room("kim", 1);
    assert_eq!(request(&mut kim, "<CHAT>hello</CHAT>", "chat"), "ok");
    let _channel = open_game_channel(&server, "kim");
    kim.send(
        "<LAUNCH><TABLE GAME='0' SEATS='2'><DESC>m</DESC><SEAT NUM='0' TYPE='open'/>\
         <SEAT NUM='1' TYPE='bot'>Alfred</SEAT></TABLE></LAUNCH>",
    )
    .unwrap();
    assert_eq!(result_code(&mut kim, "launch"), "ok");
    kim.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();

    let during = scrape(addr);
    assert_eq!(sample(&during, guests_ok), 1.0);
    assert_eq!(sample(&during, chats), 1.0);
    // kim alone in the room: the line reached one queue, kim's own echo.
    assert_eq!(sample(&during, "ggzd_chat_deliveries_total"), 1.0);
    assert_eq!(sample(&during, launched), 1.0);
    assert_eq!(sample(&during, "ggzd_tables{game=\"TicTacToe\"}"), 1.0);
    assert_eq!(sample(&during, "ggzd_connections{kind=\"player\"}"), 1.0);
    assert_eq!(sample(&during, "ggzd_table_launch_seconds_count"), 1.0);
    assert_eq!(sample(&during, "ggzd_login_seconds_count"), 1.0);
    assert_eq!(
        sample(&during, "ggzd_table_launch_seconds_bucket{le=\"+Inf\"}"),
        1.0
    );

    let (_, tables) = ctl_json(&server, &["tables"]);
    let table = &tables["tables"][0];
    assert_eq!(table["game"], "TicTacToe", "{tables}");
    assert_eq!(table["seats"][0]["name"], "kim", "{tables}");
    assert_eq!(table["seats"][1]["kind"], "bot", "{tables}");

    kim.send("<LEAVE FORCE='true'/>").unwrap();
    assert_eq!(result_code(&mut kim, "leave"), "ok");
    kim.recv_until(TIMEOUT, |e| {
        e.is("UPDATE") && e.attr("TYPE") == Some("table") && e.attr("ACTION") == Some("delete")
    })
    .unwrap();
    let after = scrape(addr);
    let ended: f64 = after
        .lines()
        .filter(|l| l.starts_with("ggzd_tables_ended_total{game=\"TicTacToe\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(ended, 1.0, "{after}");
    assert_eq!(sample(&after, "ggzd_tables{game=\"TicTacToe\"}"), 0.0);

    // Anything but GET /metrics is refused, and a bad request costs only
    // its own connection.
    let mut other = TcpStream::connect(addr).unwrap();
    other.set_read_timeout(Some(TIMEOUT)).unwrap();
    other.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut response = String::new();
    other.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    scrape(addr);
}

#[test]
fn the_status_line_carries_live_counts() {
    let tmp = TempDir::new("status");
    let path = tmp.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    let server = TestServer::start_with(ServerOptions {
        env: vec![("NOTIFY_SOCKET".into(), path.display().to_string())],
        ..Default::default()
    });
    let _kim = server.guest("kim");
    let mut buf = [0u8; 512];
    loop {
        let n = socket.recv(&mut buf).expect("a STATUS= line with kim");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with("STATUS=Serving 1 player(s) at 0 table(s)") {
            break;
        }
    }
}

#[test]
fn the_control_socket_can_be_turned_off() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[control]\nsocket = \"\"\n".into(),
        ..Default::default()
    });
    assert!(!socket(&server).exists());
    let out = ctl(&server, &["status"]);
    assert_eq!(out.status.code(), Some(3), "unreachable");
}

#[test]
fn a_live_control_socket_is_never_taken_over() {
    let first = TestServer::start();
    let path = socket(&first);
    let second = TestServer::start_with(ServerOptions {
        extra_config: format!("[control]\nsocket = \"{}\"\n", path.display()),
        ..Default::default()
    });
    assert!(
        second
            .wait_for_log("no control socket", TIMEOUT)
            .is_some_and(|l| l.contains("another server answers")),
        "{}",
        second.log()
    );
    let _kim = first.guest("kim");
    let (_, status) = ctl_json(&first, &["status"]);
    assert_eq!(status["players"], 1, "still the first server's socket");
    let _ = second.guest("lee");
}

#[test]
fn the_configuration_names_the_socket_and_its_mode() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[control]\nsocket = \"operator.sock\"\nmode = 0o660\n".into(),
        ..Default::default()
    });
    let path = server.dir.path().join("data").join("operator.sock");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o660);
    // ggzd-ctl finds it through the same configuration file.
    let out = Command::new(bin("ggzd-ctl"))
        .arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["--json", "who"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let who: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["players"], serde_json::json!([]));
    // A missing configuration file is its own failure.
    let out = Command::new(bin("ggzd-ctl"))
        .args(["-f", "/nonexistent/ggzd.toml", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}
