// claw_deploy: filters with every reason, binpack and spread ranking, preferNode, the
// workload.run the node receives, fallback, the watch that confirms the container started,
// the GPUs held by containers the plugin started, and argument errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runIds } from "../support/fake-openclaw.mjs";
import { load, textOf, fleetOf, deployNodes, invokes, fixtureNodes, ID, H100 } from "./fleet.mjs";

const IMG = "pytorch/pytorch:2.0";
const B0 = "10".repeat(32);
const F2 = "20".repeat(32);
const F4 = "40".repeat(32);
const BUSY = "GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util)";
const BUSY0 = { nodeId: B0, nodeName: "busy-0", reasons: [BUSY] };
// headroom 10 × 22789/24105 = 9.45, load 5 × 2.34/2 = 5.85, one running container 2, idle GPUs no heat
const cand = (nodeId, nodeName, fit, score, gpus = [0], preferred = false) => ({
  nodeId, nodeName, score, preferred, gpus, why: `fit ${fit.toFixed(1)} + memory headroom 9.5 - load 5.8 - workloads 2.0 - heat 0.0`,
});
// What a deploy that ran nothing answers, beside the plan.
const planned = (o) => ({
  dryRun: true, placed: false, started: null, nodeId: null, nodeName: null, workloadId: null, containerId: null, name: null,
  gpus: [0], strategy: "binpack", runParams: { gpus: 1, image: IMG }, confirmation: null, candidates: [], rejected: [], attempts: [],
  unansweredNode: null, preferNodeRejected: null, ...o,
});
const runs = (fleet) => invokes(fleet).filter(([, c]) => c === "workload.run");

test("dry run over the deploy fleet: binpack ranks free-2 (fit 50) above free-4 (fit 25) and rejects busy-0 with its reason", async () => {
  const fleet = fleetOf(deployNodes());
  const r = await load({ fleet }).callTool("claw_deploy", { image: IMG, dryRun: true });
  assert.deepEqual(r.details, planned({ candidates: [cand(F2, "free-2", 50, 51.6), cand(F4, "free-4", 25, 26.6)], rejected: [BUSY0] }));
  assert.equal(textOf(r), [
    `Plan (dry run: nothing run): free-2 would run ${IMG} (GPU 0, binpack).`,
    "Candidates (2), best first:",
    "- free-2 score 51.60",
    "- free-4 score 26.60",
    "Rejected (1):",
    `- busy-0: ${BUSY}`,
  ].join("\n"));
  assert.deepEqual(runs(fleet), []);
});

test("spread ranks free-4 first: fit 100 × (free − need) / most GPUs = 75 vs 25", async () => {
  const r = await load({ fleet: fleetOf(deployNodes()) }).callTool("claw_deploy", { image: IMG, dryRun: true, strategy: "spread" });
  assert.deepEqual(r.details.candidates, [cand(F4, "free-4", 75, 76.6), cand(F2, "free-2", 25, 26.6)]);
  assert.equal(r.details.strategy, "spread");
});

test("gpus 2 binpack: free-2 fits exactly (fit 100), free-4 half (fit 50); a 3-GPU request rejects the 2-GPU nodes by count", async () => {
  const host = load({ fleet: fleetOf(deployNodes()) });
  const two = await host.callTool("claw_deploy", { image: IMG, gpus: 2, dryRun: true });
  assert.deepEqual(two.details.candidates.map((c) => [c.nodeName, c.score, c.gpus]), [["free-2", 101.6, [0, 1]], ["free-4", 51.6, [0, 1]]]);
  assert.deepEqual(two.details.rejected, [{ nodeId: B0, nodeName: "busy-0", reasons: ["GPUs 0..1 must all be free: GPU 0 busy (61234 MB used, 87% util)"] }]);
  const three = await host.callTool("claw_deploy", { image: IMG, gpus: 3, dryRun: true });
  assert.deepEqual(three.details.candidates.map((c) => [c.nodeName, c.score, c.gpus]), [["free-4", 76.6, [0, 1, 2]]]);
  assert.deepEqual(three.details.gpus, [0, 1, 2]);
  assert.deepEqual(three.details.rejected, [
    { nodeId: B0, nodeName: "busy-0", reasons: ["has 2 GPUs, needs 3"] },
    { nodeId: F2, nodeName: "free-2", reasons: ["has 2 GPUs, needs 3"] },
  ]);
});

test("preferNode wins when feasible (marked preferred); a name of no node, or of several, is refused", async () => {
  const host = load({ fleet: fleetOf(deployNodes()) });
  const r = await host.callTool("claw_deploy", { image: IMG, dryRun: true, preferNode: "free-4" });
  assert.deepEqual(r.details.candidates, [cand(F4, "free-4", 25, 26.6, [0], true), cand(F2, "free-2", 50, 51.6)]);
  assert.equal(textOf(r).split("\n")[2], "- free-4 score 26.60 (preferred)");
  // a preferred node that cannot host it changes nothing
  const busy = await host.callTool("claw_deploy", { image: IMG, dryRun: true, preferNode: B0 });
  assert.deepEqual([busy.details.candidates.map((c) => c.nodeName), busy.details.rejected], [["free-2", "free-4"], [BUSY0]]);
  await assert.rejects(host.callTool("claw_deploy", { image: IMG, dryRun: true, preferNode: "nowhere" }), {
    message: 'claw_deploy: preferNode "nowhere" names no connected clawnode; connected: busy-0, free-2, free-4',
    code: "INVALID_REQUEST",
  });
  const twins = fleetOf([
    { nodeId: "a1".repeat(32), displayName: "twin" },
    { nodeId: "a2".repeat(32), displayName: "twin" },
  ]);
  await assert.rejects(load({ fleet: twins }).callTool("claw_deploy", { image: IMG, dryRun: true, preferNode: "twin" }), {
    message: `claw_deploy: preferNode "twin" is the display name of 2 nodes; name one by its id: "${"a1".repeat(32)}", "${"a2".repeat(32)}"`,
    code: "INVALID_REQUEST",
  });
});

test("gpuModel and minVramMb are filters: a placement nobody can host is an answer with every node's reasons", async () => {
  const host = load({ fleet: fleetOf(deployNodes()) });
  const a100 = await host.callTool("claw_deploy", { image: IMG, gpuModel: "A100" });
  const notA100 = `GPU 0 is ${H100}, not A100`;
  assert.deepEqual(a100.details, planned({
    dryRun: false, gpus: [],
    rejected: [
      { nodeId: B0, nodeName: "busy-0", reasons: [notA100, BUSY] },
      { nodeId: F2, nodeName: "free-2", reasons: [notA100] },
      { nodeId: F4, nodeName: "free-4", reasons: [notA100] },
    ],
  }));
  assert.equal(textOf(a100).split("\n")[0], `Not placed: no node can host ${IMG} (3 clawnode(s) checked) — busy-0: ${notA100}; ${BUSY} | free-2: ${notA100} | free-4: ${notA100}`);
  const vram = await host.callTool("claw_deploy", { image: IMG, minVramMb: 100000, dryRun: true });
  const small = "GPU 0 has 81559 MB VRAM, needs 100000 MB";
  assert.deepEqual(vram.details.rejected.map((x) => [x.nodeName, x.reasons]), [["busy-0", [small, BUSY]], ["free-2", [small]], ["free-4", [small]]]);
  assert.equal(vram.details.placed, false);
});

test("the fixture fleet has no node for one GPU: each node rejected with every reason, unhealthy nodes by their state first", async () => {
  const r = await load().callTool("claw_deploy", { image: IMG, dryRun: true });
  const disk = "not enough disk: 8.1 GB free on / (holds /var/lib/docker), needs 10 GB";
  assert.deepEqual(r.details.rejected.map((x) => [x.nodeName, x.reasons]), [
    ["cpu-b", ["has 0 GPUs, needs 1"]],
    // its health could not be read at all: only its state can be said
    ["dead-e", ["unhealthy: cannot read the node's health: node.capabilities: UNAVAILABLE: COMMAND_ERROR: simulated failure"]],
    ["disk-d", ["unhealthy: disk / 97% full (critical at 95%)", disk, BUSY]],
    ["gpu-a", [BUSY]],
    ["hot-c", ["unhealthy: GPU 0 at 93 °C (critical at 90 °C)", "GPU 0 must be free: GPU 0 busy (70000 MB used, 95% util)"]],
    // the clawnodes it could not ask are rejected too, with their state and why
    ["off-1", ["offline: not connected"]],
    ["wait-1", ["unusable: its commands wait for an operator's approval: openclaw nodes pending, then openclaw nodes approve <requestId>"]],
  ]);
  assert.deepEqual([r.details.placed, r.details.candidates, r.details.gpus], [false, [], []]);
  assert.equal(
    textOf(r).split("\n")[0],
    `Not placed: no node can host ${IMG} (5 clawnode(s) checked) — cpu-b: has 0 GPUs, needs 1 | ` +
      "dead-e: unhealthy: cannot read the node's health: node.capabilities: UNAVAILABLE: COMMAND_ERROR: simulated failure | " +
      `disk-d: unhealthy: disk / 97% full (critical at 95%); ${disk}; ${BUSY}`,
  );
});

test("memory, CPUs and disk are filters too: memory + 10% headroom, CPUs at most the node's, 10 GB free for images", async () => {
  const lowDisk = { "node.health": { ...fixtureNodes()[3].answers["node.health"], hostname: "free-4" } };
  lowDisk["node.health"].gpu_count = 4;
  const host = load({ fleet: fleetOf(deployNodes({ "free-4": lowDisk })) });
  const r = await host.callTool("claw_deploy", { image: IMG, memory: "21g", cpu: 4, dryRun: true });
  // 21g = 21504 MB, + 10% = 23654 MB > 22789 MB available; 4 CPUs > 2
  const mem = "not enough memory: needs 23654 MB (21504 MB + 10% headroom), 22789 MB available";
  const cpu = "too few CPUs: needs 4, the node has 2";
  assert.deepEqual(r.details.rejected.map((x) => [x.nodeName, x.reasons]), [
    ["busy-0", [mem, cpu, BUSY]],
    ["free-2", [mem, cpu]],
    // disk-d's health on free-4: root 97% full (critical) makes it unhealthy, and every other filter it fails is listed
    ["free-4", ["unhealthy: disk / 97% full (critical at 95%)", mem, cpu, "not enough disk: 8.1 GB free on / (holds /var/lib/docker), needs 10 GB"]],
  ]);
  assert.deepEqual(r.details.runParams, { cpu: 4, gpus: 1, image: IMG, memory: "21g" });
});

test("a real deploy sends workload.run with env as KEY=VALUE strings and command as an array, then watches it start", async () => {
  const fleet = fleetOf(deployNodes());
  const host = load({ fleet });
  const r = await host.callTool("claw_deploy", {
    image: IMG, env: { HF_TOKEN: "x", EPOCHS: 3 }, command: ["python", "train.py"], memory: "8g", name: "train-1", cpu: 2, shmSize: "16g", volumes: ["/data:/data"],
  });
  const sent = { command: ["python", "train.py"], cpu: 2, env: ["EPOCHS=3", "HF_TOKEN=x"], gpus: 1, image: IMG, memory: "8g", name: "train-1", shmSize: "16g", volumes: ["/data:/data"] };
  const ids = runIds(F2, 0);
  assert.deepEqual(runs(fleet), [["free-2", "workload.run", sent]]);
  const { waitedMs } = r.details.confirmation;
  assert.ok(waitedMs >= 8000, `a running container is watched to the end of deploy.confirmMs (8000 ms), got ${waitedMs}`);
  assert.deepEqual(
    { ...r.details, candidates: r.details.candidates.map((c) => [c.nodeName, c.score]) },
    {
      dryRun: false, placed: true, started: true, nodeId: F2, nodeName: "free-2", workloadId: ids.workloadId, containerId: ids.containerId,
      // the node gets HF_TOKEN's value; the result shows it redacted
      name: "train-1", gpus: [0], strategy: "binpack",
      runParams: { ...sent, env: ["EPOCHS=3", "HF_TOKEN=[redacted]"] },
      confirmation: { outcome: "running", status: "Up Less than a second", exitCode: null, health: null, logs: [], waitedMs, ran: true, listError: null },
      // 8g leaves 10 × (22789 − 8192)/24105 = 6.06 of headroom
      candidates: [["free-2", 48.21], ["free-4", 23.21]],
      rejected: [BUSY0],
      attempts: [{ nodeId: F2, nodeName: "free-2", ok: true, error: null }],
      unansweredNode: null, preferNodeRejected: null,
    },
  );
  assert.equal(textOf(r).split("\n")[0], `Deployed ${IMG} on free-2 (GPU 0), container ${ids.containerId}: running (Up Less than a second).`);
});

test("when the best node refuses, the next candidate runs it and every attempt is listed", async () => {
  const refuse = { "workload.run": { error: { code: "COMMAND_ERROR", message: "container run failed: could not select device driver" } } };
  const fleet = fleetOf(deployNodes({ "free-2": refuse }));
  const r = await load({ fleet, pluginConfig: { deploy: { confirmMs: 0 } } }).callTool("claw_deploy", { image: IMG });
  const ids = runIds(F4, 0);
  const refusal = "workload.run: UNAVAILABLE: COMMAND_ERROR: container run failed: could not select device driver";
  assert.deepEqual(runs(fleet).map(([n]) => n), ["free-2", "free-4"]);
  assert.deepEqual([r.details.nodeName, r.details.started, r.details.confirmation], ["free-4", null, null]);
  assert.deepEqual(r.details.attempts, [
    { nodeId: F2, nodeName: "free-2", ok: false, error: refusal },
    { nodeId: F4, nodeName: "free-4", ok: true, error: null },
  ]);
  assert.deepEqual(textOf(r).split("\n").slice(0, 3), [
    `Deployed ${IMG} on free-4 (GPU 0): container ${ids.containerId}, workload ${ids.workloadId} (not watched: deploy.confirmMs is 0).`,
    "Failed attempts:",
    `- free-2: ${refusal}`,
  ]);
});

test("when every candidate refuses, the answer is placed: false with each node's refusal", async () => {
  const refuse = { "workload.run": { success: false, containerId: "", image: IMG } };
  const fleet = fleetOf(deployNodes({ "free-2": refuse, "free-4": refuse }));
  const r = await load({ fleet }).callTool("claw_deploy", { image: IMG });
  assert.deepEqual(runs(fleet).map(([n]) => n), ["free-2", "free-4"]);
  const why = r.details.attempts.map((a) => [a.nodeName, a.ok, a.error]);
  assert.deepEqual(why, [
    ["free-2", false, "workload.run: the node answered success: false"],
    ["free-4", false, "workload.run: the node answered success: false"],
  ]);
  assert.deepEqual([r.details.placed, r.details.started, r.details.containerId], [false, null, null]);
  assert.equal(
    textOf(r).split("\n")[0],
    `Not deployed: every candidate node refused ${IMG}: free-2: workload.run: the node answered success: false; free-4: workload.run: the node answered success: false`,
  );
});

test("holds: a GPU given to a started container is held while it lives, shown in the inventory, and freed when it exits", async () => {
  const fleet = fleetOf(deployNodes());
  const host = load({ fleet, pluginConfig: { deploy: { confirmMs: 0 } } });
  const first = await host.callTool("claw_deploy", { image: IMG, name: "train-a" });
  const second = await host.callTool("claw_deploy", { image: IMG, name: "train-b" });
  assert.deepEqual([first.details.nodeName, second.details.nodeName], ["free-2", "free-4"]);
  const held = "GPU 0 must be free: GPU 0 is held by train-a since the plugin started it";
  // which container holds it, as the inventory says
  const heldBy = { containerId: runIds(F2, 0).containerId, name: "train-a", since: second.details.rejected[1].held?.[0]?.heldBy.since };
  assert.equal(typeof heldBy.since, "number");
  assert.deepEqual(second.details.rejected, [BUSY0, { nodeId: F2, nodeName: "free-2", reasons: [held], held: [{ index: 0, heldBy }] }]);
  // the inventory shows who holds the GPU although its numbers look idle
  const inv = await host.callTool("claw_gpu_inventory", { nodeId: "free-2" });
  const [gpu0, gpu1] = inv.details.nodes[0].gpus;
  assert.deepEqual(
    [gpu0.state, gpu0.available, gpu0.heldBy.containerId, gpu0.heldBy.name, typeof gpu0.heldBy.since, gpu0.why],
    ["held", false, runIds(F2, 0).containerId, "train-a", "number", "held by train-a since the plugin started it"],
  );
  assert.deepEqual([gpu1.state, gpu1.heldBy], ["free", null]);
  assert.deepEqual([inv.details.held, inv.details.available], [1, 1]);
  const status = await host.callTool("claw_fleet_status", { nodeFilter: "free" });
  assert.deepEqual([status.details.gpus.held, status.details.gpus.free], [2, 4]);
  // the container exits: its GPU is free again at the next look
  fleet.nodes.get(F2).started[0].status = "Exited (0) 3 seconds ago";
  const after = await host.callTool("claw_gpu_inventory", { nodeId: "free-2" });
  assert.deepEqual(after.details.nodes[0].gpus.map((g) => [g.state, g.heldBy]), [["free", null], ["free", null]]);
  // free-2's GPU 0 can take work again; free-4's is still held by train-b
  const third = await host.callTool("claw_deploy", { image: IMG, name: "train-c", dryRun: true });
  assert.deepEqual(third.details.candidates.map((c) => [c.nodeName, c.gpus]), [["free-2", [0]]]);
  assert.deepEqual(third.details.rejected.map(({ held, ...r }) => r), [
    BUSY0,
    { nodeId: F4, nodeName: "free-4", reasons: ["GPU 0 must be free: GPU 0 is held by train-b since the plugin started it"] },
  ]);
  assert.deepEqual(third.details.rejected[1].held.map((g) => [g.index, g.heldBy.name]), [[0, "train-b"]]);
});

test("confirmation: a container that exits at once fails the deploy with its exit code and last log lines, and holds nothing", async () => {
  const fleet = fleetOf(deployNodes().map((n) => ({ ...n, runStatus: "Exited (1) 1 second ago" })));
  const host = load({ fleet });
  const r = await host.callTool("claw_deploy", { image: IMG, name: "train-1" });
  const ids = runIds(F2, 0);
  const { waitedMs } = r.details.confirmation;
  assert.deepEqual(
    [r.details.placed, r.details.started, r.details.confirmation],
    [true, false, { outcome: "exited", status: "Exited (1) 1 second ago", exitCode: 1, health: null, logs: ["line one", "line two", "warn: something"], waitedMs, ran: false, listError: null }],
  );
  assert.deepEqual(invokes(fleet).slice(-3), [
    ["free-2", "workload.run", { gpus: 1, image: IMG, name: "train-1" }],
    ["free-2", "workload.list", {}],
    ["free-2", "workload.logs", { containerId: ids.containerId, tail: 20 }],
  ]);
  assert.equal(
    textOf(r).split("\n")[0],
    `Deploy failed: ${IMG} on free-2 (GPU 0), container ${ids.containerId}: it exited at once with code 1 (Exited (1) 1 second ago); last log line: warn: something.`,
  );
  const inv = await host.callTool("claw_gpu_inventory", { nodeId: "free-2" });
  assert.deepEqual(inv.details.nodes[0].gpus.map((g) => g.state), ["free", "free"], "a failed deploy holds no GPU");
});

test("confirmation: restarting is a failed deploy; a container still created when the window ends is 'starting' and keeps its GPU", async () => {
  const looping = fleetOf(deployNodes().map((n) => ({ ...n, runStatus: "Restarting (2) 1 second ago" })));
  const r1 = await load({ fleet: looping }).callTool("claw_deploy", { image: IMG });
  assert.deepEqual([r1.details.started, r1.details.confirmation.outcome, r1.details.confirmation.exitCode], [false, "restarting", 2]);
  assert.match(textOf(r1).split("\n")[0], /: it is in a restart loop \(Restarting \(2\) 1 second ago\); last log line: warn: something\.$/);

  const slow = fleetOf(deployNodes().map((n) => ({ ...n, runStatus: "Created" })));
  const host = load({ fleet: slow, pluginConfig: { deploy: { confirmMs: 1500 } } });
  const r2 = await host.callTool("claw_deploy", { image: IMG, name: "big-model" });
  assert.deepEqual([r2.details.placed, r2.details.started, r2.details.confirmation.outcome, r2.details.confirmation.status], [true, null, "starting", "Created"]);
  assert.match(textOf(r2).split("\n")[0], /: still starting after \d s \(Created\); check claw_workloads for it later\.$/);
  const inv = await host.callTool("claw_gpu_inventory", { nodeId: "free-2" });
  assert.deepEqual(inv.details.nodes[0].gpus.map((g) => [g.state, g.heldBy?.name ?? null]), [["held", "big-model"], ["free", null]]);
});

test("gpus 0 deploys rank by headroom, load, containers and state; CPU-only cpu-b wins binpack with fit 50 despite being degraded", async () => {
  const r = await load().callTool("claw_deploy", { image: IMG, gpus: 0, dryRun: true });
  assert.deepEqual(r.details.candidates, [
    // 10 × 48000/64300 = 7.46; 5 × 8/16 = 2.5; three running containers 6; degraded 15
    { nodeId: ID.b, nodeName: "cpu-b", score: 33.97, preferred: false, gpus: [], why: "fit 50.0 + memory headroom 7.5 - load 2.5 - workloads 6.0 - heat 0.0 - degraded 15" },
    { nodeId: ID.a, nodeName: "gpu-a", score: 1.6, preferred: false, gpus: [], why: "fit 0.0 + memory headroom 9.5 - load 5.8 - workloads 2.0 - heat 0.0" },
  ]);
  assert.deepEqual(r.details.rejected.map((x) => x.nodeName), ["dead-e", "disk-d", "hot-c", "off-1", "wait-1"]);
  assert.deepEqual([r.details.runParams, r.details.gpus], [{ image: IMG }, []]);
  assert.equal(textOf(r).split("\n")[0], `Plan (dry run: nothing run): cpu-b would run ${IMG} (no GPUs, binpack).`);
});

test("readOnly: a deploy only plans, says so, and sends no workload.run", async () => {
  const fleet = fleetOf(deployNodes());
  const r = await load({ fleet, pluginConfig: { readOnly: true } }).callTool("claw_deploy", { image: IMG });
  assert.deepEqual([r.details.dryRun, r.details.placed, r.details.started], [true, false, null]);
  assert.equal(textOf(r).split("\n")[0], `Plan (read-only mode: planned, nothing run): free-2 would run ${IMG} (GPU 0, binpack).`);
  assert.deepEqual(runs(fleet), []);
});

test("argument errors: exact messages, code INVALID_REQUEST, nothing sent to any node", async () => {
  const fleet = fleetOf(deployNodes());
  const host = load({ fleet });
  const SIZE = (key, value, why) => `${key} "${value}" is not a size Docker reads (${why}): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. "8g", "8GB", "512m", "16GiB", "1.5g"`;
  const NAME = "is not a valid container name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two or more characters, starting with a letter or digit)";
  const cases = [
    [{ image: "--privileged" }, `image "--privileged" is not a valid image reference: it starts with '-'`],
    [{ image: "Ubuntu" }, `image "Ubuntu" is not a valid image reference: path components are lowercase letters, digits and '.', '_', '-' inside`],
    [{ image: "ubuntu --rm" }, `image "ubuntu --rm" is not a valid image reference: it contains white space`],
    [{}, "image is required"],
    ["x", "arguments must be an object, got a string"],
    [{ image: IMG, gpus: 1.5 }, "gpus must be a whole number from 0 to 16, got 1.5"],
    [{ image: IMG, gpus: 17 }, "gpus must be a whole number from 0 to 16, got 17"],
    [{ image: IMG, memory: "8x" }, SIZE("memory", "8x", 'unknown unit "x"')],
    [{ image: IMG, memory: "16Gi" }, SIZE("memory", "16Gi", 'unknown unit "gi"')],
    [{ image: IMG, shmSize: "lots" }, SIZE("shmSize", "lots", "no number")],
    [{ image: IMG, memory: "1m" }, `memory "1m" is below Docker's minimum of 6m (0 means no limit)`],
    [{ image: IMG, cpu: 0.001 }, "cpu must be a number from 0.01 to 1024, got 0.001"],
    [{ image: IMG, cpu: "8" }, 'cpu must be a number from 0.01 to 1024, got "8"'],
    [{ image: IMG, env: { A: { b: 1 } } }, "env A must be a string, number or boolean, got an object"],
    [{ image: IMG, env: { "": "x" } }, `env name "" must be non-empty and hold no '=' (Docker's rule)`],
    [{ image: IMG, env: ["HF_TOKEN"] }, `env item "HF_TOKEN" has no '=': Docker would copy HF_TOKEN's value from the node agent's own environment; give it its value after an equals sign`],
    [{ image: IMG, env: "A=1" }, `env must be an object like {"EPOCHS": "3"} or an array like ["EPOCHS=3"], got a string`],
    [{ image: IMG, volumes: ["/:/x"] }, `volume "/:/x" would give the container the host's root or its container engine`],
    [{ image: IMG, volumes: ["/var/run/docker.sock:/s"] }, `volume "/var/run/docker.sock:/s" would give the container the host's root or its container engine`],
    [{ image: IMG, volumes: ["data"] }, `volume "data" must be host:container or host:container:options (options: ro, rw, z, Z)`],
    [{ image: IMG, command: "python train.py" }, `command must be an array of strings, one per argument (the node runs it without a shell), e.g. ["python","train.py"], got a string`],
    [{ image: IMG, command: "python -c 'print(1)' > /tmp/x" }, `command must be an array of strings, one per argument (the node runs it without a shell), e.g. ["sh","-c","python -c 'print(1)' > /tmp/x"], got a string`],
    [{ image: IMG, command: '["python","train.py"]' }, `command must be an array of strings, not JSON text: pass the array itself, ["python","train.py"]`],
    [{ image: IMG, command: [] }, "command must hold at least one string; omit it to use the image's default"],
    [{ image: IMG, strategy: "random" }, `strategy must be one of "binpack", "spread", got "random"`],
    [{ image: IMG, name: "-x" }, `name "-x" ${NAME}`],
    [{ image: IMG, name: "a" }, `name "a" ${NAME}`],
    [{ image: IMG, minVramMb: 0 }, "minVramMb must be a whole number from 1 to 10000000, got 0"],
    [{ image: IMG, dryRun: "yes" }, "dryRun must be true or false, got a string"],
    [{ image: IMG, gpu: 1 }, `unknown argument "gpu"; accepted: image, gpus, memory, cpu, env, command, name, volumes, shmSize, gpuModel, minVramMb, preferNode, strategy, dryRun`],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(host.callTool("claw_deploy", args), { message: `claw_deploy: ${message}`, code: "INVALID_REQUEST" }, JSON.stringify(args));
  }
  assert.deepEqual(fleet.takeLog(), []);
});

test("what Docker accepts is accepted: 8gb, 16GiB, .5g, env names with dots or a leading digit", async () => {
  const fleet = fleetOf(deployNodes());
  const r = await load({ fleet }).callTool("claw_deploy", {
    image: IMG, memory: "8gb", shmSize: "16GiB", env: { "discovery.type": "single-node", "1X": "a" }, dryRun: true,
  });
  assert.deepEqual(r.details.runParams, { env: ["1X=a", "discovery.type=single-node"], gpus: 1, image: IMG, memory: "8g", shmSize: "16g" });
  const half = await load({ fleet }).callTool("claw_deploy", { image: IMG, memory: ".5g", dryRun: true });
  assert.equal(half.details.runParams.memory, "512m");
});

test("no usable clawnode: deploy fails UNAVAILABLE saying why — none connected, or waiting for approval (seen by an admin caller)", async () => {
  await assert.rejects(load({ fleet: fleetOf([]) }).callTool("claw_deploy", { image: IMG }), {
    message: "claw_deploy: no clawnode is connected to the gateway",
    code: "UNAVAILABLE",
  });
  const pending = () => fleetOf([{ nodeId: "99".repeat(32), displayName: "new-1", approvalState: "pending-approval" }]);
  const waiting =
    "claw_deploy: 1 clawnode(s) are connected but none can be used: new-1: its commands wait for an operator's approval: " +
    "openclaw nodes pending, then openclaw nodes approve <requestId>";
  // the service timer's synthetic operator.write client sees a node-host waiting for approval with no caps and no
  // commands; an admin caller also sees the pending surface: both are told how to approve it
  await assert.rejects(load({ fleet: pending() }).callTool("claw_deploy", { image: IMG }), { message: waiting, code: "UNAVAILABLE" });
  await assert.rejects(load({ fleet: pending(), scopes: ["operator.admin"] }).callTool("claw_deploy", { image: IMG }), {
    message: waiting,
    code: "UNAVAILABLE",
  });
});
