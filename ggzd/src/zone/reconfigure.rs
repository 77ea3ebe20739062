//! New settings from a reloaded configuration, applied to a running zone.
//! Most settings are read where they are used, so replacing them is
//! enough; what is already scheduled (pings, room updates) is brought
//! forward when the new interval is shorter, and started when it was off.

use std::time::Instant;

use super::effects::{ConnId, Sink, TimerKey, TimerKind};
use super::{Settings, Zone};

impl Zone {
    /// Replaces the settings. The port, and the game working directories
    /// (below the data directory), stay: they are fixed at startup.
    pub fn apply_settings(&mut self, mut settings: Settings, now: Instant, sink: &mut dyn Sink) {
        settings.port = self.settings.port;
        settings.gamedata_dir = self.settings.gamedata_dir.clone();
        self.settings = settings;
        self.throttle.set_limits(self.settings.abuse.throttle);
        self.login_queue
            .set_limit(self.settings.abuse.login_queue_limit);
        let players: Vec<ConnId> = self
            .sessions
            .iter()
            .flatten()
            .filter(|s| s.player().is_some())
            .map(|s| s.id)
            .collect();
        for conn in players {
            self.reschedule_ping(conn, now, sink);
            self.reschedule_room_update(conn, now, sink);
        }
        // More login slots may let queued logins go now.
        self.dispatch_logins(sink);
    }

    /// A ping waiting longer than the new interval allows goes out sooner;
    /// a player never pinged (pings were off) gets a first one.
    fn reschedule_ping(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let Some(frequency) = self.settings.ping_frequency else {
            return;
        };
        let first_delay = self.settings.first_ping_delay;
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        if p.ping_sent.is_some() {
            // Awaiting a PONG, which schedules the next ping itself.
            return;
        }
        let due = match p.ping_due {
            Some(due) if due <= now + frequency => return,
            Some(_) => now + frequency,
            None => now + first_delay,
        };
        p.ping_due = Some(due);
        sink.timer(
            due,
            TimerKey {
                conn,
                kind: TimerKind::Ping,
            },
        );
    }

    fn reschedule_room_update(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let Some(frequency) = self.settings.room_update_frequency else {
            return;
        };
        let Some(p) = self.player_mut(conn) else {
            return;
        };
        if p.room_update_due.is_some_and(|due| due <= now + frequency) {
            return;
        }
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
}
