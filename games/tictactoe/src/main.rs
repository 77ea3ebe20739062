//! `ggzd-tictactoe`: the TicTacToe game server executable.
//!
//! ggzd runs it once per table with `GGZMODE=true` and the control socket
//! on fd 3. Arguments:
//!
//! * `--variant classic` (default): GGZ 0.0.14 protocol, version `5`.
//! * `--variant dev`: trunk protocol `dio/5+dev` (no MSG_SEAT, no
//!   MSG_PLAYERS).
//!
//! Both take either launch message layout; without
//! `GGZDMOD_LAUNCH_LAYOUT` the message itself tells (docs/launch-layout.md).
//! * `--text-savegame`: also write the original's text savegame
//!   (docs/tictactoe.md §2.9) beside the event log. Off by default: it is
//!   one more file per game, which nothing of ggzd reads.
//! * `--no-savegame`: write neither the event log (docs/event-log.md §6)
//!   nor the text savegame into the working directory, and do not
//!   restore savegames.

use std::process::ExitCode;

use ggzdmod::{Error, Game, GameOptions};
use tictactoe::driver;
use tictactoe::game::TicTacToe;
use tictactoe::protocol::Variant;
use tictactoe::savegame::Savegame;

const USAGE: &str =
    "usage: ggzd-tictactoe [--variant classic|dev] [--text-savegame] [--no-savegame]
A game server for ggzd: it must be started by ggzd (GGZMODE=true, control socket on fd 3).";

#[derive(Debug)]
struct Options {
    variant: Variant,
    savegame: bool,
    /// The original's text savegame too.
    text_savegame: bool,
    /// Arguments we did not understand; logged once connected, since ggzd
    /// may append room-specific arguments that are meant for someone else.
    ignored: Vec<String>,
}

enum Parsed {
    Run(Options),
    Exit(ExitCode),
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Parsed {
    let mut opts = Options {
        variant: Variant::Classic,
        savegame: true,
        text_savegame: false,
        ignored: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--variant" => args.next(),
            a if a.starts_with("--variant=") => a.get("--variant=".len()..).map(str::to_owned),
            "--no-savegame" => {
                opts.savegame = false;
                continue;
            }
            "--text-savegame" => {
                opts.text_savegame = true;
                continue;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            "-V" | "--version" => {
                println!("ggzd-tictactoe {}", env!("CARGO_PKG_VERSION"));
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            _ => {
                opts.ignored.push(arg);
                continue;
            }
        };
        opts.variant = match value.as_deref() {
            Some("classic" | "0.0.14" | "5") => Variant::Classic,
            Some("dev" | "trunk" | "dio/5+dev") => Variant::Dev,
            other => {
                eprintln!("ggzd-tictactoe: unknown variant {other:?}\n{USAGE}");
                return Parsed::Exit(ExitCode::from(2));
            }
        };
    }
    Parsed::Run(opts)
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Parsed::Run(opts) => opts,
        Parsed::Exit(code) => return code,
    };
    // Either launch layout is understood: ggzd may say which one it sends
    // (GGZDMOD_LAUNCH_LAYOUT), otherwise the message itself tells.
    let mut game = match Game::connect_with(GameOptions::default()) {
        Ok(game) => game,
        Err(Error::NotUnderGgz) => {
            eprintln!("ggzd-tictactoe: not started by ggzd\n{USAGE}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("ggzd-tictactoe: cannot connect to ggzd: {e}");
            return ExitCode::FAILURE;
        }
    };
    game.log(&format!(
        "TicTacToe server {}: protocol version {}",
        env!("CARGO_PKG_VERSION"),
        opts.variant.protocol_version()
    ));
    for arg in &opts.ignored {
        game.log(&format!("ignoring unknown argument {arg:?}"));
    }
    let savegame = if opts.savegame && opts.text_savegame {
        // ggzd starts game servers in gamedata/<Game Name>/.
        Savegame::in_dir(".")
    } else {
        Savegame::disabled()
    };
    let mut ttt = TicTacToe::new(opts.variant, savegame);
    if opts.savegame {
        // A restore launch waits for the replay before WAITING
        // (docs/event-log.md §4).
        game.set_restores_savegames(true);
    } else {
        ttt = ttt.without_event_log();
    }
    match driver::run(&mut game, &mut ttt) {
        Ok(()) if ttt.refused().is_some() => {
            eprintln!(
                "ggzd-tictactoe: savegame refused: {}",
                ttt.refused().unwrap_or_default()
            );
            ExitCode::FAILURE
        }
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            game.log(&format!("TicTacToe server stops: {e}"));
            eprintln!("ggzd-tictactoe: {e}");
            ExitCode::FAILURE
        }
    }
}
