// What the dashboard costs the browser while orders flow: the page's
// main-thread busy time (Chromium's own TaskDuration, ScriptDuration,
// LayoutDuration) per second of wall time and per status message, at a
// given submit rate against `oee-server --sim fast`.
//
//   node bench/dashboard_load.mjs build/bin/oee-server build/bin/oee-loadgen [RATE=1000] [SECONDS=10]
//
// Needs playwright-core (`npm ci --prefix tests/browser`) and Debian's chromium.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { startServer } = await import(join(here, "../tests/browser/oee_server.mjs"));
const require = createRequire(join(here, "../tests/browser/package.json"));
const { chromium } = require("playwright-core");

const [server, loadgen, rate = "1000", seconds = "10"] = process.argv.slice(2);
if (!server || !loadgen) {
  console.error("usage: node bench/dashboard_load.mjs OEE_SERVER OEE_LOADGEN [RATE] [SECONDS]");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "oee-dashboard-bench-"));
const oee = await startServer(server, join(dir, "data"), ["--sim", "fast"]);
const browser = await chromium.launch({ executablePath: process.env.OEE_CHROMIUM || "/usr/bin/chromium",
                                        args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const api = `http://127.0.0.1:${oee.port}`;
  await page.goto(`${api}/`);
  await page.waitForSelector("body[data-stream=open]");
  const metrics = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics
    .map(m => [m.name, m.value]));
  const frames = () => page.evaluate(() => new Promise(resolve => {
    let n = 0;
    const start = performance.now();
    const tick = () => (performance.now() - start < 1000 ? (n++, requestAnimationFrame(tick)) : resolve(n));
    requestAnimationFrame(tick);
  }));

  const before = await metrics();
  const t0 = Date.now();
  const load = spawnSync(loadgen, ["--target", api, "--rate", rate, "--duration", seconds,
                                   "--orders", String(Number(rate) * Number(seconds)), "--drain", "30", "--json"],
                         { encoding: "utf8" });
  if (load.status !== 0) throw new Error(`oee-loadgen failed: ${load.stderr}`);
  const head = (await (await fetch(`${api}/health`)).json()).log.head;
  await page.waitForFunction(seq => Number(document.getElementById("connection").dataset.seq) >= seq, head, { timeout: 60000 });
  const wall = (Date.now() - t0) / 1000;
  const after = await metrics();
  const fps = await frames();
  const d = k => after[k] - before[k];
  console.log(JSON.stringify({
    rate: Number(rate), seconds: Number(seconds), events: head, wallSeconds: +wall.toFixed(2),
    busyPerSecond: +(d("TaskDuration") / wall).toFixed(3),
    scriptPerSecond: +(d("ScriptDuration") / wall).toFixed(3),
    layoutPerSecond: +(d("LayoutDuration") / wall).toFixed(3),
    microsecondsPerEvent: +((d("TaskDuration") * 1e6) / head).toFixed(1),
    framesPerSecondAfter: fps,
    jsHeapMB: +(after.JSHeapUsedSize / 1e6).toFixed(1),
  }));
} finally {
  await browser.close();
  await oee.stop();
  rmSync(dir, { recursive: true, force: true });
}
