// Runs every benchmark phase in its own process, one after another, and writes
// bench/results/latest.json. bench/report.mjs turns that into docs/benchmarks/.
//   node bench/bench.mjs [--quick] [--sizes 10,100,1000,5000]
import { spawnSync, execSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, statSync, rmSync, cpSync } from "node:fs";
import { cpus, totalmem, tmpdir, loadavg } from "node:os";
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

// Measure a snapshot of the built plugin: a rebuild during the run must not change what is measured.
let entry = PLUGIN_ENTRY;
let pkgDir = join(ROOT, "pkg");
if (!process.env.BENCH_PLUGIN && existsSync(join(ROOT, "pkg")) && existsSync(join(ROOT, "js-shim"))) {
  const snap = join(scratch, "plugin");
  for (const d of ["js-shim", "pkg"]) cpSync(join(ROOT, d), join(snap, d), { recursive: true });
  if (existsSync(join(ROOT, "package.json"))) cpSync(join(ROOT, "package.json"), join(snap, "package.json"));
  entry = join(snap, "js-shim/index.js");
  pkgDir = join(snap, "pkg");
}
const childEnv = { ...process.env, BENCH_PLUGIN: entry };

const machineAtStart = machine();
const t0 = Date.now();
const loadAtStart = loadavg().map((x) => round(x, 2));
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);

function phase(name, extra = [], env = {}, attempt = 1) {
  const res = spawnSync(process.execPath, ["--expose-gc", join(ROOT, "bench/phase.mjs"), name, ...extra], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...childEnv, ...env },
  });
  if (res.status !== 0 && attempt < 2) return phase(name, extra, env, attempt + 1);
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
  const dir = pkgDir;
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".wasm")) : [];
  if (!files.length) return null;
  const file = join(dir, files.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0]);
  const bytes = readFileSync(file);
  return { file: join("pkg", relative(dir, file)), rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
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

// The same fleets with each node listing only the 8 commands the tools use (a much smaller
// node.list), to see the fan-out itself at sizes where the full list is a problem.
const SUPP_SIZES = SIZES.filter((n) => n >= 1000);
const supplementary = { commands: "minimal", records: [] };
for (const n of SUPP_SIZES) {
  const env = { BENCH_COMMANDS: "minimal" };
  const lat = phase("latency", ["--nodes", String(n), "--reps", String(LAT_REPS[n] ?? 5)], env);
  const zero = phase("zero", ["--nodes", String(n), "--reps", String(ZERO_REPS[n] ?? 5)], env);
  log(`N=${n} (8 commands) ratio / plugin CPU µs per node: ${CALLS.map((c) => `${c.tool} ${lat.calls[c.tool].ratio}/${zero.calls[c.tool].cpuUsPerNode}`).join(", ")}`);
  for (const c of CALLS) {
    const L = lat.calls[c.tool];
    const Z = zero.calls[c.tool];
    supplementary.records.push({
      tool: c.tool, nodes: n, wallMs: L.wallMs, idealMs: L.idealMs, ratio: L.ratio, ratioMax: L.ratioMax,
      invokesPerNode: { warm: L.warm }, cpuUsPerNode: Z.cpuUsPerNode, hostCpuUsPerNode: Z.hostCpuUsPerNode,
      peakRssMb: lat.peakRssMb, contentBytes: Math.max(L.contentBytes, Z.contentBytes), timedOut: L.timedOut,
      ...(L.errors?.length || Z.errors?.length ? { errors: [...new Set([...(L.errors ?? []), ...(Z.errors ?? [])])] } : {}),
    });
  }
  if (lat.logProblems?.length) supplementary[`logProblems${n}`] = lat.logProblems;
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
    if (lat.logProblems?.length) rec.logProblems = lat.logProblems;
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
  const live = Object.values(timeoutRun.calls).reduce((a, c) => a + c.queuedBehindLive, 0);
  const stale = Object.values(timeoutRun.calls).reduce((a, c) => a + c.queuedBehindTimedOut, 0);
  const lost = Object.values(timeoutRun.calls).reduce((a, c) => a + c.lostNodes, 0);
  target(`invokes timed out waiting behind the plugin's own live invokes (N=${TIMEOUT_N}, invokeTimeoutMs ${TIMEOUT_MS})`, 0, live, "invokes", "all calls");
  target(`invokes timed out waiting behind an invoke that had already timed out (same check)`, 0, stale, "invokes", "all calls");
  target(`nodes reported failed although none of their invokes was slower than the deadline (same check)`, 0, lost, "nodes", "all calls");
}

const out = {
  generatedAt: new Date().toISOString(),
  machine: machineAtStart,
  plugin: relative(ROOT, PLUGIN_ENTRY) || PLUGIN_ENTRY,
  quick,
  latencyModel: { kind: "lognormal", ...LATENCY, seed: SEED, perNode: "one invoke at a time, FIFO; deadline runs from dispatch" },
  fleet: "makeNodes(N, {cpuOnlyEvery: 10, busyGpus: i % 3}): 2× NVIDIA H100 80GB per node (0, 1 or 2 of them busy by turns), every 10th node without GPUs, 1 container per node, 68 commands each",
  config: "default plugin config (pluginConfig {}), except invokeTimeoutMs in the timeout check",
  sizes: SIZES,
  wasm,
  startup,
  rssGrowth,
  timeoutCheck: timeoutRun,
  records,
  supplementary,
  targets,
  durationS: round((Date.now() - t0) / 1000, 1),
  loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((x) => round(x, 2)) },
};
const outFile = join(ROOT, "bench/results/latest.json");
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
rmSync(scratch, { recursive: true, force: true });
log(`wrote ${relative(ROOT, outFile)} in ${out.durationS} s`);
for (const t of targets) log(`${t.met ? "met   " : "MISSED"} ${t.name}: ${t.measured} ${t.unit} (limit ${t.limit}${t.where ? `; ${t.where}` : ""})`);
