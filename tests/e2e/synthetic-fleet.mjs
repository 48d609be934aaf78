// A synthetic fleet in the redesigned core's answer shapes, for the render-time measurement at
// a scale the simulator cannot connect to one gateway here (1000 nodes × 8 GPUs). Deterministic:
// node i's numbers follow from i. The states, counts and orders are written as the core would
// give them (attention order: unhealthy, unreachable, unusable, offline, degraded, healthy).

const ORDER = ["unhealthy", "unreachable", "unusable", "offline", "degraded", "healthy"];

function stateOf(i) {
  if (i % 50 === 0) return "unhealthy";
  if (i % 97 === 0) return "unreachable";
  if (i % 13 === 0) return "degraded";
  return "healthy";
}

/** A clawbernetes.fleet-status answer for `nodes` nodes with `gpus` GPUs each. */
export function fleetStatusAnswer({ nodes = 1000, gpus = 8, now = Date.now() } = {}) {
  const details = [];
  for (let i = 1; i <= nodes; i++) {
    const state = stateOf(i);
    const cells = Array.from({ length: gpus }, (_, g) => {
      const util = (i * 37 + g * 11) % 101;
      return { index: g, model: "NVIDIA H100 80GB HBM3", state: util > 10 ? "busy" : "free", utilizationPercent: util, temperatureC: 35 + (util >> 1) };
    });
    const reason = state === "unhealthy" ? `GPU 3 at 93 °C (critical at 90 °C)` : state === "degraded" ? "load 2.40 per CPU over 5 min on 64 CPUs (warning at 2)" : state === "unreachable" ? "node.health: timed out after 30000 ms" : "all checks pass";
    details.push({
      nodeId: `node-${String(i).padStart(4, "0")}`,
      nodeName: `gpu-node-${String(i).padStart(4, "0")}`,
      state,
      reason,
      cpuCount: 64,
      loadPerCpu: state === "degraded" ? 2.4 : 0.3,
      memoryTotalMb: 2063731,
      memoryAvailableMb: 1500000 + i,
      diskUsedPercent: 40,
      gpusTotal: gpus,
      gpusFree: cells.filter((c) => c.state === "free").length,
      workloadsRunning: i % 3,
      containerRuntime: "docker",
      problems: state === "healthy" ? [] : [{ kind: state === "degraded" ? "load" : "gpuTemperature", severity: state === "degraded" ? "warning" : "critical", message: reason }],
      gpus: cells,
    });
  }
  details.sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || a.nodeName.localeCompare(b.nodeName));
  const count = (s) => details.filter((n) => n.state === s).length;
  const problems = details.flatMap((n) => n.problems.map((p) => ({ nodeId: n.nodeId, nodeName: n.nodeName, ...p })));
  problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1));
  const totalGpus = nodes * gpus;
  const freeGpus = details.reduce((sum, n) => sum + n.gpusFree, 0);
  return {
    status: {
      severity: "critical",
      nodes: { total: nodes, healthy: count("healthy"), degraded: count("degraded"), unhealthy: count("unhealthy"), unreachable: count("unreachable"), offline: 0, unusable: 0 },
      gpus: { total: totalGpus, free: freeGpus, busy: totalGpus - freeGpus, held: 0, unknown: 0, byModel: [{ model: "NVIDIA H100 80GB HBM3", total: totalGpus, free: freeGpus }] },
      memory: { totalMb: nodes * 2063731, availableMb: details.reduce((sum, n) => sum + n.memoryAvailableMb, 0) },
      workloads: { total: nodes * 2, running: details.reduce((sum, n) => sum + n.workloadsRunning, 0), unhealthy: 0, restarting: 0 },
      problems,
      nodeDetails: details,
      failedNodes: [],
      fanout: { limit: 2048, peakInFlight: 2048, retries: 0, overloaded: 0 },
    },
    checkedAt: now,
    intervalMs: 60000,
    monitor: { ticks: 42, overruns: 0, joined: nodes, lastAt: now, lastDurationMs: 5200 },
    nodes: details.map((n) => ({ nodeId: n.nodeId, nodeName: n.nodeName, state: n.state, since: now - 3600000, reason: n.reason, consecutiveFailures: 0 })),
    transitions: details.slice(0, 50).map((n, k) => ({ nodeId: n.nodeId, nodeName: n.nodeName, from: "healthy", to: n.state, reason: n.reason, at: now - (50 - k) * 1000, beforeRestart: k < 10 })),
    restoredAt: null,
  };
}

/** A clawbernetes.workloads answer with two containers per node. */
export function workloadsAnswer({ nodes = 1000 } = {}) {
  const workloads = [];
  for (let i = 1; i <= nodes; i++) {
    const node = { nodeId: `node-${String(i).padStart(4, "0")}`, nodeName: `gpu-node-${String(i).padStart(4, "0")}` };
    workloads.push({ ...node, containerId: `c${i}a`, name: `train-${i}`, image: "nvcr.io/nvidia/pytorch:24.05-py3", state: "running", health: "healthy", exitCode: null, status: "Up 3 hours" });
    workloads.push({ ...node, containerId: `c${i}b`, name: `prep-${i}`, image: "python:3.11-slim", state: "exited", health: null, exitCode: 0, status: "Exited (0) 2 hours ago" });
  }
  return { workloads, counts: { running: nodes, exited: nodes, created: 0, restarting: 0, paused: 0, removing: 0, dead: 0, unknown: 0 }, unhealthy: 0, total: nodes * 2, failedNodes: [] };
}
