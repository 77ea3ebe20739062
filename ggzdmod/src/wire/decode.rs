//! Reading messages: the decode entry points, and a bounded reader over a
//! byte slice that reports how much more it needs.

use super::{
    Decoded, GameResult, GameState, LaunchLayout, LaunchSeat, MAX_SEATS, MAX_SPECTATORS,
    MAX_STRING_LEN, ReportRecord, SeatKind, ToGame, ToServer, WireError,
};

impl ToGame {
    /// Decodes one message from the start of `buf`.
    ///
    /// Never looks beyond the message. When the result says `fd_follows`,
    /// the next thing on the socket is the passed descriptor's dummy byte.
    pub fn decode(buf: &[u8], layout: LaunchLayout) -> Result<Decoded<ToGame>, WireError> {
        let mut r = Reader { buf, pos: 0 };
        match decode_to_game(&mut r, layout) {
            Ok(msg) => Ok(Decoded::Message {
                fd_follows: msg.carries_fd(),
                msg,
                consumed: r.pos,
            }),
            Err(Stop::Need(n)) => Ok(Decoded::NeedMore(n)),
            Err(Stop::Bad(e)) => Err(e),
        }
    }
}

impl ToServer {
    /// Decodes one message from the start of `buf`. No message in this
    /// direction carries a file descriptor, so the result's `fd_follows` is
    /// always false.
    pub fn decode(buf: &[u8]) -> Result<Decoded<ToServer>, WireError> {
        let mut r = Reader { buf, pos: 0 };
        match decode_to_server(&mut r) {
            Ok(msg) => Ok(Decoded::Message {
                msg,
                consumed: r.pos,
                fd_follows: false,
            }),
            Err(Stop::Need(n)) => Ok(Decoded::NeedMore(n)),
            Err(Stop::Bad(e)) => Err(e),
        }
    }
}

/// Why a decode stopped early.
enum Stop {
    Need(usize),
    Bad(WireError),
}

impl From<WireError> for Stop {
    fn from(e: WireError) -> Self {
        Stop::Bad(e)
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.pos.saturating_add(n);
        match self.buf.get(self.pos..end) {
            Some(s) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(Stop::Need(end.saturating_sub(self.buf.len()))),
        }
    }

    fn int(&mut self) -> Result<i32, Stop> {
        let b = self.take(4)?;
        let arr: [u8; 4] = b.try_into().map_err(|_| Stop::Need(4))?;
        Ok(i32::from_be_bytes(arr))
    }

    fn byte(&mut self) -> Result<u8, Stop> {
        match self.take(1)?.first() {
            Some(b) => Ok(*b),
            None => Err(Stop::Need(1)),
        }
    }

    fn bool(&mut self) -> Result<bool, Stop> {
        // C readers treat any non-zero int as true.
        Ok(self.int()? != 0)
    }

    /// A non-negative int no larger than `max`.
    fn bounded(&mut self, what: &'static str, max: usize) -> Result<u32, Stop> {
        let v = self.int()?;
        match u32::try_from(v) {
            Ok(u) if usize::try_from(u).is_ok_and(|x| x <= max) => Ok(u),
            _ => Err(Stop::Bad(WireError::BadCount {
                what,
                value: i64::from(v),
            })),
        }
    }

    /// A non-negative int (seat or slot index).
    fn index(&mut self, what: &'static str) -> Result<u32, Stop> {
        let v = self.int()?;
        u32::try_from(v).map_err(|_| {
            Stop::Bad(WireError::BadCount {
                what,
                value: i64::from(v),
            })
        })
    }

    fn string(&mut self) -> Result<String, Stop> {
        let word = self.int()?;
        // Validate the length before waiting for the bytes, so an absurd
        // length fails at once instead of asking for gigabytes.
        let len = match usize::try_from(word) {
            Ok(l) if (1..=MAX_STRING_LEN).contains(&l) => l,
            _ => return Err(Stop::Bad(WireError::BadStringLength(word))),
        };
        let bytes = self.take(len)?;
        let Some((&last, text)) = bytes.split_last() else {
            return Err(Stop::Bad(WireError::BadStringLength(word)));
        };
        if last != 0 {
            return Err(Stop::Bad(WireError::MissingNul));
        }
        if text.contains(&0) {
            return Err(Stop::Bad(WireError::InteriorNul));
        }
        Ok(String::from_utf8_lossy(text).into_owned())
    }
}

fn decode_to_game(r: &mut Reader<'_>, layout: LaunchLayout) -> Result<ToGame, Stop> {
    let op = r.int()?;
    Ok(match op {
        0 => {
            let game = r.string()?;
            let savegame = match layout {
                LaunchLayout::Trunk => Some(r.string()?).filter(|s| !s.is_empty()),
                LaunchLayout::Legacy => None,
            };
            let nseats = r.bounded("seat count", MAX_SEATS)?;
            let spectators = r.bounded("spectator count", MAX_SPECTATORS)?;
            if nseats == 0 && spectators == 0 {
                return Err(Stop::Bad(WireError::EmptyLaunch));
            }
            // Bounded by MAX_SEATS above, so the allocation is small.
            let mut seats = Vec::with_capacity(usize::try_from(nseats).unwrap_or(0));
            for _ in 0..nseats {
                let kind = r.int()?;
                seats.push(match SeatKind::from_wire(kind) {
                    Some(SeatKind::Open) => LaunchSeat::Open,
                    Some(SeatKind::Bot) => LaunchSeat::Bot(r.string()?),
                    Some(SeatKind::Reserved) => LaunchSeat::Reserved(r.string()?),
                    _ => return Err(Stop::Bad(WireError::BadSeatKind(kind))),
                });
            }
            ToGame::Launch {
                game,
                savegame,
                seats,
                spectators,
            }
        }
        1 => {
            let num = r.index("seat number")?;
            let raw = r.int()?;
            let kind = SeatKind::from_wire(raw).ok_or(WireError::BadSeatKind(raw))?;
            let name = r.string()?;
            ToGame::Seat { num, kind, name }
        }
        2 => {
            let num = r.index("spectator number")?;
            let name = r.string()?;
            ToGame::SpectatorSeat { num, name }
        }
        3 => {
            let old = r.index("seat number")?;
            let was_spectator = r.bool()?;
            let new = r.index("seat number")?;
            let is_spectator = r.bool()?;
            ToGame::Reseat {
                old,
                was_spectator,
                new,
                is_spectator,
            }
        }
        4 => ToGame::StateAck,
        _ => return Err(Stop::Bad(WireError::UnknownOpcode(op))),
    })
}

fn decode_to_server(r: &mut Reader<'_>) -> Result<ToServer, Stop> {
    let op = r.int()?;
    Ok(match op {
        0 => ToServer::Log(r.string()?),
        1 => {
            let b = r.byte()?;
            match GameState::from_wire(b) {
                Some(st) => ToServer::State(st),
                None => ToServer::InvalidState(b),
            }
        }
        2 => ToServer::NumSeats(r.int()?),
        3 => ToServer::Boot(r.string()?),
        4 => ToServer::Bot(r.int()?),
        5 => ToServer::Open(r.int()?),
        6 => {
            let n = r.bounded("report record count", MAX_SEATS)?;
            let mut records = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let mut invalid = None;
            for i in 0..usize::try_from(n).unwrap_or(0) {
                let name = r.string()?;
                let kind = r.int()?;
                let team = r.int()?;
                let result = r.int()?;
                let score = r.int()?;
                // Keep reading after a bad value so the whole frame is
                // consumed and the stream stays in step.
                match (SeatKind::from_wire(kind), GameResult::from_wire(result)) {
                    (Some(kind), Some(result)) => records.push(ReportRecord {
                        name,
                        kind,
                        team,
                        result,
                        score,
                    }),
                    (None, _) => {
                        invalid.get_or_insert((i, "type", kind));
                    }
                    (_, None) => {
                        invalid.get_or_insert((i, "result", result));
                    }
                }
            }
            match invalid {
                None => ToServer::Report(records),
                Some((record, field, value)) => ToServer::InvalidReport {
                    record,
                    field,
                    value,
                },
            }
        }
        7 => ToServer::SavegameReport(r.string()?),
        _ => return Err(Stop::Bad(WireError::UnknownOpcode(op))),
    })
}
