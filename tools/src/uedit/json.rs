//! The JSON documents of `--json`, as serde structs written by
//! `serde_json`. Field order is the struct order, which scripts may rely
//! on for diffing; floats that JSON cannot hold (NaN, infinities) are
//! written as `null`.

use serde::Serialize;

use ggzd::store::rating;
use ggzd::store::{StatsRecord, UserRecord};

use super::perms::{hex, perm_names, player_type, role_labels};

/// The permission fields shared by user and permission reports.
#[derive(Debug, Serialize)]
pub struct Perms {
    permissions: u32,
    permissions_hex: String,
    permission_names: Vec<&'static str>,
    #[serde(rename = "type")]
    kind: &'static str,
    roles: Vec<&'static str>,
}

impl Perms {
    /// The fields for a permission word.
    pub fn of(word: u32) -> Perms {
        Perms {
            permissions: word,
            permissions_hex: hex(word),
            permission_names: perm_names(word),
            kind: player_type(word),
            roles: role_labels(word),
        }
    }
}

/// A user; the stored password form only if asked.
#[derive(Debug, Serialize)]
pub struct User<'a> {
    id: i64,
    handle: &'a str,
    real_name: &'a str,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
    #[serde(flatten)]
    perms: Perms,
    confirmed: bool,
    first_login: i64,
    last_login: i64,
}

impl<'a> User<'a> {
    /// The document for one account.
    pub fn of(user: &'a UserRecord, with_password: bool) -> User<'a> {
        User {
            id: user.id,
            handle: &user.handle,
            real_name: &user.real_name,
            email: &user.email,
            password: with_password.then_some(user.password.as_str()),
            perms: Perms::of(user.permissions),
            confirmed: user.confirmed,
            first_login: user.first_login,
            last_login: user.last_login,
        }
    }
}

/// `perms --json`.
#[derive(Debug, Serialize)]
pub struct HandlePerms<'a> {
    /// The account.
    pub handle: &'a str,
    /// Its permissions.
    #[serde(flatten)]
    pub perms: Perms,
}

/// One game's statistics of a player.
#[derive(Debug, Serialize)]
pub struct GameStats<'a> {
    game: &'a str,
    stored: bool,
    wins: u32,
    losses: u32,
    ties: u32,
    forfeits: u32,
    rating: i64,
    rating_exact: Option<f64>,
    ranking: u32,
    highscore: i64,
}

impl<'a> GameStats<'a> {
    /// The document for one game's row (or its defaults).
    pub fn of(game: &'a str, stored: bool, stats: &StatsRecord) -> GameStats<'a> {
        GameStats {
            game,
            stored,
            wins: stats.wins,
            losses: stats.losses,
            ties: stats.ties,
            forfeits: stats.forfeits,
            rating: rating::display(stats.rating),
            rating_exact: stats.rating.is_finite().then_some(stats.rating),
            ranking: stats.ranking,
            highscore: stats.highscore,
        }
    }
}

/// `stats --json`.
#[derive(Debug, Serialize)]
pub struct PlayerStats<'a> {
    /// The account.
    pub handle: &'a str,
    /// One entry per game.
    pub games: Vec<GameStats<'a>>,
}

/// One JSON document on one line. Serializing these structs cannot fail
/// (string keys, no maps, floats checked); should it, the error is the
/// text, which still beats a panic.
pub fn to_line(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_keep_field_order_and_escape_strings() {
        let user = UserRecord {
            id: 3,
            handle: "al\"ice".into(),
            password: "{argon2}x".into(),
            real_name: "é\n漢".into(),
            email: String::new(),
            last_login: 0,
            first_login: 5,
            permissions: 0,
            confirmed: true,
        };
        let without = to_line(&User::of(&user, false));
        assert!(
            without.starts_with(
                r#"{"id":3,"handle":"al\"ice","real_name":"é\n漢","email":"","permissions":0,"#
            ),
            "{without}"
        );
        assert!(without.ends_with(r#""confirmed":true,"first_login":5,"last_login":0}"#));
        assert!(!without.contains("password\""));
        let with = to_line(&User::of(&user, true));
        assert!(
            with.contains(r#""email":"","password":"{argon2}x","permissions":0"#),
            "{with}"
        );
    }

    #[test]
    fn floats_json_cannot_hold_are_null() {
        let mut stats = StatsRecord {
            wins: 1,
            losses: 2,
            ties: 0,
            forfeits: 0,
            rating: 1500.0,
            ranking: 0,
            highscore: -5,
        };
        let line = to_line(&GameStats::of("TicTacToe", true, &stats));
        assert!(line.contains(r#""rating_exact":1500.0,"#), "{line}");
        assert!(line.ends_with(r#""highscore":-5}"#), "{line}");
        stats.rating = f64::NAN;
        let line = to_line(&GameStats::of("TicTacToe", true, &stats));
        assert!(line.contains(r#""rating_exact":null,"#), "{line}");
    }
}
