// claw_deploy: dry-run ranking, the workload.run the node receives, fallback, the ledger,
// preferNode, spread vs binpack, and argument errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, textOf, fleetOf, deployNodes, invokes, fx, ID } from "./fleet.mjs";

const IMG = "pytorch/pytorch:2.0";
const B0 = "10".repeat(32);
const F2 = "20".repeat(32);
const F4 = "40".repeat(32);
const BUSY0 = { nodeId: B0, nodeName: "busy-0", reasons: ["GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util)"] };
// headroom 10 × 22789/24105 = 9.45, load 5 × 2.34/2 = 5.85, one running container 2, idle GPUs no heat
const cand = (nodeId, nodeName, fit, score, preferred = false) => ({
  nodeId, nodeName, preferred, score, why: `fit ${fit.toFixed(1)} + memory headroom 9.5 - load 5.8 - workloads 2.0 - heat 0.0`,
});
const FIX_RUN = fx("workload.run");

test("dry run over the deploy fleet: binpack ranks free-2 (fit 50) above free-4 (fit 25) and rejects busy-0 with its reason", async () => {
  const fleet = fleetOf(deployNodes());
  const r = await load({ fleet }).callTool("claw_deploy", { image: IMG, dryRun: true });
  assert.deepEqual(r.details, {
    dryRun: true, placed: false, nodeId: null, nodeName: null, workloadId: null, containerId: null, name: null,
    gpus: [0], strategy: "binpack", runParams: { gpus: 1, image: IMG },
    candidates: [cand(F2, "free-2", 50, 51.6), cand(F4, "free-4", 25, 26.6)],
    rejected: [BUSY0],
    attempts: [],
  });
  assert.equal(textOf(r), [
    "Plan (dry run: nothing run): free-2 would run it (GPU 0, binpack).",
    "Candidates (2), best first:",
    "- free-2 score 51.60",
    "- free-4 score 26.60",
    "Rejected (1):",
    "- busy-0: GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util)",
  ].join("\n"));
  assert.deepEqual(invokes(fleet).filter(([, c]) => c === "workload.run"), []);
});

test("spread ranks free-4 first: fit 100 × (free − need) / most GPUs = 75 vs 25", async () => {
  const r = await load({ fleet: fleetOf(deployNodes()) }).callTool("claw_deploy", { image: IMG, dryRun: true, strategy: "spread" });
  assert.deepEqual(r.details.candidates, [cand(F4, "free-4", 75, 76.6), cand(F2, "free-2", 25, 26.6)]);
  assert.equal(r.details.strategy, "spread");
});

test("gpus 2 binpack: free-2 fits exactly (fit 100), free-4 half (fit 50); a 3-GPU request (fit 75 on free-4) rejects the 2-GPU nodes by count", async () => {
  const host = load({ fleet: fleetOf(deployNodes()) });
  const two = await host.callTool("claw_deploy", { image: IMG, gpus: 2, dryRun: true });
  assert.deepEqual(two.details.candidates.map((c) => [c.nodeName, c.score]), [["free-2", 101.6], ["free-4", 51.6]]);
  const three = await host.callTool("claw_deploy", { image: IMG, gpus: 3, dryRun: true });
  assert.deepEqual(three.details.candidates.map((c) => [c.nodeName, c.score]), [["free-4", 76.6]]);
  assert.deepEqual(three.details.rejected, [
    { nodeId: B0, nodeName: "busy-0", reasons: ["has 2 GPUs, needs 3"] },
    { nodeId: F2, nodeName: "free-2", reasons: ["has 2 GPUs, needs 3"] },
  ]);
});

test("preferNode wins when feasible (marked preferred); a preferNode that names no node is an error", async () => {
  const host = load({ fleet: fleetOf(deployNodes()) });
  const r = await host.callTool("claw_deploy", { image: IMG, dryRun: true, preferNode: "free-4" });
  assert.deepEqual(r.details.candidates, [cand(F4, "free-4", 25, 26.6, true), cand(F2, "free-2", 50, 51.6)]);
  assert.equal(textOf(r).split("\n")[2], "- free-4 score 26.60 (preferred)");
  await assert.rejects(host.callTool("claw_deploy", { image: IMG, dryRun: true, preferNode: "nowhere" }), {
    message: 'claw_deploy: preferNode "nowhere" names no connected clawnode; connected: busy-0, free-2, free-4',
  });
});

test("gpuModel and minVramMb filter nodes with exact reasons", async () => {
  const host = load({ fleet: fleetOf(deployNodes()) });
  await assert.rejects(host.callTool("claw_deploy", { image: IMG, dryRun: true, gpuModel: "A100" }), {
    message: "claw_deploy: no node can host this workload (3 clawnode(s) checked): busy-0: GPU 0 is NVIDIA H100 80GB HBM3, not A100; GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util) | free-2: GPU 0 is NVIDIA H100 80GB HBM3, not A100 | free-4: GPU 0 is NVIDIA H100 80GB HBM3, not A100",
  });
  await assert.rejects(host.callTool("claw_deploy", { image: IMG, dryRun: true, minVramMb: 100000 }), {
    message: "claw_deploy: no node can host this workload (3 clawnode(s) checked): busy-0: GPU 0 has 81559 MB VRAM, needs 100000 MB; GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util) | free-2: GPU 0 has 81559 MB VRAM, needs 100000 MB | free-4: GPU 0 has 81559 MB VRAM, needs 100000 MB",
  });
});

test("the fixture fleet has no node for one GPU: every rejection with its exact reasons", async () => {
  await assert.rejects(load().callTool("claw_deploy", { image: IMG, dryRun: true }), {
    message:
      "claw_deploy: no node can host this workload (5 clawnode(s) checked): cpu-b: has 0 GPUs, needs 1 | " +
      "dead-e: unreachable: node.capabilities: COMMAND_ERROR: simulated failure | " +
      "disk-d: unhealthy: disk / 97% full (critical at 95%); not enough disk: 8.1 GB free on /, needs 10 GB; GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util) | " +
      "gpu-a: GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util) | " +
      "hot-c: unhealthy: GPU 0 at 93 °C (critical at 90 °C); GPU 0 must be free: GPU 0 busy (70000 MB used, 95% util)",
  });
});

test("a real deploy sends workload.run with env as KEY=VALUE strings and command as an array, and reports ids", async () => {
  const fleet = fleetOf(deployNodes());
  const host = load({ fleet });
  const r = await host.callTool("claw_deploy", {
    image: IMG, env: { HF_TOKEN: "x", EPOCHS: 3 }, command: ["python", "train.py"], memory: "8g", name: "train-1", cpu: 8, shmSize: "16g", volumes: ["/data:/data"],
  });
  const sent = { command: ["python", "train.py"], cpu: 8, env: ["EPOCHS=3", "HF_TOKEN=x"], gpus: 1, image: IMG, memory: "8g", name: "train-1", shmSize: "16g", volumes: ["/data:/data"] };
  assert.deepEqual(invokes(fleet).filter(([, c]) => c === "workload.run"), [["free-2", "workload.run", sent]]);
  assert.deepEqual(
    { ...r.details, candidates: r.details.candidates.map((c) => [c.nodeName, c.score]) },
    {
      dryRun: false, placed: true, nodeId: F2, nodeName: "free-2", workloadId: FIX_RUN.workloadId, containerId: FIX_RUN.containerId,
      name: "train-1", gpus: [0], strategy: "binpack", runParams: sent,
      // 8g leaves 10 × (22789 − 8192)/24105 = 6.06 of headroom
      candidates: [["free-2", 48.21], ["free-4", 23.21]],
      rejected: [BUSY0],
      attempts: [{ nodeId: F2, nodeName: "free-2", ok: true, error: null }],
    },
  );
  assert.equal(textOf(r).split("\n")[0], `Deployed ${IMG} on free-2 (GPU 0): container ${FIX_RUN.containerId}, workload ${FIX_RUN.workloadId}.`);
});

test("when the best node refuses, the next candidate runs it and every attempt is listed", async () => {
  const refuse = { "workload.run": { error: { code: "COMMAND_ERROR", message: "container run failed: could not select device driver" } } };
  const fleet = fleetOf(deployNodes({ "free-2": refuse }));
  const r = await load({ fleet }).callTool("claw_deploy", { image: IMG });
  assert.deepEqual(invokes(fleet).filter(([, c]) => c === "workload.run").map(([n]) => n), ["free-2", "free-4"]);
  assert.equal(r.details.nodeName, "free-4");
  assert.deepEqual(r.details.attempts, [
    { nodeId: F2, nodeName: "free-2", ok: false, error: "workload.run: COMMAND_ERROR: container run failed: could not select device driver" },
    { nodeId: F4, nodeName: "free-4", ok: true, error: null },
  ]);
  assert.deepEqual(textOf(r).split("\n").slice(0, 3), [
    `Deployed ${IMG} on free-4 (GPU 0): container ${FIX_RUN.containerId}, workload ${FIX_RUN.workloadId}.`,
    "Failed attempts:",
    "- free-2: workload.run: COMMAND_ERROR: container run failed: could not select device driver",
  ]);
});

test("when every candidate refuses, the call fails listing each node's refusal", async () => {
  const refuse = { "workload.run": { success: false, containerId: "", image: IMG } };
  const fleet = fleetOf(deployNodes({ "free-2": refuse, "free-4": refuse }));
  await assert.rejects(load({ fleet }).callTool("claw_deploy", { image: IMG }), {
    message: "claw_deploy: every candidate node refused the workload: free-2: workload.run: the node answered success: false; free-4: workload.run: the node answered success: false",
  });
});

test("ledger: an immediate second deploy does not pick the GPUs the first one just got", async () => {
  const fleet = fleetOf(deployNodes());
  const host = load({ fleet });
  const first = await host.callTool("claw_deploy", { image: IMG });
  const second = await host.callTool("claw_deploy", { image: IMG });
  assert.deepEqual([first.details.nodeName, second.details.nodeName], ["free-2", "free-4"]);
  assert.deepEqual(second.details.rejected, [BUSY0, { nodeId: F2, nodeName: "free-2", reasons: ["GPU 0 must be free: GPU 0 was just given to another deploy"] }]);
  assert.deepEqual(invokes(fleet).filter(([, c]) => c === "workload.run").map(([n]) => n), ["free-2", "free-4"]);
  // and the inventory shows the held GPU as unavailable although its numbers look idle
  const inv = await host.callTool("claw_gpu_inventory", { nodeId: "free-2" });
  assert.deepEqual(inv.details.gpus.map((g) => [g.index, g.available]), [[0, false], [1, true]]);
});

test("gpus 0 deploys rank by headroom, load and containers; CPU-only cpu-b wins binpack with fit 50", async () => {
  const r = await load().callTool("claw_deploy", { image: IMG, gpus: 0, dryRun: true });
  assert.deepEqual(r.details.candidates, [
    { nodeId: ID.b, nodeName: "cpu-b", preferred: false, score: 52.97, why: "fit 50.0 + memory headroom 7.5 - load 2.5 - workloads 2.0 - heat 0.0" },
    { nodeId: ID.c, nodeName: "hot-c", preferred: false, score: 3.6, why: "fit 0.0 + memory headroom 9.5 - load 5.8 - workloads 0.0 - heat 0.0" },
    { nodeId: ID.a, nodeName: "gpu-a", preferred: false, score: 1.6, why: "fit 0.0 + memory headroom 9.5 - load 5.8 - workloads 2.0 - heat 0.0" },
  ]);
  assert.deepEqual(r.details.rejected.map((x) => [x.nodeName, x.reasons]), [
    ["dead-e", ["unreachable: node.capabilities: COMMAND_ERROR: simulated failure"]],
    ["disk-d", ["unhealthy: disk / 97% full (critical at 95%)", "not enough disk: 8.1 GB free on /, needs 10 GB"]],
  ]);
  assert.deepEqual(r.details.runParams, { image: IMG });
});

test("readOnly: a deploy only plans, says so, and sends no workload.run", async () => {
  const fleet = fleetOf(deployNodes());
  const r = await load({ fleet, pluginConfig: { readOnly: true } }).callTool("claw_deploy", { image: IMG });
  assert.deepEqual([r.details.dryRun, r.details.placed], [true, false]);
  assert.equal(textOf(r).split("\n")[0], "Plan (read-only mode: planned, nothing run): free-2 would run it (GPU 0, binpack).");
  assert.deepEqual(invokes(fleet).filter(([, c]) => c === "workload.run"), []);
});

test("argument errors: exact messages, nothing sent to any node", async () => {
  const fleet = fleetOf(deployNodes());
  const host = load({ fleet });
  const cases = [
    [{ image: "--privileged" }, `image "--privileged" is not a valid image reference: it starts with '-'`],
    [{ image: "Ubuntu" }, `image "Ubuntu" is not a valid image reference: path components are lowercase letters, digits and '.', '_', '-' inside`],
    [{ image: "ubuntu --rm" }, `image "ubuntu --rm" is not a valid image reference: it contains white space`],
    [{}, "image is required"],
    [{ image: IMG, gpus: 1.5 }, "gpus must be a whole number from 0 to 16, got 1.5"],
    [{ image: IMG, gpus: 17 }, "gpus must be a whole number from 0 to 16, got 17"],
    [{ image: IMG, memory: "8gb" }, `memory must be a size like "8g", "512m" or "1024k", got "8gb"`],
    [{ image: IMG, memory: "1m" }, `memory "1m" is below Docker's minimum of 6m`],
    [{ image: IMG, env: { "1X": "a" } }, `env key "1X" must be letters, digits and '_', not starting with a digit`],
    [{ image: IMG, env: { A: { b: 1 } } }, "env A must be a string, number or boolean, got an object"],
    [{ image: IMG, volumes: ["/:/x"] }, `volume "/:/x" would give the container the host's root or its container engine`],
    [{ image: IMG, volumes: ["/var/run/docker.sock:/s"] }, `volume "/var/run/docker.sock:/s" would give the container the host's root or its container engine`],
    [{ image: IMG, command: "python train.py" }, `command must be an array of strings, e.g. ["python train.py"], got a string`],
    [{ image: IMG, command: [] }, "command must hold at least one string; omit it to use the image's default"],
    [{ image: IMG, strategy: "random" }, `strategy must be "binpack" or "spread", got "random"`],
    [{ image: IMG, name: "-x" }, `name "-x" must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit`],
    [{ image: IMG, gpu: 1 }, `unknown argument "gpu"; accepted: image, gpus, memory, cpu, env, command, name, volumes, shmSize, gpuModel, minVramMb, preferNode, strategy, dryRun`],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(host.callTool("claw_deploy", args), { message: `claw_deploy: ${message}` }, JSON.stringify(args));
  }
  assert.deepEqual(fleet.takeLog(), []);
});

test("no clawnode connected: deploy fails saying so; with a node pending approval it says how to approve", async () => {
  await assert.rejects(load({ fleet: fleetOf([]) }).callTool("claw_deploy", { image: IMG }), { message: "claw_deploy: no clawnode is connected to the gateway" });
  const pending = fleetOf([{ nodeId: "99".repeat(32), displayName: "new-1", approvalState: "pending-approval" }]);
  await assert.rejects(load({ fleet: pending }).callTool("claw_deploy", { image: IMG }), {
    message: "claw_deploy: no clawnode is connected and approved; 1 node(s) wait for approval (openclaw nodes pending, then openclaw nodes approve <requestId>)",
  });
});
