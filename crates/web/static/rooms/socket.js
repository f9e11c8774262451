// The room protocol, version 1 (docs/realtime-protocol.md): one WebSocket
// per tab, `join` with a grant as the first frame, JSON frames after that.
// Reconnects with backoff after a dropped connection and resumes the same
// membership (the server keeps the place for a grace period).

/** Close codes after which reconnecting would not help. */
const FINAL_CLOSE = new Set([1000, 4000, 4401, 4409]);

export class RoomSocket extends EventTarget {
  /**
   * @param {string} path  e.g. /api/v1/rooms/abc/live
   * @param {string} grant the join grant from the feature that owns the room
   */
  constructor(path, grant) {
    super();
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.grant = grant;
    this.ws = null;
    this.delay = 500;
    this.finished = false;
    this.lastSeen = 0;
    this.timer = null;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  start() {
    this.#connect();
    // Our own keep-alive: a connection silent for 45 s is treated as dead.
    this.timer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastSeen > 45000) this.ws.close(4001, "silent");
      else this.send({ type: "ping" });
    }, 20000);
  }

  #connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let refused = null;
    ws.onopen = () => {
      this.lastSeen = Date.now();
      ws.send(JSON.stringify({ type: "join", grant: this.grant }));
    };
    ws.onmessage = (e) => {
      this.lastSeen = Date.now();
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      if (msg.type === "welcome" || msg.type === "waiting") {
        this.delay = 500;
        this.#emit("online", true);
      }
      if (msg.type === "error" && ["unauthorized", "room_locked", "room_full", "room_ended"].includes(msg.code)) {
        refused = msg.code;
      }
      if (msg.type === "ended") this.reason = msg.reason === "host_left" ? "host_left" : "ended";
      if (msg.type === "left" && msg.reason === "removed" && msg.member === this.me) this.reason = "removed";
      if (this.reason) this.finished = true;
      if (msg.type === "welcome") this.me = msg.you.id;
      this.#emit("message", msg);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.finished || refused || FINAL_CLOSE.has(e.code)) {
        this.finished = true;
        clearInterval(this.timer);
        this.#emit("closed", { code: e.code, refused, replaced: e.code === 4000, reason: this.reason });
        return;
      }
      this.#emit("online", false);
      const wait = this.delay * (0.75 + Math.random() / 2);
      this.delay = Math.min(this.delay * 2, 10000);
      setTimeout(() => { if (!this.finished) this.#connect(); }, wait);
    };
  }

  /** Sends a message; false when offline (the caller may tell the user). */
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Leaves for good: the server removes us at once (no grace period). */
  leave() {
    this.finished = true;
    clearInterval(this.timer);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: "leave" }));
      this.ws.close(1000, "leave");
    }
  }
}
