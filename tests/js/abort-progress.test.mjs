// Cancellation (`signal`) and progress (`onUpdate`) on fan-outs over many nodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { makeNodes } from "../support/fake-openclaw.mjs";
import { load, fleetOf } from "./fleet.mjs";

test("abort mid-fan-out rejects with the core's 'aborted' message and no invoke is sent after the abort", async () => {
  const fleet = fleetOf(makeNodes(40), { latency: 30 });
  const host = load({ fleet, pluginConfig: { maxConcurrency: 4 } });
  const ctl = new AbortController();
  let sentBeforeAbort;
  setTimeout(() => {
    sentBeforeAbort = fleet.takeLog().filter((e) => e.op === "invoke").length;
    ctl.abort();
  }, 100);
  await assert.rejects(host.callTool("claw_fleet_status", {}, { signal: ctl.signal }), {
    message: "claw_fleet_status: aborted: the call was cancelled before all nodes answered",
    code: "UNAVAILABLE",
  });
  await sleep(150);
  assert.deepEqual(fleet.takeLog(), [], "nothing sent after the abort");
  // 4 nodes at a time, 5 invokes each (capabilities, gpu.list, health, workload.list, metrics): well short of 200
  assert.ok(sentBeforeAbort > 0 && sentBeforeAbort < 40, `sent ${sentBeforeAbort} before the abort`);
  // the plugin still works afterwards
  const { details } = await host.callTool("claw_fleet_status", { nodeFilter: "gpu-node-0000" });
  assert.equal(details.nodes.total, 1);
});

test("abort during claw_multi_invoke stops the fan-out with the same message", async () => {
  const fleet = fleetOf(makeNodes(30), { latency: 40 });
  const host = load({ fleet, pluginConfig: { maxConcurrency: 3 } });
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 60);
  await assert.rejects(host.callTool("claw_multi_invoke", { command: "node.health" }, { signal: ctl.signal }), {
    message: "claw_multi_invoke: aborted: the call was cancelled before all nodes answered",
    code: "UNAVAILABLE",
  });
  const sent = fleet.takeLog().filter((e) => e.op === "invoke").length;
  assert.ok(sent <= 9, `sent ${sent} invokes, at most three rounds of three before the abort`);
});

test("an already-aborted signal sends nothing", async () => {
  const fleet = fleetOf(makeNodes(5));
  const host = load({ fleet });
  await assert.rejects(host.callTool("claw_gpu_inventory", {}, { signal: AbortSignal.abort() }), {
    message: "claw_gpu_inventory: aborted: the call was cancelled before all nodes answered",
    code: "UNAVAILABLE",
  });
  assert.deepEqual(fleet.takeLog().filter((e) => e.op === "invoke"), []);
});

test("onUpdate gets progress at every tenth of a 30-node fan-out: 3/30 … 27/30", async () => {
  const host = load({ fleet: fleetOf(makeNodes(30)) });
  const updates = [];
  const r = await host.callTool("claw_fleet_status", {}, { onUpdate: (u) => updates.push(u) });
  assert.equal(r.details.nodes.total, 30);
  assert.deepEqual(updates, [3, 6, 9, 12, 15, 18, 21, 24, 27].map((done) => ({
    content: [{ type: "text", text: `${done}/30 nodes answered` }],
    details: { progress: { done, total: 30 } },
  })));
});

test("without onUpdate (HTTP / WS tools.invoke) the same call succeeds", async () => {
  const r = await load({ fleet: fleetOf(makeNodes(30)) }).callTool("claw_gpu_inventory", {});
  assert.deepEqual([r.details.total, r.details.failedNodes.length], [60, 0]);
});
