// The HTTP transport against a real node:http server on 127.0.0.1 that serves POST
// /tools/invoke for the `nodes` tool like the gateway: same results as the runtime transport,
// bearer token sent, each failure with its exact text, and the token never leaks.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { load, fleetOf, fixtureNodes, textOf, deployNodes } from "./fleet.mjs";

const TOKEN = "tok-7f3c9e1d-SECRET-b2a4";

/** A gateway stand-in over `fleet`; `mode` switches its answers ("ok", 401, 404, 500, "html"). */
async function gateway(fleet) {
  const seen = { requests: [], auth: new Set() };
  const state = { mode: "ok" };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const send = (status, obj) => {
        res.writeHead(status, { "content-type": typeof obj === "string" ? "text/html" : "application/json" });
        res.end(typeof obj === "string" ? obj : JSON.stringify(obj));
      };
      seen.auth.add(req.headers.authorization);
      const parsed = JSON.parse(body);
      seen.requests.push({ method: req.method, url: req.url, body: parsed });
      if (state.mode === 401 || req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { ok: false, error: { type: "unauthorized", message: "Unauthorized" } });
      if (state.mode === 404) return send(404, { ok: false, error: { type: "not_found", message: "Tool not available: nodes" } });
      if (state.mode === 500) return send(500, { ok: false, error: { type: "tool_error", message: "tool execution failed" } });
      if (state.mode === "html") return send(200, "<html>gateway starting</html>");
      if (req.method !== "POST" || req.url !== "/tools/invoke" || parsed.tool !== "nodes") return send(404, { ok: false, error: { type: "not_found" } });
      if (parsed.action === "status") return send(200, { ok: true, result: { content: [], details: fleet.list({}) } });
      if (parsed.action === "invoke") {
        const { node, invokeCommand, invokeParamsJson, invokeTimeoutMs } = parsed.args;
        const target = [...fleet.nodes.values()].find((n) => n.nodeId === node || n.displayName === node);
        fleet._record({ op: "invoke", nodeId: target?.nodeId, command: invokeCommand, params: JSON.parse(invokeParamsJson), timeoutMs: invokeTimeoutMs });
        const out = await fleet.dispatch(target?.nodeId, invokeCommand, JSON.parse(invokeParamsJson), { timeoutMs: invokeTimeoutMs });
        if (!out.ok) return send(500, { ok: false, error: { type: "tool_error", message: "tool execution failed" } });
        return send(200, { ok: true, result: { content: [], details: { ok: true, nodeId: target.nodeId, command: invokeCommand, payload: out.payload } } });
      }
      send(400, { ok: false, error: { type: "invalid_request", message: "unknown action" } });
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  servers.push(server);
  return { url, seen, state, close: () => new Promise((r) => server.close(r)) };
}
const servers = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

const httpConfig = (url, extra = {}) => ({ transport: "http", gatewayUrl: url, gatewayToken: TOKEN, ...extra });
// Fixture fleet without dead-e: a failing node looks different over HTTP (see below).
const nodesNoE = () => fixtureNodes().filter((n) => n.displayName !== "dead-e");
// The stand-in answers the nodes tool's status with fleet.list(), the node list as a caller holding
// every operator scope sees it (the gateway token): pending surfaces included. The runtime side of
// a comparison is given the same scopes.
const ADMIN = ["operator.admin"];
const counts = (o) => ({ total: 0, healthy: 0, degraded: 0, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0, ...o });

function assertNoToken(host, ...values) {
  for (const l of host.logs) assert.equal(l.msg.includes(TOKEN), false, l.msg);
  for (const v of values) assert.equal(JSON.stringify(v).includes(TOKEN) || String(v?.message ?? "").includes(TOKEN), false);
  assert.equal(JSON.stringify(host.events).includes(TOKEN), false);
}

test("http transport: the three read tools give the same details and content as the runtime transport", async () => {
  const gw = await gateway(fleetOf(nodesNoE()));
  const viaHttp = load({ fleet: fleetOf(nodesNoE()), pluginConfig: httpConfig(gw.url), runtime: false });
  const viaRuntime = load({ fleet: fleetOf(nodesNoE()), scopes: ADMIN });
  for (const [tool, args] of [["claw_fleet_status", {}], ["claw_gpu_inventory", {}], ["claw_workloads", {}], ["claw_gpu_inventory", { nodeId: "hot-c" }]]) {
    const a = await viaHttp.callTool(tool, args);
    const b = await viaRuntime.callTool(tool, args);
    assert.deepEqual(a, b, tool);
  }
  const status = await viaHttp.callTool("claw_fleet_status");
  assert.deepEqual(status.details.nodes, counts({ total: 6, healthy: 1, degraded: 1, unhealthy: 2, offline: 1, unusable: 1 }));
  assertNoToken(viaHttp, status);
});

test("http transport: every request is POST /tools/invoke with the bearer token and the nodes tool's bodies", async () => {
  const fleet = fleetOf(nodesNoE());
  const gw = await gateway(fleet);
  const host = load({ fleet: fleetOf([]), pluginConfig: httpConfig(gw.url, { invokeTimeoutMs: 7000 }), runtime: false });
  await host.callTool("claw_multi_invoke", { command: "workload.logs", params: { name: "train-1" }, nodes: ["gpu-a"] });
  assert.deepEqual([...gw.seen.auth], [`Bearer ${TOKEN}`]);
  assert.deepEqual(gw.seen.requests, [
    { method: "POST", url: "/tools/invoke", body: { tool: "nodes", action: "status", args: {} } },
    { method: "POST", url: "/tools/invoke", body: { tool: "nodes", action: "invoke", args: { node: "a".repeat(64), invokeCommand: "workload.logs", invokeParamsJson: '{"name":"train-1"}', invokeTimeoutMs: 7000 } } },
  ]);
});

test("http transport: a real deploy sends workload.run params as JSON text and places like runtime", async () => {
  const fleet = fleetOf(deployNodes());
  const gw = await gateway(fleet);
  const host = load({ fleet: fleetOf([]), pluginConfig: httpConfig(gw.url), runtime: false });
  const r = await host.callTool("claw_deploy", { image: "pytorch/pytorch:2.0", env: { EPOCHS: 3 }, command: ["python", "train.py"] });
  assert.equal(r.details.nodeName, "free-2");
  const run = gw.seen.requests.filter((q) => q.body.args.invokeCommand === "workload.run");
  assert.deepEqual(run.map((q) => JSON.parse(q.body.args.invokeParamsJson)), [{ command: ["python", "train.py"], env: ["EPOCHS=3"], gpus: 1, image: "pytorch/pytorch:2.0" }]);
});

// The gateway turns a node's error into HTTP 500 tool_error with the text sanitised: the node
// answered, so it is alive, and its health cannot be read.
test("http transport: a node whose invokes fail is unhealthy with the gateway's sanitised 500 text", async () => {
  const gw = await gateway(fleetOf(fixtureNodes()));
  const { details } = await load({ fleet: fleetOf([]), pluginConfig: httpConfig(gw.url), runtime: false }).callTool("claw_fleet_status");
  const error = "node.capabilities: gateway error (HTTP 500 tool_error): tool execution failed";
  assert.deepEqual(details.failedNodes, [{ nodeId: "e".repeat(64), nodeName: "dead-e", error }]);
  assert.deepEqual(details.nodeDetails[0].reason, `cannot read the node's health: ${error}`);
  assert.deepEqual(details.nodes, counts({ total: 7, healthy: 1, degraded: 1, unhealthy: 3, offline: 1, unusable: 1 }));
});

test("http transport failures: 401, 404, 500, non-JSON body and each with its exact text, then recovers", async () => {
  const gw = await gateway(fleetOf(nodesNoE()));
  const host = load({ fleet: fleetOf([]), pluginConfig: httpConfig(gw.url), runtime: false });
  const errors = [];
  const expect = async (mode, message) => {
    gw.state.mode = mode;
    const err = await host.callTool("claw_fleet_status").then(() => null, (e) => e);
    assert.ok(err, `mode ${mode} should fail`);
    assert.equal(err.message, message, `mode ${mode}`);
    errors.push(err);
  };
  await expect(401, `claw_fleet_status: the gateway at ${gw.url} refused the token (HTTP 401): set gatewayToken in the plugin config or OPENCLAW_GATEWAY_TOKEN to the gateway's token`);
  await expect(404, `claw_fleet_status: the gateway at ${gw.url} does not allow the nodes tool over HTTP (HTTP 404): add "nodes" to gateway.tools.allow in openclaw.json, or use transport "runtime" inside the gateway`);
  await expect(500, "claw_fleet_status: gateway error (HTTP 500 tool_error): tool execution failed");
  await expect("html", "claw_fleet_status: the gateway answered HTTP 200 with a body that is not JSON");
  gw.state.mode = "ok";
  assert.equal((await host.callTool("claw_fleet_status")).details.nodes.total, 6);
  assertNoToken(host, ...errors);
});

test("http transport: connection refused names the gateway URL and the cause, not the token", async () => {
  // a port that was just free: nothing listens there any more
  const probe = createServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${probe.address().port}`;
  await new Promise((r) => probe.close(r));
  const host = load({ fleet: fleetOf([]), pluginConfig: httpConfig(url), runtime: false });
  const refused = await host.callTool("claw_fleet_status").then(() => null, (e) => e);
  assert.equal(refused?.message, `claw_fleet_status: cannot reach the gateway at ${url}: fetch failed (ECONNREFUSED)`);
  assertNoToken(host, refused);
});

test("http transport: a wrong token is refused (401) and the token is in no error, log or result", async () => {
  const gw = await gateway(fleetOf(nodesNoE()));
  const host = load({ fleet: fleetOf([]), pluginConfig: httpConfig(gw.url, { gatewayToken: "wrong-token-XYZ" }), runtime: false });
  const err = await host.callTool("claw_gpu_inventory").then(() => null, (e) => e);
  assert.match(err.message, /refused the token \(HTTP 401\)/);
  assert.equal(err.message.includes("wrong-token-XYZ"), false);
  assert.deepEqual([...gw.seen.auth], ["Bearer wrong-token-XYZ"]);
  assert.equal(JSON.stringify(host.logs).includes("wrong-token-XYZ"), false);
});

test("http transport: the monitor and the RPC methods work over HTTP without leaking the token", async () => {
  const gw = await gateway(fleetOf(nodesNoE()));
  const host = load({ fleet: fleetOf([]), pluginConfig: httpConfig(gw.url), runtime: false });
  const r = await host.callMethod("clawbernetes.health-check");
  assert.equal(r.ok, true);
  assert.deepEqual(r.payload.status.nodes, counts({ total: 6, healthy: 1, degraded: 1, unhealthy: 2, offline: 1, unusable: 1 }));
  assert.deepEqual(r.payload.nodes.map((n) => [n.nodeName, n.state]), [
    ["gpu-a", "healthy"], ["cpu-b", "degraded"], ["hot-c", "unhealthy"], ["disk-d", "unhealthy"], ["off-1", "offline"], ["wait-1", "unusable"],
  ]);
  assertNoToken(host, r);
  gw.state.mode = 404;
  const bad = await host.callMethod("clawbernetes.gpu-inventory");
  assert.deepEqual(bad, { ok: false, payload: undefined, error: { code: "UNAVAILABLE", message: `clawbernetes.gpu-inventory: the gateway at ${gw.url} does not allow the nodes tool over HTTP (HTTP 404): add "nodes" to gateway.tools.allow in openclaw.json, or use transport "runtime" inside the gateway` } });
  assertNoToken(host, bad);
});
