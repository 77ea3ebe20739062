//! The zone's side of the abuse limits (docs/abuse-limits.md): connections
//! not logged in per address, failed-login backoff and temporary bans, the
//! fair queue that feeds login jobs to the workers, and clients that shut
//! down their sending side while a login is pending.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::Zone;
use super::effects::{Close, ConnId, Job, LoginOutcome, Sink, TimerKey, TimerKind, msg};
use super::session::State;
use crate::abuse::fairq::{Lane, Pushed};
use crate::abuse::throttle::Gate;
use crate::proto::reply as r;
use crate::proto::request::LoginKind;
use crate::proto::types::ResultCode;

/// A login job at the workers, and whom its failure counts against.
pub(crate) struct Running {
    key: IpAddr,
    /// The account of a normal login.
    account: Option<String>,
    kind: LoginKind,
}

impl Zone {
    /// Whether one more connection from `key` that has not logged in fits.
    pub(crate) fn admits_prelogin(&self, key: IpAddr) -> bool {
        let limit = self.settings.abuse.max_prelogin_per_ip;
        limit == 0 || self.prelogin.get(&key).copied().unwrap_or(0) < limit
    }

    /// The connection logged in, became a game channel, or left: it no
    /// longer counts as waiting to log in.
    pub(crate) fn leave_prelogin(&mut self, conn: ConnId) {
        let Some(session) = self.session_mut(conn) else {
            return;
        };
        if !std::mem::replace(&mut session.prelogin, false) {
            return;
        }
        let key = session.key;
        if let Some(count) = self.prelogin.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.prelogin.remove(&key);
            }
        }
    }

    /// Starts a prepared login (its job is in the session's
    /// `PendingLogin`): at once, after backoff, or not at all.
    pub(crate) fn gate_login(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let Some(session) = self.session(conn) else {
            return;
        };
        let (key, peer) = (session.key, session.peer);
        let State::LoggingIn(pending) = &session.state else {
            return;
        };
        let account = (pending.kind == LoginKind::Normal).then_some(pending.canonical.as_str());
        match self.throttle.gate(key, account, now) {
            Gate::Go => self.queue_login(conn, now, sink),
            Gate::Wait(at) => {
                if let Some(State::LoggingIn(pending)) =
                    self.session_mut(conn).map(|s| &mut s.state)
                {
                    pending.delay_until = Some(at);
                }
                sink.timer(
                    at,
                    TimerKey {
                        conn,
                        kind: TimerKind::LoginDelay,
                    },
                );
            }
            Gate::Banned(_) => {
                log::info!(target: "security", "login from {peer} refused: banned for failed logins");
                self.refuse_login(conn, ResultCode::UsrLookup, now, sink);
                sink.close(conn, Close::AfterFlush);
                self.disconnected(conn, now, sink);
            }
        }
    }

    pub(crate) fn on_login_delay(
        &mut self,
        conn: ConnId,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(session) = self.session_mut(conn) else {
            return;
        };
        let State::LoggingIn(pending) = &mut session.state else {
            return;
        };
        if pending.delay_until != Some(deadline) {
            return;
        }
        pending.delay_until = None;
        // Failures may have come in meanwhile: ask again.
        self.gate_login(conn, now, sink);
    }

    fn queue_login(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let Some(key) = self.session(conn).map(|s| s.key) else {
            return;
        };
        let lane = if self.throttle.is_suspect(key, now) {
            Lane::Suspect
        } else {
            Lane::Clean
        };
        let refused = match self.login_queue.push(key, conn, lane) {
            Pushed::Queued => None,
            Pushed::Evicted(_, other) => Some(other),
            Pushed::Refused(_) => Some(conn),
        };
        if let Some(refused) = refused {
            self.note_queue_full(key, now);
            self.refuse_login(refused, ResultCode::UsrLookup, now, sink);
        }
        self.dispatch_logins(sink);
    }

    /// A full queue during a storm would log a line per attempt: one line
    /// per minute at most, with the count.
    fn note_queue_full(&mut self, key: IpAddr, now: Instant) {
        self.queue_refusals += 1;
        let due = self
            .queue_full_logged
            .is_none_or(|at| now.saturating_duration_since(at) >= Duration::from_secs(60));
        if due {
            log::warn!(
                target: "security",
                "login queue full: {} login(s) refused (the last for {key}'s share)",
                self.queue_refusals
            );
            self.queue_refusals = 0;
            self.queue_full_logged = Some(now);
        }
    }

    /// Hands queued logins to the workers while a worker is free.
    pub(crate) fn dispatch_logins(&mut self, sink: &mut dyn Sink) {
        while self.logins_running.len() < self.settings.abuse.login_slots {
            let Some((key, conn)) = self.login_queue.pop() else {
                return;
            };
            let Some(State::LoggingIn(pending)) = self.session_mut(conn).map(|s| &mut s.state)
            else {
                continue;
            };
            let Some(login) = pending.job.take() else {
                continue;
            };
            let running = Running {
                key,
                account: (pending.kind == LoginKind::Normal).then(|| pending.canonical.clone()),
                kind: pending.kind,
            };
            if running.kind != LoginKind::Guest {
                self.stats_order.login_begun(conn, &login.canonical);
            }
            self.logins_running.insert(conn, running);
            sink.submit(Job::Login { conn, login });
        }
    }

    /// A client that left takes its waiting login with it.
    pub(crate) fn forget_queued_login(&mut self, conn: ConnId) {
        if let Some(session) = self.session(conn)
            && matches!(session.state, State::LoggingIn(_))
        {
            let key = session.key;
            self.login_queue.remove(key, |c| *c == conn);
        }
    }

    /// Counts a finished login job for the throttle, whether or not its
    /// client is still there. Returns whether it earned its address a ban.
    pub(crate) fn account_login(
        &mut self,
        conn: ConnId,
        outcome: &LoginOutcome,
        now: Instant,
    ) -> bool {
        let Some(running) = self.logins_running.remove(&conn) else {
            return false;
        };
        let failed_account = match outcome {
            LoginOutcome::WrongPassword => running.account.as_deref(),
            LoginOutcome::Refused(ResultCode::UserNotFound)
                if running.kind == LoginKind::Normal =>
            {
                None
            }
            LoginOutcome::Accepted(_) => {
                if let Some(account) = &running.account {
                    self.throttle.succeeded(account);
                }
                return false;
            }
            _ => return false,
        };
        self.login_queue.demote(running.key);
        let Some(until) = self.throttle.failed(running.key, failed_account, now) else {
            return false;
        };
        let limits = &self.settings.abuse.throttle;
        log::warn!(
            target: "admin",
            "{} banned for {} s after {} failed logins",
            running.key,
            until.saturating_duration_since(now).as_secs(),
            limits.ban_failures
        );
        true
    }

    /// Answers a login that will not run and forgets it.
    fn refuse_login(&mut self, conn: ConnId, code: ResultCode, now: Instant, sink: &mut dyn Sink) {
        let Some(session) = self.session_mut(conn) else {
            return;
        };
        let State::LoggingIn(pending) = std::mem::replace(&mut session.state, State::Fresh) else {
            return;
        };
        let text = if pending.kind == LoginKind::First {
            r::result_login_first_fail(code)
        } else {
            r::result("login", code)
        };
        sink.send(conn, &msg(text));
        if session.half_closed {
            sink.close(conn, Close::AfterFlush);
            self.disconnected(conn, now, sink);
        }
    }

    /// The client will send nothing more. What it asked for is still
    /// answered: at once for what is queued, after the login job for a
    /// pending login. Returns false when the connection is not the zone's.
    pub fn peer_finished(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) -> bool {
        let Some(session) = self.session_mut(conn) else {
            return false;
        };
        if matches!(session.state, State::LoggingIn(_)) {
            session.half_closed = true;
            return true;
        }
        sink.close(conn, Close::AfterFlush);
        self.disconnected(conn, now, sink);
        true
    }
}
