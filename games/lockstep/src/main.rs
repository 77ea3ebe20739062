//! `ggzd-lockstep`: the lockstep relay game server executable. ggzd runs
//! it once per table; the game description's `executable` line carries the
//! table's settings (see `ggzd-lockstep --help` and docs/lockstep.md §1).

use std::process::ExitCode;

use ggzdmod::{Error, Game, GameOptions};
use lockstep::config::{self, Parsed, USAGE};
use lockstep::driver::Driver;

fn main() -> ExitCode {
    let (cfg, ignored) = match config::parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(cfg, ignored)) => (cfg, ignored),
        Ok(Parsed::Print(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ggzd-lockstep: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut game = match Game::connect_with(GameOptions::default()) {
        Ok(game) => game,
        Err(Error::NotUnderGgz) => {
            eprintln!("ggzd-lockstep: not started by ggzd\n{USAGE}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("ggzd-lockstep: cannot connect to ggzd: {e}");
            return ExitCode::FAILURE;
        }
    };
    game.log(&format!(
        "lockstep relay {}: {} to {} players, {} ms turns, {} command bytes, {}-byte hashes, \
         pause after {} turns, drop after {} ms, log {} bytes",
        env!("CARGO_PKG_VERSION"),
        cfg.min_players,
        cfg.max_players,
        cfg.turn.as_millis(),
        cfg.max_command,
        cfg.hash_len,
        cfg.max_lag_turns,
        cfg.lag_timeout.as_millis(),
        cfg.log_bytes
    ));
    for arg in &ignored {
        game.log(&format!("lockstep: ignoring unknown argument {arg:?}"));
    }
    match Driver::new(cfg).run(&mut game) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            game.log(&format!("lockstep: the table stops: {e}"));
            eprintln!("ggzd-lockstep: {e}");
            ExitCode::FAILURE
        }
    }
}
