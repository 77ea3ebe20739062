// "Games played" and the replay view in the page (docs/replays.md, the
// `replays` extension): the list in #played, and #replay stepping through
// a TicTacToe game move by move. app.js sends the requests and hands us
// the server's answers; everything the server wrote is shown as text.

import * as R from "./replay.js";

const $ = (sel) => document.querySelector(sel);

function el(tag, props = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

const RESULT = { win: "won", loss: "lost", tie: "tied", forfeit: "forfeited", none: "" };

function when(secs) {
  if (!secs) return "";
  try {
    return new Date(secs * 1000).toLocaleString();
  } catch {
    return "";
  }
}

/** Draws #played from a parsed list; `open(id, button)` asks for a replay. */
export function renderPlayed(games, open) {
  const ul = $("#played");
  ul.replaceChildren();
  for (const g of games) {
    const players = g.seats
      .map((s) => s.name + (RESULT[s.result] ? " " + RESULT[s.result] : ""))
      .join(", ");
    const li = el("li", { "data-played-id": g.id, "data-status": g.status });
    li.append(el("span", { class: "played-game" }, g.game));
    li.append(el("span", { class: "played-when" }, when(g.end)));
    li.append(el("span", { class: "played-players" }, players));
    if (g.status && g.status !== "finished") li.append(el("span", { class: "played-status" }, g.status));
    const b = el("button", { type: "button", class: "replay-game secondary", "aria-label": "Replay game " + g.id + " (" + g.game + ")" }, "Replay");
    b.addEventListener("click", () => open(g.id, b));
    const actions = el("div", { class: "table-actions" });
    actions.append(b);
    li.append(actions);
    ul.append(li);
  }
  if (!games.length) ul.append(el("li", { class: "empty" }, "No games played yet."));
}

/**
 * The replay shown in #replay: one game, one position at a time. `show`
 * opens it (focus moves in), `close` hides it (focus goes back to where
 * the replay was asked for).
 */
export class ReplayView {
  constructor() {
    this.replay = null;
    this.frames = [];
    this.k = 0;
    this.returnFocus = null;
  }

  /** Opens a parsed replay (replay.js's parseReplay). */
  show(replay, returnFocus) {
    this.replay = replay;
    this.returnFocus = returnFocus || null;
    const ttt = R.isTicTacToe(replay);
    const race = !ttt && R.isLockstep(replay);
    this.raceNames = [];
    if (ttt) {
      this.frames = R.tictactoeFrames(replay).frames;
    } else if (race) {
      const r = R.raceFrames(replay);
      this.frames = r.frames;
      this.raceNames = r.names;
      this.goal = r.goal;
    } else {
      // Another game's board is not drawn: its events are listed instead.
      this.frames = [{ note: "The start." }].concat(
        replay.events.map((e) => ({ note: "Event " + e.seq + ": " + e.kind + " (" + e.data.length + " bytes)" })),
      );
    }
    this.ttt = ttt;
    this.race = race;
    this.k = 0;
    const box = $("#replay");
    box.hidden = false;
    box.dataset.replayId = replay.id;
    box.dataset.game = replay.game;
    $("#replay-game").textContent = replay.game + " · game " + replay.id + (replay.status && replay.status !== "finished" ? " (" + replay.status + ")" : "");
    $("#replay-players").textContent = replay.seats
      .map((s) => (ttt && s.num < 2 ? ["X", "O"][s.num] + ": " : "") + s.name + (RESULT[s.result] ? " (" + RESULT[s.result] + ")" : ""))
      .join(" · ");
    $("#replay-board").hidden = !ttt;
    $("#replay-race").hidden = !race;
    box.dataset.kind = ttt ? "tictactoe" : race ? "race" : "events";
    const unit = ttt ? "move" : race ? "turn" : "event";
    $("#replay-step-label").textContent = unit[0].toUpperCase() + unit.slice(1);
    $("#replay-prev").setAttribute("aria-label", "Previous " + unit);
    $("#replay-next").setAttribute("aria-label", "Next " + unit);
    this.draw();
    box.focus();
  }

  close() {
    this.replay = null;
    $("#replay").hidden = true;
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && back.isConnected) back.focus();
    else {
      const b = $("#played-button");
      if (b) b.focus();
    }
  }

  step(delta) {
    if (!this.replay) return;
    const k = Math.max(0, Math.min(this.frames.length - 1, this.k + delta));
    if (k === this.k) return;
    this.k = k;
    this.draw();
  }

  /** First (to = 0) or last (to = Infinity) position. */
  jump(to) {
    if (!this.replay) return;
    this.k = Math.max(0, Math.min(this.frames.length - 1, to));
    this.draw();
  }

  draw() {
    const n = this.frames.length - 1;
    const f = this.frames[this.k];
    $("#replay-step").textContent = this.k + "/" + n;
    $("#replay").dataset.step = String(this.k);
    $("#replay-note").textContent = f.note || "";
    const prev = $("#replay-prev");
    const next = $("#replay-next");
    prev.disabled = this.k === 0;
    next.disabled = this.k === n;
    // A button that just went disabled would drop the keyboard focus.
    const active = document.activeElement;
    if (active === prev && prev.disabled) (next.disabled ? $("#replay") : next).focus();
    if (active === next && next.disabled) (prev.disabled ? $("#replay") : prev).focus();
    if (this.race) return this.drawRace(f);
    if (!this.ttt) return;
    document.querySelectorAll("#replay-board .cell").forEach((c) => {
      const q = Number(c.dataset.cell);
      const mark = f.board[q] || "";
      c.textContent = mark;
      c.dataset.mark = mark;
      c.classList.toggle("last", q === f.cell);
      const base = c.getAttribute("aria-label").replace(/, (X|O|empty)( \(last move\))?$/, "");
      c.setAttribute("aria-label", base + ", " + (mark || "empty") + (q === f.cell ? " (last move)" : ""));
    });
  }
}

/** The counters of a race at one step, as the table shows them. */
ReplayView.prototype.drawRace = function drawRace(f) {
  const ul = $("#replay-race");
  ul.replaceChildren();
  f.counters.forEach((c, i) => {
    const li = el("li", { "data-seat": i });
    const name = this.raceNames[i] || "seat " + (i + 1);
    li.append(el("span", { class: "ls-name" }, name));
    const bar = el("progress", { class: "ls-bar", max: this.goal, "aria-label": name + ": " + c + " of " + this.goal });
    bar.value = Math.min(c, this.goal);
    li.append(bar);
    li.append(el("span", { class: "ls-counter" }, String(c)));
    ul.append(li);
  });
};

/** The page's one replay view (app.js fills it from the server's REPLAY). */
export const view = new ReplayView();

/** Wires #replay's controls once. Arrow keys, Home and End step while the
 *  focus is in the replay. */
export function wireReplay(view) {
  $("#replay-prev").addEventListener("click", () => view.step(-1));
  $("#replay-next").addEventListener("click", () => view.step(1));
  $("#replay-close").addEventListener("click", () => view.close());
  $("#replay").addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (ev.key in moves) {
      ev.preventDefault();
      view.step(moves[ev.key]);
    } else if (ev.key === "Home") {
      ev.preventDefault();
      view.jump(0);
    } else if (ev.key === "End") {
      ev.preventDefault();
      view.jump(Infinity);
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      view.close();
    }
  });
}
