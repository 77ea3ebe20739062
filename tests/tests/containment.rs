//! Hostile game servers and hostile clients against the table machinery:
//! game channels bound to their player, nothing of an ended table left
//! alive, reports checked, game-caused room traffic bounded
//! (docs/game-servers.md). The game server is `ggzd-test-game`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ggzd_e2e::*;

/// Generous: the machine may be loaded. Never a timing assertion.
const LONG: Duration = Duration::from_secs(30);

fn start(mode: &str, extra: &str) -> (TestServer, TempDir) {
    start_with_one_game(
        "contain",
        "testgame.toml",
        &format!(
            "name = \"TestGame\"\nversion = \"1\"\n\
             [launch]\nexecutable = [\"ggzd-test-game\", \"{mode}\"]\n\
             [protocol]\nengine = \"Test\"\nversion = \"1\"\n\
             [table]\nplayers = \"1 2 3 4\"\nbots = \"1\"\nleave = true\n\
             [statistics]\nrecords = true\n\
             [limits]\nopen_files = 256\n"
        ),
        "name = \"Play\"\ngame = \"TestGame\"\nmax_tables = 3\n",
        extra,
    )
}

struct GameSocket {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl GameSocket {
    fn new(stream: TcpStream) -> GameSocket {
        stream.set_read_timeout(Some(LONG)).unwrap();
        GameSocket {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    fn say(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
    }

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

    /// The pids a hostile command reported.
    fn pids(&mut self) -> Vec<i32> {
        let line = self.expect("pids");
        let pids: Vec<i32> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|p| p.parse().ok())
            .collect();
        assert!(pids.iter().all(|p| *p > 1), "bad pids: {line}");
        pids
    }
}

fn channel(server: &TestServer, name: &str) -> GameSocket {
    GameSocket::new(open_game_channel(server, name))
}

/// Sends a CHANNEL for `name` from local address `from` and returns
/// whether ggzd accepted it (answered `</SESSION>` and kept it open)
/// rather than closing it.
fn channel_from(server: &TestServer, from: &str, name: &str) -> (bool, TcpStream) {
    let socket = socket2_like_bind(from, server.addr);
    let mut stream = socket;
    stream.set_read_timeout(Some(LONG)).unwrap();
    stream
        .write_all(
            format!(
                "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<CHANNEL ID='{name}' />\n</SESSION>\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => return (false, stream),
        }
        if seen.ends_with(b"</SERVER>\n</SESSION>\n") {
            return (true, stream);
        }
    }
}

/// A TCP connection to `to` whose local address is `from` (any address of
/// 127/8 is loopback on Linux).
fn socket2_like_bind(from: &str, to: SocketAddr) -> TcpStream {
    // SAFETY: plain socket calls on a descriptor we own until it becomes
    // the TcpStream.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let ip: std::net::Ipv4Addr = from.parse().unwrap();
        let mut local: libc::sockaddr_in = std::mem::zeroed();
        local.sin_family = libc::AF_INET as libc::sa_family_t;
        local.sin_addr.s_addr = u32::from(ip).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), len),
            0
        );
        let SocketAddr::V4(to) = to else {
            panic!("IPv4 test server expected");
        };
        let mut remote: libc::sockaddr_in = std::mem::zeroed();
        remote.sin_family = libc::AF_INET as libc::sa_family_t;
        remote.sin_port = to.port().to_be();
        remote.sin_addr.s_addr = u32::from(*to.ip()).to_be();
        assert_eq!(
            libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), len),
            0
        );
        use std::os::fd::FromRawFd;
        TcpStream::from_raw_fd(fd)
    }
}

fn launch_xml(seats: &[&str]) -> String {
    let mut xml = format!(
        "<LAUNCH>\n<TABLE GAME='0' SEATS='{}'>\n<DESC>t</DESC>\n",
        seats.len()
    );
    for (i, seat) in seats.iter().enumerate() {
        xml.push_str(&format!("<SEAT NUM='{i}' TYPE='{seat}'/>\n"));
    }
    xml.push_str("</TABLE>\n</LAUNCH>\n");
    xml
}

fn launch(client: &mut Client, seats: &[&str]) {
    client.send(&launch_xml(seats)).unwrap();
    assert_eq!(result_code(client, "launch"), "ok");
    client.recv_until(LONG, |e| e.is("JOIN")).unwrap();
}

fn expect_leave(client: &mut Client) {
    client.recv_until(LONG, |e| e.is("LEAVE")).unwrap();
}

/// Whether a process is still running (a zombie has finished).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit(") ")
                .next()
                .and_then(|s| s.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => false,
    }
}

/// Polls until none of `pids` runs, up to a generous timeout; returns the
/// survivors.
fn wait_all_gone(pids: &[i32]) -> Vec<i32> {
    let deadline = Instant::now() + LONG;
    loop {
        let left: Vec<i32> = pids.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Children of `pid` (running or not).
fn children_of(pid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let own: i32 = stat.split_whitespace().next()?.parse().ok()?;
            let ppid: i32 = stat
                .rsplit(") ")
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (ppid == pid).then_some(own)
        })
        .collect()
}

/// The room still works: a fresh table plays to its end.
fn room_is_usable(server: &TestServer, name: &str) {
    let mut p = server.guest_in_room(name, 1);
    let mut game = channel(server, name);
    launch(&mut p, &["open"]);
    game.expect("playing");
    game.say("done");
    expect_leave(&mut p);
}

// ----- game channels -------------------------------------------------------

#[test]
fn a_channel_for_someone_else_is_refused_and_the_victim_still_plays() {
    let (server, _tmp) = start("play", "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut victim = channel(&server, "kim");

    // Another address claims kim's channel: refused and closed.
    let (accepted, _attacker) = channel_from(&server, "127.0.0.2", "kim");
    assert!(!accepted, "a channel from another address was accepted");
    server
        .wait_for_log("refused: it comes from another address", LONG)
        .expect("refusal logged");
    // The same address, while kim's prepared channel is open: refused too.
    let (accepted, _same_host) = channel_from(&server, "127.0.0.1", "kim");
    assert!(!accepted, "a second channel displaced the prepared one");

    launch(&mut kim, &["open"]);
    victim.expect("playing");
    victim.say("proc");
    victim.expect("proc own-group=true");
    // The game description's [limits] reached the game server.
    victim.say("nofile");
    assert_eq!(victim.expect("nofile"), "nofile 256");
    victim.say("done");
    expect_leave(&mut kim);

    // A client that closed its unused channel may prepare a new one, even
    // if it wrote to it first.
    let mut stale = channel(&server, "kim");
    stale.say("early bytes");
    drop(stale);
    std::thread::sleep(Duration::from_millis(100));
    let mut fresh = channel(&server, "kim");
    launch(&mut kim, &["open"]);
    fresh.expect("playing");
}

// ----- containment -----------------------------------------------------------

#[test]
fn children_ignoring_sigint_die_with_their_table() {
    let (server, _tmp) = start("play", "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open"]);
    game.expect("playing");
    game.say("fork-ignore 3");
    let pids = game.pids();
    assert_eq!(pids.len(), 3);
    game.say("done");
    expect_leave(&mut kim);
    assert_eq!(wait_all_gone(&pids), Vec::<i32>::new(), "survivors");
    room_is_usable(&server, "lee");
}

#[test]
fn a_child_that_calls_setsid_dies_with_its_table() {
    let (server, _tmp) = start("play", "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open"]);
    game.expect("playing");
    game.say("setsid-child");
    let mut pids = game.pids();
    game.say("setsid-grandchild");
    pids.extend(game.pids());
    game.say("done");
    expect_leave(&mut kim);
    assert_eq!(wait_all_gone(&pids), Vec::<i32>::new(), "survivors");
    room_is_usable(&server, "lee");
}

#[test]
fn what_an_exiting_game_server_leaves_behind_dies() {
    let (server, _tmp) = start("play", "");
    let mut kim = server.guest_in_room("kim", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open"]);
    game.expect("playing");
    game.say("orphans");
    let pids = game.pids();
    assert_eq!(pids.len(), 4);
    expect_leave(&mut kim);
    assert_eq!(wait_all_gone(&pids), Vec::<i32>::new(), "survivors");
    room_is_usable(&server, "lee");
    // Whatever came back to ggzd was reaped.
    let deadline = Instant::now() + LONG;
    while children_of(server.pid()).iter().any(|p| pids.contains(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!children_of(server.pid()).iter().any(|p| pids.contains(p)));
}

#[test]
fn hung_launches_whose_launchers_left_do_not_fill_the_room() {
    let (server, _tmp) = start("silent", "[timing]\nlaunch_timeout = 1\n");
    // The room holds 3 tables: three launches whose launchers vanish.
    for i in 0..3 {
        let name = format!("gone{i}");
        let mut p = server.guest_in_room(&name, 1);
        let _game = channel(&server, &name);
        p.send(&launch_xml(&["open"])).unwrap();
        // Wait for the game server to exist before leaving.
        let deadline = Instant::now() + LONG;
        while children_of(server.pid()).len() < i + 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(p);
    }
    let deadline = Instant::now() + LONG;
    while server.count_log("game server never became ready") < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.count_log("game server never became ready"), 3);
    let deadline = Instant::now() + LONG;
    while !children_of(server.pid()).iter().all(|p| !alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        children_of(server.pid()).iter().all(|p| !alive(*p)),
        "hung game servers left"
    );
    // A fourth launch is not refused for a full room: it times out too.
    let mut kim = server.guest_in_room("kim", 1);
    let _game = channel(&server, "kim");
    assert_eq!(
        request(&mut kim, &launch_xml(&["open"]), "launch"),
        "launch fail"
    );
}

#[test]
fn a_launch_with_too_many_seats_is_bad_options() {
    let (server, _tmp) = start("play", "");
    let mut kim = server.guest_in_room("kim", 1);
    let _game = channel(&server, "kim");
    let seats = vec!["open"; 100];
    assert_eq!(
        request(&mut kim, &launch_xml(&seats), "launch"),
        "bad options"
    );
    // Still connected, its channel still prepared: it can play.
    launch(&mut kim, &["open"]);
}

// ----- reports ----------------------------------------------------------------

#[test]
fn forged_reports_are_ignored() {
    let (server, _tmp) = start("play", "[tables]\nmax_reports = 5\n");
    let mut kim = server.guest_in_room("kim", 1);
    let _mallory = server.guest_in_room("mallory", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open"]);
    game.expect("playing");
    game.say("forge mallory");
    server
        .wait_for_log("naming no seat of the table ignored: mallory", LONG)
        .expect("unknown name refused");
    game.say("forge-many");
    server
        .wait_for_log("records for 1 seats ignored", LONG)
        .expect("too many records refused");
    game.say("forge-long");
    let line = server
        .wait_for_log("naming no seat of the table ignored: xxxx", LONG)
        .expect("long name refused");
    assert!(line.len() < 1000, "a forged name was logged whole");
    game.say("report-flood 20");
    game.expect("reported");
    server
        .wait_for_log(
            "report limit reached, reports are ignored for a while",
            LONG,
        )
        .expect("report cap");
    game.say("log-flood 500");
    game.expect("logged");
    server.wait_for_log("game says", LONG).expect("game log");
    // One snapshot for both counts: lines still arrive from the pipe.
    let log = server.log();
    let lines = |needle: &str| log.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(lines("FORGED"), lines("\\u{a}FORGED"));
    assert!(
        server.count_log("game says") < 500,
        "MSG_LOG not rate-limited"
    );
    game.say("done");
    expect_leave(&mut kim);
    room_is_usable(&server, "lee");
}

// ----- room traffic -------------------------------------------------------------

#[test]
fn a_seat_request_flood_reaches_the_room_bounded() {
    let (server, _tmp) = start("play", "");
    let mut kim = server.guest_in_room("kim", 1);
    let watcher = server.guest_in_room("watch", 1);
    let mut game = channel(&server, "kim");
    launch(&mut kim, &["open"]);
    game.expect("playing");
    let (mut raw, mut seen) = watcher.into_parts();
    raw.set_read_timeout(Some(LONG)).unwrap();
    const FLOOD: usize = 2000;
    game.say(&format!("seat-flood {FLOOD}"));
    game.expect("flooded");
    // Read the room until it shows the final seat count (2).
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + LONG;
    let final_shown = |seen: &[u8]| {
        let text = String::from_utf8_lossy(seen);
        text.match_indices("ACTION='resize'").any(|(at, _)| {
            let end = text
                .get(at..)
                .and_then(|t| t.find("</UPDATE>"))
                .map_or(text.len(), |e| at + e);
            text.get(at..end).is_some_and(|m| m.contains("SEATS='2'"))
        })
    };
    while !final_shown(&seen) && Instant::now() < deadline {
        match raw.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    assert!(
        final_shown(&seen),
        "the room never saw the final seat count"
    );
    let text = String::from_utf8_lossy(&seen);
    let updates = text.matches("<UPDATE TYPE='table'").count();
    println!(
        "seat flood of {} requests: {updates} table updates, {} bytes to one room member",
        FLOOD + 1,
        seen.len()
    );
    assert!(
        updates < 200,
        "{updates} table updates for {FLOOD} requests"
    );
    game.say("done");
    expect_leave(&mut kim);
}
