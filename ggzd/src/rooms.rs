//! Room descriptions: the rooms a server offers, read from `rooms_dir`.
//!
//! Two file formats: our TOML (`<key>.toml`, schema documented at the top
//! of the shipped `rooms/entry.toml`) and the original key-file format
//! (`<key>.room`, docs/config-and-data.md §4.1). The room named by the file base
//! name `entry` is the lobby and always room 0; it must exist.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::dirscan::{self, TextsToml};
use crate::config::i18n::Translated;
use crate::config::keyfile::{self, KeyFile};
use crate::games::GameDesc;

pub use crate::config::DescError;

/// Base name of the entry room's file.
pub const ENTRY_ROOM: &str = "entry";

/// Capacity used when a room file gives none (or 0).
pub const DEFAULT_MAX_PLAYERS: u32 = 100;

/// Table limit used when a room file gives none.
pub const DEFAULT_MAX_TABLES: u32 = 50;

/// At most this many rooms are loaded from files.
pub const MAX_ROOMS: usize = 1000;

/// File extensions of room files, in order of preference.
const EXTENSIONS: [&str; 2] = ["toml", "room"];

/// Who may enter a room (docs/config-and-data.md §8.4; the permission check itself
/// belongs to the zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryRestriction {
    /// Everybody.
    #[default]
    None,
    /// Registered players.
    Registered,
    /// Administrators.
    Admin,
}

impl EntryRestriction {
    fn parse(value: &str) -> Option<Self> {
        [
            ("none", EntryRestriction::None),
            ("registered", EntryRestriction::Registered),
            ("admin", EntryRestriction::Admin),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, r)| r)
    }
}

/// One room as described by its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomDesc {
    /// File base name.
    pub key: String,
    /// Display name; the untranslated text is sent as `REFNAME`.
    pub name: Translated,
    /// `ROOM DESC`
    pub description: Translated,
    /// Untranslated game `Name` played here; `None` = chat-only room.
    pub game: Option<String>,
    /// Room capacity.
    pub max_players: u32,
    /// Table limit; 0 = no tables.
    pub max_tables: u32,
    /// Who may enter.
    pub restriction: EntryRestriction,
    /// Extra arguments appended to the game server's argv for tables here.
    pub executable_args: Vec<String>,
    /// The file this room came from.
    pub source: PathBuf,
    /// Matchmaking queues offered here (`[[queue]]`, TOML rooms only;
    /// docs/matchmaking.md §2).
    pub queues: Vec<crate::matchmaking::QueueDesc>,
}

impl RoomDesc {
    /// The index of this room's game in `games`, matching the untranslated
    /// name exactly. `None` for chat rooms and for games that are not
    /// loaded (such a room is a chat room, as in the original).
    pub fn game_index(&self, games: &[GameDesc]) -> Option<usize> {
        let wanted = self.game.as_deref()?;
        games.iter().position(|g| g.name.default_text() == wanted)
    }

    /// Equal but for the queues: a reload that changes only queues
    /// updates them in place instead of reopening the room.
    pub fn same_but_queues(&self, other: &RoomDesc) -> bool {
        RoomDesc {
            queues: Vec::new(),
            ..self.clone()
        } == RoomDesc {
            queues: Vec::new(),
            ..other.clone()
        }
    }
}

/// Why the room set could not be loaded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomsError {
    /// Neither `entry.toml` nor `entry.room` exists in the directory.
    MissingEntry(PathBuf),
    /// The entry room's file is invalid.
    Entry(DescError),
    /// The directory cannot be listed.
    Directory(String),
}

impl fmt::Display for RoomsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoomsError::MissingEntry(dir) => write!(
                f,
                "{}: no entry room (entry.toml or entry.room); it is required as room 0",
                dir.display()
            ),
            RoomsError::Entry(e) => write!(f, "{e} (the entry room is required)"),
            RoomsError::Directory(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for RoomsError {}

/// Loads the rooms: `entry` first (room 0), then the `list` in order, or,
/// if it is empty, every other `*.toml` / `*.room` file sorted by base
/// name except the `ignored` ones. A base name present in both formats
/// uses the `.toml`.
///
/// Only a missing or invalid entry room (or an unreadable directory) is
/// an error; other bad files are skipped with a warning naming the file,
/// line and key.
pub fn load_rooms(
    rooms_dir: &Path,
    list: &[String],
    ignored: &[String],
) -> Result<(Vec<RoomDesc>, Vec<String>), RoomsError> {
    load_rooms_in(rooms_dir, &[], list, ignored)
}

/// [`load_rooms`] with further directories (`extra_dirs.rooms`) searched
/// after `rooms_dir`: without a list, their files follow in turn; with
/// one, each name comes from the first directory that has it. The lobby
/// comes from `rooms_dir` only; an unreadable extra directory is a
/// warning, not an error.
pub fn load_rooms_in(
    rooms_dir: &Path,
    extra_dirs: &[&Path],
    list: &[String],
    ignored: &[String],
) -> Result<(Vec<RoomDesc>, Vec<String>), RoomsError> {
    let entry_path = dirscan::find(rooms_dir, ENTRY_ROOM, &EXTENSIONS)
        .ok_or_else(|| RoomsError::MissingEntry(rooms_dir.to_path_buf()))?;
    let (entry, mut warnings) = load_room_file(&entry_path).map_err(RoomsError::Entry)?;
    let mut rooms = vec![entry];

    let files: Vec<PathBuf> = if list.is_empty() {
        let (mut found, scan_warnings) =
            dirscan::scan(rooms_dir, &EXTENSIONS).map_err(RoomsError::Directory)?;
        warnings.extend(scan_warnings);
        for dir in extra_dirs {
            match dirscan::scan(dir, &EXTENSIONS) {
                Ok((more, scan_warnings)) => {
                    warnings.extend(scan_warnings);
                    found.extend(more);
                }
                Err(message) => warnings.push(message),
            }
        }
        found
            .into_iter()
            .filter(|(name, _)| name != ENTRY_ROOM && !ignored.contains(name))
            .map(|(_, path)| path)
            .collect()
    } else {
        list.iter()
            .filter(|name| name.as_str() != ENTRY_ROOM)
            .filter_map(|name| {
                let found = std::iter::once(&rooms_dir)
                    .chain(extra_dirs)
                    .find_map(|dir| dirscan::find(dir, name, &EXTENSIONS));
                if found.is_none() {
                    warnings.push(format!(
                        "{}: room `{name}` from games.room_list: no {name}.toml or {name}.room (skipped)",
                        rooms_dir.display()
                    ));
                }
                found
            })
            .collect()
    };

    for path in files {
        if rooms.len() >= MAX_ROOMS {
            warnings.push(format!(
                "{}: more than {MAX_ROOMS} rooms (skipped)",
                path.display()
            ));
            continue;
        }
        match load_room_file(&path) {
            Ok((room, _)) if rooms.iter().any(|r| r.key == room.key) => {
                warnings.push(format!("{}: listed twice (skipped)", path.display()));
            }
            Ok((room, file_warnings)) => {
                warnings.extend(file_warnings);
                rooms.push(room);
            }
            Err(e) => warnings.push(format!("{e} (skipped)")),
        }
    }
    Ok((rooms, warnings))
}

/// Loads one room file; the format follows the extension (`.room` =
/// original key-file syntax, anything else = TOML). Returns the room and
/// warnings about what was left out of it.
pub fn load_room_file(path: &Path) -> Result<(RoomDesc, Vec<String>), DescError> {
    let key = dirscan::base_name(path)?;
    if path.extension().is_some_and(|ext| ext == "room") {
        load_keyfile(path, key)
    } else {
        load_toml(path, key).map(|room| (room, Vec::new()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomToml {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    game: Option<String>,
    #[serde(default)]
    max_players: Option<u32>,
    #[serde(default)]
    max_tables: Option<u32>,
    #[serde(default)]
    restriction: EntryRestriction,
    #[serde(default)]
    executable_args: Vec<String>,
    #[serde(default)]
    translations: BTreeMap<String, TextsToml>,
    #[serde(default)]
    queue: Vec<crate::matchmaking::desc::QueueToml>,
}

fn load_toml(path: &Path, key: String) -> Result<RoomDesc, DescError> {
    let (toml, lines) = dirscan::read_toml::<RoomToml>(path)?;
    let err =
        |key: &str, message: String| DescError::new(path, lines.line_of(key), Some(key), message);
    if toml.name.trim().is_empty() {
        return Err(err("name", "must not be empty".into()));
    }
    if toml.game.as_deref().is_some_and(|g| g.trim().is_empty()) {
        return Err(err(
            "game",
            "must not be empty (omit it for a chat room)".into(),
        ));
    }
    if toml.executable_args.iter().any(|a| a.contains('\0')) {
        return Err(err(
            "executable_args",
            "arguments must not contain NUL characters".into(),
        ));
    }
    for lang in toml.translations.keys() {
        if !crate::config::is_language_tag(lang) {
            return Err(err(
                &format!("translations.{lang}"),
                format!("`{lang}` is not a language tag such as `de` or `pt_BR`"),
            ));
        }
    }
    if !toml.queue.is_empty() && toml.game.is_none() {
        return Err(err("queue", "a chat room (no `game`) has no queues".into()));
    }
    let queues = crate::matchmaking::desc::check_all(toml.queue).map_err(|m| err("queue", m))?;
    Ok(RoomDesc {
        key,
        name: dirscan::translated(&toml.name, &toml.translations, |t| t.name.as_ref()),
        description: dirscan::translated(&toml.description, &toml.translations, |t| {
            t.description.as_ref()
        }),
        game: toml.game,
        max_players: match toml.max_players {
            None | Some(0) => DEFAULT_MAX_PLAYERS,
            Some(n) => n,
        },
        max_tables: toml.max_tables.unwrap_or(DEFAULT_MAX_TABLES),
        restriction: toml.restriction,
        executable_args: toml.executable_args,
        source: path.to_path_buf(),
        queues,
    })
}

/// Reads an original `.room` file. As in the original, nothing but an
/// unreadable file refuses the room: a missing name or an unknown entry
/// restriction is a warning and a fallback.
fn load_keyfile(path: &Path, key: String) -> Result<(RoomDesc, Vec<String>), DescError> {
    const SECTION: &str = "RoomInfo";
    let file = KeyFile::read(path).map_err(|e| DescError::new(path, e.line, None, e.message))?;
    let line_of = |k: &str| {
        file.get(SECTION, k)
            .map(|e| e.line)
            .or_else(|| file.section(SECTION).map(|s| s.line))
    };
    let err = |k: &str, message: String| {
        DescError::new(path, line_of(k), Some(&format!("{SECTION}.{k}")), message).to_string()
    };
    let mut warnings: Vec<String> = file
        .warnings()
        .iter()
        .map(|w| DescError::new(path, w.line, None, w.message.clone()).to_string())
        .collect();

    let name = match file.translated(SECTION, "Name") {
        Some(name) if !name.default_text().is_empty() => name,
        _ => {
            warnings.push(err(
                "Name",
                format!("missing or empty; the room is called `{key}` after its file"),
            ));
            Translated::new(key.clone())
        }
    };
    let description = file.translated(SECTION, "Description").unwrap_or_default();
    let game = file
        .get(SECTION, "GameType")
        .map(|e| e.value.clone())
        .filter(|g| !g.is_empty() && !g.eq_ignore_ascii_case("none"));
    let max_players = match file
        .get(SECTION, "MaxPlayers")
        .map(|e| keyfile::atoi(&e.value))
    {
        Some(n) if n > 0 => u32::try_from(n).unwrap_or(u32::MAX),
        _ => DEFAULT_MAX_PLAYERS,
    };
    let max_tables = match file
        .get(SECTION, "MaxTables")
        .map(|e| keyfile::atoi(&e.value))
    {
        Some(n) if n >= 0 => u32::try_from(n).unwrap_or(u32::MAX),
        _ => DEFAULT_MAX_TABLES,
    };
    let restriction = match file.get(SECTION, "EntryRestriction") {
        None => EntryRestriction::None,
        Some(entry) => EntryRestriction::parse(&entry.value).unwrap_or_else(|| {
            warnings.push(err(
                "EntryRestriction",
                format!(
                    "`{}` is not None, Registered or Admin (everybody may enter)",
                    entry.value
                ),
            ));
            EntryRestriction::None
        }),
    };
    let executable_args = file
        .get(SECTION, "ExecutableArgs")
        .map(|e| keyfile::split_list(&e.value))
        .unwrap_or_default();
    let room = RoomDesc {
        key,
        name,
        description,
        game,
        max_players,
        max_tables,
        restriction,
        executable_args,
        source: path.to_path_buf(),
        queues: Vec::new(),
    };
    Ok((room, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::temp_dir;

    fn repo() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    #[test]
    fn reads_original_room_files() {
        let dir = temp_dir("room-keyfile");
        let path = dir.join("fil.room");
        std::fs::write(
            &path,
            "[RoomInfo]\nName = Four In Line\nName[de] = Vier gewinnt\nDescription = Casual games\n\
             GameType = Four In Line\nMaxPlayers = 150\nMaxTables = 40\nEntryRestriction = registered\n\
             ExecutableArgs = --fast --name My\\ Room\n",
        )
        .unwrap();
        let (room, _) = load_room_file(&path).unwrap();
        assert_eq!(room.key, "fil");
        assert_eq!(room.name.get(Some("de_CH")), "Vier gewinnt");
        assert_eq!(room.name.default_text(), "Four In Line");
        assert_eq!(room.description.default_text(), "Casual games");
        assert_eq!(room.game.as_deref(), Some("Four In Line"));
        assert_eq!((room.max_players, room.max_tables), (150, 40));
        assert_eq!(room.restriction, EntryRestriction::Registered);
        assert_eq!(room.executable_args, ["--fast", "--name", "My Room"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn room_file_defaults() {
        let dir = temp_dir("room-defaults");
        let cases = [
            (
                "a.room",
                "[RoomInfo]\nName = A\nGameType = NONE\nMaxPlayers = 0\n",
                50,
            ),
            (
                "b.room",
                "[RoomInfo]\nName = B\nMaxTables = -1\nMaxPlayers = -5\n",
                50,
            ),
            ("c.room", "[RoomInfo]\nName = C\nMaxTables = 0\n", 0),
            ("d.toml", "name = \"D\"\nmax_players = 0\n", 50),
            ("e.toml", "name = \"E\"\nmax_tables = 0\n", 0),
        ];
        for (file, text, tables) in cases {
            let path = dir.join(file);
            std::fs::write(&path, text).unwrap();
            let (room, _) = load_room_file(&path).unwrap();
            assert_eq!(room.game, None, "{file}");
            assert_eq!(room.max_players, DEFAULT_MAX_PLAYERS, "{file}");
            assert_eq!(room.max_tables, tables, "{file}");
            assert_eq!(room.restriction, EntryRestriction::None);
            assert!(room.executable_args.is_empty());
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn reads_toml_rooms() {
        let dir = temp_dir("room-toml");
        let path = dir.join("fil.toml");
        std::fs::write(
            &path,
            r#"name = "Four In Line"
description = "Casual games"
game = "Four In Line"
max_players = 150
max_tables = 40
restriction = "admin"
executable_args = ["--fast"]
[translations.de]
name = "Vier gewinnt"
description = "Gemütlich"
"#,
        )
        .unwrap();
        let (room, _) = load_room_file(&path).unwrap();
        assert_eq!(room.name.get(Some("de")), "Vier gewinnt");
        assert_eq!(room.description.get(Some("de")), "Gemütlich");
        assert_eq!(room.game.as_deref(), Some("Four In Line"));
        assert_eq!((room.max_players, room.max_tables), (150, 40));
        assert_eq!(room.restriction, EntryRestriction::Admin);
        assert_eq!(room.executable_args, ["--fast"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn room_errors_name_line_and_key() {
        let dir = temp_dir("room-errors");
        let cases = [
            (
                "c.toml",
                "name = \"C\"\nrestriction = \"vip\"\n",
                Some(2),
                "restriction",
            ),
            (
                "d.toml",
                "name = \"D\"\nmax_player = 3\n",
                Some(2),
                "max_player",
            ),
            ("e.toml", "description = \"E\"\n", None, "name"),
            ("f.toml", "name = \"F\"\ngame = \"\"\n", Some(2), "game"),
            (
                "g.toml",
                "name = \"G\"\nmax_tables = -1\n",
                Some(2),
                "max_tables",
            ),
        ];
        for (file, text, line, key) in cases {
            let path = dir.join(file);
            std::fs::write(&path, text).unwrap();
            let err = load_room_file(&path).unwrap_err();
            assert_eq!(err.line, line, "{file}: {err}");
            assert_eq!(err.key.as_deref(), Some(key), "{file}: {err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn original_room_files_are_refused_only_when_unreadable() {
        let dir = temp_dir("room-lenient");
        let cases = [
            (
                "a.room",
                "[RoomInfo]\nDescription = x\n",
                "a",
                "a.room:1: key 'RoomInfo.Name'",
            ),
            (
                "b.room",
                "[RoomInfo]\nName =\n",
                "b",
                "b.room:2: key 'RoomInfo.Name'",
            ),
            (
                "c.room",
                "[RoomInfo]\nName = C\nEntryRestriction = vip\n",
                "C",
                "c.room:3: key 'RoomInfo.EntryRestriction'",
            ),
            (
                "d.room",
                "[RoomInfo]\nName = D\nwhat is this\n",
                "D",
                "d.room:3: ",
            ),
        ];
        for (file, text, name, warning) in cases {
            let path = dir.join(file);
            std::fs::write(&path, text).unwrap();
            let (room, warnings) = load_room_file(&path).unwrap();
            assert_eq!(room.name.default_text(), name, "{file}");
            assert_eq!(room.restriction, EntryRestriction::None, "{file}");
            let [w] = warnings.as_slice() else {
                panic!("{file}: {warnings:?}");
            };
            assert!(w.contains(warning), "{file}: {w}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn entry_room_first_and_required() {
        let dir = temp_dir("rooms");
        let room = |name: &str| format!("name = \"{name}\"\n");
        std::fs::write(dir.join("b.toml"), room("B")).unwrap();
        std::fs::write(dir.join("a.room"), "[RoomInfo]\nName = A\n").unwrap();
        std::fs::write(dir.join("bad.toml"), "nme = 1\n").unwrap();
        assert!(matches!(
            load_rooms(&dir, &[], &[]),
            Err(RoomsError::MissingEntry(_))
        ));
        std::fs::write(dir.join("entry.toml"), "name = 3\n").unwrap();
        let err = load_rooms(&dir, &[], &[]).unwrap_err();
        assert!(matches!(err, RoomsError::Entry(_)));
        assert!(
            err.to_string().contains("entry.toml:1: key 'name'"),
            "{err}"
        );

        std::fs::write(dir.join("entry.toml"), room("Lobby")).unwrap();
        let (rooms, warnings) = load_rooms(&dir, &[], &[]).unwrap();
        let keys: Vec<&str> = rooms.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["entry", "a", "b"]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("bad.toml:1: key 'nme'"),
            "{warnings:?}"
        );

        let (rooms, _) = load_rooms(&dir, &[], &["a".into(), "bad".into()]).unwrap();
        let keys: Vec<&str> = rooms.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["entry", "b"]);

        let list = [
            "b".to_owned(),
            "entry".to_owned(),
            "zz".to_owned(),
            "a".to_owned(),
        ];
        let (rooms, warnings) = load_rooms(&dir, &list, &[]).unwrap();
        let keys: Vec<&str> = rooms.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["entry", "b", "a"]);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("zz"), "{warnings:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn shipped_rooms_load_and_match_shipped_games() {
        let (rooms, warnings) = load_rooms(&repo().join("rooms"), &[], &[]).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let (games, _) = crate::games::load_games(
            &repo().join("games"),
            Path::new("/g"),
            &[],
            &[],
            crate::games::LaunchLayout::Trunk,
        );
        let summary: Vec<(&str, Option<usize>)> = rooms
            .iter()
            .map(|r| (r.name.default_text(), r.game_index(&games)))
            .collect();
        assert_eq!(
            summary,
            [
                ("Lobby", None),
                ("Tic-Tac-Toe", Some(0)),
                ("Tic-Tac-Toe (trunk)", Some(1)),
                ("Race to 100", Some(2)),
            ]
        );
        assert_eq!(rooms[0].key, ENTRY_ROOM);
        assert_eq!(rooms[0].game, None);
        assert_eq!(rooms[1].game.as_deref(), Some("TicTacToe"));
    }

    #[test]
    fn extra_room_dirs_follow_and_need_no_lobby() {
        let (main, extra) = (temp_dir("rooms-main"), temp_dir("rooms-extra"));
        std::fs::write(main.join("entry.toml"), "name = \"Lobby\"\n").unwrap();
        std::fs::write(main.join("b.toml"), "name = \"B\"\n").unwrap();
        std::fs::write(extra.join("a.room"), "[RoomInfo]\nName = A\n").unwrap();
        std::fs::write(extra.join("b.toml"), "name = \"B2\"\n").unwrap();
        std::fs::write(extra.join("entry.toml"), "name = \"Other lobby\"\n").unwrap();
        let (rooms, warnings) = load_rooms_in(&main, &[extra.as_path()], &[], &[]).unwrap();
        let names: Vec<&str> = rooms.iter().map(|r| r.name.default_text()).collect();
        assert_eq!(names, ["Lobby", "B", "A"]);
        assert!(
            warnings.len() == 1 && warnings[0].contains("listed twice"),
            "{warnings:?}"
        );

        let list = ["a".to_owned()];
        let (rooms, warnings) = load_rooms_in(&main, &[extra.as_path()], &list, &[]).unwrap();
        assert_eq!(rooms.len(), 2);
        assert!(warnings.is_empty(), "{warnings:?}");
        // The lobby comes from rooms_dir only.
        assert!(load_rooms_in(&extra.join("none"), &[extra.as_path()], &[], &[]).is_err());
        std::fs::remove_dir_all(main).unwrap();
        std::fs::remove_dir_all(extra).unwrap();
    }
}
