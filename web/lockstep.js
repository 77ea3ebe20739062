// The lockstep relay's game channel (docs/lockstep.md) and its demo game,
// "Race to 100" (docs/lockstep.md §5), for the browser. Pure: bytes in,
// frames and state out, no DOM, so the page and the tests share it.
//
// The engine is a port of games/lockstep/src/demo.rs and must stay
// bit-for-bit equal to it: the relay compares every client's state hash,
// and one differing bit halts the game for everyone (§3.6). The browser
// test `the_js_engine_matches_the_rust_engine` checks the two side by side.

// ---------------------------------------------------------------- wire (§2, §6)

export const SPECTATOR_SEAT = 0xff;

/** WELCOME's version byte this page reads (§6.1); another version's
 *  frames are laid out differently, so its relay is refused. */
export const PROTOCOL_VERSION = 2;

/** Client frame types. */
export const TO = { SETUP: 0x01, READY: 0x02, COMMAND: 0x03, HASH: 0x04, OUTCOME: 0x05 };

/** Relay frame types. */
export const FROM = {
  WELCOME: 0x81,
  SEATS: 0x82,
  SETUP_STATE: 0x83,
  START: 0x84,
  MASTER: 0x85,
  CAUGHT_UP: 0x86,
  PAUSED: 0x87,
  RESUMED: 0x88,
  DESYNC: 0x89,
  GAME_OVER: 0x8a,
  ERROR: 0x8f,
};

export const SEAT_STATUS = ["empty", "present", "ready", "absent"];
export const PHASES = ["setup", "running", "over"];

/** Refusal codes (§3.9), for messages. */
export const ERROR_NAMES = {
  1: "bad frame",
  2: "wrong phase",
  3: "stale turn",
  4: "future turn",
  5: "duplicate",
  6: "too large",
  7: "bad value",
  8: "log overflow",
  9: "seat locked",
  10: "spectators only watch",
  11: "setup full",
  12: "dropped",
};

/** Largest relay frame we hold: a catch-up is many frames, each small;
 *  this only bounds one frame (the Rust view uses the same figure). */
export const MAX_FRAME = 1 << 24;

function frame(type, body) {
  const out = new Uint8Array(5 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 1 + body.length);
  out[4] = type;
  out.set(body, 5);
  return out;
}

function u32(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const encode = {
  setup: (bytes) => frame(TO.SETUP, bytes),
  ready: (yes) => frame(TO.READY, Uint8Array.of(yes ? 1 : 0)),
  command: (turn, body) => frame(TO.COMMAND, concat(u32(turn), body)),
  hash: (turn, hash) => frame(TO.HASH, concat(u32(turn), hash)),
  outcome: (turn, results) => frame(TO.OUTCOME, concat(u32(turn), Uint8Array.from(results))),
};

/** Splits relay frames off the byte stream, whatever the WebSocket message
 *  boundaries; holds at most one incomplete frame. */
export class Splitter {
  constructor(maxFrame = MAX_FRAME) {
    this.buf = new Uint8Array(0);
    this.maxFrame = maxFrame;
  }

  /** Returns the whole frames ({type, body}) completed by `bytes`; throws
   *  on a length out of range (the channel is then useless). */
  feed(bytes) {
    const joined = this.buf.length ? concat(this.buf, bytes) : Uint8Array.from(bytes);
    const out = [];
    let pos = 0;
    while (joined.length - pos >= 4) {
      const len = new DataView(joined.buffer, joined.byteOffset + pos, 4).getUint32(0);
      if (len === 0 || len > this.maxFrame) throw new Error("frame length " + len + " out of range");
      if (joined.length - pos - 4 < len) break;
      out.push({ type: joined[pos + 4], body: joined.subarray(pos + 5, pos + 4 + len) });
      pos += 4 + len;
    }
    this.buf = joined.slice(pos);
    return out;
  }
}

/** A checked cursor over a frame body, as in wire.rs. */
class Body {
  constructor(bytes) {
    this.b = bytes;
    this.p = 0;
  }
  take(n) {
    if (this.p + n > this.b.length) throw new Error("short frame body");
    const s = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return s;
  }
  u8() {
    return this.take(1)[0];
  }
  u16() {
    const s = this.take(2);
    return (s[0] << 8) | s[1];
  }
  u32() {
    const s = this.take(4);
    return ((s[0] << 24) | (s[1] << 16) | (s[2] << 8) | s[3]) >>> 0;
  }
  /** A u64 as a Number: exact up to 2^53 (285 years of microseconds). */
  u64() {
    const hi = this.u32();
    return hi * 0x100000000 + this.u32();
  }
  rest() {
    return this.take(this.b.length - this.p);
  }
  end() {
    if (this.p !== this.b.length) throw new Error("bytes left over in a frame");
  }
}

const text = (bytes) => new TextDecoder().decode(bytes);

/** One relay frame → a message object ({kind, ...}); throws on a frame
 *  that does not follow §6. */
export function decode(type, body) {
  const b = new Body(body);
  let m;
  switch (type) {
    case FROM.WELCOME: {
      m = {
        kind: "welcome",
        version: b.u8(),
        seat: b.u8(),
        seats: b.u8(),
        minPlayers: b.u8(),
        turnMs: b.u32(),
        maxCommand: b.u32(),
        hashLen: b.u8(),
        maxLag: b.u16(),
      };
      const phase = b.u8();
      if (phase > 2) throw new Error("bad phase");
      m.phase = PHASES[phase];
      break;
    }
    case FROM.SEATS: {
      const n = b.u8();
      const seats = [];
      for (let i = 0; i < n; i++) {
        const status = b.u8();
        if (status > 3) throw new Error("bad seat status");
        const len = b.u8();
        seats.push({ status: SEAT_STATUS[status], name: text(b.take(len)) });
      }
      m = { kind: "seats", seats };
      break;
    }
    case FROM.SETUP_STATE: {
      const n = b.u16();
      const entries = [];
      for (let i = 0; i < n; i++) {
        const seat = b.u8();
        const len = b.u16();
        entries.push({ seat, bytes: Uint8Array.from(b.take(len)) });
      }
      m = { kind: "setup", entries };
      break;
    }
    case FROM.START:
      m = { kind: "start", players: b.u32() };
      break;
    case FROM.MASTER: {
      const turn = b.u32();
      const elapsedUs = b.u64();
      const n = b.u8();
      const commands = [];
      for (let i = 0; i < n; i++) {
        const present = b.u8();
        const len = b.u16();
        const bytes = b.take(len);
        if (present === 0 && len === 0) commands.push(null);
        else if (present === 1) commands.push(Uint8Array.from(bytes));
        else throw new Error("bad master entry");
      }
      m = { kind: "master", turn, elapsedUs, commands };
      break;
    }
    case FROM.CAUGHT_UP:
      m = { kind: "caughtUp", nextTurn: b.u32() };
      break;
    case FROM.PAUSED:
      m = { kind: "paused", seats: Array.from(b.rest()) };
      break;
    case FROM.RESUMED:
      m = { kind: "resumed" };
      break;
    case FROM.DESYNC:
      m = { kind: "desync", turn: b.u32(), seats: Array.from(b.rest()) };
      break;
    case FROM.GAME_OVER:
      m = { kind: "gameOver", turn: b.u32(), results: Array.from(b.rest()) };
      break;
    case FROM.ERROR: {
      const code = b.u8();
      if (!ERROR_NAMES[code]) throw new Error("bad error code");
      m = { kind: "error", code, turn: b.u32(), text: text(b.rest()) };
      break;
    }
    default:
      throw new Error("unknown frame type 0x" + type.toString(16));
  }
  b.end();
  return m;
}

// ---------------------------------------------------------------- the race (§5)

/** The counter that ends the race. */
export const GOAL = 100;
export const HASH_LEN = 8;

const MASK64 = (1n << 64n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U32_MAX = 0xffffffff;

function fnv(h, bytes) {
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

function be64(x) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, x & MASK64);
  return b;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The game state: the same fields, in the same order, as demo.rs's Race. */
export class Race {
  /** A race for `seats` seats, seeded by the setup state ([{seat, bytes}]). */
  constructor(seats, setup) {
    let seed = FNV_OFFSET;
    for (const { seat, bytes } of setup) {
      seed = fnv(seed, [seat]);
      seed = fnv(seed, u32(bytes.length));
      seed = fnv(seed, bytes);
    }
    this.counters = Array(seats).fill(0);
    // xorshift must not start at 0.
    this.rng = seed | 1n;
    /** The next turn to apply. */
    this.turn = 0;
    /** {turn, results} once someone reached the goal. */
    this.outcome = null;
  }

  nextRandom() {
    let x = this.rng;
    x ^= (x << 13n) & MASK64;
    x ^= x >> 7n;
    x ^= (x << 17n) & MASK64;
    this.rng = x;
    return x;
  }

  /** Applies one master packet's commands (per seat: bytes or null).
   *  Turns must come in order. */
  apply(turn, commands) {
    if (turn !== this.turn) throw new Error("turn " + turn + " applied, " + this.turn + " expected");
    commands.forEach((cmd, seat) => {
      const first = cmd && cmd.length ? cmd[0] : 0;
      const step = first >= 1 && first <= 3 ? first : 0;
      if (seat < this.counters.length) this.counters[seat] = Math.min(U32_MAX, this.counters[seat] + step);
    });
    const n = BigInt(Math.max(this.counters.length, 1));
    const r = this.nextRandom();
    const lucky = Number(r % n);
    const bonus = Number((r >> 32n) % 3n);
    if (lucky < this.counters.length) this.counters[lucky] = Math.min(U32_MAX, this.counters[lucky] + bonus);
    if (!this.outcome) {
      const best = Math.max(0, ...this.counters);
      if (best >= GOAL) {
        const winners = this.counters.filter((c) => c === best).length;
        // ggzdmod's codes: 0 win, 1 loss, 2 tie.
        const results = this.counters.map((c) => (c === best ? (winners === 1 ? 0 : 2) : 1));
        this.outcome = { turn, results };
      }
    }
    this.turn = Math.min(U32_MAX, turn + 1);
  }

  /** The state hash after the last applied turn (8 bytes). */
  hash() {
    let h = fnv(FNV_OFFSET, u32(this.turn));
    for (const c of this.counters) h = fnv(h, u32(c));
    h = fnv(h, be64(this.rng));
    return be64(h);
  }
}

// ---------------------------------------------------------------- the client (demo.rs's DemoClient)

/**
 * A player (or spectator) of a race table: follows the relay's frames,
 * runs the engine, and says what to send back — the hash after every live
 * turn, the hash of the last replayed turn after a catch-up (§3.10), the
 * outcome once the engine has one, and the command for the next turn.
 */
export class RaceClient {
  constructor() {
    this.splitter = new Splitter();
    this.seat = null; // null: spectator, or before WELCOME
    this.seats = 0;
    this.welcome = null;
    this.phase = "setup"; // setup | running | over | desync
    this.seatList = [];
    this.setup = [];
    this.race = null;
    this.catchingUp = false;
    this.caughtUp = null; // {turn, hash}: the hash sent after the last catch-up
    this.paused = null; // seats waited for, or null
    this.over = false;
    this.desync = null; // {turn, seats}
    this.gameOver = null; // {turn, results}
    this.error = null; // the relay's last refusal {code, turn, text}
    this.lastHash = null; // {turn, hex}: the latest state hash
    this.hashes = []; // recent {turn, hex}, newest last (bounded)
    this.outcomeSent = false;
    this.step = 1;
    this.ready = false;
    /** Corrupts our hashes from this turn on (tests of desync handling). */
    this.corruptFrom = null;
  }

  isPlayer() {
    return this.seat !== null;
  }

  hashOf(turn) {
    const h = this.race.hash();
    if (this.corruptFrom !== null && turn >= this.corruptFrom) h[0] ^= 0xff;
    return h;
  }

  noteHash(turn, hash) {
    this.lastHash = { turn, hex: hex(hash) };
    this.hashes.push(this.lastHash);
    if (this.hashes.length > 256) this.hashes.shift();
  }

  /** Bytes from the channel → {frames: [decoded messages], send: [Uint8Array]}. */
  feed(bytes) {
    const frames = [];
    const send = [];
    for (const f of this.splitter.feed(bytes)) {
      const m = decode(f.type, f.body);
      frames.push(m);
      send.push(...this.onFrame(m));
      if ((m.kind === "master" || m.kind === "caughtUp") && this.commandDue()) {
        send.push(encode.command(this.race.turn, Uint8Array.of(this.step)));
      }
    }
    return { frames, send };
  }

  commandDue() {
    return !!this.race && this.isPlayer() && !this.over && !this.catchingUp;
  }

  /** One decoded frame; returns the frames to send back. */
  onFrame(m) {
    const replies = [];
    switch (m.kind) {
      case "welcome":
        if (m.version !== PROTOCOL_VERSION) {
          throw new Error("the relay speaks lockstep protocol version " + m.version + ", this page " + PROTOCOL_VERSION);
        }
        this.welcome = m;
        this.seat = m.seat === SPECTATOR_SEAT ? null : m.seat;
        this.seats = m.seats;
        this.race = null;
        this.outcomeSent = false;
        this.phase = m.phase;
        break;
      case "seats":
        this.seatList = m.seats;
        if (this.seat !== null && this.seatList[this.seat]) this.ready = this.seatList[this.seat].status === "ready";
        break;
      case "setup":
        this.setup = m.entries;
        break;
      case "start":
        this.race = new Race(this.seats, this.setup);
        this.phase = "running";
        // A catch-up's START is followed by the log, a live one by
        // CAUGHT_UP at once: either way no hash is due before CAUGHT_UP.
        this.catchingUp = true;
        break;
      case "master": {
        if (!this.race) throw new Error("turn " + m.turn + " before START");
        this.race.apply(m.turn, m.commands);
        if (!this.catchingUp && this.isPlayer()) {
          const h = this.hashOf(m.turn);
          this.noteHash(m.turn, h);
          replies.push(encode.hash(m.turn, h));
        } else if (!this.catchingUp) {
          this.noteHash(m.turn, this.race.hash());
        }
        break;
      }
      case "caughtUp":
        this.catchingUp = false;
        if (this.race && m.nextTurn > 0) {
          const h = this.isPlayer() ? this.hashOf(m.nextTurn - 1) : this.race.hash();
          this.noteHash(m.nextTurn - 1, h);
          this.caughtUp = { turn: m.nextTurn - 1, hex: hex(h) };
          if (this.isPlayer()) replies.push(encode.hash(m.nextTurn - 1, h));
        }
        break;
      case "paused":
        this.paused = m.seats;
        break;
      case "resumed":
        this.paused = null;
        break;
      case "desync":
        this.over = true;
        this.phase = "desync";
        this.desync = { turn: m.turn, seats: m.seats };
        break;
      case "gameOver":
        this.over = true;
        this.phase = "over";
        this.gameOver = { turn: m.turn, results: m.results };
        break;
      case "error":
        this.error = m;
        break;
      default:
        break;
    }
    if (!this.catchingUp && !this.outcomeSent && this.isPlayer() && this.race && this.race.outcome) {
      this.outcomeSent = true;
      replies.push(encode.outcome(this.race.outcome.turn, this.race.outcome.results));
    }
    return replies;
  }
}

/** The JS engine over a scripted game, for the cross-check against the
 *  Rust engine: `steps[t][seat]` is the first command byte (or null for
 *  an absent seat); returns the hex hash after each turn. */
export function scriptedHashes(seats, setup, steps) {
  const race = new Race(
    seats,
    setup.map(([seat, s]) => ({ seat, bytes: new TextEncoder().encode(s) })),
  );
  const out = [];
  steps.forEach((row, t) => {
    race.apply(
      t,
      row.map((b) => (b === null ? null : Uint8Array.of(b))),
    );
    out.push(hex(race.hash()));
  });
  return { hashes: out, counters: race.counters, outcome: race.outcome };
}
