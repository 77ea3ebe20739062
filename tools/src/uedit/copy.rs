//! `ggzduedit copy-to-postgres`: an SQLite store copied whole into an
//! empty PostgreSQL database (docs/config-and-data.md, "Database backends").

use std::io::Write;
use std::path::Path;

use ggzd::config::Config;
use ggzd::config::database::{Backend, DatabaseConfig};
use ggzd::store::{Store, StoreTarget};

use super::error::UeditError;

/// Reads everything from `source` and writes it into the PostgreSQL
/// database `url` (default: the configured one), in one transaction
/// there; reports what was copied on `out`.
pub fn copy_to_postgres(
    mut source: Store,
    config: &Config,
    data_dir: &Path,
    url: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), UeditError> {
    let settings = match url {
        Some(url) => DatabaseConfig {
            backend: Backend::Postgres,
            url: url.to_owned(),
            password_file: config.database.password_file.clone(),
        },
        None if config.database.backend == Backend::Postgres => config.database.clone(),
        None => {
            return Err(UeditError::Usage(
                "no target: give a URL, or set [database] backend = \"postgres\" and url".into(),
            ));
        }
    };
    let target = settings.target(data_dir).map_err(UeditError::Database)?;
    let shown = target.shown();
    if !matches!(target, StoreTarget::Postgres(_)) {
        return Err(UeditError::Usage("the target must be PostgreSQL".into()));
    }
    let dump = source.dump()?;
    let mut dest = Store::connect(&target)?;
    dest.load(&dump)?;
    writeln!(out, "copied {} into {shown}", dump.summary())
        .map_err(|e| UeditError::Io("output".into(), e))?;
    Ok(())
}
