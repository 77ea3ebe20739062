//! Game descriptions: which game servers exist, how to start them, and what
//! clients are told about them (`LIST TYPE='game'`).
//!
//! Two file formats are read from `games_dir`:
//!
//! * our TOML (`<name>.toml`), whose schema is documented at the top of
//!   the shipped `games/tictactoe.toml`;
//! * the original key-file format (`<name>.dsc`, docs/config-and-data.md §3), so
//!   that game packages written for the original server work unmodified.
//!
//! The file base name is the game's internal name (sent to the game server
//! at launch); game IDs are positions in the loaded list.

mod dsc;
pub mod elf;
pub mod layout;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::dirscan::{self, TextsToml};
use crate::config::i18n::Translated;
use crate::config::normalize;
use crate::numlist::NumberList;

pub use crate::config::DescError;
pub use layout::{LaunchLayout, LayoutSource};

/// At most this many game types are loaded (the original's limit).
pub const MAX_GAMES: usize = 50;

/// Longest game name, in bytes.
pub const MAX_NAME_LENGTH: usize = 64;

/// Bound on named bots per game; each becomes a user account at startup.
pub const MAX_NAMED_BOTS: usize = 100;

/// Longest named bot accepted from a description, in bytes. Shipped files
/// go up to 21; on the wire a bot is known by its first
/// [`crate::config::MAX_USERNAME_LENGTH`] bytes (see [`bot_wire_name`]).
pub const MAX_BOT_NAME_LENGTH: usize = 64;

/// File extensions of game descriptions, in order of preference.
const EXTENSIONS: [&str; 2] = ["toml", "dsc"];

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
    /// (name, class), sorted by name bytewise. The name is the one used on
    /// every wire and for the bot's account: see [`bot_wire_name`].
    pub named_bots: Vec<(String, String)>,
    /// Launch message layout the game server expects.
    pub launch_layout: LaunchLayout,
    /// Where `launch_layout` came from.
    pub layout_source: LayoutSource,
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
/// What the original only complained about (a bad line, a bad number in
/// a list, a bad named bot) is a warning too, but the game loads.
///
/// Reads each game server's executable to choose its launch layout
/// ([`layout::detect`]), so this belongs on a thread that may block.
pub fn load_games(
    games_dir: &Path,
    game_dir: &Path,
    list: &[String],
    ignored: &[String],
    default_layout: LaunchLayout,
) -> (Vec<GameDesc>, Vec<String>) {
    load_games_in(&[games_dir], game_dir, list, ignored, default_layout)
}

/// [`load_games`] over several directories (`games_dir`, then
/// `extra_dirs.games`): without a list, each directory's files in turn;
/// with one, each name from the first directory that has it. A game
/// already loaded from an earlier directory wins (a warning names the
/// later file).
pub fn load_games_in(
    games_dirs: &[&Path],
    game_dir: &Path,
    list: &[String],
    ignored: &[String],
    default_layout: LaunchLayout,
) -> (Vec<GameDesc>, Vec<String>) {
    let mut warnings = Vec::new();
    let files: Vec<PathBuf> = if list.is_empty() {
        let mut files = Vec::new();
        for games_dir in games_dirs {
            match dirscan::scan(games_dir, &EXTENSIONS) {
                Ok((found, scan_warnings)) => {
                    warnings.extend(scan_warnings);
                    files.extend(
                        found
                            .into_iter()
                            .filter(|(name, _)| !ignored.contains(name))
                            .map(|(_, path)| path),
                    );
                }
                Err(message) => warnings.push(message),
            }
        }
        files
    } else {
        list.iter()
            .filter_map(|name| {
                let found = games_dirs
                    .iter()
                    .find_map(|dir| dirscan::find(dir, name, &EXTENSIONS));
                if found.is_none() {
                    let dirs: Vec<String> =
                        games_dirs.iter().map(|d| d.display().to_string()).collect();
                    warnings.push(format!(
                        "{}: game `{name}` from games.game_list: no {name}.toml or {name}.dsc (skipped)",
                        dirs.join(", ")
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
        match load_game_file(&path, game_dir, default_layout) {
            Ok((game, file_warnings)) => {
                warnings.extend(file_warnings);
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
                    log::info!(
                        "game {}: {} launch layout ({})",
                        game.internal_name,
                        game.launch_layout,
                        game.layout_source
                    );
                    games.push(game);
                }
            }
            Err(e) => warnings.push(format!("{e} (skipped)")),
        }
    }
    (games, warnings)
}

/// Loads one game description; the format follows the extension (`.dsc`
/// = original key-file syntax, anything else = TOML). Returns the game and
/// the warnings about parts of the file that were left out.
pub fn load_game_file(
    path: &Path,
    game_dir: &Path,
    default_layout: LaunchLayout,
) -> Result<(GameDesc, Vec<String>), DescError> {
    let internal_name = dirscan::base_name(path)?;
    let mut draft = if path.extension().is_some_and(|ext| ext == "dsc") {
        dsc::load_dsc(path, internal_name, game_dir)?
    } else {
        load_toml(path, internal_name, game_dir)?
    };
    let (layout, source) = match draft.layout {
        Some(layout) => (layout, LayoutSource::Key),
        None => match draft.game.exec.first() {
            Some(program) => layout::detect(Path::new(program), default_layout),
            None => (default_layout, LayoutSource::Default),
        },
    };
    draft.game.launch_layout = layout;
    draft.game.layout_source = source;
    Ok((draft.game, draft.warnings))
}

/// A description as read, before its launch layout is settled.
struct Draft {
    /// `launch_layout`/`layout_source` are placeholders until
    /// [`load_game_file`] fills them in.
    game: GameDesc,
    /// The layout the file names, if it names one.
    layout: Option<LaunchLayout>,
    warnings: Vec<String>,
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
    #[serde(default, deserialize_with = "layout::deserialize_optional")]
    layout: Option<LaunchLayout>,
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

fn load_toml(path: &Path, internal_name: String, game_dir: &Path) -> Result<Draft, DescError> {
    let (toml, lines) = dirscan::read_toml::<GameToml>(path)?;
    let err =
        |key: &str, message: String| DescError::new(path, lines.line_of(key), Some(key), message);
    check_name(&toml.name).map_err(|m| err("name", m))?;
    let exec =
        resolve_exec(toml.launch.executable, game_dir).map_err(|m| err("launch.executable", m))?;
    let mut warnings = Vec::new();
    let named_bots = named_bots(toml.named_bots, |bot, message| {
        let key = format!("named_bots.{bot}");
        warnings.push(err(&key, message).to_string());
    });
    for lang in toml.translations.keys() {
        if !crate::config::is_language_tag(lang) {
            return Err(err(
                &format!("translations.{lang}"),
                format!("`{lang}` is not a language tag such as `de` or `pt_BR`"),
            ));
        }
    }
    let game = GameDesc {
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
        named_bots,
        launch_layout: LaunchLayout::Trunk,
        layout_source: LayoutSource::Default,
        source: path.to_path_buf(),
        limits: toml.limits,
    };
    Ok(Draft {
        game,
        layout: toml.launch.layout,
        warnings,
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

/// The name a named bot goes by on every wire (game list, table seats,
/// the launch and seat messages to the game server) and as its account:
/// the description's name cut to the user name limit, at a character
/// boundary, without trailing blanks. Clients and game servers read names
/// into 17-byte buffers (docs/launch-layout.md), and the original
/// registered the account under the first 16 bytes too.
pub fn bot_wire_name(name: &str) -> String {
    let mut end = name.len().min(crate::config::MAX_USERNAME_LENGTH);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].trim_end().to_owned()
}

/// The usable named bots of a description, by wire name, sorted. A bot
/// that cannot be used is reported through `skip` (its key, why) and left
/// out; the game still loads, as in the original.
fn named_bots(
    bots: impl IntoIterator<Item = (String, String)>,
    mut skip: impl FnMut(&str, String),
) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (name, class) in bots {
        if name.len() > MAX_BOT_NAME_LENGTH {
            skip(
                &name,
                format!("bot name longer than {MAX_BOT_NAME_LENGTH} bytes (bot ignored)"),
            );
            continue;
        }
        if name.chars().any(char::is_control) {
            skip(
                &name,
                "bot name must not contain control characters (bot ignored)".into(),
            );
            continue;
        }
        let wire = bot_wire_name(&name);
        if wire.is_empty() {
            skip(&name, "bot name is blank (bot ignored)".into());
            continue;
        }
        if let Some((first, _)) = out.get(&wire) {
            skip(
                &name,
                format!("bot goes by `{wire}` on the wire, as `{first}` does (bot ignored)"),
            );
            continue;
        }
        if out.len() >= MAX_NAMED_BOTS {
            skip(
                &name,
                format!("more than {MAX_NAMED_BOTS} named bots (bot ignored)"),
            );
            continue;
        }
        if wire != name {
            log::info!("named bot `{name}` goes by `{wire}` (the user name limit)");
        }
        out.insert(wire, (name, class));
    }
    out.into_iter()
        .map(|(wire, (_, class))| (wire, class))
        .collect()
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

    fn load(path: &Path, game_dir: &str) -> Result<GameDesc, DescError> {
        load_game_file(path, Path::new(game_dir), LaunchLayout::Trunk).map(|(game, _)| game)
    }

    #[test]
    fn bots_go_by_their_first_sixteen_bytes() {
        assert_eq!(bot_wire_name("Tarantula"), "Tarantula");
        assert_eq!(bot_wire_name("GNU Chess AI (tricky)"), "GNU Chess AI (tr");
        // 16 bytes would end inside the two-byte ö: cut before it.
        assert_eq!(bot_wire_name("Der Große Kxööö"), "Der Große Kxö");
        assert_eq!(bot_wire_name("Fifteen letters x"), "Fifteen letters");
        let mut skipped = Vec::new();
        let bots = named_bots(
            [
                ("Exactly sixteen!".to_owned(), "a".to_owned()),
                ("Exactly sixteen!!".to_owned(), "b".to_owned()),
                ("Bell\u{7}".to_owned(), "c".to_owned()),
                ("Zed".to_owned(), "d".to_owned()),
            ],
            |bot, why| skipped.push(format!("{bot}: {why}")),
        );
        assert_eq!(
            bots,
            [
                ("Exactly sixteen!".to_owned(), "a".to_owned()),
                ("Zed".to_owned(), "d".to_owned())
            ]
        );
        assert_eq!(skipped.len(), 2, "{skipped:?}");
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
        let game = load(&path, "/opt/ggz/./lib").unwrap();
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
            let err = load(&path, "/g").unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{text}: {err}");
            // Missing top-level keys have no line to point at.
            assert_eq!(err.line.is_some(), !matches!(i, 0 | 8), "{text}: {err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn shipped_games_load() {
        let game_dir = Path::new("/usr/lib/ggzd");
        let (games, warnings) = load_games(
            &repo().join("games"),
            game_dir,
            &[],
            &[],
            LaunchLayout::Trunk,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let names: Vec<&str> = games.iter().map(|g| g.name.default_text()).collect();
        assert_eq!(names, ["TicTacToe", "TicTacToe (trunk)", "Race to 100"]);

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

        let (games, warnings) = load_games(&dir, Path::new("/g"), &[], &[], LaunchLayout::Trunk);
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
            LaunchLayout::Trunk,
        );
        let names: Vec<&str> = games.iter().map(|g| g.internal_name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert!(warnings.is_empty(), "{warnings:?}");

        let list = ["c".to_owned(), "missing".to_owned(), "a".to_owned()];
        let (games, warnings) = load_games(
            &dir,
            Path::new("/g"),
            &list,
            &["c".into()],
            LaunchLayout::Trunk,
        );
        let names: Vec<&str> = games.iter().map(|g| g.internal_name.as_str()).collect();
        assert_eq!(names, ["c", "a"]);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("missing"), "{warnings:?}");

        let (games, warnings) = load_games(
            &dir.join("nope"),
            Path::new("/g"),
            &[],
            &[],
            LaunchLayout::Trunk,
        );
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
        let (games, warnings) = load_games(&dir, Path::new("/g"), &[], &[], LaunchLayout::Trunk);
        assert_eq!(games.len(), MAX_GAMES);
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("g050.toml"), "{warnings:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn extra_dirs_load_after_games_dir_and_lose_to_it() {
        let (main, extra) = (temp_dir("games-main"), temp_dir("games-extra"));
        let game = |name: &str| format!("name = \"{name}\"\n[launch]\nexecutable = [\"x\"]\n");
        std::fs::write(main.join("b.toml"), game("B")).unwrap();
        std::fs::write(extra.join("a.toml"), game("A")).unwrap();
        std::fs::write(extra.join("b.toml"), game("B2")).unwrap();
        let dirs = [main.as_path(), extra.as_path()];
        let g = Path::new("/g");
        let (games, warnings) = load_games_in(&dirs, g, &[], &[], LaunchLayout::Trunk);
        let names: Vec<&str> = games.iter().map(|g| g.internal_name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(games[0].name.default_text(), "B");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("listed twice"), "{warnings:?}");

        let list = ["a".to_owned(), "b".to_owned(), "zz".to_owned()];
        let (games, warnings) = load_games_in(&dirs, g, &list, &[], LaunchLayout::Trunk);
        let names: Vec<&str> = games.iter().map(|g| g.name.default_text()).collect();
        assert_eq!(names, ["A", "B"]);
        assert!(
            warnings.len() == 1 && warnings[0].contains("zz"),
            "{warnings:?}"
        );

        // A missing extra directory is a warning; the others still load.
        let gone = extra.join("gone");
        let (games, warnings) =
            load_games_in(&[main.as_path(), &gone], g, &[], &[], LaunchLayout::Trunk);
        assert_eq!(games.len(), 1);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        std::fs::remove_dir_all(main).unwrap();
        std::fs::remove_dir_all(extra).unwrap();
    }
}
