// The GGZ web client: the lobby over one WebSocket (protocol 10 XML,
// docs/client-server.md), TicTacToe over a second one (the game channel,
// DIO packets, docs/tictactoe.md). Everything the server sends is shown
// with textContent, never parsed as HTML.

import * as P from "./proto.js";
import * as D from "./dio.js";
import * as LV from "./lockstep-view.js";
import * as R from "./replay.js";
import * as RV from "./replay-view.js";

const $ = (sel) => document.querySelector(sel);
const STORE_KEY = "ggzd.login";
const CHAT_LINES = 500;
const RESULT_TEXT = {
  "usr lookup": "no such player, or wrong password",
  "bad options": "not allowed here",
  "room full": "room is full",
  "table full": "no free seat",
  "launch fail": "could not start the table",
  "no table": "no such table",
  "leave forbidden": "this game may not be left now",
  "already logged in": "that name is already logged in",
  "not logged in": "not logged in",
  "not in room": "enter a room first",
  "at table": "not while at a table",
  "in transit": "the table is still starting",
  "no permission": "no permission",
  "no channel": "the game connection was not ready",
  "too long": "name too long",
  "bad username": "that name is not allowed",
  "wrong login type": "wrong login type (registered name, or registration closed)",
  "user not found": "no such account",
  "username already taken": "that name is taken",
};

/** Re-renders a list and gives focus back to the same control in it, so
 *  keyboard users keep their place when the server updates the list. */
function keepFocus(ul, key, render) {
  const active = document.activeElement;
  let restore = null;
  if (active && ul.contains(active)) {
    const item = active.closest("[" + key + "]");
    if (item) {
      const id = item.getAttribute(key);
      const cls = active === item ? null : active.className.split(" ")[0];
      restore = () => {
        const again = ul.querySelector("[" + key + '="' + CSS.escape(id) + '"]');
        const target = again && (cls ? again.querySelector("." + CSS.escape(cls)) : again);
        if (target) target.focus();
      };
    }
  }
  render();
  if (restore) restore();
}

/** Creates an element; string children become text nodes. */
function h(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "tabindex" || k === "title")
      e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const kid of kids) {
    if (kid === null || kid === undefined) continue;
    e.append(typeof kid === "string" ? document.createTextNode(kid) : kid);
  }
  return e;
}

const sameName = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();
const describe = (code, action) => {
  if (code === "usr lookup" && action === "chat") return "that player is not logged in";
  if (code === "at table" && action === "chat") return "private chat is closed while you or they are at a table";
  return RESULT_TEXT[code] || code;
};

const state = {
  ws: null,
  reader: null,
  loggedIn: false,
  me: "",
  loginType: "guest",
  autoLogin: null,
  retries: 0,
  ext: new Set(),
  token: null,
  chatLen: 512,
  rooms: new Map(),
  games: new Map(),
  room: -1,
  // ENTERs sent and not answered yet, oldest first (RESULT enter names no room).
  enterTargets: [],
  players: new Map(),
  tables: new Map(),
  table: -1,
  spectator: false,
  channel: null,
  game: null,
  busy: false,
  joinAfterEnter: null,
  syncAfterJoin: false,
  fallbackTried: false,
  reseatStep: null,
  queues: [],
  // LIST TYPE='queue' sent and not answered: a server without queues
  // answers RESULT ACTION='protocol' (docs/client-server.md §8).
  queueLists: 0,
  queuesUnsupported: false,
  waitingQueue: null,
  // LIST TYPE='played' sent and not answered; the button a REPLAY was
  // asked from (focus returns there when the replay closes).
  playedLists: 0,
  replayFrom: null,
  // A replay arriving in pages (NEXT, docs/replays.md §4.2).
  replayParts: null,
  replayWanted: null,
};

const replayView = RV.view;

// ---------------------------------------------------------------- storage

function saved() {
  try {
    const v = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    return v && typeof v.name === "string" ? v : null;
  } catch {
    return null;
  }
}

/** Keeps the login type and name (never a password) and the room, so a
 *  reload logs a guest in again and returns to its seat. */
function remember(extra) {
  const v = Object.assign(saved() || {}, extra);
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(v));
  } catch {
    /* storage may be off; the page still works */
  }
}

function forget() {
  try {
    sessionStorage.removeItem(STORE_KEY);
  } catch {
    /* nothing kept */
  }
}

// ---------------------------------------------------------------- views

function setView(view) {
  document.body.dataset.view = view;
  if (view === "login") $("#replay").hidden = true;
  $("#login-view").hidden = view !== "login";
  $("#lobby-view").hidden = view === "login";
  $("#chat").hidden = view === "login";
  $("#game").hidden = view !== "game";
  $("#logout").hidden = view === "login";
}

function setStatus(text) {
  $("#status").textContent = text;
}

function setConnection(kind, text) {
  document.body.dataset.connection = kind;
  $("#reconnect").hidden = kind !== "closed";
  setStatus(text);
}

function statusLine() {
  if (!state.loggedIn) return;
  const room = state.rooms.get(state.room);
  let text = "Logged in as " + state.me;
  if (room) text += " · " + room.name;
  if (state.table >= 0) text += " · table " + state.table;
  setStatus(text);
}

function system(text) {
  addChat("system", "", text);
}

function addChat(kind, from, text, to) {
  const log = $("#chat-log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const line = h("p", { class: "chat-line", "data-kind": kind, "data-from": from });
  if (to) line.dataset.to = to;
  if (from) {
    const label = to ? from + " → " + to : from;
    line.append(h("span", { class: "from", text: label + (kind === "table" ? " (table)" : "") + ":" }));
  }
  line.append(h("span", { class: "text", text }));
  log.append(line);
  while (log.children.length > CHAT_LINES) log.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

// ---------------------------------------------------------------- lobby connection

function wsUrl() {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
}

function send(xml) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(xml);
}

function resetLobby() {
  state.loggedIn = false;
  state.ext = new Set();
  state.token = null;
  state.rooms.clear();
  state.games.clear();
  state.players.clear();
  state.tables.clear();
  state.room = -1;
  state.enterTargets = [];
  state.table = -1;
  state.queues = [];
  state.queueLists = 0;
  state.queuesUnsupported = false;
  state.waitingQueue = null;
  state.playedLists = 0;
  $("#replay").hidden = true;
  state.joinAfterEnter = null;
  state.fallbackTried = false;
  closeChannel();
  state.game = null;
  renderAll();
}

function connect() {
  if (state.ws) {
    const old = state.ws;
    state.ws = null;
    try {
      old.close();
    } catch {
      /* already closed */
    }
  }
  resetLobby();
  if (document.body.dataset.view === "game") setView("lobby");
  setConnection("connecting", "Connecting…");
  let ws;
  try {
    ws = new WebSocket(wsUrl());
  } catch (e) {
    setConnection("closed", "Cannot connect: " + e.message);
    return;
  }
  state.ws = ws;
  state.reader = new P.StreamReader();
  ws.onopen = () => {
    if (state.ws !== ws) return;
    ws.send(P.HEADER);
    ws.send(P.el("EXTENSIONS", { NAMES: "channel-token rejoin matchmaking replays" }));
    const lang = (navigator.language || "").replace("-", "_");
    if (/^[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8})?$/.test(lang)) ws.send(P.textEl("LANGUAGE", {}, lang));
    setConnection("open", "Connected");
    const s = saved();
    if (s && s.type === "guest") {
      state.autoLogin = s;
      state.retries = 0;
      login("guest", s.name, "", "");
    } else {
      setView("login");
      if (s) {
        $("#login-type").value = s.type;
        $("#login-name").value = s.name;
        loginFields();
      }
    }
  };
  ws.onmessage = (ev) => {
    if (state.ws !== ws || typeof ev.data !== "string") return;
    for (const m of state.reader.feed(ev.data)) {
      try {
        handle(m);
      } catch (e) {
        console.error(e);
      }
    }
    if (state.reader.ended) ws.close();
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    state.ws = null;
    closeChannel();
    state.loggedIn = false;
    setConnection("closed", "Disconnected from the server.");
    system("Disconnected. Use Reconnect to connect again.");
    $("#reconnect").focus();
  };
}

function login(type, name, password, email) {
  state.loginType = type;
  state.me = name;
  $("#login-error").textContent = "";
  send(P.login(type, name, password, email));
}

// ---------------------------------------------------------------- server messages

function handle(m) {
  switch (m.tagName) {
    case "SERVER": {
      const opts = P.child(m, "OPTIONS");
      if (opts) state.chatLen = P.intAttr(opts, "CHATLEN", 512);
      if (P.attr(m, "STATUS") === "full") setConnection("closed", "The server is full.");
      const name = P.attr(m, "NAME");
      if (name) document.title = name + " — GGZ";
      break;
    }
    case "RESULT":
      return result(m);
    case "MOTD":
      $("#motd").textContent = m.textContent.replace(/^\n/, "");
      break;
    case "CHAT":
      return chatIn(m);
    case "UPDATE":
      return update(m);
    case "PING": {
      const id = m.getAttribute("ID");
      send(P.el("PONG", { ID: id === null ? undefined : id }));
      break;
    }
    case "JOIN":
      return joined(P.intAttr(m, "TABLE"), P.attr(m, "SPECTATOR") === "true");
    case "LEAVE":
      return left(P.attr(m, "REASON"), P.attr(m, "PLAYER"));
    case "EXTENSIONS":
      state.ext = new Set(P.attr(m, "NAMES").toLowerCase().split(/\s+/).filter(Boolean));
      if (state.ext.has("matchmaking") && state.room >= 0) listQueues();
      break;
    case "CHANNELTOKEN":
      if (/^[0-9a-f]{1,64}$/.test(P.attr(m, "TOKEN"))) state.token = P.attr(m, "TOKEN");
      break;
    case "REJOIN":
      system("You still hold a seat at table " + P.attr(m, "TABLE") + ": taking it back.");
      return goToTable(P.intAttr(m, "ROOM"), P.intAttr(m, "TABLE"), undefined, true);
    case "MATCHED":
      state.waitingQueue = null;
      renderQueues();
      system("Matched in " + P.attr(m, "QUEUE") + ": joining table " + P.attr(m, "TABLE") + ".");
      return goToTable(P.intAttr(m, "ROOM"), P.intAttr(m, "TABLE"), P.intAttr(m, "SEAT"), false);
    case "RANKINGS":
      return rankings(m);
    case "REPLAY":
      return replayPage(m);
    default:
      break;
  }
}

function result(m) {
  const action = P.attr(m, "ACTION");
  const code = P.attr(m, "CODE");
  const ok = code === "ok" || code === "0";
  switch (action) {
    case "login":
      return loginResult(m, ok, code);
    case "list": {
      const list = P.child(m, "LIST");
      if (ok && list) return listResult(list);
      if (!ok && state.playedLists > 0) {
        state.playedLists -= 1;
        $("#played-status").textContent = "Cannot list the games: " + describe(code) + ".";
      }
      return;
    }
    case "replay":
      if (!ok) {
        state.replayParts = null;
        state.replayWanted = null;
      }
      if (!ok) $("#played-status").textContent = "Cannot replay that game: " + (P.attr(m, "REASON") || describe(code)) + ".";
      return;
    case "protocol":
      if (state.queueLists > 0) {
        // This server lists no queues: stop asking.
        state.queueLists -= 1;
        state.queuesUnsupported = true;
        return;
      }
      return system("The server did not understand a request (" + describe(code) + ").");
    case "enter": {
      const target = state.enterTargets.shift();
      if (ok && target !== undefined) return entered(target);
      if (ok) return;
      state.joinAfterEnter = null;
      return system("Cannot enter the room: " + describe(code) + ".");
    }
    case "launch":
    case "join":
      if (!ok) {
        closeChannel();
        state.syncAfterJoin = false;
        system("Cannot " + action + ": " + describe(code) + ".");
        renderTables();
      }
      return;
    case "reseat":
      if (ok && state.reseatStep === "stand" && state.game && state.game.seat >= 0) {
        state.reseatStep = "sit";
        send(P.el("RESEAT", { ACTION: "sit", SEAT: state.game.seat }));
      } else {
        state.reseatStep = null;
        if (!ok) system("Cannot play again: " + describe(code) + ".");
      }
      return;
    case "match":
      if (!ok) {
        state.waitingQueue = null;
        system("Cannot join the queue: " + describe(code) + ".");
      }
      renderQueues();
      return;
    case "match_cancel":
      state.waitingQueue = null;
      renderQueues();
      return;
    default:
      if (!ok) system(action + ": " + describe(code, action) + ".");
  }
}

function loginResult(m, ok, code) {
  if (!ok) {
    const auto = state.autoLogin;
    if (auto && code === "already logged in" && state.retries < 15) {
      // After a reload the old connection may not be gone yet.
      state.retries += 1;
      setStatus("Waiting for the previous session to end…");
      setTimeout(() => login("guest", auto.name, "", ""), 1000);
      return;
    }
    state.autoLogin = null;
    setView("login");
    if (auto) $("#login-name").value = auto.name;
    // REASON (an extension) says why when the code alone cannot, e.g.
    // the server's database being away.
    const reason = P.attr(m, "REASON");
    $("#login-error").textContent = "Login failed: " + (reason || describe(code)) + ".";
    $("#login-name").focus();
    return;
  }
  const auto = state.autoLogin;
  state.autoLogin = null;
  state.loggedIn = true;
  const pw = P.child(m, "PASSWORD");
  if (state.loginType === "first" && pw && pw.textContent) {
    system("Your account is created. Your password is: " + pw.textContent);
  }
  // A fresh account logs in as "normal" from now on.
  remember({ type: state.loginType === "first" ? "normal" : state.loginType, name: state.me });
  setView("lobby");
  statusLine();
  send(P.el("LIST", { TYPE: "game", FULL: "false" }));
  send(P.el("LIST", { TYPE: "room", FULL: "false" }));
  const room = auto && Number.isInteger(auto.room) ? auto.room : 0;
  enterRoom(room);
}

function listResult(list) {
  const type = P.attr(list, "TYPE");
  if (type === "room") {
    state.rooms.clear();
    for (const r of P.children(list, "ROOM")) {
      const id = P.intAttr(r, "ID");
      state.rooms.set(id, {
        id,
        name: P.attr(r, "NAME"),
        game: P.intAttr(r, "GAME"),
        players: P.intAttr(r, "PLAYERS", 0),
      });
    }
    renderRooms();
    renderLaunch();
    statusLine();
  } else if (type === "game") {
    state.games.clear();
    for (const g of P.children(list, "GAME")) {
      const proto = P.child(g, "PROTOCOL");
      const allow = P.child(g, "ALLOW");
      const id = P.intAttr(g, "ID");
      state.games.set(id, {
        id,
        name: P.attr(g, "NAME"),
        engine: proto ? P.attr(proto, "ENGINE") : "",
        version: proto ? P.attr(proto, "VERSION") : "",
        seats: P.numberList(allow ? P.attr(allow, "PLAYERS") : "2"),
        bots: P.numberList(allow ? P.attr(allow, "BOTS") : ""),
        spectators: allow ? P.attr(allow, "SPECTATORS") === "true" : false,
        botNames: P.children(g, "BOT").map((b) => ({ name: P.attr(b, "NAME"), cls: P.attr(b, "CLASS") })),
      });
    }
    renderLaunch();
    renderTables();
  } else if (type === "player") {
    state.players.clear();
    for (const p of P.children(list, "PLAYER")) setPlayer(p);
    renderPlayers();
  } else if (type === "table") {
    state.tables.clear();
    for (const t of P.children(list, "TABLE")) setTable(t);
    renderTables();
    maybeReclaimSeat();
  } else if (type === "played") {
    if (state.playedLists > 0) state.playedLists -= 1;
    const games = R.parsePlayed(list);
    $("#played-status").textContent = games.length ? games.length + " game(s), newest first." : "";
    RV.renderPlayed(games, (id, button) => {
      state.replayFrom = button;
      state.replayParts = null;
      state.replayWanted = String(id);
      $("#played-status").textContent = "Loading the replay…";
      send(P.el("REPLAY", { ID: id }));
    });
  } else if (type === "queue") {
    if (state.queueLists > 0) state.queueLists -= 1;
    state.queues = P.children(list, "QUEUE").map((q) => ({
      name: P.attr(q, "NAME"),
      room: P.intAttr(q, "ROOM"),
      waiting: P.intAttr(q, "WAITING", 0),
    }));
    renderQueues();
  }
}

function setPlayer(p, merge = false) {
  const name = P.attr(p, "ID");
  const old = merge ? state.players.get(name) || { name } : { name };
  for (const [a, k] of [
    ["TYPE", "type"],
    ["TABLE", "table"],
    ["LAG", "lag"],
    ["WINS", "wins"],
    ["LOSSES", "losses"],
    ["TIES", "ties"],
    ["FORFEITS", "forfeits"],
    ["RATING", "rating"],
  ]) {
    const v = p.getAttribute(a);
    if (v !== null) old[k] = v;
  }
  state.players.set(name, old);
}

function seatOf(s) {
  return {
    num: P.intAttr(s, "NUM"),
    type: P.attr(s, "TYPE", "none"),
    name: s.textContent,
  };
}

function setTable(t) {
  const id = P.intAttr(t, "ID");
  const desc = P.child(t, "DESC");
  const seats = P.children(t, "SEAT").map(seatOf);
  state.tables.set(id, {
    id,
    game: P.intAttr(t, "GAME"),
    status: P.intAttr(t, "STATUS", 1),
    desc: desc ? desc.textContent : "",
    seats: seats.sort((a, b) => a.num - b.num),
    spectators: P.children(t, "SPECTATOR").map((s) => ({ num: P.intAttr(s, "NUM"), name: s.textContent })),
  });
}

function update(m) {
  const type = P.attr(m, "TYPE");
  const action = P.attr(m, "ACTION");
  if (type === "room") {
    for (const r of P.children(m, "ROOM")) {
      const id = P.intAttr(r, "ID");
      if (action === "players" && state.rooms.has(id)) state.rooms.get(id).players = P.intAttr(r, "PLAYERS", 0);
      else if (action === "add")
        state.rooms.set(id, { id, name: P.attr(r, "NAME"), game: P.intAttr(r, "GAME"), players: P.intAttr(r, "PLAYERS", 0) });
      else if (action === "delete" || action === "close") state.rooms.delete(id);
    }
    renderRooms();
    return;
  }
  const room = m.getAttribute("ROOM");
  if (room !== null && P.intAttr(m, "ROOM") !== state.room) return;
  if (type === "player") {
    for (const p of P.children(m, "PLAYER")) {
      const name = P.attr(p, "ID");
      if (action === "delete") state.players.delete(name);
      else if (action === "add") setPlayer(p);
      else if (state.players.has(name)) setPlayer(p, true);
    }
    renderPlayers();
    if (action === "stats") renderGame();
  } else if (type === "table") {
    const t = P.child(m, "TABLE");
    if (!t) return;
    const id = P.intAttr(t, "ID");
    if (action === "add" || action === "resize") {
      setTable(t);
    } else if (action === "delete") {
      state.tables.delete(id);
    } else {
      const table = state.tables.get(id);
      if (!table) return;
      if (action === "status") table.status = P.intAttr(t, "STATUS", table.status);
      if (action === "desc") {
        const d = P.child(t, "DESC");
        table.desc = d ? d.textContent : "";
      }
      for (const s of P.children(t, "SEAT").map(seatOf)) {
        const seat = table.seats.find((x) => x.num === s.num);
        if (!seat) continue;
        if (action === "leave") {
          // Whoever was to move waits for the seat to be filled again.
          if (id === state.table && state.game) state.game.myTurn = false;
          // The leaver is named; the seat is free now, unless the server
          // says it is kept for them.
          seat.type = s.type === "abandoned" ? "abandoned" : "open";
          seat.name = s.type === "abandoned" ? s.name : "";
        } else {
          seat.type = s.type;
          seat.name = s.name;
        }
      }
      for (const sp of P.children(t, "SPECTATOR")) {
        const num = P.intAttr(sp, "NUM");
        table.spectators = table.spectators.filter((x) => x.num !== num);
        if (action === "join") table.spectators.push({ num, name: sp.textContent });
      }
    }
    renderTables();
    if (id === state.table) renderGame();
  }
}

function chatIn(m) {
  const type = P.attr(m, "TYPE", "normal");
  const from = P.attr(m, "FROM");
  const kinds = ["normal", "private", "table", "announce", "beep"];
  const kind = kinds.includes(type) ? type : "normal";
  if (kind === "beep") addChat("beep", from, from + " beeps you.");
  else addChat(kind, from, m.textContent);
}

/** One page of a REPLAY: kept until the last one, then shown. */
function replayPage(m) {
  const page = R.parseReplay(m);
  // A page of a replay asked for before the latest click.
  if (page.id !== state.replayWanted) return;
  const acc = state.replayParts && state.replayParts.id === page.id ? state.replayParts : page;
  if (acc !== page) {
    acc.events.push(...page.events);
    acc.bad += page.bad;
  }
  const last = acc.events.length ? acc.events[acc.events.length - 1].seq : 0;
  const next = P.intAttr(m, "NEXT", -1);
  // Another page only while it makes progress and the whole stays bounded.
  if (next > last && acc.events.length < R.MAX_EVENTS) {
    state.replayParts = acc;
    $("#played-status").textContent = "Loading the replay… (" + acc.events.length + " events)";
    send(P.el("REPLAY", { ID: acc.id, FROM: next }));
    return;
  }
  state.replayParts = null;
  state.replayWanted = null;
  $("#played-status").textContent = "";
  replayView.show(acc, state.replayFrom);
}

function rankings(m) {
  const body = $("#rankings tbody");
  body.replaceChildren();
  for (const r of P.children(m, "RANKING")) {
    const name = P.attr(r, "PLAYER");
    body.append(
      h("tr", { "data-player": name }, h("td", { text: P.attr(r, "POSITION") }), h("td", { text: name }), h("td", { text: P.attr(r, "SCORE") })),
    );
  }
  if (!body.children.length) body.append(h("tr", {}, h("td", { colSpan: 3, text: "No rankings yet." })));
}

// ---------------------------------------------------------------- rooms

function enterRoom(id) {
  if (!state.loggedIn) return;
  state.enterTargets.push(id);
  send(P.el("ENTER", { ROOM: id }));
}

function entered(id) {
  const changed = id !== state.room;
  state.room = id;
  remember({ room: id });
  if (changed) {
    state.players.clear();
    state.tables.clear();
    state.queues = [];
  }
  send(P.el("LIST", { TYPE: "player" }));
  send(P.el("LIST", { TYPE: "table" }));
  send(P.el("LIST", { TYPE: "room", FULL: "false" }));
  if (state.ext.has("matchmaking")) listQueues();
  renderAll();
  statusLine();
  const next = state.joinAfterEnter;
  if (next && next.room === id) {
    state.joinAfterEnter = null;
    joinTable(next.table, false, next.seat, next.sync);
  } else if (next) {
    enterRoom(next.room);
  }
}

function listQueues() {
  if (state.queuesUnsupported) return;
  state.queueLists += 1;
  send(P.el("LIST", { TYPE: "queue" }));
}

/** REJOIN and MATCHED: into the room if needed, then onto the table. */
function goToTable(room, table, seat, sync) {
  // Already there, or on the way (the table list showed the seat first).
  if (state.table >= 0 || state.busy) return;
  const next = { room, table, seat, sync };
  if (state.room === room) joinTable(table, false, seat, sync);
  else {
    state.joinAfterEnter = next;
    if (!state.enterTargets.includes(room)) enterRoom(room);
  }
}

/** A seat kept for us (after a reload, or a dropped connection) shows in
 *  the table list: take it back once, also where the server does not
 *  send REJOIN. */
function maybeReclaimSeat() {
  if (state.fallbackTried || state.table >= 0 || state.busy || state.joinAfterEnter) return;
  for (const t of state.tables.values()) {
    if (t.seats.some((s) => s.type === "abandoned" && sameName(s.name, state.me))) {
      state.fallbackTried = true;
      system("You still hold a seat at table " + t.id + ": taking it back.");
      joinTable(t.id, false, undefined, true);
      return;
    }
  }
}

// ---------------------------------------------------------------- game channel

function closeChannel() {
  const ch = state.channel;
  state.channel = null;
  if (ch) {
    ch.closedByUs = true;
    try {
      ch.ws.close();
    } catch {
      /* already closed */
    }
  }
}

/** Opens and prepares a game channel (docs/websocket.md "Game channels");
 *  resolves once the server's `</SESSION>` says it is ours. */
function openChannel() {
  return new Promise((resolve, reject) => {
    closeChannel();
    const ws = new WebSocket(wsUrl());
    ws.binaryType = "arraybuffer";
    const ch = { ws, prepared: false, text: "", packets: new D.PacketReader(), closedByUs: false };
    state.channel = ch;
    const token = state.token;
    state.token = null;
    const timer = setTimeout(() => {
      if (!ch.prepared) {
        ws.close();
        reject(new Error("the game connection did not open"));
      }
    }, 20000);
    ws.onopen = () => ws.send(P.channel(state.me, token));
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") {
        if (ch.prepared) return;
        ch.text = (ch.text + ev.data).slice(-4096);
        if (ch.text.includes("</SESSION>")) {
          ch.prepared = true;
          clearTimeout(timer);
          resolve(ch);
        }
        return;
      }
      gameBytes(ch, new Uint8Array(ev.data));
    };
    ws.onclose = () => {
      clearTimeout(timer);
      if (!ch.prepared) {
        if (state.channel === ch) state.channel = null;
        reject(new Error("the server refused the game connection"));
      } else if (state.channel === ch && !ch.closedByUs) {
        state.channel = null;
        // A lockstep relay closes the channel once its game is over.
        const ended = isLockstep() && state.game.client.over;
        if (state.table >= 0 && !ended) system("The game connection closed.");
        if (isLockstep() && state.game.tableEnded) {
          state.game.settle();
          renderGame();
        }
      }
    };
  });
}

const isLockstep = (g = state.game) => !!g && g.kind === "lockstep";

/** The game id of a table: from the table list, else the room's game
 *  (a REJOIN may come before the new room's table list). */
function tableGame(id) {
  const t = state.tables.get(id);
  if (t) return t.game;
  const room = state.rooms.get(state.room);
  return room ? room.game : -1;
}

/** The page's state of a game: TicTacToe (dio.js) or a lockstep table
 *  (lockstep-view.js), by the game's protocol engine. */
function newGame(gameId) {
  const game = state.games.get(gameId);
  if (game && LV.speaks(game.engine)) return new LV.LockstepGame((bytes) => sendGame(bytes));
  return new D.Game();
}

function gameBytes(ch, bytes) {
  if (state.channel !== ch || !state.game) return;
  // The game list may have come after the channel was opened: the game
  // state follows the table's engine once it is known.
  const known = state.games.get(tableGame(state.table));
  if (known && LV.speaks(known.engine) !== isLockstep()) state.game = newGame(known.id);
  if (isLockstep()) {
    try {
      state.game.feed(bytes);
    } catch (e) {
      system("Unreadable game data (" + e.message + "); leaving the game connection.");
      closeChannel();
    }
    renderGame();
    return;
  }
  let msgs;
  try {
    msgs = ch.packets.feed(bytes);
  } catch (e) {
    system("Unreadable game data (" + e.message + "); leaving the game connection.");
    closeChannel();
    return;
  }
  for (const m of msgs) state.game.apply(m);
  renderGame();
}

function sendGame(buf) {
  const ch = state.channel;
  if (ch && ch.prepared && ch.ws.readyState === WebSocket.OPEN) ch.ws.send(buf);
}

/** Prepares a channel, then sends the request that hands it over. */
async function withChannel(request, spectator, sync, gameId) {
  if (state.busy) return;
  if (state.table >= 0) {
    system("Leave your table first.");
    return;
  }
  state.busy = true;
  renderTables();
  try {
    state.game = newGame(gameId);
    state.spectator = spectator;
    state.syncAfterJoin = sync;
    await openChannel();
    send(request);
  } catch (e) {
    state.game = null;
    system("Cannot reach the table: " + e.message + ".");
  } finally {
    state.busy = false;
    renderTables();
  }
}

function joinTable(id, spectator, seat, sync = false) {
  return withChannel(
    P.el("JOIN", { TABLE: id, SPECTATOR: spectator ? "true" : "false", SEAT: seat === undefined || seat < 0 ? undefined : seat }),
    spectator,
    sync,
    tableGame(id),
  );
}

function joined(table, spectator) {
  state.table = table;
  state.spectator = spectator;
  if (!state.game) state.game = newGame(tableGame(table));
  remember({ room: state.room });
  setView("game");
  if (state.syncAfterJoin) {
    state.syncAfterJoin = false;
    // The board of a game in progress comes back (docs/tictactoe.md §2.3);
    // a lockstep relay replays the game by itself (docs/lockstep.md §3.10).
    if (!isLockstep()) sendGame(D.reqSync());
  }
  renderTables();
  renderGame();
  statusLine();
  $("#game").focus();
}

function left(reason, by) {
  const table = state.table;
  state.table = -1;
  state.reseatStep = null;
  // A lockstep table ends with its game (docs/lockstep.md §3.6, §3.7): the
  // final counters and the result stay up until the player goes back. The
  // relay's last frames may still be on their way, so its channel is left
  // for the relay to close.
  const finished = table >= 0 && isLockstep() && reason === "gameover";
  if (!finished) closeChannel();
  if (finished) {
    state.game.tableEnded = true;
    if (!state.channel) state.game.settle();
  }
  setView(finished ? "game" : "lobby");
  const why = {
    normal: "You left the table.",
    boot: "You were removed from the table" + (by ? " by " + by : "") + ".",
    gameover: "The table has ended.",
    gameerror: "The game server failed; the table has ended.",
  };
  if (table >= 0) system(why[reason] || "You left the table.");
  renderTables();
  renderGame();
  statusLine();
}

// ---------------------------------------------------------------- rendering

function renderAll() {
  renderRooms();
  renderPlayers();
  renderTables();
  renderLaunch();
  renderQueues();
  renderGame();
  renderChatTargets();
}

function renderRooms() {
  keepFocus($("#rooms"), "data-room-id", drawRooms);
  const cur = state.rooms.get(state.room);
  $("#room-name").textContent = cur ? cur.name : "no room";
}

function drawRooms() {
  const ul = $("#rooms");
  ul.replaceChildren();
  for (const r of [...state.rooms.values()].sort((a, b) => a.id - b.id)) {
    const li = h(
      "li",
      { "data-room-id": r.id, tabindex: 0, role: "button", class: r.id === state.room ? "current" : "" },
      h("span", { class: "room-name", text: r.name }),
      h("span", { class: "room-count", text: String(r.players), title: "players" }),
    );
    if (r.id === state.room) li.setAttribute("aria-current", "true");
    ul.append(li);
  }
}

function renderPlayers() {
  const ul = $("#players");
  ul.replaceChildren();
  const list = [...state.players.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const p of list) {
    const stats = p.wins !== undefined ? `${p.wins}-${p.losses || 0}-${p.ties || 0}` : "";
    const li = h(
      "li",
      { "data-player": p.name, class: sameName(p.name, state.me) ? "me" : "" },
      h("span", { class: "pname", text: p.name }),
      h("span", { class: "ptype", text: p.type || "" }),
      h("span", { class: "stats", title: "wins-losses-ties", text: stats }),
      p.rating !== undefined ? h("span", { class: "rating", title: "rating", text: "rating " + p.rating }) : null,
      h("span", { class: "lag", title: "lag class, 1 best to 5 worst", text: "lag " + (p.lag || "1") }),
      p.table !== undefined && p.table !== "-1" ? h("span", { class: "ptable", text: "table " + p.table }) : null,
    );
    ul.append(li);
  }
  renderChatTargets();
}

function renderChatTargets() {
  const sel = $("#chat-target");
  const keep = sel.value;
  sel.replaceChildren(h("option", { value: "", text: "Room" }), h("option", { value: "@table", text: "Table" }));
  for (const p of [...state.players.keys()].sort()) {
    if (!sameName(p, state.me)) sel.append(h("option", { value: p, text: "→ " + p }));
  }
  sel.value = [...sel.options].some((o) => o.value === keep) ? keep : "";
}

const STATUS_TEXT = { "-1": "ended", 0: "starting", 1: "waiting", 2: "playing", 3: "done" };

function seatFree(seat) {
  return (
    seat.type === "open" ||
    ((seat.type === "reserved" || seat.type === "abandoned") && sameName(seat.name, state.me))
  );
}

function renderTables() {
  keepFocus($("#tables"), "data-table-id", drawTables);
  $("#leave-table").hidden = state.table < 0;
  $("#launch-form").hidden = !launchable();
}

function drawTables() {
  const ul = $("#tables");
  ul.replaceChildren();
  for (const t of [...state.tables.values()].sort((a, b) => a.id - b.id)) {
    const game = state.games.get(t.game);
    const seats = h("div", { class: "seats" });
    for (const s of t.seats) {
      const name = ["player", "reserved", "abandoned", "bot"].includes(s.type) ? s.name : "";
      seats.append(h("span", { class: "seat", "data-seat": s.num, "data-kind": s.type, title: s.type, text: name }));
    }
    const busy = state.busy || state.table >= 0;
    const open = t.status >= 0 && t.status !== 3 && t.status !== 0;
    const join = h("button", {
      type: "button",
      class: "join-table",
      text: "Join",
      disabled: busy || !open || !t.seats.some(seatFree),
      "aria-label": "Join table " + t.id,
    });
    const watch = h("button", {
      type: "button",
      class: "spectate-table secondary",
      text: "Watch",
      disabled: busy || !open || (game && !game.spectators),
      "aria-label": "Watch table " + t.id,
    });
    join.addEventListener("click", () => joinTable(t.id, false));
    watch.addEventListener("click", () => joinTable(t.id, true));
    const li = h(
      "li",
      { "data-table-id": t.id, "data-status": t.status, class: t.id === state.table ? "mine" : "" },
      h(
        "div",
        { class: "table-head" },
        h("strong", {}, "Table " + t.id),
        h("span", { class: "table-game", text: game ? game.name : "game " + t.game }),
        h("span", { class: "table-status", text: STATUS_TEXT[t.status] || "" }),
        t.desc ? h("span", { class: "table-desc", text: t.desc }) : null,
      ),
      seats,
      t.spectators.length ? h("div", { class: "table-spectators", text: "watching: " + t.spectators.map((s) => s.name).join(", ") }) : null,
      h("div", { class: "table-actions" }, join, watch),
    );
    ul.append(li);
  }
  if (!ul.children.length && state.room >= 0) ul.append(h("li", { class: "empty", text: "No tables yet." }));
}

function launchable() {
  const room = state.rooms.get(state.room);
  return !!room && room.game >= 0 && state.games.has(room.game) && state.table < 0;
}

function renderLaunch() {
  const form = $("#launch-form");
  form.hidden = !launchable();
  const room = state.rooms.get(state.room);
  const game = room ? state.games.get(room.game) : null;
  const sel = $("#launch-game");
  const key = game ? String(game.id) + ":" + game.seats.join(",") + ":" + game.botNames.map((b) => b.name).join(",") : "";
  if (form.dataset.key === key) return;
  form.dataset.key = key;
  sel.replaceChildren();
  const seatsBox = $("#launch-seats");
  seatsBox.replaceChildren();
  if (!game) return;
  sel.append(h("option", { value: game.id, text: game.name }));
  const count = game.seats.length ? game.seats[0] : 2;
  const list = h("datalist", { id: "bot-names" });
  for (const b of game.botNames) list.append(h("option", { value: b.name, text: b.name + " (" + b.cls + ")" }));
  seatsBox.append(list);
  for (let i = 0; i < count; i++) {
    const type = h(
      "select",
      { id: "launch-seat-" + i, "aria-label": "Seat " + (i + 1) },
      h("option", { value: "open", text: "open" }),
      h("option", { value: "bot", text: "bot" }),
      h("option", { value: "reserved", text: "reserved" }),
    );
    const name = h("input", {
      id: "launch-seat-" + i + "-name",
      placeholder: "name (reserved player or bot)",
      "aria-label": "Seat " + (i + 1) + " name",
      maxLength: 16,
      autocapitalize: "off",
    });
    name.setAttribute("list", "bot-names");
    seatsBox.append(h("div", { class: "launch-seat" }, h("label", { htmlFor: "launch-seat-" + i, text: "Seat " + (i + 1) }), type, name));
  }
}

function renderQueues() {
  const box = $("#play-now");
  box.replaceChildren();
  const mine = state.queues.filter((q) => q.room === state.room || q.room < 0);
  for (const q of mine) {
    const b = h("button", {
      type: "button",
      class: "play-now",
      "data-queue": q.name,
      text: "Play now: " + q.name + (q.waiting ? " (" + q.waiting + " waiting)" : ""),
      disabled: state.table >= 0 || state.waitingQueue !== null,
    });
    b.addEventListener("click", () => {
      state.waitingQueue = q.name;
      send(P.el("MATCH", { QUEUE: q.name }));
      renderQueues();
    });
    box.append(b);
  }
  $("#play-now-box").hidden = mine.length === 0 && state.waitingQueue === null;
  $("#cancel-play").hidden = state.waitingQueue === null;
  $("#queue-status").textContent = state.waitingQueue === null ? "" : "Waiting for an opponent in " + state.waitingQueue + "…";
}

function seatNames() {
  const t = state.tables.get(state.table);
  const names = ["", ""];
  if (t) for (const s of t.seats) if (s.num < 2) names[s.num] = s.name;
  const g = state.game;
  if (g && g.players) g.players.forEach((p, i) => (names[i] = names[i] || p.name));
  return names;
}

function renderGame() {
  const g = state.game;
  const atTable = state.table >= 0 && g;
  $("#leave-table").hidden = state.table < 0;
  $("#game-table").textContent = state.table >= 0 ? String(state.table) : "";
  $("#game").dataset.engine = isLockstep(g) ? "lockstep" : "tictactoe";
  $("#lockstep").hidden = !isLockstep(g);
  $("#ls-back").hidden = true;
  if (isLockstep(g)) return renderLockstep(g, atTable);
  if (g && !state.spectator && g.seat < 0) {
    // The trunk protocol names no seat: the lobby's table does.
    const t = state.tables.get(state.table);
    const s = t && t.seats.find((x) => x.type === "player" && sameName(x.name, state.me));
    if (s) g.seat = s.num;
  }
  const mark = (s) => (s === 0 ? "X" : s === 1 ? "O" : "");
  const names = seatNames();
  const seat = g ? g.seat : -1;
  const spectator = state.spectator || seat < 0;
  $("#my-seat").textContent = !atTable ? "" : spectator ? "spectator" : mark(seat);
  $("#game-players").textContent = atTable ? "— X: " + (names[0] || "?") + ", O: " + (names[1] || "?") : "";
  document.querySelectorAll("#board .cell").forEach((cell) => {
    const q = Number(cell.dataset.cell);
    const v = g ? g.board[q] : -1;
    const m = mark(v);
    cell.textContent = m;
    cell.dataset.mark = m;
    const canMove = !!(atTable && !spectator && g.myTurn && !g.over && v === -1);
    cell.disabled = !canMove;
    cell.setAttribute("aria-disabled", String(!canMove));
    const base = cell.getAttribute("aria-label").replace(/, (X|O|empty)$/, "");
    cell.setAttribute("aria-label", base + ", " + (m || "empty"));
  });
  document.body.dataset.myTurn = String(!!(atTable && g.myTurn && !g.over));
  let status = "";
  let res = "";
  const table = state.tables.get(state.table);
  if (atTable) {
    const who = (s) => mark(s) + (names[s] ? " (" + names[s] + ")" : "");
    if (g.over) {
      status = "Game over";
      if (g.winner === 2) res = "It's a draw.";
      else if (spectator) res = who(g.winner) + " wins.";
      else res = g.winner === seat ? "You win!" : "You lose.";
    } else if (!spectator && g.myTurn) status = "Your turn";
    else if (g.waiting || (table && table.status !== 2)) status = "Waiting for players";
    else if (g.turn === 0 || g.turn === 1) status = spectator ? who(g.turn) + " to move" : "Waiting for " + who(g.turn);
    else status = "Waiting for players";
  }
  $("#game-status").textContent = status;
  $("#game-result").textContent = res;
  // The record the room's player list shows, refreshed by the game's report.
  const me = [...state.players.values()].find((p) => sameName(p.name, state.me));
  $("#game-record").textContent =
    atTable && g.over && me && me.wins !== undefined ? `Your record: ${me.wins}-${me.losses || 0}-${me.ties || 0} (wins-losses-ties)` : "";
  $("#play-again").hidden = !(atTable && g.over && !state.spectator && seat >= 0);
}

/** The lockstep table's own section, and the contract's shared lines. */
function renderLockstep(g, atTable) {
  const shown = g.render();
  // After the table ended, the finished race stays on screen (see left()).
  const show = atTable || document.body.dataset.view === "game";
  $("#ls-back").hidden = atTable || !show;
  if (atTable) g.tableId = state.table;
  else if (show && g.tableId !== undefined) $("#game-table").textContent = String(g.tableId);
  $("#my-seat").textContent = show ? shown.seat : "";
  $("#game-players").textContent = "";
  $("#game-status").textContent = show ? shown.status : "";
  $("#game-result").textContent = show ? shown.result : "";
  $("#game-record").textContent = "";
  $("#play-again").hidden = true;
  document.body.dataset.myTurn = "false";
}

// ---------------------------------------------------------------- user actions

function loginFields() {
  const type = $("#login-type").value;
  $("#login-password-row").hidden = type === "guest";
  $("#login-email-row").hidden = type !== "first";
  $("#login-password").autocomplete = type === "first" ? "new-password" : "current-password";
  $("#login-submit").textContent = type === "first" ? "Register" : "Log in";
}

function utf8Length(s) {
  return new TextEncoder().encode(s).length;
}

function sendChat() {
  const input = $("#chat-input");
  let text = input.value;
  let target = $("#chat-target").value;
  const msg = /^\/msg\s+(\S+)\s+([\s\S]+)$/.exec(text);
  if (msg) {
    target = msg[1];
    text = msg[2];
  }
  if (!text.trim()) return;
  if (utf8Length(text) > state.chatLen) {
    system("That message is too long (at most " + state.chatLen + " bytes).");
    return;
  }
  if (target === "") send(P.chat("normal", null, text));
  else if (target === "@table") send(P.chat("table", null, text));
  else {
    send(P.chat("private", target, text));
    // Private chat is not echoed by the server.
    addChat("private", state.me, text, target);
  }
  input.value = "";
}

function launchTable(ev) {
  ev.preventDefault();
  const room = state.rooms.get(state.room);
  if (!room) return;
  const game = Number($("#launch-game").value);
  const seats = [];
  for (let i = 0; document.getElementById("launch-seat-" + i); i++) {
    const type = document.getElementById("launch-seat-" + i).value;
    const name = document.getElementById("launch-seat-" + i + "-name").value.trim();
    if (type === "reserved" && !name) {
      system("Seat " + (i + 1) + ": name the player the seat is kept for.");
      document.getElementById("launch-seat-" + i + "-name").focus();
      return;
    }
    seats.push({ type, name: type === "open" ? "" : name });
  }
  withChannel(P.launch(game, $("#launch-desc").value, seats), false, false, game);
}

function wire() {
  $("#login-type").addEventListener("change", loginFields);
  $("#login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const type = $("#login-type").value;
    const name = $("#login-name").value.trim();
    const password = $("#login-password").value;
    if (!name) {
      $("#login-error").textContent = "Please enter a name.";
      $("#login-name").focus();
      return;
    }
    if (type === "normal" && !password) {
      $("#login-error").textContent = "Please enter your password.";
      $("#login-password").focus();
      return;
    }
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      $("#login-error").textContent = "Not connected; use Reconnect.";
      return;
    }
    login(type, name, password, $("#login-email").value.trim());
    $("#login-password").value = "";
  });
  const activateRoom = (ev) => {
    const li = ev.target.closest("li[data-room-id]");
    if (li) enterRoom(Number(li.dataset.roomId));
  };
  $("#rooms").addEventListener("click", activateRoom);
  $("#rooms").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      activateRoom(ev);
    }
  });
  $("#chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendChat();
  });
  $("#launch-form").addEventListener("submit", launchTable);
  $("#leave-table").addEventListener("click", () => send(P.el("LEAVE", { FORCE: "false", SPECTATOR: String(state.spectator) })));
  $("#play-again").addEventListener("click", () => {
    state.reseatStep = "stand";
    send(P.el("RESEAT", { ACTION: "stand" }));
  });
  $("#board").addEventListener("click", (ev) => {
    const cell = ev.target.closest("button.cell");
    const g = state.game;
    if (!cell || !g || state.spectator || isLockstep(g)) return;
    const q = Number(cell.dataset.cell);
    if (g.move(q)) {
      sendGame(D.sndMove(q));
      renderGame();
    }
  });
  $("#rankings-button").addEventListener("click", () => {
    if (state.table < 0) system("Rankings come from the game at your table: join or watch a table first.");
    else send(P.el("RANKINGS"));
  });
  $("#cancel-play").addEventListener("click", () => {
    if (state.waitingQueue !== null) send(P.el("MATCH_CANCEL", { QUEUE: state.waitingQueue }));
  });
  $("#ls-back").addEventListener("click", () => {
    if (state.table >= 0) return;
    closeChannel();
    setView("lobby");
    renderGame();
    const next = document.querySelector("#lobby-view button:not([disabled]), #rooms li.current");
    if (next) next.focus();
  });
  LV.wireLockstep(() => (isLockstep() && state.table >= 0 ? state.game : null), renderGame);
  $("#played-button").addEventListener("click", () => {
    if (!state.ext.has("replays")) {
      $("#played-status").textContent = "This server keeps no games for replay.";
      return;
    }
    state.playedLists += 1;
    $("#played-status").textContent = "Loading…";
    send(P.el("LIST", { TYPE: "played" }));
  });
  RV.wireReplay(replayView);
  $("#reconnect").addEventListener("click", connect);
  $("#logout").addEventListener("click", () => {
    forget();
    send("</SESSION>\n");
    connect();
  });
  loginFields();
}

wire();
setView("login");
connect();
// Queue sizes change while one looks at them.
setInterval(() => {
  if (state.loggedIn && state.ext.has("matchmaking") && state.room >= 0 && state.table < 0) listQueues();
}, 15000);
