//! A played game's stored log edited behind ggzd's back, in the server's
//! SQLite file (docs/replays.md §2): damaged (a move changed, its chain
//! check left as it was: "corrupt") or forged (a move changed with every
//! check recomputed, so only the seal can tell). Tests using it skip the
//! PostgreSQL pass; the seal is checked on both backends in the store's
//! own tests.

use ggzd_e2e::*;

fn sqlite(server: &TestServer) -> rusqlite::Connection {
    let db = server.dir.path().join("data").join("ggzd.sqlite");
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(TIMEOUT).unwrap();
    conn
}

/// The log of played game `id` as stored.
pub fn stored_log(server: &TestServer, id: &str) -> Vec<u8> {
    sqlite(server)
        .query_row(
            "SELECT log FROM played_games WHERE id = ?1",
            [id.parse::<i64>().unwrap()],
            |row| row.get(0),
        )
        .unwrap()
}

/// Rewrites the log of played game `id`.
pub fn set_stored_log(server: &TestServer, id: &str, log: &[u8]) {
    let n = sqlite(server)
        .execute(
            "UPDATE played_games SET log = ?1 WHERE id = ?2",
            rusqlite::params![log, id.parse::<i64>().unwrap()],
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// `log` with the data of its third move changed from `0001` (the first
/// seat's second move, to square 2) to `0002`, the line's check left as
/// it was: the chain breaks there.
pub fn corrupted(log: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(log).unwrap();
    let move_line = text
        .lines()
        .filter(|l| l.contains(" move "))
        .nth(2)
        .unwrap()
        .to_owned();
    assert!(move_line.contains(" move 0001 "), "{move_line}");
    text.replacen(
        &move_line,
        &move_line.replace(" move 0001 ", " move 0002 "),
        1,
    )
    .into_bytes()
}

/// The same change as [`corrupted`] with every check recomputed: a well
/// formed log that only the seal refuses.
pub fn forged(log: &[u8]) -> Vec<u8> {
    let parsed = ggzdmod::eventlog::parse(log, 100).unwrap();
    let dir = TempDir::new("forge");
    let mut events = parsed.events.clone();
    let third_move = events
        .iter_mut()
        .filter(|e| e.kind == "move")
        .nth(2)
        .unwrap();
    assert_eq!(third_move.data, [0, 1]);
    third_move.data = vec![0, 2];
    let forged =
        ggzdmod::eventlog::EventLog::create_from(dir.path(), &parsed.game, &events).unwrap();
    let forged = std::fs::read(forged.path()).unwrap();
    assert!(ggzdmod::eventlog::parse(&forged, 100).is_ok());
    forged
}

/// Asserts a refusal RESULT says the log is corrupt (its chain broken).
pub fn assert_refused_as_corrupt(result: &Element) {
    assert_eq!(result.attr("CODE"), Some("bad options"), "{result:?}");
    let reason = result.attr("REASON").unwrap_or_default();
    assert!(
        reason.starts_with("the event log is corrupt: line ") && reason.contains("chain"),
        "{reason}"
    );
}

/// Asserts a refusal RESULT says the log is forged.
pub fn assert_refused_as_forged(result: &Element) {
    assert_eq!(result.attr("CODE"), Some("bad options"), "{result:?}");
    assert_eq!(result.attr("REASON"), Some("the event log is forged"));
}
