//! `[chat_backlog]`: what becomes of chat lines beyond the rate limit of
//! `[limits]` (`chat_burst`, `chat_rate`). They wait, up to a bound per
//! player, and go out as the rate allows (docs/chat-flood.md).

use serde::Deserialize;

/// Most lines a backlog may be configured to hold.
pub const MAX_BACKLOG_LINES: u32 = 10_000;

/// Most bytes a backlog may be configured to hold.
pub const MAX_BACKLOG_BYTES: u32 = 16 * 1024 * 1024;

/// `[chat_backlog]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChatBacklogConfig {
    /// Lines a player may have waiting; 0 refuses every line beyond the
    /// burst at once (the behaviour before the backlog existed).
    pub lines: u32,
    /// Bytes of chat text a player may have waiting.
    pub bytes: u32,
    /// What a line that finds the backlog full costs its sender.
    pub overflow: ChatOverflow,
}

impl Default for ChatBacklogConfig {
    fn default() -> Self {
        ChatBacklogConfig {
            lines: 32,
            bytes: 16 * 1024,
            overflow: ChatOverflow::Refuse,
        }
    }
}

/// `chat_backlog.overflow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatOverflow {
    /// The line is refused (`RESULT chat` `bad options`), in its turn.
    #[default]
    Refuse,
    /// The sender is disconnected.
    Disconnect,
}

impl ChatBacklogConfig {
    /// Semantic checks: the dotted key and what is wrong.
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        if self.lines > MAX_BACKLOG_LINES {
            return Err((
                "chat_backlog.lines",
                format!("must be at most {MAX_BACKLOG_LINES}"),
            ));
        }
        if self.bytes > MAX_BACKLOG_BYTES {
            return Err((
                "chat_backlog.bytes",
                format!("must be at most {MAX_BACKLOG_BYTES} (16 MiB)"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let c = ChatBacklogConfig::default();
        assert_eq!(c.check(), Ok(()));
        let too_many = ChatBacklogConfig {
            lines: MAX_BACKLOG_LINES + 1,
            ..c.clone()
        };
        assert_eq!(too_many.check().unwrap_err().0, "chat_backlog.lines");
        let too_big = ChatBacklogConfig {
            bytes: MAX_BACKLOG_BYTES + 1,
            ..c
        };
        assert_eq!(too_big.check().unwrap_err().0, "chat_backlog.bytes");
    }
}
