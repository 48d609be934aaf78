// The one module that knows the shapes of clawbernetes' gateway methods and of its transition
// event. The page, the widget and the CLI read the core's answers through it and render what
// comes out; nothing here decides a state, a count or an order — the core does (FleetStatus,
// the fleet-status/health-check answer, the workloads answer and the health-transition event
// are documented where the core builds them, src/fleet/status.rs and src/service.rs).
//
// Two shapes are read while the core is being redesigned:
//   - the target shape: fleet-status/health-check answer {status: FleetStatus, checkedAt,
//     intervalMs, monitor, nodes, transitions, restoredAt}; FleetStatus.nodeDetails[].gpus
//     carries the heat map, FleetStatus.severity the worst problem;
//   - today's shape (no `status` field): {intervalMs, monitor, nodes, states, transitions},
//     with the GPU numbers from clawbernetes.gpu-inventory. Fields today's core does not
//     give are null and render as "—". Delete `readTodayFleet` once the redesign is merged.

/** Gateway methods the page, the widget and the CLI call (the plugin registers them). */
export const METHODS = {
  status: "clawbernetes.fleet-status",
  check: "clawbernetes.health-check",
  workloads: "clawbernetes.workloads",
  inventory: "clawbernetes.gpu-inventory",
};

/** The gateway event a transition is broadcast as: payload {transitions: [...], more: n}. */
export const TRANSITION_EVENT = "plugin.clawbernetes.health-transition";

/** Node states in the core's attention order (problems first); used for legends and chips. */
export const NODE_STATES = ["unhealthy", "unreachable", "unusable", "offline", "degraded", "healthy", "gone"];

/** Docker container states, as the workloads answer counts them. */
export const CONTAINER_STATES = ["restarting", "dead", "exited", "paused", "created", "removing", "running", "unknown"];

/**
 * @typedef {{index: number, model: string|null, state: string|null, utilizationPercent: number|null, temperatureC: number|null}} GpuCell
 * @typedef {{nodeId: string, nodeName: string, state: string, reason: string, cpuCount: number|null,
 *   loadPerCpu: number|null, memoryTotalMb: number|null, memoryAvailableMb: number|null,
 *   gpusTotal: number|null, gpusFree: number|null, workloadsRunning: number|null, gpus: GpuCell[]}} NodeRow
 * @typedef {{nodeId: string, nodeName: string, from: string|null, to: string, reason: string, at: number}} Transition
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
  const fleet = answer?.status ? readFleet(answer) : readTodayFleet(answer, await request(METHODS.inventory, {}));
  return { fleet, workloads: wl ? readWorkloads(wl) : null };
}

/**
 * A fleet-status / health-check answer in the target shape.
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

/** Today's fleet-status answer plus today's gpu-inventory answer (see the header). */
function readTodayFleet(answer, inventory) {
  const gpusOf = new Map();
  for (const g of inventory ? readGpuInventory(inventory).gpus : []) {
    if (!gpusOf.has(g.nodeId)) gpusOf.set(g.nodeId, []);
    gpusOf.get(g.nodeId).push(g);
  }
  const nodes = answer?.nodes ?? [];
  return {
    severity: null,
    nodes: answer?.states ? { total: null, ...answer.states } : null,
    gpus: inventory ? { total: inventory.total, free: inventory.available } : null,
    memory: null,
    workloads: null,
    problems: nodes.flatMap((n) => n.problems.map((p) => ({ nodeId: n.nodeId, nodeName: n.nodeName, ...p }))),
    nodeDetails: nodes.map((n) => ({
      nodeId: n.nodeId,
      nodeName: n.nodeName,
      state: n.state,
      reason: n.problems.map((p) => p.message).join("; ") || n.lastError || "",
      cpuCount: null,
      loadPerCpu: null,
      memoryTotalMb: null,
      memoryAvailableMb: null,
      gpusTotal: null,
      gpusFree: null,
      workloadsRunning: null,
      gpus: gpusOf.get(n.nodeId) ?? [],
    })),
    failedNodes: inventory?.failedNodes ?? [],
    checkedAt: answer?.monitor?.lastAt ?? null,
    intervalMs: answer?.intervalMs ?? null,
    monitor: answer?.monitor ?? null,
    transitions: answer?.transitions ?? [],
  };
}

/**
 * A clawbernetes.workloads answer: containers in the core's attention order, counts by Docker
 * state, unhealthy count (null from today's core, which has no health field).
 */
export function readWorkloads(answer) {
  return {
    workloads: (answer?.workloads ?? []).map((w) => ({ ...w, health: w.health ?? null })),
    counts: answer?.counts ?? {},
    unhealthy: answer?.unhealthy ?? null,
    total: answer?.total ?? 0,
    failedNodes: answer?.failedNodes ?? [],
  };
}

/** The transition event's payload: the new transitions (oldest first) and how many were left out. */
export function readTransitionEvent(payload) {
  return { transitions: Array.isArray(payload?.transitions) ? payload.transitions : [], more: payload?.more ?? 0 };
}

/**
 * claw_fleet_status `details` for the CLI: FleetStatus in the target shape; today's details lack
 * `severity` (null) and `nodeDetails[].reason` (the node's problems instead).
 */
export function readFleetDetails(details) {
  return {
    ...details,
    severity: details.severity ?? null,
    nodeDetails: details.nodeDetails.map((n) => ({ ...n, reason: n.reason ?? n.problems.map((p) => p.message).join("; ") })),
  };
}

/**
 * A gpu-inventory answer (the method's or claw_gpu_inventory's details) as one row per GPU with
 * its node, and the totals. The redesigned core lists GPUs per node with a `state`; today's
 * lists them flat with `available` (true: free, false: busy) and counts `available`.
 */
export function readGpuInventory(d) {
  const gpus = d.nodes
    ? d.nodes.flatMap((n) => n.gpus.map((g) => ({ ...g, nodeId: n.nodeId, nodeName: n.nodeName })))
    : (d.gpus ?? []).map((g) => ({ ...g, state: g.state ?? (g.available ? "free" : "busy"), heldBy: g.heldBy ?? null }));
  return { total: d.total, free: d.free ?? d.available, gpus, failedNodes: d.failedNodes ?? [] };
}
