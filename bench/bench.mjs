// Runs every benchmark phase in its own process, one after another, and writes
// bench/results/latest.json. bench/report.mjs turns that into docs/benchmarks/.
//   node bench/bench.mjs [--quick] [--sizes 10,100,1000,5000]
import { spawnSync, execSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, statSync, rmSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT, PLUGIN_ENTRY, CALLS, LATENCY, SEED, median, round } from "./lib.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
const sizesArg = args.includes("--sizes") ? args[args.indexOf("--sizes") + 1] : process.env.BENCH_SIZES;
const SIZES = sizesArg ? sizesArg.split(",").map(Number) : [10, 100, 1000, 5000];
const LAT_REPS = quick ? { 10: 3, 100: 3, 1000: 3, 5000: 2 } : { 10: 15, 100: 11, 1000: 7, 5000: 5 };
const ZERO_REPS = quick ? { 10: 20, 100: 10, 1000: 4, 5000: 2 } : { 10: 200, 100: 60, 1000: 15, 5000: 7 };
const STARTUP_RUNS = quick ? 5 : 20;
const TIMEOUT_N = SIZES.includes(1000) ? 1000 : SIZES[SIZES.length - 1];
const TIMEOUT_MS = 500;
const scratch = join(tmpdir(), `clawbernetes-bench-${process.pid}`);
mkdirSync(scratch, { recursive: true });

const t0 = Date.now();
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);

function phase(name, extra = []) {
  const res = spawnSync(process.execPath, ["--expose-gc", join(ROOT, "bench/phase.mjs"), name, ...extra], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: process.env,
  });
  if (res.status !== 0) {
    const tail = (res.stderr || "").trim().split("\n").slice(-8).join("\n");
    throw new Error(`phase ${name} ${extra.join(" ")} failed (exit ${res.status}):\n${tail}`);
  }
  const lines = res.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

function machine() {
  let model = "unknown";
  try {
    const m = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
    if (m) model = m[1].trim();
  } catch {}
  let nproc = cpus().length;
  try {
    nproc = Number(execSync("nproc", { encoding: "utf8" }).trim());
  } catch {}
  let kernel = "";
  try {
    kernel = execSync("uname -sr", { encoding: "utf8" }).trim();
  } catch {}
  let commit = "";
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {}
  return { cpu: model, nproc, memoryGb: round(totalmem() / 2 ** 30, 1), kernel, node: process.version, commit };
}

function wasmSize() {
  const dir = join(ROOT, "pkg");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".wasm")) : [];
  if (!files.length) return null;
  const file = join(dir, files.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0]);
  const bytes = readFileSync(file);
  return { file: relative(ROOT, file), rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

log(`plugin ${relative(ROOT, PLUGIN_ENTRY) || PLUGIN_ENTRY}; sizes ${SIZES.join(", ")}${quick ? " (quick)" : ""}`);

// start-up: fresh processes
const startups = [];
for (let i = 0; i < STARTUP_RUNS; i++) startups.push(phase("startup"));
const startup = {
  runs: startups.length,
  importMs: round(median(startups.map((s) => s.importMs)), 2),
  registerMs: round(median(startups.map((s) => s.registerMs)), 2),
  importAndRegisterMs: round(median(startups.map((s) => s.importAndRegisterMs)), 2),
  firstCallMs: round(median(startups.map((s) => s.firstCallMs)), 2),
  secondCallMs: round(median(startups.map((s) => s.secondCallMs)), 2),
};
log(`start-up: import+register ${startup.importAndRegisterMs} ms, first call ${startup.firstCallMs} ms (median of ${startups.length})`);

const perN = {};
for (const n of SIZES) {
  const logsFile = join(scratch, `logs-${n}.json`);
  const lat = phase("latency", ["--nodes", String(n), "--reps", String(LAT_REPS[n] ?? 5), "--logs", logsFile]);
  log(`N=${n} latency: ${CALLS.map((c) => `${c.tool} ${lat.calls[c.tool].ratio}`).join(", ")}; peak RSS ${lat.peakRssMb} MB`);
  const zero = phase("zero", ["--nodes", String(n), "--reps", String(ZERO_REPS[n] ?? 5)]);
  log(`N=${n} zero-latency CPU µs/node (plugin/host): ${CALLS.map((c) => `${c.tool} ${zero.calls[c.tool].cpuUsPerNode}/${zero.calls[c.tool].hostCpuUsPerNode}`).join(", ")}`);
  const hostOnly = phase("host", ["--nodes", String(n), "--logs", logsFile]);
  const cold = {};
  for (const c of CALLS) cold[c.tool] = phase("cold", ["--nodes", String(n), "--tool", c.tool]);
  log(`N=${n} cold max invokes/node: ${CALLS.map((c) => `${c.tool} ${cold[c.tool].cold.max}`).join(", ")}; host-only peak RSS ${hostOnly.peakRssMb} MB`);
  perN[n] = { lat, zero, hostOnly, cold };
  rmSync(logsFile, { force: true });
}

log(`timeouts: N=${TIMEOUT_N}, invokeTimeoutMs ${TIMEOUT_MS}`);
const timeoutRun = phase("timeout", ["--nodes", String(TIMEOUT_N), "--reps", quick ? "1" : "3", "--timeout", String(TIMEOUT_MS)]);

const records = [];
for (const n of SIZES) {
  const { lat, zero, hostOnly, cold } = perN[n];
  for (const c of CALLS) {
    const L = lat.calls[c.tool];
    const Z = zero.calls[c.tool];
    const C = cold[c.tool];
    const rec = {
      tool: c.tool,
      nodes: n,
      wallMs: L.wallMs,
      idealMs: L.idealMs,
      ratio: L.ratio,
      ratioMax: L.ratioMax,
      invokesPerNode: { cold: C.cold, warm: L.warm },
      coldWallMs: C.wallMs,
      coldIdealMs: C.idealMs,
      coldRatio: C.ratio,
      cpuUsPerNode: Z.cpuUsPerNode,
      hostCpuUsPerNode: Z.hostCpuUsPerNode,
      totalCpuUsPerNode: Z.totalCpuUsPerNode,
      zeroLatencyWallMs: Z.zeroLatencyWallMs,
      peakRssMb: lat.peakRssMb,
      hostPeakRssMb: hostOnly.peakRssMb,
      contentBytes: Math.max(L.contentBytes, Z.contentBytes, C.contentBytes ?? 0),
      timedOut: L.timedOut,
      failedNodes: L.failedNodes,
      reps: { latency: L.reps, zeroLatency: Z.reps },
    };
    if (n === TIMEOUT_N) rec.timeoutCheck = { invokeTimeoutMs: TIMEOUT_MS, ...timeoutRun.calls[c.tool] };
    const errors = [...new Set([...(L.errors ?? []), ...(Z.errors ?? []), ...(C.error ? [C.error] : [])])];
    if (errors.length) rec.errors = errors;
    records.push(rec);
  }
}

const wasm = wasmSize();
const first = SIZES[0];
const last = SIZES[SIZES.length - 1];
const rssGrowth = {
  fromNodes: first,
  toNodes: last,
  withPluginMb: round(perN[last].lat.peakRssMb - perN[first].lat.peakRssMb, 1),
  hostOnlyMb: round(perN[last].hostOnly.peakRssMb - perN[first].hostOnly.peakRssMb, 1),
};
rssGrowth.pluginMb = round(rssGrowth.withPluginMb - rssGrowth.hostOnlyMb, 1);

// targets (issue 6)
const targets = [];
const target = (name, limit, measured, unit, where) =>
  targets.push({ name, limit, measured, unit, met: Number.isFinite(measured) && measured <= limit, by: Number.isFinite(measured) ? round(measured - limit, 3) : null, where });
const worst = (list, key) => list.reduce((w, r) => (!w || !(r[key] <= w[key]) ? r : w), null);
for (const [n, limit] of [[1000, 1.05], [5000, 1.1]]) {
  const rs = records.filter((r) => r.nodes === n);
  if (!rs.length) continue;
  const w = worst(rs, "ratio");
  target(`wall/ideal ratio at N=${n}`, limit, w.ratio, "×", w.tool);
}
const warmOf = (tool) => records.filter((r) => r.tool === tool);
for (const [tool, limit, key] of [
  ["claw_gpu_inventory", 1, "max"],
  ["claw_workloads", 1, "max"],
  ["claw_fleet_status", 3, "max"],
  ["monitor_tick", 2, "maxGpuNode"],
  ["monitor_tick", 1, "maxCpuOnlyNode"],
]) {
  const rs = warmOf(tool);
  if (!rs.length) continue;
  const m = Math.max(...rs.map((r) => r.invokesPerNode.warm?.[key] ?? NaN));
  target(`warm invokes per ${key === "maxCpuOnlyNode" ? "node without GPUs" : key === "maxGpuNode" ? "GPU node" : "node"}: ${tool}`, limit, m, "invokes", "all N");
}
{
  const w = worst(records.filter((r) => r.tool !== "monitor_tick" || true), "cpuUsPerNode");
  target("plugin CPU per node per call (zero latency)", 15, w.cpuUsPerNode, "µs", `${w.tool} N=${w.nodes}`);
  const big = records.filter((r) => r.nodes >= 1000);
  if (big.length) {
    const wb = worst(big, "cpuUsPerNode");
    target("plugin CPU per node per call at N ≥ 1000", 15, wb.cpuUsPerNode, "µs", `${wb.tool} N=${wb.nodes}`);
  }
}
{
  const w = worst(records.filter((r) => r.tool !== "monitor_tick"), "contentBytes");
  target("content text per call", 4096, w.contentBytes, "bytes", `${w.tool} N=${w.nodes}`);
}
target(`peak RSS growth N=${first}→${last} (plugin's share)`, 100, rssGrowth.pluginMb, "MB", `with plugin ${rssGrowth.withPluginMb} MB − host alone ${rssGrowth.hostOnlyMb} MB`);
if (wasm) target("wasm size (raw)", 400 * 1024, wasm.rawBytes, "bytes", wasm.file);
target("instantiate + register() median", 25, startup.importAndRegisterMs, "ms", `${startup.runs} fresh processes`);
{
  const lost = Object.values(timeoutRun.calls).reduce((a, c) => a + c.queued, 0);
  target(`invokes timed out by queueing, not by the latency model (N=${TIMEOUT_N}, invokeTimeoutMs ${TIMEOUT_MS})`, 0, lost, "invokes", "all calls");
}

const out = {
  generatedAt: new Date().toISOString(),
  machine: machine(),
  plugin: relative(ROOT, PLUGIN_ENTRY) || PLUGIN_ENTRY,
  quick,
  latencyModel: { kind: "lognormal", ...LATENCY, seed: SEED, perNode: "one invoke at a time, FIFO; deadline runs from dispatch" },
  fleet: "makeNodes(N, {cpuOnlyEvery: 10}): 2× NVIDIA H100 80GB per node, every 10th node without GPUs, 1 container per node",
  config: "default plugin config (pluginConfig {}), except invokeTimeoutMs in the timeout check",
  sizes: SIZES,
  wasm,
  startup,
  rssGrowth,
  timeoutCheck: timeoutRun,
  records,
  targets,
  durationS: round((Date.now() - t0) / 1000, 1),
};
const outFile = join(ROOT, "bench/results/latest.json");
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
rmSync(scratch, { recursive: true, force: true });
log(`wrote ${relative(ROOT, outFile)} in ${out.durationS} s`);
for (const t of targets) log(`${t.met ? "met   " : "MISSED"} ${t.name}: ${t.measured} ${t.unit} (limit ${t.limit}${t.where ? `; ${t.where}` : ""})`);
