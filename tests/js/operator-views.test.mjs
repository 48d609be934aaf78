// The one module that reads the core's answers for the Control UI and the CLI (ui/src/shapes.js)
// and the CLI's tables (cli/render.js), failure line, deploy exit codes and deploy timeout
// (cli/index.js), over fixed answers in the core's shapes.
// The browser and the real CLI are tested end to end in tests/e2e/operator.test.mjs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { deployExitCode, deployTimeoutMs, EXIT_NOT_DEPLOYED, EXIT_OUTCOME_UNKNOWN, toolFailure } from "../../cli/index.js";
import { renderGpus, renderStatus, renderWorkloads } from "../../cli/render.js";
import { loadFleet, METHODS, readGpuInventory, readTransitionEvent } from "../../ui/src/shapes.js";

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

test("the fleet answer is read as it is: FleetStatus plus the monitor's fields, and the workloads", async () => {
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

test("without workloads only the fleet is asked for", async () => {
  const gw = gatewayAnswering({ [METHODS.check]: { status: STATUS, checkedAt: 2000, intervalMs: 60000, monitor: { ticks: 5 }, nodes: [], transitions: [], restoredAt: null } });
  const { fleet, workloads } = await loadFleet(gw.request, { method: METHODS.check, workloads: false });
  assert.deepEqual(gw.asked, [METHODS.check]);
  assert.equal(workloads, null);
  assert.equal(fleet.monitor.ticks, 5);
  assert.deepEqual(fleet.problems, STATUS.problems);
});

test("a gpu-inventory answer is one row per GPU with its node, and the core's totals", () => {
  const d = readGpuInventory({ total: 2, available: 1, busy: 0, held: 1, unknown: 0, nodes: [{ nodeId: "n1", nodeName: "gpu-a", gpus: [{ index: 0, state: "held", heldBy: { name: "train" } }, { index: 1, state: "free", heldBy: null }] }], failedNodes: [] });
  assert.deepEqual(d.gpus.map((g) => [g.nodeName, g.index, g.state, g.heldBy?.name ?? null]), [["gpu-a", 0, "held", "train"], ["gpu-a", 1, "free", null]]);
  assert.deepEqual([d.total, d.free, d.busy, d.held, d.unknown], [2, 1, 0, 1, 0]);
});

const gpu = (index, state, extra = {}) => ({ index, uuid: `GPU-${index}`, model: "H100", memoryTotalMb: 81559, memoryUsedMb: state === "free" ? 1 : 60000, utilizationPercent: state === "free" ? 0 : 90, temperatureC: 40, state, available: state === "free", heldBy: null, ...extra });
const INVENTORY = {
  total: 4,
  available: 1,
  busy: 2,
  held: 1,
  unknown: 0,
  byModel: [{ model: "H100", total: 4, available: 1 }],
  nodes: [{ nodeId: "n1", nodeName: "gpu-b", gpus: [gpu(0, "busy"), gpu(1, "busy"), gpu(2, "held", { heldBy: { name: "train" } }), gpu(3, "free")] }],
  failedNodes: [{ nodeId: "n2", nodeName: "gpu-c", error: "gpu.metrics: UNAVAILABLE: COMMAND_ERROR: nvidia-smi failed" }],
};

test("the CLI's GPU table: the core's counts of the GPUs it listed (zero counts left out), its rows, and the nodes whose reads failed", () => {
  assert.equal(
    renderGpus(INVENTORY),
    [
      "GPUs listed: 4 (1 free, 2 busy, 1 held).",
      "┌───────┬─────┬───────┬───────┬────────┬─────────┬──────────────────────┬─────────┐",
      "│ NODE  │ GPU │ MODEL │ STATE │ UTIL % │ TEMP °C │ MEMORY USED/TOTAL MB │ HELD BY │",
      "│ gpu-b │ 0   │ H100  │ busy  │ 90     │ 40      │ 60000/81559          │ -       │",
      "│ gpu-b │ 1   │ H100  │ busy  │ 90     │ 40      │ 60000/81559          │ -       │",
      "│ gpu-b │ 2   │ H100  │ held  │ 90     │ 40      │ 60000/81559          │ train   │",
      "│ gpu-b │ 3   │ H100  │ free  │ 0      │ 40      │ 1/81559              │ -       │",
      "└───────┴─────┴───────┴───────┴────────┴─────────┴──────────────────────┴─────────┘",
      "Reads failed (1):",
      "┌───────┬────────────────────────────────────────────────────────────────────────┐",
      "│ NODE  │ ERROR                                                                  │",
      "│ gpu-c │ gpu.metrics: UNAVAILABLE: COMMAND_ERROR: nvidia-smi failed             │",
      "└───────┴────────────────────────────────────────────────────────────────────────┘",
    ].join("\n"),
  );
});

test("with --available the CLI says the core listed free GPUs only, not that they are all the GPUs", () => {
  const free = { ...INVENTORY, total: 1, available: 1, busy: 0, held: 0, byModel: [{ model: "H100", total: 1, available: 1 }], nodes: [{ ...INVENTORY.nodes[0], gpus: [gpu(3, "free")] }], failedNodes: [] };
  assert.equal(renderGpus(free, { availableOnly: true }).split("\n")[0], "Free GPUs listed: 1 (--available leaves out busy, held and unknown ones).");
  assert.equal(renderGpus(free).split("\n")[0], "GPUs listed: 1 (1 free).");
});

test("a tool's failure names the tool once, and points at the gateway log only when the gateway hid the reason", () => {
  assert.equal(toolFailure("claw_fleet_status", { message: 'claw_fleet_status: nodeFilter "x" names no connected clawnode' }), 'claw_fleet_status: nodeFilter "x" names no connected clawnode');
  assert.equal(toolFailure("claw_deploy", { message: "image must not be empty" }), "claw_deploy: image must not be empty");
  assert.equal(toolFailure("claw_deploy", { message: "tool execution failed" }), "claw_deploy: tool execution failed (the gateway log has the reason)");
  assert.equal(toolFailure("claw_workloads", undefined), "claw_workloads: no answer");
});

test("deploy's exit code: 0 deployed or plannable, 3 nothing deployed, 4 not known whether it started", () => {
  const d = (extra) => ({ dryRun: false, placed: false, started: null, candidates: [], unansweredNode: null, ...extra });
  const one = [{ nodeId: "n1", nodeName: "gpu-a" }];
  assert.deepEqual([EXIT_NOT_DEPLOYED, EXIT_OUTCOME_UNKNOWN], [3, 4]);
  assert.equal(deployExitCode(d({ dryRun: true, candidates: one })), 0);
  assert.equal(deployExitCode(d({ dryRun: true })), 3);
  assert.equal(deployExitCode(d({ placed: true, started: true, candidates: one })), 0);
  assert.equal(deployExitCode(d({ placed: true, started: null, candidates: one })), 0); // still starting
  assert.equal(deployExitCode(d({ placed: true, started: false, candidates: one })), 3); // exited at once, restart loop
  assert.equal(deployExitCode(d({ candidates: one })), 3); // every candidate refused
  assert.equal(deployExitCode(d({})), 3); // no node can host it
  assert.equal(deployExitCode(d({ candidates: one, unansweredNode: "gpu-a" })), 4);
});

test("deploy's default timeout covers the check, workload.run's 5 min and the start-up watch, from the plugin config or the manifest's defaults", () => {
  assert.equal(deployTimeoutMs(), 30000 + 300000 + 8000 + 30000);
  assert.equal(deployTimeoutMs({}), 368000);
  assert.equal(deployTimeoutMs({ deploy: { confirmMs: 0 } }), 360000);
  assert.equal(deployTimeoutMs({ invokeTimeoutMs: 400000, deploy: { confirmMs: 60000 } }), 400000 + 400000 + 60000 + 30000);
});

test("the transition event is read as its transitions and the number left out; a malformed one as none", () => {
  assert.deepEqual(readTransitionEvent({ transitions: [{ nodeName: "a" }], more: 2 }), { transitions: [{ nodeName: "a" }], more: 2 });
  assert.deepEqual(readTransitionEvent(null), { transitions: [], more: 0 });
});

test("the CLI's status table lays out the core's numbers in its order, with the core's severity", () => {
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

test("the CLI's workloads table: the core's counts by state, its unhealthy count and its order", () => {
  const w = (name, state, health, status) => ({ nodeId: "n1", nodeName: "gpu-a", containerId: name, name, image: "python:3.11-slim", state, health, exitCode: null, status });
  const out = renderWorkloads({
    workloads: [w("probe", "running", "unhealthy", "Up 2 minutes (unhealthy)"), w("train", "running", "healthy", "Up 3 hours (healthy)")],
    counts: { running: 2, exited: 0, created: 0, restarting: 0, paused: 0, removing: 0, dead: 0, unknown: 0 },
    unhealthy: 1,
    total: 2,
    failedNodes: [],
  });
  assert.equal(
    out,
    [
      "Containers: 2 (2 running), 1 unhealthy.",
      "┌───────┬───────┬──────────────────┬─────────┬───────────┬──────────────────────────┐",
      "│ NODE  │ NAME  │ IMAGE            │ STATE   │ HEALTH    │ STATUS                   │",
      "│ gpu-a │ probe │ python:3.11-slim │ running │ unhealthy │ Up 2 minutes (unhealthy) │",
      "│ gpu-a │ train │ python:3.11-slim │ running │ healthy   │ Up 3 hours (healthy)     │",
      "└───────┴───────┴──────────────────┴─────────┴───────────┴──────────────────────────┘",
    ].join("\n"),
  );
});
