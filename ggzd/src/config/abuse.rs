//! `[abuse]`: the limits that keep abusive peers from costing everyone
//! else (docs/abuse-limits.md).

use std::time::Duration;

use serde::Deserialize;

use crate::abuse::{Limits, throttle::ThrottleLimits};

/// `[abuse]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AbuseConfig {
    /// Kernel send buffer of each client socket, bytes; 0 = kernel default.
    pub send_buffer: u32,
    /// IPv6 peers count per network of this prefix length.
    pub ipv6_prefix: u8,
    /// Connections not logged in, per address; 0 = unlimited.
    pub max_prelogin_per_ip: u32,
    /// Delay after the first failed login, milliseconds; 0 = no backoff.
    pub login_backoff_ms: u32,
    /// Longest backoff delay, seconds.
    pub login_backoff_max: u32,
    /// Failed logins from one address that earn a ban; 0 = never.
    pub login_ban_failures: u32,
    /// Seconds a ban lasts, and failures are remembered.
    pub login_ban_time: u32,
    /// Login jobs waiting for a worker thread, in total.
    pub login_queue_limit: u32,
}

impl Default for AbuseConfig {
    fn default() -> Self {
        AbuseConfig {
            send_buffer: 65_536,
            ipv6_prefix: 64,
            max_prelogin_per_ip: 16,
            login_backoff_ms: 250,
            login_backoff_max: 30,
            login_ban_failures: 10,
            login_ban_time: 600,
            login_queue_limit: 256,
        }
    }
}

impl AbuseConfig {
    /// The limits the zone enforces; `workers` is the worker thread count.
    pub fn limits(&self, workers: usize) -> Limits {
        Limits {
            ipv6_prefix: self.ipv6_prefix,
            max_prelogin_per_ip: self.max_prelogin_per_ip as usize,
            login_queue_limit: self.login_queue_limit as usize,
            login_slots: workers.max(1),
            throttle: ThrottleLimits {
                backoff_base: Duration::from_millis(u64::from(self.login_backoff_ms)),
                backoff_max: Duration::from_secs(u64::from(self.login_backoff_max)),
                ban_failures: self.login_ban_failures,
                ban_time: Duration::from_secs(u64::from(self.login_ban_time)),
            },
        }
    }

    /// The key at fault and why, for `Config::validate`.
    pub(crate) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.ipv6_prefix > 128 {
            return Err(("abuse.ipv6_prefix", "must be between 0 and 128".into()));
        }
        if self.send_buffer != 0 && !(4096..=16 << 20).contains(&self.send_buffer) {
            return Err((
                "abuse.send_buffer",
                "must be 0 (kernel default) or between 4096 and 16777216 bytes".into(),
            ));
        }
        if self.login_ban_time < 1 {
            return Err(("abuse.login_ban_time", "must be at least 1 second".into()));
        }
        if !(1..=65_536).contains(&self.login_queue_limit) {
            return Err((
                "abuse.login_queue_limit",
                "must be between 1 and 65536".into(),
            ));
        }
        Ok(())
    }
}
