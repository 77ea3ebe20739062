//! Writing messages: opcodes and the byte layout of each message
//! (docs/ggzdmod.md §5).

use super::{
    LaunchLayout, LaunchSeat, MAX_SEATS, MAX_SPECTATORS, MAX_STRING_LEN, SeatKind, ToGame,
    ToServer, Trailer, WireError,
};

fn put_int(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_count(out: &mut Vec<u8>, what: &'static str, v: usize, max: usize) -> Result<(), WireError> {
    match i32::try_from(v) {
        Ok(i) if v <= max => {
            put_int(out, i);
            Ok(())
        }
        _ => Err(WireError::BadCount {
            what,
            value: i64::try_from(v).unwrap_or(i64::MAX),
        }),
    }
}

fn put_index(out: &mut Vec<u8>, what: &'static str, v: u32) -> Result<(), WireError> {
    match i32::try_from(v) {
        Ok(i) => {
            put_int(out, i);
            Ok(())
        }
        Err(_) => Err(WireError::BadCount {
            what,
            value: i64::from(v),
        }),
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) -> Result<(), WireError> {
    if s.as_bytes().contains(&0) {
        return Err(WireError::InteriorNul);
    }
    let len = s.len().saturating_add(1);
    if len > MAX_STRING_LEN {
        return Err(WireError::StringTooLong(s.len()));
    }
    // MAX_STRING_LEN fits an i32, so this cannot fail after the check above.
    let word = i32::try_from(len).map_err(|_| WireError::StringTooLong(s.len()))?;
    put_int(out, word);
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    Ok(())
}

impl ToGame {
    /// The wire opcode of this message.
    pub fn opcode(&self) -> i32 {
        match self {
            ToGame::Launch { .. } => 0,
            ToGame::Seat { .. } => 1,
            ToGame::SpectatorSeat { .. } => 2,
            ToGame::Reseat { .. } => 3,
            ToGame::StateAck => 4,
        }
    }

    /// Whether a passed file descriptor follows this message on the wire.
    pub fn carries_fd(&self) -> bool {
        match self {
            ToGame::Seat { kind, .. } => *kind == SeatKind::Player,
            ToGame::SpectatorSeat { name, .. } => !name.is_empty(),
            _ => false,
        }
    }

    /// Appends the wire bytes of this message to `out`.
    ///
    /// If a file descriptor belongs to the message, the bytes written are the
    /// ones that precede it and [`Trailer::Fd`] is returned; the descriptor
    /// must be sent right after them with its own `sendmsg`. On error,
    /// `out` is left as it was.
    pub fn encode(&self, layout: LaunchLayout, out: &mut Vec<u8>) -> Result<Trailer, WireError> {
        let start = out.len();
        let r = self.encode_inner(layout, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_inner(&self, layout: LaunchLayout, out: &mut Vec<u8>) -> Result<Trailer, WireError> {
        put_int(out, self.opcode());
        match self {
            ToGame::Launch {
                game,
                savegame,
                seats,
                spectators,
            } => {
                put_string(out, game)?;
                let save = savegame.as_deref().unwrap_or("");
                match layout {
                    LaunchLayout::Trunk => put_string(out, save)?,
                    LaunchLayout::Legacy if save.is_empty() => {}
                    LaunchLayout::Legacy => return Err(WireError::SavegameInLegacyLayout),
                }
                put_count(out, "seat count", seats.len(), MAX_SEATS)?;
                let specs = usize::try_from(*spectators).unwrap_or(usize::MAX);
                put_count(out, "spectator count", specs, MAX_SPECTATORS)?;
                if seats.is_empty() && specs == 0 {
                    return Err(WireError::EmptyLaunch);
                }
                for seat in seats {
                    match seat {
                        LaunchSeat::Open => put_int(out, SeatKind::Open.to_wire()),
                        LaunchSeat::Bot(name) => {
                            put_int(out, SeatKind::Bot.to_wire());
                            put_string(out, name)?;
                        }
                        LaunchSeat::Reserved(name) => {
                            put_int(out, SeatKind::Reserved.to_wire());
                            put_string(out, name)?;
                        }
                    }
                }
            }
            ToGame::Seat { num, kind, name } => {
                put_index(out, "seat number", *num)?;
                put_int(out, kind.to_wire());
                put_string(out, name)?;
            }
            ToGame::SpectatorSeat { num, name } => {
                put_index(out, "spectator number", *num)?;
                put_string(out, name)?;
            }
            ToGame::Reseat {
                old,
                was_spectator,
                new,
                is_spectator,
            } => {
                put_index(out, "seat number", *old)?;
                put_int(out, i32::from(*was_spectator));
                put_index(out, "seat number", *new)?;
                put_int(out, i32::from(*is_spectator));
            }
            ToGame::StateAck => {}
        }
        Ok(if self.carries_fd() {
            Trailer::Fd
        } else {
            Trailer::Nothing
        })
    }
}

impl ToServer {
    /// The wire opcode of this message.
    pub fn opcode(&self) -> i32 {
        match self {
            ToServer::Log(_) => 0,
            ToServer::State(_) | ToServer::InvalidState(_) => 1,
            ToServer::NumSeats(_) => 2,
            ToServer::Boot(_) => 3,
            ToServer::Bot(_) => 4,
            ToServer::Open(_) => 5,
            ToServer::Report(_) | ToServer::InvalidReport { .. } => 6,
            ToServer::SavegameReport(_) => 7,
        }
    }

    /// Appends the wire bytes of this message to `out`. These messages
    /// never carry a file descriptor. On error, `out` is left as it was.
    ///
    /// [`ToServer::InvalidReport`] cannot be encoded (it only describes a
    /// received report) and yields [`WireError::BadSeatKind`] or a
    /// [`WireError::BadCount`] naming the bad field.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let start = out.len();
        let r = self.encode_inner(out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_inner(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_int(out, self.opcode());
        match self {
            ToServer::Log(s) | ToServer::Boot(s) | ToServer::SavegameReport(s) => {
                put_string(out, s)?
            }
            ToServer::State(st) => out.push(st.to_wire()),
            ToServer::InvalidState(b) => out.push(*b),
            ToServer::NumSeats(n) | ToServer::Bot(n) | ToServer::Open(n) => put_int(out, *n),
            ToServer::Report(records) => {
                put_count(out, "report record count", records.len(), MAX_SEATS)?;
                for rec in records {
                    put_string(out, &rec.name)?;
                    put_int(out, rec.kind.to_wire());
                    put_int(out, rec.team);
                    put_int(out, rec.result.to_wire());
                    put_int(out, rec.score);
                }
            }
            ToServer::InvalidReport { field, value, .. } => {
                return Err(if *field == "type" {
                    WireError::BadSeatKind(*value)
                } else {
                    WireError::BadCount {
                        what: "game result",
                        value: i64::from(*value),
                    }
                });
            }
        }
        Ok(())
    }
}
