// The one module that knows the shapes of clawbernetes' gateway methods and of its transition
// event. The page, the widget and the CLI read the core's answers through it and render what
// comes out; nothing here decides a state, a count or an order — the core does (FleetStatus,
// the fleet-status/health-check answer, the workloads answer and the health-transition event
// are documented where the core builds them: src/fleet/status.rs, src/methods.rs, src/io/watch.rs).
//
// The shapes are the core's (camelCase JSON): the fleet-status/health-check answer is
// {status: FleetStatus, checkedAt, intervalMs, monitor, nodes, transitions, restoredAt};
// FleetStatus.nodeDetails[].gpus carries the heat map and FleetStatus.severity the worst problem.

/** Gateway methods the page, the widget and the CLI call (the plugin registers them). */
export const METHODS = {
  status: "clawbernetes.fleet-status",
  check: "clawbernetes.health-check",
  workloads: "clawbernetes.workloads",
};

/** The gateway event a transition is broadcast as: payload {transitions: [...], more: n}. */
export const TRANSITION_EVENT = "plugin.clawbernetes.health-transition";

/** Node states in the core's attention order (problems first); used for legends and chips. */
export const NODE_STATES = ["unhealthy", "unreachable", "unusable", "offline", "degraded", "healthy", "gone"];

/** Docker container states, as the workloads answer counts them. */
export const CONTAINER_STATES = ["restarting", "dead", "exited", "paused", "created", "removing", "running", "unknown"];

/**
 * @typedef {{index: number, state: string, utilizationPercent: number|null, temperatureC: number|null}} GpuCell
 * @typedef {{nodeId: string, nodeName: string, state: string, reason: string, cpuCount: number|null,
 *   loadPerCpu: number|null, memoryTotalMb: number|null, memoryAvailableMb: number|null,
 *   gpusTotal: number|null, gpusFree: number|null, workloadsRunning: number|null, gpus: GpuCell[]}} NodeRow
 * @typedef {{nodeId: string, nodeName: string, from: string|null, to: string, reason: string, at: number, beforeRestart: boolean}} Transition
 * @typedef {{severity: string|null, nodes: Record<string, number|null>|null, gpus: {total: number, free: number}|null,
 *   memory: {totalMb: number, availableMb: number}|null, workloads: Record<string, number>|null,
 *   problems: {nodeId: string, nodeName: string, severity: string, kind: string, message: string}[],
 *   nodeDetails: NodeRow[], failedNodes: {nodeId: string, nodeName: string, error: string}[],
 *   checkedAt: number|null, intervalMs: number|null, monitor: {ticks: number}|null, transitions: Transition[]}} FleetView
 */

/**
 * Fetches what the fleet page shows: the monitor's fleet answer (or a health check's, which has
 * the same shape) and, unless `workloads` is false, every workload.
 * @param {(method: string, params?: object) => Promise<any>} request the host's gateway request
 * @param {{method?: string, workloads?: boolean}} [o] `method`: METHODS.status or METHODS.check
 * @returns {Promise<{fleet: FleetView, workloads: ReturnType<typeof readWorkloads>|null}>}
 */
export async function loadFleet(request, { method = METHODS.status, workloads = true } = {}) {
  const [answer, wl] = await Promise.all([request(method, {}), workloads ? request(METHODS.workloads, {}) : null]);
  return { fleet: readFleet(answer), workloads: wl ? readWorkloads(wl) : null };
}

/**
 * A fleet-status / health-check answer: FleetStatus plus the monitor's fields.
 * @returns {FleetView}
 */
export function readFleet(answer) {
  const s = answer.status;
  return {
    severity: s.severity,
    nodes: s.nodes,
    gpus: s.gpus,
    memory: s.memory,
    workloads: s.workloads,
    problems: s.problems,
    nodeDetails: s.nodeDetails.map((n) => ({ ...n, gpus: n.gpus ?? [] })),
    failedNodes: s.failedNodes ?? [],
    checkedAt: answer.checkedAt ?? null,
    intervalMs: answer.intervalMs ?? null,
    monitor: answer.monitor ?? null,
    transitions: answer.transitions ?? [],
  };
}

/**
 * A clawbernetes.workloads answer (or claw_workloads details): containers in the core's
 * attention order (unhealthy and restarting first), counts by Docker state, unhealthy count.
 */
export function readWorkloads(answer) {
  return { workloads: answer.workloads, counts: answer.counts, unhealthy: answer.unhealthy, total: answer.total, failedNodes: answer.failedNodes ?? [] };
}

/** The transition event's payload: the new transitions (oldest first) and how many were left out. */
export function readTransitionEvent(payload) {
  return { transitions: Array.isArray(payload?.transitions) ? payload.transitions : [], more: payload?.more ?? 0 };
}

/**
 * A gpu-inventory answer (the method's or claw_gpu_inventory's details) as one row per GPU with
 * its node, in the core's order, and the core's counts of the GPUs it listed (after its filters):
 * `total`, `free` (the core's `available`: free for work), `busy`, `held`, `unknown`.
 */
export function readGpuInventory(d) {
  const gpus = d.nodes.flatMap((n) => n.gpus.map((g) => ({ ...g, nodeId: n.nodeId, nodeName: n.nodeName })));
  return { total: d.total, free: d.available, busy: d.busy, held: d.held, unknown: d.unknown, gpus, failedNodes: d.failedNodes ?? [] };
}
