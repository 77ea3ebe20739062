//! Which server addresses the load generator may be pointed at.
//!
//! A load generator aimed at someone else's machine is an attack, so only
//! loopback addresses are accepted unless the user explicitly allows remote
//! targets.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `spec` (`host:port`) to the first address and refuses
/// anything but loopback unless `allow_remote` is set.
pub fn resolve(spec: &str, allow_remote: bool) -> io::Result<SocketAddr> {
    let addr = spec
        .to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve {spec}: {e}")))?
        .next()
        .ok_or_else(|| io::Error::other(format!("{spec} resolves to no address")))?;
    check(addr, allow_remote)?;
    Ok(addr)
}

/// Refuses a non-loopback address unless `allow_remote` is set.
pub fn check(addr: SocketAddr, allow_remote: bool) -> io::Result<()> {
    if addr.ip().is_loopback() || allow_remote {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{addr} is not a loopback address; load tests go to 127.0.0.1 \
                 unless --allow-remote is given"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only_by_default() {
        assert!(resolve("127.0.0.1:5688", false).is_ok());
        assert!(resolve("[::1]:5688", false).is_ok());
        assert!(resolve("127.3.2.1:1", false).is_ok());
        let err = resolve("10.0.0.1:5688", false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(resolve("10.0.0.1:5688", true).is_ok());
    }
}
