//! Stats, game reports, rankings and savegames on PostgreSQL: the same
//! methods, with the same meaning, as the SQLite backend's.

use postgres::{GenericClient, Row};

use super::{LOCK_NAMESPACE, LOCK_REPORTS, LOCK_SAVEGAMES, PgStore, col, col_u32};
use crate::store::{ReportWrite, SavedGame, SavedSeat, StatsRecord, StoreError, Updated, report};

/// Reads `wins, losses, ties, forfeits, rating, ranking, highscore` from
/// column `at` on.
pub(super) fn stats_from_row(row: &Row, at: usize) -> Result<StatsRecord, StoreError> {
    Ok(StatsRecord {
        wins: col_u32(row, at)?,
        losses: col_u32(row, at + 1)?,
        ties: col_u32(row, at + 2)?,
        forfeits: col_u32(row, at + 3)?,
        rating: col(row, at + 4)?,
        ranking: col_u32(row, at + 5)?,
        highscore: col(row, at + 6)?,
    })
}

fn read_stats(
    client: &mut impl GenericClient,
    handle: &str,
    game: &str,
) -> Result<Option<StatsRecord>, StoreError> {
    client
        .query_opt(
            "SELECT wins, losses, ties, forfeits, rating, ranking, highscore
             FROM stats WHERE handle = $1 AND game = $2",
            &[&handle, &game],
        )?
        .map(|r| stats_from_row(&r, 0))
        .transpose()
}

/// Serialises the read-modify-writes of one game's rows (`what` is one of
/// the lock purposes) until the transaction ends.
fn lock_game(client: &mut impl GenericClient, what: i32, game: &str) -> Result<(), StoreError> {
    client.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2) # $3)",
        &[&LOCK_NAMESPACE, &game, &what],
    )?;
    Ok(())
}

/// Writes one report inside the caller's transaction, which holds the
/// game's report lock (see `Store::apply_game_report`).
fn write_report(
    tx: &mut impl GenericClient,
    r: &ReportWrite<'_>,
) -> Result<report::Written, StoreError> {
    let (game, flags, participants, savegame, now) =
        (r.game, r.flags, r.participants, r.savegame, r.now);
    if !savegame.is_empty() {
        close_savegame(tx, game, savegame)?;
    }
    if !flags.any() {
        return Ok(None);
    }
    let keys = report::stats_keys(participants);
    let rows = report::rows_after(flags, participants, &keys, |key| read_stats(tx, key, game))?;
    let winner = report::single_winner(participants, &keys);
    let row = tx.query_one(
        "INSERT INTO matches (date, game, winner, savegame)
         VALUES ($1, $2, $3, $4) RETURNING id",
        &[&now, &game, &winner, &savegame],
    )?;
    let match_id: i64 = col(&row, 0)?;
    let add_player =
        tx.prepare("INSERT INTO matchplayers (match, handle, playertype) VALUES ($1, $2, $3)")?;
    let upsert = tx.prepare(
        "INSERT INTO stats (handle, game, wins, losses, ties, forfeits, rating, highscore)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (handle, game) DO UPDATE SET
             wins = excluded.wins, losses = excluded.losses,
             ties = excluded.ties, forfeits = excluded.forfeits,
             rating = excluded.rating, highscore = excluded.highscore",
    )?;
    for ((p, key), row) in participants.iter().zip(&keys).zip(&rows) {
        tx.execute(&add_player, &[&match_id, key, &p.player_type()])?;
        if key.is_empty() {
            continue;
        }
        tx.execute(
            &upsert,
            &[
                key,
                &game,
                &i64::from(row.wins),
                &i64::from(row.losses),
                &i64::from(row.ties),
                &i64::from(row.forfeits),
                &row.rating,
                &row.highscore,
            ],
        )?;
    }
    Ok(Some((keys, rows)))
}

/// Numbers a game's ranked rows 1, 2, ... in `order` (a fixed expression
/// from this module or `StatsFlags`, never input); ties keep insertion
/// order. Only rows whose position changes are written: a report moves a
/// few players, and rewriting every row of the game made each report cost
/// as many row versions as the game has players.
fn renumber(
    client: &mut impl GenericClient,
    game: &str,
    order: &str,
    only_ranked: bool,
) -> Result<(), StoreError> {
    let filter = if only_ranked { "AND ranking <> 0" } else { "" };
    client.execute(
        &format!(
            "UPDATE stats SET ranking = r.pos
             FROM (SELECT handle AS h,
                          row_number() OVER (ORDER BY {order}, seq) AS pos
                   FROM stats WHERE game = $1 {filter}) AS r
             WHERE stats.game = $1 AND stats.handle = r.h AND stats.ranking <> r.pos"
        ),
        &[&game],
    )?;
    Ok(())
}

/// See `SqliteStore`'s `close_savegame`.
fn close_savegame(
    client: &mut impl GenericClient,
    game: &str,
    savegame: &str,
) -> Result<(), StoreError> {
    client.execute(
        "DELETE FROM savegameplayers WHERE tablekey IN
             (SELECT tablekey FROM savegames WHERE game = $1 AND savegame = $2)",
        &[&game, &savegame],
    )?;
    client.execute(
        "DELETE FROM savegames WHERE game = $1 AND savegame = $2",
        &[&game, &savegame],
    )?;
    Ok(())
}

impl PgStore {
    /// See `Store::stats_for_player`.
    pub fn stats_for_player(
        &self,
        canonical: &str,
    ) -> Result<Vec<(String, StatsRecord)>, StoreError> {
        self.with(|c| {
            // Byte order, as SQLite sorts, whatever the database collation.
            let stmt = c.prepared(
                "SELECT game, wins, losses, ties, forfeits, rating, ranking, highscore
                 FROM stats WHERE handle = $1 ORDER BY game COLLATE \"C\"",
            )?;
            c.client
                .query(&stmt, &[&canonical])?
                .iter()
                .map(|r| Ok((col(r, 0)?, stats_from_row(r, 1)?)))
                .collect()
        })
    }

    /// See `Store::player_stats`.
    pub fn player_stats(&self, handle: &str, game: &str) -> Result<StatsRecord, StoreError> {
        self.with(|c| Ok(read_stats(&mut c.client, handle, game)?.unwrap_or_default()))
    }

    /// See `Store::apply_game_reports`.
    pub fn apply_game_reports(
        &mut self,
        reports: &[ReportWrite<'_>],
        rank_now: &mut dyn FnMut(&str, &'static str) -> bool,
    ) -> Result<Vec<Result<Updated, StoreError>>, StoreError> {
        // Every game of the batch is locked up front, in byte order (as
        // `reset_stats` does): two batches taking their locks report by
        // report could each hold a game the other waits for.
        let mut games: Vec<&str> = reports.iter().map(|r| r.game).collect();
        games.sort_unstable();
        games.dedup();
        self.with(|c| {
            let mut tx = c.client.transaction()?;
            for game in &games {
                lock_game(&mut tx, LOCK_REPORTS, game)?;
            }
            let mut written = Vec::with_capacity(reports.len());
            for r in reports {
                let mut sp = tx.savepoint("report")?;
                match write_report(&mut sp, r) {
                    Ok(w) => {
                        sp.commit()?;
                        written.push(Ok(w));
                    }
                    Err(e) => {
                        // If even this fails the transaction is lost, and
                        // with it the whole batch.
                        sp.rollback()?;
                        written.push(Err(e));
                    }
                }
            }
            for (game, key) in report::games_to_rank(reports, &written) {
                if rank_now(game, key) {
                    renumber(&mut tx, game, &format!("{key} DESC"), false)?;
                }
            }
            let out =
                report::answers(reports, written, |key, game| read_stats(&mut tx, key, game))?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// See `Store::rank_games`.
    pub fn rank_games(&mut self, games: &[(String, &'static str)]) -> Result<(), StoreError> {
        report::check_ranking_keys(games)?;
        // Locked in byte order, as `apply_game_reports` locks its games.
        let mut sorted: Vec<&(String, &'static str)> = games.iter().collect();
        sorted.sort_unstable();
        self.with(|c| {
            let mut tx = c.client.transaction()?;
            for (game, _) in &sorted {
                lock_game(&mut tx, LOCK_REPORTS, game)?;
            }
            for (game, key) in &sorted {
                renumber(&mut tx, game, &format!("{key} DESC"), false)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// See `Store::rankings`.
    pub fn rankings(
        &self,
        game: &str,
        limit: usize,
    ) -> Result<Vec<(u32, String, i64)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            c.client
                .query(
                    "SELECT ranking, handle, highscore FROM stats
                     WHERE game = $1 AND ranking <> 0
                     ORDER BY ranking, seq LIMIT $2",
                    &[&game, &limit],
                )?
                .iter()
                .map(|r| Ok((col_u32(r, 0)?, col(r, 1)?, col(r, 2)?)))
                .collect()
        })
    }

    /// See `Store::reset_stats`.
    pub fn reset_stats(&mut self, handle: &str, game: Option<&str>) -> Result<usize, StoreError> {
        self.with(|c| {
            let mut tx = c.client.transaction()?;
            let games: Vec<String> = tx
                .query(
                    "SELECT game FROM stats WHERE handle = $1 AND ($2::TEXT IS NULL OR game = $2)
                     ORDER BY game COLLATE \"C\"",
                    &[&handle, &game],
                )?
                .iter()
                .map(|r| col(r, 0))
                .collect::<Result<_, _>>()?;
            for g in &games {
                lock_game(&mut tx, LOCK_REPORTS, g)?;
            }
            let removed = tx.execute(
                "DELETE FROM stats WHERE handle = $1 AND ($2::TEXT IS NULL OR game = $2)",
                &[&handle, &game],
            )?;
            for g in &games {
                renumber(&mut tx, g, "ranking", true)?;
            }
            tx.commit()?;
            Ok(usize::try_from(removed).unwrap_or(usize::MAX))
        })
    }

    /// See `Store::record_savegame`.
    pub fn record_savegame(
        &mut self,
        game: &str,
        owner: &str,
        savegame: &str,
        table_key: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.client.execute(
                "INSERT INTO savegames (date, game, owner, savegame, tablekey)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (game, owner) DO UPDATE SET
                     date = excluded.date, savegame = excluded.savegame,
                     tablekey = excluded.tablekey",
                &[&now, &game, &owner, &savegame, &table_key],
            )?;
            Ok(())
        })
    }

    /// See `Store::set_savegame_seat`.
    pub fn set_savegame_seat(
        &self,
        table_key: &str,
        seat: u32,
        seat_type: &str,
        handle: &str,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.client.execute(
                "INSERT INTO savegameplayers (tablekey, seat, handle, seattype)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tablekey, seat) DO UPDATE SET
                     handle = excluded.handle, seattype = excluded.seattype",
                &[&table_key, &i64::from(seat), &handle, &seat_type],
            )?;
            Ok(())
        })
    }

    /// See `Store::clear_table_seats`.
    pub fn clear_table_seats(&mut self, table_key: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.client.execute(
                "DELETE FROM savegameplayers WHERE tablekey = $1
                 AND NOT EXISTS (SELECT 1 FROM savegames WHERE tablekey = $1)",
                &[&table_key],
            )?;
            Ok(())
        })
    }

    /// See `Store::take_savegames`.
    pub fn take_savegames(&mut self, game: &str) -> Result<Vec<SavedGame>, StoreError> {
        self.with(|c| {
            let mut tx = c.client.transaction()?;
            lock_game(&mut tx, LOCK_SAVEGAMES, game)?;
            let mut games: Vec<SavedGame> = tx
                .query(
                    "SELECT date, game, owner, savegame, tablekey FROM savegames
                     WHERE game = $1 ORDER BY date, seq",
                    &[&game],
                )?
                .iter()
                .map(|r| {
                    Ok(SavedGame {
                        date: col(r, 0)?,
                        game: col(r, 1)?,
                        owner: col(r, 2)?,
                        savegame: col(r, 3)?,
                        table_key: col(r, 4)?,
                        seats: Vec::new(),
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let seats = tx.prepare(
                "SELECT seat, seattype, handle FROM savegameplayers
                 WHERE tablekey = $1 ORDER BY seat",
            )?;
            for g in &mut games {
                g.seats = tx
                    .query(&seats, &[&g.table_key])?
                    .iter()
                    .map(|r| {
                        Ok(SavedSeat {
                            seat: col_u32(r, 0)?,
                            seat_type: col(r, 1)?,
                            handle: col(r, 2)?,
                        })
                    })
                    .collect::<Result<_, StoreError>>()?;
            }
            tx.execute(
                "DELETE FROM savegameplayers
                 WHERE tablekey IN (SELECT tablekey FROM savegames WHERE game = $1)",
                &[&game],
            )?;
            tx.execute("DELETE FROM savegames WHERE game = $1", &[&game])?;
            tx.commit()?;
            Ok(games)
        })
    }
}
