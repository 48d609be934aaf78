// What register(api) puts into the host: tools, gateway methods, the service, the node invoke
// policy (only with nodePolicy: true), and how it behaves when called twice or with a bad config;
// the manifest's configSchema against the config the core accepts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createApi, createFleet } from "../support/fake-openclaw.mjs";
import { LiveCore } from "../../js-shim/core.js";
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
// Commands that change state but are not sensitive, plus workload.run (claw_deploy's own).
const WRITES = [
  "alerts.acknowledge", "alerts.create", "autoscale.adjust", "autoscale.create", "backup.create", "config.create",
  "config.update", "cron.resume", "cron.suspend", "cron.trigger", "deploy.pause", "deploy.promote", "events.emit",
  "ingress.create", "namespace.create", "namespace.set_quota", "network.policy.create", "node.label", "node.taint",
  "policy.create", "secret.create", "service.create", "volume.snapshot", "workload.run",
];
// Refused by claw_multi_invoke unless allowed by name (workload.run too: it is claw_deploy's,
// which checks its arguments, so it stays in the policy above).
const SENSITIVE = [
  "auth.create_key", "auth.revoke_key", "backup.restore", "config.delete", "container.exec", "cron.create", "deploy.create",
  "deploy.delete", "deploy.rollback", "deploy.update", "ingress.delete", "job.create", "job.delete", "molt.bid",
  "network.policy.delete", "node.drain", "secret.delete", "secret.get", "secret.rotate", "service.delete", "system.run",
  "autoscale.delete", "volume.create", "volume.delete", "volume.mount", "volume.unmount", "workload.stop",
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
  assert.deepEqual(deploy.gpus, { type: "integer", minimum: 0, maximum: 16, description: "GPUs (default 1; 0 for none)" });
  assert.deepEqual(deploy.strategy.enum, ["binpack", "spread"]);
  // sizes are checked by the core as Docker reads them (the message names the forms), not by a schema pattern
  assert.deepEqual(deploy.memory, { type: "string", minLength: 1, maxLength: 32, description: "Memory limit as Docker reads it, e.g. 32g, 8GB, 512m, 16GiB, 1.5g (0: no limit)" });
  assert.deepEqual(deploy.cpu, { type: "number", minimum: 0.01, maximum: 1024, description: "CPUs (docker --cpus, at least 0.01), e.g. 8 or 0.5" });
  assert.deepEqual(host.tools.get("claw_workloads").parameters.properties.state.enum, [
    "running", "exited", "created", "restarting", "paused", "removing", "dead", "unknown",
  ]);
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

test("default config registers no node invoke policy: for today's protocol-3 clawnode a policy only withholds commands", () => {
  const host = load();
  assert.deepEqual(host.policies, []);
});

test("nodePolicy: true registers one linux policy over reads, workload.run and the non-sensitive writes, no sensitive command", () => {
  const host = load({ pluginConfig: { nodePolicy: true } });
  assert.equal(host.policies.length, 1);
  const [p] = host.policies;
  assert.deepEqual(p.defaultPlatforms, ["linux"]);
  assert.equal(typeof p.handle, "function");
  assert.deepEqual(p.commands, sorted([...READS, ...WRITES]));
  assert.equal(p.commands.length, 65);
  assert.deepEqual(p.commands.filter((c) => SENSITIVE.includes(c)), []);
});

test("nodePolicy with readOnly: true: the policy covers only the 41 read commands (no workload.run, no writes)", () => {
  const host = load({ pluginConfig: { readOnly: true, nodePolicy: true } });
  assert.deepEqual(host.policies[0].commands, READS);
  assert.equal(host.policies[0].commands.includes("workload.run"), false);
});

test("nodePolicy with multiInvoke.allow [system.run] adds exactly system.run", () => {
  const host = load({ pluginConfig: { nodePolicy: true, multiInvoke: { allow: ["system.run"] } } });
  assert.deepEqual(host.policies[0].commands, sorted([...READS, ...WRITES, "system.run"]));
});

test("nodePolicy with multiInvoke.deny drops a command from the policy but never one the tools read", () => {
  const host = load({ pluginConfig: { nodePolicy: true, multiInvoke: { deny: ["node.label", "node.health"] } } });
  assert.deepEqual(host.policies[0].commands, sorted([...READS, ...WRITES]).filter((c) => c !== "node.label"));
});

test("describe(): the commands to put in gateway.nodes.commands.allow, the event, the service, the interval, the node policy, alerts and deploy confirmation", () => {
  const describe = (config) => JSON.parse(new LiveCore(JSON.stringify(config), { nodes: { list() {}, invoke() {} } }).get().describe());
  const d = describe({});
  assert.deepEqual(d.allowlist, ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list", "workload.logs", "workload.run"]);
  assert.deepEqual([d.event, d.service, d.healthIntervalMs, d.policy], ["health-transition", "clawbernetes-health-monitor", 60000, null]);
  assert.deepEqual(d.methods.map((m) => m.name), ["clawbernetes.fleet-status", "clawbernetes.gpu-inventory", "clawbernetes.workloads", "clawbernetes.health-check"]);
  const ro = describe({ readOnly: true, nodePolicy: true, healthIntervalMs: 5000 });
  assert.deepEqual(ro.allowlist, ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list", "workload.logs"]);
  assert.deepEqual([ro.healthIntervalMs, ro.policy.platforms, ro.policy.commands], [5000, ["linux"], READS]);
  assert.deepEqual([d.nodePolicy, d.alerts, d.deploy], [false, { enabled: true, minSeverity: "unhealthy", cooldownMs: 600000 }, { confirmMs: 8000 }]);
  const quiet = describe({ nodePolicy: true, alerts: { enabled: false, minSeverity: "offline", cooldownMs: 0 }, deploy: { confirmMs: 0 } });
  assert.deepEqual([quiet.nodePolicy, quiet.alerts, quiet.deploy], [true, { enabled: false, minSeverity: "offline", cooldownMs: 0 }, { confirmMs: 0 }]);
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
  assert.deepEqual(surfaces[0][3], 0);
  assert.deepEqual(Object.keys(plugin).sort(), ["description", "id", "name", "register"]);
  assert.equal(plugin.id, MANIFEST.id);
});

test("invalid config makes register throw the core's exact message", () => {
  const cases = [
    [{ healthIntervalMs: 10 }, "invalid clawbernetes config: healthIntervalMs must be between 1000 and 86400000, got 10"],
    [{ gatewayUrl: "file:///etc/passwd" }, 'invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got "file:///etc/passwd"'],
    [{ thresholds: { diskWarnPercent: 99 } }, "invalid clawbernetes config: thresholds.diskWarnPercent (99) is above thresholds.diskCritPercent (95): the warning level must not exceed the critical one"],
    [{ alerts: { minSeverity: "loud" } }, "invalid clawbernetes config: alerts.minSeverity: unknown variant `loud`, expected one of `degraded`, `unhealthy`, `offline`"],
    [{ alerts: { cooldownMs: -1 } }, "invalid clawbernetes config: alerts.cooldownMs: invalid value: integer `-1`, expected u64"],
    [{ deploy: { confirmMs: 700000 } }, "invalid clawbernetes config: deploy.confirmMs must be between 0 and 600000, got 700000"],
    [{ nodePolicy: "yes" }, 'invalid clawbernetes config: nodePolicy: invalid type: string "yes", expected a boolean'],
    [{ maxConcurrency: 0 }, "invalid clawbernetes config: maxConcurrency must be between 1 and 100000, got 0"],
    // removed with the redesign: a node that does not answer is unreachable, then offline
    [
      { thresholds: { failuresToUnhealthy: 3 } },
      "invalid clawbernetes config: thresholds.failuresToUnhealthy: unknown field `failuresToUnhealthy`, expected one of `diskWarnPercent`, " +
        "`diskCritPercent`, `memoryWarnPercent`, `memoryCritPercent`, `gpuTempWarnC`, `gpuTempCritC`, `loadPerCpuWarn`, `loadPerCpuCrit`, `failuresToOffline`",
    ],
    [{ transport: "runtime" }, 'transport "runtime" needs api.runtime.nodes, which this host does not offer; use "http"', { runtime: false, fleet: undefined }],
  ];
  for (const [pluginConfig, message, extra = {}] of cases) {
    const host = createApi({ fleet: createFleet({ nodes: [] }), pluginConfig, manifest: MANIFEST, ...extra });
    if (extra.runtime === false) host.api.runtime = {};
    const code = pluginConfig.transport ? "UNAVAILABLE" : "INVALID_REQUEST";
    assert.throws(() => host.register(plugin), { message, code }, JSON.stringify(pluginConfig));
    assert.equal(host.tools.size, 0);
  }
});

// The keys the core accepts, from serde's refusal of an unknown one (top level or inside `section`).
function acceptedKeys(section) {
  const config = section ? { [section]: { bogus: 1 } } : { bogus: 1 };
  try {
    new LiveCore(JSON.stringify(config), { nodes: { list() {}, invoke() {} } });
  } catch (e) {
    // serde: "expected one of `a`, `b`" for several keys, "expected `a`" for one
    const list = e.message.split(/expected (?:one of )?/)[1];
    return list.split(", ").map((k) => k.replaceAll("`", ""));
  }
  throw new Error("the core accepted an unknown key");
}

test("an unknown config key is refused with serde's message naming it and every accepted key", () => {
  const host = createApi({ fleet: createFleet({ nodes: [] }), pluginConfig: { bogus: 1 }, manifest: MANIFEST });
  assert.throws(() => host.register(plugin), {
    message:
      "invalid clawbernetes config: unknown field `bogus`, expected one of `transport`, `gatewayUrl`, `gatewayToken`, `healthIntervalMs`, " +
      "`invokeTimeoutMs`, `maxConcurrency`, `factsTtlMs`, `thresholds`, `multiInvoke`, `readOnly`, `nodePolicy`, `alerts`, `deploy`",
    code: "INVALID_REQUEST",
  });
});

test("the manifest's configSchema declares exactly the keys the core accepts, with the core's defaults", () => {
  // The gateway validates plugins.entries.clawbernetes.config against this schema before the plugin
  // loads (additionalProperties: false), so a key missing here is refused even though the core reads it.
  const schema = MANIFEST.configSchema;
  assert.deepEqual(Object.keys(schema.properties), acceptedKeys());
  for (const section of ["thresholds", "multiInvoke", "alerts", "deploy"]) {
    assert.deepEqual(Object.keys(schema.properties[section].properties), acceptedKeys(section), section);
    assert.equal(schema.properties[section].additionalProperties, false, section);
  }
  const defaults = (props) => Object.fromEntries(Object.entries(props).filter(([, v]) => "default" in v || v.properties).map(([k, v]) => [k, v.properties ? defaults(v.properties) : v.default]));
  assert.deepEqual(defaults(schema.properties), {
    transport: "auto", gatewayUrl: "http://127.0.0.1:18789", healthIntervalMs: 60000, invokeTimeoutMs: 30000, maxConcurrency: 120,
    factsTtlMs: 600000,
    thresholds: {
      diskWarnPercent: 85, diskCritPercent: 95, memoryWarnPercent: 90, memoryCritPercent: 97, gpuTempWarnC: 80, gpuTempCritC: 90,
      loadPerCpuWarn: 2, loadPerCpuCrit: 4, failuresToOffline: 5,
    },
    multiInvoke: { allow: [], deny: [], revealSecrets: false },
    readOnly: false, nodePolicy: false,
    alerts: { enabled: true, minSeverity: "unhealthy", cooldownMs: 600000 },
    deploy: { confirmMs: 8000 },
  });
  // and the core takes every default as given
  const full = { ...defaults(schema.properties), gatewayToken: "t" };
  assert.doesNotThrow(() => new LiveCore(JSON.stringify(full), { nodes: { list() {}, invoke() {} } }));
  assert.deepEqual(schema.properties.alerts.properties.minSeverity.enum, ["degraded", "unhealthy", "offline"]);
});

test("register does no I/O: no node is listed or invoked until a tool runs", () => {
  const fleet = createFleet({ nodes: [{ nodeId: "x".repeat(64) }], latency: 0 });
  load({ fleet });
  assert.deepEqual(fleet.takeLog(), []);
});
