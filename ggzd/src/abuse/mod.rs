//! Limits that keep one abusive peer from costing everyone else: failed
//! login throttling and temporary bans (`throttle`), a fair, bounded queue
//! for password jobs (`fairq`), grouping of addresses for per-address
//! limits, and the allocator setting that keeps argon2's memory from piling
//! up (`malloc`). Everything here except `malloc` is sans-IO: clocks are
//! passed in. The limits and what a client sees: `docs/abuse-limits.md`.

pub mod fairq;
pub mod malloc;
pub mod throttle;

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// The abuse limits the zone enforces, taken from the config once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// IPv6 peers are counted per network of this prefix length.
    pub ipv6_prefix: u8,
    /// Connections not (yet) logged in, per address group; 0 = unlimited.
    pub max_prelogin_per_ip: usize,
    /// Password jobs waiting for a worker, in total.
    pub login_queue_limit: usize,
    /// Login jobs handed to the workers at once (the worker count).
    pub login_slots: usize,
    pub throttle: throttle::ThrottleLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ipv6_prefix: 64,
            max_prelogin_per_ip: 0,
            login_queue_limit: 256,
            login_slots: 1,
            throttle: throttle::ThrottleLimits {
                backoff_base: Duration::ZERO,
                backoff_max: Duration::ZERO,
                ban_failures: 0,
                ban_time: Duration::from_secs(600),
            },
        }
    }
}

/// The key every per-address limit counts by: an IPv4 address as is, an
/// IPv6 address cut to its first `v6_prefix` bits (one customer usually
/// gets a whole /64, so counting single IPv6 addresses limits nothing).
/// IPv4-mapped IPv6 addresses count as their IPv4 address.
pub fn group(addr: IpAddr, v6_prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let bits = u32::from(v6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_peers_group_by_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::7".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(group(a, 64), group(b, 64));
        assert_ne!(group(a, 64), group(c, 64));
        assert_eq!(group(a, 48), group(c, 48));
        assert_ne!(group(a, 128), group(b, 128));
        assert_eq!(group(a, 0), group(c, 0));
        assert_eq!(group(a, 64), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ipv4_is_its_own_group() {
        let v4: IpAddr = "192.0.2.9".parse().unwrap();
        assert_eq!(group(v4, 64), v4);
        let mapped: IpAddr = "::ffff:192.0.2.9".parse().unwrap();
        assert_eq!(group(mapped, 64), v4);
    }
}
