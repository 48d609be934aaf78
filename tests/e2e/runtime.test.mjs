// End-to-end, in-process transport: a real OpenClaw gateway with the plugin (transport "auto",
// which picks api.runtime.nodes), the default simulated fleet (protocol 4, platform linux)
// connected and approved, `gateway.nodes.commands.allow` = the plugin's describe().allowlist
// plus the two sensitive commands the multi-invoke checks use. One gateway for the whole file;
// the read-only checks run first, then the ones that change the fleet (deploys, heat,
// disconnects).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CONFIRM_MS, deployChecks, NODE_STATES, nodeDetails, readOnlyToolChecks, STATE_COUNTS } from "./expected.mjs";
import * as h from "./harness.mjs";

const SENSITIVE = ["auth.create_key", "system.run"];
let gw;
let sim;
let op;
let allowlist;
const ctx = () => ({ gw, sim });
const withoutFanout = ({ fanout, ...rest }) => rest;

before(async () => {
  h.checkPrerequisites();
  h.buildSim();
  allowlist = await h.documentedAllowlist();
  gw = await h.startGateway({
    port: h.PORTS.runtime,
    label: "runtime",
    nodeCommandsAllow: [...allowlist, ...SENSITIVE],
    pluginConfig: { healthIntervalMs: 2000, multiInvoke: { allow: SENSITIVE }, deploy: { confirmMs: CONFIRM_MS } },
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

test("node.list shows the 8 simulated nodes connected and approved with exactly the allowed commands they declare", async () => {
  const { nodes } = await op.call("node.list");
  const ours = nodes.filter((n) => sim.nodes.some((s) => s.nodeId === n.nodeId));
  assert.deepEqual(ours.map((n) => n.displayName).sort(), sim.nodes.map((n) => n.name).sort());
  // the allowlist and the two sensitive commands, plus system.which, which the gateway grants
  // a protocol-4 "linux" node by default; the 60 other declared commands are withheld
  const approved = [...allowlist, ...SENSITIVE, "system.which"].sort();
  for (const n of ours) {
    assert.deepEqual(
      [n.connected, n.approvalState, n.platform, n.deviceFamily, [...n.commands].sort()],
      [true, "approved", "linux", "Linux", approved],
      n.displayName,
    );
  }
});

readOnlyToolChecks(ctx, { transport: "runtime", sensitiveAllowed: true });

test("RPC clawbernetes.fleet-status: the monitor's snapshot is the tool's answer, every node tracked with its state and reason", async () => {
  const s = await h.eventually(async () => {
    const p = await op.call("clawbernetes.fleet-status");
    return p.status?.nodes?.total === 8 && p.nodes.length === 8 ? p : null;
  }, { what: "a monitor snapshot of 8 nodes" });
  const tool = (await h.tool(gw, "claw_fleet_status")).details;
  assert.deepEqual(withoutFanout(s.status), withoutFanout(tool));
  assert.deepEqual(s.status.nodes, STATE_COUNTS);
  assert.equal(s.intervalMs, 2000);
  assert.equal(s.restoredAt, null);
  assert.ok(s.checkedAt <= Date.now(), `checkedAt ${s.checkedAt}`);
  const reasons = Object.fromEntries(nodeDetails("runtime").map(([name, , reason]) => [name, reason]));
  assert.deepEqual(
    Object.fromEntries(s.nodes.map((n) => [n.nodeName, [n.nodeId, n.state, n.reason, n.consecutiveFailures]])),
    Object.fromEntries(Object.entries(NODE_STATES).map(([name, state]) => [name, [sim.idOf(name), state, reasons[name], 0]])),
  );
  // each node's latest transition led to its state; nothing is from before a restart
  for (const [name, state] of Object.entries(NODE_STATES)) {
    const last = s.transitions.filter((t) => t.nodeName === name).at(-1);
    assert.deepEqual([last?.to, last?.reason, last?.beforeRestart], [state, reasons[name], false], name);
  }
});

test("RPC clawbernetes.gpu-inventory and clawbernetes.workloads answer exactly what the tools answer", async () => {
  for (const [method, name, args] of [
    ["clawbernetes.gpu-inventory", "claw_gpu_inventory", {}],
    ["clawbernetes.gpu-inventory", "claw_gpu_inventory", { model: "A100", availableOnly: true }],
    ["clawbernetes.workloads", "claw_workloads", {}],
    ["clawbernetes.workloads", "claw_workloads", { state: "exited" }],
  ]) {
    const viaMethod = await op.call(method, args);
    const viaTool = (await h.tool(gw, name, args)).details;
    assert.deepEqual(withoutFanout(viaMethod), withoutFanout(viaTool), `${method} ${JSON.stringify(args)}`);
  }
  assert.deepEqual((await op.call("clawbernetes.gpu-inventory", { model: "A100", availableOnly: true })).nodes.map((n) => n.gpus.map((g) => g.index)), [[1, 2, 3]]);
});

test("RPC clawbernetes.health-check runs a tick now and answers its snapshot", async () => {
  const before = (await op.call("clawbernetes.fleet-status")).monitor.ticks;
  const p = await op.call("clawbernetes.health-check", {}, 60000);
  assert.ok(p.monitor.ticks > before, `ticks ${before} -> ${p.monitor.ticks}`);
  assert.deepEqual(p.status.nodes, STATE_COUNTS);
  assert.deepEqual(Object.fromEntries(p.nodes.map((n) => [n.nodeName, n.state])), NODE_STATES);
});

test("RPC methods: bad params answer INVALID_REQUEST with the core's message", async () => {
  const bad = await op.request("clawbernetes.workloads", { state: "sleeping" });
  assert.deepEqual([bad.ok, bad.error.code, bad.error.message], [
    false,
    "INVALID_REQUEST",
    'clawbernetes.workloads: state must be one of "running", "exited", "created", "restarting", "paused", "removing", "dead", "unknown", got "sleeping"',
  ]);
  const unknown = await op.request("clawbernetes.gpu-inventory", { nodeId: "gpu-nope" });
  assert.deepEqual([unknown.ok, unknown.error.code, unknown.error.message], [
    false,
    "INVALID_REQUEST",
    'clawbernetes.gpu-inventory: nodeId "gpu-nope" names no connected clawnode; connected: cpu-batch, gpu-a10-noruntime, gpu-a100-hot, gpu-h100-a, gpu-h100-b, gpu-h100-slow, gpu-l4-disk, gpu-rtx-flaky',
  ]);
  const extra = await op.request("clawbernetes.workloads", { verbose: true });
  assert.deepEqual([extra.ok, extra.error.code, extra.error.message], [false, "INVALID_REQUEST", 'clawbernetes.workloads: unknown argument "verbose"; accepted: state, image, nodeId, name']);
});

test("RPC methods need their scopes: a read-only operator reads the snapshot but cannot run a health check", async () => {
  const reader = await h.operator(gw, ["operator.read"]);
  try {
    assert.equal((await reader.call("clawbernetes.fleet-status")).status.nodes.total, 8);
    const res = await reader.request("clawbernetes.health-check");
    assert.deepEqual([res.ok, res.error.code, res.error.message], [false, "FORBIDDEN", "missing scope: operator.write"]);
  } finally {
    reader.close();
  }
});

deployChecks(ctx);

const stateOf = async (name) => (await op.call("clawbernetes.fleet-status")).nodes.find((n) => n.nodeName === name);

test("monitor: a GPU turning hot makes its node unhealthy (transition kept and broadcast), cooling brings it back", async () => {
  const seen = op.events.length;
  await sim.control("hot gpu-h100-b 5 96");
  const hot = await h.eventually(async () => {
    const n = await stateOf("gpu-h100-b");
    return n?.state === "unhealthy" ? n : null;
  }, { what: "gpu-h100-b unhealthy" });
  assert.equal(hot.reason, "GPU 5 at 96 °C (critical at 90 °C)");
  const snap = await op.call("clawbernetes.fleet-status");
  const detail = snap.status.nodeDetails.find((n) => n.nodeName === "gpu-h100-b");
  assert.deepEqual(detail.problems, [{ kind: "gpuTemperature", severity: "critical", message: "GPU 5 at 96 °C (critical at 90 °C)" }]);
  assert.deepEqual(detail.gpus[5], { index: 5, state: "free", utilizationPercent: 0, temperatureC: 96 });
  const t = snap.transitions.at(-1);
  assert.deepEqual([t.nodeName, t.nodeId, t.from, t.to, t.reason, t.beforeRestart], ["gpu-h100-b", sim.idOf("gpu-h100-b"), "healthy", "unhealthy", "GPU 5 at 96 °C (critical at 90 °C)", false]);
  // broadcast to operator clients as plugin.clawbernetes.health-transition: this one change alone
  const events = op.events.slice(seen).filter((e) => e.event === "plugin.clawbernetes.health-transition");
  assert.deepEqual(events.map((e) => e.payload), [{ transitions: [t], more: 0 }]);
  await sim.control("cool gpu-h100-b");
  const cooled = await h.eventually(async () => {
    const n = await stateOf("gpu-h100-b");
    return n?.state === "healthy" ? n : null;
  }, { what: "gpu-h100-b healthy again" });
  assert.equal(cooled.reason, "all checks pass");
});

test("monitor and tools: a node that disconnects is offline ('not connected'), and healthy again after it reconnects", async () => {
  await sim.control("disconnect gpu-h100-b");
  const off = await h.eventually(async () => {
    const n = await stateOf("gpu-h100-b");
    return n?.state === "offline" ? n : null;
  }, { what: "gpu-h100-b offline" });
  assert.deepEqual([off.reason, off.consecutiveFailures], ["not connected", 0]);
  // the tools list a disconnected clawnode as offline, with the reason, not as healthy or absent
  const status = (await h.tool(gw, "claw_fleet_status")).details;
  assert.deepEqual(status.nodes, { ...STATE_COUNTS, healthy: 1, offline: 1 });
  const b = status.nodeDetails.find((n) => n.nodeName === "gpu-h100-b");
  assert.deepEqual([b.state, b.reason, b.gpusTotal, b.problems], ["offline", "not connected", 0, [{ kind: "offline", severity: "critical", message: "not connected" }]]);
  await sim.control("reconnect gpu-h100-b");
  await h.eventually(async () => (await stateOf("gpu-h100-b"))?.state === "healthy", { what: "gpu-h100-b healthy after reconnect", timeoutMs: 45000 });
  const snap = await op.call("clawbernetes.fleet-status");
  const path = snap.transitions.filter((t) => t.nodeName === "gpu-h100-b").map((t) => [t.from, t.to]);
  assert.deepEqual(path.slice(-2), [["healthy", "offline"], ["offline", "healthy"]]);
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
    const off = await h.eventually(async () => {
      const n = await stateOf("gpu-timed");
      return n?.state === "offline" ? n : null;
    }, { what: "gpu-timed offline", timeoutMs: 20000 });
    assert.equal(off.reason, "not connected");
  } finally {
    await timed.stop();
  }
});
