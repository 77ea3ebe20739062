//! How accounts, permissions and statistics are printed: aligned text for
//! people, or one JSON document with `--json`.

use std::io::{self, Write};

use ggzd::store::rating;
use ggzd::store::{StatsRecord, UserRecord};
use ggzd::zone::perms::{self as zperms, Perm};

use super::json;
use super::perms::{hex, meaning, perm_names, player_type, role_labels, unknown_bits};
use super::timefmt::utc;

/// Output style of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text.
    Text,
    /// One JSON value followed by a newline.
    Json,
}

/// `list`: one line per account (no passwords).
pub fn user_list(out: &mut dyn Write, users: &[UserRecord], format: Format) -> io::Result<()> {
    if format == Format::Json {
        let items: Vec<json::User<'_>> = users.iter().map(|u| json::User::of(u, false)).collect();
        return writeln!(out, "{}", json::to_line(&items));
    }
    if users.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<16}  {:<10}  {:<6}  {:<9}  LAST LOGIN",
        "ID", "HANDLE", "PERMS", "TYPE", "CONFIRMED"
    )?;
    for user in users {
        writeln!(
            out,
            "{:>6}  {:<16}  {:<10}  {:<6}  {:<9}  {}",
            user.id,
            user.handle,
            hex(user.permissions),
            player_type(user.permissions),
            yes_no(user.confirmed),
            utc(user.last_login)
        )?;
    }
    Ok(())
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// How a stored password form reads for a person.
fn password_description(stored: &str) -> String {
    if stored.is_empty() {
        "(none: nobody can log in)".to_owned()
    } else if stored.starts_with("{legacy-") {
        format!("{stored}  (imported; becomes argon2id at the next login)")
    } else {
        stored.to_owned()
    }
}

/// `show`: every field of one account.
pub fn user_details(out: &mut dyn Write, user: &UserRecord, format: Format) -> io::Result<()> {
    if format == Format::Json {
        return writeln!(out, "{}", json::to_line(&json::User::of(user, true)));
    }
    let roles = role_labels(user.permissions);
    let rows = [
        ("id", user.id.to_string()),
        ("handle", user.handle.clone()),
        ("real name", user.real_name.clone()),
        ("email", user.email.clone()),
        ("password", password_description(&user.password)),
        (
            "permissions",
            format!(
                "{} {}",
                hex(user.permissions),
                perm_names(user.permissions).join(" ")
            ),
        ),
        ("player type", player_type(user.permissions).to_owned()),
        (
            "roles",
            if roles.is_empty() {
                "-".to_owned()
            } else {
                roles.join(", ")
            },
        ),
        ("confirmed", yes_no(user.confirmed).to_owned()),
        ("first login", utc(user.first_login)),
        ("last login", utc(user.last_login)),
    ];
    for (label, value) in rows {
        let line = format!("{:<12} {value}", format!("{label}:"));
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `perms`: the word, every bit with its meaning, the player type and roles.
pub fn permissions(out: &mut dyn Write, handle: &str, word: u32, format: Format) -> io::Result<()> {
    if format == Format::Json {
        let doc = json::HandlePerms {
            handle,
            perms: json::Perms::of(word),
        };
        return writeln!(out, "{}", json::to_line(&doc));
    }
    let roles = role_labels(word);
    writeln!(
        out,
        "{handle}: {}  type {}  roles {}",
        hex(word),
        player_type(word),
        if roles.is_empty() {
            "-".to_owned()
        } else {
            roles.join(", ")
        }
    )?;
    for perm in Perm::ALL {
        let mark = if zperms::has(word, perm) { 'x' } else { ' ' };
        writeln!(out, "  [{mark}] {:<14} {}", perm.wire_name(), meaning(perm))?;
    }
    let unknown = unknown_bits(word);
    if unknown != 0 {
        writeln!(out, "  undefined bits set: {}", hex(unknown))?;
    }
    Ok(())
}

/// One game's statistics of a player, as `stats` prints them.
#[derive(Debug, Clone, PartialEq)]
pub struct GameStats {
    /// Game name.
    pub game: String,
    /// The row, or the defaults.
    pub stats: StatsRecord,
    /// Whether a row exists (else `stats` holds the defaults).
    pub stored: bool,
}

/// `stats`: a player's rows.
pub fn stats(
    out: &mut dyn Write,
    handle: &str,
    games: &[GameStats],
    format: Format,
) -> io::Result<()> {
    if format == Format::Json {
        let doc = json::PlayerStats {
            handle,
            games: games
                .iter()
                .map(|g| json::GameStats::of(&g.game, g.stored, &g.stats))
                .collect(),
        };
        return writeln!(out, "{}", json::to_line(&doc));
    }
    if games.is_empty() {
        return writeln!(out, "{handle} has no statistics");
    }
    writeln!(
        out,
        "{:<20} {:>6} {:>6} {:>6} {:>8} {:>6} {:>7} {:>9}",
        "GAME", "WINS", "LOSSES", "TIES", "FORFEITS", "RATING", "RANKING", "HIGHSCORE"
    )?;
    for g in games {
        let s = &g.stats;
        writeln!(
            out,
            "{:<20} {:>6} {:>6} {:>6} {:>8} {:>6} {:>7} {:>9}{}",
            g.game,
            s.wins,
            s.losses,
            s.ties,
            s.forfeits,
            rating::display(s.rating),
            s.ranking,
            s.highscore,
            if g.stored { "" } else { "  (no games yet)" }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> UserRecord {
        UserRecord {
            id: 7,
            handle: "alice".into(),
            password: "$argon2id$v=19$x".into(),
            real_name: "Alice \"A\" L.".into(),
            email: "a@example.org".into(),
            last_login: 1_700_000_000,
            first_login: 0,
            permissions: 0x187,
            confirmed: true,
        }
    }

    fn render(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn show_as_json_escapes_and_includes_the_password() {
        let text = render(|out| user_details(out, &alice(), Format::Json));
        assert_eq!(
            text,
            "{\"id\":7,\"handle\":\"alice\",\"real_name\":\"Alice \\\"A\\\" L.\",\
             \"email\":\"a@example.org\",\"password\":\"$argon2id$v=19$x\",\
             \"permissions\":391,\"permissions_hex\":\"0x00000187\",\
             \"permission_names\":[\"join_table\",\"launch_table\",\"rooms_login\",\
             \"edit_tables\",\"edit_privmsg\"],\"type\":\"host\",\
             \"roles\":[\"host\",\"registered\"],\"confirmed\":true,\
             \"first_login\":0,\"last_login\":1700000000}\n"
        );
    }

    #[test]
    fn list_as_json_has_no_passwords() {
        let text = render(|out| user_list(out, &[alice()], Format::Json));
        assert!(text.starts_with("[{\"id\":7,"));
        assert!(!text.contains("password\""));
        assert_eq!(render(|out| user_list(out, &[], Format::Json)), "[]\n");
        assert_eq!(render(|out| user_list(out, &[], Format::Text)), "");
    }

    #[test]
    fn show_as_text() {
        let text = render(|out| user_details(out, &alice(), Format::Text));
        assert!(text.contains("handle:      alice\n"), "{text}");
        assert!(text.contains("player type: host\n"), "{text}");
        assert!(text.contains("roles:       host, registered\n"), "{text}");
        assert!(text.contains("first login: never\n"), "{text}");
        assert!(!text.contains(" \n"), "no trailing blanks: {text}");
        assert!(
            text.contains("last login:  2023-11-14 22:13:20 UTC\n"),
            "{text}"
        );
        let mut bot = alice();
        bot.password.clear();
        let text = render(|out| user_details(out, &bot, Format::Text));
        assert!(text.contains("nobody can log in"), "{text}");
    }

    #[test]
    fn permission_report_marks_bits() {
        let text = render(|out| permissions(out, "bob", 0x1043, Format::Text));
        assert!(text.starts_with("bob: 0x00001043  type normal  roles guest\n"));
        assert!(text.contains("  [x] join_table "), "{text}");
        assert!(text.contains("  [ ] rooms_login "), "{text}");
        assert!(text.contains("undefined bits set: 0x00001000"), "{text}");
        let json = render(|out| permissions(out, "bob", 0x23, Format::Json));
        assert_eq!(
            json,
            "{\"handle\":\"bob\",\"permissions\":35,\"permissions_hex\":\"0x00000023\",\
             \"permission_names\":[\"join_table\",\"launch_table\",\"chat_bot\"],\
             \"type\":\"bot\",\"roles\":[\"chatbot\"]}\n"
        );
    }

    #[test]
    fn stats_reports() {
        let rows = vec![GameStats {
            game: "TicTacToe".into(),
            stats: StatsRecord {
                wins: 2,
                rating: 1515.4,
                ..StatsRecord::default()
            },
            stored: true,
        }];
        let json = render(|out| stats(out, "alice", &rows, Format::Json));
        assert_eq!(
            json,
            "{\"handle\":\"alice\",\"games\":[{\"game\":\"TicTacToe\",\"stored\":true,\
             \"wins\":2,\"losses\":0,\"ties\":0,\"forfeits\":0,\"rating\":1515,\
             \"rating_exact\":1515.4,\"ranking\":0,\"highscore\":0}]}\n"
        );
        let text = render(|out| stats(out, "alice", &rows, Format::Text));
        assert!(text.lines().nth(1).unwrap().starts_with("TicTacToe"));
        assert_eq!(
            render(|out| stats(out, "alice", &[], Format::Text)),
            "alice has no statistics\n"
        );
    }
}
