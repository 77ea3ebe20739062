//! Zone rules tested without sockets: a recording sink stands in for the
//! event loop, and login jobs are completed by hand.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::*;
use crate::config::Config;
use crate::config::i18n::Translated;
use crate::proto::decoder::{Decoder, Event, Limits};
use crate::proto::element::Element;
use crate::proto::request::LoginKind;
use crate::rooms::EntryRestriction;

#[derive(Default)]
struct Recorder {
    sent: Vec<(ConnId, String)>,
    closed: Vec<(ConnId, Close)>,
    stopped: Vec<ConnId>,
    tls_started: Vec<ConnId>,
    jobs: Vec<Job>,
    timers: Vec<(Instant, TimerKey)>,
    spawned: Vec<(TableSerial, SpawnSpec)>,
    to_tables: Vec<(TableSerial, ggzdmod::wire::ToGame, Option<ConnId>)>,
    ended: Vec<TableSerial>,
    /// What `backlog` reports, per connection.
    backlogs: Vec<(ConnId, usize)>,
    /// Prepared channels whose peer closed them.
    dead_channels: Vec<ConnId>,
    /// Messages for other cluster nodes.
    cluster: Vec<crate::cluster::Outbound>,
}

impl Sink for Recorder {
    fn send(&mut self, to: ConnId, msg: &Msg) {
        self.sent
            .push((to, String::from_utf8_lossy(msg).into_owned()));
    }
    fn close(&mut self, conn: ConnId, how: Close) {
        self.closed.push((conn, how));
    }
    fn start_tls(&mut self, conn: ConnId) {
        self.tls_started.push(conn);
    }
    fn stop_reading(&mut self, conn: ConnId) {
        self.stopped.push(conn);
    }
    fn submit(&mut self, job: Job) {
        self.jobs.push(job);
    }
    fn timer(&mut self, at: Instant, key: TimerKey) {
        self.timers.push((at, key));
    }
    fn spawn_table(&mut self, table: TableSerial, spec: SpawnSpec) {
        self.spawned.push((table, spec));
    }
    fn table_send(
        &mut self,
        table: TableSerial,
        msg: ggzdmod::wire::ToGame,
        channel: Option<ConnId>,
    ) {
        self.to_tables.push((table, msg, channel));
    }
    fn end_table(&mut self, table: TableSerial) {
        self.ended.push(table);
    }
    fn backlog(&self, conn: ConnId) -> usize {
        self.backlogs
            .iter()
            .find(|(c, _)| *c == conn)
            .map_or(0, |(_, b)| *b)
    }
    fn channel_alive(&self, conn: ConnId) -> bool {
        !self.dead_channels.contains(&conn)
    }
    fn cluster(&mut self, out: crate::cluster::Outbound) {
        self.cluster.push(out);
    }
}

impl Recorder {
    /// Everything sent to `conn`, and forget it.
    fn take(&mut self, conn: ConnId) -> Vec<String> {
        let (mine, rest) = std::mem::take(&mut self.sent)
            .into_iter()
            .partition(|(c, _)| *c == conn);
        self.sent = rest;
        mine.into_iter().map(|(_, m)| m).collect()
    }
}

fn settings() -> Settings {
    Settings {
        server_name: "Test Zone".into(),
        admin_name: "Pat".into(),
        admin_email: "pat@example.org".into(),
        web_motd: String::new(),
        port: 5688,
        hostname: "host".into(),
        os: "Linux".into(),
        cpu: "x86_64".into(),
        registration: Registration::Open,
        username: Config::default().policy.username,
        login_timeout: Duration::from_secs(30),
        ping_frequency: Some(Duration::from_secs(10)),
        first_ping_delay: Duration::from_secs(5),
        lag_classes: [500, 1000, 2000, 5000].map(Duration::from_millis),
        room_update_frequency: Some(Duration::from_secs(60)),
        max_clients: 0,
        max_clients_per_ip: 0,
        max_tables: 0,
        chat: chat::ChatLimits::default(),
        gamedata_dir: PathBuf::from("/nonexistent/gamedata"),
        launch_timeout: Duration::from_secs(30),
        abuse: crate::abuse::Limits {
            login_slots: 64,
            ..crate::abuse::Limits::default()
        },
        tls: TlsPolicy::default(),
        tables: Default::default(),
        rejoin: Default::default(),
        replays: Default::default(),
    }
}

fn room(key: &str, name: &str) -> RoomDesc {
    RoomDesc {
        key: key.into(),
        name: Translated::new(name),
        description: Translated::new(format!("{name} room")),
        game: None,
        max_players: 100,
        max_tables: 0,
        restriction: EntryRestriction::None,
        executable_args: Vec::new(),
        source: PathBuf::from(format!("{key}.toml")),
        queues: Vec::new(),
    }
}

struct World {
    zone: Zone,
    sink: Recorder,
    now: Instant,
    next_slot: u32,
}

mod guard;

impl World {
    fn new(settings: Settings, rooms: Vec<RoomDesc>) -> World {
        let now = Instant::now();
        World {
            zone: Zone::new(
                settings,
                Vec::new(),
                rooms,
                Motd::from_text("hello %a"),
                now,
            ),
            sink: Recorder::default(),
            now,
            next_slot: 0,
        }
    }

    fn standard() -> World {
        World::new(
            settings(),
            vec![room("entry", "Lobby"), room("chat", "Chat")],
        )
    }

    fn connect(&mut self) -> ConnId {
        let conn = ConnId {
            slot: self.next_slot,
            generation: 0,
        };
        self.next_slot += 1;
        self.zone.connected(
            conn,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            self.now,
            &mut self.sink,
        );
        self.sink.take(conn);
        conn
    }

    fn send(&mut self, conn: ConnId, xml: &str) {
        let mut decoder = Decoder::new(Limits::SERVER);
        let doc = format!("<SESSION>{xml}");
        let mut rest = doc.as_bytes();
        loop {
            let progress = decoder.feed(rest).expect("valid test xml");
            rest = &rest[progress.consumed..];
            match progress.event {
                Some(Event::Element(e)) => self.element(conn, e),
                Some(Event::SessionEnd) => {
                    self.zone
                        .on_event(conn, Event::SessionEnd, self.now, &mut self.sink)
                }
                Some(Event::SessionStart) => {}
                None if progress.consumed == 0 => break,
                None => {}
            }
        }
    }

    fn element(&mut self, conn: ConnId, e: Element) {
        self.zone
            .on_event(conn, Event::Element(e), self.now, &mut self.sink);
    }

    /// Runs the pending login job with the given outcome.
    fn finish_login(&mut self, outcome: LoginOutcome) {
        let job = self.sink.jobs.pop().expect("a login job");
        let Job::Login { conn, .. } = job else {
            panic!("expected a login job, got {job:?}");
        };
        self.zone
            .on_login_done(conn, outcome, self.now, &mut self.sink);
    }

    fn guest(&mut self, name: &str) -> ConnId {
        let conn = self.connect();
        self.send(
            conn,
            &format!("<LOGIN TYPE='guest'><NAME>{name}</NAME></LOGIN>"),
        );
        self.finish_login(LoginOutcome::GuestChecked { registered: false });
        let out = self.sink.take(conn);
        assert!(out[0].contains("CODE='ok'"), "{out:?}");
        conn
    }

    fn guest_in(&mut self, name: &str, room: u32) -> ConnId {
        let conn = self.guest(name);
        self.send(conn, &format!("<ENTER ROOM='{room}'/>"));
        assert_eq!(
            self.sink.take(conn),
            vec!["<RESULT ACTION='enter' CODE='ok'/>\n"]
        );
        conn
    }
}

mod channel_tokens;
mod channels;
mod cluster;
mod cluster_player;
mod cluster_queue;
mod cluster_stats;
mod cluster_support;
mod cluster_tables;
mod extensions;
mod matchmaking;
mod operator;
mod rejoin;
mod replays;
mod restore;
mod tls;

#[test]
fn guest_login_replies_ok_then_motd_and_schedules_ping() {
    let mut w = World::standard();
    let conn = w.connect();
    w.send(conn, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    assert!(w.sink.take(conn).is_empty(), "nothing before the job ends");
    let Some(Job::Login { login, .. }) = w.sink.jobs.last() else {
        panic!("login job expected");
    };
    assert_eq!(login.kind, LoginKind::Guest);
    assert_eq!(login.canonical, "kim");
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    let out = w.sink.take(conn);
    assert_eq!(out[0], "<RESULT ACTION='login' CODE='ok'/>\n");
    assert!(out[1].starts_with("<MOTD PRIORITY='normal' URL=''><![CDATA[\nhello Pat\n"));
    assert!(
        w.sink
            .timers
            .iter()
            .any(|(at, k)| k.kind == TimerKind::Ping && *at == w.now + Duration::from_secs(5))
    );
}

#[test]
fn guest_with_a_registered_name_is_refused() {
    let mut w = World::standard();
    let conn = w.connect();
    w.send(conn, "<LOGIN TYPE='guest'><NAME>bob</NAME></LOGIN>");
    w.finish_login(LoginOutcome::GuestChecked { registered: true });
    assert_eq!(
        w.sink.take(conn),
        vec!["<RESULT ACTION='login' CODE='wrong login type'/>\n"]
    );
    // And may try again.
    w.send(conn, "<LOGIN TYPE='guest'><NAME>bobby</NAME></LOGIN>");
    assert_eq!(w.sink.jobs.len(), 1);
}

#[test]
fn a_login_while_the_store_is_away_says_why_to_clients_with_extensions() {
    let mut w = World::standard();
    let plain = w.connect();
    w.send(
        plain,
        "<LOGIN TYPE='normal'><NAME>bob</NAME><PASSWORD>pw</PASSWORD></LOGIN>",
    );
    w.finish_login(LoginOutcome::StoreUnavailable);
    assert_eq!(
        w.sink.take(plain),
        vec!["<RESULT ACTION='login' CODE='usr lookup'/>\n"]
    );
    let ours = w.connect();
    w.send(ours, "<EXTENSIONS NAMES='rejoin'/>");
    w.sink.take(ours);
    w.send(
        ours,
        "<LOGIN TYPE='first'><NAME>newbie</NAME><PASSWORD>pw</PASSWORD></LOGIN>",
    );
    w.finish_login(LoginOutcome::StoreUnavailable);
    assert_eq!(
        w.sink.take(ours),
        vec![format!(
            "<RESULT ACTION='login' CODE='usr lookup' REASON='{}'>\n</RESULT>\n",
            super::login::STORE_UNAVAILABLE
        )]
    );
}

#[test]
fn two_pending_logins_of_one_name_let_only_the_first_in() {
    let mut w = World::standard();
    let a = w.connect();
    let b = w.connect();
    w.send(a, "<LOGIN TYPE='guest'><NAME>kim</NAME></LOGIN>");
    w.send(b, "<LOGIN TYPE='guest'><NAME>KIM</NAME></LOGIN>");
    let job_b = w.sink.jobs.pop().unwrap();
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    w.sink.jobs.push(job_b);
    w.finish_login(LoginOutcome::GuestChecked { registered: false });
    assert!(w.sink.take(a)[0].contains("CODE='ok'"));
    assert_eq!(
        w.sink.take(b),
        vec!["<RESULT ACTION='login' CODE='already logged in'/>\n"]
    );
}

#[test]
fn registration_echoes_the_password() {
    let mut w = World::standard();
    let conn = w.connect();
    w.send(
        conn,
        "<LOGIN TYPE='first'><NAME>alice</NAME><PASSWORD>pw</PASSWORD></LOGIN>",
    );
    w.finish_login(LoginOutcome::Accepted(Box::new(Account {
        user_id: 1,
        permissions: perms::REGISTERED,
        ..Default::default()
    })));
    let out = w.sink.take(conn);
    assert_eq!(
        out[0],
        "<RESULT ACTION='login' CODE='ok'>\n<PASSWORD>pw</PASSWORD>\n</RESULT>\n"
    );
}

#[test]
fn entering_a_room_tells_both_rooms() {
    let mut w = World::standard();
    let bob = w.guest_in("bob", 1);
    let carol = w.guest_in("carol", 0);
    w.sink.take(bob);
    let kim = w.guest_in("kim", 0);
    let to_carol = w.sink.take(carol);
    assert_eq!(to_carol.len(), 1);
    assert!(to_carol[0].starts_with("<UPDATE TYPE='player' ACTION='add' ROOM='0' FROMROOM='-1'>\n<PLAYER ID='kim' TYPE='guest' TABLE='-1' PERMS='0x00000043' LAG='1'/>"));

    w.send(kim, "<ENTER ROOM='1'/>");
    assert_eq!(
        w.sink.take(kim),
        vec!["<RESULT ACTION='enter' CODE='ok'/>\n"]
    );
    assert_eq!(
        w.sink.take(carol),
        vec![
            "<UPDATE TYPE='player' ACTION='delete' ROOM='0' TOROOM='1'>\n<PLAYER ID='kim'/>\n</UPDATE>\n"
        ]
    );
    let to_bob = w.sink.take(bob);
    assert!(to_bob[0].contains("ACTION='add' ROOM='1' FROMROOM='0'"));

    // Entering the room one is in changes nothing.
    w.send(kim, "<ENTER ROOM='1'/>");
    assert_eq!(
        w.sink.take(kim),
        vec!["<RESULT ACTION='enter' CODE='ok'/>\n"]
    );
    assert!(w.sink.take(bob).is_empty());
}

#[test]
fn enter_errors() {
    let mut rooms = vec![
        room("entry", "Lobby"),
        room("small", "Small"),
        room("vip", "VIP"),
    ];
    rooms[1].max_players = 1;
    rooms[2].restriction = EntryRestriction::Registered;
    let mut w = World::new(settings(), rooms);
    let kim = w.guest("kim");
    for (xml, code) in [
        ("<ENTER ROOM='3'/>", "bad options"),
        ("<ENTER ROOM='-1'/>", "bad options"),
        ("<ENTER/>", "bad options"),
        ("<ENTER ROOM='2'/>", "no permission"),
    ] {
        w.send(kim, xml);
        assert_eq!(
            w.sink.take(kim),
            vec![format!("<RESULT ACTION='enter' CODE='{code}'/>\n")],
            "{xml}"
        );
    }
    let _bob = w.guest_in("bob", 1);
    w.send(kim, "<ENTER ROOM='1'/>");
    assert_eq!(
        w.sink.take(kim),
        vec!["<RESULT ACTION='enter' CODE='room full'/>\n"]
    );
}

#[test]
fn room_restrictions_use_the_intended_permissions() {
    let mut rooms = vec![
        room("entry", "Lobby"),
        room("reg", "Reg"),
        room("adm", "Adm"),
    ];
    rooms[1].restriction = EntryRestriction::Registered;
    rooms[2].restriction = EntryRestriction::Admin;
    let mut w = World::new(settings(), rooms);
    let login = |w: &mut World, name: &str, perms: u32| {
        let conn = w.connect();
        w.send(
            conn,
            &format!("<LOGIN TYPE='normal'><NAME>{name}</NAME><PASSWORD>x</PASSWORD></LOGIN>"),
        );
        w.finish_login(LoginOutcome::Accepted(Box::new(Account {
            user_id: 1,
            permissions: perms,
            ..Default::default()
        })));
        w.sink.take(conn);
        conn
    };
    let user = login(&mut w, "user", perms::REGISTERED);
    let host = login(&mut w, "host", perms::HOST);
    let admin = login(&mut w, "admin", perms::ADMIN);
    let enter = |w: &mut World, conn, room| {
        w.send(conn, &format!("<ENTER ROOM='{room}'/>"));
        w.sink.take(conn).join("")
    };
    assert!(enter(&mut w, user, 1).contains("'ok'"));
    assert!(enter(&mut w, user, 2).contains("no permission"));
    // The original let hosts into admin rooms (edit_privmsg as index 8);
    // the intended rule needs rooms_admin.
    assert!(enter(&mut w, host, 2).contains("no permission"));
    assert!(enter(&mut w, admin, 2).contains("'ok'"));
}

#[test]
fn chat_reaches_the_room_and_private_reaches_one() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 1);
    let bob = w.guest_in("bob", 1);
    let eve = w.guest_in("eve", 0);
    w.sink.sent.clear();
    w.send(kim, "<CHAT TYPE='normal'>hi &amp; all</CHAT>");
    assert_eq!(
        w.sink.take(kim),
        vec![
            "<RESULT ACTION='chat' CODE='ok'/>\n",
            "<CHAT TYPE='normal' FROM='kim'>hi &amp; all</CHAT>\n"
        ]
    );
    assert_eq!(
        w.sink.take(bob),
        vec!["<CHAT TYPE='normal' FROM='kim'>hi &amp; all</CHAT>\n"]
    );
    assert!(w.sink.take(eve).is_empty());

    w.send(kim, "<CHAT TYPE='private' TO='EVE'>psst</CHAT>");
    assert_eq!(
        w.sink.take(kim),
        vec!["<RESULT ACTION='chat' CODE='ok'/>\n"]
    );
    assert_eq!(
        w.sink.take(eve),
        vec!["<CHAT TYPE='private' FROM='kim'>psst</CHAT>\n"]
    );
    w.send(kim, "<CHAT TYPE='beep' TO='bob'/>");
    w.sink.take(kim);
    assert_eq!(w.sink.take(bob), vec!["<CHAT TYPE='beep' FROM='kim'/>\n"]);
}

#[test]
fn chat_errors() {
    let mut w = World::standard();
    let kim = w.guest("kim");
    let code = |w: &mut World, xml: &str| {
        w.send(kim, xml);
        w.sink.take(kim).join("")
    };
    assert!(code(&mut w, "<CHAT>x</CHAT>").contains("not in room"));
    w.send(kim, "<ENTER ROOM='0'/>");
    w.sink.take(kim);
    assert!(code(&mut w, "<CHAT TYPE='announce'>x</CHAT>").contains("no permission"));
    assert!(code(&mut w, "<CHAT TYPE='private'>x</CHAT>").contains("bad options"));
    assert!(code(&mut w, "<CHAT TYPE='beep' TO='ghost'/>").contains("usr lookup"));
    assert!(code(&mut w, "<CHAT TYPE='table'>x</CHAT>").contains("no table"));
    let long = "x".repeat(513);
    assert!(code(&mut w, &format!("<CHAT>{long}</CHAT>")).contains("bad options"));
    let max = "y".repeat(512);
    assert!(code(&mut w, &format!("<CHAT>{max}</CHAT>")).contains("'ok'"));
}

/// Fires every chat release timer that is due at `w.now`, as the event
/// loop would; returns how many fired.
fn fire_chat_timers(w: &mut World) -> usize {
    let due: Vec<(Instant, TimerKey)> = w
        .sink
        .timers
        .iter()
        .filter(|(at, k)| k.kind == TimerKind::ChatRelease && *at <= w.now)
        .copied()
        .collect();
    w.sink
        .timers
        .retain(|(at, k)| !(k.kind == TimerKind::ChatRelease && *at <= w.now));
    for (at, key) in &due {
        w.zone.on_timer(*key, *at, w.now, &mut w.sink);
    }
    due.len()
}

#[test]
fn chat_flood_is_delayed_not_dropped() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let bob = w.guest_in("bob", 0);
    w.sink.sent.clear();
    w.sink.timers.clear();
    for i in 0..15 {
        w.send(kim, &format!("<CHAT>line {i}</CHAT>"));
    }
    // The burst of 10 goes at once; 5 lines wait, unanswered for now.
    let replies = w.sink.take(kim);
    let ok = |r: &Vec<String>| {
        r.iter()
            .filter(|l| l.contains("RESULT ACTION='chat' CODE='ok'"))
            .count()
    };
    assert_eq!(ok(&replies), 10);
    assert!(!replies.iter().any(|r| r.contains("bad options")));
    assert_eq!(w.sink.take(bob).len(), 10);
    // One release timer, for when the next token is back (2 per second).
    let timers: Vec<_> = w
        .sink
        .timers
        .iter()
        .filter(|(_, k)| k.kind == TimerKind::ChatRelease)
        .collect();
    assert_eq!(timers.len(), 1);
    // A later line waits behind the others even once a token is free.
    w.now += Duration::from_millis(600);
    w.send(kim, "<CHAT>line 15</CHAT>");
    assert!(w.sink.take(kim).is_empty());
    let mut seen = Vec::new();
    for _ in 0..20 {
        fire_chat_timers(&mut w);
        let replies = w.sink.take(kim);
        assert_eq!(
            ok(&replies),
            replies.iter().filter(|r| r.starts_with("<RESULT")).count()
        );
        seen.extend(w.sink.take(bob));
        w.now += Duration::from_millis(500);
    }
    // Everything arrived, in order, and nothing is left waiting.
    let expected: Vec<String> = (10..16)
        .map(|i| format!("<CHAT TYPE='normal' FROM='kim'>line {i}</CHAT>\n"))
        .collect();
    assert_eq!(seen, expected);
    assert!(
        w.sink
            .timers
            .iter()
            .all(|(_, k)| k.kind != TimerKind::ChatRelease)
    );
}

#[test]
fn chat_flood_past_the_backlog_is_refused_in_order_or_disconnected() {
    let mut settings = settings();
    settings.chat.backlog_lines = 2;
    let mut w = World::new(settings.clone(), vec![room("entry", "Lobby")]);
    let kim = w.guest_in("kim", 0);
    w.sink.sent.clear();
    for _ in 0..14 {
        w.send(kim, "<CHAT>spam</CHAT>");
    }
    // 10 at once, 2 wait, 2 refused behind them: nothing answered yet
    // beyond the burst.
    let replies = w.sink.take(kim);
    assert_eq!(
        replies.iter().filter(|r| r.contains("RESULT")).count(),
        10,
        "{replies:?}"
    );
    let mut answers = Vec::new();
    for _ in 0..10 {
        w.now += Duration::from_millis(600);
        fire_chat_timers(&mut w);
        answers.extend(
            w.sink
                .take(kim)
                .into_iter()
                .filter(|r| r.starts_with("<RESULT")),
        );
    }
    let codes: Vec<&str> = answers
        .iter()
        .map(|r| if r.contains("'ok'") { "ok" } else { "refused" })
        .collect();
    // Lines 11 and 12 waited, 13 and 14 were refused: the answers keep
    // that order.
    assert_eq!(codes, ["ok", "ok", "refused", "refused"], "{answers:?}");
    assert!(w.sink.closed.is_empty());

    settings.chat.overflow = super::flood::Overflow::Disconnect;
    let mut w = World::new(settings, vec![room("entry", "Lobby")]);
    let kim = w.guest_in("kim", 0);
    for _ in 0..13 {
        w.send(kim, "<CHAT>spam</CHAT>");
    }
    assert_eq!(w.sink.closed, [(kim, Close::AfterFlush)]);
}

#[test]
fn lag_rises_while_a_ping_is_unanswered_and_falls_on_pong() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let bob = w.guest_in("bob", 0);
    w.sink.sent.clear();
    let ping_at = w.now + Duration::from_secs(5);
    let key = TimerKey {
        conn: kim,
        kind: TimerKind::Ping,
    };
    w.now = ping_at;
    w.zone.on_timer(key, ping_at, w.now, &mut w.sink);
    assert_eq!(w.sink.take(kim), vec!["<PING/>\n"]);
    // 1.2 s later the lag timer fires: class 3 (>= 1 s), seen by the room.
    let (due, lag_key) = *w
        .sink
        .timers
        .iter()
        .rev()
        .find(|(_, k)| k.kind == TimerKind::Lag)
        .unwrap();
    assert_eq!(due, ping_at + Duration::from_millis(500));
    w.now = ping_at + Duration::from_millis(1200);
    w.zone.on_timer(lag_key, due, w.now, &mut w.sink);
    let update =
        "<UPDATE TYPE='player' ACTION='lag' ROOM='0'>\n<PLAYER ID='kim' LAG='3'/>\n</UPDATE>\n";
    assert_eq!(w.sink.take(bob), vec![update]);
    assert_eq!(w.sink.take(kim), vec![update]);
    // The PONG measures 1.2 s: still class 3, so nothing new to say.
    w.send(kim, "<PONG/>");
    assert!(w.sink.take(bob).is_empty());
    // A stale timer does nothing.
    w.zone.on_timer(lag_key, due, w.now, &mut w.sink);
    assert!(w.sink.take(bob).is_empty());
    // The next ping comes 10 s later; a quick answer drops the class to 1.
    let next_ping = w.now + Duration::from_secs(10);
    w.now = next_ping;
    w.zone.on_timer(key, next_ping, w.now, &mut w.sink);
    assert_eq!(w.sink.take(kim), vec!["<PING/>\n"]);
    w.now += Duration::from_millis(20);
    w.send(kim, "<PONG/>");
    assert!(w.sink.take(bob)[0].contains("LAG='1'"));
}

#[test]
fn a_ping_waits_while_the_players_queue_is_deep() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let bob = w.guest_in("bob", 0);
    w.sink.sent.clear();
    let key = TimerKey {
        conn: kim,
        kind: TimerKind::Ping,
    };
    let ping_at = w.now + Duration::from_secs(5);
    w.now = ping_at;
    w.sink.backlogs = vec![(kim, 1 << 20)];
    w.sink.timers.clear();
    w.zone.on_timer(key, ping_at, w.now, &mut w.sink);
    // No PING behind a megabyte of room traffic, no lag timer: a retry.
    assert!(w.sink.take(kim).is_empty());
    let (retry, retry_key) = *w.sink.timers.last().unwrap();
    assert_eq!(retry_key, key);
    assert!(retry > w.now);
    assert!(!w.sink.timers.iter().any(|(_, k)| k.kind == TimerKind::Lag));
    // Once the queue has drained the PING goes out.
    w.sink.backlogs.clear();
    w.now = retry;
    w.zone.on_timer(retry_key, retry, w.now, &mut w.sink);
    assert_eq!(w.sink.take(kim), vec!["<PING/>\n"]);
    assert!(w.sink.take(bob).is_empty());
}

#[test]
fn logout_and_disconnect_tell_the_room() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 0);
    let bob = w.guest_in("bob", 0);
    w.sink.sent.clear();
    w.send(kim, "</SESSION>");
    assert_eq!(w.sink.take(kim), vec!["</SESSION>\n"]);
    assert_eq!(w.sink.closed, vec![(kim, Close::AfterFlush)]);
    assert_eq!(
        w.sink.take(bob),
        vec![
            "<UPDATE TYPE='player' ACTION='delete' ROOM='0' TOROOM='-1'>\n<PLAYER ID='kim'/>\n</UPDATE>\n"
        ]
    );
    w.zone.disconnected(bob, w.now, &mut w.sink);
    assert_eq!(w.zone.player_count(), 0);
    assert_eq!(w.zone.connection_count(), 0);
}

#[test]
fn channel_connection_is_handed_to_its_player() {
    let mut w = World::standard();
    let kim = w.guest("kim");
    let channel = w.connect();
    assert!(w.zone.wants_exact_reads(channel));
    w.send(channel, "<CHANNEL ID='KIM'/></SESSION>");
    assert_eq!(w.sink.take(channel), vec!["</SESSION>\n"]);
    assert_eq!(w.sink.stopped, vec![channel]);
    assert!(!w.zone.wants_exact_reads(channel));
    // When the player leaves, the unused channel is closed too.
    w.zone.disconnected(kim, w.now, &mut w.sink);
    assert!(w.sink.closed.contains(&(channel, Close::Now)));
    assert_eq!(w.zone.connection_count(), 0);
}

#[test]
fn channel_for_nobody_is_closed() {
    let mut w = World::standard();
    let channel = w.connect();
    w.send(channel, "<CHANNEL/>");
    assert_eq!(
        w.sink.take(channel),
        vec!["<RESULT ACTION='channel' CODE='bad options'/>\n"]
    );
    let channel = w.connect();
    w.send(channel, "<CHANNEL ID='ghost'/></SESSION>");
    assert!(w.sink.closed.contains(&(channel, Close::Now)));
}

#[test]
fn server_full_gets_the_full_greeting() {
    let mut s = settings();
    s.max_clients = 1;
    let mut w = World::new(s, vec![room("entry", "Lobby")]);
    let _first = w.connect();
    let second = ConnId {
        slot: 9,
        generation: 0,
    };
    let accepted = w
        .zone
        .connected(second, IpAddr::V4(Ipv4Addr::LOCALHOST), w.now, &mut w.sink);
    assert!(!accepted);
    assert!(w.sink.take(second)[0].contains("STATUS='full'/>"));
}

#[test]
fn reload_adds_closes_and_deletes_rooms() {
    let mut w = World::standard();
    let kim = w.guest_in("kim", 1);
    let watcher = w.guest_in("watcher", 0);
    w.sink.sent.clear();
    // "chat" disappears, "games" appears.
    w.zone.reload(
        Vec::new(),
        vec![room("entry", "Lobby"), room("games", "Games")],
        Motd::from_text("new motd"),
        w.now,
        &mut w.sink,
    );
    let seen = w.sink.take(watcher).join("");
    assert!(
        seen.contains("<UPDATE TYPE='room' ACTION='close'>\n<ROOM ID='1'/>"),
        "{seen}"
    );
    assert!(
        seen.contains("<UPDATE TYPE='room' ACTION='add'>\n<ROOM ID='2' NAME='Games'"),
        "{seen}"
    );
    // Kim is still there, can chat, but nobody may enter room 1.
    w.send(kim, "<CHAT>still here</CHAT>");
    assert!(w.sink.take(kim).join("").contains("still here"));
    w.send(watcher, "<ENTER ROOM='1'/>");
    assert!(w.sink.take(watcher).join("").contains("bad options"));
    // Kim leaves: the closed room is deleted.
    w.send(kim, "<ENTER ROOM='2'/>");
    let seen = w.sink.take(watcher).join("");
    assert!(
        seen.contains("<UPDATE TYPE='room' ACTION='delete'>\n<ROOM ID='1'/>"),
        "{seen}"
    );
    w.send(watcher, "<MOTD/>");
    assert!(w.sink.take(watcher)[0].contains("new motd"));
}

#[test]
fn requests_before_login_are_refused_and_misplaced_children_flagged() {
    let mut w = World::standard();
    let conn = w.connect();
    w.send(conn, "<LIST TYPE='room'/><NAME>x</NAME><FOO/>");
    assert_eq!(
        w.sink.take(conn),
        vec![
            "<RESULT ACTION='list' CODE='not logged in'/>\n",
            "<RESULT ACTION='protocol' CODE='bad options'/>\n"
        ]
    );
}

#[test]
fn list_type_errors() {
    let mut w = World::standard();
    let kim = w.guest("kim");
    w.send(kim, "<LIST/><LIST TYPE='bogus'/><LIST TYPE='player'/>");
    assert_eq!(
        w.sink.take(kim),
        vec![
            "<RESULT ACTION='list' CODE='bad options'/>\n",
            "<RESULT ACTION='protocol' CODE='bad options'/>\n",
            "<RESULT ACTION='list' CODE='not in room'/>\n"
        ]
    );
}

#[test]
fn stale_connection_ids_reach_nobody() {
    let mut w = World::standard();
    let kim = w.guest("kim");
    let stale = ConnId {
        slot: kim.slot,
        generation: kim.generation + 1,
    };
    w.send(stale, "<MOTD/>");
    assert!(w.sink.sent.is_empty());
    w.zone.disconnected(stale, w.now, &mut w.sink);
    assert_eq!(w.zone.player_count(), 1);
}

#[test]
fn announce_reaches_every_room_for_those_allowed() {
    let mut w = World::standard();
    let admin = w.connect();
    w.send(
        admin,
        "<LOGIN TYPE='normal'><NAME>boss</NAME><PASSWORD>x</PASSWORD></LOGIN>",
    );
    w.finish_login(LoginOutcome::Accepted(Box::new(Account {
        user_id: 1,
        permissions: perms::ADMIN,
        ..Default::default()
    })));
    w.send(admin, "<ENTER ROOM='0'/>");
    let in_lobby = w.guest_in("kim", 0);
    let in_chat = w.guest_in("bob", 1);
    let nowhere = w.guest("eve");
    w.sink.sent.clear();
    w.send(admin, "<CHAT TYPE='announce'>maintenance at 22:00</CHAT>");
    let line = "<CHAT TYPE='announce' FROM='boss'>maintenance at 22:00</CHAT>\n";
    assert_eq!(
        w.sink.take(admin),
        vec!["<RESULT ACTION='chat' CODE='ok'/>\n", line]
    );
    assert_eq!(w.sink.take(in_lobby), vec![line]);
    assert_eq!(w.sink.take(in_chat), vec![line]);
    assert!(w.sink.take(nowhere).is_empty(), "only players in rooms");
    // Admins show up as such.
    w.send(in_lobby, "<LIST TYPE='player'/>");
    assert!(
        w.sink.take(in_lobby)[0]
            .contains("<PLAYER ID='boss' TYPE='admin' TABLE='-1' PERMS='0x0000019F'")
    );
}

fn registered(w: &mut World, name: &str, permissions: u32) -> ConnId {
    let conn = w.connect();
    w.send(
        conn,
        &format!("<LOGIN TYPE='normal'><NAME>{name}</NAME><PASSWORD>x</PASSWORD></LOGIN>"),
    );
    w.finish_login(LoginOutcome::Accepted(Box::new(Account {
        user_id: 1,
        permissions,
        ..Default::default()
    })));
    w.send(conn, "<ENTER ROOM='0'/>");
    w.sink.take(conn);
    conn
}

#[test]
fn hosts_gag_and_ungag() {
    let mut w = World::standard();
    let host = registered(&mut w, "host", perms::HOST);
    let troll = w.guest_in("troll", 0);
    let kim = w.guest_in("kim", 0);
    w.sink.sent.clear();
    // Not a host: refused. Unknown target: usr lookup. Self: usr lookup.
    w.send(kim, "<ADMIN ACTION='gag' PLAYER='troll'/>");
    assert!(w.sink.take(kim)[0].contains("no permission"));
    w.send(host, "<ADMIN ACTION='gag' PLAYER='ghost'/>");
    assert!(w.sink.take(host)[0].contains("usr lookup"));
    w.send(host, "<ADMIN ACTION='gag' PLAYER='HOST'/>");
    assert!(w.sink.take(host)[0].contains("usr lookup"));
    // Missing ACTION: ignored.
    w.send(host, "<ADMIN PLAYER='troll'/>");
    assert!(w.sink.take(host).is_empty());

    w.send(host, "<ADMIN ACTION='gag' PLAYER='troll'/>");
    assert_eq!(
        w.sink.take(host),
        vec!["<RESULT ACTION='admin' CODE='ok'/>\n"]
    );
    w.send(troll, "<CHAT>spam</CHAT>");
    assert_eq!(
        w.sink.take(troll).len(),
        2,
        "the gagged sender still sees its own line"
    );
    assert!(w.sink.take(kim).is_empty(), "nobody else does");
    w.send(troll, "<CHAT TYPE='private' TO='kim'>psst</CHAT>");
    assert!(w.sink.take(kim).is_empty());
    w.send(troll, "<CHAT TYPE='private' TO='host'>sorry</CHAT>");
    assert_eq!(
        w.sink.take(host).len(),
        1,
        "hosts still hear a gagged player"
    );
    w.send(host, "<ADMIN ACTION='ungag' PLAYER='troll'/>");
    w.sink.take(host);
    w.send(troll, "<CHAT>hello again</CHAT>");
    assert_eq!(w.sink.take(kim).len(), 1);
}

#[test]
fn kick_needs_a_reason_and_delivers_it() {
    let mut w = World::standard();
    let host = registered(&mut w, "host", perms::HOST);
    let troll = w.guest_in("troll", 0);
    w.sink.sent.clear();
    w.send(host, "<ADMIN ACTION='kick' PLAYER='troll'/>");
    assert!(w.sink.take(host)[0].contains("bad options"));
    w.send(
        host,
        "<ADMIN ACTION='kick' PLAYER='troll'><REASON>spamming</REASON></ADMIN>",
    );
    assert_eq!(
        w.sink.take(troll),
        vec!["<CHAT TYPE='private' FROM='host'>spamming</CHAT>\n"]
    );
    assert!(w.sink.closed.contains(&(troll, Close::AfterFlush)));
    let seen = w.sink.take(host).join("");
    assert!(
        seen.contains("ACTION='delete'") && seen.contains("CODE='ok'"),
        "{seen}"
    );
    assert_eq!(w.zone.player_count(), 1);
}

#[test]
fn ban_is_stored_and_kicks() {
    let mut w = World::standard();
    let host = registered(&mut w, "host", perms::HOST);
    let troll = w.guest_in("troll", 0);
    w.sink.jobs.clear();
    w.send(
        host,
        "<ADMIN ACTION='ban' PLAYER='troll'><REASON>again</REASON></ADMIN>",
    );
    assert!(
        !w.sink.take(host).join("").contains("ACTION='admin'"),
        "answered after the commit"
    );
    assert!(w.sink.closed.contains(&(troll, Close::AfterFlush)));
    let Some(Job::Ban {
        admin,
        name,
        address,
        ..
    }) = w.sink.jobs.pop()
    else {
        panic!("a ban job");
    };
    assert_eq!(
        (name.as_str(), address.as_deref()),
        ("troll", Some("127.0.0.1"))
    );
    assert_eq!(admin, Moderator::Player(host));
    w.zone.on_banned(host, true, &mut w.sink);
    assert_eq!(
        w.sink.take(host),
        vec!["<RESULT ACTION='admin' CODE='ok'/>\n"]
    );
}

#[test]
fn adminperm_changes_are_stored_then_announced() {
    let mut w = World::standard();
    let admin = registered(&mut w, "boss", perms::ADMIN);
    let dave = registered(&mut w, "dave", perms::REGISTERED);
    let host = registered(&mut w, "host", perms::HOST);
    let guest = w.guest_in("kim", 0);
    w.sink.sent.clear();
    w.sink.jobs.clear();
    let code = |w: &mut World, conn, xml: &str| {
        w.send(conn, xml);
        w.sink.take(conn).join("")
    };
    assert!(
        code(
            &mut w,
            host,
            "<ADMINPERM PLAYER='dave' PERM='edit_tables' VALUE='true'/>"
        )
        .contains("no permission")
    );
    assert!(
        code(
            &mut w,
            admin,
            "<ADMINPERM PLAYER='ghost' PERM='edit_tables' VALUE='true'/>"
        )
        .contains("usr lookup")
    );
    assert!(
        code(
            &mut w,
            admin,
            "<ADMINPERM PLAYER='kim' PERM='edit_tables' VALUE='true'/>"
        )
        .contains("bad options")
    );
    assert!(
        code(
            &mut w,
            admin,
            "<ADMINPERM PLAYER='boss' PERM='edit_tables' VALUE='true'/>"
        )
        .contains("bad options")
    );
    assert!(
        code(
            &mut w,
            admin,
            "<ADMINPERM PLAYER='dave' PERM='fly' VALUE='true'/>"
        )
        .contains("'ok'")
    );
    assert!(
        code(
            &mut w,
            admin,
            "<ADMINPERM PLAYER='dave' PERM='join_table' VALUE='true'/>"
        )
        .contains("'ok'"),
        "no change, no job"
    );
    assert!(w.sink.jobs.is_empty());

    // A real change: nothing until the database has it.
    assert!(
        code(
            &mut w,
            admin,
            "<ADMINPERM PLAYER='dave' PERM='edit_tables' VALUE='true'/>"
        )
        .is_empty()
    );
    let Some(Job::SetPermissions {
        admin: a,
        target,
        perms: p,
        canonical,
    }) = w.sink.jobs.pop()
    else {
        panic!("a permissions job");
    };
    assert_eq!((target, p, canonical.as_str()), (dave, 0x087, "dave"));
    w.zone
        .on_permissions_stored(a, target, p, true, &mut w.sink);
    let update = "<UPDATE TYPE='player' ACTION='perms' ROOM='0'>\n<PLAYER ID='dave' TYPE='host' PERMS='0x00000087'/>\n</UPDATE>\n";
    assert_eq!(w.sink.take(guest), vec![update]);
    assert_eq!(w.sink.take(dave), vec![update]);
    assert!(w.sink.take(admin).join("").contains("CODE='ok'"));
}

#[test]
fn table_requests_need_their_permissions() {
    let mut w = World::standard();
    // A registered account whose launch and join rights were revoked.
    let muted = registered(&mut w, "muted", perms::REGISTERED & !0x3);
    w.send(
        muted,
        "<LAUNCH><TABLE GAME='0' SEATS='1'><SEAT NUM='0' TYPE='open'/></TABLE></LAUNCH>",
    );
    assert!(w.sink.take(muted)[0].contains("ACTION='launch' CODE='no permission'"));
    w.send(muted, "<JOIN TABLE='1' SPECTATOR='false'/>");
    assert!(w.sink.take(muted)[0].contains("ACTION='join' CODE='no permission'"));
    w.send(
        muted,
        "<UPDATE TYPE='player' ACTION='add'><TABLE ID='1'/></UPDATE>",
    );
    assert!(w.sink.take(muted)[0].contains("ACTION='update' CODE='bad options'"));
}

mod reconfigure;
