// `make demo` as a newcomer runs it (scripts/demo.sh, what the Makefile's demo target runs after
// `make build`): today's clawnodes (protocol 3) in a real gateway with the README's allowlist,
// the five tools and the dashboard snapshot printed, the same counts twice, everything stopped.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as h from "./harness.mjs";

test("make demo: today's clawnodes, the five tools, the snapshot and the same counts twice; nothing left running", () => {
  h.checkPrerequisites();
  const r = spawnSync("bash", [join(h.ROOT, "scripts/demo.sh")], { cwd: h.ROOT, encoding: "utf8", timeout: 300000, env: { ...process.env, KEEP: "" } });
  assert.equal(r.status, 0, `demo failed:\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  assert.match(out, /Connecting the simulated fleet \(8 clawnodes, sim\/fleets\/default\.toml, as today's clawnode: protocol 3, platform "linux x86_64"\)/);
  const sections = [...out.matchAll(/^━━ (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(sections, ["claw_fleet_status", "claw_gpu_inventory", "claw_deploy", "claw_workloads", "claw_multi_invoke", "clawbernetes.fleet-status", "the"]);
  assert.match(out, /^Fleet: 8 clawnodes — 2 healthy, 4 degraded, 2 unhealthy\./m);
  const counts = "8 nodes: 2 healthy, 4 degraded, 2 unhealthy, 0 unreachable, 0 offline, 0 unusable";
  assert.ok(out.includes(`claw_fleet_status         ${counts}\nclawbernetes.fleet-status ${counts}\nthey agree\n`), out);
  assert.match(out, /^Deployed pytorch\/pytorch:2\.0 on \S+ \(GPU \d\), container [0-9a-f]{64}: running \(Up \d+ seconds\)\./m);
  assert.match(out, /Demo done/);
  const port = Number(process.env.DEMO_PORT ?? h.PORTS.demo);
  assert.equal(existsSync(join(tmpdir(), `clawbernetes-demo-${port}`, "pids")), false);
  const left = spawnSync("pgrep", ["-f", `clawbernetes-demo-${port}`], { encoding: "utf8" });
  assert.equal(left.stdout.trim(), "", "no gateway or clawsim of the demo left running");
});
