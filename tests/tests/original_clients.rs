//! The wire as the original GGZ clients walk it, replayed with our typed
//! client. Each test follows a sequence that was watched live between the
//! original text client (with its TicTacToe console module) or the
//! original chat bot and this ggzd, and asserts what those clients rely on.
//!
//! The text client asks for the room list right after login, asks for the
//! game types only when told to, opens its game channel before it launches
//! (its game module is started first and the channel handed to it), and
//! launches "open seat for me, bot in seat 1". Its TicTacToe module never
//! asks for a sync: it draws the board only from the move messages, so the
//! last move must reach it before the game over, and the channel must stay
//! open after the game over until the player leaves.

use std::io::{Read, Write};
use std::net::TcpStream;

use ggzd_e2e::*;

/// One TicTacToe message from the game server (docs/tictactoe.md).
#[derive(Debug, PartialEq)]
enum Ttt {
    Move { seat: i32, square: i32 },
    GameOver(i8),
    YourTurn,
    MoveAnswer(i8),
    Sync(Vec<i8>),
    Other(i32),
}

/// The game channel, read the way a DIO client reads it: a big-endian
/// 16-bit packet length that counts itself, then the payload.
struct Channel(TcpStream);

impl Channel {
    fn packet(&mut self) -> Vec<u8> {
        let mut len = [0u8; 2];
        self.0.read_exact(&mut len).expect("packet length");
        let len = usize::from(u16::from_be_bytes(len));
        assert!(len >= 6, "packet length {len}");
        let mut payload = vec![0u8; len - 2];
        self.0.read_exact(&mut payload).expect("packet payload");
        payload
    }

    fn next(&mut self) -> Ttt {
        let p = self.packet();
        let word = |at: usize| i32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
        match word(0) {
            2 => Ttt::Move {
                seat: word(4),
                square: word(8),
            },
            3 => Ttt::GameOver(p[4] as i8),
            4 => Ttt::YourTurn,
            5 => Ttt::MoveAnswer(p[4] as i8),
            6 => Ttt::Sync(p[5..14].iter().map(|b| *b as i8).collect()),
            other => Ttt::Other(other),
        }
    }

    fn send(&mut self, payload: &[u8]) {
        let len = u16::try_from(payload.len() + 2).expect("small packet");
        let mut packet = len.to_be_bytes().to_vec();
        packet.extend_from_slice(payload);
        self.0.write_all(&packet).expect("send on channel");
    }

    fn play(&mut self, square: i32) {
        let mut payload = 0i32.to_be_bytes().to_vec();
        payload.extend_from_slice(&square.to_be_bytes());
        self.send(&payload);
    }

    fn ask_sync(&mut self) {
        self.send(&1i32.to_be_bytes());
    }
}

/// Three in a row for `mark` on a board of cells (-1 empty, 0, 1).
fn has_line(board: &[i8], mark: i8) -> bool {
    const LINES: [[usize; 3]; 8] = [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
        [0, 3, 6],
        [1, 4, 7],
        [2, 5, 8],
        [0, 4, 8],
        [2, 4, 6],
    ];
    LINES.iter().any(|l| l.iter().all(|&i| board[i] == mark))
}

/// Logs in a guest the way the text client does and sits it in room 1
/// with its game channel ready.
fn text_client(server: &TestServer, name: &str) -> (Client, Channel) {
    let mut client = server.guest(name);
    client.send("<LIST TYPE='room' FULL='true'/>").unwrap();
    client.expect_result("list", TIMEOUT).unwrap();
    client.send("<LIST TYPE='game' FULL='true'/>").unwrap();
    client.expect_result("list", TIMEOUT).unwrap();
    enter(&mut client, 1);
    let channel = Channel(open_game_channel(server, name));
    (client, channel)
}

/// Plays the lowest free square on every turn until the game is over and
/// returns the board as drawn from the move messages alone, and the winner.
fn play_against_the_bot(channel: &mut Channel) -> (Vec<i8>, i8) {
    let mut board = vec![-1i8; 9];
    let mut mine = None;
    loop {
        match channel.next() {
            Ttt::YourTurn => {
                let square = board.iter().position(|c| *c == -1).expect("a free square");
                mine = Some(square);
                channel.play(square as i32);
            }
            Ttt::MoveAnswer(status) => {
                assert_eq!(status, 0, "a free square is a valid move");
                let square = mine.take().expect("an answer follows a move");
                board[square] = 0;
            }
            Ttt::Move { seat, square } => {
                assert_eq!(seat, 1, "only the bot's moves are announced to us");
                board[square as usize] = 1;
            }
            Ttt::GameOver(winner) => return (board, winner),
            Ttt::Sync(_) | Ttt::Other(_) => {}
        }
    }
}

#[test]
fn the_text_client_sees_the_final_board_in_every_game_against_the_bot() {
    let server = TestServer::start();
    let (mut client, first) = text_client(&server, "txt");
    let mut first = Some(first);
    for game in 0..4 {
        // A fresh channel for every launch, as the client opens one each time.
        let mut channel = first
            .take()
            .unwrap_or_else(|| Channel(open_game_channel(&server, "txt")));
        client
            .send(
                "<LAUNCH><TABLE GAME='0' SEATS='2'><DESC>Fun with ggz-txt</DESC>\
                 <SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='bot'/></TABLE></LAUNCH>",
            )
            .unwrap();
        assert_eq!(result_code(&mut client, "launch"), "ok", "game {game}");
        let (board, winner) = play_against_the_bot(&mut channel);
        // The board drawn from the moves must already show the result.
        match winner {
            0 => assert!(has_line(&board, 0), "game {game}: {board:?}"),
            1 => assert!(has_line(&board, 1), "game {game}: {board:?}"),
            _ => assert!(!board.contains(&-1), "game {game}: draw on {board:?}"),
        }
        // The table is still there after the game over: the channel answers.
        channel.ask_sync();
        let sync = loop {
            if let Ttt::Sync(cells) = channel.next() {
                break cells;
            }
        };
        assert_eq!(sync, board, "game {game}");
        assert_eq!(
            request(
                &mut client,
                "<LEAVE FORCE='false' SPECTATOR='false'/>",
                "leave"
            ),
            "ok"
        );
        client.recv_until(TIMEOUT, |e| e.is("LEAVE")).unwrap();
    }
}

#[test]
fn a_private_message_to_a_player_at_a_table_is_refused_as_the_original_did() {
    let server = TestServer::start();
    let (mut anna, _channel) = text_client(&server, "anna");
    anna.send(
        "<LAUNCH><TABLE GAME='0' SEATS='2'><DESC>t</DESC>\
         <SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='bot'/></TABLE></LAUNCH>",
    )
    .unwrap();
    assert_eq!(result_code(&mut anna, "launch"), "ok");
    anna.recv_until(TIMEOUT, |e| e.is("JOIN")).unwrap();
    let mut bert = server.guest_in_room("bert", 1);
    // Room chat still reaches everybody in the room, seated or not.
    assert_eq!(
        request(
            &mut bert,
            "<CHAT TYPE='normal'><![CDATA[hi anna]]></CHAT>",
            "chat"
        ),
        "ok"
    );
    anna.recv_until(TIMEOUT, |e| e.is("CHAT") && e.attr("FROM") == Some("bert"))
        .unwrap();
    assert_eq!(
        request(
            &mut bert,
            "<CHAT TYPE='private' TO='anna'><![CDATA[psst]]></CHAT>",
            "chat"
        ),
        "at table"
    );
}

#[test]
fn the_chat_bot_answering_help_gets_all_its_private_lines_through_in_order() {
    // The bot answers "help" with one private line per command it knows,
    // written back to back: fourteen with its usual modules.
    let server = TestServer::start();
    let mut alice = server.guest_in_room("alice", 0);
    let mut bot = server.guest_in_room("grubby", 0);
    assert_eq!(
        request(
            &mut alice,
            "<CHAT TYPE='private' TO='grubby'><![CDATA[help]]></CHAT>",
            "chat"
        ),
        "ok"
    );
    bot.recv_until(TIMEOUT, |e| e.is("CHAT") && e.attr("FROM") == Some("alice"))
        .unwrap();
    let lines: String = (0..14)
        .map(|i| format!("<CHAT TYPE='private' TO='alice'><![CDATA[command {i:02}]]></CHAT>\n"))
        .collect();
    bot.send(&lines).unwrap();
    for i in 0..14 {
        assert_eq!(result_code(&mut bot, "chat"), "ok", "line {i}");
    }
    let mut seen = Vec::new();
    while seen.len() < 14 {
        let chat = alice.recv_until(TIMEOUT, |e| e.is("CHAT")).unwrap();
        assert_eq!(chat.attr("FROM"), Some("grubby"));
        assert_eq!(chat.attr("TYPE"), Some("private"));
        seen.push(chat.text);
    }
    let expected: Vec<String> = (0..14).map(|i| format!("command {i:02}")).collect();
    assert_eq!(seen, expected);
}
