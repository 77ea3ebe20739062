//! TLS_START end to end: `ggz` logging in and chatting over TLS, refusing
//! certificates it must not trust, a certificate reload under a connected
//! client, and what plain or broken clients get. Certificates are made at
//! test time with rcgen.

#[path = "support/test_ca.rs"]
mod test_ca;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ggzd::proto::request::LoginKind;
use ggzd_e2e::*;
use test_ca::{Ca, install};

const WAIT: Duration = Duration::from_secs(30);

fn tls_server(pair: &(String, String), extra: &str) -> (TestServer, TempDir) {
    let certs = TempDir::new("tls");
    install(certs.path(), pair);
    let server = TestServer::start_with(ServerOptions {
        extra_config: format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\n{extra}",
            certs.path().join("cert.pem").display(),
            certs.path().join("key.pem").display()
        ),
        ..ServerOptions::default()
    });
    (server, certs)
}

/// A running `ggz --script`.
struct Ggz {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Option<thread::JoinHandle<String>>,
}

impl Ggz {
    fn start(server: &TestServer, args: &[&str], env: &[(&str, &str)], script: &str) -> Ggz {
        let mut command = Command::new(bin("ggz"));
        // `name@` in `args` becomes `name@address`.
        let (users, args): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.ends_with('@'));
        let target = format!("{}{}", users.first().unwrap_or(&""), server.addr);
        command
            .args(["--script", "--timeout", "20"])
            .args(args)
            .arg(target)
            .env_remove("GGZ_PASSWORD")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start ggz");
        let mut stdin = child.stdin.take();
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(script.as_bytes());
        }
        let mut stdout = child.stdout.take().expect("stdout");
        let output = thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        Ggz {
            child,
            stdin,
            output: Some(output),
        }
    }

    fn type_line(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            stdin.write_all(line.as_bytes()).expect("write to ggz");
        }
    }

    /// Closes stdin, waits for the exit: (exit code, stdout).
    fn finish(mut self) -> (Option<i32>, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(20));
        };
        let out = self.output.take().map(|o| o.join().unwrap_or_default());
        (status, out.unwrap_or_default())
    }
}

impl Drop for Ggz {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(server: &TestServer, args: &[&str], env: &[(&str, &str)], script: &str) -> (i32, String) {
    let (code, out) = Ggz::start(server, args, env, script).finish();
    (code.unwrap_or(-1), out)
}

fn ca_arg(dir: &TempDir, ca: &Ca, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    ca.write_pem(&path);
    path
}

#[test]
fn password_login_and_chat_over_tls() {
    let ca = Ca::new("Test CA");
    let (server, certs) = tls_server(&ca.server(false), "login_requires_tls = true\n");
    let ca_file = ca_arg(&certs, &ca, "ca.pem");
    let ca_file = ca_file.to_str().unwrap();
    // A registration sends a password: allowed only inside TLS here.
    let (code, out) = run(
        &server,
        &["--ca", ca_file, "--register", "--name", "alice"],
        &[("GGZ_PASSWORD", "sesame")],
        "/enter 1\nhello over tls\n/quit\n",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("starting TLS"), "{out}");
    assert!(out.contains("chat alice: hello over tls"), "{out}");

    // A normal login over TLS; a plain player in the room reads the chat.
    let mut watcher = server.guest_in_room("watcher", 1);
    let (code, out) = run(
        &server,
        &["--ca", ca_file, "alice@"],
        &[("GGZ_PASSWORD", "sesame")],
        "/enter 1\nsecond\n/quit\n",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("logged in as alice"), "{out}");
    let chat = watcher
        .recv_until(WAIT, |e| e.name == "CHAT" && e.text.contains("second"))
        .expect("alice's chat");
    assert_eq!(chat.attr("FROM"), Some("alice"));

    // Without TLS the same password login is refused, the connection
    // kept; a guest (no password) may still come in plain.
    let mut plain = server.connect();
    assert_eq!(
        plain.server().attr("TLS_SUPPORT"),
        Some("yes"),
        "the greeting offers TLS"
    );
    let reply = plain
        .login(LoginKind::Normal, "alice", Some("sesame"), None)
        .unwrap();
    assert_eq!(reply.code, "wrong login type");
    let reply = plain.login(LoginKind::Guest, "carol", None, None).unwrap();
    assert_eq!(reply.code, "ok");
    let (code, out) = run(
        &server,
        &["--no-tls", "alice@"],
        &[("GGZ_PASSWORD", "sesame")],
        "",
    );
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("wrong login type"), "{out}");
}

#[test]
fn untrusted_or_expired_certificates_are_refused() {
    let ca = Ca::new("Test CA");
    let other = Ca::new("Someone Else");
    let (server, certs) = tls_server(&other.server(false), "");
    let ca_file = ca_arg(&certs, &ca, "ca.pem");
    let ca_file = ca_file.to_str().unwrap();
    let (code, out) = run(&server, &["--ca", ca_file], &[], "/quit\n");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("invalid peer certificate"), "{out}");
    assert!(!out.contains("logged in"), "{out}");
    // The system roots do not know our test authorities either.
    let (code, out) = run(&server, &[], &[], "/quit\n");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("invalid peer certificate"), "{out}");
    // --insecure talks to anyone, still encrypted.
    let (code, out) = run(&server, &["--insecure"], &[], "/quit\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("logged in"), "{out}");

    let (server, certs) = tls_server(&ca.server(true), "");
    let ca_file = ca_arg(&certs, &ca, "ca.pem");
    let (code, out) = run(
        &server,
        &["--ca", ca_file.to_str().unwrap()],
        &[],
        "/quit\n",
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("expired"), "{out}");
}

#[test]
fn certificate_reload_keeps_clients_and_serves_new_ones() {
    let old_ca = Ca::new("Old CA");
    let new_ca = Ca::new("New CA");
    let (server, certs) = tls_server(&old_ca.server(false), "");
    let old = ca_arg(&certs, &old_ca, "old.pem");
    let new = ca_arg(&certs, &new_ca, "new.pem");
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());

    let mut alice = Ggz::start(
        &server,
        &["--ca", old, "--name", "alice"],
        &[],
        "/enter 1\nbefore\n",
    );
    let watcher = server.guest_in_room("watcher", 1);
    let mut watcher = watcher;
    watcher
        .recv_until(WAIT, |e| e.name == "CHAT" && e.text.contains("before"))
        .expect("alice's first chat");

    install(certs.path(), &new_ca.server(false));
    server.signal(libc::SIGHUP);
    server
        .wait_for_log("TLS certificate and key reloaded", WAIT)
        .expect("reload logged");

    // The connected client keeps its session.
    alice.type_line("after\n");
    watcher
        .recv_until(WAIT, |e| e.name == "CHAT" && e.text.contains("after"))
        .expect("alice's chat after the reload");

    // A new client sees the new certificate.
    let (code, out) = run(&server, &["--ca", new, "--name", "bob"], &[], "/quit\n");
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&server, &["--ca", old, "--name", "bob"], &[], "/quit\n");
    assert_eq!(code, 3, "{out}");

    // A bad file keeps the pair in use, and says why.
    std::fs::write(certs.path().join("cert.pem"), "garbage").unwrap();
    server.signal(libc::SIGHUP);
    server
        .wait_for_log("TLS reload failed, keeping the old certificate", WAIT)
        .expect("failed reload logged");
    let (code, out) = run(&server, &["--ca", new, "--name", "carl"], &[], "/quit\n");
    assert_eq!(code, 0, "{out}");

    alice.type_line("/quit\n");
    let (code, out) = alice.finish();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("chat alice: after"), "{out}");
}

/// Sends the session header, `<TLS_START/>` and `tail` on a raw socket;
/// returns what came back until the server closed (`None` if it did not
/// close within the wait).
fn raw_tls_start(server: &TestServer, tail: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut bytes = b"<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<TLS_START/>".to_vec();
    bytes.extend_from_slice(tail);
    stream.write_all(&bytes).unwrap();
    let mut got = Vec::new();
    // A server that closes with input unread resets the connection; what
    // it wrote before is still in `got`.
    let closed = match stream.read_to_end(&mut got) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    closed.then(|| String::from_utf8_lossy(&got).into_owned())
}

/// A whole TLS handshake record whose message is nonsense.
const BAD_HELLO: &[u8] = b"\x16\x03\x01\x00\x08\x01\x00\x00\x04garb";

#[test]
fn tls_start_without_tls_is_ignored_and_costs_only_its_sender() {
    // As in the original, TLS_START is not answered when TLS is not
    // offered. A client that goes on with a handshake sends bytes that are
    // not XML text (0x16 is a control character): like the original's
    // expat, the decoder refuses them at once with `bad xml`, long before
    // the login timeout.
    let server = TestServer::start();
    let mut bystander = server.guest_in_room("bystander", 1);
    let got = raw_tls_start(&server, BAD_HELLO).expect("closed at once");
    assert!(got.contains("TLS_SUPPORT='no'"), "{got}");
    assert!(
        got.ends_with("<RESULT ACTION='protocol' CODE='bad xml'/>\n"),
        "{got}"
    );
    // The log line may reach the harness after the close.
    assert!(
        server
            .wait_for_log("TLS_START refused: TLS is not offered", TIMEOUT)
            .is_some()
    );
    bystander
        .send("<CHAT TYPE='normal'>still here</CHAT>")
        .unwrap();
    assert_eq!(result_code(&mut bystander, "chat"), "ok");
}

#[test]
fn garbage_after_tls_start_costs_only_its_sender() {
    let ca = Ca::new("Test CA");
    let (server, _certs) = tls_server(&ca.server(false), "");
    let mut bystander = server.guest_in_room("bystander", 1);
    let got = raw_tls_start(&server, BAD_HELLO).expect("closed");
    // No XML after TLS_START: the server answers in TLS (an alert) or not
    // at all, and closes.
    assert!(got.contains("TLS_SUPPORT='yes'"), "{got}");
    assert!(!got.contains("RESULT"), "{got}");
    server
        .wait_for_log("TLS failed", WAIT)
        .expect("the failure logged");
    bystander
        .send("<CHAT TYPE='normal'>still here</CHAT>")
        .unwrap();
    assert_eq!(result_code(&mut bystander, "chat"), "ok");
}

#[test]
fn bench_idle_and_chat_over_tls() {
    let ca = Ca::new("Test CA");
    let (server, _certs) = tls_server(&ca.server(false), "");
    let json = bench(
        &server,
        &[
            "idle",
            "--tls",
            "--clients",
            "12",
            "--hold",
            "0.2",
            "--concurrency",
            "4",
        ],
    );
    assert!(json.contains("\"transport\":\"tls\""), "{json}");
    assert!(json.contains("\"joined\":12"), "{json}");
    let json = bench(
        &server,
        &[
            "chat",
            "--tls",
            "--clients",
            "8",
            "--senders",
            "2",
            "--messages",
            "5",
        ],
    );
    assert!(json.contains("\"deliveries_lost\":0"), "{json}");
    assert!(json.contains("\"chats_sent\":10"), "{json}");
    // Plain clients against the same server are still plain.
    let json = bench(&server, &["idle", "--clients", "3", "--hold", "0.1"]);
    assert!(json.contains("\"transport\":\"plain\""), "{json}");
    assert!(json.contains("\"joined\":3"), "{json}");
}

#[test]
fn client_hello_in_the_same_segment_as_tls_start() {
    // The rule of docs/client-server.md §4: the plain part ends right after `/>`
    // even when the ClientHello came in the same write.
    let ca = Ca::new("Test CA");
    let (server, _certs) = tls_server(&ca.server(false), "");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = rustls::ClientConnection::new(ca.client(), name).unwrap();

    let client = ggzd::client::Client::connect_raw(server.addr, WAIT).unwrap();
    assert_eq!(client.server().attr("TLS_SUPPORT"), Some("yes"));
    let (mut stream, rest) = client.into_parts();
    assert!(rest.iter().all(u8::is_ascii_whitespace), "{rest:?}");
    let mut first = b"<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n<TLS_START/>".to_vec();
    tls.write_tls(&mut first).unwrap();
    stream.write_all(&first).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();

    let mut tls = rustls::StreamOwned::new(tls, stream);
    tls.write_all(b"<LOGIN TYPE='guest'><NAME>early</NAME></LOGIN>\n")
        .unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("</MOTD>") {
        let n = tls.read(&mut chunk).expect("read inside TLS");
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains("<RESULT ACTION='login' CODE='ok'/>"),
        "{text}"
    );
    tls.write_all(b"</SESSION>\n").unwrap();
    let mut tail = Vec::new();
    // The server ends its document, says close_notify and closes.
    let _ = tls.read_to_end(&mut tail);
    assert!(String::from_utf8_lossy(&tail).contains("</SESSION>"));
}
