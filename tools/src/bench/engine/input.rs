//! What a client reads: XML elements during setup (the decoder), then
//! lines in the room, DIO packets or lockstep frames on a game channel,
//! each turned into notes and tallies.

use ggzd::proto::decoder::Event;
use ggzd::proto::element::Element;
use ggzd::proto::escape::escape;

use super::super::dio::{self, Packet};
use super::super::scan::{self, Line};
use super::client::{Client, Stage};
use super::{
    After, CHANNEL_END, Closed, Context, GameEvent, HEADER, MAX_CARRY_CHANNEL, MAX_CARRY_GAME,
    MAX_CARRY_ROOM, MAX_CARRY_SETUP, Note, Plan, Route, TableAction,
};

pub(super) fn check_carry(client: &mut Client) -> After {
    let limit = match client.stage {
        Stage::Ready | Stage::Leaving => MAX_CARRY_ROOM,
        Stage::ChannelOpening => MAX_CARRY_CHANNEL,
        Stage::Game => MAX_CARRY_GAME,
        Stage::Connecting | Stage::Greeting | Stage::LoggingIn | Stage::Entering => MAX_CARRY_SETUP,
    };
    if client.carry.len() > limit {
        return After::Close(Closed::Overflow("incomplete input"));
    }
    if client.carry.is_empty() && client.carry.capacity() > 4096 {
        client.carry = Vec::new();
    }
    After::Keep
}

/// Handles as much of `input` as forms complete elements (setup) or lines
/// (in the room). Returns the bytes used.
pub(super) fn take_input(
    client: &mut Client,
    input: &[u8],
    ctx: &mut Context<'_>,
) -> (usize, After) {
    let mut pos = 0;
    if client.stage == Stage::ChannelOpening {
        let Some(end) = find(input, CHANNEL_END) else {
            return (0, After::Keep);
        };
        pos = end + CHANNEL_END.len();
        client.stage = Stage::Game;
        ctx.notes.push(Note::ChannelReady { id: ctx.id });
    }
    if client.stage == Stage::Game && client.framed {
        let (used, after) = scan_frames(input.get(pos..).unwrap_or_default(), ctx);
        return (pos + used, after);
    }
    if client.stage == Stage::Game {
        let (used, after) = scan_packets(input.get(pos..).unwrap_or_default(), ctx);
        return (pos + used, after);
    }
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        if client.decoder.is_none() {
            let (used, after) = scan_lines(client, rest, ctx);
            return (pos + used, after);
        }
        let Some(decoder) = client.decoder.as_mut() else {
            return (pos, After::Keep);
        };
        let progress = match decoder.feed(rest) {
            Ok(p) => p,
            Err(e) => return (pos, After::Close(Closed::Protocol(e.to_string()))),
        };
        pos += progress.consumed;
        match progress.event {
            Some(Event::Element(element)) => {
                if let After::Close(why) = on_setup_element(client, &element, ctx) {
                    return (pos, After::Close(why));
                }
            }
            Some(Event::SessionEnd) => return (pos, After::Close(Closed::SessionEnded)),
            Some(Event::SessionStart) => {}
            None if progress.consumed == 0 => return (pos, After::Keep),
            None => {}
        }
    }
}

/// One decoded message during setup.
pub(super) fn on_setup_element(client: &mut Client, e: &Element, ctx: &mut Context<'_>) -> After {
    if e.is("PING") {
        client.out.extend_from_slice(b"<PONG/>\n");
        ctx.traffic.pings_answered += 1;
        return After::Keep;
    }
    let result_of = |action: &str| {
        e.is("RESULT")
            && e.attr("ACTION")
                .is_some_and(|a| a.eq_ignore_ascii_case(action))
    };
    let code = || e.attr("CODE").unwrap_or_default().to_owned();
    match client.stage {
        Stage::Greeting if e.is("SERVER") => {
            if e.attr("STATUS") == Some("full") {
                return After::Close(Closed::ServerFull);
            }
            client.out.extend_from_slice(HEADER.as_bytes());
            if client.wants_tls {
                if e.attr("TLS_SUPPORT") != Some("yes") {
                    return After::Close(Closed::Protocol("the server does not offer TLS".into()));
                }
                // Nothing after it: the handshake's first byte follows.
                client.out.extend_from_slice(b"<TLS_START/>");
                client.switch_pending = true;
            } else {
                client
                    .out
                    .extend_from_slice(login_xml(&client.plan).as_bytes());
            }
            client.stage = Stage::LoggingIn;
        }
        Stage::LoggingIn if result_of("login") => {
            if code() != "ok" {
                ctx.notes.push(Note::LoginRefused {
                    id: ctx.id,
                    code: code(),
                });
                return After::Close(Closed::SessionEnded);
            }
            ctx.notes.push(Note::LoggedIn {
                id: ctx.id,
                latency_ns: ctx.now.saturating_sub(client.connect_ns),
            });
            match client.plan.room {
                Some(room) => {
                    client
                        .out
                        .extend_from_slice(format!("<ENTER ROOM='{room}'/>\n").as_bytes());
                    client.stage = Stage::Entering;
                }
                None => become_ready(client),
            }
        }
        Stage::Entering if result_of("enter") => {
            if code() != "ok" {
                ctx.notes.push(Note::EnterRefused {
                    id: ctx.id,
                    code: code(),
                });
                return After::Close(Closed::SessionEnded);
            }
            ctx.notes.push(Note::Entered { id: ctx.id });
            become_ready(client);
        }
        _ if result_of("protocol") => {
            return After::Close(Closed::Protocol(format!("server said {}", code())));
        }
        _ => {}
    }
    After::Keep
}

pub(super) fn become_ready(client: &mut Client) {
    client.stage = Stage::Ready;
    client.decoder = None;
}

pub(super) fn login_xml(plan: &Plan) -> String {
    let mut xml = format!(
        "<LOGIN TYPE='{}'>\n<NAME>{}</NAME>\n",
        plan.kind.as_str(),
        escape(&plan.name)
    );
    if let Some(p) = &plan.password {
        xml.push_str(&format!("<PASSWORD>{}</PASSWORD>\n", escape(p)));
    }
    xml.push_str("</LOGIN>\n");
    xml
}

/// Position of `needle` in `hay`.
pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Complete DIO packets of `input`: notes for the ones the generator acts
/// on. Returns the bytes used.
pub(super) fn scan_packets(input: &[u8], ctx: &mut Context<'_>) -> (usize, After) {
    let mut pos = 0;
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let (len, opcode, first) = match dio::next_packet(rest) {
            Packet::Incomplete => return (pos, After::Keep),
            Packet::Malformed => {
                return (
                    pos,
                    After::Close(Closed::Protocol("a DIO packet too short".into())),
                );
            }
            Packet::Complete { len, opcode, first } => (len, opcode, first),
        };
        pos += len;
        let event = match opcode {
            dio::op::REQ_MOVE => Some(GameEvent::MoveRequested),
            dio::op::MSG_GAMEOVER => Some(GameEvent::GameOver),
            dio::op::RSP_MOVE => match first.map(|b| b as i8) {
                Some(0) => None,
                Some(status) => Some(GameEvent::MoveRefused(status)),
                None => Some(GameEvent::MoveRefused(0)),
            },
            _ => None,
        };
        if let Some(event) = event {
            ctx.notes.push(Note::Game { id: ctx.id, event });
        }
    }
}

/// Complete lockstep frames of `input` (docs/lockstep.md §2), each a note.
/// Returns the bytes used.
pub(super) fn scan_frames(input: &[u8], ctx: &mut Context<'_>) -> (usize, After) {
    let mut pos = 0;
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let Some(len) = rest
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(|b| u32::from_be_bytes(b) as usize)
        else {
            return (pos, After::Keep);
        };
        if len == 0 || len > MAX_CARRY_GAME {
            return (
                pos,
                After::Close(Closed::Protocol(format!("lockstep frame of {len} bytes"))),
            );
        }
        let Some(frame) = rest.get(4..4 + len) else {
            return (pos, After::Keep);
        };
        let (kind, body) = frame.split_first().unwrap_or((&0, &[]));
        ctx.notes.push(Note::Frame {
            id: ctx.id,
            kind: *kind,
            body: body.to_vec(),
            at: ctx.now,
        });
        pos += 4 + len;
    }
}

/// The hot path: complete lines of `input`. Returns the bytes used.
pub(super) fn scan_lines(
    client: &mut Client,
    input: &[u8],
    ctx: &mut Context<'_>,
) -> (usize, After) {
    let mut pos = 0;
    while let Some(len) = scan::find_newline(input.get(pos..).unwrap_or_default()) {
        let line = input.get(pos..pos + len).unwrap_or_default();
        pos += len + 1;
        match scan::classify(line) {
            Line::Other => {}
            Line::Chat(text) => match scan::parse_stamp(text) {
                Some((sent, sender)) => {
                    let route = Route::between(ctx.node_of(sender), ctx.node_of(ctx.id));
                    ctx.tally.record(sent, ctx.now, route);
                    if sender == ctx.id {
                        ctx.notes.push(Note::Echo { id: ctx.id });
                    }
                }
                None => ctx.tally.foreign += 1,
            },
            Line::ChatResult(true) => {}
            Line::ChatResult(false) => ctx.notes.push(Note::ChatRefused { id: ctx.id }),
            Line::Result { action, code } => {
                let action = match action {
                    b"launch" => TableAction::Launch,
                    b"join" => TableAction::Join,
                    b"leave" => TableAction::Leave,
                    b"match" => TableAction::Match,
                    _ => continue,
                };
                let refused = (code != b"ok").then(|| String::from_utf8_lossy(code).into_owned());
                ctx.notes.push(Note::TableResult {
                    id: ctx.id,
                    action,
                    refused,
                });
            }
            Line::Join { table } => ctx.notes.push(Note::Seated { id: ctx.id, table }),
            Line::Leave => ctx.notes.push(Note::LeftTable { id: ctx.id }),
            // Only a seat that a player took counts: the `leave` of the
            // previous game's table names the launcher with the same
            // player seat, and taking it for the new table sent joiners
            // to a table id their node later gave another pair's table.
            Line::TableUpdate { seated } => {
                client.update_seats = seated;
                client.table_in_view = None;
            }
            Line::TableStart { table } => {
                client.table_in_view = client.update_seats.then_some(table);
            }
            Line::SeatPlayer { name } => {
                if let Some(table) = client.table_in_view {
                    ctx.notes.push(Note::TableSeat {
                        id: ctx.id,
                        table,
                        name: String::from_utf8_lossy(name).into_owned(),
                    });
                }
            }
            Line::PlayerRating { name, rating } => {
                // Every rating change in the room reaches every player:
                // only the client's own becomes a note.
                if name == client.plan.name.as_bytes() {
                    ctx.notes.push(Note::OwnRating { id: ctx.id, rating });
                }
            }
            Line::Matched { table, seat } => ctx.notes.push(Note::Matched {
                id: ctx.id,
                table,
                seat,
            }),
            Line::Ping => {
                client.out.extend_from_slice(b"<PONG/>\n");
                ctx.traffic.pings_answered += 1;
            }
            Line::SessionEnd => return (pos, After::Close(Closed::SessionEnded)),
            Line::ProtocolError => {
                return (
                    pos,
                    After::Close(Closed::Protocol(String::from_utf8_lossy(line).into_owned())),
                );
            }
        }
    }
    (pos, After::Keep)
}
