//! `ggzd-bench`: a load generator for ggzd. See `BENCHMARKS.md` for how
//! the published figures were taken.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ggzd::auth::HashParams;

use ggzd_tools::bench::chat::{self, ChatOptions};
use ggzd_tools::bench::crowd::Target;
use ggzd_tools::bench::idle::{self, IdleOptions};
use ggzd_tools::bench::lockstep::{self, LockstepOptions};
use ggzd_tools::bench::logins::{self, LoginOptions};
use ggzd_tools::bench::mixed::{self, MixedOptions};
use ggzd_tools::bench::nonreaders::{self, NonReaderOptions};
use ggzd_tools::bench::procfs::Process;
use ggzd_tools::bench::queue::{self, QueueOptions};
use ggzd_tools::bench::report::Report;
use ggzd_tools::bench::setup::{self, SetupOptions};
use ggzd_tools::bench::storm::{self, StormOptions};
use ggzd_tools::bench::tables::{self, Placement, TableOptions};
use ggzd_tools::bench::{target, wakeups};

/// Load generator for ggzd (GGZ protocol 10). Sends load to loopback
/// only, unless --allow-remote is given; every run is bounded by
/// --timeout.
#[derive(Debug, Parser)]
#[command(name = "ggzd-bench", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Args)]
struct Global {
    /// Server address (host:port). Give it more than once (or comma
    /// separated) for the nodes of one zone: player connections go round
    /// robin across them, each game channel to its player's node.
    #[arg(
        long,
        short = 's',
        global = true,
        default_value = "127.0.0.1:5688",
        value_delimiter = ','
    )]
    server: Vec<String>,
    /// Allow a server address that is not loopback.
    #[arg(long, global = true)]
    allow_remote: bool,
    /// ggzd's process id, for its memory, CPU time and context switches.
    /// Give one per node (in -s order, or comma separated) for CPU per
    /// node; the first is the one whose memory is reported.
    #[arg(long, global = true, value_delimiter = ',')]
    pid: Vec<u32>,
    /// Print one JSON object instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Longest the whole run may take, in seconds.
    #[arg(long, global = true, default_value_t = 300.0)]
    timeout: f64,
    /// ggzd's [web] listener (host:port): idle, chat and tables connect
    /// their clients there over WebSocket (game channels too) instead of
    /// to --server, which is still probed first.
    #[arg(long, global = true)]
    web: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// N guests join one room and stay: join time, server memory per
    /// connection, wake-ups while idle.
    Idle {
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        #[arg(long, default_value_t = 1)]
        room: u32,
        /// Seconds to hold the clients once the room has settled.
        #[arg(long, default_value_t = 10.0)]
        hold: f64,
        /// Connections not yet in the room at a time.
        #[arg(long, default_value_t = 500)]
        concurrency: usize,
        /// Name prefix (names are PREFIX + 5 digits).
        #[arg(long, default_value = "b")]
        prefix: String,
        /// Start TLS after the greeting (the server must offer it; any
        /// certificate is accepted).
        #[arg(long)]
        tls: bool,
    },
    /// Chat fan-out: N in a room, S send M chats each; deliveries/s and
    /// latency of every delivery.
    Chat {
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        senders: usize,
        #[arg(long, default_value_t = 100)]
        messages: usize,
        #[arg(long, default_value_t = 1)]
        room: u32,
        /// Chats per second per sender (default: as fast as --window allows).
        #[arg(long)]
        rate: Option<f64>,
        /// Most chats per sender sent and not yet echoed back.
        #[arg(long, default_value_t = 8)]
        window: usize,
        #[arg(long, default_value_t = 500)]
        concurrency: usize,
        #[arg(long, default_value = "c")]
        prefix: String,
        /// Start TLS after the greeting (the server must offer it; any
        /// certificate is accepted).
        #[arg(long)]
        tls: bool,
    },
    /// Login throughput and latency (connect to RESULT login ok).
    Logins {
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        #[arg(long, default_value_t = 100)]
        concurrency: usize,
        /// Log into registered accounts (registered first, untimed).
        #[arg(long)]
        registered: bool,
        /// Registered mode: number of accounts to cycle through.
        #[arg(long, default_value_t = 1000)]
        accounts: usize,
        #[arg(long, default_value = "bench-password")]
        password: String,
        /// Name prefix: guests get PREFIX + a number, accounts PREFIX + 5
        /// digits.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Wrong passwords from many connections and addresses (127.0.1.x)
    /// while a legit client logs in from 127.0.0.2: its latency, and
    /// ggzd's RSS before, during and after (needs --pid for RSS).
    Storm {
        #[arg(long, default_value_t = 500)]
        connections: usize,
        /// Source addresses the storm comes from.
        #[arg(long, default_value_t = 50)]
        addresses: usize,
        /// Legit logins during the storm, one after the other.
        #[arg(long, default_value_t = 20)]
        legit: usize,
        /// Least seconds the storm lasts.
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
        #[arg(long, default_value = "st")]
        prefix: String,
    },
    /// Clients in a room that never read, while one sender floods the room:
    /// kernel TCP memory before, at the peak and after, and how many ggzd
    /// dropped.
    Nonreaders {
        #[arg(long, default_value_t = 200)]
        clients: usize,
        #[arg(long, default_value_t = 1)]
        room: u32,
        #[arg(long, default_value_t = 3000)]
        chats: usize,
        #[arg(long, default_value = "nr")]
        prefix: String,
    },
    /// Chat latency in a room with and without a registered-login storm.
    Mixed {
        #[arg(long, default_value_t = 200)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        senders: usize,
        /// Chats per second per sender.
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
        #[arg(long, default_value_t = 1)]
        room: u32,
        /// Seconds of the baseline and of the storm phase, each.
        #[arg(long, default_value_t = 10.0)]
        phase: f64,
        /// Registered logins in flight during the storm.
        #[arg(long, default_value_t = 16)]
        storm_concurrency: usize,
        #[arg(long, default_value_t = 200)]
        accounts: usize,
        #[arg(long, default_value = "bench-password")]
        password: String,
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
    },
    /// TicTacToe table churn: pairs launch, join, play five moves over
    /// their game channels and leave, game after game; games/s and
    /// launch-to-ready latency.
    Tables {
        /// Pairs of players, each playing one game at a time.
        #[arg(long, default_value_t = 4)]
        pairs: usize,
        /// The TicTacToe room (room 2 of write-config's layout).
        #[arg(long, default_value_t = 2)]
        room: u32,
        /// TicTacToe's game type id.
        #[arg(long, default_value_t = 0)]
        game: u32,
        /// Seconds during which new games are started.
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
        /// Most games to start in all (0: no limit but --secs).
        #[arg(long, default_value_t = 0)]
        games: u64,
        /// Name prefix (names are PREFIX + 5 digits).
        #[arg(long, default_value = "t")]
        prefix: String,
        /// With several -s (the nodes of one zone): each pair's launcher
        /// on one node, its joiner on another, so the joiner's node relays
        /// every game's channel to the table's node.
        #[arg(long, conflicts_with = "same_node")]
        cross_node: bool,
        /// With several -s: both players of each pair on one node (the
        /// baseline for --cross-node).
        #[arg(long)]
        same_node: bool,
    },
    /// Lockstep relay tables (docs/lockstep.md): TABLES tables of PLAYERS
    /// players run turns; turns/s, master-packet latency (from the later of
    /// the turn's last command and its due time), game server CPU per
    /// table.
    Lockstep {
        #[arg(long, default_value_t = 10)]
        tables: usize,
        #[arg(long, default_value_t = 2)]
        players: usize,
        /// The lockstep room (room 3 of write-config's layout, 50 ms turns).
        #[arg(long, default_value_t = 3)]
        room: u32,
        /// The lockstep game's type id (game 2 of the shipped games).
        #[arg(long, default_value_t = 2)]
        game: u32,
        /// Seconds measured once every table runs.
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
        /// Name prefix (names are PREFIX + 5 digits).
        #[arg(long, default_value = "l")]
        prefix: String,
        /// Turns ahead a player sends its command for: on the master
        /// packet of turn N, the command for turn N + DELAY (1 to the
        /// relay's window + 1; docs/lockstep.md §3.4). The latency runs
        /// from the later of a turn's last command and its due time.
        #[arg(long, default_value_t = 2)]
        command_delay: u32,
        /// Seconds played after every table runs and before the measured
        /// window: the 500 relays' first turns (their start, the first
        /// event-log writes) are not the steady state the figures describe.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
    },
    /// Matchmaking: players queue at a steady rate, are matched, play
    /// TicTacToe at the table they were given and queue again; matches/s,
    /// time in queue and the rating gap of the matched pairs.
    Queue {
        /// Players in all.
        #[arg(long, default_value_t = 40)]
        players: usize,
        /// Guests in an unrated queue instead of write-config's rated
        /// accounts (every gap is then 0 and not reported).
        #[arg(long)]
        guests: bool,
        /// The room with the queue (write-config's layout: 4, the rated
        /// room; with --guests 2).
        #[arg(long)]
        room: Option<u32>,
        /// The queue's name (write-config's: `rated`; with --guests
        /// `bench`).
        #[arg(long)]
        queue: Option<String>,
        /// The accounts' password.
        #[arg(long, default_value = "bench-password")]
        password: String,
        /// Queue again right after a game, not once its new rating is
        /// shown: a ticket may then carry a rating a game old, and one
        /// whose update crossed the MATCH counts as unpaired.
        #[arg(long)]
        requeue_at_once: bool,
        /// Tickets per second (0: every idle player queues at once).
        #[arg(long, default_value_t = 200.0)]
        rate: f64,
        /// Seconds during which tickets are issued.
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
        /// Name prefix (names are PREFIX + 5 digits; default p, the
        /// accounts write-config makes, or q with --guests).
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Context switches of an otherwise untouched server over a period.
    Wakeups {
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
    },
    /// Writes a load-test configuration for ggzd into a directory.
    WriteConfig {
        #[arg(long)]
        dir: PathBuf,
        /// The ggzd source tree (games/ and target/release/ are used).
        #[arg(long, default_value = ".")]
        source: PathBuf,
        #[arg(long, default_value_t = 20_000)]
        room_capacity: u32,
        #[arg(long, default_value_t = 20_000)]
        max_clients: u32,
        /// Registered players with seeded ratings for the `queue`
        /// scenario (p00000, p00001, ...; password bench-password).
        #[arg(long, default_value_t = 1000)]
        rated_players: usize,
        /// Seed of the shuffle that deals the ratings to them.
        #[arg(long, default_value_t = 1)]
        rating_seed: u64,
    },
}

fn run(cli: Cli) -> std::io::Result<Option<Report>> {
    let g = &cli.global;
    let nodes = g
        .pid
        .iter()
        .map(|&pid| Process::open(pid))
        .collect::<std::io::Result<Vec<_>>>()?;
    let process = nodes.first().copied();
    if let Scenario::WriteConfig {
        dir,
        source,
        room_capacity,
        max_clients,
        rated_players,
        rating_seed,
    } = &cli.scenario
    {
        let file = setup::write(&SetupOptions {
            dir: dir.clone(),
            source: source.clone(),
            room_capacity: *room_capacity,
            max_clients: *max_clients,
            rated_players: *rated_players,
            rating_seed: *rating_seed,
            hash: HashParams::default(),
        })?;
        println!("{}", file.display());
        return Ok(None);
    }
    if let Scenario::Wakeups { secs } = &cli.scenario {
        let process = process.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "wakeups needs --pid")
        })?;
        return wakeups::run(&process, *secs).map(Some);
    }
    let servers = g
        .server
        .iter()
        .map(|s| target::resolve(s, g.allow_remote))
        .collect::<std::io::Result<Vec<_>>>()?;
    let Some(&addr) = servers.first() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "no --server given",
        ));
    };
    let several = servers.len() > 1;
    if several
        && (g.web.is_some()
            || matches!(
                cli.scenario,
                Scenario::Storm { .. } | Scenario::Nonreaders { .. }
            ))
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "several --server targets apply to idle, chat, logins, mixed, tables, lockstep \
             and queue over plain TCP or TLS (not with --web, storm or nonreaders)",
        ));
    }
    let web = g
        .web
        .as_deref()
        .map(|w| target::resolve(w, g.allow_remote))
        .transpose()?;
    if web.is_some()
        && !matches!(
            cli.scenario,
            Scenario::Idle { .. } | Scenario::Chat { .. } | Scenario::Tables { .. }
        )
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "--web applies to idle, chat and tables only",
        ));
    }
    let t = Target::new(addr, process, g.timeout)
        .with_web(web)
        .with_targets(servers)
        .with_nodes(nodes);
    let mut report = match cli.scenario {
        Scenario::Idle {
            clients,
            room,
            hold,
            concurrency,
            prefix,
            tls,
        } => idle::run(
            &t,
            &IdleOptions {
                clients,
                room,
                hold_s: hold,
                concurrency,
                prefix,
                tls,
            },
        )?,
        Scenario::Chat {
            clients,
            senders,
            messages,
            room,
            rate,
            window,
            concurrency,
            prefix,
            tls,
        } => chat::run(
            &t,
            &ChatOptions {
                clients,
                senders,
                messages,
                room,
                rate,
                window,
                concurrency,
                prefix,
                tls,
            },
        )?,
        Scenario::Logins {
            count,
            concurrency,
            registered,
            accounts,
            password,
            prefix,
        } => logins::run(
            &t,
            &LoginOptions {
                count,
                concurrency,
                registered,
                accounts,
                password,
                prefix: prefix.unwrap_or_else(|| if registered { "r" } else { "g" }.into()),
            },
        )?,
        Scenario::Storm {
            connections,
            addresses,
            legit,
            secs,
            prefix,
        } => storm::run(
            &t,
            &StormOptions {
                connections,
                addresses,
                legit,
                secs,
                prefix,
            },
        )?,
        Scenario::Nonreaders {
            clients,
            room,
            chats,
            prefix,
        } => nonreaders::run(
            &t,
            &NonReaderOptions {
                clients,
                room,
                chats,
                prefix,
            },
        )?,
        Scenario::Mixed {
            clients,
            senders,
            rate,
            room,
            phase,
            storm_concurrency,
            accounts,
            password,
            concurrency,
        } => mixed::run(
            &t,
            &MixedOptions {
                clients,
                senders,
                rate,
                room,
                phase_s: phase,
                storm_concurrency,
                accounts,
                password,
                prefix: "m".into(),
                account_prefix: "s".into(),
                concurrency,
            },
        )?,
        Scenario::Tables {
            pairs,
            room,
            game,
            secs,
            games,
            prefix,
            cross_node,
            same_node,
        } => tables::run(
            &t,
            &TableOptions {
                placement: match (cross_node, same_node) {
                    (true, _) => Placement::CrossNode,
                    (false, true) => Placement::SameNode,
                    (false, false) => Placement::Any,
                },
                pairs,
                room,
                game,
                secs,
                games,
                prefix,
            },
        )?,
        Scenario::Lockstep {
            tables,
            players,
            room,
            game,
            secs,
            prefix,
            command_delay,
            warmup,
        } => lockstep::run(
            &t,
            &LockstepOptions {
                tables,
                players,
                room,
                game,
                secs,
                prefix,
                command_delay,
                warmup,
            },
        )?,
        Scenario::Queue {
            players,
            guests,
            room,
            queue: name,
            password,
            requeue_at_once,
            rate,
            secs,
            prefix,
        } => queue::run(
            &t,
            &QueueOptions {
                players,
                who: if guests {
                    queue::Who::Guests
                } else {
                    queue::Who::Accounts { password }
                },
                room: room.unwrap_or(if guests { 2 } else { 4 }),
                queue: name.unwrap_or_else(|| if guests { "bench" } else { "rated" }.into()),
                rate,
                secs,
                prefix: prefix.unwrap_or_else(|| if guests { "q" } else { "p" }.into()),
                requeue_at_once,
            },
        )?,
        Scenario::Wakeups { .. } | Scenario::WriteConfig { .. } => return Ok(None),
    };
    if several {
        // How the clients were spread: player connections per target.
        report.text("targets", t.targets.summary());
    }
    Ok(Some(report))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    match run(cli) {
        Ok(Some(report)) => {
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_table());
            }
            if report.failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ggzd-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
