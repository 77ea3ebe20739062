//! The node-link wire (docs/cluster.md §3): length-prefixed frames, each a
//! kind byte and its fields. Every length and count is bounded; bytes that
//! do not decode are an error for that one link, which is dropped and
//! rebuilt by a fresh snapshot.

/// Largest frame body (kind byte and fields) accepted or written.
pub const MAX_FRAME: usize = 64 * 1024;
/// Longest node or player name, room key or other short string.
pub const MAX_NAME: usize = 256;
/// The link's version, written after HELLO's incarnation. Frames carry no
/// version of their own: both ends of a link must speak the same one, and
/// a HELLO of another version drops the link (logged) rather than letting
/// frames of another shape be misread. 2: PLAYER carries table and stats.
pub const LINK_VERSION: u16 = 3;

/// The statistics a player shows for its room's game (the same fields a
/// local player's `LIST player` entry has); each part only when the game
/// keeps it.
pub use crate::proto::reply::StatsView as PlayerStats;

use super::tables::{
    MAX_TABLE_DESC, MAX_TABLE_SEATS, MAX_TABLE_SPECTATORS, SeatKind, SeatState, TableState,
};

/// One player as other nodes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerInfo {
    /// As typed at login; shown to everyone.
    pub name: String,
    /// The key of the room the player is in (room keys are the same on
    /// every node: they come from the same room files).
    pub room: Option<String>,
    pub guest: bool,
    pub perms: u32,
    pub lag: u8,
    /// Sits or watches at a table.
    pub at_table: bool,
    /// The id of that table, -1 for none.
    pub table: i32,
    /// For the game of its room; `None` when it has none to show (a guest,
    /// `no_stats`, a room without a game or a game without statistics).
    pub stats: Option<PlayerStats>,
}

/// What travels on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkMsg {
    /// First frame each way: who this is. Whatever the receiver knew of
    /// that node's players is replaced by the snapshot that follows.
    Hello {
        node: String,
        incarnation: u64,
    },
    /// A player logged in, moved or changed (also: one snapshot entry).
    Player(PlayerInfo),
    /// The snapshot after HELLO is complete.
    SnapshotEnd,
    /// A player logged out.
    Gone {
        name: String,
    },
    /// Room chat, by room key.
    RoomChat {
        room: String,
        from: String,
        text: String,
    },
    Announce {
        from: String,
        text: String,
    },
    /// Private chat to `to`, or a beep when `text` is `None`.
    Private {
        from: String,
        to: String,
        text: Option<String>,
    },
    // ----- tables across nodes (engineer "xtables", kinds 9-29) -----
    /// The whole state of one of the sender's tables (also: one snapshot
    /// entry). The receiver diffs it against what it had.
    Table(TableState),
    /// One of the sender's tables ended.
    TableGone {
        room: String,
        id: u32,
    },
    /// A player of the sender asks for a seat (or a spectator slot) at a
    /// table of the receiver. `seat` is the seat asked for, if any.
    JoinRequest {
        req: u32,
        player: String,
        room: String,
        id: u32,
        spectator: bool,
        seat: Option<u32>,
    },
    /// The answer to JoinRequest `req`: a result code (the original's
    /// number, docs/client-server.md), and on success the one-time token
    /// the game channel's relay connection presents.
    JoinAnswer {
        req: u32,
        code: i8,
        token: [u8; 16],
    },
    /// A player of the sender left a table of the receiver.
    LeaveTable {
        player: String,
        room: String,
        id: u32,
    },
    /// A player of the receiver no longer sits at (or watches) a table of
    /// the sender: booted, or its channel was refused. `reason` is a
    /// LEAVE reason (0 normal, 1 boot, 2 gameover, 3 gameerror).
    SeatLost {
        player: String,
        room: String,
        id: u32,
        reason: u8,
    },
    /// Table chat of the table `id` (on the table's node). With
    /// `to_table`, from a player of the sender sitting at a table of the
    /// receiver (the receiver hands it out); without, the table's node
    /// hands it to the receiver's players at that table.
    TableChat {
        room: String,
        id: u32,
        from: String,
        text: String,
        to_table: bool,
    },
    /// INFO of a player of the sender at a table of the receiver: the
    /// seat asked for, if any.
    InfoRequest {
        player: String,
        room: String,
        id: u32,
        seat: Option<u32>,
    },
    /// The answer to InfoRequest, for `player` of the receiver.
    InfoAnswer {
        player: String,
        room: String,
        id: u32,
        rows: Vec<InfoRow>,
    },
    /// A table of the sender stored a game report naming the receiver's
    /// player `player` (the stats key the report used): its statistics
    /// for `game` (the untranslated game name) changed in the database.
    StatsChanged {
        player: String,
        game: String,
    },
    /// What the sender knows of its player `player`, who just asked to
    /// join a table of the receiver (after that JOIN_REQUEST): the real
    /// name, and the address INFO shows when the game allows peers (empty
    /// otherwise). The table's node answers INFO with them.
    SeatInfo {
        player: String,
        realname: String,
        host: String,
    },
    // ----- end of the tables block -----
    // ----- matchmaking across nodes (docs/cluster.md §8) -----
    /// The sender runs exactly these queues (it holds their locks).
    QueueRunner {
        queues: Vec<String>,
    },
    /// A ticket of the sender's player `name` for `queue`, which the
    /// receiver runs; the rating in thousandths.
    Ticket {
        queue: String,
        name: String,
        rating_milli: i64,
    },
    /// That player's ticket in `queue` (every queue when `None`) ends.
    TicketCancel {
        queue: Option<String>,
        name: String,
    },
    /// The receiver's player `name` was matched by the sender: table
    /// `table` of the room `room` (a key) on the sender, seat `seat`.
    Matched {
        queue: String,
        name: String,
        room: String,
        table: i32,
        seat: u32,
    },
}

/// One seat's line of an INFO answer across nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoRow {
    pub seat: u32,
    pub realname: String,
    pub host: String,
}

const HELLO: u8 = 1;
const PLAYER: u8 = 2;
const SNAPSHOT_END: u8 = 3;
const GONE: u8 = 4;
const ROOM_CHAT: u8 = 5;
const ANNOUNCE: u8 = 6;
const PRIVATE: u8 = 7;
const BEEP: u8 = 8;
// Tables across nodes (engineer "xtables": kinds 9-29).
const TABLE: u8 = 9;
const TABLE_GONE: u8 = 10;
const JOIN_REQUEST: u8 = 11;
const JOIN_ANSWER: u8 = 12;
const LEAVE_TABLE: u8 = 13;
const SEAT_LOST: u8 = 14;
const TABLE_CHAT: u8 = 15;
const INFO_REQUEST: u8 = 16;
const INFO_ANSWER: u8 = 17;
const STATS_CHANGED: u8 = 18;
const SEAT_INFO: u8 = 19;
// Kinds 30-39: matchmaking across nodes.
const QUEUE_RUNNER: u8 = 30;
const TICKET: u8 = 31;
const TICKET_CANCEL: u8 = 32;
const MATCHED: u8 = 33;
/// Most queue names in one QUEUE_RUNNER.
const MAX_QUEUE_NAMES: usize = 256;

/// Why a link's bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    FrameTooLarge(usize),
    UnknownKind(u8),
    Truncated,
    TooLong,
    NotUtf8,
    TrailingBytes,
    /// A field's value is outside its table (e.g. a seat kind).
    BadValue,
    /// A HELLO of another link version.
    Version(u16),
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::FrameTooLarge(n) => write!(f, "frame of {n} bytes is too large"),
            CodecError::UnknownKind(k) => write!(f, "unknown frame kind {k}"),
            CodecError::Truncated => f.write_str("frame ends inside a field"),
            CodecError::TooLong => f.write_str("a field is too long"),
            CodecError::NotUtf8 => f.write_str("a string is not UTF-8"),
            CodecError::TrailingBytes => f.write_str("bytes after the last field"),
            CodecError::BadValue => f.write_str("a field's value is out of range"),
            CodecError::Version(v) => write!(
                f,
                "the node speaks link version {v}, this one {LINK_VERSION} (every node of a zone must run the same ggzd)"
            ),
        }
    }
}

/// The frame of `msg`, length prefix included. `None` when a field is
/// past its bound (never sent: the receiver would drop the link).
pub fn encode(msg: &LinkMsg) -> Option<Vec<u8>> {
    let mut w = Writer(vec![0, 0, 0, 0]);
    match msg {
        LinkMsg::Hello { node, incarnation } => {
            w.byte(HELLO);
            w.short(node)?;
            w.0.extend_from_slice(&incarnation.to_be_bytes());
            w.0.extend_from_slice(&LINK_VERSION.to_be_bytes());
        }
        LinkMsg::Player(p) => {
            w.byte(PLAYER);
            w.short(&p.name)?;
            w.short(p.room.as_deref().unwrap_or(""))?;
            w.byte(u8::from(p.room.is_some()) | u8::from(p.guest) << 1 | u8::from(p.at_table) << 2);
            w.0.extend_from_slice(&p.perms.to_be_bytes());
            w.byte(p.lag);
            w.0.extend_from_slice(&p.table.to_be_bytes());
            w.stats(p.stats.as_ref());
        }
        LinkMsg::SnapshotEnd => w.byte(SNAPSHOT_END),
        LinkMsg::Gone { name } => {
            w.byte(GONE);
            w.short(name)?;
        }
        LinkMsg::RoomChat { room, from, text } => {
            w.byte(ROOM_CHAT);
            w.short(room)?;
            w.short(from)?;
            w.long(text)?;
        }
        LinkMsg::Announce { from, text } => {
            w.byte(ANNOUNCE);
            w.short(from)?;
            w.long(text)?;
        }
        LinkMsg::Private { from, to, text } => {
            w.byte(if text.is_some() { PRIVATE } else { BEEP });
            w.short(from)?;
            w.short(to)?;
            if let Some(text) = text {
                w.long(text)?;
            }
        }
        LinkMsg::Table(t) => {
            w.byte(TABLE);
            write_table(&mut w, t)?;
        }
        LinkMsg::TableGone { room, id } => {
            w.byte(TABLE_GONE);
            w.short(room)?;
            w.0.extend_from_slice(&id.to_be_bytes());
        }
        LinkMsg::JoinRequest {
            req,
            player,
            room,
            id,
            spectator,
            seat,
        } => {
            w.byte(JOIN_REQUEST);
            w.0.extend_from_slice(&req.to_be_bytes());
            w.short(player)?;
            w.short(room)?;
            w.0.extend_from_slice(&id.to_be_bytes());
            w.byte(u8::from(*spectator));
            w.0.extend_from_slice(&seat.map_or(-1, i64::from).to_be_bytes());
        }
        LinkMsg::JoinAnswer { req, code, token } => {
            w.byte(JOIN_ANSWER);
            w.0.extend_from_slice(&req.to_be_bytes());
            w.byte(*code as u8);
            w.0.extend_from_slice(token);
        }
        LinkMsg::LeaveTable { player, room, id } => {
            w.byte(LEAVE_TABLE);
            w.short(player)?;
            w.short(room)?;
            w.0.extend_from_slice(&id.to_be_bytes());
        }
        LinkMsg::SeatLost {
            player,
            room,
            id,
            reason,
        } => {
            w.byte(SEAT_LOST);
            w.short(player)?;
            w.short(room)?;
            w.0.extend_from_slice(&id.to_be_bytes());
            w.byte(*reason);
        }
        LinkMsg::TableChat {
            room,
            id,
            from,
            text,
            to_table,
        } => {
            w.byte(TABLE_CHAT);
            w.short(room)?;
            w.0.extend_from_slice(&id.to_be_bytes());
            w.short(from)?;
            w.long(text)?;
            w.byte(u8::from(*to_table));
        }
        LinkMsg::InfoRequest {
            player,
            room,
            id,
            seat,
        } => {
            w.byte(INFO_REQUEST);
            w.short(player)?;
            w.short(room)?;
            w.0.extend_from_slice(&id.to_be_bytes());
            w.0.extend_from_slice(&seat.map_or(-1, i64::from).to_be_bytes());
        }
        LinkMsg::InfoAnswer {
            player,
            room,
            id,
            rows,
        } => {
            w.byte(INFO_ANSWER);
            w.short(player)?;
            w.short(room)?;
            w.0.extend_from_slice(&id.to_be_bytes());
            if rows.len() > MAX_TABLE_SEATS {
                return None;
            }
            w.0.extend_from_slice(&(rows.len() as u16).to_be_bytes());
            for row in rows {
                w.0.extend_from_slice(&row.seat.to_be_bytes());
                w.short(&row.realname)?;
                w.short(&row.host)?;
            }
        }
        LinkMsg::StatsChanged { player, game } => {
            w.byte(STATS_CHANGED);
            w.short(player)?;
            w.short(game)?;
        }
        LinkMsg::SeatInfo {
            player,
            realname,
            host,
        } => {
            w.byte(SEAT_INFO);
            w.short(player)?;
            w.short(realname)?;
            w.short(host)?;
        }
        LinkMsg::QueueRunner { queues } => {
            w.byte(QUEUE_RUNNER);
            if queues.len() > MAX_QUEUE_NAMES {
                return None;
            }
            w.0.extend_from_slice(&(queues.len() as u16).to_be_bytes());
            for q in queues {
                w.short(q)?;
            }
        }
        LinkMsg::Ticket {
            queue,
            name,
            rating_milli,
        } => {
            w.byte(TICKET);
            w.short(queue)?;
            w.short(name)?;
            w.0.extend_from_slice(&rating_milli.to_be_bytes());
        }
        LinkMsg::TicketCancel { queue, name } => {
            w.byte(TICKET_CANCEL);
            w.short(queue.as_deref().unwrap_or(""))?;
            w.short(name)?;
        }
        LinkMsg::Matched {
            queue,
            name,
            room,
            table,
            seat,
        } => {
            w.byte(MATCHED);
            w.short(queue)?;
            w.short(name)?;
            w.short(room)?;
            w.0.extend_from_slice(&table.to_be_bytes());
            w.0.extend_from_slice(&seat.to_be_bytes());
        }
    }
    let body = w.0.len() - 4;
    if body > MAX_FRAME {
        return None;
    }
    w.0[..4].copy_from_slice(&(body as u32).to_be_bytes());
    Some(w.0)
}

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn short(&mut self, s: &str) -> Option<()> {
        if s.len() > MAX_NAME {
            return None;
        }
        self.0.extend_from_slice(&(s.len() as u16).to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
        Some(())
    }

    /// A presence byte (1 = stats, 2 = records, 4 = rating, 8 = high
    /// score), then the parts present.
    fn stats(&mut self, stats: Option<&PlayerStats>) {
        let Some(s) = stats else {
            self.byte(0);
            return;
        };
        self.byte(
            1 | u8::from(s.records.is_some()) << 1
                | u8::from(s.rating.is_some()) << 2
                | u8::from(s.highscore.is_some()) << 3,
        );
        if let Some((w, l, t, f)) = s.records {
            for n in [w, l, t, f] {
                self.0.extend_from_slice(&n.to_be_bytes());
            }
        }
        for n in [s.rating, s.highscore].into_iter().flatten() {
            self.0.extend_from_slice(&n.to_be_bytes());
        }
    }

    fn long(&mut self, s: &str) -> Option<()> {
        if s.len() > MAX_FRAME {
            return None;
        }
        self.0.extend_from_slice(&(s.len() as u32).to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
        Some(())
    }
}

/// The first complete frame of `buf` and how many bytes it took: `Ok(None)`
/// when more bytes are needed. A reader never needs to hold more than
/// `MAX_FRAME + 4` bytes of one frame.
pub fn decode(buf: &[u8]) -> Result<Option<(LinkMsg, usize)>, CodecError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len > MAX_FRAME {
        return Err(CodecError::FrameTooLarge(len));
    }
    if len == 0 {
        return Err(CodecError::Truncated);
    }
    let Some(body) = buf.get(4..4 + len) else {
        return Ok(None);
    };
    Ok(Some((parse(body)?, 4 + len)))
}

fn parse(body: &[u8]) -> Result<LinkMsg, CodecError> {
    let mut r = Reader(body);
    let msg = match r.byte()? {
        HELLO => {
            let node = r.short()?;
            let incarnation = u64::from_be_bytes(r.array::<8>()?);
            let version = u16::from_be_bytes(r.array::<2>()?);
            if version != LINK_VERSION {
                return Err(CodecError::Version(version));
            }
            LinkMsg::Hello { node, incarnation }
        }
        PLAYER => {
            let name = r.short()?;
            let room = r.short()?;
            let flags = r.byte()?;
            let perms = u32::from_be_bytes(r.array::<4>()?);
            let lag = r.byte()?;
            let table = i32::from_be_bytes(r.array::<4>()?);
            let stats = r.stats()?;
            LinkMsg::Player(PlayerInfo {
                name,
                room: (flags & 1 != 0).then_some(room),
                guest: flags & 2 != 0,
                perms,
                lag,
                at_table: flags & 4 != 0,
                table,
                stats,
            })
        }
        SNAPSHOT_END => LinkMsg::SnapshotEnd,
        GONE => LinkMsg::Gone { name: r.short()? },
        ROOM_CHAT => LinkMsg::RoomChat {
            room: r.short()?,
            from: r.short()?,
            text: r.long()?,
        },
        ANNOUNCE => LinkMsg::Announce {
            from: r.short()?,
            text: r.long()?,
        },
        PRIVATE => LinkMsg::Private {
            from: r.short()?,
            to: r.short()?,
            text: Some(r.long()?),
        },
        BEEP => LinkMsg::Private {
            from: r.short()?,
            to: r.short()?,
            text: None,
        },
        TABLE => LinkMsg::Table(read_table(&mut r)?),
        TABLE_GONE => LinkMsg::TableGone {
            room: r.short()?,
            id: u32::from_be_bytes(r.array::<4>()?),
        },
        JOIN_REQUEST => LinkMsg::JoinRequest {
            req: u32::from_be_bytes(r.array::<4>()?),
            player: r.short()?,
            room: r.short()?,
            id: u32::from_be_bytes(r.array::<4>()?),
            spectator: r.byte()? != 0,
            seat: u32::try_from(i64::from_be_bytes(r.array::<8>()?)).ok(),
        },
        JOIN_ANSWER => LinkMsg::JoinAnswer {
            req: u32::from_be_bytes(r.array::<4>()?),
            code: r.byte()? as i8,
            token: r.array::<16>()?,
        },
        LEAVE_TABLE => LinkMsg::LeaveTable {
            player: r.short()?,
            room: r.short()?,
            id: u32::from_be_bytes(r.array::<4>()?),
        },
        SEAT_LOST => LinkMsg::SeatLost {
            player: r.short()?,
            room: r.short()?,
            id: u32::from_be_bytes(r.array::<4>()?),
            reason: r.byte()?,
        },
        TABLE_CHAT => LinkMsg::TableChat {
            room: r.short()?,
            id: u32::from_be_bytes(r.array::<4>()?),
            from: r.short()?,
            text: r.long()?,
            to_table: r.byte()? != 0,
        },
        INFO_REQUEST => LinkMsg::InfoRequest {
            player: r.short()?,
            room: r.short()?,
            id: u32::from_be_bytes(r.array::<4>()?),
            seat: u32::try_from(i64::from_be_bytes(r.array::<8>()?)).ok(),
        },
        INFO_ANSWER => {
            let player = r.short()?;
            let room = r.short()?;
            let id = u32::from_be_bytes(r.array::<4>()?);
            let count = usize::from(u16::from_be_bytes(r.array::<2>()?));
            if count > MAX_TABLE_SEATS {
                return Err(CodecError::TooLong);
            }
            let mut rows = Vec::with_capacity(count);
            for _ in 0..count {
                rows.push(InfoRow {
                    seat: u32::from_be_bytes(r.array::<4>()?),
                    realname: r.short()?,
                    host: r.short()?,
                });
            }
            LinkMsg::InfoAnswer {
                player,
                room,
                id,
                rows,
            }
        }
        STATS_CHANGED => LinkMsg::StatsChanged {
            player: r.short()?,
            game: r.short()?,
        },
        SEAT_INFO => LinkMsg::SeatInfo {
            player: r.short()?,
            realname: r.short()?,
            host: r.short()?,
        },
        QUEUE_RUNNER => {
            let n = u16::from_be_bytes(r.array::<2>()?) as usize;
            if n > MAX_QUEUE_NAMES {
                return Err(CodecError::TooLong);
            }
            let mut queues = Vec::with_capacity(n);
            for _ in 0..n {
                queues.push(r.short()?);
            }
            LinkMsg::QueueRunner { queues }
        }
        TICKET => LinkMsg::Ticket {
            queue: r.short()?,
            name: r.short()?,
            rating_milli: r.i64()?,
        },
        TICKET_CANCEL => {
            let queue = r.short()?;
            LinkMsg::TicketCancel {
                queue: (!queue.is_empty()).then_some(queue),
                name: r.short()?,
            }
        }
        MATCHED => LinkMsg::Matched {
            queue: r.short()?,
            name: r.short()?,
            room: r.short()?,
            table: i32::from_be_bytes(r.array::<4>()?),
            seat: r.u32()?,
        },
        other => return Err(CodecError::UnknownKind(other)),
    };
    if !r.0.is_empty() {
        return Err(CodecError::TrailingBytes);
    }
    Ok(msg)
}

/// TABLE's fields: room key, id, status (a signed byte), description, the
/// seats (count, then kind and name each; an empty name is none) and the
/// spectator slots (count, then a name each; empty is a free slot).
fn write_table(w: &mut Writer, t: &TableState) -> Option<()> {
    if t.seats.len() > MAX_TABLE_SEATS
        || t.spectators.len() > MAX_TABLE_SPECTATORS
        || t.desc.len() > MAX_TABLE_DESC
    {
        return None;
    }
    w.short(&t.room)?;
    w.0.extend_from_slice(&t.id.to_be_bytes());
    w.byte(t.status as u8);
    w.long(&t.desc)?;
    w.byte(t.seats.len() as u8);
    for seat in &t.seats {
        w.byte(seat.kind.to_wire() as u8);
        w.short(seat.name.as_deref().unwrap_or(""))?;
    }
    w.byte(t.spectators.len() as u8);
    for spectator in &t.spectators {
        w.short(spectator.as_deref().unwrap_or(""))?;
    }
    Some(())
}

fn read_table(r: &mut Reader<'_>) -> Result<TableState, CodecError> {
    let room = r.short()?;
    let id = u32::from_be_bytes(r.array::<4>()?);
    let status = r.byte()? as i8;
    let desc = r.long()?;
    if desc.len() > MAX_TABLE_DESC {
        return Err(CodecError::TooLong);
    }
    let count = r.byte()? as usize;
    if count > MAX_TABLE_SEATS {
        return Err(CodecError::TooLong);
    }
    let mut seats = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = SeatKind::from_wire(i32::from(r.byte()?)).ok_or(CodecError::BadValue)?;
        let name = r.short()?;
        seats.push(SeatState {
            kind,
            name: (!name.is_empty()).then_some(name),
        });
    }
    let count = r.byte()? as usize;
    if count > MAX_TABLE_SPECTATORS {
        return Err(CodecError::TooLong);
    }
    let mut spectators = Vec::with_capacity(count);
    for _ in 0..count {
        let name = r.short()?;
        spectators.push((!name.is_empty()).then_some(name));
    }
    Ok(TableState {
        room,
        id,
        status,
        desc,
        seats,
        spectators,
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        if self.0.len() < n {
            return Err(CodecError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn string(&mut self, len: usize, max: usize) -> Result<String, CodecError> {
        if len > max {
            return Err(CodecError::TooLong);
        }
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::NotUtf8)
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }

    fn i64(&mut self) -> Result<i64, CodecError> {
        Ok(i64::from_be_bytes(self.array::<8>()?))
    }

    fn stats(&mut self) -> Result<Option<PlayerStats>, CodecError> {
        let present = self.byte()?;
        if present & 1 == 0 {
            return Ok(None);
        }
        let records = if present & 2 != 0 {
            Some((self.u32()?, self.u32()?, self.u32()?, self.u32()?))
        } else {
            None
        };
        let rating = if present & 4 != 0 {
            Some(self.i64()?)
        } else {
            None
        };
        let highscore = if present & 8 != 0 {
            Some(self.i64()?)
        } else {
            None
        };
        Ok(Some(PlayerStats {
            records,
            rating,
            highscore,
        }))
    }

    fn short(&mut self) -> Result<String, CodecError> {
        let len = u16::from_be_bytes(self.array::<2>()?) as usize;
        self.string(len, MAX_NAME)
    }

    fn long(&mut self) -> Result<String, CodecError> {
        let len = u32::from_be_bytes(self.array::<4>()?) as usize;
        self.string(len, MAX_FRAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<LinkMsg> {
        vec![
            LinkMsg::Hello {
                node: "node-a".into(),
                incarnation: u64::MAX - 7,
            },
            LinkMsg::Player(PlayerInfo {
                name: "Ålice".into(),
                room: Some("lobby".into()),
                guest: true,
                perms: 0x8000_0001,
                lag: 3,
                at_table: true,
                table: 12,
                stats: Some(PlayerStats {
                    records: Some((1, 2, 3, u32::MAX)),
                    rating: Some(-1500),
                    highscore: None,
                }),
            }),
            LinkMsg::Player(PlayerInfo {
                name: "carl".into(),
                room: Some("ttt".into()),
                guest: false,
                perms: 0,
                lag: 2,
                at_table: false,
                table: -1,
                stats: Some(PlayerStats {
                    records: None,
                    rating: None,
                    highscore: Some(i64::MIN),
                }),
            }),
            LinkMsg::Player(PlayerInfo {
                name: "bob".into(),
                room: None,
                guest: false,
                perms: 7,
                lag: 1,
                at_table: false,
                table: -1,
                stats: None,
            }),
            LinkMsg::SnapshotEnd,
            LinkMsg::Gone { name: "bob".into() },
            LinkMsg::RoomChat {
                room: "tictactoe".into(),
                from: "a".into(),
                text: "hi <there> & ünïcode".into(),
            },
            LinkMsg::Announce {
                from: "admin".into(),
                text: String::new(),
            },
            LinkMsg::Private {
                from: "a".into(),
                to: "b".into(),
                text: Some("psst".into()),
            },
            LinkMsg::Private {
                from: "a".into(),
                to: "b".into(),
                text: None,
            },
            LinkMsg::Table(TableState {
                room: "tictactoe".into(),
                id: 7,
                status: 2,
                desc: "a game <for> all".into(),
                seats: vec![
                    SeatState {
                        kind: SeatKind::Player,
                        name: Some("ann".into()),
                    },
                    SeatState {
                        kind: SeatKind::Open,
                        name: None,
                    },
                ],
                spectators: vec![None, Some("cy".into())],
            }),
            LinkMsg::Table(TableState {
                room: "r".into(),
                id: 1,
                status: -1,
                desc: String::new(),
                seats: Vec::new(),
                spectators: Vec::new(),
            }),
            LinkMsg::TableGone {
                room: "tictactoe".into(),
                id: u32::MAX,
            },
            LinkMsg::JoinRequest {
                req: 3,
                player: "bob".into(),
                room: "tictactoe".into(),
                id: 1,
                spectator: false,
                seat: Some(1),
            },
            LinkMsg::JoinRequest {
                req: u32::MAX,
                player: "cy".into(),
                room: "r".into(),
                id: 2,
                spectator: true,
                seat: None,
            },
            LinkMsg::JoinAnswer {
                req: 3,
                code: -4,
                token: [7; 16],
            },
            LinkMsg::LeaveTable {
                player: "bob".into(),
                room: "tictactoe".into(),
                id: 1,
            },
            LinkMsg::SeatLost {
                player: "bob".into(),
                room: "tictactoe".into(),
                id: 1,
                reason: 1,
            },
            LinkMsg::StatsChanged {
                player: "Bob".into(),
                game: "TicTacToe".into(),
            },
            LinkMsg::SeatInfo {
                player: "Bob".into(),
                realname: "Bob B. <b>".into(),
                host: "::1".into(),
            },
            LinkMsg::SeatInfo {
                player: "cy".into(),
                realname: String::new(),
                host: String::new(),
            },
            LinkMsg::TableChat {
                room: "tictactoe".into(),
                id: 4,
                from: "bob".into(),
                text: "gg <all>".into(),
                to_table: true,
            },
            LinkMsg::TableChat {
                room: "r".into(),
                id: 1,
                from: "ann".into(),
                text: String::new(),
                to_table: false,
            },
            LinkMsg::InfoRequest {
                player: "bob".into(),
                room: "tictactoe".into(),
                id: 4,
                seat: Some(1),
            },
            LinkMsg::InfoRequest {
                player: "bob".into(),
                room: "tictactoe".into(),
                id: 4,
                seat: None,
            },
            LinkMsg::InfoAnswer {
                player: "bob".into(),
                room: "tictactoe".into(),
                id: 4,
                rows: vec![
                    InfoRow {
                        seat: 0,
                        realname: "Ann A.".into(),
                        host: String::new(),
                    },
                    InfoRow {
                        seat: 1,
                        realname: String::new(),
                        host: "127.0.0.1".into(),
                    },
                ],
            },
            LinkMsg::InfoAnswer {
                player: "bob".into(),
                room: "r".into(),
                id: 1,
                rows: Vec::new(),
            },
            LinkMsg::QueueRunner {
                queues: vec!["ttt".into(), "chess blitz".into()],
            },
            LinkMsg::QueueRunner { queues: Vec::new() },
            LinkMsg::Ticket {
                queue: "ttt".into(),
                name: "Ann".into(),
                rating_milli: -1_500_250,
            },
            LinkMsg::TicketCancel {
                queue: Some("ttt".into()),
                name: "Ann".into(),
            },
            LinkMsg::TicketCancel {
                queue: None,
                name: "Ann".into(),
            },
            LinkMsg::Matched {
                queue: "ttt".into(),
                name: "Ann".into(),
                room: "tictactoe".into(),
                table: 3,
                seat: 1,
            },
        ]
    }

    #[test]
    fn every_message_round_trips_even_byte_by_byte() {
        let mut all = Vec::new();
        for msg in samples() {
            all.extend(encode(&msg).unwrap());
        }
        let mut buf = Vec::new();
        let mut got = Vec::new();
        for b in all {
            buf.push(b);
            while let Some((msg, used)) = decode(&buf).unwrap() {
                buf.drain(..used);
                got.push(msg);
            }
        }
        assert_eq!(got, samples());
        assert!(buf.is_empty());
    }

    #[test]
    fn oversized_fields_are_never_encoded() {
        let long = "x".repeat(MAX_NAME + 1);
        assert!(encode(&LinkMsg::Gone { name: long.clone() }).is_none());
        let stats = LinkMsg::StatsChanged {
            player: "bob".into(),
            game: long,
        };
        assert!(encode(&stats).is_none());
        let text = "y".repeat(MAX_FRAME);
        let chat = LinkMsg::Announce {
            from: "a".into(),
            text,
        };
        assert!(encode(&chat).is_none(), "the frame would pass its bound");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let cases: Vec<(Vec<u8>, CodecError)> = vec![
            (vec![0, 1, 0, 1, 9], CodecError::FrameTooLarge(0x0001_0001)),
            (vec![0, 0, 0, 0], CodecError::Truncated),
            (vec![0, 0, 0, 1, 99], CodecError::UnknownKind(99)),
            (vec![0, 0, 0, 3, GONE, 0, 5], CodecError::Truncated),
            (
                vec![0, 0, 0, 5, GONE, 0, 2, 0xff, 0xfe],
                CodecError::NotUtf8,
            ),
            (vec![0, 0, 0, 2, SNAPSHOT_END, 0], CodecError::TrailingBytes),
            (vec![0, 0, 0, 3, GONE, 0xff, 0xff], CodecError::TooLong),
            // TABLE: room "r", id 1, status 1, no desc, 33 seats.
            (
                vec![
                    0, 0, 0, 15, TABLE, 0, 1, b'r', 0, 0, 0, 1, 1, 0, 0, 0, 0, 33, 0,
                ],
                CodecError::TooLong,
            ),
            // TABLE: one seat of kind 9.
            (
                vec![
                    0, 0, 0, 18, TABLE, 0, 1, b'r', 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 9, 0, 0, 0,
                ],
                CodecError::BadValue,
            ),
            (
                vec![0, 0, 0, 3, QUEUE_RUNNER, 0x01, 0x01],
                CodecError::TooLong,
            ),
            // STATS_CHANGED: player "b", then no game.
            (
                vec![0, 0, 0, 4, STATS_CHANGED, 0, 1, b'b'],
                CodecError::Truncated,
            ),
            // STATS_CHANGED: a game name past the bound.
            (
                vec![0, 0, 0, 6, STATS_CHANGED, 0, 0, 0x01, 0x01, 0],
                CodecError::TooLong,
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(decode(&bytes), Err(want), "{bytes:?}");
        }
    }

    #[test]
    fn a_hello_of_another_link_version_is_refused() {
        let mut frame = encode(&LinkMsg::Hello {
            node: "n".into(),
            incarnation: 1,
        })
        .unwrap();
        let n = frame.len();
        frame[n - 2..].copy_from_slice(&1u16.to_be_bytes());
        assert_eq!(decode(&frame), Err(CodecError::Version(1)));
        // A HELLO of version 1 had no version at all: too short.
        let old = [0, 0, 0, 12, HELLO, 0, 1, b'n', 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(decode(&old), Err(CodecError::Truncated));
    }

    #[test]
    fn a_partial_frame_waits_for_more() {
        let frame = encode(&LinkMsg::SnapshotEnd).unwrap();
        assert_eq!(decode(&frame[..3]), Ok(None));
        assert_eq!(decode(&frame[..4]), Ok(None));
        assert_eq!(decode(&frame), Ok(Some((LinkMsg::SnapshotEnd, 5))));
    }
}
