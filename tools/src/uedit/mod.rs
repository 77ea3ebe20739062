//! `ggzduedit`: a scriptable editor for ggzd's user database, the
//! successor of the original's interactive menu (docs/config-and-data.md §11).
//!
//! ```text
//! ggzduedit [-f CONFIG] [-d DATADIR] [--json] COMMAND
//!   list [PATTERN]                    accounts, optionally by GLOB on the handle
//!   show NAME                         every field, incl. the stored password form
//!   add NAME [--email E] [--realname R] [--role ROLE]... | [--perms WORD]
//!            [--password-stdin | --no-password] [--unconfirmed]
//!   delete NAME                       account and its statistics
//!   passwd NAME [--password-stdin]    always stored as argon2id
//!   perms NAME [--set WORD | --role ROLE...] [--grant PERM]... [--revoke PERM]...
//!   set NAME [--email E] [--realname R] [--confirm | --unconfirm]
//!   stats NAME [--game G] [--reset]
//!   import-ggz OLD.sqlite [--hashing plain|md5|sha1|ripemd160]
//!              [--encoding base64|base16] [--dry-run]
//!   copy-to-postgres [URL]            ggzd.sqlite into an empty PostgreSQL database
//! ```
//!
//! The database is the one ggzd uses: `[database]` of the configuration
//! (SQLite in the data directory, or PostgreSQL); `-d DIR` always means
//! the SQLite file in `DIR`.
//!
//! The original menu maps as: 1 list -> `list`; 2 add -> `add` (roles or an
//! exact word); 3 show -> `show`; 4 edit -> `set` (real name, email),
//! `passwd` (hashed, unlike the original, which stored edits as typed) and
//! `perms` (word, roles, single bits). Editing the numeric user id is not
//! offered: nothing refers to it (statistics are kept by handle).
//!
//! # Exit codes
//!
//! | Code | Meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | usage error (bad or conflicting options) |
//! | 2 | no such user, or no such file to import |
//! | 3 | the user to add exists already |
//! | 4 | database error (no database, locked too long, damaged) |
//! | 5 | input refused (username policy, empty or differing passwords, over-long real name/email, rows rejected by `import-ggz`) |
//! | 6 | configuration file missing or invalid |
//! | 7 | I/O error (terminal, output, random source for salts) |
//! | 130 | interrupted at the password prompt |
//!
//! # Live use
//!
//! ggzduedit may run while ggzd does: the database is in WAL mode with a
//! busy timeout and every change is one short transaction. ggzd reads an
//! account (permissions, real name, confirmation) when its owner logs in,
//! so a change applies at the player's next login; a deleted account or a
//! new password does not end a session in progress. Run ggzduedit as the
//! user ggzd runs as, so a database it creates belongs to ggzd.

pub mod cli;
pub mod commands;
pub mod copy;
pub mod error;
pub mod export;
pub mod import;
pub mod json;
pub mod password;
pub mod perms;
pub mod report;
pub mod timefmt;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use ggzd::auth::HashParams;
use ggzd::config::Config;
use ggzd::config::database::Backend;
use ggzd::store::{DB_FILE, Store};

use cli::{Cli, Command};
use commands::Editor;
use error::{EXIT_OK, EXIT_USAGE, UeditError};
use import::ImportOptions;
use password::{LineReader, PasswordSource, TerminalPrompt};
use report::Format;

/// Entry point of the binary: parses the process arguments, runs the
/// command and turns the outcome into the exit code.
pub fn main() -> ExitCode {
    if let Some(code) = ggzd::completions::generate_if_asked::<Cli>("ggzduedit") {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = run(cli, &mut out).and_then(|()| out.flush().map_err(UeditError::from));
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        // `ggzduedit list | head`: the reader has what it wanted.
        Err(UeditError::Io(_, e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "ggzduedit: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Whether a command may create the database when there is none.
fn creates_database(command: &Command) -> bool {
    match command {
        Command::Add(_) => true,
        Command::ImportGgz(args) => !args.dry_run,
        _ => false,
    }
}

/// Opens the configured database: PostgreSQL when `[database]` says so
/// and no `-d` was given, else `<data_dir>/ggzd.sqlite`.
fn open_configured(
    cli: &Cli,
    config: &Config,
    data_dir: &Path,
    create: bool,
) -> Result<Option<Store>, UeditError> {
    if cli.data_dir.is_none() && config.database.backend == Backend::Postgres {
        let target = config
            .database
            .target(data_dir)
            .map_err(UeditError::Database)?;
        return Ok(Some(Store::connect(&target)?));
    }
    open_store(data_dir, create)
}

/// Opens `<data_dir>/ggzd.sqlite`. A missing database is created only if
/// `create` (announced on stderr); otherwise `None`.
fn open_store(data_dir: &Path, create: bool) -> Result<Option<Store>, UeditError> {
    let path = data_dir.join(DB_FILE);
    if path.exists() {
        return Ok(Some(Store::open_file(&path)?));
    }
    if !create {
        return Ok(None);
    }
    let _ = writeln!(
        io::stderr(),
        "ggzduedit: creating a new database at {}",
        path.display()
    );
    Ok(Some(Store::open(data_dir)?))
}

/// Runs one parsed command line, writing reports to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), UeditError> {
    let (config, _) = ggzd::paths::load_config(cli.config.as_deref())?;
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(|| config.directories.data_dir.clone());
    if let Command::CopyToPostgres(args) = &cli.command {
        let source = open_store(&data_dir, false)?.ok_or_else(|| {
            UeditError::NotFound(format!(
                "no database at {}",
                data_dir.join(DB_FILE).display()
            ))
        })?;
        return copy::copy_to_postgres(source, &config, &data_dir, args.url.as_deref(), out);
    }
    let store = open_configured(&cli, &config, &data_dir, creates_database(&cli.command))?;
    let format = if cli.json { Format::Json } else { Format::Text };

    if let Command::ImportGgz(args) = &cli.command {
        let rows = import::read_original(&args.source)?;
        let mut store = store;
        let options = ImportOptions {
            hashing: args.hashing,
            encoding: args.encoding,
            dry_run: args.dry_run,
            policy: &config.policy.username,
        };
        let summary = import::import(rows, store.as_mut(), &options, out)?;
        if summary.rejected > 0 {
            return Err(UeditError::BadInput(format!(
                "{} row{} of {} could not be imported (see above)",
                summary.rejected,
                if summary.rejected == 1 { "" } else { "s" },
                args.source.display()
            )));
        }
        return Ok(());
    }

    let Some(store) = store else {
        return Err(UeditError::Database(format!(
            "no database at {} (ggzd creates it when it first starts; \
             so do `ggzduedit add` and `ggzduedit import-ggz`)",
            data_dir.join(DB_FILE).display()
        )));
    };
    let auth = &config.auth;
    let mut editor = Editor {
        store,
        hash: HashParams {
            memory_kib: auth.argon2_memory_kib,
            iterations: auth.argon2_iterations,
            parallelism: auth.argon2_parallelism,
        },
        username: config.policy.username.clone(),
        format,
        data_dir: data_dir.clone(),
    };
    match &cli.command {
        Command::List { pattern } => editor.list(pattern.as_deref(), out),
        Command::Show { name } => editor.show(name, out),
        Command::Add(args) => {
            let mut source = password_source(args.password_stdin);
            editor.add(args, source.as_mut(), ggzd::zone::unix_now(), out)
        }
        Command::Delete { name } => editor.delete(name, out),
        Command::Ban(args) => editor.ban(args, out),
        Command::Unban { name } => editor.unban(name, out),
        Command::Bans => editor.bans(out),
        Command::Passwd {
            name,
            password_stdin,
        } => {
            let mut source = password_source(*password_stdin);
            editor.passwd(name, source.as_mut(), out)
        }
        Command::Perms(args) => editor.perms(args, out),
        Command::Set(args) => editor.set(args, out),
        Command::Stats(args) => editor.stats(args, out),
        Command::ExportGame(args) => {
            export::export_game(&editor.store, args.id, args.out.as_deref(), out)
        }
        // Handled above, before a database was required.
        Command::ImportGgz(_) | Command::CopyToPostgres(_) => Ok(()),
    }
}

fn password_source(from_stdin: bool) -> Box<dyn PasswordSource> {
    if from_stdin {
        Box::new(LineReader::new(io::stdin().lock()))
    } else {
        Box::new(TerminalPrompt)
    }
}
