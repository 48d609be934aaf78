// Where a call's CPU goes: runs one call repeatedly on the zero-latency fleet under the V8
// sampling profiler and prints self time per phase of the plugin's work and the top functions.
//   node bench/profile.mjs [tool] [nodes] [reps] [shape]     e.g. node bench/profile.mjs claw_workloads 1000 20 realistic
//   node bench/profile.mjs --analyze FILE.cpuprofile tool nodes reps     (a profile written earlier)
// For wasm function names, point BENCH_PLUGIN at a build that keeps its name section
// (bench/profile.sh does both). Writes the raw profile to $BENCH_PROFILE_DIR [the temp dir]/
// <tool>-<shape>-<nodes>.cpuprofile (open it in Chrome DevTools, or speedscope).
import { Session } from "node:inspector/promises";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { CALLS, benchFleet, registeredHost, runCall, pluginConfigFromEnv } from "./lib.mjs";

// `--analyze FILE.cpuprofile tool nodes reps`: the same report for a profile written earlier.
const analyze = process.argv[2] === "--analyze" ? process.argv[3] : null;
const argv = analyze ? process.argv.slice(4) : process.argv.slice(2);
const tool = argv[0] ?? "claw_workloads";
const N = Number(argv[1] ?? 1000);
const reps = Number(argv[2] ?? 20);
const shape = argv[3] ?? "realistic";
const call = CALLS.find((c) => c.tool === tool);
if (!call) throw new Error(`unknown call ${tool}`);

let profile;
let file = analyze;
if (analyze) {
  profile = JSON.parse(readFileSync(analyze, "utf8"));
} else {
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
  ({ profile } = await session.post("Profiler.stop"));
  session.disconnect();
  mkdirSync(process.env.BENCH_PROFILE_DIR ?? tmpdir(), { recursive: true });
  file = join(process.env.BENCH_PROFILE_DIR ?? tmpdir(), `${tool}-${shape}-${N}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
}

// The phase of a sample: the nearest frame on its stack (itself first) that names one. wasm
// frames by function name (the build keeps its name section); JS frames by file; builtins
// (JSON.parse, JSON.stringify, TextEncoder, …) belong to whoever called them, so the shim's
// JSON.parse of the result shows under the shim and the adapters' JSON.stringify under them.
const WASM_PHASES = [
  ["wasm: parsing payloads and the node list", /Deserializ|serde_json::de::|node::(health|gpu|workload|caps)::|node::(not_an_object|within|fast|whole|read)|check_payload|io::transport::|ListCache/],
  ["wasm: result serialisation", /Serialize>::serialize|serde_json::ser::|tools::encode|Output>::of|to_tool_result|methods::snapshot|zmij|itoa|format_escaped/],
  ["wasm: content text", /summary::|::text\b|fmt::/],
  ["wasm: aggregation / assessment / placement", /assess::|fleet::(status|inventory|workloads)|placement::|holds::|monitor::|alerts::/],
  ["wasm: fan-out, probe, futures", /io::fanout|io::probe|io::facts|Plugin>::(check|fleet)|futures_util|futures_task|wasm_bindgen_futures|js_sys::futures|CallHost|wasm::io::call|watch::tick/],
];
const jsPhase = (cf) => {
  const u = cf.url || "";
  const f = cf.functionName || "";
  if (u.includes("/pkg/")) return "boundary: wasm-bindgen glue (string copies, closures, promises)";
  if (u.includes("/js-shim/host.js")) return "boundary: shim adapters (payload JSON.stringify, params JSON.parse)";
  if (u.includes("/js-shim/")) return "shim: index.js (result JSON.parse)";
  if (u.includes("fake-openclaw")) return "fake host";
  if (u.includes("/bench/")) return "bench harness";
  if (f === "(garbage collector)") return "GC";
  if (f === "(program)" || f === "(idle)" || f === "(root)") return f;
  return null;
};
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
const phaseCache = new Map();
const phaseOf = (n) => {
  if (phaseCache.has(n.id)) return phaseCache.get(n.id);
  const cf = n.callFrame;
  let ph = null;
  if (cf.url.startsWith("wasm")) {
    ph = WASM_PHASES.find(([, re]) => re.test(cf.functionName))?.[0] ?? null;
    if (!ph) {
      const up = parentOf.get(n.id);
      const above = up ? phaseOf(up) : null;
      ph = above?.startsWith("wasm") ? above : "wasm: other (allocator, drops, …)";
    }
  } else {
    ph = jsPhase(cf);
    if (!ph) {
      const up = parentOf.get(n.id);
      ph = up ? phaseOf(up) : `node internals (${cf.functionName || "anonymous"})`;
      if (ph === "(root)") ph = `node internals (${cf.functionName || "anonymous"})`;
    }
  }
  phaseCache.set(n.id, ph);
  return ph;
};
const dt = (profile.endTime - profile.startTime) / profile.samples.length;
const self = new Map(profile.nodes.map((n) => [n.id, 0]));
for (const id of profile.samples) self.set(id, self.get(id) + dt);
const byFn = new Map();
const byWhere = new Map();
let total = 0;
for (const n of profile.nodes) {
  const t = self.get(n.id);
  if (!t) continue;
  total += t;
  const w = phaseOf(n);
  const cf = n.callFrame;
  const line = cf.url && !cf.url.startsWith("wasm") && cf.lineNumber >= 0 ? `:${cf.lineNumber + 1}` : "";
  const fileName = cf.url && !cf.url.startsWith("wasm") ? ` ${cf.url.split("/").pop()}${line}` : "";
  const key = `${(cf.functionName || "(anonymous)").replace(/\[[0-9a-f]{16}\]/g, "")}  [${w}${fileName}]`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  byWhere.set(w, (byWhere.get(w) ?? 0) + t);
}
const us = (t) => (t / reps / N).toFixed(2);
console.log(`${tool} at N=${N} (${shape}), ${reps} calls, zero latency: ${(total / reps / 1000).toFixed(1)} ms CPU per call sampled, ${us(total)} µs per node`);
const plugin = [...byWhere].filter(([w]) => /^(wasm|boundary|shim)/.test(w)).reduce((a, [, t]) => a + t, 0);
console.log(`\nby phase (µs per node per call; the plugin's phases sum to ${us(plugin)}):`);
for (const [w, t] of [...byWhere].sort((a, b) => b[1] - a[1])) if (t / reps / N >= 0.05) console.log(`  ${us(t).padStart(8)}  ${w}`);
console.log("\ntop functions by self time (µs per node per call):");
for (const [f, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${us(t).padStart(8)}  ${f.slice(0, 220)}`);
console.log(`\nprofile: ${file}`);
process.exit(0);
