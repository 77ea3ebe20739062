//! Which protocol-10 extensions a session asked for (docs/extensions.md).
//!
//! An original client never sends `EXTENSIONS`, so every flag stays off for
//! it and it never receives an element it did not ask for.

use std::time::Instant;

use super::Zone;
use super::effects::{ConnId, Sink, msg};
use crate::proto::ext_reply;

/// `channel-token`: single-use tokens for game channels (docs/extensions.md §2).
pub const CHANNEL_TOKEN: &str = "channel-token";
/// `rejoin`: told about a held seat after login (docs/extensions.md §3).
pub const REJOIN: &str = "rejoin";
/// `matchmaking`: queue notices (docs/extensions.md §4).
pub const MATCHMAKING: &str = "matchmaking";
/// `replays`: played games, replays and RESTORE (docs/replays.md §4).
pub const REPLAYS: &str = "replays";

/// The extensions switched on for one session; all off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extensions {
    pub channel_token: bool,
    pub rejoin: bool,
    pub matchmaking: bool,
    pub replays: bool,
}

impl Extensions {
    /// Switches on the known names among `names`; unknown ones are
    /// ignored. Returns every extension now on, in a fixed order.
    pub fn enable(&mut self, names: &[String]) -> Vec<&'static str> {
        for name in names {
            match name.as_str() {
                CHANNEL_TOKEN => self.channel_token = true,
                REJOIN => self.rejoin = true,
                MATCHMAKING => self.matchmaking = true,
                REPLAYS => self.replays = true,
                _ => {}
            }
        }
        [
            (self.channel_token, CHANNEL_TOKEN),
            (self.rejoin, REJOIN),
            (self.matchmaking, MATCHMAKING),
            (self.replays, REPLAYS),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

impl Zone {
    /// `EXTENSIONS`: allowed at any time before or after login; the answer
    /// lists everything on for the session, so asking again is harmless.
    pub(super) fn on_extensions(
        &mut self,
        conn: ConnId,
        names: &[String],
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(session) = self.session_mut(conn) else {
            return;
        };
        let had_token = session.ext.channel_token;
        let had_rejoin = session.ext.rejoin;
        let on = session.ext.enable(names);
        let wants_token = !had_token && session.ext.channel_token;
        let rejoin_now = session.ext.rejoin && !had_rejoin;
        sink.send(conn, &msg(ext_reply::extensions(&on)));
        // Asked for after LOGIN: the token a login would have brought
        // comes now (before login, the login sends it).
        if wants_token {
            self.issue_channel_token(conn, now, sink);
        }
        // A client that asks after its LOGIN still learns of a held seat.
        if rejoin_now {
            self.send_rejoin(conn, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_switch_on_and_unknown_ones_are_dropped() {
        let mut ext = Extensions::default();
        let on = ext.enable(&["matchmaking".into(), "teleport".into()]);
        assert_eq!(on, vec![MATCHMAKING]);
        let on = ext.enable(&[REJOIN.into(), CHANNEL_TOKEN.into()]);
        assert_eq!(on, vec![CHANNEL_TOKEN, REJOIN, MATCHMAKING]);
        assert!(ext.channel_token && ext.rejoin && ext.matchmaking);
    }

    #[test]
    fn nothing_is_on_by_default() {
        let mut ext = Extensions::default();
        assert!(ext.enable(&[]).is_empty());
        assert_eq!(ext, Extensions::default());
    }
}
