//! The client's event loop: one `mio::Poll` over the server connection,
//! the game channel, the input thread's waker and a signal pipe.
//!
//! Interactive use sends each command at once and shows replies as they
//! come. A script (`--script`) runs one command at a time: each waits
//! until the server has answered it (and, for launch and join, until the
//! user is at the table; for a move, until it is the user's turn and the
//! server took the move), and the first refusal ends the run with a
//! failure exit code.
//!
//! Here: the loop, input and signals, the server connection and what its
//! messages mean to the session. `commands` carries out a line,
//! `wait` decides when a script step is over, `game` runs the game
//! channel.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ggzd::client::Client;
use ggzd::numlist::NumberList;
use ggzd::proto::decoder::{Decoder, Event as XmlEvent, Limits};
use ggzd::proto::element::Element;
use ggzd::proto::escape::escape;
use ggzd::proto::request::LoginKind;
use ggzdmod::SeatKind;
use mio::{Events, Interest, Poll, Token, Waker};
use tictactoe::board::Mark;
use tictactoe::protocol::PlayerEntry;

use super::address::Address;
use super::command::{COMMANDS, Command, Line, MoveSpec, SeatSpec, parse_line};
use super::input::{self, Input, Words};
use super::link::Link;
use super::lockstep::{self as lockstep_view, LockstepView};
use super::output::{Output, Stdout};
use super::raw::{self, RawView};
use super::render::{self, clean};
use super::terminal::TerminalRestore;
use super::tictactoe::{self as ttt, GameEvent, TicTacToeView};
use super::tls::Trust;
use super::zone::{Zone, ZoneEvent};

mod commands;
mod game;
mod rejoin;
mod replays;
mod starttls;
mod wait;

use wait::{Until, Wait};

const MAIN: Token = Token(0);
const GAME: Token = Token(1);
const INPUT: Token = Token(2);
const SIGNALS: Token = Token(3);

/// The client header (docs/client-server.md §4).
const HEADER: &str = "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n";

/// How long a logout waits for the server to close the connection.
const LOGOUT_GRACE: Duration = Duration::from_secs(2);

/// Lines kept for `/wait`; older ones are forgotten.
const MAX_SEEN: usize = 10_000;

/// Input lines taken from the input thread ahead of execution.
const MAX_QUEUED: usize = 64;

/// Received XML not yet decoded; the decoder's own element limit is far
/// below this.
const MAX_INBUF: usize = 16 * 1024 * 1024;

/// Chat length when the greeting does not say.
const DEFAULT_CHATLEN: usize = 512;

/// How to log in.
#[derive(Debug, Clone)]
pub struct Login {
    /// Guest, registered or registration.
    pub kind: LoginKind,
    /// Name.
    pub name: String,
    /// Password (none for guests; optional for registration, where the
    /// server then makes one up).
    pub password: Option<String>,
    /// E-mail for registration.
    pub email: Option<String>,
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to connect.
    pub address: Address,
    /// As whom.
    pub login: Login,
    /// Script mode: plain stdin, one command at a time, stop at the first
    /// failure.
    pub script: bool,
    /// Raw mode at every table, even for games this client knows.
    pub raw: bool,
    /// Longest wait for the server: connecting, each script step.
    pub timeout: Duration,
    /// Whether to start TLS when offered, and whom to trust then.
    pub tls: Trust,
}

/// How a run ended; the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Logged out normally.
    Done,
    /// A command was refused or timed out (scripts).
    Failed,
    /// Bad arguments.
    Usage,
    /// Could not connect, or the connection broke.
    Connection,
    /// The server refused the login.
    Refused,
    /// Ctrl-C or a termination signal.
    Interrupted,
}

impl Exit {
    /// Every way a run ends, for documentation checks.
    pub const ALL: [Exit; 6] = [
        Exit::Done,
        Exit::Failed,
        Exit::Usage,
        Exit::Connection,
        Exit::Refused,
        Exit::Interrupted,
    ];

    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Connection => 3,
            Exit::Refused => 4,
            Exit::Interrupted => 130,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    LoggingIn,
    Ready,
    Closing,
}

/// A request whose `RESULT` has not come yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Login,
    Enter(i32),
    /// A list; shown when the user asked for it.
    List {
        show: bool,
    },
    Launch,
    Join,
    Leave,
    /// `/again`: standing up (then sitting down in `seat`), or sitting
    /// down.
    Reseat {
        sit_at: Option<u32>,
    },
    Chat,
    Match(String),
    MatchCancel,
    /// `/games-played` of this player.
    Played(String),
    /// `/replay` of this game, one page at a time.
    Replay(u64),
}

impl Pending {
    fn action(&self) -> &'static str {
        match self {
            Pending::Login => "login",
            Pending::Enter(_) => "enter",
            Pending::List { .. } => "list",
            Pending::Launch => "launch",
            Pending::Join => "join",
            Pending::Leave => "leave",
            Pending::Reseat { .. } => "reseat",
            Pending::Chat => "chat",
            Pending::Match(_) => "match",
            Pending::MatchCancel => "match_cancel",
            Pending::Played(_) => "list",
            Pending::Replay(_) => "replay",
        }
    }
}

/// The game channel and what it shows.
struct Game {
    link: Link,
    view: TicTacToeView,
    table: Option<i32>,
    /// Raw mode (a game this client does not speak, or `--raw`): the
    /// view above stays empty.
    raw: Option<RawView>,
    /// A lockstep relay table (docs/lockstep.md): the view above stays
    /// empty.
    lockstep: Option<LockstepView>,
}

/// Runs the client until logout; says why it ended.
pub fn run(options: Options) -> Exit {
    let mut poll = match Poll::new() {
        Ok(p) => p,
        Err(e) => return setup_error(&mut Stdout, "cannot create a poll", &e),
    };
    let waker = match Waker::new(poll.registry(), INPUT) {
        Ok(w) => Arc::new(w),
        Err(e) => return setup_error(&mut Stdout, "cannot create a waker", &e),
    };
    // Connect before taking over the keyboard and the signals: until
    // there is a session to end, Ctrl-C simply stops the program, and the
    // terminal is still as the user left it.
    let (stream, peer) = match connect(&options.address, options.timeout) {
        Ok(pair) => pair,
        Err(e) => {
            Stdout.line(&format!(
                "error: cannot connect to {}: {e}",
                options.address.host_port()
            ));
            return Exit::Connection;
        }
    };
    let words: Words = Arc::new(Mutex::new(Vec::new()));
    let _restore_terminal = (!options.script).then(TerminalRestore::take);
    let (input, mut out): (Receiver<Input>, Box<dyn Output>) = if options.script {
        (input::spawn_plain(Arc::clone(&waker)), Box::new(Stdout))
    } else {
        match input::spawn_editor(Arc::clone(&waker), Arc::clone(&words)) {
            Ok(pair) => pair,
            Err(e) => {
                Stdout.line(&format!("error: cannot start the line editor: {e}"));
                return Exit::Usage;
            }
        }
    };
    let signals = match signal_pipe(&mut poll) {
        Ok(s) => s,
        Err(e) => return setup_error(out.as_mut(), "cannot catch signals", &e),
    };
    let main = match Link::register(stream, poll.registry(), MAIN) {
        Ok(l) => l,
        Err(e) => return setup_error(out.as_mut(), "cannot use the connection", &e),
    };
    let mut session = Session {
        me: options.login.name.clone(),
        options,
        poll,
        out,
        input,
        signals,
        main: Some(main),
        peer,
        decoder: Decoder::new(Limits::CLIENT),
        inbuf: Vec::new(),
        game: None,
        zone: Zone::default(),
        phase: Phase::Greeting,
        pending: VecDeque::new(),
        awaiting_join: false,
        awaiting_game: false,
        queue: VecDeque::new(),
        input_done: false,
        wait: None,
        seen: VecDeque::new(),
        exit: None,
        logout_deadline: None,
        words,
        chat_len: DEFAULT_CHATLEN,
        last_result: None,
        result_unshown: false,
        last_view: None,
        show_next_list: false,
        rejoin: None,
        replays_on: false,
        replay: None,
    };
    let greeting_deadline = Instant::now() + session.options.timeout;
    session.wait = Some(Wait {
        until: Until::Settled,
        deadline: greeting_deadline,
    });
    session.run()
}

fn setup_error(out: &mut dyn Output, what: &str, e: &io::Error) -> Exit {
    out.line(&format!("error: {what}: {e}"));
    Exit::Connection
}

/// A pipe that SIGINT, SIGTERM and SIGHUP write to, so they arrive as
/// poll events.
fn signal_pipe(poll: &mut Poll) -> io::Result<mio::net::UnixStream> {
    let (read_end, write_end) = UnixStream::pair()?;
    read_end.set_nonblocking(true)?;
    write_end.set_nonblocking(true)?;
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::low_level::pipe::register(signal, write_end.try_clone()?)?;
    }
    let mut read_end = mio::net::UnixStream::from_std(read_end);
    poll.registry()
        .register(&mut read_end, SIGNALS, Interest::READABLE)?;
    Ok(read_end)
}

fn connect(address: &Address, timeout: Duration) -> io::Result<(TcpStream, SocketAddr)> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for that host");
    for addr in address.host_port().to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok((stream, addr));
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn min_players(list: &str) -> usize {
    NumberList::parse(list)
        .ok()
        .and_then(|l| (1..=l.max()?).find(|n| l.contains(*n)))
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(2)
}

/// Why a write to the server failed, in the words a reader of the
/// connection would have used.
fn write_failure(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
            "the server closed the connection".to_owned()
        }
        _ => format!("cannot write to the server: {e}"),
    }
}

/// Text typed by the user as it may go into XML: control characters are
/// not allowed there, and would end the session.
fn typed_text(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

struct Session {
    options: Options,
    me: String,
    poll: Poll,
    out: Box<dyn Output>,
    input: Receiver<Input>,
    /// Read end of the signal pipe.
    signals: mio::net::UnixStream,
    main: Option<Link>,
    peer: SocketAddr,
    decoder: Decoder,
    inbuf: Vec<u8>,
    game: Option<Game>,
    zone: Zone,
    phase: Phase,
    pending: VecDeque<Pending>,
    /// A launch or join was accepted so far; the JOIN is still to come.
    awaiting_join: bool,
    /// `/again` is under way: a script step waits for the cleared board.
    awaiting_game: bool,
    queue: VecDeque<String>,
    input_done: bool,
    wait: Option<Wait>,
    seen: VecDeque<String>,
    exit: Option<Exit>,
    logout_deadline: Option<Instant>,
    words: Words,
    chat_len: usize,
    last_result: Option<String>,
    /// A game ended whose result no `/result` has shown yet (the next game
    /// at the table may already have begun).
    result_unshown: bool,
    /// The board of the last table, for `/board` after it ended.
    last_view: Option<TicTacToeView>,
    /// The RESULT just handled asked for the list it carries to be shown.
    show_next_list: bool,
    /// A held seat (room, table) to take back once its room is entered.
    rejoin: Option<(i32, i32)>,
    /// The server switched on the `replays` extension.
    replays_on: bool,
    /// A replay whose pages are coming in.
    replay: Option<crate::ggz::replay::Replay>,
}

impl Session {
    fn run(&mut self) -> Exit {
        let mut events = Events::with_capacity(64);
        loop {
            self.take_input();
            self.advance();
            if let Some(exit) = self.finished() {
                return exit;
            }
            let timeout = self
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()));
            if let Err(e) = self.poll.poll(&mut events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                self.say(&format!("error: poll failed: {e}"));
                return Exit::Connection;
            }
            for event in events.iter() {
                match event.token() {
                    MAIN => {
                        if event.is_writable() {
                            self.flush_main();
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.read_main();
                        }
                    }
                    GAME => {
                        if event.is_writable() {
                            self.flush_game();
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.read_game();
                        }
                    }
                    SIGNALS => self.on_signal(),
                    _ => {}
                }
            }
            self.check_wait();
            self.update_words();
        }
    }

    // ---- output -------------------------------------------------------

    /// Shows a line and remembers it for `/wait`.
    fn say(&mut self, text: &str) {
        self.say_block(&[text.to_owned()]);
    }

    /// Shows lines as one block, so a prompt is not redrawn between them.
    fn say_block(&mut self, lines: &[String]) {
        self.out.line(&lines.join("\n"));
        for line in lines {
            if self.seen.len() >= MAX_SEEN {
                self.seen.pop_front();
            }
            self.seen.push_back(line.clone());
        }
    }

    fn fail(&mut self, text: &str) {
        self.say(&format!("error: {text}"));
        if self.options.script {
            self.finish(Exit::Failed);
        }
    }

    // ---- ending -------------------------------------------------------

    /// Starts logging out; the first reason given is the exit status.
    fn finish(&mut self, exit: Exit) {
        if self.exit.is_some() {
            return;
        }
        self.exit = Some(exit);
        self.wait = None;
        self.phase = Phase::Closing;
        self.logout_deadline = Some(Instant::now() + LOGOUT_GRACE);
        self.close_game();
        self.send_main("</SESSION>\n");
    }

    fn finished(&self) -> Option<Exit> {
        let exit = self.exit?;
        let closed = self.main.is_none();
        let late = self.logout_deadline.is_some_and(|d| Instant::now() >= d);
        (closed || late).then_some(exit)
    }

    /// The server connection is gone.
    fn lost_main(&mut self, why: &str) {
        if let Some(mut link) = self.main.take() {
            link.deregister(self.poll.registry());
        }
        if self.exit.is_none() {
            self.say(&format!("error: {why}"));
            self.exit = Some(Exit::Connection);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let wait = self.wait.as_ref().map(|w| w.deadline);
        match (wait, self.logout_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- input --------------------------------------------------------

    fn take_input(&mut self) {
        while self.queue.len() < MAX_QUEUED && !self.input_done {
            match self.input.try_recv() {
                Ok(Input::Line(line)) => self.queue.push_back(line),
                Ok(Input::Unreadable) => self.fail("input line too long or not UTF-8; ignored"),
                Ok(Input::Eof) | Err(TryRecvError::Disconnected) => self.input_done = true,
                Ok(Input::Interrupt) => self.interrupt(),
                Err(TryRecvError::Empty) => break,
            }
        }
    }

    fn on_signal(&mut self) {
        let mut drain = [0u8; 64];
        while matches!(self.signals.read(&mut drain), Ok(n) if n > 0) {}
        self.interrupt();
    }

    fn interrupt(&mut self) {
        if self.exit.is_some() {
            // A second Ctrl-C while logging out: stop waiting for the server.
            self.logout_deadline = Some(Instant::now());
            return;
        }
        self.say("interrupted; logging out");
        self.finish(Exit::Interrupted);
    }

    /// Runs queued commands while nothing is awaited.
    fn advance(&mut self) {
        while self.phase == Phase::Ready && self.exit.is_none() && self.wait.is_none() {
            let Some(line) = self.queue.pop_front() else {
                if self.input_done {
                    self.finish(Exit::Done);
                }
                return;
            };
            self.take_input();
            self.execute_line(&line);
            if self.options.script && self.wait.is_none() && !self.settled() {
                self.wait_for(Until::Settled);
            }
        }
    }

    // ---- the server connection ----------------------------------------

    fn send_main(&mut self, xml: &str) {
        let Some(link) = self.main.as_mut() else {
            return;
        };
        if let Err(e) = link.send(self.poll.registry(), xml.as_bytes()) {
            self.lost_main(&write_failure(&e));
        }
    }

    fn flush_main(&mut self) {
        if let Some(link) = self.main.as_mut()
            && let Err(e) = link.flush(self.poll.registry())
        {
            self.lost_main(&write_failure(&e));
        }
    }

    fn read_main(&mut self) {
        let Some(link) = self.main.as_mut() else {
            return;
        };
        let outcome = match link.read_available() {
            Ok(o) => o,
            Err(e) => {
                self.lost_main(&format!("cannot read from the server: {e}"));
                return;
            }
        };
        if self.inbuf.len() + outcome.bytes.len() > MAX_INBUF {
            self.lost_main("the server sent an endless message");
            return;
        }
        if link.needs_flush() {
            // TLS handshake records to answer with.
            self.flush_main();
        }
        self.inbuf.extend_from_slice(&outcome.bytes);
        self.decode();
        if outcome.closed && self.main.is_some() {
            if self.phase == Phase::Closing {
                self.lost_main("");
            } else {
                self.lost_main("the server closed the connection");
            }
        }
    }

    fn decode(&mut self) {
        loop {
            let progress = match self.decoder.feed(&self.inbuf) {
                Ok(p) => p,
                Err(e) => {
                    self.inbuf.clear();
                    self.lost_main(&format!("the server sent bad XML ({e})"));
                    return;
                }
            };
            self.inbuf.drain(..progress.consumed.min(self.inbuf.len()));
            match progress.event {
                Some(XmlEvent::Element(e)) => self.on_element(&e),
                Some(XmlEvent::SessionStart) => {}
                Some(XmlEvent::SessionEnd) => {
                    self.inbuf.clear();
                    let why = if self.phase == Phase::Closing {
                        ""
                    } else {
                        "the server ended the session"
                    };
                    self.lost_main(why);
                    return;
                }
                None if progress.consumed == 0 => return,
                None => {}
            }
            if self.main.is_none() {
                return;
            }
        }
    }

    fn on_element(&mut self, e: &Element) {
        if self.phase == Phase::Greeting {
            if e.is("SERVER") {
                self.on_greeting(e);
            }
            return;
        }
        if e.is("RESULT") && e.attr("ACTION") == Some("login") {
            self.on_login_result(e);
            return;
        }
        if e.is("REJOIN") {
            self.on_rejoin(e);
            return;
        }
        if self.on_replays_element(e) {
            return;
        }
        for event in self.zone.apply(e) {
            self.on_zone_event(event);
        }
    }

    fn on_greeting(&mut self, server: &Element) {
        self.say(&format!(
            "connected to {} ({}), protocol {}",
            clean(server.attr("NAME").unwrap_or("a GGZ server")),
            clean(server.attr("ID").unwrap_or("?")),
            clean(server.attr("VERSION").unwrap_or("?"))
        ));
        if server.attr("STATUS") == Some("full") {
            self.lost_main("the server is full");
            return;
        }
        if let Some(len) = server
            .child("OPTIONS")
            .and_then(|o| o.attr("CHATLEN"))
            .and_then(|l| l.parse().ok())
        {
            self.chat_len = len;
        }
        let Some(header_sent) =
            self.start_tls_if_offered(server.attr("TLS_SUPPORT") == Some("yes"))
        else {
            return;
        };
        let login = self.options.login.clone();
        // A server without extensions ignores the request and never
        // answers it; nothing waits for the answer.
        let mut xml = format!(
            "{}{}<LOGIN TYPE='{}'>\n<NAME>{}</NAME>\n",
            if header_sent { "" } else { HEADER },
            rejoin::EXTENSIONS,
            login.kind.as_str(),
            escape(&login.name)
        );
        if let Some(p) = &login.password {
            xml.push_str(&format!("<PASSWORD>{}</PASSWORD>\n", escape(p)));
        }
        if let Some(m) = &login.email {
            xml.push_str(&format!("<EMAIL>{}</EMAIL>\n", escape(m)));
        }
        xml.push_str("</LOGIN>\n");
        self.phase = Phase::LoggingIn;
        self.request(&xml, Pending::Login);
    }

    fn on_login_result(&mut self, e: &Element) {
        if let Some(at) = self.pending.iter().position(|p| *p == Pending::Login) {
            self.pending.remove(at);
        }
        let code = e.attr("CODE").unwrap_or_default();
        if code != "ok" {
            // REASON comes with extensions on (the store away, say).
            match e.attr("REASON") {
                Some(reason) => self.say(&format!(
                    "error: login refused: {} ({})",
                    clean(code),
                    clean(reason)
                )),
                None => self.say(&format!("error: login refused: {}", clean(code))),
            }
            self.wait = None;
            self.finish(Exit::Refused);
            return;
        }
        self.phase = Phase::Ready;
        let kind = match self.options.login.kind {
            LoginKind::Guest => "guest",
            LoginKind::Normal => "registered",
            LoginKind::First => "new account",
        };
        self.say(&format!("logged in as {} ({kind})", clean(&self.me)));
        // The server echoes the password of every registration; show it
        // only when it made one up.
        if let Some(password) = e
            .child("PASSWORD")
            .filter(|_| self.options.login.password.is_none())
        {
            self.say(&format!(
                "your password is {} (keep it for your next login)",
                clean(&password.text)
            ));
        }
        if !self.options.script {
            self.say("type /help for commands, /rooms to see the rooms, /enter ROOM to go in");
        }
        // Queues are an extension: they are listed only if the server says
        // it has them (an original server does not answer). Asked first, so
        // the queue list is in before the first room entry settles.
        self.send_main("<EXTENSIONS NAMES='matchmaking'/>\n");
        self.list("game", false);
        self.list("room", false);
    }

    fn on_result(&mut self, action: &str, code: &str) -> bool {
        let position = self.pending.iter().position(|p| p.action() == action);
        let Some(pending) = position.and_then(|at| self.pending.remove(at)) else {
            // Unasked: the auto-join after a launch, or the end of a table.
            if code != "ok" {
                if action == "join" && self.awaiting_join {
                    self.awaiting_join = false;
                    self.close_game();
                }
                self.fail(&format!("{action}: {}", clean(code)));
            }
            return false;
        };
        if code != "ok" && matches!(pending, Pending::Enter(_)) {
            // The held seat's room is out of reach: nothing to take back.
            self.rejoin_after_enter(None);
        }
        if code != "ok" {
            if matches!(pending, Pending::Launch | Pending::Join) {
                self.awaiting_join = false;
                self.close_game();
            }
            if matches!(pending, Pending::Reseat { .. }) {
                self.awaiting_game = false;
            }
            self.fail(&format!("{action}: {}", clean(code)));
            return false;
        }
        match pending {
            Pending::Enter(room) => {
                self.zone.entered(room);
                let name = self
                    .zone
                    .rooms
                    .get(&room)
                    .map(|r| clean(&r.name))
                    .unwrap_or_default();
                self.say(&format!("you are in room {room} {name}"));
                self.list("player", true);
                self.list("table", true);
                self.rejoin_after_enter(Some(room));
                false
            }
            Pending::List { show } => show,
            Pending::Reseat { sit_at } => {
                self.reseated(sit_at);
                false
            }
            Pending::Match(queue) => {
                self.say(&format!(
                    "waiting in queue {} for a match (/cancel to stop)",
                    clean(&queue)
                ));
                false
            }
            Pending::MatchCancel => {
                self.say("you left the matchmaking queues");
                false
            }
            _ => false,
        }
    }

    fn on_zone_event(&mut self, event: ZoneEvent) {
        match &event {
            ZoneEvent::Result { action, code } => {
                let show = self.on_result(action, code);
                self.show_next_list = show;
                return;
            }
            ZoneEvent::Listed(kind) => {
                if std::mem::take(&mut self.show_next_list) {
                    for line in render::list_lines(&self.zone, *kind) {
                        self.say(&line);
                    }
                }
                return;
            }
            ZoneEvent::Ping(id) => {
                let pong = match id {
                    Some(id) => format!("<PONG ID='{}'/>\n", escape(id)),
                    None => "<PONG/>\n".to_owned(),
                };
                self.send_main(&pong);
                return;
            }
            ZoneEvent::Motd(text) => {
                for line in text.lines().skip_while(|l| l.trim().is_empty()) {
                    self.say(&format!("motd: {}", clean(line)));
                }
                return;
            }
            ZoneEvent::Joined { table, .. } => {
                self.awaiting_join = false;
                if let Some(game) = self.game.as_mut() {
                    game.table = Some(*table);
                }
                self.learn_from_table();
            }
            ZoneEvent::Left { .. } => {
                self.drain_game();
                self.close_game();
            }
            ZoneEvent::Extensions(names) => {
                if names.iter().any(|n| n == "replays") {
                    self.replays_on = true;
                }
                if names.iter().any(|n| n == "matchmaking") {
                    self.list("queue", false);
                }
                return;
            }
            ZoneEvent::Matched { room, table, .. } => {
                let (room, table) = (*room, *table);
                if let Some(line) = render::zone_event_line(&self.zone, &event) {
                    self.say(&line);
                }
                self.take_matched_seat(room, table);
                return;
            }
            _ => {}
        }
        if let Some(line) = render::zone_event_line(&self.zone, &event) {
            self.say(&line);
        }
    }

    /// In the trunk protocol there is no MSG_SEAT or MSG_PLAYERS: the mark
    /// is the seat the table lists under the user's name, and the names
    /// come from the table too.
    fn learn_from_table(&mut self) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let Some(table) = game.table else {
            return;
        };
        if game.view.me.is_none() && !game.view.is_spectator() {
            game.view.me = self.zone.seat_of(table, &self.me).and_then(Mark::from_seat);
        }
        if game.view.players.is_none()
            && let Some(seats) = self.zone.tables.get(&table).map(|t| &t.seats)
        {
            let entry = |seat: usize| {
                seats.get(seat).map_or(
                    PlayerEntry {
                        kind: SeatKind::Open,
                        name: String::new(),
                    },
                    |s| PlayerEntry {
                        kind: s.kind.parse().unwrap_or(SeatKind::Open),
                        name: s.name.clone(),
                    },
                )
            };
            game.view.players = Some([entry(0), entry(1)]);
        }
    }

    // ---- completion ---------------------------------------------------

    fn update_words(&mut self) {
        if self.options.script {
            return;
        }
        let mut words: Vec<String> = self.zone.rooms.values().map(|r| r.name.clone()).collect();
        words.extend(self.zone.players.values().map(|p| p.name.clone()));
        words.extend(self.zone.tables.keys().map(i32::to_string));
        words.extend(["bot", "open", "reserved:", "force", "auto"].map(str::to_owned));
        if let Ok(mut shared) = self.words.lock() {
            *shared = words;
        }
    }
}
