// What the skills checker learns from the built plugin itself: each tool's `parameters` JSON
// schema exactly as the shim registers it, the `details` of real results (from running every
// tool on small fixture fleets through the fake OpenClaw host, tests/support/fake-openclaw.mjs),
// the plugin's gateway methods, the gateway events its health monitor broadcasts, the alerts it
// hands the agent as system events, and its own argument check of `claw_deploy`.
// Nothing here is copied by hand: when the core changes, the checker follows.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The calls whose results are the samples of each tool's `details`, on the fixture fleet
 * (tests/js/fleet.mjs fixtureNodes() + deployNodes()). Together they reach every field a result
 * can have: nodes in most states (so problems and failedNodes are not empty; the host's caller
 * may see pending surfaces, so the node waiting for approval is unusable), a deploy planned and
 * one run and confirmed (with every argument, so runParams shows every key workload.run can
 * get), the inventory and fleet status after it (a GPU held, with heldBy), one healthy and one
 * degraded node alone (severity ok and warning), and a multi-invoke where one node fails and one
 * is skipped.
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
  ["claw_fleet_status", { nodeFilter: "free-2" }],
  ["claw_fleet_status", { nodeFilter: "cpu-b" }],
  ["claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, strategy: "spread", dryRun: true }],
];

/**
 * Deploys whose new container ends in each confirmation outcome (and each health a watch can
 * end on): the deploy fleet with
 * workload.run's container listed in that Docker status (`runStatus`), and the plugin config.
 */
export const OUTCOME_RUNS = [
  ["Exited (1) 1 second ago", {}],
  ["Restarting (2) 1 second ago", {}],
  ["Created", { deploy: { confirmMs: 1200 } }],
  ["Up 1 second (health: starting)", { deploy: { confirmMs: 1200 } }],
  ["Up 2 seconds (unhealthy)", {}],
  ["Up 2 seconds (healthy)", {}],
];

/** The GPUs of a node in MIG mode: clawnode reports 0 MB of VRAM for each. */
const MIG_GPU = { index: 0, uuid: "GPU-mig-0", utilization_percent: 0, memory_used_mb: 0, memory_total_mb: 0, temperature_c: 40, power_draw_w: null, power_limit_w: null };

/**
 * The states the fixture fleet does not reach, each on one extra node: a node that does not
 * answer in time (unreachable), one whose GPU cannot be read (unknown), one short of memory
 * and overloaded, one with a disk entry that cannot be read (payload), and containers whose
 * health check is still starting or whose status no runtime word names (unknown).
 */
function extraNodes(fx, gpuAnswers, health) {
  const caps = gpuAnswers("mig-g", [{ model: "NVIDIA A100-SXM4-80GB", used: 0, util: 0, temp: 40 }]);
  return [
    { nodeId: "e1".repeat(32), displayName: "slow-u" },
    {
      nodeId: "e2".repeat(32),
      displayName: "mig-g",
      answers: { ...caps, "gpu.metrics": { count: 1, metrics: [MIG_GPU] }, "node.health": health("mig-g", (h) => { h.gpu_count = 1; }) },
    },
    {
      nodeId: "e3".repeat(32),
      displayName: "busy-m",
      answers: {
        "node.health": health("busy-m", (h) => {
          h.memory = { total_mb: 24105, used_mb: 23800, available_mb: 305, usage_percent: 98.7 };
          h.load_average = { one: 9, five: 9, fifteen: 9 };
          h.disks.push({ mount: "/mnt/bad", total_bytes: -1, available_bytes: 0, usage_percent: 0 });
        }),
        "workload.list": {
          count: 2,
          runtime: "cli",
          workloads: [
            { containerId: "e30000000001", image: "nginx:1.27", name: "web-new", status: "Up 3 seconds (health: starting)" },
            { containerId: "e30000000002", image: "busybox:1.36", name: "odd", status: "Frozen" },
          ],
        },
      },
    },
  ];
}

/** Calls on the extra nodes (with the fixture fleet beside them). */
export const EXTRA_CALLS = [
  ["claw_fleet_status", {}],
  ["claw_gpu_inventory", { nodeId: "mig-g" }],
  ["claw_workloads", { nodeId: "busy-m" }],
];

const cache = new Map();

/**
 * Registers js-shim/index.js into the fake host over the fixture fleets and runs the sample
 * calls. Resolves with `{tools: {name: {parameters, description}}, samples: {name: [details, …]},
 * methods (gateway method names), events (gateway event names the monitor broadcasts), alerts
 * (the texts the monitor handed the agent as system events), transitions (the monitor's, behind
 * those alerts), states (every node state word a
 * result or a transition showed), checkDeploy(args) (the plugin's own argument check of
 * claw_deploy: resolves with its error text, or null when it accepts them), stale}`; `stale` is a
 * warning when src/ has files newer than pkg/ (the facts may be out of date: run bash
 * scripts/build.sh). Throws when pkg/ is not built.
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
  const { fixtureNodes, deployNodes, fx, gpuAnswers, health, ID } = await import(url("tests/js/fleet.mjs"));
  const { default: plugin } = await import(url("js-shim/index.js"));
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "openclaw.plugin.json"), "utf8"));
  const hostOver = (nodes, pluginConfig = {}, latency = 0) => {
    const fleet = createFleet({ nodes, latency });
    const host = createApi({ fleet, pluginConfig, manifest, registrationMode: "full", scopes: ["operator.admin"] });
    host.register(plugin);
    if (host.errors.length) throw new Error(`the plugin did not register cleanly: ${host.errors.join("; ")}`);
    return { host, fleet };
  };
  const samples = {};
  const sample = async (host, name, args) => {
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
  };

  const { host } = hostOver([...fixtureNodes(), ...deployNodes()]);
  const tools = {};
  for (const [name, tool] of host.tools) {
    const t = typeof tool === "function" ? tool({}) : tool;
    tools[name] = { parameters: t.parameters, description: t.description };
  }
  for (const [name, args] of SAMPLE_CALLS) await sample(host, name, args);
  for (const name of Object.keys(tools)) {
    if (!samples[name]) throw new Error(`SAMPLE_CALLS has no call of ${name}: add one so its details are known`);
  }

  // The states the fixture fleet does not reach; slow-u answers after its deadline.
  const slow = "e1".repeat(32);
  const extra = hostOver([...fixtureNodes(), ...extraNodes(fx, gpuAnswers, health)], { invokeTimeoutMs: 300 },
    ({ node }) => (node.nodeId === slow ? 2000 : 0)).host;
  for (const [name, args] of EXTRA_CALLS) await sample(extra, name, args);

  // Each confirmation outcome, in parallel (each watch polls once a second).
  const outcomes = OUTCOME_RUNS.map(([runStatus, config]) => {
    const h = hostOver(deployNodes().map((n) => ({ ...n, runStatus })), config).host;
    return h.callTool("claw_deploy", { image: "pytorch/pytorch:2.0", name: "watched-1" });
  });
  for (const r of await Promise.all(outcomes)) samples.claw_deploy.push(r.details);

  // The gateway events the monitor broadcasts and the alerts it hands the agent: start the
  // service, run one health check (the fixture fleet's nodes are all first seen, so each gets a
  // transition, and the bad ones an alert), stop the service.
  await host.startServices();
  let events;
  const transitions = [];
  try {
    const check = await host.callMethod("clawbernetes.health-check", {});
    if (!check.ok) throw new Error(`clawbernetes.health-check failed: ${JSON.stringify(check.error)}`);
    transitions.push(...check.payload.transitions);
    events = [...new Set(host.events.map((e) => e.event))].sort();
  } finally {
    await host.stopServices();
  }
  if (events.length === 0) throw new Error("the health monitor broadcast no event on the fixture fleet");
  const watched = await alertsOverTime(hostOver, fixtureNodes, deployNodes, fx, ID);
  transitions.push(...watched.transitions);
  const alerts = [...host.queuedSystemEvents(), ...watched.alerts];

  const states = new Set(transitions.flatMap((t) => [t.from, t.to]).filter((s) => typeof s === "string"));
  for (const d of samples.claw_fleet_status) for (const n of d.nodeDetails) states.add(n.state);

  // claw_deploy's own argument check, in read-only mode so nothing ever runs.
  const checker = hostOver([...deployNodes()], { readOnly: true }).host;
  const checkDeploy = async (args) => {
    try {
      await checker.callTool("claw_deploy", { ...args, dryRun: true });
      return null;
    } catch (e) {
      if (e?.code === "INVALID_REQUEST") return String(e.message);
      throw e;
    }
  };

  return {
    tools, samples, methods: [...host.methods.keys()].sort(), events, alerts, transitions, states: [...states].sort(), checkDeploy, stale,
  };
}

/**
 * Alerts over several ticks, with a short cool-down: a node going bad and another leaving the
 * gateway in one tick, the first recovering, then going bad and recovering again within the
 * cool-down, both summed up as flapping when it ends. Resolves with `{alerts, transitions}`.
 */
async function alertsOverTime(hostOver, fixtureNodes, deployNodes, fx, ID) {
  const cooldownMs = 300;
  const { host, fleet } = hostOver([fixtureNodes()[0], deployNodes()[1]], { alerts: { cooldownMs } });
  const temp = (c) => {
    const m = fx("gpu.metrics");
    m.metrics[0].temperature_c = c;
    fleet.nodes.get(ID.a).answers["gpu.metrics"] = m;
  };
  const transitions = [];
  const tick = async () => {
    const r = await host.callMethod("clawbernetes.health-check", {});
    if (!r.ok) throw new Error(`clawbernetes.health-check failed: ${JSON.stringify(r.error)}`);
    transitions.push(...r.payload.transitions);
  };
  await tick();
  temp(95);
  fleet.nodes.delete("20".repeat(32));
  await tick();
  temp(70);
  await tick();
  temp(95);
  await tick();
  temp(70);
  await tick();
  await new Promise((resolve) => setTimeout(resolve, cooldownMs + 50));
  await tick();
  return { alerts: host.queuedSystemEvents(), transitions };
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
