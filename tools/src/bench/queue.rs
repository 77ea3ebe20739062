//! `queue`: matchmaking ("play now", docs/matchmaking.md). Players in a
//! TicTacToe room with a queue ask to be matched (`MATCH`) at a steady
//! arrival rate; on `MATCHED` each opens its game channel and JOINs the
//! table and seat it was given; the pair plays five moves over DIO
//! (seat 0 wins on the top row), each player leaves the finished table
//! and queues again when its turn in the arrival schedule comes.
//!
//! By default the players are `write-config`'s registered accounts with
//! seeded ratings, in its rated queue of a game that keeps ratings. Each
//! player learns its own rating from the room's player list at the start,
//! then from the stats update after each game (docs/client-server.md
//! §8.3, §12.1); it queues again only once that update came, so the
//! rating it holds when it sends MATCH is the one the server gives its
//! ticket. With `--requeue-at-once` it queues again right away, as a
//! person would: a ticket then carries the rating last shown, possibly a
//! game old as the server's is, and a ticket whose update arrived while
//! it waited is left out of the gaps (counted as unpaired). `--guests`
//! runs guests in an unrated queue instead: their ratings are not shown,
//! every gap is 0 by construction and is not reported.
//!
//! Reported: tables matched per second, time in queue (MATCH sent until
//! MATCHED arrived: the queue's round, then the game server's start until
//! it reported WAITING, since MATCHED goes out when the table is ready),
//! the rating gap of each matched pair ([`super::gaps`]), the ratings'
//! spread at the start and the end, the game time, and how long after
//! leaving its table a player saw its new rating (`stats_wait`: the
//! game report's trip through the store); CPU of generator, server and
//! game servers.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use super::clock::{monotonic_ns, ns_from_secs, secs};
use super::crowd::{self, Failures, Target};
use super::dio;
use super::engine::{ClientId, Engine, GameEvent, Note, Plan};
use super::gaps::Gaps;
use super::histogram::Histogram;
use super::procfs::CpuSample;
use super::ratings;
use super::report::Report;

/// Who queues.
#[derive(Debug, Clone)]
pub enum Who {
    /// Guests with fresh names (an unrated queue).
    Guests,
    /// Registered accounts PREFIX + 5 digits, made by `write-config`.
    Accounts { password: String },
}

#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Players in all.
    pub players: usize,
    pub who: Who,
    /// The room with the queue.
    pub room: u32,
    /// The queue's name.
    pub queue: String,
    /// Tickets per second; 0 = every idle player queues at once.
    pub rate: f64,
    /// Seconds during which tickets are issued.
    pub secs: f64,
    /// Name prefix (names are PREFIX + 5 digits).
    pub prefix: String,
    /// Rated games: queue again right after leaving the table, as a
    /// player would, instead of once the game's new rating is shown.
    pub requeue_at_once: bool,
}

/// The squares each seat plays in turn: seat 0 takes the top row and wins
/// on its third move.
const MOVES: [&[i32]; 2] = [&[0, 1, 2], &[3, 4]];

const LEAVE: &[u8] = b"<LEAVE FORCE='false' SPECTATOR='false'/>\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Waiting for its turn to queue.
    Idle,
    /// MATCH sent.
    Queued,
    /// MATCHED: the channel is opening, then JOIN.
    Matched,
    /// JOINed; the game runs.
    Playing,
    /// LEAVE sent after the game over.
    Leaving,
    /// Left the table; the game's new rating has not been shown yet.
    Reporting,
    /// Failed; takes no further part.
    Retired,
}

impl Step {
    /// Matched and not yet back to idle: the run waits for it.
    fn unfinished(self) -> bool {
        matches!(
            self,
            Step::Matched | Step::Playing | Step::Leaving | Step::Reporting
        )
    }
}

#[derive(Debug)]
struct Player {
    id: ClientId,
    name: String,
    step: Step,
    channel: Option<ClientId>,
    table: u32,
    seat: u32,
    moves: usize,
    queued_ns: u64,
    matched_ns: u64,
    /// The rating the server last showed for the player.
    rating: Option<i64>,
    /// `rating` when MATCH was sent: the ticket's.
    ticket_rating: Option<i64>,
    /// Rated games matched whose new rating has not been shown yet.
    stats_due: u32,
    /// When the player left the tables of those games it has left, oldest
    /// first (at most a few: see `MAX_UNSHOWN`).
    left_ns: VecDeque<u64>,
    /// A rating update arrived while the ticket was queued: the server may
    /// have given the ticket either rating.
    ticket_uncertain: bool,
}

/// Games left whose rating is still unshown, remembered per player for
/// `stats_wait`; beyond it the oldest is forgotten (the figure then
/// undercounts the wait).
const MAX_UNSHOWN: usize = 16;

#[derive(Debug, Default)]
struct Run {
    players: Vec<Player>,
    /// By client id: the player, and whether it is its game channel.
    owner: Vec<Option<(usize, bool)>>,
    /// Players waiting for their turn to queue, in order.
    idle: VecDeque<usize>,
    /// Matched players whose channel opens once this turn's notes are all
    /// handled: a channel may reuse the id of one whose close note is
    /// still in the batch.
    opening: Vec<usize>,
    in_queue: Histogram,
    game: Histogram,
    /// Rated games: from leaving the table until the new rating was
    /// shown (0 when it came first), i.e. how long the game's report took
    /// to be stored, as far as it held the player up.
    stats_wait: Histogram,
    tickets: u64,
    /// MATCHED seat 0: one per matched table.
    matches: u64,
    /// Players who finished a game and left its table.
    finished: u64,
    failures: Failures,
    last_match_ns: u64,
    /// Rated games: players wait for their new rating before queuing,
    /// unless `requeue_at_once`.
    rated: bool,
    requeue_at_once: bool,
    gaps: Gaps,
}

impl Run {
    fn own(&mut self, id: ClientId, p: usize, channel: bool) {
        if self.owner.len() <= id {
            self.owner.resize(id + 1, None);
        }
        if let Some(slot) = self.owner.get_mut(id) {
            *slot = Some((p, channel));
        }
    }

    fn hang_up_channel(&mut self, engine: &mut Engine, p: usize) {
        let Some(channel) = self.players.get_mut(p).and_then(|pl| pl.channel.take()) else {
            return;
        };
        engine.hang_up(channel);
        if let Some(slot) = self.owner.get_mut(channel) {
            *slot = None;
        }
    }

    fn fail(&mut self, engine: &mut Engine, p: usize, what: String) {
        crowd::count_failure(&mut self.failures, what);
        self.hang_up_channel(engine, p);
        if let Some(pl) = self.players.get_mut(p) {
            pl.step = Step::Retired;
        }
    }

    fn queue(&mut self, engine: &mut Engine, p: usize, queue: &str, notes: &mut Vec<Note>) {
        let Some(pl) = self.players.get_mut(p) else {
            return;
        };
        pl.step = Step::Queued;
        pl.queued_ns = monotonic_ns();
        pl.ticket_rating = pl.rating;
        pl.ticket_uncertain = false;
        let id = pl.id;
        self.tickets += 1;
        engine.send(id, format!("<MATCH QUEUE='{queue}'/>\n").as_bytes(), notes);
    }

    fn on_note(&mut self, engine: &mut Engine, note: Note, notes: &mut Vec<Note>) {
        let id = match &note {
            Note::TableResult { id, .. }
            | Note::Seated { id, .. }
            | Note::LeftTable { id }
            | Note::ChannelReady { id }
            | Note::Game { id, .. }
            | Note::Matched { id, .. }
            | Note::OwnRating { id, .. }
            | Note::Closed { id, .. } => *id,
            _ => return,
        };
        let Some((p, is_channel)) = self.owner.get(id).copied().flatten() else {
            return;
        };
        let Some(pl) = self.players.get_mut(p) else {
            return;
        };
        if pl.step == Step::Retired {
            return;
        }
        let now = monotonic_ns();
        match note {
            Note::TableResult {
                action, refused, ..
            } => match (action, refused) {
                (_, None) => {}
                (action, Some(code)) => {
                    self.fail(engine, p, format!("{action:?} refused: {code}"));
                }
            },
            // Idle too: a ticket withdrawn at the end may have been matched
            // just before.
            Note::Matched { table, seat, .. } if matches!(pl.step, Step::Queued | Step::Idle) => {
                self.in_queue.record(now.saturating_sub(pl.queued_ns));
                pl.step = Step::Matched;
                pl.table = table;
                pl.seat = seat;
                pl.moves = 0;
                pl.matched_ns = now;
                if self.rated {
                    pl.stats_due += 1;
                }
                let rating = pl
                    .ticket_rating
                    .filter(|_| self.rated && !pl.ticket_uncertain);
                self.gaps.matched((engine.node_of(id), table), p, rating);
                if seat == 0 {
                    self.matches += 1;
                    self.last_match_ns = now;
                }
                self.opening.push(p);
            }
            Note::Matched { .. } => {
                self.fail(engine, p, "MATCHED while not queued".into());
            }
            Note::ChannelReady { .. } if is_channel => {
                pl.step = Step::Playing;
                let join = format!("<JOIN TABLE='{}' SEAT='{}'/>\n", pl.table, pl.seat);
                let player = pl.id;
                engine.send(player, join.as_bytes(), notes);
            }
            Note::Game { event, .. } if is_channel => match event {
                GameEvent::MoveRequested => {
                    let square = MOVES
                        .get(pl.seat as usize)
                        .and_then(|m| m.get(pl.moves))
                        .copied();
                    match square {
                        Some(square) => {
                            pl.moves += 1;
                            engine.send(id, &dio::send_move(square), notes);
                        }
                        None => {
                            let what = format!("move {} asked of seat {}", pl.moves + 1, pl.seat);
                            self.fail(engine, p, what);
                        }
                    }
                }
                GameEvent::GameOver => {
                    pl.step = Step::Leaving;
                    let player = pl.id;
                    engine.send(player, LEAVE, notes);
                }
                GameEvent::MoveRefused(status) => {
                    self.fail(engine, p, format!("move refused with status {status}"));
                }
            },
            Note::LeftTable { .. } if !is_channel => {
                if pl.step != Step::Leaving {
                    self.fail(engine, p, "left the table before the game over".into());
                    return;
                }
                self.game.record(now.saturating_sub(pl.matched_ns));
                self.finished += 1;
                let table = (engine.node_of(id), pl.table);
                if pl.stats_due > 0 {
                    if pl.left_ns.len() >= MAX_UNSHOWN {
                        pl.left_ns.pop_front();
                    }
                    pl.left_ns.push_back(now);
                }
                if pl.stats_due > 0 && !self.requeue_at_once {
                    pl.step = Step::Reporting;
                } else {
                    pl.step = Step::Idle;
                    self.idle.push_back(p);
                }
                self.gaps.left(table, p);
                self.hang_up_channel(engine, p);
            }
            Note::OwnRating { rating, .. } => {
                pl.rating = Some(rating);
                if pl.step == Step::Queued {
                    pl.ticket_uncertain = true;
                }
                if pl.stats_due > 0 {
                    pl.stats_due -= 1;
                    // Shown before the player left that game's table: no wait.
                    let left = pl.left_ns.pop_front().unwrap_or(now);
                    self.stats_wait.record(now.saturating_sub(left));
                }
                if pl.stats_due == 0 && pl.step == Step::Reporting {
                    pl.step = Step::Idle;
                    self.idle.push_back(p);
                }
            }
            Note::Closed { why, .. } if is_channel => {
                let expected = matches!(pl.step, Step::Leaving | Step::Idle);
                if let Some(slot) = self.owner.get_mut(id) {
                    *slot = None;
                }
                pl.channel = None;
                if !expected {
                    let step = pl.step;
                    self.fail(
                        engine,
                        p,
                        format!("game channel closed while {step:?}: {}", why.label()),
                    );
                }
            }
            Note::Closed { why, .. } => {
                self.fail(engine, p, format!("player closed: {}", why.label()));
            }
            _ => {}
        }
    }

    /// Opens the game channels of this turn's matches.
    fn open_channels(&mut self, engine: &mut Engine, notes: &mut Vec<Note>) {
        for p in std::mem::take(&mut self.opening) {
            let Some(pl) = self.players.get(p).filter(|pl| pl.step == Step::Matched) else {
                continue;
            };
            let name = pl.name.clone();
            let channel = engine.open_channel(&name, notes);
            if let Some(pl) = self.players.get_mut(p) {
                pl.channel = Some(channel);
            }
            self.own(channel, p, true);
        }
    }

    /// The players a timed-out run still waits for, by step, so that a
    /// hang says where it is (a rating never shown, a game never over).
    fn unfinished(&self) -> String {
        let mut counts: Vec<(Step, usize)> = Vec::new();
        for pl in self.players.iter().filter(|p| p.step.unfinished()) {
            match counts.iter_mut().find(|(s, _)| *s == pl.step) {
                Some((_, n)) => *n += 1,
                None => counts.push((pl.step, 1)),
            }
        }
        let parts: Vec<String> = counts
            .iter()
            .map(|(step, n)| format!("{n} {step:?}"))
            .collect();
        let names: Vec<&str> = self
            .players
            .iter()
            .filter(|p| p.step.unfinished())
            .take(3)
            .map(|p| p.name.as_str())
            .collect();
        format!("{} ({}...)", parts.join(", "), names.join(", "))
    }

    fn busy(&self) -> bool {
        self.players.iter().any(|p| p.step.unfinished())
    }

    /// Ratings the players hold now.
    fn ratings(&self) -> Vec<f64> {
        self.players
            .iter()
            .filter_map(|p| p.rating.map(|r| r as f64))
            .collect()
    }

    /// Asks every player for its room's player list and waits until each
    /// has seen its own rating there; false if some never did (the room's
    /// game keeps no ratings, or the players are guests).
    fn learn_ratings(&mut self, engine: &mut Engine, target: &Target) -> io::Result<bool> {
        let mut notes = Vec::new();
        for pl in &self.players {
            engine.send(pl.id, b"<LIST TYPE='player'/>\n", &mut notes);
        }
        let until = monotonic_ns().saturating_add(ns_from_secs(10.0));
        loop {
            for note in std::mem::take(&mut notes) {
                self.on_note(engine, note, &mut notes);
            }
            let waiting = self
                .players
                .iter()
                .filter(|p| p.step != Step::Retired && p.rating.is_none())
                .count();
            if waiting == 0 {
                return Ok(true);
            }
            let now = monotonic_ns();
            let Some(left) = target.left().filter(|_| now < until) else {
                return Ok(false);
            };
            engine.turn(Some(left.min(Duration::from_millis(100))), &mut notes)?;
        }
    }
}

/// Count, mean, SD, min and max of `ratings` as report rows under
/// `{prefix}_...`.
fn report_spread(r: &mut Report, prefix: &str, ratings: &[f64]) {
    let spread = ratings::mean_sd(ratings);
    r.maybe_real(&format!("{prefix}_mean"), spread.map(|s| s.0), 0);
    r.maybe_real(&format!("{prefix}_sd"), spread.map(|s| s.1), 0);
    let min = ratings.iter().copied().reduce(f64::min);
    let max = ratings.iter().copied().reduce(f64::max);
    r.maybe_real(&format!("{prefix}_min"), min, 0);
    r.maybe_real(&format!("{prefix}_max"), max, 0);
}

/// `count` of the accounts PREFIX + 5 digits logged in and gathered into
/// `room` (an error unless every one got in), then the room's burst of
/// player updates left to pass. Logins are checked by argon2 on the
/// server's workers: 16 in flight keep them busy, and stay within a stock
/// server's connections per address that have not logged in yet.
fn accounts_in_room(
    engine: &mut Engine,
    target: &Target,
    count: usize,
    password: &str,
    prefix: &str,
    room: u32,
) -> io::Result<crowd::Crowd> {
    let names = super::logins::account_names(prefix, count);
    let crowd = crowd::gather(engine, target, count, 16, |i| Plan {
        name: names.get(i).cloned().unwrap_or_default(),
        kind: ggzd::proto::request::LoginKind::Normal,
        password: Some(password.to_owned()),
        room: Some(room),
    })?;
    if crowd.ready.len() < count {
        return Err(io::Error::other(format!(
            "only {} of {count} accounts got into room {room} ({}); \
             write-config makes them (--rated-players)",
            crowd.ready.len(),
            crowd::describe(&crowd.failures)
        )));
    }
    crowd::settle(
        engine,
        target,
        Duration::from_millis(100),
        Duration::from_secs(2),
    )?;
    Ok(crowd)
}

pub fn run(target: &Target, o: &QueueOptions) -> io::Result<Report> {
    target.probe()?;
    let server = target.process.as_ref();
    let mut r = Report::new("queue");
    let players = o.players.max(2);
    r.count("players", players as u64);
    r.count("room", u64::from(o.room));
    r.real("rate_per_s", o.rate, 1);
    let mut engine = target.plain_engine()?;
    let login_started = monotonic_ns();
    let crowd = match &o.who {
        Who::Guests => {
            r.text("players_are", "guests");
            crowd::guests_in_room(&mut engine, target, players, players, &o.prefix, o.room)?
        }
        Who::Accounts { password } => {
            r.text("players_are", "registered");
            accounts_in_room(&mut engine, target, players, password, &o.prefix, o.room)?
        }
    };
    // Registered logins cost an argon2 verification each.
    r.real(
        "login_s",
        secs(monotonic_ns().saturating_sub(login_started)),
        3,
    );
    let mut run = Run {
        requeue_at_once: o.requeue_at_once,
        ..Run::default()
    };
    for (p, &id) in crowd.ready.iter().enumerate() {
        let name = engine
            .plan(id)
            .map(|pl| pl.name.clone())
            .unwrap_or_default();
        run.players.push(Player {
            id,
            name,
            step: Step::Idle,
            channel: None,
            table: 0,
            seat: 0,
            moves: 0,
            queued_ns: 0,
            matched_ns: 0,
            rating: None,
            ticket_rating: None,
            stats_due: 0,
            left_ns: VecDeque::new(),
            ticket_uncertain: false,
        });
        run.own(id, p, false);
        run.idle.push_back(p);
    }
    if matches!(o.who, Who::Accounts { .. }) {
        run.rated = run.learn_ratings(&mut engine, target)?;
        if !run.rated {
            r.warn(
                "the players' ratings were not shown (a room whose game keeps no \
                 ratings?): no rating gaps",
            );
        }
    }
    let start_ratings = run.ratings();

    let mut notes = Vec::new();
    let cpu0 = CpuSample::take(server);
    let games_cpu0 = server.and_then(|s| s.children_cpu_time().ok());
    let started = monotonic_ns();
    let end = started.saturating_add(ns_from_secs(o.secs));
    run.last_match_ns = started;
    let gap_ns = if o.rate > 0.0 {
        ns_from_secs(1.0 / o.rate).max(1)
    } else {
        0
    };
    let mut next_arrival = started;
    let mut skipped = 0u64;
    let tolerated = 10 + players as u64 / 10;
    let mut cancelled = false;
    loop {
        let now = monotonic_ns();
        if now < end {
            if gap_ns == 0 {
                while let Some(p) = run.idle.pop_front() {
                    run.queue(&mut engine, p, &o.queue, &mut notes);
                }
            } else {
                while next_arrival <= now {
                    match run.idle.pop_front() {
                        Some(p) => run.queue(&mut engine, p, &o.queue, &mut notes),
                        None => skipped += 1,
                    }
                    next_arrival = next_arrival.saturating_add(gap_ns);
                }
            }
        } else if !cancelled {
            // The run is over: tickets still waiting are withdrawn.
            cancelled = true;
            for pl in run.players.iter_mut().filter(|p| p.step == Step::Queued) {
                pl.step = Step::Idle;
                engine.send(pl.id, b"<MATCH_CANCEL/>\n", &mut notes);
            }
        }
        if cancelled && !run.busy() {
            break;
        }
        let Some(left) = target.left() else {
            r.fail(format!(
                "the run timed out (--timeout) with games in progress: {}",
                run.unfinished()
            ));
            break;
        };
        let wait = if now < end && gap_ns > 0 {
            Duration::from_nanos(next_arrival.saturating_sub(now))
        } else {
            Duration::from_millis(100)
        };
        engine.turn(
            Some(left.min(wait).min(Duration::from_millis(100))),
            &mut notes,
        )?;
        loop {
            let batch = std::mem::take(&mut notes);
            if batch.is_empty() {
                break;
            }
            for note in batch {
                run.on_note(&mut engine, note, &mut notes);
            }
        }
        run.open_channels(&mut engine, &mut notes);
        let failed: u64 = run.failures.values().sum();
        if failed > tolerated {
            r.fail(format!(
                "giving up: {failed} failures ({})",
                crowd::describe(&run.failures)
            ));
            break;
        }
    }
    let cpu1 = CpuSample::take(server);
    let games_cpu1 = server.and_then(|s| s.children_cpu_time().ok());
    let elapsed = run.last_match_ns.saturating_sub(started);

    r.count("tickets", run.tickets);
    r.count("matches", run.matches);
    r.count("games", run.finished / 2);
    r.count("arrivals_without_an_idle_player", skipped);
    r.text("failures", crowd::describe(&run.failures));
    r.real("elapsed_s", secs(elapsed), 3);
    r.real("matches_per_s", run.matches as f64 / secs(elapsed), 1);
    r.latency("time_in_queue", &run.in_queue);
    run.gaps.finish();
    let gaps = &run.gaps.gaps;
    let measured = run.rated && gaps.count() > 0;
    r.maybe_count("rating_gap_pairs", run.rated.then(|| gaps.count()));
    r.maybe_count(
        "rating_gap_p50",
        measured.then(|| gaps.quantile(0.5)).flatten(),
    );
    r.maybe_count(
        "rating_gap_p99",
        measured.then(|| gaps.quantile(0.99)).flatten(),
    );
    r.maybe_count("rating_gap_max", measured.then(|| gaps.max()));
    r.maybe_count(
        "rating_gap_unpaired",
        run.rated.then_some(run.gaps.unpaired),
    );
    report_spread(&mut r, "ratings_start", &start_ratings);
    report_spread(&mut r, "ratings_end", &run.ratings());
    r.latency("game", &run.game);
    if run.rated {
        r.latency("stats_wait", &run.stats_wait);
    }
    let (generator, server_cpu) = cpu1.since(&cpu0);
    r.cpu("queue", secs(elapsed), generator, server_cpu);
    let games_cpu = match (games_cpu0, games_cpu1) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
        _ => None,
    };
    r.maybe_real("queue_game_servers_cpu_s", games_cpu, 3);
    r.machine_cpu("queue", cpu1.machine_since(&cpu0));
    if !run.failures.is_empty() {
        r.fail(format!("failures: {}", crowd::describe(&run.failures)));
    }
    if run.matches == 0 {
        r.fail("nobody was matched");
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
