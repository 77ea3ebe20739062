//! The game channel: opening it (docs/client-server.md §14), reading the game server's
//! packets into the TicTacToe view, and showing what they meant.

use super::*;

impl Session {
    /// Opens the second connection (docs/client-server.md §14) and keeps it for the next
    /// launch or join.
    pub(super) fn open_channel(&mut self, spectator: bool) -> io::Result<()> {
        self.close_game();
        let timeout = self.options.timeout;
        let mut channel = Client::connect(self.peer, timeout)?;
        channel.send(&format!(
            "<CHANNEL ID='{}' />\n</SESSION>\n",
            escape(&self.me)
        ))?;
        loop {
            match channel.recv(timeout) {
                Ok(Some(e)) if e.is("RESULT") => {
                    return Err(io::Error::other(format!(
                        "the server answered {}",
                        clean(e.attr("CODE").unwrap_or("?"))
                    )));
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no answer from the server",
                    ));
                }
                Err(_) if channel.session_ended() => break,
                Err(e) => return Err(e),
            }
        }
        let (stream, mut rest) = channel.into_parts();
        // The server ends its side with "</SESSION>\n"; the line end is
        // not the game's.
        if rest.first() == Some(&b'\n') {
            rest.remove(0);
        }
        let link = Link::register(stream, self.poll.registry(), GAME)?;
        let lockstep = self.plays_lockstep().then(LockstepView::new);
        let raw = (lockstep.is_none() && self.plays_raw()).then(RawView::new);
        if raw.is_some() && !self.options.script {
            self.say("raw mode: lines you type go to the game server (\\xHH escapes, \\c for no newline); /help for commands");
        }
        self.game = Some(Game {
            link,
            view: TicTacToeView::new(spectator),
            table: None,
            raw,
            lockstep,
        });
        if !rest.is_empty() {
            self.game_bytes(&rest);
        }
        Ok(())
    }

    pub(super) fn close_game(&mut self) {
        self.awaiting_game = false;
        if let Some(mut game) = self.game.take() {
            game.link.deregister(self.poll.registry());
            self.last_view = Some(game.view);
        }
    }

    pub(super) fn flush_game(&mut self) {
        if let Some(game) = self.game.as_mut()
            && let Err(e) = game.link.flush(self.poll.registry())
        {
            let text = format!("the game channel failed: {e}");
            self.close_game();
            self.say(&format!("error: {text}"));
        }
    }

    pub(super) fn read_game(&mut self) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        match game.link.read_available() {
            Ok(outcome) => {
                self.game_bytes(&outcome.bytes);
                if outcome.closed {
                    // The table ended; the server's LEAVE says how.
                    self.close_game();
                }
            }
            Err(e) => {
                self.close_game();
                self.say(&format!("error: the game channel failed: {e}"));
            }
        }
    }

    /// Reads what the game server wrote before the table ended, so the
    /// last move and the result are shown before the LEAVE.
    pub(super) fn drain_game(&mut self) {
        if let Some(game) = self.game.as_mut()
            && let Ok(outcome) = game.link.read_available()
        {
            self.game_bytes(&outcome.bytes);
        }
    }

    /// Whether the table about to be joined is played in raw mode.
    pub(super) fn plays_raw(&self) -> bool {
        self.options.raw
            || !self
                .zone
                .room_game()
                .is_some_and(|(_, g)| ttt::speaks(&g.engine, &g.engine_version))
    }

    /// Whether the table about to be joined is a lockstep relay's.
    pub(super) fn plays_lockstep(&self) -> bool {
        !self.options.raw
            && self
                .zone
                .room_game()
                .is_some_and(|(_, g)| lockstep_view::speaks(&g.engine))
    }

    pub(super) fn at_lockstep_table(&self) -> bool {
        self.game.as_ref().is_some_and(|g| g.lockstep.is_some())
    }

    /// A line typed at a lockstep table.
    pub(super) fn send_lockstep(&mut self, line: &str) {
        let Some(view) = self.game.as_mut().and_then(|g| g.lockstep.as_mut()) else {
            return;
        };
        match view.typed(line) {
            Ok(update) => self.lockstep_update(update),
            Err(e) => self.fail(&e),
        }
    }

    fn lockstep_update(&mut self, update: lockstep_view::Update) {
        if !update.lines.is_empty() {
            self.say_block(&update.lines);
        }
        if update.send.is_empty() {
            return;
        }
        let Some(game) = self.game.as_mut() else {
            return;
        };
        if let Err(e) = game.link.send(self.poll.registry(), &update.send) {
            let text = format!("the game channel failed: {e}");
            self.close_game();
            self.fail(&text);
        }
    }

    pub(super) fn at_raw_table(&self) -> bool {
        self.game.as_ref().is_some_and(|g| g.raw.is_some())
    }

    /// A typed line for a raw table: its bytes go to the game server.
    pub(super) fn send_raw(&mut self, line: &str) {
        let bytes = match raw::encode_line(line) {
            Ok(b) => b,
            Err(e) => {
                self.fail(&e.to_string());
                return;
            }
        };
        let Some(game) = self.game.as_mut() else {
            return;
        };
        if let Err(e) = game.link.send(self.poll.registry(), &bytes) {
            let text = format!("the game channel failed: {e}");
            self.close_game();
            self.fail(&text);
        }
    }

    pub(super) fn game_bytes(&mut self, bytes: &[u8]) {
        if let Some(view) = self.game.as_mut().and_then(|g| g.lockstep.as_mut()) {
            match view.push(bytes) {
                Ok(update) => self.lockstep_update(update),
                Err(e) => {
                    self.close_game();
                    self.fail(&e);
                }
            }
            return;
        }
        if let Some(raw) = self.game.as_mut().and_then(|g| g.raw.as_mut()) {
            let lines: Vec<String> = raw
                .push(bytes)
                .into_iter()
                .map(|l| format!("game: {l}"))
                .collect();
            if !lines.is_empty() {
                self.say_block(&lines);
            }
            return;
        }
        if let Some(game) = self.game.as_mut() {
            game.view.push(bytes);
        }
        // One packet at a time, so each line shows the board as it was then.
        loop {
            let Some(game) = self.game.as_mut() else {
                return;
            };
            let event = match game.view.next_event() {
                Ok(Some(event)) => event,
                Ok(None) => return,
                Err(e) => {
                    self.close_game();
                    self.fail(&e);
                    return;
                }
            };
            self.learn_from_table();
            let Some(view) = self.game.as_ref().map(|g| g.view.clone()) else {
                return;
            };
            if let GameEvent::Over(outcome) = event {
                self.last_result = Some(render::result_line(&view, outcome));
                self.result_unshown = true;
            }
            if event == GameEvent::NewGame {
                self.awaiting_game = false;
            }
            if let Some(line) = render::game_event_line(&view, &event) {
                self.say(&line);
            }
            if matches!(event, GameEvent::Over(_)) && !self.options.script && !view.is_spectator() {
                self.say("the table stays: /again for another game here, /leave to go");
            }
            if matches!(
                event,
                GameEvent::Moved { .. } | GameEvent::Synced | GameEvent::NewGame
            ) {
                let lines = self.board_lines(&view);
                self.say_block(&lines);
            }
            if matches!(event, GameEvent::Refused(_)) && self.options.script {
                self.finish(Exit::Failed);
            }
        }
    }

    pub(super) fn board_lines(&self, view: &TicTacToeView) -> Vec<String> {
        if self.options.script {
            vec![render::board_compact(view)]
        } else {
            render::board_drawing(view)
        }
    }
}
