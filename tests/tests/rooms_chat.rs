//! Rooms, lists, chat, lag and periodic room updates over TCP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use ggzd_e2e::*;

fn write_room(dir: &Path, key: &str, body: &str) {
    std::fs::write(dir.join(format!("{key}.toml")), body).unwrap();
}

fn rooms_dir(tmp: &TempDir) -> std::path::PathBuf {
    let dir = tmp.path().join("rooms");
    std::fs::create_dir_all(&dir).unwrap();
    write_room(&dir, "entry", "name = \"Lobby\"\ndescription = \"Hall\"\n");
    write_room(
        &dir,
        "small",
        "name = \"Small\"\ndescription = \"Two seats\"\nmax_players = 1\n",
    );
    write_room(
        &dir,
        "members",
        "name = \"Members\"\ndescription = \"Registered only\"\nrestriction = \"registered\"\n",
    );
    dir
}

#[test]
fn room_list_with_and_without_full() {
    let server = TestServer::start();
    let mut c = server.guest("kim");
    c.send("<LIST TYPE='room' FULL='false'/>").unwrap();
    let result = c.expect_result("list", TIMEOUT).unwrap();
    let list = result.child("LIST").unwrap();
    assert_eq!(list.attr("TYPE"), Some("room"));
    let rooms: Vec<_> = list.children_named("ROOM").collect();
    assert!(rooms.len() >= 2, "repo rooms: lobby and tictactoe");
    assert_eq!(rooms[0].attr("ID"), Some("0"));
    assert_eq!(rooms[0].attr("NAME"), Some("Lobby"));
    assert_eq!(rooms[0].attr("GAME"), Some("-1"));
    assert!(rooms[0].child("DESC").is_none());
    let ttt = rooms
        .iter()
        .find(|r| r.attr("NAME") == Some("Tic-Tac-Toe"))
        .expect("a TicTacToe room");
    assert_ne!(ttt.attr("GAME"), Some("-1"));

    c.send("<LIST TYPE='room' FULL='true'/>").unwrap();
    let result = c.expect_result("list", TIMEOUT).unwrap();
    let room0 = result.child("LIST").unwrap().child("ROOM").unwrap();
    assert!(room0.child("DESC").is_some());
}

#[test]
fn game_list_describes_tictactoe_as_the_spec_says() {
    let server = TestServer::start();
    let mut c = server.guest("kim");
    c.send("<LIST TYPE='game' FULL='true'/>").unwrap();
    let result = c.expect_result("list", TIMEOUT).unwrap();
    let games: Vec<_> = result
        .child("LIST")
        .unwrap()
        .children_named("GAME")
        .collect();
    let ttt = games
        .iter()
        .find(|g| g.attr("NAME") == Some("TicTacToe"))
        .expect("TicTacToe game");
    let protocol = ttt.child("PROTOCOL").unwrap();
    assert_eq!(protocol.attr("ENGINE"), Some("TicTacToe"));
    assert_eq!(protocol.attr("VERSION"), Some("5"));
    let allow = ttt.child("ALLOW").unwrap();
    assert_eq!(allow.attr("PLAYERS"), Some("2"));
    assert_eq!(allow.attr("BOTS"), Some("1"));
    assert_eq!(allow.attr("SPECTATORS"), Some("true"));
    let bots: Vec<_> = ttt
        .children_named("BOT")
        .map(|b| (b.attr("NAME").unwrap(), b.attr("CLASS").unwrap()))
        .collect();
    assert_eq!(bots, vec![("Alfred", "easy"), ("Tarantula", "hard")]);
    assert!(ttt.child("ABOUT").is_some());
    assert!(ttt.child("DESC").is_some());
    // Element order: PROTOCOL, ALLOW, BOT*, ABOUT, DESC.
    let order: Vec<&str> = ttt.children.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        order,
        vec!["PROTOCOL", "ALLOW", "BOT", "BOT", "ABOUT", "DESC"]
    );
}

#[test]
fn player_and_table_lists() {
    let server = TestServer::start();
    let mut kim = server.guest("kim");
    assert_eq!(
        request(&mut kim, "<LIST TYPE='player'/>", "list"),
        "not in room"
    );
    assert_eq!(
        request(&mut kim, "<LIST TYPE='table'/>", "list"),
        "not in room"
    );
    enter(&mut kim, 1);
    let _bob = server.guest_in_room("bob", 1);
    kim.send("<LIST TYPE='player'/>").unwrap();
    let result = kim.expect_result("list", TIMEOUT).unwrap();
    let list = result.child("LIST").unwrap();
    assert_eq!(list.attr("ROOM"), Some("1"));
    let mut names: Vec<_> = list
        .children_named("PLAYER")
        .map(|p| p.attr("ID").unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["bob", "kim"]);
    let me = list
        .children_named("PLAYER")
        .find(|p| p.attr("ID") == Some("kim"))
        .unwrap();
    assert_eq!(me.attr("TYPE"), Some("guest"));
    assert_eq!(me.attr("PERMS"), Some("0x00000043"));
    assert_eq!(me.attr("TABLE"), Some("-1"));
    assert!(me.attr("WINS").is_none(), "guests have no stats");

    kim.send("<LIST TYPE='table'/>").unwrap();
    let result = kim.expect_result("list", TIMEOUT).unwrap();
    let list = result.child("LIST").unwrap();
    assert_eq!(list.attr("TYPE"), Some("table"));
    assert_eq!(list.attr("ROOM"), Some("1"));
}

#[test]
fn registered_players_in_a_game_room_show_their_records() {
    let server = TestServer::start();
    let mut alice = server.connect();
    assert_eq!(
        alice
            .login(LoginKind::First, "alice", Some("pw"), None)
            .unwrap()
            .code,
        "ok"
    );
    enter(&mut alice, 1);
    alice.send("<LIST TYPE='player'/>").unwrap();
    let result = alice.expect_result("list", TIMEOUT).unwrap();
    let me = result.child("LIST").unwrap().child("PLAYER").unwrap();
    assert_eq!(me.attr("TYPE"), Some("normal"));
    assert_eq!(me.attr("PERMS"), Some("0x00000007"));
    // TicTacToe keeps records, not ratings.
    assert_eq!(me.attr("WINS"), Some("0"));
    assert_eq!(me.attr("LOSSES"), Some("0"));
    assert_eq!(me.attr("TIES"), Some("0"));
    assert_eq!(me.attr("FORFEITS"), Some("0"));
    assert!(me.attr("RATING").is_none());
}

#[test]
fn enter_errors_over_tcp() {
    let tmp = TempDir::new("rooms");
    let server = TestServer::start_with(ServerOptions {
        rooms_dir: Some(rooms_dir(&tmp)),
        ..Default::default()
    });
    let mut kim = server.guest("kim");
    assert_eq!(
        request(&mut kim, "<ENTER ROOM='99'/>", "enter"),
        "bad options"
    );
    // Rooms sort by file name: entry=0, members=1, small=2.
    assert_eq!(
        request(&mut kim, "<ENTER ROOM='1'/>", "enter"),
        "no permission"
    );
    let _bob = server.guest_in_room("bob", 2);
    assert_eq!(request(&mut kim, "<ENTER ROOM='2'/>", "enter"), "room full");

    let mut alice = server.connect();
    alice
        .login(LoginKind::First, "alice", Some("pw"), None)
        .unwrap();
    assert_eq!(request(&mut alice, "<ENTER ROOM='1'/>", "enter"), "ok");
}

#[test]
fn chat_kinds_over_tcp() {
    let server = TestServer::start();
    let mut kim = server.guest_in_room("kim", 0);
    let mut bob = server.guest_in_room("bob", 0);
    assert_eq!(
        request(
            &mut kim,
            "<CHAT TYPE='normal'>hi all &amp; good luck</CHAT>",
            "chat"
        ),
        "ok"
    );
    let own = kim.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
    assert_eq!(own.text, "hi all & good luck");
    let seen = bob.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
    assert_eq!(seen.attr("FROM"), Some("kim"));
    assert_eq!(seen.attr("TYPE"), Some("normal"));
    assert_eq!(seen.text, "hi all & good luck");

    assert_eq!(
        request(
            &mut kim,
            "<CHAT TYPE='private' TO='bob'>fancy a game?</CHAT>",
            "chat"
        ),
        "ok"
    );
    let private = bob.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
    assert_eq!(private.attr("TYPE"), Some("private"));
    assert_eq!(private.text, "fancy a game?");
    assert!(private.attr("TO").is_none());

    assert_eq!(
        request(&mut kim, "<CHAT TYPE='beep' TO='nobody'/>", "chat"),
        "usr lookup"
    );
    assert_eq!(
        request(
            &mut kim,
            "<CHAT TYPE='announce'>maintenance at 22:00</CHAT>",
            "chat"
        ),
        "no permission"
    );
    let long = "x".repeat(600);
    assert_eq!(
        request(&mut kim, &format!("<CHAT>{long}</CHAT>"), "chat"),
        "bad options"
    );
}

#[test]
fn chat_rate_limit_without_a_backlog_refuses_at_once() {
    // With no backlog, lines beyond the burst are refused as they come
    // (tests/tests/chat_flood.rs has the backlog).
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[limits]\nchat_burst = 3\nchat_rate = 0.5\n[chat_backlog]\nlines = 0\n"
            .into(),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 0);
    let codes: Vec<String> = (0..5)
        .map(|i| request(&mut kim, &format!("<CHAT>n{i}</CHAT>"), "chat"))
        .collect();
    assert_eq!(codes, vec!["ok", "ok", "ok", "bad options", "bad options"]);
}

#[test]
fn room_moves_are_pushed_to_both_rooms() {
    let server = TestServer::start();
    let mut lobby = server.guest_in_room("lobby", 0);
    let mut game = server.guest_in_room("gamer", 1);
    let mut kim = server.guest_in_room("kim", 0);
    let add = lobby
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("add")
        })
        .unwrap();
    assert_eq!(add.attr("FROMROOM"), Some("-1"));
    assert_eq!(add.child("PLAYER").unwrap().attr("ID"), Some("kim"));
    enter(&mut kim, 1);
    let delete = lobby
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("delete")
        })
        .unwrap();
    assert_eq!(delete.attr("TOROOM"), Some("1"));
    let add = game
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE")
                && e.attr("ACTION") == Some("add")
                && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("kim")
        })
        .unwrap();
    assert_eq!(add.attr("FROMROOM"), Some("0"));
}

#[test]
fn disconnects_tell_the_room() {
    let server = TestServer::start();
    let mut bob = server.guest_in_room("bob", 0);
    {
        let kim = server.guest_in_room("kim", 0);
        drop(kim); // abrupt close, no </SESSION>
    }
    let delete = bob
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("delete")
        })
        .unwrap();
    assert_eq!(delete.child("PLAYER").unwrap().attr("ID"), Some("kim"));
    assert_eq!(delete.attr("TOROOM"), Some("-1"));
    // The name is free again.
    let _kim = server.guest("kim");
}

#[test]
fn unanswered_pings_raise_the_lag_class() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[timing]\nping_frequency = 1\nfirst_ping_delay = 0\nlag_classes = [100, 200, 300, 400]\n".into(),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 0);
    kim.recv_until(TIMEOUT, |e| e.is("PING")).unwrap();
    // Not answering: the class climbs to 5 and each step is announced.
    let mut seen = Vec::new();
    while seen.last() != Some(&"5".to_string()) {
        let update = kim
            .recv_until(TIMEOUT, |e| {
                e.is("UPDATE") && e.attr("ACTION") == Some("lag")
            })
            .unwrap();
        seen.push(
            update
                .child("PLAYER")
                .unwrap()
                .attr("LAG")
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(seen, vec!["2", "3", "4", "5"]);
    // A late answer keeps class 5; the next PING follows, and a prompt
    // answer to it brings the class back to 1.
    kim.send("<PONG/>").unwrap();
    kim.recv_until(TIMEOUT, |e| e.is("PING")).unwrap();
    kim.send("<PONG/>").unwrap();
    let update = kim
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("ACTION") == Some("lag")
        })
        .unwrap();
    assert_eq!(update.child("PLAYER").unwrap().attr("LAG"), Some("1"));
}

#[test]
fn room_occupancy_is_pushed_periodically() {
    let server = TestServer::start_with(ServerOptions {
        extra_config: "[timing]\nroom_update_frequency = 1\n".into(),
        ..Default::default()
    });
    let mut watcher = server.guest_in_room("watcher", 0);
    let _kim = server.guest_in_room("kim", 1);
    let update = watcher
        .recv_until(Duration::from_secs(5), |e| {
            e.is("UPDATE")
                && e.attr("TYPE") == Some("room")
                && e.child("ROOM").and_then(|r| r.attr("ID")) == Some("1")
        })
        .unwrap();
    assert_eq!(update.attr("ACTION"), Some("players"));
    assert_eq!(update.child("ROOM").unwrap().attr("PLAYERS"), Some("1"));
}

#[test]
fn channel_connections_are_matched_to_their_player() {
    let server = TestServer::start();
    let _kim = server.guest("kim");
    let mut bad = server.connect();
    assert_eq!(request(&mut bad, "<CHANNEL/>", "channel"), "bad options");

    let mut channel = TcpStream::connect(server.addr).unwrap();
    channel.set_read_timeout(Some(TIMEOUT)).unwrap();
    channel
        .write_all(b"<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<CHANNEL ID='kim' />\n</SESSION>\n")
        .unwrap();
    let text = read_until(&mut channel, "</SERVER>\n</SESSION>\n");
    assert!(text.ends_with("</SESSION>\n"), "{text}");
    // The socket stays open and silent: it now waits for a game server.
    channel
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 16];
    match channel.read(&mut buf) {
        Ok(n) => panic!("channel got {n} more bytes or EOF"),
        Err(e) => assert!(matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
    }

    let mut stray = server.connect();
    stray.send("<CHANNEL ID='ghost'/></SESSION>").unwrap();
    assert!(
        stray.wait_closed(TIMEOUT).unwrap(),
        "a channel for nobody is closed"
    );
}

fn read_until(stream: &mut TcpStream, end: &str) -> String {
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while !text.ends_with(end) {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed early after {text:?}");
        text.push_str(std::str::from_utf8(&buf[..n]).unwrap());
    }
    text
}

#[test]
fn original_dsc_game_descriptions_load_unmodified() {
    let tmp = TempDir::new("dsc");
    let games = tmp.path().join("games");
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&games).unwrap();
    std::fs::create_dir_all(&rooms).unwrap();
    std::fs::write(
        games.join("fourinline.dsc"),
        "[GameInfo]\nName = Four In Line\nName[de] = Vier gewinnt\nVersion = 1.2\n\
         Description = Connect four stones in a row.\nAuthor = J. Doe\n\
         Homepage = http://games.example.org/fil/\n\n[LaunchInfo]\nExecutablePath = ggzd.fourinline --verbose\n\n\
         [Protocol]\nEngine = FourInLine\nVersion = 3\n\n[TableOptions]\nPlayersAllowed = 2\nBotsAllowed = 1\n\
         AllowSpectators = 1\nAllowLeave = 1\n\n[Statistics]\nRecords = 1\nRatings = 1\n\n[NamedBots]\nRex = easy\n",
    )
    .unwrap();
    std::fs::write(rooms.join("entry.toml"), "name = \"Lobby\"\n").unwrap();
    std::fs::write(
        rooms.join("fil.room"),
        "[RoomInfo]\nName = Four In Line\nName[de] = Vier gewinnt\nDescription = Casual games\n\
         GameType = Four In Line\nMaxPlayers = 150\nMaxTables = 40\n",
    )
    .unwrap();
    let server = TestServer::start_with(ServerOptions {
        games_dir: Some(games),
        rooms_dir: Some(rooms),
        ..Default::default()
    });
    let mut c = server.connect();
    c.send("<LANGUAGE>de_DE.UTF-8</LANGUAGE>").unwrap();
    assert_eq!(
        c.login(LoginKind::Guest, "kim", None, None).unwrap().code,
        "ok"
    );
    c.send("<LIST TYPE='game' FULL='true'/>").unwrap();
    let result = c.expect_result("list", TIMEOUT).unwrap();
    let game = result.child("LIST").unwrap().child("GAME").unwrap().clone();
    assert_eq!(game.attr("ID"), Some("0"));
    assert_eq!(game.attr("NAME"), Some("Vier gewinnt"));
    assert_eq!(game.attr("VERSION"), Some("1.2"));
    let protocol = game.child("PROTOCOL").unwrap();
    assert_eq!(protocol.attr("ENGINE"), Some("FourInLine"));
    assert_eq!(protocol.attr("VERSION"), Some("3"));
    let allow = game.child("ALLOW").unwrap();
    assert_eq!(allow.attr("PLAYERS"), Some("2"));
    assert_eq!(allow.attr("BOTS"), Some("1"));
    assert_eq!(allow.attr("SPECTATORS"), Some("true"));
    assert_eq!(allow.attr("PEERS"), Some("false"));
    let bot = game.child("BOT").unwrap();
    assert_eq!(
        (bot.attr("NAME"), bot.attr("CLASS")),
        (Some("Rex"), Some("easy"))
    );
    let about = game.child("ABOUT").unwrap();
    assert_eq!(about.attr("AUTHOR"), Some("J. Doe"));
    assert_eq!(about.attr("URL"), Some("http://games.example.org/fil/"));
    assert_eq!(
        game.child("DESC").unwrap().text,
        "Connect four stones in a row."
    );

    c.send("<LIST TYPE='room'/>").unwrap();
    let result = c.expect_result("list", TIMEOUT).unwrap();
    let room = result
        .child("LIST")
        .unwrap()
        .children_named("ROOM")
        .nth(1)
        .unwrap()
        .clone();
    assert_eq!(room.attr("NAME"), Some("Vier gewinnt"));
    assert_eq!(room.attr("REFNAME"), Some("Four In Line"));
    assert_eq!(room.attr("GAME"), Some("0"));
}

#[test]
fn logs_go_to_a_file_when_configured() {
    let tmp = TempDir::new("logfile");
    let log = tmp.path().join("ggzd.log");
    let server = TestServer::start_with(ServerOptions {
        log_file: Some((log.clone(), "\"connections\"".into())),
        ..Default::default()
    });
    let _kim = server.guest("kim");
    assert!(wait_for_file_line(&log, "kim logged in", TIMEOUT).is_some());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        server.log().is_empty(),
        "nothing on stderr: {}",
        server.log()
    );
    assert!(text.contains("kim logged in"), "{text}");
    assert!(text.contains("connections:"), "{text}");
}
