//! `nonreaders`: clients that join a room and never read again, while one
//! sender floods the room with chat. Shows what a client that does not
//! read costs the kernel (`/proc/net/sockstat` TCP memory, both ends of
//! every loopback connection) and whether ggzd drops such clients: with a
//! bounded send buffer (`abuse.send_buffer`) each costs at most its output
//! queue plus that buffer before it is dropped.

use std::io::{self, Read, Write};
use std::time::Duration;

use ggzd::client::Client;
use ggzd::proto::request::LoginKind;

use super::clock::{monotonic_ns, secs};
use super::crowd::Target;
use super::procfs::kernel_tcp_mem_kib;
use super::report::Report;

#[derive(Debug, Clone)]
pub struct NonReaderOptions {
    pub clients: usize,
    pub room: u32,
    /// Chat messages the sender sends.
    pub chats: usize,
    pub prefix: String,
}

fn join(target: &Target, name: &str, room: u32) -> io::Result<Client> {
    let mut c = Client::connect(target.server, Duration::from_secs(30))?;
    let reply = c.login(LoginKind::Guest, name, None, None)?;
    if reply.code != "ok" {
        return Err(io::Error::other(format!("{name}: login {}", reply.code)));
    }
    c.send(&format!("<ENTER ROOM='{room}'/>\n"))?;
    let entered = c.expect_result("enter", Duration::from_secs(30))?;
    if entered.attr("CODE") != Some("ok") {
        return Err(io::Error::other(format!(
            "{name}: cannot enter room {room}"
        )));
    }
    Ok(c)
}

pub fn run(target: &Target, o: &NonReaderOptions) -> io::Result<Report> {
    target.probe()?;
    let mut r = Report::new("nonreaders");
    r.count("clients", o.clients as u64);
    r.maybe_count("tcp_mem_before_kib", kernel_tcp_mem_kib());
    let mut readers_not = Vec::with_capacity(o.clients);
    for i in 0..o.clients {
        readers_not.push(join(target, &format!("{}{i}", o.prefix), o.room)?.into_stream());
    }
    r.maybe_count("tcp_mem_joined_kib", kernel_tcp_mem_kib());

    // The sender reads (and discards) on a thread of its own, so that it
    // is not one of the clients that do not read.
    let sender = join(target, &format!("{}sender", o.prefix), o.room)?;
    let mut out = sender.into_stream();
    let mut input = out.try_clone()?;
    input.set_read_timeout(Some(Duration::from_millis(200)))?;
    let drain = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match input.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return,
            }
        }
    });
    let text = "x".repeat(400);
    let chat = format!("<CHAT TYPE='normal'><![CDATA[{text}]]></CHAT>\n");
    let started = monotonic_ns();
    let mut peak = 0;
    for i in 0..o.chats {
        if target.left().is_none() {
            r.fail("the run timed out (--timeout)");
            break;
        }
        out.write_all(chat.as_bytes())?;
        if i % 50 == 0 {
            peak = peak.max(kernel_tcp_mem_kib().unwrap_or(0));
            // Give the server time to fan out; the sender is not the test.
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    peak = peak.max(kernel_tcp_mem_kib().unwrap_or(0));
    r.real("flood_s", secs(monotonic_ns().saturating_sub(started)), 1);
    r.count("tcp_mem_peak_kib", peak);

    // Which of them did ggzd drop? Read each to its end or until it stalls.
    let mut dropped = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    for stream in &mut readers_not {
        stream.set_read_timeout(Some(Duration::from_millis(100)))?;
        loop {
            match stream.read(&mut buf) {
                Ok(0) => {
                    dropped += 1;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                Err(_) => {
                    dropped += 1;
                    break;
                }
            }
        }
    }
    r.count("nonreaders_dropped", dropped);
    drop(readers_not);
    // The drain thread holds a clone of the socket: shut it down.
    let _ = out.shutdown(std::net::Shutdown::Both);
    let _ = drain.join();
    std::thread::sleep(Duration::from_secs(1));
    r.maybe_count("tcp_mem_after_kib", kernel_tcp_mem_kib());
    Ok(r)
}
