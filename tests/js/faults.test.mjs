// Faults through the built plugin (pkg/ via js-shim) with the fake OpenClaw host: deadlines,
// slow and disconnecting nodes, the HTTP gateway restarting or answering garbage, the agent
// aborting, the monitor stopped mid-tick and ticks longer than the interval, the gateway's
// admission limit of 128 pending invokes, 5000 nodes with 10% failing. Each case is written to
// target/reliability/js-faults.jsonl for docs/RELIABILITY.md.
import { test } from "node:test";
import { createServer } from "node:http";
import { createApi, createFleet, makeNodes, GatewayClientRequestError } from "../support/fake-openclaw.mjs";
import plugin from "../../js-shim/index.js";
import { recorder } from "../support/reliability.mjs";

const { check, servers } = recorder("js-faults");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The plugin registered into a fake host over `fleet`; `wrap(runtime)` may replace runtime.nodes methods first. */
function load({ fleet, pluginConfig = {}, runtime = true, wrap } = {}) {
  const host = createApi({ fleet, pluginConfig, runtime });
  if (wrap) wrap(host.api.runtime.nodes);
  host.register(plugin);
  return host;
}

async function failure(promise) {
  try {
    await promise;
    return "resolved";
  } catch (e) {
    return e.message;
  }
}

const names = (details, key) => details[key].map((f) => f.nodeName).sort();

// ---------------------------------------------------------------------------------------------
// Deadlines and slow nodes

test("a slow node times out at its deadline and does not hold back the others", async () => {
  const nodes = makeNodes(4);
  const slow = nodes[2];
  const fleet = createFleet({ nodes, latency: ({ node }) => (node.nodeId === slow.nodeId ? 1500 : 5) });
  const host = load({ fleet, pluginConfig: { invokeTimeoutMs: 300 } });
  const t0 = performance.now();
  const { details } = await host.callTool("claw_fleet_status");
  const wall = performance.now() - t0;
  check("faults: deadlines", "invokeTimeoutMs 300, one node answering in 1500 ms: that node is unreachable with the gateway's timeout",
    [{ nodeName: "gpu-node-0002", error: "node.capabilities: UNAVAILABLE: TIMEOUT: node invoke timed out" }],
    details.failedNodes.map(({ nodeName, error }) => ({ nodeName, error })));
  check("faults: deadlines", "the three fast nodes' results are all there; the slow one is unreachable", { total: 4, healthy: 3, unreachable: 1, gpus: 6 },
    { total: details.nodes.total, healthy: details.nodes.healthy, unreachable: details.nodes.unreachable, gpus: details.gpus.total });
  check("faults: deadlines", "wall time of the call ≈ the deadline (300 ms ≤ t < 1300 ms), not the slow node's 1500 ms", true, wall >= 300 && wall < 1300);
  await fleet.idle();
});

test("a node whose host never answers is cut off by the core's own deadline (timeout + 1 s grace)", async () => {
  const nodes = makeNodes(3);
  const stuck = nodes[0].nodeId;
  const fleet = createFleet({ nodes, latency: 2 });
  const host = load({
    fleet,
    pluginConfig: { invokeTimeoutMs: 200 },
    wrap: (rt) => {
      const invoke = rt.invoke;
      rt.invoke = (p) => (p.nodeId === stuck ? new Promise(() => {}) : invoke(p));
    },
  });
  const t0 = performance.now();
  const { details } = await host.callTool("claw_gpu_inventory");
  const wall = performance.now() - t0;
  check("faults: deadlines", "invoke promise that never settles: the node fails with 'no answer within 200 ms', the others are listed",
    { failed: [{ nodeName: "gpu-node-0000", error: "node.capabilities: no answer within 200 ms" }], gpus: 4 },
    { failed: details.failedNodes.map(({ nodeName, error }) => ({ nodeName, error })), gpus: details.total });
  check("faults: deadlines", "wall time ≈ timeout + grace (1200 ms ≤ t < 2500 ms)", true, wall >= 1200 && wall < 2500);
});

test("claw_multi_invoke timeoutMs bounds each node; the slow node's result says so, the others are ok", async () => {
  const nodes = makeNodes(3);
  const fleet = createFleet({ nodes, latency: ({ node }) => (node.nodeId === nodes[1].nodeId ? 800 : 3) });
  const host = load({ fleet });
  const t0 = performance.now();
  const { details } = await host.callTool("claw_multi_invoke", { command: "node.health", timeoutMs: 150 });
  const wall = performance.now() - t0;
  check("faults: deadlines", "multi_invoke timeoutMs 150 with one node at 800 ms",
    { ok: 2, failed: 1, error: "node.health: UNAVAILABLE: TIMEOUT: node invoke timed out" },
    { ok: details.ok, failed: details.failed, error: details.results.find((r) => !r.ok).error });
  check("faults: deadlines", "multi_invoke wall time < 800 ms", true, wall < 800);
  await fleet.idle();
});

// ---------------------------------------------------------------------------------------------
// Disconnects

test("a node that disconnects mid-fan-out is failed with the reason; the rest are counted", async () => {
  const nodes = makeNodes(3);
  const gone = nodes[1].nodeId;
  const fleet = createFleet({ nodes, latency: 2 });
  const host = load({
    fleet,
    wrap: (rt) => {
      const invoke = rt.invoke;
      rt.invoke = async (p) => {
        if (p.nodeId === gone && p.command === "node.health") {
          fleet.nodes.get(gone).connected = false;
          throw new GatewayClientRequestError({ code: "UNAVAILABLE", message: "node disconnected (invoke aborted)", details: { code: "NOT_CONNECTED" } });
        }
        return invoke(p);
      };
    },
  });
  const { details } = await host.callTool("claw_fleet_status");
  check("faults: disconnects", "disconnect after node.capabilities, during node.health",
    { total: 3, unreachable: 1, failed: [{ nodeName: "gpu-node-0001", error: "node.health: NOT_CONNECTED: node disconnected (invoke aborted)" }], gpus: 4 },
    { total: details.nodes.total, unreachable: details.nodes.unreachable, failed: details.failedNodes.map(({ nodeName, error }) => ({ nodeName, error })), gpus: details.gpus.total });
  fleet.takeLog();
  const again = await host.callTool("claw_fleet_status");
  check("faults: disconnects", "next call: the disconnected node is listed offline and not asked", { total: 3, healthy: 2, offline: 1, failed: 0, asked: 0 },
    { total: again.details.nodes.total, healthy: again.details.nodes.healthy, offline: again.details.nodes.offline, failed: again.details.failedNodes.length,
      asked: fleet.takeLog().filter((e) => e.op === "invoke" && e.nodeId === gone).length });
});

// ---------------------------------------------------------------------------------------------
// HTTP transport against a real loopback server

/** A gateway stand-in on 127.0.0.1 over `fleet`; `state.mode` switches its answers; can stop and restart on the same port. */
async function gateway(fleet, token) {
  const state = { mode: "ok", garbleNode: null, requests: 0 };
  let server;
  let port = 0;
  const handler = (req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      state.requests++;
      const send = (status, obj) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(typeof obj === "string" ? obj : JSON.stringify(obj));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { ok: false, error: { type: "unauthorized", message: "Unauthorized" } });
      if (state.mode === 404) return send(404, { ok: false, error: { type: "not_found", message: "Tool not available: nodes" } });
      if (state.mode === 500) return send(500, { ok: false, error: { type: "tool_error", message: "tool execution failed" } });
      if (state.mode === "garbage") return send(200, "\u0000\u00ff{{{ not json");
      if (state.mode === "truncated") return send(200, '{"ok":true,"result":{"details":{"nodes":[');
      const parsed = JSON.parse(body);
      if (parsed.action === "status") return send(200, { ok: true, result: { content: [], details: fleet.list({}) } });
      const { node, invokeCommand, invokeParamsJson, invokeTimeoutMs } = parsed.args;
      if (node === state.garbleNode) return send(200, "<html>502 Bad Gateway</html>");
      const out = await fleet.dispatch(node, invokeCommand, JSON.parse(invokeParamsJson), { timeoutMs: invokeTimeoutMs });
      if (!out.ok) return send(500, { ok: false, error: { type: "tool_error", message: "tool execution failed" } });
      send(200, { ok: true, result: { content: [], details: { ok: true, nodeId: node, command: invokeCommand, payload: out.payload } } });
    });
  };
  const start = async () => {
    server = createServer(handler);
    servers.push(server);
    await new Promise((r) => server.listen(port, "127.0.0.1", r));
    port = server.address().port;
  };
  await start();
  return {
    state,
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    stop: () => new Promise((r) => {
      server.close(r);
      server.closeAllConnections();
    }),
    start,
  };
}

test("HTTP transport: the gateway going away and coming back (connection refused, then restart)", async () => {
  const TOKEN = "tok-faults-1";
  const fleet = createFleet({ nodes: makeNodes(3), latency: 1 });
  const gw = await gateway(fleet, TOKEN);
  const host = load({ fleet, runtime: false, pluginConfig: { transport: "http", gatewayUrl: gw.url, gatewayToken: TOKEN } });
  const first = await host.callTool("claw_gpu_inventory");
  check("faults: HTTP gateway", "gateway up: inventory over HTTP", { total: 6, failed: 0 }, { total: first.details.total, failed: first.details.failedNodes.length });
  await gw.stop();
  // The first call may still hold a pooled socket the server closed (UND_ERR_SOCKET); the next finds the port closed.
  const cause = (m) => m.replace(/\((ECONNREFUSED|UND_ERR_SOCKET)\)$/, "(ECONNREFUSED or UND_ERR_SOCKET)");
  const down = `claw_gpu_inventory: cannot reach the gateway at ${gw.url}: fetch failed`;
  check("faults: HTTP gateway", "gateway stopped: the next call names the URL and the network cause",
    `${down} (ECONNREFUSED or UND_ERR_SOCKET)`, cause(await failure(host.callTool("claw_gpu_inventory"))));
  check("faults: HTTP gateway", "gateway down: connection refused names the URL and ECONNREFUSED",
    `${down} (ECONNREFUSED)`, await failure(host.callTool("claw_gpu_inventory")));
  await gw.start();
  const back = await host.callTool("claw_gpu_inventory");
  check("faults: HTTP gateway", "gateway restarted on the same port: the next call works", { total: 6, failed: 0 }, { total: back.details.total, failed: back.details.failedNodes.length });
});

test("HTTP transport: 401, 404, 500, garbage and truncated bodies each give their own message, then it recovers", async () => {
  const TOKEN = "tok-faults-2";
  const fleet = createFleet({ nodes: makeNodes(2), latency: 1 });
  const gw = await gateway(fleet, TOKEN);
  const wrong = load({ fleet, runtime: false, pluginConfig: { transport: "http", gatewayUrl: gw.url, gatewayToken: "not-the-token" } });
  check("faults: HTTP gateway", "HTTP 401 (wrong token)",
    `claw_workloads: the gateway at ${gw.url} refused the token (HTTP 401): set gatewayToken in the plugin config or OPENCLAW_GATEWAY_TOKEN to the gateway's token`,
    await failure(wrong.callTool("claw_workloads")));
  const host = load({ fleet, runtime: false, pluginConfig: { transport: "http", gatewayUrl: gw.url, gatewayToken: TOKEN } });
  const expect = {
    404: `claw_workloads: the gateway at ${gw.url} does not allow the nodes tool over HTTP (HTTP 404): add "nodes" to gateway.tools.allow in openclaw.json, or use transport "runtime" inside the gateway`,
    500: "claw_workloads: gateway error (HTTP 500 tool_error): tool execution failed",
    garbage: "claw_workloads: the gateway answered HTTP 200 with a body that is not JSON",
    truncated: "claw_workloads: the gateway answered HTTP 200 with a body that is not JSON",
  };
  for (const [mode, want] of Object.entries(expect)) {
    gw.state.mode = mode === "404" || mode === "500" ? Number(mode) : mode;
    check("faults: HTTP gateway", `node list answered with ${mode === "404" || mode === "500" ? `HTTP ${mode}` : `a ${mode} body`}`, want, await failure(host.callTool("claw_workloads")));
  }
  gw.state.mode = "ok";
  gw.state.garbleNode = [...fleet.nodes.keys()][0];
  const { details } = await host.callTool("claw_workloads");
  check("faults: HTTP gateway", "one node's invoke answered with an HTML body: that node failed, the other counted",
    { total: 1, failed: ["workload.list: the gateway answered HTTP 200 with a body that is not JSON"] },
    { total: details.total, failed: details.failedNodes.map((f) => f.error) });
  gw.state.garbleNode = null;
  const ok = await host.callTool("claw_workloads");
  check("faults: HTTP gateway", "after the faults: the next call works", { total: 2, failed: 0 }, { total: ok.details.total, failed: ok.details.failedNodes.length });
});

// ---------------------------------------------------------------------------------------------
// Abort

test("the agent aborting mid-fan-out rejects at once and cancels the outstanding invokes", async () => {
  const fleet = createFleet({ nodes: makeNodes(20), latency: 400 });
  const host = load({ fleet });
  const ac = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 100);
  const msg = await failure(host.callTool("claw_fleet_status", {}, { signal: ac.signal }));
  const wall = performance.now() - t0;
  check("faults: abort", "abort after 100 ms of a fan-out whose invokes take 400 ms", "claw_fleet_status: aborted: the call was cancelled before all nodes answered", msg);
  check("faults: abort", "the call ends promptly after the abort (< 400 ms)", true, wall < 400);
  check("faults: abort", "the gateway saw the outstanding invokes cancelled (one per node)", 20, fleet.stats().aborted);
  const after = await failure(host.callTool("claw_multi_invoke", { command: "node.health" }, { signal: AbortSignal.abort() }));
  check("faults: abort", "a signal already aborted: nothing is sent", { msg: "claw_multi_invoke: aborted: the call was cancelled before all nodes answered", sent: 0 },
    { msg: after, sent: fleet.takeLog().filter((e) => e.op === "invoke" && e.command === "node.health" && e.timeoutMs === undefined).length });
  await fleet.idle();
  const next = await host.callTool("claw_workloads");
  check("faults: abort", "the next call after an abort works", 20, next.details.failedNodes.length === 0 ? 20 : -1);
});

// ---------------------------------------------------------------------------------------------
// Monitor

test("a tick longer than the interval is counted, ticks never overlap, and stop() mid-tick leaves nothing running", async () => {
  const nodes = makeNodes(3);
  const fleet = createFleet({ nodes, latency: ({ command }) => (command === "node.health" ? 1500 : 2) });
  let inFlight = 0;
  let maxInFlight = 0;
  let invokes = 0;
  const host = load({
    fleet,
    pluginConfig: { healthIntervalMs: 1000 },
    wrap: (rt) => {
      const invoke = rt.invoke;
      rt.invoke = async (p) => {
        invokes++;
        if (p.command !== "node.health") return invoke(p);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          return await invoke(p);
        } finally {
          inFlight--;
        }
      };
    },
  });
  await host.startServices();
  // first tick 0 → ~1.5 s (overrun); the next starts right after it ends and is mid-flight now
  await sleep(2200);
  await host.stopServices();
  const atStop = invokes;
  await sleep(1500);
  check("faults: monitor", "no invoke is sent after stop() (stopped during a tick, 1.5 s watched)", atStop, invokes);
  check("faults: monitor", "node.health of all nodes in flight at most 3 at once (one per node: ticks never overlap)", true, maxInFlight <= 3);
  const warn = host.logs.filter((l) => l.level === "warn" && /a health check took \d+ ms, longer than healthIntervalMs \(1000\)/.test(l.msg)).length;
  check("faults: monitor", "the overrun is logged once as a warning", 1, warn);
  const snap = await host.callMethod("clawbernetes.fleet-status");
  check("faults: monitor", "snapshot: 1 tick completed, 1 overrun counted, 3 nodes tracked", { ticks: 1, overruns: 1, tracked: 3 },
    { ticks: snap.payload.monitor.ticks, overruns: snap.payload.monitor.overruns, tracked: snap.payload.nodes.length });
  const t0 = performance.now();
  const checkNow = await host.callMethod("clawbernetes.health-check");
  check("faults: monitor", "after a stop mid-tick, health-check runs a fresh tick (not stuck waiting on the dead one)", { ok: true, ticks: 2, joined: 0 },
    { ok: checkNow.ok, ticks: checkNow.payload.monitor.ticks, joined: checkNow.payload.monitor.joined });
  check("faults: monitor", "that tick took about one node.health (< 2.8 s)", true, performance.now() - t0 < 2800);
  await fleet.idle();
});

// ---------------------------------------------------------------------------------------------
// The gateway's admission limit

test("the gateway's admission limit: past it invokes are refused at once, retried, and no node fails", async () => {
  // A gateway admitting only 40 pending invokes: the plugin's bound starts at 32 and grows past 40.
  const small = createFleet({ nodes: makeNodes(200), latency: 5, capacity: 40 });
  const host = load({ fleet: small });
  const { details } = await host.callTool("claw_fleet_status");
  const gw = small.stats();
  check("faults: admission", "200 nodes, a gateway admitting 40 pending invokes: every node answers, the refusals are retried",
    { total: 200, healthy: 200, failedNodes: 0, gpus: 400, pluginCountedEveryRefusal: true, peakPending: 40, retriedEach: true, adapted: true },
    { total: details.nodes.total, healthy: details.nodes.healthy, failedNodes: details.failedNodes.length, gpus: details.gpus.total,
      pluginCountedEveryRefusal: details.fanout.overloaded === gw.overloaded, peakPending: gw.peakPending, retriedEach: details.fanout.retries >= details.fanout.overloaded,
      // the bound halves at the first burst of refusals instead of hammering a full gateway: a handful, not one per node
      adapted: gw.overloaded >= 1 && gw.overloaded <= 20 });
});

test("the real limit of 128 with 500 nodes: three calls at once (monitor tick, agent, dashboard) give exact totals, no node failed", async () => {
  const fleet = createFleet({ nodes: makeNodes(500), latency: 20 });
  const host = load({ fleet });
  const [status, inv, mi] = await Promise.all([
    host.callTool("claw_fleet_status"),
    host.callTool("claw_gpu_inventory"),
    host.callTool("claw_multi_invoke", { command: "gpu.metrics" }),
  ]);
  const tick = await host.callMethod("clawbernetes.health-check");
  const gw = fleet.stats();
  const seen = status.details.fanout.overloaded + mi.details.fanout.overloaded;
  check("faults: admission", "claw_fleet_status, claw_gpu_inventory and claw_multi_invoke at once over 500 nodes (gateway capacity 128)",
    { status: { total: 500, healthy: 500, failed: 0, gpus: 1000 }, inventory: { total: 1000, failed: 0 }, multiInvoke: { total: 500, ok: 500, failed: 0 } },
    { status: { total: status.details.nodes.total, healthy: status.details.nodes.healthy, failed: status.details.failedNodes.length, gpus: status.details.gpus.total },
      inventory: { total: inv.details.total, failed: inv.details.failedNodes.length },
      multiInvoke: { total: mi.details.total, ok: mi.details.ok, failed: mi.details.failed } });
  check("faults: admission", "together the calls share one bound: they never exceed maxConcurrency (120) pending invokes, so the gateway (128) refuses none",
    { peakPending: 120, refused: 0 }, { peakPending: gw.peakPending, refused: gw.overloaded });
  check("faults: admission", "the monitor's tick afterwards: 500 healthy, none failed", { ok: true, total: 500, healthy: 500, failed: 0 },
    { ok: tick.ok, total: tick.payload.status.nodes.total, healthy: tick.payload.status.nodes.healthy, failed: tick.payload.status.failedNodes.length });
  // every refusal the gateway made was counted by the call it refused (the inventory reports no fan-out counters)
  check("faults: admission", "refusals counted by the calls ≤ refusals made by the gateway", true, seen <= gw.overloaded);
});

// ---------------------------------------------------------------------------------------------
// Scale

test("5000 nodes with 10% failing: exact totals and failedNodes", async () => {
  const fleet = createFleet({ nodes: makeNodes(5000, { failEvery: 10 }), latency: 0 });
  const host = load({ fleet });
  const { details, content } = await host.callTool("claw_fleet_status");
  const healthy = [...fleet.nodes.values()].filter((n) => !n.answers["node.health"]);
  const memTotal = healthy.reduce((a, n) => a + n.spec.memTotalMb, 0);
  // a node that answers every command with an error is alive, but its health cannot be read: unhealthy
  check("faults: scale", "claw_fleet_status over 5000 nodes, every 10th failing every command",
    { total: 5000, healthy: 4500, unhealthy: 500, failedNodes: 500, gpus: 9000, memoryTotalMb: memTotal, firstError: "node.capabilities: UNAVAILABLE: COMMAND_ERROR: simulated failure" },
    { total: details.nodes.total, healthy: details.nodes.healthy, unhealthy: details.nodes.unhealthy, failedNodes: details.failedNodes.length, gpus: details.gpus.total, memoryTotalMb: details.memory.totalMb, firstError: details.failedNodes[0].error });
  check("faults: scale", "the summary text stays small (≤ 3500 bytes) and says '…and N more'", true,
    content[0].text.length <= 3500 && content[0].text.includes("…and"));
  check("faults: scale", "the bound on invokes in flight grows to maxConcurrency's default, 120, and no further (the gateway admits 128)",
    { limit: 120, peakInFlightAtMost120: true, refused: 0 },
    { limit: details.fanout.limit, peakInFlightAtMost120: details.fanout.peakInFlight <= 120, refused: fleet.stats().overloaded });
  const inv = await host.callTool("claw_gpu_inventory");
  check("faults: scale", "claw_gpu_inventory over the same fleet", { total: 9000, failedNodes: 500 }, { total: inv.details.total, failedNodes: inv.details.failedNodes.length });
  const mi = await host.callTool("claw_multi_invoke", { command: "node.health" });
  check("faults: scale", "claw_multi_invoke node.health over the same fleet", { total: 5000, ok: 4500, failed: 500 }, { total: mi.details.total, ok: mi.details.ok, failed: mi.details.failed });
});
