//! Reading and filling a whole PostgreSQL store (`ggzduedit
//! copy-to-postgres`, and the tests that compare both backends).

use super::accounts::{ban_from_row, user_from_row};
use super::games::stats_from_row;
use super::{PgStore, col, col_u32};
use crate::store::dump::{Dump, MatchRecord};
use crate::store::{SavedGame, SavedSeat, StoreError};

/// Tables a copy must find empty, in the order they are filled.
const TABLES: &[&str] = &[
    "users",
    "stats",
    "matches",
    "matchplayers",
    "savegames",
    "savegameplayers",
    "bans",
    "played_games",
    "played_seats",
];

impl PgStore {
    /// Everything in the database, in insertion order.
    pub fn dump(&self) -> Result<Dump, StoreError> {
        let mut dump = self.with(|c| {
            let client = &mut c.client;
            let mut dump = Dump::default();
            for r in client.query(
                "SELECT id, handle, password, name, email, lastlogin, firstlogin, \
                 permissions, confirmed FROM users ORDER BY id",
                &[],
            )? {
                dump.users.push(user_from_row(&r)?);
            }
            for r in client.query(
                "SELECT handle, game, wins, losses, ties, forfeits, rating, ranking, highscore
                 FROM stats ORDER BY seq",
                &[],
            )? {
                dump.stats
                    .push((col(&r, 0)?, col(&r, 1)?, stats_from_row(&r, 2)?));
            }
            for r in client.query(
                "SELECT id, date, game, winner, savegame FROM matches ORDER BY id",
                &[],
            )? {
                dump.matches.push(MatchRecord {
                    id: col(&r, 0)?,
                    date: col(&r, 1)?,
                    game: col(&r, 2)?,
                    winner: col(&r, 3)?,
                    savegame: col(&r, 4)?,
                    players: Vec::new(),
                });
            }
            let players = client.prepare(
                "SELECT handle, playertype FROM matchplayers WHERE match = $1 ORDER BY seq",
            )?;
            for m in &mut dump.matches {
                for r in client.query(&players, &[&m.id])? {
                    m.players.push((col(&r, 0)?, col(&r, 1)?));
                }
            }
            for r in client.query(
                "SELECT date, game, owner, savegame, tablekey FROM savegames ORDER BY seq",
                &[],
            )? {
                dump.savegames.push(SavedGame {
                    date: col(&r, 0)?,
                    game: col(&r, 1)?,
                    owner: col(&r, 2)?,
                    savegame: col(&r, 3)?,
                    table_key: col(&r, 4)?,
                    seats: Vec::new(),
                });
            }
            for r in client.query(
                "SELECT tablekey, seat, seattype, handle FROM savegameplayers
                 ORDER BY tablekey COLLATE \"C\", seat",
                &[],
            )? {
                dump.savegame_seats.push((
                    col(&r, 0)?,
                    SavedSeat {
                        seat: col_u32(&r, 1)?,
                        seat_type: col(&r, 2)?,
                        handle: col(&r, 3)?,
                    },
                ));
            }
            for r in client.query(
                "SELECT id, name, address, expires, reason, created FROM bans ORDER BY id",
                &[],
            )? {
                dump.bans.push(ban_from_row(&r)?);
            }
            Ok(dump)
        })?;
        (dump.zone_secrets, dump.played) = self.dump_played()?;
        Ok(dump)
    }

    /// Writes `dump` into this database in one transaction, keeping ids
    /// and order. Refused unless every table is empty: a copy never merges
    /// into a zone already in use.
    pub fn load(&mut self, dump: &Dump) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.client.transaction()?;
            // No ggzd may write while the copy runs; taken without waiting.
            tx.batch_execute(&format!(
                "LOCK TABLE {} IN EXCLUSIVE MODE NOWAIT",
                TABLES.join(", ")
            ))?;
            for table in TABLES {
                let row = tx.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])?;
                if col::<bool>(&row, 0)? {
                    return Err(StoreError::NotEmpty(format!(
                        "table {table} of the target database is not empty"
                    )));
                }
            }
            let user = tx.prepare(
                "INSERT INTO users (id, handle, password, name, email, lastlogin, firstlogin,
                                    permissions, confirmed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )?;
            for u in &dump.users {
                tx.execute(
                    &user,
                    &[
                        &u.id,
                        &u.handle,
                        &u.password,
                        &u.real_name,
                        &u.email,
                        &u.last_login,
                        &u.first_login,
                        &i64::from(u.permissions),
                        &u.confirmed,
                    ],
                )?;
            }
            let stats = tx.prepare(
                "INSERT INTO stats (handle, game, wins, losses, ties, forfeits, rating,
                                    ranking, highscore)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )?;
            for (handle, game, s) in &dump.stats {
                tx.execute(
                    &stats,
                    &[
                        handle,
                        game,
                        &i64::from(s.wins),
                        &i64::from(s.losses),
                        &i64::from(s.ties),
                        &i64::from(s.forfeits),
                        &s.rating,
                        &i64::from(s.ranking),
                        &s.highscore,
                    ],
                )?;
            }
            let matches = tx.prepare(
                "INSERT INTO matches (id, date, game, winner, savegame)
                 VALUES ($1, $2, $3, $4, $5)",
            )?;
            let player = tx.prepare(
                "INSERT INTO matchplayers (match, handle, playertype) VALUES ($1, $2, $3)",
            )?;
            for m in &dump.matches {
                tx.execute(&matches, &[&m.id, &m.date, &m.game, &m.winner, &m.savegame])?;
                for (handle, kind) in &m.players {
                    tx.execute(&player, &[&m.id, handle, kind])?;
                }
            }
            let saved = tx.prepare(
                "INSERT INTO savegames (date, game, owner, savegame, tablekey)
                 VALUES ($1, $2, $3, $4, $5)",
            )?;
            for g in &dump.savegames {
                tx.execute(
                    &saved,
                    &[&g.date, &g.game, &g.owner, &g.savegame, &g.table_key],
                )?;
            }
            let seat = tx.prepare(
                "INSERT INTO savegameplayers (tablekey, seat, handle, seattype)
                 VALUES ($1, $2, $3, $4)",
            )?;
            for (key, s) in &dump.savegame_seats {
                tx.execute(&seat, &[key, &i64::from(s.seat), &s.handle, &s.seat_type])?;
            }
            let ban = tx.prepare(
                "INSERT INTO bans (id, name, address, expires, reason, created)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )?;
            for (id, name, address, expires, reason, created) in &dump.bans {
                tx.execute(&ban, &[id, name, address, expires, reason, created])?;
            }
            super::replays::load_played(&mut tx, dump)?;
            // Ids were given explicitly: new rows continue after them.
            for table in ["users", "matches", "bans"] {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                       COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                    ),
                    &[],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}
