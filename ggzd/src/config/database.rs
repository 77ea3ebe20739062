//! `[database]`: which store backend holds users and statistics
//! (docs/config-and-data.md, "Database backends").

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::store::{PgTarget, StoreTarget};

/// Environment variables a PostgreSQL password may come from, in order,
/// when `password_file` is not set.
pub const PASSWORD_ENV: [&str; 2] = ["GGZD_DB_PASSWORD", "PGPASSWORD"];

/// Bytes read at most from `password_file`.
const MAX_PASSWORD_FILE: u64 = 4096;

/// The store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// `<data_dir>/ggzd.sqlite` (the default).
    #[default]
    Sqlite,
    /// A PostgreSQL database (`url`).
    Postgres,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite` or `postgres`.
    pub backend: Backend,
    /// PostgreSQL connection URL or libpq `key=value` words; best without
    /// a password (see `password_file`).
    pub url: String,
    /// A file holding the PostgreSQL password (first line); otherwise
    /// `GGZD_DB_PASSWORD` or `PGPASSWORD`, otherwise the URL's, if any.
    pub password_file: Option<PathBuf>,
}

impl DatabaseConfig {
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.backend == Backend::Postgres {
            if self.url.trim().is_empty() {
                return Err((
                    "database.url",
                    "is required with backend = \"postgres\"".into(),
                ));
            }
            PgTarget::new(&self.url, None).map_err(|e| ("database.url", e.to_string()))?;
        }
        Ok(())
    }

    /// The database to open, reading the password now (file or
    /// environment). `data_dir` is where SQLite's file lives.
    pub fn target(&self, data_dir: &Path) -> Result<StoreTarget, String> {
        match self.backend {
            Backend::Sqlite => Ok(StoreTarget::Sqlite {
                data_dir: data_dir.to_path_buf(),
            }),
            Backend::Postgres => {
                let password = self.password(|name| std::env::var(name).ok())?;
                PgTarget::new(&self.url, password.as_deref())
                    .map(|t| StoreTarget::Postgres(Box::new(t)))
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// The password from `password_file`, else from the first variable of
    /// [`PASSWORD_ENV`] that `env` has.
    fn password(&self, env: impl Fn(&str) -> Option<String>) -> Result<Option<String>, String> {
        if let Some(path) = &self.password_file {
            use std::io::Read;
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(MAX_PASSWORD_FILE).read_to_string(&mut text))
                .map_err(|e| format!("database.password_file {}: {e}", path.display()))?;
            let line = text.lines().next().unwrap_or_default();
            return Ok(Some(line.to_owned()));
        }
        Ok(PASSWORD_ENV.iter().find_map(|name| env(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(url: &str) -> DatabaseConfig {
        DatabaseConfig {
            backend: Backend::Postgres,
            url: url.into(),
            password_file: None,
        }
    }

    #[test]
    fn sqlite_needs_nothing_and_postgres_needs_a_valid_url() {
        assert!(DatabaseConfig::default().check().is_ok());
        assert_eq!(pg("").check().unwrap_err().0, "database.url");
        assert!(pg("postgresql://u@h:x/d").check().is_err());
        assert!(pg("postgresql://ggzd@localhost/ggzd").check().is_ok());
    }

    #[test]
    fn the_password_comes_from_the_file_then_the_environment() {
        let c = pg("postgresql://ggzd@localhost/ggzd");
        let none = |_: &str| None;
        assert_eq!(c.password(none).unwrap(), None);
        let both = |name: &str| Some(format!("from-{name}"));
        assert_eq!(
            c.password(both).unwrap().as_deref(),
            Some("from-GGZD_DB_PASSWORD")
        );
        let pgpass = |name: &str| (name == "PGPASSWORD").then(|| "pgp".to_owned());
        assert_eq!(c.password(pgpass).unwrap().as_deref(), Some("pgp"));

        let file = std::env::temp_dir().join(format!("ggzd-dbpw-{}", std::process::id()));
        std::fs::write(&file, "s3cret\nignored\n").unwrap();
        let with_file = DatabaseConfig {
            password_file: Some(file.clone()),
            ..c.clone()
        };
        assert_eq!(with_file.password(both).unwrap().as_deref(), Some("s3cret"));
        let target = with_file.target(Path::new("/x")).unwrap();
        assert!(!target.shown().contains("s3cret"), "{}", target.shown());
        std::fs::remove_file(&file).unwrap();
        let err = with_file.password(none).unwrap_err();
        assert!(err.contains("database.password_file"), "{err}");
    }

    #[test]
    fn backend_names_parse() {
        let c: DatabaseConfig = toml::from_str(
            "backend = \"postgres\"\nurl = \"postgresql://u@h/d\"\npassword_file = \"/p\"",
        )
        .unwrap();
        assert_eq!(c.backend, Backend::Postgres);
        assert!(toml::from_str::<DatabaseConfig>("backend = \"mysql\"").is_err());
    }
}
