// Human-readable tables of the tools' `details` for `openclaw clawbernetes …` (cli-table3, no
// colours, so the output is the same on a terminal, in a pipe and in a test). Every number and
// order is the core's; this module only lays them out.
import Table from "cli-table3";
import { NODE_STATES, readGpuInventory, readWorkloads } from "../ui/src/shapes.js";

const PLAIN = { head: [], border: [] };
// box-drawing frame without a rule between rows
const CHARS = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };
const WHY_WIDTH = 48;

function table(head, rows, colWidths) {
  const t = new Table({ head, style: PLAIN, chars: CHARS, wordWrap: true, ...(colWidths ? { colWidths } : {}) });
  t.push(...rows);
  return t.toString();
}

/**
 * Nodes whose reads failed: they timed out, dropped off, or answered a command with an error or
 * with a payload that cannot be used (the error says which).
 */
const failedReads = (failed) => [`Reads failed (${failed.length}):`, table(["NODE", "ERROR"], failed.map((f) => [f.nodeName, f.error]), [null, 72])].join("\n");

const dash = (v) => (v === null || v === undefined || v === "" ? "-" : String(v));
const gbOf = (availableMb, totalMb) => (typeof availableMb === "number" && typeof totalMb === "number" ? `${Math.round(availableMb / 1024)}/${Math.round(totalMb / 1024)} GB` : "-");

/** claw_fleet_status details: a one-line summary, the node table and the problem table. */
export function renderStatus(d) {
  const counts = NODE_STATES.filter((s) => typeof d.nodes[s] === "number").map((s) => `${d.nodes[s]} ${s}`);
  const lines = [
    `Fleet: ${d.nodes.total} nodes (${counts.join(", ")}), severity ${d.severity}`,
    `GPUs: ${d.gpus.free}/${d.gpus.total} free. Memory: ${gbOf(d.memory.availableMb, d.memory.totalMb)} available. Containers: ${d.workloads.running} running of ${d.workloads.total}.`,
    table(
      ["NODE", "STATE", "WHY", "GPUS FREE", "MEMORY AVAIL", "LOAD/CPU", "RUNNING"],
      d.nodeDetails.map((n) => [n.nodeName, n.state, dash(n.reason), `${dash(n.gpusFree)}/${dash(n.gpusTotal)}`, gbOf(n.memoryAvailableMb, n.memoryTotalMb), dash(n.loadPerCpu), dash(n.workloadsRunning)]),
      [null, null, WHY_WIDTH, null, null, null, null],
    ),
  ];
  if (d.problems.length) lines.push(`Problems (${d.problems.length}):`, table(["NODE", "SEVERITY", "KIND", "MESSAGE"], d.problems.map((p) => [p.nodeName, p.severity, p.kind, p.message]), [null, null, null, 64]));
  if (d.failedNodes?.length) lines.push(failedReads(d.failedNodes));
  return lines.join("\n");
}

/**
 * claw_gpu_inventory details: the core's counts of the GPUs it listed, then one row per GPU in
 * its order. With `availableOnly` (--available) the core lists free GPUs only, and says nothing
 * of the others: the line says so.
 */
export function renderGpus(raw, { availableOnly = false } = {}) {
  const d = readGpuInventory(raw);
  const others = [["busy", d.busy], ["held", d.held], ["unknown", d.unknown]].filter(([, n]) => n).map(([state, n]) => `, ${n} ${state}`);
  const lines = [
    availableOnly ? `Free GPUs listed: ${d.free} (--available leaves out busy, held and unknown ones).` : `GPUs listed: ${d.total} (${d.free} free${others.join("")}).`,
    table(
      ["NODE", "GPU", "MODEL", "STATE", "UTIL %", "TEMP °C", "MEMORY USED/TOTAL MB", "HELD BY"],
      d.gpus.map((g) => [g.nodeName, g.index, g.model, g.state, dash(g.utilizationPercent), dash(g.temperatureC), `${dash(g.memoryUsedMb)}/${dash(g.memoryTotalMb)}`, dash(g.heldBy?.name)]),
    ),
  ];
  if (d.failedNodes?.length) lines.push(failedReads(d.failedNodes));
  return lines.join("\n");
}

/** claw_workloads details: the counts by Docker state and one row per container. */
export function renderWorkloads(raw) {
  const d = readWorkloads(raw);
  const counts = Object.entries(d.counts ?? {})
    .filter(([, n]) => n)
    .map(([state, n]) => `${n} ${state}`);
  const lines = [
    `Containers: ${d.total}${counts.length ? ` (${counts.join(", ")})` : ""}, ${d.unhealthy} unhealthy.`,
    table(
      ["NODE", "NAME", "IMAGE", "STATE", "HEALTH", "STATUS"],
      d.workloads.map((w) => [w.nodeName, w.name, w.image, w.state, dash(w.health), w.status]),
    ),
  ];
  if (d.failedNodes?.length) lines.push(failedReads(d.failedNodes));
  return lines.join("\n");
}
