// End-to-end at scale (issue 14): 250 simulated clawnodes of the realistic shape
// (`clawsim --nodes 250 --shape realistic`: 224 CPUs, 2 TB RAM, 8 × H100 80GB and 3 containers
// each — a 4-GPU training job on GPUs 0-3 and a metrics exporter running, a 1-GPU evaluation
// exited 0; all healthy) in one real gateway with the plugin's default config (maxConcurrency
// 120: the gateway admits 128 pending node invokes in all) and the documented allowlist. One
// gateway for the file: connecting and approving 250 nodes is most of its time.
// Every total is checked against `clawsim fleet --summary` (the fleet's totals computed from the
// fleet alone), which is itself checked against the shape's formulas (sim/README.md).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { text } from "./expected.mjs";
import * as h from "./harness.mjs";

const N = 250;
const MAX_IN_FLIGHT = 120; // maxConcurrency's default
let gw;
let sim;
let op;
let fleet;

before(async () => {
  h.checkPrerequisites();
  h.buildSim();
  fleet = h.fleetSummary({ nodes: N, shape: "realistic" });
  gw = await h.startGateway({ port: h.PORTS.scale, label: "scale", nodeCommandsAllow: await h.documentedAllowlist() });
  sim = await h.startFleet(gw, { nodes: N, shape: "realistic" });
  op = await h.operator(gw);
});

after(async () => {
  op?.close();
  await gw?.stop();
  h.cleanup(gw);
});

/** A fan-out that stayed within the bound and counted no node as failed for the host's backpressure. */
function assertBounded(fanout, what) {
  assert.ok(fanout.limit >= 1 && fanout.limit <= MAX_IN_FLIGHT, `${what}: limit ${fanout.limit}`);
  assert.ok(fanout.peakInFlight >= 1 && fanout.peakInFlight <= MAX_IN_FLIGHT, `${what}: ${fanout.peakInFlight} in flight at most`);
  assert.ok(Number.isInteger(fanout.retries) && Number.isInteger(fanout.overloaded), `${what}: ${JSON.stringify(fanout)}`);
}

test("the fleet's own totals follow the realistic shape's formulas (sim/README.md)", () => {
  assert.equal(fleet.nodes, N);
  assert.deepEqual(fleet.gpus, {
    total: 8 * N,
    busy: 4 * N, // GPUs 0-3 of the running training job
    free: 4 * N,
    byModel: [{ model: "NVIDIA H100 80GB HBM3", total: 8 * N, busy: 4 * N, free: 4 * N }],
  });
  assert.deepEqual(fleet.containers, { total: 3 * N, byState: { created: 0, dead: 0, exited: N, paused: 0, restarting: 0, running: 2 * N }, byHealth: {} });
  assert.deepEqual(fleet.memory, { totalMb: 2063731 * N, usedMb: 294912 * N, availableMb: (2063731 - 294912) * N });
  assert.equal(fleet.nodesWithFaults, 0);
});

test("the dashboard snapshot shows every node healthy right after approval", async () => {
  const s = await h.eventually(async () => {
    const p = await op.call("clawbernetes.fleet-status", {}, 120000);
    return p.status?.nodes?.healthy === N ? p : null;
  }, { timeoutMs: 60000, what: `a snapshot of ${N} healthy nodes` });
  assert.deepEqual(s.status.nodes, { total: N, healthy: N, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0 });
  assert.equal(s.nodes.length, N);
});

test(`claw_fleet_status: ${N} healthy nodes, GPUs and memory and containers exactly as the fleet's totals; no node failed`, async () => {
  const r = await h.tool(gw, "claw_fleet_status");
  const d = r.details;
  assert.equal(d.severity, "ok");
  assert.deepEqual(d.nodes, { total: N, healthy: N, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0 });
  assert.deepEqual(d.gpus, {
    total: fleet.gpus.total,
    free: fleet.gpus.free,
    busy: fleet.gpus.busy,
    held: 0,
    unknown: 0,
    byModel: fleet.gpus.byModel.map(({ model, total, free }) => ({ model, total, free })),
  });
  assert.deepEqual(d.memory, { totalMb: fleet.memory.totalMb, availableMb: fleet.memory.availableMb });
  assert.deepEqual(d.workloads, { total: fleet.containers.total, running: fleet.containers.byState.running, unhealthy: 0, restarting: 0 });
  assert.deepEqual([d.problems, d.failedNodes], [[], []]);
  assert.equal(d.nodeDetails.length, N);
  assert.ok(d.nodeDetails.every((n) => n.state === "healthy" && n.gpusTotal === 8 && n.gpusFree === 4 && n.workloadsRunning === 2));
  assertBounded(d.fanout, "claw_fleet_status");
  // 442204750 MB ≈ 431841 GB available of 515932750 MB ≈ 503841 GB
  assert.equal(
    text(r),
    [
      `Fleet: ${N} clawnodes — ${N} healthy, 0 degraded, 0 unhealthy.`,
      `GPUs: ${fleet.gpus.free}/${fleet.gpus.total} free, ${fleet.gpus.busy} busy (NVIDIA H100 80GB HBM3 ${fleet.gpus.free}/${fleet.gpus.total} free).`,
      `Memory: ${Math.round(fleet.memory.availableMb / 1024)} GB available of ${Math.round(fleet.memory.totalMb / 1024)} GB. Workloads: ${fleet.containers.byState.running} running, ${fleet.containers.total} containers in all.`,
    ].join("\n"),
  );
});

test("claw_gpu_inventory: every GPU of every node, free or busy exactly as the fleet says", async () => {
  const d = (await h.tool(gw, "claw_gpu_inventory")).details;
  assert.deepEqual([d.total, d.available, d.busy, d.held, d.unknown], [fleet.gpus.total, fleet.gpus.free, fleet.gpus.busy, 0, 0]);
  assert.deepEqual(d.byModel, [{ model: "NVIDIA H100 80GB HBM3", total: fleet.gpus.total, available: fleet.gpus.free }]);
  assert.deepEqual(d.failedNodes, []);
  assert.equal(d.nodes.length, N);
  // GPUs 0-3 bound by the training job, 4-7 idle, on every node
  assert.ok(d.nodes.every((n) => n.gpus.map((g) => g.state).join() === "busy,busy,busy,busy,free,free,free,free"));
  assertBounded(d.fanout, "claw_gpu_inventory");
});

test("claw_workloads: every container of every node, by Docker state", async () => {
  const d = (await h.tool(gw, "claw_workloads")).details;
  assert.equal(d.total, fleet.containers.total);
  assert.deepEqual(d.counts, { running: fleet.containers.byState.running, exited: fleet.containers.byState.exited, created: 0, restarting: 0, paused: 0, removing: 0, dead: 0, unknown: 0 });
  assert.deepEqual([d.unhealthy, d.failedNodes], [0, []]);
  assertBounded(d.fanout, "claw_workloads");
});

test("claw_deploy: a 1-GPU deploy fits nowhere (docker binds GPU 0, which the training job holds on every node) — an answer naming all 250", async () => {
  const r = await h.tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, dryRun: true });
  const d = r.details;
  assert.deepEqual([d.placed, d.candidates], [false, []]);
  assert.equal(d.rejected.length, N);
  // ⌊81559·78/100⌋ MB used, 97 % on GPU 0 of every node
  const reasons = ["GPU 0 must be free: GPU 0 busy (63616 MB used, 97% util)"];
  assert.ok(d.rejected.every((x) => JSON.stringify(x.reasons) === JSON.stringify(reasons)), JSON.stringify(d.rejected.find((x) => JSON.stringify(x.reasons) !== JSON.stringify(reasons))));
  assert.deepEqual(d.rejected.map((x) => x.nodeName), sim.nodes.map((n) => n.name).sort());
  const first = d.rejected.slice(0, 3).map((x) => `${x.nodeName}: ${reasons[0]}`).join(" | ");
  assert.equal(text(r).split("\n")[0], `Not placed: no node can host pytorch/pytorch:2.0 (${N} clawnode(s) checked) — ${first}`);
});

test("claw_multi_invoke: gpu.list on all 250 nodes, all ok", async () => {
  const d = (await h.tool(gw, "claw_multi_invoke", { command: "gpu.list" })).details;
  assert.deepEqual([d.total, d.ok, d.failed, d.skipped], [N, N, 0, 0]);
  assert.ok(d.results.every((x) => x.ok && x.payload.count === 8 && x.payload.total_memory_gb === 637)); // ⌊8·81559/1024⌋
  assertBounded(d.fanout, "claw_multi_invoke");
});

test("a monitor tick (clawbernetes.health-check) checks all 250 exactly as the tool does", async () => {
  const before = (await op.call("clawbernetes.fleet-status", {}, 120000)).monitor.ticks;
  const p = await op.call("clawbernetes.health-check", {}, 120000);
  assert.ok(p.monitor.ticks > before, `ticks ${before} -> ${p.monitor.ticks}`);
  assert.deepEqual(p.status.nodes, { total: N, healthy: N, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0 });
  assert.deepEqual([p.status.gpus.total, p.status.gpus.free, p.status.gpus.busy], [fleet.gpus.total, fleet.gpus.free, fleet.gpus.busy]);
  assert.deepEqual([p.status.workloads.total, p.status.workloads.running], [fleet.containers.total, fleet.containers.byState.running]);
  assert.deepEqual([p.status.problems, p.status.failedNodes], [[], []]);
  assert.equal(p.nodes.length, N);
  assert.ok(p.nodes.every((n) => n.state === "healthy" && n.consecutiveFailures === 0));
  assertBounded(p.status.fanout, "health-check");
});
