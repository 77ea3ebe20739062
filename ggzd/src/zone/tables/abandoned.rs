//! Abandoned seats: a player who leaves a running game, or whose lobby
//! connection drops, keeps the seat for `rejoin.grace` seconds; only that
//! player may take it back, and after the grace it opens
//! (docs/client-server.md §11.7, docs/extensions.md §3).
//!
//! The rules that need no zone (what counts as mid-game, which hold a
//! timer belongs to, which seat a name holds) are plain functions over a
//! table, unit-tested below; the rest carries them out through the sink.

use std::collections::BTreeMap;
use std::time::Instant;

use ggzdmod::wire::ToGame;

use super::{Seat, Table};
use crate::proto::ext_reply;
use crate::proto::reply::{self as r, SeatView};
use crate::proto::types::{LeaveReason, SeatKind, TableStatus};
use crate::zone::Zone;
use crate::zone::effects::{ConnId, Sink, TableSerial, TimerKey, TimerKind, msg};

/// The seats of one table held for players who left mid-game, each with
/// the end of its grace. At most one entry per seat, so bounded by the
/// table's seat count.
#[derive(Debug, Default)]
pub(crate) struct Holds {
    until: BTreeMap<u32, Instant>,
    /// The one grace timer pending per seat, by its deadline: a seat left
    /// again and again within a grace never has more than one.
    armed: BTreeMap<u32, Instant>,
    /// The game server reported a result and has not reported a state
    /// since: the game is over even if the table still says playing.
    reported: bool,
    /// Game channels handed to this table and whose player (lobby
    /// connection) they belong to, so that a channel's end can be traced
    /// to its player. One per player, at most [`MAX_CHANNELS`].
    channels: Vec<(ConnId, ConnId)>,
}

/// Channels remembered per table: one per seat and spectator slot.
const MAX_CHANNELS: usize = super::MAX_SEATS + super::MAX_SPECTATORS;

impl Holds {
    /// Remembers `channel` as `player`'s, replacing the player's earlier
    /// one; the oldest entry goes when the table has too many.
    fn track(&mut self, channel: ConnId, player: ConnId) {
        self.channels.retain(|&(_, p)| p != player);
        if self.channels.len() >= MAX_CHANNELS {
            self.channels.remove(0);
        }
        self.channels.push((channel, player));
    }

    /// The player whose channel this was, forgetting it.
    fn untrack(&mut self, channel: ConnId) -> Option<ConnId> {
        let at = self.channels.iter().position(|&(c, _)| c == channel)?;
        Some(self.channels.remove(at).1)
    }

    /// Holds `seat` until then; true when a timer must be set for it
    /// (none is pending for the seat yet).
    fn hold(&mut self, seat: u32, until: Instant) -> bool {
        self.until.insert(seat, until);
        if self.armed.contains_key(&seat) {
            return false;
        }
        self.armed.insert(seat, until);
        true
    }

    fn release(&mut self, seat: u32) {
        self.until.remove(&seat);
    }

    /// A grace timer set for `deadline` fired for `seat`.
    fn fired(&mut self, seat: u32, deadline: Instant) -> Fired {
        if self.armed.get(&seat) != Some(&deadline) {
            return Fired::Stale;
        }
        self.armed.remove(&seat);
        match self.until.get(&seat).copied() {
            Some(until) if until <= deadline => {
                self.until.remove(&seat);
                Fired::Expired
            }
            // Left again since the timer was set: wait for the new end.
            Some(until) => {
                self.armed.insert(seat, until);
                Fired::Rearm(until)
            }
            None => Fired::Stale,
        }
    }
}

/// What a grace timer means when it fires.
#[derive(Debug, PartialEq, Eq)]
enum Fired {
    /// Not the seat's pending timer, or the seat is no longer held.
    Stale,
    /// The grace is over: the seat opens.
    Expired,
    /// The seat was held anew meanwhile: a timer for this deadline.
    Rearm(Instant),
}

/// A game is running, for holding seats: the game server says it is
/// playing, or it was interrupted by a seat that is already held (the
/// game server then usually waits for that player).
///
/// A result report ends the game: from it until the game server's next
/// state report (a finished TicTacToe game reports WAITING right after
/// its result), players leave finished games, not running ones. Clients
/// learn of the end at the same time as ggzd, and may be gone before ggzd
/// has read the state that follows.
pub(crate) fn mid_game(table: &Table) -> bool {
    (table.status == TableStatus::Playing && !table.holds.reported)
        || table.seats.iter().any(|s| s.kind == SeatKind::Abandoned)
}

fn holder_is(seat: &Seat, canonical: &str) -> bool {
    seat.kind == SeatKind::Abandoned
        && seat
            .name
            .as_deref()
            .is_some_and(|n| crate::config::canonical_name(n) == canonical)
}

/// The seat of `table` held for the player with this canonical name.
pub(crate) fn held_seat(table: &Table, canonical: &str) -> Option<u32> {
    table
        .seats
        .iter()
        .position(|s| holder_is(s, canonical))
        .map(|n| n as u32)
}

/// Table timers belong to no connection.
const NO_CONN: ConnId = ConnId {
    slot: u32::MAX,
    generation: u32::MAX,
};

fn grace_timer(serial: TableSerial, num: u32, until: Instant, sink: &mut dyn Sink) {
    sink.timer(
        until,
        TimerKey {
            conn: NO_CONN,
            kind: TimerKind::SeatGrace(serial, num),
        },
    );
}

impl Zone {
    /// Marks a seat just left mid-game as abandoned with its player's name
    /// and starts its grace. The game server and the room are told by the
    /// caller's usual leave messages plus the seat's new kind here.
    pub(crate) fn hold_seat(
        &mut self,
        room: u32,
        id: u32,
        num: u32,
        name: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let grace = self.settings.rejoin.grace();
        let until = now + grace;
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        let serial = table.serial;
        let seats = table.seat_count();
        let Some(seat) = table.seats.get_mut(num as usize) else {
            return;
        };
        *seat = Seat {
            kind: SeatKind::Abandoned,
            name: Some(name.to_string()),
            occupant: None,
        };
        // With no grace the seat opens below at once; nothing is armed.
        let arm = !grace.is_zero() && table.holds.hold(num, until);
        log::info!(target: "tables", "table {id} in room {room}: seat {num} held for {name} for {}s", grace.as_secs());
        // Original clients read the preceding `leave` as "the seat is
        // open"; this corrects it to what it is.
        let update = r::update_table_seat(
            room as i32,
            id as i32,
            seats,
            &SeatView {
                num,
                kind: SeatKind::Abandoned,
                name: Some(name),
            },
        );
        self.broadcast_table_room(room, update, sink);
        if grace.is_zero() {
            self.open_seat(room, id, num, now, sink);
        } else if arm {
            grace_timer(serial, num, until, sink);
        }
    }

    /// The game server reported a result: the game the held seats' players
    /// left is over, so their seats open (after the report, which still
    /// counts them).
    pub(super) fn game_over(&mut self, room: u32, id: u32, now: Instant, sink: &mut dyn Sink) {
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        table.holds.reported = true;
        let held: Vec<u32> = table.holds.until.keys().copied().collect();
        for num in held {
            self.forget_hold(room, id, num);
            self.open_seat(room, id, num, now, sink);
        }
    }

    /// Any state report: a game may be running again.
    pub(super) fn game_state_seen(&mut self, room: u32, id: u32) {
        if let Some(table) = self.table_mut(room, id) {
            table.holds.reported = false;
        }
    }

    /// A game channel goes to this table for `player`.
    pub(super) fn track_channel(&mut self, serial: TableSerial, channel: ConnId, player: ConnId) {
        let Some((room, id)) = self.table_by_serial(serial) else {
            return;
        };
        if let Some(table) = self.table_mut(room, id) {
            table.holds.track(channel, player);
        }
    }

    /// A player's game channel ended while its lobby connection may still
    /// be there: the player leaves the table as if it had sent LEAVE (a
    /// seat mid-game is held), and is told with a LEAVE of its own; a
    /// `rejoin` client also learns where its held seat is.
    pub(crate) fn on_channel_closed(
        &mut self,
        room: u32,
        id: u32,
        channel: ConnId,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(player) = self
            .table_mut(room, id)
            .and_then(|t| t.holds.untrack(channel))
        else {
            return;
        };
        let Some(place) = self
            .player(player)
            .filter(|p| p.room == Some(room))
            .and_then(|p| p.place)
            .filter(|place| place.table == id)
        else {
            return;
        };
        log::info!(target: "tables", "table {id} in room {room}: a game channel closed");
        self.vacate(player, room, place, true, now, sink);
        sink.send(player, &msg(r::leave(LeaveReason::Normal, None)));
        self.kill_if_empty(room, id, now, sink);
        self.send_rejoin(player, sink);
    }

    /// The seat was taken back (or changed otherwise): its grace ends.
    pub(crate) fn forget_hold(&mut self, room: u32, id: u32, num: u32) {
        if let Some(table) = self.table_mut(room, id) {
            table.holds.release(num);
        }
    }

    /// A grace timer fired.
    pub(crate) fn on_seat_grace(
        &mut self,
        serial: TableSerial,
        num: u32,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some((room, id)) = self.table_by_serial(serial) else {
            return;
        };
        let Some(table) = self.table_mut(room, id) else {
            return;
        };
        match table.holds.fired(num, deadline) {
            Fired::Stale => {}
            Fired::Rearm(until) => grace_timer(serial, num, until, sink),
            Fired::Expired => self.open_seat(room, id, num, now, sink),
        }
    }

    /// The grace of a held seat is over: the seat opens, the game server
    /// is told as for an owner's seat change, and the game's own rules
    /// decide what follows (a new player, a bot, or the end of the table).
    fn open_seat(&mut self, room: u32, id: u32, num: u32, now: Instant, sink: &mut dyn Sink) {
        let Some(table) = self.table(room, id) else {
            return;
        };
        let serial = table.serial;
        let Some(seat) = table.seats.get(num as usize) else {
            return;
        };
        if seat.kind != SeatKind::Abandoned {
            return;
        }
        let name = seat.name.clone().unwrap_or_default();
        log::info!(target: "tables", "table {id} in room {room}: {name}'s seat {num} is open again");
        sink.table_send(
            serial,
            ToGame::Seat {
                num,
                kind: SeatKind::Open,
                name: String::new(),
            },
            None,
        );
        self.set_seat(room, id, num as usize, SeatKind::Open, None, sink);
        self.kill_if_empty(room, id, now, sink);
    }

    /// A player who sat down at another table gives up any seat held for
    /// them: they cannot sit at two, and the others need not wait.
    pub(super) fn release_holds_elsewhere(
        &mut self,
        canonical: &str,
        room: u32,
        id: u32,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let held: Vec<(u32, u32, u32)> = self
            .held_seats(canonical)
            .into_iter()
            .filter(|&(r, t, _)| (r, t) != (room, id))
            .collect();
        for (r, t, num) in held {
            self.forget_hold(r, t, num);
            self.open_seat(r, t, num, now, sink);
        }
    }

    /// Every seat held for this canonical name: (room, table, seat).
    fn held_seats(&self, canonical: &str) -> Vec<(u32, u32, u32)> {
        self.rooms
            .iter()
            .enumerate()
            .filter_map(|(room, r)| r.as_ref().map(|r| (room as u32, r)))
            .flat_map(|(room, r)| {
                r.tables
                    .values()
                    .filter_map(move |t| held_seat(t, canonical).map(|num| (room, t.id, num)))
            })
            .collect()
    }

    /// `<REJOIN>` for a client that asked for the `rejoin` extension and
    /// holds a seat (the first one, should there be several).
    pub(crate) fn send_rejoin(&self, conn: ConnId, sink: &mut dyn Sink) {
        let Some(session) = self.session(conn) else {
            return;
        };
        if !session.ext.rejoin {
            return;
        }
        let Some(player) = session.player() else {
            return;
        };
        if let Some(&(room, table, seat)) = self.held_seats(&player.canonical).first() {
            sink.send(conn, &msg(ext_reply::rejoin(room, table, seat)));
        } else {
            self.send_remote_rejoin(conn, &player.canonical, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::tables::guard::GameGuard;
    use std::time::Duration;

    fn seat(kind: SeatKind, name: Option<&str>) -> Seat {
        Seat {
            kind,
            name: name.map(str::to_string),
            occupant: None,
        }
    }

    fn table(status: TableStatus, seats: Vec<Seat>) -> Table {
        let now = Instant::now();
        Table {
            serial: 1,
            id: 1,
            game: 0,
            owner: "ann".into(),
            status,
            desc: String::new(),
            seats,
            spectators: Vec::new(),
            launcher: None,
            reports_pending: 0,
            end_deferred: None,
            savegame: String::new(),
            launch_deadline: now,
            guard: GameGuard::new(1, now),
            holds: Holds::default(),
        }
    }

    #[test]
    fn mid_game_is_playing_or_interrupted_by_a_held_seat() {
        let two = || {
            vec![
                seat(SeatKind::Player, Some("ann")),
                seat(SeatKind::Open, None),
            ]
        };
        assert!(mid_game(&table(TableStatus::Playing, two())));
        assert!(!mid_game(&table(TableStatus::Waiting, two())));
        let interrupted = vec![
            seat(SeatKind::Player, Some("ann")),
            seat(SeatKind::Abandoned, Some("bob")),
        ];
        assert!(mid_game(&table(TableStatus::Waiting, interrupted)));
    }

    #[test]
    fn a_held_seat_is_found_by_canonical_name_only_when_abandoned() {
        let t = table(
            TableStatus::Waiting,
            vec![
                seat(SeatKind::Reserved, Some("bob")),
                seat(SeatKind::Abandoned, Some("Bob")),
            ],
        );
        let bob = crate::config::canonical_name("BOB");
        assert_eq!(held_seat(&t, &bob), Some(1));
        assert_eq!(held_seat(&t, &crate::config::canonical_name("ann")), None);
    }

    #[test]
    fn one_timer_per_seat_follows_the_latest_hold() {
        let t0 = Instant::now();
        let t5 = t0 + Duration::from_secs(5);
        let mut holds = Holds::default();
        assert!(holds.hold(1, t0), "the first hold needs a timer");
        // Taken back and left again: no second timer.
        holds.release(1);
        assert!(!holds.hold(1, t5));
        assert_eq!(holds.fired(0, t0), Fired::Stale, "another seat's");
        assert_eq!(holds.fired(1, t0), Fired::Rearm(t5));
        assert_eq!(holds.fired(1, t0), Fired::Stale, "already handled");
        assert_eq!(holds.fired(1, t5), Fired::Expired);
        assert!(holds.hold(1, t5), "a fresh hold arms anew");
        holds.release(1);
        assert_eq!(holds.fired(1, t5), Fired::Stale, "taken back");
        assert!(holds.hold(1, t5));
    }
}
