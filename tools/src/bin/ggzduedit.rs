//! `ggzduedit`: scriptable editor for ggzd's user database. See
//! [`ggzd_tools::uedit`] for the commands and exit codes.

fn main() -> std::process::ExitCode {
    ggzd_tools::uedit::main()
}
