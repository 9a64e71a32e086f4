#!/usr/bin/env bash
# The Keras reader, importer and exporters compiled for wasm32-unknown-unknown and run
# under Node (tests/keras_wasm.rs; see tests/fixtures/keras/README.md). Exit 0 = pass.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=$(cargo test --release --target wasm32-unknown-unknown --test keras_wasm --no-run \
         --message-format=json 2>/dev/null \
       | grep -o '"executable":"[^"]*keras_wasm[^"]*\.wasm"' | tail -1 | cut -d'"' -f4 || true)
if [ -z "$wasm" ]; then
  echo "FAIL: could not build tests/keras_wasm.rs for wasm32 (rerun the cargo command above without 2>/dev/null)"
  exit 1
fi
node tests/fixtures/keras/run_wasm_test.mjs "$wasm"
