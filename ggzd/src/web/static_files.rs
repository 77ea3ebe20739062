//! The web client's files on the `[web]` listener (docs/websocket.md
//! "Static files"): a fixed set of files in memory, and the whole HTTP
//! answer to a request for one of them.
//!
//! The set is the client in `web/` built into the binary, or the files of
//! `web.static_dir`, read when ggzd starts and on SIGHUP (never on the
//! event loop). A request names a file of the set or gets 404: nothing
//! outside the set is reachable, whatever the path says.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha1::Digest;

use super::http::Request;

/// The client as shipped, built into the binary so that a checkout's
/// `ggzd` serves it with no install step.
const EMBEDDED: &[(&str, &[u8])] = &[
    ("index.html", include_bytes!("../../../web/index.html")),
    ("style.css", include_bytes!("../../../web/style.css")),
    ("app.js", include_bytes!("../../../web/app.js")),
    ("proto.js", include_bytes!("../../../web/proto.js")),
    ("dio.js", include_bytes!("../../../web/dio.js")),
    ("lockstep.js", include_bytes!("../../../web/lockstep.js")),
    (
        "lockstep-view.js",
        include_bytes!("../../../web/lockstep-view.js"),
    ),
    ("replay.js", include_bytes!("../../../web/replay.js")),
    (
        "replay-view.js",
        include_bytes!("../../../web/replay-view.js"),
    ),
    ("favicon.svg", include_bytes!("../../../web/favicon.svg")),
];

/// Bounds on a `static_dir`: a web client is a handful of small files.
pub const MAX_FILES: usize = 256;
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;
pub const MAX_TOTAL_SIZE: u64 = 32 * 1024 * 1024;

/// Pages may load only their own files and talk only to this server; no
/// inline script or style can run even if some text slipped into markup.
const SECURITY_HEADERS: &str = "Content-Security-Policy: default-src 'self'; \
    connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'none'\r\n\
    X-Content-Type-Options: nosniff\r\n\
    X-Frame-Options: DENY\r\n\
    Referrer-Policy: no-referrer\r\n";

struct File {
    body: Cow<'static, [u8]>,
    content_type: &'static str,
    /// A strong validator: the file's digest, quoted.
    etag: String,
}

/// The files served, by name (no leading `/`).
pub struct Site {
    files: BTreeMap<String, File>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.files.keys()).finish()
    }
}

/// The type a name's extension maps to; names with others are not served.
fn content_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => return None,
    })
}

/// File names that can be served: plain names, no hidden files, nothing
/// a path could be made of.
fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn file(name: &str, body: Cow<'static, [u8]>) -> Option<File> {
    let content_type = content_type(name)?;
    let digest = sha1::Sha1::digest(&body);
    let etag = digest.iter().take(12).fold(String::from("\""), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    }) + "\"";
    Some(File {
        body,
        content_type,
        etag,
    })
}

impl Site {
    /// The client built into the binary.
    pub fn embedded() -> Site {
        let files = EMBEDDED
            .iter()
            .filter_map(|(name, body)| Some((name.to_string(), file(name, Cow::Borrowed(*body))?)))
            .collect();
        Site { files }
    }

    /// `static_dir` when set, else the embedded client. Reads files, so
    /// it runs at startup or on the reload thread.
    pub fn load(dir: Option<&Path>) -> Result<Site, String> {
        match dir {
            None => Ok(Site::embedded()),
            Some(dir) => Site::read_dir(dir),
        }
    }

    /// Every regular file directly in `dir` with a servable name and
    /// type; subdirectories and other names are left out. Needs an
    /// `index.html`.
    fn read_dir(dir: &Path) -> Result<Site, String> {
        let shown = dir.display();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("web.static_dir {shown}: {e}"))?;
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        for entry in entries {
            let entry = entry.map_err(|e| format!("web.static_dir {shown}: {e}"))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !name_ok(&name) || content_type(&name).is_none() {
                continue;
            }
            let path = entry.path();
            let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            if !meta.is_file() {
                continue;
            }
            if files.len() >= MAX_FILES {
                return Err(format!(
                    "web.static_dir {shown}: more than {MAX_FILES} files"
                ));
            }
            if meta.len() > MAX_FILE_SIZE {
                return Err(format!(
                    "{}: larger than {MAX_FILE_SIZE} bytes",
                    path.display()
                ));
            }
            let mut body = Vec::new();
            std::fs::File::open(&path)
                .and_then(|f| f.take(MAX_FILE_SIZE + 1).read_to_end(&mut body))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            total += body.len() as u64;
            if body.len() as u64 > MAX_FILE_SIZE || total > MAX_TOTAL_SIZE {
                return Err(format!(
                    "web.static_dir {shown}: files larger than {MAX_TOTAL_SIZE} bytes in all"
                ));
            }
            if let Some(f) = file(&name, Cow::Owned(body)) {
                files.insert(name, f);
            }
        }
        if !files.contains_key("index.html") {
            return Err(format!("web.static_dir {shown}: no index.html"));
        }
        Ok(Site { files })
    }

    /// How many files are served.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The whole answer to a request for anything but the WebSocket:
    /// GET and HEAD of a file in the set, else an error status. The
    /// connection closes after it.
    pub fn answer(&self, req: &Request) -> Vec<u8> {
        if req.method != "GET" && req.method != "HEAD" {
            return plain("405 Method Not Allowed", "Allow: GET, HEAD\r\n", req);
        }
        let path = req.path.split(['?', '#']).next().unwrap_or_default();
        let name = match path {
            "/" | "/index.html" => "index.html",
            p => p.strip_prefix('/').unwrap_or(""),
        };
        let Some(file) = self.files.get(name) else {
            return plain("404 Not Found", "", req);
        };
        let validators = format!("ETag: {}\r\nCache-Control: no-cache\r\n", file.etag);
        let fresh = req.if_none_match.as_deref().is_some_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == file.etag || t == "*")
        });
        if fresh {
            return format!(
                "HTTP/1.1 304 Not Modified\r\n{validators}{SECURITY_HEADERS}Connection: close\r\n\r\n"
            )
            .into_bytes();
        }
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n{validators}\
             {SECURITY_HEADERS}Connection: close\r\n\r\n",
            file.content_type,
            file.body.len()
        )
        .into_bytes();
        if req.method == "GET" {
            out.extend_from_slice(&file.body);
        }
        out
    }
}

/// A short text answer for an error status.
fn plain(status: &str, extra: &str, req: &Request) -> Vec<u8> {
    let body = format!("{status}\n");
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n{SECURITY_HEADERS}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if req.method != "HEAD" {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            ..Request::default()
        }
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
        answer
            .split("\r\n\r\n")
            .next()?
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
    }

    #[test]
    fn the_embedded_client_is_complete() {
        let site = Site::embedded();
        assert_eq!(site.len(), EMBEDDED.len(), "every embedded file has a type");
        let index = text(site.answer(&req("GET", "/")));
        assert!(index.starts_with("HTTP/1.1 200 OK\r\n"));
        assert_eq!(
            header(&index, "Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert!(
            header(&index, "Content-Security-Policy")
                .is_some_and(|c| c.contains("default-src 'self'; connect-src 'self' ws: wss:"))
        );
        assert_eq!(header(&index, "X-Content-Type-Options"), Some("nosniff"));
        let body = index.split_once("\r\n\r\n").unwrap().1;
        assert_eq!(
            header(&index, "Content-Length"),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(text(site.answer(&req("GET", "/index.html?x=1"))), index);
        let js = text(site.answer(&req("GET", "/app.js")));
        assert_eq!(
            header(&js, "Content-Type"),
            Some("text/javascript; charset=utf-8")
        );
    }

    #[test]
    fn every_file_of_web_is_embedded() {
        // A module the page imports but the binary lacks would only show
        // as a 404 in a browser.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && !EMBEDDED.iter().any(|(n, _)| *n == name) {
                missing.push(name);
            }
        }
        assert!(
            missing.is_empty(),
            "web/ files not in EMBEDDED: {missing:?}"
        );
    }

    #[test]
    fn head_etag_and_refusals() {
        let site = Site::embedded();
        let get = text(site.answer(&req("GET", "/style.css")));
        let head = text(site.answer(&req("HEAD", "/style.css")));
        assert_eq!(
            head,
            format!("{}\r\n\r\n", get.split_once("\r\n\r\n").unwrap().0)
        );
        let etag = header(&get, "ETag").unwrap().to_string();
        assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 26);
        let mut cached = req("GET", "/style.css");
        cached.if_none_match = Some(format!("\"other\", W/{etag}"));
        let answer = text(site.answer(&cached));
        assert!(answer.starts_with("HTTP/1.1 304 Not Modified\r\n"));
        assert!(answer.ends_with("\r\n\r\n"), "no body");
        for path in [
            "/../Cargo.toml",
            "/..%2fCargo.toml",
            "//etc/passwd",
            "/web/index.html",
            "/nope.js",
            "",
            "*",
        ] {
            let answer = text(site.answer(&req("GET", path)));
            assert!(answer.starts_with("HTTP/1.1 404 "), "{path}: {answer}");
        }
        let post = text(site.answer(&req("POST", "/")));
        assert!(post.starts_with("HTTP/1.1 405 "));
        assert_eq!(header(&post, "Allow"), Some("GET, HEAD"));
    }

    #[test]
    fn a_directory_serves_its_own_plain_files_only() {
        let dir = std::env::temp_dir().join(format!("ggzd-static-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        assert!(
            Site::load(Some(&dir))
                .unwrap_err()
                .contains("no index.html")
        );
        std::fs::write(dir.join("index.html"), "<p>mine</p>").unwrap();
        std::fs::write(dir.join("logo.png"), [0x89, b'P']).unwrap();
        std::fs::write(dir.join(".secret.js"), "x").unwrap();
        std::fs::write(dir.join("notes.md"), "x").unwrap();
        std::fs::write(dir.join("sub/inner.js"), "x").unwrap();
        let site = Site::load(Some(&dir)).unwrap();
        assert_eq!(site.len(), 2);
        let index = text(site.answer(&req("GET", "/")));
        assert!(index.ends_with("\r\n\r\n<p>mine</p>"));
        for path in ["/.secret.js", "/notes.md", "/sub/inner.js", "/sub"] {
            assert!(text(site.answer(&req("GET", path))).starts_with("HTTP/1.1 404 "));
        }
        let big = std::fs::File::create(dir.join("big.js")).unwrap();
        big.set_len(MAX_FILE_SIZE + 1).unwrap();
        assert!(Site::load(Some(&dir)).unwrap_err().contains("larger than"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(Site::load(Some(&dir)).is_err());
        assert_eq!(Site::load(None).unwrap().len(), EMBEDDED.len());
    }
}
