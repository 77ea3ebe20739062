//! The `ggzd-ctl` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
The control socket is <data_dir>/ggzd.ctl unless [control] socket says
otherwise; give -f with ggzd's configuration, or -s with the socket.

Exit codes:
  0    success
  1    usage error
  2    the server refused the request (no such player, bad text, ...)
  3    cannot reach the control socket, or it broke off
  4    configuration file missing or invalid
  5    the --out file cannot be written";

/// Sees and steers a running ggzd through its control socket.
#[derive(Debug, Parser)]
#[command(name = "ggzd-ctl", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// ggzd configuration file (TOML); gives the control socket's path.
    #[arg(short = 'f', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The control socket; overrides the configuration.
    #[arg(short = 's', long = "socket", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Print the server's JSON reply as it is.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for the answer.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Uptime, connections, players, rooms, tables per game, worker queue, reload state.
    Status,
    /// Logged-in players: kind, address, room, table, lag, gag.
    Who,
    /// Live tables: room, game, state, seats, spectators.
    Tables,
    /// Disconnect a player; the reason reaches them as a private message.
    Kick {
        name: String,
        /// Words of the reason.
        reason: Vec<String>,
    },
    /// Silence a player's room chat until ungagged or logged out.
    Gag { name: String },
    /// Lift a gag.
    Ungag { name: String },
    /// Ban a name (and, if online, its address) for good, and disconnect it.
    Ban {
        name: String,
        /// Words of the reason.
        reason: Vec<String>,
    },
    /// Send an announcement to every logged-in player.
    Announce {
        /// Words of the text.
        #[arg(required = true)]
        text: Vec<String>,
    },
    /// Re-read the MOTD, rooms and game descriptions (as SIGHUP does).
    Reload,
    /// Write a played game, its seal checked, as ggzduedit export-game's JSON.
    ExportGame {
        /// The played game's id (as `ggz /games-played` lists it).
        id: i64,
        /// Write the JSON to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

impl Command {
    /// The request line for this command.
    pub fn request(&self) -> serde_json::Value {
        use serde_json::json;
        let joined = |words: &[String]| words.join(" ");
        match self {
            Command::Status => json!({ "cmd": "status" }),
            Command::Who => json!({ "cmd": "who" }),
            Command::Tables => json!({ "cmd": "tables" }),
            Command::Kick { name, reason } if reason.is_empty() => {
                json!({ "cmd": "kick", "player": name })
            }
            Command::Kick { name, reason } => {
                json!({ "cmd": "kick", "player": name, "reason": joined(reason) })
            }
            Command::Gag { name } => json!({ "cmd": "gag", "player": name }),
            Command::Ungag { name } => json!({ "cmd": "ungag", "player": name }),
            Command::Ban { name, reason } => {
                json!({ "cmd": "ban", "player": name, "reason": joined(reason) })
            }
            Command::Announce { text } => json!({ "cmd": "announce", "text": joined(text) }),
            Command::Reload => json!({ "cmd": "reload" }),
            Command::ExportGame { id, .. } => json!({ "cmd": "export-game", "id": id }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_become_requests() {
        let cli = Cli::parse_from(["ggzd-ctl", "-s", "/x", "kick", "kim", "too", "loud"]);
        assert_eq!(cli.socket, Some(PathBuf::from("/x")));
        assert_eq!(
            cli.command.request(),
            serde_json::json!({"cmd": "kick", "player": "kim", "reason": "too loud"})
        );
        let cli = Cli::parse_from(["ggzd-ctl", "--json", "status"]);
        assert!(cli.json);
        assert_eq!(cli.command.request(), serde_json::json!({"cmd": "status"}));
        assert!(Cli::try_parse_from(["ggzd-ctl", "announce"]).is_err());
        let cli = Cli::parse_from(["ggzd-ctl", "export-game", "17", "--out", "g.json"]);
        assert_eq!(
            cli.command.request(),
            serde_json::json!({"cmd": "export-game", "id": 17})
        );
    }
}
