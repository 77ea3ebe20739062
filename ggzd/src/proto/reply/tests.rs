use super::*;
use crate::numlist::NumberList;
use crate::proto::decoder::{Decoder, Event, Limits};
use crate::proto::types::{LeaveReason, PlayerKind, ResultCode, SeatKind};

/// Joins transcript lines, each followed by `\n` as on the wire.
fn lines(ls: &[&str]) -> String {
    ls.iter().map(|l| format!("{l}\n")).collect()
}

/// Our own decoder must read everything we write.
fn decodes(msg: &str) -> Vec<Event> {
    let mut dec = Decoder::new(Limits::CLIENT);
    let input = format!("<SESSION>{msg}</SESSION>");
    let mut off = 0;
    let mut events = Vec::new();
    while !dec.session_ended() {
        let p = dec.feed(&input.as_bytes()[off..]).unwrap();
        off += p.consumed;
        events.extend(p.event);
    }
    events
}

#[test]
fn greeting_18_1() {
    assert_eq!(
        greeting_with_version("0.0.14", "Harbour Games", false, 512),
        lines(&[
            "<?xml version='1.0' encoding='UTF-8'?>",
            "<SESSION>",
            "<SERVER ID='GGZ-0.0.14' NAME='Harbour Games' VERSION='10' STATUS='ok' TLS_SUPPORT='no'>",
            "<OPTIONS CHATLEN='512'/>",
            "</SERVER>",
        ])
    );
    let g = greeting("O'Brien's <zone>", true, 512);
    assert!(g.contains(&format!(
        "<SERVER ID='GGZ-{}' NAME='O&apos;Brien&apos;s &lt;zone&gt;' VERSION='10' STATUS='ok' TLS_SUPPORT='yes'>\n",
        crate::VERSION
    )));
    assert_eq!(
        greeting_full_with_version("0.0.14", "Harbour Games"),
        lines(&[
            "<?xml version='1.0' encoding='UTF-8'?>",
            "<SESSION>",
            "<SERVER ID='GGZ-0.0.14' NAME='Harbour Games' VERSION='10' STATUS='full'/>",
        ])
    );
    assert_eq!(session_end(), "</SESSION>\n");
}

#[test]
fn results() {
    assert_eq!(
        result("login", ResultCode::Ok),
        "<RESULT ACTION='login' CODE='ok'/>\n"
    );
    assert_eq!(
        result("protocol", ResultCode::BadXml),
        "<RESULT ACTION='protocol' CODE='bad xml'/>\n"
    );
    assert_eq!(
        result_login_first_ok("secret"),
        lines(&[
            "<RESULT ACTION='login' CODE='ok'>",
            "<PASSWORD>secret</PASSWORD>",
            "</RESULT>"
        ])
    );
    assert_eq!(
        result_login_first_fail(ResultCode::UsernameAlreadyTaken),
        lines(&[
            "<RESULT ACTION='login' CODE='username already taken'>",
            "</RESULT>"
        ])
    );
    assert_eq!(
        result_login_first_ok("a<&>'\""),
        "<RESULT ACTION='login' CODE='ok'>\n<PASSWORD>a&lt;&amp;&gt;&apos;&quot;</PASSWORD>\n</RESULT>\n"
    );
}

#[test]
fn motd_18_1() {
    let body = motd_body([
        "Hello and welcome to harbour.example.net (port 5688).",
        "Questions? Ask Pat <pat@example.net>.",
    ]);
    assert_eq!(
        motd(&body, ""),
        lines(&[
            "<MOTD PRIORITY='normal' URL=''><![CDATA[",
            "Hello and welcome to harbour.example.net (port 5688).",
            "Questions? Ask Pat <pat@example.net>.",
            "]]></MOTD>",
        ])
    );
    let tricky = motd("\na]]>b\n", "http://x/?a=1&b=2");
    assert!(tricky.starts_with("<MOTD PRIORITY='normal' URL='http://x/?a=1&amp;b=2'>"));
    let events = decodes(&tricky);
    let Event::Element(e) = &events[1] else {
        panic!()
    };
    assert_eq!(e.text, "\na]]>b\n");
    assert_eq!(e.attr("URL"), Some("http://x/?a=1&b=2"));
}

fn four_in_line<'a>(
    players: &'a NumberList,
    bots: &'a NumberList,
    named: &'a [(String, String)],
) -> GameView<'a> {
    GameView {
        id: 0,
        name: "Four In Line",
        version: "1.2",
        engine: "FourInLine",
        protocol_version: "3",
        players,
        bots,
        spectators: true,
        peers: false,
        named_bots: named,
        author: "J. Doe",
        homepage: "http://games.example.org/fil/",
        description: "Connect four stones in a row.",
    }
}

#[test]
fn game_list() {
    let players = NumberList::single(2);
    let bots = NumberList::single(1);
    let named = [("Rex".to_owned(), "easy".to_owned())];
    let g = four_in_line(&players, &bots, &named);
    assert_eq!(
        list_games(std::slice::from_ref(&g), false),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='game'>",
            "<GAME ID='0' NAME='Four In Line' VERSION='1.2'>",
            "<PROTOCOL ENGINE='FourInLine' VERSION='3'/>",
            "<ALLOW PLAYERS='2' BOTS='1' SPECTATORS='true' PEERS='false'/>",
            "<BOT NAME='Rex' CLASS='easy'/>",
            "</GAME>",
            "</LIST>",
            "</RESULT>",
        ])
    );
    assert_eq!(
        list_games(&[g], true),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='game'>",
            "<GAME ID='0' NAME='Four In Line' VERSION='1.2'>",
            "<PROTOCOL ENGINE='FourInLine' VERSION='3'/>",
            "<ALLOW PLAYERS='2' BOTS='1' SPECTATORS='true' PEERS='false'/>",
            "<BOT NAME='Rex' CLASS='easy'/>",
            "<ABOUT AUTHOR='J. Doe' URL='http://games.example.org/fil/'/>",
            "<DESC>Connect four stones in a row.</DESC>",
            "</GAME>",
            "</LIST>",
            "</RESULT>",
        ])
    );
    let empty = NumberList::empty();
    let mut g = four_in_line(&players, &empty, &[]);
    g.version = "1<2";
    let s = list_games(&[g], false);
    assert!(s.contains("<GAME ID='0' NAME='Four In Line' VERSION='1&lt;2'>\n"));
    assert!(s.contains("<ALLOW PLAYERS='2' BOTS='' SPECTATORS='true' PEERS='false'/>\n"));
    assert!(!s.contains("<BOT"));
    assert_eq!(
        list_games(&[], true),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='game'>",
            "</LIST>",
            "</RESULT>",
        ])
    );
}

#[test]
fn room_list() {
    let rooms = [
        RoomView {
            id: 0,
            name: "Lobby",
            refname: "Lobby",
            game: -1,
            players: 2,
            description: "Meet people here",
        },
        RoomView {
            id: 1,
            name: "Four In Line",
            refname: "Four In Line",
            game: 0,
            players: 1,
            description: "Casual Four In Line games",
        },
    ];
    assert_eq!(
        list_rooms(&rooms, true),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='room'>",
            "<ROOM ID='0' NAME='Lobby' REFNAME='Lobby' GAME='-1' PLAYERS='2'>",
            "<DESC>Meet people here</DESC>",
            "</ROOM>",
            "<ROOM ID='1' NAME='Four In Line' REFNAME='Four In Line' GAME='0' PLAYERS='1'>",
            "<DESC>Casual Four In Line games</DESC>",
            "</ROOM>",
            "</LIST>",
            "</RESULT>",
        ])
    );
    assert_eq!(
        list_rooms(&rooms[..1], false),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='room'>",
            "<ROOM ID='0' NAME='Lobby' REFNAME='Lobby' GAME='-1' PLAYERS='2'>",
            "</ROOM>",
            "</LIST>",
            "</RESULT>",
        ])
    );
    assert_eq!(
        update_room_add(&RoomView {
            id: 9,
            name: "New",
            refname: "New",
            game: 0,
            players: 0,
            description: "d",
        }),
        lines(&[
            "<UPDATE TYPE='room' ACTION='add'>",
            "<ROOM ID='9' NAME='New' REFNAME='New' GAME='0' PLAYERS='0'>",
            "<DESC>d</DESC>",
            "</ROOM>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_room_players(2, 7),
        lines(&[
            "<UPDATE TYPE='room' ACTION='players'>",
            "<ROOM ID='2' PLAYERS='7'/>",
            "</UPDATE>"
        ])
    );
    assert_eq!(
        update_room_close(9),
        lines(&[
            "<UPDATE TYPE='room' ACTION='close'>",
            "<ROOM ID='9'/>",
            "</UPDATE>"
        ])
    );
    assert_eq!(
        update_room_delete(9),
        lines(&[
            "<UPDATE TYPE='room' ACTION='delete'>",
            "<ROOM ID='9'/>",
            "</UPDATE>"
        ])
    );
}

fn bob() -> PlayerView<'static> {
    PlayerView {
        name: "bob",
        kind: PlayerKind::Normal,
        table: -1,
        perms: 7,
        lag: 1,
        stats: Some(StatsView {
            records: Some((4, 2, 0, 0)),
            rating: Some(1531),
            highscore: None,
        }),
    }
}

fn kim() -> PlayerView<'static> {
    PlayerView {
        name: "kim",
        kind: PlayerKind::Guest,
        table: -1,
        perms: 0x43,
        lag: 1,
        stats: None,
    }
}

#[test]
fn player_list_and_updates() {
    assert_eq!(
        list_players(1, &[bob(), kim()]),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='player' ROOM='1'>",
            "<PLAYER ID='bob' TYPE='normal' TABLE='-1' PERMS='0x00000007' LAG='1' WINS='4' LOSSES='2' TIES='0' FORFEITS='0' RATING='1531'/>",
            "<PLAYER ID='kim' TYPE='guest' TABLE='-1' PERMS='0x00000043' LAG='1'/>",
            "</LIST>",
            "</RESULT>",
        ])
    );
    assert_eq!(
        update_player_add(1, -1, &kim()),
        lines(&[
            "<UPDATE TYPE='player' ACTION='add' ROOM='1' FROMROOM='-1'>",
            "<PLAYER ID='kim' TYPE='guest' TABLE='-1' PERMS='0x00000043' LAG='1'/>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_player_delete(1, -1, "dave"),
        lines(&[
            "<UPDATE TYPE='player' ACTION='delete' ROOM='1' TOROOM='-1'>",
            "<PLAYER ID='dave'/>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_player_lag(1, "dave", 3),
        lines(&[
            "<UPDATE TYPE='player' ACTION='lag' ROOM='1'>",
            "<PLAYER ID='dave' LAG='3'/>",
            "</UPDATE>",
        ])
    );
    let stats = StatsView {
        records: Some((5, 2, 0, 0)),
        rating: Some(1545),
        highscore: None,
    };
    assert_eq!(
        update_player_stats(1, "bob", Some(&stats)),
        lines(&[
            "<UPDATE TYPE='player' ACTION='stats' ROOM='1'>",
            "<PLAYER ID='bob' WINS='5' LOSSES='2' TIES='0' FORFEITS='0' RATING='1545'/>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_player_stats(1, "kim", None),
        lines(&[
            "<UPDATE TYPE='player' ACTION='stats' ROOM='1'>",
            "<PLAYER ID='kim'/>",
            "</UPDATE>",
        ])
    );
    let hs = StatsView {
        records: None,
        rating: None,
        highscore: Some(1200),
    };
    assert_eq!(
        update_player_stats(2, "x", Some(&hs)),
        "<UPDATE TYPE='player' ACTION='stats' ROOM='2'>\n<PLAYER ID='x' HIGHSCORE='1200'/>\n</UPDATE>\n"
    );
    assert_eq!(
        update_player_perms(1, "dave", PlayerKind::Host, 0x187),
        lines(&[
            "<UPDATE TYPE='player' ACTION='perms' ROOM='1'>",
            "<PLAYER ID='dave' TYPE='host' PERMS='0x00000187'/>",
            "</UPDATE>",
        ])
    );
    let mut odd = kim();
    odd.name = "o'<b>";
    assert!(list_players(0, &[odd]).contains("<PLAYER ID='o&apos;&lt;b&gt;' "));
}

fn table_18_3() -> TableView<'static> {
    TableView {
        id: 1,
        game: 0,
        status: 1,
        desc: "quick one",
        seats: vec![
            SeatView {
                num: 0,
                kind: SeatKind::Open,
                name: None,
            },
            SeatView {
                num: 1,
                kind: SeatKind::Reserved,
                name: Some("kim"),
            },
        ],
        spectators: vec![],
    }
}

#[test]
fn table_list() {
    let t = TableView {
        id: 3,
        game: 0,
        status: 1,
        desc: "beginners welcome",
        seats: vec![
            SeatView {
                num: 0,
                kind: SeatKind::Player,
                name: Some("bob"),
            },
            SeatView {
                num: 1,
                kind: SeatKind::Open,
                name: None,
            },
        ],
        spectators: vec![(0, "carol")],
    };
    assert_eq!(
        list_tables(1, &[t]),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='table' ROOM='1'>",
            "<TABLE ID='3' GAME='0' STATUS='1' SEATS='2'>",
            "<DESC>beginners welcome</DESC>",
            "<SEAT NUM='0' TYPE='player'>bob</SEAT>",
            "<SEAT NUM='1' TYPE='open'/>",
            "<SPECTATOR NUM='0'>carol</SPECTATOR>",
            "</TABLE>",
            "</LIST>",
            "</RESULT>",
        ])
    );
    assert_eq!(
        list_tables(1, &[]),
        lines(&[
            "<RESULT ACTION='list' CODE='ok'>",
            "<LIST TYPE='table' ROOM='1'>",
            "</LIST>",
            "</RESULT>",
        ])
    );
    let mut empty_desc = table_18_3();
    empty_desc.desc = "";
    assert!(list_tables(1, &[empty_desc]).contains("\n<DESC></DESC>\n"));
}

#[test]
fn table_updates_18_3_to_18_5() {
    assert_eq!(
        update_table_add(1, &table_18_3()),
        lines(&[
            "<UPDATE TYPE='table' ACTION='add' ROOM='1'>",
            "<TABLE ID='1' GAME='0' STATUS='1' SEATS='2'>",
            "<DESC>quick one</DESC>",
            "<SEAT NUM='0' TYPE='open'/>",
            "<SEAT NUM='1' TYPE='reserved'>kim</SEAT>",
            "</TABLE>",
            "</UPDATE>",
        ])
    );
    let bob_seat = SeatView {
        num: 0,
        kind: SeatKind::Player,
        name: Some("bob"),
    };
    assert_eq!(
        update_table_join_seat(1, 1, 2, &bob_seat),
        lines(&[
            "<UPDATE TYPE='table' ACTION='join' ROOM='1'>",
            "<TABLE ID='1' SEATS='2'>",
            "<SEAT NUM='0' TYPE='player'>bob</SEAT>",
            "</TABLE>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_table_leave_seat(1, 1, 2, &bob_seat),
        lines(&[
            "<UPDATE TYPE='table' ACTION='leave' ROOM='1'>",
            "<TABLE ID='1' SEATS='2'>",
            "<SEAT NUM='0' TYPE='player'>bob</SEAT>",
            "</TABLE>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_table_status(1, 1, 2, 2),
        lines(&[
            "<UPDATE TYPE='table' ACTION='status' ROOM='1'>",
            "<TABLE ID='1' STATUS='2' SEATS='2'/>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_table_delete(1, 1, 2),
        lines(&[
            "<UPDATE TYPE='table' ACTION='delete' ROOM='1'>",
            "<TABLE ID='1' STATUS='-1' SEATS='2'/>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_table_desc(1, 4, "now with house rules"),
        lines(&[
            "<UPDATE TYPE='table' ACTION='desc' ROOM='1'>",
            "<TABLE ID='4'>",
            "<DESC>now with house rules</DESC>",
            "</TABLE>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_table_seat(
            1,
            4,
            2,
            &SeatView {
                num: 1,
                kind: SeatKind::Bot,
                name: None
            }
        ),
        lines(&[
            "<UPDATE TYPE='table' ACTION='seat' ROOM='1'>",
            "<TABLE ID='4' SEATS='2'>",
            "<SEAT NUM='1' TYPE='bot'/>",
            "</TABLE>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_table_join_spectator(1, 4, 2, 1, "eve"),
        lines(&[
            "<UPDATE TYPE='table' ACTION='join' ROOM='1'>",
            "<TABLE ID='4' SPECTATORS='2'>",
            "<SPECTATOR NUM='1'>eve</SPECTATOR>",
            "</TABLE>",
            "</UPDATE>",
        ])
    );
    assert_eq!(
        update_table_leave_spectator(1, 4, 2, 1, "eve"),
        lines(&[
            "<UPDATE TYPE='table' ACTION='leave' ROOM='1'>",
            "<TABLE ID='4' SPECTATORS='2'>",
            "<SPECTATOR NUM='1'>eve</SPECTATOR>",
            "</TABLE>",
            "</UPDATE>",
        ])
    );
    let resized = update_table_resize(1, &table_18_3());
    assert!(resized.starts_with("<UPDATE TYPE='table' ACTION='resize' ROOM='1'>\n<TABLE ID='1' GAME='0' STATUS='1' SEATS='2'>\n"));
    assert_eq!(decodes(&resized).len(), 3);
}

#[test]
fn chats_18_2() {
    assert_eq!(
        chat("normal", "kim", Some("hi all & good luck")),
        "<CHAT TYPE='normal' FROM='kim'>hi all &amp; good luck</CHAT>\n"
    );
    assert_eq!(
        chat("private", "kim", Some("fancy a game?")),
        "<CHAT TYPE='private' FROM='kim'>fancy a game?</CHAT>\n"
    );
    assert_eq!(
        chat("beep", "alice", None),
        "<CHAT TYPE='beep' FROM='alice'/>\n"
    );
    assert_eq!(
        chat("normal", "a", Some("")),
        "<CHAT TYPE='normal' FROM='a'></CHAT>\n"
    );
    assert_eq!(
        chat("announce", "[Server]", Some("<b>")),
        "<CHAT TYPE='announce' FROM='[Server]'>&lt;b&gt;</CHAT>\n"
    );
}

#[test]
fn small_pushes() {
    assert_eq!(join(1, false), "<JOIN TABLE='1' SPECTATOR='false'/>\n");
    assert_eq!(join(4, true), "<JOIN TABLE='4' SPECTATOR='true'/>\n");
    assert_eq!(
        leave(LeaveReason::GameOver, None),
        "<LEAVE REASON='gameover'/>\n"
    );
    assert_eq!(
        leave(LeaveReason::Boot, Some("[server]")),
        "<LEAVE REASON='boot' PLAYER='[server]'/>\n"
    );
    assert_eq!(
        leave(LeaveReason::Boot, Some("o'neil")),
        "<LEAVE REASON='boot' PLAYER='o&apos;neil'/>\n"
    );
    assert_eq!(ping(), "<PING/>\n");
    assert_eq!(pong(None), "<PONG/>\n");
    assert_eq!(pong(Some("x'")), "<PONG ID='x&apos;'/>\n");
}

#[test]
fn info_and_rankings() {
    assert_eq!(
        info(&[PlayerInfoView {
            seat: 0,
            realname: "Bob B.",
            photo: "http://...",
            host: "192.0.2.7",
        }]),
        lines(&[
            "<INFO>",
            "<PLAYERINFO SEAT='0' REALNAME='Bob B.' PHOTO='http://...' HOST='192.0.2.7'/>",
            "</INFO>",
        ])
    );
    assert_eq!(info(&[]), "<INFO>\n</INFO>\n");
    assert_eq!(
        rankings(&[RankingView {
            position: 1,
            player: "bob",
            score: 1200,
        }]),
        lines(&[
            "<RANKINGS>",
            "<RANKING POSITION='1' PLAYER='bob' SCORE='1200'/>",
            "</RANKINGS>",
        ])
    );
}
