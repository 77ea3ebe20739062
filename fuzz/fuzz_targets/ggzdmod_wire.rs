//! The ggzd ↔ game server control wire (ggzdmod `wire.rs`), both
//! directions and both launch layouts.
//!
//! The first byte picks the direction (bit 0) and the launch layout
//! (bit 1); the rest is a byte stream decoded message by message, as
//! `ServerChannel` and `Game` do.
//!
//! Checked besides "no panic":
//! * `consumed` is within the buffer, and `NeedMore(n)` never asks for
//!   bytes past the end of the message (a passed descriptor may follow it):
//!   every longer prefix of a message that decodes also answers `NeedMore`
//!   with a count that reaches exactly its end;
//! * every decoded message re-encodes (unless it only describes bad input)
//!   and decodes back to itself, consuming exactly the encoded bytes;
//!   and the fd trailer agrees with `fd_follows`.
#![no_main]

use ggzdmod::{Decoded, LaunchLayout, ToGame, ToServer, Trailer};
use libfuzzer_sys::fuzz_target;

fn check_prefixes<M>(
    msg_bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<Decoded<M>, ggzdmod::WireError>,
) {
    // Every proper prefix either needs more (never past the end) or is
    // already refused (a bad field is known before the rest arrives).
    for len in 0..msg_bytes.len() {
        match decode(&msg_bytes[..len]) {
            Ok(Decoded::NeedMore(n)) => {
                assert!(n > 0, "NeedMore(0)");
                assert!(
                    len + n <= msg_bytes.len(),
                    "NeedMore({n}) at {len} reaches past {}",
                    msg_bytes.len()
                );
            }
            Ok(Decoded::Message { .. }) => panic!("a prefix of {len} bytes decoded as a message"),
            Err(_) => panic!("a prefix of {len} bytes was refused, the whole message was not"),
        }
    }
}

fn to_game(layout: LaunchLayout, mut buf: &[u8]) {
    let decode = |b: &[u8]| ToGame::decode(b, layout);
    while !buf.is_empty() {
        match decode(buf) {
            Ok(Decoded::NeedMore(n)) => {
                assert!(n > 0);
                return;
            }
            Err(_) => return,
            Ok(Decoded::Message {
                msg,
                consumed,
                fd_follows,
            }) => {
                assert!(consumed > 0 && consumed <= buf.len());
                assert_eq!(fd_follows, msg.carries_fd());
                check_prefixes(&buf[..consumed], decode);
                let mut out = Vec::new();
                let trailer = msg
                    .encode(layout, &mut out)
                    .expect("a decoded message re-encodes");
                assert_eq!(trailer == Trailer::Fd, fd_follows);
                match decode(&out) {
                    Ok(Decoded::Message {
                        msg: again,
                        consumed: n,
                        ..
                    }) => {
                        assert_eq!(again, msg);
                        assert_eq!(n, out.len());
                    }
                    other => panic!("re-encoded {msg:?} decodes as {other:?}"),
                }
                buf = &buf[consumed..];
            }
        }
    }
}

fn to_server(mut buf: &[u8]) {
    while !buf.is_empty() {
        match ToServer::decode(buf) {
            Ok(Decoded::NeedMore(n)) => {
                assert!(n > 0);
                return;
            }
            Err(_) => return,
            Ok(Decoded::Message {
                msg,
                consumed,
                fd_follows,
            }) => {
                assert!(consumed > 0 && consumed <= buf.len());
                assert!(!fd_follows);
                check_prefixes(&buf[..consumed], ToServer::decode);
                let mut out = Vec::new();
                match msg.encode(&mut out) {
                    Ok(()) => match ToServer::decode(&out) {
                        Ok(Decoded::Message {
                            msg: again,
                            consumed: n,
                            ..
                        }) => {
                            assert_eq!(again, msg);
                            assert_eq!(n, out.len());
                        }
                        other => panic!("re-encoded {msg:?} decodes as {other:?}"),
                    },
                    Err(_) => {
                        assert!(
                            matches!(msg, ToServer::InvalidReport { .. }),
                            "{msg:?} does not re-encode"
                        );
                        assert!(out.is_empty(), "failed encode left bytes behind");
                    }
                }
                buf = &buf[consumed..];
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let layout = if flags & 2 == 0 {
        LaunchLayout::Trunk
    } else {
        LaunchLayout::Legacy
    };
    if flags & 1 == 0 {
        to_game(layout, rest);
    } else {
        to_server(rest);
    }
});
