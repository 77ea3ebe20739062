//! `write-config`: a server configuration for load tests, in a directory
//! of its own: loopback, a kernel-chosen port, room for 20,000
//! connections, the chat rate limit off, a lobby plus a `bench` room large
//! enough for every client, a TicTacToe room (`tables`, room 2) for
//! table churn, and a lockstep room (`tables-lockstep`, room 3: "Race to
//! 100" at 50 ms turns) for the lockstep scenario. The server-wide table
//! limit is lifted (the lockstep goal is 500 tables at once). Everything
//! else keeps the shipped defaults (`conf/ggzd.toml`), so the figures
//! describe a stock server.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What goes into the configuration.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Directory to write; created if missing.
    pub dir: PathBuf,
    /// The ggzd source tree (for `games/` and `target/release`).
    pub source: PathBuf,
    /// Capacity of the two rooms.
    pub room_capacity: u32,
    pub max_clients: u32,
}

const MOTD: &str = "ggzd-bench server\n";

fn toml_path(p: &Path) -> String {
    let s = p.display().to_string();
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn absolute(p: &Path) -> io::Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(p))
    }
}

/// The game rooms' table limit.
const ROOM_TABLES: u32 = 1000;
/// `[matchmaking] prespawn`: a `queue` round at 350 matches/s and a
/// 0.1 s interval launches about 35 tables at once.
const PRESPAWN: u32 = 48;

/// Writes `ggzd.toml`, `ggzd.motd`, `rooms/entry.toml`, `rooms/bench.toml`,
/// `rooms/tables.toml` and an empty `data/` into `o.dir`. Returns the
/// configuration file.
pub fn write(o: &SetupOptions) -> io::Result<PathBuf> {
    let dir = absolute(&o.dir)?;
    let source = absolute(&o.source)?;
    let rooms = dir.join("rooms");
    let data = dir.join("data");
    fs::create_dir_all(&rooms)?;
    fs::create_dir_all(&data)?;
    fs::write(dir.join("ggzd.motd"), MOTD)?;
    fs::write(
        rooms.join("entry.toml"),
        format!(
            "name = \"Lobby\"\ndescription = \"ggzd-bench lobby\"\n\
             max_players = {}\nmax_tables = 0\n",
            o.room_capacity
        ),
    )?;
    fs::write(
        rooms.join("bench.toml"),
        format!(
            "name = \"Bench\"\ndescription = \"ggzd-bench load room\"\n\
             max_players = {}\nmax_tables = 0\n",
            o.room_capacity
        ),
    )?;
    fs::write(
        rooms.join("tables.toml"),
        format!(
            "name = \"Tables\"\ndescription = \"ggzd-bench TicTacToe churn\"\n\
             game = \"TicTacToe\"\nmax_players = {}\nmax_tables = {ROOM_TABLES}\n\n\
             # The `queue` scenario's matchmaking queue.\n\
             [[queue]]\nname = \"bench\"\nmin_players = 2\nmax_players = 2\n\
             rated = false\ninterval = 0.1\n",
            o.room_capacity
        ),
    )?;
    fs::write(
        rooms.join("tables-lockstep.toml"),
        format!(
            "name = \"Lockstep\"\ndescription = \"ggzd-bench lockstep tables\"\n\
             game = \"Race to 100\"\nmax_players = {}\nmax_tables = {ROOM_TABLES}\n\
             # The scenario's turn length; a player may wait out a slow\n\
             # machine without being dropped.\n\
             executable_args = [\"--turn-ms\", \"50\", \"--max-lag-turns\", \"100\",\n\
               \"--lag-timeout-ms\", \"60000\"]\n",
            o.room_capacity
        ),
    )?;
    let config = format!(
        "# Written by ggzd-bench write-config: a stock ggzd configured for\n\
         # load tests on loopback. Rooms: 0 = Lobby, 1 = Bench, 2 = Tables\n\
         # (TicTacToe, game 0), 3 = Lockstep (Race to 100, game 2).\n\
         [server]\nname = \"ggzd-bench\"\n\n\
         [network]\ninterface = \"127.0.0.1\"\nport = 0\n\
         max_clients = {max_clients}\nmax_clients_per_ip = 0\n\n\
         [directories]\ndata_dir = {data}\nconf_dir = {conf}\n\
         rooms_dir = {rooms}\ngames_dir = {games}\ngame_dir = {game}\n\n\
         [files]\nmotd = \"ggzd.motd\"\n\n\
         [limits]\nchat_rate = 0\nmax_tables = 0\n\n\
         [abuse]\n# Load from one address is the point here.\n\
         max_prelogin_per_ip = 0\n\
         # A whole crowd's logins may wait at once (idle, chat join bursts).\n\
         login_queue_limit = 65536\n\n\
         [web]\n# For --web: the address is in ggzd's \"WebSocket clients at\" line.\n\
         listen = \"127.0.0.1:0\"\n\n\
         [matchmaking]\n# Game servers started ahead of their tables in the rooms with\n\
         # queues (docs/matchmaking.md §10): more than a `queue` round's burst.\n\
         prespawn = {PRESPAWN}\n",
        max_clients = o.max_clients,
        data = toml_path(&data),
        conf = toml_path(&dir),
        rooms = toml_path(&rooms),
        games = toml_path(&source.join("games")),
        game = toml_path(&source.join("target").join("release")),
    );
    let file = dir.join("ggzd.toml");
    fs::write(&file, config)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_loadable_layout() {
        let dir = std::env::temp_dir().join(format!("ggzd-bench-setup-{}", std::process::id()));
        let file = write(&SetupOptions {
            dir: dir.clone(),
            source: PathBuf::from("/src/ggzd"),
            room_capacity: 20_000,
            max_clients: 20_000,
        })
        .unwrap();
        let text = fs::read_to_string(&file).unwrap();
        assert!(text.contains("max_clients = 20000"));
        assert!(text.contains("chat_rate = 0"));
        assert!(text.contains(&format!("prespawn = {PRESPAWN}")));
        assert!(text.contains("games_dir = \"/src/ggzd/games\""));
        assert!(
            fs::read_to_string(dir.join("rooms/bench.toml"))
                .unwrap()
                .contains("max_players = 20000")
        );
        assert!(
            fs::read_to_string(dir.join("rooms/tables.toml"))
                .unwrap()
                .contains("game = \"TicTacToe\"")
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
