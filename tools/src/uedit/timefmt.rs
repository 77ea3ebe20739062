//! Unix times as UTC calendar text, both ways. The calendar is the `time`
//! crate's; what is ours is the text: the original's `never` for 0, and
//! the lenient reading of timestamps as SQL databases print them.

use time::{Date, Month, PrimitiveDateTime, Time};

// The export's `date_utc` and these reports read alike: one function.
pub use ggzd::replays::export::utc;

/// Parses `YYYY-MM-DD HH:MM:SS` (or with `T`, optional fraction and `Z`,
/// as SQL timestamps print; seconds and the whole time optional) as UTC;
/// `None` if it is not such a time. A leap second (`:60`) counts as the
/// first second of the next minute, as the original's `mktime` did.
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('Z').trim_end_matches(" UTC");
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00:00"));
    let mut date_parts = date.splitn(3, '-');
    let year: i32 = date_parts.next()?.parse().ok()?;
    let month: u8 = date_parts.next()?.parse().ok()?;
    let day: u8 = date_parts.next()?.parse().ok()?;
    let time = time.split_once('.').map_or(time, |(whole, _)| whole);
    let mut time_parts = time.splitn(3, ':');
    let hour: u8 = time_parts.next()?.parse().ok()?;
    let minute: u8 = time_parts.next()?.parse().ok()?;
    let second: u8 = time_parts.next().unwrap_or("0").parse().ok()?;
    let leap = second == 60;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let time = Time::from_hms(hour, minute, if leap { 59 } else { second }).ok()?;
    let unix = PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp();
    Some(unix + i64::from(leap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_formats() {
        for t in [1, 951_782_400, 1_700_000_000, 4_102_444_800, -86_400] {
            assert_eq!(parse_utc(&utc(t)), Some(t), "{t}");
        }
        assert_eq!(parse_utc("2023-11-14T22:13:20.123Z"), Some(1_700_000_000));
        assert_eq!(parse_utc("1970-01-02"), Some(86_400));
        assert_eq!(parse_utc("1970-01-01 00:00:60"), Some(60));
        assert_eq!(parse_utc("yesterday"), None);
        assert_eq!(parse_utc("2023-13-01 00:00:00"), None);
        assert_eq!(parse_utc("2023-01-01 24:00:00"), None);
        // The calendar knows month lengths now.
        assert_eq!(parse_utc("2023-02-29 00:00:00"), None);
    }
}
