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
async function errorsFor(text, folder = "gpu-cluster") {
  const dir = plantTree((root) => fs.writeFileSync(path.join(root, folder, "SKILL.md"), text));
  try {
    return await checkSkills(dir, d);
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

test("the real skills pass the checker", async () => {
  assert.deepEqual(await checkSkills(path.join(repoRoot, "skills"), d), []);
});

test("there are exactly 20 skill folders, each with SKILL.md", async () => {
  const dir = path.join(repoRoot, "skills");
  const names = fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, "SKILL.md")));
  assert.equal(names.length, 20);
  assert.deepEqual(names.sort(), [...d.expected].sort());
});

test("tool names come from the manifest's contracts.tools, and the plugin registers each of them", async (t) => {
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

test("skills-data.json holds no tool parameters or result fields", async () => {
  const data = JSON.parse(fs.readFileSync(path.join(repoRoot, "tests", "skills", "skills-data.json"), "utf8"));
  assert.deepEqual(Object.keys(data).sort(), ["_about", "absentNamespaces", "gatewayMethods", "hostTools", "sizeBytes", "skills"]);
});

test("tool result fields come from real results of every tool on the fixture fleet", async () => {
  assert.deepEqual([...new Set(SAMPLE_CALLS.map(([name]) => name))].sort(), Object.keys(d.tools).sort());
  const paths = (tool) => d.tools[tool].detailPaths;
  const has = (tool, ...wanted) => {
    for (const p of wanted) assert.ok(paths(tool).includes(p), `${tool} details have ${p} (they have: ${paths(tool).join(", ")})`);
  };
  has("claw_deploy", "dryRun", "placed", "started", "strategy", "gpus", "runParams.image", "runParams.env", "candidates[].score",
    "candidates[].preferred", "candidates[].why", "candidates[].gpus", "rejected[].reasons", "attempts[].ok", "attempts[].error",
    "confirmation.outcome", "confirmation.status", "confirmation.logs", "confirmation.exitCode", "confirmation.health",
    "confirmation.waitedMs");
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

test("the schema subset the tools use is checked and described", async () => {
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

test("a synthetic tree of valid skills has no errors", async () => {
  const dir = plantTree();
  assert.deepEqual(await checkSkills(dir, d), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("planted: no frontmatter", async () => {
  const text = validSkill("gpu-cluster").replace(/^---\n/, "");
  assert.deepEqual(await errorsFor(text), ["gpu-cluster/SKILL.md: no frontmatter (the file must start with a --- line)"]);
});

test("planted: frontmatter never closed", async () => {
  const text = validSkill("gpu-cluster").replace("---\n\n# gpu-cluster", "\n# gpu-cluster");
  assert.deepEqual(await errorsFor(text), ["gpu-cluster/SKILL.md: invalid frontmatter: no closing --- line"]);
});

test("planted: metadata that is not valid JSON", async () => {
  const text = validSkill("gpu-cluster").replace('{"emoji": "🧪"}}', '{"emoji": "🧪"}');
  const errors = await errorsFor(text);
  // the JSON engine's own detail after the colon varies between Node versions
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^gpu-cluster\/SKILL\.md: invalid frontmatter: "metadata": not valid JSON \(.+\)$/);
});

test("planted: a plain description containing ': '", async () => {
  const text = validSkill("gpu-cluster").replace(/description: ".*"/, "description: GPUs: list them");
  assert.deepEqual(await errorsFor(text), ['gpu-cluster/SKILL.md: invalid frontmatter: "description": a plain value cannot contain ": " (quote it)']);
});

test("planted: name differs from its folder", async () => {
  const text = validSkill("gpu-cluster").replace("name: gpu-cluster", "name: gpu-clusters");
  assert.deepEqual(await errorsFor(text), ['gpu-cluster/SKILL.md: name "gpu-clusters" differs from its folder "gpu-cluster"']);
});

test("planted: missing description", async () => {
  const text = validSkill("gpu-cluster").replace(/description: ".*"\n/, "");
  assert.deepEqual(await errorsFor(text), ["gpu-cluster/SKILL.md: missing description"]);
});

test("planted: metadata without an emoji, and a misspelt key", async () => {
  const text = validSkill("gpu-cluster").replace('{"openclaw": {"emoji": "🧪"}}', '{"openclaw": {"emoij": "🧪"}}');
  assert.deepEqual(await errorsFor(text), [
    'gpu-cluster/SKILL.md: unknown metadata.openclaw key "emoij"',
    "gpu-cluster/SKILL.md: metadata.openclaw.emoji missing",
  ]);
});

test("planted: workflow skill without user-invocable: false", async () => {
  const text = validSkill("auto-heal").replace("user-invocable: false\n", "");
  assert.deepEqual(await errorsFor(text, "auto-heal"), ["auto-heal/SKILL.md: a workflow skill needs user-invocable: false"]);
});

test("planted: misspelt user-invocable key", async () => {
  const text = validSkill("auto-heal").replace("user-invocable: false", "user_invocable: false");
  assert.deepEqual(await errorsFor(text, "auto-heal"), [
    'auto-heal/SKILL.md: unknown frontmatter key "user_invocable"',
    "auto-heal/SKILL.md: a workflow skill needs user-invocable: false",
  ]);
});

test("planted: claw_* tool not in contracts.tools, in prose and in a call", async () => {
  const [text, line] = withSnippet("Then call claw_node_reboot.\n\n" + jsonBlock({ tool: "claw_gpu_reset", args: {} }));
  assert.deepEqual(await errorsFor(text), [
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
  assert.deepEqual(await checkSkillText("gpu-cluster", text, md), [
    `gpu-cluster/SKILL.md:${call}: unknown tool "claw_fleet_status" (not in the manifest's contracts.tools)`,
    `gpu-cluster/SKILL.md:${prose}: unknown tool "claw_fleet_status" (not in the manifest's contracts.tools)`,
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("planted: a tool call with a key the tool does not accept", async () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { image: "nginx:1.27", replicas: 2 } }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy does not accept "replicas" (accepted: command, cpu, dryRun, env, gpuModel, gpus, image, memory, minVramMb, name, preferNode, shmSize, strategy, volumes)`,
  ]);
});

test("planted: claw_deploy env as a string and gpus out of range (env as an array is fine)", async () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { image: "x", gpus: 17, env: "A=1" } }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy "gpus" must be a whole number in 0..16`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "env" must be an object of string, number or boolean values or an array of strings`,
  ]);
  const [ok] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { image: "x", env: ["A=1"] } }));
  assert.deepEqual(await errorsFor(ok), []);
});

test("planted: claw_deploy without image", async () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { gpus: 1 } }));
  assert.deepEqual(await errorsFor(text), [`gpu-cluster/SKILL.md:${line}: claw_deploy needs "image"`]);
});

test("planted: a clawnode command not in the known list (json, inline and CLI)", async () => {
  const [text, line] = withSnippet(
    jsonBlock({ command: "gpu.reset", params: {} })
    + "\nOr read `rbac.check` first.\n"
    + "openclaw nodes invoke --node gpu-01 --command mesh.status --params '{}'\n",
  );
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: unknown clawnode command "gpu.reset"`,
    `gpu-cluster/SKILL.md:${line + 4}: unknown clawnode command "rbac.check"`,
    `gpu-cluster/SKILL.md:${line + 5}: unknown clawnode command "mesh.status"`,
  ]);
});

test("planted: a wildcard that matches no command", async () => {
  const [text, line] = withSnippet("Use `volume.backup.*` for it.\n");
  assert.deepEqual(await errorsFor(text), [`gpu-cluster/SKILL.md:${line}: no clawnode command matches "volume.backup.*"`]);
});

test("planted: a json block that does not parse", async () => {
  const [text, line] = withSnippet(jsonBlock('{"command": "gpu.list", "params": {},}'));
  const errors = await errorsFor(text);
  assert.equal(errors.length, 1);
  assert.match(errors[0], new RegExp(`^gpu-cluster/SKILL\\.md:${line}: json block does not parse: `));
});

test("planted: a json block of no known shape", async () => {
  const [text, line] = withSnippet(jsonBlock({ gpus: 2 }));
  assert.deepEqual(await errorsFor(text), [`gpu-cluster/SKILL.md:${line}: json block is neither a tool call, a command call nor an answer excerpt`]);
});

test("planted: a param key the command does not accept", async () => {
  const [text, line] = withSnippet(jsonBlock({ command: "workload.run", params: { image: "x", environment: ["A=1"] } }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: workload.run does not accept param "environment" (accepted: image, name, gpus, command, env, volumes, detach, memory, cpu, shmSize)`,
  ]);
});

test("planted: env as an object and command as a string", async () => {
  const [text, line] = withSnippet(jsonBlock({ command: "workload.run", params: { image: "x", env: { EPOCHS: "3" }, command: "python train.py" } }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: workload.run param "command" must be an array of strings`,
    `gpu-cluster/SKILL.md:${line}: workload.run param "env" must be an array of "KEY=VALUE" strings`,
  ]);
});

test("planted: params null, and a missing required param", async () => {
  const [text, line] = withSnippet(jsonBlock({ command: "deploy.history", params: null }) + "\n" + jsonBlock({ command: "secret.get", params: {} }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: deploy.history params must be a JSON object ({} at least), not null`,
    `gpu-cluster/SKILL.md:${line + 4}: secret.get needs param "name"`,
  ]);
});

test("planted: neither containerId nor name for workload.stop", async () => {
  const [text, line] = withSnippet(jsonBlock({ command: "workload.stop", params: { force: true } }));
  assert.deepEqual(await errorsFor(text), [`gpu-cluster/SKILL.md:${line}: workload.stop needs one of "containerId", "name"`]);
});

test("planted: wrong types named in params.json (taint effect, cron schedule, labels)", async () => {
  const [text, line] = withSnippet(
    jsonBlock({ command: "node.taint", params: { key: "k", effect: "NoRun" } })
    + jsonBlock({ command: "cron.create", params: { name: "n", image: "i", schedule: "daily" } })
    + jsonBlock({ command: "node.label", params: { labels: { zone: 1 } } }),
  );
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: node.taint param "effect" must be one of NoSchedule, PreferNoSchedule, NoExecute`,
    `gpu-cluster/SKILL.md:${line + 3}: cron.create param "schedule" must be a 5-field cron string like "0 3 * * *"`,
    `gpu-cluster/SKILL.md:${line + 6}: node.label param "labels" must be an object of string values`,
  ]);
});

test("planted: claw_multi_invoke params are checked against the command", async () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_multi_invoke", args: { command: "workload.logs", params: { containerId: "abc", lines: 50 } } }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: workload.logs does not accept param "lines" (accepted: containerId, name, tail, follow)`,
  ]);
});

test("planted: the nodes tool with system.run and with params that are not JSON", async () => {
  const [text, line] = withSnippet(
    jsonBlock({ tool: "nodes", args: { action: "invoke", node: "gpu-01", invokeCommand: "system.run", invokeParamsJson: '{"command":["nvidia-smi"]}' } })
    + jsonBlock({ tool: "nodes", args: { action: "invoke", node: "gpu-01", invokeCommand: "gpu.list", invokeParamsJson: "{gpus}" } })
    + jsonBlock({ tool: "nodes", args: { action: "invoke", node: "gpu-01", invokeCommand: "workload.run", invokeParamsJson: '{"image":"x","env":{"A":"1"}}' } }),
  );
  const errors = await errorsFor(text);
  assert.equal(errors.length, 3);
  assert.equal(errors[0], `gpu-cluster/SKILL.md:${line}: the nodes tool refuses system.run; use claw_multi_invoke (allowed by name in the plugin config)`);
  assert.match(errors[1], new RegExp(`^gpu-cluster/SKILL\\.md:${line + 3}: invokeParamsJson does not parse: `));
  assert.equal(errors[2], `gpu-cluster/SKILL.md:${line + 6}: workload.run param "env" must be an array of "KEY=VALUE" strings`);
});

test("planted: an answer excerpt with a field real nodes do not send", async () => {
  const [text, line] = withSnippet(
    jsonBlock({ command: "gpu.metrics", response: { metrics: [{ index: 0, gpu_util: 87 }] } })
    + jsonBlock({ command: "node.capabilities", response: { gpu_available: 2 } }),
  );
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: gpu.metrics answer has no field "metrics[].gpu_util" (it has: index, memory_total_mb, memory_used_mb, power_draw_w, power_limit_w, temperature_c, utilization_percent, uuid)`,
    `gpu-cluster/SKILL.md:${line + 3}: node.capabilities answer has no field "gpu_available" (it has: capabilities, commands, container_runtime, cpu_count, gpu_count, gpu_total_memory_gb, gpus, hostname, labels, total_memory_mb)`,
  ]);
});

test("planted: an answer excerpt for a command with no recorded answer", async () => {
  const [text, line] = withSnippet(jsonBlock({ command: "molt.balance", response: { balance: 10 } }));
  assert.deepEqual(await errorsFor(text), [`gpu-cluster/SKILL.md:${line}: no recorded answer for molt.balance in the fixtures: do not show its fields`]);
});

test("planted: a tool answer excerpt with a field real results do not have", async () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_fleet_status", details: { nodes: { healthy: 3, sick: 1 } } }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_fleet_status details has no field "nodes.sick" (it has: degraded, healthy, offline, total, unhealthy, unreachable, unusable)`,
  ]);
});

test("planted: tool args the registered schemas refuse (pattern, bounds, enum, array, unknown command)", async () => {
  const [text, line] = withSnippet(
    jsonBlock({ tool: "claw_deploy", args: { image: "x", memory: "x".repeat(33), cpu: 0, strategy: "pack", command: "python train.py" } })
    + jsonBlock({ tool: "claw_multi_invoke", args: { command: "gpu.reset", timeoutMs: 50 } }),
  );
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy "memory" must be a string of 1..32 characters`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "cpu" must be a number >= 0.01 and <= 1024`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "strategy" must be one of binpack, spread`,
    `gpu-cluster/SKILL.md:${line}: claw_deploy "command" must be an array of strings (at most 256 items)`,
    `gpu-cluster/SKILL.md:${line + 3}: unknown clawnode command "gpu.reset"`,
    `gpu-cluster/SKILL.md:${line + 3}: claw_multi_invoke "timeoutMs" must be a whole number in 100..600000`,
  ]);
});

test("planted: deploy details with a field real results do not have", async () => {
  const [text, line] = withSnippet(jsonBlock({ tool: "claw_deploy", details: { placed: true, candidates: [{ nodeName: "gpu-01", rank: 1 }] } }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy details has no field "candidates[].rank" (it has: gpus, nodeId, nodeName, preferred, score, why)`,
  ]);
});

test("planted: a multi-invoke payload with a field the command's answers do not have", async () => {
  const [text, line] = withSnippet(jsonBlock({
    tool: "claw_multi_invoke",
    details: { command: "gpu.metrics", results: [{ nodeName: "gpu-01", ok: true, payload: { metrics: [{ index: 0, gpu_util: 87 }] } }] },
  }));
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: gpu.metrics answer in results[].payload has no field "metrics[].gpu_util" (it has: index, memory_total_mb, memory_used_mb, power_draw_w, power_limit_w, temperature_c, utilization_percent, uuid)`,
  ]);
});

test("planted: a gateway event and a gateway method the plugin does not have", async () => {
  const [text, line] = withSnippet("The monitor broadcasts `plugin.clawbernetes.health.transition`; the UI reads `clawbernetes.fleet_status`.\n");
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: the plugin broadcasts no gateway event "plugin.clawbernetes.health.transition" (it broadcasts: plugin.clawbernetes.health-transition)`,
    `gpu-cluster/SKILL.md:${line}: the plugin registers no gateway method "clawbernetes.fleet_status" (it registers: clawbernetes.fleet-status, clawbernetes.gpu-inventory, clawbernetes.health-check, clawbernetes.workloads)`,
  ]);
});

test("planted: a skill that is too small and one that is too large", async () => {
  const small = validSkill("gpu-cluster").split("Filler")[0];
  const size = Buffer.byteLength(small);
  assert.deepEqual(await errorsFor(small), [`gpu-cluster/SKILL.md: size ${size} bytes is outside 1500..12288`]);
  const big = validSkill("gpu-cluster") + "x".repeat(12288);
  assert.deepEqual(await errorsFor(big), [`gpu-cluster/SKILL.md: size ${Buffer.byteLength(big)} bytes is outside 1500..12288`]);
});

test("planted: the wrong number of skills", async () => {
  const dir = plantTree((root) => fs.rmSync(path.join(root, "storage"), { recursive: true }));
  assert.deepEqual(await checkSkills(dir, d), ["expected 20 skills, found 19", 'missing skill "storage"']);
  fs.rmSync(dir, { recursive: true, force: true });
  const extra = plantTree((root) => {
    fs.mkdirSync(path.join(root, "gpu-reset"));
    fs.writeFileSync(path.join(root, "gpu-reset", "SKILL.md"), validSkill("gpu-reset"));
  });
  assert.deepEqual(await checkSkills(extra, d), ["expected 20 skills, found 21", 'unexpected skill "gpu-reset"']);
  fs.rmSync(extra, { recursive: true, force: true });
});

test("planted: a skill folder without SKILL.md", async () => {
  const dir = plantTree((root) => fs.renameSync(path.join(root, "storage", "SKILL.md"), path.join(root, "storage", "skill.md")));
  assert.deepEqual(await checkSkills(dir, d), ["storage: no SKILL.md", "expected 20 skills, found 19", 'missing skill "storage"']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("every type text in params.json is understood, and unknown text is refused", async () => {
  assert.ok(Object.keys(d.params).length >= 92);
  for (const command of d.commands) assert.ok(d.params[command], `params.json has ${command}`);
  assert.throws(() => parseTypeText("map of vectors", "x.y"), /params\.json type not understood at x\.y: "map of vectors"/);
});

test("frontmatter parser: block-form metadata and quoted strings", async () => {
  const fm = parseFrontmatter('---\nname: x\ndescription: \'it\'\'s\'\nmetadata:\n  {"openclaw":\n    {"emoji": "x"}}\n---\nbody\n');
  assert.deepEqual(fm.fields, { name: "x", description: "it's", metadata: { openclaw: { emoji: "x" } } });
  assert.equal(fm.bodyStart, 7);
});

test("the plugin's alerts, states and own argument check are read from the plugin", async () => {
  const facts = await readPluginFacts(repoRoot);
  assert.deepEqual(facts.states, ["degraded", "gone", "healthy", "offline", "unhealthy", "unreachable", "unusable"]);
  assert.deepEqual(facts.alerts.slice(1), [
    "clawbernetes health monitor: 2 nodes changed state.\n- free-2: healthy → gone (no longer listed by the gateway)\n- gpu-a: healthy → unhealthy (GPU 0 at 95 °C (critical at 90 °C))",
    "clawbernetes health monitor: 1 node changed state.\n- gpu-a: unhealthy → healthy (all checks pass)",
    "clawbernetes health monitor: 1 node changed state.\n- gpu-a: flapping: 2 changes held back over 0 min, now healthy (all checks pass)",
  ]);
  // every line of every real alert has a form, and the forms are few: header, change, first sight, flapping
  for (const line of facts.alerts.flatMap((a) => a.split("\n"))) assert.ok(d.alertTemplates.some((t) => t.re.test(line)), line);
  assert.deepEqual(d.alertTemplates.map((t) => t.re.source).sort(), [
    String.raw`^- \S.*?: (?:degraded|gone|healthy|offline|unhealthy|unreachable|unusable) → (?:degraded|gone|healthy|offline|unhealthy|unreachable|unusable) \(.+\)$`,
    String.raw`^- \S.*?: flapping: \d+ changes held back over \d+ min, now (?:degraded|gone|healthy|offline|unhealthy|unreachable|unusable) \(.+\)$`,
    String.raw`^- \S.*?: new → (?:degraded|gone|healthy|offline|unhealthy|unreachable|unusable) \(.+\)$`,
    String.raw`^clawbernetes health monitor: \d+ node changed state\.$`,
    String.raw`^clawbernetes health monitor: \d+ nodes changed state\.$`,
  ]);
  assert.equal(await facts.checkDeploy({ image: "pytorch/pytorch:2.0", memory: "16GiB", env: { "discovery.type": "single-node" } }), null);
  assert.equal(await facts.checkDeploy({ image: "pytorch/pytorch:2.0", memory: "16Gi" }),
    'claw_deploy: memory "16Gi" is not a size Docker reads (unknown unit "gi"): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. "8g", "8GB", "512m", "16GiB", "1.5g"');
});

test("planted: claw_deploy args the plugin's own check refuses (size, env item, volume, image, empty command)", async () => {
  const [text, line] = withSnippet(
    jsonBlock({ tool: "claw_deploy", args: { image: "pytorch/pytorch:2.0", memory: "16Gi", preferNode: "gpu-01" } })
    + jsonBlock({ tool: "claw_deploy", args: { image: "pytorch/pytorch:2.0", env: ["HF_TOKEN"] } })
    + jsonBlock({ tool: "claw_deploy", args: { image: "pytorch/pytorch:2.0", volumes: ["/var/run/docker.sock:/var/run/docker.sock"] } })
    + jsonBlock({ tool: "claw_deploy", args: { image: "PyTorch/pytorch:2.0" } })
    + jsonBlock({ tool: "claw_deploy", args: { image: "pytorch/pytorch:2.0", command: [] } }),
  );
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: the plugin refuses these claw_deploy args: memory "16Gi" is not a size Docker reads (unknown unit "gi"): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. "8g", "8GB", "512m", "16GiB", "1.5g"`,
    `gpu-cluster/SKILL.md:${line + 3}: the plugin refuses these claw_deploy args: env item "HF_TOKEN" has no '=': Docker would copy HF_TOKEN's value from the node agent's own environment; give it its value after an equals sign`,
    `gpu-cluster/SKILL.md:${line + 6}: the plugin refuses these claw_deploy args: volume "/var/run/docker.sock:/var/run/docker.sock" would give the container the host's root or its container engine`,
    `gpu-cluster/SKILL.md:${line + 9}: the plugin refuses these claw_deploy args: image "PyTorch/pytorch:2.0" is not a valid image reference: path components are lowercase letters, digits and '.', '_', '-' inside`,
    `gpu-cluster/SKILL.md:${line + 12}: the plugin refuses these claw_deploy args: command must hold at least one string; omit it to use the image's default`,
  ]);
  const [ok] = withSnippet(jsonBlock({ tool: "claw_deploy", args: { image: "docker.elastic.co/elasticsearch/elasticsearch:8.15.0", gpus: 0, memory: "1.5g", env: { "discovery.type": "single-node" }, preferNode: "ubuntu" } }));
  assert.deepEqual(await errorsFor(ok), []);
});

test("planted: vocabulary values real results never show (deploy outcome, node state, GPU state, problem kind)", async () => {
  const [text, line] = withSnippet(
    jsonBlock({ tool: "claw_deploy", details: { placed: true, started: false, confirmation: { outcome: "failed", exitCode: 1 } } })
    + jsonBlock({ tool: "claw_fleet_status", details: { nodeDetails: [{ nodeName: "gpu-01", state: "down", problems: [{ kind: "gpuTemp", severity: "critical" }] }] } })
    + jsonBlock({ tool: "claw_gpu_inventory", details: { nodes: [{ nodeName: "gpu-01", gpus: [{ index: 0, state: "allocated" }] }] } }),
  );
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: claw_deploy details field "confirmation.outcome" is never "failed" (real results show: exited, restarting, running, starting)`,
    `gpu-cluster/SKILL.md:${line + 3}: claw_fleet_status details field "nodeDetails[].state" is never "down" (real results show: degraded, healthy, offline, unhealthy, unreachable, unusable)`,
    `gpu-cluster/SKILL.md:${line + 3}: claw_fleet_status details field "nodeDetails[].problems[].kind" is never "gpuTemp" (real results show: checkFailed, container, disk, gpuTemperature, load, memory, offline, payload, unreachable, unusable)`,
    `gpu-cluster/SKILL.md:${line + 6}: claw_gpu_inventory details field "nodes[].gpus[].state" is never "allocated" (real results show: busy, free, held, unknown)`,
  ]);
  const [ok] = withSnippet(jsonBlock({ tool: "claw_deploy", details: { placed: true, started: null, confirmation: { outcome: "starting", status: "Up 3 seconds (health: starting)", health: "starting" } } }));
  assert.deepEqual(await errorsFor(ok), []);
  const [sick, at] = withSnippet(jsonBlock({ tool: "claw_deploy", details: { placed: true, started: true, confirmation: { outcome: "running", health: "failing" } } }));
  assert.deepEqual(await errorsFor(sick), [
    `gpu-cluster/SKILL.md:${at}: claw_deploy details field "confirmation.health" is never "failing" (real results show: healthy, starting, unhealthy)`,
  ]);
});

test("planted: alerts in a form the monitor does not write (wording, state word, count)", async () => {
  const block = (lines) => `${FENCE}text\n${lines.join("\n")}\n${FENCE}\n`;
  const good = [
    "clawbernetes health monitor: 2 nodes changed state.",
    "- gpu-node-3: healthy → unhealthy (GPU 1 at 93 °C (critical at 90 °C))",
    "- gpu-node-7: flapping: 4 changes held back over 10 min, now healthy (all checks pass)",
  ];
  const [ok] = withSnippet(block(good) + block(["clawbernetes health monitor: 1 node changed state.", "- gpu-9: new → unusable (its commands wait for an operator's approval)"]));
  assert.deepEqual(await errorsFor(ok), []);
  const [text, line] = withSnippet(
    block(["clawbernetes health monitor: 2 nodes changed state.", "- gpu-node-3: healthy → critical (GPU 1 at 93 °C)"])
    + block(["clawbernetes health monitor: 1 node changed state.", "- gpu-node-3 went unhealthy: GPU 1 at 93 °C"]),
  );
  const forms = d.alertTemplates.map((t) => `"${t.example}"`).join(", ");
  assert.deepEqual(await errorsFor(text), [
    `gpu-cluster/SKILL.md:${line}: alert line "- gpu-node-3: healthy → critical (GPU 1 at 93 °C)" has no form the monitor writes (real alerts: ${forms})`,
    `gpu-cluster/SKILL.md:${line}: the alert says 2 node(s) changed state but lists 1`,
    `gpu-cluster/SKILL.md:${line + 4}: alert line "- gpu-node-3 went unhealthy: GPU 1 at 93 °C" has no form the monitor writes (real alerts: ${forms})`,
  ]);
});
