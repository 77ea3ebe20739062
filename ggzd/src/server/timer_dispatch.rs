//! Due timers, each handed to whoever owns it (the zone, a closing
//! connection, the listener, shutdown, game processes, status, pings).

use std::time::Instant;

use mio::Interest;

use super::timers::Timer;
use super::{LISTENER, Server};

impl Server {
    pub(super) fn fire_timers(&mut self, now: Instant) {
        while let Some((deadline, timer)) = self.io.timers.pop_due(now) {
            match timer {
                Timer::Zone(key) => self.zone.on_timer(key, deadline, now, &mut self.io),
                Timer::CloseDeadline(id) => {
                    if self.io.conn(id).is_some() {
                        self.drop_connection(id, now);
                    }
                }
                Timer::ResumeAccept => {
                    if !self.shutting_down && !self.listening {
                        let registered = self.io.poll.registry().register(
                            &mut self.listener,
                            LISTENER,
                            Interest::READABLE,
                        );
                        self.listening = registered.is_ok();
                        self.accept(now);
                    }
                }
                Timer::ShutdownDeadline => {
                    for id in self.io.all_ids() {
                        self.drop_connection(id, now);
                    }
                    self.io.games.kill_all_and_wait();
                }
                Timer::KillOverdue => {
                    if let Some(next) = self.io.games.sweep(now) {
                        self.io.timers.add(next, Timer::KillOverdue);
                    }
                }
                Timer::Status => self.update_status(now),
                Timer::WebPing => self.ping_web(now),
                Timer::Watchdog => {
                    if let (Some(notifier), Some(interval)) = (&self.notifier, self.watchdog) {
                        notifier.watchdog();
                        self.io.timers.add(now + interval, Timer::Watchdog);
                    }
                }
            }
        }
    }
}
