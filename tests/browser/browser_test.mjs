// oee in a real browser (Debian's chromium, driven by playwright-core):
//  1. a page served from another loopback origin, written as the reference
//     services' test page reads the stream, submits with fetch and follows
//     its order on /ws (no subprotocol) to confirmed;
//  2. the server's own /test page submits an order and shows its stream.
// Usage: node browser_test.mjs OEE_SERVER_BINARY [SCREENSHOT_DIR]
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { checker, launchChromium, startServer, watchErrors } from "./oee_server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [serverBinary, shots = tmpdir()] = process.argv.slice(2);
if (!serverBinary) {
  console.error("usage: node browser_test.mjs OEE_SERVER_BINARY [SCREENSHOT_DIR]");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const { check, failures } = checker();

// Another origin: the same host on another port.
function startPageServer() {
  const page = readFileSync(join(here, "reference_page.html"));
  const server = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page);
  });
  return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const dataDir = mkdtempSync(join(tmpdir(), "oee-browser-"));
let oee, pages, browser;
try {
  oee = await startServer(serverBinary, join(dataDir, "data"), ["--sim", "fast"]);
  pages = await startPageServer();
  const api = `http://127.0.0.1:${oee.port}`;
  browser = await launchChromium();

  {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const origin = `http://127.0.0.1:${pages.address().port}`;
    await page.goto(`${origin}/?api=${encodeURIComponent(api)}`);
    await page.waitForSelector("body[data-done]", { timeout: 20000 });
    const done = await page.getAttribute("body", "data-done");
    const lines = await page.$$eval("#log li", items => items.map(li => li.textContent));
    await page.screenshot({ path: join(shots, "reference_page.png"), fullPage: true });
    check(done === "CONFIRMED", `the reference page from ${origin} followed its order to CONFIRMED (got ${done})`);
    const statuses = lines.filter(l => /^[A-Z]+$/.test(l));
    check(JSON.stringify(statuses) === JSON.stringify(["PENDING", "ROUTING", "BUILDING", "SUBMITTED", "CONFIRMED"]),
          `it saw every status once, in order: ${statuses.join(" ")}`);
    check(lines.some(l => /^price \d+\.\d{4} tx \S+$/.test(l)), "executedPrice is a number it can format");
    check(lines[0] === "service oee ok", `the page read /health across origins: ${lines[0]}`);
    check(lines[1]?.includes("(HTTP 202)"), `the cross-origin submit was answered 202: ${lines[1]}`);
    check(errors.length === 0, `no errors in the page: ${errors.join("; ")}`);
    await page.close();
  }

  {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const errors = watchErrors(page);
    const served = await page.goto(`${api}/test`);
    const policy = served.headers()["content-security-policy"] ?? "";
    check(policy.includes("frame-ancestors 'none'") && /script-src 'sha256-[A-Za-z0-9+/=]+'/.test(policy),
          `/test has a Content-Security-Policy: ${policy}`);
    await page.waitForFunction(() => document.getElementById("quote").textContent.startsWith("best now"),
                               null, { timeout: 10000 });
    await page.fill("input[name=amount]", "2.5");
    await page.selectOption("select[name=outputToken]", "USDT");
    await page.click("button[type=submit]");
    await page.waitForSelector("section.order tr[data-status=confirmed]", { timeout: 20000 });
    const events = await page.$$eval("section.order tbody tr", rows => rows.map(r => r.cells[1].textContent));
    const heading = await page.textContent("section.order h2");
    await page.screenshot({ path: join(shots, "test_page.png"), fullPage: true });
    check(JSON.stringify(events) === JSON.stringify(["submitted", "routingStarted", "routed", "txSubmitted", "confirmed"]),
          `/test showed the order's events: ${events.join(" ")}`);
    check(heading.startsWith("2.5 SOL → USDT"), `/test names the order it submitted: ${heading}`);
    check(errors.length === 0, `no errors in /test: ${errors.join("; ")}`);
    const bad = await page.evaluate(async () => {
      document.querySelector("input[name=amount]").value = "-1";
      document.querySelector("button[type=submit]").click();
      for (let i = 0; i < 100 && !document.getElementById("problem").textContent; ++i) {
        await new Promise(r => setTimeout(r, 50));
      }
      return document.getElementById("problem").textContent;
    });
    check(/invalid_amount/.test(bad), `/test shows a refused order's error: ${bad}`);
    // Its policy holds: a script injected into the page does not run.
    const injected = await page.evaluate(async () => {
      const s = document.createElement("script");
      s.textContent = "window.injectedRan = true;";
      document.body.appendChild(s);
      await new Promise(r => setTimeout(r, 100));
      return window.injectedRan === true;
    });
    check(!injected, "a script injected into /test ran: its Content-Security-Policy does not hold");
    await page.close();
  }
} catch (e) {
  check(false, `the run ended early: ${e.stack || e}`);
} finally {
  await browser?.close();
  pages?.close();
  await oee?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(failures.length === 0 ? "all browser checks passed" : `${failures.length} browser check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
