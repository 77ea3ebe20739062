//! The three-node harness of the cluster tests (docs/cluster.md): nodes on
//! one throwaway PostgreSQL, their links, and what a client of one node
//! sees of the zone. Included with `#[path]` by the cluster test files.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use ggzd_e2e::*;

/// Long enough for a dead node to be noticed on a loaded machine.
pub const SLOW: Duration = Duration::from_secs(90);

pub fn database() -> String {
    ggzd_pgtest::fresh_database("cluster")
}

/// Node `name` of the zone on database `url`, taking a peer silent for
/// `dead_after` seconds for dead, with `extra` in its config and its rooms
/// from `rooms` (the repository's if none).
fn start_node(
    url: &str,
    name: &str,
    dead_after: u32,
    extra: &str,
    rooms: Option<&std::path::Path>,
) -> TestServer {
    let server = TestServer::start_with(ServerOptions {
        extra_config: format!(
            "[database]\nbackend = \"postgres\"\nurl = \"{url}\"\n\
             [cluster]\nnode = \"{name}\"\nlisten = \"127.0.0.1:0\"\n\
             heartbeat = 1\ndead_after = {dead_after}\n{extra}"
        ),
        rooms_dir: rooms.map(|r| r.to_path_buf()),
        ..ServerOptions::default()
    });
    server
        .wait_for_log("cluster: node", TIMEOUT)
        .unwrap_or_else(|| panic!("node {name} did not join:\n{}", server.log()));
    server
}

/// Node `name` of the zone on database `url`.
pub fn node(url: &str, name: &str) -> TestServer {
    start_node(url, name, 4, "", None)
}

/// Waits until `server` has a link up to each of `peers`.
pub fn wait_links(server: &TestServer, peers: &[&str]) {
    for peer in peers {
        let line = format!("cluster: link to {peer} is up");
        assert!(
            server.wait_for_log(&line, SLOW).is_some(),
            "no link to {peer}:\n{}",
            server.log()
        );
    }
}

/// Waits until nodes a, b and c are linked with each other.
fn linked(nodes: [TestServer; 3]) -> [TestServer; 3] {
    let [a, b, c] = &nodes;
    wait_links(a, &["b", "c"]);
    wait_links(b, &["a", "c"]);
    wait_links(c, &["a", "b"]);
    nodes
}

/// Three nodes a, b and c, linked with each other.
pub fn zone(url: &str) -> [TestServer; 3] {
    linked([node(url, "a"), node(url, "b"), node(url, "c")])
}

/// Three nodes as [`zone`], with their rooms from `rooms`.
pub fn zone_in(url: &str, rooms: &std::path::Path) -> [TestServer; 3] {
    linked([
        node_in(url, "a", rooms),
        node_in(url, "b", rooms),
        node_in(url, "c", rooms),
    ])
}

/// Three nodes as [`zone`], whose rooms ([`queue_rooms`], written below
/// `tmp`) have matchmaking queue `ttt` in room 1.
pub fn queue_zone(url: &str, tmp: &TempDir) -> [TestServer; 3] {
    let rooms = tmp.path().join("rooms");
    queue_rooms(&rooms);
    zone_in(url, &rooms)
}

/// The names `LIST player` shows in the client's room, sorted.
pub fn players(client: &mut Client) -> Vec<String> {
    client.send("<LIST TYPE='player'/>").unwrap();
    let result = client.expect_result("list", TIMEOUT).unwrap();
    let mut names: Vec<String> = result
        .child("LIST")
        .map(|l| {
            l.children_named("PLAYER")
                .filter_map(|p| p.attr("ID").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Asks `LIST player` until it shows exactly `want`.
pub fn wait_players(client: &mut Client, want: &[&str]) {
    let deadline = Instant::now() + SLOW;
    loop {
        let got = players(client);
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "players {got:?}, want {want:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The player count `LIST room` gives room `id`.
pub fn room_count(client: &mut Client, id: &str) -> Option<String> {
    client.send("<LIST TYPE='room'/>").unwrap();
    let result = client.expect_result("list", TIMEOUT).unwrap();
    let list = result.child("LIST")?;
    let room = list
        .children_named("ROOM")
        .find(|r| r.attr("ID") == Some(id))?;
    room.attr("PLAYERS").map(str::to_string)
}

pub fn chat_from(client: &mut Client, kind: &str, from: &str) -> String {
    let line = client
        .recv_until(SLOW, |e| {
            e.is("CHAT") && e.attr("TYPE") == Some(kind) && e.attr("FROM") == Some(from)
        })
        .unwrap_or_else(|e| panic!("no {kind} chat from {from}: {e}"));
    line.text
}

pub fn login(server: &TestServer, kind: LoginKind, name: &str, password: Option<&str>) -> String {
    let mut c = server.connect();
    c.login(kind, name, password, None).unwrap().code
}

/// A registered login on `server`. Its name may still be held for a
/// moment by a session that just ended on another node: that is retried.
pub fn registered(server: &TestServer, name: &str) -> Client {
    login_once_free(server, LoginKind::Normal, name, Some("pw"), |code| {
        assert_eq!(code, "already logged in", "login of {name}")
    })
}

/// A guest login of `name` on `server`, retried (as [`registered`]) while
/// another node still holds the name.
pub fn guest_once_free(server: &TestServer, name: &str) -> Client {
    login_once_free(server, LoginKind::Guest, name, None, |_| {})
}

/// Logs `name` in on `server` until it is let in, its MOTD consumed;
/// `refused` checks the code of each refusal.
fn login_once_free(
    server: &TestServer,
    kind: LoginKind,
    name: &str,
    password: Option<&str>,
    refused: impl Fn(&str),
) -> Client {
    let deadline = Instant::now() + SLOW;
    loop {
        let mut c = server.connect();
        let code = c.login(kind, name, password, None).unwrap().code;
        if code == "ok" {
            c.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
            return c;
        }
        refused(&code);
        assert!(Instant::now() < deadline, "{name} still refused: {code}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ----- engineer "xtables" -----------------------------------------------

/// Nodes a and b that take each other for dead only after two minutes:
/// a node stopped for less is merely slow.
pub fn slow_to_die_pair(url: &str) -> [TestServer; 2] {
    pair_with(url, "")
}

/// Nodes a and b as [`slow_to_die_pair`], b with `b_extra` in its config.
pub fn pair_with(url: &str, b_extra: &str) -> [TestServer; 2] {
    let a = start_node(url, "a", 120, "", None);
    let b = start_node(url, "b", 120, b_extra, None);
    wait_links(&a, &["b"]);
    wait_links(&b, &["a"]);
    [a, b]
}

// ---------------------------------------------------------------------------
// clusterops: link addresses, incarnations and a hand-made HELLO, for tests
// that provoke a link rebuild.

/// The address `server` listens on for node links, from its log.
pub fn link_addr(server: &TestServer) -> std::net::SocketAddr {
    let line = server
        .wait_for_log("listening for node links on ", TIMEOUT)
        .expect("the link address in the log");
    line.rsplit("listening for node links on ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .expect("a link address")
}

/// The incarnation the registry of database `url` holds for `node`.
pub fn incarnation(url: &str, node: &str) -> u64 {
    let db = ggzd_pgtest::Cluster::database_of(url).expect("a database name");
    let pg = ggzd_pgtest::cluster().expect("the throwaway PostgreSQL");
    let out = pg
        .sql(
            db,
            &format!("SELECT incarnation FROM cluster_nodes WHERE name = '{node}'"),
        )
        .expect("the registry");
    out.trim().parse().expect("an incarnation")
}

/// A HELLO frame of link version 2 (docs/cluster.md §3).
pub fn hello_frame(node: &str, incarnation: u64) -> Vec<u8> {
    let mut body = vec![1u8];
    body.extend_from_slice(&(node.len() as u16).to_be_bytes());
    body.extend_from_slice(node.as_bytes());
    body.extend_from_slice(&incarnation.to_be_bytes());
    body.extend_from_slice(&2u16.to_be_bytes());
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend(body);
    frame
}

/// Waits until `needle` appears at least `n` times in the log of `server`.
pub fn wait_log_count(server: &TestServer, needle: &str, n: usize) {
    let deadline = Instant::now() + SLOW;
    while server.count_log(needle) < n {
        assert!(
            Instant::now() < deadline,
            "{needle:?} not {n} times:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Node `name` of the zone on database `url`, with its rooms from `rooms`.
pub fn node_in(url: &str, name: &str, rooms: &std::path::Path) -> TestServer {
    start_node(url, name, 4, "", Some(rooms))
}

/// The lobby and a Tic-Tac-Toe room (`ttt`, room 1) with queue `ttt`
/// (two players, a round every 0.2 s), in `dir`.
pub fn queue_rooms(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("entry.toml"), "name = \"Lobby\"\nmax_tables = 0\n").unwrap();
    std::fs::write(
        dir.join("ttt.toml"),
        "name = \"Tic-Tac-Toe\"\ngame = \"TicTacToe\"\n\
         [[queue]]\nname = \"ttt\"\nmin_players = 2\nmax_players = 2\ninterval = 0.2\n",
    )
    .unwrap();
}
