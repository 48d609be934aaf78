// `make demo`: a local gateway with the plugin, the default simulated fleet connected and
// approved, then each of the five tools and the dashboard snapshot, printed as an operator (or
// an agent) would read them. The nodes connect as today's clawnode does (protocol 3, platform
// "linux x86_64": `--wire legacy`; DEMO_WIRE=current for protocol-4 nodes) and the gateway has
// the README's allowlist and the plugin's default config. Everything is stopped at the end; with KEEP=1 the gateway and the
// fleet stay up and the script prints how to drive them by hand.
import { writeFileSync, mkdirSync, rmSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import * as h from "./harness.mjs";

const keep = !!process.env.KEEP && process.env.KEEP !== "0";
const port = demoPort(process.env.DEMO_PORT);

/** DEMO_PORT as a TCP port (unset or empty: base+1), or a clear error before anything starts. */
function demoPort(text) {
  if (text === undefined || text.trim() === "") return h.PORTS.demo;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    process.stderr.write(`demo: DEMO_PORT must be a whole number from 1 to 65535, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return n;
}
const wire = process.env.DEMO_WIRE || "legacy";
// one folder per port: demos of two checkouts on two ports keep apart, and `stop` with the same
// DEMO_PORT finds its own
const demoDir = join(tmpdir(), `clawbernetes-demo-${port}`);
const stopCommand = `${process.env.DEMO_PORT || process.env.E2E_PORT_BASE ? `DEMO_PORT=${port} ` : ""}bash scripts/demo.sh stop`;
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function section(title, args) {
  process.stdout.write(`\n${bold(`━━ ${title}`)}${args ? `  ${JSON.stringify(args)}` : ""}\n`);
}

async function showTool(gw, name, args = {}) {
  section(name, args);
  const result = await h.tool(gw, name, args);
  process.stdout.write(`${result.content.map((c) => c.text).join("\n")}\n`);
  return result;
}

async function main() {
  h.checkPrerequisites();
  if (existsSync(join(demoDir, "pids"))) {
    throw new Error(`a kept demo may still be running (${demoDir}/pids): stop it first with \`${stopCommand}\``);
  }
  rmSync(demoDir, { recursive: true, force: true });
  mkdirSync(demoDir, { recursive: true });
  process.stdout.write(`Starting an OpenClaw gateway on 127.0.0.1:${port} with clawbernetes loaded …\n`);
  const pluginConfig = { healthIntervalMs: 10000 };
  const allow = await h.documentedAllowlist(pluginConfig);
  process.stdout.write(`gateway.nodes.commands.allow (the README's list): ${allow.join(", ")}\n`);
  const gw = await h.startGateway({
    port,
    dir: demoDir,
    detached: keep,
    pluginConfig,
    nodeCommandsAllow: allow,
    gatewayExtra: { controlUi: { experimental: { customPlugins: true } } },
  });
  let fleet;
  try {
    const how = wire === "legacy" ? "as today's clawnode: protocol 3, platform \"linux x86_64\"" : `wire ${wire}`;
    process.stdout.write(`Connecting the simulated fleet (8 clawnodes, sim/fleets/default.toml, ${how}) and approving it …\n`);
    if (keep) {
      fleet = await h.startFleetDetached(gw, { wire });
      writeFileSync(join(demoDir, "pids"), `${gw.child.pid} ${fleet.child.pid}\n`);
    } else {
      fleet = await h.startFleet(gw, { timedFaults: true, wire });
    }
    process.stdout.write(`${fleet.nodes.map((n) => n.name).join(", ")}\n`);

    const status = await showTool(gw, "claw_fleet_status");
    await showTool(gw, "claw_gpu_inventory", { availableOnly: true, model: "H100" });
    await showTool(gw, "claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, strategy: "spread", name: "demo-finetune", memory: "32g", env: { EPOCHS: "3" }, command: ["python", "train.py"] });
    await showTool(gw, "claw_workloads", { state: "running" });
    await showTool(gw, "claw_multi_invoke", { command: "node.health", nodes: ["gpu-h100-a", "gpu-l4-disk", "cpu-batch"] });

    section("clawbernetes.fleet-status (the Control UI dashboard's snapshot, over the gateway WebSocket)");
    const op = await h.operator(gw);
    const snap = await h.eventually(async () => {
      const s = await op.call("clawbernetes.fleet-status");
      return s.status ? s : null;
    }, { what: "a monitor snapshot" });
    op.close();
    process.stdout.write(`monitor: ${snap.monitor.ticks} tick(s), every ${snap.intervalMs} ms\n`);
    for (const n of [...snap.nodes].sort((a, b) => a.nodeName.localeCompare(b.nodeName))) {
      process.stdout.write(`- ${n.nodeName}: ${n.state} — ${n.reason}\n`);
    }
    // one assessment: the tool an agent calls and the page an operator looks at count alike
    section("the same counts, twice");
    const tool = countLine(status.details.nodes);
    const page = countLine(snap.status.nodes);
    process.stdout.write(`claw_fleet_status         ${tool}\nclawbernetes.fleet-status ${page}\n`);
    process.stdout.write(tool === page ? "they agree\n" : "they differ: a node changed state between the two reads\n");
  } catch (err) {
    if (keep) stopKept();
    throw err;
  } finally {
    if (!keep) {
      await gw.stop();
      h.cleanup(gw);
    }
  }

  if (keep) {
    const env = `HOME=${gw.env.HOME} OPENCLAW_STATE_DIR=${gw.env.OPENCLAW_STATE_DIR} OPENCLAW_GATEWAY_TOKEN=${gw.token}`;
    writeFileSync(join(demoDir, "token"), `${gw.token}\n`);
    process.stdout.write(`
${bold("The gateway and the fleet are still running (KEEP=1).")}
  gateway   http://127.0.0.1:${port}   (pid ${gw.child.pid}, log ${join(demoDir, "gateway.log")})
  fleet     8 simulated clawnodes      (pid ${fleet.child.pid}, events ${fleet.logPath})
  token     ${gw.token}
  gpu-rtx-flaky drops off 90 s after the fleet started and comes back 30 s later: watch the monitor see it.

Open the Fleet page in a browser on this machine (Control UI, signed in with the token):
  http://127.0.0.1:${port}/plugin?plugin=clawbernetes&id=fleet#token=${gw.token}

The CLI and the chat command:
  ${env} ${h.NODE} ${h.OPENCLAW} clawbernetes status
  /fleet   (in the Control UI's chat)

Call a tool over HTTP:
  curl -s http://127.0.0.1:${port}/tools/invoke -H 'authorization: Bearer ${gw.token}' \\
       -H 'content-type: application/json' -d '{"tool":"claw_fleet_status","args":{}}'
  (tools: claw_fleet_status, claw_gpu_inventory, claw_deploy, claw_workloads, claw_multi_invoke)

Call a gateway RPC method over the WebSocket:
  ${h.CLAWSIM} call clawbernetes.fleet-status --gateway ws://127.0.0.1:${port} --token ${gw.token}
  ${h.CLAWSIM} call clawbernetes.health-check --gateway ws://127.0.0.1:${port} --token ${gw.token}
  or: ${env} ${h.NODE} ${h.OPENCLAW} gateway call clawbernetes.workloads --params '{}' --json

Stop everything:
  ${stopCommand}        (or: kill -- -${gw.child.pid} -${fleet.child.pid})
`);
  } else {
    process.stdout.write(`\n${bold("Demo done")}: gateway and fleet stopped. \`make demo KEEP=1\` leaves them running to try things by hand.\n`);
  }
}

/** "8 nodes: 1 healthy, 3 degraded, …" from a {total?, <state>: count} object, every state named. */
function countLine(counts) {
  const states = ["healthy", "degraded", "unhealthy", "unreachable", "offline", "unusable"];
  const total = counts.total ?? states.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  return `${total} nodes: ${states.map((s) => `${counts[s] ?? 0} ${s}`).join(", ")}`;
}

/** Stops a kept demo by the PIDs it recorded: each leads a process group, signalled whole. */
export function stopKept() {
  const pidsFile = join(demoDir, "pids");
  if (!existsSync(pidsFile)) return false;
  const pids = readFileSync(pidsFile, "utf8").trim().split(/\s+/).map(Number).filter(Boolean);
  for (const pid of pids.reverse()) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {}
  }
  rmSync(pidsFile, { force: true });
  return pids;
}

if (process.argv[2] === "stop") {
  const pids = stopKept();
  process.stdout.write(pids ? `stopped ${pids.join(" ")}\n` : `no kept demo is running on port ${port} (${demoDir})\n`);
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`demo failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
