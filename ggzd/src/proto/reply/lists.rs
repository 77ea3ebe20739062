//! LIST answers: games, rooms, players, tables.

use super::session::result_open;
use super::views::{GameView, PlayerView, RoomView, SeatView, StatsView, TableView};
use super::write::{
    attr, attr_bool, attr_num, close_line, end_empty, end_start_line, open, perms_hex, text_element,
};
use crate::proto::escape::escape;
use crate::proto::types::ResultCode;

pub(in crate::proto) fn list_open(out: &mut String, kind: &str, room: Option<i32>) {
    result_open(out, "list", ResultCode::Ok);
    end_start_line(out);
    open(out, "LIST");
    attr(out, "TYPE", kind);
    if let Some(room) = room {
        attr_num(out, "ROOM", room);
    }
    end_start_line(out);
}

pub(in crate::proto) fn list_close(out: &mut String) {
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

pub(super) fn push_room(out: &mut String, r: &RoomView<'_>, full: bool) {
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

pub(super) fn push_stats(out: &mut String, stats: Option<&StatsView>) {
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
pub(super) fn push_player(out: &mut String, p: &PlayerView<'_>) {
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

pub(super) fn push_seat(out: &mut String, s: &SeatView<'_>) {
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

pub(super) fn push_spectator(out: &mut String, num: u32, name: &str) {
    open(out, "SPECTATOR");
    attr_num(out, "NUM", num);
    out.push('>');
    out.push_str(&escape(name));
    close_line(out, "SPECTATOR");
}

/// The full TABLE element (docs/client-server.md §8.4).
pub(super) fn push_table(out: &mut String, t: &TableView<'_>) {
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
