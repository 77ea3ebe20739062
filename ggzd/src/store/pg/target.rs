//! Where the PostgreSQL backend connects: the parsed connection settings,
//! with the password kept out of everything that is shown or logged.

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::Host;

use crate::store::StoreError;

/// How long a connection attempt may take before the job that needed it
/// fails (and the next job tries again).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A PostgreSQL server and database to use.
#[derive(Clone)]
pub struct PgTarget {
    pub(super) config: postgres::Config,
    shown: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgTarget {
    /// Parses `url` (a `postgresql://` URL or `key=value` words, as libpq
    /// takes them). A `password`, if given, replaces one in the URL.
    pub fn new(url: &str, password: Option<&str>) -> Result<PgTarget, StoreError> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| StoreError::Config(format!("database url: {e}")))?;
        if let Some(password) = password {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("ggzd");
        }
        // A server that vanishes without a word (cable, power) is noticed
        // by keepalives instead of a worker waiting forever.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        // Probes every 5 s, three unanswered ones end it: a job waits at
        // most about 45 s for a vanished server, not the kernel's 11 min.
        config.keepalives_interval(Duration::from_secs(5));
        config.keepalives_retries(3);
        // A request sent to a server that no longer answers fails after
        // 10 s without an acknowledgement, rather than after minutes of
        // retransmissions (TCP only; a unix socket fails at once).
        config.tcp_user_timeout(Duration::from_secs(10));
        let shown = describe(&config);
        Ok(PgTarget { config, shown })
    }

    /// The target without its password, for logs and messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// `postgresql://user:***@host:port/db`, built from the parsed settings so
/// the password can never slip through whatever the input syntax was.
fn describe(config: &postgres::Config) -> String {
    let mut out = String::from("postgresql://");
    if let Some(user) = config.get_user() {
        out.push_str(user);
        if config.get_password().is_some() {
            out.push_str(":***");
        }
        out.push('@');
    }
    let ports = config.get_ports();
    for (i, host) in config.get_hosts().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match host {
            Host::Tcp(name) => out.push_str(name),
            Host::Unix(path) => {
                let _ = write!(out, "[{}]", path.display());
            }
        }
        if let Some(port) = ports.get(i).or(ports.first()) {
            let _ = write!(out, ":{port}");
        }
    }
    out.push('/');
    out.push_str(config.get_dbname().unwrap_or_default());
    out
}

/// A GLOB pattern (`*`, `?`, `[...]`, `[^...]`, as SQLite's GLOB) as an
/// anchored PostgreSQL regular expression, so `ggzduedit list PATTERN`
/// selects the same accounts on both backends.
pub(crate) fn glob_to_regex(glob: &str) -> String {
    let mut out = String::from("^");
    let chars: Vec<char> = glob.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => match bracket_end(&chars, i) {
                Some(end) => {
                    out.push('[');
                    let mut j = i + 1;
                    if chars.get(j) == Some(&'^') {
                        out.push('^');
                        j += 1;
                    }
                    for &c in &chars[j..end] {
                        if c == '\\' {
                            out.push_str("\\\\");
                        } else {
                            out.push(c);
                        }
                    }
                    out.push(']');
                    i = end;
                }
                None => out.push_str("\\["),
            },
            c => {
                if "\\^$.|+()[]{}".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        i += 1;
    }
    out.push('$');
    out
}

/// Index of the `]` closing the bracket expression opened at `start`; a
/// `]` right after `[` or `[^` is a member, as in SQLite.
fn bracket_end(chars: &[char], start: usize) -> Option<usize> {
    let mut j = start + 1;
    if chars.get(j) == Some(&'^') {
        j += 1;
    }
    if chars.get(j) == Some(&']') {
        j += 1;
    }
    (j..chars.len()).find(|&k| chars[k] == ']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_target_never_contains_the_password() {
        for url in [
            "postgresql://ggzd:s3cret@db.example.org:5433/zone",
            "host=/run/postgresql user=ggzd password=s3cret dbname=zone",
        ] {
            let t = PgTarget::new(url, None).unwrap();
            assert!(!t.shown().contains("s3cret"), "{}", t.shown());
            assert!(!format!("{t:?}").contains("s3cret"));
            assert!(t.shown().contains(":***@"), "{}", t.shown());
        }
        let t = PgTarget::new("postgresql://ggzd@localhost/zone", Some("pw")).unwrap();
        assert_eq!(t.shown(), "postgresql://ggzd:***@localhost:5432/zone");
        let t = PgTarget::new("host=/tmp/x port=5999 user=u dbname=d", None).unwrap();
        assert_eq!(t.shown(), "postgresql://u@[/tmp/x]:5999/d");
        assert_eq!(t.config.get_password(), None);
    }

    #[test]
    fn bad_urls_are_config_errors() {
        let e = PgTarget::new("postgresql://u@h:notaport/d", None).unwrap_err();
        assert!(matches!(e, StoreError::Config(_)), "{e}");
    }

    #[test]
    fn globs_become_anchored_regexes() {
        assert_eq!(glob_to_regex("a*"), "^a.*$");
        assert_eq!(glob_to_regex("?b.c"), "^.b\\.c$");
        assert_eq!(glob_to_regex("[a-c]x"), "^[a-c]x$");
        assert_eq!(glob_to_regex("[^a]"), "^[^a]$");
        assert_eq!(glob_to_regex("[]x]"), "^[]x]$");
        assert_eq!(glob_to_regex("[oops"), "^\\[oops$");
        assert_eq!(glob_to_regex("(x)+"), "^\\(x\\)\\+$");
    }
}
