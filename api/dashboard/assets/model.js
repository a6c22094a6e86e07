// What the page knows, folded from status messages: each order's state and
// events, and the figures the charts draw. Each message counts once,
// however often it arrives (a reconnect, a timeline fetched over REST): a
// record's seq, then its rank among that record's messages (one record
// shows as routing, building and submitted, each with its seq).
const MAX_ORDERS = 2000;      // kept in memory; the oldest finished go first
const MAX_EVENTS = 64;        // per order
const TERMINAL = new Set(["confirmed", "failed", "cancelled", "expired", "partially_filled", "completed"]);
const SECONDS = 300;          // of throughput kept
const LATENCY_BUCKET_S = 5;

export const isTerminal = status => TERMINAL.has(status);
const RANK = { routed: 1, txSubmitted: 2 };
const rankOf = e => RANK[e.event] || 0;

export class Orders {
  constructor() {
    this.byId = new Map();  // in the order first seen
    this.throughput = new Map();  // second -> {status: count}
    this.latency = new Map();  // 5-second bucket -> [ms]
    this.seededLatency = new Map();  // 5-second bucket -> {p50, p99} in ms, from the server
    this.seededUntil = 0;  // seconds before this come from the server's figures
  }

  /** The server's last minutes (GET /api/stats): what came before the page. */
  seed(stats) {
    this.throughput.clear();
    this.latency.clear();
    this.seededLatency.clear();
    this.seededUntil = stats.scope === "all" ? stats.now : 0;
    if (!this.seededUntil) return;
    for (const { t, ...counts } of stats.throughput) if (t < stats.now) this.throughput.set(t, counts);
    for (const w of stats.latency) {
      if (w.t + LATENCY_BUCKET_S <= stats.now) {
        this.seededLatency.set(w.t / LATENCY_BUCKET_S, { p50: w.p50 * 1000, p99: w.p99 * 1000 });
      }
    }
  }

  apply(e) {
    let o = this.byId.get(e.orderId);
    if (!o) {
      o = { id: e.orderId, lastSeq: 0, lastRank: 0, at: "0.0", events: [], status: "pending", attempt: 0 };
      this.byId.set(e.orderId, o);
      this.trim();
    }
    const rank = rankOf(e);
    if (e.seq < o.lastSeq || (e.seq === o.lastSeq && rank <= o.lastRank)) return false;
    o.lastSeq = e.seq;
    o.lastRank = rank;
    o.at = `${e.seq}.${rank}`;  // changes with every message kept
    o.events.push(e);
    if (o.events.length > MAX_EVENTS) o.events.splice(1, 1);  // keep the submit
    const ms = e.ts / 1e6;
    if (e.event === "submitted") {
      o.type = e.orderType;
      o.inputToken = e.inputToken;
      o.outputToken = e.outputToken || e.targetToken;
      o.amountIn = e.amountIn;
      o.submittedMs = ms;
      if (e.parentId) {
        o.parentId = e.parentId;
        o.slice = e.slice;
      }
    }
    if (e.status) o.status = e.status;
    if (e.attempt) o.attempt = e.attempt;
    if (e.dex) o.dex = e.dex;
    if (e.amountOut) o.amountOut = e.amountOut;
    else if (e.expectedOut && !o.amountOut) o.expectedOut = e.expectedOut;
    if (e.txHash) o.txHash = e.txHash;
    if (e.error) o.error = typeof e.error === "string" ? e.error : e.error.message;
    if (isTerminal(o.status)) o.endMs = ms;
    else delete o.endMs;
    this.count(e, o, ms);
    return true;
  }

  count(e, o, ms) {
    const second = Math.floor(ms / 1000);
    if (second < this.seededUntil) return;  // in the server's figures
    let row = this.throughput.get(second);
    if (!row) {
      row = {};
      this.throughput.set(second, row);
      for (const s of this.throughput.keys()) if (s < second - SECONDS) this.throughput.delete(s);
    }
    row[e.status] = (row[e.status] || 0) + 1;
    if (e.status === "confirmed" && o.submittedMs) {
      const bucket = Math.floor(second / LATENCY_BUCKET_S);
      if (!this.latency.has(bucket)) {
        this.latency.set(bucket, []);
        for (const b of this.latency.keys()) if (b < bucket - SECONDS / LATENCY_BUCKET_S) this.latency.delete(b);
      }
      this.latency.get(bucket).push(ms - o.submittedMs);
    }
  }

  // Finished orders leave first, oldest first; a running one stays.
  trim() {
    if (this.byId.size <= MAX_ORDERS) return;
    for (const [id, o] of this.byId) {
      if (this.byId.size <= MAX_ORDERS * 0.9) break;
      if (isTerminal(o.status)) this.byId.delete(id);
    }
  }

  /** The newest `n` orders, newest first. */
  newest(n) {
    const all = [...this.byId.values()];
    return all.slice(-n).reverse();
  }

  /** Per second for the last `SECONDS`: [{t, counts}] in time order. */
  throughputSeries(nowSecond) {
    const out = [];
    for (let t = nowSecond - SECONDS + 1; t <= nowSecond; t++) out.push({ t, counts: this.throughput.get(t) || {} });
    return out;
  }

  /** Per 5 s: [{t, p50, p99, n}] for buckets with confirmed orders. */
  latencySeries(nowSecond) {
    const out = [];
    const last = Math.floor(nowSecond / LATENCY_BUCKET_S);
    for (let b = last - SECONDS / LATENCY_BUCKET_S + 1; b <= last; b++) {
      const values = this.latency.get(b);
      if (!values || !values.length) {
        const seeded = this.seededLatency.get(b);
        if (seeded) out.push({ t: b * LATENCY_BUCKET_S, ...seeded });
        continue;
      }
      const sorted = [...values].sort((x, y) => x - y);
      const at = q => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      out.push({ t: b * LATENCY_BUCKET_S, p50: at(0.5), p99: at(0.99), n: sorted.length });
    }
    return out;
  }
}
