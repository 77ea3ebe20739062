//! Shell completions for ggzd and its tools, written by the binaries
//! themselves (`<binary> --completions bash|zsh|fish`) so that they always
//! match the options of the installed build. The flag is looked at before
//! clap parses, so it needs no place in any `--help` and does not collide
//! with required subcommands; the install script is its user.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

/// If the arguments are exactly `--completions SHELL`, prints the
/// completion script of `C` for `SHELL` and returns the exit code.
pub fn generate_if_asked<C: CommandFactory>(bin_name: &str) -> Option<ExitCode> {
    let args: Vec<OsString> = std::env::args_os().skip(1).take(3).collect();
    if args.first()? != "--completions" {
        return None;
    }
    let shell = match args.as_slice() {
        [_, shell] => shell.to_str().and_then(|s| s.parse::<Shell>().ok()),
        _ => None,
    };
    let Some(shell) = shell else {
        eprintln!("{bin_name}: --completions takes one of: bash, zsh, fish, elvish, powershell");
        return Some(ExitCode::from(2));
    };
    clap_complete::generate(
        shell,
        &mut C::command(),
        bin_name,
        &mut std::io::stdout().lock(),
    );
    Some(ExitCode::SUCCESS)
}
