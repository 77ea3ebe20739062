//! TLS for client connections (`TLS_START`, docs/tls.md): loading the
//! certificate and key, and the exact point where a connection's plain
//! bytes end.
//!
//! The transport itself lives in `conn.rs` (plain → handshaking → TLS);
//! the decoder and the zone never see TLS. Game channels stay plain.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::proto::decoder::{DecodeError, Decoder, Event};

/// PEM files larger than this are refused: a chain of a few certificates
/// is a few KiB, and the reload thread should not read a wrong path's
/// gigabytes.
const MAX_PEM_SIZE: u64 = 1024 * 1024;

/// Most TLS output a connection's rustls buffers hold beyond its output
/// queue. Plaintext is handed to rustls only once the previous records
/// were written, so this bounds one batch.
pub const BUFFER_LIMIT: usize = 32 * 1024;

/// Reads the certificate chain and key and builds the server side's
/// settings. Runs at startup and on the SIGHUP helper thread, never on the
/// event loop. The error says which file and why.
pub fn load_server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let read = |path: &Path| {
        crate::config::keyfile::read_bounded(path, MAX_PEM_SIZE)
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: no usable private key: {e}", key.display()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            format!(
                "{} and {} do not make a pair: {e}",
                cert.display(),
                key.display()
            )
        })?;
    Ok(Arc::new(config))
}

/// The cryptography every TLS user in this workspace shares (server,
/// `ggz`, `ggzd-bench`, tests): ring, which builds without cmake or nasm.
/// rustls marks it deprecated because ring has no post-quantum key
/// exchange; the classical groups (X25519, P-256, P-384) remain.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A fresh server-side TLS session for one connection.
pub fn accept(config: &Arc<ServerConfig>) -> io::Result<Box<rustls::ServerConnection>> {
    let mut tls = rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
    tls.set_buffer_limit(Some(BUFFER_LIMIT));
    Ok(Box::new(tls))
}

/// Where a connection's plain XML ends: the decoder is fed `input` up to
/// and including the first `TLS_START` message and no further. Returns the
/// events before it, and `Some(offset)` of the first byte that belongs to
/// TLS (the ClientHello), or `None` when `input` holds no complete
/// `TLS_START` (everything complete was consumed; an incomplete token is
/// left, as the decoder always does).
///
/// The event loop does the same step by step, since the zone decides
/// whether a `TLS_START` switches (TLS configured, connection fresh);
/// this is the switch as one pure function, for tests and fuzzing.
pub fn split_at_tls_start(
    decoder: &mut Decoder,
    input: &[u8],
) -> Result<(Vec<Event>, Option<usize>), DecodeError> {
    let mut events = Vec::new();
    let mut pos = 0;
    loop {
        let progress = decoder.feed(input.get(pos..).unwrap_or_default())?;
        pos += progress.consumed;
        match progress.event {
            Some(Event::Element(e)) if e.name == "TLS_START" => return Ok((events, Some(pos))),
            Some(event) => events.push(event),
            None if progress.consumed == 0 => return Ok((events, None)),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::decoder::Limits;

    fn split(input: &[u8]) -> (Vec<Event>, Option<usize>) {
        let mut dec = Decoder::new(Limits::SERVER);
        split_at_tls_start(&mut dec, input).unwrap()
    }

    #[test]
    fn plain_bytes_end_right_after_the_element() {
        let head = b"<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<TLS_START/>";
        let mut input = head.to_vec();
        // A ClientHello's first bytes, with `<` and `/>` in them.
        input.extend_from_slice(b"\x16\x03\x01\x00\xc4<x/>\n</SESSION>");
        let (events, at) = split(&input);
        assert_eq!(at, Some(head.len()));
        assert_eq!(events, vec![Event::SessionStart]);
    }

    #[test]
    fn the_newline_after_tls_start_is_tls() {
        // ggzcore ends elements with a newline; its TLS handshake starts
        // right after `/>`, so the newline is never sent in plain. A
        // client that did send one would have it read as TLS: the split
        // must not skip whitespace the way a channel's end does.
        let input = b"<SESSION><TLS_START/>\n";
        assert_eq!(split(input).1, Some(input.len() - 1));
    }

    #[test]
    fn start_and_end_tag_form() {
        let input = b"<SESSION><LANGUAGE>de</LANGUAGE><TLS_START></TLS_START>\x16";
        let (events, at) = split(input);
        assert_eq!(at, Some(input.len() - 1));
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn incomplete_or_absent() {
        assert_eq!(split(b"<SESSION><TLS_STA").1, None);
        assert_eq!(split(b"<SESSION><PING/>").1, None);
        let mut dec = Decoder::new(Limits::SERVER);
        let (_, at) = split_at_tls_start(&mut dec, b"<SESSION><TLS_START").unwrap();
        assert_eq!(at, None);
        let (_, at) = split_at_tls_start(&mut dec, b"<TLS_START/>\x16\x03").unwrap();
        assert_eq!(at, Some(12));
    }

    #[test]
    fn garbage_before_is_an_error() {
        let mut dec = Decoder::new(Limits::SERVER);
        assert!(split_at_tls_start(&mut dec, b"<SESSION></NOPE>").is_err());
    }

    #[test]
    fn unreadable_files_say_which() {
        let dir = std::env::temp_dir().join(format!("ggzd-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let err = load_server_config(&cert, &key).unwrap_err();
        assert!(err.contains("cert.pem"), "{err}");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let err = load_server_config(&cert, &key).unwrap_err();
        assert!(err.contains("no certificate"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
