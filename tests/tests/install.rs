//! `tools/install.sh` into a temporary prefix, then the installed programs
//! run from there with cwd `/` and no configuration of ours: ggzd finds its
//! configuration, rooms, games, game server and data below the prefix, the
//! installed `ggz` plays TicTacToe against a bot on it, and the installed
//! `ggzduedit` edits its database. Nothing installed may name the checkout.
//!
//! The script takes the binaries the test run already built (`--bin-dir`)
//! instead of building release ones.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ggzd_e2e::*;

fn install(prefix: &Path, destdir: Option<&Path>) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(repo_dir().join("tools/install.sh"))
        .arg("--prefix")
        .arg(prefix)
        .arg("--bin-dir")
        .arg(bin_dir())
        .env_remove("DESTDIR")
        .env_remove("PREFIX")
        .env_remove("BIN_DIR")
        .current_dir("/");
    if let Some(destdir) = destdir {
        command.arg("--destdir").arg(destdir);
    }
    let out = command.output().expect("run tools/install.sh");
    assert!(
        out.status.success(),
        "install.sh failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An installed program, run from `/` with a clean environment.
fn installed(prefix: &Path, program: &str) -> Command {
    let mut command = Command::new(prefix.join("bin").join(program));
    command
        .current_dir("/")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null());
    command
}

fn run_with_stdin(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    // The program may stop reading early; a closed pipe is fine then.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    wait_output(child, Duration::from_secs(120))
}

/// Waits for `child` (killing it after `timeout`) and collects its output.
fn wait_output(mut child: Child, timeout: Duration) -> Output {
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_thread = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err_thread = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_thread.join().expect("stdout reader"),
        stderr: err_thread.join().expect("stderr reader"),
    }
}

/// The installed ggzd, killed when dropped.
struct Daemon {
    child: Child,
    addr: String,
}

impl Daemon {
    fn start(prefix: &Path) -> Daemon {
        let mut command = installed(prefix, "ggzd");
        command
            .args(["-F", "-p", "0", "-l", "all"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: prctl is async-signal-safe; the server dies with the test.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().expect("start the installed ggzd");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut log = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match seen.recv_timeout(left) {
                Ok(line) => {
                    if let Some((_, addr)) = line.rsplit_once("listening on ") {
                        let addr = addr.trim().to_string();
                        // Keep draining stderr so that ggzd never blocks on it.
                        std::thread::spawn(move || while seen.recv().is_ok() {});
                        return Daemon { child, addr };
                    }
                    log.push_str(&line);
                    log.push('\n');
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("the installed ggzd did not start:\n{log}");
                }
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file below `dir`, recursively.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn installed_tree_runs_without_the_checkout() {
    let tmp = TempDir::new("install");
    let prefix = tmp.path().join("prefix");
    install(&prefix, None);
    let checkout = repo_dir();
    let checkout = checkout.to_string_lossy();

    for file in [
        "bin/ggzd",
        "bin/ggzduedit",
        "bin/ggzd-ctl",
        "share/man/man8/ggzd-ctl.8",
        "share/bash-completion/completions/ggzd-ctl",
        "bin/ggz",
        "lib/ggzd/ggzd-tictactoe",
        "share/ggzd/games/tictactoe.toml",
        "lib/ggzd/ggzd-lockstep",
        "share/ggzd/games/turn-race.toml",
        "share/ggzd/rooms/entry.toml",
        "share/man/man8/ggzd.8",
        "share/man/man5/ggzd.toml.5",
        "share/bash-completion/completions/ggzduedit",
        "share/zsh/site-functions/_ggzd",
        "share/fish/vendor_completions.d/ggz.fish",
        "etc/ggzd/ggzd.toml",
        "etc/ggzd/ggzd.motd",
        "etc/logrotate.d/ggzd",
        "lib/systemd/system/ggzd.service",
        "lib/systemd/system/ggzd@.service",
        "lib/systemd/system/ggzd.socket",
        "lib/systemd/system/ggzd-web.socket",
        "lib/sysusers.d/ggzd.conf",
        "lib/tmpfiles.d/ggzd.conf",
    ] {
        assert!(prefix.join(file).is_file(), "{file} was not installed");
    }
    // Text files name the prefix, never the checkout. (The binaries are the
    // test run's debug builds, whose debug info names source files.)
    for file in files_below(&prefix) {
        let bytes = std::fs::read(&file).expect("read installed file");
        if bytes.starts_with(b"\x7fELF") {
            continue;
        }
        assert!(
            !text(&bytes).contains(&*checkout),
            "{} names the checkout {checkout}",
            file.display()
        );
    }
    let unit = std::fs::read_to_string(prefix.join("lib/systemd/system/ggzd.service")).unwrap();
    let exec = format!(
        "ExecStart={0}/bin/ggzd --foreground --file {0}/etc/ggzd/ggzd.toml",
        prefix.display()
    );
    assert!(unit.contains(&exec), "{unit}");
    let node_unit =
        std::fs::read_to_string(prefix.join("lib/systemd/system/ggzd@.service")).unwrap();
    let node_exec = format!(
        "ExecStart={0}/bin/ggzd --foreground --file {0}/etc/ggzd/%i.toml",
        prefix.display()
    );
    assert!(node_unit.contains(&node_exec), "{node_unit}");
    let tmpfiles = std::fs::read_to_string(prefix.join("lib/tmpfiles.d/ggzd.conf")).unwrap();
    assert!(
        tmpfiles.contains(&format!("d {}/var/lib/ggzd ", prefix.display())),
        "{tmpfiles}"
    );

    // The paths in effect all lie below the prefix.
    let specs = installed(&prefix, "ggzd").arg("-s").output().unwrap();
    assert!(specs.status.success());
    let specs = text(&specs.stdout);
    let p = prefix.display();
    for line in [
        format!("layout: installed under {p}"),
        format!("configuration: {p}/etc/ggzd/ggzd.toml (default)"),
        format!("data_dir: {p}/var/lib/ggzd"),
        format!("conf_dir: {p}/etc/ggzd"),
        format!("game_dir: {p}/lib/ggzd"),
        format!("games_dir: {p}/share/ggzd/games"),
        format!("rooms_dir: {p}/share/ggzd/rooms"),
    ] {
        assert!(specs.lines().any(|l| l == line), "no {line:?} in\n{specs}");
    }
    assert!(!specs.contains(&*checkout), "{specs}");
    let help = installed(&prefix, "ggzd").arg("--help").output().unwrap();
    assert!(
        text(&help.stdout).contains(&format!("{p}/var/lib/ggzd")),
        "{}",
        text(&help.stdout)
    );
    let check = installed(&prefix, "ggzd")
        .arg("--check-config")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    assert!(
        text(&check.stdout).contains("configuration OK: "),
        "{}",
        text(&check.stdout)
    );

    // The installed ggzduedit creates the database below the prefix.
    let mut add = installed(&prefix, "ggzduedit");
    add.args(["add", "bob", "--password-stdin"]);
    let added = run_with_stdin(add, "b0bs-secret\n");
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(prefix.join("var/lib/ggzd/ggzd.sqlite").is_file());

    let daemon = Daemon::start(&prefix);
    let pid_file = prefix.join("var/lib/ggzd/ggzd.pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap(),
        format!("{}\n", daemon.pid())
    );

    // A second ggzd on the same data directory is refused.
    let second = wait_output(
        installed(&prefix, "ggzd")
            .args(["-F", "-p", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        Duration::from_secs(60),
    );
    assert!(!second.status.success());
    let refusal = text(&second.stderr);
    assert!(
        refusal.contains(&format!("another ggzd (pid {}) runs", daemon.pid())),
        "{refusal}"
    );

    // The installed client plays the installed game server to the end.
    let mut ggz = installed(&prefix, "ggz");
    ggz.args(["--script", "--timeout", "60"])
        .arg(format!("bob@{}", daemon.addr))
        .env("GGZ_PASSWORD", "b0bs-secret");
    let played = run_with_stdin(
        ggz,
        "/enter Tic-Tac-Toe\n/launch bot:Tarantula\n/autoplay\n/quit\n",
    );
    let out = text(&played.stdout);
    assert_eq!(
        played.status.code(),
        Some(0),
        "{out}{}",
        text(&played.stderr)
    );
    assert!(out.contains("logged in as bob"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("result: game over: ")),
        "{out}"
    );
    assert!(prefix.join("var/lib/ggzd/gamedata/TicTacToe").is_dir());

    // The game's result reaches the installed database (the client may see
    // the game's end before ggzd has committed the report: wait for it).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stats = installed(&prefix, "ggzduedit")
            .args(["stats", "bob"])
            .output()
            .unwrap();
        assert!(stats.status.success(), "{}", text(&stats.stderr));
        let stats = text(&stats.stdout);
        if stats.contains("TicTacToe") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no TicTacToe stats for bob:\n{stats}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(daemon);
}

#[test]
fn destdir_stages_files_that_name_only_the_prefix() {
    let tmp = TempDir::new("install-destdir");
    let stage = tmp.path().join("stage");
    let prefix = Path::new("/usr");
    install(prefix, Some(&stage));
    // PREFIX=/usr: configuration in /etc, state in /var/lib/ggzd.
    assert!(stage.join("usr/bin/ggzd").is_file());
    assert!(stage.join("usr/lib/ggzd/ggzd-tictactoe").is_file());
    assert!(stage.join("etc/ggzd/ggzd.toml").is_file());
    assert!(stage.join("etc/logrotate.d/ggzd").is_file());
    let unit = std::fs::read_to_string(stage.join("usr/lib/systemd/system/ggzd.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/bin/ggzd --foreground --file /etc/ggzd/ggzd.toml"),
        "{unit}"
    );
    let staged = stage.to_string_lossy();
    for file in files_below(&stage) {
        let bytes = std::fs::read(&file).unwrap();
        if !bytes.starts_with(b"\x7fELF") {
            assert!(
                !text(&bytes).contains(&*staged),
                "{} names the staging directory",
                file.display()
            );
        }
    }
    // A second run keeps an edited configuration and puts the new one
    // beside it.
    let config = stage.join("etc/ggzd/ggzd.toml");
    std::fs::write(&config, "# edited\n").unwrap();
    install(prefix, Some(&stage));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "# edited\n");
    assert!(stage.join("etc/ggzd/ggzd.toml.new").is_file());
}
