//! The answer a job gets without running: when the job queue is full
//! (the store is slow or away and requests keep coming), each job is
//! answered at once as if the store had failed it, so no client waits on
//! a queue that only grows.

use crate::proto::ext_replays;
use crate::proto::types::ResultCode;
use crate::replays::{ReplaysDone, ReplaysJob};
use crate::zone::{Job, JobDone, LoginOutcome};

/// The reason a refused request carries where its answer has one.
const BUSY: &str = "the server is busy, try again later";

/// The result `job` would have if the store failed it.
pub fn refused(job: Job) -> JobDone {
    match job {
        Job::Login { conn, .. } => JobDone::Login {
            conn,
            outcome: LoginOutcome::Refused(ResultCode::UsrLookup),
        },
        Job::GameReport(report) => {
            log::error!(target: "tables", "job queue full: a {} report is lost", report.game);
            JobDone::GameReport {
                table: report.table,
                game: report.game,
                updated: Vec::new(),
            }
        }
        Job::Savegame { savegame, .. } => {
            log::error!(target: "tables", "job queue full: savegame {savegame} not recorded");
            JobDone::Nothing
        }
        Job::PruneSavegames { .. } | Job::EnsureBotAccounts { .. } => JobDone::Nothing,
        // A claim left behind is taken over by this node's next login of
        // the name, or freed with the node; nobody waits for the answer.
        Job::ReleaseName { canonical, .. } => {
            log::warn!(target: "cluster", "job queue full: the claim of {canonical} stays until taken over");
            JobDone::Nothing
        }
        Job::ClaimNames { claims } => {
            log::warn!(target: "cluster", "job queue full: {} names not claimed again", claims.len());
            JobDone::Nothing
        }
        // The player's own node shows the old statistics until its next
        // game or login.
        Job::ReloadStats { handle, game } => {
            log::warn!(target: "tables", "job queue full: the statistics of {handle} are not read again");
            JobDone::StatsReloaded {
                handle,
                game,
                stats: None,
            }
        }
        Job::Rankings { conn, .. } => JobDone::Rankings {
            conn,
            rows: Vec::new(),
        },
        Job::SetPermissions {
            admin,
            target,
            perms,
            ..
        } => JobDone::PermissionsStored {
            admin,
            target,
            perms,
            stored: false,
        },
        Job::RefreshPermissions { .. } => JobDone::Permissions(Vec::new()),
        Job::Ban { admin, .. } => JobDone::Banned {
            admin,
            stored: false,
        },
        Job::Restore(job) => JobDone::Restore(Box::new(crate::zone::RestoreDone {
            conn: job.conn,
            canonical: job.canonical,
            id: job.id,
            room: job.room,
            outcome: Err((ResultCode::InTransit, BUSY.to_owned())),
        })),
        Job::Replays(job) => JobDone::Replays(match job {
            ReplaysJob::Record(_) => {
                log::error!(target: "tables", "job queue full: a played game is not recorded");
                ReplaysDone::Recorded { stored: false }
            }
            ReplaysJob::Prune(_) => ReplaysDone::Pruned,
            ReplaysJob::List { conn, .. } => ReplaysDone::Answer {
                conn,
                text: ext_replays::refused("list", ResultCode::InTransit, BUSY),
            },
            ReplaysJob::Load { conn, .. } => ReplaysDone::Answer {
                conn,
                text: ext_replays::refused("replay", ResultCode::InTransit, BUSY),
            },
            ReplaysJob::Export { ticket, .. } => ReplaysDone::Exported {
                ticket,
                reply: serde_json::json!({ "ok": false, "error": BUSY }),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::{ConnId, LoginJob};

    #[test]
    fn a_refused_login_is_answered_usr_lookup() {
        let conn = ConnId {
            slot: 0,
            generation: 0,
        };
        let job = Job::Login {
            conn,
            login: LoginJob {
                kind: crate::proto::request::LoginKind::Normal,
                canonical: "a".into(),
                password: None,
                email: String::new(),
                confirm_required: false,
                address: "127.0.0.1".into(),
                now: 0,
                claim: None,
            },
        };
        match refused(job) {
            JobDone::Login {
                outcome: LoginOutcome::Refused(code),
                ..
            } => assert_eq!(code, ResultCode::UsrLookup),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            refused(Job::Rankings {
                conn,
                game: "g".into()
            }),
            JobDone::Rankings { rows, .. } if rows.is_empty()
        ));
    }
}
