//! ggzd and ggzduedit on PostgreSQL, on a throwaway cluster of this test
//! process (`ggzd-pgtest`): the copy from SQLite, the password kept out of
//! the log, and a database outage that costs only the requests needing the
//! store and heals without a restart.

use std::io::Write;
use std::process::{Command, Stdio};

use ggzd_e2e::*;

fn cluster() -> &'static ggzd_pgtest::Cluster {
    ggzd_pgtest::cluster().unwrap_or_else(|e| panic!("throwaway PostgreSQL: {e}"))
}

/// A server whose store is the PostgreSQL database `url`.
fn server_on(url: &str, password_file: &std::path::Path) -> TestServer {
    TestServer::start_with(ServerOptions {
        extra_config: format!(
            "[database]\nbackend = \"postgres\"\nurl = \"{url}\"\npassword_file = \"{}\"\n",
            password_file.display()
        ),
        ..ServerOptions::default()
    })
}

fn uedit(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(bin("ggzduedit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ggzduedit");
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn login_code(server: &TestServer, kind: LoginKind, name: &str, password: &str) -> String {
    let mut c = server.connect();
    c.login(kind, name, Some(password), None).unwrap().code
}

#[test]
fn copy_to_postgres_then_ggzd_serves_the_copied_accounts() {
    let dir = TempDir::new("pgcopy");
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let out = uedit(
        &["-d", data_arg, "add", "alice", "--password-stdin"],
        "pw1\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = uedit(&["-d", data_arg, "ban", "mallory", "--reason", "spam"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let url = cluster().fresh_database("copy").unwrap();
    let out = uedit(&["-d", data_arg, "copy-to-postgres", &url], "");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("1 users") && said.contains("1 bans"),
        "{said}"
    );
    // A second copy would merge into a database in use: refused.
    let again = uedit(&["-d", data_arg, "copy-to-postgres", &url], "");
    assert_eq!(again.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let pw = dir.path().join("pw");
    std::fs::write(&pw, "unused\n").unwrap();
    let server = server_on(&url, &pw);
    assert_eq!(login_code(&server, LoginKind::Normal, "alice", "pw1"), "ok");
    assert_eq!(
        login_code(&server, LoginKind::Normal, "nobody", "x"),
        "user not found"
    );
    assert_eq!(
        login_code(&server, LoginKind::Guest, "mallory", ""),
        "usr lookup"
    );
    // ggzduedit follows [database] of the configuration.
    let config = server.dir.path().join("ggzd.toml");
    let out = uedit(&["-f", config.to_str().unwrap(), "list"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("alice"));
}

#[test]
fn a_database_outage_is_a_clean_error_and_heals_without_restart() {
    let url = cluster().fresh_database("outage").unwrap();
    let db = ggzd_pgtest::Cluster::database_of(&url).unwrap().to_owned();
    let dir = TempDir::new("pgoutage");
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret-e2e\n").unwrap();
    let server = server_on(&url, &pw);
    assert!(
        server.wait_for_log(":***@", TIMEOUT).is_some(),
        "{}",
        server.log()
    );

    assert_eq!(login_code(&server, LoginKind::First, "reg", "pw"), "ok");
    let mut guest = server.guest_in_room("early", 0);

    // The database refuses every connection and drops the ones it has.
    cluster()
        .sql(
            "postgres",
            &format!(
                "ALTER DATABASE {db} ALLOW_CONNECTIONS false; \
                 SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = '{db}'"
            ),
        )
        .unwrap();
    assert_eq!(
        login_code(&server, LoginKind::Normal, "reg", "pw"),
        "usr lookup"
    );
    assert_eq!(
        login_code(&server, LoginKind::First, "new", "pw"),
        "usr lookup"
    );
    // Who is logged in carries on.
    assert_eq!(request(&mut guest, "<LIST TYPE='player'/>", "list"), "ok");

    cluster()
        .sql(
            "postgres",
            &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"),
        )
        .unwrap();
    // Every worker reconnects on its next job; no restart.
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let code = login_code(&server, LoginKind::Normal, "reg", "pw");
        if code == "ok" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {code}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(login_code(&server, LoginKind::First, "new", "pw"), "ok");
    assert!(!server.log().contains("s3cret-e2e"), "{}", server.log());
}
