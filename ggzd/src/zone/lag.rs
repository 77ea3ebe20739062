//! PING/PONG and lag classes (docs/client-server.md §13), and the periodic room
//! occupancy push (§12.3), both driven by per-player timers.

use std::time::{Duration, Instant};

use super::effects::{ConnId, Sink, msg};
use super::{TimerKey, TimerKind, Zone};
use crate::proto::reply as r;

/// Lag class for a round trip: 1 plus the number of thresholds reached.
pub(crate) fn lag_class(rtt: Duration, thresholds: &[Duration; 4]) -> u8 {
    1 + thresholds.iter().take_while(|t| rtt >= **t).count() as u8
}

/// A PING is not sent while more than this is queued for the player.
const PING_BACKLOG_LIMIT: usize = 16 * 1024;

/// How soon a PING held back by a deep queue is tried again.
const PING_RETRY: Duration = Duration::from_secs(1);

impl Zone {
    pub(crate) fn on_ping_timer(
        &mut self,
        conn: ConnId,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let thresholds = self.settings.lag_classes;
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        if p.ping_due != Some(deadline) {
            return;
        }
        // Behind a deep queue (a burst of room traffic) the round trip
        // would measure our own backlog, not the player's link, and the
        // raised class would be broadcast to the whole room, deepening
        // everyone's queue: in a large room that feeds on itself. Ask
        // again once the queue has drained.
        if sink.backlog(conn) > PING_BACKLOG_LIMIT {
            let retry = now + PING_RETRY;
            p.ping_due = Some(retry);
            sink.timer(
                retry,
                TimerKey {
                    conn,
                    kind: TimerKind::Ping,
                },
            );
            return;
        }
        p.ping_due = None;
        p.ping_sent = Some(now);
        // The class can only rise past the current one while we wait.
        let next = thresholds
            .get(usize::from(p.lag.saturating_sub(1)))
            .copied();
        p.lag_due = next.map(|t| now + t);
        if let Some(due) = p.lag_due {
            sink.timer(
                due,
                TimerKey {
                    conn,
                    kind: TimerKind::Lag,
                },
            );
        }
        sink.send(conn, &msg(r::ping()));
    }

    pub(crate) fn on_lag_timer(
        &mut self,
        conn: ConnId,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let thresholds = self.settings.lag_classes;
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        let (Some(sent), true) = (p.ping_sent, p.lag_due == Some(deadline)) else {
            return;
        };
        let class = lag_class(now - sent, &thresholds).max(p.lag);
        p.lag_due = thresholds
            .get(usize::from(class.saturating_sub(1)))
            .map(|t| sent + *t);
        if let Some(due) = p.lag_due {
            sink.timer(
                due,
                TimerKey {
                    conn,
                    kind: TimerKind::Lag,
                },
            );
        }
        self.set_lag(conn, class, sink);
    }

    pub(crate) fn on_pong(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let thresholds = self.settings.lag_classes;
        let frequency = self.settings.ping_frequency;
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        let Some(sent) = p.ping_sent.take() else {
            // An unsolicited PONG changes nothing.
            return;
        };
        p.lag_due = None;
        let class = lag_class(now - sent, &thresholds);
        if let Some(frequency) = frequency {
            let due = now + frequency;
            p.ping_due = Some(due);
            sink.timer(
                due,
                TimerKey {
                    conn,
                    kind: TimerKind::Ping,
                },
            );
        }
        self.set_lag(conn, class, sink);
    }

    fn set_lag(&mut self, conn: ConnId, class: u8, sink: &mut dyn Sink) {
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        if p.lag == class {
            return;
        }
        p.lag = class;
        let (room, name) = (p.room, p.name.clone());
        if let Some(room) = room {
            let update = msg(r::update_player_lag(room as i32, &name, class));
            self.broadcast_room(room, &update, None, sink);
        }
        self.cluster_player_changed(conn, sink);
    }

    pub(crate) fn schedule_room_update(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let Some(frequency) = self.settings.room_update_frequency else {
            return;
        };
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        let due = now + frequency;
        p.room_update_due = Some(due);
        sink.timer(
            due,
            TimerKey {
                conn,
                kind: TimerKind::RoomUpdate,
            },
        );
    }

    pub(crate) fn on_room_update_timer(
        &mut self,
        conn: ConnId,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        if p.room_update_due != Some(deadline) {
            return;
        }
        let since = std::mem::replace(&mut p.rooms_reported_at, now);
        for room in self.rooms.iter().flatten() {
            if room.changed_at > since && !room.closing {
                let update = r::update_room_players(room.id as i32, self.room_count(room) as u32);
                sink.send(conn, &msg(update));
            }
        }
        self.schedule_room_update(conn, now, sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_thresholds() {
        let t = [500, 1000, 2000, 5000].map(Duration::from_millis);
        let class = |ms| lag_class(Duration::from_millis(ms), &t);
        assert_eq!(class(0), 1);
        assert_eq!(class(499), 1);
        assert_eq!(class(500), 2);
        assert_eq!(class(999), 2);
        assert_eq!(class(1000), 3);
        assert_eq!(class(2000), 4);
        assert_eq!(class(4999), 4);
        assert_eq!(class(5000), 5);
        assert_eq!(class(60_000), 5);
    }
}
