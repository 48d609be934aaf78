// End-to-end, what happens over time (issue 12), on the default simulated fleet plus one image:
// - deploy confirmation: exited (exit code, last log lines; the GPU released), restarting,
//   running (the GPU held); after the restart below, starting;
// - alerts: the monitor hands the agent one system event per change that crosses
//   alerts.minSeverity (default "unhealthy"), read from the gateway's `status`
//   (queuedSystemEvents of the main session); a node flapping within alerts.cooldownMs is told
//   once, as flapping, when the window ends;
// - durable state: the gateway restarts on the same state dir; the transition history and the
//   record of a GPU given to a container survive it.
// Config: healthIntervalMs 2000 (a tick every 2 s; gpu-h100-slow makes one last about 3 s),
// invokeTimeoutMs 10000 (bounds the one invoke a restart can lose, below),
// alerts.cooldownMs 30000 (long enough that the second heat-up below falls inside it, short
// enough to see it end), deploy.confirmMs the default 8000, then 2000 after the restart (so
// clawsim/slow-start:1, Created for 5 s, is still starting when the window ends), and
// agents.defaults.heartbeat.every "0m": no heartbeat turn runs, so queued events stay queued
// (a turn consumes them even when it fails for want of a model).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NODE_STATES, text } from "./expected.mjs";
import * as h from "./harness.mjs";

// clawsim/crashloop:1 runs 1 s before each exit, so whether a 1-s poll of the deploy watch
// lands in an Up phase or a Restarting one depends on timing. This image exits at once and
// restarts with Docker's back-off (100 ms doubling): it is never Up.
const RESTART_AT_ONCE = [
  "",
  '[images."e2e/restart-at-once:1"]',
  "exit_code = 3",
  "exit_after_ms = 0",
  "restart = true",
  'stderr = ["error: cannot open /data/shard-0000: No such file or directory"]',
  "",
].join("\n");
const COOLDOWN_MS = 30000;

let gw;
let sim;
let op;
const held = {};

const snapshot = () => op.call("clawbernetes.fleet-status");
const queued = async () => (await op.call("status")).queuedSystemEvents;
const tracked = async (name) => (await snapshot()).nodes.find((n) => n.nodeName === name);
/** Waits until `n` more monitor ticks have ended. */
async function ticks(n) {
  const from = (await snapshot()).monitor.ticks;
  await h.eventually(async () => (await snapshot()).monitor.ticks >= from + n, { what: `${n} more monitor tick(s)` });
}
/** Waits until `name` is tracked in `state`, then one more tick (a tick hands its alert over after it sets the snapshot). */
async function until(name, state) {
  await h.eventually(async () => (await tracked(name))?.state === state, { what: `${name} ${state}` });
  await ticks(1);
}
const alert = (...lines) => `clawbernetes health monitor: ${lines.length} node${lines.length === 1 ? "" : "s"} changed state.\n${lines.map((l) => `- ${l}`).join("\n")}`;

before(async () => {
  h.checkPrerequisites();
  h.buildSim();
  gw = await h.startGateway({
    port: h.PORTS.lifecycle,
    label: "lifecycle",
    nodeCommandsAllow: await h.documentedAllowlist(),
    pluginConfig: { healthIntervalMs: 2000, invokeTimeoutMs: 10000, alerts: { cooldownMs: COOLDOWN_MS } },
    configExtra: { agents: { defaults: { heartbeat: { every: "0m" } } } },
  });
  const fleet = join(gw.dir, "fleet.toml");
  writeFileSync(fleet, readFileSync(join(h.ROOT, "sim/fleets/default.toml"), "utf8") + RESTART_AT_ONCE);
  sim = await h.startFleet(gw, { fleet });
  op = await h.operator(gw);
  // the fleet as expected.mjs has it, and a tick after that (whose alerts are handed over)
  await h.eventually(async () => {
    const s = await snapshot();
    return s.nodes.length === 8 && s.nodes.every((n) => n.state === NODE_STATES[n.nodeName]);
  }, { what: "the default fleet's states in the snapshot" });
  await ticks(1);
});

after(async () => {
  op?.close();
  await gw?.stop();
  h.cleanup(gw);
});

test("deploy confirmation: a container that exits at once is a failed deploy (started: false), with its exit code and last log lines; its GPU is released", async () => {
  const r = await h.tool(gw, "claw_deploy", { image: "clawsim/crash:1", gpus: 1, name: "e2e-crash", preferNode: "gpu-h100-a" });
  const d = r.details;
  assert.deepEqual([d.placed, d.started, d.nodeName, d.gpus], [true, false, "gpu-h100-a", [0]]);
  const c = d.confirmation;
  assert.deepEqual([c.outcome, c.exitCode, c.health], ["exited", 1, null]);
  // clawsim/crash:1 exits with code 1 as it starts; the first look comes 1 s later
  assert.match(c.status, /^Exited \(1\) ([1-9]) seconds? ago$/);
  assert.deepEqual(c.logs, ["loading model weights from /models/llama-70b", "RuntimeError: CUDA error: no kernel image is available for execution on the device"]);
  assert.equal(
    text(r).split("\n")[0],
    `Deploy failed: clawsim/crash:1 on gpu-h100-a (GPU 0), container ${d.containerId}: it exited at once with code 1 (${c.status}); last log line: RuntimeError: CUDA error: no kernel image is available for execution on the device.`,
  );
  const gpu0 = (await h.tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-a" })).details.nodes[0].gpus[0];
  assert.deepEqual([gpu0.state, gpu0.heldBy, gpu0.memoryUsedMb], ["free", null, 1]);
  const w = (await h.tool(gw, "claw_workloads", { name: "e2e-crash" })).details.workloads;
  assert.deepEqual(w.map((x) => [x.nodeName, x.state, x.exitCode, x.containerId]), [["gpu-h100-a", "exited", 1, d.containerId.slice(0, 12)]]);
});

test("deploy confirmation: a container killed seconds after it started (OOM) is a failed deploy: the window is watched to its end", async () => {
  // clawsim/oom:1 is Up for 3 s, then exits with 137 (sim/fleets/default.toml); deploy.confirmMs is 8000
  const r = await h.tool(gw, "claw_deploy", { image: "clawsim/oom:1", gpus: 0, name: "e2e-oom", preferNode: "cpu-batch" });
  const d = r.details;
  assert.deepEqual([d.placed, d.started, d.nodeName], [true, false, "cpu-batch"]);
  const c = d.confirmation;
  assert.deepEqual([c.outcome, c.exitCode, c.ran, c.listError], ["exited", 137, true, null]);
  assert.match(c.status, /^Exited \(137\) (Less than a second|1 second|[2-5] seconds) ago$/);
  assert.deepEqual(c.logs, ["allocating 96 GiB pinned host memory", "Killed"]);
  assert.ok(c.waitedMs >= 3000 && c.waitedMs < 8000, `ended when it exited, ${c.waitedMs} ms`);
  assert.equal(
    text(r).split("\n")[0],
    `Deploy failed: clawsim/oom:1 on cpu-batch (no GPUs), container ${d.containerId}: it ran, then exited within the confirmation window with code 137 (${c.status}); last log line: Killed.`,
  );
});

test("deploy confirmation: a container caught in a restart loop is a failed deploy, with its exit code and logs", async () => {
  const r = await h.tool(gw, "claw_deploy", { image: "e2e/restart-at-once:1", gpus: 0, name: "e2e-loop", preferNode: "cpu-batch" });
  const d = r.details;
  assert.deepEqual([d.placed, d.started, d.nodeName, d.gpus], [true, false, "cpu-batch", []]);
  const c = d.confirmation;
  assert.deepEqual([c.outcome, c.exitCode, c.health], ["restarting", 3, null]);
  assert.match(c.status, /^Restarting \(3\) (Less than a second|1 second) ago$/);
  // its stderr line, once per start so far (starts at 0, 0.1, 0.3, 0.7, 1.5 s, …)
  assert.ok(c.logs.length >= 1);
  assert.deepEqual(c.logs, c.logs.map(() => "error: cannot open /data/shard-0000: No such file or directory"));
  assert.equal(
    text(r).split("\n")[0],
    `Deploy failed: e2e/restart-at-once:1 on cpu-batch (no GPUs), container ${d.containerId}: it is in a restart loop (${c.status}); last log line: error: cannot open /data/shard-0000: No such file or directory.`,
  );
});

test("deploy confirmation: a container seen Up is running (started: true) and holds its GPU", async () => {
  const r = await h.tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, name: "e2e-hold", preferNode: "gpu-h100-a" });
  const d = r.details;
  assert.deepEqual([d.placed, d.started, d.nodeName, d.gpus], [true, true, "gpu-h100-a", [0]]);
  const c = d.confirmation;
  assert.deepEqual([c.outcome, c.exitCode, c.health, c.logs, c.ran], ["running", null, null, [], true]);
  // watched to the end of deploy.confirmMs (8 s)
  assert.match(c.status, /^Up ([89]|1[0-9]) seconds$/);
  assert.equal(text(r).split("\n")[0], `Deployed pytorch/pytorch:2.0 on gpu-h100-a (GPU 0), container ${d.containerId}: running (${c.status}).`);
  const gpu0 = (await h.tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-a" })).details.nodes[0].gpus[0];
  assert.deepEqual([gpu0.state, gpu0.heldBy?.containerId, gpu0.heldBy?.name], ["held", d.containerId, "e2e-hold"]);
  held.gpu0 = gpu0.heldBy;
});

test("alerts: a GPU turning hot hands the agent exactly one system event, with the node, the change and why", async () => {
  // What the agent heard while the fleet joined depends on whether a tick saw the nodes while
  // they waited for approval (unusable): changes held back then are told when the cool-down of
  // the first sight ends. Wait for that, so the count below is this change's alone.
  const firstSeen = Math.min(...(await snapshot()).transitions.map((t) => t.at));
  await h.eventually(async () => Date.now() > firstSeen + COOLDOWN_MS, { timeoutMs: COOLDOWN_MS + 5000, intervalMs: 500, what: "the cool-down of the fleet's first sight" });
  await ticks(2);
  const earlier = await queued();
  assert.ok(earlier.length >= 1, "the fleet's unhealthy nodes were told");
  assert.ok(earlier.every((e) => e.startsWith("clawbernetes health monitor: ")));
  await sim.control("hot gpu-h100-b 5 96");
  const now = await h.eventually(async () => {
    const q = await queued();
    return q.length > earlier.length ? q : null;
  }, { what: "an event about gpu-h100-b" });
  assert.deepEqual(now, [...earlier, alert("gpu-h100-b: healthy → unhealthy (GPU 5 at 96 °C (critical at 90 °C))")]);
  assert.equal((await tracked("gpu-h100-b")).state, "unhealthy");
});

test("alerts: the recovery hands over exactly one more", async () => {
  const earlier = await queued();
  await sim.control("cool gpu-h100-b");
  const now = await h.eventually(async () => {
    const q = await queued();
    return q.length > earlier.length ? q : null;
  }, { what: "an event about gpu-h100-b" });
  assert.deepEqual(now, [...earlier, alert("gpu-h100-b: unhealthy → healthy (all checks pass)")]);
  assert.equal((await tracked("gpu-h100-b")).state, "healthy");
});

test("alerts: heating up again within alerts.cooldownMs is held back, and told once as flapping when the window ends", async () => {
  const earlier = await queued();
  const firstBad = (await snapshot()).transitions.findLast((t) => t.nodeName === "gpu-h100-b" && t.to === "unhealthy").at;
  await sim.control("hot gpu-h100-b 5 97");
  await until("gpu-h100-b", "unhealthy");
  const again = (await snapshot()).transitions.findLast((t) => t.nodeName === "gpu-h100-b" && t.to === "unhealthy");
  assert.ok(again.at - firstBad < COOLDOWN_MS, `the second heat-up came ${again.at - firstBad} ms after the first, inside the cool-down`);
  assert.deepEqual(await queued(), earlier, "held back");
  await sim.control("cool gpu-h100-b");
  // told once the window ends (whether the recovery came before or after that)
  const flapped = await h.eventually(async () => {
    const q = await queued();
    return q.length > earlier.length ? q : null;
  }, { timeoutMs: COOLDOWN_MS + 15000, what: "the flapping message" });
  assert.equal(flapped.length, earlier.length + 1);
  // the window is 30 s: its end is 0.5–0.6 min after the first alert, printed rounded
  assert.match(
    flapped.at(-1),
    /^clawbernetes health monitor: 1 node changed state\.\n- gpu-h100-b: flapping: 2 changes held back over [01] min, now healthy \(all checks pass\)$/,
  );
  await ticks(2);
  assert.equal((await queued()).length, earlier.length + 1, "nothing more");
});

test("durable state: after a gateway restart the transition history is kept (beforeRestart) and the GPU is still held by the same container", async () => {
  const was = await snapshot();
  assert.equal(was.restoredAt, null);
  assert.ok(was.transitions.length > 0 && was.transitions.length <= 40, `${was.transitions.length} transitions`);
  const restartAt = Date.now();
  gw = await h.restartGateway(gw, { pluginConfig: { healthIntervalMs: 2000, invokeTimeoutMs: 10000, alerts: { cooldownMs: COOLDOWN_MS }, deploy: { confirmMs: 2000 } } });
  op.close();
  op = await h.operator(gw);
  // the first call ticks; right after a restart the gateway may refuse a reconnecting node's
  // first answer ("node pairing changed before request dispatch"), which then costs that invoke
  // its whole invokeTimeoutMs
  const now = await op.call("clawbernetes.fleet-status", {}, 60000);
  assert.ok(now.restoredAt >= restartAt && now.restoredAt <= Date.now(), `restoredAt ${now.restoredAt}`);
  assert.deepEqual(now.transitions.filter((t) => t.beforeRestart), was.transitions.map((t) => ({ ...t, beforeRestart: true })));
  assert.ok(now.transitions.filter((t) => !t.beforeRestart).every((t) => t.at >= restartAt));
  // the fleet reconnects by itself (same keys, same pairing); then the record applies again
  await Promise.all(sim.nodes.map((n) => sim.waitFor((e) => e.event === "connected" && e.name === n.name && sim.receivedAt(e) >= restartAt, 90000, { past: true })));
  const gpu0 = await h.eventually(async () => {
    const g = (await h.tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-a" })).details.nodes[0]?.gpus[0];
    return g;
  }, { what: "gpu-h100-a's GPUs after the restart" });
  assert.deepEqual([gpu0.state, gpu0.heldBy, gpu0.why], ["held", held.gpu0, "held by e2e-hold since the plugin started it"]);
  const status = (await h.tool(gw, "claw_fleet_status")).details;
  assert.equal(status.gpus.held, 1);
});

test("deploy confirmation: a container still Created when deploy.confirmMs ends is 'starting' (started: null)", async () => {
  const r = await h.tool(gw, "claw_deploy", { image: "clawsim/slow-start:1", gpus: 0, name: "e2e-slow", preferNode: "cpu-batch" });
  const d = r.details;
  assert.deepEqual([d.placed, d.started, d.nodeName], [true, null, "cpu-batch"]);
  const c = d.confirmation;
  assert.deepEqual([c.outcome, c.status, c.exitCode, c.health, c.logs], ["starting", "Created", null, null, []]);
  assert.ok(c.waitedMs >= 2000, `watched ${c.waitedMs} ms`);
  assert.equal(
    text(r).split("\n")[0],
    `Deployed clawsim/slow-start:1 on cpu-batch (no GPUs), container ${d.containerId}: still starting after 2 s (Created); check claw_workloads for it later.`,
  );
  // it comes up 5 s after its run
  await h.eventually(async () => {
    const w = (await h.tool(gw, "claw_workloads", { name: "e2e-slow" })).details.workloads;
    return w[0]?.state === "running";
  }, { what: "e2e-slow running", timeoutMs: 15000 });
});
