//! The event loop: one thread, one `mio::Poll`, owning every socket and all
//! zone state. Sockets become typed events for the zone; the zone's effects
//! become queued bytes, closes, timers and worker jobs. Output is written
//! once per loop turn with `writev`, so a burst of chat costs one syscall
//! per recipient, not one per message.

mod accept;
mod cluster;
mod cluster_channel;
mod cluster_lock;
mod cluster_registry;
mod conn;
mod contain;
mod control;
mod descriptions;
mod flushing;
pub mod listener;
mod metrics_http;
mod operator;
mod pacing;
mod reading;
mod relay;
pub mod reload;
mod reloading;
mod signal_dispatch;
mod signals;
mod sink;
mod slots;
mod spawn;
mod tables;
mod timer_dispatch;
mod timers;
pub mod tls;
mod warm;
mod web;
mod worker_results;
mod wss;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::config::Config;
use crate::logging;
use crate::workers::Workers;
use crate::zone::{ConnId, Job, Zone};
use conn::Conn;
pub use descriptions::{Reloaded, load_descriptions};
pub use operator::OperatorSetup;
pub use signals::Signal;
use signals::Signals;
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

/// Everything the zone's effects act on. Kept apart from the zone so that
/// the zone can borrow it mutably as its [`Sink`](crate::zone::Sink).
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
    /// When the dirty queues are written (`pacing.rs`).
    pacer: pacing::Pacer,
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
                pacer: pacing::Pacer::new(
                    setup.config.fanout.pacing(),
                    setup.config.fanout.min_clients as usize,
                ),
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
        self.retarget_warm(Instant::now());
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
                let warm = self.io.games.warm_due(now).map(|at| at - now);
                let held = self
                    .io
                    .pacer
                    .deadline()
                    .map(|at| at.saturating_duration_since(now));
                [self.io.timers.timeout(now), warm, held]
                    .into_iter()
                    .flatten()
                    .min()
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
                    token if cluster_channel::owns(token) => self.io.pump_channel_relay(token),
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
            // The links go first: a chat line for a room fanned out here
            // and on other nodes reaches them before this node spends its
            // turn writing to its own clients, so the nodes fan out in
            // parallel. Dropping an overflowed client in `settle` may
            // queue more (its GONE): the second flush sends that.
            self.cluster_flush();
            self.settle(now);
            self.cluster_flush();
            // After this turn's output is out: a refill never delays it.
            self.io.games.refill_warm(now);
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
    /// Before a seat request of a player at table `serial`: what its game
    /// server sent before that request is handled first, whatever order
    /// the readiness events come in (`Zone::table_to_catch_up`).
    pub(super) fn catch_up_table(&mut self, serial: crate::zone::TableSerial, now: Instant) {
        if let Some(token) = self.io.games.catch_up(serial)
            && !self.io.tables_to_read.contains(&token)
        {
            self.io.tables_to_read.push(token);
        }
        self.deliver_table_events(now);
    }

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

    fn drop_connection(&mut self, id: ConnId, now: Instant) {
        if self.io.remove(id) {
            self.zone.disconnected(id, now, &mut self.io);
        }
    }
}
