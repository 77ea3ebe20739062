//! Output escaping (docs/client-server.md §1.1).
//!
//! Exactly five characters are replaced, nothing else: no numeric
//! references are produced, so output stays byte-identical to what clients
//! of the original server have always seen.

use std::borrow::Cow;

fn replacement(b: u8) -> Option<&'static str> {
    match b {
        b'\'' => Some("&apos;"),
        b'"' => Some("&quot;"),
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        _ => None,
    }
}

/// Escapes text or an attribute value; borrows when nothing needs escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    let Some(first) = s.bytes().position(|b| replacement(b).is_some()) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    let (head, tail) = s.split_at(first);
    out.push_str(head);
    // All five special characters are ASCII, so splitting around them keeps
    // every multi-byte sequence intact.
    let mut run_start = 0;
    for (i, b) in tail.bytes().enumerate() {
        if let Some(rep) = replacement(b) {
            out.push_str(tail.get(run_start..i).unwrap_or_default());
            out.push_str(rep);
            run_start = i + 1;
        }
    }
    out.push_str(tail.get(run_start..).unwrap_or_default());
    Cow::Owned(out)
}

/// Appends `text` to `out` as one or more CDATA sections.
///
/// A `]]>` inside the text would end the section early, so the text is
/// split between `]]` and `>` into adjacent sections; a parser joins them
/// back into the original characters.
pub fn push_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    out.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_exactly_five() {
        assert_eq!(escape("plain"), "plain");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a'b\"c&d<e>f"), "a&apos;b&quot;c&amp;d&lt;e&gt;f");
        assert_eq!(escape("\r\n\täöü%"), "\r\n\täöü%");
        assert_eq!(escape("<<"), "&lt;&lt;");
        assert_eq!(escape("ü&"), "ü&amp;");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn cdata_split() {
        let mut s = String::new();
        push_cdata(&mut s, "\nhi\n");
        assert_eq!(s, "<![CDATA[\nhi\n]]>");
        let mut s = String::new();
        push_cdata(&mut s, "a]]>b");
        assert_eq!(s, "<![CDATA[a]]]]><![CDATA[>b]]>");
    }
}
