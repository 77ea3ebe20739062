//! The game server's side: connect to ggzd, follow the seats, talk back.
//!
//! A game server is started by ggzd with the control socket on fd 3 and
//! `GGZMODE=true` in its environment. [`Game::connect`] picks that up,
//! announces itself with a log line, and from then on the game reads
//! [`Event`]s — either one at a time with [`Game::next_event`] or through
//! the callback loop [`Game::run`]:
//!
//! ```no_run
//! use ggzdmod::{Event, Game, GameState};
//!
//! let mut game = Game::connect()?;
//! game.run(|game, event| match event {
//!     Event::Launch => game.log("launched"),
//!     Event::PlayerData { seat } => {
//!         // read from game.seat_stream(seat) ...
//!         let _ = game.set_state(GameState::Done);
//!     }
//!     _ => {}
//! })?;
//! # Ok::<(), ggzdmod::Error>(())
//! ```
//!
//! # Seats
//!
//! The library keeps the seat table the way libggzdmod does. The launch
//! message fills it; each `MSG_GAME_SEAT` replaces one seat and becomes an
//! [`Event::SeatChange`] carrying the old and new contents. A seat whose
//! kind is [`SeatKind::Player`] owns the player's socket (a TCP connection
//! handed over by ggzd), reachable with [`Game::seat_stream`]; when such a
//! seat is replaced, the old socket is handed to you in the event and closed
//! when you drop it. Spectator slots grow on demand. A reseat moves the
//! existing connection; a player seat vacated while the game is
//! [`GameState::Playing`] becomes [`SeatKind::Abandoned`] (keeping the
//! name), otherwise [`SeatKind::Open`].
//!
//! Unnamed bots are named `"AI"`, as the original library does.
//!
//! # Sockets
//!
//! Player and spectator sockets are switched to blocking mode when they
//! arrive. The event loop tells you when one is readable
//! ([`Event::PlayerData`], [`Event::SpectatorData`]); read at least once
//! then, or the same event comes straight back. When a player disconnects,
//! one last data event lets you see the zero-length read; the socket is not
//! watched after that, and ggzd's seat change follows. Writing to players is
//! up to you.
//!
//! The control socket stays in whatever mode it was inherited in (blocking,
//! from ggzd); reads from it never wait (`MSG_DONTWAIT`), writes may wait
//! briefly if ggzd is slow to read.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{MsgFlags, recv, send};
use nix::sys::stat::{SFlag, fstat};

use crate::detect::{self, Detected};
use crate::fdpass;
use crate::wire::{
    Decoded, GameResult, GameState, LaunchLayout, LaunchSeat, MAX_MESSAGE_LEN, MAX_SEATS,
    MAX_SPECTATORS, MAX_STRING_LEN, ReportRecord, SeatKind, ToGame, ToServer, WireError,
};
use crate::{ENV_GGZMODE, ENV_GGZSOCKET, ENV_LAUNCH_LAYOUT, GGZSOCKET_FD};

#[cfg(any(target_os = "linux", target_os = "android"))]
const NOSIGNAL: MsgFlags = MsgFlags::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NOSIGNAL: MsgFlags = MsgFlags::empty();

/// Messages read ahead from the control socket before reading pauses.
pub const MAX_PENDING_MESSAGES: usize = 64;

/// Name given to bots that ggzd seats without a name.
pub const DEFAULT_BOT_NAME: &str = "AI";

/// Errors of the game side.
#[derive(Debug)]
pub enum Error {
    /// `GGZMODE` is not `true`: the program was not started by ggzd.
    NotUnderGgz,
    /// `GGZSOCKET` or `GGZDMOD_LAUNCH_LAYOUT` holds something unusable, or
    /// the descriptor is not an open socket.
    BadEnvironment(String),
    /// [`Game::connect`] was already called in this process.
    AlreadyConnected,
    /// A socket call failed.
    Io(io::Error),
    /// ggzd sent a malformed message, or a request could not be encoded.
    Wire(WireError),
    /// ggzd sent a well-formed message that makes no sense in the current
    /// situation (e.g. a seat number outside the table). The control
    /// connection cannot be trusted any more.
    Protocol(String),
    /// The request needs the launch message, which has not arrived yet.
    NotLaunched,
    /// The game cannot request this state (only Waiting, Playing and Done
    /// can be requested).
    InvalidState(GameState),
    /// A seat or spectator number outside the table, or a bad count.
    InvalidArgument(String),
    /// The control connection is closed or broken.
    Closed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotUnderGgz => write!(f, "not started by ggzd ({ENV_GGZMODE} is not \"true\")"),
            Error::BadEnvironment(s) => write!(f, "bad environment: {s}"),
            Error::AlreadyConnected => f.write_str("already connected to ggzd"),
            Error::Io(e) => write!(f, "control socket: {e}"),
            Error::Wire(e) => write!(f, "ggzdmod protocol error: {e}"),
            Error::Protocol(s) => write!(f, "ggzdmod protocol error: {s}"),
            Error::NotLaunched => f.write_str("game not launched yet"),
            Error::InvalidState(s) => write!(f, "cannot request game state {s:?}"),
            Error::InvalidArgument(s) => write!(f, "invalid argument: {s}"),
            Error::Closed => f.write_str("control connection closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Wire(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Wire(e)
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        Error::Io(e.into())
    }
}

/// Options for connecting to ggzd.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GameOptions {
    /// Launch layout to insist on. `None` (the default) reads the launch
    /// message both ways and keeps the one that fits ([`crate::detect`]),
    /// which works under any ggzd. Our ggzd also says which layout it sends
    /// through [`ENV_LAUNCH_LAYOUT`], which takes precedence over this
    /// field because the daemon knows what it sends.
    pub layout: Option<LaunchLayout>,
}

impl GameOptions {
    /// Options that insist on one launch layout.
    pub fn with_layout(layout: LaunchLayout) -> GameOptions {
        GameOptions {
            layout: Some(layout),
        }
    }
}

/// Chooses the launch layout: the environment value if present, else the
/// author's choice; `None` means "detect it from the launch message".
pub fn resolve_layout(
    env_value: Option<&str>,
    fallback: Option<LaunchLayout>,
) -> Result<Option<LaunchLayout>, Error> {
    match env_value {
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e| Error::BadEnvironment(format!("{e}"))),
        None => Ok(fallback),
    }
}

/// Contents of a seat, without its socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatInfo {
    /// Seat type.
    pub kind: SeatKind,
    /// Occupant name (player, reserved-for, bot or abandoning player).
    pub name: Option<String>,
}

/// One player seat.
#[derive(Debug)]
pub struct Seat {
    kind: SeatKind,
    name: Option<String>,
    stream: Option<TcpStream>,
    /// The peer closed and that was reported; stop watching the socket.
    hung_up: bool,
}

impl Seat {
    fn empty(kind: SeatKind) -> Seat {
        Seat {
            kind,
            name: None,
            stream: None,
            hung_up: false,
        }
    }

    /// Seat type.
    pub fn kind(&self) -> SeatKind {
        self.kind
    }

    /// Occupant name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The player's socket; present exactly when the kind is Player.
    pub fn stream(&self) -> Option<&TcpStream> {
        self.stream.as_ref()
    }

    /// Kind and name, without the socket.
    pub fn info(&self) -> SeatInfo {
        SeatInfo {
            kind: self.kind,
            name: self.name.clone(),
        }
    }
}

/// One occupied spectator slot.
#[derive(Debug)]
pub struct Spectator {
    name: String,
    stream: TcpStream,
    /// The peer closed and that was reported; stop watching the socket.
    hung_up: bool,
}

impl Spectator {
    /// Spectator name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The spectator's socket.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

/// A player seat or a spectator slot, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// Player seat.
    Seat(usize),
    /// Spectator slot.
    Spectator(usize),
}

/// Something that happened, returned by [`Game::next_event`] or passed to
/// the [`Game::run`] handler.
#[derive(Debug)]
pub enum Event {
    /// The launch message was processed: the seat table, game name and
    /// savegame are available, and the library has already moved the game
    /// to [`GameState::Waiting`] and told ggzd.
    Launch,
    /// ggzd acknowledged one state request (`RSP_GAME_STATE`).
    StateAck,
    /// ggzd changed a seat. A player joining shows as `new.kind` Player
    /// (socket at [`Game::seat_stream`]); a player leaving as `old.kind`
    /// Player.
    SeatChange {
        /// Seat number.
        seat: usize,
        /// What the seat held before.
        old: SeatInfo,
        /// What it holds now.
        new: SeatInfo,
        /// The previous occupant's socket, if the seat was Player. It is
        /// closed when dropped.
        old_stream: Option<TcpStream>,
    },
    /// A spectator arrived in a slot (socket at [`Game::spectator_stream`]).
    SpectatorJoin {
        /// Slot number.
        spectator: usize,
        /// Spectator name.
        name: String,
    },
    /// A spectator left a slot.
    SpectatorLeave {
        /// Slot number.
        spectator: usize,
        /// Spectator name.
        name: String,
        /// The spectator's socket, closed when dropped.
        stream: TcpStream,
    },
    /// An occupant moved, keeping their connection.
    Reseat {
        /// Where they were.
        from: Place,
        /// Where they are now.
        to: Place,
        /// Their name.
        name: String,
    },
    /// The player in this seat has data to read, or has closed the
    /// connection. The close is reported once, when nothing else is left to
    /// read (a read then returns 0 or an error); after that the socket is no
    /// longer watched. ggzd's seat change for the leaver follows separately.
    PlayerData {
        /// Seat number.
        seat: usize,
    },
    /// The spectator in this slot has data to read, or has closed the
    /// connection (reported once, as for [`Event::PlayerData`]).
    SpectatorData {
        /// Slot number.
        spectator: usize,
    },
    /// ggzd closed the control socket; the game should end.
    ControlClosed,
}

impl Event {
    /// Whether this is a seat change where a player arrived.
    pub fn is_player_join(&self) -> bool {
        matches!(self, Event::SeatChange { old, new, .. }
            if old.kind != SeatKind::Player && new.kind == SeatKind::Player)
    }

    /// Whether this is a seat change where a player went away.
    pub fn is_player_leave(&self) -> bool {
        matches!(self, Event::SeatChange { old, new, .. }
            if old.kind == SeatKind::Player && new.kind != SeatKind::Player)
    }
}

/// A per-seat outcome for [`Game::report_results`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatResult {
    /// The result.
    pub result: GameResult,
    /// Score for high scores (0 if the game keeps none).
    pub score: i32,
    /// Team number; `None` puts the player in a team of their own (the
    /// record index is sent, as libggzdmod does).
    pub team: Option<i32>,
}

impl SeatResult {
    /// A result with score 0 and no team.
    pub fn new(result: GameResult) -> SeatResult {
        SeatResult {
            result,
            score: 0,
            team: None,
        }
    }
}

/// Builds the records of a game report the way libggzdmod does: one per
/// seat that is Player, Bot or Abandoned, in seat order; unnamed bots are
/// called "AI"; a seat without a team gets the record index as team.
///
/// `results` is indexed by seat number and must cover every seat.
pub fn build_report(
    seats: &[SeatInfo],
    results: &[SeatResult],
) -> Result<Vec<ReportRecord>, Error> {
    if results.len() != seats.len() {
        return Err(Error::InvalidArgument(format!(
            "{} results for {} seats",
            results.len(),
            seats.len()
        )));
    }
    let mut records = Vec::new();
    for (seat, res) in seats.iter().zip(results) {
        if !matches!(
            seat.kind,
            SeatKind::Player | SeatKind::Bot | SeatKind::Abandoned
        ) {
            continue;
        }
        let name = match (&seat.name, seat.kind) {
            (Some(n), _) => n.clone(),
            (None, SeatKind::Bot) => DEFAULT_BOT_NAME.to_owned(),
            (None, _) => String::new(),
        };
        let index = i32::try_from(records.len()).unwrap_or(i32::MAX);
        records.push(ReportRecord {
            name,
            kind: seat.kind,
            team: res.team.unwrap_or(index),
            result: res.result,
            score: res.score,
        });
    }
    Ok(records)
}

static CONNECTED: AtomicBool = AtomicBool::new(false);

/// The game server's connection to ggzd and its view of the table.
#[derive(Debug)]
pub struct Game {
    ctl: OwnedFd,
    /// `None` until the launch message shows it, when detecting.
    layout: Option<LaunchLayout>,
    state: GameState,
    launched: bool,
    game_name: String,
    savegame: Option<String>,
    seats: Vec<Seat>,
    spectators: Vec<Option<Spectator>>,
    inbuf: Vec<u8>,
    /// A decoded message whose passed descriptor has not arrived yet.
    awaiting_fd: Option<ToGame>,
    /// Messages read but not applied yet. Reading is eager, applying waits
    /// until the previous message's events have been taken, so the seat
    /// table seen while handling an event is the one right after it.
    inbox: VecDeque<(ToGame, Option<OwnedFd>)>,
    events: VecDeque<Event>,
    /// End of file was seen on the control socket.
    closed: bool,
    /// A read or decode error, reported after the messages before it.
    failure: Option<Error>,
    /// The control stream is finished (error or closure already reported).
    broken: bool,
}

impl Game {
    /// Connects to ggzd using the environment ggzd sets up, with default
    /// options. See [`Game::connect_with`].
    pub fn connect() -> Result<Game, Error> {
        Game::connect_with(GameOptions::default())
    }

    /// Connects to ggzd: requires `GGZMODE=true`, takes the control socket
    /// from `GGZSOCKET` (default [`GGZSOCKET_FD`]), chooses the launch
    /// layout (see [`GameOptions::layout`]) and sends a first log line.
    ///
    /// The descriptor becomes owned by the returned `Game`, so this can only
    /// succeed once per process.
    pub fn connect_with(options: GameOptions) -> Result<Game, Error> {
        if std::env::var(ENV_GGZMODE).ok().as_deref() != Some("true") {
            return Err(Error::NotUnderGgz);
        }
        let fd: RawFd = match std::env::var(ENV_GGZSOCKET) {
            Ok(v) => v.trim().parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                Error::BadEnvironment(format!("{ENV_GGZSOCKET}={v:?} is not a descriptor number"))
            })?,
            Err(std::env::VarError::NotPresent) => GGZSOCKET_FD,
            Err(e) => return Err(Error::BadEnvironment(format!("{ENV_GGZSOCKET}: {e}"))),
        };
        let env_layout = std::env::var(ENV_LAUNCH_LAYOUT).ok();
        let layout = resolve_layout(env_layout.as_deref(), options.layout)?;
        check_socket(fd)?;
        if CONNECTED.swap(true, Ordering::SeqCst) {
            return Err(Error::AlreadyConnected);
        }
        // SAFETY: `fd` is an open socket (checked above) that ggzd handed
        // to this process for the library's exclusive use, and the flag
        // above guarantees we wrap it only once.
        let ctl = unsafe { OwnedFd::from_raw_fd(fd) };
        // Helpers the game may start must not inherit the control socket.
        fcntl(&ctl, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
        Game::start(ctl, layout)
    }

    /// Uses an already open control socket instead of the environment
    /// (tests, or embedding under another supervisor). The layout is
    /// `options.layout`, or detected. Sends the first log line.
    pub fn from_fd(ctl: OwnedFd, options: GameOptions) -> Result<Game, Error> {
        Game::start(ctl, options.layout)
    }

    fn start(ctl: OwnedFd, layout: Option<LaunchLayout>) -> Result<Game, Error> {
        let mut game = Game {
            ctl,
            layout,
            state: GameState::Created,
            launched: false,
            game_name: String::new(),
            savegame: None,
            seats: Vec::new(),
            spectators: Vec::new(),
            inbuf: Vec::new(),
            awaiting_fd: None,
            inbox: VecDeque::new(),
            events: VecDeque::new(),
            closed: false,
            failure: None,
            broken: false,
        };
        let expecting = match layout {
            Some(layout) => format!("expecting the {layout} launch layout"),
            None => "telling the launch layout from the message".to_owned(),
        };
        let hello = format!(
            "ggzdmod (Rust): game server pid {} connected, {expecting}",
            std::process::id(),
        );
        game.send_msg(&ToServer::Log(hello))?;
        Ok(game)
    }

    // ----- state and table ------------------------------------------------

    /// Current game state, as last set (locally, without waiting for ggzd's
    /// acknowledgement).
    pub fn state(&self) -> GameState {
        self.state
    }

    /// The launch layout in use: the one insisted on, or the one the
    /// launch message turned out to have; `None` while still unknown.
    pub fn layout(&self) -> Option<LaunchLayout> {
        self.layout
    }

    /// Whether the launch message has been processed.
    pub fn is_launched(&self) -> bool {
        self.launched
    }

    /// Internal game name from the launch message (empty before launch).
    pub fn game_name(&self) -> &str {
        &self.game_name
    }

    /// Savegame to restore from, if ggzd gave one (trunk layout only).
    pub fn savegame(&self) -> Option<&str> {
        self.savegame.as_deref()
    }

    /// Number of player seats.
    pub fn num_seats(&self) -> usize {
        self.seats.len()
    }

    /// All player seats, in seat order.
    pub fn seats(&self) -> &[Seat] {
        &self.seats
    }

    /// One player seat.
    pub fn seat(&self, seat: usize) -> Option<&Seat> {
        self.seats.get(seat)
    }

    /// Kind and name of every seat, in seat order.
    pub fn seat_infos(&self) -> Vec<SeatInfo> {
        self.seats.iter().map(Seat::info).collect()
    }

    /// Number of seats of the given kind.
    pub fn count_seats(&self, kind: SeatKind) -> usize {
        self.seats.iter().filter(|s| s.kind == kind).count()
    }

    /// The socket of the player in `seat`, if a player sits there.
    pub fn seat_stream(&self, seat: usize) -> Option<&TcpStream> {
        self.seats.get(seat).and_then(|s| s.stream.as_ref())
    }

    /// Number of spectator slots known so far (occupied or not).
    pub fn spectator_slots(&self) -> usize {
        self.spectators.len()
    }

    /// The spectator in a slot, if occupied.
    pub fn spectator(&self, slot: usize) -> Option<&Spectator> {
        self.spectators.get(slot).and_then(Option::as_ref)
    }

    /// Occupied spectator slots with their index.
    pub fn spectators(&self) -> impl Iterator<Item = (usize, &Spectator)> {
        self.spectators
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
    }

    /// The socket of the spectator in a slot, if occupied.
    pub fn spectator_stream(&self, slot: usize) -> Option<&TcpStream> {
        self.spectator(slot).map(|s| &s.stream)
    }

    /// The control socket, for authors who run their own poll loop: when
    /// it is readable call [`Game::handle_control`], then take events with
    /// [`Game::poll_event`].
    pub fn control_fd(&self) -> BorrowedFd<'_> {
        self.ctl.as_fd()
    }

    // ----- requests to ggzd -------------------------------------------------

    /// Changes the game state and tells ggzd (`REQ_GAME_STATE`). Setting the
    /// current state again does nothing. ggzd answers each request with an
    /// [`Event::StateAck`]. After [`GameState::Done`] ggzd ends the table.
    pub fn set_state(&mut self, state: GameState) -> Result<(), Error> {
        if !self.launched {
            return Err(Error::NotLaunched);
        }
        if state == GameState::Created {
            return Err(Error::InvalidState(state));
        }
        if state == self.state {
            return Ok(());
        }
        self.send_msg(&ToServer::State(state))?;
        self.state = state;
        Ok(())
    }

    /// Writes a line to ggzd's log (`MSG_LOG`). Overlong text is cut and NUL
    /// bytes are dropped so that the line always fits the wire. Failures are
    /// ignored: logging must not end a game.
    pub fn log(&mut self, msg: &str) {
        let mut text: String = msg.chars().filter(|c| *c != '\0').collect();
        let max = MAX_STRING_LEN.saturating_sub(1);
        if text.len() > max {
            let mut cut = max;
            while !text.is_char_boundary(cut) {
                cut = cut.saturating_sub(1);
            }
            text.truncate(cut);
        }
        if let Err(e) = self.send_msg(&ToServer::Log(text)) {
            log::debug!("ggzdmod: log line not sent: {e}");
        }
    }

    /// Asks ggzd for a different number of seats (`REQ_NUM_SEATS`).
    ///
    /// The local seat table changes at once: new seats are Open, and seats
    /// beyond `n` are dropped (closing any player's socket; pending events
    /// about them are discarded). ggzd does not answer. Resizing was only
    /// half supported by the original server; treat it as best effort.
    pub fn request_num_seats(&mut self, n: usize) -> Result<(), Error> {
        if !self.launched {
            return Err(Error::NotLaunched);
        }
        if n == 0 || n > MAX_SEATS {
            return Err(Error::InvalidArgument(format!("seat count {n}")));
        }
        let wire =
            i32::try_from(n).map_err(|_| Error::InvalidArgument(format!("seat count {n}")))?;
        self.send_msg(&ToServer::NumSeats(wire))?;
        if n < self.seats.len() {
            self.seats.truncate(n);
            self.events.retain(|e| match e {
                Event::PlayerData { seat } | Event::SeatChange { seat, .. } => *seat < n,
                _ => true,
            });
        } else {
            self.seats.resize_with(n, || Seat::empty(SeatKind::Open));
        }
        Ok(())
    }

    /// Asks ggzd to remove the named player or spectator (`REQ_BOOT`). If
    /// ggzd finds them it sends the resulting seat change.
    pub fn request_boot(&mut self, name: &str) -> Result<(), Error> {
        self.send_msg(&ToServer::Boot(name.to_owned()))
    }

    /// Asks ggzd to put a bot into an open seat (`REQ_BOT`).
    pub fn request_bot(&mut self, seat: usize) -> Result<(), Error> {
        let n = self.seat_number(seat)?;
        self.send_msg(&ToServer::Bot(n))
    }

    /// Asks ggzd to open a bot or reserved seat (`REQ_OPEN`).
    pub fn request_open(&mut self, seat: usize) -> Result<(), Error> {
        let n = self.seat_number(seat)?;
        self.send_msg(&ToServer::Open(n))
    }

    fn seat_number(&self, seat: usize) -> Result<i32, Error> {
        if seat >= self.seats.len() {
            return Err(Error::InvalidArgument(format!("no seat {seat}")));
        }
        i32::try_from(seat).map_err(|_| Error::InvalidArgument(format!("no seat {seat}")))
    }

    /// Sends a game report (`MSG_GAME_REPORT`) with the given records.
    pub fn report_game(&mut self, records: &[ReportRecord]) -> Result<(), Error> {
        self.send_msg(&ToServer::Report(records.to_vec()))
    }

    /// Sends a game report built from per-seat results with
    /// [`build_report`] (one record per Player, Bot or Abandoned seat).
    pub fn report_results(&mut self, results: &[SeatResult]) -> Result<(), Error> {
        let records = build_report(&self.seat_infos(), results)?;
        self.report_game(&records)
    }

    /// Tells ggzd where the game was saved (`MSG_SAVEGAME_REPORT`), so the
    /// table can be restored after a server restart.
    pub fn report_savegame(&mut self, path: &str) -> Result<(), Error> {
        self.send_msg(&ToServer::SavegameReport(path.to_owned()))
    }

    fn send_msg(&mut self, msg: &ToServer) -> Result<(), Error> {
        let mut bytes = Vec::new();
        msg.encode(&mut bytes)?;
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            match send(self.ctl.as_raw_fd(), rest, NOSIGNAL) {
                Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => {
                    // Someone made the socket non-blocking; wait until ggzd
                    // drains it rather than dropping half a message.
                    let mut fds = [PollFd::new(self.ctl.as_fd(), PollFlags::POLLOUT)];
                    match poll(&mut fds, PollTimeout::NONE) {
                        Ok(_) | Err(Errno::EINTR) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    // ----- events ---------------------------------------------------------

    /// Takes the next event if one is ready, without waiting or reading
    /// from any socket. Messages already read by [`Game::handle_control`]
    /// are applied here, one per call that needs it.
    ///
    /// Returns [`Event::ControlClosed`] once after ggzd closed the
    /// connection; a read or protocol error is returned once, after the
    /// events of the messages that preceded it. After either, the result is
    /// always [`Error::Closed`].
    pub fn poll_event(&mut self) -> Result<Option<Event>, Error> {
        loop {
            if let Some(ev) = self.events.pop_front() {
                return Ok(Some(ev));
            }
            if self.broken {
                return Err(Error::Closed);
            }
            if let Some((msg, fd)) = self.inbox.pop_front() {
                if let Err(e) = self.apply(msg, fd) {
                    self.broken = true;
                    self.inbox.clear();
                    self.events.clear();
                    return Err(e);
                }
                continue;
            }
            if let Some(e) = self.failure.take() {
                self.broken = true;
                return Err(e);
            }
            if self.closed {
                self.broken = true;
                return Ok(Some(Event::ControlClosed));
            }
            return Ok(None);
        }
    }

    /// Waits for the next event.
    ///
    /// After [`Event::ControlClosed`] has been returned, further calls fail
    /// with [`Error::Closed`]. Errors from the control connection are
    /// final, too.
    pub fn next_event(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(ev) = self.next_event_timeout(None)? {
                return Ok(ev);
            }
        }
    }

    /// Waits for the next event for at most `timeout` (`None`: no limit).
    /// Returns `Ok(None)` when the time ran out; useful for games with
    /// timers.
    pub fn next_event_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<Event>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(ev) = self.poll_event()? {
                return Ok(Some(ev));
            }
            let wait = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    let ms = left.as_millis().min(i32::MAX as u128);
                    // Round up so we do not spin on sub-millisecond leftovers.
                    let ms = if ms == 0 && !left.is_zero() { 1 } else { ms };
                    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
                }
            };
            let ready = self.wait_ready(wait)?;
            let Some((ctl_ready, data)) = ready else {
                return Ok(None);
            };
            if ctl_ready {
                self.handle_control();
                if !self.inbox.is_empty() || self.closed || self.failure.is_some() {
                    // Seats are about to change; player readiness is
                    // looked at again on the next poll.
                    continue;
                }
            }
            for place in data {
                if self.check_readable(place) {
                    self.events.push_back(match place {
                        Place::Seat(seat) => Event::PlayerData { seat },
                        Place::Spectator(spectator) => Event::SpectatorData { spectator },
                    });
                }
            }
        }
    }

    /// Decides whether a socket that poll(2) called ready is worth an event.
    /// A peer at end of file stays "readable" forever; without this, a game
    /// would spin on data events until ggzd's seat change arrives. So once
    /// nothing but the end of file is left, it is reported one last time
    /// and the socket is no longer watched.
    fn check_readable(&mut self, place: Place) -> bool {
        let (stream, hung_up) = match place {
            Place::Seat(i) => match self.seats.get_mut(i) {
                Some(Seat {
                    stream: Some(s),
                    hung_up,
                    ..
                }) => (&*s, hung_up),
                _ => return false,
            },
            Place::Spectator(i) => match self.spectators.get_mut(i) {
                Some(Some(Spectator {
                    stream, hung_up, ..
                })) => (&*stream, hung_up),
                _ => return false,
            },
        };
        let mut probe = [0u8; 1];
        match recv(
            stream.as_raw_fd(),
            &mut probe,
            MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(0) => {
                *hung_up = true;
                true
            }
            Ok(_) => true,
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => false,
            // A reset connection also only has an error left to report.
            Err(_) => {
                *hung_up = true;
                true
            }
        }
    }

    /// Polls the control socket and every player and spectator socket.
    /// `None` on timeout; otherwise whether the control socket is ready and
    /// which places have data.
    #[allow(clippy::type_complexity)]
    fn wait_ready(&self, wait: PollTimeout) -> Result<Option<(bool, Vec<Place>)>, Error> {
        let mut places = Vec::new();
        let mut fds = vec![PollFd::new(self.ctl.as_fd(), PollFlags::POLLIN)];
        for (i, seat) in self.seats.iter().enumerate() {
            if let (Some(s), false) = (&seat.stream, seat.hung_up) {
                places.push(Place::Seat(i));
                fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
            }
        }
        for (i, slot) in self.spectators.iter().enumerate() {
            if let Some(s) = slot.as_ref().filter(|s| !s.hung_up) {
                places.push(Place::Spectator(i));
                fds.push(PollFd::new(s.stream.as_fd(), PollFlags::POLLIN));
            }
        }
        let n = match poll(&mut fds, wait) {
            Ok(n) => n,
            // A signal handler ran; let the caller's loop re-check.
            Err(Errno::EINTR) => return Ok(Some((false, Vec::new()))),
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(None);
        }
        let ready = |fd: &PollFd<'_>| fd.revents().is_some_and(|r| !r.is_empty());
        let mut it = fds.iter();
        let ctl_ready = it.next().is_some_and(ready);
        let data = it
            .zip(places)
            .filter(|(fd, _)| ready(fd))
            .map(|(_, p)| p)
            .collect();
        Ok(Some((ctl_ready, data)))
    }

    /// Reads what ggzd has sent, without waiting, for authors who run their
    /// own poll loop: call it when [`Game::control_fd`] is readable, then
    /// take events with [`Game::poll_event`] until it returns `Ok(None)`.
    ///
    /// At most [`MAX_PENDING_MESSAGES`] messages are buffered; if that many
    /// are waiting, reading stops until events are taken, and the socket
    /// stays readable (an edge-triggered loop must call this again after
    /// draining events). Errors are kept and reported by `poll_event` after
    /// the messages that came before them.
    pub fn handle_control(&mut self) {
        if self.broken || self.closed || self.failure.is_some() {
            return;
        }
        if let Err(e) = self.read_control() {
            self.failure = Some(e);
        }
    }

    fn read_control(&mut self) -> Result<(), Error> {
        while self.inbox.len() < MAX_PENDING_MESSAGES {
            if let Some(msg) = self.awaiting_fd.take() {
                match fdpass::try_recv_fd(self.ctl.as_fd()) {
                    Ok(Some(fd)) => self.inbox.push_back((msg, Some(fd))),
                    Ok(None) => {
                        self.awaiting_fd = Some(msg);
                        return Ok(());
                    }
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        self.mark_closed();
                        return Ok(());
                    }
                    Err(e) => return Err(e.into()),
                }
                continue;
            }
            let decoded = match self.layout {
                Some(layout) => ToGame::decode(&self.inbuf, layout)?,
                None => match detect::decode_detecting(&self.inbuf)? {
                    Detected::NeedMore(n) => Decoded::NeedMore(n),
                    Detected::Message {
                        msg,
                        consumed,
                        fd_follows,
                        layout,
                    } => {
                        self.layout = layout;
                        Decoded::Message {
                            msg,
                            consumed,
                            fd_follows,
                        }
                    }
                },
            };
            match decoded {
                Decoded::Message {
                    msg,
                    consumed,
                    fd_follows,
                } => {
                    self.inbuf.drain(..consumed.min(self.inbuf.len()));
                    if fd_follows {
                        self.awaiting_fd = Some(msg);
                    } else {
                        self.inbox.push_back((msg, None));
                    }
                }
                Decoded::NeedMore(n) => {
                    if self.inbuf.len().saturating_add(n) > MAX_MESSAGE_LEN {
                        return Err(WireError::MessageTooLong.into());
                    }
                    // Read exactly what the decoder needs, never more: the
                    // dummy byte of a passed descriptor may come next and
                    // must be left for recvmsg.
                    let old = self.inbuf.len();
                    self.inbuf.resize(old.saturating_add(n), 0);
                    let dst = self.inbuf.get_mut(old..).unwrap_or_default();
                    let got = recv(self.ctl.as_raw_fd(), dst, MsgFlags::MSG_DONTWAIT);
                    match got {
                        Ok(0) => {
                            self.inbuf.truncate(old);
                            self.mark_closed();
                            return Ok(());
                        }
                        Ok(k) => self.inbuf.truncate(old.saturating_add(k)),
                        Err(Errno::EINTR) => self.inbuf.truncate(old),
                        Err(Errno::EAGAIN) => {
                            self.inbuf.truncate(old);
                            return Ok(());
                        }
                        Err(e) => {
                            self.inbuf.truncate(old);
                            return Err(e.into());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn mark_closed(&mut self) {
        self.closed = true;
    }

    fn apply(&mut self, msg: ToGame, fd: Option<OwnedFd>) -> Result<(), Error> {
        if let ToGame::Launch {
            game,
            savegame,
            seats,
            spectators,
        } = msg
        {
            return self.apply_launch(game, savegame, seats, spectators);
        }
        if !self.launched {
            return Err(Error::Protocol(format!(
                "opcode {} before the launch message",
                msg.opcode()
            )));
        }
        match msg {
            ToGame::Launch { .. } => Err(Error::Protocol("second launch message".into())),
            ToGame::Seat { num, kind, name } => self.apply_seat(num, kind, name, fd),
            ToGame::SpectatorSeat { num, name } => self.apply_spectator(num, name, fd),
            ToGame::Reseat {
                old,
                was_spectator,
                new,
                is_spectator,
            } => {
                let from = place(old, was_spectator);
                let to = place(new, is_spectator);
                self.apply_reseat(from, to)
            }
            ToGame::StateAck => {
                self.events.push_back(Event::StateAck);
                Ok(())
            }
        }
    }

    fn apply_launch(
        &mut self,
        game: String,
        savegame: Option<String>,
        seats: Vec<LaunchSeat>,
        spectators: u32,
    ) -> Result<(), Error> {
        if self.launched {
            return Err(Error::Protocol("second launch message".into()));
        }
        self.seats = seats
            .into_iter()
            .map(|s| match s {
                LaunchSeat::Open => Seat::empty(SeatKind::Open),
                LaunchSeat::Bot(name) => Seat {
                    kind: SeatKind::Bot,
                    name: Some(bot_name(name)),
                    stream: None,
                    hung_up: false,
                },
                LaunchSeat::Reserved(name) => Seat {
                    kind: SeatKind::Reserved,
                    name: non_empty(name),
                    stream: None,
                    hung_up: false,
                },
            })
            .collect();
        let slots = usize::try_from(spectators).unwrap_or(0).min(MAX_SPECTATORS);
        self.spectators = std::iter::repeat_with(|| None).take(slots).collect();
        self.game_name = game;
        self.savegame = savegame;
        self.launched = true;
        // libggzdmod moves to WAITING on its own once launched.
        self.send_msg(&ToServer::State(GameState::Waiting))?;
        self.state = GameState::Waiting;
        self.events.push_back(Event::Launch);
        Ok(())
    }

    fn apply_seat(
        &mut self,
        num: u32,
        kind: SeatKind,
        name: String,
        fd: Option<OwnedFd>,
    ) -> Result<(), Error> {
        let seat = usize::try_from(num).unwrap_or(usize::MAX);
        let stream = fd.map(player_stream).transpose()?;
        let name = if kind == SeatKind::Bot {
            Some(bot_name(name))
        } else {
            non_empty(name)
        };
        let Some(slot) = self.seats.get_mut(seat) else {
            return Err(Error::Protocol(format!(
                "seat {seat} outside the table of {}",
                self.seats.len()
            )));
        };
        let old = std::mem::replace(
            slot,
            Seat {
                kind,
                name,
                stream,
                hung_up: false,
            },
        );
        self.events.push_back(Event::SeatChange {
            seat,
            new: slot.info(),
            old: old.info(),
            old_stream: old.stream,
        });
        Ok(())
    }

    fn apply_spectator(
        &mut self,
        num: u32,
        name: String,
        fd: Option<OwnedFd>,
    ) -> Result<(), Error> {
        let slot = usize::try_from(num).unwrap_or(usize::MAX);
        if slot >= MAX_SPECTATORS {
            return Err(Error::Protocol(format!("spectator slot {slot} too large")));
        }
        let stream = fd.map(player_stream).transpose()?;
        if self.spectators.len() <= slot {
            self.spectators.resize_with(slot.saturating_add(1), || None);
        }
        let Some(entry) = self.spectators.get_mut(slot) else {
            return Err(Error::Protocol(format!("spectator slot {slot} missing")));
        };
        let old = entry.take();
        let new = match (stream, name.is_empty()) {
            (Some(stream), false) => Some(Spectator {
                name: name.clone(),
                stream,
                hung_up: false,
            }),
            _ => None,
        };
        let joined = new.is_some();
        *entry = new;
        if let Some(old) = old {
            self.events.push_back(Event::SpectatorLeave {
                spectator: slot,
                name: old.name,
                stream: old.stream,
            });
        }
        if joined {
            self.events.push_back(Event::SpectatorJoin {
                spectator: slot,
                name,
            });
        }
        Ok(())
    }

    fn apply_reseat(&mut self, from: Place, to: Place) -> Result<(), Error> {
        if from == to {
            return Err(Error::Protocol(format!("reseat from {from:?} to itself")));
        }
        // Check the destination before touching anything, so a bad message
        // leaves the table as it was.
        match to {
            Place::Seat(i) => match self.seats.get(i) {
                Some(s) if s.kind != SeatKind::Player => {}
                Some(_) => return Err(Error::Protocol(format!("reseat into occupied seat {i}"))),
                None => return Err(Error::Protocol(format!("reseat into missing seat {i}"))),
            },
            Place::Spectator(i) => {
                if i >= MAX_SPECTATORS {
                    return Err(Error::Protocol(format!("spectator slot {i} too large")));
                }
                if self.spectator(i).is_some() {
                    return Err(Error::Protocol(format!("reseat into occupied slot {i}")));
                }
            }
        }
        let (name, stream) = match from {
            Place::Seat(i) => {
                let playing = self.state == GameState::Playing;
                let seat = self
                    .seats
                    .get_mut(i)
                    .filter(|s| s.kind == SeatKind::Player && s.stream.is_some())
                    .ok_or_else(|| Error::Protocol(format!("reseat from empty seat {i}")))?;
                let name = seat.name.take().unwrap_or_default();
                let stream = seat.stream.take();
                if playing {
                    seat.kind = SeatKind::Abandoned;
                    seat.name = non_empty(name.clone());
                } else {
                    seat.kind = SeatKind::Open;
                }
                (name, stream)
            }
            Place::Spectator(i) => {
                let spec = self
                    .spectators
                    .get_mut(i)
                    .and_then(Option::take)
                    .ok_or_else(|| Error::Protocol(format!("reseat from empty slot {i}")))?;
                (spec.name, Some(spec.stream))
            }
        };
        let Some(stream) = stream else {
            return Err(Error::Protocol("reseat without a connection".into()));
        };
        match to {
            Place::Seat(i) => {
                if let Some(seat) = self.seats.get_mut(i) {
                    *seat = Seat {
                        kind: SeatKind::Player,
                        name: non_empty(name.clone()),
                        stream: Some(stream),
                        hung_up: false,
                    };
                }
            }
            Place::Spectator(i) => {
                if self.spectators.len() <= i {
                    self.spectators.resize_with(i.saturating_add(1), || None);
                }
                if let Some(slot) = self.spectators.get_mut(i) {
                    *slot = Some(Spectator {
                        name: name.clone(),
                        stream,
                        hung_up: false,
                    });
                }
            }
        }
        self.events.push_back(Event::Reseat { from, to, name });
        Ok(())
    }

    /// Runs the event loop, calling `handler` for every event, until the
    /// game reaches [`GameState::Done`], ggzd closes the control socket
    /// (after the handler has seen [`Event::ControlClosed`]), or an error
    /// occurs on the control connection.
    pub fn run<F>(&mut self, mut handler: F) -> Result<(), Error>
    where
        F: FnMut(&mut Game, Event),
    {
        loop {
            let ev = self.next_event()?;
            let closed = matches!(ev, Event::ControlClosed);
            handler(self, ev);
            if closed || self.state == GameState::Done {
                return Ok(());
            }
        }
    }
}

impl AsFd for Game {
    /// The control socket (same as [`Game::control_fd`]).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.ctl.as_fd()
    }
}

fn place(num: u32, spectator: bool) -> Place {
    let i = usize::try_from(num).unwrap_or(usize::MAX);
    if spectator {
        Place::Spectator(i)
    } else {
        Place::Seat(i)
    }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn bot_name(s: String) -> String {
    if s.is_empty() {
        DEFAULT_BOT_NAME.to_owned()
    } else {
        s
    }
}

fn player_stream(fd: OwnedFd) -> Result<TcpStream, Error> {
    let flags = OFlag::from_bits_truncate(fcntl(&fd, FcntlArg::F_GETFL)?);
    if flags.contains(OFlag::O_NONBLOCK) {
        fcntl(&fd, FcntlArg::F_SETFL(flags - OFlag::O_NONBLOCK))?;
    }
    Ok(TcpStream::from(fd))
}

fn check_socket(fd: RawFd) -> Result<(), Error> {
    // SAFETY: the borrow does not outlive this call and fstat only queries.
    let st = fstat(unsafe { BorrowedFd::borrow_raw(fd) })
        .map_err(|e| Error::BadEnvironment(format!("control descriptor {fd}: {e}")))?;
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFSOCK {
        return Err(Error::BadEnvironment(format!(
            "control descriptor {fd} is not a socket"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_resolution() {
        // Nothing said: detect from the launch message.
        assert_eq!(resolve_layout(None, None).unwrap(), None);
        assert_eq!(
            resolve_layout(None, Some(LaunchLayout::Legacy)).unwrap(),
            Some(LaunchLayout::Legacy)
        );
        assert_eq!(
            resolve_layout(Some("trunk"), Some(LaunchLayout::Legacy)).unwrap(),
            Some(LaunchLayout::Trunk)
        );
        assert!(matches!(
            resolve_layout(Some("0.0.15"), None),
            Err(Error::BadEnvironment(_))
        ));
    }

    #[test]
    fn report_like_libggzdmod() {
        let seats = vec![
            SeatInfo {
                kind: SeatKind::Player,
                name: Some("bob".into()),
            },
            SeatInfo {
                kind: SeatKind::Open,
                name: None,
            },
            SeatInfo {
                kind: SeatKind::Bot,
                name: None,
            },
            SeatInfo {
                kind: SeatKind::Abandoned,
                name: Some("al".into()),
            },
        ];
        let res = [
            SeatResult::new(GameResult::Win),
            SeatResult::new(GameResult::None),
            SeatResult {
                result: GameResult::Loss,
                score: 7,
                team: None,
            },
            SeatResult {
                result: GameResult::Forfeit,
                score: 0,
                team: Some(9),
            },
        ];
        let r = build_report(&seats, &res).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].name.as_str(), r[0].team), ("bob", 0));
        assert_eq!((r[1].name.as_str(), r[1].team, r[1].score), ("AI", 1, 7));
        assert_eq!((r[2].name.as_str(), r[2].team), ("al", 9));
        assert_eq!(r[2].kind, SeatKind::Abandoned);
        assert!(build_report(&seats, &res[..2]).is_err());
    }

    #[test]
    fn connect_requires_ggzmode() {
        // The test harness never sets GGZMODE=true.
        if std::env::var(ENV_GGZMODE).ok().as_deref() != Some("true") {
            assert!(matches!(Game::connect(), Err(Error::NotUnderGgz)));
        }
    }
}
