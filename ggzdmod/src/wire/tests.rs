//! Round trips, exact bytes and hostile input for both directions.

use super::*;

fn enc_game(m: &ToGame, layout: LaunchLayout) -> (Vec<u8>, Trailer) {
    let mut out = Vec::new();
    let t = m.encode(layout, &mut out).unwrap();
    (out, t)
}

fn enc_server(m: &ToServer) -> Vec<u8> {
    let mut out = Vec::new();
    m.encode(&mut out).unwrap();
    out
}

/// Checks encoding against the expected bytes, decoding them back, and
/// that every strict prefix asks for more (with a hint that stays inside
/// the message).
fn check_game(m: ToGame, layout: LaunchLayout, bytes: &[u8]) {
    let (out, trailer) = enc_game(&m, layout);
    assert_eq!(out, bytes, "encoding of {m:?}");
    assert_eq!(trailer == Trailer::Fd, m.carries_fd());
    let mut with_extra = bytes.to_vec();
    with_extra.extend_from_slice(&[0, 0, 0, 4]);
    match ToGame::decode(&with_extra, layout).unwrap() {
        Decoded::Message {
            msg,
            consumed,
            fd_follows,
        } => {
            assert_eq!(msg, m);
            assert_eq!(consumed, bytes.len());
            assert_eq!(fd_follows, m.carries_fd());
        }
        other => panic!("expected message, got {other:?}"),
    }
    for cut in 0..bytes.len() {
        match ToGame::decode(&bytes[..cut], layout).unwrap() {
            Decoded::NeedMore(n) => {
                assert!(n >= 1 && cut + n <= bytes.len(), "cut {cut} hint {n}")
            }
            other => panic!("prefix {cut} decoded to {other:?}"),
        }
    }
}

fn check_server(m: ToServer, bytes: &[u8]) {
    assert_eq!(enc_server(&m), bytes, "encoding of {m:?}");
    let mut with_extra = bytes.to_vec();
    with_extra.extend_from_slice(&[0, 0, 0, 0]);
    match ToServer::decode(&with_extra).unwrap() {
        Decoded::Message {
            msg,
            consumed,
            fd_follows,
        } => {
            assert_eq!(msg, m);
            assert_eq!(consumed, bytes.len());
            assert!(!fd_follows);
        }
        other => panic!("expected message, got {other:?}"),
    }
    for cut in 0..bytes.len() {
        match ToServer::decode(&bytes[..cut]).unwrap() {
            Decoded::NeedMore(n) => {
                assert!(n >= 1 && cut + n <= bytes.len(), "cut {cut} hint {n}")
            }
            other => panic!("prefix {cut} decoded to {other:?}"),
        }
    }
}

// Byte vectors below are written by hand from the spec tables.

#[rustfmt::skip]
const FOURINLINE_TRUNK: &[u8] = &[
    0, 0, 0, 0,
    0, 0, 0, 0x0b, b'f', b'o', b'u', b'r', b'i', b'n', b'l', b'i', b'n', b'e', 0,
    0, 0, 0, 1, 0,
    0, 0, 0, 2,
    0, 0, 0, 0,
    0, 0, 0, 1,
    0, 0, 0, 2,
    0, 0, 0, 1, 0,
];

fn fourinline() -> ToGame {
    ToGame::Launch {
        game: "fourinline".into(),
        savegame: None,
        seats: vec![LaunchSeat::Open, LaunchSeat::Bot(String::new())],
        spectators: 0,
    }
}

#[test]
fn launch_trunk_spec_example() {
    check_game(fourinline(), LaunchLayout::Trunk, FOURINLINE_TRUNK);
}

#[test]
fn launch_legacy_two_seats_open_and_bot() {
    #[rustfmt::skip]
    let bytes = [
        0, 0, 0, 0,
        0, 0, 0, 0x0b, b'f', b'o', b'u', b'r', b'i', b'n', b'l', b'i', b'n', b'e', 0,
        0, 0, 0, 2,
        0, 0, 0, 0,
        0, 0, 0, 1,
        0, 0, 0, 2,
        0, 0, 0, 1, 0,
    ];
    check_game(fourinline(), LaunchLayout::Legacy, &bytes);
}

#[test]
fn launch_trunk_with_savegame_and_reserved() {
    #[rustfmt::skip]
    let bytes = [
        0, 0, 0, 0,
        0, 0, 0, 4, b't', b't', b't', 0,
        0, 0, 0, 3, b's', b'1', 0,
        0, 0, 0, 3,
        0, 0, 0, 0,
        0, 0, 0, 4, 0, 0, 0, 4, b'b', b'o', b'b', 0,
        0, 0, 0, 2, 0, 0, 0, 4, b'H', b'A', b'L', 0,
        0, 0, 0, 1,
    ];
    check_game(
        ToGame::Launch {
            game: "ttt".into(),
            savegame: Some("s1".into()),
            seats: vec![
                LaunchSeat::Reserved("bob".into()),
                LaunchSeat::Bot("HAL".into()),
                LaunchSeat::Open,
            ],
            spectators: 0,
        },
        LaunchLayout::Trunk,
        &bytes,
    );
}

#[test]
fn launch_savegame_legacy_is_refused() {
    let m = ToGame::Launch {
        game: "x".into(),
        savegame: Some("save".into()),
        seats: vec![LaunchSeat::Open],
        spectators: 0,
    };
    let mut out = vec![9];
    assert_eq!(
        m.encode(LaunchLayout::Legacy, &mut out),
        Err(WireError::SavegameInLegacyLayout)
    );
    assert_eq!(out, [9], "failed encode leaves the buffer alone");
}

#[test]
fn launch_savegame_empty_string_is_none() {
    let m = ToGame::Launch {
        game: "x".into(),
        savegame: Some(String::new()),
        seats: vec![LaunchSeat::Open],
        spectators: 0,
    };
    let (bytes, _) = enc_game(&m, LaunchLayout::Legacy);
    let (trunk, _) = enc_game(&m, LaunchLayout::Trunk);
    match ToGame::decode(&trunk, LaunchLayout::Trunk).unwrap() {
        Decoded::Message {
            msg: ToGame::Launch { savegame, .. },
            ..
        } => assert_eq!(savegame, None),
        other => panic!("{other:?}"),
    }
    assert_eq!(trunk.len(), bytes.len() + 5);
}

#[test]
fn launch_rejects_bad_seat_kinds_and_counts() {
    // PLAYER (3) is not allowed in a launch.
    let bytes = [
        0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3,
    ];
    assert_eq!(
        ToGame::decode(&bytes, LaunchLayout::Legacy),
        Err(WireError::BadSeatKind(3))
    );
    // No seats, no spectators.
    let bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        ToGame::decode(&bytes, LaunchLayout::Legacy),
        Err(WireError::EmptyLaunch)
    );
    // Negative and huge seat counts fail before any seat is read.
    let bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        ToGame::decode(&bytes, LaunchLayout::Legacy),
        Err(WireError::BadCount { value: -1, .. })
    ));
    let bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1];
    assert!(matches!(
        ToGame::decode(&bytes, LaunchLayout::Legacy),
        Err(WireError::BadCount { value: 257, .. })
    ));
    let m = ToGame::Launch {
        game: "x".into(),
        savegame: None,
        seats: vec![LaunchSeat::Open; MAX_SEATS + 1],
        spectators: 0,
    };
    assert!(matches!(
        m.encode(LaunchLayout::Trunk, &mut Vec::new()),
        Err(WireError::BadCount { .. })
    ));
}

#[test]
fn seat_player_spec_example() {
    #[rustfmt::skip]
    let bytes = [
        0, 0, 0, 1,
        0, 0, 0, 0,
        0, 0, 0, 3,
        0, 0, 0, 4, b'b', b'o', b'b', 0,
    ];
    check_game(
        ToGame::Seat {
            num: 0,
            kind: SeatKind::Player,
            name: "bob".into(),
        },
        LaunchLayout::Trunk,
        &bytes,
    );
}

#[test]
fn seat_open_and_abandoned() {
    let bytes = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    check_game(
        ToGame::Seat {
            num: 2,
            kind: SeatKind::Open,
            name: String::new(),
        },
        LaunchLayout::Legacy,
        &bytes,
    );
    let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 2, b'x', 0];
    check_game(
        ToGame::Seat {
            num: 1,
            kind: SeatKind::Abandoned,
            name: "x".into(),
        },
        LaunchLayout::Trunk,
        &bytes,
    );
    let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 1, 0];
    assert_eq!(
        ToGame::decode(&bytes, LaunchLayout::Trunk),
        Err(WireError::BadSeatKind(9))
    );
    let bytes = [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe];
    assert!(matches!(
        ToGame::decode(&bytes, LaunchLayout::Trunk),
        Err(WireError::BadCount { value: -2, .. })
    ));
}

#[test]
fn spectator_seat_join_and_leave() {
    let bytes = [0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, b'e', b'v', b'e', 0];
    check_game(
        ToGame::SpectatorSeat {
            num: 3,
            name: "eve".into(),
        },
        LaunchLayout::Trunk,
        &bytes,
    );
    let bytes = [0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0];
    check_game(
        ToGame::SpectatorSeat {
            num: 3,
            name: String::new(),
        },
        LaunchLayout::Trunk,
        &bytes,
    );
}

#[test]
fn reseat_and_ack() {
    #[rustfmt::skip]
    let bytes = [
        0, 0, 0, 3,
        0, 0, 0, 1,
        0, 0, 0, 1,
        0, 0, 0, 0,
        0, 0, 0, 0,
    ];
    check_game(
        ToGame::Reseat {
            old: 1,
            was_spectator: true,
            new: 0,
            is_spectator: false,
        },
        LaunchLayout::Trunk,
        &bytes,
    );
    check_game(ToGame::StateAck, LaunchLayout::Legacy, &[0, 0, 0, 4]);
}

#[test]
fn to_game_unknown_opcodes() {
    for op in [5i32, -1, 0x7fff_ffff, 6] {
        assert_eq!(
            ToGame::decode(&op.to_be_bytes(), LaunchLayout::Trunk),
            Err(WireError::UnknownOpcode(op))
        );
    }
}

#[test]
fn log_and_state_spec_examples() {
    check_server(
        ToServer::Log("hi".into()),
        &[0, 0, 0, 0, 0, 0, 0, 3, b'h', b'i', 0],
    );
    check_server(ToServer::Log(String::new()), &[0, 0, 0, 0, 0, 0, 0, 1, 0]);
    check_server(ToServer::State(GameState::Waiting), &[0, 0, 0, 1, 1]);
    check_server(ToServer::State(GameState::Playing), &[0, 0, 0, 1, 2]);
    check_server(ToServer::State(GameState::Done), &[0, 0, 0, 1, 3]);
    check_server(ToServer::State(GameState::Created), &[0, 0, 0, 1, 0]);
    check_server(ToServer::InvalidState(0xff), &[0, 0, 0, 1, 0xff]);
}

#[test]
fn int_requests() {
    check_server(ToServer::NumSeats(5), &[0, 0, 0, 2, 0, 0, 0, 5]);
    check_server(
        ToServer::NumSeats(-1),
        &[0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff],
    );
    check_server(ToServer::Bot(1), &[0, 0, 0, 4, 0, 0, 0, 1]);
    check_server(ToServer::Open(258), &[0, 0, 0, 5, 0, 0, 1, 2]);
}

#[test]
fn string_requests() {
    check_server(
        ToServer::Boot("bob".into()),
        &[0, 0, 0, 3, 0, 0, 0, 4, b'b', b'o', b'b', 0],
    );
    check_server(
        ToServer::SavegameReport("a/b".into()),
        &[0, 0, 0, 7, 0, 0, 0, 4, b'a', b'/', b'b', 0],
    );
}

#[test]
fn report_spec_example() {
    #[rustfmt::skip]
    let bytes = [
        0, 0, 0, 6, 0, 0, 0, 2,
        0, 0, 0, 4, b'b', b'o', b'b', 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 3, b'A', b'I', 0,       0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
    ];
    check_server(
        ToServer::Report(vec![
            ReportRecord {
                name: "bob".into(),
                kind: SeatKind::Player,
                team: 0,
                result: GameResult::Win,
                score: 0,
            },
            ReportRecord {
                name: "AI".into(),
                kind: SeatKind::Bot,
                team: 1,
                result: GameResult::Loss,
                score: 0,
            },
        ]),
        &bytes,
    );
    check_server(ToServer::Report(vec![]), &[0, 0, 0, 6, 0, 0, 0, 0]);
}

#[test]
fn report_with_bad_values_is_consumed_whole() {
    #[rustfmt::skip]
    let bytes = [
        0, 0, 0, 6, 0, 0, 0, 2,
        0, 0, 0, 2, b'a', 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0,
        0, 0, 0, 2, b'b', 0, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
        0, 0, 0, 4,
    ];
    match ToServer::decode(&bytes).unwrap() {
        Decoded::Message { msg, consumed, .. } => {
            assert_eq!(consumed, bytes.len() - 4);
            assert_eq!(
                msg,
                ToServer::InvalidReport {
                    record: 0,
                    field: "result",
                    value: 7
                }
            );
        }
        other => panic!("{other:?}"),
    }
    let too_many = [0, 0, 0, 6, 0, 0, 1, 1];
    assert!(matches!(
        ToServer::decode(&too_many),
        Err(WireError::BadCount { value: 257, .. })
    ));
}

#[test]
fn malformed_strings() {
    // Length 0.
    assert_eq!(
        ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 0]),
        Err(WireError::BadStringLength(0))
    );
    // Negative length.
    assert_eq!(
        ToServer::decode(&[0, 0, 0, 3, 0x80, 0, 0, 0]),
        Err(WireError::BadStringLength(i32::MIN))
    );
    // 32769 is one past the limit; rejected before the bytes arrive.
    assert_eq!(
        ToServer::decode(&[0, 0, 0, 0, 0, 0, 0x80, 0x01]),
        Err(WireError::BadStringLength(32769))
    );
    // 32768 is allowed: we are just told to wait for it.
    assert_eq!(
        ToServer::decode(&[0, 0, 0, 0, 0, 0, 0x80, 0x00]).unwrap(),
        Decoded::NeedMore(32768)
    );
    // Missing NUL.
    assert_eq!(
        ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']),
        Err(WireError::MissingNul)
    );
    // NUL inside.
    assert_eq!(
        ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 3, b'a', 0, 0]),
        Err(WireError::InteriorNul)
    );
    // Invalid UTF-8 is replaced, not refused.
    match ToServer::decode(&[0, 0, 0, 0, 0, 0, 0, 3, b'a', 0xe9, 0]).unwrap() {
        Decoded::Message {
            msg: ToServer::Log(s),
            ..
        } => assert_eq!(s, "a\u{fffd}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unencodable_strings() {
    let long = "x".repeat(MAX_STRING_LEN);
    assert_eq!(
        ToServer::Log(long).encode(&mut Vec::new()),
        Err(WireError::StringTooLong(MAX_STRING_LEN))
    );
    let fits = "x".repeat(MAX_STRING_LEN - 1);
    let bytes = enc_server(&ToServer::Log(fits.clone()));
    assert_eq!(bytes.len(), 8 + MAX_STRING_LEN);
    assert!(matches!(
        ToServer::decode(&bytes).unwrap(),
        Decoded::Message { msg: ToServer::Log(s), .. } if s == fits
    ));
    assert_eq!(
        ToServer::Boot("a\0b".into()).encode(&mut Vec::new()),
        Err(WireError::InteriorNul)
    );
    let r = ToServer::InvalidReport {
        record: 0,
        field: "type",
        value: 9,
    };
    assert!(r.encode(&mut Vec::new()).is_err());
}

#[test]
fn to_server_unknown_opcodes() {
    for op in [8i32, -1, 100, i32::MIN] {
        assert_eq!(
            ToServer::decode(&op.to_be_bytes()),
            Err(WireError::UnknownOpcode(op))
        );
    }
}

#[test]
fn garbage_never_panics() {
    // A cheap deterministic generator: decode many pseudo-random buffers
    // and make sure nothing panics and hints are sane.
    let mut x: u32 = 0x1234_5678;
    for _ in 0..20_000 {
        let mut buf = Vec::new();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let len = (x % 40) as usize;
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Keep bytes small often, so opcodes and lengths are
            // plausible and deep paths get exercised.
            buf.push(if x.is_multiple_of(3) {
                (x >> 8) as u8
            } else {
                (x % 6) as u8
            });
        }
        for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
            if let Ok(Decoded::Message { consumed, .. }) = ToGame::decode(&buf, layout) {
                assert!(consumed <= buf.len());
            }
        }
        if let Ok(Decoded::Message { consumed, .. }) = ToServer::decode(&buf) {
            assert!(consumed <= buf.len());
        }
    }
}

#[test]
fn enum_tables() {
    for v in 0..6 {
        assert_eq!(SeatKind::from_wire(v).unwrap().to_wire(), v);
    }
    assert_eq!(SeatKind::from_wire(6), None);
    assert_eq!(SeatKind::from_wire(-1), None);
    for v in 0..4 {
        assert_eq!(GameState::from_wire(v).unwrap().to_wire(), v);
    }
    assert_eq!(GameState::from_wire(4), None);
    for v in 0..5 {
        assert_eq!(GameResult::from_wire(v).unwrap().to_wire(), v);
    }
    assert_eq!(GameResult::from_wire(5), None);
    assert_eq!(SeatKind::Abandoned.as_str(), "abandoned");
    assert_eq!("Legacy".parse(), Ok(LaunchLayout::Legacy));
    assert_eq!("0.99".parse(), Ok(LaunchLayout::Trunk));
    assert!("x".parse::<LaunchLayout>().is_err());
}
