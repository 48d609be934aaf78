// End-to-end, HTTP transport: the same tool checks as runtime.test.mjs, with the plugin
// configured `transport: "http"` so it reaches the nodes through the gateway's own
// `POST /tools/invoke` with the `nodes` tool (allowed over HTTP by `gateway.tools.allow`).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { deployChecks, NODE_STATES, readOnlyToolChecks } from "./expected.mjs";
import * as h from "./harness.mjs";

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
    pluginConfig: {
      transport: "http",
      gatewayUrl: `http://127.0.0.1:${h.PORTS.http}`,
      healthIntervalMs: 5000,
      multiInvoke: { allow: ["system.run", "auth.create_key"] },
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

readOnlyToolChecks(ctx, "http");
deployChecks(ctx, "http");

test("http transport: the monitor's snapshot reaches the same node states", async () => {
  const op = await h.operator(gw);
  try {
    const s = await h.eventually(async () => {
      const p = await op.call("clawbernetes.fleet-status");
      return p.nodes?.length === 8 ? p : null;
    }, { what: "a monitor snapshot of 8 nodes" });
    const states = Object.fromEntries(s.nodes.map((n) => [n.nodeName, n.state]));
    assert.equal(states["gpu-a100-hot"], "unhealthy");
    assert.equal(states["gpu-l4-disk"], "unhealthy");
    assert.equal(states["gpu-h100-a"], "healthy");
  } finally {
    op.close();
  }
});
