//! Tables end to end: real game server processes started by ggzd, players'
//! game channels handed over with SCM_RIGHTS, results stored and pushed.
//! The game server here is `ggzd-test-game`, scriptable by its players.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ggzd_e2e::*;

/// A server whose room 1 plays `TestGame` (the test game server in `mode`).
fn start(mode: &str, table: &str, extra: &str) -> (TestServer, TempDir) {
    start_with_one_game(
        "tables",
        "testgame.toml",
        &format!(
            "name = \"TestGame\"\nversion = \"1\"\n\
             [launch]\nexecutable = [\"ggzd-test-game\", \"{mode}\"]\n\
             [protocol]\nengine = \"Test\"\nversion = \"1\"\n\
             [table]\n{table}\n\
             [statistics]\nrecords = true\nratings = true\n\
             [named_bots]\nRobby = \"easy\"\n"
        ),
        "name = \"Play\"\ngame = \"TestGame\"\nmax_tables = 3\n",
        extra,
    )
}

const TWO_PLAYERS: &str = "players = \"2\"\nbots = \"1\"\nspectators = true\nleave = true";

fn registered(server: &TestServer, name: &str) -> Client {
    let mut c = server.connect();
    let reply = c.login(LoginKind::First, name, Some("pw"), None).unwrap();
    if reply.code == "username already taken" {
        let mut c = server.connect();
        assert_eq!(
            c.login(LoginKind::Normal, name, Some("pw"), None)
                .unwrap()
                .code,
            "ok"
        );
        c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
        return c;
    }
    assert_eq!(reply.code, "ok");
    c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    c
}

/// Opens and prepares a game channel for `name`, exactly as ggzcore does.
fn channel(server: &TestServer, name: &str) -> GameSocket {
    let stream = open_game_channel(server, name);
    GameSocket {
        reader: BufReader::new(stream.try_clone().unwrap()),
        stream,
    }
}

struct GameSocket {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl GameSocket {
    fn say(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
    }

    /// The next line starting with `prefix`, skipping others.
    fn expect(&mut self, prefix: &str) -> String {
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).unwrap();
            assert!(n > 0, "game socket closed while waiting for {prefix:?}");
            if line.starts_with(prefix) {
                return line.trim_end().to_string();
            }
        }
    }

    fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest).is_ok()
    }
}

fn launch_xml(seats: &[&str]) -> String {
    let mut xml = format!(
        "<LAUNCH>\n<TABLE GAME='0' SEATS='{}'>\n<DESC>test table</DESC>\n",
        seats.len()
    );
    for (i, seat) in seats.iter().enumerate() {
        match seat.split_once(':') {
            Some((kind, name)) => {
                xml.push_str(&format!("<SEAT NUM='{i}' TYPE='{kind}'>{name}</SEAT>\n"))
            }
            None => xml.push_str(&format!("<SEAT NUM='{i}' TYPE='{seat}'/>\n")),
        }
    }
    xml.push_str("</TABLE>\n</LAUNCH>\n");
    xml
}

fn is_update(e: &Element, kind: &str, action: &str) -> bool {
    e.is("UPDATE") && e.attr("TYPE") == Some(kind) && e.attr("ACTION") == Some(action)
}

/// Launches a table and checks the launcher is seated. Returns the table id.
fn launch(client: &mut Client, seats: &[&str]) -> String {
    client.send(&launch_xml(seats)).unwrap();
    let add = client
        .recv_until(TIMEOUT, |e| is_update(e, "table", "add"))
        .unwrap();
    let table = add.child("TABLE").unwrap();
    let id = table.attr("ID").unwrap().to_string();
    assert_eq!(table.attr("STATUS"), Some("1"));
    assert_eq!(table.child("DESC").unwrap().text, "test table");
    assert_eq!(result_code(client, "launch"), "ok");
    let join = client.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
    assert_eq!(join.attr("TABLE"), Some(id.as_str()));
    assert_eq!(join.attr("SPECTATOR"), Some("false"));
    id
}

fn join(client: &mut Client, table: &str, spectator: bool) {
    client
        .send(&format!("<JOIN TABLE='{table}' SPECTATOR='{spectator}'/>"))
        .unwrap();
    assert_eq!(result_code(client, "join"), "ok");
    let join = client.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
    assert_eq!(
        join.attr("SPECTATOR"),
        Some(if spectator { "true" } else { "false" })
    );
}

fn expect_gameover(client: &mut Client, reason: &str) {
    assert_eq!(result_code(client, "leave"), "ok");
    let leave = client.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some(reason));
}

#[test]
fn two_players_play_to_a_win_and_stats_are_stored_and_pushed() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut alice = registered(&server, "alice");
    let mut bob = registered(&server, "bob");
    enter(&mut alice, 1);
    enter(&mut bob, 1);
    let mut alice_game = channel(&server, "alice");
    let table = launch(&mut alice, &["open", "open"]);
    alice_game.expect("seat 0 player alice");

    // Bob sees the table appear and alice sit down.
    let add = bob
        .recv_until(TIMEOUT, |e| is_update(e, "table", "add"))
        .unwrap();
    assert_eq!(add.child("TABLE").unwrap().attr("ID"), Some(table.as_str()));
    bob.recv_until(TIMEOUT, |e| is_update(e, "table", "join"))
        .unwrap();

    let mut bob_game = channel(&server, "bob");
    join(&mut bob, &table, false);
    bob_game.expect("seat 1 player bob");
    alice_game.expect("playing");
    let status = bob
        .recv_until(TIMEOUT, |e| is_update(e, "table", "status"))
        .unwrap();
    assert_eq!(status.child("TABLE").unwrap().attr("STATUS"), Some("2"));

    // Player lists show where everyone sits.
    bob.send("<LIST TYPE='player'/>").unwrap();
    let list = bob.expect_result("list", TIMEOUT).unwrap();
    for p in list.child("LIST").unwrap().children_named("PLAYER") {
        assert_eq!(p.attr("TABLE"), Some(table.as_str()));
    }

    alice_game.say("win");
    let stats = alice
        .recv_until(TIMEOUT, |e| {
            is_update(e, "player", "stats")
                && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("alice")
        })
        .unwrap();
    let p = stats.child("PLAYER").unwrap();
    assert_eq!(p.attr("WINS"), Some("1"));
    assert_eq!(p.attr("LOSSES"), Some("0"));
    assert_eq!(p.attr("RATING"), Some("1515"));
    let stats = bob
        .recv_until(TIMEOUT, |e| {
            is_update(e, "player", "stats")
                && e.child("PLAYER").and_then(|p| p.attr("ID")) == Some("bob")
        })
        .unwrap();
    assert_eq!(stats.child("PLAYER").unwrap().attr("LOSSES"), Some("1"));
    assert_eq!(stats.child("PLAYER").unwrap().attr("RATING"), Some("1485"));
    // The status update of the start (2) came first, then 3 at the end.
    let statuses: Vec<String> = (0..2)
        .map(|_| {
            alice
                .recv_until(TIMEOUT, |e| is_update(e, "table", "status"))
                .unwrap()
                .child("TABLE")
                .unwrap()
                .attr("STATUS")
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(statuses, vec!["2", "3"]);
    let delete = alice
        .recv_until(TIMEOUT, |e| is_update(e, "table", "delete"))
        .unwrap();
    assert_eq!(delete.child("TABLE").unwrap().attr("STATUS"), Some("-1"));
    expect_gameover(&mut alice, "gameover");
    expect_gameover(&mut bob, "gameover");
    assert!(alice_game.closed());

    // Stored: a fresh login sees the record.
    alice.logout().unwrap();
    let mut again = registered(&server, "alice");
    enter(&mut again, 1);
    again.send("<LIST TYPE='player'/>").unwrap();
    let list = again.expect_result("list", TIMEOUT).unwrap();
    let me = list
        .child("LIST")
        .unwrap()
        .children_named("PLAYER")
        .find(|p| p.attr("ID") == Some("alice"))
        .unwrap()
        .clone();
    assert_eq!(me.attr("WINS"), Some("1"));
    assert_eq!(me.attr("RATING"), Some("1515"));
}

#[test]
fn a_launch_with_a_named_bot_starts_at_once() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open", "bot:Robby"]);
    game.expect("seat 0 player kim");
    game.expect("playing");
    kim.send("<LIST TYPE='table'/>").unwrap();
    let list = kim.expect_result("list", TIMEOUT).unwrap();
    let table = list.child("LIST").unwrap().child("TABLE").unwrap().clone();
    let seats: Vec<(String, String)> = table
        .children_named("SEAT")
        .map(|s| (s.attr("TYPE").unwrap().to_string(), s.text.clone()))
        .collect();
    assert_eq!(
        seats,
        vec![
            ("player".into(), "kim".into()),
            ("bot".into(), "Robby".into())
        ]
    );
    assert_eq!(table.attr("STATUS"), Some("2"));
    // An unknown bot name is refused.
    let mut other = server.guest_in_room("other", 1);
    let _g = channel(&server, "other");
    assert_eq!(
        request(&mut other, &launch_xml(&["open", "bot:Nobody"]), "launch"),
        "bad options"
    );
}

#[test]
fn a_spectator_watches() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut kim_game = channel(&server, "kim");
    let table = launch(&mut kim, &["open", "open"]);
    let mut carol = server.guest_in_room("carol", 1);
    let mut carol_game = channel(&server, "carol");
    join(&mut carol, &table, true);
    kim_game.expect("spectator 0 carol");
    carol_game.expect("spectator 0 carol");
    let update = kim
        .recv_until(TIMEOUT, |e| {
            is_update(e, "table", "join")
                && e.child("TABLE")
                    .and_then(|t| t.child("SPECTATOR"))
                    .is_some()
        })
        .unwrap();
    assert_eq!(
        update
            .child("TABLE")
            .unwrap()
            .child("SPECTATOR")
            .unwrap()
            .text,
        "carol"
    );
    // Table chat reaches players and spectators.
    assert_eq!(
        request(&mut carol, "<CHAT TYPE='table'>go kim</CHAT>", "chat"),
        "ok"
    );
    let chat = kim.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
    assert_eq!(chat.attr("TYPE"), Some("table"));
    assert_eq!(chat.text, "go kim");
    // The spectator leaves normally.
    carol
        .send("<LEAVE FORCE='false' SPECTATOR='true'/>")
        .unwrap();
    assert_eq!(result_code(&mut carol, "leave"), "ok");
    let leave = carol.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("normal"));
}

#[test]
fn a_player_who_leaves_a_running_game_can_take_the_seat_back() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut kim_game = channel(&server, "kim");
    let table = launch(&mut kim, &["open", "open"]);
    let mut bob = server.guest_in_room("bob", 1);
    let _bob_game = channel(&server, "bob");
    join(&mut bob, &table, false);
    kim_game.expect("playing");

    bob.send("<LEAVE FORCE='false' SPECTATOR='false'/>")
        .unwrap();
    assert_eq!(result_code(&mut bob, "leave"), "ok");
    kim_game.expect("seat 1 abandoned bob");
    kim.send("<LIST TYPE='table'/>").unwrap();
    let list = kim.expect_result("list", TIMEOUT).unwrap();
    let seat = list
        .child("LIST")
        .unwrap()
        .child("TABLE")
        .unwrap()
        .children_named("SEAT")
        .nth(1)
        .unwrap()
        .clone();
    assert_eq!(seat.attr("TYPE"), Some("abandoned"));
    assert_eq!(seat.text, "bob");

    // Another player cannot take bob's seat: the table is full for them.
    let mut eve = server.guest_in_room("eve", 1);
    let _eve_game = channel(&server, "eve");
    assert_eq!(
        request(
            &mut eve,
            &format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"),
            "join"
        ),
        "table full"
    );

    // Bob disconnects entirely and comes back.
    bob.logout().unwrap();
    let mut bob = server.guest_in_room("bob", 1);
    let mut bob_game = channel(&server, "bob");
    join(&mut bob, &table, false);
    kim_game.expect("seat 1 player bob");
    bob_game.expect("seat 1 player bob");
}

#[test]
fn killing_the_game_server_ends_only_its_table() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut kim_game = channel(&server, "kim");
    launch(&mut kim, &["open", "bot:Robby"]);
    kim_game.expect("playing");
    let mut other = server.guest_in_room("other", 1);
    let mut other_game = channel(&server, "other");
    launch(&mut other, &["open", "bot"]);
    other_game.expect("playing");

    kim_game.say("crash");
    expect_gameover(&mut kim, "gameerror");
    // The other table plays on.
    other_game.say("win");
    expect_gameover(&mut other, "gameover");
    assert_eq!(request(&mut kim, "<CHAT>still here</CHAT>", "chat"), "ok");
}

#[test]
fn garbage_on_the_control_socket_costs_that_table() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open", "bot"]);
    game.expect("playing");
    game.say("garbage");
    expect_gameover(&mut kim, "gameerror");
    assert!(game.closed());
}

#[test]
fn garbage_before_ready_fails_the_launch() {
    let (server, _tmp) = start("garbage", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let _game = channel(&server, "kim");
    assert_eq!(
        request(&mut kim, &launch_xml(&["open", "bot"]), "launch"),
        "launch fail"
    );
}

#[test]
fn an_exec_failure_is_reported_to_the_launcher() {
    let (server, _tmp) = start("exit", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let _game = channel(&server, "kim");
    assert_eq!(
        request(&mut kim, &launch_xml(&["open", "bot"]), "launch"),
        "launch fail"
    );
    // A missing executable too.
    let tmp = TempDir::new("noexec");
    let games = tmp.path().join("games");
    std::fs::create_dir_all(&games).unwrap();
    std::fs::write(
        games.join("ghost.toml"),
        "name = \"Ghost\"\n[launch]\nexecutable = [\"no-such-game-server\"]\n[table]\nplayers = \"1\"\n",
    )
    .unwrap();
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&rooms).unwrap();
    std::fs::write(rooms.join("entry.toml"), "name = \"Lobby\"\n").unwrap();
    std::fs::write(
        rooms.join("ghost.toml"),
        "name = \"Ghost\"\ngame = \"Ghost\"\n",
    )
    .unwrap();
    let server = TestServer::start_with(ServerOptions {
        games_dir: Some(games),
        rooms_dir: Some(rooms),
        ..Default::default()
    });
    let mut kim = server.guest_in_room("kim", 1);
    let _game = channel(&server, "kim");
    assert_eq!(
        request(&mut kim, &launch_xml(&["open"]), "launch"),
        "launch fail"
    );
}

#[test]
fn a_game_server_that_never_gets_ready_fails_the_launch() {
    let (server, _tmp) = start("silent", TWO_PLAYERS, "[timing]\nlaunch_timeout = 1\n");
    let mut kim = server.guest_in_room("kim", 1);
    let _game = channel(&server, "kim");
    let started = Instant::now();
    assert_eq!(
        request(&mut kim, &launch_xml(&["open", "bot"]), "launch"),
        "launch fail"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[test]
fn launch_and_join_errors() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 0);
    assert_eq!(
        request(&mut kim, &launch_xml(&["open", "open"]), "launch"),
        "not in room"
    );
    enter(&mut kim, 1);
    assert_eq!(
        request(&mut kim, &launch_xml(&["open", "open"]), "launch"),
        "no channel"
    );
    let _game = channel(&server, "kim");
    assert_eq!(
        request(&mut kim, &launch_xml(&["open", "open", "open"]), "launch"),
        "bad options"
    );
    assert_eq!(
        request(&mut kim, &launch_xml(&["bot", "bot"]), "launch"),
        "bad options"
    );
    assert_eq!(
        request(
            &mut kim,
            "<LAUNCH><TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/></TABLE></LAUNCH>",
            "launch"
        ),
        "bad options"
    );
    assert_eq!(
        request(&mut kim, "<JOIN TABLE='7' SPECTATOR='false'/>", "join"),
        "no table"
    );
    assert_eq!(
        request(
            &mut kim,
            "<LEAVE FORCE='false' SPECTATOR='false'/>",
            "leave"
        ),
        "ok"
    );
    let leave = kim.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("normal"));
    let table = launch(&mut kim, &["open", "open"]);
    assert_eq!(
        request(&mut kim, &launch_xml(&["open", "open"]), "launch"),
        "launch fail"
    );
    assert_eq!(request(&mut kim, "<ENTER ROOM='0'/>", "enter"), "at table");
    let mut bob = server.guest_in_room("bob", 1);
    assert_eq!(
        request(
            &mut bob,
            &format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"),
            "join"
        ),
        "no channel"
    );
}

#[test]
fn game_servers_get_only_their_descriptors_and_their_directory() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open", "bot"]);
    game.expect("playing");
    game.say("fds");
    // stdin, stdout, stderr, the control socket, and kim's socket.
    assert_eq!(game.expect("fds"), "fds 0 1 2 3 4");
    game.say("proc");
    assert_eq!(
        game.expect("proc"),
        "proc own-group=true sigpipe-ignored=true GGZMODE=true GGZSOCKET=3"
    );
    game.say("cwd");
    let cwd = game.expect("cwd");
    let expected: PathBuf = server.dir.path().join("data/gamedata/TestGame");
    assert_eq!(cwd, format!("cwd {}", expected.display()));
}

#[test]
fn game_server_requests_for_seats_out_of_range_end_the_table() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open", "open"]);
    game.say("bot 1");
    game.expect("seat 1 bot");
    let seat = kim
        .recv_until(TIMEOUT, |e| is_update(e, "table", "seat"))
        .unwrap();
    assert_eq!(
        seat.child("TABLE")
            .unwrap()
            .child("SEAT")
            .unwrap()
            .attr("TYPE"),
        Some("bot")
    );
    game.say("raw-open 9");
    expect_gameover(&mut kim, "gameerror");
}

#[test]
fn owner_updates_the_description_and_boots_a_player() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut kim = server.guest_in_room("kim", 1);
    let _kim_game = channel(&server, "kim");
    let table = launch(&mut kim, &["open", "open"]);
    let mut bob = server.guest_in_room("bob", 1);
    let _bob_game = channel(&server, "bob");
    join(&mut bob, &table, false);
    assert_eq!(
        request(
            &mut bob,
            &format!(
                "<UPDATE TYPE='table' ACTION='desc' ROOM='1'><TABLE ID='{table}'><DESC>mine</DESC></TABLE></UPDATE>"
            ),
            "update"
        ),
        "no permission"
    );
    assert_eq!(
        request(
            &mut kim,
            &format!(
                "<UPDATE TYPE='table' ACTION='desc' ROOM='1'><TABLE ID='{table}'><DESC>house rules</DESC></TABLE></UPDATE>"
            ),
            "update"
        ),
        "ok"
    );
    let desc = bob
        .recv_until(TIMEOUT, |e| is_update(e, "table", "desc"))
        .unwrap();
    assert_eq!(
        desc.child("TABLE").unwrap().child("DESC").unwrap().text,
        "house rules"
    );
    assert_eq!(
        request(
            &mut kim,
            &format!(
                "<UPDATE TYPE='table' ACTION='boot' ROOM='1'><TABLE ID='{table}' SEATS='1'><SEAT NUM='0' TYPE='player'>bob</SEAT></TABLE></UPDATE>"
            ),
            "update"
        ),
        "ok"
    );
    assert_eq!(result_code(&mut bob, "leave"), "ok");
    let leave = bob.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    assert_eq!(leave.attr("REASON"), Some("boot"));
    assert_eq!(leave.attr("PLAYER"), Some("kim"));
}

/// Children of `pid` in state Z.
fn zombies_of(pid: i32) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let after = stat.rsplit(") ").next().unwrap_or("");
            let mut fields = after.split_whitespace();
            let state = fields.next();
            let ppid = fields.next().and_then(|p| p.parse::<i32>().ok());
            state == Some("Z") && ppid == Some(pid)
        })
        .count()
}

#[test]
fn churn_of_200_tables_leaks_no_descriptor_and_no_zombie() {
    let (server, _tmp) = start("play", "players = \"1 2\"\nbots = \"1\"\nleave = true", "");
    let mut kim = server.guest_in_room("kim", 1);
    // Warm up once so that lazily opened files (database, logs) exist.
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open"]);
    game.expect("playing");
    game.say("win");
    expect_gameover(&mut kim, "gameover");
    std::thread::sleep(Duration::from_millis(200));
    let before = server.fd_count();
    for _ in 0..200 {
        let mut game = channel(&server, "kim");
        launch(&mut kim, &["open"]);
        game.expect("playing");
        game.say("win");
        expect_gameover(&mut kim, "gameover");
    }
    let deadline = Instant::now() + TIMEOUT;
    while (server.fd_count() != before || zombies_of(server.pid()) > 0) && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.fd_count(), before, "descriptors leaked");
    assert_eq!(zombies_of(server.pid()), 0, "zombies left");
}

#[test]
fn reseat_stand_sit_and_move() {
    let (server, _tmp) = start(
        "play",
        "players = \"2 3\"\nbots = \"1\"\nspectators = true\nleave = true",
        "",
    );
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    let table = launch(&mut kim, &["open", "open", "open"]);
    game.expect("seat 0 player kim");
    let mut bob = server.guest_in_room("bob", 1);
    let _bob_game = channel(&server, "bob");
    join(&mut bob, &table, false);
    game.expect("seat 1 player bob");

    assert_eq!(
        request(&mut kim, "<RESEAT ACTION='dance'/>", "reseat"),
        "bad options"
    );
    assert_eq!(
        request(&mut kim, "<RESEAT ACTION='sit'/>", "reseat"),
        "bad options"
    );
    assert_eq!(
        request(&mut kim, "<RESEAT ACTION='move' SEAT='1'/>", "reseat"),
        "table full"
    );
    assert_eq!(
        request(&mut kim, "<RESEAT ACTION='move' SEAT='2'/>", "reseat"),
        "ok"
    );
    let leave = bob
        .recv_until(TIMEOUT, |e| is_update(e, "table", "leave"))
        .unwrap();
    assert_eq!(
        leave
            .child("TABLE")
            .unwrap()
            .child("SEAT")
            .unwrap()
            .attr("NUM"),
        Some("0")
    );
    let join = bob
        .recv_until(TIMEOUT, |e| {
            is_update(e, "table", "join")
                && e.child("TABLE")
                    .and_then(|t| t.child("SEAT"))
                    .map(|s| s.text.as_str())
                    == Some("kim")
        })
        .unwrap();
    assert_eq!(
        join.child("TABLE")
            .unwrap()
            .child("SEAT")
            .unwrap()
            .attr("NUM"),
        Some("2")
    );

    assert_eq!(
        request(&mut kim, "<RESEAT ACTION='stand'/>", "reseat"),
        "ok"
    );
    let join = bob
        .recv_until(TIMEOUT, |e| {
            is_update(e, "table", "join")
                && e.child("TABLE")
                    .and_then(|t| t.child("SPECTATOR"))
                    .is_some()
        })
        .unwrap();
    assert_eq!(
        join.child("TABLE")
            .unwrap()
            .child("SPECTATOR")
            .unwrap()
            .text,
        "kim"
    );
    assert_eq!(request(&mut kim, "<RESEAT ACTION='sit'/>", "reseat"), "ok");
    kim.send("<LIST TYPE='table'/>").unwrap();
    let list = kim.expect_result("list", TIMEOUT).unwrap();
    let t = list.child("LIST").unwrap().child("TABLE").unwrap().clone();
    let players: Vec<String> = t
        .children_named("SEAT")
        .filter(|s| s.attr("TYPE") == Some("player"))
        .map(|s| s.text.clone())
        .collect();
    assert_eq!(players.len(), 2);
    assert!(players.contains(&"kim".to_string()));
    assert!(t.child("SPECTATOR").is_none());
}

#[test]
fn room_and_server_table_limits() {
    let (server, _tmp) = start(
        "play",
        "players = \"1 2\"\nbots = \"1\"\nleave = true",
        "[limits]\nmax_tables = 4\n",
    );
    // The room allows 3 tables.
    let mut players = Vec::new();
    for i in 0..3 {
        let name = format!("p{i}");
        let mut c = server.guest_in_room(&name, 1);
        let _g = channel(&server, &name);
        launch(&mut c, &["open"]);
        players.push((c, _g));
    }
    let mut extra = server.guest_in_room("extra", 1);
    let _g = channel(&server, "extra");
    assert_eq!(
        request(&mut extra, &launch_xml(&["open"]), "launch"),
        "room full"
    );
}

#[test]
fn info_and_rankings_at_a_table() {
    let (server, _tmp) = start("play", TWO_PLAYERS, "");
    let mut alice = registered(&server, "alice");
    enter(&mut alice, 1);
    // Not at a table: nothing is sent.
    alice.send("<INFO/>").unwrap();
    let mut game = channel(&server, "alice");
    launch(&mut alice, &["open", "bot"]);
    game.expect("playing");
    alice.send("<INFO/>").unwrap();
    let info = alice.recv_until(TIMEOUT, |e| e.is("INFO")).unwrap();
    let entries: Vec<_> = info.children_named("PLAYERINFO").collect();
    assert_eq!(entries.len(), 1, "one player seat");
    assert_eq!(entries[0].attr("SEAT"), Some("0"));
    assert_eq!(entries[0].attr("HOST"), Some(""), "no peers: no address");
    game.say("win");
    alice
        .recv_until(TIMEOUT, |e| is_update(e, "player", "stats"))
        .unwrap();
    expect_gameover(&mut alice, "gameover");
    let mut game = channel(&server, "alice");
    launch(&mut alice, &["open", "bot"]);
    game.expect("playing");
    alice.send("<RANKINGS/>").unwrap();
    let rankings = alice.recv_until(TIMEOUT, |e| e.is("RANKINGS")).unwrap();
    let first = rankings.child("RANKING").expect("alice is ranked");
    assert_eq!(first.attr("POSITION"), Some("1"));
    assert_eq!(first.attr("PLAYER"), Some("alice"));
}
