//! Runs the real `ggzd-tictactoe` binary as ggzd would: control socket on
//! fd 3, a launch message, players handed over as loopback TCP sockets,
//! and original-client DIO traffic on those sockets.

// A test crate: helpers outside #[test] fns may panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ggzdmod::{
    GameResult, GameState, LaunchLayout, LaunchSeat, ReadEnd, ReportRecord, SeatKind,
    ServerChannel, ToGame, ToServer, control_socketpair,
};
use tictactoe::board::{Board, Mark, Outcome, SQUARES};
use tictactoe::protocol::{ClientMsg, MoveStatus, PlayerEntry, ServerMsg, op};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The game server process and ggzd's end of its control socket.
struct Server {
    child: Child,
    ch: ServerChannel,
    inbox: VecDeque<ToServer>,
    logs: Vec<String>,
    eof: bool,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Never leave a game server behind, whatever the test did.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn scratch_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("ttt-it-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Server {
    /// Starts the binary and launches a table with these seats; returns
    /// once the game reported WAITING.
    fn launch(args: &[&str], layout: LaunchLayout, seats: Vec<LaunchSeat>) -> Server {
        Server::launch_telling(args, layout, true, seats)
    }

    /// Like [`Server::launch`]; `tell` says whether the game is told the
    /// layout through `GGZDMOD_LAUNCH_LAYOUT` (the original ggzd does not).
    fn launch_telling(
        args: &[&str],
        layout: LaunchLayout,
        tell: bool,
        seats: Vec<LaunchSeat>,
    ) -> Server {
        use std::os::unix::process::CommandExt;
        let (daemon_end, child_end) = control_socketpair().unwrap();
        let ch = ServerChannel::new(daemon_end, layout).unwrap();
        let dir = scratch_dir();
        let raw = child_end.as_raw_fd();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ggzd-tictactoe"));
        cmd.args(args)
            .current_dir(&dir)
            .env("GGZMODE", "true")
            .env("GGZSOCKET", "3")
            .env_remove("GGZDMOD_LAUNCH_LAYOUT");
        if tell {
            cmd.env("GGZDMOD_LAUNCH_LAYOUT", layout.as_str());
        }
        // SAFETY: only async-signal-safe libc calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if raw == 3 {
                    // dup2 onto itself would keep close-on-exec set.
                    if libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                } else if libc::dup2(raw, 3) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(child_end);
        let mut server = Server {
            child,
            ch,
            inbox: VecDeque::new(),
            logs: Vec::new(),
            eof: false,
            dir,
        };
        server.send(
            ToGame::Launch {
                game: "tictactoe".into(),
                savegame: None,
                seats,
                spectators: 0,
            },
            None,
        );
        server.expect_state(GameState::Waiting);
        server
    }

    fn send(&mut self, msg: ToGame, fd: Option<OwnedFd>) {
        self.ch.send(&msg, fd).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        while !self.ch.flush().unwrap() {
            assert!(Instant::now() < deadline, "game server does not read");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The next control message other than a log line.
    fn next(&mut self) -> ToServer {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            while let Some(msg) = self.inbox.pop_front() {
                match msg {
                    ToServer::Log(line) => self.logs.push(line),
                    other => return other,
                }
            }
            assert!(!self.eof, "game server closed the control socket");
            assert!(
                Instant::now() < deadline,
                "no control message; logs: {:?}",
                self.logs
            );
            let out = self.ch.read_ready();
            self.inbox.extend(out.messages);
            match out.end {
                ReadEnd::WouldBlock => {
                    if self.inbox.is_empty() {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                ReadEnd::Budget => {}
                ReadEnd::Eof => self.eof = true,
                ReadEnd::Error(e) => panic!("control channel: {e}"),
            }
        }
    }

    /// Expects a state request and acknowledges it, as ggzd does.
    fn expect_state(&mut self, state: GameState) {
        assert_eq!(self.next(), ToServer::State(state));
        if state == GameState::Done {
            // The game may already have exited; ggzd acknowledges anyway
            // and ignores the failure, then ends the table.
            if self.ch.send(&ToGame::StateAck, None).is_ok() {
                let _ = self.ch.flush();
            }
        } else {
            self.send(ToGame::StateAck, None);
        }
    }

    /// Seats a player and returns the client end of its connection.
    fn join(&mut self, seat: u32, name: &str) -> Client {
        let (client, server_end) = tcp_pair();
        self.send(
            ToGame::Seat {
                num: seat,
                kind: SeatKind::Player,
                name: name.into(),
            },
            Some(server_end),
        );
        client
    }

    /// A player leaves the table (ABANDONED while playing, as ggzd sends).
    fn leave(&mut self, seat: u32, kind: SeatKind, name: &str) {
        self.send(
            ToGame::Seat {
                num: seat,
                kind,
                name: name.into(),
            },
            None,
        );
    }

    fn spectate(&mut self, slot: u32, name: &str) -> Client {
        let (client, server_end) = tcp_pair();
        self.send(
            ToGame::SpectatorSeat {
                num: slot,
                name: name.into(),
            },
            Some(server_end),
        );
        client
    }

    /// Waits for the process to exit by itself and checks it succeeded.
    fn exits_cleanly(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}; logs: {:?}", self.logs);
                return;
            }
            assert!(Instant::now() < deadline, "game server did not exit");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A connected loopback TCP pair: the client end, and the server end as
/// ggzd would pass it. Only 127.0.0.1 is ever used.
fn tcp_pair() -> (Client, OwnedFd) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.set_read_timeout(Some(TIMEOUT)).unwrap();
    let (server, _) = listener.accept().unwrap();
    (Client { stream: client }, server.into())
}

/// An original TicTacToe client, reduced to its wire behaviour.
struct Client {
    stream: TcpStream,
}

impl Client {
    fn send(&mut self, msg: ClientMsg) {
        self.stream.write_all(&msg.encode()).unwrap();
    }

    /// One whole DIO packet, length field included.
    fn packet(&mut self) -> Vec<u8> {
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head).unwrap();
        let len = usize::from(u16::from_be_bytes(head));
        assert!(len >= 6, "packet length {len}");
        let mut packet = vec![0u8; len];
        packet[..2].copy_from_slice(&head);
        self.stream.read_exact(&mut packet[2..]).unwrap();
        packet
    }

    fn expect(&mut self, msg: ServerMsg) {
        assert_eq!(self.packet(), msg.encode(), "expected {msg:?}");
    }

    fn expect_all(&mut self, msgs: &[ServerMsg]) {
        for msg in msgs {
            self.expect(msg.clone());
        }
    }

    /// The server closed the connection (after anything already sent).
    fn expect_closed(&mut self) {
        let mut buf = [0u8; 64];
        match self.stream.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            other => panic!("connection still open: {other:?}"),
        }
    }

    /// Nothing arrives within a short while.
    fn expect_silence(&mut self) {
        self.stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 1];
        match self.stream.read(&mut buf) {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            other => panic!("unexpected data: {other:?}"),
        }
        self.stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    }
}

fn entry(kind: SeatKind, name: &str) -> PlayerEntry {
    PlayerEntry {
        kind,
        name: name.into(),
    }
}

fn players(a: PlayerEntry, b: PlayerEntry) -> ServerMsg {
    ServerMsg::Players([a, b])
}

fn mv(player: Mark, square: usize) -> ServerMsg {
    ServerMsg::Move { player, square }
}

fn rsp(status: MoveStatus) -> ServerMsg {
    ServerMsg::RspMove(status)
}

fn record(name: &str, kind: SeatKind, team: i32, result: GameResult) -> ReportRecord {
    ReportRecord {
        name: name.into(),
        kind,
        team,
        result,
        score: 0,
    }
}

/// Under the original ggzd nobody says which launch layout comes: both
/// variants must take either (the classic one used to read a trunk launch
/// as legacy and fail with "bad seat type 33554432").
#[test]
fn either_launch_layout_without_being_told() {
    for args in [&[][..], &["--variant", "dev"][..]] {
        for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
            let seats = vec![LaunchSeat::Open, LaunchSeat::Bot(String::new())];
            // Returns once the game reported WAITING, so the launch was
            // understood.
            let server = Server::launch_telling(args, layout, false, seats);
            assert!(
                server
                    .logs
                    .iter()
                    .any(|l| l.contains("telling the launch layout")),
                "{args:?} {layout}: {:?}",
                server.logs
            );
        }
    }
}

/// Launch with two open seats and seat alice (0) and bob (1); returns when
/// alice has been asked for her first move.
fn alice_and_bob() -> (Server, Client, Client) {
    alice_and_bob_with(&[])
}

/// [`alice_and_bob`] with these command-line arguments.
fn alice_and_bob_with(args: &[&str]) -> (Server, Client, Client) {
    let mut server = Server::launch(args, LaunchLayout::Legacy, vec![LaunchSeat::Open; 2]);
    let mut alice = server.join(0, "alice");
    alice.expect_all(&[
        players(entry(SeatKind::Player, "alice"), entry(SeatKind::Open, "")),
        ServerMsg::Seat(Mark::Seat0),
    ]);
    let mut bob = server.join(1, "bob");
    let both = players(
        entry(SeatKind::Player, "alice"),
        entry(SeatKind::Player, "bob"),
    );
    alice.expect(both.clone());
    bob.expect_all(&[both, ServerMsg::Seat(Mark::Seat1)]);
    server.expect_state(GameState::Playing);
    // The game's event log is the savegame ggzd is told of
    // (docs/event-log.md §6); the text savegame is not reported.
    assert!(matches!(server.next(), ToServer::SavegameReport(name) if name.starts_with("events.")));
    alice.expect(ServerMsg::ReqMove);
    (server, alice, bob)
}

/// Plays one move that the server must accept, checking what both sides
/// get. `next` is false for the decisive move.
fn play(mover: &mut Client, other: &mut Client, mark: Mark, square: usize, next: bool) {
    mover.send(ClientMsg::Move(square as i32));
    mover.expect(rsp(MoveStatus::Ok));
    other.expect(mv(mark, square));
    if next {
        other.expect(ServerMsg::ReqMove);
    }
}

#[test]
fn two_players_play_to_a_win() {
    // The text savegame only when asked for (docs/tictactoe.md §2.9).
    let (mut server, mut alice, mut bob) = alice_and_bob_with(&["--text-savegame"]);
    // docs/tictactoe.md §5: alice takes the centre.
    play(&mut alice, &mut bob, Mark::Seat0, 4, true);
    // alice tries to move again: wrong turn, no follow-up.
    alice.send(ClientMsg::Move(0));
    alice.expect(rsp(MoveStatus::ErrTurn));
    // bob picks the centre too: taken, and asked again.
    bob.send(ClientMsg::Move(4));
    bob.expect_all(&[rsp(MoveStatus::ErrFull), ServerMsg::ReqMove]);
    // ... and a square off the board.
    bob.send(ClientMsg::Move(9));
    bob.expect_all(&[rsp(MoveStatus::ErrBound), ServerMsg::ReqMove]);
    play(&mut bob, &mut alice, Mark::Seat1, 0, true);
    // The sync of §7 step 5, byte for byte.
    alice.send(ClientMsg::ReqSync);
    assert_eq!(
        alice.packet(),
        [
            0x00, 0x10, 0, 0, 0, 6, 0x00, 0x01, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff
        ]
    );
    play(&mut alice, &mut bob, Mark::Seat0, 1, true);
    play(&mut bob, &mut alice, Mark::Seat1, 3, true);
    play(&mut alice, &mut bob, Mark::Seat0, 7, false);
    // The result reaches ggzd before the clients hear of it, then DONE.
    assert_eq!(
        server.next(),
        ToServer::Report(vec![
            record("alice", SeatKind::Player, 0, GameResult::Win),
            record("bob", SeatKind::Player, 1, GameResult::Loss),
        ])
    );
    let over = ServerMsg::GameOver(Outcome::Win(Mark::Seat0));
    alice.expect(over.clone());
    bob.expect(over);
    // The table stays with the finished board (WAITING); a late move is
    // refused with -1 and nothing else.
    server.expect_state(GameState::Waiting);
    bob.send(ClientMsg::Move(8));
    bob.expect(rsp(MoveStatus::ErrState));
    bob.expect_silence();
    // It ends once both players have left.
    server.leave(1, SeatKind::Open, "");
    alice.expect(players(
        entry(SeatKind::Player, "alice"),
        entry(SeatKind::Open, ""),
    ));
    server.leave(0, SeatKind::Open, "");
    server.expect_state(GameState::Done);
    server.exits_cleanly();
    alice.expect_closed();

    // The savegame in the working directory tells the same story.
    let save = std::fs::read_dir(&server.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("savegame.")
        })
        .expect("savegame written");
    let text = std::fs::read_to_string(save).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        &lines[..3],
        [
            "player1 join alice",
            "player2 join bob",
            "players options 3 3"
        ]
    );
    assert!(lines[3].starts_with("players start "));
    assert_eq!(lines[4], "player1 move 1 1");
    assert!(lines[9].starts_with("player1 winner "));
}

#[test]
fn two_players_play_to_a_draw() {
    let (mut server, mut alice, mut bob) = alice_and_bob();
    // X O X / X O O / O X X
    let seq = [0, 1, 2, 4, 3, 5, 7, 6, 8];
    for (i, &sq) in seq.iter().enumerate() {
        let last = i == seq.len() - 1;
        if i % 2 == 0 {
            play(&mut alice, &mut bob, Mark::Seat0, sq, !last);
        } else {
            play(&mut bob, &mut alice, Mark::Seat1, sq, !last);
        }
    }
    assert_eq!(
        server.next(),
        ToServer::Report(vec![
            record("alice", SeatKind::Player, 0, GameResult::Tie),
            record("bob", SeatKind::Player, 1, GameResult::Tie),
        ])
    );
    alice.expect(ServerMsg::GameOver(Outcome::Draw));
    bob.expect(ServerMsg::GameOver(Outcome::Draw));
    server.expect_state(GameState::Waiting);
    server.leave(0, SeatKind::Open, "");
    server.leave(1, SeatKind::Open, "");
    server.expect_state(GameState::Done);
    server.exits_cleanly();
    // Not asked for: no text savegame, only the event log.
    let names: Vec<String> = std::fs::read_dir(&server.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("savegame.")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("events.")), "{names:?}");
}

#[test]
fn moves_before_the_table_is_full_are_refused() {
    let mut server = Server::launch(
        &["--no-savegame"],
        LaunchLayout::Legacy,
        vec![LaunchSeat::Open; 2],
    );
    let mut alice = server.join(0, "alice");
    alice.expect_all(&[
        players(entry(SeatKind::Player, "alice"), entry(SeatKind::Open, "")),
        ServerMsg::Seat(Mark::Seat0),
    ]);
    alice.send(ClientMsg::Move(4));
    alice.expect(rsp(MoveStatus::ErrState));
    alice.expect_silence();
    // The only player leaves before the start: nobody is left, DONE.
    server.leave(0, SeatKind::Open, "");
    server.expect_state(GameState::Done);
    server.exits_cleanly();
}

/// Plays the first free square whenever asked, until the game ends, and
/// returns the announced outcome.
fn play_against_bot(me: &mut Client, my_mark: Mark, board: &mut Board) -> Outcome {
    loop {
        let packet = me.packet();
        match packet[5] as i32 {
            op::REQ_MOVE => {
                let sq = board
                    .free_squares()
                    .next()
                    .expect("asked to move on a full board");
                me.send(ClientMsg::Move(sq as i32));
                me.expect(rsp(MoveStatus::Ok));
                board.place(sq, my_mark).unwrap();
            }
            op::MSG_MOVE => {
                assert_eq!(packet[9] as usize, my_mark.opponent().seat());
                let sq = packet[13] as usize;
                assert!(sq < SQUARES);
                board.place(sq, my_mark.opponent()).unwrap();
            }
            op::MSG_GAMEOVER => {
                return match packet[6] {
                    0 => Outcome::Win(Mark::Seat0),
                    1 => Outcome::Win(Mark::Seat1),
                    2 => Outcome::Draw,
                    other => panic!("winner byte {other}"),
                };
            }
            other => panic!("unexpected opcode {other}: {packet:?}"),
        }
    }
}

#[test]
fn a_player_against_the_hard_bot() {
    let mut server = Server::launch(
        &["--no-savegame"],
        LaunchLayout::Legacy,
        vec![LaunchSeat::Open, LaunchSeat::Bot("Tarantula".into())],
    );
    let mut alice = server.join(0, "alice");
    alice.expect_all(&[
        players(
            entry(SeatKind::Player, "alice"),
            entry(SeatKind::Bot, "Tarantula"),
        ),
        ServerMsg::Seat(Mark::Seat0),
    ]);
    server.expect_state(GameState::Playing);
    let mut board = Board::new();
    let outcome = play_against_bot(&mut alice, Mark::Seat0, &mut board);
    // Our naive player fills squares in order; the hard bot punishes that.
    assert_eq!(outcome, Outcome::Win(Mark::Seat1), "board {board}");
    assert_eq!(board.outcome(), Some(outcome));
    assert_eq!(
        server.next(),
        ToServer::Report(vec![
            record("alice", SeatKind::Player, 0, GameResult::Loss),
            record("Tarantula", SeatKind::Bot, 1, GameResult::Win),
        ])
    );
    server.expect_state(GameState::Waiting);
    // The human leaving the finished table ends it.
    server.leave(0, SeatKind::Open, "");
    server.expect_state(GameState::Done);
    server.exits_cleanly();
}

#[test]
fn an_unnamed_bot_in_seat_0_opens_the_game() {
    let mut server = Server::launch(
        &["--no-savegame"],
        LaunchLayout::Legacy,
        vec![LaunchSeat::Bot(String::new()), LaunchSeat::Open],
    );
    let mut bob = server.join(1, "bob");
    bob.expect_all(&[
        players(entry(SeatKind::Bot, "AI"), entry(SeatKind::Player, "bob")),
        ServerMsg::Seat(Mark::Seat1),
        mv(Mark::Seat0, 4),
        ServerMsg::ReqMove,
    ]);
    server.expect_state(GameState::Playing);
}

#[test]
fn a_player_sending_garbage_loses_the_seat_and_the_game_goes_on() {
    let (mut server, mut alice, mut bob) = alice_and_bob();
    play(&mut alice, &mut bob, Mark::Seat0, 4, true);
    // An opcode version 5 does not have.
    bob.stream.write_all(&[0, 6, 0, 0, 0, 42]).unwrap();
    assert_eq!(server.next(), ToServer::Boot("bob".into()));
    bob.expect_closed();
    // ggzd boots him: the seat becomes open.
    server.leave(1, SeatKind::Open, "");
    alice.expect(players(
        entry(SeatKind::Player, "alice"),
        entry(SeatKind::Open, ""),
    ));
    server.expect_state(GameState::Waiting);
    // carol takes the seat and the game continues on the same board.
    let mut carol = server.join(1, "carol");
    let both = players(
        entry(SeatKind::Player, "alice"),
        entry(SeatKind::Player, "carol"),
    );
    alice.expect(both.clone());
    let mut cells = [-1; SQUARES];
    cells[4] = 0;
    carol.expect_all(&[
        both,
        ServerMsg::Seat(Mark::Seat1),
        ServerMsg::Sync {
            turn: Some(Mark::Seat1),
            cells,
        },
    ]);
    server.expect_state(GameState::Playing);
    carol.expect(ServerMsg::ReqMove);
    play(&mut carol, &mut alice, Mark::Seat1, 0, true);
}

#[test]
fn an_oversized_packet_costs_the_seat() {
    let (mut server, _alice, mut bob) = alice_and_bob();
    let mut huge = vec![0xff, 0xff];
    huge.extend_from_slice(&[0; 100]);
    bob.stream.write_all(&huge).unwrap();
    assert_eq!(server.next(), ToServer::Boot("bob".into()));
    bob.expect_closed();
}

#[test]
fn leave_rejoin_and_a_spectator() {
    let (mut server, mut alice, mut bob) = alice_and_bob();
    let mut eve = server.spectate(0, "eve");
    let both = players(
        entry(SeatKind::Player, "alice"),
        entry(SeatKind::Player, "bob"),
    );
    eve.expect_all(&[
        both.clone(),
        ServerMsg::Sync {
            turn: Some(Mark::Seat0),
            cells: [-1; SQUARES],
        },
    ]);
    play(&mut alice, &mut bob, Mark::Seat0, 4, true);
    eve.expect(mv(Mark::Seat0, 4));
    // A spectator cannot move, but may ask for the board.
    eve.send(ClientMsg::Move(0));
    eve.send(ClientMsg::ReqSync);
    let mut cells = [-1; SQUARES];
    cells[4] = 0;
    let sync = ServerMsg::Sync {
        turn: Some(Mark::Seat1),
        cells,
    };
    eve.expect(sync.clone());

    // bob leaves mid-game: his seat is abandoned and the game pauses.
    server.leave(1, SeatKind::Abandoned, "bob");
    let paused = players(
        entry(SeatKind::Player, "alice"),
        entry(SeatKind::Abandoned, "bob"),
    );
    alice.expect(paused.clone());
    eve.expect(paused);
    server.expect_state(GameState::Waiting);
    bob.expect_closed();
    alice.send(ClientMsg::Move(0));
    alice.expect(rsp(MoveStatus::ErrState));

    // He comes back on a new connection and is asked for his move.
    let mut bob = server.join(1, "bob");
    alice.expect(both.clone());
    eve.expect(both.clone());
    bob.expect_all(&[both, ServerMsg::Seat(Mark::Seat1), sync]);
    server.expect_state(GameState::Playing);
    bob.expect(ServerMsg::ReqMove);
    play(&mut bob, &mut alice, Mark::Seat1, 0, true);
    eve.expect(mv(Mark::Seat1, 0));

    // ggzd goes away: the game server ends by itself.
    drop(std::mem::replace(
        &mut server.ch,
        ServerChannel::new(control_socketpair().unwrap().0, LaunchLayout::Legacy).unwrap(),
    ));
    server.exits_cleanly();
}

#[test]
fn dev_variant_with_the_trunk_launch() {
    let mut server = Server::launch(
        &["--variant", "dev", "--no-savegame"],
        LaunchLayout::Trunk,
        vec![LaunchSeat::Open; 2],
    );
    let mut alice = server.join(0, "alice");
    let mut bob = server.join(1, "bob");
    server.expect_state(GameState::Playing);
    // No MSG_PLAYERS, no MSG_SEAT: the first thing alice hears is her turn.
    alice.expect(ServerMsg::ReqMove);
    play(&mut alice, &mut bob, Mark::Seat0, 4, true);
    let mut eve = server.spectate(0, "eve");
    let mut cells = [-1; SQUARES];
    cells[4] = 0;
    eve.expect(ServerMsg::Sync {
        turn: Some(Mark::Seat1),
        cells,
    });
}

#[test]
fn refuses_to_run_outside_ggzd() {
    let out = Command::new(env!("CARGO_BIN_EXE_ggzd-tictactoe"))
        .env_remove("GGZMODE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not started by ggzd"));
    let bad = Command::new(env!("CARGO_BIN_EXE_ggzd-tictactoe"))
        .args(["--variant", "chess"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
