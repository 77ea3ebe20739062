//! Played games (store/replays.rs) on both backends: recording, listing,
//! loading with the seal check, retention.

use crate::store::*;

use super::{postgres, sqlite};

/// A TicTacToe event log of `moves` moves, as the game writes it.
fn log(moves: u8) -> Vec<u8> {
    let dir = super::sqlite_only::TempDir::new("eventlog");
    std::fs::create_dir_all(&dir.0).unwrap();
    let mut w = ggzdmod::eventlog::EventLog::create(&dir.0, "TicTacToe").unwrap();
    w.append("seat", b"\x00alice").unwrap();
    w.append("seat", b"\x01Bob").unwrap();
    w.append("start", b"").unwrap();
    for m in 0..moves {
        w.append("move", &[m % 2, m]).unwrap();
    }
    let path = dir.0.join(w.file_name());
    drop(w);
    std::fs::read(path).unwrap()
}

fn seats() -> Vec<PlayedSeat> {
    vec![
        PlayedSeat {
            seat: 0,
            name: "alice".into(),
            kind: PlayedSeatKind::Player,
            result: SeatResult::Win,
        },
        PlayedSeat {
            seat: 1,
            name: "Bob".into(),
            kind: PlayedSeatKind::Guest,
            result: SeatResult::Loss,
        },
    ]
}

fn record(s: &mut Store, ended: i64, log: &[u8], seats: &[PlayedSeat]) -> i64 {
    s.record_played(&NewPlayed {
        game: "TicTacToe",
        ended,
        status: PlayedStatus::Finished,
        events: 3,
        seats,
        log,
    })
    .unwrap()
}

fn record_list_and_load(mut s: Store) {
    let bytes = log(5);
    let first = record(&mut s, 100, &bytes, &seats());
    let bot_seats = [PlayedSeat {
        seat: 0,
        name: "AI".into(),
        kind: PlayedSeatKind::Bot,
        result: SeatResult::None,
    }];
    let unfinished = s
        .record_played(&NewPlayed {
            game: "TicTacToe",
            ended: 200,
            status: PlayedStatus::Unfinished,
            events: 2,
            seats: &bot_seats,
            log: &bytes,
        })
        .unwrap();
    assert!(unfinished > first);
    // Newest first; a player's games under any case of the name.
    let all = s.list_played(None, 10).unwrap();
    assert_eq!(
        all.iter().map(|g| g.id).collect::<Vec<_>>(),
        [unfinished, first]
    );
    assert_eq!(all[0].status, PlayedStatus::Unfinished);
    assert_eq!(all[0].seats, bot_seats);
    let bobs = s.list_played(Some("BOB"), 10).unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(
        bobs[0],
        PlayedSummary {
            id: first,
            game: "TicTacToe".into(),
            ended: 100,
            status: PlayedStatus::Finished,
            events: 3,
            seats: seats(),
        }
    );
    assert!(s.list_played(Some("carol"), 10).unwrap().is_empty());
    assert_eq!(s.list_played(None, 1).unwrap().len(), 1);
    assert_eq!(s.played_count().unwrap(), 2);

    let replay = s.load_replay(first).unwrap();
    assert_eq!(replay.summary, bobs[0]);
    assert_eq!(replay.raw, bytes);
    assert_eq!(replay.log.game, "TicTacToe");
    let moves: Vec<_> = replay
        .log
        .events
        .iter()
        .filter(|e| e.kind == "move")
        .map(|e| e.data.clone())
        .collect();
    assert_eq!(moves, (0..5u8).map(|m| vec![m % 2, m]).collect::<Vec<_>>());
    assert!(matches!(s.load_replay(9999), Err(ReplayError::UnknownId)));
}

fn the_zone_secret_is_made_once_and_shared(s: Store) {
    assert!(
        s.raw_strings("SELECT name FROM zone_secrets")
            .unwrap()
            .is_empty()
    );
    let a = s.zone_secret_for_tests();
    let b = s.zone_secret_for_tests();
    assert_eq!(a, b);
    assert_ne!(a, [0u8; replays::SECRET_BYTES]);
    assert_eq!(
        s.raw_strings("SELECT name FROM zone_secrets").unwrap(),
        ["replay-seal"]
    );
}

fn an_edited_row_is_forged(mut s: Store) {
    let one = record(&mut s, 100, &log(3), &seats());
    let two = record(&mut s, 101, &log(4), &seats());
    let three = record(&mut s, 102, &log(2), &seats());
    // A valid log from elsewhere, or a renamed seat: the seal says no.
    s.raw_exec(&format!(
        "UPDATE played_games SET log = (SELECT log FROM played_games WHERE id = {two})
         WHERE id = {one}"
    ))
    .unwrap();
    s.raw_exec(&format!(
        "UPDATE played_seats SET name = 'mallory' WHERE played = {three} AND seat = 1"
    ))
    .unwrap();
    for id in [one, three] {
        let err = s.load_replay(id).unwrap_err();
        assert!(matches!(err, ReplayError::Forged), "{err}");
        assert_eq!(err.to_string(), "forged");
    }
    assert!(s.load_replay(two).is_ok());
}

fn a_damaged_log_is_corrupt(mut s: Store) {
    let bytes = log(3);
    let id = record(&mut s, 100, &bytes, &seats());
    // Cut in the middle of the last line.
    s.raw_exec(&format!(
        "UPDATE played_games SET log = substr(log, 1, {}) WHERE id = {id}",
        bytes.len() - 3
    ))
    .unwrap();
    let err = s.load_replay(id).unwrap_err();
    assert!(matches!(err, ReplayError::Corrupt(_)), "{err}");
    assert!(err.to_string().starts_with("corrupt: "), "{err}");
}

fn retention_keeps_the_newest_and_drops_the_old(mut s: Store) {
    let bytes = log(1);
    let ids: Vec<i64> = (0..6)
        .map(|i| record(&mut s, 100 + i, &bytes, &seats()))
        .collect();
    let none = Retention {
        keep: 0,
        ended_before: None,
        batch: 100,
    };
    assert_eq!(s.prune_played(&none).unwrap(), 0);
    // Paced: two at a time.
    let keep3 = Retention {
        keep: 3,
        ended_before: None,
        batch: 2,
    };
    assert_eq!(s.prune_played(&keep3).unwrap(), 2);
    assert_eq!(s.prune_played(&keep3).unwrap(), 1);
    assert_eq!(s.prune_played(&keep3).unwrap(), 0);
    let left: Vec<i64> = s
        .list_played(None, 10)
        .unwrap()
        .iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(left, [ids[5], ids[4], ids[3]]);
    // Seats went with their games.
    assert_eq!(
        s.raw_strings("SELECT DISTINCT CAST(played AS TEXT) FROM played_seats ORDER BY 1")
            .unwrap()
            .len(),
        3
    );
    let old = Retention {
        keep: 0,
        ended_before: Some(105),
        batch: 100,
    };
    assert_eq!(s.prune_played(&old).unwrap(), 2);
    assert_eq!(s.list_played(Some("alice"), 10).unwrap()[0].id, ids[5]);
    assert_eq!(s.played_count().unwrap(), 1);
}

both!(
    record_list_and_load,
    the_zone_secret_is_made_once_and_shared,
    an_edited_row_is_forged,
    a_damaged_log_is_corrupt,
    retention_keeps_the_newest_and_drops_the_old,
);

#[test]
fn played_games_and_their_seal_survive_copy_to_postgres() {
    let mut from = sqlite();
    let bytes = log(4);
    let first = record(&mut from, 100, &bytes, &seats());
    let second = record(&mut from, 200, &log(2), &seats());
    let dump = from.dump().unwrap();
    assert_eq!(dump.played.len(), 2);
    assert_eq!(dump.zone_secrets.len(), 1);

    let mut to = postgres("copy_played");
    // A secret the target made itself gives way to the copied one.
    to.zone_secret_for_tests();
    to.load(&dump).unwrap();
    assert_eq!(to.dump().unwrap(), dump);
    let replay = to.load_replay(first).unwrap();
    assert_eq!(replay.raw, bytes);
    assert!(to.load_replay(second).is_ok());
    assert_eq!(
        to.list_played(Some("alice"), 10).unwrap(),
        from.list_played(Some("alice"), 10).unwrap()
    );
    // New games continue after the copied ids, sealed with the same key.
    let third = record(&mut to, 300, &bytes, &seats());
    assert!(third > second);
    assert!(to.load_replay(third).is_ok());
}
