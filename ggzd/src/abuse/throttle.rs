//! Failed logins, counted per address group and per account. Each failure
//! delays the answer to the next attempt (exponential backoff, a deadline
//! the caller turns into a timer); enough failures from one address group
//! earn it a temporary ban. Accounts are only slowed down, never banned:
//! a ban by account would let anyone lock a player out.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Records kept per map at most; past this, expired ones are pruned and new
/// keys go untracked until there is room again.
const MAX_RECORDS: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Delay after the first failure; it doubles with each further one.
    /// Zero turns backoff off.
    pub backoff_base: Duration,
    /// The longest delay.
    pub backoff_max: Duration,
    /// Failures from one address group that earn a ban; 0 = never.
    pub ban_failures: u32,
    /// How long a ban lasts; failures are also forgotten this long after
    /// the last one.
    pub ban_time: Duration,
}

/// Whether a login attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Go,
    /// Not before this instant.
    Wait(Instant),
    /// The address group is banned until this instant.
    Banned(Instant),
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
    banned_until: Option<Instant>,
}

pub struct Throttle {
    limits: ThrottleLimits,
    by_ip: HashMap<IpAddr, Record>,
    by_account: HashMap<String, Record>,
}

impl Throttle {
    pub fn new(limits: ThrottleLimits) -> Throttle {
        Throttle {
            limits,
            by_ip: HashMap::new(),
            by_account: HashMap::new(),
        }
    }

    /// May an attempt from `ip` (already grouped) on `account` go ahead now?
    pub fn gate(&self, ip: IpAddr, account: Option<&str>, now: Instant) -> Gate {
        let ip_record = self.by_ip.get(&ip).filter(|r| self.live(r, now));
        if let Some(until) = ip_record.and_then(|r| r.banned_until).filter(|u| *u > now) {
            return Gate::Banned(until);
        }
        let account_record = account
            .and_then(|a| self.by_account.get(a))
            .filter(|r| self.live(r, now));
        let ready = [ip_record, account_record]
            .into_iter()
            .flatten()
            .filter_map(|r| self.ready_at(r))
            .max();
        match ready {
            Some(at) if at > now => Gate::Wait(at),
            _ => Gate::Go,
        }
    }

    /// Whether `ip` failed recently (its jobs queue behind clean ones).
    pub fn is_suspect(&self, ip: IpAddr, now: Instant) -> bool {
        self.by_ip
            .get(&ip)
            .is_some_and(|r| self.live(r, now) && (r.failures > 0 || r.banned_until.is_some()))
    }

    /// A failed attempt. Returns the end of the ban it earned, if any.
    pub fn failed(&mut self, ip: IpAddr, account: Option<&str>, now: Instant) -> Option<Instant> {
        if let Some(account) = account {
            let limits = self.limits;
            bump(&mut self.by_account, account.to_owned(), limits, now);
        }
        let limits = self.limits;
        let record = bump(&mut self.by_ip, ip, limits, now)?;
        if limits.ban_failures == 0 || record.failures < limits.ban_failures {
            return None;
        }
        let until = now + limits.ban_time;
        record.banned_until = Some(until);
        // A fresh start once the ban is over.
        record.failures = 0;
        record.last = until;
        Some(until)
    }

    /// A successful login clears the account's failures (not the
    /// address's: one good login must not reset a guessing address).
    pub fn succeeded(&mut self, account: &str) {
        self.by_account.remove(account);
    }

    fn live(&self, record: &Record, now: Instant) -> bool {
        record.banned_until.is_some_and(|u| u > now)
            || now.saturating_duration_since(record.last) < self.limits.ban_time
    }

    fn ready_at(&self, record: &Record) -> Option<Instant> {
        if record.failures == 0 || self.limits.backoff_base.is_zero() {
            return None;
        }
        Some(record.last + backoff(self.limits, record.failures))
    }

    #[cfg(test)]
    fn tracked(&self) -> (usize, usize) {
        (self.by_ip.len(), self.by_account.len())
    }
}

/// The delay after `failures` failures: base, 2 base, 4 base, ... up to max.
fn backoff(limits: ThrottleLimits, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    limits
        .backoff_base
        .checked_mul(1u32 << doublings)
        .unwrap_or(limits.backoff_max)
        .min(limits.backoff_max.max(limits.backoff_base))
}

/// Counts one failure under `key`; `None` when the map is full of live
/// records and `key` is new.
fn bump<K: Hash + Eq>(
    map: &mut HashMap<K, Record>,
    key: K,
    limits: ThrottleLimits,
    now: Instant,
) -> Option<&mut Record> {
    let expired = |r: &Record| {
        r.banned_until.is_none_or(|u| u <= now)
            && now.saturating_duration_since(r.last) >= limits.ban_time
    };
    if map.len() >= MAX_RECORDS && !map.contains_key(&key) {
        map.retain(|_, r| !expired(r));
        if map.len() >= MAX_RECORDS {
            return None;
        }
    }
    let record = map.entry(key).or_insert(Record {
        failures: 0,
        last: now,
        banned_until: None,
    });
    if expired(record) {
        *record = Record {
            failures: 0,
            last: now,
            banned_until: None,
        };
    }
    record.failures = record.failures.saturating_add(1);
    record.last = now;
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ThrottleLimits {
        ThrottleLimits {
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(4),
            ban_failures: 10,
            ban_time: Duration::from_secs(60),
        }
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let l = limits();
        let ms = |n| backoff(l, n).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(5)],
            [250, 500, 1000, 2000, 4000]
        );
        assert_eq!(ms(6), 4000);
        assert_eq!(ms(u32::MAX), 4000);
    }

    #[test]
    fn a_failure_delays_the_next_attempt_from_that_address() {
        let mut t = Throttle::new(limits());
        let now = Instant::now();
        assert_eq!(t.gate(ip(1), Some("ann"), now), Gate::Go);
        assert_eq!(t.failed(ip(1), Some("ann"), now), None);
        let wait = now + Duration::from_millis(250);
        assert_eq!(t.gate(ip(1), None, now), Gate::Wait(wait));
        // The account is slowed down from anywhere.
        assert_eq!(t.gate(ip(2), Some("ann"), now), Gate::Wait(wait));
        // Others are not.
        assert_eq!(t.gate(ip(2), Some("bob"), now), Gate::Go);
        assert_eq!(t.gate(ip(1), None, wait), Gate::Go);
        assert!(t.is_suspect(ip(1), now));
        assert!(!t.is_suspect(ip(2), now));
    }

    #[test]
    fn the_longer_of_address_and_account_delay_applies() {
        let mut t = Throttle::new(limits());
        let now = Instant::now();
        for _ in 0..3 {
            t.failed(ip(1), None, now);
        }
        t.failed(ip(2), Some("ann"), now);
        assert_eq!(
            t.gate(ip(1), Some("ann"), now),
            Gate::Wait(now + Duration::from_secs(1))
        );
    }

    #[test]
    fn enough_failures_ban_the_address_for_a_while() {
        let mut t = Throttle::new(limits());
        let mut now = Instant::now();
        for n in 1..10 {
            assert_eq!(t.failed(ip(1), Some("ann"), now), None, "failure {n}");
            now += Duration::from_secs(1);
        }
        let until = now + Duration::from_secs(60);
        assert_eq!(t.failed(ip(1), Some("ann"), now), Some(until));
        assert_eq!(t.gate(ip(1), Some("bob"), now), Gate::Banned(until));
        assert_eq!(
            t.gate(ip(1), None, until - Duration::from_millis(1)),
            Gate::Banned(until)
        );
        // Over: a clean slate for the address.
        assert_eq!(t.gate(ip(1), None, until), Gate::Go);
        assert_eq!(t.failed(ip(1), None, until), None);
        assert_eq!(
            t.gate(ip(1), None, until),
            Gate::Wait(until + Duration::from_millis(250))
        );
    }

    #[test]
    fn accounts_are_never_banned() {
        let mut t = Throttle::new(limits());
        let now = Instant::now();
        for n in 0..20u8 {
            assert_eq!(t.failed(ip(n), Some("ann"), now), None);
        }
        assert_eq!(
            t.gate(ip(100), Some("ann"), now),
            Gate::Wait(now + Duration::from_secs(4))
        );
    }

    #[test]
    fn failures_are_forgotten_after_the_ban_time() {
        let mut t = Throttle::new(limits());
        let now = Instant::now();
        for _ in 0..5 {
            t.failed(ip(1), Some("ann"), now);
        }
        let later = now + Duration::from_secs(60);
        assert_eq!(t.gate(ip(1), Some("ann"), later), Gate::Go);
        assert!(!t.is_suspect(ip(1), later));
        // The count starts again from one.
        t.failed(ip(1), Some("ann"), later);
        assert_eq!(
            t.gate(ip(1), None, later),
            Gate::Wait(later + Duration::from_millis(250))
        );
    }

    #[test]
    fn success_clears_the_account_only() {
        let mut t = Throttle::new(limits());
        let now = Instant::now();
        t.failed(ip(1), Some("ann"), now);
        t.succeeded("ann");
        assert_eq!(t.gate(ip(2), Some("ann"), now), Gate::Go);
        assert!(matches!(t.gate(ip(1), Some("ann"), now), Gate::Wait(_)));
    }

    #[test]
    fn zero_base_disables_backoff_but_not_bans() {
        let mut t = Throttle::new(ThrottleLimits {
            backoff_base: Duration::ZERO,
            ban_failures: 2,
            ..limits()
        });
        let now = Instant::now();
        assert_eq!(t.failed(ip(1), Some("ann"), now), None);
        assert_eq!(t.gate(ip(1), Some("ann"), now), Gate::Go);
        assert!(t.failed(ip(1), Some("ann"), now).is_some());
        assert!(matches!(t.gate(ip(1), None, now), Gate::Banned(_)));
    }

    #[test]
    fn records_are_bounded() {
        let mut t = Throttle::new(limits());
        let now = Instant::now();
        for n in 0..(MAX_RECORDS as u32 + 10) {
            t.failed(IpAddr::from(n.to_be_bytes()), Some(&format!("u{n}")), now);
        }
        assert_eq!(t.tracked(), (MAX_RECORDS, MAX_RECORDS));
        // Once they expire, room is made again.
        let later = now + Duration::from_secs(61);
        t.failed(ip(1), Some("new"), later);
        assert_eq!(t.tracked(), (1, 1));
    }
}
