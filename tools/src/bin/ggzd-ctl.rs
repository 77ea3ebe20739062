//! `ggzd-ctl`: sees and steers a running ggzd through its control socket.
//! See [`ggzd_tools::ctl`].

fn main() -> std::process::ExitCode {
    ggzd_tools::ctl::main()
}
