//! Telling the two launch layouts apart on the wire (docs/launch-layout.md).
//!
//! `MSG_GAME_LAUNCH` comes in two layouts ([`LaunchLayout`]) that differ
//! only by the savegame string after the game name. A game server that is
//! not told which one it gets (the original ggzd never says) can still find
//! out: it reads the message both ways and keeps the reading that is valid
//! and ends exactly where the received bytes end.
//!
//! # Why that works
//!
//! Read with the legacy layout, a trunk message takes the savegame string's
//! length word as the seat count and the string's bytes as the spectator
//! count and first seat type. With an empty savegame the seat type comes
//! out as (seat count's low byte) × 2²⁴ — never 1, 2 or 4 — and with a
//! non-empty one the spectator count is made of text bytes, far above
//! [`MAX_SPECTATORS`](crate::wire::MAX_SPECTATORS). Either way the legacy
//! reading fails.
//!
//! Read with the trunk layout, a legacy message takes the seat count as the
//! savegame string's length. For two or more seats the "string" starts with
//! the spectator count's high byte, a NUL inside a string, which fails. For
//! exactly one seat the "savegame" is the empty string, and the reading
//! goes on with zero seats; it then ends inside the message (an open
//! seat), or, when the seat has a name (bot or reserved), it ends **four
//! bytes into the name's length word** having read 512 or 1024 spectator
//! slots. That is the one shape where the trunk reading of a *prefix* of a
//! legacy message is valid.
//!
//! # The rule
//!
//! * A reading that fails, or ends before the bytes do, is discarded.
//! * Of the readings that end exactly at the end of the bytes, the one that
//!   is left wins.
//! * A trunk reading without seats does not win while the legacy reading
//!   still needs bytes: that is the prefix shape above, and ggzd never
//!   launches a table with spectator slots but no seats (it sends 0
//!   spectators at launch). The decoder waits for the legacy message to
//!   complete instead.
//! * Both readings valid and exact: no message with valid strings and at
//!   most [`MAX_SPECTATORS`](crate::wire::MAX_SPECTATORS) spectators has
//!   this shape (see above); should one come anyway, trunk (the layout the
//!   spec takes as its baseline) wins.
//!
//! The caller must hand over exactly the bytes received so far and read no
//! more than [`Detected::NeedMore`] asks for, which never reaches past the
//! end of the real message (it is the smaller of the two readings' needs).

use crate::wire::{Decoded, LaunchLayout, ToGame, WireError};

/// Result of [`decode_detecting`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// At least this many more bytes are needed.
    NeedMore(usize),
    /// One complete message.
    Message {
        /// The message.
        msg: ToGame,
        /// Bytes of the buffer it occupied.
        consumed: usize,
        /// Whether a passed descriptor follows (see [`Decoded`]).
        fd_follows: bool,
        /// For a launch message, the layout it was read with; `None` for
        /// every other message (they are the same in both layouts).
        layout: Option<LaunchLayout>,
    },
}

enum Reading {
    /// Valid, and ends where the buffer ends.
    Exact(ToGame),
    /// Valid but ends before the buffer does.
    Short,
    NeedMore(usize),
    Bad(WireError),
}

fn read(buf: &[u8], layout: LaunchLayout) -> Reading {
    match ToGame::decode(buf, layout) {
        Ok(Decoded::Message { msg, consumed, .. }) if consumed == buf.len() => Reading::Exact(msg),
        Ok(Decoded::Message { .. }) => Reading::Short,
        Ok(Decoded::NeedMore(n)) => Reading::NeedMore(n),
        Err(e) => Reading::Bad(e),
    }
}

fn seatless(msg: &ToGame) -> bool {
    matches!(msg, ToGame::Launch { seats, .. } if seats.is_empty())
}

fn launch(msg: ToGame, consumed: usize, layout: LaunchLayout) -> Detected {
    Detected::Message {
        msg,
        consumed,
        fd_follows: false,
        layout: Some(layout),
    }
}

/// Decodes one message from the start of `buf` when the launch layout is
/// not known; see the module documentation for the rule.
pub fn decode_detecting(buf: &[u8]) -> Result<Detected, WireError> {
    // Only the launch message (opcode 0) differs between the layouts.
    let is_launch = buf.get(..4).is_none_or(|op| op == [0, 0, 0, 0]);
    if !is_launch {
        return Ok(match ToGame::decode(buf, LaunchLayout::Trunk)? {
            Decoded::NeedMore(n) => Detected::NeedMore(n),
            Decoded::Message {
                msg,
                consumed,
                fd_follows,
            } => Detected::Message {
                msg,
                consumed,
                fd_follows,
                layout: None,
            },
        });
    }
    let n = buf.len();
    Ok(
        match (
            read(buf, LaunchLayout::Trunk),
            read(buf, LaunchLayout::Legacy),
        ) {
            (Reading::Exact(msg), Reading::NeedMore(more)) if seatless(&msg) => {
                Detected::NeedMore(more)
            }
            (Reading::Exact(msg), _) => launch(msg, n, LaunchLayout::Trunk),
            (_, Reading::Exact(msg)) => launch(msg, n, LaunchLayout::Legacy),
            (Reading::NeedMore(a), Reading::NeedMore(b)) => Detected::NeedMore(a.min(b)),
            (Reading::NeedMore(a), _) | (_, Reading::NeedMore(a)) => Detected::NeedMore(a),
            // Neither reading ends where the bytes do: the caller gave more
            // than one message. Decode the launch alone, preferring what the
            // rule above would have chosen.
            (Reading::Short, legacy) => {
                let trunk = ToGame::decode(buf, LaunchLayout::Trunk)?;
                match (trunk, legacy) {
                    (Decoded::Message { msg, .. }, Reading::Short) if seatless(&msg) => {
                        legacy_prefix(buf)?
                    }
                    (Decoded::Message { msg, consumed, .. }, _) => {
                        launch(msg, consumed, LaunchLayout::Trunk)
                    }
                    (Decoded::NeedMore(more), _) => Detected::NeedMore(more),
                }
            }
            (Reading::Bad(_), Reading::Short) => legacy_prefix(buf)?,
            (Reading::Bad(e), Reading::Bad(_)) => return Err(e),
        },
    )
}

fn legacy_prefix(buf: &[u8]) -> Result<Detected, WireError> {
    Ok(match ToGame::decode(buf, LaunchLayout::Legacy)? {
        Decoded::Message { msg, consumed, .. } => launch(msg, consumed, LaunchLayout::Legacy),
        Decoded::NeedMore(more) => Detected::NeedMore(more),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::LaunchSeat;

    fn launch_msg(seats: Vec<LaunchSeat>, savegame: Option<&str>) -> ToGame {
        ToGame::Launch {
            game: "tictactoe".into(),
            savegame: savegame.map(str::to_owned),
            seats,
            spectators: 0,
        }
    }

    fn bytes(msg: &ToGame, layout: LaunchLayout) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = msg.encode(layout, &mut out).unwrap();
        out
    }

    /// Feeds `wire` the way the game reads it: exactly what is asked for,
    /// in pieces of at most `chunk` bytes.
    fn feed(wire: &[u8], chunk: usize) -> (ToGame, LaunchLayout) {
        let mut buf: Vec<u8> = Vec::new();
        loop {
            match decode_detecting(&buf).unwrap() {
                Detected::Message {
                    msg,
                    consumed,
                    layout,
                    ..
                } => {
                    assert_eq!(consumed, wire.len(), "whole message used");
                    return (msg, layout.unwrap());
                }
                Detected::NeedMore(n) => {
                    let take = n.min(chunk);
                    let start = buf.len();
                    assert!(start + take <= wire.len(), "asked past the message end");
                    buf.extend_from_slice(&wire[start..start + take]);
                }
            }
        }
    }

    fn shapes() -> Vec<(ToGame, bool)> {
        let open = LaunchSeat::Open;
        let bot = |n: &str| LaunchSeat::Bot(n.into());
        let reserved = |n: &str| LaunchSeat::Reserved(n.into());
        vec![
            (launch_msg(vec![open.clone()], None), true),
            (launch_msg(vec![bot("")], None), true),
            (launch_msg(vec![bot("Tarantula")], None), true),
            (launch_msg(vec![reserved("alice")], None), true),
            (
                launch_msg(vec![reserved("alice"), open.clone()], None),
                true,
            ),
            (launch_msg(vec![bot(""), reserved("bob")], None), true),
            (launch_msg(vec![open.clone(); 8], None), true),
            (launch_msg(vec![open.clone(); 2], Some("save/0042")), false),
            (launch_msg(vec![reserved("x"); 256], None), true),
        ]
    }

    #[test]
    fn both_layouts_are_recognised_whole_and_in_pieces() {
        for (msg, legacy_ok) in shapes() {
            for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
                if layout == LaunchLayout::Legacy && !legacy_ok {
                    continue;
                }
                let wire = bytes(&msg, layout);
                for chunk in [1, 3, 4, 5, 7, wire.len()] {
                    let (got, seen) = feed(&wire, chunk);
                    assert_eq!(seen, layout, "{msg:?} chunk {chunk}");
                    assert_eq!(got, msg, "chunk {chunk}");
                }
            }
        }
    }

    #[test]
    fn the_tictactoe_case_a_trunk_launch_to_a_former_legacy_reader() {
        // What the original trunk ggzd sends for TicTacToe with one bot:
        // read as legacy, its first seat type is 0x02000000 (33554432).
        let msg = launch_msg(vec![LaunchSeat::Open, LaunchSeat::Bot(String::new())], None);
        let wire = bytes(&msg, LaunchLayout::Trunk);
        assert_eq!(
            ToGame::decode(&wire, LaunchLayout::Legacy),
            Err(WireError::BadSeatKind(33_554_432))
        );
        assert_eq!(
            decode_detecting(&wire).unwrap(),
            Detected::Message {
                msg,
                consumed: wire.len(),
                fd_follows: false,
                layout: Some(LaunchLayout::Trunk),
            }
        );
    }

    #[test]
    fn the_prefix_shape_waits_for_the_legacy_message() {
        let msg = launch_msg(vec![LaunchSeat::Bot("Tarantula".into())], None);
        let wire = bytes(&msg, LaunchLayout::Legacy);
        // 4 opcode + 14 game + 4 seats + 4 spectators + 4 type + 1 byte of
        // the name's length word: the trunk reading is complete here.
        let prefix = &wire[..31];
        match ToGame::decode(prefix, LaunchLayout::Trunk).unwrap() {
            Decoded::Message {
                msg: ToGame::Launch {
                    seats, spectators, ..
                },
                consumed,
                ..
            } => {
                assert!(seats.is_empty());
                assert_eq!((spectators, consumed), (512, 31));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode_detecting(prefix).unwrap(),
            Detected::NeedMore(_)
        ));
        assert_eq!(feed(&wire, wire.len()).1, LaunchLayout::Legacy);
    }

    #[test]
    fn other_messages_pass_through_and_garbage_fails() {
        let ack = bytes(&ToGame::StateAck, LaunchLayout::Trunk);
        assert_eq!(
            decode_detecting(&ack).unwrap(),
            Detected::Message {
                msg: ToGame::StateAck,
                consumed: 4,
                fd_follows: false,
                layout: None,
            }
        );
        assert_eq!(decode_detecting(&[]).unwrap(), Detected::NeedMore(4));
        let mut bad = bytes(
            &launch_msg(vec![LaunchSeat::Open], None),
            LaunchLayout::Trunk,
        );
        let last = bad.len() - 1;
        bad[last] = 9; // seat type 9
        assert!(decode_detecting(&bad).is_err());
        assert!(decode_detecting(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn more_than_one_message_in_the_buffer() {
        for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
            for msg in [
                launch_msg(vec![LaunchSeat::Open], None),
                launch_msg(vec![LaunchSeat::Bot("Alfred".into())], None),
                launch_msg(vec![LaunchSeat::Open, LaunchSeat::Open], None),
            ] {
                let mut wire = bytes(&msg, layout);
                let len = wire.len();
                wire.extend_from_slice(&bytes(&ToGame::StateAck, layout));
                match decode_detecting(&wire).unwrap() {
                    Detected::Message {
                        msg: got,
                        consumed,
                        layout: seen,
                        ..
                    } => {
                        assert_eq!((got, consumed, seen), (msg, len, Some(layout)));
                    }
                    other => panic!("{layout} {msg:?}: {other:?}"),
                }
            }
        }
    }
}
