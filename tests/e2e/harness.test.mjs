// The harness itself, where a real gateway is needed: a gateway that never gets ready (here its
// config is invalid, so `openclaw gateway run` stops at start-up) takes the scratch dir
// startGateway made for it along, and the error still carries the gateway's output.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { test } from "node:test";
import * as h from "./harness.mjs";

// the gateway exits before it listens; the port is the last of the suite's range all the same
const PORT = h.PORT_BASE + 49;

test("a gateway that exits before it is ready leaves no scratch dir behind", { skip: process.env.KEEP_E2E ? "KEEP_E2E keeps scratch dirs" : false }, async () => {
  h.checkPrerequisites();
  const label = `refused-${process.pid}`;
  const scratch = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`clawbernetes-e2e-${label}-`));
  await assert.rejects(h.startGateway({ port: PORT, label, pluginConfig: { thresholds: { failuresToUnhealthy: 3 } } }), (err) => {
    assert.match(err.message, /^gateway exited \(78\) before ready:\n/);
    assert.match(err.message, /OpenClaw config is invalid/);
    return true;
  });
  assert.deepEqual(scratch(), []);
});
