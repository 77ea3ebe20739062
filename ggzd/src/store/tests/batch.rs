//! Game reports stored in batches (`Store::apply_game_reports`) on both
//! backends: one commit for the lot, one savepoint per report.

use crate::store::*;

use super::{RECORDS_RATINGS, player, postgres, raw, sqlite};

fn pair(winner: &str, loser: &str) -> [Participant; 2] {
    [
        player(winner, GameResult::Win),
        player(loser, GameResult::Loss),
    ]
}

fn write<'a>(game: &'a str, participants: &'a [Participant], now: i64) -> ReportWrite<'a> {
    ReportWrite {
        game,
        flags: RECORDS_RATINGS,
        participants,
        savegame: "",
        now,
    }
}

fn count(s: &Store, sql: &str) -> String {
    raw(s, sql).concat()
}

/// Makes the store refuse every match of the game `Broken`, as an error of
/// that one report's statements.
fn refuse_broken_games(s: &Store) {
    let sql = if s.backend_name() == "sqlite" {
        "CREATE TRIGGER refuse_broken BEFORE INSERT ON matches WHEN NEW.game = 'Broken'
         BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;"
    } else {
        "CREATE FUNCTION refuse_broken() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.game = 'Broken' THEN RAISE EXCEPTION 'refused for the test'; END IF;
         RETURN NEW; END $$;
         CREATE TRIGGER refuse_broken BEFORE INSERT ON matches
         FOR EACH ROW EXECUTE FUNCTION refuse_broken();"
    };
    s.raw_exec(sql).unwrap();
}

fn batch_of_n_stores_n(mut s: Store) {
    let games = [
        pair("a", "b"),
        pair("c", "a"),
        pair("b", "c"),
        pair("a", "c"),
    ];
    let writes: Vec<ReportWrite<'_>> = games
        .iter()
        .enumerate()
        .map(|(i, p)| write("TicTacToe", p, i as i64))
        .collect();
    let results = s.apply_game_reports(&writes, &mut |_, _| true).unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|u| u.len() == 2))
    );
    assert_eq!(count(&s, "SELECT CAST(count(*) AS TEXT) FROM matches"), "4");
    assert_eq!(
        count(&s, "SELECT CAST(count(*) AS TEXT) FROM matchplayers"),
        "8"
    );
    let a = s.player_stats("a", "TicTacToe").unwrap();
    assert_eq!((a.wins, a.losses), (2, 1));
    // Each report's rows include the reports before it in the batch.
    let last = results[3].as_ref().unwrap();
    assert_eq!(last[0], ("a".to_owned(), a));
}

fn a_failing_report_fails_alone(mut s: Store) {
    refuse_broken_games(&s);
    let games = [pair("a", "b"), pair("a", "b"), pair("b", "a")];
    let writes = [
        write("TicTacToe", &games[0], 1),
        write("Broken", &games[1], 2),
        write("TicTacToe", &games[2], 3),
    ];
    let results = s.apply_game_reports(&writes, &mut |_, _| true).unwrap();
    assert!(results[0].is_ok());
    assert!(results[1].is_err(), "the refused report fails");
    assert!(results[2].is_ok());
    assert_eq!(
        raw(&s, "SELECT game FROM matches ORDER BY date"),
        ["TicTacToe", "TicTacToe"]
    );
    assert_eq!(
        s.player_stats("a", "Broken").unwrap(),
        StatsRecord::default()
    );
    let a = s.player_stats("a", "TicTacToe").unwrap();
    assert_eq!((a.wins, a.losses), (1, 1));
    // The store is usable afterwards, one report at a time too.
    assert!(
        s.apply_game_report("Broken", RECORDS_RATINGS, &games[1], "", 4)
            .is_err()
    );
    s.apply_game_report("TicTacToe", RECORDS_RATINGS, &games[1], "", 5)
        .unwrap();
    assert_eq!(s.player_stats("a", "TicTacToe").unwrap().wins, 2);
}

fn a_batch_equals_single_applies(mut s: Store) {
    let games = [
        pair("a", "b"),
        pair("c", "a"),
        pair("b", "c"),
        pair("a", "c"),
        pair("d", "a"),
    ];
    // The same reports, once as a batch on one game and once one by one
    // on another: every result and row must be the same.
    let writes: Vec<ReportWrite<'_>> = games
        .iter()
        .enumerate()
        .map(|(i, p)| write("Batched", p, i as i64))
        .collect();
    let batched: Vec<Updated> = s
        .apply_game_reports(&writes, &mut |_, _| true)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let single: Vec<Updated> = games
        .iter()
        .enumerate()
        .map(|(i, p)| {
            s.apply_game_report("Single", RECORDS_RATINGS, p, "", i as i64)
                .unwrap()
        })
        .collect();
    // Each report's rows are the same but for the ranking: a batch ranks
    // its game once, after its last report, so every row it gives back
    // has the position the batch left, which is the stored one.
    let without_ranking = |u: &[Updated]| -> Vec<Updated> {
        u.iter()
            .map(|rows| {
                rows.iter()
                    .map(|(k, r)| (k.clone(), StatsRecord { ranking: 0, ..*r }))
                    .collect()
            })
            .collect()
    };
    assert_eq!(without_ranking(&batched), without_ranking(&single));
    for (key, row) in batched.iter().flatten() {
        assert_eq!(row.ranking, s.player_stats(key, "Batched").unwrap().ranking);
    }
    for h in ["a", "b", "c", "d"] {
        assert_eq!(
            s.player_stats(h, "Batched").unwrap(),
            s.player_stats(h, "Single").unwrap()
        );
    }
    assert_eq!(
        s.rankings("Batched", 10).unwrap(),
        s.rankings("Single", 10).unwrap()
    );
}

fn an_empty_batch_stores_nothing(mut s: Store) {
    assert!(
        s.apply_game_reports(&[], &mut |_, _| true)
            .unwrap()
            .is_empty()
    );
    assert_eq!(count(&s, "SELECT CAST(count(*) AS TEXT) FROM matches"), "0");
}

fn a_deferred_rank_is_applied_by_rank_games(mut s: Store) {
    let first = pair("a", "b");
    s.apply_game_reports(&[write("TicTacToe", &first, 1)], &mut |_, _| true)
        .unwrap();
    let order = |s: &Store| -> Vec<(u32, String)> {
        s.rankings("TicTacToe", 10)
            .unwrap()
            .into_iter()
            .map(|(pos, h, _)| (pos, h))
            .collect()
    };
    assert_eq!(order(&s), [(1, "a".to_owned()), (2, "b".to_owned())]);

    // b wins twice; the pacing puts the renumbering off.
    let later = [pair("b", "a"), pair("b", "a")];
    let writes = [
        write("TicTacToe", &later[0], 2),
        write("TicTacToe", &later[1], 3),
    ];
    let mut asked = Vec::new();
    let results = s
        .apply_game_reports(&writes, &mut |game, key| {
            asked.push((game.to_owned(), key));
            false
        })
        .unwrap();
    assert_eq!(asked, [("TicTacToe".to_owned(), "rating")], "asked once");
    let b = s.player_stats("b", "TicTacToe").unwrap();
    let a = s.player_stats("a", "TicTacToe").unwrap();
    assert!(b.rating > a.rating, "ratings are current");
    assert_eq!((a.ranking, b.ranking), (1, 2), "positions are not");
    // The answers carry the stored (last renumbered) positions.
    let last = results[1].as_ref().unwrap();
    assert_eq!(last[0], ("b".to_owned(), b));
    assert_eq!(order(&s), [(1, "a".to_owned()), (2, "b".to_owned())]);

    s.rank_games(&[("TicTacToe".to_owned(), "rating")]).unwrap();
    assert_eq!(order(&s), [(1, "b".to_owned()), (2, "a".to_owned())]);
    assert!(s.rank_games(&[]).is_ok());
    assert!(
        s.rank_games(&[("TicTacToe".to_owned(), "rowid")]).is_err(),
        "only the known orders are pasted into SQL"
    );
}

both!(
    a_deferred_rank_is_applied_by_rank_games,
    batch_of_n_stores_n,
    a_failing_report_fails_alone,
    a_batch_equals_single_applies,
    an_empty_batch_stores_nothing,
);
