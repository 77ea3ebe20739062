//! The event loop's side of seeing and steering the server: control
//! requests handed to `crate::control`, answers routed back, reload state,
//! the metrics scrape and the systemd STATUS= line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mio::Token;

use super::Server;
use super::control::ControlSocket;
use super::metrics_http::MetricsEndpoint;
use super::timers::Timer;
use crate::control::{self, Facts, Outcome, ReloadState};
use crate::metrics::{self, Gauges, IoMetrics};

/// Tokens below the game servers' range, above any connection slot the
/// descriptor limit allows.
const CONTROL_BASE: usize = super::TABLE_BASE - 4096;
const METRICS_BASE: usize = super::TABLE_BASE - 2048;

/// How often the STATUS= line may change.
const STATUS_INTERVAL: Duration = Duration::from_secs(2);

/// Where the operator's interfaces live, from `[control]` and `[metrics]`.
#[derive(Debug, Clone, Default)]
pub struct OperatorSetup {
    /// The control socket; `None`: none.
    pub control_socket: Option<PathBuf>,
    pub control_mode: u32,
    pub control_group: String,
    pub control_max: usize,
    pub metrics: Option<SocketAddr>,
}

/// The operator's state kept by the event loop.
#[derive(Default)]
pub(super) struct Operator {
    pub control: Option<ControlSocket>,
    pub metrics: Option<MetricsEndpoint>,
    pub counters: IoMetrics,
    pub reloading: bool,
    pub last_reload: Option<(Instant, Result<(), String>)>,
    /// Control requests answered when the running reload is over.
    pub reload_waiters: Vec<u64>,
    /// (players, tables) last sent as STATUS=.
    pub status_shown: Option<(usize, usize)>,
}

impl Operator {
    pub fn open(setup: &OperatorSetup, registry: &mio::Registry) -> std::io::Result<Operator> {
        let mut op = Operator::default();
        if let Some(path) = &setup.control_socket {
            // On by default: a socket that cannot be made (a path too long
            // for a Unix socket, a foreign file there) costs the operator
            // this interface, not the players their server.
            match ControlSocket::bind(
                path,
                setup.control_mode,
                &setup.control_group,
                setup.control_max.max(1),
                CONTROL_BASE,
                registry,
            ) {
                Ok(socket) => {
                    log::info!("control socket at {}", socket.path().display());
                    op.control = Some(socket);
                }
                Err(e) => log::error!("no control socket at {}: {e}", path.display()),
            }
        }
        if let Some(addr) = setup.metrics {
            let endpoint = MetricsEndpoint::bind(addr, METRICS_BASE, registry)
                .map_err(|e| std::io::Error::other(format!("metrics on {addr}: {e}")))?;
            log::info!("metrics on http://{}/metrics", endpoint.local_addr()?);
            op.metrics = Some(endpoint);
        }
        Ok(op)
    }

    pub fn owns(&self, token: Token) -> bool {
        self.control.as_ref().is_some_and(|c| c.owns(token))
            || self.metrics.as_ref().is_some_and(|m| m.owns(token))
    }
}

impl Server {
    /// A readiness event on a control or metrics token.
    pub(super) fn on_operator_event(&mut self, token: Token, writable: bool, now: Instant) {
        let registry = self.io.poll.registry();
        if let Some(ctl) = self.operator.control.as_mut()
            && ctl.owns(token)
        {
            ctl.on_ready(registry, token, writable);
            self.run_control(now);
            return;
        }
        if let Some(mut endpoint) = self.operator.metrics.take() {
            let mut render = || self.render_metrics(now);
            endpoint.on_ready(self.io.poll.registry(), token, &mut render);
            self.operator.metrics = Some(endpoint);
        }
    }

    /// Carries out every control request that may run now.
    fn run_control(&mut self, now: Instant) {
        while let Some((ticket, line)) = self
            .operator
            .control
            .as_mut()
            .and_then(|c| c.next_request())
        {
            self.operator.counters.control_requests += 1;
            let outcome = match control::request::parse(&line) {
                Ok(request) => {
                    // Monitoring polls status often; what changes something
                    // is logged where it is carried out.
                    log::debug!(target: "admin", "control request: {}", request.verb());
                    let facts = self.facts(now);
                    control::handle(request, ticket, &mut self.zone, &facts, now, &mut self.io)
                }
                Err(e) => Outcome::Reply(control::reply::error(&e)),
            };
            match outcome {
                Outcome::Reply(reply) => self.answer_control(ticket, &reply),
                Outcome::AwaitBan | Outcome::AwaitJob => {}
                Outcome::Reload => {
                    self.operator.reload_waiters.push(ticket);
                    if !self.operator.reloading {
                        self.request_reload();
                    }
                }
            }
        }
        if let Some(ctl) = self.operator.control.as_mut() {
            ctl.settle(self.io.poll.registry());
        }
    }

    fn answer_control(&mut self, ticket: u64, reply: &serde_json::Value) {
        if let Some(ctl) = self.operator.control.as_mut() {
            ctl.answer(ticket, reply);
        }
    }

    /// The operator's ban was committed (or not).
    pub(super) fn operator_ban_done(&mut self, ticket: u64, stored: bool, now: Instant) {
        self.answer_control(ticket, &control::ban_done(stored));
        self.run_control(now);
    }

    /// A worker's answer to a control request (an export).
    pub(super) fn operator_job_done(
        &mut self,
        ticket: u64,
        reply: &serde_json::Value,
        now: Instant,
    ) {
        self.answer_control(ticket, reply);
        self.run_control(now);
    }

    /// A reload (SIGHUP or control) began.
    pub(super) fn reload_started(&mut self) {
        self.operator.reloading = true;
    }

    /// A reload is over: remember how it went and answer who asked.
    pub(super) fn reload_finished(&mut self, result: Result<(), String>, now: Instant) {
        self.operator.reloading = false;
        let reply = control::reload_done(&result);
        self.operator.last_reload = Some((now, result));
        for ticket in std::mem::take(&mut self.operator.reload_waiters) {
            self.answer_control(ticket, &reply);
        }
        self.run_control(now);
    }

    fn facts(&self, now: Instant) -> Facts {
        let reload = match (&self.operator.last_reload, self.operator.reloading) {
            (_, true) => ReloadState::Running,
            (None, false) => ReloadState::Never,
            (Some((at, result)), false) => ReloadState::Done {
                ok: result.is_ok(),
                ago_secs: now.saturating_duration_since(*at).as_secs(),
                error: result.as_ref().err().cloned(),
            },
        };
        Facts {
            uptime: self.zone.uptime(now),
            control_connections: self
                .operator
                .control
                .as_ref()
                .map_or(0, ControlSocket::connections),
            worker_queue: self.io.workers.in_flight(),
            reload,
        }
    }

    fn render_metrics(&self, now: Instant) -> String {
        let census = self.zone.census();
        let facts = self.facts(now);
        let gauges = Gauges {
            uptime: facts.uptime,
            connections: census.connections,
            control_connections: facts.control_connections,
            rooms: census.rooms,
            tables: census.tables,
            worker_queue: facts.worker_queue,
            login_queue: census.login_queue,
            game_names: self.zone.game_names(),
            matchmaking: self.zone.queue_gauges(now),
            store: self.io.workers.store_gauges(),
            starts: self.io.games.starts,
        };
        metrics::render(self.zone.metrics(), &self.operator.counters, &gauges)
    }

    /// Starts the periodic STATUS= line when a service manager listens.
    pub(super) fn start_status_updates(&mut self, now: Instant) {
        if self.notifier.is_some() {
            self.io.timers.add(now + STATUS_INTERVAL, Timer::Status);
        }
    }

    /// Tells the service manager the live counts, when they changed.
    pub(super) fn update_status(&mut self, now: Instant) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        let census = self.zone.census();
        let counts = (census.connections.players, census.tables_total);
        if self.operator.status_shown != Some(counts) && !self.shutting_down {
            notifier.notify(&format!(
                "STATUS=Serving {} player(s) at {} table(s)",
                counts.0, counts.1
            ));
            self.operator.status_shown = Some(counts);
        }
        self.io.timers.add(now + STATUS_INTERVAL, Timer::Status);
    }
}
