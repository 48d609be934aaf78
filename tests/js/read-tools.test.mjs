// claw_fleet_status, claw_gpu_inventory and claw_workloads over the fixture fleet (see
// fleet.mjs): exact details and content, filters and argument errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, textOf, fleetOf, fixtureNodes, ID, H100, A100 } from "./fleet.mjs";

const FIX_UUID0 = "GPU-5c9a1e2b-3f4d-4e5f-8a9b-0c1d2e3f4a5b";
const FIX_UUID1 = "GPU-6d0b2f3c-4a5e-5f6a-9b0c-1d2e3f4a5b6c";
const FAIL = "node.capabilities: COMMAND_ERROR: simulated failure";

// The two fixture GPUs (gpu.metrics.json) as inventory entries of node `id`/`name`.
const fixtureGpus = (nodeId, nodeName) => [
  { available: false, index: 0, memoryTotalMb: 81559, memoryUsedMb: 61234, model: H100, nodeId, nodeName, powerDrawW: 512.3400268554688, powerLimitW: 700, temperatureC: 71, utilizationPercent: 87, uuid: FIX_UUID0 },
  { available: true, index: 1, memoryTotalMb: 81559, memoryUsedMb: 1, model: H100, nodeId, nodeName, powerDrawW: null, powerLimitW: null, temperatureC: 33, utilizationPercent: 0, uuid: FIX_UUID1 },
];
const HOT_GPUS = [
  { available: false, index: 0, memoryTotalMb: 81559, memoryUsedMb: 70000, model: A100, nodeId: ID.c, nodeName: "hot-c", powerDrawW: 398.5, powerLimitW: 700, temperatureC: 93, utilizationPercent: 95, uuid: "GPU-hot-c-0" },
  { available: true, index: 1, memoryTotalMb: 81559, memoryUsedMb: 0, model: A100, nodeId: ID.c, nodeName: "hot-c", powerDrawW: null, powerLimitW: null, temperatureC: 41, utilizationPercent: 0, uuid: "GPU-hot-c-1" },
];

const detail = (nodeId, nodeName, o) => ({
  containerRuntime: "docker", cpuCount: 2, diskUsedPercent: 70.39, gpusFree: 1, gpusTotal: 2, loadPerCpu: 1.17,
  memoryAvailableMb: 22789, memoryTotalMb: 24105, nodeId, nodeName, problems: [], state: "healthy", workloadsRunning: 1, ...o,
});

test("fleet status: 5 clawnodes counted by state; phone, disconnected and pending nodes not counted", async () => {
  const { details } = await load().callTool("claw_fleet_status");
  assert.deepEqual(details.nodes, { total: 5, healthy: 2, degraded: 0, unhealthy: 2, unreachable: 1 });
  assert.deepEqual(details.pendingNodes, [{ nodeId: ID.pending, nodeName: "wait-1" }]);
  assert.deepEqual(details.failedNodes, [{ nodeId: ID.e, nodeName: "dead-e", error: FAIL }]);
});

test("fleet status: GPU totals and free by model, memory totals and running workloads are exact", async () => {
  const { details } = await load().callTool("claw_fleet_status");
  assert.deepEqual(details.gpus, {
    total: 6,
    free: 3,
    byModel: [
      { model: A100, total: 2, free: 1 },
      { model: H100, total: 4, free: 2 },
    ],
  });
  // 24105 × 3 (fixture health on gpu-a, hot-c, disk-d) + 64300 (cpu-b); available 22789 × 3 + 48000
  assert.deepEqual(details.memory, { totalMb: 136615, availableMb: 116367 });
  // running: train-1 on gpu-a and disk-d, serve-1 on cpu-b ("Up 3 hours (Paused)" is not running)
  assert.deepEqual(details.workloads, { running: 3, total: 8 });
});

test("fleet status: problems name node, kind, severity and threshold, critical first", async () => {
  const { details } = await load().callTool("claw_fleet_status");
  assert.deepEqual(details.problems, [
    { nodeId: ID.e, nodeName: "dead-e", severity: "critical", kind: "unreachable", message: FAIL },
    { nodeId: ID.d, nodeName: "disk-d", severity: "critical", kind: "disk", message: "disk / 97% full (critical at 95%)" },
    { nodeId: ID.c, nodeName: "hot-c", severity: "critical", kind: "gpuTemperature", message: "GPU 0 at 93 °C (critical at 90 °C)" },
  ]);
});

test("fleet status: per-node details by name, health computed from the numbers (fixture status 'healthy' ignored)", async () => {
  const { details } = await load().callTool("claw_fleet_status");
  assert.deepEqual(details.nodeDetails, [
    detail(ID.b, "cpu-b", { cpuCount: 16, gpusFree: 0, gpusTotal: 0, loadPerCpu: 0.5, memoryAvailableMb: 48000, memoryTotalMb: 64300 }),
    {
      containerRuntime: null, cpuCount: 0, diskUsedPercent: 0, gpusFree: 0, gpusTotal: 0, loadPerCpu: 0, memoryAvailableMb: 0,
      memoryTotalMb: 0, nodeId: ID.e, nodeName: "dead-e", state: "unreachable", workloadsRunning: 0,
      problems: [{ kind: "unreachable", message: FAIL, severity: "critical" }],
    },
    detail(ID.d, "disk-d", { diskUsedPercent: 97, state: "unhealthy", problems: [{ kind: "disk", message: "disk / 97% full (critical at 95%)", severity: "critical" }] }),
    detail(ID.a, "gpu-a"),
    detail(ID.c, "hot-c", { state: "unhealthy", workloadsRunning: 0, problems: [{ kind: "gpuTemperature", message: "GPU 0 at 93 °C (critical at 90 °C)", severity: "critical" }] }),
  ]);
});

test("fleet status: content is the exact compact summary, problems and totals first", async () => {
  const r = await load().callTool("claw_fleet_status");
  assert.equal(textOf(r), [
    "Fleet: 5 clawnodes — 2 healthy, 0 degraded, 2 unhealthy, 1 unreachable.",
    `GPUs: 3/6 free (${A100} 1/2 free; ${H100} 2/4 free).`,
    "Memory: 114 GB available of 133 GB. Workloads: 3 running, 8 containers in all.",
    "Problems (3):",
    `- dead-e [critical] ${FAIL}`,
    "- disk-d [critical] disk / 97% full (critical at 95%)",
    "- hot-c [critical] GPU 0 at 93 °C (critical at 90 °C)",
    "Waiting for approval: 1 node (wait-1) — openclaw nodes pending, then openclaw nodes approve <requestId>.",
  ].join("\n"));
});

test("fleet status: a warning threshold (GPU at 85 °C) makes a node degraded with a warning problem", async () => {
  const nodes = fixtureNodes().slice(0, 1);
  nodes[0].answers = { "gpu.metrics": (() => { const m = JSON.parse(JSON.stringify(fixtureNodes()[2].answers["gpu.metrics"])); m.metrics[0].temperature_c = 85; return m; })() };
  const { details } = await load({ fleet: fleetOf(nodes) }).callTool("claw_fleet_status");
  assert.deepEqual(details.nodes, { total: 1, healthy: 0, degraded: 1, unhealthy: 0, unreachable: 0 });
  assert.deepEqual(details.problems, [{ nodeId: ID.a, nodeName: "gpu-a", severity: "warning", kind: "gpuTemperature", message: "GPU 0 at 85 °C (warning at 80 °C)" }]);
});

test("fleet status: nodeFilter by part of a name selects that node; an unknown filter names the connected nodes", async () => {
  const host = load();
  const { details } = await host.callTool("claw_fleet_status", { nodeFilter: "HOT" });
  assert.deepEqual(details.nodes, { total: 1, healthy: 0, degraded: 0, unhealthy: 1, unreachable: 0 });
  await assert.rejects(host.callTool("claw_fleet_status", { nodeFilter: "nope" }), {
    message: 'claw_fleet_status: nodeFilter "nope" names no connected clawnode; connected: cpu-b, dead-e, disk-d, gpu-a, hot-c',
  });
});

test("fleet status with no clawnode connected says so in content and counts zero", async () => {
  const r = await load({ fleet: fleetOf([]) }).callTool("claw_fleet_status");
  assert.equal(textOf(r), "No clawnode is connected to the gateway.");
  assert.deepEqual(r.details.nodes, { total: 0, healthy: 0, degraded: 0, unhealthy: 0, unreachable: 0 });
});

test("gpu inventory: every fixture GPU with all fields, power null kept, availability inferred; failed node listed", async () => {
  const r = await load().callTool("claw_gpu_inventory");
  assert.deepEqual(r.details, {
    gpus: [...fixtureGpus(ID.d, "disk-d"), ...fixtureGpus(ID.a, "gpu-a"), ...HOT_GPUS],
    total: 6,
    available: 3,
    byModel: [
      { model: A100, total: 2, available: 1 },
      { model: H100, total: 4, available: 2 },
    ],
    failedNodes: [{ nodeId: ID.e, nodeName: "dead-e", error: FAIL }],
  });
  assert.equal(textOf(r), [
    "GPUs: 6 listed, 3 available, on 5 clawnode(s).",
    "By model:",
    `- ${A100}: 1/2 available`,
    `- ${H100}: 2/4 available`,
    "Nodes that did not answer (1):",
    `- dead-e: ${FAIL}`,
    "GPUs (node #index model — used/total MB, util, temp):",
    `- disk-d #0 ${H100} — 61234/81559 MB, 87%, 71 °C`,
    `- disk-d #1 ${H100} — 1/81559 MB, 0%, 33 °C, available`,
    `- gpu-a #0 ${H100} — 61234/81559 MB, 87%, 71 °C`,
    `- gpu-a #1 ${H100} — 1/81559 MB, 0%, 33 °C, available`,
    `- hot-c #0 ${A100} — 70000/81559 MB, 95%, 93 °C`,
    `- hot-c #1 ${A100} — 0/81559 MB, 0%, 41 °C, available`,
  ].join("\n"));
});

test("gpu inventory filters: model (any case), availableOnly, nodeId by id and by name", async () => {
  const host = load();
  const byModel = await host.callTool("claw_gpu_inventory", { model: "a100" });
  assert.deepEqual(byModel.details.gpus, HOT_GPUS);
  assert.deepEqual([byModel.details.total, byModel.details.available], [2, 1]);
  const avail = await host.callTool("claw_gpu_inventory", { availableOnly: true });
  assert.deepEqual(avail.details.gpus.map((g) => [g.nodeName, g.index]), [["disk-d", 1], ["gpu-a", 1], ["hot-c", 1]]);
  assert.deepEqual([avail.details.total, avail.details.available], [3, 3]);
  const byId = await host.callTool("claw_gpu_inventory", { nodeId: ID.a });
  assert.deepEqual(byId.details.gpus, fixtureGpus(ID.a, "gpu-a"));
  assert.deepEqual(byId.details.failedNodes, []);
  const byName = await host.callTool("claw_gpu_inventory", { nodeId: "GPU-A" });
  assert.deepEqual(byName.details, byId.details);
  const both = await host.callTool("claw_gpu_inventory", { model: "H100", availableOnly: true, nodeId: "gpu-a" });
  assert.deepEqual(both.details.gpus, [fixtureGpus(ID.a, "gpu-a")[1]]);
});

test("gpu inventory: an unknown nodeId fails with the exact message; a non-boolean availableOnly too", async () => {
  const host = load();
  await assert.rejects(host.callTool("claw_gpu_inventory", { nodeId: "gpu-z" }), {
    message: 'claw_gpu_inventory: nodeId "gpu-z" names no connected clawnode; connected: cpu-b, dead-e, disk-d, gpu-a, hot-c',
  });
  await assert.rejects(host.callTool("claw_gpu_inventory", { availableOnly: "yes" }), {
    message: "claw_gpu_inventory: availableOnly must be true or false, got a string",
  });
  // the disconnected node is not a connected clawnode
  await assert.rejects(host.callTool("claw_gpu_inventory", { nodeId: "off-1" }), /nodeId "off-1" names no connected clawnode/);
});

const B_ENTRIES = [
  ["b00000000001", "serve-1", "vllm/vllm-openai:v0.6.0", "running", null, "Up 5 minutes"],
  ["b00000000002", "train-oom", "pytorch/pytorch:2.0", "exited", 137, "Exited (137) 5 seconds ago"],
  ["b00000000003", "train-new", "pytorch/pytorch:2.0", "created", null, "Created"],
  ["b00000000004", "cache", "redis:7", "restarting", 1, "Restarting (1) 4 seconds ago"],
  ["b00000000005", "cache-old", "redis:7", "paused", null, "Up 3 hours (Paused)"],
  ["b00000000006", "gone", "busybox:1.36", "dead", null, "Dead"],
].map(([containerId, name, image, state, exitCode, status]) => ({ nodeId: ID.b, nodeName: "cpu-b", containerId, name, image, state, exitCode, status }));
const FIX_ENTRY = (nodeId, nodeName) => ({ nodeId, nodeName, containerId: "3f2a9c1d7e4b", name: "train-1", image: "pytorch/pytorch:2.0", state: "running", exitCode: null, status: "Up 5 minutes" });

test("workloads: Docker status texts normalised to state and exit code, counts by state, failed node listed", async () => {
  const r = await load().callTool("claw_workloads");
  assert.deepEqual(r.details, {
    workloads: [...B_ENTRIES, FIX_ENTRY(ID.d, "disk-d"), FIX_ENTRY(ID.a, "gpu-a")],
    counts: { running: 3, exited: 1, created: 1, restarting: 1, paused: 1, dead: 1, unknown: 0 },
    total: 8,
    failedNodes: [{ nodeId: ID.e, nodeName: "dead-e", error: "workload.list: COMMAND_ERROR: simulated failure" }],
  });
  assert.equal(textOf(r), [
    "Workloads: 8 container(s) on 5 clawnode(s): 3 running, 1 exited, 1 created, 1 restarting, 1 paused, 1 dead.",
    "Nodes that did not answer (1):",
    "- dead-e: workload.list: COMMAND_ERROR: simulated failure",
    "Containers (node: name [state] image, id):",
    "- cpu-b: serve-1 [running] vllm/vllm-openai:v0.6.0, b00000000001",
    "- disk-d: train-1 [running] pytorch/pytorch:2.0, 3f2a9c1d7e4b",
    "- gpu-a: train-1 [running] pytorch/pytorch:2.0, 3f2a9c1d7e4b",
    "- cpu-b: train-oom [exited exit 137] pytorch/pytorch:2.0, b00000000002",
    "- cpu-b: train-new [created] pytorch/pytorch:2.0, b00000000003",
    "- cpu-b: cache [restarting exit 1] redis:7, b00000000004",
    "- cpu-b: cache-old [paused] redis:7, b00000000005",
    "- cpu-b: gone [dead] busybox:1.36, b00000000006",
  ].join("\n"));
});

test("workloads filters: state, image part, name part, nodeId by name; bad state names the accepted ones", async () => {
  const host = load();
  const exited = await host.callTool("claw_workloads", { state: "exited" });
  assert.deepEqual(exited.details.workloads, [B_ENTRIES[1]]);
  assert.deepEqual(exited.details.counts, { running: 0, exited: 1, created: 0, restarting: 0, paused: 0, dead: 0, unknown: 0 });
  const redis = await host.callTool("claw_workloads", { image: "redis" });
  assert.deepEqual(redis.details.workloads.map((w) => w.name), ["cache", "cache-old"]);
  const named = await host.callTool("claw_workloads", { name: "train" });
  assert.deepEqual(named.details.workloads.map((w) => [w.nodeName, w.name]), [["cpu-b", "train-oom"], ["cpu-b", "train-new"], ["disk-d", "train-1"], ["gpu-a", "train-1"]]);
  const onA = await host.callTool("claw_workloads", { nodeId: "gpu-a" });
  assert.deepEqual(onA.details, { workloads: [FIX_ENTRY(ID.a, "gpu-a")], counts: { running: 1, exited: 0, created: 0, restarting: 0, paused: 0, dead: 0, unknown: 0 }, total: 1, failedNodes: [] });
  await assert.rejects(host.callTool("claw_workloads", { state: "stopped" }), {
    message: 'claw_workloads: state must be one of running, exited, created, restarting, paused, dead, unknown, got "stopped"',
  });
  await assert.rejects(host.callTool("claw_workloads", { bogus: 1 }), {
    message: 'claw_workloads: unknown argument "bogus"; accepted: state, image, nodeId, name',
  });
});

test("a tool asks each node only for what it needs: static facts are cached across calls", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 1));
  const host = load({ fleet });
  await host.callTool("claw_fleet_status");
  const first = fleet.takeLog().filter((e) => e.op === "invoke").map((e) => e.command);
  await host.callTool("claw_fleet_status");
  const second = fleet.takeLog().filter((e) => e.op === "invoke").map((e) => e.command);
  assert.deepEqual(first, ["node.capabilities", "gpu.list", "node.health", "workload.list", "gpu.metrics"]);
  assert.deepEqual(second, ["node.health", "workload.list", "gpu.metrics"]);
});
