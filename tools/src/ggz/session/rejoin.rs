//! Rejoin (docs/extensions.md §3): `ggz` asks for the `rejoin` extension
//! before it logs in; when the server answers the login with `<REJOIN>`,
//! a seat is held for this user, and the client takes it back at once:
//! into the room, a new game channel, JOIN of that table.

use super::*;

/// The extensions this client asks for, sent before its LOGIN.
pub(super) const EXTENSIONS: &str = "<EXTENSIONS NAMES='rejoin replays'/>\n";

impl Session {
    /// `<REJOIN ROOM TABLE SEAT/>`: enter the room (if need be), then sit.
    pub(super) fn on_rejoin(&mut self, e: &Element) {
        let number = |name: &str| e.attr(name).and_then(|v| v.parse::<i32>().ok());
        let (Some(room), Some(table)) = (number("ROOM"), number("TABLE")) else {
            return;
        };
        if self.zone.at_table.is_some() || self.awaiting_join || self.rejoin.is_some() {
            return;
        }
        self.say(&format!(
            "your seat at table {table} in room {room} was kept for you; taking it back"
        ));
        if self.zone.room == Some(room) {
            self.sit(table, false);
        } else {
            self.rejoin = Some((room, table));
            self.request(&format!("<ENTER ROOM='{room}'/>\n"), Pending::Enter(room));
        }
    }

    /// The room of a held seat was entered (or could not be): sit down.
    pub(super) fn rejoin_after_enter(&mut self, entered: Option<i32>) {
        let Some((room, table)) = self.rejoin.take() else {
            return;
        };
        if entered == Some(room) {
            self.sit(table, false);
        }
    }
}
