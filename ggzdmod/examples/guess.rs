//! "Closest guess wins": a minimal ggzd game server to start from.
//!
//! Once every seat holds a player or a bot, each player is sent the line
//! `guess 1-100 vN` and answers with a number on a line of its own. Bots
//! guess 50. Whoever is closest to the secret number wins (ties possible);
//! everyone gets `secret N: win|tie|loss`, the result goes to ggzd and the
//! game ends. A player who leaves during the game forfeits it.
//!
//! The game keeps an event log (docs/event-log.md): `start`, one `guess`
//! per accepted guess (seat, then the number as a big-endian `i32`) and
//! `over`, reported to ggzd as the table's savegame. `vN` is the state
//! version, the log's last sequence number. A guess may quote the version
//! it was made against (`40 v1`); if another guess was recorded since, it
//! is refused with `stale vM` and the player guesses again, quoting `vM`.
//! This is the crate's stale-move helper at work (docs/event-log.md §5).
//! A guess without a version is taken as it comes.
//!
//! ggzd starts it with `GGZMODE=true` and the control socket on fd 3;
//! `GUESS_SECRET` fixes the secret (for tests).

use std::io::{Read, Write};

use ggzdmod::eventlog::Freshness;
use ggzdmod::{Event, Game, GameResult, GameState, SeatKind, SeatResult};

#[derive(Default)]
struct Round {
    secret: i32,
    input: Vec<Vec<u8>>,
    guesses: Vec<Option<i32>>,
}

fn main() -> Result<(), ggzdmod::Error> {
    let mut round = Round {
        secret: secret(),
        ..Round::default()
    };
    let mut game = Game::connect()?;
    game.run(|game, event| match event {
        Event::Launch => {
            round.input = vec![Vec::new(); game.num_seats()];
            round.guesses = vec![None; game.num_seats()];
            maybe_start(game);
        }
        Event::SeatChange { seat, .. } if event.is_player_join() => {
            say(game, seat, "welcome");
            maybe_start(game);
        }
        Event::SeatChange { seat, .. }
            if event.is_player_leave() && game.state() == GameState::Playing =>
        {
            finish(game, &round, Some(seat));
        }
        Event::SeatChange { .. } => maybe_start(game),
        Event::PlayerData { seat } => {
            let mut buf = [0u8; 256];
            let n = match game.seat_stream(seat).map(|mut s| s.read(&mut buf)) {
                Some(Ok(n)) => n,
                _ => return,
            };
            let (Some(input), Some(bytes)) = (round.input.get_mut(seat), buf.get(..n)) else {
                return;
            };
            input.extend_from_slice(bytes);
            if let Some(end) = input.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = input.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                let mut words = line.split_whitespace();
                let guess: Option<i32> = words.next().and_then(|w| w.parse().ok());
                let quoted = words.next().and_then(|w| w.strip_prefix('v')?.parse().ok());
                if game.state() == GameState::Playing {
                    if let Some(quoted) = quoted
                        && let Some(log) = game.event_log()
                    {
                        match log.check_move(quoted) {
                            Freshness::Accept => {}
                            Freshness::Stale { current } | Freshness::Future { last: current } => {
                                say(game, seat, &format!("stale v{current}"));
                                return;
                            }
                        }
                    }
                    if let Some(g) = round.guesses.get_mut(seat) {
                        *g = guess;
                    }
                    if let (Some(n), Ok(seat_byte)) = (guess, u8::try_from(seat)) {
                        let mut data = vec![seat_byte];
                        data.extend_from_slice(&n.to_be_bytes());
                        record(game, "guess", &data);
                    }
                    if all_guessed(game, &round) {
                        finish(game, &round, None);
                    }
                }
            }
        }
        _ => {}
    })
}

fn secret() -> i32 {
    if let Some(s) = std::env::var("GUESS_SECRET")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return s;
    }
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    t.map(|d| d.subsec_nanos() % 100).unwrap_or(0) as i32 + 1
}

fn say(game: &Game, seat: usize, text: &str) {
    if let Some(mut s) = game.seat_stream(seat) {
        // A failed write means the player is gone; ggzd will tell us.
        let _ = writeln!(s, "{text}");
    }
}

fn maybe_start(game: &mut Game) {
    let waiting = game.count_seats(SeatKind::Open) + game.count_seats(SeatKind::Reserved);
    if game.state() != GameState::Waiting || waiting > 0 {
        return;
    }
    if game.set_state(GameState::Playing).is_ok() {
        // One log per game, reported to ggzd as the savegame.
        if let Err(e) = game.start_event_log() {
            game.log(&format!("no event log: {e}"));
        }
        record(game, "start", &[]);
        let version = game.event_log().map_or(0, |log| log.version());
        for seat in 0..game.num_seats() {
            say(game, seat, &format!("guess 1-100 v{version}"));
        }
    }
}

/// Appends to the event log, if there is one; a log that fails costs the
/// log, never the game.
fn record(game: &mut Game, kind: &str, data: &[u8]) {
    if game.event_log().is_some()
        && let Err(e) = game.record(kind, data)
    {
        game.log(&format!("event log: {e}"));
    }
}

fn all_guessed(game: &Game, round: &Round) -> bool {
    let seats = game.seats().iter().zip(&round.guesses);
    seats
        .filter(|(s, _)| s.kind() == SeatKind::Player)
        .all(|(_, g)| g.is_some())
}

fn finish(game: &mut Game, round: &Round, leaver: Option<usize>) {
    let guess = |seat: usize| match game.seat(seat).map(|s| s.kind()) {
        Some(SeatKind::Bot) => Some(50),
        _ => round.guesses.get(seat).copied().flatten(),
    };
    let dist = |seat: usize| guess(seat).map(|g| (g - round.secret).abs());
    let best = (0..game.num_seats()).filter_map(dist).min();
    let winners = (0..game.num_seats()).filter(|&s| dist(s) == best).count();
    let results: Vec<SeatResult> = (0..game.num_seats())
        .map(|seat| {
            SeatResult::new(match (leaver, dist(seat)) {
                (Some(l), _) if l == seat => GameResult::Forfeit,
                (Some(_), _) => GameResult::Win,
                (None, d) if d == best && winners > 1 => GameResult::Tie,
                (None, d) if d == best => GameResult::Win,
                _ => GameResult::Loss,
            })
        })
        .collect();
    for (seat, r) in results.iter().enumerate() {
        let word = format!("{:?}", r.result).to_lowercase();
        say(game, seat, &format!("secret {}: {word}", round.secret));
    }
    let outcome: Vec<u8> = results.iter().map(|r| r.result as u8).collect();
    record(game, "over", &outcome);
    if let Err(e) = game.finish_event_log() {
        game.log(&format!("event log: {e}"));
    }
    if let Err(e) = game.report_results(&results) {
        game.log(&format!("report failed: {e}"));
    }
    let _ = game.set_state(GameState::Done);
}
