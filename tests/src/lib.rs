//! Harness for the end-to-end tests: starts the built `ggzd` on 127.0.0.1
//! with an ephemeral port and a temporary directory, and makes sure it is
//! gone when the test ends (drop kills it; PDEATHSIG covers a test process
//! that dies first).
//!
//! The binaries must be built first (`cargo build --workspace`); the README's
//! test command does that. `GGZD_TEST_STORE=postgres` runs every server on
//! PostgreSQL instead of SQLite (`store.rs`). `GGZD_E2E_TTT_SERVER=PATH`
//! plays TicTacToe with another game server, e.g. the original C one
//! (`ttt_server.rs`).

pub mod store;
pub mod ttt_server;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub mod bench_json;
pub mod browser;
pub mod dio;
pub mod game_procs;
pub mod ggz_script;
pub mod metrics;
pub mod players;
pub mod tables;
pub mod web_channel;
pub mod web_page;

pub use ggzd::client::Client;
pub use ggzd::proto::element::Element;
pub use ggzd::proto::request::LoginKind;

/// Generous: CI machines are slow and tests run in parallel.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The repository root.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Where cargo put the workspace binaries (`target/debug`), found from the
/// test executable's own path (`target/debug/deps/<test>`).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GGZD_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("target directory")
}

pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        path.display()
    );
    path
}

/// Adds an account to `server`'s database with ggzduedit (through the
/// server's own config file, so it lands in whichever store the server
/// uses), with `role` when given.
pub fn add_account(server: &TestServer, name: &str, password: &str, role: Option<&str>) {
    let mut cmd = Command::new(bin("ggzduedit"));
    cmd.arg("-f")
        .arg(server.dir.path().join("ggzd.toml"))
        .args(["add", name, "--password-stdin"]);
    if let Some(role) = role {
        cmd.args(["--role", role]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ggzduedit");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(format!("{password}\n").as_bytes())
            .expect("password to ggzduedit");
    }
    let out = child.wait_with_output().expect("ggzduedit");
    assert!(
        out.status.success(),
        "ggzduedit add {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("ggzd-e2e-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options for a test server; everything else comes from the config the
/// harness writes.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// Extra TOML appended to the generated config (tables must not repeat
    /// ones the harness writes: it writes `[network]`, `[directories]`,
    /// `[auth]` only).
    pub extra_config: String,
    /// Extra TOML lines inside `[network]`.
    pub network: String,
    /// Rooms directory; defaults to the repository's `rooms/`.
    pub rooms_dir: Option<PathBuf>,
    /// Game descriptions directory; defaults to the repository's `games/`.
    pub games_dir: Option<PathBuf>,
    pub motd: Option<String>,
    pub env: Vec<(String, String)>,
    /// Log to this file (with these log types) instead of stderr; the
    /// harness then finds the listening address there.
    pub log_file: Option<(PathBuf, String)>,
    /// Hand ggzd this listening socket as systemd would (fd 3,
    /// `LISTEN_FDS=1`).
    pub listen_fd: Option<std::os::fd::RawFd>,
    /// Hand ggzd this listening socket for `[web]` as systemd would with
    /// `FileDescriptorName=web` (after `listen_fd`, if any; names in
    /// `LISTEN_FDNAMES`).
    pub web_listen_fd: Option<std::os::fd::RawFd>,
    /// Data directory; defaults to one inside the server's temp dir.
    pub data_dir: Option<PathBuf>,
}

/// Everything ggzd printed on stderr, shared with a reader thread.
#[derive(Default)]
struct Output {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

pub struct TestServer {
    child: Child,
    pub addr: SocketAddr,
    pub dir: TempDir,
    output: Arc<Output>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(ServerOptions::default())
    }

    pub fn start_with(options: ServerOptions) -> TestServer {
        let dir = TempDir::new("srv");
        let conf_dir = dir.path().join("conf");
        std::fs::create_dir_all(&conf_dir).expect("conf dir");
        let motd = options
            .motd
            .clone()
            .unwrap_or_else(|| "Welcome to %h on port %p\n".to_string());
        std::fs::write(conf_dir.join("ggzd.motd"), motd).expect("motd");
        let rooms = options
            .rooms_dir
            .unwrap_or_else(|| repo_dir().join("rooms"));
        let games = options
            .games_dir
            .or_else(|| ttt_server::games_dir(&repo_dir().join("games"), dir.path()))
            .unwrap_or_else(|| repo_dir().join("games"));
        let data_dir = options
            .data_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("data"));
        let config = format!(
            "{database}[network]\ninterface = \"127.0.0.1\"\nport = 0\n{network}\n\
             [directories]\ndata_dir = \"{data}\"\nconf_dir = \"{conf}\"\n\
             game_dir = \"{bins}\"\ngames_dir = \"{games}\"\nrooms_dir = \"{rooms}\"\n\
             [auth]\nargon2_memory_kib = 1024\nargon2_iterations = 1\n{extra}\n",
            database = store::database_section(&data_dir, &options.extra_config),
            network = options.network,
            data = data_dir.display(),
            conf = conf_dir.display(),
            bins = bin_dir().display(),
            games = games.display(),
            rooms = rooms.display(),
            extra = options.extra_config,
        );
        let config = match &options.log_file {
            Some((path, types)) => format!(
                "{config}[logging]\ndestination = \"file\"\nfile = \"{}\"\ntypes = [{types}]\n",
                path.display()
            ),
            None => config,
        };
        let config_path = dir.path().join("ggzd.toml");
        std::fs::write(&config_path, config).expect("config");

        let mut command = Command::new(bin("ggzd"));
        command
            .arg("-F")
            .arg("-f")
            .arg(&config_path)
            .arg("-l")
            .arg("all")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env_remove("JOURNAL_STREAM")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("LISTEN_FDS")
            .env_remove("LISTEN_PID");
        for (k, v) in &options.env {
            command.env(k, v);
        }
        let listen_fd = options.listen_fd;
        let web_listen_fd = options.web_listen_fd;
        if web_listen_fd.is_some() {
            let names = if listen_fd.is_some() {
                "ggzd.socket:web"
            } else {
                "web"
            };
            let count = if listen_fd.is_some() { "2" } else { "1" };
            command
                .env("LISTEN_FDS", count)
                .env("LISTEN_FDNAMES", names);
        } else if listen_fd.is_some() {
            command.env("LISTEN_FDS", "1");
        }
        // SAFETY: prctl and dup2 are async-signal-safe. PDEATHSIG makes the
        // kernel kill the server if the test process dies without dropping
        // us; dup2 puts a passed listener where systemd would.
        unsafe {
            command.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if let Some(web) = web_listen_fd {
                    // Both out of the way of 3 and 4 first, then in place.
                    let high = |fd: i32| libc::fcntl(fd, libc::F_DUPFD, 100);
                    let web = high(web);
                    let main = listen_fd.map(high);
                    for (target, fd) in (3..).zip(main.into_iter().chain([web])) {
                        if fd < 0 || libc::dup2(fd, target) < 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                    return Ok(());
                }
                let moved = match listen_fd {
                    // Already fd 3: only close-on-exec must go.
                    Some(3) => libc::fcntl(3, libc::F_SETFD, 0),
                    Some(fd) => libc::dup2(fd, 3),
                    None => 0,
                };
                if moved < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.spawn().expect("start ggzd");
        let stderr = child.stderr.take().expect("stderr pipe");
        let output = Arc::new(Output::default());
        let reader_output = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if std::env::var_os("GGZD_E2E_VERBOSE").is_some() {
                    eprintln!("[ggzd] {line}");
                }
                let mut lines = reader_output.lines.lock().unwrap();
                lines.push(line);
                reader_output.changed.notify_all();
            }
        });
        let mut server = TestServer {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
            dir,
            output,
        };
        let line = match &options.log_file {
            Some((path, _)) => wait_for_file_line(path, "listening on ", TIMEOUT),
            None => server.wait_for_log("listening on ", TIMEOUT),
        }
        .unwrap_or_else(|| panic!("ggzd did not start:\n{}", server.log()));
        let addr = line
            .rsplit("listening on ")
            .next()
            .and_then(|a| a.trim().parse().ok())
            .expect("address in the listening line");
        server.addr = addr;
        server
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill on our own child's pid.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// All of stderr so far.
    pub fn log(&self) -> String {
        self.output.lines.lock().unwrap().join("\n")
    }

    /// The first stderr line containing `needle`, waiting for it.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = self.output.lines.lock().unwrap();
        loop {
            if let Some(line) = lines.iter().find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            lines = self
                .output
                .changed
                .wait_timeout(lines, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// How many stderr lines contain `needle`.
    pub fn count_log(&self, needle: &str) -> usize {
        self.output
            .lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    pub fn connect(&self) -> Client {
        Client::connect(self.addr, TIMEOUT).expect("connect to ggzd")
    }

    /// A connected guest, logged in, MOTD consumed.
    pub fn guest(&self, name: &str) -> Client {
        let mut client = self.connect();
        let reply = client
            .login(LoginKind::Guest, name, None, None)
            .expect("login reply");
        assert_eq!(reply.code, "ok", "guest login of {name}");
        client
            .recv_until(TIMEOUT, |e| e.name == "MOTD")
            .expect("MOTD after login");
        client
    }

    /// A guest that has entered `room`.
    pub fn guest_in_room(&self, name: &str, room: i32) -> Client {
        let mut client = self.guest(name);
        enter(&mut client, room);
        client
    }

    /// Open file descriptors of the server process.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// The first line of a file containing `needle`, waiting for it.
pub fn wait_for_file_line(path: &Path, needle: &str, timeout: Duration) -> Option<String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Some(line) = text.lines().find(|l| l.contains(needle))
        {
            return Some(line.to_string());
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens and prepares a game channel for `name` exactly as ggzcore does,
/// reading the server's side byte by byte up to its `</SESSION>` (as the
/// Java client does): what follows belongs to the game server.
pub fn open_game_channel(server: &TestServer, name: &str) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(server.addr).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    stream
        .write_all(
            format!(
                "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<CHANNEL ID='{name}' />\n</SESSION>\n"
            )
            .as_bytes(),
        )
        .expect("channel request");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"</SERVER>\n</SESSION>\n") {
        let n = stream.read(&mut byte).expect("channel answer");
        assert_eq!(
            n,
            1,
            "channel closed early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.push(byte[0]);
    }
    stream
}

/// ENTER a room and expect `ok`.
pub fn enter(client: &mut Client, room: i32) {
    client
        .send(&format!("<ENTER ROOM='{room}'/>"))
        .expect("send ENTER");
    let result = client
        .expect_result("enter", TIMEOUT)
        .expect("enter result");
    assert_eq!(result.attr("CODE"), Some("ok"), "enter room {room}");
}

/// The CODE of the next RESULT for `action`.
pub fn result_code(client: &mut Client, action: &str) -> String {
    let result = client
        .expect_result(action, TIMEOUT)
        .unwrap_or_else(|e| panic!("no RESULT {action}: {e}"));
    result.attr("CODE").unwrap_or_default().to_string()
}

/// Sends `xml` and returns the CODE of the RESULT for `action`.
pub fn request(client: &mut Client, xml: &str, action: &str) -> String {
    client.send(xml).expect("send request");
    result_code(client, action)
}

/// Runs `ggzd-bench --json` with `args` against `server`; returns its one
/// line of JSON after checking it exited successfully.
pub fn bench(server: &TestServer, args: &[&str]) -> String {
    let output = Command::new(bin("ggzd-bench"))
        .arg("--server")
        .arg(server.addr.to_string())
        .arg("--pid")
        .arg(server.pid().to_string())
        .args(["--json", "--timeout", "60"])
        .args(args)
        .output()
        .expect("run ggzd-bench");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "ggzd-bench {args:?} failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A server with its own games and rooms: one game description
/// (`game_file` holding `game_toml`), the Lobby (room 0) and a room "Play"
/// (room 1) described by `play_room`. The directories live in the returned
/// `TempDir`.
pub fn start_with_one_game(
    tag: &str,
    game_file: &str,
    game_toml: &str,
    play_room: &str,
    extra_config: &str,
) -> (TestServer, TempDir) {
    let tmp = TempDir::new(tag);
    let games = tmp.path().join("games");
    let rooms = tmp.path().join("rooms");
    std::fs::create_dir_all(&games).expect("games dir");
    std::fs::create_dir_all(&rooms).expect("rooms dir");
    std::fs::write(games.join(game_file), game_toml).expect("game description");
    std::fs::write(rooms.join("entry.toml"), "name = \"Lobby\"\n").expect("lobby");
    std::fs::write(rooms.join("play.toml"), play_room).expect("play room");
    let server = TestServer::start_with(ServerOptions {
        games_dir: Some(games),
        rooms_dir: Some(rooms),
        extra_config: extra_config.to_string(),
        ..Default::default()
    });
    (server, tmp)
}
