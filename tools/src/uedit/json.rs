//! Just enough JSON output for `--json`: objects, arrays, strings, numbers
//! and booleans, written by hand with correct string escaping.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal (with quotes) to `out`. Quotes,
/// backslashes and every control character are escaped; everything else,
/// including non-ASCII text, is copied as UTF-8.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // U+2028/2029 are valid JSON but break JavaScript parsers.
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// A JSON number for a float; `null` for NaN and the infinities, which
/// JSON cannot represent.
pub fn float(x: f64) -> String {
    if x.is_finite() {
        // Debug keeps a decimal point or exponent, so the reader sees a float.
        format!("{x:?}")
    } else {
        "null".to_owned()
    }
}

/// A JSON array of already-encoded values.
pub fn array<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item.as_ref());
    }
    out.push(']');
    out
}

/// A JSON array of strings.
pub fn string_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    array(items.into_iter().map(string))
}

/// Builds one JSON object field by field, in insertion order.
#[derive(Debug, Default)]
pub struct Object {
    body: String,
}

impl Object {
    /// An empty object.
    pub fn new() -> Object {
        Object::default()
    }

    fn key(&mut self, key: &str) {
        if !self.body.is_empty() {
            self.body.push(',');
        }
        push_string(&mut self.body, key);
        self.body.push(':');
    }

    /// Adds a string field.
    pub fn str(mut self, key: &str, value: &str) -> Object {
        self.key(key);
        push_string(&mut self.body, value);
        self
    }

    /// Adds an integer field.
    pub fn int(mut self, key: &str, value: impl Into<i128>) -> Object {
        self.key(key);
        let _ = write!(self.body, "{}", value.into());
        self
    }

    /// Adds a float field (`null` if not finite).
    pub fn float(mut self, key: &str, value: f64) -> Object {
        self.key(key);
        self.body.push_str(&float(value));
        self
    }

    /// Adds a boolean field.
    pub fn bool(mut self, key: &str, value: bool) -> Object {
        self.key(key);
        self.body.push_str(if value { "true" } else { "false" });
        self
    }

    /// Adds a field holding already-encoded JSON (an array or object).
    pub fn raw(mut self, key: &str, json: &str) -> Object {
        self.key(key);
        self.body.push_str(json);
        self
    }

    /// The finished object.
    pub fn finish(self) -> String {
        format!("{{{}}}", self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("plain"), r#""plain""#);
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string("l1\nl2\r\t"), r#""l1\nl2\r\t""#);
        assert_eq!(string("\u{0}\u{1f}\u{7f}"), r#""\u0000\u001f\u007f""#);
        assert_eq!(string("\u{8}\u{c}"), r#""\b\f""#);
        assert_eq!(string("é ü 漢"), "\"é ü 漢\"");
        assert_eq!(string("\u{2028}"), r#""\u2028""#);
        assert_eq!(string("</script>"), r#""</script>""#);
    }

    #[test]
    fn numbers_arrays_and_objects() {
        assert_eq!(float(1500.0), "1500.0");
        assert_eq!(float(1515.25), "1515.25");
        assert_eq!(float(f64::NAN), "null");
        assert_eq!(float(f64::INFINITY), "null");
        assert_eq!(array(Vec::<String>::new()), "[]");
        assert_eq!(string_array(["a", "b\""]), r#"["a","b\""]"#);
        let object = Object::new()
            .int("id", 3)
            .str("handle", "al\"ice")
            .bool("confirmed", true)
            .float("rating", 1500.0)
            .raw("perms", &string_array(["join_table"]))
            .int("big", u32::MAX)
            .int("neg", -5i64)
            .finish();
        assert_eq!(
            object,
            r#"{"id":3,"handle":"al\"ice","confirmed":true,"rating":1500.0,"perms":["join_table"],"big":4294967295,"neg":-5}"#
        );
        assert_eq!(Object::new().finish(), "{}");
    }
}
