use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "ggzd-store-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn new_user(handle: &str) -> NewUser<'_> {
    NewUser {
        handle,
        password: "$argon2id$stub",
        email: "a@example.org",
        real_name: "A",
        permissions: REGISTERED_PERMISSIONS,
        confirmed: true,
        now: 1000,
    }
}

fn player(name: &str, result: GameResult) -> Participant {
    Participant {
        name: name.to_owned(),
        seat_type: ParticipantKind::Player,
        team: -1,
        result,
        score: 0,
        registered: true,
    }
}

const RECORDS_RATINGS: StatsFlags = StatsFlags {
    records: true,
    ratings: true,
    highscores: false,
};

#[test]
fn open_creates_private_dir_and_file_in_wal_mode() {
    let tmp = TempDir::new("open");
    let dir = tmp.0.join("nested").join("data");
    let store = Store::open(&dir).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(DB_FILE)), 0o600);
    let jm: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(jm, "wal");
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    // Reopening an up-to-date database keeps the data.
    let mut store = Store::open(&dir).unwrap();
    assert!(matches!(
        store.create_user(&new_user("bob")).unwrap(),
        CreateOutcome::Created(_)
    ));
    drop(store);
    let store = Store::open(&dir).unwrap();
    assert!(store.user_exists("bob").unwrap());
}

#[test]
fn newer_schema_is_refused() {
    let tmp = TempDir::new("newer");
    let store = Store::open(&tmp.0).unwrap();
    store
        .conn
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let err = Store::open(&tmp.0).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, known } if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("newer"));
}

#[test]
fn open_reports_unusable_path() {
    let tmp = TempDir::new("badpath");
    std::fs::create_dir_all(&tmp.0).unwrap();
    let file = tmp.0.join("plain-file");
    std::fs::write(&file, "not a database\n".repeat(64)).unwrap();
    // A data "directory" that is a file.
    let err = Store::open(&file).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert!(err.to_string().contains("plain-file"));
    // A database "file" that is not SQLite.
    let err = Store::open_file(&file).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite(_)), "{err}");
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let tmp = TempDir::new("race");
    std::fs::create_dir_all(&tmp.0).unwrap();
    let path = tmp.0.join(DB_FILE);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = Store::open_file(&path).unwrap();
                let name = format!("user{i}");
                s.create_user(&new_user(&name)).unwrap()
            })
        })
        .collect();
    for h in handles {
        assert!(matches!(h.join().unwrap(), CreateOutcome::Created(_)));
    }
    let s = Store::open_file(&path).unwrap();
    assert_eq!(s.list_users(None).unwrap().len(), 4);
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn writer_waits_for_another_connections_transaction() {
    let tmp = TempDir::new("busy");
    let mut holder = Store::open(&tmp.0).unwrap();
    let mut other = Store::open(&tmp.0).unwrap();
    let (tx_ready, rx_ready) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        let tx = holder
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "INSERT INTO users (handle, password) VALUES ('early', '')",
            [],
        )
        .unwrap();
        tx_ready.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        tx.commit().unwrap();
    });
    rx_ready.recv().unwrap();
    // Blocks on the lock until the other transaction commits, then succeeds.
    assert!(matches!(
        other.create_user(&new_user("late")).unwrap(),
        CreateOutcome::Created(_)
    ));
    t.join().unwrap();
    // Readers are never blocked by a writer in WAL mode.
    assert!(other.user_exists("early").unwrap());
}

#[test]
fn create_and_read_user() {
    let mut s = Store::open_in_memory().unwrap();
    let id = match s
        .create_user(&NewUser {
            handle: "alice",
            password: "$argon2id$x",
            email: "alice@example.org",
            real_name: "Alice A.",
            permissions: REGISTERED_PERMISSIONS,
            confirmed: false,
            now: 1234,
        })
        .unwrap()
    {
        CreateOutcome::Created(id) => id,
        CreateOutcome::AlreadyExists => panic!("fresh db"),
    };
    let u = s.user("alice").unwrap().unwrap();
    assert_eq!(
        u,
        UserRecord {
            id,
            handle: "alice".into(),
            password: "$argon2id$x".into(),
            real_name: "Alice A.".into(),
            email: "alice@example.org".into(),
            last_login: 1234,
            first_login: 1234,
            permissions: 7,
            confirmed: false,
        }
    );
    assert!(s.user_exists("alice").unwrap());
    assert!(!s.user_exists("Alice").unwrap());
    assert_eq!(s.user("nobody").unwrap(), None);
    assert_eq!(
        s.create_user(&new_user("alice")).unwrap(),
        CreateOutcome::AlreadyExists
    );
    // The duplicate changed nothing.
    assert_eq!(s.user("alice").unwrap().unwrap().email, "alice@example.org");
}

#[test]
fn email_and_real_name_are_truncated_at_char_boundary() {
    let mut s = Store::open_in_memory().unwrap();
    let long_email = format!("{}@example.org", "x".repeat(40));
    // 31 ASCII bytes then a 2-byte char straddling the 32-byte limit.
    let name = format!("{}é tail", "n".repeat(31));
    s.create_user(&NewUser {
        email: &long_email,
        real_name: &name,
        ..new_user("carol")
    })
    .unwrap();
    let u = s.user("carol").unwrap().unwrap();
    assert_eq!(u.email, "x".repeat(32));
    assert_eq!(u.real_name, "n".repeat(31));
    assert_eq!(truncate_utf8("ééé", 4), "éé");
    assert_eq!(truncate_utf8("ab", 32), "ab");
    assert_eq!(truncate_utf8("€", 2), "");
}

#[test]
fn registration_discards_old_guest_stats() {
    let mut s = Store::open_in_memory().unwrap();
    let mut guest = player("dave", GameResult::Win);
    guest.registered = false;
    s.apply_game_report(
        "Chess",
        RECORDS_RATINGS,
        &[guest, player("erin", GameResult::Loss)],
        "",
        1,
    )
    .unwrap();
    assert_eq!(s.stats_for_player("dave").unwrap().len(), 1);
    s.create_user(&new_user("dave")).unwrap();
    assert!(s.stats_for_player("dave").unwrap().is_empty());
    assert_eq!(s.stats_for_player("erin").unwrap().len(), 1);
}

#[test]
fn login_password_and_permissions_updates() {
    let mut s = Store::open_in_memory().unwrap();
    let CreateOutcome::Created(id) = s.create_user(&new_user("frank")).unwrap() else {
        panic!("fresh db");
    };
    s.record_login(id, 5000).unwrap();
    s.set_password(id, "$argon2id$new").unwrap();
    assert!(s.set_permissions("frank", 0x19F).unwrap());
    assert!(!s.set_permissions("ghost", 0x19F).unwrap());
    let u = s.user("frank").unwrap().unwrap();
    assert_eq!((u.last_login, u.first_login), (5000, 1000));
    assert_eq!(u.password, "$argon2id$new");
    assert_eq!(u.permissions, 0x19F);
}

#[test]
fn bot_accounts_are_created_once_without_password() {
    let mut s = Store::open_in_memory().unwrap();
    s.ensure_bot_account("rusty", 42).unwrap();
    let u = s.user("rusty").unwrap().unwrap();
    assert_eq!(u.permissions, BOT_PERMISSIONS);
    assert_eq!(u.password, "");
    assert!(u.confirmed);
    assert_eq!((u.first_login, u.last_login), (42, 42));
    // A second call (next startup) leaves the account alone.
    assert!(s.set_permissions("rusty", 0x023).unwrap());
    s.ensure_bot_account("rusty", 99).unwrap();
    let u = s.user("rusty").unwrap().unwrap();
    assert_eq!((u.permissions, u.first_login), (0x023, 42));
    // An existing human account is not turned into a bot.
    s.create_user(&new_user("gina")).unwrap();
    s.ensure_bot_account("gina", 50).unwrap();
    assert_eq!(
        s.user("gina").unwrap().unwrap().permissions,
        REGISTERED_PERMISSIONS
    );
}

#[test]
fn list_and_delete_users() {
    let mut s = Store::open_in_memory().unwrap();
    for h in ["amy", "bert", "anna"] {
        s.create_user(&new_user(h)).unwrap();
    }
    let all: Vec<String> = s
        .list_users(None)
        .unwrap()
        .into_iter()
        .map(|u| u.handle)
        .collect();
    assert_eq!(all, ["amy", "bert", "anna"]);
    let a: Vec<String> = s
        .list_users(Some("a*"))
        .unwrap()
        .into_iter()
        .map(|u| u.handle)
        .collect();
    assert_eq!(a, ["amy", "anna"]);
    assert!(s.list_users(Some("z*")).unwrap().is_empty());

    s.apply_game_report(
        "Chess",
        RECORDS_RATINGS,
        &[
            player("amy", GameResult::Win),
            player("bert", GameResult::Loss),
        ],
        "",
        1,
    )
    .unwrap();
    assert!(s.delete_user("amy").unwrap());
    assert!(!s.delete_user("amy").unwrap());
    assert_eq!(s.user("amy").unwrap(), None);
    assert!(s.stats_for_player("amy").unwrap().is_empty());
    assert_eq!(s.stats_for_player("bert").unwrap().len(), 1);
}

#[test]
fn report_updates_records_ratings_matches() {
    let mut s = Store::open_in_memory().unwrap();
    let out = s
        .apply_game_report(
            "TicTacToe",
            RECORDS_RATINGS,
            &[
                player("bob", GameResult::Win),
                player("kim", GameResult::Loss),
            ],
            "",
            777,
        )
        .unwrap();
    assert_eq!(out.len(), 2);
    let (bob, kim) = (&out[0], &out[1]);
    assert_eq!(bob.0, "bob");
    assert_eq!(kim.0, "kim");
    assert_eq!((bob.1.wins, bob.1.losses), (1, 0));
    assert_eq!((kim.1.wins, kim.1.losses), (0, 1));
    assert!((bob.1.rating - 1515.0).abs() < 1e-9);
    assert!((kim.1.rating - 1485.0).abs() < 1e-9);
    assert_eq!((bob.1.ranking, kim.1.ranking), (1, 2));
    // Rows are really stored.
    assert_eq!(s.player_stats("bob", "TicTacToe").unwrap(), bob.1);
    assert_eq!(
        s.player_stats("bob", "Chess").unwrap(),
        StatsRecord::default()
    );
    let (date, game, winner, savegame): (i64, String, String, String) = s
        .conn
        .query_row(
            "SELECT date, game, winner, savegame FROM matches",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (date, game.as_str(), winner.as_str(), savegame.as_str()),
        (777, "TicTacToe", "bob", "")
    );
    let players: Vec<(String, String)> = s
        .conn
        .prepare("SELECT handle, playertype FROM matchplayers ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        players,
        [
            ("bob".into(), "registered".into()),
            ("kim".into(), "registered".into())
        ]
    );
}

#[test]
fn transcript_rating_example() {
    // docs/client-server.md §18.5: 1531 beats 1500 -> shown 1545.
    let mut s = Store::open_in_memory().unwrap();
    s.conn
        .execute(
            "INSERT INTO stats (handle, game, wins, losses, rating) \
             VALUES ('bob', 'TicTacToe', 4, 2, 1531)",
            [],
        )
        .unwrap();
    let mut kim = player("kim", GameResult::Loss);
    kim.registered = false;
    let out = s
        .apply_game_report(
            "TicTacToe",
            RECORDS_RATINGS,
            &[player("bob", GameResult::Win), kim],
            "",
            1,
        )
        .unwrap();
    assert_eq!((out[0].1.wins, out[0].1.losses), (5, 2));
    assert_eq!(rating::display(out[0].1.rating), 1545);
    assert_eq!(rating::display(out[1].1.rating), 1486);
}

#[test]
fn report_without_flags_writes_nothing() {
    let mut s = Store::open_in_memory().unwrap();
    let out = s
        .apply_game_report(
            "Freecell",
            StatsFlags::default(),
            &[player("bob", GameResult::Win)],
            "",
            1,
        )
        .unwrap();
    assert!(out.is_empty());
    assert!(s.stats_for_player("bob").unwrap().is_empty());
    let n: i64 = s
        .conn
        .query_row("SELECT count(*) FROM matches", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn records_only_leave_rating_alone_and_rank_by_balance() {
    let mut s = Store::open_in_memory().unwrap();
    let flags = StatsFlags {
        records: true,
        ..StatsFlags::default()
    };
    let r = |w: &str, l: &str| [player(w, GameResult::Win), player(l, GameResult::Loss)];
    s.apply_game_report("G", flags, &r("a", "b"), "", 1)
        .unwrap();
    s.apply_game_report("G", flags, &r("c", "a"), "", 2)
        .unwrap();
    let out = s
        .apply_game_report("G", flags, &r("c", "b"), "", 3)
        .unwrap();
    assert_eq!(out[0].1.rating, rating::DEFAULT_RATING);
    // c: +2, a: 0, b: -2.
    let ranks = s.rankings("G", 10).unwrap();
    let order: Vec<&str> = ranks.iter().map(|(_, h, _)| h.as_str()).collect();
    assert_eq!(order, ["c", "a", "b"]);
    let positions: Vec<u32> = ranks.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(positions, [1, 2, 3]);
}

#[test]
fn highscores_keep_maximum_and_rank_by_it() {
    let mut s = Store::open_in_memory().unwrap();
    let flags = StatsFlags {
        highscores: true,
        ratings: true,
        ..StatsFlags::default()
    };
    let scored = |name: &str, score: i64| Participant {
        score,
        ..player(name, GameResult::None)
    };
    s.apply_game_report(
        "Pinball",
        flags,
        &[scored("x", 500), scored("y", 900)],
        "",
        1,
    )
    .unwrap();
    let out = s
        .apply_game_report(
            "Pinball",
            flags,
            &[scored("x", 300), scored("z", 700)],
            "",
            2,
        )
        .unwrap();
    assert_eq!(out[0].1.highscore, 500);
    assert_eq!(out[1].1.highscore, 700);
    // Records were not kept; results None do not count anyway.
    assert_eq!(out[0].1.wins + out[0].1.losses + out[0].1.ties, 0);
    assert_eq!(
        s.rankings("Pinball", 10).unwrap(),
        [
            (1, "y".to_owned(), 900),
            (2, "z".to_owned(), 700),
            (3, "x".to_owned(), 500)
        ]
    );
    assert_eq!(s.rankings("Pinball", 2).unwrap().len(), 2);
    assert!(s.rankings("Other", 10).unwrap().is_empty());
}

#[test]
fn ties_in_ranking_keep_insertion_order() {
    let mut s = Store::open_in_memory().unwrap();
    let flags = StatsFlags {
        records: true,
        ..StatsFlags::default()
    };
    s.apply_game_report(
        "G",
        flags,
        &[player("m", GameResult::Tie), player("k", GameResult::Tie)],
        "",
        1,
    )
    .unwrap();
    let order: Vec<String> = s
        .rankings("G", 10)
        .unwrap()
        .into_iter()
        .map(|(_, h, _)| h)
        .collect();
    assert_eq!(order, ["m", "k"]);
}

#[test]
fn ai_bots_abandoned_and_winners() {
    let mut s = Store::open_in_memory().unwrap();
    let bot = |name: &str, result| Participant {
        seat_type: ParticipantKind::Bot,
        registered: false,
        ..player(name, result)
    };
    let abandoned = Participant {
        seat_type: ParticipantKind::Abandoned,
        registered: false,
        ..player("", GameResult::Forfeit)
    };
    let out = s
        .apply_game_report(
            "Hearts",
            RECORDS_RATINGS,
            &[
                player("ann", GameResult::Win),
                bot("AI", GameResult::Loss),
                bot("Rusty", GameResult::Win),
                abandoned,
            ],
            "",
            1,
        )
        .unwrap();
    let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["ann", "1|AI", "Rusty", ""]);
    assert_eq!(out[3].1.forfeits, 1);
    assert_eq!(s.stats_for_player("1|AI").unwrap().len(), 1);
    assert!(s.stats_for_player("").unwrap().is_empty());
    // Two winners: no single winner recorded.
    let winner: String = s
        .conn
        .query_row("SELECT winner FROM matches", [], |r| r.get(0))
        .unwrap();
    assert_eq!(winner, "");
    let types: Vec<String> = s
        .conn
        .prepare("SELECT playertype FROM matchplayers ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(types, ["registered", "bot", "bot", ""]);
    // A single AI winner is recorded under its key.
    s.apply_game_report(
        "Hearts",
        RECORDS_RATINGS,
        &[bot("AI", GameResult::Win), player("ann", GameResult::Loss)],
        "",
        2,
    )
    .unwrap();
    let winner: String = s
        .conn
        .query_row(
            "SELECT winner FROM matches ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(winner, "0|AI");
}

#[test]
fn stats_for_player_lists_games() {
    let mut s = Store::open_in_memory().unwrap();
    for g in ["Reversi", "Chess"] {
        s.apply_game_report(
            g,
            RECORDS_RATINGS,
            &[
                player("pat", GameResult::Win),
                player("sam", GameResult::Loss),
            ],
            "",
            1,
        )
        .unwrap();
    }
    let games: Vec<String> = s
        .stats_for_player("pat")
        .unwrap()
        .into_iter()
        .map(|(g, r)| {
            assert_eq!(r.wins, 1);
            g
        })
        .collect();
    assert_eq!(games, ["Chess", "Reversi"]);
}

#[test]
fn savegames_replace_close_and_restore() {
    let mut s = Store::open_in_memory().unwrap();
    s.record_savegame("Chess", "bob", "save-1", "t1:100", 10)
        .unwrap();
    s.set_savegame_seat("t1:100", 1, "reserved", "kim").unwrap();
    s.set_savegame_seat("t1:100", 0, "player", "bob").unwrap();
    s.set_savegame_seat("t1:100", 1, "bot", "AI").unwrap();
    // Same (game, owner): replaced.
    s.record_savegame("Chess", "bob", "save-2", "t1:100", 11)
        .unwrap();
    s.record_savegame("Chess", "ann", "save-3", "t2:100", 12)
        .unwrap();
    s.record_savegame("Go", "ann", "save-4", "t3:100", 13)
        .unwrap();

    // The final report of save-3 closes it.
    s.set_savegame_seat("t2:100", 0, "player", "ann").unwrap();
    s.apply_game_report(
        "Chess",
        StatsFlags::default(),
        &[player("ann", GameResult::Win)],
        "save-3",
        20,
    )
    .unwrap();

    let games = s.take_savegames("Chess").unwrap();
    assert_eq!(
        games,
        [SavedGame {
            date: 11,
            game: "Chess".into(),
            owner: "bob".into(),
            savegame: "save-2".into(),
            table_key: "t1:100".into(),
            seats: vec![
                SavedSeat {
                    seat: 0,
                    seat_type: "player".into(),
                    handle: "bob".into()
                },
                SavedSeat {
                    seat: 1,
                    seat_type: "bot".into(),
                    handle: "AI".into()
                },
            ],
        }]
    );
    assert!(s.take_savegames("Chess").unwrap().is_empty());
    let left: i64 = s
        .conn
        .query_row("SELECT count(*) FROM savegameplayers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(s.take_savegames("Go").unwrap().len(), 1);
}

#[test]
fn clear_table_seats_keeps_saved_tables() {
    let mut s = Store::open_in_memory().unwrap();
    s.set_savegame_seat("t1", 0, "player", "bob").unwrap();
    s.set_savegame_seat("t2", 0, "player", "ann").unwrap();
    s.record_savegame("Chess", "ann", "save", "t2", 1).unwrap();
    s.clear_table_seats("t1").unwrap();
    s.clear_table_seats("t2").unwrap();
    let tables: Vec<String> = s
        .conn
        .prepare("SELECT tablekey FROM savegameplayers")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, ["t2"]);
}

#[test]
fn bans_table_exists() {
    let s = Store::open_in_memory().unwrap();
    s.conn
        .execute(
            "INSERT INTO bans (name, address, expires, reason, created) \
             VALUES ('troll', NULL, NULL, 'spam', 1)",
            [],
        )
        .unwrap();
}

#[test]
fn errors_display_usefully() {
    let e = StoreError::Corrupt("x".into());
    assert_eq!(e.to_string(), "database is damaged: x");
    let e = StoreError::Io {
        path: "/nope".into(),
        source: io::Error::from(io::ErrorKind::PermissionDenied),
    };
    assert!(e.to_string().starts_with("/nope: "));
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn store_can_move_to_a_worker_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
    assert_send::<StoreError>();
}

#[test]
fn bans_cover_name_or_address_until_they_expire() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.active_ban("troll", "10.0.0.1", 100).unwrap(), None);
    store
        .add_ban("troll", Some("10.0.0.9"), Some(200), "spam", 100)
        .unwrap();
    assert_eq!(
        store
            .active_ban("troll", "1.2.3.4", 150)
            .unwrap()
            .as_deref(),
        Some("spam")
    );
    assert_eq!(
        store
            .active_ban("other", "10.0.0.9", 150)
            .unwrap()
            .as_deref(),
        Some("spam")
    );
    assert_eq!(store.active_ban("other", "1.2.3.4", 150).unwrap(), None);
    assert_eq!(
        store.active_ban("troll", "1.2.3.4", 200).unwrap(),
        None,
        "expired"
    );
    store.add_ban("troll", None, None, "for good", 300).unwrap();
    assert_eq!(
        store
            .active_ban("troll", "1.2.3.4", 10_000)
            .unwrap()
            .as_deref(),
        Some("for good")
    );
    assert_eq!(store.list_bans().unwrap().len(), 2);
    assert_eq!(store.remove_bans("troll").unwrap(), 2);
    assert_eq!(store.active_ban("troll", "10.0.0.9", 150).unwrap(), None);
}
