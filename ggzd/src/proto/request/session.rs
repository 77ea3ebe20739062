//! Session requests: `LOGIN` and its kinds.

/// `LOGIN TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginKind {
    /// A registered account (`normal`).
    Normal,
    /// Anonymous (`guest`).
    Guest,
    /// Registration (`first`).
    First,
}

impl LoginKind {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginKind::Normal => "normal",
            LoginKind::Guest => "guest",
            LoginKind::First => "first",
        }
    }
}

/// A `LOGIN` request with its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    /// `None`: a TYPE that is none of the three (answer `bad options`).
    /// A missing TYPE means guest.
    pub kind: Option<LoginKind>,
    /// `NAME` text; `None` if absent or empty.
    pub name: Option<String>,
    /// `PASSWORD` text; `None` if absent or empty (an empty element carries
    /// no character data, so the original sees no password at all).
    pub password: Option<String>,
    /// `EMAIL` text; `None` if absent or empty.
    pub email: Option<String>,
}
