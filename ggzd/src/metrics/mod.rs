//! Counters and histograms for the Prometheus endpoint (docs/control.md).
//!
//! The zone and the event loop each own a plain struct of numbers and bump
//! it in place: no locks, no atomics, no allocation on a hot path (both
//! run on the event-loop thread). Per-game counters are indexed by the
//! zone's game id, which is stable across reloads, so they grow only when
//! a game is added. Rendering builds the text exposition format once per
//! scrape.

pub mod http;
pub mod matchmaking;

use std::fmt::Write as _;
use std::time::Duration;

/// A fixed-bucket histogram: durations in seconds, or plain numbers.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    /// `counts[i]`: observations `<= bounds[i]` and above the bound before
    /// (not cumulative; rendering sums them). The last slot is `+Inf`.
    counts: [u64; MAX_BUCKETS + 1],
    sum: f64,
    count: u64,
}

const MAX_BUCKETS: usize = 16;

/// Buckets for a login: argon2 and SQLite on a worker, usually tens of
/// milliseconds, seconds under a login storm.
pub const LOGIN_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets for a game server's start: fork, exec, and its first WAITING.
pub const LAUNCH_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets for time in a matchmaking queue: a round or a few, up to
/// minutes for rare ratings.
pub const MATCH_WAIT_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// Buckets for the rating gap of a match, in rating points.
pub const MATCH_GAP_BUCKETS: &[f64] = &[
    0.0, 10.0, 25.0, 50.0, 100.0, 150.0, 200.0, 300.0, 500.0, 1000.0,
];

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds: bounds.get(..MAX_BUCKETS.min(bounds.len())).unwrap_or(&[]),
            counts: [0; MAX_BUCKETS + 1],
            sum: 0.0,
            count: 0,
        }
    }

    pub fn observe(&mut self, value: Duration) {
        self.observe_value(value.as_secs_f64());
    }

    /// A plain number, for histograms of something other than time.
    pub fn observe_value(&mut self, value: f64) {
        let slot = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        if let Some(c) = self.counts.get_mut(slot) {
            *c += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(self.counts.iter()) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

/// How a login ended: `kind` (guest, normal, first) by `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKindLabel {
    Guest,
    Normal,
    First,
}

pub fn login_label(kind: crate::proto::request::LoginKind) -> LoginKindLabel {
    use crate::proto::request::LoginKind;
    match kind {
        LoginKind::Guest => LoginKindLabel::Guest,
        LoginKind::Normal => LoginKindLabel::Normal,
        LoginKind::First => LoginKindLabel::First,
    }
}

/// A table that never got announced failed its launch, whatever the
/// reason given to its players.
pub fn table_outcome(announced: bool, reason: crate::proto::types::LeaveReason) -> TableOutcome {
    use crate::proto::types::LeaveReason;
    match reason {
        _ if !announced => TableOutcome::LaunchFail,
        LeaveReason::Normal => TableOutcome::Normal,
        LeaveReason::Boot => TableOutcome::Boot,
        LeaveReason::GameOver => TableOutcome::GameOver,
        LeaveReason::GameError => TableOutcome::GameError,
    }
}

/// How a table ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOutcome {
    /// Its game server never reported WAITING (or failed before).
    LaunchFail,
    /// Everyone left.
    Normal,
    GameOver,
    GameError,
    Boot,
}

const TABLE_OUTCOMES: [(TableOutcome, &str); 5] = [
    (TableOutcome::LaunchFail, "launch_fail"),
    (TableOutcome::Normal, "normal"),
    (TableOutcome::GameOver, "gameover"),
    (TableOutcome::GameError, "gameerror"),
    (TableOutcome::Boot, "boot"),
];

const CHAT_KINDS: [&str; 5] = ["normal", "announce", "beep", "private", "table"];

#[derive(Debug, Clone, Copy, Default)]
pub struct GameCounts {
    pub launched: u64,
    /// By [`TableOutcome`], in the order of `TABLE_OUTCOMES`.
    pub ended: [u64; 5],
}

/// What the zone counts.
#[derive(Debug, Clone)]
pub struct ZoneMetrics {
    /// `[kind][ok, refused]`.
    logins: [[u64; 2]; 3],
    chats: [u64; 5],
    /// Chat lines handed to recipients' queues, one per recipient.
    chat_deliveries: u64,
    /// By game id.
    games: Vec<GameCounts>,
    pub launch_latency: Histogram,
    /// From LOGIN to its answer, for logins the workers checked (queue
    /// and backoff waits included).
    pub login_latency: Histogram,
    /// Time matched tickets spent in their queue.
    pub match_wait: Histogram,
    /// Rating spread of the players of each matched table, in points.
    pub match_gap: Histogram,
}

impl Default for ZoneMetrics {
    fn default() -> Self {
        ZoneMetrics {
            logins: [[0; 2]; 3],
            chats: [0; 5],
            chat_deliveries: 0,
            games: Vec::new(),
            launch_latency: Histogram::new(LAUNCH_BUCKETS),
            login_latency: Histogram::new(LOGIN_BUCKETS),
            match_wait: Histogram::new(MATCH_WAIT_BUCKETS),
            match_gap: Histogram::new(MATCH_GAP_BUCKETS),
        }
    }
}

impl ZoneMetrics {
    pub fn login(&mut self, kind: LoginKindLabel, ok: bool) {
        let k = kind as usize;
        if let Some(row) = self.logins.get_mut(k)
            && let Some(c) = row.get_mut(usize::from(!ok))
        {
            *c += 1;
        }
    }

    pub fn logins(&self, kind: LoginKindLabel, ok: bool) -> u64 {
        self.logins
            .get(kind as usize)
            .and_then(|row| row.get(usize::from(!ok)))
            .copied()
            .unwrap_or(0)
    }

    /// One chat line routed, by its wire type (`normal`, `announce`,
    /// `beep`, `private`, `table`); other types count as `normal`, which
    /// is how they are routed.
    pub fn chat(&mut self, kind: &str) {
        let i = CHAT_KINDS.iter().position(|k| *k == kind).unwrap_or(0);
        if let Some(c) = self.chats.get_mut(i) {
            *c += 1;
        }
    }

    /// A routed chat line reached this many recipients.
    pub fn chat_delivered(&mut self, recipients: usize) {
        self.chat_deliveries = self.chat_deliveries.saturating_add(recipients as u64);
    }

    pub fn chats(&self) -> u64 {
        self.chats.iter().sum()
    }

    fn game(&mut self, game: usize) -> Option<&mut GameCounts> {
        // Game ids are dense and few; bounded by the game descriptions.
        if self.games.len() <= game && game < 4096 {
            self.games.resize(game + 1, GameCounts::default());
        }
        self.games.get_mut(game)
    }

    pub fn table_launched(&mut self, game: usize) {
        if let Some(g) = self.game(game) {
            g.launched += 1;
        }
    }

    pub fn table_ended(&mut self, game: usize, outcome: TableOutcome) {
        let i = TABLE_OUTCOMES
            .iter()
            .position(|(o, _)| *o == outcome)
            .unwrap_or(0);
        if let Some(c) = self.game(game).and_then(|g| g.ended.get_mut(i)) {
            *c += 1;
        }
    }

    pub fn game_counts(&self, game: usize) -> GameCounts {
        self.games.get(game).copied().unwrap_or_default()
    }
}

/// What the event loop counts.
#[derive(Debug, Clone, Default)]
pub struct IoMetrics {
    /// Clients dropped because their output queue was full.
    pub output_drops: u64,
    pub control_requests: u64,
    pub scrapes: u64,
}

/// Game servers that took a table: started ahead of it (the warm pool,
/// docs/matchmaking.md §10) or for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GameServerStarts {
    pub prestarted: u64,
    pub on_demand: u64,
}

/// Connections of each kind, as the zone sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionCounts {
    /// Connected, no LOGIN or CHANNEL yet.
    pub fresh: usize,
    pub logging_in: usize,
    pub players: usize,
    /// Game channels, being prepared or waiting for their table.
    pub channels: usize,
}

/// Values read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub uptime: Duration,
    pub connections: ConnectionCounts,
    pub control_connections: usize,
    pub rooms: usize,
    /// Live tables, by game name.
    pub tables: Vec<(String, usize)>,
    pub worker_queue: usize,
    /// LOGINs waiting for a free worker.
    pub login_queue: usize,
    /// Untranslated names by game id, for the per-game counters.
    pub game_names: Vec<String>,
    pub matchmaking: matchmaking::MatchmakingGauges,
    pub store: StoreGauges,
    pub starts: GameServerStarts,
}

/// The store's reachability (PostgreSQL; docs/postgresql.md §5).
#[derive(Debug, Default, Clone, Copy)]
pub struct StoreGauges {
    /// False on SQLite: nothing is rendered.
    pub watched: bool,
    pub up: bool,
    pub outages: u64,
    /// Game results waiting for the store.
    pub deferred: usize,
    /// Game results lost because too many waited.
    pub deferred_dropped: u64,
}

fn render_store(out: &mut String, s: &StoreGauges) {
    if !s.watched {
        return;
    }
    header(
        out,
        "ggzd_store_up",
        "gauge",
        "1 while the database can be reached, 0 during an outage.",
    );
    let _ = writeln!(out, "ggzd_store_up {}", u8::from(s.up));
    header(
        out,
        "ggzd_store_outages_total",
        "counter",
        "Times the database became unreachable.",
    );
    let _ = writeln!(out, "ggzd_store_outages_total {}", s.outages);
    header(
        out,
        "ggzd_store_deferred_writes",
        "gauge",
        "Game results and savegame records waiting for the database.",
    );
    let _ = writeln!(out, "ggzd_store_deferred_writes {}", s.deferred);
    header(
        out,
        "ggzd_store_deferred_dropped_total",
        "counter",
        "Game results and savegame records lost because too many waited.",
    );
    let _ = writeln!(
        out,
        "ggzd_store_deferred_dropped_total {}",
        s.deferred_dropped
    );
}

/// Escapes a label value for the text format.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The Prometheus text exposition (version 0.0.4).
pub fn render(zone: &ZoneMetrics, io: &IoMetrics, g: &Gauges) -> String {
    let mut out = String::with_capacity(4096);
    header(
        &mut out,
        "ggzd_uptime_seconds",
        "gauge",
        "Seconds since start.",
    );
    let _ = writeln!(out, "ggzd_uptime_seconds {}", g.uptime.as_secs());

    header(
        &mut out,
        "ggzd_connections",
        "gauge",
        "Open connections by kind.",
    );
    let c = &g.connections;
    for (kind, n) in [
        ("fresh", c.fresh),
        ("logging_in", c.logging_in),
        ("player", c.players),
        ("channel", c.channels),
        ("control", g.control_connections),
    ] {
        let _ = writeln!(out, "ggzd_connections{{kind=\"{kind}\"}} {n}");
    }
    header(&mut out, "ggzd_rooms", "gauge", "Rooms.");
    let _ = writeln!(out, "ggzd_rooms {}", g.rooms);

    header(
        &mut out,
        "ggzd_logins_total",
        "counter",
        "Logins by kind and outcome.",
    );
    for (kind, name) in [
        (LoginKindLabel::Guest, "guest"),
        (LoginKindLabel::Normal, "normal"),
        (LoginKindLabel::First, "first"),
    ] {
        for (ok, outcome) in [(true, "ok"), (false, "refused")] {
            let _ = writeln!(
                out,
                "ggzd_logins_total{{kind=\"{name}\",outcome=\"{outcome}\"}} {}",
                zone.logins(kind, ok)
            );
        }
    }
    header(
        &mut out,
        "ggzd_chat_messages_total",
        "counter",
        "Chat lines delivered, by type.",
    );
    for (kind, n) in CHAT_KINDS.iter().zip(zone.chats.iter()) {
        let _ = writeln!(out, "ggzd_chat_messages_total{{type=\"{kind}\"}} {n}");
    }
    header(
        &mut out,
        "ggzd_chat_deliveries_total",
        "counter",
        "Chat lines queued to recipients, one per recipient.",
    );
    let _ = writeln!(out, "ggzd_chat_deliveries_total {}", zone.chat_deliveries);

    header(&mut out, "ggzd_tables", "gauge", "Live tables by game.");
    for (game, n) in &g.tables {
        let _ = writeln!(out, "ggzd_tables{{game=\"{}\"}} {n}", label(game));
    }
    header(
        &mut out,
        "ggzd_tables_launched_total",
        "counter",
        "Tables launched, by game.",
    );
    for (id, name) in g.game_names.iter().enumerate() {
        let counts = zone.game_counts(id);
        let _ = writeln!(
            out,
            "ggzd_tables_launched_total{{game=\"{}\"}} {}",
            label(name),
            counts.launched
        );
    }
    header(
        &mut out,
        "ggzd_tables_ended_total",
        "counter",
        "Tables ended, by game and outcome.",
    );
    for (id, name) in g.game_names.iter().enumerate() {
        let counts = zone.game_counts(id);
        for ((_, outcome), n) in TABLE_OUTCOMES.iter().zip(counts.ended.iter()) {
            let _ = writeln!(
                out,
                "ggzd_tables_ended_total{{game=\"{}\",outcome=\"{outcome}\"}} {n}",
                label(name)
            );
        }
    }
    header(
        &mut out,
        "ggzd_game_server_starts_total",
        "counter",
        "Game servers that took a table, by when they were started.",
    );
    let _ = writeln!(
        out,
        "ggzd_game_server_starts_total{{when=\"ahead\"}} {}",
        g.starts.prestarted
    );
    let _ = writeln!(
        out,
        "ggzd_game_server_starts_total{{when=\"at_launch\"}} {}",
        g.starts.on_demand
    );
    zone.launch_latency.render(
        &mut out,
        "ggzd_table_launch_seconds",
        "From LAUNCH to the game server's first WAITING.",
    );
    zone.login_latency.render(
        &mut out,
        "ggzd_login_seconds",
        "From LOGIN to its answer, for logins the workers checked.",
    );
    zone.match_wait.render(
        &mut out,
        "ggzd_queue_wait_seconds",
        "Time matched tickets spent in their matchmaking queue.",
    );
    zone.match_gap.render(
        &mut out,
        "ggzd_match_rating_gap",
        "Rating spread of the players of each matched table, in points.",
    );
    matchmaking::render(&mut out, &g.matchmaking);
    header(
        &mut out,
        "ggzd_output_queue_drops_total",
        "counter",
        "Clients dropped because they did not read their output.",
    );
    let _ = writeln!(out, "ggzd_output_queue_drops_total {}", io.output_drops);
    header(
        &mut out,
        "ggzd_worker_queue_depth",
        "gauge",
        "Jobs waiting for a worker thread.",
    );
    let _ = writeln!(out, "ggzd_worker_queue_depth {}", g.worker_queue);
    header(
        &mut out,
        "ggzd_login_queue_depth",
        "gauge",
        "LOGINs waiting in the fair queue for a free worker.",
    );
    let _ = writeln!(out, "ggzd_login_queue_depth {}", g.login_queue);
    render_store(&mut out, &g.store);
    header(
        &mut out,
        "ggzd_control_requests_total",
        "counter",
        "Requests on the control socket.",
    );
    let _ = writeln!(out, "ggzd_control_requests_total {}", io.control_requests);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_in_the_text() {
        let mut h = Histogram::new(&[0.1, 1.0]);
        h.observe(Duration::from_millis(50));
        h.observe(Duration::from_millis(500));
        h.observe(Duration::from_secs(5));
        let mut out = String::new();
        h.render(&mut out, "x", "help");
        assert!(out.contains("x_bucket{le=\"0.1\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"1\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count 3\n"), "{out}");
    }

    #[test]
    fn counters_render_with_labels() {
        let mut zone = ZoneMetrics::default();
        zone.login(LoginKindLabel::Guest, true);
        zone.login(LoginKindLabel::Normal, false);
        zone.chat("normal");
        zone.chat("private");
        zone.chat_delivered(40);
        zone.chat_delivered(1);
        zone.table_launched(1);
        zone.table_ended(1, TableOutcome::GameOver);
        let gauges = Gauges {
            game_names: vec!["A".into(), "Tic\"Tac".into()],
            tables: vec![("A".into(), 2)],
            starts: GameServerStarts {
                prestarted: 5,
                on_demand: 2,
            },
            ..Default::default()
        };
        let text = render(&zone, &IoMetrics::default(), &gauges);
        assert!(text.contains("ggzd_logins_total{kind=\"guest\",outcome=\"ok\"} 1\n"));
        assert!(text.contains("ggzd_logins_total{kind=\"normal\",outcome=\"refused\"} 1\n"));
        assert!(text.contains("ggzd_chat_messages_total{type=\"normal\"} 1\n"));
        assert!(text.contains("ggzd_chat_deliveries_total 41\n"), "{text}");
        assert!(text.contains("ggzd_tables{game=\"A\"} 2\n"));
        assert!(text.contains("ggzd_tables_launched_total{game=\"Tic\\\"Tac\"} 1\n"));
        assert!(
            text.contains("ggzd_tables_ended_total{game=\"Tic\\\"Tac\",outcome=\"gameover\"} 1\n")
        );
        assert!(text.contains("ggzd_tables_launched_total{game=\"A\"} 0\n"));
        assert!(!text.contains("ggzd_store_up"), "SQLite has no outages");
        assert!(text.contains("ggzd_game_server_starts_total{when=\"ahead\"} 5\n"));
        assert!(text.contains("ggzd_game_server_starts_total{when=\"at_launch\"} 2\n"));
    }

    #[test]
    fn the_store_gauges_show_an_outage() {
        let gauges = Gauges {
            store: StoreGauges {
                watched: true,
                up: false,
                outages: 2,
                deferred: 3,
                deferred_dropped: 0,
            },
            ..Default::default()
        };
        let text = render(&ZoneMetrics::default(), &IoMetrics::default(), &gauges);
        assert!(text.contains("ggzd_store_up 0\n"), "{text}");
        assert!(text.contains("ggzd_store_outages_total 2\n"), "{text}");
        assert!(text.contains("ggzd_store_deferred_writes 3\n"), "{text}");
    }

    #[test]
    fn game_ids_are_bounded() {
        let mut zone = ZoneMetrics::default();
        zone.table_launched(1 << 30);
        assert_eq!(zone.games.len(), 0);
    }
}
