// `make bench`: the in-process benchmark (every phase in a process of its own, one after
// another) and the real-gateway benchmark (bench/gateway.mjs); writes bench/results/latest.json.
// bench/report.mjs turns that into docs/benchmarks/.
//   node bench/bench.mjs
// Env:
//   BENCH_QUICK=1                  few repetitions (a smoke run, not figures to quote)
//   BENCH_SHAPES=small,realistic   node shapes of the in-process run (default both)
//   BENCH_SIZES=10,100             fleet sizes of the in-process run, every shape (default: realistic
//                                  10, 100, 1000, 5000, 20000; small 10, 100, 1000, 5000)
//   BENCH_GATEWAY=1 | 0 | only     also the real-gateway run (default 1); 0 keeps the gateway
//                                  section of the previous latest.json, `only` keeps its in-process one
//   BENCH_GATEWAY_SIZES=100,300,500, BENCH_GATEWAY_PORT=19240: see bench/gateway.mjs
//   BENCH_PLUGIN=path              another entry with the same register(api) surface
//   BENCH_PLUGIN_CONFIG='{…}'      plugin config for the in-process run (default {})
import { spawnSync, execSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, statSync, rmSync, cpSync } from "node:fs";
import { cpus, totalmem, tmpdir, loadavg } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT, PLUGIN_ENTRY, CALLS, LATENCY, SEED, SHAPES, GATEWAY_CAPACITY, DEFAULT_MAX_CONCURRENCY, shapeFields, median, round } from "./lib.mjs";

const quick = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const gatewayMode = process.env.BENCH_GATEWAY ?? "1";
if (!["0", "1", "only"].includes(gatewayMode)) throw new Error(`BENCH_GATEWAY must be 1, 0 or only, got ${gatewayMode}`);
const shapes = (process.env.BENCH_SHAPES ?? "small,realistic").split(",").filter(Boolean);
for (const s of shapes) shapeFields(s);
const DEFAULT_SIZES = { realistic: [10, 100, 1000, 5000, 20000], small: [10, 100, 1000, 5000] };
const sizesOf = (shape) => (process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(",").map(Number) : DEFAULT_SIZES[shape]);
// repetitions per N: fewer at large N, where one call already averages over thousands of nodes
const reps = (table, n) => table[Object.keys(table).map(Number).filter((k) => k <= n).pop() ?? 10];
const LAT_REPS = quick ? { 10: 2, 1000: 1 } : { 10: 7, 100: 5, 1000: 3, 5000: 2, 20000: 1 };
const ZERO_REPS = quick ? { 10: 5, 1000: 2, 5000: 1 } : { 10: 40, 100: 15, 1000: 5, 5000: 3, 20000: 2 };
const STARTUP_RUNS = quick ? 3 : 15;
const TIMEOUT_MS = 500;
const scratch = join(tmpdir(), `clawbernetes-bench-${process.pid}`);
mkdirSync(scratch, { recursive: true });
const outFile = join(ROOT, "bench/results/latest.json");
const previous = existsSync(outFile) ? JSON.parse(readFileSync(outFile, "utf8")) : null;

// Measure a snapshot of the built plugin: a rebuild during the run must not change what is measured.
let entry = PLUGIN_ENTRY;
let pkgDir = join(ROOT, "pkg");
if (!process.env.BENCH_PLUGIN && existsSync(join(ROOT, "pkg")) && existsSync(join(ROOT, "js-shim"))) {
  const snap = join(scratch, "plugin");
  // what the package publishes (package.json "files": the shim, pkg/, dist/, the manifest it reads)
  const files = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).files ?? [];
  for (const f of ["package.json", ...files]) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(snap, f), { recursive: true });
  entry = join(snap, "js-shim/index.js");
  pkgDir = join(snap, "pkg");
}
const childEnv = { ...process.env, BENCH_PLUGIN: entry };

const t0 = Date.now();
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
const load = () => loadavg().map((x) => round(x, 2));

function phase(name, extra = [], env = {}, attempt = 1) {
  const res = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", join(ROOT, "bench/phase.mjs"), name, ...extra], {
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
    if (execSync("git status --porcelain --untracked-files=no", { cwd: ROOT, encoding: "utf8" }).trim()) commit += "+changes";
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

const machineAtStart = machine();

// ---------------------------------------------------------------- in process
function inProcess() {
  const started = Date.now();
  const loadAtStart = load();
  log(`in process: plugin ${relative(ROOT, PLUGIN_ENTRY) || PLUGIN_ENTRY}; shapes ${shapes.map((s) => `${s} N=${sizesOf(s).join(",")}`).join("; ")}${quick ? " (quick)" : ""}; load ${loadAtStart.join("/")}`);

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

  const records = [];
  const rssGrowth = {};
  for (const shape of shapes) {
    const perN = {};
    for (const n of sizesOf(shape)) {
      const base = ["--shape", shape, "--nodes", String(n)];
      const logsFile = join(scratch, `logs-${shape}-${n}.json`);
      const withRss = n <= 5000;
      const loadBefore = load();
      const lat = phase("latency", [...base, "--reps", String(reps(LAT_REPS, n)), ...(withRss ? ["--logs", logsFile] : [])]);
      log(`${shape} N=${n} wall/ideal: ${CALLS.map((c) => `${c.tool} ${lat.calls[c.tool].ratio}${lat.calls[c.tool].correct ? "" : " WRONG"}`).join(", ")}; peak RSS ${lat.peakRssMb} MB`);
      const zero = phase("zero", [...base, "--reps", String(reps(ZERO_REPS, n))]);
      log(`${shape} N=${n} CPU µs/node (plugin/host): ${CALLS.map((c) => `${c.tool} ${zero.calls[c.tool].cpuUsPerNode}/${zero.calls[c.tool].hostCpuUsPerNode}`).join(", ")}`);
      const hostOnly = withRss ? phase("host", [...base, "--logs", logsFile]) : null;
      const cold = n <= 1000 ? phase("cold", base) : null; // cold invokes per node do not depend on N
      if (cold) log(`${shape} N=${n} cold max invokes/node: ${CALLS.map((c) => `${c.tool} ${cold.calls[c.tool].cold.max}`).join(", ")}${hostOnly ? `; host-only peak RSS ${hostOnly.peakRssMb} MB` : ""}`);
      rmSync(logsFile, { force: true });
      perN[n] = { lat, zero, hostOnly, cold, load: { before: loadBefore, after: load() } };
      for (const c of CALLS) {
        const L = lat.calls[c.tool];
        const Z = zero.calls[c.tool];
        const C = cold?.calls[c.tool];
        const rec = {
          host: "in-process",
          tool: c.tool,
          nodes: n,
          ...shapeFields(shape),
          wallMs: L.wallMs,
          idealMs: L.idealMs,
          slowestNodeMs: L.slowestNodeMs,
          busyMsTotal: L.busyMsTotal,
          ratio: L.ratio,
          ratioMax: L.ratioMax,
          ratioAtBound: L.ratioAtBound,
          scheduleMs: L.scheduleMs,
          ratioToSchedule: L.ratioToSchedule,
          headMs: L.headMs,
          tailMs: L.tailMs,
          correct: L.correct,
          invokesPerNode: { cold: C?.cold ?? null, warm: L.warm },
          coldWallMs: C?.wallMs ?? null,
          coldRatio: C?.ratio ?? null,
          cpuUsPerNode: Z.cpuUsPerNode,
          hostCpuUsPerNode: Z.hostCpuUsPerNode,
          totalCpuUsPerNode: Z.totalCpuUsPerNode,
          zeroLatencyWallMs: Z.zeroLatencyWallMs,
          peakRssMb: lat.peakRssMb,
          hostPeakRssMb: hostOnly?.peakRssMb ?? null,
          contentBytes: Math.max(L.contentBytes, Z.contentBytes, C?.contentBytes ?? 0),
          fanout: L.fanout,
          hostOverloaded: L.hostOverloaded,
          hostPeakPending: L.hostPeakPending,
          timedOut: L.timedOut,
          failedNodes: L.failedNodes,
          reps: { latency: L.reps, zeroLatency: Z.reps },
          loadAverage: perN[n].load,
        };
        if (L.wrong?.length) rec.wrong = L.wrong;
        if (lat.logProblems?.length) rec.logProblems = lat.logProblems;
        const errors = [...new Set([...(L.errors ?? []), ...(Z.errors ?? []), ...(C?.error ? [C.error] : [])])];
        if (errors.length) rec.errors = errors;
        records.push(rec);
      }
    }
    const withRss = sizesOf(shape).filter((n) => perN[n].hostOnly);
    if (withRss.length >= 2) {
      const first = withRss[0];
      const last = withRss[withRss.length - 1];
      const g = {
        fromNodes: first,
        toNodes: last,
        withPluginMb: round(perN[last].lat.peakRssMb - perN[first].lat.peakRssMb, 1),
        hostOnlyMb: round(perN[last].hostOnly.peakRssMb - perN[first].hostOnly.peakRssMb, 1),
      };
      g.pluginMb = round(g.withPluginMb - g.hostOnlyMb, 1);
      rssGrowth[shape] = g;
    }
  }

  const timeoutShape = shapes.includes("realistic") ? "realistic" : shapes[0];
  const timeoutN = sizesOf(timeoutShape).includes(1000) ? 1000 : sizesOf(timeoutShape).at(-1);
  log(`deadlines: ${timeoutShape} N=${timeoutN}, invokeTimeoutMs ${TIMEOUT_MS}`);
  const timeoutCheck = phase("timeout", ["--shape", timeoutShape, "--nodes", String(timeoutN), "--reps", quick ? "1" : "2", "--timeout", String(TIMEOUT_MS)]);

  return {
    generatedAt: new Date().toISOString(),
    machine: machineAtStart,
    plugin: relative(ROOT, PLUGIN_ENTRY) || PLUGIN_ENTRY,
    quick,
    latencyModel: { kind: "lognormal", ...LATENCY, seed: SEED, perNode: "one invoke at a time, FIFO; deadline runs from dispatch" },
    hostModel: { capacity: GATEWAY_CAPACITY, overload: "UNAVAILABLE WorkerTaskError: worker task capacity reached: code=overloaded", ideal: `max(slowest node's own invokes, all invokes' time / ${GATEWAY_CAPACITY})` },
    shapes: Object.fromEntries(shapes.map((s) => [s, { ...shapeFields(s), describe: SHAPES[s].describe, sizes: sizesOf(s) }])),
    config: process.env.BENCH_PLUGIN_CONFIG ? `pluginConfig ${process.env.BENCH_PLUGIN_CONFIG}` : `default plugin config (pluginConfig {}: maxConcurrency ${DEFAULT_MAX_CONCURRENCY}), except invokeTimeoutMs in the deadline check`,
    wasm: wasmSize(),
    startup,
    rssGrowth,
    timeoutCheck,
    records,
    durationS: round((Date.now() - started) / 1000, 1),
    loadAverage: { atStart: loadAtStart, atEnd: load() },
  };
}

// ---------------------------------------------------------------- real gateway
function gateway() {
  log(`real gateway: bench/gateway.mjs`);
  const out = join(scratch, "gateway.json");
  const res = spawnSync(process.execPath, [join(ROOT, "bench/gateway.mjs"), "--out", out], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"], env: process.env });
  if (!existsSync(out)) {
    log(`real gateway: no results (exit ${res.status})`);
    return { generatedAt: new Date().toISOString(), machine: machineAtStart, error: `bench/gateway.mjs exited ${res.status} without results`, records: [] };
  }
  return { machine: machineAtStart, ...JSON.parse(readFileSync(out, "utf8")) };
}

// Each section keeps its own records; a partial run keeps the other section of the previous file.
const split = (section) => {
  if (!section) return { meta: null, records: [] };
  const { records = [], ...meta } = section;
  return { meta, records };
};
const kept = (host) => ({ meta: previous?.[host === "in-process" ? "inProcess" : "gateway"] ?? null, records: (previous?.records ?? []).filter((r) => r.host === host) });
const ipRun = gatewayMode === "only" ? kept("in-process") : split(inProcess());
const gwRun = gatewayMode === "0" ? kept("gateway") : split(gateway());

// ---------------------------------------------------------------- targets (issue 14)
const targets = [];
const target = (name, limit, measured, unit, where) =>
  targets.push({ name, limit, measured, unit, met: Number.isFinite(measured) && measured <= limit, by: Number.isFinite(measured) ? round(measured - limit, 3) : null, where });
const worst = (list, key) => list.reduce((w, r) => (!w || !(r[key] <= w[key]) ? r : w), null);
const ip = ipRun.meta;
if (ip) {
  const real = ipRun.records.filter((r) => r.shape === "realistic");
  const big = real.filter((r) => r.nodes >= 1000);
  if (big.length) {
    const w = worst(big, "cpuUsPerNode");
    target("plugin's own CPU per node per call, every tool and the tick, N ≥ 1000 (realistic)", 10, w.cpuUsPerNode, "µs", `${w.tool} N=${w.nodes}`);
  }
  const upTo5000 = real.filter((r) => r.nodes <= 5000);
  if (upTo5000.length) {
    const w = worst(upTo5000, "ratio");
    target("wall/ideal up to N = 5000 (realistic)", 1.05, w.ratio, "×", `${w.tool} N=${w.nodes}`);
  }
  const at20k = real.filter((r) => r.nodes === 20000);
  if (at20k.length) {
    const w = worst(at20k, "ratio");
    target("wall/ideal at N = 20,000 (realistic)", 1.1, w.ratio, "×", w.tool);
  }
  const g = ip.rssGrowth?.realistic;
  if (g) target(`peak RSS growth N=${g.fromNodes}→${g.toNodes} (plugin's share, realistic)`, 50, g.pluginMb, "MB", `with plugin ${g.withPluginMb} MB − host alone ${g.hostOnlyMb} MB`);
  const tools = ipRun.records.filter((r) => r.tool !== "monitor_tick");
  if (tools.length) {
    const w = worst(tools, "contentBytes");
    target("content text per call", 4096, w.contentBytes, "bytes", `${w.tool} ${w.shape} N=${w.nodes}`);
  }
  const wrong = ipRun.records.filter((r) => !r.correct);
  target("in-process calls with wrong totals", 0, wrong.length, "calls", wrong.map((r) => `${r.tool} ${r.shape} N=${r.nodes}`).join(", ") || "every call right");
}
if (gwRun.records.length) {
  const wrong = gwRun.records.filter((r) => !r.correct);
  target("real gateway: tools and tick with wrong totals", 0, wrong.length, "calls", wrong.map((r) => `${r.tool} N=${r.nodes}`).join(", ") || `every tool right at N = ${[...new Set(gwRun.records.map((r) => r.nodes))].join(", ")}`);
}

const out = {
  generatedAt: new Date().toISOString(),
  machine: machineAtStart,
  inProcess: ipRun.meta,
  gateway: gwRun.meta,
  records: [...ipRun.records, ...gwRun.records],
  targets,
  durationS: round((Date.now() - t0) / 1000, 1),
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
rmSync(scratch, { recursive: true, force: true });
log(`wrote ${relative(ROOT, outFile)} in ${out.durationS} s`);
for (const t of targets) log(`${t.met ? "met   " : "MISSED"} ${t.name}: ${t.measured} ${t.unit} (limit ${t.limit}${t.where ? `; ${t.where}` : ""})`);
