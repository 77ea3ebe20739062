//! A game server for the end-to-end tests, scriptable by its players and
//! able to misbehave on purpose.
//!
//! `ggzd-test-game MODE`:
//! - `play`: a well-behaved game. It starts when no seat is open or
//!   reserved, and obeys one-line commands from players:
//!   `win` (the sender wins, everyone else loses, then DONE), `tie`, `done`
//!   (DONE without a report), `crash` (exit at once), `fds` (answers with its
//!   open descriptors), `cwd`, `boot NAME`, `bot N`, `open N`, `seats N`,
//!   `raw-open N` / `raw-bot N` (unchecked requests), `garbage` (writes
//!   junk to ggzd). Every event is echoed to all players
//!   as a line, e.g. `join 1 bob`, so tests can wait for it.
//!   Hostile commands, each answered with a line listing the pids of the
//!   processes it left (`pids P...`): `fork-ignore N` (N children that
//!   ignore SIGINT), `setsid-child` (a child in a session of its own),
//!   `setsid-grandchild` (a child ignoring SIGINT whose own child calls
//!   setsid), `orphans` (both kinds, then the game server exits).
//!   `nofile` answers the open-files limit.
//!   `forge NAME` (a report naming NAME), `forge-many` (more records than
//!   seats), `forge-long` (a 30000-byte name), `report-flood N` (N
//!   reports), `seat-flood N` (N seat-count requests alternating 3 and 4,
//!   then one for 2; answers `flooded`), `log-flood N` (N MSG_LOG lines
//!   with a forged line break).
//! - `garbage`: writes junk on the control socket at once.
//! - `silent`: never answers the launch (never reaches WAITING).
//! - `exit`: exits at once.

use std::io::{Read, Write};
use std::os::fd::FromRawFd;

use ggzdmod::{Event, Game, GameResult, GameState, SeatKind, SeatResult};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "play".into());
    match mode.as_str() {
        "garbage" => {
            // SAFETY: fd 3 is the control socket ggzd gave us.
            let mut control = unsafe { std::fs::File::from_raw_fd(3) };
            let _ = control.write_all(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 1, 2, 3]);
            std::thread::sleep(std::time::Duration::from_secs(30));
        }
        "silent" => std::thread::sleep(std::time::Duration::from_secs(60)),
        "exit" => std::process::exit(3),
        _ => play(),
    }
}

fn play() {
    let Ok(mut game) = Game::connect() else {
        std::process::exit(2);
    };
    let mut input: Vec<Vec<u8>> = Vec::new();
    let result = game.run(|game, event| match event {
        Event::Launch => {
            input = vec![Vec::new(); game.num_seats()];
            maybe_start(game);
        }
        Event::SeatChange { seat, .. } => {
            if input.len() <= seat {
                input.resize(seat + 1, Vec::new());
            }
            let (kind, name) = game
                .seat(seat)
                .map(|s| (s.kind(), s.name().unwrap_or("").to_string()))
                .unwrap_or((SeatKind::None, String::new()));
            broadcast(game, &format!("seat {seat} {} {name}", kind.as_str()));
            maybe_start(game);
        }
        Event::SpectatorJoin { spectator, name } => {
            broadcast(game, &format!("spectator {spectator} {name}"));
        }
        Event::PlayerData { seat } => {
            let mut buf = [0u8; 512];
            let n = match game.seat_stream(seat).map(|mut s| s.read(&mut buf)) {
                Some(Ok(n)) if n > 0 => n,
                _ => return,
            };
            let Some(pending) = input.get_mut(seat) else {
                return;
            };
            pending.extend_from_slice(buf.get(..n).unwrap_or_default());
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line).trim().to_string();
                command(game, seat, &line);
            }
        }
        _ => {}
    });
    if let Err(e) = result {
        eprintln!("test game: {e}");
    }
}

fn command(game: &mut Game, seat: usize, line: &str) {
    let (word, arg) = line.split_once(' ').unwrap_or((line, ""));
    match word {
        "win" | "tie" => {
            let results: Vec<SeatResult> = (0..game.num_seats())
                .map(|s| {
                    SeatResult::new(match (word, s == seat) {
                        ("tie", _) => GameResult::Tie,
                        (_, true) => GameResult::Win,
                        _ => GameResult::Loss,
                    })
                })
                .collect();
            let _ = game.report_results(&results);
            let _ = game.set_state(GameState::Done);
        }
        "done" => {
            let _ = game.set_state(GameState::Done);
        }
        "crash" => std::process::exit(1),
        "fds" => {
            let mut fds: Vec<u32> = std::fs::read_dir("/proc/self/fd")
                .map(|d| {
                    d.flatten()
                        .filter_map(|e| e.file_name().to_str()?.parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            fds.sort();
            // The directory handle itself is one of them; drop the highest.
            fds.pop();
            let list: Vec<String> = fds.iter().map(u32::to_string).collect();
            say(game, seat, &format!("fds {}", list.join(" ")));
        }
        "proc" => {
            // SAFETY: plain queries of our own process.
            let (pid, pgid) = unsafe { (libc::getpid(), libc::getpgrp()) };
            // SAFETY: reads the current disposition without changing it.
            let sigpipe_ignored = unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) == 0
                    && old.sa_sigaction == libc::SIG_IGN
            };
            let env = |k: &str| std::env::var(k).unwrap_or_else(|_| "-".into());
            say(
                game,
                seat,
                &format!(
                    "proc own-group={} sigpipe-ignored={sigpipe_ignored} GGZMODE={} GGZSOCKET={}",
                    pid == pgid,
                    env("GGZMODE"),
                    env("GGZSOCKET")
                ),
            );
        }
        "nofile" => {
            // SAFETY: reads our own limit into a local struct.
            let limit = unsafe {
                let mut l: libc::rlimit = std::mem::zeroed();
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
                l.rlim_cur
            };
            say(game, seat, &format!("nofile {limit}"));
        }
        "cwd" => {
            let cwd = std::env::current_dir().unwrap_or_default();
            say(game, seat, &format!("cwd {}", cwd.display()));
        }
        "boot" => {
            let _ = game.request_boot(arg);
        }
        "bot" => {
            let _ = game.request_bot(arg.parse().unwrap_or(usize::MAX));
        }
        "open" => {
            let _ = game.request_open(arg.parse().unwrap_or(usize::MAX));
        }
        "seats" => {
            let _ = game.request_num_seats(arg.parse().unwrap_or(0));
        }
        "raw-open" | "raw-bot" => {
            // Bypasses the library's own range checks, like a buggy C game.
            let opcode: u8 = if word == "raw-open" { 5 } else { 4 };
            let seat: i32 = arg.parse().unwrap_or(99);
            let mut bytes = vec![0, 0, 0, opcode];
            bytes.extend_from_slice(&seat.to_be_bytes());
            // SAFETY: fd 3 is our control socket; ManuallyDrop keeps it open.
            let mut control = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });
            let _ = control.write_all(&bytes);
        }
        "fork-ignore" => {
            let n: usize = arg.parse().unwrap_or(1).min(16);
            let pids: Vec<i32> = (0..n).map(|_| spawn_sleeper(false)).collect();
            say(game, seat, &pids_line(&pids));
        }
        "setsid-child" => {
            let pid = spawn_sleeper(true);
            say(game, seat, &pids_line(&[pid]));
        }
        "setsid-grandchild" => {
            let (child, grandchild) = spawn_with_setsid_grandchild();
            say(game, seat, &pids_line(&[child, grandchild]));
        }
        "orphans" => {
            let a = spawn_sleeper(false);
            let b = spawn_sleeper(true);
            let (c, d) = spawn_with_setsid_grandchild();
            say(game, seat, &pids_line(&[a, b, c, d]));
            std::process::exit(0);
        }
        "forge" => {
            raw_report(&[(arg.to_string(), 3)]);
        }
        "forge-many" => {
            let names: Vec<(String, i32)> = (0..game.num_seats() + 5)
                .map(|i| (format!("p{i}"), 3))
                .collect();
            raw_report(&names);
        }
        "forge-long" => {
            raw_report(&[("x".repeat(30_000), 3)]);
        }
        "report-flood" => {
            let n: usize = arg.parse().unwrap_or(1);
            let name = game
                .seat(seat)
                .and_then(|s| s.name().map(str::to_string))
                .unwrap_or_default();
            for _ in 0..n {
                raw_report(&[(name.clone(), 3)]);
            }
            say(game, seat, "reported");
        }
        "seat-flood" => {
            let n: usize = arg.parse().unwrap_or(1);
            let mut bytes = Vec::new();
            for i in 0..n {
                let seats: i32 = if i % 2 == 0 { 3 } else { 4 };
                bytes.extend_from_slice(&[0, 0, 0, 2]);
                bytes.extend_from_slice(&seats.to_be_bytes());
            }
            bytes.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 2]);
            write_control(&bytes);
            say(game, seat, "flooded");
        }
        "log-flood" => {
            let n: usize = arg.parse().unwrap_or(1);
            let mut bytes = Vec::new();
            for i in 0..n {
                let text = format!("line {i}\nFORGED: admin logged in");
                bytes.extend_from_slice(&[0, 0, 0, 0]);
                bytes.extend_from_slice(&(text.len() as i32 + 1).to_be_bytes());
                bytes.extend_from_slice(text.as_bytes());
                bytes.push(0);
            }
            write_control(&bytes);
            say(game, seat, "logged");
        }
        "garbage" => {
            // SAFETY: writes junk on our own control socket, fd 3.
            let mut control = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });
            let _ = control.write_all(&[0xff, 0xff, 0xff, 0x7f]);
        }
        _ => say(game, seat, &format!("unknown {line}")),
    }
}

fn maybe_start(game: &mut Game) {
    let waiting = game.count_seats(SeatKind::Open) + game.count_seats(SeatKind::Reserved);
    if game.state() == GameState::Waiting
        && waiting == 0
        && game.set_state(GameState::Playing).is_ok()
    {
        broadcast(game, "playing");
    }
}

fn say(game: &Game, seat: usize, text: &str) {
    if let Some(mut stream) = game.seat_stream(seat) {
        let _ = writeln!(stream, "{text}");
    }
}

fn broadcast(game: &Game, text: &str) {
    for seat in 0..game.num_seats() {
        say(game, seat, text);
    }
    for (_, spectator) in game.spectators() {
        let _ = writeln!(spectator.stream(), "{text}");
    }
}

fn pids_line(pids: &[i32]) -> String {
    let list: Vec<String> = pids.iter().map(i32::to_string).collect();
    format!("pids {}", list.join(" "))
}

/// Writes raw bytes on our control socket, bypassing the library.
fn write_control(bytes: &[u8]) {
    // SAFETY: fd 3 is our control socket; ManuallyDrop keeps it open.
    let mut control = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });
    let _ = control.write_all(bytes);
}

/// A game report with whatever records we like: (name, seat type).
fn raw_report(records: &[(String, i32)]) {
    let mut bytes = vec![0, 0, 0, 6];
    bytes.extend_from_slice(&(records.len() as i32).to_be_bytes());
    for (name, kind) in records {
        bytes.extend_from_slice(&(name.len() as i32 + 1).to_be_bytes());
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        for value in [*kind, -1, 0, 0] {
            // kind, team (none), result (win), score
            bytes.extend_from_slice(&value.to_be_bytes());
        }
    }
    write_control(&bytes);
}

/// Forks a child that sleeps forever, ignoring SIGINT unless `setsid`
/// (then it leaves our session and group instead). Returns its pid.
fn spawn_sleeper(setsid: bool) -> i32 {
    // SAFETY: between fork and the endless pause the child calls only
    // async-signal-safe functions.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            if setsid {
                libc::setsid();
            }
            loop {
                libc::pause();
            }
        }
        pid
    }
}

/// Forks a child (ignoring SIGINT) whose own child calls setsid; both
/// sleep forever. Returns (child, grandchild).
fn spawn_with_setsid_grandchild() -> (i32, i32) {
    let mut fds = [0i32; 2];
    // SAFETY: pipe fills the two descriptors; the children use only
    // async-signal-safe calls (fork, write, signal, setsid, pause).
    unsafe {
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            return (-1, -1);
        }
        let child = libc::fork();
        if child == 0 {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            let grandchild = libc::fork();
            if grandchild == 0 {
                libc::setsid();
                loop {
                    libc::pause();
                }
            }
            let bytes = grandchild.to_be_bytes();
            libc::write(fds[1], bytes.as_ptr().cast(), bytes.len());
            loop {
                libc::pause();
            }
        }
        libc::close(fds[1]);
        let mut bytes = [0u8; 4];
        let n = libc::read(fds[0], bytes.as_mut_ptr().cast(), bytes.len());
        libc::close(fds[0]);
        let grandchild = if n == 4 {
            i32::from_be_bytes(bytes)
        } else {
            -1
        };
        (child, grandchild)
    }
}
