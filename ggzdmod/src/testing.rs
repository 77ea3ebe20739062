//! Testing a game server without ggzd.
//!
//! Always compiled rather than behind a cargo feature: it needs nothing
//! the crate does not already use, and a feature enabled only by test
//! builds would make `cargo build` and `cargo test` compile ggzdmod and
//! everything above it twice, in two variants.
//!
//! [`GameProcess`] starts a game server binary as ggzd would — the control
//! socket on descriptor 3, `GGZMODE=true`, the launch layout in the
//! environment — and lets a test play ggzd's part: launch the table, seat
//! players with real loopback TCP connections, acknowledge state changes,
//! and read what the game server reports. Every wait has a timeout, and
//! the process is killed when the `GameProcess` is dropped, so a broken
//! game server fails the test instead of hanging it.
//!
//! ```no_run
//! use std::io::{BufRead, BufReader, Write};
//! use std::process::Command;
//! use ggzdmod::testing::GameProcess;
//! use ggzdmod::{GameState, LaunchLayout, LaunchSeat, ToServer};
//!
//! # fn main() -> Result<(), ggzdmod::testing::TestError> {
//! // In an integration test of the game's own crate:
//! // Command::new(env!("CARGO_BIN_EXE_my-game"))
//! let mut game = GameProcess::spawn(Command::new("target/debug/my-game"), LaunchLayout::Trunk)?;
//! game.launch("mygame", vec![LaunchSeat::Open])?;
//! game.expect_state(GameState::Waiting)?;
//! let ann = game.join(0, "ann")?;
//! game.expect_state(GameState::Playing)?;
//! let mut ann = BufReader::new(ann);
//! let mut line = String::new();
//! ann.read_line(&mut line)?;
//! ann.get_mut().write_all(b"move 1\n")?;
//! let report = game.expect(|m| matches!(m, ToServer::Report(_)))?;
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::server::{ChannelError, ReadEnd, ServerChannel, control_socketpair};
use crate::wire::{GameState, LaunchLayout, LaunchSeat, SeatKind, ToGame, ToServer};
use crate::{ENV_GGZMODE, ENV_GGZSOCKET, ENV_LAUNCH_LAYOUT, GGZSOCKET_FD};

/// How long a wait lasts unless [`GameProcess::set_timeout`] says
/// otherwise: generous, since test machines are often busy.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a step of a test failed.
#[derive(Debug)]
pub enum TestError {
    /// Starting the process, a socket, or a player connection failed.
    Io(io::Error),
    /// The control socket failed or the game server sent garbage.
    Channel(ChannelError),
    /// The game server closed the control socket (or exited); the
    /// messages it sent before are in the list.
    Ended(Vec<ToServer>),
    /// Nothing matching came in time; what did come is in the list.
    Timeout(Vec<ToServer>),
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestError::Io(e) => write!(f, "i/o: {e}"),
            TestError::Channel(e) => write!(f, "control socket: {e}"),
            TestError::Ended(seen) => {
                write!(
                    f,
                    "the game server closed its control socket; after {seen:?}"
                )
            }
            TestError::Timeout(seen) => write!(f, "timed out; the game server sent {seen:?}"),
        }
    }
}

impl std::error::Error for TestError {}

impl From<io::Error> for TestError {
    fn from(e: io::Error) -> Self {
        TestError::Io(e)
    }
}

impl From<ChannelError> for TestError {
    fn from(e: ChannelError) -> Self {
        TestError::Channel(e)
    }
}

/// A game server process driven as ggzd would drive it.
pub struct GameProcess {
    child: Child,
    channel: ServerChannel,
    /// Messages read but not yet taken by a test.
    queue: VecDeque<ToServer>,
    /// The control socket reached its end; what is queued is all there is.
    ended: bool,
    timeout: Duration,
}

impl fmt::Debug for GameProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GameProcess")
            .field("pid", &self.child.id())
            .field("queued", &self.queue)
            .field("ended", &self.ended)
            .finish()
    }
}

impl GameProcess {
    /// Starts `command` (program, arguments, extra environment of the
    /// caller's choosing) with the control socket on descriptor 3 and the
    /// environment ggzd sets, telling it that `layout` comes.
    pub fn spawn(mut command: Command, layout: LaunchLayout) -> Result<GameProcess, TestError> {
        let (ours, theirs) = control_socketpair()?;
        let channel = ServerChannel::new(ours, layout)?;
        let raw = theirs.as_raw_fd();
        command
            .env(ENV_GGZMODE, "true")
            .env(ENV_GGZSOCKET, GGZSOCKET_FD.to_string())
            .env(ENV_LAUNCH_LAYOUT, layout.as_str());
        // SAFETY: between fork and exec only async-signal-safe calls
        // (fcntl, dup2) run, on descriptors this process owns.
        unsafe {
            command.pre_exec(move || {
                if raw == GGZSOCKET_FD {
                    // Already in place: dup2 onto itself would leave
                    // close-on-exec set.
                    if libc::fcntl(raw, libc::F_SETFD, 0) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                } else if libc::dup2(raw, GGZSOCKET_FD) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        // Only the child keeps its end, so its exit is seen as end of file.
        drop(theirs);
        Ok(GameProcess {
            child,
            channel,
            queue: VecDeque::new(),
            ended: false,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Sets how long each wait lasts.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The process id, e.g. to send it a signal.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// ggzd's end of the control socket, for anything the helpers here do
    /// not cover.
    pub fn channel(&mut self) -> &mut ServerChannel {
        &mut self.channel
    }

    /// Sends one message (with a descriptor for a player or spectator
    /// seat) and waits until it is written.
    pub fn send(&mut self, msg: &ToGame, fd: Option<OwnedFd>) -> Result<(), TestError> {
        self.channel.send(msg, fd)?;
        let deadline = Instant::now() + self.timeout;
        while !self.channel.flush()? {
            if Instant::now() >= deadline {
                return Err(TestError::Timeout(self.queue.iter().cloned().collect()));
            }
            self.poll(nix::poll::PollFlags::POLLOUT, deadline);
        }
        Ok(())
    }

    /// Sends the launch message for a new game (no savegame).
    pub fn launch(&mut self, game: &str, seats: Vec<LaunchSeat>) -> Result<(), TestError> {
        self.send(
            &ToGame::Launch {
                game: game.to_owned(),
                savegame: None,
                seats,
                spectators: 0,
            },
            None,
        )
    }

    /// Seats a player as ggzd does, with a fresh loopback TCP connection;
    /// returns the player's end (reads time out after the wait timeout).
    pub fn join(&mut self, seat: u32, name: &str) -> Result<TcpStream, TestError> {
        let (player, server_end) = tcp_pair(self.timeout)?;
        self.send(
            &ToGame::Seat {
                num: seat,
                kind: SeatKind::Player,
                name: name.to_owned(),
            },
            Some(server_end),
        )?;
        Ok(player)
    }

    /// Seats a spectator in slot `num`; returns the spectator's end.
    pub fn watch(&mut self, num: u32, name: &str) -> Result<TcpStream, TestError> {
        let (spectator, server_end) = tcp_pair(self.timeout)?;
        self.send(
            &ToGame::SpectatorSeat {
                num,
                name: name.to_owned(),
            },
            Some(server_end),
        )?;
        Ok(spectator)
    }

    /// A player leaves `seat`: it becomes open, as ggzd says it.
    pub fn leave(&mut self, seat: u32) -> Result<(), TestError> {
        self.send(
            &ToGame::Seat {
                num: seat,
                kind: SeatKind::Open,
                name: String::new(),
            },
            None,
        )
    }

    /// The next message from the game server.
    pub fn recv(&mut self) -> Result<ToServer, TestError> {
        self.expect(|_| true)
    }

    /// Waits for the first message that `wanted` accepts and returns it;
    /// the messages before it are dropped (log lines, typically).
    pub fn expect(&mut self, wanted: impl Fn(&ToServer) -> bool) -> Result<ToServer, TestError> {
        let deadline = Instant::now() + self.timeout;
        let mut skipped = Vec::new();
        loop {
            while let Some(msg) = self.queue.pop_front() {
                if wanted(&msg) {
                    return Ok(msg);
                }
                skipped.push(msg);
            }
            if self.ended {
                return Err(TestError::Ended(skipped));
            }
            if Instant::now() >= deadline {
                return Err(TestError::Timeout(skipped));
            }
            self.read(deadline)?;
        }
    }

    /// Waits for the game server to ask for `state` and acknowledges it,
    /// as ggzd does. A game server may exit right after asking for DONE,
    /// so a closed socket is no error then.
    pub fn expect_state(&mut self, state: GameState) -> Result<(), TestError> {
        self.expect(|m| *m == ToServer::State(state))?;
        match self.send(&ToGame::StateAck, None) {
            Err(TestError::Channel(_) | TestError::Io(_)) if state == GameState::Done => Ok(()),
            other => other,
        }
    }

    /// Waits for the process to exit; kills it when the wait times out.
    pub fn wait_exit(&mut self) -> Result<ExitStatus, TestError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(TestError::Timeout(self.queue.iter().cloned().collect()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Reads what is there, or waits for it until `deadline`.
    fn read(&mut self, deadline: Instant) -> Result<(), TestError> {
        let out = self.channel.read_ready();
        let got = !out.messages.is_empty();
        self.queue.extend(out.messages);
        match out.end {
            ReadEnd::WouldBlock if !got => self.poll(nix::poll::PollFlags::POLLIN, deadline),
            ReadEnd::WouldBlock | ReadEnd::Budget => {}
            ReadEnd::Eof => self.ended = true,
            ReadEnd::Error(e) => return Err(e.into()),
        }
        Ok(())
    }

    fn poll(&self, flags: nix::poll::PollFlags, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX).max(1);
        let mut fds = [nix::poll::PollFd::new(self.channel.as_fd(), flags)];
        // An interrupted or failed poll only means another look sooner.
        let _ = nix::poll::poll(&mut fds, ms);
    }
}

impl Drop for GameProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A connected loopback TCP pair: (the player's end, the end for the game
/// server).
fn tcp_pair(timeout: Duration) -> io::Result<(TcpStream, OwnedFd)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let player = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    player.set_read_timeout(Some(timeout))?;
    player.set_nodelay(true)?;
    Ok((player, server.into()))
}
