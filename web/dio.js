// The TicTacToe game protocol (docs/tictactoe.md): DIO packets over the
// game channel's binary WebSocket messages. Packet = 2-byte big-endian
// size (counting itself), then an i32 opcode and the fields (§1.3).

export const SEAT_TYPES = { 1: "open", 2: "bot", 3: "player", 4: "reserved", 5: "abandoned" };

// Server to client (§2.3).
export const MSG_SEAT = 0;
export const MSG_PLAYERS = 1;
export const MSG_MOVE = 2;
export const MSG_GAMEOVER = 3;
export const REQ_MOVE = 4;
export const RSP_MOVE = 5;
export const SND_SYNC = 6;

// Client to server.
const SND_MOVE = 0;
const REQ_SYNC = 1;

/** Longest packet kept: our server's are all far below it. */
const MAX_PACKET = 4096;

function packet(opcode, fields = []) {
  const size = 2 + 4 + 4 * fields.length;
  const buf = new ArrayBuffer(size);
  const v = new DataView(buf);
  v.setUint16(0, size);
  v.setInt32(2, opcode);
  fields.forEach((f, i) => v.setInt32(6 + 4 * i, f));
  return buf;
}

export function sndMove(square) {
  return packet(SND_MOVE, [square]);
}

export function reqSync() {
  return packet(REQ_SYNC);
}

/** Splits a byte stream into packets, whatever the message boundaries. */
export class PacketReader {
  constructor() {
    this.buf = new Uint8Array(0);
  }

  /** Returns the decoded messages ({op, ...fields}) completed by `bytes`. */
  feed(bytes) {
    const joined = new Uint8Array(this.buf.length + bytes.length);
    joined.set(this.buf);
    joined.set(bytes, this.buf.length);
    const out = [];
    let pos = 0;
    while (joined.length - pos >= 2) {
      const size = (joined[pos] << 8) | joined[pos + 1];
      if (size < 6 || size > MAX_PACKET) throw new Error("bad packet size " + size);
      if (joined.length - pos < size) break;
      out.push(decode(new DataView(joined.buffer, joined.byteOffset + pos + 2, size - 2)));
      pos += size;
    }
    this.buf = joined.slice(pos);
    return out;
  }
}

/** One payload (after the size): opcode and fields; fields beyond the
 *  payload read as missing, as the original readers skip the rest. */
function decode(v) {
  let p = 0;
  const i32 = () => {
    if (p + 4 > v.byteLength) throw new Error("short packet");
    const x = v.getInt32(p);
    p += 4;
    return x;
  };
  const i8 = () => {
    if (p + 1 > v.byteLength) throw new Error("short packet");
    return v.getInt8(p++);
  };
  const str = () => {
    const len = i32();
    if (len < 0 || p + len > v.byteLength) throw new Error("bad string");
    const bytes = new Uint8Array(v.buffer, v.byteOffset + p, len);
    p += len;
    // The length counts a final NUL.
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end >= 0 ? bytes.subarray(0, end) : bytes);
  };
  const op = i32();
  switch (op) {
    case MSG_SEAT:
      return { op, seat: i32() };
    case MSG_PLAYERS: {
      const seats = [];
      for (let s = 0; s < 2; s++) {
        const type = i32();
        seats.push({ type: SEAT_TYPES[type] || "none", name: type === 1 ? "" : str() });
      }
      return { op, seats };
    }
    case MSG_MOVE:
      return { op, seat: i32(), square: i32() };
    case MSG_GAMEOVER:
      return { op, winner: i8() };
    case REQ_MOVE:
      return { op };
    case RSP_MOVE:
      return { op, status: i8() };
    case SND_SYNC: {
      const turn = i8();
      const board = [];
      for (let q = 0; q < 9; q++) board.push(i8());
      return { op, turn, board };
    }
    default:
      return { op: -1 };
  }
}

/**
 * The board as one player (or a spectator) sees it: pure state, changed
 * by the server's messages and by our own moves.
 */
export class Game {
  constructor() {
    this.board = Array(9).fill(-1);
    this.seat = -1; // -1: spectator or not known yet
    this.turn = -1;
    this.myTurn = false;
    this.pending = -1; // a move sent and not yet answered
    this.winner = -1; // 0, 1, 2 (draw) once over
    this.over = false;
    this.players = null;
    this.waiting = false;
  }

  /** Applies a server message; returns false for one we cannot read. */
  apply(m) {
    switch (m.op) {
      case MSG_SEAT:
        this.seat = m.seat;
        return true;
      case MSG_PLAYERS:
        this.players = m.seats;
        // A seat without a player or bot: the game waits (§2.5).
        this.waiting = m.seats.some((x) => x.type !== "player" && x.type !== "bot");
        if (this.waiting) this.myTurn = false;
        return true;
      case MSG_MOVE:
        if (m.square >= 0 && m.square < 9) this.board[m.square] = m.seat;
        this.turn = 1 - m.seat;
        return true;
      case MSG_GAMEOVER:
        this.over = true;
        this.winner = m.winner;
        this.myTurn = false;
        this.turn = -1;
        return true;
      case REQ_MOVE:
        this.waiting = false;
        this.myTurn = true;
        this.turn = this.seat;
        this.over = false;
        return true;
      case RSP_MOVE:
        if (m.status === 0 && this.pending >= 0 && this.seat >= 0) {
          this.board[this.pending] = this.seat;
          this.turn = 1 - this.seat;
        }
        this.pending = -1;
        return true;
      case SND_SYNC:
        this.board = m.board.map((x) => (x === 0 || x === 1 ? x : -1));
        this.turn = m.turn;
        // An empty board with seat 0 on turn is a fresh game (a rematch,
        // docs/tictactoe-rematch.md).
        if (this.board.every((x) => x === -1)) {
          this.over = false;
          this.winner = -1;
        }
        return true;
      default:
        return false;
    }
  }

  /** Our move on `square`, if it may be sent now. */
  move(square) {
    if (!this.myTurn || this.over || this.board[square] !== -1) return false;
    this.myTurn = false;
    this.pending = square;
    return true;
  }
}
