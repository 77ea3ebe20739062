//! Small writers. Pushing into a String cannot fail, so no fmt::Result
//! plumbing is needed.

use crate::proto::escape::escape;

pub(in crate::proto) fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("='");
    out.push_str(&escape(value));
    out.push('\'');
}

pub(in crate::proto) fn attr_num(out: &mut String, name: &str, value: impl ToString) {
    out.push(' ');
    out.push_str(name);
    out.push_str("='");
    out.push_str(&value.to_string());
    out.push('\'');
}

pub(super) fn attr_bool(out: &mut String, name: &str, value: bool) {
    attr(out, name, if value { "true" } else { "false" });
}

pub(in crate::proto) fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
}

/// Ends a start tag and the line: `>\n`.
pub(in crate::proto) fn end_start_line(out: &mut String) {
    out.push_str(">\n");
}

/// Ends an empty element and the line: `/>\n`.
pub(in crate::proto) fn end_empty(out: &mut String) {
    out.push_str("/>\n");
}

pub(in crate::proto) fn close_line(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// `<NAME>text</NAME>\n`
pub(super) fn text_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(text));
    close_line(out, name);
}

pub(super) fn perms_hex(perms: u32) -> String {
    format!("0x{perms:08X}")
}
