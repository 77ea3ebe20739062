//! The `[user@]host[:port]` argument.

/// Host used when the argument names none.
pub const DEFAULT_HOST: &str = "localhost";

/// GGZ's registered port.
pub const DEFAULT_PORT: u16 = 5688;

/// Where to connect and, optionally, as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The login name before `@`, if any.
    pub user: Option<String>,
    /// Host name or address literal (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Default for Address {
    fn default() -> Self {
        Address {
            user: None,
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
        }
    }
}

impl Address {
    /// `host:port` as `ToSocketAddrs` takes it (brackets around IPv6).
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Parses `[user@]host[:port]`; IPv6 literals go in brackets
/// (`[::1]:5688`). An empty host means [`DEFAULT_HOST`].
pub fn parse(arg: &str) -> Result<Address, String> {
    let (user, rest) = match arg.rsplit_once('@') {
        Some(("", _)) => {
            return Err(format!("'{arg}': nothing before '@' (want user@host)"));
        }
        Some((user, rest)) => (Some(user.to_owned()), rest),
        None => (None, arg),
    };
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("'{arg}': '[' without ']'"))?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("'{arg}': expected ':port' after ']'")),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err(format!("'{arg}': put an IPv6 address in brackets"));
            }
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("'{arg}': '{p}' is not a port (1-65535)")),
        },
    };
    let host = if host.is_empty() { DEFAULT_HOST } else { host };
    Ok(Address {
        user,
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(user: Option<&str>, host: &str, port: u16) -> Address {
        Address {
            user: user.map(str::to_owned),
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn every_form() {
        assert_eq!(parse("localhost"), Ok(addr(None, "localhost", 5688)));
        assert_eq!(parse("127.0.0.1:7000"), Ok(addr(None, "127.0.0.1", 7000)));
        assert_eq!(
            parse("bob@127.0.0.1"),
            Ok(addr(Some("bob"), "127.0.0.1", 5688))
        );
        assert_eq!(parse("bob@:9"), Ok(addr(Some("bob"), "localhost", 9)));
        assert_eq!(parse("[::1]:5689"), Ok(addr(None, "::1", 5689)));
        assert_eq!(parse("a@b@[::1]"), Ok(addr(Some("a@b"), "::1", 5688)));
        assert_eq!(parse(""), Ok(Address::default()));
    }

    #[test]
    fn bad_forms_say_why() {
        for bad in [
            "@host",
            "host:0",
            "host:x",
            "host:70000",
            "::1",
            "[::1",
            "[::1]x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("host:x").unwrap_err().contains("not a port"));
    }

    #[test]
    fn host_port_brackets_ipv6() {
        assert_eq!(addr(None, "::1", 1).host_port(), "[::1]:1");
        assert_eq!(addr(None, "localhost", 2).host_port(), "localhost:2");
    }
}
