// Gateway methods through `respond`, and the health-monitor service on the host's timer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { load, fleetOf, fixtureNodes, fx, ID, H100 } from "./fleet.mjs";

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
const states = (payload) => Object.fromEntries(payload.nodes.map((n) => [n.nodeName, [n.state, n.consecutiveFailures]]));

test("fleet-status answers through respond with a snapshot after a first tick: states, counters, transitions", async () => {
  const host = load();
  const r = await host.callMethod("clawbernetes.fleet-status");
  assert.equal(r.ok, true);
  assert.deepEqual(r.payload.states, { healthy: 2, degraded: 0, unhealthy: 3, offline: 1, gone: 0 });
  assert.deepEqual(states(r.payload), {
    "gpu-a": ["healthy", 0], "cpu-b": ["healthy", 0], "hot-c": ["unhealthy", 0], "disk-d": ["unhealthy", 0], "dead-e": ["unhealthy", 1], "off-1": ["offline", 0],
  });
  assert.deepEqual([r.payload.monitor.ticks, r.payload.monitor.overruns, r.payload.monitor.joined, r.payload.intervalMs], [1, 0, 0, 60000]);
  assert.deepEqual(r.payload.transitions.map((t) => [t.nodeName, t.from, t.to, t.reason]), [
    ["cpu-b", null, "healthy", "all checks pass"],
    ["dead-e", null, "unhealthy", "1 failed check(s) in a row: node.capabilities: COMMAND_ERROR: simulated failure"],
    ["disk-d", null, "unhealthy", "disk / 97% full (critical at 95%)"],
    ["gpu-a", null, "healthy", "all checks pass"],
    ["hot-c", null, "unhealthy", "GPU 0 at 93 °C (critical at 90 °C)"],
    ["off-1", null, "offline", "not connected"],
  ]);
  // a second read is served from the snapshot: no new tick
  const again = await host.callMethod("clawbernetes.fleet-status");
  assert.equal(again.payload.monitor.ticks, 1);
});

test("health-check runs a tick now (ticks + 1) and counts consecutive failures up to unhealthy/offline", async () => {
  const host = load({ pluginConfig: { thresholds: { failuresToUnhealthy: 2, failuresToOffline: 3 } } });
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const r = await host.callMethod("clawbernetes.health-check");
    assert.equal(r.ok, true);
    seen.push([r.payload.monitor.ticks, ...states(r.payload)["dead-e"]]);
  }
  assert.deepEqual(seen, [[1, "unhealthy", 1], [2, "unhealthy", 2], [3, "offline", 3]]);
  const r = await host.callMethod("clawbernetes.fleet-status");
  assert.equal(r.payload.monitor.ticks, 3);
  assert.deepEqual(r.payload.states, { healthy: 2, degraded: 0, unhealthy: 2, offline: 2, gone: 0 });
});

test("a node that leaves the list becomes gone and the transition is logged", async () => {
  const fleet = fleetOf(fixtureNodes());
  const host = load({ fleet });
  await host.callMethod("clawbernetes.health-check");
  fleet.removeNode(ID.b);
  const r = await host.callMethod("clawbernetes.health-check");
  assert.deepEqual(states(r.payload)["cpu-b"], ["gone", 0]);
  assert.deepEqual(r.payload.transitions.at(-1), { ...r.payload.transitions.at(-1), nodeName: "cpu-b", from: "healthy", to: "gone", reason: "no longer listed by the gateway" });
  assert.ok(host.logs.some((l) => l.level === "warn" && l.msg === "clawbernetes: cpu-b healthy → gone: no longer listed by the gateway"));
});

test("gpu-inventory and workloads methods answer with the tools' details; bad params answer ok:false with the message", async () => {
  const host = load();
  const inv = await host.callMethod("clawbernetes.gpu-inventory", { nodeId: "gpu-a" });
  assert.equal(inv.ok, true);
  assert.deepEqual(inv.payload, (await host.callTool("claw_gpu_inventory", { nodeId: "gpu-a" })).details);
  assert.deepEqual(inv.payload.gpus.map((g) => [g.nodeName, g.index, g.model, g.available]), [["gpu-a", 0, H100, false], ["gpu-a", 1, H100, true]]);
  const wl = await host.callMethod("clawbernetes.workloads", { state: "running" });
  assert.equal(wl.ok, true);
  assert.deepEqual(wl.payload.workloads.map((w) => [w.nodeName, w.name]), [["cpu-b", "serve-1"], ["disk-d", "train-1"], ["gpu-a", "train-1"]]);
  assert.equal(wl.payload.total, 3);
  const bad = await host.callMethod("clawbernetes.workloads", { state: "bogus" });
  assert.deepEqual(bad, { ok: false, payload: undefined, error: { code: "UNAVAILABLE", message: 'claw_workloads: state must be one of running, exited, created, restarting, paused, dead, unknown, got "bogus"' } });
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
    assert.deepEqual(states(snap), { "gpu-a": ["healthy", 0], "cpu-b": ["healthy", 0] });
  } finally {
    await host.stopServices();
  }
  await sleep(20);
  assert.equal(timeouts(), before, "stop() leaves no timer behind");
  await sleep(1100);
  assert.equal((await host.callMethod("clawbernetes.fleet-status")).payload.monitor.ticks, 2, "no tick after stop");
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
    assert.match(ev.name, /^health[-_]transition$/);
    assert.deepEqual([ev.event, ev.scope, ev.payload.more], [`plugin.clawbernetes.${ev.name}`, "operator.read", 0]);
    assert.deepEqual(ev.payload.transitions.map(({ at, ...t }) => t), [
      { nodeId: ID.a, nodeName: "gpu-a", from: "healthy", to: "unhealthy", reason: "GPU 0 at 95 °C (critical at 90 °C)" },
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
