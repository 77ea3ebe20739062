//! Game descriptions: which game servers exist, how to start them, and what
//! clients are told about them (`LIST TYPE='game'`).
//!
//! Two file formats are read from `games_dir`:
//!
//! * our TOML (`<name>.toml`), whose schema is documented at the top of
//!   the shipped `games/tictactoe.toml`;
//! * the original key-file format (`<name>.dsc`, config-and-data §3), so
//!   that game packages written for the original server work unmodified.
//!
//! The file base name is the game's internal name (sent to the game server
//! at launch); game IDs are positions in the loaded list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::dirscan::{self, TextsToml};
use crate::config::i18n::Translated;
use crate::config::keyfile::{self, KeyFile};
use crate::config::normalize;
use crate::numlist::NumberList;

pub use crate::config::DescError;

/// At most this many game types are loaded (the original's limit).
pub const MAX_GAMES: usize = 50;

/// Longest game name, in bytes.
pub const MAX_NAME_LENGTH: usize = 64;

/// Bound on named bots per game; each becomes a user account at startup.
pub const MAX_NAMED_BOTS: usize = 100;

/// File extensions of game descriptions, in order of preference.
const EXTENSIONS: [&str; 2] = ["toml", "dsc"];

/// Which `MSG_GAME_LAUNCH` layout the game server expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LaunchLayout {
    /// Trunk (0.99.x): the launch message carries a savegame string.
    Trunk,
    /// GGZ 0.0.14: no savegame string.
    Legacy,
}

impl LaunchLayout {
    fn parse(value: &str) -> Option<Self> {
        if value.eq_ignore_ascii_case("trunk") {
            Some(LaunchLayout::Trunk)
        } else if value.eq_ignore_ascii_case("legacy") {
            Some(LaunchLayout::Legacy)
        } else {
            None
        }
    }
}

/// One loaded game type.
#[derive(Debug, Clone, PartialEq)]
pub struct GameDesc {
    /// File base name; sent to the game server in the launch message.
    pub internal_name: String,
    /// Display name; the untranslated text is the key for rooms, stats,
    /// savegames and the `gamedata/<Name>` directory.
    pub name: Translated,
    /// Game version (`GAME VERSION`).
    pub version: String,
    /// Long description (`DESC` in full lists).
    pub description: Translated,
    /// `ABOUT AUTHOR`
    pub author: String,
    /// `ABOUT URL`
    pub homepage: String,
    /// argv of the game server; `exec[0]` is absolute (resolved against
    /// `game_dir` if it was relative). Never empty.
    pub exec: Vec<String>,
    /// `PROTOCOL ENGINE`: clients pick a game module by engine and version.
    pub engine: String,
    /// `PROTOCOL VERSION`
    pub protocol_version: String,
    /// Allowed total seat counts.
    pub players_allowed: NumberList,
    /// Allowed bot counts (empty = no bots).
    pub bots_allowed: NumberList,
    /// Spectators permitted.
    pub allow_spectators: bool,
    /// Players may see each other's addresses (`INFO HOST`).
    pub allow_peers: bool,
    /// Players may leave a game in progress; also gates reseating and
    /// boots.
    pub allow_leave: bool,
    /// End the game server when the last player leaves.
    pub kill_when_empty: bool,
    /// Relaunch saved tables at server start.
    pub allow_restore: bool,
    /// Keep wins/losses/ties/forfeits.
    pub records: bool,
    /// Keep ratings.
    pub ratings: bool,
    /// Keep high scores.
    pub highscores: bool,
    /// (name, class), sorted by name bytewise.
    pub named_bots: Vec<(String, String)>,
    /// Launch message layout the game server expects.
    pub launch_layout: LaunchLayout,
    /// The file this description came from.
    pub source: PathBuf,
    /// Resource limits of the game server process.
    pub limits: crate::game_limits::GameLimits,
}

/// Loads the game descriptions of `games_dir`.
///
/// With a non-empty `list`, exactly those base names are loaded in that
/// order; otherwise every `*.toml` / `*.dsc` file, sorted by base name,
/// except the `ignored` ones (all entries are honoured, unlike the
/// original's first-entry-only quirk). A base name present as both `.toml`
/// and `.dsc` uses the `.toml`.
///
/// A bad file never aborts the load: it is skipped and a warning naming
/// the file (and line and key where known) is returned. So are files
/// beyond [`MAX_GAMES`] and a second game with an already used `Name`.
pub fn load_games(
    games_dir: &Path,
    game_dir: &Path,
    list: &[String],
    ignored: &[String],
) -> (Vec<GameDesc>, Vec<String>) {
    let mut warnings = Vec::new();
    let files: Vec<PathBuf> = if list.is_empty() {
        match dirscan::scan(games_dir, &EXTENSIONS) {
            Ok((files, scan_warnings)) => {
                warnings.extend(scan_warnings);
                files
                    .into_iter()
                    .filter(|(name, _)| !ignored.contains(name))
                    .map(|(_, path)| path)
                    .collect()
            }
            Err(message) => {
                warnings.push(message);
                Vec::new()
            }
        }
    } else {
        list.iter()
            .filter_map(|name| {
                let found = dirscan::find(games_dir, name, &EXTENSIONS);
                if found.is_none() {
                    warnings.push(format!(
                        "{}: game `{name}` from games.game_list: no {name}.toml or {name}.dsc (skipped)",
                        games_dir.display()
                    ));
                }
                found
            })
            .collect()
    };

    let mut games: Vec<GameDesc> = Vec::new();
    for path in files {
        if games.len() >= MAX_GAMES {
            warnings.push(format!(
                "{}: more than {MAX_GAMES} games (skipped)",
                path.display()
            ));
            continue;
        }
        match load_game_file(&path, game_dir) {
            Ok(game) => {
                let name = game.name.default_text();
                if let Some(first) = games.iter().find(|g| g.name.default_text() == name) {
                    warnings.push(format!(
                        "{}: game name `{name}` is already used by {} (skipped)",
                        path.display(),
                        first.source.display()
                    ));
                } else if games.iter().any(|g| g.internal_name == game.internal_name) {
                    warnings.push(format!("{}: listed twice (skipped)", path.display()));
                } else {
                    games.push(game);
                }
            }
            Err(e) => warnings.push(format!("{e} (skipped)")),
        }
    }
    (games, warnings)
}

/// Loads one game description; the format follows the extension (`.dsc`
/// = original key-file syntax, anything else = TOML).
pub fn load_game_file(path: &Path, game_dir: &Path) -> Result<GameDesc, DescError> {
    let internal_name = dirscan::base_name(path)?;
    if path.extension().is_some_and(|ext| ext == "dsc") {
        load_dsc(path, internal_name, game_dir)
    } else {
        load_toml(path, internal_name, game_dir)
    }
}

// ---------------------------------------------------------------- TOML

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GameToml {
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    homepage: String,
    launch: LaunchToml,
    #[serde(default)]
    protocol: ProtocolToml,
    #[serde(default)]
    table: TableToml,
    #[serde(default)]
    statistics: StatisticsToml,
    #[serde(default)]
    named_bots: BTreeMap<String, String>,
    #[serde(default)]
    translations: BTreeMap<String, TextsToml>,
    #[serde(default)]
    limits: crate::game_limits::GameLimits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LaunchToml {
    executable: Vec<String>,
    #[serde(default = "trunk")]
    layout: LaunchLayout,
}

fn trunk() -> LaunchLayout {
    LaunchLayout::Trunk
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ProtocolToml {
    engine: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TableToml {
    #[serde(deserialize_with = "number_list")]
    players: NumberList,
    #[serde(deserialize_with = "number_list")]
    bots: NumberList,
    spectators: bool,
    peers: bool,
    leave: bool,
    kill_when_empty: bool,
    restore: bool,
}

impl Default for TableToml {
    fn default() -> Self {
        Self {
            players: NumberList::single(1),
            bots: NumberList::empty(),
            spectators: false,
            peers: false,
            leave: false,
            kill_when_empty: true,
            restore: false,
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StatisticsToml {
    records: bool,
    ratings: bool,
    highscores: bool,
}

/// A number list in TOML: the .dsc syntax as a string (`"2 3"`, `"2..4"`),
/// or a plain integer for a single value.
fn number_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NumberList, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = NumberList;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number list such as \"2\", \"2 3 4\" or \"3 5..8\"")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<NumberList, E> {
            NumberList::parse(text).map_err(E::custom)
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<NumberList, E> {
            self.visit_str(&n.to_string())
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<NumberList, E> {
            self.visit_str(&n.to_string())
        }
    }
    d.deserialize_any(Visitor)
}

fn load_toml(path: &Path, internal_name: String, game_dir: &Path) -> Result<GameDesc, DescError> {
    let (toml, lines) = dirscan::read_toml::<GameToml>(path)?;
    let err =
        |key: &str, message: String| DescError::new(path, lines.line_of(key), Some(key), message);
    check_name(&toml.name).map_err(|m| err("name", m))?;
    let exec =
        resolve_exec(toml.launch.executable, game_dir).map_err(|m| err("launch.executable", m))?;
    if toml.named_bots.len() > MAX_NAMED_BOTS {
        return Err(err(
            "named_bots",
            format!("more than {MAX_NAMED_BOTS} named bots"),
        ));
    }
    for bot in toml.named_bots.keys() {
        check_bot_name(bot).map_err(|m| err(&format!("named_bots.{bot}"), m))?;
    }
    for lang in toml.translations.keys() {
        if !crate::config::is_language_tag(lang) {
            return Err(err(
                &format!("translations.{lang}"),
                format!("`{lang}` is not a language tag such as `de` or `pt_BR`"),
            ));
        }
    }
    Ok(GameDesc {
        internal_name,
        name: dirscan::translated(&toml.name, &toml.translations, |t| t.name.as_ref()),
        version: toml.version,
        description: dirscan::translated(&toml.description, &toml.translations, |t| {
            t.description.as_ref()
        }),
        author: toml.author,
        homepage: toml.homepage,
        exec,
        engine: toml.protocol.engine,
        protocol_version: toml.protocol.version,
        players_allowed: toml.table.players,
        bots_allowed: toml.table.bots,
        allow_spectators: toml.table.spectators,
        allow_peers: toml.table.peers,
        allow_leave: toml.table.leave,
        kill_when_empty: toml.table.kill_when_empty,
        allow_restore: toml.table.restore,
        records: toml.statistics.records,
        ratings: toml.statistics.ratings,
        highscores: toml.statistics.highscores,
        named_bots: toml.named_bots.into_iter().collect(),
        launch_layout: toml.launch.layout,
        source: path.to_path_buf(),
        limits: toml.limits,
    })
}

// ----------------------------------------------------------------- .dsc

fn load_dsc(path: &Path, internal_name: String, game_dir: &Path) -> Result<GameDesc, DescError> {
    let file = KeyFile::read(path).map_err(|e| DescError::new(path, e.line, None, e.message))?;
    let line_of = |section: &str, key: &str| {
        file.get(section, key)
            .map(|e| e.line)
            .or_else(|| file.section(section).map(|s| s.line))
    };
    let err = |section: &str, key: &str, message: String| {
        DescError::new(
            path,
            line_of(section, key),
            Some(&format!("{section}.{key}")),
            message,
        )
    };
    let text = |section: &str, key: &str| {
        file.get(section, key)
            .map(|e| e.value.clone())
            .unwrap_or_default()
    };
    let flag = |key: &str, default: bool, section: &str| {
        file.get(section, key)
            .map_or(default, |e| keyfile::atoi(&e.value) != 0)
    };
    let numbers = |key: &str, default: NumberList| match file.get("TableOptions", key) {
        None => Ok(default),
        Some(entry) => {
            NumberList::parse(&entry.value).map_err(|e| err("TableOptions", key, e.to_string()))
        }
    };

    let name = file
        .translated("GameInfo", "Name")
        .ok_or_else(|| err("GameInfo", "Name", "missing (required)".into()))?;
    check_name(name.default_text()).map_err(|m| err("GameInfo", "Name", m))?;
    let description = file
        .translated("GameInfo", "Description")
        .unwrap_or_default();

    let argv = file
        .get("LaunchInfo", "ExecutablePath")
        .map(|e| keyfile::split_list(&e.value))
        .unwrap_or_default();
    let exec = resolve_exec(argv, game_dir).map_err(|m| err("LaunchInfo", "ExecutablePath", m))?;
    let launch_layout = match file.get("LaunchInfo", "LaunchMessage") {
        None => LaunchLayout::Legacy,
        Some(entry) => LaunchLayout::parse(&entry.value).ok_or_else(|| {
            err(
                "LaunchInfo",
                "LaunchMessage",
                format!("`{}` is neither `legacy` nor `trunk`", entry.value),
            )
        })?,
    };

    let mut named_bots = Vec::new();
    if let Some(section) = file.section("NamedBots") {
        for (bot, entry) in section.entries() {
            check_bot_name(bot).map_err(|m| err("NamedBots", bot, m))?;
            named_bots.push((bot.to_owned(), entry.value.clone()));
        }
    }
    if named_bots.len() > MAX_NAMED_BOTS {
        return Err(DescError::new(
            path,
            file.section("NamedBots").map(|s| s.line),
            Some("NamedBots"),
            format!("more than {MAX_NAMED_BOTS} named bots"),
        ));
    }

    Ok(GameDesc {
        internal_name,
        name,
        version: text("GameInfo", "Version"),
        description,
        author: text("GameInfo", "Author"),
        homepage: text("GameInfo", "Homepage"),
        exec,
        engine: text("Protocol", "Engine"),
        protocol_version: text("Protocol", "Version"),
        players_allowed: numbers("PlayersAllowed", NumberList::single(1))?,
        bots_allowed: numbers("BotsAllowed", NumberList::empty())?,
        allow_spectators: flag("AllowSpectators", false, "TableOptions"),
        allow_peers: flag("AllowPeers", false, "TableOptions"),
        allow_leave: flag("AllowLeave", false, "TableOptions"),
        kill_when_empty: flag("KillWhenEmpty", true, "TableOptions"),
        allow_restore: flag("AllowRestore", false, "TableOptions"),
        records: flag("Records", false, "Statistics"),
        ratings: flag("Ratings", false, "Statistics"),
        highscores: flag("Highscores", false, "Statistics"),
        named_bots,
        launch_layout,
        source: path.to_path_buf(),
        limits: crate::game_limits::GameLimits::from_dsc(&file)
            .map_err(|(key, m)| err("Limits", key, m))?,
    })
}

// --------------------------------------------------------------- checks

/// The untranslated name doubles as a directory name (`gamedata/<Name>`)
/// and a database key, so beyond the length limit it must be usable as
/// one path component.
fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > MAX_NAME_LENGTH {
        return Err(format!("longer than {MAX_NAME_LENGTH} bytes"));
    }
    if name.chars().any(char::is_control) || name.contains('/') || name == "." || name == ".." {
        return Err("must not contain control characters or `/`, nor be `.` or `..`".into());
    }
    Ok(())
}

/// Named bots become user accounts, so their names must fit a handle.
fn check_bot_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > crate::config::MAX_USERNAME_LENGTH {
        return Err(format!(
            "bot name must be 1 to {} bytes",
            crate::config::MAX_USERNAME_LENGTH
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("bot name must not contain control characters".into());
    }
    Ok(())
}

/// Makes `argv[0]` absolute by resolving it against `game_dir`.
fn resolve_exec(mut argv: Vec<String>, game_dir: &Path) -> Result<Vec<String>, String> {
    if argv.iter().any(|arg| arg.contains('\0')) {
        return Err("arguments must not contain NUL characters".into());
    }
    let Some(program) = argv.first_mut() else {
        return Err("missing or empty (required)".into());
    };
    if program.is_empty() {
        return Err("the executable name is empty".into());
    }
    let resolved = normalize(&game_dir.join(&*program));
    let Some(text) = resolved.to_str() else {
        return Err(format!("{} is not UTF-8", resolved.display()));
    };
    *program = text.to_owned();
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::temp_dir;

    fn repo() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    const FOUR_IN_LINE: &str = "\
[GameInfo]
Name = Four In Line
Name[de] = Vier gewinnt
Version = 1.2
Description = Connect four stones in a row.
Author = J. Doe
Homepage = http://games.example.org/fil/

[LaunchInfo]
ExecutablePath = ggzd.fourinline --verbose

[Protocol]
Engine = FourInLine
Version = 3

[TableOptions]
PlayersAllowed = 2
BotsAllowed = 1
AllowSpectators = 1
AllowLeave = 1

[Statistics]
Records = 1
Ratings = 1

[NamedBots]
Rex = easy
Big Al = hard
";

    #[test]
    fn reads_original_dsc_files() {
        let dir = temp_dir("dsc");
        let path = dir.join("fourinline.dsc");
        std::fs::write(&path, FOUR_IN_LINE).unwrap();
        let game = load_game_file(&path, Path::new("/usr/lib/ggzd")).unwrap();
        assert_eq!(game.internal_name, "fourinline");
        assert_eq!(game.name.default_text(), "Four In Line");
        assert_eq!(game.name.get(Some("de_DE.UTF-8")), "Vier gewinnt");
        assert_eq!(game.version, "1.2");
        assert_eq!(
            game.description.default_text(),
            "Connect four stones in a row."
        );
        assert_eq!(game.author, "J. Doe");
        assert_eq!(game.homepage, "http://games.example.org/fil/");
        assert_eq!(game.exec, ["/usr/lib/ggzd/ggzd.fourinline", "--verbose"]);
        assert_eq!(game.engine, "FourInLine");
        assert_eq!(game.protocol_version, "3");
        assert_eq!(game.players_allowed.to_string(), "2");
        assert_eq!(game.bots_allowed.to_string(), "1");
        assert!(game.allow_spectators && game.allow_leave);
        assert!(!game.allow_peers && !game.allow_restore);
        assert!(game.kill_when_empty);
        assert!(game.records && game.ratings && !game.highscores);
        assert_eq!(
            game.named_bots,
            [
                ("Big Al".into(), "hard".into()),
                ("Rex".into(), "easy".into())
            ]
        );
        assert_eq!(game.launch_layout, LaunchLayout::Legacy);
        assert_eq!(game.source, path);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn dsc_defaults_and_layout_key() {
        let dir = temp_dir("dsc-defaults");
        let path = dir.join("min.dsc");
        std::fs::write(
            &path,
            "[GameInfo]\nName = Min\n[LaunchInfo]\nExecutablePath = /bin/min\nLaunchMessage = Trunk\n[TableOptions]\nKillWhenEmpty = 0\n",
        )
        .unwrap();
        let game = load_game_file(&path, Path::new("/games")).unwrap();
        assert_eq!(game.exec, ["/bin/min"]);
        assert_eq!(game.players_allowed.to_string(), "1");
        assert!(game.bots_allowed.is_empty());
        assert!(!game.kill_when_empty && !game.allow_spectators && !game.records);
        assert_eq!(game.description, Translated::default());
        assert_eq!(game.launch_layout, LaunchLayout::Trunk);
        assert!(game.named_bots.is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn dsc_errors_name_line_and_key() {
        let dir = temp_dir("dsc-errors");
        let cases = [
            (
                "[GameInfo]\nVersion = 1\n[LaunchInfo]\nExecutablePath = x\n",
                Some(1),
                "GameInfo.Name",
            ),
            ("[GameInfo]\nName = A\n", None, "LaunchInfo.ExecutablePath"),
            (
                "[GameInfo]\nName = A\n[LaunchInfo]\nExecutablePath =\n",
                Some(4),
                "LaunchInfo.ExecutablePath",
            ),
            (
                "[GameInfo]\nName = A\n[LaunchInfo]\nExecutablePath = x\n[TableOptions]\nPlayersAllowed = 0\n",
                Some(6),
                "TableOptions.PlayersAllowed",
            ),
            (
                "[GameInfo]\nName = A\n[LaunchInfo]\nExecutablePath = x\nLaunchMessage = new\n",
                Some(5),
                "LaunchInfo.LaunchMessage",
            ),
            (
                "[GameInfo]\nName = A/B\n[LaunchInfo]\nExecutablePath = x\n",
                Some(2),
                "GameInfo.Name",
            ),
            (
                "[GameInfo]\nName = A\n[LaunchInfo]\nExecutablePath = x\n[NamedBots]\nAn Overly Long Bot Name = easy\n",
                Some(6),
                "NamedBots.An Overly Long Bot Name",
            ),
        ];
        for (i, (text, line, key)) in cases.into_iter().enumerate() {
            let path = dir.join(format!("g{i}.dsc"));
            std::fs::write(&path, text).unwrap();
            let err = load_game_file(&path, Path::new("/g")).unwrap_err();
            assert_eq!(err.line, line, "{text}: {err}");
            assert_eq!(err.key.as_deref(), Some(key), "{text}: {err}");
            assert!(
                err.to_string().starts_with(&path.display().to_string()),
                "{err}"
            );
        }
        let long = format!(
            "[GameInfo]\nName = {}\n[LaunchInfo]\nExecutablePath = x\n",
            "n".repeat(65)
        );
        let path = dir.join("long.dsc");
        std::fs::write(&path, long).unwrap();
        assert!(
            load_game_file(&path, Path::new("/g"))
                .unwrap_err()
                .message
                .contains("64")
        );
        let path = dir.join("syntax.dsc");
        std::fs::write(&path, "[GameInfo]\nName\n").unwrap();
        let err = load_game_file(&path, Path::new("/g")).unwrap_err();
        assert_eq!(err.line, Some(2));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn reads_toml_files() {
        let dir = temp_dir("game-toml");
        let path = dir.join("fil.toml");
        std::fs::write(
            &path,
            r#"
name = "Four In Line"
version = "1.2"
description = "Connect four."
[launch]
executable = ["bin/fil", "--name", "My Game"]
[protocol]
engine = "FourInLine"
version = "3"
[table]
players = "2..4"
bots = 1
peers = true
kill_when_empty = false
[statistics]
highscores = true
[named_bots]
Rex = "easy"
[translations.de]
name = "Vier gewinnt"
[translations.fr]
description = "Quatre."
"#,
        )
        .unwrap();
        let game = load_game_file(&path, Path::new("/opt/ggz/./lib")).unwrap();
        assert_eq!(game.internal_name, "fil");
        assert_eq!(game.name.get(Some("de")), "Vier gewinnt");
        assert_eq!(game.name.get(Some("fr")), "Four In Line");
        assert_eq!(game.description.get(Some("fr_FR")), "Quatre.");
        assert_eq!(game.exec, ["/opt/ggz/lib/bin/fil", "--name", "My Game"]);
        assert_eq!(game.players_allowed.to_string(), "2..4");
        assert_eq!(game.bots_allowed.to_string(), "1");
        assert!(game.allow_peers && !game.kill_when_empty && !game.allow_leave);
        assert!(game.highscores && !game.records);
        assert_eq!(game.named_bots, [("Rex".into(), "easy".into())]);
        assert_eq!(game.launch_layout, LaunchLayout::Trunk);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn toml_errors_name_line_and_key() {
        let dir = temp_dir("game-toml-errors");
        let cases = [
            ("name = \"A\"\n", "launch"),
            (
                "name = \"A\"\n[launch]\nexecutable = []\n",
                "launch.executable",
            ),
            (
                "name = \"A\"\n[launch]\nexecutable = [\"x\"]\nlayout = \"new\"\n",
                "launch.layout",
            ),
            (
                "name = \"A\"\n[launch]\nexecutable = [\"x\"]\n[table]\nplayers = \"0\"\n",
                "table.players",
            ),
            (
                "name = \"A\"\n[launch]\nexecutable = [\"x\"]\n[table]\nspectator = true\n",
                "table.spectator",
            ),
            (
                "name = \"A\"\n[launch]\nexecutable = [\"x\"]\n[table]\nbots = 33\n",
                "table.bots",
            ),
            (
                "name = \"A\"\n[launch]\nexecutable = [\"x\"]\n[table]\nbots = [1]\n",
                "table.bots",
            ),
            ("name = \"\"\n[launch]\nexecutable = [\"x\"]\n", "name"),
            ("[launch]\nexecutable = [\"x\"]\n", "name"),
        ];
        for (i, (text, key)) in cases.into_iter().enumerate() {
            let path = dir.join(format!("g{i}.toml"));
            std::fs::write(&path, text).unwrap();
            let err = load_game_file(&path, Path::new("/g")).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{text}: {err}");
            // Missing top-level keys have no line to point at.
            assert_eq!(err.line.is_some(), !matches!(i, 0 | 8), "{text}: {err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn shipped_games_load() {
        let game_dir = Path::new("/usr/lib/ggzd");
        let (games, warnings) = load_games(&repo().join("games"), game_dir, &[], &[]);
        assert!(warnings.is_empty(), "{warnings:?}");
        let names: Vec<&str> = games.iter().map(|g| g.name.default_text()).collect();
        assert_eq!(names, ["TicTacToe", "TicTacToe (trunk)"]);

        let ttt = &games[0];
        assert_eq!(ttt.internal_name, "tictactoe");
        assert_eq!(ttt.engine, "TicTacToe");
        assert_eq!(ttt.protocol_version, "5");
        assert_eq!(ttt.players_allowed.to_string(), "2");
        assert_eq!(ttt.bots_allowed.to_string(), "1");
        assert!(ttt.allow_spectators && ttt.allow_leave && ttt.records);
        assert!(!ttt.ratings && !ttt.highscores && !ttt.allow_peers);
        assert!(ttt.kill_when_empty);
        assert_eq!(
            ttt.named_bots,
            [
                ("Alfred".into(), "easy".into()),
                ("Tarantula".into(), "hard".into())
            ]
        );
        assert_eq!(ttt.exec, ["/usr/lib/ggzd/ggzd-tictactoe"]);
        assert_eq!(ttt.launch_layout, LaunchLayout::Legacy);

        let dev = &games[1];
        assert_eq!(dev.internal_name, "tictactoe-dev");
        assert_eq!(dev.engine, "TicTacToe");
        assert_eq!(dev.protocol_version, "dio/5+dev");
        assert_eq!(
            dev.exec,
            ["/usr/lib/ggzd/ggzd-tictactoe", "--variant", "dev"]
        );
        assert_eq!(dev.launch_layout, LaunchLayout::Trunk);
    }

    #[test]
    fn load_games_skips_bad_files_and_honours_lists() {
        let dir = temp_dir("load-games");
        let game = |name: &str| format!("name = \"{name}\"\n[launch]\nexecutable = [\"x\"]\n");
        std::fs::write(dir.join("b.toml"), game("B")).unwrap();
        std::fs::write(dir.join("a.toml"), game("A")).unwrap();
        std::fs::write(
            dir.join("c.dsc"),
            "[GameInfo]\nName = C\n[LaunchInfo]\nExecutablePath = y\n",
        )
        .unwrap();
        std::fs::write(dir.join("bad.toml"), "name = 1\n").unwrap();
        std::fs::write(dir.join("dup.toml"), game("A")).unwrap();

        let (games, warnings) = load_games(&dir, Path::new("/g"), &[], &[]);
        let names: Vec<&str> = games.iter().map(|g| g.internal_name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("bad.toml:1: key 'name'"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].contains("dup.toml") && warnings[1].contains("already used"),
            "{warnings:?}"
        );

        let (games, warnings) = load_games(
            &dir,
            Path::new("/g"),
            &[],
            &["b".into(), "bad".into(), "dup".into()],
        );
        let names: Vec<&str> = games.iter().map(|g| g.internal_name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert!(warnings.is_empty(), "{warnings:?}");

        let list = ["c".to_owned(), "missing".to_owned(), "a".to_owned()];
        let (games, warnings) = load_games(&dir, Path::new("/g"), &list, &["c".into()]);
        let names: Vec<&str> = games.iter().map(|g| g.internal_name.as_str()).collect();
        assert_eq!(names, ["c", "a"]);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("missing"), "{warnings:?}");

        let (games, warnings) = load_games(&dir.join("nope"), Path::new("/g"), &[], &[]);
        assert!(games.is_empty());
        assert_eq!(warnings.len(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn at_most_fifty_games() {
        let dir = temp_dir("many-games");
        for i in 0..MAX_GAMES + 2 {
            std::fs::write(
                dir.join(format!("g{i:03}.toml")),
                format!("name = \"G{i}\"\n[launch]\nexecutable = [\"x\"]\n"),
            )
            .unwrap();
        }
        let (games, warnings) = load_games(&dir, Path::new("/g"), &[], &[]);
        assert_eq!(games.len(), MAX_GAMES);
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("g050.toml"), "{warnings:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
