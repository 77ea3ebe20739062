//! UPDATE pushes: players (docs/client-server.md §12.1), rooms (§12.3, no
//! ROOM attribute on the UPDATE element) and tables (§12.2).

use super::lists::{push_player, push_room, push_seat, push_spectator, push_stats, push_table};
use super::views::{PlayerView, RoomView, SeatView, StatsView, TableView};
use super::write::{
    attr, attr_num, close_line, end_empty, end_start_line, open, perms_hex, text_element,
};
use crate::proto::types::PlayerKind;

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
