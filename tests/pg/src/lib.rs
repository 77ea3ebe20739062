//! A throwaway PostgreSQL cluster for tests: one per test process, started
//! on first use in a temp directory, listening on a unix socket only (no
//! TCP port at all), with trust authentication for the one superuser
//! `ggzd`. Each test takes a fresh database with [`Cluster::fresh_database`].
//!
//! PostgreSQL refuses to run as root; as root (CI) the cluster runs as
//! `nobody` via `runuser`, in a directory handed to that user.
//!
//! Nothing is left behind: the cluster is started and later stopped by a
//! small watchdog shell whose stdin is a pipe from the test process. Test
//! binaries end with `exit`, which runs no destructors, so the watchdog
//! waits for that pipe to close instead — whatever way the process ends,
//! even SIGKILL — then stops PostgreSQL and removes the directory. It
//! ignores SIGINT/SIGTERM/SIGHUP so a Ctrl-C on `cargo test` cannot kill it
//! before it has cleaned up.
//!
//! [`Cluster::stop`] and [`Cluster::restart`] take the server away and
//! bring it back mid-test (outage tests); stopping affects every test of
//! the process, so such a test lives in a test binary of its own.
//!
//! Binaries come from `GGZD_TEST_PG_BIN` or Debian's PostgreSQL 15
//! (`/usr/lib/postgresql/15/bin`, package postgresql-15).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where Debian installs PostgreSQL 15's server binaries.
pub const DEFAULT_BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// The superuser of the throwaway cluster.
pub const USER: &str = "ggzd";

/// Port number naming the socket file (`.s.PGSQL.<port>`); nothing listens
/// on TCP, so it never collides with anything.
pub const PORT: u16 = 5432;

/// A running throwaway cluster.
pub struct Cluster {
    bin_dir: PathBuf,
    /// The temp directory (data, log and socket).
    dir: PathBuf,
    /// Held open for the life of the process: its closing tells the
    /// watchdog to stop the cluster.
    _lifeline: Mutex<ChildStdin>,
    next_db: AtomicU32,
    /// `runuser -u nobody --` as root, else nothing.
    as_user: Vec<&'static str>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

/// This process's cluster, started on first call.
pub fn cluster() -> Result<&'static Cluster, String> {
    CLUSTER
        .get_or_init(Cluster::start)
        .as_ref()
        .map_err(Clone::clone)
}

/// A fresh, empty database in this process's cluster; returns its
/// connection string. Panics with the reason when no cluster can start:
/// for tests, where that is the right outcome.
#[allow(clippy::panic)]
pub fn fresh_database(tag: &str) -> String {
    match cluster().and_then(|c| c.fresh_database(tag)) {
        Ok(url) => url,
        Err(e) => panic!("throwaway PostgreSQL: {e}"),
    }
}

/// The server's command-line options: socket in `dir` only, no TCP, no
/// durability (a test cluster), room for many connections.
fn server_options(dir: &Path) -> String {
    format!(
        "-h '' -k {} -p {PORT} -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400",
        dir.display()
    )
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        static N: AtomicU32 = AtomicU32::new(0);
        let bin_dir = std::env::var_os("GGZD_TEST_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_BIN_DIR));
        if !bin_dir.join("pg_ctl").exists() {
            return Err(format!(
                "no PostgreSQL server binaries in {} (install postgresql-15, \
                 or set GGZD_TEST_PG_BIN)",
                bin_dir.display()
            ));
        }
        let dir = std::env::temp_dir().join(format!(
            "ggzd-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let as_user: Vec<&str> = if is_root() {
            let status = Command::new("chown")
                .arg("nobody:")
                .arg(&dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!("cannot give {} to nobody", dir.display()));
            }
            vec!["runuser", "-u", "nobody", "--"]
        } else {
            Vec::new()
        };
        let data = dir.join("data");
        let options = server_options(&dir);
        let mut initdb = Command::new(as_user.first().copied().unwrap_or("env"));
        initdb
            .args(as_user.iter().skip(1))
            .arg(bin_dir.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = initdb.output().map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let run = as_user.join(" ");
        // Paths come in through the environment, so no quoting issue.
        let script = format!(
            r#"trap '' INT TERM HUP
{run} "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/log" -w -t 60 \
  -o "$PG_OPTIONS" \
  start >/dev/null 2>&1 || {{ echo failed; exit 1; }}
echo started
cat >/dev/null
{run} "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
rm -rf "$PG_DIR"
"#
        );
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .env("PG_BIN", &bin_dir)
            .env("PG_DATA", &data)
            .env("PG_DIR", &dir)
            .env("PG_OPTIONS", &options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the watchdog: {e}"))?;
        let lifeline = watchdog.stdin.take().ok_or("no watchdog pipe")?;
        let mut first = String::new();
        if let Some(out) = watchdog.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut first);
        }
        if first.trim() != "started" {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            drop(lifeline);
            let _ = watchdog.wait();
            return Err(format!("PostgreSQL did not start:\n{log}"));
        }
        Ok(Cluster {
            bin_dir,
            dir,
            _lifeline: Mutex::new(lifeline),
            next_db: AtomicU32::new(0),
            as_user,
        })
    }

    /// `pg_ctl` with `args`, as the user the cluster runs as.
    fn pg_ctl(&self, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let mut cmd = Command::new(self.as_user.first().copied().unwrap_or("env"));
        cmd.args(self.as_user.iter().skip(1))
            .arg(self.bin_dir.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = cmd.output().map_err(|e| format!("pg_ctl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("pg_ctl: {}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// Stops the server (fast shutdown: sessions are ended, connections
    /// closed, the socket removed) and waits until it is down.
    pub fn stop(&self) -> Result<(), String> {
        self.pg_ctl(&["-m", "fast", "-w", "stop"].map(std::ffi::OsStr::new))
    }

    /// Starts the server again after [`Cluster::stop`], with the same
    /// settings, and waits until it accepts connections.
    pub fn restart(&self) -> Result<(), String> {
        let log = self.dir.join("log");
        let options = server_options(&self.dir);
        self.pg_ctl(&[
            std::ffi::OsStr::new("-l"),
            log.as_os_str(),
            std::ffi::OsStr::new("-w"),
            std::ffi::OsStr::new("-t"),
            std::ffi::OsStr::new("60"),
            std::ffi::OsStr::new("-o"),
            std::ffi::OsStr::new(&options),
            std::ffi::OsStr::new("start"),
        ])
    }

    /// The directory holding the socket.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The database name in a connection string from this cluster.
    pub fn database_of(url: &str) -> Option<&str> {
        url.split_whitespace()
            .find_map(|w| w.strip_prefix("dbname="))
    }

    /// Connection string (libpq key/value words) for database `db`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "host={} port={PORT} user={USER} dbname={db}",
            self.dir.display()
        )
    }

    /// Runs `sql` in database `db` as the superuser (psql); its output.
    pub fn sql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin_dir.join("psql"))
            .arg("-h")
            .arg(&self.dir)
            .args(["-p", &PORT.to_string(), "-U", USER, "-d", db])
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if !out.status.success() {
            return Err(format!("psql: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Creates a new empty database named after `tag` and returns its
    /// connection string.
    pub fn fresh_database(&self, tag: &str) -> Result<String, String> {
        let clean: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{}_{clean}", self.next_db.fetch_add(1, Ordering::Relaxed));
        let out = Command::new(self.bin_dir.join("createdb"))
            .arg("-h")
            .arg(&self.dir)
            .args(["-p", &PORT.to_string(), "-U", USER, &name])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("createdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "createdb {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(self.url(&name))
    }
}
