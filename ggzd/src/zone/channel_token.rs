//! `channel-token` (docs/extensions.md §2): single-use tokens that bind a
//! game channel to its player instead of the player's address. Browsers
//! behind one NAT share an address, and a page cannot choose its source
//! address anyway; a token the lobby connection received is proof enough
//! that the channel comes from the same client.
//!
//! Each player who asked for the extension holds at most one token. It is
//! used up by the first CHANNEL that presents it, and it lapses after
//! [`LIFETIME`]; either way the player is sent a fresh one, so a client
//! always has a token in hand. Logging out drops it with the player.

use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use super::Zone;
use super::effects::{ConnId, Sink, TimerKey, TimerKind, msg};
use crate::proto::ext_reply;

/// How long an unused token stays valid. Short, since it is sent in the
/// clear on a plain lobby connection; long enough that a slow page still
/// opens its channel with the token it has.
pub const LIFETIME: Duration = Duration::from_secs(60);

/// Random bytes per token (sent as twice as many hex digits).
const TOKEN_BYTES: usize = 16;

/// One player's outstanding token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ChannelToken {
    hex: String,
    expires: Instant,
}

impl std::fmt::Debug for ChannelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never in a log line: a token is a credential while it lives.
        f.debug_struct("ChannelToken")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl ChannelToken {
    /// A fresh token from the system's CSPRNG; `None` when it has none to
    /// give (then no token is offered rather than a weak one).
    pub fn generate(now: Instant) -> Option<ChannelToken> {
        let mut bytes = [0u8; TOKEN_BYTES];
        if let Err(e) = crate::random::fill(&mut bytes) {
            log::error!("no random bytes for a channel token: {e}");
            return None;
        }
        Some(ChannelToken::from_bytes(&bytes, now))
    }

    fn from_bytes(bytes: &[u8], now: Instant) -> ChannelToken {
        use std::fmt::Write;
        let mut hex = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            let _ = write!(hex, "{b:02x}");
        }
        ChannelToken {
            hex,
            expires: now + LIFETIME,
        }
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    pub fn expires(&self) -> Instant {
        self.expires
    }

    /// Whether `presented` is this token and it has not lapsed. Compared
    /// in constant time: a wrong guess learns nothing about the right one.
    pub fn accepts(&self, presented: &str, now: Instant) -> bool {
        now < self.expires && bool::from(self.hex.as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl Zone {
    /// Gives `conn`'s player a fresh token (replacing any other), sends it,
    /// and arms the timer that replaces it when it lapses. Nothing happens
    /// for a session that did not ask for `channel-token`.
    pub(super) fn issue_channel_token(&mut self, conn: ConnId, now: Instant, sink: &mut dyn Sink) {
        let wanted = self
            .session(conn)
            .is_some_and(|s| s.ext.channel_token && s.player().is_some());
        if !wanted {
            return;
        }
        let Some(token) = ChannelToken::generate(now) else {
            return;
        };
        let text = ext_reply::channel_token(token.hex());
        let expires = token.expires();
        if let Some(p) = self.player_mut(conn) {
            p.channel_token = Some(token);
        }
        sink.send(conn, &msg(text));
        sink.timer(
            expires,
            TimerKey {
                conn,
                kind: TimerKind::ChannelToken,
            },
        );
    }

    /// The token timer fired: the token set for `deadline` lapsed unused
    /// and is replaced. A token used or replaced since has another expiry,
    /// and its timer is the one that counts.
    pub(super) fn on_channel_token_timer(
        &mut self,
        conn: ConnId,
        deadline: Instant,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let lapsed = self
            .player(conn)
            .and_then(|p| p.channel_token.as_ref())
            .is_some_and(|t| t.expires() == deadline);
        if lapsed {
            self.issue_channel_token(conn, now, sink);
        }
    }

    /// Checks a CHANNEL's token against its owner's, using it up when it
    /// matches (the owner then gets the next one). A wrong token leaves the
    /// owner's in place: guessing 128 random bits is no threat, and a
    /// stranger must not be able to spoil a player's token.
    pub(super) fn use_channel_token(
        &mut self,
        owner: ConnId,
        presented: &str,
        now: Instant,
        sink: &mut dyn Sink,
    ) -> bool {
        let valid = self
            .player(owner)
            .and_then(|p| p.channel_token.as_ref())
            .is_some_and(|t| t.accepts(presented, now));
        if valid {
            if let Some(p) = self.player_mut(owner) {
                p.channel_token = None;
            }
            self.issue_channel_token(owner, now, sink);
        }
        valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_lowercase_hex_digits_and_differ() {
        let now = Instant::now();
        let a = ChannelToken::generate(now).unwrap();
        let b = ChannelToken::generate(now).unwrap();
        assert_eq!(a.hex().len(), 32);
        assert!(
            a.hex()
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(a.hex(), b.hex());
        assert_eq!(a.expires(), now + LIFETIME);
    }

    #[test]
    fn accepts_only_its_own_text_before_it_lapses() {
        let now = Instant::now();
        let t = ChannelToken::from_bytes(&[0xab; 16], now);
        assert_eq!(t.hex(), "ab".repeat(16));
        assert!(t.accepts(&"ab".repeat(16), now));
        assert!(!t.accepts(&"AB".repeat(16), now), "exactly as sent");
        assert!(!t.accepts(&"ab".repeat(15), now));
        assert!(!t.accepts("", now));
        assert!(t.accepts(&"ab".repeat(16), now + LIFETIME - Duration::from_millis(1)));
        assert!(!t.accepts(&"ab".repeat(16), now + LIFETIME));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let t = ChannelToken::from_bytes(&[0xcd; 16], Instant::now());
        assert!(!format!("{t:?}").contains("cdcd"));
    }
}
