//! Results that came back through the waker: finished worker jobs and a
//! prepared reload.

use std::time::Instant;

use super::Server;
use crate::replays::ReplaysDone;
use crate::zone::{JobDone, Moderator};

impl Server {
    pub(super) fn collect_completions(&mut self, now: Instant) {
        let done: Vec<JobDone> = self.io.workers.completed().collect();
        for result in done {
            match result {
                JobDone::Login { conn, outcome } => {
                    self.zone.on_login_done(conn, outcome, now, &mut self.io)
                }
                JobDone::GameReport {
                    table,
                    game,
                    updated,
                } => self
                    .zone
                    .on_report_done(table, game, updated, now, &mut self.io),
                JobDone::LateReport { game, updated } => {
                    self.zone.on_late_report(&game, updated, &mut self.io)
                }
                JobDone::StatsReloaded {
                    handle,
                    game,
                    stats,
                } => self
                    .zone
                    .on_stats_reloaded(&handle, &game, stats, &mut self.io),
                JobDone::Rankings { conn, rows } => {
                    self.zone.on_rankings_done(conn, rows, &mut self.io)
                }
                JobDone::Banned {
                    admin: Moderator::Player(admin),
                    stored,
                } => self.zone.on_banned(admin, stored, &mut self.io),
                JobDone::Banned {
                    admin: Moderator::Operator(ticket),
                    stored,
                } => self.operator_ban_done(ticket, stored, now),
                JobDone::Permissions(rows) => {
                    self.zone.on_permissions_refreshed(rows, now, &mut self.io)
                }
                JobDone::PermissionsStored {
                    admin,
                    target,
                    perms,
                    stored,
                } => self
                    .zone
                    .on_permissions_stored(admin, target, perms, stored, &mut self.io),
                JobDone::Restore(done) => self.zone.on_restore_done(*done, now, &mut self.io),
                JobDone::Replays(ReplaysDone::Exported { ticket, reply }) => {
                    self.operator_job_done(ticket, &reply, now)
                }
                JobDone::Replays(done) => self.zone.on_replays_done(done, now, &mut self.io),
                JobDone::Nothing => {}
            }
        }
        while let Ok(reloaded) = self.reload_rx.try_recv() {
            let result = match reloaded {
                Ok(outcome) => {
                    self.apply_reload(outcome, now);
                    Ok(())
                }
                // The refusal was logged by the helper thread. Permissions
                // live in the database, not the file: ggzduedit's SIGHUP
                // still takes effect.
                Err(e) => {
                    self.zone.refresh_permissions(&mut self.io);
                    Err(e)
                }
            };
            self.reload_ended(result, now);
        }
    }
}
