// Checks that the fake host behaves like the real gateway where plugins can tell the difference.
// Run: node --test tests/support/fake-openclaw.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createFleet,
  createApi,
  createNodesRuntime,
  makeNodes,
  lognormalLatency,
  replay,
  DEFAULT_COMMANDS,
  FIXTURES,
  GatewayClientRequestError,
  PluginTrustRefusalError,
  nodeIdFor,
  runIds,
} from "./fake-openclaw.mjs";
import { statSync } from "node:fs";

const A = "a".repeat(64);
const B = "b".repeat(64);
const twoNodes = (extra = {}) => [
  { nodeId: A, displayName: "node-a", ...extra },
  { nodeId: B, displayName: "node-b", ...extra },
];

test("an invoke resolves with exactly {ok, nodeId, command, payload, payloadJSON} and the fixture payload", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 1 });
  const { api } = createApi({ fleet });
  const res = await api.runtime.nodes.invoke({ nodeId: A, command: "gpu.list", params: {} });
  assert.deepEqual(Object.keys(res), ["ok", "nodeId", "command", "payload", "payloadJSON"]);
  assert.deepEqual(res, { ok: true, nodeId: A, command: "gpu.list", payload: FIXTURES["gpu.list"].response, payloadJSON: null });
});

test("a node serves one invoke at a time, in FIFO order; other nodes run in parallel; queue time is not latency", async () => {
  const starts = [];
  const t0 = performance.now();
  const latency = ({ node, command }) => {
    starts.push({ node: node.displayName, command, at: performance.now() - t0 });
    return 40;
  };
  const fleet = createFleet({ nodes: twoNodes(), latency });
  const { api } = createApi({ fleet });
  const inv = (nodeId, command) => api.runtime.nodes.invoke({ nodeId, command, params: {} }).then(() => command);
  const order = [];
  const all = [inv(A, "node.health"), inv(A, "gpu.list"), inv(A, "gpu.metrics"), inv(B, "workload.list")].map((p) => p.then((c) => order.push(c)));
  await Promise.all(all);
  assert.deepEqual(order, ["node.health", "workload.list", "gpu.list", "gpu.metrics"]);
  const a = starts.filter((s) => s.node === "node-a");
  assert.deepEqual(a.map((s) => s.command), ["node.health", "gpu.list", "gpu.metrics"]);
  assert.ok(a[1].at - a[0].at >= 39, `second invoke started ${a[1].at - a[0].at} ms after the first`);
  assert.ok(a[2].at - a[1].at >= 39);
  const b = starts.find((s) => s.node === "node-b");
  assert.ok(b.at < a[1].at, "node-b did not wait for node-a");
  const st = fleet.stats();
  assert.deepEqual(st.perNode[A], { invokes: { "node.health": 1, "gpu.list": 1, "gpu.metrics": 1 }, busyMs: 120 });
  assert.deepEqual(st.perNode[B], { invokes: { "workload.list": 1 }, busyMs: 40 });
  assert.equal(st.idealMs, 120);
  assert.deepEqual([st.slowestNodeMs, st.busyMsTotal], [120, 160]);
  assert.equal(st.totalInvokes, 4);
  assert.equal(st.maxQueueDepth, 3);
});

test("timeoutMs on a slow node rejects like the gateway: UNAVAILABLE 'TIMEOUT: node invoke timed out'", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 120 });
  const { api } = createApi({ fleet });
  const err = await api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {}, timeoutMs: 30 }).catch((e) => e);
  assert.ok(err instanceof GatewayClientRequestError);
  assert.equal(err.name, "GatewayClientRequestError");
  assert.equal(err.message, "TIMEOUT: node invoke timed out");
  assert.equal(err.code, "UNAVAILABLE");
  assert.equal(err.gatewayCode, "UNAVAILABLE");
  assert.equal(err.retryable, false);
  assert.deepEqual(err.details, { nodeError: { code: "TIMEOUT", message: "node invoke timed out" }, nodeCommandDispatched: true });
  await fleet.idle();
  const st = fleet.stats();
  assert.deepEqual(st.timeoutSummary, { total: 1, slowNode: 1, queued: 0 });
  assert.equal(st.timeouts[0].latencyMs, 120);
  assert.equal(st.perNode[A].busyMs, 120, "the node still spent the time on the timed-out invoke");
});

test("the deadline runs from dispatch: time queued behind the same node's invokes counts, and is reported as queued", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 40 });
  const { api } = createApi({ fleet });
  const first = api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {}, timeoutMs: 60 });
  const second = api.runtime.nodes.invoke({ nodeId: A, command: "gpu.list", params: {}, timeoutMs: 60 }).catch((e) => e);
  assert.equal((await first).ok, true);
  const err = await second;
  assert.equal(err.message, "TIMEOUT: node invoke timed out");
  await fleet.idle();
  const st = fleet.stats();
  assert.deepEqual(st.timeoutSummary, { total: 1, slowNode: 0, queued: 1 });
  assert.equal(st.timeouts[0].command, "gpu.list");
  assert.equal(st.timeouts[0].latencyMs, 40);
  assert.ok(st.timeouts[0].queuedMs >= 39);
  assert.equal(st.perNode[A].busyMs, 80);
});

test("timeoutMs 0 means no deadline; omitted means 30000", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 20 });
  const { api } = createApi({ fleet });
  assert.equal((await api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {}, timeoutMs: 0 })).ok, true);
  assert.equal((await api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {} })).ok, true);
  const bad = await api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {}, timeoutMs: 1.5 }).catch((e) => e);
  assert.equal(bad.code, "INVALID_REQUEST");
});

test("abort rejects at once with signal.reason; the node still serves the invoke", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 80 });
  const { api } = createApi({ fleet });
  const ac = new AbortController();
  const t0 = performance.now();
  const p = api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {}, signal: ac.signal }).catch((e) => e);
  setTimeout(() => ac.abort(), 10);
  const err = await p;
  const waited = performance.now() - t0;
  assert.equal(err.name, "AbortError");
  assert.equal(err.message, "This operation was aborted");
  assert.equal(err, ac.signal.reason);
  assert.ok(waited < 60, `rejected after ${waited} ms`);
  await fleet.idle();
  assert.equal(fleet.stats().perNode[A].busyMs, 80);

  const ac2 = new AbortController();
  const p2 = api.runtime.nodes.invoke({ nodeId: B, command: "node.health", params: {}, signal: ac2.signal }).catch((e) => e);
  ac2.abort("operator cancelled");
  const err2 = await p2;
  assert.equal(err2.name, "AbortError");
  assert.equal(err2.message, "gateway request aborted for node.invoke");
  assert.equal(err2.cause, "operator cancelled");
});

test("an already-aborted signal rejects before anything is sent", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 5 });
  const { api } = createApi({ fleet });
  const ac = new AbortController();
  ac.abort();
  const err = await api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {}, signal: ac.signal }).catch((e) => e);
  assert.equal(err.name, "AbortError");
  assert.equal(fleet.stats().totalInvokes, 0);
  assert.deepEqual(fleet.takeLog(), []);
});

test("disconnected, unknown, pending and undeclared: the gateway's codes and messages", async () => {
  const nodes = [
    { nodeId: A, displayName: "node-a", connected: false },
    { nodeId: B, displayName: "node-b", commands: ["node.health"] },
    { nodeId: "c".repeat(64), displayName: "node-c", approvalState: "pending-approval" },
  ];
  const fleet = createFleet({ nodes, latency: 1 });
  const { api } = createApi({ fleet });
  const call = (nodeId, command) => api.runtime.nodes.invoke({ nodeId, command, params: {} }).catch((e) => e);

  const off = await call(A, "node.health");
  assert.equal(off.code, "UNAVAILABLE");
  assert.equal(off.message, "node not connected");
  assert.deepEqual(off.details, { code: "NOT_CONNECTED", nodeError: { code: "NOT_CONNECTED", message: "node not connected" }, nodeCommandDispatched: false });

  const unknown = await call("d".repeat(64), "node.health");
  assert.equal(unknown.code, "UNAVAILABLE");
  assert.equal(unknown.message, "node pairing changed while invocation was active");
  assert.equal(unknown.retryable, true);
  assert.deepEqual(unknown.details, { code: "PAIRING_CHANGED" });

  const pending = await call("c".repeat(64), "node.health");
  assert.equal(pending.message, "node pairing changed while invocation was active");

  // today's clawnode sends platform "linux x86_64": the gateway names it so in both texts
  const undeclared = await call(B, "gpu.list");
  assert.equal(undeclared.code, "INVALID_REQUEST");
  assert.equal(undeclared.message, 'node command not allowed: "gpu.list" is not in the allowlist for platform "linux x86_64"');
  assert.deepEqual(undeclared.details, { reason: "command not allowlisted", command: "gpu.list" });

  // system.notify is a default of platform "unknown" (what "linux x86_64" normalises to), but node-b does not declare it
  const notSupported = await call(B, "system.notify");
  assert.equal(notSupported.code, "INVALID_REQUEST");
  assert.equal(notSupported.message, 'node command not allowed: the node (platform: linux x86_64) does not support "system.notify"');
  assert.deepEqual(notSupported.details, { reason: "command not declared by node", command: "system.notify" });
});

test("a node command error: plain path 'CODE: message', policy path INVALID_REQUEST with details.code", async () => {
  const answers = { "workload.list": { error: { code: "COMMAND_ERROR", message: "docker: not found" } } };
  // a protocol-4 node on platform "linux": a linux policy applies to it and withholds nothing
  const modern = (extra = {}) => twoNodes({ protocol: 4, platform: "linux", ...extra });
  const fleet = createFleet({ nodes: modern({ answers }), latency: 1 });
  const plain = createApi({ fleet });
  const e1 = await plain.api.runtime.nodes.invoke({ nodeId: A, command: "workload.list", params: {} }).catch((e) => e);
  assert.equal(e1.code, "UNAVAILABLE");
  assert.equal(e1.message, "COMMAND_ERROR: docker: not found");
  assert.deepEqual(e1.details, { nodeError: { code: "COMMAND_ERROR", message: "docker: not found" }, nodeCommandDispatched: true });

  const withPolicy = createApi({ fleet });
  let seen;
  withPolicy.api.registerNodeInvokePolicy({
    commands: ["workload.list", "node.health"],
    defaultPlatforms: ["linux"],
    handle: async (ctx) => {
      seen = { nodeId: ctx.nodeId, command: ctx.command, platform: ctx.node.platform, deviceFamily: ctx.node.deviceFamily };
      return await ctx.invokeNode();
    },
  });
  const e2 = await withPolicy.api.runtime.nodes.invoke({ nodeId: A, command: "workload.list", params: {} }).catch((e) => e);
  assert.deepEqual(seen, { nodeId: A, command: "workload.list", platform: "linux", deviceFamily: "Linux" });
  assert.equal(e2.code, "INVALID_REQUEST");
  assert.equal(e2.message, "docker: not found");
  assert.deepEqual(e2.details, { nodeError: { code: "COMMAND_ERROR", message: "docker: not found" }, nodeCommandDispatched: true, code: "COMMAND_ERROR" });

  const t = createFleet({ nodes: modern(), latency: 50 });
  const timed = createApi({ fleet: t });
  timed.api.registerNodeInvokePolicy({ commands: ["node.health"], defaultPlatforms: ["linux"], handle: (ctx) => ctx.invokeNode() });
  const e3 = await timed.api.runtime.nodes.invoke({ nodeId: A, command: "node.health", params: {}, timeoutMs: 10 }).catch((e) => e);
  assert.equal(e3.code, "INVALID_REQUEST");
  assert.equal(e3.message, "node invoke timed out");
  assert.deepEqual(e3.details, { nodeError: { code: "TIMEOUT", message: "node invoke timed out" }, nodeCommandDispatched: true, code: "TIMEOUT" });
});

test("allowlist 'config': platform defaults, gateway.nodes.commands.allow and linux policies; 'linux x86_64' gets no linux policy", async () => {
  const C = "c".repeat(64);
  const nodes = [
    { nodeId: A, displayName: "modern", protocol: 4, platform: "linux" },
    { nodeId: C, displayName: "today", commands: [...DEFAULT_COMMANDS, "system.notify"] },
  ];
  const fleet = createFleet({ nodes, latency: 1 });
  const config = { gateway: { nodes: { commands: { allow: ["node.health"], deny: ["gpu.metrics"] } } } };
  const host = createApi({ fleet, allowlist: "config", config });
  host.api.registerNodeInvokePolicy({ commands: ["gpu.list", "gpu.metrics"], defaultPlatforms: ["linux"], handle: (ctx) => ctx.invokeNode() });
  const call = (nodeId, command) => host.api.runtime.nodes.invoke({ nodeId, command, params: {} }).then((r) => r.ok, (e) => e.message);
  assert.equal(await call(A, "gpu.list"), true);
  assert.equal(await call(A, "node.health"), true);
  assert.equal(await call(A, "workload.run"), 'node command not allowed: "workload.run" is not in the allowlist for platform "linux"');
  assert.equal(await call(A, "gpu.metrics"), 'node command not allowed: "gpu.metrics" is blocked by gateway.nodes.commands.deny');
  assert.equal(await call(C, "node.health"), true);
  assert.equal(await call(C, "system.notify"), true);
  assert.equal(await call(C, "gpu.list"), 'node command not allowed: "gpu.list" is not in the allowlist for platform "linux x86_64"');
  const { nodes: listed } = await host.api.runtime.nodes.list({});
  // modern: system.run and system.which pass the linux pairing allowlist (desktop host commands)
  assert.deepEqual(listed.map((n) => [n.displayName, n.commands]), [
    ["modern", ["gpu.list", "node.health", "system.run", "system.which"]],
    ["today", ["node.health", "system.notify"]],
  ]);
  assert.deepEqual(listed.map((n) => n.invocableCommands), [["gpu.list", "node.health", "system.run", "system.which"], ["node.health", "system.notify"]]);
});

test("a protocol-3 node loses every policy-named command that is not built in, once any plugin registers a policy", async () => {
  const nodes = [
    { nodeId: A, displayName: "today", caps: ["clawbernetes", "container", "docker", "gpu", "nvidia", "system"] },
    { nodeId: B, displayName: "modern", protocol: 4, platform: "linux" },
  ];
  const fleet = createFleet({ nodes, latency: 1 });
  const host = createApi({ fleet });
  const before = (await host.api.runtime.nodes.list({})).nodes;
  assert.deepEqual(before.map((n) => n.commands.length), [68, 68], "no policy: nothing withheld");
  host.api.registerNodeInvokePolicy({ commands: ["gpu.metrics", "node.health", "system.which"], defaultPlatforms: ["linux"], handle: (ctx) => ctx.invokeNode() });
  const { nodes: listed } = await host.api.runtime.nodes.list({});
  const today = listed.find((n) => n.displayName === "today");
  const modern = listed.find((n) => n.displayName === "modern");
  assert.equal(today.commands.length, 66);
  assert.deepEqual(["gpu.metrics", "node.health", "system.which"].map((c) => today.commands.includes(c)), [false, false, true], "system.which is built in");
  assert.deepEqual(today.caps, ["container", "docker", "gpu", "nvidia", "system"], "the cap named after the plugin is withheld too");
  assert.equal(modern.commands.length, 68);
  const err = await host.api.runtime.nodes.invoke({ nodeId: A, command: "gpu.metrics", params: {} }).catch((e) => e);
  assert.equal(err.code, "INVALID_REQUEST");
  assert.equal(err.message, 'node command not allowed: the node (platform: linux x86_64) does not support "gpu.metrics"');
  assert.deepEqual(err.details, { reason: "command not declared by node", command: "gpu.metrics" });
  assert.equal((await host.api.runtime.nodes.invoke({ nodeId: B, command: "gpu.metrics", params: {} })).ok, true);
});

test("list entries: the gateway's fields; deviceFamily only from protocol 4; pending fields only for operator.admin/pairing callers", async () => {
  const C = "c".repeat(64);
  const nodes = [
    { nodeId: B, displayName: "zeta", commands: ["node.health", "node.capabilities"] },
    { nodeId: A, displayName: "Alpha", protocol: 4, platform: "linux", commands: ["node.health", "node.capabilities"] },
    { nodeId: "e".repeat(64), displayName: "beta", connected: false },
    { nodeId: C, displayName: "gamma", approvalState: "pending-approval", commands: ["node.health", "node.capabilities"] },
  ];
  const fleet = createFleet({ nodes, latency: 1 });
  const { api } = createApi({ fleet });
  const all = await api.runtime.nodes.list();
  assert.deepEqual(all.nodes.map((n) => n.displayName), ["Alpha", "gamma", "zeta", "beta"]);
  const { nodes: listed } = await api.runtime.nodes.list({ connected: true });
  assert.deepEqual(listed.map((n) => n.displayName), ["Alpha", "gamma", "zeta"]);
  const at = fleet.nodes.get(B).connectedAtMs;
  assert.deepEqual(listed[2], {
    nodeId: B, displayName: "zeta", platform: "linux x86_64", version: "0.4.2", clientId: "node-host", clientMode: "node",
    caps: ["container", "docker", "gpu", "nvidia", "system"], commands: ["node.capabilities", "node.health"], approvalState: "approved",
    connectedAtMs: at, lastConnectedAtMs: at, paired: true, connected: true, invocableCommands: ["node.capabilities", "node.health"],
  });
  assert.equal(listed[0].deviceFamily, "Linux");
  assert.equal("deviceFamily" in listed[2], false, "a protocol-3 node sends no deviceFamily");
  // pending approval: caps and commands empty; the pending surface is hidden from a service's synthetic client
  assert.deepEqual([listed[1].caps, listed[1].commands, listed[1].invocableCommands, "pendingDeclaredCommands" in listed[1]], [[], [], [], false]);
  const admin = createApi({ fleet, scopes: ["operator.admin"] });
  const gamma = (await admin.api.runtime.nodes.list({})).nodes.find((n) => n.displayName === "gamma");
  assert.deepEqual([gamma.pendingRequestId, gamma.pendingDeclaredCommands], [`req-${C.slice(0, 8)}`, ["node.capabilities", "node.health"]]);
  const offline = all.nodes[3];
  assert.deepEqual([offline.connected, "invocableCommands" in offline, offline.connectedAtMs], [false, false, undefined]);
});

test("admission: at most 128 invokes pending gateway-wide; past that the overload error at once, retryable false, no details", async () => {
  const nodes = Array.from({ length: 130 }, (_, i) => ({ nodeId: nodeIdFor(`n${i}`), displayName: `n${i}` }));
  const fleet = createFleet({ nodes, latency: 30 });
  const { api } = createApi({ fleet });
  const settled = []; // the order answers and refusals arrive in
  const results = await Promise.all(
    nodes.map((n) =>
      api.runtime.nodes.invoke({ nodeId: n.nodeId, command: "node.health", params: {} }).then(
        () => settled.push("ok") && { ok: true },
        (e) => settled.push("refused") && { e },
      ),
    ),
  );
  const refused = results.filter((r) => r.e);
  assert.equal(results.length - refused.length, 128);
  assert.equal(refused.length, 2);
  assert.deepEqual(settled.slice(0, 3), ["refused", "refused", "ok"], "refused at once, before any node answered");
  for (const { e } of refused) {
    assert.ok(e instanceof GatewayClientRequestError);
    assert.deepEqual(
      { name: e.name, code: e.code, gatewayCode: e.gatewayCode, message: e.message, retryable: e.retryable, details: e.details },
      { name: "GatewayClientRequestError", code: "UNAVAILABLE", gatewayCode: "UNAVAILABLE", message: "WorkerTaskError: worker task capacity reached: code=overloaded", retryable: false, details: undefined },
    );
  }
  assert.deepEqual([fleet.stats().overloaded, fleet.stats().peakPending, fleet.pending], [2, 128, 0]);
  assert.equal(fleet.takeLog().filter((e) => e.op === "invoke").length, 128, "a refused invoke never reaches the node registry");
  // a smaller capacity, set on the fleet
  fleet.capacity = 3;
  const few = await Promise.all(nodes.slice(0, 5).map((n) => api.runtime.nodes.invoke({ nodeId: n.nodeId, command: "node.health", params: {} }).then(() => "ok", (e) => e.message)));
  assert.deepEqual(few, ["ok", "ok", "ok", "WorkerTaskError: worker task capacity reached: code=overloaded", "WorkerTaskError: worker task capacity reached: code=overloaded"]);
  assert.equal((await api.runtime.nodes.invoke({ nodeId: nodes[0].nodeId, command: "node.health", params: {} })).ok, true, "room again once answered");
});

test("state: openKeyedStore is refused for a path-loaded plugin; resolveStateDir gives a scratch dir; trusted plugins get a keyed store", async () => {
  const host = createApi({ fleet: createFleet({ nodes: [] }) });
  const err = (() => {
    try {
      host.api.runtime.state.openKeyedStore({ namespace: "clawbernetes", maxEntries: 16 });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof PluginTrustRefusalError);
  assert.equal(err.code, "PLUGIN_TRUST_REFUSED");
  assert.match(err.message, /^openKeyedStore is only available for trusted plugins in this release\. Plugin "clawbernetes" loaded from ".*js-shim\/index\.js" with origin "config"; reason=record-missing;/);
  const dir = host.api.runtime.state.resolveStateDir();
  assert.equal(statSync(dir).isDirectory(), true);
  assert.notEqual(createApi({}).api.runtime.state.resolveStateDir(), dir, "each api gets its own scratch dir");

  const trusted = createApi({ trusted: true, stateDir: dir });
  const store = trusted.api.runtime.state.openKeyedStore({ namespace: "clawbernetes", maxEntries: 2 });
  await store.register("holds", '{"list":[]}');
  assert.equal(await store.lookup("holds"), '{"list":[]}');
  assert.equal(await store.lookup("monitor"), undefined);
  const again = createApi({ trusted: true, stateDir: dir }).api.runtime.state.openKeyedStore({ namespace: "clawbernetes", maxEntries: 2 });
  assert.equal(await again.lookup("holds"), '{"list":[]}', "kept across registrations with the same state dir");
  await again.register("a", 1);
  await again.register("b", 2);
  assert.deepEqual((await again.entries()).map((e) => e.key), ["a", "b"], "maxEntries evicts the oldest");
  await assert.rejects(again.register("big", "x".repeat(1024 * 1024)), /at most 1 MiB/);
});

test("system events: options and sessionKey required, main canonicalised, duplicates dropped, 20 kept; heartbeats recorded", async () => {
  const host = createApi({});
  const sys = host.api.runtime.system;
  assert.throws(() => sys.enqueueSystemEvent("x"), TypeError);
  assert.throws(() => sys.enqueueSystemEvent("x", {}), TypeError);
  assert.equal(sys.enqueueSystemEvent("  node down  ", { sessionKey: "main" }), true);
  assert.equal(sys.enqueueSystemEvent("node down", { sessionKey: "main" }), false, "the same text at the tail");
  assert.equal(sys.enqueueSystemEvent("", { sessionKey: "main" }), false);
  assert.equal(sys.enqueueSystemEvent("a", { sessionKey: "main", contextKey: "K" }), true);
  assert.equal(sys.enqueueSystemEvent("b", { sessionKey: "main", contextKey: "K" }), true);
  assert.equal(sys.enqueueSystemEvent("a", { sessionKey: "main", contextKey: "k" }), false, "with a contextKey any queued duplicate");
  assert.equal(sys.enqueueSystemEvent("other", { sessionKey: "agent:main:side" }), true);
  assert.deepEqual(host.queuedSystemEvents(), ["node down", "a", "b"]);
  assert.deepEqual(host.systemEvents[0], { text: "node down", sessionKey: "agent:main:main", contextKey: null, accepted: true });
  for (let i = 0; i < 20; i++) sys.enqueueSystemEvent(`e${i}`, { sessionKey: "main" });
  assert.deepEqual(host.queuedSystemEvents(), Array.from({ length: 20 }, (_, i) => `e${i}`));
  sys.requestHeartbeat({ source: "other", intent: "event", reason: "r", sessionKey: "main" });
  assert.deepEqual(host.heartbeats, [{ source: "other", intent: "event", reason: "r", sessionKey: "main" }]);
});

test("makeNodes is deterministic and shapes payloads: GPU count, CPU-only, failing", async () => {
  const n1 = makeNodes(6, { cpuOnlyEvery: 3, failEvery: 5, gpus: (i) => (i === 0 ? 4 : 2), seed: 7 });
  const n2 = makeNodes(6, { cpuOnlyEvery: 3, failEvery: 5, gpus: (i) => (i === 0 ? 4 : 2), seed: 7 });
  assert.deepEqual(n1.map((n) => n.nodeId), n2.map((n) => n.nodeId));
  assert.equal(n1[0].displayName, "gpu-node-0000");
  const fleet = createFleet({ nodes: n1, latency: 0 });
  const { api } = createApi({ fleet });
  const inv = (i, command) => api.runtime.nodes.invoke({ nodeId: n1[i].nodeId, command, params: {} });
  assert.equal((await inv(0, "gpu.metrics")).payload.count, 4);
  assert.deepEqual((await inv(2, "gpu.list")).payload, { count: 0, gpus: [], total_memory_gb: 0 });
  assert.deepEqual((await inv(2, "gpu.metrics")).payload, { count: 0, metrics: [] });
  assert.equal((await inv(2, "node.health")).payload.gpu_count, 0);
  assert.equal((await inv(1, "node.health")).payload.hostname, "gpu-node-0001");
  const err = await inv(4, "node.health").catch((e) => e);
  assert.equal(err.message, "COMMAND_ERROR: simulated failure");
  const fleet2 = createFleet({ nodes: n2, latency: 0 });
  const api2 = createApi({ fleet: fleet2 }).api;
  assert.deepEqual(
    (await api2.runtime.nodes.invoke({ nodeId: n2[1].nodeId, command: "gpu.metrics", params: {} })).payload,
    (await inv(1, "gpu.metrics")).payload,
  );
});

test("clawnode's parameter errors: env as a map, missing image", async () => {
  const fleet = createFleet({ nodes: makeNodes(1), latency: 0 });
  const { api } = createApi({ fleet });
  const id = fleet.nodes.keys().next().value;
  const e1 = await api.runtime.nodes.invoke({ nodeId: id, command: "workload.run", params: { image: "x", env: { A: "1" } } }).catch((e) => e);
  assert.equal(e1.message, "COMMAND_ERROR: invalid type: map, expected a sequence");
  const e2 = await api.runtime.nodes.invoke({ nodeId: id, command: "workload.run", params: {} }).catch((e) => e);
  assert.equal(e2.message, "COMMAND_ERROR: missing field `image`");
  const ok = await api.runtime.nodes.invoke({ nodeId: id, command: "workload.run", params: { image: "pytorch/pytorch:2.0", gpus: 1, env: ["A=1"] } });
  assert.equal(ok.payload.success, true);
  assert.match(ok.payload.containerId, /^[0-9a-f]{64}$/);
});

test("workload.run starts a container that workload.list shows from then on, with the node's runStatus; a function answer replaces the list", async () => {
  const fleet = createFleet({ nodes: [{ nodeId: A, displayName: "node-a" }, { nodeId: B, displayName: "node-b", runStatus: "Exited (1) 1 second ago" }], latency: 0 });
  const { api } = createApi({ fleet });
  const call = (nodeId, command, params = {}) => api.runtime.nodes.invoke({ nodeId, command, params }).then((r) => r.payload);
  const run = await call(A, "workload.run", { image: "pytorch/pytorch:2.0", name: "train-9" });
  const ids = runIds(A, 0);
  assert.deepEqual(run, { containerId: ids.containerId, image: "pytorch/pytorch:2.0", name: "train-9", runtime: "cli", success: true, workloadId: ids.workloadId });
  const unnamed = await call(A, "workload.run", { image: "vllm/vllm-openai:v0.6.0" });
  assert.deepEqual([unnamed.containerId, unnamed.name], [runIds(A, 1).containerId, "vllm-openai-1"]);
  const list = await call(A, "workload.list");
  assert.deepEqual(list.workloads, [
    ...FIXTURES["workload.list"].response.workloads,
    { containerId: ids.containerId.slice(0, 12), image: "pytorch/pytorch:2.0", name: "train-9", status: "Up Less than a second" },
    { containerId: runIds(A, 1).containerId.slice(0, 12), image: "vllm/vllm-openai:v0.6.0", name: "vllm-openai-1", status: "Up Less than a second" },
  ]);
  assert.equal(list.count, 3);
  fleet.nodes.get(A).started[0].status = "Exited (0) 2 seconds ago";
  assert.equal((await call(A, "workload.list")).workloads[1].status, "Exited (0) 2 seconds ago");
  await call(B, "workload.run", { image: "busybox:1.36", name: "oops" });
  assert.equal((await call(B, "workload.list")).workloads.at(-1).status, "Exited (1) 1 second ago");
  fleet.nodes.get(B).answers["workload.list"] = () => ({ count: 0, runtime: "cli", workloads: [] });
  assert.deepEqual((await call(B, "workload.list")).workloads, []);
});

test("the log-normal model: median 20 ms, p99 about 200 ms, deterministic per (seed, node, seq)", () => {
  const lat = lognormalLatency({ seed: 3 });
  const xs = [];
  for (let i = 0; i < 40000; i++) xs.push(lat({ node: { _hash: (i * 2654435761) >>> 0 }, seq: i % 7 }));
  xs.sort((a, b) => a - b);
  assert.ok(xs[20000] >= 19 && xs[20000] <= 21, `median ${xs[20000]}`);
  assert.ok(xs[39600] >= 180 && xs[39600] <= 220, `p99 ${xs[39600]}`);
  assert.equal(lat({ node: { _hash: 42 }, seq: 5 }), lat({ node: { _hash: 42 }, seq: 5 }));
});

test("replay sends the recorded invokes and lists straight to the fleet", async () => {
  const nodes = makeNodes(4);
  const fleet = createFleet({ nodes, latency: 0 });
  const { api } = createApi({ fleet });
  await api.runtime.nodes.list({ connected: true });
  await Promise.all(nodes.map((n) => api.runtime.nodes.invoke({ nodeId: n.nodeId, command: "gpu.metrics", params: {}, timeoutMs: 500 })));
  const log = fleet.takeLog();
  assert.equal(log.length, 5);
  assert.deepEqual(log[1], { op: "invoke", nodeId: nodes[0].nodeId, command: "gpu.metrics", params: {}, timeoutMs: 500 });
  fleet.resetStats();
  const r = await replay(fleet, log);
  assert.deepEqual(r, { invokes: 4, lists: 1, failed: 0 });
  assert.equal(fleet.stats().totalInvokes, 4);
});

test("replay keeps at most `capacity` nodes in flight, so the gateway admits every invoke; the ideal counts the capacity", async () => {
  const nodes = makeNodes(10);
  const fleet = createFleet({ nodes, latency: 10, capacity: 3 });
  const log = nodes.flatMap((n) => [
    { op: "invoke", nodeId: n.nodeId, command: "node.health", params: {} },
    { op: "invoke", nodeId: n.nodeId, command: "gpu.metrics", params: {} },
  ]);
  const r = await replay(fleet, log);
  assert.deepEqual(r, { invokes: 20, lists: 0, failed: 0 });
  const st = fleet.stats();
  assert.deepEqual([st.overloaded, st.peakPending, st.totalInvokes], [0, 3, 20]);
  // 20 invokes of 10 ms, 3 at a time: 200 / 3 ms; the slowest node alone needs 20 ms
  assert.deepEqual([st.slowestNodeMs, st.busyMsTotal, st.idealMs], [20, 200, 200 / 3]);
  // the first invoke was admitted at once; the last answer came after at least 7 rounds of 10 ms
  assert.ok(st.firstAdmittedMs >= 0 && st.firstAdmittedMs < 5, `first admitted at ${st.firstAdmittedMs} ms`);
  assert.ok(st.lastSettledMs >= 66, `last settled at ${st.lastSettledMs} ms`);
  fleet.resetStats();
  const unbounded = await replay(fleet, log, { concurrency: Infinity });
  // all 10 nodes at once: 3 admitted, the other 7 refused twice (their second invoke follows at once)
  assert.deepEqual([unbounded.failed, fleet.stats().overloaded], [14, 14]);
});

test("createApi: register is synchronous, later registrations are ignored, contracts.tools enforced", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 1 });
  const host = createApi({ fleet, manifest: { contracts: { tools: ["t1"] } }, pluginConfig: { readOnly: true } });
  let later;
  host.register({
    register(api) {
      assert.equal(api.registrationMode, "full");
      assert.deepEqual(api.pluginConfig, { readOnly: true });
      api.registerTool({ name: "t1", execute: async (id, params, signal, onUpdate) => ({ content: [{ type: "text", text: `${params.x}` }], details: { hasSignal: Boolean(signal), hasUpdate: typeof onUpdate } }) });
      api.registerTool({ name: "t2", execute: async () => ({}) });
      api.registerGatewayMethod("clawbernetes.fleet-status", ({ params, respond }) => respond(true, { echo: params }), { scope: "operator.read" });
      later = api;
    },
  });
  later.registerTool({ name: "t1b", execute: async () => ({}) });
  assert.equal(host.lateRegistrations, 1);
  assert.deepEqual([...host.tools.keys()], ["t1"]);
  assert.deepEqual(host.errors, ["plugin must declare contracts.tools for: t2"]);
  const r = await host.callTool("t1", { x: 5 });
  assert.deepEqual(r, { content: [{ type: "text", text: "5" }], details: { hasSignal: false, hasUpdate: "undefined" } });
  assert.deepEqual(await host.callMethod("clawbernetes.fleet-status", { a: 1 }), { ok: true, payload: { echo: { a: 1 } }, error: undefined });
  assert.deepEqual(host.methods.get("clawbernetes.fleet-status").opts, { scope: "operator.read" });
  assert.throws(() => createApi({ fleet }).register({ register: async () => {} }), /must be synchronous/);
});

test("services get a ctx whose gatewayEvents.emit checks name, payload and scope like the gateway", async () => {
  const host = createApi({ fleet: createFleet({ nodes: twoNodes(), latency: 1 }) });
  let ctx;
  host.api.registerService({ id: "svc", start: (c) => { ctx = c; }, stop: () => {} });
  await host.startServices();
  assert.equal(typeof ctx.logger.info, "function");
  assert.equal(typeof ctx.stateDir, "string");
  ctx.gatewayEvents.emit("health-transition", { nodeId: A, from: "healthy", to: "degraded" }, { scope: "operator.read" });
  assert.deepEqual(host.events, [{ event: "plugin.clawbernetes.health-transition", name: "health-transition", payload: { nodeId: A, from: "healthy", to: "degraded" }, scope: "operator.read" }]);
  assert.throws(() => ctx.gatewayEvents.emit("health.transition", {}, { scope: "operator.read" }), /invalid plugin gateway event name: health.transition/);
  assert.throws(() => ctx.gatewayEvents.emit("x", {}, {}), /must be an operator scope/);
  assert.throws(() => ctx.gatewayEvents.emit("x", { big: "y".repeat(70000) }, { scope: "operator.read" }), /must be bounded JSON/);
  await host.stopServices();
});

test("runtime:false gives the CLI's unavailable node runtime", () => {
  const { api } = createApi({ runtime: false });
  assert.throws(() => api.runtime.nodes.list({ connected: true }), /only available inside the Gateway/);
});

test("createNodesRuntime works without createApi (the bench's host-only driver)", async () => {
  const fleet = createFleet({ nodes: twoNodes(), latency: 0 });
  const rt = createNodesRuntime(fleet);
  assert.equal((await rt.invoke({ nodeId: B, command: "node.health", params: {} })).payload.hostname, "vm");
});
