// An in-process stand-in for the OpenClaw 2026.9.6 gateway as a plugin host, with a fleet of
// simulated clawnodes. Plain ESM, no dependencies. Used by the JS tests and by bench/.
//
// What it mirrors, read from the installed gateway's dist/ code and measured against a running
// gateway (/work/notes/openclaw-host-facts.md; tests/support/fake-openclaw.test.mjs checks each):
// - api.runtime.nodes.invoke dispatches the gateway's `node.invoke` method in process. Failures
//   reject with a GatewayClientRequestError-shaped Error {name, message, code, gatewayCode,
//   details, retryable, retryAfterMs}; an abort rejects at once with `signal.reason` (the
//   DOMException "This operation was aborted" for a bare `abort()`).
// - Admission: every node invoke goes through the gateway's shared-state read worker pool, which
//   admits at most 128 pending tasks gateway-wide (`maxPendingTasks`, hard-coded). Past that an
//   invoke rejects at once with UNAVAILABLE "WorkerTaskError: worker task capacity reached:
//   code=overloaded", retryable false, no details. Here: at most `capacity` [128] invokes pending
//   per fleet (one gateway), counted from admission until the caller gets its answer.
// - A node serves one invoke at a time (clawnode handles invokes serially in its socket loop).
//   The gateway arms each invoke's deadline when it sends it, so time spent queued at the node
//   counts against `timeoutMs`. A timed-out or aborted invoke is still served by the node (it
//   cannot be recalled), so it keeps the node busy.
// - Node-list entries carry the gateway's field names: clientId ("node-host" for a clawnode),
//   clientMode, platform (today's clawnode sends "linux x86_64"), deviceFamily (only from
//   protocol-4 clients, or filled in by the node-host alias for platform "linux"), caps,
//   commands, approvalState, paired, connected, invocableCommands (connected nodes only), and
//   pendingRequestId / pendingDeclaredCommands only for callers holding operator.admin or
//   operator.pairing (a service timer's synthetic client holds operator.write and never sees
//   them). A node pending approval lists caps [] and commands [].
// - Command surface: a node's `commands` are what it declares, minus what the pairing
//   allowlist (platform defaults + gateway.nodes.commands.allow + the plugins' node invoke
//   policies for that platform, minus deny) keeps out, minus — for a protocol-3 node, when any
//   plugin registered a node invoke policy — every policy-named command that is not a built-in
//   one (filterLegacyNodeProtocolFeatures). "linux x86_64" normalises to platform "unknown", so
//   a "linux" policy never lets anything through for it. An invoke must pass the runtime
//   allowlist, then the node's commands, with the gateway's two error texts.
// - A node command answered through a plugin's node invoke policy surfaces its errors with the
//   policy path's shapes (INVALID_REQUEST, bare message, details.code); without a policy, with the
//   plain path's shapes (UNAVAILABLE, "CODE: message", details.nodeError).
// - clawnode sends `payload` as an object, so `payloadJSON` is null in every result.
// - api.runtime.state: openKeyedStore throws PLUGIN_TRUST_REFUSED for a path-loaded plugin (the
//   only way clawbernetes is installed today; `trusted: true` makes it work as for a bundled
//   plugin), resolveStateDir() returns the state dir (a fresh scratch folder per api unless one
//   is given). api.runtime.system.enqueueSystemEvent(text, {sessionKey, contextKey?}) with the
//   real queue rules (20 per session, duplicates dropped, "main" → "agent:main:main"; throws
//   without options or sessionKey) and requestHeartbeat({source, intent, …}); the queue is what
//   the gateway's `status` shows as queuedSystemEvents (`host.queuedSystemEvents()`).
import { readFileSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, dirname, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURE_DIR = resolvePath(here, "../fixtures/clawnode");

/** The 68 commands a default clawnode build declares, in the fixture file's order. */
export const DEFAULT_COMMANDS = Object.freeze(
  readFileSync(join(FIXTURE_DIR, "commands-default-build.txt"), "utf8").split(/\s+/).filter(Boolean),
);

/** Fixture per command: `{command, params, response}` or `{command, params, error}`; the file named exactly `<command>.json` wins. */
export const FIXTURES = (() => {
  const out = {};
  const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith(".json") && f !== "params.json").sort();
  for (const f of files) {
    const fx = JSON.parse(readFileSync(join(FIXTURE_DIR, f), "utf8"));
    if (!fx || typeof fx.command !== "string") continue;
    const exact = f === `${fx.command}.json`;
    if (exact || !(fx.command in out)) out[fx.command] = fx;
  }
  return Object.freeze(out);
})();

/** Param keys each command reads (`params.json`). */
export const PARAM_SPECS = JSON.parse(readFileSync(join(FIXTURE_DIR, "params.json"), "utf8"));

// ---------------------------------------------------------------------------------------------
// The gateway's node command policy (src/gateway/node-command-policy.ts, node-commands.ts)

const SYSTEM_COMMANDS = [
  "system.run.prepare", "system.run", "system.which", "system.execApprovals.get", "system.execApprovals.set",
  "fs.listDir", "terminal.upload", "system.notify", "browser.proxy", "browser.proxy.upload.v1", "mcp.tools.call.v1",
  "agent.cli.claude.run.v1",
];
const DESKTOP_SCREEN = ["screen.snapshot", "desktop.stream"];
const DEVICE = ["device.info", "device.status"];
const MOTION = ["motion.activity", "motion.pedometer"];
/** Desktop host commands: in the pairing allowlist of desktop platforms, at run time only once approved. */
const DESKTOP_HOST_COMMANDS = new Set([
  "system.run.prepare", "system.run", "system.which", "system.execApprovals.get", "system.execApprovals.set",
  "fs.listDir", "terminal.upload", "browser.proxy", "browser.proxy.upload.v1", "mcp.tools.call.v1",
  "agent.cli.claude.run.v1", ...DESKTOP_SCREEN,
]);
/** Commands that need an explicit gateway.nodes.commands.allow entry. */
export const DANGEROUS_COMMANDS = Object.freeze([
  "camera.snap", "camera.clip", "camera.ptz.control", "screen.record", "contacts.add", "calendar.add", "reminders.add",
  "sms.send", "sms.search", "health.summary",
]);
/** Commands each normalised platform allows with no config (PLATFORM_DEFAULTS). */
export const PLATFORM_DEFAULTS = Object.freeze({
  ios: ["camera.list", "location.get", ...DEVICE, "contacts.search", "calendar.events", "reminders.list", "photos.latest", ...MOTION, "system.notify"],
  watchos: [...DEVICE, "system.notify"],
  android: [
    "camera.list", "location.get", "notifications.list", "notifications.actions", "system.notify", ...DEVICE, "device.permissions",
    "device.health", "device.apps", "contacts.search", "calendar.events", "callLog.search", "reminders.list", "photos.latest",
    ...MOTION, "mobile.ui.observe", "mobile.ui.act",
  ],
  macos: [
    "camera.list", "camera.ptz.status", "location.get", ...DEVICE, "device.apps", "contacts.search", "calendar.events",
    "reminders.list", "photos.latest", ...MOTION, ...SYSTEM_COMMANDS, ...DESKTOP_SCREEN, "computer.act",
  ],
  linux: [...SYSTEM_COMMANDS, ...DESKTOP_SCREEN, "computer.act"],
  windows: ["camera.list", "location.get", ...DEVICE, ...SYSTEM_COMMANDS, ...DESKTOP_SCREEN, "computer.act"],
  unknown: ["camera.list", "location.get", "system.notify"],
});
/** What a linux node may run with no config and no plugin policy (its defaults minus desktop host commands). */
export const LINUX_DEFAULT_ALLOW = Object.freeze(PLATFORM_DEFAULTS.linux.filter((c) => !DESKTOP_HOST_COMMANDS.has(c)));
/** Commands filterLegacyNodeProtocolFeatures never withholds. */
const BUILT_IN_COMMANDS = new Set([
  ...Object.values(PLATFORM_DEFAULTS).flat(),
  ...DANGEROUS_COMMANDS,
  "talk.ptt.start", "talk.ptt.stop", "talk.ptt.cancel", "talk.ptt.once",
  "watch.status", "watch.notify",
]);
const DESKTOP = new Set(["macos", "windows", "linux"]);
// The node-host client's desktop aliases, applied when it connects (normalizeNodeHostCompatibilityMetadata).
const NODE_HOST_ALIASES = {
  darwin: ["macos", "Mac"], linux: ["linux", "Linux"], macos: ["macos", "Mac"], win32: ["windows", "Windows"], windows: ["windows", "Windows"],
};
const FAMILY_TOKENS = [["ios", ["iphone", "ipad", "ios"]], ["watchos", ["apple watch", "watchos"]], ["android", ["android"]], ["macos", ["mac"]], ["windows", ["windows"]], ["linux", ["linux"]]];

const norm = (v) => (typeof v === "string" ? v.trim().normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase() : "");

/** The gateway's normalizePlatformId: "linux" needs deviceFamily "linux"; any other non-empty label such as "linux x86_64" is "unknown". */
export function normalizePlatformId(platform, deviceFamily) {
  const raw = norm(platform);
  const family = norm(deviceFamily);
  const matches = {
    ios: family === "" || /^(?:iphone|ipad|ios)$/.test(family),
    watchos: family === "apple watch" || family === "watchos",
    android: family === "" || family === "android",
    macos: family === "mac",
    windows: family === "windows",
    linux: family === "linux",
  };
  if (raw in matches) return matches[raw] ? raw : "unknown";
  if (/^(?:ios|ipados) \d+(?:\.\d+){0,2}$/.test(raw) && /^(?:iphone|ipad|ios)$/.test(family)) return "ios";
  if (/^macos \d+(?:\.\d+){0,2}$/.test(raw) && family === "mac") return "macos";
  if (/^android \d+(?: \(sdk \d+\))?$/.test(raw) && family === "android") return "android";
  if (raw) return "unknown";
  return FAMILY_TOKENS.find(([, tokens]) => tokens.some((t) => family.includes(t)))?.[0] ?? "unknown";
}
// ---------------------------------------------------------------------------------------------
// Errors, exactly as the gateway builds them

/** The Error a failed `api.runtime.nodes.invoke` / `list` rejects with (GatewayClientRequestError). */
export class GatewayClientRequestError extends Error {
  constructor({ code, message, details, retryable, retryAfterMs }) {
    super(message ?? "request failed");
    this.name = "GatewayClientRequestError";
    this.code = code ?? "UNAVAILABLE";
    this.gatewayCode = this.code;
    this.details = details;
    this.retryable = retryable === true;
    this.retryAfterMs = retryAfterMs;
  }
}

function abortError(signal) {
  if (signal.reason instanceof Error) return signal.reason;
  const err = new Error("gateway request aborted for node.invoke", { cause: signal.reason });
  err.name = "AbortError";
  return err;
}

const pairingChanged = () => ({
  code: "UNAVAILABLE",
  message: "node pairing changed while invocation was active",
  retryable: true,
  details: { code: "PAIRING_CHANGED" },
});

const notConnected = () => ({
  code: "UNAVAILABLE",
  message: "node not connected",
  details: {
    code: "NOT_CONNECTED",
    nodeError: { code: "NOT_CONNECTED", message: "node not connected" },
    nodeCommandDispatched: false,
  },
});

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function fnv1a(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix32(a) {
  a = (a + 0x6d2b79f5) | 0;
  let t = Math.imul(a ^ (a >>> 15), 1 | a);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A seeded PRNG (mulberry32): `rng()` in [0, 1). */
export function createRng(seed = 1) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const Z99 = 2.326347874040841; // standard normal quantile at 0.99

/**
 * A seeded log-normal latency model: `({node, command, seq}) => ms`, an integer >= 1.
 * The draw depends only on (seed, nodeId, seq) — the seq-th invoke the node serves — so a run
 * that sends each node the same invokes in the same order sees the same latencies.
 */
export function lognormalLatency({ median = 20, p99 = 200, seed = 1 } = {}) {
  const mu = Math.log(median);
  const sigma = Math.log(p99 / median) / Z99;
  const s = seed >>> 0;
  const fn = ({ node, seq }) => {
    const base = (node._hash ^ Math.imul(s, 0x9e3779b1) ^ Math.imul(seq + 1, 0x85ebca6b)) >>> 0;
    const u1 = Math.max(mix32(base), 1e-12);
    const u2 = mix32(base ^ 0x5bd1e995);
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.max(1, Math.round(Math.exp(mu + sigma * z)));
  };
  fn.model = { kind: "lognormal", median, p99, seed: s, mu, sigma };
  return fn;
}

function latencyFunction(latency, seed) {
  if (latency === undefined || latency === null) return lognormalLatency({ seed });
  if (typeof latency === "function") return latency;
  if (typeof latency === "number") {
    const ms = Math.max(0, latency);
    const fn = () => ms;
    fn.model = { kind: "constant", ms };
    return fn;
  }
  if (typeof latency === "object") return lognormalLatency({ seed, ...latency });
  throw new TypeError("latency must be a number, a function or {median, p99, seed}");
}

// ---------------------------------------------------------------------------------------------
// Node answers

const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const isErrorAnswer = (v) =>
  v !== null && typeof v === "object" && !Array.isArray(v) && "error" in v && Object.keys(v).length === 1 &&
  v.error !== null && typeof v.error === "object";

const TEMPLATE = Object.fromEntries(
  Object.entries(FIXTURES)
    .filter(([, fx]) => "response" in fx)
    .map(([cmd, fx]) => [cmd, JSON.stringify(fx.response)]),
);
const fromTemplate = (cmd) => JSON.parse(TEMPLATE[cmd]);

function hex(seedText, len) {
  let out = "";
  let i = 0;
  while (out.length < len) out += createHash("sha256").update(`${seedText}:${i++}`).digest("hex");
  return out.slice(0, len);
}

/** The node's default answer to a command it has no `answers` entry for. */
function fixtureAnswer(command, params) {
  const fx = FIXTURES[command];
  if (fx && "response" in fx) return fromTemplate(command);
  if (fx && fx.error) return { error: { ...fx.error } };
  return { success: true };
}

// clawnode's parameter checks for the commands a fleet plugin sends with arguments
function checkParams(command, params) {
  const spec = PARAM_SPECS[command];
  if (!spec || typeof spec !== "object") return null;
  const required = Array.isArray(spec.required) ? spec.required : [];
  if (params === null || params === undefined) {
    if (required.length === 0) return null;
    return `invalid type: null, expected struct ${command.split(/[._]/).map((w) => w[0].toUpperCase() + w.slice(1)).join("")}Params`;
  }
  if (typeof params !== "object" || Array.isArray(params)) return `invalid type: ${Array.isArray(params) ? "sequence" : typeof params}, expected struct`;
  if (command === "workload.stop" || command === "workload.logs" || command === "workload.inspect" || command === "workload.stats") {
    if (params.containerId === undefined && params.name === undefined) return "containerId or name required";
    return null;
  }
  for (const key of required) if (!(key in params)) return `missing field \`${key}\``;
  const types = spec.types ?? {};
  for (const [key, t] of Object.entries(types)) {
    if (!(key in params) || params[key] === null) continue;
    const v = params[key];
    if (String(t).startsWith("string[]") && !Array.isArray(v)) {
      return `invalid type: ${typeof v === "object" ? "map" : typeof v === "string" ? `string "${v}"` : typeof v}, expected a sequence`;
    }
  }
  return null;
}

// Answers for nodes made by makeNodes(): built from the node's spec on every invoke, so 5000
// nodes cost a few small objects each, not a copy of every payload.
const SPEC_ANSWERS = {
  "node.health"(params, node) {
    const s = node.spec;
    const r = fromTemplate("node.health");
    r.hostname = s.hostname;
    r.cpu_count = s.cpuCount;
    r.gpu_count = s.gpus.length;
    r.load_average = { one: s.load, five: s.load * 0.9, fifteen: s.load * 0.8 };
    r.memory = {
      total_mb: s.memTotalMb,
      used_mb: s.memUsedMb,
      available_mb: s.memTotalMb - s.memUsedMb,
      usage_percent: (100 * s.memUsedMb) / s.memTotalMb,
    };
    const d = r.disks[0];
    d.usage_percent = s.diskPct;
    d.available_bytes = Math.round(d.total_bytes * (1 - s.diskPct / 100));
    r.uptime_secs = s.uptime;
    return r;
  },
  "node.capabilities"(params, node) {
    const s = node.spec;
    const r = fromTemplate("node.capabilities");
    r.hostname = s.hostname;
    r.cpu_count = s.cpuCount;
    r.total_memory_mb = s.memTotalMb;
    r.capabilities = s.gpus.length ? ["system", "gpu", "nvidia", "docker", "container"] : ["system", "docker", "container"];
    r.gpus = s.gpus.map((g, index) => ({ index, memory_mb: g.memoryMb, name: g.model }));
    r.gpu_count = s.gpus.length;
    r.gpu_total_memory_gb = Math.floor(s.gpus.reduce((a, g) => a + g.memoryMb, 0) / 1024);
    return r;
  },
  "system.info"(params, node) {
    const s = node.spec;
    const r = fromTemplate("system.info");
    r.hostname = s.hostname;
    r.cpu_count = s.cpuCount;
    r.total_memory_mb = s.memTotalMb;
    r.used_memory_mb = s.memUsedMb;
    r.available_memory_mb = s.memTotalMb - s.memUsedMb;
    r.capabilities = s.gpus.length ? ["system", "gpu", "nvidia", "docker", "container"] : ["system", "docker", "container"];
    r.gpu_count = s.gpus.length;
    r.gpu_total_memory_gb = Math.floor(s.gpus.reduce((a, g) => a + g.memoryMb, 0) / 1024);
    return r;
  },
  "gpu.list"(params, node) {
    const gpus = node.spec.gpus.map((g, index) => ({
      index,
      memory_total_mb: g.memoryMb,
      name: g.model,
      pci_bus_id: g.pci,
      uuid: g.uuid,
    }));
    return { count: gpus.length, gpus, total_memory_gb: Math.floor(gpus.reduce((a, g) => a + g.memory_total_mb, 0) / 1024) };
  },
  "gpu.metrics"(params, node) {
    const metrics = node.spec.gpus.map((g, index) => ({
      index,
      memory_total_mb: g.memoryMb,
      memory_used_mb: g.memUsedMb,
      power_draw_w: g.powerDrawW,
      power_limit_w: g.powerLimitW,
      temperature_c: g.tempC,
      utilization_percent: g.util,
      uuid: g.uuid,
    }));
    return { count: metrics.length, metrics };
  },
  "workload.list"(params, node) {
    const workloads = node.spec.workloads.map((w) => ({ ...w }));
    return { count: workloads.length, runtime: "cli", workloads };
  },
};

/** The ids of the `n`-th container `workload.run` starts on `nodeId` (from 0): 64-hex containerId, UUID workloadId. */
export function runIds(nodeId, n) {
  const id = hex(`${nodeId}:wl:${n}`, 32);
  return {
    containerId: hex(`${nodeId}:run:${n}`, 64),
    workloadId: `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`,
  };
}

// clawnode's workload.run (`docker run -d`): a new container, which `docker ps -a` lists from then on
// with the node's `runStatus` ["Up Less than a second"]; its name is the one asked for, else one made up.
function startContainer(params, node) {
  const n = node.runs++;
  const { containerId, workloadId } = runIds(node.nodeId, n);
  const name = params.name ?? `${String(params.image).split(/[/:]/).slice(-2, -1)[0] || "workload"}-${n}`;
  node.started.push({ containerId: containerId.slice(0, 12), image: params.image, name, status: node.runStatus ?? "Up Less than a second" });
  return { containerId, image: params.image, name, runtime: "cli", success: true, workloadId };
}

// ---------------------------------------------------------------------------------------------
// Nodes

/** A 64-hex node id like a real clawnode's (SHA-256 of a name). */
export const nodeIdFor = (name) => createHash("sha256").update(String(name)).digest("hex");

const pick = (v, i, dflt) => (typeof v === "function" ? v(i) : v === undefined ? dflt : v);

/**
 * N fixture-shaped node specs for createFleet, deterministic for a given seed.
 * Options (each a value or `(i) => value`): `prefix` ["gpu-node"], `gpus` [2], `gpuModel`
 * ["NVIDIA H100 80GB HBM3"], `gpuMemoryMb` [81559], `cpuOnly` [false] (or `cpuOnlyEvery: k`:
 * nodes k-1, 2k-1, … have no GPU), `failing` [false] (or `failEvery: k`): every command answers
 * COMMAND_ERROR "simulated failure", `connected` [true], `approvalState` ["approved"],
 * `platform` ["linux x86_64"], `protocol` [3] (today's clawnode), `deviceFamily` [none; protocol 4 only],
 * `workloads` [1] containers per node, `busyGpus` [1]: GPUs 0..busyGpus-1 show load, `commands`
 * [DEFAULT_COMMANDS], `seed` [1].
 */
export function makeNodes(n, opts = {}) {
  const prefix = opts.prefix ?? "gpu-node";
  const seed = opts.seed ?? 1;
  const width = Math.max(4, String(n).length);
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const rng = createRng(fnv1a(`${seed}:${prefix}:${i}`));
    const name = `${prefix}-${String(i).padStart(width, "0")}`;
    const cpuOnly = opts.cpuOnlyEvery ? (i + 1) % opts.cpuOnlyEvery === 0 : Boolean(pick(opts.cpuOnly, i, false));
    const failing = opts.failEvery ? (i + 1) % opts.failEvery === 0 : Boolean(pick(opts.failing, i, false));
    const gpuCount = cpuOnly ? 0 : pick(opts.gpus, i, 2);
    const model = pick(opts.gpuModel, i, "NVIDIA H100 80GB HBM3");
    const memoryMb = pick(opts.gpuMemoryMb, i, 81559);
    const busy = pick(opts.busyGpus, i, 1);
    const gpus = [];
    for (let g = 0; g < gpuCount; g++) {
      const u = hex(`${name}:gpu:${g}`, 32);
      const loaded = g < busy;
      gpus.push({
        model,
        memoryMb,
        uuid: `GPU-${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20, 32)}`,
        pci: `00000000:${(0x18 + g * 0x12).toString(16).toUpperCase().padStart(2, "0")}:00.0`,
        util: loaded ? 60 + Math.floor(rng() * 40) : 0,
        memUsedMb: loaded ? Math.floor(memoryMb * (0.5 + rng() * 0.4)) : 1,
        tempC: loaded ? 62 + Math.floor(rng() * 18) : 30 + Math.floor(rng() * 8),
        powerDrawW: loaded ? Math.fround(400 + rng() * 250) : null,
        powerLimitW: loaded ? 700.0 : null,
      });
    }
    const wlCount = pick(opts.workloads, i, 1);
    const workloads = [];
    for (let w = 0; w < wlCount; w++) {
      const exited = w % 3 === 2;
      workloads.push({
        containerId: hex(`${name}:ctr:${w}`, 12),
        image: w % 2 ? "vllm/vllm-openai:v0.6.0" : "pytorch/pytorch:2.0",
        name: `${w % 2 ? "serve" : "train"}-${w + 1}`,
        status: exited ? `Exited (0) ${1 + (w % 5)} hours ago` : `Up ${5 + w} minutes`,
      });
    }
    const node = {
      nodeId: nodeIdFor(`${seed}:${name}`),
      displayName: name,
      platform: pick(opts.platform, i, "linux x86_64"),
      protocol: pick(opts.protocol, i, 3),
      deviceFamily: pick(opts.deviceFamily, i, undefined),
      connected: pick(opts.connected, i, true),
      approvalState: pick(opts.approvalState, i, "approved"),
      commands: pick(opts.commands, i, DEFAULT_COMMANDS),
      spec: {
        hostname: name,
        cpuCount: gpuCount ? 32 : 16,
        memTotalMb: gpuCount ? 257698 : 64300,
        memUsedMb: Math.floor((gpuCount ? 257698 : 64300) * (0.2 + rng() * 0.4)),
        diskPct: 30 + rng() * 40,
        load: Math.round(rng() * 800) / 100,
        uptime: 3600 + Math.floor(rng() * 86400 * 30),
        gpus,
        workloads,
      },
    };
    if (failing) {
      node.answers = new Proxy({}, {
        get: () => ({ error: { code: "COMMAND_ERROR", message: "simulated failure" } }),
        has: () => true,
      });
    }
    nodes.push(node);
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------------
// The fleet: node sessions, their queues, accounting

/** The gateway-wide admission limit of pending node invokes (the shared-state read pool's maxPendingTasks). */
export const GATEWAY_CAPACITY = 128;

/**
 * A fleet of simulated clawnodes behind one gateway.
 * `nodes`: `[{nodeId, displayName?, platform?="linux x86_64", protocol?=3, deviceFamily? (sent by
 *   protocol-4 clients only), clientId?="node-host", connected?=true, approvalState?="approved",
 *   commands?=DEFAULT_COMMANDS, caps?, answers?: {[command]: payload | (params, node, ctx) => payload
 *   | {error:{code,message}}}, spec?, runStatus?}]` (makeNodes() builds these). A container
 *   workload.run starts is listed by workload.list from then on (`node.started`, mutable: change
 *   its `status`, or remove it) with status `runStatus` ["Up Less than a second"].
 * `latency`: ms as a number, `({node, command, params, seq}) => ms`, or `{median, p99, seed}`;
 *   default log-normal median 20 ms, p99 200 ms. 0 answers on the next turn of the event loop.
 * `seed`: seeds the default latency model [1].
 * `capacity`: pending node invokes the gateway admits at once [GATEWAY_CAPACITY]; settable later
 *   as `fleet.capacity`.
 */
export function createFleet({ nodes = [], latency, seed = 1, capacity = GATEWAY_CAPACITY } = {}) {
  const latencyOf = latencyFunction(latency, seed);
  const byId = new Map();
  const now = () => performance.now();
  let log = [];
  let recording = true;
  let inFlight = 0;
  let idleWaiters = [];
  let stats;
  let pending = 0;

  const resetStats = () => {
    stats = {
      startedAt: now(),
      perNode: new Map(), // nodeId -> {invokes: {cmd: n}, busyMs, served}
      timeouts: [], // {nodeId, command, timeoutMs, queuedMs, latencyMs, staleAhead}
      aborted: 0,
      lists: 0,
      maxQueueDepth: 0,
      overloaded: 0,
      peakPending: 0,
      firstAdmittedAt: undefined,
      lastSettledAt: undefined,
    };
  };
  resetStats();

  const nodeStats = (id) => {
    let s = stats.perNode.get(id);
    if (!s) {
      s = { invokes: {}, busyMs: 0, served: 0 };
      stats.perNode.set(id, s);
    }
    return s;
  };

  for (const raw of nodes) addNode(raw);

  function addNode(raw) {
    if (!raw || typeof raw.nodeId !== "string" || !raw.nodeId) throw new TypeError("every node needs a nodeId");
    const node = {
      nodeId: raw.nodeId,
      displayName: raw.displayName ?? raw.nodeId.slice(0, 12),
      platform: raw.platform ?? "linux x86_64",
      protocol: raw.protocol ?? 3,
      deviceFamily: raw.deviceFamily,
      clientId: raw.clientId ?? "node-host",
      connected: raw.connected ?? true,
      approvalState: raw.approvalState ?? "approved",
      commands: [...(raw.commands ?? DEFAULT_COMMANDS)],
      caps: raw.caps ?? ["container", "docker", "gpu", "nvidia", "system"],
      answers: raw.answers ?? {},
      spec: raw.spec,
      runs: 0,
      started: [],
      runStatus: raw.runStatus,
      version: raw.version ?? "0.4.2",
      remoteIp: raw.remoteIp,
      connectedAtMs: raw.connectedAtMs ?? Date.now(),
      _hash: fnv1a(raw.nodeId),
      queue: [],
      busy: null,
      seq: 0,
    };
    byId.set(node.nodeId, node);
    return node;
  }

  /** Connected nodes first, then by display name (what node.list returns, before projection). */
  function listNodes(params) {
    if (recording) log.push({ op: "list", params: params ? { ...params } : undefined });
    stats.lists++;
    const all = [...byId.values()];
    const chosen = params?.connected === true ? all.filter((n) => n.connected) : all;
    chosen.sort((a, b) => {
      if (a.connected !== b.connected) return a.connected ? -1 : 1;
      const l = a.displayName.toLowerCase();
      const r = b.displayName.toLowerCase();
      return l < r ? -1 : l > r ? 1 : a.nodeId.localeCompare(b.nodeId);
    });
    return chosen;
  }

  /** `node.list` for a caller with every scope and no plugin policy, every declared command allowed (the HTTP `nodes` tool's status). */
  function list(params) {
    const surface = createSurface({ allowlist: "declared", scopes: ["operator.admin"] });
    return { nodes: listNodes(params).map((n) => surface.entry(n)) };
  }

  /** Admits one invoke into the gateway's bounded pool, or refuses it as the gateway does. */
  function admit() {
    if (pending >= fleet.capacity) {
      stats.overloaded++;
      return false;
    }
    pending++;
    if (pending > stats.peakPending) stats.peakPending = pending;
    stats.firstAdmittedAt ??= now();
    return true;
  }

  function release() {
    pending--;
  }

  // A node's answer: its `answers` entry, else clawnode's own (spec or fixture). Containers the
  // node started with workload.run join its workload.list, unless that answer is a function.
  function answer(node, command, params, seq) {
    const ctx = { seq, fleet };
    let v;
    const given = command in node.answers ? node.answers[command] : undefined;
    if (command in node.answers) {
      v = typeof given === "function" ? given(params, node, ctx) : given;
    } else {
      const bad = checkParams(command, params);
      if (bad) return { ok: false, error: { code: "COMMAND_ERROR", message: bad } };
      if (command === "workload.run") return { ok: true, payload: startContainer(params, node) };
      v = node.spec && SPEC_ANSWERS[command] ? SPEC_ANSWERS[command](params ?? {}, node, ctx) : fixtureAnswer(command, params);
    }
    if (isErrorAnswer(v)) return { ok: false, error: { code: v.error.code ?? "COMMAND_ERROR", message: v.error.message ?? "" } };
    // the node's own answers are built fresh on every invoke; given ones are copied
    const payload = command in node.answers ? clone(v) : v;
    if (command === "workload.list" && typeof given !== "function" && node.started.length && Array.isArray(payload?.workloads)) {
      payload.workloads.push(...node.started.map((c) => ({ ...c })));
      payload.count = payload.workloads.length;
    }
    return { ok: true, payload };
  }

  function settle(job, res) {
    if (job.settled) return;
    job.settled = true;
    stats.lastSettledAt = now();
    if (job.timer) clearTimeout(job.timer);
    if (job.signal && job.onAbort) job.signal.removeEventListener("abort", job.onAbort);
    job.resolve(res);
  }

  function pump(node) {
    if (node.busy || node.queue.length === 0) return;
    const job = node.queue.shift();
    node.busy = job;
    job.startedAt = now();
    const seq = node.seq++;
    let ms = Number(latencyOf({ node, command: job.command, params: job.params, seq }));
    if (!Number.isFinite(ms) || ms < 0) ms = 0;
    job.latencyMs = ms;
    const s = nodeStats(node.nodeId);
    s.invokes[job.command] = (s.invokes[job.command] ?? 0) + 1;
    s.busyMs += ms;
    s.served++;
    const finish = () => {
      const res = answer(node, job.command, job.params, seq);
      if (job.timeoutRecord) job.timeoutRecord.latencyMs = ms;
      settle(job, res);
      node.busy = null;
      inFlight--;
      pump(node);
      if (inFlight === 0 && idleWaiters.length) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const r of w) r();
      }
    };
    if (ms === 0) setImmediate(finish);
    else setTimeout(finish, ms);
  }

  /**
   * The node registry's invoke: queue `command` on the node and resolve with what the node
   * answered, `{ok:true, payload}` or `{ok:false, error:{code, message}}` (TIMEOUT "node invoke
   * timed out", ABORTED "node invoke cancelled", NOT_CONNECTED, COMMAND_ERROR, …). Never rejects.
   * `timeoutMs`: undefined → 30000, 0 → no deadline; the deadline runs from this call.
   */
  function dispatch(nodeId, command, params, { timeoutMs, signal } = {}) {
    const node = byId.get(nodeId);
    if (!node || !node.connected) return Promise.resolve({ ok: false, error: { code: "NOT_CONNECTED", message: "node not connected" } });
    if (signal?.aborted) return Promise.resolve({ ok: false, error: { code: "ABORTED", message: "node invoke cancelled" } });
    const t = timeoutMs === undefined || timeoutMs === null || !Number.isFinite(Number(timeoutMs)) ? 30000 : Math.max(0, Math.floor(Number(timeoutMs)));
    return new Promise((resolve) => {
      const job = { command, params, resolve, settled: false, enqueuedAt: now(), startedAt: undefined, latencyMs: undefined, timer: null, signal, onAbort: null };
      const staleAhead = (node.busy && node.busy.settled) || node.queue.some((j) => j.settled);
      if (t > 0) {
        job.timer = setTimeout(() => {
          const rec = {
            nodeId,
            command,
            timeoutMs: t,
            queuedMs: (job.startedAt ?? now()) - job.enqueuedAt,
            latencyMs: job.latencyMs,
            staleAhead: Boolean(staleAhead),
          };
          job.timeoutRecord = rec;
          stats.timeouts.push(rec);
          settle(job, { ok: false, error: { code: "TIMEOUT", message: "node invoke timed out" } });
        }, t);
      }
      if (signal) {
        job.onAbort = () => {
          stats.aborted++;
          settle(job, { ok: false, error: { code: "ABORTED", message: "node invoke cancelled" } });
        };
        signal.addEventListener("abort", job.onAbort, { once: true });
      }
      inFlight++;
      node.queue.push(job);
      const depth = node.queue.length + (node.busy ? 1 : 0);
      if (depth > stats.maxQueueDepth) stats.maxQueueDepth = depth;
      pump(node);
    });
  }

  const fleet = {
    /** Node records by id (mutable: flip `connected`, change `answers`, … between calls). */
    nodes: byId,
    latency: latencyOf,
    /** Pending node invokes the gateway admits at once. */
    capacity,
    addNode,
    removeNode: (nodeId) => byId.delete(nodeId),
    list,
    listNodes,
    dispatch,
    admit,
    release,
    /** Node invokes admitted and not yet answered. */
    get pending() {
      return pending;
    },
    /** Resolves when no invoke is queued or being served on any node. */
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))),
    get inFlight() {
      return inFlight;
    },
    /** The recorded calls since the last takeLog(): `{op:"list", params}` and `{op:"invoke", nodeId, command, params, timeoutMs}`. */
    takeLog() {
      const l = log;
      log = [];
      return l;
    },
    setRecording(on) {
      recording = Boolean(on);
    },
    _record(entry) {
      if (recording) log.push(entry);
    },
    resetStats,
    /**
     * Accounting since the last resetStats(): per node `{invokes: {command: n}, busyMs}` (busyMs:
     * the sum of the latencies the node spent serving, queue time excluded), `slowestNodeMs` (the
     * largest busyMs), `busyMsTotal` (their sum), `idealMs` = max(slowestNodeMs, busyMsTotal /
     * capacity): no call over these invokes can finish sooner, since a node serves one invoke at
     * a time and the gateway holds at most `capacity` pending, totals by command,
     * `timeouts` with each one's own latency and time queued, `aborted`, `lists`, `overloaded`
     * (invokes refused at admission), `peakPending` (most invokes admitted at once),
     * `firstAdmittedMs` / `lastSettledMs` (when the first invoke was admitted and the last one
     * answered, ms after resetStats(); undefined before any).
     */
    stats() {
      const perNode = {};
      let slowestNodeMs = 0;
      let busyMsTotal = 0;
      let totalInvokes = 0;
      const byCommand = {};
      for (const [id, s] of stats.perNode) {
        perNode[id] = { invokes: { ...s.invokes }, busyMs: s.busyMs };
        if (s.busyMs > slowestNodeMs) slowestNodeMs = s.busyMs;
        busyMsTotal += s.busyMs;
        for (const [c, k] of Object.entries(s.invokes)) {
          byCommand[c] = (byCommand[c] ?? 0) + k;
          totalInvokes += k;
        }
      }
      const timeouts = stats.timeouts.map((t) => ({ ...t }));
      const slowNode = timeouts.filter((t) => t.latencyMs !== undefined && t.latencyMs >= t.timeoutMs).length;
      return {
        perNode,
        idealMs: Math.max(slowestNodeMs, busyMsTotal / fleet.capacity),
        slowestNodeMs,
        busyMsTotal,
        totalInvokes,
        byCommand,
        timeouts,
        timeoutSummary: { total: timeouts.length, slowNode, queued: timeouts.length - slowNode },
        aborted: stats.aborted,
        lists: stats.lists,
        maxQueueDepth: stats.maxQueueDepth,
        overloaded: stats.overloaded,
        peakPending: stats.peakPending,
        firstAdmittedMs: stats.firstAdmittedAt === undefined ? undefined : stats.firstAdmittedAt - stats.startedAt,
        lastSettledMs: stats.lastSettledAt === undefined ? undefined : stats.lastSettledAt - stats.startedAt,
      };
    },
  };
  return fleet;
}

// ---------------------------------------------------------------------------------------------
// What the gateway lets through: each node's command surface and its list entry

/** The platform and device family a node's connection ends up with (the node-host alias applied). */
function connectMetadata(node) {
  let platform = node.platform;
  let deviceFamily = node.protocol >= 4 ? node.deviceFamily : undefined;
  const alias = node.clientId === "node-host" ? NODE_HOST_ALIASES[platform] : undefined;
  if (alias) {
    const [p, f] = alias;
    const family = typeof deviceFamily === "string" ? deviceFamily.trim() : "";
    if ((!family || family.toLowerCase() === f.toLowerCase()) && !(platform === p && family)) {
      platform = p;
      deviceFamily = family || f;
    }
  }
  return { platform, deviceFamily };
}

/**
 * The gateway's view of node command surfaces for one plugin host:
 * `policies` (registered node invoke policies, with the plugin id of each in `pluginIds`),
 * `allowlist` "declared" (an operator who put every command its nodes declare into
 * gateway.nodes.commands.allow) or "config" (only `config.gateway.nodes.commands.allow`),
 * `allowCommands` (more allow entries), `scopes` (the caller's: pending fields need
 * operator.admin or operator.pairing).
 */
function createSurface({ policies = [], pluginIds = [], allowlist = "declared", allowCommands = [], config = {}, scopes = ["operator.write"] } = {}) {
  const extra = [...(config.gateway?.nodes?.commands?.allow ?? []), ...allowCommands].map((c) => String(c).trim()).filter(Boolean);
  const deny = new Set((config.gateway?.nodes?.commands?.deny ?? []).map((c) => String(c).trim()));
  const seesPending = scopes.includes("operator.admin") || scopes.includes("operator.pairing");
  const byPlatform = new Map();

  // resolveNodeCommandAllowlistInternal, without the node's own commands: {runtime, pairing} per platform id.
  function allowFor(platformId) {
    let a = byPlatform.get(platformId);
    if (a && a.policies === policies.length) return a;
    const defaults = PLATFORM_DEFAULTS[platformId] ?? PLATFORM_DEFAULTS.unknown;
    const fromPolicies = policies.filter((p) => p.dangerous !== true && (p.defaultPlatforms ?? []).includes(platformId)).flatMap((p) => p.commands ?? []);
    const build = (base, withDangerous) => {
      const set = new Set([...base, ...fromPolicies, ...extra].filter((c) => withDangerous || !DANGEROUS_COMMANDS.includes(c)));
      for (const c of extra) set.add(c);
      for (const c of deny) set.delete(c);
      return set;
    };
    const desktop = DESKTOP.has(platformId);
    a = {
      policies: policies.length,
      runtime: build(desktop ? defaults.filter((c) => !DESKTOP_HOST_COMMANDS.has(c)) : defaults, false),
      pairing: build(defaults, true),
    };
    byPlatform.set(platformId, a);
    return a;
  }

  // filterLegacyNodeProtocolFeatures: what a protocol-3 node loses once any plugin registered a policy.
  const legacyWithheld = () => new Set(policies.flatMap((p) => p.commands ?? []).filter((c) => !BUILT_IN_COMMANDS.has(c)));

  // Per node, what follows from its surface alone (computed again once any input changes, so
  // flipping approvalState or replacing commands between calls is seen): every invoke asks.
  const memo = new WeakMap();
  function memoized(node, name, compute) {
    const key = [node.commands, node.approvalState, node.protocol, node.platform, node.deviceFamily, node.clientId, policies.length];
    let m = memo.get(node);
    if (!m || m.key.some((k, i) => k !== key[i])) memo.set(node, (m = { key, values: {} }));
    if (!(name in m.values)) m.values[name] = compute();
    return m.values[name];
  }

  function platformOf(node) {
    return memoized(node, "platform", () => {
      const m = connectMetadata(node);
      return normalizePlatformId(m.platform, m.deviceFamily);
    });
  }

  /** The node's declared commands the pairing allowlist admits (what an operator approves). */
  function approvable(node) {
    return memoized(node, "approvable", () => {
      const { pairing } = allowFor(platformOf(node));
      const declared = allowlist === "declared";
      return [...new Set(node.commands.map((c) => c.trim()).filter(Boolean))].filter((c) => (declared && !deny.has(c)) || pairing.has(c));
    });
  }

  /** The node's effective commands: approvable, minus what the legacy-protocol filter withholds. */
  function commands(node) {
    return memoized(node, "commands", () => {
      if (node.approvalState === "pending-approval") return [];
      const ok = approvable(node);
      if (node.protocol >= 4 || policies.length === 0) return ok;
      const withheld = legacyWithheld();
      return ok.filter((c) => !withheld.has(c));
    });
  }

  /** Why the runtime refuses `command` for `node` (isNodeCommandAllowed), or null. */
  function refusal(node, command, effective) {
    const platformId = platformOf(node);
    const { runtime } = allowFor(platformId);
    const approvedHost = DESKTOP.has(platformId) && effective.includes(command) && DESKTOP_HOST_COMMANDS.has(command);
    const allowed = runtime.has(command) || approvedHost || (allowlist === "declared" && node.commands.includes(command) && !deny.has(command));
    const platform = connectMetadata(node).platform ?? "unknown";
    if (!allowed) {
      const message = deny.has(command)
        ? `node command not allowed: "${command}" is blocked by gateway.nodes.commands.deny`
        : DANGEROUS_COMMANDS.includes(command)
          ? `node command not allowed: "${command}" requires explicit gateway.nodes.commands.allow opt-in`
          : `node command not allowed: "${command}" is not in the allowlist for platform "${platform}"`;
      return { code: "INVALID_REQUEST", message, details: { reason: "command not allowlisted", command } };
    }
    if (!effective.includes(command)) {
      return {
        code: "INVALID_REQUEST",
        message: `node command not allowed: the node (platform: ${platform}) does not support "${command}"`,
        details: { reason: "command not declared by node", command },
      };
    }
    return null;
  }

  /** The node's list entry as node.list projects it for this caller. */
  function entry(node) {
    const pendingApproval = node.approvalState === "pending-approval";
    const cmds = [...commands(node)].sort();
    const { platform, deviceFamily } = connectMetadata(node);
    const legacyCaps = node.protocol >= 4 || policies.length === 0 ? node.caps : node.caps.filter((c) => !pluginIds.includes(c));
    const pendingFields =
      seesPending && node.approvalState.startsWith("pending")
        ? { pendingRequestId: `req-${node.nodeId.slice(0, 8)}`, pendingDeclaredCaps: [...node.caps].sort(), pendingDeclaredCommands: [...approvable(node)].sort() }
        : {};
    const platformId = platformOf(node);
    const { runtime } = allowFor(platformId);
    const approvedHost = (c) => DESKTOP.has(platformId) && DESKTOP_HOST_COMMANDS.has(c);
    return {
      nodeId: node.nodeId,
      displayName: node.displayName,
      platform,
      version: node.version,
      clientId: node.clientId,
      clientMode: "node",
      ...(deviceFamily ? { deviceFamily } : {}),
      ...(node.remoteIp ? { remoteIp: node.remoteIp } : {}),
      caps: pendingApproval ? [] : [...legacyCaps].sort(),
      commands: cmds,
      approvalState: node.approvalState,
      ...pendingFields,
      connectedAtMs: node.connected ? node.connectedAtMs : undefined,
      lastConnectedAtMs: node.connectedAtMs,
      paired: true,
      connected: node.connected,
      ...(node.connected
        ? { invocableCommands: cmds.filter((c) => runtime.has(c) || approvedHost(c) || (allowlist === "declared" && !deny.has(c))) }
        : {}),
    };
  }

  return { platformOf, commands, refusal, entry };
}

// ---------------------------------------------------------------------------------------------
// api.runtime.nodes

function validateInvokeParams(p) {
  if (!p || typeof p !== "object") return "invalid node.invoke params: must be object";
  for (const key of Object.keys(p)) {
    if (!["nodeId", "command", "params", "timeoutMs", "idempotencyKey", "sessionKey", "signal", "scopes"].includes(key)) {
      return `invalid node.invoke params: must NOT have additional properties (${key})`;
    }
  }
  if (p.timeoutMs !== undefined && (!Number.isInteger(p.timeoutMs) || p.timeoutMs < 0)) {
    return "invalid node.invoke params: at /timeoutMs: must be integer >= 0";
  }
  return null;
}

/** The error of an invoke the gateway's worker pool has no room for. */
export const overloadError = () => ({ code: "UNAVAILABLE", message: "WorkerTaskError: worker task capacity reached: code=overloaded", retryable: false });

/**
 * `api.runtime.nodes` over a fleet, as the gateway builds it for a plugin: `list({connected})`
 * and `invoke({nodeId, command, params, timeoutMs, signal})`.
 * `policies`: the node invoke policies registered so far (their `handle` is called for the
 * commands they cover, like the real gateway), `pluginIds` the ids of the plugins that
 * registered them. `allowlist` "declared" (default: an operator who allowed every command its
 * nodes declare) or "config" (only `config.gateway.nodes.commands.allow` and `allowCommands`,
 * beside the platform defaults and the policies). `scopes`: the caller's scopes
 * [["operator.write"], a service timer's synthetic client].
 */
export function createNodesRuntime(
  fleet,
  { policies = [], pluginIds = [], allowlist = "declared", allowCommands = [], config = {}, pluginConfig = {}, scopes = ["operator.write"] } = {},
) {
  if (allowlist !== "declared" && allowlist !== "config") throw new TypeError('allowlist must be "declared" or "config"');
  const surface = createSurface({ policies, pluginIds, allowlist, allowCommands, config, scopes });
  const respondError = (e) => ({ ok: false, error: e });

  async function handleInvoke(p) {
    const nodeId = typeof p.nodeId === "string" ? p.nodeId.trim() : "";
    const command = typeof p.command === "string" ? p.command.trim() : "";
    if (!nodeId || !command) return respondError({ code: "INVALID_REQUEST", message: "nodeId and command required" });
    const node = fleet.nodes.get(nodeId);
    if (!node) return respondError(pairingChanged());
    if (node.approvalState === "pending-approval") return respondError(pairingChanged());
    if (!node.connected) return respondError(notConnected());
    const refused = surface.refusal(node, command, surface.commands(node));
    if (refused) return respondError(refused);
    const policy = policies.find((pol) => Array.isArray(pol.commands) && pol.commands.includes(command));
    const sendParams = "params" in p ? p.params : undefined;
    if (policy) {
      let dispatched = false;
      const invokeNode = async (override = {}) => {
        dispatched = true;
        const res = await fleet.dispatch(nodeId, command, override.params ?? sendParams, {
          timeoutMs: override.timeoutMs ?? p.timeoutMs,
          signal: p.signal,
        });
        if (!res.ok) return { ok: false, code: res.error?.code, message: res.error?.message ?? "node command failed", details: { nodeError: res.error ?? null } };
        return { ok: true, payload: res.payload, payloadJSON: null };
      };
      let result;
      try {
        result = await policy.handle({
          nodeId,
          command,
          params: sendParams,
          timeoutMs: p.timeoutMs,
          idempotencyKey: p.idempotencyKey,
          config,
          pluginConfig,
          node: surface.entry(node),
          client: null,
          invokeNode,
        });
      } catch (err) {
        return respondError({ code: "UNAVAILABLE", message: err instanceof Error ? err.message : String(err) });
      }
      if (!result || !result.ok) {
        return respondError({
          code: result?.unavailable ? "UNAVAILABLE" : "INVALID_REQUEST",
          message: result?.message,
          details: { ...(result?.details ?? {}), nodeCommandDispatched: dispatched, ...(result?.code ? { code: result.code } : {}) },
        });
      }
      return { ok: true, payload: { ok: true, nodeId, command, payload: result.payload, payloadJSON: result.payloadJSON ?? null } };
    }
    const res = await fleet.dispatch(nodeId, command, sendParams, { timeoutMs: p.timeoutMs, signal: p.signal });
    if (!res.ok) {
      const code = typeof res.error?.code === "string" ? res.error.code.trim() : "";
      const msg = (typeof res.error?.message === "string" && res.error.message.trim()) || "node invoke failed";
      return respondError({
        code: "UNAVAILABLE",
        message: code ? `${code}: ${msg}` : msg,
        details: { nodeError: res.error ?? null, nodeCommandDispatched: true },
      });
    }
    return { ok: true, payload: { ok: true, nodeId, command, payload: res.payload, payloadJSON: null } };
  }

  return {
    async list(params) {
      return { nodes: fleet.listNodes(params).map((n) => surface.entry(n)) };
    },
    async invoke(params) {
      const signal = params?.signal;
      if (signal?.aborted) throw abortError(signal);
      const bad = validateInvokeParams(params);
      if (bad) throw new GatewayClientRequestError({ code: "INVALID_REQUEST", message: bad });
      if (!fleet.admit()) throw new GatewayClientRequestError(overloadError());
      try {
        return await admitted(params, signal);
      } finally {
        fleet.release();
      }
    },
    openDuplex() {
      throw new Error("openDuplex is not simulated");
    },
  };

  async function admitted(params, signal) {
    fleet._record({ op: "invoke", nodeId: params.nodeId, command: params.command, params: params.params, timeoutMs: params.timeoutMs });
    const work = handleInvoke(params);
    let response;
    if (signal) {
      let onAbort;
      const cancelled = new Promise((_, reject) => {
        onAbort = () => reject(abortError(signal));
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        response = await Promise.race([work, cancelled]);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    } else {
      response = await work;
    }
    if (!response.ok) throw new GatewayClientRequestError(response.error);
    return response.payload;
  }
}

// ---------------------------------------------------------------------------------------------
// The plugin api

const unavailableNodes = () => {
  const unavailable = () => {
    throw new Error("Plugin node runtime is only available inside the Gateway.");
  };
  return { list: unavailable, invoke: unavailable, openDuplex: unavailable };
};

// Scratch state dirs made for apis that were not given one; removed when the process exits.
const scratchDirs = [];
process.once("exit", () => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh scratch folder for a plugin's state (removed when the process exits). */
export function scratchStateDir() {
  const d = mkdtempSync(join(tmpdir(), "fake-openclaw-state-"));
  scratchDirs.push(d);
  return d;
}

// Trusted plugins' keyed stores, per state dir and namespace (like the SQLite file under the state dir).
const keyedStores = new Map();

/** The error openKeyedStore throws for a plugin that is neither bundled nor a trusted official install. */
export class PluginTrustRefusalError extends Error {
  constructor({ methodName, pluginId, source, origin = "config" }) {
    super(
      `${methodName} is only available for trusted plugins in this release. Plugin ${JSON.stringify(pluginId)} loaded from ${JSON.stringify(source)} ` +
        `with origin ${JSON.stringify(origin)}; reason=record-missing; registryPath=null; origin=${JSON.stringify(origin)}; installSource=null; ` +
        "installSpec=null. Compare this registryPath with openclaw plugins inspect <plugin-id> --json. If the CLI and Gateway state paths differ, " +
        "align the service environment; otherwise reinstall from the official npm package or ClawHub listing.",
    );
    this.code = "PLUGIN_TRUST_REFUSED";
    this.name = "PluginTrustRefusalError";
  }
}

/** A keyed store as openKeyedStore returns it to a trusted plugin: async register/lookup/delete/entries, JSON values of at most 1 MiB. */
function keyedStore(stateDir, pluginId, { namespace, maxEntries } = {}) {
  if (typeof namespace !== "string" || !/^[a-z0-9][a-z0-9._-]*$/i.test(namespace) || Buffer.byteLength(namespace) > 128) {
    throw new Error(`invalid plugin state namespace: ${namespace}`);
  }
  const storeKey = `${stateDir}\0${pluginId}\0${namespace}`;
  let map = keyedStores.get(storeKey);
  if (!map) keyedStores.set(storeKey, (map = new Map()));
  const checkKey = (key) => {
    const k = String(key).trim();
    if (!k || Buffer.byteLength(k) > 512) throw new Error("plugin state key must be 1 to 512 bytes");
    return k;
  };
  return {
    async register(key, value) {
      const k = checkKey(key);
      const text = JSON.stringify(value);
      if (text === undefined || Buffer.byteLength(text) > 1024 * 1024) throw new Error("plugin state value must be JSON of at most 1 MiB");
      map.delete(k);
      map.set(k, text);
      while (Number.isInteger(maxEntries) && map.size > maxEntries) map.delete(map.keys().next().value);
    },
    async lookup(key) {
      const t = map.get(checkKey(key));
      return t === undefined ? undefined : JSON.parse(t);
    },
    async delete(key) {
      return map.delete(checkKey(key));
    },
    async entries() {
      return [...map].map(([key, t]) => ({ key, value: JSON.parse(t) }));
    },
    async clear() {
      map.clear();
    },
  };
}

/** "main" and "global" as the system-event runtime canonicalises them; other keys must be agent-qualified. */
function systemEventSessionKey(sessionKey) {
  const k = sessionKey.trim();
  if (k === "main") return "agent:main:main";
  if (k === "global") return "global";
  if (/^agent:[^:]+:.+$/.test(k)) return k;
  throw new Error("system events require an agent-qualified sessionKey");
}

/**
 * A plugin `api` over a fleet, and what the plugin registers through it.
 * Options: `fleet`, `pluginConfig` [{}], `config` (the whole OpenClaw config) [{}], `id`
 * ["clawbernetes"], `registrationMode` ["full"], `runtime` [true] (false: runtime.nodes throws
 * like outside the gateway), `manifest` (openclaw.plugin.json: enforces contracts.tools),
 * `allowlist` ["declared" | "config"], `allowCommands` [], `scopes` (of the caller the runtime
 * serves) [["operator.write"]], `stateDir` [a fresh scratch folder], `trusted` [false]: whether
 * the plugin may open a keyed store (bundled or trusted official install), `source` (its entry
 * path, for the trust error).
 */
export function createApi({
  fleet,
  pluginConfig = {},
  config = {},
  id = "clawbernetes",
  registrationMode = "full",
  runtime = true,
  manifest,
  allowlist = "declared",
  allowCommands = [],
  scopes = ["operator.write"],
  stateDir = scratchStateDir(),
  trusted = false,
  source = resolvePath(here, "../../js-shim/index.js"),
  workspaceDir = process.cwd(),
} = {}) {
  const tools = new Map();
  const services = [];
  const methods = new Map();
  const policies = [];
  const pluginIds = [];
  const logs = [];
  const events = [];
  const errors = [];
  const systemEvents = [];
  const heartbeats = [];
  const queues = new Map(); // session key -> [{text, contextKey}]
  let sealed = false;
  let lateRegistrations = 0;

  const logger = {
    debug: (msg) => logs.push({ level: "debug", msg: String(msg) }),
    info: (msg) => logs.push({ level: "info", msg: String(msg) }),
    warn: (msg) => logs.push({ level: "warn", msg: String(msg) }),
    error: (msg) => logs.push({ level: "error", msg: String(msg) }),
  };

  const nodesRuntime =
    runtime && fleet ? createNodesRuntime(fleet, { policies, pluginIds, allowlist, allowCommands, config, pluginConfig, scopes }) : unavailableNodes();

  const state = {
    resolveStateDir: () => stateDir,
    openKeyedStore(options) {
      if (!trusted) throw new PluginTrustRefusalError({ methodName: "openKeyedStore", pluginId: id, source });
      return keyedStore(stateDir, id, options);
    },
  };

  const system = {
    // enqueueSystemEvent(text, {sessionKey, contextKey?, …}) → boolean (src/infra/system-events.ts)
    enqueueSystemEvent(text, options) {
      const { sessionKey, contextKey } = options; // throws on undefined options, like the real destructuring
      const key = systemEventSessionKey(sessionKey.trim()); // throws on a missing sessionKey ("reading 'trim'")
      let queue = queues.get(key);
      if (!queue) queues.set(key, (queue = []));
      const cleaned = String(text).trim();
      const ctx = typeof contextKey === "string" && contextKey.trim() ? contextKey.trim().toLowerCase() : null;
      const duplicate = (e) => e !== undefined && e.text === cleaned && e.contextKey === ctx;
      const accepted = Boolean(cleaned) && !(ctx === null ? duplicate(queue.at(-1)) : queue.some(duplicate));
      systemEvents.push({ text: cleaned, sessionKey: key, contextKey: ctx, accepted });
      if (!accepted) return false;
      queue.push({ text: cleaned, contextKey: ctx });
      if (queue.length > 20) queue.shift();
      return true;
    },
    requestHeartbeat(opts) {
      heartbeats.push({ ...opts });
    },
  };

  const guard = (fn) => (...args) => {
    if (sealed) {
      lateRegistrations++;
      return;
    }
    return fn(...args);
  };

  const declaredTools = manifest?.contracts?.tools;

  const api = {
    id,
    name: manifest?.name ?? id,
    version: manifest?.version,
    registrationMode,
    config,
    pluginConfig,
    logger,
    runtime: { nodes: nodesRuntime, state, system },
    resolvePath: (p) => resolvePath(workspaceDir, p),
    registerTool: guard((tool, opts) => {
      const name = typeof tool === "function" ? opts?.name : tool?.name;
      if (!name) {
        errors.push("tool without a name");
        return;
      }
      if (manifest && !(Array.isArray(declaredTools) && declaredTools.includes(name))) {
        errors.push(`plugin must declare contracts.tools for: ${name}`);
        return;
      }
      tools.set(name, tool);
    }),
    registerService: guard((service) => {
      services.push(service);
    }),
    registerGatewayMethod: guard((name, handler, opts = {}) => {
      methods.set(name, { handler, opts });
    }),
    registerNodeInvokePolicy: guard((policy) => {
      policies.push(policy);
      if (!pluginIds.includes(id)) pluginIds.push(id);
    }),
    registerCli: guard(() => {}),
    registerCommand: guard(() => {}),
    registerHttpRoute: guard(() => {}),
    on: guard(() => {}),
  };

  const resolveTool = (name) => {
    const t = tools.get(name);
    if (!t) throw new Error(`no tool registered as ${name}`);
    return typeof t === "function" ? t({}) : t;
  };

  let serviceCtxs = [];

  const host = {
    api,
    tools,
    services,
    methods,
    policies,
    logs,
    events,
    /** Every enqueueSystemEvent call: `{text, sessionKey, contextKey, accepted}`. */
    systemEvents,
    /** Every requestHeartbeat call's options. */
    heartbeats,
    /** The texts queued on the main session now, as the gateway's `status` shows queuedSystemEvents. */
    queuedSystemEvents: () => (queues.get("agent:main:main") ?? []).map((e) => e.text),
    /** The state dir resolveStateDir() returns. */
    stateDir,
    /** Registration errors the real loader would report (undeclared tools, …). */
    errors,
    get lateRegistrations() {
      return lateRegistrations;
    },
    /**
     * Load a plugin entry (its default export `{register}` or a bare function) into this api:
     * `register(api)` must return synchronously; register* calls after it returns are ignored.
     */
    register(entry) {
      const fn = typeof entry === "function" ? entry : entry?.register;
      if (typeof fn !== "function") throw new TypeError("plugin entry has no register(api)");
      const out = fn.call(entry, api);
      sealed = true;
      if (out && typeof out.then === "function") throw new Error("plugin register must be synchronous.");
      return host;
    },
    /** `execute(toolCallId, params, signal, onUpdate)` of a registered tool. */
    async callTool(name, params = {}, { signal, onUpdate, toolCallId = `call-${Math.random().toString(36).slice(2, 10)}` } = {}) {
      return await resolveTool(name).execute(toolCallId, params, signal, onUpdate);
    },
    /** A gateway method's handler; resolves with what it passed to `respond` as `{ok, payload, error}`. */
    async callMethod(name, params = {}, { client, signal } = {}) {
      const m = methods.get(name);
      if (!m) throw new Error(`no gateway method registered as ${name}`);
      let first;
      const respond = (ok, payload, error) => {
        if (!first) first = { ok: Boolean(ok), payload, error };
      };
      try {
        await m.handler({
          params,
          respond,
          client: client ?? { connect: { scopes: ["operator.read", "operator.write"] } },
          context: {},
          req: { type: "req", id: `req-${Date.now()}`, method: name, params },
          isWebchatConnect: () => false,
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        if (!first) first = { ok: false, payload: undefined, error: { code: "UNAVAILABLE", message: err instanceof Error ? err.message : String(err) }, thrown: err };
      }
      if (!first) first = { ok: false, payload: undefined, error: { code: "UNAVAILABLE", message: `Gateway method "${name}" completed without a response.` } };
      return first;
    },
    /** The ctx a service's start/stop gets. */
    serviceContext() {
      return {
        config,
        workspaceDir,
        stateDir,
        logger,
        serviceHealth: {
          failures: [],
          reportFailure(err) {
            this.failures.push(err instanceof Error ? err.message : String(err));
          },
          clearFailure() {
            this.failures.length = 0;
          },
        },
        invokeNode: runtime && fleet ? (params) => nodesRuntime.invoke(params) : undefined,
        gatewayEvents: {
          emit(event, payload, opts) {
            if (!/^[a-z][a-z0-9_-]*$/u.test(event)) throw new Error(`invalid plugin gateway event name: ${event}`);
            if (!isBoundedJson(payload)) throw new Error("plugin gateway event payload must be bounded JSON");
            if (!["operator.read", "operator.write", "operator.admin"].includes(opts?.scope)) throw new Error("plugin gateway event scope must be an operator scope");
            events.push({ event: `plugin.${id}.${event}`, name: event, payload, scope: opts.scope });
          },
          onSessionsChanged: () => () => {},
        },
      };
    },
    /** Start every registered service (in registration order) with a fresh ctx each. */
    async startServices() {
      serviceCtxs = services.map(() => host.serviceContext());
      for (let i = 0; i < services.length; i++) await services[i].start?.(serviceCtxs[i]);
    },
    async stopServices() {
      for (let i = services.length - 1; i >= 0; i--) await services[i].stop?.(serviceCtxs[i] ?? host.serviceContext());
    },
  };
  return host;
}

// The gateway's bounded-JSON check for gateway event payloads (host-hook-json limits).
const JSON_LIMITS = { maxDepth: 32, maxNodes: 4096, maxObjectKeys: 512, maxStringLength: 65536, maxSerializedBytes: 262144 };
function withinLimits(value, state) {
  state.nodes += 1;
  if (state.nodes > JSON_LIMITS.maxNodes || state.depth > JSON_LIMITS.maxDepth) return false;
  if (value === null || typeof value === "boolean") return true;
  if (typeof value === "string") return value.length <= JSON_LIMITS.maxStringLength;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) {
    state.depth += 1;
    const ok = value.every((v) => withinLimits(v, state));
    state.depth -= 1;
    return ok;
  }
  if (typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const entries = Object.entries(value);
  if (entries.length > JSON_LIMITS.maxObjectKeys) return false;
  state.depth += 1;
  const ok = entries.every(([k, v]) => k.length <= JSON_LIMITS.maxStringLength && withinLimits(v, state));
  state.depth -= 1;
  return ok;
}
export function isBoundedJson(value) {
  if (!withinLimits(value, { depth: 0, nodes: 0 })) return false;
  try {
    return Buffer.byteLength(JSON.stringify(value), "utf8") <= JSON_LIMITS.maxSerializedBytes;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Replay: the host's own cost for a recorded call

/**
 * Send a recorded sequence (fleet.takeLog()) straight to the fleet through api.runtime.nodes, with
 * no plugin: each node's invokes one after another, at most `concurrency` nodes at once (default
 * the fleet's capacity, so the gateway admits every invoke), the lists first. The CPU this costs
 * is the host's share of the recorded call. Resolves with `{invokes, lists, failed}`.
 */
export async function replay(fleet, entries, { runtime, concurrency = fleet.capacity } = {}) {
  const rt = runtime ?? createNodesRuntime(fleet);
  const perNode = new Map();
  let lists = 0;
  for (const e of entries) {
    if (e.op === "list") {
      lists++;
      await rt.list(e.params);
    } else if (e.op === "invoke") {
      let q = perNode.get(e.nodeId);
      if (!q) perNode.set(e.nodeId, (q = []));
      q.push(e);
    }
  }
  let invokes = 0;
  let failed = 0;
  const queues = [...perNode.values()];
  let next = 0;
  const worker = async () => {
    while (next < queues.length) {
      for (const e of queues[next++]) {
        invokes++;
        try {
          await rt.invoke({ nodeId: e.nodeId, command: e.command, params: e.params, ...(e.timeoutMs !== undefined ? { timeoutMs: e.timeoutMs } : {}) });
        } catch {
          failed++;
        }
      }
    }
  };
  const workers = Math.max(1, Math.min(queues.length, Number.isFinite(concurrency) ? concurrency : queues.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return { invokes, lists, failed };
}
