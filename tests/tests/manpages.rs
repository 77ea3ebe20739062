//! The man pages in `man/`: every page renders without a single groff
//! warning, and the pages say what the programs and files say:
//!
//! * `ggzd.8` documents every option of `ggzd --help`, and no other;
//! * `ggzduedit.8` documents every command, option, value and exit code of
//!   `ggzduedit --help` and `ggzduedit COMMAND --help` (skipped with a note
//!   while the binary is not built);
//! * `ggzd-ctl.8` documents every option, command and exit code of
//!   `ggzd-ctl --help`, and no others;
//! * `ggz.1` documents every option of `ggz --help`, every command of the
//!   client's command table and every exit status, and no others;
//! * `ggzd.toml.5` lists every section and key of `conf/ggzd.toml` under
//!   its section, with the same default, and no key that is not there;
//! * `ggzd-games.5` covers every key the shipped game and room files use;
//! * `ggzdmod.3` names the crate's public functions, events and environment
//!   variables, and carries the opcode tables with the crate's numbers.
//!
//! The pages are linted with `groff -ww -z -man -t`; groff must be
//! installed (`apt-get install groff-base`; CI's `.ci/run` does that).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use ggzd_e2e::{bin, bin_dir, repo_dir};

// ------------------------------------------------------------ the pages

fn man_dir() -> PathBuf {
    repo_dir().join("man")
}

/// Every page in `man/`, as (file name, source).
fn pages() -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = std::fs::read_dir(man_dir())
        .expect("man/ exists")
        .map(|entry| entry.expect("readable man/ entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file name")
                .to_owned();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, text)
        })
        .collect();
    pages.sort();
    pages
}

fn page(name: &str) -> Page {
    let path = man_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Page::parse(name, &text)
}

/// Undoes the roff escapes that matter for finding words: `\-` is a
/// hyphen, font changes and `\&` vanish, `\(..` specials become their
/// ASCII look-alikes, `\e` is a backslash.
fn unescape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('-') => out.push('-'),
            Some('e') | Some('\\') => out.push('\\'),
            Some(' ') | Some('~') => out.push(' '),
            Some('&') | Some('c') | Some('%') => {}
            Some('f') => match chars.next() {
                Some('(') => {
                    chars.next();
                    chars.next();
                }
                Some('[') => {
                    for c in chars.by_ref() {
                        if c == ']' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            Some('(') => {
                let special: String = chars.by_ref().take(2).collect();
                out.push_str(match special.as_str() {
                    "dq" => "\"",
                    "aq" => "'",
                    "ga" => "`",
                    "lq" | "rq" => "\"",
                    "em" | "en" => "-",
                    "bu" => "*",
                    "mu" => "x",
                    "<=" => "<=",
                    _ => "?",
                });
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// One source line of a page: a request (`.TP`, `.B ...`) or text.
#[derive(Debug, Clone)]
struct Line {
    /// The request name without the dot (`TP`, `B`, `SS`), or "" for text.
    request: String,
    /// The rest, unescaped, with macro-argument quotes removed.
    text: String,
}

/// A page split into `.SH` sections and `.SS` subsections.
#[derive(Debug)]
struct Page {
    name: String,
    lines: Vec<Line>,
}

impl Page {
    fn parse(name: &str, source: &str) -> Page {
        let lines = source
            .lines()
            .filter(|l| !l.starts_with(".\\\"") && !l.starts_with("'\\\""))
            .map(|l| match l.strip_prefix('.') {
                Some(rest) => {
                    let (request, args) = rest.split_once(' ').unwrap_or((rest, ""));
                    Line {
                        request: request.to_owned(),
                        text: unescape(args).replace('"', " ").trim().to_owned(),
                    }
                }
                None => Line {
                    request: String::new(),
                    text: unescape(l),
                },
            })
            .collect();
        Page {
            name: name.to_owned(),
            lines,
        }
    }

    /// The lines from the header `request` whose title starts with `title`
    /// (case-sensitive) up to the next header of the same or a higher
    /// level.
    fn part(&self, request: &str, title: &str) -> Option<Page> {
        let start = self
            .lines
            .iter()
            .position(|l| l.request == request && l.text.starts_with(title))?;
        let ends: &[&str] = if request == "SS" {
            &["SS", "SH"]
        } else {
            &["SH"]
        };
        let end = self
            .lines
            .iter()
            .skip(start + 1)
            .position(|l| ends.contains(&l.request.as_str()))
            .map_or(self.lines.len(), |n| start + 1 + n);
        Some(Page {
            name: format!("{} {title}", self.name),
            lines: self.lines[start..end].to_vec(),
        })
    }

    fn section(&self, title: &str) -> Page {
        self.part("SH", title)
            .unwrap_or_else(|| panic!("{}: no section .SH {title}", self.name))
    }

    /// The titles of the `.SS` subsections.
    fn subsections(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| l.request == "SS")
            .map(|l| l.text.clone())
            .collect()
    }

    /// All text, requests' arguments included, white space collapsed.
    fn flat(&self) -> String {
        let words: Vec<&str> = self
            .lines
            .iter()
            .flat_map(|l| l.text.split_whitespace())
            .collect();
        words.join(" ")
    }

    /// The tags of the page's `.TP` items (the line after each `.TP`), with
    /// how deep inside `.RS` blocks each one is.
    fn tags(&self) -> Vec<(usize, String)> {
        let mut tags = Vec::new();
        let mut depth = 0usize;
        let mut iter = self.lines.iter();
        while let Some(line) = iter.next() {
            match line.request.as_str() {
                "RS" => depth += 1,
                "RE" => depth = depth.saturating_sub(1),
                "TP" => {
                    if let Some(tag) = iter.next() {
                        tags.push((depth, tag.text.clone()));
                    }
                }
                _ => {}
            }
        }
        tags
    }

    /// Whether `word` occurs in the page as a whole word (not as part of
    /// a longer option or identifier).
    fn mentions(&self, word: &str) -> bool {
        contains_word(&self.flat(), word)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `word` in `text`, not preceded or followed by a word character. A
/// trailing `-` of an option (`-f`) cannot run into a following `-`.
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

/// Options (`-x`, `--long-name`) among the words of `text`.
fn option_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '|' | '[' | ']' | '(' | ')'))
        .map(|w| w.split('=').next().unwrap_or(w))
        .filter(|w| is_option(w))
        .map(str::to_owned)
        .collect()
}

fn is_option(word: &str) -> bool {
    if let Some(long) = word.strip_prefix("--") {
        long.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && long.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    } else if let Some(short) = word.strip_prefix('-') {
        short.len() == 1 && short.chars().all(|c| c.is_ascii_alphanumeric())
    } else {
        false
    }
}

// ---------------------------------------------------------- the programs

/// Runs a program and returns its standard output, which must be non-empty.
fn output_of(program: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 help");
    assert!(
        !text.trim().is_empty(),
        "{} {args:?} printed nothing",
        program.display()
    );
    text
}

/// A clap help text: the options of its option lines (those starting with
/// `-` after indentation), the subcommands of its `Commands:` list, and
/// the value names of its `Possible values:` lists.
#[derive(Debug, Default)]
struct Help {
    options: BTreeSet<String>,
    commands: Vec<String>,
    values: BTreeSet<String>,
    exit_codes: Vec<String>,
}

impl Help {
    fn parse(text: &str) -> Help {
        let mut help = Help::default();
        let mut in_commands = false;
        let mut in_exit_codes = false;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if line.trim().is_empty() {
                in_commands = false;
                continue;
            }
            if line == "Commands:" {
                in_commands = true;
                continue;
            }
            if line == "Exit codes:" {
                in_exit_codes = true;
                continue;
            }
            if in_commands {
                if let Some(name) = trimmed.split_whitespace().next() {
                    help.commands.push(name.to_owned());
                }
                continue;
            }
            if in_exit_codes {
                if let Some(code) = trimmed.split_whitespace().next()
                    && line.starts_with("  ")
                    && code.chars().all(|c| c.is_ascii_digit())
                {
                    help.exit_codes.push(code.to_owned());
                }
                continue;
            }
            if let Some(value) = trimmed.strip_prefix("- ") {
                if let Some((name, _)) = value.split_once(':') {
                    help.values.insert(name.trim().to_owned());
                }
                continue;
            }
            if trimmed.starts_with('-') {
                // The flags end where the description starts (two spaces).
                let flags = trimmed.split("  ").next().unwrap_or(trimmed);
                help.options.extend(option_words(flags));
            }
        }
        help
    }
}

// ------------------------------------------------------------------ lint

fn require_groff() {
    let found = Command::new("groff").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "groff is not installed; the man pages are linted with it. \
         Install it with `apt-get install groff-base` (CI's .ci/run does)."
    );
}

#[test]
fn every_page_renders_without_a_groff_warning() {
    require_groff();
    let pages = pages();
    assert!(pages.len() >= 5, "expected the five pages in man/");
    for (name, source) in &pages {
        assert!(
            source.is_ascii(),
            "{name}: use roff escapes such as \\(em instead of non-ASCII characters"
        );
        let out = Command::new("groff")
            .args(["-ww", "-z", "-man", "-t"])
            .arg(man_dir().join(name))
            .output()
            .expect("run groff");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "groff -ww -z -man -t {name}: {}\n{stderr}",
            out.status
        );
    }
}

#[test]
fn every_page_is_named_and_sectioned_like_its_file() {
    for (name, source) in pages() {
        let (stem, section) = name.rsplit_once('.').expect("NAME.SECTION");
        let th = source
            .lines()
            .find(|l| l.starts_with(".TH "))
            .unwrap_or_else(|| panic!("{name}: no .TH line"));
        let mut words = th.split_whitespace().skip(1);
        assert_eq!(
            words.next().map(unescape),
            Some(stem.to_ascii_uppercase()),
            "{name}: .TH title"
        );
        assert_eq!(words.next(), Some(section), "{name}: .TH section");
        let page = Page::parse(&name, &source);
        page.section("NAME");
        page.section("DESCRIPTION");
        page.section("SEE ALSO");
    }
}

/// `.BR ggzd\-games (5)` and the like point at pages that exist, with the
/// right section.
#[test]
fn references_between_the_pages_use_the_right_sections() {
    let ours: BTreeSet<String> = pages().into_iter().map(|(name, _)| name).collect();
    let stems: BTreeSet<&str> = ours
        .iter()
        .filter_map(|n| n.rsplit_once('.').map(|(stem, _)| stem))
        .collect();
    for (name, source) in pages() {
        for line in Page::parse(&name, &source).lines {
            if line.request != "BR" {
                continue;
            }
            let mut words = line.text.split_whitespace();
            let (Some(target), Some(section)) = (words.next(), words.next()) else {
                continue;
            };
            let Some(section) = section.strip_prefix('(').and_then(|s| s.split(')').next()) else {
                continue;
            };
            if stems.contains(target) {
                assert!(
                    ours.contains(&format!("{target}.{section}")),
                    "{name}: reference to {target}({section}), but man/ has no {target}.{section}"
                );
            }
        }
    }
}

// ------------------------------------------------------------------ ggzd

#[test]
fn ggzd_page_documents_every_option_of_its_help_and_no_other() {
    let help = Help::parse(&output_of(&bin("ggzd"), &["--help"]));
    assert!(help.options.contains("--foreground"), "parsed: {help:?}");
    let page = page("ggzd.8");
    let options = page.section("OPTIONS");
    let documented: BTreeSet<String> = options
        .tags()
        .iter()
        .flat_map(|(_, tag)| option_words(tag))
        .collect();
    for option in &help.options {
        assert!(
            documented.contains(option),
            "ggzd.8: option {option} of `ggzd --help` has no item under OPTIONS \
             (documented: {documented:?})"
        );
    }
    for option in &documented {
        assert!(
            help.options.contains(option),
            "ggzd.8 documents {option}, which `ggzd --help` does not know"
        );
    }
    let synopsis = page.section("SYNOPSIS");
    for option in ["-F", "-f", "-p", "-l", "--check-config"] {
        assert!(
            synopsis.mentions(option),
            "ggzd.8: {option} not in SYNOPSIS"
        );
    }
}

#[test]
fn ggzd_page_covers_signals_files_logging_systemd_and_exit_status() {
    let page = page("ggzd.8");
    let signals = page.section("SIGNALS");
    for word in ["SIGHUP", "SIGTERM", "SIGINT", "</SESSION>"] {
        assert!(signals.mentions(word), "ggzd.8 SIGNALS: no {word}");
    }
    let files = page.section("FILES");
    for word in ["ggzd.sqlite", "ggzd.pid", "ggzd.motd", "conf/ggzd.toml"] {
        assert!(files.flat().contains(word), "ggzd.8 FILES: no {word}");
    }
    let logging = page.section("LOGGING");
    for word in ggzd::logging::LOG_TYPES
        .iter()
        .chain(&["all", "JOURNAL_STREAM"])
    {
        assert!(logging.mentions(word), "ggzd.8 LOGGING: no {word}");
    }
    let systemd = page.section("SYSTEMD");
    for word in ["Type=notify", "READY=1", "LISTEN_FDS", "NOTIFY_SOCKET"] {
        assert!(systemd.flat().contains(word), "ggzd.8 SYSTEMD: no {word}");
    }
    let environment = page.section("ENVIRONMENT");
    for variable in ggzd::systemd::SERVICE_ENV {
        assert!(
            environment.mentions(variable),
            "ggzd.8 ENVIRONMENT: no {variable}"
        );
    }
    let status = page.section("EXIT STATUS");
    let codes: Vec<String> = status.tags().into_iter().map(|(_, tag)| tag).collect();
    assert_eq!(codes, ["0", "1", "2"], "ggzd.8 EXIT STATUS");
}

// ------------------------------------------------------------------- ggz

#[test]
fn ggz_page_documents_every_option_command_and_exit_status() {
    let help = Help::parse(&output_of(&bin("ggz"), &["--help"]));
    assert!(help.options.contains("--script"), "parsed: {help:?}");
    let page = page("ggz.1");
    let documented: BTreeSet<String> = page
        .section("OPTIONS")
        .tags()
        .iter()
        .flat_map(|(_, tag)| option_words(tag))
        .collect();
    assert_eq!(
        documented, help.options,
        "ggz.1 OPTIONS against `ggz --help`"
    );

    let first_word = |tag: &String| tag.split_whitespace().next().unwrap_or("").to_owned();
    let commands: BTreeSet<String> = page
        .section("COMMANDS")
        .tags()
        .iter()
        .map(|(_, tag)| first_word(tag))
        .collect();
    let table: BTreeSet<String> = ggzd_tools::ggz::command::COMMANDS
        .iter()
        .map(|(name, _, _)| format!("/{name}"))
        .collect();
    assert_eq!(commands, table, "ggz.1 COMMANDS against the command table");

    let codes: BTreeSet<String> = page
        .section("EXIT STATUS")
        .tags()
        .iter()
        .map(|(_, tag)| first_word(tag))
        .collect();
    let exits: BTreeSet<String> = ggzd_tools::ggz::session::Exit::ALL
        .iter()
        .map(|e| e.code().to_string())
        .collect();
    assert_eq!(codes, exits, "ggz.1 EXIT STATUS");
}

// ------------------------------------------------------------- ggzduedit

#[test]
fn ggzduedit_page_documents_every_command_option_value_and_exit_code() {
    let program = bin_dir().join("ggzduedit");
    if !program.exists() {
        eprintln!(
            "note: {} is not built; ggzduedit.8 is not checked against its --help",
            program.display()
        );
        return;
    }
    let top = Help::parse(&output_of(&program, &["--help"]));
    assert!(top.commands.contains(&"list".to_owned()), "parsed: {top:?}");
    let page = page("ggzduedit.8");

    // Global options: items under OPTIONS.
    let global: BTreeSet<String> = page
        .section("OPTIONS")
        .tags()
        .iter()
        .flat_map(|(_, tag)| option_words(tag))
        .collect();
    for option in &top.options {
        assert!(
            global.contains(option),
            "ggzduedit.8: global option {option} has no item under OPTIONS"
        );
    }

    // Each command: a subsection under COMMANDS naming it first, with every
    // option of its own --help.
    let commands = page.section("COMMANDS");
    let titles = commands.subsections();
    let mut known_options = top.options.clone();
    let mut values = top.values.clone();
    for command in &top.commands {
        let title = titles
            .iter()
            .find(|t| t.split_whitespace().next() == Some(command))
            .unwrap_or_else(|| panic!("ggzduedit.8: command {command} has no .SS under COMMANDS"));
        if command == "help" {
            continue;
        }
        let sub = commands
            .part("SS", title)
            .expect("the subsection just found");
        let help = Help::parse(&output_of(&program, &[command, "--help"]));
        for option in help.options.difference(&top.options) {
            assert!(
                sub.mentions(option),
                "ggzduedit.8: option {option} of `{command}` is not described under .SS {title}"
            );
        }
        known_options.extend(help.options);
        values.extend(help.values);
    }
    for title in &titles {
        let name = title.split_whitespace().next().unwrap_or_default();
        assert!(
            top.commands.iter().any(|c| c == name),
            "ggzduedit.8 describes a command {name} that ggzduedit does not have"
        );
    }
    for (_, tag) in commands.tags() {
        for option in option_words(&tag) {
            assert!(
                known_options.contains(&option),
                "ggzduedit.8 describes {option}, which no ggzduedit --help knows"
            );
        }
    }

    // Every possible value (roles, hashings, encodings) is named.
    for value in &values {
        assert!(
            page.mentions(value),
            "ggzduedit.8: value {value} is not mentioned"
        );
    }

    // Exit codes: the same list as --help.
    let codes: Vec<String> = page
        .section("EXIT STATUS")
        .tags()
        .into_iter()
        .map(|(_, tag)| tag)
        .collect();
    assert!(!top.exit_codes.is_empty(), "no exit codes in --help");
    assert_eq!(codes, top.exit_codes, "ggzduedit.8 EXIT STATUS vs --help");
}

// -------------------------------------------------------------- ggzd-ctl

#[test]
fn ggzd_ctl_page_documents_every_command_option_and_exit_code() {
    let program = bin_dir().join("ggzd-ctl");
    if !program.exists() {
        eprintln!(
            "note: {} is not built; ggzd-ctl.8 is not checked against its --help",
            program.display()
        );
        return;
    }
    let top = Help::parse(&output_of(&program, &["--help"]));
    assert!(
        top.commands.contains(&"status".to_owned()),
        "parsed: {top:?}"
    );
    let page = page("ggzd-ctl.8");
    let documented: BTreeSet<String> = page
        .section("OPTIONS")
        .tags()
        .iter()
        .flat_map(|(_, tag)| option_words(tag))
        .collect();
    assert_eq!(documented, top.options, "ggzd-ctl.8 OPTIONS vs --help");
    let titles: Vec<String> = page
        .section("COMMANDS")
        .subsections()
        .iter()
        .filter_map(|t| t.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(titles, top.commands, "ggzd-ctl.8 COMMANDS vs --help");
    let codes: Vec<String> = page
        .section("EXIT STATUS")
        .tags()
        .into_iter()
        .map(|(_, tag)| tag)
        .collect();
    assert!(!top.exit_codes.is_empty(), "no exit codes in --help");
    assert_eq!(codes, top.exit_codes, "ggzd-ctl.8 EXIT STATUS vs --help");
}

// ------------------------------------------------------------ ggzd.toml

/// One key of `conf/ggzd.toml`: section, key, and the default if the line
/// is not commented out.
#[derive(Debug)]
struct ConfKey {
    section: String,
    key: String,
    value: Option<String>,
}

/// Reads the sections and keys of `conf/ggzd.toml`, including keys that are
/// only shown commented out (`# data_dir = "../data"`).
fn conf_keys() -> (Vec<String>, Vec<ConfKey>) {
    let path = repo_dir().join("conf/ggzd.toml");
    let text = std::fs::read_to_string(&path).expect("conf/ggzd.toml");
    let mut sections = Vec::new();
    let mut keys = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            sections.push(section.clone());
            continue;
        }
        let (commented, body) = match line.strip_prefix("# ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let Some((key, value)) = body.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let is_key = key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !is_key || (commented && !body.starts_with(key)) {
            continue;
        }
        if keys
            .iter()
            .any(|k: &ConfKey| k.section == section && k.key == key)
        {
            continue;
        }
        keys.push(ConfKey {
            section: section.clone(),
            key: key.to_owned(),
            value: (!commented).then(|| value.trim().to_owned()),
        });
    }
    (sections, keys)
}

#[test]
fn ggzd_toml_page_lists_every_key_of_conf_ggzd_toml_with_its_default() {
    let (sections, keys) = conf_keys();
    assert!(keys.len() > 40, "parsed only {} keys", keys.len());
    let page = page("ggzd.toml.5");
    let body = page.section("SECTIONS");
    for section in &sections {
        let part = body
            .part("SS", &format!("[{section}]"))
            .unwrap_or_else(|| panic!("ggzd.toml.5: no .SS \"[{section}]\""));
        let documented: Vec<String> = part
            .tags()
            .into_iter()
            .filter(|(depth, _)| *depth == 0)
            .map(|(_, tag)| tag)
            .collect();
        let in_file: Vec<&ConfKey> = keys.iter().filter(|k| &k.section == section).collect();
        for key in &in_file {
            assert!(
                documented.contains(&key.key),
                "ggzd.toml.5: key {}.{} has no item under [{section}]",
                key.section,
                key.key
            );
            if let Some(value) = &key.value {
                let value: Vec<&str> = value.split_whitespace().collect();
                let value = value.join(" ");
                assert!(
                    part.flat().contains(&format!("Default: {value}")),
                    "ggzd.toml.5: [{section}] {} should say \"Default: {value}\"",
                    key.key
                );
            }
        }
        for tag in &documented {
            assert!(
                in_file.iter().any(|k| &k.key == tag),
                "ggzd.toml.5 documents {section}.{tag}, which conf/ggzd.toml does not have"
            );
        }
    }
    for title in body.subsections() {
        let name = title.trim_start_matches('[').trim_end_matches(']');
        assert!(
            sections.iter().any(|s| s == name),
            "ggzd.toml.5 documents a section {title} that conf/ggzd.toml does not have"
        );
    }
}

// ----------------------------------------------------------- ggzd-games

/// Section headers and keys of a shipped TOML description, as
/// (table, key); keys of `[named_bots]` are bot names, not schema keys.
fn description_keys(path: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).expect("description file");
    let mut table = String::new();
    let mut keys = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.to_owned();
            continue;
        }
        if let Some((key, _)) = line.split_once('=')
            && table != "named_bots"
        {
            keys.push((table.clone(), key.trim().to_owned()));
        }
    }
    keys
}

#[test]
fn ggzd_games_page_covers_the_keys_of_the_shipped_games_and_rooms() {
    let page = page("ggzd-games.5");
    for (dir, title) in [
        ("games", "GAME DESCRIPTIONS (TOML)"),
        ("rooms", "ROOM FILES (TOML)"),
    ] {
        let part = page.section(title);
        let tags: BTreeSet<String> = part.tags().into_iter().map(|(_, tag)| tag).collect();
        let headers = part.subsections();
        let files: Vec<PathBuf> = std::fs::read_dir(repo_dir().join(dir))
            .expect("directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        assert!(!files.is_empty(), "no {dir}/*.toml");
        for file in files {
            for (table, key) in description_keys(&file) {
                assert!(
                    tags.contains(&key),
                    "ggzd-games.5: key {key} (of {}) has no item under {title}",
                    file.display()
                );
                if table.is_empty() {
                    continue;
                }
                // [translations.de] is documented as [translations.lang].
                let table = table.split('.').next().unwrap_or_default();
                assert!(
                    headers
                        .iter()
                        .chain(tags.iter())
                        .any(|h| h.starts_with(&format!("[{table}"))),
                    "ggzd-games.5: table [{table}] (of {}) is not described under {title}",
                    file.display()
                );
            }
        }
    }
    for word in ["entry", "PlayersAllowed", "GameType", "ExecutablePath"] {
        assert!(page.mentions(word), "ggzd-games.5: no {word}");
    }
}

// -------------------------------------------------------------- ggzdmod

/// The source of a module of the crate: `NAME.rs`, or every file of the
/// folder `NAME/` when the module is split.
fn crate_source(module: &str) -> String {
    let src = repo_dir().join("ggzdmod/src");
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        return std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    let dir = src.join(module);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ggzdmod_page_names_the_crate_api_and_its_environment() {
    let page = page("ggzdmod.3");

    // Environment variables: `pub const ENV_X: &str = "NAME";`.
    let lib = crate_source("lib");
    let variables: Vec<&str> = lib
        .lines()
        .filter(|l| l.starts_with("pub const ENV_"))
        .filter_map(|l| l.split('"').nth(1))
        .collect();
    assert_eq!(variables.len(), 4, "environment variables in lib.rs");
    for variable in variables {
        assert!(page.mentions(variable), "ggzdmod.3: no {variable}");
    }

    // Every public function of the game author's module.
    let game = crate_source("game");
    let functions: BTreeSet<&str> = game
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("pub fn "))
        .filter_map(|rest| rest.split(['(', '<']).next())
        .collect();
    assert!(functions.len() > 30, "parsed {functions:?}");
    let flat = page.flat();
    for function in functions {
        // Written as a call: `game.seat(n)`, `Game::connect()`.
        let call = format!("{function}(");
        let described = flat.match_indices(&call).any(|(at, _)| {
            !flat[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        assert!(
            described,
            "ggzdmod.3: the public function {function} is not described as {call}...)"
        );
    }

    // Every public function of the testing helper, written as a call.
    let testing = crate_source("testing");
    for function in testing
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("pub fn "))
        .filter_map(|rest| rest.split(['(', '<']).next())
    {
        assert!(
            flat.contains(&format!("{function}(")),
            "ggzdmod.3: the testing function {function} is not described"
        );
    }

    // Every variant of Event.
    let events = game
        .split("pub enum Event {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("enum Event");
    let variants: Vec<&str> = events
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .map(str::trim)
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter_map(|l| l.split([' ', ',', '{', '(']).next())
        .collect();
    assert!(variants.len() >= 9, "parsed {variants:?}");
    for variant in variants {
        assert!(
            page.mentions(&format!("Event::{variant}")),
            "ggzdmod.3: Event::{variant} is not described"
        );
    }
}

/// The opcode tables of the page carry the numbers the codec uses: each
/// "`MSG_X` (N)" in `wire.rs` is a row "N MSG_X" of a table.
#[test]
fn ggzdmod_page_opcode_tables_match_the_codec() {
    let wire = crate_source("wire");
    let mut opcodes = BTreeSet::new();
    for line in wire.lines() {
        let Some(doc) = line.trim_start().strip_prefix("/// `") else {
            continue;
        };
        let Some((name, rest)) = doc.split_once("` (") else {
            continue;
        };
        let Some(number) = rest.split(')').next() else {
            continue;
        };
        let is_opcode = ["MSG_", "REQ_", "RSP_"].iter().any(|p| name.starts_with(p));
        if is_opcode && number.chars().all(|c| c.is_ascii_digit()) {
            opcodes.insert((number.to_owned(), name.to_owned()));
        }
    }
    assert_eq!(opcodes.len(), 13, "opcodes in wire.rs: {opcodes:?}");
    let source = std::fs::read_to_string(man_dir().join("ggzdmod.3")).expect("ggzdmod.3");
    for (number, name) in opcodes {
        let row = format!("{number}\t{name}\t");
        assert!(
            source.lines().any(|l| l.starts_with(&row)),
            "ggzdmod.3: no table row {number} {name}"
        );
    }
    let page = page("ggzdmod.3");
    for word in ["SCM_RIGHTS", "GGZMODE", "GGZSOCKET", "big-endian", "NUL"] {
        assert!(page.flat().contains(word), "ggzdmod.3: no {word}");
    }
}
