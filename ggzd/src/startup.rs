//! From command line to running event loop: configuration, logging,
//! daemonizing, the database, the description files, the listener.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::auth::HashParams;
use crate::cli::Cli;
use crate::config::chat_backlog::ChatOverflow;
use crate::config::reload::Overrides;
use crate::config::{self, Config, RegistrationPolicy};
use crate::logging;
use crate::motd;
use crate::server::reload::ReloadSource;
use crate::server::{self, Server, ServerSetup};
use crate::store::Store;
use crate::workers::ReloadPaths;
use crate::zone::flood::Overflow;
use crate::zone::{self, Registration, Settings, Zone, chat::ChatLimits};

pub fn main() -> ExitCode {
    if let Some(code) = crate::completions::generate_if_asked::<Cli>("ggzd") {
        return code;
    }
    let cli = Cli::parse_with_paths();
    let overrides = Overrides {
        port: cli.port,
        foreground: cli.foreground,
        log_types: cli.log_types.clone(),
    };
    let (mut config, source) = match crate::paths::load_config(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("ggzd: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.specs {
        print_specs(&source, &config);
        return ExitCode::SUCCESS;
    }
    overrides.apply(&mut config);
    if cli.check_config {
        return crate::check_config::run(&config, &overrides);
    }
    let init = logging::setup_for(&config.logging, cli.foreground, &cli.log_types)
        .and_then(|setup| logging::init(&setup));
    if let Err(e) = init {
        eprintln!("ggzd: {e}");
        return ExitCode::from(2);
    }
    let source = ReloadSource {
        config_file: cli.config.clone(),
        overrides,
    };
    match run(&cli, config, source) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("ggzd: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_specs(source: &crate::paths::ConfigSource, config: &Config) {
    println!("ggzd {} (GGZ Gaming Zone server, Rust)", crate::VERSION);
    println!("protocol version: {}", crate::PROTOCOL_VERSION);
    println!("layout: {}", crate::paths::Paths::current().layout);
    println!("configuration: {source}");
    let d = &config.directories;
    for (key, dir) in [
        ("data_dir", &d.data_dir),
        ("conf_dir", &d.conf_dir),
        ("game_dir", &d.game_dir),
        ("games_dir", &d.games_dir),
        ("rooms_dir", &d.rooms_dir),
    ] {
        println!("{key}: {}", dir.display());
    }
    println!("debug build: {}", cfg!(debug_assertions));
    println!("database: SQLite {} (bundled)", rusqlite::version());
    println!("password hashing: argon2id (legacy GGZ hashes verified, then replaced)");
    println!("TLS: rustls (ring); offered when [tls] names a certificate and key");
    println!("Zeroconf: no");
    println!(
        "reconfiguration: SIGHUP reloads ggzd.toml, MOTD, rooms, game descriptions and the TLS certificate, and reopens the log"
    );
    println!("Unicode usernames: by policy");
}

fn run(cli: &Cli, config: Config, source: ReloadSource) -> io::Result<()> {
    config
        .validate()
        .map_err(|e| io::Error::other(e.to_string()))?;
    if nix::unistd::geteuid().is_root() {
        log::warn!("running as root; run ggzd as a dedicated user instead");
    }
    raise_fd_limit();
    crate::abuse::malloc::return_large_blocks();
    close_on_exec_inherited();
    // A certificate that cannot be used is a startup error; on SIGHUP the
    // old pair stays instead.
    let tls = match config.tls.files() {
        Some((cert, key)) => {
            let loaded = server::tls::load_server_config(&cert, &key)
                .map_err(|e| io::Error::other(format!("tls: {e}")))?;
            log::info!("TLS offered with {}", cert.display());
            Some(server::TlsSetup { config: loaded })
        }
        None => None,
    };
    let dirs = &config.directories;
    std::fs::create_dir_all(&dirs.data_dir)?;
    // Before binding: a second ggzd on this data (and so usually this
    // port) hears why it may not run, not that the port is in use.
    let mut pid_file = crate::pidfile::PidFile::lock(&dirs.data_dir)?;
    // The listener is bound before daemonizing so that a port in use is
    // reported to whoever started us.
    let activated = crate::systemd::Activated::from_env()?;
    let listener = match activated.main {
        // Socket activation: systemd owns the address; use its listener.
        Some(fd) => {
            let listener = std::net::TcpListener::from(fd);
            listener.set_nonblocking(true)?;
            log::info!("using the listening socket passed by the service manager");
            mio::net::TcpListener::from_std(listener)
        }
        None => {
            let addr = SocketAddr::new(config.network.interface, config.network.port);
            server::listener::bind(addr, config.network.listen_backlog as i32)
                .map_err(|e| io::Error::other(format!("cannot listen on {addr}: {e}")))?
        }
    };
    let web_listener = match (activated.web, config.web.listen) {
        // Socket activation (FileDescriptorName=web) wins over web.listen.
        (Some(fd), _) => {
            let listener = std::net::TcpListener::from(fd);
            listener.set_nonblocking(true)?;
            log::info!("web: using the listening socket passed by the service manager");
            Some(mio::net::TcpListener::from_std(listener))
        }
        (None, Some(addr)) => Some(
            server::listener::bind(addr, config.network.listen_backlog as i32)
                .map_err(|e| io::Error::other(format!("web: cannot listen on {addr}: {e}")))?,
        ),
        (None, None) => None,
    };
    let web = match web_listener {
        Some(listener) => Some(server::WebSetup {
            listener,
            config: config.web.clone(),
            site: crate::web::static_files::Site::load(config.web.static_dir.as_deref())
                .map_err(io::Error::other)?,
        }),
        None => None,
    };
    if !cli.foreground {
        daemonize()?;
    }
    pid_file.write_pid()?;

    let target = config
        .database
        .target(&dirs.data_dir)
        .map_err(io::Error::other)?;
    log::info!("database: {}", target.shown());
    let mut store = Store::connect(&target).map_err(|e| io::Error::other(e.to_string()))?;
    let reload_paths = ReloadPaths::from_config(&config);
    let loaded = server::load_descriptions(&reload_paths)?;
    let now = zone::unix_now();
    for game in &loaded.games {
        for (bot, _) in &game.named_bots {
            let canonical = config::canonical_name(bot);
            if let Err(e) = store.ensure_bot_account(&canonical, now) {
                log::error!("cannot register bot account {bot}: {e}");
            }
        }
    }
    drop(store);
    // Each game server runs in its own working directory.
    for game in &loaded.games {
        let dir = config
            .directories
            .data_dir
            .join("gamedata")
            .join(game.name.get(None));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            log::warn!("cannot create {}: {e}", dir.display());
        }
    }
    log::info!(
        "loaded {} game(s) and {} room(s)",
        loaded.games.len(),
        loaded.rooms.len()
    );

    let settings = settings(&config, listener.local_addr()?.port());
    let zone = Zone::new(
        settings,
        loaded.games,
        loaded.rooms,
        loaded.motd,
        Instant::now(),
    );
    let workers = config.workers.effective_threads();
    let server = Server::new(
        zone,
        ServerSetup {
            listener,
            output_queue_limit: config.network.output_queue_limit,
            send_buffer: config.abuse.send_buffer as usize,
            workers,
            store: target,
            hash_params: HashParams {
                memory_kib: config.auth.argon2_memory_kib,
                iterations: config.auth.argon2_iterations,
                parallelism: config.auth.argon2_parallelism,
            },
            config: config.clone(),
            reload: source,
            notifier: crate::systemd::Notifier::from_env(),
            watchdog: crate::systemd::watchdog_interval(),
            operator: server::OperatorSetup {
                control_socket: (!config.control.socket.as_os_str().is_empty())
                    .then(|| dirs.data_dir.join(&config.control.socket)),
                control_mode: config.control.mode,
                control_group: config.control.group.clone(),
                control_max: config.control.max_connections as usize,
                metrics: config.metrics.listen,
            },
            tls,
            web,
        },
    )?;
    if let Some(addr) = server.web_addr() {
        // Worded apart from the line below, which tools wait for.
        log::info!(
            "web: WebSocket clients at {}://{addr}/ws",
            config.web.ws_scheme()
        );
        log::info!(
            "web: the web client at {}://{addr}/",
            if config.web.tls { "https" } else { "http" }
        );
    }
    log::info!("listening on {}", server.local_addr()?);
    let result = server.run();
    pid_file.remove();
    result
}

/// The zone's settings from a configuration; also used by reloads.
pub(crate) fn settings(config: &Config, port: u16) -> Settings {
    let (hostname, os, cpu) = motd::system_facts();
    let t = &config.timing;
    let lag =
        |i: usize| Duration::from_millis(u64::from(t.lag_classes.get(i).copied().unwrap_or(0)));
    Settings {
        server_name: config.server.name.clone(),
        admin_name: config.server.admin_name.clone(),
        admin_email: config.server.admin_email.clone(),
        web_motd: config.files.web_motd.clone(),
        port,
        hostname,
        os,
        cpu,
        registration: match config.policy.registration {
            RegistrationPolicy::Open | RegistrationPolicy::ConfirmLater => Registration::Open,
            RegistrationPolicy::Confirm => Registration::Confirm,
            RegistrationPolicy::Closed => Registration::Closed,
        },
        username: config.policy.username.clone(),
        login_timeout: config.network.login_timeout(),
        ping_frequency: t.ping_interval(),
        first_ping_delay: Duration::from_secs(u64::from(t.first_ping_delay)),
        lag_classes: [lag(0), lag(1), lag(2), lag(3)],
        room_update_frequency: t.room_update_interval(),
        max_clients: config.network.max_clients as usize,
        max_clients_per_ip: config.network.max_clients_per_ip as usize,
        max_tables: config.limits.max_tables as usize,
        chat: ChatLimits {
            burst: config.limits.chat_burst as f32,
            rate: config.limits.chat_rate as f32,
            max_length: config.limits.chat_max_length,
            backlog_lines: config.chat_backlog.lines as usize,
            backlog_bytes: config.chat_backlog.bytes as usize,
            overflow: match config.chat_backlog.overflow {
                ChatOverflow::Refuse => Overflow::Refuse,
                ChatOverflow::Disconnect => Overflow::Disconnect,
            },
        },
        gamedata_dir: config.directories.data_dir.join("gamedata"),
        launch_timeout: Duration::from_secs(u64::from(t.launch_timeout.max(1))),
        abuse: config.abuse.limits(config.workers.effective_threads()),
        tls: crate::zone::TlsPolicy {
            offered: config.tls.enabled(),
            login_requires_tls: config.tls.login_requires_tls,
        },
        tables: config.tables.clone(),
        rejoin: config.rejoin.clone(),
        replays: crate::zone::replays::ReplaySettings::new(config),
    }
}

/// Descriptors inherited from whoever started us (a shell, cargo's
/// jobserver, a supervisor) must not reach game servers.
fn close_on_exec_inherited() {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: F_SETFD on a descriptor number only changes its flag; a
        // number that was the directory handle is already closed (EBADF).
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

/// Each client is a descriptor: take the hard limit.
fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard)
    {
        log::warn!("cannot raise the descriptor limit: {e}");
    }
}

/// The classic detach: fork, new session, stdio to /dev/null.
fn daemonize() -> io::Result<()> {
    use nix::unistd::{ForkResult, fork, setsid};
    use std::os::fd::AsRawFd;
    // SAFETY: called before any thread is started, so the child is a
    // faithful copy of a single-threaded process.
    match unsafe { fork() }? {
        ForkResult::Parent { .. } => std::process::exit(0),
        ForkResult::Child => {}
    }
    setsid()?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..=2 {
        // SAFETY: dup2 onto the standard descriptors; `null` stays open
        // for the duration of the call.
        if unsafe { libc::dup2(null.as_raw_fd(), fd) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
