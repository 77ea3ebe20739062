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
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{MsgFlags, send};
use nix::sys::stat::{SFlag, fstat};

use crate::wire::{
    GameState, LaunchLayout, MAX_SEATS, MAX_STRING_LEN, ReportRecord, SeatKind, ToGame, ToServer,
};
use crate::{ENV_GGZMODE, ENV_GGZSOCKET, ENV_LAUNCH_LAYOUT, ENV_SAVEGAME, GGZSOCKET_FD};

#[cfg(any(target_os = "linux", target_os = "android"))]
const NOSIGNAL: MsgFlags = MsgFlags::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NOSIGNAL: MsgFlags = MsgFlags::empty();

/// Messages read ahead from the control socket before reading pauses.
pub const MAX_PENDING_MESSAGES: usize = 64;

/// Name given to bots that ggzd seats without a name.
pub const DEFAULT_BOT_NAME: &str = "AI";

mod control;
mod error;
mod event;
mod eventlog;
mod poll;
mod report;
mod seats;

pub use error::Error;
pub use event::Event;
pub use eventlog::MAX_SAVEGAME_BYTES;
pub use report::{SeatResult, build_report};
pub use seats::{Place, Seat, SeatInfo, Spectator};

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
    /// The game's event log, once started (docs/event-log.md §3).
    event_log: Option<crate::eventlog::EventLog>,
    /// Where event logs are created.
    event_log_dir: PathBuf,
    /// The game restores savegames: WAITING waits for it on such launches.
    restores: bool,
    /// A savegame from the environment, for a launch message without one
    /// (legacy layout).
    env_savegame: Option<String>,
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
        let mut game = Game::start(ctl, layout)?;
        game.env_savegame = std::env::var(ENV_SAVEGAME).ok().filter(|s| !s.is_empty());
        Ok(game)
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
            event_log: None,
            event_log_dir: PathBuf::from("."),
            restores: false,
            env_savegame: None,
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

    /// Savegame to restore from, if ggzd gave one: in the trunk launch
    /// message, or (legacy layout) in [`ENV_SAVEGAME`](crate::ENV_SAVEGAME).
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
    use crate::wire::GameResult;

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
