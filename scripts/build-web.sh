#!/usr/bin/env bash
# Builds the static site's WebAssembly: the crate for wasm32, then wasm-bindgen's JS glue
# into www/pkg/ (gitignored). Needs what scripts/setup.sh installs; does not run it, so
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
ls -l www/pkg/*.wasm | awk '{print "[build-web] " $5 " bytes  " $9}'
