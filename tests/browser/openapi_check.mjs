// The API description cannot drift from the server: the document served at
// GET /openapi.json is valid OpenAPI 3.1, and every answer the e2e suite
// recorded (OEE_RECORD_RESPONSES, see tests/e2e/harness.cpp) is described
// by it: its route and method, its status, its content type and, for JSON,
// its body against the response's schema.
// Usage: node openapi_check.mjs OEE_SERVER_BINARY RESPONSES_DIR
// Exit 77 (skipped) when nothing was recorded.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { checker, startServer } from "./oee_server.mjs";

const [serverBinary, recordings] = process.argv.slice(2);
if (!serverBinary || !recordings) {
  console.error("usage: node openapi_check.mjs OEE_SERVER_BINARY RESPONSES_DIR");
  process.exit(2);
}
let Validator, Ajv2020, addFormats;
try {
  ({ Validator } = await import("@seriousme/openapi-schema-validator"));
  ({ default: Ajv2020 } = await import("ajv/dist/2020.js"));
  ({ default: addFormats } = await import("ajv-formats"));
} catch {
  console.error("the validators are missing: run `make test`, or `npm ci --prefix tests/browser`");
  process.exit(2);
}
const { check, failures } = checker();

// The document as the server serves it.
const dataDir = mkdtempSync(join(tmpdir(), "oee-openapi-"));
let doc;
const oee = await startServer(serverBinary, join(dataDir, "data"), ["--sim", "fast"]);
try {
  const res = await fetch(`http://127.0.0.1:${oee.port}/openapi.json`);
  check(res.status === 200 && res.headers.get("content-type").startsWith("application/json"),
        `GET /openapi.json answers JSON (${res.status} ${res.headers.get("content-type")})`);
  doc = await res.json();
} finally {
  await oee.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const validation = await new Validator().validate(doc);
check(validation.valid, `the document is valid OpenAPI ${doc.openapi}: ${JSON.stringify(validation.errors || "")}`);
check(doc.openapi?.startsWith("3.1"), `it is OpenAPI 3.1 (${doc.openapi})`);

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, "openapi.json");

const resolve = object => {
  let o = object;
  while (o && o.$ref) o = o.$ref.slice(2).split("/").map(p => p.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((at, key) => at[key], doc);
  return o;
};
const pointer = parts => "openapi.json#/" + parts.map(p => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

// Path templates, the most literal first: /api/dlq/stats before /api/dlq/{id}.
const templates = Object.keys(doc.paths).map(template => {
  const parts = template.split("/").filter(Boolean);
  const regex = new RegExp("^/" + parts.map(p => (p.startsWith("{") ? "[^/]+" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/") + "$");
  return { template, regex, literal: parts.filter(p => !p.startsWith("{")).length };
}).sort((a, b) => b.literal - a.literal);

const errorSchema = { $ref: "openapi.json#/components/schemas/Error" };
const compiled = new Map();
const validator = ref => {
  const key = JSON.stringify(ref);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(ref));
  return compiled.get(key);
};

const files = readdirSync(recordings).filter(f => f.endsWith(".jsonl"));
const lines = files.flatMap(f => readFileSync(join(recordings, f), "utf8").split("\n").filter(Boolean))
  .map(l => JSON.parse(l));
if (lines.length === 0) {
  console.log(`nothing recorded in ${recordings}: run the e2e tests (ctest -L e2e) to check real answers`);
  process.exit(failures.length ? 1 : 77);
}

const covered = new Set();
const problems = new Map();  // one line per kind of problem, with a count
const problem = (kind, example) => {
  const p = problems.get(kind) || { count: 0, example };
  p.count++;
  problems.set(kind, p);
};
for (const r of lines) {
  const path = r.target.split("?")[0];
  const match = templates.find(t => t.regex.test(path));
  const method = r.method.toLowerCase();
  const operation = match && doc.paths[match.template][method];
  const type = (r.contentType || "").split(";")[0].trim();
  if (!operation) {
    if (r.status === 404 || r.status === 405 || r.status === 400) {
      // Unknown routes and bad targets still answer the error shape.
      let body = null;
      try { body = JSON.parse(r.body); } catch { /* reported below */ }
      if (!validator(errorSchema)(body)) problem(`${r.status} for an unknown route is not an Error`, r.target);
    } else {
      problem(`undocumented route: ${r.method} ${match ? match.template : path}`, `${r.status} ${r.target}`);
    }
    continue;
  }
  const name = `${r.method} ${match.template}`;
  covered.add(name);
  const responses = operation.responses || {};
  const key = [String(r.status), `${String(r.status)[0]}XX`, "default"].find(k => responses[k]);
  if (!key) {
    problem(`${name}: status ${r.status} not documented`, r.body.slice(0, 200));
    continue;
  }
  const response = resolve(responses[key]);
  const content = response.content || {};
  if (!r.body && Object.keys(content).length === 0) continue;
  if (!content[type]) {
    problem(`${name} ${r.status}: content type ${type} not documented`, r.target);
    continue;
  }
  if (type !== "application/json") continue;
  let body;
  try {
    body = JSON.parse(r.body);
  } catch {
    problem(`${name} ${r.status}: the body is not JSON`, r.body.slice(0, 200));
    continue;
  }
  const schema = content[type].schema;
  if (!schema) continue;
  // The schema where it stands in the document, so its $refs resolve.
  const refName = responses[key].$ref ? responses[key].$ref.slice(2).split("/") : ["paths", match.template, method,
    "responses", key];
  const validate = validator({ $ref: pointer([...refName, "content", type, "schema"]) });
  if (!validate(body)) {
    problem(`${name} ${r.status}: ${ajv.errorsText(validate.errors)}`, r.body.slice(0, 300));
  }
}
for (const [kind, { count, example }] of problems) check(false, `${kind} (${count}×), e.g. ${example}`);
check(problems.size === 0, `${lines.length} recorded answers from ${files.length} test processes match the description`);

const operations = Object.entries(doc.paths).flatMap(([p, item]) =>
  Object.keys(item).filter(m => ["get", "post", "put", "delete", "patch"].includes(m)).map(m => `${m.toUpperCase()} ${p}`));
const uncovered = operations.filter(o => !covered.has(o));
console.log(`answers checked for ${operations.length - uncovered.length} of ${operations.length} operations` +
            (uncovered.length ? `; none recorded for: ${uncovered.join(", ")}` : ""));
console.log(failures.length === 0 ? "the description matches" : `${failures.length} check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
