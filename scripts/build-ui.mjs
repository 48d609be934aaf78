// Builds what the npm package ships besides the wasm core, with esbuild (a dev dependency; the
// published package carries only the output, so installing it needs neither esbuild nor Rust):
//   dist/control-ui/index.js + index.css  the Control UI bundle (ui/src/index.js), declared in
//                                        openclaw.plugin.json `controlUi` as a prebuilt bundle
//   dist/cli.js                          the `openclaw clawbernetes …` CLI (cli/index.js), with
//                                        its table library bundled in
// The browser options are those `openclaw plugins build` uses (esm, es2022, browser, minified,
// one JS entry and one stylesheet, at most 4 MiB per asset). That command itself cannot build
// this plugin: it imports the entry for defineToolPlugin/defineFeaturePlugin metadata, and this
// plugin registers from the wasm core's description instead.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MAX_ASSET = 4 * 1024 * 1024;

const manifest = JSON.parse(readFileSync(join(root, "openclaw.plugin.json"), "utf8"));
const declared = manifest.controlUi;
if (declared?.entry !== "dist/control-ui/index.js" || declared?.styles?.[0] !== "dist/control-ui/index.css") {
  throw new Error("openclaw.plugin.json controlUi must declare dist/control-ui/index.js and dist/control-ui/index.css");
}

rmSync(join(root, "dist"), { recursive: true, force: true });
mkdirSync(join(root, "dist/control-ui"), { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: { index: "ui/src/index.js" },
  outdir: "dist/control-ui",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});

await build({
  absWorkingDir: root,
  entryPoints: ["cli/index.js"],
  outfile: "dist/cli.js",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // the host's SDK is resolved by the gateway's plugin loader at run time, never bundled
  external: ["openclaw", "openclaw/*"],
  // cli-table3 is CommonJS: give the ESM bundle a require for the Node built-ins it loads
  banner: { js: 'import { createRequire as __cbRequire } from "node:module"; const require = __cbRequire(import.meta.url);' },
  legalComments: "inline",
  logLevel: "warning",
});

for (const file of ["dist/control-ui/index.js", "dist/control-ui/index.css", "dist/cli.js"]) {
  const size = statSync(join(root, file)).size;
  if (size > MAX_ASSET) throw new Error(`${file} is ${size} bytes; the Control UI allows at most ${MAX_ASSET} per asset`);
  process.stdout.write(`[build] ${file}: ${size} bytes\n`);
}
