//! Carrying out a line of input: the requests it sends and the checks
//! made before sending.

use super::*;

impl Session {
    pub(super) fn my_turn(&self) -> bool {
        self.game.as_ref().is_some_and(|g| g.view.my_turn)
    }

    pub(super) fn execute_line(&mut self, line: &str) {
        let comment = self.options.script && line.starts_with('#');
        if self.at_raw_table() && !line.starts_with('/') && !line.trim().is_empty() && !comment {
            self.send_raw(line);
            return;
        }
        if self.at_lockstep_table() && !line.starts_with('/') && !line.trim().is_empty() && !comment
        {
            self.send_lockstep(line);
            return;
        }
        match parse_line(line, self.my_turn()) {
            Ok(Line::Empty) => {}
            Ok(Line::Command(command)) => self.execute(command),
            Err(e) => {
                self.say(&format!("error: {e}"));
                if self.options.script {
                    self.finish(Exit::Usage);
                }
            }
        }
    }

    pub(super) fn request(&mut self, xml: &str, pending: Pending) {
        self.pending.push_back(pending);
        self.send_main(xml);
    }

    pub(super) fn list(&mut self, kind: &str, show: bool) {
        let full = if kind == "game" { " FULL='true'" } else { "" };
        self.request(
            &format!("<LIST TYPE='{kind}'{full}/>\n"),
            Pending::List { show },
        );
    }

    pub(super) fn chat(&mut self, kind: &str, to: Option<&str>, text: &str) {
        let text = typed_text(text);
        if text.len() > self.chat_len {
            self.fail(&format!(
                "chat is longer than the server's {} bytes",
                self.chat_len
            ));
            return;
        }
        let to = to.map_or_else(String::new, |t| format!(" TO='{}'", escape(t)));
        self.request(
            &format!("<CHAT TYPE='{kind}'{to}>{}</CHAT>\n", escape(&text)),
            Pending::Chat,
        );
    }

    pub(super) fn execute(&mut self, command: Command) {
        if self.at_raw_table()
            && matches!(
                command,
                Command::Move(_)
                    | Command::Autoplay
                    | Command::Result
                    | Command::Board
                    | Command::Again
            )
        {
            self.fail("this table is in raw mode: type the bytes for the game server");
            return;
        }
        match command {
            Command::Help => {
                for (name, args, help) in COMMANDS {
                    let usage = format!("/{name} {args}");
                    self.say(&format!("  {:<44} {help}", usage.trim_end()));
                }
            }
            Command::Quit => self.finish(Exit::Done),
            Command::Motd => self.send_main("<MOTD/>\n"),
            Command::Rooms => self.list("room", true),
            Command::Who => self.list("player", true),
            Command::Games => self.list("game", true),
            Command::Tables => self.list("table", true),
            Command::Enter(key) => match self.zone.find_room(&key) {
                Some(room) => {
                    self.request(&format!("<ENTER ROOM='{room}'/>\n"), Pending::Enter(room))
                }
                None => self.fail(&format!("no room called '{}' (see /rooms)", clean(&key))),
            },
            Command::Say(text) => self.chat("normal", None, &text),
            Command::Msg { to, text } => self.chat("private", Some(&to), &text),
            Command::Beep(to) => self.chat("beep", Some(&to), ""),
            Command::Announce(text) => self.chat("announce", None, &text),
            Command::TableChat(text) => self.chat("table", None, &text),
            Command::Launch(seats) => self.launch(&seats),
            Command::Join(table) => {
                let table = table.or_else(|| self.zone.joinable_table(&self.me));
                match table {
                    Some(t) => self.sit(t, false),
                    None => self.fail("no table here has a seat for you (see /tables)"),
                }
            }
            Command::Watch(table) => self.sit(table, true),
            Command::Play(queue) => self.play(queue),
            Command::Cancel => self.request("<MATCH_CANCEL/>\n", Pending::MatchCancel),
            Command::Queues => self.list("queue", true),
            Command::Leave { force } => {
                let spectator = self.zone.at_table.is_some_and(|(_, s)| s);
                self.request(
                    &format!("<LEAVE FORCE='{force}' SPECTATOR='{spectator}'/>\n"),
                    Pending::Leave,
                );
            }
            Command::Again => self.again(),
            Command::Move(spec) => {
                if self.game.is_none() {
                    self.fail("you are not at a table");
                } else if self.options.script && !self.my_turn() {
                    self.wait_for(Until::Turn(spec));
                } else {
                    self.make_move(spec);
                }
            }
            Command::Board => {
                let view = self
                    .game
                    .as_ref()
                    .map(|g| &g.view)
                    .or(self.last_view.as_ref());
                match view {
                    Some(view) => {
                        let lines = self.board_lines(view);
                        self.say_block(&lines);
                    }
                    None => self.fail("no board to show: you have not been at a table"),
                }
            }
            Command::Result => self.wait_for(Until::Over),
            Command::Autoplay => {
                if self.game.as_ref().is_some_and(|g| g.view.is_spectator()) {
                    self.fail("spectators do not move");
                } else {
                    self.wait_for(Until::Autoplay);
                }
            }
            Command::GamesPlayed(player) => self.games_played(player),
            Command::Replay(id) => self.replay(id),
            Command::Wait(text) => self.wait_for(Until::Text(text)),
            Command::Sleep(d) => {
                self.wait = Some(Wait {
                    until: Until::Elapsed,
                    deadline: Instant::now() + d,
                });
            }
        }
    }

    /// The room's game; one this client does not speak is played raw.
    pub(super) fn playable_game(&mut self) -> Option<(i32, String)> {
        let Some((id, game)) = self.zone.room_game() else {
            self.fail("enter a game room first (see /rooms)");
            return None;
        };
        Some((id, game.players.clone()))
    }

    pub(super) fn launch(&mut self, specs: &[SeatSpec]) {
        if self.zone.at_table.is_some() || self.awaiting_join {
            self.fail("leave your table first");
            return;
        }
        let Some((game, players)) = self.playable_game() else {
            return;
        };
        let seats = min_players(&players).max(specs.len() + 1);
        let mut xml = format!("<LAUNCH>\n<TABLE GAME='{game}' SEATS='{seats}'>\n<DESC></DESC>\n");
        xml.push_str("<SEAT NUM='0' TYPE='open'/>\n");
        for num in 1..seats {
            xml.push_str(&match specs.get(num - 1).unwrap_or(&SeatSpec::Open) {
                SeatSpec::Open => format!("<SEAT NUM='{num}' TYPE='open'/>\n"),
                SeatSpec::Bot(None) => format!("<SEAT NUM='{num}' TYPE='bot'/>\n"),
                SeatSpec::Bot(Some(name)) => {
                    format!("<SEAT NUM='{num}' TYPE='bot'>{}</SEAT>\n", escape(name))
                }
                SeatSpec::Reserved(name) => {
                    format!(
                        "<SEAT NUM='{num}' TYPE='reserved'>{}</SEAT>\n",
                        escape(name)
                    )
                }
            });
        }
        xml.push_str("</TABLE>\n</LAUNCH>\n");
        if let Err(e) = self.open_channel(false) {
            self.fail(&format!("cannot open a game channel: {e}"));
            return;
        }
        self.awaiting_join = true;
        self.request(&xml, Pending::Launch);
    }

    /// Whether a table is known and has not reached WAITING yet (the
    /// server lists tables while their game server starts).
    pub(super) fn table_starting(&self, table: i32) -> bool {
        self.zone.tables.get(&table).is_some_and(|t| t.status == 0)
    }

    pub(super) fn sit(&mut self, table: i32, spectator: bool) {
        if self.zone.at_table.is_some() || self.awaiting_join {
            self.fail("leave your table first");
            return;
        }
        if self.table_starting(table) {
            if self.options.script {
                self.wait_for(Until::TableReady { table, spectator });
            } else {
                self.fail(&format!(
                    "table {table} is still starting; try again in a moment"
                ));
            }
            return;
        }
        if self.playable_game().is_none() {
            return;
        }
        if let Err(e) = self.open_channel(spectator) {
            self.fail(&format!("cannot open a game channel: {e}"));
            return;
        }
        self.awaiting_join = true;
        self.request(
            &format!("<JOIN TABLE='{table}' SPECTATOR='{spectator}'/>\n"),
            Pending::Join,
        );
    }

    /// `/play`: a ticket in the named queue, or in this room's.
    pub(super) fn play(&mut self, queue: Option<String>) {
        if self.zone.at_table.is_some() || self.awaiting_join {
            self.fail("leave your table first");
            return;
        }
        let queue = queue.or_else(|| self.zone.room_queue().map(|q| q.name.clone()));
        let Some(queue) = queue else {
            self.fail("this room has no matchmaking queue (see /queues)");
            return;
        };
        self.request(
            &format!("<MATCH QUEUE='{}'/>\n", escape(&queue)),
            Pending::Match(queue),
        );
    }

    /// MATCHED: sit down at once in the seat reserved for us (the server
    /// picks it by our name).
    pub(super) fn take_matched_seat(&mut self, room: i32, table: i32) {
        if self.zone.room != Some(room) {
            self.fail(&format!(
                "your match is in room {room}: /enter {room} and /join {table}"
            ));
            return;
        }
        self.sit(table, false);
    }

    pub(super) fn make_move(&mut self, spec: MoveSpec) {
        let Some(game) = self.game.as_mut() else {
            self.fail("you are not at a table");
            return;
        };
        let square = match spec {
            MoveSpec::Square(q) => Some(q),
            MoveSpec::Auto => game.view.first_free(),
        };
        let packet = match square {
            Some(q) => game.view.play(q),
            None => Err(ttt::MoveError::NoSquare),
        };
        match packet {
            Ok(packet) => {
                if let Err(e) = game.link.send(self.poll.registry(), &packet) {
                    let text = format!("the game channel failed: {e}");
                    self.close_game();
                    self.fail(&text);
                }
            }
            Err(e) => self.fail(&e.to_string()),
        }
    }

    /// `/again`: the TicTacToe protocols have no rematch message, so the
    /// next game starts when a seat of the finished one is filled again
    /// (docs/tictactoe-rematch.md): stand up, then sit down in the same
    /// seat, keeping the game channel.
    pub(super) fn again(&mut self) {
        let seat = match (&self.game, self.zone.at_table) {
            (Some(game), Some((_, false))) if game.view.outcome.is_some() => {
                game.view.me.map(|m| m.seat())
            }
            (Some(_), Some((_, false))) => {
                self.fail("the game is not over yet");
                return;
            }
            _ => {
                self.fail("you are not playing at a table");
                return;
            }
        };
        let Some(seat) = seat.and_then(|s| u32::try_from(s).ok()) else {
            self.fail("your seat is not known yet");
            return;
        };
        self.awaiting_game = true;
        self.request(
            "<RESEAT ACTION='stand'/>\n",
            Pending::Reseat { sit_at: Some(seat) },
        );
    }

    /// A RESEAT of `/again` succeeded: after standing up, sit down again.
    pub(super) fn reseated(&mut self, sit_at: Option<u32>) {
        if let Some((table, _)) = self.zone.at_table {
            self.zone.at_table = Some((table, sit_at.is_some()));
        }
        if let Some(seat) = sit_at {
            self.request(
                &format!("<RESEAT ACTION='sit' SEAT='{seat}'/>\n"),
                Pending::Reseat { sit_at: None },
            );
        } else {
            self.say("you sat down again: the next game starts when both seats are filled");
        }
    }
}
