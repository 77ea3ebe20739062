//! What only the SQLite backend does: files, modes, WAL, busy waits.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rusqlite::TransactionBehavior;

use std::io;
use std::path::{Path, PathBuf};

use super::new_user;
use crate::store::*;

/// A fresh directory under the system temp dir, removed on drop.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "ggzd-store-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn open_creates_private_dir_and_file_in_wal_mode() {
    let tmp = TempDir::new("open");
    let dir = tmp.0.join("nested").join("data");
    let mut store = Store::open(&dir).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(DB_FILE)), 0o600);
    let jm: String = store
        .sqlite_conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(jm, "wal");
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    // Reopening an up-to-date database keeps the data.
    let mut store = Store::open(&dir).unwrap();
    assert!(matches!(
        store.create_user(&new_user("bob")).unwrap(),
        CreateOutcome::Created(_)
    ));
    drop(store);
    let store = Store::open(&dir).unwrap();
    assert!(store.user_exists("bob").unwrap());
}

#[test]
fn newer_schema_is_refused() {
    let tmp = TempDir::new("newer");
    let mut store = Store::open(&tmp.0).unwrap();
    store
        .sqlite_conn()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let err = Store::open(&tmp.0).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, known } if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("newer"));
}

#[test]
fn open_reports_unusable_path() {
    let tmp = TempDir::new("badpath");
    std::fs::create_dir_all(&tmp.0).unwrap();
    let file = tmp.0.join("plain-file");
    std::fs::write(&file, "not a database\n".repeat(64)).unwrap();
    // A data "directory" that is a file.
    let err = Store::open(&file).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert!(err.to_string().contains("plain-file"));
    // A database "file" that is not SQLite.
    let err = Store::open_file(&file).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite(_)), "{err}");
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let tmp = TempDir::new("race");
    std::fs::create_dir_all(&tmp.0).unwrap();
    let path = tmp.0.join(DB_FILE);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = Store::open_file(&path).unwrap();
                let name = format!("user{i}");
                s.create_user(&new_user(&name)).unwrap()
            })
        })
        .collect();
    for h in handles {
        assert!(matches!(h.join().unwrap(), CreateOutcome::Created(_)));
    }
    let s = Store::open_file(&path).unwrap();
    assert_eq!(s.list_users(None).unwrap().len(), 4);
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn writer_waits_for_another_connections_transaction() {
    let tmp = TempDir::new("busy");
    let mut holder = Store::open(&tmp.0).unwrap();
    let mut other = Store::open(&tmp.0).unwrap();
    let (tx_ready, rx_ready) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        let tx = holder
            .sqlite_conn()
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "INSERT INTO users (handle, password) VALUES ('early', '')",
            [],
        )
        .unwrap();
        tx_ready.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        tx.commit().unwrap();
    });
    rx_ready.recv().unwrap();
    // Blocks on the lock until the other transaction commits, then succeeds.
    assert!(matches!(
        other.create_user(&new_user("late")).unwrap(),
        CreateOutcome::Created(_)
    ));
    t.join().unwrap();
    // Readers are never blocked by a writer in WAL mode.
    assert!(other.user_exists("early").unwrap());
}

#[test]
fn errors_display_usefully() {
    let e = StoreError::Corrupt("x".into());
    assert_eq!(e.to_string(), "database is damaged: x");
    let e = StoreError::Io {
        path: "/nope".into(),
        source: io::Error::from(io::ErrorKind::PermissionDenied),
    };
    assert!(e.to_string().starts_with("/nope: "));
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn store_can_move_to_a_worker_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
    assert_send::<StoreError>();
}
