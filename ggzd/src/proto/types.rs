//! Wire enums and scalar parsing shared by requests and replies.
//!
//! Every `as_str` gives the exact spelling the spec prescribes for output
//! (lower-case keywords); every parser accepts any letter case, because
//! ggzd and ggzcore compare keywords case-insensitively (docs/client-server.md §1).

use std::fmt;
use std::str::FromStr;

/// A keyword that is not one of the values a wire enum knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKeyword;

impl fmt::Display for UnknownKeyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown keyword")
    }
}

impl std::error::Error for UnknownKeyword {}

/// Player type as shown in `PLAYER TYPE` (docs/client-server.md §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlayerKind {
    Guest,
    Normal,
    Host,
    Admin,
    Bot,
}

impl PlayerKind {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PlayerKind::Guest => "guest",
            PlayerKind::Normal => "normal",
            PlayerKind::Host => "host",
            PlayerKind::Admin => "admin",
            PlayerKind::Bot => "bot",
        }
    }
}

impl FromStr for PlayerKind {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            PlayerKind::Guest,
            PlayerKind::Normal,
            PlayerKind::Host,
            PlayerKind::Admin,
            PlayerKind::Bot,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s))
        .ok_or(UnknownKeyword)
    }
}

impl fmt::Display for PlayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Seat type: one table for the client protocol (`SEAT TYPE`) and the
/// ggzdmod wire, kept in the ggzdmod crate.
pub use ggzdmod::wire::SeatKind;

/// The `CODE` of a `RESULT` (docs/client-server.md §6).
///
/// `TableEmpty`, `JoinFail` and `LeaveFail` are never sent by ggzd but are
/// part of the protocol's vocabulary, so a client can still name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    Ok,
    UsrLookup,
    BadOptions,
    RoomFull,
    TableFull,
    TableEmpty,
    LaunchFail,
    JoinFail,
    NoTable,
    LeaveFail,
    LeaveForbidden,
    AlreadyLoggedIn,
    NotLoggedIn,
    NotInRoom,
    AtTable,
    InTransit,
    NoPermission,
    BadXml,
    SeatAssignFail,
    NoChannel,
    TooLong,
    BadUsername,
    WrongLoginType,
    UserNotFound,
    UsernameAlreadyTaken,
    BadPassword,
}

impl ResultCode {
    const ALL: [ResultCode; 26] = [
        ResultCode::Ok,
        ResultCode::UsrLookup,
        ResultCode::BadOptions,
        ResultCode::RoomFull,
        ResultCode::TableFull,
        ResultCode::TableEmpty,
        ResultCode::LaunchFail,
        ResultCode::JoinFail,
        ResultCode::NoTable,
        ResultCode::LeaveFail,
        ResultCode::LeaveForbidden,
        ResultCode::AlreadyLoggedIn,
        ResultCode::NotLoggedIn,
        ResultCode::NotInRoom,
        ResultCode::AtTable,
        ResultCode::InTransit,
        ResultCode::NoPermission,
        ResultCode::BadXml,
        ResultCode::SeatAssignFail,
        ResultCode::NoChannel,
        ResultCode::TooLong,
        ResultCode::BadUsername,
        ResultCode::WrongLoginType,
        ResultCode::UserNotFound,
        ResultCode::UsernameAlreadyTaken,
        ResultCode::BadPassword,
    ];

    /// Exact wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultCode::Ok => "ok",
            ResultCode::UsrLookup => "usr lookup",
            ResultCode::BadOptions => "bad options",
            ResultCode::RoomFull => "room full",
            ResultCode::TableFull => "table full",
            ResultCode::TableEmpty => "table empty",
            ResultCode::LaunchFail => "launch fail",
            ResultCode::JoinFail => "join fail",
            ResultCode::NoTable => "no table",
            ResultCode::LeaveFail => "leave fail",
            ResultCode::LeaveForbidden => "leave forbidden",
            ResultCode::AlreadyLoggedIn => "already logged in",
            ResultCode::NotLoggedIn => "not logged in",
            ResultCode::NotInRoom => "not in room",
            ResultCode::AtTable => "at table",
            ResultCode::InTransit => "in transit",
            ResultCode::NoPermission => "no permission",
            ResultCode::BadXml => "bad xml",
            ResultCode::SeatAssignFail => "seat assign fail",
            ResultCode::NoChannel => "no channel",
            ResultCode::TooLong => "too long",
            ResultCode::BadUsername => "bad username",
            ResultCode::WrongLoginType => "wrong login type",
            ResultCode::UserNotFound => "user not found",
            ResultCode::UsernameAlreadyTaken => "username already taken",
            ResultCode::BadPassword => "bad password",
        }
    }

    /// The original's internal enum value (never sent; handy in logs).
    pub fn as_i32(self) -> i32 {
        match self {
            ResultCode::Ok => 0,
            ResultCode::UsrLookup => -1,
            ResultCode::BadOptions => -2,
            ResultCode::RoomFull => -3,
            ResultCode::TableFull => -4,
            ResultCode::TableEmpty => -5,
            ResultCode::LaunchFail => -6,
            ResultCode::JoinFail => -7,
            ResultCode::NoTable => -8,
            ResultCode::LeaveFail => -9,
            ResultCode::LeaveForbidden => -10,
            ResultCode::AlreadyLoggedIn => -11,
            ResultCode::NotLoggedIn => -12,
            ResultCode::NotInRoom => -13,
            ResultCode::AtTable => -14,
            ResultCode::InTransit => -15,
            ResultCode::NoPermission => -16,
            ResultCode::BadXml => -17,
            ResultCode::SeatAssignFail => -18,
            ResultCode::NoChannel => -19,
            ResultCode::TooLong => -20,
            ResultCode::BadUsername => -22,
            ResultCode::WrongLoginType => -23,
            ResultCode::UserNotFound => -24,
            ResultCode::UsernameAlreadyTaken => -25,
            ResultCode::BadPassword => -26,
        }
    }
}

impl FromStr for ResultCode {
    type Err = UnknownKeyword;

    /// Case-insensitive; the legacy literal `0` means `ok`, as in ggzcore.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "0" {
            return Ok(ResultCode::Ok);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownKeyword)
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Table state as carried by `TABLE STATUS` (docs/client-server.md §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableStatus {
    Error,
    Created,
    Waiting,
    Playing,
    Done,
    Restored,
}

impl TableStatus {
    const ALL: [TableStatus; 6] = [
        TableStatus::Error,
        TableStatus::Created,
        TableStatus::Waiting,
        TableStatus::Playing,
        TableStatus::Done,
        TableStatus::Restored,
    ];

    /// Wire number (-1..=4).
    pub fn as_i32(self) -> i32 {
        match self {
            TableStatus::Error => -1,
            TableStatus::Created => 0,
            TableStatus::Waiting => 1,
            TableStatus::Playing => 2,
            TableStatus::Done => 3,
            TableStatus::Restored => 4,
        }
    }

    /// Inverse of [`TableStatus::as_i32`].
    pub fn from_i32(n: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_i32() == n)
    }
}

/// `LEAVE REASON` values (docs/client-server.md §11.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaveReason {
    Normal,
    Boot,
    GameOver,
    GameError,
}

impl LeaveReason {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveReason::Normal => "normal",
            LeaveReason::Boot => "boot",
            LeaveReason::GameOver => "gameover",
            LeaveReason::GameError => "gameerror",
        }
    }
}

impl FromStr for LeaveReason {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            LeaveReason::Normal,
            LeaveReason::Boot,
            LeaveReason::GameOver,
            LeaveReason::GameError,
        ]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(s))
        .ok_or(UnknownKeyword)
    }
}

/// Parses an integer attribute: `0x`-prefixed hex first, else decimal
/// (docs/client-server.md §1.2), with an optional sign and surrounding whitespace.
///
/// Returns `None` for anything else, so each caller applies its own
/// per-attribute default.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let (radix, digits) = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => (16, hex),
        None => (10, digits),
    };
    // from_str_radix would accept a second sign; the sign is already handled.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    if negative {
        magnitude.checked_neg()
    } else {
        Some(magnitude)
    }
}

/// Parses a boolean attribute: `true`/`false` in any letter case.
pub fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int("12"), Some(12));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0X00000043"), Some(0x43));
        assert_eq!(parse_int("-0x10"), Some(-16));
        assert_eq!(parse_int(" 5 "), Some(5));
        assert_eq!(parse_int("010"), Some(10));
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("0x"), None);
        assert_eq!(parse_int("1a"), None);
        assert_eq!(parse_int("--1"), None);
        assert_eq!(parse_int("-+1"), None);
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
        assert_eq!(parse_int("-9223372036854775808"), None);
        assert_eq!(parse_int("9223372036854775807"), Some(i64::MAX));
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool("1"), None);
        assert_eq!(parse_bool(""), None);
    }

    #[test]
    fn seat_kinds_round_trip() {
        for (n, s) in [
            (0, "none"),
            (1, "open"),
            (2, "bot"),
            (3, "player"),
            (4, "reserved"),
            (5, "abandoned"),
        ] {
            let k = SeatKind::from_wire(n).unwrap();
            assert_eq!(k.as_str(), s);
            assert_eq!(k.to_wire(), n);
            assert_eq!(s.to_uppercase().parse::<SeatKind>(), Ok(k));
        }
        assert_eq!(SeatKind::from_wire(6), None);
        assert!("sitting".parse::<SeatKind>().is_err());
    }

    #[test]
    fn result_codes() {
        let spec = [
            "ok",
            "usr lookup",
            "bad options",
            "room full",
            "table full",
            "launch fail",
            "no table",
            "leave forbidden",
            "already logged in",
            "not logged in",
            "not in room",
            "at table",
            "in transit",
            "no permission",
            "bad xml",
            "seat assign fail",
            "no channel",
            "too long",
            "bad username",
            "wrong login type",
            "user not found",
            "username already taken",
            "bad password",
        ];
        for s in spec {
            let c: ResultCode = s.parse().unwrap();
            assert_eq!(c.as_str(), s);
        }
        assert_eq!("0".parse::<ResultCode>(), Ok(ResultCode::Ok));
        assert_eq!("Bad XML".parse::<ResultCode>(), Ok(ResultCode::BadXml));
        assert_eq!(ResultCode::BadPassword.as_i32(), -26);
        assert!("[unknown]".parse::<ResultCode>().is_err());
    }

    #[test]
    fn table_status_and_kinds() {
        for n in -1..=4 {
            assert_eq!(TableStatus::from_i32(n).map(|s| s.as_i32()), Some(n));
        }
        assert_eq!(TableStatus::from_i32(5), None);
        assert_eq!(PlayerKind::Admin.as_str(), "admin");
        assert_eq!("BOT".parse::<PlayerKind>(), Ok(PlayerKind::Bot));
        assert_eq!(LeaveReason::GameError.as_str(), "gameerror");
        assert_eq!("GameOver".parse::<LeaveReason>(), Ok(LeaveReason::GameOver));
    }
}
