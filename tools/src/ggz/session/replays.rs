//! `/games-played` and `/replay` (docs/replays.md §4): the `replays`
//! extension's requests and answers. A replay is fetched page by page
//! (`NEXT`/`FROM`) and shown whole once the last page is in.

use super::*;
use crate::ggz::replay::{self, Replay};

impl Session {
    fn replays_offered(&mut self) -> bool {
        if !self.replays_on {
            self.fail("this server does not keep played games (no replays extension)");
        }
        self.replays_on
    }

    /// `/games-played [PLAYER]`.
    pub(super) fn games_played(&mut self, player: Option<String>) {
        if !self.replays_offered() {
            return;
        }
        let player = player.unwrap_or_else(|| self.me.clone());
        self.request(
            &format!("<LIST TYPE='played' PLAYER='{}'/>\n", escape(&player)),
            Pending::Played(player),
        );
    }

    /// `/replay ID`.
    pub(super) fn replay(&mut self, id: u64) {
        if !self.replays_offered() {
            return;
        }
        self.replay = None;
        self.request(&format!("<REPLAY ID='{id}'/>\n"), Pending::Replay(id));
    }

    /// Elements of the extension; `true` if `e` was one of them.
    pub(super) fn on_replays_element(&mut self, e: &Element) -> bool {
        if e.is("REPLAY") {
            self.on_replay_page(e);
            return true;
        }
        if !e.is("RESULT") {
            return false;
        }
        let played = self
            .pending
            .iter()
            .position(|p| matches!(p, Pending::Played(_)));
        let replaying = self
            .pending
            .iter()
            .position(|p| matches!(p, Pending::Replay(_)));
        let reason = e.attr("REASON").map(clean);
        match (e.attr("ACTION"), played, replaying) {
            (Some("list"), Some(at), _)
                if e.child("LIST").and_then(|l| l.attr("TYPE")) == Some("played") =>
            {
                if let (Some(Pending::Played(player)), Some(list)) =
                    (self.pending.remove(at), e.child("LIST"))
                {
                    let lines = replay::played_lines(&player, list);
                    self.say_block(&lines);
                }
                true
            }
            (Some("list"), Some(at), _) if reason.is_some() => {
                self.pending.remove(at);
                self.fail(&format!("games played: {}", reason.unwrap_or_default()));
                true
            }
            (Some("replay"), _, Some(at)) => {
                self.pending.remove(at);
                self.replay = None;
                let code = clean(e.attr("CODE").unwrap_or_default());
                self.fail(&format!("replay: {}", reason.unwrap_or(code)));
                true
            }
            // A server without the extension answers LIST TYPE='played' as
            // an unknown type.
            (Some("protocol"), Some(at), _) => {
                self.pending.remove(at);
                self.fail("this server does not list played games");
                true
            }
            _ => false,
        }
    }

    fn on_replay_page(&mut self, page: &Element) {
        let Some(at) = self
            .pending
            .iter()
            .position(|p| matches!(p, Pending::Replay(_)))
        else {
            return;
        };
        let Some(Pending::Replay(id)) = self.pending.remove(at) else {
            return;
        };
        let replay = self.replay.get_or_insert_with(|| Replay::new(page));
        match replay.add_page(page) {
            Some(next) => self.request(
                &format!("<REPLAY ID='{id}' FROM='{next}'/>\n"),
                Pending::Replay(id),
            ),
            None => {
                let lines = replay.lines();
                self.replay = None;
                self.say_block(&lines);
            }
        }
    }
}
