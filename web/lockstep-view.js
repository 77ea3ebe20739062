// The lockstep table in the page: "Race to 100" (docs/lockstep.md §5) over
// the game channel. The page (app.js) hands us the channel's bytes and a
// way to send; the client in lockstep.js runs the engine and answers the
// relay, this module draws it into #lockstep and takes the player's input
// (ready, setup messages, the step). Relay text is shown with textContent.

import * as L from "./lockstep.js";

/** The protocol engine name of lockstep games (a description's
 *  `[protocol] engine`). */
export const ENGINE = "lockstep";

export function speaks(engine) {
  return String(engine || "").toLowerCase() === ENGINE;
}

const $ = (sel) => document.querySelector(sel);
const MAX_SETUP = 1024;
/** Hashes listed in #ls-hashes (the client keeps 256). */
const SHOWN_HASHES = 64;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const SEAT_WORD = { empty: "empty", present: "here", ready: "ready", absent: "away" };
const STEP_KEY = "ggzd.lockstep.step";

/** The step the player last picked in this tab: a reload keeps it. */
function savedStep() {
  try {
    const n = Number(sessionStorage.getItem(STEP_KEY));
    return Number.isInteger(n) && n >= 0 && n <= 3 && sessionStorage.getItem(STEP_KEY) !== null ? n : 1;
  } catch {
    return 1;
  }
}

const RESULT_WORD = { 0: "wins", 1: "loses", 2: "draws", 3: "forfeits", 4: "—" };

/**
 * One lockstep table as the page holds it (the counterpart of dio.js's
 * Game for TicTacToe): `feed` takes channel bytes, `render` draws.
 */
export class LockstepGame {
  /** `send(bytes)` writes to the game channel. */
  constructor(send) {
    this.kind = "lockstep";
    this.send = send;
    this.client = new L.RaceClient();
    this.client.step = savedStep();
    this.message = "";
    this.shownHashes = -1;
  }

  /** Channel bytes; throws when the relay's stream cannot be read. */
  feed(bytes) {
    const { frames, send } = this.client.feed(bytes);
    for (const b of send) this.send(b);
    for (const m of frames) this.note(m);
  }

  name(seat) {
    const s = this.client.seatList[seat];
    return s && s.name ? s.name : "seat " + (seat + 1);
  }

  names(seats) {
    return seats.map((s) => this.name(s)).join(", ");
  }

  /** A line for #ls-message from a frame that says something. */
  note(m) {
    switch (m.kind) {
      case "paused":
        this.message = "Paused: waiting for " + this.names(m.seats) + ".";
        break;
      case "resumed":
        this.message = "Resumed.";
        break;
      case "caughtUp":
        this.message = m.nextTurn > 0 ? "Caught up at turn " + m.nextTurn + "." : "The race starts!";
        break;
      case "desync":
      case "gameOver":
        // #game-result says it (result()), once.
        this.message = "";
        break;
      case "error":
        this.message = "Refused (" + (L.ERROR_NAMES[m.code] || m.code) + "): " + m.text;
        break;
      default:
        break;
    }
  }

  /** The table ended and the channel closed without GAME_OVER or DESYNC
   *  having arrived: nothing more will come, so the page's own engine
   *  (hash-checked turn by turn) says how the race ended. */
  settle() {
    const c = this.client;
    if (c.over) return;
    c.over = true;
    c.phase = "over";
    c.unconfirmed = true;
    if (c.race && c.race.outcome) c.gameOver = { turn: c.race.outcome.turn, results: c.race.outcome.results };
    this.message = "";
  }

  // ---- input

  setStep(step) {
    if (!(step >= 0 && step <= 3)) return;
    this.client.step = step;
    try {
      sessionStorage.setItem(STEP_KEY, String(step));
    } catch {
      /* storage may be off; the step still counts */
    }
  }

  toggleReady() {
    const c = this.client;
    if (!c.isPlayer() || c.phase !== "setup") return;
    this.send(L.encode.ready(!c.ready));
  }

  /** Sends a setup message; returns an error text or "". */
  addSetup(text) {
    const c = this.client;
    if (!c.isPlayer() || c.phase !== "setup") return "Setup is over.";
    const bytes = new TextEncoder().encode(text);
    if (!bytes.length) return "";
    if (bytes.length > MAX_SETUP) return "At most " + MAX_SETUP + " bytes.";
    this.send(L.encode.setup(bytes));
    return "";
  }

  // ---- drawing

  /** Draws #lockstep; returns the texts of the contract's #my-seat,
   *  #game-status and #game-result. */
  render() {
    const c = this.client;
    const root = $("#lockstep");
    const race = c.race;
    root.dataset.phase = c.phase;
    root.dataset.turn = race ? String(race.turn) : "0";
    root.dataset.paused = String(!!c.paused);
    root.dataset.catchingUp = String(c.catchingUp);
    root.dataset.seat = c.seat === null ? "spectator" : String(c.seat);
    root.dataset.confirmed = String(!c.unconfirmed);
    if (c.caughtUp) {
      root.dataset.caughtUpTurn = String(c.caughtUp.turn);
      root.dataset.caughtUpHash = c.caughtUp.hex;
    }

    const ul = $("#ls-seats");
    ul.replaceChildren();
    const count = Math.max(c.seatList.length, race ? race.counters.length : 0);
    for (let i = 0; i < count; i++) {
      const s = c.seatList[i] || { status: "empty", name: "" };
      const counter = race ? race.counters[i] || 0 : 0;
      const li = el("li", i === c.seat ? "me" : "");
      li.dataset.seat = String(i);
      li.dataset.status = s.status;
      li.append(el("span", "ls-name", this.name(i) + (i === c.seat ? " (you)" : "")));
      li.append(el("span", "ls-state", SEAT_WORD[s.status] || s.status));
      const bar = el("progress", "ls-bar");
      bar.max = L.GOAL;
      bar.value = Math.min(counter, L.GOAL);
      bar.setAttribute("aria-label", this.name(i) + ": " + counter + " of " + L.GOAL);
      li.append(bar);
      li.append(el("span", "ls-counter", String(counter)));
      ul.append(li);
    }

    $("#ls-turn").textContent = race ? "Turn " + race.turn + " · first to " + L.GOAL + " wins" : "";
    const player = c.isPlayer();
    $("#ls-setup").hidden = !(c.phase === "setup" && c.welcome);
    $("#ls-setup-form").hidden = !player;
    const ready = $("#ls-ready");
    ready.hidden = !player;
    ready.setAttribute("aria-pressed", String(c.ready));
    ready.textContent = c.ready ? "Not ready yet" : "Ready";
    const list = $("#ls-setup-list");
    list.replaceChildren();
    for (const e of c.setup) {
      list.append(el("li", "", this.name(e.seat) + ": " + new TextDecoder().decode(e.bytes)));
    }
    // The step may be picked before the start: it counts from turn 0.
    $("#ls-steps").hidden = !(player && c.welcome && (c.phase === "setup" || c.phase === "running"));
    document.querySelectorAll("#ls-steps .ls-step").forEach((b) => {
      b.setAttribute("aria-pressed", String(Number(b.dataset.step) === c.step));
    });
    $("#ls-message").textContent = this.message;
    $("#ls-hash").textContent = c.lastHash ? c.lastHash.hex : "";
    const hashes = $("#ls-hashes");
    const newest = c.hashes.length ? c.hashes[c.hashes.length - 1].turn : -1;
    if (newest !== this.shownHashes) {
      this.shownHashes = newest;
      hashes.replaceChildren();
      for (const h of c.hashes.slice(-SHOWN_HASHES).reverse()) {
        const li = el("li", "", "turn " + h.turn + ": " + h.hex);
        li.dataset.turn = String(h.turn);
        li.dataset.hash = h.hex;
        hashes.append(li);
      }
    }

    return {
      seat: player ? this.name(c.seat) : "spectator",
      status: this.status(),
      result: this.result(),
    };
  }

  status() {
    const c = this.client;
    if (!c.welcome) return "Connecting to the table…";
    switch (c.phase) {
      case "setup": {
        const seated = c.seatList.filter((s) => s.status !== "empty");
        const ready = c.seatList.filter((s) => s.status === "ready").length;
        if (c.seats && seated.length < (c.welcome.minPlayers || 2)) return "Waiting for players";
        return "Setup: " + ready + " of " + seated.length + " ready";
      }
      case "running":
        if (c.catchingUp) return "Catching up…";
        if (c.paused) return "Paused: waiting for " + this.names(c.paused);
        return c.isPlayer() ? "Racing: step " + c.step + " each turn" : "Watching the race";
      case "desync":
        return "Halted";
      default:
        return "Game over";
    }
  }

  result() {
    const r = this.outcomeText();
    return r && this.client.unconfirmed ? r + " (as this page counted; the relay's last word did not arrive)" : r;
  }

  outcomeText() {
    const c = this.client;
    if (c.desync) {
      return "Desync at turn " + c.desync.turn + " (" + this.names(c.desync.seats) + "): the game was halted; no result counts.";
    }
    if (!c.gameOver) return "";
    const r = c.gameOver.results;
    if (c.isPlayer()) {
      const mine = r[c.seat];
      if (mine === 0) return "You win!";
      if (mine === 2) return "It's a draw.";
      if (mine === 1) return "You lose.";
    }
    const winners = r.map((x, i) => (x === 0 ? i : -1)).filter((i) => i >= 0);
    if (winners.length === 1) return this.name(winners[0]) + " wins.";
    if (r.some((x) => x === 2)) return "It's a draw.";
    return r.map((x, i) => this.name(i) + " " + (RESULT_WORD[x] || "?")).join(", ") + ".";
  }
}

/** Wires #lockstep's controls once; `current()` is the LockstepGame shown
 *  (or null), `rerender()` redraws the game section. */
export function wireLockstep(current, rerender) {
  $("#ls-ready").addEventListener("click", () => {
    const g = current();
    if (g) g.toggleReady();
  });
  $("#ls-setup-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const g = current();
    if (!g) return;
    const input = $("#ls-setup-input");
    const err = g.addSetup(input.value);
    $("#ls-setup-error").textContent = err;
    if (!err) input.value = "";
  });
  const pick = (step) => {
    const g = current();
    if (!g) return;
    g.setStep(step);
    rerender();
  };
  $("#ls-steps").addEventListener("click", (ev) => {
    const b = ev.target.closest("button.ls-step");
    if (b) pick(Number(b.dataset.step));
  });
  // Digits pick the step from anywhere in the game section, so the race
  // is playable from the keyboard without hunting for the buttons.
  $("#game").addEventListener("keydown", (ev) => {
    if (!current() || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.target.closest("input, textarea, select")) return;
    if (/^[0-3]$/.test(ev.key)) {
      ev.preventDefault();
      pick(Number(ev.key));
    }
  });
}
