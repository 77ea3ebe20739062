//! Control replies: one JSON object per line (docs/control.md). Every
//! reply has `"ok"`; a refusal carries `"error"`.

use serde_json::{Value, json};

use crate::zone::operator::{Census, PlayerInfo, TableInfo};

use super::{Facts, ReloadState};

/// Serialises a reply as one line.
pub fn line(value: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(value).unwrap_or_else(|_| b"{\"ok\":false}".to_vec());
    out.push(b'\n');
    out
}

pub fn ok() -> Value {
    json!({ "ok": true })
}

pub fn error(message: &str) -> Value {
    json!({ "ok": false, "error": message })
}

fn reload_json(state: &ReloadState) -> Value {
    match state {
        ReloadState::Never => json!({ "state": "idle" }),
        ReloadState::Running => json!({ "state": "running" }),
        ReloadState::Done {
            ok,
            ago_secs,
            error,
        } => json!({
            "state": "idle",
            "last": if *ok { "ok" } else { "failed" },
            "last_secs_ago": ago_secs,
            "error": error,
        }),
    }
}

pub fn status(census: &Census, facts: &Facts) -> Value {
    let c = &census.connections;
    let tables: serde_json::Map<String, Value> = census
        .tables
        .iter()
        .map(|(game, n)| (game.clone(), json!(n)))
        .collect();
    json!({
        "ok": true,
        "version": crate::VERSION,
        "uptime_secs": facts.uptime.as_secs(),
        "connections": {
            "total": c.fresh + c.logging_in + c.players + c.channels,
            "fresh": c.fresh,
            "logging_in": c.logging_in,
            "players": c.players,
            "channels": c.channels,
            "control": facts.control_connections,
        },
        "players": c.players,
        "rooms": census.rooms,
        "tables": census.tables_total,
        "tables_by_game": tables,
        "worker_queue": facts.worker_queue,
        "login_queue": census.login_queue,
        "reload": reload_json(&facts.reload),
    })
}

pub fn who(players: &[PlayerInfo]) -> Value {
    let list: Vec<Value> = players
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "kind": p.kind,
                "address": p.address,
                "room": p.room.as_ref().map(|(id, _)| id),
                "room_name": p.room.as_ref().map(|(_, name)| name),
                "table": p.table,
                "lag": p.lag,
                "gagged": p.gagged,
            })
        })
        .collect();
    json!({ "ok": true, "players": list })
}

pub fn tables(tables: &[TableInfo]) -> Value {
    let list: Vec<Value> = tables
        .iter()
        .map(|t| {
            let seats: Vec<Value> = t
                .seats
                .iter()
                .map(|s| json!({ "kind": s.kind, "name": s.name }))
                .collect();
            json!({
                "room": t.room,
                "room_name": t.room_name,
                "id": t.id,
                "game": t.game,
                "status": t.status,
                "owner": t.owner,
                "description": t.description,
                "seats": seats,
                "spectators": t.spectators,
            })
        })
        .collect();
    json!({ "ok": true, "tables": list })
}
