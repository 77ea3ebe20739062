//! The smallest HTTP/1.1 server side the scrape needs: one bounded request
//! head, `GET /metrics` (or `HEAD`), one response, then close. Pure: the
//! event loop (`server/metrics_http.rs`) feeds bytes and writes the answer.

/// Most bytes of a request head; a scraper sends a few hundred.
pub const MAX_HEAD: usize = 8192;

/// What the bytes so far amount to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// No end of the head yet.
    Incomplete,
    Metrics {
        head_only: bool,
    },
    NotFound,
    MethodNotAllowed,
    /// Not HTTP, or a head longer than [`MAX_HEAD`].
    Bad,
}

/// Looks at the request received so far. Only the request line matters;
/// headers are skipped, and a body is never read.
pub fn parse(buf: &[u8]) -> Head {
    let end = find(buf, b"\r\n\r\n").or_else(|| find(buf, b"\n\n"));
    if end.is_none() {
        return if buf.len() >= MAX_HEAD {
            Head::Bad
        } else {
            Head::Incomplete
        };
    }
    let line_end = buf.iter().position(|b| *b == b'\n').unwrap_or(buf.len());
    let line = buf.get(..line_end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(line) = std::str::from_utf8(line) else {
        return Head::Bad;
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Head::Bad;
    };
    if !version.starts_with("HTTP/1.") {
        return Head::Bad;
    }
    let path = target.split('?').next().unwrap_or_default();
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Head::MethodNotAllowed,
    };
    if path == "/metrics" {
        Head::Metrics { head_only }
    } else {
        Head::NotFound
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The whole response.
pub fn response(head: Head, body: &str) -> Vec<u8> {
    let (status, content_type, body, send_body) = match head {
        Head::Metrics { head_only } => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            body,
            !head_only,
        ),
        Head::NotFound => ("404 Not Found", "text/plain", "not found\n", true),
        Head::MethodNotAllowed => ("405 Method Not Allowed", "text/plain", "GET only\n", true),
        Head::Bad | Head::Incomplete => ("400 Bad Request", "text/plain", "bad request\n", true),
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if head == Head::MethodNotAllowed {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    if send_body {
        out.push_str(body);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_request_line_once_the_head_is_complete() {
        assert_eq!(
            parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"),
            Head::Incomplete
        );
        assert_eq!(
            parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Head::Metrics { head_only: false }
        );
        assert_eq!(
            parse(b"HEAD /metrics?x=1 HTTP/1.0\n\n"),
            Head::Metrics { head_only: true }
        );
        assert_eq!(parse(b"GET / HTTP/1.1\r\n\r\n"), Head::NotFound);
        assert_eq!(
            parse(b"POST /metrics HTTP/1.1\r\n\r\n"),
            Head::MethodNotAllowed
        );
        assert_eq!(parse(b"hello\r\n\r\n"), Head::Bad);
        assert_eq!(parse(b"GET /metrics SPDY\r\n\r\n"), Head::Bad);
    }

    #[test]
    fn bounds_the_head() {
        assert_eq!(parse(&vec![b'a'; MAX_HEAD]), Head::Bad);
    }

    #[test]
    fn responses_carry_length_and_close() {
        let text =
            String::from_utf8(response(Head::Metrics { head_only: false }, "a 1\n")).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains("Content-Length: 4\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\na 1\n"));
        let head = String::from_utf8(response(Head::Metrics { head_only: true }, "a 1\n")).unwrap();
        assert!(head.ends_with("\r\n\r\n"));
    }
}
