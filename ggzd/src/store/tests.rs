//! Store tests. The shared ones run on both backends: each body takes a
//! fresh `Store` and `both!` makes one test on an in-memory SQLite database
//! and one on a fresh database of a throwaway PostgreSQL cluster
//! (`ggzd-pgtest`, one per test process). Tests of one backend's own
//! behaviour are in `tests/sqlite_only.rs` and `tests/pg_only.rs`.

mod pg_only;
mod sqlite_only;

use super::types::truncate_utf8;
use super::*;

/// Declares each shared test body twice: in `on_sqlite` and `on_postgres`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(super::sqlite());
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    super::$name(super::postgres(stringify!($name)));
                }
            )*
        }
    };
}

mod batch;
mod replays;

fn sqlite() -> Store {
    Store::open_in_memory().unwrap()
}

/// A store on a fresh database of this process's throwaway cluster.
pub(super) fn postgres(tag: &str) -> Store {
    let url = ggzd_pgtest::fresh_database(tag);
    Store::connect(&StoreTarget::Postgres(Box::new(
        PgTarget::new(&url, None).unwrap(),
    )))
    .unwrap()
}

/// The first (text) column of every row of `sql` (see `Store::raw_strings`).
fn raw(s: &Store, sql: &str) -> Vec<String> {
    s.raw_strings(sql).unwrap()
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
    Participant::registered_player(name, result)
}

const RECORDS_RATINGS: StatsFlags = StatsFlags {
    records: true,
    ratings: true,
    highscores: false,
};

fn create_and_read_user(mut s: Store) {
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

fn email_and_real_name_are_truncated_at_char_boundary(mut s: Store) {
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

fn registration_discards_old_guest_stats(mut s: Store) {
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

fn login_password_and_permissions_updates(mut s: Store) {
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

fn bot_accounts_are_created_once_without_password(mut s: Store) {
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

fn list_and_delete_users(mut s: Store) {
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

fn report_updates_records_ratings_matches(mut s: Store) {
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
    assert_eq!(
        raw(
            &s,
            "SELECT CAST(date AS TEXT) || ' ' || game || ' ' || winner || ' [' || savegame || ']' FROM matches"
        ),
        ["777 TicTacToe bob []"]
    );
    assert_eq!(
        raw(
            &s,
            "SELECT handle || ' ' || playertype FROM matchplayers ORDER BY rowid"
        ),
        ["bob registered", "kim registered"]
    );
}

fn transcript_rating_example(mut s: Store) {
    // docs/client-server.md §18.5: 1531 beats 1500 -> shown 1545.
    s.raw_exec(
        "INSERT INTO stats (handle, game, wins, losses, rating) \
         VALUES ('bob', 'TicTacToe', 4, 2, 1531)",
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

fn report_without_flags_writes_nothing(mut s: Store) {
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
    assert_eq!(raw(&s, "SELECT CAST(count(*) AS TEXT) FROM matches"), ["0"]);
}

fn records_only_leave_rating_alone_and_rank_by_balance(mut s: Store) {
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

fn highscores_keep_maximum_and_rank_by_it(mut s: Store) {
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

fn ties_in_ranking_keep_insertion_order(mut s: Store) {
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

fn ai_bots_abandoned_and_winners(mut s: Store) {
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
    assert_eq!(raw(&s, "SELECT winner FROM matches"), [""]);
    assert_eq!(
        raw(&s, "SELECT playertype FROM matchplayers ORDER BY rowid"),
        ["registered", "bot", "bot", ""]
    );
    // A single AI winner is recorded under its key.
    s.apply_game_report(
        "Hearts",
        RECORDS_RATINGS,
        &[bot("AI", GameResult::Win), player("ann", GameResult::Loss)],
        "",
        2,
    )
    .unwrap();
    assert_eq!(
        raw(&s, "SELECT winner FROM matches ORDER BY id DESC LIMIT 1"),
        ["0|AI"]
    );
}

fn stats_for_player_lists_games(mut s: Store) {
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

fn savegames_replace_close_and_restore(mut s: Store) {
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
    assert_eq!(
        raw(&s, "SELECT CAST(count(*) AS TEXT) FROM savegameplayers"),
        ["0"]
    );
    assert_eq!(s.take_savegames("Go").unwrap().len(), 1);
}

fn clear_table_seats_keeps_saved_tables(mut s: Store) {
    s.set_savegame_seat("t1", 0, "player", "bob").unwrap();
    s.set_savegame_seat("t2", 0, "player", "ann").unwrap();
    s.record_savegame("Chess", "ann", "save", "t2", 1).unwrap();
    s.clear_table_seats("t1").unwrap();
    s.clear_table_seats("t2").unwrap();
    assert_eq!(raw(&s, "SELECT tablekey FROM savegameplayers"), ["t2"]);
}

fn bans_table_exists(s: Store) {
    s.raw_exec(
        "INSERT INTO bans (name, address, expires, reason, created) \
         VALUES ('troll', NULL, NULL, 'spam', 1)",
    )
    .unwrap();
}

fn bans_cover_name_or_address_until_they_expire(s: Store) {
    let store = s;
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

fn store_with(mut store: Store, handles: &[&str]) -> Store {
    for handle in handles {
        let new = NewUser {
            handle,
            password: "$argon2id$stub",
            email: "",
            real_name: "",
            permissions: REGISTERED_PERMISSIONS,
            confirmed: true,
            now: 1000,
        };
        assert!(matches!(
            store.create_user(&new).unwrap(),
            CreateOutcome::Created(_)
        ));
    }
    store
}

fn report(store: &mut Store, game: &str, winner: &str, loser: &str) {
    let p = player;
    let flags = StatsFlags {
        records: true,
        ratings: true,
        highscores: false,
    };
    store
        .apply_game_report(
            game,
            flags,
            &[p(winner, GameResult::Win), p(loser, GameResult::Loss)],
            "",
            5,
        )
        .unwrap();
}

fn profile_setters_update_and_report_missing_accounts(s: Store) {
    let store = store_with(s, &["alice"]);
    assert!(store.set_real_name("alice", "Alice Liddell").unwrap());
    assert!(store.set_email("alice", &"x".repeat(40)).unwrap());
    assert!(store.set_confirmed("alice", false).unwrap());
    let user = store.user("alice").unwrap().unwrap();
    assert_eq!(user.real_name, "Alice Liddell");
    assert_eq!(user.email, "x".repeat(MAX_INFO_BYTES));
    assert!(!user.confirmed);
    assert!(!store.set_real_name("bob", "B").unwrap());
    assert!(!store.set_email("bob", "b@x").unwrap());
    assert!(!store.set_confirmed("bob", true).unwrap());
}

fn reset_stats_of_one_game_closes_the_ranking_gap(s: Store) {
    let mut store = store_with(s, &["a", "b", "c"]);
    report(&mut store, "Chess", "a", "b");
    report(&mut store, "Chess", "a", "c");
    report(&mut store, "Go", "a", "b");
    let before = store.rankings("Chess", 10).unwrap();
    assert_eq!(before.len(), 3);
    assert_eq!(before[0].1, "a");

    assert_eq!(store.reset_stats("a", Some("Chess")).unwrap(), 1);
    assert_eq!(
        store.player_stats("a", "Chess").unwrap(),
        StatsRecord::default()
    );
    let after: Vec<_> = store
        .rankings("Chess", 10)
        .unwrap()
        .into_iter()
        .map(|(pos, handle, _)| (pos, handle))
        .collect();
    let expected: Vec<_> = before
        .iter()
        .skip(1)
        .enumerate()
        .map(|(i, (_, handle, _))| (i as u32 + 1, handle.clone()))
        .collect();
    assert_eq!(after, expected);
    // Go is untouched.
    assert_eq!(store.player_stats("a", "Go").unwrap().wins, 1);
    assert_eq!(store.reset_stats("a", Some("Chess")).unwrap(), 0);
}

fn reset_stats_of_all_games(s: Store) {
    let mut store = store_with(s, &["a", "b"]);
    report(&mut store, "Chess", "a", "b");
    report(&mut store, "Go", "b", "a");
    assert_eq!(store.reset_stats("b", None).unwrap(), 2);
    assert!(store.stats_for_player("b").unwrap().is_empty());
    assert_eq!(store.stats_for_player("a").unwrap().len(), 2);
    assert_eq!(store.rankings("Go", 10).unwrap(), vec![(1, "a".into(), 0)]);
}

fn import_user_keeps_times_and_never_replaces(s: Store) {
    let mut store = store_with(s, &["taken"]);
    let imported = ImportedUser {
        handle: "old",
        password: "{legacy-plain}pw",
        email: "o@example.org",
        real_name: "Old Timer",
        permissions: 0x19F,
        confirmed: false,
        first_login: 100,
        last_login: 200,
    };
    let CreateOutcome::Created(id) = store.import_user(&imported).unwrap() else {
        panic!("not created");
    };
    let user = store.user("old").unwrap().unwrap();
    assert_eq!(user.id, id);
    assert_eq!((user.first_login, user.last_login), (100, 200));
    assert_eq!(user.password, "{legacy-plain}pw");
    assert_eq!(user.permissions, 0x19F);
    assert!(!user.confirmed);
    assert_eq!(
        store.import_user(&imported).unwrap(),
        CreateOutcome::AlreadyExists
    );
    let taken = ImportedUser {
        handle: "taken",
        ..imported
    };
    assert_eq!(
        store.import_user(&taken).unwrap(),
        CreateOutcome::AlreadyExists
    );
    assert_eq!(
        store.user("taken").unwrap().unwrap().password,
        "$argon2id$stub"
    );
}

both!(
    create_and_read_user,
    email_and_real_name_are_truncated_at_char_boundary,
    registration_discards_old_guest_stats,
    login_password_and_permissions_updates,
    bot_accounts_are_created_once_without_password,
    list_and_delete_users,
    report_updates_records_ratings_matches,
    transcript_rating_example,
    report_without_flags_writes_nothing,
    records_only_leave_rating_alone_and_rank_by_balance,
    highscores_keep_maximum_and_rank_by_it,
    ties_in_ranking_keep_insertion_order,
    ai_bots_abandoned_and_winners,
    stats_for_player_lists_games,
    savegames_replace_close_and_restore,
    clear_table_seats_keeps_saved_tables,
    bans_table_exists,
    bans_cover_name_or_address_until_they_expire,
    profile_setters_update_and_report_missing_accounts,
    reset_stats_of_one_game_closes_the_ranking_gap,
    reset_stats_of_all_games,
    import_user_keeps_times_and_never_replaces
);
