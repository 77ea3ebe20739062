//! The worker threads: everything that may block or burn CPU (the store,
//! argon2, reading description files) runs here, never on the event loop.
//! Jobs go in through a channel; results come back through another channel,
//! and a `mio::Waker` tells the event loop to collect them. Idle workers
//! sleep in `recv`, so nothing polls. A worker wakes the event loop only
//! if no wake-up is pending yet: results that pile up while the loop is
//! busy are collected together, for one wake-up.
//!
//! On PostgreSQL the workers share an [`Outage`]: while the server is
//! away, jobs fail at once (`store/pg/health.rs`), an idle worker looks
//! for the server's return with a growing pause, game results wait in a
//! bounded queue to be written when it is back, and guests are let in
//! unless their name is known to be registered (docs/postgresql.md §5).
//! However slow the store, no more than [`MAX_IN_FLIGHT`] jobs wait: past
//! that, each is answered at once as a store failure.
//!
//! The workers also share the pacing of rankings (`workers/rank_pacing.rs`):
//! a game renumbered within the last second is owed a renumbering instead,
//! which the worker waiting for jobs (it holds the queue) wakes up for, so
//! an owed one is done even when no job follows.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::auth::{self, HashParams, Verdict};
use crate::outage::{Deferred, Outage};
use crate::proto::request::LoginKind;
use crate::proto::types::ResultCode;
use crate::store::{CreateOutcome, NewUser, Store, StoreError, StoreTarget};
use crate::zone::perms;
use crate::zone::{Account, Job, JobDone, LoginJob, LoginOutcome, OnlineCheck, Refreshed};

mod batch;
#[cfg(test)]
mod rank_owed_tests;
mod rank_pacing;
use batch::Taken;
use rank_pacing::RankPacing;

/// Jobs submitted and not yet collected, at most; past it a job is
/// answered at once as if the store had failed it.
pub const MAX_IN_FLIGHT: usize = 4096;

/// Deferred writes one worker makes between two jobs, so jobs keep
/// moving while a long backlog drains.
const DEFERRED_PER_TURN: usize = 32;

pub struct Workers {
    jobs: Option<Sender<Job>>,
    done: Receiver<JobDone>,
    /// A worker has woken the event loop and it has not collected yet.
    wake_pending: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Jobs submitted and not yet collected (every job has one result):
    /// the queue depth the operator sees. Only the event loop touches it.
    in_flight: std::cell::Cell<usize>,
    /// Jobs answered without running (the queue was full), collected with
    /// the others.
    refused: std::cell::RefCell<Vec<JobDone>>,
    waker: Arc<mio::Waker>,
    outage: Arc<Outage>,
}

impl Workers {
    /// Opens one database connection per worker (so a broken database is
    /// reported at startup) and starts the threads.
    pub fn start(
        count: usize,
        target: &StoreTarget,
        params: HashParams,
        waker: Arc<mio::Waker>,
    ) -> Result<Workers, StoreError> {
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done_rx) = mpsc::channel::<JobDone>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let wake_pending = Arc::new(AtomicBool::new(false));
        let health = match target {
            StoreTarget::Postgres(t) => Some(Arc::new(crate::store::pg::Health::new(t.shown()))),
            StoreTarget::Sqlite { .. } => None,
        };
        let outage = Arc::new(Outage::new(health));
        let ranks = Arc::new(Mutex::new(RankPacing::default()));
        let mut threads = Vec::new();
        for index in 0..count.max(1) {
            let mut store = Store::connect(target)?;
            if let Some(health) = &outage.health {
                store.watch_health(health);
            }
            let job_rx = Arc::clone(&job_rx);
            let shared = Shared {
                done: done_tx.clone(),
                waker: Arc::clone(&waker),
                wake_pending: Arc::clone(&wake_pending),
                outage: Arc::clone(&outage),
                ranks: Arc::clone(&ranks),
                clock: Instant::now,
            };
            let spawned = std::thread::Builder::new()
                .name(format!("ggzd-worker-{index}"))
                .spawn(move || work(store, params, &job_rx, &shared));
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => log::error!("cannot start worker thread: {e}"),
            }
        }
        if threads.is_empty() {
            return Err(StoreError::Io {
                path: PathBuf::from(target.shown()),
                source: std::io::Error::other("no worker thread could be started"),
            });
        }
        Ok(Workers {
            jobs: Some(job_tx),
            done: done_rx,
            wake_pending,
            threads,
            in_flight: std::cell::Cell::new(0),
            refused: std::cell::RefCell::new(Vec::new()),
            waker,
            outage,
        })
    }

    pub fn submit(&self, job: Job) {
        if self.in_flight.get() >= MAX_IN_FLIGHT {
            log::warn!("the job queue is full ({MAX_IN_FLIGHT}); a job is refused");
            self.refused
                .borrow_mut()
                .push(crate::outage::refuse::refused(job));
            self.in_flight.set(self.in_flight.get() + 1);
            if !self.wake_pending.swap(true, Ordering::AcqRel)
                && let Err(e) = self.waker.wake()
            {
                log::error!("cannot wake the event loop: {e}");
            }
            return;
        }
        if let Some(jobs) = &self.jobs {
            if jobs.send(job).is_err() {
                log::error!("worker threads are gone; job dropped");
            } else {
                self.in_flight.set(self.in_flight.get() + 1);
            }
        }
    }

    /// Jobs waiting for a worker or running.
    pub fn in_flight(&self) -> usize {
        self.in_flight.get()
    }

    /// The store's reachability, for `/metrics`.
    pub fn store_gauges(&self) -> crate::metrics::StoreGauges {
        self.outage.gauges()
    }

    /// Results ready now; never blocks.
    pub fn completed(&self) -> impl Iterator<Item = JobDone> + '_ {
        // Cleared before the results are taken: a result sent from here on
        // either is taken now or wakes the loop again. A swap, not a store:
        // reading the worker's `true` makes its result visible here.
        self.wake_pending.swap(false, Ordering::AcqRel);
        let refused = std::mem::take(&mut *self.refused.borrow_mut());
        refused
            .into_iter()
            .chain(self.done.try_iter())
            .inspect(|done| {
                // A late report answers no submitted job.
                if !matches!(done, JobDone::LateReport { .. }) {
                    self.in_flight.set(self.in_flight.get().saturating_sub(1));
                }
            })
    }

    /// Lets queued jobs finish, then stops the threads.
    pub fn shutdown(mut self) {
        self.jobs = None;
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

/// What one worker thread holds besides its store.
struct Shared {
    done: Sender<JobDone>,
    waker: Arc<mio::Waker>,
    wake_pending: Arc<AtomicBool>,
    outage: Arc<Outage>,
    ranks: Arc<Mutex<RankPacing>>,
    /// `Instant::now`, but for a test that moves time on itself.
    clock: fn() -> Instant,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every method behind these locks leaves a consistent state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A batch of reports being stored, counted in the pacing from when it
/// leaves the queue until it is done (whatever way it ends).
struct BatchInFlight<'a>(&'a Mutex<RankPacing>);

impl<'a> BatchInFlight<'a> {
    fn new(ranks: &'a Mutex<RankPacing>) -> BatchInFlight<'a> {
        lock(ranks).batch_started();
        BatchInFlight(ranks)
    }
}

impl Drop for BatchInFlight<'_> {
    fn drop(&mut self) {
        lock(self.0).batch_ended();
    }
}

impl Shared {
    /// How long the worker waiting for jobs may sleep before an owed
    /// renumbering needs it; `None`: until a job comes. While the store is
    /// away owed ones stay owed (the outage's own wake-ups look for it).
    fn rank_wait(&self, now: Instant) -> Option<Duration> {
        if !self.outage.store_up() {
            return None;
        }
        lock(&self.ranks)
            .wake_at(now)
            .map(|at| at.saturating_duration_since(now))
    }

    /// Hands a result to the event loop; false when it is gone.
    fn send(&self, result: JobDone) -> bool {
        if self.done.send(result).is_err() {
            return false;
        }
        if !self.wake_pending.swap(true, Ordering::AcqRel)
            && let Err(e) = self.waker.wake()
        {
            log::error!("cannot wake the event loop: {e}");
        }
        true
    }
}

fn work(mut store: Store, params: HashParams, jobs: &Mutex<Receiver<Job>>, shared: &Shared) {
    lower_priority();
    loop {
        let job = {
            let Ok(rx) = jobs.lock() else {
                return;
            };
            // While the store is away, the worker waiting for jobs also
            // wakes now and then to see whether it is back; and it wakes
            // when a renumbering it owes is due.
            let now = (shared.clock)();
            let wait = match (
                shared.outage.idle_wait(Instant::now()),
                shared.rank_wait(now),
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let job = match wait {
                None => match rx.recv() {
                    Ok(job) => Some(job),
                    Err(_) => return,
                },
                Some(wait) => match rx.recv_timeout(wait) {
                    Ok(job) => Some(job),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
            };
            job.map(|job| {
                let taken = batch::take(job, &rx);
                // Counted before the queue is let go: the next waiter must
                // know this batch may owe a renumbering.
                let in_flight =
                    matches!(taken, Taken::Reports(..)).then(|| BatchInFlight::new(&shared.ranks));
                (taken, in_flight)
            })
        };
        match job {
            Some((Taken::One(job), _)) => {
                let result = run_shared(&mut store, &params, job, &shared.outage);
                if !shared.send(result) {
                    return;
                }
            }
            Some((Taken::Reports(reports, after), in_flight)) => {
                let pacing = Some((&*shared.ranks, (shared.clock)()));
                let results = batch::store_reports(&mut store, reports, &shared.outage, pacing);
                drop(in_flight);
                for result in results {
                    if !shared.send(result) {
                        return;
                    }
                }
                if let Some(job) = after {
                    let result = run_shared(&mut store, &params, job, &shared.outage);
                    if !shared.send(result) {
                        return;
                    }
                }
            }
            None => {
                if let Err(e) = store.probe() {
                    log::debug!("store probe: {e}");
                }
            }
        }
        rank_owed(&mut store, shared);
        if !write_deferred(&mut store, shared) {
            return;
        }
    }
}

/// Renumbers the games whose owed renumbering is due. One that fails is
/// owed again (retried after another interval, or by the next report);
/// while the store is away nothing is taken.
fn rank_owed(store: &mut Store, shared: &Shared) {
    if !shared.outage.store_up() {
        return;
    }
    let now = (shared.clock)();
    let due = lock(&shared.ranks).take_due(now);
    if due.is_empty() {
        return;
    }
    if let Err(e) = store.rank_games(&due) {
        let games: Vec<&str> = due.iter().map(|(g, _)| g.as_str()).collect();
        log_store_error(
            &format!("cannot renumber the rankings of {}", games.join(", ")),
            &e,
        );
        lock(&shared.ranks).owe_again(&due, (shared.clock)());
    }
}

/// Writes held while the store was away, once it is back; false when the
/// event loop is gone.
fn write_deferred(store: &mut Store, shared: &Shared) -> bool {
    for _ in 0..DEFERRED_PER_TURN {
        if !shared.outage.store_up() {
            return true;
        }
        let Some(write) = shared.outage.deferred().pop() else {
            return true;
        };
        match write {
            Deferred::Report(report) => {
                match store.apply_game_report(
                    &report.game,
                    report.flags,
                    &report.participants,
                    &report.savegame,
                    report.now,
                ) {
                    Ok(updated) => {
                        log::info!(target: "tables", "stored a {} report held during the outage", report.game);
                        let done = JobDone::LateReport {
                            game: report.game,
                            updated,
                        };
                        if !shared.send(done) {
                            return false;
                        }
                    }
                    Err(e) if e.is_unavailable() => {
                        hold_again(shared, Deferred::Report(report));
                        return true;
                    }
                    Err(e) => {
                        log::error!(target: "tables", "cannot store a {} report held during the outage: {e}", report.game);
                    }
                }
            }
            Deferred::Savegame {
                game,
                owner,
                savegame,
                table_key,
                now,
            } => match store.record_savegame(&game, &owner, &savegame, &table_key, now) {
                Ok(()) => {}
                Err(e) if e.is_unavailable() => {
                    hold_again(
                        shared,
                        Deferred::Savegame {
                            game,
                            owner,
                            savegame,
                            table_key,
                            now,
                        },
                    );
                    return true;
                }
                Err(e) => {
                    log::error!(target: "tables", "cannot record savegame {savegame}: {e}");
                }
            },
        }
    }
    true
}

fn hold_again(shared: &Shared, write: Deferred) {
    if shared.outage.deferred().put_back(write).is_err() {
        log::error!(target: "tables", "too many game results wait for the database; one is lost");
    }
}

/// Holds a write that failed because the store is away.
fn defer(outage: &Outage, write: Deferred, what: &str) {
    match outage.deferred().push(write) {
        Ok(()) => {
            log::warn!(target: "tables", "database unavailable: {what} will be stored when it is back");
        }
        Err(_) => {
            log::error!(target: "tables", "database unavailable and too many results wait: {what} is lost");
        }
    }
}

/// A store error in the log: one line per failed request normally, but
/// during an outage (already logged once by the store) only at debug level.
fn log_store_error(what: &str, e: &StoreError) {
    if e.is_unavailable() {
        log::debug!("{what}: {e}");
    } else {
        log::error!("{what}: {e}");
    }
}

/// Hashing must not starve the event loop of CPU: workers run at a lower
/// priority, so chat stays prompt during a login storm.
fn lower_priority() {
    // SAFETY: gettid has no preconditions; setpriority on our own thread id
    // only changes this thread's nice value.
    let rc = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 5)
    };
    if rc != 0 {
        log::debug!("could not lower worker priority");
    }
}

/// Runs one job on its own (tests, tools): no outage handling.
pub fn run(store: &mut Store, params: &HashParams, job: Job) -> JobDone {
    run_shared(store, params, job, &Outage::new(None))
}

fn run_shared(store: &mut Store, params: &HashParams, job: Job, outage: &Outage) -> JobDone {
    match job {
        Job::Login { conn, login } => JobDone::Login {
            conn,
            outcome: login_job(store, params, login, outage),
        },
        Job::GameReport(report) => batch::store_reports(store, vec![report], outage, None)
            .pop()
            .unwrap_or(JobDone::Nothing),
        Job::Savegame {
            game,
            owner,
            savegame,
            table_key,
            now,
        } => {
            match store.record_savegame(&game, &owner, &savegame, &table_key, now) {
                Ok(()) => {}
                Err(e) if e.is_unavailable() && outage.health.is_some() => {
                    let what = format!("savegame {savegame}");
                    let write = Deferred::Savegame {
                        game,
                        owner,
                        savegame,
                        table_key,
                        now,
                    };
                    defer(outage, write, &what);
                }
                Err(e) => log::error!(target: "tables", "cannot record savegame {savegame}: {e}"),
            }
            JobDone::Nothing
        }
        Job::PruneSavegames {
            dir,
            keep,
            max_age_days,
            protect,
        } => {
            crate::savegame_files::prune(&dir, keep, max_age_days, &protect);
            JobDone::Nothing
        }
        Job::ReloadStats { handle, game } => {
            let stats = store
                .player_stats(&handle, &game)
                .map_err(|e| {
                    log_store_error(
                        &format!("cannot read the {game} statistics of {handle}"),
                        &e,
                    )
                })
                .ok();
            // Answered even when the read failed: the zone counts its
            // reads in flight (`zone/stats_order.rs`).
            JobDone::StatsReloaded {
                handle,
                game,
                stats,
            }
        }
        Job::Rankings { conn, game } => JobDone::Rankings {
            conn,
            rows: store.rankings(&game, 10).unwrap_or_else(|e| {
                log_store_error(&format!("cannot read rankings of {game}"), &e);
                Vec::new()
            }),
        },
        Job::SetPermissions {
            admin,
            target,
            canonical,
            perms,
        } => {
            let stored = match store.set_permissions(&canonical, perms) {
                Ok(found) => found,
                Err(e) => {
                    log::error!(target: "admin", "cannot store permissions of {canonical}: {e}");
                    false
                }
            };
            JobDone::PermissionsStored {
                admin,
                target,
                perms,
                stored,
            }
        }
        Job::RefreshPermissions { players } => {
            JobDone::Permissions(players.into_iter().map(|p| recheck(store, p)).collect())
        }
        Job::Ban {
            admin,
            name,
            address,
            reason,
            now,
        } => {
            let stored = store
                .add_ban(&name, address.as_deref(), None, &reason, now)
                .map_err(|e| log::error!(target: "admin", "cannot store the ban of {name}: {e}"))
                .is_ok();
            JobDone::Banned { admin, stored }
        }
        Job::ReleaseName {
            canonical,
            node,
            token,
        } => {
            if let Err(e) = store.release_name(&canonical, &node, token) {
                // Freed with the node's other claims when it stops or dies.
                log::error!("cannot free the cluster claim of {canonical}: {e}");
            }
            JobDone::Nothing
        }
        Job::ClaimNames { claims } => {
            for (name, claim) in claims {
                match store.claim_name(&name, &claim) {
                    Ok(true) => {}
                    Ok(false) => log::warn!(
                        target: "security",
                        "{name} logged in on another node while this one was taken for dead"
                    ),
                    Err(e) => log::error!("cannot claim the name {name} again: {e}"),
                }
            }
            JobDone::Nothing
        }
        Job::Restore(job) => JobDone::Restore(Box::new(crate::zone::run_restore_job(store, *job))),
        Job::Replays(job) => JobDone::Replays(crate::replays::run(store, job)),
        Job::EnsureBotAccounts { names, now } => {
            for name in names {
                if let Err(e) = store.ensure_bot_account(&name, now) {
                    log::error!("cannot register bot account {name}: {e}");
                }
            }
            JobDone::Nothing
        }
    }
}

/// An online player's stored permissions and bans, read again.
fn recheck(store: &mut Store, player: OnlineCheck) -> Refreshed {
    let perms = if player.guest {
        None
    } else {
        match store.user(&player.canonical) {
            Ok(user) => user.map(|u| u.permissions),
            Err(e) => {
                log::error!("cannot read permissions of {}: {e}", player.canonical);
                None
            }
        }
    };
    let now = crate::zone::unix_now();
    let ban = store
        .active_ban(&player.canonical, &player.address, now)
        .unwrap_or_else(|e| {
            log::error!("cannot check bans of {}: {e}", player.canonical);
            None
        });
    Refreshed {
        conn: player.conn,
        perms,
        ban,
    }
}

fn login_job(
    store: &mut Store,
    params: &HashParams,
    job: LoginJob,
    outage: &Outage,
) -> LoginOutcome {
    match store.active_ban(&job.canonical, &job.address, job.now) {
        Ok(Some(reason)) => {
            log::info!(target: "security", "banned login of {} from {}: {reason}", job.canonical, job.address);
            return LoginOutcome::Refused(ResultCode::UsrLookup);
        }
        Ok(None) => {}
        Err(e) => log_store_error("cannot check bans", &e),
    }
    let claim = job.claim.clone();
    let canonical = job.canonical.clone();
    let guest = job.kind == LoginKind::Guest;
    let result = match job.kind {
        LoginKind::Guest => store
            .user_exists(&job.canonical)
            .map(|registered| LoginOutcome::GuestChecked { registered }),
        LoginKind::Normal => normal_login(store, params, job),
        LoginKind::First => register(store, params, job),
    };
    let outcome = match result {
        Ok(outcome) => {
            if matches!(
                outcome,
                LoginOutcome::GuestChecked { registered: true }
                    | LoginOutcome::Accepted(_)
                    | LoginOutcome::WrongPassword
                    | LoginOutcome::Refused(ResultCode::UsernameAlreadyTaken)
            ) {
                outage.names().insert(&canonical);
            }
            outcome
        }
        // A guest needs the store only to learn that the name is not
        // registered; while it is away, the names seen registered decide.
        Err(e) if guest && e.is_unavailable() => {
            let registered = outage.names().contains(&canonical);
            log::info!(
                target: "security",
                "database unavailable: guest {canonical} {}",
                if registered { "refused, a registered name" } else { "admitted unchecked" }
            );
            LoginOutcome::GuestChecked { registered }
        }
        Err(e) => login_store_failure(&format!("login of {canonical}"), &e),
    };
    match (claim, &outcome) {
        (
            Some(claim),
            LoginOutcome::Accepted(_) | LoginOutcome::GuestChecked { registered: false },
        ) => match store.claim_name(&canonical, &claim) {
            Ok(true) => outcome,
            Ok(false) => {
                log::info!(target: "security", "{canonical} is logged in on another node");
                LoginOutcome::Refused(ResultCode::AlreadyLoggedIn)
            }
            Err(e) => login_store_failure(&format!("name claim of {canonical}"), &e),
        },
        _ => outcome,
    }
}

/// A login the store failed: while it is away the client is told to come
/// back later; any other error is a fault worth an error line.
fn login_store_failure(what: &str, e: &StoreError) -> LoginOutcome {
    if e.is_unavailable() {
        log::debug!("{what}: {e}");
        LoginOutcome::StoreUnavailable
    } else {
        log::error!("database error in the {what}: {e}");
        LoginOutcome::Refused(ResultCode::UsrLookup)
    }
}

fn normal_login(
    store: &mut Store,
    params: &HashParams,
    job: LoginJob,
) -> Result<LoginOutcome, StoreError> {
    let Some(user) = store.user(&job.canonical)? else {
        return Ok(LoginOutcome::Refused(ResultCode::UserNotFound));
    };
    let password = job.password.unwrap_or_default();
    let Verdict::Match { needs_rehash } = auth::verify_password(&user.password, &password, params)
    else {
        return Ok(LoginOutcome::WrongPassword);
    };
    if job.confirm_required && !user.confirmed {
        return Ok(LoginOutcome::Refused(ResultCode::UsrLookup));
    }
    if needs_rehash {
        // Legacy hashes from an imported database are replaced on the
        // first successful login.
        match auth::hash_password(&password, params) {
            Ok(hash) => store.set_password(user.id, &hash)?,
            Err(e) => log::error!("cannot rehash password of {}: {e}", user.handle),
        }
    }
    store.record_login(user.id, job.now)?;
    let stats = store.stats_for_player(&job.canonical)?;
    Ok(LoginOutcome::Accepted(Box::new(Account {
        user_id: user.id,
        permissions: user.permissions,
        real_name: user.real_name,
        generated_password: None,
        stats,
    })))
}

fn register(
    store: &mut Store,
    params: &HashParams,
    job: LoginJob,
) -> Result<LoginOutcome, StoreError> {
    let (password, generated) = match job.password {
        Some(p) => (p, None),
        None => match generate_password() {
            Some(p) => (p.clone(), Some(p)),
            None => return Ok(LoginOutcome::Refused(ResultCode::UsrLookup)),
        },
    };
    let hash = match auth::hash_password(&password, params) {
        Ok(hash) => hash,
        Err(e) => {
            log::error!("cannot hash a new password: {e}");
            return Ok(LoginOutcome::Refused(ResultCode::UsrLookup));
        }
    };
    let outcome = store.create_user(&NewUser {
        handle: &job.canonical,
        password: &hash,
        email: &job.email,
        real_name: "",
        permissions: perms::REGISTERED,
        confirmed: !job.confirm_required,
        now: job.now,
    })?;
    let user_id = match outcome {
        CreateOutcome::AlreadyExists => {
            return Ok(LoginOutcome::Refused(ResultCode::UsernameAlreadyTaken));
        }
        CreateOutcome::Created(id) => id,
    };
    if job.confirm_required {
        // Created, but it may log in only once an admin confirms it.
        return Ok(LoginOutcome::Refused(ResultCode::UsrLookup));
    }
    let stats = store.stats_for_player(&job.canonical)?;
    Ok(LoginOutcome::Accepted(Box::new(Account {
        user_id,
        permissions: perms::REGISTERED,
        real_name: String::new(),
        generated_password: generated,
        stats,
    })))
}

/// Eight characters from an unambiguous alphabet, from the kernel's RNG;
/// `None` when it gives nothing (never a guessable password).
fn generate_password() -> Option<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    if let Err(e) = crate::random::fill(&mut bytes) {
        log::error!("cannot get random bytes for a password: {e}");
        return None;
    }
    let password = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Some(password)
}

/// Where the description files live, for reloads.
#[derive(Debug, Clone)]
pub struct ReloadPaths {
    pub games_dir: PathBuf,
    pub game_dir: PathBuf,
    pub rooms_dir: PathBuf,
    pub conf_dir: PathBuf,
    pub motd_file: String,
    pub motd_translations: std::collections::BTreeMap<String, String>,
    pub game_list: Vec<String>,
    pub ignored_games: Vec<String>,
    pub room_list: Vec<String>,
    pub ignored_rooms: Vec<String>,
    /// `game_servers.default_layout`
    pub default_layout: crate::games::LaunchLayout,
    /// `extra_dirs.games`, searched after `games_dir`.
    pub extra_games_dirs: Vec<PathBuf>,
    /// `extra_dirs.rooms`, searched after `rooms_dir`.
    pub extra_rooms_dirs: Vec<PathBuf>,
}

impl ReloadPaths {
    pub fn from_config(config: &crate::config::Config) -> ReloadPaths {
        let dirs = &config.directories;
        ReloadPaths {
            games_dir: dirs.games_dir.clone(),
            game_dir: dirs.game_dir.clone(),
            rooms_dir: dirs.rooms_dir.clone(),
            conf_dir: dirs.conf_dir.clone(),
            motd_file: config.files.motd.clone(),
            motd_translations: config.files.motd_translations.clone(),
            game_list: config.games.game_list.clone(),
            ignored_games: config.games.ignored_games.clone(),
            room_list: config.games.room_list.clone(),
            ignored_rooms: config.games.ignored_rooms.clone(),
            default_layout: config.game_servers.default_layout,
            extra_games_dirs: config.extra_dirs.games.clone(),
            extra_rooms_dirs: config.extra_dirs.rooms.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_use_the_alphabet() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b, "two generated passwords should differ");
    }
}
