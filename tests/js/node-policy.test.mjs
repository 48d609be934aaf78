// Which clawnodes the gateway lets the plugin use: today's clawnode connects with protocol 3 on
// platform "linux x86_64", so a node invoke policy (nodePolicy: true) makes the gateway withhold
// every command it names from it, and a gateway without gateway.nodes.commands.allow lets none of
// the clawnode commands through. Each case names the unusable nodes with the exact fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveCore } from "../../js-shim/core.js";
import { makeNodes } from "../support/fake-openclaw.mjs";
import { load, fleetOf, textOf } from "./fleet.mjs";

const READS = "node.health, node.capabilities, gpu.list, gpu.metrics, workload.list";
const LEGACY =
  'a protocol-3 node (platform "linux x86_64"): the gateway withholds from it every command a node invoke policy names, ' +
  `and nodePolicy: true registers one (missing ${READS}); set nodePolicy to false and list the commands in gateway.nodes.commands.allow`;
const NOT_ALLOWED = `the gateway withholds ${READS}: add them to gateway.nodes.commands.allow, then reconnect the node and approve it`;
const counts = (o) => ({ total: 0, healthy: 0, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0, ...o });
const states = (details) => details.nodeDetails.map((d) => [d.nodeName, d.state, d.reason]);
/** The commands describe() says to put in gateway.nodes.commands.allow. */
const allowlist = (config = {}) => JSON.parse(new LiveCore(JSON.stringify(config), { nodes: { list() {}, invoke() {} } }).get().describe()).allowlist;

// three clawnodes as they connect today, and one protocol-4 node on platform "linux"
const mixed = () => [...makeNodes(3, { busyGpus: 0 }), ...makeNodes(1, { prefix: "modern", protocol: 4, platform: "linux", busyGpus: 0 })];

test("nodePolicy: true over today's clawnodes: each is unusable, named with why and the fix; a protocol-4 linux node still works", async () => {
  const fleet = fleetOf(mixed());
  const host = load({ fleet, pluginConfig: { nodePolicy: true } });
  assert.equal(host.policies.length, 1);
  const { details, content } = await host.callTool("claw_fleet_status");
  assert.deepEqual(details.nodes, counts({ total: 4, healthy: 1, unusable: 3 }));
  assert.deepEqual(states(details), [
    ["gpu-node-0000", "unusable", LEGACY],
    ["gpu-node-0001", "unusable", LEGACY],
    ["gpu-node-0002", "unusable", LEGACY],
    ["modern-0000", "healthy", "all checks pass"],
  ]);
  assert.deepEqual(details.problems.map((p) => [p.nodeName, p.kind, p.severity]), [
    ["gpu-node-0000", "unusable", "critical"], ["gpu-node-0001", "unusable", "critical"], ["gpu-node-0002", "unusable", "critical"],
  ]);
  assert.equal(textOf({ content }).split("\n")[0], "Fleet: 4 clawnodes — 1 healthy, 0 degraded, 0 unhealthy, 3 unusable.");
  // nothing was asked of the nodes the gateway keeps from the plugin
  const asked = new Set(fleet.takeLog().filter((e) => e.op === "invoke").map((e) => fleet.nodes.get(e.nodeId).displayName));
  assert.deepEqual([...asked], ["modern-0000"]);
  // a deploy goes to the one usable node, and rejects the others saying why; naming an unusable one says why
  const d = await host.callTool("claw_deploy", { image: "pytorch/pytorch:2.0", dryRun: true });
  assert.deepEqual(
    [d.details.candidates.map((c) => c.nodeName), d.details.rejected.map((r) => [r.nodeName, r.reasons])],
    [["modern-0000"], ["gpu-node-0000", "gpu-node-0001", "gpu-node-0002"].map((n) => [n, [`unusable: ${LEGACY}`]])],
  );
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "gpu.metrics", nodes: ["gpu-node-0001"] }), {
    message: `claw_multi_invoke: nodes "gpu-node-0001" names gpu-node-0001, which the plugin cannot use: ${LEGACY}`,
    code: "INVALID_REQUEST",
  });
});

test("nodePolicy: true over a fleet of only today's clawnodes: actions fail UNAVAILABLE naming each node and the fix", async () => {
  const host = load({ fleet: fleetOf(makeNodes(2)), pluginConfig: { nodePolicy: true } });
  await assert.rejects(host.callTool("claw_deploy", { image: "pytorch/pytorch:2.0" }), {
    message: `claw_deploy: 2 clawnode(s) are connected but none can be used: gpu-node-0000: ${LEGACY} | gpu-node-0001: ${LEGACY}`,
    code: "UNAVAILABLE",
  });
  const check = await host.callMethod("clawbernetes.health-check");
  assert.deepEqual(check.payload.nodes.map((n) => [n.nodeName, n.state, n.reason]).sort(), [
    ["gpu-node-0000", "unusable", LEGACY],
    ["gpu-node-0001", "unusable", LEGACY],
  ]);
  // the agent hears of it: unusable is as bad as unhealthy
  assert.deepEqual(host.queuedSystemEvents(), [
    `clawbernetes health monitor: 2 nodes changed state.\n- gpu-node-0000: new → unusable (${LEGACY})\n- gpu-node-0001: new → unusable (${LEGACY})`,
  ]);
});

test("the default (no policy) with every declared command allowed: today's clawnodes work", async () => {
  const host = load({ fleet: fleetOf(mixed()) });
  assert.deepEqual(host.policies, []);
  const { details } = await host.callTool("claw_fleet_status");
  assert.deepEqual(details.nodes, counts({ total: 4, healthy: 4 }));
});

test("a gateway with no gateway.nodes.commands.allow lets no clawnode command through; describe().allowlist is the fix", async () => {
  const bare = load({ fleet: fleetOf(makeNodes(2, { busyGpus: 0 })), allowlist: "config" });
  const { details } = await bare.callTool("claw_fleet_status");
  assert.deepEqual(states(details), [["gpu-node-0000", "unusable", NOT_ALLOWED], ["gpu-node-0001", "unusable", NOT_ALLOWED]]);

  const config = { gateway: { nodes: { commands: { allow: allowlist() } } } };
  const fleet = fleetOf(makeNodes(2, { busyGpus: 0 }));
  const fixed = load({ fleet, allowlist: "config", config });
  const ok = await fixed.callTool("claw_fleet_status");
  assert.deepEqual(ok.details.nodes, counts({ total: 2, healthy: 2 }));
  const d = await fixed.callTool("claw_deploy", { image: "pytorch/pytorch:2.0", name: "train-1" });
  assert.deepEqual([d.details.placed, d.details.started], [true, true], "workload.run is in the allowlist");
  // a command the allowlist leaves out is withheld from every node
  await assert.rejects(fixed.callTool("claw_multi_invoke", { command: "system.info" }), {
    message: "claw_multi_invoke: no usable clawnode can be sent system.info: none declares it, or the gateway withholds it (a command the nodes declare goes through once it is in gateway.nodes.commands.allow and the nodes reconnected and were approved again)",
    code: "UNAVAILABLE",
  });
  // read-only needs no workload.run: a deploy then only plans
  assert.deepEqual(allowlist({ readOnly: true }), allowlist().filter((c) => c !== "workload.run"));
});

test("nodePolicy: true with no allow config: a protocol-4 linux node gets the commands from the policy; 'linux x86_64' gets nothing", async () => {
  const nodes = [
    ...makeNodes(1, { prefix: "modern", protocol: 4, platform: "linux" }),
    ...makeNodes(1, { prefix: "odd", protocol: 4, platform: "linux x86_64", deviceFamily: "Linux" }),
  ];
  const host = load({ fleet: fleetOf(nodes), allowlist: "config", pluginConfig: { nodePolicy: true } });
  const { details } = await host.callTool("claw_fleet_status");
  assert.deepEqual(states(details), [
    ["odd-0000", "unusable", `${NOT_ALLOWED}; its platform "linux x86_64" is not "linux", so the plugin's linux node invoke policy does not apply to it`],
    ["modern-0000", "healthy", "all checks pass"],
  ]);
});

test("the README's gateway.nodes.commands.allow snippet is exactly describe().allowlist (read-only set first, then what deploy runs)", async () => {
  const { readFileSync } = await import("node:fs");
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const snippet = readme.match(/"allow": \[([^\]]*)\]/s);
  assert.ok(snippet, "README has the allow snippet");
  const listed = [...snippet[1].matchAll(/"([a-z_.]+)"/g)].map((m) => m[1]);
  assert.deepEqual(listed, allowlist());
  assert.deepEqual(listed.slice(0, allowlist({ readOnly: true }).length), allowlist({ readOnly: true }));
});
