//! Moderation (docs/client-server.md §15): ADMIN gag, ungag, kick and ban from
//! hosts, ADMINPERM from admins. Every action is logged under the `admin`
//! log type.

use std::time::Instant;

use super::effects::{Close, ConnId, Job, Moderator, OnlineCheck, Refreshed, Sink, msg};
use super::perms::{self, Perm};
use super::{Zone, unix_now};
use crate::proto::reply as r;
use crate::proto::types::ResultCode;

impl Zone {
    pub(crate) fn on_admin(
        &mut self,
        conn: ConnId,
        action: Option<String>,
        player: Option<String>,
        reason: Option<String>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        // The original ignores an ADMIN without ACTION or PLAYER.
        let (Some(action), Some(target_name)) = (action, player) else {
            return;
        };
        if let Some(code) = self.admin(conn, &action, &target_name, reason, now, sink) {
            self.reply(conn, "admin", code, sink);
        }
    }

    fn admin(
        &mut self,
        conn: ConnId,
        action: &str,
        target_name: &str,
        reason: Option<String>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Option<ResultCode> {
        let admin = self.player(conn)?;
        if admin.room.is_none() {
            return Some(ResultCode::NotInRoom);
        }
        if !perms::is_host(admin.perms) {
            return Some(ResultCode::NoPermission);
        }
        let admin_name = admin.name.clone();
        let target = self
            .names
            .get(&crate::config::canonical_name(target_name))
            .copied()
            .filter(|t| *t != conn);
        let Some(target) = target else {
            return Some(ResultCode::UsrLookup);
        };
        self.moderate(
            Moderator::Player(conn),
            &admin_name,
            action,
            (target, target_name),
            reason,
            now,
            sink,
        )
    }

    /// Carries out gag, ungag, kick or ban of an online player, for a host
    /// or admin (ADMIN) or for the operator (the control socket).
    /// `None` when the answer waits for the database.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn moderate(
        &mut self,
        by: Moderator,
        admin_name: &str,
        action: &str,
        (target, target_name): (ConnId, &str),
        reason: Option<String>,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> Option<ResultCode> {
        match action {
            "gag" | "ungag" => {
                let gag = action == "gag";
                if let Some(p) = self.player_mut(target) {
                    p.gagged = gag;
                }
                log::info!(target: "admin", "{admin_name} {action}s {target_name}");
                Some(ResultCode::Ok)
            }
            "kick" => {
                let Some(reason) = reason else {
                    return Some(ResultCode::BadOptions);
                };
                log::info!(target: "admin", "{admin_name} kicks {target_name}: {reason}");
                self.kick(target, admin_name, &reason, now, sink);
                Some(ResultCode::Ok)
            }
            "ban" => {
                // The original only logged a ban. Here it is kept in the
                // database (name and address) and ends the session.
                let reason = reason.unwrap_or_default();
                let address = self.session(target).map(|s| s.peer.to_string());
                let canonical = crate::config::canonical_name(target_name);
                log::info!(target: "admin", "{admin_name} bans {target_name} ({}): {reason}", address.as_deref().unwrap_or("-"));
                sink.submit(Job::Ban {
                    admin: by,
                    name: canonical,
                    address,
                    reason: format!("{reason} (by {admin_name})"),
                    now: unix_now(),
                });
                self.kick(target, admin_name, &reason, now, sink);
                // Answered once the ban is committed.
                None
            }
            _ => Some(ResultCode::BadOptions),
        }
    }

    /// The reason arrives as a private chat from the admin, then the
    /// connection is cut without `</SESSION>`.
    fn kick(
        &mut self,
        target: ConnId,
        admin: &str,
        reason: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        sink.send(target, &msg(r::chat("private", admin, Some(reason))));
        sink.close(target, Close::AfterFlush);
        self.disconnected(target, now, sink);
    }

    pub(crate) fn on_admin_perm(
        &mut self,
        conn: ConnId,
        player: Option<String>,
        perm: Option<String>,
        value: bool,
        sink: &mut dyn Sink,
    ) {
        let code = self.admin_perm(conn, player, perm, value, sink);
        if let Some(code) = code {
            self.reply(conn, "admin", code, sink);
        }
    }

    /// `None` when the answer waits for the database.
    fn admin_perm(
        &mut self,
        conn: ConnId,
        player: Option<String>,
        perm: Option<String>,
        value: bool,
        sink: &mut dyn Sink,
    ) -> Option<ResultCode> {
        let admin = self.player(conn)?;
        if !perms::is_admin(admin.perms) {
            return Some(ResultCode::NoPermission);
        }
        let admin_name = admin.name.clone();
        let Some(target) = player
            .as_deref()
            .and_then(|p| self.names.get(&crate::config::canonical_name(p)))
            .copied()
        else {
            return Some(ResultCode::UsrLookup);
        };
        let Some(target_player) = self.player(target) else {
            return Some(ResultCode::UsrLookup);
        };
        if target == conn || target_player.guest {
            return Some(ResultCode::BadOptions);
        }
        let Some(bit) = perm.as_deref().and_then(Perm::from_wire_name) else {
            // Unknown names change nothing.
            return Some(ResultCode::Ok);
        };
        let old = target_player.perms;
        let new = if value {
            old | bit.mask()
        } else {
            old & !bit.mask()
        };
        if new == old {
            return Some(ResultCode::Ok);
        }
        log::info!(
            target: "admin",
            "{admin_name} sets {} of {} to {value}",
            bit.wire_name(),
            target_player.name
        );
        sink.submit(Job::SetPermissions {
            admin: conn,
            target,
            canonical: target_player.canonical.clone(),
            perms: new,
        });
        None
    }

    /// A ban was committed (or could not be).
    pub fn on_banned(&mut self, admin: ConnId, stored: bool, sink: &mut dyn Sink) {
        let code = if stored {
            ResultCode::Ok
        } else {
            ResultCode::BadOptions
        };
        self.reply(admin, "admin", code, sink);
    }

    /// Asks the workers for the stored permissions and bans of everyone
    /// online, so that changes made with ggzduedit take effect at once.
    pub fn refresh_permissions(&self, sink: &mut dyn Sink) {
        let players: Vec<OnlineCheck> = self
            .names
            .values()
            .filter_map(|c| {
                let session = self.session(*c)?;
                let p = session.player()?;
                Some(OnlineCheck {
                    conn: *c,
                    canonical: p.canonical.clone(),
                    address: session.peer.to_string(),
                    guest: p.guest,
                })
            })
            .collect();
        if !players.is_empty() {
            sink.submit(Job::RefreshPermissions { players });
        }
    }

    /// Applies re-read permission words, each change announced like an
    /// ADMINPERM change, and removes players banned meanwhile.
    pub fn on_permissions_refreshed(
        &mut self,
        rows: Vec<Refreshed>,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        for row in rows {
            if let Some(reason) = row.ban {
                let Some(name) = self.player(row.conn).map(|p| p.name.clone()) else {
                    continue;
                };
                log::info!(target: "admin", "{name} is banned ({reason}): removed");
                let admin = self.settings.admin_name.clone();
                self.kick(row.conn, &admin, &format!("banned: {reason}"), now, sink);
                continue;
            }
            let Some(perms) = row.perms else {
                continue;
            };
            let Some(p) = self.player_mut(row.conn) else {
                continue;
            };
            if p.perms == perms {
                continue;
            }
            p.perms = perms;
            let (room, name, guest) = (p.room, p.name.clone(), p.guest);
            log::info!(target: "admin", "permissions of {name} are now 0x{perms:08X}");
            if let Some(room) = room {
                let kind = perms::player_kind(guest, perms);
                let update = r::update_player_perms(room as i32, &name, kind, perms);
                self.broadcast_room(room, &msg(update), None, sink);
            }
        }
    }

    /// The permission word was written (or not): apply it and answer.
    pub fn on_permissions_stored(
        &mut self,
        admin: ConnId,
        target: ConnId,
        perms: u32,
        stored: bool,
        sink: &mut dyn Sink,
    ) {
        if !stored {
            self.reply(admin, "admin", ResultCode::UsrLookup, sink);
            return;
        }
        if let Some(p) = self.player_mut(target) {
            p.perms = perms;
            let (room, name, guest) = (p.room, p.name.clone(), p.guest);
            if let Some(room) = room {
                let kind = perms::player_kind(guest, perms);
                let update = r::update_player_perms(room as i32, &name, kind, perms);
                self.broadcast_room(room, &msg(update), None, sink);
            }
        }
        self.reply(admin, "admin", ResultCode::Ok, sink);
    }
}
