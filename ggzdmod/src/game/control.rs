//! Reading ggzd's messages and the player sockets, and applying them to
//! the seat table: the event side of [`Game`].

use std::io;
use std::os::fd::OwnedFd;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;
use std::time::Instant;

use libc::c_short;
use nix::errno::Errno;
use nix::sys::socket::MsgFlags;
use nix::sys::socket::recv;

use crate::detect;
use crate::detect::Detected;
use crate::fdpass;
use crate::wire::Decoded;
use crate::wire::GameState;
use crate::wire::LaunchSeat;
use crate::wire::MAX_MESSAGE_LEN;
use crate::wire::MAX_SPECTATORS;
use crate::wire::SeatKind;
use crate::wire::ToGame;
use crate::wire::ToServer;
use crate::wire::WireError;

use super::Error;
use super::Event;
use super::Game;
use super::MAX_PENDING_MESSAGES;
use super::Place;
use super::Seat;
use super::Spectator;
use super::bot_name;
use super::non_empty;
use super::place;
use super::player_stream;
use super::poll;

impl Game {
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
    /// Returns `Ok(None)` when the time ran out, never before (on Linux
    /// the wait is timed in nanoseconds, elsewhere in whole milliseconds
    /// rounded up); useful for games with timers.
    pub fn next_event_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<Event>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(ev) = self.poll_event()? {
                return Ok(Some(ev));
            }
            let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
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
            for (place, revents) in data {
                // Plain POLLIN: bytes are waiting, and the peer's end of
                // file (if any) comes after them; no probe needed.
                if poll::only_data(revents) || self.check_readable(place) {
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
    /// and the socket is no longer watched. The probe (one `recv` with
    /// `MSG_PEEK`) is made only when poll reported more than plain data
    /// (see `poll::only_data`).
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
    /// which places are, with what poll reported for each.
    #[allow(clippy::type_complexity)]
    fn wait_ready(
        &self,
        wait: Option<Duration>,
    ) -> Result<Option<(bool, Vec<(Place, c_short)>)>, Error> {
        let mut places = Vec::new();
        let mut fds = vec![poll::entry(self.ctl.as_raw_fd(), poll::WATCH_CONTROL)];
        for (i, seat) in self.seats.iter().enumerate() {
            if let (Some(s), false) = (&seat.stream, seat.hung_up) {
                places.push(Place::Seat(i));
                fds.push(poll::entry(s.as_raw_fd(), poll::WATCH_PEER));
            }
        }
        for (i, slot) in self.spectators.iter().enumerate() {
            if let Some(s) = slot.as_ref().filter(|s| !s.hung_up) {
                places.push(Place::Spectator(i));
                fds.push(poll::entry(s.stream.as_raw_fd(), poll::WATCH_PEER));
            }
        }
        let n = match poll::wait(&mut fds, wait) {
            Ok(n) => n,
            // A signal handler ran; let the caller's loop re-check.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                return Ok(Some((false, Vec::new())));
            }
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(None);
        }
        let mut it = fds.iter();
        let ctl_ready = it.next().is_some_and(|fd| fd.revents != 0);
        let data = it
            .zip(places)
            .filter(|(fd, _)| fd.revents != 0)
            .map(|(fd, p)| (p, fd.revents))
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
        // The legacy message has no savegame; our ggzd then passes it in
        // the environment (docs/event-log.md §8).
        self.savegame = match savegame {
            Some(s) if !s.is_empty() => Some(s),
            other => self.env_savegame.take().or(other),
        };
        self.launched = true;
        // libggzdmod moves to WAITING on its own once launched; a game that
        // restores savegames does so itself once the restore worked, so
        // that a refused savegame is a failed launch (docs/event-log.md §4).
        let restoring = self.restores && self.savegame.as_deref().is_some_and(|s| !s.is_empty());
        if !restoring {
            self.send_msg(&ToServer::State(GameState::Waiting))?;
            self.state = GameState::Waiting;
        }
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
