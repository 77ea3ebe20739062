//! Replies as text for a terminal. Any string the server relays (player
//! names, table descriptions) has its control characters neutralised.

use std::fmt::Write as _;

use serde_json::Value;

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(text)) => clean(text),
        Some(Value::Null) | None => "-".into(),
        Some(other) => clean(&other.to_string()),
    }
}

fn n(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h {m}m {s}s")
    } else if h > 0 {
        format!("{h}h {m}m {s}s")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

pub fn status(v: &Value) -> String {
    let mut out = String::new();
    let c = v.get("connections").cloned().unwrap_or(Value::Null);
    let _ = writeln!(out, "version:      {}", s(v, "version"));
    let _ = writeln!(out, "uptime:       {}", duration(n(v, "uptime_secs")));
    let _ = writeln!(
        out,
        "connections:  {} ({} players, {} logging in, {} not logged in, {} game channels, {} control)",
        n(&c, "total"),
        n(&c, "players"),
        n(&c, "logging_in"),
        n(&c, "fresh"),
        n(&c, "channels"),
        n(&c, "control"),
    );
    let _ = writeln!(out, "players:      {}", n(v, "players"));
    let _ = writeln!(out, "rooms:        {}", n(v, "rooms"));
    let _ = writeln!(out, "tables:       {}", n(v, "tables"));
    if let Some(Value::Object(games)) = v.get("tables_by_game") {
        for (game, count) in games {
            let _ = writeln!(out, "  {:<20} {}", clean(game), count.as_u64().unwrap_or(0));
        }
    }
    let _ = writeln!(out, "worker queue: {}", n(v, "worker_queue"));
    let _ = writeln!(out, "login queue:  {}", n(v, "login_queue"));
    let reload = v.get("reload").cloned().unwrap_or(Value::Null);
    let state = s(&reload, "state");
    let last = match reload.get("last").and_then(Value::as_str) {
        Some(last) => format!(
            "; last {last}, {} ago",
            duration(n(&reload, "last_secs_ago"))
        ),
        None => String::new(),
    };
    let _ = writeln!(out, "reload:       {state}{last}");
    out
}

pub fn who(v: &Value) -> String {
    let mut out = String::new();
    let players = v
        .get("players")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{:<16} {:<6} {:<15} {:<20} {:>5} {:>3} GAG",
        "NAME", "KIND", "ADDRESS", "ROOM", "TABLE", "LAG"
    );
    for p in &players {
        let room = match p.get("room").and_then(Value::as_u64) {
            Some(id) => format!("{id} {}", s(p, "room_name")),
            None => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<16} {:<6} {:<15} {:<20} {:>5} {:>3} {}",
            s(p, "name"),
            s(p, "kind"),
            s(p, "address"),
            room,
            s(p, "table"),
            n(p, "lag"),
            if p.get("gagged").and_then(Value::as_bool) == Some(true) {
                "yes"
            } else {
                "no"
            }
        );
    }
    let _ = writeln!(out, "{} player(s)", players.len());
    out
}

pub fn tables(v: &Value) -> String {
    let mut out = String::new();
    let tables = v
        .get("tables")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for t in &tables {
        let seats: Vec<String> = t
            .get("seats")
            .and_then(Value::as_array)
            .map(|seats| {
                seats
                    .iter()
                    .map(|seat| match seat.get("name").and_then(Value::as_str) {
                        Some(name) => format!("{}:{}", s(seat, "kind"), clean(name)),
                        None => s(seat, "kind"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let spectators = t
            .get("spectators")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let _ = writeln!(
            out,
            "room {} ({}) table {}: {} [{}] owner {}; seats {}; {} spectator(s); {:?}",
            n(t, "room"),
            s(t, "room_name"),
            n(t, "id"),
            s(t, "game"),
            s(t, "status"),
            s(t, "owner"),
            seats.join(", "),
            spectators,
            s(t, "description"),
        );
    }
    let _ = writeln!(out, "{} table(s)", tables.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn who_lists_players_and_neutralises_control_characters() {
        let text = who(&json!({"ok": true, "players": [
            {"name": "kim\u{1b}[2J", "kind": "guest", "address": "127.0.0.1",
             "room": 0, "room_name": "Lobby", "table": null, "lag": 1, "gagged": true}
        ]}));
        assert!(text.contains("kim?[2J"), "{text}");
        assert!(text.contains("0 Lobby"), "{text}");
        assert!(text.contains("yes"), "{text}");
        assert!(text.ends_with("1 player(s)\n"), "{text}");
    }

    #[test]
    fn status_shows_tables_per_game_and_reload() {
        let text = status(&json!({"ok": true, "uptime_secs": 3725, "players": 2,
            "connections": {"total": 3, "players": 2}, "tables": 1,
            "tables_by_game": {"TicTacToe": 1},
            "reload": {"state": "idle", "last": "ok", "last_secs_ago": 5}}));
        assert!(text.contains("1h 2m 5s"), "{text}");
        assert!(text.contains("TicTacToe"), "{text}");
        assert!(text.contains("last ok, 5s ago"), "{text}");
    }

    #[test]
    fn tables_lists_seats() {
        let text = tables(&json!({"ok": true, "tables": [
            {"room": 1, "room_name": "TicTacToe", "id": 1, "game": "TicTacToe",
             "status": "playing", "owner": "kim", "description": "",
             "seats": [{"kind": "player", "name": "kim"}, {"kind": "bot", "name": null}],
             "spectators": []}
        ]}));
        assert!(text.contains("seats player:kim, bot"), "{text}");
    }
}
