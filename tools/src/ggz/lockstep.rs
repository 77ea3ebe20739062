//! The lockstep view: playing "Race to 100" (docs/lockstep.md §5) at a
//! lockstep relay table. Sans-IO: bytes from the relay in, lines to show
//! and bytes to send out; typed lines in, bytes out.
//!
//! The view answers the relay by itself: a hash after every turn and the
//! command for the next turn, stepping by the last number the player typed
//! (so a player who types nothing keeps stepping). Typed at the table:
//! `1`, `2` or `3` sets the step, `ready` commits to the setup (`unready`
//! withdraws), `setup TEXT` adds a setup message. A line every ten turns
//! shows the counters.

use lockstep::demo::{DemoClient, GOAL};
use lockstep::wire::{
    FromRelay, SeatStatus, Splitter, ToRelay, WireError, decode_from_relay, encode_to_relay,
};

/// The protocol engine name of lockstep games (their descriptions'
/// `[protocol] engine`).
pub const ENGINE: &str = "Lockstep";

/// Turns between two counter lines.
const EVERY: u32 = 10;

/// Whether a game with this protocol engine is played in this view.
pub fn speaks(engine: &str) -> bool {
    engine.eq_ignore_ascii_case(ENGINE)
}

/// What the relay's bytes meant.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// Lines to show.
    pub lines: Vec<String>,
    /// Bytes for the relay.
    pub send: Vec<u8>,
}

/// The table as this player sees it.
#[derive(Debug)]
pub struct LockstepView {
    splitter: Splitter,
    demo: DemoClient,
    step: u8,
    names: Vec<String>,
}

impl Default for LockstepView {
    fn default() -> Self {
        LockstepView::new()
    }
}

impl LockstepView {
    /// A view before the relay's WELCOME.
    pub fn new() -> LockstepView {
        LockstepView {
            // Relay frames: the largest is a catch-up's master packet.
            splitter: Splitter::new(1 << 24),
            demo: DemoClient::new(),
            step: 1,
            names: Vec::new(),
        }
    }

    fn name(&self, seat: usize) -> String {
        match self.names.get(seat) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("seat {seat}"),
        }
    }

    fn counters(&self) -> String {
        let Some(race) = self.demo.race.as_ref() else {
            return String::new();
        };
        let parts: Vec<String> = race
            .counters()
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} {c}", self.name(i)))
            .collect();
        format!("turn {}: {} (goal {GOAL})", race.turn(), parts.join(", "))
    }

    /// Takes bytes from the relay.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Update, String> {
        self.splitter.push(bytes);
        let mut up = Update::default();
        loop {
            let (kind, body) = match self.splitter.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(up),
                Err(e) => return Err(format!("the relay sent garbage: {e}")),
            };
            let msg = decode_from_relay(kind, &body).map_err(|e: WireError| e.to_string())?;
            let replies = self.demo.on_frame(&msg)?;
            for r in &replies {
                up.send.extend_from_slice(&encode_to_relay(r));
            }
            self.show(&msg, &mut up);
            if matches!(msg, FromRelay::Master { .. } | FromRelay::CaughtUp { .. })
                && let Some(cmd) = self.demo.command(self.step)
            {
                up.send.extend_from_slice(&encode_to_relay(&cmd));
            }
        }
    }

    fn show(&mut self, msg: &FromRelay, up: &mut Update) {
        let line = match msg {
            FromRelay::Welcome {
                seat,
                seats,
                turn_ms,
                ..
            } => Some(match self.demo.seat {
                Some(_) => format!(
                    "lockstep: seat {seat} of {seats}, {turn_ms} ms turns; type ready to start, 1-3 to set your step"
                ),
                None => format!("lockstep: watching, {seats} seats, {turn_ms} ms turns"),
            }),
            FromRelay::Seats(seats) => {
                self.names = seats.iter().map(|(_, n)| n.clone()).collect();
                let parts: Vec<String> = seats
                    .iter()
                    .enumerate()
                    .map(|(i, (status, _))| {
                        let what = match status {
                            SeatStatus::Empty => "empty",
                            SeatStatus::Present => "here",
                            SeatStatus::Ready => "ready",
                            SeatStatus::Absent => "away",
                        };
                        format!("{} {what}", self.name(i))
                    })
                    .collect();
                Some(format!("seats: {}", parts.join(", ")))
            }
            FromRelay::SetupState(s) if !s.is_empty() => {
                Some(format!("setup: {} message(s)", s.len()))
            }
            FromRelay::SetupState(_) => None,
            FromRelay::Start { .. } => None,
            FromRelay::CaughtUp { next_turn } => Some(if *next_turn == 0 {
                "the race starts".to_owned()
            } else {
                format!("caught up: {}", self.counters())
            }),
            FromRelay::Master { turn, .. } if (turn + 1) % EVERY == 0 && !self.demo.catching_up => {
                Some(self.counters())
            }
            FromRelay::Master { .. } => None,
            FromRelay::Paused(seats) => {
                let names: Vec<String> = seats.iter().map(|s| self.name(usize::from(*s))).collect();
                Some(format!("paused: waiting for {}", names.join(", ")))
            }
            FromRelay::Resumed => Some("resumed".to_owned()),
            FromRelay::Desync { turn, seats } => {
                let names: Vec<String> = seats.iter().map(|s| self.name(usize::from(*s))).collect();
                Some(format!(
                    "desync at turn {turn}: {} diverged; the game is halted",
                    names.join(", ")
                ))
            }
            FromRelay::GameOver { turn, results } => {
                let winners: Vec<String> = results
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| **r == 0)
                    .map(|(i, _)| self.name(i))
                    .collect();
                let who = match winners.as_slice() {
                    [] => "nobody wins".to_owned(),
                    [one] => format!("{one} wins"),
                    _ => format!("{} tie", winners.join(" and ")),
                };
                Some(format!(
                    "game over after turn {turn}: {who}; {}",
                    self.counters()
                ))
            }
            FromRelay::Error { code, text, .. } => Some(format!("refused ({code:?}): {text}")),
        };
        up.lines.extend(line);
    }

    /// A line typed at the table; `Err` explains what is wrong with it.
    pub fn typed(&mut self, line: &str) -> Result<Update, String> {
        let line = line.trim();
        let mut up = Update::default();
        let msg = match line {
            "1" | "2" | "3" => {
                self.step = line.parse().unwrap_or(1);
                up.lines
                    .push(format!("step {} from the next turn", self.step));
                return Ok(up);
            }
            "ready" => ToRelay::Ready(true),
            "unready" => ToRelay::Ready(false),
            _ => match line.strip_prefix("setup ") {
                Some(text) => ToRelay::Setup(text.as_bytes().to_vec()),
                None => return Err(
                    "at a lockstep table type 1, 2 or 3 (your step), ready, unready, or setup TEXT"
                        .into(),
                ),
            },
        };
        if !self.demo.is_player() {
            return Err("spectators only watch".into());
        }
        up.send = encode_to_relay(&msg);
        Ok(up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep::wire::{Phase, encode_from_relay};

    fn frames(msgs: &[FromRelay]) -> Vec<u8> {
        msgs.iter().flat_map(encode_from_relay).collect()
    }

    #[test]
    fn plays_along_and_shows_the_race() {
        let mut v = LockstepView::new();
        let welcome = FromRelay::Welcome {
            version: lockstep::wire::PROTOCOL_VERSION,
            seat: 0,
            seats: 2,
            min_players: 2,
            turn_ms: 100,
            max_command: 16,
            hash_len: 8,
            max_lag: 20,
            phase: Phase::Setup,
        };
        let up = v
            .push(&frames(&[
                welcome,
                FromRelay::Seats(vec![
                    (SeatStatus::Present, "ann".into()),
                    (SeatStatus::Empty, String::new()),
                ]),
            ]))
            .unwrap();
        assert!(up.lines[0].starts_with("lockstep: seat 0 of 2"));
        assert_eq!(up.lines[1], "seats: ann here, seat 1 empty");
        assert_eq!(
            v.typed("ready").unwrap().send,
            encode_to_relay(&ToRelay::Ready(true))
        );
        v.typed("3").unwrap();
        assert!(v.typed("go").is_err());
        // The start: the first command goes out at once, with step 3.
        let up = v
            .push(&frames(&[
                FromRelay::Start { players: 3 },
                FromRelay::CaughtUp { next_turn: 0 },
            ]))
            .unwrap();
        assert_eq!(up.lines, ["the race starts"]);
        assert_eq!(
            up.send,
            encode_to_relay(&ToRelay::Command {
                turn: 0,
                body: vec![3]
            })
        );
        // A turn: hash, then the next command.
        let up = v
            .push(&frames(&[FromRelay::Master {
                turn: 0,
                elapsed_us: 100_000,
                commands: vec![Some(vec![3]), Some(vec![1])],
            }]))
            .unwrap();
        let mut s = Splitter::new(1024);
        s.push(&up.send);
        let (k1, _) = s.next_frame().unwrap().unwrap();
        let (k2, b2) = s.next_frame().unwrap().unwrap();
        assert_eq!(k1, lockstep::wire::client_type::HASH);
        assert_eq!(
            lockstep::wire::decode_to_relay(k2, &b2).unwrap(),
            ToRelay::Command {
                turn: 1,
                body: vec![3]
            }
        );
        assert!(v.push(&[0, 0, 0, 0]).is_err(), "garbage from the relay");
    }
}
