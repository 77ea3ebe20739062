//! `tables`: TicTacToe table churn. Pairs of guests in a TicTacToe room
//! play game after game: each player opens a game channel; the first
//! launches a table with two open seats, the second joins it; they play
//! five moves over their channels in the original DIO protocol (seat 0
//! wins on the top row); the game server reports the result and keeps the
//! finished table, so each player leaves it once its channel has shown
//! GAMEOVER (`LEAVE`, answered by the server's `LEAVE`), and the table ends
//! when both have. Then the pair starts again.
//!
//! Reported: games per second, and launch-to-ready latency (LAUNCH sent
//! until `RESULT launch ok`: the game server was started, reported
//! WAITING, and the table was announced), beside the time of a whole game
//! and the CPU of generator, server and (reaped) game servers.
//!
//! Both channels of a game are opened together when it starts, as a
//! client may prepare its channel whenever it likes; the launcher's LAUNCH
//! waits for its own channel, the JOIN for the table number and the
//! joiner's channel.

use std::io;
use std::time::Duration;

use super::clock::{monotonic_ns, ns_from_secs, secs};
use super::crowd::{self, Failures, Target};
use super::dio;
use super::engine::{ClientId, Engine, GameEvent, Note, TableAction};
use super::histogram::Histogram;
use super::procfs::CpuSample;
use super::report::Report;

#[derive(Debug, Clone)]
pub struct TableOptions {
    /// Pairs of players, each playing one game at a time.
    pub pairs: usize,
    /// The TicTacToe room.
    pub room: u32,
    /// TicTacToe's game type id.
    pub game: u32,
    /// Seconds during which games are started.
    pub secs: f64,
    /// Most games to start in all; 0 for no limit.
    pub games: u64,
    /// Name prefix (names are PREFIX + 5 digits).
    pub prefix: String,
}

/// The squares played in turn: seat 0 takes the top row, seat 1 answers
/// on the middle row and loses after five moves.
const MOVES: [i32; 5] = [0, 3, 1, 4, 2];

/// A player leaving its table.
const LEAVE: &[u8] = b"<LEAVE FORCE='false' SPECTATOR='false'/>\n";

/// Where a pair is in its current game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Channels are opening; LAUNCH goes once the launcher's is ready.
    Preparing,
    /// LAUNCH sent; waiting for its RESULT (and the table number).
    Launching,
    /// JOIN sent; the game runs over the channels.
    Playing,
    /// Not in a game: between two games, when the run is over for this
    /// pair, or after a failure (which retires the pair).
    Idle,
}

/// Which of a pair's four connections a client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Launcher,
    Joiner,
    LauncherChannel,
    JoinerChannel,
}

#[derive(Debug)]
struct Pair {
    launcher: ClientId,
    joiner: ClientId,
    launcher_name: String,
    joiner_name: String,
    launcher_channel: Option<ClientId>,
    joiner_channel: Option<ClientId>,
    /// The joiner's channel has the server's `</SESSION>`.
    joiner_channel_ready: bool,
    step: Step,
    /// `RESULT launch ok` arrived.
    launched: bool,
    table: Option<u32>,
    joined: bool,
    moves: usize,
    game_over: bool,
    launcher_left: bool,
    joiner_left: bool,
    started_ns: u64,
    launch_sent_ns: u64,
}

/// All pairs and what they measured.
#[derive(Debug, Default)]
struct Churn {
    /// TicTacToe's game type id, for LAUNCH.
    game_type: u32,
    pairs: Vec<Pair>,
    /// By client id: the pair and role of a client.
    owner: Vec<Option<(usize, Who)>>,
    launch: Histogram,
    game: Histogram,
    started: u64,
    finished: u64,
    failures: Failures,
    last_finish_ns: u64,
}

impl Churn {
    fn own(&mut self, id: ClientId, pair: usize, who: Who) {
        if self.owner.len() <= id {
            self.owner.resize(id + 1, None);
        }
        if let Some(slot) = self.owner.get_mut(id) {
            *slot = Some((pair, who));
        }
    }

    fn disown(&mut self, id: Option<ClientId>) {
        if let Some(slot) = id.and_then(|id| self.owner.get_mut(id)) {
            *slot = None;
        }
    }

    /// Starts a game for pair `p`: both channels open.
    fn start(&mut self, engine: &mut Engine, p: usize, notes: &mut Vec<Note>) {
        let Some(pair) = self.pairs.get(p) else {
            return;
        };
        let (a, b) = (pair.launcher_name.clone(), pair.joiner_name.clone());
        let launcher_channel = engine.open_channel(&a, notes);
        self.own(launcher_channel, p, Who::LauncherChannel);
        let joiner_channel = engine.open_channel(&b, notes);
        self.own(joiner_channel, p, Who::JoinerChannel);
        self.started += 1;
        if let Some(pair) = self.pairs.get_mut(p) {
            pair.launcher_channel = Some(launcher_channel);
            pair.joiner_channel = Some(joiner_channel);
            pair.joiner_channel_ready = false;
            pair.step = Step::Preparing;
            pair.launched = false;
            pair.table = None;
            pair.joined = false;
            pair.moves = 0;
            pair.game_over = false;
            pair.launcher_left = false;
            pair.joiner_left = false;
            pair.started_ns = monotonic_ns();
        }
    }

    /// Ends pair `p`'s game: its channels are hung up (the game server
    /// may have closed them already) and the pair waits.
    fn stop(&mut self, engine: &mut Engine, p: usize) {
        let Some(pair) = self.pairs.get_mut(p) else {
            return;
        };
        let channels = [pair.launcher_channel.take(), pair.joiner_channel.take()];
        pair.step = Step::Idle;
        for channel in channels {
            if let Some(id) = channel {
                engine.hang_up(id);
            }
            self.disown(channel);
        }
    }

    /// Counts a failure and retires the pair: what is left of its table
    /// goes when its players leave at the end.
    fn fail(&mut self, engine: &mut Engine, p: usize, what: String) {
        crowd::count_failure(&mut self.failures, what);
        self.stop(engine, p);
    }

    /// Reacts to one note. Returns the pair whose game just finished.
    fn on_note(&mut self, engine: &mut Engine, note: Note, notes: &mut Vec<Note>) -> Option<usize> {
        let id = match &note {
            Note::TableResult { id, .. }
            | Note::Seated { id, .. }
            | Note::LeftTable { id }
            | Note::ChannelReady { id }
            | Note::Game { id, .. }
            | Note::Closed { id, .. } => *id,
            _ => return None,
        };
        let (p, who) = self.owner.get(id).copied().flatten()?;
        let pair = self.pairs.get_mut(p)?;
        if pair.step == Step::Idle {
            if let Note::Closed { .. } = note {
                self.disown(Some(id));
            }
            return None;
        }
        let now = monotonic_ns();
        match (note, who) {
            (Note::ChannelReady { .. }, Who::LauncherChannel) => {
                let launch = format!(
                    "<LAUNCH>\n<TABLE GAME='{}' SEATS='2'>\n<SEAT NUM='0' TYPE='open'/>\n\
                     <SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n",
                    self.game_type
                );
                pair.step = Step::Launching;
                pair.launch_sent_ns = now;
                let launcher = pair.launcher;
                engine.send(launcher, launch.as_bytes(), notes);
            }
            (Note::ChannelReady { .. }, Who::JoinerChannel) => {
                pair.joiner_channel_ready = true;
                self.try_join(engine, p, notes);
            }
            (
                Note::TableResult {
                    action, refused, ..
                },
                Who::Launcher,
            ) => match (action, refused) {
                (TableAction::Launch, None) => {
                    self.launch.record(now.saturating_sub(pair.launch_sent_ns));
                    pair.launched = true;
                    self.try_join(engine, p, notes);
                }
                (TableAction::Leave, None) => {}
                (action, Some(code)) => {
                    self.fail(engine, p, format!("{action:?} refused: {code}"));
                }
                (TableAction::Join | TableAction::Match, None) => {}
            },
            (
                Note::TableResult {
                    action, refused, ..
                },
                Who::Joiner,
            ) => match (action, refused) {
                (TableAction::Join, None) => pair.joined = true,
                (TableAction::Leave | TableAction::Launch | TableAction::Match, None) => {}
                (action, Some(code)) => {
                    self.fail(engine, p, format!("{action:?} refused: {code}"));
                }
            },
            (Note::Seated { table, .. }, Who::Launcher) => {
                pair.table = Some(table);
                self.try_join(engine, p, notes);
            }
            (Note::Seated { .. }, Who::Joiner) => {}
            (Note::LeftTable { .. }, Who::Launcher | Who::Joiner) => {
                if who == Who::Launcher {
                    pair.launcher_left = true;
                } else {
                    pair.joiner_left = true;
                }
                if pair.launcher_left && pair.joiner_left && !pair.joined {
                    self.fail(engine, p, "table ended before the join".into());
                    return None;
                }
                return self.finish_if_over(engine, p, now);
            }
            (Note::Game { event, .. }, Who::LauncherChannel | Who::JoinerChannel) => match event {
                GameEvent::MoveRequested => {
                    let seat = usize::from(who == Who::JoinerChannel);
                    let square = MOVES.get(pair.moves).copied();
                    match square {
                        Some(square) if pair.moves % 2 == seat => {
                            pair.moves += 1;
                            engine.send(id, &dio::send_move(square), notes);
                        }
                        _ => {
                            let what = format!("move {} requested of seat {seat}", pair.moves + 1);
                            self.fail(engine, p, what);
                        }
                    }
                }
                GameEvent::GameOver => {
                    pair.game_over = true;
                    // Each player leaves the finished table once it saw the
                    // result, as a client does.
                    let player = if who == Who::LauncherChannel {
                        pair.launcher
                    } else {
                        pair.joiner
                    };
                    engine.send(player, LEAVE, notes);
                    return self.finish_if_over(engine, p, now);
                }
                GameEvent::MoveRefused(status) => {
                    self.fail(engine, p, format!("move refused with status {status}"));
                }
            },
            (Note::Closed { why, .. }, Who::LauncherChannel | Who::JoinerChannel) => {
                if who == Who::LauncherChannel {
                    pair.launcher_channel = None;
                } else {
                    pair.joiner_channel = None;
                }
                let game_over = pair.game_over;
                self.disown(Some(id));
                // The game server closes its sockets when the table ends.
                if !game_over {
                    self.fail(engine, p, format!("game channel closed: {}", why.label()));
                }
            }
            (Note::Closed { why, .. }, Who::Launcher | Who::Joiner) => {
                self.disown(Some(id));
                self.fail(engine, p, format!("player closed: {}", why.label()));
            }
            _ => {}
        }
        None
    }

    /// Counts pair `p`'s game once both players have left the finished
    /// table and a channel has seen GAMEOVER: these come over different
    /// connections, in either order. Returns `p` if the game is done.
    fn finish_if_over(&mut self, engine: &mut Engine, p: usize, now: u64) -> Option<usize> {
        let pair = self.pairs.get(p)?;
        if !(pair.launcher_left && pair.joiner_left && pair.game_over) {
            return None;
        }
        self.finished += 1;
        self.last_finish_ns = now;
        self.game.record(now.saturating_sub(pair.started_ns));
        self.stop(engine, p);
        Some(p)
    }

    /// Sends the joiner's JOIN once the table is known to be ready and the
    /// joiner's channel is prepared.
    fn try_join(&mut self, engine: &mut Engine, p: usize, notes: &mut Vec<Note>) {
        let Some(pair) = self.pairs.get_mut(p) else {
            return;
        };
        if pair.step != Step::Launching || !pair.launched || !pair.joiner_channel_ready {
            return;
        }
        let Some(table) = pair.table else {
            return;
        };
        pair.step = Step::Playing;
        let joiner = pair.joiner;
        engine.send(
            joiner,
            format!("<JOIN TABLE='{table}' SPECTATOR='false'/>\n").as_bytes(),
            notes,
        );
    }

    fn busy(&self) -> bool {
        self.pairs.iter().any(|p| p.step != Step::Idle)
    }
}

pub fn run(target: &Target, o: &TableOptions) -> io::Result<Report> {
    target.probe()?;
    let server = target.process.as_ref();
    let mut r = Report::new("tables");
    let pairs = o.pairs.max(1);
    r.count("pairs", pairs as u64);
    r.count("room", u64::from(o.room));
    r.count("game", u64::from(o.game));
    r.text("transport", target.transport(false));
    let mut engine = target.engine(false)?;
    let crowd =
        crowd::guests_in_room(&mut engine, target, 2 * pairs, 2 * pairs, &o.prefix, o.room)?;
    let mut churn = Churn {
        game_type: o.game,
        ..Churn::default()
    };
    for (p, players) in crowd.ready.chunks_exact(2).enumerate() {
        let (Some(&launcher), Some(&joiner)) = (players.first(), players.get(1)) else {
            continue;
        };
        let name = |id| engine.plan(id).map(|p| p.name.clone()).unwrap_or_default();
        churn.pairs.push(Pair {
            launcher,
            joiner,
            launcher_name: name(launcher),
            joiner_name: name(joiner),
            launcher_channel: None,
            joiner_channel: None,
            joiner_channel_ready: false,
            step: Step::Idle,
            launched: false,
            table: None,
            joined: false,
            moves: 0,
            game_over: false,
            launcher_left: false,
            joiner_left: false,
            started_ns: 0,
            launch_sent_ns: 0,
        });
        churn.own(launcher, p, Who::Launcher);
        churn.own(joiner, p, Who::Joiner);
    }

    let mut notes = Vec::new();
    let cpu0 = CpuSample::take(server);
    let games_cpu0 = server.and_then(|s| s.children_cpu_time().ok());
    let started = monotonic_ns();
    let end = started.saturating_add(ns_from_secs(o.secs));
    churn.last_finish_ns = started;
    let more_games =
        |churn: &Churn| monotonic_ns() < end && (o.games == 0 || churn.started < o.games);
    for p in 0..churn.pairs.len() {
        if more_games(&churn) {
            churn.start(&mut engine, p, &mut notes);
        }
    }
    let tolerated = 10 + o.games / 100;
    while churn.busy() {
        let Some(left) = target.left() else {
            r.fail("the run timed out (--timeout) with games in progress");
            break;
        };
        engine.turn(Some(left.min(Duration::from_millis(100))), &mut notes)?;
        // Notes first, all of them (handling may add more), and only then
        // new games: a new channel may reuse the id of a closed one.
        let mut finished = Vec::new();
        loop {
            let batch = std::mem::take(&mut notes);
            if batch.is_empty() {
                break;
            }
            for note in batch {
                finished.extend(churn.on_note(&mut engine, note, &mut notes));
            }
        }
        for p in finished {
            if more_games(&churn) {
                churn.start(&mut engine, p, &mut notes);
            }
        }
        let failed: u64 = churn.failures.values().sum();
        if failed > tolerated {
            r.fail(format!(
                "giving up: {failed} games failed ({})",
                crowd::describe(&churn.failures)
            ));
            break;
        }
    }
    let cpu1 = CpuSample::take(server);
    let games_cpu1 = server.and_then(|s| s.children_cpu_time().ok());
    let elapsed = churn.last_finish_ns.saturating_sub(started);

    r.count("games", churn.finished);
    r.text("failures", crowd::describe(&churn.failures));
    r.real("elapsed_s", secs(elapsed), 3);
    r.real("games_per_s", churn.finished as f64 / secs(elapsed), 1);
    r.latency("launch_to_ready", &churn.launch);
    r.latency("game", &churn.game);
    let (generator, server_cpu) = cpu1.since(&cpu0);
    r.cpu("tables", secs(elapsed), generator, server_cpu);
    // ggzd's own cost of a game (its event loop: lobby, launch, and over
    // WebSocket the relay of both channels), to set WS against TCP.
    r.maybe_real(
        "server_cpu_ms_per_game",
        server_cpu
            .filter(|_| churn.finished > 0)
            .map(|s| s * 1000.0 / churn.finished as f64),
        3,
    );
    let games_cpu = match (games_cpu0, games_cpu1) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
        _ => None,
    };
    r.maybe_real("tables_game_servers_cpu_s", games_cpu, 3);
    r.machine_cpu("tables", cpu1.machine_since(&cpu0));
    if !churn.failures.is_empty() {
        r.fail(format!(
            "games failed: {}",
            crowd::describe(&churn.failures)
        ));
    }
    if churn.finished == 0 {
        r.fail("no game was played to the end");
    }

    let players = crowd.ready.len();
    crowd::leave_and_report(
        &mut engine,
        &crowd.ready,
        players,
        target,
        Duration::from_secs(10),
        &mut r,
    )?;
    Ok(r)
}
