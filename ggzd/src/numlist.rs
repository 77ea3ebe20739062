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

    /// Parses the way the original reads description files: a token it
    /// cannot use is left out and described in the returned warnings, and
    /// the rest of the list still counts. `0` alone is no warning: original
    /// files write `BotsAllowed = 0` for "no bots", and zero bots is always
    /// allowed anyway. A range may start at 0 (`0..3` allows up to 3).
    pub fn parse_lenient(text: &str) -> (Self, Vec<String>) {
        let mut list = Self::default();
        let mut warnings = Vec::new();
        for token in text.split_whitespace() {
            if let Some((lo, hi)) = token.split_once("..") {
                let (Ok(lo), Ok(hi)) = (parse_count(lo, token), parse_count(hi, token)) else {
                    warnings.push(format!("`{token}` is not a range a..b (ignored)"));
                    continue;
                };
                if list.range.is_some() {
                    warnings.push(format!(
                        "`{token}`: a number list holds at most one range (ignored)"
                    ));
                } else if lo >= hi {
                    warnings.push(format!("range `{token}` must have min < max (ignored)"));
                } else if lo <= 1 && hi == 1 {
                    list.insert(1);
                } else {
                    list.range = Some((lo.max(1), hi));
                }
            } else {
                match parse_count(token, token) {
                    Ok(0) => {}
                    Ok(n) if n <= MAX_EXPLICIT => list.insert(n),
                    _ => warnings.push(format!(
                        "value `{token}` is not a number in 1..{MAX_EXPLICIT} (ignored)"
                    )),
                }
            }
        }
        (list, warnings)
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
    fn lenient_parsing_keeps_what_it_can() {
        let ok = |text: &str| {
            let (list, warnings) = NumberList::parse_lenient(text);
            assert!(warnings.is_empty(), "{text}: {warnings:?}");
            list.to_string()
        };
        assert_eq!(ok("0"), "");
        assert_eq!(ok(""), "");
        assert_eq!(ok("2..4 6"), "6 2..4");
        assert_eq!(ok("0..3"), "1..3");
        assert_eq!(ok("0..1"), "1");
        assert_eq!(ok("1..16"), "1..16");
        for (text, kept, bad) in [
            ("x 2", "2", 1),
            ("33 2", "2", 1),
            ("3..2 4", "4", 1),
            ("1..2 3..4", "1..2", 1),
            ("-1 1..x", "", 2),
        ] {
            let (list, warnings) = NumberList::parse_lenient(text);
            assert_eq!(list.to_string(), kept, "{text}");
            assert_eq!(warnings.len(), bad, "{text}: {warnings:?}");
        }
    }

    #[test]
    fn rejects_malformed_lists() {
        for text in ["x", "0", "33", "3..2", "0..4", "1..2 3..4", "1..x"] {
            assert!(NumberList::parse(text).is_err(), "{text} should fail");
        }
    }
}
