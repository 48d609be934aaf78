// Where a call's CPU goes: runs one call repeatedly on the zero-latency fleet under the V8
// profiler and prints the functions with the most self time, grouped by where they live.
//   node bench/profile.mjs [tool] [nodes] [reps]      e.g. node bench/profile.mjs claw_workloads 1000 20
// Writes the raw profile to bench/results/<tool>-<nodes>.cpuprofile (open it in Chrome DevTools).
import { Session } from "node:inspector/promises";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CALLS, ROOT, benchFleet, registeredHost, runCall, pluginConfigFromEnv } from "./lib.mjs";

const tool = process.argv[2] ?? "claw_workloads";
const N = Number(process.argv[3] ?? 1000);
const reps = Number(process.argv[4] ?? 20);
const call = CALLS.find((c) => c.tool === tool);
if (!call) throw new Error(`unknown call ${tool}`);

const fleet = benchFleet(N, { zeroLatency: true });
const host = await registeredHost(fleet, pluginConfigFromEnv());
fleet.setRecording(false);
for (let i = 0; i < 2; i++) { await runCall(host, call); await fleet.idle(); }

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
for (let i = 0; i < reps; i++) { await runCall(host, call); await fleet.idle(); }
const { profile } = await session.post("Profiler.stop");
session.disconnect();

mkdirSync(join(ROOT, "bench/results"), { recursive: true });
const file = join(ROOT, "bench/results", `${tool}-${N}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));

// self time per node = samples x interval
const dt = (profile.endTime - profile.startTime) / profile.samples.length;
const self = new Map(profile.nodes.map((n) => [n.id, 0]));
for (const id of profile.samples) self.set(id, self.get(id) + dt);
const where = (cf) => {
  const u = cf.url || "";
  if (u.includes("/pkg/")) return "plugin: wasm glue (pkg/*.js)";
  if (u.startsWith("wasm://") || cf.functionName.startsWith("$") || /wasm-function/.test(cf.functionName)) return "plugin: wasm";
  if (u.includes("/js-shim/")) return "plugin: js-shim";
  if (u.includes("fake-openclaw")) return "fake host";
  if (u.includes("/bench/")) return "bench harness";
  if (u.startsWith("node:") || u === "") return cf.functionName === "(garbage collector)" ? "GC" : cf.functionName.startsWith("(") ? cf.functionName : "node internals / builtins";
  return u;
};
const byFn = new Map();
const byWhere = new Map();
let total = 0;
for (const n of profile.nodes) {
  const t = self.get(n.id);
  if (!t) continue;
  total += t;
  const w = where(n.callFrame);
  const line = n.callFrame.url && !n.callFrame.url.startsWith("node:") && n.callFrame.lineNumber >= 0 ? `:${n.callFrame.lineNumber + 1}` : "";
  const file = n.callFrame.url ? n.callFrame.url.split("/").pop() : "";
  const key = `${n.callFrame.functionName || "(anonymous)"}  [${w}${file && !w.startsWith("plugin: wasm") || w.includes("glue") ? ` ${file}${line}` : ""}]`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  byWhere.set(w, (byWhere.get(w) ?? 0) + t);
}
const us = (t) => (t / reps / N).toFixed(2);
console.log(`${tool} at N=${N}, ${reps} calls, zero latency: ${(total / reps / 1000).toFixed(1)} ms CPU per call sampled, ${us(total)} µs per node`);
console.log("\nby where (µs per node per call):");
for (const [w, t] of [...byWhere].sort((a, b) => b[1] - a[1])) console.log(`  ${us(t).padStart(8)}  ${w}`);
console.log("\ntop functions by self time (µs per node per call):");
for (const [f, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${us(t).padStart(8)}  ${f}`);
console.log(`\nprofile: ${file}`);
process.exit(0);
