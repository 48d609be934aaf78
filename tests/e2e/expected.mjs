// What the five tools must say about the default simulated fleet (sim/fleets/default.toml),
// and the tool checks the in-process (runtime.test.mjs), HTTP (http.test.mjs) and legacy-wire
// (legacy.test.mjs) suites run. Every value follows from the fleet file and the simulator's
// documented models (sim/README.md; GPU readings: sim/src/node/hardware.rs):
//   memory total  = 2·2063731 + 2·1031891 + 386565 + 515703 + 2·257614             = 7608740 MB
//   memory used   = each node's memory_used_mb + its running containers' limits (256g on
//                   gpu-h100-b, 32g on gpu-a100-hot)                              =  915159 MB
//   available     = 7608740 − 915159                                              = 6693581 MB
//                   (content text: ⌊…/1024⌉ = 6537 GB of 7430 GB)
//   GPUs          = 8+8 H100, 4 A100, 4 L4, 2 A10G, 2 H100 (slow), 2 RTX           = 30
//   busy          = GPUs 0-3 of gpu-h100-b (a running 4-GPU job) and GPU 0 of
//                   gpu-a100-hot (a running 1-GPU service)                        = 5
//   unknown       = the 2 GPUs of gpu-rtx-flaky, whose gpu.metrics fails           = 2
//   free          = 30 − 5 − 2                                                    = 23
// GPU readings: a GPU a running container binds reads utilisation 97 − 3·(index mod 4) %,
// memory used ⌊memory_mb·(78 − index mod 4)/100⌋ MB, idle_temp_c + 36 + index mod 3 °C and
// power_limit_w·0.73 + 1.7·(index mod 4) W; an idle one 0 %, 1 MB, idle_temp_c + index mod 3 °C
// and null power; a hot_gpus entry sets the temperature.
import assert from "node:assert/strict";
import { test } from "node:test";
import { invokeTool, tool, toolError } from "./harness.mjs";

/** The state of each node, as the tools, the monitor and placement read it. */
export const NODE_STATES = {
  "gpu-h100-a": "healthy", // nothing crosses a threshold: load 3.87/112 CPUs, disk 38.5 %
  "gpu-h100-b": "healthy", // load 36.9/112 = 0.33 per CPU, under the warning level of 2
  "gpu-a100-hot": "unhealthy", // GPU 2 at 93 °C ≥ 90 (gpuTempCritC)
  "gpu-l4-disk": "unhealthy", // / 97.3 % full ≥ 95 (diskCritPercent)
  "cpu-batch": "degraded", // load 185.0/64 = 2.89 per CPU ≥ 2 (loadPerCpuWarn)
  "gpu-a10-noruntime": "degraded", // workload.list fails: no container runtime binary
  "gpu-h100-slow": "degraded", // workload.list answers broken JSON
  "gpu-rtx-flaky": "degraded", // gpu.metrics fails (COMMAND_ERROR)
};

/** Node counts: 8 nodes; no node is unreachable, offline or unusable. */
export const STATE_COUNTS = { total: 8, healthy: 2, degraded: 4, unhealthy: 2, unreachable: 0, offline: 0, unusable: 0 };

/**
 * How a node's COMMAND_ERROR reaches the plugin. In-process the gateway wraps the node's own
 * error (`UNAVAILABLE: COMMAND_ERROR: <message>`); over HTTP the gateway's `nodes` tool answers
 * 500 "tool execution failed" and keeps the message in its log, so the plugin can only say that.
 */
export function nodeError(transport, command, message) {
  return transport === "http" ? `${command}: gateway error (HTTP 500 tool_error): tool execution failed` : `${command}: UNAVAILABLE: COMMAND_ERROR: ${message}`;
}
const NVML = "nvidia-smi failed: Failed to initialize NVML: Driver/library version mismatch";
const ENOENT = "No such file or directory (os error 2)";
/** gpu-h100-slow's workload.list is cut off mid-JSON (its empty container list, cut inside a string). */
export const MALFORMED = "workload.list: payload is not valid JSON: EOF while parsing a string";
const HOT = "GPU 2 at 93 °C (critical at 90 °C)";
const DISK = "disk / 97% full (critical at 95%)";
const LOAD = "load 2.89 per CPU over 5 min on 64 CPUs (warning at 2)";

export const GPU_BY_MODEL = [
  { model: "NVIDIA A100-SXM4-80GB", total: 4, free: 3 }, // GPU 0 busy (bert-serving)
  { model: "NVIDIA A10G", total: 2, free: 2 },
  { model: "NVIDIA H100 80GB HBM3", total: 18, free: 14 }, // gpu-h100-b GPUs 0-3 busy
  { model: "NVIDIA L4", total: 4, free: 4 },
  { model: "NVIDIA RTX 6000 Ada Generation", total: 2, free: 0 }, // unknown: gpu.metrics fails
];

/** Every problem, critical first, then in node order (by name): [node, severity, kind, message]. */
export const problems = (t) => [
  ["gpu-a100-hot", "critical", "gpuTemperature", HOT],
  ["gpu-l4-disk", "critical", "disk", DISK],
  ["cpu-batch", "warning", "load", LOAD],
  ["gpu-a10-noruntime", "warning", "checkFailed", nodeError(t, "workload.list", ENOENT)],
  ["gpu-h100-slow", "warning", "checkFailed", MALFORMED],
  ["gpu-rtx-flaky", "warning", "checkFailed", nodeError(t, "gpu.metrics", NVML)],
];

/**
 * nodeDetails in attention order (unhealthy, unreachable, unusable, offline, degraded, healthy),
 * then by name: [name, state, reason, cpuCount, loadPerCpu (5-min load / CPUs, 2 decimals),
 * memoryTotalMb, memoryAvailableMb, diskUsedPercent (the disk holding /var/lib/docker: "/"),
 * gpusTotal, gpusFree, workloadsRunning, containerRuntime].
 */
export const nodeDetails = (t) => [
  ["gpu-a100-hot", "unhealthy", HOT, 64, 0.09, 1031891, 969011, 44, 4, 3, 1, "docker"], // 5.8/64; 1031891−30112−32768
  ["gpu-l4-disk", "unhealthy", DISK, 48, 0.02, 386565, 366085, 97.3, 4, 4, 0, "docker"], // 1.1/48; −20480
  ["cpu-batch", "degraded", LOAD, 64, 2.89, 515703, 113591, 71, 0, 0, 0, "docker"], // 185/64; −402112 (created: no limit counted)
  // container_runtime = "none": no runtime; its workload.list fails, so no container is counted
  ["gpu-a10-noruntime", "degraded", nodeError(t, "workload.list", ENOENT), 32, 0.01, 257614, 248398, 22, 2, 2, 0, null],
  ["gpu-h100-slow", "degraded", MALFORMED, 96, 0.02, 1031891, 990931, 30, 2, 2, 0, "docker"], // 2.0/96; −40960
  ["gpu-rtx-flaky", "degraded", nodeError(t, "gpu.metrics", NVML), 32, 0.03, 257614, 241230, 48, 2, 0, 0, "docker"], // 0.9/32; dead container not counted
  ["gpu-h100-a", "healthy", "all checks pass", 112, 0.03, 2063731, 2015518, 38.5, 8, 8, 0, "docker"], // 3.87/112; −48213
  ["gpu-h100-b", "healthy", "all checks pass", 112, 0.33, 2063731, 1748817, 52, 8, 4, 1, "docker"], // 36.9/112; −52770−262144
];

export const WORKLOADS = [
  // attention first: dead, then exited with a non-zero code; then the rest by node and name
  ["gpu-rtx-flaky", "old-render", "blender/blender:4.1", "dead", null, null, "Dead"],
  ["gpu-h100-b", "data-prep", "python:3.11-slim", "exited", null, 137, "Exited (137) 26 hours ago"], // 93600 s
  ["cpu-batch", "etl-pending", "apache/spark:3.5.1", "created", null, null, "Created"],
  ["gpu-a100-hot", "bert-serving", "nvcr.io/nvidia/tritonserver:24.05-py3", "running", null, null, "Up 3 days"], // 259200 s
  ["gpu-h100-b", "eval-nightly", "ghcr.io/acme/eval:1.4.2", "exited", null, 0, "Exited (0) 2 hours ago"], // 7200 s
  ["gpu-h100-b", "llama-70b-finetune", "nvcr.io/nvidia/pytorch:24.05-py3", "running", null, null, "Up 3 hours"], // 10800 s
  ["gpu-l4-disk", "debug-shell", "ubuntu:22.04", "paused", null, null, "Up 5 hours (Paused)"], // 18000 s
];

/**
 * A 1-GPU deploy on the untouched default fleet: docker binds GPU 0, so GPU 0 must be free.
 * Feasible: gpu-h100-slow and gpu-h100-a. Scores (binpack): fit 100·1/free GPUs + memory
 * headroom 10·available/total − load 5·(5-min load per CPU) − 2 per running container − heat −
 * 15 if degraded:
 *   gpu-h100-slow: 50 + 10·990931/1031891 (9.60) − 5·2.0/96 (0.10) − 15       = 44.50
 *   gpu-h100-a:    12.5 + 10·2015518/2063731 (9.77) − 5·3.87/112 (0.17)      = 22.09
 */
export const ONE_GPU_CANDIDATES = [
  ["gpu-h100-slow", 44.5, [0], "fit 50.0 + memory headroom 9.6 - load 0.1 - workloads 0.0 - heat 0.0 - degraded 15"],
  ["gpu-h100-a", 22.09, [0], "fit 12.5 + memory headroom 9.8 - load 0.2 - workloads 0.0 - heat 0.0"],
];
export const ONE_GPU_REJECTIONS = {
  "cpu-batch": ["has 0 GPUs, needs 1"],
  "gpu-a10-noruntime": ["no container runtime"],
  "gpu-a100-hot": [`unhealthy: ${HOT}`, "GPU 0 must be free: GPU 0 busy (63897 MB used, 97% util)"], // ⌊81920·0.78⌋
  "gpu-h100-b": ["GPU 0 must be free: GPU 0 busy (63616 MB used, 97% util)"], // ⌊81559·0.78⌋
  "gpu-l4-disk": [`unhealthy: ${DISK}`],
  "gpu-rtx-flaky": ["GPU 0 must be free: GPU 0 state unknown: gpu.metrics failed"],
};

const byName = (list) => Object.fromEntries(list.map((x) => [x.nodeName, x]));
export const text = (result) => result.content.map((c) => c.text).join("\n");
const cell = (index, state, utilizationPercent, temperatureC) => ({ index, state, utilizationPercent, temperatureC });
const REFUSED = (command) =>
  `claw_multi_invoke: ${command} is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow it by adding "${command}" to plugins.entries.clawbernetes.config.multiInvoke.allow`;

/**
 * Registers the read-only tool checks on an untouched default fleet. `ctx()` returns
 * {gw, sim}; run these before anything changes the fleet.
 * @param {object} o
 * @param {"runtime"|"http"} o.transport how the plugin reaches the nodes
 * @param {boolean} o.sensitiveAllowed whether the plugin config allows system.run and
 *   auth.create_key by name (multiInvoke.allow) and the gateway lets them through
 */
export function readOnlyToolChecks(ctx, { transport, sensitiveAllowed }) {
  const PROBLEMS = problems(transport);
  const NVML_ERROR = nodeError(transport, "gpu.metrics", NVML);
  const NO_RUNTIME_ERROR = nodeError(transport, "workload.list", ENOENT);

  test("claw_fleet_status: node states with reasons, GPUs free/busy/unknown by model, memory, workloads, problems; the exact summary", async () => {
    const { gw, sim } = ctx();
    const r = await tool(gw, "claw_fleet_status");
    const d = r.details;
    assert.equal(d.severity, "critical"); // two critical problems
    assert.deepEqual(d.nodes, STATE_COUNTS);
    assert.deepEqual(d.gpus, { total: 30, free: 23, busy: 5, held: 0, unknown: 2, byModel: GPU_BY_MODEL });
    assert.deepEqual(d.memory, { totalMb: 7608740, availableMb: 6693581 });
    // running: llama-70b-finetune, bert-serving; 7 containers listed (none on the two nodes whose list fails)
    assert.deepEqual(d.workloads, { total: 7, running: 2, unhealthy: 0, restarting: 0 });
    // failedNodes: nodes that did not answer or whose health could not be read — none
    assert.deepEqual(d.failedNodes, []);
    assert.deepEqual(
      d.problems.map((p) => [p.nodeName, p.severity, p.kind, p.message]),
      PROBLEMS,
    );
    assert.ok(d.problems.every((p) => p.nodeId === sim.idOf(p.nodeName)));
    assert.deepEqual(
      d.nodeDetails.map((n) => [n.nodeName, n.state, n.reason, n.cpuCount, n.loadPerCpu, n.memoryTotalMb, n.memoryAvailableMb, n.diskUsedPercent, n.gpusTotal, n.gpusFree, n.workloadsRunning, n.containerRuntime]),
      nodeDetails(transport),
    );
    for (const n of d.nodeDetails) {
      assert.equal(n.nodeId, sim.idOf(n.nodeName), `id of ${n.nodeName}`);
      assert.deepEqual(
        n.problems.map((p) => [p.kind, p.severity, p.message]),
        PROBLEMS.filter(([node]) => node === n.nodeName).map(([, severity, kind, message]) => [kind, severity, message]),
      );
    }
    const details = byName(d.nodeDetails);
    // the heat map: bert-serving binds GPU 0 (idle_temp_c 36 + 36, 97 % util); GPU 2 is the hot one
    assert.deepEqual(details["gpu-a100-hot"].gpus, [cell(0, "busy", 97, 72), cell(1, "free", 0, 37), cell(2, "free", 0, 93), cell(3, "free", 0, 36)]);
    // GPUs 0-3 bound by the 4-GPU job: 97/94/91/88 %, 33 + 36 + index mod 3 °C; 4-7 idle: 33 + index mod 3
    assert.deepEqual(details["gpu-h100-b"].gpus, [
      cell(0, "busy", 97, 69), cell(1, "busy", 94, 70), cell(2, "busy", 91, 71), cell(3, "busy", 88, 69),
      cell(4, "free", 0, 34), cell(5, "free", 0, 35), cell(6, "free", 0, 33), cell(7, "free", 0, 34),
    ]);
    // gpu.metrics failed: nothing is known of its GPUs
    assert.deepEqual(details["gpu-rtx-flaky"].gpus, [cell(0, "unknown", null, null), cell(1, "unknown", null, null)]);
    assert.deepEqual(details["cpu-batch"].gpus, []);
    assert.deepEqual(d.fanout.retries, 0);
    assert.equal(
      text(r),
      [
        "Fleet: 8 clawnodes — 2 healthy, 4 degraded, 2 unhealthy.",
        "GPUs: 23/30 free, 5 busy, 2 unknown (NVIDIA A100-SXM4-80GB 3/4 free; NVIDIA A10G 2/2 free; NVIDIA H100 80GB HBM3 14/18 free; NVIDIA L4 4/4 free; NVIDIA RTX 6000 Ada Generation 0/2 free).",
        "Memory: 6537 GB available of 7430 GB. Workloads: 2 running, 7 containers in all.",
        "Problems (6):",
        ...PROBLEMS.map(([node, severity, , message]) => `- ${node} [${severity}] ${message}`),
      ].join("\n"),
    );
  });

  test("claw_fleet_status nodeFilter: by display-name substring and by exact id", async () => {
    const { gw, sim } = ctx();
    const r = await tool(gw, "claw_fleet_status", { nodeFilter: "H100" });
    const byText = r.details;
    assert.deepEqual(byText.nodeDetails.map((n) => [n.nodeName, n.state]), [["gpu-h100-slow", "degraded"], ["gpu-h100-a", "healthy"], ["gpu-h100-b", "healthy"]]);
    assert.deepEqual(byText.nodes, { total: 3, healthy: 2, degraded: 1, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0 });
    assert.deepEqual(byText.gpus, { total: 18, free: 14, busy: 4, held: 0, unknown: 0, byModel: [{ model: "NVIDIA H100 80GB HBM3", total: 18, free: 14 }] });
    const byId = (await tool(gw, "claw_fleet_status", { nodeFilter: sim.idOf("gpu-l4-disk") })).details;
    assert.deepEqual(byId.nodes, { total: 1, healthy: 0, degraded: 0, unhealthy: 1, unreachable: 0, offline: 0, unusable: 0 });
    assert.deepEqual(byId.nodeDetails.map((n) => [n.nodeName, n.reason]), [["gpu-l4-disk", DISK]]);
  });

  test("claw_gpu_inventory: every GPU grouped by node with its state; the node whose gpu.metrics fails is named and its GPUs unknown", async () => {
    const { gw, sim } = ctx();
    const r = await tool(gw, "claw_gpu_inventory");
    const d = r.details;
    assert.deepEqual([d.total, d.available, d.busy, d.held, d.unknown], [30, 23, 5, 0, 2]);
    assert.deepEqual(d.byModel, GPU_BY_MODEL.map(({ model, total, free }) => ({ model, total, available: free })));
    assert.deepEqual(d.failedNodes, [{ nodeId: sim.idOf("gpu-rtx-flaky"), nodeName: "gpu-rtx-flaky", error: NVML_ERROR }]);
    // grouped by node, by name; cpu-batch has no GPU
    assert.deepEqual(
      d.nodes.map((n) => [n.nodeName, n.nodeId === sim.idOf(n.nodeName), n.gpus.length]),
      [["gpu-a10-noruntime", true, 2], ["gpu-a100-hot", true, 4], ["gpu-h100-a", true, 8], ["gpu-h100-b", true, 8], ["gpu-h100-slow", true, 2], ["gpu-l4-disk", true, 4], ["gpu-rtx-flaky", true, 2]],
    );
    const hot = byName(d.nodes)["gpu-a100-hot"].gpus;
    assert.deepEqual(hot[0], {
      index: 0,
      uuid: "GPU-180f287f-d1b9-28e3-a62e-7abbcf29b1e9", // the simulator derives uuids from the node name
      model: "NVIDIA A100-SXM4-80GB",
      memoryTotalMb: 81920,
      memoryUsedMb: 63897, // ⌊81920·78/100⌋
      utilizationPercent: 97,
      temperatureC: 72, // 36 + 36
      powerDrawW: 292, // 400·0.73
      powerLimitW: 400,
      state: "busy",
      available: false,
      heldBy: null,
      why: "63897 MB used, 97% util",
    });
    assert.deepEqual(
      hot.map((g) => [g.index, g.state, g.memoryUsedMb, g.temperatureC, g.available, g.powerDrawW, g.why]),
      [
        [0, "busy", 63897, 72, false, 292, "63897 MB used, 97% util"],
        [1, "free", 1, 37, true, null, null],
        [2, "free", 1, 93, true, null, null], // hot but idle: free (the node is what is unhealthy)
        [3, "free", 1, 36, true, null, null],
      ],
    );
    // gpu.metrics failed: the GPUs gpu.list names, with nothing read
    assert.deepEqual(
      byName(d.nodes)["gpu-rtx-flaky"].gpus.map((g) => [g.index, g.model, g.memoryTotalMb, g.memoryUsedMb, g.utilizationPercent, g.temperatureC, g.state, g.available, g.why]),
      [
        [0, "NVIDIA RTX 6000 Ada Generation", 49140, null, null, null, "unknown", false, "gpu.metrics failed"],
        [1, "NVIDIA RTX 6000 Ada Generation", 49140, null, null, null, "unknown", false, "gpu.metrics failed"],
      ],
    );
    assert.equal(text(r).split("\n")[0], "GPUs: 30 listed, 23 available, 5 busy, 2 unknown, on 8 clawnode(s).");
  });

  test("claw_gpu_inventory filters: model substring, availableOnly, node by name", async () => {
    const { gw } = ctx();
    const h100 = (await tool(gw, "claw_gpu_inventory", { model: "h100" })).details;
    assert.deepEqual([h100.total, h100.available, h100.busy, h100.unknown], [18, 14, 4, 0]);
    assert.deepEqual(h100.nodes.map((n) => n.nodeName), ["gpu-h100-a", "gpu-h100-b", "gpu-h100-slow"]);
    const free = (await tool(gw, "claw_gpu_inventory", { availableOnly: true })).details;
    assert.equal(free.total, 23);
    assert.deepEqual(free.nodes.map((n) => [n.nodeName, n.gpus.length]), [["gpu-a10-noruntime", 2], ["gpu-a100-hot", 3], ["gpu-h100-a", 8], ["gpu-h100-b", 4], ["gpu-h100-slow", 2], ["gpu-l4-disk", 4]]);
    assert.ok(free.nodes.every((n) => n.gpus.every((g) => g.available && g.state === "free")));
    const b = (await tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-b" })).details;
    assert.deepEqual(
      b.nodes[0].gpus.map((g) => [g.index, g.state]),
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, i < 4 ? "busy" : "free"]),
    );
  });

  test("claw_workloads: every container with Docker's state, health, exit code and status; trouble first; failing nodes listed", async () => {
    const { gw, sim } = ctx();
    const r = await tool(gw, "claw_workloads");
    const d = r.details;
    assert.deepEqual(d.workloads.map((w) => [w.nodeName, w.name, w.image, w.state, w.health, w.exitCode, w.status]), WORKLOADS);
    assert.ok(d.workloads.every((w) => /^[0-9a-f]{12}$/.test(w.containerId) && w.nodeId === sim.idOf(w.nodeName)));
    assert.equal(d.total, 7);
    assert.equal(d.unhealthy, 0);
    assert.deepEqual(d.counts, { running: 2, exited: 2, created: 1, restarting: 0, paused: 1, removing: 0, dead: 1, unknown: 0 });
    assert.deepEqual(
      d.failedNodes.map((f) => [f.nodeName, f.error]),
      [["gpu-a10-noruntime", NO_RUNTIME_ERROR], ["gpu-h100-slow", MALFORMED]],
    );
    assert.equal(text(r).split("\n")[0], "Workloads: 7 container(s) on 8 clawnode(s): 2 running, 2 exited, 1 created, 1 paused, 1 dead.");
  });

  test("claw_workloads filters: state, image, node and name", async () => {
    const { gw } = ctx();
    const names = async (args) => (await tool(gw, "claw_workloads", args)).details.workloads.map((w) => w.name);
    assert.deepEqual(await names({ state: "exited" }), ["data-prep", "eval-nightly"]); // exit 137 first
    assert.deepEqual(await names({ image: "pytorch" }), ["llama-70b-finetune"]);
    assert.deepEqual(await names({ nodeId: "gpu-h100-b" }), ["data-prep", "eval-nightly", "llama-70b-finetune"]);
    assert.deepEqual(await names({ name: "prep" }), ["data-prep"]);
  });

  test("claw_deploy dryRun: binpack ranks the 2-GPU node first, with its score, and gives every rejection its reasons; nothing runs", async () => {
    const { gw } = ctx();
    const r = await tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, dryRun: true });
    const d = r.details;
    assert.deepEqual(
      [d.dryRun, d.placed, d.started, d.nodeId, d.containerId, d.confirmation, d.strategy, d.gpus, d.attempts],
      [true, false, null, null, null, null, "binpack", [0], []],
    );
    assert.deepEqual(d.runParams, { image: "pytorch/pytorch:2.0", gpus: 1 });
    assert.deepEqual(d.candidates.map((c) => [c.nodeName, c.score, c.gpus, c.why]), ONE_GPU_CANDIDATES);
    assert.deepEqual(Object.fromEntries(d.rejected.map((x) => [x.nodeName, x.reasons])), ONE_GPU_REJECTIONS);
    assert.deepEqual(d.rejected.map((x) => x.nodeName), Object.keys(ONE_GPU_REJECTIONS).sort());
    assert.equal(text(r).split("\n")[0], "Plan (dry run: nothing run): gpu-h100-slow would run pytorch/pytorch:2.0 (GPU 0, binpack).");
    const after = (await tool(gw, "claw_workloads")).details;
    assert.equal(after.total, 7, "a dry run starts nothing");
  });

  test("claw_deploy refuses bad arguments with a message naming the field", async () => {
    const { gw } = ctx();
    assert.equal(await toolError(gw, "claw_deploy", { image: "Not Valid" }), 'claw_deploy: image "Not Valid" is not a valid image reference: it contains white space');
    assert.equal(await toolError(gw, "claw_deploy", { image: "nginx:1.27", gpus: 99 }), "claw_deploy: gpus must be a whole number from 0 to 16, got 99");
    assert.equal(
      await toolError(gw, "claw_deploy", { image: "nginx:1.27", memory: "lots" }),
      'claw_deploy: memory "lots" is not a size Docker reads (no number): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. "8g", "8GB", "512m", "16GiB", "1.5g"',
    );
  });

  test("claw_multi_invoke: gpu.list on every node, in parallel, with per-node payloads", async () => {
    const { gw, sim } = ctx();
    const r = await tool(gw, "claw_multi_invoke", { command: "gpu.list" });
    const d = r.details;
    assert.equal(d.command, "gpu.list");
    assert.deepEqual([d.total, d.ok, d.failed, d.skipped, d.sharedNames], [8, 8, 0, 0, []]);
    assert.deepEqual(
      d.results.map((x) => [x.nodeName, x.ok, x.payload.count, x.error]),
      [["cpu-batch", true, 0, null], ["gpu-a10-noruntime", true, 2, null], ["gpu-a100-hot", true, 4, null], ["gpu-h100-a", true, 8, null], ["gpu-h100-b", true, 8, null], ["gpu-h100-slow", true, 2, null], ["gpu-l4-disk", true, 4, null], ["gpu-rtx-flaky", true, 2, null]],
    );
    assert.ok(d.results.every((x) => x.nodeId === sim.idOf(x.nodeName) && x.durationMs >= 0));
    assert.equal(byName(d.results)["gpu-h100-a"].payload.total_memory_gb, 637); // ⌊8·81559/1024⌋, floored as clawnode does
    assert.equal(text(r).split("\n")[0], "gpu.list on 8 node(s): 8 ok, 0 failed.");
  });

  test("claw_multi_invoke: named nodes (display name and id) only; failures are per node", async () => {
    const { gw, sim } = ctx();
    const d = (await tool(gw, "claw_multi_invoke", { command: "workload.list", nodes: ["gpu-h100-b", sim.idOf("gpu-a10-noruntime")] })).details;
    assert.deepEqual([d.total, d.ok, d.failed, d.skipped], [2, 1, 1, 0]);
    assert.deepEqual(
      d.results.map((x) => [x.nodeName, x.ok, x.payload?.count ?? null, x.error]),
      [["gpu-h100-b", true, 3, null], ["gpu-a10-noruntime", false, null, NO_RUNTIME_ERROR]],
    );
  });

  test("claw_multi_invoke: sensitive commands are refused unless the config allows them by name", async () => {
    const { gw } = ctx();
    assert.equal(await toolError(gw, "claw_multi_invoke", { command: "workload.stop", params: { name: "x" } }), REFUSED("workload.stop"));
    assert.equal(await toolError(gw, "claw_multi_invoke", { command: "secret.get", params: { name: "x" } }), REFUSED("secret.get"));
    if (!sensitiveAllowed) {
      // the default config allows none by name
      assert.equal(await toolError(gw, "claw_multi_invoke", { command: "system.run", params: { command: ["hostname"] } }), REFUSED("system.run"));
      assert.equal(await toolError(gw, "claw_multi_invoke", { command: "auth.create_key", params: { name: "e2e" } }), REFUSED("auth.create_key"));
      return;
    }
    // auth.create_key is allowed by name in this gateway's plugin config (multiInvoke.allow);
    // revealSecrets is off, so the key's one-time secret must not come back
    const key = (await tool(gw, "claw_multi_invoke", { command: "auth.create_key", params: { name: "e2e-ci" }, nodes: ["gpu-h100-a"] })).details;
    assert.deepEqual([key.total, key.ok], [1, 1]);
    assert.match(key.results[0].payload.keyId, /^claw-[0-9a-f]{12}$/);
    assert.doesNotMatch(String(key.results[0].payload.secret), /^[0-9a-f]{64}$/, "the key secret is redacted");
    // system.run too; over HTTP the gateway's nodes tool reserves it for `exec`, which the plugin reports per node
    const d = (await tool(gw, "claw_multi_invoke", { command: "system.run", params: { command: ["hostname"] }, nodes: ["gpu-h100-a", "cpu-batch"] })).details;
    if (transport === "http") {
      assert.deepEqual(d.results.map((x) => [x.nodeName, x.ok]), [["gpu-h100-a", false], ["cpu-batch", false]]);
    } else {
      assert.deepEqual(
        d.results.map((x) => [x.nodeName, x.ok, x.payload.stdout]),
        [
          ["gpu-h100-a", true, "gpu-h100-a\n"],
          ["cpu-batch", true, "cpu-batch\n"],
        ],
      );
    }
  });
}

/**
 * Deploys that change the fleet: run after the read-only checks, with `deploy.confirmMs` set
 * to CONFIRM_MS. The first 1-GPU deploy goes to the node binpack ranks first (gpu-h100-slow);
 * its workload.list answers broken JSON, so the watch never sees the container and reports it
 * still starting. An immediate second one must not get the same GPU 0 (held) and lands on
 * gpu-h100-a, where it is seen running. Both GPUs then show as held.
 */
export const CONFIRM_MS = 3000;
export function deployChecks(ctx) {
  const placed = {};
  test("claw_deploy runs on the best-scored node; a node whose workload.list cannot be read leaves it 'starting' (started: null)", async () => {
    const { gw, sim } = ctx();
    const r = await tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, name: "e2e-train-1", memory: "16g", env: { EPOCHS: "3" }, command: ["python", "train.py"] });
    const d = r.details;
    assert.deepEqual([d.placed, d.started, d.nodeName, d.nodeId, d.name, d.gpus], [true, null, "gpu-h100-slow", sim.idOf("gpu-h100-slow"), "e2e-train-1", [0]]);
    assert.deepEqual(d.runParams, { image: "pytorch/pytorch:2.0", gpus: 1, memory: "16g", env: ["EPOCHS=3"], command: ["python", "train.py"], name: "e2e-train-1" });
    assert.match(d.containerId, /^[0-9a-f]{64}$/);
    assert.match(d.workloadId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(d.attempts, [{ nodeId: sim.idOf("gpu-h100-slow"), nodeName: "gpu-h100-slow", ok: true, error: null }]);
    const c = d.confirmation;
    const broken = "workload.list: payload is not valid JSON: EOF while parsing a string";
    assert.deepEqual([c.outcome, c.status, c.exitCode, c.health, c.logs, c.ran, c.listError], ["starting", "", null, null, [], false, broken]);
    assert.ok(c.waitedMs >= CONFIRM_MS, `watched ${c.waitedMs} ms`);
    // the window ends between polls of a node answering in 600-900 ms: 3 or 4 s
    assert.match(
      text(r).split("\n")[0],
      new RegExp(`^Deployed pytorch/pytorch:2\\.0 on gpu-h100-slow \\(GPU 0\\), container ${d.containerId}: not confirmed after [34] s: the node's workload\\.list could not be read \\(${broken.replace(/\./g, "\\.")}\\); check claw_workloads for it later\\.$`),
    );
    placed.first = d;
  });

  test("claw_deploy right after: the just-placed GPU is held, not booked twice; the next node runs it and it is seen running", async () => {
    const { gw } = ctx();
    const r = await tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, name: "e2e-train-2" });
    const d = r.details;
    assert.deepEqual([d.placed, d.started, d.nodeName, d.gpus], [true, true, "gpu-h100-a", [0]]);
    const slow = d.rejected.find((x) => x.nodeName === "gpu-h100-slow");
    assert.deepEqual(slow.reasons, ["GPU 0 must be free: GPU 0 is held by e2e-train-1 since the plugin started it"]);
    // which container holds it: the first deploy's
    assert.deepEqual(slow.held.map((g) => [g.index, g.heldBy.containerId, g.heldBy.name]), [[0, placed.first.containerId, "e2e-train-1"]]);
    assert.equal(typeof slow.held[0].heldBy.since, "number");
    const c = d.confirmation;
    assert.deepEqual([c.outcome, c.exitCode, c.health, c.logs, c.ran], ["running", null, null, [], true]);
    // watched to the end of CONFIRM_MS (3 s)
    assert.match(c.status, /^Up [2-9] seconds$/);
    assert.equal(text(r).split("\n")[0], `Deployed pytorch/pytorch:2.0 on gpu-h100-a (GPU 0), container ${d.containerId}: running (${c.status}).`);
    placed.second = d;
  });

  test("the deployed workload shows in claw_workloads, and its GPU as held (heldBy) in claw_gpu_inventory and claw_fleet_status", async () => {
    const { gw } = ctx();
    const w = (await tool(gw, "claw_workloads", { name: "e2e-train-2" })).details.workloads;
    assert.deepEqual(
      w.map((x) => [x.nodeName, x.name, x.image, x.state, x.health, x.exitCode, x.containerId]),
      [["gpu-h100-a", "e2e-train-2", "pytorch/pytorch:2.0", "running", null, null, placed.second.containerId.slice(0, 12)]],
    );
    const inv = (await tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-a" })).details.nodes[0].gpus;
    assert.deepEqual(
      inv.map((g) => [g.index, g.state, g.available, g.heldBy?.containerId ?? null, g.heldBy?.name ?? null]),
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (i === 0 ? [0, "held", false, placed.second.containerId, "e2e-train-2"] : [i, "free", true, null, null])),
    );
    assert.equal(inv[0].why, "held by e2e-train-2 since the plugin started it");
    assert.equal(typeof inv[0].heldBy.since, "number");
    const slow = (await tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-slow" })).details.nodes[0].gpus;
    assert.deepEqual(slow.map((g) => [g.index, g.state, g.heldBy?.name ?? null]), [[0, "held", "e2e-train-1"], [1, "free", null]]);
    // 23 free before, 2 now held
    const status = (await tool(gw, "claw_fleet_status")).details;
    assert.deepEqual([status.gpus.total, status.gpus.free, status.gpus.busy, status.gpus.held, status.gpus.unknown], [30, 21, 5, 2, 2]);
  });

  test("claw_deploy nobody can host is an answer (placed: false), over HTTP too, naming every node and every reason", async () => {
    const { gw } = ctx();
    // 2 A100 GPUs with 90000 MB VRAM and 900g of memory (990 GiB with headroom = 1013760 MB)
    const { status, body } = await invokeTool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 2, gpuModel: "A100", minVramMb: 90000, memory: "900g" });
    assert.equal(status, 200, JSON.stringify(body));
    const d = body.result.details;
    assert.deepEqual([d.placed, d.started, d.nodeId, d.candidates, d.attempts], [false, null, null, [], []]);
    const mem = (mb) => `not enough memory: needs 1013760 MB (921600 MB + 10% headroom), ${mb} MB available`;
    const expected = {
      "cpu-batch": [mem(113591), "has 0 GPUs, needs 2"],
      "gpu-a10-noruntime": ["no container runtime", mem(248398)],
      "gpu-a100-hot": [`unhealthy: ${HOT}`, mem(969011), "GPU 0 has 81920 MB VRAM, needs 90000 MB", "GPUs 0..1 must all be free: GPU 0 busy (63897 MB used, 97% util)"],
      // 2015518 MB available: enough memory
      "gpu-h100-a": ["GPU 0 is NVIDIA H100 80GB HBM3, not A100", "GPU 0 has 81559 MB VRAM, needs 90000 MB", "GPUs 0..1 must all be free: GPU 0 is held by e2e-train-2 since the plugin started it"],
      "gpu-h100-b": ["GPU 0 is NVIDIA H100 80GB HBM3, not A100", "GPU 0 has 81559 MB VRAM, needs 90000 MB", "GPUs 0..1 must all be free: GPU 0 busy (63616 MB used, 97% util), GPU 1 busy (62800 MB used, 94% util)"],
      // 990931 − 16384 (e2e-train-1's 16g)
      "gpu-h100-slow": [mem(974547), "GPU 0 is NVIDIA H100 80GB HBM3, not A100", "GPU 0 has 81559 MB VRAM, needs 90000 MB", "GPUs 0..1 must all be free: GPU 0 is held by e2e-train-1 since the plugin started it"],
      "gpu-l4-disk": [`unhealthy: ${DISK}`, mem(366085), "GPU 0 is NVIDIA L4, not A100", "GPU 0 has 23034 MB VRAM, needs 90000 MB"],
      "gpu-rtx-flaky": [mem(241230), "GPU 0 is NVIDIA RTX 6000 Ada Generation, not A100", "GPU 0 has 49140 MB VRAM, needs 90000 MB", "GPUs 0..1 must all be free: GPU 0 state unknown: gpu.metrics failed, GPU 1 state unknown: gpu.metrics failed"],
    };
    assert.deepEqual(d.rejected.map((x) => [x.nodeName, x.reasons]), Object.entries(expected));
    // the content starts with the reason summary: the first three rejected nodes
    const first = Object.entries(expected).slice(0, 3).map(([node, reasons]) => `${node}: ${reasons.join("; ")}`);
    const lines = text(body.result).split("\n");
    assert.equal(lines[0], `Not placed: no node can host pytorch/pytorch:2.0 (8 clawnode(s) checked) — ${first.join(" | ")}`);
    assert.equal(lines[1], "Rejected (8):");
  });
}
