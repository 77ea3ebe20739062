//! What only the PostgreSQL backend does: reconnecting, refusing an
//! unreachable server cleanly, concurrent writers, migrations, copying.

use super::{RECORDS_RATINGS, new_user, player, raw};
use crate::store::*;

fn target(url: &str) -> StoreTarget {
    StoreTarget::Postgres(Box::new(PgTarget::new(url, None).unwrap()))
}

#[test]
fn newer_schema_is_refused() {
    let url = ggzd_pgtest::fresh_database("newer");
    let s = Store::connect(&target(&url)).unwrap();
    assert_eq!(s.schema_version().unwrap(), pg::schema::SCHEMA_VERSION);
    s.raw_exec("UPDATE ggzd_schema SET version = version + 1")
        .unwrap();
    let err = Store::connect(&target(&url)).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let url = ggzd_pgtest::fresh_database("race");
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut s = Store::connect(&target(&url)).unwrap();
                s.create_user(&new_user(&format!("user{i}"))).unwrap()
            })
        })
        .collect();
    for h in handles {
        assert!(matches!(h.join().unwrap(), CreateOutcome::Created(_)));
    }
    let s = Store::connect(&target(&url)).unwrap();
    assert_eq!(s.list_users(None).unwrap().len(), 4);
}

#[test]
fn a_broken_connection_is_replaced_on_the_next_call() {
    let url = ggzd_pgtest::fresh_database("reconnect");
    let mut s = Store::connect(&target(&url)).unwrap();
    s.create_user(&new_user("kept")).unwrap();
    let admin = Store::connect(&target(&url)).unwrap();
    admin
        .raw_exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
    // The call that meets the dead connection may fail (cleanly); the
    // next one reconnects.
    match s.user_exists("kept") {
        Ok(found) => assert!(found),
        Err(e) => {
            assert!(matches!(e, StoreError::Postgres(_)), "{e}");
            assert!(s.user_exists("kept").unwrap());
        }
    }
}

#[test]
fn an_unreachable_server_is_a_clean_error_without_the_password() {
    let t = PgTarget::new(
        "host=/nonexistent/ggzd-test port=5432 user=u password=s3cret dbname=d",
        None,
    )
    .unwrap();
    let err = Store::connect(&StoreTarget::Postgres(Box::new(t))).unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(err.to_string().contains("/nonexistent/ggzd-test"), "{err}");
}

#[test]
fn concurrent_reports_lose_no_update() {
    let url = ggzd_pgtest::fresh_database("reports");
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut s = Store::connect(&target(&url)).unwrap();
                for _ in 0..10 {
                    s.apply_game_report(
                        "Chess",
                        RECORDS_RATINGS,
                        &[
                            player("ann", GameResult::Win),
                            player("bob", GameResult::Loss),
                        ],
                        "",
                        1,
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let s = Store::connect(&target(&url)).unwrap();
    assert_eq!(s.player_stats("ann", "Chess").unwrap().wins, 30);
    assert_eq!(s.player_stats("bob", "Chess").unwrap().losses, 30);
    assert_eq!(
        raw(&s, "SELECT CAST(count(*) AS TEXT) FROM matches"),
        ["30"]
    );
}

#[test]
fn copy_from_sqlite_keeps_everything() {
    let mut from = Store::open_in_memory().unwrap();
    for h in ["zed", "amy", "bob"] {
        from.create_user(&new_user(h)).unwrap();
    }
    from.delete_user("amy").unwrap();
    from.set_confirmed("bob", false).unwrap();
    from.apply_game_report(
        "Chess",
        RECORDS_RATINGS,
        &[
            player("zed", GameResult::Tie),
            player("bob", GameResult::Tie),
        ],
        "",
        5,
    )
    .unwrap();
    from.record_savegame("Chess", "zed", "s1", "t1", 6).unwrap();
    from.set_savegame_seat("t1", 0, "player", "zed").unwrap();
    from.set_savegame_seat("t9", 1, "bot", "AI").unwrap();
    from.add_ban("troll", Some("10.0.0.1"), None, "spam", 7)
        .unwrap();
    let dump = from.dump().unwrap();
    assert_eq!(dump.users.len(), 2);

    let url = ggzd_pgtest::fresh_database("copy");
    let mut to = Store::connect(&target(&url)).unwrap();
    to.load(&dump).unwrap();
    assert_eq!(to.dump().unwrap(), dump);
    // Ranking ties keep their order; new rows get fresh ids.
    let order: Vec<String> = to
        .rankings("Chess", 10)
        .unwrap()
        .into_iter()
        .map(|(_, h, _)| h)
        .collect();
    assert_eq!(order, ["zed", "bob"]);
    let CreateOutcome::Created(id) = to.create_user(&new_user("new")).unwrap() else {
        panic!("not created");
    };
    assert!(dump.users.iter().all(|u| u.id < id));
    // A second copy would merge: refused.
    let err = to.load(&dump).unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");
    // SQLite is never a copy target.
    assert!(from.load(&dump).is_err());
}
