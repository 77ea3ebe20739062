//! Permission bits, their wire names, the default sets and the roles
//! derived from them (docs/config-and-data.md §8).

use crate::proto::types::PlayerKind;

/// One permission bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    JoinTable,
    LaunchTable,
    RoomsLogin,
    RoomsAdmin,
    ChatAnnounce,
    ChatBot,
    NoStats,
    EditTables,
    EditPrivmsg,
}

impl Perm {
    pub const ALL: [Perm; 9] = [
        Perm::JoinTable,
        Perm::LaunchTable,
        Perm::RoomsLogin,
        Perm::RoomsAdmin,
        Perm::ChatAnnounce,
        Perm::ChatBot,
        Perm::NoStats,
        Perm::EditTables,
        Perm::EditPrivmsg,
    ];

    pub fn mask(self) -> u32 {
        1 << self.bit()
    }

    pub fn bit(self) -> u32 {
        match self {
            Perm::JoinTable => 0,
            Perm::LaunchTable => 1,
            Perm::RoomsLogin => 2,
            Perm::RoomsAdmin => 3,
            Perm::ChatAnnounce => 4,
            Perm::ChatBot => 5,
            Perm::NoStats => 6,
            Perm::EditTables => 7,
            Perm::EditPrivmsg => 8,
        }
    }

    /// The name used in ADMINPERM and by the tools.
    pub fn wire_name(self) -> &'static str {
        match self {
            Perm::JoinTable => "join_table",
            Perm::LaunchTable => "launch_table",
            Perm::RoomsLogin => "rooms_login",
            Perm::RoomsAdmin => "rooms_admin",
            Perm::ChatAnnounce => "chat_announce",
            Perm::ChatBot => "chat_bot",
            Perm::NoStats => "no_stats",
            Perm::EditTables => "edit_tables",
            Perm::EditPrivmsg => "edit_privmsg",
        }
    }

    pub fn from_wire_name(name: &str) -> Option<Perm> {
        Perm::ALL
            .into_iter()
            .find(|p| p.wire_name().eq_ignore_ascii_case(name))
    }
}

/// Before login, and for guests.
pub const GUEST: u32 = 0x043;
/// A newly registered account.
pub const REGISTERED: u32 = 0x007;
/// A named bot registered from a game description.
pub const BOT: u32 = 0x027;
/// Role "host".
pub const HOST: u32 = 0x187;
/// Role "admin".
pub const ADMIN: u32 = 0x19F;

const ADMIN_MARKERS: u32 = (1 << 3) | (1 << 4) | (1 << 7) | (1 << 8);
const HOST_MARKERS: u32 = (1 << 7) | (1 << 8);

pub fn has(perms: u32, perm: Perm) -> bool {
    perms & perm.mask() != 0
}

/// A host may gag, ungag and kick.
pub fn is_host(perms: u32) -> bool {
    perms & HOST_MARKERS != 0
}

/// An admin may change permissions.
pub fn is_admin(perms: u32) -> bool {
    perms & ADMIN_MARKERS == ADMIN_MARKERS
}

/// The PLAYER TYPE shown to clients; the first matching rule wins.
pub fn player_kind(guest: bool, perms: u32) -> PlayerKind {
    if guest {
        PlayerKind::Guest
    } else if has(perms, Perm::ChatBot) {
        PlayerKind::Bot
    } else if is_admin(perms) {
        PlayerKind::Admin
    } else if is_host(perms) {
        PlayerKind::Host
    } else {
        PlayerKind::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_words_match_the_spec() {
        let word = |perms: &[Perm]| perms.iter().fold(0, |w, p| w | p.mask());
        use Perm::*;
        assert_eq!(word(&[JoinTable, LaunchTable, NoStats]), GUEST);
        assert_eq!(word(&[JoinTable, LaunchTable, RoomsLogin]), REGISTERED);
        assert_eq!(REGISTERED | ChatBot.mask(), BOT);
        assert_eq!(REGISTERED | EditTables.mask() | EditPrivmsg.mask(), HOST);
        assert_eq!(HOST | RoomsAdmin.mask() | ChatAnnounce.mask(), ADMIN);
    }

    #[test]
    fn roles_follow_first_match() {
        assert_eq!(player_kind(true, ADMIN), PlayerKind::Guest);
        assert_eq!(player_kind(false, BOT), PlayerKind::Bot);
        assert_eq!(player_kind(false, ADMIN), PlayerKind::Admin);
        assert_eq!(player_kind(false, HOST), PlayerKind::Host);
        assert_eq!(player_kind(false, REGISTERED), PlayerKind::Normal);
        assert_eq!(
            player_kind(false, REGISTERED | Perm::EditPrivmsg.mask()),
            PlayerKind::Host
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Perm::ALL {
            assert_eq!(Perm::from_wire_name(p.wire_name()), Some(p));
        }
        assert_eq!(Perm::from_wire_name("EDIT_TABLES"), Some(Perm::EditTables));
        assert_eq!(Perm::from_wire_name("fly"), None);
    }
}
