//! Permission words as `ggzduedit` reads, changes and describes them
//! (docs/config-and-data.md §8): roles, bit names, and the PLAYER TYPE a word gives.

use ggzd::zone::perms::{self as zperms, Perm};

use super::error::UeditError;

/// A role preset, as offered by the original editor (docs/config-and-data.md §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// join_table, launch_table, no_stats (0x043).
    Guest,
    /// join_table, launch_table, rooms_login (0x007).
    Registered,
    /// registered + edit_tables, edit_privmsg (0x187).
    Host,
    /// host + rooms_admin, chat_announce (0x19F).
    Admin,
    /// join_table, launch_table, chat_bot (0x023).
    #[value(alias = "bot")]
    Chatbot,
}

impl Role {
    /// Every role, in the order the original listed them.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Host,
        Role::Registered,
        Role::Guest,
        Role::Chatbot,
    ];

    /// The permission word of this role alone.
    pub fn word(self) -> u32 {
        match self {
            Role::Guest => zperms::GUEST,
            Role::Registered => zperms::REGISTERED,
            Role::Host => zperms::HOST,
            Role::Admin => zperms::ADMIN,
            Role::Chatbot => {
                Perm::JoinTable.mask() | Perm::LaunchTable.mask() | Perm::ChatBot.mask()
            }
        }
    }

    /// The role's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Registered => "registered",
            Role::Host => "host",
            Role::Admin => "admin",
            Role::Chatbot => "chatbot",
        }
    }

    /// Whether `word` carries what marks this role: all admin markers for
    /// admin, an edit bit for host, rooms_login for registered, no_stats
    /// for guest, chat_bot for chatbot (the original's summary).
    pub fn describes(self, word: u32) -> bool {
        match self {
            Role::Admin => zperms::is_admin(word),
            Role::Host => zperms::is_host(word),
            Role::Registered => zperms::has(word, Perm::RoomsLogin),
            Role::Guest => zperms::has(word, Perm::NoStats),
            Role::Chatbot => zperms::has(word, Perm::ChatBot),
        }
    }
}

/// The union of several roles' words (the original's "roles" prompt took
/// any combination).
pub fn roles_word(roles: &[Role]) -> u32 {
    roles.iter().fold(0, |word, role| word | role.word())
}

/// The role labels that describe `word`, strongest first.
pub fn role_labels(word: u32) -> Vec<&'static str> {
    Role::ALL
        .into_iter()
        .filter(|role| role.describes(word))
        .map(Role::name)
        .collect()
}

/// The PLAYER TYPE a registered player with this word gets at login.
pub fn player_type(word: u32) -> &'static str {
    zperms::player_kind(false, word).as_str()
}

/// What a permission bit allows, for the `perms` report.
pub fn meaning(perm: Perm) -> &'static str {
    match perm {
        Perm::JoinTable => "may join tables",
        Perm::LaunchTable => "may launch tables",
        Perm::RoomsLogin => "may enter rooms for registered players",
        Perm::RoomsAdmin => "may enter admin rooms",
        Perm::ChatAnnounce => "may send announcements",
        Perm::ChatBot => "is a bot",
        Perm::NoStats => "has no statistics",
        Perm::EditTables => "may edit and boot at any table (host)",
        Perm::EditPrivmsg => "may chat privately from any table (host)",
    }
}

/// Bits of the word no permission is defined for.
pub fn unknown_bits(word: u32) -> u32 {
    Perm::ALL
        .into_iter()
        .fold(word, |rest, perm| rest & !perm.mask())
}

/// The names of the bits set in `word`, lowest bit first.
pub fn perm_names(word: u32) -> Vec<&'static str> {
    Perm::ALL
        .into_iter()
        .filter(|&perm| zperms::has(word, perm))
        .map(Perm::wire_name)
        .collect()
}

/// `0x00000187`: the form the protocol uses (`PERMS='0x%08X'`).
pub fn hex(word: u32) -> String {
    format!("0x{word:08X}")
}

/// Parses a permission name as used by ADMINPERM (`edit_tables`,
/// case-insensitive).
pub fn parse_perm(name: &str) -> Result<Perm, String> {
    Perm::from_wire_name(name.trim()).ok_or_else(|| {
        let known: Vec<&str> = Perm::ALL.into_iter().map(Perm::wire_name).collect();
        format!("unknown permission '{name}' (known: {})", known.join(", "))
    })
}

/// Parses an explicit permission word: hexadecimal with `0x` (as shown),
/// or decimal. Only the nine defined bits may be set.
pub fn parse_word(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse::<u32>(),
    };
    let word = parsed.map_err(|_| {
        format!("'{text}' is not a permission word (hexadecimal like 0x187, or decimal)")
    })?;
    if unknown_bits(word) != 0 {
        return Err(format!(
            "permission word {} sets undefined bits {}",
            hex(word),
            hex(unknown_bits(word))
        ));
    }
    Ok(word)
}

/// A requested change of a permission word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermChange {
    /// Replace the word by exactly this one first.
    pub set: Option<u32>,
    /// Replace the word by the union of these roles first.
    pub roles: Vec<Role>,
    /// Then set these bits.
    pub grant: Vec<Perm>,
    /// Then clear these bits.
    pub revoke: Vec<Perm>,
}

impl PermChange {
    /// Whether the change changes anything at all.
    pub fn is_empty(&self) -> bool {
        self.set.is_none()
            && self.roles.is_empty()
            && self.grant.is_empty()
            && self.revoke.is_empty()
    }

    /// Checks that the parts do not contradict each other.
    pub fn validate(&self) -> Result<(), UeditError> {
        if self.set.is_some() && !self.roles.is_empty() {
            return Err(UeditError::Usage(
                "give either an exact permission word or roles, not both".into(),
            ));
        }
        if let Some(perm) = self.grant.iter().find(|p| self.revoke.contains(p)) {
            return Err(UeditError::Usage(format!(
                "permission {} is both granted and revoked",
                perm.wire_name()
            )));
        }
        Ok(())
    }

    /// The word after applying the change to `current`: the exact word or
    /// the roles replace it, then grants are added and revokes removed.
    pub fn apply(&self, current: u32) -> u32 {
        let base = match self.set {
            Some(word) => word,
            None if !self.roles.is_empty() => roles_word(&self.roles),
            None => current,
        };
        let granted = self.grant.iter().fold(base, |w, p| w | p.mask());
        self.revoke.iter().fold(granted, |w, p| w & !p.mask())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_words_match_the_spec() {
        assert_eq!(Role::Guest.word(), 0x043);
        assert_eq!(Role::Registered.word(), 0x007);
        assert_eq!(Role::Host.word(), 0x187);
        assert_eq!(Role::Admin.word(), 0x19F);
        assert_eq!(Role::Chatbot.word(), 0x023);
        assert_eq!(roles_word(&[Role::Registered, Role::Chatbot]), 0x027);
        assert_eq!(roles_word(&[]), 0);
    }

    #[test]
    fn labels_and_types_describe_words() {
        assert_eq!(role_labels(0x19F), vec!["admin", "host", "registered"]);
        assert_eq!(role_labels(0x187), vec!["host", "registered"]);
        assert_eq!(role_labels(0x007), vec!["registered"]);
        assert_eq!(role_labels(0x043), vec!["guest"]);
        assert_eq!(role_labels(0x027), vec!["registered", "chatbot"]);
        assert!(role_labels(0).is_empty());
        assert_eq!(player_type(0x19F), "admin");
        assert_eq!(player_type(0x187), "host");
        assert_eq!(player_type(0x107), "host");
        assert_eq!(player_type(0x007), "normal");
        assert_eq!(player_type(0x1BF), "bot");
    }

    #[test]
    fn names_and_hex() {
        assert_eq!(
            perm_names(0x187),
            vec![
                "join_table",
                "launch_table",
                "rooms_login",
                "edit_tables",
                "edit_privmsg"
            ]
        );
        assert_eq!(hex(0x187), "0x00000187");
        assert_eq!(unknown_bits(0x1FF), 0);
        assert_eq!(unknown_bits(0x1201), 0x1200);
    }

    #[test]
    fn parses_permissions_and_words() {
        assert_eq!(parse_perm("edit_tables"), Ok(Perm::EditTables));
        assert_eq!(parse_perm("CHAT_BOT"), Ok(Perm::ChatBot));
        assert!(parse_perm("fly").unwrap_err().contains("join_table"));
        assert_eq!(parse_word("0x187"), Ok(0x187));
        assert_eq!(parse_word("0X00000043"), Ok(0x43));
        assert_eq!(parse_word("7"), Ok(7));
        assert!(parse_word("0x200").unwrap_err().contains("undefined bits"));
        assert!(parse_word("seven").is_err());
        assert!(parse_word("-1").is_err());
        assert!(parse_word("0x").is_err());
    }

    #[test]
    fn changes_apply_in_order() {
        let grant_host = PermChange {
            grant: vec![Perm::EditTables],
            ..Default::default()
        };
        assert_eq!(grant_host.apply(0x007), 0x087);
        let role_then_revoke = PermChange {
            roles: vec![Role::Admin],
            revoke: vec![Perm::ChatAnnounce],
            ..Default::default()
        };
        assert_eq!(role_then_revoke.apply(0x043), 0x18F);
        let exact = PermChange {
            set: Some(0x003),
            grant: vec![Perm::RoomsLogin],
            ..Default::default()
        };
        assert_eq!(exact.apply(0x19F), 0x007);
        assert_eq!(PermChange::default().apply(0x123), 0x123);
        assert!(PermChange::default().is_empty());
        assert!(!grant_host.is_empty());
    }

    #[test]
    fn contradictory_changes_are_refused() {
        let both = PermChange {
            grant: vec![Perm::NoStats],
            revoke: vec![Perm::NoStats],
            ..Default::default()
        };
        assert!(matches!(both.validate(), Err(UeditError::Usage(_))));
        let set_and_role = PermChange {
            set: Some(7),
            roles: vec![Role::Host],
            ..Default::default()
        };
        assert!(matches!(set_and_role.validate(), Err(UeditError::Usage(_))));
        assert!(PermChange::default().validate().is_ok());
    }
}
