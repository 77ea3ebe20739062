//! Reading a whole SQLite store (the source of `ggzduedit
//! copy-to-postgres`), plus raw SQL for the tests shared by both backends.

use super::dump::{Dump, MatchRecord};
use super::sqlite::{SqliteStore, USER_COLUMNS, stats_from_row, user_from_row};
use super::{SavedGame, SavedSeat, StoreError};

impl SqliteStore {
    /// Everything in the database, in insertion order, read in one
    /// transaction so it is one consistent state.
    pub fn dump(&mut self) -> Result<Dump, StoreError> {
        let tx = self.conn.transaction()?;
        let mut dump = Dump::default();
        {
            let mut stmt = tx.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))?;
            dump.users = stmt
                .query_map([], user_from_row)?
                .collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(
                "SELECT handle, game, wins, losses, ties, forfeits, rating, ranking, highscore
                 FROM stats ORDER BY rowid",
            )?;
            dump.stats = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, stats_from_row(r, 2)?)))?
                .collect::<Result<_, _>>()?;
            let mut stmt =
                tx.prepare("SELECT id, date, game, winner, savegame FROM matches ORDER BY id")?;
            dump.matches = stmt
                .query_map([], |r| {
                    Ok(MatchRecord {
                        id: r.get(0)?,
                        date: r.get(1)?,
                        game: r.get(2)?,
                        winner: r.get(3)?,
                        savegame: r.get(4)?,
                        players: Vec::new(),
                    })
                })?
                .collect::<Result<_, _>>()?;
            let mut players = tx.prepare(
                "SELECT handle, playertype FROM matchplayers WHERE match = ?1 ORDER BY rowid",
            )?;
            for m in &mut dump.matches {
                m.players = players
                    .query_map([m.id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
            }
            let mut stmt = tx.prepare(
                "SELECT date, game, owner, savegame, tablekey FROM savegames ORDER BY rowid",
            )?;
            dump.savegames = stmt
                .query_map([], |r| {
                    Ok(SavedGame {
                        date: r.get(0)?,
                        game: r.get(1)?,
                        owner: r.get(2)?,
                        savegame: r.get(3)?,
                        table_key: r.get(4)?,
                        seats: Vec::new(),
                    })
                })?
                .collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(
                "SELECT tablekey, seat, seattype, handle FROM savegameplayers
                 ORDER BY tablekey, seat",
            )?;
            dump.savegame_seats = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        SavedSeat {
                            seat: r.get(1)?,
                            seat_type: r.get(2)?,
                            handle: r.get(3)?,
                        },
                    ))
                })?
                .collect::<Result<_, _>>()?;
        }
        dump.bans = self_bans(&tx)?;
        tx.commit()?;
        // Played games are read after (copying wants ggzd stopped anyway).
        (dump.zone_secrets, dump.played) = self.dump_played()?;
        Ok(dump)
    }

    /// Runs raw SQL (tests).
    #[cfg(test)]
    pub(crate) fn raw_exec(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// The first column of every row of a raw query, as text (tests).
    #[cfg(test)]
    pub(crate) fn raw_strings(&self, sql: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn self_bans(tx: &rusqlite::Transaction<'_>) -> Result<Vec<super::BanRecord>, StoreError> {
    let mut stmt =
        tx.prepare("SELECT id, name, address, expires, reason, created FROM bans ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
