//! Number lists: the sets of allowed seat and bot counts of a game
//! (`PlayersAllowed`, `BotsAllowed`), as read from game descriptions and
//! written in `ALLOW PLAYERS='…' BOTS='…'`.
//!
//! A list holds explicit values 1..=32 plus at most one range `min..max`.

use std::fmt;

/// Largest explicit value a list can hold.
pub const MAX_EXPLICIT: u32 = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberList {
    /// Bit `n - 1` set means `n` is allowed.
    values: u32,
    range: Option<(u32, u32)>,
}

/// Why a number list did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberListError(pub String);

impl fmt::Display for NumberListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NumberListError {}

impl NumberList {
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn single(n: u32) -> Self {
        let mut list = Self::default();
        list.insert(n);
        list
    }

    /// Adds an explicit value; values outside 1..=32 are ignored, as the
    /// original does.
    pub fn insert(&mut self, n: u32) {
        if (1..=MAX_EXPLICIT).contains(&n) {
            self.values |= 1 << (n - 1);
        }
    }

    pub fn contains(&self, n: u32) -> bool {
        let explicit = (1..=MAX_EXPLICIT).contains(&n) && self.values & (1 << (n - 1)) != 0;
        explicit || self.range.is_some_and(|(lo, hi)| (lo..=hi).contains(&n))
    }

    pub fn is_empty(&self) -> bool {
        self.values == 0 && self.range.is_none()
    }

    /// The largest value in the list, if any.
    pub fn max(&self) -> Option<u32> {
        let explicit = (self.values != 0).then(|| MAX_EXPLICIT - self.values.leading_zeros());
        let ranged = self.range.map(|(_, hi)| hi);
        explicit.max(ranged)
    }

    /// Parses the description-file syntax: whitespace-separated values and
    /// at most one `a..b` range with `1 <= a < b`.
    pub fn parse(text: &str) -> Result<Self, NumberListError> {
        let mut list = Self::default();
        for token in text.split_whitespace() {
            if let Some((lo, hi)) = token.split_once("..") {
                let lo = parse_count(lo, token)?;
                let hi = parse_count(hi, token)?;
                if lo < 1 || lo >= hi {
                    return Err(NumberListError(format!(
                        "range `{token}` must have 1 <= min < max"
                    )));
                }
                if list.range.is_some() {
                    return Err(NumberListError(format!(
                        "`{token}`: a number list holds at most one range"
                    )));
                }
                list.range = Some((lo, hi));
            } else {
                let n = parse_count(token, token)?;
                if !(1..=MAX_EXPLICIT).contains(&n) {
                    return Err(NumberListError(format!(
                        "value `{token}` is outside 1..{MAX_EXPLICIT}"
                    )));
                }
                list.insert(n);
            }
        }
        Ok(list)
    }
}

fn parse_count(text: &str, token: &str) -> Result<u32, NumberListError> {
    text.trim()
        .parse::<u32>()
        .map_err(|_| NumberListError(format!("`{token}` is not a number or a range a..b")))
}

/// The wire form: explicit values ascending, then the range, space separated.
impl fmt::Display for NumberList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for n in 1..=MAX_EXPLICIT {
            if self.values & (1 << (n - 1)) != 0 {
                if !first {
                    f.write_str(" ")?;
                }
                write!(f, "{n}")?;
                first = false;
            }
        }
        if let Some((lo, hi)) = self.range {
            if !first {
                f.write_str(" ")?;
            }
            write!(f, "{lo}..{hi}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_the_spec_examples() {
        for text in ["2", "2 3 4", "1..3", "2 4..8", ""] {
            assert_eq!(NumberList::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn writes_explicit_values_in_ascending_order() {
        assert_eq!(NumberList::parse("4 2 3").unwrap().to_string(), "2 3 4");
    }

    #[test]
    fn membership_covers_values_and_range() {
        let list = NumberList::parse("2 5..7").unwrap();
        assert!(list.contains(2));
        assert!(!list.contains(3));
        assert!(list.contains(5) && list.contains(7));
        assert!(!list.contains(8));
        assert!(!list.contains(0));
        assert_eq!(list.max(), Some(7));
        assert_eq!(NumberList::parse("3 32").unwrap().max(), Some(32));
        assert_eq!(NumberList::empty().max(), None);
    }

    #[test]
    fn rejects_malformed_lists() {
        for text in ["x", "0", "33", "3..2", "0..4", "1..2 3..4", "1..x"] {
            assert!(NumberList::parse(text).is_err(), "{text} should fail");
        }
    }
}
