// The lobby wire: protocol 10 XML (docs/client-server.md) in WebSocket
// text frames (docs/websocket.md). Requests are built here, always with
// every value escaped (docs/client-server.md §1.1); server frames are read
// here into DOM elements, whose text the page only ever shows as text.

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;" };

/** Escapes text for an attribute value or element text. */
export function esc(value) {
  return String(value).replace(/[&<>'"]/g, (c) => ENTITIES[c]);
}

/** `<NAME A='v' .../>` or `<NAME ...>children</NAME>`; attributes escaped,
 *  children given as already-built XML. Undefined attributes are left out. */
export function el(name, attrs = {}, children = null) {
  let out = "<" + name;
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) out += " " + k + "='" + esc(v) + "'";
  }
  if (children === null) return out + "/>\n";
  return out + ">" + children + "</" + name + ">\n";
}

/** An element holding only escaped text. */
export function textEl(name, attrs, text) {
  return el(name, attrs, esc(text)).replace(/\n$/, "") + "\n";
}

export const HEADER = "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n";

export function login(type, name, password, email) {
  let inner = "\n" + textEl("NAME", {}, name);
  if (type !== "guest" && password) inner += textEl("PASSWORD", {}, password);
  if (type === "first" && email) inner += textEl("EMAIL", {}, email);
  return el("LOGIN", { TYPE: type }, inner);
}

export function chat(type, to, text) {
  return textEl("CHAT", { TYPE: type, TO: to || undefined }, text);
}

/** LAUNCH of `game` with seats [{type:'open'|'bot'|'reserved', name}]. */
export function launch(game, desc, seats) {
  let inner = "\n" + textEl("DESC", {}, desc || "");
  seats.forEach((s, i) => {
    const named = (s.type === "reserved" || s.type === "bot") && s.name;
    inner += named
      ? textEl("SEAT", { NUM: i, TYPE: s.type }, s.name)
      : el("SEAT", { NUM: i, TYPE: s.type });
  });
  return el("LAUNCH", {}, "\n" + el("TABLE", { GAME: game, SEATS: seats.length }, inner));
}

/** A channel's whole session: header, CHANNEL, end (docs/client-server.md §14). */
export function channel(name, token) {
  return HEADER + el("CHANNEL", { ID: name, TOKEN: token || undefined }) + "</SESSION>\n";
}

/**
 * Reads the server's XML stream frame by frame. ggzd sends whole messages
 * per frame, but a frame that does not parse is kept and completed by the
 * next one, so a server that splits messages works too (bounded).
 */
export class StreamReader {
  constructor() {
    this.pending = "";
    this.opened = false;
    this.ended = false;
    this.parser = new DOMParser();
  }

  /** Returns the complete messages (Elements) of this frame, in order. */
  feed(text) {
    let t = this.pending + text;
    if (!this.opened) {
      t = t.replace(/^\s*<\?xml[^>]*\?>/, "");
      const m = /<SESSION\b[^>]*>/.exec(t);
      if (!m) {
        this.pending = t;
        return [];
      }
      t = t.slice(m.index + m[0].length);
      this.opened = true;
    }
    // The stream's end is the last thing the server sends.
    const end = /<\/SESSION>\s*$/.exec(t);
    if (end) t = t.slice(0, end.index);
    const doc = this.parser.parseFromString("<F>" + t + "</F>", "application/xml");
    if (doc.getElementsByTagName("parsererror").length > 0 || !doc.documentElement) {
      if (end) {
        this.ended = true;
        this.pending = "";
        return [];
      }
      this.pending = t.length < 262144 ? t : "";
      return [];
    }
    this.pending = "";
    if (end) this.ended = true;
    return Array.from(doc.documentElement.children);
  }
}

/** Attribute helpers that tolerate a missing attribute. */
export function attr(e, name, dflt = "") {
  const v = e.getAttribute(name);
  return v === null ? dflt : v;
}

export function intAttr(e, name, dflt = -1) {
  const v = e.getAttribute(name);
  if (v === null) return dflt;
  const n = parseInt(v.trim(), v.trim().toLowerCase().startsWith("0x") ? 16 : 10);
  return Number.isNaN(n) ? dflt : n;
}

export function child(e, name) {
  for (const c of e.children) if (c.tagName === name) return c;
  return null;
}

export function children(e, name) {
  return Array.from(e.children).filter((c) => c.tagName === name);
}

/** Number list of ALLOW PLAYERS (docs/client-server.md §1.3) → sorted counts. */
export function numberList(text) {
  const out = new Set();
  for (const part of String(text || "").trim().split(/\s+/)) {
    if (!part) continue;
    const range = /^(\d+)\.\.(\d+)$/.exec(part);
    if (range) {
      const lo = Math.max(1, +range[1]);
      const hi = Math.min(32, +range[2]);
      for (let i = lo; i <= hi; i++) out.add(i);
    } else if (/^\d+$/.test(part)) {
      out.add(+part);
    }
  }
  return Array.from(out).sort((a, b) => a - b);
}
