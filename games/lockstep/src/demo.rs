//! "Race to 100", the demo game of the lockstep relay (docs/lockstep.md §5):
//! a deterministic engine every client runs, and the client side of the
//! channel that drives it. Both are pure, so the end-to-end tests, the
//! bench and `ggz` run exactly the same code.
//!
//! Each turn a player may step 1 to 3 (the first byte of their command;
//! anything else is a step of 0). After the steps, a bonus of 0 to 2 goes
//! to a seat drawn from a generator seeded by the setup state. The first
//! counter to reach 100 wins; counters reaching it in the same turn are
//! compared, and equal ones tie.

use crate::wire::{FromRelay, PROTOCOL_VERSION, SPECTATOR_SEAT, ToRelay};

/// The counter that ends the race.
pub const GOAL: u32 = 100;

/// Hash length the demo uses (its description says `--hash-bytes 8`).
pub const HASH_LEN: usize = 8;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The game state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Race {
    counters: Vec<u32>,
    rng: u64,
    /// The next turn to apply.
    turn: u32,
    outcome: Option<(u32, Vec<u8>)>,
}

impl Race {
    /// A race for `seats` seats, seeded by the setup state.
    pub fn new(seats: usize, setup: &[(u8, Vec<u8>)]) -> Race {
        let mut seed = FNV_OFFSET;
        for (seat, bytes) in setup {
            seed = fnv(seed, &[*seat]);
            seed = fnv(seed, &(bytes.len() as u32).to_be_bytes());
            seed = fnv(seed, bytes);
        }
        Race {
            counters: vec![0; seats],
            // xorshift must not start at 0.
            rng: seed | 1,
            turn: 0,
            outcome: None,
        }
    }

    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    /// Applies one master packet. Turns must come in order.
    pub fn apply(&mut self, turn: u32, commands: &[Option<Vec<u8>>]) -> Result<(), String> {
        if turn != self.turn {
            return Err(format!("turn {turn} applied, {} expected", self.turn));
        }
        for (seat, cmd) in commands.iter().enumerate() {
            let step = cmd
                .as_ref()
                .and_then(|c| c.first())
                .filter(|b| (1..=3).contains(*b))
                .copied()
                .unwrap_or(0);
            if let Some(c) = self.counters.get_mut(seat) {
                *c = c.saturating_add(u32::from(step));
            }
        }
        let n = self.counters.len().max(1) as u64;
        let r = self.next_random();
        let lucky = (r % n) as usize;
        let bonus = ((r >> 32) % 3) as u32;
        if let Some(c) = self.counters.get_mut(lucky) {
            *c = c.saturating_add(bonus);
        }
        if self.outcome.is_none() {
            let best = self.counters.iter().copied().max().unwrap_or(0);
            if best >= GOAL {
                let winners = self.counters.iter().filter(|c| **c == best).count();
                let results = self
                    .counters
                    .iter()
                    .map(|c| match (*c == best, winners) {
                        (true, 1) => 0, // win
                        (true, _) => 2, // tie
                        _ => 1,         // loss
                    })
                    .collect();
                self.outcome = Some((turn, results));
            }
        }
        self.turn = turn.saturating_add(1);
        Ok(())
    }

    /// The state hash after the last applied turn.
    pub fn hash(&self) -> [u8; HASH_LEN] {
        let mut h = fnv(FNV_OFFSET, &self.turn.to_be_bytes());
        for c in &self.counters {
            h = fnv(h, &c.to_be_bytes());
        }
        h = fnv(h, &self.rng.to_be_bytes());
        h.to_be_bytes()
    }

    /// The counters, by seat.
    pub fn counters(&self) -> &[u32] {
        &self.counters
    }

    /// The next turn to apply.
    pub fn turn(&self) -> u32 {
        self.turn
    }

    /// (last turn, per-seat results) once someone reached the goal.
    pub fn outcome(&self) -> Option<&(u32, Vec<u8>)> {
        self.outcome.as_ref()
    }
}

/// A client of a lockstep table playing the race: follows the channel,
/// runs the engine, and says what to send back (hashes, the outcome).
/// Which steps to take is up to the caller ([`DemoClient::command`]).
#[derive(Debug, Default)]
pub struct DemoClient {
    /// Our seat, `None` for a spectator (or before WELCOME).
    pub seat: Option<u8>,
    /// Seats at the table.
    pub seats: usize,
    /// The setup state as last received.
    pub setup: Vec<(u8, Vec<u8>)>,
    /// The engine, once the game started.
    pub race: Option<Race>,
    /// Replaying a catch-up (between START and CAUGHT_UP): no hashes.
    pub catching_up: bool,
    /// The relay's last word (DESYNC or GAME_OVER) was received.
    pub over: bool,
    /// Whether the game is paused.
    pub paused: bool,
    /// Corrupts our hashes from this turn on (tests of desync detection).
    pub corrupt_from: Option<u32>,
    outcome_sent: bool,
}

impl DemoClient {
    /// A fresh client.
    pub fn new() -> DemoClient {
        DemoClient::default()
    }

    /// Whether we hold a seat.
    pub fn is_player(&self) -> bool {
        self.seat.is_some()
    }

    fn hash_of(&self, race: &Race, turn: u32) -> Vec<u8> {
        let mut h = race.hash().to_vec();
        if self.corrupt_from.is_some_and(|t| turn >= t)
            && let Some(b) = h.first_mut()
        {
            *b ^= 0xFF;
        }
        h
    }

    /// Takes one frame from the relay; returns what to send back.
    pub fn on_frame(&mut self, msg: &FromRelay) -> Result<Vec<ToRelay>, String> {
        let mut replies = Vec::new();
        match msg {
            FromRelay::Welcome {
                version,
                seat,
                seats,
                ..
            } => {
                // Another version lays its frames out differently (the
                // MASTER timing field is wider in 2): stop rather than
                // misread them.
                if *version != PROTOCOL_VERSION {
                    return Err(format!(
                        "the relay speaks lockstep protocol version {version}, this client {PROTOCOL_VERSION}"
                    ));
                }
                self.seat = (*seat != SPECTATOR_SEAT).then_some(*seat);
                self.seats = usize::from(*seats);
                self.race = None;
                self.outcome_sent = false;
            }
            FromRelay::SetupState(setup) => self.setup = setup.clone(),
            FromRelay::Start { .. } => {
                self.race = Some(Race::new(self.seats, &self.setup));
                // A START that is part of a catch-up is followed by the
                // log; a live one by CAUGHT_UP at once, so either way no
                // hash is due until CAUGHT_UP.
                self.catching_up = true;
            }
            FromRelay::Master { turn, commands, .. } => {
                let Some(race) = self.race.as_mut() else {
                    return Err(format!("turn {turn} before START"));
                };
                race.apply(*turn, commands)?;
                if !self.catching_up
                    && self.seat.is_some()
                    && let Some(race) = self.race.as_ref()
                {
                    replies.push(ToRelay::Hash {
                        turn: *turn,
                        hash: self.hash_of(race, *turn),
                    });
                }
            }
            FromRelay::CaughtUp { next_turn } => {
                self.catching_up = false;
                if self.seat.is_some()
                    && *next_turn > 0
                    && let Some(race) = self.race.as_ref()
                {
                    replies.push(ToRelay::Hash {
                        turn: next_turn - 1,
                        hash: self.hash_of(race, next_turn - 1),
                    });
                }
            }
            FromRelay::Paused(_) => self.paused = true,
            FromRelay::Resumed => self.paused = false,
            FromRelay::Desync { .. } | FromRelay::GameOver { .. } => self.over = true,
            FromRelay::Seats(_) | FromRelay::Error { .. } => {}
        }
        if !self.catching_up
            && !self.outcome_sent
            && self.seat.is_some()
            && let Some((turn, results)) = self.race.as_ref().and_then(Race::outcome)
        {
            self.outcome_sent = true;
            replies.push(ToRelay::Outcome {
                turn: *turn,
                results: results.clone(),
            });
        }
        Ok(replies)
    }

    /// The command for the next turn to play, stepping `step` (1..=3).
    /// `None` when not playing.
    pub fn command(&self, step: u8) -> Option<ToRelay> {
        let race = self.race.as_ref()?;
        if self.seat.is_none() || self.over || self.catching_up {
            return None;
        }
        Some(ToRelay::Command {
            turn: race.turn(),
            body: vec![step],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(seed: &[u8], turns: u32) -> Race {
        let mut r = Race::new(2, &[(0, seed.to_vec())]);
        for t in 0..turns {
            r.apply(t, &[Some(vec![3]), Some(vec![(t % 3) as u8 + 1])])
                .unwrap();
        }
        r
    }

    #[test]
    fn the_same_turns_give_the_same_state() {
        assert_eq!(play(b"a", 20).hash(), play(b"a", 20).hash());
        assert_ne!(play(b"a", 20).hash(), play(b"b", 20).hash());
        assert_ne!(play(b"a", 20).hash(), play(b"a", 21).hash());
    }

    #[test]
    fn the_race_ends_with_a_winner() {
        let r = play(b"seed", 60);
        let (turn, results) = r.outcome().unwrap();
        assert!(*turn < 60);
        // Seat 0 steps 3 every turn, seat 1 averages 2.
        assert_eq!(results, &vec![0, 1]);
        assert!(r.counters()[0] >= GOAL);
    }

    #[test]
    fn turns_must_come_in_order() {
        let mut r = Race::new(2, &[]);
        assert!(r.apply(1, &[None, None]).is_err());
        r.apply(0, &[None, Some(vec![9])]).unwrap();
        assert_eq!(r.turn(), 1);
    }

    /// WELCOME for a two-seat table at 50 ms turns.
    fn welcome(version: u8, seat: u8, phase: crate::wire::Phase) -> FromRelay {
        FromRelay::Welcome {
            version,
            seat,
            seats: 2,
            min_players: 2,
            turn_ms: 50,
            max_command: 16,
            hash_len: 8,
            max_lag: 10,
            phase,
        }
    }

    #[test]
    fn a_client_hashes_live_turns_only() {
        let mut c = DemoClient::new();
        let welcome = welcome(PROTOCOL_VERSION, 1, crate::wire::Phase::Running);
        assert!(c.on_frame(&welcome).unwrap().is_empty());
        c.on_frame(&FromRelay::Start { players: 3 }).unwrap();
        let m = |turn| FromRelay::Master {
            turn,
            elapsed_us: 0,
            commands: vec![None, None],
        };
        assert!(c.on_frame(&m(0)).unwrap().is_empty(), "replay: no hash");
        let caught = c.on_frame(&FromRelay::CaughtUp { next_turn: 1 }).unwrap();
        assert!(matches!(caught.as_slice(), [ToRelay::Hash { turn: 0, .. }]));
        let live = c.on_frame(&m(1)).unwrap();
        assert!(matches!(live.as_slice(), [ToRelay::Hash { turn: 1, .. }]));
        assert_eq!(
            c.command(2),
            Some(ToRelay::Command {
                turn: 2,
                body: vec![2]
            })
        );
    }

    #[test]
    fn a_relay_of_another_protocol_version_is_refused() {
        let welcome = |version| welcome(version, 0, crate::wire::Phase::Setup);
        let mut c = DemoClient::new();
        let err = c.on_frame(&welcome(1)).unwrap_err();
        assert!(err.contains("version 1"), "{err}");
        assert!(c.on_frame(&welcome(PROTOCOL_VERSION)).is_ok());
        assert_eq!(c.seat, Some(0));
    }
}
