fn main() -> std::process::ExitCode {
    ggzd::startup::main()
}
