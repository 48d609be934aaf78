// What the skills checker learns from the built plugin itself: each tool's `parameters` JSON
// schema exactly as the shim registers it, and the `details` of real results, from running every
// tool on a small fixture fleet through the fake OpenClaw host (tests/support/fake-openclaw.mjs),
// plus the plugin's gateway methods and the gateway events its health monitor broadcasts.
// Nothing here is copied by hand: when the core changes, the checker follows.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The calls whose results are the samples of each tool's `details`. Together they reach every
 * field a result can have: nodes in most states (so problems and failedNodes are not empty; the
 * host's caller may see pending surfaces, so the node waiting for approval is unusable), a
 * deploy planned and one run and confirmed (with every argument, so runParams shows every key
 * workload.run can get), the inventory after it (a GPU held, with heldBy), and a multi-invoke
 * where one node fails and one is skipped.
 */
export const SAMPLE_CALLS = [
  ["claw_fleet_status", {}],
  ["claw_gpu_inventory", {}],
  ["claw_workloads", {}],
  ["claw_multi_invoke", { command: "system.info" }],
  ["claw_multi_invoke", { command: "gpu.metrics", nodes: ["gpu-a", "dead-e"] }],
  ["claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, gpuModel: "H100", dryRun: true }],
  ["claw_deploy", {
    image: "pytorch/pytorch:2.0", gpus: 1, memory: "8g", cpu: 2, env: { EPOCHS: "3" }, command: ["python", "train.py"],
    name: "train-1", volumes: ["/data:/data:ro"], shmSize: "1g", gpuModel: "H100", minVramMb: 40000, strategy: "binpack",
  }],
  ["claw_gpu_inventory", { nodeId: "free-2" }],
];

const cache = new Map();

/**
 * Registers js-shim/index.js into the fake host over the fixture fleet (tests/js/fleet.mjs:
 * fixtureNodes() plus deployNodes()) and runs SAMPLE_CALLS. Resolves with
 * `{tools: {name: {parameters, description}}, samples: {name: [details, …]}, methods (gateway
 * method names), events (gateway event names the monitor broadcasts), stale}`; `stale` is a warning when src/ has files newer than pkg/ (the facts may be out of
 * date: run bash scripts/build.sh). Throws when pkg/ is not built.
 */
export function readPluginFacts(repoRoot) {
  const root = path.resolve(repoRoot);
  if (!cache.has(root)) cache.set(root, load(root));
  return cache.get(root);
}

async function load(root) {
  const stale = builtState(root);
  const url = (rel) => pathToFileURL(path.join(root, rel)).href;
  const { createApi, createFleet } = await import(url("tests/support/fake-openclaw.mjs"));
  const { fixtureNodes, deployNodes } = await import(url("tests/js/fleet.mjs"));
  const { default: plugin } = await import(url("js-shim/index.js"));
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "openclaw.plugin.json"), "utf8"));

  const fleet = createFleet({ nodes: [...fixtureNodes(), ...deployNodes()], latency: 0 });
  const host = createApi({ fleet, pluginConfig: {}, manifest, registrationMode: "full", scopes: ["operator.admin"] });
  host.register(plugin);
  if (host.errors.length) throw new Error(`the plugin did not register cleanly: ${host.errors.join("; ")}`);

  const tools = {};
  for (const [name, tool] of host.tools) {
    const t = typeof tool === "function" ? tool({}) : tool;
    tools[name] = { parameters: t.parameters, description: t.description };
  }
  const samples = {};
  for (const [name, args] of SAMPLE_CALLS) {
    let result;
    try {
      result = await host.callTool(name, args);
    } catch (e) {
      throw new Error(`sample call ${name} ${JSON.stringify(args)} failed on the fixture fleet: ${e.message}`);
    }
    if (!result || typeof result.details !== "object" || result.details === null) {
      throw new Error(`sample call ${name} returned no details`);
    }
    (samples[name] ??= []).push(result.details);
  }
  for (const name of Object.keys(tools)) {
    if (!samples[name]) throw new Error(`SAMPLE_CALLS has no call of ${name}: add one so its details are known`);
  }

  // The gateway events the monitor broadcasts: start the service, run one health check (the
  // fixture fleet's nodes are all first seen, so each gets a transition), stop the service.
  await host.startServices();
  let events;
  try {
    const check = await host.callMethod("clawbernetes.health-check", {});
    if (!check.ok) throw new Error(`clawbernetes.health-check failed: ${JSON.stringify(check.error)}`);
    events = [...new Set(host.events.map((e) => e.event))].sort();
  } finally {
    await host.stopServices();
  }
  if (events.length === 0) throw new Error("the health monitor broadcast no event on the fixture fleet");

  return { tools, samples, methods: [...host.methods.keys()].sort(), events, stale };
}

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function builtState(root) {
  const wasm = path.join(root, "pkg", "clawbernetes_bg.wasm");
  if (!fs.existsSync(wasm)) throw new Error("pkg/ is not built: run bash scripts/build.sh");
  const src = path.join(root, "src");
  if (fs.existsSync(src) && newest(src) > fs.statSync(wasm).mtimeMs) {
    return "src/ has files newer than pkg/: the tools read may be out of date (run bash scripts/build.sh)";
  }
  return null;
}

/** Every field path in `values` (objects; arrays shown as `[]`), sorted: `candidates[].score`. */
export function fieldPaths(values, free = new Set()) {
  const out = new Set();
  const walk = (v, prefix) => {
    if (Array.isArray(v)) {
      for (const el of v) walk(el, `${prefix}[]`);
      return;
    }
    if (v === null || typeof v !== "object") return;
    for (const [k, inner] of Object.entries(v)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      if (!free.has(k)) walk(inner, p);
    }
  };
  for (const v of values) walk(v, "");
  return [...out].sort();
}
