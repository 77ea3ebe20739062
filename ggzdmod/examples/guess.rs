//! "Closest guess wins": a minimal ggzd game server to start from.
//!
//! Once every seat holds a player or a bot, each player is sent the line
//! `guess 1-100` and answers with a number on a line of its own. Bots
//! guess 50. Whoever is closest to the secret number wins (ties possible);
//! everyone gets `secret N: win|tie|loss`, the result goes to ggzd and the
//! game ends. A player who leaves during the game forfeits it.
//!
//! ggzd starts it with `GGZMODE=true` and the control socket on fd 3;
//! `GUESS_SECRET` fixes the secret (for tests).

use std::io::{Read, Write};

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
                let guess = String::from_utf8_lossy(&line).trim().parse().ok();
                if game.state() == GameState::Playing {
                    if let Some(g) = round.guesses.get_mut(seat) {
                        *g = guess;
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
        for seat in 0..game.num_seats() {
            say(game, seat, "guess 1-100");
        }
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
    if let Err(e) = game.report_results(&results) {
        game.log(&format!("report failed: {e}"));
    }
    let _ = game.set_state(GameState::Done);
}
