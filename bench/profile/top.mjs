// Sums Go CPU profiles (pprof, as nats-server's prof_port serves them) and
// prints where the time went: the functions by flat and by cumulative share
// of the samples, and the samples split by what the goroutine was doing.
//
//   node bench/profile/top.mjs [--top N] PROFILE.pb.gz...
//
// Needs `npm ci --prefix bench/profile`.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { Profile } from "pprof-format";

const args = process.argv.slice(2);
let top = 25;
if (args[0] === "--top") { top = Number(args[1]); args.splice(0, 2); }
if (args.length === 0 || !Number.isInteger(top) || top <= 0) {
  console.error("usage: top.mjs [--top N] PROFILE.pb.gz...");
  process.exit(2);
}

// What a sample's goroutine was doing: the first of these rules that any of
// its frames matches.
const activities = [
  ["storing messages (file store)", /\(\*fileStore\)\.|\(\*msgBlock\)\./],
  ["replicating (raft: proposals, appends, votes)", /\(\*raft\)\.|\(\*jetStream\)\.applyStreamEntries|\(\*jetStream\)\.monitorStream|\(\*stream\)\.processClusteredInboundMsg/],
  ["consumers and their acks", /\(\*consumer\)\./],
  ["JetStream API requests", /\(\*jetStream\)\.|\(\*Server\)\.jsStream|\(\*Server\)\.jsMsgGet|\(\*Server\)\.jsConsumer/],
  ["a stream's leader taking a message", /\(\*stream\)\./],
  ["reading, routing and writing messages (clients, routes)", /\(\*client\)\.|\(\*Server\)\.|\(\*Sublist\)\./],
  ["garbage collection", /^runtime\.gc|^runtime\.markroot|^runtime\.scanobject|^runtime\.bgsweep|^runtime\.bgscavenge/],
  ["scheduler, idle", /^runtime\.(schedule|findRunnable|findrunnable|mcall|park_m|netpoll|futex|notesleep|stopm)/],
];

const functions = new Map();    // name -> flat, cum samples
const byActivity = new Map();
let total = 0, seconds = 0;
for (const path of args) {
  const p = Profile.decode(gunzipSync(readFileSync(path)));
  const str = (i) => p.stringTable.strings[Number(i)];
  const cpu = p.sampleType.findIndex((t) => str(t.type) === "cpu");
  if (cpu < 0) { console.error(`${path}: not a CPU profile`); process.exit(1); }
  seconds += Number(p.durationNanos) / 1e9;
  const fn = new Map(p.function.map((f) => [Number(f.id), str(f.name)]));
  const loc = new Map(p.location.map((l) => [Number(l.id), l.line.map((ln) => fn.get(Number(ln.functionId)))]));
  for (const s of p.sample) {
    const v = Number(s.value[cpu]);
    total += v;
    const frames = s.locationId.flatMap((id) => loc.get(Number(id)) ?? []);
    const seen = new Set();
    frames.forEach((name, i) => {
      const e = functions.get(name) ?? { flat: 0, cum: 0 };
      if (i === 0) e.flat += v;
      if (!seen.has(name)) { e.cum += v; seen.add(name); }
      functions.set(name, e);
    });
    const hit = activities.find(([, re]) => frames.some((f) => re.test(f)));
    const what = hit ? hit[0] : "other";
    byActivity.set(what, (byActivity.get(what) ?? 0) + v);
  }
}

const pct = (v) => (100 * v / total).toFixed(1).padStart(5) + " %";
console.log(`${args.length} profile(s), ${seconds.toFixed(0)} s of wall time, ${(total / 1e9).toFixed(2)} s of CPU sampled`);
console.log("\nby what the goroutine was doing (the first rule its stack matches, in this order):");
[...byActivity].sort((a, b) => b[1] - a[1]).forEach(([k, v]) => console.log(`  ${pct(v)}  ${k}`));
for (const key of ["flat", "cum"]) {
  console.log(`\ntop ${top} functions by ${key === "flat" ? "own (flat)" : "cumulative"} samples:`);
  [...functions].sort((a, b) => b[1][key] - a[1][key]).slice(0, top)
    .forEach(([name, e]) => console.log(`  ${pct(e[key])}  ${name}`));
}
