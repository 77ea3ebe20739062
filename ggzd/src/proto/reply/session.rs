//! The greeting, the end of a session, RESULTs and the MOTD.

use super::write::{attr, attr_num, close_line, end_empty, end_start_line, open, text_element};
use crate::proto::escape::push_cdata;
use crate::proto::types::ResultCode;

/// The greeting (docs/client-server.md §3) with this build's version in `SERVER ID`.
pub fn greeting(server_name: &str, tls: bool, chatlen: u32) -> String {
    greeting_with_version(crate::VERSION, server_name, tls, chatlen)
}

/// The greeting with an explicit package version (`SERVER ID='GGZ-{version}'`).
pub fn greeting_with_version(version: &str, server_name: &str, tls: bool, chatlen: u32) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n");
    open(&mut out, "SERVER");
    attr(&mut out, "ID", &format!("GGZ-{version}"));
    attr(&mut out, "NAME", server_name);
    attr_num(&mut out, "VERSION", crate::PROTOCOL_VERSION);
    attr(&mut out, "STATUS", "ok");
    attr(&mut out, "TLS_SUPPORT", if tls { "yes" } else { "no" });
    end_start_line(&mut out);
    open(&mut out, "OPTIONS");
    attr_num(&mut out, "CHATLEN", chatlen);
    end_empty(&mut out);
    close_line(&mut out, "SERVER");
    out
}

/// The clean "server full" message (docs/client-server.md §3): declaration,
/// `<SESSION>`, a self-closing SERVER with `STATUS='full'`. The caller
/// closes the connection after it.
pub fn greeting_full(server_name: &str) -> String {
    greeting_full_with_version(crate::VERSION, server_name)
}

/// [`greeting_full`] with an explicit package version.
pub fn greeting_full_with_version(version: &str, server_name: &str) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n");
    open(&mut out, "SERVER");
    attr(&mut out, "ID", &format!("GGZ-{version}"));
    attr(&mut out, "NAME", server_name);
    attr_num(&mut out, "VERSION", crate::PROTOCOL_VERSION);
    attr(&mut out, "STATUS", "full");
    end_empty(&mut out);
    out
}

/// `</SESSION>\n`
pub fn session_end() -> String {
    "</SESSION>\n".to_owned()
}

// ---------------------------------------------------------------------------
// Results

pub(in crate::proto) fn result_open(out: &mut String, action: &str, code: ResultCode) {
    open(out, "RESULT");
    attr(out, "ACTION", action);
    attr(out, "CODE", code.as_str());
}

/// `<RESULT ACTION='{action}' CODE='{code}'/>`
pub fn result(action: &str, code: ResultCode) -> String {
    let mut out = String::with_capacity(48);
    result_open(&mut out, action, code);
    end_empty(&mut out);
    out
}

/// Successful registration: the password is echoed (docs/client-server.md §5.3).
pub fn result_login_first_ok(password: &str) -> String {
    let mut out = String::new();
    result_open(&mut out, "login", ResultCode::Ok);
    end_start_line(&mut out);
    text_element(&mut out, "PASSWORD", password);
    close_line(&mut out, "RESULT");
    out
}

/// Failed registration: the non-self-closing form with no child
/// (docs/client-server.md §5.3).
pub fn result_login_first_fail(code: ResultCode) -> String {
    let mut out = String::new();
    result_open(&mut out, "login", code);
    end_start_line(&mut out);
    close_line(&mut out, "RESULT");
    out
}

// ---------------------------------------------------------------------------
// MOTD

/// The MOTD text as ggzd sends it: a newline, then every line followed by
/// a newline (docs/client-server.md §7).
pub fn motd_body<I, S>(lines: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut text = String::from("\n");
    for line in lines {
        text.push_str(line.as_ref());
        text.push('\n');
    }
    text
}

/// `<MOTD PRIORITY='normal' URL='{url}'><![CDATA[{text}]]></MOTD>`; `text`
/// goes in verbatim (see [`motd_body`]), split into several CDATA sections
/// if it contains `]]>`.
pub fn motd(text: &str, url: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    open(&mut out, "MOTD");
    attr(&mut out, "PRIORITY", "normal");
    attr(&mut out, "URL", url);
    out.push('>');
    push_cdata(&mut out, text);
    close_line(&mut out, "MOTD");
    out
}
