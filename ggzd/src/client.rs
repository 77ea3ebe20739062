//! A small typed blocking GGZ client, for end-to-end tests and tools.
//!
//! It speaks just enough of the client side of the protocol to drive a
//! server: it reads the greeting, sends the client header, and hands back
//! decoded server messages, keeping any it was not asked for in a backlog
//! so that tests can wait for one message without losing the others.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::proto::decoder::{Decoder, Event, Limits};
use crate::proto::element::Element;
use crate::proto::escape::escape;
use crate::proto::request::LoginKind;

/// Most messages kept unread before the client refuses to buffer more.
const MAX_BACKLOG: usize = 65_536;

/// Bytes asked for per read.
const READ_CHUNK: usize = 16 * 1024;

/// The client header sent after the greeting (docs/client-server.md §4).
pub const HEADER: &str = "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n";

/// The answer to a LOGIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginReply {
    /// The `CODE` of `RESULT ACTION='login'`.
    pub code: String,
    /// The echoed password of a successful `first` login.
    pub password: Option<String>,
}

/// A connection to a GGZ server; see the module docs.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    decoder: Decoder,
    /// Received bytes not yet consumed by the decoder.
    buf: Vec<u8>,
    backlog: VecDeque<Element>,
    server: Element,
    /// Default wait for helpers without a timeout argument (login).
    timeout: Duration,
    eof: bool,
}

/// The `CODE` attribute of a `RESULT` element.
pub fn result_code(e: &Element) -> Option<&str> {
    e.attr("CODE")
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(ErrorKind::TimedOut, format!("timed out waiting for {what}"))
}

fn closed() -> io::Error {
    io::Error::new(ErrorKind::UnexpectedEof, "connection closed by server")
}

fn session_over() -> io::Error {
    io::Error::new(ErrorKind::UnexpectedEof, "server ended the session")
}

/// `timeout` from now; an absurdly long timeout saturates instead of
/// overflowing.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

/// Time left until `deadline`, at least a millisecond: a zero read timeout
/// would mean "block forever" to the OS and is refused by std.
fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        None
    } else {
        Some(left.max(Duration::from_millis(1)))
    }
}

impl Client {
    /// Connects, reads the greeting up to the end of `SERVER` and sends the
    /// client header. `timeout` bounds connecting and the greeting and is
    /// the default for [`Client::login`].
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Client> {
        let mut client = Self::connect_raw(addr, timeout)?;
        client.send(HEADER)?;
        Ok(client)
    }

    /// Like [`Client::connect`] but sends nothing; the caller writes its
    /// own header (or none).
    pub fn connect_raw(addr: SocketAddr, timeout: Duration) -> io::Result<Client> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        Self::greeted(stream, timeout)
    }

    /// Like [`Client::connect`], from the local address `local` (on
    /// loopback, any 127.x.y.z: how tests play several hosts).
    pub fn connect_from(
        local: std::net::IpAddr,
        addr: SocketAddr,
        timeout: Duration,
    ) -> io::Result<Client> {
        let mut client = Self::greeted(bound_stream(local, addr)?, timeout)?;
        client.send(HEADER)?;
        Ok(client)
    }

    fn greeted(stream: TcpStream, timeout: Duration) -> io::Result<Client> {
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(timeout))?;
        let mut client = Client {
            stream,
            decoder: Decoder::new(Limits::CLIENT),
            buf: Vec::new(),
            backlog: VecDeque::new(),
            server: Element::default(),
            timeout,
            eof: false,
        };
        let deadline = deadline_after(timeout);
        loop {
            match client.next_from_socket(deadline)? {
                Some(e) if e.is("SERVER") => {
                    client.server = e;
                    return Ok(client);
                }
                Some(_) => {}
                None => return Err(timed_out("the server greeting")),
            }
        }
    }

    /// The SERVER element of the greeting.
    pub fn server(&self) -> &Element {
        &self.server
    }

    /// Writes bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Writes an XML fragment as it is.
    pub fn send(&mut self, xml: &str) -> io::Result<()> {
        self.send_raw(xml.as_bytes())
    }

    /// Sends a LOGIN the way ggzcore does and waits (up to the connect
    /// timeout) for `RESULT ACTION='login'`.
    pub fn login(
        &mut self,
        kind: LoginKind,
        name: &str,
        password: Option<&str>,
        email: Option<&str>,
    ) -> io::Result<LoginReply> {
        let mut xml = format!(
            "<LOGIN TYPE='{}'>\n<NAME>{}</NAME>\n",
            kind.as_str(),
            escape(name)
        );
        if let Some(p) = password {
            xml.push_str(&format!("<PASSWORD>{}</PASSWORD>\n", escape(p)));
        }
        if let Some(e) = email {
            xml.push_str(&format!("<EMAIL>{}</EMAIL>\n", escape(e)));
        }
        xml.push_str("</LOGIN>\n");
        self.send(&xml)?;
        let reply = self.expect_result("login", self.timeout)?;
        Ok(LoginReply {
            code: result_code(&reply).unwrap_or_default().to_owned(),
            password: reply.child("PASSWORD").map(|p| p.text.clone()),
        })
    }

    /// The next message, from the backlog or the socket; `Ok(None)` if
    /// none arrives within `timeout`. Errors when the server closed the
    /// connection or ended the session and nothing is left to read.
    pub fn recv(&mut self, timeout: Duration) -> io::Result<Option<Element>> {
        if let Some(e) = self.backlog.pop_front() {
            return Ok(Some(e));
        }
        self.next_from_socket(deadline_after(timeout))
    }

    /// The first message matching `pred`, waiting up to `timeout`. Messages
    /// that do not match stay in the backlog, in order.
    pub fn recv_until(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&Element) -> bool,
    ) -> io::Result<Element> {
        if let Some(i) = self.backlog.iter().position(&mut pred)
            && let Some(e) = self.backlog.remove(i)
        {
            return Ok(e);
        }
        let deadline = deadline_after(timeout);
        loop {
            match self.next_from_socket(deadline)? {
                Some(e) if pred(&e) => return Ok(e),
                Some(e) => self.push_backlog(e)?,
                None => return Err(timed_out("a matching message")),
            }
        }
    }

    /// The next `RESULT` with the given ACTION (case-insensitive).
    pub fn expect_result(&mut self, action: &str, timeout: Duration) -> io::Result<Element> {
        self.recv_until(timeout, |e| {
            e.is("RESULT")
                && e.attr("ACTION")
                    .is_some_and(|a| a.eq_ignore_ascii_case(action))
        })
    }

    /// Whether the server sent `</SESSION>`.
    pub fn session_ended(&self) -> bool {
        self.decoder.session_ended()
    }

    /// Waits up to `timeout` for the server to close the connection;
    /// `true` once EOF or a reset is seen. Messages arriving meanwhile go
    /// to the backlog (when there is room); bytes after `</SESSION>` are
    /// discarded.
    pub fn wait_closed(&mut self, timeout: Duration) -> io::Result<bool> {
        let deadline = deadline_after(timeout);
        loop {
            if self.eof {
                return Ok(true);
            }
            // Decode whatever is buffered first, so nothing is lost.
            loop {
                match self.decode_buffered() {
                    Ok(Some(e)) => {
                        if self.backlog.len() < MAX_BACKLOG {
                            self.backlog.push_back(e);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        // Undecodable input is of no use to anyone now.
                        self.buf.clear();
                        break;
                    }
                }
            }
            if self.decoder.session_ended() {
                self.buf.clear();
            }
            let Some(left) = remaining(deadline) else {
                return Ok(false);
            };
            match self.read_some(left) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                    ) =>
                {
                    self.eof = true;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Ends the session: sends `</SESSION>`.
    pub fn logout(&mut self) -> io::Result<()> {
        self.send("</SESSION>\n")
    }

    /// Closes the sending direction.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    /// The underlying socket.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// The socket, e.g. a prepared game channel. Bytes already read but
    /// not consumed by the XML decoder are dropped; see
    /// [`Client::into_parts`] to keep them.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    /// The socket and any bytes read past the last decoded token (for a
    /// game channel: what followed the server's `</SESSION>`).
    pub fn into_parts(self) -> (TcpStream, Vec<u8>) {
        (self.stream, self.buf)
    }

    fn push_backlog(&mut self, e: Element) -> io::Result<()> {
        if self.backlog.len() >= MAX_BACKLOG {
            return Err(io::Error::other("too many unread messages"));
        }
        self.backlog.push_back(e);
        Ok(())
    }

    /// Runs the decoder over the buffered bytes until it produces an
    /// element or needs more input.
    fn decode_buffered(&mut self) -> io::Result<Option<Element>> {
        loop {
            let progress = self
                .decoder
                .feed(&self.buf)
                .map_err(|e| io::Error::new(ErrorKind::InvalidData, e))?;
            self.buf.drain(..progress.consumed.min(self.buf.len()));
            match progress.event {
                Some(Event::Element(e)) => return Ok(Some(e)),
                Some(Event::SessionStart | Event::SessionEnd) => {}
                None => return Ok(None),
            }
        }
    }

    /// Reads once, waiting up to `wait`. `Ok(false)` on timeout, `Ok(true)`
    /// when bytes arrived or EOF was seen (then `self.eof` is set).
    fn read_some(&mut self, wait: Duration) -> io::Result<bool> {
        self.stream.set_read_timeout(Some(wait))?;
        let mut chunk = [0u8; READ_CHUNK];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.eof = true;
                Ok(true)
            }
            Ok(n) => {
                self.buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default());
                Ok(true)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// The next message from the socket; `Ok(None)` at the deadline.
    fn next_from_socket(&mut self, deadline: Instant) -> io::Result<Option<Element>> {
        loop {
            if let Some(e) = self.decode_buffered()? {
                return Ok(Some(e));
            }
            if self.decoder.session_ended() {
                return Err(session_over());
            }
            if self.eof {
                return Err(closed());
            }
            let Some(left) = remaining(deadline) else {
                return Ok(None);
            };
            self.read_some(left)?;
        }
    }
}

/// A TCP connection to `addr` from `local` (port chosen by the kernel).
pub fn bound_stream(local: std::net::IpAddr, addr: SocketAddr) -> io::Result<TcpStream> {
    use nix::sys::socket::{
        AddressFamily, SockFlag, SockType, SockaddrStorage, bind, connect, socket,
    };
    use std::os::fd::AsRawFd;
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    bind(
        fd.as_raw_fd(),
        &SockaddrStorage::from(SocketAddr::new(local, 0)),
    )?;
    connect(fd.as_raw_fd(), &SockaddrStorage::from(addr))?;
    Ok(TcpStream::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply;
    use crate::proto::types::ResultCode;
    use std::io::BufRead;
    use std::net::TcpListener;
    use std::thread;

    const T: Duration = Duration::from_secs(5);

    /// A one-connection fake server on loopback running `script`.
    fn serve(
        script: impl FnOnce(TcpStream) + Send + 'static,
    ) -> (SocketAddr, thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            script(stream);
        });
        (addr, handle)
    }

    fn greet(s: &mut TcpStream) {
        s.write_all(reply::greeting_with_version("0.0.14", "Test Zone", false, 512).as_bytes())
            .unwrap();
    }

    /// Reads lines until one equals `line`; returns everything read.
    fn read_until_line(r: &mut impl BufRead, line: &str) -> String {
        let mut all = String::new();
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap() == 0 {
                return all;
            }
            all.push_str(&l);
            if l.trim_end() == line {
                return all;
            }
        }
    }

    #[test]
    fn greeting_header_login_and_backlog() {
        let (addr, server) = serve(|mut s| {
            greet(&mut s);
            let mut r = std::io::BufReader::new(s.try_clone().unwrap());
            let got = read_until_line(&mut r, "</LOGIN>");
            assert_eq!(
                got,
                "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
                 <LOGIN TYPE='first'>\n<NAME>a&lt;b</NAME>\n<PASSWORD>pw</PASSWORD>\n\
                 <EMAIL>e@x</EMAIL>\n</LOGIN>\n"
            );
            s.write_all(reply::chat("normal", "x", Some("early")).as_bytes())
                .unwrap();
            // Split a message across writes to exercise buffering.
            let msg = reply::result_login_first_ok("pw");
            let (a, b) = msg.split_at(7);
            s.write_all(a.as_bytes()).unwrap();
            s.flush().unwrap();
            thread::sleep(Duration::from_millis(20));
            s.write_all(b.as_bytes()).unwrap();
            s.write_all(reply::motd("\nhello\n", "").as_bytes())
                .unwrap();
            let got = read_until_line(&mut r, "</SESSION>");
            assert_eq!(got, "</SESSION>\n");
            s.write_all(reply::session_end().as_bytes()).unwrap();
        });
        let mut c = Client::connect(addr, T).unwrap();
        assert_eq!(c.server().attr("VERSION"), Some("10"));
        assert_eq!(c.server().attr("NAME"), Some("Test Zone"));
        assert_eq!(
            c.server().child("OPTIONS").and_then(|o| o.attr("CHATLEN")),
            Some("512")
        );
        let reply = c
            .login(LoginKind::First, "a<b", Some("pw"), Some("e@x"))
            .unwrap();
        assert_eq!(
            reply,
            LoginReply {
                code: "ok".into(),
                password: Some("pw".into())
            }
        );
        // The chat that came before the RESULT stayed in the backlog.
        let chat = c.recv(T).unwrap().unwrap();
        assert_eq!(chat.name, "CHAT");
        assert_eq!(chat.text, "early");
        let motd = c.recv_until(T, |e| e.is("MOTD")).unwrap();
        assert_eq!(motd.text, "\nhello\n");
        c.logout().unwrap();
        assert!(c.wait_closed(T).unwrap());
        assert!(c.session_ended());
        let err = c.recv(Duration::from_millis(10)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        server.join().unwrap();
    }

    #[test]
    fn timeouts_and_expect_result() {
        let (addr, server) = serve(|mut s| {
            greet(&mut s);
            s.write_all(reply::ping().as_bytes()).unwrap();
            s.write_all(reply::result("list", ResultCode::NotLoggedIn).as_bytes())
                .unwrap();
            s.write_all(reply::result("chat", ResultCode::Ok).as_bytes())
                .unwrap();
            // Keep the connection open until the client is done.
            let mut sink = [0u8; 64];
            while s.read(&mut sink).map(|n| n > 0).unwrap_or(false) {}
        });
        let mut c = Client::connect(addr, T).unwrap();
        let r = c.expect_result("chat", T).unwrap();
        assert_eq!(result_code(&r), Some("ok"));
        let r = c.expect_result("LIST", T).unwrap();
        assert_eq!(result_code(&r), Some("not logged in"));
        assert_eq!(c.recv(T).unwrap().unwrap().name, "PING");
        assert!(c.recv(Duration::from_millis(30)).unwrap().is_none());
        let err = c
            .expect_result("enter", Duration::from_millis(30))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert!(!c.wait_closed(Duration::from_millis(30)).unwrap());
        c.shutdown_write().unwrap();
        assert!(c.wait_closed(T).unwrap());
        server.join().unwrap();
    }

    #[test]
    fn raw_connect_full_server_and_bad_xml() {
        let (addr, server) = serve(|mut s| {
            s.write_all(reply::greeting_full_with_version("0.0.14", "Z").as_bytes())
                .unwrap();
        });
        let mut c = Client::connect_raw(addr, T).unwrap();
        assert_eq!(c.server().attr("STATUS"), Some("full"));
        assert!(c.wait_closed(T).unwrap());
        server.join().unwrap();

        let (addr, server) = serve(|mut s| {
            greet(&mut s);
            s.write_all(b"<RESULT ACTION='protocol' CODE='bad xml'/>\n<oops></nope>")
                .unwrap();
        });
        let mut c = Client::connect(addr, T).unwrap();
        let r = c.recv(T).unwrap().unwrap();
        assert_eq!(result_code(&r), Some("bad xml"));
        let err = c.recv(T).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        server.join().unwrap();
    }

    #[test]
    fn channel_hand_off_keeps_following_bytes() {
        let (addr, server) = serve(|mut s| {
            greet(&mut s);
            let mut r = std::io::BufReader::new(s.try_clone().unwrap());
            let got = read_until_line(&mut r, "</SESSION>");
            assert!(got.ends_with("<CHANNEL ID='bob' />\n</SESSION>\n"));
            s.write_all(b"</SESSION>\nGAME").unwrap();
        });
        let mut c = Client::connect(addr, T).unwrap();
        c.send("<CHANNEL ID='bob' />\n").unwrap();
        c.logout().unwrap();
        let err = c.recv(T).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert!(c.session_ended());
        let (mut stream, mut rest) = c.into_parts();
        // Whatever was not in the first read is still on the socket.
        stream.set_read_timeout(Some(T)).unwrap();
        let mut more = Vec::new();
        stream.read_to_end(&mut more).unwrap();
        rest.extend(more);
        assert_eq!(rest, b"\nGAME");
        server.join().unwrap();
    }

    #[test]
    fn connect_timeout_without_greeting() {
        let (addr, server) = serve(|s| {
            thread::sleep(Duration::from_millis(300));
            drop(s);
        });
        let err = Client::connect(addr, Duration::from_millis(50)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        server.join().unwrap();
    }
}
