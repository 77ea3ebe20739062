use super::*;
use crate::proto::decoder::{Decoder, Event, Limits};

/// Decodes one message written as XML text.
pub(crate) fn parse(xml: &str) -> Request {
    let mut dec = Decoder::new(Limits::SERVER);
    let input = format!("<SESSION>{xml}");
    let mut off = 0;
    loop {
        let p = dec.feed(&input.as_bytes()[off..]).unwrap();
        off += p.consumed;
        match p.event {
            Some(Event::Element(e)) => return parse_request(&e),
            Some(_) => {}
            None => panic!("incomplete: {xml}"),
        }
    }
}

#[test]
fn login() {
    let r =
        parse("<LOGIN TYPE='normal'>\n<NAME>alice</NAME>\n<PASSWORD>secret</PASSWORD>\n</LOGIN>");
    assert_eq!(
        r,
        Request::Login(LoginRequest {
            kind: Some(LoginKind::Normal),
            name: Some("alice".into()),
            password: Some("secret".into()),
            email: None,
        })
    );
    let Request::Login(l) = parse("<login><name>kim</name><password></password></login>") else {
        panic!()
    };
    assert_eq!(l.kind, Some(LoginKind::Guest));
    assert_eq!(l.name.as_deref(), Some("kim"));
    assert_eq!(l.password, None);
    let Request::Login(l) = parse(
        "<LOGIN TYPE='FIRST'><NAME>bob</NAME><PASSWORD>x1y2z3</PASSWORD>\
         <EMAIL>b@example.org</EMAIL></LOGIN>",
    ) else {
        panic!()
    };
    assert_eq!(l.kind, Some(LoginKind::First));
    assert_eq!(l.email.as_deref(), Some("b@example.org"));
    let Request::Login(l) = parse("<LOGIN TYPE='root'><NAME>x</NAME></LOGIN>") else {
        panic!()
    };
    assert_eq!(l.kind, None);
    let Request::Login(l) = parse("<LOGIN TYPE='guest'><NAME></NAME></LOGIN>") else {
        panic!()
    };
    assert_eq!(l.name, None);
    // Name text is verbatim, not trimmed.
    let Request::Login(l) = parse("<LOGIN><NAME> a </NAME></LOGIN>") else {
        panic!()
    };
    assert_eq!(l.name.as_deref(), Some(" a "));
}

#[test]
fn misplaced_children() {
    for xml in [
        "<NAME>x</NAME>",
        "<password>x</password>",
        "<EMAIL/>",
        "<TABLE/>",
        "<SEAT/>",
        "<DESC/>",
        "<REASON>x</REASON>",
    ] {
        assert!(matches!(parse(xml), Request::Misplaced(_)), "{xml}");
    }
    assert_eq!(
        parse("<CHAT><NAME>x</NAME></CHAT>"),
        Request::Misplaced("NAME".into())
    );
    assert_eq!(
        parse("<LAUNCH><SEAT NUM='0' TYPE='open'/></LAUNCH>"),
        Request::Misplaced("SEAT".into())
    );
    assert_eq!(
        parse("<JOIN TABLE='1'><TABLE/></JOIN>"),
        Request::Misplaced("TABLE".into())
    );
    assert_eq!(
        parse("<LOGIN><FOO><name>x</name></FOO></LOGIN>"),
        Request::Misplaced("NAME".into())
    );
    assert_eq!(
        parse("<ADMIN ACTION='kick' PLAYER='x'><TABLE><REASON>r</REASON></TABLE></ADMIN>"),
        Request::Misplaced("TABLE".into())
    );
    // Unknown children are simply ignored.
    assert!(matches!(
        parse("<LOGIN><FOO/><NAME>x</NAME></LOGIN>"),
        Request::Login(_)
    ));
    assert_eq!(
        parse("<FROBNICATE/>"),
        Request::Unknown("FROBNICATE".into())
    );
}

#[test]
fn launch_spec_example() {
    let r = parse(
        "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>quick one</DESC>\n\
         <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='Reserved'>kim</SEAT>\n\
         </TABLE>\n</LAUNCH>",
    );
    assert_eq!(
        r,
        Request::Launch {
            table: Some(TableRequest {
                id: None,
                game: Some(0),
                seats: Some(2),
                desc: Some("quick one".into()),
                seats_given: vec![
                    SeatRequest {
                        num: Some(0),
                        kind: "open".into(),
                        name: None
                    },
                    SeatRequest {
                        num: Some(1),
                        kind: "reserved".into(),
                        name: Some("kim".into())
                    },
                ],
            })
        }
    );
    assert_eq!(parse("<LAUNCH/>"), Request::Launch { table: None });
}

#[test]
fn simple_requests() {
    assert_eq!(
        parse("<LANGUAGE>de_DE.UTF-8</LANGUAGE>"),
        Request::Language("de_DE.UTF-8".into())
    );
    assert_eq!(
        parse("<CHANNEL ID='alice' />"),
        Request::Channel {
            id: Some("alice".into()),
            token: None,
        }
    );
    assert_eq!(
        parse("<CHANNEL ID='bo' TOKEN='0a1b'/>"),
        Request::Channel {
            id: Some("bo".into()),
            token: Some("0a1b".into()),
        }
    );
    assert_eq!(
        parse("<CHANNEL/>"),
        Request::Channel {
            id: None,
            token: None
        }
    );
    assert_eq!(parse("<TLS_START/>"), Request::TlsStart);
    assert_eq!(
        parse("<PING ID='x'/>"),
        Request::Ping {
            id: Some("x".into())
        }
    );
    assert_eq!(parse("<PONG/>"), Request::Pong { id: None });
    assert_eq!(parse("<MOTD/>"), Request::Motd);
    assert_eq!(parse("<RANKINGS/>"), Request::Rankings);
    assert_eq!(parse("<INFO SEAT='1'/>"), Request::Info { seat: Some(1) });
    assert_eq!(parse("<INFO/>"), Request::Info { seat: None });
}

#[test]
fn lists() {
    assert_eq!(
        parse("<LIST TYPE='game' FULL='false'/>"),
        Request::List {
            kind: ListKind::Game,
            full: false
        }
    );
    assert_eq!(
        parse("<LIST TYPE='ROOM' FULL='TRUE'/>"),
        Request::List {
            kind: ListKind::Room,
            full: true
        }
    );
    assert_eq!(
        parse("<LIST TYPE='player' FULL='maybe'/>"),
        Request::List {
            kind: ListKind::Player,
            full: false
        }
    );
    assert_eq!(
        parse("<LIST/>"),
        Request::List {
            kind: ListKind::Missing,
            full: false
        }
    );
    assert_eq!(
        parse("<LIST TYPE='chairs'/>"),
        Request::List {
            kind: ListKind::Unknown("chairs".into()),
            full: false
        }
    );
}

#[test]
fn enter_join_leave_reseat() {
    assert_eq!(parse("<ENTER ROOM='1'/>"), Request::Enter { room: 1 });
    assert_eq!(parse("<ENTER ROOM='0x2'/>"), Request::Enter { room: 2 });
    assert_eq!(parse("<ENTER/>"), Request::Enter { room: -1 });
    assert_eq!(parse("<ENTER ROOM='x'/>"), Request::Enter { room: -1 });
    assert_eq!(
        parse("<JOIN TABLE='4' SPECTATOR='true'/>"),
        Request::Join {
            table: 4,
            spectator: true,
            seat: None
        }
    );
    assert_eq!(
        parse("<JOIN SEAT='1'/>"),
        Request::Join {
            table: -1,
            spectator: false,
            seat: Some(1)
        }
    );
    assert_eq!(
        parse("<LEAVE FORCE='true' SPECTATOR='false'/>"),
        Request::Leave {
            force: true,
            spectator: false
        }
    );
    assert_eq!(
        parse("<RESEAT ACTION='Move' SEAT='2'/>"),
        Request::Reseat {
            action: Some(ReseatAction::Move),
            seat: Some(2)
        }
    );
    assert_eq!(
        parse("<RESEAT ACTION='dance'/>"),
        Request::Reseat {
            action: None,
            seat: None
        }
    );
    assert_eq!(
        parse("<RESEAT ACTION='sit'/>"),
        Request::Reseat {
            action: Some(ReseatAction::Sit),
            seat: None
        }
    );
    assert_eq!(
        parse("<RESEAT ACTION='stand'/>"),
        Request::Reseat {
            action: Some(ReseatAction::Stand),
            seat: None
        }
    );
}

#[test]
fn chats() {
    assert_eq!(
        parse("<CHAT TYPE='normal'>hi all &amp; good luck</CHAT>"),
        Request::Chat {
            kind: ChatKind::Normal,
            to: None,
            text: "hi all & good luck".into()
        }
    );
    assert_eq!(
        parse("<CHAT TYPE='beep' TO='nobody'/>"),
        Request::Chat {
            kind: ChatKind::Beep,
            to: Some("nobody".into()),
            text: String::new()
        }
    );
    assert_eq!(
        parse("<CHAT>x</CHAT>"),
        Request::Chat {
            kind: ChatKind::Normal,
            to: None,
            text: "x".into()
        }
    );
    let Request::Chat { kind, .. } = parse("<CHAT TYPE='PRIVATE' TO='bob'>x</CHAT>") else {
        panic!()
    };
    assert_eq!(kind, ChatKind::Private);
    let Request::Chat { kind, .. } = parse("<CHAT TYPE='table'>gg</CHAT>") else {
        panic!()
    };
    assert_eq!(kind, ChatKind::Table);
    let Request::Chat { kind, .. } = parse("<CHAT TYPE='announce'>m</CHAT>") else {
        panic!()
    };
    assert_eq!(kind, ChatKind::Announce);
    let Request::Chat { kind, .. } = parse("<CHAT TYPE='shout'>m</CHAT>") else {
        panic!()
    };
    assert_eq!(kind, ChatKind::Other("shout".into()));
    assert_eq!(kind.as_str(), "shout");
}

#[test]
fn updates() {
    let r = parse(
        "<UPDATE TYPE='table' ACTION='desc' ROOM='1'>\n<TABLE ID='4'>\n\
         <DESC>now with house rules</DESC>\n</TABLE>\n</UPDATE>",
    );
    assert_eq!(
        r,
        Request::Update {
            kind: Some("table".into()),
            action: Some("desc".into()),
            room: Some(1),
            table: Some(TableRequest {
                id: Some(4),
                desc: Some("now with house rules".into()),
                ..TableRequest::default()
            })
        }
    );
    let Request::Update { table, action, .. } = parse(
        "<UPDATE TYPE='Table' ACTION='BOOT' ROOM='1'>\n<TABLE ID='4' SEATS='1'>\n\
         <SEAT NUM='0' TYPE='player'>mallory</SEAT>\n</TABLE>\n</UPDATE>",
    ) else {
        panic!()
    };
    assert_eq!(action.as_deref(), Some("boot"));
    let table = table.unwrap();
    assert_eq!(table.seats_given[0].name.as_deref(), Some("mallory"));
    assert_eq!(table.seats_given[0].kind, "player");
    assert_eq!(
        parse("<UPDATE/>"),
        Request::Update {
            kind: None,
            action: None,
            room: None,
            table: None
        }
    );
    let Request::Update { table, .. } =
        parse("<UPDATE TYPE='table' ACTION='desc'><TABLE ID='1'><DESC></DESC></TABLE></UPDATE>")
    else {
        panic!()
    };
    assert_eq!(table.unwrap().desc.as_deref(), Some(""));
}

#[test]
fn admin() {
    assert_eq!(
        parse("<ADMIN ACTION='kick' PLAYER='troll'>\n<REASON>spamming</REASON>\n</ADMIN>"),
        Request::Admin {
            action: Some("kick".into()),
            player: Some("troll".into()),
            reason: Some("spamming".into())
        }
    );
    assert_eq!(
        parse("<ADMIN ACTION='GAG' PLAYER='troll'/>"),
        Request::Admin {
            action: Some("gag".into()),
            player: Some("troll".into()),
            reason: None
        }
    );
    assert_eq!(
        parse("<ADMINPERM PLAYER='dave' PERM='edit_tables' VALUE='true'/>"),
        Request::AdminPerm {
            player: Some("dave".into()),
            perm: Some("edit_tables".into()),
            value: true
        }
    );
    assert_eq!(
        parse("<ADMINPERM/>"),
        Request::AdminPerm {
            player: None,
            perm: None,
            value: false
        }
    );
}

#[test]
fn extensions_are_split_lowered_and_bounded() {
    assert_eq!(
        parse("<EXTENSIONS NAMES=' Rejoin  channel-token '/>"),
        Request::Extensions {
            names: vec!["rejoin".into(), "channel-token".into()]
        }
    );
    assert_eq!(
        parse("<EXTENSIONS/>"),
        Request::Extensions { names: vec![] }
    );
    let many = vec!["x"; 40].join(" ");
    let long = "y".repeat(MAX_EXTENSION_NAME_LEN + 1);
    match parse(&format!("<EXTENSIONS NAMES='{long} {many}'/>")) {
        Request::Extensions { names } => {
            assert_eq!(names.len(), MAX_EXTENSION_NAMES);
            assert!(names.iter().all(|n| n == "x"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn matchmaking_requests() {
    assert_eq!(
        parse("<MATCH QUEUE='ttt'/>"),
        Request::Match {
            queue: Some("ttt".into())
        }
    );
    assert_eq!(
        parse("<MATCH_CANCEL/>"),
        Request::MatchCancel { queue: None }
    );
    assert_eq!(
        parse("<LIST TYPE='played' PLAYER='Bob' MAX='5'/>"),
        Request::List {
            kind: ListKind::Played {
                player: Some("Bob".into()),
                max: Some(5)
            },
            full: false
        }
    );
    assert_eq!(
        parse("<REPLAY ID='17'/>"),
        Request::Replay {
            id: Some(17),
            from: None
        }
    );
    assert_eq!(
        parse("<LIST TYPE='Queue'/>"),
        Request::List {
            kind: ListKind::Queue,
            full: false
        }
    );
    assert_eq!(parse("<MATCH/>").action_name(), "match");
    assert_eq!(parse("<MATCH_CANCEL/>").action_name(), "match_cancel");
}

#[test]
fn action_names() {
    assert_eq!(parse("<LIST TYPE='room'/>").action_name(), "list");
    assert_eq!(parse("<ADMINPERM/>").action_name(), "admin");
    assert_eq!(parse("<PONG/>").action_name(), "pong");
    assert_eq!(parse("<RANKINGS/>").action_name(), "rankings");
    assert_eq!(parse("<TLS_START/>").action_name(), "tls_start");
    assert_eq!(parse("<NAME/>").action_name(), "protocol");
}
