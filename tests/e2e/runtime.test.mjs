// End-to-end, in-process transport: a real OpenClaw gateway with the plugin (transport "auto",
// which picks api.runtime.nodes), the default simulated fleet connected and approved.
// One gateway for the whole file; the read-only checks run first, then the ones that change
// the fleet (deploys, heat, disconnects).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { deployChecks, NODE_STATES, readOnlyToolChecks } from "./expected.mjs";
import * as h from "./harness.mjs";

let gw;
let sim;
let op;
const ctx = () => ({ gw, sim });

before(async () => {
  h.checkPrerequisites();
  h.buildSim();
  gw = await h.startGateway({
    port: h.PORTS.runtime,
    label: "runtime",
    pluginConfig: { healthIntervalMs: 2000, multiInvoke: { allow: ["system.run", "auth.create_key"] } },
  });
  sim = await h.startFleet(gw);
  op = await h.operator(gw);
});

after(async () => {
  op?.close();
  await gw?.stop();
  h.cleanup(gw);
});

test("gateway smoke: plugins inspect shows the 5 tools, the service and the 4 gateway methods", () => {
  const info = h.parseCliJson(h.openclawCli(gw, ["plugins", "inspect", "clawbernetes", "--runtime", "--json"]));
  assert.equal(info.plugin.status, "loaded");
  assert.deepEqual(info.plugin.toolNames, ["claw_fleet_status", "claw_gpu_inventory", "claw_deploy", "claw_workloads", "claw_multi_invoke"]);
  assert.deepEqual(info.services, ["clawbernetes-health-monitor"]);
  assert.deepEqual(info.gatewayMethods, ["clawbernetes.fleet-status", "clawbernetes.gpu-inventory", "clawbernetes.workloads", "clawbernetes.health-check"]);
});

test("gateway smoke: POST /tools/invoke claw_fleet_status answers ok:true", async () => {
  const { status, body } = await h.invokeTool(gw, "claw_fleet_status");
  assert.equal(status, 200);
  assert.equal(body.ok, true);
  assert.equal(body.result.content[0].type, "text");
});

test("gateway smoke: a wrong token is refused with 401", async () => {
  const { status } = await h.invokeTool(gw, "claw_fleet_status", {}, { token: "not-the-token" });
  assert.equal(status, 401);
});

test("the gateway lists the plugin's 20 skills", () => {
  const dirs = readdirSync(join(h.ROOT, "skills"), { withFileTypes: true }).filter((d) => d.isDirectory());
  const names = dirs.map((d) => {
    const md = readFileSync(join(h.ROOT, "skills", d.name, "SKILL.md"), "utf8");
    return md.match(/^name:\s*["']?([^"'\n]+?)["']?\s*$/m)?.[1] ?? d.name;
  });
  assert.equal(names.length, 20);
  const listed = h.parseCliJson(h.openclawCli(gw, ["skills", "list", "--json"])).skills;
  const ours = listed.filter((s) => names.includes(s.name));
  assert.deepEqual(ours.map((s) => s.name).sort(), [...names].sort());
  assert.ok(ours.every((s) => s.eligible && !s.disabled && s.source === "openclaw-extra"), JSON.stringify(ours.filter((s) => !s.eligible)));
});

test("node.list shows the 8 simulated nodes connected and approved, with the commands the tools use", async () => {
  const declared = readFileSync(join(h.ROOT, "tests/fixtures/clawnode/commands-default-build.txt"), "utf8").split("\n").filter(Boolean);
  const { nodes } = await op.call("node.list");
  const ours = nodes.filter((n) => sim.nodes.some((s) => s.nodeId === n.nodeId));
  assert.deepEqual(ours.map((n) => n.displayName).sort(), sim.nodes.map((n) => n.name).sort());
  const needed = ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "system.info", "workload.run", "workload.list", "workload.logs"];
  for (const n of ours) {
    assert.equal(n.connected, true, n.displayName);
    assert.equal(n.approvalState, "approved", n.displayName);
    assert.equal(n.platform, "linux");
    assert.equal(n.deviceFamily, "Linux");
    assert.deepEqual(n.commands.filter((c) => !declared.includes(c)), [], "only declared commands are approved");
    assert.deepEqual(needed.filter((c) => !n.commands.includes(c)), [], `${n.displayName} lacks commands the tools need`);
  }
});

readOnlyToolChecks(ctx, "runtime");

test("RPC clawbernetes.fleet-status answers from the monitor's snapshot", async () => {
  const s = await h.eventually(async () => {
    const p = await op.call("clawbernetes.fleet-status");
    return p.nodes?.length === 8 && p.monitor?.ticks > 0 ? p : null;
  }, { what: "a monitor snapshot of 8 nodes" });
  assert.equal(s.intervalMs, 2000);
  // the monitor checks node.health and gpu.metrics only, so the malformed workload.list and the
  // missing runtime do not show there; everything else agrees with claw_fleet_status
  const expected = { ...NODE_STATES, "gpu-a10-noruntime": "healthy", "gpu-h100-slow": "healthy" };
  assert.deepEqual(Object.fromEntries(s.nodes.map((n) => [n.nodeName, n.state])), expected);
  assert.deepEqual(s.states, { healthy: 4, degraded: 2, unhealthy: 2, offline: 0, gone: 0 });
});

test("RPC clawbernetes.gpu-inventory and clawbernetes.workloads answer the dashboard", async () => {
  const inv = await op.call("clawbernetes.gpu-inventory");
  assert.equal(inv.total, 28);
  const wl = await op.call("clawbernetes.workloads");
  assert.equal(wl.total, 7);
});

test("RPC clawbernetes.health-check runs a tick now", async () => {
  const before = (await op.call("clawbernetes.fleet-status")).monitor.ticks;
  const p = await op.call("clawbernetes.health-check", {}, 60000);
  assert.ok(p.monitor.ticks > before, `ticks ${before} -> ${p.monitor.ticks}`);
  assert.equal(p.nodes.length, 8);
});

test("RPC methods need their scopes: a read-only operator cannot run a health check", async () => {
  const reader = await h.operator(gw, ["operator.read"]);
  try {
    await reader.call("clawbernetes.fleet-status");
    const res = await reader.request("clawbernetes.health-check");
    assert.equal(res.ok, false);
    assert.match(JSON.stringify(res.error), /operator\.write/);
  } finally {
    reader.close();
  }
});

deployChecks(ctx, "runtime");

const stateOf = async (name) => (await op.call("clawbernetes.fleet-status")).nodes.find((n) => n.nodeName === name);

test("monitor: a GPU turning hot makes its node unhealthy (transition logged and broadcast), cooling brings it back", async () => {
  const seen = op.events.length;
  await sim.control("hot gpu-h100-b 5 96");
  const hot = await h.eventually(async () => ((await stateOf("gpu-h100-b"))?.state === "unhealthy" ? stateOf("gpu-h100-b") : null), { what: "gpu-h100-b unhealthy" });
  assert.ok(hot.problems.some((p) => p.kind === "gpuTemperature" && /GPU 5 at 96 °C/.test(p.message)), JSON.stringify(hot.problems));
  const snap = await op.call("clawbernetes.fleet-status");
  assert.ok(snap.transitions.some((t) => t.nodeName === "gpu-h100-b" && t.from === "healthy" && t.to === "unhealthy"), JSON.stringify(snap.transitions.slice(-5)));
  const events = op.events.slice(seen).filter((e) => e.event.startsWith("plugin.clawbernetes."));
  assert.ok(events.some((e) => JSON.stringify(e.payload).includes("gpu-h100-b")), `no transition event: ${JSON.stringify(op.events.slice(seen).map((e) => e.event))}`);
  await sim.control("cool gpu-h100-b");
  await h.eventually(async () => (await stateOf("gpu-h100-b"))?.state === "healthy", { what: "gpu-h100-b healthy again" });
});

test("monitor: a node that disconnects goes offline, and is healthy again after it reconnects", async () => {
  await sim.control("disconnect gpu-h100-b");
  await h.eventually(async () => (await stateOf("gpu-h100-b"))?.state === "offline", { what: "gpu-h100-b offline" });
  // the tools count connected clawnodes only: a disconnected one is not shown as healthy
  const status = (await h.tool(gw, "claw_fleet_status")).details;
  const b = status.nodeDetails.find((n) => n.nodeName === "gpu-h100-b");
  assert.ok(!b || b.state === "unreachable", JSON.stringify(b));
  await sim.control("reconnect gpu-h100-b");
  await h.eventually(async () => (await stateOf("gpu-h100-b"))?.state === "healthy", { what: "gpu-h100-b healthy after reconnect", timeoutMs: 45000 });
  const snap = await op.call("clawbernetes.fleet-status");
  const path = snap.transitions.filter((t) => t.nodeName === "gpu-h100-b").map((t) => t.to);
  assert.deepEqual(path.slice(-2), ["offline", "healthy"]);
});

test("a node with disconnect_after_secs in its fleet file drops off by itself and the monitor sees it", async () => {
  const file = join(gw.dir, "timed.toml");
  writeFileSync(
    file,
    [
      "[[nodes]]",
      'name = "gpu-timed"',
      'gpus = [{ model = "NVIDIA L4", count = 1, memory_mb = 23034, power_limit_w = 72.0 }]',
      "[nodes.faults]",
      "disconnect_after_secs = 12",
      "",
    ].join("\n"),
  );
  const timed = await h.startFleet(gw, { fleet: file, timedFaults: true, stateDir: join(gw.dir, "sim-timed") });
  try {
    await h.eventually(async () => (await stateOf("gpu-timed"))?.state === "healthy", { what: "gpu-timed healthy", timeoutMs: 20000 });
    await timed.waitFor((e) => e.event === "disconnected" && e.name === "gpu-timed", 20000, { past: true });
    await h.eventually(async () => (await stateOf("gpu-timed"))?.state === "offline", { what: "gpu-timed offline", timeoutMs: 20000 });
  } finally {
    await timed.stop();
  }
});
