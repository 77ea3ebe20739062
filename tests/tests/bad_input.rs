//! The bad-input catalogue: hostile inputs over TCP, each with the answer
//! the protocol gives (docs/client-server.md: §1 malformed XML and the
//! flood guard, §2 requests before login, §6 result codes, §10 chat, §11
//! tables, §14 channels), while a bystander in the same room keeps chatting
//! and must see every one of its own echoes.
//!
//! Table-driven: each case names its setup (how far the hostile client got
//! before sending), its bytes and the answer expected. Every hostile client
//! is a fresh connection, so one case cannot hide another's effect.

use std::net::TcpStream;

use ggzd::proto::escape;
use ggzd_e2e::*;

/// Room 1 of the catalogue's server plays TicTacToe (game 0); the
/// bystander sits there, and so do the hostile clients that need a room.
const ROOM: i32 = 1;

/// How far the hostile client gets before it sends its case's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// Greeting read, client header sent, nothing else.
    Fresh,
    /// Logged in as a guest, in no room.
    LoggedIn,
    /// Logged in and in the bystander's room.
    InRoom,
    /// In the room with a game channel prepared (LAUNCH/JOIN get past the
    /// channel check).
    WithChannel,
}

/// What the server must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// `<RESULT ACTION=action CODE=code/>`; the connection stays usable.
    Result(&'static str, &'static str),
    /// The RESULT and then this element; the connection stays usable.
    ResultThen(&'static str, &'static str, &'static str),
    /// `<RESULT ACTION='protocol' CODE=code/>` and the connection closed.
    ProtocolClose(&'static str),
    /// Nothing at all; the connection stays usable.
    Ignored,
    /// Closed without any RESULT.
    ClosedSilently,
}

struct Case {
    name: &'static str,
    setup: Setup,
    bytes: Vec<u8>,
    expect: Expect,
}

fn case(name: &'static str, setup: Setup, bytes: impl AsRef<[u8]>, expect: Expect) -> Case {
    Case {
        name,
        setup,
        bytes: bytes.as_ref().to_vec(),
        expect,
    }
}

fn launch(table: &str) -> String {
    format!("<LAUNCH>\n{table}\n</LAUNCH>\n")
}

fn cases() -> Vec<Case> {
    use Expect::*;
    use Setup::*;
    const BAD_XML: Expect = ProtocolClose("bad xml");
    const TOO_BIG: Expect = ProtocolClose("bad options");
    let deep = "<A>".repeat(7) + &"</A>".repeat(7);
    let attrs: String = (0..17).map(|i| format!(" A{i}='x'")).collect();
    let big_message = format!(
        "<X>{}</X>",
        format!("<B>{}</B>", "y".repeat(4000)).repeat(9)
    );
    let open_seats = |n: usize| -> String {
        (0..n)
            .map(|i| format!("<SEAT NUM='{i}' TYPE='open'/>"))
            .collect()
    };
    vec![
        // ---- malformed XML (§1): answered `bad xml`, then closed
        case(
            "mismatched end tag",
            Fresh,
            "<CHAT TYPE='normal'>oops</BOOM>",
            BAD_XML,
        ),
        case(
            "unquoted attribute",
            InRoom,
            "<CHAT TYPE=normal>x</CHAT>",
            BAD_XML,
        ),
        case("attribute without value", Fresh, "<PING ID/>", BAD_XML),
        case("end tag without start tag", InRoom, "</CHAT>", BAD_XML),
        case(
            "element name starts with a digit",
            Fresh,
            "<1CHAT/>",
            BAD_XML,
        ),
        case("space before element name", Fresh, "< CHAT/>", BAD_XML),
        case(
            "child left open",
            Fresh,
            "<LOGIN TYPE='guest'><NAME>x</LOGIN>",
            BAD_XML,
        ),
        case(
            "attribute in end tag",
            InRoom,
            "<CHAT>x</CHAT TYPE='x'>",
            BAD_XML,
        ),
        case(
            "stray end tag of SESSION inside a message",
            InRoom,
            "<CHAT></SESSION>",
            BAD_XML,
        ),
        case("nested too deep", InRoom, deep, BAD_XML),
        case(
            "duplicate attribute",
            InRoom,
            "<CHAT TYPE='normal' TYPE='beep'>x</CHAT>",
            BAD_XML,
        ),
        case(
            "duplicate attribute, other case",
            InRoom,
            "<CHAT TYPE='a' type='b'>x</CHAT>",
            BAD_XML,
        ),
        // ---- entities, DOCTYPE, CDATA, processing instructions
        case("unknown entity", InRoom, "<CHAT>&xxe;</CHAT>", BAD_XML),
        case("HTML entity", InRoom, "<CHAT>&nbsp;</CHAT>", BAD_XML),
        case(
            "bare ampersand",
            InRoom,
            "<CHAT>fish & chips</CHAT>",
            BAD_XML,
        ),
        case("unterminated entity", InRoom, "<CHAT>&amp</CHAT>", BAD_XML),
        case(
            "character reference to NUL",
            InRoom,
            "<CHAT>&#0;</CHAT>",
            BAD_XML,
        ),
        case(
            "character reference to a surrogate",
            InRoom,
            "<CHAT>&#xD800;</CHAT>",
            BAD_XML,
        ),
        case(
            "character reference beyond Unicode",
            InRoom,
            "<CHAT>&#x110000;</CHAT>",
            BAD_XML,
        ),
        case(
            "character reference to a control",
            InRoom,
            "<CHAT>&#1;</CHAT>",
            BAD_XML,
        ),
        case(
            "entity in attribute",
            InRoom,
            "<CHAT TYPE='&foo;'>x</CHAT>",
            BAD_XML,
        ),
        case(
            "internal DOCTYPE with entity expansion",
            Fresh,
            "<!DOCTYPE lol [<!ENTITY a 'aaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]><CHAT>&b;</CHAT>",
            BAD_XML,
        ),
        case(
            "external entity DOCTYPE",
            Fresh,
            "<!DOCTYPE x SYSTEM 'file:///etc/passwd'>",
            BAD_XML,
        ),
        case("ELEMENT declaration", Fresh, "<!ELEMENT x ANY>", BAD_XML),
        case(
            "misspelt CDATA opener",
            InRoom,
            "<CHAT><![CDATX[x]]></CHAT>",
            BAD_XML,
        ),
        case(
            "comment between messages",
            InRoom,
            "<!-- nothing to see -->\n",
            Ignored,
        ),
        case(
            "processing instruction between messages",
            InRoom,
            "<?php system('id'); ?>\n",
            Ignored,
        ),
        case(
            "CDATA between messages",
            InRoom,
            "<![CDATA[<LOGIN/>]]>\n",
            Ignored,
        ),
        case(
            "CDATA hiding markup in chat",
            InRoom,
            "<CHAT TYPE='private' TO='nobody'><![CDATA[</CHAT><ADMIN/>]]></CHAT>",
            Result("chat", "usr lookup"),
        ),
        // ---- bytes that are not XML text
        case(
            "invalid UTF-8 in text",
            InRoom,
            b"<CHAT>caf\xc3\x28</CHAT>",
            BAD_XML,
        ),
        case(
            "invalid UTF-8 in attribute",
            InRoom,
            b"<CHAT TYPE='\xff'>x</CHAT>",
            BAD_XML,
        ),
        case(
            "invalid UTF-8 in element name",
            Fresh,
            b"<CH\xfeAT/>",
            BAD_XML,
        ),
        case(
            "overlong UTF-8 for '/'",
            InRoom,
            b"<CHAT>\xc0\xaf</CHAT>",
            BAD_XML,
        ),
        case(
            "UTF-8 encoded surrogate",
            InRoom,
            b"<CHAT>\xed\xa0\x80</CHAT>",
            BAD_XML,
        ),
        case(
            "NUL byte in chat text",
            InRoom,
            b"<CHAT>a\0b</CHAT>",
            BAD_XML,
        ),
        case(
            "NUL byte in attribute",
            InRoom,
            b"<CHAT TYPE='nor\0mal'>x</CHAT>",
            BAD_XML,
        ),
        case("NUL byte between messages", InRoom, b"\0<PING/>", BAD_XML),
        case(
            "escape character in chat text",
            InRoom,
            b"<CHAT>\x1b[2J</CHAT>",
            BAD_XML,
        ),
        case(
            "U+FFFF in chat text",
            InRoom,
            "<CHAT>\u{FFFF}</CHAT>",
            BAD_XML,
        ),
        // ---- sizes (§1 flood guard, our decoder limits): `bad options`
        case(
            "text beyond a token",
            InRoom,
            format!("<CHAT>{}</CHAT>", "x".repeat(9000)),
            TOO_BIG,
        ),
        case(
            "attribute beyond a tag",
            InRoom,
            format!("<CHAT TYPE='{}'>x</CHAT>", "x".repeat(9000)),
            TOO_BIG,
        ),
        case(
            "unterminated start tag",
            Fresh,
            format!("<CHAT TYPE='{}", "x".repeat(9000)),
            TOO_BIG,
        ),
        case(
            "too many attributes",
            Fresh,
            format!("<PING{attrs}/>"),
            TOO_BIG,
        ),
        case(
            "CDATA text beyond the element text limit",
            InRoom,
            format!("<CHAT><![CDATA[{}]]></CHAT>", "c".repeat(5000)),
            TOO_BIG,
        ),
        case(
            "message beyond the message limit",
            InRoom,
            big_message,
            TOO_BIG,
        ),
        case(
            "text flood between messages",
            LoggedIn,
            "x".repeat(2048),
            TOO_BIG,
        ),
        case(
            "whitespace flood between messages",
            Fresh,
            " ".repeat(2048),
            TOO_BIG,
        ),
        case(
            "comment flood between messages",
            InRoom,
            format!("<!--{}-->", "-".repeat(1000)),
            TOO_BIG,
        ),
        // ---- requests in the wrong state (§2, §11)
        case(
            "LIST before login",
            Fresh,
            "<LIST TYPE='room'/>",
            Result("list", "not logged in"),
        ),
        case(
            "ENTER before login",
            Fresh,
            "<ENTER ROOM='1'/>",
            Result("enter", "not logged in"),
        ),
        case(
            "LAUNCH before login",
            Fresh,
            launch("<TABLE GAME='0' SEATS='2'/>"),
            Result("launch", "not logged in"),
        ),
        case(
            "INFO before login",
            Fresh,
            "<INFO/>",
            Result("info", "not logged in"),
        ),
        case(
            "RANKINGS before login",
            Fresh,
            "<RANKINGS/>",
            Result("rankings", "not logged in"),
        ),
        case(
            "UPDATE without TYPE before login",
            Fresh,
            "<UPDATE/>",
            Result("update", "not logged in"),
        ),
        case(
            "ADMINPERM before login",
            Fresh,
            "<ADMINPERM PLAYER='x' PERM='chat_announce' VALUE='true'/>",
            Result("admin", "not logged in"),
        ),
        case(
            "second LOGIN",
            LoggedIn,
            "<LOGIN TYPE='guest'><NAME>again</NAME></LOGIN>",
            Result("login", "already logged in"),
        ),
        case(
            "CHAT outside any room",
            LoggedIn,
            "<CHAT>hello?</CHAT>",
            Result("chat", "not in room"),
        ),
        case(
            "table CHAT not at a table",
            InRoom,
            "<CHAT TYPE='table'>gg</CHAT>",
            Result("chat", "no table"),
        ),
        case(
            "JOIN without a channel",
            InRoom,
            "<JOIN TABLE='1' SPECTATOR='false'/>",
            Result("join", "no channel"),
        ),
        case(
            "JOIN without TABLE",
            WithChannel,
            "<JOIN SPECTATOR='false'/>",
            Result("join", "no table"),
        ),
        case(
            "JOIN a table that does not exist",
            WithChannel,
            "<JOIN TABLE='77'/>",
            Result("join", "no table"),
        ),
        case(
            "LEAVE when not at a table",
            InRoom,
            "<LEAVE FORCE='false' SPECTATOR='false'/>",
            ResultThen("leave", "ok", "LEAVE"),
        ),
        case(
            "RESEAT when not at a table",
            InRoom,
            "<RESEAT ACTION='stand'/>",
            Result("reseat", "bad options"),
        ),
        case(
            "RESEAT without ACTION",
            InRoom,
            "<RESEAT/>",
            Result("reseat", "bad options"),
        ),
        case("INFO when not at a table", InRoom, "<INFO/>", Ignored),
        case(
            "RANKINGS when not at a table",
            InRoom,
            "<RANKINGS/>",
            Ignored,
        ),
        case(
            "CHANNEL for an unknown player",
            Fresh,
            "<CHANNEL ID='nobody-here' />\n</SESSION>\n",
            ClosedSilently,
        ),
        case(
            "CHANNEL without ID",
            Fresh,
            "<CHANNEL/>",
            Result("channel", "bad options"),
        ),
        case(
            "ADMIN by a guest",
            InRoom,
            "<ADMIN ACTION='kick' PLAYER='bystander'><REASON>x</REASON></ADMIN>",
            Result("admin", "no permission"),
        ),
        case(
            "ADMINPERM by a guest",
            InRoom,
            "<ADMINPERM PLAYER='bystander' PERM='chat_announce' VALUE='true'/>",
            Result("admin", "no permission"),
        ),
        case(
            "UPDATE of a player",
            InRoom,
            "<UPDATE TYPE='player' ACTION='add'/>",
            Result("update", "bad options"),
        ),
        case(
            "UPDATE without TYPE",
            InRoom,
            "<UPDATE/>",
            Result("update", "bad options"),
        ),
        // ---- numbers: overflow, negative, not a number
        case(
            "ENTER room overflowing i64",
            LoggedIn,
            "<ENTER ROOM='99999999999999999999999'/>",
            Result("enter", "bad options"),
        ),
        case(
            "ENTER negative room",
            LoggedIn,
            "<ENTER ROOM='-5'/>",
            Result("enter", "bad options"),
        ),
        case(
            "ENTER room not a number",
            LoggedIn,
            "<ENTER ROOM='lobby'/>",
            Result("enter", "bad options"),
        ),
        case(
            "ENTER room beyond u32 in hex",
            LoggedIn,
            "<ENTER ROOM='0x100000001'/>",
            Result("enter", "bad options"),
        ),
        case(
            "ENTER without ROOM",
            LoggedIn,
            "<ENTER/>",
            Result("enter", "bad options"),
        ),
        case(
            "JOIN table overflowing i64",
            WithChannel,
            "<JOIN TABLE='18446744073709551617'/>",
            Result("join", "no table"),
        ),
        case(
            "JOIN negative table",
            WithChannel,
            "<JOIN TABLE='-1'/>",
            Result("join", "no table"),
        ),
        // ---- unknown and misplaced elements and attributes
        case("unknown element", Fresh, "<FROBNICATE LEVEL='9'/>", Ignored),
        case(
            "unknown element with children",
            InRoom,
            "<X><Y><Z/></Y></X>",
            Ignored,
        ),
        case(
            "unknown attribute on a known element",
            InRoom,
            "<LIST TYPE='room' EVIL='1'/>",
            Result("list", "ok"),
        ),
        case(
            "unknown LIST TYPE",
            InRoom,
            "<LIST TYPE='secrets'/>",
            Result("protocol", "bad options"),
        ),
        case(
            "LIST without TYPE",
            InRoom,
            "<LIST/>",
            Result("list", "bad options"),
        ),
        case(
            "NAME outside LOGIN",
            Fresh,
            "<NAME>x</NAME>",
            Result("protocol", "bad options"),
        ),
        case(
            "SEAT outside TABLE",
            InRoom,
            "<LAUNCH><SEAT NUM='0' TYPE='open'/></LAUNCH>",
            Result("protocol", "bad options"),
        ),
        case(
            "TABLE inside LOGIN",
            Fresh,
            "<LOGIN><TABLE/></LOGIN>",
            Result("protocol", "bad options"),
        ),
        // ---- chat (§10)
        case(
            "private chat to nobody",
            InRoom,
            "<CHAT TYPE='private' TO='nobody'>psst</CHAT>",
            Result("chat", "usr lookup"),
        ),
        case(
            "beep without TO",
            InRoom,
            "<CHAT TYPE='beep'/>",
            Result("chat", "bad options"),
        ),
        case(
            "private chat without TO",
            InRoom,
            "<CHAT TYPE='private'>psst</CHAT>",
            Result("chat", "bad options"),
        ),
        case(
            "private chat TO with markup characters",
            InRoom,
            "<CHAT TYPE='private' TO='a<b>c'>psst</CHAT>",
            Result("chat", "usr lookup"),
        ),
        case(
            "announce without permission",
            InRoom,
            "<CHAT TYPE='announce'>all hands</CHAT>",
            Result("chat", "no permission"),
        ),
        case(
            "huge chat",
            InRoom,
            format!("<CHAT>{}</CHAT>", "h".repeat(2000)),
            Result("chat", "bad options"),
        ),
        // ---- LAUNCH validation (§11.1): `bad options` with a channel
        case(
            "LAUNCH with a player seat",
            WithChannel,
            launch(&format!(
                "<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='player'>x</SEAT>{}</TABLE>",
                "<SEAT NUM='1' TYPE='open'/>"
            )),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with an abandoned seat",
            WithChannel,
            launch(
                "<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='abandoned'/><SEAT NUM='1' TYPE='open'/></TABLE>",
            ),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with an unknown seat type",
            WithChannel,
            launch(
                "<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='wizard'/><SEAT NUM='1' TYPE='open'/></TABLE>",
            ),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with a seat missing",
            WithChannel,
            launch("<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/></TABLE>"),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with a seat count the game does not allow",
            WithChannel,
            launch(&format!(
                "<TABLE GAME='0' SEATS='3'>{}</TABLE>",
                open_seats(3)
            )),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with a negative seat count",
            WithChannel,
            launch("<TABLE GAME='0' SEATS='-2'/>"),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with a seat count overflowing i64",
            WithChannel,
            launch(&format!(
                "<TABLE GAME='0' SEATS='99999999999999999999'>{}</TABLE>",
                open_seats(2)
            )),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with a seat number out of range",
            WithChannel,
            launch(
                "<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/><SEAT NUM='5' TYPE='open'/></TABLE>",
            ),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with a seat given twice",
            WithChannel,
            launch(
                "<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/><SEAT NUM='0' TYPE='open'/></TABLE>",
            ),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with an unknown named bot",
            WithChannel,
            launch(
                "<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='bot'>Skynet</SEAT></TABLE>",
            ),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with a nameless reservation",
            WithChannel,
            launch(
                "<TABLE GAME='0' SEATS='2'><SEAT NUM='0' TYPE='open'/><SEAT NUM='1' TYPE='reserved'/></TABLE>",
            ),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH with too many seats",
            WithChannel,
            launch(&format!(
                "<TABLE GAME='0' SEATS='100'>{}</TABLE>",
                open_seats(100)
            )),
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH without TABLE",
            WithChannel,
            "<LAUNCH/>",
            Result("launch", "bad options"),
        ),
        case(
            "LAUNCH of another room's game",
            WithChannel,
            launch(&format!(
                "<TABLE GAME='7' SEATS='2'>{}</TABLE>",
                open_seats(2)
            )),
            Result("launch", "not in room"),
        ),
        // ---- TLS_START without TLS configured (§4): no answer; a
        // handshake that follows anyway is not XML
        case("TLS_START without TLS", Fresh, "<TLS_START/>", Ignored),
        case(
            "TLS_START then a ClientHello",
            Fresh,
            b"<TLS_START/>\x16\x03\x01\x00\xc4\x01\x00\x00\xc0\x03\x03",
            BAD_XML,
        ),
    ]
}

/// Messages until (and without) the PONG answering `probe`; panics if the
/// connection ends first.
fn until_probe(c: &mut Client, probe: &str, what: &str) -> Vec<Element> {
    c.send(&format!("<PING ID='{probe}'/>\n"))
        .unwrap_or_else(|e| panic!("{what}: connection unusable: {e}"));
    let mut seen = Vec::new();
    loop {
        match c.recv(TIMEOUT) {
            Ok(Some(e)) if e.is("PONG") && e.attr("ID") == Some(probe) => return seen,
            Ok(Some(e)) => seen.push(e),
            Ok(None) => panic!("{what}: no PONG for the probe"),
            Err(e) => panic!("{what}: connection ended: {e}"),
        }
    }
}

fn results(seen: &[Element]) -> Vec<String> {
    seen.iter()
        .filter(|e| e.is("RESULT"))
        .map(|e| format!("{:?}/{:?}", e.attr("ACTION"), e.attr("CODE")))
        .collect()
}

fn check(c: &mut Client, expect: Expect, what: &str) {
    match expect {
        Expect::Result(action, code) | Expect::ResultThen(action, code, _) => {
            let got = c
                .expect_result(action, TIMEOUT)
                .unwrap_or_else(|e| panic!("{what}: no RESULT {action}: {e}"));
            assert_eq!(got.attr("CODE"), Some(code), "{what}");
            if let Expect::ResultThen(_, _, element) = expect {
                c.recv_until(TIMEOUT, |e| e.is(element))
                    .unwrap_or_else(|e| panic!("{what}: no {element}: {e}"));
            }
            let more = until_probe(c, "after", what);
            assert_eq!(results(&more), Vec::<String>::new(), "{what}: more answers");
        }
        Expect::ProtocolClose(code) => {
            let got = c
                .expect_result("protocol", TIMEOUT)
                .unwrap_or_else(|e| panic!("{what}: no RESULT protocol: {e}"));
            assert_eq!(got.attr("CODE"), Some(code), "{what}");
            assert!(c.wait_closed(TIMEOUT).unwrap(), "{what}: still open");
        }
        Expect::Ignored => {
            let seen = until_probe(c, "after", what);
            assert_eq!(results(&seen), Vec::<String>::new(), "{what}: answered");
        }
        Expect::ClosedSilently => {
            assert!(c.wait_closed(TIMEOUT).unwrap(), "{what}: still open");
            let mut seen = Vec::new();
            while let Ok(Some(e)) = c.recv(std::time::Duration::ZERO) {
                seen.push(e);
            }
            assert_eq!(results(&seen), Vec::<String>::new(), "{what}: answered");
        }
    }
}

/// A server with one chat room (0) and one TicTacToe room (1).
fn start() -> (TestServer, TempDir) {
    let tictactoe = std::fs::read_to_string(repo_dir().join("games/tictactoe.toml")).unwrap();
    start_with_one_game(
        "bad-input",
        "tictactoe.toml",
        &tictactoe,
        "name = \"Play\"\ngame = \"TicTacToe\"\n",
        // The bystander chats once per case; no rate limit in the way.
        "[limits]\nchat_rate = 0\n",
    )
}

#[test]
fn hostile_inputs_get_the_spec_answer_and_cost_only_their_sender() {
    let (server, _tmp) = start();
    let mut bystander = server.guest_in_room("bystander", ROOM);
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut echoes = 0;

    for (i, case) in cases.iter().enumerate() {
        let what = format!("case {i} ({})", case.name);
        let name = format!("h{i}");
        let mut c = match case.setup {
            Setup::Fresh => server.connect(),
            Setup::LoggedIn => server.guest(&name),
            Setup::InRoom | Setup::WithChannel => server.guest_in_room(&name, ROOM),
        };
        let _channel: Option<TcpStream> =
            (case.setup == Setup::WithChannel).then(|| open_game_channel(&server, &name));
        // The server may close before it has read all of an oversized
        // input; what it answers is checked below either way.
        let _ = c.send_raw(&case.bytes);

        // The bystander talks while the server deals with the case.
        let line = format!("case {i}: <{}> & 'fine'", case.name);
        bystander
            .send(&format!("<CHAT TYPE='normal'>{}</CHAT>\n", escape(&line)))
            .unwrap();

        check(&mut c, case.expect, &what);

        assert_eq!(
            result_code(&mut bystander, "chat"),
            "ok",
            "{what}: bystander"
        );
        let echo = bystander
            .recv_until(TIMEOUT, |e| {
                e.is("CHAT") && e.attr("FROM") == Some("bystander") && e.text == line
            })
            .unwrap_or_else(|e| panic!("{what}: bystander's echo missing: {e}"));
        assert_eq!(echo.attr("TYPE"), Some("normal"));
        echoes += 1;
    }
    assert_eq!(echoes, cases.len());

    // Still serving newcomers, and the bystander was never disturbed.
    let mut late = server.guest_in_room("late", ROOM);
    assert_eq!(request(&mut late, "<CHAT>hello</CHAT>", "chat"), "ok");
    let seen = until_probe(&mut bystander, "end", "bystander");
    assert!(
        !seen
            .iter()
            .any(|e| e.is("RESULT") && e.attr("ACTION") == Some("protocol")),
        "bystander got a protocol error"
    );
}
