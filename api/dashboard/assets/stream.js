// The stream of every order the viewer may see (oee.v1, {"type":"subscribe",
// "all":true}). Reconnects with backoff and resumes after the last seq it
// received, so a server restart costs a gap in time, never an event.
import { api, apiKey, errorText } from "./api.js";

const MIN_FLUSH_MS = 100;

export class OrderStream {
  /**
   * onEvents(array of status messages), called at most once per animation
   * frame; onState("connecting" | "open" | "closed", detail).
   */
  constructor({ onEvents, onState, firstSeq }) {
    this.onEvents = onEvents;
    this.onState = onState;
    this.firstSeq = firstSeq;  // () => Promise<number>: where a fresh page starts
    this.lastSeq = 0;
    this.pending = [];
    this.flushing = false;
    this.backoff = 250;
    this.stopped = false;
  }

  async start() {
    this.stopped = false;
    // The last record again: the rest of its messages, if a drop cut them
    // off (the model drops what it had).
    const from = this.lastSeq > 0 ? this.lastSeq : await this.firstSeq();
    if (this.stopped) return;
    const key = apiKey.get();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // The key stays out of the URL: a single-use ticket opens the socket. A
    // server that issues none (a gateway) takes the key in the query.
    let query = "";
    if (key) {
      const ticket = await api("POST", "/api/ws-ticket");
      if (this.stopped) return;
      if (ticket.ok) {
        query = `?ticket=${encodeURIComponent(ticket.body.ticket)}`;
      } else if (ticket.status === 404) {
        query = `?access_token=${encodeURIComponent(key)}`;
      } else {
        this.retry(errorText(ticket));
        return;
      }
    }
    const ws = new WebSocket(`${scheme}://${location.host}/ws${query}`, "oee.v1");
    this.ws = ws;
    this.onState("connecting");
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "subscribe", all: true, fromSeq: Math.max(1, from) }));
    };
    ws.onmessage = m => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.type === "subscribed") {
        this.backoff = 250;
        this.onState("open", msg.fromSeq > from ? `started at seq ${msg.fromSeq}` : "");
        return;
      }
      if (msg.type === "error") {
        // The stream could not start (its past could not be read): start again.
        this.onState("closed", msg.error ? `${msg.error.code}: ${msg.error.message}` : "error");
        ws.close();
        return;
      }
      if (msg.type === "skipped") {
        this.onState("open", `events ${msg.fromSeq}–${msg.toSeq} were skipped`);
        return;
      }
      if (msg.type) return;  // pong, unsubscribed
      if (msg.seq > this.lastSeq) this.lastSeq = msg.seq;
      this.pending.push(msg);
      this.schedule();
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.retry("");
    };
  }

  /** Starts again after the backoff, saying why (`why`, or nothing). */
  retry(why) {
    const wait = `reconnecting in ${(this.backoff / 1000).toFixed(1)} s`;
    this.onState("closed", why ? `${why}; ${wait}` : wait);
    setTimeout(() => this.start(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 5000);
  }

  /** Starts again from scratch (another API key sees other orders). */
  restart() {
    this.stop();
    this.lastSeq = 0;
    this.start();
  }

  stop() {
    this.stopped = true;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
  }

  // At most once per animation frame and ten times a second: under a
  // thousand orders a second, redrawing the table costs the browser far
  // more than reading the messages. A hidden tab gets no frames, so a
  // timer flushes too and the backlog stays small.
  schedule() {
    if (this.flushing) return;
    this.flushing = true;
    const flush = () => {
      if (!this.flushing) return;
      this.flushing = false;
      this.lastFlush = performance.now();
      const batch = this.pending;
      this.pending = [];
      if (batch.length) this.onEvents(batch);
    };
    const wait = Math.max(0, (this.lastFlush || 0) + MIN_FLUSH_MS - performance.now());
    setTimeout(() => requestAnimationFrame(flush), wait);
    setTimeout(flush, wait + 500);
  }
}
