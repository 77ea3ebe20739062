//! `ggzduedit` on the live database of a running ggzd: accounts it adds
//! can log in, permission changes show at the next login, an imported
//! original database's md5 password works once and becomes argon2id, and
//! the exit codes scripts rely on.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ggzd::store::{ImportedUser, Store};
use ggzd_e2e::*;

/// What one run of the tool gave.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs ggzduedit on the server's configuration and data directory, with
/// `stdin` as its standard input.
fn uedit(server: &TestServer, args: &[&str], stdin: &str) -> Outcome {
    let config = server.dir.path().join("ggzd.toml");
    let data = data_dir(server);
    let mut globals = vec!["-f".as_ref(), config.as_os_str()];
    // -d always means SQLite; on PostgreSQL the configuration says where.
    if !ggzd_e2e::store::on_postgres() {
        globals.extend(["-d".as_ref(), data.as_os_str()]);
    }
    uedit_with(&globals, args, stdin)
}

fn uedit_with(globals: &[&std::ffi::OsStr], args: &[&str], stdin: &str) -> Outcome {
    let mut child = Command::new(bin("ggzduedit"))
        .args(globals)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ggzduedit");
    // The tool may exit without reading (e.g. --help): a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let output = child.wait_with_output().unwrap();
    Outcome {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn data_dir(server: &TestServer) -> PathBuf {
    server.dir.path().join("data")
}

/// Logs in with a password; returns the reply code and, if ok, the client
/// with the MOTD consumed.
fn login(server: &TestServer, name: &str, password: &str) -> (String, Client) {
    let mut client = server.connect();
    let reply = client
        .login(LoginKind::Normal, name, Some(password), None)
        .unwrap();
    if reply.code == "ok" {
        client.recv_until(TIMEOUT, |e| e.is("MOTD")).unwrap();
    }
    (reply.code, client)
}

/// `(PERMS, TYPE)` of `name` as the room's player list shows it.
fn perms_in_room(client: &mut Client, name: &str) -> (String, String) {
    client.send("<LIST TYPE='player'/>").unwrap();
    let result = client.expect_result("list", TIMEOUT).unwrap();
    let player = result
        .child("LIST")
        .unwrap()
        .children_named("PLAYER")
        .find(|p| p.attr("ID") == Some(name))
        .unwrap_or_else(|| panic!("{name} not in the player list"))
        .clone();
    (
        player.attr("PERMS").unwrap().to_string(),
        player.attr("TYPE").unwrap().to_string(),
    )
}

/// The `"password"` value of `show --json`.
fn stored_password(server: &TestServer, name: &str) -> String {
    let shown = uedit(server, &["show", name, "--json"], "");
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let rest = shown
        .stdout
        .split("\"password\":\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no password in {}", shown.stdout));
    rest.split('"').next().unwrap().to_string()
}

fn log_out(mut client: Client) {
    client.logout().unwrap();
    assert!(client.wait_closed(TIMEOUT).unwrap(), "session did not end");
}

#[test]
fn added_account_logs_in_and_a_role_applies_at_once_and_at_the_next_login() {
    let server = TestServer::start();
    let added = uedit(
        &server,
        &[
            "add",
            "Carol",
            "--email",
            "c@example.org",
            "--password-stdin",
        ],
        "tr0ub4dor\n",
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stdout.starts_with("added carol (id "),
        "{}",
        added.stdout
    );

    let (code, _) = login(&server, "carol", "wrong");
    assert_ne!(code, "ok");
    let (code, mut carol) = login(&server, "Carol", "tr0ub4dor");
    assert_eq!(code, "ok");
    enter(&mut carol, 1);
    assert_eq!(
        perms_in_room(&mut carol, "Carol"),
        ("0x00000007".into(), "normal".into())
    );

    let granted = uedit(&server, &["perms", "carol", "--role", "host"], "");
    assert_eq!(granted.code, 0, "{}", granted.stderr);
    assert!(granted.stdout.contains("0x00000007 -> 0x00000187"));
    // The tool signals the running ggzd, which tells the room (and carol)
    // at once.
    let update = carol
        .recv_until(TIMEOUT, |e| {
            e.is("UPDATE") && e.attr("TYPE") == Some("player") && e.attr("ACTION") == Some("perms")
        })
        .expect("UPDATE player perms after the change");
    assert_eq!(
        update.child("PLAYER").and_then(|p| p.attr("PERMS")),
        Some("0x00000187")
    );
    log_out(carol);

    let (code, mut carol) = login(&server, "carol", "tr0ub4dor");
    assert_eq!(code, "ok");
    enter(&mut carol, 1);
    assert_eq!(
        perms_in_room(&mut carol, "carol"),
        ("0x00000187".into(), "host".into())
    );

    // Single bits: admin needs rooms_admin and chat_announce on top.
    let admin = uedit(
        &server,
        &[
            "perms",
            "carol",
            "--grant",
            "rooms_admin",
            "--grant",
            "chat_announce",
            "--json",
        ],
        "",
    );
    assert_eq!(admin.code, 0, "{}", admin.stderr);
    assert!(
        admin.stdout.contains("\"type\":\"admin\""),
        "{}",
        admin.stdout
    );
    log_out(carol);
    let (code, mut carol) = login(&server, "carol", "tr0ub4dor");
    assert_eq!(code, "ok");
    enter(&mut carol, 1);
    assert_eq!(
        perms_in_room(&mut carol, "carol"),
        ("0x0000019F".into(), "admin".into())
    );

    // A new password works at the next login; it is stored hashed.
    let changed = uedit(&server, &["passwd", "carol", "--password-stdin"], "n3w\n");
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    assert!(stored_password(&server, "carol").starts_with("$argon2id$"));
    log_out(carol);
    assert_ne!(login(&server, "carol", "tr0ub4dor").0, "ok");
    assert_eq!(login(&server, "carol", "n3w").0, "ok");
}

/// An original-style database: the same `users` columns as the original
/// schema (docs/config-and-data.md §9.1), which ggzd's own file also has.
fn original_database(dir: &Path) -> PathBuf {
    let path = dir.join("old-ggzd.sqlite");
    let mut old = Store::open_file(&path).unwrap();
    let row = |handle, password| ImportedUser {
        handle,
        password,
        email: "old@example.org",
        real_name: "Old Timer",
        permissions: 7,
        confirmed: true,
        first_login: 1_000_000_000,
        last_login: 1_100_000_000,
    };
    // md5("secret") in base64.
    old.import_user(&row("oldtimer", "Xr4ilOzQ4PCOq3aQ0qbuaQ=="))
        .unwrap();
    // md5("pw18") is d5 00 ...: the original's encoder zeroed the rest.
    old.import_user(&row("quirky", "1QAAAAAAAAAAAAAAAAAAAA=="))
        .unwrap();
    old.import_user(&row("carol", "Xr4ilOzQ4PCOq3aQ0qbuaQ=="))
        .unwrap();
    path
}

#[test]
fn imported_md5_password_logs_in_once_and_becomes_argon2id() {
    let server = TestServer::start();
    let tmp = TempDir::new("uedit-import");
    let old = original_database(tmp.path());
    let old = old.to_str().unwrap();
    // carol exists already and must stay as she is.
    let added = uedit(&server, &["add", "carol", "--password-stdin"], "mine\n");
    assert_eq!(added.code, 0, "{}", added.stderr);

    let dry = uedit(
        &server,
        &["import-ggz", old, "--hashing", "md5", "--dry-run"],
        "",
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("would import oldtimer\n"),
        "{}",
        dry.stdout
    );
    assert_eq!(uedit(&server, &["show", "oldtimer"], "").code, 2);

    let imported = uedit(
        &server,
        &[
            "import-ggz",
            old,
            "--hashing",
            "md5",
            "--encoding",
            "base64",
        ],
        "",
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert!(
        imported.stdout.contains("skipped carol: exists already"),
        "{}",
        imported.stdout
    );
    assert!(
        imported.stdout.ends_with(
            "imported 2 of 3 rows (0 without a usable password), skipped 1 existing, rejected 0\n"
        ),
        "{}",
        imported.stdout
    );
    assert_eq!(
        stored_password(&server, "oldtimer"),
        "{legacy-md5-base64}Xr4ilOzQ4PCOq3aQ0qbuaQ=="
    );
    let shown = uedit(&server, &["show", "oldtimer", "--json"], "");
    assert!(shown.stdout.contains("\"real_name\":\"Old Timer\""));
    assert!(shown.stdout.contains("\"first_login\":1000000000"));

    assert_ne!(login(&server, "oldtimer", "Secret").0, "ok");
    let (code, client) = login(&server, "oldtimer", "secret");
    assert_eq!(code, "ok");
    assert!(stored_password(&server, "oldtimer").starts_with("$argon2id$"));
    log_out(client);
    // And the argon2id value works from now on.
    assert_eq!(login(&server, "oldtimer", "secret").0, "ok");

    // The NUL quirk of the original base64 encoder is honoured.
    assert_eq!(login(&server, "quirky", "pw18").0, "ok");
    // The existing account kept its own password.
    assert_eq!(login(&server, "carol", "mine").0, "ok");

    // Running the import again changes nothing.
    let again = uedit(&server, &["import-ggz", old, "--hashing", "md5"], "");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("imported 0 of 3 rows"),
        "{}",
        again.stdout
    );
}

#[test]
fn exit_codes_for_scripts() {
    let server = TestServer::start();
    let data = data_dir(&server);
    // -d means the SQLite file there; a server on PostgreSQL has none, so
    // there the tool goes by the configuration.
    let only_data_dir = |args: &[&str]| {
        if ggzd_e2e::store::on_postgres() {
            uedit(&server, args, "")
        } else {
            uedit_with(&["-d".as_ref(), data.as_os_str()], args, "")
        }
    };

    let missing = uedit(&server, &["show", "nobody"], "");
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no user 'nobody'"),
        "{}",
        missing.stderr
    );
    assert_eq!(uedit(&server, &["delete", "nobody"], "").code, 2);
    assert_eq!(
        uedit(&server, &["passwd", "nobody", "--password-stdin"], "x\n").code,
        2
    );
    assert_eq!(only_data_dir(&["perms", "nobody"]).code, 2);

    assert_eq!(
        uedit(&server, &["add", "dave", "--password-stdin"], "pw\n").code,
        0
    );
    let duplicate = uedit(&server, &["add", "DAVE", "--password-stdin"], "pw\n");
    assert_eq!(duplicate.code, 3);
    assert!(
        duplicate.stderr.contains("exists already"),
        "{}",
        duplicate.stderr
    );

    assert_eq!(
        uedit(&server, &["add", "bad name", "--password-stdin"], "pw\n").code,
        5
    );
    assert_eq!(
        uedit(&server, &["add", "erin", "--password-stdin"], "\n").code,
        5
    );
    assert_eq!(
        uedit(&server, &["add", "erin", "--role", "emperor"], "").code,
        1
    );
    assert_eq!(uedit(&server, &["frobnicate"], "").code, 1);
    assert_eq!(
        uedit(&server, &["import-ggz", "/nonexistent/old.sqlite"], "").code,
        2
    );
    let no_config = uedit_with(
        &["-f".as_ref(), "/nonexistent/ggzd.toml".as_ref()],
        &["list"],
        "",
    );
    assert_eq!(no_config.code, 6);
    let empty = TempDir::new("uedit-nodb");
    let no_db = uedit_with(&["-d".as_ref(), empty.path().as_os_str()], &["list"], "");
    assert_eq!(no_db.code, 4);
    assert!(
        !empty.path().join("ggzd.sqlite").exists(),
        "list must not create a database"
    );

    let listed = only_data_dir(&["list", "d*", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.starts_with("[{\"id\":"), "{}", listed.stdout);
    assert!(listed.stdout.contains("\"handle\":\"dave\""));
    assert_eq!(uedit(&server, &["--help"], "").code, 0);
}
