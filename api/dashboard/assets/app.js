// The dashboard: live orders from the stream of every order, a submit form
// with a quote, an order's timeline, dead letters, open limit orders,
// throughput and latency charts, and component health.
import { api, apiKey, errorText } from "./api.js";
import { drawLines } from "./charts.js";
import { Orders, isTerminal } from "./model.js";
import { OrderStream } from "./stream.js";
import { clock, short, slicesPanel, statusBadge, timelineItem } from "./views.js";

const TOKENS = ["SOL", "USDC", "USDT", "BONK", "JUP", "RAY", "WIF"];
const TABLE_ROWS = 100;   // rows drawn; the model keeps more
const PAST_EVENTS = 5000;  // of the log a fresh page starts with
const $ = selector => document.querySelector(selector);

const orders = new Orders();
let selected = null;       // the order whose timeline is shown
const timelineFetched = new Set();
let restApi = true;        // false on a gateway: streams only
let authOn = false;
let defaultPair = "";      // the server's --default-pair, once /health names it

// With authentication on, nothing is asked before there is a key to ask with.
const ready = () => !authOn || apiKey.get() !== "";

// ---- health ---------------------------------------------------------------

function pill(label, state, title = "") {
  const li = document.createElement("li");
  li.className = "pill";
  li.dataset.state = state;
  li.dataset.component = label.split(" ")[0];
  li.textContent = label;
  li.title = title;
  return li;
}

async function refreshHealth() {
  const r = await api("GET", "/health");
  const list = $("#health");
  if (!r.ok || !r.body) {
    list.replaceChildren(pill("server unreachable", "down"));
    return;
  }
  const h = r.body;
  const items = [];
  restApi = h.role !== "gateway";
  $("#role").textContent = `${h.role} ${h.version || ""}`;
  // Figures come to the admin key (or anyone while authentication is
  // off); any other caller gets status words, and the pills say only those.
  const figure = (value, text) => (value === undefined ? "" : text);
  if (h.role === "gateway") {
    items.push(pill(`redis ${h.redis.status}${figure(h.redis.lastSeq, ` · seq ${h.redis.lastSeq}`)}`, h.redis.status));
    if (h.core) items.push(pill(`core ${h.core.url}`, "ok", "REST requests go to the core"));
  } else {
    items.push(pill(`log ${h.log.status}${figure(h.log.head, ` · head ${h.log.head}`)}`, h.log.status,
                    h.log.error || `durability ${h.log.durability}`));
    if (h.executor) {
      items.push(pill(`executor ${h.executor.inFlight} running · ${h.executor.waiting} waiting`, "ok", `sim ${h.executor.sim}`));
    }
    if (h.fanOut) {
      items.push(pill(`fan-out lag ${h.fanOut.lagEvents}`, h.fanOut.lagEvents > 1000 ? "degraded" : "ok",
                      `${h.fanOut.subscriptions} subscriptions`));
    }
    const lag = part => (part.status === "disabled" ? "disabled" : `${part.status}${figure(part.lagEvents, ` · lag ${part.lagEvents}`)}`);
    items.push(pill(`redis ${lag(h.redis)}`, h.redis.status, h.redis.lastError || ""));
    items.push(pill(`postgres ${lag(h.postgres)}`, h.postgres.status, h.postgres.lastError || ""));
  }
  list.replaceChildren(...items);
  if (h.defaultPair && h.defaultPair !== defaultPair) {
    // The form starts on it, and still names the pair in what it sends.
    defaultPair = h.defaultPair;
    const [input, output] = defaultPair.split("/");
    form.elements.inputToken.value = input;
    form.elements.outputToken.value = output;
    $("#default-pair").textContent = `default pair ${defaultPair}: a market order that names no tokens trades it`;
    $("#default-pair").hidden = false;
    refreshQuoteSoon();
  }
  authOn = (h.auth && (h.auth.status || h.auth)) === "on";
  $("#key-form").hidden = !authOn;
  for (const id of ["#submit-panel", "#dlq-panel", "#book-panel"]) $(id).hidden = !restApi;
}

// ---- the stream -----------------------------------------------------------

const stream = new OrderStream({
  firstSeq: async () => {
    const r = await api("GET", "/health");
    // Without the head (a key that is not the admin key), from the start:
    // the server sends at most the newest of what the key may see.
    const head = r.ok ? (r.body.log ? r.body.log.head : r.body.redis.lastSeq) : undefined;
    return head === undefined ? 1 : Math.max(1, head - PAST_EVENTS + 1);
  },
  onState: (state, detail) => {
    const el = $("#connection");
    el.dataset.state = state;
    el.textContent = { connecting: "connecting", open: "live", closed: "disconnected" }[state] || state;
    el.title = detail || "";
    document.body.dataset.stream = state;
  },
  onEvents: batch => {
    $("#connection").dataset.seq = String(stream.lastSeq);  // not on <body>: that restyles the page
    let failed = false;
    let timeline = false;
    for (const e of batch) {
      if (!orders.apply(e)) continue;
      failed ||= e.status === "failed";
      timeline ||= e.orderId === selected;
    }
    renderTable();
    if (timeline) renderTimeline();
    if (failed) refreshDeadLettersSoon();
  },
});

// ---- the orders table -----------------------------------------------------

const rows = new Map();  // order id -> <tr>

function fillRow(tr, o) {
  if (tr.dataset.at === o.at) return;
  tr.dataset.at = o.at;
  tr.dataset.status = o.status;
  const c = tr.cells;
  c[0].textContent = o.submittedMs ? clock(o.submittedMs) : "";
  c[1].innerHTML = "";
  const code = document.createElement("code");
  code.textContent = short(o.id);
  code.title = o.id;
  c[1].append(code);
  // A recurring order's slice says whose it is.
  c[2].textContent = o.parentId ? `slice ${o.slice}` : o.type || "";
  c[2].title = o.parentId ? `slice ${o.slice} of ${o.parentId}` : "";
  c[3].textContent = o.inputToken ? `${o.inputToken} → ${o.outputToken}` : "";
  c[4].textContent = o.amountIn || "";
  // Before it lands, the amount the route expects; after a failure, none.
  c[5].textContent = o.amountOut || (o.expectedOut && !isTerminal(o.status) ? `~${o.expectedOut}` : "");
  c[6].textContent = o.dex || "";
  c[7].replaceChildren(statusBadge(o.status));
  c[8].textContent = o.attempt || "";
  c[9].textContent = o.endMs && o.submittedMs ? `${Math.round(o.endMs - o.submittedMs)} ms` : "";
}

function renderTable() {
  const tbody = $("#orders tbody");
  const list = orders.newest(TABLE_ROWS);
  const keep = new Set(list.map(o => o.id));
  for (const [id, tr] of rows) {
    if (!keep.has(id)) {
      tr.remove();
      rows.delete(id);
    }
  }
  let previous = null;
  for (const o of list) {
    let tr = rows.get(o.id);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.id = o.id;
      for (let i = 0; i < 10; i++) tr.insertCell().className = [4, 5, 8, 9].includes(i) ? "num" : "";
      rows.set(o.id, tr);
    }
    fillRow(tr, o);
    tr.classList.toggle("selected", o.id === selected);
    const wanted = previous ? previous.nextSibling : tbody.firstChild;
    if (wanted !== tr) tbody.insertBefore(tr, wanted);
    previous = tr;
  }
  $("#orders-note").textContent = `${orders.byId.size} in view, newest ${Math.min(TABLE_ROWS, orders.byId.size)} shown`;
}

$("#orders tbody").addEventListener("click", e => {
  const tr = e.target.closest("tr[data-id]");
  if (tr) select(tr.dataset.id);
});

// ---- an order's timeline --------------------------------------------------

async function select(id) {
  selected = id;
  renderTable();
  renderTimeline();
  const o = orders.byId.get(id);
  const complete = o && o.events.length && o.events[0].event === "submitted";
  if (!complete && restApi && !timelineFetched.has(id)) {
    timelineFetched.add(id);
    const r = await api("GET", `/api/orders/${id}/events`);
    if (r.ok) {
      for (const e of r.body.events) orders.apply(e);
      const again = orders.byId.get(id);
      if (again) again.events.sort((a, b) => a.seq - b.seq);
      renderTable();
      renderTimeline();
    }
  }
}

function renderTimeline() {
  const list = $("#timeline");
  const actions = $("#timeline-actions");
  const o = selected && orders.byId.get(selected);
  if (!o || o.type !== "recurring") {
    $("#slices").replaceChildren();
    delete $("#slices").dataset.order;
  }
  if (!o) {
    list.replaceChildren();
    actions.replaceChildren();
    return;
  }
  $("#timeline-title").textContent = `${o.id} · ${o.amountIn || ""} ${o.inputToken || ""} → ${o.outputToken || ""}`;
  const start = o.events.length ? o.events[0].ts / 1e6 : 0;
  const items = o.events.map(e => timelineItem(e, start));
  list.replaceChildren(...items);
  actions.replaceChildren();
  if (restApi && ["open", "watching"].includes(o.status)) {
    // A new floor for the whole amount, in the output token.
    const floor = document.createElement("input");
    floor.className = "amend-floor";
    floor.placeholder = "new minAmountOut";
    floor.setAttribute("aria-label", "new minAmountOut");
    floor.size = 16;
    actions.append(floor, actionButton("Amend", "amend",
                                       () => api("PATCH", `/api/orders/${o.id}`, { minAmountOut: floor.value.trim() })));
  }
  if (restApi && o.type === "recurring") showSlices(o);
  if (restApi && ["pending", "open", "watching", "active"].includes(o.status)) {
    actions.append(actionButton("Cancel", "cancel", () => api("DELETE", `/api/orders/${o.id}`)));
  }
  if (restApi && o.status === "failed") {
    actions.append(actionButton("Retry", "retry", () => api("POST", `/api/dlq/${o.id}/retry`)));
  }
}

// A recurring order's progress and its slices' orders, as GET answers them
// (its own events keep only the latest slices); fetched again once it moved.
const slicesShown = new Map();  // order id -> seq the panel shows
async function showSlices(o) {
  const panel = $("#slices");
  if (slicesShown.get(o.id) === o.at && panel.dataset.order === o.id) return;
  slicesShown.set(o.id, o.at);
  const r = await api("GET", `/api/orders/${o.id}`);
  if (!r.ok || selected !== o.id) return;
  panel.dataset.order = o.id;
  panel.replaceChildren(...slicesPanel(r.body, id => orders.byId.get(id)));
}

$("#slices").addEventListener("click", e => {
  const tr = e.target.closest("tr[data-id]");
  if (tr) select(tr.dataset.id);
});

function actionButton(label, name, act) {
  const b = document.createElement("button");
  b.textContent = label;
  b.className = name;
  b.addEventListener("click", async () => {
    b.disabled = true;
    const r = await act();
    if (!r.ok) b.after(` ${errorText(r)}`);
    refreshDeadLettersSoon();
  });
  return b;
}

// ---- dead letters ---------------------------------------------------------

let dlqTimer = null;
function refreshDeadLettersSoon() {
  if (dlqTimer) return;
  dlqTimer = setTimeout(() => {
    dlqTimer = null;
    refreshDeadLetters();
  }, 300);
}

async function refreshDeadLetters() {
  if (!restApi || !ready()) return;
  const r = await api("GET", "/api/dlq?limit=50");
  const tbody = $("#dlq tbody");
  if (!r.ok) {
    $("#dlq-count").textContent = errorText(r);
    return;
  }
  $("#dlq-count").textContent = `${r.body.count} failed`;
  tbody.replaceChildren(...r.body.orders.map(o => {
    const tr = document.createElement("tr");
    tr.dataset.id = o.orderId;
    const id = document.createElement("code");
    id.textContent = short(o.orderId);
    id.title = o.orderId;
    tr.insertCell().append(id);
    tr.insertCell().textContent = `${o.inputToken} → ${o.outputToken}`;
    const amount = tr.insertCell();
    amount.textContent = o.amountIn;
    amount.className = "num";
    const reason = tr.insertCell();
    reason.textContent = typeof o.error === "string" ? o.error : (o.error && o.error.message) || "";
    reason.className = "reason";
    reason.style.whiteSpace = "normal";
    const tries = tr.insertCell();
    tries.textContent = o.attempt;
    tries.className = "num";
    const cell = tr.insertCell();
    const retry = document.createElement("button");
    retry.textContent = "Retry";
    retry.className = "retry";
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      const res = await api("POST", `/api/dlq/${o.orderId}/retry`);
      retry.textContent = res.ok ? "retrying" : errorText(res);
      refreshDeadLettersSoon();
    });
    cell.append(retry);
    tr.addEventListener("click", e => {
      if (e.target !== retry) select(o.orderId);
    });
    return tr;
  }));
}

// ---- open limit orders ----------------------------------------------------

const PAIRS = [["SOL", "USDC"], ["USDC", "SOL"], ["SOL", "USDT"], ["SOL", "BONK"], ["SOL", "JUP"]];

async function refreshBook() {
  if (!restApi || !ready()) return;
  const [input, output] = $("#book-pair").value.split("/");
  const r = await api("GET", `/api/book/${input}/${output}`);
  const tbody = $("#book tbody");
  if (!r.ok) {
    tbody.replaceChildren();
    return;
  }
  tbody.replaceChildren(...r.body.levels.map(level => {
    const tr = document.createElement("tr");
    for (const v of [level.price, level.orders, level.amountIn]) {
      const td = tr.insertCell();
      td.textContent = v;
      td.className = "num";
    }
    return tr;
  }));
  if (!r.body.levels.length) tbody.innerHTML = "<tr><td colspan=3 class=muted>no open orders</td></tr>";
}

// ---- the submit form ------------------------------------------------------

const form = $("#order-form");

function showFieldsOfType() {
  const type = form.elements.type.value;
  for (const label of form.querySelectorAll("label[data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(type);
  }
  refreshQuoteSoon();
}

function orderBody() {
  const f = form.elements;
  const type = f.type.value;
  const body = { type, inputToken: f.inputToken.value, amount: f.amount.value.trim() };
  if (type === "market" || type === "recurring") body.slippage = String(Number(f.slippage.value) / 100);
  if (type === "limit") {
    body.outputToken = f.outputToken.value;
    body.minAmountOut = f.minAmountOut.value.trim();
  } else if (type === "market" || type === "recurring") {
    body.outputToken = f.outputToken.value;
  }
  if (type === "recurring") {
    // Whole numbers as JSON numbers: the API takes nothing else for them.
    body.slices = Number(f.slices.value);
    body.interval = Number(f.interval.value);
  }
  if (type === "sniper") {
    body.targetToken = f.targetToken.value.trim();
    body.maxPrice = f.maxPrice.value.trim();
    body.checks = { requireMintRenounced: f.requireMintRenounced.checked, requireNoFreeze: f.requireNoFreeze.checked };
    if (f.minLiquidity.value.trim()) body.checks.minLiquidity = f.minLiquidity.value.trim();
  }
  if ((type === "limit" || type === "sniper") && f.expiresIn.value.trim()) {
    body.expiresAt = Date.now() + Number(f.expiresIn.value) * 60_000;
  }
  return body;
}

form.addEventListener("submit", async e => {
  e.preventDefault();
  const result = $("#submit-result");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  result.className = "";
  result.textContent = "submitting…";
  const body = orderBody();
  const r = await api("POST", "/api/orders/execute", body);
  button.disabled = false;
  if (!r.ok) {
    result.className = "error";
    result.textContent = errorText(r);
    return;
  }
  result.textContent = `accepted ${r.body.orderId} (seq ${r.body.seq})`;
  result.dataset.orderId = r.body.orderId;
  select(r.body.orderId);
});

let quoteTimer = null;
function refreshQuoteSoon() {
  clearTimeout(quoteTimer);
  quoteTimer = setTimeout(refreshQuote, 250);
}

async function refreshQuote() {
  const f = form.elements;
  const line = $("#quote");
  if (!restApi || !ready() || f.type.value === "sniper") {
    line.textContent = "";
    return;
  }
  const q = new URLSearchParams({ inputToken: f.inputToken.value, outputToken: f.outputToken.value,
                                  amount: f.amount.value.trim() });
  const r = await api("GET", `/api/quote?${q}`);
  if (!r.ok) {
    line.textContent = `no quote: ${errorText(r)}`;
    return;
  }
  const others = r.body.quotes.filter(x => x.dex !== r.body.dex).map(x => `${x.dex} ${x.amountOut}`).join(", ");
  line.textContent = `quote: ${r.body.amountOut} ${r.body.outputToken} on ${r.body.dex}` + (others ? ` (${others})` : "");
  line.dataset.dex = r.body.dex;
  if (f.type.value === "limit" && !f.minAmountOut.value) f.minAmountOut.placeholder = r.body.amountOut;
}

// ---- charts ---------------------------------------------------------------

function renderCharts() {
  const now = Math.floor(Date.now() / 1000);
  const x0 = now - 300, x1 = now;
  const series = orders.throughputSeries(now);
  const chart = $("#throughput");
  chart.dataset.submitted = String(series.reduce((n, p) => n + (p.counts.pending || 0), 0));
  chart.dataset.drawn = String(Number(chart.dataset.drawn || 0) + 1);
  drawLines($("#throughput"), {
    x0, x1, unit: "/s",
    series: ["pending", "confirmed", "failed"].map(name => ({
      name, points: series.map(p => [p.t, p.counts[name] || 0]),
    })),
  });
  const latency = orders.latencySeries(now);
  drawLines($("#latency"), {
    x0, x1, unit: " ms",
    series: ["p50", "p99"].map(name => ({ name, points: latency.map(p => [p.t, p[name]]) })),
  });
}

// ---- start ----------------------------------------------------------------

function setUp() {
  for (const [name, initial] of [["inputToken", "SOL"], ["outputToken", "USDC"]]) {
    const s = form.elements[name];
    for (const t of TOKENS) s.add(new Option(t, t, false, t === initial));
  }
  for (const [a, b] of PAIRS) $("#book-pair").add(new Option(`${a}/${b}`, `${a}/${b}`));
  form.elements.type.addEventListener("change", showFieldsOfType);
  form.addEventListener("input", refreshQuoteSoon);
  $("#book-pair").addEventListener("change", refreshBook);
  $("#key-form").elements.key.value = apiKey.get();
  $("#key-form").addEventListener("submit", e => {
    e.preventDefault();
    apiKey.set($("#key-form").elements.key.value.trim());
    orders.byId.clear();
    rows.forEach(tr => tr.remove());
    rows.clear();
    (restApi ? seedCharts() : Promise.resolve()).then(() => stream.restart());
    refreshDeadLetters();
    refreshBook();
    refreshQuote();
  });
  showFieldsOfType();
}

// The charts' last minutes from the server, before the stream adds to them.
async function seedCharts() {
  const r = await api("GET", "/api/stats");
  if (r.ok) orders.seed(r.body);
}

setUp();
await refreshHealth();
if (ready() && restApi) await seedCharts();
if (ready()) stream.start();
else stream.onState("closed", "enter an API key");
refreshDeadLetters();
refreshBook();
setInterval(refreshHealth, 2000);
setInterval(refreshDeadLetters, 5000);
setInterval(refreshBook, 3000);
setInterval(renderCharts, 1000);
renderCharts();
