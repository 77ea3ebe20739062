//! The client side of TicTacToe (docs/tictactoe.md §2): what the board looks like,
//! whose turn it is, and the packets a player sends. Sans-IO: bytes from
//! the game channel go in, events come out.

use tictactoe::board::{Mark, Outcome, SQUARES};
use tictactoe::dio::PacketDecoder;
use tictactoe::protocol::{ClientMsg, MoveStatus, PlayerEntry, ServerMsg};

use ggzdmod::SeatKind;

/// Largest packet accepted from a game server; every TicTacToe message is
/// under 60 bytes.
const MAX_PACKET: usize = 1024;

/// Protocol engine name of TicTacToe in game descriptions.
pub const ENGINE: &str = "TicTacToe";

/// Whether this client can play a game type's protocol.
pub fn speaks(engine: &str, version: &str) -> bool {
    engine.eq_ignore_ascii_case(ENGINE) && matches!(version, "5" | "dio/5+dev")
}

/// What a packet from the game server meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GameEvent {
    /// Who sits where (MSG_PLAYERS).
    Players,
    /// Your mark (MSG_SEAT).
    YouAre(Mark),
    /// The whole board arrived (SND_SYNC).
    Synced,
    /// Your turn (REQ_MOVE).
    YourTurn,
    /// A mark was placed (yours after RSP_MOVE 0, others by MSG_MOVE).
    Moved {
        /// Whose.
        by: Mark,
        /// Square 0..8.
        square: usize,
    },
    /// Your move was refused.
    Refused(MoveStatus),
    /// The game ended.
    Over(Outcome),
    /// After a game over, the server cleared the board: the next game at
    /// the same table starts (docs/tictactoe-rematch.md).
    NewGame,
}

/// A move the view refuses before it reaches the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveError {
    /// Spectators do not move.
    Spectating,
    /// Not your turn (or a move is on its way).
    NotYourTurn,
    /// The game is over.
    Over,
    /// That square is taken.
    Taken(usize),
    /// No free square for `auto`.
    NoSquare,
}

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::Spectating => f.write_str("spectators do not move"),
            MoveError::NotYourTurn => f.write_str("it is not your turn"),
            MoveError::Over => f.write_str("the game is over"),
            MoveError::Taken(q) => write!(f, "square {} is taken", q + 1),
            MoveError::NoSquare => f.write_str("no free square"),
        }
    }
}

/// One TicTacToe table as a player or spectator sees it.
#[derive(Debug, Clone)]
pub struct TicTacToeView {
    decoder: PacketDecoder,
    spectator: bool,
    /// Your mark, once known (MSG_SEAT, or from the table's seats in the
    /// trunk protocol that has no MSG_SEAT).
    pub me: Option<Mark>,
    /// The seats as MSG_PLAYERS last listed them.
    pub players: Option<[PlayerEntry; 2]>,
    /// The cells.
    pub cells: [Option<Mark>; SQUARES],
    /// The server asked for your move and none is on its way.
    pub my_turn: bool,
    /// The square sent, until RSP_MOVE answers.
    pending: Option<usize>,
    /// How the game ended.
    pub outcome: Option<Outcome>,
}

impl TicTacToeView {
    /// A fresh table; `spectator` for watching.
    pub fn new(spectator: bool) -> TicTacToeView {
        TicTacToeView {
            decoder: PacketDecoder::new(MAX_PACKET),
            spectator,
            me: None,
            players: None,
            cells: [None; SQUARES],
            my_turn: false,
            pending: None,
            outcome: None,
        }
    }

    /// Whether you are watching rather than playing.
    pub fn is_spectator(&self) -> bool {
        self.spectator
    }

    /// The name in a seat, as MSG_PLAYERS gave it.
    pub fn name_of(&self, mark: Mark) -> Option<&str> {
        let entry = self.players.as_ref()?.get(mark.seat())?;
        match entry.kind {
            SeatKind::Open | SeatKind::None => None,
            SeatKind::Bot if entry.name.is_empty() => Some("bot"),
            _ if entry.name.is_empty() => None,
            _ => Some(entry.name.as_str()),
        }
    }

    /// Whether a move sent is still unanswered.
    pub fn move_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes bytes from the game channel.
    pub fn push(&mut self, bytes: &[u8]) {
        self.decoder.push(bytes);
    }

    /// Applies the next complete packet, if one is buffered (packets that
    /// change nothing, like a spectator's REQ_MOVE, are skipped). An error
    /// means the server sent something that is not TicTacToe; the channel
    /// is of no further use.
    pub fn next_event(&mut self) -> Result<Option<GameEvent>, String> {
        while let Some(payload) = self
            .decoder
            .next_packet()
            .map_err(|e| format!("bad packet from the game server: {e}"))?
        {
            let msg = ServerMsg::parse(&payload)
                .map_err(|e| format!("bad message from the game server: {e}"))?;
            if let Some(event) = self.apply(msg) {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    /// [`push`](Self::push) and every event that follows, for tests.
    #[cfg(test)]
    fn receive(&mut self, bytes: &[u8]) -> Result<Vec<GameEvent>, String> {
        self.push(bytes);
        let mut events = Vec::new();
        while let Some(e) = self.next_event()? {
            events.push(e);
        }
        Ok(events)
    }

    fn apply(&mut self, msg: ServerMsg) -> Option<GameEvent> {
        match msg {
            ServerMsg::Seat(mark) => {
                self.me = Some(mark);
                Some(GameEvent::YouAre(mark))
            }
            ServerMsg::Players(players) => {
                self.players = Some(players);
                Some(GameEvent::Players)
            }
            ServerMsg::Move { player, square } => {
                let cell = self.cells.get_mut(square)?;
                *cell = Some(player);
                Some(GameEvent::Moved { by: player, square })
            }
            ServerMsg::GameOver(outcome) => {
                self.outcome = Some(outcome);
                self.my_turn = false;
                Some(GameEvent::Over(outcome))
            }
            ServerMsg::ReqMove => {
                if self.spectator {
                    return None;
                }
                self.my_turn = true;
                Some(GameEvent::YourTurn)
            }
            ServerMsg::RspMove(status) => {
                let square = self.pending.take();
                match (status, square, self.me) {
                    (MoveStatus::Ok, Some(square), Some(me)) => {
                        if let Some(cell) = self.cells.get_mut(square) {
                            *cell = Some(me);
                        }
                        Some(GameEvent::Moved { by: me, square })
                    }
                    (MoveStatus::Ok, _, _) => None,
                    (refused, _, _) => Some(GameEvent::Refused(refused)),
                }
            }
            ServerMsg::Sync { turn: _, cells } => {
                for (cell, wire) in self.cells.iter_mut().zip(cells) {
                    *cell = Mark::from_seat(usize::try_from(wire).unwrap_or(usize::MAX));
                }
                // The only way the server says "another game" is a cleared
                // board after the game over.
                if self.outcome.is_some() && self.cells.iter().all(Option::is_none) {
                    self.outcome = None;
                    self.my_turn = false;
                    self.pending = None;
                    return Some(GameEvent::NewGame);
                }
                Some(GameEvent::Synced)
            }
        }
    }

    /// The lowest free square.
    pub fn first_free(&self) -> Option<usize> {
        self.cells.iter().position(Option::is_none)
    }

    /// The SND_MOVE packet for `square`, if the move may be made now.
    pub fn play(&mut self, square: usize) -> Result<Vec<u8>, MoveError> {
        if self.spectator {
            return Err(MoveError::Spectating);
        }
        if self.outcome.is_some() {
            return Err(MoveError::Over);
        }
        if !self.my_turn || self.pending.is_some() {
            return Err(MoveError::NotYourTurn);
        }
        match self.cells.get(square) {
            Some(None) => {}
            _ => return Err(MoveError::Taken(square)),
        }
        self.my_turn = false;
        self.pending = Some(square);
        let wire = i32::try_from(square).unwrap_or(-1);
        Ok(ClientMsg::Move(wire).encode())
    }
}

/// The mark's symbol: seat 0 is X, seat 1 is O.
pub fn symbol(mark: Mark) -> char {
    match mark {
        Mark::Seat0 => 'X',
        Mark::Seat1 => 'O',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(msgs: &[ServerMsg]) -> Vec<u8> {
        msgs.iter().flat_map(ServerMsg::encode).collect()
    }

    fn named(kind: SeatKind, name: &str) -> PlayerEntry {
        PlayerEntry {
            kind,
            name: name.into(),
        }
    }

    #[test]
    fn a_game_against_a_bot() {
        let mut view = TicTacToeView::new(false);
        let start = packets(&[
            ServerMsg::Players([
                named(SeatKind::Player, "alice"),
                named(SeatKind::Bot, "Tarantula"),
            ]),
            ServerMsg::Seat(Mark::Seat0),
            ServerMsg::ReqMove,
        ]);
        // Split across reads like TCP may.
        let (a, b) = start.split_at(7);
        let mut events = view.receive(a).unwrap();
        events.extend(view.receive(b).unwrap());
        assert_eq!(
            events,
            [
                GameEvent::Players,
                GameEvent::YouAre(Mark::Seat0),
                GameEvent::YourTurn
            ]
        );
        assert_eq!(view.name_of(Mark::Seat1), Some("Tarantula"));
        assert_eq!(view.play(4).unwrap(), ClientMsg::Move(4).encode());
        assert_eq!(view.play(0), Err(MoveError::NotYourTurn));
        let events = view
            .receive(&packets(&[
                ServerMsg::RspMove(MoveStatus::Ok),
                ServerMsg::Move {
                    player: Mark::Seat1,
                    square: 0,
                },
                ServerMsg::ReqMove,
            ]))
            .unwrap();
        assert_eq!(
            events,
            [
                GameEvent::Moved {
                    by: Mark::Seat0,
                    square: 4
                },
                GameEvent::Moved {
                    by: Mark::Seat1,
                    square: 0
                },
                GameEvent::YourTurn
            ]
        );
        assert_eq!(view.play(0), Err(MoveError::Taken(0)));
        assert_eq!(view.first_free(), Some(1));
        view.play(1).unwrap();
        let events = view
            .receive(&packets(&[
                ServerMsg::RspMove(MoveStatus::ErrFull),
                ServerMsg::ReqMove,
            ]))
            .unwrap();
        assert_eq!(
            events,
            [GameEvent::Refused(MoveStatus::ErrFull), GameEvent::YourTurn]
        );
        let events = view
            .receive(&packets(&[ServerMsg::GameOver(Outcome::Draw)]))
            .unwrap();
        assert_eq!(events, [GameEvent::Over(Outcome::Draw)]);
        assert_eq!(view.play(2), Err(MoveError::Over));
        // A sync of the finished board changes nothing; a cleared board is
        // the next game.
        let finished = view.cells.map(|c| c.map_or(-1, Mark::to_wire));
        let sync = |cells| ServerMsg::Sync {
            turn: Some(Mark::Seat0),
            cells,
        };
        let events = view.receive(&packets(&[sync(finished)])).unwrap();
        assert_eq!(events, [GameEvent::Synced]);
        assert!(view.outcome.is_some());
        let events = view
            .receive(&packets(&[sync([-1; SQUARES]), ServerMsg::ReqMove]))
            .unwrap();
        assert_eq!(events, [GameEvent::NewGame, GameEvent::YourTurn]);
        assert_eq!(view.outcome, None);
        assert_eq!(view.first_free(), Some(0));
        assert!(view.play(0).is_ok());
    }

    #[test]
    fn spectators_sync_and_never_move() {
        let mut view = TicTacToeView::new(true);
        let events = view
            .receive(&packets(&[
                ServerMsg::Players([named(SeatKind::Player, "a"), named(SeatKind::Open, "")]),
                ServerMsg::Sync {
                    turn: Some(Mark::Seat1),
                    cells: [0, -1, -1, -1, 1, -1, -1, -1, -1],
                },
                ServerMsg::ReqMove,
            ]))
            .unwrap();
        assert_eq!(events, [GameEvent::Players, GameEvent::Synced]);
        assert_eq!(view.cells[0], Some(Mark::Seat0));
        assert_eq!(view.cells[4], Some(Mark::Seat1));
        assert_eq!(view.name_of(Mark::Seat1), None);
        assert_eq!(view.play(1), Err(MoveError::Spectating));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for junk in [
            &b"\x00\x06\x00\x00\x00\x63"[..],
            b"\x00\x01",
            b"\xff\xff",
            b"\x00\x0a\x00\x00\x00\x02\x00\x00\x00\x00",
        ] {
            let mut view = TicTacToeView::new(false);
            assert!(view.receive(junk).is_err(), "{junk:?}");
        }
        assert!(speaks("TicTacToe", "5") && speaks("tictactoe", "dio/5+dev"));
        assert!(!speaks("TicTacToe", "4") && !speaks("Reversi", "5"));
    }
}
