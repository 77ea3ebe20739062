//! What a script step waits for, and deciding when the wait is over.

use super::*;

/// What a script step waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Until {
    /// Every request answered, at the table if one was asked for, the
    /// last move answered.
    Settled,
    /// The user's turn, then make this move.
    Turn(MoveSpec),
    /// The game's end.
    Over,
    /// The game's end, moving on each turn meanwhile.
    Autoplay,
    /// A shown line containing this text.
    Text(String),
    /// Just the deadline (`/sleep`).
    Elapsed,
    /// A table still starting is ready; then sit down (or watch).
    TableReady {
        /// The table.
        table: i32,
        /// Watch rather than play.
        spectator: bool,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Wait {
    pub(super) until: Until,
    pub(super) deadline: Instant,
}

impl Session {
    pub(super) fn wait_for(&mut self, until: Until) {
        self.wait = Some(Wait {
            until,
            deadline: Instant::now() + self.options.timeout,
        });
        self.check_wait();
    }

    pub(super) fn settled(&self) -> bool {
        self.pending.is_empty()
            && !self.awaiting_join
            && !self.awaiting_game
            && !self.game.as_ref().is_some_and(|g| g.view.move_pending())
    }

    /// Ends the current wait if its condition holds or its time is up.
    pub(super) fn check_wait(&mut self) {
        let Some(wait) = self.wait.clone() else {
            return;
        };
        if self.exit.is_some() {
            self.wait = None;
            return;
        }
        let done = match &wait.until {
            Until::Settled => self.phase == Phase::Ready && self.settled(),
            Until::Turn(spec) => {
                let spec = *spec;
                match self.game.as_ref().map(|g| (&g.view, g.view.my_turn)) {
                    None => {
                        self.wait = None;
                        self.fail("not at a table");
                        return;
                    }
                    Some((view, _)) if view.outcome.is_some() => {
                        self.wait = None;
                        self.fail("the game is over");
                        return;
                    }
                    Some((_, true)) => {
                        self.wait = None;
                        self.make_move(spec);
                        if self.wait.is_none() && self.exit.is_none() {
                            self.wait_for(Until::Settled);
                        }
                        return;
                    }
                    Some((_, false)) => false,
                }
            }
            Until::Autoplay if self.my_turn() => {
                self.make_move(MoveSpec::Auto);
                false
            }
            Until::Over | Until::Autoplay => {
                let over = match &self.game {
                    Some(g) => g.view.outcome.is_some(),
                    None => true,
                };
                // A result not shown yet counts even if the next game has
                // already begun (`/again` by the opponent).
                let unshown = wait.until == Until::Over && self.result_unshown;
                if over || unshown {
                    self.wait = None;
                    self.result_unshown = false;
                    match self.last_result.clone() {
                        Some(result) => self.say(&format!("result: {result}")),
                        None => self.fail("no game to wait for"),
                    }
                    return;
                }
                false
            }
            Until::Text(pattern) => match self.seen.iter().position(|l| l.contains(pattern)) {
                Some(at) => {
                    // Only the matched line is taken: events from other players
                    // arrive in any order relative to the script's own.
                    self.seen.remove(at);
                    true
                }
                None => false,
            },
            Until::Elapsed => false,
            Until::TableReady { table, spectator } => {
                let (table, spectator) = (*table, *spectator);
                if self.table_starting(table) {
                    false
                } else {
                    self.wait = None;
                    self.sit(table, spectator);
                    return;
                }
            }
        };
        if done {
            self.wait = None;
        } else if Instant::now() >= wait.deadline {
            self.wait = None;
            if wait.until != Until::Elapsed {
                let what = match &wait.until {
                    Until::Settled if self.phase != Phase::Ready => "the login".to_owned(),
                    Until::Settled => "the server's answer".to_owned(),
                    Until::Turn(_) => "your turn".to_owned(),
                    Until::Over | Until::Autoplay => "the end of the game".to_owned(),
                    Until::Text(t) => format!("a line with '{t}'"),
                    Until::TableReady { table, .. } => format!("table {table} to start"),
                    Until::Elapsed => String::new(),
                };
                self.say(&format!("error: timed out waiting for {what}"));
                let exit = if self.phase == Phase::Ready {
                    Exit::Failed
                } else {
                    Exit::Connection
                };
                self.finish(exit);
            }
        }
    }
}
