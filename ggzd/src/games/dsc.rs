//! The original key-file game descriptions (`<name>.dsc`,
//! docs/config-and-data.md §3), read so that game packages written for the original
//! server work unmodified: whatever the original accepted loads here too,
//! and what it only complained about becomes a warning.

use std::path::Path;

use super::{
    DescError, Draft, GameDesc, LaunchLayout, LayoutSource, check_name, named_bots, resolve_exec,
};
use crate::config::keyfile::{self, KeyFile};
use crate::numlist::NumberList;

pub(super) fn load_dsc(
    path: &Path,
    internal_name: String,
    game_dir: &Path,
) -> Result<Draft, DescError> {
    let file = KeyFile::read(path).map_err(|e| DescError::new(path, e.line, None, e.message))?;
    let mut warnings: Vec<String> = file
        .warnings()
        .iter()
        .map(|w| DescError::new(path, w.line, None, w.message.clone()).to_string())
        .collect();
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
    let mut numbers = |key: &str, default: NumberList| match file.get("TableOptions", key) {
        None => default,
        Some(entry) => {
            let (list, problems) = NumberList::parse_lenient(&entry.value);
            warnings.extend(
                problems
                    .into_iter()
                    .map(|m| err("TableOptions", key, m).to_string()),
            );
            list
        }
    };
    let players_allowed = numbers("PlayersAllowed", NumberList::single(1));
    let bots_allowed = numbers("BotsAllowed", NumberList::empty());
    if players_allowed.is_empty() {
        warnings.push(
            err(
                "TableOptions",
                "PlayersAllowed",
                "allows no seat count: no table of this game can be launched".into(),
            )
            .to_string(),
        );
    }

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
    // Our own key; without it the executable decides (docs/launch-layout.md).
    let layout = match file.get("LaunchInfo", "LaunchMessage") {
        None => None,
        Some(entry) => Some(entry.value.parse::<LaunchLayout>().ok().ok_or_else(|| {
            err(
                "LaunchInfo",
                "LaunchMessage",
                format!("`{}` is neither `legacy` nor `trunk`", entry.value),
            )
        })?),
    };

    let bots = file.section("NamedBots").map(|section| {
        section
            .entries()
            .map(|(bot, entry)| (bot.to_owned(), entry.value.clone()))
            .collect::<Vec<_>>()
    });
    let named_bots = named_bots(bots.unwrap_or_default(), |bot, message| {
        warnings.push(err("NamedBots", bot, message).to_string());
    });

    let game = GameDesc {
        internal_name,
        name,
        version: text("GameInfo", "Version"),
        description,
        author: text("GameInfo", "Author"),
        homepage: text("GameInfo", "Homepage"),
        exec,
        engine: text("Protocol", "Engine"),
        protocol_version: text("Protocol", "Version"),
        players_allowed,
        bots_allowed,
        allow_spectators: flag("AllowSpectators", false, "TableOptions"),
        allow_peers: flag("AllowPeers", false, "TableOptions"),
        allow_leave: flag("AllowLeave", false, "TableOptions"),
        kill_when_empty: flag("KillWhenEmpty", true, "TableOptions"),
        allow_restore: flag("AllowRestore", false, "TableOptions"),
        records: flag("Records", false, "Statistics"),
        ratings: flag("Ratings", false, "Statistics"),
        highscores: flag("Highscores", false, "Statistics"),
        named_bots,
        launch_layout: LaunchLayout::Trunk,
        layout_source: LayoutSource::Default,
        source: path.to_path_buf(),
        limits: crate::game_limits::GameLimits::from_dsc(&file)
            .map_err(|(key, m)| err("Limits", key, m))?,
    };
    Ok(Draft {
        game,
        layout,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::*;
    use crate::config::tests::temp_dir;

    fn load(path: &Path, game_dir: &str) -> Result<GameDesc, DescError> {
        load_game_file(path, Path::new(game_dir), LaunchLayout::Trunk).map(|(game, _)| game)
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
        let game = load(&path, "/usr/lib/ggzd").unwrap();
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
        // No layout key and no such executable: the default applies.
        assert_eq!(game.launch_layout, LaunchLayout::Trunk);
        assert_eq!(game.layout_source, LayoutSource::Default);
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
        let game = load(&path, "/games").unwrap();
        assert_eq!(game.exec, ["/bin/min"]);
        assert_eq!(game.players_allowed.to_string(), "1");
        assert!(game.bots_allowed.is_empty());
        assert!(!game.kill_when_empty && !game.allow_spectators && !game.records);
        assert_eq!(game.description, Translated::default());
        assert_eq!(game.launch_layout, LaunchLayout::Trunk);
        assert_eq!(game.layout_source, LayoutSource::Key);
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
                "[GameInfo]\nName = A\n[LaunchInfo]\nExecutablePath = x\nLaunchMessage = new\n",
                Some(5),
                "LaunchInfo.LaunchMessage",
            ),
            (
                "[GameInfo]\nName = A/B\n[LaunchInfo]\nExecutablePath = x\n",
                Some(2),
                "GameInfo.Name",
            ),
        ];
        for (i, (text, line, key)) in cases.into_iter().enumerate() {
            let path = dir.join(format!("g{i}.dsc"));
            std::fs::write(&path, text).unwrap();
            let err = load(&path, "/g").unwrap_err();
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
        assert!(load(&path, "/g").unwrap_err().message.contains("64"));
        // A line without `=` is skipped (with a warning), so here the
        // name is simply missing.
        let path = dir.join("syntax.dsc");
        std::fs::write(&path, "[GameInfo]\nName\n").unwrap();
        let err = load(&path, "/g").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert_eq!(err.key.as_deref(), Some("GameInfo.Name"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn what_the_original_only_complained_about_is_a_warning() {
        let dir = temp_dir("dsc-warnings");
        let path = dir.join("lenient.dsc");
        std::fs::write(
            &path,
            "stray = before any section\n\
             [GameInfo]\nName = Lenient\njust some words\n\
             [LaunchInfo]\nExecutablePath = x\n\
             [TableOptions]\nPlayersAllowed = 0\nBotsAllowed = 0 x\n\
             [NamedBots]\nA Bot Name Far Too Long For Any Reasonable Wire Or Screen Whatsoever = easy\n\
             Twin Bot Number One = a\nTwin Bot Number Two = b\nMax = c\n",
        )
        .unwrap();
        let (game, warnings) =
            load_game_file(&path, Path::new("/g"), LaunchLayout::Legacy).unwrap();
        assert_eq!(game.name.default_text(), "Lenient");
        assert!(game.players_allowed.is_empty() && game.bots_allowed.is_empty());
        assert_eq!(
            game.named_bots,
            [
                ("Max".into(), "c".into()),
                ("Twin Bot Number".into(), "a".into())
            ]
        );
        assert_eq!(game.launch_layout, LaunchLayout::Legacy);
        let expect = [
            ("lenient.dsc:1: ", "before any [Section]"),
            ("lenient.dsc:4: ", "expected `Key = Value`"),
            ("lenient.dsc:9: key 'TableOptions.BotsAllowed'", "`x`"),
            (
                "lenient.dsc:8: key 'TableOptions.PlayersAllowed'",
                "no seat count",
            ),
            ("key 'NamedBots.A Bot Name Far", "longer than 64"),
            (
                "lenient.dsc:13: key 'NamedBots.Twin Bot Number Two'",
                "as `Twin Bot Number One`",
            ),
        ];
        assert_eq!(warnings.len(), expect.len(), "{warnings:#?}");
        for (warning, (place, what)) in warnings.iter().zip(expect) {
            assert!(
                warning.contains(place) && warning.contains(what),
                "{warning} should name {place} and {what}"
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
