//! The web client (`web/`) as the browser tests see it: one `Page` per
//! browser, acting only through the element ids and attributes of the DOM
//! contract (docs of the web client; `#login-form`, `#board`, ...), the way
//! a person would: typing, picking, clicking.

use serde_json::{Value, json};

use crate::browser::{Browser, WdResult, css_string};

/// One square of the TicTacToe board as the page shows it.
pub type Board = [char; 9];

/// What the page shows of the game at one moment.
#[derive(Debug, Clone)]
pub struct GameView {
    pub board: Board,
    /// Squares the page lets this player click now (it is their turn).
    pub clickable: Vec<usize>,
    /// `#game-result`: empty until the game is over.
    pub result: String,
    /// `#my-seat`: "X", "O" or "spectator".
    pub seat: String,
}

impl GameView {
    pub fn over(&self) -> bool {
        !self.result.is_empty()
    }

    /// The board as "XO.|...|..." rows, for messages.
    pub fn rows(&self) -> String {
        board_rows(&self.board)
    }
}

pub fn board_rows(board: &Board) -> String {
    board
        .chunks(3)
        .map(|r| r.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("|")
}

/// One browser with the web client loaded.
pub struct Page {
    pub b: Browser,
    /// The player's name once logged in.
    pub name: String,
}

impl Page {
    /// Starts a browser and opens the web client at `url`; waits until it
    /// has connected and shows the login form.
    pub fn open(label: &str, url: &str) -> Page {
        let b = Browser::start(label);
        b.goto(url);
        b.wait_script(
            "the web client to connect",
            "return document.body && document.body.dataset.connection === 'open' \
             && document.body.dataset.view === 'login';",
            &[],
        );
        Page {
            b,
            name: String::new(),
        }
    }

    /// Logs in as `kind` (guest|normal|first) and waits for the lobby.
    pub fn login(&mut self, kind: &str, name: &str, password: &str) {
        let b = &self.b;
        b.select("#login-type", kind);
        b.fill("#login-name", name);
        if kind != "guest" {
            b.fill("#login-password", password);
        }
        b.click("#login-submit");
        b.wait_view("lobby");
        self.name = name.to_string();
    }

    /// Logs in as a guest with the keyboard alone: the name, then Enter.
    pub fn login_guest_by_keyboard(&mut self, name: &str) {
        self.b.fill(
            "#login-name",
            &format!("{name}{}", crate::browser::keys::ENTER),
        );
        self.b.wait_view("lobby");
        self.name = name.to_string();
    }

    pub fn login_guest(&mut self, name: &str) {
        self.login("guest", name, "");
    }

    /// Registers a new account (LOGIN TYPE='first') with `password`.
    pub fn register(&mut self, name: &str, password: &str) {
        self.login("first", name, password);
    }

    /// Enters the room named `room` from `#rooms` (with the keyboard: focus
    /// and Enter) and waits until `#room-name` says so.
    pub fn enter_room(&self, room: &str) {
        let b = &self.b;
        let script = "for (const li of document.querySelectorAll('#rooms li[data-room-id]')) {\
                        const n = li.querySelector('.room-name');\
                        if (n && n.textContent.trim() === arguments[0]) return li.dataset.roomId;\
                      } return null;";
        let id = b.wait_script(&format!("room {room:?} in #rooms"), script, &[json!(room)]);
        let id = id.as_str().unwrap_or_default().to_string();
        let css = format!("#rooms li[data-room-id={}]", css_string(&id));
        b.type_keys(&css, crate::browser::keys::ENTER);
        b.wait_text("#room-name", &format!("to be {room:?}"), |t| t == room);
        // The player list is emptied on the way in: once it names us, the
        // new room's list has arrived.
        self.wait_player(&self.name);
    }

    /// Waits until `#rooms` shows `count` players in the room named `room`.
    pub fn wait_room_count(&self, room: &str, count: u32) {
        let script = "for (const li of document.querySelectorAll('#rooms li[data-room-id]')) {\
                        const n = li.querySelector('.room-name');\
                        const c = li.querySelector('.room-count');\
                        if (n && c && n.textContent.trim() === arguments[0]) \
                          return c.textContent.trim() === arguments[1];\
                      } return false;";
        self.b.wait_script(
            &format!("{count} players in {room:?} on {}'s page", self.name),
            script,
            &[json!(room), json!(count.to_string())],
        );
    }

    /// Launches a table: `seats[i]` is (open|bot|reserved, name) for seat i
    /// (a bot's name picks the bot). Waits until this player is at it.
    pub fn launch(&self, desc: &str, seats: &[(&str, &str)]) {
        let b = &self.b;
        b.wait_script(
            "the launch form",
            "const f = document.querySelector('#launch-form'); return f && !f.hidden;",
            &[],
        );
        b.fill("#launch-desc", desc);
        for (i, (kind, name)) in seats.iter().enumerate() {
            b.select(&format!("#launch-seat-{i}"), kind);
            b.fill(&format!("#launch-seat-{i}-name"), name);
        }
        b.click("#launch-submit");
        b.wait_view("game");
    }

    /// The id of the first table whose seats satisfy `pred` (a JS
    /// expression over `seats`, an array of {kind, name}), waiting for it.
    pub fn wait_table(&self, what: &str, pred_js: &str) -> String {
        let script = format!(
            "for (const li of document.querySelectorAll('#tables li[data-table-id]')) {{\
               const seats = Array.from(li.querySelectorAll('.seat')).map(s => \
                 ({{kind: s.dataset.kind, name: s.textContent.trim(), num: Number(s.dataset.seat)}}));\
               if ({pred_js}) return li.dataset.tableId;\
             }} return null;"
        );
        let id = self.b.wait_script(&format!("a table {what}"), &script, &[]);
        id.as_str().unwrap_or_default().to_string()
    }

    /// Clicks `.join-table` (or `.spectate-table`) of table `id` once it is
    /// enabled, and waits for the game view.
    pub fn join_table(&self, id: &str, spectator: bool) {
        let button = if spectator {
            ".spectate-table"
        } else {
            ".join-table"
        };
        let css = format!("#tables li[data-table-id={}] {button}", css_string(id));
        self.b.wait_script(
            &format!("{css} to be enabled"),
            "const e = document.querySelector(arguments[0]); return e && !e.disabled;",
            &[json!(css)],
        );
        self.b.click(&css);
        self.b.wait_view("game");
    }

    /// What the game section shows now.
    pub fn try_game(&self) -> WdResult<GameView> {
        let v = self.b.try_exec(
            "const cells = Array.from(document.querySelectorAll('#board button.cell'))\
               .sort((a, b) => Number(a.dataset.cell) - Number(b.dataset.cell));\
             const text = (s) => { const e = document.querySelector(s); \
               return e ? e.textContent.trim() : ''; };\
             return { cells: cells.map(c => c.textContent.trim()),\
                      clickable: cells.filter(c => !c.disabled && c.offsetParent !== null)\
                        .map(c => Number(c.dataset.cell)),\
                      result: text('#game-result'), seat: text('#my-seat') };",
            &[],
        )?;
        let mut board = ['.'; 9];
        if let Some(cells) = v.get("cells").and_then(Value::as_array) {
            for (i, c) in cells.iter().take(9).enumerate() {
                board[i] = match c.as_str() {
                    Some("X") => 'X',
                    Some("O") => 'O',
                    _ => '.',
                };
            }
        }
        let clickable = v
            .get("clickable")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .map(|n| n as usize)
                    .collect()
            })
            .unwrap_or_default();
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Ok(GameView {
            board,
            clickable,
            result: text("result"),
            seat: text("seat"),
        })
    }

    /// Waits until the game view satisfies `pred`, and returns it.
    pub fn wait_game(&self, what: &str, pred: impl Fn(&GameView) -> bool) -> GameView {
        self.b
            .wait_for(what, |_| Ok(Some(self.try_game()?).filter(|g| pred(g))))
    }

    /// Waits for this player's turn (or the end); on its turn clicks the
    /// square `choose` picks and waits until the page shows the mark.
    /// Returns `false` once the game is over.
    pub fn take_turn(&self, choose: impl Fn(&GameView) -> usize) -> bool {
        self.take_turn_with(choose, false)
    }

    /// `take_turn`, pressing Enter on the focused square instead of
    /// clicking it when `keyboard` is set.
    pub fn take_turn_with(&self, choose: impl Fn(&GameView) -> usize, keyboard: bool) -> bool {
        let view = self.wait_game(&format!("{}'s turn or the end", self.name), |g| {
            g.over() || !g.clickable.is_empty()
        });
        if view.over() {
            return false;
        }
        let mark = view.seat.chars().next().unwrap_or('?');
        let square = choose(&view);
        assert!(
            view.clickable.contains(&square),
            "{} wants square {square}, not clickable on {}",
            self.name,
            view.rows()
        );
        let cell = format!("#board button.cell[data-cell=\"{square}\"]");
        if keyboard {
            self.b.type_keys(&cell, crate::browser::keys::ENTER);
        } else {
            self.b.click(&cell);
        }
        self.wait_game(&format!("{}'s {mark} on square {square}", self.name), |g| {
            g.board[square] == mark || g.over()
        });
        true
    }

    /// Plays with `choose` until the game is over; returns `#game-result`.
    pub fn play_to_end(&self, choose: impl Fn(&GameView) -> usize) -> String {
        while self.take_turn(&choose) {}
        self.wait_game("the result", GameView::over).result
    }

    /// `.stats` of `player` in `#players` ("" while the player has none).
    pub fn stats_of(&self, player: &str) -> WdResult<Option<String>> {
        self.b.text_of(&format!(
            "#players li[data-player={}] .stats",
            css_string(player)
        ))
    }

    /// Waits until `player`'s `.stats` reads `stats`.
    pub fn wait_stats(&self, player: &str, stats: &str) {
        self.b.wait_for(
            &format!("{player}'s stats to read {stats} on {}'s page", self.name),
            |_| Ok((self.stats_of(player)?.as_deref() == Some(stats)).then_some(())),
        );
    }

    /// Waits until `#players` lists `player`.
    pub fn wait_player(&self, player: &str) {
        let css = format!("#players li[data-player={}]", css_string(player));
        self.b.wait_element(&css);
    }

    /// Waits until "Games played" (`#played`) lists a game to replay; the
    /// list is asked for again (`#played-button`) every 2 seconds, since
    /// ggzd records a game on a worker after its report.
    pub fn wait_played_listed(&self, what: &str) {
        let mut asked: Option<std::time::Instant> = None;
        self.b.wait_for(what, |b| {
            if b.try_find("#played li[data-played-id] .replay-game")?
                .is_some()
            {
                return Ok(Some(()));
            }
            if asked.is_none_or(|t| t.elapsed() > std::time::Duration::from_secs(2)) {
                asked = Some(std::time::Instant::now());
                b.click("#played-button");
            }
            Ok(None)
        });
    }

    /// Types `text` into `#chat-input` with `#chat-target` = `target` and
    /// sends it with `#chat-send`.
    pub fn chat(&self, target: &str, text: &str) {
        self.b.select("#chat-target", target);
        self.b.fill("#chat-input", text);
        self.b.click("#chat-send");
    }

    /// Waits for a `.chat-line` of `kind` from `from` containing `text`.
    pub fn wait_chat(&self, kind: &str, from: &str, text: &str) {
        let css = format!(
            "#chat-log .chat-line[data-kind={}][data-from={}]",
            css_string(kind),
            css_string(from)
        );
        self.b.wait_for(
            &format!("a {kind} chat line from {from} with {text:?}"),
            |b| {
                Ok(b.texts_of(&css)?
                    .iter()
                    .any(|t| t.contains(text))
                    .then_some(()))
            },
        );
    }
}

/// A perfect TicTacToe player (full game-tree search; ties go to the
/// lowest square): it never loses, and wins whenever the opponent errs in a
/// way the search can punish.
pub fn best_move(board: &Board, me: char) -> usize {
    let mut b = *board;
    let mut best = (i32::MIN, 9);
    for sq in 0..9 {
        if b[sq] != '.' {
            continue;
        }
        b[sq] = me;
        let score = -negamax(&mut b, other(me), 1);
        b[sq] = '.';
        if score > best.0 {
            best = (score, sq);
        }
    }
    best.1
}

fn other(mark: char) -> char {
    if mark == 'X' { 'O' } else { 'X' }
}

const LINES: [[usize; 3]; 8] = [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
    [0, 3, 6],
    [1, 4, 7],
    [2, 5, 8],
    [0, 4, 8],
    [2, 4, 6],
];

pub fn winner(board: &Board) -> Option<char> {
    LINES
        .iter()
        .find(|l| board[l[0]] != '.' && board[l[0]] == board[l[1]] && board[l[1]] == board[l[2]])
        .map(|l| board[l[0]])
}

/// The score for `to_move`: positive for a win (sooner is better),
/// negative for a loss, 0 for a draw.
fn negamax(board: &mut Board, to_move: char, depth: i32) -> i32 {
    if let Some(w) = winner(board) {
        return if w == to_move { 10 - depth } else { depth - 10 };
    }
    let mut best = None;
    for sq in 0..9 {
        if board[sq] != '.' {
            continue;
        }
        board[sq] = to_move;
        let score = -negamax(board, other(to_move), depth + 1);
        board[sq] = '.';
        best = Some(best.map_or(score, |b: i32| b.max(score)));
    }
    best.unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(s: &str) -> Board {
        let mut b = ['.'; 9];
        for (i, c) in s.chars().filter(|c| *c != '|').enumerate() {
            b[i] = c;
        }
        b
    }

    #[test]
    fn the_search_wins_blocks_and_never_loses_to_itself() {
        assert_eq!(best_move(&board("XX.|OO.|..."), 'X'), 2);
        assert_eq!(best_move(&board("XX.|O..|..."), 'O'), 2);
        // Perfect play against perfect play is a draw.
        let mut b = ['.'; 9];
        let mut mark = 'X';
        while winner(&b).is_none() && b.contains(&'.') {
            b[best_move(&b, mark)] = mark;
            mark = other(mark);
        }
        assert_eq!(winner(&b), None, "{}", board_rows(&b));
    }
}
