//! Loading games, rooms and the MOTD, at startup and on SIGHUP.

use std::io;

use crate::games::GameDesc;
use crate::motd::Motd;
use crate::rooms::RoomDesc;
use crate::workers::ReloadPaths;

/// The description files and the MOTD, as loaded at startup and on SIGHUP.
pub struct Reloaded {
    pub games: Vec<GameDesc>,
    pub rooms: Vec<RoomDesc>,
    pub motd: Motd,
}

/// Loads games, rooms and the MOTD from the configured places.
pub fn load_descriptions(paths: &ReloadPaths) -> io::Result<Reloaded> {
    let games_dirs: Vec<&std::path::Path> = std::iter::once(paths.games_dir.as_path())
        .chain(paths.extra_games_dirs.iter().map(|d| d.as_path()))
        .collect();
    let extra_rooms: Vec<&std::path::Path> =
        paths.extra_rooms_dirs.iter().map(|d| d.as_path()).collect();
    let (games, warnings) = crate::games::load_games_in(
        &games_dirs,
        &paths.game_dir,
        &paths.game_list,
        &paths.ignored_games,
        paths.default_layout,
    );
    for warning in warnings {
        log::warn!("{warning}");
    }
    let (rooms, warnings) = crate::rooms::load_rooms_in(
        &paths.rooms_dir,
        &extra_rooms,
        &paths.room_list,
        &paths.ignored_rooms,
    )
    .map_err(|e| io::Error::other(e.to_string()))?;
    for warning in warnings {
        log::warn!("{warning}");
    }
    let motd = Motd::load_translated(&paths.conf_dir, &paths.motd_file, &paths.motd_translations);
    Ok(Reloaded { games, rooms, motd })
}
