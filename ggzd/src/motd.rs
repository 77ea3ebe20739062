//! The message of the day: a text template with `%` specifiers
//! (docs/config-and-data.md §6), optionally one per language, rendered for each
//! client after login and on `<MOTD/>` (docs/client-server.md §7).
//!
//! The templates are read once (at startup and on reload) rather than for
//! every MOTD sent as the original did; rendering is cheap and needs no
//! file access.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::config::i18n::Translated;
use crate::config::keyfile;

/// MOTD files larger than this are refused: every client receives the
/// text at login, so a huge file would cost every login.
pub const MAX_MOTD_SIZE: u64 = 64 * 1024;

/// Loaded MOTD templates: a default and per-language variants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Motd {
    templates: Translated,
}

/// Values for the `%` specifiers, gathered by the caller at render time.
#[derive(Debug, Clone, Copy)]
pub struct MotdContext<'a> {
    /// `%a`
    pub admin_name: &'a str,
    /// `%e`
    pub admin_email: &'a str,
    /// `%h`
    pub hostname: &'a str,
    /// `%p`
    pub port: u16,
    /// `%o`
    pub os: &'a str,
    /// `%C`
    pub cpu: &'a str,
    /// `%v`
    pub version: &'a str,
    /// `%u`
    pub uptime: Duration,
    /// `%U`: open connections of every kind.
    pub connections: usize,
    /// `%g`: active tables server-wide.
    pub tables: usize,
}

impl Motd {
    /// A MOTD from template text (no translations).
    pub fn from_text(text: impl Into<String>) -> Motd {
        Motd {
            templates: Translated::new(text),
        }
    }

    /// Loads the template `file` (relative to `conf_dir` unless absolute).
    /// An unreadable file gives an empty MOTD and a logged warning; an
    /// empty file name gives an empty MOTD silently.
    pub fn load(conf_dir: &Path, file: &str) -> Motd {
        Self::load_translated(conf_dir, file, &BTreeMap::new())
    }

    /// Like [`Motd::load`], plus per-language templates (`lang -> file`);
    /// an unreadable translation is left out with a warning.
    pub fn load_translated(
        conf_dir: &Path,
        file: &str,
        translations: &BTreeMap<String, String>,
    ) -> Motd {
        let mut templates = Translated::new(read_template(conf_dir, file).unwrap_or_default());
        for (lang, file) in translations {
            if let Some(text) = read_template(conf_dir, file) {
                templates.insert(lang.clone(), text);
            }
        }
        Motd { templates }
    }

    /// Loads the MOTD files named by `[files]` of the configuration.
    pub fn from_config(config: &Config) -> Motd {
        Self::load_translated(
            &config.directories.conf_dir,
            &config.files.motd,
            &config.files.motd_translations,
        )
    }

    /// Renders the MOTD for a client language: a newline, then every
    /// template line with its specifiers expanded, each followed by a
    /// newline. The caller wraps the result in CDATA (and must deal with
    /// any `]]>` in it).
    pub fn render(&self, lang: Option<&str>, ctx: &MotdContext<'_>) -> String {
        self.render_at(lang, ctx, SystemTime::now())
    }

    fn render_at(&self, lang: Option<&str>, ctx: &MotdContext<'_>, now: SystemTime) -> String {
        let template = self.templates.get(lang);
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| {
            libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX)
        });
        // Formatted lazily and once, so every %d/%t in one MOTD agree.
        let mut date: Option<String> = None;
        let mut time: Option<String> = None;
        let mut out = String::with_capacity(template.len() + 64);
        out.push('\n');
        for line in template.lines() {
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                let Some(spec) = chars.next() else {
                    // A lone % at the end of a line is kept as is.
                    out.push('%');
                    break;
                };
                match spec {
                    'a' => out.push_str(ctx.admin_name),
                    'e' => out.push_str(ctx.admin_email),
                    'h' => out.push_str(ctx.hostname),
                    'p' => out.push_str(&ctx.port.to_string()),
                    'o' => out.push_str(ctx.os),
                    'C' => out.push_str(ctx.cpu),
                    'v' => out.push_str(ctx.version),
                    'd' => out.push_str(date.get_or_insert_with(|| {
                        local_strftime(secs, c"%B %e, %Y").unwrap_or_default()
                    })),
                    't' => out.push_str(time.get_or_insert_with(|| {
                        local_strftime(secs, c"%H:%M %Z").unwrap_or_default()
                    })),
                    'u' => out.push_str(&uptime_text(ctx.uptime)),
                    'U' => out.push_str(&ctx.connections.to_string()),
                    'g' => out.push_str(&ctx.tables.to_string()),
                    // Meant to be "open tables"; the original always sent 0.
                    'G' => out.push('0'),
                    other => {
                        out.push('%');
                        out.push(other);
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}

fn read_template(conf_dir: &Path, file: &str) -> Option<String> {
    if file.is_empty() {
        return None;
    }
    let path = conf_dir.join(file);
    match keyfile::read_bounded(&path, MAX_MOTD_SIZE) {
        Ok(bytes) => Some(keyfile::decode_text(bytes)),
        Err(e) => {
            log::warn!("MOTD file {}: {e}; sending an empty MOTD", path.display());
            None
        }
    }
}

/// `%u`: `less than 1 hour`, `N hour(s)`, or `D day(s) and H hour(s)`
/// (plural unless exactly 1; `0 hours` after whole days).
pub fn uptime_text(uptime: Duration) -> String {
    let hours = uptime.as_secs() / 3600;
    let (days, hours) = (hours / 24, hours % 24);
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    if days == 0 {
        if hours == 0 {
            "less than 1 hour".to_owned()
        } else {
            format!("{hours} hour{}", plural(hours))
        }
    } else {
        format!(
            "{days} day{} and {hours} hour{}",
            plural(days),
            plural(hours)
        )
    }
}

/// Formats a time as local time with C `strftime`. The process never
/// calls `setlocale`, so names come from the C locale (English), as in the
/// original's usual setup.
fn local_strftime(t: libc::time_t, format: &CStr) -> Option<String> {
    // SAFETY: `tm` is plain old data (integers and a pointer for which
    // null is a valid value), so all-zero is a valid instance.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live, properly aligned values for the
    // duration of the call; localtime_r is the thread-safe variant.
    let converted = unsafe { libc::localtime_r(&t, &mut tm) };
    if converted.is_null() {
        return None;
    }
    let mut buf = [0u8; 128];
    // SAFETY: `buf` is writable for `buf.len()` bytes, `format` is a valid
    // NUL-terminated string and `tm` was filled by localtime_r. strftime
    // writes at most `buf.len()` bytes and returns the count written
    // (excluding the NUL), or 0 if it did not fit.
    let written =
        unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), format.as_ptr(), &tm) };
    let bytes = buf.get(..written)?;
    (written > 0).then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Host name, OS name and CPU type for `%h`, `%o`, `%C`; gathered once at
/// startup. Unknown values are `unknown`.
pub fn system_facts() -> (String, String, String) {
    let unknown = || "unknown".to_owned();
    let hostname = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| unknown());
    match nix::sys::utsname::uname() {
        Ok(uts) => (
            hostname,
            uts.sysname().to_string_lossy().into_owned(),
            uts.machine().to_string_lossy().into_owned(),
        ),
        Err(_) => (hostname, unknown(), unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> MotdContext<'static> {
        MotdContext {
            admin_name: "Ann Admin",
            admin_email: "ann@example.org",
            hostname: "zone.example.org",
            port: 5688,
            os: "Linux",
            cpu: "x86_64",
            version: "0.1.0",
            uptime: Duration::from_secs(3 * 86_400 + 2 * 3600 + 59),
            connections: 42,
            tables: 7,
        }
    }

    #[test]
    fn expands_every_specifier() {
        let motd = Motd::from_text(
            "Admin %a <%e>\nHost %h:%p (%o/%C) ggzd %v\nUp %u; %U connected, %g tables, %G open\n",
        );
        assert_eq!(
            motd.render(None, &ctx()),
            "\nAdmin Ann Admin <ann@example.org>\n\
             Host zone.example.org:5688 (Linux/x86_64) ggzd 0.1.0\n\
             Up 3 days and 2 hours; 42 connected, 7 tables, 0 open\n"
        );
    }

    #[test]
    fn unknown_specifiers_and_trailing_percent_are_literal() {
        let motd = Motd::from_text("100% sure, %x and %% and %\n%");
        assert_eq!(
            motd.render(None, &ctx()),
            "\n100% sure, %x and %% and %\n%\n"
        );
        // Multi-byte characters after % are copied whole.
        assert_eq!(Motd::from_text("%é").render(None, &ctx()), "\n%é\n");
    }

    #[test]
    fn every_line_is_sent_including_comments_and_blanks() {
        let motd = Motd::from_text("# Welcome\n\nline\r\n");
        assert_eq!(motd.render(None, &ctx()), "\n# Welcome\n\nline\n");
        assert_eq!(Motd::from_text("").render(None, &ctx()), "\n");
        assert_eq!(Motd::default().render(Some("de"), &ctx()), "\n");
    }

    #[test]
    fn uptime_wording() {
        let h = |hours: u64| uptime_text(Duration::from_secs(hours * 3600 + 5));
        assert_eq!(uptime_text(Duration::ZERO), "less than 1 hour");
        assert_eq!(uptime_text(Duration::from_secs(3599)), "less than 1 hour");
        assert_eq!(h(1), "1 hour");
        assert_eq!(h(2), "2 hours");
        assert_eq!(h(23), "23 hours");
        assert_eq!(h(24), "1 day and 0 hours");
        assert_eq!(h(25), "1 day and 1 hour");
        assert_eq!(h(26), "1 day and 2 hours");
        assert_eq!(h(48 + 1), "2 days and 1 hour");
        assert_eq!(h(24 * 400 + 5), "400 days and 5 hours");
    }

    #[test]
    fn date_and_time_use_strftime_formats() {
        let motd = Motd::from_text("%d|%t|%d");
        // 1970-01-01 00:00 UTC is one of these two dates in any time zone.
        let text = motd.render_at(None, &ctx(), UNIX_EPOCH);
        let parts: Vec<&str> = text.trim_end().trim_start().split('|').collect();
        assert_eq!(parts.len(), 3, "{text:?}");
        assert!(
            parts[0] == "January  1, 1970" || parts[0] == "December 31, 1969",
            "{text:?}"
        );
        assert_eq!(parts[0], parts[2]);
        let (clock, zone) = parts[1].split_once(' ').unwrap();
        assert_eq!(clock.len(), 5, "{text:?}");
        assert_eq!(clock.as_bytes()[2], b':');
        assert!(clock.chars().filter(char::is_ascii_digit).count() == 4);
        assert!(!zone.is_empty(), "{text:?}");

        // Two-digit days are not padded.
        let day = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 14 + 43_200);
        let text = Motd::from_text("%d").render_at(None, &ctx(), day);
        // (January 16 east of UTC+12.)
        assert!(
            text == "\nJanuary 15, 1970\n" || text == "\nJanuary 16, 1970\n",
            "{text:?}"
        );
    }

    #[test]
    fn loads_files_and_translations() {
        let dir = std::env::temp_dir().join(format!("ggzd-motd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ggzd.motd"), "Hello from %h\n").unwrap();
        std::fs::write(dir.join("ggzd.motd.de"), "Hallo von %h\n").unwrap();
        let mut translations = BTreeMap::new();
        translations.insert("de".to_owned(), "ggzd.motd.de".to_owned());
        translations.insert("fr".to_owned(), "missing.fr".to_owned());
        let motd = Motd::load_translated(&dir, "ggzd.motd", &translations);
        assert_eq!(motd.render(None, &ctx()), "\nHello from zone.example.org\n");
        assert_eq!(
            motd.render(Some("de_DE.UTF-8"), &ctx()),
            "\nHallo von zone.example.org\n"
        );
        // The unreadable French file falls back to the default text.
        assert_eq!(
            motd.render(Some("fr"), &ctx()),
            "\nHello from zone.example.org\n"
        );
        // Absolute names ignore conf_dir.
        let abs = dir.join("ggzd.motd");
        let motd = Motd::load(Path::new("/nonexistent"), abs.to_str().unwrap());
        assert_eq!(motd.render(None, &ctx()), "\nHello from zone.example.org\n");
        assert_eq!(Motd::load(&dir, "nope"), Motd::default());
        assert_eq!(Motd::load(&dir, ""), Motd::default());

        std::fs::write(dir.join("big"), vec![b'x'; MAX_MOTD_SIZE as usize + 1]).unwrap();
        assert_eq!(Motd::load(&dir, "big"), Motd::default());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn shipped_motd_loads() {
        let conf = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../conf"));
        let motd = Motd::load(conf, "ggzd.motd");
        let text = motd.render(None, &ctx());
        assert!(text.contains("Ann Admin"), "{text}");
        assert!(!text.contains("%a"), "{text}");
        let config = crate::config::load(Some(&conf.join("ggzd.toml"))).unwrap();
        assert_eq!(Motd::from_config(&config), motd);
    }

    #[test]
    fn system_facts_are_filled() {
        let (host, os, cpu) = system_facts();
        assert!(!host.is_empty() && !os.is_empty() && !cpu.is_empty());
    }
}
