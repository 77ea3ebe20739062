//! The store backend of the servers the harness starts: SQLite (each
//! server's own data directory) unless `GGZD_TEST_STORE=postgres`, when
//! each data directory gets a fresh database in this test process's
//! throwaway PostgreSQL cluster (`ggzd-pgtest`). A server started again on
//! the same data directory finds the same database, as it would find the
//! same SQLite file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Whether the servers of this run use PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("GGZD_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// The `[database]` section for a server on `data_dir`: empty for SQLite,
/// or when the test's own configuration has one (`extra`).
pub fn database_section(data_dir: &Path, extra: &str) -> String {
    if !on_postgres() || extra.contains("[database]") {
        return String::new();
    }
    static DATABASES: Mutex<Option<HashMap<PathBuf, String>>> = Mutex::new(None);
    let mut map = DATABASES.lock().unwrap_or_else(|e| e.into_inner());
    let url = map
        .get_or_insert_with(HashMap::new)
        .entry(data_dir.to_path_buf())
        .or_insert_with(|| ggzd_pgtest::fresh_database("e2e"))
        .clone();
    format!("[database]\nbackend = \"postgres\"\nurl = \"{url}\"\n")
}
