//! Finding description files (games, rooms) in a directory.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::i18n::Translated;
use super::tomlsrc::{self, KeyLines};

/// A problem with one description file (game or room), located by file,
/// line and key where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescError {
    /// The description file.
    pub file: PathBuf,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// `name`, `table.players`, `GameInfo.Name`, ...
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DescError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::error::write_located(
            f,
            Some(&self.file),
            self.line,
            self.key.as_deref(),
            &self.message,
        )
    }
}

impl std::error::Error for DescError {}

impl DescError {
    pub(crate) fn new(
        file: &Path,
        line: Option<usize>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            line,
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// Description files found by [`scan`] as (base name, path), plus
/// warnings about files passed over.
pub(crate) type Scan = (Vec<(String, PathBuf)>, Vec<String>);

/// Lists the description files of `dir` with one of `extensions` (in
/// order of preference), as (base name, path), sorted by base name
/// bytewise so that IDs are stable across file systems. Hidden files and
/// non-files are ignored; a base name present with several extensions
/// yields the preferred one and a warning.
pub(crate) fn scan(dir: &Path, extensions: &[&str]) -> Result<Scan, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: cannot list directory: {e}", dir.display()))?;
    let mut warnings = Vec::new();
    // base name -> (extension rank, path)
    let mut found: BTreeMap<String, (usize, PathBuf)> = BTreeMap::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                warnings.push(format!("{}: cannot list directory: {e}", dir.display()));
                break;
            }
        };
        let path = entry.path();
        let Some(rank) = path
            .extension()
            .and_then(|ext| extensions.iter().position(|e| ext == *e))
        else {
            continue;
        };
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            warnings.push(format!(
                "{}: file name is not UTF-8 (skipped)",
                path.display()
            ));
            continue;
        };
        if stem.is_empty() || stem.starts_with('.') || !path.is_file() {
            continue;
        }
        match found.get(stem) {
            Some((other_rank, other)) if *other_rank <= rank => {
                warnings.push(format!(
                    "{}: shadowed by {} (skipped)",
                    path.display(),
                    other.display()
                ));
            }
            Some((_, other)) => {
                warnings.push(format!(
                    "{}: shadowed by {} (skipped)",
                    other.display(),
                    path.display()
                ));
                found.insert(stem.to_owned(), (rank, path));
            }
            None => {
                found.insert(stem.to_owned(), (rank, path));
            }
        }
    }
    Ok((
        found
            .into_iter()
            .map(|(stem, (_, path))| (stem, path))
            .collect(),
        warnings,
    ))
}

/// Finds `<dir>/<name>.<ext>` for the first extension that exists.
pub(crate) fn find(dir: &Path, name: &str, extensions: &[&str]) -> Option<PathBuf> {
    extensions
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|path| path.is_file())
}

/// The file base name of a description file, which must be UTF-8.
pub(crate) fn base_name(path: &Path) -> Result<String, DescError> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_owned)
        .ok_or_else(|| DescError::new(path, None, None, "file name is not UTF-8"))
}

/// Reads a TOML description file into `T`, keeping key lines for later
/// semantic errors.
pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<(T, KeyLines), DescError> {
    let bytes = super::keyfile::read_bounded(path, super::keyfile::MAX_FILE_SIZE)
        .map_err(|message| DescError::new(path, None, None, message))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| DescError::new(path, None, None, "file is not valid UTF-8"))?;
    tomlsrc::parse::<T>(&text).map_err(|e| DescError {
        file: path.to_path_buf(),
        line: e.line,
        key: e.key,
        message: e.message,
    })
}

/// Translations in description TOML files: `[translations.<lang>]` with
/// `name` and `description`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextsToml {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Builds a translated text from a default and the `[translations.*]`
/// tables, picking one field of each.
pub(crate) fn translated(
    default: &str,
    translations: &BTreeMap<String, TextsToml>,
    pick: impl Fn(&TextsToml) -> Option<&String>,
) -> Translated {
    let mut text = Translated::new(default);
    for (lang, texts) in translations {
        if let Some(t) = pick(texts) {
            text.insert(lang.clone(), t.clone());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_sorted_with_preference_and_skips_others() {
        let dir = crate::config::tests::temp_dir("scan");
        for name in [
            "b.dsc",
            "a.toml",
            "c.toml",
            "c.dsc",
            ".hidden.toml",
            "notes.txt",
            "d.dsc~",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        std::fs::create_dir(dir.join("sub.toml")).unwrap();
        let (files, warnings) = scan(&dir, &["toml", "dsc"]).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(files[2].1, dir.join("c.toml"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("c.dsc: shadowed by"), "{warnings:?}");
        assert_eq!(find(&dir, "b", &["toml", "dsc"]), Some(dir.join("b.dsc")));
        assert_eq!(find(&dir, "c", &["toml", "dsc"]), Some(dir.join("c.toml")));
        assert_eq!(find(&dir, "zz", &["toml", "dsc"]), None);
        assert!(scan(&dir.join("missing"), &["toml"]).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
