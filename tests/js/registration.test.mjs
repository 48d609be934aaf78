// What register(api) puts into the host: tools, gateway methods, the service, the node invoke
// policy, and how it behaves when called twice or with a bad config.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createApi, createFleet } from "../support/fake-openclaw.mjs";
import { load, plugin, MANIFEST } from "./fleet.mjs";

const TOOLS = ["claw_fleet_status", "claw_gpu_inventory", "claw_deploy", "claw_workloads", "claw_multi_invoke"];
const LABELS = ["Fleet status", "GPU inventory", "Deploy workload", "Workloads", "Invoke on many nodes"];

// The commands the tools read and every read command, in sorted order.
const READS = [
  "alerts.list", "audit.query", "auth.list_keys", "autoscale.status", "backup.list", "config.get", "config.list", "cron.list",
  "deploy.history", "deploy.status", "events.query", "gpu.list", "gpu.metrics", "job.logs", "job.status", "metrics.list",
  "metrics.query", "metrics.snapshot", "molt.balance", "molt.discover", "molt.reputation", "molt.status", "namespace.list",
  "namespace.usage", "network.policy.list", "network.status", "node.capabilities", "node.health", "policy.list",
  "policy.validate", "secret.list", "service.endpoints", "service.get", "service.list", "system.info", "system.which",
  "volume.list", "workload.inspect", "workload.list", "workload.logs", "workload.stats",
];
// Commands that change state but are not sensitive, plus workload.run.
const WRITES = [
  "alerts.acknowledge", "alerts.create", "autoscale.adjust", "autoscale.create", "backup.create", "config.create",
  "config.update", "cron.create", "cron.resume", "cron.suspend", "cron.trigger", "deploy.create", "deploy.pause",
  "deploy.promote", "deploy.update", "events.emit", "ingress.create", "job.create", "namespace.create",
  "namespace.set_quota", "network.policy.create", "node.label", "node.taint", "policy.create", "secret.create",
  "service.create", "volume.create", "volume.mount", "volume.snapshot", "workload.run",
];
const SENSITIVE = [
  "auth.create_key", "auth.revoke_key", "backup.restore", "config.delete", "container.exec", "deploy.delete",
  "deploy.rollback", "ingress.delete", "job.delete", "molt.bid", "network.policy.delete", "node.drain", "secret.delete",
  "secret.get", "secret.rotate", "service.delete", "system.run", "autoscale.delete", "volume.delete", "volume.unmount",
  "workload.stop",
];
const sorted = (a) => [...a].sort();

test("registers exactly the five manifest tools, in order, with their labels and object schemas", () => {
  const host = load();
  assert.deepEqual(host.errors, []);
  assert.deepEqual([...host.tools.keys()], TOOLS);
  assert.deepEqual([...host.tools.keys()], MANIFEST.contracts.tools);
  assert.deepEqual([...host.tools.values()].map((t) => t.label), LABELS);
  for (const t of host.tools.values()) {
    assert.equal(typeof t.execute, "function");
    assert.equal(typeof t.description, "string");
    assert.equal(t.parameters.type, "object");
    assert.equal(t.parameters.additionalProperties, false);
  }
});

test("each tool's JSON-schema parameters name exactly the documented arguments and required keys", () => {
  const host = load();
  const params = Object.fromEntries([...host.tools].map(([n, t]) => [n, [Object.keys(t.parameters.properties).sort(), t.parameters.required]]));
  assert.deepEqual(params, {
    claw_fleet_status: [["nodeFilter"], []],
    claw_gpu_inventory: [sorted(["model", "availableOnly", "nodeId"]), []],
    claw_deploy: [
      sorted(["image", "gpus", "memory", "cpu", "env", "command", "name", "volumes", "shmSize", "gpuModel", "minVramMb", "preferNode", "strategy", "dryRun"]),
      ["image"],
    ],
    claw_workloads: [sorted(["state", "image", "nodeId", "name"]), []],
    claw_multi_invoke: [sorted(["command", "params", "nodes", "timeoutMs"]), ["command"]],
  });
  const deploy = host.tools.get("claw_deploy").parameters.properties;
  assert.deepEqual(deploy.gpus, { type: "integer", minimum: 0, maximum: 16, default: 1, description: "GPUs to bind (the node binds devices 0..gpus-1)" });
  assert.deepEqual(deploy.strategy.enum, ["binpack", "spread"]);
  assert.deepEqual(host.tools.get("claw_workloads").parameters.properties.state.enum, ["running", "exited", "created", "restarting", "paused", "dead", "unknown"]);
});

test("registers four gateway methods whose scopes match dashboard.dataBindings (read) and actionVerbs (write)", () => {
  const host = load();
  assert.deepEqual([...host.methods].map(([n, m]) => [n, m.opts.scope]), [
    ["clawbernetes.fleet-status", "operator.read"],
    ["clawbernetes.gpu-inventory", "operator.read"],
    ["clawbernetes.workloads", "operator.read"],
    ["clawbernetes.health-check", "operator.write"],
  ]);
  for (const b of MANIFEST.dashboard.dataBindings) assert.equal(host.methods.get(b.method)?.opts.scope, "operator.read", b.method);
  for (const v of MANIFEST.dashboard.actionVerbs) assert.equal(host.methods.get(v.method)?.opts.scope, "operator.write", v.method);
  assert.equal(MANIFEST.dashboard.dataBindings.length + MANIFEST.dashboard.actionVerbs.length, 4);
});

test("registers the service clawbernetes-health-monitor with start and stop", () => {
  const host = load();
  assert.deepEqual(host.services.map((s) => [s.id, typeof s.start, typeof s.stop]), [["clawbernetes-health-monitor", "function", "function"]]);
});

test("default config: the node invoke policy covers reads, workload.run and the non-sensitive writes on linux, no sensitive command", () => {
  const host = load();
  assert.equal(host.policies.length, 1);
  const [p] = host.policies;
  assert.deepEqual(p.defaultPlatforms, ["linux"]);
  assert.equal(typeof p.handle, "function");
  assert.deepEqual(p.commands, sorted([...READS, ...WRITES]));
  assert.equal(p.commands.length, 71);
  assert.deepEqual(p.commands.filter((c) => SENSITIVE.includes(c)), []);
});

test("readOnly: true: the policy covers only the 41 read commands (no workload.run, no writes)", () => {
  const host = load({ pluginConfig: { readOnly: true } });
  assert.deepEqual(host.policies[0].commands, READS);
  assert.equal(host.policies[0].commands.includes("workload.run"), false);
});

test("multiInvoke.allow [system.run] adds exactly system.run to the default policy", () => {
  const host = load({ pluginConfig: { multiInvoke: { allow: ["system.run"] } } });
  assert.deepEqual(host.policies[0].commands, sorted([...READS, ...WRITES, "system.run"]));
});

test("multiInvoke.deny drops a command from the policy but never one the tools read", () => {
  const host = load({ pluginConfig: { multiInvoke: { deny: ["node.label", "node.health"] } } });
  assert.deepEqual(host.policies[0].commands, sorted([...READS, ...WRITES]).filter((c) => c !== "node.label"));
});

test("register is synchronous and runs twice (full, then discovery) registering the same surface each time", () => {
  const fleet = createFleet({ nodes: [] });
  const surfaces = [];
  for (const registrationMode of ["full", "discovery"]) {
    const host = createApi({ fleet, registrationMode, manifest: MANIFEST });
    const out = plugin.register(host.api);
    assert.equal(out, undefined);
    host.register(() => {});
    surfaces.push([[...host.tools.keys()], [...host.methods.keys()], host.services.map((s) => s.id), host.policies.length]);
  }
  assert.deepEqual(surfaces[0], surfaces[1]);
  assert.deepEqual(surfaces[0][3], 1);
  assert.deepEqual(Object.keys(plugin).sort(), ["description", "id", "name", "register"]);
  assert.equal(plugin.id, MANIFEST.id);
});

test("invalid config makes register throw the core's exact message", () => {
  const cases = [
    [{ healthIntervalMs: 10 }, "invalid clawbernetes config: healthIntervalMs must be between 1000 and 86400000, got 10"],
    [{ gatewayUrl: "file:///etc/passwd" }, 'invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got "file:///etc/passwd"'],
    [{ thresholds: { diskWarnPercent: 99 } }, "invalid clawbernetes config: thresholds.disk: the warning level (99) is above the critical one (95)"],
    [{ transport: "runtime" }, 'transport "runtime" needs api.runtime.nodes, which this host does not offer; use "http"', { runtime: false, fleet: undefined }],
  ];
  for (const [pluginConfig, message, extra = {}] of cases) {
    const host = createApi({ fleet: createFleet({ nodes: [] }), pluginConfig, manifest: MANIFEST, ...extra });
    if (extra.runtime === false) host.api.runtime = {};
    assert.throws(() => host.register(plugin), { message }, JSON.stringify(pluginConfig));
    assert.equal(host.tools.size, 0);
  }
});

test("an unknown config key is refused with serde's message naming it", () => {
  const host = createApi({ fleet: createFleet({ nodes: [] }), pluginConfig: { bogus: 1 }, manifest: MANIFEST });
  assert.throws(() => host.register(plugin), (e) => e.message.startsWith("invalid clawbernetes config: unknown field `bogus`, expected one of `transport`"));
});

test("register does no I/O: no node is listed or invoked until a tool runs", () => {
  const fleet = createFleet({ nodes: [{ nodeId: "x".repeat(64) }], latency: 0 });
  load({ fleet });
  assert.deepEqual(fleet.takeLog(), []);
});
