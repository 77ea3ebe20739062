//! What a line of input asks for. Lines starting with `/` are commands;
//! any other line is chat to the room (or, on your turn at TicTacToe, a
//! lone digit 1-9 is a move).

use std::time::Duration;

/// One seat of a table to launch, besides the launcher's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatSpec {
    /// Anyone may sit down.
    Open,
    /// The game's AI, optionally a named bot.
    Bot(Option<String>),
    /// Kept for one player.
    Reserved(String),
}

/// Which square to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveSpec {
    /// Square 0..8 (typed as 1-9).
    Square(usize),
    /// The lowest free square; for scripts that do not care.
    Auto,
}

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// List the commands.
    Help,
    /// Log out and exit.
    Quit,
    /// Show the message of the day again.
    Motd,
    /// List the rooms.
    Rooms,
    /// Enter a room, by number or name.
    Enter(String),
    /// List the players in this room.
    Who,
    /// List the game types.
    Games,
    /// List the tables in this room.
    Tables,
    /// Chat to the room.
    Say(String),
    /// Private message.
    Msg {
        /// Recipient.
        to: String,
        /// Text.
        text: String,
    },
    /// Beep a player.
    Beep(String),
    /// Chat to every room (admins).
    Announce(String),
    /// Chat to your table.
    TableChat(String),
    /// Launch a table of this room's game; you take the first open seat.
    Launch(Vec<SeatSpec>),
    /// Join a table as a player; `None` picks one with a seat for you.
    Join(Option<i32>),
    /// Watch a table.
    Watch(i32),
    /// After a game over: stand up and sit down again in the same seat,
    /// which starts the next game at the table.
    Again,
    /// Leave your table (`force` ends a game that forbids leaving).
    Leave {
        /// Send FORCE='true'.
        force: bool,
    },
    /// Make a TicTacToe move (waits for your turn in a script).
    Move(MoveSpec),
    /// Play the lowest free square on each turn until the game ends.
    Autoplay,
    /// Draw the board again.
    Board,
    /// Wait until the game at your table is over and show the result.
    Result,
    /// Ask to be matched in a queue (default: this room's); the client
    /// takes the seat when matched.
    Play(Option<String>),
    /// Leave the matchmaking queues.
    Cancel,
    /// List the matchmaking queues.
    Queues,
    /// List a player's played games (default: your own).
    GamesPlayed(Option<String>),
    /// Show a played game move by move.
    Replay(u64),
    /// Wait until a line containing this text has been shown.
    Wait(String),
    /// Pause.
    Sleep(Duration),
}

/// A parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Nothing to do (blank line or `#` comment).
    Empty,
    /// A command.
    Command(Command),
}

/// Command names with their arguments and help, in help order; also what
/// tab completion offers.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("help", "", "this list"),
    ("rooms", "", "list the rooms"),
    ("enter", "ROOM", "enter a room (number or name)"),
    ("who", "", "players in this room"),
    ("games", "", "game types on this server"),
    ("tables", "", "tables in this room"),
    ("say", "TEXT", "chat to the room (or just type the text)"),
    ("msg", "PLAYER TEXT", "private message"),
    ("beep", "PLAYER", "beep a player"),
    ("announce", "TEXT", "chat to every room (admins)"),
    ("table", "TEXT", "chat to your table"),
    (
        "launch",
        "[bot[:NAME]|open|reserved:PLAYER]...",
        "start a table; you take the first seat, the others as given",
    ),
    (
        "join",
        "[TABLE]",
        "sit down at a table (default: one with a seat for you)",
    ),
    ("watch", "TABLE", "spectate a table"),
    (
        "play",
        "[QUEUE]",
        "play now: be matched with other players (default: this room's queue)",
    ),
    ("cancel", "", "stop waiting for a match"),
    ("queues", "", "matchmaking queues on this server"),
    ("leave", "[force]", "leave your table"),
    (
        "again",
        "",
        "after a game over: play another game at this table",
    ),
    (
        "move",
        "1-9|auto",
        "play a square (a lone digit works too on your turn)",
    ),
    (
        "autoplay",
        "",
        "play the lowest free square each turn until the game ends",
    ),
    ("board", "", "draw the board again"),
    (
        "games-played",
        "[PLAYER]",
        "played games of a player (default: yours), newest first",
    ),
    ("replay", "ID", "show a played game move by move"),
    ("result", "", "wait for the game to end and show the result"),
    ("wait", "TEXT", "wait until a line with TEXT has been shown"),
    ("sleep", "SECONDS", "pause"),
    ("motd", "", "message of the day"),
    ("quit", "", "log out"),
];

/// Longest pause `/sleep` takes.
const MAX_SLEEP_SECS: f64 = 3600.0;

/// Parses one line of input. `my_turn` makes a lone digit 1-9 a move.
pub fn parse_line(line: &str, my_turn: bool) -> Result<Line, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(Line::Empty);
    }
    let Some(command) = trimmed.strip_prefix('/') else {
        if my_turn && let Some(square) = square_of(trimmed) {
            return Ok(Line::Command(Command::Move(MoveSpec::Square(square))));
        }
        return Ok(Line::Command(Command::Say(line.to_owned())));
    };
    let (name, rest) = match command.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim()),
        None => (command, ""),
    };
    parse_command(&name.to_ascii_lowercase(), rest).map(Line::Command)
}

fn square_of(text: &str) -> Option<usize> {
    match text.parse::<usize>() {
        Ok(n @ 1..=9) => Some(n - 1),
        _ => None,
    }
}

fn required<'a>(rest: &'a str, usage: &str) -> Result<&'a str, String> {
    if rest.is_empty() {
        Err(format!("usage: /{usage}"))
    } else {
        Ok(rest)
    }
}

fn no_arguments(name: &str, rest: &str, command: Command) -> Result<Command, String> {
    if rest.is_empty() {
        Ok(command)
    } else {
        Err(format!("/{name} takes no arguments"))
    }
}

fn table_number(text: &str) -> Result<i32, String> {
    match text.parse::<i32>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(format!("'{text}' is not a table number")),
    }
}

fn parse_command(name: &str, rest: &str) -> Result<Command, String> {
    match name {
        "help" | "?" => Ok(Command::Help),
        "quit" | "exit" => no_arguments(name, rest, Command::Quit),
        "motd" => no_arguments(name, rest, Command::Motd),
        "rooms" => no_arguments(name, rest, Command::Rooms),
        "enter" | "room" => Ok(Command::Enter(required(rest, "enter ROOM")?.to_owned())),
        "who" => no_arguments(name, rest, Command::Who),
        "games" => no_arguments(name, rest, Command::Games),
        "tables" => no_arguments(name, rest, Command::Tables),
        "say" => Ok(Command::Say(rest.to_owned())),
        "msg" | "tell" => {
            let usage = "msg PLAYER TEXT";
            let (to, text) = required(rest, usage)?
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("usage: /{usage}"))?;
            Ok(Command::Msg {
                to: to.to_owned(),
                text: text.trim_start().to_owned(),
            })
        }
        "beep" => Ok(Command::Beep(required(rest, "beep PLAYER")?.to_owned())),
        "announce" => Ok(Command::Announce(
            required(rest, "announce TEXT")?.to_owned(),
        )),
        "table" => Ok(Command::TableChat(required(rest, "table TEXT")?.to_owned())),
        "launch" => rest
            .split_whitespace()
            .map(parse_seat)
            .collect::<Result<Vec<_>, _>>()
            .map(Command::Launch),
        "join" | "sit" => match rest {
            "" => Ok(Command::Join(None)),
            table => table_number(table).map(|t| Command::Join(Some(t))),
        },
        "play" => Ok(Command::Play(
            Some(rest.to_owned()).filter(|q| !q.is_empty()),
        )),
        "cancel" => no_arguments(name, rest, Command::Cancel),
        "queues" => no_arguments(name, rest, Command::Queues),
        "watch" | "spectate" => table_number(required(rest, "watch TABLE")?).map(Command::Watch),
        "leave" => match rest {
            "" => Ok(Command::Leave { force: false }),
            "force" => Ok(Command::Leave { force: true }),
            _ => Err("usage: /leave [force]".into()),
        },
        "move" => match required(rest, "move 1-9|auto")? {
            "auto" => Ok(Command::Move(MoveSpec::Auto)),
            text => square_of(text)
                .map(|q| Command::Move(MoveSpec::Square(q)))
                .ok_or_else(|| format!("'{text}' is not a square: type 1-9 (or auto)")),
        },
        "autoplay" => no_arguments(name, rest, Command::Autoplay),
        "again" | "rematch" => no_arguments(name, rest, Command::Again),
        "board" => no_arguments(name, rest, Command::Board),
        "result" => no_arguments(name, rest, Command::Result),
        "games-played" | "played" => Ok(Command::GamesPlayed(
            Some(rest.to_owned()).filter(|p| !p.is_empty()),
        )),
        "replay" => match required(rest, "replay ID")?.trim_start_matches('#').parse() {
            Ok(id) if id > 0 => Ok(Command::Replay(id)),
            _ => Err(format!("'{rest}' is not a played game's id")),
        },
        "wait" => Ok(Command::Wait(required(rest, "wait TEXT")?.to_owned())),
        "sleep" => match rest.parse::<f64>() {
            Ok(s) if (0.0..=MAX_SLEEP_SECS).contains(&s) => {
                Ok(Command::Sleep(Duration::from_secs_f64(s)))
            }
            _ => Err(format!("usage: /sleep SECONDS (0-{MAX_SLEEP_SECS})")),
        },
        _ => Err(format!("unknown command /{name} (try /help)")),
    }
}

fn parse_seat(word: &str) -> Result<SeatSpec, String> {
    let (kind, name) = match word.split_once(':') {
        Some((kind, name)) => (kind, Some(name)),
        None => (word, None),
    };
    match (kind.to_ascii_lowercase().as_str(), name) {
        ("open", None) => Ok(SeatSpec::Open),
        ("bot", None) => Ok(SeatSpec::Bot(None)),
        ("bot", Some(n)) if !n.is_empty() => Ok(SeatSpec::Bot(Some(n.to_owned()))),
        ("reserved" | "reserve", Some(n)) if !n.is_empty() => Ok(SeatSpec::Reserved(n.to_owned())),
        _ => Err(format!(
            "'{word}' is not a seat: use open, bot, bot:NAME or reserved:PLAYER"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(line: &str) -> Command {
        match parse_line(line, false) {
            Ok(Line::Command(c)) => c,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn text_is_chat_and_digits_are_moves_on_your_turn() {
        assert_eq!(cmd("hello there"), Command::Say("hello there".into()));
        assert_eq!(cmd("5"), Command::Say("5".into()));
        assert_eq!(
            parse_line("5", true),
            Ok(Line::Command(Command::Move(MoveSpec::Square(4))))
        );
        assert_eq!(
            parse_line("0", true),
            Ok(Line::Command(Command::Say("0".into())))
        );
        assert_eq!(parse_line("   ", false), Ok(Line::Empty));
        assert_eq!(parse_line("# a comment", false), Ok(Line::Empty));
    }

    #[test]
    fn commands_and_arguments() {
        assert_eq!(cmd("/enter 1"), Command::Enter("1".into()));
        assert_eq!(
            cmd("/ROOM Tic Tac Toe"),
            Command::Enter("Tic Tac Toe".into())
        );
        assert_eq!(
            cmd("/msg bob  hi there"),
            Command::Msg {
                to: "bob".into(),
                text: "hi there".into()
            }
        );
        assert_eq!(cmd("/beep bob"), Command::Beep("bob".into()));
        assert_eq!(cmd("/join"), Command::Join(None));
        assert_eq!(cmd("/join 3"), Command::Join(Some(3)));
        assert_eq!(cmd("/watch 2"), Command::Watch(2));
        assert_eq!(cmd("/leave force"), Command::Leave { force: true });
        assert_eq!(cmd("/again"), Command::Again);
        assert_eq!(cmd("/move 9"), Command::Move(MoveSpec::Square(8)));
        assert_eq!(cmd("/move auto"), Command::Move(MoveSpec::Auto));
        assert_eq!(
            cmd("/sleep 0.5"),
            Command::Sleep(Duration::from_millis(500))
        );
        assert_eq!(cmd("/wait bob: hi"), Command::Wait("bob: hi".into()));
        assert_eq!(
            cmd("/launch bot:Alfred reserved:bob open bot"),
            Command::Launch(vec![
                SeatSpec::Bot(Some("Alfred".into())),
                SeatSpec::Reserved("bob".into()),
                SeatSpec::Open,
                SeatSpec::Bot(None),
            ])
        );
        assert_eq!(cmd("/launch"), Command::Launch(vec![]));
        assert_eq!(cmd("/play"), Command::Play(None));
        assert_eq!(cmd("/games-played"), Command::GamesPlayed(None));
        assert_eq!(
            cmd("/games-played Bob"),
            Command::GamesPlayed(Some("Bob".into()))
        );
        assert_eq!(cmd("/replay 17"), Command::Replay(17));
        assert_eq!(cmd("/replay #17"), Command::Replay(17));
        assert!(parse_line("/replay x", false).is_err());
        assert!(parse_line("/replay", false).is_err());
        assert_eq!(cmd("/play ttt"), Command::Play(Some("ttt".into())));
        assert_eq!(cmd("/cancel"), Command::Cancel);
    }

    #[test]
    fn mistakes_are_explained() {
        for bad in [
            "/nope",
            "/enter",
            "/msg bob",
            "/join x",
            "/watch -1",
            "/move 0",
            "/move 10",
            "/launch robot",
            "/launch reserved:",
            "/leave now",
            "/sleep forever",
            "/sleep 99999",
            "/who cares",
            "/again now",
            "/cancel all",
        ] {
            let err = parse_line(bad, true).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
    }

    #[test]
    fn every_listed_command_parses() {
        for (name, args, _) in COMMANDS {
            let arg = match *args {
                "" => "",
                "[force]" => "force",
                "1-9|auto" => "auto",
                "SECONDS" | "TABLE" | "ID" => "1",
                a if a.starts_with('[') => "",
                _ => "x y",
            };
            let line = format!("/{name} {arg}");
            assert!(parse_line(&line, false).is_ok(), "{line}");
        }
    }
}
