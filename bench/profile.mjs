// Where a call's CPU goes: runs one call repeatedly on the zero-latency fleet under the V8
// sampling profiler and prints self time per phase of the plugin's work and the top functions.
//   node bench/profile.mjs [tool] [nodes] [reps] [shape]     e.g. node bench/profile.mjs claw_workloads 1000 20 realistic
// For wasm function names, point BENCH_PLUGIN at a build that keeps its name section
// (bench/profile.sh does both). Writes the raw profile to $BENCH_PROFILE_DIR [the temp dir]/
// <tool>-<shape>-<nodes>.cpuprofile (open it in Chrome DevTools, or speedscope).
import { Session } from "node:inspector/promises";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { CALLS, benchFleet, registeredHost, runCall, pluginConfigFromEnv } from "./lib.mjs";

const tool = process.argv[2] ?? "claw_workloads";
const N = Number(process.argv[3] ?? 1000);
const reps = Number(process.argv[4] ?? 20);
const shape = process.argv[5] ?? "realistic";
const call = CALLS.find((c) => c.tool === tool);
if (!call) throw new Error(`unknown call ${tool}`);

const fleet = benchFleet(N, shape, { zeroLatency: true });
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

mkdirSync(process.env.BENCH_PROFILE_DIR ?? tmpdir(), { recursive: true });
const file = join(process.env.BENCH_PROFILE_DIR ?? tmpdir(), `${tool}-${shape}-${N}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));

// The phases of the plugin's work per node, from a function's name and where it lives.
const PHASES = [
  ["plugin: result serialisation", (f) => /serde_json::ser|to_tool_result|Serialize|serialize|itoa|ryu|format_escaped_str|summary::|write_str|fmt::/.test(f)],
  ["plugin: parsing payloads", (f) => /serde_json::de|Deserialize|deserialize|node::(health|gpu|workload|caps|facts)|parse_list|parse_metrics|check_payload|serde_path_to_error|from_str|from_slice|transport::/.test(f)],
  ["plugin: aggregation / assessment", (f) => /assess|fleet::|placement|holds|monitor|alerts|probe|io::facts|inventory|workloads|status::/.test(f)],
  ["plugin: fan-out / futures", (f) => /fanout|futures|Limiter|Session|wasm_bindgen_futures|task|waker|Waker|poll/.test(f)],
  ["plugin: memory (alloc/free/copy)", (f) => /dlmalloc|malloc|free|realloc|alloc|memcpy|memmove|memset|drop_in_place|Rc|clone/.test(f)],
];
const where = (cf) => {
  const u = cf.url || "";
  const f = cf.functionName || "";
  if (u.startsWith("wasm://") || /wasm-function/.test(f) || f.startsWith("$")) {
    for (const [name, test] of PHASES) if (test(f)) return name;
    return "plugin: wasm, other";
  }
  if (u.includes("/pkg/")) return "plugin: boundary (wasm-bindgen glue)";
  if (u.includes("/js-shim/host.js")) return "plugin: boundary (shim adapters: payload JSON.stringify, params JSON.parse)";
  if (u.includes("/js-shim/")) return "plugin: shim (index.js: result JSON.parse, register)";
  if (u.includes("fake-openclaw")) return "fake host";
  if (u.includes("/bench/")) return "bench harness";
  if (f === "(garbage collector)") return "GC";
  if (f.startsWith("(")) return f;
  return `builtins (${f || "anonymous"})`;
};
// self time per profile node = samples × interval; builtins (JSON.parse, JSON.stringify, …) are
// charged to the JS frame that called them, so the shim's JSON.parse shows under the shim.
const dt = (profile.endTime - profile.startTime) / profile.samples.length;
const self = new Map(profile.nodes.map((n) => [n.id, 0]));
for (const id of profile.samples) self.set(id, self.get(id) + dt);
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const owner = (n) => {
  let cur = n;
  while (cur && !cur.callFrame.url && !cur.callFrame.functionName.startsWith("(")) cur = parent.get(cur.id);
  return cur ?? n;
};
const byFn = new Map();
const byWhere = new Map();
let total = 0;
for (const n of profile.nodes) {
  const t = self.get(n.id);
  if (!t) continue;
  total += t;
  const o = owner(byId.get(n.id));
  const w = where(o.callFrame);
  const cf = n.callFrame;
  const line = cf.url && !cf.url.startsWith("wasm") && cf.lineNumber >= 0 ? `:${cf.lineNumber + 1}` : "";
  const fileName = cf.url && !cf.url.startsWith("wasm") ? ` ${cf.url.split("/").pop()}${line}` : "";
  const key = `${cf.functionName || "(anonymous)"}${o !== n ? ` ← ${o.callFrame.functionName || "(anonymous)"}` : ""}  [${w}${fileName}]`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  byWhere.set(w, (byWhere.get(w) ?? 0) + t);
}
const us = (t) => (t / reps / N).toFixed(2);
console.log(`${tool} at N=${N} (${shape}), ${reps} calls, zero latency: ${(total / reps / 1000).toFixed(1)} ms CPU per call sampled, ${us(total)} µs per node`);
console.log("\nby phase (µs per node per call):");
for (const [w, t] of [...byWhere].sort((a, b) => b[1] - a[1])) console.log(`  ${us(t).padStart(8)}  ${w}`);
console.log("\ntop functions by self time (µs per node per call):");
for (const [f, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${us(t).padStart(8)}  ${f.slice(0, 200)}`);
console.log(`\nprofile: ${file}`);
process.exit(0);
