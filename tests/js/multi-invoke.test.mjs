// claw_multi_invoke: all nodes or named ones (a display name several nodes share selects them
// all), refusals of sensitive commands, readOnly, config allow/deny, and secret redaction.
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, textOf, fleetOf, fixtureNodes, invokes, fx, ID } from "./fleet.mjs";

const REDACTED = "[redacted: set multiInvoke.revealSecrets to show]";
const strip = (results) => results.map(({ durationMs, ...rest }) => {
  assert.equal(typeof durationMs, "number");
  assert.ok(durationMs >= 0);
  return rest;
});

test("gpu.metrics on all clawnodes: per-node payload or error, totals; phone/offline/pending nodes never asked", async () => {
  const fleet = fleetOf(fixtureNodes());
  const r = await load({ fleet }).callTool("claw_multi_invoke", { command: "gpu.metrics" });
  const fixture = fx("gpu.metrics");
  const hot = fixtureNodes()[2].answers["gpu.metrics"];
  assert.deepEqual({ ...r.details, results: strip(r.details.results) }, {
    command: "gpu.metrics", total: 5, ok: 4, failed: 1, skipped: 0, sharedNames: [],
    // the bound starts at 32 and grows by one per answered invoke
    fanout: { limit: 32, peakInFlight: 5, retries: 0, overloaded: 0 },
    results: [
      { nodeId: ID.b, nodeName: "cpu-b", ok: true, payload: { count: 0, metrics: [] }, error: null },
      { nodeId: ID.e, nodeName: "dead-e", ok: false, payload: null, error: "gpu.metrics: UNAVAILABLE: COMMAND_ERROR: simulated failure" },
      { nodeId: ID.d, nodeName: "disk-d", ok: true, payload: fixture, error: null },
      { nodeId: ID.a, nodeName: "gpu-a", ok: true, payload: fixture, error: null },
      { nodeId: ID.c, nodeName: "hot-c", ok: true, payload: hot, error: null },
    ],
  });
  assert.deepEqual(invokes(fleet).map(([n, c, p]) => [n, c, p]).sort(), [
    ["cpu-b", "gpu.metrics", {}], ["dead-e", "gpu.metrics", {}], ["disk-d", "gpu.metrics", {}], ["gpu-a", "gpu.metrics", {}], ["hot-c", "gpu.metrics", {}],
  ]);
  const lines = textOf(r).split("\n");
  assert.deepEqual(lines.slice(0, 3), ["gpu.metrics on 5 node(s): 4 ok, 1 failed.", "Failed:", "- dead-e: gpu.metrics: UNAVAILABLE: COMMAND_ERROR: simulated failure"]);
  assert.equal(lines[3], "Answers (full payloads in details):");
  assert.match(lines[4], /^- cpu-b \(\d+ ms\): \{"count":0,"metrics":\[\]\}$/);
  // a payload longer than 160 bytes is cut, and says so
  assert.match(lines[5], /^- disk-d \(\d+ ms\): \{"count":2,"metrics":\[\{"index":0,"memory_total_mb":81559,.*…$/);
  assert.ok(Buffer.byteLength(lines[5].replace(/^- disk-d \(\d+ ms\): /, "")) <= 160, lines[5]);
  assert.equal(lines.length, 8);
});

test("named nodes by id and display name (any case), duplicates once; params passed through", async () => {
  const fleet = fleetOf(fixtureNodes());
  const r = await load({ fleet }).callTool("claw_multi_invoke", { command: "workload.logs", params: { containerId: "3f2a9c1d7e4b", tail: 5 }, nodes: [ID.a, "CPU-B", "gpu-a"] });
  assert.deepEqual(r.details.results.map((x) => [x.nodeName, x.ok]), [["gpu-a", true], ["cpu-b", true]]);
  assert.deepEqual(r.details.results[0].payload, fx("workload.logs"));
  assert.deepEqual([r.details.total, r.details.ok, r.details.failed, r.details.skipped, r.details.sharedNames], [2, 2, 0, 0, []]);
  assert.deepEqual(invokes(fleet).sort(), [["cpu-b", "workload.logs", { containerId: "3f2a9c1d7e4b", tail: 5 }], ["gpu-a", "workload.logs", { containerId: "3f2a9c1d7e4b", tail: 5 }]]);
});

test("a display name several nodes share selects all of them, and the answer says so", async () => {
  const T1 = "a1".repeat(32);
  const T2 = "a2".repeat(32);
  const fleet = fleetOf([{ nodeId: T1, displayName: "ubuntu" }, { nodeId: T2, displayName: "ubuntu" }, { nodeId: ID.a, displayName: "gpu-a" }]);
  const r = await load({ fleet }).callTool("claw_multi_invoke", { command: "node.health", nodes: ["ubuntu"] });
  assert.deepEqual(r.details.results.map((x) => [x.nodeId, x.ok]), [[T1, true], [T2, true]]);
  assert.deepEqual(r.details.sharedNames, [{ name: "ubuntu", nodeIds: [T1, T2] }]);
  assert.deepEqual(textOf(r).split("\n").slice(0, 2), [
    "node.health on 2 node(s): 2 ok, 0 failed.",
    `"ubuntu" is the display name of 2 nodes, so all of them were asked (ids: ${T1}, ${T2}).`,
  ]);
  assert.deepEqual(invokes(fleet).map(([n, c]) => [n, c]), [["ubuntu", "node.health"], ["ubuntu", "node.health"]]);
});

test("a node's command error is data (ok false with the node's message), not a failed call", async () => {
  const r = await load().callTool("claw_multi_invoke", { command: "workload.logs", nodes: ["gpu-a"] });
  assert.deepEqual(strip(r.details.results), [{ nodeId: ID.a, nodeName: "gpu-a", ok: false, payload: null, error: "workload.logs: UNAVAILABLE: COMMAND_ERROR: containerId or name required" }]);
});

test("an unknown node name fails the call naming the connected clawnodes", async () => {
  await assert.rejects(load().callTool("claw_multi_invoke", { command: "node.health", nodes: ["gpu-a", "phone-1"] }), {
    message: 'claw_multi_invoke: nodes "phone-1" names no connected clawnode; connected: cpu-b, dead-e, disk-d, gpu-a, hot-c',
    code: "INVALID_REQUEST",
  });
});

test("sensitive commands are refused with the exact message and nothing is sent", async () => {
  const fleet = fleetOf(fixtureNodes());
  const host = load({ fleet });
  for (const command of ["system.run", "container.exec", "secret.get", "node.drain", "workload.stop"]) {
    await assert.rejects(host.callTool("claw_multi_invoke", { command, params: {} }), {
      message: `claw_multi_invoke: ${command} is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow it by adding "${command}" to plugins.entries.clawbernetes.config.multiInvoke.allow`,
      code: "INVALID_REQUEST",
    });
  }
  assert.deepEqual(fleet.takeLog(), []);
});

test("multiInvoke.allow [system.run] lets system.run through with its params", async () => {
  const fleet = fleetOf(fixtureNodes());
  const r = await load({ fleet, pluginConfig: { multiInvoke: { allow: ["system.run"] } } }).callTool("claw_multi_invoke", { command: "system.run", params: { command: ["echo", "hi"] }, nodes: ["gpu-a"] });
  assert.deepEqual(strip(r.details.results), [{ nodeId: ID.a, nodeName: "gpu-a", ok: true, payload: { exitCode: 0, stderr: "", stdout: "hi\n", success: true }, error: null }]);
  assert.deepEqual(invokes(fleet), [["gpu-a", "system.run", { command: ["echo", "hi"] }]]);
});

test("multiInvoke.deny refuses even a read command", async () => {
  await assert.rejects(load({ pluginConfig: { multiInvoke: { deny: ["gpu.metrics"] } } }).callTool("claw_multi_invoke", { command: "gpu.metrics" }), {
    message: "claw_multi_invoke: gpu.metrics is denied by the operator (multiInvoke.deny)",
    code: "INVALID_REQUEST",
  });
});

test("readOnly refuses any command that changes state (even an allowed one) and still runs reads", async () => {
  const host = load({ pluginConfig: { readOnly: true, multiInvoke: { allow: ["system.run"] } } });
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "node.label", params: { labels: { a: "b" } } }), {
    message: "claw_multi_invoke: node.label changes state and the plugin is read-only (readOnly: true)",
  });
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "system.run", params: { command: ["true"] } }), {
    message: "claw_multi_invoke: system.run changes state and the plugin is read-only (readOnly: true)",
  });
  const r = await host.callTool("claw_multi_invoke", { command: "node.health", nodes: ["gpu-a"] });
  assert.deepEqual(r.details.results[0].payload, fx("node.health"));
});

test("secret.get values are redacted unless revealSecrets", async () => {
  const args = { command: "secret.get", params: { name: "db-creds" }, nodes: ["gpu-a"] };
  const hidden = await load({ pluginConfig: { multiInvoke: { allow: ["secret.get"] } } }).callTool("claw_multi_invoke", args);
  const expected = fx("secret.get");
  expected.data = { password: REDACTED, username: REDACTED };
  assert.deepEqual(hidden.details.results[0].payload, expected);
  assert.equal(textOf(hidden).includes("s3cret"), false);
  assert.equal(JSON.stringify(hidden).includes("s3cret!@#"), false);
  const shown = await load({ pluginConfig: { multiInvoke: { allow: ["secret.get"], revealSecrets: true } } }).callTool("claw_multi_invoke", args);
  assert.deepEqual(shown.details.results[0].payload, fx("secret.get"));
});

test("a command no clawnode declares, a malformed name and a bad argument fail with exact messages, named for the gateway to show", async () => {
  const host = load();
  // named ToolInputError: the gateway answers HTTP 400 with the message instead of hiding it
  const bad = (message) => ({ message: `claw_multi_invoke: ${message}`, code: "INVALID_REQUEST", name: "ToolInputError" });
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "camera.snap" }), {
    message: "claw_multi_invoke: no usable clawnode can be sent camera.snap: none declares it, or the gateway withholds it (a command the nodes declare goes through once it is in gateway.nodes.commands.allow and the nodes reconnected and were approved again)",
    code: "UNAVAILABLE",
    name: "ToolInputError",
  });
  let deep = {};
  for (let i = 0; i < 200; i++) deep = { a: deep };
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "gpu.metrics", params: deep }), bad("arguments are nested too deeply (at most 128 levels)"));
  for (let i = 0; i < 100000; i++) deep = { a: deep };
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "gpu.metrics", params: deep }), bad("arguments are nested too deeply (at most 128 levels)"));
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "gpu.metrics", nodes: [] }), bad("nodes must name at least one node (an id or a display name); omit it for every clawnode"));
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "GPU.metrics" }), bad('command "GPU.metrics" is not a clawnode command name (like gpu.metrics)'));
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "gpu.metrics", params: [] }), bad("params must be a JSON object such as {}, got an array"));
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "gpu.metrics", timeoutMs: 5 }), bad("timeoutMs must be a whole number from 100 to 600000, got 5"));
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "gpu.metrics", nodes: "gpu-a" }), bad('nodes must be an array of strings, e.g. ["gpu-a"], got a string'));
  await assert.rejects(host.callTool("claw_multi_invoke", {}), bad("command is required"));
});

test("without named nodes, clawnodes that do not declare the command are skipped and counted", async () => {
  const nodes = fixtureNodes().slice(0, 2);
  nodes[1].commands = ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list"];
  const r = await load({ fleet: fleetOf(nodes) }).callTool("claw_multi_invoke", { command: "system.info" });
  assert.deepEqual([r.details.total, r.details.ok, r.details.skipped], [1, 1, 1]);
  assert.equal(textOf(r).split("\n")[0], "system.info on 1 node(s): 1 ok, 0 failed (1 clawnode(s) do not declare it).");
});
