// The skills checker: reads skills/<name>/SKILL.md and reports every way a skill
// disagrees with the plugin's tools or with what real clawnodes accept.
//
// Conventions a skill follows so that every example can be checked
// (tests/skills/README.md says the same for skill authors):
//
// 1. Frontmatter: the file starts with a `---` line and the block ends with a `---` line.
//    One `key: value` per line. Strings are plain or double-quoted; `metadata` is one line of
//    strict JSON: `metadata: {"openclaw": {"emoji": "…", "requires": {…}}}`.
// 2. Every fenced block whose info string is `json` holds exactly one JSON object of one of
//    six shapes:
//      {"tool": "claw_…", "args": {…}}            a call of a plugin tool
//      {"tool": "claw_…", "details": {…}}         an excerpt of that tool's result details
//      {"tool": "nodes", "args": {"action": "invoke", "node": "…",
//                                 "invokeCommand": "…", "invokeParamsJson": "{…}"}}
//                                                 OpenClaw's own `nodes` tool
//      {"command": "gpu.list", "params": {…}}      a clawnode command and its params
//      {"command": "gpu.list", "response": {…}}    an excerpt of a real node's answer
//      {"command": "gpu.list", "error": {…}}       an error a node sends back
//    Params are checked against tests/fixtures/clawnode/params.json (keys, required keys,
//    types); answer excerpts against the recorded answers in tests/fixtures/clawnode/*.json
//    (every field shown must exist there); tool args against the `parameters` JSON schema the
//    plugin registers, and tool details against the details of real results (plugin-facts.mjs
//    runs every tool on fixture fleets through the fake OpenClaw host): every field path must
//    occur there, and a vocabulary field (`state`, `outcome`, `severity`, `kind`, `health`,
//    `strategy`) may only hold a value real results show at that path. claw_deploy args also go
//    through the plugin's own argument check (sizes, env, names, image, volumes, command), as a
//    dry run in read-only mode.
//    A fenced block of any other language whose first line starts with
//    "clawbernetes health monitor:" is an alert as the monitor hands it to the agent: every line
//    must have the form of a real alert's lines, with state words the plugin uses, and the
//    header's count must match the lines.
// 3. Outside json blocks: every `claw_name` must be a tool in the manifest's contracts.tools;
//    every inline code span that looks like a command (`gpu.metrics`, `deploy.*`) must be a
//    known command, a wildcard over known commands, or a gateway method listed in the data;
//    `plugin.clawbernetes.…` must be a gateway event the plugin's monitor broadcasts and
//    `clawbernetes.…` a gateway method the plugin registers;
//    `openclaw nodes invoke … --command X --params '{…}'` lines are checked like json calls.
// 4. Workflow skills say `user-invocable: false`; size stays within data.sizeBytes.

import fs from "node:fs";
import path from "node:path";
import { fieldPaths, readPluginFacts } from "./plugin-facts.mjs";

const FRONTMATTER_KEYS = new Set([
  "name", "description", "metadata", "user-invocable", "homepage", "disable-model-invocation",
  "command-dispatch", "command-tool", "command-arg-mode", "license", "compatibility", "allowed-tools",
]);
const OPENCLAW_METADATA_KEYS = new Set([
  "emoji", "requires", "always", "homepage", "os", "primaryEnv", "skillKey", "install",
]);
const REQUIRES_KEYS = new Set(["bins", "anyBins", "env", "config"]);
const FREE_FORM_FIELDS = new Set(["data", "labels", "bins", "inspect", "payload"]);
/** Fields of tool details whose values are a vocabulary: a shown value must occur in real results. */
const VOCABULARY_FIELDS = new Set(["state", "outcome", "severity", "kind", "health", "strategy"]);
/** The first words of an alert the monitor hands the agent. */
const ALERT_HEAD = "clawbernetes health monitor:";

/**
 * Loads everything the checker compares skills against: tool names from the manifest; tool
 * parameters, result fields and vocabularies, the forms of the monitor's alerts and
 * claw_deploy's own argument check from the built plugin; commands and answers from the fixtures.
 */
export async function loadData(repoRoot, options = {}) {
  const fixturesDir = options.fixturesDir ?? path.join(repoRoot, "tests", "fixtures", "clawnode");
  const dataPath = options.dataPath ?? path.join(repoRoot, "tests", "skills", "skills-data.json");
  const manifestPath = options.manifestPath ?? path.join(repoRoot, "openclaw.plugin.json");
  const data = JSON.parse(fs.readFileSync(dataPath, "utf8"));

  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  const listed = manifest?.contracts?.tools;
  if (!Array.isArray(listed)) throw new Error(`${manifestPath}: contracts.tools is not an array`);
  const toolNames = new Set(listed);
  const plugin = await readPluginFacts(repoRoot);
  const tools = {};
  for (const [name, t] of Object.entries(plugin.tools)) {
    const details = plugin.samples[name];
    tools[name] = { parameters: t.parameters, details, detailPaths: fieldPaths(details, FREE_FORM_FIELDS) };
  }

  const commands = new Set(
    fs.readFileSync(path.join(fixturesDir, "commands-all.txt"), "utf8")
      .split("\n").map((l) => l.trim()).filter(Boolean),
  );
  const rawParams = JSON.parse(fs.readFileSync(path.join(fixturesDir, "params.json"), "utf8"));
  const params = {};
  for (const [command, spec] of Object.entries(rawParams)) {
    if (command.startsWith("_")) continue;
    const types = {};
    for (const [key, text] of Object.entries(spec.types ?? {})) types[key] = parseTypeText(text, `${command}.${key}`);
    params[command] = {
      required: spec.required ?? [],
      optional: spec.optional ?? [],
      oneOf: spec.required_one_of ?? [],
      types,
    };
  }

  const answers = {};
  for (const file of fs.readdirSync(fixturesDir)) {
    if (!file.endsWith(".json") || file === "params.json") continue;
    const fixture = JSON.parse(fs.readFileSync(path.join(fixturesDir, file), "utf8"));
    if (typeof fixture.command !== "string" || !("response" in fixture)) continue;
    (answers[fixture.command] ??= []).push(fixture.response);
  }

  const namespaces = new Set([...commands].map((c) => c.split(".")[0]));
  for (const ns of data.absentNamespaces ?? []) namespaces.add(ns);

  return {
    data, toolNames, tools, stale: plugin.stale, commands, params, answers, namespaces,
    alertTemplates: alertTemplates(plugin.alerts, plugin.transitions, plugin.states),
    checkDeploy: plugin.checkDeploy,
    pluginMethods: new Set(plugin.methods), pluginEvents: new Set(plugin.events),
    gatewayMethods: new Set(data.gatewayMethods ?? []),
    expected: [
      ...data.skills.core, ...data.skills.featureGated, ...data.skills.meta, ...data.skills.workflow,
    ],
    workflow: new Set(data.skills.workflow),
  };
}

function escapeRe(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The forms of alert lines, from the alerts the plugin really handed the agent: each line
 * becomes a regular expression where numbers are any number, node state words any state word
 * the plugin uses, an item's node name any name and its reason (the text in the last
 * parentheses, known from the monitor's transitions) any text.
 */
export function alertTemplates(alerts, transitions, states) {
  const state = `(?:${states.map(escapeRe).join("|")})`;
  const reasons = [...new Set(transitions.map((t) => t.reason))].sort((a, b) => b.length - a.length);
  const shape = (text) => escapeRe(text)
    .replace(new RegExp(`\\b${state}\\b`, "g"), state)
    .replace(/\d+/g, "\\d+");
  const out = new Map();
  for (const text of alerts) {
    for (const line of text.split("\n")) {
      let source;
      if (line.startsWith("- ")) {
        const name = line.slice(2, line.indexOf(": "));
        const reason = reasons.find((r) => line.endsWith(` (${r})`));
        if (name === "" || reason === undefined) throw new Error(`an alert line without a node name or a known reason: ${line}`);
        const middle = line.slice(2 + name.length + 2, line.length - reason.length - 3);
        source = `^- \\S.*?: ${shape(middle)} \\(.+\\)$`;
      } else {
        source = `^${shape(line)}$`;
      }
      if (!out.has(source)) out.set(source, { re: new RegExp(source, "u"), example: line });
    }
  }
  return [...out.values()];
}

/** Checks an alert excerpt (the lines of one fenced block) against the real alerts' forms. */
function checkAlertBlock(text, d, err) {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (const line of lines) {
    if (!d.alertTemplates.some((t) => t.re.test(line))) {
      err(`alert line "${line}" has no form the monitor writes (real alerts: ${d.alertTemplates.map((t) => `"${t.example}"`).join(", ")})`);
    }
  }
  const count = /^clawbernetes health monitor: (\d+) nodes? changed state\.$/.exec(lines[0]);
  const items = lines.filter((l) => l.startsWith("- ")).length;
  if (count && Number(count[1]) !== items) err(`the alert says ${count[1]} node(s) changed state but lists ${items}`);
}

/** Turns a params.json type description into a checkable type; throws on text it does not know. */
export function parseTypeText(text, where = "") {
  const t = text.trim();
  if (t === "string[] KEY=VALUE") return { kind: "env", says: 'an array of "KEY=VALUE" strings' };
  if (t.startsWith("string[]")) return { kind: "string[]", says: "an array of strings" };
  if (t === "object string->string") return { kind: "object-of-strings", says: "an object of string values" };
  if (t === "integer count") return { kind: "integer", min: 0, says: "a whole number >= 0" };
  if (t === "number") return { kind: "number", says: "a number" };
  if (t === "boolean") return { kind: "boolean", says: "true or false" };
  if (t.startsWith("string like")) return { kind: "memory", says: 'a size string like "8g" or "512m"' };
  if (t === "5-field cron") return { kind: "cron", says: 'a 5-field cron string like "0 3 * * *"' };
  const objectArray = /^object\[\] with keys (.+)$/.exec(t);
  if (objectArray) {
    const keys = objectArray[1].split(",").map((k) => k.trim());
    return { kind: "object[]", keys, says: `an array of objects with keys ${keys.join(", ")}` };
  }
  if (t.startsWith("[{") && t.endsWith("}]")) {
    const keys = braceKeys(t.slice(1, -1));
    return { kind: "object[]", keys, says: `an array of objects with keys ${keys.join(", ")}` };
  }
  if (t.startsWith("{") && t.endsWith("}")) {
    const keys = braceKeys(t);
    return { kind: "object", keys, says: `an object with keys ${keys.join(", ")}` };
  }
  if (/^[A-Za-z-]+(\|[A-Za-z-]+)+$/.test(t)) {
    const values = t.split("|");
    return { kind: "enum", values, says: `one of ${values.join(", ")}` };
  }
  throw new Error(`params.json type not understood at ${where}: "${text}"`);
}

function braceKeys(text) {
  return text.slice(1, -1).split(",")
    .map((k) => k.replace(/\(.*?\)/g, "").replace("?", "").trim())
    .filter(Boolean);
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function typeOk(type, value) {
  switch (type.kind) {
    case "env":
      return Array.isArray(value) && value.every((s) => typeof s === "string" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(s));
    case "string[]":
      return Array.isArray(value) && value.every((s) => typeof s === "string");
    case "object-of-strings":
      return isPlainObject(value) && Object.values(value).every((s) => typeof s === "string");
    case "integer":
      return Number.isInteger(value) && (type.min === undefined || value >= type.min)
        && (type.max === undefined || value <= type.max);
    case "number":
      return typeof value === "number" && Number.isFinite(value)
        && (type.exclusiveMin === undefined || value > type.exclusiveMin);
    case "boolean":
      return typeof value === "boolean";
    case "memory":
      return typeof value === "string" && /^[0-9]+(\.[0-9]+)?[bkmgtBKMGT]?$/.test(value);
    case "cron":
      return typeof value === "string" && value.trim().split(/\s+/).length === 5;
    case "object[]":
      return Array.isArray(value) && value.every((o) => isPlainObject(o) && Object.keys(o).every((k) => type.keys.includes(k)));
    case "object":
      return isPlainObject(value) && (!type.keys || Object.keys(value).every((k) => type.keys.includes(k)));
    case "enum":
      return type.values.includes(value);
    case "string":
      return typeof value === "string" && (!type.pattern || new RegExp(type.pattern).test(value));
    default:
      return true;
  }
}

/** Whether `value` satisfies JSON schema `schema` (the subset the plugin's tool schemas use). */
export function schemaOk(schema, value) {
  if (!isPlainObject(schema)) return true;
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => schemaOk(s, value))) return false;
  if (schema.enum && !schema.enum.some((e) => e === value)) return false;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => jsonType(value, t))) return false;
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) return false;
    if (schema.maxLength !== undefined && length > schema.maxLength) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) return false;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return false;
    if (schema.maximum !== undefined && value > schema.maximum) return false;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return false;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return false;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return false;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return false;
    if (schema.items && !value.every((v) => schemaOk(schema.items, v))) return false;
  }
  if (isPlainObject(value)) {
    const props = schema.properties ?? {};
    for (const key of schema.required ?? []) if (!(key in value)) return false;
    for (const [key, v] of Object.entries(value)) {
      if (key in props) {
        if (!schemaOk(props[key], v)) return false;
      } else if (schema.additionalProperties === false) {
        return false;
      } else if (isPlainObject(schema.additionalProperties) && !schemaOk(schema.additionalProperties, v)) {
        return false;
      }
    }
  }
  return true;
}

function jsonType(value, type) {
  switch (type) {
    case "string": return typeof value === "string";
    case "integer": return Number.isInteger(value);
    case "number": return typeof value === "number" && Number.isFinite(value);
    case "boolean": return typeof value === "boolean";
    case "array": return Array.isArray(value);
    case "object": return isPlainObject(value);
    case "null": return value === null;
    default: return true;
  }
}

const TYPE_NOUNS = { string: "string", integer: "whole number", number: "number", boolean: "boolean", array: "array", object: "object", null: "null" };

function orList(words) {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

function range(lo, hi, unit = "") {
  if (lo !== undefined && hi !== undefined) return ` in ${lo}..${hi}${unit}`;
  if (lo !== undefined) return ` >= ${lo}${unit}`;
  if (hi !== undefined) return ` <= ${hi}${unit}`;
  return "";
}

/** What a value satisfying `schema` is, in words: "a whole number in 0..16". */
export function describeSchema(schema) {
  if (!isPlainObject(schema)) return "anything";
  if (Array.isArray(schema.anyOf)) return orList(schema.anyOf.map(describeSchema));
  if (schema.enum) return `one of ${schema.enum.join(", ")}`;
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length !== 1) return types.length ? `a ${orList(types.map((t) => TYPE_NOUNS[t] ?? t))}` : "anything";
  switch (types[0]) {
    case "string": {
      const lo = schema.minLength;
      const hi = schema.maxLength;
      const length = lo !== undefined && hi !== undefined ? ` of ${lo}..${hi} characters`
        : lo !== undefined ? ` of at least ${lo} characters` : hi !== undefined ? ` of at most ${hi} characters` : "";
      return `a string${length}${schema.pattern ? ` matching ${schema.pattern}` : ""}`;
    }
    case "integer": return `a whole number${range(schema.minimum, schema.maximum)}`;
    case "number": {
      const parts = [];
      if (schema.exclusiveMinimum !== undefined) parts.push(`> ${schema.exclusiveMinimum}`);
      if (schema.minimum !== undefined) parts.push(`>= ${schema.minimum}`);
      if (schema.maximum !== undefined) parts.push(`<= ${schema.maximum}`);
      return `a number${parts.length ? ` ${parts.join(" and ")}` : ""}`;
    }
    case "boolean": return "true or false";
    case "array": {
      const itemTypes = schema.items?.type ? [schema.items.type].flat() : [];
      const of = itemTypes.length === 1 ? ` of ${TYPE_NOUNS[itemTypes[0]] ?? itemTypes[0]}s` : "";
      const lo = schema.minItems;
      const hi = schema.maxItems;
      const count = lo !== undefined && hi !== undefined ? ` (${lo}..${hi} items)`
        : lo !== undefined ? ` (at least ${lo} items)` : hi !== undefined ? ` (at most ${hi} items)` : "";
      return `an array${of}${count}`;
    }
    case "object": {
      const extra = schema.additionalProperties;
      if (isPlainObject(extra) && extra.type) {
        return `an object of ${orList([extra.type].flat().map((t) => TYPE_NOUNS[t] ?? t))} values`;
      }
      return "a JSON object";
    }
    default: return `a ${types[0]}`;
  }
}

/** Parses the YAML subset skills use; returns {fields, bodyStart} or {error}. */
export function parseFrontmatter(text) {
  const lines = text.split("\n");
  if (lines[0].replace(/\r$/, "") !== "---") return { error: "no frontmatter (the file must start with a --- line)" };
  let end = -1;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].replace(/\r$/, "") === "---") { end = i; break; }
  }
  if (end < 0) return { error: "invalid frontmatter: no closing --- line" };
  const fields = {};
  for (let i = 1; i < end; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const m = /^([A-Za-z][A-Za-z0-9_-]*):(.*)$/.exec(line);
    if (!m) return { error: `invalid frontmatter: line ${i + 1}: expected "key: value", got "${line.trim()}"` };
    const key = m[1];
    let raw = m[2].trim();
    if (raw === "") {
      // a value continued on indented lines (the block form of metadata): join and parse as JSON
      const parts = [];
      while (i + 1 < end && /^\s+\S/.test(lines[i + 1])) parts.push(lines[++i].trim());
      raw = parts.join(" ");
      if (raw === "") return { error: `invalid frontmatter: line ${i + 1}: "${key}" has no value` };
    }
    if (Object.hasOwn(fields, key)) return { error: `invalid frontmatter: "${key}" appears twice` };
    const value = parseScalar(raw);
    if (value.error) return { error: `invalid frontmatter: "${key}": ${value.error}` };
    fields[key] = value.value;
  }
  return { fields, bodyStart: end + 1 };
}

function parseScalar(raw) {
  if (raw.startsWith('"')) {
    try { return { value: JSON.parse(raw) }; } catch { return { error: "unterminated or invalid double-quoted string" }; }
  }
  if (raw.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(raw)) return { error: "unterminated single-quoted string" };
    return { value: raw.slice(1, -1).replace(/''/g, "'") };
  }
  if (raw.startsWith("{") || raw.startsWith("[")) {
    try { return { value: JSON.parse(raw) }; } catch (e) { return { error: `not valid JSON (${e.message})` }; }
  }
  const plain = raw.replace(/\s+#.*$/, "");
  if (plain === "true") return { value: true };
  if (plain === "false") return { value: false };
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(plain)) return { value: Number(plain) };
  if (/^[&*!|>%@`]/.test(plain)) return { error: `a plain value cannot start with "${plain[0]}" (quote it)` };
  if (plain.includes(": ")) return { error: 'a plain value cannot contain ": " (quote it)' };
  return { value: plain };
}

/** Lists fenced blocks with their info string, first line number (1-based) and text. */
function fencedBlocks(lines, from) {
  const blocks = [];
  let open = null;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (!open && fence) {
      open = { marker: fence[1], info: fence[2].trim(), line: i + 1, body: [] };
    } else if (open && fence && fence[1].startsWith(open.marker) && fence[2].trim() === "") {
      blocks.push({ info: open.info, line: open.line, end: i + 1, text: open.body.join("\n") });
      open = null;
    } else if (open) {
      open.body.push(line);
    }
  }
  if (open) blocks.push({ info: open.info, line: open.line, end: lines.length, text: open.body.join("\n"), unclosed: true });
  return blocks;
}

/** Checks one skill's text; `folder` is its directory name. Resolves with error strings. */
export async function checkSkillText(folder, text, d) {
  const errors = [];
  const where = `${folder}/SKILL.md`;
  const err = (line, msg) => errors.push(line ? `${where}:${line}: ${msg}` : `${where}: ${msg}`);

  const size = Buffer.byteLength(text, "utf8");
  const { min, max } = d.data.sizeBytes;
  if (size < min || size > max) err(0, `size ${size} bytes is outside ${min}..${max}`);

  const fm = parseFrontmatter(text);
  if (fm.error) {
    err(0, fm.error);
    return errors;
  }
  const f = fm.fields;
  for (const key of Object.keys(f)) if (!FRONTMATTER_KEYS.has(key)) err(0, `unknown frontmatter key "${key}"`);
  if (typeof f.name !== "string" || f.name === "") err(0, "missing name");
  else if (f.name !== folder) err(0, `name "${f.name}" differs from its folder "${folder}"`);
  if (typeof f.description !== "string" || f.description.trim() === "") err(0, "missing description");
  else if (f.description.length > 1024) err(0, `description is ${f.description.length} characters (at most 1024)`);
  checkMetadata(f.metadata, (msg) => err(0, msg));
  if ("user-invocable" in f && typeof f["user-invocable"] !== "boolean") err(0, "user-invocable must be true or false");
  if (d.workflow.has(folder) && f["user-invocable"] !== false) err(0, "a workflow skill needs user-invocable: false");
  if (!d.workflow.has(folder) && f["user-invocable"] === false) err(0, "only workflow skills set user-invocable: false");

  const lines = text.split("\n");
  const blocks = fencedBlocks(lines, fm.bodyStart);
  const inJson = new Set();
  for (const b of blocks) {
    if (b.unclosed) err(b.line, "fenced block is never closed");
    const lang = b.info.split(/\s+/)[0].toLowerCase();
    if (lang === "json5" || lang === "jsonc") err(b.line, `use \`\`\`json, not \`\`\`${lang} (json blocks are checked)`);
    if (lang !== "json") {
      if (b.text.trimStart().startsWith(ALERT_HEAD)) checkAlertBlock(b.text, d, (msg) => err(b.line, msg));
      continue;
    }
    for (let l = b.line; l <= b.end; l++) inJson.add(l);
    let value;
    try {
      value = JSON.parse(b.text);
    } catch (e) {
      err(b.line, `json block does not parse: ${e.message}`);
      continue;
    }
    await checkJsonBlock(value, d, (msg) => err(b.line, msg));
  }

  // prose and non-json blocks (the frontmatter description too)
  lines.forEach((line, i) => {
    if (inJson.has(i + 1)) return;
    for (const m of line.matchAll(/\bclaw_[a-z][a-z0-9_]*/g)) {
      if (!d.toolNames.has(m[0])) err(i + 1, `unknown tool "${m[0]}" (not in the manifest's contracts.tools)`);
    }
    for (const m of line.matchAll(/`([^`\n]+)`/g)) checkInlineName(m[1].trim(), d, (msg) => err(i + 1, msg));
    const cli = /\bnodes invoke\b.*--command\s+([^\s'"]+)(?:.*--params\s+'([^']*)')?/.exec(line);
    if (cli) {
      const command = cli[1];
      if (!d.commands.has(command)) err(i + 1, `unknown clawnode command "${command}"`);
      else if (cli[2] !== undefined) {
        let p;
        try { p = JSON.parse(cli[2]); } catch (e) { err(i + 1, `--params does not parse: ${e.message}`); p = undefined; }
        if (p !== undefined) checkCommandParams(command, p, d, (msg) => err(i + 1, msg));
      }
    }
  });
  return errors;
}

function checkMetadata(metadata, err) {
  if (metadata === undefined) return err("missing metadata (metadata.openclaw with an emoji)");
  if (!isPlainObject(metadata) || !isPlainObject(metadata.openclaw)) return err("metadata needs an \"openclaw\" object");
  const oc = metadata.openclaw;
  for (const key of Object.keys(oc)) if (!OPENCLAW_METADATA_KEYS.has(key)) err(`unknown metadata.openclaw key "${key}"`);
  if (typeof oc.emoji !== "string" || oc.emoji === "") err("metadata.openclaw.emoji missing");
  if (oc.requires !== undefined) {
    if (!isPlainObject(oc.requires)) return err("metadata.openclaw.requires must be an object");
    for (const [key, value] of Object.entries(oc.requires)) {
      if (!REQUIRES_KEYS.has(key)) err(`unknown metadata.openclaw.requires key "${key}"`);
      else if (!Array.isArray(value) || !value.every((s) => typeof s === "string")) err(`metadata.openclaw.requires.${key} must be an array of strings`);
    }
  }
}

function checkInlineName(token, d, err) {
  if (/^plugin\.clawbernetes\.\S+$/.test(token)) {
    if (!d.pluginEvents.has(token)) err(`the plugin broadcasts no gateway event "${token}" (it broadcasts: ${[...d.pluginEvents].join(", ")})`);
    return;
  }
  if (/^clawbernetes\.[a-z][a-z0-9_-]*$/.test(token)) {
    if (!d.pluginMethods.has(token)) err(`the plugin registers no gateway method "${token}" (it registers: ${[...d.pluginMethods].join(", ")})`);
    return;
  }
  if (!/^[a-z_]+(\.[a-z_]+)*(\.\*)?$/.test(token) || !token.includes(".")) return;
  const ns = token.split(".")[0];
  if (!d.namespaces.has(ns)) return;
  if (token.endsWith(".*")) {
    const prefix = token.slice(0, -1);
    if ((d.data.absentNamespaces ?? []).includes(ns) && !token.slice(ns.length + 1).includes(".")) return;
    if (![...d.commands].some((c) => c.startsWith(prefix))) err(`no clawnode command matches "${token}"`);
    return;
  }
  if (d.commands.has(token) || d.gatewayMethods.has(token)) return;
  err(`unknown clawnode command "${token}"`);
}

async function checkJsonBlock(value, d, err) {
  if (!isPlainObject(value)) return err("json block must hold one object: a tool call, a command call or an answer excerpt");
  const keys = Object.keys(value).sort().join(",");
  if ("tool" in value) {
    const tool = value.tool;
    if (keys !== "args,tool" && keys !== "details,tool") return err(`a tool block has exactly "tool" and "args" (a call) or "tool" and "details" (an answer), got ${Object.keys(value).join(", ")}`);
    if (typeof tool !== "string") return err('"tool" must be a string');
    if (tool in (d.data.hostTools ?? {})) {
      if (!("args" in value)) return err(`show ${tool} calls only, not answers`);
      return checkHostToolCall(tool, value.args, d, err);
    }
    if (!d.toolNames.has(tool)) return err(`unknown tool "${tool}" (not in the manifest's contracts.tools)`);
    const spec = d.tools[tool];
    if (!spec) return err(`the plugin does not register tool "${tool}" (it is in the manifest only)`);
    if ("args" in value) return checkToolArgs(tool, spec.parameters, value.args, d, err);
    checkShape(value.details, spec.details, `${tool} details`, "", err, true);
    if (tool === "claw_multi_invoke") checkInvokedPayloads(value.details, d, err);
    return;
  }
  if ("command" in value) {
    const command = value.command;
    if (!["command,params", "command,response", "command,error"].includes(keys)) {
      return err(`a command block has exactly "command" and one of "params", "response", "error", got ${Object.keys(value).join(", ")}`);
    }
    if (typeof command !== "string" || !d.commands.has(command)) return err(`unknown clawnode command "${command}"`);
    if ("params" in value) return checkCommandParams(command, value.params, d, err);
    if ("error" in value) {
      if (!isPlainObject(value.error) || !Object.keys(value.error).every((k) => k === "code" || k === "message")) {
        err(`${command} error has only "code" and "message"`);
      }
      return;
    }
    const samples = d.answers[command];
    if (!samples) return err(`no recorded answer for ${command} in the fixtures: do not show its fields`);
    return checkShape(value.response, samples, `${command} answer`, "", err);
  }
  return err("json block is neither a tool call, a command call nor an answer excerpt");
}

async function checkToolArgs(tool, schema, args, d, err) {
  if (!isPlainObject(args)) return err(`${tool} args must be a JSON object ({}), not ${JSON.stringify(args)}`);
  const props = schema?.properties ?? {};
  let refused = false;
  const schemaErr = (msg) => {
    refused = true;
    err(msg);
  };
  for (const [key, value] of Object.entries(args)) {
    if (!(key in props)) {
      if (schema?.additionalProperties === false) schemaErr(`${tool} does not accept "${key}" (accepted: ${Object.keys(props).join(", ")})`);
      continue;
    }
    if (tool === "claw_multi_invoke" && key === "command" && !d.commands.has(value)) {
      schemaErr(`unknown clawnode command "${value}"`);
      continue;
    }
    if (!schemaOk(props[key], value)) schemaErr(`${tool} "${key}" must be ${describeSchema(props[key])}`);
  }
  for (const key of schema?.required ?? []) if (!(key in args)) schemaErr(`${tool} needs "${key}"`);
  if (tool === "claw_deploy" && !refused) {
    // preferNode names a node of the skill's own example fleet: the plugin's check of it is
    // about that fleet, not the arguments' form
    const { preferNode, ...rest } = args;
    const why = await d.checkDeploy(rest);
    if (why !== null) err(`the plugin refuses these claw_deploy args: ${why.replace(/^claw_deploy: /, "")}`);
  }
  if (tool === "claw_multi_invoke" && typeof args.command === "string" && d.commands.has(args.command) && "params" in args) {
    checkCommandParams(args.command, args.params, d, err);
  }
}

/** A claw_multi_invoke excerpt's payloads are node answers: check them like answer excerpts. */
function checkInvokedPayloads(details, d, err) {
  if (!isPlainObject(details) || !Array.isArray(details.results)) return;
  const command = details.command;
  if (command === undefined) return;
  if (typeof command !== "string" || !d.commands.has(command)) return err(`unknown clawnode command "${command}"`);
  const payloads = details.results.filter((r) => isPlainObject(r) && isPlainObject(r.payload)).map((r) => r.payload);
  if (payloads.length === 0) return;
  const samples = d.answers[command];
  if (!samples) return err(`no recorded answer for ${command} in the fixtures: do not show its fields`);
  for (const p of payloads) checkShape(p, samples, `${command} answer in results[].payload`, "", err);
}

function checkHostToolCall(tool, args, d, err) {
  const host = d.data.hostTools[tool];
  if (!isPlainObject(args)) return err(`${tool} args must be a JSON object`);
  const action = host.actions[args.action];
  if (!action) return err(`${tool} action must be one of ${Object.keys(host.actions).join(", ")}`);
  for (const key of Object.keys(args)) {
    if (key !== "action" && !(key in action.params)) err(`${tool} action ${args.action} does not take "${key}"`);
  }
  for (const key of action.required) if (!(key in args)) err(`${tool} action ${args.action} needs "${key}"`);
  if (args.action !== "invoke") return;
  const command = args.invokeCommand;
  if (typeof command !== "string" || !d.commands.has(command)) return err(`unknown clawnode command "${command}"`);
  if (host.blockedInvokeCommands.includes(command)) return err(`the ${tool} tool refuses ${command}; use claw_multi_invoke (allowed by name in the plugin config)`);
  if (!("invokeParamsJson" in args)) return err(`${tool} invoke of ${command} needs invokeParamsJson (at least "{}")`);
  if (typeof args.invokeParamsJson !== "string") return err(`${tool} invokeParamsJson must be a string holding a JSON object`);
  let p;
  try { p = JSON.parse(args.invokeParamsJson); } catch (e) { return err(`invokeParamsJson does not parse: ${e.message}`); }
  checkCommandParams(command, p, d, err);
}

/** Checks params for one clawnode command against params.json. */
export function checkCommandParams(command, params, d, err) {
  const spec = d.params[command];
  if (!spec) return err(`no param data for ${command} in params.json`);
  if (!isPlainObject(params)) return err(`${command} params must be a JSON object ({} at least), not ${JSON.stringify(params)}`);
  const accepted = [...spec.required, ...spec.oneOf, ...spec.optional];
  for (const key of Object.keys(params)) {
    if (!accepted.includes(key)) err(`${command} does not accept param "${key}" (accepted: ${accepted.join(", ") || "none"})`);
  }
  for (const key of spec.required) if (!(key in params)) err(`${command} needs param "${key}"`);
  if (spec.oneOf.length && !spec.oneOf.some((k) => k in params)) err(`${command} needs one of ${spec.oneOf.map((k) => `"${k}"`).join(", ")}`);
  for (const [key, type] of Object.entries(spec.types)) {
    if (key in params && !typeOk(type, params[key])) err(`${command} param "${key}" must be ${type.says}`);
  }
}

/**
 * Every field in `shown` must exist at the same place in at least one of `samples`; with
 * `vocabulary`, a string in a vocabulary field must be a value the samples show there.
 */
function checkShape(shown, samples, label, prefix, err, vocabulary = false) {
  if (!isPlainObject(shown)) return err(`${label} excerpt must be a JSON object`);
  const objects = samples.filter(isPlainObject);
  for (const [key, value] of Object.entries(shown)) {
    const here = objects.filter((o) => Object.hasOwn(o, key)).map((o) => o[key]);
    if (here.length === 0) {
      const known = [...new Set(objects.flatMap((o) => Object.keys(o)))].sort();
      err(`${label} has no field "${prefix}${key}" (it has: ${known.join(", ")})`);
      continue;
    }
    if (FREE_FORM_FIELDS.has(key)) continue;
    if (vocabulary && VOCABULARY_FIELDS.has(key) && typeof value === "string") {
      const seen = [...new Set(here.filter((v) => typeof v === "string"))].sort();
      if (seen.length && !seen.includes(value)) err(`${label} field "${prefix}${key}" is never "${value}" (real results show: ${seen.join(", ")})`);
    }
    if (isPlainObject(value)) {
      const inner = here.filter(isPlainObject);
      if (inner.length && inner.some((o) => Object.keys(o).length)) checkShape(value, inner, label, `${prefix}${key}.`, err, vocabulary);
    } else if (Array.isArray(value)) {
      const elements = here.filter(Array.isArray).flat();
      if (!elements.some(isPlainObject)) continue;
      for (const el of value) if (isPlainObject(el)) checkShape(el, elements, label, `${prefix}${key}[].`, err, vocabulary);
    }
  }
}

/** Checks a whole skills directory; resolves with every error (empty when all is well). */
export async function checkSkills(skillsDir, d) {
  const errors = [];
  if (!fs.existsSync(skillsDir)) return [`${skillsDir}: no skills directory`];
  const folders = fs.readdirSync(skillsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const withSkill = [];
  for (const folder of folders) {
    const file = path.join(skillsDir, folder, "SKILL.md");
    if (!fs.existsSync(file)) {
      errors.push(`${folder}: no SKILL.md`);
      continue;
    }
    withSkill.push(folder);
    errors.push(...(await checkSkillText(folder, fs.readFileSync(file, "utf8"), d)));
  }
  if (withSkill.length !== d.expected.length) errors.push(`expected ${d.expected.length} skills, found ${withSkill.length}`);
  for (const name of d.expected) if (!withSkill.includes(name)) errors.push(`missing skill "${name}"`);
  for (const name of withSkill) if (!d.expected.includes(name)) errors.push(`unexpected skill "${name}"`);
  return errors;
}
