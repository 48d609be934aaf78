// Runs the skills checker over skills/ and proves it catches each kind of mistake
// by planting one error at a time in a synthetic skills tree.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkSkills, checkSkillText, describeSchema, loadData, parseFrontmatter, parseTypeText, schemaOk } from "./checker.mjs";
import { readPluginFacts, SAMPLE_CALLS } from "./plugin-facts.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const d = await loadData(repoRoot);
const FENCE = "```";

/** A valid skill of about 1.7 KB with one call of each kind. */
function validSkill(name) {
  const head = [
    "---",
    `name: ${name}`,
    `description: "Synthetic skill ${name} for the checker's own tests."`,
    ...(d.workflow.has(name) ? ["user-invocable: false"] : []),
    'metadata: {"openclaw": {"emoji": "🧪"}}',
    "---",
    "",
    `# ${name}`,
    "",
    "Start with claw_fleet_status, then read `gpu.metrics` on one node.",
    "",
    `${FENCE}json`,
    '{"tool": "claw_fleet_status", "args": {}}',
    FENCE,
    "",
    `${FENCE}json`,
    '{"command": "workload.run", "params": {"image": "pytorch/pytorch:2.0", "gpus": 1, "env": ["EPOCHS=3"], "command": ["python", "train.py"]}}',
    FENCE,
    "",
    `${FENCE}json`,
    '{"command": "gpu.metrics", "response": {"count": 1, "metrics": [{"index": 0, "utilization_percent": 87, "temperature_c": 71}]}}',
    FENCE,
    "",
  ].join("\n");
  return head + "Filler line to reach the minimum size of a skill.\n".repeat(30);
}

/** Writes a tree of the 20 expected skills (valid), applies `mutate`, returns its path. */
function plantTree(mutate = () => {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claw-skills-"));
  for (const name of d.expected) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, "SKILL.md"), validSkill(name));
  }
  mutate(dir);
  return dir;
}

/** Checks a tree where gpu-cluster's SKILL.md is `text`; returns the errors. */
function errorsFor(text, folder = "gpu-cluster") {
  const dir = plantTree((root) => fs.writeFileSync(path.join(root, folder, "SKILL.md"), text));
  try {
    return checkSkills(dir, d);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Appends a body snippet to a valid skill and returns [text, line of the snippet's first line]. */
function withSnippet(snippet, name = "gpu-cluster") {
  const base = validSkill(name);
  return [base + snippet, base.split("\n").length];
}

function jsonBlock(obj) {
  return `${FENCE}json\n${typeof obj === "string" ? obj : JSON.stringify(obj)}\n${FENCE}\n`;
}

test("the real skills pass the checker", () => {
  assert.deepEqual(checkSkills(path.join(repoRoot, "skills"), d), []);
});

test("there are exactly 20 skill folders, each with SKILL.md", () => {
  const dir = path.join(repoRoot, "skills");
  const names = fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, "SKILL.md")));
  assert.equal(names.length, 20);
  assert.deepEqual(names.sort(), [...d.expected].sort());
});

test("tool names come from the manifest's contracts.tools, and the plugin registers each of them", (t) => {
  if (d.stale) t.diagnostic(d.stale);
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "openclaw.plugin.json"), "utf8"));
  assert.deepEqual([...d.toolNames].sort(), [...manifest.contracts.tools].sort());
  assert.deepEqual(Object.keys(d.tools).sort(), [...manifest.contracts.tools].sort());
});

test("tool parameters are the JSON schemas the plugin registers, not a copy", async () => {
  const facts = await readPluginFacts(repoRoot);
  for (const [name, t] of Object.entries(d.tools)) {
    assert.deepEqual(t.parameters, facts.tools[name].parameters, name);
    assert.equal(t.parameters.type, "object", name);
    assert.equal(t.parameters.additionalProperties, false, name);
  }
  assert.deepEqual(d.tools.claw_deploy.parameters.required, ["image"]);
  assert.deepEqual(d.tools.claw_multi_invoke.parameters.required, ["command"]);
  assert.deepEqual(d.tools.claw_workloads.parameters.properties.state.enum,
    ["running", "exited", "created", "restarting", "paused", "removing", "dead", "unknown"]);
  assert.deepEqual(d.tools.claw_deploy.parameters.properties.strategy.enum, ["binpack", "spread"]);
});

test("skills-data.json holds no tool parameters or result fields", () => {
  const data = JSON.parse(fs.readFileSync(path.join(repoRoot, "tests", "skills", "skills-data.json"), "utf8"));
  assert.deepEqual(Object.keys(data).sort(), ["_about", "absentNamespaces", "gatewayMethods", "hostTools", "sizeBytes", "skills"]);
});

test("tool result fields come from real results of every tool on the fixture fleet", () => {
  assert.deepEqual([...new Set(SAMPLE_CALLS.map(([name]) => name))].sort(), Object.keys(d.tools).sort());
  const paths = (tool) => d.tools[tool].detailPaths;
  const has = (tool, ...wanted) => {
    for (const p of wanted) assert.ok(paths(tool).includes(p), `${tool} details have ${p} (they have: ${paths(tool).join(", ")})`);
  };
  has("claw_deploy", "dryRun", "placed", "started", "strategy", "gpus", "runParams.image", "runParams.env", "candidates[].score",
    "candidates[].preferred", "candidates[].why", "candidates[].gpus", "rejected[].reasons", "attempts[].ok", "attempts[].error",
    "confirmation.outcome", "confirmation.status", "confirmation.logs");
  has("claw_multi_invoke", "command", "results[].payload", "results[].durationMs", "total", "ok", "failed", "skipped",
    "sharedNames", "fanout.limit", "fanout.retries", "fanout.overloaded");
  has("claw_fleet_status", "severity", "nodes.unreachable", "nodes.offline", "nodes.unusable", "gpus.byModel[].free", "gpus.held",
    "gpus.unknown", "memory.availableMb", "problems[].kind", "failedNodes[].error", "nodeDetails[].state", "nodeDetails[].reason",
    "nodeDetails[].cpuCount", "nodeDetails[].loadPerCpu", "nodeDetails[].memoryTotalMb", "nodeDetails[].memoryAvailableMb",
    "nodeDetails[].diskUsedPercent", "nodeDetails[].gpusTotal", "nodeDetails[].gpusFree",
    "nodeDetails[].workloadsRunning", "nodeDetails[].containerRuntime", "nodeDetails[].problems[].severity",
    "nodeDetails[].gpus[].state", "nodeDetails[].gpus[].temperatureC", "fanout.peakInFlight");
  has("claw_gpu_inventory", "nodes[].nodeName", "nodes[].gpus[].available", "nodes[].gpus[].state", "nodes[].gpus[].temperatureC",
    "nodes[].gpus[].heldBy.name", "nodes[].gpus[].heldBy.containerId", "held", "byModel[].available", "failedNodes[].error");
  has("claw_workloads", "workloads[].state", "workloads[].health", "workloads[].exitCode", "counts.dead", "counts.removing", "unhealthy",
    "total", "failedNodes[].nodeName");
  // what the redesign removed is gone: no pending-node list, no flat GPU list
  assert.ok(!paths("claw_fleet_status").includes("pendingNodes"));
  assert.ok(!paths("claw_gpu_inventory").includes("gpus"));
  // a deploy's details never had a score-less candidate or a rank: the draft's guesses are gone
  assert.ok(!paths("claw_deploy").includes("candidates[].rank"));
});

test("the schema subset the tools use is checked and described", () => {
  const gpus = d.tools.claw_deploy.parameters.properties.gpus;
  assert.ok(schemaOk(gpus, 2));
  assert.ok(!schemaOk(gpus, 17));
  assert.ok(!schemaOk(gpus, 1.5));
  assert.equal(describeSchema(gpus), "a whole number in 0..16");
  // sizes are checked by the core as Docker reads them; the schema only bounds the length
  const memory = d.tools.claw_deploy.parameters.properties.memory;
  assert.ok(schemaOk(memory, "32g"));
  assert.ok(schemaOk(memory, "16GiB"));
  assert.equal(memory.pattern, undefined);
  assert.ok(!schemaOk(memory, "x".repeat(33)));
  const env = d.tools.claw_deploy.parameters.properties.env;
  assert.ok(schemaOk(env, { EPOCHS: "3" }));
  assert.ok(schemaOk(env, ["EPOCHS=3"]));
  assert.ok(!schemaOk(env, "EPOCHS=3"));
  assert.ok(!schemaOk(env, { A: { b: 1 } }));
  assert.equal(describeSchema(env), "an object of string, number or boolean values or an array of strings");
  assert.ok(!schemaOk(d.tools.claw_deploy.parameters.properties.command, "python train.py"));
  assert.ok(!schemaOk(d.tools.claw_deploy.parameters.properties.cpu, 0));
  assert.ok(!schemaOk(d.tools.claw_deploy.parameters.properties.cpu, 0.001), "Docker's smallest --cpus is 0.01");
});

test("a synthetic tree of valid skills has no errors", () => {
  const dir = plantTree();
  assert.deepEqual(checkSkills(dir, d), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("planted: no frontmatter", () => {
  const text = validSkill("gpu-cluster").replace(/^---\n/, "");
  assert.deepEqual(errorsFor(text), ["gpu-cluster/SKILL.md: no frontmatter (the file must start with a --- line)"]);
});

test("planted: frontmatter never closed", () => {
  const text = validSkill("gpu-cluster").replace("---\n\n# gpu-cluster", "\n# gpu-cluster");
  assert.deepEqual(errorsFor(text), ["gpu-cluster/SKILL.md: invalid frontmatter: no closing --- line"]);
});

test("planted: metadata that is not valid JSON", () => {
  const text = validSkill("gpu-cluster").replace('{"emoji": "🧪"}}', '{"emoji": "🧪"}');
  const errors = errorsFor(text);
  // the JSON engine's own detail after the colon varies between Node versions
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^gpu-cluster\/SKILL\.md: invalid frontmatter: "metadata": not valid JSON \(.+\)$/);
});

test("planted: a plain description containing ': '", () => {
  const text = validSkill("gpu-cluster").replace(/description: ".*"/, "description: GPUs: list them");
  assert.deepEqual(errorsFor(text), ['gpu-cluster/SKILL.md: invalid frontmatter: "description": a plain value cannot contain ": " (quote it)']);
});

test("planted: name differs from its folder", () => {
  const text = validSkill("gpu-cluster").replace("name: gpu-cluster", "name: gpu-clusters");
  assert.deepEqual(errorsFor(text), ['gpu-cluster/SKILL.md: name "gpu-clusters" differs from its folder "gpu-cluster"']);
});

test("planted: missing description", () => {
  const text = validSkill("gpu-cluster").replace(/description: ".*"\n/, "");
  assert.deepEqual(errorsFor(text), ["gpu-cluster/SKILL.md: missing description"]);
});

test("planted: metadata without an emoji, and a misspelt key", () => {
  const text = validSkill("gpu-cluster").replace('{"openclaw": {"emoji": "🧪"}}', '{"openclaw": {"emoij": "🧪"}}');
  assert.deepEqual(errorsFor(text), [
    'gpu-cluster/SKILL.md: unknown metadata.openclaw key "emoij"',
    "gpu-cluster/SKILL.md: metadata.openclaw.emoji missing",
  ]);
});

test("planted: workflow skill without user-invocable: false", () => {
  const text = validSkill("auto-heal").replace("user-invocable: false\n", "");
  assert.deepEqual(errorsFor(text, "auto-heal"), ["auto-heal/SKILL.md: a workflow skill needs user-invocable: false"]);
});

test("planted: misspelt user-invocable key", () => {
  const text = validSkill("auto-heal").replace("user-invocable: false", "user_invocable: false");
  assert.deepEqual(errorsFor(text, "auto-heal"), [
    'auto-heal/SKILL.md: unknown frontmatter key "user_invocable"',
    "auto-heal/SKILL.md: a workflow skill needs user-invocable: false",
  ]);
});

test("planted: claw_* tool not in contracts.tools, in prose and in a call", () => {
  const [text, line] = withSnippet("Then call claw_node_reboot.\n\n" + jsonBlock({ tool: "claw_gpu_reset", args: {} }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line + 2}: unknown tool "claw_gpu_reset" (not in the manifest's contracts.tools)`,
    `gpu-cluster/SKILL.md:${line}: unknown tool "claw_node_reboot" (not in the manifest's contracts.tools)`,
  ]);
});

test("planted: a tool missing from a manifest's contracts.tools is refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claw-manifest-"));
  const manifestPath = path.join(dir, "openclaw.plugin.json");
  fs.writeFileSync(manifestPath, JSON.stringify({ id: "clawbernetes", contracts: { tools: ["claw_deploy"] } }));
  const md = await loadData(repoRoot, { manifestPath });
  const text = validSkill("gpu-cluster");
  const lines = text.split("\n");
  const prose = lines.findIndex((l) => l.startsWith("Start with claw_fleet_status")) + 1;
  const call = lines.findIndex((l) => l.includes('"tool": "claw_fleet_status"'));
  assert.deepEqual(checkSkillText("gpu-cluster", text, md), [
    `gpu-cluster/SKILL.md:${call}: unknown tool "claw_fleet_status" (not in the manifest's contracts.tools)`,
    `gpu-cluster/SKILL.md:${prose}: unknown tool "claw_fleet_status" (not in the manifest's contracts.tools)`,
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("planted: a tool call with a key the tool does not accept", () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { image: "nginx:1.27", replicas: 2 } }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy does not accept "replicas" (accepted: command, cpu, dryRun, env, gpuModel, gpus, image, memory, minVramMb, name, preferNode, shmSize, strategy, volumes)`,
  ]);
});

test("planted: claw_deploy env as a string and gpus out of range (env as an array is fine)", () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { image: "x", gpus: 17, env: "A=1" } }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy "gpus" must be a whole number in 0..16`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "env" must be an object of string, number or boolean values or an array of strings`,
  ]);
  const [ok] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { image: "x", env: ["A=1"] } }));
  assert.deepEqual(errorsFor(ok), []);
});

test("planted: claw_deploy without image", () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { gpus: 1 } }));
  assert.deepEqual(errorsFor(text), [`gpu-cluster/SKILL.md:${line}: claw_deploy needs "image"`]);
});

test("planted: a clawnode command not in the known list (json, inline and CLI)", () => {
  const [text, line] = withSnippet(
    jsonBlock({ command: "gpu.reset", params: {} })
    + "\nOr read `rbac.check` first.\n"
    + "openclaw nodes invoke --node gpu-01 --command mesh.status --params '{}'\n",
  );
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: unknown clawnode command "gpu.reset"`,
    `gpu-cluster/SKILL.md:${line + 4}: unknown clawnode command "rbac.check"`,
    `gpu-cluster/SKILL.md:${line + 5}: unknown clawnode command "mesh.status"`,
  ]);
});

test("planted: a wildcard that matches no command", () => {
  const [text, line] = withSnippet("Use `volume.backup.*` for it.\n");
  assert.deepEqual(errorsFor(text), [`gpu-cluster/SKILL.md:${line}: no clawnode command matches "volume.backup.*"`]);
});

test("planted: a json block that does not parse", () => {
  const [text, line] = withSnippet(jsonBlock('{"command": "gpu.list", "params": {},}'));
  const errors = errorsFor(text);
  assert.equal(errors.length, 1);
  assert.match(errors[0], new RegExp(`^gpu-cluster/SKILL\\.md:${line}: json block does not parse: `));
});

test("planted: a json block of no known shape", () => {
  const [text, line] = withSnippet(jsonBlock({ gpus: 2 }));
  assert.deepEqual(errorsFor(text), [`gpu-cluster/SKILL.md:${line}: json block is neither a tool call, a command call nor an answer excerpt`]);
});

test("planted: a param key the command does not accept", () => {
  const [text, line] = withSnippet(jsonBlock({ command: "workload.run", params: { image: "x", environment: ["A=1"] } }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: workload.run does not accept param "environment" (accepted: image, name, gpus, command, env, volumes, detach, memory, cpu, shmSize)`,
  ]);
});

test("planted: env as an object and command as a string", () => {
  const [text, line] = withSnippet(jsonBlock({ command: "workload.run", params: { image: "x", env: { EPOCHS: "3" }, command: "python train.py" } }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: workload.run param "command" must be an array of strings`,
    `gpu-cluster/SKILL.md:${line}: workload.run param "env" must be an array of "KEY=VALUE" strings`,
  ]);
});

test("planted: params null, and a missing required param", () => {
  const [text, line] = withSnippet(jsonBlock({ command: "deploy.history", params: null }) + "\n" + jsonBlock({ command: "secret.get", params: {} }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: deploy.history params must be a JSON object ({} at least), not null`,
    `gpu-cluster/SKILL.md:${line + 4}: secret.get needs param "name"`,
  ]);
});

test("planted: neither containerId nor name for workload.stop", () => {
  const [text, line] = withSnippet(jsonBlock({ command: "workload.stop", params: { force: true } }));
  assert.deepEqual(errorsFor(text), [`gpu-cluster/SKILL.md:${line}: workload.stop needs one of "containerId", "name"`]);
});

test("planted: wrong types named in params.json (taint effect, cron schedule, labels)", () => {
  const [text, line] = withSnippet(
    jsonBlock({ command: "node.taint", params: { key: "k", effect: "NoRun" } })
    + jsonBlock({ command: "cron.create", params: { name: "n", image: "i", schedule: "daily" } })
    + jsonBlock({ command: "node.label", params: { labels: { zone: 1 } } }),
  );
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: node.taint param "effect" must be one of NoSchedule, PreferNoSchedule, NoExecute`,
    `gpu-cluster/SKILL.md:${line + 3}: cron.create param "schedule" must be a 5-field cron string like "0 3 * * *"`,
    `gpu-cluster/SKILL.md:${line + 6}: node.label param "labels" must be an object of string values`,
  ]);
});

test("planted: claw_multi_invoke params are checked against the command", () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_multi_invoke", args: { command: "workload.logs", params: { containerId: "abc", lines: 50 } } }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: workload.logs does not accept param "lines" (accepted: containerId, name, tail, follow)`,
  ]);
});

test("planted: the nodes tool with system.run and with params that are not JSON", () => {
  const [text, line] = withSnippet(
    jsonBlock({ tool: "nodes", args: { action: "invoke", node: "gpu-01", invokeCommand: "system.run", invokeParamsJson: '{"command":["nvidia-smi"]}' } })
    + jsonBlock({ tool: "nodes", args: { action: "invoke", node: "gpu-01", invokeCommand: "gpu.list", invokeParamsJson: "{gpus}" } })
    + jsonBlock({ tool: "nodes", args: { action: "invoke", node: "gpu-01", invokeCommand: "workload.run", invokeParamsJson: '{"image":"x","env":{"A":"1"}}' } }),
  );
  const errors = errorsFor(text);
  assert.equal(errors.length, 3);
  assert.equal(errors[0], `gpu-cluster/SKILL.md:${line}: the nodes tool refuses system.run; use claw_multi_invoke (allowed by name in the plugin config)`);
  assert.match(errors[1], new RegExp(`^gpu-cluster/SKILL\\.md:${line + 3}: invokeParamsJson does not parse: `));
  assert.equal(errors[2], `gpu-cluster/SKILL.md:${line + 6}: workload.run param "env" must be an array of "KEY=VALUE" strings`);
});

test("planted: an answer excerpt with a field real nodes do not send", () => {
  const [text, line] = withSnippet(
    jsonBlock({ command: "gpu.metrics", response: { metrics: [{ index: 0, gpu_util: 87 }] } })
    + jsonBlock({ command: "node.capabilities", response: { gpu_available: 2 } }),
  );
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: gpu.metrics answer has no field "metrics[].gpu_util" (it has: index, memory_total_mb, memory_used_mb, power_draw_w, power_limit_w, temperature_c, utilization_percent, uuid)`,
    `gpu-cluster/SKILL.md:${line + 3}: node.capabilities answer has no field "gpu_available" (it has: capabilities, commands, container_runtime, cpu_count, gpu_count, gpu_total_memory_gb, gpus, hostname, labels, total_memory_mb)`,
  ]);
});

test("planted: an answer excerpt for a command with no recorded answer", () => {
  const [text, line] = withSnippet(jsonBlock({ command: "molt.balance", response: { balance: 10 } }));
  assert.deepEqual(errorsFor(text), [`gpu-cluster/SKILL.md:${line}: no recorded answer for molt.balance in the fixtures: do not show its fields`]);
});

test("planted: a tool answer excerpt with a field real results do not have", () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_fleet_status", details: { nodes: { healthy: 3, sick: 1 } } }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_fleet_status details has no field "nodes.sick" (it has: degraded, healthy, offline, total, unhealthy, unreachable, unusable)`,
  ]);
});

test("planted: tool args the registered schemas refuse (pattern, bounds, enum, array, unknown command)", () => {
  const [text, line] = withSnippet(
    jsonBlock({ tool: "claw_deploy", args: { image: "x", memory: "x".repeat(33), cpu: 0, strategy: "pack", command: "python train.py" } })
    + jsonBlock({ tool: "claw_multi_invoke", args: { command: "gpu.reset", timeoutMs: 50 } }),
  );
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy "memory" must be a string of 1..32 characters`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "cpu" must be a number >= 0.01 and <= 1024`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "strategy" must be one of binpack, spread`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "command" must be an array of strings (at most 256 items)`,
    `gpu-cluster/SKILL.md:${line + 3}: unknown clawnode command "gpu.reset"`,
    `gpu-cluster/SKILL.md:${line + 3}: claw_multi_invoke "timeoutMs" must be a whole number in 100..600000`,
  ]);
});

test("planted: deploy details with a field real results do not have", () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", details: { placed: true, candidates: [{ nodeName: "gpu-01", rank: 1 }] } }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy details has no field "candidates[].rank" (it has: gpus, nodeId, nodeName, preferred, score, why)`,
  ]);
});

test("planted: a multi-invoke payload with a field the command's answers do not have", () => {
  const [text, line] = withSnippet(jsonBlock({
    tool: "claw_multi_invoke",
    details: { command: "gpu.metrics", results: [{ nodeName: "gpu-01", ok: true, payload: { metrics: [{ index: 0, gpu_util: 87 }] } }] },
  }));
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: gpu.metrics answer in results[].payload has no field "metrics[].gpu_util" (it has: index, memory_total_mb, memory_used_mb, power_draw_w, power_limit_w, temperature_c, utilization_percent, uuid)`,
  ]);
});

test("planted: a gateway event and a gateway method the plugin does not have", () => {
  const [text, line] = withSnippet("The monitor broadcasts `plugin.clawbernetes.health.transition`; the UI reads `clawbernetes.fleet_status`.\n");
  assert.deepEqual(errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: the plugin broadcasts no gateway event "plugin.clawbernetes.health.transition" (it broadcasts: plugin.clawbernetes.health-transition)`,
    `gpu-cluster/SKILL.md:${line}: the plugin registers no gateway method "clawbernetes.fleet_status" (it registers: clawbernetes.fleet-status, clawbernetes.gpu-inventory, clawbernetes.health-check, clawbernetes.workloads)`,
  ]);
});

test("planted: a skill that is too small and one that is too large", () => {
  const small = validSkill("gpu-cluster").split("Filler")[0];
  const size = Buffer.byteLength(small);
  assert.deepEqual(errorsFor(small), [`gpu-cluster/SKILL.md: size ${size} bytes is outside 1500..12288`]);
  const big = validSkill("gpu-cluster") + "x".repeat(12288);
  assert.deepEqual(errorsFor(big), [`gpu-cluster/SKILL.md: size ${Buffer.byteLength(big)} bytes is outside 1500..12288`]);
});

test("planted: the wrong number of skills", () => {
  const dir = plantTree((root) => fs.rmSync(path.join(root, "storage"), { recursive: true }));
  assert.deepEqual(checkSkills(dir, d), ["expected 20 skills, found 19", 'missing skill "storage"']);
  fs.rmSync(dir, { recursive: true, force: true });
  const extra = plantTree((root) => {
    fs.mkdirSync(path.join(root, "gpu-reset"));
    fs.writeFileSync(path.join(root, "gpu-reset", "SKILL.md"), validSkill("gpu-reset"));
  });
  assert.deepEqual(checkSkills(extra, d), ["expected 20 skills, found 21", 'unexpected skill "gpu-reset"']);
  fs.rmSync(extra, { recursive: true, force: true });
});

test("planted: a skill folder without SKILL.md", () => {
  const dir = plantTree((root) => fs.renameSync(path.join(root, "storage", "SKILL.md"), path.join(root, "storage", "skill.md")));
  assert.deepEqual(checkSkills(dir, d), ["storage: no SKILL.md", "expected 20 skills, found 19", 'missing skill "storage"']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("every type text in params.json is understood, and unknown text is refused", () => {
  assert.ok(Object.keys(d.params).length >= 92);
  for (const command of d.commands) assert.ok(d.params[command], `params.json has ${command}`);
  assert.throws(() => parseTypeText("map of vectors", "x.y"), /params\.json type not understood at x\.y: "map of vectors"/);
});

test("frontmatter parser: block-form metadata and quoted strings", () => {
  const fm = parseFrontmatter('---\nname: x\ndescription: \'it\'\'s\'\nmetadata:\n  {"openclaw":\n    {"emoji": "x"}}\n---\nbody\n');
  assert.deepEqual(fm.fields, { name: "x", description: "it's", metadata: { openclaw: { emoji: "x" } } });
  assert.equal(fm.bodyStart, 7);
});
