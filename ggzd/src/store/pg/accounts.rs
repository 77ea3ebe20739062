//! Accounts and bans on PostgreSQL: the same methods, with the same
//! meaning, as the SQLite backend's.

use postgres::Row;

use super::{PgStore, col, col_u32, target::glob_to_regex};
use crate::store::types::truncate_utf8;
use crate::store::{
    BOT_PERMISSIONS, BanRecord, CreateOutcome, ImportedUser, MAX_INFO_BYTES, StoreError, UserRecord,
};

const SELECT_USER: &str = "SELECT id, handle, password, name, email, lastlogin, firstlogin, \
     permissions, confirmed FROM users";

pub(super) fn user_from_row(row: &Row) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        id: col(row, 0)?,
        handle: col(row, 1)?,
        password: col(row, 2)?,
        real_name: col(row, 3)?,
        email: col(row, 4)?,
        last_login: col(row, 5)?,
        first_login: col(row, 6)?,
        permissions: col_u32(row, 7)?,
        confirmed: col(row, 8)?,
    })
}

pub(super) fn ban_from_row(row: &Row) -> Result<BanRecord, StoreError> {
    Ok((
        col(row, 0)?,
        col(row, 1)?,
        col(row, 2)?,
        col(row, 3)?,
        col(row, 4)?,
        col(row, 5)?,
    ))
}

impl PgStore {
    /// See `Store::user`.
    pub fn user(&self, canonical: &str) -> Result<Option<UserRecord>, StoreError> {
        self.with(|c| {
            let stmt = c.prepared(
                "SELECT id, handle, password, name, email, lastlogin, firstlogin, \
                 permissions, confirmed FROM users WHERE handle = $1",
            )?;
            c.client
                .query_opt(&stmt, &[&canonical])?
                .map(|r| user_from_row(&r))
                .transpose()
        })
    }

    /// See `Store::user_exists`.
    pub fn user_exists(&self, canonical: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let stmt = c.prepared("SELECT 1 FROM users WHERE handle = $1")?;
            Ok(c.client.query_opt(&stmt, &[&canonical])?.is_some())
        })
    }

    /// See `Store::import_user`.
    pub fn import_user(&mut self, user: &ImportedUser<'_>) -> Result<CreateOutcome, StoreError> {
        self.with(|c| {
            let mut tx = c.client.transaction()?;
            let row = tx.query_opt(
                "INSERT INTO users
                     (handle, password, name, email, lastlogin, firstlogin, permissions, confirmed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (handle) DO NOTHING
                 RETURNING id",
                &[
                    &user.handle,
                    &user.password,
                    &truncate_utf8(user.real_name, MAX_INFO_BYTES),
                    &truncate_utf8(user.email, MAX_INFO_BYTES),
                    &user.last_login,
                    &user.first_login,
                    &i64::from(user.permissions),
                    &user.confirmed,
                ],
            )?;
            let Some(row) = row else {
                return Ok(CreateOutcome::AlreadyExists);
            };
            let id: i64 = col(&row, 0)?;
            tx.execute("DELETE FROM stats WHERE handle = $1", &[&user.handle])?;
            tx.commit()?;
            Ok(CreateOutcome::Created(id))
        })
    }

    /// See `Store::record_login`.
    pub fn record_login(&self, user_id: i64, now: i64) -> Result<(), StoreError> {
        self.with(|c| {
            let stmt = c.prepared("UPDATE users SET lastlogin = $2 WHERE id = $1")?;
            c.client.execute(&stmt, &[&user_id, &now])?;
            Ok(())
        })
    }

    /// See `Store::set_password`.
    pub fn set_password(&self, user_id: i64, stored: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.client.execute(
                "UPDATE users SET password = $2 WHERE id = $1",
                &[&user_id, &stored],
            )?;
            Ok(())
        })
    }

    /// See `Store::set_permissions`.
    pub fn set_permissions(&self, canonical: &str, perms: u32) -> Result<bool, StoreError> {
        self.update_user("permissions", canonical, &i64::from(perms))
    }

    /// See `Store::set_real_name`.
    pub fn set_real_name(&self, canonical: &str, real_name: &str) -> Result<bool, StoreError> {
        self.update_user("name", canonical, &truncate_utf8(real_name, MAX_INFO_BYTES))
    }

    /// See `Store::set_email`.
    pub fn set_email(&self, canonical: &str, email: &str) -> Result<bool, StoreError> {
        self.update_user("email", canonical, &truncate_utf8(email, MAX_INFO_BYTES))
    }

    /// See `Store::set_confirmed`.
    pub fn set_confirmed(&self, canonical: &str, confirmed: bool) -> Result<bool, StoreError> {
        self.update_user("confirmed", canonical, &confirmed)
    }

    /// Sets one column (a fixed name from this file, never input) of an
    /// account; `false` if there is no such account.
    fn update_user(
        &self,
        column: &'static str,
        canonical: &str,
        value: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let n = c.client.execute(
                &format!("UPDATE users SET {column} = $2 WHERE handle = $1"),
                &[&canonical, value],
            )?;
            Ok(n > 0)
        })
    }

    /// See `Store::ensure_bot_account`.
    pub fn ensure_bot_account(&mut self, canonical: &str, now: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.client.execute(
                "INSERT INTO users
                     (handle, password, name, email, lastlogin, firstlogin, permissions, confirmed)
                 VALUES ($1, '', '', '', $2, $2, $3, TRUE)
                 ON CONFLICT (handle) DO NOTHING",
                &[&canonical, &now, &i64::from(BOT_PERMISSIONS)],
            )?;
            Ok(())
        })
    }

    /// See `Store::list_users`.
    pub fn list_users(&self, pattern: Option<&str>) -> Result<Vec<UserRecord>, StoreError> {
        let regex = pattern.map(glob_to_regex);
        self.with(|c| {
            c.client
                .query(
                    &format!(
                        "{SELECT_USER} WHERE $1::TEXT IS NULL OR handle ~ $1::TEXT ORDER BY id"
                    ),
                    &[&regex],
                )?
                .iter()
                .map(user_from_row)
                .collect()
        })
    }

    /// See `Store::delete_user`.
    pub fn delete_user(&mut self, canonical: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let mut tx = c.client.transaction()?;
            let n = tx.execute("DELETE FROM users WHERE handle = $1", &[&canonical])?;
            if n == 0 {
                return Ok(false);
            }
            tx.execute("DELETE FROM stats WHERE handle = $1", &[&canonical])?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// See `Store::add_ban`.
    pub fn add_ban(
        &self,
        name: &str,
        address: Option<&str>,
        expires: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        self.with(|c| {
            let row = c.client.query_one(
                "INSERT INTO bans (name, address, expires, reason, created)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&name, &address, &expires, &reason, &now],
            )?;
            col(&row, 0)
        })
    }

    /// See `Store::active_ban`.
    pub fn active_ban(
        &self,
        name: &str,
        address: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            let stmt = c.prepared(
                "SELECT reason FROM bans
                 WHERE (name = $1 OR (address IS NOT NULL AND address = $2))
                   AND (expires IS NULL OR expires > $3)
                 ORDER BY id LIMIT 1",
            )?;
            c.client
                .query_opt(&stmt, &[&name, &address, &now])?
                .map(|r| col(&r, 0))
                .transpose()
        })
    }

    /// See `Store::remove_bans`.
    pub fn remove_bans(&self, name: &str) -> Result<usize, StoreError> {
        self.with(|c| {
            let n = c
                .client
                .execute("DELETE FROM bans WHERE name = $1", &[&name])?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    /// See `Store::list_bans`.
    pub fn list_bans(&self) -> Result<Vec<BanRecord>, StoreError> {
        self.with(|c| {
            c.client
                .query(
                    "SELECT id, name, address, expires, reason, created FROM bans ORDER BY id",
                    &[],
                )?
                .iter()
                .map(ban_from_row)
                .collect()
        })
    }
}
