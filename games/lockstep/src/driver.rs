//! The IO shell: ggzdmod's events and the clients' sockets in, the relay's
//! effects out. Client sockets are non-blocking; each has a bounded output
//! queue, so a client that does not read costs only itself.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use ggzdmod::{Event, Game, GameState, Place, SeatKind, SeatResult};

use crate::config::Config;
use crate::relay::{Out, Relay};
use crate::wire::{Splitter, decode_to_relay};

/// Bytes read from one client per readiness event, so one busy client
/// cannot starve the others.
const READ_BUDGET: usize = 64 * 1024;

/// Bytes asked for per read.
const READ_CHUNK: usize = 4096;

/// How often queued output is retried when some is left (ggzdmod's poll
/// watches readability only).
const RETRY: Duration = Duration::from_millis(5);

/// How long the last words (DESYNC, GAME_OVER) may take to go out before
/// the game tells ggzd it is done.
const FINAL_FLUSH: Duration = Duration::from_millis(500);

/// The event log holds turns in memory up to this many bytes or this age
/// and writes them together (docs/event-log.md §3.1): one write per
/// second of play instead of one per turn. Also written at every pause,
/// seat change and the end.
const LOG_BUFFER_BYTES: usize = 16 * 1024;
const LOG_BUFFER_AGE: Duration = Duration::from_secs(1);

/// Frame limit for client frames: a command at its limit, or the largest
/// setup message, plus turn number and type.
fn max_client_frame(cfg: &Config) -> u32 {
    let body = cfg
        .max_command
        .max(crate::relay::MAX_SETUP_MESSAGE)
        .max(crate::config::MAX_HASH);
    // A little slack so that a command just over its limit is still read
    // and answered with TOO_LARGE instead of ending the connection.
    u32::try_from(body + 4 + 1 + 64).unwrap_or(u32::MAX)
}

struct Conn {
    splitter: Splitter,
    out: Vec<u8>,
    closing: bool,
    shut: bool,
}

/// One table's shell.
pub struct Driver {
    cfg: Config,
    relay: Option<Relay>,
    conns: HashMap<Place, Conn>,
    /// Output queue bound per client: a whole catch-up must fit.
    queue_limit: usize,
    /// The relay's effects being carried out (kept for its allocation).
    outs: Vec<Out>,
}

impl Driver {
    /// A shell for a table with these settings.
    pub fn new(cfg: Config) -> Driver {
        let queue_limit = cfg.log_bytes.saturating_add(1 << 20);
        Driver {
            cfg,
            relay: None,
            conns: HashMap::new(),
            queue_limit,
            outs: Vec::new(),
        }
    }

    /// Runs the table until the game is done or ggzd goes away.
    pub fn run(&mut self, game: &mut Game) -> Result<(), ggzdmod::Error> {
        loop {
            let now = Instant::now();
            let mut wake = self.relay.as_ref().and_then(|r| r.next_wakeup(now));
            if self.conns.values().any(|c| !c.out.is_empty()) {
                let retry = now + RETRY;
                wake = Some(wake.map_or(retry, |w| w.min(retry)));
            }
            let timeout = wake.map(|w| w.saturating_duration_since(now));
            match game.next_event_timeout(timeout)? {
                Some(Event::ControlClosed) => return Ok(()),
                Some(event) => self.event(game, event),
                None => {
                    if let Some(r) = self.relay.as_mut() {
                        r.tick(Instant::now());
                    }
                }
            }
            if self.apply(game) {
                return Ok(());
            }
        }
    }

    fn event(&mut self, game: &mut Game, event: Event) {
        let now = Instant::now();
        match event {
            Event::Launch => {
                let seats = game.num_seats();
                if seats > self.cfg.max_players {
                    game.log(&format!(
                        "lockstep: table of {seats} seats, more than --max-players {}",
                        self.cfg.max_players
                    ));
                }
                self.relay = Some(Relay::new(self.cfg.clone(), seats));
            }
            Event::SeatChange {
                seat,
                old,
                new,
                old_stream,
            } => {
                drop(old_stream);
                // The table may end with this change: what the log holds
                // goes to disk first.
                flush_event_log(game);
                let place = Place::Seat(seat);
                if old.kind == SeatKind::Player {
                    self.conns.remove(&place);
                    if let Some(r) = self.relay.as_mut() {
                        r.seat_left(seat, now);
                    }
                }
                if new.kind == SeatKind::Player
                    && let Some(stream) = game.seat_stream(seat)
                {
                    self.open_conn(place, stream);
                    if let Some(r) = self.relay.as_mut() {
                        r.seat_joined(seat, new.name.as_deref().unwrap_or_default(), now);
                    }
                }
                if new.kind == SeatKind::Bot {
                    game.log("lockstep: bots are not supported; the seat stays empty");
                }
            }
            Event::SpectatorJoin { spectator, .. } => {
                let place = Place::Spectator(spectator);
                if let Some(stream) = game.spectator_stream(spectator) {
                    self.open_conn(place, stream);
                    if let Some(r) = self.relay.as_mut() {
                        r.spectator_joined(spectator);
                    }
                }
            }
            Event::SpectatorLeave {
                spectator, stream, ..
            } => {
                drop(stream);
                self.conns.remove(&Place::Spectator(spectator));
                if let Some(r) = self.relay.as_mut() {
                    r.spectator_left(spectator);
                }
            }
            Event::Reseat { from, to, name } => {
                // A move keeps the connection but changes the role: treat
                // it as leaving one place and arriving at the other.
                let conn = self.conns.remove(&from);
                if let Some(r) = self.relay.as_mut() {
                    match from {
                        Place::Seat(s) => r.seat_left(s, now),
                        Place::Spectator(s) => r.spectator_left(s),
                    }
                }
                if let Some(conn) = conn {
                    self.conns.insert(to, conn);
                }
                if let Some(r) = self.relay.as_mut() {
                    match to {
                        Place::Seat(s) => r.seat_joined(s, &name, now),
                        Place::Spectator(s) => r.spectator_joined(s),
                    }
                }
            }
            Event::PlayerData { seat } => self.read(game, Place::Seat(seat)),
            Event::SpectatorData { spectator } => self.read(game, Place::Spectator(spectator)),
            Event::StateAck | Event::ControlClosed => {}
        }
    }

    fn open_conn(&mut self, place: Place, stream: &TcpStream) {
        for r in [stream.set_nonblocking(true), stream.set_nodelay(true)] {
            if let Err(e) = r {
                log::debug!("lockstep: socket option not set: {e}");
            }
        }
        self.conns.insert(
            place,
            Conn {
                splitter: Splitter::new(max_client_frame(&self.cfg)),
                out: Vec::new(),
                closing: false,
                shut: false,
            },
        );
    }

    fn read(&mut self, game: &mut Game, place: Place) {
        let stream = match place {
            Place::Seat(i) => game.seat_stream(i),
            Place::Spectator(i) => game.spectator_stream(i),
        };
        let (Some(mut stream), Some(relay)) = (stream, self.relay.as_mut()) else {
            return;
        };
        let Some(conn) = self.conns.get_mut(&place) else {
            // Closed by us: drain and forget what it still sends.
            let mut sink = [0u8; 4096];
            let _ = stream.read(&mut sink);
            return;
        };
        if conn.closing {
            let mut sink = [0u8; 4096];
            let _ = stream.read(&mut sink);
            return;
        }
        let mut buf = [0u8; READ_CHUNK];
        let mut budget = READ_BUDGET;
        while budget > 0 {
            // One read may run past the current frame: the splitter then
            // holds one frame plus at most one read.
            let Some(dst) = buf.get_mut(..budget.min(READ_CHUNK)) else {
                return;
            };
            let now = Instant::now();
            match stream.read(dst) {
                Ok(0) => {
                    hangup(relay, place, now);
                    return;
                }
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    conn.splitter.push(dst.get(..n).unwrap_or_default());
                    loop {
                        match conn.splitter.next_frame() {
                            Ok(None) => break,
                            Ok(Some((kind, body))) => match decode_to_relay(kind, &body) {
                                Ok(msg) => relay.frame(place, msg, now),
                                Err(e) => {
                                    relay.garbage(place, &e.to_string(), now);
                                    return;
                                }
                            },
                            Err(e) => {
                                relay.garbage(place, &e.to_string(), now);
                                return;
                            }
                        }
                    }
                    // A short read took all there was; what comes later
                    // makes the socket readable again. Saves the read that
                    // would only say "would block".
                    if n < READ_CHUNK {
                        return;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    hangup(relay, place, now);
                    return;
                }
            }
        }
    }

    /// Carries out the relay's effects and writes what can be written.
    /// Returns true when the game is over and the loop should end.
    fn apply(&mut self, game: &mut Game) -> bool {
        let Some(relay) = self.relay.as_mut() else {
            return false;
        };
        let mut done = false;
        let mut outs = std::mem::take(&mut self.outs);
        relay.drain_into(&mut outs);
        let paused = relay.paused();
        for out in outs.drain(..) {
            match out {
                Out::Send(place, bytes) => {
                    let limit = self.queue_limit;
                    if let Some(conn) = self.conns.get_mut(&place)
                        && !conn.closing
                    {
                        if conn.out.len() + bytes.len() > limit {
                            // A client that does not read is cut off; the
                            // EOF it then causes counts as leaving.
                            game.log(&format!("lockstep: {place:?} does not read; closing"));
                            conn.out.clear();
                            conn.closing = true;
                        } else {
                            conn.out.extend_from_slice(&bytes);
                        }
                    }
                }
                Out::Close(place) => {
                    if let Some(conn) = self.conns.get_mut(&place) {
                        conn.closing = true;
                    }
                }
                Out::Boot(name) => {
                    if let Err(e) = game.request_boot(&name) {
                        game.log(&format!("lockstep: cannot boot {name}: {e}"));
                    }
                }
                Out::State(GameState::Done) => done = true,
                Out::State(state) => {
                    if let Err(e) = game.set_state(state) {
                        game.log(&format!("lockstep: cannot change state to {state:?}: {e}"));
                    }
                }
                Out::Report(results) => {
                    let results: Vec<SeatResult> =
                        results.into_iter().map(SeatResult::new).collect();
                    if let Err(e) = game.report_results(&results) {
                        game.log(&format!("lockstep: report not sent: {e}"));
                    }
                }
                Out::Log(line) => game.log(&line),
                Out::Record(kind, bytes) => record(game, &self.cfg, kind, &bytes),
            }
        }
        self.outs = outs;
        if paused {
            // A pause may last: the turns so far go to disk now.
            flush_event_log(game);
        }
        self.flush(game);
        if done {
            // The last words go out before ggzd ends the table.
            let until = Instant::now() + FINAL_FLUSH;
            while self.conns.values().any(|c| !c.out.is_empty()) && Instant::now() < until {
                std::thread::sleep(RETRY);
                self.flush(game);
            }
            if let Err(e) = game.finish_event_log() {
                game.log(&format!("lockstep: {e}"));
            }
            if let Err(e) = game.set_state(GameState::Done) {
                game.log(&format!("lockstep: cannot end the game: {e}"));
            }
        }
        done
    }

    fn flush(&mut self, game: &Game) {
        for (place, conn) in &mut self.conns {
            let stream = match *place {
                Place::Seat(i) => game.seat_stream(i),
                Place::Spectator(i) => game.spectator_stream(i),
            };
            let Some(mut stream) = stream else {
                continue;
            };
            while !conn.out.is_empty() {
                match stream.write(&conn.out) {
                    Ok(0) => break,
                    Ok(n) => {
                        conn.out.drain(..n.min(conn.out.len()));
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        conn.out.clear();
                        conn.closing = true;
                    }
                }
            }
            if conn.closing && conn.out.is_empty() && !conn.shut {
                conn.shut = true;
                // The peer sees EOF; what it still sends is read and dropped.
                let _ = stream.shutdown(Shutdown::Write);
            }
        }
    }
}

fn hangup(relay: &mut Relay, place: Place, now: Instant) {
    match place {
        // A player without a channel cannot play: the seat is given up
        // (booted in ggzd), and the same player may take it back.
        Place::Seat(seat) => relay.channel_closed(seat, now),
        Place::Spectator(slot) => relay.spectator_left(slot),
    }
}

/// Writes what the event log holds; a log that cannot be written is said
/// once in ggzd's log and given up, as in [`record`].
fn flush_event_log(game: &mut Game) {
    let Some(log) = game.event_log_mut() else {
        return;
    };
    if log.held_bytes() == 0 {
        return;
    }
    if let Err(e) = log.flush() {
        game.log(&format!("lockstep: the event log stops: {e}"));
        game.abandon_event_log();
    }
}

/// Appends to the table's event log (docs/event-log.md §7), starting it
/// (and reporting it to ggzd) with the game's first event, the protocol
/// version. The log is
/// bounded like the catch-up log; a log that fails is said once in ggzd's
/// log, and the game goes on without it.
fn record(game: &mut Game, cfg: &Config, kind: &str, bytes: &[u8]) {
    if kind == crate::relay::EVENT_VERSION {
        match game.start_event_log() {
            Ok(log) => {
                // Hex doubles the bytes; the headroom covers line overhead.
                let max_bytes = u64::try_from(cfg.log_bytes)
                    .unwrap_or(u64::MAX)
                    .saturating_mul(2)
                    .saturating_add(1 << 20);
                log.set_limits(ggzdmod::eventlog::DEFAULT_MAX_EVENTS, max_bytes);
                // Nothing written yet can fail here: the header is out.
                let _ = log.set_buffer(LOG_BUFFER_BYTES, LOG_BUFFER_AGE);
            }
            Err(e) => {
                game.log(&format!("lockstep: no event log: {e}"));
                return;
            }
        }
    }
    if game.event_log().is_none() {
        return;
    }
    if let Err(e) = game.record(kind, bytes) {
        game.log(&format!("lockstep: the event log stops: {e}"));
        // Closed without its end line: ggzd keeps it as an unfinished log.
        game.abandon_event_log();
    }
}
