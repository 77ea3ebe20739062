//! TicTacToe table churn against a running ggzd: pairs of players launch a
//! table, join it, play a five-move game over their game channels in the
//! original DIO protocol, and leave. Reports games per second and
//! launch-to-ready latency (LAUNCH sent until `RESULT launch ok`, i.e. the
//! game server was started, reported WAITING and the table was announced).
//!
//! `ggzd-table-bench [--addr 127.0.0.1:5688] [--pairs 8] [--seconds 10]
//! [--room 1] [--game 0]`. Loopback only.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use ggzd::client::Client;
use ggzd::proto::request::LoginKind;

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Parser, Debug, Clone)]
#[command(about = "TicTacToe table churn benchmark for ggzd (loopback only)")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:5688")]
    addr: SocketAddr,
    /// Pairs of players, each in its own thread.
    #[arg(long, default_value_t = 8)]
    pairs: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Room of the TicTacToe game.
    #[arg(long, default_value_t = 1)]
    room: u32,
    /// Game type id of TicTacToe.
    #[arg(long, default_value_t = 0)]
    game: u32,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        return Err("refusing a non-loopback target".into());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let started = Instant::now();
    let handles: Vec<_> = (0..args.pairs)
        .map(|pair| {
            let (args, stop, latencies) = (args.clone(), Arc::clone(&stop), Arc::clone(&latencies));
            std::thread::spawn(move || -> Result<usize, Error> {
                let mut games = 0;
                let (mut a, mut b) = (
                    player(&args, &format!("ta{pair}"))?,
                    player(&args, &format!("tb{pair}"))?,
                );
                while !stop.load(Ordering::Relaxed) {
                    let latency = play_one(&args, &mut a, &mut b, pair)?;
                    if let Ok(mut l) = latencies.lock() {
                        l.push(latency);
                    }
                    games += 1;
                }
                Ok(games)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(args.seconds));
    stop.store(true, Ordering::Relaxed);
    let mut games = 0;
    for handle in handles {
        match handle.join() {
            Ok(Ok(n)) => games += n,
            Ok(Err(e)) => eprintln!("a pair failed: {e}"),
            Err(_) => eprintln!("a pair panicked"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    l.sort();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let usage = rusage();
    println!(
        "games {games} in {elapsed:.1} s = {:.0} games/s; launch-to-ready p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; generator CPU {usage:.1} s",
        games as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}

fn rusage() -> f64 {
    // SAFETY: getrusage fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn player(args: &Args, name: &str) -> Result<Client, Error> {
    let mut c = Client::connect(args.addr, TIMEOUT)?;
    let reply = c.login(LoginKind::Guest, name, None, None)?;
    if reply.code != "ok" {
        return Err(format!("login of {name}: {}", reply.code).into());
    }
    c.send(&format!("<ENTER ROOM='{}'/>", args.room))?;
    expect_ok(&mut c, "enter")?;
    Ok(c)
}

fn expect_ok(c: &mut Client, action: &str) -> Result<(), Error> {
    let result = c.expect_result(action, TIMEOUT)?;
    match result.attr("CODE") {
        Some("ok") => Ok(()),
        code => Err(format!("{action}: {code:?}").into()),
    }
}

fn channel(args: &Args, name: &str) -> Result<TcpStream, Error> {
    let mut s = TcpStream::connect(args.addr)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_nodelay(true)?;
    s.write_all(
        format!("<?xml version='1.0'?>\n<SESSION>\n<CHANNEL ID='{name}'/>\n</SESSION>\n")
            .as_bytes(),
    )?;
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"</SERVER>\n</SESSION>\n") {
        if s.read(&mut byte)? == 0 {
            return Err("channel closed".into());
        }
        seen.push(byte[0]);
    }
    Ok(s)
}

/// Reads DIO packets until one with `opcode`.
fn until(s: &mut TcpStream, opcode: i32) -> Result<(), Error> {
    loop {
        let mut len = [0u8; 2];
        s.read_exact(&mut len)?;
        let len = usize::from(u16::from_be_bytes(len));
        let mut payload = vec![0u8; len.saturating_sub(2)];
        s.read_exact(&mut payload)?;
        let op = payload
            .get(..4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if op == Some(opcode) {
            return Ok(());
        }
    }
}

fn send_move(s: &mut TcpStream, square: i32) -> Result<(), Error> {
    let mut packet = vec![0, 10, 0, 0, 0, 0];
    packet.extend_from_slice(&square.to_be_bytes());
    s.write_all(&packet)?;
    Ok(())
}

fn play_one(args: &Args, a: &mut Client, b: &mut Client, pair: usize) -> Result<Duration, Error> {
    const REQ_MOVE: i32 = 4;
    const GAMEOVER: i32 = 3;
    let mut ga = channel(args, &format!("ta{pair}"))?;
    let launched = Instant::now();
    a.send(&format!(
        "<LAUNCH><TABLE GAME='{}' SEATS='2'><SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='open'/></TABLE></LAUNCH>",
        args.game
    ))?;
    expect_ok(a, "launch")?;
    let latency = launched.elapsed();
    let join = a.recv_until(TIMEOUT, |e| e.is("JOIN"))?;
    let table = join.attr("TABLE").unwrap_or("0").to_string();
    let mut gb = channel(args, &format!("tb{pair}"))?;
    b.send(&format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"))?;
    expect_ok(b, "join")?;
    // Seat 0 wins on the top row: 0, 1, 2 against 3, 4.
    for (n, square) in [0, 3, 1, 4, 2].into_iter().enumerate() {
        let s = if n % 2 == 0 { &mut ga } else { &mut gb };
        until(s, REQ_MOVE)?;
        send_move(s, square)?;
    }
    until(&mut ga, GAMEOVER)?;
    for c in [a, b] {
        c.recv_until(TIMEOUT, |e| e.is("LEAVE"))?;
        // Drop what piled up (room updates) so the backlog stays small.
        while c.recv(Duration::ZERO).ok().flatten().is_some() {}
    }
    Ok(latency)
}
