// Shared pieces of the benchmark: which plugin, which fleet, which calls, and small statistics.
import { resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createFleet, createApi, makeNodes, lognormalLatency, DEFAULT_COMMANDS, LINUX_DEFAULT_ALLOW } from "../tests/support/fake-openclaw.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PLUGIN_ENTRY = process.env.BENCH_PLUGIN ? resolve(process.env.BENCH_PLUGIN) : resolve(ROOT, "js-shim/index.js");
export const SEED = Number(process.env.BENCH_SEED ?? 20260906);
export const LATENCY = { median: 20, p99: 200 };

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
 * The simulated fleet: fixture-shaped 2×H100 nodes, every 10th node without GPUs; GPUs in use:
 * 0, 1 or 2 by turns. Each node lists the 68 commands of a default clawnode build (an operator
 * who allowed them all), or with BENCH_COMMANDS=policy only those its approval would admit on a
 * gateway with no gateway.nodes.commands.allow: the plugin's node invoke policy and linux defaults.
 */
export function benchNodes(n, commands = fleetCommands()) {
  return makeNodes(n, { cpuOnlyEvery: 10, busyGpus: (i) => i % 3, seed: SEED, ...(commands ? { commands } : {}) });
}

/** The commands the five tools and the monitor send. */
export const TOOL_COMMANDS = ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "system.info", "workload.list", "workload.run", "workload.stop"];

let policyCommands;
/**
 * undefined (all 68); BENCH_COMMANDS=policy: the approved surface under the plugin's policy;
 * BENCH_COMMANDS=minimal: only TOOL_COMMANDS.
 */
export function fleetCommands() {
  if (process.env.BENCH_COMMANDS === "minimal") return TOOL_COMMANDS;
  if (process.env.BENCH_COMMANDS !== "policy") return undefined;
  if (!policyCommands) throw new Error("call preparePolicyCommands() first");
  return policyCommands;
}

/** Reads the node invoke policy the plugin registers (needed for BENCH_COMMANDS=policy). */
export async function preparePolicyCommands() {
  if (process.env.BENCH_COMMANDS !== "policy" || policyCommands) return;
  const plugin = await loadPlugin();
  const host = createApi({ fleet: createFleet({ nodes: [] }), pluginConfig: pluginConfigFromEnv() });
  host.register(plugin);
  const allowed = new Set([...host.policies.flatMap((p) => p.commands ?? []), ...LINUX_DEFAULT_ALLOW]);
  policyCommands = DEFAULT_COMMANDS.filter((c) => allowed.has(c));
}

export function benchFleet(n, { zeroLatency = false } = {}) {
  const latency = zeroLatency ? 0 : lognormalLatency({ ...LATENCY, seed: SEED });
  return createFleet({ nodes: benchNodes(n), latency });
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

/** A fake host over `fleet` with the plugin registered in "full" mode. */
export async function registeredHost(fleet, pluginConfig = {}) {
  const plugin = await loadPlugin();
  const host = createApi({ fleet, pluginConfig, registrationMode: "full" });
  host.register(plugin);
  return host;
}

/** Run one measured call; resolves with `{result, contentBytes, error}`. */
export async function runCall(host, call) {
  if (call.kind === "method") {
    const r = await host.callMethod(call.method, call.params);
    const text = r.ok ? JSON.stringify(r.payload ?? null) : "";
    return { result: r, contentBytes: 0, responseBytes: Buffer.byteLength(text), error: r.ok ? undefined : r.error?.message ?? "method failed" };
  }
  try {
    const result = await host.callTool(call.tool, call.params);
    const contentBytes = (result?.content ?? []).reduce((a, c) => a + (typeof c?.text === "string" ? Buffer.byteLength(c.text) : 0), 0);
    return { result, contentBytes };
  } catch (err) {
    return { result: undefined, contentBytes: 0, error: err instanceof Error ? err.message : String(err) };
  }
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

export function quantile(xs, q) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q2) => p - q2);
  if (!a.length) return NaN;
  return a[Math.min(a.length - 1, Math.floor(q * a.length))];
}

export const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

export const peakRssMb = () => round(process.resourceUsage().maxRSS / 1024, 1);

export const gc = () => {
  if (typeof globalThis.gc === "function") globalThis.gc();
};
