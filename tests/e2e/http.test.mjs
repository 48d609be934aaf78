// End-to-end, HTTP transport: the same tool checks as runtime.test.mjs, with the plugin
// configured `transport: "http"` so it reaches the nodes through the gateway's own
// `POST /tools/invoke` with the `nodes` tool (allowed over HTTP by `gateway.tools.allow`).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CONFIRM_MS, deployChecks, NODE_STATES, readOnlyToolChecks, STATE_COUNTS } from "./expected.mjs";
import * as h from "./harness.mjs";

const SENSITIVE = ["auth.create_key", "system.run"];
let gw;
let sim;
const ctx = () => ({ gw, sim });

before(async () => {
  h.checkPrerequisites();
  h.buildSim();
  gw = await h.startGateway({
    port: h.PORTS.http,
    label: "http",
    toolsAllow: ["nodes", "clawbernetes"],
    nodeCommandsAllow: [...(await h.documentedAllowlist()), ...SENSITIVE],
    pluginConfig: {
      transport: "http",
      gatewayUrl: `http://127.0.0.1:${h.PORTS.http}`,
      healthIntervalMs: 5000,
      multiInvoke: { allow: SENSITIVE },
      deploy: { confirmMs: CONFIRM_MS },
    },
  });
  sim = await h.startFleet(gw);
});

after(async () => {
  await gw?.stop();
  h.cleanup(gw);
});

test("http transport: the gateway's nodes tool answers over HTTP (what the plugin uses)", async () => {
  const { status, body } = await h.invokeTool(gw, "nodes", { action: "status" });
  assert.equal(status, 200, JSON.stringify(body));
  const names = body.result.details.nodes.filter((n) => n.connected).map((n) => n.displayName).sort();
  assert.deepEqual(names, Object.keys(NODE_STATES).sort());
});

readOnlyToolChecks(ctx, { transport: "http", sensitiveAllowed: true });
deployChecks(ctx);

test("http transport: the monitor's snapshot reaches the same node states and totals", async () => {
  const op = await h.operator(gw);
  try {
    const s = await h.eventually(async () => {
      const p = await op.call("clawbernetes.fleet-status");
      // the monitor ticks every 5 s: wait for one after the deploys
      return p.status?.nodes?.total === 8 && p.status.gpus.held === 2 ? p : null;
    }, { what: "a monitor snapshot of 8 nodes after the deploys" });
    assert.deepEqual(Object.fromEntries(s.nodes.map((n) => [n.nodeName, n.state])), NODE_STATES);
    assert.deepEqual(s.status.nodes, STATE_COUNTS);
    // after the deploys: two GPUs held (e2e-train-1 on gpu-h100-slow, e2e-train-2 on gpu-h100-a)
    assert.deepEqual([s.status.gpus.free, s.status.gpus.busy, s.status.gpus.held, s.status.gpus.unknown], [21, 5, 2, 2]);
  } finally {
    op.close();
  }
});
