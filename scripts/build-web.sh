#!/usr/bin/env bash
# Builds the static site's WebAssembly: the crate for wasm32, then wasm-bindgen's JS glue
# into www/pkg/ (gitignored), and the same with relaxed SIMD beside it
# (transfer_playground_relaxed_bg.wasm, for the browsers that have it). Needs what scripts/setup.sh installs; does not run it, so
# it is quick to call on its own after an edit.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wasm-bindgen >/dev/null 2>&1 || {
  echo "[build-web] ERROR: wasm-bindgen not found; run: bash scripts/setup.sh" >&2
  exit 1
}
target_dir="${CARGO_TARGET_DIR:-target}"
echo "[build-web] cargo build --release --target wasm32-unknown-unknown --lib"
cargo build --release --target wasm32-unknown-unknown --lib
echo "[build-web] wasm-bindgen --target web --out-dir www/pkg"
wasm-bindgen --target web --out-dir www/pkg \
  "$target_dir/wasm32-unknown-unknown/release/transfer_playground.wasm"
# The same crate with relaxed SIMD (fused multiply-add), for browsers that have it
# (www/wasm-url.js picks; the others run the build above). Its own target folder, so the
# two builds do not rebuild each other; its JS glue must be the one above.
relaxed_dir="${target_dir}/relaxed"
echo "[build-web] the relaxed-SIMD build (+simd128,+relaxed-simd)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" \
  cargo build --release --target wasm32-unknown-unknown --lib --target-dir "$relaxed_dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --out-dir "$tmp" "$relaxed_dir/wasm32-unknown-unknown/release/transfer_playground.wasm"
if ! cmp -s "$tmp/transfer_playground.js" www/pkg/transfer_playground.js; then
  echo "[build-web] ERROR: the relaxed-SIMD build's JS glue differs from the simd128 build's" >&2
  exit 1
fi
cp "$tmp/transfer_playground_bg.wasm" www/pkg/transfer_playground_relaxed_bg.wasm
ls -l www/pkg/*.wasm | awk '{print "[build-web] " $5 " bytes  " $9}'
