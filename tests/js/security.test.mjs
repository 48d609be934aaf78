// Security through the built plugin (pkg/ via js-shim) with the fake OpenClaw host: the gateway
// token stays out of logs, results and errors and goes only to gatewayUrl; gatewayUrl must be
// http(s); claw_multi_invoke refuses dangerous commands unless allowed by name; claw_deploy
// passes no docker flags; node secrets are not echoed unless revealSecrets.
// Each case is written to target/reliability/js-security.jsonl for docs/RELIABILITY.md.
import { test } from "node:test";
import { createServer } from "node:http";
import { createApi, createFleet, makeNodes, FIXTURES } from "../support/fake-openclaw.mjs";
import plugin from "../../js-shim/index.js";
import { recorder } from "../support/reliability.mjs";

const { check, servers } = recorder("js-security");

const TOKEN = "tok-SECURITY-5e1f0c2a9b7d";

function load({ fleet, pluginConfig = {}, runtime = true } = {}) {
  const host = createApi({ fleet, pluginConfig, runtime });
  host.register(plugin);
  return host;
}

async function outcome(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

/** A loopback server recording every request; `reply(req, body)` → [status, bodyText, headers?]. */
async function server(reply) {
  const seen = [];
  const s = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      seen.push({ url: req.url, auth: req.headers.authorization ?? null, body });
      const [status, out, headers = {}] = await reply(req, body);
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(out);
    });
  });
  servers.push(s);
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${s.address().port}`, seen, stop: () => new Promise((r) => { s.close(r); s.closeAllConnections(); }) };
}

/** A gateway stand-in over `fleet` checking the bearer token; `mode.status` forces an HTTP status for invokes. */
async function gateway(fleet, mode = {}) {
  return server(async (req, body) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return [401, JSON.stringify({ ok: false, error: { type: "unauthorized", message: "Unauthorized" } })];
    const p = JSON.parse(body);
    if (p.action === "status") return [200, JSON.stringify({ ok: true, result: { details: fleet.list({}) } })];
    if (mode.status) return [mode.status, mode.body ?? JSON.stringify({ ok: false, error: { type: "tool_error", message: "tool execution failed" } })];
    const out = await fleet.dispatch(p.args.node, p.args.invokeCommand, JSON.parse(p.args.invokeParamsJson), { timeoutMs: p.args.invokeTimeoutMs });
    if (!out.ok) return [500, JSON.stringify({ ok: false, error: { type: "tool_error", message: "tool execution failed" } })];
    return [200, JSON.stringify({ ok: true, result: { details: { ok: true, payload: out.payload } } })];
  });
}

/** Everything a call could leak through: results, errors, logs, events. */
const leaks = (host, outs, secret) =>
  [...outs.map((o) => JSON.stringify(o)), ...host.logs.map((l) => l.msg), JSON.stringify(host.events)].filter((s) => s.includes(secret)).length;

// ---------------------------------------------------------------------------------------------
// The gateway token

test("the token is in no log line, tool result or error, across successes and every failure", async () => {
  const fleet = createFleet({ nodes: makeNodes(3, { failEvery: 3 }), latency: 1 });
  const gw = await gateway(fleet);
  const host = load({ fleet, runtime: false, pluginConfig: { transport: "http", gatewayUrl: gw.url, gatewayToken: TOKEN, healthIntervalMs: 1000 } });
  const outs = [];
  for (const [tool, args] of [
    ["claw_fleet_status", {}],
    ["claw_gpu_inventory", {}],
    ["claw_workloads", {}],
    ["claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, dryRun: true }],
    ["claw_deploy", { image: "--bad" }],
    ["claw_multi_invoke", { command: "node.health" }],
    ["claw_multi_invoke", { command: "system.run" }],
  ]) outs.push(await outcome(host.callTool(tool, args)));
  outs.push(await host.callMethod("clawbernetes.health-check"));
  const wrong = load({ fleet, runtime: false, pluginConfig: { transport: "http", gatewayUrl: gw.url, gatewayToken: `${TOKEN}-wrong` } });
  outs.push(await outcome(wrong.callTool("claw_fleet_status")));
  await gw.stop();
  outs.push(await outcome(host.callTool("claw_fleet_status")));
  outs.push(await outcome(host.callTool("claw_fleet_status")));
  check("security: token", "results, errors (401, connection refused, bad args, refused command), monitor logs and events contain no token", 0,
    leaks(host, outs, TOKEN) + leaks(wrong, [], TOKEN));
  check("security: token", "every request the gateway saw carried a bearer token as the Authorization header (the right one, or the wrong plugin's)", true,
    gw.seen.length > 0 && gw.seen.every((r) => r.auth === `Bearer ${TOKEN}` || r.auth === `Bearer ${TOKEN}-wrong`));
});

test("the token is sent only to gatewayUrl: every fetch goes to {gatewayUrl}/tools/invoke", async () => {
  const fleet = createFleet({ nodes: makeNodes(2), latency: 1 });
  const gw = await gateway(fleet);
  const urls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init) => {
    urls.push(String(url));
    return realFetch(url, init);
  };
  try {
    const host = load({ fleet, runtime: false, pluginConfig: { transport: "http", gatewayUrl: `${gw.url}/`, gatewayToken: TOKEN } });
    await host.callTool("claw_fleet_status");
    await host.callTool("claw_multi_invoke", { command: "gpu.metrics" });
  } finally {
    globalThis.fetch = realFetch;
  }
  check("security: token", "all fetches (list + invokes) went to the configured gateway only", [`${gw.url}/tools/invoke`], [...new Set(urls)]);
  check("security: token", "the loopback gateway saw the bearer token on each of them", { requests: urls.length, withToken: urls.length },
    { requests: gw.seen.length, withToken: gw.seen.filter((r) => r.auth === `Bearer ${TOKEN}`).length });
});

test("a gateway redirect to another origin does not carry the token there", async () => {
  const other = await server(async () => [200, JSON.stringify({ ok: true, result: { details: { nodes: [] } } })]);
  const gw = await server(async () => [307, "", { location: `${other.url}/tools/invoke` }]);
  const host = load({ fleet: createFleet({ nodes: [] }), runtime: false, pluginConfig: { transport: "http", gatewayUrl: gw.url, gatewayToken: TOKEN } });
  await outcome(host.callTool("claw_fleet_status"));
  check("security: token", "307 from the gateway to another origin: the other server never sees the token", 0,
    other.seen.filter((r) => (r.auth ?? "").includes(TOKEN)).length);
});

test("OPENCLAW_GATEWAY_TOKEN from the environment is used as the bearer and never shown", async () => {
  const fleet = createFleet({ nodes: makeNodes(1), latency: 1 });
  const gw = await gateway(fleet);
  const before = process.env.OPENCLAW_GATEWAY_TOKEN;
  process.env.OPENCLAW_GATEWAY_TOKEN = TOKEN;
  let host;
  try {
    host = load({ fleet, runtime: false, pluginConfig: { transport: "http", gatewayUrl: gw.url } });
  } finally {
    if (before === undefined) delete process.env.OPENCLAW_GATEWAY_TOKEN;
    else process.env.OPENCLAW_GATEWAY_TOKEN = before;
  }
  const out = await outcome(host.callTool("claw_fleet_status"));
  check("security: token", "env token: the call works with it, and it is in no result or log", { ok: true, leaks: 0 }, { ok: out.ok, leaks: leaks(host, [out], TOKEN) });
});

test("gatewayUrl must be http(s): the plugin refuses to register otherwise", () => {
  const cases = ["ftp://127.0.0.1:18789", "file:///etc/passwd", "javascript:alert(1)", "ws://127.0.0.1:18789", "127.0.0.1:18789", "http://"];
  for (const url of cases) {
    let msg = "registered";
    try {
      load({ fleet: createFleet({ nodes: [] }), pluginConfig: { transport: "http", gatewayUrl: url, gatewayToken: TOKEN } });
    } catch (e) {
      msg = e.message;
    }
    check("security: gatewayUrl", `gatewayUrl ${JSON.stringify(url)}`, `invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got ${JSON.stringify(url)}`, msg);
  }
  let msg = "registered";
  try {
    load({ fleet: createFleet({ nodes: [] }), pluginConfig: { gatewayToken: 123456789 } });
  } catch (e) {
    msg = e.message;
  }
  check("security: gatewayUrl", "a gatewayToken of the wrong type is refused without repeating it", "invalid clawbernetes config: gatewayToken must be a string (its value is not shown)", msg);
});

// ---------------------------------------------------------------------------------------------
// claw_multi_invoke

const SENSITIVE = ["system.run", "container.exec", "secret.get", "auth.create_key", "node.drain", "workload.stop", "deploy.delete", "volume.delete", "backup.restore"];

test("claw_multi_invoke refuses the dangerous commands unless allowed by name, and says how", async () => {
  const fleet = createFleet({ nodes: makeNodes(2), latency: 1 });
  const host = load({ fleet });
  for (const c of SENSITIVE) {
    const out = await outcome(host.callTool("claw_multi_invoke", { command: c }));
    check("security: claw_multi_invoke", `${c} refused by default`,
      `claw_multi_invoke: ${c} is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow it by adding "${c}" to plugins.entries.clawbernetes.config.multiInvoke.allow`,
      out.error);
  }
  check("security: claw_multi_invoke", "nothing was sent to any node for the refused commands", 0, fleet.takeLog().filter((e) => e.op === "invoke").length);
  const allowed = load({ fleet, pluginConfig: { multiInvoke: { allow: ["system.run"] } } });
  const out = await allowed.callTool("claw_multi_invoke", { command: "system.run", params: { command: ["uname", "-a"] } });
  check("security: claw_multi_invoke", "system.run allowed by name in multiInvoke.allow runs on every node", { ok: 2, failed: 0 }, { ok: out.details.ok, failed: out.details.failed });
  const other = await outcome(allowed.callTool("claw_multi_invoke", { command: "container.exec" }));
  check("security: claw_multi_invoke", "allowing one command does not allow another", true, other.error.startsWith("claw_multi_invoke: container.exec is refused fleet-wide"));
});

test("secret values from secret.get and auth.create_key are never echoed unless revealSecrets", async () => {
  const fleet = createFleet({ nodes: makeNodes(2), latency: 1 });
  const password = FIXTURES["secret.get"].response.data.password;
  const keySecret = FIXTURES["auth.create_key"].response.secret;
  const host = load({ fleet, pluginConfig: { multiInvoke: { allow: ["secret.get", "auth.create_key"] } } });
  const s = await host.callTool("claw_multi_invoke", { command: "secret.get", params: { name: "db-creds" } });
  const k = await host.callTool("claw_multi_invoke", { command: "auth.create_key", params: { name: "ci", role: "operator" } });
  check("security: secrets", "secret.get (allowed): data values redacted in details and content",
    { data: { password: "[redacted: set multiInvoke.revealSecrets to show]", username: "[redacted: set multiInvoke.revealSecrets to show]" }, leaks: 0 },
    { data: s.details.results[0].payload.data, leaks: leaks(host, [s], password) });
  check("security: secrets", "auth.create_key (allowed): the key's secret redacted, keyId kept",
    { secret: "[redacted: set multiInvoke.revealSecrets to show]", keyId: FIXTURES["auth.create_key"].response.keyId, leaks: 0 },
    { secret: k.details.results[0].payload.secret, keyId: k.details.results[0].payload.keyId, leaks: leaks(host, [k], keySecret) });
  const reveal = load({ fleet, pluginConfig: { multiInvoke: { allow: ["secret.get"], revealSecrets: true } } });
  const r = await reveal.callTool("claw_multi_invoke", { command: "secret.get", params: { name: "db-creds" } });
  check("security: secrets", "with revealSecrets: true the operator sees the value", password, r.details.results[0].payload.data.password);
});

// ---------------------------------------------------------------------------------------------
// claw_deploy

test("claw_deploy cannot smuggle docker flags through any field", async () => {
  const fleet = createFleet({ nodes: makeNodes(2, { busyGpus: 0 }), latency: 1 });
  const host = load({ fleet });
  const SIZE = (key, value, why) =>
    `${key} "${value}" is not a size Docker reads (${why}): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. "8g", "8GB", "512m", "16GiB", "1.5g"`;
  const cases = [
    ["image", "--privileged", 'image "--privileged" is not a valid image reference: it starts with \'-\''],
    ["image", "ubuntu --privileged", 'image "ubuntu --privileged" is not a valid image reference: it contains white space'],
    ["image", "ubuntu\n--privileged", 'image "ubuntu\\n--privileged" is not a valid image reference: it contains white space'],
    ["name", "--net=host", 'name "--net=host" is not a valid container name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two or more characters, starting with a letter or digit)'],
    ["memory", "8g --privileged", SIZE("memory", "8g --privileged", "the number is not a decimal")],
    ["shmSize", "--ipc=host", SIZE("shmSize", "--ipc=host", "no number")],
    ["volumes", ["/data:/data --privileged"], 'volume "/data:/data --privileged" must not contain white space'],
    ["volumes", ["--volume=/:/host"], 'volume "--volume=/:/host" must name an absolute host path or a volume name as its source'],
    ["volumes", ["/var/run/docker.sock:/var/run/docker.sock"], 'volume "/var/run/docker.sock:/var/run/docker.sock" would give the container the host\'s root or its container engine'],
    ["env", ["--privileged"], 'env item "--privileged" has no \'=\': Docker would copy --privileged\'s value from the node agent\'s own environment; give it its value after an equals sign'],
    ["command", "--privileged", 'command must be an array of strings, one per argument (the node runs it without a shell), e.g. ["--privileged"], got a string'],
  ];
  for (const [field, value, want] of cases) {
    const out = await outcome(host.callTool("claw_deploy", { image: "ubuntu", [field]: value }));
    check("security: claw_deploy", `${field} = ${JSON.stringify(value)}`, `claw_deploy: ${want}`, out.error);
  }
  check("security: claw_deploy", "no workload.run reached any node for the refused deploys", 0, fleet.takeLog().filter((e) => e.command === "workload.run").length);
  // Docker takes any env name without '=' (it is the value of -e, never a flag of its own)
  const ok = await host.callTool("claw_deploy", { image: "ubuntu", command: ["--privileged"], env: { A: "x --privileged", "--privileged": "1" } });
  const sent = fleet.takeLog().find((e) => e.command === "workload.run");
  check("security: claw_deploy", "accepted values reach workload.run as data fields (command = the container's argv, env = KEY=VALUE strings)",
    { placed: true, params: { image: "ubuntu", gpus: 1, env: ["--privileged=1", "A=x --privileged"], command: ["--privileged"] } },
    { placed: ok.details.placed, params: sent.params });
});
