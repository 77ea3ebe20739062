//! Matchmaking in the zone (docs/matchmaking.md): MATCH, MATCH_CANCEL and
//! `LIST TYPE='queue'`, the round timers, tables launched for a match,
//! and players who never sit down. The rules of a round live in
//! `crate::matchmaking`; this file only feeds it and carries out what it
//! decides.

use std::collections::HashSet;
use std::time::Instant;

use super::Zone;
use super::effects::{ConnId, NO_CONN, Sink, TableSerial, TimerKey, TimerKind, msg};
use super::perms::{self, Perm};
use super::tables::Seat;
use crate::matchmaking::round::{Fill, Rules};
use crate::matchmaking::{Offered, Pending, Refusal, Ticket, desc};
use crate::proto::ext_reply::{self, QueueView};
use crate::proto::reply as r;
use crate::proto::types::{LeaveReason, ResultCode, SeatKind};

impl Zone {
    /// Rebuilds the queues from the open rooms' files (startup and
    /// reload); queues that stay keep their tickets.
    pub(super) fn refresh_queues(&mut self) {
        let mut offered = Vec::new();
        for room in self.rooms.iter().flatten().filter(|r| !r.closing) {
            if room.desc.queues.is_empty() {
                continue;
            }
            let Some(entry) = room.game.and_then(|g| self.games.get(g)) else {
                log::warn!(
                    "room {}: its game is not loaded, so its queues are not offered",
                    room.desc.key
                );
                continue;
            };
            let game = &entry.desc;
            for q in &room.desc.queues {
                let sizes = q.sizes(|n| game.players_allowed.contains(n));
                if sizes.is_empty() {
                    log::warn!(
                        "room {}: queue `{}`: the game allows none of its table sizes (skipped)",
                        room.desc.key,
                        q.name
                    );
                    continue;
                }
                let bot_counts = (1..=desc::MAX_TABLE)
                    .filter(|n| game.bots_allowed.contains(*n))
                    .collect();
                offered.push(Offered {
                    room_key: room.desc.key.clone(),
                    room: room.id,
                    game: room.game.unwrap_or_default(),
                    desc: q.clone(),
                    rules: Rules { sizes, bot_counts },
                });
            }
        }
        let dropped = self.matchmaker.set_queues(offered);
        if !dropped.is_empty() {
            log::info!(target: "update", "{} matchmaking tickets ended with their queues", dropped.len());
        }
    }

    pub(super) fn on_match(
        &mut self,
        conn: ConnId,
        queue: Option<String>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        if let Some(code) = queue
            .as_deref()
            .and_then(|q| self.cluster_match(conn, q, sink))
        {
            return self.reply(conn, "match", code, sink);
        }
        let code = match self.ask_match(conn, queue.as_deref(), now) {
            Ok(Some(at)) => {
                if let Some(q) = queue.as_deref().and_then(|n| self.matchmaker.by_name(n)) {
                    let key = TimerKey {
                        conn: NO_CONN,
                        kind: TimerKind::MatchRound(q.id),
                    };
                    sink.timer(at, key);
                }
                ResultCode::Ok
            }
            Ok(None) => ResultCode::Ok,
            Err(code) => code,
        };
        self.reply(conn, "match", code, sink);
    }

    /// Checks a MATCH and queues the ticket; returns the round timer to
    /// set, if any.
    fn ask_match(
        &mut self,
        conn: ConnId,
        queue: Option<&str>,
        now: Instant,
    ) -> Result<Option<Instant>, ResultCode> {
        let player = self.player(conn).ok_or(ResultCode::NotLoggedIn)?;
        let queue = queue.ok_or(ResultCode::BadOptions)?;
        let q = self
            .matchmaker
            .by_name(queue)
            .ok_or(ResultCode::BadOptions)?;
        if !perms::has(player.perms, Perm::JoinTable) {
            return Err(ResultCode::NoPermission);
        }
        if player.room != Some(q.room) {
            return Err(ResultCode::NotInRoom);
        }
        if player.table().is_some() {
            return Err(ResultCode::AtTable);
        }
        if self.awaits_seat(conn) {
            return Err(ResultCode::InTransit);
        }
        let rating = match self.games.get(q.game) {
            Some(g) if q.desc.rated => player.stats_for(g.desc.name.get(None)).rating,
            _ => 0.0,
        };
        let (name, canonical) = (player.name.clone(), player.canonical.clone());
        self.matchmaker
            .enqueue(queue, conn, &name, &canonical, rating, now)
            .map(|(_, timer)| timer)
            .map_err(|refusal| match refusal {
                Refusal::UnknownQueue => ResultCode::BadOptions,
                Refusal::Cooldown => ResultCode::JoinFail,
                Refusal::TooMany | Refusal::Full => ResultCode::RoomFull,
            })
    }

    /// Whether a match holds a seat for this player that they have not
    /// taken yet.
    fn awaits_seat(&self, conn: ConnId) -> bool {
        let Some(serial) = self.matchmaker.awaiting.get(&conn) else {
            return false;
        };
        let Some(p) = self.matchmaker.pending.get(serial) else {
            return false;
        };
        let Some(table) = self
            .table_by_serial(*serial)
            .and_then(|(room, id)| self.table(room, id))
        else {
            return false;
        };
        p.seats.iter().any(|(t, seat)| {
            t.conn == conn
                && table
                    .seats
                    .get(*seat as usize)
                    .is_some_and(|s| s.kind == SeatKind::Reserved)
        })
    }

    pub(super) fn on_match_cancel(
        &mut self,
        conn: ConnId,
        queue: Option<String>,
        sink: &mut dyn Sink,
    ) {
        let known = queue
            .as_deref()
            .is_none_or(|n| self.matchmaker.by_name(n).is_some());
        let code = if known {
            self.matchmaker.cancel(conn, queue.as_deref());
            if let Some(name) = self.player(conn).map(|p| p.name.clone()) {
                self.cluster_cancel_tickets(conn, &name, queue.as_deref(), sink);
            }
            ResultCode::Ok
        } else {
            ResultCode::BadOptions
        };
        self.reply(conn, "match_cancel", code, sink);
    }

    /// The answer to `LIST TYPE='queue'`.
    pub(super) fn list_queues(&self) -> String {
        let views: Vec<QueueView> = self
            .matchmaker
            .queues
            .iter()
            .map(|q| QueueView {
                name: &q.desc.name,
                game: q.game as i32,
                room: q.room as i32,
                min: q.desc.min,
                max: q.desc.max,
                waiting: q.tickets.len(),
                wait: q.recent_wait.as_millis().div_ceil(1000) as u64,
            })
            .collect();
        ext_reply::list_queues(&views)
    }

    /// Queue sizes, waits and totals for a metrics scrape.
    pub fn queue_gauges(&self, now: Instant) -> crate::metrics::matchmaking::MatchmakingGauges {
        crate::metrics::matchmaking::MatchmakingGauges {
            queues: self
                .matchmaker
                .queues
                .iter()
                .map(|q| crate::metrics::matchmaking::QueueGauge {
                    name: q.desc.name.clone(),
                    waiting: q.tickets.len(),
                    oldest: q
                        .tickets
                        .iter()
                        .map(|t| now.saturating_duration_since(t.since))
                        .max()
                        .unwrap_or_default(),
                })
                .collect(),
            counts: self.matchmaker.counts.clone(),
        }
    }

    /// A queue's round is due: form tables and launch them.
    pub(super) fn on_match_round(
        &mut self,
        queue: u32,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(q) = self.matchmaker.queues.iter().find(|q| q.id == queue) else {
            return;
        };
        let room = q.room;
        // Whoever is still in the room and not at a table may play.
        let eligible: HashSet<ConnId> = q
            .tickets
            .iter()
            .filter(|t| {
                self.player(t.conn)
                    .is_some_and(|p| p.room == Some(room) && p.table().is_none())
                    || self.remote_ticket_ready(t.conn, room, true)
            })
            .map(|t| t.conn)
            .collect();
        let Some(result) = self
            .matchmaker
            .run_round(queue, deadline, now, |t| eligible.contains(&t.conn))
        else {
            return;
        };
        let mut next = result.next;
        let mut failed: Vec<Ticket> = Vec::new();
        for (formed, tickets) in result.tables {
            if !failed.is_empty() {
                failed.extend(tickets);
                continue;
            }
            for t in &tickets {
                self.metrics
                    .match_wait
                    .observe(now.saturating_duration_since(t.since));
            }
            self.metrics.match_gap.observe_value(formed.gap);
            if let Err(back) = self.launch_match(queue, room, &formed.seats, tickets, now, sink) {
                failed = back;
            }
        }
        if !failed.is_empty() {
            next = self.matchmaker.requeue(queue, failed, now).or(next);
        }
        if let Some(at) = next {
            sink.timer(
                at,
                TimerKey {
                    conn: NO_CONN,
                    kind: TimerKind::MatchRound(queue),
                },
            );
        }
    }

    /// Starts the table of one formed match. On failure (room or server
    /// full) the tickets come back.
    fn launch_match(
        &mut self,
        queue: u32,
        room: u32,
        fills: &[Fill],
        tickets: Vec<Ticket>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Result<(), Vec<Ticket>> {
        let Some(q) = self.matchmaker.queues.iter().find(|q| q.id == queue) else {
            return Err(tickets);
        };
        let (queue_name, no_show) = (q.desc.name.clone(), q.desc.no_show);
        let mut seats = Vec::with_capacity(fills.len());
        let mut placed = Vec::with_capacity(tickets.len());
        for (num, fill) in fills.iter().enumerate() {
            let ticket = match fill {
                Fill::Ticket(id) => tickets.iter().find(|t| t.id == *id),
                Fill::Bot => None,
            };
            seats.push(Seat {
                kind: if ticket.is_some() {
                    SeatKind::Reserved
                } else {
                    SeatKind::Bot
                },
                name: ticket.map(|t| t.name.clone()),
                occupant: None,
            });
            if let Some(t) = ticket {
                placed.push((t.clone(), num as u32));
            }
        }
        let owner = placed
            .first()
            .map(|(t, _)| t.name.clone())
            .unwrap_or_default();
        let desc = format!("Play now: {queue_name}");
        match self.start_table(room, seats, owner, desc, None, now, sink) {
            Ok((serial, table)) => {
                let deadline = now + self.settings.launch_timeout + no_show;
                for (t, _) in &placed {
                    self.matchmaker.awaiting.insert(t.conn, serial);
                }
                self.matchmaker.pending.insert(
                    serial,
                    Pending {
                        queue,
                        queue_name,
                        room,
                        table,
                        seats: placed,
                        ready: false,
                        no_show,
                        deadline,
                    },
                );
                sink.timer(
                    deadline,
                    TimerKey {
                        conn: NO_CONN,
                        kind: TimerKind::MatchDeadline(serial),
                    },
                );
                Ok(())
            }
            Err(code) => {
                log::info!(target: "tables", "queue {queue_name}: no table for a match ({})", code.as_str());
                Err(tickets)
            }
        }
    }

    /// A table launched for a match is ready: tell its players. Returns
    /// false if the table is not a match's.
    pub(super) fn matched_table_ready(
        &mut self,
        serial: TableSerial,
        room: u32,
        id: u32,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> bool {
        let Some(p) = self.matchmaker.pending.get_mut(&serial) else {
            return false;
        };
        p.ready = true;
        p.deadline = now + p.no_show;
        let (deadline, queue) = (p.deadline, p.queue_name.clone());
        let seats: Vec<(ConnId, String, u32)> = p
            .seats
            .iter()
            .map(|(t, s)| (t.conn, t.name.clone(), *s))
            .collect();
        let room_name = self
            .room(room)
            .map(|r| r.desc.name.get(None).to_owned())
            .unwrap_or_default();
        log::info!(target: "tables", "table {id} in room {room} is ready for queue {queue}");
        for (conn, name, seat) in seats {
            if self.cluster_tell_matched(conn, &queue, room, id, seat, sink) {
                continue;
            }
            if self.player(conn).is_none_or(|p| p.name != name) {
                continue;
            }
            sink.send(
                conn,
                &msg(ext_reply::matched(&queue, room as i32, id as i32, seat)),
            );
            // Original clients know nothing of MATCHED: a private line and
            // the room's table UPDATE tell them the same.
            let text = super::cluster_queue::matched_text(&queue, id as i32, &room_name, seat);
            sink.send(
                conn,
                &msg(r::chat("private", &self.settings.admin_name, Some(&text))),
            );
        }
        sink.timer(
            deadline,
            TimerKey {
                conn: NO_CONN,
                kind: TimerKind::MatchDeadline(serial),
            },
        );
        true
    }

    /// The time to take the seats of a match is up: a player who did not
    /// costs only that match (docs/matchmaking.md §5).
    pub(super) fn on_match_deadline(
        &mut self,
        serial: TableSerial,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        if self
            .matchmaker
            .pending
            .get(&serial)
            .is_none_or(|p| p.deadline != deadline)
        {
            return;
        }
        let Some(p) = self.matchmaker.pending.remove(&serial) else {
            return;
        };
        for (t, _) in &p.seats {
            if self.matchmaker.awaiting.get(&t.conn) == Some(&serial) {
                self.matchmaker.awaiting.remove(&t.conn);
            }
        }
        let table = self
            .table_by_serial(serial)
            .and_then(|(room, id)| self.table(room, id));
        let (showed, missing): (Vec<Ticket>, Vec<Ticket>) = match table {
            // Gone after it was ready: played and left.
            None if p.ready => return,
            // Never ready: the game server failed, nobody's fault.
            None => (p.seats.into_iter().map(|(t, _)| t).collect(), Vec::new()),
            Some(table) => {
                let (missing, showed): (Vec<_>, Vec<_>) =
                    p.seats.into_iter().partition(|(t, seat)| {
                        table.seats.get(*seat as usize).is_some_and(|s| {
                            s.kind == SeatKind::Reserved && s.name.as_deref() == Some(&t.name)
                        })
                    });
                if missing.is_empty() {
                    return;
                }
                (
                    showed.into_iter().map(|(t, _)| t).collect(),
                    missing.into_iter().map(|(t, _)| t).collect(),
                )
            }
        };
        let cooldown = self
            .matchmaker
            .queues
            .iter()
            .find(|q| q.id == p.queue)
            .map(|q| q.desc.cooldown)
            .unwrap_or_default();
        for t in &missing {
            log::info!(target: "tables", "{} did not take the seat of a {} match", t.name, p.queue_name);
            self.matchmaker
                .start_cooldown(&t.canonical, now + cooldown, now);
        }
        self.matchmaker.counts.no_shows += missing.len() as u64;
        if !missing.is_empty() {
            self.end_table(serial, LeaveReason::GameOver, now, sink);
        }
        let back: Vec<Ticket> = showed
            .into_iter()
            .filter(|t| {
                self.player(t.conn)
                    .is_some_and(|pl| pl.name == t.name && pl.room == Some(p.room))
                    || self.remote_ticket_ready(t.conn, p.room, false)
            })
            .collect();
        if let Some(at) = self.matchmaker.requeue(p.queue, back, now) {
            sink.timer(
                at,
                TimerKey {
                    conn: NO_CONN,
                    kind: TimerKind::MatchRound(p.queue),
                },
            );
        }
    }
}
