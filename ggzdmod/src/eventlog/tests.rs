use super::*;
use std::path::PathBuf;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ggzdmod-eventlog-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A log of `bodies` (each line's text before its check) with a correct
/// chain: what a forger who knows the format can write.
fn chained(game: &str, bodies: &[&str]) -> String {
    let header = header_line(game);
    let mut chain = chain_start(&header);
    let mut out = format!("{header}\n");
    for body in bodies {
        chain = chain_next(&chain, body);
        out.push_str(&format!("{body} {}\n", hex(&chain)));
    }
    out
}

fn corrupt_line(result: Result<ParsedLog, LogError>) -> (usize, String) {
    match result {
        Err(LogError::Corrupt { line, why }) => (line, why),
        other => panic!("expected a corrupt log, got {other:?}"),
    }
}

#[test]
fn round_trip() {
    let dir = temp_dir("round");
    let mut log = EventLog::create(&dir, "TicTacToe").unwrap();
    assert_eq!(log.version(), 0);
    assert_eq!(log.append("seat", b"\x00alice").unwrap(), 1);
    assert_eq!(log.append("start", b"").unwrap(), 2);
    assert_eq!(log.append("move", &[0, 4]).unwrap(), 3);
    let all: Vec<u8> = (0..=255).collect();
    assert_eq!(log.append("blob_2-x", &all).unwrap(), 4);
    assert_eq!(log.version(), 4);
    let name = log.file_name().to_owned();
    assert!(name.starts_with(FILE_PREFIX) && name.len() == FILE_PREFIX.len() + 6);
    assert!(
        name[FILE_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
    );
    assert_eq!(log.path(), dir.join(&name));

    let bytes = std::fs::read(log.path()).unwrap();
    assert!(bytes.starts_with(b"ggz-event-log 1 TicTacToe\n"));
    assert!(is_event_log(&bytes));
    let parsed = parse(&bytes, 100).unwrap();
    assert_eq!(parsed.game, "TicTacToe");
    assert!(!parsed.complete, "no end line yet");
    let kinds: Vec<&str> = parsed.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["seat", "start", "move", "blob_2-x"]);
    assert_eq!(parsed.events[0].data, b"\x00alice");
    assert!(parsed.events[1].data.is_empty());
    assert_eq!(parsed.events[3].data, all);
    assert!(
        parsed
            .events
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as u64 + 1)
    );
    assert!(parsed.events[0].time_ms > 1_600_000_000_000);

    log.finish().unwrap();
    log.finish().unwrap();
    assert!(
        log.append("move", &[1, 0]).is_err(),
        "nothing after the end"
    );
    let parsed = load(log.path(), 1 << 20, 100).unwrap();
    assert!(parsed.complete);
    assert_eq!(parsed.events.len(), 4);

    // A restored game's log starts with the old events, times kept.
    let mut again = EventLog::create_from(&dir, "TicTacToe", &parsed.events).unwrap();
    assert_ne!(again.file_name(), name);
    assert_eq!(again.version(), 4);
    assert_eq!(again.append("move", &[1, 0]).unwrap(), 5);
    let reread = load(again.path(), 1 << 20, 100).unwrap();
    assert_eq!(reread.events[..4], parsed.events[..]);
    assert_eq!(reread.events[4].kind, "move");

    // Out-of-sequence events are not copied into a new log.
    let mut shuffled = parsed.events.clone();
    shuffled.swap(0, 1);
    assert!(EventLog::create_from(&dir, "TicTacToe", &shuffled).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn game_names_are_escaped() {
    for game in ["Tic Tac Toe", "100%", "Ünïcode", "a"] {
        let text = chained(game, &["1 5 start -"]);
        let header = text.lines().next().unwrap();
        assert!(
            header.is_ascii() && header.matches(' ').count() == 2,
            "{header}"
        );
        assert_eq!(parse(text.as_bytes(), 10).unwrap().game, game);
    }
    assert_eq!(header_line("TicTacToe"), "ggz-event-log 1 TicTacToe");
    let dir = temp_dir("names");
    assert!(EventLog::create(&dir, "").is_err());
    assert!(EventLog::create(&dir, &"x".repeat(MAX_GAME_LEN + 1)).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writer_refuses_bad_events_and_keeps_its_limits() {
    let dir = temp_dir("limits");
    let mut log = EventLog::create(&dir, "G").unwrap();
    for kind in [
        "",
        "Move",
        "9lives",
        "a b",
        &"k".repeat(MAX_KIND_LEN + 1),
        "é",
    ] {
        assert!(log.append(kind, b"").is_err(), "{kind:?}");
    }
    assert!(log.append("big", &vec![0; MAX_EVENT_DATA + 1]).is_err());
    assert_eq!(log.version(), 0, "nothing refused was written");
    log.set_limits(2, 1 << 20);
    log.append("a", b"").unwrap();
    log.append("a", b"").unwrap();
    let e = log.append("a", b"").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
    log.set_limits(100, 100);
    assert!(log.append("a", &[0; 64]).is_err(), "byte bound");
    log.finish().unwrap();
    let parsed = load(log.path(), 1 << 20, 10).unwrap();
    assert_eq!(parsed.events.len(), 2);
    assert!(parsed.complete);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn changed_line_breaks_the_chain() {
    let good = chained("G", &["1 10 move 0004", "2 11 move 0100", "end 2"]);
    assert!(parse(good.as_bytes(), 10).unwrap().complete);
    // A different move, same shape: only the chain notices.
    let bad = good.replacen("0004", "0005", 1);
    let (line, why) = corrupt_line(parse(bad.as_bytes(), 10));
    assert_eq!(line, 2);
    assert!(why.contains("chain"), "{why}");
    // A changed check itself.
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    let last = lines[2].pop().unwrap();
    lines[2].push(if last == '0' { '1' } else { '0' });
    let bad = lines.join("\n") + "\n";
    assert_eq!(corrupt_line(parse(bad.as_bytes(), 10)).0, 3);
    // A removed line: the next one no longer chains (or numbers) on.
    let removed: Vec<&str> = good
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    let bad = removed.join("\n") + "\n";
    assert_eq!(corrupt_line(parse(bad.as_bytes(), 10)).0, 2);
    // Another game name on the first line.
    let bad = good.replacen("ggz-event-log 1 G", "ggz-event-log 1 H", 1);
    assert_eq!(corrupt_line(parse(bad.as_bytes(), 10)).0, 2);
}

#[test]
fn truncated_lines() {
    let good = chained("G", &["1 10 move 0004", "2 11 move 0100"]);
    let whole = parse(good.as_bytes(), 10).unwrap();
    assert_eq!(whole.events.len(), 2);
    assert!(!whole.complete);
    // Cut anywhere inside the last line (or before its newline).
    let start_of_last = good.trim_end().rfind('\n').unwrap() + 1;
    for cut in start_of_last + 1..good.len() {
        let (line, why) = corrupt_line(parse(&good.as_bytes()[..cut], 10));
        assert_eq!(line, 3, "cut at {cut}");
        assert!(why.contains("truncated") || why.contains("chain"), "{why}");
    }
    // Cut right after a newline: a shorter, valid, unfinished log.
    assert_eq!(
        parse(&good.as_bytes()[..start_of_last], 10)
            .unwrap()
            .events
            .len(),
        1
    );
    // Only a piece of the first line.
    assert_eq!(corrupt_line(parse(b"ggz-event-log 1 Ti", 10)).0, 1);
}

#[test]
fn bad_hex_and_bad_fields() {
    let cases: &[(&str, &str)] = &[
        ("1 10 move 00G4", "hex"),
        ("1 10 move 0004A", "hex"),
        ("1 10 move 00A4", "hex"),
        ("1 10 move ", "hex"),
        ("1 10 move", "not an event line"),
        ("1 10 move 00 04", "not an event line"),
        ("01 10 move 0004", "sequence"),
        ("1 +10 move 0004", "time"),
        ("1 10 Move 0004", "kind"),
        ("x 10 move -", "sequence"),
        ("end", "not an event line"),
        ("end x", "count"),
    ];
    for (body, expect) in cases {
        let text = chained("G", &[body]);
        let (line, why) = corrupt_line(parse(text.as_bytes(), 10));
        assert_eq!(line, 2, "{body}");
        assert!(why.contains(expect), "{body}: {why}");
    }
    // Bad hex in the check itself.
    let text = "ggz-event-log 1 G\n1 10 move - 00112233445566zz\n";
    assert!(corrupt_line(parse(text.as_bytes(), 10)).1.contains("hex"));
    let text = "ggz-event-log 1 G\n1 10 move - 0011\n";
    assert!(
        corrupt_line(parse(text.as_bytes(), 10))
            .1
            .contains("16 hex")
    );
    // Control characters, CRLF and bytes above ASCII.
    for bad in ["1 10 move -\r", "1 10 move -\t", "1 10 m\u{e9}ve -"] {
        let text = chained("G", &[bad]);
        assert!(
            corrupt_line(parse(text.as_bytes(), 10)).1.contains("ASCII"),
            "{bad:?}"
        );
    }
    // A bad escape in the game name.
    assert_eq!(corrupt_line(parse(b"ggz-event-log 1 a%zz\n", 10)).0, 1);
    assert_eq!(corrupt_line(parse(b"ggz-event-log 1 a b\n", 10)).0, 1);
}

#[test]
fn sequence_gaps_and_going_back() {
    let gap = chained("G", &["1 10 start -", "3 11 move 0004"]);
    let (line, why) = corrupt_line(parse(gap.as_bytes(), 10));
    assert_eq!(line, 3);
    assert!(why.contains("sequence number 3 after 1"), "{why}");
    let back = chained("G", &["1 10 start -", "2 11 move 0004", "2 12 move 0100"]);
    assert_eq!(corrupt_line(parse(back.as_bytes(), 10)).0, 4);
    let zero = chained("G", &["0 10 start -"]);
    assert_eq!(corrupt_line(parse(zero.as_bytes(), 10)).0, 2);
    let count = chained("G", &["1 10 start -", "end 2"]);
    assert!(
        corrupt_line(parse(count.as_bytes(), 10))
            .1
            .contains("counts 2")
    );
    let after_end = chained("G", &["1 10 start -", "end 1", "2 10 start -"]);
    assert!(
        corrupt_line(parse(after_end.as_bytes(), 10))
            .1
            .contains("after the end")
    );
    let empty_line = chained("G", &["1 10 start -"]) + "\n";
    assert_eq!(corrupt_line(parse(empty_line.as_bytes(), 10)).0, 3);
}

#[test]
fn wrong_magic() {
    for bytes in [
        &b""[..],
        b"ggz-event-log 1",
        b"ggz-event-log 1\n",
        b"ggz-event-log 2 G\n",
        b"GGZ-EVENT-LOG 1 G\n",
        b"player1 join alice\nplayers start 1\n",
        b"\xff\xfe",
    ] {
        assert_eq!(parse(bytes, 10), Err(LogError::NotALog), "{bytes:?}");
        assert!(!is_event_log(bytes));
    }
    assert!(is_event_log(b"ggz-event-log 1 "));
}

#[test]
fn too_many_events() {
    let text = chained("G", &["1 10 start -", "2 11 move 0004", "3 12 move 0100"]);
    assert_eq!(parse(text.as_bytes(), 3).unwrap().events.len(), 3);
    assert_eq!(parse(text.as_bytes(), 2), Err(LogError::TooLarge));
    assert_eq!(parse(text.as_bytes(), 0), Err(LogError::TooLarge));
    let dir = temp_dir("large");
    let path = dir.join("log");
    std::fs::write(&path, &text).unwrap();
    assert_eq!(load(&path, text.len() as u64, 10).unwrap().events.len(), 3);
    assert_eq!(
        load(&path, text.len() as u64 - 1, 10),
        Err(LogError::TooLarge)
    );
    assert!(matches!(
        load(dir.join("none"), 100, 10),
        Err(LogError::Io(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_read_well() {
    let e = LogError::Corrupt {
        line: 3,
        why: "the chain check does not match".to_owned(),
    };
    assert_eq!(e.to_string(), "line 3: the chain check does not match");
    assert!(LogError::NotALog.to_string().contains(MAGIC));
}

#[test]
fn stale_versions() {
    assert_eq!(check_version(5, 0, 5), Freshness::Accept);
    assert_eq!(check_version(5, 0, 4), Freshness::Stale { current: 5 });
    assert_eq!(check_version(5, 0, 6), Freshness::Future { last: 5 });
    assert_eq!(check_version(5, 2, 7), Freshness::Accept);
    assert_eq!(check_version(5, 2, 8), Freshness::Future { last: 7 });
    assert_eq!(check_version(u64::MAX, 9, u64::MAX), Freshness::Accept);
    assert!(check_version(0, 0, 0).is_accept());

    let dir = temp_dir("stale");
    let mut log = EventLog::create(&dir, "G").unwrap();
    assert!(log.check_move(0).is_accept());
    log.append("move", &[0, 4]).unwrap();
    assert_eq!(log.check_move(0), Freshness::Stale { current: 1 });
    assert!(log.check_move(1).is_accept());
    assert_eq!(log.check_move(2), Freshness::Future { last: 1 });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_buffered_log_writes_whole_lines_together() {
    let dir = temp_dir("buffered");
    let mut log = EventLog::create(&dir, "G").unwrap();
    let header = std::fs::read(log.path()).unwrap();
    log.set_buffer(200, std::time::Duration::from_secs(3600))
        .unwrap();
    log.append("turn", &[1; 10]).unwrap();
    log.append("turn", &[2; 10]).unwrap();
    // Held: the file is still the header alone, a valid empty log.
    assert_eq!(std::fs::read(log.path()).unwrap(), header);
    assert!(log.held_bytes() > 0);
    assert!(parse(&header, 10).unwrap().events.is_empty());
    // The byte bound writes everything held, whole lines only.
    while log.held_bytes() > 0 {
        log.append("turn", &[3; 10]).unwrap();
    }
    let on_disk = std::fs::read(log.path()).unwrap();
    let parsed = parse(&on_disk, 100).unwrap();
    assert_eq!(parsed.events.len() as u64, log.version());
    assert!(!parsed.complete);
    // A cut at any line boundary is a valid, shorter log.
    let lines: Vec<usize> = on_disk
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    for (n, end) in lines.iter().enumerate() {
        let cut = parse(&on_disk[..*end], 100).unwrap();
        assert_eq!(cut.events.len(), n);
    }
    // Explicit flush, then finish with lines held: all of it, end line last.
    log.append("turn", &[4; 10]).unwrap();
    log.flush().unwrap();
    assert_eq!(log.held_bytes(), 0);
    log.append("turn", &[5; 10]).unwrap();
    log.finish().unwrap();
    let parsed = parse(&std::fs::read(log.path()).unwrap(), 100).unwrap();
    assert!(parsed.complete);
    assert_eq!(parsed.events.len() as u64, log.version());
    assert_eq!(parsed.events.last().unwrap().data, vec![5; 10]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_buffered_log_writes_old_lines_and_on_drop() {
    let dir = temp_dir("buffered-age");
    let mut log = EventLog::create(&dir, "G").unwrap();
    // Age zero: every append writes what is held.
    log.set_buffer(1 << 20, std::time::Duration::ZERO).unwrap();
    log.append("turn", b"a").unwrap();
    assert_eq!(log.held_bytes(), 0);
    log.set_buffer(1 << 20, std::time::Duration::from_secs(3600))
        .unwrap();
    log.append("turn", b"b").unwrap();
    log.append("turn", b"c").unwrap();
    let path = log.path().to_owned();
    assert_eq!(
        parse(&std::fs::read(&path).unwrap(), 10)
            .unwrap()
            .events
            .len(),
        1
    );
    // Dropped open (the game server ends without finishing the log).
    drop(log);
    let parsed = parse(&std::fs::read(&path).unwrap(), 10).unwrap();
    assert_eq!(parsed.events.len(), 3);
    assert!(!parsed.complete);
    std::fs::remove_dir_all(&dir).unwrap();
}
