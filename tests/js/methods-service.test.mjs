// Gateway methods through `respond`, the health-monitor service on the host's timer, the alerts
// it hands the agent as system events, and the state it keeps across a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { existsSync, readdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApi, scratchStateDir, GatewayClientRequestError } from "../support/fake-openclaw.mjs";
import { load, plugin, MANIFEST, fleetOf, fixtureNodes, deployNodes, fx, ID, H100 } from "./fleet.mjs";

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
const states = (payload) => Object.fromEntries(payload.nodes.map((n) => [n.nodeName, [n.state, n.consecutiveFailures]]));
const DEAD = "cannot read the node's health: node.capabilities: UNAVAILABLE: COMMAND_ERROR: simulated failure";
const CPU_B = "container cache (redis:7) is restarting, last exit code 1; container web (nginx:1.27) is unhealthy";
const HOT = "GPU 0 at 93 °C (critical at 90 °C)";
const DISK = "disk / 97% full (critical at 95%)";
const WAIT = "its commands wait for an operator's approval: openclaw nodes pending, then openclaw nodes approve <requestId>";

test("fleet-status answers through respond with the first tick's snapshot: the tool's status, tracked nodes, transitions", async () => {
  const host = load();
  const r = await host.callMethod("clawbernetes.fleet-status");
  assert.equal(r.ok, true);
  const p = r.payload;
  assert.deepEqual(Object.keys(p), ["status", "checkedAt", "intervalMs", "monitor", "nodes", "transitions", "restoredAt"]);
  // the same aggregate the tool returns (its fan-out counters are the tick's own)
  const tool = (await host.callTool("claw_fleet_status")).details;
  assert.deepEqual({ ...p.status, fanout: null }, { ...tool, fanout: null });
  assert.deepEqual(p.status.fanout, { limit: 32, peakInFlight: 5, retries: 0, overloaded: 0 });
  assert.deepEqual([p.monitor.ticks, p.monitor.overruns, p.monitor.joined, p.intervalMs, p.restoredAt], [1, 0, 0, 60000, null]);
  // the check ended at checkedAt; the tick a little later, after saving and alerting
  assert.ok(p.monitor.lastAt >= p.checkedAt && p.monitor.lastAt - p.monitor.lastDurationMs <= p.checkedAt, JSON.stringify(p.monitor));
  // tracked nodes by id
  assert.deepEqual(p.nodes.map(({ since, ...n }) => [n.nodeName, n.state, n.reason, n.consecutiveFailures, since === p.checkedAt]), [
    ["gpu-a", "healthy", "all checks pass", 0, true],
    ["cpu-b", "degraded", CPU_B, 0, true],
    ["hot-c", "unhealthy", HOT, 0, true],
    ["disk-d", "unhealthy", DISK, 0, true],
    ["dead-e", "unhealthy", DEAD, 0, true],
    ["off-1", "offline", "not connected", 0, true],
    ["wait-1", "unusable", WAIT, 0, true],
  ]);
  // first sight of every node, in the order checked: usable ones by name, then the offline one
  assert.deepEqual(p.transitions, [
    ["cpu-b", ID.b, "degraded", CPU_B],
    ["dead-e", ID.e, "unhealthy", DEAD],
    ["disk-d", ID.d, "unhealthy", DISK],
    ["gpu-a", ID.a, "healthy", "all checks pass"],
    ["hot-c", ID.c, "unhealthy", HOT],
    ["off-1", ID.off, "offline", "not connected"],
    ["wait-1", ID.pending, "unusable", WAIT],
  ].map(([nodeName, nodeId, to, reason]) => ({ nodeId, nodeName, from: null, to, reason, at: p.checkedAt, beforeRestart: false })));
  // a second read is served from the snapshot: no new tick
  const again = await host.callMethod("clawbernetes.fleet-status");
  assert.equal(again.payload.monitor.ticks, 1);
});

test("health-check runs a tick now; a node that stops answering is unreachable, then offline after failuresToOffline", async () => {
  const nodes = fixtureNodes().slice(0, 1).concat({ nodeId: "5".repeat(64), displayName: "slow-s" });
  const fleet = fleetOf(nodes, { latency: ({ node }) => (node.displayName === "slow-s" ? 250 : 0) });
  const host = load({ fleet, pluginConfig: { invokeTimeoutMs: 100, thresholds: { failuresToOffline: 3 } } });
  const seen = [];
  for (let i = 0; i < 4; i++) {
    const r = await host.callMethod("clawbernetes.health-check");
    assert.equal(r.ok, true);
    seen.push([r.payload.monitor.ticks, ...states(r.payload)["slow-s"]]);
  }
  assert.deepEqual(seen, [[1, "unreachable", 1], [2, "unreachable", 2], [3, "offline", 3], [4, "offline", 4]]);
  const r = await host.callMethod("clawbernetes.fleet-status");
  assert.equal(r.payload.monitor.ticks, 4, "nothing changed since: served from the snapshot");
  const slow = r.payload.transitions.filter((t) => t.nodeName === "slow-s").map((t) => [t.from, t.to, t.reason]);
  const silent = "no answer: node.capabilities: UNAVAILABLE: TIMEOUT: node invoke timed out";
  assert.deepEqual(slow, [[null, "unreachable", silent], ["unreachable", "offline", `3 checks failed in a row: ${silent}`]]);
  // the tick's own status calls it what the check saw: unreachable
  assert.deepEqual(r.payload.status.nodes, { total: 2, healthy: 1, degraded: 0, unhealthy: 0, unreachable: 1, offline: 0, unusable: 0 });
  await fleet.idle();
});

test("a node that leaves the list becomes gone; the transition is logged as a change for the worse", async () => {
  const fleet = fleetOf(fixtureNodes());
  const host = load({ fleet });
  await host.callMethod("clawbernetes.health-check");
  fleet.removeNode(ID.a);
  const r = await host.callMethod("clawbernetes.health-check");
  assert.deepEqual(states(r.payload)["gpu-a"], ["gone", 0]);
  const last = r.payload.transitions.at(-1);
  assert.deepEqual(last, { nodeId: ID.a, nodeName: "gpu-a", from: "healthy", to: "gone", reason: "no longer listed by the gateway", at: last.at, beforeRestart: false });
  assert.deepEqual(host.logs.filter((l) => l.msg.includes("→ gone")), [{ level: "warn", msg: "clawbernetes: gpu-a healthy → gone: no longer listed by the gateway" }]);
  // gone nodes are remembered, not counted (the 6 left: 4 answering, off-1 offline, wait-1 unusable)
  assert.equal(r.payload.status.nodes.total, 6);
});

test("gpu-inventory and workloads methods answer with the tools' details; bad params answer INVALID_REQUEST with the core's text", async () => {
  const host = load();
  const inv = await host.callMethod("clawbernetes.gpu-inventory", { nodeId: "gpu-a" });
  assert.equal(inv.ok, true);
  assert.deepEqual(inv.payload, (await host.callTool("claw_gpu_inventory", { nodeId: "gpu-a" })).details);
  assert.deepEqual(inv.payload.nodes.map((n) => [n.nodeName, n.gpus.map((g) => [g.index, g.model, g.state])]), [["gpu-a", [[0, H100, "busy"], [1, H100, "free"]]]]);
  const wl = await host.callMethod("clawbernetes.workloads", { state: "running" });
  assert.equal(wl.ok, true);
  assert.deepEqual(wl.payload.workloads.map((w) => [w.nodeName, w.name, w.health]), [
    ["cpu-b", "web", "unhealthy"], ["cpu-b", "api", "healthy"], ["cpu-b", "serve-1", null], ["disk-d", "train-1", null], ["gpu-a", "train-1", null],
  ]);
  assert.deepEqual([wl.payload.total, wl.payload.unhealthy], [5, 1]);
  assert.deepEqual(await host.callMethod("clawbernetes.workloads", { state: "bogus" }), {
    ok: false,
    payload: undefined,
    error: {
      code: "INVALID_REQUEST",
      message: 'clawbernetes.workloads: state must be one of "running", "exited", "created", "restarting", "paused", "removing", "dead", "unknown", got "bogus"',
    },
  });
  assert.deepEqual(await host.callMethod("clawbernetes.gpu-inventory", { nodeId: "nope" }), {
    ok: false,
    payload: undefined,
    error: { code: "INVALID_REQUEST", message: 'clawbernetes.gpu-inventory: nodeId "nope" names no connected clawnode; connected: cpu-b, dead-e, disk-d, gpu-a, hot-c' },
  });
  // an empty fleet is an empty inventory, not an error
  const none = await load({ fleet: fleetOf([]) }).callMethod("clawbernetes.gpu-inventory", {});
  assert.deepEqual([none.ok, none.payload.total, none.payload.nodes], [true, 0, []]);
  // a gateway that cannot list its nodes: UNAVAILABLE, with the host's error in the core's text
  const broken = load();
  broken.api.runtime.nodes.list = async () => {
    throw new GatewayClientRequestError({ code: "UNAVAILABLE", message: "gateway is shutting down" });
  };
  assert.deepEqual(await broken.callMethod("clawbernetes.workloads", {}), {
    ok: false,
    payload: undefined,
    error: { code: "UNAVAILABLE", message: "clawbernetes.workloads: listing nodes failed: UNAVAILABLE: gateway is shutting down" },
  });
});

test("service: start ticks at once, then on the host timer every healthIntervalMs; stop leaves no timer and no more ticks", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 2));
  const host = load({ fleet, pluginConfig: { healthIntervalMs: 1000 } });
  const before = timeouts();
  await host.startServices();
  try {
    await sleep(100);
    assert.equal((await host.callMethod("clawbernetes.fleet-status")).payload.monitor.ticks, 1);
    assert.equal(timeouts() > before, true, "the monitor waits on a host timer while running");
    await sleep(1000);
    const snap = (await host.callMethod("clawbernetes.fleet-status")).payload;
    assert.deepEqual([snap.monitor.ticks, snap.monitor.overruns, snap.intervalMs], [2, 0, 1000]);
    assert.deepEqual(states(snap), { "gpu-a": ["healthy", 0], "cpu-b": ["degraded", 0] });
  } finally {
    await host.stopServices();
  }
  await sleep(20);
  assert.equal(timeouts(), before, "stop() leaves no timer behind");
  await sleep(1100);
  assert.equal((await host.callMethod("clawbernetes.fleet-status")).payload.monitor.ticks, 2, "no tick after stop");
});

test("service: a clawnode joining is checked at once (within the 2 s list poll), not at the next interval", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 1));
  const host = load({ fleet, pluginConfig: { healthIntervalMs: 60000 } });
  await host.startServices();
  try {
    await sleep(100);
    fleet.addNode({ nodeId: ID.c, displayName: "hot-c", answers: fixtureNodes()[2].answers });
    await sleep(2300);
    const snap = (await host.callMethod("clawbernetes.fleet-status")).payload;
    assert.deepEqual([snap.monitor.ticks, states(snap)], [2, { "gpu-a": ["healthy", 0], "hot-c": ["unhealthy", 0] }]);
  } finally {
    await host.stopServices();
  }
});

// The real gateway (openclaw 2026.9.6, dist/gateway-events-*.mjs) accepts event names matching
// /^[a-z][a-z0-9_-]*$/ only, exactly like the fake host: a dotted name is refused with a throw.
test("service: when a node turns hot the monitor broadcasts its transition as a gateway event (scope operator.read) the gateway accepts", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 2));
  const host = load({ fleet, pluginConfig: { healthIntervalMs: 1000 } });
  await host.startServices();
  try {
    await sleep(100);
    const hot = fx("gpu.metrics");
    hot.metrics[0].temperature_c = 95;
    fleet.nodes.get(ID.a).answers["gpu.metrics"] = hot;
    await sleep(1000);
    assert.equal((await host.callMethod("clawbernetes.fleet-status")).payload.monitor.ticks, 2);
    assert.ok(host.logs.some((l) => l.level === "warn" && l.msg === "clawbernetes: gpu-a healthy → unhealthy: GPU 0 at 95 °C (critical at 90 °C)"));
    assert.deepEqual(host.logs.filter((l) => l.msg.includes("could not broadcast")).map((l) => l.msg), []);
    assert.equal(host.events.length, 2, "one event per tick with transitions (first sight, then the hot GPU)");
    const ev = host.events[1];
    assert.deepEqual([ev.event, ev.name, ev.scope, ev.payload.more], ["plugin.clawbernetes.health-transition", "health-transition", "operator.read", 0]);
    assert.deepEqual(ev.payload.transitions.map(({ at, ...t }) => t), [
      { nodeId: ID.a, nodeName: "gpu-a", from: "healthy", to: "unhealthy", reason: "GPU 0 at 95 °C (critical at 90 °C)", beforeRestart: false },
    ]);
  } finally {
    await host.stopServices();
  }
});

test("service: a 'Check now' (clawbernetes.health-check) broadcasts what its tick finds, as the timer's ticks do", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 2));
  const host = load({ fleet, pluginConfig: { healthIntervalMs: 3600000 } });
  await host.startServices();
  try {
    await sleep(100);
    assert.equal(host.events.length, 1, "the first tick at start");
    const hot = fx("gpu.metrics");
    hot.metrics[0].temperature_c = 95;
    fleet.nodes.get(ID.a).answers["gpu.metrics"] = hot;
    await host.callMethod("clawbernetes.health-check");
    assert.equal(host.events.length, 2);
    assert.deepEqual(host.events[1].payload.transitions.map(({ at, ...t }) => t), [
      { nodeId: ID.a, nodeName: "gpu-a", from: "healthy", to: "unhealthy", reason: "GPU 0 at 95 °C (critical at 90 °C)", beforeRestart: false },
    ]);
  } finally {
    await host.stopServices();
  }
});

test("service: a health-check during a running tick joins it instead of starting another", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 1), { latency: 40 });
  const host = load({ fleet });
  const a = host.callMethod("clawbernetes.health-check");
  const b = host.callMethod("clawbernetes.health-check");
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(ra.ok && rb.ok, true);
  assert.deepEqual([rb.payload.monitor.ticks, rb.payload.monitor.joined], [1, 1]);
});

// ---------------------------------------------------------------------------------------------
// Alerts: the agent hears of a change through the host's system events (what the gateway's
// `status` shows as queuedSystemEvents), once per change, with a heartbeat request each time.

const HEADER = (n) => `clawbernetes health monitor: ${n} node${n === 1 ? "" : "s"} changed state.`;
const HEARTBEAT = { source: "other", intent: "event", reason: "clawbernetes health alert", sessionKey: "main" };

test("alerts reach the agent's system events exactly once per change: bad, recovered, then held back and summed up as flapping", async () => {
  const fleet = fleetOf(fixtureNodes().slice(0, 1));
  const host = load({ fleet, pluginConfig: { alerts: { cooldownMs: 1000 } } });
  const tick = () => host.callMethod("clawbernetes.health-check");
  const temp = (c) => {
    const m = fx("gpu.metrics");
    m.metrics[0].temperature_c = c;
    fleet.nodes.get(ID.a).answers["gpu.metrics"] = m;
  };
  await tick();
  assert.deepEqual(host.systemEvents, [], "a healthy first sight is not news");
  temp(95);
  await tick();
  await tick();
  const hot = `${HEADER(1)}\n- gpu-a: healthy → unhealthy (GPU 0 at 95 °C (critical at 90 °C))`;
  assert.deepEqual(host.queuedSystemEvents(), [hot], "told once, not again while it stays hot");
  temp(71);
  await tick();
  const cool = `${HEADER(1)}\n- gpu-a: unhealthy → healthy (all checks pass)`;
  assert.deepEqual(host.queuedSystemEvents(), [hot, cool], "a recovery is told at once");
  temp(95);
  await tick();
  temp(71);
  await tick();
  assert.equal(host.systemEvents.length, 2, "within the cool-down a flapping node is held back");
  await sleep(1100);
  await tick();
  assert.deepEqual(host.queuedSystemEvents(), [hot, cool, `${HEADER(1)}\n- gpu-a: flapping: 2 changes held back over 0 min, now healthy (all checks pass)`]);
  assert.deepEqual(host.systemEvents.map((e) => [e.sessionKey, e.contextKey, e.accepted]), Array(3).fill(["agent:main:main", "clawbernetes:health", true]));
  assert.deepEqual(host.heartbeats, [HEARTBEAT, HEARTBEAT, HEARTBEAT], "one heartbeat request per alert");
});

test("alerts: one coalesced message per tick, minSeverity decides what is news, enabled: false silences them", async () => {
  const first = load();
  await first.callMethod("clawbernetes.health-check");
  assert.deepEqual(first.queuedSystemEvents(), [
    [
      HEADER(5),
      `- dead-e: new → unhealthy (${DEAD})`,
      `- disk-d: new → unhealthy (${DISK})`,
      `- hot-c: new → unhealthy (${HOT})`,
      "- off-1: new → offline (not connected)",
      "- wait-1: new → unusable (its commands wait for an operator's approval: openclaw nodes pending, then openclaw nodes approve <requestId>)",
    ].join("\n"),
  ]);
  const degraded = load({ pluginConfig: { alerts: { minSeverity: "degraded" } } });
  await degraded.callMethod("clawbernetes.health-check");
  assert.deepEqual(degraded.queuedSystemEvents()[0].split("\n").slice(0, 2), [HEADER(6), `- cpu-b: new → degraded (${CPU_B})`]);
  const offline = load({ pluginConfig: { alerts: { minSeverity: "offline" } } });
  await offline.callMethod("clawbernetes.health-check");
  assert.deepEqual(offline.queuedSystemEvents(), [`${HEADER(1)}\n- off-1: new → offline (not connected)`]);
  const off = load({ pluginConfig: { alerts: { enabled: false } } });
  await off.callMethod("clawbernetes.health-check");
  assert.deepEqual([off.systemEvents, off.heartbeats], [[], []]);
});

test("a host without system events: the monitor says once that alerts are off, and keeps working", async () => {
  const h = createApi({ fleet: fleetOf(fixtureNodes()), pluginConfig: { healthIntervalMs: 1000 }, manifest: MANIFEST });
  delete h.api.runtime.system;
  h.register(plugin);
  await h.startServices();
  try {
    await sleep(100);
    await h.callMethod("clawbernetes.health-check");
  } finally {
    await h.stopServices();
  }
  const off = "clawbernetes: alerts to the agent are off: this host offers no system events (api.runtime.system.enqueueSystemEvent); transitions are still logged and broadcast";
  assert.deepEqual(h.logs.filter((l) => l.msg.includes("alerts to the agent")), [{ level: "warn", msg: off }]);
  assert.equal(h.events.length, 1, "transitions are still broadcast");
});

// ---------------------------------------------------------------------------------------------
// State across a restart: OpenClaw refuses openKeyedStore to a path-loaded plugin, so the shim
// keeps it in files under api.runtime.state.resolveStateDir().

test("state survives a re-registration (a new LiveCore) through files under resolveStateDir: history marked beforeRestart", async () => {
  const stateDir = scratchStateDir();
  const fleet = fleetOf(fixtureNodes());
  const before = load({ fleet, stateDir });
  const first = (await before.callMethod("clawbernetes.health-check")).payload;
  assert.deepEqual(readdirSync(join(stateDir, "plugins", "clawbernetes")).sort(), ["alerts.json", "monitor.json"]);
  // the gateway restarts: a new registration, a new core, the same state dir
  const after = load({ fleet, stateDir });
  const r = await after.callMethod("clawbernetes.fleet-status");
  const p = r.payload;
  assert.equal(typeof p.restoredAt, "number");
  assert.deepEqual(p.transitions, first.transitions.map((t) => ({ ...t, beforeRestart: true })));
  assert.deepEqual(p.nodes, first.nodes, "tracked nodes keep their state and since");
  assert.equal(p.monitor.ticks, 1, "the new core ticked once");
  assert.deepEqual(after.logs.filter((l) => l.level === "warn" && !l.msg.includes("→")), [], "no store warning");
});

test("holds survive a re-registration too: the GPU of a container started before the restart stays held", async () => {
  const stateDir = scratchStateDir();
  const fleet = fleetOf(deployNodes());
  const before = load({ fleet, stateDir, pluginConfig: { deploy: { confirmMs: 0 } } });
  await before.callTool("claw_deploy", { image: "pytorch/pytorch:2.0", name: "train-a" });
  assert.deepEqual(readdirSync(join(stateDir, "plugins", "clawbernetes")).sort(), ["holds.json"]);
  const after = load({ fleet, stateDir });
  const plan = await after.callTool("claw_deploy", { image: "pytorch/pytorch:2.0", dryRun: true });
  assert.deepEqual(plan.details.rejected.find((r) => r.nodeName === "free-2").reasons, ["GPU 0 must be free: GPU 0 is held by train-a since the plugin started it"]);
  assert.deepEqual(plan.details.candidates.map((c) => c.nodeName), ["free-4"]);
});

test("a trusted plugin keeps its state in the host's keyed store, not in files", async () => {
  const stateDir = scratchStateDir();
  const fleet = fleetOf(fixtureNodes());
  await load({ fleet, stateDir, trusted: true }).callMethod("clawbernetes.health-check");
  assert.equal(existsSync(join(stateDir, "plugins")), false, "no file written");
  const again = await load({ fleet, stateDir, trusted: true }).callMethod("clawbernetes.fleet-status");
  assert.equal(typeof again.payload.restoredAt, "number");
  assert.equal(again.payload.transitions.every((t) => t.beforeRestart), true);
});

test("a state dir that cannot be written: one warning naming the error, state kept in memory, everything else works", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "claw-state-")), "not-a-dir");
  writeFileSync(file, "x");
  const host = load({ stateDir: file });
  const r = await host.callMethod("clawbernetes.health-check");
  await host.callMethod("clawbernetes.health-check");
  assert.equal(r.ok, true);
  const warnings = host.logs.filter((l) => l.msg.includes("state store"));
  assert.deepEqual(warnings, [{
    level: "warn",
    msg: `clawbernetes: the plugin state store is unavailable (ENOTDIR: not a directory, open '${file}/plugins/clawbernetes/holds.json'); ` +
      "the container record and the health history are kept in memory only and do not survive a restart",
  }]);
});
