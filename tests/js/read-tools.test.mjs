// claw_fleet_status, claw_gpu_inventory and claw_workloads over the fixture fleet (see
// fleet.mjs): exact details and content, filters and argument errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, textOf, fleetOf, fixtureNodes, ID, H100, A100 } from "./fleet.mjs";

const FIX_UUID0 = "GPU-5c9a1e2b-3f4d-4e5f-8a9b-0c1d2e3f4a5b";
const FIX_UUID1 = "GPU-6d0b2f3c-4a5e-5f6a-9b0c-1d2e3f4a5b6c";
// dead-e answers every command with an error: it is alive, but its health cannot be read
const FAIL = "node.capabilities: UNAVAILABLE: COMMAND_ERROR: simulated failure";
const DEAD = `cannot read the node's health: ${FAIL}`;
const CPU_B_RESTARTING = "container cache (redis:7) is restarting, last exit code 1";
const CPU_B_UNHEALTHY = "container web (nginx:1.27) is unhealthy";
const DISK = "disk / 97% full (critical at 95%)";
const HOT = "GPU 0 at 93 °C (critical at 90 °C)";
const APPROVE = "its commands wait for an operator's approval: openclaw nodes pending, then openclaw nodes approve <requestId>";

// The two fixture GPUs (gpu.metrics.json) as inventory entries.
const FIXTURE_GPUS = [
  {
    index: 0, uuid: FIX_UUID0, model: H100, memoryTotalMb: 81559, memoryUsedMb: 61234, utilizationPercent: 87, temperatureC: 71,
    powerDrawW: 512.3400268554688, powerLimitW: 700, state: "busy", available: false, heldBy: null, why: "61234 MB used, 87% util",
  },
  {
    index: 1, uuid: FIX_UUID1, model: H100, memoryTotalMb: 81559, memoryUsedMb: 1, utilizationPercent: 0, temperatureC: 33,
    powerDrawW: null, powerLimitW: null, state: "free", available: true, heldBy: null, why: null,
  },
];
const HOT_GPUS = [
  {
    index: 0, uuid: "GPU-hot-c-0", model: A100, memoryTotalMb: 81559, memoryUsedMb: 70000, utilizationPercent: 95, temperatureC: 93,
    powerDrawW: 398.5, powerLimitW: 700, state: "busy", available: false, heldBy: null, why: "70000 MB used, 95% util",
  },
  {
    index: 1, uuid: "GPU-hot-c-1", model: A100, memoryTotalMb: 81559, memoryUsedMb: 0, utilizationPercent: 0, temperatureC: 41,
    powerDrawW: null, powerLimitW: null, state: "free", available: true, heldBy: null, why: null,
  },
];

// A heat-map cell of claw_fleet_status.
const cell = (index, state, utilizationPercent, temperatureC) => ({ index, state, utilizationPercent, temperatureC });
const FIXTURE_CELLS = [cell(0, "busy", 87, 71), cell(1, "free", 0, 33)];
// A node that answered with the fixture health.
const answered = (nodeId, nodeName, o) => ({
  nodeId, nodeName, state: "healthy", reason: "all checks pass", cpuCount: 2, loadPerCpu: 1.17, memoryTotalMb: 24105,
  memoryAvailableMb: 22789, diskUsedPercent: 70.39, gpusTotal: 2, gpusFree: 1, workloadsRunning: 1, containerRuntime: "docker",
  problems: [], gpus: FIXTURE_CELLS, ...o,
});
// A node nothing could be read from.
const unread = (nodeId, nodeName, state, kind, message) => ({
  nodeId, nodeName, state, reason: message, cpuCount: 0, loadPerCpu: 0, memoryTotalMb: 0, memoryAvailableMb: 0, diskUsedPercent: 0,
  gpusTotal: 0, gpusFree: 0, workloadsRunning: 0, containerRuntime: null, problems: [{ kind, severity: "critical", message }], gpus: [],
});
const NODE_DETAILS = [
  unread(ID.e, "dead-e", "unhealthy", "checkFailed", DEAD),
  answered(ID.d, "disk-d", { state: "unhealthy", reason: DISK, diskUsedPercent: 97, problems: [{ kind: "disk", severity: "critical", message: DISK }] }),
  answered(ID.c, "hot-c", {
    state: "unhealthy", reason: HOT, workloadsRunning: 0, problems: [{ kind: "gpuTemperature", severity: "critical", message: HOT }],
    gpus: [cell(0, "busy", 95, 93), cell(1, "free", 0, 41)],
  }),
  unread(ID.pending, "wait-1", "unusable", "unusable", APPROVE),
  unread(ID.off, "off-1", "offline", "offline", "not connected"),
  answered(ID.b, "cpu-b", {
    state: "degraded", reason: `${CPU_B_RESTARTING}; ${CPU_B_UNHEALTHY}`, cpuCount: 16, loadPerCpu: 0.5, memoryTotalMb: 64300,
    memoryAvailableMb: 48000, gpusTotal: 0, gpusFree: 0, workloadsRunning: 3, gpus: [],
    problems: [
      { kind: "container", severity: "warning", message: CPU_B_RESTARTING },
      { kind: "container", severity: "warning", message: CPU_B_UNHEALTHY },
    ],
  }),
  answered(ID.a, "gpu-a"),
];
const counts = (o) => ({ total: 0, healthy: 0, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0, ...o });

test("fleet status: every clawnode in one state (attention order), the phone not counted, the details whole", async () => {
  const { details } = await load().callTool("claw_fleet_status");
  assert.deepEqual(details, {
    severity: "critical",
    nodes: counts({ total: 7, healthy: 1, degraded: 1, unhealthy: 3, offline: 1, unusable: 1 }),
    gpus: { total: 6, free: 3, busy: 3, held: 0, unknown: 0, byModel: [{ model: A100, total: 2, free: 1 }, { model: H100, total: 4, free: 2 }] },
    // 24105 × 3 (fixture health on gpu-a, hot-c, disk-d) + 64300 (cpu-b); available 22789 × 3 + 48000
    memory: { totalMb: 136615, availableMb: 116367 },
    // running: train-1 on gpu-a and disk-d; serve-1, web and api on cpu-b ("Up 3 hours (Paused)" is paused)
    workloads: { total: 11, running: 5, unhealthy: 1, restarting: 1 },
    problems: [
      { nodeId: ID.e, nodeName: "dead-e", severity: "critical", kind: "checkFailed", message: DEAD },
      { nodeId: ID.d, nodeName: "disk-d", severity: "critical", kind: "disk", message: DISK },
      { nodeId: ID.c, nodeName: "hot-c", severity: "critical", kind: "gpuTemperature", message: HOT },
      { nodeId: ID.off, nodeName: "off-1", severity: "critical", kind: "offline", message: "not connected" },
      { nodeId: ID.pending, nodeName: "wait-1", severity: "critical", kind: "unusable", message: APPROVE },
      { nodeId: ID.b, nodeName: "cpu-b", severity: "warning", kind: "container", message: CPU_B_RESTARTING },
      { nodeId: ID.b, nodeName: "cpu-b", severity: "warning", kind: "container", message: CPU_B_UNHEALTHY },
    ],
    nodeDetails: NODE_DETAILS,
    failedNodes: [{ nodeId: ID.e, nodeName: "dead-e", error: FAIL }],
    // the bound starts at 32 and grows only while it is full: 5 nodes never fill it
    fanout: { limit: 32, peakInFlight: 5, retries: 0, overloaded: 0 },
  });
});

test("fleet status: content is the exact compact summary, problems and totals first", async () => {
  const r = await load().callTool("claw_fleet_status");
  assert.equal(textOf(r), [
    "Fleet: 7 clawnodes — 1 healthy, 1 degraded, 3 unhealthy, 1 offline, 1 unusable.",
    `GPUs: 3/6 free, 3 busy (${A100} 1/2 free; ${H100} 2/4 free).`,
    "Memory: 114 GB available of 133 GB. Workloads: 5 running (1 unhealthy, 1 restarting), 11 containers in all.",
    "Problems (7):",
    `- dead-e [critical] ${DEAD}`,
    `- disk-d [critical] ${DISK}`,
    `- hot-c [critical] ${HOT}`,
    "- off-1 [critical] not connected",
    `- wait-1 [critical] ${APPROVE}`,
    `- cpu-b [warning] ${CPU_B_RESTARTING}`,
    `- cpu-b [warning] ${CPU_B_UNHEALTHY}`,
  ].join("\n"));
});

test("fleet status: a node waiting for approval is unusable with how to approve it, whoever calls", async () => {
  // node.list shows pendingDeclaredCommands only to operator.admin / operator.pairing callers; to the
  // service timer's synthetic operator.write client the node is a node-host with no caps and no commands,
  // awaiting approval: both see it named with the fix
  for (const scopes of [["operator.admin"], ["operator.write"]]) {
    const r = await load({ scopes }).callTool("claw_fleet_status");
    assert.deepEqual(r.details.nodes, counts({ total: 7, healthy: 1, degraded: 1, unhealthy: 3, offline: 1, unusable: 1 }), scopes[0]);
    assert.deepEqual(r.details.nodeDetails[3], unread(ID.pending, "wait-1", "unusable", "unusable", APPROVE));
    assert.deepEqual(r.details.nodeDetails.map((d) => d.nodeName), ["dead-e", "disk-d", "hot-c", "wait-1", "off-1", "cpu-b", "gpu-a"]);
    assert.equal(textOf(r).split("\n")[0], "Fleet: 7 clawnodes — 1 healthy, 1 degraded, 3 unhealthy, 1 offline, 1 unusable.");
  }
});

test("fleet status: a warning threshold (GPU at 85 °C) makes a node degraded with a warning problem", async () => {
  const nodes = fixtureNodes().slice(0, 1);
  const m = structuredClone(fixtureNodes()[2].answers["gpu.metrics"]);
  m.metrics[0].temperature_c = 85;
  nodes[0].answers = { "gpu.metrics": m };
  const { details } = await load({ fleet: fleetOf(nodes) }).callTool("claw_fleet_status");
  assert.deepEqual(details.nodes, counts({ total: 1, degraded: 1 }));
  assert.equal(details.severity, "warning");
  const warm = "GPU 0 at 85 °C (warning at 80 °C)";
  assert.deepEqual(details.problems, [{ nodeId: ID.a, nodeName: "gpu-a", severity: "warning", kind: "gpuTemperature", message: warm }]);
  assert.deepEqual([details.nodeDetails[0].state, details.nodeDetails[0].reason], ["degraded", warm]);
});

test("fleet status: nodeFilter by part of a name selects those nodes, offline ones too; an unknown filter names the connected nodes", async () => {
  const host = load();
  const hot = await host.callTool("claw_fleet_status", { nodeFilter: "HOT" });
  assert.deepEqual(hot.details.nodes, counts({ total: 1, unhealthy: 1 }));
  const off = await host.callTool("claw_fleet_status", { nodeFilter: "off" });
  assert.deepEqual(off.details.nodeDetails, [unread(ID.off, "off-1", "offline", "offline", "not connected")]);
  const byId = await host.callTool("claw_fleet_status", { nodeFilter: ID.a });
  assert.deepEqual(byId.details.nodeDetails, [answered(ID.a, "gpu-a")]);
  await assert.rejects(host.callTool("claw_fleet_status", { nodeFilter: "nope" }), {
    message: 'claw_fleet_status: nodeFilter "nope" names no connected clawnode; connected: cpu-b, dead-e, disk-d, gpu-a, hot-c',
    code: "INVALID_REQUEST",
  });
});

test("fleet status with no clawnode connected says so in content and counts zero", async () => {
  const r = await load({ fleet: fleetOf([]) }).callTool("claw_fleet_status");
  assert.equal(textOf(r), "No clawnode is connected to the gateway.");
  assert.deepEqual(r.details.nodes, counts({}));
  assert.deepEqual([r.details.severity, r.details.nodeDetails, r.details.problems], ["ok", [], []]);
});

test("gpu inventory: every fixture GPU grouped by node with all fields, power null kept, state inferred; failed node listed", async () => {
  const r = await load().callTool("claw_gpu_inventory");
  assert.deepEqual(r.details, {
    total: 6,
    available: 3,
    busy: 3,
    held: 0,
    unknown: 0,
    byModel: [
      { model: A100, total: 2, available: 1 },
      { model: H100, total: 4, available: 2 },
    ],
    nodes: [
      { nodeId: ID.d, nodeName: "disk-d", gpus: FIXTURE_GPUS },
      { nodeId: ID.a, nodeName: "gpu-a", gpus: FIXTURE_GPUS },
      { nodeId: ID.c, nodeName: "hot-c", gpus: HOT_GPUS },
    ],
    // the connected clawnode it could not ask is named with the fix, not left out
    failedNodes: [{ nodeId: ID.e, nodeName: "dead-e", error: FAIL }, { nodeId: ID.pending, nodeName: "wait-1", error: APPROVE }],
    fanout: { limit: 32, peakInFlight: 5, retries: 0, overloaded: 0 },
    sharedNames: [],
  });
  assert.equal(textOf(r), [
    "GPUs: 6 listed, 3 available, 3 busy, on 5 clawnode(s).",
    "By model:",
    `- ${A100}: 1/2 available`,
    `- ${H100}: 2/4 available`,
    "Nodes whose reads failed (2):",
    `- dead-e: ${FAIL}`,
    `- wait-1: ${APPROVE}`,
    "GPUs (node #index model — state, used/total MB, util, temp):",
    `- disk-d #0 ${H100} — busy, 61234/81559 MB, 87%, 71 °C`,
    `- disk-d #1 ${H100} — free, 1/81559 MB, 0%, 33 °C`,
    `- gpu-a #0 ${H100} — busy, 61234/81559 MB, 87%, 71 °C`,
    `- gpu-a #1 ${H100} — free, 1/81559 MB, 0%, 33 °C`,
    `- hot-c #0 ${A100} — busy, 70000/81559 MB, 95%, 93 °C`,
    `- hot-c #1 ${A100} — free, 0/81559 MB, 0%, 41 °C`,
  ].join("\n"));
});

test("gpu inventory filters: model (any case), availableOnly, nodeId by id and by name", async () => {
  const host = load();
  const byModel = await host.callTool("claw_gpu_inventory", { model: "a100" });
  assert.deepEqual(byModel.details.nodes, [{ nodeId: ID.c, nodeName: "hot-c", gpus: HOT_GPUS }]);
  assert.deepEqual([byModel.details.total, byModel.details.available, byModel.details.busy], [2, 1, 1]);
  const avail = await host.callTool("claw_gpu_inventory", { availableOnly: true });
  assert.deepEqual(avail.details.nodes.map((n) => [n.nodeName, n.gpus.map((g) => g.index)]), [["disk-d", [1]], ["gpu-a", [1]], ["hot-c", [1]]]);
  assert.deepEqual([avail.details.total, avail.details.available, avail.details.busy], [3, 3, 0]);
  const byId = await host.callTool("claw_gpu_inventory", { nodeId: ID.a });
  assert.deepEqual(byId.details.nodes, [{ nodeId: ID.a, nodeName: "gpu-a", gpus: FIXTURE_GPUS }]);
  assert.deepEqual(byId.details.failedNodes, []);
  const byName = await host.callTool("claw_gpu_inventory", { nodeId: "GPU-A" });
  assert.deepEqual(byName.details, byId.details);
  const both = await host.callTool("claw_gpu_inventory", { model: "H100", availableOnly: true, nodeId: "gpu-a" });
  assert.deepEqual(both.details.nodes, [{ nodeId: ID.a, nodeName: "gpu-a", gpus: [FIXTURE_GPUS[1]] }]);
});

test("gpu inventory: an unknown nodeId fails with the exact message; a non-boolean availableOnly too", async () => {
  const host = load();
  await assert.rejects(host.callTool("claw_gpu_inventory", { nodeId: "gpu-z" }), {
    message: 'claw_gpu_inventory: nodeId "gpu-z" names no connected clawnode; connected: cpu-b, dead-e, disk-d, gpu-a, hot-c',
    code: "INVALID_REQUEST",
  });
  await assert.rejects(host.callTool("claw_gpu_inventory", { availableOnly: "yes" }), {
    message: "claw_gpu_inventory: availableOnly must be true or false, got a string",
    code: "INVALID_REQUEST",
  });
  // the disconnected node is not a connected clawnode
  await assert.rejects(host.callTool("claw_gpu_inventory", { nodeId: "off-1" }), {
    message: 'claw_gpu_inventory: nodeId "off-1" names no connected clawnode; connected: cpu-b, dead-e, disk-d, gpu-a, hot-c',
  });
});

const entry = (nodeId, nodeName, containerId, name, image, state, health, exitCode, status) => ({
  nodeId, nodeName, containerId, name, image, state, health, exitCode, status,
});
const B = (containerId, name, image, state, health, exitCode, status) => entry(ID.b, "cpu-b", containerId, name, image, state, health, exitCode, status);
const CACHE = B("b00000000004", "cache", "redis:7", "restarting", null, 1, "Restarting (1) 4 seconds ago");
const WEB = B("b00000000007", "web", "nginx:1.27", "running", "unhealthy", null, "Up 2 hours (unhealthy)");
const GONE = B("b00000000006", "gone", "busybox:1.36", "dead", null, null, "Dead");
const OOM = B("b00000000002", "train-oom", "pytorch/pytorch:2.0", "exited", null, 137, "Exited (137) 5 seconds ago");
const API = B("b00000000008", "api", "nginx:1.27", "running", "healthy", null, "Up 10 minutes (healthy)");
const PAUSED = B("b00000000005", "cache-old", "redis:7", "paused", null, null, "Up 3 hours (Paused)");
const REMOVING = B("b00000000009", "old-job", "busybox:1.36", "removing", null, null, "Removal In Progress");
const SERVE = B("b00000000001", "serve-1", "vllm/vllm-openai:v0.6.0", "running", null, null, "Up 5 minutes");
const NEW = B("b00000000003", "train-new", "pytorch/pytorch:2.0", "created", null, null, "Created");
const TRAIN = (nodeId, nodeName) => entry(nodeId, nodeName, "3f2a9c1d7e4b", "train-1", "pytorch/pytorch:2.0", "running", null, null, "Up 5 minutes");
const noCounts = { running: 0, exited: 0, created: 0, restarting: 0, paused: 0, removing: 0, dead: 0, unknown: 0 };

test("workloads: Docker status texts read to state, health and exit code; trouble first; counts by state; failed node listed", async () => {
  const r = await load().callTool("claw_workloads");
  assert.deepEqual(r.details, {
    // unhealthy health, restarting, dead, exited non-zero, then by node, node id and name
    workloads: [WEB, CACHE, GONE, OOM, API, PAUSED, REMOVING, SERVE, NEW, TRAIN(ID.d, "disk-d"), TRAIN(ID.a, "gpu-a")],
    counts: { running: 5, exited: 1, created: 1, restarting: 1, paused: 1, removing: 1, dead: 1, unknown: 0 },
    unhealthy: 1,
    total: 11,
    failedNodes: [
      { nodeId: ID.e, nodeName: "dead-e", error: "workload.list: UNAVAILABLE: COMMAND_ERROR: simulated failure" },
      { nodeId: ID.pending, nodeName: "wait-1", error: APPROVE },
    ],
    fanout: { limit: 32, peakInFlight: 5, retries: 0, overloaded: 0 },
    sharedNames: [],
  });
  assert.equal(textOf(r), [
    "Workloads: 11 container(s) on 5 clawnode(s): 5 running, 1 exited, 1 created, 1 restarting, 1 paused, 1 removing, 1 dead (1 unhealthy).",
    "Nodes whose reads failed (2):",
    "- dead-e: workload.list: UNAVAILABLE: COMMAND_ERROR: simulated failure",
    `- wait-1: ${APPROVE}`,
    "Containers (node: name [state] image, id), trouble first:",
    "- cpu-b: web [running, unhealthy] nginx:1.27, b00000000007",
    "- cpu-b: cache [restarting exit 1] redis:7, b00000000004",
    "- cpu-b: gone [dead] busybox:1.36, b00000000006",
    "- cpu-b: train-oom [exited exit 137] pytorch/pytorch:2.0, b00000000002",
    "- cpu-b: api [running, healthy] nginx:1.27, b00000000008",
    "- cpu-b: cache-old [paused] redis:7, b00000000005",
    "- cpu-b: old-job [removing] busybox:1.36, b00000000009",
    "- cpu-b: serve-1 [running] vllm/vllm-openai:v0.6.0, b00000000001",
    "- cpu-b: train-new [created] pytorch/pytorch:2.0, b00000000003",
    "- disk-d: train-1 [running] pytorch/pytorch:2.0, 3f2a9c1d7e4b",
    "- gpu-a: train-1 [running] pytorch/pytorch:2.0, 3f2a9c1d7e4b",
  ].join("\n"));
});

test("workloads filters: state, image part, name part, nodeId by name; bad state names the accepted ones", async () => {
  const host = load();
  const exited = await host.callTool("claw_workloads", { state: "exited" });
  assert.deepEqual(exited.details.workloads, [OOM]);
  assert.deepEqual(exited.details.counts, { ...noCounts, exited: 1 });
  const removing = await host.callTool("claw_workloads", { state: "removing" });
  assert.deepEqual(removing.details.workloads, [REMOVING]);
  const redis = await host.callTool("claw_workloads", { image: "redis" });
  assert.deepEqual(redis.details.workloads.map((w) => w.name), ["cache", "cache-old"]);
  const named = await host.callTool("claw_workloads", { name: "train" });
  assert.deepEqual(named.details.workloads.map((w) => [w.nodeName, w.name]), [["cpu-b", "train-oom"], ["cpu-b", "train-new"], ["disk-d", "train-1"], ["gpu-a", "train-1"]]);
  const onA = await host.callTool("claw_workloads", { nodeId: "gpu-a" });
  assert.deepEqual(onA.details, { workloads: [TRAIN(ID.a, "gpu-a")], counts: { ...noCounts, running: 1 }, unhealthy: 0, total: 1, failedNodes: [], fanout: { limit: 32, peakInFlight: 1, retries: 0, overloaded: 0 }, sharedNames: [] });
  await assert.rejects(host.callTool("claw_workloads", { state: "stopped" }), {
    message: 'claw_workloads: state must be one of "running", "exited", "created", "restarting", "paused", "removing", "dead", "unknown", got "stopped"',
    code: "INVALID_REQUEST",
  });
  await assert.rejects(host.callTool("claw_workloads", { bogus: 1 }), {
    message: 'claw_workloads: unknown argument "bogus"; accepted: state, image, nodeId, name',
    code: "INVALID_REQUEST",
  });
});

test("a tool asks each node only for what it needs: static facts are cached across calls", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 1));
  const host = load({ fleet });
  const sent = () => fleet.takeLog().filter((e) => e.op === "invoke").map((e) => e.command);
  await host.callTool("claw_fleet_status");
  assert.deepEqual(sent(), ["node.capabilities", "gpu.list", "node.health", "workload.list", "gpu.metrics"]);
  await host.callTool("claw_fleet_status");
  assert.deepEqual(sent(), ["node.health", "workload.list", "gpu.metrics"]);
  await host.callTool("claw_gpu_inventory");
  assert.deepEqual(sent(), ["gpu.metrics"]);
  await host.callTool("claw_workloads");
  assert.deepEqual(sent(), ["workload.list"]);
});
