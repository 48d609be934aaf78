// Shared set-up for the JS suites: the fixture fleet (nodes whose answers are the clawnode
// fixture payloads, or small stated variants of them) and a loader that registers the built
// plugin through its shim into the fake OpenClaw host. Not a test file itself.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createApi, createFleet, FIXTURES, DEFAULT_COMMANDS } from "../support/fake-openclaw.mjs";
import plugin from "../../js-shim/index.js";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const MANIFEST = JSON.parse(readFileSync(resolve(ROOT, "openclaw.plugin.json"), "utf8"));
export { plugin };

/** A deep copy of the fixture response of `command` (tests/fixtures/clawnode/<command>.json). */
export const fx = (command) => structuredClone(FIXTURES[command].response);

export const H100 = "NVIDIA H100 80GB HBM3";
export const A100 = "NVIDIA A100-SXM4-80GB";

// Stable 64-hex-looking ids so failures are easy to read.
export const ID = {
  a: "a".repeat(64),
  b: "b".repeat(64),
  c: "c".repeat(64),
  d: "d".repeat(64),
  e: "e".repeat(64),
  phone: "f1".repeat(32),
  off: "f2".repeat(32),
  pending: "f3".repeat(32),
};

/** node.capabilities + gpu.list + gpu.metrics answers for GPUs `[{model, used, util, temp, power?}]`. */
export function gpuAnswers(host, gpus) {
  const caps = fx("node.capabilities");
  caps.hostname = host;
  caps.gpus = gpus.map((g, index) => ({ index, memory_mb: 81559, name: g.model }));
  caps.gpu_count = gpus.length;
  caps.gpu_total_memory_gb = Math.floor((81559 * gpus.length) / 1024);
  if (gpus.length === 0) caps.capabilities = ["system", "docker", "container"];
  const uuid = (i) => `GPU-${host}-${i}`;
  const list = {
    count: gpus.length,
    gpus: gpus.map((g, index) => ({ index, memory_total_mb: 81559, name: g.model, pci_bus_id: `00000000:1${index}:00.0`, uuid: uuid(index) })),
    total_memory_gb: caps.gpu_total_memory_gb,
  };
  const metrics = {
    count: gpus.length,
    metrics: gpus.map((g, index) => ({
      index,
      memory_total_mb: 81559,
      memory_used_mb: g.used,
      power_draw_w: g.power ?? null,
      power_limit_w: g.power ? 700.0 : null,
      temperature_c: g.temp,
      utilization_percent: g.util,
      uuid: uuid(index),
    })),
  };
  return { "node.capabilities": caps, "gpu.list": list, "gpu.metrics": metrics };
}

/** node.health, the fixture's numbers with `patch(h)` applied. */
export function health(host, patch = () => {}) {
  const h = fx("node.health");
  h.hostname = host;
  patch(h);
  return h;
}

const DOCKER_STATES = [
  { containerId: "b00000000001", image: "vllm/vllm-openai:v0.6.0", name: "serve-1", status: "Up 5 minutes" },
  { containerId: "b00000000002", image: "pytorch/pytorch:2.0", name: "train-oom", status: "Exited (137) 5 seconds ago" },
  { containerId: "b00000000003", image: "pytorch/pytorch:2.0", name: "train-new", status: "Created" },
  { containerId: "b00000000004", image: "redis:7", name: "cache", status: "Restarting (1) 4 seconds ago" },
  { containerId: "b00000000005", image: "redis:7", name: "cache-old", status: "Up 3 hours (Paused)" },
  { containerId: "b00000000006", image: "busybox:1.36", name: "gone", status: "Dead" },
  { containerId: "b00000000007", image: "nginx:1.27", name: "web", status: "Up 2 hours (unhealthy)" },
  { containerId: "b00000000008", image: "nginx:1.27", name: "api", status: "Up 10 minutes (healthy)" },
  { containerId: "b00000000009", image: "busybox:1.36", name: "old-job", status: "Removal In Progress" },
];
export const B_WORKLOADS = DOCKER_STATES;

/**
 * The fixture fleet:
 * - gpu-a: answers every command with the fixtures as they are (2× H100, GPU 0 busy, GPU 1 idle);
 * - cpu-b: no GPUs, 16 CPUs / 64300 MB, nine containers in every Docker state, one failing its
 *   health check and one in a restart loop → degraded;
 * - hot-c: 2× A100, GPU 0 at 93 °C (critical) → unhealthy; GPU 1 idle;
 * - disk-d: the fixtures with the root disk 97% full (critical, 8.1 GB free) → unhealthy;
 * - dead-e: every invoke fails with COMMAND_ERROR "simulated failure": it answers, but its health
 *   cannot be read → unhealthy;
 * - off-1: a clawnode that is listed but not connected → offline;
 * - wait-1: a clawnode waiting for approval: node.list shows it with caps [] and commands [] (its
 *   pending commands only to callers holding operator.admin or operator.pairing); the plugin names
 *   it (unusable, with how to approve it) for every caller, since it is a node-host awaiting approval;
 * - phone-1: an iPhone node (client openclaw-ios), not a clawnode: never counted.
 * Nodes are today's clawnodes (protocol 3, platform "linux x86_64") unless said otherwise.
 */
export function fixtureNodes() {
  const failing = new Proxy({}, { get: () => ({ error: { code: "COMMAND_ERROR", message: "simulated failure" } }), has: () => true });
  return [
    { nodeId: ID.a, displayName: "gpu-a" },
    {
      nodeId: ID.b,
      displayName: "cpu-b",
      caps: ["container", "docker", "system"],
      answers: {
        ...gpuAnswers("cpu-b", []),
        "node.capabilities": { ...gpuAnswers("cpu-b", [])["node.capabilities"], cpu_count: 16, total_memory_mb: 64300 },
        "node.health": health("cpu-b", (h) => {
          h.cpu_count = 16;
          h.gpu_count = 0;
          h.load_average = { one: 4, five: 8, fifteen: 6 };
          h.memory = { available_mb: 48000, total_mb: 64300, used_mb: 16300, usage_percent: 25.35 };
        }),
        "workload.list": { count: DOCKER_STATES.length, runtime: "cli", workloads: DOCKER_STATES },
      },
    },
    {
      nodeId: ID.c,
      displayName: "hot-c",
      answers: {
        ...gpuAnswers("hot-c", [
          { model: A100, used: 70000, util: 95, temp: 93, power: 398.5 },
          { model: A100, used: 0, util: 0, temp: 41 },
        ]),
        "node.health": health("hot-c"),
        "workload.list": { count: 0, runtime: "cli", workloads: [] },
      },
    },
    {
      nodeId: ID.d,
      displayName: "disk-d",
      answers: {
        "node.health": health("disk-d", (h) => {
          h.disks[0].usage_percent = 97;
          h.disks[0].available_bytes = 8116595220;
        }),
      },
    },
    { nodeId: ID.e, displayName: "dead-e", answers: failing },
    {
      nodeId: ID.phone,
      displayName: "phone-1",
      clientId: "openclaw-ios",
      platform: "ios",
      protocol: 4,
      deviceFamily: "iPhone",
      caps: ["camera", "location"],
      commands: ["system.notify", "camera.snap", "location.get"],
    },
    { nodeId: ID.off, displayName: "off-1", connected: false },
    { nodeId: ID.pending, displayName: "wait-1", approvalState: "pending-approval" },
  ];
}

/** A fleet of `nodes` that answer on the next turn of the event loop. */
export const fleetOf = (nodes, opts = {}) => createFleet({ nodes, latency: 0, ...opts });

/** Registers the plugin into a fake host over `fleet`; returns the host (`callTool`, `callMethod`, …). */
export function load({ fleet = fleetOf(fixtureNodes()), pluginConfig = {}, ...rest } = {}) {
  const host = createApi({ fleet, pluginConfig, manifest: MANIFEST, ...rest });
  host.register(plugin);
  return host;
}

/** The text of a tool result's single content block (and a check that there is exactly one). */
export function textOf(result) {
  if (!Array.isArray(result.content) || result.content.length !== 1 || result.content[0].type !== "text") {
    throw new Error(`expected one text block, got ${JSON.stringify(result.content)}`);
  }
  return result.content[0].text;
}

/** The invokes the fleet recorded since the last takeLog(), as [nodeName, command, params]. */
export function invokes(fleet) {
  const names = new Map([...fleet.nodes.values()].map((n) => [n.nodeId, n.displayName]));
  return fleet.takeLog().filter((e) => e.op === "invoke").map((e) => [names.get(e.nodeId), e.command, e.params]);
}

export { DEFAULT_COMMANDS, createApi, createFleet };

/**
 * The deploy fleet: three nodes with the fixture health (2 CPUs, load 2.34, 22789/24105 MB) and
 * the fixture container list (one running):
 * - busy-0: the fixtures as they are (GPU 0 busy: 61234 MB, 87%);
 * - free-2: 2× H100, both idle;
 * - free-4: 4× H100, all idle.
 * `extra[name]` adds or overrides answers of that node.
 */
export function deployNodes(extra = {}) {
  const idle = (n) => Array.from({ length: n }, (_, i) => ({ model: H100, used: 1, util: 0, temp: 33 + i }));
  return [
    { nodeId: "10".repeat(32), displayName: "busy-0", answers: { ...(extra["busy-0"] ?? {}) } },
    { nodeId: "20".repeat(32), displayName: "free-2", answers: { ...gpuAnswers("free-2", idle(2)), "node.health": health("free-2"), ...(extra["free-2"] ?? {}) } },
    { nodeId: "40".repeat(32), displayName: "free-4", answers: { ...gpuAnswers("free-4", idle(4)), "node.health": health("free-4", (h) => { h.gpu_count = 4; }), ...(extra["free-4"] ?? {}) } },
  ];
}
