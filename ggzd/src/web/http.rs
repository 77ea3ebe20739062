//! The request head a browser sends before the WebSocket starts: bounded
//! (8 KiB, GET only), parsed once it is complete, and routed.

use crate::config::web::WebConfig;

/// A head longer than this is refused: a browser's upgrade request is
/// well under 2 KiB.
pub const MAX_HEAD: usize = 8 * 1024;

/// The lobby's WebSocket endpoint.
pub const LOBBY_PATH: &str = "/ws";

/// Headers one request may carry.
const MAX_HEADERS: usize = 48;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    pub origin: Option<String>,
    /// `Upgrade: websocket` and `Connection: upgrade` were both there.
    pub wants_websocket: bool,
    pub key: Option<String>,
    pub version: Option<String>,
    /// For the static files' revalidation.
    pub if_none_match: Option<String>,
}

/// What came of the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// More bytes are needed.
    Partial,
    /// The head, and how many bytes it took (the WebSocket starts there).
    Complete(Request, usize),
}

/// Why a request is answered with an error status and closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    UpgradeRequired,
    HeadTooLarge,
}

impl Status {
    fn line(self) -> &'static str {
        match self {
            Status::BadRequest => "400 Bad Request",
            Status::Forbidden => "403 Forbidden",
            Status::MethodNotAllowed => "405 Method Not Allowed",
            Status::UpgradeRequired => "426 Upgrade Required",
            Status::HeadTooLarge => "431 Request Header Fields Too Large",
        }
    }
}

/// Parses what has arrived of a request head.
pub fn parse(buf: &[u8]) -> Result<Head, Status> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            return Err(Status::HeadTooLarge);
        }
        Ok(httparse::Status::Partial) => return Ok(Head::Partial),
        Err(httparse::Error::TooManyHeaders) => return Err(Status::HeadTooLarge),
        Err(_) => return Err(Status::BadRequest),
    };
    if len > MAX_HEAD {
        return Err(Status::HeadTooLarge);
    }
    let mut out = Request {
        method: req.method.unwrap_or_default().to_string(),
        path: req.path.unwrap_or_default().to_string(),
        ..Request::default()
    };
    let (mut upgrade, mut connection) = (false, false);
    for h in req.headers.iter() {
        let value = String::from_utf8_lossy(h.value).trim().to_string();
        let name = h.name.to_ascii_lowercase();
        let has_token = |token: &str| {
            value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        match name.as_str() {
            "host" => out.host = Some(value.clone()),
            "origin" => out.origin = Some(value.clone()),
            "upgrade" => upgrade |= has_token("websocket"),
            "connection" => connection |= has_token("upgrade"),
            "sec-websocket-key" => out.key = Some(value.clone()),
            "sec-websocket-version" => out.version = Some(value.clone()),
            "if-none-match" => out.if_none_match = Some(value.clone()),
            _ => {}
        }
    }
    out.wants_websocket = upgrade && connection;
    Ok(Head::Complete(out, len))
}

/// Where a complete request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// Switch to WebSocket; the 101 answer carries this accept key.
    Lobby {
        accept: String,
    },
    /// Any other path: a file of the web client (`static_files.rs`).
    File,
    Refuse(Status),
}

pub fn route(req: &Request, config: &WebConfig) -> Route {
    // The query string plays no part in routing.
    let path = req.path.split('?').next().unwrap_or_default();
    if path != LOBBY_PATH {
        return Route::File;
    }
    if req.method != "GET" {
        return Route::Refuse(Status::MethodNotAllowed);
    }
    if !origin_allowed(req, &config.allowed_origins) {
        return Route::Refuse(Status::Forbidden);
    }
    if !req.wants_websocket || req.version.as_deref() != Some("13") {
        return Route::Refuse(Status::UpgradeRequired);
    }
    match &req.key {
        Some(key) if !key.is_empty() => Route::Lobby {
            accept: tungstenite::handshake::derive_accept_key(key.as_bytes()),
        },
        _ => Route::Refuse(Status::BadRequest),
    }
}

/// Browsers always send `Origin` with a WebSocket request; a page from a
/// foreign site must not act for a player whose browser visits it. Other
/// clients send none and could forge any, so they are let in.
fn origin_allowed(req: &Request, allowed: &[String]) -> bool {
    let Some(origin) = &req.origin else {
        return true;
    };
    if allowed.is_empty() {
        let host = origin.split_once("://").map(|(_, h)| h);
        return matches!((host, &req.host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h));
    }
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
}

/// The 101 answer that starts the WebSocket.
pub fn switching(accept: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

/// An error answer; the connection closes after it.
pub fn refusal(status: Status) -> Vec<u8> {
    let body = status.line();
    let extra = if status == Status::UpgradeRequired {
        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {body}\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}\n",
        body.len() + 1
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE: &str = "GET /ws HTTP/1.1\r\nHost: localhost:5689\r\n\
        Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    fn complete(text: &str) -> (Request, usize) {
        match parse(text.as_bytes()) {
            Ok(Head::Complete(r, n)) => (r, n),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn upgrade_is_routed_with_the_rfc_accept_key() {
        let text = format!("{UPGRADE}\r\nAB");
        let (req, len) = complete(&text);
        assert_eq!(len, text.len() - 2, "frame bytes are not part of the head");
        assert!(req.wants_websocket);
        assert_eq!(
            route(&req, &WebConfig::default()),
            Route::Lobby {
                accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into()
            }
        );
        let answer = String::from_utf8(switching("abc")).unwrap();
        assert!(answer.starts_with("HTTP/1.1 101 ") && answer.ends_with("\r\n\r\n"));
    }

    #[test]
    fn partial_then_bounded() {
        assert_eq!(parse(UPGRADE.as_bytes()), Ok(Head::Partial));
        assert_eq!(parse(b""), Ok(Head::Partial));
        let mut long = b"GET /ws HTTP/1.1\r\nX: ".to_vec();
        long.resize(MAX_HEAD, b'a');
        assert_eq!(parse(&long), Err(Status::HeadTooLarge));
        assert_eq!(
            parse(b"\x16\x03\x01 garbage\r\n\r\n"),
            Err(Status::BadRequest)
        );
        let many: String = (0..MAX_HEADERS + 1)
            .map(|i| format!("H{i}: v\r\n"))
            .collect();
        let text = format!("GET /ws HTTP/1.1\r\n{many}\r\n");
        assert_eq!(parse(text.as_bytes()), Err(Status::HeadTooLarge));
    }

    #[test]
    fn other_methods_paths_and_plain_gets_are_refused() {
        let config = WebConfig::default();
        let (req, _) = complete("POST /ws HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(
            route(&req, &config),
            Route::Refuse(Status::MethodNotAllowed)
        );
        let (req, _) = complete("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(route(&req, &config), Route::File);
        let (req, _) = complete("HEAD / HTTP/1.1\r\nIf-None-Match: \"x\"\r\n\r\n");
        assert_eq!(route(&req, &config), Route::File);
        assert_eq!(req.if_none_match.as_deref(), Some("\"x\""));
        let (req, _) = complete("GET /ws?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(route(&req, &config), Route::Refuse(Status::UpgradeRequired));
        let text = UPGRADE.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
        let (req, _) = complete(&format!("{text}\r\n"));
        assert_eq!(route(&req, &config), Route::Refuse(Status::BadRequest));
        let answer = String::from_utf8(refusal(Status::Forbidden)).unwrap();
        assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        assert!(answer.ends_with("\r\n\r\n403 Forbidden\n"));
    }

    #[test]
    fn origins() {
        let with_origin = |o: &str| complete(&format!("{UPGRADE}Origin: {o}\r\n\r\n")).0;
        let same = WebConfig::default();
        let lobby = |r: &Route| matches!(r, Route::Lobby { .. });
        assert!(lobby(&route(&with_origin("http://localhost:5689"), &same)));
        assert!(lobby(&route(&with_origin("https://LOCALHOST:5689"), &same)));
        assert_eq!(
            route(&with_origin("http://evil.example"), &same),
            Route::Refuse(Status::Forbidden)
        );
        assert_eq!(
            route(&with_origin("null"), &same),
            Route::Refuse(Status::Forbidden)
        );
        let listed = WebConfig {
            allowed_origins: vec!["https://games.example.org".into()],
            ..WebConfig::default()
        };
        assert!(lobby(&route(
            &with_origin("https://games.example.org"),
            &listed
        )));
        assert_eq!(
            route(&with_origin("http://localhost:5689"), &listed),
            Route::Refuse(Status::Forbidden)
        );
        let any = WebConfig {
            allowed_origins: vec!["*".into()],
            ..WebConfig::default()
        };
        assert!(lobby(&route(&with_origin("http://evil.example"), &any)));
        // No Origin: not a browser.
        assert!(lobby(&route(
            &complete(&format!("{UPGRADE}\r\n")).0,
            &listed
        )));
    }
}
