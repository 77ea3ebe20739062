//! `storm`: wrong passwords from many connections and addresses while a
//! legitimate client logs in again and again from another address. Shows
//! what the abuse limits are for (docs/abuse-limits.md): the legit
//! login's latency during the storm, and ggzd's RSS before, during and
//! after (argon2's memory must not pile up).
//!
//! Storm connections come from `127.0.1.x` (one address per `--addresses`),
//! the legitimate client from `127.0.0.2`: on Linux every 127/8 address
//! reaches a server on 127.0.0.1. Each storm connection sends a LOGIN with
//! a wrong password and another one after each answer, until the server
//! closes it (a temporary ban) or the storm ends.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};

use ggzd::client::{Client, HEADER, bound_stream};
use ggzd::proto::request::LoginKind;

use super::clock::{monotonic_ns, secs};
use super::crowd::Target;
use super::histogram::Histogram;
use super::report::Report;

#[derive(Debug, Clone)]
pub struct StormOptions {
    pub connections: usize,
    pub addresses: usize,
    /// Legitimate logins, one after the other, during the storm.
    pub legit: usize,
    /// Least seconds the storm lasts (longer if the legit logins are not
    /// done yet).
    pub secs: f64,
    pub prefix: String,
}

struct Attacker {
    stream: MioStream,
    open: bool,
}

const WRONG: &[u8] = b"<LOGIN TYPE='normal'><NAME>NAME</NAME><PASSWORD>wrong</PASSWORD></LOGIN>\n";

fn wrong_login(victim: &str) -> Vec<u8> {
    String::from_utf8_lossy(WRONG)
        .replace("NAME</NAME>", &format!("{victim}</NAME>"))
        .into_bytes()
}

fn rss_kib(target: &Target) -> Option<u64> {
    target.process.as_ref().and_then(|p| p.rss_kib().ok())
}

/// Registers `name` (an existing account of that name is fine).
fn ensure_account(server: SocketAddr, name: &str, password: &str) -> io::Result<()> {
    let mut c = Client::connect(server, Duration::from_secs(30))?;
    let reply = c.login(LoginKind::First, name, Some(password), None)?;
    if reply.code != "ok" && reply.code != "username already taken" {
        return Err(io::Error::other(format!(
            "cannot register {name}: {}",
            reply.code
        )));
    }
    let _ = c.logout();
    Ok(())
}

/// The legitimate client: `count` logins from 127.0.0.2, timed from the
/// start of the connect to `RESULT login`.
fn legit_logins(
    server: SocketAddr,
    name: String,
    password: String,
    count: usize,
    stop: Arc<AtomicBool>,
) -> (Histogram, u64, Vec<String>) {
    let mut latency = Histogram::default();
    let mut ok = 0;
    let mut failures = Vec::new();
    let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    for _ in 0..count {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = monotonic_ns();
        let attempt =
            Client::connect_from(from, server, Duration::from_secs(60)).and_then(|mut c| {
                let reply = c.login(LoginKind::Normal, &name, Some(&password), None)?;
                let took = monotonic_ns().saturating_sub(started);
                let _ = c.logout();
                Ok((reply.code, took))
            });
        match attempt {
            Ok((code, took)) if code == "ok" => {
                ok += 1;
                latency.record(took);
            }
            Ok((code, _)) => failures.push(format!("refused: {code}")),
            Err(e) => failures.push(e.to_string()),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (latency, ok, failures)
}

/// Waits until ggzd used under 20 ms of CPU in half a second, twice in a
/// row (or a minute passed, or the run's deadline).
fn settle(target: &Target) {
    let Some(process) = target.process.as_ref() else {
        std::thread::sleep(Duration::from_secs(3));
        return;
    };
    let mut quiet = 0;
    let mut last = process.cpu_time().unwrap_or_default();
    for _ in 0..120 {
        if target.left().is_none() {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
        let now = process.cpu_time().unwrap_or_default();
        quiet = if now.saturating_sub(last) < Duration::from_millis(20) {
            quiet + 1
        } else {
            0
        };
        last = now;
        if quiet >= 2 {
            return;
        }
    }
}

pub fn run(target: &Target, o: &StormOptions) -> io::Result<Report> {
    target.probe()?;
    let mut r = Report::new("storm");
    r.count("connections", o.connections as u64);
    r.count("addresses", o.addresses as u64);
    r.maybe_count("rss_idle_kib", rss_kib(target));
    let victim = format!("{}victim", o.prefix);
    let legit = format!("{}legit", o.prefix);
    let password = "storm-password".to_string();
    ensure_account(target.server, &victim, "not-guessed")?;
    ensure_account(target.server, &legit, &password)?;

    let poll_timeout = Duration::from_millis(50);
    let mut poll = Poll::new()?;
    let mut attackers = Vec::with_capacity(o.connections);
    let wrong = wrong_login(&victim);
    for i in 0..o.connections {
        let host = (i % o.addresses.max(1)) as u32 + 1;
        let from = IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            1 + (host / 250) as u8,
            (host % 250) as u8,
        ));
        let stream: TcpStream = bound_stream(from, target.server)?;
        stream.set_nonblocking(true)?;
        let mut stream = MioStream::from_std(stream);
        // Header and first attempt fit any socket buffer.
        stream.write_all(HEADER.as_bytes())?;
        stream.write_all(&wrong)?;
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE)?;
        attackers.push(Attacker { stream, open: true });
    }

    let stop = Arc::new(AtomicBool::new(false));
    let legit_thread = {
        let (server, stop) = (target.server, Arc::clone(&stop));
        let (name, password, count) = (legit.clone(), password.clone(), o.legit);
        std::thread::spawn(move || legit_logins(server, name, password, count, stop))
    };

    let started = monotonic_ns();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    let (mut answers, mut closed, mut full) = (0u64, 0u64, 0u64);
    let mut rss_peak = 0u64;
    let mut last_sample = 0u64;
    loop {
        let elapsed = secs(monotonic_ns().saturating_sub(started));
        if (elapsed >= o.secs && legit_thread.is_finished()) || target.left().is_none() {
            break;
        }
        poll.poll(&mut events, Some(poll_timeout))?;
        for event in events.iter() {
            let Some(a) = attackers.get_mut(event.token().0) else {
                continue;
            };
            while a.open {
                match a.stream.read(&mut buf) {
                    Ok(0) => {
                        a.open = false;
                        closed += 1;
                    }
                    Ok(n) => {
                        let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default());
                        full += text.matches("STATUS='full'").count() as u64;
                        for _ in 0..text.matches("ACTION='login'").count() {
                            answers += 1;
                            if a.stream.write_all(&wrong).is_err() {
                                a.open = false;
                                closed += 1;
                                break;
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        a.open = false;
                        closed += 1;
                    }
                }
            }
        }
        let now = monotonic_ns();
        if now.saturating_sub(last_sample) > 100_000_000 {
            last_sample = now;
            rss_peak = rss_peak.max(rss_kib(target).unwrap_or(0));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let storm_s = secs(monotonic_ns().saturating_sub(started));
    drop(attackers);
    let (latency, ok, failures) = legit_thread
        .join()
        .map_err(|_| io::Error::other("the legit client thread panicked"))?;
    // ggzd answers what the storm queued before it hung up (a closed
    // connection looks half-closed at first): wait until it is idle.
    let settle_started = monotonic_ns();
    settle(target);
    r.real(
        "settle_s",
        secs(monotonic_ns().saturating_sub(settle_started)),
        1,
    );

    r.real("storm_s", storm_s, 1);
    r.count("wrong_password_answers", answers);
    r.count("storm_closed_by_server", closed);
    r.count("storm_refused_full", full);
    r.count("legit_ok", ok);
    r.count("legit_failed", failures.len() as u64);
    if let Some(first) = failures.first() {
        r.warn(format!("legit login failed: {first}"));
    }
    r.latency("legit_login", &latency);
    if target.process.is_some() {
        r.count("rss_peak_kib", rss_peak);
    }
    r.maybe_count("rss_after_kib", rss_kib(target));
    Ok(r)
}
