// `npm pack` / `npm publish` run this first (package.json "prepack"): the package ships what
// `make build` produces (the wasm core in pkg/, the Control UI bundle and the CLI in dist/),
// which git does not hold. Packing a checkout that was never built would publish a plugin with
// no core, so this stops it with the fix.
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = ["pkg/clawbernetes.js", "pkg/clawbernetes_bg.wasm", "pkg/package.json", "dist/control-ui/index.js", "dist/control-ui/index.css", "dist/cli.js"];
const missing = built.filter((f) => !existsSync(join(root, f)) || statSync(join(root, f)).size === 0);
if (missing.length > 0) {
  console.error(`clawbernetes: cannot pack, ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not built: run \`make build\` first`);
  process.exit(1);
}
