//! Server messages, built as the exact bytes clients expect.
//!
//! Format rules (docs/client-server.md §1): single-quoted attributes, upper-case names,
//! attributes in the order docs/client-server.md shows, and a `\n` after every element
//! or start/end tag of a multi-line element. Every name, text and value the
//! server writes is escaped, including the places where the original did
//! not (docs/client-server.md §1.1).
//!
//! The functions return `String`s so that one message can be serialised
//! once and queued to many recipients.

use crate::numlist::NumberList;

use super::escape::{escape, push_cdata};
use super::types::{LeaveReason, PlayerKind, ResultCode, SeatKind};

/// A game type, as listed by `LIST TYPE='game'` (docs/client-server.md §8.1).
#[derive(Debug, Clone)]
pub struct GameView<'a> {
    pub id: i32,
    pub name: &'a str,
    pub version: &'a str,
    pub engine: &'a str,
    pub protocol_version: &'a str,
    pub players: &'a NumberList,
    pub bots: &'a NumberList,
    pub spectators: bool,
    pub peers: bool,
    /// `(name, class)` pairs, already in the order to send (sorted by name).
    pub named_bots: &'a [(String, String)],
    pub author: &'a str,
    pub homepage: &'a str,
    pub description: &'a str,
}

/// A room, as listed by `LIST TYPE='room'` (docs/client-server.md §8.2).
#[derive(Debug, Clone)]
pub struct RoomView<'a> {
    pub id: i32,
    pub name: &'a str,
    pub refname: &'a str,
    /// Game type id, -1 for chat-only rooms.
    pub game: i32,
    pub players: u32,
    pub description: &'a str,
}

/// The statistics a player "has" for a room's game (docs/client-server.md §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsView {
    /// `(wins, losses, ties, forfeits)` when the game keeps records.
    pub records: Option<(u32, u32, u32, u32)>,
    /// When the game keeps ratings (already rounded).
    pub rating: Option<i64>,
    /// When the game keeps high scores.
    pub highscore: Option<i64>,
}

/// A player entry (docs/client-server.md §8.3).
#[derive(Debug, Clone)]
pub struct PlayerView<'a> {
    pub name: &'a str,
    pub kind: PlayerKind,
    /// Table id, -1 if none.
    pub table: i32,
    pub perms: u32,
    /// Lag class 1..=5.
    pub lag: u8,
    /// `None` for players without stats (guests, `no_stats`).
    pub stats: Option<StatsView>,
}

/// One seat of a table.
#[derive(Debug, Clone, Copy)]
pub struct SeatView<'a> {
    pub num: u32,
    pub kind: SeatKind,
    /// Player, reservation or bot name. `None` (or empty) writes a
    /// self-closing SEAT.
    pub name: Option<&'a str>,
}

/// A table (docs/client-server.md §8.4).
#[derive(Debug, Clone)]
pub struct TableView<'a> {
    pub id: i32,
    pub game: i32,
    /// Table state number, -1..=4.
    pub status: i32,
    pub desc: &'a str,
    /// All seats, in order 0..SEATS-1.
    pub seats: Vec<SeatView<'a>>,
    /// Occupied spectator slots: `(slot, name)`.
    pub spectators: Vec<(u32, &'a str)>,
}

/// One `PLAYERINFO` line (docs/client-server.md §11.6).
#[derive(Debug, Clone, Copy)]
pub struct PlayerInfoView<'a> {
    pub seat: u32,
    pub realname: &'a str,
    pub photo: &'a str,
    pub host: &'a str,
}

/// One `RANKING` line (docs/client-server.md §11.6).
#[derive(Debug, Clone, Copy)]
pub struct RankingView<'a> {
    pub position: u32,
    pub player: &'a str,
    pub score: i64,
}

// ---------------------------------------------------------------------------
// Small writers. Pushing into a String cannot fail, so no fmt::Result
// plumbing is needed.

pub(super) fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("='");
    out.push_str(&escape(value));
    out.push('\'');
}

pub(super) fn attr_num(out: &mut String, name: &str, value: impl ToString) {
    out.push(' ');
    out.push_str(name);
    out.push_str("='");
    out.push_str(&value.to_string());
    out.push('\'');
}

pub(super) fn attr_bool(out: &mut String, name: &str, value: bool) {
    attr(out, name, if value { "true" } else { "false" });
}

pub(super) fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
}

/// Ends a start tag and the line: `>\n`.
pub(super) fn end_start_line(out: &mut String) {
    out.push_str(">\n");
}

/// Ends an empty element and the line: `/>\n`.
pub(super) fn end_empty(out: &mut String) {
    out.push_str("/>\n");
}

pub(super) fn close_line(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// `<NAME>text</NAME>\n`
pub(super) fn text_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(text));
    close_line(out, name);
}

fn perms_hex(perms: u32) -> String {
    format!("0x{perms:08X}")
}

// ---------------------------------------------------------------------------
// Session

/// The greeting (docs/client-server.md §3) with this build's version in `SERVER ID`.
pub fn greeting(server_name: &str, tls: bool, chatlen: u32) -> String {
    greeting_with_version(crate::VERSION, server_name, tls, chatlen)
}

/// The greeting with an explicit package version (`SERVER ID='GGZ-{version}'`).
pub fn greeting_with_version(version: &str, server_name: &str, tls: bool, chatlen: u32) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n");
    open(&mut out, "SERVER");
    attr(&mut out, "ID", &format!("GGZ-{version}"));
    attr(&mut out, "NAME", server_name);
    attr_num(&mut out, "VERSION", crate::PROTOCOL_VERSION);
    attr(&mut out, "STATUS", "ok");
    attr(&mut out, "TLS_SUPPORT", if tls { "yes" } else { "no" });
    end_start_line(&mut out);
    open(&mut out, "OPTIONS");
    attr_num(&mut out, "CHATLEN", chatlen);
    end_empty(&mut out);
    close_line(&mut out, "SERVER");
    out
}

/// The clean "server full" message (docs/client-server.md §3): declaration,
/// `<SESSION>`, a self-closing SERVER with `STATUS='full'`. The caller
/// closes the connection after it.
pub fn greeting_full(server_name: &str) -> String {
    greeting_full_with_version(crate::VERSION, server_name)
}

/// [`greeting_full`] with an explicit package version.
pub fn greeting_full_with_version(version: &str, server_name: &str) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n");
    open(&mut out, "SERVER");
    attr(&mut out, "ID", &format!("GGZ-{version}"));
    attr(&mut out, "NAME", server_name);
    attr_num(&mut out, "VERSION", crate::PROTOCOL_VERSION);
    attr(&mut out, "STATUS", "full");
    end_empty(&mut out);
    out
}

/// `</SESSION>\n`
pub fn session_end() -> String {
    "</SESSION>\n".to_owned()
}

// ---------------------------------------------------------------------------
// Results

pub(super) fn result_open(out: &mut String, action: &str, code: ResultCode) {
    open(out, "RESULT");
    attr(out, "ACTION", action);
    attr(out, "CODE", code.as_str());
}

/// `<RESULT ACTION='{action}' CODE='{code}'/>`
pub fn result(action: &str, code: ResultCode) -> String {
    let mut out = String::with_capacity(48);
    result_open(&mut out, action, code);
    end_empty(&mut out);
    out
}

/// Successful registration: the password is echoed (docs/client-server.md §5.3).
pub fn result_login_first_ok(password: &str) -> String {
    let mut out = String::new();
    result_open(&mut out, "login", ResultCode::Ok);
    end_start_line(&mut out);
    text_element(&mut out, "PASSWORD", password);
    close_line(&mut out, "RESULT");
    out
}

/// Failed registration: the non-self-closing form with no child
/// (docs/client-server.md §5.3).
pub fn result_login_first_fail(code: ResultCode) -> String {
    let mut out = String::new();
    result_open(&mut out, "login", code);
    end_start_line(&mut out);
    close_line(&mut out, "RESULT");
    out
}

// ---------------------------------------------------------------------------
// MOTD

/// The MOTD text as ggzd sends it: a newline, then every line followed by
/// a newline (docs/client-server.md §7).
pub fn motd_body<I, S>(lines: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut text = String::from("\n");
    for line in lines {
        text.push_str(line.as_ref());
        text.push('\n');
    }
    text
}

/// `<MOTD PRIORITY='normal' URL='{url}'><![CDATA[{text}]]></MOTD>`; `text`
/// goes in verbatim (see [`motd_body`]), split into several CDATA sections
/// if it contains `]]>`.
pub fn motd(text: &str, url: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    open(&mut out, "MOTD");
    attr(&mut out, "PRIORITY", "normal");
    attr(&mut out, "URL", url);
    out.push('>');
    push_cdata(&mut out, text);
    close_line(&mut out, "MOTD");
    out
}

// ---------------------------------------------------------------------------
// Lists

pub(super) fn list_open(out: &mut String, kind: &str, room: Option<i32>) {
    result_open(out, "list", ResultCode::Ok);
    end_start_line(out);
    open(out, "LIST");
    attr(out, "TYPE", kind);
    if let Some(room) = room {
        attr_num(out, "ROOM", room);
    }
    end_start_line(out);
}

pub(super) fn list_close(out: &mut String) {
    close_line(out, "LIST");
    close_line(out, "RESULT");
}

fn push_game(out: &mut String, g: &GameView<'_>, full: bool) {
    open(out, "GAME");
    attr_num(out, "ID", g.id);
    attr(out, "NAME", g.name);
    attr(out, "VERSION", g.version);
    end_start_line(out);

    open(out, "PROTOCOL");
    attr(out, "ENGINE", g.engine);
    attr(out, "VERSION", g.protocol_version);
    end_empty(out);

    open(out, "ALLOW");
    attr(out, "PLAYERS", &g.players.to_string());
    attr(out, "BOTS", &g.bots.to_string());
    attr_bool(out, "SPECTATORS", g.spectators);
    attr_bool(out, "PEERS", g.peers);
    end_empty(out);

    for (name, class) in g.named_bots {
        open(out, "BOT");
        attr(out, "NAME", name);
        attr(out, "CLASS", class);
        end_empty(out);
    }
    if full {
        open(out, "ABOUT");
        attr(out, "AUTHOR", g.author);
        attr(out, "URL", g.homepage);
        end_empty(out);
        text_element(out, "DESC", g.description);
    }
    close_line(out, "GAME");
}

/// `LIST TYPE='game'` reply (docs/client-server.md §8.1); ABOUT and DESC only when `full`.
pub fn list_games(games: &[GameView<'_>], full: bool) -> String {
    let mut out = String::new();
    list_open(&mut out, "game", None);
    for g in games {
        push_game(&mut out, g, full);
    }
    list_close(&mut out);
    out
}

fn push_room(out: &mut String, r: &RoomView<'_>, full: bool) {
    open(out, "ROOM");
    attr_num(out, "ID", r.id);
    attr(out, "NAME", r.name);
    attr(out, "REFNAME", r.refname);
    attr_num(out, "GAME", r.game);
    attr_num(out, "PLAYERS", r.players);
    end_start_line(out);
    if full {
        text_element(out, "DESC", r.description);
    }
    close_line(out, "ROOM");
}

/// `LIST TYPE='room'` reply (docs/client-server.md §8.2); DESC only when `full`.
pub fn list_rooms(rooms: &[RoomView<'_>], full: bool) -> String {
    let mut out = String::new();
    list_open(&mut out, "room", None);
    for r in rooms {
        push_room(&mut out, r, full);
    }
    list_close(&mut out);
    out
}

fn push_stats(out: &mut String, stats: Option<&StatsView>) {
    let Some(s) = stats else { return };
    if let Some((wins, losses, ties, forfeits)) = s.records {
        attr_num(out, "WINS", wins);
        attr_num(out, "LOSSES", losses);
        attr_num(out, "TIES", ties);
        attr_num(out, "FORFEITS", forfeits);
    }
    if let Some(rating) = s.rating {
        attr_num(out, "RATING", rating);
    }
    if let Some(highscore) = s.highscore {
        attr_num(out, "HIGHSCORE", highscore);
    }
}

/// The full PLAYER element, as in lists and `UPDATE player add`.
fn push_player(out: &mut String, p: &PlayerView<'_>) {
    open(out, "PLAYER");
    attr(out, "ID", p.name);
    attr(out, "TYPE", p.kind.as_str());
    attr_num(out, "TABLE", p.table);
    attr(out, "PERMS", &perms_hex(p.perms));
    attr_num(out, "LAG", p.lag);
    push_stats(out, p.stats.as_ref());
    end_empty(out);
}

/// `LIST TYPE='player'` reply for room `room` (docs/client-server.md §8.3).
pub fn list_players(room: i32, players: &[PlayerView<'_>]) -> String {
    let mut out = String::new();
    list_open(&mut out, "player", Some(room));
    for p in players {
        push_player(&mut out, p);
    }
    list_close(&mut out);
    out
}

fn push_seat(out: &mut String, s: &SeatView<'_>) {
    open(out, "SEAT");
    attr_num(out, "NUM", s.num);
    attr(out, "TYPE", s.kind.as_str());
    match s.name.filter(|n| !n.is_empty()) {
        Some(name) => {
            out.push('>');
            out.push_str(&escape(name));
            close_line(out, "SEAT");
        }
        None => end_empty(out),
    }
}

fn push_spectator(out: &mut String, num: u32, name: &str) {
    open(out, "SPECTATOR");
    attr_num(out, "NUM", num);
    out.push('>');
    out.push_str(&escape(name));
    close_line(out, "SPECTATOR");
}

/// The full TABLE element (docs/client-server.md §8.4).
fn push_table(out: &mut String, t: &TableView<'_>) {
    open(out, "TABLE");
    attr_num(out, "ID", t.id);
    attr_num(out, "GAME", t.game);
    attr_num(out, "STATUS", t.status);
    attr_num(out, "SEATS", t.seats.len());
    end_start_line(out);
    text_element(out, "DESC", t.desc);
    for s in &t.seats {
        push_seat(out, s);
    }
    for (num, name) in &t.spectators {
        push_spectator(out, *num, name);
    }
    close_line(out, "TABLE");
}

/// `LIST TYPE='table'` reply for room `room` (docs/client-server.md §8.4).
pub fn list_tables(room: i32, tables: &[TableView<'_>]) -> String {
    let mut out = String::new();
    list_open(&mut out, "table", Some(room));
    for t in tables {
        push_table(&mut out, t);
    }
    list_close(&mut out);
    out
}

// ---------------------------------------------------------------------------
// Player updates (docs/client-server.md §12.1)

fn update_open(out: &mut String, kind: &str, action: &str, room: Option<i32>) {
    open(out, "UPDATE");
    attr(out, "TYPE", kind);
    attr(out, "ACTION", action);
    if let Some(room) = room {
        attr_num(out, "ROOM", room);
    }
}

/// Player entered `room` from `from_room` (-1 at first entry).
pub fn update_player_add(room: i32, from_room: i32, player: &PlayerView<'_>) -> String {
    let mut out = String::new();
    update_open(&mut out, "player", "add", Some(room));
    attr_num(&mut out, "FROMROOM", from_room);
    end_start_line(&mut out);
    push_player(&mut out, player);
    close_line(&mut out, "UPDATE");
    out
}

/// Player left `room` for `to_room` (-1 on logout).
pub fn update_player_delete(room: i32, to_room: i32, name: &str) -> String {
    let mut out = String::new();
    update_open(&mut out, "player", "delete", Some(room));
    attr_num(&mut out, "TOROOM", to_room);
    end_start_line(&mut out);
    open(&mut out, "PLAYER");
    attr(&mut out, "ID", name);
    end_empty(&mut out);
    close_line(&mut out, "UPDATE");
    out
}

/// Lag class change.
pub fn update_player_lag(room: i32, name: &str, lag: u8) -> String {
    let mut out = String::new();
    update_open(&mut out, "player", "lag", Some(room));
    end_start_line(&mut out);
    open(&mut out, "PLAYER");
    attr(&mut out, "ID", name);
    attr_num(&mut out, "LAG", lag);
    end_empty(&mut out);
    close_line(&mut out, "UPDATE");
    out
}

/// New statistics; `None` (a guest) gives a PLAYER with only its ID.
pub fn update_player_stats(room: i32, name: &str, stats: Option<&StatsView>) -> String {
    let mut out = String::new();
    update_open(&mut out, "player", "stats", Some(room));
    end_start_line(&mut out);
    open(&mut out, "PLAYER");
    attr(&mut out, "ID", name);
    push_stats(&mut out, stats);
    end_empty(&mut out);
    close_line(&mut out, "UPDATE");
    out
}

/// Permission change (ADMINPERM).
pub fn update_player_perms(room: i32, name: &str, kind: PlayerKind, perms: u32) -> String {
    let mut out = String::new();
    update_open(&mut out, "player", "perms", Some(room));
    end_start_line(&mut out);
    open(&mut out, "PLAYER");
    attr(&mut out, "ID", name);
    attr(&mut out, "TYPE", kind.as_str());
    attr(&mut out, "PERMS", &perms_hex(perms));
    end_empty(&mut out);
    close_line(&mut out, "UPDATE");
    out
}

// ---------------------------------------------------------------------------
// Room updates (docs/client-server.md §12.3): no ROOM attribute on the UPDATE element.

fn room_update_short(action: &str, id: i32, players: Option<u32>) -> String {
    let mut out = String::new();
    update_open(&mut out, "room", action, None);
    end_start_line(&mut out);
    open(&mut out, "ROOM");
    attr_num(&mut out, "ID", id);
    if let Some(players) = players {
        attr_num(&mut out, "PLAYERS", players);
    }
    end_empty(&mut out);
    close_line(&mut out, "UPDATE");
    out
}

/// Periodic occupancy update for one room.
pub fn update_room_players(id: i32, players: u32) -> String {
    room_update_short("players", id, Some(players))
}

/// A room was added (full ROOM with DESC).
pub fn update_room_add(room: &RoomView<'_>) -> String {
    let mut out = String::new();
    update_open(&mut out, "room", "add", None);
    end_start_line(&mut out);
    push_room(&mut out, room, true);
    close_line(&mut out, "UPDATE");
    out
}

/// A room will be removed once empty.
pub fn update_room_close(id: i32) -> String {
    room_update_short("close", id, None)
}

/// A room was removed.
pub fn update_room_delete(id: i32) -> String {
    room_update_short("delete", id, None)
}

// ---------------------------------------------------------------------------
// Table updates (docs/client-server.md §12.2)

fn table_update(room: i32, action: &str, body: impl FnOnce(&mut String)) -> String {
    let mut out = String::new();
    update_open(&mut out, "table", action, Some(room));
    end_start_line(&mut out);
    body(&mut out);
    close_line(&mut out, "UPDATE");
    out
}

/// A table reached WAITING after launch: the full TABLE.
pub fn update_table_add(room: i32, table: &TableView<'_>) -> String {
    table_update(room, "add", |out| push_table(out, table))
}

/// A table was removed: `<TABLE ID STATUS='-1' SEATS/>`.
pub fn update_table_delete(room: i32, id: i32, seats: u32) -> String {
    update_table_short(room, "delete", id, -1, seats)
}

/// A table's state changed.
pub fn update_table_status(room: i32, id: i32, status: i32, seats: u32) -> String {
    update_table_short(room, "status", id, status, seats)
}

fn update_table_short(room: i32, action: &str, id: i32, status: i32, seats: u32) -> String {
    table_update(room, action, |out| {
        open(out, "TABLE");
        attr_num(out, "ID", id);
        attr_num(out, "STATUS", status);
        attr_num(out, "SEATS", seats);
        end_empty(out);
    })
}

/// A table's description changed.
pub fn update_table_desc(room: i32, id: i32, desc: &str) -> String {
    table_update(room, "desc", |out| {
        open(out, "TABLE");
        attr_num(out, "ID", id);
        end_start_line(out);
        text_element(out, "DESC", desc);
        close_line(out, "TABLE");
    })
}

fn update_table_one_seat(
    room: i32,
    action: &str,
    id: i32,
    seats: u32,
    seat: &SeatView<'_>,
) -> String {
    table_update(room, action, |out| {
        open(out, "TABLE");
        attr_num(out, "ID", id);
        attr_num(out, "SEATS", seats);
        end_start_line(out);
        push_seat(out, seat);
        close_line(out, "TABLE");
    })
}

fn update_table_one_spectator(
    room: i32,
    action: &str,
    id: i32,
    slots: u32,
    num: u32,
    name: &str,
) -> String {
    table_update(room, action, |out| {
        open(out, "TABLE");
        attr_num(out, "ID", id);
        attr_num(out, "SPECTATORS", slots);
        end_start_line(out);
        push_spectator(out, num, name);
        close_line(out, "TABLE");
    })
}

/// A player took a seat (`seats` = the table's seat count).
pub fn update_table_join_seat(room: i32, id: i32, seats: u32, seat: &SeatView<'_>) -> String {
    update_table_one_seat(room, "join", id, seats, seat)
}

/// A player left a seat; the SEAT carries the leaver's name with TYPE
/// `player`, which clients read as "this seat became open".
pub fn update_table_leave_seat(room: i32, id: i32, seats: u32, seat: &SeatView<'_>) -> String {
    update_table_one_seat(room, "leave", id, seats, seat)
}

/// A non-player seat change (open/bot/reserved).
pub fn update_table_seat(room: i32, id: i32, seats: u32, seat: &SeatView<'_>) -> String {
    update_table_one_seat(room, "seat", id, seats, seat)
}

/// A spectator joined slot `num` (`slots` = the spectator slot count).
pub fn update_table_join_spectator(room: i32, id: i32, slots: u32, num: u32, name: &str) -> String {
    update_table_one_spectator(room, "join", id, slots, num, name)
}

/// A spectator left slot `num`.
pub fn update_table_leave_spectator(
    room: i32,
    id: i32,
    slots: u32,
    num: u32,
    name: &str,
) -> String {
    update_table_one_spectator(room, "leave", id, slots, num, name)
}

/// The game server changed the seat count: the full TABLE.
pub fn update_table_resize(room: i32, table: &TableView<'_>) -> String {
    table_update(room, "resize", |out| push_table(out, table))
}

// ---------------------------------------------------------------------------
// Other pushes

/// A chat message as relayed (docs/client-server.md §10). `text: None` writes the
/// self-closing form used for beeps; `Some("")` writes `<CHAT …></CHAT>`.
pub fn chat(kind: &str, from: &str, text: Option<&str>) -> String {
    let mut out = String::new();
    open(&mut out, "CHAT");
    attr(&mut out, "TYPE", kind);
    attr(&mut out, "FROM", from);
    match text {
        Some(text) => {
            out.push('>');
            out.push_str(&escape(text));
            close_line(&mut out, "CHAT");
        }
        None => end_empty(&mut out),
    }
    out
}

/// `<JOIN TABLE='n' SPECTATOR='true|false'/>`
pub fn join(table: i32, spectator: bool) -> String {
    let mut out = String::new();
    open(&mut out, "JOIN");
    attr_num(&mut out, "TABLE", table);
    attr_bool(&mut out, "SPECTATOR", spectator);
    end_empty(&mut out);
    out
}

/// `<LEAVE REASON='…'[ PLAYER='…']/>`
pub fn leave(reason: LeaveReason, player: Option<&str>) -> String {
    let mut out = String::new();
    open(&mut out, "LEAVE");
    attr(&mut out, "REASON", reason.as_str());
    if let Some(player) = player {
        attr(&mut out, "PLAYER", player);
    }
    end_empty(&mut out);
    out
}

/// `<PING/>` (ggzd never adds an ID).
pub fn ping() -> String {
    "<PING/>\n".to_owned()
}

/// `<PONG ID='…'/>`, or `<PONG/>` when the PING had no ID.
pub fn pong(id: Option<&str>) -> String {
    let mut out = String::new();
    open(&mut out, "PONG");
    if let Some(id) = id {
        attr(&mut out, "ID", id);
    }
    end_empty(&mut out);
    out
}

/// `INFO` reply (not wrapped in RESULT).
pub fn info(entries: &[PlayerInfoView<'_>]) -> String {
    let mut out = String::from("<INFO>\n");
    for e in entries {
        open(&mut out, "PLAYERINFO");
        attr_num(&mut out, "SEAT", e.seat);
        attr(&mut out, "REALNAME", e.realname);
        attr(&mut out, "PHOTO", e.photo);
        attr(&mut out, "HOST", e.host);
        end_empty(&mut out);
    }
    close_line(&mut out, "INFO");
    out
}

/// `RANKINGS` reply (not wrapped in RESULT).
pub fn rankings(entries: &[RankingView<'_>]) -> String {
    let mut out = String::from("<RANKINGS>\n");
    for e in entries {
        open(&mut out, "RANKING");
        attr_num(&mut out, "POSITION", e.position);
        attr(&mut out, "PLAYER", e.player);
        attr_num(&mut out, "SCORE", e.score);
        end_empty(&mut out);
    }
    close_line(&mut out, "RANKINGS");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::decoder::{Decoder, Event, Limits};

    /// Joins transcript lines, each followed by `\n` as on the wire.
    fn lines(ls: &[&str]) -> String {
        ls.iter().map(|l| format!("{l}\n")).collect()
    }

    /// Our own decoder must read everything we write.
    fn decodes(msg: &str) -> Vec<Event> {
        let mut dec = Decoder::new(Limits::CLIENT);
        let input = format!("<SESSION>{msg}</SESSION>");
        let mut off = 0;
        let mut events = Vec::new();
        while !dec.session_ended() {
            let p = dec.feed(&input.as_bytes()[off..]).unwrap();
            off += p.consumed;
            events.extend(p.event);
        }
        events
    }

    #[test]
    fn greeting_18_1() {
        assert_eq!(
            greeting_with_version("0.0.14", "Harbour Games", false, 512),
            lines(&[
                "<?xml version='1.0' encoding='UTF-8'?>",
                "<SESSION>",
                "<SERVER ID='GGZ-0.0.14' NAME='Harbour Games' VERSION='10' STATUS='ok' TLS_SUPPORT='no'>",
                "<OPTIONS CHATLEN='512'/>",
                "</SERVER>",
            ])
        );
        let g = greeting("O'Brien's <zone>", true, 512);
        assert!(g.contains(&format!(
            "<SERVER ID='GGZ-{}' NAME='O&apos;Brien&apos;s &lt;zone&gt;' VERSION='10' STATUS='ok' TLS_SUPPORT='yes'>\n",
            crate::VERSION
        )));
        assert_eq!(
            greeting_full_with_version("0.0.14", "Harbour Games"),
            lines(&[
                "<?xml version='1.0' encoding='UTF-8'?>",
                "<SESSION>",
                "<SERVER ID='GGZ-0.0.14' NAME='Harbour Games' VERSION='10' STATUS='full'/>",
            ])
        );
        assert_eq!(session_end(), "</SESSION>\n");
    }

    #[test]
    fn results() {
        assert_eq!(
            result("login", ResultCode::Ok),
            "<RESULT ACTION='login' CODE='ok'/>\n"
        );
        assert_eq!(
            result("protocol", ResultCode::BadXml),
            "<RESULT ACTION='protocol' CODE='bad xml'/>\n"
        );
        assert_eq!(
            result_login_first_ok("secret"),
            lines(&[
                "<RESULT ACTION='login' CODE='ok'>",
                "<PASSWORD>secret</PASSWORD>",
                "</RESULT>"
            ])
        );
        assert_eq!(
            result_login_first_fail(ResultCode::UsernameAlreadyTaken),
            lines(&[
                "<RESULT ACTION='login' CODE='username already taken'>",
                "</RESULT>"
            ])
        );
        assert_eq!(
            result_login_first_ok("a<&>'\""),
            "<RESULT ACTION='login' CODE='ok'>\n<PASSWORD>a&lt;&amp;&gt;&apos;&quot;</PASSWORD>\n</RESULT>\n"
        );
    }

    #[test]
    fn motd_18_1() {
        let body = motd_body([
            "Hello and welcome to harbour.example.net (port 5688).",
            "Questions? Ask Pat <pat@example.net>.",
        ]);
        assert_eq!(
            motd(&body, ""),
            lines(&[
                "<MOTD PRIORITY='normal' URL=''><![CDATA[",
                "Hello and welcome to harbour.example.net (port 5688).",
                "Questions? Ask Pat <pat@example.net>.",
                "]]></MOTD>",
            ])
        );
        let tricky = motd("\na]]>b\n", "http://x/?a=1&b=2");
        assert!(tricky.starts_with("<MOTD PRIORITY='normal' URL='http://x/?a=1&amp;b=2'>"));
        let events = decodes(&tricky);
        let Event::Element(e) = &events[1] else {
            panic!()
        };
        assert_eq!(e.text, "\na]]>b\n");
        assert_eq!(e.attr("URL"), Some("http://x/?a=1&b=2"));
    }

    fn four_in_line<'a>(
        players: &'a NumberList,
        bots: &'a NumberList,
        named: &'a [(String, String)],
    ) -> GameView<'a> {
        GameView {
            id: 0,
            name: "Four In Line",
            version: "1.2",
            engine: "FourInLine",
            protocol_version: "3",
            players,
            bots,
            spectators: true,
            peers: false,
            named_bots: named,
            author: "J. Doe",
            homepage: "http://games.example.org/fil/",
            description: "Connect four stones in a row.",
        }
    }

    #[test]
    fn game_list() {
        let players = NumberList::single(2);
        let bots = NumberList::single(1);
        let named = [("Rex".to_owned(), "easy".to_owned())];
        let g = four_in_line(&players, &bots, &named);
        assert_eq!(
            list_games(std::slice::from_ref(&g), false),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='game'>",
                "<GAME ID='0' NAME='Four In Line' VERSION='1.2'>",
                "<PROTOCOL ENGINE='FourInLine' VERSION='3'/>",
                "<ALLOW PLAYERS='2' BOTS='1' SPECTATORS='true' PEERS='false'/>",
                "<BOT NAME='Rex' CLASS='easy'/>",
                "</GAME>",
                "</LIST>",
                "</RESULT>",
            ])
        );
        assert_eq!(
            list_games(&[g], true),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='game'>",
                "<GAME ID='0' NAME='Four In Line' VERSION='1.2'>",
                "<PROTOCOL ENGINE='FourInLine' VERSION='3'/>",
                "<ALLOW PLAYERS='2' BOTS='1' SPECTATORS='true' PEERS='false'/>",
                "<BOT NAME='Rex' CLASS='easy'/>",
                "<ABOUT AUTHOR='J. Doe' URL='http://games.example.org/fil/'/>",
                "<DESC>Connect four stones in a row.</DESC>",
                "</GAME>",
                "</LIST>",
                "</RESULT>",
            ])
        );
        let empty = NumberList::empty();
        let mut g = four_in_line(&players, &empty, &[]);
        g.version = "1<2";
        let s = list_games(&[g], false);
        assert!(s.contains("<GAME ID='0' NAME='Four In Line' VERSION='1&lt;2'>\n"));
        assert!(s.contains("<ALLOW PLAYERS='2' BOTS='' SPECTATORS='true' PEERS='false'/>\n"));
        assert!(!s.contains("<BOT"));
        assert_eq!(
            list_games(&[], true),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='game'>",
                "</LIST>",
                "</RESULT>",
            ])
        );
    }

    #[test]
    fn room_list() {
        let rooms = [
            RoomView {
                id: 0,
                name: "Lobby",
                refname: "Lobby",
                game: -1,
                players: 2,
                description: "Meet people here",
            },
            RoomView {
                id: 1,
                name: "Four In Line",
                refname: "Four In Line",
                game: 0,
                players: 1,
                description: "Casual Four In Line games",
            },
        ];
        assert_eq!(
            list_rooms(&rooms, true),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='room'>",
                "<ROOM ID='0' NAME='Lobby' REFNAME='Lobby' GAME='-1' PLAYERS='2'>",
                "<DESC>Meet people here</DESC>",
                "</ROOM>",
                "<ROOM ID='1' NAME='Four In Line' REFNAME='Four In Line' GAME='0' PLAYERS='1'>",
                "<DESC>Casual Four In Line games</DESC>",
                "</ROOM>",
                "</LIST>",
                "</RESULT>",
            ])
        );
        assert_eq!(
            list_rooms(&rooms[..1], false),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='room'>",
                "<ROOM ID='0' NAME='Lobby' REFNAME='Lobby' GAME='-1' PLAYERS='2'>",
                "</ROOM>",
                "</LIST>",
                "</RESULT>",
            ])
        );
        assert_eq!(
            update_room_add(&RoomView {
                id: 9,
                name: "New",
                refname: "New",
                game: 0,
                players: 0,
                description: "d",
            }),
            lines(&[
                "<UPDATE TYPE='room' ACTION='add'>",
                "<ROOM ID='9' NAME='New' REFNAME='New' GAME='0' PLAYERS='0'>",
                "<DESC>d</DESC>",
                "</ROOM>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_room_players(2, 7),
            lines(&[
                "<UPDATE TYPE='room' ACTION='players'>",
                "<ROOM ID='2' PLAYERS='7'/>",
                "</UPDATE>"
            ])
        );
        assert_eq!(
            update_room_close(9),
            lines(&[
                "<UPDATE TYPE='room' ACTION='close'>",
                "<ROOM ID='9'/>",
                "</UPDATE>"
            ])
        );
        assert_eq!(
            update_room_delete(9),
            lines(&[
                "<UPDATE TYPE='room' ACTION='delete'>",
                "<ROOM ID='9'/>",
                "</UPDATE>"
            ])
        );
    }

    fn bob() -> PlayerView<'static> {
        PlayerView {
            name: "bob",
            kind: PlayerKind::Normal,
            table: -1,
            perms: 7,
            lag: 1,
            stats: Some(StatsView {
                records: Some((4, 2, 0, 0)),
                rating: Some(1531),
                highscore: None,
            }),
        }
    }

    fn kim() -> PlayerView<'static> {
        PlayerView {
            name: "kim",
            kind: PlayerKind::Guest,
            table: -1,
            perms: 0x43,
            lag: 1,
            stats: None,
        }
    }

    #[test]
    fn player_list_and_updates() {
        assert_eq!(
            list_players(1, &[bob(), kim()]),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='player' ROOM='1'>",
                "<PLAYER ID='bob' TYPE='normal' TABLE='-1' PERMS='0x00000007' LAG='1' WINS='4' LOSSES='2' TIES='0' FORFEITS='0' RATING='1531'/>",
                "<PLAYER ID='kim' TYPE='guest' TABLE='-1' PERMS='0x00000043' LAG='1'/>",
                "</LIST>",
                "</RESULT>",
            ])
        );
        assert_eq!(
            update_player_add(1, -1, &kim()),
            lines(&[
                "<UPDATE TYPE='player' ACTION='add' ROOM='1' FROMROOM='-1'>",
                "<PLAYER ID='kim' TYPE='guest' TABLE='-1' PERMS='0x00000043' LAG='1'/>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_player_delete(1, -1, "dave"),
            lines(&[
                "<UPDATE TYPE='player' ACTION='delete' ROOM='1' TOROOM='-1'>",
                "<PLAYER ID='dave'/>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_player_lag(1, "dave", 3),
            lines(&[
                "<UPDATE TYPE='player' ACTION='lag' ROOM='1'>",
                "<PLAYER ID='dave' LAG='3'/>",
                "</UPDATE>",
            ])
        );
        let stats = StatsView {
            records: Some((5, 2, 0, 0)),
            rating: Some(1545),
            highscore: None,
        };
        assert_eq!(
            update_player_stats(1, "bob", Some(&stats)),
            lines(&[
                "<UPDATE TYPE='player' ACTION='stats' ROOM='1'>",
                "<PLAYER ID='bob' WINS='5' LOSSES='2' TIES='0' FORFEITS='0' RATING='1545'/>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_player_stats(1, "kim", None),
            lines(&[
                "<UPDATE TYPE='player' ACTION='stats' ROOM='1'>",
                "<PLAYER ID='kim'/>",
                "</UPDATE>",
            ])
        );
        let hs = StatsView {
            records: None,
            rating: None,
            highscore: Some(1200),
        };
        assert_eq!(
            update_player_stats(2, "x", Some(&hs)),
            "<UPDATE TYPE='player' ACTION='stats' ROOM='2'>\n<PLAYER ID='x' HIGHSCORE='1200'/>\n</UPDATE>\n"
        );
        assert_eq!(
            update_player_perms(1, "dave", PlayerKind::Host, 0x187),
            lines(&[
                "<UPDATE TYPE='player' ACTION='perms' ROOM='1'>",
                "<PLAYER ID='dave' TYPE='host' PERMS='0x00000187'/>",
                "</UPDATE>",
            ])
        );
        let mut odd = kim();
        odd.name = "o'<b>";
        assert!(list_players(0, &[odd]).contains("<PLAYER ID='o&apos;&lt;b&gt;' "));
    }

    fn table_18_3() -> TableView<'static> {
        TableView {
            id: 1,
            game: 0,
            status: 1,
            desc: "quick one",
            seats: vec![
                SeatView {
                    num: 0,
                    kind: SeatKind::Open,
                    name: None,
                },
                SeatView {
                    num: 1,
                    kind: SeatKind::Reserved,
                    name: Some("kim"),
                },
            ],
            spectators: vec![],
        }
    }

    #[test]
    fn table_list() {
        let t = TableView {
            id: 3,
            game: 0,
            status: 1,
            desc: "beginners welcome",
            seats: vec![
                SeatView {
                    num: 0,
                    kind: SeatKind::Player,
                    name: Some("bob"),
                },
                SeatView {
                    num: 1,
                    kind: SeatKind::Open,
                    name: None,
                },
            ],
            spectators: vec![(0, "carol")],
        };
        assert_eq!(
            list_tables(1, &[t]),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='table' ROOM='1'>",
                "<TABLE ID='3' GAME='0' STATUS='1' SEATS='2'>",
                "<DESC>beginners welcome</DESC>",
                "<SEAT NUM='0' TYPE='player'>bob</SEAT>",
                "<SEAT NUM='1' TYPE='open'/>",
                "<SPECTATOR NUM='0'>carol</SPECTATOR>",
                "</TABLE>",
                "</LIST>",
                "</RESULT>",
            ])
        );
        assert_eq!(
            list_tables(1, &[]),
            lines(&[
                "<RESULT ACTION='list' CODE='ok'>",
                "<LIST TYPE='table' ROOM='1'>",
                "</LIST>",
                "</RESULT>",
            ])
        );
        let mut empty_desc = table_18_3();
        empty_desc.desc = "";
        assert!(list_tables(1, &[empty_desc]).contains("\n<DESC></DESC>\n"));
    }

    #[test]
    fn table_updates_18_3_to_18_5() {
        assert_eq!(
            update_table_add(1, &table_18_3()),
            lines(&[
                "<UPDATE TYPE='table' ACTION='add' ROOM='1'>",
                "<TABLE ID='1' GAME='0' STATUS='1' SEATS='2'>",
                "<DESC>quick one</DESC>",
                "<SEAT NUM='0' TYPE='open'/>",
                "<SEAT NUM='1' TYPE='reserved'>kim</SEAT>",
                "</TABLE>",
                "</UPDATE>",
            ])
        );
        let bob_seat = SeatView {
            num: 0,
            kind: SeatKind::Player,
            name: Some("bob"),
        };
        assert_eq!(
            update_table_join_seat(1, 1, 2, &bob_seat),
            lines(&[
                "<UPDATE TYPE='table' ACTION='join' ROOM='1'>",
                "<TABLE ID='1' SEATS='2'>",
                "<SEAT NUM='0' TYPE='player'>bob</SEAT>",
                "</TABLE>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_table_leave_seat(1, 1, 2, &bob_seat),
            lines(&[
                "<UPDATE TYPE='table' ACTION='leave' ROOM='1'>",
                "<TABLE ID='1' SEATS='2'>",
                "<SEAT NUM='0' TYPE='player'>bob</SEAT>",
                "</TABLE>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_table_status(1, 1, 2, 2),
            lines(&[
                "<UPDATE TYPE='table' ACTION='status' ROOM='1'>",
                "<TABLE ID='1' STATUS='2' SEATS='2'/>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_table_delete(1, 1, 2),
            lines(&[
                "<UPDATE TYPE='table' ACTION='delete' ROOM='1'>",
                "<TABLE ID='1' STATUS='-1' SEATS='2'/>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_table_desc(1, 4, "now with house rules"),
            lines(&[
                "<UPDATE TYPE='table' ACTION='desc' ROOM='1'>",
                "<TABLE ID='4'>",
                "<DESC>now with house rules</DESC>",
                "</TABLE>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_table_seat(
                1,
                4,
                2,
                &SeatView {
                    num: 1,
                    kind: SeatKind::Bot,
                    name: None
                }
            ),
            lines(&[
                "<UPDATE TYPE='table' ACTION='seat' ROOM='1'>",
                "<TABLE ID='4' SEATS='2'>",
                "<SEAT NUM='1' TYPE='bot'/>",
                "</TABLE>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_table_join_spectator(1, 4, 2, 1, "eve"),
            lines(&[
                "<UPDATE TYPE='table' ACTION='join' ROOM='1'>",
                "<TABLE ID='4' SPECTATORS='2'>",
                "<SPECTATOR NUM='1'>eve</SPECTATOR>",
                "</TABLE>",
                "</UPDATE>",
            ])
        );
        assert_eq!(
            update_table_leave_spectator(1, 4, 2, 1, "eve"),
            lines(&[
                "<UPDATE TYPE='table' ACTION='leave' ROOM='1'>",
                "<TABLE ID='4' SPECTATORS='2'>",
                "<SPECTATOR NUM='1'>eve</SPECTATOR>",
                "</TABLE>",
                "</UPDATE>",
            ])
        );
        let resized = update_table_resize(1, &table_18_3());
        assert!(resized.starts_with("<UPDATE TYPE='table' ACTION='resize' ROOM='1'>\n<TABLE ID='1' GAME='0' STATUS='1' SEATS='2'>\n"));
        assert_eq!(decodes(&resized).len(), 3);
    }

    #[test]
    fn chats_18_2() {
        assert_eq!(
            chat("normal", "kim", Some("hi all & good luck")),
            "<CHAT TYPE='normal' FROM='kim'>hi all &amp; good luck</CHAT>\n"
        );
        assert_eq!(
            chat("private", "kim", Some("fancy a game?")),
            "<CHAT TYPE='private' FROM='kim'>fancy a game?</CHAT>\n"
        );
        assert_eq!(
            chat("beep", "alice", None),
            "<CHAT TYPE='beep' FROM='alice'/>\n"
        );
        assert_eq!(
            chat("normal", "a", Some("")),
            "<CHAT TYPE='normal' FROM='a'></CHAT>\n"
        );
        assert_eq!(
            chat("announce", "[Server]", Some("<b>")),
            "<CHAT TYPE='announce' FROM='[Server]'>&lt;b&gt;</CHAT>\n"
        );
    }

    #[test]
    fn small_pushes() {
        assert_eq!(join(1, false), "<JOIN TABLE='1' SPECTATOR='false'/>\n");
        assert_eq!(join(4, true), "<JOIN TABLE='4' SPECTATOR='true'/>\n");
        assert_eq!(
            leave(LeaveReason::GameOver, None),
            "<LEAVE REASON='gameover'/>\n"
        );
        assert_eq!(
            leave(LeaveReason::Boot, Some("[server]")),
            "<LEAVE REASON='boot' PLAYER='[server]'/>\n"
        );
        assert_eq!(
            leave(LeaveReason::Boot, Some("o'neil")),
            "<LEAVE REASON='boot' PLAYER='o&apos;neil'/>\n"
        );
        assert_eq!(ping(), "<PING/>\n");
        assert_eq!(pong(None), "<PONG/>\n");
        assert_eq!(pong(Some("x'")), "<PONG ID='x&apos;'/>\n");
    }

    #[test]
    fn info_and_rankings() {
        assert_eq!(
            info(&[PlayerInfoView {
                seat: 0,
                realname: "Bob B.",
                photo: "http://...",
                host: "192.0.2.7",
            }]),
            lines(&[
                "<INFO>",
                "<PLAYERINFO SEAT='0' REALNAME='Bob B.' PHOTO='http://...' HOST='192.0.2.7'/>",
                "</INFO>",
            ])
        );
        assert_eq!(info(&[]), "<INFO>\n</INFO>\n");
        assert_eq!(
            rankings(&[RankingView {
                position: 1,
                player: "bob",
                score: 1200,
            }]),
            lines(&[
                "<RANKINGS>",
                "<RANKING POSITION='1' PLAYER='bob' SCORE='1200'/>",
                "</RANKINGS>",
            ])
        );
    }
}
