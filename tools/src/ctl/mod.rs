//! `ggzd-ctl`: the operator's client of ggzd's control socket
//! (docs/control.md). One request, one reply: printed as text, or as the
//! server's JSON with `--json`.

pub mod cli;
pub mod render;

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use cli::{Cli, Command};

pub const EXIT_OK: u8 = 0;
pub const EXIT_USAGE: u8 = 1;
pub const EXIT_REFUSED: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;
pub const EXIT_CONFIG: u8 = 4;
pub const EXIT_OUTPUT: u8 = 5;

/// Longest reply read (a `who` of thousands of players fits).
const MAX_REPLY: u64 = 16 << 20;

pub fn main() -> ExitCode {
    if let Some(code) = ggzd::completions::generate_if_asked::<Cli>("ggzd-ctl") {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let socket = match socket_path(&cli) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("ggzd-ctl: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let reply = match ask(&socket, &cli.command.request(), cli.timeout) {
        Ok(reply) => reply,
        Err(e) => {
            eprintln!("ggzd-ctl: {}: {e}", socket.display());
            return ExitCode::from(EXIT_UNREACHABLE);
        }
    };
    let ok = reply.get("ok").and_then(Value::as_bool) == Some(true);
    if ok
        && let Command::ExportGame {
            out: Some(path), ..
        } = &cli.command
        && let Err(e) = std::fs::write(path, exported(&reply))
    {
        eprintln!("ggzd-ctl: {}: {e}", path.display());
        return ExitCode::from(EXIT_OUTPUT);
    }
    let mut out = io::stdout().lock();
    let printed = if cli.json {
        writeln!(out, "{reply}")
    } else if ok {
        out.write_all(text(&cli.command, &reply).as_bytes())
    } else {
        Ok(())
    };
    if !ok && !cli.json {
        let error = reply
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("refused");
        eprintln!("ggzd-ctl: {error}");
    }
    match printed {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("ggzd-ctl: {e}");
            ExitCode::from(EXIT_UNREACHABLE)
        }
        _ if ok => ExitCode::from(EXIT_OK),
        _ => ExitCode::from(EXIT_REFUSED),
    }
}

fn socket_path(cli: &Cli) -> Result<PathBuf, String> {
    if let Some(path) = &cli.socket {
        return Ok(path.clone());
    }
    let config = ggzd::config::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    if config.control.socket.as_os_str().is_empty() {
        return Err(
            "the configuration turns the control socket off ([control] socket = \"\")".into(),
        );
    }
    Ok(config.directories.data_dir.join(&config.control.socket))
}

/// Sends one request and reads its one-line reply.
pub fn ask(socket: &std::path::Path, request: &Value, timeout: u64) -> io::Result<Value> {
    let mut stream = UnixStream::connect(socket)?;
    let timeout = Some(Duration::from_secs(timeout.max(1)));
    stream.set_read_timeout(timeout)?;
    stream.set_write_timeout(timeout)?;
    let mut line = serde_json::to_vec(request).map_err(io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)?;
    let mut reply = Vec::new();
    BufReader::new(io::Read::take(&stream, MAX_REPLY)).read_until(b'\n', &mut reply)?;
    if reply.last() != Some(&b'\n') {
        return Err(io::Error::other(
            "the server closed without a complete reply",
        ));
    }
    serde_json::from_slice(&reply).map_err(|e| io::Error::other(format!("bad reply: {e}")))
}

fn text(command: &Command, reply: &Value) -> String {
    match command {
        Command::Status => render::status(reply),
        Command::Who => render::who(reply),
        Command::Tables => render::tables(reply),
        Command::Announce { .. } => format!(
            "announced to {} player(s)\n",
            reply.get("recipients").and_then(Value::as_u64).unwrap_or(0)
        ),
        Command::Reload => "reloaded\n".into(),
        Command::Kick { name, .. } => format!("kicked {name}\n"),
        Command::Gag { name } => format!("gagged {name}\n"),
        Command::Ungag { name } => format!("ungagged {name}\n"),
        Command::Ban { name, .. } => format!("banned {name}\n"),
        Command::ExportGame { out: None, .. } => exported(reply).to_owned(),
        Command::ExportGame {
            id,
            out: Some(path),
        } => format!(
            "exported played game {id} ({} events) to {}\n",
            reply.get("events").and_then(Value::as_u64).unwrap_or(0),
            path.display()
        ),
    }
}

/// The document of an `export-game` reply, as the server built it: the
/// same bytes as `ggzduedit export-game` writes.
fn exported(reply: &Value) -> &str {
    reply
        .get("json")
        .and_then(Value::as_str)
        .unwrap_or_default()
}
