#!/usr/bin/env bash
# Native tests compiled for wasm32-unknown-unknown (with simd128, as the page's build)
# and run under Node: the Keras reader, importer and exporters (tests/keras_wasm.rs),
# the finite-difference gradient and hand-worked checks (tests/gradients.rs,
# tests/hand_worked.rs), the forward-only path against the layer-by-layer forward pass
# (tests/forward_only.rs), the hard limits with 32-bit sizes (tests/limits.rs) and the
# library's unit tests, which exercise the wasm-only SIMD
# code (the packed GEMM against a naive product, max pooling's vector blends, the direct
# convolution against the GEMM), also in the relaxed-SIMD build.
# Exit 0 = every one passed.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# The path of the wasm test binary `$1` (a test's name, or the library's) that
# `cargo test --no-run` builds with the remaining arguments; empty if it did not build.
built() {
  local name=$1
  shift
  cargo test --release --target wasm32-unknown-unknown "$@" --no-run --message-format=json 2>/dev/null \
    | grep -o "\"executable\":\"[^\"]*/$name-[^\"]*\.wasm\"" | tail -1 | cut -d'"' -f4 || true
}
for t in keras_wasm gradients hand_worked forward_only limits lib; do
  if [ "$t" = lib ]; then args=(--lib); name=transfer_playground; else args=(--test "$t"); name=$t; fi
  wasm=$(built "$name" "${args[@]}")
  if [ -z "$wasm" ]; then
    echo "FAIL: could not build the $t tests for wasm32 (run: cargo test --release --target wasm32-unknown-unknown ${args[*]} --no-run)"
    status=1
    continue
  fi
  node tests/run_wasm_test.mjs "$wasm" || status=1
done
# The library's unit tests again in the relaxed-SIMD build the page runs where the
# browser has it (scripts/build-web.sh): the GEMM with fused multiply-add against the
# naive product, the direct convolution against it bit for bit. Node 20 needs a flag
# for relaxed SIMD; later versions have it on (and may not know the flag).
relaxed_flag=()
node --experimental-wasm-relaxed-simd -e 0 2>/dev/null && relaxed_flag=(--experimental-wasm-relaxed-simd)
wasm=$(CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" \
         built transfer_playground --lib --target-dir "${CARGO_TARGET_DIR:-target}/relaxed")
if [ -z "$wasm" ]; then
  echo "FAIL: could not build the library's tests for wasm32 with relaxed SIMD"
  status=1
else
  node "${relaxed_flag[@]}" tests/run_wasm_test.mjs "$wasm" || status=1
fi
exit "$status"
