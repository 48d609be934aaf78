// A trap inside the wasm module fails that call with the shim's message and the next call
// works on a fresh instance, which picks up what the state store kept. Runs the shim over
// pkg-test/ (the fault-injection build, which exports forceTrap): the shim is copied to
// <tmp>/js-shim/ next to <tmp>/pkg/ so it loads that build.
// This file imports no other copy of the shim: the wasm instance is a process-wide singleton.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { createApi, createFleet } from "../support/fake-openclaw.mjs";
import { deployNodes, fixtureNodes } from "./fleet.mjs";

const TWO = { total: 2, healthy: 1, degraded: 1, unhealthy: 0, unreachable: 0, offline: 0, unusable: 0 };
const TRAPPED = "clawbernetes: the wasm core trapped (unreachable); it was reloaded and the next call starts fresh";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const PKG_TEST = join(ROOT, "pkg-test");
let dir;
let plugin;
let glueOf;

before(async () => {
  assert.ok(existsSync(join(PKG_TEST, "clawbernetes.js")), "pkg-test/ missing: run FEATURES=fault-injection OUT=pkg-test bash scripts/build.sh");
  dir = mkdtempSync(join(tmpdir(), "clawbernetes-trap-"));
  cpSync(join(ROOT, "js-shim"), join(dir, "js-shim"), { recursive: true });
  cpSync(PKG_TEST, join(dir, "pkg"), { recursive: true });
  cpSync(join(ROOT, "openclaw.plugin.json"), join(dir, "openclaw.plugin.json")); // the shim reads the CLI descriptors there
  plugin = (await import(pathToFileURL(join(dir, "js-shim/index.js")).href)).default;
  // the very module object the shim requires (same resolved path, same require cache)
  const req = createRequire(join(dir, "js-shim/index.js"));
  glueOf = () => req("../pkg/clawbernetes.js");
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

test("a wasm trap during a tool call fails it with the shim's 'trapped' message; the next call works on a fresh instance", async () => {
  const host = createApi({ fleet: createFleet({ nodes: fixtureNodes().slice(0, 2), latency: 0 }) });
  host.register(plugin);
  const first = await host.callTool("claw_fleet_status");
  assert.deepEqual(first.details.nodes, TWO);

  // Hook: the next callTool of the loaded instance executes the wasm `unreachable` instruction.
  const trapped = glueOf();
  assert.equal(typeof trapped.forceTrap, "function");
  const original = trapped.Core.prototype.callTool;
  trapped.Core.prototype.callTool = function (...args) {
    trapped.Core.prototype.callTool = original;
    trapped.forceTrap();
    return original.apply(this, args);
  };
  await assert.rejects(host.callTool("claw_fleet_status"), { message: TRAPPED });
  assert.notEqual(glueOf(), trapped, "the trapped instance was dropped");

  const next = await host.callTool("claw_fleet_status");
  assert.deepEqual(next.details.nodes, TWO);
  const method = await host.callMethod("clawbernetes.health-check");
  assert.deepEqual([method.ok, method.payload.status.nodes, method.payload.monitor.ticks], [true, TWO, 1]);
});

test("a trap inside a gateway method answers respond(false) with the shim's message; the next call restores the history", async () => {
  const host = createApi({ fleet: createFleet({ nodes: fixtureNodes().slice(0, 1), latency: 0 }) });
  host.register(plugin);
  const before = await host.callMethod("clawbernetes.health-check");
  assert.deepEqual(before.payload.transitions.map((t) => [t.nodeName, t.to, t.beforeRestart]), [["gpu-a", "healthy", false]]);
  const glue = glueOf();
  const original = glue.Core.prototype.callMethod;
  glue.Core.prototype.callMethod = function () {
    glue.Core.prototype.callMethod = original;
    glue.forceTrap();
  };
  const r = await host.callMethod("clawbernetes.fleet-status");
  assert.deepEqual(r, { ok: false, payload: undefined, error: { code: "UNAVAILABLE", message: TRAPPED } });
  const again = await host.callMethod("clawbernetes.fleet-status");
  assert.deepEqual([again.ok, again.payload.status.nodes.healthy, again.payload.monitor.ticks], [true, 1, 1]);
  // the fresh instance read what the trapped one had saved under the state dir
  assert.equal(typeof again.payload.restoredAt, "number");
  assert.deepEqual(again.payload.transitions.map((t) => [t.nodeName, t.to, t.beforeRestart]), [["gpu-a", "healthy", true]]);
});

test("a GPU a deploy gave out is still held after a trap: the fresh instance reads the record of started containers", async () => {
  const host = createApi({ fleet: createFleet({ nodes: deployNodes(), latency: 0 }), pluginConfig: { deploy: { confirmMs: 0 } } });
  host.register(plugin);
  const d = (await host.callTool("claw_deploy", { image: "pytorch/pytorch:2.0", gpus: 1, name: "kept-1" })).details;
  assert.deepEqual([d.placed, d.nodeName, d.gpus], [true, "free-2", [0]]);
  const glue = glueOf();
  const original = glue.Core.prototype.callTool;
  glue.Core.prototype.callTool = function (...args) {
    glue.Core.prototype.callTool = original;
    glue.forceTrap();
    return original.apply(this, args);
  };
  await assert.rejects(host.callTool("claw_gpu_inventory"), { message: TRAPPED });
  assert.notEqual(glueOf(), glue, "the trapped instance was dropped");
  const inv = (await host.callTool("claw_gpu_inventory")).details;
  const held = inv.nodes.flatMap((n) => n.gpus.filter((g) => g.state === "held").map((g) => [n.nodeName, g.index, g.heldBy.containerId, g.heldBy.name]));
  assert.deepEqual(held, [["free-2", 0, d.containerId, "kept-1"]]);
  assert.equal(inv.held, 1);
});
