//! TOML deserialisation that reports *where* a problem is: the line and
//! the dotted key path, which the `toml` crate's error keeps private.
//!
//! The document is parsed twice: once into the span-carrying `DeTable` to
//! build an index of key paths and their byte ranges, once into the target
//! type. Files are small, so the second parse is cheaper than the code a
//! single-pass approach would need.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// A problem located in a TOML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// Dotted key path such as `network.port`, if known.
    pub key: Option<String>,
    pub message: String,
}

/// Where each key of a successfully parsed document was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLines {
    lines: BTreeMap<String, usize>,
}

impl KeyLines {
    /// 1-based line of the key `path` (dotted), if the document set it.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        self.lines.get(path).copied()
    }
}

struct KeySpan {
    path: String,
    key: Range<usize>,
    value: Range<usize>,
}

/// Parses `text` into `T`, or says where and why it failed.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Result<(T, KeyLines), Located> {
    let root = DeTable::parse(text).map_err(|e| Located {
        line: e.span().map(|s| line_at(text, s.start)),
        key: None,
        message: e.message().trim_end().to_owned(),
    })?;
    let mut spans = Vec::new();
    index_table(root.get_ref(), "", &mut spans);
    let value = toml::from_str::<T>(text).map_err(|e| locate(text, &spans, &e))?;
    let lines = spans
        .iter()
        .map(|s| (s.path.clone(), line_at(text, s.key.start)))
        .collect();
    Ok((value, KeyLines { lines }))
}

fn index_table(table: &DeTable<'_>, prefix: &str, out: &mut Vec<KeySpan>) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        if let DeValue::Table(inner) = value.get_ref() {
            index_table(inner, &path, out);
        }
        out.push(KeySpan {
            path,
            key: key.span(),
            value: value.span(),
        });
    }
}

fn locate(text: &str, spans: &[KeySpan], error: &toml::de::Error) -> Located {
    let message = error.message().trim_end().to_owned();
    let Some(span) = error.span() else {
        return Located {
            line: None,
            key: None,
            message,
        };
    };
    let at = span.start;
    let mut line = Some(line_at(text, at));
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let key = if let Some(field) = missing {
        // A missing field is reported with the span of the enclosing
        // table; at the root that is the whole document, where a line
        // would only mislead.
        match spans.iter().find(|s| s.value == span) {
            Some(table) => Some(format!("{}.{field}", table.path)),
            None => {
                line = None;
                Some(field.to_owned())
            }
        }
    } else {
        // The innermost entry whose key or value covers the position.
        spans
            .iter()
            .filter(|s| s.key.contains(&at) || s.value.contains(&at) || s.value.start == at)
            .min_by_key(|s| s.value.len() + s.key.len())
            .map(|s| s.path.clone())
    };
    Located { line, key, message }
}

/// 1-based line number of byte offset `at`.
pub(crate) fn line_at(text: &str, at: usize) -> usize {
    let upto = text.as_bytes().get(..at).unwrap_or(text.as_bytes());
    1 + upto.iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default)]
        top: u32,
        #[serde(default)]
        net: Net,
        #[serde(default)]
        #[allow(dead_code)]
        need: Option<Need>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Net {
        port: u16,
        list: Vec<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Need {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn indexes_lines_of_keys() {
        let (doc, lines) = parse::<Doc>("top = 1\n\n[net]\nport = 7\n").unwrap();
        assert_eq!((doc.top, doc.net.port), (1, 7));
        assert_eq!(lines.line_of("top"), Some(1));
        assert_eq!(lines.line_of("net"), Some(3));
        assert_eq!(lines.line_of("net.port"), Some(4));
        assert_eq!(lines.line_of("net.list"), None);
    }

    #[test]
    fn type_errors_name_line_and_key() {
        let err = parse::<Doc>("top = 1\n[net]\n\nport = \"x\"\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert_eq!(err.key.as_deref(), Some("net.port"));
        assert!(err.message.contains("expected u16"), "{}", err.message);

        let err = parse::<Doc>("[net]\nlist = [1, \"two\"]\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(err.key.as_deref(), Some("net.list"));
    }

    #[test]
    fn unknown_keys_are_located() {
        let err = parse::<Doc>("[net]\nport = 1\nprot = 2\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.key.as_deref(), Some("net.prot"));
        assert!(err.message.contains("unknown field"), "{}", err.message);

        let err = parse::<Doc>("net.port = 1\ntpo = 2\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(err.key.as_deref(), Some("tpo"));
    }

    #[test]
    fn missing_fields_name_the_field() {
        let err = parse::<Doc>("top = 1\n[need]\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("need.name"));
        assert_eq!(err.line, Some(2));

        #[derive(Debug, Deserialize)]
        struct Root {
            #[allow(dead_code)]
            name: String,
        }
        let err = parse::<Root>("\n\nother = 1\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("name"));
        assert_eq!(err.line, None);
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let err = parse::<Doc>("top = 1\n[net\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(err.key, None);
    }
}
