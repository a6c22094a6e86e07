// The dashboard in a real browser (Debian's chromium, driven by
// playwright-core) against the real oee-server:
//  1. GET / answers JSON to a client that does not ask for HTML;
//  2. an order submitted from the form that fails (--fail-rate 1) shows in
//     the live table as failed and in dead letters with its reason;
//  3. the server restarts (now --fail-rate 0) and the page resumes on its
//     own, with no order or event twice; Retry in dead letters takes the
//     order to confirmed;
//  4. an order submitted from the form reaches confirmed; its timeline
//     shows both venues' quotes and the one chosen;
//  5. 1,000 orders/s flow for 5 s: the table stays capped, the page keeps
//     up with the stream, the charts draw;
//  6. with authentication on, the page asks for an API key and shows that
//     key's orders only;
// and no errors in the page's console throughout. Screenshots are saved.
// Usage: node dashboard_test.mjs OEE_SERVER_BINARY OEE_LOADGEN_BINARY [SCREENSHOT_DIR]
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { checker, launchChromium, startServer, watchErrors } from "./oee_server.mjs";

const [serverBinary, loadgenBinary, shots = tmpdir()] = process.argv.slice(2);
if (!serverBinary || !loadgenBinary) {
  console.error("usage: node dashboard_test.mjs OEE_SERVER_BINARY OEE_LOADGEN_BINARY [SCREENSHOT_DIR]");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const { check, failures } = checker();
const dir = mkdtempSync(join(tmpdir(), "oee-dashboard-"));
const dataDir = join(dir, "data");
const sim = ["--sim", "realistic", "--sim-latency-scale", "0.05"];

const rowStatus = (page, id) => page.getAttribute(`#orders tr[data-id="${id}"]`, "data-status").catch(() => null);
async function waitForRowStatus(page, id, status, timeout = 20000) {
  await page.waitForSelector(`#orders tr[data-id="${id}"][data-status="${status}"]`, { timeout });
}
async function submitFromForm(page, fields) {
  for (const [name, value] of Object.entries(fields)) {
    const tag = await page.$eval(`#order-form [name=${name}]`, e => e.tagName);
    if (tag === "SELECT") await page.selectOption(`#order-form [name=${name}]`, value);
    else await page.fill(`#order-form [name=${name}]`, value);
  }
  await page.click("#order-form button[type=submit]");
  await page.waitForSelector("#submit-result[data-order-id]", { timeout: 10000 });
  const id = await page.getAttribute("#submit-result", "data-order-id");
  await page.$eval("#submit-result", e => delete e.dataset.orderId);
  return id;
}
// Each row one order, each timeline entry one seq.
async function duplicates(page) {
  return page.evaluate(() => {
    const ids = [...document.querySelectorAll("#orders tbody tr")].map(tr => tr.dataset.id);
    return ids.length - new Set(ids).size;
  });
}

let oee, browser, gateway;
let redisStarted = false;
const redisScript = fileURLToPath(new URL("../../tools/redis_server.sh", import.meta.url));
try {
  oee = await startServer(serverBinary, dataDir, [...sim, "--fail-rate", "1"]);
  const api = `http://127.0.0.1:${oee.port}`;
  const port = oee.port;

  // 1. JSON for curl, the page for a browser.
  {
    const plain = await fetch(`${api}/`, { headers: { Accept: "*/*" } });
    const body = await plain.json();
    check(plain.headers.get("content-type").startsWith("application/json") && body.service === "oee",
          `GET / without Accept: text/html answers the status JSON (${plain.headers.get("content-type")})`);
    const html = await fetch(`${api}/`, { headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    check(html.headers.get("content-type").startsWith("text/html") && (await html.text()).includes("/dashboard/app.js"),
          "GET / asking for HTML answers the dashboard");
    const missing = await fetch(`${api}/dashboard/nothing.js`);
    check(missing.status === 404, `a file the dashboard lacks is 404 (${missing.status})`);
  }

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  const errors = watchErrors(page);
  await page.goto(`${api}/`);
  await page.waitForSelector("body[data-stream=open]", { timeout: 10000 });
  check(await page.isHidden("#key-form"), "with authentication off the page asks for no key");
  await page.waitForFunction(() => document.getElementById("quote").textContent.startsWith("quote:"), null,
                             { timeout: 10000 });
  check(/on (raydium|meteora)/.test(await page.textContent("#quote")), "the form shows a quote before submitting");

  // 2. A failed order: the table and dead letters.
  const doomed = await submitFromForm(page, { type: "market", amount: "3" });
  await waitForRowStatus(page, doomed, "failed");
  await page.waitForSelector(`#dlq tr[data-id="${doomed}"]`, { timeout: 10000 });
  const reason = await page.textContent(`#dlq tr[data-id="${doomed}"] .reason`);
  check(/gave up after 3 attempts/.test(reason), `dead letters show why it failed: ${reason}`);
  await page.click(`#orders tr[data-id="${doomed}"]`);
  await page.waitForSelector("#timeline li[data-event=orderFailed]", { timeout: 5000 });
  const retries = await page.$$eval("#timeline li[data-event=attemptFailed]", l => l.length);
  check(retries === 2, `its timeline shows the two failed attempts before the last (${retries})`);
  await page.screenshot({ path: join(shots, "dashboard_dead_letter.png"), fullPage: true });

  // 3. Restart, resume, retry.
  const quiet = errors.length;
  await oee.stop("SIGKILL");
  await page.waitForSelector("body[data-stream=closed]", { timeout: 10000 });
  oee = await startServer(serverBinary, dataDir, [...sim, "--fail-rate", "0"], port);
  await page.waitForSelector("body[data-stream=open]", { timeout: 15000 });
  check(true, "the page reconnected to the restarted server on its own");
  const whileDown = errors.splice(quiet);
  check(whileDown.every(e => /ERR_CONNECTION_REFUSED|WebSocket connection|Failed to load resource/.test(e)),
        `while the server was down the browser logged failed connections only: ${whileDown.join("; ")}`);
  await page.click(`#dlq tr[data-id="${doomed}"] button.retry`);
  await waitForRowStatus(page, doomed, "confirmed");
  check(true, "Retry in dead letters took the failed order to confirmed");
  const seqs = await page.$$eval("#timeline li", items => items.length);
  const logged = (await (await fetch(`${api}/api/orders/${doomed}/events`)).json()).events.length;
  check(seqs === logged, `the retried order's timeline holds each of its ${logged} events once (${seqs})`);

  // 4. A confirmed order from the form and its quotes.
  const good = await submitFromForm(page, { type: "market", amount: "2.5", outputToken: "USDT", slippage: "2" });
  await waitForRowStatus(page, good, "confirmed");
  const row = await page.$$eval(`#orders tr[data-id="${good}"] td`, cells => cells.map(c => c.textContent));
  check(row[3] === "SOL → USDT" && row[4] === "2.5" && /^\d+\.\d+$/.test(row[5]) && /^(raydium|meteora)$/.test(row[6]) &&
        / ms$/.test(row[9]), `the live row shows pair, amounts, venue and latency: ${row.join(" | ")}`);
  await page.click(`#orders tr[data-id="${good}"]`);
  await page.waitForSelector("#timeline li[data-event=confirmed]", { timeout: 5000 });
  const venues = await page.$$eval("#timeline li[data-event=routed] tr[data-dex]", r => r.map(x => x.dataset.dex));
  const chosen = await page.$$eval("#timeline li[data-event=routed] tr.chosen", r => r.map(x => x.dataset.dex));
  check(venues.sort().join() === "meteora,raydium", `the timeline shows both venues' quotes (${venues})`);
  check(chosen.length === 1 && chosen[0] === row[6], `and marks the venue chosen (${chosen})`);
  const events = await page.$$eval("#timeline li", l => l.map(x => x.dataset.event));
  check(events.join() === "submitted,routingStarted,routed,txSubmitted,confirmed", `its events in order: ${events}`);
  check((await page.textContent("#timeline")).includes("txHash"), "the timeline shows the transaction");
  await page.screenshot({ path: join(shots, "dashboard_timeline.png") });

  // A large order splits across both venues: its timeline shows each leg,
  // what it was routed to do and what it did.
  const large = await submitFromForm(page, { type: "market", amount: "2000", outputToken: "USDC", slippage: "5" });
  await waitForRowStatus(page, large, "confirmed");
  await page.click(`#orders tr[data-id="${large}"]`);
  await page.waitForSelector("#timeline li[data-event=confirmed] table.legs", { timeout: 5000 });
  const routedLegs = await page.$$eval("#timeline li[data-event=routed] table.legs tr[data-venue]", r => r.map(x => x.dataset.venue));
  const filledLegs = await page.$$eval("#timeline li[data-event=confirmed] table.legs tr[data-venue]",
                                       r => r.map(x => x.cells[3].textContent));
  check(routedLegs.sort().join() === "meteora,raydium", `a 2,000 SOL order was routed to both venues (${routedLegs})`);
  check(filledLegs.join() === "confirmed,confirmed", `and both its legs confirmed (${filledLegs})`);
  const settled = await page.$$eval("#timeline li[data-event=legSettled]", l => l.length);
  check(settled === 2, `each leg's outcome is in its timeline (${settled})`);
  await page.screenshot({ path: join(shots, "dashboard_split.png") });

  // A limit order and a sniper from the form: they wait, the limit in the
  // book; Amend in the timeline moves its floor, Cancel ends it.
  const limit = await submitFromForm(page, { type: "limit", amount: "4", outputToken: "USDC", minAmountOut: "1000000" });
  await waitForRowStatus(page, limit, "open");
  await page.selectOption("#book-pair", "SOL/USDC");
  await page.waitForFunction(() => [...document.querySelectorAll("#book tbody tr")]
    .some(tr => tr.cells[1]?.textContent === "1" && tr.cells[2]?.textContent === "4"), null, { timeout: 10000 });
  check(true, "the limit order waits open and shows in the book of SOL/USDC");
  await page.click(`#orders tr[data-id="${limit}"]`);
  await page.fill("#timeline-actions input.amend-floor", "900000");
  await page.click("#timeline-actions button.amend");
  await page.waitForSelector("#timeline li[data-event=amended]", { timeout: 10000 });
  await page.waitForFunction(() => [...document.querySelectorAll("#book tbody tr")]
    .some(tr => tr.cells[0]?.textContent === "225000" && tr.cells[2]?.textContent === "4"), null, { timeout: 10000 });
  check(true, "Amend in its timeline moved its floor: the book shows it at 225000 per SOL");
  await page.screenshot({ path: join(shots, "dashboard_amended.png"), fullPage: true });
  await page.click("#timeline-actions button.cancel");
  await waitForRowStatus(page, limit, "cancelled");
  check(true, "Cancel in its timeline cancelled it");
  const sniper = await submitFromForm(page, { type: "sniper", amount: "2", targetToken: "WOOF", maxPrice: "0.0001" });
  await waitForRowStatus(page, sniper, "watching");
  const sniperRow = await page.$$eval(`#orders tr[data-id="${sniper}"] td`, cells => cells.map(c => c.textContent));
  check(sniperRow[2] === "sniper" && sniperRow[3] === "SOL → WOOF", `a sniper from the form watches for WOOF: ${sniperRow}`);

  // A recurring order from the form: 3 slices a second apart. Its timeline
  // shows its progress and each slice's order; each slice's row says whose.
  const recurring = await submitFromForm(page, { type: "recurring", amount: "3", outputToken: "USDC", slippage: "2",
                                                 slices: "3", interval: "1" });
  await waitForRowStatus(page, recurring, "completed");
  await page.click(`#orders tr[data-id="${recurring}"]`);
  await page.waitForFunction(id => document.querySelector("#slices")?.dataset.order === id &&
                                   document.querySelectorAll("#slices tr[data-id]").length === 3 &&
                                   /^3 done/.test(document.querySelector("#slices .progress")?.textContent || ""),
                             recurring, { timeout: 10000 });
  const sliceRows = await page.$$eval("#slices tr[data-id]", r => r.map(x => [x.dataset.id, x.cells[2].textContent]));
  check(sliceRows.every(([, status]) => status === "confirmed"), `its 3 slices' orders confirmed: ${sliceRows.map(r => r[1])}`);
  const progress = await page.textContent("#slices .progress");
  check(/^3 done · 0 skipped · 0 left .* spent 3 SOL · received \d+\.\d+ USDC · average \d+\.\d+/.test(progress),
        `the recurring order's progress: ${progress}`);
  const sliceRow = await page.$$eval(`#orders tr[data-id="${sliceRows[1][0]}"] td`, cells => cells.map(c => c.textContent));
  check(sliceRow[2] === "slice 1" && sliceRow[4] === "1", `a slice's own row says whose it is: ${sliceRow}`);
  await page.screenshot({ path: join(shots, "dashboard_recurring.png"), fullPage: true });
  await page.click(`#slices tr[data-id="${sliceRows[0][0]}"]`);
  await page.waitForSelector("#timeline li[data-event=confirmed]", { timeout: 5000 });
  check(!(await page.$("#slices tr")), "clicking a slice opens its own timeline");

  // 5. 1,000 orders/s for 5 s.
  const rate = Number(process.env.OEE_LOAD_RATE || 1000);
  const load = spawnSync(loadgenBinary, ["--target", api, "--rate", String(rate), "--duration", "5",
                                         "--orders", String(rate * 5),
                                         "--drain", "30", "--json"], { encoding: "utf8", timeout: 90000 });
  check(load.status === 0, `${rate} orders/s ran for 5 s (${load.stderr.trim().slice(-200)})`);
  const head = (await (await fetch(`${api}/health`)).json()).log.head;
  await page.waitForFunction(seq => Number(document.getElementById("connection").dataset.seq) >= seq, head, { timeout: 30000 });
  check(true, `the page received the stream up to the log's head (${head}) after the load`);
  const after = await (await fetch(`${api}/api/orders/execute`, { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputToken: "SOL", outputToken: "USDC", amount: 1 }) })).json();
  await waitForRowStatus(page, after.orderId, "confirmed");
  const top = await page.getAttribute("#orders tbody tr:first-child", "data-id");
  check(top === after.orderId, "an order submitted after the load is the table's first row, confirmed");
  const shown = await page.$$eval("#orders tbody tr", r => r.length);
  check(shown === 100, `the table is capped at 100 rows (${shown})`);
  check(await duplicates(page) === 0, "no order shows twice");
  const drawn = await page.$eval("#throughput", c => {
    const g = c.getContext("2d");
    const { data } = g.getImageData(0, 0, c.width, c.height);
    let green = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 1] > 100 && data[i] < 60 && data[i + 2] < 90) green++;
    return green;
  });
  check(drawn > 50, `the throughput chart draws the confirmed line (${drawn} px)`);
  // The README's picture: the top of the page, the newest order's timeline.
  await page.selectOption("#order-form [name=type]", "market");
  await page.click(`#orders tr[data-id="${after.orderId}"]`);
  await page.evaluate(() => window.scrollTo(0, 0));
  const ticks = await page.getAttribute("#throughput", "data-drawn");
  await page.waitForFunction(n => document.getElementById("throughput").dataset.drawn !== n, ticks);  // charts redrawn
  await page.screenshot({ path: join(shots, "dashboard.png") });
  check(errors.length === 0, `no errors in the page: ${errors.join("; ")}`);
  await page.close();

  // A page opened now charts the whole load at once: its stream starts with
  // the newest 5,000 events (at 1,000/s, a fifth of the load), the rest
  // comes from the server's figures (/api/stats).
  const fresh = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  const freshErrors = watchErrors(fresh);
  await fresh.goto(`${api}/`);
  await fresh.waitForSelector("body[data-stream=open]", { timeout: 10000 });
  const charted = () => fresh.getAttribute("#throughput", "data-submitted").then(Number);
  await fresh.waitForFunction(n => Number(document.getElementById("throughput").dataset.submitted) >= n, rate * 5,
                              { timeout: 5000 }).catch(() => {});
  const submittedCharted = await charted();
  check(submittedCharted >= rate * 5, `a page opened after the load charts all its ${rate * 5} submits at once ` +
        `(${submittedCharted})`);
  check(freshErrors.length === 0, `no errors in the fresh page: ${freshErrors.join("; ")}`);
  await fresh.close();
  await oee.stop();

  // 6. Authentication on: the key field, and a key's own orders only.
  const admin = randomBytes(32).toString("hex");
  oee = await startServer(serverBinary, join(dir, "auth"), [...sim, "--admin-key", admin]);
  const authApi = `http://127.0.0.1:${oee.port}`;
  const asAdmin = { "Content-Type": "application/json", Authorization: `Bearer ${admin}` };
  const made = await (await fetch(`${authApi}/api/keys`, { method: "POST", headers: asAdmin,
    body: JSON.stringify({ name: "desk", scopes: ["orders:read", "orders:write"] }) })).json();
  const other = await (await fetch(`${authApi}/api/orders/execute`, { method: "POST", headers: asAdmin,
    body: JSON.stringify({ inputToken: "SOL", outputToken: "USDC", amount: 1 }) })).json();
  const keyed = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  const keyedErrors = watchErrors(keyed);
  const socketUrls = [];
  keyed.on("websocket", ws => socketUrls.push(ws.url()));
  await keyed.goto(`${authApi}/`);
  await keyed.waitForSelector("#key-form:not([hidden])", { timeout: 10000 });
  await keyed.fill("#key-form input[name=key]", made.key);
  await keyed.click("#key-form button");
  await keyed.waitForSelector("body[data-stream=open]", { timeout: 10000 });
  check(socketUrls.length > 0 && socketUrls.every(u => !u.includes(made.key)) &&
        socketUrls.every(u => /[?&]ticket=oee_wst_[0-9a-f]{64}$/.test(u)),
        `the page's WebSocket opens with a ticket, the key kept out of its URL: ${socketUrls.join(", ")}`);
  const mine = await submitFromForm(keyed, { type: "market", amount: "1" });
  await waitForRowStatus(keyed, mine, "confirmed");
  check(await rowStatus(keyed, other.orderId) === null, "the key's page does not show the admin's order");
  const stored = await keyed.evaluate(() => sessionStorage.getItem("oee.apiKey"));
  check(stored === made.key, "the key is kept in sessionStorage");
  check(keyedErrors.length === 0, `no errors in the key's page: ${keyedErrors.join("; ")}`);
  await keyed.close();
  await oee.stop();

  // 7. The page a gateway serves: an order submitted on the core moves on
  // the gateway's page, fed by Redis.
  const redisDir = join(dir, "redis");
  const redis = spawnSync(redisScript, ["start", redisDir], { encoding: "utf8" });
  check(redis.status === 0, `a Redis for the gateway starts: ${redis.stderr}`);
  redisStarted = redis.status === 0;
  const redisUrl = redis.stdout.trim();
  oee = await startServer(serverBinary, join(dir, "core"), [...sim, "--fail-rate", "0", "--redis-url", redisUrl]);
  gateway = await startServer(serverBinary, join(dir, "gateway"), ["--role", "gateway", "--redis-url", redisUrl,
    "--core-url", `http://127.0.0.1:${oee.port}`]);
  const edge = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  const edgeErrors = watchErrors(edge);
  await edge.goto(`http://127.0.0.1:${gateway.port}/`);
  await edge.waitForSelector("body[data-stream=open]", { timeout: 10000 });
  const role = await edge.textContent("#role");
  check(role.startsWith("gateway"), `the gateway's page says it is one (${role})`);
  const onCore = await (await fetch(`http://127.0.0.1:${oee.port}/api/orders/execute`, { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputToken: "SOL", outputToken: "USDC", amount: "1" }) })).json();
  await waitForRowStatus(edge, onCore.orderId, "confirmed");
  check(true, "an order submitted on the core reaches confirmed on the gateway's page");
  check(await edge.isHidden("#submit-panel"), "the gateway's page has no submit form (REST goes to the core)");
  await edge.screenshot({ path: join(shots, "dashboard-gateway.png") });
  check(edgeErrors.length === 0, `no errors in the gateway's page: ${edgeErrors.join("; ")}`);
  await edge.close();
} catch (e) {
  check(false, `the run ended early: ${e.stack || e}`);
} finally {
  await browser?.close();
  await gateway?.stop();
  await oee?.stop();
  if (redisStarted) spawnSync(redisScript, ["stop", join(dir, "redis")]);
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures.length === 0 ? "all dashboard checks passed" : `${failures.length} dashboard check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
