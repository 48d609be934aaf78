// The npm package as an operator installs it: `npm pack` of the built checkout, then
// `openclaw plugins install <archive>` into a fresh OpenClaw 2026.9.6 state dir (no Rust, no
// esbuild, no node_modules: the archive carries everything built), and the gateway's own
// `plugins inspect --runtime` loading it. Also: packing an unbuilt checkout is refused.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as h from "./harness.mjs";

const SKILLS = readdirSync(join(h.ROOT, "skills")).sort();

test("npm pack ships the built core, the Control UI bundle, the CLI and the 20 skills, and nothing else", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "clawbernetes-pack-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync("npm", ["pack", "--pack-destination", dir, "--silent"], { cwd: h.ROOT, encoding: "utf8" });
  const [archive] = readdirSync(dir);
  const files = execFileSync("tar", ["-tzf", join(dir, archive)], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, "")).sort();
  assert.deepEqual(files, [
    "ARCHITECTURE.md", "README.md", "dist/cli.js", "dist/control-ui/index.css", "dist/control-ui/index.js",
    "js-shim/core.js", "js-shim/host.js", "js-shim/index.js", "openclaw.plugin.json", "package.json",
    "pkg/clawbernetes.js", "pkg/clawbernetes_bg.wasm", "pkg/package.json",
    ...SKILLS.map((s) => `skills/${s}/SKILL.md`),
  ].sort());
  assert.equal(SKILLS.length, 20);

  // installed from the archive into a fresh state dir, the gateway loads all of it
  const state = join(dir, "state");
  const env = { ...process.env, OPENCLAW_STATE_DIR: state, HOME: dir, OPENCLAW_GATEWAY_TOKEN: "" };
  const cli = (args) => execFileSync(h.NODE, [h.OPENCLAW, ...args], { cwd: dir, env, encoding: "utf8", timeout: 120000, stdio: ["ignore", "pipe", "pipe"] });
  assert.match(cli(["plugins", "install", join(dir, archive), "--force", "--accept-capabilities"]), /Installed plugin: clawbernetes/);
  const installed = join(state, "extensions/clawbernetes");
  assert.equal(existsSync(join(installed, "pkg/clawbernetes_bg.wasm")), true);
  assert.equal(existsSync(join(installed, "node_modules")), false, "no runtime dependencies");
  const info = h.parseCliJson(cli(["plugins", "inspect", "clawbernetes", "--runtime", "--json"]));
  assert.deepEqual(
    [info.plugin.status, info.plugin.rootDir, info.plugin.toolNames, info.commands, info.cliCommands, info.plugin.controlUi],
    ["loaded", installed, ["claw_fleet_status", "claw_gpu_inventory", "claw_deploy", "claw_workloads", "claw_multi_invoke"], ["fleet"], ["clawbernetes"],
      { entry: "dist/control-ui/index.js", styles: ["dist/control-ui/index.css"] }],
  );
});

test("npm pack of a checkout that was never built is refused, naming what is missing and the fix", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "clawbernetes-unbuilt-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ["package.json", "scripts/check-pack.mjs", "js-shim", "openclaw.plugin.json"]) cpSync(join(h.ROOT, f), join(dir, f), { recursive: true });
  const r = spawnSync("npm", ["pack", "--dry-run"], { cwd: dir, encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(
    r.stderr,
    /clawbernetes: cannot pack, pkg\/clawbernetes\.js, pkg\/clawbernetes_bg\.wasm, pkg\/package\.json, dist\/control-ui\/index\.js, dist\/control-ui\/index\.css, dist\/cli\.js are not built: run `make build` first/,
  );
});
