use super::*;

/// Feeds `input` as if it arrived in the given chunks; returns all
/// events, the final error if any, and the total bytes consumed.
fn run_chunks(
    limits: Limits,
    input: &[u8],
    cuts: &[usize],
) -> (Vec<Event>, Option<DecodeError>, usize) {
    let mut dec = Decoder::new(limits);
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    let mut total = 0;
    let mut start = 0;
    let mut bounds: Vec<usize> = cuts.to_vec();
    bounds.push(input.len());
    for &cut in &bounds {
        buf.extend_from_slice(&input[start..cut]);
        start = cut;
        loop {
            match dec.feed(&buf) {
                Ok(p) => {
                    assert!(p.consumed <= buf.len());
                    buf.drain(..p.consumed);
                    total += p.consumed;
                    let done = p.consumed == 0 && p.event.is_none();
                    if let Some(e) = p.event {
                        events.push(e);
                    }
                    if done {
                        break;
                    }
                }
                // Bytes consumed before an error are not reported,
                // so totals are meaningless then.
                Err(e) => return (events, Some(e), 0),
            }
        }
    }
    (events, None, total)
}

fn run(input: &[u8]) -> (Vec<Event>, Option<DecodeError>, usize) {
    run_chunks(Limits::SERVER, input, &[])
}

fn elements(events: &[Event]) -> Vec<&Element> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Element(el) => Some(el),
            _ => None,
        })
        .collect()
}

/// Client lines like those of docs/client-server.md §18, one session each,
/// plus the Java client's style (double quotes, indentation).
const TRANSCRIPTS: &[&str] = &[
    "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
     <LANGUAGE>en_GB.UTF-8</LANGUAGE>\n\
     <LOGIN TYPE='guest'>\n<NAME>kim</NAME>\n</LOGIN>\n\
     <LIST TYPE='game' FULL='false'/>\n\
     <LIST TYPE='room' FULL='true'/>\n\
     <ENTER ROOM='1'/>\n\
     <LIST TYPE='player'/>\n\
     <LIST TYPE='table'/>\n\
     <PONG/>\n",
    "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
     <CHAT TYPE='normal'>hi all &amp; good luck</CHAT>\n\
     <CHAT TYPE='private' TO='bob'>fancy a game?</CHAT>\n\
     <CHAT TYPE='beep' TO='nobody'/>\n\
     <CHAT TYPE='announce'>maintenance at 22:00</CHAT>\n",
    "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
     <CHANNEL ID='bob' />\n</SESSION>\nGAMEBYTES",
    "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
     <LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>quick one</DESC>\n\
     <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='reserved'>kim</SEAT>\n\
     </TABLE>\n</LAUNCH>\n\
     <JOIN TABLE='1' SPECTATOR='false'/>\n",
    "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
     <LOGIN TYPE='guest'>\n<NAME>Bob</NAME>\n</LOGIN>\n\
     <LOGIN TYPE='normal'>\n<NAME>bob</NAME>\n<PASSWORD>nope</PASSWORD>\n</LOGIN>\n\
     <LOGIN TYPE='first'>\n<NAME>bob</NAME>\n<PASSWORD>x1y2z3</PASSWORD>\n\
     <EMAIL>b@example.org</EMAIL>\n</LOGIN>\n\
     <LIST TYPE='room'/>\n\
     <LEAVE FORCE='false' SPECTATOR='false'/>\n\
     <CHAT TYPE='normal'>oops</CHAT TYPE>\n",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<session>\r\n  \
     <login type=\"normal\">\r\n    <name>al&apos;ice</name>\r\n    \
     <password><![CDATA[p<w]]]]><![CDATA[>d]]></password>\r\n  </login>\r\n  \
     <!-- a comment -->\r\n  <chat to=\"a>b\" type='private'>&#x263A;&#65;</chat>\r\n\
     </session>",
    "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n\
     <CHAT TYPE='normal'>x</CHAT>\n<!DOCTYPE x>",
];

#[test]
fn transcripts_split_anywhere_give_identical_results() {
    for t in TRANSCRIPTS {
        let input = t.as_bytes();
        let whole = run(input);
        for cut in 0..=input.len() {
            assert_eq!(
                run_chunks(Limits::SERVER, input, &[cut]),
                whole,
                "cut {cut}"
            );
        }
        let every: Vec<usize> = (1..input.len()).collect();
        assert_eq!(run_chunks(Limits::SERVER, input, &every), whole);
    }
}

#[test]
fn transcripts_random_multi_splits() {
    // Deterministic LCG: no extra dependencies, reproducible failures.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % bound.max(1)
    };
    for t in TRANSCRIPTS {
        let input = t.as_bytes();
        let whole = run(input);
        for _ in 0..200 {
            let mut cuts: Vec<usize> = (0..next(12)).map(|_| next(input.len())).collect();
            cuts.sort_unstable();
            assert_eq!(
                run_chunks(Limits::SERVER, input, &cuts),
                whole,
                "cuts {cuts:?}"
            );
        }
    }
}

#[test]
fn guest_login_transcript() {
    let (events, err, total) = run(TRANSCRIPTS[0].as_bytes());
    assert_eq!(err, None);
    assert_eq!(events.first(), Some(&Event::SessionStart));
    let els = elements(&events);
    let names: Vec<&str> = els.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "LANGUAGE", "LOGIN", "LIST", "LIST", "ENTER", "LIST", "LIST", "PONG"
        ]
    );
    assert_eq!(els[0].text, "en_GB.UTF-8");
    let login = els[1];
    assert_eq!(login.attr("TYPE"), Some("guest"));
    assert_eq!(login.child("NAME").unwrap().text, "kim");
    assert_eq!(login.text, "\n\n");
    assert_eq!(
        els[3].attrs,
        [
            ("TYPE".into(), "room".into()),
            ("FULL".into(), "true".into())
        ]
    );
    // The final newline is held: there is no '<' after it yet.
    assert_eq!(total, TRANSCRIPTS[0].len() - 1);
}

#[test]
fn channel_stops_exactly_after_session_end() {
    let input = TRANSCRIPTS[2].as_bytes();
    let (events, err, total) = run(input);
    assert_eq!(err, None);
    assert_eq!(events.last(), Some(&Event::SessionEnd));
    let els = elements(&events);
    assert_eq!(els.len(), 1);
    assert_eq!(els[0].attr("ID"), Some("bob"));
    assert_eq!(&input[total..], b"\nGAMEBYTES");

    let mut dec = Decoder::new(Limits::SERVER);
    let mut off = 0;
    loop {
        let p = dec.feed(&input[off..]).unwrap();
        off += p.consumed;
        if p.event == Some(Event::SessionEnd) {
            break;
        }
    }
    assert!(dec.session_ended());
    assert_eq!(dec.feed(&input[off..]).unwrap(), Progress::idle());
}

#[test]
fn event_reported_without_lookahead() {
    let mut dec = Decoder::new(Limits::SERVER);
    let head = b"<?xml version='1.0'?><SESSION>";
    let p = dec.feed(head).unwrap();
    assert_eq!(p.consumed, head.len());
    assert_eq!(p.event, Some(Event::SessionStart));
    let msg = b"<TLS_START/>\x16\x03\x01garbage";
    let p = dec.feed(msg).unwrap();
    assert_eq!(p.consumed, 12);
    assert!(matches!(p.event, Some(Event::Element(ref e)) if e.name == "TLS_START"));
    assert!(!dec.is_mid_element());
}

#[test]
fn java_style_and_escapes() {
    let (events, err, _) = run(TRANSCRIPTS[5].as_bytes());
    assert_eq!(err, None);
    assert_eq!(events.last(), Some(&Event::SessionEnd));
    let els = elements(&events);
    assert_eq!(els.len(), 2);
    assert_eq!(els[0].name, "LOGIN");
    assert_eq!(els[0].attr("type"), Some("normal"));
    assert_eq!(els[0].child("NAME").unwrap().text, "al'ice");
    assert_eq!(els[0].child("PASSWORD").unwrap().text, "p<w]]>d");
    assert_eq!(els[1].attr("TO"), Some("a>b"));
    assert_eq!(els[1].text, "\u{263A}A");
}

#[test]
fn malformed_transcript() {
    let (events, err, _) = run(TRANSCRIPTS[4].as_bytes());
    assert_eq!(elements(&events).len(), 5);
    let err = err.unwrap();
    assert!(matches!(err, DecodeError::Malformed(_)));
    assert_eq!(err.code(), "bad xml");
}

#[test]
fn spec_18_6_malformed_example_is_well_formed() {
    // The original reference's "malformed XML" illustration `</CHAT\n>>` is in fact
    // a valid end tag followed by a `>` character between messages,
    // which XML allows and the protocol ignores.
    let (events, err, _) = session("<CHAT TYPE='normal'>oops</CHAT\n>>\n<PONG/>");
    assert_eq!(err, None);
    let els = elements(&events);
    assert_eq!(els.len(), 2);
    assert_eq!(els[0].text, "oops");
}

#[test]
fn doctype_rejected() {
    let (events, err, _) = run(TRANSCRIPTS[6].as_bytes());
    assert_eq!(elements(&events).len(), 1);
    assert_eq!(err, Some(DecodeError::Doctype));
    let (_, err, _) = run(b"<?xml version='1.0'?><!DOCTYPE SESSION [<!ENTITY a 'b'>]><SESSION>");
    assert_eq!(err, Some(DecodeError::Doctype));
}

fn session(body: &str) -> (Vec<Event>, Option<DecodeError>, usize) {
    run(format!("<SESSION>{body}").as_bytes())
}

#[test]
fn errors() {
    let cases: &[(&str, DecodeError)] = &[
        ("<A>&foo;</A>", DecodeError::Entity),
        ("<A B='&nbsp;'/>", DecodeError::Entity),
        ("<A>&#0;</A>", DecodeError::Entity),
        ("<A>a & b</A>", DecodeError::Entity),
        (
            "<A B='1' b='2'/>",
            DecodeError::Malformed("duplicate attribute"),
        ),
        (
            "<A B='1' B='2'/>",
            DecodeError::Malformed("bad attribute syntax"),
        ),
        ("<A B/>", DecodeError::Malformed("bad attribute syntax")),
        ("<A B=1/>", DecodeError::Malformed("bad attribute syntax")),
        ("<A></B>", DecodeError::Malformed("mismatched end tag")),
        ("</A>", DecodeError::Malformed("end tag without start tag")),
        ("<1A/>", DecodeError::Malformed("bad element name")),
        ("< A/>", DecodeError::Malformed("bad element name")),
        ("<A><B></A>", DecodeError::Malformed("mismatched end tag")),
        (
            "<A></SESSION>",
            DecodeError::Malformed("mismatched end tag"),
        ),
        (
            "<!ELEMENT x ANY>",
            DecodeError::Malformed("unexpected markup declaration"),
        ),
        (
            "<![CDATX[",
            DecodeError::Malformed("unexpected markup declaration"),
        ),
    ];
    for (body, want) in cases {
        let (_, err, _) = session(body);
        assert_eq!(err.as_ref(), Some(want), "{body}");
    }
    let (_, err, _) = run(b"<CHAT>x</CHAT>");
    assert_eq!(
        err,
        Some(DecodeError::Malformed("root element is not SESSION"))
    );
    let (_, err, _) = run(b"hello<SESSION>");
    assert_eq!(err, Some(DecodeError::Malformed("text before SESSION")));
    // Without waiting for a `<` that may never come.
    let mut dec = Decoder::new(Limits::SERVER);
    assert_eq!(
        dec.feed(b"GET / HTTP/1.1\r\n").err(),
        Some(DecodeError::Malformed("text before SESSION"))
    );
    let mut dec = Decoder::new(Limits::SERVER);
    assert!(dec.feed(b"\n  ").is_ok());
    assert!(dec.feed(b"\n x").is_err());
    let (_, err, _) = run(b"</SESSION>");
    assert_eq!(err, Some(DecodeError::Malformed("end tag outside SESSION")));
    let (_, err, _) = run(b"<SESSION><A>\xff</A>");
    assert_eq!(err, Some(DecodeError::BadUtf8));
    let (_, err, _) = run(b"<SESSION><A B='\xc3'/>");
    assert_eq!(err, Some(DecodeError::BadUtf8));
    let (_, err, _) = run(b"<SESSION>\xfe<A/>");
    assert_eq!(err, Some(DecodeError::BadUtf8));
}

#[test]
fn characters_xml_forbids_are_refused_wherever_they_are() {
    let bad = DecodeError::Malformed("character not allowed in XML");
    for body in [
        "<A>a\0b</A>",
        "<A>\x1b[2J</A>",
        "<A B='x\x01'/>",
        "\x0c<A/>",
        "<A><![CDATA[\x08]]></A>",
        "<!--\x00--><A/>",
        "<?pi \x07?><A/>",
        "<A>\u{FFFF}</A>",
        "<A B='\u{FFFE}'/>",
    ] {
        assert_eq!(session(body).1, Some(bad.clone()), "{body:?}");
    }
    for body in ["<A>&#1;</A>", "<A B='&#x1F;'/>", "<A>&#xFFFE;</A>"] {
        assert_eq!(session(body).1, Some(DecodeError::Entity), "{body:?}");
    }
    // Refused before the text token is complete, with the error the
    // whole token gets (the first problem by position).
    let mut dec = Decoder::new(Limits::SERVER);
    dec.feed(b"<SESSION><TLS_START/>").unwrap();
    assert_eq!(dec.feed(b"\x16\x03\x01\x00\xc4"), Err(bad.clone()));
    let mut dec = Decoder::new(Limits::SERVER);
    dec.feed(b"<SESSION>").unwrap();
    assert_eq!(dec.feed(b"<A>ok \xe2\x82").unwrap().consumed, 3);
    assert_eq!(dec.feed(b"ok \xe2\x82\xff"), Err(DecodeError::BadUtf8));
    assert_eq!(
        run(b"<SESSION><A>\xff\x01</A>").1,
        Some(DecodeError::BadUtf8)
    );
    assert_eq!(run(b"<SESSION><A>\x01\xff</A>").1, Some(bad.clone()));
    // Tab, LF, CR and every other character stay allowed.
    let (events, err, _) = session("<A B='\t\r\n'>\t\r\n\u{7f}\u{85}&#9;&#xA;\u{FFFD}</A>");
    assert_eq!(err, None);
    assert_eq!(elements(&events)[0].text, "\t\r\n\u{7f}\u{85}\t\n\u{FFFD}");
}

#[test]
fn errors_are_sticky() {
    let mut dec = Decoder::new(Limits::SERVER);
    let p = dec.feed(b"<SESSION><A></B>").unwrap();
    assert_eq!(p.event, Some(Event::SessionStart));
    let e = dec.feed(b"<A></B>").unwrap_err();
    assert_eq!(e, DecodeError::Malformed("mismatched end tag"));
    assert_eq!(dec.feed(b"<A/>").unwrap_err(), e);
}

#[test]
fn limits() {
    let deep = "<A>".repeat(6) + &"</A>".repeat(6);
    let (events, err, _) = session(&deep);
    assert_eq!(err, None);
    assert_eq!(elements(&events).len(), 1);
    let (_, err, _) = session(&("<A>".repeat(7) + &"</A>".repeat(7)));
    assert_eq!(err, Some(DecodeError::TooDeep));
    assert_eq!(DecodeError::TooDeep.code(), "bad xml");

    let attrs: String = (0..17).map(|i| format!(" A{i}='x'")).collect();
    let (_, err, _) = session(&format!("<A{attrs}/>"));
    assert_eq!(err, Some(DecodeError::TooLarge("attributes")));

    let kids = "<B/>".repeat(1025);
    let (_, err, _) = session(&format!("<A>{kids}</A>"));
    assert_eq!(err, Some(DecodeError::TooLarge("child elements")));
    let (_, err, _) = session(&format!("<A>{}</A>", "<B/>".repeat(1024)));
    assert_eq!(err, None);

    let text = "x".repeat(4097);
    let (_, err, _) = session(&format!("<A>{text}</A>"));
    assert_eq!(err, Some(DecodeError::TooLarge("element text")));
    assert_eq!(DecodeError::TooLarge("x").code(), "bad options");
    let (_, err, _) = session(&format!(
        "<A>{}<![CDATA[{}]]></A>",
        "x".repeat(4000),
        "y".repeat(97)
    ));
    assert_eq!(err, Some(DecodeError::TooLarge("element text")));
    let (_, err, _) = session(&format!("<A>{}</A>", "x".repeat(4096)));
    assert_eq!(err, None);

    // Many text chunks separated by children: whole message bound.
    let body = format!("<B>{}</B>", "y".repeat(4000)).repeat(9);
    let (_, err, _) = session(&format!("<A>{body}</A>"));
    assert_eq!(err, Some(DecodeError::TooLarge("message")));

    let tag = format!("<A B='{}'/>", "z".repeat(9000));
    let (_, err, _) = session(&tag);
    assert_eq!(err, Some(DecodeError::TooLarge("tag")));
    // Same when the tag is still incomplete.
    let (_, err, _) = session(&tag[..8500]);
    assert_eq!(err, Some(DecodeError::TooLarge("tag")));
    let (_, err, _) = session(&format!("<A>{}", "w".repeat(8193)));
    assert_eq!(err, Some(DecodeError::TooLarge("token")));
    let (_, err, _) = session(&format!("<A><!--{}", "-".repeat(9000)));
    assert_eq!(err, Some(DecodeError::TooLarge("token")));
}

#[test]
fn loose_text_flood_guard() {
    let (_, err, total) = session(&" ".repeat(512));
    assert_eq!(err, None);
    assert_eq!(total, "<SESSION>".len());
    let (_, err, _) = session(&" ".repeat(513));
    assert_eq!(err, Some(DecodeError::TooLarge("text between messages")));
    let (_, err, _) = session(&(" ".repeat(300) + "<!--x-->" + &" ".repeat(300) + "<A/>"));
    assert_eq!(err, Some(DecodeError::TooLarge("text between messages")));
    // A message in between resets the run.
    let body = " ".repeat(300) + "<A/>" + &" ".repeat(300) + "<A/>";
    let (events, err, _) = session(&body);
    assert_eq!(err, None);
    assert_eq!(elements(&events).len(), 2);
    let (_, err, _) = session(&format!("{}<A/>", "junk".repeat(200)));
    assert_eq!(err, Some(DecodeError::TooLarge("text between messages")));
}

#[test]
fn pending_bytes_bounded_whatever_the_split() {
    // A slow drip of text that never ends is refused once it exceeds
    // the bound, never buffered without limit.
    let input = format!("<SESSION><A>{}", "q".repeat(20_000));
    let cuts: Vec<usize> = (1..input.len()).step_by(7).collect();
    let (_, err, _) = run_chunks(Limits::SERVER, input.as_bytes(), &cuts);
    assert_eq!(err, Some(DecodeError::TooLarge("token")));
}

#[test]
fn self_closing_session_and_prolog_bits() {
    let mut dec = Decoder::new(Limits::SERVER);
    let input = b"\xEF\xBB\xBF<?xml version='1.0'?>\n<!-- hi -->\n<SESSION/>tail";
    let p = dec.feed(input).unwrap();
    assert_eq!(p.event, Some(Event::SessionStart));
    assert_eq!(&input[p.consumed..], b"tail");
    assert!(!dec.session_ended());
    let p = dec.feed(b"tail").unwrap();
    assert_eq!(
        p,
        Progress {
            consumed: 0,
            event: Some(Event::SessionEnd)
        }
    );
    assert!(dec.session_ended());
    assert_eq!(dec.feed(b"tail").unwrap(), Progress::idle());
}

#[test]
fn attribute_quirks() {
    let (events, err, _) = session("<A B=\"it's\" C='say \"hi\"' D = 'x&amp;lt;y' E='a\tb'/>");
    assert_eq!(err, None);
    let a = elements(&events)[0];
    assert_eq!(a.attr("B"), Some("it's"));
    assert_eq!(a.attr("C"), Some("say \"hi\""));
    assert_eq!(a.attr("D"), Some("x&lt;y"));
    assert_eq!(a.attr("E"), Some("a\tb"));
    // Missing whitespace between attributes: tolerated (quick-xml's
    // attribute reader is lenient here; nothing is ambiguous).
    let (events, err, _) = session("<A B='1'C='2'/>");
    assert_eq!(err, None);
    assert_eq!(elements(&events)[0].attr("C"), Some("2"));
    // Unescaped '<' in a value (ggzcore does not escape CHAT TO): tolerated.
    let (events, err, _) = session("<CHAT TO='a<b'>x</CHAT>");
    assert_eq!(err, None);
    assert_eq!(elements(&events)[0].attr("TO"), Some("a<b"));
}

#[test]
fn mid_element_state() {
    let mut dec = Decoder::new(Limits::SERVER);
    dec.feed(b"<SESSION>").unwrap();
    assert!(dec.in_session());
    let p = dec.feed(b"<LOGIN><NAME>x").unwrap();
    assert_eq!(p.consumed, 13);
    assert!(dec.is_mid_element());
    let p = dec.feed(b"x</NAME></LOGIN >").unwrap();
    assert_eq!(p.consumed, 17);
    assert!(!dec.is_mid_element());
    let Some(Event::Element(e)) = p.event else {
        panic!("no element")
    };
    assert_eq!(e.child("NAME").unwrap().text, "x");
}
