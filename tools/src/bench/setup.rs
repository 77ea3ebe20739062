//! `write-config`: a server configuration for load tests, in a directory
//! of its own: loopback, a kernel-chosen port, room for 20,000
//! connections, the chat rate limit off, a lobby plus a `bench` room large
//! enough for every client, a TicTacToe room (`tables`, room 2) for
//! table churn, and a lockstep room (`tables-lockstep`, room 3: "Race to
//! 100" at 50 ms turns) for the lockstep scenario, and a rated TicTacToe
//! room (`tables-rated`, room 4) whose queue the `queue` scenario's
//! registered players use: their accounts and seeded ratings go into the
//! database (see [`super::seed`]). The server-wide table limit is lifted
//! (the lockstep goal is 500 tables at once). Everything else keeps the
//! shipped defaults (`conf/ggzd.toml`), so the figures describe a stock
//! server.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ggzd::auth::HashParams;

use super::seed;

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
    /// Registered players with seeded ratings, named [`ACCOUNT_PREFIX`] +
    /// 5 digits.
    pub rated_players: usize,
    /// Seed of their ratings' shuffle.
    pub rating_seed: u64,
    /// The argon2 costs of their password hash: the configuration's
    /// `[auth]`, which `write-config` leaves at the stock values.
    pub hash: HashParams,
}

/// Names of the rated accounts: `p00000`, `p00001`, ...
pub const ACCOUNT_PREFIX: &str = "p";
/// Their password (the one the `logins` scenario uses too).
pub const ACCOUNT_PASSWORD: &str = "bench-password";
/// The rated copy of TicTacToe: the shipped description keeps records
/// only, and a rated queue over ratings that never move would measure
/// nothing a real zone sees.
pub const RATED_GAME: &str = "TicTacToe (rated)";

/// The rated queue (docs/matchmaking.md §2), in the values a zone with
/// rounds every 0.1 s would choose. The interval is the unrated queue's
/// (the time-in-queue goal is one interval plus 10 ms). The accepted gap
/// starts at the default 100 points and widens by 10 a round: 100 points
/// per second of waiting, so a player 3 SD (600 points) away from
/// everyone still finds a partner within about 5 s; `max_gap` and the
/// wait bonus (5 points per second both waited) are the defaults. Its
/// twin `rated-now` accepts any gap from the first round (still pairing
/// the nearest ratings first): the "play now" end of the trade between
/// time in queue and rating gap (`queue --queue rated-now`).
const RATED_QUEUE: &str = "[[queue]]\nname = \"rated\"\nmin_players = 2\nmax_players = 2\n\
     rated = true\nrating_gap = 100\ngap_widen = 10\nmax_gap = 1000\nwait_bonus = 5\n\
     interval = 0.1\n\n\
     # Play now: any partner in the first round, the nearest in rating first.\n\
     [[queue]]\nname = \"rated-now\"\nmin_players = 2\nmax_players = 2\n\
     rated = true\nrating_gap = 1000\ngap_widen = 0\nmax_gap = 1000\nwait_bonus = 5\n\
     interval = 0.1\n";

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
/// 0.1 s interval launches about 35 tables at once; 64 (the most per
/// room) leaves room for a refill cut short by a busy moment.
const PRESPAWN: u32 = 64;

/// Writes `ggzd.toml`, `ggzd.motd`, `rooms/entry.toml`, `rooms/bench.toml`,
/// `rooms/tables.toml` and an empty `data/` into `o.dir`. Returns the
/// configuration file.
pub fn write(o: &SetupOptions) -> io::Result<PathBuf> {
    let dir = absolute(&o.dir)?;
    let source = absolute(&o.source)?;
    let rooms = dir.join("rooms");
    let data = dir.join("data");
    fs::create_dir_all(&rooms)?;
    let games = dir.join("games");
    fs::create_dir_all(&data)?;
    fs::create_dir_all(&games)?;
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
        rooms.join("tables-rated.toml"),
        format!(
            "name = \"Rated\"\ndescription = \"ggzd-bench rated TicTacToe\"\n\
             game = \"{RATED_GAME}\"\nmax_players = {}\nmax_tables = {ROOM_TABLES}\n\n\
             # The `queue` scenario's rated queue (registered players).\n{RATED_QUEUE}",
            o.room_capacity
        ),
    )?;
    fs::write(games.join("tictactoe-rated.toml"), rated_game())?;
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
         # (TicTacToe, game 0), 3 = Lockstep (Race to 100, game 2), 4 = Rated\n\
         # (TicTacToe (rated), game 3, from games/ below).\n\
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
         prespawn = {PRESPAWN}\n\n\
         [extra_dirs]\n# The rated copy of TicTacToe.\ngames = [\"games\"]\n",
        max_clients = o.max_clients,
        data = toml_path(&data),
        conf = toml_path(&dir),
        rooms = toml_path(&rooms),
        games = toml_path(&source.join("games")),
        game = toml_path(&source.join("target").join("release")),
    );
    let file = dir.join("ggzd.toml");
    fs::write(&file, config)?;
    let names = super::logins::account_names(ACCOUNT_PREFIX, o.rated_players);
    seed::write(
        &data,
        &seed::Accounts {
            names: &names,
            password: ACCOUNT_PASSWORD,
            game: RATED_GAME,
            seed: o.rating_seed,
            hash: o.hash,
        },
    )?;
    Ok(file)
}

/// The shipped TicTacToe with ratings kept (`games/tictactoe.toml`).
fn rated_game() -> String {
    format!(
        "# Written by ggzd-bench write-config: the shipped TicTacToe with\n\
         # ratings kept, for the rated queue of room 4.\n\
         name = \"{RATED_GAME}\"\nversion = \"0.0.10\"\n\
         description = \"Tic-Tac-Toe, rated.\"\n\n\
         [launch]\nexecutable = [\"ggzd-tictactoe\"]\nlayout = \"legacy\"\n\n\
         [protocol]\nengine = \"TicTacToe\"\nversion = \"5\"\n\n\
         [table]\nplayers = \"2\"\nbots = \"1\"\nspectators = true\nleave = true\n\
         kill_when_empty = true\n\n\
         [statistics]\nrecords = true\nratings = true\n"
    )
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
            rated_players: 3,
            rating_seed: 1,
            hash: HashParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
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
        let rated = fs::read_to_string(dir.join("rooms/tables-rated.toml")).unwrap();
        assert!(rated.contains("game = \"TicTacToe (rated)\""), "{rated}");
        assert!(rated.contains("rated = true"), "{rated}");
        assert!(
            fs::read_to_string(dir.join("games/tictactoe-rated.toml"))
                .unwrap()
                .contains("ratings = true")
        );
        let store = ggzd::store::Store::open(&dir.join("data")).unwrap();
        assert!(store.user("p00002").unwrap().is_some());
        assert!(store.user("p00003").unwrap().is_none());
        fs::remove_dir_all(dir).unwrap();
    }
}
