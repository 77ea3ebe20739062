//! The `ggzduedit` command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::perms::Role;

/// `ban` options.
#[derive(Debug, Args)]
pub struct BanArgs {
    /// Name to ban.
    pub name: String,
    /// Also refuse every login from this IP address.
    #[arg(long)]
    pub address: Option<String>,
    /// The ban ends after this many hours (default: never).
    #[arg(long, value_name = "HOURS")]
    pub hours: Option<u32>,
    /// Why, for the log and the list.
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// Text after the option list of `--help`.
const AFTER_HELP: &str = "\
Names are compared case-insensitively: alice, Alice and ALICE are one account.

Permission names: join_table launch_table rooms_login rooms_admin chat_announce
chat_bot no_stats edit_tables edit_privmsg. Roles: guest (0x043), registered
(0x007), host (0x187), admin (0x19F), chatbot (0x023).

ggzduedit may run while ggzd does. ggzd reads a player's real name and
confirmation when they log in. Permission changes reach players online at
once: perms signals the ggzd that runs on the data directory (ggzd.pid) to
re-read them, as SIGHUP (systemctl reload ggzd) does; ban signals it the
same way, and a banned player online is removed. A deleted or
re-passworded player stays logged in until they leave.

Exit codes:
  0    success
  1    usage error (bad or conflicting options)
  2    no such user (or no such file to import, or no such played game)
  3    the user exists already
  4    database error (cannot open, locked too long, damaged; a played
       game whose event log is corrupt or forged)
  5    input refused (username policy, empty or differing passwords,
       over-long real name or email, rows rejected by import-ggz)
  6    configuration file missing or invalid
  7    I/O error (terminal, output, random source for salts)
  130  interrupted at the password prompt";

/// Scriptable editor for ggzd's user database.
#[derive(Debug, Parser)]
#[command(name = "ggzduedit", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// ggzd configuration file (TOML); gives the data directory, the
    /// username policy and the password hashing costs. Without it, ggzd's
    /// default file applies if it exists (ggzd -s names it), else ggzd's
    /// embedded defaults.
    #[arg(short = 'f', long = "file", value_name = "CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Data directory holding ggzd.sqlite; overrides the configuration,
    /// also its [database] backend (this option always means SQLite).
    #[arg(short = 'd', long = "datadir", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Print list, show, perms and stats reports as JSON.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// One editing action.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List accounts by id, optionally only handles matching a GLOB
    /// pattern (`*`, `?`, `[a-z]`).
    List {
        /// GLOB pattern on the (lower-case) handle.
        pattern: Option<String>,
    },
    /// Show one account: id, names, stored password form, permissions,
    /// confirmation and login times.
    Show {
        /// Account name.
        name: String,
    },
    /// Create an account. The password is asked for on the terminal, or
    /// read from stdin with --password-stdin, and stored as argon2id.
    Add(AddArgs),
    /// Ban a name (guest or registered) and, optionally, an address.
    /// The ban holds across restarts, until it expires or is lifted.
    Ban(BanArgs),
    /// Lift every ban on a name.
    Unban {
        /// Banned name.
        name: String,
    },
    /// List the bans.
    Bans,
    /// Delete an account and its statistics.
    Delete {
        /// Account name.
        name: String,
    },
    /// Set a new password (always stored hashed).
    Passwd {
        /// Account name.
        name: String,
        /// Read the password from the first line of stdin instead of
        /// asking on the terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show an account's permissions, or change them: --set or --role
    /// replace the word, then --grant adds and --revoke removes bits.
    Perms(PermsArgs),
    /// Change an account's real name, email or confirmation.
    Set(SetArgs),
    /// Show (or with --reset, delete) a player's statistics.
    Stats(StatsArgs),
    /// Import the users of an original ggzd SQLite database. Passwords
    /// keep their old form and become argon2id at each user's next login.
    ImportGgz(ImportArgs),
    /// Copy the SQLite database of the data directory (ggzd.sqlite) into
    /// an empty PostgreSQL database: users, permissions, bans, stats,
    /// rankings, matches, savegames and played games (with the seal's
    /// key), ids and order kept. Stop ggzd
    /// first; then set [database] backend = "postgres".
    CopyToPostgres(CopyArgs),
    /// Export one played game (docs/replays.md) as JSON: game, date,
    /// players with their results, and every event of its log (seq, time,
    /// kind, data in hex). The game's seal is checked first.
    ExportGame(ExportArgs),
}

/// Options of `export-game`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The played game's id (as `ggz /games-played` lists it).
    pub id: i64,
    /// Write the JSON to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Options of `copy-to-postgres`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Target database (postgresql:// URL or libpq key=value words);
    /// default: [database] url. The password comes from [database]
    /// password_file, GGZD_DB_PASSWORD or PGPASSWORD, else the URL.
    pub url: Option<String>,
}

/// Options of `add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Account name (checked against the username policy).
    pub name: String,
    /// Email address (at most 32 bytes).
    #[arg(long, default_value = "")]
    pub email: String,
    /// Real name (at most 32 bytes).
    #[arg(long = "realname", default_value = "")]
    pub real_name: String,
    /// Read the password from the first line of stdin.
    #[arg(long, conflicts_with = "no_password")]
    pub password_stdin: bool,
    /// Create the account without a password: nobody can log in with it
    /// (as for a named bot's account).
    #[arg(long)]
    pub no_password: bool,
    /// Role(s) giving the permission word; several are combined.
    /// Default: registered.
    #[arg(long = "role", value_enum)]
    pub roles: Vec<Role>,
    /// Exact permission word instead of roles (e.g. 0x187).
    #[arg(long = "perms", value_name = "WORD", conflicts_with = "roles")]
    pub perms: Option<String>,
    /// Create the account unconfirmed (it cannot log in under the
    /// `confirm` registration policy until confirmed with `set`).
    #[arg(long)]
    pub unconfirmed: bool,
}

/// Options of `perms`.
#[derive(Debug, Args)]
pub struct PermsArgs {
    /// Account name.
    pub name: String,
    /// Replace the word by exactly this one (e.g. 0x187).
    #[arg(long, value_name = "WORD", conflicts_with = "roles")]
    pub set: Option<String>,
    /// Replace the word by this role's; several are combined.
    #[arg(long = "role", value_enum)]
    pub roles: Vec<Role>,
    /// Set this permission (repeatable).
    #[arg(long, value_name = "PERM")]
    pub grant: Vec<String>,
    /// Clear this permission (repeatable).
    #[arg(long, value_name = "PERM")]
    pub revoke: Vec<String>,
}

/// Options of `set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// Account name.
    pub name: String,
    /// New email address (at most 32 bytes; "" clears it).
    #[arg(long)]
    pub email: Option<String>,
    /// New real name (at most 32 bytes; "" clears it).
    #[arg(long = "realname")]
    pub real_name: Option<String>,
    /// Mark the account confirmed.
    #[arg(long, conflicts_with = "unconfirm")]
    pub confirm: bool,
    /// Mark the account unconfirmed.
    #[arg(long)]
    pub unconfirm: bool,
}

/// Options of `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Player name.
    pub name: String,
    /// Only this game (its name as in the game description).
    #[arg(long)]
    pub game: Option<String>,
    /// Delete the statistics (of --game, or of all games): the player is
    /// back to 0 wins, rating 1500.
    #[arg(long)]
    pub reset: bool,
}

/// The original's `DatabaseHashing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LegacyHashing {
    /// Passwords stored as typed.
    Plain,
    /// Unsalted MD5.
    Md5,
    /// Unsalted SHA-1.
    Sha1,
    /// Unsalted RIPEMD-160.
    Ripemd160,
}

impl LegacyHashing {
    /// The name as in the original configuration.
    pub fn name(self) -> &'static str {
        match self {
            LegacyHashing::Plain => "plain",
            LegacyHashing::Md5 => "md5",
            LegacyHashing::Sha1 => "sha1",
            LegacyHashing::Ripemd160 => "ripemd160",
        }
    }
}

/// The original's `DatabaseHashEncoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LegacyEncoding {
    /// Standard base64 with padding (with the original's NUL quirk).
    Base64,
    /// Lower-case hexadecimal.
    Base16,
}

impl LegacyEncoding {
    /// The name as in the original configuration.
    pub fn name(self) -> &'static str {
        match self {
            LegacyEncoding::Base64 => "base64",
            LegacyEncoding::Base16 => "base16",
        }
    }
}

/// Options of `import-ggz`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The original ggzd SQLite database (opened read-only).
    pub source: PathBuf,
    /// The original server's DatabaseHashing.
    #[arg(long, value_enum, default_value = "plain")]
    pub hashing: LegacyHashing,
    /// The original server's DatabaseHashEncoding (ignored for plain).
    #[arg(long, value_enum, default_value = "base64")]
    pub encoding: LegacyEncoding,
    /// Report what would be imported without writing anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("ggzduedit").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_global_options_anywhere() {
        let cli = parse(&["list", "a*", "--json", "-d", "/tmp/x"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.data_dir, Some(PathBuf::from("/tmp/x")));
        assert!(matches!(cli.command, Command::List { pattern: Some(p) } if p == "a*"));
        let cli = parse(&["-f", "ggzd.toml", "show", "Alice"]).unwrap();
        assert_eq!(cli.config, Some(PathBuf::from("ggzd.toml")));
    }

    #[test]
    fn parses_add_with_roles() {
        let cli = parse(&[
            "add",
            "bob",
            "--role",
            "host",
            "--role",
            "bot",
            "--email",
            "b@x",
            "--password-stdin",
        ])
        .unwrap();
        let Command::Add(add) = cli.command else {
            panic!("not add")
        };
        assert_eq!(add.roles, vec![Role::Host, Role::Chatbot]);
        assert_eq!(add.email, "b@x");
        assert!(add.password_stdin);
        assert!(parse(&["add", "bob", "--role", "king"]).is_err());
        assert!(parse(&["add", "bob", "--role", "host", "--perms", "7"]).is_err());
        assert!(parse(&["add", "bob", "--no-password", "--password-stdin"]).is_err());
    }

    #[test]
    fn parses_perms_and_set() {
        let cli = parse(&[
            "perms",
            "bob",
            "--grant",
            "edit_tables",
            "--grant",
            "chat_bot",
            "--revoke",
            "no_stats",
        ])
        .unwrap();
        let Command::Perms(p) = cli.command else {
            panic!("not perms")
        };
        assert_eq!(p.grant, vec!["edit_tables", "chat_bot"]);
        assert_eq!(p.revoke, vec!["no_stats"]);
        assert!(parse(&["set", "bob", "--confirm", "--unconfirm"]).is_err());
        assert!(parse(&["perms", "bob", "--set", "7", "--role", "admin"]).is_err());
    }

    #[test]
    fn parses_import() {
        let cli = parse(&["import-ggz", "old.db", "--hashing", "md5", "--dry-run"]).unwrap();
        let Command::ImportGgz(i) = cli.command else {
            panic!("not import")
        };
        assert_eq!(i.hashing, LegacyHashing::Md5);
        assert_eq!(i.encoding, LegacyEncoding::Base64);
        assert!(i.dry_run);
        assert!(parse(&["import-ggz", "old.db", "--hashing", "sha256"]).is_err());
    }
}
