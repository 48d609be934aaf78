// Shared pieces of the benchmark: which plugin, which fleet shapes, which calls, what a right
// answer is, and small statistics.
import { resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createFleet, createApi, makeNodes, lognormalLatency, DEFAULT_COMMANDS, GATEWAY_CAPACITY } from "../tests/support/fake-openclaw.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PLUGIN_ENTRY = process.env.BENCH_PLUGIN ? resolve(process.env.BENCH_PLUGIN) : resolve(ROOT, "js-shim/index.js");
export const SEED = Number(process.env.BENCH_SEED ?? 20260906);
export const LATENCY = { median: 20, p99: 200 };
export { GATEWAY_CAPACITY };
/** The plugin's default ceiling on invokes in flight (config `maxConcurrency`). */
export const DEFAULT_MAX_CONCURRENCY = 120;

/** The calls measured: five tools and one health-monitor tick. */
export const CALLS = [
  { tool: "claw_fleet_status", kind: "tool", params: {} },
  { tool: "claw_gpu_inventory", kind: "tool", params: {} },
  { tool: "claw_workloads", kind: "tool", params: {} },
  { tool: "claw_multi_invoke", kind: "tool", params: { command: "gpu.metrics" } },
  { tool: "claw_deploy", kind: "tool", params: { image: "pytorch/pytorch:2.0", gpus: 1, dryRun: true } },
  { tool: "monitor_tick", kind: "method", method: "clawbernetes.health-check", params: {} },
];

/**
 * The node shapes. Every node lists the 68 commands of a default clawnode build (an operator
 * who allowed them all).
 * - small: 2 × H100 per node (0, 1 or 2 of them busy by turns), every 10th node without GPUs,
 *   1 running container;
 * - realistic: 8 × H100 per node, GPUs 0-3 busy, 3 containers (2 running, 1 exited) — the
 *   shape of `clawsim --shape realistic` and of issue 14's measurements.
 */
export const SHAPES = {
  small: {
    describe: "2 × NVIDIA H100 80GB per node (0, 1 or 2 busy by turns), every 10th node without GPUs, 1 running container, 68 commands",
    gpusPerNode: 2,
    containersPerNode: 1,
    options: { cpuOnlyEvery: 10, busyGpus: (i) => i % 3, gpus: 2, workloads: 1 },
  },
  realistic: {
    describe: "8 × NVIDIA H100 80GB per node (GPUs 0-3 busy), 3 containers (2 running, 1 exited), 68 commands",
    gpusPerNode: 8,
    containersPerNode: 3,
    options: { gpus: 8, busyGpus: 4, workloads: 3 },
  },
};

/** `{shape, gpusPerNode, containersPerNode, commandsPerNode}` of a shape, for every record. */
export function shapeFields(shape) {
  const s = SHAPES[shape];
  if (!s) throw new Error(`unknown shape ${shape}; one of ${Object.keys(SHAPES).join(", ")}`);
  return { shape, gpusPerNode: s.gpusPerNode, containersPerNode: s.containersPerNode, commandsPerNode: DEFAULT_COMMANDS.length };
}

export function benchNodes(n, shape) {
  shapeFields(shape);
  return makeNodes(n, { seed: SEED, ...SHAPES[shape].options });
}

/** A fake gateway with N nodes of `shape`: log-normal latency, or answers on the next turn. */
export function benchFleet(n, shape, { zeroLatency = false } = {}) {
  const latency = zeroLatency ? 0 : lognormalLatency({ ...LATENCY, seed: SEED });
  return createFleet({ nodes: benchNodes(n, shape), latency });
}

/**
 * What a right answer holds, computed from the fleet's specs alone: nodes, GPUs (total, busy =
 * loaded), containers (total, running = status "Up …").
 */
export function expectedTotals(fleet) {
  const t = { nodes: 0, gpus: 0, gpusBusy: 0, containers: 0, running: 0 };
  for (const node of fleet.nodes.values()) {
    t.nodes++;
    const s = node.spec;
    t.gpus += s.gpus.length;
    t.gpusBusy += s.gpus.filter((g) => g.util > 0).length;
    t.containers += s.workloads.length;
    t.running += s.workloads.filter((w) => w.status.startsWith("Up")).length;
  }
  return t;
}

/**
 * Whether a call's details agree with the expected totals (`expectedTotals`, or the gateway
 * fleet's `clawsim fleet --summary` in the same form); `[]` when right, else what differs.
 */
export function wrongTotals(tool, details, t) {
  const d = details ?? {};
  const diffs = [];
  const eq = (what, got, want) => {
    if (got !== want) diffs.push(`${what} ${JSON.stringify(got)}, expected ${want}`);
  };
  switch (tool) {
    case "claw_fleet_status":
    case "monitor_tick": {
      const s = tool === "monitor_tick" ? d.status : d;
      eq("nodes.total", s?.nodes?.total, t.nodes);
      eq("nodes.healthy", s?.nodes?.healthy, t.nodes);
      eq("gpus.total", s?.gpus?.total, t.gpus);
      eq("gpus.busy", s?.gpus?.busy, t.gpusBusy);
      eq("gpus.free", s?.gpus?.free, t.gpus - t.gpusBusy);
      eq("workloads.total", s?.workloads?.total, t.containers);
      eq("workloads.running", s?.workloads?.running, t.running);
      break;
    }
    case "claw_gpu_inventory":
      eq("total", d.total, t.gpus);
      eq("busy", d.busy, t.gpusBusy);
      eq("available", d.available, t.gpus - t.gpusBusy);
      break;
    case "claw_workloads":
      eq("total", d.total, t.containers);
      eq("counts.running", d.counts?.running, t.running);
      eq("counts.exited", d.counts?.exited, t.containers - t.running);
      eq("failedNodes", d.failedNodes?.length, 0);
      break;
    case "claw_multi_invoke":
      eq("results ok", d.results?.filter((r) => r.ok).length, t.nodes);
      break;
    case "claw_deploy":
      eq("nodes considered", (d.candidates?.length ?? 0) + (d.rejected?.length ?? 0), t.nodes);
      break;
    default:
      diffs.push(`no check for ${tool}`);
  }
  // why, when wrong: the distinct reasons the failed nodes gave
  const errors = [...(d.failedNodes ?? d.status?.failedNodes ?? []).map((f) => f.error), ...(d.results ?? []).filter((r) => !r.ok).map((r) => r.error)];
  if (diffs.length > 0 && errors.length > 0) diffs.push(`failures (${errors.length}): ${[...new Set(errors)].slice(0, 3).join(" | ")}`);
  return diffs;
}

export function pluginConfigFromEnv(extra = {}) {
  const fromEnv = process.env.BENCH_PLUGIN_CONFIG ? JSON.parse(process.env.BENCH_PLUGIN_CONFIG) : {};
  return { ...fromEnv, ...extra };
}

let pluginModule;
/** Import the built plugin's entry once per process (its default export). */
export async function loadPlugin() {
  if (!pluginModule) pluginModule = (await import(pathToFileURL(PLUGIN_ENTRY).href)).default;
  return pluginModule;
}

/** A fake host over `fleet` with the plugin registered in "full" mode (a fresh core: cold caches). */
export async function registeredHost(fleet, pluginConfig = {}) {
  const plugin = await loadPlugin();
  const host = createApi({ fleet, pluginConfig, registrationMode: "full" });
  host.register(plugin);
  return host;
}

/** Run one measured call; resolves with `{result, details, contentBytes, responseBytes, error}`. */
export async function runCall(host, call) {
  if (call.kind === "method") {
    const r = await host.callMethod(call.method, call.params);
    return { result: r, details: r.payload, contentBytes: 0, error: r.ok ? undefined : r.error?.message ?? "method failed" };
  }
  try {
    const result = await host.callTool(call.tool, call.params);
    const contentBytes = (result?.content ?? []).reduce((a, c) => a + (typeof c?.text === "string" ? Buffer.byteLength(c.text) : 0), 0);
    return { result, details: result?.details, contentBytes };
  } catch (err) {
    return { result: undefined, details: undefined, contentBytes: 0, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The fan-out counters a call reports in its details (`fanout`: limit, peakInFlight, retries, overloaded). */
export function fanoutOf(details) {
  const f = details?.fanout ?? details?.status?.fanout;
  return f && typeof f === "object" ? { ...f } : null;
}

/**
 * The wall time of a fan-out that does everything right but cannot see the future: each node's
 * invokes back to back, the nodes taken in the order they were served (`perNode`'s order), each
 * as soon as one of `slots` is free, no CPU time at all. Above `idealMs` when the slowest nodes
 * come late: a lower bound no fan-out that does not know the latencies in advance can beat.
 */
export function scheduleMs(perNode, slots) {
  const free = new Array(Math.max(1, slots)).fill(0);
  let end = 0;
  for (const s of Object.values(perNode)) {
    let k = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[k]) k = i;
    free[k] += s.busyMs;
    if (free[k] > end) end = free[k];
  }
  return end;
}

/** Invokes per node split by command: mean per node for each command, and the per-node maximum. */
export function invokeProfile(stats, fleet) {
  const n = fleet.nodes.size;
  const byCommand = {};
  let max = 0;
  let maxGpuNode = 0;
  let maxCpuOnlyNode = 0;
  let total = 0;
  for (const [id, s] of Object.entries(stats.perNode)) {
    let k = 0;
    for (const [c, v] of Object.entries(s.invokes)) {
      byCommand[c] = (byCommand[c] ?? 0) + v;
      k += v;
    }
    total += k;
    if (k > max) max = k;
    const node = fleet.nodes.get(id);
    if (node?.spec?.gpus?.length) maxGpuNode = Math.max(maxGpuNode, k);
    else maxCpuOnlyNode = Math.max(maxCpuOnlyNode, k);
  }
  for (const c of Object.keys(byCommand)) byCommand[c] = round(byCommand[c] / n, 3);
  return { mean: round(total / n, 3), max, maxGpuNode, maxCpuOnlyNode, byCommand };
}

export const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

export function median(xs) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

export const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

export const peakRssMb = () => round(process.resourceUsage().maxRSS / 1024, 1);

export const gc = () => {
  if (typeof globalThis.gc === "function") globalThis.gc();
};
