//! The table's settings, from the game description's `executable` line
//! (docs/lockstep.md §1): one executable serves any deterministic game, so
//! everything that differs between games is an argument.

use std::fmt;
use std::time::Duration;

/// Settings of one lockstep table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Fewest seated players that can start.
    pub min_players: usize,
    /// Most players (also capped by the table's seats).
    pub max_players: usize,
    /// Turn length.
    pub turn: Duration,
    /// Command bytes per player per turn.
    pub max_command: usize,
    /// State hash length in bytes.
    pub hash_len: usize,
    /// Turns a player may fall behind before the game pauses.
    pub max_lag_turns: u32,
    /// How long a player may hold the game up before being dropped.
    pub lag_timeout: Duration,
    /// Bytes of master packets kept for catch-ups.
    pub log_bytes: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            min_players: 2,
            max_players: 2,
            turn: Duration::from_millis(50),
            max_command: 256,
            hash_len: 8,
            max_lag_turns: 10,
            lag_timeout: Duration::from_secs(10),
            log_bytes: 16 << 20,
        }
    }
}

/// Most seats a table may have: START names its players in a 32-bit mask.
pub const MAX_PLAYERS: usize = 32;
/// Largest command: its length travels as 16 bits in a master packet.
pub const MAX_COMMAND: usize = 60_000;
/// Largest hash.
pub const MAX_HASH: usize = 64;

/// A bad argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError(pub String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Usage text.
pub const USAGE: &str = "usage: ggzd-lockstep [--min-players N] [--max-players N] [--turn-ms MS]
    [--max-command-bytes N] [--hash-bytes N] [--max-lag-turns N]
    [--lag-timeout-ms MS] [--log-bytes N]
A lockstep relay game server for ggzd: it must be started by ggzd
(GGZMODE=true, control socket on fd 3). See docs/lockstep.md.";

fn number(name: &str, value: Option<String>, min: u64, max: u64) -> Result<u64, ArgError> {
    let v = value.ok_or_else(|| ArgError(format!("{name} needs a value")))?;
    let n: u64 = v
        .parse()
        .map_err(|_| ArgError(format!("{name}: {v:?} is not a number")))?;
    if n < min || n > max {
        return Err(ArgError(format!("{name}: {n} is outside {min}..={max}")));
    }
    Ok(n)
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run a table; the strings are arguments not understood (logged).
    Run(Config, Vec<String>),
    /// Print this and exit successfully.
    Print(String),
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, ArgError> {
    let mut c = Config::default();
    let mut ignored = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next());
        match name.as_str() {
            "--min-players" => {
                c.min_players = number(&name, value(), 1, MAX_PLAYERS as u64)? as usize
            }
            "--max-players" => {
                c.max_players = number(&name, value(), 1, MAX_PLAYERS as u64)? as usize
            }
            "--turn-ms" => c.turn = Duration::from_millis(number(&name, value(), 1, 60_000)?),
            "--max-command-bytes" => {
                c.max_command = number(&name, value(), 0, MAX_COMMAND as u64)? as usize;
            }
            "--hash-bytes" => c.hash_len = number(&name, value(), 1, MAX_HASH as u64)? as usize,
            "--max-lag-turns" => c.max_lag_turns = number(&name, value(), 1, 100_000)? as u32,
            "--lag-timeout-ms" => {
                c.lag_timeout = Duration::from_millis(number(&name, value(), 1, 3_600_000)?);
            }
            "--log-bytes" => c.log_bytes = number(&name, value(), 0, 1 << 32)? as usize,
            "-h" | "--help" => return Ok(Parsed::Print(USAGE.to_owned())),
            "-V" | "--version" => {
                return Ok(Parsed::Print(format!(
                    "ggzd-lockstep {}",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            _ => ignored.push(arg),
        }
    }
    if c.min_players > c.max_players {
        return Err(ArgError(format!(
            "--min-players {} is above --max-players {}",
            c.min_players, c.max_players
        )));
    }
    Ok(Parsed::Run(c, ignored))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn arguments_set_the_config() {
        let Parsed::Run(c, ignored) = parse(args(
            "--min-players 1 --max-players=4 --turn-ms 100 --max-command-bytes 32 \
             --hash-bytes 16 --max-lag-turns 3 --lag-timeout-ms 500 --log-bytes 1000 --extra",
        ))
        .unwrap() else {
            panic!("not a run");
        };
        assert_eq!(c.min_players, 1);
        assert_eq!(c.max_players, 4);
        assert_eq!(c.turn, Duration::from_millis(100));
        assert_eq!((c.max_command, c.hash_len, c.max_lag_turns), (32, 16, 3));
        assert_eq!(c.lag_timeout, Duration::from_millis(500));
        assert_eq!(c.log_bytes, 1000);
        assert_eq!(ignored, ["--extra"]);
    }

    #[test]
    fn bad_arguments_are_named() {
        assert!(parse(args("--turn-ms 0")).is_err());
        assert!(parse(args("--hash-bytes 65")).is_err());
        assert!(parse(args("--turn-ms")).is_err());
        assert!(parse(args("--min-players 3 --max-players 2")).is_err());
        assert!(matches!(parse(args("--help")), Ok(Parsed::Print(_))));
    }
}
