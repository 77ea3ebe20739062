//! The cluster's registry in PostgreSQL (docs/cluster.md §2): the nodes
//! with their heartbeats, and one claim per logged-in name. These tables
//! hold live state only (nothing in them outlives the nodes that wrote
//! it), so they are created where they are used rather than by a schema
//! migration, and a version of ggzd without clusters never sees them.
//!
//! Ages are measured with the database's clock, so the nodes' clocks need
//! not agree. `NOTIFY ggzd_cluster` rings only when a node joins or
//! leaves: a doorbell, never a carrier of traffic.

use std::time::Duration;

use postgres::Client;

use super::{LOCK_NAMESPACE, PgStore, col};
use crate::cluster::membership::NodeRow;
use crate::store::StoreError;

/// The channel of the doorbell.
pub const CHANNEL: &str = "ggzd_cluster";

/// Advisory lock key (with `LOCK_NAMESPACE`) held while creating the tables.
const LOCK_TABLES: i32 = 3;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS cluster_nodes (
    name        TEXT PRIMARY KEY,
    incarnation BIGINT NOT NULL,
    address     TEXT NOT NULL,
    started     TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS cluster_logins (
    name        TEXT PRIMARY KEY,
    node        TEXT NOT NULL,
    incarnation BIGINT NOT NULL,
    token       BIGINT NOT NULL,
    since       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cluster_logins_node ON cluster_logins (node);
";

/// Incarnations are start times in microseconds: they fit a BIGINT for
/// the next 290,000 years, and a stored one that does not is not ours.
fn db_incarnation(incarnation: u64) -> i64 {
    i64::try_from(incarnation).unwrap_or(i64::MAX)
}

/// Creates the tables if needed (several nodes may start at once: the
/// advisory lock keeps their `CREATE`s apart).
pub fn ensure_tables(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_NAMESPACE, &LOCK_TABLES],
    )?;
    tx.batch_execute(TABLES)?;
    tx.commit()?;
    Ok(())
}

/// A node starts: the claims of its earlier lives go, its row says it
/// lives again, and the others hear the doorbell.
pub fn join(
    client: &mut Client,
    node: &str,
    incarnation: u64,
    address: &str,
) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("DELETE FROM cluster_logins WHERE node = $1", &[&node])?;
    tx.execute(
        "INSERT INTO cluster_nodes (name, incarnation, address) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET incarnation = EXCLUDED.incarnation, \
         address = EXCLUDED.address, started = now(), heartbeat = now()",
        &[&node, &db_incarnation(incarnation), &address],
    )?;
    tx.batch_execute(&format!("NOTIFY {CHANNEL}"))?;
    tx.commit()?;
    Ok(())
}

/// This node is alive. False when its row had been deleted (another node
/// took it for dead): it is written again, and the doorbell rings.
pub fn heartbeat(
    client: &mut Client,
    node: &str,
    incarnation: u64,
    address: &str,
) -> Result<bool, StoreError> {
    let updated = client.execute(
        "UPDATE cluster_nodes SET heartbeat = now() WHERE name = $1 AND incarnation = $2",
        &[&node, &db_incarnation(incarnation)],
    )?;
    if updated > 0 {
        return Ok(true);
    }
    join_keeping_claims(client, node, incarnation, address)?;
    Ok(false)
}

fn join_keeping_claims(
    client: &mut Client,
    node: &str,
    incarnation: u64,
    address: &str,
) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute(
        "INSERT INTO cluster_nodes (name, incarnation, address) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET incarnation = EXCLUDED.incarnation, \
         address = EXCLUDED.address, heartbeat = now()",
        &[&node, &db_incarnation(incarnation), &address],
    )?;
    tx.batch_execute(&format!("NOTIFY {CHANNEL}"))?;
    tx.commit()?;
    Ok(())
}

/// Every node of the registry, with its heartbeat's age.
pub fn nodes(client: &mut Client) -> Result<Vec<NodeRow>, StoreError> {
    let rows = client.query(
        "SELECT name, incarnation, address, \
         GREATEST(EXTRACT(EPOCH FROM (now() - heartbeat)), 0)::float8 FROM cluster_nodes",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            let incarnation: i64 = col(row, 1)?;
            let age: f64 = col(row, 3)?;
            Ok(NodeRow {
                name: col(row, 0)?,
                incarnation: u64::try_from(incarnation).unwrap_or(0),
                address: col(row, 2)?,
                age: Duration::try_from_secs_f64(age).unwrap_or(Duration::MAX),
            })
        })
        .collect()
}

/// That incarnation of a node is dead (or this node stops): its row and
/// its claims go, and the doorbell rings. Harmless when another node did
/// it first.
pub fn forget(client: &mut Client, node: &str, incarnation: u64) -> Result<(), StoreError> {
    let inc = db_incarnation(incarnation);
    let mut tx = client.transaction()?;
    tx.execute(
        "DELETE FROM cluster_nodes WHERE name = $1 AND incarnation = $2",
        &[&node, &inc],
    )?;
    let freed = tx.execute(
        "DELETE FROM cluster_logins WHERE node = $1 AND incarnation = $2",
        &[&node, &inc],
    )?;
    tx.batch_execute(&format!("NOTIFY {CHANNEL}"))?;
    tx.commit()?;
    if freed > 0 {
        log::info!(target: "connections", "freed {freed} name(s) of node {node}");
    }
    Ok(())
}

impl PgStore {
    /// Claims `name` for a login on `node`. A claim of the same node is
    /// taken over (that node checked its own players first); another
    /// node's claim refuses the login.
    pub fn claim_name(
        &self,
        name: &str,
        node: &str,
        incarnation: u64,
        token: i64,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let stmt = c.prepared(
                "INSERT INTO cluster_logins (name, node, incarnation, token) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                 incarnation = EXCLUDED.incarnation, token = EXCLUDED.token, since = now() \
                 WHERE cluster_logins.node = EXCLUDED.node RETURNING 1",
            )?;
            Ok(c.client
                .query_opt(&stmt, &[&name, &node, &db_incarnation(incarnation), &token])?
                .is_some())
        })
    }

    /// Frees the claim `token` of a login that ended.
    pub fn release_name(&self, name: &str, node: &str, token: i64) -> Result<(), StoreError> {
        self.with(|c| {
            let stmt = c.prepared(
                "DELETE FROM cluster_logins WHERE name = $1 AND node = $2 AND token = $3",
            )?;
            c.client.execute(&stmt, &[&name, &node, &token])?;
            Ok(())
        })
    }
}

/// A connection of its own for the registry thread or the doorbell: the
/// workers' connections stay theirs.
pub fn connect(target: &super::PgTarget) -> Result<Client, StoreError> {
    target
        .config
        .connect(postgres::NoTls)
        .map_err(|e| StoreError::Unavailable(format!("cannot connect to {}: {e}", target.shown())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreTarget};
    use crate::zone::cluster::NameClaim;

    fn claim(node: &str, incarnation: u64, token: i64) -> NameClaim {
        NameClaim {
            node: node.into(),
            incarnation,
            token,
        }
    }

    #[test]
    fn the_registry_keeps_nodes_and_one_claim_per_name() {
        let url = ggzd_pgtest::fresh_database("cluster_registry");
        let target = super::super::PgTarget::new(&url, None).unwrap();
        let mut c = connect(&target).unwrap();
        ensure_tables(&mut c).unwrap();
        ensure_tables(&mut c).unwrap();
        join(&mut c, "a", 1, "127.0.0.1:1").unwrap();
        join(&mut c, "b", 2, "127.0.0.1:2").unwrap();
        let mut rows = nodes(&mut c).unwrap();
        rows.sort_by(|x, y| x.name.cmp(&y.name));
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].name.as_str(), rows[1].incarnation), ("b", 2));
        assert_eq!(rows[1].address, "127.0.0.1:2");
        assert!(rows[0].age < Duration::from_secs(60));
        assert!(heartbeat(&mut c, "a", 1, "127.0.0.1:1").unwrap());

        let store = Store::connect(&StoreTarget::Postgres(Box::new(target.clone()))).unwrap();
        assert!(store.claim_name("x", &claim("a", 1, 1)).unwrap());
        assert!(!store.claim_name("x", &claim("b", 2, 1)).unwrap());
        // The same node takes its own claim over (a relogin after a
        // logout whose release is still on its way).
        assert!(store.claim_name("x", &claim("a", 1, 2)).unwrap());
        store.release_name("x", "a", 1).unwrap();
        assert!(
            !store.claim_name("x", &claim("b", 2, 1)).unwrap(),
            "a stale release frees nothing"
        );
        store.release_name("x", "a", 2).unwrap();
        assert!(store.claim_name("x", &claim("b", 2, 1)).unwrap());

        // b dies: whoever notices frees its row and names.
        forget(&mut c, "b", 2).unwrap();
        forget(&mut c, "b", 2).unwrap();
        assert_eq!(nodes(&mut c).unwrap().len(), 1);
        assert!(store.claim_name("x", &claim("a", 1, 3)).unwrap());
        // a starts again: the claims of its former life go.
        join(&mut c, "a", 5, "127.0.0.1:1").unwrap();
        assert!(store.claim_name("x", &claim("c", 9, 1)).unwrap());
        // A node taken for dead that beats again is back in the registry.
        assert!(!heartbeat(&mut c, "b", 2, "127.0.0.1:2").unwrap());
        assert_eq!(nodes(&mut c).unwrap().len(), 2);
    }
}
