//! `import-ggz`: takes over the `users` table of an original ggzd SQLite
//! database (docs/config-and-data.md §9.1).
//!
//! Each password keeps its original form, wrapped as a `{legacy-...}`
//! stored value ([`ggzd::auth::legacy_stored_form`]); ggzd accepts it once
//! and replaces it with an argon2id hash at the owner's next login.
//!
//! Per row the outcome is one of:
//! * imported, with handle, names, permissions, confirmation and both login
//!   times as they were;
//! * imported *locked* (empty password, nobody can log in) when the row has
//!   no password or one that cannot be a digest of the configured kind -
//!   e.g. set with the original editor, which stored passwords unhashed;
//! * skipped, when the handle exists already (in the target or earlier in
//!   the source): existing accounts are never touched, so re-running an
//!   import is harmless;
//! * rejected, when the row cannot become an account (no handle, a handle
//!   the username policy refuses, a permission word out of range).
//!
//! Every account is inserted in its own short transaction, so a live ggzd
//! is never blocked for long. The source is opened read-only. Optional
//! columns (`name`, `email`, `lastlogin`, `permissions`, `firstlogin`,
//! `confirmed`) may be missing; times may be Unix seconds or SQL
//! timestamps.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use ggzd::auth::legacy_stored_form;
use ggzd::config::{UsernamePolicy, canonical_name, check_username};
use ggzd::store::{CreateOutcome, ImportedUser, Store};
use ggzd::zone::perms as zperms;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::cli::{LegacyEncoding, LegacyHashing};
use super::error::UeditError;
use super::timefmt::parse_utc;

/// A `users` row of the original database, as far as it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalUser {
    /// The handle as stored.
    pub handle: String,
    /// The password column as stored (empty if NULL).
    pub password: String,
    /// Real name.
    pub real_name: String,
    /// Email.
    pub email: String,
    /// Unix seconds; 0 if unknown.
    pub last_login: i64,
    /// Unix seconds; 0 if unknown.
    pub first_login: i64,
    /// Permission word.
    pub permissions: u32,
    /// Confirmation flag.
    pub confirmed: bool,
}

/// One source row: where it was, and what it holds or why it is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    /// The row's `id` (or rowid), for messages.
    pub id: i64,
    /// The row, or why it cannot be read.
    pub user: Result<OriginalUser, String>,
}

/// The optional columns, in the order they are selected after `id`,
/// `handle`, `password`.
const OPTIONAL_COLUMNS: [&str; 6] = [
    "name",
    "email",
    "lastlogin",
    "firstlogin",
    "permissions",
    "confirmed",
];

/// Reads every row of the original `users` table, in id order.
pub fn read_original(path: &Path) -> Result<Vec<SourceRow>, UeditError> {
    if !path.is_file() {
        return Err(UeditError::NotFound(format!(
            "{}: no such database file",
            path.display()
        )));
    }
    let source_err = |e: rusqlite::Error| UeditError::Database(format!("{}: {e}", path.display()));
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(source_err)?;
    let columns = table_columns(&conn).map_err(source_err)?;
    if columns.is_empty() {
        return Err(UeditError::BadInput(format!(
            "{}: no users table; not an original ggzd database",
            path.display()
        )));
    }
    for required in ["handle", "password"] {
        if !columns.contains(required) {
            return Err(UeditError::BadInput(format!(
                "{}: the users table has no {required} column",
                path.display()
            )));
        }
    }
    let id_column = if columns.contains("id") {
        "id"
    } else {
        "rowid"
    };
    let select: Vec<String> = OPTIONAL_COLUMNS
        .iter()
        .map(|&c| {
            if columns.contains(c) {
                format!("\"{c}\"")
            } else {
                "NULL".to_owned()
            }
        })
        .collect();
    let sql = format!(
        "SELECT {id_column}, handle, password, {} FROM users ORDER BY {id_column}",
        select.join(", ")
    );
    let mut stmt = conn.prepare(&sql).map_err(source_err)?;
    let mut rows = stmt.query([]).map_err(source_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(source_err)? {
        let id = match row.get_ref(0).map_err(source_err)? {
            ValueRef::Integer(i) => i,
            _ => i64::try_from(out.len() + 1).unwrap_or(i64::MAX),
        };
        let mut values = Vec::with_capacity(9);
        for i in 1..9 {
            values.push(row.get_ref(i).map_err(source_err)?);
        }
        out.push(SourceRow {
            id,
            user: original_user(&values),
        });
    }
    Ok(out)
}

/// Lower-case names of the columns of `users`; empty if there is no such
/// table.
fn table_columns(conn: &Connection) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('users')")?;
    let names = stmt.query_map([], |row| row.get::<_, String>(0))?;
    names
        .map(|name| name.map(|n| n.to_ascii_lowercase()))
        .collect()
}

/// Builds a row from handle, password and [`OPTIONAL_COLUMNS`].
fn original_user(values: &[ValueRef<'_>]) -> Result<OriginalUser, String> {
    let value = |i: usize| values.get(i).copied().unwrap_or(ValueRef::Null);
    let handle = text(value(0)).map_err(|e| format!("handle {e}"))?;
    if handle.is_empty() {
        return Err("no handle".into());
    }
    let password = text(value(1)).map_err(|e| format!("password {e}"))?;
    let permissions = match value(6) {
        ValueRef::Null => zperms::REGISTERED,
        v => permission_word(v)?,
    };
    Ok(OriginalUser {
        handle,
        password,
        real_name: lossy_text(value(2)),
        email: lossy_text(value(3)),
        last_login: unix_time(value(4)),
        first_login: unix_time(value(5)),
        permissions,
        confirmed: flag(value(7)),
    })
}

/// Text of a column that must be exact (handle, password).
fn text(value: ValueRef<'_>) -> Result<String, String> {
    match value {
        ValueRef::Null => Ok(String::new()),
        ValueRef::Integer(i) => Ok(i.to_string()),
        ValueRef::Real(x) => Ok(x.to_string()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            String::from_utf8(bytes.to_vec()).map_err(|_| "is not valid UTF-8".to_owned())
        }
    }
}

/// Text of an informational column; bad bytes become U+FFFD.
fn lossy_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        other => text(other).unwrap_or_default(),
    }
}

/// Unix seconds from an integer, a float, numeric text or an SQL
/// timestamp; 0 ("never") for anything else.
fn unix_time(value: ValueRef<'_>) -> i64 {
    match value {
        ValueRef::Integer(i) => i,
        // Saturating float-to-int conversion; NaN becomes 0.
        ValueRef::Real(x) => x as i64,
        ValueRef::Text(bytes) => {
            let s = String::from_utf8_lossy(bytes);
            s.trim()
                .parse::<i64>()
                .ok()
                .or_else(|| parse_utc(&s))
                .unwrap_or(0)
        }
        ValueRef::Null | ValueRef::Blob(_) => 0,
    }
}

fn permission_word(value: ValueRef<'_>) -> Result<u32, String> {
    let number = match value {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes).trim().parse().ok(),
        _ => None,
    };
    number
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| "permissions are not a permission word".to_owned())
}

/// The confirmed column: integers, and the spellings PostgreSQL and MySQL
/// dumps use for booleans. Missing or unreadable means confirmed, as
/// under the default registration policy.
fn flag(value: ValueRef<'_>) -> bool {
    match value {
        ValueRef::Integer(i) => i != 0,
        ValueRef::Real(x) => x != 0.0,
        ValueRef::Text(bytes) => !matches!(
            String::from_utf8_lossy(bytes)
                .trim()
                .to_ascii_lowercase()
                .as_str(),
            "0" | "f" | "false" | "n" | "no"
        ),
        ValueRef::Null | ValueRef::Blob(_) => true,
    }
}

/// An account ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// Canonical handle.
    pub handle: String,
    /// Stored password form; empty = locked.
    pub password: String,
    /// Why the account is locked, if it is.
    pub locked_because: Option<String>,
    /// The rest of the row.
    pub user: OriginalUser,
}

/// Turns an original row into an account: canonical handle checked
/// against the username policy, password in its legacy stored form.
pub fn convert(
    user: OriginalUser,
    hashing: LegacyHashing,
    encoding: LegacyEncoding,
    policy: &UsernamePolicy,
) -> Result<Converted, String> {
    check_username(policy, &user.handle)
        .map_err(|e| format!("the username policy refuses the handle: {e}"))?;
    let handle = canonical_name(&user.handle);
    let (password, locked_because) = if user.password.is_empty() {
        (String::new(), Some("no password".to_owned()))
    } else {
        match legacy_stored_form(hashing.name(), encoding.name(), &user.password) {
            Ok(stored) => (stored, None),
            Err(e) => (String::new(), Some(e.to_string())),
        }
    };
    Ok(Converted {
        handle,
        password,
        locked_because,
        user,
    })
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows read from the source.
    pub rows: usize,
    /// Accounts created (including locked ones).
    pub imported: usize,
    /// Of those, accounts without a usable password.
    pub locked: usize,
    /// Rows whose handle exists already.
    pub skipped: usize,
    /// Rows that could not become accounts.
    pub rejected: usize,
}

/// Options of one import run.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions<'a> {
    /// The original `DatabaseHashing`.
    pub hashing: LegacyHashing,
    /// The original `DatabaseHashEncoding`.
    pub encoding: LegacyEncoding,
    /// Report only; write nothing.
    pub dry_run: bool,
    /// The username policy the handles must satisfy.
    pub policy: &'a UsernamePolicy,
}

/// Imports `rows` into `store` (`None`: there is no target database yet,
/// only possible in a dry run), reporting one line per row and a summary.
pub fn import(
    rows: Vec<SourceRow>,
    mut store: Option<&mut Store>,
    options: &ImportOptions<'_>,
    out: &mut dyn Write,
) -> Result<Summary, UeditError> {
    let mut summary = Summary {
        rows: rows.len(),
        ..Summary::default()
    };
    let verb = if options.dry_run {
        "would import"
    } else {
        "imported"
    };
    let mut seen = HashSet::new();
    for row in rows {
        let converted = row
            .user
            .and_then(|user| convert(user, options.hashing, options.encoding, options.policy));
        let account = match converted {
            Ok(account) => account,
            Err(reason) => {
                summary.rejected += 1;
                writeln!(out, "rejected row {}: {reason}", row.id)?;
                continue;
            }
        };
        let handle = account.handle.clone();
        if !seen.insert(handle.clone()) {
            summary.skipped += 1;
            writeln!(out, "skipped {handle}: appears earlier in the source")?;
            continue;
        }
        let created = match store.as_deref_mut() {
            None => true,
            Some(store) if options.dry_run => !store.user_exists(&handle)?,
            Some(store) => {
                let user = &account.user;
                let outcome = store.import_user(&ImportedUser {
                    handle: &handle,
                    password: &account.password,
                    email: &user.email,
                    real_name: &user.real_name,
                    permissions: user.permissions,
                    confirmed: user.confirmed,
                    first_login: user.first_login,
                    last_login: user.last_login,
                })?;
                matches!(outcome, CreateOutcome::Created(_))
            }
        };
        if !created {
            summary.skipped += 1;
            writeln!(out, "skipped {handle}: exists already")?;
            continue;
        }
        summary.imported += 1;
        match &account.locked_because {
            None => writeln!(out, "{verb} {handle}")?,
            Some(reason) => {
                summary.locked += 1;
                writeln!(
                    out,
                    "{verb} {handle} without a usable password ({reason}); \
                     give it one with: ggzduedit passwd {handle}"
                )?;
            }
        }
    }
    writeln!(
        out,
        "{verb} {} of {} rows ({} without a usable password), skipped {} existing, rejected {}{}",
        summary.imported,
        summary.rows,
        summary.locked,
        summary.skipped,
        summary.rejected,
        if options.dry_run {
            "; dry run, nothing written"
        } else {
            ""
        }
    )?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggzd::auth::{HashParams, Verdict, verify_password};
    use std::path::PathBuf;

    /// A scratch file path, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(tag: &str) -> TempFile {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "ggzduedit-{tag}-{}-{}.sqlite",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_file(&path);
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// The original SQLite backend's users table (docs/config-and-data.md §9.1).
    const ORIGINAL_SCHEMA: &str = "CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT, handle TEXT NOT NULL,
        password TEXT, name TEXT, email TEXT, lastlogin INTEGER,
        permissions INTEGER, firstlogin INTEGER, confirmed INTEGER)";

    fn original_db(tag: &str, schema: &str, rows: &[&str]) -> TempFile {
        let file = TempFile::new(tag);
        let conn = Connection::open(&file.0).unwrap();
        conn.execute_batch(schema).unwrap();
        for row in rows {
            conn.execute_batch(row).unwrap();
        }
        file
    }

    fn cheap() -> HashParams {
        HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn options(
        hashing: LegacyHashing,
        dry_run: bool,
        policy: &UsernamePolicy,
    ) -> ImportOptions<'_> {
        ImportOptions {
            hashing,
            encoding: LegacyEncoding::Base64,
            dry_run,
            policy,
        }
    }

    #[test]
    fn imports_md5_base64_accounts_that_then_verify() {
        // md5("secret") in base64, and md5("pw18") with the NUL quirk.
        let db = original_db(
            "md5",
            ORIGINAL_SCHEMA,
            &[
                "INSERT INTO users VALUES (1, 'alice', 'Xr4ilOzQ4PCOq3aQ0qbuaQ==', 'Alice', \
                 'a@example.org', 1700000000, 391, 1600000000, 1)",
                "INSERT INTO users VALUES (2, 'quirky', '1QAAAAAAAAAAAAAAAAAAAA==', '', '', \
                 0, 7, 0, 0)",
            ],
        );
        let rows = read_original(&db.0).unwrap();
        assert_eq!(rows.len(), 2);
        let policy = UsernamePolicy::default();
        let mut store = Store::open_in_memory().unwrap();
        let mut out = Vec::new();
        let summary = import(
            rows,
            Some(&mut store),
            &options(LegacyHashing::Md5, false, &policy),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            summary,
            Summary {
                rows: 2,
                imported: 2,
                ..Summary::default()
            }
        );
        let alice = store.user("alice").unwrap().unwrap();
        assert_eq!(
            alice.password,
            "{legacy-md5-base64}Xr4ilOzQ4PCOq3aQ0qbuaQ=="
        );
        assert_eq!(
            verify_password(&alice.password, "secret", &cheap()),
            Verdict::Match { needs_rehash: true }
        );
        assert_eq!(
            (
                alice.real_name.as_str(),
                alice.email.as_str(),
                alice.permissions
            ),
            ("Alice", "a@example.org", 0x187)
        );
        assert_eq!(
            (alice.first_login, alice.last_login),
            (1_600_000_000, 1_700_000_000)
        );
        let quirky = store.user("quirky").unwrap().unwrap();
        assert!(!quirky.confirmed);
        assert_eq!(
            verify_password(&quirky.password, "pw18", &cheap()),
            Verdict::Match { needs_rehash: true }
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(
            "imported 2 of 2 rows (0 without a usable password), skipped 0 existing, rejected 0\n"
        ), "{text}");
    }

    #[test]
    fn sha1_base16_and_plain() {
        // sha1("secret") in hex.
        let db = original_db(
            "sha1",
            ORIGINAL_SCHEMA,
            &[
                "INSERT INTO users VALUES (1, 'bob', 'e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4', \
               '', '', 0, 7, 0, 1)",
            ],
        );
        let policy = UsernamePolicy::default();
        let mut store = Store::open_in_memory().unwrap();
        let opts = ImportOptions {
            encoding: LegacyEncoding::Base16,
            ..options(LegacyHashing::Sha1, false, &policy)
        };
        import(
            read_original(&db.0).unwrap(),
            Some(&mut store),
            &opts,
            &mut Vec::new(),
        )
        .unwrap();
        let bob = store.user("bob").unwrap().unwrap();
        assert_eq!(
            verify_password(&bob.password, "secret", &cheap()),
            Verdict::Match { needs_rehash: true }
        );

        let user = OriginalUser {
            handle: "Carol".into(),
            password: "hunter2".into(),
            real_name: String::new(),
            email: String::new(),
            last_login: 0,
            first_login: 0,
            permissions: 7,
            confirmed: true,
        };
        let converted =
            convert(user, LegacyHashing::Plain, LegacyEncoding::Base16, &policy).unwrap();
        assert_eq!(converted.handle, "carol");
        assert_eq!(converted.password, "{legacy-plain}hunter2");
        assert_eq!(converted.locked_because, None);
    }

    #[test]
    fn skips_existing_locks_unusable_and_rejects_bad_rows() {
        let db = original_db(
            "mixed",
            ORIGINAL_SCHEMA,
            &[
                "INSERT INTO users VALUES (1, 'taken', 'Xr4ilOzQ4PCOq3aQ0qbuaQ==', '', '', 0, 7, 0, 1)",
                // Stored as typed by the original editor: not a digest.
                "INSERT INTO users VALUES (2, 'typed', 'hunter2', '', '', 0, 7, 0, 1)",
                "INSERT INTO users VALUES (3, 'has space', 'Xr4ilOzQ4PCOq3aQ0qbuaQ==', '', '', 0, 7, 0, 1)",
                "INSERT INTO users VALUES (4, 'negative', 'Xr4ilOzQ4PCOq3aQ0qbuaQ==', '', '', 0, -1, 0, 1)",
                "INSERT INTO users VALUES (5, 'TYPED', 'Xr4ilOzQ4PCOq3aQ0qbuaQ==', '', '', 0, 7, 0, 1)",
                "INSERT INTO users VALUES (6, 'bot', NULL, '', '', 0, 39, 0, 1)",
                "INSERT INTO users VALUES (7, '', 'x', '', '', 0, 7, 0, 1)",
            ],
        );
        let policy = UsernamePolicy::default();
        let mut store = Store::open_in_memory().unwrap();
        store
            .import_user(&ImportedUser {
                handle: "taken",
                password: "$argon2id$keep",
                email: "",
                real_name: "",
                permissions: 7,
                confirmed: true,
                first_login: 0,
                last_login: 0,
            })
            .unwrap();

        // A dry run reports the same and writes nothing.
        let mut out = Vec::new();
        let dry = import(
            read_original(&db.0).unwrap(),
            Some(&mut store),
            &options(LegacyHashing::Md5, true, &policy),
            &mut out,
        )
        .unwrap();
        assert!(store.user("typed").unwrap().is_none());
        let dry_text = String::from_utf8(out).unwrap();
        assert!(
            dry_text.contains("would import typed without a usable password"),
            "{dry_text}"
        );
        assert!(dry_text.ends_with("dry run, nothing written\n"));

        let mut out = Vec::new();
        let summary = import(
            read_original(&db.0).unwrap(),
            Some(&mut store),
            &options(LegacyHashing::Md5, false, &policy),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            summary,
            Summary {
                rows: 7,
                imported: 2,
                locked: 2,
                skipped: 2,
                rejected: 3,
            },
            "{text}"
        );
        assert_eq!(dry, summary);
        assert!(text.contains("skipped taken: exists already"), "{text}");
        assert!(
            text.contains("skipped typed: appears earlier in the source"),
            "{text}"
        );
        assert!(
            text.contains("rejected row 3: the username policy refuses"),
            "{text}"
        );
        assert!(text.contains("rejected row 4: permissions"), "{text}");
        assert!(text.contains("rejected row 7: no handle"), "{text}");
        assert_eq!(
            store.user("taken").unwrap().unwrap().password,
            "$argon2id$keep"
        );
        let typed = store.user("typed").unwrap().unwrap();
        assert_eq!(typed.password, "", "locked, not plain");
        let bot = store.user("bot").unwrap().unwrap();
        assert_eq!((bot.password.as_str(), bot.permissions), ("", 0x27));
    }

    #[test]
    fn tolerates_missing_optional_columns_and_odd_types() {
        let db = original_db(
            "minimal",
            "CREATE TABLE users (handle TEXT, password TEXT, lastlogin TEXT, confirmed TEXT)",
            &[
                "INSERT INTO users VALUES ('Old', 'pw', '2023-11-14 22:13:20', 'f')",
                "INSERT INTO users VALUES ('new', 'pw', '1700000000', 't')",
            ],
        );
        let rows = read_original(&db.0).unwrap();
        let users: Vec<OriginalUser> = rows.into_iter().map(|r| r.user.unwrap()).collect();
        assert_eq!(users[0].handle, "Old");
        assert_eq!(users[0].last_login, 1_700_000_000);
        assert!(!users[0].confirmed);
        assert_eq!(users[0].permissions, 7, "the column default");
        assert_eq!(users[1].last_login, 1_700_000_000);
        assert!(users[1].confirmed);
        assert_eq!((users[1].first_login, users[1].email.as_str()), (0, ""));
    }

    #[test]
    fn refuses_sources_that_are_not_ggzd_databases() {
        assert!(matches!(
            read_original(Path::new("/nonexistent/ggzd.sqlite")),
            Err(UeditError::NotFound(_))
        ));
        let no_users = original_db("nousers", "CREATE TABLE stats (x)", &[]);
        assert!(matches!(
            read_original(&no_users.0),
            Err(UeditError::BadInput(_))
        ));
        let no_password = original_db("nopw", "CREATE TABLE users (handle TEXT)", &[]);
        assert!(matches!(
            read_original(&no_password.0),
            Err(UeditError::BadInput(_))
        ));
        let garbage = TempFile::new("garbage");
        std::fs::write(&garbage.0, vec![b'x'; 4096]).unwrap();
        assert!(matches!(
            read_original(&garbage.0),
            Err(UeditError::Database(_))
        ));
    }

    #[test]
    fn dry_run_without_a_target_database() {
        let db = original_db(
            "notarget",
            ORIGINAL_SCHEMA,
            &["INSERT INTO users VALUES (1, 'alice', 'pw', '', '', 0, 7, 0, 1)"],
        );
        let policy = UsernamePolicy::default();
        let mut out = Vec::new();
        let summary = import(
            read_original(&db.0).unwrap(),
            None,
            &options(LegacyHashing::Plain, true, &policy),
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.imported, 1);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .starts_with("would import alice\n")
        );
    }
}
