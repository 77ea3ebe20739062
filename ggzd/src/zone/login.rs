//! LOGIN: the checks the zone can make at once, the job the workers do
//! (database lookups and password hashing), and completing the login when
//! the job comes back.
//!
//! The online-name check runs again at completion, because another login
//! of the same name may have finished while this one waited.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::chat::ChatBucket;
use super::effects::{Close, ConnId, LoginJob, LoginOutcome, Sink, msg};
use super::perms;
use super::session::{PendingLogin, Player, State};
use super::{Registration, TimerKey, TimerKind, Zone};
use crate::config::{UsernameError, canonical_name, check_username};
use crate::proto::reply as r;
use crate::proto::request::{LoginKind, LoginRequest};
use crate::proto::types::ResultCode;

/// `REASON` of a login refused because the store is away, for clients
/// that use extensions (docs/postgresql.md §5).
pub const STORE_UNAVAILABLE: &str = "database unavailable, try again later";

/// Registration stores at most this many bytes of the password.
const STORED_PASSWORD_BYTES: usize = 16;

impl Zone {
    pub(crate) fn on_login(
        &mut self,
        conn: ConnId,
        login: LoginRequest,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(session) = self.session(conn) else {
            return;
        };
        let fail = |code: ResultCode, sink: &mut dyn Sink, first: bool| {
            let text = if first {
                r::result_login_first_fail(code)
            } else {
                r::result("login", code)
            };
            sink.send(conn, &msg(text));
        };
        let first = matches!(login.kind, Some(LoginKind::First));
        let (Some(kind), Some(name)) = (login.kind, login.name) else {
            return fail(ResultCode::BadOptions, sink, first);
        };
        if kind == LoginKind::Normal && login.password.is_none() {
            return fail(ResultCode::BadOptions, sink, first);
        }
        match session.state {
            State::Fresh => {}
            State::Player(_) | State::LoggingIn(_) => {
                return fail(ResultCode::AlreadyLoggedIn, sink, first);
            }
            State::Channel { .. } | State::Handed { .. } => return,
        }
        if kind != LoginKind::Normal && self.settings.registration == Registration::Closed {
            return fail(ResultCode::WrongLoginType, sink, first);
        }
        match check_username(&self.settings.username, &name) {
            Ok(()) => {}
            Err(UsernameError::TooLong) => return fail(ResultCode::TooLong, sink, first),
            Err(_) => return fail(ResultCode::BadUsername, sink, first),
        }
        let canonical = canonical_name(&name);
        if kind != LoginKind::Guest
            && (self.names.contains_key(&canonical) || self.remote_has(&canonical))
        {
            return fail(ResultCode::AlreadyLoggedIn, sink, first);
        }
        let password = match kind {
            // Without a password the workers generate one, which the reply
            // carries back: the flow 0.0.14 clients rely on.
            LoginKind::First => login
                .password
                .filter(|p| !p.is_empty())
                .map(|p| truncate_utf8(&p, STORED_PASSWORD_BYTES).to_string()),
            LoginKind::Normal => login.password,
            LoginKind::Guest => None,
        };
        let address = self
            .session(conn)
            .map(|s| s.peer.to_string())
            .unwrap_or_default();
        let claim = self.new_claim(conn, &canonical);
        let job = LoginJob {
            claim,
            kind,
            canonical: canonical.clone(),
            password: password.clone(),
            email: login.email.unwrap_or_default(),
            confirm_required: self.settings.registration == Registration::Confirm,
            address,
            now: unix_now(),
        };
        if let Some(session) = self.session_mut(conn) {
            session.state = State::LoggingIn(Box::new(PendingLogin {
                kind,
                name,
                canonical,
                echo_password: password.filter(|_| kind == LoginKind::First),
                job: Some(job),
                delay_until: None,
                received: now,
            }));
        }
        self.gate_login(conn, now, sink);
    }

    /// LOGIN, counting a refusal that needs no worker for the metrics
    /// (those that do are counted in `on_login_done`).
    pub(crate) fn on_login_counted(
        &mut self,
        conn: ConnId,
        login: LoginRequest,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let kind = login.kind.unwrap_or(LoginKind::Guest);
        let state = |zone: &Zone| {
            zone.session(conn).map(|s| {
                (
                    matches!(s.state, State::Channel { .. } | State::Handed { .. }),
                    matches!(s.state, State::LoggingIn(_)),
                )
            })
        };
        let before = state(self);
        self.on_login(conn, login, now, sink);
        let pending_after = state(self).is_some_and(|(_, pending)| pending);
        if let Some((false, pending_before)) = before
            && (pending_before || !pending_after)
        {
            self.metrics.login(crate::metrics::login_label(kind), false);
        }
    }

    /// The workers finished a login job.
    pub fn on_login_done(
        &mut self,
        conn: ConnId,
        outcome: LoginOutcome,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let banned = self.account_login(conn, &outcome, now);
        let claimed = matches!(
            outcome,
            LoginOutcome::Accepted(_) | LoginOutcome::GuestChecked { registered: false }
        );
        let stale = self.stats_order.login_done(conn);
        self.finish_login(conn, outcome, now, sink);
        if let Some((canonical, games)) = stale {
            self.reread_stale_login(conn, &canonical, games, sink);
        }
        self.settle_claim(conn, claimed, sink);
        let half_closed = self.session(conn).is_some_and(|s| s.half_closed);
        if banned || half_closed {
            sink.close(conn, Close::AfterFlush);
            self.disconnected(conn, now, sink);
        }
        self.dispatch_logins(sink);
    }

    fn finish_login(
        &mut self,
        conn: ConnId,
        outcome: LoginOutcome,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(session) = self.session_mut(conn) else {
            // The client left while the job ran.
            return;
        };
        let uses_extensions = session.ext != super::extensions::Extensions::default();
        let pending = match std::mem::replace(&mut session.state, State::Fresh) {
            State::LoggingIn(pending) => pending,
            other => {
                session.state = other;
                return;
            }
        };
        let first = pending.kind == LoginKind::First;
        let label = crate::metrics::login_label(pending.kind);
        let metrics = &mut self.metrics;
        metrics
            .login_latency
            .observe(now.saturating_duration_since(pending.received));
        let mut refuse = |code: ResultCode, sink: &mut dyn Sink| {
            metrics.login(label, false);
            log::info!(target: "security", "login of {} refused: {}", pending.name, code);
            let text = if first {
                r::result_login_first_fail(code)
            } else {
                r::result("login", code)
            };
            sink.send(conn, &msg(text));
        };
        let account = match outcome {
            LoginOutcome::StoreUnavailable if uses_extensions => {
                // Same code as for an original client, plus why: our
                // clients tell "try later" from a wrong password.
                metrics.login(label, false);
                log::info!(target: "security", "login of {} refused: database unavailable", pending.name);
                let text = crate::proto::ext_reply::login_refused_with_reason(
                    ResultCode::UsrLookup,
                    first,
                    STORE_UNAVAILABLE,
                );
                sink.send(conn, &msg(text));
                return;
            }
            LoginOutcome::StoreUnavailable => return refuse(ResultCode::UsrLookup, sink),
            LoginOutcome::Refused(code) => return refuse(code, sink),
            LoginOutcome::WrongPassword => return refuse(ResultCode::UsrLookup, sink),
            LoginOutcome::GuestChecked { registered: true } => {
                return refuse(ResultCode::WrongLoginType, sink);
            }
            LoginOutcome::GuestChecked { registered: false } => None,
            LoginOutcome::Accepted(account) => Some(account),
        };
        if self.names.contains_key(&pending.canonical)
            || self
                .cluster
                .as_ref()
                .is_some_and(|c| c.view.get(&pending.canonical).is_some())
        {
            return refuse(ResultCode::AlreadyLoggedIn, sink);
        }
        let PendingLogin {
            kind,
            name,
            canonical,
            echo_password,
            ..
        } = *pending;
        let mut account = account.map(|a| *a).unwrap_or_default();
        let echo_password = account.generated_password.take().or(echo_password);
        let guest = kind == LoginKind::Guest;
        let player = Player {
            name: name.clone(),
            canonical: canonical.clone(),
            guest,
            perms: if guest {
                perms::GUEST
            } else {
                account.permissions
            },
            real_name: account.real_name,
            room: None,
            place: None,
            launching: None,
            lag: 1,
            ping_sent: None,
            ping_due: None,
            lag_due: None,
            room_update_due: None,
            rooms_reported_at: now,
            stats: account.stats,
            chat: ChatBucket::new(&self.settings.chat, now),
            gagged: false,
            channel: None,
            channel_token: None,
        };
        if let Some(session) = self.session_mut(conn) {
            session.state = State::Player(Box::new(player));
        }
        self.names.insert(canonical, conn);
        self.cluster_player_changed(conn, sink);
        self.metrics.login(label, true);
        self.leave_prelogin(conn);
        log::info!(target: "connections", "{name} logged in ({})", kind_name(kind));

        let result = match kind {
            LoginKind::First => r::result_login_first_ok(echo_password.as_deref().unwrap_or("")),
            _ => r::result("login", ResultCode::Ok),
        };
        sink.send(conn, &msg(result));
        self.send_motd(conn, sink);
        self.issue_channel_token(conn, now, sink);
        self.send_rejoin(conn, sink);
        self.schedule_first_ping(conn, now, sink);
        self.schedule_room_update(conn, now, sink);
    }

    /// The first ping goes out a few seconds after login.
    fn schedule_first_ping(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        if self.settings.ping_frequency.is_none() {
            return;
        }
        let due = now + self.settings.first_ping_delay;
        if let Some(p) = self.player_mut(conn) {
            p.ping_due = Some(due);
            sink.timer(
                due,
                TimerKey {
                    conn,
                    kind: TimerKind::Ping,
                },
            );
        }
    }
}

fn kind_name(kind: LoginKind) -> &'static str {
    match kind {
        LoginKind::Normal => "registered",
        LoginKind::Guest => "guest",
        LoginKind::First => "new registration",
    }
}

pub(crate) fn truncate_utf8(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// Seconds since the epoch, as the database stores times.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
