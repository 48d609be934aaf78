// The real-gateway benchmark: for each N, a real OpenClaw 2026.9.6 gateway on loopback with the
// plugin (default config, the monitor's own timer pushed out of the way; the commands the plugin
// needs in gateway.nodes.commands.allow, as the README asks), `clawsim run --nodes N
// --shape realistic` connected and approved, then every tool over POST /tools/invoke and a monitor
// tick over the gateway WebSocket (clawbernetes.health-check): wall time, exact totals against
// `clawsim fleet --summary`, the gateway's CPU and RSS; then the same invokes sent by an operator
// over the gateway WebSocket (`node.invoke`, at most 120 nodes at once, each node's invokes one
// after another, as the plugin sends them) with no plugin in the path, so the plugin's share shows.
//   node bench/gateway.mjs [--out FILE]
// Env: BENCH_GATEWAY_SIZES [100,300,500], BENCH_GATEWAY_PORT [19240; N-th size on port+N],
//      BENCH_GATEWAY_REPS [3 up to N = 100, 2 up to 300, then 1], BENCH_QUICK=1 (one repetition),
//      BENCH_GATEWAY_CONNECT_S [600]:
//      how long connecting and approving may take before that N is reported as not connected.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import * as h from "../tests/e2e/harness.mjs";
import { PLUGIN_ENTRY, CALLS, DEFAULT_MAX_CONCURRENCY, benchFleet, registeredHost, runCall, shapeFields, wrongTotals, median, round } from "./lib.mjs";

const args = process.argv.slice(2);
const outFile = args.includes("--out") ? args[args.indexOf("--out") + 1] : null;
const SIZES = (process.env.BENCH_GATEWAY_SIZES ?? "100,300,500").split(",").map(Number);
const PORT = Number(process.env.BENCH_GATEWAY_PORT ?? 19240);
// repetitions per call: fewer at large N, where a call takes tens of seconds once the gateway loses answers
const repsFor = (n) => (process.env.BENCH_QUICK === "1" ? 1 : Number(process.env.BENCH_GATEWAY_REPS ?? (n <= 100 ? 3 : n <= 300 ? 2 : 1)));
const CONNECT_S = Number(process.env.BENCH_GATEWAY_CONNECT_S ?? 600);
const SHAPE = "realistic";
// The monitor's own ticks would overlap the measured calls; the tick is measured on demand.
const PLUGIN_CONFIG = { healthIntervalMs: 86_400_000 };
const INVOKE_TIMEOUT_MS = 30_000;
const t0 = Date.now();
const log = (msg) => process.stderr.write(`[bench gateway ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
const load = () => loadavg().map((x) => round(x, 2));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the gateway's process tree: CPU (utime+stime, every process under the gateway's pid) and RSS
const TICK_S = 0.01; // USER_HZ = 100
function tree(root) {
  const kids = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  const out = [];
  const walk = (p) => {
    out.push(p);
    for (const k of kids.get(p) ?? []) walk(k);
  };
  walk(root);
  return out;
}
function usage(root) {
  let cpuS = 0;
  let rssMb = 0;
  for (const pid of tree(root)) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      cpuS += (Number(f[11]) + Number(f[12])) * TICK_S; // utime, stime
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      rssMb += Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0) / 1024;
    } catch {}
  }
  return { cpuS, rssMb };
}
/** Runs `fn` while sampling the gateway: wall ms, its CPU % of one core over the call, its peak RSS. */
async function measured(root, fn) {
  const u0 = usage(root);
  let peak = u0.rssMb;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(200);
      peak = Math.max(peak, usage(root).rssMb);
    }
  })();
  const w0 = performance.now();
  let value;
  let error;
  try {
    value = await fn();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const wallMs = performance.now() - w0;
  sampling = false;
  await sampler;
  const u1 = usage(root);
  peak = Math.max(peak, u1.rssMb);
  const cpuS = u1.cpuS - u0.cpuS;
  return { value, error, wallMs, cpuS, cpuPct: (100 * cpuS) / (wallMs / 1000), rssMb: peak };
}

/** The node commands the plugin asks operators to allow (`describe().allowlist`, as in the README). */
async function pluginAllowlist() {
  const { LiveCore } = await import(pathToFileURL(join(dirname(PLUGIN_ENTRY), "core.js")).href);
  const core = new LiveCore("{}", { nodes: { list: async () => ({ nodes: [] }), invoke: async () => null }, log: () => {} });
  return JSON.parse(core.get().describe()).allowlist;
}

// ---- what each call sends to one node once the plugin's caches are warm (learnt in process)
async function warmSequences() {
  const fleet = benchFleet(2, SHAPE, { zeroLatency: true });
  const host = await registeredHost(fleet, {});
  const seq = {};
  for (const call of CALLS) {
    await runCall(host, call);
    await fleet.idle();
  }
  for (const call of CALLS) {
    fleet.takeLog();
    await runCall(host, call);
    await fleet.idle();
    const first = [...fleet.nodes.keys()][0];
    seq[call.tool] = fleet.takeLog().filter((e) => e.op === "invoke" && e.nodeId === first).map((e) => ({ command: e.command, params: e.params ?? {} }));
  }
  return seq;
}

/**
 * The same invokes as a plugin call, sent by an operator over the WebSocket: ≤ 120 nodes at once,
 * each node's invokes one after another; the gateway's backpressure (overloaded, busy, or an
 * error it marks retryable) retried with the plugin's backoff (25 ms doubling, at most 1 s)
 * within the invoke's deadline, as the plugin does.
 */
async function rawInvokes(op, nodeIds, sequence) {
  let next = 0;
  let failed = 0;
  let retries = 0;
  const firstErrors = [];
  const invoke = async (nodeId, command, params) => {
    const end = Date.now() + INVOKE_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const left = Math.max(1, end - Date.now());
      const res = await op
        .request("node.invoke", { nodeId, command, params, timeoutMs: left, idempotencyKey: randomUUID() }, left + 5000)
        .catch((e) => ({ ok: false, error: { message: e.message } }));
      const e = res.error ?? {};
      const backpressure = !res.ok && (e.retryable === true || /overloaded|capacity|busy/.test(e.message ?? ""));
      const wait = Math.min(1000, 25 * 2 ** Math.min(attempt, 6));
      if (!backpressure || Date.now() + wait >= end) return res;
      retries++;
      await sleep(wait);
    }
  };
  const worker = async () => {
    while (next < nodeIds.length) {
      const nodeId = nodeIds[next++];
      for (const { command, params } of sequence) {
        const res = await invoke(nodeId, command, params);
        if (!res.ok) {
          failed++;
          if (firstErrors.length < 3) firstErrors.push(`${command}: ${res.error?.code ?? ""} ${res.error?.message ?? ""}`.trim());
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEFAULT_MAX_CONCURRENCY, nodeIds.length) }, worker));
  return { failed, retries, errors: firstErrors };
}

/**
 * The gateway's own refusals in its log so far: node results and events it refused because it
 * could not confirm the node's pairing (`node pairing changed …`: the invoke then waits out its
 * deadline), node invokes refused by its full worker pool, and every "worker task capacity
 * reached".
 */
function gatewayRefusals(gw) {
  let text = "";
  try {
    text = gw.log();
  } catch {
    return null;
  }
  const count = (re) => (text.match(re) ?? []).length;
  return {
    resultsRefused: count(/res ✗ node\.invoke\.result [^"]*pairing changed/g),
    eventsRefused: count(/res ✗ node\.event [^"]*pairing changed/g),
    invokesOverloaded: count(/res ✗ node\.invoke \d+ms errorCode=UNAVAILABLE errorMessage=WorkerTaskError/g),
    capacityReached: count(/worker task capacity reached/g),
  };
}

/** What a call says went wrong on nodes: failed nodes and problems, a few, as text. */
function failures(details) {
  const d = details?.status ?? details ?? {};
  const items = [...(d.failedNodes ?? []), ...(d.problems ?? []).filter((p) => (p.kind ?? p[2]) !== "load")];
  return items.slice(0, 3).map((x) => JSON.stringify(x).slice(0, 300));
}

/** `clawsim fleet --summary` in the form wrongTotals() reads. */
function expectedFrom(summary) {
  return {
    nodes: summary.nodes,
    gpus: summary.gpus.total,
    gpusBusy: summary.gpus.busy,
    containers: summary.containers.total,
    running: summary.containers.byState.running,
  };
}

async function callOnce(gw, op, call) {
  if (call.kind === "method") return { details: await op.call(call.method, call.params, 600_000), contentBytes: 0 };
  const r = await h.tool(gw, call.tool, call.params);
  const contentBytes = (r?.content ?? []).reduce((a, c) => a + (typeof c?.text === "string" ? Buffer.byteLength(c.text) : 0), 0);
  return { details: r?.details, contentBytes };
}

async function runSize(n, port, sequences, allow) {
  const REPS = repsFor(n);
  const base = { host: "gateway", nodes: n, ...shapeFields(SHAPE) };
  const loadBefore = load();
  const expected = expectedFrom(h.fleetSummary({ nodes: n, shape: SHAPE }));
  let gw;
  const records = [];
  const size = { nodes: n, port, loadAverage: { before: loadBefore } };
  try {
    gw = await h.startGateway({ port, label: `bench-${n}`, pluginConfig: PLUGIN_CONFIG, nodeCommandsAllow: allow });
    const root = gw.child.pid;
    const idle = usage(root);
    size.gatewayRssMbIdle = round(idle.rssMb, 0);
    const c0 = performance.now();
    const cpu0 = idle.cpuS;
    try {
      await h.startFleet(gw, { nodes: n, shape: SHAPE, timeoutMs: CONNECT_S * 1000 });
    } catch (e) {
      size.connected = false;
      size.connectError = e.message.slice(0, 500);
      size.connectS = round((performance.now() - c0) / 1000, 1);
      log(`N=${n}: not connected in ${size.connectS} s: ${size.connectError.split("\n")[0]}`);
      return { size, records };
    }
    size.connected = true;
    size.connectS = round((performance.now() - c0) / 1000, 1);
    const afterConnect = usage(root);
    size.connectGatewayCpuS = round(afterConnect.cpuS - cpu0, 1);
    size.gatewayRssMbConnected = round(afterConnect.rssMb, 0);
    size.refusalsWhileConnecting = gatewayRefusals(gw);
    log(`N=${n}: ${n} nodes connected and approved in ${size.connectS} s (gateway ${size.connectGatewayCpuS} CPU-s, RSS ${size.gatewayRssMbConnected} MB)`);
    const op = await h.operator(gw);
    const nodeIds = (await op.call("node.list", {})).nodes.filter((x) => x.connected).map((x) => x.nodeId);
    size.listedConnected = nodeIds.length;
    // warm-up: one claw_fleet_status fills the plugin's cache of every node's static facts,
    // which every call then reads
    const w = await measured(root, () => callOnce(gw, op, CALLS[0]));
    if (w.error) log(`N=${n} warm-up: ${w.error.slice(0, 300)}`);
    size.warmUp = { wallMs: round(w.wallMs, 0), gatewayCpuS: round(w.cpuS, 2) };
    // a tool call that asks one node: the gateway's cost of a tool call over HTTP plus the node list
    const one = await measured(root, () => callOnce(gw, op, { tool: "claw_multi_invoke", kind: "tool", params: { command: "gpu.metrics", nodes: [nodeIds[0]] } }));
    size.oneNodeCall = { wallMs: round(one.wallMs, 0), gatewayCpuS: round(one.cpuS, 2), ...(one.error ? { error: one.error.slice(0, 300) } : {}) };
    for (const call of CALLS) {
      const reps = [];
      for (let i = 0; i < REPS; i++) {
        await sleep(500);
        const m = await measured(root, () => callOnce(gw, op, call));
        const wrong = m.error ? [m.error.slice(0, 300)] : wrongTotals(call.tool, m.value.details, expected);
        if (wrong.length && !m.error) wrong.push(...failures(m.value.details));
        reps.push({ ...m, wrong, contentBytes: m.value?.contentBytes ?? 0, fanout: m.value?.details?.fanout ?? m.value?.details?.status?.fanout ?? null });
      }
      const raw = [];
      for (let i = 0; i < REPS; i++) {
        await sleep(500);
        const m = await measured(root, () => rawInvokes(op, nodeIds, sequences[call.tool]));
        raw.push(m);
      }
      const med = (xs, k) => median(xs.map((x) => x[k]));
      const rec = {
        ...base,
        tool: call.tool,
        wallMs: round(med(reps, "wallMs"), 0),
        wallMsMax: round(Math.max(...reps.map((x) => x.wallMs)), 0),
        correct: reps.every((x) => x.wrong.length === 0),
        gatewayCpuPct: round(med(reps, "cpuPct"), 0),
        gatewayCpuS: round(med(reps, "cpuS"), 2),
        gatewayRssMb: round(Math.max(...reps.map((x) => x.rssMb)), 0),
        contentBytes: Math.max(...reps.map((x) => x.contentBytes)),
        fanout: reps.at(-1).fanout,
        invokesPerNode: sequences[call.tool].length,
        withoutPlugin: {
          wallMs: round(med(raw, "wallMs"), 0),
          gatewayCpuPct: round(med(raw, "cpuPct"), 0),
          gatewayCpuS: round(med(raw, "cpuS"), 2),
          gatewayRssMb: round(Math.max(...raw.map((x) => x.rssMb)), 0),
          failedInvokes: Math.max(...raw.map((x) => x.value?.failed ?? 0)),
          retries: Math.max(...raw.map((x) => x.value?.retries ?? 0)),
          ...(raw.some((x) => x.value?.errors?.length) ? { errors: [...new Set(raw.flatMap((x) => x.value?.errors ?? []))].slice(0, 3) } : {}),
        },
        reps: REPS,
      };
      rec.pluginShare = { wallMs: rec.wallMs - rec.withoutPlugin.wallMs, gatewayCpuS: round(rec.gatewayCpuS - rec.withoutPlugin.gatewayCpuS, 2) };
      const wrong = [...new Set(reps.flatMap((x) => x.wrong))];
      if (wrong.length) rec.wrong = wrong.slice(0, 5);
      records.push(rec);
      log(`N=${n} ${call.tool}: ${rec.wallMs} ms (${rec.correct ? "right" : `WRONG: ${wrong[0]}`}), gateway ${rec.gatewayCpuPct}% CPU, ${rec.gatewayRssMb} MB; without the plugin ${rec.withoutPlugin.wallMs} ms, ${rec.withoutPlugin.gatewayCpuPct}%${rec.withoutPlugin.failedInvokes ? `, ${rec.withoutPlugin.failedInvokes} invokes failed` : ""}`);
    }
    op.close();
    const all = gatewayRefusals(gw);
    const before = size.refusalsWhileConnecting;
    if (all && before) size.refusalsWhileMeasuring = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v - before[k]]));
  } catch (e) {
    size.error = (e instanceof Error ? e.message : String(e)).slice(0, 1000);
    log(`N=${n}: ${size.error.split("\n")[0]}`);
  } finally {
    size.loadAverage.after = load();
    if (gw) {
      await gw.stop();
      h.cleanup(gw);
    }
  }
  return { size, records };
}

h.checkPrerequisites();
h.buildSim();
const sequences = await warmSequences();
const allow = await pluginAllowlist();
log(`sizes ${SIZES.join(", ")}, ${SIZES.map(repsFor).join("/")} repetition(s); warm invokes per node: ${CALLS.map((c) => `${c.tool} ${sequences[c.tool].map((s) => s.command).join("+")}`).join(", ")}`);
const started = new Date().toISOString();
const loadAtStart = load();
const sizes = [];
const records = [];
for (const [i, n] of SIZES.entries()) {
  const r = await runSize(n, PORT + i, sequences, allow);
  sizes.push(r.size);
  records.push(...r.records);
  if (r.size.connected === false) break; // a larger fleet will not connect either
}
const out = {
  generatedAt: started,
  shape: SHAPE,
  pluginConfig: PLUGIN_CONFIG,
  nodeCommandsAllow: allow,
  wire: "current (clawsim default)",
  withoutPlugin: `operator WebSocket node.invoke, at most ${DEFAULT_MAX_CONCURRENCY} nodes at once, each node's warm invokes one after another`,
  reps: Object.fromEntries(SIZES.map((n) => [n, repsFor(n)])),
  sequences: Object.fromEntries(Object.entries(sequences).map(([k, v]) => [k, v.map((s) => s.command)])),
  sizes,
  records,
  durationS: round((Date.now() - t0) / 1000, 1),
  loadAverage: { atStart: loadAtStart, atEnd: load() },
};
if (outFile) writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
else process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
process.exit(0);
