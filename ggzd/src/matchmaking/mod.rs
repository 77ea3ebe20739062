//! Matchmaking queues (docs/matchmaking.md): the queue definitions of the
//! room files (`desc`), the pure matching round (`round`), and the
//! queues' state here — tickets, cooldowns, matches waiting for their
//! players. Plain data with the clock passed in; the zone's
//! `zone/matchmaking.rs` turns requests, timers and formed tables into
//! effects.

pub mod desc;
pub mod round;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::zone::effects::{ConnId, TableSerial};
pub use desc::QueueDesc;
use round::{Entry, Formed, Rules};

/// Most tickets one player may hold at once, across queues.
pub const MAX_TICKETS_PER_PLAYER: usize = 4;
/// Most tickets one queue holds; more are refused (`room full`). A rated
/// round costs up to the square of this on the event loop.
pub const MAX_TICKETS_PER_QUEUE: usize = 4096;
/// Most cooldowns remembered; the oldest are forgotten first.
pub const MAX_COOLDOWNS: usize = 65_536;

/// A player's request to be matched in one queue.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: u64,
    pub conn: ConnId,
    /// As the player logged in; reserved seats go by it.
    pub name: String,
    /// Lower-cased, for cooldowns.
    pub canonical: String,
    pub rating: f64,
    pub since: Instant,
    pub missed: u32,
    pub head: bool,
}

/// One live queue.
#[derive(Debug)]
pub struct Queue {
    /// Stable handle for timers; a reloaded queue keeps it.
    pub id: u32,
    /// The room file that defines it, and that room's current id.
    pub room_key: String,
    pub room: u32,
    pub game: usize,
    pub desc: QueueDesc,
    pub rules: Rules,
    pub tickets: Vec<Ticket>,
    /// Deadline of the live round timer, if one is set.
    pub next_round: Option<Instant>,
    /// When the last round was due: rounds stay on this grid while the
    /// queue is empty, so a ticket that finds it empty waits for the next
    /// slot (less than an interval), not for a whole interval.
    pub last_round: Option<Instant>,
    /// Mean time in queue of recent matches (moving average).
    pub recent_wait: Duration,
}

impl Queue {
    /// A ticket came to a queue that may have no round timer: sets one
    /// for the next slot of the queue's grid (one interval after its
    /// first ticket, if it never ran a round) and returns it, or `None`
    /// if a timer is set already.
    fn schedule_round(&mut self, now: Instant) -> Option<Instant> {
        if self.next_round.is_some() {
            return None;
        }
        let at = next_slot(self.last_round, self.desc.interval, now);
        self.next_round = Some(at);
        Some(at)
    }
}

/// The first instant after `now` on the grid of `interval`s through
/// `last` (or one interval from now without a grid).
fn next_slot(last: Option<Instant>, interval: Duration, now: Instant) -> Instant {
    let step = interval.as_nanos().max(1);
    match last {
        Some(last) if last <= now => {
            let since = now.duration_since(last).as_nanos();
            let ahead = step - since % step;
            now + Duration::from_nanos(u64::try_from(ahead).unwrap_or(u64::MAX))
        }
        // A slot still ahead (a round due later than now): the grid's next.
        Some(last) => last,
        None => now + interval,
    }
}

/// A table formed by a round, waiting for its players to sit down.
#[derive(Debug)]
pub struct Pending {
    pub queue: u32,
    pub queue_name: String,
    pub room: u32,
    pub table: u32,
    /// Each matched ticket with its seat.
    pub seats: Vec<(Ticket, u32)>,
    /// The game server reported WAITING and players were told.
    pub ready: bool,
    /// Time to sit down once ready (the queue's `no_show`).
    pub no_show: Duration,
    pub deadline: Instant,
}

/// Why a ticket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownQueue,
    Cooldown,
    TooMany,
    Full,
}

/// Counters for the metrics endpoint.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub matches: u64,
    pub bot_matches: u64,
    pub no_shows: u64,
    pub requeued: u64,
}

#[derive(Debug, Default)]
pub struct Matchmaker {
    pub queues: Vec<Queue>,
    next_queue_id: u32,
    next_ticket: u64,
    pub pending: BTreeMap<TableSerial, Pending>,
    /// Each matched player's latest match, until its deadline.
    pub awaiting: HashMap<ConnId, TableSerial>,
    /// The queues each player holds a ticket in (at most
    /// [`MAX_TICKETS_PER_PLAYER`]), so requests cost no queue scan.
    held: HashMap<ConnId, Vec<u32>>,
    cooldowns: HashMap<String, Instant>,
    pub counts: Counts,
}

/// A queue as loaded, before the zone resolves room and game.
#[derive(Debug, Clone)]
pub struct Offered {
    pub room_key: String,
    pub room: u32,
    pub game: usize,
    pub desc: QueueDesc,
    pub rules: Rules,
}

impl Matchmaker {
    /// Replaces the set of queues (startup and SIGHUP). A queue that
    /// stays (same room file, same name) keeps its id and tickets; the
    /// tickets of a removed queue are returned, dropped.
    pub fn set_queues(&mut self, offered: Vec<Offered>) -> Vec<Ticket> {
        let mut old = std::mem::take(&mut self.queues);
        for o in offered {
            if self.queues.iter().any(|q| q.desc.name == o.desc.name) {
                log::warn!(
                    "room {}: queue `{}` is already offered by another room (skipped)",
                    o.room_key,
                    o.desc.name
                );
                continue;
            }
            let kept = old
                .iter()
                .position(|q| q.room_key == o.room_key && q.desc.name == o.desc.name)
                .map(|i| old.swap_remove(i));
            let queue = match kept {
                Some(mut q) => {
                    q.room = o.room;
                    q.game = o.game;
                    q.desc = o.desc;
                    q.rules = o.rules;
                    q
                }
                None => {
                    self.next_queue_id += 1;
                    Queue {
                        id: self.next_queue_id,
                        room_key: o.room_key,
                        room: o.room,
                        game: o.game,
                        desc: o.desc,
                        rules: o.rules,
                        tickets: Vec::new(),
                        next_round: None,
                        last_round: None,
                        recent_wait: Duration::ZERO,
                    }
                }
            };
            self.queues.push(queue);
        }
        let dropped: Vec<Ticket> = old.into_iter().flat_map(|q| q.tickets).collect();
        let live: Vec<u32> = self.queues.iter().map(|q| q.id).collect();
        self.held.retain(|_, queues| {
            queues.retain(|id| live.contains(id));
            !queues.is_empty()
        });
        dropped
    }

    fn hold(&mut self, conn: ConnId, queue: u32) {
        let queues = self.held.entry(conn).or_default();
        if !queues.contains(&queue) {
            queues.push(queue);
        }
    }

    fn release(&mut self, conn: ConnId, queue: u32) {
        if let Some(queues) = self.held.get_mut(&conn) {
            queues.retain(|q| *q != queue);
            if queues.is_empty() {
                self.held.remove(&conn);
            }
        }
    }

    pub fn by_name(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.desc.name == name)
    }

    pub fn by_id_mut(&mut self, id: u32) -> Option<&mut Queue> {
        self.queues.iter_mut().find(|q| q.id == id)
    }

    /// Whether `canonical` may not queue yet.
    pub fn cooling(&self, canonical: &str, now: Instant) -> bool {
        self.cooldowns
            .get(canonical)
            .is_some_and(|until| *until > now)
    }

    pub fn start_cooldown(&mut self, canonical: &str, until: Instant, now: Instant) {
        if self.cooldowns.len() >= MAX_COOLDOWNS {
            self.cooldowns.retain(|_, t| *t > now);
            if self.cooldowns.len() >= MAX_COOLDOWNS {
                return;
            }
        }
        self.cooldowns.insert(canonical.to_owned(), until);
    }

    /// Adds a ticket. Returns the queue's id and whether a round timer
    /// must be set (the queue had none). Asking again for a queue one is
    /// already in keeps the first ticket.
    pub fn enqueue(
        &mut self,
        queue: &str,
        conn: ConnId,
        name: &str,
        canonical: &str,
        rating: f64,
        now: Instant,
    ) -> Result<(u32, Option<Instant>), Refusal> {
        if self.cooling(canonical, now) {
            return Err(Refusal::Cooldown);
        }
        let held = self.held.get(&conn).map_or(&[][..], Vec::as_slice);
        let id = self.next_ticket + 1;
        let q = self
            .queues
            .iter_mut()
            .find(|q| q.desc.name == queue)
            .ok_or(Refusal::UnknownQueue)?;
        if held.contains(&q.id) {
            return Ok((q.id, None));
        }
        if held.len() >= MAX_TICKETS_PER_PLAYER {
            return Err(Refusal::TooMany);
        }
        if q.tickets.len() >= MAX_TICKETS_PER_QUEUE {
            return Err(Refusal::Full);
        }
        self.next_ticket = id;
        q.tickets.push(Ticket {
            id,
            conn,
            name: name.to_owned(),
            canonical: canonical.to_owned(),
            rating,
            since: now,
            missed: 0,
            head: false,
        });
        let timer = q.schedule_round(now);
        let qid = q.id;
        self.hold(conn, qid);
        Ok((qid, timer))
    }

    /// Ends `conn`'s ticket in `queue` (or in every queue).
    pub fn cancel(&mut self, conn: ConnId, queue: Option<&str>) -> usize {
        let Some(held) = self.held.get(&conn).cloned() else {
            return 0;
        };
        let mut removed = 0;
        for q in &mut self.queues {
            if held.contains(&q.id) && queue.is_none_or(|name| q.desc.name == name) {
                let before = q.tickets.len();
                q.tickets.retain(|t| t.conn != conn);
                removed += before - q.tickets.len();
                let id = q.id;
                if let Some(queues) = self.held.get_mut(&conn) {
                    queues.retain(|x| *x != id);
                }
            }
        }
        if self.held.get(&conn).is_some_and(Vec::is_empty) {
            self.held.remove(&conn);
        }
        removed
    }

    /// Puts the tickets of a match that fell through back, ahead of
    /// everyone; returns the round timer to set, if the queue had none.
    pub fn requeue(&mut self, queue: u32, tickets: Vec<Ticket>, now: Instant) -> Option<Instant> {
        let q = self.by_id_mut(queue)?;
        let count = tickets.len() as u64;
        let mut back = Vec::with_capacity(tickets.len());
        for mut t in tickets {
            if q.tickets.iter().any(|o| o.conn == t.conn) {
                continue;
            }
            t.head = true;
            back.push(t.conn);
            q.tickets.push(t);
        }
        for conn in back {
            self.hold(conn, queue);
        }
        self.counts.requeued += count;
        let q = self.by_id_mut(queue)?;
        if q.tickets.is_empty() {
            return None;
        }
        q.schedule_round(now)
    }

    /// Runs the round of queue `id` whose timer (set for `deadline`)
    /// fired. `eligible` says whether a ticket's player may be matched
    /// now (still there, in the room, not at a table); the others stay
    /// queued without missing a round. Returns the formed tables with
    /// their tickets taken out of the queue, and the next round's
    /// deadline if tickets remain.
    pub fn run_round(
        &mut self,
        id: u32,
        deadline: Instant,
        now: Instant,
        eligible: impl Fn(&Ticket) -> bool,
    ) -> Option<RoundResult> {
        let q = self.queues.iter_mut().find(|q| q.id == id)?;
        if q.next_round != Some(deadline) {
            return None;
        }
        let entries: Vec<Entry> = q
            .tickets
            .iter()
            .filter(|t| eligible(t))
            .map(|t| Entry {
                id: t.id,
                rating: t.rating,
                waited: now.saturating_duration_since(t.since),
                missed: t.missed,
                head: t.head,
            })
            .collect();
        let formed = round::round(&q.desc, &q.rules, &entries);
        let mut tables = Vec::with_capacity(formed.len());
        for f in formed {
            let mut tickets = Vec::new();
            for id in f.tickets() {
                if let Some(i) = q.tickets.iter().position(|t| t.id == id) {
                    let t = q.tickets.swap_remove(i);
                    let waited = now.saturating_duration_since(t.since);
                    // A moving average over roughly the last 16 matches.
                    q.recent_wait = (q.recent_wait * 15 + waited) / 16;
                    tickets.push(t);
                }
            }
            tables.push((f, tickets));
        }
        let considered: std::collections::HashSet<u64> = entries.iter().map(|e| e.id).collect();
        for t in &mut q.tickets {
            if considered.contains(&t.id) {
                t.missed = t.missed.saturating_add(1);
            }
        }
        // Keep arrival order after swap_remove, so rounds stay
        // independent of where earlier matches left holes.
        q.tickets.sort_by_key(|t| t.id);
        // The cadence is kept from the deadline, not from when the timer
        // got to run: a round that ran late (a busy event loop) does not
        // push every later round back, which would add its lateness to
        // the wait of every ticket that just missed it. A round more than
        // an interval late is followed by one at once, not by a burst.
        q.last_round = Some(deadline);
        q.next_round = (!q.tickets.is_empty()).then(|| (deadline + q.desc.interval).max(now));
        let next = q.next_round;
        let matched: Vec<ConnId> = tables
            .iter()
            .flat_map(|(_, tickets)| tickets.iter().map(|t| t.conn))
            .collect();
        for conn in matched {
            self.release(conn, id);
        }
        self.counts.matches += tables.len() as u64;
        self.counts.bot_matches += tables
            .iter()
            .filter(|(f, _)| f.seats.contains(&round::Fill::Bot))
            .count() as u64;
        Some(RoundResult { tables, next })
    }
}

/// What one round produced.
#[derive(Debug)]
pub struct RoundResult {
    pub tables: Vec<(Formed, Vec<Ticket>)>,
    pub next: Option<Instant>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use desc::tests::queue;

    fn conn(slot: u32) -> ConnId {
        ConnId {
            slot,
            generation: 1,
        }
    }

    fn offered(name: &str, room_key: &str) -> Offered {
        Offered {
            room_key: room_key.into(),
            room: 1,
            game: 0,
            desc: queue(name, 2, 2),
            rules: Rules {
                sizes: vec![2],
                bot_counts: vec![1],
            },
        }
    }

    #[test]
    fn tickets_are_bounded_and_one_per_queue() {
        let mut m = Matchmaker::default();
        let names: Vec<String> = (0..6).map(|i| format!("q{i}")).collect();
        m.set_queues(names.iter().map(|n| offered(n, "room")).collect());
        let t0 = Instant::now();
        let (_, timer) = m.enqueue("q0", conn(1), "A", "a", 1500.0, t0).unwrap();
        assert_eq!(timer, Some(t0 + Duration::from_secs(1)));
        assert_eq!(
            m.enqueue("q0", conn(1), "A", "a", 1500.0, t0).unwrap().1,
            None
        );
        assert_eq!(m.by_name("q0").unwrap().tickets.len(), 1);
        for n in &names[1..4] {
            m.enqueue(n, conn(1), "A", "a", 1500.0, t0).unwrap();
        }
        assert_eq!(
            m.enqueue("q4", conn(1), "A", "a", 1500.0, t0),
            Err(Refusal::TooMany)
        );
        assert_eq!(
            m.enqueue("nope", conn(2), "B", "b", 1500.0, t0),
            Err(Refusal::UnknownQueue)
        );
        assert_eq!(m.cancel(conn(1), None), 4);
    }

    #[test]
    fn a_round_matches_and_reschedules_only_with_tickets_left() {
        let mut m = Matchmaker::default();
        m.set_queues(vec![offered("ttt", "room")]);
        let t0 = Instant::now();
        for (slot, r) in [(1, 1500.0), (2, 1520.0), (3, 2500.0)] {
            m.enqueue("ttt", conn(slot), "p", &format!("p{slot}"), r, t0)
                .unwrap();
        }
        let id = m.by_name("ttt").unwrap().id;
        let due = t0 + Duration::from_secs(1);
        assert!(m.run_round(id, t0, due, |_| true).is_none(), "stale timer");
        let result = m.run_round(id, due, due, |_| true).unwrap();
        assert_eq!(result.tables.len(), 1);
        assert_eq!(result.next, Some(due + Duration::from_secs(1)));
        let left = &m.by_name("ttt").unwrap().tickets;
        assert_eq!((left.len(), left[0].missed), (1, 1));
        // The requeued pair goes ahead of the outlier.
        let (_, tickets) = result.tables.into_iter().next().unwrap();
        assert_eq!(m.requeue(id, tickets, due), None);
        let q = m.by_name("ttt").unwrap();
        assert_eq!(q.tickets.iter().filter(|t| t.head).count(), 2);
    }

    #[test]
    fn a_late_round_keeps_the_cadence_from_its_deadline() {
        let mut m = Matchmaker::default();
        m.set_queues(vec![offered("ttt", "room")]);
        let t0 = Instant::now();
        for slot in 1..=3 {
            m.enqueue("ttt", conn(slot), "p", &format!("p{slot}"), 1500.0, t0)
                .unwrap();
        }
        let id = m.by_name("ttt").unwrap().id;
        let second = Duration::from_secs(1);
        let due = t0 + second;
        // Run 300 ms late: the next round is still due one interval
        // after this one was.
        let late = due + Duration::from_millis(300);
        let result = m.run_round(id, due, late, |_| true).unwrap();
        assert_eq!(result.next, Some(due + second));
        // More than an interval late: the next one at once, not a burst
        // of rounds in the past.
        let m_next = due + second;
        let very_late = m_next + second * 3;
        m.enqueue("ttt", conn(4), "p", "p4", 1500.0, t0).unwrap();
        m.enqueue("ttt", conn(5), "p", "p5", 1500.0, t0).unwrap();
        let result = m.run_round(id, m_next, very_late, |_| true).unwrap();
        assert_eq!(result.next, Some(very_late));
    }

    #[test]
    fn a_ticket_at_an_empty_queue_waits_for_the_next_slot_of_the_grid() {
        let mut m = Matchmaker::default();
        m.set_queues(vec![offered("ttt", "room")]);
        let t0 = Instant::now();
        let ms = Duration::from_millis(1);
        let interval = m.by_name("ttt").unwrap().desc.interval;
        // The queue's first ticket: one interval.
        let (id, timer) = m.enqueue("ttt", conn(1), "p", "p1", 1500.0, t0).unwrap();
        let due = t0 + interval;
        assert_eq!(timer, Some(due));
        m.enqueue("ttt", conn(2), "p", "p2", 1500.0, t0).unwrap();
        // The round matches both and empties the queue: no next round.
        let result = m.run_round(id, due, due + 3 * ms, |_| true).unwrap();
        assert_eq!((result.tables.len(), result.next), (1, None));
        // A ticket 30 ms after that round waits for the grid's next slot,
        // not for a whole interval from its arrival.
        let (_, timer) = m
            .enqueue("ttt", conn(3), "p", "p3", 1500.0, due + 30 * ms)
            .unwrap();
        assert_eq!(timer, Some(due + interval));
        // Several idle intervals later, still on the grid.
        let result = m
            .run_round(id, due + interval, due + interval, |_| true)
            .unwrap();
        assert_eq!(result.next, Some(due + interval * 2));
        m.cancel(conn(3), None);
        let result = m
            .run_round(id, due + interval * 2, due + interval * 2, |_| true)
            .unwrap();
        assert_eq!((result.tables.len(), result.next), (0, None));
        let late = due + interval * 7 + 250 * ms;
        let (_, timer) = m.enqueue("ttt", conn(4), "p", "p4", 1500.0, late).unwrap();
        let slot = due + interval * 8;
        assert!(slot > late, "the interval is longer than 250 ms");
        assert_eq!(timer, Some(slot));
        // A ticket exactly on a slot takes the following one, never a
        // round in the past.
        assert_eq!(
            next_slot(Some(due), interval, due + interval),
            due + interval * 2
        );
        assert_eq!(next_slot(None, interval, late), late + interval);
    }

    #[test]
    fn cooldowns_refuse_until_they_end() {
        let mut m = Matchmaker::default();
        m.set_queues(vec![offered("ttt", "room")]);
        let t0 = Instant::now();
        m.start_cooldown("a", t0 + Duration::from_secs(5), t0);
        assert_eq!(
            m.enqueue("ttt", conn(1), "A", "a", 0.0, t0),
            Err(Refusal::Cooldown)
        );
        assert!(
            m.enqueue("ttt", conn(1), "A", "a", 0.0, t0 + Duration::from_secs(5))
                .is_ok()
        );
    }

    #[test]
    fn reload_keeps_tickets_of_queues_that_stay() {
        let mut m = Matchmaker::default();
        m.set_queues(vec![offered("a", "r1"), offered("b", "r1")]);
        let t0 = Instant::now();
        m.enqueue("a", conn(1), "A", "a", 0.0, t0).unwrap();
        m.enqueue("b", conn(2), "B", "b", 0.0, t0).unwrap();
        let id = m.by_name("a").unwrap().id;
        let dropped = m.set_queues(vec![offered("a", "r1"), offered("c", "r1")]);
        assert_eq!(dropped.len(), 1);
        assert_eq!(m.by_name("a").unwrap().id, id);
        assert_eq!(m.by_name("a").unwrap().tickets.len(), 1);
        // A name offered by a second room is skipped.
        m.set_queues(vec![offered("a", "r1"), offered("a", "r2")]);
        assert_eq!(m.queues.len(), 1);
    }
}
