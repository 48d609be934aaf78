// End-to-end, the simulator's wire modes against a real OpenClaw 2026.9.6 gateway (plugin loaded,
// default config, the 68 clawnode commands in gateway.nodes.commands.allow):
// - `legacy` nodes connect as a clawnode release does (protocol 3, platform "linux x86_64", no
//   device family, version 0.1.0) and are approved; a `current` node beside them keeps its own
//   identity; two nodes may share a display name;
// - `legacy-scopes` (clawnode unmodified, scopes ["node"]) is refused: NOT_PAIRED until paired,
//   its pairing approval refused with "invalid scope for requested roles: node", and it retries
//   every 5 s as clawnode does;
// - the harness finds the gateway's real readiness line and stops its whole process tree.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as h from "./harness.mjs";

let gw;
let op;

before(async () => {
  h.checkPrerequisites();
  h.buildSim();
  gw = await h.startGateway({ port: h.PORTS.wire, label: "wire", nodeCommandsAllow: h.clawnodeCommands() });
  op = await h.operator(gw);
});

after(async () => {
  op?.close();
  await gw?.stop();
  h.cleanup(gw);
});

test("the harness waits for the gateway's own readiness line, not the spawn broker's", () => {
  const line = (text) => `\x1b[90m2026-11-30T05:56:22.596+00:00\x1b[39m \x1b[36m[gateway]\x1b[39m \x1b[36m${text}\x1b[39m\n`;
  assert.equal(h.gatewayReady(line("spawn broker ready pid=24614")), false);
  assert.equal(h.gatewayReady(line("starting HTTP server...") + line("ready (15 plugins)")), false);
  assert.equal(h.gatewayReady(line("spawn broker ready pid=24614") + line("ready")), true);
  assert.equal(h.gatewayReady("2026-11-30T05:56:27.675+00:00 [gateway] ready\n"), true);
});

test("legacy nodes connect as a clawnode release does and are approved beside a current one", async () => {
  const file = join(gw.dir, "mixed.toml");
  writeFileSync(
    file,
    [
      'wire = "legacy"',
      "[[nodes]]",
      'name = "legacy-a"',
      'display_name = "ubuntu"',
      'gpus = [{ model = "NVIDIA H100 80GB HBM3", count = 2, memory_mb = 81559, power_limit_w = 700.0 }]',
      "[[nodes]]",
      'name = "legacy-b"',
      'display_name = "ubuntu"',
      "[[nodes]]",
      'name = "current-c"',
      'wire = "current"',
      "",
    ].join("\n"),
  );
  const sim = await h.startFleet(gw, { fleet: file, stateDir: join(gw.dir, "sim-mixed") });
  try {
    assert.deepEqual(
      sim.nodes.map((n) => [n.name, n.displayName, n.wire]),
      [["legacy-a", "ubuntu", "legacy"], ["legacy-b", "ubuntu", "legacy"], ["current-c", "current-c", "current"]],
    );
    const { nodes } = await op.call("node.list");
    const byId = Object.fromEntries(nodes.map((n) => [n.nodeId, n]));
    const seen = (name) => {
      const n = byId[sim.idOf(name)];
      return [n.displayName, n.clientId, n.platform, n.deviceFamily ?? null, n.version, n.connected, n.approvalState];
    };
    assert.deepEqual(seen("legacy-a"), ["ubuntu", "node-host", "linux x86_64", null, "0.1.0", true, "approved"]);
    assert.deepEqual(seen("legacy-b"), ["ubuntu", "node-host", "linux x86_64", null, "0.1.0", true, "approved"]);
    assert.deepEqual(seen("current-c"), ["current-c", "node-host", "linux", "Linux", "clawsim-0.1.0", true, "approved"]);
    assert.deepEqual(byId[sim.idOf("legacy-a")].caps.sort(), ["container", "docker", "gpu", "nvidia", "system"]);
    assert.deepEqual(byId[sim.idOf("legacy-b")].caps.sort(), ["container", "docker", "system"]);
  } finally {
    await sim.stop();
  }
});

test("legacy-scopes: the gateway refuses the node and its pairing, and the node retries every 5 s", async () => {
  const file = join(gw.dir, "scopes.toml");
  writeFileSync(file, ['wire = "legacy-scopes"', "[[nodes]]", 'name = "clawnode-as-is"', ""].join("\n"));
  await assert.rejects(
    h.startFleet(gw, { fleet: file, stateDir: join(gw.dir, "sim-scopes") }),
    /approval failed: no node connected: the gateway refused all 1 node\(s\)/,
  );
  const sim = gw.fleets.at(-1);
  try {
    const id = sim.idOf("clawnode-as-is");
    const first = await sim.waitFor((e) => e.event === "refused", 10000, { past: true });
    assert.deepEqual(first, {
      event: "refused",
      name: "clawnode-as-is",
      nodeId: id,
      attempt: 1,
      code: "NOT_PAIRED",
      message: "pairing required: device is not approved yet",
      detail: "PAIRING_REQUIRED",
      error: "NOT_PAIRED: pairing required: device is not approved yet (PAIRING_REQUIRED)",
    });
    const pairing = await sim.waitFor((e) => e.event === "pairing-refused", 10000, { past: true });
    assert.equal(pairing.nodeId, id);
    assert.equal(pairing.code, "INVALID_REQUEST");
    assert.equal(pairing.message, "invalid scope for requested roles: node");
    // clawnode waits 5 s between tries: the second refusal comes 5 s after the first, and there
    // has been no other try in between
    const second = await sim.waitFor((e) => e.event === "refused" && e.attempt === 2, 10000, { past: true });
    assert.equal(second.code, "NOT_PAIRED");
    const gap = sim.receivedAt(second) - sim.receivedAt(first);
    assert.ok(gap >= 4900, `second try ${gap} ms after the first`);
    assert.equal(sim.events.filter((e) => e.event === "refused").length, 2);
    const { nodes } = await op.call("node.list");
    assert.equal(nodes.some((n) => n.nodeId === id && n.connected), false);
  } finally {
    await sim.stop();
  }
});

test("stopping the gateway stops its whole process tree, and its spawn broker", async () => {
  const alive = (args) => {
    try {
      return execFileSync("ps", ["-o", "pid=", ...args], { encoding: "utf8" }).trim() !== "";
    } catch {
      return false;
    }
  };
  // the gateway leads a session of its own (spawned detached); its broker starts another one
  const broker = gw.output().replace(/\x1b\[[0-9;]*m/g, "").match(/\[gateway\] spawn broker ready pid=(\d+)/)?.[1];
  assert.ok(broker, "the gateway logged its spawn broker's pid");
  assert.equal(alive(["--sid", String(gw.child.pid)]), true);
  assert.equal(alive(["-p", broker]), true);
  await gw.stop();
  assert.equal(alive(["--sid", String(gw.child.pid)]), false);
  assert.equal(alive(["-p", broker]), false);
});
