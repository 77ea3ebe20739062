//! wss: TLS under the `[web]` listener's connections (`[web] tls`,
//! docs/websocket.md). The WebSocket layer above never knows: it reads
//! plaintext and writes plaintext through these functions, which drive a
//! rustls session over the non-blocking socket when there is one and go
//! straight to the socket when there is none. Lobby connections
//! (`web.rs`) and relayed game channels (`relay.rs`) share them.
//!
//! The session is made with `tls::accept` from the `[tls]` pair in force
//! when the connection was accepted, so a pair reloaded on SIGHUP serves
//! the connections that come after it.

use std::io::{self, Read, Write};

use rustls::ServerConnection;

/// Reads plaintext: what rustls already decrypted, else more records from
/// the socket. `Ok(0)` is the end of the stream; `WouldBlock` says the
/// socket is empty for now. Handshake records rustls wants to send are
/// left for [`flush`] (the caller checks [`wants_write`]).
pub fn read<S: Read + Write>(
    sock: &mut S,
    tls: Option<&mut ServerConnection>,
    buf: &mut [u8],
) -> io::Result<usize> {
    let Some(tls) = tls else {
        return retry(|| sock.read(buf));
    };
    loop {
        match tls.reader().read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            // The peer closed without close_notify: an end all the same.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
            Err(e) => return Err(e),
        }
        if retry(|| tls.read_tls(sock))? == 0 {
            return Ok(0);
        }
        if let Err(e) = tls.process_new_packets() {
            // The alert rustls prepared tells the peer why; best effort.
            let _ = tls.write_tls(sock);
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
    }
}

/// Writes plaintext: straight to the socket, or encrypted. With TLS, the
/// records of earlier writes go out first, so rustls holds at most one
/// batch (`tls::BUFFER_LIMIT`); `WouldBlock` means the socket is full.
pub fn write<S: Read + Write>(
    sock: &mut S,
    tls: Option<&mut ServerConnection>,
    bytes: &[u8],
) -> io::Result<usize> {
    let Some(tls) = tls else {
        return retry(|| sock.write(bytes));
    };
    flush(sock, tls)?;
    let n = tls.writer().write(bytes)?;
    if n == 0 && !bytes.is_empty() {
        // Still handshaking: rustls keeps plaintext until it is done, and
        // the reader marks the connection dirty when it can go on.
        return Err(io::ErrorKind::WouldBlock.into());
    }
    match flush(sock, tls) {
        Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
        // Taken; records still queued wait for the socket.
        _ => Ok(n),
    }
}

/// Writes the records rustls holds; `WouldBlock` when the socket did not
/// take them all.
pub fn flush<S: Write>(sock: &mut S, tls: &mut ServerConnection) -> io::Result<()> {
    while tls.wants_write() {
        match tls.write_tls(sock) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Runs a socket call again when a signal interrupted it, so that
/// `WouldBlock` always means the socket is empty (or full): callers rely
/// on it with edge-triggered readiness.
fn retry(mut call: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Whether rustls has records to send (handshake, alerts, data).
pub fn wants_write(tls: Option<&ServerConnection>) -> bool {
    tls.is_some_and(|t| t.wants_write())
}

/// Ends the TLS session politely, as far as the socket takes it now.
pub fn close_notify<S: Write>(sock: &mut S, tls: Option<&mut ServerConnection>) {
    if let Some(tls) = tls {
        tls.send_close_notify();
        let _ = flush(sock, tls);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// One end of an in-memory pipe: reads what the other end wrote,
    /// `WouldBlock` when there is nothing, never blocks on write.
    #[derive(Default)]
    struct Pipe {
        input: Vec<u8>,
        output: Vec<u8>,
    }

    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.input.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.input.len());
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input.drain(..n);
            Ok(n)
        }
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn pair() -> (ServerConnection, rustls::ClientConnection) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().clone();
        let server_config =
            rustls::ServerConfig::builder_with_provider(super::super::tls::provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![der.clone()],
                    rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
                )
                .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(der).unwrap();
        let client_config =
            rustls::ClientConfig::builder_with_provider(super::super::tls::provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let server = super::super::tls::accept(&Arc::new(server_config)).unwrap();
        let client =
            rustls::ClientConnection::new(Arc::new(client_config), "localhost".try_into().unwrap())
                .unwrap();
        (*server, client)
    }

    /// Moves the client's records to the server's socket and back until
    /// neither has anything to say.
    fn shuttle(
        sock: &mut Pipe,
        client: &mut rustls::ClientConnection,
        server: &mut ServerConnection,
    ) {
        for _ in 0..10 {
            while client.wants_write() {
                client.write_tls(&mut sock.input).unwrap();
            }
            let mut buf = [0u8; 64];
            let _ = read(sock, Some(server), &mut buf);
            let _ = flush(sock, server);
            if !sock.output.is_empty() {
                client.read_tls(&mut &sock.output[..]).unwrap();
                sock.output.clear();
                client.process_new_packets().unwrap();
            }
        }
    }

    #[test]
    fn plaintext_crosses_both_ways_and_an_empty_socket_would_block() {
        let (mut server, mut client) = pair();
        let mut sock = Pipe::default();
        shuttle(&mut sock, &mut client, &mut server);
        assert!(!server.is_handshaking());
        let mut buf = [0u8; 64];
        let e = read(&mut sock, Some(&mut server), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);

        client.writer().write_all(b"GET /ws").unwrap();
        while client.wants_write() {
            client.write_tls(&mut sock.input).unwrap();
        }
        let n = read(&mut sock, Some(&mut server), &mut buf).unwrap();
        assert_eq!(&buf[..n], b"GET /ws");

        assert_eq!(write(&mut sock, Some(&mut server), b"101").unwrap(), 3);
        assert!(!wants_write(Some(&server)), "records went out");
        client.read_tls(&mut &sock.output[..]).unwrap();
        client.process_new_packets().unwrap();
        let n = client.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"101");
    }

    #[test]
    fn garbage_instead_of_tls_is_an_error_and_eof_ends() {
        let (mut server, _client) = pair();
        let mut sock = Pipe {
            input: b"GET /ws HTTP/1.1\r\n\r\n".to_vec(),
            ..Pipe::default()
        };
        let mut buf = [0u8; 64];
        let e = read(&mut sock, Some(&mut server), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);

        let (mut server, _client) = pair();
        let mut closed: &[u8] = &[];
        let mut sock = ReadWrite(&mut closed, Vec::new());
        assert_eq!(read(&mut sock, Some(&mut server), &mut buf).unwrap(), 0);
    }

    /// A socket whose reading side has ended.
    struct ReadWrite<'a>(&'a mut &'a [u8], Vec<u8>);

    impl Read for ReadWrite<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Write for ReadWrite<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.1.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn without_tls_bytes_go_straight_through() {
        let mut sock = Pipe {
            input: b"abc".to_vec(),
            ..Pipe::default()
        };
        let mut buf = [0u8; 8];
        assert_eq!(read(&mut sock, None, &mut buf).unwrap(), 3);
        assert_eq!(write(&mut sock, None, b"xyz").unwrap(), 3);
        assert_eq!(sock.output, b"xyz");
        assert!(!wants_write(None));
    }
}
