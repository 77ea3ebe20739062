//! What SIGTERM/SIGINT, SIGHUP and SIGCHLD do to the running server.

use std::time::Instant;

use super::timers::Timer;
use super::{SHUTDOWN_GRACE, Server, Signal};

impl Server {
    pub(super) fn on_signal(&mut self, signal: Signal, now: Instant) {
        match signal {
            Signal::Terminate if !self.shutting_down => {
                log::info!("shutting down");
                if let Some(notifier) = &self.notifier {
                    notifier.stopping();
                }
                self.shutting_down = true;
                self.retarget_warm(now);
                self.stop_listening();
                self.zone.shutdown(now, &mut self.io);
                self.io
                    .timers
                    .add(now + SHUTDOWN_GRACE, Timer::ShutdownDeadline);
            }
            Signal::Terminate => {}
            Signal::Reload => self.request_reload(),
            Signal::Child => {
                self.io.games.reap();
                self.deliver_table_events(now);
            }
        }
    }
}
