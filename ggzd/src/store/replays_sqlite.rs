//! Played games on SQLite: the rows behind `store/replays.rs`.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::replays::{
    NewPlayed, PlayedSeat, PlayedSeatKind, PlayedStatus, PlayedSummary, Retention, SECRET_BYTES,
    SeatResult, StoredPlayed, new_secret, seal, word,
};
use super::sqlite::SqliteStore;
use super::{StoreError, replays::SEAL_SECRET};

const SUMMARY_COLUMNS: &str = "id, game, ended, status, events";

fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, i64, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn secret_bytes(v: Vec<u8>) -> Result<[u8; SECRET_BYTES], StoreError> {
    <[u8; SECRET_BYTES]>::try_from(v)
        .map_err(|v| StoreError::Corrupt(format!("zone secret of {} bytes", v.len())))
}

impl SqliteStore {
    /// The zone secret `name`, created on first use. Every connection
    /// (and every ggzduedit) reads the same row.
    pub(crate) fn zone_secret(&self, name: &str) -> Result<[u8; SECRET_BYTES], StoreError> {
        let mut get = self
            .conn
            .prepare_cached("SELECT secret FROM zone_secrets WHERE name = ?1")?;
        if let Some(v) = get
            .query_row([name], |r| r.get::<_, Vec<u8>>(0))
            .optional()?
        {
            return secret_bytes(v);
        }
        // Two first users may race: the first insert wins, both read it.
        self.conn.execute(
            "INSERT INTO zone_secrets (name, secret) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            params![name, new_secret()?.as_slice()],
        )?;
        secret_bytes(get.query_row([name], |r| r.get(0))?)
    }

    pub(crate) fn record_played(&mut self, new: &NewPlayed<'_>) -> Result<i64, StoreError> {
        let secret = self.zone_secret(SEAL_SECRET)?;
        let events = i64::try_from(new.events)
            .map_err(|_| StoreError::Corrupt("event count out of range".into()))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO played_games (game, ended, status, events, log, seal)
             VALUES (?1, ?2, ?3, ?4, ?5, x'')",
            params![new.game, new.ended, new.status.as_str(), events, new.log],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut seat = tx.prepare_cached(
                "INSERT INTO played_seats (played, seat, name, handle, seattype, result)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for s in new.seats {
                seat.execute(params![
                    id,
                    s.seat,
                    s.name,
                    crate::config::canonical_name(&s.name),
                    s.kind.as_str(),
                    s.result.as_str()
                ])?;
            }
        }
        tx.execute(
            "UPDATE played_games SET seal = ?2 WHERE id = ?1",
            params![id, seal(&secret, id, new)?],
        )?;
        tx.commit()?;
        Ok(id)
    }

    fn played_seats(&self, id: i64) -> Result<Vec<PlayedSeat>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seat, name, seattype, result FROM played_seats WHERE played = ?1 ORDER BY seat",
        )?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(seat, name, kind, result)| {
                Ok(PlayedSeat {
                    seat,
                    name,
                    kind: word(PlayedSeatKind::parse, &kind, "seat type")?,
                    result: word(SeatResult::parse, &result, "result")?,
                })
            })
            .collect()
    }

    fn summary(
        &self,
        (id, game, ended, status, events): (i64, String, i64, String, i64),
    ) -> Result<PlayedSummary, StoreError> {
        Ok(PlayedSummary {
            id,
            game,
            ended,
            status: word(PlayedStatus::parse, &status, "status")?,
            events: u64::try_from(events)
                .map_err(|_| StoreError::Corrupt(format!("played game {id}: events {events}")))?,
            seats: self.played_seats(id)?,
        })
    }

    pub(crate) fn list_played(
        &self,
        handle: Option<&str>,
        max: usize,
    ) -> Result<Vec<PlayedSummary>, StoreError> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let rows = match handle {
            Some(h) => {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM played_games WHERE id IN
                     (SELECT played FROM played_seats WHERE handle = ?1)
                     ORDER BY id DESC LIMIT ?2"
                ))?;
                stmt.query_map(params![h, max], summary_from_row)?
                    .collect::<Result<Vec<_>, _>>()?
            }
            None => {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM played_games ORDER BY id DESC LIMIT ?1"
                ))?;
                stmt.query_map([max], summary_from_row)?
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        rows.into_iter().map(|r| self.summary(r)).collect()
    }

    pub(crate) fn played(&self, id: i64) -> Result<Option<StoredPlayed>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {SUMMARY_COLUMNS}, log, seal FROM played_games WHERE id = ?1"),
                [id],
                |r| {
                    Ok((
                        summary_from_row(r)?,
                        r.get::<_, Vec<u8>>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((summary, log, seal)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredPlayed {
            summary: self.summary(summary)?,
            log,
            seal,
        }))
    }

    pub(crate) fn prune_played(&mut self, retention: &Retention) -> Result<u64, StoreError> {
        let keep = i64::try_from(retention.keep).unwrap_or(i64::MAX);
        let batch = i64::try_from(retention.batch).unwrap_or(i64::MAX);
        // With keep = 0 the OFFSET subquery is left out (NULL compares
        // false), and so is the age test without an age limit.
        let n = self.conn.execute(
            "DELETE FROM played_games WHERE id IN (
                 SELECT id FROM played_games
                 WHERE (?3 IS NOT NULL AND ended < ?3)
                    OR (?1 > 0 AND id <= (SELECT id FROM played_games
                                          ORDER BY id DESC LIMIT 1 OFFSET ?1))
                 ORDER BY id LIMIT ?2)",
            params![keep, batch, retention.ended_before],
        )?;
        Ok(n as u64)
    }

    /// The zone secrets and every played game, by id (for copying).
    pub(crate) fn dump_played(&self) -> Result<super::replays::PlayedDump, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, secret FROM zone_secrets ORDER BY name")?;
        let secrets = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM played_games ORDER BY id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let played = ids
            .into_iter()
            .filter_map(|id| self.played(id).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        Ok((secrets, played))
    }

    pub(crate) fn played_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM played_games", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
