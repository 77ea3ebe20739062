//! The event loop: one thread, one `mio::Poll`, owning every socket and all
//! zone state. Sockets become typed events for the zone; the zone's effects
//! become queued bytes, closes, timers and worker jobs. Output is written
//! once per loop turn with `writev`, so a burst of chat costs one syscall
//! per recipient, not one per message.

mod cluster;
mod cluster_registry;
mod conn;
mod contain;
mod control;
pub mod listener;
mod metrics_http;
mod operator;
mod relay;
pub mod reload;
mod signals;
mod tables;
mod timers;
pub mod tls;
mod web;
mod wss;

use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::config::Config;
use crate::games::GameDesc;
use crate::logging;
use crate::motd::Motd;
use crate::proto::decoder::Event;
use crate::rooms::RoomDesc;
use crate::workers::{ReloadPaths, Workers};
use crate::zone::{
    Close, ConnId, Job, JobDone, Moderator, Msg, Sink, SpawnSpec, TableSerial, TimerKey, Zone,
};
use conn::{Conn, Flush, TlsRead, Transport};
use ggzdmod::wire::ToGame;
pub use operator::OperatorSetup;
pub use signals::Signal;
use signals::Signals;
use std::os::fd::OwnedFd;
use tables::{GameProcesses, TABLE_BASE};
use timers::{Timer, Timers};

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const SIGNAL_BASE: usize = 2;
/// The `[web]` listener, below the connections and above the signals.
const WEB_LISTENER: Token = Token(15);
/// Connection tokens start above the fixed ones.
const CONN_BASE: usize = 16;

/// Bytes read from a socket per call.
const READ_CHUNK: usize = 64 * 1024;
/// How long a closing connection may take to read what is queued for it.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What the event loop needs besides the zone.
pub struct ServerSetup {
    pub listener: TcpListener,
    pub output_queue_limit: usize,
    /// SO_SNDBUF of client sockets; 0 = the kernel's autotuning.
    pub send_buffer: usize,
    pub workers: usize,
    /// The database every worker opens.
    pub store: crate::store::StoreTarget,
    pub hash_params: crate::auth::HashParams,
    /// The running configuration, command line applied.
    pub config: Config,
    /// Where SIGHUP reads the configuration again.
    pub reload: reload::ReloadSource,
    /// The service manager, when started by systemd with `Type=notify`.
    pub notifier: Option<crate::systemd::Notifier>,
    pub watchdog: Option<Duration>,
    /// The control socket and the metrics endpoint.
    pub operator: OperatorSetup,
    /// TLS for `TLS_START`, when configured.
    pub tls: Option<TlsSetup>,
    /// The `[web]` listener and its settings, when configured.
    pub web: Option<WebSetup>,
}

pub struct WebSetup {
    pub listener: TcpListener,
    pub config: crate::config::web::WebConfig,
    /// The web client's files (embedded, or `web.static_dir`).
    pub site: crate::web::static_files::Site,
}

/// The TLS settings loaded at startup. A reload reads the files the
/// re-read configuration names (`reload.rs`).
pub struct TlsSetup {
    pub config: Arc<rustls::ServerConfig>,
}

type ReloadResult = Result<Box<reload::Outcome>, String>;

/// The description files and the MOTD, as loaded at startup and on SIGHUP.
pub struct Reloaded {
    pub games: Vec<GameDesc>,
    pub rooms: Vec<RoomDesc>,
    pub motd: Motd,
}

/// Everything the zone's effects act on. Kept apart from the zone so that
/// the zone can borrow it mutably as its [`Sink`].
struct Io {
    poll: Poll,
    conns: Vec<Option<Conn>>,
    generations: Vec<u32>,
    free_slots: Vec<u32>,
    timers: Timers,
    workers: Workers,
    output_queue_limit: usize,
    send_buffer: usize,
    /// Connections whose queues have bytes to write this turn.
    dirty: Vec<ConnId>,
    /// Connections to drop because they stopped reading.
    overflowed: Vec<ConnId>,
    /// Connections the zone asked to close.
    closing: Vec<ConnId>,
    games: GameProcesses,
    /// Control sockets with data left after a read budget ran out.
    tables_to_read: Vec<Token>,
    /// Bytes queued for all clients, and the peak since memory was last
    /// given back: see `Server::give_back_memory`.
    queued_bytes: usize,
    queued_peak: usize,
    /// What a `TLS_START` handshakes with; replaced on SIGHUP. Sessions
    /// already running keep the settings they started with.
    tls: Option<Arc<rustls::ServerConfig>>,
    /// `[web]`, for routing requests and framing.
    web: Arc<crate::config::web::WebConfig>,
    /// The web client's files, replaced on SIGHUP.
    site: Arc<crate::web::static_files::Site>,
    /// Game channels over WebSocket, relayed (`relay.rs`).
    relays: Vec<Option<relay::RelayConn>>,
    /// Node links and the registry, when this is a cluster node.
    cluster: Option<cluster::ClusterIo>,
}

pub struct Server {
    zone: Zone,
    io: Io,
    listener: TcpListener,
    listening: bool,
    web_listener: Option<TcpListener>,
    signals: Signals,
    waker: Arc<Waker>,
    /// The configuration in force; a reload compares against it.
    config: Config,
    reload_source: reload::ReloadSource,
    reload_tx: mpsc::Sender<ReloadResult>,
    reload_rx: mpsc::Receiver<ReloadResult>,
    /// A reload thread is at work; another SIGHUP waits for it.
    reload_running: bool,
    reload_again: bool,
    shutting_down: bool,
    scratch: Vec<u8>,
    notifier: Option<crate::systemd::Notifier>,
    watchdog: Option<Duration>,
    operator: operator::Operator,
}

impl Server {
    pub fn new(mut zone: Zone, setup: ServerSetup) -> io::Result<Server> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let mut listener = setup.listener;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let signals = Signals::install(poll.registry(), SIGNAL_BASE)?;
        let operator = operator::Operator::open(&setup.operator, poll.registry())?;
        let (mut web_listener, web_config, site) = match setup.web {
            Some(w) => (Some(w.listener), w.config, w.site),
            None => (
                None,
                Default::default(),
                crate::web::static_files::Site::embedded(),
            ),
        };
        if let Some(l) = &mut web_listener {
            poll.registry()
                .register(l, WEB_LISTENER, Interest::READABLE)?;
        }
        tables::become_subreaper();
        let workers = Workers::start(
            setup.workers,
            &setup.store,
            setup.hash_params,
            Arc::clone(&waker),
        )
        .map_err(|e| io::Error::other(e.to_string()))?;
        let cluster = cluster::ClusterIo::start(
            &setup.config.cluster,
            &setup.store,
            poll.registry(),
            Arc::clone(&waker),
            &mut zone,
        )?;
        let (reload_tx, reload_rx) = mpsc::channel();
        // The files are named by the configuration, which a reload reads
        // again: only the loaded pair is kept here.
        let tls = setup.tls.map(|t| t.config);
        Ok(Server {
            zone,
            io: Io {
                poll,
                conns: Vec::new(),
                generations: Vec::new(),
                free_slots: Vec::new(),
                timers: Timers::default(),
                workers,
                output_queue_limit: setup.output_queue_limit,
                send_buffer: setup.send_buffer,
                dirty: Vec::new(),
                overflowed: Vec::new(),
                closing: Vec::new(),
                games: GameProcesses::default(),
                tables_to_read: Vec::new(),
                queued_bytes: 0,
                queued_peak: 0,
                tls,
                web: Arc::new(web_config),
                site: Arc::new(site),
                relays: Vec::new(),
                cluster,
            },
            listener,
            listening: true,
            web_listener,
            signals,
            waker,
            config: setup.config,
            reload_source: setup.reload,
            reload_tx,
            reload_rx,
            reload_running: false,
            reload_again: false,
            shutting_down: false,
            scratch: vec![0; READ_CHUNK],
            notifier: setup.notifier,
            watchdog: setup.watchdog,
            operator,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where the `[web]` listener is bound, when there is one.
    pub fn web_addr(&self) -> Option<SocketAddr> {
        self.web_listener.as_ref()?.local_addr().ok()
    }

    /// Jobs to run before serving (e.g. registering bot accounts).
    pub fn submit(&mut self, job: Job) {
        self.io.workers.submit(job);
    }

    /// Runs until SIGTERM or SIGINT, and every client has been told.
    pub fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        if let Some(notifier) = &self.notifier {
            notifier.ready();
        }
        if let Some(interval) = self.watchdog {
            self.io
                .timers
                .add(Instant::now() + interval, Timer::Watchdog);
        }
        self.start_status_updates(Instant::now());
        if let (Some(_), Some(interval)) = (&self.web_listener, self.io.web.ping_interval()) {
            self.io
                .timers
                .add(Instant::now() + interval, Timer::WebPing);
        }
        // A turn's log lines go out together, before the loop sleeps.
        logging::batch_this_thread();
        loop {
            logging::flush_batch();
            let now = Instant::now();
            let timeout = if self.io.tables_to_read.is_empty() {
                self.io.timers.timeout(now)
            } else {
                Some(Duration::ZERO)
            };
            if let Err(e) = self.io.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                logging::flush_batch();
                return Err(e);
            }
            let now = Instant::now();
            for token in std::mem::take(&mut self.io.tables_to_read) {
                if self.io.games.on_ready(token, true, false) {
                    self.io.tables_to_read.push(token);
                }
            }
            self.deliver_table_events(now);
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(now),
                    WEB_LISTENER => self.accept_web(now),
                    WAKER => self.collect_completions(now),
                    token if self.operator.owns(token) => {
                        self.on_operator_event(token, event.is_writable(), now)
                    }
                    token if token.0 >= TABLE_BASE => {
                        if self.io.games.on_ready(
                            token,
                            event.is_readable() || event.is_read_closed(),
                            event.is_writable(),
                        ) {
                            self.io.tables_to_read.push(token);
                        }
                        self.deliver_table_events(now);
                    }
                    token if token.0 >= relay::RELAY_BASE => self.io.pump_relay(token),
                    token if cluster::owns(token) => self.on_cluster_ready(
                        token,
                        event.is_readable() || event.is_read_closed() || event.is_error(),
                        event.is_writable(),
                        now,
                    ),
                    token if token.0 >= CONN_BASE => {
                        let slot = (token.0 - CONN_BASE) as u32;
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            let hung_up = event.is_read_closed() || event.is_error();
                            self.read(slot, hung_up, now);
                        }
                        if event.is_writable()
                            && let Some(id) = self.io.conn_id(slot)
                        {
                            if let Some(conn) = self.io.conn_mut(slot) {
                                conn.write_blocked = false;
                            }
                            self.io.mark_dirty(id);
                        }
                    }
                    token => {
                        if let Some(signal) = self.signals.take(token) {
                            self.on_signal(signal, now);
                        }
                    }
                }
            }
            self.fire_timers(now);
            self.deliver_table_events(now);
            self.cluster_turn(now);
            self.settle(now);
            self.cluster_flush();
            if self.io.games.sweep_due(now) {
                // Tables ended this turn: one /proc scan for all of them.
                if let Some(next) = self.io.games.sweep(now) {
                    self.io.timers.add(next, Timer::KillOverdue);
                }
            }
            self.give_back_memory();
            if self.shutting_down
                && self.io.live_connections() == 0
                && self.io.games.live() == 0
                && self.io.games.dying() == 0
            {
                break;
            }
        }
        self.io.games.kill_all_and_wait();
        if let Some(cluster) = self.io.cluster.take() {
            cluster.stop();
        }
        log::info!("ggzd stopped");
        logging::flush_batch();
        self.io.workers.shutdown();
        Ok(())
    }

    /// Hands what game servers did to the zone; the zone's reactions may
    /// produce more events (e.g. a failed send), handled in the same turn.
    fn deliver_table_events(&mut self, now: Instant) {
        loop {
            let events = std::mem::take(&mut self.io.games.events);
            if events.is_empty() {
                break;
            }
            for (serial, event) in events {
                self.zone.on_table_event(serial, event, now, &mut self.io);
            }
        }
    }

    fn on_signal(&mut self, signal: Signal, now: Instant) {
        match signal {
            Signal::Terminate if !self.shutting_down => {
                log::info!("shutting down");
                if let Some(notifier) = &self.notifier {
                    notifier.stopping();
                }
                self.shutting_down = true;
                self.stop_listening();
                self.zone.shutdown(now, &mut self.io);
                self.io
                    .timers
                    .add(now + SHUTDOWN_GRACE, Timer::ShutdownDeadline);
            }
            Signal::Terminate => {}
            Signal::Reload => self.request_reload(),
            Signal::Child => {
                self.io.games.reap();
                self.deliver_table_events(now);
            }
        }
    }

    fn stop_listening(&mut self) {
        if self.listening {
            let _ = self.io.poll.registry().deregister(&mut self.listener);
            self.listening = false;
        }
        if self.shutting_down
            && let Some(mut web) = self.web_listener.take()
        {
            let _ = self.io.poll.registry().deregister(&mut web);
        }
    }

    /// SIGHUP or the control socket asks for a reload: one at a time, a
    /// request during a reload starts another once this one is done.
    pub(super) fn request_reload(&mut self) {
        if self.reload_running {
            self.reload_again = true;
            return;
        }
        if let Some(notifier) = &self.notifier {
            notifier.reloading();
        }
        self.reload_started();
        self.start_reload();
    }

    /// Reads the configuration and the files it names on a helper thread;
    /// the result comes back through the waker. One at a time: a SIGHUP
    /// during a reload starts another once this one is done.
    fn start_reload(&mut self) {
        log::info!("SIGHUP: reloading the configuration, MOTD, rooms and game descriptions");
        // Out before the helper thread's lines, which are written at once.
        logging::flush_batch();
        let source = self.reload_source.clone();
        let running = self.config.clone();
        let port = self.zone.settings().port;
        let tx = self.reload_tx.clone();
        let waker = Arc::clone(&self.waker);
        let spawned = std::thread::Builder::new()
            .name("ggzd-reload".into())
            .spawn(move || {
                let _ = tx.send(reload::reload(&source, &running, port));
                let _ = waker.wake();
            });
        match spawned {
            Ok(_) => self.reload_running = true,
            Err(e) => {
                log::error!("cannot start reload: {e}");
                self.reload_ended(Err(format!("cannot start reload: {e}")), Instant::now());
            }
        }
    }

    /// Applies a reload the helper thread prepared.
    fn apply_reload(&mut self, outcome: Box<reload::Outcome>, now: Instant) {
        let reload::Outcome {
            config,
            plan,
            mut settings,
            games,
            rooms,
            motd,
            tls,
            site,
        } = *outcome;
        for key in &plan.needs_restart {
            let at = match (config.source_file(), config.line_of(key)) {
                (Some(file), Some(line)) => format!("{}:{line}: ", file.display()),
                (Some(file), None) => format!("{}: ", file.display()),
                (None, _) => String::new(),
            };
            log::warn!("{at}key '{key}' changed; it takes effect only after a restart");
        }
        if !plan.changed.is_empty() {
            log::info!("configuration changed in: {}", plan.changed.join(", "));
        }
        match tls {
            reload::TlsMaterial::Off => {
                if self.io.tls.take().is_some() {
                    log::info!("TLS is no longer offered");
                }
            }
            reload::TlsMaterial::Loaded(pair) => {
                self.io.tls = Some(pair);
                log::info!("TLS certificate and key reloaded");
            }
            reload::TlsMaterial::Failed(e) => {
                // A pair that cannot be used is not taken: the old one
                // stays, and so does what the greeting says about TLS.
                log::error!("TLS reload failed, keeping the old certificate: {e}");
                settings.tls = self.zone.settings().tls;
            }
        }
        self.io.output_queue_limit = config.network.output_queue_limit;
        self.io.send_buffer = config.abuse.send_buffer as usize;
        // New WebSocket connections take the new limits; the listener
        // itself stays (web.listen needs a restart).
        self.io.web = Arc::new(config.web.clone());
        match site {
            Ok(site) => self.io.site = site,
            // Like a TLS pair: files that cannot be served leave the old
            // ones in place.
            Err(e) => log::error!("web client files not reloaded, keeping the old ones: {e}"),
        }
        self.zone.apply_settings(settings, now, &mut self.io);
        self.zone.reload(games, rooms, motd, now, &mut self.io);
        self.config = config;
        log::info!("reload done");
    }

    /// A reload ended (applied or refused): start the one a SIGHUP asked
    /// for meanwhile, or tell the service manager we are ready again.
    fn reload_ended(&mut self, result: Result<(), String>, now: Instant) {
        self.reload_running = false;
        if std::mem::take(&mut self.reload_again) {
            self.start_reload();
            if self.reload_running {
                return;
            }
        }
        // The control socket's bookkeeping and answers.
        self.reload_finished(result, now);
        if let Some(notifier) = &self.notifier {
            notifier.ready();
        }
    }

    fn collect_completions(&mut self, now: Instant) {
        let done: Vec<JobDone> = self.io.workers.completed().collect();
        for result in done {
            match result {
                JobDone::Login { conn, outcome } => {
                    self.zone.on_login_done(conn, outcome, now, &mut self.io)
                }
                JobDone::GameReport {
                    table,
                    game,
                    updated,
                } => self
                    .zone
                    .on_report_done(table, game, updated, now, &mut self.io),
                JobDone::Rankings { conn, rows } => {
                    self.zone.on_rankings_done(conn, rows, &mut self.io)
                }
                JobDone::Banned {
                    admin: Moderator::Player(admin),
                    stored,
                } => self.zone.on_banned(admin, stored, &mut self.io),
                JobDone::Banned {
                    admin: Moderator::Operator(ticket),
                    stored,
                } => self.operator_ban_done(ticket, stored, now),
                JobDone::Permissions(rows) => {
                    self.zone.on_permissions_refreshed(rows, now, &mut self.io)
                }
                JobDone::PermissionsStored {
                    admin,
                    target,
                    perms,
                    stored,
                } => self
                    .zone
                    .on_permissions_stored(admin, target, perms, stored, &mut self.io),
                JobDone::Nothing => {}
            }
        }
        while let Ok(reloaded) = self.reload_rx.try_recv() {
            let result = match reloaded {
                Ok(outcome) => {
                    self.apply_reload(outcome, now);
                    Ok(())
                }
                // The refusal was logged by the helper thread. Permissions
                // live in the database, not the file: ggzduedit's SIGHUP
                // still takes effect.
                Err(e) => {
                    self.zone.refresh_permissions(&mut self.io);
                    Err(e)
                }
            };
            self.reload_ended(result, now);
        }
    }

    fn accept(&mut self, now: Instant) {
        while self.listening {
            match self.listener.accept() {
                Ok((stream, addr)) => self.add_connection(stream, addr, now, None),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Out of descriptors, most likely: pause instead of
                    // spinning on a listener that stays readable.
                    log::warn!("accept failed: {e}; pausing");
                    self.stop_listening();
                    self.io.timers.add(now + ACCEPT_PAUSE, Timer::ResumeAccept);
                    break;
                }
            }
        }
    }

    fn add_connection(
        &mut self,
        stream: mio::net::TcpStream,
        addr: SocketAddr,
        now: Instant,
        web: Option<web::WebConn>,
    ) {
        let _ = stream.set_nodelay(true);
        listener::bound_send_buffer(&stream, self.io.send_buffer);
        let Some(id) = self.io.insert(stream, addr) else {
            return;
        };
        if let Some(web) = web
            && let Some(conn) = self.io.conn_mut_by_id(id)
        {
            conn.transport = Transport::Web(Box::new(web));
        }
        if !self.zone.connected(id, addr.ip(), now, &mut self.io) {
            log::debug!("connection from {addr} refused");
        }
    }

    /// Reads whatever the socket has and feeds it through the decoder.
    /// `hung_up`: the peer's end (or an error) was reported with the data,
    /// so reading goes on until the socket says so.
    fn read(&mut self, slot: u32, hung_up: bool, now: Instant) {
        loop {
            let Some(conn) = self.io.conn_mut(slot) else {
                return;
            };
            if conn.reading_stopped || conn.closing.is_some() || conn.eof {
                return;
            }
            let id = conn.id;
            if conn.is_web() {
                return self.read_web(slot, now);
            }
            if conn.is_tls() {
                return self.read_tls(slot, now);
            }
            // Before a connection is known to be a player it may be a game
            // channel, whose bytes after `</SESSION>` belong to the game:
            // peek, and take only what the decoder used.
            let exact = self.zone.wants_exact_reads(id);
            let read = if exact {
                conn.peek(&mut self.scratch)
            } else {
                conn.stream.read(&mut self.scratch)
            };
            match read {
                Ok(0) => {
                    self.peer_finished(slot, now);
                    return;
                }
                Ok(n) => {
                    if !self.process_input(slot, n, exact, now) {
                        return;
                    }
                    if self.io.conn_mut(slot).is_some_and(|c| c.is_tls()) {
                        // Just switched: the ClientHello may be waiting.
                        continue;
                    }
                    // A short read emptied the socket. Readiness is
                    // edge-triggered, so bytes that arrive later raise a
                    // new event: the read that would only say "would
                    // block" is one syscall per message saved. An end
                    // already reported raises no new event: read on to it.
                    if n < self.scratch.len() && !hung_up {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.drop_connection(id, now);
                    return;
                }
            }
        }
    }

    /// Reads a TLS connection until its socket is empty: decrypted bytes go
    /// through the decoder like plain ones; handshake records to send make
    /// the connection dirty. A TLS failure costs only this connection.
    fn read_tls(&mut self, slot: u32, now: Instant) {
        loop {
            let Some(conn) = self.io.conn_mut(slot) else {
                return;
            };
            if conn.reading_stopped || conn.closing.is_some() {
                return;
            }
            let id = conn.id;
            let step = conn.read_tls(&mut self.scratch);
            let wants_write = conn.tls_wants_write();
            if wants_write {
                self.io.mark_dirty(id);
            }
            match step {
                TlsRead::Data(n) => {
                    if !self.process_input(slot, n, false, now) {
                        return;
                    }
                }
                TlsRead::Again => return,
                TlsRead::Closed => {
                    self.drop_connection(id, now);
                    return;
                }
                TlsRead::Failed(why) => {
                    log::info!(target: "connections", "TLS failed: {why}");
                    self.drop_connection(id, now);
                    return;
                }
            }
        }
    }

    /// Decodes `n` fresh bytes from the scratch buffer. Returns whether the
    /// caller may read on.
    fn process_input(&mut self, slot: u32, n: usize, peeked: bool, now: Instant) -> bool {
        let Some(conn) = self.io.conn_mut(slot) else {
            return false;
        };
        let id = conn.id;
        let fresh = self.scratch.get(..n).unwrap_or_default();
        let held = conn.inbuf.len();
        let mut buffer = std::mem::take(&mut conn.inbuf);
        buffer.extend_from_slice(fresh);
        let mut pos = 0;
        let mut ended_at = None;
        let mut switched_at = None;
        loop {
            let Some(conn) = self.io.conn_mut(slot) else {
                return false;
            };
            if conn.id != id || conn.closing.is_some() || conn.reading_stopped {
                break;
            }
            let progress = match conn.decoder.feed(buffer.get(pos..).unwrap_or_default()) {
                Ok(p) => p,
                Err(error) => {
                    self.zone.on_decode_error(id, &error, now, &mut self.io);
                    return false;
                }
            };
            pos += progress.consumed;
            let ended = matches!(progress.event, Some(Event::SessionEnd));
            match progress.event {
                Some(event) => self.zone.on_event(id, event, now, &mut self.io),
                None if progress.consumed == 0 => break,
                None => {}
            }
            if let Some(conn) = self.io.conn_mut(slot)
                && conn.id == id
                && let Transport::Switching(_) = conn.transport
            {
                // TLS_START: the next byte is the ClientHello's.
                switched_at = Some(pos);
                break;
            }
            if ended {
                // Clients end every element with a newline; the original
                // swallowed it with its buffered reads, and game servers
                // must not see it as the first byte of their protocol.
                let trailing = buffer
                    .get(pos..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|b| matches!(b, b'\n' | b'\r' | b' ' | b'\t'))
                    .count();
                ended_at = Some(pos + trailing);
                break;
            }
        }
        let Some(conn) = self.io.conn_mut(slot) else {
            return false;
        };
        if conn.id != id {
            return false;
        }
        if peeked {
            // Take from the socket exactly the bytes the decoder used (or,
            // short of `</SESSION>`, everything peeked).
            let take = match ended_at.or(switched_at) {
                Some(end) => end.saturating_sub(held),
                None => n,
            };
            if conn.discard(take, &mut self.scratch).is_err() {
                self.drop_connection(id, now);
                return false;
            }
        }
        if ended_at.is_some() {
            return false;
        }
        if switched_at.is_some() {
            let rest = buffer.get(pos..).unwrap_or_default();
            // The zone switches only fresh connections, which are read
            // with peeks: the TLS bytes are still in the socket.
            if !peeked && !rest.is_empty() {
                log::warn!("TLS_START on a connection read ahead; dropping it");
                self.drop_connection(id, now);
                return false;
            }
            let Some(conn) = self.io.conn_mut(slot) else {
                return false;
            };
            conn.inbuf = Vec::new();
            if let Transport::Switching(tls) =
                std::mem::replace(&mut conn.transport, Transport::Plain)
            {
                conn.transport = Transport::Tls(tls);
            }
            // Read on: the ClientHello may already be there.
            return true;
        }
        buffer.drain(..pos.min(buffer.len()));
        if buffer.len() > 1024 || buffer.capacity() <= 4096 {
            conn.inbuf = buffer;
        } else {
            // Keep idle connections small.
            conn.inbuf = buffer.as_slice().to_vec();
        }
        conn.closing.is_none() && !conn.reading_stopped
    }

    fn fire_timers(&mut self, now: Instant) {
        while let Some((deadline, timer)) = self.io.timers.pop_due(now) {
            match timer {
                Timer::Zone(key) => self.zone.on_timer(key, deadline, now, &mut self.io),
                Timer::CloseDeadline(id) => {
                    if self.io.conn(id).is_some() {
                        self.drop_connection(id, now);
                    }
                }
                Timer::ResumeAccept => {
                    if !self.shutting_down && !self.listening {
                        let registered = self.io.poll.registry().register(
                            &mut self.listener,
                            LISTENER,
                            Interest::READABLE,
                        );
                        self.listening = registered.is_ok();
                        self.accept(now);
                    }
                }
                Timer::ShutdownDeadline => {
                    for id in self.io.all_ids() {
                        self.drop_connection(id, now);
                    }
                    self.io.games.kill_all_and_wait();
                }
                Timer::KillOverdue => {
                    if let Some(next) = self.io.games.sweep(now) {
                        self.io.timers.add(next, Timer::KillOverdue);
                    }
                }
                Timer::Status => self.update_status(now),
                Timer::WebPing => self.ping_web(now),
                Timer::Watchdog => {
                    if let (Some(notifier), Some(interval)) = (&self.notifier, self.watchdog) {
                        notifier.watchdog();
                        self.io.timers.add(now + interval, Timer::Watchdog);
                    }
                }
            }
        }
    }

    /// After a turn's events: drop clients that stopped reading, write
    /// every dirty queue, and finish closes.
    fn settle(&mut self, now: Instant) {
        loop {
            let overflowed = std::mem::take(&mut self.io.overflowed);
            if overflowed.is_empty() {
                break;
            }
            for id in overflowed {
                log::info!(target: "connections", "dropping a client that does not read");
                self.operator.counters.output_drops += 1;
                self.drop_connection(id, now);
            }
        }
        let dirty = std::mem::take(&mut self.io.dirty);
        for id in dirty {
            let Some(conn) = self.io.conn_mut_by_id(id) else {
                continue;
            };
            conn.dirty = false;
            let before = conn.out_bytes;
            let outcome = conn.flush();
            let written = before.saturating_sub(conn.out_bytes);
            let (closing, stopped) = (conn.closing, conn.reading_stopped);
            self.io.queued_bytes = self.io.queued_bytes.saturating_sub(written);
            match outcome {
                Flush::Failed => self.drop_connection(id, now),
                Flush::Drained if closing.is_some() => {
                    if let Some(conn) = self.io.conn_mut_by_id(id) {
                        conn.close_notify();
                    }
                    self.drop_connection(id, now)
                }
                Flush::Drained if stopped => self.io.park_channel(id),
                Flush::Drained | Flush::Blocked => {}
            }
        }
        let closing = std::mem::take(&mut self.io.closing);
        for id in closing {
            let Some(conn) = self.io.conn_mut_by_id(id) else {
                continue;
            };
            match conn.closing {
                Some(Close::Now) => self.drop_connection(id, now),
                Some(Close::AfterFlush) if conn.outq.is_empty() && !conn.tls_wants_write() => {
                    conn.close_notify();
                    self.drop_connection(id, now)
                }
                Some(Close::AfterFlush) => {
                    self.io
                        .timers
                        .add(now + CLOSE_GRACE, Timer::CloseDeadline(id));
                }
                None => {}
            }
        }
    }

    /// After a burst (a thousand players entering one room means a million
    /// queued updates), the allocator keeps the freed queue memory. Once the
    /// queues have drained, hand it back to the system.
    fn give_back_memory(&mut self) {
        const BURST: usize = 8 << 20;
        if self.io.queued_bytes < (64 << 10) && self.io.queued_peak >= BURST {
            self.io.queued_peak = 0;
            // SAFETY: malloc_trim only releases free heap memory.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }

    /// The peer shut down its sending side (or closed). Answers already
    /// due, or pending in a worker, still go out before the close.
    fn peer_finished(&mut self, slot: u32, now: Instant) {
        let Some(conn) = self.io.conn_mut(slot) else {
            return;
        };
        conn.eof = true;
        let id = conn.id;
        if !self.zone.peer_finished(id, now, &mut self.io) {
            self.drop_connection(id, now);
        }
    }

    fn drop_connection(&mut self, id: ConnId, now: Instant) {
        if self.io.remove(id) {
            self.zone.disconnected(id, now, &mut self.io);
        }
    }
}

impl Io {
    fn conn_id(&self, slot: u32) -> Option<ConnId> {
        self.conns
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map(|c| c.id)
    }

    fn conn(&self, id: ConnId) -> Option<&Conn> {
        self.conns
            .get(id.slot as usize)
            .and_then(Option::as_ref)
            .filter(|c| c.id == id)
    }

    fn conn_mut(&mut self, slot: u32) -> Option<&mut Conn> {
        self.conns.get_mut(slot as usize).and_then(Option::as_mut)
    }

    fn conn_mut_by_id(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conn_mut(id.slot).filter(|c| c.id == id)
    }

    fn all_ids(&self) -> Vec<ConnId> {
        self.conns.iter().flatten().map(|c| c.id).collect()
    }

    fn live_connections(&self) -> usize {
        self.conns.iter().flatten().count()
    }

    fn insert(&mut self, mut stream: mio::net::TcpStream, addr: SocketAddr) -> Option<ConnId> {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.conns.push(None);
                self.generations.push(0);
                (self.conns.len() - 1) as u32
            }
        };
        let generation = self.generations.get(slot as usize).copied().unwrap_or(0);
        let id = ConnId { slot, generation };
        let token = Token(CONN_BASE + slot as usize);
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        ) {
            log::error!("cannot watch connection from {addr}: {e}");
            self.free_slots.push(slot);
            return None;
        }
        if let Some(entry) = self.conns.get_mut(slot as usize) {
            *entry = Some(Conn::new(id, stream));
        }
        Some(id)
    }

    /// Closes the socket and frees the slot. Returns false if it was gone.
    fn remove(&mut self, id: ConnId) -> bool {
        let Some(entry) = self.conns.get_mut(id.slot as usize) else {
            return false;
        };
        if entry.as_ref().is_none_or(|c| c.id != id) {
            return false;
        }
        if let Some(mut conn) = entry.take() {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.queued_bytes = self.queued_bytes.saturating_sub(conn.out_bytes);
        }
        if let Some(generation) = self.generations.get_mut(id.slot as usize) {
            *generation = generation.wrapping_add(1);
        }
        self.free_slots.push(id.slot);
        true
    }

    fn mark_dirty(&mut self, id: ConnId) {
        if let Some(conn) = self.conn_mut_by_id(id)
            && !conn.dirty
        {
            conn.dirty = true;
            self.dirty.push(id);
        }
    }

    /// Takes a prepared game channel out of the event loop: its socket is
    /// about to travel to a game server.
    fn take_channel(&mut self, id: ConnId, table: TableSerial) -> Option<OwnedFd> {
        if self.conn(id).is_some_and(Conn::is_web) {
            return self.take_web_channel(id, table);
        }
        let entry = self.conns.get_mut(id.slot as usize)?;
        if entry.as_ref().is_none_or(|c| c.id != id) {
            return None;
        }
        let mut conn = entry.take()?;
        if let Some(generation) = self.generations.get_mut(id.slot as usize) {
            *generation = generation.wrapping_add(1);
        }
        self.free_slots.push(id.slot);
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.queued_bytes = self.queued_bytes.saturating_sub(conn.out_bytes);
        if !matches!(conn.flush(), Flush::Drained) {
            log::warn!("a game channel still had unsent bytes at its hand-off");
        }
        Some(OwnedFd::from(conn.stream))
    }

    /// A prepared game channel waits, unwatched, for its hand-off.
    fn park_channel(&mut self, id: ConnId) {
        let registry = self.poll.registry();
        if let Some(conn) = self
            .conns
            .get_mut(id.slot as usize)
            .and_then(Option::as_mut)
            .filter(|c| c.id == id)
        {
            let _ = registry.deregister(&mut conn.stream);
        }
    }
}

impl Sink for Io {
    fn send(&mut self, to: ConnId, msg: &Msg) {
        let limit = self.output_queue_limit;
        let Some(conn) = self.conn_mut_by_id(to) else {
            return;
        };
        if conn.closing == Some(Close::Now) {
            return;
        }
        if conn.out_bytes + msg.len() > limit && !conn.write_blocked {
            // Queues are written at the end of a turn; a burst (hundreds of
            // players entering a room at once) can fill one before that.
            // Give the kernel what it takes now, before calling the client
            // a slow reader.
            let before = conn.out_bytes;
            let failed = matches!(conn.flush(), Flush::Failed);
            let written = before.saturating_sub(conn.out_bytes);
            self.queued_bytes = self.queued_bytes.saturating_sub(written);
            let Some(conn) = self.conn_mut_by_id(to) else {
                return;
            };
            if failed {
                conn.closing = Some(Close::Now);
                self.overflowed.push(to);
                return;
            }
        }
        let Some(conn) = self.conn_mut_by_id(to) else {
            return;
        };
        if !conn.enqueue(msg, limit) {
            conn.closing = Some(Close::Now);
            self.overflowed.push(to);
            return;
        }
        self.queued_bytes += msg.len();
        self.queued_peak = self.queued_peak.max(self.queued_bytes);
        self.mark_dirty(to);
    }

    fn close(&mut self, conn: ConnId, how: Close) {
        if let Some(c) = self.conn_mut_by_id(conn) {
            if c.closing != Some(Close::Now) {
                c.closing = Some(how);
            }
            self.closing.push(conn);
        }
    }

    fn start_tls(&mut self, conn: ConnId) {
        let Some(config) = self.tls.clone() else {
            self.close(conn, Close::Now);
            return;
        };
        let Some(c) = self.conn_mut_by_id(conn) else {
            return;
        };
        if c.is_web() {
            // wss is the listener's business, not TLS_START's
            // (docs/websocket.md).
            self.close(conn, Close::Now);
            return;
        }
        // Whatever is queued (the greeting, normally long written) goes
        // out plain, before the handshake; a client that left it unread
        // would take it for TLS.
        if !c.outq.is_empty() {
            let before = c.out_bytes;
            let drained = matches!(c.flush(), Flush::Drained);
            let written = before.saturating_sub(c.out_bytes);
            self.queued_bytes = self.queued_bytes.saturating_sub(written);
            if !drained {
                log::info!(target: "connections", "TLS_START with plain output unsent");
                self.close(conn, Close::Now);
                return;
            }
        }
        match tls::accept(&config) {
            Ok(session) => {
                if let Some(c) = self.conn_mut_by_id(conn) {
                    c.transport = Transport::Switching(session);
                }
            }
            Err(e) => {
                log::error!("cannot start TLS: {e}");
                self.close(conn, Close::Now);
            }
        }
    }

    fn stop_reading(&mut self, conn: ConnId) {
        if let Some(c) = self.conn_mut_by_id(conn) {
            c.reading_stopped = true;
        }
    }

    fn submit(&mut self, job: Job) {
        self.workers.submit(job);
    }

    fn timer(&mut self, at: Instant, key: TimerKey) {
        self.timers.add(at, Timer::Zone(key));
    }

    fn cluster(&mut self, out: crate::cluster::Outbound) {
        if let Some(cluster) = &mut self.cluster {
            cluster.queue(out);
        }
    }

    fn backlog(&self, conn: ConnId) -> usize {
        self.conn(conn).map_or(0, |c| c.out_bytes)
    }

    fn channel_alive(&self, conn: ConnId) -> bool {
        let Some(c) = self.conn(conn) else {
            return false;
        };
        // A parked channel is not watched: ask the socket whether its
        // peer hung up, without reading (bytes may be waiting for the game
        // even from a client that closed since).
        c.peer_hung_up().is_none_or(|gone| !gone)
    }

    fn spawn_table(&mut self, table: TableSerial, spec: SpawnSpec) {
        self.games.spawn(self.poll.registry(), table, spec);
    }

    fn table_send(&mut self, table: TableSerial, msg: ToGame, channel: Option<ConnId>) {
        let fd = channel.and_then(|c| self.take_channel(c, table));
        if channel.is_some() && fd.is_none() {
            self.games.events.push((
                table,
                crate::zone::TableEvent::Failed("a player's game channel vanished".into()),
            ));
            return;
        }
        self.games.send(table, &msg, fd);
    }

    fn end_table(&mut self, table: TableSerial) {
        if let Some(deadline) = self.games.end(self.poll.registry(), table, Instant::now()) {
            self.timers.add(deadline, Timer::KillOverdue);
        }
    }
}

/// Loads games, rooms and the MOTD from the configured places.
pub fn load_descriptions(paths: &ReloadPaths) -> io::Result<Reloaded> {
    let games_dirs: Vec<&std::path::Path> = std::iter::once(paths.games_dir.as_path())
        .chain(paths.extra_games_dirs.iter().map(|d| d.as_path()))
        .collect();
    let extra_rooms: Vec<&std::path::Path> =
        paths.extra_rooms_dirs.iter().map(|d| d.as_path()).collect();
    let (games, warnings) = crate::games::load_games_in(
        &games_dirs,
        &paths.game_dir,
        &paths.game_list,
        &paths.ignored_games,
        paths.default_layout,
    );
    for warning in warnings {
        log::warn!("{warning}");
    }
    let (rooms, warnings) = crate::rooms::load_rooms_in(
        &paths.rooms_dir,
        &extra_rooms,
        &paths.room_list,
        &paths.ignored_rooms,
    )
    .map_err(|e| io::Error::other(e.to_string()))?;
    for warning in warnings {
        log::warn!("{warning}");
    }
    let motd = Motd::load_translated(&paths.conf_dir, &paths.motd_file, &paths.motd_translations);
    Ok(Reloaded { games, rooms, motd })
}
