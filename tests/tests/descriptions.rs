//! Game descriptions and room files in the shapes the original GGZ server
//! shipped (`tests/fixtures/original/`, written for this project) load
//! unmodified, without a warning; and a game server's launch layout follows
//! the libggzdmod its executable links (docs/launch-layout.md), checked
//! with tiny ELF files built by the system C compiler at test time.

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ggzd::games::{GameDesc, LaunchLayout, LayoutSource, load_games};
use ggzd::rooms::load_rooms;
use ggzd_e2e::{ServerOptions, TIMEOUT, TempDir, TestServer, bin, repo_dir};

fn fixtures() -> PathBuf {
    repo_dir().join("tests/fixtures/original")
}

fn game<'a>(games: &'a [GameDesc], internal: &str) -> &'a GameDesc {
    games
        .iter()
        .find(|g| g.internal_name == internal)
        .unwrap_or_else(|| panic!("{internal} not loaded"))
}

#[test]
fn original_shapes_load_without_a_warning() {
    let (games, warnings) = load_games(
        &fixtures().join("games"),
        Path::new("/usr/lib/ggzd"),
        &[],
        &[],
        LaunchLayout::Trunk,
    );
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(games.len(), 9);

    // Named bots longer than a user name go by their first 16 bytes.
    let duel = game(&games, "knightsduel");
    assert_eq!(
        duel.named_bots,
        [
            ("Deep Stable Engi".to_owned(), "stable".to_owned()),
            ("Plain Engine (mi".to_owned(), "plain".to_owned()),
        ]
    );
    assert_eq!(
        duel.description.get(Some("de_AT.UTF-8")),
        "Ein Duell der Springer auf einem karierten Brett"
    );
    assert!(!duel.allow_leave && duel.records && duel.ratings);

    // BotsAllowed = 0 means no bots; the misspelt Highscore is no key.
    let frontier = game(&games, "frontier");
    assert!(frontier.bots_allowed.is_empty());
    assert_eq!(frontier.players_allowed.to_string(), "1..16");
    assert!(frontier.allow_restore && frontier.allow_peers && frontier.allow_spectators);
    assert!(!frontier.highscores);

    let hop = game(&games, "starhop");
    assert_eq!(hop.name.default_text(), "starhop");
    assert!(hop.players_allowed.contains(6) && hop.players_allowed.contains(3));
    assert!(!hop.players_allowed.contains(5));
    assert_eq!(hop.bots_allowed.to_string(), "1..5");

    assert!(game(&games, "skirmish").bots_allowed.is_empty());
    assert!(game(&games, "millyard").bots_allowed.is_empty());
    assert_eq!(
        game(&games, "millyard").exec,
        ["/usr/lib/ggzd/millyardserv", "--ggz"]
    );
    let contract = game(&games, "cardtable-contract");
    assert_eq!(
        contract.exec,
        ["/usr/lib/ggzd/ggzd.cardtable", "--game=contract"]
    );
    assert!(!contract.kill_when_empty);
    assert_eq!(game(&games, "lineup").named_bots.len(), 3);
    let noughts = game(&games, "noughts");
    assert_eq!(noughts.protocol_version, "dio/5+dev");
    assert_eq!(
        noughts.named_bots,
        [
            ("Beginner".to_owned(), "easy".to_owned()),
            ("Grandmaster".to_owned(), "hard".to_owned()),
        ]
    );

    // No layout key and no executable to read: the default applies.
    for g in &games {
        assert_eq!(
            (g.launch_layout, &g.layout_source),
            (LaunchLayout::Trunk, &LayoutSource::Default),
            "{}",
            g.internal_name
        );
    }

    let (rooms, warnings) = load_rooms(&fixtures().join("rooms"), &[], &[]).unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(rooms.len(), 5);
    let entry = &rooms[0];
    assert_eq!(entry.key, "entry");
    assert_eq!(entry.game, None);
    assert_eq!(entry.max_tables, 0);
    assert_eq!(entry.name.get(Some("pt_BR")), "Entrada Principal");
    for room in &rooms[1..] {
        assert!(
            room.game_index(&games).is_some(),
            "room {} plays no loaded game",
            room.key
        );
    }
    let contract_room = rooms.iter().find(|r| r.key == "cardtable-contract");
    assert_eq!(
        contract_room.unwrap().executable_args,
        ["--option=open_hands:0", "--option=rated:1"]
    );
}

fn config_for(dir: &Path, games: &Path, rooms: &Path) -> PathBuf {
    let path = dir.join("ggzd.toml");
    std::fs::write(
        &path,
        format!(
            "[directories]\ndata_dir = \"{}\"\ngames_dir = \"{}\"\nrooms_dir = \"{}\"\n",
            dir.join("data").display(),
            games.display(),
            rooms.display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn check_config_accepts_the_original_shapes() {
    let tmp = TempDir::new("dsc-check");
    let config = config_for(
        tmp.path(),
        &fixtures().join("games"),
        &fixtures().join("rooms"),
    );
    let out = Command::new(bin("ggzd"))
        .arg("--check-config")
        .arg("-f")
        .arg(&config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("configuration OK: 9 game(s), 5 room(s)"),
        "{stdout}"
    );
}

// ------------------------------------------------------------ ELF files

/// Builds, in `dir`, a shared library with this soname and a program
/// linked against it; returns the program's path, or `None` (with a note)
/// when there is no C compiler.
fn program_linking(dir: &Path, soname: &str) -> Option<PathBuf> {
    let lib_dir = dir.join(format!("lib-{soname}"));
    std::fs::create_dir_all(&lib_dir).unwrap();
    let lib_src = lib_dir.join("stub.c");
    std::fs::write(&lib_src, "int ggzdmod_stub(void) { return 7; }\n").unwrap();
    let built = Command::new("cc")
        .arg("-shared")
        .arg("-fPIC")
        .arg(format!("-Wl,-soname,{soname}"))
        .arg("-o")
        .arg(lib_dir.join(soname))
        .arg(&lib_src)
        .status();
    match built {
        Ok(status) if status.success() => {}
        other => {
            eprintln!("note: no working C compiler ({other:?}); ELF cases skipped");
            return None;
        }
    }
    let main_src = dir.join("main.c");
    std::fs::write(
        &main_src,
        "int ggzdmod_stub(void);\nint main(void) { return ggzdmod_stub() == 7 ? 0 : 1; }\n",
    )
    .unwrap();
    let program = dir.join(format!("game-{soname}"));
    let status = Command::new("cc")
        .arg("-o")
        .arg(&program)
        .arg(&main_src)
        .arg(format!("-L{}", lib_dir.display()))
        .arg(format!("-l:{soname}"))
        .status()
        .unwrap();
    assert!(status.success(), "linking against {soname}");
    Some(program)
}

fn dsc(dir: &Path, base: &str, exec: &Path, extra: &str) {
    std::fs::write(
        dir.join(format!("{base}.dsc")),
        format!(
            "[GameInfo]\nName = {base}\n[LaunchInfo]\nExecutablePath = {}\n{extra}\
             [TableOptions]\nPlayersAllowed = 2\n",
            exec.display()
        ),
    )
    .unwrap();
}

/// Builds game descriptions whose executables link the two libggzdmod
/// generations, one with a key that overrides, and a script.
fn layout_games(tmp: &TempDir) -> Option<PathBuf> {
    let bins = tmp.path().join("bins");
    std::fs::create_dir_all(&bins).unwrap();
    let trunk = program_linking(&bins, "libggzdmod.so.7")?;
    let legacy = program_linking(&bins, "libggzdmod.so.6")?;
    let cxx = program_linking(&bins, "libggzdmod++.so.1")?;
    let script = bins.join("script-game");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();

    let games = tmp.path().join("games");
    std::fs::create_dir_all(&games).unwrap();
    dsc(&games, "trunkgame", &trunk, "");
    dsc(&games, "legacygame", &legacy, "");
    dsc(&games, "cxxgame", &cxx, "");
    dsc(&games, "pinned", &trunk, "LaunchMessage = legacy\n");
    dsc(&games, "scripted", &script, "");
    Some(games)
}

#[test]
fn the_layout_follows_the_linked_libggzdmod() {
    let tmp = TempDir::new("dsc-elf");
    let Some(games_dir) = layout_games(&tmp) else {
        return;
    };
    for default in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
        let (games, warnings) = load_games(&games_dir, Path::new("/unused"), &[], &[], default);
        assert!(warnings.is_empty(), "{warnings:#?}");
        let got = |name: &str| {
            let g = game(&games, name);
            (g.launch_layout, g.layout_source.clone())
        };
        let lib = |soname: &str| LayoutSource::Library(soname.to_owned());
        assert_eq!(
            got("trunkgame"),
            (LaunchLayout::Trunk, lib("libggzdmod.so.7"))
        );
        assert_eq!(
            got("legacygame"),
            (LaunchLayout::Legacy, lib("libggzdmod.so.6"))
        );
        assert_eq!(
            got("cxxgame"),
            (LaunchLayout::Legacy, lib("libggzdmod++.so.1"))
        );
        assert_eq!(got("pinned"), (LaunchLayout::Legacy, LayoutSource::Key));
        assert_eq!(got("scripted"), (default, LayoutSource::Default));
    }
}

#[test]
fn the_server_logs_each_games_layout_at_startup() {
    let tmp = TempDir::new("dsc-elf-server");
    let Some(games_dir) = layout_games(&tmp) else {
        return;
    };
    let server = TestServer::start_with(ServerOptions {
        games_dir: Some(games_dir),
        rooms_dir: Some(fixtures().join("rooms")),
        extra_config: "[game_servers]\ndefault_layout = \"legacy\"\n".into(),
        ..ServerOptions::default()
    });
    for line in [
        "game trunkgame: trunk launch layout (the executable links libggzdmod.so.7)",
        "game legacygame: legacy launch layout (the executable links libggzdmod.so.6)",
        "game pinned: legacy launch layout (set by the description)",
        "game scripted: legacy launch layout (game_servers.default_layout)",
    ] {
        assert!(
            server.wait_for_log(line, TIMEOUT).is_some(),
            "{line}\n{}",
            server.log()
        );
    }
}
