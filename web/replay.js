// Games played and their replays (the `replays` extension, docs/replays.md):
// the server's LIST TYPE='played' and REPLAY elements read into plain
// objects, and a TicTacToe game rebuilt move by move from its events
// (kinds `seat`, `start`, `move`, `over`; docs/event-log.md §6), or a
// "Race to 100" game turn by turn from its relay's log (§7). Pure: no DOM
// beyond reading the elements DOMParser made.

import * as P from "./proto.js";
import * as L from "./lockstep.js";

/** Events read from one REPLAY at most (the server caps them too). */
export const MAX_EVENTS = 10000;

function seatsOf(e) {
  return P.children(e, "SEAT")
    .map((s) => ({
      num: P.intAttr(s, "NUM"),
      name: P.attr(s, "NAME"),
      type: P.attr(s, "TYPE"),
      result: P.attr(s, "RESULT", "none"),
    }))
    .filter((s) => s.num >= 0 && s.num < 64)
    .sort((a, b) => a.num - b.num);
}

/** `<LIST TYPE='played'>` → [{id, game, end, status, events, seats}]. */
export function parsePlayed(list) {
  return P.children(list, "PLAYED").map((p) => ({
    id: P.attr(p, "ID"),
    game: P.attr(p, "GAME"),
    end: P.intAttr(p, "END", 0),
    status: P.attr(p, "STATUS"),
    events: P.intAttr(p, "EVENTS", 0),
    seats: seatsOf(p),
  }));
}

/** Lower-case hex (or "-", or nothing: no bytes) → bytes; null if bad. */
export function unhex(text) {
  const t = String(text || "").trim();
  if (t === "" || t === "-") return new Uint8Array(0);
  if (t.length % 2 || !/^[0-9a-fA-F]+$/.test(t)) return null;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `<REPLAY>` → {id, game, status, seats, events: [{seq, time, kind, data}]};
 *  events whose data is not hex are dropped and counted in `bad`. */
export function parseReplay(r) {
  const events = [];
  let bad = 0;
  for (const e of P.children(r, "EVENT").slice(0, MAX_EVENTS)) {
    const data = unhex(P.attr(e, "DATA"));
    if (data === null) {
      bad += 1;
      continue;
    }
    events.push({ seq: P.intAttr(e, "SEQ", 0), time: P.intAttr(e, "TIME", 0), kind: P.attr(e, "KIND"), data });
  }
  return {
    id: P.attr(r, "ID"),
    game: P.attr(r, "GAME"),
    status: P.attr(r, "STATUS"),
    seats: seatsOf(r),
    events,
    bad,
  };
}

/** Whether the replay view can draw this game's board. */
export function isTicTacToe(replay) {
  return /^tic-?tac-?toe$/i.test(replay.game.replace(/\s+/g, "")) ||
    replay.events.some((e) => e.kind === "move" && e.data.length === 2);
}

const MARK = ["X", "O"];

/**
 * The positions of a TicTacToe game: `frames[k]` is the board after k
 * moves (frames[0] is the empty board), so a view steps k = 0..n. Each
 * frame: {board: 9 × ("X"|"O"|""), seat, cell, note}. The names come from
 * the `seat` events, else the REPLAY's seats.
 */
export function tictactoeFrames(replay) {
  const names = ["", ""];
  for (const s of replay.seats) if (s.num === 0 || s.num === 1) names[s.num] = s.name;
  let board = Array(9).fill("");
  const who = (seat) => MARK[seat] + (names[seat] ? " (" + names[seat] + ")" : "");
  const frames = [{ board: board.slice(), seat: -1, cell: -1, note: "" }];
  let end = "";
  for (const e of replay.events) {
    switch (e.kind) {
      case "seat":
        if (e.data.length >= 1 && e.data[0] < 2) {
          const name = new TextDecoder().decode(e.data.subarray(1));
          if (name) names[e.data[0]] = name;
        }
        break;
      case "start":
        // One log per game; a second start would begin a new board.
        if (frames.length > 1) {
          board = Array(9).fill("");
        }
        break;
      case "move": {
        const [seat, cell] = e.data;
        if (e.data.length !== 2 || seat > 1 || cell > 8) break;
        board[cell] = MARK[seat];
        const row = Math.floor(cell / 3) + 1;
        const col = (cell % 3) + 1;
        frames.push({
          board: board.slice(),
          seat,
          cell,
          note: who(seat) + " takes row " + row + ", column " + col + ".",
        });
        break;
      }
      case "over":
        if (e.data.length >= 1) end = e.data[0] === 2 ? "It's a draw." : e.data[0] < 2 ? who(e.data[0]) + " wins." : "";
        break;
      default:
        break;
    }
  }
  frames[0].note = "The start: " + who(0) + " against " + who(1) + ".";
  if (end) frames[frames.length - 1].note += " " + end;
  return { frames, names, end };
}

/** Whether this is a lockstep relay's log (docs/event-log.md §7). */
export function isLockstep(replay) {
  return replay.events.some((e) => e.kind === "turn") && replay.events.some((e) => e.kind === "setup");
}

/**
 * The positions of a "Race to 100" game (docs/lockstep.md §5) replayed
 * from its relay's log: the `setup` event seeds the engine, each `turn`
 * (a MASTER frame as sent) is applied. `frames[k]` after k turns:
 * {counters, turn, note}. A log the engine cannot follow stops the
 * replay there, with a note saying so. So does a log of another protocol
 * version (its `version` event; a log without one is version 1, whose
 * master packets are laid out differently): none of its turns is read.
 */
export function raceFrames(replay) {
  const names = [];
  for (const s of replay.seats) names[s.num] = s.name;
  const name = (i) => names[i] || "seat " + (i + 1);
  const tag = replay.events.find((e) => e.kind === "version");
  const version = tag ? (tag.data.length === 1 ? tag.data[0] : -1) : 1;
  if (version !== L.PROTOCOL_VERSION) {
    const which = version < 0 ? "an unreadable protocol version" : "lockstep protocol version " + version;
    const note = "This game was recorded with " + which + "; this page replays version " + L.PROTOCOL_VERSION + " only.";
    return {
      frames: [{ counters: Array.from(names, () => 0), turn: 0, note }],
      names: Array.from(names, (_, i) => name(i)),
      goal: L.GOAL,
    };
  }
  const one = (bytes) => {
    const fs = new L.Splitter().feed(bytes);
    if (fs.length !== 1) throw new Error("not one frame");
    return L.decode(fs[0].type, fs[0].body);
  };
  let setup = [];
  let race = null;
  const frames = [];
  const line = (counters) => counters.map((c, i) => name(i) + " " + c).join(", ");
  let broken = "";
  for (const e of replay.events) {
    try {
      if (e.kind === "setup") {
        const m = one(e.data);
        if (m.kind !== "setup") throw new Error("the setup event is not a setup state");
        setup = m.entries;
      } else if (e.kind === "turn") {
        const m = one(e.data);
        if (m.kind !== "master") throw new Error("a turn event is not a master packet");
        if (!race) {
          const seats = Math.max(m.commands.length, names.length);
          race = new L.Race(seats, setup);
          frames.push({ counters: race.counters.slice(), turn: 0, note: "The start: " + line(race.counters) + "." });
        }
        race.apply(m.turn, m.commands);
        const steps = m.commands.map((c, i) => (c === null ? name(i) + " away" : null)).filter(Boolean);
        frames.push({
          counters: race.counters.slice(),
          turn: m.turn,
          note: "Turn " + m.turn + ": " + line(race.counters) + (steps.length ? " (" + steps.join(", ") + ")" : "") + ".",
        });
      }
    } catch (err) {
      broken = "The log cannot be replayed past this point (" + err.message + ").";
      break;
    }
  }
  if (!frames.length) frames.push({ counters: names.map(() => 0), turn: 0, note: "No turn was played." });
  const last = frames[frames.length - 1];
  if (race && race.outcome) {
    const r = race.outcome.results;
    const winners = r.map((x, i) => (x === 0 ? i : -1)).filter((i) => i >= 0);
    last.note += winners.length === 1 ? " " + name(winners[0]) + " wins." : " A tie.";
  }
  if (broken) last.note += " " + broken;
  return { frames, names: frames[0].counters.map((_, i) => name(i)), goal: L.GOAL };
}
