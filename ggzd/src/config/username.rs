//! The username policy the configuration controls, and canonical names.

use std::fmt;

use super::{MAX_USERNAME_LENGTH, UsernamePolicy};

/// Why a username is refused; see [`UsernameError::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameError {
    /// Longer than the policy allows.
    TooLong,
    /// Empty, reserved, or containing a forbidden character.
    Bad,
}

impl UsernameError {
    /// The protocol `RESULT CODE` for this error.
    pub fn code(self) -> &'static str {
        match self {
            UsernameError::TooLong => "too long",
            UsernameError::Bad => "bad username",
        }
    }
}

impl fmt::Display for UsernameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for UsernameError {}

/// Checks a login name against the policy (docs/config-and-data.md §7.1). Length
/// (in bytes) is checked first, as in the original, so an over-long name
/// is `too long` even if it also has bad characters.
pub fn check_username(policy: &UsernamePolicy, name: &str) -> Result<(), UsernameError> {
    if name.len() > policy.max_length.min(MAX_USERNAME_LENGTH) {
        return Err(UsernameError::TooLong);
    }
    if name.is_empty() {
        return Err(UsernameError::Bad);
    }
    let allowed = if policy.unicode {
        name.chars().all(unicode_name_char)
    } else {
        name.bytes()
            .all(|b| (33..=126).contains(&b) && !matches!(b, b'%' | b'&' | b'\\'))
    };
    if !allowed {
        return Err(UsernameError::Bad);
    }
    let canonical = canonical_name(name);
    if policy
        .reserved
        .iter()
        .any(|reserved| canonical_name(reserved) == canonical)
    {
        return Err(UsernameError::Bad);
    }
    Ok(())
}

/// Characters allowed in a Unicode username. Beyond the specified rule
/// (no controls, space, `%`, `&`, `\`) all whitespace and the common
/// invisible formatting characters are refused too, since they allow names
/// that look identical to someone else's.
fn unicode_name_char(c: char) -> bool {
    !c.is_control()
        && !c.is_whitespace()
        && !matches!(c, '%' | '&' | '\\')
        && !matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFF}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// The canonical (database / uniqueness) form of a name: ASCII lower-casing
/// for ASCII names, full Unicode lower-casing otherwise.
pub fn canonical_name(name: &str) -> String {
    if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        name.to_lowercase()
    }
}
