//! Registered, rated players for the `queue` scenario, written by
//! `write-config` straight into the SQLite database of the configuration
//! it writes, before ggzd runs.
//!
//! Every account gets the same stored password value, hashed once with
//! the server's costs: one argon2 hash for all of them instead of one
//! registration each, and no rehash at their first login (a value with
//! other costs would be replaced at full cost then). Each gets a stats row
//! for the rated game with its rating from [`ratings::spread`]; running
//! `write-config` again puts the seeded ratings back.

use std::path::Path;

use ggzd::auth::{HashParams, hash_password};
use ggzd::config::canonical_name;
use ggzd::store::{CreateOutcome, DB_FILE, NewUser, Store};
use ggzd::zone::perms;

use super::ratings;

/// The accounts to write.
#[derive(Debug, Clone)]
pub struct Accounts<'a> {
    /// Names, in order; account i gets rating i of the spread.
    pub names: &'a [String],
    pub password: &'a str,
    /// The untranslated name of the game whose ratings are seeded.
    pub game: &'a str,
    /// Seed of the spread's shuffle.
    pub seed: u64,
    /// The server's `[auth]` costs.
    pub hash: HashParams,
}

/// What [`write`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    /// Accounts created (the others existed).
    pub created: usize,
    /// Stats rows written (all of them).
    pub rated: usize,
}

fn err(what: &str, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("seeding the bench accounts: {what}: {e}"))
}

/// Creates the accounts missing in the database of `data_dir` (creating
/// the database if need be) and sets every account's stats row for
/// `a.game` to zero games and its seeded rating.
pub fn write(data_dir: &Path, a: &Accounts<'_>) -> std::io::Result<Seeded> {
    let mut store = Store::open(data_dir).map_err(|e| err("opening the database", e))?;
    let stored = hash_password(a.password, &a.hash).map_err(|e| err("hashing", e))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let handles: Vec<String> = a.names.iter().map(|n| canonical_name(n)).collect();
    let mut created = 0;
    for handle in &handles {
        let outcome = store
            .create_user(&NewUser {
                handle,
                password: &stored,
                email: "",
                real_name: "",
                permissions: perms::REGISTERED,
                confirmed: true,
                now,
            })
            .map_err(|e| err("creating an account", e))?;
        if matches!(outcome, CreateOutcome::Created(_)) {
            created += 1;
        }
    }
    drop(store);
    // The store has no call that sets a rating (only game reports change
    // one, docs/config-and-data.md §10.2): the rows go in by SQL, in the
    // schema the store just created or migrated.
    let mut conn =
        rusqlite::Connection::open(data_dir.join(DB_FILE)).map_err(|e| err("opening", e))?;
    let tx = conn.transaction().map_err(|e| err("a transaction", e))?;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO stats (handle, game, wins, losses, ties, forfeits, rating, ranking, highscore)
                 VALUES (?1, ?2, 0, 0, 0, 0, ?3, 0, 0)
                 ON CONFLICT (handle, game) DO UPDATE SET wins = 0, losses = 0, ties = 0,
                   forfeits = 0, rating = excluded.rating, ranking = 0, highscore = 0",
            )
            .map_err(|e| err("preparing", e))?;
        for (handle, rating) in handles.iter().zip(ratings::spread(handles.len(), a.seed)) {
            insert
                .execute(rusqlite::params![handle, a.game, rating])
                .map_err(|e| err("writing a stats row", e))?;
        }
    }
    tx.commit().map_err(|e| err("committing", e))?;
    Ok(Seeded {
        created,
        rated: handles.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_log_in_and_carry_their_ratings() {
        let dir = std::env::temp_dir().join(format!("ggzd-bench-seed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let names: Vec<String> = (0..5).map(|i| format!("P{i:05}")).collect();
        let accounts = Accounts {
            names: &names,
            password: "pw",
            game: "TicTacToe (rated)",
            seed: 3,
            hash: HashParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
        };
        let done = write(&dir, &accounts).unwrap();
        assert_eq!(
            done,
            Seeded {
                created: 5,
                rated: 5
            }
        );
        let expected = ratings::spread(5, 3);
        let check = |store: &Store| {
            for (i, name) in names.iter().enumerate() {
                let handle = canonical_name(name);
                let user = store.user(&handle).unwrap().expect("an account");
                assert_eq!(user.permissions, perms::REGISTERED);
                let verdict = ggzd::auth::verify_password(&user.password, "pw", &accounts.hash);
                assert_eq!(
                    verdict,
                    ggzd::auth::Verdict::Match {
                        needs_rehash: false
                    }
                );
                let stats = store.player_stats(&handle, accounts.game).unwrap();
                assert_eq!(stats.rating, expected[i]);
                assert_eq!(stats.wins, 0);
            }
        };
        check(&Store::open(&dir).unwrap());
        // Again over the same database: nothing new, the ratings back.
        {
            let mut conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
            conn.execute("UPDATE stats SET rating = 1, wins = 4", [])
                .unwrap();
            drop(conn.transaction().unwrap());
        }
        let again = write(&dir, &accounts).unwrap();
        assert_eq!(
            again,
            Seeded {
                created: 0,
                rated: 5
            }
        );
        check(&Store::open(&dir).unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
