// The dashboard's pieces that only turn data into elements: times, ids,
// statuses, an event's timeline entry with its quotes and legs, and a
// recurring order's slices.

export function short(id) { return id.slice(0, 8); }
const two = n => String(n).padStart(2, "0");
// Local time with milliseconds; by hand, as toLocaleTimeString is slow.
export function clock(ms) {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}
export function statusBadge(status) {
  const span = document.createElement("span");
  span.className = `status ${status}`;
  span.textContent = status;
  return span;
}

function quotesTable(e) {
  const table = document.createElement("table");
  table.className = "quotes";
  table.innerHTML = "<thead><tr><th>venue</th><th class=num>amount out</th><th class=num>price</th>" +
                    "<th class=num>fee</th><th class=num>impact</th></tr></thead>";
  const body = table.createTBody();
  for (const q of e.quotes) {
    const tr = body.insertRow();
    tr.dataset.dex = q.dex;
    if (q.dex === e.dex) tr.className = "chosen";
    for (const [text, num] of [[(q.dex === e.dex ? "✓ " : "") + q.dex, false], [q.amountOut, true], [q.price, true],
                               [q.fee, true], [q.priceImpact, true]]) {
      const td = tr.insertCell();
      td.textContent = text;
      if (num) td.className = "num";
    }
  }
  return table;
}

// A split order's legs (routed: what each is to do; an outcome: what each did).
function legsTable(e) {
  const table = document.createElement("table");
  table.className = "legs";
  const outcome = e.legs.some(l => l.status !== undefined);
  table.innerHTML = "<thead><tr><th>leg</th><th class=num>amount in</th>" +
                    (outcome ? "<th class=num>amount out</th><th>status</th>"
                             : "<th class=num>expected out</th><th class=num>min out</th>") + "</tr></thead>";
  const body = table.createTBody();
  for (const l of e.legs) {
    const tr = body.insertRow();
    tr.dataset.venue = l.venue;
    const cells = outcome ? [[l.venue, false], [l.amountIn, true], [l.amountOut, true], [l.status, false]]
                          : [[l.venue, false], [l.amountIn, true], [l.expectedOut, true], [l.minOut, true]];
    for (const [text, num] of cells) {
      const td = tr.insertCell();
      td.textContent = text;
      if (num) td.className = "num";
    }
  }
  return table;
}

const SHOWN = new Set(["orderId", "seq", "ts", "event", "status", "attempt", "quotes", "legs", "terminal", "error"]);

/** An event's entry in an order's timeline; `start`: the order's first event's time (ms). */
export function timelineItem(e, start) {
  const li = document.createElement("li");
  li.className = e.status;
  li.dataset.event = e.event;
  const when = document.createElement("span");
  when.className = "when";
  when.textContent = `${clock(e.ts / 1e6)} (+${Math.round(e.ts / 1e6 - start)} ms)`;
  const name = document.createElement("strong");
  name.textContent = `${e.event} `;
  li.append(when, name, statusBadge(e.status));
  if (e.attempt) li.append(` try ${e.attempt}`);
  const details = Object.entries(e).filter(([k]) => !SHOWN.has(k));
  if (details.length) {
    const div = document.createElement("div");
    div.className = "detail mono";
    const text = (k, v) => (k === "retryAt" ? clock(v / 1e6) : typeof v === "object" ? JSON.stringify(v) : v);
    div.textContent = details.map(([k, v]) => `${k} ${text(k, v)}`).join(" · ");
    li.append(div);
  }
  if (e.error) {
    const div = document.createElement("div");
    div.className = "error-text";
    div.textContent = typeof e.error === "string" ? e.error : `${e.error.code}: ${e.error.message}`;
    li.append(div);
  }
  if (e.quotes) li.append(quotesTable(e));
  // One venue's order has one leg, which the line says already.
  if (e.legs && e.legs.length > 1) li.append(legsTable(e));
  return li;
}

/** A recurring order's progress line and its slices' orders, from GET's answer; `childOf(id)`: a slice's order. */
export function slicesPanel(order, childOf) {
  const p = order.progress;
  const summary = document.createElement("p");
  summary.className = "progress";
  summary.textContent = `${p.done} done · ${p.skipped} skipped · ${p.left} left (${p.running} running) · ` +
                        `spent ${p.spent} ${order.inputToken} · received ${p.received} ${order.outputToken}` +
                        (p.averagePrice ? ` · average ${p.averagePrice}` : "") +
                        (order.nextSliceAt ? ` · next slice ${clock(order.nextSliceAt)}` : "");
  const table = document.createElement("table");
  table.className = "slices";
  table.innerHTML = "<thead><tr><th>slice</th><th>order</th><th>status</th><th class=num>amount out</th></tr></thead>";
  const body = table.createTBody();
  order.children.forEach(id => {
    const child = childOf(id);
    const tr = body.insertRow();
    tr.dataset.id = id;
    const code = document.createElement("code");
    code.textContent = short(id);
    code.title = id;
    tr.insertCell().textContent = child && child.slice !== undefined ? child.slice : "";
    tr.insertCell().append(code);
    tr.insertCell().append(statusBadge(child ? child.status : "pending"));
    const out = tr.insertCell();
    out.className = "num";
    out.textContent = child && child.amountOut ? child.amountOut : "";
  });
  return [summary, table];
}
