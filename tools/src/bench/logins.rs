//! `logins`: how fast the server logs people in. Guests, or registered
//! accounts (pre-registered with `LOGIN TYPE='first'`, untimed). Each
//! client connects, waits for the greeting, logs in, and on `RESULT login`
//! hangs up; the latency is from the start of the connect to the RESULT.
//!
//! [`Storm`] is also the login load of the `mixed` scenario.

use std::io;
use std::time::Duration;

use ggzd::proto::request::LoginKind;

use super::clock::{monotonic_ns, secs};
use super::crowd::{self, Failures, Target};
use super::engine::{ClientId, Closed, Engine, Note, Plan};
use super::histogram::Histogram;
use super::procfs::{CpuSample, NodesSample};
use super::report::Report;

#[derive(Debug, Clone)]
pub struct LoginOptions {
    pub count: usize,
    pub concurrency: usize,
    pub registered: bool,
    /// Registered mode: distinct accounts, logged into in turn.
    pub accounts: usize,
    pub password: String,
    pub prefix: String,
}

/// Who logs in: guests with fresh names, or a pool of accounts.
#[derive(Debug, Clone)]
pub enum Logins {
    Guests {
        prefix: String,
    },
    Accounts {
        names: Vec<String>,
        password: String,
    },
}

/// A stream of short sessions with a fixed number in flight.
#[derive(Debug)]
pub struct Storm {
    who: Logins,
    concurrency: usize,
    /// Logins started so far; also the next guest number.
    pub started: u64,
    pub ok: u64,
    pub failures: Failures,
    pub latency: Histogram,
    /// Storm clients now in flight.
    in_flight: usize,
    /// Indexed by client id: whether the client belongs to the storm, and
    /// the account it uses (registered mode).
    owned: Vec<Option<Option<usize>>>,
    /// Accounts whose login is in flight (registered mode).
    busy: Vec<bool>,
    next_account: usize,
}

impl Storm {
    pub fn new(who: Logins, concurrency: usize) -> Storm {
        let accounts = match &who {
            Logins::Accounts { names, .. } => names.len(),
            Logins::Guests { .. } => 0,
        };
        Storm {
            who,
            concurrency: concurrency.max(1),
            started: 0,
            ok: 0,
            failures: Failures::new(),
            latency: Histogram::default(),
            in_flight: 0,
            owned: Vec::new(),
            busy: vec![false; accounts],
            next_account: 0,
        }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Starts logins until `concurrency` are in flight, at most `limit`
    /// started in all.
    pub fn fill(&mut self, engine: &mut Engine, limit: u64, notes: &mut Vec<Note>) {
        while self.in_flight < self.concurrency && self.started < limit {
            let (plan, account) = match &self.who {
                Logins::Guests { prefix } => {
                    (Plan::guest(format!("{prefix}{}", self.started), None), None)
                }
                Logins::Accounts { names, password } => {
                    let Some(a) = (0..names.len())
                        .map(|k| (self.next_account + k) % names.len())
                        .find(|&a| !self.busy.get(a).copied().unwrap_or(true))
                    else {
                        return;
                    };
                    self.next_account = (a + 1) % names.len();
                    (
                        Plan {
                            name: names.get(a).cloned().unwrap_or_default(),
                            kind: LoginKind::Normal,
                            password: Some(password.clone()),
                            room: None,
                        },
                        Some(a),
                    )
                }
            };
            let id = engine.open(plan, notes);
            self.started += 1;
            self.in_flight += 1;
            if self.owned.len() <= id {
                self.owned.resize(id + 1, None);
            }
            if let Some(slot) = self.owned.get_mut(id) {
                *slot = Some(account);
            }
            if let Some(b) = account.and_then(|a| self.busy.get_mut(a)) {
                *b = true;
            }
        }
    }

    fn finish(&mut self, id: ClientId) {
        if let Some(Some(account)) = self.owned.get_mut(id).map(Option::take) {
            self.in_flight = self.in_flight.saturating_sub(1);
            if let Some(b) = account.and_then(|a| self.busy.get_mut(a)) {
                *b = false;
            }
        }
    }

    fn owns(&self, id: ClientId) -> bool {
        matches!(self.owned.get(id), Some(Some(_)))
    }

    /// Handles a note if it concerns the storm; returns whether it did.
    pub fn on_note(&mut self, engine: &mut Engine, note: &Note) -> bool {
        match note {
            Note::LoggedIn { id, latency_ns } if self.owns(*id) => {
                self.ok += 1;
                self.latency.record(*latency_ns);
                engine.hang_up(*id);
                self.finish(*id);
                true
            }
            Note::LoginRefused { id, code } if self.owns(*id) => {
                crowd::count_failure(&mut self.failures, format!("login refused: {code}"));
                true
            }
            Note::Closed { id, why } if self.owns(*id) => {
                if !matches!(why, Closed::SessionEnded) {
                    crowd::count_failure(&mut self.failures, why.label());
                }
                self.finish(*id);
                true
            }
            _ => false,
        }
    }
}

/// Creates the accounts `names` with `password` (registration,
/// `LOGIN TYPE='first'`), `concurrency` at a time. An account that exists
/// already counts as done: the password is fixed, so earlier runs made it
/// the same way.
pub fn register(
    engine: &mut Engine,
    target: &Target,
    names: &[String],
    password: &str,
    concurrency: usize,
) -> io::Result<()> {
    let mut notes = Vec::new();
    let mut next = 0;
    let mut in_flight: Vec<ClientId> = Vec::new();
    let mut failures = Failures::new();
    while next < names.len() || !in_flight.is_empty() {
        while next < names.len() && in_flight.len() < concurrency.max(1) {
            let plan = Plan {
                name: names.get(next).cloned().unwrap_or_default(),
                kind: LoginKind::First,
                password: Some(password.to_owned()),
                room: None,
            };
            in_flight.push(engine.open(plan, &mut notes));
            next += 1;
        }
        let Some(left) = target.left() else {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "timed out registering accounts (--timeout)",
            ));
        };
        engine.turn(Some(left.min(Duration::from_millis(100))), &mut notes)?;
        for note in notes.drain(..) {
            match note {
                Note::LoggedIn { id, .. } => {
                    engine.hang_up(id);
                    in_flight.retain(|&c| c != id);
                }
                Note::LoginRefused { code, .. } if code == "username already taken" => {}
                Note::LoginRefused { code, .. } => {
                    crowd::count_failure(&mut failures, format!("registration refused: {code}"));
                }
                Note::Closed { id, why } => {
                    in_flight.retain(|&c| c != id);
                    if !matches!(why, Closed::SessionEnded) {
                        crowd::count_failure(&mut failures, why.label());
                    }
                }
                _ => {}
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "could not register the accounts: {}",
            crowd::describe(&failures)
        )))
    }
}

/// Account names `{prefix}{i:05}` for i in 0..count.
pub fn account_names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i:05}")).collect()
}

pub fn run(target: &Target, o: &LoginOptions) -> io::Result<Report> {
    target.probe()?;
    let server = target.process.as_ref();
    let mut r = Report::new("logins");
    r.text("kind", if o.registered { "registered" } else { "guest" });
    r.count("count", o.count as u64);
    r.count("concurrency", o.concurrency as u64);
    let mut engine = target.plain_engine()?;
    let who = if o.registered {
        let names = account_names(&o.prefix, o.accounts.max(o.concurrency + 1));
        r.count("accounts", names.len() as u64);
        let started = monotonic_ns();
        register(&mut engine, target, &names, &o.password, o.concurrency)?;
        r.real("register_s", secs(monotonic_ns() - started), 3);
        Logins::Accounts {
            names,
            password: o.password.clone(),
        }
    } else {
        Logins::Guests {
            prefix: o.prefix.clone(),
        }
    };
    let mut storm = Storm::new(who, o.concurrency);
    let mut notes = Vec::new();
    let limit = o.count as u64;
    let cpu0 = CpuSample::take(server);
    let nodes0 = NodesSample::take(&target.nodes);
    let started = monotonic_ns();
    let mut last = started;
    let tolerated = limit / 100 + 10;
    loop {
        storm.fill(&mut engine, limit, &mut notes);
        if storm.in_flight() == 0 {
            break;
        }
        let Some(left) = target.left() else {
            r.fail("the run timed out (--timeout)");
            break;
        };
        engine.turn(Some(left.min(Duration::from_millis(100))), &mut notes)?;
        for note in notes.drain(..) {
            if let Note::LoggedIn { .. } = note {
                last = monotonic_ns();
            }
            storm.on_note(&mut engine, &note);
        }
        let failed: u64 = storm.failures.values().sum();
        if failed > tolerated {
            return Err(io::Error::other(format!(
                "giving up: {failed} logins failed ({})",
                crowd::describe(&storm.failures)
            )));
        }
    }
    let cpu1 = CpuSample::take(server);
    let nodes1 = NodesSample::take(&target.nodes);
    let elapsed = last.saturating_sub(started);
    r.count("logins_ok", storm.ok);
    r.text("failures", crowd::describe(&storm.failures));
    r.real("elapsed_s", secs(elapsed), 3);
    r.real("logins_per_s", storm.ok as f64 / secs(elapsed), 0);
    r.latency("login", &storm.latency);
    let (generator, server_cpu) = cpu1.since(&cpu0);
    r.cpu("logins", secs(elapsed), generator, server_cpu);
    r.nodes_cpu("logins", &nodes1.since(&nodes0));
    r.machine_cpu("logins", cpu1.machine_since(&cpu0));
    Ok(r)
}
