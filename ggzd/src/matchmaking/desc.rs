//! Queue definitions: the `[[queue]]` tables of a TOML room file
//! (docs/matchmaking.md §2), checked once when the file is read.

use std::time::Duration;

use serde::Deserialize;

/// Most queues one room may offer.
pub const MAX_QUEUES_PER_ROOM: usize = 16;
/// Most groups (teams) one queue may have.
pub const MAX_GROUPS: usize = 8;
/// Longest queue or group name, in bytes.
pub const MAX_NAME: usize = 32;
/// Largest table a queue may fill (the zone's seat limit).
pub const MAX_TABLE: u32 = 32;

/// A team inside a queue's mode: how many of the table's seats it gets.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDesc {
    pub name: String,
    pub min: u32,
    pub max: u32,
}

/// One queue, as the room file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDesc {
    /// Unique on the server; the `QUEUE` attribute on the wire.
    pub name: String,
    /// Fewest and most seats (players and bots) of a matched table.
    pub min: u32,
    pub max: u32,
    /// Teams; empty = one group of everybody.
    pub groups: Vec<GroupDesc>,
    /// A table's size must be a multiple of this (at least 1).
    pub count_multiple: u32,
    /// Whether ratings limit who meets whom; unrated queues are FIFO.
    pub rated: bool,
    /// Allowed rating gap in a fresh ticket's first round, in points.
    pub rating_gap: u32,
    /// Points the allowed gap grows per round a ticket waited in vain.
    pub gap_widen: u32,
    /// The allowed gap never grows past this.
    pub max_gap: u32,
    /// Two-seat queues: rating points a pair's gap is discounted per
    /// second its two tickets waited, so long waiters go first.
    pub wait_bonus: u32,
    /// Missed rounds after which bots fill a lone ticket's table, where
    /// the game allows bots; `None` = never.
    pub bots_after: Option<u32>,
    /// Time between rounds.
    pub interval: Duration,
    /// How long matched players have to take their seats once the
    /// table is ready.
    pub no_show: Duration,
    /// How long a no-show may not queue again.
    pub cooldown: Duration,
}

/// `[[queue]]` as written in a TOML room file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueToml {
    name: String,
    min_players: u32,
    max_players: u32,
    #[serde(default)]
    group: Vec<GroupDesc>,
    #[serde(default = "one")]
    count_multiple: u32,
    #[serde(default = "yes")]
    rated: bool,
    #[serde(default = "default_gap")]
    rating_gap: u32,
    #[serde(default = "default_widen")]
    gap_widen: u32,
    #[serde(default = "default_max_gap")]
    max_gap: u32,
    #[serde(default = "default_bonus")]
    wait_bonus: u32,
    #[serde(default)]
    bots_after: Option<u32>,
    #[serde(default = "default_interval")]
    interval: f64,
    #[serde(default = "default_no_show")]
    no_show: f64,
    #[serde(default = "default_cooldown")]
    cooldown: f64,
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn default_gap() -> u32 {
    100
}
fn default_widen() -> u32 {
    50
}
fn default_max_gap() -> u32 {
    1000
}
fn default_bonus() -> u32 {
    5
}
fn default_interval() -> f64 {
    1.0
}
fn default_no_show() -> f64 {
    30.0
}
fn default_cooldown() -> f64 {
    60.0
}

fn seconds(key: &str, value: f64, lo: f64, hi: f64) -> Result<Duration, String> {
    if !(lo..=hi).contains(&value) {
        return Err(format!(
            "{key}: {value} is not between {lo} and {hi} seconds"
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl QueueToml {
    /// Checks what can be checked without the game; the message names
    /// the queue and the key.
    pub(crate) fn check(self) -> Result<QueueDesc, String> {
        let name = self.name;
        let err = |m: String| format!("queue `{name}`: {m}");
        if !valid_name(&name) {
            return Err(format!(
                "queue name `{name}`: 1 to {MAX_NAME} letters, digits, `-`, `_` or `.`"
            ));
        }
        if self.min_players == 0 || self.min_players > self.max_players {
            return Err(err(
                "min_players must be at least 1 and at most max_players".into(),
            ));
        }
        if self.max_players > MAX_TABLE {
            return Err(err(format!("max_players is more than {MAX_TABLE}")));
        }
        if self.count_multiple == 0 {
            return Err(err("count_multiple must be at least 1".into()));
        }
        if self.group.len() > MAX_GROUPS {
            return Err(err(format!("more than {MAX_GROUPS} groups")));
        }
        for g in &self.group {
            if !valid_name(&g.name) || g.min > g.max || g.max == 0 {
                return Err(err(format!(
                    "group `{}`: needs a plain name and 0 <= min <= max, max >= 1",
                    g.name
                )));
            }
            if self.group.iter().filter(|o| o.name == g.name).count() > 1 {
                return Err(err(format!("group `{}` appears twice", g.name)));
            }
        }
        let interval = seconds("interval", self.interval, 0.01, 3600.0).map_err(err)?;
        let no_show = seconds("no_show", self.no_show, 1.0, 3600.0).map_err(err)?;
        let cooldown = seconds("cooldown", self.cooldown, 0.0, 86400.0).map_err(err)?;
        let desc = QueueDesc {
            name: name.clone(),
            min: self.min_players,
            max: self.max_players,
            groups: self.group,
            count_multiple: self.count_multiple,
            rated: self.rated,
            rating_gap: self.rating_gap,
            gap_widen: self.gap_widen,
            max_gap: self.max_gap.max(self.rating_gap),
            wait_bonus: self.wait_bonus,
            bots_after: self.bots_after,
            interval,
            no_show,
            cooldown,
        };
        if desc.sizes(|_| true).is_empty() {
            return Err(err(
                "no table size fits min_players, max_players, count_multiple and the groups".into(),
            ));
        }
        Ok(desc)
    }
}

impl QueueDesc {
    /// The table sizes this queue may form, smallest first: within
    /// min..=max, a multiple of `count_multiple`, fillable by the groups
    /// and one the game allows (`allowed`).
    pub fn sizes(&self, allowed: impl Fn(u32) -> bool) -> Vec<u32> {
        let (lo, hi) = if self.groups.is_empty() {
            (0, u32::MAX)
        } else {
            (
                self.groups.iter().map(|g| g.min).sum::<u32>(),
                self.groups.iter().map(|g| g.max).sum::<u32>(),
            )
        };
        (self.min..=self.max.min(MAX_TABLE))
            .filter(|n| {
                n.is_multiple_of(self.count_multiple) && (lo..=hi).contains(n) && allowed(*n)
            })
            .collect()
    }
}

/// Parses the `[[queue]]` tables of one room; names must be unique in
/// the room (across rooms the zone keeps the first).
pub(crate) fn check_all(queues: Vec<QueueToml>) -> Result<Vec<QueueDesc>, String> {
    if queues.len() > MAX_QUEUES_PER_ROOM {
        return Err(format!("more than {MAX_QUEUES_PER_ROOM} queues"));
    }
    let mut out: Vec<QueueDesc> = Vec::new();
    for q in queues {
        let desc = q.check()?;
        if out.iter().any(|o| o.name == desc.name) {
            return Err(format!("queue `{}` appears twice", desc.name));
        }
        out.push(desc);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A queue with the shipped defaults and `min..=max` seats.
    pub(crate) fn queue(name: &str, min: u32, max: u32) -> QueueDesc {
        let toml = format!("name = \"{name}\"\nmin_players = {min}\nmax_players = {max}\n");
        let q: QueueToml = toml::from_str(&toml).unwrap();
        q.check().unwrap()
    }

    #[test]
    fn defaults_and_sizes() {
        let q = queue("ttt", 2, 2);
        assert_eq!(q.sizes(|_| true), [2]);
        assert_eq!(q.interval, Duration::from_secs(1));
        assert!(q.rated && q.bots_after.is_none());
        let mut q = queue("big", 2, 8);
        q.count_multiple = 2;
        assert_eq!(q.sizes(|_| true), [2, 4, 6, 8]);
        assert_eq!(q.sizes(|n| n != 6), [2, 4, 8]);
        q.groups = vec![
            GroupDesc {
                name: "a".into(),
                min: 2,
                max: 3,
            },
            GroupDesc {
                name: "b".into(),
                min: 2,
                max: 2,
            },
        ];
        assert_eq!(q.sizes(|_| true), [4]);
    }

    #[test]
    fn bad_queues_are_refused_with_the_key() {
        let cases = [
            (
                "name = \"a b\"\nmin_players = 2\nmax_players = 2\n",
                "queue name",
            ),
            (
                "name = \"q\"\nmin_players = 3\nmax_players = 2\n",
                "min_players",
            ),
            (
                "name = \"q\"\nmin_players = 2\nmax_players = 99\n",
                "max_players",
            ),
            (
                "name = \"q\"\nmin_players = 3\nmax_players = 3\ncount_multiple = 2\n",
                "no table size",
            ),
            (
                "name = \"q\"\nmin_players = 2\nmax_players = 2\ninterval = 0\n",
                "interval",
            ),
            (
                "name = \"q\"\nmin_players = 2\nmax_players = 2\n[[group]]\nname = \"x\"\nmin = 2\nmax = 1\n",
                "group `x`",
            ),
        ];
        for (text, want) in cases {
            let q: QueueToml = toml::from_str(text).unwrap();
            let err = q.check().unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn duplicate_names_in_one_room_are_refused() {
        let text = "name = \"q\"\nmin_players = 2\nmax_players = 2\n";
        let a: QueueToml = toml::from_str(text).unwrap();
        let b: QueueToml = toml::from_str(text).unwrap();
        assert!(check_all(vec![a, b]).unwrap_err().contains("twice"));
    }
}
