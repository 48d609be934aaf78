// The one module that reads the core's answers for the Control UI and the CLI (ui/src/shapes.js)
// and the CLI's tables (cli/render.js), over fixed answers in both shapes the core has had.
// The browser and the real CLI are tested end to end in tests/e2e/operator.test.mjs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderStatus } from "../../cli/render.js";
import { loadFleet, METHODS, readFleetDetails, readGpuInventory, readTransitionEvent } from "../../ui/src/shapes.js";

const node = (name, state, extra = {}) => ({
  nodeId: `id-${name}`,
  nodeName: name,
  state,
  reason: state === "healthy" ? "all checks pass" : "GPU 2 at 93 °C (critical at 90 °C)",
  cpuCount: 64,
  loadPerCpu: 0.09,
  memoryTotalMb: 1032192,
  memoryAvailableMb: 968704,
  diskUsedPercent: 40,
  gpusTotal: 4,
  gpusFree: 3,
  workloadsRunning: 1,
  containerRuntime: "docker",
  problems: [],
  ...extra,
});

const STATUS = {
  severity: "critical",
  nodes: { total: 2, healthy: 1, degraded: 0, unhealthy: 1, unreachable: 0, offline: 0, unusable: 0 },
  gpus: { total: 8, free: 6, busy: 2, held: 0, unknown: 0, byModel: [] },
  memory: { totalMb: 2064384, availableMb: 1937408 },
  workloads: { total: 3, running: 2, unhealthy: 0, restarting: 0 },
  problems: [{ nodeId: "id-gpu-a", nodeName: "gpu-a", severity: "critical", kind: "gpuTemperature", message: "GPU 2 at 93 °C (critical at 90 °C)" }],
  nodeDetails: [node("gpu-a", "unhealthy", { gpus: [{ index: 0, model: "A100", state: "busy", utilizationPercent: 97, temperatureC: 72 }] }), node("gpu-b", "healthy", { gpus: [] })],
  failedNodes: [],
  fanout: { limit: 2048, peakInFlight: 2, retries: 0, overloaded: 0 },
};

/** A gateway that answers each method with a fixed payload (and says which it was asked). */
function gatewayAnswering(answers) {
  const asked = [];
  return {
    asked,
    request: async (method) => {
      asked.push(method);
      if (!(method in answers)) throw new Error(`unknown method: ${method}`);
      return answers[method];
    },
  };
}

test("the redesigned fleet answer is read as it is: FleetStatus plus the monitor's fields; no inventory needed", async () => {
  const answer = { status: STATUS, checkedAt: 1000, intervalMs: 60000, monitor: { ticks: 4 }, nodes: [], transitions: [{ nodeId: "id-gpu-a", nodeName: "gpu-a", from: "healthy", to: "unhealthy", reason: "hot", at: 900 }], restoredAt: null };
  const gw = gatewayAnswering({ [METHODS.status]: answer, [METHODS.workloads]: { workloads: [], counts: { running: 0 }, unhealthy: 0, total: 0, failedNodes: [] } });
  const { fleet, workloads } = await loadFleet(gw.request);
  assert.deepEqual(gw.asked.sort(), [METHODS.status, METHODS.workloads].sort());
  assert.equal(fleet.severity, "critical");
  assert.deepEqual(fleet.nodes, STATUS.nodes);
  assert.deepEqual(fleet.gpus, STATUS.gpus);
  assert.deepEqual(fleet.nodeDetails.map((n) => [n.nodeName, n.state, n.gpus.length]), [["gpu-a", "unhealthy", 1], ["gpu-b", "healthy", 0]]);
  assert.equal(fleet.checkedAt, 1000);
  assert.equal(fleet.monitor.ticks, 4);
  assert.equal(fleet.transitions.length, 1);
  assert.deepEqual(workloads, { workloads: [], counts: { running: 0 }, unhealthy: 0, total: 0, failedNodes: [] });
});

test("today's fleet answer is read with the inventory's GPUs; what today's core does not give is null", async () => {
  const today = {
    intervalMs: 2000,
    monitor: { ticks: 3, lastAt: 500 },
    states: { healthy: 1, degraded: 0, unhealthy: 1, offline: 0, gone: 0 },
    nodes: [
      { nodeId: "id-gpu-a", nodeName: "gpu-a", state: "unhealthy", since: 1, problems: [{ kind: "gpuTemperature", severity: "critical", message: "GPU 2 at 93 °C (critical at 90 °C)" }], consecutiveFailures: 0, lastError: null },
      { nodeId: "id-gpu-b", nodeName: "gpu-b", state: "healthy", since: 1, problems: [], consecutiveFailures: 0, lastError: null },
    ],
    transitions: [],
  };
  const inventory = {
    total: 2,
    available: 1,
    gpus: [
      { nodeId: "id-gpu-a", nodeName: "gpu-a", index: 0, model: "A100", utilizationPercent: 97, temperatureC: 72, available: false },
      { nodeId: "id-gpu-a", nodeName: "gpu-a", index: 1, model: "A100", utilizationPercent: 0, temperatureC: 93, available: true },
    ],
    failedNodes: [],
  };
  const gw = gatewayAnswering({ [METHODS.status]: today, [METHODS.inventory]: inventory });
  const { fleet, workloads } = await loadFleet(gw.request, { workloads: false });
  assert.equal(workloads, null);
  assert.deepEqual(fleet.nodes, { total: null, healthy: 1, degraded: 0, unhealthy: 1, offline: 0, gone: 0 });
  assert.deepEqual(fleet.gpus, { total: 2, free: 1 });
  assert.equal(fleet.severity, null);
  assert.deepEqual(fleet.problems, [{ nodeId: "id-gpu-a", nodeName: "gpu-a", kind: "gpuTemperature", severity: "critical", message: "GPU 2 at 93 °C (critical at 90 °C)" }]);
  assert.deepEqual(fleet.nodeDetails.map((n) => [n.nodeName, n.reason, n.gpus.map((g) => `${g.index}:${g.state}:${g.utilizationPercent}`), n.gpusFree]), [
    ["gpu-a", "GPU 2 at 93 °C (critical at 90 °C)", ["0:busy:97", "1:free:0"], null],
    ["gpu-b", "", [], null],
  ]);
  assert.equal(fleet.checkedAt, 500);
});

test("a gpu-inventory answer in the redesigned shape is one row per GPU with its node", () => {
  const d = readGpuInventory({ total: 2, free: 1, nodes: [{ nodeId: "n1", nodeName: "gpu-a", gpus: [{ index: 0, state: "held", heldBy: { name: "train" } }, { index: 1, state: "free", heldBy: null }] }], failedNodes: [] });
  assert.deepEqual(d.gpus.map((g) => [g.nodeName, g.index, g.state, g.heldBy?.name ?? null]), [["gpu-a", 0, "held", "train"], ["gpu-a", 1, "free", null]]);
  assert.equal(d.free, 1);
});

test("the transition event is read as its transitions and the number left out; a malformed one as none", () => {
  assert.deepEqual(readTransitionEvent({ transitions: [{ nodeName: "a" }], more: 2 }), { transitions: [{ nodeName: "a" }], more: 2 });
  assert.deepEqual(readTransitionEvent(null), { transitions: [], more: 0 });
});

test("the CLI's status table lays out the core's numbers in its order; severity from the core", () => {
  assert.equal(readFleetDetails(STATUS).severity, "critical");
  assert.equal(readFleetDetails({ ...STATUS, severity: undefined }).severity, null);
  assert.equal(
    renderStatus(STATUS),
    [
      "Fleet: 2 nodes (1 unhealthy, 0 unreachable, 0 unusable, 0 offline, 0 degraded, 1 healthy), severity critical",
      "GPUs: 6/8 free. Memory: 1892/2016 GB available. Containers: 2 running of 3.",
      "┌───────┬───────────┬────────────────────────────────────────────────┬───────────┬──────────────┬──────────┬─────────┐",
      "│ NODE  │ STATE     │ WHY                                            │ GPUS FREE │ MEMORY AVAIL │ LOAD/CPU │ RUNNING │",
      "│ gpu-a │ unhealthy │ GPU 2 at 93 °C (critical at 90 °C)             │ 3/4       │ 946/1008 GB  │ 0.09     │ 1       │",
      "│ gpu-b │ healthy   │ all checks pass                                │ 3/4       │ 946/1008 GB  │ 0.09     │ 1       │",
      "└───────┴───────────┴────────────────────────────────────────────────┴───────────┴──────────────┴──────────┴─────────┘",
      "Problems (1):",
      "┌───────┬──────────┬────────────────┬────────────────────────────────────────────────────────────────┐",
      "│ NODE  │ SEVERITY │ KIND           │ MESSAGE                                                        │",
      "│ gpu-a │ critical │ gpuTemperature │ GPU 2 at 93 °C (critical at 90 °C)                             │",
      "└───────┴──────────┴────────────────┴────────────────────────────────────────────────────────────────┘",
    ].join("\n"),
  );
});
