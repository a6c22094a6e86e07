// The real oee-server for browser tests: a child process on a free port
// (or a given one, to restart in place), in a data directory of the test's.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Resolves to { child, port, stop() } once the server prints LISTENING. */
export function startServer(binary, dataDir, args = [], port = 0) {
  const child = spawn(binary, ["--data-dir", dataDir, "--port", String(port), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("oee-server did not print LISTENING within 30 s")), 30000);
    child.once("exit", code => reject(new Error(`oee-server exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).on("line", line => {
      const m = /^LISTENING (.+):(\d+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      const stop = (signal = "SIGTERM") => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise(r => child.once("exit", r));
        child.kill(signal);
        return exited;
      };
      resolve({ child, port: Number(m[2]), stop });
    });
  });
}

/** A check that prints its outcome and remembers failures. */
export function checker() {
  const failures = [];
  const check = (ok, what) => {
    console.log(`${ok ? "ok" : "FAILED"}: ${what}`);
    if (!ok) failures.push(what);
  };
  return { check, failures };
}

/** Collects a page's uncaught errors and console errors. */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", e => errors.push(e.message));
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  return errors;
}

/** Debian's chromium (or $OEE_CHROMIUM) under playwright-core; exits 2 if that is missing. */
export async function launchChromium() {
  let chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch {
    console.error("playwright-core is missing: run `make test`, or `npm ci --prefix tests/browser`");
    process.exit(2);
  }
  return chromium.launch({ executablePath: process.env.OEE_CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
}
