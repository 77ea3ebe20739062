//! The TicTacToe server's state machine (docs/tictactoe.md §2.5).
//!
//! It reacts to what ggzd and the clients do (seats changing, spectators
//! coming and going, packets arriving) and answers through a [`Table`].
//! Where the original server was odd, it does better (docs/tictactoe.md
//! §2.5):
//!
//! * after MSG_GAMEOVER the table stays WAITING with the finished board, as
//!   the original does, so every player sees how the game ended; it ends
//!   (DONE) once no player and no spectator is left, and a seat that is
//!   left and filled again starts a fresh game, never one on the old board
//!   (docs/tictactoe-rematch.md);
//! * spectators get MSG_PLAYERS on every seat change, may ask for a sync,
//!   and their move attempts are ignored;
//! * a client sending something that is not a TicTacToe message loses its
//!   seat: its connection is closed and ggzd is asked to boot it.

use std::collections::BTreeMap;
use std::io;

use ggzdmod::{GameResult, GameState, Place, SeatInfo, SeatKind, SeatResult};

use crate::ai::BotClass;
use crate::board::{Board, Mark, MoveError, Outcome};
use crate::dio::PacketDecoder;
use crate::protocol::{ClientMsg, MAX_CLIENT_PACKET, MoveStatus, PlayerEntry, ServerMsg, Variant};
use crate::replay;
use crate::savegame::{Entry, Recorded, Savegame};
use crate::table::Table;

/// TicTacToe is for exactly two seats.
pub const SEATS: usize = 2;

/// One client connection as the game sees it.
#[derive(Debug)]
struct Connection {
    /// Reassembles DIO packets from the byte stream.
    decoder: PacketDecoder,
    /// False once the client hung up or was dropped: nothing is sent to it
    /// or read from it any more, until ggzd replaces the seat.
    live: bool,
    /// Spectator name (player names come from the seat table).
    name: Option<String>,
}

impl Connection {
    fn new(name: Option<String>) -> Connection {
        Connection {
            decoder: PacketDecoder::new(MAX_CLIENT_PACKET),
            live: true,
            name,
        }
    }
}

/// The game: board, turn, and the connections of players and spectators.
#[derive(Debug)]
pub struct TicTacToe {
    variant: Variant,
    board: Board,
    /// Seat on turn; `None` until the first game starts (sent as -1).
    turn: Option<Mark>,
    /// The game on the board has ended and its result was reported; the
    /// board stays as it ended until a fresh game starts.
    finished: bool,
    /// Since the game ended, a seat was left: filling both seats again
    /// starts the next game.
    vacated: bool,
    seats: [Option<Connection>; SEATS],
    spectators: BTreeMap<usize, Connection>,
    savegame: Savegame,
    /// Every game is kept in an event log (docs/event-log.md §6).
    event_log: bool,
    /// Why the savegame of a restore launch was refused, if it was.
    refused: Option<String>,
}

impl TicTacToe {
    /// A game speaking `variant`, logging to `savegame`.
    pub fn new(variant: Variant, savegame: Savegame) -> TicTacToe {
        TicTacToe {
            variant,
            board: Board::new(),
            turn: None,
            finished: false,
            vacated: false,
            seats: [None, None],
            spectators: BTreeMap::new(),
            savegame,
            event_log: true,
            refused: None,
        }
    }

    /// No event log is written (`--no-savegame`).
    pub fn without_event_log(mut self) -> TicTacToe {
        self.event_log = false;
        self
    }

    /// Why a restore launch was refused (the table then ended before it
    /// was ready), if it was.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// The board (for tests and logs).
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// Seat on turn, `None` before the first game started.
    pub fn turn(&self) -> Option<Mark> {
        self.turn
    }

    /// Whether the game has ended with a result.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    // ----- events from ggzd ------------------------------------------------

    /// The launch message arrived; ggzdmod has already reported WAITING.
    pub fn on_launch(&mut self, t: &mut dyn Table) {
        if t.restore_pending() {
            match self.restore(t) {
                Ok(()) => t.set_state(GameState::Waiting),
                Err(why) => {
                    t.log(&format!("refusing to restore the savegame: {why}"));
                    self.refused = Some(why);
                    // DONE before WAITING: a failed launch for ggzd.
                    t.set_state(GameState::Done);
                    return;
                }
            }
        }
        if t.num_seats() != SEATS {
            t.log(&format!(
                "TicTacToe needs exactly {SEATS} seats, the table has {}; ending it",
                t.num_seats()
            ));
            t.set_state(GameState::Done);
            return;
        }
        // Seats filled at launch (bots) produce no join event; if nobody
        // else is needed, the game starts right away.
        if self.target_state(t) == GameState::Playing {
            self.seat_event(t, None);
        }
    }

    /// ggzd changed a seat (join, leave, bot, open, abandoned...).
    pub fn on_seat_change(
        &mut self,
        t: &mut dyn Table,
        seat: usize,
        old: &SeatInfo,
        new: &SeatInfo,
    ) {
        let Some(mark) = Mark::from_seat(seat) else {
            t.log(&format!(
                "ignoring a change of seat {seat}, which TicTacToe does not have"
            ));
            return;
        };
        if old.kind == SeatKind::Player {
            self.set_seat_connection(seat, None);
            let name = old.name.clone().unwrap_or_default();
            self.save(t, &Entry::Leave(mark, name));
        }
        let joined = new.kind == SeatKind::Player;
        if joined {
            self.set_seat_connection(seat, Some(Connection::new(None)));
            let name = new.name.clone().unwrap_or_default();
            self.save(t, &Entry::Join(mark, name));
        }
        if matches!(new.kind, SeatKind::Player | SeatKind::Bot) {
            self.record_seat(t, mark, new.name.as_deref().unwrap_or_default());
        }
        self.seat_event(t, joined.then_some(mark));
    }

    /// A spectator arrived: it gets the player list (classic protocol) and
    /// the board, even before the game started; at a finished game also the
    /// result, so a watcher learns how it ended.
    pub fn on_spectator_join(&mut self, t: &mut dyn Table, slot: usize, name: &str) {
        self.spectators
            .insert(slot, Connection::new(Some(name.to_owned())));
        let place = Place::Spectator(slot);
        if self.variant.announces_seats() {
            let players = self.players_msg(t);
            self.send(t, place, &players);
        }
        self.send(t, place, &self.sync_msg());
        if let Some(outcome) = self.finished.then(|| self.board.outcome()).flatten() {
            self.send(t, place, &ServerMsg::GameOver(outcome));
        }
    }

    /// A spectator left. A table nobody is at any more ends.
    pub fn on_spectator_leave(&mut self, t: &mut dyn Table, slot: usize) {
        self.spectators.remove(&slot);
        if self.deserted(t) && t.state() != GameState::Done {
            t.set_state(GameState::Done);
        }
    }

    /// Someone moved between seats or spectator slots, keeping the
    /// connection. ggzdmod has already updated the seat table.
    pub fn on_reseat(&mut self, t: &mut dyn Table, from: Place, to: Place, name: &str) {
        let mut conn = self
            .take_connection(from)
            .unwrap_or_else(|| Connection::new(None));
        if let Some(mark) = seat_mark(from) {
            self.save(t, &Entry::Leave(mark, name.to_owned()));
        }
        match to {
            Place::Seat(seat) => {
                conn.name = None;
                let Some(mark) = Mark::from_seat(seat) else {
                    t.log(&format!("ignoring a reseat to seat {seat}"));
                    return;
                };
                self.set_seat_connection(seat, Some(conn));
                self.save(t, &Entry::Join(mark, name.to_owned()));
                self.record_seat(t, mark, name);
                self.seat_event(t, Some(mark));
            }
            Place::Spectator(slot) => {
                conn.name = Some(name.to_owned());
                self.spectators.insert(slot, conn);
                if let Place::Seat(_) = from {
                    // The player list changed; the broadcast includes the
                    // new spectator, who then gets the board.
                    self.seat_event(t, None);
                    self.send(t, to, &self.sync_msg());
                }
            }
        }
    }

    // ----- events from clients ----------------------------------------------

    /// Bytes arrived from a player or spectator.
    pub fn on_data(&mut self, t: &mut dyn Table, place: Place, bytes: &[u8]) {
        match self.connection_mut(place) {
            Some(conn) if conn.live => conn.decoder.push(bytes),
            _ => return,
        }
        loop {
            let Some(conn) = self.connection_mut(place).filter(|c| c.live) else {
                return;
            };
            let packet = match conn.decoder.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => return,
                Err(e) => return self.drop_client(t, place, &e.to_string()),
            };
            match ClientMsg::parse(&packet) {
                Ok(msg) => self.on_message(t, place, msg),
                Err(e) => return self.drop_client(t, place, &e.to_string()),
            }
        }
    }

    /// The client closed its connection (or it failed). Nothing more is
    /// sent to it; ggzd's seat change, which normally follows, decides what
    /// happens to the seat.
    pub fn on_hangup(&mut self, t: &mut dyn Table, place: Place) {
        let who = self.describe(t, place);
        if let Some(conn) = self.connection_mut(place).filter(|c| c.live) {
            conn.live = false;
            t.log(&format!("{who} closed the game connection"));
        }
    }

    fn on_message(&mut self, t: &mut dyn Table, place: Place, msg: ClientMsg) {
        match (place, msg) {
            (_, ClientMsg::ReqSync) => self.send(t, place, &self.sync_msg()),
            (Place::Seat(seat), ClientMsg::Move(square)) => self.on_move(t, seat, square),
            (Place::Spectator(_), ClientMsg::Move(_)) => {
                // Only KTicTacTux could even try; a watcher has no say.
                let who = self.describe(t, place);
                t.log(&format!("{who} tried to move as a spectator; ignored"));
            }
        }
    }

    /// SND_MOVE from a seat: checks in the order of docs/tictactoe.md §2.4, answers
    /// exactly one RSP_MOVE, asks again after a bound or full error, and
    /// plays an accepted move.
    fn on_move(&mut self, t: &mut dyn Table, seat: usize, square: i32) {
        let Some(mark) = Mark::from_seat(seat) else {
            return;
        };
        let checked = if self.finished || t.state() != GameState::Playing {
            Err(MoveStatus::ErrState)
        } else if self.turn != Some(mark) {
            Err(MoveStatus::ErrTurn)
        } else {
            self.board.check(square).map_err(|e| match e {
                MoveError::OutOfBounds => MoveStatus::ErrBound,
                MoveError::Occupied => MoveStatus::ErrFull,
            })
        };
        let status = checked.err().unwrap_or(MoveStatus::Ok);
        let place = Place::Seat(seat);
        self.send(t, place, &ServerMsg::RspMove(status));
        if status.asks_again() {
            self.send(t, place, &ServerMsg::ReqMove);
        }
        if let Ok(square) = checked {
            self.apply_move(t, mark, square);
            self.next_move(t);
        }
    }

    // ----- the game itself --------------------------------------------------

    /// The table state the seats call for (docs/tictactoe.md §2.5 step 1).
    fn target_state(&self, t: &dyn Table) -> GameState {
        let kinds: Vec<SeatKind> = (0..SEATS)
            .map(|i| t.seat(i).map_or(SeatKind::None, |s| s.kind))
            .collect();
        let filled = |k: &SeatKind| matches!(k, SeatKind::Player | SeatKind::Bot);
        if kinds.iter().all(filled) {
            GameState::Playing
        } else if self.deserted(t) {
            GameState::Done
        } else {
            GameState::Waiting
        }
    }

    /// No human player, none expected back and no spectator: nobody is
    /// left to see the table. An abandoned seat is held by ggzd for a
    /// player who may return (docs/client-server.md §11.7), so the table
    /// waits for them; ggzd opens the seat when it stops waiting.
    fn deserted(&self, t: &dyn Table) -> bool {
        let human = (0..SEATS).any(|i| {
            t.seat(i)
                .is_some_and(|s| matches!(s.kind, SeatKind::Player | SeatKind::Abandoned))
        });
        !human && self.spectators.is_empty()
    }

    /// What every seat change triggers: new player list to everyone
    /// connected, seat number and board to the player who sat down, then
    /// the new table state, starting or resuming play when it becomes
    /// PLAYING.
    fn seat_event(&mut self, t: &mut dyn Table, joined: Option<Mark>) {
        let mut target = self.target_state(t);
        if self.finished && target != GameState::Playing {
            self.vacated = true;
        }
        let rematch = self.finished && self.vacated && target == GameState::Playing;
        if self.finished && !rematch && target == GameState::Playing {
            // Both seats still hold the players of the finished game: the
            // finished board stays.
            target = GameState::Waiting;
        }
        if self.variant.announces_seats() {
            let players = self.players_msg(t);
            for place in self.connected_places() {
                self.send(t, place, &players);
            }
        }
        if let Some(mark) = joined {
            let place = Place::Seat(mark.seat());
            if self.variant.announces_seats() {
                self.send(t, place, &ServerMsg::Seat(mark));
            }
            if self.turn.is_some() && !rematch {
                self.send(t, place, &self.sync_msg());
            }
        }
        if rematch {
            self.new_game(t);
        }
        let before = t.state();
        t.set_state(target);
        if target == GameState::Playing && before != GameState::Playing {
            if self.turn.is_none() {
                self.turn = Some(Mark::Seat0);
                self.save(t, &Entry::Start);
                self.begin_event_log(t);
            } else {
                self.save(t, &Entry::Continue);
            }
            self.next_move(t);
        }
    }

    /// A seat of a finished game was filled again (by a player or a bot):
    /// the next game starts on
    /// a cleared board. Everyone connected gets the cleared board with seat
    /// 0 on turn (SND_SYNC replaces a client's board; no client knows a
    /// "new game" message), the new player included.
    fn new_game(&mut self, t: &mut dyn Table) {
        self.board = Board::new();
        self.turn = None;
        self.finished = false;
        self.vacated = false;
        t.log("a seat of the finished game was filled again: a new game starts");
        let sync = ServerMsg::Sync {
            turn: Some(Mark::Seat0),
            cells: self.board.to_wire(),
        };
        for place in self.connected_places() {
            self.send(t, place, &sync);
        }
    }

    /// Lets the seat on turn move: a bot moves at once (and the next seat
    /// after it, if that is a bot too), a player gets REQ_MOVE.
    fn next_move(&mut self, t: &mut dyn Table) {
        while !self.finished && t.state() == GameState::Playing {
            let Some(mark) = self.turn else {
                return;
            };
            let Some(seat) = t.seat(mark.seat()) else {
                return;
            };
            match seat.kind {
                SeatKind::Bot => {
                    let class = BotClass::from_name(seat.name.as_deref());
                    let Some(square) = class.choose(&self.board, mark) else {
                        t.log("bot found no free square on an unfinished board");
                        return;
                    };
                    self.apply_move(t, mark, square);
                }
                SeatKind::Player => {
                    self.send(t, Place::Seat(mark.seat()), &ServerMsg::ReqMove);
                    return;
                }
                _ => return,
            }
        }
    }

    /// Marks the square, tells the opponent and the spectators (never the
    /// mover, who learned from RSP_MOVE), then ends the game or passes the
    /// turn.
    fn apply_move(&mut self, t: &mut dyn Table, mark: Mark, square: usize) {
        if let Err(e) = self.board.place(square, mark) {
            t.log(&format!(
                "internal error: move to square {square} refused: {e:?}"
            ));
            return;
        }
        self.save(t, &Entry::Move(mark, square));
        self.record(t, replay::MOVE, &replay::move_data(mark, square));
        let msg = ServerMsg::Move {
            player: mark,
            square,
        };
        self.send(t, Place::Seat(mark.opponent().seat()), &msg);
        for place in self.spectator_places() {
            self.send(t, place, &msg);
        }
        match self.board.outcome() {
            Some(outcome) => self.finish(t, outcome),
            None => self.turn = Some(mark.opponent()),
        }
    }

    /// Reports the result to ggzd, then announces it (docs/tictactoe.md §2.8: the
    /// report goes out before MSG_GAMEOVER). The table stays, WAITING with
    /// the finished board, so that every client has the time to show it;
    /// it ends only when nobody is left to see it.
    fn finish(&mut self, t: &mut dyn Table, outcome: Outcome) {
        self.finished = true;
        // The log is complete before ggzd hears of the result, which ends
        // the table once everyone has left.
        self.record(t, replay::OVER, &replay::over_data(outcome));
        self.end_event_log(t);
        let results: Vec<SeatResult> = (0..t.num_seats())
            .map(|seat| {
                SeatResult::new(match (outcome, Mark::from_seat(seat)) {
                    (Outcome::Draw, _) => GameResult::Tie,
                    (Outcome::Win(w), Some(m)) if w == m => GameResult::Win,
                    (Outcome::Win(_), _) => GameResult::Loss,
                })
            })
            .collect();
        t.report(&results);
        let msg = ServerMsg::GameOver(outcome);
        for place in self.connected_places() {
            self.send(t, place, &msg);
        }
        let entry = match outcome {
            Outcome::Win(mark) => Entry::Winner(mark),
            Outcome::Draw => Entry::Tie,
        };
        self.save(t, &entry);
        let how = match outcome {
            Outcome::Win(mark) => format!("seat {} wins", mark.seat()),
            Outcome::Draw => "a draw".to_owned(),
        };
        t.log(&format!("game over: {how}, board {}", self.board));
        let next = if self.deserted(t) {
            GameState::Done
        } else {
            GameState::Waiting
        };
        t.set_state(next);
    }

    // ----- messages ---------------------------------------------------------

    fn players_msg(&self, t: &dyn Table) -> ServerMsg {
        let entry = |seat: usize| {
            let info = t.seat(seat);
            PlayerEntry {
                kind: info.as_ref().map_or(SeatKind::Open, |s| s.kind),
                name: info.and_then(|s| s.name).unwrap_or_default(),
            }
        };
        ServerMsg::Players([entry(0), entry(1)])
    }

    fn sync_msg(&self) -> ServerMsg {
        ServerMsg::Sync {
            turn: self.turn,
            cells: self.board.to_wire(),
        }
    }

    /// Sends one message to a live connection. A write that fails because
    /// the client stopped reading (timeout) is misbehaviour and costs the
    /// seat; any other failure means the client is gone and ggzd will say
    /// so.
    fn send(&mut self, t: &mut dyn Table, place: Place, msg: &ServerMsg) {
        if !self.connection(place).is_some_and(|c| c.live) {
            return;
        }
        match t.send(place, &msg.encode()) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.drop_client(t, place, "does not read what the server sends");
            }
            Err(e) => {
                let who = self.describe(t, place);
                t.log(&format!("write to {who} failed: {e}"));
                if let Some(conn) = self.connection_mut(place) {
                    conn.live = false;
                }
            }
        }
    }

    // ----- connections ------------------------------------------------------

    /// Closes a misbehaving client's connection and asks ggzd to take it
    /// off the table; the seat change that follows is handled like any
    /// leave.
    fn drop_client(&mut self, t: &mut dyn Table, place: Place, reason: &str) {
        let who = self.describe(t, place);
        let name = match place {
            Place::Seat(seat) => t.seat(seat).and_then(|s| s.name),
            Place::Spectator(_) => self.connection(place).and_then(|c| c.name.clone()),
        };
        if let Some(conn) = self.connection_mut(place) {
            conn.live = false;
        }
        t.log(&format!("dropping {who}: {reason}"));
        t.disconnect(place);
        if let Some(name) = name {
            t.boot(&name);
        }
    }

    fn connection(&self, place: Place) -> Option<&Connection> {
        match place {
            Place::Seat(i) => self.seats.get(i).and_then(Option::as_ref),
            Place::Spectator(i) => self.spectators.get(&i),
        }
    }

    fn connection_mut(&mut self, place: Place) -> Option<&mut Connection> {
        match place {
            Place::Seat(i) => self.seats.get_mut(i).and_then(Option::as_mut),
            Place::Spectator(i) => self.spectators.get_mut(&i),
        }
    }

    fn take_connection(&mut self, place: Place) -> Option<Connection> {
        match place {
            Place::Seat(i) => self.seats.get_mut(i).and_then(Option::take),
            Place::Spectator(i) => self.spectators.remove(&i),
        }
    }

    fn set_seat_connection(&mut self, seat: usize, conn: Option<Connection>) {
        if let Some(slot) = self.seats.get_mut(seat) {
            *slot = conn;
        }
    }

    /// Every live connection: seats in order, then spectators.
    fn connected_places(&self) -> Vec<Place> {
        let seats = (0..SEATS).map(Place::Seat);
        seats
            .chain(self.spectator_places())
            .filter(|p| self.connection(*p).is_some_and(|c| c.live))
            .collect()
    }

    fn spectator_places(&self) -> Vec<Place> {
        self.spectators
            .keys()
            .map(|&i| Place::Spectator(i))
            .collect()
    }

    /// "seat 1 (bob)" / "spectator 0 (eve)" for log lines.
    fn describe(&self, t: &dyn Table, place: Place) -> String {
        let name = match place {
            Place::Seat(seat) => t.seat(seat).and_then(|s| s.name),
            Place::Spectator(_) => self.connection(place).and_then(|c| c.name.clone()),
        }
        .unwrap_or_default();
        match place {
            Place::Seat(i) => format!("seat {i} ({name})"),
            Place::Spectator(i) => format!("spectator {i} ({name})"),
        }
    }

    fn save(&mut self, t: &mut dyn Table, entry: &Entry) {
        match self.savegame.record(entry) {
            Recorded::Quiet => {}
            // The event log is the savegame ggzd stores; the text file of
            // the original format is kept beside it, unreported
            // (docs/event-log.md §6).
            Recorded::Created(name) => t.log(&format!("text savegame {name} started")),
            Recorded::Failed(e) => t.log(&format!("savegame disabled: {e}")),
        }
    }
}

fn seat_mark(place: Place) -> Option<Mark> {
    match place {
        Place::Seat(i) => Mark::from_seat(i),
        Place::Spectator(_) => None,
    }
}

mod events;

#[cfg(test)]
mod tests;
