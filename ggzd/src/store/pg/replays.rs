//! Played games on PostgreSQL: the same rows, with the same meaning, as
//! `store/replays_sqlite.rs`.

use postgres::{GenericClient, Row};

use super::{PgStore, col, col_u32};
use crate::store::StoreError;
use crate::store::replays::{
    NewPlayed, PlayedSeat, PlayedSeatKind, PlayedStatus, PlayedSummary, Retention, SEAL_SECRET,
    SECRET_BYTES, SeatResult, StoredPlayed, new_secret, seal, word,
};

const SUMMARY_COLUMNS: &str = "id, game, ended, status, events";

fn read_secret(client: &mut impl GenericClient, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    client
        .query_opt("SELECT secret FROM zone_secrets WHERE name = $1", &[&name])?
        .map(|r| col::<Vec<u8>>(&r, 0))
        .transpose()
}

fn secret(client: &mut impl GenericClient, name: &str) -> Result<[u8; SECRET_BYTES], StoreError> {
    let found = match read_secret(client, name)? {
        Some(v) => v,
        None => {
            // Two nodes may race: the first insert wins, both read it.
            let fresh = new_secret()?.to_vec();
            client.execute(
                "INSERT INTO zone_secrets (name, secret) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &fresh],
            )?;
            read_secret(client, name)?
                .ok_or_else(|| StoreError::Corrupt("zone secret vanished".into()))?
        }
    };
    <[u8; SECRET_BYTES]>::try_from(found)
        .map_err(|v| StoreError::Corrupt(format!("zone secret of {} bytes", v.len())))
}

fn seats(client: &mut impl GenericClient, id: i64) -> Result<Vec<PlayedSeat>, StoreError> {
    client
        .query(
            "SELECT seat, name, seattype, result FROM played_seats
             WHERE played = $1 ORDER BY seat",
            &[&id],
        )?
        .iter()
        .map(|r| {
            Ok(PlayedSeat {
                seat: col_u32(r, 0)?,
                name: col(r, 1)?,
                kind: word(PlayedSeatKind::parse, &col::<String>(r, 2)?, "seat type")?,
                result: word(SeatResult::parse, &col::<String>(r, 3)?, "result")?,
            })
        })
        .collect()
}

fn summary(client: &mut impl GenericClient, r: &Row) -> Result<PlayedSummary, StoreError> {
    let id: i64 = col(r, 0)?;
    let events: i64 = col(r, 4)?;
    Ok(PlayedSummary {
        id,
        game: col(r, 1)?,
        ended: col(r, 2)?,
        status: word(PlayedStatus::parse, &col::<String>(r, 3)?, "status")?,
        events: u64::try_from(events)
            .map_err(|_| StoreError::Corrupt(format!("played game {id}: events {events}")))?,
        seats: seats(client, id)?,
    })
}

impl PgStore {
    /// The zone secret `name`, created on first use; shared by every node
    /// on this database.
    pub(crate) fn zone_secret(&self, name: &str) -> Result<[u8; SECRET_BYTES], StoreError> {
        self.with(|c| secret(&mut c.client, name))
    }

    pub(crate) fn record_played(&mut self, new: &NewPlayed<'_>) -> Result<i64, StoreError> {
        let events = i64::try_from(new.events)
            .map_err(|_| StoreError::Corrupt("event count out of range".into()))?;
        self.with(|c| {
            let key = secret(&mut c.client, SEAL_SECRET)?;
            let mut tx = c.client.transaction()?;
            let row = tx.query_one(
                "INSERT INTO played_games (game, ended, status, events, log, seal)
                 VALUES ($1, $2, $3, $4, $5, '') RETURNING id",
                &[
                    &new.game,
                    &new.ended,
                    &new.status.as_str(),
                    &events,
                    &new.log,
                ],
            )?;
            let id: i64 = col(&row, 0)?;
            let insert = tx.prepare(
                "INSERT INTO played_seats (played, seat, name, handle, seattype, result)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )?;
            for s in new.seats {
                tx.execute(
                    &insert,
                    &[
                        &id,
                        &i64::from(s.seat),
                        &s.name,
                        &crate::config::canonical_name(&s.name),
                        &s.kind.as_str(),
                        &s.result.as_str(),
                    ],
                )?;
            }
            let sealed = seal(&key, id, new)?;
            tx.execute(
                "UPDATE played_games SET seal = $2 WHERE id = $1",
                &[&id, &sealed],
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    pub(crate) fn list_played(
        &self,
        handle: Option<&str>,
        max: usize,
    ) -> Result<Vec<PlayedSummary>, StoreError> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.with(|c| {
            let rows = match handle {
                Some(h) => c.client.query(
                    &format!(
                        "SELECT {SUMMARY_COLUMNS} FROM played_games WHERE id IN
                         (SELECT played FROM played_seats WHERE handle = $1)
                         ORDER BY id DESC LIMIT $2"
                    ),
                    &[&h, &max],
                )?,
                None => c.client.query(
                    &format!(
                        "SELECT {SUMMARY_COLUMNS} FROM played_games ORDER BY id DESC LIMIT $1"
                    ),
                    &[&max],
                )?,
            };
            rows.iter().map(|r| summary(&mut c.client, r)).collect()
        })
    }

    pub(crate) fn played(&self, id: i64) -> Result<Option<StoredPlayed>, StoreError> {
        self.with(|c| {
            let Some(row) = c.client.query_opt(
                &format!("SELECT {SUMMARY_COLUMNS}, log, seal FROM played_games WHERE id = $1"),
                &[&id],
            )?
            else {
                return Ok(None);
            };
            Ok(Some(StoredPlayed {
                summary: summary(&mut c.client, &row)?,
                log: col(&row, 5)?,
                seal: col(&row, 6)?,
            }))
        })
    }

    pub(crate) fn prune_played(&mut self, retention: &Retention) -> Result<u64, StoreError> {
        let keep = i64::try_from(retention.keep).unwrap_or(i64::MAX);
        let batch = i64::try_from(retention.batch).unwrap_or(i64::MAX);
        self.with(|c| {
            let n = c.client.execute(
                "DELETE FROM played_games WHERE id IN (
                     SELECT id FROM played_games
                     WHERE ($3::BIGINT IS NOT NULL AND ended < $3)
                        OR ($1::BIGINT > 0 AND id <= (SELECT id FROM played_games
                                              ORDER BY id DESC LIMIT 1 OFFSET $1))
                     ORDER BY id LIMIT $2)",
                &[&keep, &batch, &retention.ended_before],
            )?;
            Ok(n)
        })
    }

    /// The zone secrets and every played game, by id (for copying).
    pub(crate) fn dump_played(&self) -> Result<crate::store::replays::PlayedDump, StoreError> {
        let (secrets, ids) = self.with(|c| {
            let secrets = c
                .client
                .query("SELECT name, secret FROM zone_secrets ORDER BY name", &[])?
                .iter()
                .map(|r| Ok((col(r, 0)?, col(r, 1)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let ids = c
                .client
                .query("SELECT id FROM played_games ORDER BY id", &[])?
                .iter()
                .map(|r| col::<i64>(r, 0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((secrets, ids))
        })?;
        let played = ids
            .into_iter()
            .filter_map(|id| self.played(id).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        Ok((secrets, played))
    }

    pub(crate) fn played_count(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let n: i64 = col(
                &c.client
                    .query_one("SELECT count(*) FROM played_games", &[])?,
                0,
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }
}

/// Copies the zone secrets and played games of `dump` into an empty
/// target inside the copy's transaction, ids kept (`copy.rs`).
pub(super) fn load_played(
    tx: &mut postgres::Transaction<'_>,
    dump: &crate::store::Dump,
) -> Result<(), StoreError> {
    // A ggzd that ran on the target may have made a secret already; the
    // copied games are sealed with the source's.
    if !dump.zone_secrets.is_empty() {
        tx.execute("DELETE FROM zone_secrets", &[])?;
    }
    for (name, secret) in &dump.zone_secrets {
        tx.execute(
            "INSERT INTO zone_secrets (name, secret) VALUES ($1, $2)",
            &[name, secret],
        )?;
    }
    let game = tx.prepare(
        "INSERT INTO played_games (id, game, ended, status, events, log, seal)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )?;
    let seat = tx.prepare(
        "INSERT INTO played_seats (played, seat, name, handle, seattype, result)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )?;
    for p in &dump.played {
        let s = &p.summary;
        let events = i64::try_from(s.events)
            .map_err(|_| StoreError::Corrupt("event count out of range".into()))?;
        tx.execute(
            &game,
            &[
                &s.id,
                &s.game,
                &s.ended,
                &s.status.as_str(),
                &events,
                &p.log,
                &p.seal,
            ],
        )?;
        for st in &s.seats {
            tx.execute(
                &seat,
                &[
                    &s.id,
                    &i64::from(st.seat),
                    &st.name,
                    &crate::config::canonical_name(&st.name),
                    &st.kind.as_str(),
                    &st.result.as_str(),
                ],
            )?;
        }
    }
    tx.execute(
        "SELECT setval(pg_get_serial_sequence('played_games', 'id'),
                       COALESCE(MAX(id), 0) + 1, false) FROM played_games",
        &[],
    )?;
    Ok(())
}
