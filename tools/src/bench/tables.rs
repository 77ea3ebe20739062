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
//!
//! With several targets (the nodes of one zone), `--cross-node` puts each
//! pair's launcher on one node and its joiner on the next: the table and
//! its game server live on the launcher's node, and the joiner's node
//! relays the joiner's game channel to it (docs/cluster.md), so every
//! game's channel is relayed. `--same-node` keeps each pair on one node,
//! for the baseline. The joiner of a cross-node pair joins by the id its
//! own node gives the table (learnt from the room's table updates that
//! show the launcher seated); a JOIN its node refuses is sent again, a few
//! times, on a new channel (a refusal uses up the prepared one).

use std::io;
use std::time::Duration;

use super::clock::{monotonic_ns, ns_from_secs, secs};
use super::crowd::{self, Failures, Target};
use super::dio;
use super::engine::{ClientId, Engine, GameEvent, Note, TableAction};
use super::histogram::Histogram;
use super::procfs::{CpuSample, NodesSample};
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
    /// Where each pair's two players connect, with several targets.
    pub placement: Placement,
}

/// Where a pair's players connect when there are several targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// As the players happened to be ready (round robin over targets).
    #[default]
    Any,
    /// Both players of a pair on one node: no channel is relayed.
    SameNode,
    /// The launcher on one node, the joiner on the next: every game's
    /// channel is relayed between two nodes.
    CrossNode,
}

/// Most times a cross-node pair's JOIN is sent again after a refusal.
const JOIN_RETRIES: u32 = 20;
/// How long after a refusal the JOIN goes again.
const JOIN_RETRY_NS: u64 = 2_000_000;
/// How long a cross-node joiner waits for its node to show the table
/// after it was launched (it comes over the node link).
const TABLE_SHOWN_NS: u64 = 10_000_000_000;

/// Players to gather for `pairs` pairs over `nodes` targets: with a
/// placement, every node gets enough of each role (round robin gives
/// each node the same share), the rest leave before the run.
fn players_needed(pairs: usize, nodes: usize, placement: Placement) -> usize {
    match placement {
        Placement::Any => 2 * pairs,
        Placement::SameNode | Placement::CrossNode => {
            let nodes = nodes.max(1);
            nodes * 2 * pairs.div_ceil(nodes)
        }
    }
}

/// Chooses `pairs` (launcher, joiner) pairs among `ready` players (with
/// the node each connected to): pair j is on node j mod n, its joiner on
/// the same node or (cross-node) the next. An error when the players or
/// the nodes do not allow it.
fn pair_up(
    ready: &[(ClientId, Option<u16>)],
    pairs: usize,
    placement: Placement,
) -> Result<Vec<(ClientId, ClientId)>, String> {
    if placement == Placement::Any {
        return Ok(ready
            .chunks_exact(2)
            .take(pairs)
            .filter_map(|c| Some((c.first()?.0, c.get(1)?.0)))
            .collect());
    }
    let mut nodes: Vec<u16> = ready.iter().filter_map(|(_, n)| *n).collect();
    nodes.sort_unstable();
    nodes.dedup();
    if placement == Placement::CrossNode && nodes.len() < 2 {
        return Err("--cross-node needs players on at least two nodes (-s given twice)".into());
    }
    let mut free: Vec<Vec<ClientId>> = nodes
        .iter()
        .map(|node| {
            ready
                .iter()
                .rev()
                .filter(|(_, n)| *n == Some(*node))
                .map(|(id, _)| *id)
                .collect()
        })
        .collect();
    let n = nodes.len();
    let mut out = Vec::with_capacity(pairs);
    for j in 0..pairs {
        let home = j % n;
        let away = match placement {
            Placement::CrossNode => (j + 1) % n,
            _ => home,
        };
        let launcher = free.get_mut(home).and_then(Vec::pop);
        let joiner = free.get_mut(away).and_then(Vec::pop);
        match (launcher, joiner) {
            (Some(a), Some(b)) => out.push((a, b)),
            _ => return Err(format!("not enough players on each node for {pairs} pairs")),
        }
    }
    Ok(out)
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
    /// The table as the joiner's node shows it (cross-node: each node
    /// gives another node's table an id of its own), from the updates the
    /// joiner sees with the launcher seated.
    joiner_table: Option<u32>,
    /// When `RESULT launch ok` came.
    launched_ns: u64,
    /// JOINs sent again in this game after a refusal (cross-node).
    join_retries: u32,
    /// When the next JOIN goes, if one waits.
    join_due_ns: Option<u64>,
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
    /// Pairs are on two nodes: the joiner joins by its own node's id of
    /// the table, and a refused JOIN is sent again.
    cross_node: bool,
    /// JOINs sent again, in all.
    join_retries: u64,
    /// The refusals that made them, by code.
    join_refusals: Failures,
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
            pair.joiner_table = None;
            pair.launched_ns = 0;
            pair.join_retries = 0;
            pair.join_due_ns = None;
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
            | Note::TableSeat { id, .. }
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
                    pair.launched_ns = now;
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
                (TableAction::Join, Some(code))
                    if self.cross_node && !pair.joined && pair.join_retries < JOIN_RETRIES =>
                {
                    pair.join_retries += 1;
                    pair.join_due_ns = Some(now.saturating_add(JOIN_RETRY_NS));
                    // A refused JOIN uses up the prepared channel (the
                    // server closes it): the retry needs a new one.
                    let old = pair.joiner_channel.take();
                    pair.joiner_channel_ready = false;
                    let name = pair.joiner_name.clone();
                    self.join_retries += 1;
                    crowd::count_failure(&mut self.join_refusals, code.to_string());
                    if let Some(old) = old {
                        engine.hang_up(old);
                    }
                    self.disown(old);
                    let channel = engine.open_channel(&name, notes);
                    self.own(channel, p, Who::JoinerChannel);
                    if let Some(pair) = self.pairs.get_mut(p) {
                        pair.joiner_channel = Some(channel);
                    }
                }
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
            (Note::TableSeat { table, name, .. }, Who::Joiner)
                if self.cross_node
                    && name == pair.launcher_name
                    && matches!(pair.step, Step::Launching | Step::Playing) =>
            {
                pair.joiner_table = Some(table);
                self.try_join(engine, p, notes);
            }
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
        let table = if self.cross_node {
            pair.joiner_table
        } else {
            pair.table
        };
        let Some(table) = table else {
            return;
        };
        pair.step = Step::Playing;
        send_join(engine, pair.joiner, table, notes);
    }

    /// Cross-node pairs whose joiner's node has not shown the launched
    /// table for `TABLE_SHOWN_NS` fail (the nodes do not list each
    /// other's tables, or the link is down).
    fn unseen_tables(&mut self, engine: &mut Engine, now: u64) {
        if !self.cross_node {
            return;
        }
        let overdue: Vec<usize> = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.step == Step::Launching
                    && p.launched
                    && p.joiner_table.is_none()
                    && now.saturating_sub(p.launched_ns) > TABLE_SHOWN_NS
            })
            .map(|(i, _)| i)
            .collect();
        for p in overdue {
            self.fail(
                engine,
                p,
                "the joiner's node never showed the launched table".into(),
            );
        }
    }

    /// JOINs whose retry is due go again; returns when the next one is due.
    fn retry_due_joins(
        &mut self,
        engine: &mut Engine,
        now: u64,
        notes: &mut Vec<Note>,
    ) -> Option<u64> {
        let mut next: Option<u64> = None;
        for pair in self.pairs.iter_mut().filter(|p| p.step == Step::Playing) {
            match (pair.join_due_ns, pair.joiner_table.or(pair.table)) {
                // Its new channel is not ready yet: its note wakes the
                // loop, which comes back here.
                (Some(due), _) if due <= now && !pair.joiner_channel_ready => {}
                (Some(due), Some(table)) if due <= now => {
                    pair.join_due_ns = None;
                    send_join(engine, pair.joiner, table, notes);
                }
                (Some(due), _) => next = Some(next.map_or(due, |n| n.min(due))),
                (None, _) => {}
            }
        }
        next
    }

    /// Where the pairs still busy are, for a report that timed out.
    fn in_progress(&self) -> String {
        self.pairs
            .iter()
            .filter(|p| p.step != Step::Idle)
            .map(|p| {
                format!(
                    "{:?} (launched {}, table {:?}/{:?}, joined {}, moves {}, over {}, left {}/{})",
                    p.step,
                    p.launched,
                    p.table,
                    p.joiner_table,
                    p.joined,
                    p.moves,
                    p.game_over,
                    p.launcher_left,
                    p.joiner_left
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn busy(&self) -> bool {
        self.pairs.iter().any(|p| p.step != Step::Idle)
    }
}

/// CPU of the game servers every node has reaped (the tables of a zone
/// run on the nodes that launched them).
fn game_servers_cpu(target: &Target) -> Option<Duration> {
    if target.nodes.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    for node in &target.nodes {
        total += node.children_cpu_time().ok()?;
    }
    Some(total)
}

fn send_join(engine: &mut Engine, joiner: ClientId, table: u32, notes: &mut Vec<Note>) {
    engine.send(
        joiner,
        format!("<JOIN TABLE='{table}' SPECTATOR='false'/>\n").as_bytes(),
        notes,
    );
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
    let nodes = target.targets.servers().len();
    let placement = if nodes > 1 {
        o.placement
    } else {
        Placement::Any
    };
    if o.placement == Placement::CrossNode && nodes < 2 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--cross-node needs the nodes of a zone: give -s once per node",
        ));
    }
    r.text(
        "placement",
        match placement {
            Placement::Any => "any",
            Placement::SameNode => "same-node",
            Placement::CrossNode => "cross-node",
        },
    );
    let mut engine = target.engine(false)?;
    let needed = players_needed(pairs, nodes, placement);
    let crowd = crowd::guests_in_room(&mut engine, target, needed, needed, &o.prefix, o.room)?;
    let placed: Vec<(ClientId, Option<u16>)> = crowd
        .ready
        .iter()
        .map(|&id| (id, engine.node_of(id)))
        .collect();
    let chosen = pair_up(&placed, pairs, placement)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // Players no pair needs leave before the run, so the room is the
    // same as without a placement.
    let spare: Vec<ClientId> = crowd
        .ready
        .iter()
        .copied()
        .filter(|id| !chosen.iter().any(|(a, b)| a == id || b == id))
        .collect();
    crowd::leave_and_report(
        &mut engine,
        &spare,
        spare.len(),
        target,
        Duration::from_secs(10),
        &mut r,
    )?;
    let mut churn = Churn {
        game_type: o.game,
        cross_node: placement == Placement::CrossNode,
        ..Churn::default()
    };
    for (p, &(launcher, joiner)) in chosen.iter().enumerate() {
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
            joiner_table: None,
            launched_ns: 0,
            join_retries: 0,
            join_due_ns: None,
        });
        churn.own(launcher, p, Who::Launcher);
        churn.own(joiner, p, Who::Joiner);
    }

    let mut notes = Vec::new();
    let cpu0 = CpuSample::take(server);
    let nodes0 = NodesSample::take(&target.nodes);
    let games_cpu0 = game_servers_cpu(target);
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
            r.fail(format!(
                "the run timed out (--timeout) with games in progress: {}",
                churn.in_progress()
            ));
            break;
        };
        churn.unseen_tables(&mut engine, monotonic_ns());
        let retry_in = churn
            .retry_due_joins(&mut engine, monotonic_ns(), &mut notes)
            .map(|due| Duration::from_nanos(due.saturating_sub(monotonic_ns())));
        let wait = retry_in.map_or(Duration::from_millis(100), |d| {
            d.min(Duration::from_millis(100))
        });
        engine.turn(Some(left.min(wait)), &mut notes)?;
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
    let nodes1 = NodesSample::take(&target.nodes);
    let games_cpu1 = game_servers_cpu(target);
    let elapsed = churn.last_finish_ns.saturating_sub(started);

    r.count("games", churn.finished);
    r.text("failures", crowd::describe(&churn.failures));
    r.real("elapsed_s", secs(elapsed), 3);
    r.real("games_per_s", churn.finished as f64 / secs(elapsed), 1);
    r.latency("launch_to_ready", &churn.launch);
    r.latency("game", &churn.game);
    if churn.cross_node {
        r.count("join_retries", churn.join_retries);
        r.text("join_refusals", crowd::describe(&churn.join_refusals));
    }
    let (generator, server_cpu) = cpu1.since(&cpu0);
    r.cpu("tables", secs(elapsed), generator, server_cpu);
    r.nodes_cpu("tables", &nodes1.since(&nodes0));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten players round robin over three nodes, as `Spread` places them.
    fn round_robin(players: usize, nodes: u16) -> Vec<(ClientId, Option<u16>)> {
        (0..players)
            .map(|i| (i, Some((i % usize::from(nodes)) as u16)))
            .collect()
    }

    #[test]
    fn cross_node_pairs_never_share_a_node() {
        let ready = round_robin(players_needed(4, 3, Placement::CrossNode), 3);
        let node = |id: ClientId| ready[id].1;
        let pairs = pair_up(&ready, 4, Placement::CrossNode).unwrap();
        assert_eq!(pairs.len(), 4);
        for (a, b) in &pairs {
            assert_ne!(node(*a), node(*b), "{a} and {b}");
        }
        // Every node hosts tables: launchers on nodes 0, 1, 2, 0.
        let hosts: Vec<_> = pairs.iter().map(|(a, _)| node(*a).unwrap()).collect();
        assert_eq!(hosts, [0, 1, 2, 0]);
        let mut all: Vec<_> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 8, "no player is in two pairs");
    }

    #[test]
    fn same_node_pairs_share_their_node() {
        for pairs in 1..8 {
            let ready = round_robin(players_needed(pairs, 3, Placement::SameNode), 3);
            let got = pair_up(&ready, pairs, Placement::SameNode).unwrap();
            assert_eq!(got.len(), pairs);
            for (a, b) in got {
                assert_eq!(ready[a].1, ready[b].1);
            }
        }
    }

    #[test]
    fn enough_players_for_any_pair_count() {
        for nodes in 2..6u16 {
            for pairs in 1..20 {
                let needed = players_needed(pairs, usize::from(nodes), Placement::CrossNode);
                assert!(needed >= 2 * pairs);
                let ready = round_robin(needed, nodes);
                assert_eq!(
                    pair_up(&ready, pairs, Placement::CrossNode).map(|p| p.len()),
                    Ok(pairs),
                    "{pairs} pairs on {nodes} nodes"
                );
            }
        }
        assert_eq!(players_needed(4, 3, Placement::Any), 8);
    }

    #[test]
    fn cross_node_needs_two_nodes() {
        let one: Vec<_> = (0..4).map(|i| (i, Some(0))).collect();
        assert!(pair_up(&one, 2, Placement::CrossNode).is_err());
        let unknown: Vec<_> = (0..4).map(|i| (i, None)).collect();
        assert!(pair_up(&unknown, 2, Placement::CrossNode).is_err());
        assert!(pair_up(&round_robin(4, 2), 3, Placement::CrossNode).is_err());
    }

    #[test]
    fn any_placement_pairs_in_ready_order() {
        let ready = round_robin(5, 1);
        assert_eq!(
            pair_up(&ready, 4, Placement::Any).unwrap(),
            [(0, 1), (2, 3)]
        );
    }
}
