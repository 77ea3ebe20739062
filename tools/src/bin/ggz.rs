//! `ggz`: a terminal client for GGZ game servers. See `ggz --help` and
//! ggz(1).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ggzd::proto::request::LoginKind;
use ggzd_tools::ggz::address;
use ggzd_tools::ggz::session::{self, Exit, Login, Options};
use ggzd_tools::ggz::tls::Trust;
use ggzd_tools::secret::{self, HiddenRead, MAX_SECRET_BYTES};

/// Play on a GGZ server from the terminal: chat, tables, TicTacToe.
///
/// Without a user name you log in as a guest. Lines starting with / are
/// commands (/help lists them); other lines are chat, or, at a table of a
/// game this client does not know, bytes for the game server (raw mode,
/// see ggz(1)). With --script (the
/// default when stdin is not a terminal) commands come from stdin, one at
/// a time, each waiting for the server's answer; events are printed as
/// plain lines.
#[derive(Debug, Parser)]
#[command(
    name = "ggz",
    version,
    after_help = "Exit status: 0 logged out, 1 a scripted command failed or timed out, \
2 bad arguments or an unknown command, 3 cannot connect or the connection broke, \
4 login refused, 130 interrupted.\n\nThe password of a registered login comes from \
$GGZ_PASSWORD (or the variable --password-env names), from the first line of stdin \
with --password-stdin, or from a prompt without echo."
)]
struct Cli {
    /// Where to connect and as whom: user@host:port, where user and port may
    /// be left out; default localhost:5688.
    #[arg(value_name = "[USER@]HOST[:PORT]")]
    server: Option<String>,
    /// Log in as a guest even though a user is given.
    #[arg(long, conflicts_with = "register")]
    guest: bool,
    /// Create the account (the server makes up a password if none is given).
    #[arg(long)]
    register: bool,
    /// E-mail address for --register.
    #[arg(long, requires = "register")]
    email: Option<String>,
    /// Name for a guest login when no user is given (default: $USER).
    #[arg(long)]
    name: Option<String>,
    /// Environment variable holding the password.
    #[arg(long, value_name = "VAR", default_value = "GGZ_PASSWORD")]
    password_env: String,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    password_stdin: bool,
    /// Script mode: commands from stdin, plain output, stop at the first failure.
    #[arg(long)]
    script: bool,
    /// Interactive mode even when stdin is not a terminal.
    #[arg(long, conflicts_with = "script")]
    interactive: bool,
    /// Seconds to wait for the server (connecting, and each scripted step).
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    timeout: f64,
    /// Trust only the certificates in this PEM file when the server offers
    /// TLS (default: the system's root certificates).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["insecure", "no_tls"])]
    ca: Option<std::path::PathBuf>,
    /// Accept any server certificate: encrypted, but not to a known server.
    /// For self-signed test servers only.
    /// Raw mode at every table, even TicTacToe: typed lines go to the
    /// game server as bytes (escapes like \x05), and its bytes are shown.
    /// Games this client does not know are always played raw.
    #[arg(long)]
    raw: bool,
    #[arg(long, conflicts_with = "no_tls")]
    insecure: bool,
    /// Stay plain even when the server offers TLS.
    #[arg(long)]
    no_tls: bool,
}

fn usage(message: &str) -> ExitCode {
    eprintln!("ggz: {message}");
    ExitCode::from(Exit::Usage.code())
}

fn main() -> ExitCode {
    if let Some(code) = ggzd::completions::generate_if_asked::<Cli>("ggz") {
        return code;
    }
    let cli = Cli::parse();
    let mut address = match address::parse(cli.server.as_deref().unwrap_or_default()) {
        Ok(a) => a,
        Err(e) => return usage(&e),
    };
    if !(cli.timeout > 0.0 && cli.timeout <= 86_400.0) {
        return usage("--timeout must be between 0 and 86400 seconds");
    }
    let script = cli.script || (!cli.interactive && !std::io::stdin().is_terminal());
    let user = address.user.take();
    let kind = match (&user, cli.guest, cli.register) {
        (_, true, _) | (None, false, false) => LoginKind::Guest,
        (_, false, true) => LoginKind::First,
        (Some(_), false, false) => LoginKind::Normal,
    };
    let name = match user.or(cli.name.clone()) {
        Some(n) => n,
        None => std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "guest".into()),
    };
    let password = match kind {
        LoginKind::Guest => None,
        _ => match password(&cli, &name, kind) {
            Ok(p) => p,
            Err(code) => return code,
        },
    };
    let options = Options {
        address,
        login: Login {
            kind,
            name,
            password,
            email: cli.email,
        },
        script,
        raw: cli.raw,
        timeout: Duration::from_secs_f64(cli.timeout),
        tls: match (cli.ca, cli.insecure, cli.no_tls) {
            (_, _, true) => Trust::Off,
            (_, true, _) => Trust::Insecure,
            (Some(file), _, _) => Trust::CaFile(file),
            (None, false, false) => Trust::System,
        },
    };
    let exit = session::run(options);
    ExitCode::from(exit.code())
}

/// The password: environment, stdin, or a prompt. `None` for a
/// registration that leaves the choice to the server.
fn password(cli: &Cli, name: &str, kind: LoginKind) -> Result<Option<String>, ExitCode> {
    if let Ok(p) = std::env::var(&cli.password_env)
        && !p.is_empty()
    {
        return Ok(Some(p));
    }
    if cli.password_stdin {
        let line = secret::read_first_line(&mut std::io::stdin().lock())
            .map_err(|e| usage(&format!("cannot read the password from stdin: {e}")))?
            .ok_or_else(|| usage("--password-stdin: stdin is empty"))?;
        return text(line).map(Some);
    }
    let Ok(mut tty) = secret::open_tty() else {
        return match kind {
            LoginKind::First => Ok(None),
            _ => Err(usage(&format!(
                "no password: set ${} or use --password-stdin",
                cli.password_env
            ))),
        };
    };
    let prompt = match kind {
        LoginKind::First => format!("New password for {name} (empty: the server picks one): "),
        _ => format!("Password for {name}: "),
    };
    match secret::read_hidden_line(&mut tty, &prompt) {
        Ok(HiddenRead::Line(line)) if line.is_empty() && kind == LoginKind::First => Ok(None),
        Ok(HiddenRead::Line(line)) => text(line).map(Some),
        Ok(HiddenRead::Interrupted) => Err(ExitCode::from(Exit::Interrupted.code())),
        Err(e) => Err(usage(&format!("cannot read the password: {e}"))),
    }
}

fn text(line: Vec<u8>) -> Result<String, ExitCode> {
    if line.len() > MAX_SECRET_BYTES {
        return Err(usage("the password is too long"));
    }
    String::from_utf8(line).map_err(|_| usage("the password is not UTF-8"))
}
