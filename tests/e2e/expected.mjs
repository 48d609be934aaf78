// What the five tools must say about the default simulated fleet (sim/fleets/default.toml),
// and the tool checks both transports run. Every number here follows from the fleet file:
//   memory total  = 2·2063731 + 2·1031891 + 386565 + 515703 + 2·257614             = 7608740 MB
//   memory used   = base used per node + running containers' limits (256g on
//                   gpu-h100-b, 32g on gpu-a100-hot)                              =  915159 MB
//   GPUs          = 8+8 H100, 4 A100, 4 L4, 2 A10G, 2 H100 (slow), 2 RTX           = 30
//   busy          = GPUs 0-3 on gpu-h100-b, GPU 0 on gpu-a100-hot; RTX unknown     → 23 free
import assert from "node:assert/strict";
import { test } from "node:test";
import { tool, toolError } from "./harness.mjs";

export const NODE_STATES = {
  "gpu-h100-a": "healthy",
  "gpu-h100-b": "healthy",
  "gpu-a100-hot": "unhealthy",
  "gpu-l4-disk": "unhealthy",
  "cpu-batch": "degraded",
  "gpu-a10-noruntime": "degraded",
  "gpu-h100-slow": "degraded",
  "gpu-rtx-flaky": "degraded",
};

/**
 * How a node's COMMAND_ERROR reaches the plugin. In-process it keeps the node's message; over
 * HTTP the gateway's `nodes` tool answers 500 "tool execution failed" and the message stays in
 * the gateway log, so the plugin can only say that.
 */
export function nodeError(transport, command, message) {
  return transport === "http" ? `${command}: gateway error (HTTP 500 tool_error): tool execution failed` : `${command}: COMMAND_ERROR: ${message}`;
}
const NVML = "nvidia-smi failed: Failed to initialize NVML: Driver/library version mismatch";
const ENOENT = "No such file or directory (os error 2)";
export const MALFORMED = /^workload\.list: payload is not valid JSON: EOF while parsing/;

export const GPU_BY_MODEL = [
  { model: "NVIDIA A100-SXM4-80GB", total: 4, free: 3 },
  { model: "NVIDIA A10G", total: 2, free: 2 },
  { model: "NVIDIA H100 80GB HBM3", total: 18, free: 14 },
  { model: "NVIDIA L4", total: 4, free: 4 },
  { model: "NVIDIA RTX 6000 Ada Generation", total: 2, free: 0 },
];

export const problems = (t) => [
  ["cpu-batch", "warning", "load", "load 2.89 per CPU over 5 min on 64 CPUs (warning at 2)"],
  ["gpu-a10-noruntime", "warning", "checkFailed", nodeError(t, "workload.list", ENOENT)],
  ["gpu-a100-hot", "critical", "gpuTemperature", "GPU 2 at 93 °C (critical at 90 °C)"],
  ["gpu-h100-slow", "warning", "checkFailed", MALFORMED],
  ["gpu-l4-disk", "critical", "disk", "disk / 97% full (critical at 95%)"],
  ["gpu-rtx-flaky", "warning", "checkFailed", nodeError(t, "gpu.metrics", NVML)],
];

export const WORKLOADS = [
  ["cpu-batch", "etl-pending", "apache/spark:3.5.1", "created", null, "Created"],
  ["gpu-a100-hot", "bert-serving", "nvcr.io/nvidia/tritonserver:24.05-py3", "running", null, "Up 3 days"],
  ["gpu-h100-b", "llama-70b-finetune", "nvcr.io/nvidia/pytorch:24.05-py3", "running", null, "Up 3 hours"],
  ["gpu-h100-b", "eval-nightly", "ghcr.io/acme/eval:1.4.2", "exited", 0, "Exited (0) 2 hours ago"],
  ["gpu-h100-b", "data-prep", "python:3.11-slim", "exited", 137, "Exited (137) 26 hours ago"],
  ["gpu-l4-disk", "debug-shell", "ubuntu:22.04", "paused", null, "Up 5 hours (Paused)"],
  ["gpu-rtx-flaky", "old-render", "blender/blender:4.1", "dead", null, "Dead"],
];

/** Rejections of a 1-GPU deploy on the untouched default fleet. */
export const oneGpuRejections = (t) => ({
  "cpu-batch": ["has 0 GPUs, needs 1"],
  "gpu-a100-hot": ["unhealthy: GPU 2 at 93 °C (critical at 90 °C)", "GPU 0 must be free: GPU 0 busy (63897 MB used, 97% util)"],
  "gpu-h100-b": ["GPU 0 must be free: GPU 0 busy (63616 MB used, 97% util)"],
  "gpu-l4-disk": ["unhealthy: disk / 97% full (critical at 95%)"],
  "gpu-rtx-flaky": [`GPU state unknown: ${nodeError(t, "gpu.metrics", NVML)}`],
});

const byName = (list) => Object.fromEntries(list.map((x) => [x.nodeName, x]));
const text = (result) => result.content.map((c) => c.text).join("\n");

function assertMatch(actual, expected, what) {
  if (expected instanceof RegExp) assert.match(actual, expected, what);
  else assert.equal(actual, expected, what);
}

/**
 * Registers the read-only tool checks on an untouched default fleet. `ctx()` returns
 * {gw, sim}; `transport` is "runtime" or "http"; run these before anything changes the fleet.
 */
export function readOnlyToolChecks(ctx, transport) {
  const PROBLEMS = problems(transport);
  const ONE_GPU_REJECTIONS = oneGpuRejections(transport);
  const NVML_ERROR = nodeError(transport, "gpu.metrics", NVML);
  const NO_RUNTIME_ERROR = nodeError(transport, "workload.list", ENOENT);
  test("claw_fleet_status: node states, GPU totals by model, memory, workloads and problems of the default fleet", async () => {
    const { gw, sim } = ctx();
    const r = await tool(gw, "claw_fleet_status");
    const d = r.details;
    assert.deepEqual(d.nodes, { total: 8, healthy: 2, degraded: 4, unhealthy: 2, unreachable: 0 });
    assert.deepEqual(d.gpus, { total: 30, free: 23, byModel: GPU_BY_MODEL });
    assert.deepEqual(d.memory, { totalMb: 7608740, availableMb: 6693581 });
    assert.deepEqual(d.workloads, { running: 2, total: 7 });
    assert.deepEqual(d.failedNodes, []);
    const states = Object.fromEntries(d.nodeDetails.map((n) => [n.nodeName, n.state]));
    assert.deepEqual(states, NODE_STATES);
    for (const n of d.nodeDetails) assert.equal(n.nodeId, sim.idOf(n.nodeName), `id of ${n.nodeName}`);
    assert.equal(d.problems.length, PROBLEMS.length, JSON.stringify(d.problems));
    const problems = [...d.problems].sort((a, b) => a.nodeName.localeCompare(b.nodeName));
    PROBLEMS.forEach(([node, severity, kind, message], i) => {
      const p = problems[i];
      assert.deepEqual([p.nodeName, p.severity, p.kind], [node, severity, kind]);
      assertMatch(p.message, message, `${node} problem message`);
    });
    const t = text(r);
    assert.match(t, /^Fleet: 8 clawnodes — 2 healthy, 4 degraded, 2 unhealthy, 0 unreachable\./);
    assert.match(t, /GPUs: 23\/30 free/);
    assert.ok(t.length < 4000, `content is ${t.length} chars`);
  });

  test("claw_fleet_status nodeFilter: by display-name substring and by exact id", async () => {
    const { gw, sim } = ctx();
    const byText = (await tool(gw, "claw_fleet_status", { nodeFilter: "H100" })).details;
    assert.deepEqual(byText.nodeDetails.map((n) => n.nodeName).sort(), ["gpu-h100-a", "gpu-h100-b", "gpu-h100-slow"]);
    assert.deepEqual(byText.gpus.byModel, [{ model: "NVIDIA H100 80GB HBM3", total: 18, free: 14 }]);
    const byId = (await tool(gw, "claw_fleet_status", { nodeFilter: sim.idOf("gpu-l4-disk") })).details;
    assert.deepEqual(byId.nodes, { total: 1, healthy: 0, degraded: 0, unhealthy: 1, unreachable: 0 });
  });

  test("claw_gpu_inventory: every GPU with its numbers; the node whose gpu.metrics fails is reported, not guessed", async () => {
    const { gw, sim } = ctx();
    const d = (await tool(gw, "claw_gpu_inventory")).details;
    assert.equal(d.total, 28);
    assert.equal(d.available, 23);
    assert.deepEqual(
      d.byModel,
      GPU_BY_MODEL.filter((m) => !m.model.startsWith("NVIDIA RTX")).map(({ model, total, free }) => ({ model, total, available: free })),
    );
    assert.deepEqual(d.failedNodes, [{ nodeId: sim.idOf("gpu-rtx-flaky"), nodeName: "gpu-rtx-flaky", error: NVML_ERROR }]);
    const hot = d.gpus.filter((g) => g.nodeName === "gpu-a100-hot");
    assert.deepEqual(hot[0], {
      nodeId: sim.idOf("gpu-a100-hot"),
      nodeName: "gpu-a100-hot",
      index: 0,
      uuid: "GPU-180f287f-d1b9-28e3-a62e-7abbcf29b1e9",
      model: "NVIDIA A100-SXM4-80GB",
      memoryTotalMb: 81920,
      memoryUsedMb: 63897,
      utilizationPercent: 97,
      temperatureC: 72,
      powerDrawW: 292,
      powerLimitW: 400,
      available: false,
    });
    assert.deepEqual(
      hot.map((g) => [g.index, g.temperatureC, g.available, g.powerDrawW]),
      [
        [0, 72, false, 292],
        [1, 37, true, null],
        [2, 93, true, null],
        [3, 36, true, null],
      ],
    );
  });

  test("claw_gpu_inventory filters: model substring, availableOnly, node by name", async () => {
    const { gw } = ctx();
    const h100 = (await tool(gw, "claw_gpu_inventory", { model: "h100" })).details;
    assert.deepEqual([h100.total, h100.available], [18, 14]);
    const free = (await tool(gw, "claw_gpu_inventory", { availableOnly: true })).details;
    assert.equal(free.gpus.length, 23);
    assert.ok(free.gpus.every((g) => g.available));
    const b = (await tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-b" })).details;
    assert.deepEqual(
      b.gpus.map((g) => [g.index, g.available]),
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, i >= 4]),
    );
  });

  test("claw_workloads: every container with its normalised state, exit code and Docker status; failing nodes listed", async () => {
    const { gw, sim } = ctx();
    const d = (await tool(gw, "claw_workloads")).details;
    assert.deepEqual(
      d.workloads.map((w) => [w.nodeName, w.name, w.image, w.state, w.exitCode, w.status]),
      WORKLOADS,
    );
    assert.ok(d.workloads.every((w) => /^[0-9a-f]{12}$/.test(w.containerId) && w.nodeId === sim.idOf(w.nodeName)));
    assert.equal(d.total, 7);
    assert.deepEqual(d.counts, { running: 2, exited: 2, created: 1, restarting: 0, paused: 1, dead: 1, unknown: 0 });
    const failed = byName(d.failedNodes);
    assert.deepEqual(Object.keys(failed).sort(), ["gpu-a10-noruntime", "gpu-h100-slow"]);
    assert.equal(failed["gpu-a10-noruntime"].error, NO_RUNTIME_ERROR);
    assert.match(failed["gpu-h100-slow"].error, MALFORMED);
  });

  test("claw_workloads filters: state, image, node and name", async () => {
    const { gw } = ctx();
    const names = async (args) => (await tool(gw, "claw_workloads", args)).details.workloads.map((w) => w.name);
    assert.deepEqual(await names({ state: "exited" }), ["eval-nightly", "data-prep"]);
    assert.deepEqual(await names({ image: "pytorch" }), ["llama-70b-finetune"]);
    assert.deepEqual(await names({ nodeId: "gpu-h100-b" }), ["llama-70b-finetune", "eval-nightly", "data-prep"]);
    assert.deepEqual(await names({ name: "prep" }), ["data-prep"]);
  });

  test("claw_deploy dryRun: binpack ranks the 2-GPU node first and explains every rejection; nothing runs", async () => {
    const { gw } = ctx();
    const d = (await tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, dryRun: true })).details;
    assert.equal(d.dryRun, true);
    assert.equal(d.placed, false);
    assert.equal(d.containerId, null);
    assert.deepEqual(d.attempts, []);
    const usable = d.candidates.filter((c) => c.nodeName !== "gpu-a10-noruntime");
    assert.deepEqual(usable.map((c) => c.nodeName), ["gpu-h100-slow", "gpu-h100-a"]);
    assert.ok(usable[0].score > usable[1].score);
    const rejected = Object.fromEntries(d.rejected.map((r) => [r.nodeName, r.reasons]));
    for (const [node, reasons] of Object.entries(ONE_GPU_REJECTIONS)) assert.deepEqual(rejected[node], reasons, node);
    const after = (await tool(gw, "claw_workloads")).details;
    assert.equal(after.total, 7, "a dry run starts nothing");
  });

  test("claw_deploy: a node without a container runtime is rejected for it, not tried", async () => {
    const { gw } = ctx();
    const d = (await tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, dryRun: true })).details;
    const noRuntime = d.rejected.find((r) => r.nodeName === "gpu-a10-noruntime");
    assert.ok(noRuntime, `gpu-a10-noruntime should be rejected (its node.capabilities lists no docker/podman/container and workload.* fail with os error 2); candidates: ${JSON.stringify(d.candidates.map((c) => c.nodeName))}`);
    assert.ok(noRuntime.reasons.some((r) => /runtime/i.test(r)), JSON.stringify(noRuntime.reasons));
  });

  test("claw_deploy rejects bad arguments with a message naming the field", async () => {
    const { gw } = ctx();
    assert.match(await toolError(gw, "claw_deploy", { image: "Not Valid" }), /image "Not Valid" is not a valid image reference/);
    assert.match(await toolError(gw, "claw_deploy", { image: "nginx:1.27", gpus: 99 }), /gpus/);
    assert.match(await toolError(gw, "claw_deploy", { image: "nginx:1.27", memory: "lots" }), /memory/);
  });

  test("claw_multi_invoke: gpu.list on every node, in parallel, with per-node payloads", async () => {
    const { gw, sim } = ctx();
    const d = (await tool(gw, "claw_multi_invoke", { command: "gpu.list" })).details;
    assert.equal(d.command, "gpu.list");
    assert.deepEqual([d.total, d.ok, d.failed], [8, 8, 0]);
    const counts = Object.fromEntries(d.results.map((r) => [r.nodeName, r.payload.count]));
    assert.deepEqual(counts, {
      "cpu-batch": 0,
      "gpu-a10-noruntime": 2,
      "gpu-a100-hot": 4,
      "gpu-h100-a": 8,
      "gpu-h100-b": 8,
      "gpu-h100-slow": 2,
      "gpu-l4-disk": 4,
      "gpu-rtx-flaky": 2,
    });
    assert.ok(d.results.every((r) => r.ok && r.nodeId === sim.idOf(r.nodeName) && Number.isInteger(r.durationMs)));
    assert.equal(byName(d.results)["gpu-h100-a"].payload.total_memory_gb, 637);
  });

  test("claw_multi_invoke: named nodes (display name and id) only; failures are per node", async () => {
    const { gw, sim } = ctx();
    const d = (await tool(gw, "claw_multi_invoke", { command: "workload.list", nodes: ["gpu-h100-b", sim.idOf("gpu-a10-noruntime")] })).details;
    assert.deepEqual([d.total, d.ok, d.failed], [2, 1, 1]);
    const r = byName(d.results);
    assert.equal(r["gpu-h100-b"].payload.count, 3);
    assert.equal(r["gpu-a10-noruntime"].ok, false);
    assert.equal(r["gpu-a10-noruntime"].error, NO_RUNTIME_ERROR);
  });

  test("claw_multi_invoke: dangerous commands are refused unless the config allows them by name", async () => {
    const { gw } = ctx();
    assert.match(await toolError(gw, "claw_multi_invoke", { command: "workload.stop", params: { name: "x" } }), /workload\.stop/);
    assert.match(await toolError(gw, "claw_multi_invoke", { command: "secret.get", params: { name: "x" } }), /secret\.get/);
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
 * Deploys that change the fleet: run after the read-only checks. The first 1-GPU deploy goes to
 * the node binpack ranks first (gpu-h100-slow, 2 GPUs); an immediate second one must not get
 * the same GPU 0 and lands on gpu-h100-a; both then show as busy.
 */
export function deployChecks(ctx, transport) {
  const placed = {};
  test("claw_deploy runs on the best-scored node and reports the container and workload ids", async () => {
    const { gw, sim } = ctx();
    const d = (await tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, name: "e2e-train-1", memory: "16g", env: { EPOCHS: "3" }, command: ["python", "train.py"] })).details;
    assert.equal(d.placed, true);
    assert.equal(d.nodeName, "gpu-h100-slow");
    assert.equal(d.nodeId, sim.idOf("gpu-h100-slow"));
    assert.match(d.containerId, /^[0-9a-f]{64}$/);
    assert.match(d.workloadId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(d.name, "e2e-train-1");
    assert.deepEqual(d.gpus, [0]);
    assert.equal(d.attempts.at(-1).nodeName, "gpu-h100-slow");
    placed.first = d;
  });

  test("claw_deploy right after: the just-placed GPU is not booked twice", async () => {
    const { gw } = ctx();
    const d = (await tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, name: "e2e-train-2" })).details;
    assert.equal(d.placed, true);
    assert.equal(d.nodeName, "gpu-h100-a");
    const slow = d.rejected.find((r) => r.nodeName === "gpu-h100-slow");
    assert.ok(slow, "gpu-h100-slow must be rejected: its GPU 0 was just placed");
    assert.ok(slow.reasons.some((r) => /GPU 0/.test(r)), JSON.stringify(slow.reasons));
    placed.second = d;
  });

  test("the deployed workload shows in claw_workloads and its GPUs as busy in claw_gpu_inventory", async () => {
    const { gw } = ctx();
    const w = (await tool(gw, "claw_workloads", { name: "e2e-train-2" })).details.workloads;
    assert.deepEqual(
      w.map((x) => [x.nodeName, x.name, x.image, x.state, x.containerId]),
      [["gpu-h100-a", "e2e-train-2", "pytorch/pytorch:2.0", "running", placed.second.containerId.slice(0, 12)]],
    );
    const inv = (await tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-a" })).details.gpus;
    assert.deepEqual(
      inv.map((g) => [g.index, g.available]),
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, i !== 0]),
    );
    const slow = (await tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-slow" })).details.gpus;
    assert.deepEqual(slow.map((g) => [g.index, g.available]), [[0, false], [1, true]]);
  });

  test("claw_deploy nobody can host fails naming every node and every reason", async () => {
    const { gw } = ctx();
    const message = await toolError(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 2, gpuModel: "A100", minVramMb: 90000, memory: "900g" });
    assert.match(message, /no node can host this workload \(8 clawnode\(s\) checked\)/);
    for (const node of Object.keys(NODE_STATES)) assert.ok(message.includes(`${node}:`), `${node} missing from: ${message}`);
    for (const reason of [
      /has 0 GPUs, needs 2/, // cpu-only
      /GPU 0 is NVIDIA A10G, not A100/, // model
      /has 23028 MB VRAM, needs 90000 MB/, // VRAM
      /not enough memory: needs 1013760 MB/, // RAM with headroom
      /unhealthy: GPU 2 at 93 °C/, // hot
      /unhealthy: disk \/ 97% full/, // disk
      /GPUs 0\.\.1 must all be free: GPU 0 busy/, // busy
      /GPU state unknown: gpu\.metrics: /, // metrics fail
    ]) {
      assert.match(message, reason);
    }
  });
}
