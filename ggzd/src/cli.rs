//! Command-line options of the `ggzd` binary. Options given here override
//! the configuration file.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser};

#[derive(Debug, Parser)]
#[command(
    name = "ggzd",
    version,
    about = "GGZ Gaming Zone server: rooms, chat and game tables for GGZ clients"
)]
pub struct Cli {
    /// Stay in the foreground instead of becoming a daemon.
    #[arg(short = 'F', long)]
    pub foreground: bool,

    /// Configuration file (TOML). Without one, ggzd reads the default file
    /// named below if it exists, else runs on embedded defaults; the
    /// default paths follow from where the ggzd executable is (see below).
    #[arg(short = 'f', long = "file", value_name = "CONFIG")]
    pub config: Option<PathBuf>,

    /// TCP port to listen on; overrides the configuration.
    #[arg(short = 'p', long)]
    pub port: Option<u16>,

    /// Log types to print, comma separated: all, notices, connections,
    /// security, update, tables, admin.
    #[arg(short = 'l', long = "log", value_name = "TYPES", value_delimiter = ',')]
    pub log_types: Vec<String>,

    /// Print build information and the paths in effect (configuration
    /// file, directories), then exit.
    #[arg(short = 's', long)]
    pub specs: bool,

    /// Validate the configuration, report the first error with file, line
    /// and key, and exit (non-zero on an error).
    #[arg(long)]
    pub check_config: bool,
}

impl Cli {
    /// Parses the command line; `--help` ends with the default paths of
    /// this executable's layout.
    pub fn parse_with_paths() -> Cli {
        let command = Cli::command().after_help(crate::paths::Paths::current().help_text());
        let matches = command.get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}
