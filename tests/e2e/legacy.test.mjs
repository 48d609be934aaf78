// End-to-end, today's clawnode (issue 9): the default simulated fleet connecting as every
// clawnode release does (`clawsim --wire legacy`: protocol 3, platform "linux x86_64", no
// device family), in a gateway with the plugin's default config and
// `gateway.nodes.commands.allow` set to exactly the plugin's describe().allowlist (read from the
// built plugin), as the README tells operators. The five tools and the four methods must give
// the same exact values as on the protocol-4 fleet (expected.mjs).
// Then the same fleet under `nodePolicy: true`: the gateway withholds from a protocol-3 node
// every command a node invoke policy names, so every node is unusable — named, with the reason
// and the fix, never "No clawnode is connected".
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NODE_STATES, nodeDetails, readOnlyToolChecks, STATE_COUNTS, text } from "./expected.mjs";
import * as h from "./harness.mjs";

const withoutFanout = ({ fanout, ...rest }) => rest;

describe("legacy fleet, default config, the documented allowlist", () => {
  let gw;
  let sim;
  let op;
  let allowlist;
  const ctx = () => ({ gw, sim });

  before(async () => {
    h.checkPrerequisites();
    h.buildSim();
    allowlist = await h.documentedAllowlist();
    gw = await h.startGateway({ port: h.PORTS.legacy, label: "legacy", nodeCommandsAllow: allowlist });
    sim = await h.startFleet(gw, { wire: "legacy" });
    op = await h.operator(gw);
  });

  after(async () => {
    op?.close();
    await gw?.stop();
    h.cleanup(gw);
  });

  test("right after the fleet is approved, clawbernetes.fleet-status shows it (not one healthIntervalMs, 60 s, later)", async () => {
    const approvedAt = sim.receivedAt(sim.events.find((e) => e.event === "approved"));
    // the first ticks ran while the nodes waited for approval (unusable); the approval changes
    // how they are listed, which starts a tick at once
    const s = await h.eventually(async () => {
      const p = await op.call("clawbernetes.fleet-status");
      return p.status?.nodes?.total === 8 && p.status.nodes.unusable === 0 ? p : null;
    }, { timeoutMs: 10000, what: "a snapshot of the approved fleet" });
    assert.equal(s.intervalMs, 60000); // the default
    assert.ok(s.checkedAt >= approvedAt, `checked at ${s.checkedAt}, approved at ${approvedAt}`);
    assert.deepEqual(s.status.nodes, STATE_COUNTS);
    assert.deepEqual(Object.fromEntries(s.nodes.map((n) => [n.nodeName, n.state])), NODE_STATES);
  });

  test("node.list: 8 protocol-3 nodes (platform \"linux x86_64\", no device family) approved with exactly the allowlist", async () => {
    assert.deepEqual(allowlist, ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list", "workload.logs", "workload.run"]);
    const { nodes } = await op.call("node.list");
    const ours = nodes.filter((n) => sim.nodes.some((s) => s.nodeId === n.nodeId));
    assert.deepEqual(ours.map((n) => n.displayName).sort(), Object.keys(NODE_STATES).sort());
    for (const n of ours) {
      // "linux x86_64" normalises to platform unknown, whose defaults clawnode does not declare:
      // the allowlist is all it gets
      assert.deepEqual(
        [n.connected, n.approvalState, n.platform, n.deviceFamily ?? null, n.version, [...n.commands].sort()],
        [true, "approved", "linux x86_64", null, "0.1.0", [...allowlist].sort()],
        n.displayName,
      );
    }
  });

  // no sensitive command is allowed: neither by the default plugin config nor by the allowlist
  readOnlyToolChecks(ctx, { transport: "runtime", sensitiveAllowed: false });

  test("the four methods answer what the tools answer, and a tick sees every node", async () => {
    const snap = await op.call("clawbernetes.fleet-status");
    assert.deepEqual(withoutFanout(snap.status), withoutFanout((await h.tool(gw, "claw_fleet_status")).details));
    const reasons = Object.fromEntries(nodeDetails("runtime").map(([name, , reason]) => [name, reason]));
    assert.deepEqual(
      Object.fromEntries(snap.nodes.map((n) => [n.nodeName, [n.state, n.reason]])),
      Object.fromEntries(Object.entries(NODE_STATES).map(([name, state]) => [name, [state, reasons[name]]])),
    );
    assert.deepEqual(withoutFanout(await op.call("clawbernetes.gpu-inventory")), withoutFanout((await h.tool(gw, "claw_gpu_inventory")).details));
    assert.deepEqual(withoutFanout(await op.call("clawbernetes.workloads")), withoutFanout((await h.tool(gw, "claw_workloads")).details));
    const ticks = snap.monitor.ticks;
    const check = await op.call("clawbernetes.health-check", {}, 60000);
    assert.equal(check.monitor.ticks, ticks + 1);
    assert.deepEqual(check.status.nodes, STATE_COUNTS);
  });

  test("claw_deploy on a legacy node: workload.run goes through, the container is seen running, its GPU held", async () => {
    const r = await h.tool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, name: "legacy-run", preferNode: "gpu-h100-a" });
    const d = r.details;
    assert.deepEqual([d.placed, d.started, d.nodeName, d.nodeId, d.gpus, d.name], [true, true, "gpu-h100-a", sim.idOf("gpu-h100-a"), [0], "legacy-run"]);
    assert.deepEqual(d.runParams, { image: "pytorch/pytorch:2.0", gpus: 1, name: "legacy-run" });
    // preferred and feasible: first, marked; gpu-h100-slow (44.5) and gpu-h100-a (22.09) both can host it
    assert.deepEqual(d.candidates.map((c) => [c.nodeName, c.preferred]), [["gpu-h100-a", true], ["gpu-h100-slow", false]]);
    assert.equal(d.confirmation.outcome, "running");
    // watched to the end of deploy.confirmMs (8 s)
    assert.match(d.confirmation.status, /^Up ([89]|1[0-9]) seconds$/);
    assert.equal(text(r).split("\n")[0], `Deployed pytorch/pytorch:2.0 on gpu-h100-a (GPU 0), container ${d.containerId}: running (${d.confirmation.status}).`);
    const w = (await h.tool(gw, "claw_workloads", { name: "legacy-run" })).details.workloads;
    assert.deepEqual(w.map((x) => [x.nodeName, x.state, x.containerId]), [["gpu-h100-a", "running", d.containerId.slice(0, 12)]]);
    const gpu0 = (await h.tool(gw, "claw_gpu_inventory", { nodeId: "gpu-h100-a" })).details.nodes[0].gpus[0];
    assert.deepEqual([gpu0.state, gpu0.heldBy.containerId, gpu0.heldBy.name], ["held", d.containerId, "legacy-run"]);
  });
});

describe("legacy fleet with nodePolicy: true", () => {
  let gw;
  let sim;
  let op;
  // the core's reason for a protocol-3 node under a policy (src/node/entry.rs): what the
  // gateway withholds, why, and the fix
  const LEGACY =
    'a protocol-3 node (platform "linux x86_64"): the gateway withholds from it every command a node invoke policy names, and nodePolicy: true registers one (missing node.health, node.capabilities, gpu.list, gpu.metrics, workload.list); set nodePolicy to false and list the commands in gateway.nodes.commands.allow';
  // gpu-a10-noruntime connects with caps [gpu, nvidia, system] (clawnode sends "container" only
  // when it finds docker or podman): with every command withheld, its node-host client and its
  // "gpu" cap still mark it as a clawnode. All 8, by name:
  const SEEN = Object.keys(NODE_STATES).sort();

  before(async () => {
    h.checkPrerequisites();
    h.buildSim();
    gw = await h.startGateway({ port: h.PORTS.policy, label: "policy", nodeCommandsAllow: await h.documentedAllowlist(), pluginConfig: { nodePolicy: true } });
    sim = await h.startFleet(gw, { wire: "legacy" });
    op = await h.operator(gw);
  });

  after(async () => {
    op?.close();
    await gw?.stop();
    h.cleanup(gw);
  });

  test("node.list: the gateway approved the legacy nodes but withholds every command the policy names", async () => {
    const { nodes } = await op.call("node.list");
    const ours = nodes.filter((n) => sim.nodes.some((s) => s.nodeId === n.nodeId));
    assert.equal(ours.length, 8);
    for (const n of ours) assert.deepEqual([n.connected, n.approvalState, n.commands], [true, "approved", []], n.displayName);
    assert.deepEqual(ours.find((n) => n.displayName === "gpu-a10-noruntime").caps.sort(), ["gpu", "nvidia", "system"]);
  });

  test("claw_fleet_status names every connected clawnode as unusable with the reason and the fix, never 'No clawnode is connected'", async () => {
    const r = await h.tool(gw, "claw_fleet_status");
    const d = r.details;
    assert.deepEqual(d.nodes, { total: 8, healthy: 0, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 8 });
    assert.equal(d.severity, "critical");
    assert.deepEqual(d.nodeDetails.map((n) => [n.nodeName, n.nodeId, n.state, n.reason, n.gpusTotal]), SEEN.map((n) => [n, sim.idOf(n), "unusable", LEGACY, 0]));
    assert.deepEqual(d.problems.map((p) => [p.nodeName, p.severity, p.kind, p.message]), SEEN.map((n) => [n, "critical", "unusable", LEGACY]));
    assert.deepEqual(d.gpus, { total: 0, free: 0, busy: 0, held: 0, unknown: 0, byModel: [] });
    assert.deepEqual(d.failedNodes, []);
    assert.equal(
      text(r),
      [
        "Fleet: 8 clawnodes — 0 healthy, 0 degraded, 0 unhealthy, 8 unusable.",
        "GPUs: 0/0 free.",
        "Memory: 0 GB available of 0 GB. Workloads: 0 running, 0 containers in all.",
        "Problems (8):",
        ...SEEN.map((n) => `- ${n} [critical] ${LEGACY}`),
      ].join("\n"),
    );
  });

  test("claw_deploy and claw_multi_invoke fail UNAVAILABLE naming the connected nodes and the fix", async () => {
    // the first five nodes, "name: reason" joined by " | ", cut at 1500 bytes with "…" (ASCII text)
    const five = SEEN.slice(0, 5).map((n) => `${n}: ${LEGACY}`).join(" | ");
    const listed = `8 clawnode(s) are connected but none can be used: ${five.length > 1500 ? `${five.slice(0, 1497)}…` : five}`;
    assert.equal(await h.toolError(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1 }), `claw_deploy: ${listed}`);
    assert.equal(await h.toolError(gw, "claw_multi_invoke", { command: "gpu.list" }), `claw_multi_invoke: ${listed}`);
    // naming one of them: none is usable, so the same answer
    assert.equal(await h.toolError(gw, "claw_multi_invoke", { command: "gpu.list", nodes: ["gpu-h100-a"] }), `claw_multi_invoke: ${listed}`);
  });

  test("claw_gpu_inventory and claw_workloads ask no node, and name every connected one with the reason and the fix", async () => {
    const failed = SEEN.map((n) => ({ nodeId: sim.idOf(n), nodeName: n, error: LEGACY }));
    const inv = await h.tool(gw, "claw_gpu_inventory");
    assert.deepEqual([inv.details.total, inv.details.nodes, inv.details.failedNodes], [0, [], failed]);
    assert.equal(text(inv).split("\n").slice(0, 3).join("\n"), `GPUs: 0 listed, 0 available, on 0 clawnode(s).\nNodes whose reads failed (8):\n- ${SEEN[0]}: ${LEGACY}`);
    const wl = await h.tool(gw, "claw_workloads");
    assert.deepEqual([wl.details.total, wl.details.workloads, wl.details.failedNodes], [0, [], failed]);
  });

  test("the snapshot and a tick track the same 8 nodes as unusable, with the reason", async () => {
    const check = await op.call("clawbernetes.health-check", {}, 60000);
    assert.deepEqual(check.status.nodes, { total: 8, healthy: 0, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 8 });
    assert.deepEqual(check.nodes.map((n) => [n.nodeName, n.state, n.reason]).sort(), SEEN.map((n) => [n, "unusable", LEGACY]));
    const snap = await op.call("clawbernetes.fleet-status");
    assert.deepEqual(snap.nodes.map((n) => [n.nodeName, n.state, n.reason]).sort(), SEEN.map((n) => [n, "unusable", LEGACY]));
  });
});
