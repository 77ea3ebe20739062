//! The original GGZ key-file syntax (docs/config-and-data.md §2.1), used by game
//! description (`.dsc`) and room (`.room`) files, so that packages written
//! for the original server load unmodified.
//!
//! ```text
//! # comment
//! [GameInfo]
//! Name = Four In Line
//! Name[de] = Vier gewinnt
//! ```
//!
//! Section and key names are case-sensitive; a later duplicate key replaces
//! an earlier one; repeated section headers add to the same section. A line
//! that fits none of these shapes is skipped with a warning, as the original
//! did, rather than refusing the file.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use super::i18n::Translated;

/// Key files larger than this are refused: real ones are a few KiB, and the
/// bound keeps a mistaken path (a log, a binary) from being slurped.
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// One `Key = Value` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The value with surrounding whitespace trimmed.
    pub value: String,
    /// 1-based line number of the (last) definition.
    pub line: usize,
}

/// The entries of one section, keyed by exact key name (including any
/// `[lang]` suffix).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    entries: BTreeMap<String, Entry>,
    /// 1-based line of the first header of this section.
    pub line: usize,
}

impl Section {
    /// The entry for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// All entries, sorted by key name (bytewise).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }
}

/// A parsed key file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFile {
    sections: BTreeMap<String, Section>,
    warnings: Vec<KeyFileError>,
}

/// A syntax or read error; `line` is 1-based, `None` for whole-file errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFileError {
    /// 1-based line, `None` for whole-file problems (size, I/O).
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for KeyFileError {}

impl KeyFile {
    /// Reads and parses a file, refusing files above [`MAX_FILE_SIZE`].
    pub fn read(path: &Path) -> Result<KeyFile, KeyFileError> {
        let bytes = read_bounded(path, MAX_FILE_SIZE).map_err(|message| KeyFileError {
            line: None,
            message,
        })?;
        Ok(Self::parse(&decode_text(bytes)))
    }

    /// Parses key-file text. Like the original reader, a line that is
    /// neither blank, a comment, a section header nor `Key = Value` (or an
    /// entry before the first section header) is skipped and noted in
    /// [`KeyFile::warnings`]; it never makes the whole file unusable.
    pub fn parse(text: &str) -> KeyFile {
        let mut file = KeyFile::default();
        let mut current: Option<String> = None;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let mut skip = |message: String| {
                file.warnings.push(KeyFileError {
                    line: Some(line),
                    message: format!("{message} (line ignored)"),
                });
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((key, value)) = trimmed.split_once('=') else {
                if let Some(name) = trimmed.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
                    // `[]` names a section nobody reads; the original takes
                    // it too.
                    let name = name.trim();
                    file.sections
                        .entry(name.to_owned())
                        .or_insert_with(|| Section {
                            entries: BTreeMap::new(),
                            line,
                        });
                    current = Some(name.to_owned());
                } else {
                    skip(format!(
                        "expected `Key = Value` or `[Section]`, found `{trimmed}`"
                    ));
                }
                continue;
            };
            let key = key.trim();
            if key.is_empty() {
                skip("entry without a key name".into());
                continue;
            }
            let Some(section) = current.as_ref().and_then(|s| file.sections.get_mut(s)) else {
                skip(format!("entry `{key}` before any [Section] header"));
                continue;
            };
            // The original skips any run of blanks and `=` after the first
            // `=`, so `Key == v` means `v`.
            let value = value.trim_start_matches([' ', '\t', '=']).trim();
            section.entries.insert(
                key.to_owned(),
                Entry {
                    value: value.to_owned(),
                    line,
                },
            );
        }
        file
    }

    /// Lines that were skipped, with the reason.
    pub fn warnings(&self) -> &[KeyFileError] {
        &self.warnings
    }

    /// The named section, if present.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }

    /// The entry `key` of section `section`, if present.
    pub fn get(&self, section: &str, key: &str) -> Option<&Entry> {
        self.sections.get(section)?.get(key)
    }

    /// Collects a translatable key: `key` is the default text and every
    /// `key[lang]` a variant. `None` if the untranslated `key` is absent.
    /// (The original also collected any key merely starting with `key`;
    /// that quirk is not reproduced.)
    pub fn translated(&self, section: &str, key: &str) -> Option<Translated> {
        let section = self.sections.get(section)?;
        let mut text = Translated::new(section.get(key)?.value.clone());
        for (name, entry) in section.entries() {
            let lang = name
                .strip_prefix(key)
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.strip_suffix(']'))
                .map(str::trim);
            if let Some(lang) = lang.filter(|l| !l.is_empty()) {
                text.insert(lang, entry.value.clone());
            }
        }
        Some(text)
    }
}

/// Splits a list value on spaces; `\` makes the next character literal
/// (`My\ Game` is one element). Runs of spaces do not produce empty
/// elements; a trailing lone `\` is kept as a backslash.
pub fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.push(chars.next().unwrap_or('\\')),
            ' ' => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current));
                }
            }
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

/// C `atoi`: optional leading whitespace and sign, then as many digits as
/// there are; anything else (or overflow) gives 0 / saturates. Kept for
/// compatibility with values like `1 # yes` that the original accepted.
pub fn atoi(value: &str) -> i64 {
    let s = value.trim_start();
    let (negative, digits) = if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else {
        (false, s.strip_prefix('+').unwrap_or(s))
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative { -n } else { n }
}

/// Reads a whole file, refusing it if it is larger than `limit` bytes.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("file is larger than {limit} bytes"));
    }
    Ok(bytes)
}

/// Text of a description file. Files of the original era are sometimes
/// Latin-1; rather than rejecting them, bytes that are not valid UTF-8 are
/// read as Latin-1 (which maps every byte to a character).
pub(crate) fn decode_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# A comment
   # an indented comment

[GameInfo]
Name = Four In Line
Name[de] = Vier gewinnt
NameX = not a translation
Version=1.2
Empty =
  Description   =   Connect  four   \r
[LaunchInfo]
ExecutablePath = ggzd.fourinline --verbose
[GameInfo]
Version = 1.3
";

    #[test]
    fn parses_sections_entries_and_duplicates() {
        let file = KeyFile::parse(SAMPLE);
        let name = file.get("GameInfo", "Name").unwrap();
        assert_eq!(name.value, "Four In Line");
        assert_eq!(name.line, 5);
        // Later duplicate wins, even across a repeated section header.
        assert_eq!(file.get("GameInfo", "Version").unwrap().value, "1.3");
        assert_eq!(file.get("GameInfo", "Version").unwrap().line, 14);
        assert_eq!(file.get("GameInfo", "Empty").unwrap().value, "");
        // Inner whitespace kept, outer (including CR) trimmed.
        assert_eq!(
            file.get("GameInfo", "Description").unwrap().value,
            "Connect  four"
        );
        assert_eq!(file.section("GameInfo").unwrap().line, 4);
    }

    #[test]
    fn names_are_case_sensitive() {
        let file = KeyFile::parse(SAMPLE);
        assert!(file.get("gameinfo", "Name").is_none());
        assert!(file.get("GameInfo", "name").is_none());
    }

    #[test]
    fn collects_translations_of_exactly_this_key() {
        let file = KeyFile::parse(SAMPLE);
        let name = file.translated("GameInfo", "Name").unwrap();
        assert_eq!(name.default_text(), "Four In Line");
        assert_eq!(name.get(Some("de_DE.UTF-8")), "Vier gewinnt");
        assert_eq!(name.languages().collect::<Vec<_>>(), ["de"]);
        assert!(file.translated("GameInfo", "Author").is_none());
    }

    #[test]
    fn bad_lines_are_skipped_with_their_line_numbers() {
        let file = KeyFile::parse("[A]\nKey = 1\njust words\nOther = 2\n");
        assert_eq!(file.get("A", "Key").unwrap().value, "1");
        assert_eq!(file.get("A", "Other").unwrap().value, "2");
        let [warning] = file.warnings() else {
            panic!("{:?}", file.warnings());
        };
        assert_eq!(warning.line, Some(3));
        assert!(warning.to_string().starts_with("line 3: "), "{warning}");
        let lines = |text: &str| -> Vec<Option<usize>> {
            KeyFile::parse(text)
                .warnings()
                .iter()
                .map(|w| w.line)
                .collect()
        };
        assert_eq!(lines("Key = 1\n[A]\n"), [Some(1)]);
        assert_eq!(lines("\n[A\n"), [Some(2)]);
        assert_eq!(lines("[A]\n = x\n"), [Some(2)]);
        assert!(lines("[ ]\nKey = 1\n").is_empty());
        assert_eq!(
            KeyFile::parse("[ ]\nKey = 1\n")
                .get("", "Key")
                .unwrap()
                .line,
            2
        );
    }

    #[test]
    fn equals_signs_after_the_first_are_skipped() {
        let file = KeyFile::parse("[A]\nKey == v=w\nEmpty = =\n");
        assert_eq!(file.get("A", "Key").unwrap().value, "v=w");
        assert_eq!(file.get("A", "Empty").unwrap().value, "");
    }

    #[test]
    fn splits_lists_with_escapes() {
        assert_eq!(
            split_list(r"ggzd.game --name My\ Game  x"),
            ["ggzd.game", "--name", "My Game", "x"]
        );
        assert_eq!(split_list(r"a\\b c\"), [r"a\b", r"c\"]);
        assert!(split_list("   ").is_empty());
    }

    #[test]
    fn atoi_behaves_like_c() {
        assert_eq!(atoi("42"), 42);
        assert_eq!(atoi("  -7x"), -7);
        assert_eq!(atoi("+3"), 3);
        assert_eq!(atoi("yes"), 0);
        assert_eq!(atoi(""), 0);
        assert_eq!(atoi("-"), 0);
        assert_eq!(atoi("99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn reads_files_with_bounds_and_latin1_fallback() {
        let dir = std::env::temp_dir().join(format!("ggzd-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let latin1 = dir.join("latin1.dsc");
        std::fs::write(&latin1, b"[GameInfo]\nName = Sch\xe4ch\n").unwrap();
        let file = KeyFile::read(&latin1).unwrap();
        assert_eq!(file.get("GameInfo", "Name").unwrap().value, "Schäch");

        let big = dir.join("big.dsc");
        std::fs::write(&big, vec![b'#'; MAX_FILE_SIZE as usize + 1]).unwrap();
        let err = KeyFile::read(&big).unwrap_err();
        assert_eq!(err.line, None);
        assert!(err.message.contains("larger"), "{err}");

        assert!(KeyFile::read(&dir.join("missing.dsc")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
